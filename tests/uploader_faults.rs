//! The uploader (library and `mpu` CLI) against a small S3 server written for these tests that
//! misbehaves on command: drops connections before, during and after the body, answers
//! 503/500/403, 200-with-error on complete, wrong ETags, lost complete answers.
//! (Once mock-server's fault engine exists these scenarios move onto it.)

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use md5::{Digest, Md5};
use multipart_harness::uploader::{
    Backoff, Cause, Cleanup, Credentials, Dialect, Phase, UploadError, UploadOptions, Uploader,
    UploaderConfig,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

// ---------------------------------------------------------------------------------------------
// The fault server
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Initiate,
    Part(u32),
    List,
    Complete,
    Abort,
    Head,
}

#[derive(Clone, Debug)]
enum Action {
    /// Read the request, answer this status and S3 error code, do nothing.
    Reply(u16, &'static str),
    /// Close the connection right after the request head.
    DropBeforeBody,
    /// Read this many body bytes, then close.
    DropMidBody(usize),
    /// Read the body, carry out the operation, close without answering.
    DropAfterBody,
    /// Complete only: answer 200 with an `<Error>` document, do nothing.
    ErrorIn200,
    /// Part only: store the part, answer a wrong ETag.
    WrongEtag,
}

#[derive(Debug)]
struct Rule {
    op: Op,
    times: u32,
    action: Action,
}

#[derive(Default)]
struct State {
    uploads: HashMap<String, BTreeMap<u32, Vec<u8>>>,
    objects: HashMap<String, (Vec<u8>, String)>,
    rules: Vec<Rule>,
    next_id: u32,
    part_requests: HashMap<u32, u32>,
    requests: u32,
}

#[derive(Clone)]
struct FaultServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

fn error_xml(code: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{code} injected by the test server</Message><RequestId>TESTREQ</RequestId></Error>"
    )
}

struct Request {
    method: String,
    path: String,
    query: HashMap<String, String>,
    content_length: usize,
}

/// Reads a request head; `None` at a clean end of the connection.
async fn read_head<R: AsyncRead + Unpin>(r: &mut R) -> Option<Request> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if r.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
        if head.len() > 64 * 1024 {
            return None;
        }
    }
    let text = String::from_utf8_lossy(&head).to_string();
    let mut lines = text.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let (path, raw_query) = target.split_once('?').unwrap_or((&target, ""));
    let query = raw_query
        .split('&')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k.to_string(), v.to_string())
        })
        .collect();
    let content_length = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    Some(Request {
        method,
        path: path.to_string(),
        query,
        content_length,
    })
}

fn response(status: u16, headers: &[(&str, String)], body: &str) -> Vec<u8> {
    let reason = match status {
        200 => "OK",
        204 => "No Content",
        404 => "Not Found",
        _ => "Error",
    };
    let mut out = format!("HTTP/1.1 {status} {reason}\r\n");
    for (n, v) in headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nx-amz-request-id: TESTREQ\r\n\r\n",
        body.len()
    ));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

impl FaultServer {
    async fn start() -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = FaultServer {
            addr,
            state: Arc::default(),
        };
        let s = server.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move { s.connection(sock).await });
            }
        });
        server
    }

    fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn fault(&self, op: Op, times: u32, action: Action) {
        self.state
            .lock()
            .unwrap()
            .rules
            .push(Rule { op, times, action });
    }

    fn object(&self, key: &str) -> Option<Vec<u8>> {
        self.state
            .lock()
            .unwrap()
            .objects
            .get(key)
            .map(|o| o.0.clone())
    }

    fn open_uploads(&self) -> usize {
        self.state.lock().unwrap().uploads.len()
    }

    fn part_requests(&self, number: u32) -> u32 {
        *self
            .state
            .lock()
            .unwrap()
            .part_requests
            .get(&number)
            .unwrap_or(&0)
    }

    fn take_rule(&self, op: Op) -> Option<Action> {
        let mut st = self.state.lock().unwrap();
        let rule = st.rules.iter_mut().find(|r| r.op == op && r.times > 0)?;
        rule.times -= 1;
        Some(rule.action.clone())
    }

    async fn connection(&self, sock: TcpStream) {
        let mut sock = BufReader::new(sock);
        while let Some(req) = read_head(&mut sock).await {
            if !self.serve(&mut sock, req).await {
                return;
            }
        }
    }

    fn classify(req: &Request) -> Option<Op> {
        let q = &req.query;
        match req.method.as_str() {
            "POST" if q.contains_key("uploads") => Some(Op::Initiate),
            "POST" if q.contains_key("uploadId") => Some(Op::Complete),
            "PUT" if q.contains_key("uploadId") => q
                .get("partNumber")
                .and_then(|n| n.parse().ok())
                .map(Op::Part),
            "GET" if q.contains_key("uploadId") => Some(Op::List),
            "DELETE" if q.contains_key("uploadId") => Some(Op::Abort),
            "HEAD" => Some(Op::Head),
            _ => None,
        }
    }

    /// Serves one request; false when the connection must close.
    async fn serve(&self, sock: &mut BufReader<TcpStream>, req: Request) -> bool {
        let op = Self::classify(&req);
        {
            let mut st = self.state.lock().unwrap();
            st.requests += 1;
            if let Some(Op::Part(n)) = op {
                *st.part_requests.entry(n).or_default() += 1;
            }
        }
        let action = op.and_then(|o| self.take_rule(o));
        if matches!(action, Some(Action::DropBeforeBody)) {
            return false;
        }
        if let Some(Action::DropMidBody(n)) = action {
            let mut partial = vec![0u8; n.min(req.content_length)];
            let _ = sock.read_exact(&mut partial).await;
            return false;
        }
        let mut body = vec![0u8; req.content_length];
        if sock.read_exact(&mut body).await.is_err() {
            return false;
        }
        if let Some(Action::Reply(status, code)) = action {
            let out = response(
                status,
                &[("Content-Type", "application/xml".into())],
                &error_xml(code),
            );
            return sock.get_mut().write_all(&out).await.is_ok();
        }
        if matches!(action, Some(Action::ErrorIn200)) {
            let out = response(
                200,
                &[("Content-Type", "application/xml".into())],
                &error_xml("InternalError"),
            );
            return sock.get_mut().write_all(&out).await.is_ok();
        }
        let out = self.operate(op, &req, body, matches!(action, Some(Action::WrongEtag)));
        if matches!(action, Some(Action::DropAfterBody)) {
            return false;
        }
        sock.get_mut().write_all(&out).await.is_ok()
    }

    fn operate(&self, op: Option<Op>, req: &Request, body: Vec<u8>, wrong_etag: bool) -> Vec<u8> {
        let key = req.path.clone();
        let upload_id = req.query.get("uploadId").cloned().unwrap_or_default();
        let mut st = self.state.lock().unwrap();
        let no_such_upload = || response(404, &[], &error_xml("NoSuchUpload"));
        match op {
            Some(Op::Initiate) => {
                st.next_id += 1;
                let id = format!("TESTUPLOAD{}", st.next_id);
                st.uploads.insert(id.clone(), BTreeMap::new());
                response(
                    200,
                    &[("Content-Type", "application/xml".into())],
                    &format!(
                        "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>{id}</UploadId></InitiateMultipartUploadResult>"
                    ),
                )
            }
            Some(Op::Part(n)) => {
                let Some(parts) = st.uploads.get_mut(&upload_id) else {
                    return no_such_upload();
                };
                let etag = if wrong_etag {
                    md5_hex(b"something else")
                } else {
                    md5_hex(&body)
                };
                parts.insert(n, body);
                response(200, &[("ETag", format!("\"{etag}\""))], "")
            }
            Some(Op::List) => {
                let Some(parts) = st.uploads.get(&upload_id) else {
                    return no_such_upload();
                };
                let marker: u32 = req
                    .query
                    .get("part-number-marker")
                    .and_then(|m| m.parse().ok())
                    .unwrap_or(0);
                let page: Vec<_> = parts.range(marker + 1..).take(2).collect();
                let truncated = parts.range(marker + 1..).count() > 2;
                let mut xml = format!(
                    "<ListPartsResult><Bucket>b</Bucket><Key>k</Key><UploadId>{upload_id}</UploadId><PartNumberMarker>{marker}</PartNumberMarker><MaxParts>2</MaxParts><IsTruncated>{truncated}</IsTruncated>"
                );
                if let Some((last, _)) = page.last() {
                    xml.push_str(&format!(
                        "<NextPartNumberMarker>{last}</NextPartNumberMarker>"
                    ));
                }
                for (n, data) in page {
                    xml.push_str(&format!(
                        "<Part><PartNumber>{n}</PartNumber><LastModified>2026-11-21T04:28:44.000Z</LastModified><ETag>&quot;{}&quot;</ETag><Size>{}</Size></Part>",
                        md5_hex(data),
                        data.len()
                    ));
                }
                xml.push_str("</ListPartsResult>");
                response(200, &[("Content-Type", "application/xml".into())], &xml)
            }
            Some(Op::Complete) => {
                let Some(parts) = st.uploads.get(&upload_id) else {
                    return no_such_upload();
                };
                let text = String::from_utf8_lossy(&body).to_string();
                let mut object = Vec::new();
                let mut md5s = Vec::new();
                for piece in text.split("<Part>").skip(1) {
                    let field = |name: &str| {
                        piece
                            .split_once(&format!("<{name}>"))
                            .and_then(|(_, rest)| rest.split_once(&format!("</{name}>")))
                            .map(|(v, _)| v.to_string())
                    };
                    let n: u32 = field("PartNumber")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    let etag = field("ETag")
                        .unwrap_or_default()
                        .replace("&quot;", "")
                        .replace('"', "");
                    let Some(data) = parts.get(&n) else {
                        return response(400, &[], &error_xml("InvalidPart"));
                    };
                    if md5_hex(data) != etag {
                        return response(400, &[], &error_xml("InvalidPart"));
                    }
                    object.extend_from_slice(data);
                    md5s.extend_from_slice(&Md5::digest(data));
                }
                let etag = format!("{}-{}", md5_hex(&md5s), md5s.len() / 16);
                st.uploads.remove(&upload_id);
                st.objects.insert(key.clone(), (object, etag.clone()));
                response(
                    200,
                    &[("Content-Type", "application/xml".into())],
                    &format!(
                        "<CompleteMultipartUploadResult><Location>http://x{key}</Location><Bucket>b</Bucket><Key>k</Key><ETag>&quot;{etag}&quot;</ETag></CompleteMultipartUploadResult>"
                    ),
                )
            }
            Some(Op::Abort) => {
                if st.uploads.remove(&upload_id).is_none() {
                    return no_such_upload();
                }
                response(204, &[], "")
            }
            Some(Op::Head) => match st.objects.get(&key) {
                // HEAD answers carry the object's length but no body.
                Some((data, etag)) => format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nETag: \"{etag}\"\r\n\r\n",
                    data.len()
                )
                .into_bytes(),
                None => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec(),
            },
            None => response(400, &[], &error_xml("InvalidRequest")),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A file of pseudo-random bytes (xorshift), so no two parts are alike.
fn data_file(len: usize) -> (tempfile::NamedTempFile, Vec<u8>) {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
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

fn config(server: &FaultServer) -> UploaderConfig {
    let mut cfg = UploaderConfig::new(
        server.endpoint(),
        Dialect::S3,
        Credentials::new(
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
    );
    cfg.part_size = Some(64 * 1024);
    cfg.concurrency = 3;
    cfg.max_attempts = 4;
    cfg.backoff = Backoff {
        initial: Duration::from_millis(5),
        max: Duration::from_millis(20),
        ..Backoff::default()
    };
    cfg.timeouts.first_byte = Duration::from_secs(5);
    cfg.timeouts.stall = Duration::from_secs(5);
    cfg
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn survives_drops_errors_and_wrong_etags() {
    let server = FaultServer::start().await;
    server.fault(Op::Initiate, 1, Action::Reply(500, "InternalError"));
    server.fault(Op::Part(1), 2, Action::Reply(503, "SlowDown"));
    server.fault(Op::Part(2), 1, Action::DropBeforeBody);
    server.fault(Op::Part(3), 1, Action::DropMidBody(10_000));
    server.fault(Op::Part(4), 1, Action::DropAfterBody);
    server.fault(Op::Part(5), 1, Action::WrongEtag);
    server.fault(Op::Complete, 1, Action::ErrorIn200);
    let (file, data) = data_file(64 * 1024 * 5 + 12_345);
    let report = Uploader::new(config(&server))
        .unwrap()
        .upload_file(file.path(), "b", "obj")
        .await
        .unwrap();
    assert_eq!(server.object("/b/obj").as_deref(), Some(&data[..]));
    assert_eq!(report.parts, 6);
    let by = &report.retries_by_cause;
    assert_eq!(by.get("http_500_InternalError"), Some(&1), "{by:?}");
    assert_eq!(by.get("http_503_SlowDown"), Some(&2), "{by:?}");
    assert_eq!(by.get("etag_mismatch"), Some(&1), "{by:?}");
    assert_eq!(by.get("error_in_200_InternalError"), Some(&1), "{by:?}");
    let drops: u64 = by
        .iter()
        .filter(|(k, _)| k.starts_with("connection_"))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(drops, 3, "{by:?}");
    assert_eq!(report.retries, 8);
    assert_eq!(server.part_requests(1), 3);
    assert_eq!(server.part_requests(6), 1);
    assert_eq!(server.open_uploads(), 0);
    assert_eq!(report.etag, report.expected_etag);
}

#[tokio::test]
async fn lost_complete_answer_is_confirmed_with_head() {
    let server = FaultServer::start().await;
    server.fault(Op::Complete, 1, Action::DropAfterBody);
    let (file, data) = data_file(200_000);
    let report = Uploader::new(config(&server))
        .unwrap()
        .upload_file(file.path(), "b", "obj")
        .await
        .unwrap();
    assert!(report.confirmed_by_head);
    assert_eq!(server.object("/b/obj").as_deref(), Some(&data[..]));
    assert_eq!(report.etag, report.expected_etag);
}

#[tokio::test]
async fn access_denied_fails_fast_and_leaves_nothing() {
    let server = FaultServer::start().await;
    server.fault(Op::Part(2), 100, Action::Reply(403, "AccessDenied"));
    let (file, _) = data_file(64 * 1024 * 4);
    let err = Uploader::new(config(&server))
        .unwrap()
        .upload_file(file.path(), "b", "obj")
        .await
        .unwrap_err();
    let UploadError::Rejected {
        phase,
        error,
        cleanup,
    } = &err
    else {
        panic!("expected a rejection, got {err}");
    };
    assert_eq!(*phase, Phase::UploadPart { part_number: 2 });
    assert_eq!(
        error.cause,
        Cause::Service {
            status: 403,
            code: "AccessDenied".into()
        }
    );
    assert_eq!(error.request_id.as_deref(), Some("TESTREQ"));
    assert!(matches!(cleanup, Cleanup::Aborted { .. }), "{err}");
    assert_eq!(server.part_requests(2), 1);
    assert_eq!(server.open_uploads(), 0);
    assert!(server.object("/b/obj").is_none());
}

#[tokio::test]
async fn persistent_throttling_exhausts_retries_then_aborts() {
    let server = FaultServer::start().await;
    server.fault(Op::Part(1), 100, Action::Reply(503, "SlowDown"));
    let (file, _) = data_file(100_000);
    let err = Uploader::new(config(&server))
        .unwrap()
        .upload_file(file.path(), "b", "obj")
        .await
        .unwrap_err();
    assert!(
        matches!(err, UploadError::RetriesExhausted { attempts: 4, .. }),
        "{err}"
    );
    assert_eq!(server.part_requests(1), 4);
    assert_eq!(server.open_uploads(), 0);
}

#[tokio::test]
async fn kept_upload_resumes_sending_only_what_is_missing() {
    let server = FaultServer::start().await;
    server.fault(Op::Part(3), 1, Action::Reply(403, "AccessDenied"));
    let (file, data) = data_file(64 * 1024 * 5);
    let mut cfg = config(&server);
    cfg.abort_on_failure = false;
    cfg.concurrency = 1;
    let uploader = Uploader::new(cfg).unwrap();
    let err = uploader
        .upload_file(file.path(), "b", "obj")
        .await
        .unwrap_err();
    let Some(Cleanup::Kept { upload_id }) = err.cleanup().cloned() else {
        panic!("upload should be kept: {err}");
    };
    assert_eq!(server.open_uploads(), 1);
    let report = uploader
        .upload_file_with(
            file.path(),
            "b",
            "obj",
            UploadOptions {
                resume: Some(upload_id.clone()),
                checkpoint: None,
            },
        )
        .await
        .unwrap();
    assert!(report.resumed);
    assert_eq!(report.upload_id, upload_id);
    assert_eq!(report.parts_reused, 2);
    assert_eq!(report.parts_uploaded, 3);
    assert_eq!(server.part_requests(1), 1);
    assert_eq!(server.part_requests(3), 2);
    assert_eq!(server.object("/b/obj").as_deref(), Some(&data[..]));
}

#[tokio::test]
async fn cli_reports_success_as_json_and_failure_in_one_line() {
    let server = FaultServer::start().await;
    let (file, data) = data_file(150_000);
    let run = |key: &str, extra: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mpu"));
        cmd.arg("upload")
            .arg(file.path())
            .arg(format!("s3://b/{key}"))
            .args(["--endpoint", &server.endpoint()])
            .args([
                "--part-size",
                "64KiB",
                "--progress",
                "lines",
                "--max-attempts",
                "2",
            ])
            .args(["--backoff-initial-ms", "1", "--backoff-max-ms", "5"])
            .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
            .env(
                "AWS_SECRET_ACCESS_KEY",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            )
            .args(extra);
        cmd
    };
    let out = tokio::task::spawn_blocking({
        let mut cmd = run("ok", &["--json"]);
        move || cmd.output().unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["parts"], 3);
    assert_eq!(report["bytes"], 150_000);
    assert_eq!(report["etag"], report["expected_etag"]);
    assert_eq!(server.object("/b/ok").as_deref(), Some(&data[..]));

    server.fault(Op::Part(2), 100, Action::Reply(403, "AccessDenied"));
    let out = tokio::task::spawn_blocking({
        let mut cmd = run("denied", &[]);
        move || cmd.output().unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("mpu: upload failed: upload part 2 rejected: HTTP 403 AccessDenied"),
        "{stderr}"
    );
    assert!(last.contains("aborted, nothing left behind"), "{stderr}");
    assert_eq!(server.open_uploads(), 0);

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mpu"))
        .args([
            "upload",
            "/nonexistent",
            "not-a-target",
            "--endpoint",
            "http://127.0.0.1:1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
}
