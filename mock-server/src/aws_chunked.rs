//! `Content-Encoding: aws-chunked` bodies (PROTOCOLS.md §6.1.1, §6.1.2): a sans-io streaming
//! decoder for the server and an encoder for clients.
//!
//! The wire form, after any HTTP `Transfer-Encoding: chunked` has been removed:
//!
//! ```text
//! <hex size>[;chunk-signature=<64 hex>]\r\n<size bytes>\r\n      (repeated)
//! 0[;chunk-signature=<64 hex>]\r\n
//! <name>:<value>\r\n                                             (trailers, optional)
//! [x-amz-trailer-signature:<64 hex>\r\n]
//! \r\n
//! ```
//!
//! The decoder hands out payload bytes as zero-copy slices of the input it is fed, buffers at
//! most one header or trailer line (≤ [`MAX_LINE_LEN`] bytes), and in signed mode checks every
//! chunk signature and the trailer signature.
//!
//! ```
//! use bytes::Bytes;
//! use mock_server::aws_chunked::{AwsChunkedDecoder, ChunkSignatureMode};
//!
//! let mut dec = AwsChunkedDecoder::new(ChunkSignatureMode::Unsigned);
//! let mut payload = Vec::new();
//! for piece in [&b"e\r\nhello ov"[..], b"er tls\r\n0\r\nx-amz-checksum-crc32:Br5oYg==\r\n\r\n"] {
//!     for slice in dec.feed(Bytes::copy_from_slice(piece)).unwrap() {
//!         payload.extend_from_slice(&slice);
//!     }
//! }
//! dec.finish().unwrap();
//! assert_eq!(payload, b"hello over tls");
//! assert_eq!(dec.trailer("x-amz-checksum-crc32"), Some("Br5oYg=="));
//! ```

use bytes::Bytes;
use http::StatusCode;
use sha2::{Digest, Sha256};

use crate::auth::constant_time_eq;
use crate::auth::sigv4::{canonical_trailers, sha256_hex, EMPTY_SHA256};
use crate::auth::StreamingSigner;

/// Longest chunk header or trailer line accepted, without its CRLF.
pub const MAX_LINE_LEN: usize = 4096;
/// Most trailer lines accepted (the trailer signature included).
pub const MAX_TRAILERS: usize = 16;
/// The trailer that carries the trailer signature in signed mode.
pub const TRAILER_SIGNATURE: &str = "x-amz-trailer-signature";

/// Whether chunks carry signatures that must be checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkSignatureMode {
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER` (or signatures are not checked): chunk extensions
    /// are accepted and ignored.
    Unsigned,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`: every chunk must carry a valid
    /// `chunk-signature`, and trailers (if any) a valid `x-amz-trailer-signature`.
    Signed(StreamingSigner),
}

/// Why an `aws-chunked` body was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChunkedError {
    /// The framing is wrong (bad size line, missing CRLF, bad trailer, bytes after the end...).
    #[error("malformed aws-chunked body: {0}")]
    Malformed(String),
    /// The body ended before the final chunk and trailer section.
    #[error("aws-chunked body is incomplete: {0}")]
    Incomplete(String),
    /// A chunk or trailer signature is wrong or missing (signed mode).
    #[error("aws-chunked {what} signature does not match")]
    SignatureMismatch {
        /// Which signature: `"chunk 3"` (0-based) or `"trailer"`.
        what: String,
    },
    /// The decoded payload length differs from `x-amz-decoded-content-length`.
    #[error("decoded payload is {actual} bytes, x-amz-decoded-content-length says {expected}")]
    LengthMismatch {
        /// The declared decoded length.
        expected: u64,
        /// The decoded length seen (so far, when detected early).
        actual: u64,
    },
}

impl ChunkedError {
    /// The S3 error code to answer with.
    pub fn s3_code(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "InvalidRequest",
            Self::Incomplete(_) | Self::LengthMismatch { .. } => "IncompleteBody",
            Self::SignatureMismatch { .. } => "SignatureDoesNotMatch",
        }
    }

    /// The S3 HTTP status to answer with.
    pub fn s3_status(&self) -> StatusCode {
        match self {
            Self::SignatureMismatch { .. } => StatusCode::FORBIDDEN,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

fn malformed(msg: impl Into<String>) -> ChunkedError {
    ChunkedError::Malformed(msg.into())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a `size[;ext]` line.
    SizeLine,
    /// Inside chunk data.
    Data { remaining: u64 },
    /// Expecting the `\r` after chunk data.
    DataCr,
    /// Expecting the `\n` after chunk data.
    DataLf,
    /// Reading trailer lines after the zero-length chunk.
    Trailer,
    /// Everything including the final empty line was read.
    Done,
    /// An error was reported; the decoder accepts nothing more.
    Failed,
}

/// Where a complete line is: a range of the current input, or the internal buffer.
enum LineSrc {
    Input(usize, usize),
    Buffered,
}

/// Sans-io streaming decoder of `aws-chunked` bodies. Feed it the body (already HTTP-dechunked)
/// in pieces of any size; it returns the payload as slices of those pieces.
///
/// Payload slices are returned as soon as they arrive, before the signature of their chunk is
/// checked: an error from a later [`feed`](Self::feed) or from [`finish`](Self::finish)
/// invalidates everything returned so far, so store nothing until `finish` succeeded.
#[derive(Debug)]
pub struct AwsChunkedDecoder {
    signer: Option<StreamingSigner>,
    prev_signature: String,
    state: State,
    line: Vec<u8>,
    hasher: Sha256,
    pending_signature: [u8; 64],
    chunk_index: u64,
    decoded_len: u64,
    expected_len: Option<u64>,
    trailers: Vec<(String, String)>,
    trailer_lines: usize,
    trailer_signature: Option<String>,
}

impl AwsChunkedDecoder {
    /// A decoder at the start of a body.
    pub fn new(mode: ChunkSignatureMode) -> Self {
        let (signer, prev_signature) = match mode {
            ChunkSignatureMode::Unsigned => (None, String::new()),
            ChunkSignatureMode::Signed(s) => {
                let seed = s.seed_signature.clone();
                (Some(s), seed)
            }
        };
        Self {
            signer,
            prev_signature,
            state: State::SizeLine,
            line: Vec::new(),
            hasher: Sha256::new(),
            pending_signature: [0; 64],
            chunk_index: 0,
            decoded_len: 0,
            expected_len: None,
            trailers: Vec::new(),
            trailer_lines: 0,
            trailer_signature: None,
        }
    }

    /// Also checks the decoded length against `x-amz-decoded-content-length`: an overrun fails
    /// as soon as a chunk header announces it, a shortfall at [`finish`](Self::finish).
    pub fn with_expected_len(mut self, expected: u64) -> Self {
        self.expected_len = Some(expected);
        self
    }

    /// Decodes the next piece of the body and returns the payload bytes found in it, as
    /// zero-copy slices of `input`.
    pub fn feed(&mut self, input: Bytes) -> Result<Vec<Bytes>, ChunkedError> {
        if self.state == State::Failed {
            return Err(malformed("the decoder already reported an error"));
        }
        let mut out = Vec::new();
        match self.run(&input, &mut out) {
            Ok(()) => Ok(out),
            Err(e) => {
                self.state = State::Failed;
                Err(e)
            }
        }
    }

    /// Declares the end of the body. Fails if the zero-length chunk or the trailer section did
    /// not arrive (a missing final empty line after complete trailer lines is tolerated), or if
    /// the decoded length differs from the expected one. Calling it again after success is a
    /// no-op.
    pub fn finish(&mut self) -> Result<(), ChunkedError> {
        let result = self.finish_inner();
        if result.is_err() {
            self.state = State::Failed;
        }
        result
    }

    fn finish_inner(&mut self) -> Result<(), ChunkedError> {
        match self.state {
            State::Done => {}
            State::Trailer if self.line.is_empty() => {
                self.end_trailers()?;
                self.state = State::Done;
            }
            State::Trailer => {
                return Err(ChunkedError::Incomplete(
                    "the body ended inside a trailer line".into(),
                ))
            }
            State::SizeLine if self.line.is_empty() => {
                return Err(ChunkedError::Incomplete(
                    "the body ended before the final zero-length chunk".into(),
                ))
            }
            State::SizeLine => {
                return Err(ChunkedError::Incomplete(
                    "the body ended inside a chunk header line".into(),
                ))
            }
            State::Data { remaining } => {
                return Err(ChunkedError::Incomplete(format!(
                    "the body ended {remaining} bytes before the end of chunk {}",
                    self.chunk_index
                )))
            }
            State::DataCr | State::DataLf => {
                return Err(ChunkedError::Incomplete(
                    "the body ended before the CRLF after chunk data".into(),
                ))
            }
            State::Failed => return Err(malformed("the decoder already reported an error")),
        }
        match self.expected_len {
            Some(expected) if expected != self.decoded_len => Err(ChunkedError::LengthMismatch {
                expected,
                actual: self.decoded_len,
            }),
            _ => Ok(()),
        }
    }

    /// Whether the whole body, trailer section included, has been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Trailers received after the zero-length chunk, names lower-cased, values trimmed, in
    /// order (without `x-amz-trailer-signature`).
    pub fn trailers(&self) -> &[(String, String)] {
        &self.trailers
    }

    /// The value of trailer `name` (case-insensitive).
    pub fn trailer(&self, name: &str) -> Option<&str> {
        self.trailers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Payload bytes decoded so far.
    pub fn decoded_len(&self) -> u64 {
        self.decoded_len
    }

    /// Chunks completed so far (the final zero-length chunk included).
    pub fn chunk_count(&self) -> u64 {
        self.chunk_index
    }

    fn run(&mut self, input: &Bytes, out: &mut Vec<Bytes>) -> Result<(), ChunkedError> {
        let mut pos = 0;
        while pos < input.len() {
            match self.state {
                State::SizeLine | State::Trailer => match self.take_line(input, &mut pos)? {
                    None => break,
                    Some(LineSrc::Input(start, end)) => {
                        let line = input.get(start..end).unwrap_or_default();
                        self.on_line(line)?;
                    }
                    Some(LineSrc::Buffered) => {
                        let buf = std::mem::take(&mut self.line);
                        let result = self.on_line(&buf);
                        self.line = buf;
                        self.line.clear();
                        result?;
                    }
                },
                State::Data { remaining } => {
                    let available = input.len() - pos;
                    let n = usize::try_from(remaining).map_or(available, |r| r.min(available));
                    let slice = input.slice(pos..pos + n);
                    if self.signer.is_some() {
                        self.hasher.update(&slice);
                    }
                    self.decoded_len += n as u64;
                    pos += n;
                    out.push(slice);
                    let left = remaining - n as u64;
                    if left == 0 {
                        self.end_chunk_data()?;
                        self.state = State::DataCr;
                    } else {
                        self.state = State::Data { remaining: left };
                    }
                }
                State::DataCr | State::DataLf => {
                    let (want, next) = if self.state == State::DataCr {
                        (b'\r', State::DataLf)
                    } else {
                        (b'\n', State::SizeLine)
                    };
                    let got = input.get(pos).copied();
                    if got != Some(want) {
                        return Err(malformed(format!(
                            "expected CRLF after the data of chunk {}, got byte {:?}",
                            self.chunk_index.saturating_sub(1),
                            got.map(char::from)
                        )));
                    }
                    pos += 1;
                    self.state = next;
                }
                State::Done => {
                    return Err(malformed(format!(
                        "{} unexpected bytes after the end of the body",
                        input.len() - pos
                    )))
                }
                State::Failed => return Err(malformed("the decoder already reported an error")),
            }
        }
        Ok(())
    }

    /// Finds the end of the current line in `input[pos..]`, buffering a partial line.
    fn take_line(
        &mut self,
        input: &[u8],
        pos: &mut usize,
    ) -> Result<Option<LineSrc>, ChunkedError> {
        // A line is at most MAX_LINE_LEN bytes plus CRLF; never scan or buffer more.
        let room = (MAX_LINE_LEN + 2).saturating_sub(self.line.len());
        let start = *pos;
        let window_end = input.len().min(start.saturating_add(room));
        let window = input.get(start..window_end).unwrap_or_default();
        match window.iter().position(|&b| b == b'\n') {
            Some(i) => {
                let end = start + i + 1;
                *pos = end;
                if self.line.is_empty() {
                    Ok(Some(LineSrc::Input(start, end)))
                } else {
                    self.line
                        .extend_from_slice(window.get(..=i).unwrap_or_default());
                    Ok(Some(LineSrc::Buffered))
                }
            }
            None if window.len() >= room => Err(malformed(format!(
                "a chunk header or trailer line is longer than {MAX_LINE_LEN} bytes"
            ))),
            None => {
                self.line.extend_from_slice(window);
                *pos = window_end;
                Ok(None)
            }
        }
    }

    /// Handles one complete line, CRLF included.
    fn on_line(&mut self, line: &[u8]) -> Result<(), ChunkedError> {
        let content = line
            .strip_suffix(b"\n")
            .and_then(|l| l.strip_suffix(b"\r"))
            .ok_or_else(|| malformed("a chunk header or trailer line ends in LF without CR"))?;
        if content.len() > MAX_LINE_LEN {
            return Err(malformed(format!(
                "a chunk header or trailer line is longer than {MAX_LINE_LEN} bytes"
            )));
        }
        if let Some(bad) = content
            .iter()
            .find(|&&b| (b < 0x20 && b != b'\t') || b == 0x7f)
        {
            return Err(malformed(format!(
                "control character 0x{bad:02x} in a chunk header or trailer line"
            )));
        }
        let text = std::str::from_utf8(content)
            .map_err(|_| malformed("a chunk header or trailer line is not UTF-8"))?;
        match self.state {
            State::SizeLine => self.on_size_line(text),
            _ => self.on_trailer_line(text),
        }
    }

    fn on_size_line(&mut self, text: &str) -> Result<(), ChunkedError> {
        let (size_str, extensions) = match text.split_once(';') {
            Some((s, e)) => (s, Some(e)),
            None => (text, None),
        };
        let size = parse_hex_size(size_str)?;
        let mut signature = None;
        for ext in extensions.into_iter().flat_map(|e| e.split(';')) {
            let (name, value) = ext.split_once('=').unwrap_or((ext, ""));
            let name = name.trim();
            if name.is_empty() {
                return Err(malformed(format!("empty chunk extension in {text:?}")));
            }
            if name.eq_ignore_ascii_case("chunk-signature")
                && signature.replace(value.trim()).is_some()
            {
                return Err(malformed(format!(
                    "chunk-signature appears twice in {text:?}"
                )));
            }
        }
        if let Some(expected) = self.expected_len {
            let total = self.decoded_len.saturating_add(size);
            if total > expected {
                return Err(ChunkedError::LengthMismatch {
                    expected,
                    actual: total,
                });
            }
        }
        if self.signer.is_some() {
            let sig = signature.ok_or_else(|| {
                malformed(format!(
                    "chunk {} has no chunk-signature extension in signed mode",
                    self.chunk_index
                ))
            })?;
            let sig: [u8; 64] = sig
                .as_bytes()
                .try_into()
                .ok()
                .filter(|s: &[u8; 64]| s.iter().all(u8::is_ascii_hexdigit))
                .ok_or_else(|| {
                    malformed(format!(
                        "chunk-signature: expected 64 hex digits, got {sig:?}"
                    ))
                })?;
            self.pending_signature = sig;
            self.hasher = Sha256::new();
        }
        if size == 0 {
            self.check_chunk_signature(EMPTY_SHA256)?;
            self.chunk_index += 1;
            self.state = State::Trailer;
        } else {
            self.state = State::Data { remaining: size };
        }
        Ok(())
    }

    /// At the end of a chunk's data: checks its signature (signed mode) and counts it.
    fn end_chunk_data(&mut self) -> Result<(), ChunkedError> {
        if self.signer.is_some() {
            let hash = hex::encode(std::mem::take(&mut self.hasher).finalize());
            self.check_chunk_signature(&hash)?;
        }
        self.chunk_index += 1;
        Ok(())
    }

    fn check_chunk_signature(&mut self, chunk_sha256_hex: &str) -> Result<(), ChunkedError> {
        let Some(signer) = &self.signer else {
            return Ok(());
        };
        let expected = signer.chunk_signature(&self.prev_signature, chunk_sha256_hex);
        if !constant_time_eq(expected.as_bytes(), &self.pending_signature) {
            return Err(ChunkedError::SignatureMismatch {
                what: format!("chunk {}", self.chunk_index),
            });
        }
        self.prev_signature = expected;
        Ok(())
    }

    fn on_trailer_line(&mut self, text: &str) -> Result<(), ChunkedError> {
        if text.is_empty() {
            self.end_trailers()?;
            self.state = State::Done;
            return Ok(());
        }
        self.trailer_lines += 1;
        if self.trailer_lines > MAX_TRAILERS {
            return Err(malformed(format!("more than {MAX_TRAILERS} trailer lines")));
        }
        let (name, value) = text
            .split_once(':')
            .ok_or_else(|| malformed(format!("trailer line without ':': {text:?}")))?;
        let name = name.trim();
        if name.is_empty() || !name.bytes().all(is_tchar) {
            return Err(malformed(format!("invalid trailer name {name:?}")));
        }
        let name = name.to_ascii_lowercase();
        let value = value.trim().to_owned();
        if self.trailer_signature.is_some() {
            return Err(malformed(format!(
                "trailer {name:?} after {TRAILER_SIGNATURE}"
            )));
        }
        if name == TRAILER_SIGNATURE {
            self.trailer_signature = Some(value);
        } else {
            self.trailers.push((name, value));
        }
        Ok(())
    }

    /// After the last trailer line: checks the trailer signature in signed mode.
    fn end_trailers(&mut self) -> Result<(), ChunkedError> {
        let Some(signer) = &self.signer else {
            return Ok(());
        };
        if self.trailers.is_empty() && self.trailer_signature.is_none() {
            return Ok(());
        }
        let mismatch = || ChunkedError::SignatureMismatch {
            what: "trailer".into(),
        };
        let provided = self.trailer_signature.as_deref().ok_or_else(mismatch)?;
        let canonical =
            canonical_trailers(self.trailers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        let expected =
            signer.trailer_signature(&self.prev_signature, &sha256_hex(canonical.as_bytes()));
        if !constant_time_eq(expected.as_bytes(), provided.as_bytes()) {
            return Err(mismatch());
        }
        Ok(())
    }
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn parse_hex_size(s: &str) -> Result<u64, ChunkedError> {
    if s.is_empty() || s.len() > 16 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(malformed(format!(
            "chunk size: expected 1 to 16 hex digits, got {s:?}"
        )));
    }
    u64::from_str_radix(s, 16).map_err(|_| malformed(format!("chunk size {s:?} out of range")))
}

/// Client-side `aws-chunked` framing, unsigned or with chunk signatures chained from the
/// request's seed signature (see [`crate::auth::sigv4::sign`]).
#[derive(Debug, Clone)]
pub struct AwsChunkedEncoder {
    signer: Option<StreamingSigner>,
    prev_signature: String,
}

impl AwsChunkedEncoder {
    /// An encoder at the start of a body.
    pub fn new(mode: ChunkSignatureMode) -> Self {
        match mode {
            ChunkSignatureMode::Unsigned => Self {
                signer: None,
                prev_signature: String::new(),
            },
            ChunkSignatureMode::Signed(s) => Self {
                prev_signature: s.seed_signature.clone(),
                signer: Some(s),
            },
        }
    }

    fn header(&mut self, len: usize, data: &[u8]) -> String {
        match &self.signer {
            None => format!("{len:x}\r\n"),
            Some(signer) => {
                let sig = signer.chunk_signature(&self.prev_signature, &sha256_hex(data));
                let line = format!("{len:x};chunk-signature={sig}\r\n");
                self.prev_signature = sig;
                line
            }
        }
    }

    /// Frames one chunk: `[header line, data, "\r\n"]` (the data is not copied). Empty data
    /// gives nothing: the zero-length chunk is written by [`finish`](Self::finish).
    pub fn encode_chunk(&mut self, data: Bytes) -> Vec<Bytes> {
        if data.is_empty() {
            return Vec::new();
        }
        let header = self.header(data.len(), &data);
        vec![Bytes::from(header), data, Bytes::from_static(b"\r\n")]
    }

    /// The zero-length chunk, the trailers (plus `x-amz-trailer-signature` in signed mode when
    /// there are trailers) and the final empty line.
    pub fn finish(&mut self, trailers: &[(&str, &str)]) -> Bytes {
        let mut out = self.header(0, b"");
        for (name, value) in trailers {
            out.push_str(&format!("{name}:{value}\r\n"));
        }
        if let (Some(signer), false) = (&self.signer, trailers.is_empty()) {
            let canonical = canonical_trailers(trailers.iter().copied());
            let sig =
                signer.trailer_signature(&self.prev_signature, &sha256_hex(canonical.as_bytes()));
            out.push_str(&format!("{TRAILER_SIGNATURE}:{sig}\r\n"));
        }
        out.push_str("\r\n");
        Bytes::from(out)
    }
}

/// Length of the encoded body for chunks of the given sizes (zero sizes are skipped, as the
/// encoder does), for `Content-Length` when not using HTTP chunking.
pub fn encoded_len(
    chunk_sizes: impl IntoIterator<Item = u64>,
    signed: bool,
    trailers: &[(&str, &str)],
) -> u64 {
    const SIG_EXT: u64 = 17 + 64; // ";chunk-signature=" + hex
    let header = |size: u64| {
        let hex_digits = u64::from(
            u64::BITS
                .saturating_sub(size.leading_zeros())
                .div_ceil(4)
                .max(1),
        );
        hex_digits
            .saturating_add(if signed { SIG_EXT } else { 0 })
            .saturating_add(2)
    };
    let mut total = chunk_sizes
        .into_iter()
        .filter(|&s| s > 0)
        .fold(0u64, |acc, s| {
            acc.saturating_add(header(s))
                .saturating_add(s)
                .saturating_add(2)
        });
    total = total.saturating_add(header(0));
    for (name, value) in trailers {
        total = total.saturating_add((name.len() + 1 + value.len() + 2) as u64);
    }
    if signed && !trailers.is_empty() {
        total = total.saturating_add((TRAILER_SIGNATURE.len() + 1 + 64 + 2) as u64);
    }
    total.saturating_add(2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::sigv4;
    use crate::auth::{Credentials, RequestTarget};
    use crate::checksum::{Checksum, ChecksumAlgorithm};
    use proptest::prelude::*;

    const SK: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    /// The signer of AWS's published chunked-upload example (PROTOCOLS §6.1.1).
    fn aws_example_signer() -> StreamingSigner {
        let mut h = http::HeaderMap::new();
        for (k, v) in [
            ("host", "s3.amazonaws.com"),
            ("content-encoding", "aws-chunked"),
            ("content-length", "66824"),
            ("x-amz-decoded-content-length", "66560"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ] {
            h.insert(k, v.parse().unwrap());
        }
        let target = RequestTarget {
            method: "PUT",
            raw_path: "/examplebucket/chunkObject.txt",
            raw_query: "",
            virtual_host_bucket: None,
        };
        let time = crate::auth::clock::parse_amz_date("20130524T000000Z").unwrap();
        sigv4::sign(
            &target,
            &mut h,
            crate::auth::PayloadHash::STREAMING_SIGNED,
            &Credentials::new("AKIAIOSFODNN7EXAMPLE", SK),
            "us-east-1",
            time,
        )
        .unwrap()
    }

    /// The example body written out by hand with the published signatures.
    fn aws_example_body() -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n");
        body.extend_from_slice(&[b'a'; 65536]);
        body.extend_from_slice(b"\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n");
        body.extend_from_slice(&[b'a'; 1024]);
        body.extend_from_slice(b"\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n");
        body
    }

    fn concat(parts: &[Bytes]) -> Vec<u8> {
        parts.iter().flat_map(|b| b.iter().copied()).collect()
    }

    /// Feeds `body` cut at `cuts` and returns (payload, decoder) or the first error.
    fn decode_split(
        mode: ChunkSignatureMode,
        body: &[u8],
        cuts: &[usize],
    ) -> Result<(Vec<u8>, AwsChunkedDecoder), ChunkedError> {
        let mut points: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
        points.extend([0, body.len()]);
        points.sort_unstable();
        let mut dec = AwsChunkedDecoder::new(mode);
        let mut out = Vec::new();
        for w in points.windows(2) {
            out.extend(concat(
                &dec.feed(Bytes::copy_from_slice(&body[w[0]..w[1]]))?,
            ));
        }
        dec.finish()?;
        Ok((out, dec))
    }

    fn decode(
        mode: ChunkSignatureMode,
        body: &[u8],
    ) -> Result<(Vec<u8>, AwsChunkedDecoder), ChunkedError> {
        decode_split(mode, body, &[])
    }

    #[test]
    fn aws_vector_encodes_exactly() {
        let signer = aws_example_signer();
        assert_eq!(
            signer.seed_signature,
            "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
        );
        let mut enc = AwsChunkedEncoder::new(ChunkSignatureMode::Signed(signer));
        let mut body = Vec::new();
        body.extend(concat(&enc.encode_chunk(Bytes::from(vec![b'a'; 65536]))));
        body.extend(concat(&enc.encode_chunk(Bytes::from(vec![b'a'; 1024]))));
        body.extend_from_slice(&enc.finish(&[]));
        assert_eq!(body, aws_example_body());
        assert_eq!(body.len(), 66824);
        assert_eq!(encoded_len([65536, 1024], true, &[]), 66824);
    }

    #[test]
    fn aws_vector_decodes_at_any_split() {
        let body = aws_example_body();
        let signer = aws_example_signer();
        let expected = vec![b'a'; 66560];
        let splits: [&[usize]; 6] = [
            &[],
            &[1],
            &[87, 88, 89],
            &[65625, 65626, 65627],
            &[66737, 66738, 66739, 66800, 66822, 66823],
            &[5, 50, 500, 5000, 50000, 66000],
        ];
        for cuts in splits {
            let (out, dec) =
                decode_split(ChunkSignatureMode::Signed(signer.clone()), &body, cuts).unwrap();
            assert_eq!(out, expected, "cuts {cuts:?}");
            assert_eq!(dec.decoded_len(), 66560);
            assert_eq!(dec.chunk_count(), 3);
            assert!(dec.trailers().is_empty());
        }
        // Byte-by-byte.
        let cuts: Vec<usize> = (0..body.len()).collect();
        let (out, _) =
            decode_split(ChunkSignatureMode::Signed(signer.clone()), &body, &cuts).unwrap();
        assert_eq!(out, expected);
        // Unsigned mode ignores the signatures.
        let (out, _) = decode(ChunkSignatureMode::Unsigned, &body).unwrap();
        assert_eq!(out, expected);
    }

    #[test]
    fn aws_vector_tampering() {
        let signer = ChunkSignatureMode::Signed(aws_example_signer());
        let body = aws_example_body();
        // One payload byte of chunk 0.
        let mut bad = body.clone();
        bad[1000] = b'b';
        assert_eq!(
            decode(signer.clone(), &bad).unwrap_err(),
            ChunkedError::SignatureMismatch {
                what: "chunk 0".into()
            }
        );
        // The signature of chunk 1.
        let mut bad = body.clone();
        let at = 65626 + 20;
        bad[at] = if bad[at] == b'0' { b'1' } else { b'0' };
        assert_eq!(
            decode(signer.clone(), &bad).unwrap_err(),
            ChunkedError::SignatureMismatch {
                what: "chunk 1".into()
            }
        );
        // The final chunk's signature.
        let mut bad = body.clone();
        let at = body.len() - 5;
        bad[at] = if bad[at] == b'0' { b'1' } else { b'0' };
        assert_eq!(
            decode(signer.clone(), &bad).unwrap_err(),
            ChunkedError::SignatureMismatch {
                what: "chunk 2".into()
            }
        );
        // Chunks reordered / signature missing.
        let unsigned = b"3\r\nabc\r\n0\r\n\r\n";
        assert!(matches!(
            decode(signer.clone(), unsigned),
            Err(ChunkedError::Malformed(_))
        ));
        let short_sig = b"3;chunk-signature=abc\r\nabc\r\n";
        assert!(matches!(
            decode(signer, short_sig),
            Err(ChunkedError::Malformed(_))
        ));
    }

    #[test]
    fn signed_trailer_round_trip_and_tampering() {
        let signer = aws_example_signer();
        let payload = b"hello signed trailer".repeat(100);
        let crc = Checksum::compute(ChecksumAlgorithm::Crc32, &payload).to_base64();
        let trailers = [("x-amz-checksum-crc32", crc.as_str())];
        let mut enc = AwsChunkedEncoder::new(ChunkSignatureMode::Signed(signer.clone()));
        let mut body = Vec::new();
        for piece in payload.chunks(700) {
            body.extend(concat(&enc.encode_chunk(Bytes::copy_from_slice(piece))));
        }
        body.extend_from_slice(&enc.finish(&trailers));
        assert_eq!(
            body.len() as u64,
            encoded_len([700, 700, 600], true, &trailers)
        );
        let mode = ChunkSignatureMode::Signed(signer);
        let (out, dec) = decode(mode.clone(), &body).unwrap();
        assert_eq!(out, payload);
        assert_eq!(dec.trailer("X-Amz-Checksum-Crc32"), Some(crc.as_str()));
        assert_eq!(dec.trailers().len(), 1);

        let text = String::from_utf8(body.clone()).unwrap();
        // Changed trailer value.
        let bad = text.replace(&crc, "AAAAAA==");
        assert_eq!(
            decode(mode.clone(), bad.as_bytes()).unwrap_err(),
            ChunkedError::SignatureMismatch {
                what: "trailer".into()
            }
        );
        // Trailer signature removed.
        let sig_start = text.find("x-amz-trailer-signature:").unwrap();
        let bad = format!("{}\r\n", &text[..sig_start]);
        assert_eq!(
            decode(mode.clone(), bad.as_bytes()).unwrap_err(),
            ChunkedError::SignatureMismatch {
                what: "trailer".into()
            }
        );
        // A trailer added after the signature.
        let bad = format!("{}x-extra:1\r\n\r\n", &text[..text.len() - 2]);
        assert!(matches!(
            decode(mode.clone(), bad.as_bytes()),
            Err(ChunkedError::Malformed(_))
        ));
        // Final empty line missing: tolerated.
        let (out, _) = decode(mode, &body[..body.len() - 2]).unwrap();
        assert_eq!(out, payload);
    }

    #[test]
    fn unsigned_trailer_form_from_capture() {
        // boto3 over HTTPS (boto3_127.0.0.1_https_aws-chunked-trailer.txt).
        let body = b"e\r\nhello over tls\r\n0\r\nx-amz-checksum-crc32:Br5oYg==\r\n\r\n";
        for cut in 0..=body.len() {
            let (out, dec) = decode_split(ChunkSignatureMode::Unsigned, body, &[cut]).unwrap();
            assert_eq!(out, b"hello over tls");
            assert_eq!(
                dec.trailers(),
                &[("x-amz-checksum-crc32".to_owned(), "Br5oYg==".to_owned())]
            );
            assert!(dec.is_done());
        }
        // Encoder produces the same bytes.
        let mut enc = AwsChunkedEncoder::new(ChunkSignatureMode::Unsigned);
        let mut encoded = concat(&enc.encode_chunk(Bytes::from_static(b"hello over tls")));
        encoded.extend_from_slice(&enc.finish(&[("x-amz-checksum-crc32", "Br5oYg==")]));
        assert_eq!(encoded, body);
        assert_eq!(
            encoded_len([14], false, &[("x-amz-checksum-crc32", "Br5oYg==")]),
            body.len() as u64
        );
        // Large boto3 framing: 1 MiB chunks (0x100000).
        let mut big = b"100000\r\n".to_vec();
        big.extend(vec![7u8; 0x100000]);
        big.extend_from_slice(b"\r\nb\r\n01234567890\r\n0\r\n\r\n");
        let (out, dec) = decode(ChunkSignatureMode::Unsigned, &big).unwrap();
        assert_eq!(out.len(), 0x100000 + 11);
        assert_eq!(dec.chunk_count(), 3);
    }

    #[test]
    fn payload_slices_are_zero_copy() {
        let input = Bytes::from_static(b"5\r\nhello\r\n0\r\n\r\n");
        let mut dec = AwsChunkedDecoder::new(ChunkSignatureMode::Unsigned);
        let out = dec.feed(input.clone()).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0], Bytes::from_static(b"hello"));
        assert_eq!(out[0].as_ptr(), input[3..].as_ptr());
    }

    #[test]
    fn extensions_and_hex_case() {
        let body = b"A;name=value;chunk-signature=00\r\n0123456789\r\n0;x\r\n\r\n";
        let (out, _) = decode(ChunkSignatureMode::Unsigned, body).unwrap();
        assert_eq!(out, b"0123456789");
        let (out, _) = decode(
            ChunkSignatureMode::Unsigned,
            b"a\r\n0123456789\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(out.len(), 10);
        // Stream ending right after the zero chunk (no trailer section, no final CRLF).
        let (out, dec) = decode(ChunkSignatureMode::Unsigned, b"1\r\nx\r\n0\r\n").unwrap();
        assert_eq!(out, b"x");
        assert!(dec.is_done());
        // Empty body: only the zero chunk.
        let (out, _) = decode(ChunkSignatureMode::Unsigned, b"0\r\n\r\n").unwrap();
        assert!(out.is_empty());
    }

    #[test]
    fn malformed_framing() {
        let long_ext = format!("1;{}\r\nx\r\n0\r\n\r\n", "e=1;".repeat(1100));
        let too_many: String = (0..=MAX_TRAILERS)
            .map(|i| format!("x-t{i}:v\r\n"))
            .collect();
        let too_many = format!("0\r\n{too_many}\r\n");
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("non-hex size", b"zz\r\nabc\r\n0\r\n\r\n".to_vec()),
            ("empty size line", b"\r\n".to_vec()),
            ("signed size", b"-3\r\nabc\r\n0\r\n\r\n".to_vec()),
            ("space in size", b"3 \r\nabc\r\n0\r\n\r\n".to_vec()),
            (
                "17 hex digits",
                b"00000000000000003\r\nabc\r\n0\r\n\r\n".to_vec(),
            ),
            ("size line over 4 KiB", long_ext.into_bytes()),
            (
                "missing CRLF after data",
                b"3\r\nabcX\r\n0\r\n\r\n".to_vec(),
            ),
            ("data longer than size", b"3\r\nabcd\r\n0\r\n\r\n".to_vec()),
            ("bare LF", b"3\nabc\r\n0\r\n\r\n".to_vec()),
            ("CR inside line", b"3\rx\r\nabc\r\n0\r\n\r\n".to_vec()),
            ("empty extension", b"3;\r\nabc\r\n0\r\n\r\n".to_vec()),
            (
                "duplicate signature",
                b"3;chunk-signature=a;chunk-signature=b\r\nabc\r\n0\r\n\r\n".to_vec(),
            ),
            (
                "trailer without colon",
                b"0\r\nx-amz-checksum-crc32\r\n\r\n".to_vec(),
            ),
            ("bad trailer name", b"0\r\nbad name:v\r\n\r\n".to_vec()),
            ("empty trailer name", b"0\r\n:v\r\n\r\n".to_vec()),
            ("too many trailers", too_many.into_bytes()),
            ("bytes after the end", b"0\r\n\r\nX".to_vec()),
            ("non-UTF-8 trailer", b"0\r\nx-a:\xff\r\n\r\n".to_vec()),
        ];
        for (what, body) in cases {
            let r = decode(ChunkSignatureMode::Unsigned, &body);
            assert!(
                matches!(r, Err(ChunkedError::Malformed(_))),
                "{what}: {r:?}"
            );
        }
        // Overlong line is rejected without buffering it, even when fed byte by byte.
        let mut dec = AwsChunkedDecoder::new(ChunkSignatureMode::Unsigned);
        let mut failed = false;
        for _ in 0..(MAX_LINE_LEN + 3) {
            if dec.feed(Bytes::from_static(b"1")).is_err() {
                failed = true;
                break;
            }
        }
        assert!(failed);
        assert!(dec.line.len() <= MAX_LINE_LEN + 2);
        // A line of exactly MAX_LINE_LEN bytes is fine.
        let ok = format!("1;{}\r\nx\r\n0\r\n\r\n", "e".repeat(MAX_LINE_LEN - 2));
        assert!(decode(ChunkSignatureMode::Unsigned, ok.as_bytes()).is_ok());
    }

    #[test]
    fn incomplete_bodies() {
        for (what, body) in [
            ("nothing", &b""[..]),
            ("no final chunk", b"3\r\nabc\r\n"),
            ("inside size line", b"3\r\nabc\r\n0"),
            ("inside data", b"3\r\nab"),
            ("before CRLF", b"3\r\nabc"),
            ("between CR and LF", b"3\r\nabc\r"),
            ("inside trailer", b"0\r\nx-amz-checksum-crc32:AAAA"),
        ] {
            let r = decode(ChunkSignatureMode::Unsigned, body);
            assert!(
                matches!(r, Err(ChunkedError::Incomplete(_))),
                "{what}: {r:?}"
            );
        }
    }

    #[test]
    fn expected_length() {
        let body = b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        let run = |n: u64| {
            let mut dec = AwsChunkedDecoder::new(ChunkSignatureMode::Unsigned).with_expected_len(n);
            dec.feed(Bytes::from_static(body))
                .and_then(|_| dec.finish())
        };
        assert_eq!(run(5), Ok(()));
        assert_eq!(
            run(6),
            Err(ChunkedError::LengthMismatch {
                expected: 6,
                actual: 5
            })
        );
        // Overrun is detected at the header of the chunk that exceeds it.
        assert_eq!(
            run(4),
            Err(ChunkedError::LengthMismatch {
                expected: 4,
                actual: 5
            })
        );
    }

    #[test]
    fn failed_decoder_stays_failed() {
        let mut dec = AwsChunkedDecoder::new(ChunkSignatureMode::Unsigned);
        assert!(dec.feed(Bytes::from_static(b"zz\r\n")).is_err());
        assert!(dec.feed(Bytes::from_static(b"0\r\n\r\n")).is_err());
        assert!(dec.finish().is_err());
        let mut dec = AwsChunkedDecoder::new(ChunkSignatureMode::Unsigned);
        dec.feed(Bytes::from_static(b"0\r\n\r\n")).unwrap();
        assert!(dec.finish().is_ok());
        assert!(dec.finish().is_ok());
        assert!(dec.feed(Bytes::from_static(b"\r\n")).is_err());
    }

    #[test]
    fn error_codes() {
        assert_eq!(
            ChunkedError::SignatureMismatch {
                what: "trailer".into()
            }
            .s3_code(),
            "SignatureDoesNotMatch"
        );
        assert_eq!(
            ChunkedError::SignatureMismatch {
                what: "trailer".into()
            }
            .s3_status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            ChunkedError::Incomplete(String::new()).s3_code(),
            "IncompleteBody"
        );
        assert_eq!(
            ChunkedError::Malformed(String::new()).s3_status(),
            StatusCode::BAD_REQUEST
        );
    }

    fn encode_all(
        mode: &ChunkSignatureMode,
        payload: &[u8],
        sizes: &[usize],
        trailers: &[(&str, &str)],
    ) -> (Vec<u8>, Vec<u64>) {
        let mut enc = AwsChunkedEncoder::new(mode.clone());
        let mut body = Vec::new();
        let mut used = Vec::new();
        let mut rest = payload;
        let mut i = 0;
        while !rest.is_empty() {
            let n = sizes
                .get(i % sizes.len().max(1))
                .copied()
                .unwrap_or(1)
                .clamp(1, rest.len());
            body.extend(concat(
                &enc.encode_chunk(Bytes::copy_from_slice(&rest[..n])),
            ));
            used.push(n as u64);
            rest = &rest[n..];
            i += 1;
        }
        body.extend_from_slice(&enc.finish(trailers));
        (body, used)
    }

    proptest! {
        #[test]
        fn any_split_gives_the_same_output(
            payload in proptest::collection::vec(any::<u8>(), 0..3000),
            sizes in proptest::collection::vec(1usize..1500, 1..6),
            cuts in proptest::collection::vec(any::<usize>(), 0..20),
            signed in any::<bool>(),
            with_trailer in any::<bool>(),
        ) {
            let mode = if signed {
                ChunkSignatureMode::Signed(aws_example_signer())
            } else {
                ChunkSignatureMode::Unsigned
            };
            let crc = Checksum::compute(ChecksumAlgorithm::Crc32c, &payload).to_base64();
            let trailers: Vec<(&str, &str)> = if with_trailer {
                vec![("x-amz-checksum-crc32c", crc.as_str())]
            } else {
                vec![]
            };
            let (body, used) = encode_all(&mode, &payload, &sizes, &trailers);
            prop_assert_eq!(body.len() as u64, encoded_len(used.iter().copied(), signed, &trailers));
            let (whole, _) = decode(mode.clone(), &body).unwrap();
            prop_assert_eq!(&whole, &payload);
            let (split, dec) = decode_split(mode, &body, &cuts).unwrap();
            prop_assert_eq!(&split, &payload);
            prop_assert_eq!(dec.decoded_len(), payload.len() as u64);
            prop_assert_eq!(dec.trailer("x-amz-checksum-crc32c"), with_trailer.then_some(crc.as_str()));
        }

        #[test]
        fn garbage_never_panics(
            body in proptest::collection::vec(any::<u8>(), 0..600),
            cuts in proptest::collection::vec(any::<usize>(), 0..8),
            signed in any::<bool>(),
        ) {
            let mode = if signed {
                ChunkSignatureMode::Signed(aws_example_signer())
            } else {
                ChunkSignatureMode::Unsigned
            };
            let _ = decode_split(mode, &body, &cuts);
        }
    }
}
