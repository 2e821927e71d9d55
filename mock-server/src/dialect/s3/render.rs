//! S3/OBS responses: status, headers and XML documents.

use super::{encode_token, S3Codec};
use crate::checksum::{Checksum, ChecksumAlgorithm};
use crate::error::{ErrorCode, ServiceError};
use crate::http::response::{self, Response};
use crate::http::RequestHead;
use crate::ops::*;
use crate::wire::s3 as wire;
use crate::wire::time::{http_date, iso8601};
use crate::wire::xml::XmlDocument;
use http::{HeaderValue, StatusCode};

const OWNER: &str = "mock-owner";

fn quoted(etag: &str) -> String {
    format!("\"{etag}\"")
}

fn owner() -> wire::Owner {
    wire::Owner::named(OWNER)
}

/// The five `Checksum*` element values, with `value` under `alg`.
type ChecksumFields = [Option<String>; 5];

fn checksum_fields(c: Option<(ChecksumAlgorithm, String)>) -> ChecksumFields {
    let mut out: ChecksumFields = Default::default();
    if let Some((alg, v)) = c {
        let i = ChecksumAlgorithm::ALL
            .iter()
            .position(|a| *a == alg)
            .unwrap_or(0);
        out[i] = Some(v);
    }
    out
}

/// The GetObjectAttributes document with the attributes asked for.
fn attributes_doc(
    a: ObjectAttributesInfo,
    asked: AttributeSet,
) -> wire::GetObjectAttributesResponse {
    let checksum = a.checksum.filter(|_| asked.checksum).map(|c| {
        let [c32, c32c, c64, s1, s256] = checksum_fields(Some((c.algorithm, c.value)));
        wire::AttributesChecksum {
            checksum_crc32: c32,
            checksum_crc32c: c32c,
            checksum_crc64nvme: c64,
            checksum_sha1: s1,
            checksum_sha256: s256,
            checksum_type: Some(c.checksum_type.name().to_string()),
        }
    });
    let object_parts = a
        .parts
        .filter(|_| asked.object_parts)
        .map(|p| wire::AttributesParts {
            is_truncated: p.is_truncated,
            max_parts: p.max_parts as u32,
            next_part_number_marker: p.next_part_number_marker.map(i64::from),
            part_number_marker: i64::from(p.part_number_marker),
            parts_count: Some(p.parts_count),
            parts: p
                .parts
                .into_iter()
                .map(|part| {
                    let [c32, c32c, c64, s1, s256] =
                        checksum_fields(part.checksum.map(|c| (c.algorithm, c.to_base64())));
                    wire::AttributesPart {
                        checksum_crc32: c32,
                        checksum_crc32c: c32c,
                        checksum_crc64nvme: c64,
                        checksum_sha1: s1,
                        checksum_sha256: s256,
                        part_number: i64::from(part.number),
                        size: part.size,
                    }
                })
                .collect(),
        });
    wire::GetObjectAttributesResponse {
        etag: asked.etag.then_some(a.etag),
        checksum,
        object_parts,
        storage_class: asked
            .storage_class
            .then(|| a.storage_class.unwrap_or_else(|| "STANDARD".into())),
        object_size: asked.object_size.then_some(a.size),
    }
}

fn url_encode(s: &str) -> String {
    crate::auth::encoding::uri_encode(s.as_bytes(), true)
}

struct Builder {
    resp: http::response::Builder,
}

impl Builder {
    fn new(codec: &S3Codec, head: &RequestHead, status: StatusCode) -> Self {
        let resp = http::Response::builder()
            .status(status)
            .header(codec.request_id_header(), head.request_id.as_str())
            .header(
                if codec.prefix == "x-obs-" {
                    "x-obs-id-2"
                } else {
                    "x-amz-id-2"
                },
                format!("mockhost{}", head.request_id),
            )
            .header("server", "MockS3");
        Builder { resp }
    }
    fn header(mut self, name: &str, value: impl AsRef<str>) -> Self {
        if let Ok(v) = HeaderValue::from_str(value.as_ref()) {
            self.resp = self.resp.header(name, v);
        }
        self
    }
    fn xml(self, body: String) -> Response {
        self.header("content-type", "application/xml")
            .finish(response::full(body))
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

fn doc<T: XmlDocument>(_root: &str, d: &T) -> String {
    d.to_xml()
}

fn checksum_header(b: Builder, codec: &S3Codec, c: &Option<Checksum>) -> Builder {
    match c {
        Some(c) => b.header(
            &c.algorithm
                .header_name()
                .replacen("x-amz-", codec.prefix, 1),
            c.to_base64(),
        ),
        None => b,
    }
}

fn object_headers(mut b: Builder, codec: &S3Codec, o: &ObjectBody) -> Builder {
    b = b
        .header("etag", quoted(&o.etag))
        .header("last-modified", http_date(o.last_modified))
        .header("accept-ranges", "bytes")
        .header(
            "content-type",
            o.attrs
                .content_type
                .as_deref()
                .unwrap_or("binary/octet-stream"),
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
    if let Some(sc) = &o.attrs.storage_class {
        b = b.header(&format!("{}storage-class", codec.prefix), sc);
    }
    for (k, v) in &o.attrs.metadata {
        b = b.header(&format!("{}meta-{k}", codec.prefix), v);
    }
    if let Some(n) = o.parts_count {
        b = b.header(&format!("{}mp-parts-count", codec.prefix), n.to_string());
    }
    if let Some(c) = &o.checksum {
        b = b
            .header(
                &c.algorithm
                    .header_name()
                    .replacen("x-amz-", codec.prefix, 1),
                &c.value,
            )
            .header(
                &format!("{}checksum-type", codec.prefix),
                c.checksum_type.name(),
            );
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

fn object_list(codec: &S3Codec, head: &RequestHead, op: &Operation, l: ObjectList) -> String {
    let enc = |s: &str| {
        if l.input.url_encode {
            url_encode(s)
        } else {
            s.to_string()
        }
    };
    let v2 = matches!(op, Operation::ListObjects { v2: true, .. });
    // V2 lists owners only when asked to (`fetch-owner=true`); V1 always does.
    let with_owner = !v2
        || crate::auth::encoding::query_param(&head.raw_query, "fetch-owner")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let contents = l
        .objects
        .iter()
        .map(|o| wire::Object {
            key: enc(&o.key),
            last_modified: iso8601(o.last_modified),
            etag: quoted(&o.etag),
            size: o.size,
            storage_class: Some(o.storage_class.clone().unwrap_or_else(|| "STANDARD".into())),
            owner: with_owner.then(owner),
            ..Default::default()
        })
        .collect::<Vec<_>>();
    let prefixes = l
        .common_prefixes
        .iter()
        .map(|p| wire::CommonPrefix::new(enc(p)))
        .collect::<Vec<_>>();
    let _ = codec;
    let mut r = wire::ListBucketResult {
        name: l.input.bucket.clone(),
        prefix: Some(enc(&l.input.prefix)),
        delimiter: l.input.delimiter.as_deref().map(enc),
        max_keys: l.input.max_keys as u32,
        is_truncated: l.is_truncated,
        encoding_type: l.input.url_encode.then(|| "url".to_string()),
        contents,
        common_prefixes: prefixes,
        ..Default::default()
    };
    if v2 {
        r.key_count = Some((l.objects.len() + l.common_prefixes.len()) as u32);
        r.continuation_token = l.input.continuation_token.clone();
        r.next_continuation_token = l.next_marker.as_deref().map(encode_token);
        r.start_after = l.input.start_after.as_deref().map(enc);
    } else {
        r.marker = Some(enc(l.input.marker.as_deref().unwrap_or("")));
        r.next_marker = l.next_marker.as_deref().map(enc);
    }
    doc("ListBucketResult", &r)
}

fn version_list(l: ObjectList) -> String {
    let enc = |s: &str| {
        if l.input.url_encode {
            url_encode(s)
        } else {
            s.to_string()
        }
    };
    let r = wire::ListVersionsResult {
        name: l.input.bucket.clone(),
        prefix: Some(enc(&l.input.prefix)),
        key_marker: enc(l.input.marker.as_deref().unwrap_or("")),
        version_id_marker: String::new(),
        next_key_marker: l.next_marker.as_deref().map(enc),
        next_version_id_marker: l.next_marker.as_ref().map(|_| "null".to_string()),
        delimiter: l.input.delimiter.as_deref().map(enc),
        max_keys: l.input.max_keys as u32,
        is_truncated: l.is_truncated,
        encoding_type: l.input.url_encode.then(|| "url".to_string()),
        entries: l
            .objects
            .iter()
            .map(|o| {
                wire::VersionEntry::Version(wire::ObjectVersion {
                    key: enc(&o.key),
                    version_id: "null".into(),
                    is_latest: true,
                    last_modified: iso8601(o.last_modified),
                    etag: quoted(&o.etag),
                    size: o.size,
                    storage_class: Some("STANDARD".into()),
                    owner: Some(owner()),
                })
            })
            .collect(),
        common_prefixes: l
            .common_prefixes
            .iter()
            .map(|p| wire::CommonPrefix::new(enc(p)))
            .collect(),
    };
    doc("ListVersionsResult", &r)
}

/// GetObject's `response-content-type` (and friends) query parameters replace the stored
/// header values in the answer, as S3 does (presigned downloads use them).
fn response_overrides(attrs: &mut ObjectAttrs, raw_query: &str) {
    if !raw_query.contains("response-") {
        return;
    }
    for (name, field) in [
        ("response-content-type", &mut attrs.content_type),
        (
            "response-content-disposition",
            &mut attrs.content_disposition,
        ),
        ("response-content-encoding", &mut attrs.content_encoding),
        ("response-content-language", &mut attrs.content_language),
        ("response-cache-control", &mut attrs.cache_control),
        ("response-expires", &mut attrs.expires),
    ] {
        if let Some(v) = crate::auth::encoding::query_param(raw_query, name) {
            *field = Some(v);
        }
    }
}

/// Renders a success.
pub(super) fn render(codec: &S3Codec, head: &RequestHead, op: &Operation, out: Output) -> Response {
    let ok = |status| Builder::new(codec, head, status);
    let p = codec.prefix;
    match out {
        Output::Empty => match op {
            Operation::CreateBucket { bucket } => ok(StatusCode::OK)
                .header("location", format!("/{bucket}"))
                .empty(),
            Operation::HeadBucket { .. } => ok(StatusCode::OK)
                .header(&format!("{p}bucket-region"), "us-east-1")
                .empty(),
            Operation::DeleteBucket { .. }
            | Operation::DeleteObject { .. }
            | Operation::AbortMultipartUpload { .. } => ok(StatusCode::NO_CONTENT).empty(),
            _ => ok(StatusCode::OK).empty(),
        },
        Output::ApiVersion => ok(StatusCode::OK).header("x-obs-api", "3.0").empty(),
        Output::Buckets(list) => {
            let r = wire::ListAllMyBucketsResult {
                owner: Some(owner()),
                buckets: wire::Buckets {
                    buckets: list
                        .into_iter()
                        .map(|b| wire::Bucket {
                            name: b.name,
                            creation_date: iso8601(b.created),
                            bucket_region: None,
                        })
                        .collect(),
                },
                ..Default::default()
            };
            ok(StatusCode::OK).xml(doc("ListAllMyBucketsResult", &r))
        }
        Output::Location(loc) => ok(StatusCode::OK).xml(doc(
            "LocationConstraint",
            &wire::LocationConstraint {
                region: loc.unwrap_or_default(),
            },
        )),
        Output::Versioning => ok(StatusCode::OK).xml(doc(
            "VersioningConfiguration",
            &wire::VersioningConfiguration::default(),
        )),
        Output::Objects(l) => ok(StatusCode::OK).xml(object_list(codec, head, op, l)),
        Output::Versions(l) => ok(StatusCode::OK).xml(version_list(l)),
        Output::Put { etag, checksum } | Output::Part { etag, checksum } => checksum_header(
            ok(StatusCode::OK).header("etag", quoted(&etag)),
            codec,
            &checksum,
        )
        .empty(),
        Output::Copied {
            etag,
            last_modified,
        } => ok(StatusCode::OK).xml(doc(
            "CopyObjectResult",
            &wire::CopyObjectResult {
                last_modified: iso8601(last_modified),
                etag: quoted(&etag),
                ..Default::default()
            },
        )),
        Output::PartCopied {
            etag,
            last_modified,
        } => ok(StatusCode::OK).xml(doc(
            "CopyPartResult",
            &wire::CopyPartResult {
                last_modified: iso8601(last_modified),
                etag: quoted(&etag),
                ..Default::default()
            },
        )),
        Output::Object(mut o) => {
            response_overrides(&mut o.attrs, &head.raw_query);
            let status = if o.range.is_some() {
                StatusCode::PARTIAL_CONTENT
            } else {
                StatusCode::OK
            };
            let b = object_headers(ok(status), codec, &o);
            if matches!(op, Operation::GetObject { head: true, .. }) {
                b.empty()
            } else {
                b.finish(response::segments(o.segments))
            }
        }
        Output::Deleted(list) => {
            let quiet = matches!(op, Operation::DeleteObjects { quiet: true, .. });
            let r = wire::DeleteResult {
                deleted: list
                    .iter()
                    .filter(|d| d.error.is_none() && !quiet)
                    .map(|d| wire::DeletedObject {
                        key: d.key.clone(),
                        ..Default::default()
                    })
                    .collect(),
                errors: list
                    .iter()
                    .filter_map(|d| {
                        d.error.map(|code| wire::DeleteError {
                            key: d.key.clone(),
                            code: code.s3_code().to_string(),
                            message: code.default_message().to_string(),
                            ..Default::default()
                        })
                    })
                    .collect(),
            };
            ok(StatusCode::OK).xml(doc("DeleteResult", &r))
        }
        Output::Initiated {
            bucket,
            key,
            upload_id,
            checksum,
        } => {
            let mut b = ok(StatusCode::OK);
            if let Some((alg, ty)) = checksum {
                b = b
                    .header(&format!("{p}checksum-algorithm"), alg.name())
                    .header(&format!("{p}checksum-type"), ty.name());
            }
            b.xml(doc(
                "InitiateMultipartUploadResult",
                &wire::InitiateMultipartUploadResult {
                    bucket,
                    key,
                    upload_id,
                },
            ))
        }
        Output::Attributes(a, asked) => ok(StatusCode::OK)
            .header("last-modified", http_date(a.last_modified))
            .xml(doc(
                "GetObjectAttributesResponse",
                &attributes_doc(a, asked),
            )),
        Output::Parts(l) => {
            let r = wire::ListPartsResult {
                bucket: l.bucket,
                key: l.key,
                upload_id: l.upload_id,
                initiator: Some(owner()),
                owner: Some(owner()),
                storage_class: Some(l.storage_class.unwrap_or_else(|| "STANDARD".into())),
                part_number_marker: l.part_number_marker as i64,
                next_part_number_marker: l.next_part_number_marker.map(i64::from),
                max_parts: l.max_parts as u32,
                is_truncated: l.is_truncated,
                checksum_algorithm: l.checksum.map(|(a, _)| a.name().to_string()),
                checksum_type: l.checksum.map(|(_, t)| t.name().to_string()),
                parts: l
                    .parts
                    .into_iter()
                    .map(|part| {
                        let [c32, c32c, c64, s1, s256] =
                            checksum_fields(part.checksum.map(|c| (c.algorithm, c.to_base64())));
                        wire::Part {
                            part_number: part.number as i64,
                            last_modified: iso8601(part.last_modified),
                            etag: quoted(&part.etag),
                            size: part.size,
                            checksum_crc32: c32,
                            checksum_crc32c: c32c,
                            checksum_crc64nvme: c64,
                            checksum_sha1: s1,
                            checksum_sha256: s256,
                        }
                    })
                    .collect(),
            };
            ok(StatusCode::OK).xml(doc("ListPartsResult", &r))
        }
        Output::Uploads(l) => {
            let r = wire::ListMultipartUploadsResult {
                bucket: l.bucket,
                key_marker: l.key_marker.unwrap_or_default(),
                upload_id_marker: l.upload_id_marker.unwrap_or_default(),
                next_key_marker: l.next_key_marker.unwrap_or_default(),
                next_upload_id_marker: l.next_upload_id_marker.unwrap_or_default(),
                prefix: Some(l.prefix),
                delimiter: l.delimiter,
                max_uploads: l.max_uploads as u32,
                is_truncated: l.is_truncated,
                uploads: l
                    .uploads
                    .into_iter()
                    .map(|u| wire::Upload {
                        key: u.key,
                        upload_id: u.upload_id,
                        initiator: Some(owner()),
                        owner: Some(owner()),
                        storage_class: Some(u.storage_class.unwrap_or_else(|| "STANDARD".into())),
                        initiated: iso8601(u.initiated),
                        ..Default::default()
                    })
                    .collect(),
                common_prefixes: l
                    .common_prefixes
                    .into_iter()
                    .map(wire::CommonPrefix::new)
                    .collect(),
                ..Default::default()
            };
            ok(StatusCode::OK).xml(doc("ListMultipartUploadsResult", &r))
        }
        Output::Completed {
            bucket,
            key,
            etag,
            checksum,
        } => {
            let scheme = if head.tls { "https" } else { "http" };
            let location = format!("{scheme}://{}/{}/{}", head.host, bucket, url_encode(&key));
            let [c32, c32c, c64, s1, s256] =
                checksum_fields(checksum.as_ref().map(|c| (c.algorithm, c.value.clone())));
            let r = wire::CompleteMultipartUploadResult {
                location,
                bucket,
                key,
                etag: quoted(&etag),
                checksum_crc32: c32,
                checksum_crc32c: c32c,
                checksum_crc64nvme: c64,
                checksum_sha1: s1,
                checksum_sha256: s256,
                checksum_type: checksum
                    .as_ref()
                    .map(|c| c.checksum_type.name().to_string()),
            };
            ok(StatusCode::OK).xml(doc("CompleteMultipartUploadResult", &r))
        }
    }
}

/// Renders an error: the S3 XML error document (no body for HEAD and 304).
pub(super) fn render_error(codec: &S3Codec, head: &RequestHead, err: &ServiceError) -> Response {
    let status =
        StatusCode::from_u16(err.code.s3_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let b = Builder::new(codec, head, status);
    if head.method == http::Method::HEAD || err.code == ErrorCode::NotModified {
        return b.empty();
    }
    let e = wire::ErrorDocument {
        code: err.code.s3_code().to_string(),
        message: err.message.clone(),
        resource: Some(head.raw_path.clone()),
        request_id: Some(head.request_id.clone()),
        host_id: Some(format!("mockhost{}", head.request_id)),
        extra: err
            .extra
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    };
    b.xml(e.to_xml())
}

/// Renders an error document with any code and status (injected faults). HEAD answers carry
/// no body.
pub(super) fn render_custom_error(
    codec: &S3Codec,
    head: &RequestHead,
    status: StatusCode,
    code: &str,
    message: &str,
) -> Response {
    let b = Builder::new(codec, head, status);
    if head.method == http::Method::HEAD {
        return b.empty();
    }
    let e = wire::ErrorDocument {
        code: code.to_string(),
        message: message.to_string(),
        resource: Some(head.raw_path.clone()),
        request_id: Some(head.request_id.clone()),
        host_id: Some(format!("mockhost{}", head.request_id)),
        extra: Vec::new(),
    };
    b.xml(e.to_xml())
}

/// A 200 with a streamed body (slow complete).
pub(super) fn streaming(
    codec: &S3Codec,
    head: &RequestHead,
    content_type: &str,
    body: response::Body,
) -> Response {
    Builder::new(codec, head, StatusCode::OK)
        .header("content-type", content_type)
        .finish(body)
}
