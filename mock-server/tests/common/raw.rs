//! Raw HTTP/1.1 over TCP, for request lines no HTTP library sends (absolute-form targets,
//! unnormalised `..` segments, invalid percent-encoding).

use std::collections::HashMap;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A parsed raw response.
#[derive(Debug, Clone)]
pub struct RawResp {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-cased (last value wins).
    pub headers: HashMap<String, String>,
    /// Body (de-chunked).
    pub body: Vec<u8>,
}

impl RawResp {
    /// Body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `head` (request line and headers, without the final empty line; `Connection: close`
/// is added) and `body`, and reads the whole answer.
pub async fn request(addr: SocketAddr, head: &str, body: &[u8]) -> RawResp {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let mut msg = head.trim_end_matches("\r\n").to_string();
    msg.push_str("\r\nConnection: close\r\n\r\n");
    s.write_all(msg.as_bytes()).await.expect("write head");
    s.write_all(body).await.expect("write body");
    let mut buf = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(30), s.read_to_end(&mut buf))
        .await
        .expect("answer within 30 s")
        .expect("read");
    parse(&buf)
}

fn parse(buf: &[u8]) -> RawResp {
    let end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(buf)));
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = buf[end + 4..].to_vec();
    if headers
        .get("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        body = dechunk(&body);
    }
    RawResp {
        status,
        headers,
        body,
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_s = String::from_utf8_lossy(&b[..eol]);
        let size =
            usize::from_str_radix(size_s.split(';').next().unwrap_or("0").trim(), 16).unwrap_or(0);
        b = &b[eol + 2..];
        if size == 0 || b.len() < size {
            return out;
        }
        out.extend_from_slice(&b[..size]);
        b = &b[(size + 2).min(b.len())..];
    }
}
