//! Races between operations on the same upload or object. Each must end in a state the S3
//! rules allow, leave no orphan blob, and finish within a bound (no deadlock).

mod reliability_support;

use mock_server::MockServer;
use reliability_support::*;
use std::time::Duration;

const BUCKET: &str = "races";
const BOUND: Duration = Duration::from_secs(20);

async fn server(disk: Option<&std::path::Path>) -> MockServer {
    let b = MockServer::builder().min_part_size(1).bucket(BUCKET);
    let b = match disk {
        Some(d) => b.data_dir(d),
        None => b.memory(),
    };
    b.start().await.expect("start")
}

async fn initiate(s: &MockServer, c: &reqwest::Client, key: &str) -> String {
    let r = c
        .post(format!("{}/{BUCKET}/{key}?uploads", s.endpoint()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    tag(&r.text().await.unwrap(), "UploadId").expect("UploadId")
}

async fn put_part(
    s: &MockServer,
    c: &reqwest::Client,
    key: &str,
    id: &str,
    n: u32,
    data: &[u8],
) -> String {
    let r = c
        .put(format!(
            "{}/{BUCKET}/{key}?uploadId={id}&partNumber={n}",
            s.endpoint()
        ))
        .body(data.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "part {n}");
    md5_hex(data)
}

/// Waits for the server to be idle, then checks that every blob is referenced.
async fn assert_clean(s: &MockServer) {
    assert!(
        s.idle(BOUND).await,
        "requests still in flight after {BOUND:?}"
    );
    let st = s.state();
    assert_eq!(st.orphan_blobs, 0, "orphan blobs: {st:?}");
}

/// Opens a part upload on a raw connection and sends the first half of `data`.
async fn half_part(s: &MockServer, key: &str, id: &str, n: u32, data: &[u8]) -> RawConn {
    let mut conn = RawConn::connect(s.endpoint()).await;
    conn.head(
        "PUT",
        &format!("/{BUCKET}/{key}?uploadId={id}&partNumber={n}"),
        &[("content-length", data.len().to_string())],
    )
    .await;
    conn.write(&data[..data.len() / 2]).await.unwrap();
    // Let the server start streaming it into a blob.
    tokio::time::sleep(Duration::from_millis(100)).await;
    conn
}

async fn abort_vs_inflight_part_inner(disk: Option<&std::path::Path>) {
    let s = server(disk).await;
    let c = client(BOUND);
    let id = initiate(&s, &c, "a").await;
    let data = content(1, 256 * 1024);
    let mut conn = half_part(&s, "a", &id, 1, &data).await;
    let r = c
        .delete(format!("{}/{BUCKET}/a?uploadId={id}", s.endpoint()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let _ = conn.write(&data[data.len() / 2..]).await;
    let resp = tokio::time::timeout(BOUND, conn.response())
        .await
        .expect("bounded");
    if let Some(resp) = resp {
        assert_eq!(
            resp.status,
            404,
            "a part finished after its upload was aborted: {}",
            resp.text()
        );
        assert!(resp.text().contains("NoSuchUpload"), "{}", resp.text());
    }
    assert_clean(&s).await;
    let st = s.state();
    assert_eq!(st.open_uploads(), 0);
    assert_eq!(
        st.blob_count, 0,
        "the in-flight part's blob was kept: {st:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_vs_inflight_part() {
    abort_vs_inflight_part_inner(None).await;
    let dir = tempfile::tempdir().unwrap();
    abort_vs_inflight_part_inner(Some(dir.path())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complete_vs_inflight_part() {
    let s = server(None).await;
    let c = client(BOUND);
    let id = initiate(&s, &c, "c").await;
    let p1 = content(2, 10_000);
    let e1 = put_part(&s, &c, "c", &id, 1, &p1).await;
    let p2 = content(3, 200_000);
    let mut conn = half_part(&s, "c", &id, 2, &p2).await;
    let r = c
        .post(format!("{}/{BUCKET}/c?uploadId={id}", s.endpoint()))
        .body(complete_body(&[(1, e1)]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let _ = conn.write(&p2[p2.len() / 2..]).await;
    if let Some(resp) = tokio::time::timeout(BOUND, conn.response())
        .await
        .expect("bounded")
    {
        assert_eq!(resp.status, 404, "{}", resp.text());
    }
    let got = c
        .get(format!("{}/{BUCKET}/c", s.endpoint()))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        got.as_ref(),
        p1.as_slice(),
        "the object is exactly the completed part list"
    );
    assert_clean(&s).await;
    assert_eq!(s.state().open_uploads(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_completes_at_once() {
    let s = server(None).await;
    let c = client(BOUND);
    for round in 0..20 {
        let key = format!("two{round}");
        let id = initiate(&s, &c, &key).await;
        let p1 = content(round, 5_000);
        let p2 = content(round + 100, 3_000);
        let parts = vec![
            (1, put_part(&s, &c, &key, &id, 1, &p1).await),
            (2, put_part(&s, &c, &key, &id, 2, &p2).await),
        ];
        let url = format!("{}/{BUCKET}/{key}?uploadId={id}", s.endpoint());
        let (a, b) = tokio::join!(
            c.post(&url).body(complete_body(&parts)).send(),
            c.post(&url).body(complete_body(&parts)).send()
        );
        let statuses = [a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
        assert!(
            statuses.contains(&200),
            "neither complete succeeded: {statuses:?}"
        );
        for st in statuses {
            assert!(st == 200 || st == 404, "a racing complete answered {st}");
        }
        let got = c
            .get(format!("{}/{BUCKET}/{key}", s.endpoint()))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(got.as_ref(), [p1, p2].concat().as_slice());
    }
    assert_clean(&s).await;
    assert_eq!(s.state().open_uploads(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn abort_vs_complete() {
    let s = server(None).await;
    let c = client(BOUND);
    let (mut completed, mut aborted) = (0, 0);
    for round in 0..30 {
        let key = format!("ac{round}");
        let id = initiate(&s, &c, &key).await;
        let p1 = content(round, 4_000);
        let parts = vec![(1, put_part(&s, &c, &key, &id, 1, &p1).await)];
        let url = format!("{}/{BUCKET}/{key}?uploadId={id}", s.endpoint());
        let (done, ab) = tokio::join!(
            c.post(&url).body(complete_body(&parts)).send(),
            c.delete(&url).send()
        );
        let done = done.unwrap();
        let done_ok = done.status() == 200
            && done
                .text()
                .await
                .unwrap()
                .contains("CompleteMultipartUploadResult");
        let ab = ab.unwrap().status().as_u16();
        let obj = c
            .get(format!("{}/{BUCKET}/{key}", s.endpoint()))
            .send()
            .await
            .unwrap();
        if done_ok {
            completed += 1;
            assert_eq!(obj.status(), 200);
            assert_eq!(obj.bytes().await.unwrap().as_ref(), p1.as_slice());
            assert!(ab == 404 || ab == 204, "abort after a complete: {ab}");
        } else {
            aborted += 1;
            assert_eq!(ab, 204, "neither the complete nor the abort succeeded");
            assert_eq!(obj.status(), 404, "aborted upload produced an object");
        }
    }
    println!("abort vs complete: {completed} completed first, {aborted} aborted first");
    assert_clean(&s).await;
    assert_eq!(s.state().open_uploads(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_vs_get_while_streaming() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(Some(dir.path())).await;
    let c = client(BOUND);
    let data = content(9, 8 << 20);
    let r = c
        .put(format!("{}/{BUCKET}/big", s.endpoint()))
        .body(data.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut conn = RawConn::connect(s.endpoint()).await;
    conn.head("GET", &format!("/{BUCKET}/big"), &[]).await;
    // Read a little, then delete and overwrite the object while the GET is mid-stream.
    let mut first = [0u8; 4096];
    use tokio::io::AsyncReadExt;
    let n = conn.stream.read(&mut first).await.unwrap();
    assert!(n > 0);
    let r = c
        .delete(format!("{}/{BUCKET}/big", s.endpoint()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let other = content(10, 1 << 20);
    let r = c
        .put(format!("{}/{BUCKET}/big", s.endpoint()))
        .body(other.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut rest = Vec::new();
    tokio::time::timeout(BOUND, conn.stream.read_to_end(&mut rest))
        .await
        .expect("bounded")
        .unwrap();
    let mut all = first[..n].to_vec();
    all.extend_from_slice(&rest);
    let split = all.windows(4).position(|w| w == b"\r\n\r\n").expect("head") + 4;
    assert_eq!(
        &all[split..],
        data.as_slice(),
        "the GET that started before the delete returns the old object whole"
    );
    let now = c
        .get(format!("{}/{BUCKET}/big", s.endpoint()))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(now.as_ref(), other.as_slice());
    assert_clean(&s).await;
    let st = s.state();
    assert_eq!(
        st.blob_count, 1,
        "the deleted object's blob is freed after the GET ends: {st:?}"
    );
    let files = mock_server::store::DiskStore::blobs_on_disk(dir.path())
        .unwrap()
        .len();
    assert_eq!(files, 1, "blobs on disk (files and packed records)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_uploads_for_one_key() {
    let s = server(None).await;
    let c = client(BOUND);
    let n = 24;
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let c = c.clone();
            let ep = s.endpoint().to_string();
            tokio::spawn(async move {
                let r = c
                    .post(format!("{ep}/{BUCKET}/same?uploads"))
                    .send()
                    .await
                    .unwrap();
                let id = tag(&r.text().await.unwrap(), "UploadId").unwrap();
                let data = content(1000 + i, 3000 + i as usize);
                let r = c
                    .put(format!("{ep}/{BUCKET}/same?uploadId={id}&partNumber=1"))
                    .body(data.clone())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                let r = c
                    .post(format!("{ep}/{BUCKET}/same?uploadId={id}"))
                    .body(complete_body(&[(1, md5_hex(&data))]))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                data
            })
        })
        .collect();
    let mut written = Vec::new();
    for t in tasks {
        written.push(
            tokio::time::timeout(BOUND, t)
                .await
                .expect("bounded")
                .unwrap(),
        );
    }
    let got = c
        .get(format!("{}/{BUCKET}/same", s.endpoint()))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(
        written.iter().any(|w| w.as_slice() == got.as_ref()),
        "the object is one of the uploads, whole"
    );
    assert_clean(&s).await;
    let st = s.state();
    assert_eq!(st.open_uploads(), 0);
    assert_eq!(st.blob_count, 1, "only the winner's blob remains: {st:?}");
}
