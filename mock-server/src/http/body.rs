//! Request bodies as object data: hyper's (HTTP-dechunked) body, then `aws-chunked` decoding,
//! digests computed on the fly and checked against what the client declared.

use crate::aws_chunked::{AwsChunkedDecoder, ChunkSignatureMode};
use crate::checksum::{self, Checksum, ChecksumAlgorithm};
use crate::error::{ErrorCode, ServiceError};
use crate::payload::{check_content_md5, Digester, PayloadDigest, PayloadSource};
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use sha2::{Digest, Sha256};
use std::collections::VecDeque;

/// A flexible checksum the client declared: the algorithm, and the value if it came in a
/// header (else it is expected in the aws-chunked trailer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecksumExpectation {
    /// Algorithm.
    pub algorithm: ChecksumAlgorithm,
    /// Base64 value from a header; `None` when it comes in a trailer or was not sent
    /// (`x-amz-sdk-checksum-algorithm` only: computed and stored, nothing to compare).
    pub value: Option<String>,
    /// The trailer name that carries the value (`x-amz-checksum-crc32`).
    pub trailer: Option<String>,
}

/// What the codec learned from the headers about the body.
#[derive(Debug, Clone, Default)]
pub struct PayloadSpec {
    /// Bytes of payload expected (Content-Length, or x-amz-decoded-content-length for
    /// aws-chunked). `None` when unknown.
    pub declared_len: Option<u64>,
    /// The body is aws-chunked.
    pub aws_chunked: Option<ChunkSignatureMode>,
    /// `Content-MD5` header as sent.
    pub content_md5: Option<String>,
    /// SHA-256 the signature covers.
    pub sha256: Option<[u8; 32]>,
    /// Flexible checksum.
    pub checksum: Option<ChecksumExpectation>,
    /// The request carries `Expect: 100-continue`: a body never asked for is not drained
    /// after an early answer, since the client waits for `100 Continue` before sending it.
    pub expect_continue: bool,
}

/// Most bytes of an unread request body read (and discarded) after an early answer.
const DRAIN_LIMIT: u64 = 64 << 20;
/// Longest time spent draining an unread request body after an early answer.
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(10);

/// Map a body-level failure to the dialect-free error.
fn incomplete(msg: impl Into<String>) -> ServiceError {
    ServiceError::with_message(ErrorCode::IncompleteBody, msg)
}

/// A hyper body consumed as a [`PayloadSource`].
///
/// Dropped before its body ended (the operation was refused before or while reading it), it
/// reads and discards the rest in the background, so the client, still sending, gets the
/// error answer instead of a reset connection, and the connection stays usable.
pub struct HttpPayload {
    body: Option<Incoming>,
    /// A frame was asked of the body (so `100 Continue` went out, if it was expected).
    polled: bool,
    /// The body ended (or broke, or a fault ended it on purpose): nothing left to drain.
    ended: bool,
    spec: PayloadSpec,
    decoder: Option<AwsChunkedDecoder>,
    ready: VecDeque<Bytes>,
    digest: Digester,
    sha256: Option<Sha256>,
    done: bool,
    tamper: Option<Box<dyn FnMut(Bytes, u64) -> Bytes + Send>>,
    stored_offset: u64,
    fail_after: Option<u64>,
    rate: Option<u64>,
    delivered: u64,
    counter: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
    read_timeout: Option<std::time::Duration>,
}

impl HttpPayload {
    /// Wraps a body according to `spec`; validates the declared digests' syntax first.
    pub fn new(body: Incoming, spec: PayloadSpec) -> Result<Self, ServiceError> {
        let decoder = spec.aws_chunked.clone().map(|mode| {
            let d = AwsChunkedDecoder::new(mode);
            match spec.declared_len {
                Some(n) => d.with_expected_len(n),
                None => d,
            }
        });
        let payload = HttpPayload {
            body: Some(body),
            polled: false,
            ended: false,
            digest: Digester::for_len(
                spec.declared_len,
                spec.checksum.as_ref().map(|c| c.algorithm),
            ),
            sha256: spec.sha256.map(|_| Sha256::new()),
            spec,
            decoder,
            ready: VecDeque::new(),
            done: false,
            tamper: None,
            stored_offset: 0,
            fail_after: None,
            rate: None,
            delivered: 0,
            counter: None,
            read_timeout: None,
        };
        // A refusal drops the payload, which drains the body the client is sending.
        payload.validate()?;
        Ok(payload)
    }

    fn validate(&self) -> Result<(), ServiceError> {
        if let Some(m) = &self.spec.content_md5 {
            // Syntax only: the value is compared at the end.
            checksum::content_md5_matches(m, &[0u8; 16])
                .map_err(|_| ServiceError::new(ErrorCode::InvalidDigest))?;
        }
        if let Some(c) = &self.spec.checksum {
            if let Some(v) = &c.value {
                Checksum::from_base64(c.algorithm, v).map_err(|e| {
                    ServiceError::with_message(
                        ErrorCode::InvalidRequest,
                        format!(
                            "Value for {} header is invalid: {e}",
                            c.algorithm.header_name()
                        ),
                    )
                })?;
            }
        }
        Ok(())
    }

    /// Installs a function that damages the payload as if in transit (the `corrupt` fault):
    /// digests are computed over, and checks made against, the damaged bytes, which are also
    /// what is stored. It gets each chunk and its offset in the payload.
    pub fn set_tamper(&mut self, f: Box<dyn FnMut(Bytes, u64) -> Bytes + Send>) {
        self.tamper = Some(f);
    }

    /// Fails the payload once more than `bytes` would be delivered (the
    /// `drop_after_body_bytes` fault): nothing is stored.
    pub fn set_fail_after(&mut self, bytes: u64) {
        self.fail_after = Some(bytes);
    }

    /// Reads the body no faster than `bytes_per_sec` (the `bandwidth` fault).
    pub fn set_rate(&mut self, bytes_per_sec: u64) {
        self.rate = Some(bytes_per_sec.max(1));
    }

    /// Counts delivered payload bytes into `counter` (for the journal).
    pub fn set_counter(&mut self, counter: std::sync::Arc<std::sync::atomic::AtomicU64>) {
        self.counter = Some(counter);
    }

    /// Fails the payload (`RequestTimeout`) when no body data arrives for `stall`: a client
    /// that never finishes its body does not hold the request forever.
    pub fn set_read_timeout(&mut self, stall: std::time::Duration) {
        self.read_timeout = Some(stall);
    }

    fn accept(&mut self, data: Bytes) {
        if data.is_empty() {
            return;
        }
        // In-transit corruption: what is hashed, verified and stored is the damaged data.
        let data = match self.tamper.as_mut() {
            Some(f) => {
                let at = self.stored_offset;
                self.stored_offset += data.len() as u64;
                f(data, at)
            }
            None => data,
        };
        self.digest.update(&data);
        if let Some(h) = self.sha256.as_mut() {
            h.update(&data);
        }
        self.ready.push_back(data);
    }

    async fn pull(&mut self) -> Result<bool, ServiceError> {
        // Keep the MD5 engine's queue for this payload bounded before reading more.
        self.digest.reserve().await;
        let Some(body) = self.body.as_mut() else {
            return Ok(false);
        };
        self.polled = true;
        let frame = match self.read_timeout {
            Some(stall) => match tokio::time::timeout(stall, body.frame()).await {
                Ok(f) => f,
                Err(_) => {
                    // Nothing to drain from a client that stopped sending.
                    self.ended = true;
                    return Err(ServiceError::with_message(
                        ErrorCode::RequestTimeout,
                        format!(
                            "no request body data arrived for {} ms; the body read timed out",
                            stall.as_millis()
                        ),
                    ));
                }
            },
            None => body.frame().await,
        };
        if !matches!(frame, Some(Ok(_))) {
            self.ended = true;
        }
        match frame {
            None => {
                if let Some(d) = self.decoder.as_mut() {
                    d.finish().map_err(chunked_error)?;
                }
                Ok(false)
            }
            Some(Err(e)) => Err(incomplete(format!(
                "the request body could not be read: {e}"
            ))),
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    match self.decoder.as_mut() {
                        Some(d) => {
                            let parts = d.feed(data).map_err(chunked_error)?;
                            for p in parts {
                                self.accept(p);
                            }
                        }
                        None => self.accept(data),
                    }
                }
                Ok(true)
            }
        }
    }
}

fn chunked_error(e: crate::aws_chunked::ChunkedError) -> ServiceError {
    use crate::aws_chunked::ChunkedError as C;
    let code = match &e {
        C::Malformed(_) => ErrorCode::InvalidRequest,
        C::Incomplete(_) | C::LengthMismatch { .. } => ErrorCode::IncompleteBody,
        C::SignatureMismatch { .. } => ErrorCode::SignatureDoesNotMatch,
    };
    ServiceError::with_message(code, e.to_string())
}

impl PayloadSource for HttpPayload {
    fn declared_len(&self) -> Option<u64> {
        self.spec.declared_len
    }

    async fn next_chunk(&mut self) -> Option<Result<Bytes, ServiceError>> {
        loop {
            if let Some(b) = self.ready.pop_front() {
                let before = self.delivered;
                self.delivered += b.len() as u64;
                if let Some(c) = &self.counter {
                    c.store(self.delivered, std::sync::atomic::Ordering::Relaxed);
                }
                if self.fail_after.is_some_and(|n| self.delivered > n) {
                    self.done = true;
                    self.ended = true; // the connection is dropped on purpose
                    return Some(Err(ServiceError::with_message(
                        ErrorCode::IncompleteBody,
                        format!("connection dropped by a fault after {before} body bytes"),
                    )));
                }
                if let Some(rate) = self.rate {
                    let secs = b.len() as f64 / rate as f64;
                    tokio::time::sleep(std::time::Duration::from_secs_f64(secs)).await;
                }
                return Some(Ok(b));
            }
            if self.done {
                return None;
            }
            match self.pull().await {
                Ok(true) => {}
                Ok(false) => self.done = true,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }

    async fn finish(mut self) -> Result<PayloadDigest, ServiceError> {
        let spec = std::mem::take(&mut self.spec);
        let decoder = self.decoder.take();
        let digest = std::mem::replace(&mut self.digest, Digester::new(None));
        let sha256 = self.sha256.take();
        let digest = digest.finish().await;
        if let (Some(n), None) = (spec.declared_len, &decoder) {
            if digest.size != n {
                return Err(incomplete(format!(
                    "You did not provide the number of bytes specified by the Content-Length HTTP header: expected {n}, got {}.",
                    digest.size
                )));
            }
        }
        if let (Some(want), Some(h)) = (spec.sha256, sha256) {
            let got: [u8; 32] = h.finalize().into();
            if got != want {
                return Err(ServiceError::new(ErrorCode::ContentSha256Mismatch)
                    .field("ClientComputedContentSHA256", hex::encode(want))
                    .field("S3ComputedContentSHA256", hex::encode(got)));
            }
        }
        if let Some(m) = &spec.content_md5 {
            check_content_md5(m, &digest.md5)?;
        }
        if let (Some(exp), Some(got)) = (&spec.checksum, &digest.checksum) {
            let sent = exp.value.clone().or_else(|| {
                let name = exp.trailer.as_deref()?;
                decoder.as_ref()?.trailer(name).map(str::to_string)
            });
            if exp.trailer.is_some() && exp.value.is_none() && sent.is_none() {
                return Err(ServiceError::with_message(
                    ErrorCode::InvalidRequest,
                    format!(
                        "The trailer {} announced in x-amz-trailer was not sent.",
                        exp.trailer.as_deref().unwrap_or("")
                    ),
                ));
            }
            if let Some(sent) = sent {
                if sent.trim() != got.to_base64() {
                    return Err(ServiceError::with_message(
                        ErrorCode::BadDigest,
                        format!(
                            "The {} you specified did not match the calculated checksum.",
                            exp.algorithm.header_name()
                        ),
                    ));
                }
            }
        }
        Ok(digest)
    }
}

impl Drop for HttpPayload {
    fn drop(&mut self) {
        if self.ended || (self.spec.expect_continue && !self.polled) {
            return;
        }
        let (Some(body), Ok(rt)) = (self.body.take(), tokio::runtime::Handle::try_current()) else {
            return;
        };
        rt.spawn(drain(body));
    }
}

/// Reads and discards the rest of a body, within [`DRAIN_LIMIT`] and [`DRAIN_TIME`].
async fn drain(mut body: Incoming) {
    let mut seen = 0u64;
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        while let Some(Ok(frame)) = body.frame().await {
            seen += frame.data_ref().map_or(0, |d| d.len() as u64);
            if seen > DRAIN_LIMIT {
                return;
            }
        }
    })
    .await;
}
