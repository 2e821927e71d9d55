//! Dialects: tell S3, OBS and QingStor apart per request, and translate between HTTP and the
//! dialect-free [`Operation`]/[`Output`] vocabulary. Every wire difference lives in a codec.

pub mod addressing;
pub mod obs;
pub mod qingstor;
pub mod s3;

use crate::error::ServiceError;
use crate::http::body::PayloadSpec;
use crate::http::response::Response;
use crate::http::RequestHead;
use crate::ops::{Limits, Operation, Output};
use serde::{Deserialize, Serialize};

/// The protocol a request speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// Amazon S3.
    S3,
    /// Huawei OBS (native `x-obs-` mode, or the S3-compatible SigV2 mode its SDK falls back to).
    Obs,
    /// QingStor.
    #[serde(rename = "qingstor")]
    QingStor,
}

impl Dialect {
    /// Lower-case name (`s3`, `obs`, `qingstor`).
    pub fn name(self) -> &'static str {
        match self {
            Dialect::S3 => "s3",
            Dialect::Obs => "obs",
            Dialect::QingStor => "qingstor",
        }
    }

    /// Parses a name as printed by [`Dialect::name`].
    pub fn from_name(s: &str) -> Option<Dialect> {
        match s.to_ascii_lowercase().as_str() {
            "s3" | "aws" => Some(Dialect::S3),
            "obs" => Some(Dialect::Obs),
            "qingstor" | "qs" => Some(Dialect::QingStor),
            _ => None,
        }
    }

    /// The dialect's own limits (minimum part size, part-number range).
    pub fn default_limits(self) -> Limits {
        match self {
            Dialect::S3 => Limits::S3,
            Dialect::Obs => Limits {
                min_part_size: 100 * 1024,
                ..Limits::S3
            },
            Dialect::QingStor => Limits {
                min_part_size: 4 * 1024 * 1024,
                min_part_number: 0,
                ..Limits::S3
            },
        }
    }
}

impl std::fmt::Display for Dialect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Dialect {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Dialect::from_name(s).ok_or_else(|| format!("expected s3, obs or qingstor, got {s:?}"))
    }
}

/// Looks up whether a bucket exists.
pub type BucketLookup = std::sync::Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// What a codec needs to know about the server to parse requests.
#[derive(Clone, Default)]
pub struct CodecContext {
    /// Host names under which `BUCKET.<name>` means virtual-hosted addressing (always
    /// includes `localhost`).
    pub domains: Vec<String>,
    /// Buckets that exist (for virtual-host detection under unknown domains).
    pub bucket_exists: Option<BucketLookup>,
}

impl std::fmt::Debug for CodecContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodecContext")
            .field("domains", &self.domains)
            .finish()
    }
}

/// A request parsed by a codec.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The operation.
    pub op: Operation,
    /// The bucket named by the Host header (virtual-hosted style), for signature checks.
    pub virtual_host_bucket: Option<String>,
}

/// One dialect's translation between HTTP and operations.
pub trait Codec: Send + Sync {
    /// Which dialect this is.
    fn dialect(&self) -> Dialect;
    /// Parses the request head into an operation. Operations with a request document
    /// (complete, delete-objects) get it later through [`Codec::fill_document`].
    fn parse(&self, head: &RequestHead, ctx: &CodecContext) -> Result<Parsed, ServiceError>;
    /// Whether `op` carries a small request document to read before executing.
    fn wants_document(&self, op: &Operation) -> bool;
    /// Parses the request document into `op`.
    fn fill_document(&self, op: &mut Operation, body: &[u8]) -> Result<(), ServiceError>;
    /// Reads the payload-related headers of a streaming-body operation.
    fn payload_spec(&self, head: &RequestHead) -> Result<PayloadSpec, ServiceError>;
    /// Renders a success.
    fn render(&self, head: &RequestHead, op: &Operation, out: Output) -> Response;
    /// Renders an error.
    fn render_error(&self, head: &RequestHead, err: &ServiceError) -> Response;
    /// Renders an injected error with any status and code (spelled as the dialect spells it).
    fn render_custom_error(
        &self,
        head: &RequestHead,
        status: http::StatusCode,
        code: &str,
        message: &str,
    ) -> Response;
    /// Renders a success status whose body is an error document (S3's 200-with-error quirk,
    /// in this dialect's error form).
    fn render_error_in_200(&self, head: &RequestHead, code: &str, message: &str) -> Response;
    /// What a slow answer sends before its keep-alive whitespace (the XML declaration for
    /// XML dialects), and its Content-Type.
    fn keepalive_prefix(&self) -> (&'static str, &'static str);
    /// A 200 answer with this dialect's headers and a streamed body.
    fn render_streaming_200(
        &self,
        head: &RequestHead,
        content_type: &str,
        body: crate::http::response::Body,
    ) -> Response;
}

/// Query parameter names only QingStor uses.
const QINGSTOR_QUERY_NAMES: &[&str] = &[
    "upload_id",
    "part_number",
    "part_number_marker",
    "key_marker",
    "upload_id_marker",
    "limit",
    "access_key_id",
];

/// Picks the dialect of a request: a pinned one, else, in this order, the signature scheme
/// (`QS ` -> QingStor, `OBS ` -> OBS; query forms `access_key_id` / `AccessKeyId` likewise),
/// `x-qs-` / `x-obs-` headers, QingStor's query spelling (`upload_id`, `part_number`, ...),
/// the OBS negotiation probe `HEAD /?apiversion`, the SDK's User-Agent (ObsClient in its
/// S3-compatible SigV2 mode sends `obs-sdk-python/...`), and S3 when nothing else matches.
///
/// ```
/// use mock_server::dialect::{detect, Dialect};
/// use mock_server::http::RequestHead;
///
/// let req = http::Request::builder()
///     .method("PUT")
///     .uri("/qs-bucket/k?part_number=0&upload_id=abc")
///     .header("host", "127.0.0.1:9000")
///     .body(())
///     .unwrap();
/// let (parts, ()) = req.into_parts();
/// let head = RequestHead::from_parts(&parts, false, "R1".into());
/// assert_eq!(detect(&head, None), Dialect::QingStor);
/// assert_eq!(detect(&head, Some(Dialect::S3)), Dialect::S3);
/// ```
pub fn detect(head: &RequestHead, pinned: Option<Dialect>) -> Dialect {
    use crate::auth::encoding::{has_query_param, query_items};
    if let Some(d) = pinned {
        return d;
    }
    let auth = head.header("authorization").unwrap_or("");
    if auth.starts_with("QS ") {
        return Dialect::QingStor;
    }
    if auth.starts_with("OBS ") {
        return Dialect::Obs;
    }
    let q = head.raw_query.as_str();
    if has_query_param(q, "access_key_id") && has_query_param(q, "signature") {
        return Dialect::QingStor;
    }
    if has_query_param(q, "AccessKeyId") && !has_query_param(q, "AWSAccessKeyId") {
        return Dialect::Obs;
    }
    let header_prefixed = |p: &str| head.headers.keys().any(|k| k.as_str().starts_with(p));
    if header_prefixed("x-qs-") {
        return Dialect::QingStor;
    }
    if header_prefixed("x-obs-") {
        return Dialect::Obs;
    }
    if query_items(q).any(|i| QINGSTOR_QUERY_NAMES.contains(&i.name)) {
        return Dialect::QingStor;
    }
    let ua = head.header("user-agent").unwrap_or("");
    if ua.contains("obs-sdk")
        || (head.method == http::Method::HEAD && has_query_param(q, "apiversion"))
    {
        return Dialect::Obs;
    }
    if ua.contains("qingstor-sdk") {
        return Dialect::QingStor;
    }
    Dialect::S3
}

/// The codec that speaks `dialect` for `head`: [`s3::S3Codec::S3`], OBS as the S3 codec with
/// the request's header prefix ([`obs::codec`]), or [`qingstor::QingStorCodec`].
pub fn codec_for(dialect: Dialect, head: &RequestHead) -> Box<dyn Codec> {
    match dialect {
        Dialect::S3 => Box::new(s3::S3Codec::S3),
        Dialect::Obs => Box::new(obs::codec(head)),
        Dialect::QingStor => Box::new(qingstor::QingStorCodec),
    }
}
