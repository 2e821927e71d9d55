//! Transport tests against raw TCP servers that misbehave on purpose: refused connections,
//! drops before/after the body, stalls, lost and truncated answers.

use std::time::Duration;

use bytes::Bytes;
use http::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;
use crate::uploader::codec::{WireRequest, WireResponse};
use crate::uploader::config::{Credentials, Dialect};

/// A codec that only signs (with nothing); the transport tests call `send` directly.
struct NullCodec;

fn unused<T>() -> Result<T, AttemptError> {
    Err(AttemptError::malformed("not used in transport tests"))
}

impl Codec for NullCodec {
    fn initiate(&self, _: &str, _: &str) -> WireRequest {
        WireRequest::new(Method::POST, "/".into(), String::new())
    }
    fn parse_initiate(&self, _: &WireResponse) -> Result<String, AttemptError> {
        unused()
    }
    fn upload_part(&self, _: &UploadRef, _: u32, _: &PartData) -> WireRequest {
        WireRequest::new(Method::PUT, "/".into(), String::new())
    }
    fn parse_upload_part(&self, _: &WireResponse) -> Result<PartAck, AttemptError> {
        unused()
    }
    fn list_parts(&self, _: &UploadRef, _: Option<u32>) -> WireRequest {
        WireRequest::new(Method::GET, "/".into(), String::new())
    }
    fn parse_list_parts(&self, _: &WireResponse) -> Result<PartsPage, AttemptError> {
        unused()
    }
    fn complete(&self, _: &UploadRef, _: &CompleteRequest) -> Result<WireRequest, AttemptError> {
        unused()
    }
    fn parse_complete(&self, _: &WireResponse) -> Result<CompleteAck, AttemptError> {
        unused()
    }
    fn abort(&self, _: &UploadRef) -> WireRequest {
        WireRequest::new(Method::DELETE, "/".into(), String::new())
    }
    fn parse_abort(&self, _: &WireResponse) -> Result<(), AttemptError> {
        unused()
    }
    fn get_object(&self, _: &str, _: &str) -> WireRequest {
        WireRequest::new(Method::GET, "/".into(), String::new())
    }
    fn error_of(&self, _: &WireResponse) -> AttemptError {
        AttemptError::malformed("not used in transport tests")
    }
    fn head(&self, _: &str, _: &str) -> WireRequest {
        WireRequest::new(Method::HEAD, "/".into(), String::new())
    }
    fn parse_head(&self, _: &WireResponse) -> Result<Option<ObjectInfo>, AttemptError> {
        unused()
    }
    fn sign(&self, req: &mut WireRequest, _: SystemTime) -> Result<(), AttemptError> {
        req.headers
            .insert("x-test-signed", HeaderValue::from_static("yes"));
        Ok(())
    }
}

fn remote(addr: &str, stall_ms: u64, first_byte_ms: u64) -> HttpRemote {
    let mut cfg = UploaderConfig::new(
        format!("http://{addr}"),
        Dialect::S3,
        Credentials::new("a", "s"),
    );
    cfg.timeouts = Timeouts {
        connect: Duration::from_secs(2),
        first_byte: Duration::from_millis(first_byte_ms),
        stall: Duration::from_millis(stall_ms),
    };
    let endpoint = parse_endpoint(&cfg.endpoint).unwrap();
    HttpRemote::with_codec(&cfg, endpoint, Box::new(NullCodec)).unwrap()
}

fn put(len: usize) -> WireRequest {
    let mut r = WireRequest::new(Method::PUT, "/b/k".into(), "partNumber=1&uploadId=U".into());
    r.body = Bytes::from(vec![7u8; len]);
    r
}

/// Reads the request head; returns it and the Content-Length.
async fn read_head(sock: &mut TcpStream) -> (String, usize) {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if sock.read(&mut byte).await.unwrap() == 0 {
            break;
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).to_string();
    let len = head
        .lines()
        .find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())
                .flatten()
        })
        .unwrap_or(0);
    (head, len)
}

async fn read_body(sock: &mut TcpStream, len: usize) {
    let mut body = vec![0u8; len];
    sock.read_exact(&mut body).await.unwrap();
}

/// Starts a one-connection server running `script`; returns its address.
async fn serve<F, Fut>(script: F) -> String
where
    F: FnOnce(TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        if let Ok((sock, _)) = listener.accept().await {
            script(sock).await;
        }
    });
    addr
}

#[tokio::test]
async fn refused_connection_is_classified_before_the_body() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    drop(listener);
    let err = remote(&addr, 1000, 1000)
        .send(put(10), &BodyMeter::silent())
        .await
        .unwrap_err();
    assert_eq!(
        err.cause,
        Cause::Connection {
            kind: ConnectionKind::Refused,
            stage: BodyStage::BeforeBody
        },
        "{err}"
    );
    assert!(err.is_retryable() && !err.cause.may_have_landed());
}

#[tokio::test]
async fn answer_is_read_whole_with_signed_headers_and_exact_length() {
    let addr = serve(|mut sock| async move {
        let (head, len) = read_head(&mut sock).await;
        read_body(&mut sock, len).await;
        let ok = head.contains("x-test-signed: yes")
            && head.to_ascii_lowercase().contains("content-length: 100000")
            && !head.to_ascii_lowercase().contains("transfer-encoding")
            && head.starts_with("PUT /b/k?partNumber=1&uploadId=U HTTP/1.1");
        let body = if ok { "signed" } else { "unexpected head" };
        let resp = format!(
            "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        sock.write_all(resp.as_bytes()).await.unwrap();
    })
    .await;
    let meter = BodyMeter::silent();
    let resp = remote(&addr, 1000, 1000)
        .send(put(100_000), &meter)
        .await
        .unwrap();
    assert_eq!(resp.status.as_u16(), 503);
    assert_eq!(&resp.body[..], b"signed");
    assert_eq!(resp.retry_after(), Some(Duration::from_secs(2)));
    assert_eq!(meter.sent(), 100_000);
}

#[tokio::test]
async fn drop_after_the_whole_body_may_have_landed() {
    let addr = serve(|mut sock| async move {
        let (_, len) = read_head(&mut sock).await;
        read_body(&mut sock, len).await;
        drop(sock);
    })
    .await;
    let err = remote(&addr, 1000, 1000)
        .send(put(5000), &BodyMeter::silent())
        .await
        .unwrap_err();
    match err.cause {
        Cause::Connection { stage, kind } => {
            assert_eq!(stage, BodyStage::AfterBody, "{err}");
            assert!(
                matches!(kind, ConnectionKind::Closed | ConnectionKind::Reset),
                "{err}"
            );
        }
        _ => panic!("unexpected {err}"),
    }
    assert!(err.cause.may_have_landed());
}

#[tokio::test]
async fn drop_before_reading_the_body_cannot_have_landed() {
    let addr = serve(|mut sock| async move {
        let _ = read_head(&mut sock).await;
        // Close with unread data pending: the kernel answers with RST.
        drop(sock);
    })
    .await;
    let err = remote(&addr, 2000, 2000)
        .send(put(8 << 20), &BodyMeter::silent())
        .await
        .unwrap_err();
    match err.cause {
        Cause::Connection { stage, .. } => {
            assert!(
                matches!(stage, BodyStage::BeforeBody | BodyStage::DuringBody),
                "{err}"
            );
        }
        _ => panic!("unexpected {err}"),
    }
    assert!(err.is_retryable() && !err.cause.may_have_landed());
}

#[tokio::test]
async fn stalled_upload_times_out() {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let addr = serve(|mut sock| async move {
        let _ = read_head(&mut sock).await;
        // Never read the body; hold the connection until the client gave up.
        let _ = rx.await;
    })
    .await;
    let err = remote(&addr, 300, 5000)
        .send(put(64 << 20), &BodyMeter::silent())
        .await
        .unwrap_err();
    drop(tx);
    assert_eq!(
        err.cause,
        Cause::Timeout {
            kind: TimeoutKind::SendStall
        },
        "{err}"
    );
}

#[tokio::test]
async fn missing_answer_times_out_waiting_for_the_first_byte() {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let addr = serve(|mut sock| async move {
        let (_, len) = read_head(&mut sock).await;
        read_body(&mut sock, len).await;
        let _ = rx.await;
    })
    .await;
    let started = std::time::Instant::now();
    let err = remote(&addr, 5000, 300)
        .send(put(1000), &BodyMeter::silent())
        .await
        .unwrap_err();
    drop(tx);
    assert_eq!(
        err.cause,
        Cause::Timeout {
            kind: TimeoutKind::FirstByte
        },
        "{err}"
    );
    assert!(err.cause.may_have_landed());
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn stalled_answer_body_times_out() {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let addr = serve(|mut sock| async move {
        let (_, len) = read_head(&mut sock).await;
        read_body(&mut sock, len).await;
        sock.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
            .await
            .unwrap();
        let _ = rx.await;
    })
    .await;
    let err = remote(&addr, 300, 5000)
        .send(put(10), &BodyMeter::silent())
        .await
        .unwrap_err();
    drop(tx);
    assert_eq!(
        err.cause,
        Cause::Timeout {
            kind: TimeoutKind::ResponseStall
        },
        "{err}"
    );
}

#[tokio::test]
async fn truncated_answer_is_a_connection_failure_in_the_response() {
    let addr = serve(|mut sock| async move {
        let (_, len) = read_head(&mut sock).await;
        read_body(&mut sock, len).await;
        sock.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
            .await
            .unwrap();
        drop(sock);
    })
    .await;
    let err = remote(&addr, 2000, 2000)
        .send(put(10), &BodyMeter::silent())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err.cause,
            Cause::Connection {
                stage: BodyStage::InResponse,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.cause.may_have_landed());
}

#[test]
fn part_digester_cuts_at_part_boundaries_whatever_the_chunking() {
    use md5::{Digest, Md5};
    let data: Vec<u8> = (0..2_500u32).map(|i| (i % 251) as u8).collect();
    let want: Vec<[u8; 16]> = data.chunks(1000).map(|c| Md5::digest(c).into()).collect();
    for chunk in [1, 7, 999, 1000, 1001, 4096] {
        let mut d = PartDigester::new(1000);
        for piece in data.chunks(chunk) {
            d.update(piece);
        }
        assert_eq!(d.finish(), want, "chunks of {chunk}");
    }
    let empty: [u8; 16] = Md5::digest(b"").into();
    assert_eq!(PartDigester::new(1000).finish(), vec![empty]);
    let mut exact = PartDigester::new(1000);
    exact.update(&data[..2000]);
    assert_eq!(exact.finish().len(), 2);
}
