//! QingStor dialect on the wire (PROTOCOLS.md §4): every multipart and object operation the
//! SDK uses, its JSON documents and errors, statuses, part numbers from 0, zones in the host,
//! absolute-form targets, on both backends.

mod dialects_common;

use dialects_common::*;
use mock_server::auth::Credentials;
use mock_server::dialect::Dialect;
use mock_server::MockServer;

const B: &str = "qs-bucket";

fn qs_signer() -> Signer {
    Signer::Qs(Credentials::new(QS_AK, QS_SK))
}

/// A QingStor request as the SDK builds it: Content-Type always set.
fn qs(method: &'static str, path: &str, query: &str) -> Req {
    Req::new(method, path, query).header("Content-Type", "application/octet-stream")
}

fn assert_json_error(r: &Resp, status: u16, code: &str) {
    assert_eq!(r.status, status, "status; body {}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    let v = r.json();
    assert_eq!(v["code"], code, "code in {v}");
    assert!(
        !v["message"].as_str().unwrap_or("").is_empty(),
        "message in {v}"
    );
    assert_eq!(
        v["request_id"].as_str(),
        r.header("x-qs-request-id"),
        "request_id equals the X-QS-Request-ID header"
    );
    assert_eq!(
        v["url"],
        "https://docs.qingcloud.com/qingstor/api/common/error_code.html"
    );
}

async fn start(backend: Backend, min_part: Option<u64>) -> MockServer {
    let mut b = backend.builder();
    if let Some(m) = min_part {
        b = b.min_part_size(m);
    }
    b.start().await.expect("server starts")
}

async fn initiate(c: &Client, key_path: &str) -> String {
    let r = c
        .send(Req::new("POST", key_path, "uploads").header("Content-Type", "text/plain"))
        .await;
    assert_eq!(r.status, 200, "initiate: {}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    r.json()["upload_id"]
        .as_str()
        .expect("upload_id")
        .to_string()
}

#[tokio::test]
async fn multipart_flow_zone_empty() {
    for backend in BACKENDS {
        let server = start(backend, Some(1024)).await;
        let c = Client::new(&server, qs_signer());
        let r = c.send(qs("PUT", &format!("/{B}"), "")).await;
        assert_eq!(r.status, 201, "put bucket: {}", r.text());
        assert!(r.header("x-qs-request-id").is_some());
        assert_eq!(c.send(qs("HEAD", &format!("/{B}"), "")).await.status, 200);

        let src = b"hello source object ".repeat(10);
        let r = c
            .send(qs("PUT", &format!("/{B}/src.txt"), "").body(src.clone()))
            .await;
        assert_eq!(r.status, 201);
        assert_eq!(
            r.header("etag"),
            Some(format!("\"{}\"", md5_hex(&src)).as_str())
        );

        let key = format!("/{B}/big/object.bin");
        let r = c
            .send(
                Req::new("POST", &key, "uploads")
                    .header("Content-Type", "text/plain")
                    .header("x-qs-meta-color", "blue"),
            )
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("application/json"));
        let v = r.json();
        assert_eq!(
            (v["bucket"].as_str(), v["key"].as_str()),
            (Some(B), Some("big/object.bin"))
        );
        let uid = v["upload_id"].as_str().unwrap().to_string();

        // parts 0 and 1, then part 2 copied from src.txt
        let p0 = data(2048, 1);
        let p1 = data(1500, 2);
        let mut etags = Vec::new();
        for (n, p) in [(0, &p0), (1, &p1)] {
            let r = c
                .send(qs("PUT", &key, &format!("part_number={n}&upload_id={uid}")).body(p.clone()))
                .await;
            assert_eq!(r.status, 201, "upload part {n}: {}", r.text());
            assert_eq!(r.body.len(), 0);
            let e = r.header("etag").unwrap().to_string();
            assert_eq!(e, format!("\"{}\"", md5_hex(p)));
            etags.push(e);
        }
        let r = c
            .send(
                qs("PUT", &key, &format!("part_number=2&upload_id={uid}"))
                    .header("x-qs-copy-source", &format!("/{B}/src.txt"))
                    .header("x-qs-copy-range", "bytes=0-99"),
            )
            .await;
        assert_eq!(r.status, 201, "copy part: {}", r.text());
        let e2 = r.header("etag").unwrap().to_string();
        assert_eq!(e2, format!("\"{}\"", md5_hex(&src[..100])));
        etags.push(e2);

        // list_multipart: parts from 0, quoted etags, count
        let r = c.send(qs("GET", &key, &format!("upload_id={uid}"))).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("application/json"));
        let v = r.json();
        assert_eq!(v["count"], 3);
        let parts = v["object_parts"].as_array().unwrap();
        let got: Vec<(i64, String, u64)> = parts
            .iter()
            .map(|p| {
                (
                    p["part_number"].as_i64().unwrap(),
                    p["etag"].as_str().unwrap().to_string(),
                    p["size"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (0, etags[0].clone(), 2048),
                (1, etags[1].clone(), 1500),
                (2, etags[2].clone(), 100)
            ]
        );
        assert!(parts[0]["created"].as_str().unwrap().ends_with('Z'));
        // paging with limit and part_number_marker
        let r = c
            .send(qs("GET", &key, &format!("limit=2&upload_id={uid}")))
            .await;
        let v = r.json();
        assert_eq!(v["count"], 2);
        assert_eq!(v["has_more"], true);
        assert_eq!(v["next_part_number_marker"], 1);
        let r = c
            .send(qs(
                "GET",
                &key,
                &format!("limit=2&part_number_marker=1&upload_id={uid}"),
            ))
            .await;
        assert_eq!(r.json()["object_parts"][0]["part_number"], 2);

        // list_multipart_uploads (query sorted as the SDK does, `uploads` last)
        let r = c
            .send(qs("GET", &format!("/{B}"), "limit=10&prefix=big/&uploads"))
            .await;
        assert_eq!(r.status, 200);
        let v = r.json();
        assert_eq!(v["name"], B);
        assert_eq!(v["uploads"][0]["key"], "big/object.bin");
        assert_eq!(v["uploads"][0]["upload_id"], uid.as_str());
        assert_eq!(v["limit"], 10);
        assert_eq!(v["has_more"], false);
        let r = c
            .send(qs("GET", &format!("/{B}"), "prefix=nothing/&uploads"))
            .await;
        assert_eq!(r.json()["uploads"].as_array().unwrap().len(), 0);

        // complete (subset 0,1 with part 0 etag omitted as the SDK allows), 201 empty
        let doc = format!(
            r#"{{"object_parts": [{{"part_number": 0}}, {{"etag": {}, "part_number": 1}}]}}"#,
            serde_json::Value::String(etags[1].clone())
        );
        let r = c
            .send(
                Req::new("POST", &key, &format!("upload_id={uid}"))
                    .header("Content-Type", "application/json")
                    .body(doc),
            )
            .await;
        assert_eq!(r.status, 201, "complete: {}", r.text());
        assert!(r.body.is_empty());
        let object: Vec<u8> = [p0.as_slice(), p1.as_slice()].concat();
        let etag = multipart_etag(&[&p0, &p1]);

        let r = c.send(qs("GET", &key, "")).await;
        assert_eq!(r.status, 200);
        assert_eq!(&r.body[..], &object[..]);
        assert_eq!(r.header("etag"), Some(etag.as_str()));
        assert_eq!(r.header("content-type"), Some("text/plain"));
        assert_eq!(r.header("x-qs-meta-color"), Some("blue"));
        assert_eq!(r.header("x-qs-storage-class"), Some("STANDARD"));
        let r = c
            .send(qs("GET", &key, "").header("range", "bytes=2040-2059"))
            .await;
        assert_eq!(r.status, 206);
        assert_eq!(&r.body[..], &object[2040..2060]);
        assert_eq!(
            r.header("content-range"),
            Some(format!("bytes 2040-2059/{}", object.len()).as_str())
        );
        let r = c.send(qs("HEAD", &key, "")).await;
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("content-length"),
            Some(object.len().to_string().as_str())
        );

        // list_objects: keys with modified as a unix integer
        let r = c.send(qs("GET", &format!("/{B}"), "prefix=big/")).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("application/json"));
        let v = r.json();
        assert_eq!(v["name"], B);
        let keys = v["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0]["key"], "big/object.bin");
        assert_eq!(keys[0]["size"], object.len() as u64);
        assert_eq!(keys[0]["etag"], etag.as_str());
        assert_eq!(keys[0]["mime_type"], "text/plain");
        let modified = keys[0]["modified"]
            .as_i64()
            .expect("modified is an integer");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert!(
            (now - modified).abs() < 300,
            "modified {modified} vs now {now}"
        );
        // limit and marker page through keys
        let r = c.send(qs("GET", &format!("/{B}"), "limit=1")).await;
        let v = r.json();
        assert_eq!(v["keys"].as_array().unwrap().len(), 1);
        assert_eq!(v["has_more"], true);
        let next = v["next_marker"].as_str().unwrap().to_string();
        let r = c
            .send(qs(
                "GET",
                &format!("/{B}"),
                &format!("limit=1&marker={next}"),
            ))
            .await;
        assert_eq!(r.json()["keys"][0]["key"], "src.txt");

        // the completed upload is gone
        let r = c.send(qs("GET", &key, &format!("upload_id={uid}"))).await;
        assert_json_error(&r, 404, "upload_not_exists");
        assert_eq!(server.state().open_uploads(), 0);

        // deletes: 204
        for k in ["big/object.bin", "src.txt"] {
            let r = c.send(qs("DELETE", &format!("/{B}/{k}"), "")).await;
            assert_eq!(r.status, 204);
        }
        let r = c.send(qs("DELETE", &format!("/{B}"), "")).await;
        assert_eq!(r.status, 204);
        assert_eq!(server.state().orphan_blobs, 0);
        let journal = server.journal();
        assert!(journal.iter().all(|e| e.dialect == Some(Dialect::QingStor)));
    }
}

#[tokio::test]
async fn complete_etag_header_sets_object_etag_and_abort_is_204() {
    for backend in BACKENDS {
        let server = start(backend, None).await;
        server.create_bucket(B).unwrap();
        let c = Client::new(&server, qs_signer());
        let key = format!("/{B}/etag/custom.bin");
        let uid = initiate(&c, &key).await;
        let part = data(1000, 7);
        let r = c
            .send(qs("PUT", &key, &format!("part_number=0&upload_id={uid}")).body(part.clone()))
            .await;
        assert_eq!(r.status, 201);
        let custom = "\"0123456789abcdef0123456789abcdef\"";
        let r = c
            .send(
                Req::new("POST", &key, &format!("upload_id={uid}"))
                    .header("Content-Type", "application/json")
                    .header("ETag", custom)
                    .body(r#"{"object_parts": [{"part_number": 0}]}"#),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
        let r = c.send(qs("HEAD", &key, "")).await;
        assert_eq!(r.header("etag"), Some(custom));
        assert_eq!(&c.send(qs("GET", &key, "")).await.body[..], &part[..]);

        let key2 = format!("/{B}/aborted.bin");
        let uid2 = initiate(&c, &key2).await;
        let r = c
            .send(qs("PUT", &key2, &format!("part_number=0&upload_id={uid2}")).body(vec![1u8; 10]))
            .await;
        assert_eq!(r.status, 201);
        let r = c
            .send(qs("DELETE", &key2, &format!("upload_id={uid2}")))
            .await;
        assert_eq!(r.status, 204);
        assert_json_error(
            &c.send(qs("GET", &key2, &format!("upload_id={uid2}"))).await,
            404,
            "upload_not_exists",
        );
        assert_json_error(
            &c.send(qs("PUT", &key2, &format!("part_number=1&upload_id={uid2}")).body("late"))
                .await,
            404,
            "upload_not_exists",
        );
        assert_json_error(
            &c.send(qs("DELETE", &key2, &format!("upload_id={uid2}")))
                .await,
            404,
            "upload_not_exists",
        );
        assert_eq!(server.state().open_uploads(), 0);
        assert_eq!(server.state().orphan_blobs, 0);
    }
}

#[tokio::test]
async fn default_minimum_part_size_is_4_mib() {
    for backend in BACKENDS {
        let server = start(backend, None).await;
        server.create_bucket(B).unwrap();
        let c = Client::new(&server, qs_signer());
        let key = format!("/{B}/min.bin");
        let uid = initiate(&c, &key).await;
        let sizes = [4 * 1024 * 1024 - 1, 4 * 1024 * 1024, 10];
        let mut etags = Vec::new();
        for (n, size) in sizes.iter().enumerate() {
            let r = c
                .send(
                    qs("PUT", &key, &format!("part_number={n}&upload_id={uid}"))
                        .body(vec![b'x'; *size]),
                )
                .await;
            assert_eq!(
                r.status, 201,
                "a small part uploads fine; only complete checks"
            );
            etags.push(r.header("etag").unwrap().to_string());
        }
        let complete = |parts: &[usize]| {
            let list: Vec<String> = parts
                .iter()
                .map(|n| {
                    format!(
                        r#"{{"etag": {}, "part_number": {n}}}"#,
                        serde_json::Value::String(etags[*n].clone())
                    )
                })
                .collect();
            Req::new("POST", &key, &format!("upload_id={uid}"))
                .header("Content-Type", "application/json")
                .body(format!(r#"{{"object_parts": [{}]}}"#, list.join(", ")))
        };
        let r = c.send(complete(&[0, 2])).await;
        assert_json_error(&r, 400, "entity_too_small");
        let r = c.send(complete(&[1, 2])).await;
        assert_eq!(r.status, 201, "{}", r.text());
        let obj = server.state();
        let o = obj.object(B, "min.bin").expect("object");
        assert_eq!(o.size, 4 * 1024 * 1024 + 10);
    }
}

#[tokio::test]
async fn errors_are_qingstor_json() {
    for backend in BACKENDS {
        let server = start(backend, Some(5)).await;
        server.create_bucket(B).unwrap();
        let c = Client::new(&server, qs_signer());
        let key = format!("/{B}/e.bin");
        assert_json_error(
            &c.send(qs("PUT", &key, "part_number=0&upload_id=nonexistent").body("x"))
                .await,
            404,
            "upload_not_exists",
        );
        assert_json_error(
            &c.send(qs("GET", &format!("/{B}/missing"), "")).await,
            404,
            "object_not_exists",
        );
        assert_json_error(
            &c.send(qs("GET", "/no-such-bucket/k", "")).await,
            404,
            "bucket_not_exists",
        );
        assert_json_error(
            &c.send(qs("PUT", &format!("/{B}"), "")).await,
            409,
            "bucket_already_exists",
        );
        // HEAD errors: status only
        let r = c.send(qs("HEAD", &format!("/{B}/missing"), "")).await;
        assert_eq!((r.status, r.body.len()), (404, 0));

        let uid = initiate(&c, &key).await;
        let mut etags = Vec::new();
        for n in 0..2 {
            let r = c
                .send(
                    qs("PUT", &key, &format!("part_number={n}&upload_id={uid}"))
                        .body(vec![b'a' + n as u8; 8]),
                )
                .await;
            etags.push(r.header("etag").unwrap().to_string());
        }
        let complete = |body: &str| {
            Req::new("POST", &key, &format!("upload_id={uid}"))
                .header("Content-Type", "application/json")
                .body(body.to_string())
        };
        // out of order, a duplicate, a wrong etag, a missing part, malformed JSON
        for body in [
            r#"{"object_parts": [{"part_number": 1}, {"part_number": 0}]}"#.to_string(),
            r#"{"object_parts": [{"part_number": 0}, {"part_number": 0}]}"#.to_string(),
            format!(
                r#"{{"object_parts": [{{"etag": "\"{}\"", "part_number": 0}}]}}"#,
                "0".repeat(32)
            ),
            r#"{"object_parts": [{"part_number": 7}]}"#.to_string(),
            r#"{"object_parts": [{"part_number": "0"}]}"#.to_string(),
            r#"{"object_parts": "#.to_string(),
            String::new(),
        ] {
            let r = c.send(complete(&body)).await;
            assert_json_error(&r, 400, "invalid_request");
        }
        let r = c
            .send(complete(r#"{"object_parts": [{"part_number": -1}]}"#))
            .await;
        assert_json_error(&r, 400, "invalid_argument");
        // part numbers: 0..=10000
        for bad in ["10001", "abc", "-1"] {
            let r = c
                .send(qs("PUT", &key, &format!("part_number={bad}&upload_id={uid}")).body("x"))
                .await;
            assert_json_error(&r, 400, "invalid_argument");
        }
        let r = c
            .send(qs("PUT", &key, &format!("part_number=10000&upload_id={uid}")).body("x"))
            .await;
        assert_eq!(r.status, 201);
        // unsatisfiable range, failed precondition, copy from a missing source
        let r = c
            .send(qs("PUT", &format!("/{B}/small"), "").body("abc"))
            .await;
        assert_eq!(r.status, 201);
        assert_json_error(
            &c.send(qs("GET", &format!("/{B}/small"), "").header("range", "bytes=10-20"))
                .await,
            416,
            "invalid_range",
        );
        assert_json_error(
            &c.send(qs("GET", &format!("/{B}/small"), "").header("If-Match", "\"nope\""))
                .await,
            412,
            "precondition_failed",
        );
        assert_json_error(
            &c.send(
                qs("PUT", &key, &format!("part_number=3&upload_id={uid}"))
                    .header("x-qs-copy-source", &format!("/{B}/missing")),
            )
            .await,
            404,
            "object_not_exists",
        );
        // bad Content-MD5
        let r = c
            .send(
                qs("PUT", &format!("/{B}/md5"), "")
                    .header("Content-MD5", &md5_b64(b"other"))
                    .body("data"),
            )
            .await;
        assert_json_error(&r, 400, "bad_digest");
        assert!(server.state().object(B, "md5").is_none());
        // deleting a bucket that still has objects
        assert_json_error(
            &c.send(qs("DELETE", &format!("/{B}"), "")).await,
            409,
            "bucket_not_empty",
        );
        // the upload survived all that and still completes
        let ok = format!(
            r#"{{"object_parts": [{{"etag": {}, "part_number": 0}}, {{"part_number": 1}}]}}"#,
            serde_json::Value::String(etags[0].clone())
        );
        assert_eq!(c.send(complete(&ok)).await.status, 201);
    }
}

fn md5_b64(data: &[u8]) -> String {
    use base64::Engine;
    use md5::{Digest, Md5};
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(data))
}

#[tokio::test]
async fn zone_in_host_and_absolute_form_targets() {
    for backend in BACKENDS {
        let server = start(backend, Some(1)).await;
        let c = Client::new(&server, qs_signer());
        // bucket.put() through HTTP_PROXY: PUT http://pek3b.127.0.0.1:PORT/qs-bucket
        let r = c
            .send(
                qs("PUT", &format!("/{B}"), "")
                    .host("pek3b.127.0.0.1")
                    .proxied(),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
        let key = format!("/{B}/zone/obj.bin");
        let r = c
            .send(
                qs("POST", &key, "uploads")
                    .host("pek3b.127.0.0.1")
                    .proxied(),
            )
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("application/json"));
        let uid = r.json()["upload_id"].as_str().unwrap().to_string();
        // parts through three host forms: proxy, zone.IP Host header, zone.localhost
        let parts = [data(10, 1), data(11, 2), data(12, 3)];
        for (n, p) in parts.iter().enumerate() {
            let req = qs("PUT", &key, &format!("part_number={n}&upload_id={uid}")).body(p.clone());
            let req = match n {
                0 => req.host("pek3b.127.0.0.1").proxied(),
                1 => req.host("pek3b.127.0.0.1"),
                _ => req.host("pek3b.localhost"),
            };
            let r = c.send(req).await;
            assert_eq!(r.status, 201, "part {n}: {}", r.text());
        }
        let r = c
            .send(qs("GET", &key, &format!("upload_id={uid}")).host("pek3b.localhost"))
            .await;
        assert_eq!(r.json()["count"], 3);
        let r = c
            .send(
                Req::new("POST", &key, &format!("upload_id={uid}"))
                    .header("Content-Type", "application/json")
                    .body(r#"{"object_parts": [{"part_number": 0}, {"part_number": 1}, {"part_number": 2}]}"#)
                    .host("pek3b.127.0.0.1")
                    .proxied(),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
        let r = c
            .send(qs("GET", &key, "").host("pek3b.127.0.0.1").proxied())
            .await;
        assert_eq!(&r.body[..], &parts.concat()[..]);
        // virtual-hosted: {bucket}.{zone}.localhost with the key alone in the path
        let r = c
            .send(qs("GET", "/zone/obj.bin", "").vhost(B, "pek3b.localhost"))
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(&r.body[..], &parts.concat()[..]);
        // list buckets in the zone
        let r = c.send(qs("GET", "/", "").host("pek3b.localhost")).await;
        assert_eq!(r.status, 200);
        let v = r.json();
        assert_eq!(v["count"], 1);
        assert_eq!(v["buckets"][0]["name"], B);
        assert_eq!(v["buckets"][0]["location"], "pek3b");
    }
}

#[tokio::test]
async fn detected_without_pinning_and_pinned_when_ambiguous() {
    let server = MockServer::builder()
        .memory()
        .min_part_size(1)
        .start()
        .await
        .unwrap();
    server.create_bucket(B).unwrap();
    // signed QS requests are QingStor whatever else they carry
    let c = Client::new(&server, qs_signer());
    let r = c.send(qs("PUT", &format!("/{B}/a"), "").body("a")).await;
    assert_eq!(r.status, 201);
    // unsigned, told apart by query spelling: upload_id
    let anon = Client::new(&server, Signer::None);
    let r = anon
        .send(qs("GET", &format!("/{B}/a"), "upload_id=nope"))
        .await;
    assert_json_error(&r, 404, "upload_not_exists");
    // unsigned and plain: S3 (XML) unless pinned
    let r = anon
        .send(Req::new("GET", &format!("/{B}/missing"), ""))
        .await;
    assert_eq!(r.status, 404);
    assert!(r.text().contains("<Code>NoSuchKey</Code>"), "{}", r.text());
    let pinned = MockServer::builder()
        .memory()
        .dialect(Dialect::QingStor)
        .bucket(B)
        .start()
        .await
        .unwrap();
    let anon = Client::new(&pinned, Signer::None);
    let r = anon
        .send(Req::new("GET", &format!("/{B}/missing"), ""))
        .await;
    assert_json_error(&r, 404, "object_not_exists");
    let r = anon
        .send(Req::new("PUT", &format!("/{B}/x"), "").body("x"))
        .await;
    assert_eq!(r.status, 201);
}

#[tokio::test]
async fn list_multipart_returns_every_part_by_default() {
    // The SDK never pages list_multipart: 250 parts come back in one answer; `limit` pages.
    let server = start(Backend::Memory, Some(1)).await;
    server.create_bucket(B).unwrap();
    let c = Client::new(&server, qs_signer());
    let key = format!("/{B}/many.bin");
    let uid = initiate(&c, &key).await;
    for n in 0..250 {
        let r = c
            .send(
                qs("PUT", &key, &format!("part_number={n}&upload_id={uid}")).body(vec![n as u8; 3]),
            )
            .await;
        assert_eq!(r.status, 201);
    }
    let v = c
        .send(qs("GET", &key, &format!("upload_id={uid}")))
        .await
        .json();
    assert_eq!(v["count"], 250);
    assert_eq!(v["object_parts"][0]["part_number"], 0);
    assert_eq!(v["object_parts"][249]["part_number"], 249);
    assert!(v.get("has_more").is_none(), "{}", v["has_more"]);
    let v = c
        .send(qs(
            "GET",
            &key,
            &format!("limit=100&part_number_marker=199&upload_id={uid}"),
        ))
        .await
        .json();
    assert_eq!(v["count"], 50);
    assert_eq!(v["object_parts"][0]["part_number"], 200);
}
