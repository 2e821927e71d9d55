//! Properties of the reference uploader against the real mock server over loopback: fault
//! recovery within and beyond the retry budget, throughput scaling with concurrency under a
//! fixed injected latency, the memory budget, and dialect equivalence (S3, OBS in both wire
//! modes, QingStor).
//!
//! Case counts are sized for CI (`cargo test --workspace --release`, 2 cores). For a long soak
//! run set `PROPTEST_CASES`, e.g. `PROPTEST_CASES=500 cargo test --release --test prop_uploader`.
//! A failure prints the shrunk case (file size, part size, fault schedule); its seed is saved in
//! `tests/proptest-regressions/prop_uploader.txt` and replayed first next time.

use std::io::Write;
use std::time::{Duration, Instant, SystemTime};

use http::header::HOST;
use http::{HeaderMap, HeaderValue};
use md5::{Digest, Md5};
use mock_server::auth::{sigv4, Credentials as AuthCredentials, RequestTarget};
use mock_server::faults::Fault;
use mock_server::ops::OpKind;
use mock_server::MockServer;
use multipart_harness::uploader::{
    Backoff, Credentials, Dialect, UploadError, UploadReport, Uploader, UploaderConfig,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

const AK: &str = "AKIAIOSFODNN7EXAMPLE";
const SK: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const QS_AK: &str = "QYACCESSKEYIDEXAMPLE";
const QS_SK: &str = "SECRETACCESSKEY0EXAMPLE0QINGSTOR0SECRET";
const BUCKET: &str = "props";
const PART: u64 = 16 * 1024;
/// Attempts per request the uploader is configured with (its retry budget).
const ATTEMPTS: u32 = 4;

/// Case count: `PROPTEST_CASES` when set, else `default`.
fn config(default_cases: u32) -> Config {
    Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default_cases),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/proptest-regressions/prop_uploader.txt",
        ))),
        max_shrink_iters: 128,
        ..Config::default()
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

async fn server(disk: bool) -> (MockServer, Option<tempfile::TempDir>) {
    let dir = disk.then(|| tempfile::tempdir().expect("temp dir"));
    let mut b = MockServer::builder()
        .credentials(AK, SK)
        .credentials(QS_AK, QS_SK)
        .bucket(BUCKET)
        .min_part_size(1024);
    b = match &dir {
        Some(d) => b.data_dir(d.path()).durable(false),
        None => b.memory(),
    };
    (b.start().await.expect("mock server starts"), dir)
}

fn uploader_config(server: &MockServer, dialect: Dialect) -> UploaderConfig {
    let creds = match dialect {
        Dialect::QingStor => Credentials::new(QS_AK, QS_SK),
        _ => Credentials::new(AK, SK),
    };
    UploaderConfig {
        part_size: Some(PART),
        concurrency: 4,
        max_attempts: ATTEMPTS,
        backoff: Backoff {
            initial: Duration::from_millis(1),
            max: Duration::from_millis(10),
            ..Backoff::default()
        },
        ..UploaderConfig::new(server.endpoint(), dialect, creds)
    }
}

fn file_of(data: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(data).expect("write");
    f.flush().expect("flush");
    f
}

fn bytes_from(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn multipart_etag(data: &[u8], part: u64) -> String {
    let mut md5s = Vec::new();
    let chunks: Vec<&[u8]> = if data.is_empty() {
        vec![data]
    } else {
        data.chunks(part as usize).collect()
    };
    for c in &chunks {
        md5s.extend_from_slice(&Md5::digest(c));
    }
    format!("{}-{}", hex::encode(Md5::digest(&md5s)), chunks.len())
}

/// GETs an object back, signed with SigV4 (the mock verifies it).
async fn fetch(server: &MockServer, key: &str) -> Result<Vec<u8>, String> {
    let authority = server.endpoint().trim_start_matches("http://").to_string();
    let path = format!("/{BUCKET}/{key}");
    let mut headers = HeaderMap::new();
    headers.insert(
        HOST,
        HeaderValue::from_str(&authority).map_err(|e| e.to_string())?,
    );
    let target = RequestTarget {
        method: "GET",
        raw_path: &path,
        raw_query: "",
        virtual_host_bucket: None,
    };
    let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    sigv4::sign(
        &target,
        &mut headers,
        empty,
        &AuthCredentials::new(AK, SK),
        "us-east-1",
        SystemTime::now(),
    )
    .map_err(|e| e.to_string())?;
    let r = reqwest::Client::new()
        .get(format!("{}{path}", server.endpoint()))
        .headers(headers)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if r.status() != 200 {
        return Err(format!("GET {key} answered {}", r.status()));
    }
    Ok(r.bytes().await.map_err(|e| e.to_string())?.to_vec())
}

/// Blobs in a disk store's data directory, read from the files: every entry of `blobs/`
/// (so a leftover temp file counts too) plus the live records of the pack files.
fn blob_files(dir: &Option<tempfile::TempDir>) -> Option<usize> {
    let root = dir.as_ref()?.path();
    let files = std::fs::read_dir(root.join("blobs")).map(|r| r.count());
    let all = mock_server::store::DiskStore::blobs_on_disk(root).map(|ids| ids.len());
    let in_blob_files = std::fs::read_dir(root.join("blobs")).map(|r| {
        r.filter_map(|e| e.ok())
            .filter(|e| u64::from_str_radix(&e.file_name().to_string_lossy(), 16).is_ok())
            .count()
    });
    match (files, all, in_blob_files) {
        (Ok(files), Ok(all), Ok(named)) => Some(files + all.saturating_sub(named)),
        _ => Some(usize::MAX),
    }
}

/// No open upload, no orphan blob, and on disk exactly the blobs the store counts.
async fn check_clean(
    server: &MockServer,
    dir: &Option<tempfile::TempDir>,
    want_objects: usize,
) -> Result<(), String> {
    if !server.idle(Duration::from_secs(10)).await {
        return Err("server not idle".into());
    }
    let st = server.state();
    let objects: usize = st.buckets.iter().map(|b| b.objects.len()).sum();
    if st.open_uploads() != 0 || st.orphan_blobs != 0 || objects != want_objects {
        return Err(format!(
            "expected {want_objects} objects, no open upload, no orphan: {st:?}"
        ));
    }
    if let Some(n) = blob_files(dir) {
        if n as u64 != st.blob_count {
            return Err(format!(
                "{n} blobs on disk (files and packed records), the store counts {}",
                st.blob_count
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Fault recovery
// ---------------------------------------------------------------------------------------------

/// A fault action the uploader must survive by retrying.
#[derive(Clone, Copy, Debug)]
enum Act {
    Error500,
    SlowDown503,
    DropBeforeBody,
    DropMidBody,
    DropAfterCommit,
    BadEtag,
    Corrupt,
    ErrorIn200,
}

/// Which request a rule aims at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Initiate,
    Part(u32),
    Complete,
}

#[derive(Clone, Debug)]
struct Rule {
    target: Target,
    act: Act,
    /// Times it fires (within budget: < ATTEMPTS).
    times: u64,
}

impl Rule {
    /// Whether the action makes sense on the target (initiate's lost answer would leave an
    /// upload the uploader cannot know of — a documented limit; bad ETag / corruption concern
    /// part bodies; 200-with-error concerns complete).
    fn fits(&self) -> bool {
        !matches!(
            (self.target, self.act),
            (Target::Initiate, Act::DropAfterCommit | Act::DropMidBody)
                | (
                    Target::Initiate | Target::Complete,
                    Act::BadEtag | Act::Corrupt
                )
                | (Target::Initiate | Target::Part(_), Act::ErrorIn200)
        )
    }

    fn fault(&self) -> Fault {
        let f = match self.act {
            Act::Error500 => Fault::error(500, "InternalError"),
            Act::SlowDown503 => Fault::error(503, "SlowDown"),
            Act::DropBeforeBody => Fault::drop_before_body(),
            Act::DropMidBody => Fault::drop_after_body_bytes(PART / 3),
            Act::DropAfterCommit => Fault::drop_after_commit(),
            Act::BadEtag => Fault::bad_etag(),
            Act::Corrupt => Fault::corrupt(),
            Act::ErrorIn200 => Fault::error_in_200(),
        };
        let f = match self.target {
            Target::Initiate => f.on(OpKind::CreateMultipartUpload),
            Target::Part(n) => f.on(OpKind::UploadPart).part(n),
            Target::Complete => f.on(OpKind::CompleteMultipartUpload),
        };
        f.times(self.times)
    }
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        Just(Act::Error500),
        Just(Act::SlowDown503),
        Just(Act::DropBeforeBody),
        Just(Act::DropMidBody),
        Just(Act::DropAfterCommit),
        Just(Act::BadEtag),
        Just(Act::Corrupt),
        Just(Act::ErrorIn200),
    ]
}

fn target(parts: u32) -> impl Strategy<Value = Target> {
    prop_oneof![
        1 => Just(Target::Initiate),
        4 => (1..=parts).prop_map(Target::Part),
        1 => Just(Target::Complete),
    ]
}

#[derive(Clone, Debug)]
struct FaultCase {
    disk: bool,
    /// File length.
    len: usize,
    seed: u64,
    concurrency: usize,
    /// Rules within budget (one per target).
    rules: Vec<Rule>,
    /// One rule beyond budget: fires on every attempt.
    fatal: Option<(Target, bool)>,
}

fn fault_case() -> impl Strategy<Value = FaultCase> {
    (
        1u32..=6,
        0..PART as usize,
        any::<u64>(),
        any::<bool>(),
        1usize..=4,
    )
        .prop_flat_map(|(parts, extra, seed, disk, concurrency)| {
            let len = (parts as usize - 1) * PART as usize + extra.max(1);
            let rule = (target(parts), act(), 1..ATTEMPTS as u64)
                .prop_map(|(target, act, times)| Rule { target, act, times })
                .prop_filter("action fits target", Rule::fits);
            (
                Just((disk, len, seed, concurrency)),
                proptest::collection::vec(rule, 0..5),
                proptest::option::weighted(0.3, (target(parts), any::<bool>())),
            )
        })
        .prop_map(|((disk, len, seed, concurrency), mut rules, fatal)| {
            // One rule per target: rules matching the same request fire together, and only the
            // first non-shaping one takes effect (the others are counted as fired but do
            // nothing), so a second rule on a target would not add a failure.
            let mut seen: Vec<Target> = fatal.iter().map(|(t, _)| *t).collect();
            rules.retain(|r| {
                let fresh = !seen.contains(&r.target);
                seen.push(r.target);
                fresh
            });
            FaultCase {
                disk,
                len,
                seed,
                concurrency,
                rules,
                fatal,
            }
        })
}

async fn fault_run(c: &FaultCase) -> Result<(), String> {
    let (server, dir) = server(c.disk).await;
    let data = bytes_from(c.seed, c.len);
    let file = file_of(&data);
    for r in &c.rules {
        server.fault(r.fault())?;
    }
    if let Some((target, drop)) = c.fatal {
        let f = if drop {
            Fault::drop_before_body()
        } else {
            Fault::error(503, "SlowDown")
        };
        let f = match target {
            Target::Initiate => f.on(OpKind::CreateMultipartUpload),
            Target::Part(n) => f.on(OpKind::UploadPart).part(n),
            Target::Complete => f.on(OpKind::CompleteMultipartUpload),
        };
        server.fault(f)?;
    }
    let cfg = UploaderConfig {
        concurrency: c.concurrency,
        ..uploader_config(&server, Dialect::S3)
    };
    let up = Uploader::new(cfg).map_err(|e| e.to_string())?;
    let result = up.upload_file(file.path(), BUCKET, "obj").await;
    match (c.fatal, result) {
        (None, Ok(report)) => {
            let got = fetch(&server, "obj").await?;
            if got != data {
                return Err(format!(
                    "object ({} bytes) differs from the file ({} bytes)",
                    got.len(),
                    data.len()
                ));
            }
            if report.etag != multipart_etag(&data, PART) {
                return Err(format!("report ETag {}", report.etag));
            }
            check_clean(&server, &dir, 1).await
        }
        (None, Err(e)) => Err(format!("failed within the retry budget: {e}")),
        (Some(_), Ok(r)) => Err(format!("succeeded beyond the retry budget: {r}")),
        (Some(_), Err(e)) => {
            if matches!(e, UploadError::Config(_)) {
                return Err(format!("unexpected error: {e}"));
            }
            check_clean(&server, &dir, 0).await
        }
    }
}

/// Rule: for any schedule of faults (500, 503 SlowDown, drops before / during / after the
/// body, wrong ETags, corruption in transit, 200-with-error), on any of initiate / parts /
/// complete, each firing fewer times than the uploader's attempts per request, the uploaded
/// object equals the file byte for byte with the md5-of-md5s ETag and nothing is left over;
/// with one fault that fires on every attempt, the uploader reports failure and the server
/// holds no open upload, no object and no orphan blob (store and disk).
#[test]
fn faults_within_budget_recover_beyond_fail_clean() {
    let rt = runtime();
    proptest!(config(64), |(c in fault_case())| {
        let r = rt.block_on(fault_run(&c));
        prop_assert!(r.is_ok(), "{}", r.err().unwrap_or_default());
    });
}

// ---------------------------------------------------------------------------------------------
// Throughput and memory budget
// ---------------------------------------------------------------------------------------------

/// Parts of the throughput file (divisible by 1, 2, 3, 4, 6, 8).
const THROUGHPUT_PARTS: u64 = 24;
/// Latency injected on every part upload.
const LATENCY: Duration = Duration::from_millis(60);

async fn timed_upload(
    server: &MockServer,
    file: &std::path::Path,
    concurrency: usize,
    budget: u64,
) -> Result<(Duration, UploadReport), String> {
    let cfg = UploaderConfig {
        concurrency,
        memory_budget: budget,
        ..uploader_config(server, Dialect::S3)
    };
    let up = Uploader::new(cfg).map_err(|e| e.to_string())?;
    let t = Instant::now();
    let report = up
        .upload_file(file, BUCKET, &format!("t{concurrency}-{budget}"))
        .await
        .map_err(|e| e.to_string())?;
    Ok((t.elapsed(), report))
}

/// Rule: with a fixed latency injected on every part upload, uploading with effective
/// concurrency c = min(concurrency, budget / part size), for c up to 8, is at least 0.7 × c
/// times faster than with concurrency 1 (a ratio within one run, not a wall-clock
/// threshold), and the part bytes in memory never exceed the memory budget.
#[test]
fn concurrency_scales_and_memory_stays_in_budget() {
    let rt = runtime();
    let (server, _dir) = rt.block_on(server(false));
    server
        .fault(Fault::latency(LATENCY).on(OpKind::UploadPart))
        .expect("latency rule");
    let data = bytes_from(7, (THROUGHPUT_PARTS * PART) as usize);
    let file = file_of(&data);
    let (serial, report) = rt
        .block_on(timed_upload(&server, file.path(), 1, PART))
        .expect("serial upload");
    assert!(report.peak_memory_bytes <= PART, "{report}");
    assert!(
        serial >= LATENCY * THROUGHPUT_PARTS as u32,
        "the latency rule did not apply: {serial:?}"
    );
    proptest!(config(6), |(c in 2usize..=8, budget_parts in 1u64..=10, slack in 0..PART)| {
        let budget = budget_parts * PART + slack;
        let (took, report) = rt.block_on(timed_upload(&server, file.path(), c, budget)).map_err(TestCaseError::fail)?;
        let effective = c.min(budget_parts as usize);
        prop_assert!(report.peak_memory_bytes <= budget,
            "peak memory {} > budget {budget}", report.peak_memory_bytes);
        prop_assert_eq!(report.memory_budget, budget);
        let speedup = serial.as_secs_f64() / took.as_secs_f64();
        prop_assert!(speedup >= 0.7 * effective as f64,
            "concurrency {c} (effective {effective}): {took:?} vs serial {serial:?}, speedup {speedup:.2} < {:.2}",
            0.7 * effective as f64);
    });
}

// ---------------------------------------------------------------------------------------------
// Dialect equivalence
// ---------------------------------------------------------------------------------------------

/// Rule: the same file uploaded through S3, OBS (S3-compatible and native wire modes) and
/// QingStor, with the same part size, gives byte-identical objects, and every dialect reports
/// (and the server stores) the same md5-of-md5s ETag.
#[test]
fn dialects_store_the_same_object() {
    let rt = runtime();
    proptest!(config(16), |(disk in any::<bool>(), len in 0usize..5 * PART as usize, seed in any::<u64>(), concurrency in 1usize..=4)| {
        let r: Result<(), String> = rt.block_on(async {
            let (server, dir) = server(disk).await;
            let data = bytes_from(seed, len);
            let file = file_of(&data);
            let want = multipart_etag(&data, PART);
            let dialects = [Dialect::S3, Dialect::Obs, Dialect::ObsNative, Dialect::QingStor];
            for (i, d) in dialects.iter().enumerate() {
                let key = format!("d{i}");
                let cfg = UploaderConfig { concurrency, ..uploader_config(&server, *d) };
                let up = Uploader::new(cfg).map_err(|e| e.to_string())?;
                let report = up.upload_file(file.path(), BUCKET, &key).await
                    .map_err(|e| format!("{d:?}: {e}"))?;
                if report.etag != want {
                    return Err(format!("{d:?} reported ETag {}, expected {want}", report.etag));
                }
                let got = fetch(&server, &key).await?;
                if got != data {
                    return Err(format!("{d:?}: object of {} bytes differs from the file of {}", got.len(), data.len()));
                }
                let st = server.state();
                let etag = st.object(BUCKET, &key).map(|o| o.etag.clone());
                if etag.as_deref() != Some(want.as_str()) {
                    return Err(format!("{d:?}: stored ETag {etag:?}, expected {want}"));
                }
            }
            check_clean(&server, &dir, dialects.len()).await
        });
        prop_assert!(r.is_ok(), "{}", r.err().unwrap_or_default());
    });
}
