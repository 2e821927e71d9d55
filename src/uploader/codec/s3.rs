//! S3 and OBS: path-style requests, S3 XML documents; SigV4 (S3), AWS SigV2 with `x-amz-`
//! headers (OBS as its SDK speaks to IP endpoints) or the OBS signature with `x-obs-` headers.

use std::time::SystemTime;

use http::header::{CONTENT_TYPE, ETAG};
use http::{HeaderName, HeaderValue, Method};
use mock_server::auth::sigv2::{self, HeaderPrefix};
use mock_server::auth::{sigv4, Credentials as AuthCredentials, RequestTarget};
use mock_server::checksum::ChecksumAlgorithm;
use mock_server::wire::s3::{
    CompleteMultipartUpload, CompleteMultipartUploadResult, CompletedPart as WirePart,
    ErrorDocument, InitiateMultipartUploadResult, ListPartsResult,
};
use mock_server::wire::xml::{root_element, XmlDocument};
use sha2::{Digest, Sha256};

use super::{object_path, query_value, service_error, Codec, WireRequest, WireResponse};
use crate::uploader::config::{Dialect, PayloadSigning, UploaderConfig};
use crate::uploader::failure::{AttemptError, Cause};
use crate::uploader::integrity::algorithm;
use crate::uploader::integrity::PartData;
use crate::uploader::remote::{
    CompleteAck, CompleteRequest, ListedPart, PartAck, PartsPage, UploadRef,
};

/// Largest answer document parsed.
const MAX_DOCUMENT: usize = 16 * 1024 * 1024;

/// Parts per ListParts page asked for.
const PAGE: u32 = 1000;

/// How requests are signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Signing {
    /// AWS Signature V4.
    V4,
    /// AWS Signature V2 / OBS signature.
    V2(HeaderPrefix),
}

/// The S3/OBS codec.
pub struct S3Codec {
    signing: Signing,
    credentials: AuthCredentials,
    region: String,
    content_md5: bool,
    payload: PayloadSigning,
    checksum: Option<ChecksumAlgorithm>,
    content_type: Option<String>,
}

impl S3Codec {
    /// A codec for an S3, OBS or OBS-native configuration.
    pub fn new(cfg: &UploaderConfig) -> Self {
        let signing = match cfg.dialect {
            Dialect::ObsNative => Signing::V2(HeaderPrefix::Obs),
            Dialect::Obs => Signing::V2(HeaderPrefix::Amz),
            _ => Signing::V4,
        };
        S3Codec {
            signing,
            credentials: AuthCredentials::new(
                cfg.credentials.access_key.clone(),
                cfg.credentials.secret_key.clone(),
            ),
            region: cfg.region.clone(),
            content_md5: cfg.content_md5,
            payload: cfg.payload_signing,
            checksum: algorithm(cfg.checksum),
            content_type: cfg.content_type.clone(),
        }
    }

    fn request_id_header(&self) -> &'static str {
        match self.signing {
            Signing::V2(HeaderPrefix::Obs) => "x-obs-request-id",
            _ => "x-amz-request-id",
        }
    }

    /// The error an unexpected answer stands for.
    fn error(&self, resp: &WireResponse) -> AttemptError {
        let doc = if resp.body.is_empty() {
            None
        } else {
            ErrorDocument::from_xml(&resp.body, MAX_DOCUMENT).ok()
        };
        let (code, message, request_id) = match doc {
            Some(d) => (Some(d.code), Some(d.message), d.request_id),
            None => (None, None, None),
        };
        service_error(resp, code, message, self.request_id_header(), request_id)
    }

    fn parse<T: XmlDocument>(&self, resp: &WireResponse) -> Result<T, AttemptError> {
        T::from_xml(&resp.body, MAX_DOCUMENT).map_err(|e| {
            let mut err = AttemptError::malformed(format!("{} answer: {e}", T::ROOT));
            err.request_id = resp.header(self.request_id_header()).map(str::to_string);
            err
        })
    }

    fn upload_query(upload: &UploadRef) -> String {
        format!("uploadId={}", query_value(&upload.upload_id))
    }
}

/// The part checksum of `alg` in a listing entry.
fn listed_checksum(alg: ChecksumAlgorithm, part: &mock_server::wire::s3::Part) -> Option<String> {
    part.checksums()
        .into_iter()
        .find(|(name, _)| *name == alg.xml_element())
        .map(|(_, v)| v.to_string())
}

impl Codec for S3Codec {
    fn initiate(&self, bucket: &str, key: &str) -> WireRequest {
        let mut req = WireRequest::new(Method::POST, object_path(bucket, key), "uploads".into());
        if let Some(ct) = &self.content_type {
            if let Ok(v) = HeaderValue::from_str(ct) {
                req.headers.insert(CONTENT_TYPE, v);
            }
        }
        if let Some(alg) = self.checksum {
            req.headers.insert(
                HeaderName::from_static("x-amz-checksum-algorithm"),
                HeaderValue::from_static(alg.name()),
            );
            let kind = if alg == ChecksumAlgorithm::Crc64Nvme {
                "FULL_OBJECT"
            } else {
                "COMPOSITE"
            };
            req.headers.insert(
                HeaderName::from_static("x-amz-checksum-type"),
                HeaderValue::from_static(kind),
            );
        }
        req
    }

    fn parse_initiate(&self, resp: &WireResponse) -> Result<String, AttemptError> {
        self.expect(resp, &[200])?;
        let doc: InitiateMultipartUploadResult = self.parse(resp)?;
        if doc.upload_id.is_empty() {
            return Err(AttemptError::malformed(
                "initiate answer has an empty UploadId",
            ));
        }
        Ok(doc.upload_id)
    }

    fn upload_part(&self, upload: &UploadRef, number: u32, part: &PartData) -> WireRequest {
        let query = format!("partNumber={number}&{}", Self::upload_query(upload));
        let mut req =
            WireRequest::new(Method::PUT, object_path(&upload.bucket, &upload.key), query);
        if self.content_md5 {
            if let Ok(v) = HeaderValue::from_str(&part.content_md5()) {
                req.headers
                    .insert(HeaderName::from_static("content-md5"), v);
            }
        }
        if let (Some(alg), Some(value)) = (self.checksum, &part.checksum) {
            if let Ok(v) = HeaderValue::from_str(value) {
                req.headers
                    .insert(HeaderName::from_static(alg.header_name()), v);
            }
        }
        req.payload_hash = Some(match (&self.payload, &part.sha256_hex) {
            (PayloadSigning::Sha256, Some(hex)) => hex.clone(),
            _ => "UNSIGNED-PAYLOAD".to_string(),
        });
        req.body = part.bytes.clone();
        req
    }

    fn parse_upload_part(&self, resp: &WireResponse) -> Result<PartAck, AttemptError> {
        self.expect(resp, &[200])?;
        let etag = resp
            .headers
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| AttemptError::malformed("part answer has no ETag header"))?;
        let checksum = self
            .checksum
            .and_then(|alg| resp.header(alg.header_name()))
            .map(str::to_string);
        Ok(PartAck {
            etag: etag.to_string(),
            checksum,
        })
    }

    fn list_parts(&self, upload: &UploadRef, marker: Option<u32>) -> WireRequest {
        let mut query = format!("max-parts={PAGE}");
        if let Some(m) = marker {
            query.push_str(&format!("&part-number-marker={m}"));
        }
        query.push('&');
        query.push_str(&Self::upload_query(upload));
        WireRequest::new(Method::GET, object_path(&upload.bucket, &upload.key), query)
    }

    fn parse_list_parts(&self, resp: &WireResponse) -> Result<PartsPage, AttemptError> {
        self.expect(resp, &[200])?;
        let doc: ListPartsResult = self.parse(resp)?;
        let mut parts = Vec::with_capacity(doc.parts.len());
        for p in &doc.parts {
            let number = u32::try_from(p.part_number).map_err(|_| {
                AttemptError::malformed(format!(
                    "ListParts answer has part number {}",
                    p.part_number
                ))
            })?;
            parts.push(ListedPart {
                number,
                size: p.size,
                etag: p.etag.clone(),
                checksum: self.checksum.and_then(|alg| listed_checksum(alg, p)),
            });
        }
        let next_marker = if doc.is_truncated {
            let next = doc
                .next_part_number_marker
                .or_else(|| doc.parts.last().map(|p| p.part_number))
                .ok_or_else(|| {
                    AttemptError::malformed(
                        "ListParts answer is truncated but gives no next marker",
                    )
                })?;
            Some(u32::try_from(next).map_err(|_| {
                AttemptError::malformed(format!("ListParts next marker {next} is out of range"))
            })?)
        } else {
            None
        };
        Ok(PartsPage { parts, next_marker })
    }

    fn complete(
        &self,
        upload: &UploadRef,
        request: &CompleteRequest,
    ) -> Result<WireRequest, AttemptError> {
        let alg = algorithm(request.checksum).filter(|_| self.checksum.is_some());
        let parts = request
            .parts
            .iter()
            .map(|p| {
                let mut w = WirePart::new(i64::from(p.number), p.etag.clone());
                if let (Some(alg), Some(value)) = (alg, &p.checksum) {
                    let slot = match alg {
                        ChecksumAlgorithm::Crc32 => &mut w.checksum_crc32,
                        ChecksumAlgorithm::Crc32c => &mut w.checksum_crc32c,
                        ChecksumAlgorithm::Crc64Nvme => &mut w.checksum_crc64nvme,
                        ChecksumAlgorithm::Sha1 => &mut w.checksum_sha1,
                        ChecksumAlgorithm::Sha256 => &mut w.checksum_sha256,
                    };
                    *slot = Some(value.clone());
                }
                w
            })
            .collect();
        let body = CompleteMultipartUpload { parts }.to_xml();
        let mut req = WireRequest::new(
            Method::POST,
            object_path(&upload.bucket, &upload.key),
            Self::upload_query(upload),
        );
        req.body = body.into();
        Ok(req)
    }

    fn parse_complete(&self, resp: &WireResponse) -> Result<CompleteAck, AttemptError> {
        self.expect(resp, &[200])?;
        // S3 may fail a complete inside a 200: the body is then an <Error> document.
        if let Ok(root) = root_element(&resp.body, MAX_DOCUMENT) {
            if root == "Error" {
                let doc = ErrorDocument::from_xml(&resp.body, MAX_DOCUMENT).ok();
                let code = doc.as_ref().map(|d| d.code.clone()).unwrap_or_default();
                let mut e = AttemptError::new(
                    Cause::ErrorInOk { code },
                    doc.as_ref().map(|d| d.message.clone()).unwrap_or_default(),
                );
                e.request_id = doc
                    .and_then(|d| d.request_id)
                    .or_else(|| resp.header(self.request_id_header()).map(str::to_string));
                return Err(e);
            }
        }
        let doc: CompleteMultipartUploadResult = self.parse(resp)?;
        let checksum = self.checksum.and_then(|alg| match alg {
            ChecksumAlgorithm::Crc32 => doc.checksum_crc32.clone(),
            ChecksumAlgorithm::Crc32c => doc.checksum_crc32c.clone(),
            ChecksumAlgorithm::Crc64Nvme => doc.checksum_crc64nvme.clone(),
            ChecksumAlgorithm::Sha1 => doc.checksum_sha1.clone(),
            ChecksumAlgorithm::Sha256 => doc.checksum_sha256.clone(),
        });
        Ok(CompleteAck {
            etag: Some(doc.etag).filter(|e| !e.is_empty()),
            checksum,
        })
    }

    fn abort(&self, upload: &UploadRef) -> WireRequest {
        WireRequest::new(
            Method::DELETE,
            object_path(&upload.bucket, &upload.key),
            Self::upload_query(upload),
        )
    }

    fn parse_abort(&self, resp: &WireResponse) -> Result<(), AttemptError> {
        self.expect(resp, &[200, 204])
    }

    fn error_of(&self, resp: &WireResponse) -> AttemptError {
        self.error(resp)
    }

    fn sign(&self, req: &mut WireRequest, now: SystemTime) -> Result<(), AttemptError> {
        let target = RequestTarget {
            method: req.method.as_str(),
            raw_path: &req.path,
            raw_query: &req.query,
            virtual_host_bucket: None,
        };
        let result = match self.signing {
            Signing::V4 => {
                let hash = req
                    .payload_hash
                    .clone()
                    .unwrap_or_else(|| hex::encode(Sha256::digest(&req.body)));
                sigv4::sign(
                    &target,
                    &mut req.headers,
                    &hash,
                    &self.credentials,
                    &self.region,
                    now,
                )
                .map(|_| ())
            }
            Signing::V2(prefix) => {
                sigv2::sign(&target, &mut req.headers, &self.credentials, prefix, now)
            }
        };
        result.map_err(|e| AttemptError::invalid_request(format!("cannot sign the request: {e}")))
    }
}
