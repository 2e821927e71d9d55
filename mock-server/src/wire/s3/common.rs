//! Pieces shared by several S3/OBS documents.

use serde::{Deserialize, Deserializer, Serialize};

/// `Owner` and `Initiator` (`<ID>`, `<DisplayName>`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    /// `ID`: canonical user id.
    #[serde(rename = "ID", default)]
    pub id: String,
    /// `DisplayName` (omitted when `None`).
    #[serde(
        rename = "DisplayName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub display_name: Option<String>,
}

impl Owner {
    /// An owner whose id and display name are both `name`.
    pub fn named(name: impl Into<String>) -> Self {
        let name = name.into();
        Self {
            id: name.clone(),
            display_name: Some(name),
        }
    }
}

/// One `<CommonPrefixes><Prefix>…</Prefix></CommonPrefixes>` entry of a listing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommonPrefix {
    /// `Prefix`: the key prefix up to and including the delimiter.
    #[serde(rename = "Prefix", default)]
    pub prefix: String,
}

impl CommonPrefix {
    /// A common prefix entry.
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
        }
    }
}

/// Deserializes a part number from element text (surrounding whitespace allowed), with an
/// error that names the element and quotes the text: `PartNumber: expected an integer
/// between -2^63 and 2^63-1, got "abc"`.
pub(crate) fn de_part_number<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let text = String::deserialize(d)?;
    parse_part_number(&text).map_err(serde::de::Error::custom)
}

/// [`de_part_number`] for optional elements.
pub(crate) fn de_opt_part_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let text = Option::<String>::deserialize(d)?;
    match text {
        None => Ok(None),
        Some(t) if t.trim().is_empty() => Ok(None),
        Some(t) => parse_part_number(&t)
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}

fn parse_part_number(text: &str) -> Result<i64, String> {
    text.trim().parse::<i64>().map_err(|_| {
        format!("PartNumber: expected an integer between -2^63 and 2^63-1, got {text:?}")
    })
}

/// The `Checksum*` elements that are set, as `(element name, value)` pairs in S3's order.
///
/// Documents repeat the five checksum fields instead of sharing a flattened struct, because
/// serde's `flatten` breaks quick-xml's number parsing; this helper serves their accessors.
pub(crate) fn checksum_pairs<'a>(
    crc32: &'a Option<String>,
    crc32c: &'a Option<String>,
    crc64nvme: &'a Option<String>,
    sha1: &'a Option<String>,
    sha256: &'a Option<String>,
) -> Vec<(&'static str, &'a str)> {
    [
        ("ChecksumCRC32", crc32),
        ("ChecksumCRC32C", crc32c),
        ("ChecksumCRC64NVME", crc64nvme),
        ("ChecksumSHA1", sha1),
        ("ChecksumSHA256", sha256),
    ]
    .into_iter()
    .filter_map(|(name, v)| v.as_deref().map(|v| (name, v)))
    .collect()
}
