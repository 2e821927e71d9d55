//! Helpers shared by the reliability and hostile-input tests: the real `mock-server` binary as
//! a child process, a plain HTTP client, and small XML scraping.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The `mock-server` binary cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_mock-server");

/// A `mock-server` child process.
pub struct ServerProc {
    /// The child.
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

impl ServerProc {
    /// Starts the binary on 127.0.0.1:0 with `args` and waits for its "listening on" line.
    pub fn spawn(args: &[&str]) -> ServerProc {
        let mut child = Command::new(BIN)
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn mock-server");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let endpoint = loop {
            match lines.next() {
                Some(Ok(l)) => {
                    if let Some(rest) = l.strip_prefix("mock-server listening on ") {
                        break rest.trim().to_string();
                    }
                }
                other => {
                    let _ = child.kill();
                    panic!("mock-server did not report its address: {other:?}");
                }
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        ServerProc { child, endpoint }
    }

    /// Starts the binary on a data directory (fsync on, the default).
    pub fn on_dir(dir: &Path, extra: &[&str]) -> ServerProc {
        let d = dir.to_str().expect("utf-8 temp dir");
        let mut args = vec!["--data-dir", d, "--min-part-size", "1"];
        args.extend_from_slice(extra);
        ServerProc::spawn(&args)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, then reap.
    pub fn kill9(mut self) {
        let _ = self.child.kill(); // std sends SIGKILL
        let _ = self.child.wait();
    }
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client without connection reuse surprises: fresh pool, bounded time.
pub fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .pool_max_idle_per_host(4)
        .build()
        .expect("client")
}

/// The text of the first `<name>` element in `xml`.
pub fn tag(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(xml[start..end].to_string())
}

/// A CompleteMultipartUpload document for `(number, etag)` pairs.
pub fn complete_body(parts: &[(u32, String)]) -> String {
    let mut b = String::from("<CompleteMultipartUpload>");
    for (n, e) in parts {
        b.push_str(&format!(
            "<Part><PartNumber>{n}</PartNumber><ETag>\"{e}\"</ETag></Part>"
        ));
    }
    b.push_str("</CompleteMultipartUpload>");
    b
}

/// Deterministic pseudo-random bytes for `(seed, len)`, so content can be re-derived.
pub fn content(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// MD5 hex.
pub fn md5_hex(data: &[u8]) -> String {
    mock_server::checksum::md5_hex(data)
}

/// `/_mock/state` as JSON.
pub async fn state(c: &reqwest::Client, endpoint: &str) -> serde_json::Value {
    let text = c
        .get(format!("{endpoint}/_mock/state"))
        .send()
        .await
        .expect("state")
        .text()
        .await
        .expect("state body");
    serde_json::from_str(&text).expect("state json")
}

/// A `Vm*:` figure (KiB) of a process from /proc/PID/status, e.g. `"VmRSS"` or `"VmHWM"`
/// (the peak RSS); 0 if it cannot be read.
pub fn vm_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Resident set size (KiB) and open file descriptors of a process, from /proc.
pub fn rss_and_fds(pid: u32) -> (u64, usize) {
    let rss = vm_kib(pid, "VmRSS");
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0);
    (rss, fds)
}

/// A raw HTTP/1.1 connection, for requests whose body is sent in pieces, never finished, or
/// malformed on purpose.
pub struct RawConn {
    /// The socket.
    pub stream: tokio::net::TcpStream,
}

/// A parsed answer: status, headers (lower-case names), body.
#[derive(Debug)]
pub struct RawResponse {
    /// Status code.
    pub status: u16,
    /// Header lines, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body (read to Content-Length, or to EOF).
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).to_string()
    }
}

impl RawConn {
    /// Connects to `endpoint` (`http://host:port`).
    pub async fn connect(endpoint: &str) -> RawConn {
        let addr = endpoint.trim_start_matches("http://");
        RawConn {
            stream: tokio::net::TcpStream::connect(addr).await.expect("connect"),
        }
    }

    /// Writes raw bytes.
    pub async fn write(&mut self, data: &[u8]) -> std::io::Result<()> {
        use tokio::io::AsyncWriteExt;
        self.stream.write_all(data).await?;
        self.stream.flush().await
    }

    /// Writes a request head (`Host`, `Connection: close` added).
    pub async fn head(&mut self, method: &str, target: &str, headers: &[(&str, String)]) {
        let mut h =
            format!("{method} {target} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n");
        for (k, v) in headers {
            h.push_str(&format!("{k}: {v}\r\n"));
        }
        h.push_str("\r\n");
        self.write(h.as_bytes()).await.expect("write head");
    }

    /// Reads one answer; `None` when the server closed the connection without one.
    pub async fn response(&mut self) -> Option<RawResponse> {
        use tokio::io::AsyncReadExt;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 16384];
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let n = self.stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        let mut lines = head.split("\r\n");
        let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let len = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.parse::<usize>().ok());
        let mut body = buf[head_end..].to_vec();
        loop {
            if len.is_some_and(|l| body.len() >= l) {
                break;
            }
            match self.stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => body.extend_from_slice(&chunk[..n]),
            }
        }
        Some(RawResponse {
            status,
            headers,
            body,
        })
    }

    /// Whether the server closed the connection (EOF or reset) within `limit`.
    pub async fn closed_within(&mut self, limit: Duration) -> bool {
        use tokio::io::AsyncReadExt;
        let mut chunk = [0u8; 4096];
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            match tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await {
                Err(_) => return false,
                Ok(Ok(0)) | Ok(Err(_)) => return true,
                Ok(Ok(_)) => {}
            }
        }
    }
}
