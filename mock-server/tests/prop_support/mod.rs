//! Shared plumbing for the property tests (`prop_*.rs`): a mock server on loopback in either
//! store backend, a raw unsigned client over HTTP speaking the server's pinned dialect (S3 or
//! OBS XML, or QingStor JSON through [`mock_server::wire::qs_json`]), storage-consistency
//! checks and the case count knob.
//!
//! Case counts: every property uses [`cases`], which reads `PROPTEST_CASES` (a long soak run:
//! `PROPTEST_CASES=2000 cargo test --release -p mock-server --test prop_assembly`) and falls
//! back to a per-property default sized for CI. A failing case is shrunk and printed by proptest
//! (the minimal operation list) and its seed is saved under `proptest-regressions/`, so the
//! next run replays it first.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use md5::{Digest, Md5};
use mock_server::dialect::Dialect;
use mock_server::wire::json::JsonDocument;
use mock_server::wire::qs_json;
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
    /// The error code of an error document, if the body is one: `<Code>` of an XML error
    /// (S3, OBS), `code` of a JSON error (QingStor, `Content-Type: application/json`).
    pub fn code(&self) -> Option<String> {
        let json = self
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json"));
        if json {
            qs_json::ErrorOutput::from_json(&self.body, 1 << 20)
                .ok()
                .map(|e| e.code)
                .filter(|c| !c.is_empty())
        } else {
            tag(&String::from_utf8_lossy(&self.body), "Code")
        }
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
    /// The dialect the server is pinned to and this client speaks.
    pub dialect: Dialect,
    /// Header prefix of the dialect spoken (`x-amz-`, `x-obs-` or `x-qs-`).
    pub prefix: &'static str,
    /// Runtime that drives requests.
    pub rt: tokio::runtime::Runtime,
}

impl Harness {
    /// Starts a server with this store and minimum part size.
    pub fn start(store: Store, min_part_size: u64) -> Harness {
        Harness::start_dialect(store, min_part_size, Dialect::S3)
    }

    /// Starts a server pinned to a dialect: S3 or OBS (both speak XML; OBS uses `x-obs-`
    /// headers) or QingStor (JSON documents, `upload_id`/`part_number` query names, part
    /// numbers from 0, `x-qs-` headers, 201 for writes).
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
            dialect,
            prefix: match dialect {
                Dialect::S3 => "x-amz-",
                Dialect::Obs => "x-obs-",
                Dialect::QingStor => "x-qs-",
            },
            rt,
        }
    }

    fn qingstor(&self) -> bool {
        self.dialect == Dialect::QingStor
    }

    /// The lowest part number of the dialect: 0 in QingStor, 1 in S3 and OBS.
    pub fn first_part(&self) -> u32 {
        if self.qingstor() {
            0
        } else {
            1
        }
    }

    /// Status of a successful part upload, part copy, put or complete: QingStor answers 201
    /// Created, S3 and OBS 200.
    pub fn write_status(&self) -> u16 {
        if self.qingstor() {
            201
        } else {
            200
        }
    }

    /// The status and code this dialect answers for an error that S3 answers with `status`
    /// and `code`. S3 and OBS share S3's codes; QingStor's come from PROTOCOLS.md §7.2 (kept
    /// here, not taken from the server's own table, so a wrong spelling there fails a test).
    /// A code missing from the table comes back unchanged, so a comparison with it fails
    /// loudly rather than passing by accident.
    pub fn error_in_dialect(&self, status: u16, code: &str) -> (u16, String) {
        if !self.qingstor() {
            return (status, code.to_string());
        }
        let (status, code) = match code {
            "NoSuchUpload" => (404, "upload_not_exists"),
            "NoSuchKey" => (404, "object_not_exists"),
            "NoSuchBucket" => (404, "bucket_not_exists"),
            "InvalidPart" | "InvalidPartOrder" | "MalformedXML" => (400, "invalid_request"),
            "EntityTooSmall" => (400, "entity_too_small"),
            "InvalidArgument" => (400, "invalid_argument"),
            "InvalidRange" => (416, "invalid_range"),
            other => (status, other),
        };
        (status, code.to_string())
    }

    /// Query naming an upload: `upload_id=` (QingStor) or `uploadId=`.
    fn q_upload(&self, id: &str) -> String {
        if self.qingstor() {
            format!("upload_id={id}")
        } else {
            format!("uploadId={id}")
        }
    }

    /// Query naming a part of an upload, in the order each dialect's SDK sends it.
    fn q_part(&self, id: &str, n: u32) -> String {
        if self.qingstor() {
            format!("part_number={n}&upload_id={id}")
        } else {
            format!("partNumber={n}&uploadId={id}")
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

    /// Blobs on the disk store's data directory, read from the files (`None` for the memory
    /// store): every entry of `blobs/` (blob files, and any temp file left behind) and every
    /// live record of the pack files, as `pack:<id>`.
    pub fn blob_files(&self) -> Option<Vec<String>> {
        let root = self.dir.as_ref()?.path();
        let mut files: Vec<String> = std::fs::read_dir(root.join("blobs"))
            .expect("blobs dir")
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect();
        let in_files: Vec<u64> = files
            .iter()
            .filter_map(|n| u64::from_str_radix(n, 16).ok())
            .collect();
        for id in mock_server::store::DiskStore::blobs_on_disk(root).expect("scan data dir") {
            if !in_files.contains(&id) {
                files.push(format!("pack:{id:016x}"));
            }
        }
        files.sort();
        Some(files)
    }

    /// Storage invariant at rest: every blob the store holds is referenced by a live object or
    /// open upload (no orphan), and on disk the data directory holds exactly `blob_count` blobs (files and packed records)
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

    /// Creates an upload; its id (XML `UploadId`, or QingStor's JSON `upload_id`).
    pub async fn initiate(&self, key: &str) -> Result<String, String> {
        let a = self
            .send(reqwest::Method::POST, self.url(key, "uploads"), &[], None)
            .await;
        let id = if self.qingstor() {
            qs_json::InitiateMultipartUploadOutput::from_json(&a.body, 1 << 20)
                .ok()
                .map(|o| o.upload_id)
                .filter(|id| !id.is_empty())
        } else {
            a.xml_tag("UploadId")
        };
        match (a.status, id) {
            (200, Some(id)) => Ok(id),
            _ => Err(format!("initiate answered {} {:?}", a.status, a.body)),
        }
    }

    /// Uploads a part.
    pub async fn upload_part(&self, key: &str, id: &str, n: u32, data: Vec<u8>) -> Answer {
        let q = self.q_part(id, n);
        self.send(reqwest::Method::PUT, self.url(key, &q), &[], Some(data))
            .await
    }

    /// Copies `src` (or a `bytes=a-b` range of it) into a part: `{prefix}copy-source` and
    /// `{prefix}copy-source-range`, or in QingStor `x-qs-copy-source` and `x-qs-copy-range`.
    pub async fn copy_part(
        &self,
        key: &str,
        id: &str,
        n: u32,
        src: &str,
        range: Option<(u64, u64)>,
    ) -> Answer {
        let q = self.q_part(id, n);
        let source = format!("{}copy-source", self.prefix);
        let source_range = if self.qingstor() {
            "x-qs-copy-range".to_string()
        } else {
            format!("{}copy-source-range", self.prefix)
        };
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
        if self.qingstor() {
            return self.list_parts_qs(key, id).await;
        }
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

    /// QingStor's List Multipart, paged two parts at a time so that `has_more` /
    /// `next_part_number_marker` and the marker-less first page (part 0 must not be skipped)
    /// are exercised.
    async fn list_parts_qs(
        &self,
        key: &str,
        id: &str,
    ) -> Result<BTreeMap<u32, (u64, String)>, Answer> {
        let mut out = BTreeMap::new();
        let mut marker: Option<i64> = None;
        loop {
            let q = match marker {
                None => format!("limit=2&upload_id={id}"),
                Some(m) => format!("limit=2&part_number_marker={m}&upload_id={id}"),
            };
            let a = self
                .send(reqwest::Method::GET, self.url(key, &q), &[], None)
                .await;
            if a.status != 200 {
                return Err(a);
            }
            let r =
                qs_json::ListMultipartOutput::from_json(&a.body, 1 << 24).map_err(|_| a.clone())?;
            if r.count != r.object_parts.len() as u64 {
                return Err(a);
            }
            for p in &r.object_parts {
                let n = u32::try_from(p.part_number).map_err(|_| a.clone())?;
                out.insert(n, (p.size, unquote(&p.etag)));
            }
            match (r.has_more, r.next_part_number_marker) {
                (Some(true), Some(m)) if marker.is_none_or(|old| m > old) => marker = Some(m),
                (Some(true), _) => return Err(a),
                _ => return Ok(out),
            }
        }
    }

    /// Completes with this part list (number, etag).
    pub async fn complete(&self, key: &str, id: &str, parts: &[(u32, String)]) -> Answer {
        let parts: Vec<(u32, Option<String>)> =
            parts.iter().map(|(n, e)| (*n, Some(e.clone()))).collect();
        self.complete_with(key, id, &parts, None).await
    }

    /// Completes with this part list (number, optional etag: QingStor makes it optional)
    /// and, in QingStor, an optional `ETag` request header naming the object's final ETag.
    /// S3 and OBS get an XML document, QingStor `{"object_parts":[{"etag","part_number"}]}`.
    pub async fn complete_with(
        &self,
        key: &str,
        id: &str,
        parts: &[(u32, Option<String>)],
        final_etag: Option<&str>,
    ) -> Answer {
        let mut headers = Vec::new();
        let body = if self.qingstor() {
            headers.push(("content-type", "application/json".to_string()));
            if let Some(e) = final_etag {
                headers.push(("etag", format!("\"{e}\"")));
            }
            qs_json::CompleteMultipartUploadInput {
                object_parts: parts
                    .iter()
                    .map(|(n, e)| qs_json::CompletePart {
                        etag: e.as_ref().map(|e| format!("\"{e}\"")),
                        part_number: i64::from(*n),
                    })
                    .collect(),
            }
            .to_json()
        } else {
            let mut b = String::from("<CompleteMultipartUpload>");
            for (n, e) in parts {
                b.push_str(&format!("<Part><PartNumber>{n}</PartNumber>"));
                if let Some(e) = e {
                    b.push_str(&format!("<ETag>\"{e}\"</ETag>"));
                }
                b.push_str("</Part>");
            }
            b.push_str("</CompleteMultipartUpload>");
            b
        };
        let q = self.q_upload(id);
        self.send(
            reqwest::Method::POST,
            self.url(key, &q),
            &headers,
            Some(body.into_bytes()),
        )
        .await
    }

    /// Aborts an upload.
    pub async fn abort(&self, key: &str, id: &str) -> Answer {
        let q = self.q_upload(id);
        self.send(reqwest::Method::DELETE, self.url(key, &q), &[], None)
            .await
    }

    /// Puts an object.
    pub async fn put(&self, key: &str, data: Vec<u8>) -> Answer {
        self.send(reqwest::Method::PUT, self.url(key, ""), &[], Some(data))
            .await
    }

    /// Gets an object, with an optional `Range` header value and `partNumber` (S3 and OBS
    /// only: QingStor has no part read and takes the query parameter for an unknown one).
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
