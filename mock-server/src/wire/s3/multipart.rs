//! Multipart upload documents: the `CompleteMultipartUpload` request and the results of
//! initiate, copy part, list parts, list uploads and complete.

use serde::{Deserialize, Serialize};

use super::common::{checksum_pairs, de_opt_part_number, de_part_number, CommonPrefix, Owner};

/// Request body of CompleteMultipartUpload:
/// `<CompleteMultipartUpload><Part>…</Part>…</CompleteMultipartUpload>`.
///
/// Parsing accepts what all captured clients send: boto3's namespaced form with `ETag` before
/// `PartNumber` and `ChecksumCRC32` elements, boto3's low-level form with `PartNumber` first,
/// and ObsClient's form without namespace or declaration. Unknown elements are ignored.
///
/// **Part numbers** are `i64`. A `PartNumber` that is not an integer (or does not fit in
/// `i64`) makes the whole document [`Invalid`](crate::wire::WireError::Invalid) with a message
/// quoting the text — the server answers `MalformedXML`, as S3 does for a body that does not
/// match its schema. Numbers outside 1…10000 (S3/OBS) parse fine; rejecting them
/// (`InvalidArgument`/`InvalidPart`) is the service's job, as are order, duplicates, and the
/// number of parts (10,001 parts parse).
///
/// Rendering writes `PartNumber`, `ETag`, then the checksums that are set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompleteMultipartUpload {
    /// The `Part` elements in document order (not sorted, not de-duplicated).
    #[serde(rename = "Part", default)]
    pub parts: Vec<CompletedPart>,
}

/// One `<Part>` of a [`CompleteMultipartUpload`] request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletedPart {
    /// `PartNumber` (required).
    #[serde(rename = "PartNumber", deserialize_with = "de_part_number")]
    pub part_number: i64,
    /// `ETag` (required), exactly as sent: usually with quotes (`"…"`), sometimes without.
    #[serde(rename = "ETag")]
    pub etag: String,
    /// `ChecksumCRC32` (base64), sent by boto3 when UploadPart echoed one.
    #[serde(
        rename = "ChecksumCRC32",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc32: Option<String>,
    /// `ChecksumCRC32C` (base64).
    #[serde(
        rename = "ChecksumCRC32C",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc32c: Option<String>,
    /// `ChecksumCRC64NVME` (base64).
    #[serde(
        rename = "ChecksumCRC64NVME",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc64nvme: Option<String>,
    /// `ChecksumSHA1` (base64).
    #[serde(
        rename = "ChecksumSHA1",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_sha1: Option<String>,
    /// `ChecksumSHA256` (base64).
    #[serde(
        rename = "ChecksumSHA256",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_sha256: Option<String>,
}

impl CompletedPart {
    /// A part with number and ETag and no checksums.
    pub fn new(part_number: i64, etag: impl Into<String>) -> Self {
        Self {
            part_number,
            etag: etag.into(),
            ..Self::default()
        }
    }

    /// The checksums that are set, as `(element name, base64 value)` in S3's order.
    pub fn checksums(&self) -> Vec<(&'static str, &str)> {
        checksum_pairs(
            &self.checksum_crc32,
            &self.checksum_crc32c,
            &self.checksum_crc64nvme,
            &self.checksum_sha1,
            &self.checksum_sha256,
        )
    }
}

/// Response of CreateMultipartUpload (`POST /{b}/{k}?uploads`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitiateMultipartUploadResult {
    /// `Bucket`.
    #[serde(rename = "Bucket", default)]
    pub bucket: String,
    /// `Key`.
    #[serde(rename = "Key", default)]
    pub key: String,
    /// `UploadId` (required when parsing: without it the answer is useless).
    #[serde(rename = "UploadId")]
    pub upload_id: String,
}

/// Response of UploadPartCopy: `<CopyPartResult><LastModified/><ETag/></CopyPartResult>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyPartResult {
    /// `LastModified`, ISO 8601 (see [`crate::wire::time::iso8601`]).
    #[serde(rename = "LastModified", default)]
    pub last_modified: String,
    /// `ETag` of the copied range, quoted (required when parsing).
    #[serde(rename = "ETag")]
    pub etag: String,
    /// `ChecksumCRC32`.
    #[serde(
        rename = "ChecksumCRC32",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc32: Option<String>,
    /// `ChecksumCRC32C`.
    #[serde(
        rename = "ChecksumCRC32C",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc32c: Option<String>,
    /// `ChecksumCRC64NVME`.
    #[serde(
        rename = "ChecksumCRC64NVME",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc64nvme: Option<String>,
    /// `ChecksumSHA1`.
    #[serde(
        rename = "ChecksumSHA1",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_sha1: Option<String>,
    /// `ChecksumSHA256`.
    #[serde(
        rename = "ChecksumSHA256",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_sha256: Option<String>,
}

/// Response of ListParts (`GET /{b}/{k}?uploadId=`), elements in the order S3 writes them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListPartsResult {
    /// `Bucket`.
    #[serde(rename = "Bucket", default)]
    pub bucket: String,
    /// `Key`.
    #[serde(rename = "Key", default)]
    pub key: String,
    /// `UploadId`.
    #[serde(rename = "UploadId", default)]
    pub upload_id: String,
    /// `Initiator` (`ID`, `DisplayName`).
    #[serde(rename = "Initiator", default, skip_serializing_if = "Option::is_none")]
    pub initiator: Option<Owner>,
    /// `Owner`.
    #[serde(rename = "Owner", default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
    /// `StorageClass`, e.g. `STANDARD`.
    #[serde(
        rename = "StorageClass",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub storage_class: Option<String>,
    /// `PartNumberMarker`: the request's `part-number-marker` (0 if none).
    #[serde(
        rename = "PartNumberMarker",
        default,
        deserialize_with = "de_part_number_or_zero"
    )]
    pub part_number_marker: i64,
    /// `NextPartNumberMarker`: the last part number returned.
    #[serde(
        rename = "NextPartNumberMarker",
        default,
        deserialize_with = "de_opt_part_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub next_part_number_marker: Option<i64>,
    /// `MaxParts`: the page size used.
    #[serde(rename = "MaxParts", default)]
    pub max_parts: u32,
    /// `IsTruncated`: true if more parts follow.
    #[serde(rename = "IsTruncated", default)]
    pub is_truncated: bool,
    /// The `Part` elements, ascending by number.
    #[serde(rename = "Part", default)]
    pub parts: Vec<Part>,
    /// `ChecksumAlgorithm` requested at initiate (e.g. `CRC32`).
    #[serde(
        rename = "ChecksumAlgorithm",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_algorithm: Option<String>,
    /// `ChecksumType` (`COMPOSITE` or `FULL_OBJECT`).
    #[serde(
        rename = "ChecksumType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_type: Option<String>,
}

/// `PartNumberMarker` may be empty (`<PartNumberMarker/>`) in some implementations: read as 0.
fn de_part_number_or_zero<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    de_opt_part_number(d).map(Option::unwrap_or_default)
}

/// One `<Part>` of a [`ListPartsResult`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// `PartNumber` (required).
    #[serde(rename = "PartNumber", deserialize_with = "de_part_number")]
    pub part_number: i64,
    /// `LastModified`, ISO 8601.
    #[serde(rename = "LastModified", default)]
    pub last_modified: String,
    /// `ETag`, quoted (required).
    #[serde(rename = "ETag")]
    pub etag: String,
    /// `Size` in bytes.
    #[serde(rename = "Size", default)]
    pub size: u64,
    /// `ChecksumCRC32`.
    #[serde(
        rename = "ChecksumCRC32",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc32: Option<String>,
    /// `ChecksumCRC32C`.
    #[serde(
        rename = "ChecksumCRC32C",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc32c: Option<String>,
    /// `ChecksumCRC64NVME`.
    #[serde(
        rename = "ChecksumCRC64NVME",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc64nvme: Option<String>,
    /// `ChecksumSHA1`.
    #[serde(
        rename = "ChecksumSHA1",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_sha1: Option<String>,
    /// `ChecksumSHA256`.
    #[serde(
        rename = "ChecksumSHA256",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_sha256: Option<String>,
}

impl Part {
    /// The checksums that are set, as `(element name, base64 value)` in S3's order.
    pub fn checksums(&self) -> Vec<(&'static str, &str)> {
        checksum_pairs(
            &self.checksum_crc32,
            &self.checksum_crc32c,
            &self.checksum_crc64nvme,
            &self.checksum_sha1,
            &self.checksum_sha256,
        )
    }
}

/// Response of ListMultipartUploads (`GET /{b}?uploads`).
///
/// The markers are always written (empty when unused, as in the captures); `Prefix`,
/// `Delimiter` and `EncodingType` only when set. With `encoding-type=url`, see
/// [`ListMultipartUploadsResult::url_encode`](crate::wire::s3::encoding).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListMultipartUploadsResult {
    /// `Bucket`.
    #[serde(rename = "Bucket", default)]
    pub bucket: String,
    /// `KeyMarker`: the request's `key-marker`.
    #[serde(rename = "KeyMarker", default)]
    pub key_marker: String,
    /// `UploadIdMarker`: the request's `upload-id-marker`.
    #[serde(rename = "UploadIdMarker", default)]
    pub upload_id_marker: String,
    /// `NextKeyMarker`: key to continue from when truncated.
    #[serde(rename = "NextKeyMarker", default)]
    pub next_key_marker: String,
    /// `NextUploadIdMarker`: upload id to continue from when truncated.
    #[serde(rename = "NextUploadIdMarker", default)]
    pub next_upload_id_marker: String,
    /// `Prefix`.
    #[serde(rename = "Prefix", default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// `Delimiter`.
    #[serde(rename = "Delimiter", default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// `MaxUploads`: the page size used.
    #[serde(rename = "MaxUploads", default)]
    pub max_uploads: u32,
    /// `IsTruncated`.
    #[serde(rename = "IsTruncated", default)]
    pub is_truncated: bool,
    /// The `Upload` elements, by key then initiation time.
    #[serde(rename = "Upload", default)]
    pub uploads: Vec<Upload>,
    /// The `CommonPrefixes` elements.
    #[serde(rename = "CommonPrefixes", default)]
    pub common_prefixes: Vec<CommonPrefix>,
    /// `EncodingType` (`url`): when set, keys, prefixes and key markers are URL-encoded.
    #[serde(
        rename = "EncodingType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub encoding_type: Option<String>,
}

/// One `<Upload>` of a [`ListMultipartUploadsResult`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    /// `Key` (required).
    #[serde(rename = "Key")]
    pub key: String,
    /// `UploadId` (required).
    #[serde(rename = "UploadId")]
    pub upload_id: String,
    /// `Initiator`.
    #[serde(rename = "Initiator", default, skip_serializing_if = "Option::is_none")]
    pub initiator: Option<Owner>,
    /// `Owner`.
    #[serde(rename = "Owner", default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
    /// `StorageClass`.
    #[serde(
        rename = "StorageClass",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub storage_class: Option<String>,
    /// `Initiated`, ISO 8601.
    #[serde(rename = "Initiated", default)]
    pub initiated: String,
    /// `ChecksumAlgorithm` requested at initiate.
    #[serde(
        rename = "ChecksumAlgorithm",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_algorithm: Option<String>,
}

/// Response of a successful CompleteMultipartUpload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompleteMultipartUploadResult {
    /// `Location`: URL of the new object.
    #[serde(rename = "Location", default)]
    pub location: String,
    /// `Bucket`.
    #[serde(rename = "Bucket", default)]
    pub bucket: String,
    /// `Key`.
    #[serde(rename = "Key", default)]
    pub key: String,
    /// `ETag` of the object, quoted, `"…-N"` (required when parsing).
    #[serde(rename = "ETag")]
    pub etag: String,
    /// `ChecksumCRC32`, composite form `base64-N`.
    #[serde(
        rename = "ChecksumCRC32",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc32: Option<String>,
    /// `ChecksumCRC32C`.
    #[serde(
        rename = "ChecksumCRC32C",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc32c: Option<String>,
    /// `ChecksumCRC64NVME`.
    #[serde(
        rename = "ChecksumCRC64NVME",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc64nvme: Option<String>,
    /// `ChecksumSHA1`.
    #[serde(
        rename = "ChecksumSHA1",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_sha1: Option<String>,
    /// `ChecksumSHA256`.
    #[serde(
        rename = "ChecksumSHA256",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_sha256: Option<String>,
    /// `ChecksumType` (`COMPOSITE` or `FULL_OBJECT`).
    #[serde(
        rename = "ChecksumType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_type: Option<String>,
}

/// Response of CopyObject (`PUT /{b}/{k}` with `x-amz-copy-source`); same shape as
/// [`CopyPartResult`] under another root.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyObjectResult {
    /// `LastModified`, ISO 8601.
    #[serde(rename = "LastModified", default)]
    pub last_modified: String,
    /// `ETag` of the new object, quoted (required when parsing).
    #[serde(rename = "ETag")]
    pub etag: String,
    /// `ChecksumType`.
    #[serde(
        rename = "ChecksumType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_type: Option<String>,
    /// `ChecksumCRC32`.
    #[serde(
        rename = "ChecksumCRC32",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc32: Option<String>,
    /// `ChecksumCRC32C`.
    #[serde(
        rename = "ChecksumCRC32C",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc32c: Option<String>,
    /// `ChecksumCRC64NVME`.
    #[serde(
        rename = "ChecksumCRC64NVME",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc64nvme: Option<String>,
    /// `ChecksumSHA1`.
    #[serde(
        rename = "ChecksumSHA1",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_sha1: Option<String>,
    /// `ChecksumSHA256`.
    #[serde(
        rename = "ChecksumSHA256",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_sha256: Option<String>,
}
