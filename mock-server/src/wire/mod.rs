//! Wire documents of the three dialects, shared by the mock server and the reference uploader.
//!
//! Pure data and (de)serialization, no HTTP:
//!
//! * [`s3`] — S3/OBS XML request and response documents (serde + quick-xml), e.g.
//!   [`s3::CompleteMultipartUpload`], [`s3::ListPartsResult`], [`s3::ErrorDocument`].
//! * [`qs_json`] — QingStor JSON documents (serde_json), e.g.
//!   [`qs_json::CompleteMultipartUploadInput`], [`qs_json::ErrorOutput`].
//! * [`xml`] / [`json`] — bounded parsing of hostile bodies ([`xml::parse_xml`],
//!   [`json::parse_json`]) and rendering ([`xml::XmlDocument::to_xml`],
//!   [`json::JsonDocument::to_json`]).
//! * [`time`] — ISO 8601 and HTTP date formatting.
//! * [`WireError`] — what went wrong, saying what was expected and what came.
//!
//! The server parses requests and renders responses with these types; the uploader renders
//! requests and parses responses with the very same types, so both sides agree by
//! construction.
//!
//! ```
//! use mock_server::wire::s3::{CompleteMultipartUpload, CompletedPart};
//! use mock_server::wire::xml::XmlDocument;
//!
//! // What boto3's upload_file sends (ETag first, a checksum per part):
//! let body = br#"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>"4e14"</ETag><PartNumber>1</PartNumber><ChecksumCRC32>Wq4mTw==</ChecksumCRC32></Part></CompleteMultipartUpload>"#;
//! let doc = CompleteMultipartUpload::from_xml(body, 1 << 20).unwrap();
//! assert_eq!(doc.parts[0].part_number, 1);
//! assert_eq!(doc.parts[0].checksum_crc32.as_deref(), Some("Wq4mTw=="));
//! ```

mod error;
pub mod json;
pub mod qs_json;
pub mod s3;
pub mod time;
pub mod xml;

pub use error::WireError;
