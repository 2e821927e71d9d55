//! Request signatures of the three dialects, one implementation per scheme, used by the server
//! to verify and by clients (the reference uploader) to sign:
//!
//! * [`sigv4`] — AWS Signature V4 (header and presigned query), plus the chunk and trailer
//!   signatures of `aws-chunked` streaming uploads;
//! * [`sigv2`] — AWS Signature V2 (`AWS ak:sig`, `x-amz-` headers) and the OBS signature
//!   (`OBS ak:sig`, `x-obs-` headers), header and query forms;
//! * [`qs`] — the QingStor signature (`QS ak:sig`), header and query forms.
//!
//! Signing and verification build the string to sign with the same functions, so a request
//! signed here always verifies here. See PROTOCOLS.md §6 for the rules.
//!
//! Verifying a request:
//! ```
//! use mock_server::auth::{self, Credentials, Scheme, SignableRequest, StaticCredentials};
//! use std::time::{Duration, UNIX_EPOCH};
//!
//! let creds = StaticCredentials::new(vec![Credentials::new(
//!     "AKIAIOSFODNN7EXAMPLE",
//!     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
//! )]);
//! let mut headers = http::HeaderMap::new();
//! headers.insert("date", "Sun, 16 Aug 2015 13:25:10 GMT".parse().unwrap());
//! headers.insert(
//!     "authorization",
//!     "AWS AKIAIOSFODNN7EXAMPLE:l6oNl+A7U9H257P8+maWyZ6OBD8=".parse().unwrap(),
//! );
//! let req = SignableRequest {
//!     method: "PUT",
//!     raw_path: "/mybucket/big/object.bin",
//!     raw_query: "partNumber=1&uploadId=UP1",
//!     headers: &headers,
//!     virtual_host_bucket: None,
//! };
//! let now = UNIX_EPOCH + Duration::from_secs(1_439_731_510);
//! let verified = auth::verify(&req, &creds, now).unwrap();
//! assert_eq!(verified.scheme, Scheme::AwsV2);
//! assert_eq!(verified.access_key, "AKIAIOSFODNN7EXAMPLE");
//! ```

pub mod clock;
pub mod encoding;
pub mod qs;
pub mod sigv2;
pub mod sigv4;

#[cfg(test)]
mod capture_tests;

use std::fmt;
use std::time::SystemTime;

use http::{HeaderMap, StatusCode};

pub use sigv4::{chunk_signature, signing_key, trailer_signature, StreamingSigner};

/// An access key and its secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Access key id (`AKIAIOSFODNN7EXAMPLE`).
    pub access_key: String,
    /// Secret access key.
    pub secret_key: String,
}

impl Credentials {
    /// Builds credentials from an access key and its secret.
    pub fn new(access_key: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Self {
            access_key: access_key.into(),
            secret_key: secret_key.into(),
        }
    }
}

impl fmt::Debug for Credentials {
    /// Shows the access key only; the secret is redacted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

/// Looks up the secret of an access key.
pub trait CredentialProvider: Send + Sync {
    /// The secret for `access_key`, or `None` if the key is unknown.
    fn secret_for(&self, access_key: &str) -> Option<String>;
}

/// A fixed set of credentials.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StaticCredentials(pub Vec<Credentials>);

impl StaticCredentials {
    /// A provider knowing exactly `credentials`.
    pub fn new(credentials: Vec<Credentials>) -> Self {
        Self(credentials)
    }
}

impl CredentialProvider for StaticCredentials {
    fn secret_for(&self, access_key: &str) -> Option<String> {
        self.0
            .iter()
            .find(|c| c.access_key == access_key)
            .map(|c| c.secret_key.clone())
    }
}

impl CredentialProvider for Credentials {
    fn secret_for(&self, access_key: &str) -> Option<String> {
        (self.access_key == access_key).then(|| self.secret_key.clone())
    }
}

/// What verification needs to know about a received request.
///
/// `raw_path` and `raw_query` are exactly as on the wire: still percent-encoded, the query
/// without its leading `?` (for an absolute-form request target, only its path and query).
/// `headers` must contain `host` as sent (for HTTP/2, insert it from the `:authority`).
#[derive(Debug, Clone, Copy)]
pub struct SignableRequest<'a> {
    /// HTTP method (`PUT`).
    pub method: &'a str,
    /// Raw request path (`/bucket/big%20file.bin`).
    pub raw_path: &'a str,
    /// Raw query without `?` (`uploadId=UP1&partNumber=1`), empty if none.
    pub raw_query: &'a str,
    /// Request headers as received.
    pub headers: &'a HeaderMap,
    /// The bucket, when it was taken from the `Host` header (virtual-host addressing); SigV2,
    /// OBS and QingStor put it into the canonical resource.
    pub virtual_host_bucket: Option<&'a str>,
}

impl<'a> SignableRequest<'a> {
    /// The request line part of this request.
    pub fn target(&self) -> RequestTarget<'a> {
        RequestTarget {
            method: self.method,
            raw_path: self.raw_path,
            raw_query: self.raw_query,
            virtual_host_bucket: self.virtual_host_bucket,
        }
    }
}

/// Method, raw path, raw query and virtual-host bucket of a request being signed by a client
/// (the headers are passed separately, mutably, to the `sign` functions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestTarget<'a> {
    /// HTTP method (`PUT`).
    pub method: &'a str,
    /// Raw path exactly as it will be sent (see [`encoding::uri_encode`]).
    pub raw_path: &'a str,
    /// Raw query exactly as it will be sent, without `?`.
    pub raw_query: &'a str,
    /// The bucket when it is addressed in the `Host` header (virtual-host style).
    pub virtual_host_bucket: Option<&'a str>,
}

/// How a request was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `Authorization: AWS4-HMAC-SHA256 ...`.
    SigV4,
    /// Presigned SigV4 (`X-Amz-Algorithm`, `X-Amz-Signature`, ... in the query).
    SigV4Presigned,
    /// `Authorization: AWS ak:sig` (SigV2, `x-amz-` headers; also ObsClient on an IP).
    AwsV2,
    /// SigV2 query form (`AWSAccessKeyId`, `Expires`, `Signature`).
    AwsV2Presigned,
    /// `Authorization: OBS ak:sig` (native OBS, `x-obs-` headers).
    Obs,
    /// OBS query form (`AccessKeyId`, `Expires`, `Signature`).
    ObsPresigned,
    /// `Authorization: QS ak:sig`.
    Qs,
    /// QingStor query form (`access_key_id`, `expires`, `signature`).
    QsPresigned,
}

/// The vendor family a scheme belongs to (a strong hint for dialect detection).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemeFamily {
    /// AWS schemes (SigV4, SigV2): the S3 wire format (also OBS in S3-compatible mode).
    Aws,
    /// Native OBS (`x-obs-` headers).
    Obs,
    /// QingStor.
    QingStor,
}

impl Scheme {
    /// Whether the signature travelled in the query string.
    pub fn is_presigned(self) -> bool {
        matches!(
            self,
            Self::SigV4Presigned | Self::AwsV2Presigned | Self::ObsPresigned | Self::QsPresigned
        )
    }

    /// The vendor family.
    pub fn family(self) -> SchemeFamily {
        match self {
            Self::SigV4 | Self::SigV4Presigned | Self::AwsV2 | Self::AwsV2Presigned => {
                SchemeFamily::Aws
            }
            Self::Obs | Self::ObsPresigned => SchemeFamily::Obs,
            Self::Qs | Self::QsPresigned => SchemeFamily::QingStor,
        }
    }

    /// Short stable name for logs and journals (`"sigv4"`, `"aws-v2-query"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Self::SigV4 => "sigv4",
            Self::SigV4Presigned => "sigv4-query",
            Self::AwsV2 => "aws-v2",
            Self::AwsV2Presigned => "aws-v2-query",
            Self::Obs => "obs",
            Self::ObsPresigned => "obs-query",
            Self::Qs => "qs",
            Self::QsPresigned => "qs-query",
        }
    }
}

/// What the signature says about the body (SigV4 `x-amz-content-sha256`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PayloadHash {
    /// The scheme does not cover the body (SigV2, OBS, QingStor).
    NotSigned,
    /// `UNSIGNED-PAYLOAD`: nothing to check.
    Unsigned,
    /// SHA-256 of the body; the server must compare (`XAmzContentSHA256Mismatch`).
    Sha256([u8; 32]),
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`: aws-chunked with chunk signatures.
    StreamingSigned {
        /// Whether a signed trailer section follows (`-TRAILER`).
        trailer: bool,
    },
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: aws-chunked without signatures, checksum trailer.
    StreamingUnsignedTrailer,
}

impl PayloadHash {
    /// `UNSIGNED-PAYLOAD`.
    pub const UNSIGNED: &'static str = "UNSIGNED-PAYLOAD";
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`.
    pub const STREAMING_SIGNED: &'static str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`.
    pub const STREAMING_SIGNED_TRAILER: &'static str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
    pub const STREAMING_UNSIGNED_TRAILER: &'static str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

    /// Parses an `x-amz-content-sha256` value (64 hex digits of either case, or one of the
    /// literal markers).
    pub fn parse(value: &str) -> Result<Self, AuthError> {
        match value {
            Self::UNSIGNED => Ok(Self::Unsigned),
            Self::STREAMING_SIGNED => Ok(Self::StreamingSigned { trailer: false }),
            Self::STREAMING_SIGNED_TRAILER => Ok(Self::StreamingSigned { trailer: true }),
            Self::STREAMING_UNSIGNED_TRAILER => Ok(Self::StreamingUnsignedTrailer),
            hex_value => {
                let mut out = [0u8; 32];
                hex::decode_to_slice(hex_value, &mut out).map_err(|_| {
                    AuthError::Malformed(format!(
                        "x-amz-content-sha256: expected 64 hex digits, UNSIGNED-PAYLOAD or a \
                         STREAMING-* marker, got {hex_value:?}"
                    ))
                })?;
                Ok(Self::Sha256(out))
            }
        }
    }

    /// Whether the body is `aws-chunked` encoded.
    pub fn is_streaming(self) -> bool {
        matches!(
            self,
            Self::StreamingSigned { .. } | Self::StreamingUnsignedTrailer
        )
    }
}

/// Result of a successful verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The access key that signed the request.
    pub access_key: String,
    /// The scheme used.
    pub scheme: Scheme,
    /// What the signature says about the body.
    pub payload: PayloadHash,
    /// For `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`: what chunk verification needs.
    pub streaming: Option<StreamingSigner>,
}

/// Why a request failed authentication. The dialect renders it; [`AuthError::s3_code`],
/// [`AuthError::s3_status`], [`AuthError::qs_code`] and [`AuthError::qs_status`] give the usual
/// vendor codes (PROTOCOLS.md §7.2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization` header and no signature in the query.
    #[error("request is not signed: no Authorization header and no query signature")]
    Missing,
    /// The `Authorization` header (or a signature-related header) cannot be parsed.
    #[error("malformed authorization: {0}")]
    Malformed(String),
    /// The presigned query parameters cannot be parsed.
    #[error("malformed query authentication: {0}")]
    MalformedQuery(String),
    /// The request date is missing or unparsable.
    #[error("invalid request date: {0}")]
    InvalidDate(String),
    /// The access key is not known to the credential provider.
    #[error("unknown access key {access_key:?}")]
    UnknownAccessKey {
        /// The access key as sent.
        access_key: String,
    },
    /// The signature does not match the one computed by the server.
    #[error("signature does not match; string to sign was {string_to_sign:?}")]
    SignatureDoesNotMatch {
        /// The string to sign the server computed (S3 returns it in `<StringToSign>`).
        string_to_sign: String,
    },
    /// The signed request time is too far from the server clock.
    #[error("request time too skewed (more than 15 minutes from the server clock)")]
    RequestTimeTooSkewed {
        /// The time the request was signed for.
        request_time: SystemTime,
        /// The server clock at verification.
        server_time: SystemTime,
    },
    /// A presigned request is past its expiry time.
    #[error("presigned request has expired")]
    Expired {
        /// When the request expired.
        expires: SystemTime,
        /// The server clock at verification.
        now: SystemTime,
    },
}

impl AuthError {
    /// The S3 (and OBS) error code.
    pub fn s3_code(&self) -> &'static str {
        match self {
            Self::Missing | Self::InvalidDate(_) | Self::Expired { .. } => "AccessDenied",
            Self::Malformed(_) => "AuthorizationHeaderMalformed",
            Self::MalformedQuery(_) => "AuthorizationQueryParametersError",
            Self::UnknownAccessKey { .. } => "InvalidAccessKeyId",
            Self::SignatureDoesNotMatch { .. } => "SignatureDoesNotMatch",
            Self::RequestTimeTooSkewed { .. } => "RequestTimeTooSkewed",
        }
    }

    /// The S3 (and OBS) HTTP status.
    pub fn s3_status(&self) -> StatusCode {
        match self {
            Self::Malformed(_) | Self::MalformedQuery(_) => StatusCode::BAD_REQUEST,
            _ => StatusCode::FORBIDDEN,
        }
    }

    /// The QingStor error code.
    pub fn qs_code(&self) -> &'static str {
        match self {
            Self::Missing => "permission_denied",
            Self::Malformed(_) | Self::MalformedQuery(_) | Self::InvalidDate(_) => {
                "invalid_request"
            }
            Self::UnknownAccessKey { .. } => "invalid_access_key_id",
            Self::SignatureDoesNotMatch { .. } => "signature_not_matched",
            Self::RequestTimeTooSkewed { .. } | Self::Expired { .. } => "request_expired",
        }
    }

    /// The QingStor HTTP status.
    pub fn qs_status(&self) -> StatusCode {
        match self {
            Self::Malformed(_) | Self::MalformedQuery(_) | Self::InvalidDate(_) => {
                StatusCode::BAD_REQUEST
            }
            Self::UnknownAccessKey { .. } | Self::SignatureDoesNotMatch { .. } => {
                StatusCode::UNAUTHORIZED
            }
            Self::Missing | Self::RequestTimeTooSkewed { .. } | Self::Expired { .. } => {
                StatusCode::FORBIDDEN
            }
        }
    }
}

/// Errors of the client-side `sign` functions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// SigV4 signs the `Host` header; it must be in the map before signing.
    #[error("the header map has no host header; insert it before signing")]
    MissingHost,
    /// The signing time cannot be formatted (outside years 0..=9999).
    #[error("signing time is out of range: {0:?}")]
    TimeOutOfRange(SystemTime),
    /// A computed header value is not a valid HTTP header value (e.g. a control character in
    /// the access key).
    #[error("cannot build header {name}: {value:?} is not a valid header value")]
    InvalidHeaderValue {
        /// Header name.
        name: &'static str,
        /// The offending value.
        value: String,
    },
}

/// Detects the scheme of a request without verifying it.
///
/// `Ok(None)` if the request carries no authentication at all; `Err(Malformed)` for an unknown
/// `Authorization` scheme, a non-text or repeated `Authorization` header, or a request that
/// carries both header and query authentication.
pub fn detect(req: &SignableRequest<'_>) -> Result<Option<Scheme>, AuthError> {
    let from_query = detect_query(req.raw_query);
    let mut values = req.headers.get_all(http::header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(from_query);
    };
    if values.next().is_some() {
        return Err(AuthError::Malformed(
            "expected one Authorization header, got several".into(),
        ));
    }
    if from_query.is_some() {
        return Err(AuthError::Malformed(
            "only one authentication mechanism is allowed: got both an Authorization header \
             and a query signature"
                .into(),
        ));
    }
    let value = value
        .to_str()
        .map_err(|_| AuthError::Malformed("Authorization header is not visible ASCII".into()))?;
    let word = value.split_ascii_whitespace().next().unwrap_or("");
    match word {
        sigv4::ALGORITHM => Ok(Some(Scheme::SigV4)),
        "AWS" => Ok(Some(Scheme::AwsV2)),
        "OBS" => Ok(Some(Scheme::Obs)),
        "QS" => Ok(Some(Scheme::Qs)),
        _ => Err(AuthError::Malformed(format!(
            "unsupported Authorization scheme {word:?}; expected AWS4-HMAC-SHA256, AWS, OBS or QS"
        ))),
    }
}

fn detect_query(raw_query: &str) -> Option<Scheme> {
    use encoding::has_query_param as has;
    if has(raw_query, "X-Amz-Signature") || has(raw_query, "X-Amz-Algorithm") {
        Some(Scheme::SigV4Presigned)
    } else if has(raw_query, "AWSAccessKeyId") && has(raw_query, "Signature") {
        Some(Scheme::AwsV2Presigned)
    } else if has(raw_query, "AccessKeyId") && has(raw_query, "Signature") {
        Some(Scheme::ObsPresigned)
    } else if has(raw_query, "access_key_id") && has(raw_query, "signature") {
        Some(Scheme::QsPresigned)
    } else {
        None
    }
}

/// Verifies the signature of a request, whatever its scheme (header or query form of SigV4,
/// SigV2, OBS or QingStor), against `creds`, with `now` as the server clock.
///
/// Checks, in order: presence and syntax, the access key, the request time (±15 minutes, or
/// the presigned expiry), then the signature in constant time. The body is not looked at: the
/// caller checks it against [`Verified::payload`] (and decodes `aws-chunked` bodies with
/// [`Verified::streaming`]).
pub fn verify(
    req: &SignableRequest<'_>,
    creds: &dyn CredentialProvider,
    now: SystemTime,
) -> Result<Verified, AuthError> {
    match detect(req)? {
        None => Err(AuthError::Missing),
        Some(Scheme::SigV4) => sigv4::verify_header(req, creds, now),
        Some(Scheme::SigV4Presigned) => sigv4::verify_presigned(req, creds, now),
        Some(Scheme::AwsV2) => sigv2::verify_header(req, creds, now, sigv2::HeaderPrefix::Amz),
        Some(Scheme::Obs) => sigv2::verify_header(req, creds, now, sigv2::HeaderPrefix::Obs),
        Some(Scheme::AwsV2Presigned) => {
            sigv2::verify_query(req, creds, now, sigv2::HeaderPrefix::Amz)
        }
        Some(Scheme::ObsPresigned) => {
            sigv2::verify_query(req, creds, now, sigv2::HeaderPrefix::Obs)
        }
        Some(Scheme::Qs) => qs::verify_header(req, creds, now),
        Some(Scheme::QsPresigned) => qs::verify_query(req, creds, now),
    }
}

/// Compares two byte strings in time independent of where they differ (length is not secret).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// HMAC-SHA256 (SigV4 keys and signatures, QingStor signatures).
pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    use hmac::Mac as _;
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(key) else {
        unreachable!("HMAC accepts keys of any length")
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// HMAC-SHA1 (SigV2 and OBS signatures).
pub(crate) fn hmac_sha1(key: &[u8], data: &[u8]) -> [u8; 20] {
    use hmac::Mac as _;
    let Ok(mut mac) = hmac::Hmac::<sha1::Sha1>::new_from_slice(key) else {
        unreachable!("HMAC accepts keys of any length")
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Looks up the secret of `access_key` or fails with `UnknownAccessKey`.
fn secret_of(creds: &dyn CredentialProvider, access_key: &str) -> Result<String, AuthError> {
    creds
        .secret_for(access_key)
        .ok_or_else(|| AuthError::UnknownAccessKey {
            access_key: access_key.to_owned(),
        })
}

/// Parses `"{access_key}:{signature}"` after the scheme word of a SigV2/OBS/QS header.
fn split_key_signature<'v>(value: &'v str, word: &str) -> Result<(&'v str, &'v str), AuthError> {
    let rest = value
        .strip_prefix(word)
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            AuthError::Malformed(format!(
                "expected \"{word} AccessKey:Signature\", got {value:?}"
            ))
        })?;
    match rest.rsplit_once(':') {
        Some((ak, sig)) if !ak.is_empty() && !sig.is_empty() => Ok((ak, sig)),
        _ => Err(AuthError::Malformed(format!(
            "expected \"{word} AccessKey:Signature\", got {value:?}"
        ))),
    }
}

/// The `Authorization` header as text (callers only run after [`detect`] found it).
fn authorization(req: &SignableRequest<'_>) -> Result<String, AuthError> {
    req.headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or(AuthError::Missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req<'a>(headers: &'a HeaderMap, query: &'a str) -> SignableRequest<'a> {
        SignableRequest {
            method: "GET",
            raw_path: "/b/k",
            raw_query: query,
            headers,
            virtual_host_bucket: None,
        }
    }

    #[test]
    fn detection() {
        let empty = HeaderMap::new();
        assert_eq!(detect(&req(&empty, "")), Ok(None));
        assert_eq!(detect(&req(&empty, "uploads&prefix=a")), Ok(None));
        assert_eq!(
            detect(&req(
                &empty,
                "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00"
            )),
            Ok(Some(Scheme::SigV4Presigned))
        );
        assert_eq!(
            detect(&req(&empty, "AWSAccessKeyId=a&Expires=1&Signature=x")),
            Ok(Some(Scheme::AwsV2Presigned))
        );
        assert_eq!(
            detect(&req(&empty, "AccessKeyId=a&Expires=1&Signature=x")),
            Ok(Some(Scheme::ObsPresigned))
        );
        assert_eq!(
            detect(&req(&empty, "access_key_id=a&expires=1&signature=x")),
            Ok(Some(Scheme::QsPresigned))
        );
        for (value, scheme) in [
            ("AWS4-HMAC-SHA256 Credential=x", Scheme::SigV4),
            ("AWS a:b", Scheme::AwsV2),
            ("OBS a:b", Scheme::Obs),
            ("QS a:b", Scheme::Qs),
        ] {
            let mut h = HeaderMap::new();
            h.insert("authorization", value.parse().unwrap());
            assert_eq!(detect(&req(&h, "")), Ok(Some(scheme)), "{value}");
            assert_eq!(
                scheme.family() == SchemeFamily::QingStor,
                value.starts_with("QS")
            );
            assert!(!scheme.is_presigned());
        }
        let mut h = HeaderMap::new();
        h.insert("authorization", "Bearer abc".parse().unwrap());
        assert!(matches!(detect(&req(&h, "")), Err(AuthError::Malformed(_))));
        let mut h = HeaderMap::new();
        h.insert("authorization", "AWS a:b".parse().unwrap());
        assert!(matches!(
            detect(&req(&h, "X-Amz-Signature=1")),
            Err(AuthError::Malformed(_))
        ));
        h.append("authorization", "AWS a:c".parse().unwrap());
        assert!(matches!(detect(&req(&h, "")), Err(AuthError::Malformed(_))));
    }

    #[test]
    fn missing_is_missing() {
        let empty = HeaderMap::new();
        let creds = StaticCredentials::default();
        assert_eq!(
            verify(&req(&empty, ""), &creds, SystemTime::now()),
            Err(AuthError::Missing)
        );
        assert_eq!(AuthError::Missing.s3_code(), "AccessDenied");
    }

    #[test]
    fn error_codes() {
        let sdm = AuthError::SignatureDoesNotMatch {
            string_to_sign: String::new(),
        };
        assert_eq!(sdm.s3_code(), "SignatureDoesNotMatch");
        assert_eq!(sdm.s3_status(), StatusCode::FORBIDDEN);
        assert_eq!(sdm.qs_code(), "signature_not_matched");
        assert_eq!(sdm.qs_status(), StatusCode::UNAUTHORIZED);
        let unknown = AuthError::UnknownAccessKey {
            access_key: "x".into(),
        };
        assert_eq!(unknown.s3_code(), "InvalidAccessKeyId");
        assert_eq!(unknown.qs_code(), "invalid_access_key_id");
        assert_eq!(unknown.qs_status(), StatusCode::UNAUTHORIZED);
        let malformed = AuthError::Malformed("x".into());
        assert_eq!(malformed.s3_status(), StatusCode::BAD_REQUEST);
        let skew = AuthError::RequestTimeTooSkewed {
            request_time: SystemTime::UNIX_EPOCH,
            server_time: SystemTime::UNIX_EPOCH,
        };
        assert_eq!(skew.s3_code(), "RequestTimeTooSkewed");
        assert_eq!(skew.qs_code(), "request_expired");
    }

    #[test]
    fn payload_hash_parsing() {
        assert_eq!(
            PayloadHash::parse("UNSIGNED-PAYLOAD"),
            Ok(PayloadHash::Unsigned)
        );
        assert_eq!(
            PayloadHash::parse("STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
            Ok(PayloadHash::StreamingUnsignedTrailer)
        );
        assert_eq!(
            PayloadHash::parse("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"),
            Ok(PayloadHash::StreamingSigned { trailer: true })
        );
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        match PayloadHash::parse(empty) {
            Ok(PayloadHash::Sha256(h)) => assert_eq!(hex::encode(h), empty),
            other => panic!("unexpected {other:?}"),
        }
        assert!(PayloadHash::parse(&empty.to_ascii_uppercase()).is_ok());
        assert!(PayloadHash::parse("e3b0").is_err());
        assert!(PayloadHash::parse("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD").is_err());
        assert!(PayloadHash::StreamingUnsignedTrailer.is_streaming());
        assert!(!PayloadHash::Unsigned.is_streaming());
    }

    #[test]
    fn constant_time_compare() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn credentials_debug_hides_secret() {
        let c = Credentials::new("AK", "very-secret");
        assert!(!format!("{c:?}").contains("very-secret"));
        assert_eq!(c.secret_for("AK").as_deref(), Some("very-secret"));
        assert_eq!(c.secret_for("ak"), None);
    }

    #[test]
    fn key_signature_split() {
        assert_eq!(
            split_key_signature("AWS ak:sig=", "AWS"),
            Ok(("ak", "sig="))
        );
        assert!(split_key_signature("AWS ak", "AWS").is_err());
        assert!(split_key_signature("AWS :sig", "AWS").is_err());
        assert!(split_key_signature("AWS ak:", "AWS").is_err());
        assert!(split_key_signature("AWS", "AWS").is_err());
    }
}
