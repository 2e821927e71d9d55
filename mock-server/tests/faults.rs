//! Every fault action, proven over a real loopback connection: what the client sees, and what
//! the server stored.

use mock_server::expect::Expect;
use mock_server::faults::Fault;
use mock_server::ops::OpKind;
use mock_server::MockServer;
use std::time::{Duration, Instant};

const BUCKET: &str = "faults";

fn md5_hex(data: &[u8]) -> String {
    mock_server::checksum::md5_hex(data)
}

async fn server() -> MockServer {
    let s = MockServer::builder()
        .memory()
        .min_part_size(1)
        .bucket(BUCKET)
        .start()
        .await
        .expect("start");
    s
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .pool_max_idle_per_host(0)
        .build()
        .expect("client")
}

fn tag(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(xml[start..end].to_string())
}

async fn initiate(s: &MockServer, c: &reqwest::Client, key: &str) -> String {
    let r = c
        .post(format!("{}/{BUCKET}/{key}?uploads", s.endpoint()))
        .send()
        .await
        .expect("initiate");
    assert_eq!(r.status(), 200);
    tag(&r.text().await.unwrap(), "UploadId").expect("UploadId")
}

fn part_url(s: &MockServer, key: &str, id: &str, n: u32) -> String {
    format!(
        "{}/{BUCKET}/{key}?uploadId={id}&partNumber={n}",
        s.endpoint()
    )
}

async fn list_parts(s: &MockServer, c: &reqwest::Client, key: &str, id: &str) -> String {
    c.get(format!("{}/{BUCKET}/{key}?uploadId={id}", s.endpoint()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

fn complete_body(parts: &[(u32, String)]) -> String {
    let mut b = String::from("<CompleteMultipartUpload>");
    for (n, e) in parts {
        b.push_str(&format!(
            "<Part><PartNumber>{n}</PartNumber><ETag>\"{e}\"</ETag></Part>"
        ));
    }
    b.push_str("</CompleteMultipartUpload>");
    b
}

#[tokio::test]
async fn drop_before_body_stores_nothing() {
    let s = server().await;
    let c = client();
    let id = initiate(&s, &c, "k").await;
    s.fault(Fault::drop_before_body().on(OpKind::UploadPart).times(1))
        .unwrap();
    let r = c
        .put(part_url(&s, "k", &id, 1))
        .body(vec![7u8; 4096])
        .send()
        .await;
    assert!(r.is_err(), "the client must see a dropped connection");
    let state = s.state();
    assert_eq!(state.buckets[0].uploads[0].parts.len(), 0);
    assert_eq!(state.blob_count, 0);
    // The rule fired once: the retry goes through.
    let r = c
        .put(part_url(&s, "k", &id, 1))
        .body(vec![7u8; 4096])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let j = s.journal();
    let parts: Vec<_> = j
        .iter()
        .filter(|e| e.op == Some(OpKind::UploadPart))
        .collect();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].status, None);
    assert_eq!(parts[0].faults.len(), 1);
    assert_eq!((parts[0].attempt, parts[1].attempt), (1, 2));
}

#[tokio::test]
async fn drop_after_body_bytes_stores_nothing_and_leaks_nothing() {
    let s = server().await;
    let c = client();
    let id = initiate(&s, &c, "k").await;
    s.fault(Fault::drop_after_body_bytes(100_000).on(OpKind::UploadPart))
        .unwrap();
    let r = c
        .put(part_url(&s, "k", &id, 1))
        .body(vec![1u8; 1 << 20])
        .send()
        .await;
    assert!(r.is_err());
    let state = s.state();
    assert_eq!(state.buckets[0].uploads[0].parts.len(), 0);
    assert_eq!(state.blob_count, 0, "the partial blob is deleted");
    let e = s
        .journal()
        .into_iter()
        .find(|e| e.op == Some(OpKind::UploadPart))
        .unwrap();
    assert!(e.bytes_in <= 100_000 + (1 << 20), "{}", e.bytes_in);
    assert!(!e.committed);
}

#[tokio::test]
async fn drop_after_commit_stores_the_part_but_the_client_sees_failure() {
    let s = server().await;
    let c = client();
    let id = initiate(&s, &c, "k").await;
    s.fault(
        Fault::drop_after_commit()
            .on(OpKind::UploadPart)
            .part(2)
            .times(1),
    )
    .unwrap();
    let r = c.put(part_url(&s, "k", &id, 2)).body("second").send().await;
    assert!(r.is_err());
    let parts = list_parts(&s, &c, "k", &id).await;
    assert!(
        parts.contains(&md5_hex(b"second")),
        "the part was stored: {parts}"
    );
    let e = s
        .journal()
        .into_iter()
        .find(|e| e.op == Some(OpKind::UploadPart))
        .unwrap();
    assert!(e.committed && e.status.is_none());
}

#[tokio::test]
async fn error_is_rendered_in_the_dialect_and_changes_nothing() {
    let s = server().await;
    let c = client();
    let id = initiate(&s, &c, "k").await;
    s.fault(Fault::throttle().on(OpKind::UploadPart).times(1))
        .unwrap();
    let r = c
        .put(part_url(&s, "k", &id, 1))
        .body("data")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("x-amz-request-id"));
    let body = r.text().await.unwrap();
    assert_eq!(tag(&body, "Code").as_deref(), Some("SlowDown"));
    assert_eq!(s.state().blob_count, 0);
    let e = s
        .journal()
        .into_iter()
        .find(|e| e.op == Some(OpKind::UploadPart))
        .unwrap();
    assert_eq!(e.error_code.as_deref(), Some("SlowDown"));
}

#[tokio::test]
async fn bad_etag_stores_correctly_but_answers_a_wrong_etag() {
    let s = server().await;
    let c = client();
    let id = initiate(&s, &c, "k").await;
    s.fault(Fault::bad_etag().on(OpKind::UploadPart)).unwrap();
    let r = c
        .put(part_url(&s, "k", &id, 1))
        .body("payload")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let answered = r.headers()["etag"]
        .to_str()
        .unwrap()
        .trim_matches('"')
        .to_string();
    assert_ne!(answered, md5_hex(b"payload"));
    assert_eq!(answered.len(), 32);
    assert!(list_parts(&s, &c, "k", &id)
        .await
        .contains(&md5_hex(b"payload")));
    // Completing with the answered (wrong) ETag is refused: the client must check ETags.
    let r = c
        .post(format!("{}/{BUCKET}/k?uploadId={id}", s.endpoint()))
        .body(complete_body(&[(1, answered)]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        tag(&r.text().await.unwrap(), "Code").as_deref(),
        Some("InvalidPart")
    );
}

#[tokio::test]
async fn corrupt_damages_the_payload_in_transit() {
    let s = server().await;
    let c = client();
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    s.fault(Fault::corrupt().on(OpKind::PutObject)).unwrap();
    // Without an integrity header the damage is stored and acknowledged; only the ETag tells.
    let r = c
        .put(format!("{}/{BUCKET}/obj", s.endpoint()))
        .body(data.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"]
        .to_str()
        .unwrap()
        .trim_matches('"')
        .to_string();
    assert_ne!(
        etag,
        md5_hex(&data),
        "the ETag is that of the damaged bytes"
    );
    let got = c
        .get(format!("{}/{BUCKET}/obj", s.endpoint()))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(got.len(), data.len());
    assert_eq!(
        got.iter().zip(&data).filter(|(a, b)| a != b).count(),
        1,
        "one byte differs"
    );
    assert_eq!(etag, md5_hex(&got));
    // With Content-MD5 the server notices and stores nothing.
    use base64::Engine;
    let md5 =
        base64::engine::general_purpose::STANDARD.encode(mock_server::checksum::Md5::digest(&data));
    let r = c
        .put(format!("{}/{BUCKET}/obj2", s.endpoint()))
        .header("content-md5", md5)
        .body(data.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        tag(&r.text().await.unwrap(), "Code").as_deref(),
        Some("BadDigest")
    );
    assert!(s.state().object(BUCKET, "obj2").is_none());
}

#[tokio::test]
async fn truncated_download() {
    let s = server().await;
    let c = client();
    c.put(format!("{}/{BUCKET}/obj", s.endpoint()))
        .body(vec![9u8; 300_000])
        .send()
        .await
        .unwrap();
    s.fault(Fault::drop_response_after_bytes(1000).on(OpKind::GetObject))
        .unwrap();
    let r = c
        .get(format!("{}/{BUCKET}/obj", s.endpoint()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.content_length(), Some(300_000));
    assert!(r.bytes().await.is_err(), "the body must end early");
}

#[tokio::test]
async fn latency_and_bandwidth_slow_the_answer_down() {
    let s = server().await;
    let c = client();
    s.fault(Fault::latency(Duration::from_millis(300)).on(OpKind::HeadBucket))
        .unwrap();
    let t = Instant::now();
    let r = c
        .head(format!("{}/{BUCKET}", s.endpoint()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    s.fault(Fault::bandwidth(None, Some(200_000)).on(OpKind::GetObject))
        .unwrap();
    c.put(format!("{}/{BUCKET}/obj", s.endpoint()))
        .body(vec![1u8; 100_000])
        .send()
        .await
        .unwrap();
    let t = Instant::now();
    let body = c
        .get(format!("{}/{BUCKET}/obj", s.endpoint()))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(body.len(), 100_000);
    assert!(
        t.elapsed() >= Duration::from_millis(400),
        "{:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn stall_answers_nothing_until_the_client_gives_up() {
    let s = server().await;
    let c = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    s.fault(Fault::stall().on(OpKind::ListBuckets)).unwrap();
    let r = c.get(format!("{}/", s.endpoint())).send().await;
    assert!(r.unwrap_err().is_timeout());
}

async fn two_part_upload(
    s: &MockServer,
    c: &reqwest::Client,
    key: &str,
) -> (String, Vec<(u32, String)>) {
    let id = initiate(s, c, key).await;
    let mut parts = Vec::new();
    for (n, d) in [(1u32, "first part "), (2, "second")] {
        let r = c
            .put(part_url(s, key, &id, n))
            .body(d)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        parts.push((n, md5_hex(d.as_bytes())));
    }
    (id, parts)
}

#[tokio::test]
async fn error_in_200_on_complete_does_not_complete() {
    let s = server().await;
    let c = client();
    let (id, parts) = two_part_upload(&s, &c, "k").await;
    s.fault(Fault::error_in_200().times(1)).unwrap();
    let url = format!("{}/{BUCKET}/k?uploadId={id}", s.endpoint());
    let r = c
        .post(&url)
        .body(complete_body(&parts))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("<Error>") && body.contains("InternalError"),
        "{body}"
    );
    assert_eq!(s.state().open_uploads(), 1, "nothing completed");
    // The client retries and succeeds.
    let r = c
        .post(&url)
        .body(complete_body(&parts))
        .send()
        .await
        .unwrap();
    let body = r.text().await.unwrap();
    assert!(body.contains("CompleteMultipartUploadResult"), "{body}");
    assert_eq!(s.state().open_uploads(), 0);
}

#[tokio::test]
async fn slow_complete_keeps_alive_then_answers() {
    let s = server().await;
    let c = client();
    let (id, parts) = two_part_upload(&s, &c, "k").await;
    s.fault(Fault::slow_complete(Duration::from_millis(600), None))
        .unwrap();
    let url = format!("{}/{BUCKET}/k?uploadId={id}", s.endpoint());
    let r = c
        .post(&url)
        .body(complete_body(&parts))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(body.starts_with("<?xml"), "declaration first: {body:?}");
    let after_decl = &body[body.find("?>").unwrap() + 2..];
    assert!(
        after_decl
            .trim_start()
            .starts_with("<CompleteMultipartUploadResult"),
        "{body:?}"
    );
    assert!(
        after_decl.contains("  "),
        "whitespace keep-alives: {body:?}"
    );
    assert_eq!(s.state().open_uploads(), 0);

    let (id, parts) = two_part_upload(&s, &c, "k2").await;
    s.clear_faults();
    s.fault(Fault::slow_complete(
        Duration::from_millis(300),
        Some("InternalError"),
    ))
    .unwrap();
    let url = format!("{}/{BUCKET}/k2?uploadId={id}", s.endpoint());
    let body = c
        .post(&url)
        .body(complete_body(&parts))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("<Error>")
            && !body.contains("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error"),
        "{body:?}"
    );
    assert_eq!(
        s.state().open_uploads(),
        1,
        "an error after keep-alives completes nothing"
    );
}

/// The same seed fires the same faults on the same (operation, part, attempt) set whatever
/// the concurrency: probabilities hash the request's identity instead of drawing from a
/// shared random stream.
#[tokio::test]
async fn same_seed_same_faults_at_concurrency_1_and_16() {
    async fn run(concurrency: usize) -> Vec<(u32, u32)> {
        let s = server().await;
        let c = client();
        let id = initiate(&s, &c, "det").await;
        s.fault(
            Fault::throttle()
                .on(OpKind::UploadPart)
                .probability(0.3)
                .seed(1234),
        )
        .unwrap();
        let sem = std::sync::Arc::new(tokio::sync::Semaphore::new(concurrency));
        let mut tasks = Vec::new();
        for n in 1..=48u32 {
            for _attempt in 0..2 {
                let (c, url, sem) = (c.clone(), part_url(&s, "det", &id, n), sem.clone());
                tasks.push(tokio::spawn(async move {
                    let _p = sem.acquire_owned().await;
                    c.put(url)
                        .body(vec![n as u8; 100])
                        .send()
                        .await
                        .map(|r| r.status().as_u16())
                }));
                // Attempts of one part must arrive in order for "attempt" to mean the same.
                if concurrency == 1 {
                    tasks.pop().unwrap().await.unwrap().unwrap();
                }
            }
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let mut fired: Vec<(u32, u32)> = s
            .journal()
            .into_iter()
            .filter(|e| !e.faults.is_empty())
            .map(|e| (e.part_number.unwrap(), e.attempt))
            .collect();
        fired.sort();
        fired
    }
    let one = run(1).await;
    let sixteen = run(16).await;
    assert!(!one.is_empty() && one.len() < 96, "{} fired", one.len());
    // At concurrency 16 two attempts of one part may race for attempt numbers 1 and 2, but
    // the set of (part, attempt) pairs that fire is the same.
    assert_eq!(one, sixteen);
}

#[tokio::test]
async fn admin_api_installs_lists_and_clears_rules_and_filters_the_journal() {
    let s = server().await;
    let c = client();
    let base = format!("{}/_mock", s.endpoint());
    let rule = serde_json::json!([
        {"match": {"op": "HeadBucket"}, "action": {"type": "error", "status": 500, "code": "InternalError"}, "schedule": {"times": 1}},
        {"name": "slow lists", "match": {"op": ["ListObjectsV2", "ListObjects"]}, "action": {"type": "latency", "ms": 1}}
    ]);
    let r = c
        .post(format!("{base}/faults"))
        .body(serde_json::to_vec(&rule).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let ids: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(ids["ids"].as_array().unwrap().len(), 2);
    let bad = c
        .post(format!("{base}/faults"))
        .body(r#"{"action":{"type":"explode"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(
        c.head(format!("{}/{BUCKET}", s.endpoint()))
            .send()
            .await
            .unwrap()
            .status(),
        500
    );
    assert_eq!(
        c.head(format!("{}/{BUCKET}", s.endpoint()))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let list: serde_json::Value = serde_json::from_slice(
        &c.get(format!("{base}/faults"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(list[0]["fired"], 1);
    assert_eq!(list[0]["matched"], 2);
    let j: serde_json::Value = serde_json::from_slice(
        &c.get(format!("{base}/journal?op=HeadBucket&since=1"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    let j = j.as_array().unwrap();
    assert_eq!(j.len(), 1, "two HeadBuckets, the first is seq 1: {j:?}");
    assert!(j
        .iter()
        .all(|e| e["op"] == "HeadBucket" && e["seq"].as_u64().unwrap() == 2));
    assert_eq!(
        c.delete(format!("{base}/faults/1"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        c.delete(format!("{base}/faults/1"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    c.delete(format!("{base}/faults")).send().await.unwrap();
    assert!(s.faults().is_empty());
}

#[tokio::test]
async fn scenario_file_rules_are_loaded_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(
        &path,
        r#"
name = "anything the runner reads is ignored by the server"
[workload]
size = 10
[[fault]]
match = { op = "UploadPart", part = 3 }
action = { type = "drop_after_commit" }
schedule = { times = 1 }
"#,
    )
    .unwrap();
    let s = MockServer::builder()
        .memory()
        .scenario_file(&path)
        .unwrap()
        .start()
        .await
        .unwrap();
    let rules = s.faults();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].rule.matcher.op, vec![OpKind::UploadPart]);
}

#[tokio::test]
async fn expectations_are_verified() {
    let s = server().await;
    let c = client();
    let (id, parts) = two_part_upload(&s, &c, "k").await;
    c.post(format!("{}/{BUCKET}/k?uploadId={id}", s.endpoint()))
        .body(complete_body(&parts))
        .send()
        .await
        .unwrap();
    s.expect(Expect::op(OpKind::UploadPart).times(2));
    s.expect(Expect::none(OpKind::UploadPart).after(OpKind::CompleteMultipartUpload));
    assert!(s.verify().is_ok());
    s.expect(Expect::op(OpKind::AbortMultipartUpload).times(1));
    let report = s.verify().unwrap_err();
    assert!(
        report.contains("exactly 1 AbortMultipartUpload, saw 0"),
        "{report}"
    );
    assert!(
        report.contains("CompleteMultipartUpload"),
        "the report lists what was seen: {report}"
    );
    // Dropping a server with an unmet expectation panics; we catch it to prove it.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(s)));
    assert!(outcome.is_err());
}
