//! The QingStor codec (PROTOCOLS.md §4): `upload_id`/`part_number` query names, part numbers
//! from 0, JSON documents (`Content-Type: application/json` exactly, or the Python SDK ignores
//! the body), `x-qs-` headers, `X-QS-Request-ID`, 201/204 statuses, and JSON errors
//! `{"code","message","request_id","url"}`.
//!
//! Addressing: path-style `/{bucket}/{key}` with an optional zone label in the host
//! (`pek3b.127.0.0.1:9000`, `pek3b.localhost:9000`, ignored), or virtual-hosted
//! `{bucket}.{zone}.{host}`; see [`host_bucket`].
//!
//! ```
//! use mock_server::dialect::{qingstor::QingStorCodec, Codec, Dialect};
//! assert_eq!(QingStorCodec.dialect(), Dialect::QingStor);
//! ```

mod errors;
mod parse;
mod render;

pub use errors::{error_spelling, qs_spelling_of_code};

use super::{Codec, CodecContext, Dialect, Parsed};
use crate::error::{ErrorCode, ServiceError};
use crate::http::body::PayloadSpec;
use crate::http::response::Response;
use crate::http::RequestHead;
use crate::ops::{CompletePart, Operation, Output};
use crate::wire::json::JsonDocument;
use crate::wire::qs_json;

/// Largest request document accepted (a complete naming 10,000 parts is about 600 KiB).
pub const MAX_DOCUMENT_BYTES: usize = 4 << 20;

/// Default page size of object and upload listings (`limit` absent), as the captured
/// QingStor answers show; part listings default to 1000.
pub const DEFAULT_LIMIT: usize = 200;

/// The QingStor codec.
#[derive(Debug, Clone, Copy, Default)]
pub struct QingStorCodec;

fn invalid_document(e: impl std::fmt::Display) -> ServiceError {
    // MalformedXml is the dialect-free "request document unusable"; QingStor spells it
    // invalid_request.
    ServiceError::with_message(
        ErrorCode::MalformedXml,
        format!("The request body is not a valid JSON document of the expected shape: {e}"),
    )
}

fn invalid_part_number(n: i64) -> ServiceError {
    ServiceError::with_message(
        ErrorCode::InvalidArgument,
        format!("part_number must be an integer between 0 and 10000, got {n}"),
    )
    .field("ArgumentName", "part_number")
    .field("ArgumentValue", n.to_string())
}

fn is_ip(host: &str) -> bool {
    host.parse::<std::net::IpAddr>().is_ok()
}

/// The labels in front of the server's own host name: `Some(["pek3b"])` for
/// `pek3b.127.0.0.1` or `pek3b.localhost`, `Some([])` for the bare host, `None` when the
/// host is not one of ours (an unknown domain).
fn leading_labels<'h>(host: &'h str, ctx: &CodecContext) -> Option<Vec<&'h str>> {
    if is_ip(host) || host == "localhost" || ctx.domains.iter().any(|d| d == host) {
        return Some(Vec::new());
    }
    let mut domains: Vec<&str> = ctx.domains.iter().map(String::as_str).collect();
    domains.push("localhost");
    for d in domains {
        if let Some(prefix) = host.strip_suffix(d).and_then(|p| p.strip_suffix('.')) {
            return Some(prefix.split('.').collect());
        }
    }
    // `{labels}.{IPv4}`: split where the rest parses as an address.
    let mut rest = host;
    while let Some((_, tail)) = rest.split_once('.') {
        if is_ip(tail) {
            let prefix = &host[..host.len() - tail.len() - 1];
            return Some(prefix.split('.').collect());
        }
        rest = tail;
    }
    None
}

/// The bucket a QingStor request names in its Host header, if virtual-hosted.
///
/// The SDK builds `[{bucket}.]{zone}.{host}`. With two or more labels in front of our host
/// the first is the bucket (the rest the zone). One label is a zone (path-style) unless it
/// names an existing bucket and the path does not start with one, or the path is empty on a
/// request other than GET (`PUT /` creating `{bucket}.{host}`). A host we do not know
/// (`pek3b.qingstor.com` through a proxy) is path-style unless its first label is an existing
/// bucket.
pub fn host_bucket(head: &RequestHead, ctx: &CodecContext) -> Option<String> {
    let host = head.hostname().trim_end_matches('.').to_ascii_lowercase();
    let exists = |b: &str| ctx.bucket_exists.as_ref().is_some_and(|f| f(b));
    let labels = match leading_labels(&host, ctx) {
        Some(l) => l,
        None => {
            let first = host.split('.').next().unwrap_or("");
            return (host.contains('.') && exists(first)).then(|| first.to_string());
        }
    };
    match labels.as_slice() {
        [] => None,
        [only] => {
            let path = head.raw_path.trim_start_matches('/');
            if path.is_empty() {
                return (head.method != http::Method::GET || exists(only))
                    .then(|| only.to_string());
            }
            let first_segment = path.split('/').next().unwrap_or("");
            let segment = super::addressing::decode_component(first_segment).unwrap_or_default();
            (exists(only) && !exists(&segment)).then(|| only.to_string())
        }
        [first, ..] => (!first.is_empty()).then(|| first.to_string()),
    }
}

impl Codec for QingStorCodec {
    fn dialect(&self) -> Dialect {
        Dialect::QingStor
    }

    fn parse(&self, head: &RequestHead, ctx: &CodecContext) -> Result<Parsed, ServiceError> {
        parse::parse_request(head, ctx)
    }

    fn wants_document(&self, op: &Operation) -> bool {
        matches!(
            op,
            Operation::CompleteMultipartUpload { .. } | Operation::DeleteObjects { .. }
        )
    }

    fn fill_document(&self, op: &mut Operation, body: &[u8]) -> Result<(), ServiceError> {
        match op {
            Operation::CompleteMultipartUpload { parts, .. } => {
                let doc =
                    qs_json::CompleteMultipartUploadInput::from_json(body, MAX_DOCUMENT_BYTES)
                        .map_err(invalid_document)?;
                let mut out = Vec::with_capacity(doc.object_parts.len());
                for p in doc.object_parts {
                    let number = u32::try_from(p.part_number)
                        .map_err(|_| invalid_part_number(p.part_number))?;
                    out.push(CompletePart {
                        number,
                        etag: p.etag.filter(|e| !e.trim().is_empty()),
                        checksum: None,
                    });
                }
                *parts = out;
                Ok(())
            }
            Operation::DeleteObjects { keys, quiet, .. } => {
                let doc = qs_json::DeleteMultipleInput::from_json(body, MAX_DOCUMENT_BYTES)
                    .map_err(invalid_document)?;
                if doc.objects.len() > 1000 {
                    return Err(invalid_document(
                        "a delete request may name at most 1000 objects",
                    ));
                }
                *keys = doc.objects.into_iter().map(|o| o.key).collect();
                *quiet = doc.quiet;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn payload_spec(&self, head: &RequestHead) -> Result<PayloadSpec, ServiceError> {
        let mut spec = PayloadSpec {
            content_md5: head.header("content-md5").map(str::to_string),
            ..PayloadSpec::default()
        };
        if let Some(cl) = head.header("content-length") {
            spec.declared_len = Some(cl.trim().parse().map_err(|_| {
                ServiceError::with_message(
                    ErrorCode::InvalidArgument,
                    format!("Content-Length must be a number, got {cl:?}"),
                )
            })?);
        } else if head.header("transfer-encoding").is_none() {
            return Err(ServiceError::new(ErrorCode::MissingContentLength));
        }
        Ok(spec)
    }

    fn render(&self, head: &RequestHead, op: &Operation, out: Output) -> Response {
        render::render(head, op, out)
    }

    fn render_error(&self, head: &RequestHead, err: &ServiceError) -> Response {
        render::render_error(head, err)
    }

    fn render_custom_error(
        &self,
        head: &RequestHead,
        status: http::StatusCode,
        code: &str,
        message: &str,
    ) -> Response {
        render::render_custom_error(head, status, &qs_spelling_of_code(code), message)
    }

    fn render_error_in_200(&self, head: &RequestHead, code: &str, message: &str) -> Response {
        render::render_custom_error(
            head,
            http::StatusCode::OK,
            &qs_spelling_of_code(code),
            message,
        )
    }

    fn keepalive_prefix(&self) -> (&'static str, &'static str) {
        // Whitespace before a JSON value is valid JSON; nothing needs to come first.
        ("", "application/json")
    }

    /// QingStor completes with 201, so the slow-complete answer uses that status.
    fn render_streaming_200(
        &self,
        head: &RequestHead,
        content_type: &str,
        body: crate::http::response::Body,
    ) -> Response {
        render::streaming(head, http::StatusCode::CREATED, content_type, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn head(method: &str, host: &str, path: &str) -> RequestHead {
        let req = http::Request::builder()
            .method(method)
            .uri(path)
            .header("host", host)
            .body(())
            .unwrap();
        let (parts, ()) = req.into_parts();
        RequestHead::from_parts(&parts, false, "R".into())
    }

    fn ctx() -> CodecContext {
        CodecContext {
            domains: vec!["qs.test".into()],
            bucket_exists: Some(Arc::new(|b: &str| b == "qs-bucket" || b == "other")),
        }
    }

    #[test]
    fn zone_labels_are_ignored_and_buckets_found() {
        let c = ctx();
        let hb = |m: &str, host: &str, path: &str| host_bucket(&head(m, host, path), &c);
        assert_eq!(hb("GET", "127.0.0.1:9000", "/qs-bucket/k"), None);
        assert_eq!(hb("GET", "pek3b.127.0.0.1:9000", "/qs-bucket/k"), None);
        assert_eq!(hb("GET", "pek3b.localhost:9000", "/qs-bucket/k"), None);
        assert_eq!(hb("GET", "pek3b.qs.test", "/qs-bucket/k"), None);
        assert_eq!(
            hb("GET", "qs-bucket.pek3b.127.0.0.1:9000", "/k").as_deref(),
            Some("qs-bucket")
        );
        assert_eq!(
            hb("PUT", "new.pek3b.localhost:9000", "/").as_deref(),
            Some("new")
        );
        // one label: an existing bucket, path not starting with one -> virtual host
        assert_eq!(
            hb("GET", "qs-bucket.localhost:9000", "/big/k").as_deref(),
            Some("qs-bucket")
        );
        // one label naming a bucket, but the path names one too -> zone
        assert_eq!(hb("GET", "other.localhost:9000", "/qs-bucket/k"), None);
        // PUT / on one label creates that bucket; GET / lists buckets in the zone
        assert_eq!(
            hb("PUT", "fresh.127.0.0.1:9000", "/").as_deref(),
            Some("fresh")
        );
        assert_eq!(hb("GET", "pek3b.127.0.0.1:9000", "/"), None);
        // unknown domains: only an existing bucket as first label counts
        assert_eq!(hb("GET", "pek3b.qingstor.com", "/qs-bucket/k"), None);
        assert_eq!(
            hb("GET", "qs-bucket.pek3b.qingstor.com", "/k").as_deref(),
            Some("qs-bucket")
        );
    }
}
