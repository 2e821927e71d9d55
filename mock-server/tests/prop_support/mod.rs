//! Shared plumbing for the property tests (`prop_*.rs`): a mock server on loopback in either
//! store backend, a raw unsigned S3 client over HTTP, storage-consistency checks and the case
//! count knob.
//!
//! Case counts: every property uses [`cases`], which reads `PROPTEST_CASES` (a long soak run:
//! `PROPTEST_CASES=2000 cargo test --release -p mock-server --test prop_assembly`) and falls
//! back to a per-property default sized for CI. A failing case is shrunk and printed by proptest
//! (the minimal operation list) and its seed is saved under `proptest-regressions/`, so the
//! next run replays it first.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use md5::{Digest, Md5};
use mock_server::dialect::Dialect;
use mock_server::wire::s3::ListPartsResult;
use mock_server::wire::xml::parse_xml;
use mock_server::MockServer;
use proptest::test_runner::{Config, FileFailurePersistence};

/// The bucket every property works in.
pub const BUCKET: &str = "props";

/// Which blob store the server runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Store {
    /// In memory.
    Memory,
    /// Files under a temporary data dir.
    Disk,
}

/// Case count: `PROPTEST_CASES` when set, else `default`.
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A proptest config with [`cases`]; failing seeds are saved in `regressions` (a path
/// relative to the package root, e.g. `tests/proptest-regressions/prop_model.txt`) and
/// replayed first on the next run.
pub fn config(default_cases: u32, regressions: &'static str) -> Config {
    Config {
        cases: cases(default_cases),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(regressions))),
        // Each case is a whole loopback session; shrinking a few hundred steps is plenty.
        max_shrink_iters: 256,
        ..Config::default()
    }
}

/// One HTTP answer.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Status.
    pub status: u16,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
    /// Body.
    pub body: Bytes,
}

impl Answer {
    /// The error code of an error document, if the body is one.
    pub fn code(&self) -> Option<String> {
        tag(&String::from_utf8_lossy(&self.body), "Code")
    }
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
    /// The ETag header without quotes.
    pub fn etag(&self) -> Option<String> {
        self.header("etag").map(|e| unquote(&e))
    }
    /// A tag of the XML body without quotes.
    pub fn xml_tag(&self, name: &str) -> Option<String> {
        tag(&String::from_utf8_lossy(&self.body), name).map(|v| unquote(&v))
    }
}

/// Strips `"` and `&quot;` around an ETag.
pub fn unquote(s: &str) -> String {
    s.trim()
        .trim_start_matches("&quot;")
        .trim_end_matches("&quot;")
        .trim_matches('"')
        .to_string()
}

/// The text of the first `<name>` element.
pub fn tag(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml.get(start..)?.find(&format!("</{name}>"))? + start;
    xml.get(start..end).map(str::to_string)
}

/// MD5 hex.
pub fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

/// S3's multipart ETag: MD5 of the concatenated binary part MD5s, `-N`.
pub fn multipart_etag(parts: &[&[u8]]) -> String {
    let mut all = Vec::with_capacity(parts.len() * 16);
    for p in parts {
        all.extend_from_slice(&Md5::digest(p));
    }
    format!("{}-{}", hex::encode(Md5::digest(&all)), parts.len())
}

/// Deterministic pseudo-random bytes (xorshift) from a seed.
pub fn bytes_from(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed ^ 0x9E37_79B9_7F4A_7C15;
    if x == 0 {
        x = 1;
    }
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let w = x.to_le_bytes();
        let take = (len - out.len()).min(8);
        out.extend_from_slice(&w[..take]);
    }
    out
}

/// A mock server on 127.0.0.1:0 and an async runtime to drive it from proptest's sync closures.
pub struct Harness {
    /// The server (declared first so it stops before the runtime goes).
    pub server: MockServer,
    /// HTTP client.
    pub client: reqwest::Client,
    /// Store backend.
    pub store: Store,
    /// The disk store's data dir.
    pub dir: Option<tempfile::TempDir>,
    /// Header prefix of the dialect spoken (`x-amz-` or `x-obs-`).
    pub prefix: &'static str,
    /// Runtime that drives requests.
    pub rt: tokio::runtime::Runtime,
}

impl Harness {
    /// Starts a server with this store and minimum part size.
    pub fn start(store: Store, min_part_size: u64) -> Harness {
        Harness::start_dialect(store, min_part_size, Dialect::S3)
    }

    /// Starts a server pinned to a dialect (S3 or OBS: both speak XML; OBS uses `x-obs-`
    /// headers).
    pub fn start_dialect(store: Store, min_part_size: u64, dialect: Dialect) -> Harness {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let dir = match store {
            Store::Disk => Some(tempfile::tempdir().expect("temp dir")),
            Store::Memory => None,
        };
        let mut b = MockServer::builder()
            .bucket(BUCKET)
            .min_part_size(min_part_size)
            .dialect(dialect);
        b = match &dir {
            Some(d) => b.data_dir(d.path()).durable(false),
            None => b.memory(),
        };
        let server = rt.block_on(b.start()).expect("mock server starts");
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            // A fresh connection per request: the server may answer a part upload early (e.g.
            // NoSuchUpload) and close without reading the body; a pooled connection would then
            // fail the *next* request with IncompleteMessage.
            .pool_max_idle_per_host(0)
            .build()
            .expect("client");
        Harness {
            server,
            client,
            store,
            dir,
            prefix: if dialect == Dialect::S3 {
                "x-amz-"
            } else {
                "x-obs-"
            },
            rt,
        }
    }

    /// URL of `key` with a query string (may be empty).
    pub fn url(&self, key: &str, query: &str) -> String {
        if query.is_empty() {
            format!("{}/{BUCKET}/{key}", self.server.endpoint())
        } else {
            format!("{}/{BUCKET}/{key}?{query}", self.server.endpoint())
        }
    }

    /// Blob files in the disk store's `blobs/` folder (`None` for the memory store).
    pub fn blob_files(&self) -> Option<Vec<PathBuf>> {
        let dir = self.dir.as_ref()?.path().join("blobs");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("blobs dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort();
        Some(files)
    }

    /// Storage invariant at rest: every blob the store holds is referenced by a live object or
    /// open upload (no orphan), and on disk the `blobs/` folder holds exactly `blob_count` files
    /// (no leftover, no temporary file). Missing blobs show up as wrong GET bytes elsewhere.
    pub async fn check_storage(&self) -> Result<(), String> {
        if !self.server.idle(Duration::from_secs(10)).await {
            return Err("server did not become idle".into());
        }
        // A response body can still hold a blob for a moment after the client has read its
        // last byte (the server drops the body on its next poll): allow that to settle, but a
        // blob still unreferenced after 2 s is a leak.
        let mut st = self.server.state();
        for _ in 0..40 {
            if st.orphan_blobs == 0 && st.blob_count == st.referenced_blobs {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            st = self.server.state();
        }
        if st.orphan_blobs != 0 || st.blob_count != st.referenced_blobs {
            return Err(format!(
                "orphan blobs at rest (after 2 s): blob_count {} referenced {} orphan {}",
                st.blob_count, st.referenced_blobs, st.orphan_blobs
            ));
        }
        if let Some(files) = self.blob_files() {
            if files.len() as u64 != st.blob_count {
                return Err(format!(
                    "disk holds {} blob files, the store counts {} blobs: {files:?}",
                    files.len(),
                    st.blob_count
                ));
            }
        }
        Ok(())
    }

    /// Aborts every open upload and deletes every object, so a failed case leaves nothing for
    /// the next (shrinking) run to trip over.
    pub async fn reset(&self) {
        let st = self.server.state();
        for b in &st.buckets {
            for u in &b.uploads {
                self.abort(&u.key, &u.upload_id).await;
            }
            for o in &b.objects {
                self.delete(&o.key).await;
            }
        }
    }

    /// Sends a request.
    pub async fn send(
        &self,
        method: reqwest::Method,
        url: String,
        headers: &[(&str, String)],
        body: Option<Vec<u8>>,
    ) -> Answer {
        let mut rb = self.client.request(method, url);
        for (k, v) in headers {
            rb = rb.header(*k, v);
        }
        if let Some(b) = body {
            // Explicit even when 0: hyper leaves it out for empty bodies, and S3 answers 411.
            rb = rb.header("content-length", b.len().to_string()).body(b);
        }
        let r = rb.send().await.expect("request answered");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let body = r.bytes().await.expect("body read");
        Answer {
            status,
            headers,
            body,
        }
    }

    /// Creates an upload; its id.
    pub async fn initiate(&self, key: &str) -> Result<String, String> {
        let a = self
            .send(reqwest::Method::POST, self.url(key, "uploads"), &[], None)
            .await;
        match (a.status, a.xml_tag("UploadId")) {
            (200, Some(id)) => Ok(id),
            _ => Err(format!("initiate answered {} {:?}", a.status, a.body)),
        }
    }

    /// Uploads a part.
    pub async fn upload_part(&self, key: &str, id: &str, n: u32, data: Vec<u8>) -> Answer {
        let q = format!("partNumber={n}&uploadId={id}");
        self.send(reqwest::Method::PUT, self.url(key, &q), &[], Some(data))
            .await
    }

    /// Copies `src` (or a `bytes=a-b` range of it) into a part.
    pub async fn copy_part(
        &self,
        key: &str,
        id: &str,
        n: u32,
        src: &str,
        range: Option<(u64, u64)>,
    ) -> Answer {
        let q = format!("partNumber={n}&uploadId={id}");
        let source = format!("{}copy-source", self.prefix);
        let source_range = format!("{}copy-source-range", self.prefix);
        let mut h = vec![(source.as_str(), format!("/{BUCKET}/{src}"))];
        if let Some((a, b)) = range {
            h.push((source_range.as_str(), format!("bytes={a}-{b}")));
        }
        self.send(reqwest::Method::PUT, self.url(key, &q), &h, None)
            .await
    }

    /// Lists an upload's parts (following pages): number -> (size, etag); or the error answer.
    pub async fn list_parts(
        &self,
        key: &str,
        id: &str,
    ) -> Result<BTreeMap<u32, (u64, String)>, Answer> {
        let mut out = BTreeMap::new();
        let mut marker = 0i64;
        loop {
            let q = format!("uploadId={id}&part-number-marker={marker}");
            let a = self
                .send(reqwest::Method::GET, self.url(key, &q), &[], None)
                .await;
            if a.status != 200 {
                return Err(a);
            }
            let r: ListPartsResult = parse_xml(&a.body, 1 << 24).map_err(|_| a.clone())?;
            for p in &r.parts {
                out.insert(p.part_number as u32, (p.size, unquote(&p.etag)));
            }
            match (r.is_truncated, r.next_part_number_marker) {
                (true, Some(m)) if m > marker => marker = m,
                _ => return Ok(out),
            }
        }
    }

    /// Completes with this part list (number, etag).
    pub async fn complete(&self, key: &str, id: &str, parts: &[(u32, String)]) -> Answer {
        let mut b = String::from("<CompleteMultipartUpload>");
        for (n, e) in parts {
            b.push_str(&format!(
                "<Part><PartNumber>{n}</PartNumber><ETag>\"{e}\"</ETag></Part>"
            ));
        }
        b.push_str("</CompleteMultipartUpload>");
        let q = format!("uploadId={id}");
        self.send(
            reqwest::Method::POST,
            self.url(key, &q),
            &[],
            Some(b.into_bytes()),
        )
        .await
    }

    /// Aborts an upload.
    pub async fn abort(&self, key: &str, id: &str) -> Answer {
        let q = format!("uploadId={id}");
        self.send(reqwest::Method::DELETE, self.url(key, &q), &[], None)
            .await
    }

    /// Puts an object.
    pub async fn put(&self, key: &str, data: Vec<u8>) -> Answer {
        self.send(reqwest::Method::PUT, self.url(key, ""), &[], Some(data))
            .await
    }

    /// Gets an object, with an optional `Range` header value and `partNumber`.
    pub async fn get(&self, key: &str, range: Option<String>, part: Option<u32>) -> Answer {
        let q = part.map(|n| format!("partNumber={n}")).unwrap_or_default();
        let h: Vec<(&str, String)> = range.map(|r| ("range", r)).into_iter().collect();
        self.send(reqwest::Method::GET, self.url(key, &q), &h, None)
            .await
    }

    /// Deletes an object.
    pub async fn delete(&self, key: &str) -> Answer {
        self.send(reqwest::Method::DELETE, self.url(key, ""), &[], None)
            .await
    }
}
