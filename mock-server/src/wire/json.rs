//! Bounded JSON parsing and rendering for the QingStor documents.
//!
//! [`parse_json`] checks the size, UTF-8 and an explicit nesting bound ([`DEFAULT_MAX_DEPTH`],
//! far below serde_json's own recursion limit of 128) in one pass over the bytes before
//! serde_json sees the text. Unknown fields are ignored, as QingStor SDKs do.
//!
//! [`render_json`] writes what Python's `json.dumps` writes — `", "` and `": "` separators and
//! non-ASCII characters as `\uXXXX` escapes — which is what the QingStor SDK sends and what
//! the captured responses look like, so output can be compared byte for byte.

use std::io;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::error::WireError;

/// Default bound on JSON nesting (objects and arrays; the outermost object is level 1). The
/// deepest QingStor document has three levels.
pub const DEFAULT_MAX_DEPTH: usize = 16;

/// A QingStor JSON document.
///
/// ```
/// use mock_server::wire::json::JsonDocument;
/// use mock_server::wire::qs_json::{CompleteMultipartUploadInput, CompletePart};
///
/// let body = br#"{"object_parts": [{"part_number": 0}, {"etag": "\"bde0\"", "part_number": 1}]}"#;
/// let doc = CompleteMultipartUploadInput::from_json(body, 1 << 20).unwrap();
/// assert_eq!(doc.object_parts[1], CompletePart { etag: Some("\"bde0\"".into()), part_number: 1 });
/// assert_eq!(doc.to_json().as_bytes(), body);
/// ```
pub trait JsonDocument: Serialize + DeserializeOwned {
    /// Name used in error messages.
    const NAME: &'static str;

    /// Renders the document with Python-style separators (see [`render_json`]).
    ///
    /// The documents of this crate always serialize; should serde_json ever fail, the result
    /// is `{}`. Use [`render_json`] to see such an error.
    fn to_json(&self) -> String {
        render_json(self).unwrap_or_else(|_| String::from("{}"))
    }

    /// Parses the document from a body of at most `max_bytes` bytes (see [`parse_json`]).
    fn from_json(body: &[u8], max_bytes: usize) -> Result<Self, WireError> {
        parse_named(body, max_bytes, DEFAULT_MAX_DEPTH, Self::NAME)
    }
}

/// Parses a JSON body of at most `max_bytes` bytes into `T`, with nesting bounded by
/// [`DEFAULT_MAX_DEPTH`].
pub fn parse_json<T: DeserializeOwned>(body: &[u8], max_bytes: usize) -> Result<T, WireError> {
    parse_json_with(body, max_bytes, DEFAULT_MAX_DEPTH)
}

/// [`parse_json`] with an explicit nesting bound.
pub fn parse_json_with<T: DeserializeOwned>(
    body: &[u8],
    max_bytes: usize,
    max_depth: usize,
) -> Result<T, WireError> {
    let name = std::any::type_name::<T>();
    let short = name.rsplit("::").next().unwrap_or(name);
    parse_named(body, max_bytes, max_depth, short)
}

fn parse_named<T: DeserializeOwned>(
    body: &[u8],
    max_bytes: usize,
    max_depth: usize,
    name: &str,
) -> Result<T, WireError> {
    if body.len() > max_bytes {
        return Err(WireError::TooLarge {
            limit: max_bytes,
            actual: body.len(),
        });
    }
    let text = std::str::from_utf8(body).map_err(|e| WireError::NotUtf8 {
        valid_up_to: e.valid_up_to(),
    })?;
    if text.trim().is_empty() {
        return Err(WireError::Empty {
            expected: format!("a JSON {name} document"),
        });
    }
    check_depth(text.as_bytes(), max_depth)?;
    serde_json::from_str(text).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Eof => WireError::Truncated {
                expected: format!("the rest of the JSON {name} document"),
            },
            Category::Syntax | Category::Io => WireError::Malformed {
                format: "JSON",
                position: byte_offset(text, e.line(), e.column()),
                message: e.to_string(),
            },
            Category::Data => WireError::Invalid {
                document: name.to_owned(),
                message: e.to_string(),
            },
        }
    })
}

/// Fails if arrays/objects nest deeper than `max_depth`; brackets inside strings don't count.
fn check_depth(bytes: &[u8], max_depth: usize) -> Result<(), WireError> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max_depth {
                    return Err(WireError::TooDeep {
                        limit: max_depth,
                        position: i as u64,
                    });
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Byte offset of serde_json's 1-based line and column.
fn byte_offset(text: &str, line: usize, column: usize) -> u64 {
    let before: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (before + column.saturating_sub(1)) as u64
}

/// Renders `doc` as Python's `json.dumps(doc)` would (separators `", "` / `": "`, ASCII only).
pub fn render_json<T: Serialize + ?Sized>(doc: &T) -> Result<String, WireError> {
    let mut out = Vec::with_capacity(128);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, PythonFormatter);
    doc.serialize(&mut ser).map_err(|e| WireError::Render {
        document: "JSON".into(),
        message: e.to_string(),
    })?;
    String::from_utf8(out).map_err(|e| WireError::Render {
        document: "JSON".into(),
        message: e.to_string(),
    })
}

/// `json.dumps` defaults: `", "` and `": "` separators, `ensure_ascii=True`.
struct PythonFormatter;

impl serde_json::ser::Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            w.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            w.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut rest = fragment;
        while let Some(pos) = rest.find(|c: char| !c.is_ascii()) {
            w.write_all(&rest.as_bytes()[..pos])?;
            let tail = &rest[pos..];
            let mut chars = tail.chars();
            if let Some(c) = chars.next() {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(w, "\\u{unit:04x}")?;
                }
            }
            rest = chars.as_str();
        }
        w.write_all(rest.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Doc {
        a: Vec<i64>,
        s: String,
    }

    #[test]
    fn python_style_output() {
        let out = render_json(&Doc {
            a: vec![1, 2],
            s: "é😀\"\n".into(),
        })
        .unwrap();
        assert_eq!(out, r#"{"a": [1, 2], "s": "\u00e9\ud83d\ude00\"\n"}"#);
        let back: Doc = parse_json(out.as_bytes(), 1024).unwrap();
        assert_eq!(back.s, "é😀\"\n");
    }

    #[test]
    fn depth_counts_only_structure() {
        let ok = format!(r#"{{"a": [], "s": "{}"}}"#, "[[[[[[[[[[[[[[[[[[[[");
        assert!(parse_json_with::<Doc>(ok.as_bytes(), 1024, 2).is_ok());
        let deep = "[".repeat(3) + &"]".repeat(3);
        assert!(matches!(
            parse_json_with::<serde_json::Value>(deep.as_bytes(), 1024, 2),
            Err(WireError::TooDeep {
                limit: 2,
                position: 2
            })
        ));
    }

    #[test]
    fn error_kinds() {
        assert!(matches!(
            parse_json::<Doc>(b"   ", 10),
            Err(WireError::Empty { .. })
        ));
        assert!(matches!(
            parse_json::<Doc>(br#"{"a": [1"#, 100),
            Err(WireError::Truncated { .. })
        ));
        let e = parse_json::<Doc>(b"{\n \"a\": [1,,]}", 100).unwrap_err();
        assert!(
            matches!(
                e,
                WireError::Malformed {
                    format: "JSON",
                    position: 11,
                    ..
                }
            ),
            "{e:?}"
        );
        let e = parse_json::<Doc>(br#"{"a": ["x"], "s": ""}"#, 100).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("invalid Doc document: invalid type: string \"x\", expected i64"),
            "{e}"
        );
        assert!(matches!(
            parse_json::<Doc>(b"{\"s\": \"\xff\"}", 100),
            Err(WireError::NotUtf8 { valid_up_to: 7 })
        ));
    }
}
