//! Codec tests: request shapes per dialect, answer parsing (including hostile and odd
//! answers), and every signature checked with `mock_server::auth::verify`, the verifier the mock
//! itself uses.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::HOST;
use http::{HeaderMap, HeaderValue, StatusCode};
use mock_server::auth::{verify, Scheme, SignableRequest, StaticCredentials};

use super::{for_config, Codec, WireRequest, WireResponse};
use crate::uploader::config::{ChecksumChoice, Credentials, Dialect, UploaderConfig};
use crate::uploader::failure::Cause;
use crate::uploader::integrity::{DigestOptions, PartData};
use crate::uploader::plan::PartRange;
use crate::uploader::remote::{CompleteRequest, CompletedPart, UploadRef};

const AK: &str = "AKIAIOSFODNN7EXAMPLE";
const SK: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

fn codec(dialect: Dialect, checksum: ChecksumChoice) -> Box<dyn Codec> {
    let cfg = UploaderConfig {
        checksum,
        ..UploaderConfig::new("http://127.0.0.1:9000", dialect, Credentials::new(AK, SK))
    };
    for_config(&cfg).unwrap()
}

fn upload() -> UploadRef {
    UploadRef {
        bucket: "bkt".into(),
        key: "dir/a b+c.bin".into(),
        upload_id: "UP/1=x".into(),
    }
}

fn part(data: &'static [u8], checksum: ChecksumChoice) -> PartData {
    PartData::new(
        PartRange {
            index: 0,
            offset: 0,
            len: data.len() as u64,
        },
        Bytes::from_static(data),
        DigestOptions {
            checksum,
            sha256_payload: false,
        },
    )
}

fn answer(status: u16, headers: &[(&'static str, &str)], body: &str) -> WireResponse {
    let mut h = HeaderMap::new();
    for (n, v) in headers {
        h.insert(*n, HeaderValue::from_str(v).unwrap());
    }
    WireResponse {
        status: StatusCode::from_u16(status).unwrap(),
        headers: h,
        body: Bytes::copy_from_slice(body.as_bytes()),
    }
}

/// Signs like the transport does and verifies with the mock's verifier.
fn sign_and_verify(codec: &dyn Codec, mut req: WireRequest, expect: Scheme) {
    req.headers
        .insert(HOST, HeaderValue::from_static("127.0.0.1:9000"));
    let now = SystemTime::now();
    codec.sign(&mut req, now).unwrap();
    let creds = StaticCredentials::new(vec![mock_server::auth::Credentials::new(AK, SK)]);
    let signable = SignableRequest {
        method: req.method.as_str(),
        raw_path: &req.path,
        raw_query: &req.query,
        headers: &req.headers,
        virtual_host_bucket: None,
    };
    let verified = verify(&signable, &creds, now + Duration::from_secs(1))
        .unwrap_or_else(|e| panic!("{} {}?{}: {e}", req.method, req.path, req.query));
    assert_eq!(verified.scheme, expect);
    // A different secret must not verify.
    let wrong = StaticCredentials::new(vec![mock_server::auth::Credentials::new(AK, "other")]);
    assert!(verify(&signable, &wrong, now).is_err());
}

#[test]
fn every_request_of_every_dialect_verifies_with_the_mock() {
    for (dialect, scheme) in [
        (Dialect::S3, Scheme::SigV4),
        (Dialect::Obs, Scheme::AwsV2),
        (Dialect::ObsNative, Scheme::Obs),
        (Dialect::QingStor, Scheme::Qs),
    ] {
        let c = codec(dialect, ChecksumChoice::None);
        let up = upload();
        let complete = CompleteRequest {
            parts: vec![CompletedPart {
                number: 1,
                etag: "\"5d41402abc4b2a76b9719d911017c592\"".into(),
                checksum: None,
            }],
            expected_etag: "abc-1".into(),
            checksum: ChecksumChoice::None,
        };
        for req in [
            c.initiate("bkt", "dir/a b+c.bin"),
            c.upload_part(&up, 3, &part(b"hello", ChecksumChoice::None)),
            c.list_parts(&up, Some(7)),
            c.complete(&up, &complete).unwrap(),
            c.abort(&up),
            c.head("bkt", "dir/a b+c.bin"),
            c.get_object("bkt", "dir/a b+c.bin"),
        ] {
            sign_and_verify(c.as_ref(), req, scheme);
        }
    }
}

#[test]
fn s3_requests_have_the_documented_shape() {
    let c = codec(Dialect::S3, ChecksumChoice::Crc32c);
    let up = upload();
    let init = c.initiate("bkt", "dir/a b+c.bin");
    assert_eq!(init.method, http::Method::POST);
    assert_eq!(init.path, "/bkt/dir/a%20b%2Bc.bin");
    assert_eq!(init.query, "uploads");
    assert_eq!(init.headers["x-amz-checksum-algorithm"], "CRC32C");

    let p = part(b"hello", ChecksumChoice::Crc32c);
    let req = c.upload_part(&up, 3, &p);
    assert_eq!(req.query, "partNumber=3&uploadId=UP%2F1%3Dx");
    assert_eq!(req.headers["content-md5"], "XUFAKrxLKna5cZ2REBfFkg==");
    assert_eq!(
        req.headers["x-amz-checksum-crc32c"],
        p.checksum.clone().unwrap().as_str()
    );
    assert_eq!(req.payload_hash.as_deref(), Some("UNSIGNED-PAYLOAD"));
    assert_eq!(&req.body[..], b"hello");

    let complete = CompleteRequest {
        parts: vec![
            CompletedPart {
                number: 1,
                etag: "\"e1\"".into(),
                checksum: Some("AAAAAA==".into()),
            },
            CompletedPart {
                number: 2,
                etag: "\"e2\"".into(),
                checksum: Some("AAAAAQ==".into()),
            },
        ],
        expected_etag: "x-2".into(),
        checksum: ChecksumChoice::Crc32c,
    };
    let req = c.complete(&up, &complete).unwrap();
    let body = String::from_utf8(req.body.to_vec()).unwrap();
    assert!(body.contains("<Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag><ChecksumCRC32C>AAAAAA==</ChecksumCRC32C></Part>")
        || body.contains("<Part><PartNumber>1</PartNumber><ETag>\"e1\"</ETag><ChecksumCRC32C>AAAAAA==</ChecksumCRC32C></Part>"), "{body}");
    assert!(body.find("<PartNumber>1<").unwrap() < body.find("<PartNumber>2<").unwrap());
    assert!(!req.headers.contains_key("content-type"));
}

#[test]
fn s3_answers_are_parsed_and_errors_classified() {
    let c = codec(Dialect::S3, ChecksumChoice::Crc32c);
    let ok = c
        .parse_upload_part(&answer(
            200,
            &[("etag", "\"abc\""), ("x-amz-checksum-crc32c", "q5V7Gw==")],
            "",
        ))
        .unwrap();
    assert_eq!(ok.etag, "\"abc\"");
    assert_eq!(ok.checksum.as_deref(), Some("q5V7Gw=="));
    let no_etag = c.parse_upload_part(&answer(200, &[], "")).unwrap_err();
    assert_eq!(no_etag.cause, Cause::Malformed);

    let slow = c
        .parse_upload_part(&answer(
            503,
            &[("x-amz-request-id", "R9"), ("retry-after", "3")],
            "<Error><Code>SlowDown</Code><Message>Reduce your rate</Message></Error>",
        ))
        .unwrap_err();
    assert_eq!(slow.cause.key(), "http_503_SlowDown");
    assert_eq!(slow.message, "Reduce your rate");
    assert_eq!(slow.request_id.as_deref(), Some("R9"));
    assert_eq!(slow.retry_after, Some(Duration::from_secs(3)));
    assert!(slow.is_retryable());

    // The S3 complete quirk: 200 with an <Error> document.
    let quirk = c
        .parse_complete(&answer(
            200,
            &[],
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message><RequestId>RQ</RequestId></Error>",
        ))
        .unwrap_err();
    assert_eq!(
        quirk.cause,
        Cause::ErrorInOk {
            code: "InternalError".into()
        }
    );
    assert_eq!(quirk.request_id.as_deref(), Some("RQ"));
    assert!(quirk.is_retryable());

    let done = c
        .parse_complete(&answer(
            200,
            &[],
            "<CompleteMultipartUploadResult><Location>l</Location><Bucket>b</Bucket><Key>k</Key><ETag>&quot;abc-2&quot;</ETag><ChecksumCRC32C>q5V7Gw==-2</ChecksumCRC32C></CompleteMultipartUploadResult>",
        ))
        .unwrap();
    assert_eq!(done.etag.as_deref(), Some("\"abc-2\""));
    assert_eq!(done.checksum.as_deref(), Some("q5V7Gw==-2"));

    // Garbage and hostile bodies are malformed (retryable), never a panic.
    for body in [
        "",
        "not xml",
        "<!DOCTYPE x [<!ENTITY a 'b'>]><CompleteMultipartUploadResult/>",
    ] {
        let e = c.parse_complete(&answer(200, &[], body)).unwrap_err();
        assert_eq!(e.cause, Cause::Malformed, "{body:?}");
    }

    let page = c
        .parse_list_parts(&answer(
            200,
            &[],
            "<ListPartsResult><IsTruncated>true</IsTruncated><NextPartNumberMarker>2</NextPartNumberMarker>\
             <Part><PartNumber>1</PartNumber><ETag>\"a\"</ETag><Size>5</Size></Part>\
             <Part><PartNumber>2</PartNumber><ETag>\"b\"</ETag><Size>6</Size><ChecksumCRC32C>AAAAAA==</ChecksumCRC32C></Part></ListPartsResult>",
        ))
        .unwrap();
    assert_eq!(page.next_marker, Some(2));
    assert_eq!(page.parts.len(), 2);
    assert_eq!(page.parts[1].size, 6);
    assert_eq!(page.parts[1].checksum.as_deref(), Some("AAAAAA=="));
    let bad = c
        .parse_list_parts(&answer(
            200,
            &[],
            "<ListPartsResult><Part><PartNumber>-4</PartNumber><ETag>\"a\"</ETag><Size>5</Size></Part></ListPartsResult>",
        ))
        .unwrap_err();
    assert_eq!(bad.cause, Cause::Malformed);

    assert_eq!(c.parse_head(&answer(404, &[], "")).unwrap(), None);
    let head = c
        .parse_head(&answer(
            200,
            &[("content-length", "42"), ("etag", "\"e-3\"")],
            "",
        ))
        .unwrap()
        .unwrap();
    assert_eq!((head.size, head.etag.as_deref()), (42, Some("\"e-3\"")));
    let denied = c.parse_head(&answer(403, &[], "")).unwrap_err();
    assert_eq!(denied.cause.key(), "http_403");
    assert!(!denied.is_retryable());
    assert!(c.parse_abort(&answer(204, &[], "")).is_ok());
}

#[test]
fn obs_native_uses_obs_request_ids() {
    let c = codec(Dialect::ObsNative, ChecksumChoice::None);
    let e = c
        .parse_initiate(&answer(
            403,
            &[("x-obs-request-id", "OBSREQ")],
            "<Error><Code>AccessDenied</Code><Message>no</Message></Error>",
        ))
        .unwrap_err();
    assert_eq!(e.request_id.as_deref(), Some("OBSREQ"));
    assert_eq!(e.cause.key(), "http_403_AccessDenied");
}

#[test]
fn qingstor_requests_have_the_documented_shape() {
    let c = codec(Dialect::QingStor, ChecksumChoice::None);
    let up = upload();
    let init = c.initiate("bkt", "k");
    assert_eq!(init.query, "uploads");
    assert_eq!(init.headers["content-type"], "application/octet-stream");
    let req = c.upload_part(&up, 0, &part(b"hello", ChecksumChoice::None));
    assert_eq!(req.query, "part_number=0&upload_id=UP%2F1%3Dx");
    assert_eq!(req.headers["content-md5"], "XUFAKrxLKna5cZ2REBfFkg==");
    let list = c.list_parts(&up, Some(4));
    assert_eq!(
        list.query,
        "limit=1000&part_number_marker=4&upload_id=UP%2F1%3Dx"
    );
    let complete = CompleteRequest {
        parts: vec![
            CompletedPart {
                number: 0,
                etag: "\"e0\"".into(),
                checksum: None,
            },
            CompletedPart {
                number: 1,
                etag: "\"e1\"".into(),
                checksum: None,
            },
        ],
        expected_etag: "abc-2".into(),
        checksum: ChecksumChoice::None,
    };
    let req = c.complete(&up, &complete).unwrap();
    assert_eq!(req.headers["content-type"], "application/json");
    assert_eq!(req.headers["etag"], "\"abc-2\"");
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"object_parts": [
            {"etag": "\"e0\"", "part_number": 0},
            {"etag": "\"e1\"", "part_number": 1}
        ]})
    );
    assert_eq!(c.abort(&up).query, "upload_id=UP%2F1%3Dx");
}

#[test]
fn qingstor_answers_are_parsed_and_errors_classified() {
    let c = codec(Dialect::QingStor, ChecksumChoice::None);
    assert_eq!(
        c.parse_initiate(&answer(
            200,
            &[("content-type", "application/json")],
            r#"{"bucket":"b","key":"k","upload_id":"4d26"}"#
        ))
        .unwrap(),
        "4d26"
    );
    // Parts answer 201; a 200 is not what QingStor sends, but a 201 without ETag is malformed.
    let ack = c
        .parse_upload_part(&answer(201, &[("etag", "\"abc\"")], ""))
        .unwrap();
    assert_eq!(ack.etag, "\"abc\"");
    assert_eq!(
        c.parse_upload_part(&answer(201, &[], ""))
            .unwrap_err()
            .cause,
        Cause::Malformed
    );
    let gone = c
        .parse_complete(&answer(
            404,
            &[("x-qs-request-id", "H")],
            r#"{"code":"upload_not_exists","message":"gone","request_id":"QSREQ","url":"u"}"#,
        ))
        .unwrap_err();
    assert!(gone.cause.is_no_such_upload());
    assert_eq!(gone.request_id.as_deref(), Some("QSREQ"));
    assert!(c.parse_complete(&answer(201, &[], "")).is_ok());
    assert!(c.parse_abort(&answer(204, &[], "")).is_ok());
    let page = c
        .parse_list_parts(&answer(
            200,
            &[],
            r#"{"count":2,"object_parts":[{"part_number":0,"size":4,"etag":"\"a\"","created":"x"},{"part_number":1,"size":3,"etag":"\"b\"","created":"x"}],"has_more":true,"next_part_number_marker":1}"#,
        ))
        .unwrap();
    assert_eq!(page.parts[0].number, 0);
    assert_eq!(page.next_marker, Some(1));
    let last = c
        .parse_list_parts(&answer(200, &[], r#"{"count":0,"object_parts":[]}"#))
        .unwrap();
    assert_eq!(last.next_marker, None);
    let throttled = c
        .parse_upload_part(&answer(
            503,
            &[],
            r#"{"code":"service_unavailable","message":"busy","request_id":"r","url":"u"}"#,
        ))
        .unwrap_err();
    assert!(throttled.is_retryable());
    let denied = c
        .parse_initiate(&answer(
            401,
            &[],
            r#"{"code":"signature_not_matched","message":"bad","request_id":"r","url":"u"}"#,
        ))
        .unwrap_err();
    assert!(!denied.is_retryable());
    assert_eq!(denied.cause.key(), "http_401_signature_not_matched");
}
