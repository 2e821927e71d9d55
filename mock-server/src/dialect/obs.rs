//! Huawei OBS: the S3 codec with OBS's header prefix (PROTOCOLS.md §3).
//!
//! ObsClient speaks two wire modes, chosen by the client: against an IP endpoint (or with
//! `path_style=True`) AWS SigV2 with `x-amz-` headers, otherwise, after an unsigned
//! `HEAD /?apiversion` probe answered with `x-obs-api: 3.0`, native `OBS ak:sig` signing with
//! `x-obs-` headers. Paths, queries, XML documents and error codes are S3's in both modes, so
//! OBS is [`S3Codec::obs`]; only the choice of prefix lives here.
//!
//! ```
//! use mock_server::dialect::obs;
//! use mock_server::http::RequestHead;
//!
//! let req = http::Request::builder()
//!     .method("PUT")
//!     .uri("/big/object.bin?partNumber=1&uploadId=U")
//!     .header("host", "obs-bucket.localhost:9000")
//!     .header("authorization", "OBS AK:c2ln")
//!     .body(())
//!     .unwrap();
//! let (parts, ()) = req.into_parts();
//! let head = RequestHead::from_parts(&parts, false, "R1".into());
//! assert!(obs::is_native(&head));
//! ```

use super::s3::S3Codec;
use crate::http::RequestHead;

/// Whether an OBS request is in native mode: signed `OBS ak:sig` (header or the `AccessKeyId`
/// query form), or carrying `x-obs-` headers.
pub fn is_native(head: &RequestHead) -> bool {
    let q = head.raw_query.as_str();
    head.header("authorization")
        .is_some_and(|a| a.starts_with("OBS "))
        || head
            .headers
            .keys()
            .any(|k| k.as_str().starts_with("x-obs-"))
        || (crate::auth::encoding::has_query_param(q, "AccessKeyId")
            && !crate::auth::encoding::has_query_param(q, "AWSAccessKeyId"))
}

/// The codec for an OBS request: [`S3Codec::obs`] in the request's mode.
pub fn codec(head: &RequestHead) -> S3Codec {
    S3Codec::obs(is_native(head))
}
