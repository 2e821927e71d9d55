//! What went wrong with one request attempt, and whether trying again can help.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

/// The step of the upload a request belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "phase")]
pub enum Phase {
    /// Creating the multipart upload.
    Initiate,
    /// Uploading one part (wire part number).
    UploadPart {
        /// Part number as sent on the wire.
        part_number: u32,
    },
    /// Listing uploaded parts (resume, abort confirmation).
    ListParts,
    /// Completing the upload.
    Complete,
    /// Aborting the upload.
    Abort,
    /// Checking the object after an ambiguous complete.
    Head,
    /// Reading the object back to compare it with the file.
    Verify,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Phase::Initiate => f.write_str("initiate"),
            Phase::UploadPart { part_number } => write!(f, "upload part {part_number}"),
            Phase::ListParts => f.write_str("list parts"),
            Phase::Complete => f.write_str("complete"),
            Phase::Abort => f.write_str("abort"),
            Phase::Head => f.write_str("head object"),
            Phase::Verify => f.write_str("read-back verification"),
        }
    }
}

/// How far the request had got when the connection failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyStage {
    /// Nothing was sent (connect failed, or the connection failed before the first body byte).
    BeforeBody,
    /// Part of the request body was sent.
    DuringBody,
    /// The whole request was sent; the response had not started.
    AfterBody,
    /// The response had started (status received) but its body did not arrive whole.
    InResponse,
}

impl BodyStage {
    fn key(self) -> &'static str {
        match self {
            BodyStage::BeforeBody => "before_body",
            BodyStage::DuringBody => "during_body",
            BodyStage::AfterBody => "after_body",
            BodyStage::InResponse => "in_response",
        }
    }
}

/// How a connection failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionKind {
    /// The peer refused the connection.
    Refused,
    /// The peer reset the connection (RST, broken pipe).
    Reset,
    /// The peer closed the connection cleanly at the wrong moment (EOF).
    Closed,
    /// Any other transport error.
    Other,
}

impl ConnectionKind {
    fn key(self) -> &'static str {
        match self {
            ConnectionKind::Refused => "refused",
            ConnectionKind::Reset => "reset",
            ConnectionKind::Closed => "closed",
            ConnectionKind::Other => "error",
        }
    }
}

/// Which time limit ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeoutKind {
    /// TCP connect.
    Connect,
    /// Waiting for the response after sending the request.
    FirstByte,
    /// The peer stopped reading the request body.
    SendStall,
    /// The response body stopped arriving.
    ResponseStall,
}

/// Why an attempt failed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Cause {
    /// The connection could not be made or broke.
    Connection {
        /// How it failed.
        kind: ConnectionKind,
        /// When it failed.
        stage: BodyStage,
    },
    /// A time limit ran out.
    Timeout {
        /// Which one.
        kind: TimeoutKind,
    },
    /// The service answered with an error status.
    Service {
        /// HTTP status.
        status: u16,
        /// Error code from the body (`SlowDown`, `upload_not_exists`, ...); empty if none.
        code: String,
    },
    /// The service answered 200 but the body is an error document (S3 complete quirk).
    ErrorInOk {
        /// Error code from the body.
        code: String,
    },
    /// A success status with a body or headers that could not be understood.
    Malformed,
    /// The part's ETag is not the MD5 of the bytes sent: treated as corruption.
    EtagMismatch,
    /// An echoed checksum differs from the one sent: treated as corruption.
    ChecksumMismatch,
    /// The request could not be built or signed locally (bad header value, clock out of
    /// range): nothing was sent and retrying cannot help.
    InvalidRequest,
}

/// Error codes that mean "try again later" in any dialect.
const RETRYABLE_CODES: &[&str] = &[
    "SlowDown",
    "RequestTimeout",
    "InternalError",
    "ServiceUnavailable",
    "Throttling",
    "ThrottlingException",
    "RequestThrottled",
    "RequestLimitExceeded",
    "TooManyRequests",
    "OperationAborted",
    "BadDigest",
    "XAmzContentSHA256Mismatch",
    "IncompleteBody",
    "internal_server_error",
    "service_unavailable",
    "too_many_requests",
    "request_timeout",
    "bad_digest",
];

/// HTTP statuses that are retried whatever the code.
const RETRYABLE_STATUSES: &[u16] = &[408, 429, 500, 502, 503, 504];

impl Cause {
    /// Whether another attempt can succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Cause::Service { status, code } => {
                RETRYABLE_STATUSES.contains(status) || RETRYABLE_CODES.contains(&code.as_str())
            }
            Cause::Connection { .. }
            | Cause::Timeout { .. }
            | Cause::ErrorInOk { .. }
            | Cause::Malformed
            | Cause::EtagMismatch
            | Cause::ChecksumMismatch => true,
            Cause::InvalidRequest => false,
        }
    }

    /// Whether the server may have carried out the request although the client saw a failure
    /// (the whole request went out and the answer got lost).
    pub fn may_have_landed(&self) -> bool {
        match self {
            Cause::Connection { stage, .. } => {
                matches!(stage, BodyStage::AfterBody | BodyStage::InResponse)
            }
            Cause::Timeout { kind } => {
                matches!(kind, TimeoutKind::FirstByte | TimeoutKind::ResponseStall)
            }
            _ => false,
        }
    }

    /// Whether the service said the upload id does not exist (any dialect).
    pub fn is_no_such_upload(&self) -> bool {
        matches!(self, Cause::Service { code, .. } if code == "NoSuchUpload" || code == "upload_not_exists")
    }

    /// A stable short name used as the key of retry counts in reports
    /// (`connection_reset_during_body`, `timeout_first_byte`, `http_503_SlowDown`,
    /// `error_in_200_InternalError`, `etag_mismatch`, ...).
    pub fn key(&self) -> String {
        match self {
            Cause::Connection { kind, stage } => {
                if *kind == ConnectionKind::Refused {
                    "connection_refused".to_string()
                } else {
                    format!("connection_{}_{}", kind.key(), stage.key())
                }
            }
            Cause::Timeout { kind } => match kind {
                TimeoutKind::Connect => "timeout_connect",
                TimeoutKind::FirstByte => "timeout_first_byte",
                TimeoutKind::SendStall => "timeout_send_stalled",
                TimeoutKind::ResponseStall => "timeout_response_stalled",
            }
            .to_string(),
            Cause::Service { status, code } if code.is_empty() => format!("http_{status}"),
            Cause::Service { status, code } => format!("http_{status}_{code}"),
            Cause::ErrorInOk { code } => format!("error_in_200_{code}"),
            Cause::Malformed => "malformed_response".to_string(),
            Cause::EtagMismatch => "etag_mismatch".to_string(),
            Cause::ChecksumMismatch => "checksum_mismatch".to_string(),
            Cause::InvalidRequest => "invalid_request".to_string(),
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::Connection { kind, stage } => {
                let what = match kind {
                    ConnectionKind::Refused => "connection refused",
                    ConnectionKind::Reset => "connection reset",
                    ConnectionKind::Closed => "connection closed",
                    ConnectionKind::Other => "connection error",
                };
                let when = match stage {
                    BodyStage::BeforeBody => "before the request body",
                    BodyStage::DuringBody => "while sending the request body",
                    BodyStage::AfterBody => "after sending the request, before the response",
                    BodyStage::InResponse => "while receiving the response",
                };
                write!(f, "{what} {when}")
            }
            Cause::Timeout { kind } => f.write_str(match kind {
                TimeoutKind::Connect => "timed out connecting",
                TimeoutKind::FirstByte => "timed out waiting for the response",
                TimeoutKind::SendStall => "timed out: the server stopped reading the request body",
                TimeoutKind::ResponseStall => "timed out: the response body stalled",
            }),
            Cause::Service { status, code } if code.is_empty() => write!(f, "HTTP {status}"),
            Cause::Service { status, code } => write!(f, "HTTP {status} {code}"),
            Cause::ErrorInOk { code } => write!(f, "HTTP 200 carrying an error document ({code})"),
            Cause::Malformed => f.write_str("response not understood"),
            Cause::EtagMismatch => f.write_str("ETag does not match the MD5 of the bytes sent"),
            Cause::ChecksumMismatch => {
                f.write_str("checksum echoed by the server differs from the one sent")
            }
            Cause::InvalidRequest => f.write_str("the request could not be built"),
        }
    }
}

/// One failed attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptError {
    /// Classified cause.
    pub cause: Cause,
    /// Detail: the service's message, the transport error, what was expected and what came.
    pub message: String,
    /// Request id from the response, if any.
    pub request_id: Option<String>,
    /// `Retry-After` asked for by the service.
    pub retry_after: Option<Duration>,
}

impl AttemptError {
    /// An attempt error with a cause and message.
    pub fn new(cause: Cause, message: impl Into<String>) -> Self {
        AttemptError {
            cause,
            message: message.into(),
            request_id: None,
            retry_after: None,
        }
    }

    /// A malformed-response error.
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(Cause::Malformed, message)
    }

    /// An error for a request that could not be built or signed.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(Cause::InvalidRequest, message)
    }

    /// Whether another attempt can succeed.
    pub fn is_retryable(&self) -> bool {
        self.cause.is_retryable()
    }
}

impl fmt::Display for AttemptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.cause)?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for AttemptError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(status: u16, code: &str) -> Cause {
        Cause::Service {
            status,
            code: code.to_string(),
        }
    }

    #[test]
    fn server_faults_and_throttling_are_retried() {
        for c in [
            service(500, "InternalError"),
            service(502, ""),
            service(503, "SlowDown"),
            service(504, ""),
            service(429, ""),
            service(400, "RequestTimeout"),
            service(400, "BadDigest"),
            Cause::ErrorInOk {
                code: "InternalError".into(),
            },
            Cause::EtagMismatch,
            Cause::Timeout {
                kind: TimeoutKind::SendStall,
            },
            Cause::Connection {
                kind: ConnectionKind::Reset,
                stage: BodyStage::DuringBody,
            },
        ] {
            assert!(c.is_retryable(), "{c} should be retried");
        }
    }

    #[test]
    fn hopeless_client_errors_are_not_retried() {
        for c in [
            service(403, "AccessDenied"),
            service(404, "NoSuchBucket"),
            service(400, "InvalidPart"),
            service(404, "NoSuchUpload"),
            service(403, "SignatureDoesNotMatch"),
            service(401, "signature_not_matched"),
            service(400, "EntityTooSmall"),
        ] {
            assert!(!c.is_retryable(), "{c} should fail fast");
        }
    }

    #[test]
    fn only_fully_sent_requests_may_have_landed() {
        let conn = |stage| Cause::Connection {
            kind: ConnectionKind::Closed,
            stage,
        };
        assert!(!conn(BodyStage::BeforeBody).may_have_landed());
        assert!(!conn(BodyStage::DuringBody).may_have_landed());
        assert!(conn(BodyStage::AfterBody).may_have_landed());
        assert!(conn(BodyStage::InResponse).may_have_landed());
        assert!(Cause::Timeout {
            kind: TimeoutKind::FirstByte
        }
        .may_have_landed());
        assert!(!Cause::Timeout {
            kind: TimeoutKind::Connect
        }
        .may_have_landed());
        assert!(!service(500, "InternalError").may_have_landed());
    }

    #[test]
    fn no_such_upload_is_recognised_in_both_spellings() {
        assert!(service(404, "NoSuchUpload").is_no_such_upload());
        assert!(service(404, "upload_not_exists").is_no_such_upload());
        assert!(!service(404, "NoSuchKey").is_no_such_upload());
    }

    #[test]
    fn keys_are_stable() {
        assert_eq!(
            Cause::Connection {
                kind: ConnectionKind::Reset,
                stage: BodyStage::DuringBody
            }
            .key(),
            "connection_reset_during_body"
        );
        assert_eq!(
            Cause::Connection {
                kind: ConnectionKind::Refused,
                stage: BodyStage::BeforeBody
            }
            .key(),
            "connection_refused"
        );
        assert_eq!(service(503, "SlowDown").key(), "http_503_SlowDown");
        assert_eq!(service(502, "").key(), "http_502");
        assert_eq!(
            Cause::ErrorInOk {
                code: "InternalError".into()
            }
            .key(),
            "error_in_200_InternalError"
        );
    }

    #[test]
    fn attempt_error_display_has_cause_message_and_request_id() {
        let mut e = AttemptError::new(service(403, "AccessDenied"), "Access Denied");
        e.request_id = Some("R1".into());
        assert_eq!(
            e.to_string(),
            "HTTP 403 AccessDenied: Access Denied (request id R1)"
        );
        assert_eq!(
            Phase::UploadPart { part_number: 7 }.to_string(),
            "upload part 7"
        );
    }
}
