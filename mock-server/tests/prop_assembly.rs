//! Property: multipart assembly is exact, over real loopback HTTP, on both store backends.
//!
//! Case counts are sized for CI (`cargo test --workspace --release` on 2 cores). For a long
//! soak run set `PROPTEST_CASES`, e.g.
//! `PROPTEST_CASES=1000 cargo test --release -p mock-server --test prop_assembly`.
//! A failure prints the shrunk scenario (proptest's "minimal failing input") and saves its seed
//! in `mock-server/tests/proptest-regressions/prop_assembly.txt`, which is replayed first on
//! the next run.

mod prop_support;

use std::collections::BTreeMap;

use futures_util::future::join_all;
use prop_support::{bytes_from, md5_hex, multipart_etag, Harness, Store};
use proptest::prelude::*;

/// Minimum part size the server is started with.
const MIN: u64 = 64 * 1024;
/// Part numbers used (a small range so re-uploads and gaps are frequent).
const MAX_PART: u32 = 6;

/// A part size class: the edges that matter.
#[derive(Clone, Copy, Debug)]
enum Size {
    Zero,
    One,
    BelowMin,
    Min,
    AboveMin,
    Mib(u8),
}

impl Size {
    fn bytes(self) -> usize {
        match self {
            Size::Zero => 0,
            Size::One => 1,
            Size::BelowMin => MIN as usize - 1,
            Size::Min => MIN as usize,
            Size::AboveMin => MIN as usize + 1,
            Size::Mib(n) => usize::from(n) << 20,
        }
    }
}

fn size() -> impl Strategy<Value = Size> {
    prop_oneof![
        1 => Just(Size::Zero),
        1 => Just(Size::One),
        2 => Just(Size::BelowMin),
        3 => Just(Size::Min),
        3 => Just(Size::AboveMin),
        1 => (1u8..=3).prop_map(Size::Mib),
    ]
}

/// One operation on the upload's parts.
#[derive(Clone, Debug)]
enum PartOp {
    /// Upload fresh bytes as part `n`.
    Upload { n: u32, size: Size, seed: u64 },
    /// Copy source object `src` (whole, or the range given as fractions of its size) into `n`.
    Copy {
        n: u32,
        src: usize,
        range: Option<(u16, u16)>,
    },
}

impl PartOp {
    fn number(&self) -> u32 {
        match self {
            PartOp::Upload { n, .. } | PartOp::Copy { n, .. } => *n,
        }
    }
}

fn part_op() -> impl Strategy<Value = PartOp> {
    prop_oneof![
        3 => (1..=MAX_PART, size(), any::<u64>()).prop_map(|(n, size, seed)| PartOp::Upload { n, size, seed }),
        1 => (1..=MAX_PART, 0..2usize, proptest::option::of((any::<u16>(), any::<u16>())))
            .prop_map(|(n, src, range)| PartOp::Copy { n, src, range }),
    ]
}

/// A wrong complete to try before the real one; each must be rejected and change nothing.
#[derive(Clone, Copy, Debug)]
enum BadComplete {
    /// Two listed parts swapped (or a duplicate when only one part is listed).
    NotAscending,
    /// A part number that was never uploaded.
    Missing,
    /// A listed part with another part's ETag.
    WrongEtag,
}

/// A ranged read as fractions of the object size: `bytes=a-b`, `bytes=a-`, `bytes=-n`.
#[derive(Clone, Copy, Debug)]
enum Range {
    FromTo(u16, u16),
    From(u16),
    Suffix(u16),
}

fn range() -> impl Strategy<Value = Range> {
    prop_oneof![
        (any::<u16>(), any::<u16>()).prop_map(|(a, b)| Range::FromTo(a, b)),
        any::<u16>().prop_map(Range::From),
        any::<u16>().prop_map(Range::Suffix),
    ]
}

/// The whole scenario of one case.
#[derive(Clone, Debug)]
struct Scenario {
    /// Sizes and seeds of the two copy-source objects.
    sources: Vec<(Size, u64)>,
    /// Batches of part operations; each batch runs concurrently (distinct part numbers at a
    /// time; a number repeated within a batch runs after the earlier one).
    batches: Vec<Vec<PartOp>>,
    /// Which part numbers the complete lists (bit n-1 for part n).
    subset: u8,
    /// Invalid completes tried first.
    bad: Vec<BadComplete>,
    /// Ranged reads of the object.
    ranges: Vec<Range>,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        proptest::collection::vec((size(), any::<u64>()), 2),
        proptest::collection::vec(proptest::collection::vec(part_op(), 1..5), 1..4),
        any::<u8>(),
        proptest::collection::vec(
            prop_oneof![
                Just(BadComplete::NotAscending),
                Just(BadComplete::Missing),
                Just(BadComplete::WrongEtag)
            ],
            0..3,
        ),
        proptest::collection::vec(range(), 0..4),
    )
        .prop_map(|(sources, batches, subset, bad, ranges)| Scenario {
            sources,
            batches,
            subset,
            bad,
            ranges,
        })
}

/// Maps a u16 fraction onto `0..len` (len > 0).
fn frac(f: u16, len: u64) -> u64 {
    (u64::from(f) * len) >> 16
}

/// Runs one scenario; `Err` describes the first disagreement with the model.
async fn run(h: &Harness, case: u64, sc: &Scenario) -> Result<(), String> {
    let r = run_inner(h, case, sc).await;
    if r.is_err() {
        h.reset().await;
    }
    r
}

async fn run_inner(h: &Harness, case: u64, sc: &Scenario) -> Result<(), String> {
    let key = format!("obj-{case}");
    // Copy sources.
    let mut sources = Vec::new();
    for (i, (size, seed)) in sc.sources.iter().enumerate() {
        let data = bytes_from(*seed, size.bytes());
        let src_key = format!("src-{case}-{i}");
        let a = h.put(&src_key, data.clone()).await;
        if a.status != 200 {
            return Err(format!("put source answered {}", a.status));
        }
        sources.push((src_key, data));
    }
    let id = h.initiate(&key).await?;
    // Model: part number -> last-written bytes.
    let mut model: BTreeMap<u32, Vec<u8>> = BTreeMap::new();
    for batch in &sc.batches {
        // Split into waves of distinct part numbers.
        let mut waves: Vec<Vec<&PartOp>> = Vec::new();
        for op in batch {
            match waves
                .iter_mut()
                .find(|w| w.iter().all(|o| o.number() != op.number()))
            {
                Some(w) => w.push(op),
                None => waves.push(vec![op]),
            }
        }
        for wave in waves {
            let futures = wave.iter().map(|op| {
                let (key, id, sources) = (&key, &id, &sources);
                async move {
                    match op {
                        PartOp::Upload { n, size, seed } => {
                            let data = bytes_from(*seed, size.bytes());
                            let a = h.upload_part(key, id, *n, data.clone()).await;
                            (*n, Some(data), a)
                        }
                        PartOp::Copy { n, src, range } => {
                            let (src_key, src_data) = &sources[*src];
                            let len = src_data.len() as u64;
                            let r = range.map(|(a, b)| {
                                let (a, b) = (frac(a, len), frac(b, len));
                                (a.min(b), a.max(b))
                            });
                            let expect = match r {
                                _ if len == 0 && r.is_some() => None,
                                Some((a, b)) => Some(src_data[a as usize..=b as usize].to_vec()),
                                None => Some(src_data.clone()),
                            };
                            let a = h.copy_part(key, id, *n, src_key, r).await;
                            (*n, expect, a)
                        }
                    }
                }
            });
            for (n, expect, a) in join_all(futures).await {
                match expect {
                    Some(data) => {
                        let etag = a.etag().or_else(|| a.xml_tag("ETag"));
                        if a.status != 200 || etag.as_deref() != Some(md5_hex(&data).as_str()) {
                            return Err(format!(
                                "part {n} ({} bytes): answered {} etag {etag:?}, expected {}",
                                data.len(),
                                a.status,
                                md5_hex(&data)
                            ));
                        }
                        model.insert(n, data);
                    }
                    None => {
                        // A range of an empty source is unsatisfiable: rejected, nothing stored.
                        if a.status != 400 && a.status != 416 {
                            return Err(format!(
                                "copy of a range of an empty object answered {}",
                                a.status
                            ));
                        }
                    }
                }
            }
            check_listing(h, &key, &id, &model).await?;
        }
    }

    // Invalid completes: rejected with the right code, nothing changes.
    let listed: Vec<u32> = model
        .keys()
        .copied()
        .filter(|n| sc.subset & (1 << (n - 1)) != 0)
        .collect();
    let etag_of = |n: u32| md5_hex(&model[&n]);
    for bad in &sc.bad {
        let (parts, code) = match bad {
            BadComplete::NotAscending if !listed.is_empty() => {
                let mut p: Vec<(u32, String)> = listed.iter().map(|&n| (n, etag_of(n))).collect();
                if p.len() == 1 {
                    p.push(p[0].clone());
                } else {
                    p.swap(0, 1);
                }
                (p, "InvalidPartOrder")
            }
            BadComplete::Missing => {
                let mut p: Vec<(u32, String)> = listed.iter().map(|&n| (n, etag_of(n))).collect();
                p.push((MAX_PART + 1, md5_hex(b"never uploaded")));
                (p, "InvalidPart")
            }
            BadComplete::WrongEtag if !listed.is_empty() => {
                let mut p: Vec<(u32, String)> = listed.iter().map(|&n| (n, etag_of(n))).collect();
                p[0].1 = md5_hex(b"not these bytes");
                if p[0].1 == etag_of(p[0].0) {
                    continue;
                }
                (p, "InvalidPart")
            }
            _ => continue,
        };
        let a = h.complete(&key, &id, &parts).await;
        if a.status != 400 || a.code().as_deref() != Some(code) {
            return Err(format!(
                "complete {bad:?} with {parts:?}: answered {} {:?}, expected 400 {code}",
                a.status,
                a.code()
            ));
        }
        check_listing(h, &key, &id, &model).await?;
        if h.get(&key, None, None).await.status != 404 {
            return Err(format!("a rejected complete ({bad:?}) created the object"));
        }
    }

    // The real complete.
    let parts: Vec<(u32, String)> = listed.iter().map(|&n| (n, etag_of(n))).collect();
    let a = h.complete(&key, &id, &parts).await;
    let too_small = listed
        .iter()
        .take(listed.len().saturating_sub(1))
        .any(|n| (model[n].len() as u64) < MIN);
    if listed.is_empty() {
        if a.status != 400 || a.code().as_deref() != Some("MalformedXML") {
            return Err(format!(
                "complete with no parts answered {} {:?}",
                a.status,
                a.code()
            ));
        }
    } else if too_small {
        if a.status != 400 || a.code().as_deref() != Some("EntityTooSmall") {
            return Err(format!(
                "complete with a small non-last part answered {} {:?}, expected EntityTooSmall",
                a.status,
                a.code()
            ));
        }
        check_listing(h, &key, &id, &model).await?;
    } else {
        let bodies: Vec<&[u8]> = listed.iter().map(|n| model[n].as_slice()).collect();
        let want_etag = multipart_etag(&bodies);
        let whole: Vec<u8> = bodies.concat();
        if a.status != 200 || a.xml_tag("ETag").as_deref() != Some(want_etag.as_str()) {
            return Err(format!(
                "complete answered {} etag {:?}, expected {want_etag}",
                a.status,
                a.xml_tag("ETag")
            ));
        }
        let g = h.get(&key, None, None).await;
        if g.status != 200 || g.body.as_ref() != whole.as_slice() {
            return Err(format!(
                "GET answered {} with {} bytes, expected the {} bytes of parts {listed:?}",
                g.status,
                g.body.len(),
                whole.len()
            ));
        }
        if g.etag().as_deref() != Some(want_etag.as_str()) {
            return Err(format!("GET ETag {:?}, expected {want_etag}", g.etag()));
        }
        // partNumber reads: the i-th listed part.
        for (i, body) in bodies.iter().enumerate() {
            let g = h.get(&key, None, Some(i as u32 + 1)).await;
            let ok = (g.status == 206 || g.status == 200) && g.body.as_ref() == *body;
            if !ok {
                return Err(format!(
                    "GET partNumber={} answered {} with {} bytes, expected {} bytes",
                    i + 1,
                    g.status,
                    g.body.len(),
                    body.len()
                ));
            }
        }
        let past = h.get(&key, None, Some(bodies.len() as u32 + 1)).await;
        if past.status != 416 || past.code().as_deref() != Some("InvalidPartNumber") {
            return Err(format!(
                "GET partNumber past the last part answered {} {:?}",
                past.status,
                past.code()
            ));
        }
        // Ranged reads.
        let size = whole.len() as u64;
        for r in &sc.ranges {
            let (header, want) = match *r {
                Range::FromTo(a, b) => {
                    let (a, b) = (frac(a, size + 2), frac(b, size + 2));
                    let (a, b) = (a.min(b), a.max(b));
                    let want = (a < size).then(|| (a, b.min(size - 1) - a + 1));
                    (format!("bytes={a}-{b}"), want)
                }
                Range::From(a) => {
                    let a = frac(a, size + 2);
                    (format!("bytes={a}-"), (a < size).then(|| (a, size - a)))
                }
                Range::Suffix(n) => {
                    let n = frac(n, size + 2) + 1;
                    let want = (size > 0).then(|| (size - n.min(size), n.min(size)));
                    (format!("bytes=-{n}"), want)
                }
            };
            let g = h.get(&key, Some(header.clone()), None).await;
            match want {
                Some((off, len)) => {
                    let slice = &whole[off as usize..(off + len) as usize];
                    if g.status != 206 || g.body.as_ref() != slice {
                        return Err(format!(
                            "GET Range {header} of {size} bytes answered {} with {} bytes, expected 206 with {len}",
                            g.status,
                            g.body.len()
                        ));
                    }
                    let cr = format!("bytes {off}-{}/{size}", off + len - 1);
                    if g.header("content-range").as_deref() != Some(cr.as_str()) {
                        return Err(format!(
                            "GET Range {header}: Content-Range {:?}, expected {cr}",
                            g.header("content-range")
                        ));
                    }
                }
                None => {
                    if g.status != 416 {
                        return Err(format!(
                            "GET Range {header} of {size} bytes answered {}, expected 416",
                            g.status
                        ));
                    }
                }
            }
        }
        // The upload is gone once completed.
        if let Ok(l) = h.list_parts(&key, &id).await {
            return Err(format!("ListParts after complete still answers {l:?}"));
        }
        let d = h.delete(&key).await;
        if d.status != 204 {
            return Err(format!("DELETE answered {}", d.status));
        }
    }
    if h.server.state().open_uploads() > 0 {
        let a = h.abort(&key, &id).await;
        if a.status != 204 {
            return Err(format!("abort answered {}", a.status));
        }
    }
    for (src_key, _) in &sources {
        h.delete(src_key).await;
    }
    // Nothing left: no object, no upload, no blob.
    let st = h.server.state();
    let leftovers: usize = st.buckets.iter().map(|b| b.objects.len()).sum();
    if leftovers != 0 || st.open_uploads() != 0 || st.blob_count != 0 {
        return Err(format!(
            "state not empty after cleanup: {leftovers} objects, {} uploads, {} blobs",
            st.open_uploads(),
            st.blob_count
        ));
    }
    h.check_storage().await
}

/// ListParts agrees with the model: the same numbers, sizes and ETags (MD5 of the last bytes
/// written to each number).
async fn check_listing(
    h: &Harness,
    key: &str,
    id: &str,
    model: &BTreeMap<u32, Vec<u8>>,
) -> Result<(), String> {
    let listed = h
        .list_parts(key, id)
        .await
        .map_err(|a| format!("ListParts answered {}", a.status))?;
    let want: BTreeMap<u32, (u64, String)> = model
        .iter()
        .map(|(n, d)| (*n, (d.len() as u64, md5_hex(d))))
        .collect();
    if listed != want {
        return Err(format!("ListParts {listed:?}, model {want:?}"));
    }
    Ok(())
}

fn assembly(store: Store, default_cases: u32) {
    let h = Harness::start(store, MIN);
    let case = std::cell::Cell::new(0u64);
    proptest!(prop_support::config(default_cases, "tests/proptest-regressions/prop_assembly.txt"), |(sc in scenario())| {
        case.set(case.get() + 1);
        let r = h.rt.block_on(run(&h, case.get(), &sc));
        prop_assert!(r.is_ok(), "{}", r.err().unwrap_or_default());
    });
}

/// Rule: for any sequence of part uploads (0 B, 1 B, around the minimum, a few MiB), copy-part
/// ranges of other objects, re-uploads of a number with other bytes, run in any order and
/// concurrently, (1) ListParts matches the model (last-written bytes per number) after every
/// wave; (2) completing with any ascending subset yields exactly the concatenation of the
/// listed parts' last-written bytes, with ETag md5-of-md5s-N; (3) GET with any Range and with
/// each partNumber returns the matching slice; (4) invalid completes (not ascending, missing
/// part, wrong ETag, small non-last part, no parts) are rejected with InvalidPartOrder /
/// InvalidPart / EntityTooSmall / MalformedXML and change nothing; (5) afterwards no blob is
/// left. Memory store.
#[test]
fn assembly_is_exact_memory() {
    assembly(Store::Memory, 48);
}

/// The same rule as [`assembly_is_exact_memory`] on the disk store (blob files counted in the
/// data dir's `blobs/` folder).
#[test]
fn assembly_is_exact_disk() {
    assembly(Store::Disk, 32);
}
