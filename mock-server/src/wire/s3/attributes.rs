//! The GetObjectAttributes answer (`GET /{b}/{k}?attributes`).

use serde::{Deserialize, Serialize};

use super::common::{de_opt_part_number, de_part_number};

/// Response of GetObjectAttributes: only the attributes asked for in
/// `x-amz-object-attributes` are present. The `ETag` is unquoted, as S3 writes it here.
///
/// ```
/// use mock_server::wire::s3::GetObjectAttributesResponse;
/// use mock_server::wire::xml::XmlDocument;
///
/// let body = br#"<GetObjectAttributesResponse><ETag>abc-2</ETag><ObjectParts><IsTruncated>false</IsTruncated><MaxParts>1000</MaxParts><PartNumberMarker>0</PartNumberMarker><PartsCount>2</PartsCount></ObjectParts><ObjectSize>9</ObjectSize></GetObjectAttributesResponse>"#;
/// let r = GetObjectAttributesResponse::from_xml(body, 1 << 20).unwrap();
/// assert_eq!(r.etag.as_deref(), Some("abc-2"));
/// assert_eq!(r.object_parts.unwrap().parts_count, Some(2));
/// assert_eq!(r.object_size, Some(9));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetObjectAttributesResponse {
    /// `ETag`, unquoted.
    #[serde(rename = "ETag", default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// `Checksum`: the object's checksum and its type.
    #[serde(rename = "Checksum", default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<AttributesChecksum>,
    /// `ObjectParts`: a page of the parts of a multipart object.
    #[serde(
        rename = "ObjectParts",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub object_parts: Option<AttributesParts>,
    /// `StorageClass`.
    #[serde(
        rename = "StorageClass",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub storage_class: Option<String>,
    /// `ObjectSize` in bytes.
    #[serde(
        rename = "ObjectSize",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub object_size: Option<u64>,
}

/// `<Checksum>` of a [`GetObjectAttributesResponse`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributesChecksum {
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
    /// `ChecksumType`: `COMPOSITE` or `FULL_OBJECT`.
    #[serde(
        rename = "ChecksumType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_type: Option<String>,
}

/// `<ObjectParts>` of a [`GetObjectAttributesResponse`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributesParts {
    /// `IsTruncated`: more parts follow.
    #[serde(rename = "IsTruncated", default)]
    pub is_truncated: bool,
    /// `MaxParts`: the page size used.
    #[serde(rename = "MaxParts", default)]
    pub max_parts: u32,
    /// `NextPartNumberMarker`: the last part number of this page.
    #[serde(
        rename = "NextPartNumberMarker",
        default,
        deserialize_with = "de_opt_part_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub next_part_number_marker: Option<i64>,
    /// `PartNumberMarker`: the request's marker (0 if none).
    #[serde(rename = "PartNumberMarker", default)]
    pub part_number_marker: i64,
    /// The `Part` elements (only for objects uploaded with an additional checksum).
    #[serde(rename = "Part", default)]
    pub parts: Vec<AttributesPart>,
    /// `PartsCount`: how many parts the object has.
    #[serde(
        rename = "PartsCount",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub parts_count: Option<u32>,
}

/// One `<Part>` of [`AttributesParts`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributesPart {
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
    /// `PartNumber`.
    #[serde(rename = "PartNumber", deserialize_with = "de_part_number")]
    pub part_number: i64,
    /// `Size` in bytes.
    #[serde(rename = "Size", default)]
    pub size: u64,
}
