//! Property: the whole server against a simple in-memory reference model (state-machine
//! testing with hand-rolled operation lists), step by step, over loopback HTTP, in each
//! dialect — S3, OBS and QingStor — and both store backends; plus the cleanup invariant after
//! every step.
//!
//! One model serves every dialect; the harness ([`prop_support::Harness`]) speaks the wire
//! form. What differs per dialect:
//! - part numbers: operations carry the number sent on the wire, drawn from the dialect's
//!   first three (1..=3 in S3 and OBS, 0..=2 in QingStor);
//! - success statuses: part upload, part copy, put and complete answer 201 in QingStor, 200
//!   elsewhere; QingStor's complete answers no ETag, so the object's ETag is checked through
//!   the state snapshot and GET only;
//! - error codes: the model names S3's codes; [`prop_support::Harness::error_in_dialect`]
//!   maps them to QingStor's (`upload_not_exists`, `object_not_exists`, `invalid_argument`,
//!   `invalid_request`, `entity_too_small`), read from the JSON error's `code`;
//! - QingStor-only complete variations, drawn from the same `subset` byte: a part's `etag`
//!   may be left out (QingStor makes it optional), and an `ETag` request header may name the
//!   object's final ETag, which the object then carries;
//! - QingStor has upload-part-copy (`x-qs-copy-source`, `x-qs-copy-range`), so Copy
//!   operations run there unchanged; part listings are paged two parts at a time
//!   (`limit=2`, `part_number_marker`) so a page boundary after part 0 is exercised.
//!
//! Case counts are sized for CI. For a long soak run set `PROPTEST_CASES`, e.g.
//! `PROPTEST_CASES=500 cargo test --release -p mock-server --test prop_model`. A failure
//! prints the shrunk operation list and the step that disagreed; its seed is saved in
//! `mock-server/tests/proptest-regressions/prop_model.txt` and replayed first next time.

mod prop_support;

use std::collections::BTreeMap;

use mock_server::dialect::Dialect;
use prop_support::{bytes_from, md5_hex, multipart_etag, Answer, Harness, Store, BUCKET};
use proptest::prelude::*;

/// Minimum part size (small so cases are quick; sizes straddle it).
const MIN: u64 = 1024;
/// Keys the operations touch.
const KEYS: usize = 3;
/// Upload slots: an operation's `u` in `0..SLOTS` names the `u % n`-th of the `n` uploads
/// initiated so far in this case (live or finished), so upload operations nearly always reach
/// an upload that exists; `u == SLOTS`, or no upload yet, names an id never handed out.
const SLOTS: usize = 4;

#[derive(Clone, Debug)]
enum Op {
    Initiate {
        k: usize,
    },
    Part {
        u: usize,
        n: u32,
        len: usize,
        seed: u64,
    },
    Copy {
        u: usize,
        n: u32,
        src: usize,
        range: Option<(u16, u16)>,
    },
    List {
        u: usize,
    },
    /// Completes with the parts whose bit (`n - first`) is set in bits 0..=2 of `subset`; in
    /// QingStor bits 3..=5 leave that part's `etag` out and bit 6 sends an `ETag` header.
    Complete {
        u: usize,
        subset: u8,
    },
    Abort {
        u: usize,
    },
    Put {
        k: usize,
        len: usize,
        seed: u64,
    },
    Delete {
        k: usize,
    },
    Get {
        k: usize,
    },
}

/// Sizes straddling the minimum part size, weighted so that about half the parts may stand
/// before another in a complete (multi-part completes succeed often enough to check them).
fn len() -> impl Strategy<Value = usize> {
    let m = MIN as usize;
    prop_oneof![
        1 => Just(0),
        1 => Just(1),
        1 => Just(m - 1),
        2 => Just(m),
        3 => m + 1..3 * m,
    ]
}

/// Operations; part numbers are the dialect's first three (`first..first + 3`).
fn op(first: u32) -> impl Strategy<Value = Op> {
    let n = first..first + 3;
    prop_oneof![
        2 => (0..KEYS).prop_map(|k| Op::Initiate { k }),
        8 => (0..=SLOTS, n.clone(), len(), any::<u64>())
            .prop_map(|(u, n, len, seed)| Op::Part { u, n, len, seed }),
        2 => (0..=SLOTS, n, 0..KEYS, proptest::option::of((any::<u16>(), any::<u16>())))
            .prop_map(|(u, n, src, range)| Op::Copy { u, n, src, range }),
        1 => (0..=SLOTS).prop_map(|u| Op::List { u }),
        // Half the completes list every part an upload has (low bits all set).
        2 => (0..=SLOTS, any::<u8>(), any::<bool>()).prop_map(|(u, subset, all)| Op::Complete {
            u,
            subset: if all { subset | 0b111 } else { subset },
        }),
        1 => (0..=SLOTS).prop_map(|u| Op::Abort { u }),
        2 => (0..KEYS, len(), any::<u64>()).prop_map(|(k, len, seed)| Op::Put { k, len, seed }),
        1 => (0..KEYS).prop_map(|k| Op::Delete { k }),
        1 => (0..KEYS).prop_map(|k| Op::Get { k }),
    ]
}

#[derive(Clone, Debug)]
struct Object {
    data: Vec<u8>,
    etag: String,
    parts: Option<u32>,
    /// The upload it was completed from (a retried complete of that id answers 200 again).
    upload: Option<String>,
}

#[derive(Clone, Debug, Default)]
struct Upload {
    key: String,
    parts: BTreeMap<u32, Vec<u8>>,
    live: bool,
}

/// The reference model.
#[derive(Default)]
struct Model {
    objects: BTreeMap<String, Object>,
    /// Slots in initiation order: id -> upload.
    uploads: Vec<(String, Upload)>,
}

fn key(k: usize) -> String {
    format!("key-{k}")
}

fn frac(f: u16, len: u64) -> u64 {
    (u64::from(f) * len) >> 16
}

/// What the model says an answer must be.
enum Want {
    Status(u16),
    /// An error as S3 answers it (status, code); compared in the dialect's vocabulary.
    Error(u16, &'static str),
    /// A successful write (the dialect's write status) with this ETag, in the header or the
    /// XML body.
    Etag(String),
    /// A successful complete producing this ETag (QingStor answers none: status only).
    Completed(String),
    Body(Vec<u8>, String),
}

fn check(h: &Harness, step: usize, op: &Op, a: &Answer, want: &Want) -> Result<(), String> {
    let etag_is = |e: &String| {
        a.etag().as_deref() == Some(e.as_str()) || a.xml_tag("ETag").as_deref() == Some(e.as_str())
    };
    let ok = match want {
        Want::Status(s) => a.status == *s,
        Want::Error(s, c) => {
            let (s, c) = h.error_in_dialect(*s, c);
            a.status == s && a.code() == Some(c)
        }
        Want::Etag(e) => a.status == h.write_status() && etag_is(e),
        Want::Completed(e) => match h.dialect {
            Dialect::QingStor => a.status == 201 && a.body.is_empty(),
            _ => a.status == 200 && etag_is(e),
        },
        Want::Body(b, e) => {
            a.status == 200
                && a.body.as_ref() == b.as_slice()
                && a.etag().as_deref() == Some(e.as_str())
        }
    };
    if ok {
        return Ok(());
    }
    let want = match want {
        Want::Status(s) => format!("status {s}"),
        Want::Error(s, c) => {
            let (s, c) = h.error_in_dialect(*s, c);
            format!("{s} {c}")
        }
        Want::Etag(e) => format!("{} ETag {e}", h.write_status()),
        Want::Completed(e) => format!("{} completing with ETag {e}", h.write_status()),
        Want::Body(b, e) => format!("200 with {} bytes ETag {e}", b.len()),
    };
    Err(format!(
        "step {step} {op:?}: answered {} {:?} ({} bytes, etag {:?}), model wants {want}",
        a.status,
        a.code(),
        a.body.len(),
        a.etag()
    ))
}

/// Runs one operation on server and model; compares the answer.
async fn step(h: &Harness, m: &mut Model, i: usize, op: &Op) -> Result<(), String> {
    // The upload `u` names (see SLOTS): its index, id and state; an unknown id comes with a
    // finished, empty upload on key 0, so every operation on it must answer NoSuchUpload.
    let at = |u: usize| (u < SLOTS && !m.uploads.is_empty()).then(|| u % m.uploads.len());
    let slot = |u: usize| {
        at(u)
            .and_then(|x| m.uploads.get(x))
            .map(|(id, up)| (id.clone(), up.clone()))
            .unwrap_or_else(|| {
                let up = Upload {
                    key: key(0),
                    ..Upload::default()
                };
                ("no-such-upload".to_string(), up)
            })
    };
    let no_upload = Want::Error(404, "NoSuchUpload");
    match op {
        Op::Initiate { k } => {
            let id = h.initiate(&key(*k)).await?;
            if m.uploads.iter().any(|(other, _)| *other == id) {
                return Err(format!("step {i}: upload id {id} handed out twice"));
            }
            m.uploads.push((
                id,
                Upload {
                    key: key(*k),
                    live: true,
                    ..Upload::default()
                },
            ));
        }
        Op::Part { u, n, len, seed } => {
            let data = bytes_from(*seed, *len);
            let (id, up) = slot(*u);
            let a = h.upload_part(&up.key, &id, *n, data.clone()).await;
            match at(*u).and_then(|x| m.uploads.get_mut(x)) {
                Some((_, up)) if up.live => {
                    check(h, i, op, &a, &Want::Etag(md5_hex(&data)))?;
                    up.parts.insert(*n, data);
                }
                _ => check(h, i, op, &a, &no_upload)?,
            }
        }
        Op::Copy { u, n, src, range } => {
            let (id, dst) = slot(*u);
            let source = m.objects.get(&key(*src)).cloned();
            let r = match (&source, range) {
                (Some(o), Some((a, b))) => {
                    let len = o.data.len() as u64;
                    let (a, b) = (frac(*a, len), frac(*b, len));
                    Some((a.min(b), a.max(b)))
                }
                (None, Some((a, b))) => Some((u64::from(*a.min(b)), u64::from(*a.max(b)))),
                _ => None,
            };
            let a = h.copy_part(&dst.key, &id, *n, &key(*src), r).await;
            match (at(*u).and_then(|x| m.uploads.get_mut(x)), source) {
                (Some((_, up)), Some(o)) if up.live => {
                    let bytes = match r {
                        None => Some(o.data.clone()),
                        Some((x, y)) if (y as usize) < o.data.len() => {
                            Some(o.data[x as usize..=y as usize].to_vec())
                        }
                        Some(_) => None,
                    };
                    match bytes {
                        Some(b) => {
                            check(h, i, op, &a, &Want::Etag(md5_hex(&b)))?;
                            up.parts.insert(*n, b);
                        }
                        None => check(h, i, op, &a, &Want::Error(400, "InvalidArgument"))?,
                    }
                }
                (Some((_, up)), None) if up.live => {
                    check(h, i, op, &a, &Want::Error(404, "NoSuchKey"))?
                }
                _ => check(h, i, op, &a, &no_upload)?,
            }
        }
        Op::List { u } => {
            let (id, up) = slot(*u);
            match (h.list_parts(&up.key, &id).await, up.live) {
                (Ok(listed), true) => {
                    let want: BTreeMap<u32, (u64, String)> = up
                        .parts
                        .iter()
                        .map(|(n, d)| (*n, (d.len() as u64, md5_hex(d))))
                        .collect();
                    if listed != want {
                        return Err(format!(
                            "step {i} {op:?}: listed {listed:?}, model {want:?}"
                        ));
                    }
                }
                (Err(a), false) => check(h, i, op, &a, &no_upload)?,
                (Ok(l), false) => {
                    return Err(format!(
                        "step {i} {op:?}: finished upload still lists {l:?}"
                    ))
                }
                (Err(a), true) => {
                    return Err(format!(
                        "step {i} {op:?}: ListParts answered {} {:?}: {}",
                        a.status,
                        a.code(),
                        String::from_utf8_lossy(&a.body)
                    ))
                }
            }
        }
        Op::Complete { u, subset } => {
            let (id, up) = slot(*u);
            let first = h.first_part();
            let qs = h.dialect == Dialect::QingStor;
            let bit = |n: u32, from: u32| subset & (1 << (n - first + from)) != 0;
            let listed: Vec<u32> = up.parts.keys().copied().filter(|n| bit(*n, 0)).collect();
            let parts: Vec<(u32, Option<String>)> = listed
                .iter()
                .map(|n| (*n, (!(qs && bit(*n, 3))).then(|| md5_hex(&up.parts[n]))))
                .collect();
            // QingStor: the client may name the final ETag (PROTOCOLS.md §1.4).
            let final_etag = (qs && subset & (1 << 6) != 0).then(|| md5_hex(id.as_bytes()));
            let a = h
                .complete_with(&up.key, &id, &parts, final_etag.as_deref())
                .await;
            if !up.live {
                return match m.objects.get(&up.key) {
                    Some(o) if o.upload.as_deref() == Some(id.as_str()) => {
                        check(h, i, op, &a, &Want::Completed(o.etag.clone()))
                    }
                    _ => check(h, i, op, &a, &no_upload),
                };
            }
            let small = listed
                .iter()
                .take(listed.len().saturating_sub(1))
                .any(|n| (up.parts[n].len() as u64) < MIN);
            if listed.is_empty() {
                check(h, i, op, &a, &Want::Error(400, "MalformedXML"))?;
            } else if small {
                check(h, i, op, &a, &Want::Error(400, "EntityTooSmall"))?;
            } else {
                let bodies: Vec<&[u8]> = listed.iter().map(|n| up.parts[n].as_slice()).collect();
                let etag = final_etag.unwrap_or_else(|| multipart_etag(&bodies));
                check(h, i, op, &a, &Want::Completed(etag.clone()))?;
                m.objects.insert(
                    up.key.clone(),
                    Object {
                        data: bodies.concat(),
                        etag,
                        parts: Some(listed.len() as u32),
                        upload: Some(id.clone()),
                    },
                );
                if let Some((_, up)) = at(*u).and_then(|x| m.uploads.get_mut(x)) {
                    up.live = false;
                    up.parts.clear();
                }
            }
        }
        Op::Abort { u } => {
            let (id, up) = slot(*u);
            let a = h.abort(&up.key, &id).await;
            if up.live {
                check(h, i, op, &a, &Want::Status(204))?;
                if let Some((_, up)) = at(*u).and_then(|x| m.uploads.get_mut(x)) {
                    up.live = false;
                    up.parts.clear();
                }
            } else {
                check(h, i, op, &a, &no_upload)?;
            }
        }
        Op::Put { k, len, seed } => {
            let data = bytes_from(*seed, *len);
            let a = h.put(&key(*k), data.clone()).await;
            let etag = md5_hex(&data);
            check(h, i, op, &a, &Want::Etag(etag.clone()))?;
            m.objects.insert(
                key(*k),
                Object {
                    data,
                    etag,
                    parts: None,
                    upload: None,
                },
            );
        }
        Op::Delete { k } => {
            let a = h.delete(&key(*k)).await;
            check(h, i, op, &a, &Want::Status(204))?;
            m.objects.remove(&key(*k));
        }
        Op::Get { k } => {
            let a = h.get(&key(*k), None, None).await;
            match m.objects.get(&key(*k)) {
                Some(o) => check(h, i, op, &a, &Want::Body(o.data.clone(), o.etag.clone()))?,
                None => check(h, i, op, &a, &Want::Error(404, "NoSuchKey"))?,
            }
        }
    }
    compare_state(h, m, i, op)?;
    h.check_storage()
        .await
        .map_err(|e| format!("step {i} {op:?}: {e}"))
}

/// An open upload as compared: id, key, parts (number, size, ETag).
type UploadView = (String, String, Vec<(u32, u64, String)>);

/// The server's state snapshot equals the model: objects (key, size, ETag, part count) and
/// open uploads (key, id, parts with size and ETag); finished uploads leave no trace.
fn compare_state(h: &Harness, m: &Model, i: usize, op: &Op) -> Result<(), String> {
    let st = h.server.state();
    let b = st
        .buckets
        .iter()
        .find(|b| b.name == BUCKET)
        .ok_or("bucket missing")?;
    let objects: Vec<(String, u64, String, Option<u32>)> = b
        .objects
        .iter()
        .map(|o| (o.key.clone(), o.size, o.etag.clone(), o.parts))
        .collect();
    let want: Vec<(String, u64, String, Option<u32>)> = m
        .objects
        .iter()
        .map(|(k, o)| (k.clone(), o.data.len() as u64, o.etag.clone(), o.parts))
        .collect();
    if objects != want {
        return Err(format!(
            "step {i} {op:?}: objects {objects:?}, model {want:?}"
        ));
    }
    let mut uploads: Vec<UploadView> = b
        .uploads
        .iter()
        .map(|u| {
            let parts = u
                .parts
                .iter()
                .map(|p| (p.number, p.size, p.etag.clone()))
                .collect();
            (u.upload_id.clone(), u.key.clone(), parts)
        })
        .collect();
    uploads.sort();
    let mut want: Vec<UploadView> = m
        .uploads
        .iter()
        .filter(|(_, u)| u.live)
        .map(|(id, u)| {
            let parts = u
                .parts
                .iter()
                .map(|(n, d)| (*n, d.len() as u64, md5_hex(d)))
                .collect();
            (id.clone(), u.key.clone(), parts)
        })
        .collect();
    want.sort();
    if uploads != want {
        return Err(format!(
            "step {i} {op:?}: uploads {uploads:?}, model {want:?}"
        ));
    }
    Ok(())
}

async fn run(h: &Harness, ops: &[Op]) -> Result<(), String> {
    let mut m = Model::default();
    let mut result = Ok(());
    for (i, op) in ops.iter().enumerate() {
        result = step(h, &mut m, i, op).await;
        if result.is_err() {
            break;
        }
    }
    // Reset for the next case: abort what is open, delete every object.
    for (id, up) in &m.uploads {
        if up.live {
            h.abort(&up.key, id).await;
        }
    }
    for u in h
        .server
        .state()
        .buckets
        .iter()
        .flat_map(|b| b.uploads.clone())
    {
        h.abort(&u.key, &u.upload_id).await;
    }
    for k in 0..KEYS {
        h.delete(&key(k)).await;
    }
    result?;
    let st = h.server.state();
    if st.blob_count != 0 {
        return Err(format!(
            "blobs left after aborting and deleting everything: {st:?}"
        ));
    }
    h.check_storage().await
}

fn model_check(store: Store, dialect: Dialect, default_cases: u32) {
    let h = Harness::start_dialect(store, MIN, dialect);
    let first = h.first_part();
    proptest!(prop_support::config(default_cases, "tests/proptest-regressions/prop_model.txt"), |(ops in proptest::collection::vec(op(first), 1..60))| {
        let r = h.rt.block_on(run(&h, &ops));
        prop_assert!(r.is_ok(), "{}", r.err().unwrap_or_default());
    });
}

/// Rule: for any interleaving of initiate / upload part / copy part / list parts / complete /
/// abort / put / delete / get across 3 keys and the uploads initiated so far (live, finished,
/// or an id never handed out), every answer (status, error code, ETag, bytes) and the state
/// after every step (objects, open uploads and their parts) equal the reference model's; finished uploads leave no trace; and after every step every blob is
/// referenced (no orphan) and — on disk — the `blobs/` folder holds exactly those files.
/// S3 dialect, memory store.
#[test]
fn server_matches_model_s3_memory() {
    model_check(Store::Memory, Dialect::S3, 128);
}

/// [`server_matches_model_s3_memory`]'s rule on the disk store.
#[test]
fn server_matches_model_s3_disk() {
    model_check(Store::Disk, Dialect::S3, 96);
}

/// [`server_matches_model_s3_memory`]'s rule in the OBS dialect (`x-obs-` headers), disk
/// store.
#[test]
fn server_matches_model_obs_disk() {
    model_check(Store::Disk, Dialect::Obs, 64);
}

/// [`server_matches_model_s3_memory`]'s rule in the QingStor dialect (JSON documents, part
/// numbers from 0, 201/204 statuses, `x-qs-` headers, optional part ETags and a client-named
/// final ETag on complete), memory store.
#[test]
fn server_matches_model_qingstor_memory() {
    model_check(Store::Memory, Dialect::QingStor, 128);
}

/// [`server_matches_model_qingstor_memory`]'s rule on the disk store.
#[test]
fn server_matches_model_qingstor_disk() {
    model_check(Store::Disk, Dialect::QingStor, 96);
}
