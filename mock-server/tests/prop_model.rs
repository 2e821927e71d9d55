//! Property: the whole server against a simple in-memory reference model (state-machine
//! testing with hand-rolled operation lists), step by step, over loopback HTTP, in the S3 and
//! OBS dialects and both store backends; plus the cleanup invariant after every step.
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
/// Upload slots: slot `u` is the `u`-th upload initiated in this case (or none yet).
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

fn len() -> impl Strategy<Value = usize> {
    let m = MIN as usize;
    prop_oneof![Just(0), Just(1), Just(m - 1), Just(m), m + 1..3 * m]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (0..KEYS).prop_map(|k| Op::Initiate { k }),
        5 => (0..SLOTS, 1..=3u32, len(), any::<u64>())
            .prop_map(|(u, n, len, seed)| Op::Part { u, n, len, seed }),
        2 => (0..SLOTS, 1..=3u32, 0..KEYS, proptest::option::of((any::<u16>(), any::<u16>())))
            .prop_map(|(u, n, src, range)| Op::Copy { u, n, src, range }),
        1 => (0..SLOTS).prop_map(|u| Op::List { u }),
        2 => (0..SLOTS, any::<u8>()).prop_map(|(u, subset)| Op::Complete { u, subset }),
        1 => (0..SLOTS).prop_map(|u| Op::Abort { u }),
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
    Error(u16, &'static str),
    Etag(String),
    Body(Vec<u8>, String),
}

fn check(step: usize, op: &Op, a: &Answer, want: &Want) -> Result<(), String> {
    let ok = match want {
        Want::Status(s) => a.status == *s,
        Want::Error(s, c) => a.status == *s && a.code().as_deref() == Some(*c),
        Want::Etag(e) => {
            a.status == 200
                && (a.etag().as_deref() == Some(e.as_str())
                    || a.xml_tag("ETag").as_deref() == Some(e.as_str()))
        }
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
        Want::Error(s, c) => format!("{s} {c}"),
        Want::Etag(e) => format!("200 ETag {e}"),
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
    let slot = |u: usize| m.uploads.get(u).map(|(id, up)| (id.clone(), up.clone()));
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
            let (id, key) = match slot(*u) {
                Some((id, up)) => (id, up.key),
                None => ("no-such-upload".into(), key(0)),
            };
            let a = h.upload_part(&key, &id, *n, data.clone()).await;
            match m.uploads.get_mut(*u) {
                Some((_, up)) if up.live => {
                    check(i, op, &a, &Want::Etag(md5_hex(&data)))?;
                    up.parts.insert(*n, data);
                }
                _ => check(i, op, &a, &no_upload)?,
            }
        }
        Op::Copy { u, n, src, range } => {
            let (id, dst) = match slot(*u) {
                Some((id, up)) => (id, up.key),
                None => ("no-such-upload".into(), key(0)),
            };
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
            let a = h.copy_part(&dst, &id, *n, &key(*src), r).await;
            match (m.uploads.get_mut(*u), source) {
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
                            check(i, op, &a, &Want::Etag(md5_hex(&b)))?;
                            up.parts.insert(*n, b);
                        }
                        None => check(i, op, &a, &Want::Error(400, "InvalidArgument"))?,
                    }
                }
                (Some((_, up)), None) if up.live => {
                    check(i, op, &a, &Want::Error(404, "NoSuchKey"))?
                }
                _ => check(i, op, &a, &no_upload)?,
            }
        }
        Op::List { u } => {
            let Some((id, up)) = slot(*u) else {
                return Ok(());
            };
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
                (Err(a), false) => check(i, op, &a, &no_upload)?,
                (Ok(l), false) => {
                    return Err(format!(
                        "step {i} {op:?}: finished upload still lists {l:?}"
                    ))
                }
                (Err(a), true) => {
                    return Err(format!("step {i} {op:?}: ListParts answered {}", a.status))
                }
            }
        }
        Op::Complete { u, subset } => {
            let Some((id, up)) = slot(*u) else {
                return Ok(());
            };
            let listed: Vec<u32> = up
                .parts
                .keys()
                .copied()
                .filter(|n| subset & (1 << (n - 1)) != 0)
                .collect();
            let parts: Vec<(u32, String)> =
                listed.iter().map(|n| (*n, md5_hex(&up.parts[n]))).collect();
            let a = h.complete(&up.key, &id, &parts).await;
            if !up.live {
                return match m.objects.get(&up.key) {
                    Some(o) if o.upload.as_deref() == Some(id.as_str()) => {
                        check(i, op, &a, &Want::Etag(o.etag.clone()))
                    }
                    _ => check(i, op, &a, &no_upload),
                };
            }
            let small = listed
                .iter()
                .take(listed.len().saturating_sub(1))
                .any(|n| (up.parts[n].len() as u64) < MIN);
            if listed.is_empty() {
                check(i, op, &a, &Want::Error(400, "MalformedXML"))?;
            } else if small {
                check(i, op, &a, &Want::Error(400, "EntityTooSmall"))?;
            } else {
                let bodies: Vec<&[u8]> = listed.iter().map(|n| up.parts[n].as_slice()).collect();
                let etag = multipart_etag(&bodies);
                check(i, op, &a, &Want::Etag(etag.clone()))?;
                m.objects.insert(
                    up.key.clone(),
                    Object {
                        data: bodies.concat(),
                        etag,
                        parts: Some(listed.len() as u32),
                        upload: Some(id.clone()),
                    },
                );
                if let Some((_, up)) = m.uploads.get_mut(*u) {
                    up.live = false;
                    up.parts.clear();
                }
            }
        }
        Op::Abort { u } => {
            let Some((id, up)) = slot(*u) else {
                return Ok(());
            };
            let a = h.abort(&up.key, &id).await;
            if up.live {
                check(i, op, &a, &Want::Status(204))?;
                if let Some((_, up)) = m.uploads.get_mut(*u) {
                    up.live = false;
                    up.parts.clear();
                }
            } else {
                check(i, op, &a, &no_upload)?;
            }
        }
        Op::Put { k, len, seed } => {
            let data = bytes_from(*seed, *len);
            let a = h.put(&key(*k), data.clone()).await;
            let etag = md5_hex(&data);
            check(i, op, &a, &Want::Etag(etag.clone()))?;
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
            check(i, op, &a, &Want::Status(204))?;
            m.objects.remove(&key(*k));
        }
        Op::Get { k } => {
            let a = h.get(&key(*k), None, None).await;
            match m.objects.get(&key(*k)) {
                Some(o) => check(i, op, &a, &Want::Body(o.data.clone(), o.etag.clone()))?,
                None => check(i, op, &a, &Want::Error(404, "NoSuchKey"))?,
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
    proptest!(prop_support::config(default_cases, "tests/proptest-regressions/prop_model.txt"), |(ops in proptest::collection::vec(op(), 1..40))| {
        let r = h.rt.block_on(run(&h, &ops));
        prop_assert!(r.is_ok(), "{}", r.err().unwrap_or_default());
    });
}

/// Rule: for any interleaving of initiate / upload part / copy part / list parts / complete /
/// abort / put / delete / get across 3 keys and 4 uploads, every answer (status, error code,
/// ETag, bytes) and the state after every step (objects, open uploads and their parts) equal
/// the reference model's; finished uploads leave no trace; and after every step every blob is
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
