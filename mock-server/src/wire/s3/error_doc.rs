//! The S3/OBS error body: `<Error><Code>…</Code><Message>…</Message>…</Error>`.

use std::fmt;

use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The `<Error>` document of S3 and OBS (root element `Error`, no namespace).
///
/// Named `ErrorDocument` rather than `Error` so it is not mistaken for an error type.
/// Rendered as `Code, Message, <extras in order>, Resource, RequestId, HostId`, matching the
/// captures, e.g.
/// `<Error><Code>NoSuchUpload</Code><Message>…</Message><UploadId>x</UploadId><Resource>/b/k</Resource><RequestId>…</RequestId><HostId>…</HostId></Error>`.
///
/// Extras are free-form elements such as `UploadId`, `ArgumentName`, `ArgumentValue`,
/// `PartNumber`, `ETag`, `ProposedSize`, `MinSizeAllowed`, `BucketName`, `Key`,
/// `StringToSign`, `CanonicalRequest`. An extra whose name is not a plain XML name
/// (ASCII letter or `_` first, then letters, digits, `_`, `-`, `.`) or that repeats one of
/// the fixed elements is not rendered. Parsing keeps every unknown child element with text
/// content as an extra, in document order; child elements with element content are skipped.
///
/// ```
/// use mock_server::wire::s3::ErrorDocument;
/// use mock_server::wire::xml::XmlDocument;
///
/// let doc = ErrorDocument::new("NoSuchUpload", "The specified upload does not exist.")
///     .with_extra("UploadId", "nonexistent")
///     .with_resource("/b/k")
///     .with_request_id("REQ");
/// let xml = doc.to_xml();
/// assert!(xml.ends_with("<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message>\
/// <UploadId>nonexistent</UploadId><Resource>/b/k</Resource><RequestId>REQ</RequestId></Error>"));
/// let back = ErrorDocument::from_xml(xml.as_bytes(), 1 << 16).unwrap();
/// assert_eq!(back.extra("UploadId"), Some("nonexistent"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorDocument {
    /// `Code`, e.g. `NoSuchUpload`.
    pub code: String,
    /// `Message`.
    pub message: String,
    /// Extra elements written between `Message` and `Resource`, in order.
    pub extra: Vec<(String, String)>,
    /// `Resource`: the request path.
    pub resource: Option<String>,
    /// `RequestId` (same value as the request-id header).
    pub request_id: Option<String>,
    /// `HostId` (same value as `x-amz-id-2`).
    pub host_id: Option<String>,
}

const FIXED: [&str; 5] = ["Code", "Message", "Resource", "RequestId", "HostId"];

impl ErrorDocument {
    /// An error with code and message only.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            ..Self::default()
        }
    }

    /// Appends an extra element (builder style).
    pub fn with_extra(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra.push((name.into(), value.into()));
        self
    }

    /// Sets `Resource` (builder style).
    pub fn with_resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    /// Sets `RequestId` (builder style).
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = Some(request_id.into());
        self
    }

    /// Sets `HostId` (builder style).
    pub fn with_host_id(mut self, host_id: impl Into<String>) -> Self {
        self.host_id = Some(host_id.into());
        self
    }

    /// The value of the first extra element called `name`.
    pub fn extra(&self, name: &str) -> Option<&str> {
        self.extra
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// True for names this module renders as extra elements.
pub(crate) fn is_plain_element_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_alphabetic() || b == b'_' => {}
        _ => return false,
    }
    bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        && !name.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("xml"))
}

impl Serialize for ErrorDocument {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("Code", &self.code)?;
        map.serialize_entry("Message", &self.message)?;
        for (name, value) in &self.extra {
            if is_plain_element_name(name) && !FIXED.contains(&name.as_str()) {
                map.serialize_entry(name, value)?;
            }
        }
        if let Some(v) = &self.resource {
            map.serialize_entry("Resource", v)?;
        }
        if let Some(v) = &self.request_id {
            map.serialize_entry("RequestId", v)?;
        }
        if let Some(v) = &self.host_id {
            map.serialize_entry("HostId", v)?;
        }
        map.end()
    }
}

/// The text of an element, or `None` if it has child elements.
struct TextValue(Option<String>);

impl<'de> Deserialize<'de> for TextValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TextValue;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("element text")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<TextValue, E> {
                Ok(TextValue(Some(v.to_owned())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<TextValue, E> {
                Ok(TextValue(Some(v)))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<TextValue, E> {
                Ok(TextValue(Some(v.to_string())))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<TextValue, E> {
                Ok(TextValue(Some(v.to_string())))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<TextValue, E> {
                Ok(TextValue(Some(v.to_string())))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<TextValue, E> {
                Ok(TextValue(Some(v.to_string())))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<TextValue, E> {
                Ok(TextValue(Some(String::new())))
            }
            fn visit_none<E: serde::de::Error>(self) -> Result<TextValue, E> {
                Ok(TextValue(Some(String::new())))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TextValue, A::Error> {
                // Either text presented as a map (`$text` key) or element content.
                let mut text = None;
                let mut has_elements = false;
                while let Some(key) = map.next_key::<String>()? {
                    if key == "$text" || key == "$value" {
                        text = map.next_value::<TextValue>()?.0;
                    } else {
                        if !key.starts_with('@') {
                            has_elements = true;
                        }
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(TextValue(if has_elements {
                    None
                } else {
                    Some(text.unwrap_or_default())
                }))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TextValue, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(TextValue(None))
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for ErrorDocument {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ErrorDocument;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an Error element")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = ErrorDocument::default();
                while let Some(key) = map.next_key::<String>()? {
                    if key.starts_with('@') || key.starts_with('$') {
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    }
                    let Some(value) = map.next_value::<TextValue>()?.0 else {
                        continue;
                    };
                    match key.as_str() {
                        "Code" => out.code = value,
                        "Message" => out.message = value,
                        "Resource" => out.resource = Some(value),
                        "RequestId" => out.request_id = Some(value),
                        "HostId" => out.host_id = Some(value),
                        _ => out.extra.push((key, value)),
                    }
                }
                Ok(out)
            }
        }
        deserializer.deserialize_map(V)
    }
}
