//! Dialect-free operations: what a request asks for, and what the service answers.
//!
//! Dialect codecs parse HTTP requests into [`Operation`]s and render [`Output`]s; the fault
//! engine and the journal look at [`OpKind`]. Request bodies that carry object data are not
//! part of the operation: they stream through [`crate::payload::Payload`].

pub use crate::checksum::ChecksumType;
use crate::checksum::{Checksum, ChecksumAlgorithm};
use crate::store::Blob;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::SystemTime;

/// The kind of an operation, for matching faults and filtering the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum OpKind {
    ListBuckets,
    CreateBucket,
    HeadBucket,
    DeleteBucket,
    GetBucketLocation,
    GetBucketVersioning,
    ListObjects,
    ListObjectsV2,
    ListObjectVersions,
    PutObject,
    CopyObject,
    GetObject,
    HeadObject,
    GetObjectAttributes,
    DeleteObject,
    DeleteObjects,
    CreateMultipartUpload,
    UploadPart,
    UploadPartCopy,
    ListParts,
    ListMultipartUploads,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    /// OBS `HEAD /?apiversion` negotiation probe.
    ApiVersionProbe,
}

impl OpKind {
    /// The S3 name of the operation.
    pub fn name(self) -> &'static str {
        use OpKind::*;
        match self {
            ListBuckets => "ListBuckets",
            CreateBucket => "CreateBucket",
            HeadBucket => "HeadBucket",
            DeleteBucket => "DeleteBucket",
            GetBucketLocation => "GetBucketLocation",
            GetBucketVersioning => "GetBucketVersioning",
            ListObjects => "ListObjects",
            ListObjectsV2 => "ListObjectsV2",
            ListObjectVersions => "ListObjectVersions",
            PutObject => "PutObject",
            CopyObject => "CopyObject",
            GetObject => "GetObject",
            HeadObject => "HeadObject",
            GetObjectAttributes => "GetObjectAttributes",
            DeleteObject => "DeleteObject",
            DeleteObjects => "DeleteObjects",
            CreateMultipartUpload => "CreateMultipartUpload",
            UploadPart => "UploadPart",
            UploadPartCopy => "UploadPartCopy",
            ListParts => "ListParts",
            ListMultipartUploads => "ListMultipartUploads",
            CompleteMultipartUpload => "CompleteMultipartUpload",
            AbortMultipartUpload => "AbortMultipartUpload",
            ApiVersionProbe => "ApiVersionProbe",
        }
    }

    /// Parses an S3 operation name (as printed by [`OpKind::name`]).
    pub fn from_name(name: &str) -> Option<OpKind> {
        ALL_KINDS
            .iter()
            .copied()
            .find(|k| k.name().eq_ignore_ascii_case(name))
    }
}

/// Every operation kind.
pub const ALL_KINDS: [OpKind; 24] = {
    use OpKind::*;
    [
        ListBuckets,
        CreateBucket,
        HeadBucket,
        DeleteBucket,
        GetBucketLocation,
        GetBucketVersioning,
        ListObjects,
        ListObjectsV2,
        ListObjectVersions,
        PutObject,
        CopyObject,
        GetObject,
        HeadObject,
        GetObjectAttributes,
        DeleteObject,
        DeleteObjects,
        CreateMultipartUpload,
        UploadPart,
        UploadPartCopy,
        ListParts,
        ListMultipartUploads,
        CompleteMultipartUpload,
        AbortMultipartUpload,
        ApiVersionProbe,
    ]
};

/// Content attributes and user metadata given at PutObject or CreateMultipartUpload and
/// returned on GET/HEAD.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectAttrs {
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `Content-Disposition`.
    pub content_disposition: Option<String>,
    /// `Content-Encoding` (with `aws-chunked` removed).
    pub content_encoding: Option<String>,
    /// `Content-Language`.
    pub content_language: Option<String>,
    /// `Cache-Control`.
    pub cache_control: Option<String>,
    /// `Expires`.
    pub expires: Option<String>,
    /// Storage class (`x-amz-storage-class`, ...).
    pub storage_class: Option<String>,
    /// User metadata: names lower-cased without the dialect prefix (`x-amz-meta-`).
    pub metadata: Vec<(String, String)>,
}

/// A byte range requested by GET (`Range: bytes=…`) or a copy (`x-amz-copy-source-range`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RangeSpec {
    /// `bytes=first-last` (inclusive).
    FromTo(u64, u64),
    /// `bytes=first-`.
    From(u64),
    /// `bytes=-n`: the last n bytes.
    Suffix(u64),
}

impl RangeSpec {
    /// Resolves against an object size into `(offset, length)`; `None` when unsatisfiable.
    pub fn resolve(self, size: u64) -> Option<(u64, u64)> {
        match self {
            RangeSpec::FromTo(a, b) if a <= b && a < size => Some((a, b.min(size - 1) - a + 1)),
            RangeSpec::From(a) if a < size => Some((a, size - a)),
            RangeSpec::Suffix(n) if n > 0 && size > 0 => {
                let n = n.min(size);
                Some((size - n, n))
            }
            _ => None,
        }
    }

    /// Parses `bytes=a-b`, `bytes=a-`, `bytes=-n` (one range; multi-range is not supported).
    pub fn parse(value: &str) -> Option<RangeSpec> {
        let spec = value.trim().strip_prefix("bytes=")?;
        if spec.contains(',') {
            return None;
        }
        let (a, b) = spec.split_once('-')?;
        let (a, b) = (a.trim(), b.trim());
        match (a.is_empty(), b.is_empty()) {
            (true, false) => b.parse().ok().map(RangeSpec::Suffix),
            (false, true) => a.parse().ok().map(RangeSpec::From),
            (false, false) => Some(RangeSpec::FromTo(a.parse().ok()?, b.parse().ok()?)),
            (true, true) => None,
        }
    }
}

/// Conditional headers of a read (`If-Match`, `If-None-Match`, `If-(Un)Modified-Since`), or of
/// a copy source (`x-amz-copy-source-if-*`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conditions {
    /// `If-Match`: the ETag must match (quotes ignored, `*` matches anything).
    pub if_match: Option<String>,
    /// `If-None-Match`.
    pub if_none_match: Option<String>,
    /// `If-Modified-Since`.
    pub if_modified_since: Option<SystemTime>,
    /// `If-Unmodified-Since`.
    pub if_unmodified_since: Option<SystemTime>,
}

/// Source of a copy (`x-amz-copy-source: bucket/key`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopySource {
    /// Source bucket.
    pub bucket: String,
    /// Source key (decoded).
    pub key: String,
}

/// One part named in a complete request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletePart {
    /// Part number as the client numbered it.
    pub number: u32,
    /// ETag as sent (quotes allowed), or none (QingStor makes it optional).
    pub etag: Option<String>,
    /// Per-part checksum listed by the client (`<ChecksumCRC32>`), if any.
    pub checksum: Option<(ChecksumAlgorithm, String)>,
}

/// What a complete request asks beyond its part list: conditions, an ETag to set, and the
/// whole object as the client sees it, checked against what the parts make.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompleteChecks {
    /// `If-None-Match: *`: fail if the key already holds an object.
    pub if_none_match_any: bool,
    /// QingStor lets the client set the final ETag with an `ETag` request header.
    pub etag_override: Option<String>,
    /// The object's checksum as the client computed it (S3 `x-amz-checksum-<alg>` on the
    /// complete): base64, with or without the composite `-N`.
    pub object_checksum: Option<(ChecksumAlgorithm, String)>,
    /// The checksum type the client expects (`x-amz-checksum-type`).
    pub checksum_type: Option<ChecksumType>,
    /// The object's size the client expects (S3 `x-amz-mp-object-size`).
    pub object_size: Option<u64>,
}

/// Paging and grouping parameters of object listings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListObjectsInput {
    /// Bucket to list.
    pub bucket: String,
    /// Only keys starting with this.
    pub prefix: String,
    /// Group keys by the first occurrence of this after the prefix.
    pub delimiter: Option<String>,
    /// Page size (1..=1000).
    pub max_keys: usize,
    /// Start after this key (V1 `marker`, V2 `start-after` or the decoded continuation token).
    pub marker: Option<String>,
    /// `encoding-type=url` was requested.
    pub url_encode: bool,
    /// The V2 continuation token as sent, echoed back.
    pub continuation_token: Option<String>,
    /// The V2 start-after as sent, echoed back.
    pub start_after: Option<String>,
}

/// Size and numbering rules of the dialect a request came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Minimum size of every part but the last listed in a complete.
    pub min_part_size: u64,
    /// Lowest valid part number (1 for S3/OBS, 0 for QingStor).
    pub min_part_number: u32,
    /// Highest valid part number.
    pub max_part_number: u32,
    /// Largest part or single PUT accepted.
    pub max_part_size: u64,
}

impl Limits {
    /// S3's rules: parts 1..=10000, 5 MiB minimum, 5 GiB maximum.
    pub const S3: Limits = Limits {
        min_part_size: 5 * 1024 * 1024,
        min_part_number: 1,
        max_part_number: 10_000,
        max_part_size: 5 * 1024 * 1024 * 1024,
    };
}

/// A request, parsed and dialect-free.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Operation {
    ListBuckets,
    CreateBucket {
        bucket: String,
    },
    HeadBucket {
        bucket: String,
    },
    DeleteBucket {
        bucket: String,
    },
    GetBucketLocation {
        bucket: String,
    },
    GetBucketVersioning {
        bucket: String,
    },
    ListObjects {
        v2: bool,
        input: ListObjectsInput,
    },
    ListObjectVersions {
        input: ListObjectsInput,
    },
    PutObject {
        bucket: String,
        key: String,
        attrs: ObjectAttrs,
        if_none_match_any: bool,
    },
    CopyObject {
        bucket: String,
        key: String,
        source: CopySource,
        /// `Some` when the metadata directive is REPLACE.
        replace_attrs: Option<ObjectAttrs>,
        conditions: Conditions,
    },
    GetObject {
        bucket: String,
        key: String,
        head: bool,
        range: Option<RangeSpec>,
        part_number: Option<u32>,
        conditions: Conditions,
        checksum_mode: bool,
    },
    /// S3 GetObjectAttributes: the object's ETag, checksum, parts, storage class and size.
    GetObjectAttributes {
        bucket: String,
        key: String,
        attributes: AttributeSet,
        max_parts: usize,
        part_number_marker: Option<u32>,
    },
    DeleteObject {
        bucket: String,
        key: String,
    },
    DeleteObjects {
        bucket: String,
        keys: Vec<String>,
        quiet: bool,
    },
    CreateMultipartUpload {
        bucket: String,
        key: String,
        attrs: ObjectAttrs,
        checksum: Option<(ChecksumAlgorithm, ChecksumType)>,
    },
    UploadPart {
        bucket: String,
        key: String,
        upload_id: String,
        part_number: u32,
    },
    UploadPartCopy {
        bucket: String,
        key: String,
        upload_id: String,
        part_number: u32,
        source: CopySource,
        range: Option<RangeSpec>,
        conditions: Conditions,
    },
    ListParts {
        bucket: String,
        key: String,
        upload_id: String,
        max_parts: usize,
        /// List parts numbered above this; `None` lists from the lowest (QingStor numbers
        /// parts from 0, so "after 0" would hide part 0).
        part_number_marker: Option<u32>,
    },
    ListMultipartUploads {
        bucket: String,
        prefix: String,
        delimiter: Option<String>,
        key_marker: Option<String>,
        upload_id_marker: Option<String>,
        max_uploads: usize,
    },
    CompleteMultipartUpload {
        bucket: String,
        key: String,
        upload_id: String,
        parts: Vec<CompletePart>,
        checks: CompleteChecks,
    },
    AbortMultipartUpload {
        bucket: String,
        key: String,
        upload_id: String,
    },
    ApiVersionProbe,
}

impl Operation {
    /// The operation's kind.
    pub fn kind(&self) -> OpKind {
        use Operation as O;
        match self {
            O::ListBuckets => OpKind::ListBuckets,
            O::CreateBucket { .. } => OpKind::CreateBucket,
            O::HeadBucket { .. } => OpKind::HeadBucket,
            O::DeleteBucket { .. } => OpKind::DeleteBucket,
            O::GetBucketLocation { .. } => OpKind::GetBucketLocation,
            O::GetBucketVersioning { .. } => OpKind::GetBucketVersioning,
            O::ListObjects { v2: false, .. } => OpKind::ListObjects,
            O::ListObjects { v2: true, .. } => OpKind::ListObjectsV2,
            O::ListObjectVersions { .. } => OpKind::ListObjectVersions,
            O::PutObject { .. } => OpKind::PutObject,
            O::CopyObject { .. } => OpKind::CopyObject,
            O::GetObject { head: false, .. } => OpKind::GetObject,
            O::GetObject { head: true, .. } => OpKind::HeadObject,
            O::GetObjectAttributes { .. } => OpKind::GetObjectAttributes,
            O::DeleteObject { .. } => OpKind::DeleteObject,
            O::DeleteObjects { .. } => OpKind::DeleteObjects,
            O::CreateMultipartUpload { .. } => OpKind::CreateMultipartUpload,
            O::UploadPart { .. } => OpKind::UploadPart,
            O::UploadPartCopy { .. } => OpKind::UploadPartCopy,
            O::ListParts { .. } => OpKind::ListParts,
            O::ListMultipartUploads { .. } => OpKind::ListMultipartUploads,
            O::CompleteMultipartUpload { .. } => OpKind::CompleteMultipartUpload,
            O::AbortMultipartUpload { .. } => OpKind::AbortMultipartUpload,
            O::ApiVersionProbe => OpKind::ApiVersionProbe,
        }
    }

    /// The bucket the operation addresses, if any.
    pub fn bucket(&self) -> Option<&str> {
        use Operation as O;
        match self {
            O::ListBuckets | O::ApiVersionProbe => None,
            O::CreateBucket { bucket }
            | O::HeadBucket { bucket }
            | O::DeleteBucket { bucket }
            | O::GetBucketLocation { bucket }
            | O::GetBucketVersioning { bucket }
            | O::PutObject { bucket, .. }
            | O::CopyObject { bucket, .. }
            | O::GetObject { bucket, .. }
            | O::GetObjectAttributes { bucket, .. }
            | O::DeleteObject { bucket, .. }
            | O::DeleteObjects { bucket, .. }
            | O::CreateMultipartUpload { bucket, .. }
            | O::UploadPart { bucket, .. }
            | O::UploadPartCopy { bucket, .. }
            | O::ListParts { bucket, .. }
            | O::ListMultipartUploads { bucket, .. }
            | O::CompleteMultipartUpload { bucket, .. }
            | O::AbortMultipartUpload { bucket, .. } => Some(bucket),
            O::ListObjects { input, .. } | O::ListObjectVersions { input } => Some(&input.bucket),
        }
    }

    /// The key the operation addresses, if any.
    pub fn key(&self) -> Option<&str> {
        use Operation as O;
        match self {
            O::PutObject { key, .. }
            | O::CopyObject { key, .. }
            | O::GetObject { key, .. }
            | O::GetObjectAttributes { key, .. }
            | O::DeleteObject { key, .. }
            | O::CreateMultipartUpload { key, .. }
            | O::UploadPart { key, .. }
            | O::UploadPartCopy { key, .. }
            | O::ListParts { key, .. }
            | O::CompleteMultipartUpload { key, .. }
            | O::AbortMultipartUpload { key, .. } => Some(key),
            _ => None,
        }
    }

    /// The upload id the operation addresses, if any.
    pub fn upload_id(&self) -> Option<&str> {
        use Operation as O;
        match self {
            O::UploadPart { upload_id, .. }
            | O::UploadPartCopy { upload_id, .. }
            | O::ListParts { upload_id, .. }
            | O::CompleteMultipartUpload { upload_id, .. }
            | O::AbortMultipartUpload { upload_id, .. } => Some(upload_id),
            _ => None,
        }
    }

    /// The part number the operation addresses, if any.
    pub fn part_number(&self) -> Option<u32> {
        match self {
            Operation::UploadPart { part_number, .. }
            | Operation::UploadPartCopy { part_number, .. } => Some(*part_number),
            Operation::GetObject { part_number, .. } => *part_number,
            _ => None,
        }
    }

    /// Whether the request body is object data streamed into a blob.
    pub fn streams_body(&self) -> bool {
        matches!(
            self,
            Operation::PutObject { .. } | Operation::UploadPart { .. }
        )
    }
}

/// A bucket in a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BucketInfo {
    /// Name.
    pub name: String,
    /// Creation time.
    pub created: SystemTime,
}

/// An object in a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectInfo {
    /// Key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// ETag without quotes.
    pub etag: String,
    /// Last modification.
    pub last_modified: SystemTime,
    /// Content type, if set.
    pub content_type: Option<String>,
    /// Storage class, if set.
    pub storage_class: Option<String>,
}

/// A page of an object listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectList {
    /// The request's parameters, echoed.
    pub input: ListObjectsInput,
    /// Objects on this page.
    pub objects: Vec<ObjectInfo>,
    /// Common prefixes on this page.
    pub common_prefixes: Vec<String>,
    /// More results follow.
    pub is_truncated: bool,
    /// Where the next page starts (the last key or prefix of this page).
    pub next_marker: Option<String>,
}

/// A part in a ListParts answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartInfo {
    /// Part number.
    pub number: u32,
    /// ETag without quotes.
    pub etag: String,
    /// Size.
    pub size: u64,
    /// Upload time.
    pub last_modified: SystemTime,
    /// Part checksum, if one was sent.
    pub checksum: Option<Checksum>,
}

/// A page of ListParts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartList {
    /// Bucket.
    pub bucket: String,
    /// Key.
    pub key: String,
    /// Upload id.
    pub upload_id: String,
    /// Marker as requested.
    pub part_number_marker: u32,
    /// Last part number of this page.
    pub next_part_number_marker: Option<u32>,
    /// Page size.
    pub max_parts: usize,
    /// More parts follow.
    pub is_truncated: bool,
    /// Parts on this page.
    pub parts: Vec<PartInfo>,
    /// Storage class of the upload.
    pub storage_class: Option<String>,
    /// Checksum algorithm chosen at initiate.
    pub checksum: Option<(ChecksumAlgorithm, ChecksumType)>,
}

/// An open upload in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadInfo {
    /// Key.
    pub key: String,
    /// Upload id.
    pub upload_id: String,
    /// Initiation time.
    pub initiated: SystemTime,
    /// Storage class.
    pub storage_class: Option<String>,
}

/// A page of ListMultipartUploads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadList {
    /// Bucket.
    pub bucket: String,
    /// Prefix as requested.
    pub prefix: String,
    /// Delimiter as requested.
    pub delimiter: Option<String>,
    /// Key marker as requested.
    pub key_marker: Option<String>,
    /// Upload id marker as requested.
    pub upload_id_marker: Option<String>,
    /// Next key marker.
    pub next_key_marker: Option<String>,
    /// Next upload id marker.
    pub next_upload_id_marker: Option<String>,
    /// Page size.
    pub max_uploads: usize,
    /// More uploads follow.
    pub is_truncated: bool,
    /// Uploads on this page.
    pub uploads: Vec<UploadInfo>,
    /// Common prefixes on this page.
    pub common_prefixes: Vec<String>,
}

/// The checksum of a stored object as S3 reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectChecksum {
    /// Algorithm.
    pub algorithm: ChecksumAlgorithm,
    /// COMPOSITE (value ends in `-N`) or FULL_OBJECT.
    pub checksum_type: ChecksumType,
    /// Base64 value, with `-N` for composite.
    pub value: String,
}

/// What GET/HEAD answer: the object's metadata and the byte range to stream.
#[derive(Debug, Clone)]
pub struct ObjectBody {
    /// Key.
    pub key: String,
    /// Total object size.
    pub size: u64,
    /// ETag without quotes.
    pub etag: String,
    /// Last modification.
    pub last_modified: SystemTime,
    /// Content attributes and metadata.
    pub attrs: ObjectAttrs,
    /// `(offset, length)` when a range or part was requested (206).
    pub range: Option<(u64, u64)>,
    /// Number of parts, when `partNumber` was requested on a multipart object.
    pub parts_count: Option<u32>,
    /// Checksum to report (never set for ranged or part reads of a full-object value).
    pub checksum: Option<ObjectChecksum>,
    /// The blobs and in-blob ranges to stream, in order.
    pub segments: Vec<(Arc<Blob>, u64, u64)>,
}

/// Which attributes a GetObjectAttributes asked for (`x-amz-object-attributes`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AttributeSet {
    /// `ETag`.
    pub etag: bool,
    /// `Checksum`.
    pub checksum: bool,
    /// `ObjectParts`.
    pub object_parts: bool,
    /// `StorageClass`.
    pub storage_class: bool,
    /// `ObjectSize`.
    pub object_size: bool,
}

impl AttributeSet {
    /// Parses the comma-separated attribute names; `None` if one is unknown. An empty list is
    /// an empty set.
    pub fn parse(list: &str) -> Option<AttributeSet> {
        let mut set = AttributeSet::default();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let flag = match name.to_ascii_lowercase().as_str() {
                "etag" => &mut set.etag,
                "checksum" => &mut set.checksum,
                "objectparts" => &mut set.object_parts,
                "storageclass" => &mut set.storage_class,
                "objectsize" => &mut set.object_size,
                _ => return None,
            };
            *flag = true;
        }
        Some(set)
    }

    /// Whether nothing was asked for.
    pub fn is_empty(&self) -> bool {
        *self == AttributeSet::default()
    }
}

/// A part of a stored multipart object, as GetObjectAttributes lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectPart {
    /// Part number (its position in the object, from 1).
    pub number: u32,
    /// Size in bytes.
    pub size: u64,
    /// The part's checksum, if the upload had an algorithm.
    pub checksum: Option<Checksum>,
}

/// A page of a multipart object's parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectParts {
    /// How many parts the object has.
    pub parts_count: u32,
    /// Marker as requested (0 if none).
    pub part_number_marker: u32,
    /// Last part number of this page.
    pub next_part_number_marker: Option<u32>,
    /// Page size used.
    pub max_parts: usize,
    /// More parts follow.
    pub is_truncated: bool,
    /// The parts of this page. Empty when the parts carry no checksum: S3 lists parts only
    /// for objects uploaded with an additional checksum.
    pub parts: Vec<ObjectPart>,
}

/// What GetObjectAttributes answers (every attribute; the codec writes those asked for).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectAttributesInfo {
    /// ETag without quotes.
    pub etag: String,
    /// Last modification time.
    pub last_modified: SystemTime,
    /// Size in bytes.
    pub size: u64,
    /// Storage class, if one was set.
    pub storage_class: Option<String>,
    /// The whole object's checksum, if it has one.
    pub checksum: Option<ObjectChecksum>,
    /// The parts, for an object assembled by a multipart upload.
    pub parts: Option<ObjectParts>,
}

/// A result of a DeleteObjects entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteOutcome {
    /// Key.
    pub key: String,
    /// `None` when deleted; the error otherwise.
    pub error: Option<crate::error::ErrorCode>,
}

/// What the service answers on success.
#[derive(Debug, Clone)]
#[allow(missing_docs)]
pub enum Output {
    /// Nothing beyond the status (create/delete bucket, head bucket, delete, abort).
    Empty,
    Buckets(Vec<BucketInfo>),
    Location(Option<String>),
    Versioning,
    Objects(ObjectList),
    Versions(ObjectList),
    Put {
        etag: String,
        checksum: Option<Checksum>,
    },
    Copied {
        etag: String,
        last_modified: SystemTime,
    },
    Object(ObjectBody),
    Attributes(ObjectAttributesInfo, AttributeSet),
    Deleted(Vec<DeleteOutcome>),
    Initiated {
        bucket: String,
        key: String,
        upload_id: String,
        checksum: Option<(ChecksumAlgorithm, ChecksumType)>,
    },
    Part {
        etag: String,
        checksum: Option<Checksum>,
    },
    PartCopied {
        etag: String,
        last_modified: SystemTime,
    },
    Parts(PartList),
    Uploads(UploadList),
    Completed {
        bucket: String,
        key: String,
        etag: String,
        checksum: Option<ObjectChecksum>,
    },
    ApiVersion,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_parse_and_resolve() {
        assert_eq!(RangeSpec::parse("bytes=0-9"), Some(RangeSpec::FromTo(0, 9)));
        assert_eq!(RangeSpec::parse("bytes=5-"), Some(RangeSpec::From(5)));
        assert_eq!(RangeSpec::parse("bytes=-3"), Some(RangeSpec::Suffix(3)));
        assert_eq!(RangeSpec::parse("bytes=-"), None);
        assert_eq!(RangeSpec::parse("bytes=0-1,4-5"), None);
        assert_eq!(RangeSpec::parse("items=0-1"), None);
        assert_eq!(RangeSpec::FromTo(0, 9).resolve(5), Some((0, 5)));
        assert_eq!(RangeSpec::FromTo(5, 9).resolve(5), None);
        assert_eq!(RangeSpec::FromTo(3, 2).resolve(5), None);
        assert_eq!(RangeSpec::Suffix(10).resolve(4), Some((0, 4)));
        assert_eq!(RangeSpec::Suffix(0).resolve(4), None);
        assert_eq!(RangeSpec::From(0).resolve(0), None);
    }

    #[test]
    fn kind_names_round_trip() {
        for k in ALL_KINDS {
            assert_eq!(OpKind::from_name(k.name()), Some(k));
        }
    }
}
