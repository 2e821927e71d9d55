//! QingStor: `QS ak:sig`, `upload_id` / `part_number` query names, part numbers from 0, JSON
//! documents, 201 for parts and complete, 204 for abort.

use std::time::SystemTime;

use http::header::{CONTENT_TYPE, ETAG};
use http::{HeaderName, HeaderValue, Method};
use mock_server::auth::{qs, Credentials as AuthCredentials, RequestTarget};
use mock_server::wire::json::JsonDocument;
use mock_server::wire::qs_json::{
    CompleteMultipartUploadInput, CompletePart, ErrorOutput, InitiateMultipartUploadOutput,
    ListMultipartOutput,
};

use super::{object_path, query_value, service_error, Codec, WireRequest, WireResponse};
use crate::uploader::config::UploaderConfig;
use crate::uploader::failure::AttemptError;
use crate::uploader::integrity::PartData;
use crate::uploader::remote::{
    CompleteAck, CompleteRequest, ListedPart, PartAck, PartsPage, UploadRef,
};

/// Largest answer document parsed.
const MAX_DOCUMENT: usize = 16 * 1024 * 1024;

/// Parts per listing page asked for.
const PAGE: u32 = 1000;

/// Request id header of QingStor answers.
const REQUEST_ID: &str = "x-qs-request-id";

const OCTET_STREAM: &str = "application/octet-stream";

/// The QingStor codec.
pub struct QingStorCodec {
    credentials: AuthCredentials,
    content_md5: bool,
    content_type: String,
}

impl QingStorCodec {
    /// A codec for a QingStor configuration.
    pub fn new(cfg: &UploaderConfig) -> Self {
        QingStorCodec {
            credentials: AuthCredentials::new(
                cfg.credentials.access_key.clone(),
                cfg.credentials.secret_key.clone(),
            ),
            content_md5: cfg.content_md5,
            content_type: cfg
                .content_type
                .clone()
                .unwrap_or_else(|| OCTET_STREAM.to_string()),
        }
    }

    fn error(&self, resp: &WireResponse) -> AttemptError {
        let doc = if resp.body.is_empty() {
            None
        } else {
            ErrorOutput::from_json(&resp.body, MAX_DOCUMENT).ok()
        };
        let (code, message, request_id) = match doc {
            Some(d) => (
                Some(d.code),
                Some(d.message),
                Some(d.request_id).filter(|r| !r.is_empty()),
            ),
            None => (None, None, None),
        };
        service_error(resp, code, message, REQUEST_ID, request_id)
    }

    fn parse<T: JsonDocument>(&self, resp: &WireResponse) -> Result<T, AttemptError> {
        T::from_json(&resp.body, MAX_DOCUMENT).map_err(|e| {
            let mut err = AttemptError::malformed(format!("{} answer: {e}", T::NAME));
            err.request_id = resp.header(REQUEST_ID).map(str::to_string);
            err
        })
    }

    fn upload_query(upload: &UploadRef) -> String {
        format!("upload_id={}", query_value(&upload.upload_id))
    }
}

fn content_type(req: &mut WireRequest, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        req.headers.insert(CONTENT_TYPE, v);
    }
}

impl Codec for QingStorCodec {
    fn initiate(&self, bucket: &str, key: &str) -> WireRequest {
        let mut req = WireRequest::new(Method::POST, object_path(bucket, key), "uploads".into());
        content_type(&mut req, &self.content_type);
        req
    }

    fn parse_initiate(&self, resp: &WireResponse) -> Result<String, AttemptError> {
        self.expect(resp, &[200])?;
        let doc: InitiateMultipartUploadOutput = self.parse(resp)?;
        if doc.upload_id.is_empty() {
            return Err(AttemptError::malformed(
                "initiate answer has an empty upload_id",
            ));
        }
        Ok(doc.upload_id)
    }

    fn upload_part(&self, upload: &UploadRef, number: u32, part: &PartData) -> WireRequest {
        let query = format!("part_number={number}&{}", Self::upload_query(upload));
        let mut req =
            WireRequest::new(Method::PUT, object_path(&upload.bucket, &upload.key), query);
        content_type(&mut req, OCTET_STREAM);
        if self.content_md5 {
            if let Ok(v) = HeaderValue::from_str(&part.content_md5()) {
                req.headers
                    .insert(HeaderName::from_static("content-md5"), v);
            }
        }
        req.body = part.bytes.clone();
        req
    }

    fn parse_upload_part(&self, resp: &WireResponse) -> Result<PartAck, AttemptError> {
        self.expect(resp, &[201])?;
        let etag = resp
            .headers
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| AttemptError::malformed("part answer has no ETag header"))?;
        Ok(PartAck {
            etag: etag.to_string(),
            checksum: None,
        })
    }

    fn list_parts(&self, upload: &UploadRef, marker: Option<u32>) -> WireRequest {
        let mut query = format!("limit={PAGE}");
        if let Some(m) = marker {
            query.push_str(&format!("&part_number_marker={m}"));
        }
        query.push('&');
        query.push_str(&Self::upload_query(upload));
        WireRequest::new(Method::GET, object_path(&upload.bucket, &upload.key), query)
    }

    fn parse_list_parts(&self, resp: &WireResponse) -> Result<PartsPage, AttemptError> {
        self.expect(resp, &[200])?;
        let doc: ListMultipartOutput = self.parse(resp)?;
        let mut parts = Vec::with_capacity(doc.object_parts.len());
        for p in &doc.object_parts {
            let number = u32::try_from(p.part_number).map_err(|_| {
                AttemptError::malformed(format!(
                    "list_multipart answer has part number {}",
                    p.part_number
                ))
            })?;
            parts.push(ListedPart {
                number,
                size: p.size,
                etag: p.etag.clone(),
                checksum: None,
            });
        }
        // QingStor documents no paging; `has_more` / `next_part_number_marker` are honoured
        // where a server (this mock) sends them.
        let next_marker = if doc.has_more == Some(true) {
            let next = doc
                .next_part_number_marker
                .or_else(|| doc.object_parts.last().map(|p| p.part_number))
                .ok_or_else(|| {
                    AttemptError::malformed("list_multipart has_more without a next marker")
                })?;
            Some(u32::try_from(next).map_err(|_| {
                AttemptError::malformed(format!("list_multipart next marker {next} out of range"))
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
        let doc = CompleteMultipartUploadInput {
            object_parts: request
                .parts
                .iter()
                .map(|p| CompletePart {
                    etag: Some(p.etag.clone()),
                    part_number: i64::from(p.number),
                })
                .collect(),
        };
        let mut req = WireRequest::new(
            Method::POST,
            object_path(&upload.bucket, &upload.key),
            Self::upload_query(upload),
        );
        content_type(&mut req, "application/json");
        // QingStor keeps the ETag the client gives as the object's ETag; give the S3-style
        // MD5-of-MD5s so HEAD can confirm the object later.
        let etag = HeaderValue::from_str(&format!("\"{}\"", request.expected_etag))
            .map_err(|_| AttemptError::invalid_request("expected ETag is not a header value"))?;
        req.headers.insert(ETAG, etag);
        req.body = doc.to_json().into();
        Ok(req)
    }

    fn parse_complete(&self, resp: &WireResponse) -> Result<CompleteAck, AttemptError> {
        self.expect(resp, &[201, 200])?;
        Ok(CompleteAck {
            etag: resp.header("etag").map(str::to_string),
            checksum: None,
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
        self.expect(resp, &[204, 200])
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
        qs::sign(&target, &mut req.headers, &self.credentials, now)
            .map_err(|e| AttemptError::invalid_request(format!("cannot sign the request: {e}")))
    }
}
