//! [`WireError`]: everything that can go wrong while reading or writing a wire document.

use thiserror::Error;

/// Why a request or response document could not be parsed or rendered.
///
/// Every message says what was expected and what came instead, so it can be logged or put
/// into a dialect error message as is. The server maps all parse failures of a request body to
/// the dialect's "malformed" error (S3/OBS `MalformedXML`, QingStor `invalid_request`);
/// [`WireError::TooLarge`] may instead become S3's `MaxMessageLengthExceeded`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WireError {
    /// The body is longer than the caller's limit; nothing of it was parsed.
    #[error("expected a body of at most {limit} bytes, got {actual} bytes")]
    TooLarge {
        /// The limit the caller passed.
        limit: usize,
        /// The length of the body.
        actual: usize,
    },

    /// The body is empty or holds only whitespace, comments and declarations.
    #[error("expected {expected}, got an empty body")]
    Empty {
        /// What was expected, e.g. `an XML <CompleteMultipartUpload> document`.
        expected: String,
    },

    /// The body is not valid UTF-8.
    #[error("expected UTF-8 text, got an invalid byte sequence at byte {valid_up_to}")]
    NotUtf8 {
        /// Length of the longest valid UTF-8 prefix.
        valid_up_to: usize,
    },

    /// The XML declaration names an encoding other than UTF-8.
    #[error("expected encoding UTF-8, the XML declaration says {declared:?}")]
    UnsupportedEncoding {
        /// The encoding named in the declaration.
        declared: String,
    },

    /// The document contains a `<!DOCTYPE ...>`; DTDs (and with them entity declarations,
    /// the vehicle of "billion laughs" attacks) are refused outright.
    #[error("expected no document type declaration, got <!DOCTYPE ...> at byte {position}")]
    DoctypeForbidden {
        /// Byte offset of the declaration.
        position: u64,
    },

    /// An entity reference other than the five predefined ones or a character reference.
    #[error(
        "expected only &lt; &gt; &amp; &apos; &quot; or a character reference, \
         got &{name}; at byte {position}"
    )]
    UnknownEntity {
        /// The entity name between `&` and `;`.
        name: String,
        /// Byte offset of the reference.
        position: u64,
    },

    /// Elements (XML) or arrays/objects (JSON) nested deeper than the bound.
    #[error("expected nesting of at most {limit} levels, got deeper nesting at byte {position}")]
    TooDeep {
        /// The nesting bound.
        limit: usize,
        /// Byte offset where the bound was exceeded.
        position: u64,
    },

    /// The document ends before all elements (or JSON values) are closed.
    #[error("expected {expected}, got the end of the document")]
    Truncated {
        /// What was still expected, e.g. `</Part>`.
        expected: String,
    },

    /// The text is not well-formed XML or JSON.
    #[error("malformed {format} at byte {position}: {message}")]
    Malformed {
        /// `XML` or `JSON`.
        format: &'static str,
        /// Byte offset of the problem (best effort).
        position: u64,
        /// The parser's description.
        message: String,
    },

    /// The document is well-formed but its root element is not the expected one.
    ///
    /// A caller expecting `CompleteMultipartUploadResult` that gets `Error` sees S3's
    /// "error inside a 200" quirk; parse the body again as
    /// [`ErrorDocument`](crate::wire::s3::ErrorDocument).
    #[error("expected root element <{expected}>, got <{found}>")]
    UnexpectedRoot {
        /// The root the caller asked for.
        expected: &'static str,
        /// The root the document has (local name, without namespace prefix).
        found: String,
    },

    /// The document is well-formed but does not fit the expected shape: a required element
    /// is missing, a value has the wrong type (e.g. a non-numeric `PartNumber`), an element
    /// that may occur once occurs twice, ...
    #[error("invalid {document} document: {message}")]
    Invalid {
        /// Root element name (XML) or document name (JSON).
        document: String,
        /// What was expected and what came.
        message: String,
    },

    /// A timestamp is not in the expected format.
    #[error("expected {expected}, got {found:?}")]
    InvalidTimestamp {
        /// The format that was expected.
        expected: &'static str,
        /// The text that came.
        found: String,
    },

    /// A value marked as URL-encoded (`encoding-type=url`) does not decode to UTF-8.
    #[error("expected {field} to decode to UTF-8 after URL-decoding, got {found:?}")]
    InvalidUrlEncoding {
        /// The element whose value is broken.
        field: &'static str,
        /// The encoded text.
        found: String,
    },

    /// A document could not be rendered (a bug in the document type, never caused by data).
    #[error("could not render {document}: {message}")]
    Render {
        /// Root element or document name.
        document: String,
        /// The serializer's description.
        message: String,
    },
}
