//! QingStor JSON documents (PROTOCOLS.md §4.3, §4.4, §7.1).
//!
//! Field names are QingStor's own snake_case names; field order follows the captured
//! responses, so [`JsonDocument::to_json`] reproduces them byte for byte. All response fields
//! default when missing, so a parser built on these types accepts any subset (the SDK reads
//! only a few fields). Part numbers start at 0 in QingStor and are JSON integers; a string or
//! fractional `part_number` makes a document [`Invalid`](crate::wire::WireError::Invalid).
//!
//! Remember: 2xx JSON answers must carry `Content-Type: application/json` exactly (no
//! charset), or the Python SDK ignores the body.

use serde::{Deserialize, Serialize};

use super::json::JsonDocument;

/// Response of Initiate Multipart Upload (`POST /{b}/{k}?uploads`, 200):
/// `{"bucket": "b", "key": "k", "upload_id": "…"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitiateMultipartUploadOutput {
    /// `bucket`.
    #[serde(default)]
    pub bucket: String,
    /// `key`.
    #[serde(default)]
    pub key: String,
    /// `upload_id` (required when parsing).
    pub upload_id: String,
}

/// Response of List Multipart (`GET /{b}/{k}?upload_id=`, 200):
/// `{"count": 3, "object_parts": [{"part_number": 0, "size": …, "etag": "\"…\"", "created": "…Z"}, …]}`.
///
/// QingStor documents no paging fields; `has_more` and `next_part_number_marker` are this
/// mock's extension, written only when set, so a client may page with `part_number_marker`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListMultipartOutput {
    /// `count`: number of parts in `object_parts`.
    #[serde(default)]
    pub count: u64,
    /// `object_parts`, ascending by part number.
    #[serde(default)]
    pub object_parts: Vec<ObjectPart>,
    /// `has_more` (extension): more parts follow this page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_more: Option<bool>,
    /// `next_part_number_marker` (extension): pass as `part_number_marker` for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_part_number_marker: Option<i64>,
}

/// One entry of [`ListMultipartOutput::object_parts`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectPart {
    /// `part_number` (from 0).
    pub part_number: i64,
    /// `size` in bytes.
    #[serde(default)]
    pub size: u64,
    /// `etag`, with quotes inside the string (`"\"…\""`).
    #[serde(default)]
    pub etag: String,
    /// `created`, ISO 8601.
    #[serde(default)]
    pub created: String,
}

/// Response of List Multipart Uploads (`GET /{b}?uploads`, 200).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListMultipartUploadsOutput {
    /// `name`: the bucket.
    #[serde(default)]
    pub name: String,
    /// `uploads`.
    #[serde(default)]
    pub uploads: Vec<UploadSummary>,
    /// `prefix`.
    #[serde(default)]
    pub prefix: String,
    /// `delimiter`.
    #[serde(default)]
    pub delimiter: String,
    /// `limit`: the page size used.
    #[serde(default)]
    pub limit: u32,
    /// `marker`.
    #[serde(default)]
    pub marker: String,
    /// `next_key_marker`.
    #[serde(default)]
    pub next_key_marker: String,
    /// `next_upload_id_marker`.
    #[serde(default)]
    pub next_upload_id_marker: String,
    /// `has_more`.
    #[serde(default)]
    pub has_more: bool,
    /// `common_prefixes`.
    #[serde(default)]
    pub common_prefixes: Vec<String>,
}

/// One entry of [`ListMultipartUploadsOutput::uploads`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadSummary {
    /// `key`.
    #[serde(default)]
    pub key: String,
    /// `upload_id`.
    #[serde(default)]
    pub upload_id: String,
    /// `created`, ISO 8601.
    #[serde(default)]
    pub created: String,
}

/// Request body of Complete Multipart Upload (`POST /{b}/{k}?upload_id=`):
/// `{"object_parts": [{"part_number": 0}, {"etag": "\"…\"", "part_number": 1}]}`.
///
/// Parts stay in document order; order, duplicates and existence are the service's checks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompleteMultipartUploadInput {
    /// `object_parts` (required).
    pub object_parts: Vec<CompletePart>,
}

/// One entry of [`CompleteMultipartUploadInput::object_parts`]. Field order is the SDK's
/// (`json.dumps(..., sort_keys=True)`): `etag`, then `part_number`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletePart {
    /// `etag` (optional), as the client sends it (usually quoted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// `part_number` (required, integer).
    pub part_number: i64,
}

/// Response of List Objects (`GET /{b}`, 200).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListObjectsOutput {
    /// `name`: the bucket.
    #[serde(default)]
    pub name: String,
    /// `keys`.
    #[serde(default)]
    pub keys: Vec<KeyEntry>,
    /// `prefix`.
    #[serde(default)]
    pub prefix: String,
    /// `delimiter`.
    #[serde(default)]
    pub delimiter: String,
    /// `limit`.
    #[serde(default)]
    pub limit: u32,
    /// `marker`.
    #[serde(default)]
    pub marker: String,
    /// `next_marker`.
    #[serde(default)]
    pub next_marker: String,
    /// `has_more`.
    #[serde(default)]
    pub has_more: bool,
    /// `common_prefixes`.
    #[serde(default)]
    pub common_prefixes: Vec<String>,
    /// `owner`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<OwnerInfo>,
}

/// One entry of [`ListObjectsOutput::keys`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyEntry {
    /// `key`.
    #[serde(default)]
    pub key: String,
    /// `mime_type`.
    #[serde(default)]
    pub mime_type: String,
    /// `etag`, quoted inside the string.
    #[serde(default)]
    pub etag: String,
    /// `size` in bytes.
    #[serde(default)]
    pub size: u64,
    /// `modified`: Unix seconds (see [`crate::wire::time::unix_seconds`]).
    #[serde(default)]
    pub modified: i64,
    /// `created`, ISO 8601.
    #[serde(default)]
    pub created: String,
    /// `encrypted`.
    #[serde(default)]
    pub encrypted: bool,
    /// `storage_class`, e.g. `STANDARD`.
    #[serde(default)]
    pub storage_class: String,
}

/// `owner` of [`ListObjectsOutput`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerInfo {
    /// `id`.
    #[serde(default)]
    pub id: String,
    /// `name`.
    #[serde(default)]
    pub name: String,
}

/// Response of List Buckets (`GET /`, 200): `{"count": 1, "buckets": [{…}]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListBucketsOutput {
    /// `count`.
    #[serde(default)]
    pub count: u64,
    /// `buckets`.
    #[serde(default)]
    pub buckets: Vec<BucketEntry>,
}

/// One entry of [`ListBucketsOutput::buckets`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketEntry {
    /// `name`.
    #[serde(default)]
    pub name: String,
    /// `location`: the zone, e.g. `pek3b`.
    #[serde(default)]
    pub location: String,
    /// `url`: the bucket's URL.
    #[serde(default)]
    pub url: String,
    /// `created`, ISO 8601.
    #[serde(default)]
    pub created: String,
}

/// QingStor error body: `{"code": "upload_not_exists", "message": "…", "request_id": "…", "url": "…"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorOutput {
    /// `code`, e.g. `upload_not_exists`.
    #[serde(default)]
    pub code: String,
    /// `message`.
    #[serde(default)]
    pub message: String,
    /// `request_id` (same as the `X-QS-Request-ID` header).
    #[serde(default)]
    pub request_id: String,
    /// `url`: documentation link.
    #[serde(default)]
    pub url: String,
}

impl ErrorOutput {
    /// The documentation URL QingStor puts in every error.
    pub const DOC_URL: &'static str =
        "https://docs.qingcloud.com/qingstor/api/common/error_code.html";

    /// An error with [`Self::DOC_URL`].
    pub fn new(
        code: impl Into<String>,
        message: impl Into<String>,
        request_id: impl Into<String>,
    ) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            request_id: request_id.into(),
            url: Self::DOC_URL.to_owned(),
        }
    }
}

/// Request body of Delete Multiple Objects (`POST /{b}?delete`):
/// `{"objects": [{"key": "a"}], "quiet": false}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteMultipleInput {
    /// `objects` (required).
    pub objects: Vec<KeyRef>,
    /// `quiet`: report only errors.
    #[serde(default)]
    pub quiet: bool,
}

/// A `{"key": "…"}` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRef {
    /// `key` (required).
    pub key: String,
}

/// Response of Delete Multiple Objects (200): `{"deleted": [{"key": …}], "errors": [{…}]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteMultipleOutput {
    /// `deleted`.
    #[serde(default)]
    pub deleted: Vec<KeyRef>,
    /// `errors`.
    #[serde(default)]
    pub errors: Vec<DeleteMultipleError>,
}

/// One entry of [`DeleteMultipleOutput::errors`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteMultipleError {
    /// `code`.
    #[serde(default)]
    pub code: String,
    /// `key`.
    #[serde(default)]
    pub key: String,
    /// `message`.
    #[serde(default)]
    pub message: String,
}

macro_rules! json_document {
    ($($ty:ident),* $(,)?) => {
        $(
            impl JsonDocument for $ty {
                const NAME: &'static str = stringify!($ty);
            }
        )*
    };
}

json_document!(
    InitiateMultipartUploadOutput,
    ListMultipartOutput,
    ListMultipartUploadsOutput,
    CompleteMultipartUploadInput,
    ListObjectsOutput,
    ListBucketsOutput,
    ErrorOutput,
    DeleteMultipleInput,
    DeleteMultipleOutput,
);
