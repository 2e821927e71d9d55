//! Bounded XML parsing and rendering for the S3/OBS documents.
//!
//! # Parsing hostile input
//!
//! [`parse_xml`] first checks the size and UTF-8, then scans the whole text with quick-xml's
//! pull reader ([`prescan`]) and only then hands it to serde. The scan refuses:
//!
//! * bodies longer than the caller's `max_bytes` ([`WireError::TooLarge`]),
//! * anything that is not UTF-8, or declares another encoding,
//! * `<!DOCTYPE ...>` — so no entity can ever be declared ("billion laughs" and external
//!   entities are impossible) — and references to entities other than the five predefined
//!   ones and character references,
//! * nesting deeper than [`DEFAULT_MAX_DEPTH`] (or the bound given to [`parse_xml_with`]),
//! * everything not well-formed: mismatched or missing end tags, a second root element, text
//!   outside the root, an XML declaration after the start, bad attributes, raw control
//!   characters that XML 1.0 forbids (character references to them are accepted, since that
//!   is how S3 writes such keys).
//!
//! The deserializers are tolerant the way SDK parsers are: any namespace (or none, or a
//! prefix), elements in any order, unknown elements and attributes ignored. One limit remains:
//! the occurrences of a repeated element (`Part`, `Contents`, ...) must be adjacent, as every
//! S3 implementation writes them; `Part, Foo, Part` is reported as a duplicate field. Documents
//! whose repeated elements are legitimately interleaved (`ListVersionsResult`,
//! `DeleteResult`) have hand-written deserializers that accept any interleaving.
//!
//! # Rendering
//!
//! [`render_xml`] writes `<?xml version="1.0" encoding="UTF-8"?>`, a newline (as S3 does), and
//! the document on one line, with `xmlns="http://s3.amazonaws.com/doc/2006-03-01/"` on the root
//! unless the document has no namespace (the `Error` root has none). Empty elements are written
//! as `<Tag></Tag>`, `&`, `<` and `>` are escaped, quotes are not (ETags read `"…"`).
//!
//! Text that XML 1.0 cannot carry — C0 control characters other than TAB and LF, U+FFFE and
//! U+FFFF — is written as numeric character references (`&#x1;`), which is what S3 does; CR,
//! U+0085 and U+2028 are written as references too, so that end-of-line normalization does not
//! turn them into LF. quick-xml (and so this module) reads all of these back except `&#x0;`;
//! strict XML 1.0 parsers (expat, used by boto3 and the OBS SDK) refuse every one of them.
//! That is why S3 clients ask for `encoding-type=url` and the server should honour it: see
//! [`crate::wire::s3::encoding`], which percent-encodes keys so that no control character
//! reaches the XML at all.

use std::borrow::Cow;
use std::fmt::Write as _;

use quick_xml::events::Event;
use quick_xml::Reader;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::error::WireError;

/// The S3 namespace, `http://s3.amazonaws.com/doc/2006-03-01/`, put on every S3/OBS response
/// root except `Error`. (Native OBS documents use `http://obs.<region>.<domain>/doc/2015-06-30/`;
/// the OBS SDK strips any namespace before parsing, so the S3 one serves both.)
pub const S3_NAMESPACE: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// The XML declaration written in front of every rendered document (followed by `\n`).
pub const XML_DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

/// Default bound on element nesting (the root is level 1). The deepest S3 document has four
/// levels (`ListVersionsResult/Version/Owner/ID`), so 16 leaves room for extensions while
/// keeping hostile input cheap.
pub const DEFAULT_MAX_DEPTH: usize = 16;

/// A size for request-body limits that fits every legitimate S3 request document: a
/// `CompleteMultipartUpload` of 10,000 parts with two checksums each is about 2.5 MB, a
/// `Delete` of 1,000 keys of 1,024 bytes about 1.1 MB. The service chooses its own limits;
/// this is a suggestion.
pub const SUGGESTED_MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;

/// An S3/OBS XML document with a fixed root element.
///
/// Implemented by every document type in [`crate::wire::s3`].
///
/// ```
/// use mock_server::wire::s3::{CompleteMultipartUpload, CompletedPart};
/// use mock_server::wire::xml::{XmlDocument, SUGGESTED_MAX_REQUEST_BYTES};
///
/// let body = br#"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"abc"</ETag></Part></CompleteMultipartUpload>"#;
/// let doc = CompleteMultipartUpload::from_xml(body, SUGGESTED_MAX_REQUEST_BYTES).unwrap();
/// assert_eq!(doc.parts, vec![CompletedPart::new(1, "\"abc\"")]);
/// assert!(doc.to_xml().starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUpload xmlns="));
/// ```
pub trait XmlDocument: Serialize + DeserializeOwned {
    /// Name of the root element.
    const ROOT: &'static str;
    /// Namespace written on the root when rendering; `None` for `Error`.
    const NAMESPACE: Option<&'static str> = Some(S3_NAMESPACE);

    /// Renders the document with declaration and namespace.
    ///
    /// Rendering the documents of this crate cannot fail (all element names are fixed and
    /// valid; free-form names in [`ErrorDocument`](crate::wire::s3::ErrorDocument) extras are
    /// validated); should a serializer error ever occur, the result is the declaration and
    /// an empty root element. Use [`render_xml`] to see such an error.
    fn to_xml(&self) -> String {
        render_xml(Self::ROOT, Self::NAMESPACE, self)
            .unwrap_or_else(|_| format!("{XML_DECLARATION}\n<{root}></{root}>", root = Self::ROOT))
    }

    /// Parses the document from a body of at most `max_bytes` bytes, checking that the root
    /// element is [`Self::ROOT`] (any namespace). A different root gives
    /// [`WireError::UnexpectedRoot`] — e.g. `Error` inside a 200 answer.
    fn from_xml(body: &[u8], max_bytes: usize) -> Result<Self, WireError> {
        let (text, scan) =
            checked_text(body, max_bytes, DEFAULT_MAX_DEPTH).map_err(|e| match e {
                WireError::Empty { .. } => WireError::Empty {
                    expected: format!("an XML <{}> document", Self::ROOT),
                },
                other => other,
            })?;
        if scan.root != Self::ROOT {
            return Err(WireError::UnexpectedRoot {
                expected: Self::ROOT,
                found: scan.root,
            });
        }
        deserialize(text, &scan.root)
    }
}

/// What [`prescan`] learned about a well-formed document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanSummary {
    /// Local name of the root element (namespace prefix removed).
    pub root: String,
    /// Deepest element nesting seen (the root alone is 1).
    pub max_depth: usize,
    /// Number of elements in the document.
    pub elements: usize,
}

/// Parses an XML body of at most `max_bytes` bytes into `T`, after the safety scan described
/// in the [module documentation](self), with nesting bounded by [`DEFAULT_MAX_DEPTH`].
///
/// The root element's name is not checked (use [`XmlDocument::from_xml`] for that).
pub fn parse_xml<T: DeserializeOwned>(body: &[u8], max_bytes: usize) -> Result<T, WireError> {
    parse_xml_with(body, max_bytes, DEFAULT_MAX_DEPTH)
}

/// [`parse_xml`] with an explicit nesting bound.
pub fn parse_xml_with<T: DeserializeOwned>(
    body: &[u8],
    max_bytes: usize,
    max_depth: usize,
) -> Result<T, WireError> {
    let (text, scan) = checked_text(body, max_bytes, max_depth)?;
    deserialize(text, &scan.root)
}

/// Returns the root element's local name of a body that passes the safety scan, e.g. to tell
/// an `Error` document from a result document before choosing the type to parse.
pub fn root_element(body: &[u8], max_bytes: usize) -> Result<String, WireError> {
    checked_text(body, max_bytes, DEFAULT_MAX_DEPTH).map(|(_, scan)| scan.root)
}

/// Size, UTF-8 and BOM handling, then the scan.
fn checked_text(
    body: &[u8],
    max_bytes: usize,
    max_depth: usize,
) -> Result<(&str, ScanSummary), WireError> {
    if body.len() > max_bytes {
        return Err(WireError::TooLarge {
            limit: max_bytes,
            actual: body.len(),
        });
    }
    let text = std::str::from_utf8(body).map_err(|e| WireError::NotUtf8 {
        valid_up_to: e.valid_up_to(),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let scan = prescan(text, max_depth)?;
    Ok((text, scan))
}

fn deserialize<T: DeserializeOwned>(text: &str, root: &str) -> Result<T, WireError> {
    quick_xml::de::from_str(text).map_err(|e| WireError::Invalid {
        document: root.to_owned(),
        message: e.to_string(),
    })
}

/// Checks that `text` is one well-formed XML element tree without DTD, with only predefined
/// entities and at most `max_depth` levels of nesting. Runs in one pass, allocating only the
/// stack of open element names (at most `max_depth` entries).
pub fn prescan(text: &str, max_depth: usize) -> Result<ScanSummary, WireError> {
    if let Some(pos) = text
        .bytes()
        .position(|b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
    {
        let code = text.as_bytes().get(pos).copied().unwrap_or_default();
        return Err(WireError::Malformed {
            format: "XML",
            position: pos as u64,
            message: format!(
                "expected XML 1.0 characters, got the raw control character U+{code:04X} \
                 (only character references like &#x{code:X}; may carry it)"
            ),
        });
    }
    let mut reader = Reader::from_str(text);
    {
        let config = reader.config_mut();
        config.check_end_names = true;
        config.expand_empty_elements = false;
        config.trim_text(false);
    }
    let malformed = |position: u64, message: String| WireError::Malformed {
        format: "XML",
        position,
        message,
    };

    let mut open: Vec<String> = Vec::new();
    let mut root: Option<String> = None;
    let mut max_seen = 0usize;
    let mut elements = 0usize;
    let mut seen_anything = false;

    loop {
        let position = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| malformed(reader.error_position(), e.to_string()))?;
        match event {
            Event::Decl(decl) => {
                if seen_anything {
                    return Err(malformed(
                        position,
                        "expected the XML declaration at the very start, got it later".into(),
                    ));
                }
                if let Some(enc) = decl.encoding() {
                    let enc = enc.map_err(|e| malformed(position, e.to_string()))?;
                    if !enc.eq_ignore_ascii_case(b"utf-8") {
                        return Err(WireError::UnsupportedEncoding {
                            declared: String::from_utf8_lossy(&enc).into_owned(),
                        });
                    }
                }
            }
            Event::DocType(_) => return Err(WireError::DoctypeForbidden { position }),
            Event::Start(ref start) | Event::Empty(ref start) => {
                let is_empty = matches!(event, Event::Empty(_));
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                if open.is_empty() {
                    if let Some(first) = &root {
                        return Err(malformed(
                            position,
                            format!(
                                "expected a single root element, got <{name}> after </{first}>"
                            ),
                        ));
                    }
                    root = Some(name.clone());
                }
                let depth = open.len() + 1;
                if depth > max_depth {
                    return Err(WireError::TooDeep {
                        limit: max_depth,
                        position,
                    });
                }
                max_seen = max_seen.max(depth);
                elements += 1;
                for attr in start.attributes() {
                    let attr = attr.map_err(|e| malformed(position, e.to_string()))?;
                    attr.decode_and_unescape_value(reader.decoder())
                        .map_err(|e| malformed(position, e.to_string()))?;
                }
                if !is_empty {
                    open.push(name);
                }
            }
            Event::End(_) => {
                // quick-xml has already checked that the name matches the open element.
                open.pop();
            }
            Event::Text(ref t) => {
                if open.is_empty() && !t.iter().all(|b| b.is_ascii_whitespace()) {
                    return Err(malformed(
                        position,
                        "expected only whitespace outside the root element, got text".into(),
                    ));
                }
            }
            Event::CData(_) => {
                if open.is_empty() {
                    return Err(malformed(
                        position,
                        "expected only whitespace outside the root element, got CDATA".into(),
                    ));
                }
            }
            Event::GeneralRef(ref r) => {
                if open.is_empty() {
                    return Err(malformed(
                        position,
                        "expected only whitespace outside the root element, got a reference".into(),
                    ));
                }
                if r.is_char_ref() {
                    r.resolve_char_ref()
                        .map_err(|e| malformed(position, e.to_string()))?;
                } else {
                    let name = String::from_utf8_lossy(r.as_ref());
                    if !matches!(name.as_ref(), "lt" | "gt" | "amp" | "apos" | "quot") {
                        return Err(WireError::UnknownEntity {
                            name: name.into_owned(),
                            position,
                        });
                    }
                }
            }
            Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => {
                if let Some(inner) = open.last() {
                    return Err(WireError::Truncated {
                        expected: format!("</{inner}>"),
                    });
                }
                return match root {
                    Some(root) => Ok(ScanSummary {
                        root,
                        max_depth: max_seen,
                        elements,
                    }),
                    None => Err(WireError::Empty {
                        expected: "an XML document".into(),
                    }),
                };
            }
        }
        seen_anything = true;
    }
}

/// Renders `doc` as the XML document `<root>` with the declaration and, if given, a default
/// namespace on the root; see the [module documentation](self) for escaping.
pub fn render_xml<T: Serialize + ?Sized>(
    root: &str,
    namespace: Option<&str>,
    doc: &T,
) -> Result<String, WireError> {
    let render_err = |message: String| WireError::Render {
        document: root.to_owned(),
        message,
    };
    let mut body = String::with_capacity(256);
    let mut ser = quick_xml::se::Serializer::with_root(&mut body, Some(root))
        .map_err(|e| render_err(e.to_string()))?;
    ser.expand_empty_elements(true);
    doc.serialize(ser).map_err(|e| render_err(e.to_string()))?;

    let mut out = String::with_capacity(XML_DECLARATION.len() + body.len() + 64);
    out.push_str(XML_DECLARATION);
    out.push('\n');
    let open_tag_len = 1 + root.len();
    match namespace {
        Some(ns) if body.starts_with('<') && body.get(1..open_tag_len) == Some(root) => {
            out.push_str(&body[..open_tag_len]);
            out.push_str(" xmlns=\"");
            out.push_str(&escape_text(ns));
            out.push('"');
            push_xml10_safe(&mut out, &body[open_tag_len..]);
        }
        Some(_) => {
            return Err(render_err(format!(
                "expected the output to start with <{root}, got {:?}",
                body.get(..open_tag_len.min(body.len())).unwrap_or("")
            )))
        }
        None => push_xml10_safe(&mut out, &body),
    }
    Ok(out)
}

/// Escapes `&`, `<`, `>` and `"` for use in text or a double-quoted attribute.
fn escape_text(s: &str) -> Cow<'_, str> {
    quick_xml::escape::escape(s)
}

/// True for characters that must be written as a character reference: not allowed by XML 1.0
/// (C0 controls except TAB, LF, CR; U+FFFE; U+FFFF) or changed by end-of-line normalization
/// (CR, U+0085, U+2028).
fn needs_char_ref(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{d}' | '\u{e}'..='\u{1f}'
        | '\u{85}' | '\u{2028}' | '\u{fffe}' | '\u{ffff}')
}

/// Appends serializer output, replacing the characters of [`needs_char_ref`] with `&#xN;`.
/// The serializer's markup is ASCII without control characters, so only text is affected.
fn push_xml10_safe(out: &mut String, s: &str) {
    let mut rest = s;
    while let Some(pos) = rest.find(needs_char_ref) {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        let mut chars = tail.chars();
        if let Some(c) = chars.next() {
            // Writing to a String cannot fail.
            let _ = write!(out, "&#x{:X};", u32::from(c));
        }
        rest = chars.as_str();
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Doc {
        #[serde(rename = "Key")]
        key: String,
        #[serde(rename = "N", default, skip_serializing_if = "Option::is_none")]
        n: Option<i64>,
    }

    #[test]
    fn render_has_declaration_namespace_and_one_line() {
        let out = render_xml(
            "Doc",
            Some(S3_NAMESPACE),
            &Doc {
                key: "a&b<c>\"d'".into(),
                n: Some(3),
            },
        )
        .unwrap();
        assert_eq!(
            out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Doc xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
             <Key>a&amp;b&lt;c&gt;\"d'</Key><N>3</N></Doc>"
        );
        let back: Doc = parse_xml(out.as_bytes(), 1024).unwrap();
        assert_eq!(back.key, "a&b<c>\"d'");
    }

    #[test]
    fn render_without_namespace() {
        let out = render_xml(
            "Doc",
            None,
            &Doc {
                key: String::new(),
                n: None,
            },
        )
        .unwrap();
        assert!(out.ends_with("\n<Doc><Key></Key></Doc>"), "{out}");
    }

    #[test]
    fn control_characters_become_references_and_round_trip() {
        let key: String = (1u32..0x20)
            .filter_map(char::from_u32)
            .chain("a\r\nb\u{85}\u{2028} z ".chars())
            .collect();
        let out = render_xml(
            "Doc",
            Some(S3_NAMESPACE),
            &Doc {
                key: key.clone(),
                n: None,
            },
        )
        .unwrap();
        assert!(out.contains("&#x1;"), "{out}");
        assert!(out.contains("&#xD;"), "CR must be a reference: {out}");
        assert!(out.contains("&#x85;") && out.contains("&#x2028;"), "{out}");
        assert!(
            !out.chars()
                .any(|c| c != '\n' && c != '\t' && c.is_control()),
            "no raw control characters may remain: {out:?}"
        );
        let back: Doc = parse_xml(out.as_bytes(), 4096).unwrap();
        assert_eq!(
            back.key, key,
            "leading/trailing spaces and controls survive"
        );
    }

    #[test]
    fn nul_is_written_as_reference_which_quick_xml_refuses() {
        let out = render_xml(
            "Doc",
            None,
            &Doc {
                key: "a\0b".into(),
                n: None,
            },
        )
        .unwrap();
        assert!(out.contains("a&#x0;b"), "{out}");
        assert!(parse_xml::<Doc>(out.as_bytes(), 4096).is_err());
    }

    #[test]
    fn scan_summary() {
        let s = prescan(
            "<?xml version='1.0'?><!-- c --><A x='1'><B><C/></B><B/></A>\n",
            8,
        )
        .unwrap();
        assert_eq!(
            s,
            ScanSummary {
                root: "A".into(),
                max_depth: 3,
                elements: 4
            }
        );
        assert_eq!(prescan("<s3:A xmlns:s3='u'/>", 8).unwrap().root, "A");
    }

    #[test]
    fn scan_refusals() {
        let cases: &[(&str, &str)] = &[
            ("", "expected an XML document, got an empty body"),
            ("  <!-- only a comment -->  ", "empty body"),
            ("<A><B></A>", "malformed XML"),
            ("<A></A><B/>", "single root"),
            ("hello<A/>", "outside the root"),
            ("<A/>trailing", "outside the root"),
            ("<A/>&amp;", "outside the root"),
            ("<A><B>", "expected </B>"),
            ("<A>&nbsp;</A>", "got &nbsp;"),
            ("<A>&#xFFFFFFFF;</A>", "malformed XML"),
            (" <?xml version='1.0'?><A/>", "very start"),
            (
                "<?xml version='1.0' encoding='ISO-8859-1'?><A/>",
                "ISO-8859-1",
            ),
            ("<A b='1' b='2'/>", "malformed XML"),
            ("<A b='&foo;'/>", "malformed XML"),
            ("<!DOCTYPE A><A/>", "DOCTYPE"),
            ("<A>a\u{1}b</A>", "raw control character U+0001"),
            ("<A>\0</A>", "U+0000"),
        ];
        for (input, want) in cases {
            let err = prescan(input, 8).unwrap_err().to_string();
            assert!(
                err.contains(want),
                "{input:?}: {err:?} should mention {want:?}"
            );
        }
    }

    #[test]
    fn depth_bound_is_exact() {
        let nested = |n: usize| "<a>".repeat(n) + &"</a>".repeat(n);
        assert!(prescan(&nested(8), 8).is_ok());
        assert!(matches!(
            prescan(&nested(9), 8),
            Err(WireError::TooDeep { limit: 8, .. })
        ));
        // An empty element counts as a level too.
        assert!(prescan(&("<a>".repeat(7) + "<b/>" + &"</a>".repeat(7)), 8).is_ok());
        assert!(prescan(&("<a>".repeat(8) + "<b/>" + &"</a>".repeat(8)), 8).is_err());
    }

    #[test]
    fn bom_is_skipped_and_size_is_checked_first() {
        let body = "\u{feff}<Doc><Key>k</Key></Doc>";
        let doc: Doc = parse_xml(body.as_bytes(), 100).unwrap();
        assert_eq!(doc.key, "k");
        assert_eq!(
            parse_xml::<Doc>(body.as_bytes(), 10).unwrap_err(),
            WireError::TooLarge {
                limit: 10,
                actual: body.len()
            }
        );
    }
}
