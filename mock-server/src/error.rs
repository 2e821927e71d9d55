//! Dialect-free errors of the object-store semantics.
//!
//! The service answers with an [`ErrorCode`] and a message; each dialect codec maps the code to
//! its own status and spelling (`NoSuchUpload` / 404 for S3 and OBS, `upload_not_exists` / 404
//! for QingStor). Nothing in here knows about XML or JSON.

use std::fmt;

/// What went wrong, independent of the dialect that will render it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The bucket does not exist.
    NoSuchBucket,
    /// The object does not exist.
    NoSuchKey,
    /// The upload id is unknown, aborted or completed.
    NoSuchUpload,
    /// A part listed in a complete request is missing or its ETag differs.
    InvalidPart,
    /// The parts of a complete request are not in ascending order.
    InvalidPartOrder,
    /// A non-last part is smaller than the minimum part size.
    EntityTooSmall,
    /// A part or object is larger than allowed.
    EntityTooLarge,
    /// An argument is out of range or malformed.
    InvalidArgument,
    /// A request document is not well-formed or does not match the schema.
    MalformedXml,
    /// The payload does not match the digest the client sent.
    BadDigest,
    /// The Content-MD5 header is not a valid base64 MD5.
    InvalidDigest,
    /// The SHA-256 the client signed does not match the payload.
    ContentSha256Mismatch,
    /// The bucket still holds objects.
    BucketNotEmpty,
    /// The caller already owns a bucket with that name.
    BucketAlreadyOwnedByYou,
    /// The bucket name is not acceptable.
    InvalidBucketName,
    /// The requested range cannot be satisfied.
    InvalidRange,
    /// `partNumber` on GET/HEAD names a part the object does not have.
    InvalidPartNumber,
    /// A precondition (If-Match, If-None-Match, copy-source-if-*) failed.
    PreconditionFailed,
    /// If-None-Match matched on a GET/HEAD: 304, no body.
    NotModified,
    /// No or insufficient credentials.
    AccessDenied,
    /// The signature does not match.
    SignatureDoesNotMatch,
    /// The access key is unknown.
    InvalidAccessKeyId,
    /// The request time is too far from the server's clock.
    RequestTimeTooSkewed,
    /// A presigned request has expired.
    ExpiredRequest,
    /// A body is required but its length is unknown.
    MissingContentLength,
    /// The body ended before the declared length.
    IncompleteBody,
    /// The request is not valid for another reason.
    InvalidRequest,
    /// The key is longer than 1024 bytes.
    KeyTooLong,
    /// User metadata is larger than allowed.
    MetadataTooLarge,
    /// The HTTP method is not allowed on this resource.
    MethodNotAllowed,
    /// The operation is not implemented by the mock.
    NotImplemented,
    /// Throttling.
    SlowDown,
    /// The service is unavailable.
    ServiceUnavailable,
    /// The client was too slow sending its body.
    RequestTimeout,
    /// An internal failure (I/O error in the store, ...).
    InternalError,
}

impl ErrorCode {
    /// The S3 spelling of the code, also used in journals and admin output.
    pub fn s3_code(self) -> &'static str {
        use ErrorCode::*;
        match self {
            NoSuchBucket => "NoSuchBucket",
            NoSuchKey => "NoSuchKey",
            NoSuchUpload => "NoSuchUpload",
            InvalidPart => "InvalidPart",
            InvalidPartOrder => "InvalidPartOrder",
            EntityTooSmall => "EntityTooSmall",
            EntityTooLarge => "EntityTooLarge",
            InvalidArgument => "InvalidArgument",
            MalformedXml => "MalformedXML",
            BadDigest => "BadDigest",
            InvalidDigest => "InvalidDigest",
            ContentSha256Mismatch => "XAmzContentSHA256Mismatch",
            BucketNotEmpty => "BucketNotEmpty",
            BucketAlreadyOwnedByYou => "BucketAlreadyOwnedByYou",
            InvalidBucketName => "InvalidBucketName",
            InvalidRange => "InvalidRange",
            InvalidPartNumber => "InvalidPartNumber",
            PreconditionFailed => "PreconditionFailed",
            NotModified => "NotModified",
            AccessDenied => "AccessDenied",
            SignatureDoesNotMatch => "SignatureDoesNotMatch",
            InvalidAccessKeyId => "InvalidAccessKeyId",
            RequestTimeTooSkewed => "RequestTimeTooSkewed",
            ExpiredRequest => "AccessDenied",
            MissingContentLength => "MissingContentLength",
            IncompleteBody => "IncompleteBody",
            InvalidRequest => "InvalidRequest",
            KeyTooLong => "KeyTooLongError",
            MetadataTooLarge => "MetadataTooLarge",
            MethodNotAllowed => "MethodNotAllowed",
            NotImplemented => "NotImplemented",
            SlowDown => "SlowDown",
            ServiceUnavailable => "ServiceUnavailable",
            RequestTimeout => "RequestTimeout",
            InternalError => "InternalError",
        }
    }

    /// The HTTP status S3 and OBS use for this code.
    pub fn s3_status(self) -> u16 {
        use ErrorCode::*;
        match self {
            NoSuchBucket | NoSuchKey | NoSuchUpload => 404,
            BucketNotEmpty | BucketAlreadyOwnedByYou => 409,
            InvalidRange | InvalidPartNumber => 416,
            PreconditionFailed => 412,
            NotModified => 304,
            AccessDenied
            | SignatureDoesNotMatch
            | InvalidAccessKeyId
            | RequestTimeTooSkewed
            | ExpiredRequest => 403,
            MissingContentLength => 411,
            MethodNotAllowed => 405,
            NotImplemented => 501,
            SlowDown | ServiceUnavailable => 503,
            InternalError => 500,
            InvalidPart
            | InvalidPartOrder
            | EntityTooSmall
            | EntityTooLarge
            | InvalidArgument
            | MalformedXml
            | BadDigest
            | InvalidDigest
            | ContentSha256Mismatch
            | InvalidBucketName
            | IncompleteBody
            | InvalidRequest
            | KeyTooLong
            | MetadataTooLarge
            | RequestTimeout => 400,
        }
    }

    /// A default human-readable message (S3 wording where S3 has one).
    pub fn default_message(self) -> &'static str {
        use ErrorCode::*;
        match self {
            NoSuchBucket => "The specified bucket does not exist.",
            NoSuchKey => "The specified key does not exist.",
            NoSuchUpload => "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
            InvalidPart => "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
            InvalidPartOrder => "The list of parts was not in ascending order. The parts list must be specified in order by part number.",
            EntityTooSmall => "Your proposed upload is smaller than the minimum allowed object size.",
            EntityTooLarge => "Your proposed upload exceeds the maximum allowed object size.",
            InvalidArgument => "Invalid argument.",
            MalformedXml => "The XML you provided was not well-formed or did not validate against our published schema.",
            BadDigest => "The Content-MD5 or checksum you specified did not match what we received.",
            InvalidDigest => "The Content-MD5 you specified is not valid.",
            ContentSha256Mismatch => "The provided 'x-amz-content-sha256' header does not match what was computed.",
            BucketNotEmpty => "The bucket you tried to delete is not empty.",
            BucketAlreadyOwnedByYou => "Your previous request to create the named bucket succeeded and you already own it.",
            InvalidBucketName => "The specified bucket is not valid.",
            InvalidRange => "The requested range is not satisfiable.",
            InvalidPartNumber => "The requested partnumber is not satisfiable.",
            PreconditionFailed => "At least one of the pre-conditions you specified did not hold.",
            NotModified => "Not Modified",
            AccessDenied => "Access Denied",
            SignatureDoesNotMatch => "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
            InvalidAccessKeyId => "The AWS Access Key Id you provided does not exist in our records.",
            RequestTimeTooSkewed => "The difference between the request time and the current time is too large.",
            ExpiredRequest => "Request has expired.",
            MissingContentLength => "You must provide the Content-Length HTTP header.",
            IncompleteBody => "You did not provide the number of bytes specified by the Content-Length HTTP header.",
            InvalidRequest => "Invalid request.",
            KeyTooLong => "Your key is too long.",
            MetadataTooLarge => "Your metadata headers exceed the maximum allowed metadata size.",
            MethodNotAllowed => "The specified method is not allowed against this resource.",
            NotImplemented => "A header or query you provided implies functionality that is not implemented.",
            SlowDown => "Please reduce your request rate.",
            ServiceUnavailable => "Service is unable to handle request.",
            RequestTimeout => "Your socket connection to the server was not read from or written to within the timeout period.",
            InternalError => "We encountered an internal error. Please try again.",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.s3_code())
    }
}

/// An error answer of the service: a code, a message, and extra named fields that S3 puts into
/// its error document (`UploadId`, `ArgumentName`, `PartNumber`, `ProposedSize`, ...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ServiceError {
    /// The dialect-free code.
    pub code: ErrorCode,
    /// A human-readable message.
    pub message: String,
    /// Extra fields, in the order they should be rendered.
    pub extra: Vec<(&'static str, String)>,
}

impl ServiceError {
    /// An error with the code's default message.
    pub fn new(code: ErrorCode) -> Self {
        ServiceError {
            code,
            message: code.default_message().to_string(),
            extra: Vec::new(),
        }
    }

    /// An error with a specific message.
    pub fn with_message(code: ErrorCode, message: impl Into<String>) -> Self {
        ServiceError {
            code,
            message: message.into(),
            extra: Vec::new(),
        }
    }

    /// Adds an extra field (rendered as an element of the S3 error document).
    pub fn field(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.extra.push((name, value.into()));
        self
    }

    /// An internal error wrapping an I/O failure of the store.
    pub fn internal(err: impl fmt::Display) -> Self {
        ServiceError::with_message(
            ErrorCode::InternalError,
            format!("internal error in the mock store: {err}"),
        )
    }
}

impl From<ErrorCode> for ServiceError {
    fn from(code: ErrorCode) -> Self {
        ServiceError::new(code)
    }
}

/// Result type of service operations.
pub type ServiceResult<T> = Result<T, ServiceError>;
