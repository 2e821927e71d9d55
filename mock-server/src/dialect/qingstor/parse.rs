//! QingStor requests into operations (PROTOCOLS.md §4.3, §4.4).

use super::{host_bucket, DEFAULT_LIMIT};
use crate::auth::encoding::{has_query_param, query_param};
use crate::dialect::addressing::{self, decode_component};
use crate::dialect::{invalid_arg, not_implemented, opt, CodecContext, Parsed};
use crate::error::{ErrorCode, ServiceError};
use crate::http::RequestHead;
use crate::ops::*;
use http::Method;

/// Sub-resources the mock does not implement: answered `not_implemented` rather than taken
/// for a plain request on the bucket or object.
const UNSUPPORTED_SUBRESOURCES: &[&str] = &[
    "acl",
    "append",
    "cname",
    "cors",
    "image",
    "lifecycle",
    "logging",
    "mirror",
    "notification",
    "policy",
    "replication",
    "stats",
];

/// A non-negative integer query parameter.
fn number(q: &str, name: &str) -> Result<Option<u32>, ServiceError> {
    match query_param(q, name) {
        None => Ok(None),
        Some(v) => v.trim().parse::<u32>().map(Some).map_err(|_| {
            invalid_arg(
                name,
                &v,
                format!("{name} must be a non-negative integer, got {v:?}"),
            )
        }),
    }
}

/// `limit`: absent -> `default`, capped at 1000.
fn limit(q: &str, default: usize) -> Result<usize, ServiceError> {
    Ok(number(q, "limit")?.map_or(default, |n| (n as usize).min(1000)))
}

fn attrs(head: &RequestHead) -> ObjectAttrs {
    let get = |n: &str| head.header(n).map(str::to_string);
    let metadata = head
        .headers
        .iter()
        .filter_map(|(k, v)| {
            let name = k.as_str().strip_prefix("x-qs-meta-")?;
            Some((
                name.to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            ))
        })
        .collect();
    ObjectAttrs {
        content_type: get("content-type"),
        content_disposition: get("content-disposition"),
        content_encoding: get("content-encoding"),
        content_language: get("content-language"),
        cache_control: get("cache-control"),
        expires: get("expires"),
        storage_class: get("x-qs-storage-class"),
        metadata,
    }
}

fn conditions(head: &RequestHead, prefix: &str) -> Conditions {
    let get = |n: &str| head.header(&format!("{prefix}{n}")).map(str::to_string);
    let time = |n: &str| get(n).and_then(|v| httpdate::parse_http_date(&v).ok());
    Conditions {
        if_match: get("if-match"),
        if_none_match: get("if-none-match"),
        if_modified_since: time("if-modified-since"),
        if_unmodified_since: time("if-unmodified-since"),
    }
}

/// `x-qs-copy-source: /bucket/key` (URL-encoded by the SDK); a missing leading `/` is
/// accepted too.
fn copy_source(raw: &str) -> Result<CopySource, ServiceError> {
    let decoded = decode_component(raw)?;
    let trimmed = decoded.strip_prefix('/').unwrap_or(&decoded);
    match trimmed.split_once('/') {
        Some((b, k)) if !b.is_empty() && !k.is_empty() => Ok(CopySource {
            bucket: b.to_string(),
            key: k.to_string(),
        }),
        _ => Err(invalid_arg(
            "x-qs-copy-source",
            raw,
            "x-qs-copy-source must name the source as /bucket/key".to_string(),
        )),
    }
}

fn copy_range(head: &RequestHead) -> Result<Option<RangeSpec>, ServiceError> {
    match head.header("x-qs-copy-range") {
        None => Ok(None),
        Some(r) => RangeSpec::parse(r).map(Some).ok_or_else(|| {
            invalid_arg(
                "x-qs-copy-range",
                r,
                "x-qs-copy-range must be of the form bytes=first-last".to_string(),
            )
        }),
    }
}

fn part_number(q: &str) -> Result<u32, ServiceError> {
    number(q, "part_number")?.ok_or_else(|| {
        invalid_arg(
            "part_number",
            "",
            "part_number is required with upload_id on PUT".to_string(),
        )
    })
}

/// Parses a request into an operation.
pub(super) fn parse_request(
    head: &RequestHead,
    ctx: &CodecContext,
) -> Result<Parsed, ServiceError> {
    let q = head.raw_query.as_str();
    let addr = addressing::resolve(head, host_bucket(head, ctx))?;
    let m = &head.method;
    let flag = |n: &str| has_query_param(q, n);
    for s in UNSUPPORTED_SUBRESOURCES {
        if flag(s) {
            return Err(not_implemented(&format!("The ?{s} sub-resource")));
        }
    }
    let op = match (addr.bucket, addr.key) {
        (None, _) => match *m {
            Method::GET => Operation::ListBuckets,
            _ => return Err(ServiceError::new(ErrorCode::MethodNotAllowed)),
        },
        (Some(bucket), None) => match *m {
            Method::PUT => Operation::CreateBucket { bucket },
            Method::HEAD => Operation::HeadBucket { bucket },
            Method::DELETE => Operation::DeleteBucket { bucket },
            Method::POST if flag("delete") => Operation::DeleteObjects {
                bucket,
                keys: Vec::new(),
                quiet: false,
            },
            Method::GET if flag("uploads") => Operation::ListMultipartUploads {
                bucket,
                prefix: query_param(q, "prefix").unwrap_or_default(),
                delimiter: opt(q, "delimiter"),
                key_marker: opt(q, "key_marker"),
                upload_id_marker: opt(q, "upload_id_marker"),
                max_uploads: limit(q, DEFAULT_LIMIT)?,
            },
            Method::GET => Operation::ListObjects {
                v2: false,
                input: ListObjectsInput {
                    bucket,
                    prefix: query_param(q, "prefix").unwrap_or_default(),
                    delimiter: opt(q, "delimiter"),
                    max_keys: limit(q, DEFAULT_LIMIT)?,
                    marker: opt(q, "marker"),
                    url_encode: false,
                    continuation_token: None,
                    start_after: None,
                },
            },
            _ => return Err(ServiceError::new(ErrorCode::MethodNotAllowed)),
        },
        (Some(bucket), Some(key)) => {
            let upload_id = query_param(q, "upload_id");
            match (m.clone(), upload_id) {
                (Method::PUT, Some(upload_id)) => {
                    let part_number = part_number(q)?;
                    match head.header("x-qs-copy-source") {
                        Some(src) => Operation::UploadPartCopy {
                            source: copy_source(src)?,
                            range: copy_range(head)?,
                            conditions: conditions(head, "x-qs-copy-source-"),
                            bucket,
                            key,
                            upload_id,
                            part_number,
                        },
                        None => Operation::UploadPart {
                            bucket,
                            key,
                            upload_id,
                            part_number,
                        },
                    }
                }
                (Method::PUT, None) => {
                    if head.header("x-qs-move-source").is_some() {
                        return Err(not_implemented("PUT object with x-qs-move-source"));
                    }
                    if head.header("x-qs-fetch-source").is_some() {
                        return Err(not_implemented("PUT object with x-qs-fetch-source"));
                    }
                    match head.header("x-qs-copy-source") {
                        Some(src) => Operation::CopyObject {
                            source: copy_source(src)?,
                            replace_attrs: head
                                .header("x-qs-metadata-directive")
                                .filter(|d| d.eq_ignore_ascii_case("REPLACE"))
                                .map(|_| attrs(head)),
                            conditions: conditions(head, "x-qs-copy-source-"),
                            bucket,
                            key,
                        },
                        None => Operation::PutObject {
                            attrs: attrs(head),
                            if_none_match_any: head.header("if-none-match").map(str::trim)
                                == Some("*"),
                            bucket,
                            key,
                        },
                    }
                }
                (Method::GET, Some(upload_id)) => Operation::ListParts {
                    bucket,
                    key,
                    upload_id,
                    // The SDK does not page part listings: by default list all an upload can
                    // have below S3's page bound, so resuming clients see every part.
                    max_parts: limit(q, 1000)?,
                    part_number_marker: number(q, "part_number_marker")?,
                },
                (Method::GET | Method::HEAD, None) => Operation::GetObject {
                    head: *m == Method::HEAD,
                    // An unparsable Range header is ignored (whole object), as S3 does.
                    range: head.header("range").and_then(RangeSpec::parse),
                    part_number: None,
                    conditions: conditions(head, ""),
                    checksum_mode: false,
                    bucket,
                    key,
                },
                (Method::DELETE, Some(upload_id)) => Operation::AbortMultipartUpload {
                    bucket,
                    key,
                    upload_id,
                },
                (Method::DELETE, None) => Operation::DeleteObject { bucket, key },
                (Method::POST, _) if flag("uploads") => Operation::CreateMultipartUpload {
                    attrs: attrs(head),
                    checksum: None,
                    bucket,
                    key,
                },
                (Method::POST, Some(upload_id)) => Operation::CompleteMultipartUpload {
                    bucket,
                    key,
                    upload_id,
                    parts: Vec::new(),
                    checks: CompleteChecks {
                        if_none_match_any: head.header("if-none-match").map(str::trim) == Some("*"),
                        etag_override: head
                            .header("etag")
                            .map(str::trim)
                            .filter(|e| !e.is_empty())
                            .map(str::to_string),
                        ..CompleteChecks::default()
                    },
                },
                (Method::POST, None) => return Err(not_implemented("POST object (form upload)")),
                _ => return Err(ServiceError::new(ErrorCode::MethodNotAllowed)),
            }
        }
    };
    Ok(Parsed {
        op,
        virtual_host_bucket: addr.virtual_host_bucket,
    })
}
