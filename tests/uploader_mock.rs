//! The reference uploader against the mock server, which verifies every signature: all
//! dialects, memory and disk stores, files from 0 bytes to well past a few parts, odd sizes,
//! checksums, the mock's fault engine, resume and abort. Every object is fetched back over HTTP
//! and compared byte for byte, and the server state is checked for leftovers.

use std::io::Write;
use std::time::{Duration, SystemTime};

use http::header::HOST;
use http::{HeaderMap, HeaderValue};
use mock_server::auth::{sigv4, Credentials as AuthCredentials, RequestTarget};
use mock_server::faults::Fault;
use mock_server::ops::OpKind;
use mock_server::MockServer;
use multipart_harness::uploader::{
    Backoff, ChecksumChoice, Cleanup, Credentials, Dialect, PayloadSigning, Phase, UploadError,
    UploadOptions, UploadReport, Uploader, UploaderConfig,
};

const AK: &str = "AKIAIOSFODNN7EXAMPLE";
const SK: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const QS_AK: &str = "QYACCESSKEYIDEXAMPLE";
const QS_SK: &str = "SECRETACCESSKEY0EXAMPLE0QINGSTOR0SECRET";
const BUCKET: &str = "bkt";
const PART: u64 = 64 * 1024;

#[derive(Clone, Copy, Debug)]
enum Store {
    Memory,
    Disk,
}

async fn server(store: Store, min_part_size: Option<u64>) -> MockServer {
    let mut b = MockServer::builder()
        .credentials(AK, SK)
        .credentials(QS_AK, QS_SK)
        .bucket(BUCKET);
    if let Some(min) = min_part_size {
        b = b.min_part_size(min);
    }
    if let Store::Memory = store {
        b = b.memory();
    }
    b.start().await.expect("mock server starts")
}

fn credentials(dialect: Dialect) -> Credentials {
    match dialect {
        Dialect::QingStor => Credentials::new(QS_AK, QS_SK),
        _ => Credentials::new(AK, SK),
    }
}

fn config(server: &MockServer, dialect: Dialect) -> UploaderConfig {
    UploaderConfig {
        part_size: Some(PART),
        concurrency: 4,
        max_attempts: 4,
        backoff: Backoff {
            initial: Duration::from_millis(5),
            max: Duration::from_millis(50),
            ..Backoff::default()
        },
        ..UploaderConfig::new(server.endpoint(), dialect, credentials(dialect))
    }
}

/// A file of pseudo-random bytes (xorshift), so no two parts are alike.
fn data_file(len: usize, seed: u8) -> (tempfile::NamedTempFile, Vec<u8>) {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ u64::from(seed);
    let data: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(&data).unwrap();
    f.flush().unwrap();
    (f, data)
}

/// GET the object back over HTTP, signed with SigV4 (the mock verifies it).
async fn fetch(server: &MockServer, key: &str) -> Vec<u8> {
    let authority = server.endpoint().trim_start_matches("http://").to_string();
    let path = format!(
        "/{BUCKET}/{}",
        mock_server::auth::encoding::uri_encode(key.as_bytes(), true)
    );
    let mut headers = HeaderMap::new();
    headers.insert(HOST, HeaderValue::from_str(&authority).unwrap());
    let target = RequestTarget {
        method: "GET",
        raw_path: &path,
        raw_query: "",
        virtual_host_bucket: None,
    };
    let empty_hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    sigv4::sign(
        &target,
        &mut headers,
        empty_hash,
        &AuthCredentials::new(AK, SK),
        "us-east-1",
        SystemTime::now(),
    )
    .unwrap();
    let resp = reqwest::Client::new()
        .get(format!("{}{path}", server.endpoint()))
        .headers(headers)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200, "GET {key}");
    resp.bytes().await.unwrap().to_vec()
}

/// Checks the object on the server: bytes, ETag, part count, nothing left over.
async fn check_object(server: &MockServer, key: &str, data: &[u8], report: &UploadReport) {
    assert_eq!(
        fetch(server, key).await,
        data,
        "object {key} differs from the file"
    );
    // The GET above may still be finishing on the server; settle first (a stall fault may
    // keep one request open for longer, which holds no blob).
    server.idle(std::time::Duration::from_secs(2)).await;
    let state = server.state();
    let obj = state.object(BUCKET, key).expect("object exists");
    assert_eq!(obj.size, data.len() as u64);
    assert_eq!(obj.etag.trim_matches('"'), report.etag);
    assert_eq!(report.etag, report.expected_etag);
    assert_eq!(obj.parts, Some(report.parts));
    assert_eq!(state.open_uploads(), 0, "no open uploads left");
    assert_eq!(state.orphan_blobs, 0, "no orphan blobs left");
}

async fn roundtrip_sizes(dialect: Dialect, store: Store) {
    let server = server(store, Some(1024)).await;
    let uploader = Uploader::new(config(&server, dialect)).unwrap();
    let p = PART as usize;
    for (i, len) in [0, 1, 1000, p - 1, p, p + 1, 5 * p + 17, 16 * p + 333]
        .into_iter()
        .enumerate()
    {
        let (file, data) = data_file(len, i as u8);
        let key = format!("dir/{dialect}-{len} bytes+odd~name.bin");
        let report = uploader
            .upload_file(file.path(), BUCKET, &key)
            .await
            .unwrap_or_else(|e| panic!("{dialect} {store:?} {len} B: {e}"));
        assert_eq!(report.bytes, len as u64);
        assert_eq!(report.parts as usize, len.div_ceil(p).max(1));
        assert_eq!(report.retries, 0, "{:?}", report.retries_by_cause);
        check_object(&server, &key, &data, &report).await;
    }
}

#[tokio::test]
async fn s3_roundtrip_sizes_memory() {
    roundtrip_sizes(Dialect::S3, Store::Memory).await;
}

#[tokio::test]
async fn s3_roundtrip_sizes_disk() {
    roundtrip_sizes(Dialect::S3, Store::Disk).await;
}

#[tokio::test]
async fn obs_roundtrip_sizes_memory() {
    roundtrip_sizes(Dialect::Obs, Store::Memory).await;
}

#[tokio::test]
async fn obs_roundtrip_sizes_disk() {
    roundtrip_sizes(Dialect::Obs, Store::Disk).await;
}

#[tokio::test]
async fn obs_native_roundtrip_sizes_memory() {
    roundtrip_sizes(Dialect::ObsNative, Store::Memory).await;
}

#[tokio::test]
async fn default_part_size_respects_the_real_s3_minimum() {
    let server = server(Store::Disk, None).await;
    let cfg = UploaderConfig {
        part_size: None,
        ..config(&server, Dialect::S3)
    };
    let (file, data) = data_file(12 * 1024 * 1024 + 5, 9);
    let report = Uploader::new(cfg)
        .unwrap()
        .upload_file(file.path(), BUCKET, "big.bin")
        .await
        .unwrap();
    assert_eq!(report.parts, 2);
    assert!(report.part_size >= 5 * 1024 * 1024);
    check_object(&server, "big.bin", &data, &report).await;
}

#[tokio::test]
async fn checksums_and_payload_modes_are_accepted_and_verified() {
    let server = server(Store::Memory, Some(1024)).await;
    for (i, (checksum, payload, md5)) in [
        (ChecksumChoice::Crc32c, PayloadSigning::Unsigned, true),
        (ChecksumChoice::Crc64Nvme, PayloadSigning::Sha256, false),
        (ChecksumChoice::Sha256, PayloadSigning::Sha256, true),
        (ChecksumChoice::None, PayloadSigning::Sha256, false),
    ]
    .into_iter()
    .enumerate()
    {
        let cfg = UploaderConfig {
            checksum,
            payload_signing: payload,
            content_md5: md5,
            ..config(&server, Dialect::S3)
        };
        let (file, data) = data_file(3 * PART as usize + 99, i as u8);
        let key = format!("sum-{checksum}");
        let report = Uploader::new(cfg)
            .unwrap()
            .upload_file(file.path(), BUCKET, &key)
            .await
            .unwrap_or_else(|e| panic!("{checksum} {payload:?}: {e}"));
        if checksum != ChecksumChoice::None {
            assert!(
                report.object_checksum.is_some(),
                "{checksum}: the object checksum should be echoed and verified"
            );
        }
        check_object(&server, &key, &data, &report).await;
    }
}

#[tokio::test]
async fn wrong_secret_fails_fast_without_leftovers() {
    let server = server(Store::Memory, Some(1024)).await;
    for dialect in [Dialect::S3, Dialect::Obs, Dialect::QingStor] {
        let cfg = UploaderConfig {
            credentials: Credentials::new(credentials(dialect).access_key, "wrong"),
            ..config(&server, dialect)
        };
        let (file, _) = data_file(1000, 1);
        let err = Uploader::new(cfg)
            .unwrap()
            .upload_file(file.path(), BUCKET, "denied")
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                UploadError::Rejected {
                    phase: Phase::Initiate,
                    ..
                }
            ),
            "{dialect}: {err}"
        );
        assert_eq!(err.cleanup(), Some(&Cleanup::NothingStarted));
    }
    assert_eq!(server.state().open_uploads(), 0);
}

#[tokio::test]
async fn missing_bucket_is_rejected_at_initiate() {
    let server = server(Store::Memory, Some(1024)).await;
    let (file, _) = data_file(10, 1);
    let err = Uploader::new(config(&server, Dialect::S3))
        .unwrap()
        .upload_file(file.path(), "no-such-bucket", "k")
        .await
        .unwrap_err();
    let UploadError::Rejected { phase, error, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!(*phase, Phase::Initiate);
    assert_eq!(error.cause.key(), "http_404_NoSuchBucket");
}

#[tokio::test]
async fn mock_faults_are_survived() {
    let server = server(Store::Disk, Some(1024)).await;
    let rules = [
        Fault::error(500, "InternalError")
            .on(OpKind::CreateMultipartUpload)
            .times(1),
        Fault::error(503, "SlowDown")
            .on(OpKind::UploadPart)
            .part(1)
            .times(2),
        Fault::drop_before_body()
            .on(OpKind::UploadPart)
            .part(2)
            .times(1),
        Fault::drop_after_body_bytes(1000)
            .on(OpKind::UploadPart)
            .part(3)
            .times(1),
        Fault::drop_after_commit()
            .on(OpKind::UploadPart)
            .part(4)
            .times(1),
        Fault::bad_etag().on(OpKind::UploadPart).part(5).times(1),
        Fault::error(400, "RequestTimeout")
            .on(OpKind::UploadPart)
            .part(6)
            .times(1),
        Fault::error_in_200()
            .on(OpKind::CompleteMultipartUpload)
            .times(1),
        // Rules that match the same request fire together; the lost answer hits the second
        // complete attempt.
        Fault::drop_after_commit()
            .on(OpKind::CompleteMultipartUpload)
            .nth(2),
    ];
    for r in rules {
        server.fault(r).unwrap();
    }
    let (file, data) = data_file(7 * PART as usize + 1234, 3);
    let report = Uploader::new(config(&server, Dialect::S3))
        .unwrap()
        .upload_file(file.path(), BUCKET, "faulty")
        .await
        .unwrap();
    let by = &report.retries_by_cause;
    assert_eq!(by.get("http_500_InternalError"), Some(&1), "{by:?}");
    assert_eq!(by.get("http_503_SlowDown"), Some(&2), "{by:?}");
    assert_eq!(by.get("http_400_RequestTimeout"), Some(&1), "{by:?}");
    assert_eq!(by.get("etag_mismatch"), Some(&1), "{by:?}");
    assert_eq!(by.get("error_in_200_InternalError"), Some(&1), "{by:?}");
    // The lost answer is resolved either by the retry (the mock answers a repeated complete of
    // a completed upload with its result) or, where the upload is gone, by HEAD.
    let lost: u64 = by
        .iter()
        .filter(|(k, _)| k.starts_with("connection_") && k.ends_with("after_body"))
        .map(|(_, v)| v)
        .sum();
    assert!(lost >= 2, "{by:?}");
    assert_eq!(
        report.attempts.get("complete"),
        Some(&3),
        "{:?}",
        report.attempts
    );
    check_object(&server, "faulty", &data, &report).await;
}

#[tokio::test]
async fn corruption_in_transit_is_caught_and_resent() {
    let server = server(Store::Memory, Some(1024)).await;
    let corrupt = || {
        Fault::new(mock_server::faults::Action::Corrupt { offset: None })
            .on(OpKind::UploadPart)
            .part(2)
            .times(1)
    };
    let (file, data) = data_file(3 * PART as usize, 4);

    // With Content-MD5 the server refuses the damaged part (BadDigest) and it is sent again.
    server.fault(corrupt()).unwrap();
    let report = Uploader::new(config(&server, Dialect::S3))
        .unwrap()
        .upload_file(file.path(), BUCKET, "with-md5")
        .await
        .unwrap();
    assert_eq!(
        report.retries_by_cause.get("http_400_BadDigest"),
        Some(&1),
        "{:?}",
        report.retries_by_cause
    );
    check_object(&server, "with-md5", &data, &report).await;

    // Without Content-MD5 the server stores the damaged bytes and answers their MD5: the ETag
    // check catches it and the part is sent again; the read-back confirms the result.
    server.fault(corrupt()).unwrap();
    let cfg = UploaderConfig {
        content_md5: false,
        verify_readback: true,
        ..config(&server, Dialect::S3)
    };
    let report = Uploader::new(cfg)
        .unwrap()
        .upload_file(file.path(), BUCKET, "without-md5")
        .await
        .unwrap();
    assert_eq!(
        report.retries_by_cause.get("etag_mismatch"),
        Some(&1),
        "{:?}",
        report.retries_by_cause
    );
    assert!(report.verified_readback);
    assert_eq!(report.attempts.get("verify"), Some(&1));
    check_object(&server, "without-md5", &data, &report).await;
}

#[tokio::test]
async fn hopeless_part_error_aborts_and_confirms_nothing_is_left() {
    let server = server(Store::Disk, Some(1024)).await;
    server
        .fault(
            Fault::error(403, "AccessDenied")
                .on(OpKind::UploadPart)
                .part(3),
        )
        .unwrap();
    let (file, _) = data_file(8 * PART as usize, 5);
    let err = Uploader::new(config(&server, Dialect::S3))
        .unwrap()
        .upload_file(file.path(), BUCKET, "aborted")
        .await
        .unwrap_err();
    assert!(
        matches!(err.cleanup(), Some(Cleanup::Aborted { .. })),
        "{err}"
    );
    // A part still in flight at the abort is stored, refused (its upload is gone) and freed
    // by the server a moment later: orphans are a leak only once the server is idle.
    assert!(server.idle(std::time::Duration::from_secs(10)).await);
    let state = server.state();
    assert_eq!(state.open_uploads(), 0);
    assert_eq!(state.orphan_blobs, 0);
    assert!(state.object(BUCKET, "aborted").is_none());
}

#[tokio::test]
async fn checkpoint_resume_sends_only_missing_parts() {
    let server = server(Store::Disk, Some(1024)).await;
    server
        .fault(
            Fault::error(403, "AccessDenied")
                .on(OpKind::UploadPart)
                .part(4)
                .times(1),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = dir.path().join("upload.json");
    let (file, data) = data_file(6 * PART as usize + 10, 6);
    let cfg = UploaderConfig {
        abort_on_failure: false,
        concurrency: 1,
        ..config(&server, Dialect::S3)
    };
    let uploader = Uploader::new(cfg).unwrap();
    let options = UploadOptions {
        resume: None,
        checkpoint: Some(checkpoint.clone()),
    };
    let err = uploader
        .upload_file_with(file.path(), BUCKET, "resumed", options.clone())
        .await
        .unwrap_err();
    assert!(matches!(err.cleanup(), Some(Cleanup::Kept { .. })), "{err}");
    assert!(checkpoint.exists());
    assert_eq!(server.state().open_uploads(), 1);

    let report = uploader
        .upload_file_with(file.path(), BUCKET, "resumed", options)
        .await
        .unwrap();
    assert!(report.resumed);
    assert_eq!(report.parts_reused, 3);
    assert_eq!(report.parts_uploaded, 4);
    assert!(!checkpoint.exists());
    check_object(&server, "resumed", &data, &report).await;
}

#[tokio::test]
async fn memory_budget_holds_on_the_wire() {
    let server = server(Store::Memory, Some(1024)).await;
    let cfg = UploaderConfig {
        concurrency: 16,
        memory_budget: 3 * PART,
        ..config(&server, Dialect::S3)
    };
    let (file, data) = data_file(40 * PART as usize + 7, 7);
    let report = Uploader::new(cfg)
        .unwrap()
        .upload_file(file.path(), BUCKET, "budget")
        .await
        .unwrap();
    assert_eq!(report.effective_concurrency, 3);
    assert!(report.peak_memory_bytes <= 3 * PART);
    check_object(&server, "budget", &data, &report).await;
}

#[tokio::test]
async fn stalled_part_times_out_and_is_resent() {
    let server = server(Store::Memory, Some(1024)).await;
    server
        .fault(Fault::stall().on(OpKind::UploadPart).part(2).times(1))
        .unwrap();
    let mut cfg = config(&server, Dialect::S3);
    // Short enough to keep the test quick, long enough for a loaded machine's healthy parts.
    cfg.timeouts.stall = Duration::from_secs(1);
    cfg.timeouts.first_byte = Duration::from_secs(10);
    // A part larger than socket buffers, so a server that stops reading stalls the upload.
    cfg.part_size = Some(16 * 1024 * 1024);
    cfg.memory_budget = 64 * 1024 * 1024;
    let (file, data) = data_file(2 * 16 * 1024 * 1024 + 5, 8);
    let started = std::time::Instant::now();
    let report = Uploader::new(cfg)
        .unwrap()
        .upload_file(file.path(), BUCKET, "stalled")
        .await
        .unwrap();
    let timeouts: u64 = report
        .retries_by_cause
        .iter()
        .filter(|(k, _)| k.starts_with("timeout_"))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(timeouts, 1, "{:?}", report.retries_by_cause);
    assert_eq!(
        report.retries_by_cause.get("timeout_send_stalled"),
        Some(&1),
        "{:?}",
        report.retries_by_cause
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    check_object(&server, "stalled", &data, &report).await;
}
