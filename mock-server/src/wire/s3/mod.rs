//! S3 and OBS XML documents (OBS uses S3's element names in both of its wire modes).
//!
//! Every type implements [`XmlDocument`] (`to_xml`, `from_xml`) and is named after its root
//! element, except the error body [`ErrorDocument`] (root `Error`, no namespace). Field names
//! are snake_case versions of the element names; each field's documentation gives the
//! element name.
//!
//! Requests: [`CompleteMultipartUpload`], [`Delete`], [`CreateBucketConfiguration`],
//! [`VersioningConfiguration`].
//! Responses: [`InitiateMultipartUploadResult`], [`CopyPartResult`], [`CopyObjectResult`],
//! [`ListPartsResult`], [`ListMultipartUploadsResult`], [`CompleteMultipartUploadResult`],
//! [`ListBucketResult`] (V1 and V2), [`ListVersionsResult`], [`ListAllMyBucketsResult`],
//! [`GetObjectAttributesResponse`],
//! [`LocationConstraint`], [`VersioningConfiguration`], [`DeleteResult`], [`ErrorDocument`].
//!
//! Timestamps are pre-formatted strings; use [`crate::wire::time::iso8601`].
//!
//! ```
//! use mock_server::wire::s3::{ErrorDocument, CompleteMultipartUploadResult};
//! use mock_server::wire::xml::{root_element, XmlDocument};
//! use mock_server::wire::WireError;
//!
//! // S3 may answer CompleteMultipartUpload with 200 and an <Error> body.
//! let body = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n<Error><Code>InternalError</Code><Message>m</Message></Error>";
//! match CompleteMultipartUploadResult::from_xml(body, 1 << 20) {
//!     Err(WireError::UnexpectedRoot { found, .. }) if found == "Error" => {
//!         let err = ErrorDocument::from_xml(body, 1 << 20).unwrap();
//!         assert_eq!(err.code, "InternalError");
//!     }
//!     other => panic!("{other:?}"),
//! }
//! assert_eq!(root_element(body, 1 << 20).unwrap(), "Error");
//! ```

mod attributes;
mod bucket;
mod common;
mod delete;
pub mod encoding;
mod error_doc;
mod listing;
mod multipart;

pub use attributes::{
    AttributesChecksum, AttributesPart, AttributesParts, GetObjectAttributesResponse,
};
pub use bucket::{CreateBucketConfiguration, LocationConstraint, VersioningConfiguration};
pub use common::{CommonPrefix, Owner};
pub use delete::{Delete, DeleteError, DeleteResult, DeletedObject, ObjectIdentifier};
pub use error_doc::ErrorDocument;
pub use listing::{
    Bucket, Buckets, DeleteMarkerEntry, ListAllMyBucketsResult, ListBucketResult,
    ListVersionsResult, Object, ObjectVersion, VersionEntry,
};
pub use multipart::{
    CompleteMultipartUpload, CompleteMultipartUploadResult, CompletedPart, CopyObjectResult,
    CopyPartResult, InitiateMultipartUploadResult, ListMultipartUploadsResult, ListPartsResult,
    Part, Upload,
};

use crate::wire::xml::{root_element, XmlDocument};
use crate::wire::WireError;

/// Parses the body of a 2xx answer that should be a `T` but, by S3's documented quirk, may be
/// an `<Error>` document (CompleteMultipartUpload, UploadPartCopy, CopyObject). Returns
/// `Ok(Ok(doc))`, `Ok(Err(error_document))`, or `Err` if the body is neither.
///
/// ```
/// use mock_server::wire::s3::{parse_result_or_error, CopyPartResult};
///
/// let body = b"<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>";
/// let answer = parse_result_or_error::<CopyPartResult>(body, 1 << 20).unwrap();
/// assert_eq!(answer.unwrap_err().code, "SlowDown");
/// ```
pub fn parse_result_or_error<T: XmlDocument>(
    body: &[u8],
    max_bytes: usize,
) -> Result<Result<T, ErrorDocument>, WireError> {
    if T::ROOT != ErrorDocument::ROOT
        && root_element(body, max_bytes).is_ok_and(|root| root == ErrorDocument::ROOT)
    {
        return ErrorDocument::from_xml(body, max_bytes).map(Err);
    }
    T::from_xml(body, max_bytes).map(Ok)
}

macro_rules! xml_document {
    ($($ty:ident),* $(,)?) => {
        $(
            impl XmlDocument for $ty {
                const ROOT: &'static str = stringify!($ty);
            }
        )*
    };
}

xml_document!(
    CompleteMultipartUpload,
    Delete,
    CreateBucketConfiguration,
    VersioningConfiguration,
    LocationConstraint,
    InitiateMultipartUploadResult,
    CopyPartResult,
    CopyObjectResult,
    ListPartsResult,
    ListMultipartUploadsResult,
    CompleteMultipartUploadResult,
    ListBucketResult,
    ListVersionsResult,
    ListAllMyBucketsResult,
    DeleteResult,
    GetObjectAttributesResponse,
);

impl XmlDocument for ErrorDocument {
    const ROOT: &'static str = "Error";
    const NAMESPACE: Option<&'static str> = None;
}

#[cfg(test)]
mod tests;
