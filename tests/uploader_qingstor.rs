//! The reference uploader in the QingStor dialect against the mock server (signatures
//! verified): files from 0 bytes to well past a few parts, both stores, fetched back byte for
//! byte; a fault on a part; resume. Needs the mock's QingStor dialect.

use std::io::Write;
use std::time::{Duration, SystemTime};

use http::header::HOST;
use http::{HeaderMap, HeaderValue};
use mock_server::auth::{qs, Credentials as AuthCredentials, RequestTarget};
use mock_server::faults::Fault;
use mock_server::ops::OpKind;
use mock_server::MockServer;
use multipart_harness::uploader::{
    Backoff, Cleanup, Credentials, Dialect, UploadOptions, Uploader, UploaderConfig,
};

const AK: &str = "QYACCESSKEYIDEXAMPLE";
const SK: &str = "SECRETACCESSKEY0EXAMPLE0QINGSTOR0SECRET";
const BUCKET: &str = "qs-bucket";
const PART: u64 = 64 * 1024;

async fn server(memory: bool) -> MockServer {
    let mut b = MockServer::builder()
        .credentials(AK, SK)
        .bucket(BUCKET)
        .min_part_size(1024);
    if memory {
        b = b.memory();
    }
    b.start().await.expect("mock server starts")
}

fn config(server: &MockServer) -> UploaderConfig {
    UploaderConfig {
        part_size: Some(PART),
        concurrency: 4,
        max_attempts: 4,
        backoff: Backoff {
            initial: Duration::from_millis(5),
            max: Duration::from_millis(50),
            ..Backoff::default()
        },
        ..UploaderConfig::new(
            server.endpoint(),
            Dialect::QingStor,
            Credentials::new(AK, SK),
        )
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

/// GET the object back over HTTP, signed the QingStor way.
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
    qs::sign(
        &target,
        &mut headers,
        &AuthCredentials::new(AK, SK),
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

async fn assert_clean(server: &MockServer) {
    server.idle(std::time::Duration::from_secs(2)).await;
    let state = server.state();
    assert_eq!(state.open_uploads(), 0, "no open uploads left");
    assert_eq!(state.orphan_blobs, 0, "no orphan blobs left");
}

async fn roundtrip_sizes(memory: bool) {
    let server = server(memory).await;
    let uploader = Uploader::new(config(&server)).unwrap();
    let p = PART as usize;
    for (i, len) in [0, 1, 1000, p - 1, p, p + 1, 5 * p + 17, 16 * p + 333]
        .into_iter()
        .enumerate()
    {
        let (file, data) = data_file(len, i as u8);
        let key = format!("dir/qs-{len} bytes.bin");
        let report = uploader
            .upload_file(file.path(), BUCKET, &key)
            .await
            .unwrap_or_else(|e| panic!("qingstor {len} B: {e}"));
        assert_eq!(report.parts as usize, len.div_ceil(p).max(1));
        assert_eq!(report.etag, report.expected_etag);
        let fetched = fetch(&server, &key).await;
        assert!(fetched == data, "object {key} differs from the file");
        let state = server.state();
        let obj = state.object(BUCKET, &key).expect("object exists");
        assert_eq!(obj.size, len as u64);
    }
    assert_clean(&server).await;
}

#[tokio::test]
async fn qingstor_roundtrip_sizes_memory() {
    roundtrip_sizes(true).await;
}

#[tokio::test]
async fn qingstor_roundtrip_sizes_disk() {
    roundtrip_sizes(false).await;
}

#[tokio::test]
async fn qingstor_faults_and_resume() {
    let server = server(true).await;
    server
        .fault(
            Fault::error(503, "service_unavailable")
                .on(OpKind::UploadPart)
                .part(0)
                .times(1),
        )
        .unwrap();
    server
        .fault(
            Fault::error(403, "permission_denied")
                .on(OpKind::UploadPart)
                .part(3)
                .times(1),
        )
        .unwrap();
    let (file, data) = data_file(5 * PART as usize + 3, 9);
    let cfg = UploaderConfig {
        abort_on_failure: false,
        concurrency: 1,
        ..config(&server)
    };
    let uploader = Uploader::new(cfg).unwrap();
    let err = uploader
        .upload_file(file.path(), BUCKET, "resumed")
        .await
        .unwrap_err();
    let Some(Cleanup::Kept { upload_id }) = err.cleanup().cloned() else {
        panic!("upload should be kept: {err}");
    };
    let report = uploader
        .upload_file_with(
            file.path(),
            BUCKET,
            "resumed",
            UploadOptions {
                resume: Some(upload_id),
                checkpoint: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(report.parts_reused, 3, "parts 0, 1, 2 were on the server");
    assert_eq!(report.parts_uploaded, 3);
    let fetched = fetch(&server, "resumed").await;
    assert!(fetched == data, "object differs from the file");
    assert_clean(&server).await;
}
