//! Hostile and broken clients: each gets the dialect's error or a closed connection, nothing
//! changes, nothing leaks, and the server keeps serving others.

mod reliability_support;

use mock_server::MockServer;
use reliability_support::*;
use std::time::{Duration, Instant};

const BUCKET: &str = "hostile";
const STALL: Duration = Duration::from_millis(700);

async fn server(dir: Option<&std::path::Path>) -> MockServer {
    let b = MockServer::builder()
        .min_part_size(1)
        .bucket(BUCKET)
        .body_read_timeout(STALL)
        .header_read_timeout(STALL);
    let b = match dir {
        Some(d) => b.data_dir(d),
        None => b.memory(),
    };
    b.start().await.expect("start")
}

/// A fresh upload with two parts; returns (id, parts).
async fn upload(s: &MockServer, c: &reqwest::Client, key: &str) -> (String, Vec<(u32, String)>) {
    let r = c
        .post(format!("{}/{BUCKET}/{key}?uploads", s.endpoint()))
        .send()
        .await
        .unwrap();
    let id = tag(&r.text().await.unwrap(), "UploadId").unwrap();
    let mut parts = Vec::new();
    for n in 1..=2u32 {
        let data = content(n as u64, 1000);
        let r = c
            .put(format!(
                "{}/{BUCKET}/{key}?uploadId={id}&partNumber={n}",
                s.endpoint()
            ))
            .body(data.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        parts.push((n, md5_hex(&data)));
    }
    (id, parts)
}

/// The server still answers a normal request, and holds no orphan once idle.
async fn still_serving(s: &MockServer, c: &reqwest::Client) {
    let r = c
        .put(format!("{}/{BUCKET}/alive", s.endpoint()))
        .body("ok")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "server no longer serving");
    assert!(
        s.idle(Duration::from_secs(10)).await,
        "requests left in flight"
    );
    assert_eq!(s.state().orphan_blobs, 0, "orphan blobs: {:?}", s.state());
}

fn is_error_doc(body: &str) -> bool {
    body.contains("<Error>") && body.contains("<Code>")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_complete_documents_change_nothing() {
    let s = server(None).await;
    let c = client(Duration::from_secs(30));
    let (id, parts) = upload(&s, &c, "doc").await;
    let before = s.state();
    let deep = "<a>".repeat(200_000);
    let bomb = r#"<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&c;</ETag></Part></CompleteMultipartUpload>"#;
    let huge = format!(
        "<CompleteMultipartUpload>{}</CompleteMultipartUpload>",
        "<Part><PartNumber>1</PartNumber><ETag>x</ETag></Part>".repeat(120_000)
    );
    let mut many = String::from("<CompleteMultipartUpload>");
    for n in 1..=10_001 {
        many.push_str(&format!(
            "<Part><PartNumber>{n}</PartNumber><ETag>\"{}\"</ETag></Part>",
            parts[0].1
        ));
    }
    many.push_str("</CompleteMultipartUpload>");
    let good = complete_body(&parts);
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("one byte", b"<".to_vec()),
        ("truncated", good.as_bytes()[..good.len() / 2].to_vec()),
        ("wrong root", b"<Nope><Part/></Nope>".to_vec()),
        ("not xml", b"{\"parts\": []}".to_vec()),
        ("invalid utf-8", [b"<CompleteMultipartUpload><Part><PartNumber>".as_slice(), &[0xff, 0xfe], b"</PartNumber></Part></CompleteMultipartUpload>"].concat()),
        ("part number text", b"<CompleteMultipartUpload><Part><PartNumber>one</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>".to_vec()),
        ("part number 0", complete_body(&[(0, parts[0].1.clone())]).into_bytes()),
        ("part number 10001", complete_body(&[(10_001, parts[0].1.clone())]).into_bytes()),
        ("part number overflow", b"<CompleteMultipartUpload><Part><PartNumber>99999999999999999999</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>".to_vec()),
        ("deeply nested", deep.into_bytes()),
        ("entity expansion", bomb.as_bytes().to_vec()),
        ("over the size bound", huge.into_bytes()),
        ("10,001 parts", many.into_bytes()),
        ("unordered", complete_body(&[parts[1].clone(), parts[0].clone()]).into_bytes()),
        ("wrong etag", complete_body(&[(1, "0".repeat(32))]).into_bytes()),
    ];
    for (what, body) in bodies {
        let len = body.len();
        let r = c
            .post(format!("{}/{BUCKET}/doc?uploadId={id}", s.endpoint()))
            .body(body)
            .send()
            .await;
        match r {
            Ok(r) => {
                let status = r.status().as_u16();
                let text = r.text().await.unwrap_or_default();
                assert!(
                    (400..500).contains(&status),
                    "{what}: answered {status}: {}",
                    &text[..text.len().min(300)]
                );
                assert!(
                    is_error_doc(&text),
                    "{what}: not an error document: {}",
                    &text[..text.len().min(300)]
                );
            }
            // A closed connection is an allowed answer to a big hostile body (the server may
            // answer before the client has finished sending); small ones must get an error.
            Err(e) => {
                assert!(len > 100_000, "{what}: connection failed: {e}");
                println!("{what}: connection closed ({e})");
            }
        }
        assert_eq!(s.state(), before, "{what}: the state changed");
    }
    still_serving(&s, &c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_part_numbers_and_upload_ids() {
    let s = server(None).await;
    let c = client(Duration::from_secs(30));
    let (id, _) = upload(&s, &c, "pn").await;
    let before = s.state();
    for pn in [
        "0",
        "10001",
        "-1",
        "abc",
        "",
        "1.5",
        "99999999999999999999",
        "%31",
    ] {
        let r = c
            .put(format!(
                "{}/{BUCKET}/pn?uploadId={id}&partNumber={pn}",
                s.endpoint()
            ))
            .body("x")
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        // `%31` is "1" percent-encoded: a valid part number.
        if pn == "%31" {
            assert_eq!(status, 200, "partNumber={pn}");
            continue;
        }
        assert_eq!(status, 400, "partNumber={pn}");
        assert!(is_error_doc(&r.text().await.unwrap()));
    }
    let long = "u".repeat(5000);
    for bad in ["nope", "../../etc", long.as_str(), "%00", "%zz"] {
        for (m, q) in [
            ("PUT", "&partNumber=1"),
            ("POST", ""),
            ("DELETE", ""),
            ("GET", ""),
        ] {
            let url = format!("{}/{BUCKET}/pn?uploadId={bad}{q}", s.endpoint());
            let req = match m {
                "PUT" => c.put(url).body("x"),
                "POST" => c.post(url).body(complete_body(&[(1, "x".into())])),
                "DELETE" => c.delete(url),
                _ => c.get(url),
            };
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            assert!(
                (400..500).contains(&status),
                "{m} uploadId={}: {status}",
                &bad[..bad.len().min(20)]
            );
        }
    }
    let after = s.state();
    assert_eq!(after.open_uploads(), before.open_uploads());
    still_serving(&s, &c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_keys_stay_inside_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(Some(dir.path())).await;
    let c = client(Duration::from_secs(30));
    let long = "k".repeat(1025);
    let paths = [
        "../escape",
        "..%2F..%2Fescape",
        "%2E%2E/%2E%2E/escape",
        "a/../../b",
        "%2Fabsolute",
        "/etc/passwd",
        "nul%00byte",
        "ctl%01%1F%7F",
        "bad%zzpercent",
        "bad%",
        "bad%4",
        long.as_str(),
        "%C3%28invalid-utf8",
    ];
    let mut stored = 0;
    for p in paths {
        // Raw requests: an HTTP client library would resolve the dot segments itself.
        let target = format!("/{BUCKET}/{p}");
        let mut conn = RawConn::connect(s.endpoint()).await;
        conn.head("PUT", &target, &[("content-length", "7".into())])
            .await;
        conn.write(b"hostile").await.unwrap();
        let put = conn.response().await.expect("an answer");
        assert!(
            put.status < 500,
            "{}: {}",
            &p[..p.len().min(30)],
            put.status
        );
        if put.status == 200 {
            // Stored under a plain key: it reads back the same way.
            stored += 1;
            let mut conn = RawConn::connect(s.endpoint()).await;
            conn.head("GET", &target, &[]).await;
            let r = conn.response().await.expect("an answer");
            assert_eq!(r.status, 200, "{p}: stored but not readable");
            assert_eq!(r.body, b"hostile", "{p}");
        } else {
            assert!(is_error_doc(&put.text()), "{p}: {}", put.text());
        }
    }
    println!(
        "hostile keys: {stored} of {} stored as plain keys, the rest refused",
        paths.len()
    );
    let r = c
        .put(format!("{}/{BUCKET}/{long}", s.endpoint()))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "a 1,025-byte key is refused");
    assert!(r.text().await.unwrap().contains("KeyTooLong"));
    // Nothing was written outside <dir>/blobs, <dir>/free, <dir>/meta and <dir>/packs.
    let mut top: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into())
        .collect();
    top.sort();
    assert_eq!(top, ["blobs", "free", "meta", "packs"]);
    for e in std::fs::read_dir(dir.path().join("packs")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().to_string();
        assert!(
            name.len() == 21
                && name.ends_with(".pack")
                && name[..16].chars().all(|c| c.is_ascii_hexdigit()),
            "pack file {name}"
        );
    }
    assert!(!dir.path().parent().unwrap().join("escape").exists());
    for e in std::fs::read_dir(dir.path().join("blobs")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().to_string();
        assert!(
            name.len() == 16 && name.chars().all(|c| c.is_ascii_hexdigit()),
            "blob file {name}"
        );
    }
    still_serving(&s, &c).await;
}

/// Sends a PUT with an aws-chunked body as given.
async fn chunked_put(
    s: &MockServer,
    key: &str,
    decoded_len: usize,
    body: &[u8],
    trailer: Option<&str>,
) -> Option<RawResponse> {
    let mut conn = RawConn::connect(s.endpoint()).await;
    let mut headers = vec![
        ("content-encoding", "aws-chunked".to_string()),
        ("x-amz-decoded-content-length", decoded_len.to_string()),
        ("content-length", body.len().to_string()),
    ];
    match trailer {
        Some(t) => {
            headers.push((
                "x-amz-content-sha256",
                "STREAMING-UNSIGNED-PAYLOAD-TRAILER".into(),
            ));
            headers.push(("x-amz-trailer", t.into()));
        }
        None => headers.push((
            "x-amz-content-sha256",
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER".into(),
        )),
    }
    conn.head("PUT", &format!("/{BUCKET}/{key}"), &headers)
        .await;
    conn.write(body).await.ok()?;
    tokio::time::timeout(Duration::from_secs(10), conn.response())
        .await
        .expect("bounded")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_aws_chunked_framing() {
    let s = server(None).await;
    let c = client(Duration::from_secs(30));
    let before = s.state();
    let cases: Vec<(&str, usize, Vec<u8>, Option<&str>)> = vec![
        (
            "size larger than data",
            5,
            b"a\r\nhello\r\n0\r\n\r\n".to_vec(),
            None,
        ),
        (
            "size smaller than data",
            10,
            b"3\r\nhelloworld\r\n0\r\n\r\n".to_vec(),
            None,
        ),
        (
            "size not hex",
            5,
            b"zz\r\nhello\r\n0\r\n\r\n".to_vec(),
            None,
        ),
        (
            "size overflow",
            5,
            b"ffffffffffffffffffff\r\nhello\r\n0\r\n\r\n".to_vec(),
            None,
        ),
        ("missing final chunk", 5, b"5\r\nhello\r\n".to_vec(), None),
        (
            "decoded length mismatch",
            9,
            b"5\r\nhello\r\n0\r\n\r\n".to_vec(),
            None,
        ),
        (
            "no CRLF after data",
            5,
            b"5\r\nhelloX0\r\n\r\n".to_vec(),
            None,
        ),
        (
            "bad trailer line",
            5,
            b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32\r\n\r\n".to_vec(),
            Some("x-amz-checksum-crc32"),
        ),
        (
            "wrong trailer value",
            5,
            b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n".to_vec(),
            Some("x-amz-checksum-crc32"),
        ),
        (
            "announced trailer missing",
            5,
            b"5\r\nhello\r\n0\r\n\r\n".to_vec(),
            Some("x-amz-checksum-crc32"),
        ),
        (
            "huge chunk extension",
            5,
            [
                b"5;".as_slice(),
                &vec![b'x'; 200_000],
                b"\r\nhello\r\n0\r\n\r\n",
            ]
            .concat(),
            None,
        ),
    ];
    for (what, dlen, body, trailer) in cases {
        let r = chunked_put(&s, "chunked", dlen, &body, trailer).await;
        if let Some(r) = r {
            assert!(
                (400..500).contains(&r.status),
                "{what}: answered {} {}",
                r.status,
                r.text()
            );
            assert!(is_error_doc(&r.text()), "{what}: {}", r.text());
        }
        assert!(s.idle(Duration::from_secs(10)).await);
        assert_eq!(s.state(), before, "{what}: state changed");
    }
    // The framing is right when it is right.
    let r = chunked_put(&s, "chunked", 5, b"5\r\nhello\r\n0\r\n\r\n", None)
        .await
        .expect("answer");
    assert_eq!(r.status, 200, "{}", r.text());
    still_serving(&s, &c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_headers_are_refused() {
    let s = server(None).await;
    let c = client(Duration::from_secs(30));
    let mut conn = RawConn::connect(s.endpoint()).await;
    let big = "v".repeat(2 << 20);
    let _ = conn
        .write(format!("GET /{BUCKET}/x HTTP/1.1\r\nhost: a\r\nx-big: {big}\r\n\r\n").as_bytes())
        .await;
    match tokio::time::timeout(Duration::from_secs(10), conn.response())
        .await
        .expect("bounded")
    {
        None => {}
        Some(r) => assert!(r.status == 431 || r.status == 400, "answered {}", r.status),
    }
    let mut conn = RawConn::connect(s.endpoint()).await;
    let mut many = format!("GET /{BUCKET}/x HTTP/1.1\r\nhost: a\r\n");
    for i in 0..5000 {
        many.push_str(&format!("x-h{i}: v\r\n"));
    }
    many.push_str("\r\n");
    let _ = conn.write(many.as_bytes()).await;
    match tokio::time::timeout(Duration::from_secs(10), conn.response())
        .await
        .expect("bounded")
    {
        None => {}
        Some(r) => assert!(
            r.status == 431 || r.status == 400 || r.status == 404,
            "answered {}",
            r.status
        ),
    }
    still_serving(&s, &c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_are_cut_off() {
    let s = server(None).await;
    let c = client(Duration::from_secs(30));
    let mut conn = RawConn::connect(s.endpoint()).await;
    conn.write(format!("PUT /{BUCKET}/slow HTTP/1.1\r\nhost: a\r\n").as_bytes())
        .await
        .unwrap();
    let t = Instant::now();
    assert!(
        conn.closed_within(STALL * 6).await,
        "a client that never finishes its headers keeps its connection"
    );
    println!(
        "unfinished headers: connection closed after {:?} (limit {STALL:?})",
        t.elapsed()
    );
    still_serving(&s, &c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_body_is_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(Some(dir.path())).await;
    let c = client(Duration::from_secs(30));
    let (id, _) = upload(&s, &c, "stall").await;
    let before = s.state();
    for (what, target, len) in [
        ("object PUT", format!("/{BUCKET}/stalled"), 100_000usize),
        (
            "part PUT",
            format!("/{BUCKET}/stall?uploadId={id}&partNumber=3"),
            100_000,
        ),
        (
            "complete document",
            format!("/{BUCKET}/stall?uploadId={id}"),
            10_000,
        ),
    ] {
        let method = if what.starts_with("complete") {
            "POST"
        } else {
            "PUT"
        };
        let mut conn = RawConn::connect(s.endpoint()).await;
        conn.head(method, &target, &[("content-length", len.to_string())])
            .await;
        conn.write(&vec![b'<'; 1000]).await.unwrap();
        let t = Instant::now();
        let r = tokio::time::timeout(STALL * 8, conn.response())
            .await
            .expect("a stalled body is bounded");
        if let Some(r) = r {
            assert_eq!(r.status, 400, "{what}: {}", r.text());
            assert!(r.text().contains("RequestTimeout"), "{what}: {}", r.text());
        }
        println!(
            "{what}: stalled body answered after {:?} (limit {STALL:?})",
            t.elapsed()
        );
        assert!(s.idle(Duration::from_secs(10)).await);
        assert_eq!(s.state(), before, "{what}: state changed");
    }
    let tmp = std::fs::read_dir(dir.path().join("blobs"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".tmp")
        })
        .count();
    assert_eq!(tmp, 0, "temp blobs left");
    still_serving(&s, &c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnects_mid_anything_leak_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(Some(dir.path())).await;
    let c = client(Duration::from_secs(30));
    let (id, parts) = upload(&s, &c, "dc").await;
    let big = content(5, 4 << 20);
    let r = c
        .put(format!("{}/{BUCKET}/big", s.endpoint()))
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let before = s.state();
    // Mid-headers.
    for _ in 0..20 {
        let mut conn = RawConn::connect(s.endpoint()).await;
        conn.write(format!("PUT /{BUCKET}/dc?uploadId={id}&partNum").as_bytes())
            .await
            .unwrap();
        drop(conn);
    }
    // Mid-body: object, part, complete document.
    let complete = complete_body(&parts);
    for (method, target, len, sent) in [
        (
            "PUT",
            format!("/{BUCKET}/half"),
            1_000_000usize,
            300_000usize,
        ),
        (
            "PUT",
            format!("/{BUCKET}/dc?uploadId={id}&partNumber=3"),
            1_000_000,
            300_000,
        ),
        (
            "POST",
            format!("/{BUCKET}/dc?uploadId={id}"),
            complete.len(),
            complete.len() / 2,
        ),
    ] {
        for _ in 0..10 {
            let mut conn = RawConn::connect(s.endpoint()).await;
            conn.head(method, &target, &[("content-length", len.to_string())])
                .await;
            let body = if method == "POST" {
                complete.as_bytes()[..sent].to_vec()
            } else {
                vec![7u8; sent]
            };
            conn.write(&body).await.unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
            drop(conn);
        }
    }
    // Mid-response: start a 4 MiB GET and hang up after a few bytes.
    for _ in 0..10 {
        let mut conn = RawConn::connect(s.endpoint()).await;
        conn.head("GET", &format!("/{BUCKET}/big"), &[]).await;
        let mut b = [0u8; 100];
        use tokio::io::AsyncReadExt;
        let _ = conn.stream.read(&mut b).await;
        drop(conn);
    }
    assert!(
        s.idle(Duration::from_secs(10)).await,
        "abandoned requests still in flight"
    );
    assert_eq!(s.state(), before, "a disconnect changed the state");
    let files = mock_server::store::DiskStore::blobs_on_disk(dir.path())
        .unwrap()
        .len() as u64;
    assert_eq!(
        files, before.blob_count,
        "blobs on disk (files and packed records) after disconnects"
    );
    still_serving(&s, &c).await;
}

#[tokio::test]
async fn hostile_json_documents_are_errors() {
    use mock_server::wire::json::parse_json;
    let deep = "[".repeat(100_000);
    let deep_obj = "{\"a\":".repeat(100_000);
    let huge = format!("[{}]", "1,".repeat(3_000_000));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        (
            "truncated",
            b"{\"object_parts\": [{\"part_number\": 1".to_vec(),
        ),
        ("deep array", deep.into_bytes()),
        ("deep object", deep_obj.into_bytes()),
        ("over the bound", huge.into_bytes()),
        ("invalid utf-8", b"{\"a\": \"\xff\xfe\"}".to_vec()),
        ("bad number", b"{\"a\": 1e999999}".to_vec()),
    ];
    for (what, body) in cases {
        let r = parse_json::<serde_json::Value>(&body, 1 << 20);
        assert!(r.is_err(), "{what}: parsed");
    }
}

#[tokio::test]
async fn hostile_xml_documents_are_errors() {
    use mock_server::wire::xml::parse_xml;
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Doc {
        #[serde(rename = "Part", default)]
        part: Vec<serde_json::Value>,
    }
    let deep = "<a>".repeat(200_000);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("deeply nested", deep.into_bytes()),
        ("over the bound", vec![b' '; 2 << 20]),
        ("unclosed", b"<Doc><Part>".to_vec()),
    ];
    for (what, body) in cases {
        assert!(parse_xml::<Doc>(&body, 1 << 20).is_err(), "{what}: parsed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_qingstor_json_documents_change_nothing() {
    let s = MockServer::builder()
        .memory()
        .min_part_size(1)
        .bucket(BUCKET)
        .dialect(mock_server::dialect::Dialect::QingStor)
        .start()
        .await
        .expect("start");
    let c = client(Duration::from_secs(30));
    let ep = s.endpoint();
    let r = c
        .post(format!("{ep}/{BUCKET}/qs?uploads"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    let id = v["upload_id"].as_str().expect("upload_id").to_string();
    let r = c
        .put(format!("{ep}/{BUCKET}/qs?upload_id={id}&part_number=0"))
        .body("part zero")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let before = s.state();
    let deep = "[".repeat(100_000);
    let deep_obj = "{\"object_parts\":".repeat(100_000);
    let huge = format!(
        "{{\"object_parts\":[{}{{\"part_number\":0}}]}}",
        "{\"part_number\":0},".repeat(300_000)
    );
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        (
            "truncated",
            b"{\"object_parts\": [{\"part_number\": 0".to_vec(),
        ),
        ("not json", b"<CompleteMultipartUpload/>".to_vec()),
        ("wrong types", b"{\"object_parts\": \"zero\"}".to_vec()),
        (
            "negative part",
            b"{\"object_parts\": [{\"part_number\": -1}]}".to_vec(),
        ),
        (
            "part overflow",
            b"{\"object_parts\": [{\"part_number\": 99999999999999999999}]}".to_vec(),
        ),
        (
            "unknown part",
            b"{\"object_parts\": [{\"part_number\": 7}]}".to_vec(),
        ),
        ("invalid utf-8", b"{\"object_parts\": [\xff]}".to_vec()),
        ("deep array", deep.into_bytes()),
        ("deep object", deep_obj.into_bytes()),
        ("over the size bound", huge.into_bytes()),
    ];
    for (what, body) in bodies {
        let r = c
            .post(format!("{ep}/{BUCKET}/qs?upload_id={id}"))
            .body(body)
            .send()
            .await;
        if let Ok(r) = r {
            let status = r.status().as_u16();
            let text = r.text().await.unwrap_or_default();
            assert!(
                (400..500).contains(&status),
                "{what}: answered {status}: {}",
                &text[..text.len().min(300)]
            );
            assert!(
                text.contains("\"code\""),
                "{what}: not a QingStor error: {}",
                &text[..text.len().min(300)]
            );
        }
        assert_eq!(s.state(), before, "{what}: the state changed");
    }
    assert!(s.idle(Duration::from_secs(10)).await);
    assert_eq!(s.state().orphan_blobs, 0);
}
