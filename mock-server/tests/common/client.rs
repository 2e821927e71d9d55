//! A minimal S3 client over reqwest: builds requests by hand (path, query, headers, body),
//! signs them with SigV4 when it has credentials, and returns status, headers and body.

use super::xml::Xml;
use bytes::Bytes;
use mock_server::auth::sigv4;
use mock_server::auth::{Credentials, RequestTarget, StreamingSigner};
use mock_server::MockServer;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::net::SocketAddr;
use std::time::SystemTime;

/// Everything but the RFC 3986 unreserved characters and `/` is percent-encoded in paths.
const PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// Everything but the unreserved characters, for query values.
pub const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `/bucket/key` with the key percent-encoded as an SDK would (slashes kept).
pub fn obj_path(bucket: &str, key: &str) -> String {
    format!("/{bucket}/{}", utf8_percent_encode(key, PATH))
}

/// A query value, percent-encoded.
pub fn q(v: &str) -> String {
    utf8_percent_encode(v, QUERY).to_string()
}

/// A client of one server.
#[derive(Clone)]
pub struct S3 {
    http: reqwest::Client,
    /// `http://127.0.0.1:PORT` or `https://...`.
    pub endpoint: String,
    /// The server's address.
    pub addr: SocketAddr,
    /// Signs with these when set.
    pub creds: Option<Credentials>,
    /// Region of the credential scope.
    pub region: String,
}

/// A response, read completely.
#[derive(Debug, Clone)]
pub struct Resp {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

impl Resp {
    /// A header as a string.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as XML (must be well-formed).
    pub fn xml(&self) -> Xml {
        Xml::parse(&self.body)
    }

    /// Asserts the status, printing the body otherwise; returns self.
    #[track_caller]
    pub fn ok(&self, status: u16) -> &Self {
        assert_eq!(
            self.status,
            status,
            "expected status {status}, got {} with body {}",
            self.status,
            self.text()
        );
        self
    }

    /// The `ETag` header without its quotes (which must be there).
    #[track_caller]
    pub fn etag(&self) -> String {
        let e = self
            .header("etag")
            .unwrap_or_else(|| panic!("no ETag header in {self:?}"));
        assert!(
            e.len() >= 2 && e.starts_with('"') && e.ends_with('"'),
            "ETag header must be quoted, got {e:?}"
        );
        e[1..e.len() - 1].to_string()
    }

    /// Asserts an S3 error answer: the status, and (except for HEAD) an `<Error>` document
    /// with this `Code`, a `Message`, a `Resource` and the `RequestId` of the
    /// `x-amz-request-id` header. Returns the document.
    #[track_caller]
    pub fn error(&self, status: u16, code: &str) -> Xml {
        assert_eq!(
            self.status,
            status,
            "expected a {status} {code} error, got {} with body {}",
            self.status,
            self.text()
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/xml"),
            "error content type"
        );
        let x = self.xml();
        assert_eq!(x.root, "Error", "error document root in {}", self.text());
        assert_eq!(x.one("Code"), code, "error code in {}", self.text());
        assert!(!x.one("Message").is_empty(), "empty Message");
        assert!(!x.one("Resource").is_empty(), "empty Resource");
        let rid = self.header("x-amz-request-id").expect("request id header");
        assert_eq!(x.one("RequestId"), rid, "RequestId element vs header");
        x
    }
}

/// The body of a request being built.
pub enum Body {
    /// A body of known length (Content-Length).
    Bytes(Bytes),
    /// A body sent with `Transfer-Encoding: chunked`, one HTTP chunk per item.
    Chunked(Vec<Bytes>),
}

/// A request being built.
pub struct Req<'a> {
    s3: &'a S3,
    method: reqwest::Method,
    path: String,
    query: String,
    headers: HeaderMap,
    body: Body,
    payload_hash: Option<String>,
}

impl S3 {
    /// A client of `server` (trusting its self-signed certificate when it serves HTTPS).
    pub fn new(server: &MockServer) -> S3 {
        let mut b = reqwest::Client::builder()
            .no_proxy()
            .http1_only()
            .pool_max_idle_per_host(4)
            .timeout(std::time::Duration::from_secs(60));
        if let Some(ca) = server.ca_pem() {
            let pem = std::fs::read(ca).expect("read the server's CA certificate");
            b = b.add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("CA PEM"));
        }
        S3 {
            http: b.build().expect("reqwest client"),
            endpoint: server.endpoint().to_string(),
            addr: server.address(),
            creds: None,
            region: "us-east-1".into(),
        }
    }

    /// This client, signing with `ak`/`sk`.
    pub fn signed(mut self, ak: &str, sk: &str) -> S3 {
        self.creds = Some(Credentials::new(ak, sk));
        self
    }

    /// `host:port` of the server as a Host header.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Starts a request; `path` is the raw (encoded) path.
    pub fn req(&self, method: &str, path: &str) -> Req<'_> {
        Req {
            s3: self,
            method: reqwest::Method::from_bytes(method.as_bytes()).expect("method"),
            path: path.to_string(),
            query: String::new(),
            headers: HeaderMap::new(),
            body: Body::Bytes(Bytes::new()),
            payload_hash: None,
        }
    }

    /// PUT /bucket.
    pub async fn create_bucket(&self, bucket: &str) -> Resp {
        self.req("PUT", &format!("/{bucket}")).send().await
    }

    /// PUT an object; asserts 200 and returns the response.
    pub async fn put(&self, bucket: &str, key: &str, data: &[u8]) -> Resp {
        let r = self
            .req("PUT", &obj_path(bucket, key))
            .body(data.to_vec())
            .send()
            .await;
        r.ok(200);
        r
    }

    /// GET an object.
    pub async fn get(&self, bucket: &str, key: &str) -> Resp {
        self.req("GET", &obj_path(bucket, key)).send().await
    }

    /// HEAD an object.
    pub async fn head(&self, bucket: &str, key: &str) -> Resp {
        self.req("HEAD", &obj_path(bucket, key)).send().await
    }

    /// CreateMultipartUpload; asserts success and returns the upload id.
    pub async fn create_upload(&self, bucket: &str, key: &str) -> String {
        let r = self
            .req("POST", &obj_path(bucket, key))
            .query("uploads")
            .send()
            .await;
        r.ok(200);
        let x = r.xml();
        assert_eq!(x.root, "InitiateMultipartUploadResult");
        assert_eq!(x.one("Bucket"), bucket);
        assert_eq!(x.one("Key"), key);
        x.one("UploadId").to_string()
    }

    /// UploadPart.
    pub async fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        n: u32,
        data: &[u8],
    ) -> Resp {
        self.req("PUT", &obj_path(bucket, key))
            .query(&format!("partNumber={n}&uploadId={}", q(upload_id)))
            .body(data.to_vec())
            .send()
            .await
    }

    /// ListObjectsV2 of a bucket (first page), which must succeed.
    pub async fn list(&self, bucket: &str) -> Xml {
        self.req("GET", &format!("/{bucket}"))
            .query("list-type=2")
            .send()
            .await
            .ok(200)
            .xml()
    }

    /// CompleteMultipartUpload with `(part number, etag as sent)`.
    pub async fn complete(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[(u32, &str)],
    ) -> Resp {
        self.req("POST", &obj_path(bucket, key))
            .query(&format!("uploadId={}", q(upload_id)))
            .body(complete_xml(parts))
            .send()
            .await
    }

    /// AbortMultipartUpload.
    pub async fn abort(&self, bucket: &str, key: &str, upload_id: &str) -> Resp {
        self.req("DELETE", &obj_path(bucket, key))
            .query(&format!("uploadId={}", q(upload_id)))
            .send()
            .await
    }

    /// `GET /_mock/state` as JSON.
    pub async fn state(&self) -> serde_json::Value {
        let r = self.req("GET", "/_mock/state").send().await;
        r.ok(200);
        serde_json::from_slice(&r.body).expect("state JSON")
    }
}

/// A CompleteMultipartUpload document (ETags quoted as given).
pub fn complete_xml(parts: &[(u32, &str)]) -> String {
    let mut s =
        String::from("<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for (n, etag) in parts {
        s.push_str(&format!(
            "<Part><ETag>{}</ETag><PartNumber>{n}</PartNumber></Part>",
            etag.replace('"', "&quot;")
        ));
    }
    s.push_str("</CompleteMultipartUpload>");
    s
}

impl<'a> Req<'a> {
    /// Sets the raw query (without `?`).
    pub fn query(mut self, q: &str) -> Self {
        self.query = q.to_string();
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.append(
            HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            HeaderValue::from_str(value).expect("header value"),
        );
        self
    }

    /// Sets the Host header (virtual-hosted addressing).
    pub fn host(self, host: &str) -> Self {
        self.header("host", host)
    }

    /// A body of known length.
    pub fn body(mut self, data: impl Into<Bytes>) -> Self {
        self.body = Body::Bytes(data.into());
        self
    }

    /// A body sent with HTTP chunking, one chunk per item.
    pub fn chunked(mut self, chunks: Vec<Bytes>) -> Self {
        self.body = Body::Chunked(chunks);
        self
    }

    /// The `x-amz-content-sha256` value to sign (default: SHA-256 of a known body, else
    /// `UNSIGNED-PAYLOAD`).
    pub fn payload_hash(mut self, h: &str) -> Self {
        self.payload_hash = Some(h.to_string());
        self
    }

    /// Signs (when the client has credentials) and sends.
    pub async fn send(self) -> Resp {
        self.send_with(|_| None).await
    }

    /// Signs, then lets `body` build the body from the signing context (the seed signature
    /// for signed aws-chunked bodies), then sends.
    pub async fn send_with(
        mut self,
        body: impl FnOnce(Option<StreamingSigner>) -> Option<Body>,
    ) -> Resp {
        if !self.headers.contains_key("host") {
            let h = self.s3.host();
            self = self.host(&h);
        }
        let hash = self
            .payload_hash
            .clone()
            .unwrap_or_else(|| match &self.body {
                Body::Bytes(b) => super::digest::sha256_hex(b),
                Body::Chunked(_) => "UNSIGNED-PAYLOAD".into(),
            });
        let signer = match &self.s3.creds {
            Some(c) => {
                let target = RequestTarget {
                    method: self.method.as_str(),
                    raw_path: &self.path,
                    raw_query: &self.query,
                    virtual_host_bucket: None,
                };
                Some(
                    sigv4::sign(
                        &target,
                        &mut self.headers,
                        &hash,
                        c,
                        &self.s3.region,
                        SystemTime::now(),
                    )
                    .expect("sign"),
                )
            }
            None => {
                if self.payload_hash.is_some() {
                    self.headers.insert(
                        "x-amz-content-sha256",
                        HeaderValue::from_str(&hash).expect("hash header"),
                    );
                }
                None
            }
        };
        if let Some(b) = body(signer) {
            self.body = b;
        }
        let mut url = format!("{}{}", self.s3.endpoint, self.path);
        if !self.query.is_empty() {
            url.push('?');
            url.push_str(&self.query);
        }
        let mut rb = self
            .s3
            .http
            .request(self.method.clone(), &url)
            .headers(self.headers);
        rb = match self.body {
            Body::Bytes(b) => {
                if !b.is_empty() {
                    rb.body(b)
                } else if matches!(self.method, reqwest::Method::PUT | reqwest::Method::POST) {
                    // hyper leaves out `Content-Length: 0`; SDKs send it and S3 requires it.
                    rb.header("content-length", "0").body(b)
                } else {
                    rb
                }
            }
            Body::Chunked(chunks) => rb.body(reqwest::Body::wrap_stream(
                futures_util::stream::iter(chunks.into_iter().map(Ok::<_, std::io::Error>)),
            )),
        };
        let resp = rb
            .send()
            .await
            .unwrap_or_else(|e| panic!("{} {url}: {e:?}", self.method));
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp
            .bytes()
            .await
            .unwrap_or_else(|e| panic!("reading the body of {url}: {e:?}"));
        if !self.path.starts_with("/_mock") {
            assert!(
                headers.contains_key("x-amz-request-id"),
                "no x-amz-request-id on {} {url} ({status})",
                self.method
            );
        }
        Resp {
            status,
            headers,
            body,
        }
    }
}
