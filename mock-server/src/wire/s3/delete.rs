//! DeleteObjects (`POST /{b}?delete`): the `Delete` request and the `DeleteResult` response.

use std::fmt;

use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// Request body of DeleteObjects:
/// `<Delete><Object><Key>k</Key></Object>…<Quiet>true</Quiet></Delete>`.
///
/// `Quiet` may come before or after the objects; the `Object` elements must be adjacent.
/// The 1,000-key limit is the service's job.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delete {
    /// The `Object` elements in document order.
    #[serde(rename = "Object", default)]
    pub objects: Vec<ObjectIdentifier>,
    /// `Quiet`: report only errors. Absent means `false`.
    #[serde(rename = "Quiet", default)]
    pub quiet: bool,
}

/// One `<Object>` of a [`Delete`] request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectIdentifier {
    /// `Key` (required; kept exactly, including leading and trailing spaces).
    #[serde(rename = "Key")]
    pub key: String,
    /// `VersionId`.
    #[serde(rename = "VersionId", default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
}

impl ObjectIdentifier {
    /// An identifier without version.
    pub fn new(key: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            version_id: None,
        }
    }
}

/// Response of DeleteObjects. Rendered as all `Deleted` elements, then all `Error` elements;
/// parsed from any interleaving of the two.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeleteResult {
    /// The `Deleted` elements (omitted entirely in quiet mode).
    #[serde(rename = "Deleted")]
    pub deleted: Vec<DeletedObject>,
    /// The `Error` elements.
    #[serde(rename = "Error")]
    pub errors: Vec<DeleteError>,
}

/// One `<Deleted>` of a [`DeleteResult`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedObject {
    /// `Key`.
    #[serde(rename = "Key", default)]
    pub key: String,
    /// `VersionId`.
    #[serde(rename = "VersionId", default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// `DeleteMarker`.
    #[serde(
        rename = "DeleteMarker",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub delete_marker: Option<bool>,
    /// `DeleteMarkerVersionId`.
    #[serde(
        rename = "DeleteMarkerVersionId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub delete_marker_version_id: Option<String>,
}

/// One `<Error>` of a [`DeleteResult`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteError {
    /// `Key`.
    #[serde(rename = "Key", default)]
    pub key: String,
    /// `VersionId`.
    #[serde(rename = "VersionId", default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// `Code`, e.g. `AccessDenied`.
    #[serde(rename = "Code", default)]
    pub code: String,
    /// `Message`.
    #[serde(rename = "Message", default)]
    pub message: String,
}

impl<'de> Deserialize<'de> for DeleteResult {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DeleteResult;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a DeleteResult element")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = DeleteResult::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "Deleted" => out.deleted.push(map.next_value()?),
                        "Error" => out.errors.push(map.next_value()?),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(out)
            }
        }
        deserializer.deserialize_struct("DeleteResult", &["Deleted", "Error"], V)
    }
}
