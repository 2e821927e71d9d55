//! How QingStor spells the dialect-free error codes (PROTOCOLS.md §7.2).
//!
//! Codes marked [ASSUMED] in PROTOCOLS.md (QingStor documents no dedicated code for them)
//! use `invalid_request`; the Python SDK only looks at the status and the JSON shape.

use crate::error::ErrorCode;

/// QingStor's code and HTTP status for a dialect-free error.
pub fn error_spelling(code: ErrorCode) -> (&'static str, u16) {
    use ErrorCode::*;
    match code {
        NoSuchBucket => ("bucket_not_exists", 404),
        NoSuchKey => ("object_not_exists", 404),
        NoSuchUpload => ("upload_not_exists", 404),
        InvalidPart | InvalidPartOrder | MalformedXml => ("invalid_request", 400),
        EntityTooSmall => ("entity_too_small", 400),
        EntityTooLarge => ("entity_too_large", 400),
        InvalidArgument | InvalidDigest => ("invalid_argument", 400),
        BadDigest | ContentSha256Mismatch => ("bad_digest", 400),
        BucketNotEmpty => ("bucket_not_empty", 409),
        BucketAlreadyOwnedByYou => ("bucket_already_exists", 409),
        InvalidBucketName => ("invalid_bucket_name", 400),
        InvalidRange | InvalidPartNumber => ("invalid_range", 416),
        PreconditionFailed => ("precondition_failed", 412),
        NotModified => ("not_modified", 304),
        AccessDenied => ("permission_denied", 403),
        SignatureDoesNotMatch => ("signature_not_matched", 401),
        InvalidAccessKeyId => ("invalid_access_key_id", 401),
        RequestTimeTooSkewed | ExpiredRequest => ("request_expired", 403),
        MissingContentLength | IncompleteBody | InvalidRequest | KeyTooLong | MetadataTooLarge => {
            ("invalid_request", 400)
        }
        MethodNotAllowed => ("method_not_allowed", 405),
        NotImplemented => ("not_implemented", 501),
        SlowDown | ServiceUnavailable => ("service_unavailable", 503),
        RequestTimeout => ("request_timeout", 400),
        InternalError => ("internal_server_error", 500),
        // ErrorCode is non_exhaustive: a code added later renders as a server fault until
        // it gets a spelling here.
        #[allow(unreachable_patterns)]
        _ => ("internal_server_error", 500),
    }
}

/// The QingStor spelling of an error code given by a fault rule: S3 names (`NoSuchUpload`,
/// `SlowDown`, and the defaults the fault engine picks per status) become QingStor's
/// (`upload_not_exists`, `service_unavailable`); snake_case names pass unchanged; any other
/// CamelCase name is converted to snake_case.
pub fn qs_spelling_of_code(code: &str) -> String {
    let known = match code {
        "NoSuchBucket" => Some(ErrorCode::NoSuchBucket),
        "NoSuchKey" => Some(ErrorCode::NoSuchKey),
        "NoSuchUpload" => Some(ErrorCode::NoSuchUpload),
        "InvalidPart" => Some(ErrorCode::InvalidPart),
        "InvalidPartOrder" => Some(ErrorCode::InvalidPartOrder),
        "EntityTooSmall" => Some(ErrorCode::EntityTooSmall),
        "EntityTooLarge" => Some(ErrorCode::EntityTooLarge),
        "InvalidArgument" => Some(ErrorCode::InvalidArgument),
        "MalformedXML" => Some(ErrorCode::MalformedXml),
        "BadDigest" => Some(ErrorCode::BadDigest),
        "InvalidDigest" => Some(ErrorCode::InvalidDigest),
        "BucketNotEmpty" => Some(ErrorCode::BucketNotEmpty),
        "BucketAlreadyOwnedByYou" | "BucketAlreadyExists" => {
            Some(ErrorCode::BucketAlreadyOwnedByYou)
        }
        "InvalidRange" => Some(ErrorCode::InvalidRange),
        "PreconditionFailed" => Some(ErrorCode::PreconditionFailed),
        "AccessDenied" => Some(ErrorCode::AccessDenied),
        "SignatureDoesNotMatch" => Some(ErrorCode::SignatureDoesNotMatch),
        "InvalidAccessKeyId" => Some(ErrorCode::InvalidAccessKeyId),
        "RequestTimeTooSkewed" => Some(ErrorCode::RequestTimeTooSkewed),
        "MethodNotAllowed" => Some(ErrorCode::MethodNotAllowed),
        "NotImplemented" => Some(ErrorCode::NotImplemented),
        "SlowDown" => Some(ErrorCode::SlowDown),
        "ServiceUnavailable" => Some(ErrorCode::ServiceUnavailable),
        "RequestTimeout" => Some(ErrorCode::RequestTimeout),
        "InternalError" => Some(ErrorCode::InternalError),
        "BadRequest" | "InvalidRequest" => Some(ErrorCode::InvalidRequest),
        _ => None,
    };
    if let Some(c) = known {
        return error_spelling(c).0.to_string();
    }
    let mut out = String::with_capacity(code.len() + 4);
    for (i, ch) in code.chars().enumerate() {
        if ch.is_ascii_uppercase() {
            if i > 0 && !out.ends_with('_') {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_table() {
        // PROTOCOLS.md §7.2, QingStor column.
        for (code, want) in [
            (ErrorCode::NoSuchUpload, ("upload_not_exists", 404)),
            (ErrorCode::InvalidPart, ("invalid_request", 400)),
            (ErrorCode::InvalidPartOrder, ("invalid_request", 400)),
            (ErrorCode::EntityTooSmall, ("entity_too_small", 400)),
            (ErrorCode::EntityTooLarge, ("entity_too_large", 400)),
            (ErrorCode::InvalidArgument, ("invalid_argument", 400)),
            (ErrorCode::MalformedXml, ("invalid_request", 400)),
            (ErrorCode::NoSuchBucket, ("bucket_not_exists", 404)),
            (ErrorCode::NoSuchKey, ("object_not_exists", 404)),
            (ErrorCode::BadDigest, ("bad_digest", 400)),
            (ErrorCode::InvalidDigest, ("invalid_argument", 400)),
            (ErrorCode::MissingContentLength, ("invalid_request", 400)),
            (ErrorCode::IncompleteBody, ("invalid_request", 400)),
            (
                ErrorCode::SignatureDoesNotMatch,
                ("signature_not_matched", 401),
            ),
            (
                ErrorCode::InvalidAccessKeyId,
                ("invalid_access_key_id", 401),
            ),
            (ErrorCode::RequestTimeTooSkewed, ("request_expired", 403)),
            (ErrorCode::AccessDenied, ("permission_denied", 403)),
            (ErrorCode::InvalidRange, ("invalid_range", 416)),
            (ErrorCode::PreconditionFailed, ("precondition_failed", 412)),
            (
                ErrorCode::BucketAlreadyOwnedByYou,
                ("bucket_already_exists", 409),
            ),
            (ErrorCode::BucketNotEmpty, ("bucket_not_empty", 409)),
            (ErrorCode::MethodNotAllowed, ("method_not_allowed", 405)),
            (ErrorCode::InternalError, ("internal_server_error", 500)),
        ] {
            assert_eq!(error_spelling(code), want, "{code:?}");
        }
    }

    #[test]
    fn fault_codes_are_respelled() {
        assert_eq!(qs_spelling_of_code("NoSuchUpload"), "upload_not_exists");
        assert_eq!(qs_spelling_of_code("SlowDown"), "service_unavailable");
        assert_eq!(
            qs_spelling_of_code("InternalError"),
            "internal_server_error"
        );
        assert_eq!(
            qs_spelling_of_code("upload_not_exists"),
            "upload_not_exists"
        );
        assert_eq!(qs_spelling_of_code("TooManyRequests"), "too_many_requests");
        assert_eq!(qs_spelling_of_code("GatewayTimeout"), "gateway_timeout");
        assert_eq!(qs_spelling_of_code(""), "");
    }
}
