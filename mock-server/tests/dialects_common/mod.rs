//! Shared helpers of the dialect tests (obs_*, qingstor_*, auth_*): a raw HTTP client that
//! sends exactly the path, query, Host and headers given, signed with the crate's own signing
//! functions, and small XML/JSON readers.
#![allow(dead_code)]

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};
use mock_server::auth::{self, sigv2::HeaderPrefix, Credentials, RequestTarget};
use mock_server::{MockServer, MockServerBuilder};
use std::net::SocketAddr;
use std::time::SystemTime;

/// S3/OBS test credentials (PROTOCOLS.md §6).
pub const AK: &str = "AKIAIOSFODNN7EXAMPLE";
/// Secret of [`AK`].
pub const SK: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/// QingStor test credentials.
pub const QS_AK: &str = "QYACCESSKEYIDEXAMPLE";
/// Secret of [`QS_AK`].
pub const QS_SK: &str = "SECRETACCESSKEY0EXAMPLE0QINGSTOR0SECRET";

/// The two stores every behaviour is checked on.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    /// `MockServer::builder().memory()`.
    Memory,
    /// The default: disk in a temp dir.
    Disk,
}

/// Both backends.
pub const BACKENDS: [Backend; 2] = [Backend::Memory, Backend::Disk];

impl Backend {
    /// A builder on this backend.
    pub fn builder(self) -> MockServerBuilder {
        match self {
            Backend::Memory => MockServer::builder().memory(),
            Backend::Disk => MockServer::builder(),
        }
    }
}

/// How a request is signed.
#[derive(Debug, Clone)]
pub enum Signer {
    /// Not signed.
    None,
    /// SigV2 (`AWS ak:sig`) or OBS (`OBS ak:sig`).
    V2(HeaderPrefix, Credentials),
    /// QingStor (`QS ak:sig`).
    Qs(Credentials),
    /// SigV4 header auth, hex SHA-256 payload hash.
    V4(Credentials),
}

/// What came back.
#[derive(Debug)]
pub struct Resp {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

impl Resp {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text()))
    }
    /// The text of the first `<name>` element of an XML body.
    pub fn xml(&self, name: &str) -> Option<String> {
        xml_values(&self.text(), name).into_iter().next()
    }
    /// The texts of every `<name>` element of an XML body.
    pub fn xml_all(&self, name: &str) -> Vec<String> {
        xml_values(&self.text(), name)
    }
}

/// The texts of every `<name>...</name>` in `doc` (entities `&quot;` unescaped).
pub fn xml_values(doc: &str, name: &str) -> Vec<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let mut out = Vec::new();
    let mut rest = doc;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let Some(j) = after.find(&close) else { break };
        out.push(
            after[..j]
                .replace("&quot;", "\"")
                .replace("&amp;", "&")
                .replace("&lt;", "<")
                .replace("&gt;", ">"),
        );
        rest = &after[j + close.len()..];
    }
    out
}

/// One request, exactly as it will go on the wire.
#[derive(Debug, Clone)]
pub struct Req {
    /// Method.
    pub method: &'static str,
    /// Host name (without port) to put into the URL and Host header; resolved to the server.
    pub host: String,
    /// Raw path (percent-encoded).
    pub path: String,
    /// Raw query without `?`.
    pub query: String,
    /// Headers to send (and sign).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
    /// The bucket when it is in the Host header (signed into the resource by V2/OBS/QS).
    pub vhost_bucket: Option<String>,
    /// Send in absolute form through the server acting as an HTTP proxy.
    pub via_proxy: bool,
}

impl Req {
    /// A request to `127.0.0.1`.
    pub fn new(method: &'static str, path: &str, query: &str) -> Req {
        Req {
            method,
            host: "127.0.0.1".into(),
            path: path.into(),
            query: query.into(),
            headers: Vec::new(),
            body: Vec::new(),
            vhost_bucket: None,
            via_proxy: false,
        }
    }
    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Req {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Req {
        self.body = body.into();
        self
    }
    /// Sends to another host name (resolved to the server), e.g. `pek3b.127.0.0.1`.
    pub fn host(mut self, host: &str) -> Req {
        self.host = host.into();
        self
    }
    /// Virtual-hosted: Host `{bucket}.{host}`, the bucket signed into the resource.
    pub fn vhost(mut self, bucket: &str, base: &str) -> Req {
        self.host = format!("{bucket}.{base}");
        self.vhost_bucket = Some(bucket.into());
        self
    }
    /// Through the server as an HTTP proxy (absolute-form request target).
    pub fn proxied(mut self) -> Req {
        self.via_proxy = true;
        self
    }
}

/// Sends requests to one server.
pub struct Client {
    /// The server's address.
    pub addr: SocketAddr,
    /// How requests are signed.
    pub signer: Signer,
    /// Signing time (default: now).
    pub time: Option<SystemTime>,
}

impl Client {
    /// A client of `server` signing with `signer`.
    pub fn new(server: &MockServer, signer: Signer) -> Client {
        Client {
            addr: server.address(),
            signer,
            time: None,
        }
    }

    /// The headers `req` is sent with after signing.
    pub fn signed_headers(&self, req: &Req) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let host = format!("{}:{}", req.host, self.addr.port());
        headers.insert(http::header::HOST, HeaderValue::from_str(&host).unwrap());
        for (k, v) in &req.headers {
            headers.append(
                HeaderName::from_bytes(k.to_ascii_lowercase().as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        let target = RequestTarget {
            method: req.method,
            raw_path: &req.path,
            raw_query: &req.query,
            virtual_host_bucket: req.vhost_bucket.as_deref(),
        };
        let now = self.time.unwrap_or_else(SystemTime::now);
        match &self.signer {
            Signer::None => {}
            Signer::V2(prefix, c) => {
                auth::sigv2::sign(&target, &mut headers, c, *prefix, now).expect("sigv2 sign")
            }
            Signer::Qs(c) => auth::qs::sign(&target, &mut headers, c, now).expect("qs sign"),
            Signer::V4(c) => {
                let hash = auth::sigv4::sha256_hex(&req.body);
                auth::sigv4::sign(&target, &mut headers, &hash, c, "us-east-1", now)
                    .expect("sigv4 sign");
            }
        }
        headers
    }

    /// Signs and sends `req`.
    pub async fn send(&self, req: Req) -> Resp {
        let headers = self.signed_headers(&req);
        self.send_raw(&req, headers).await
    }

    /// Sends `req` with exactly `headers` (already signed, maybe tampered with).
    pub async fn send_raw(&self, req: &Req, headers: HeaderMap) -> Resp {
        if req.via_proxy {
            return self.send_absolute_form(req, &headers).await;
        }
        let mut b = reqwest::Client::builder()
            .no_proxy()
            .http1_only()
            .timeout(std::time::Duration::from_secs(60));
        // A name ending in a number (`pek3b.127.0.0.1`) is no valid URL host: connect to
        // 127.0.0.1 and let the Host header (always set explicitly) carry the name.
        let url_host = if req.host.ends_with(|c: char| c.is_ascii_digit()) {
            "127.0.0.1".to_string()
        } else {
            b = b.resolve(&req.host, self.addr);
            req.host.clone()
        };
        let client = b.build().expect("reqwest client");
        let mut url = format!("http://{url_host}:{}{}", self.addr.port(), req.path);
        if !req.query.is_empty() {
            url.push('?');
            url.push_str(&req.query);
        }
        let method = http::Method::from_bytes(req.method.as_bytes()).unwrap();
        let resp = client
            .request(method, url)
            .headers(headers)
            .body(req.body.clone())
            .send()
            .await
            .expect("request sent");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.expect("response body");
        Resp {
            status,
            headers,
            body,
        }
    }

    /// Sends `req` as a client talks to an HTTP proxy: `METHOD http://host:port/path HTTP/1.1`
    /// over a plain TCP connection to the server.
    async fn send_absolute_form(&self, req: &Req, headers: &HeaderMap) -> Resp {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut target = format!("http://{}:{}{}", req.host, self.addr.port(), req.path);
        if !req.query.is_empty() {
            target.push('?');
            target.push_str(&req.query);
        }
        let mut head = format!("{} {target} HTTP/1.1\r\n", req.method);
        for (k, v) in headers {
            head.push_str(&format!("{}: {}\r\n", k, v.to_str().unwrap()));
        }
        head.push_str(&format!(
            "content-length: {}\r\nconnection: close\r\n\r\n",
            req.body.len()
        ));
        let mut stream = tokio::net::TcpStream::connect(self.addr)
            .await
            .expect("connect");
        stream.write_all(head.as_bytes()).await.expect("write head");
        stream.write_all(&req.body).await.expect("write body");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.expect("read response");
        parse_response(&raw, req.method == "HEAD")
    }
}

/// Parses a whole HTTP/1.1 response read until the connection closed.
pub fn parse_response(raw: &[u8], head_request: bool) -> Resp {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of response head");
    let head = std::str::from_utf8(&raw[..split]).expect("ASCII head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    let mut headers = HeaderMap::new();
    for line in lines {
        let (k, v) = line.split_once(':').expect("header line");
        headers.append(
            HeaderName::from_bytes(k.trim().to_ascii_lowercase().as_bytes()).unwrap(),
            HeaderValue::from_str(v.trim()).unwrap(),
        );
    }
    let rest = &raw[split + 4..];
    let body = if head_request {
        Vec::new()
    } else if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"chunked"))
    {
        let mut out = Vec::new();
        let mut at = 0;
        loop {
            let eol = rest[at..]
                .windows(2)
                .position(|w| w == b"\r\n")
                .expect("chunk size line")
                + at;
            let size_text = std::str::from_utf8(&rest[at..eol]).expect("chunk size");
            let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16)
                .expect("hex chunk size");
            at = eol + 2;
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[at..at + size]);
            at += size + 2;
        }
        out
    } else {
        rest.to_vec()
    };
    Resp {
        status,
        headers,
        body: Bytes::from(body),
    }
}

/// Lowercase hex MD5.
pub fn md5_hex(data: &[u8]) -> String {
    use md5::{Digest, Md5};
    hex::encode(Md5::digest(data))
}

/// The S3/OBS multipart ETag of `parts` (quoted).
pub fn multipart_etag(parts: &[&[u8]]) -> String {
    use md5::{Digest, Md5};
    let mut all = Vec::new();
    for p in parts {
        all.extend_from_slice(&Md5::digest(p));
    }
    format!("\"{}-{}\"", hex::encode(Md5::digest(&all)), parts.len())
}

/// Deterministic pseudo-random bytes.
pub fn data(len: usize, seed: u8) -> Vec<u8> {
    let mut x = u32::from(seed).wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}
