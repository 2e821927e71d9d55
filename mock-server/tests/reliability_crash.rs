//! Crash safety of `--data-dir`: the real binary is killed with SIGKILL at random moments
//! while many clients upload parts, complete and abort; after each restart on the same
//! directory, everything that was acknowledged must be there byte for byte, nothing that was
//! in flight may be half there, and no blob may be left unreferenced.
//!
//! `RELIAB_CRASH_ROUNDS` sets the number of crash points (default 20).

mod reliability_support;

use reliability_support::*;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const BUCKET: &str = "crash";
const WORKERS: usize = 8;

/// An upload the model knows the id of.
#[derive(Debug, Default)]
struct OpenUpload {
    key: String,
    /// Parts whose upload was acknowledged: number -> md5.
    acked: BTreeMap<u32, String>,
    /// Parts sent but not acknowledged: number -> md5 (either wholly there or absent).
    inflight: BTreeMap<u32, String>,
    /// A complete was sent but not acknowledged: the object's content.
    complete_inflight: Option<Vec<u8>>,
    /// An abort was sent but not acknowledged.
    abort_inflight: bool,
}

#[derive(Debug, Default)]
struct Model {
    /// Acknowledged objects: key -> content.
    objects: HashMap<String, Vec<u8>>,
    /// Acknowledged open uploads: id -> state.
    open: HashMap<String, OpenUpload>,
    /// Keys of initiates that were sent but not answered.
    pending_initiates: HashSet<String>,
    /// Acknowledged aborts.
    aborted: HashSet<String>,
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    acked: AtomicU64,
}

/// Records a failure unless the server was already being killed.
fn unexpected(killed: &AtomicBool, errors: &Mutex<Vec<String>>, what: String) {
    if !killed.load(Ordering::SeqCst) {
        errors.lock().unwrap().push(what);
    }
}

#[allow(clippy::too_many_arguments)]
async fn worker(
    endpoint: String,
    round: usize,
    w: usize,
    model: Arc<Mutex<Model>>,
    killed: Arc<AtomicBool>,
    errors: Arc<Mutex<Vec<String>>>,
    counters: Arc<Counters>,
) {
    let c = client(Duration::from_secs(20));
    for i in 0.. {
        let seed = ((round as u64) << 32) | ((w as u64) << 16) | i as u64;
        let key = format!("r{round}/w{w}/k{i}");
        model.lock().unwrap().pending_initiates.insert(key.clone());
        counters.requests.fetch_add(1, Ordering::Relaxed);
        let r = c
            .post(format!("{endpoint}/{BUCKET}/{key}?uploads"))
            .send()
            .await;
        let id = match r {
            Ok(r) if r.status() == 200 => {
                match r.text().await.ok().and_then(|t| tag(&t, "UploadId")) {
                    Some(id) => id,
                    None => {
                        return unexpected(&killed, &errors, format!("initiate {key}: no UploadId"))
                    }
                }
            }
            Ok(r) => {
                return unexpected(&killed, &errors, format!("initiate {key}: {}", r.status()))
            }
            Err(e) => return unexpected(&killed, &errors, format!("initiate {key}: {e}")),
        };
        counters.acked.fetch_add(1, Ordering::Relaxed);
        {
            let mut m = model.lock().unwrap();
            m.pending_initiates.remove(&key);
            m.open.insert(
                id.clone(),
                OpenUpload {
                    key: key.clone(),
                    ..Default::default()
                },
            );
        }
        let nparts = 1 + (seed % 4) as u32;
        let mut whole = Vec::new();
        let mut etags = Vec::new();
        for n in 1..=nparts {
            let len = 1 + (rand::random::<u32>() % 96_000) as usize;
            let data = content(seed * 31 + n as u64, len);
            let md5 = md5_hex(&data);
            model
                .lock()
                .unwrap()
                .open
                .get_mut(&id)
                .unwrap()
                .inflight
                .insert(n, md5.clone());
            counters.requests.fetch_add(1, Ordering::Relaxed);
            let r = c
                .put(format!(
                    "{endpoint}/{BUCKET}/{key}?uploadId={id}&partNumber={n}"
                ))
                .body(data.clone())
                .send()
                .await;
            match r {
                Ok(r) if r.status() == 200 => {
                    let etag = r
                        .headers()
                        .get("etag")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .trim_matches('"')
                        .to_string();
                    if etag != md5 {
                        return unexpected(
                            &killed,
                            &errors,
                            format!("part {key}#{n}: etag {etag} != {md5}"),
                        );
                    }
                }
                Ok(r) => {
                    return unexpected(&killed, &errors, format!("part {key}#{n}: {}", r.status()))
                }
                Err(e) => return unexpected(&killed, &errors, format!("part {key}#{n}: {e}")),
            }
            counters.acked.fetch_add(1, Ordering::Relaxed);
            {
                let mut m = model.lock().unwrap();
                let u = m.open.get_mut(&id).unwrap();
                u.inflight.remove(&n);
                u.acked.insert(n, md5.clone());
            }
            whole.extend_from_slice(&data);
            etags.push((n, md5));
        }
        match seed % 7 {
            0 => {} // left open
            1 => {
                model
                    .lock()
                    .unwrap()
                    .open
                    .get_mut(&id)
                    .unwrap()
                    .abort_inflight = true;
                counters.requests.fetch_add(1, Ordering::Relaxed);
                let r = c
                    .delete(format!("{endpoint}/{BUCKET}/{key}?uploadId={id}"))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == 204 => {}
                    Ok(r) => {
                        return unexpected(&killed, &errors, format!("abort {key}: {}", r.status()))
                    }
                    Err(e) => return unexpected(&killed, &errors, format!("abort {key}: {e}")),
                }
                counters.acked.fetch_add(1, Ordering::Relaxed);
                let mut m = model.lock().unwrap();
                m.open.remove(&id);
                m.aborted.insert(id);
            }
            _ => {
                model
                    .lock()
                    .unwrap()
                    .open
                    .get_mut(&id)
                    .unwrap()
                    .complete_inflight = Some(whole.clone());
                counters.requests.fetch_add(1, Ordering::Relaxed);
                let r = c
                    .post(format!("{endpoint}/{BUCKET}/{key}?uploadId={id}"))
                    .body(complete_body(&etags))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == 200 => match r.text().await {
                        Ok(t) if t.contains("<CompleteMultipartUploadResult") => {}
                        Ok(t) => {
                            return unexpected(&killed, &errors, format!("complete {key}: {t}"))
                        }
                        Err(e) => {
                            return unexpected(&killed, &errors, format!("complete {key}: {e}"))
                        }
                    },
                    Ok(r) => {
                        return unexpected(
                            &killed,
                            &errors,
                            format!("complete {key}: {}", r.status()),
                        )
                    }
                    Err(e) => return unexpected(&killed, &errors, format!("complete {key}: {e}")),
                }
                counters.acked.fetch_add(1, Ordering::Relaxed);
                let mut m = model.lock().unwrap();
                m.open.remove(&id);
                m.objects.insert(key, whole);
            }
        }
    }
}

/// Checks the restarted server against the model, resolving what was in flight, and returns
/// the number of objects verified byte for byte.
async fn verify(endpoint: &str, dir: &std::path::Path, model: &mut Model) -> usize {
    let c = client(Duration::from_secs(30));
    let st = state(&c, endpoint).await;
    let bucket = st["buckets"]
        .as_array()
        .and_then(|b| b.iter().find(|b| b["name"] == BUCKET))
        .cloned()
        .expect("bucket survives");
    let mut server_uploads: HashMap<String, (String, BTreeMap<u32, String>)> = HashMap::new();
    for u in bucket["uploads"].as_array().unwrap() {
        let parts = u["parts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["number"].as_u64().unwrap() as u32,
                    p["etag"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        server_uploads.insert(
            u["upload_id"].as_str().unwrap().to_string(),
            (u["key"].as_str().unwrap().to_string(), parts),
        );
    }
    let server_objects: HashSet<String> = bucket["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["key"].as_str().unwrap().to_string())
        .collect();

    // Uploads the model knows.
    let ids: Vec<String> = model.open.keys().cloned().collect();
    for id in ids {
        let mut u = model.open.remove(&id).unwrap();
        match server_uploads.remove(&id) {
            None => {
                if let Some(data) = u.complete_inflight.take() {
                    assert!(
                        server_objects.contains(&u.key),
                        "upload {id} ({}) vanished, but neither its complete nor an abort was acknowledged",
                        u.key
                    );
                    model.objects.insert(u.key.clone(), data);
                } else {
                    assert!(
                        u.abort_inflight,
                        "acknowledged open upload {id} ({}) lost",
                        u.key
                    );
                    model.aborted.insert(id);
                }
            }
            Some((key, parts)) => {
                assert_eq!(key, u.key);
                for (n, md5) in &u.acked {
                    assert_eq!(
                        parts.get(n),
                        Some(md5),
                        "upload {id} part {n} acknowledged, after restart: {parts:?}"
                    );
                }
                for (n, etag) in &parts {
                    if !u.acked.contains_key(n) {
                        assert_eq!(
                            u.inflight.get(n),
                            Some(etag),
                            "upload {id}: part {n} with {etag} was never sent"
                        );
                    }
                }
                u.acked = parts;
                u.inflight.clear();
                u.complete_inflight = None;
                u.abort_inflight = false;
                model.open.insert(id, u);
            }
        }
    }
    // Uploads whose initiate was in flight.
    for (id, (key, parts)) in server_uploads {
        assert!(
            model.pending_initiates.contains(&key),
            "unknown upload {id} for {key}"
        );
        assert!(
            parts.is_empty(),
            "upload {id} was never answered but has parts"
        );
        assert!(!model.aborted.contains(&id));
        model.open.insert(
            id,
            OpenUpload {
                key,
                ..Default::default()
            },
        );
    }
    model.pending_initiates.clear();
    // Objects: every acknowledged one, byte for byte, and nothing else.
    for k in &server_objects {
        assert!(
            model.objects.contains_key(k),
            "object {k} was never completed"
        );
    }
    for (key, data) in &model.objects {
        let r = c
            .get(format!("{endpoint}/{BUCKET}/{key}"))
            .send()
            .await
            .expect("get");
        assert_eq!(
            r.status(),
            200,
            "acknowledged object {key} missing after restart"
        );
        let got = r.bytes().await.expect("body");
        assert!(
            got.as_ref() == data.as_slice(),
            "object {key} differs after restart ({} vs {} bytes)",
            got.len(),
            data.len()
        );
    }
    // No orphans: the snapshot's count and the files on disk agree with what is referenced.
    assert_eq!(st["orphan_blobs"], 0, "orphan blobs after restart: {st}");
    for e in std::fs::read_dir(dir.join("blobs")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().to_string();
        assert!(
            !name.ends_with(".tmp"),
            "temp blob {name} left after restart"
        );
    }
    // Blob files and live records in pack files.
    let files = mock_server::store::DiskStore::blobs_on_disk(dir)
        .unwrap()
        .len() as u64;
    assert_eq!(
        Some(files),
        st["blob_count"].as_u64(),
        "blob files on disk vs blobs referenced"
    );
    model.objects.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill9_during_uploads_loses_nothing_acknowledged() {
    let rounds: usize = std::env::var("RELIAB_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let model = Arc::new(Mutex::new(Model::default()));
    let errors = Arc::new(Mutex::new(Vec::new()));
    let counters = Arc::new(Counters::default());
    {
        let s = ServerProc::on_dir(dir.path(), &[]);
        let r = client(Duration::from_secs(10))
            .put(format!("{}/{BUCKET}", s.endpoint))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        s.kill9();
    }
    let mut verified = 0;
    let mut kill_at_sum = 0u64;
    for round in 0..rounds {
        let s = ServerProc::on_dir(dir.path(), &[]);
        // No worker runs now: take the model out so no lock is held across the checks.
        let mut m = std::mem::take(&mut *model.lock().unwrap());
        verified = verify(&s.endpoint, dir.path(), &mut m).await;
        *model.lock().unwrap() = m;
        let killed = Arc::new(AtomicBool::new(false));
        let tasks: Vec<_> = (0..WORKERS)
            .map(|w| {
                tokio::spawn(worker(
                    s.endpoint.clone(),
                    round,
                    w,
                    model.clone(),
                    killed.clone(),
                    errors.clone(),
                    counters.clone(),
                ))
            })
            .collect();
        let wait = 30 + rand::random::<u64>() % 600;
        kill_at_sum += wait;
        tokio::time::sleep(Duration::from_millis(wait)).await;
        killed.store(true, Ordering::SeqCst);
        s.kill9();
        for t in tasks {
            let _ = tokio::time::timeout(Duration::from_secs(30), t)
                .await
                .expect("worker ends after the kill");
        }
        let errs = errors.lock().unwrap().clone();
        assert!(errs.is_empty(), "errors while the server was up: {errs:?}");
    }
    let s = ServerProc::on_dir(dir.path(), &[]);
    let mut m = std::mem::take(&mut *model.lock().unwrap());
    verified = verified.max(verify(&s.endpoint, dir.path(), &mut m).await);
    println!(
        "crash points: {rounds} SIGKILLs (mean {} ms into the load), {} requests sent, {} acknowledged; \
         {verified} objects verified byte for byte, {} open uploads with their parts, {} aborted",
        kill_at_sum / rounds.max(1) as u64,
        counters.requests.load(Ordering::Relaxed),
        counters.acked.load(Ordering::Relaxed),
        m.open.len(),
        m.aborted.len()
    );
    assert!(
        verified > 0,
        "no object was ever completed: the test did not exercise anything"
    );
}
