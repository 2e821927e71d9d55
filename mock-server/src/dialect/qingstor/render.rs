//! QingStor responses: statuses (201 for writes, 204 for deletes), `X-QS-` headers and JSON
//! documents with `Content-Type: application/json` exactly.

use super::errors::error_spelling;
use crate::error::{ErrorCode, ServiceError};
use crate::http::response::{self, Response};
use crate::http::RequestHead;
use crate::ops::*;
use crate::wire::json::JsonDocument;
use crate::wire::qs_json as wire;
use crate::wire::time::{http_date, iso8601, unix_seconds};
use http::{HeaderValue, StatusCode};

const JSON: &str = "application/json";
const OWNER_ID: &str = "usr-mock";
const OWNER_NAME: &str = "mock";

fn quoted(etag: &str) -> String {
    format!("\"{etag}\"")
}

struct Builder {
    resp: http::response::Builder,
}

impl Builder {
    fn new(head: &RequestHead, status: StatusCode) -> Self {
        let resp = http::Response::builder()
            .status(status)
            .header("x-qs-request-id", head.request_id.as_str())
            .header("server", "QingStor");
        Builder { resp }
    }
    fn header(mut self, name: &str, value: impl AsRef<str>) -> Self {
        if let Ok(v) = HeaderValue::from_str(value.as_ref()) {
            self.resp = self.resp.header(name, v);
        }
        self
    }
    fn json<T: JsonDocument>(self, doc: &T) -> Response {
        self.header("content-type", JSON)
            .finish(response::full(doc.to_json()))
    }
    fn empty(self) -> Response {
        self.finish(response::empty())
    }
    fn finish(self, body: response::Body) -> Response {
        self.resp
            .body(body)
            .unwrap_or_else(|_| http::Response::new(response::empty()))
    }
}

/// The zone label of the Host header (`pek3b` in `pek3b.127.0.0.1:9000`), if any.
fn zone(head: &RequestHead) -> String {
    let host = head.hostname();
    if host.parse::<std::net::IpAddr>().is_ok() {
        return String::new();
    }
    match host.split_once('.') {
        Some((first, rest)) if !rest.is_empty() => first.to_string(),
        _ => String::new(),
    }
}

fn object_headers(mut b: Builder, o: &ObjectBody) -> Builder {
    b = b
        .header("etag", quoted(&o.etag))
        .header("last-modified", http_date(o.last_modified))
        .header("accept-ranges", "bytes")
        .header(
            "content-type",
            o.attrs
                .content_type
                .as_deref()
                .unwrap_or("application/octet-stream"),
        )
        .header(
            "x-qs-storage-class",
            o.attrs.storage_class.as_deref().unwrap_or("STANDARD"),
        );
    for (name, v) in [
        ("content-disposition", &o.attrs.content_disposition),
        ("content-encoding", &o.attrs.content_encoding),
        ("content-language", &o.attrs.content_language),
        ("cache-control", &o.attrs.cache_control),
        ("expires", &o.attrs.expires),
    ] {
        if let Some(v) = v {
            b = b.header(name, v);
        }
    }
    for (k, v) in &o.attrs.metadata {
        b = b.header(&format!("x-qs-meta-{k}"), v);
    }
    let len = match o.range {
        Some((off, len)) => {
            let end = (off + len).saturating_sub(1);
            b = b.header("content-range", format!("bytes {off}-{end}/{}", o.size));
            len
        }
        None => o.size,
    };
    b.header("content-length", len.to_string())
}

fn object_list(l: ObjectList) -> wire::ListObjectsOutput {
    wire::ListObjectsOutput {
        name: l.input.bucket,
        keys: l
            .objects
            .into_iter()
            .map(|o| wire::KeyEntry {
                key: o.key,
                mime_type: o
                    .content_type
                    .unwrap_or_else(|| "application/octet-stream".into()),
                etag: quoted(&o.etag),
                size: o.size,
                modified: unix_seconds(o.last_modified),
                created: iso8601(o.last_modified),
                encrypted: false,
                storage_class: o.storage_class.unwrap_or_else(|| "STANDARD".into()),
            })
            .collect(),
        prefix: l.input.prefix,
        delimiter: l.input.delimiter.unwrap_or_default(),
        limit: l.input.max_keys as u32,
        marker: l.input.marker.unwrap_or_default(),
        next_marker: if l.is_truncated {
            l.next_marker.unwrap_or_default()
        } else {
            String::new()
        },
        has_more: l.is_truncated,
        common_prefixes: l.common_prefixes,
        owner: Some(wire::OwnerInfo {
            id: OWNER_ID.into(),
            name: OWNER_NAME.into(),
        }),
    }
}

/// Renders a success.
pub(super) fn render(head: &RequestHead, op: &Operation, out: Output) -> Response {
    let ok = |status| Builder::new(head, status);
    match out {
        Output::Empty => match op {
            Operation::CreateBucket { bucket } => ok(StatusCode::CREATED)
                .header("location", format!("/{bucket}"))
                .empty(),
            Operation::DeleteBucket { .. }
            | Operation::DeleteObject { .. }
            | Operation::AbortMultipartUpload { .. } => ok(StatusCode::NO_CONTENT).empty(),
            _ => ok(StatusCode::OK).empty(),
        },
        // QingStor has no GetObjectAttributes; its codec never parses one.
        Output::ApiVersion | Output::Location(_) | Output::Versioning | Output::Attributes(..) => {
            ok(StatusCode::OK).empty()
        }
        Output::Buckets(list) => {
            let scheme = if head.tls { "https" } else { "http" };
            let zone = zone(head);
            let doc = wire::ListBucketsOutput {
                count: list.len() as u64,
                buckets: list
                    .into_iter()
                    .map(|b| wire::BucketEntry {
                        url: format!("{scheme}://{}/{}", head.host, b.name),
                        name: b.name,
                        location: zone.clone(),
                        created: iso8601(b.created),
                    })
                    .collect(),
            };
            ok(StatusCode::OK).json(&doc)
        }
        Output::Objects(l) | Output::Versions(l) => ok(StatusCode::OK).json(&object_list(l)),
        Output::Put { etag, .. }
        | Output::Part { etag, .. }
        | Output::Copied { etag, .. }
        | Output::PartCopied { etag, .. } => ok(StatusCode::CREATED)
            .header("etag", quoted(&etag))
            .empty(),
        Output::Object(o) => {
            let status = if o.range.is_some() {
                StatusCode::PARTIAL_CONTENT
            } else {
                StatusCode::OK
            };
            let b = object_headers(ok(status), &o);
            if matches!(op, Operation::GetObject { head: true, .. }) {
                b.empty()
            } else {
                b.finish(response::segments(o.segments))
            }
        }
        Output::Deleted(list) => {
            let quiet = matches!(op, Operation::DeleteObjects { quiet: true, .. });
            let doc = wire::DeleteMultipleOutput {
                deleted: list
                    .iter()
                    .filter(|d| d.error.is_none() && !quiet)
                    .map(|d| wire::KeyRef { key: d.key.clone() })
                    .collect(),
                errors: list
                    .iter()
                    .filter_map(|d| {
                        d.error.map(|code| wire::DeleteMultipleError {
                            code: error_spelling(code).0.to_string(),
                            key: d.key.clone(),
                            message: code.default_message().to_string(),
                        })
                    })
                    .collect(),
            };
            ok(StatusCode::OK).json(&doc)
        }
        Output::Initiated {
            bucket,
            key,
            upload_id,
            ..
        } => ok(StatusCode::OK).json(&wire::InitiateMultipartUploadOutput {
            bucket,
            key,
            upload_id,
        }),
        Output::Parts(l) => {
            let doc = wire::ListMultipartOutput {
                count: l.parts.len() as u64,
                object_parts: l
                    .parts
                    .into_iter()
                    .map(|p| wire::ObjectPart {
                        part_number: i64::from(p.number),
                        size: p.size,
                        etag: quoted(&p.etag),
                        created: iso8601(p.last_modified),
                    })
                    .collect(),
                has_more: l.is_truncated.then_some(true),
                next_part_number_marker: if l.is_truncated {
                    l.next_part_number_marker.map(i64::from)
                } else {
                    None
                },
            };
            ok(StatusCode::OK).json(&doc)
        }
        Output::Uploads(l) => {
            let doc = wire::ListMultipartUploadsOutput {
                name: l.bucket,
                uploads: l
                    .uploads
                    .into_iter()
                    .map(|u| wire::UploadSummary {
                        key: u.key,
                        upload_id: u.upload_id,
                        created: iso8601(u.initiated),
                    })
                    .collect(),
                prefix: l.prefix,
                delimiter: l.delimiter.unwrap_or_default(),
                limit: l.max_uploads as u32,
                marker: l.key_marker.unwrap_or_default(),
                next_key_marker: l.next_key_marker.unwrap_or_default(),
                next_upload_id_marker: l.next_upload_id_marker.unwrap_or_default(),
                has_more: l.is_truncated,
                common_prefixes: l.common_prefixes,
            };
            ok(StatusCode::OK).json(&doc)
        }
        Output::Completed { .. } => ok(StatusCode::CREATED).empty(),
    }
}

/// Renders a service error as QingStor's JSON error (no body for HEAD and 304).
pub(super) fn render_error(head: &RequestHead, err: &ServiceError) -> Response {
    let (code, status) = error_spelling(err.code);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if err.code == ErrorCode::NotModified {
        return Builder::new(head, status).empty();
    }
    render_custom_error(head, status, code, &err.message)
}

/// Renders `{"code","message","request_id","url"}` with any status (HEAD: status only).
pub(super) fn render_custom_error(
    head: &RequestHead,
    status: StatusCode,
    code: &str,
    message: &str,
) -> Response {
    let b = Builder::new(head, status);
    if head.method == http::Method::HEAD {
        return b.empty();
    }
    b.json(&wire::ErrorOutput::new(
        code,
        message,
        head.request_id.as_str(),
    ))
}

/// A streamed answer (slow complete) with QingStor's headers.
pub(super) fn streaming(
    head: &RequestHead,
    status: StatusCode,
    content_type: &str,
    body: response::Body,
) -> Response {
    Builder::new(head, status)
        .header("content-type", content_type)
        .finish(body)
}
