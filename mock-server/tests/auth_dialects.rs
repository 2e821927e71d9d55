//! Signature verification over HTTP for every scheme and dialect (PROTOCOLS.md §6): requests
//! signed with `mock_server::auth::{sigv4, sigv2, qs}` pass with the right secret, and fail
//! with a wrong secret, an unknown key, a tampered byte or a stale clock, each with the
//! dialect's own error (S3/OBS XML 403, QingStor JSON 401/403). A refused request changes
//! nothing. Both backends.

mod dialects_common;

use bytes::Bytes;
use dialects_common::*;
use http::{HeaderMap, HeaderValue};
use mock_server::auth::{self, sigv2::HeaderPrefix, Credentials, RequestTarget};
use mock_server::aws_chunked::{self, AwsChunkedEncoder, ChunkSignatureMode};
use mock_server::MockServer;
use std::time::{Duration, SystemTime};

const S3B: &str = "s3-bucket";
const OBSB: &str = "obs-bucket";
const QSB: &str = "qs-bucket";
const OBS_UA: &str = "obs-sdk-python/3.26.6";

async fn start(backend: Backend) -> MockServer {
    backend
        .builder()
        .credentials(AK, SK)
        .credentials(QS_AK, QS_SK)
        .min_part_size(1)
        .bucket(S3B)
        .bucket(OBSB)
        .bucket(QSB)
        .start()
        .await
        .expect("server starts")
}

fn s3_creds() -> Credentials {
    Credentials::new(AK, SK)
}
fn wrong_s3() -> Credentials {
    Credentials::new(AK, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEXXXX")
}
fn unknown_s3() -> Credentials {
    Credentials::new("AKIAUNKNOWNUNKNOWN00", SK)
}
fn qs_creds() -> Credentials {
    Credentials::new(QS_AK, QS_SK)
}

fn assert_xml_error(r: &Resp, status: u16, code: &str, request_id_header: &str) {
    assert_eq!(r.status, status, "status; body {}", r.text());
    assert_eq!(r.xml("Code").as_deref(), Some(code), "{}", r.text());
    assert!(
        r.header(request_id_header).is_some(),
        "{request_id_header} missing"
    );
}

fn assert_qs_error(r: &Resp, status: u16, code: &str) {
    assert_eq!(r.status, status, "status; body {}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    let v = r.json();
    assert_eq!(v["code"], code, "{v}");
    assert_eq!(v["request_id"].as_str(), r.header("x-qs-request-id"));
}

/// Flips one character of the signature in an `Authorization` header value.
fn tamper_authorization(headers: &mut HeaderMap) {
    let v = headers["authorization"].to_str().unwrap().to_string();
    let mut bytes = v.into_bytes();
    let i = bytes.len() - 2;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    headers.insert(
        "authorization",
        HeaderValue::from_bytes(&bytes).expect("still a header value"),
    );
}

/// Everything a refused request could have changed.
fn fingerprint(server: &MockServer) -> String {
    let s = server.state();
    format!("{:?}/{}/{}", s.buckets, s.blob_count, s.blob_bytes)
}

#[tokio::test]
async fn sigv4_header_and_presigned() {
    for backend in BACKENDS {
        let server = start(backend).await;
        let good = Client::new(&server, Signer::V4(s3_creds()));
        let put = |k: &str| Req::new("PUT", &format!("/{S3B}/{k}"), "").body("payload");
        assert_eq!(good.send(put("ok")).await.status, 200);
        assert_eq!(server.state().object(S3B, "ok").map(|o| o.size), Some(7));

        let before = fingerprint(&server);
        let r = Client::new(&server, Signer::V4(wrong_s3()))
            .send(put("bad"))
            .await;
        assert_xml_error(&r, 403, "SignatureDoesNotMatch", "x-amz-request-id");
        let r = Client::new(&server, Signer::V4(unknown_s3()))
            .send(put("bad"))
            .await;
        assert_xml_error(&r, 403, "InvalidAccessKeyId", "x-amz-request-id");
        // a tampered signature byte, and a request changed after signing
        let req = put("bad");
        let mut h = good.signed_headers(&req);
        tamper_authorization(&mut h);
        assert_xml_error(
            &good.send_raw(&req, h).await,
            403,
            "SignatureDoesNotMatch",
            "x-amz-request-id",
        );
        let h = good.signed_headers(&req);
        let changed = Req::new("PUT", &format!("/{S3B}/bad2"), "").body("payload");
        assert_xml_error(
            &good.send_raw(&changed, h).await,
            403,
            "SignatureDoesNotMatch",
            "x-amz-request-id",
        );
        // the body is signed too (hex payload hash)
        let h = good.signed_headers(&req);
        let other_body = put("bad").body("PAYLOAD");
        assert_xml_error(
            &good.send_raw(&other_body, h).await,
            400,
            "XAmzContentSHA256Mismatch",
            "x-amz-request-id",
        );
        // a stale clock
        let mut stale = Client::new(&server, Signer::V4(s3_creds()));
        stale.time = Some(SystemTime::now() - Duration::from_secs(3600));
        assert_xml_error(
            &stale.send(put("bad")).await,
            403,
            "RequestTimeTooSkewed",
            "x-amz-request-id",
        );
        // unsigned
        let r = Client::new(&server, Signer::None).send(put("bad")).await;
        assert_xml_error(&r, 403, "AccessDenied", "x-amz-request-id");
        assert_eq!(
            fingerprint(&server),
            before,
            "refused requests changed nothing"
        );

        // presigned GET (query form)
        let path = format!("/{S3B}/ok");
        let host = format!("127.0.0.1:{}", server.address().port());
        let target = RequestTarget {
            method: "GET",
            raw_path: &path,
            raw_query: "",
            virtual_host_bucket: None,
        };
        let q = auth::sigv4::presign_url(
            &target,
            &host,
            &s3_creds(),
            "us-east-1",
            SystemTime::now(),
            Duration::from_secs(300),
        )
        .unwrap();
        let anon = Client::new(&server, Signer::None);
        let r = anon.send(Req::new("GET", &path, &q)).await;
        assert_eq!((r.status, &r.body[..]), (200, &b"payload"[..]));
        let q_bad = q.replacen("X-Amz-Expires=300", "X-Amz-Expires=301", 1);
        assert_xml_error(
            &anon.send(Req::new("GET", &path, &q_bad)).await,
            403,
            "SignatureDoesNotMatch",
            "x-amz-request-id",
        );
        let q_wrong = auth::sigv4::presign_url(
            &target,
            &host,
            &wrong_s3(),
            "us-east-1",
            SystemTime::now(),
            Duration::from_secs(300),
        )
        .unwrap();
        assert_xml_error(
            &anon.send(Req::new("GET", &path, &q_wrong)).await,
            403,
            "SignatureDoesNotMatch",
            "x-amz-request-id",
        );
    }
}

/// Where to change one byte of an encoded `aws-chunked` body.
#[derive(Debug, Clone, Copy)]
enum Tamper {
    /// A payload byte at this offset of the encoded body (flipped).
    Data(usize),
    /// The last hex digit of the final signature (last chunk's, or the trailer's).
    LastSignature,
}

/// A PUT with a signed `aws-chunked` body; `tamper` changes one byte of the encoded body,
/// `trailer` adds a signed CRC32 trailer.
async fn streaming_put(
    server: &MockServer,
    key: &str,
    creds: &Credentials,
    tamper: Option<Tamper>,
    trailer: bool,
) -> Resp {
    let payload = data(70_000, 9);
    let path = format!("/{S3B}/{key}");
    let host = format!("127.0.0.1:{}", server.address().port());
    let marker = if trailer {
        auth::PayloadHash::STREAMING_SIGNED_TRAILER
    } else {
        auth::PayloadHash::STREAMING_SIGNED
    };
    let crc = mock_server::checksum::Checksum::compute(
        mock_server::checksum::ChecksumAlgorithm::Crc32,
        &payload,
    )
    .to_base64();
    let trailers: Vec<(&str, &str)> = if trailer {
        vec![("x-amz-checksum-crc32", crc.as_str())]
    } else {
        Vec::new()
    };
    let chunks = [65_536usize, payload.len() - 65_536];
    let encoded_len = aws_chunked::encoded_len(chunks.iter().map(|c| *c as u64), true, &trailers);
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_str(&host).unwrap());
    headers.insert("content-encoding", HeaderValue::from_static("aws-chunked"));
    headers.insert(
        "x-amz-decoded-content-length",
        HeaderValue::from_str(&payload.len().to_string()).unwrap(),
    );
    headers.insert(
        "content-length",
        HeaderValue::from_str(&encoded_len.to_string()).unwrap(),
    );
    if trailer {
        headers.insert(
            "x-amz-trailer",
            HeaderValue::from_static("x-amz-checksum-crc32"),
        );
    }
    let target = RequestTarget {
        method: "PUT",
        raw_path: &path,
        raw_query: "",
        virtual_host_bucket: None,
    };
    let signer = auth::sigv4::sign(
        &target,
        &mut headers,
        marker,
        creds,
        "us-east-1",
        SystemTime::now(),
    )
    .unwrap();
    let mut enc = AwsChunkedEncoder::new(ChunkSignatureMode::Signed(signer));
    let mut body = Vec::new();
    let mut at = 0;
    for c in chunks {
        for piece in enc.encode_chunk(Bytes::copy_from_slice(&payload[at..at + c])) {
            body.extend_from_slice(&piece);
        }
        at += c;
    }
    body.extend_from_slice(&enc.finish(&trailers));
    assert_eq!(body.len() as u64, encoded_len);
    match tamper {
        None => {}
        Some(Tamper::Data(i)) => body[i] ^= 0x01,
        Some(Tamper::LastSignature) => {
            // the body ends "...{signature}\r\n\r\n"; keep the digit a hex digit
            let i = body.len() - 5;
            body[i] = if body[i] == b'0' { b'1' } else { b'0' };
        }
    }
    headers.remove("content-length"); // reqwest sets it from the body
    let req = Req::new("PUT", &path, "").body(body);
    Client::new(server, Signer::None)
        .send_raw(&req, headers)
        .await
}

#[tokio::test]
async fn sigv4_streaming_chunk_signatures_and_signed_trailer() {
    for backend in BACKENDS {
        let server = start(backend).await;
        for trailer in [false, true] {
            let key = format!("chunked-{trailer}");
            let r = streaming_put(&server, &key, &s3_creds(), None, trailer).await;
            assert_eq!(r.status, 200, "trailer={trailer}: {}", r.text());
            let st = server.state();
            let o = st.object(S3B, &key).expect("stored");
            assert_eq!(
                (o.size, o.etag.clone()),
                (70_000, md5_hex(&data(70_000, 9)))
            );
            let before = fingerprint(&server);
            // a byte of the second chunk's data (first chunk: 88-byte header, 65,536 bytes,
            // CRLF; then the second 88-byte header), and the final signature
            let bad = format!("bad-{trailer}");
            for t in [Tamper::Data(65_626 + 88 + 200), Tamper::LastSignature] {
                let r = streaming_put(&server, &bad, &s3_creds(), Some(t), trailer).await;
                assert_xml_error(&r, 403, "SignatureDoesNotMatch", "x-amz-request-id");
            }
            let r = streaming_put(&server, &bad, &wrong_s3(), None, trailer).await;
            assert_xml_error(&r, 403, "SignatureDoesNotMatch", "x-amz-request-id");
            assert_eq!(
                fingerprint(&server),
                before,
                "refused uploads stored nothing"
            );
        }
    }
}

#[tokio::test]
async fn sigv4_with_date_header_as_obsclient_v4_sends_it() {
    // ObsClient(signature="v4"): no X-Amz-Date, the signed time is the Date header, region
    // literally "region", UNSIGNED-PAYLOAD.
    for backend in BACKENDS {
        let server = start(backend).await;
        let host = format!("127.0.0.1:{}", server.address().port());
        let path = format!("/{OBSB}/v4.bin");
        let build = |secret: &str, body_hash: &str| {
            let now = SystemTime::now();
            let date = httpdate::fmt_http_date(now);
            let amz_date = auth::clock::format_amz_date(now).unwrap();
            let mut h = HeaderMap::new();
            h.insert("content-length", HeaderValue::from_static("5"));
            h.insert("date", HeaderValue::from_str(&date).unwrap());
            h.insert("host", HeaderValue::from_str(&host).unwrap());
            h.insert(
                "x-amz-content-sha256",
                HeaderValue::from_str(body_hash).unwrap(),
            );
            let signed = ["content-length", "date", "host", "x-amz-content-sha256"];
            let creq = auth::sigv4::canonical_request("PUT", &path, "", &h, &signed, body_hash);
            let scope = format!("{}/region/s3/aws4_request", &amz_date[..8]);
            let key = auth::sigv4::signing_key(secret, &amz_date[..8], "region", "s3");
            let sig = auth::sigv4::signature(
                &key,
                &auth::sigv4::string_to_sign(&amz_date, &scope, &creq),
            );
            h.insert(
                "authorization",
                HeaderValue::from_str(&format!(
                    "AWS4-HMAC-SHA256 Credential={AK}/{scope},SignedHeaders={},Signature={sig}",
                    signed.join(";")
                ))
                .unwrap(),
            );
            h.insert("user-agent", HeaderValue::from_static(OBS_UA));
            h.remove("content-length");
            h
        };
        let c = Client::new(&server, Signer::None);
        let req = Req::new("PUT", &path, "").body("hello");
        let r = c.send_raw(&req, build(SK, "UNSIGNED-PAYLOAD")).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(
            server.state().object(OBSB, "v4.bin").map(|o| o.size),
            Some(5)
        );
        let r = c
            .send_raw(&req, build("not-the-secret", "UNSIGNED-PAYLOAD"))
            .await;
        assert_xml_error(&r, 403, "SignatureDoesNotMatch", "x-amz-request-id");
    }
}

#[tokio::test]
async fn sigv2_header_and_query_obs_compatible_mode() {
    for backend in BACKENDS {
        let server = start(backend).await;
        let req = |k: &str| {
            Req::new("POST", &format!("/{OBSB}/{k}"), "uploads")
                .header("User-Agent", OBS_UA)
                .header("Content-Type", "text/plain")
        };
        let good = Client::new(&server, Signer::V2(HeaderPrefix::Amz, s3_creds()));
        let r = good.send(req("ok")).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let uid = r.xml("UploadId").unwrap();
        let before = fingerprint(&server);
        let r = Client::new(&server, Signer::V2(HeaderPrefix::Amz, wrong_s3()))
            .send(req("bad"))
            .await;
        assert_xml_error(&r, 403, "SignatureDoesNotMatch", "x-amz-request-id");
        let r = Client::new(&server, Signer::V2(HeaderPrefix::Amz, unknown_s3()))
            .send(req("bad"))
            .await;
        assert_xml_error(&r, 403, "InvalidAccessKeyId", "x-amz-request-id");
        let r0 = req("bad");
        let mut h = good.signed_headers(&r0);
        tamper_authorization(&mut h);
        assert_xml_error(
            &good.send_raw(&r0, h).await,
            403,
            "SignatureDoesNotMatch",
            "x-amz-request-id",
        );
        // Content-Type is signed
        let mut h = good.signed_headers(&r0);
        h.insert("content-type", HeaderValue::from_static("text/html"));
        assert_xml_error(
            &good.send_raw(&r0, h).await,
            403,
            "SignatureDoesNotMatch",
            "x-amz-request-id",
        );
        // a refused abort leaves the upload open
        let abort = Req::new("DELETE", &format!("/{OBSB}/ok"), &format!("uploadId={uid}"))
            .header("User-Agent", OBS_UA);
        let r = Client::new(&server, Signer::V2(HeaderPrefix::Amz, wrong_s3()))
            .send(abort.clone())
            .await;
        assert_xml_error(&r, 403, "SignatureDoesNotMatch", "x-amz-request-id");
        assert_eq!(
            fingerprint(&server),
            before,
            "refused requests changed nothing"
        );
        assert_eq!(good.send(abort).await.status, 204);

        // query form: AWSAccessKeyId / Expires / Signature
        assert_eq!(
            good.send(
                Req::new("PUT", &format!("/{OBSB}/q"), "")
                    .header("User-Agent", OBS_UA)
                    .body("q")
            )
            .await
            .status,
            200
        );
        let path = format!("/{OBSB}/q");
        let target = RequestTarget {
            method: "GET",
            raw_path: &path,
            raw_query: "",
            virtual_host_bucket: None,
        };
        let expires = SystemTime::now() + Duration::from_secs(300);
        let q = auth::sigv2::presign_query(
            &target,
            &HeaderMap::new(),
            &s3_creds(),
            HeaderPrefix::Amz,
            expires,
        )
        .unwrap();
        let anon = Client::new(&server, Signer::None);
        let r = anon.send(Req::new("GET", &path, &q)).await;
        assert_eq!((r.status, &r.body[..]), (200, &b"q"[..]));
        let q = auth::sigv2::presign_query(
            &target,
            &HeaderMap::new(),
            &wrong_s3(),
            HeaderPrefix::Amz,
            expires,
        )
        .unwrap();
        assert_xml_error(
            &anon.send(Req::new("GET", &path, &q)).await,
            403,
            "SignatureDoesNotMatch",
            "x-amz-request-id",
        );
        let past = SystemTime::now() - Duration::from_secs(10);
        let q = auth::sigv2::presign_query(
            &target,
            &HeaderMap::new(),
            &s3_creds(),
            HeaderPrefix::Amz,
            past,
        )
        .unwrap();
        assert_xml_error(
            &anon.send(Req::new("GET", &path, &q)).await,
            403,
            "AccessDenied",
            "x-amz-request-id",
        );
    }
}

#[tokio::test]
async fn obs_native_signature_with_virtual_host_bucket() {
    for backend in BACKENDS {
        let server = start(backend).await;
        // the probe stays unsigned even with auth on
        let r = Client::new(&server, Signer::None)
            .send(
                Req::new("HEAD", "/", "apiversion")
                    .vhost(OBSB, "localhost")
                    .header("User-Agent", OBS_UA),
            )
            .await;
        assert_eq!((r.status, r.header("x-obs-api")), (200, Some("3.0")));
        let req = |k: &str| {
            Req::new("PUT", &format!("/{k}"), "")
                .vhost(OBSB, "localhost")
                .header("User-Agent", OBS_UA)
                .header("x-obs-meta-color", "blue")
                .body("native")
        };
        let good = Client::new(&server, Signer::V2(HeaderPrefix::Obs, s3_creds()));
        let r = good.send(req("ok")).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.header("x-obs-request-id").is_some());
        let before = fingerprint(&server);
        let r = Client::new(&server, Signer::V2(HeaderPrefix::Obs, wrong_s3()))
            .send(req("bad"))
            .await;
        assert_xml_error(&r, 403, "SignatureDoesNotMatch", "x-obs-request-id");
        let r = Client::new(&server, Signer::V2(HeaderPrefix::Obs, unknown_s3()))
            .send(req("bad"))
            .await;
        assert_xml_error(&r, 403, "InvalidAccessKeyId", "x-obs-request-id");
        // x-obs- headers are signed
        let r0 = req("bad");
        let mut h = good.signed_headers(&r0);
        h.insert("x-obs-meta-color", HeaderValue::from_static("red"));
        assert_xml_error(
            &good.send_raw(&r0, h).await,
            403,
            "SignatureDoesNotMatch",
            "x-obs-request-id",
        );
        // signed without the bucket in the resource (as if path-style): refused
        let mut no_vhost = r0.clone();
        no_vhost.vhost_bucket = None;
        let h = good.signed_headers(&no_vhost);
        assert_xml_error(
            &good.send_raw(&r0, h).await,
            403,
            "SignatureDoesNotMatch",
            "x-obs-request-id",
        );
        assert_eq!(fingerprint(&server), before);
        // bucket-level request on the virtual host: resource "/obs-bucket/"
        let r = good
            .send(
                Req::new("GET", "/", "uploads")
                    .vhost(OBSB, "localhost")
                    .header("User-Agent", OBS_UA),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        // path-style OBS signature works too
        let r = good
            .send(Req::new("GET", &format!("/{OBSB}/ok"), "").header("User-Agent", OBS_UA))
            .await;
        assert_eq!((r.status, &r.body[..]), (200, &b"native"[..]));
        // OBS query form: AccessKeyId / Expires / Signature
        let path = "/ok";
        let target = RequestTarget {
            method: "GET",
            raw_path: path,
            raw_query: "",
            virtual_host_bucket: Some(OBSB),
        };
        let expires = SystemTime::now() + Duration::from_secs(300);
        let anon = Client::new(&server, Signer::None);
        let q = auth::sigv2::presign_query(
            &target,
            &HeaderMap::new(),
            &s3_creds(),
            HeaderPrefix::Obs,
            expires,
        )
        .unwrap();
        let r = anon
            .send(Req::new("GET", path, &q).vhost(OBSB, "localhost"))
            .await;
        assert_eq!(
            (r.status, &r.body[..]),
            (200, &b"native"[..]),
            "{}",
            r.text()
        );
        let q = auth::sigv2::presign_query(
            &target,
            &HeaderMap::new(),
            &wrong_s3(),
            HeaderPrefix::Obs,
            expires,
        )
        .unwrap();
        let r = anon
            .send(Req::new("GET", path, &q).vhost(OBSB, "localhost"))
            .await;
        assert_xml_error(&r, 403, "SignatureDoesNotMatch", "x-obs-request-id");
    }
}

#[tokio::test]
async fn qingstor_signatures_and_json_auth_errors() {
    for backend in BACKENDS {
        let server = start(backend).await;
        let req = |k: &str| {
            Req::new("POST", &format!("/{QSB}/{k}"), "uploads")
                .header("Content-Type", "application/octet-stream")
        };
        let good = Client::new(&server, Signer::Qs(qs_creds()));
        let r = good.send(req("ok")).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let uid = r.json()["upload_id"].as_str().unwrap().to_string();
        let before = fingerprint(&server);
        let wrong = Credentials::new(QS_AK, "SECRETACCESSKEY0EXAMPLE0QINGSTOR0XXXXXX");
        let r = Client::new(&server, Signer::Qs(wrong.clone()))
            .send(req("bad"))
            .await;
        assert_qs_error(&r, 401, "signature_not_matched");
        let r = Client::new(
            &server,
            Signer::Qs(Credentials::new("QYUNKNOWNUNKNOWNUNKN", QS_SK)),
        )
        .send(req("bad"))
        .await;
        assert_qs_error(&r, 401, "invalid_access_key_id");
        let r0 = req("bad");
        let mut h = good.signed_headers(&r0);
        tamper_authorization(&mut h);
        assert_qs_error(&good.send_raw(&r0, h).await, 401, "signature_not_matched");
        // x-qs- headers are signed
        let mut h = good.signed_headers(&r0);
        h.insert("x-qs-meta-color", HeaderValue::from_static("red"));
        assert_qs_error(&good.send_raw(&r0, h).await, 401, "signature_not_matched");
        let mut stale = Client::new(&server, Signer::Qs(qs_creds()));
        stale.time = Some(SystemTime::now() - Duration::from_secs(3600));
        assert_qs_error(&stale.send(req("bad")).await, 403, "request_expired");
        // a QingStor-spelled request without a signature
        let r = Client::new(&server, Signer::None)
            .send(Req::new(
                "GET",
                &format!("/{QSB}/ok"),
                &format!("upload_id={uid}"),
            ))
            .await;
        assert_qs_error(&r, 403, "permission_denied");
        // refused part upload, complete and abort
        let part = Req::new(
            "PUT",
            &format!("/{QSB}/ok"),
            &format!("part_number=0&upload_id={uid}"),
        )
        .header("Content-Type", "application/octet-stream")
        .body("part zero");
        let r = Client::new(&server, Signer::Qs(wrong.clone()))
            .send(part.clone())
            .await;
        assert_qs_error(&r, 401, "signature_not_matched");
        let abort = Req::new("DELETE", &format!("/{QSB}/ok"), &format!("upload_id={uid}"))
            .header("Content-Type", "application/octet-stream");
        let r = Client::new(&server, Signer::Qs(wrong.clone()))
            .send(abort.clone())
            .await;
        assert_qs_error(&r, 401, "signature_not_matched");
        assert_eq!(
            fingerprint(&server),
            before,
            "refused requests changed nothing"
        );
        assert_eq!(good.send(part).await.status, 201);
        let complete = Req::new("POST", &format!("/{QSB}/ok"), &format!("upload_id={uid}"))
            .header("Content-Type", "application/json")
            .body(r#"{"object_parts": [{"part_number": 0}]}"#);
        let r = Client::new(&server, Signer::Qs(wrong.clone()))
            .send(complete.clone())
            .await;
        assert_qs_error(&r, 401, "signature_not_matched");
        assert!(server.state().object(QSB, "ok").is_none());
        assert_eq!(good.send(complete).await.status, 201);

        // zone in the host and absolute-form targets are not part of the signature
        let r = good
            .send(req("zone").host("pek3b.127.0.0.1").proxied())
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let r = good.send(req("zone").host("pek3b.localhost")).await;
        assert_eq!(r.status, 200, "{}", r.text());
        // virtual host: the bucket is in the canonical resource
        let vreq = Req::new("GET", "/ok", "")
            .vhost(QSB, "pek3b.localhost")
            .header("Content-Type", "application/octet-stream");
        let r = good.send(vreq.clone()).await;
        assert_eq!(
            (r.status, &r.body[..]),
            (200, &b"part zero"[..]),
            "{}",
            r.text()
        );
        let mut no_vhost = vreq.clone();
        no_vhost.vhost_bucket = None;
        let h = good.signed_headers(&no_vhost);
        assert_qs_error(&good.send_raw(&vreq, h).await, 401, "signature_not_matched");

        // query form: access_key_id / expires / signature
        let path = format!("/{QSB}/ok");
        let target = RequestTarget {
            method: "GET",
            raw_path: &path,
            raw_query: "",
            virtual_host_bucket: None,
        };
        let anon = Client::new(&server, Signer::None);
        let expires = SystemTime::now() + Duration::from_secs(300);
        let q = auth::qs::presign_query(&target, &HeaderMap::new(), &qs_creds(), expires).unwrap();
        let r = anon.send(Req::new("GET", &path, &q)).await;
        assert_eq!(
            (r.status, &r.body[..]),
            (200, &b"part zero"[..]),
            "{}",
            r.text()
        );
        let q = auth::qs::presign_query(&target, &HeaderMap::new(), &wrong, expires).unwrap();
        assert_qs_error(
            &anon.send(Req::new("GET", &path, &q)).await,
            401,
            "signature_not_matched",
        );
        let q = auth::qs::presign_query(
            &target,
            &HeaderMap::new(),
            &qs_creds(),
            SystemTime::now() - Duration::from_secs(10),
        )
        .unwrap();
        assert_qs_error(
            &anon.send(Req::new("GET", &path, &q)).await,
            403,
            "request_expired",
        );
    }
}

#[tokio::test]
async fn without_keys_any_credentials_pass() {
    let server = MockServer::builder()
        .memory()
        .bucket(S3B)
        .bucket(QSB)
        .start()
        .await
        .unwrap();
    let r = Client::new(&server, Signer::V4(wrong_s3()))
        .send(Req::new("PUT", &format!("/{S3B}/a"), "").body("a"))
        .await;
    assert_eq!(r.status, 200);
    let r = Client::new(&server, Signer::Qs(Credentials::new("anything", "else")))
        .send(
            Req::new("PUT", &format!("/{QSB}/a"), "")
                .header("Content-Type", "text/plain")
                .body("a"),
        )
        .await;
    assert_eq!(r.status, 201);
    let r = Client::new(&server, Signer::None)
        .send(Req::new("GET", &format!("/{S3B}/a"), ""))
        .await;
    assert_eq!(r.status, 200);
}
