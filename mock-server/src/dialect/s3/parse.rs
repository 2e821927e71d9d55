//! S3 (and OBS, which shares its paths, queries and documents) requests into operations.

use super::S3Codec;
use crate::auth::encoding::{has_query_param, query_param};
use crate::checksum::ChecksumAlgorithm;
use crate::dialect::addressing::{self, decode_component};
use crate::dialect::{invalid_arg, not_implemented, opt, CodecContext, Parsed};
use crate::error::{ErrorCode, ServiceError};
use crate::http::RequestHead;
use crate::ops::*;
use http::Method;

/// Sub-resources of a bucket or object the mock does not implement: answered NotImplemented
/// rather than mistaken for a plain GET/PUT.
const UNSUPPORTED_SUBRESOURCES: &[&str] = &[
    "acl",
    "policy",
    "cors",
    "lifecycle",
    "tagging",
    "encryption",
    "website",
    "logging",
    "notification",
    "replication",
    "requestPayment",
    "accelerate",
    "analytics",
    "inventory",
    "metrics",
    "object-lock",
    "legal-hold",
    "retention",
    "restore",
    "select",
    "torrent",
    "ownershipControls",
    "publicAccessBlock",
    "intelligent-tiering",
    "policyStatus",
    "session",
    "metadataTable",
    "metadataConfiguration",
    "renameObject",
];

fn parse_u32(q: &str, name: &str) -> Result<Option<u32>, ServiceError> {
    match query_param(q, name) {
        None => Ok(None),
        Some(v) => v.trim().parse::<u32>().map(Some).map_err(|_| {
            invalid_arg(
                name,
                &v,
                format!("Part number must be an integer between 1 and 10000, inclusive; {name} was {v:?}"),
            )
        }),
    }
}

/// A page size: absent → 1000; not a non-negative integer → InvalidArgument.
pub fn page_size(q: &str, name: &str) -> Result<usize, ServiceError> {
    match query_param(q, name) {
        None => Ok(1000),
        Some(v) => v
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(|n| n.min(1000) as usize)
            .ok_or_else(|| {
                invalid_arg(
                    name,
                    &v,
                    format!("Provided {name} not an integer or within integer range"),
                )
            }),
    }
}

impl S3Codec {
    fn h(&self, head: &RequestHead, suffix: &str) -> Option<String> {
        head.header(&format!("{}{}", self.prefix, suffix))
            .map(str::to_string)
    }

    /// Content attributes and `x-amz-meta-*` from the headers.
    pub(super) fn attrs(&self, head: &RequestHead) -> ObjectAttrs {
        let get = |n: &str| head.header(n).map(str::to_string);
        let meta_prefix = format!("{}meta-", self.prefix);
        let metadata = head
            .headers
            .iter()
            .filter_map(|(k, v)| {
                let name = k.as_str().strip_prefix(&meta_prefix)?;
                Some((
                    name.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                ))
            })
            .collect();
        let content_encoding = get("content-encoding").and_then(|ce| {
            let rest: Vec<&str> = ce
                .split(',')
                .map(str::trim)
                .filter(|e| !e.eq_ignore_ascii_case("aws-chunked") && !e.is_empty())
                .collect();
            (!rest.is_empty()).then(|| rest.join(", "))
        });
        ObjectAttrs {
            content_type: get("content-type"),
            content_disposition: get("content-disposition"),
            content_encoding,
            content_language: get("content-language"),
            cache_control: get("cache-control"),
            expires: get("expires"),
            storage_class: self.h(head, "storage-class"),
            metadata,
        }
    }

    fn conditions(&self, head: &RequestHead, prefix: &str) -> Conditions {
        let get = |n: &str| head.header(&format!("{prefix}{n}")).map(str::to_string);
        let time = |n: &str| get(n).and_then(|v| httpdate::parse_http_date(&v).ok());
        Conditions {
            if_match: get("if-match"),
            if_none_match: get("if-none-match"),
            if_modified_since: time("if-modified-since"),
            if_unmodified_since: time("if-unmodified-since"),
        }
    }

    fn copy_source(&self, raw: &str) -> Result<CopySource, ServiceError> {
        let raw = raw.split_once("?versionId=").map(|(s, _)| s).unwrap_or(raw);
        let decoded = decode_component(raw)?;
        let trimmed = decoded.strip_prefix('/').unwrap_or(&decoded);
        match trimmed.split_once('/') {
            Some((b, k)) if !b.is_empty() && !k.is_empty() => Ok(CopySource {
                bucket: b.to_string(),
                key: k.to_string(),
            }),
            _ => Err(invalid_arg(
                &format!("{}copy-source", self.prefix),
                raw,
                "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
            )),
        }
    }

    /// The whole-object expectations a complete may carry: `x-amz-checksum-<alg>`,
    /// `x-amz-checksum-type` and `x-amz-mp-object-size`.
    fn complete_checks(&self, head: &RequestHead) -> Result<CompleteChecks, ServiceError> {
        let object_checksum = ChecksumAlgorithm::ALL.into_iter().find_map(|alg| {
            let name = alg.header_name().replacen("x-amz-", self.prefix, 1);
            head.header(&name).map(|v| (alg, v.trim().to_string()))
        });
        let checksum_type = match self.h(head, "checksum-type") {
            None => None,
            Some(t) => Some(ChecksumType::from_name(t.trim()).ok_or_else(|| {
                invalid_arg(
                    &format!("{}checksum-type", self.prefix),
                    &t,
                    "Value for x-amz-checksum-type header is invalid.",
                )
            })?),
        };
        let object_size = match self.h(head, "mp-object-size") {
            None => None,
            Some(v) => Some(v.trim().parse::<u64>().map_err(|_| {
                invalid_arg(
                    &format!("{}mp-object-size", self.prefix),
                    &v,
                    "Value for x-amz-mp-object-size header is invalid.",
                )
            })?),
        };
        Ok(CompleteChecks {
            if_none_match_any: head.header("if-none-match").map(str::trim) == Some("*"),
            etag_override: None,
            object_checksum,
            checksum_type,
            object_size,
        })
    }

    /// GetObjectAttributes: the attributes asked for in `x-amz-object-attributes`, the page of
    /// parts in `x-amz-max-parts` and `x-amz-part-number-marker`.
    fn object_attributes(
        &self,
        head: &RequestHead,
        bucket: String,
        key: String,
    ) -> Result<Operation, ServiceError> {
        let name = format!("{}object-attributes", self.prefix);
        let list = self.h(head, "object-attributes").unwrap_or_default();
        let attributes = AttributeSet::parse(&list)
            .ok_or_else(|| invalid_arg(&name, &list, "Invalid attribute name specified."))?;
        if attributes.is_empty() {
            return Err(invalid_arg(
                &name,
                "",
                "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty",
            ));
        }
        let number = |suffix: &str| -> Result<Option<i64>, ServiceError> {
            match self.h(head, suffix) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 0)
                    .map(Some)
                    .ok_or_else(|| {
                        invalid_arg(
                            &format!("{}{suffix}", self.prefix),
                            &v,
                            format!("Provided {suffix} not an integer or within integer range"),
                        )
                    }),
            }
        };
        Ok(Operation::GetObjectAttributes {
            bucket,
            key,
            attributes,
            max_parts: number("max-parts")?.map_or(1000, |n| n.min(1000) as usize),
            part_number_marker: number("part-number-marker")?
                .map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
        })
    }

    fn checksum_request(
        &self,
        head: &RequestHead,
    ) -> Result<Option<(ChecksumAlgorithm, ChecksumType)>, ServiceError> {
        let Some(alg) = self.h(head, "checksum-algorithm") else {
            return Ok(None);
        };
        let algorithm = ChecksumAlgorithm::from_name(&alg).ok_or_else(|| {
            invalid_arg(
                &format!("{}checksum-algorithm", self.prefix),
                &alg,
                "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]",
            )
        })?;
        let ty = match self
            .h(head, "checksum-type")
            .as_deref()
            .map(str::to_ascii_uppercase)
        {
            None => {
                if algorithm == ChecksumAlgorithm::Crc64Nvme {
                    ChecksumType::FullObject
                } else {
                    ChecksumType::Composite
                }
            }
            Some(t) if t == "COMPOSITE" => ChecksumType::Composite,
            Some(t) if t == "FULL_OBJECT" => ChecksumType::FullObject,
            Some(t) => {
                return Err(invalid_arg(
                    &format!("{}checksum-type", self.prefix),
                    &t,
                    "Value for x-amz-checksum-type header is invalid.",
                ))
            }
        };
        Ok(Some((algorithm, ty)))
    }

    fn list_input(
        &self,
        q: &str,
        bucket: String,
        v2: bool,
    ) -> Result<ListObjectsInput, ServiceError> {
        let continuation_token = if v2 {
            opt(q, "continuation-token")
        } else {
            None
        };
        let start_after = if v2 { opt(q, "start-after") } else { None };
        let marker = if v2 {
            match &continuation_token {
                Some(t) => Some(super::decode_token(t).ok_or_else(|| {
                    invalid_arg(
                        "continuation-token",
                        t,
                        "The continuation token provided is incorrect",
                    )
                })?),
                None => start_after.clone(),
            }
        } else {
            opt(q, "marker").filter(|m| !m.is_empty())
        };
        Ok(ListObjectsInput {
            bucket,
            prefix: opt(q, "prefix").unwrap_or_default(),
            delimiter: opt(q, "delimiter").filter(|d| !d.is_empty()),
            max_keys: page_size(q, "max-keys")?,
            marker,
            url_encode: opt(q, "encoding-type").is_some_and(|e| e.eq_ignore_ascii_case("url")),
            continuation_token,
            start_after,
        })
    }

    /// Parses a request into an operation.
    pub(super) fn parse_request(
        &self,
        head: &RequestHead,
        ctx: &CodecContext,
    ) -> Result<Parsed, ServiceError> {
        let q = head.raw_query.as_str();
        let host_bucket = addressing::host_bucket(head.hostname(), ctx);
        let addr = addressing::resolve(head, host_bucket)?;
        let m = &head.method;
        let flag = |n: &str| has_query_param(q, n);
        for s in UNSUPPORTED_SUBRESOURCES {
            if flag(s) {
                return Err(not_implemented(&format!("The ?{s} sub-resource")));
            }
        }
        let op = match (addr.bucket, addr.key) {
            (None, _) => {
                if *m == Method::HEAD && flag("apiversion") {
                    Operation::ApiVersionProbe
                } else if *m == Method::GET {
                    Operation::ListBuckets
                } else {
                    return Err(ServiceError::new(ErrorCode::MethodNotAllowed));
                }
            }
            (Some(bucket), None) => match *m {
                Method::HEAD if flag("apiversion") => Operation::ApiVersionProbe,
                Method::PUT if flag("versioning") => {
                    return Err(not_implemented("PutBucketVersioning"))
                }
                Method::PUT => Operation::CreateBucket { bucket },
                Method::HEAD => Operation::HeadBucket { bucket },
                Method::DELETE => Operation::DeleteBucket { bucket },
                Method::POST if flag("delete") => Operation::DeleteObjects {
                    bucket,
                    keys: Vec::new(),
                    quiet: false,
                },
                Method::GET if flag("location") => Operation::GetBucketLocation { bucket },
                Method::GET if flag("versioning") => Operation::GetBucketVersioning { bucket },
                Method::GET if flag("uploads") => Operation::ListMultipartUploads {
                    bucket,
                    prefix: opt(q, "prefix").unwrap_or_default(),
                    delimiter: opt(q, "delimiter").filter(|d| !d.is_empty()),
                    key_marker: opt(q, "key-marker").filter(|d| !d.is_empty()),
                    upload_id_marker: opt(q, "upload-id-marker").filter(|d| !d.is_empty()),
                    max_uploads: page_size(q, "max-uploads")?,
                },
                Method::GET if flag("versions") => {
                    let mut input = self.list_input(q, bucket, false)?;
                    input.marker = opt(q, "key-marker").filter(|d| !d.is_empty());
                    Operation::ListObjectVersions { input }
                }
                Method::GET => {
                    let v2 = opt(q, "list-type").as_deref() == Some("2");
                    Operation::ListObjects {
                        v2,
                        input: self.list_input(q, bucket, v2)?,
                    }
                }
                _ => return Err(ServiceError::new(ErrorCode::MethodNotAllowed)),
            },
            (Some(bucket), Some(key)) => {
                let upload_id = opt(q, "uploadId");
                match (m.clone(), upload_id) {
                    (Method::PUT, Some(upload_id)) => {
                        let part_number = parse_u32(q, "partNumber")?.ok_or_else(|| {
                            invalid_arg(
                                "partNumber",
                                "",
                                "Part number must be an integer between 1 and 10000, inclusive",
                            )
                        })?;
                        match self.h(head, "copy-source") {
                            Some(src) => Operation::UploadPartCopy {
                                source: self.copy_source(&src)?,
                                range: match self.h(head, "copy-source-range") {
                                    None => None,
                                    Some(r) => Some(RangeSpec::parse(&r).ok_or_else(|| {
                                        invalid_arg(
                                            &format!("{}copy-source-range", self.prefix),
                                            &r,
                                            "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
                                        )
                                    })?),
                                },
                                conditions: self.conditions(head, &format!("{}copy-source-", self.prefix)),
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
                    (Method::PUT, None) => match self.h(head, "copy-source") {
                        Some(src) => Operation::CopyObject {
                            source: self.copy_source(&src)?,
                            replace_attrs: self
                                .h(head, "metadata-directive")
                                .filter(|d| d.eq_ignore_ascii_case("REPLACE"))
                                .map(|_| self.attrs(head)),
                            conditions: self
                                .conditions(head, &format!("{}copy-source-", self.prefix)),
                            bucket,
                            key,
                        },
                        None => Operation::PutObject {
                            attrs: self.attrs(head),
                            if_none_match_any: head.header("if-none-match").map(str::trim)
                                == Some("*"),
                            bucket,
                            key,
                        },
                    },
                    (Method::GET, None) if flag("attributes") => {
                        self.object_attributes(head, bucket, key)?
                    }
                    (Method::GET, Some(upload_id)) => Operation::ListParts {
                        bucket,
                        key,
                        upload_id,
                        max_parts: page_size(q, "max-parts")?,
                        part_number_marker: parse_u32(q, "part-number-marker")?,
                    },
                    (Method::GET | Method::HEAD, None) => Operation::GetObject {
                        head: *m == Method::HEAD,
                        range: match head.header("range") {
                            // An unparsable Range header is ignored, as S3 does.
                            Some(r) => RangeSpec::parse(r),
                            None => None,
                        },
                        part_number: parse_u32(q, "partNumber")?,
                        conditions: self.conditions(head, ""),
                        checksum_mode: self
                            .h(head, "checksum-mode")
                            .is_some_and(|v| v.eq_ignore_ascii_case("ENABLED")),
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
                        attrs: self.attrs(head),
                        checksum: self.checksum_request(head)?,
                        bucket,
                        key,
                    },
                    (Method::POST, Some(upload_id)) => Operation::CompleteMultipartUpload {
                        bucket,
                        key,
                        upload_id,
                        parts: Vec::new(),
                        checks: self.complete_checks(head)?,
                    },
                    (Method::POST, None) => {
                        return Err(not_implemented("POST object (browser form upload)"))
                    }
                    _ => return Err(ServiceError::new(ErrorCode::MethodNotAllowed)),
                }
            }
        };
        Ok(Parsed {
            op,
            virtual_host_bucket: addr.virtual_host_bucket,
        })
    }
}
