//! Object data arriving in a request body, as the service consumes it.
//!
//! The service writes chunks into a blob as they come and asks for the digests at the end; it
//! never sees HTTP framing, aws-chunked encoding or dialect headers. The HTTP layer implements
//! [`PayloadSource`] over a hyper body (see [`crate::http::body`]); tests and the copy paths
//! use [`BytesPayload`].

use crate::checksum::{Checksum, ChecksumAlgorithm, Checksummer};
use crate::error::ServiceError;
use bytes::Bytes;
use md5::{Digest, Md5};
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
    fn finish(self) -> Result<PayloadDigest, ServiceError>;
}

/// Incremental MD5 plus an optional flexible checksum over the same bytes.
pub struct Digester {
    md5: Md5,
    size: u64,
    checksum: Option<(ChecksumAlgorithm, Checksummer)>,
}

impl Digester {
    /// Starts digesting; `algorithm` adds a flexible checksum.
    pub fn new(algorithm: Option<ChecksumAlgorithm>) -> Self {
        Digester {
            md5: Md5::new(),
            size: 0,
            checksum: algorithm.map(|a| (a, Checksummer::new(a))),
        }
    }
    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.md5.update(data);
        self.size += data.len() as u64;
        if let Some((_, c)) = self.checksum.as_mut() {
            c.update(data);
        }
    }
    /// Number of bytes fed so far.
    pub fn size(&self) -> u64 {
        self.size
    }
    /// Finishes.
    pub fn finish(self) -> PayloadDigest {
        PayloadDigest {
            md5: self.md5.finalize().into(),
            size: self.size,
            checksum: self.checksum.map(|(_, c)| c.finalize()),
        }
    }
}

/// A payload held in memory (tests, copies).
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
    fn finish(self) -> Result<PayloadDigest, ServiceError> {
        Ok(self.digest.finish())
    }
}
