//! Dialect codecs: build the HTTP requests of each operation and read the answers, in the S3,
//! OBS and QingStor dialects. Signing and the XML/JSON documents come from `mock_server`'s
//! `auth` and `wire` modules, the same code the mock verifies and parses with.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::failure::{AttemptError, Cause};

pub mod qingstor;
pub mod s3;
use super::integrity::PartData;
use super::remote::{CompleteAck, CompleteRequest, ObjectInfo, PartAck, PartsPage, UploadRef};

/// Characters escaped in a path segment: everything but RFC 3986 unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Characters escaped in a key path: as [`SEGMENT`] but `/` stays.
const KEY_PATH: &AsciiSet = &SEGMENT.remove(b'/');

/// A request before it is sent: raw (already encoded) path and query, headers, body.
#[derive(Clone, Debug)]
pub struct WireRequest {
    /// Method.
    pub method: Method,
    /// Raw path, percent-encoded, starting with `/`.
    pub path: String,
    /// Raw query without `?` (may be empty).
    pub query: String,
    /// Headers (the transport adds `Host` before signing).
    pub headers: HeaderMap,
    /// Body (empty for most operations; the part bytes for uploads).
    pub body: Bytes,
    /// SigV4 payload hash to sign (`UNSIGNED-PAYLOAD` or precomputed hex SHA-256); `None`
    /// means "hash the body when signing" (small documents).
    pub payload_hash: Option<String>,
}

impl WireRequest {
    /// A request without headers or body.
    pub fn new(method: Method, path: String, query: String) -> Self {
        WireRequest {
            method,
            path,
            query,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            payload_hash: None,
        }
    }
}

/// An answer: status, headers, whole body.
#[derive(Clone, Debug)]
pub struct WireResponse {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

impl WireResponse {
    /// A header as a string, if present and valid.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `Retry-After` in seconds, if present.
    pub fn retry_after(&self) -> Option<Duration> {
        self.header("retry-after")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs)
    }
}

/// `/{bucket}/{key}` percent-encoded (keys keep their `/`).
pub fn object_path(bucket: &str, key: &str) -> String {
    format!(
        "/{}/{}",
        utf8_percent_encode(bucket, SEGMENT),
        utf8_percent_encode(key, KEY_PATH)
    )
}

/// Percent-encodes a query value.
pub fn query_value(value: &str) -> String {
    utf8_percent_encode(value, SEGMENT).to_string()
}

/// Builds an [`AttemptError`] for an error answer, from the dialect's error code and message.
pub fn service_error(
    resp: &WireResponse,
    code: Option<String>,
    message: Option<String>,
    request_id_header: &str,
    request_id_body: Option<String>,
) -> AttemptError {
    let code = code.unwrap_or_default();
    let message = message.unwrap_or_else(|| {
        if resp.body.is_empty() {
            String::new()
        } else {
            String::from_utf8_lossy(&resp.body[..resp.body.len().min(200)]).into_owned()
        }
    });
    let mut e = AttemptError::new(
        Cause::Service {
            status: resp.status.as_u16(),
            code,
        },
        message,
    );
    e.request_id = request_id_body.or_else(|| resp.header(request_id_header).map(str::to_string));
    e.retry_after = resp.retry_after();
    e
}

/// Size and ETag of a successful HEAD answer (the same in every dialect).
pub fn object_info(resp: &WireResponse) -> Result<ObjectInfo, AttemptError> {
    let size = resp
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .ok_or_else(|| AttemptError::malformed("HEAD answer has no Content-Length"))?;
    Ok(ObjectInfo {
        size,
        etag: resp.header("etag").map(str::to_string),
    })
}

/// One dialect's requests and answers. `parse_*` functions turn unexpected statuses into
/// classified [`AttemptError`]s.
pub trait Codec: Send + Sync {
    /// Create-multipart-upload request.
    fn initiate(&self, bucket: &str, key: &str) -> WireRequest;
    /// Reads the upload id.
    fn parse_initiate(&self, resp: &WireResponse) -> Result<String, AttemptError>;
    /// Upload-part request (the body is the part's shared buffer).
    fn upload_part(&self, upload: &UploadRef, number: u32, part: &PartData) -> WireRequest;
    /// Reads the part ETag and checksum echo.
    fn parse_upload_part(&self, resp: &WireResponse) -> Result<PartAck, AttemptError>;
    /// List-parts request for the page after `marker`.
    fn list_parts(&self, upload: &UploadRef, marker: Option<u32>) -> WireRequest;
    /// Reads one page of parts.
    fn parse_list_parts(&self, resp: &WireResponse) -> Result<PartsPage, AttemptError>;
    /// Complete request.
    fn complete(
        &self,
        upload: &UploadRef,
        request: &CompleteRequest,
    ) -> Result<WireRequest, AttemptError>;
    /// Reads the complete answer (including S3's 200-with-error).
    fn parse_complete(&self, resp: &WireResponse) -> Result<CompleteAck, AttemptError>;
    /// Abort request.
    fn abort(&self, upload: &UploadRef) -> WireRequest;
    /// Reads the abort answer.
    fn parse_abort(&self, resp: &WireResponse) -> Result<(), AttemptError>;
    /// GET object request (read-back verification).
    fn get_object(&self, bucket: &str, key: &str) -> WireRequest {
        WireRequest::new(Method::GET, object_path(bucket, key), String::new())
    }
    /// The error an unexpected answer stands for.
    fn error_of(&self, resp: &WireResponse) -> AttemptError;
    /// HEAD object request.
    fn head(&self, bucket: &str, key: &str) -> WireRequest {
        WireRequest::new(Method::HEAD, object_path(bucket, key), String::new())
    }
    /// Reads the HEAD answer; `None` for 404.
    fn parse_head(&self, resp: &WireResponse) -> Result<Option<ObjectInfo>, AttemptError> {
        if resp.status.as_u16() == 404 {
            return Ok(None);
        }
        self.expect(resp, &[200])?;
        object_info(resp).map(Some)
    }
    /// `Ok` when the answer's status is one of `ok`, else the error it stands for.
    fn expect(&self, resp: &WireResponse, ok: &[u16]) -> Result<(), AttemptError> {
        if ok.contains(&resp.status.as_u16()) {
            Ok(())
        } else {
            Err(self.error_of(resp))
        }
    }
    /// Signs the request for time `now` (called right before each attempt is sent).
    fn sign(&self, req: &mut WireRequest, now: SystemTime) -> Result<(), AttemptError>;
}

/// The codec for a configuration's dialect.
pub fn for_config(
    cfg: &super::config::UploaderConfig,
) -> Result<Box<dyn Codec>, super::error::ConfigError> {
    use super::config::Dialect;
    Ok(match cfg.dialect {
        Dialect::S3 | Dialect::Obs | Dialect::ObsNative => Box::new(s3::S3Codec::new(cfg)),
        Dialect::QingStor => Box::new(qingstor::QingStorCodec::new(cfg)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_encoded_like_aws_uri_encoding() {
        assert_eq!(object_path("b", "a/b c+d~e.txt"), "/b/a/b%20c%2Bd~e.txt");
        assert_eq!(object_path("b", "ü"), "/b/%C3%BC");
        assert_eq!(query_value("a/b=c"), "a%2Fb%3Dc");
    }
}

#[cfg(test)]
mod codec_tests;
