//! Object data arriving in a request body, as the service consumes it.
//!
//! The service writes chunks into a blob as they come and asks for the digests at the end; it
//! never sees HTTP framing, aws-chunked encoding or dialect headers. The HTTP layer implements
//! [`PayloadSource`] over a hyper body (see [`crate::http::body`]); a copied part streams its
//! source through one of its own; tests use [`BytesPayload`].

use crate::checksum::{Checksum, ChecksumAlgorithm, Checksummer, Md5};
use crate::error::{ErrorCode, ServiceError};
use crate::md5_lanes::{Md5Lanes, Md5Stream};
use bytes::Bytes;
use std::future::Future;

/// Digests of a payload that was read to the end and verified against what the client declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadDigest {
    /// MD5 of the bytes received (the part or object ETag).
    pub md5: [u8; 16],
    /// Number of bytes received.
    pub size: u64,
    /// The flexible checksum the client sent (header or trailer), verified.
    pub checksum: Option<Checksum>,
}

/// A stream of object data with digests available at its end.
pub trait PayloadSource: Send {
    /// The next chunk of data; `None` at the end. An error means the body is unusable
    /// (client went away, framing error, injected drop) and nothing must be stored.
    fn next_chunk(&mut self) -> impl Future<Output = Option<Result<Bytes, ServiceError>>> + Send;
    /// Called once after `next_chunk` returned `None`: checks the declared digests
    /// (Content-MD5, x-amz-content-sha256, flexible checksums) and returns what was computed.
    fn finish(self) -> impl Future<Output = Result<PayloadDigest, ServiceError>> + Send;
    /// The payload length the request declared, if it did (Content-Length, or the decoded
    /// length of an aws-chunked body): lets a too-large payload be refused before it is read.
    fn declared_len(&self) -> Option<u64> {
        None
    }
}

/// Checks a request's `Content-MD5` value (base64 of the 16 raw bytes) against the MD5 of what
/// arrived: a malformed value is `InvalidDigest`, another MD5 is `BadDigest` (S3's codes; the
/// dialect codecs translate them).
pub fn check_content_md5(header_value: &str, md5: &[u8; 16]) -> Result<(), ServiceError> {
    match crate::checksum::content_md5_matches(header_value, md5) {
        Ok(true) => Ok(()),
        Ok(false) => Err(ServiceError::new(ErrorCode::BadDigest)),
        Err(_) => Err(ServiceError::new(ErrorCode::InvalidDigest)),
    }
}

/// Payloads at least this long have their MD5 computed by the shared multi-buffer engine
/// ([`crate::md5_lanes`]); shorter ones inline, without a hop to the hashing thread.
pub const LANES_MIN_LEN: u64 = 256 << 10;

/// Where a payload's MD5 is computed.
enum Md5Sink {
    /// In the caller, as the bytes come (small payloads: no thread hop).
    Inline(Md5),
    /// By the shared multi-buffer engine, alongside other payloads (see [`crate::md5_lanes`]).
    Lanes(Md5Stream),
}

/// Incremental MD5 plus an optional flexible checksum over the same bytes.
pub struct Digester {
    md5: Md5Sink,
    size: u64,
    checksum: Option<(ChecksumAlgorithm, Checksummer)>,
}

impl Digester {
    /// Starts digesting, hashing MD5 inline; `algorithm` adds a flexible checksum.
    pub fn new(algorithm: Option<ChecksumAlgorithm>) -> Self {
        Digester {
            md5: Md5Sink::Inline(Md5::new()),
            size: 0,
            checksum: algorithm.map(|a| (a, Checksummer::new(a))),
        }
    }
    /// Starts digesting with MD5 computed by the shared multi-buffer engine
    /// ([`Md5Lanes::global`]): the choice for large payloads, which then share SIMD lanes with
    /// the other payloads arriving at the same time. Call [`Digester::reserve`] before each
    /// [`Digester::update`] to keep the engine's queue bounded.
    pub fn with_lanes(algorithm: Option<ChecksumAlgorithm>) -> Self {
        Digester {
            md5: Md5Sink::Lanes(Md5Lanes::global().stream()),
            ..Digester::new(algorithm)
        }
    }
    /// Starts digesting a payload of `len` bytes (if known): with the multi-buffer engine from
    /// [`LANES_MIN_LEN`] on, inline below it or when the length is unknown.
    pub fn for_len(len: Option<u64>, algorithm: Option<ChecksumAlgorithm>) -> Self {
        if len.is_some_and(|n| n >= LANES_MIN_LEN) {
            Digester::with_lanes(algorithm)
        } else {
            Digester::new(algorithm)
        }
    }
    /// Waits until the MD5 engine can take more bytes (immediate when hashing inline).
    pub async fn reserve(&mut self) {
        if let Md5Sink::Lanes(s) = &mut self.md5 {
            s.reserve().await;
        }
    }
    /// Feeds bytes.
    pub fn update(&mut self, data: &Bytes) {
        match &mut self.md5 {
            Md5Sink::Inline(m) => m.update(data),
            Md5Sink::Lanes(s) => s.update(data.clone()),
        }
        self.size += data.len() as u64;
        if let Some((_, c)) = self.checksum.as_mut() {
            c.update(data);
        }
    }
    /// Number of bytes fed so far.
    pub fn size(&self) -> u64 {
        self.size
    }
    /// Finishes (waiting for the MD5 engine to hash what it still holds).
    pub async fn finish(self) -> PayloadDigest {
        let md5 = match self.md5 {
            Md5Sink::Inline(m) => m.finalize(),
            Md5Sink::Lanes(s) => s.finish().await,
        };
        PayloadDigest {
            md5,
            size: self.size,
            checksum: self.checksum.map(|(_, c)| c.finalize()),
        }
    }
}

/// A payload held in memory (tests, and embedders feeding the service directly).
pub struct BytesPayload {
    chunks: std::vec::IntoIter<Bytes>,
    digest: Digester,
}

impl BytesPayload {
    /// A payload of the given chunks; `algorithm` adds a flexible checksum to the digest.
    pub fn new(chunks: Vec<Bytes>, algorithm: Option<ChecksumAlgorithm>) -> Self {
        BytesPayload {
            chunks: chunks.into_iter(),
            digest: Digester::new(algorithm),
        }
    }
    /// A payload of one buffer.
    pub fn from_bytes(data: impl Into<Bytes>) -> Self {
        Self::new(vec![data.into()], None)
    }
}

impl PayloadSource for BytesPayload {
    async fn next_chunk(&mut self) -> Option<Result<Bytes, ServiceError>> {
        let chunk = self.chunks.next()?;
        self.digest.update(&chunk);
        Some(Ok(chunk))
    }
    async fn finish(self) -> Result<PayloadDigest, ServiceError> {
        Ok(self.digest.finish().await)
    }
}
