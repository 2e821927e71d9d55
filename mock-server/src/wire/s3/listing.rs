//! Listing documents: objects (V1 and V2), object versions, buckets.

use std::fmt;

use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::common::{CommonPrefix, Owner};

/// Response of ListObjects (V1, `GET /{b}`) and ListObjectsV2 (`GET /{b}?list-type=2`).
///
/// One struct for both: V1 sets `marker` (always, `Some("")` when the request had none) and
/// `next_marker`; V2 sets `key_count` and, as applicable, `continuation_token`,
/// `next_continuation_token`, `start_after`. Unset optional elements are not written.
/// Element order follows the captures and S3: `Name, Prefix, Marker, ContinuationToken,
/// NextMarker, NextContinuationToken, StartAfter, KeyCount, MaxKeys, Delimiter, IsTruncated,
/// Contents*, CommonPrefixes*, EncodingType`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListBucketResult {
    /// `Name`: the bucket.
    #[serde(rename = "Name", default)]
    pub name: String,
    /// `Prefix` (S3 always writes it, empty when none was given).
    #[serde(rename = "Prefix", default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// `Marker` (V1).
    #[serde(rename = "Marker", default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
    /// `ContinuationToken` (V2, echo of the request's token).
    #[serde(
        rename = "ContinuationToken",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub continuation_token: Option<String>,
    /// `NextMarker` (V1, when truncated and a delimiter was given).
    #[serde(
        rename = "NextMarker",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub next_marker: Option<String>,
    /// `NextContinuationToken` (V2, when truncated).
    #[serde(
        rename = "NextContinuationToken",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub next_continuation_token: Option<String>,
    /// `StartAfter` (V2, echo of the request's `start-after`).
    #[serde(
        rename = "StartAfter",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub start_after: Option<String>,
    /// `KeyCount` (V2): number of `Contents` plus `CommonPrefixes` returned.
    #[serde(rename = "KeyCount", default, skip_serializing_if = "Option::is_none")]
    pub key_count: Option<u32>,
    /// `MaxKeys`: the page size used.
    #[serde(rename = "MaxKeys", default)]
    pub max_keys: u32,
    /// `Delimiter`.
    #[serde(rename = "Delimiter", default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// `IsTruncated`.
    #[serde(rename = "IsTruncated", default)]
    pub is_truncated: bool,
    /// The `Contents` elements, by key.
    #[serde(rename = "Contents", default)]
    pub contents: Vec<Object>,
    /// The `CommonPrefixes` elements.
    #[serde(rename = "CommonPrefixes", default)]
    pub common_prefixes: Vec<CommonPrefix>,
    /// `EncodingType` (`url`): when set, keys, prefixes, delimiter and markers are URL-encoded.
    #[serde(
        rename = "EncodingType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub encoding_type: Option<String>,
}

/// One `<Contents>` entry of a [`ListBucketResult`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Object {
    /// `Key` (required).
    #[serde(rename = "Key")]
    pub key: String,
    /// `LastModified`, ISO 8601.
    #[serde(rename = "LastModified", default)]
    pub last_modified: String,
    /// `ETag`, quoted.
    #[serde(rename = "ETag", default)]
    pub etag: String,
    /// `Size` in bytes.
    #[serde(rename = "Size", default)]
    pub size: u64,
    /// `Owner` (V1 always, V2 with `fetch-owner`).
    #[serde(rename = "Owner", default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
    /// `StorageClass`.
    #[serde(
        rename = "StorageClass",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub storage_class: Option<String>,
    /// `ChecksumAlgorithm` the object was stored with.
    #[serde(
        rename = "ChecksumAlgorithm",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_algorithm: Option<String>,
}

/// Response of ListObjectVersions (`GET /{b}?versions`). For an unversioned bucket every
/// object appears once as a [`VersionEntry::Version`] with `VersionId` `null`.
///
/// `Version` and `DeleteMarker` elements are interleaved in key order, so `entries` keeps
/// both kinds in one list; the hand-written deserializer accepts any interleaving, any
/// element order and ignores unknown elements.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ListVersionsResult {
    /// `Name`: the bucket.
    #[serde(rename = "Name")]
    pub name: String,
    /// `Prefix`.
    #[serde(rename = "Prefix", skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// `KeyMarker`: the request's `key-marker`.
    #[serde(rename = "KeyMarker")]
    pub key_marker: String,
    /// `VersionIdMarker`: the request's `version-id-marker`.
    #[serde(rename = "VersionIdMarker")]
    pub version_id_marker: String,
    /// `NextKeyMarker` (when truncated).
    #[serde(rename = "NextKeyMarker", skip_serializing_if = "Option::is_none")]
    pub next_key_marker: Option<String>,
    /// `NextVersionIdMarker` (when truncated).
    #[serde(
        rename = "NextVersionIdMarker",
        skip_serializing_if = "Option::is_none"
    )]
    pub next_version_id_marker: Option<String>,
    /// `MaxKeys`.
    #[serde(rename = "MaxKeys")]
    pub max_keys: u32,
    /// `Delimiter`.
    #[serde(rename = "Delimiter", skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// `IsTruncated`.
    #[serde(rename = "IsTruncated")]
    pub is_truncated: bool,
    /// `Version` and `DeleteMarker` elements in document order.
    #[serde(rename = "$value")]
    pub entries: Vec<VersionEntry>,
    /// The `CommonPrefixes` elements.
    #[serde(rename = "CommonPrefixes")]
    pub common_prefixes: Vec<CommonPrefix>,
    /// `EncodingType` (`url`).
    #[serde(rename = "EncodingType", skip_serializing_if = "Option::is_none")]
    pub encoding_type: Option<String>,
}

/// A `<Version>` or `<DeleteMarker>` of a [`ListVersionsResult`]; the variant name is the
/// element name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum VersionEntry {
    /// `<Version>`: a stored object version.
    Version(ObjectVersion),
    /// `<DeleteMarker>`.
    DeleteMarker(DeleteMarkerEntry),
}

impl VersionEntry {
    /// The entry's key.
    pub fn key(&self) -> &str {
        match self {
            VersionEntry::Version(v) => &v.key,
            VersionEntry::DeleteMarker(d) => &d.key,
        }
    }

    pub(crate) fn key_mut(&mut self) -> &mut String {
        match self {
            VersionEntry::Version(v) => &mut v.key,
            VersionEntry::DeleteMarker(d) => &mut d.key,
        }
    }
}

/// Content of a `<Version>` element.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectVersion {
    /// `Key` (required).
    #[serde(rename = "Key")]
    pub key: String,
    /// `VersionId`: `null` for objects of unversioned buckets.
    #[serde(rename = "VersionId", default)]
    pub version_id: String,
    /// `IsLatest`.
    #[serde(rename = "IsLatest", default)]
    pub is_latest: bool,
    /// `LastModified`, ISO 8601.
    #[serde(rename = "LastModified", default)]
    pub last_modified: String,
    /// `ETag`, quoted.
    #[serde(rename = "ETag", default)]
    pub etag: String,
    /// `Size` in bytes.
    #[serde(rename = "Size", default)]
    pub size: u64,
    /// `StorageClass`.
    #[serde(
        rename = "StorageClass",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub storage_class: Option<String>,
    /// `Owner`.
    #[serde(rename = "Owner", default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
}

/// Content of a `<DeleteMarker>` element.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteMarkerEntry {
    /// `Key` (required).
    #[serde(rename = "Key")]
    pub key: String,
    /// `VersionId`.
    #[serde(rename = "VersionId", default)]
    pub version_id: String,
    /// `IsLatest`.
    #[serde(rename = "IsLatest", default)]
    pub is_latest: bool,
    /// `LastModified`, ISO 8601.
    #[serde(rename = "LastModified", default)]
    pub last_modified: String,
    /// `Owner`.
    #[serde(rename = "Owner", default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
}

const LIST_VERSIONS_FIELDS: &[&str] = &[
    "Name",
    "Prefix",
    "KeyMarker",
    "VersionIdMarker",
    "NextKeyMarker",
    "NextVersionIdMarker",
    "MaxKeys",
    "Delimiter",
    "IsTruncated",
    "Version",
    "DeleteMarker",
    "CommonPrefixes",
    "EncodingType",
];

impl<'de> Deserialize<'de> for ListVersionsResult {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ListVersionsResult;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a ListVersionsResult element")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = ListVersionsResult::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "Name" => out.name = map.next_value()?,
                        "Prefix" => out.prefix = Some(map.next_value()?),
                        "KeyMarker" => out.key_marker = map.next_value()?,
                        "VersionIdMarker" => out.version_id_marker = map.next_value()?,
                        "NextKeyMarker" => out.next_key_marker = Some(map.next_value()?),
                        "NextVersionIdMarker" => {
                            out.next_version_id_marker = Some(map.next_value()?)
                        }
                        "MaxKeys" => out.max_keys = map.next_value()?,
                        "Delimiter" => out.delimiter = Some(map.next_value()?),
                        "IsTruncated" => out.is_truncated = map.next_value()?,
                        "Version" => out.entries.push(VersionEntry::Version(map.next_value()?)),
                        "DeleteMarker" => out
                            .entries
                            .push(VersionEntry::DeleteMarker(map.next_value()?)),
                        "CommonPrefixes" => out.common_prefixes.push(map.next_value()?),
                        "EncodingType" => out.encoding_type = Some(map.next_value()?),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(out)
            }
        }
        deserializer.deserialize_struct("ListVersionsResult", LIST_VERSIONS_FIELDS, V)
    }
}

/// Response of ListBuckets (`GET /`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListAllMyBucketsResult {
    /// `Owner`.
    #[serde(rename = "Owner", default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
    /// `Buckets`: the wrapper around the `Bucket` elements (always written).
    #[serde(rename = "Buckets", default)]
    pub buckets: Buckets,
    /// `ContinuationToken` (paginated ListBuckets).
    #[serde(
        rename = "ContinuationToken",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub continuation_token: Option<String>,
    /// `Prefix` (paginated ListBuckets).
    #[serde(rename = "Prefix", default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

/// The `<Buckets>` wrapper of [`ListAllMyBucketsResult`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Buckets {
    /// The `Bucket` elements.
    #[serde(rename = "Bucket", default)]
    pub buckets: Vec<Bucket>,
}

/// One `<Bucket>` of [`ListAllMyBucketsResult`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    /// `Name` (required).
    #[serde(rename = "Name")]
    pub name: String,
    /// `CreationDate`, ISO 8601.
    #[serde(rename = "CreationDate", default)]
    pub creation_date: String,
    /// `BucketRegion`.
    #[serde(
        rename = "BucketRegion",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub bucket_region: Option<String>,
}
