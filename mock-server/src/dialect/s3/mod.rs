//! The S3 codec. OBS shares it: on an IP endpoint its SDK speaks S3 with SigV2, and in native
//! mode the same paths, queries and documents with `x-obs-` headers; [`S3Codec::obs`] is that.

mod parse;
mod render;

use super::{Codec, CodecContext, Dialect, Parsed};
use crate::auth::PayloadHash;
use crate::aws_chunked::ChunkSignatureMode;
use crate::checksum::ChecksumAlgorithm;
use crate::error::{ErrorCode, ServiceError};
use crate::http::body::{ChecksumExpectation, PayloadSpec};
use crate::http::response::Response;
use crate::http::RequestHead;
use crate::ops::{CompletePart, Operation, Output};
use crate::wire::s3 as wire;
use crate::wire::xml::parse_xml;
use base64::Engine;

pub use parse::page_size;

/// Largest request document accepted (a complete listing 10,000 parts is about 1 MiB).
pub const MAX_DOCUMENT_BYTES: usize = 4 << 20;

/// The S3 codec, parameterised by header prefix and spelling.
#[derive(Debug, Clone)]
pub struct S3Codec {
    /// `x-amz-` or `x-obs-`.
    pub(crate) prefix: &'static str,
    /// Which dialect this instance speaks.
    pub(crate) dialect: Dialect,
}

impl S3Codec {
    /// Amazon S3.
    pub const S3: S3Codec = S3Codec {
        prefix: "x-amz-",
        dialect: Dialect::S3,
    };

    /// Huawei OBS: native mode uses `x-obs-` headers; the S3-compatible mode its SDK falls back
    /// to uses `x-amz-` headers and is otherwise identical.
    pub fn obs(native: bool) -> S3Codec {
        S3Codec {
            prefix: if native { "x-obs-" } else { "x-amz-" },
            dialect: Dialect::Obs,
        }
    }

    /// The request-id header name of this codec.
    pub fn request_id_header(&self) -> &'static str {
        if self.prefix == "x-obs-" {
            "x-obs-request-id"
        } else {
            "x-amz-request-id"
        }
    }
}

/// Encodes a ListObjectsV2 continuation token (the key to resume after).
pub fn encode_token(key: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.as_bytes())
}

/// Decodes a continuation token made by [`encode_token`].
pub fn decode_token(token: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim())
        .ok()?;
    String::from_utf8(bytes).ok()
}

fn malformed(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::with_message(
        ErrorCode::MalformedXml,
        format!("The XML you provided was not well-formed or did not validate against our published schema: {e}"),
    )
}

impl Codec for S3Codec {
    fn dialect(&self) -> Dialect {
        self.dialect
    }

    fn parse(&self, head: &RequestHead, ctx: &CodecContext) -> Result<Parsed, ServiceError> {
        self.parse_request(head, ctx)
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
                let doc: wire::CompleteMultipartUpload =
                    parse_xml(body, MAX_DOCUMENT_BYTES).map_err(malformed)?;
                let mut out = Vec::with_capacity(doc.parts.len());
                for p in doc.parts {
                    let number = u32::try_from(p.part_number).map_err(|_| {
                        ServiceError::with_message(
                            ErrorCode::InvalidArgument,
                            format!(
                                "Part number must be an integer between 1 and 10000, inclusive; got {}",
                                p.part_number
                            ),
                        )
                        .field("ArgumentName", "PartNumber")
                        .field("ArgumentValue", p.part_number.to_string())
                    })?;
                    let checksum = [
                        (ChecksumAlgorithm::Crc32, &p.checksum_crc32),
                        (ChecksumAlgorithm::Crc32c, &p.checksum_crc32c),
                        (ChecksumAlgorithm::Crc64Nvme, &p.checksum_crc64nvme),
                        (ChecksumAlgorithm::Sha1, &p.checksum_sha1),
                        (ChecksumAlgorithm::Sha256, &p.checksum_sha256),
                    ]
                    .into_iter()
                    .find_map(|(a, v)| v.clone().map(|v| (a, v)));
                    out.push(CompletePart {
                        number,
                        etag: Some(p.etag),
                        checksum,
                    });
                }
                *parts = out;
                Ok(())
            }
            Operation::DeleteObjects { keys, quiet, .. } => {
                let doc: wire::Delete = parse_xml(body, MAX_DOCUMENT_BYTES).map_err(malformed)?;
                if doc.objects.len() > 1000 {
                    return Err(malformed("a Delete request may name at most 1000 objects"));
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
            expect_continue: head
                .header("expect")
                .is_some_and(|e| e.trim().eq_ignore_ascii_case("100-continue")),
            ..PayloadSpec::default()
        };
        let payload = match head.header("x-amz-content-sha256") {
            Some(v) => PayloadHash::parse(v).map_err(|e| {
                ServiceError::with_message(ErrorCode::InvalidArgument, e.to_string())
                    .field("ArgumentName", "x-amz-content-sha256")
            })?,
            None => PayloadHash::NotSigned,
        };
        if let PayloadHash::Sha256(h) = payload {
            spec.sha256 = Some(h);
        }
        let encoding_chunked = head.header("content-encoding").is_some_and(|ce| {
            ce.split(',')
                .any(|e| e.trim().eq_ignore_ascii_case("aws-chunked"))
        });
        if payload.is_streaming() || encoding_chunked {
            // Chunk signatures are verified by the app once it knows the signing key; without
            // credentials configured they are parsed and ignored.
            spec.aws_chunked = Some(ChunkSignatureMode::Unsigned);
            let decoded = head.header("x-amz-decoded-content-length").ok_or_else(|| {
                ServiceError::new(ErrorCode::MissingContentLength)
                    .field("HeaderName", "x-amz-decoded-content-length")
            })?;
            spec.declared_len = Some(decoded.trim().parse().map_err(|_| {
                ServiceError::with_message(
                    ErrorCode::InvalidArgument,
                    format!("x-amz-decoded-content-length must be a number, got {decoded:?}"),
                )
            })?);
        } else if let Some(cl) = head.header("content-length") {
            spec.declared_len = cl.trim().parse().ok();
        } else if head.header("transfer-encoding").is_none() {
            return Err(ServiceError::new(ErrorCode::MissingContentLength));
        }
        // Flexible checksums: a header value, or a trailer announced in x-amz-trailer, or just
        // the algorithm (compute and store).
        let trailer = head
            .header(&format!("{}trailer", self.prefix))
            .or_else(|| head.header("x-amz-trailer"))
            .map(|t| t.trim().to_ascii_lowercase());
        let mut found = None;
        for alg in ChecksumAlgorithm::ALL {
            let name = alg.header_name().replacen("x-amz-", self.prefix, 1);
            if let Some(v) = head.header(&name) {
                found = Some(ChecksumExpectation {
                    algorithm: alg,
                    value: Some(v.trim().to_string()),
                    trailer: None,
                });
                break;
            }
            if trailer.as_deref() == Some(name.as_str())
                || trailer.as_deref() == Some(alg.header_name())
            {
                found = Some(ChecksumExpectation {
                    algorithm: alg,
                    value: None,
                    trailer: trailer.clone(),
                });
                break;
            }
        }
        if found.is_none() {
            if let Some(t) = &trailer {
                return Err(ServiceError::with_message(
                    ErrorCode::InvalidRequest,
                    format!(
                        "The value specified in the x-amz-trailer header is not supported: {t}"
                    ),
                ));
            }
            if let Some(a) = head.header(&format!("{}sdk-checksum-algorithm", self.prefix)) {
                if let Some(alg) = ChecksumAlgorithm::from_name(a.trim()) {
                    found = Some(ChecksumExpectation {
                        algorithm: alg,
                        value: None,
                        trailer: None,
                    });
                }
            }
        }
        spec.checksum = found;
        Ok(spec)
    }

    fn render(&self, head: &RequestHead, op: &Operation, out: Output) -> Response {
        render::render(self, head, op, out)
    }

    fn render_error(&self, head: &RequestHead, err: &ServiceError) -> Response {
        render::render_error(self, head, err)
    }

    fn render_custom_error(
        &self,
        head: &RequestHead,
        status: http::StatusCode,
        code: &str,
        message: &str,
    ) -> Response {
        render::render_custom_error(self, head, status, code, message)
    }

    fn render_error_in_200(&self, head: &RequestHead, code: &str, message: &str) -> Response {
        render::render_custom_error(self, head, http::StatusCode::OK, code, message)
    }

    fn keepalive_prefix(&self) -> (&'static str, &'static str) {
        (
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "application/xml",
        )
    }

    fn render_streaming_200(
        &self,
        head: &RequestHead,
        content_type: &str,
        body: crate::http::response::Body,
    ) -> Response {
        render::streaming(self, head, content_type, body)
    }
}
