//! The request path, top to bottom: HTTP request -> dialect codec -> auth -> service ->
//! rendered response. Admin requests (`/_mock/...`) branch off first.

use crate::admin;
use crate::auth::{self, CredentialProvider, SignableRequest};
use crate::checksum::Md5;
use crate::dialect::{self, Codec, CodecContext, Dialect};
use crate::error::{ErrorCode, ServiceError};
use crate::faults::{Action, FaultEngine, Fired, RequestIdentity};
use crate::http::body::HttpPayload;
use crate::http::response;
use crate::http::response::Response;
use crate::http::server::DropConnection;
use crate::http::RequestHead;
use crate::journal::{Journal, JournalEntry, PendingEntry};
use crate::ops::{Limits, Operation, Output};
use crate::payload::check_content_md5;
use crate::service::Service;
use bytes::Bytes;
use http::StatusCode;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use std::time::SystemTime;

/// Settings of the request path.
#[derive(Clone, Default)]
pub struct AppConfig {
    /// Credentials to verify signatures against; `None` accepts any.
    pub credentials: Option<Arc<dyn CredentialProvider>>,
    /// Overrides every dialect's minimum part size.
    pub min_part_size: Option<u64>,
    /// Forces one dialect for every request.
    pub dialect: Option<Dialect>,
    /// Extra domains for virtual-hosted addressing (`BUCKET.domain`).
    pub domains: Vec<String>,
    /// Token required by the admin API (when it is reachable from other hosts).
    pub admin_token: Option<String>,
    /// Longest wait for the next piece of a request body before the request fails and the
    /// connection is closed; `None` means [`DEFAULT_BODY_READ_TIMEOUT`].
    pub body_read_timeout: Option<Duration>,
    /// Longest wait for a request's headers; `None` means
    /// [`crate::http::server::HEADER_READ_TIMEOUT`].
    pub header_read_timeout: Option<Duration>,
    /// Journal entries kept at most; `None` means [`crate::journal::DEFAULT_LIMIT`].
    pub journal_limit: Option<usize>,
}

/// How long a request body may stall (no byte arriving) by default: a client that never
/// finishes its body cannot hold a connection and a task forever.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(60);

impl std::fmt::Debug for AppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppConfig")
            .field("auth", &self.credentials.is_some())
            .field("min_part_size", &self.min_part_size)
            .field("dialect", &self.dialect)
            .field("domains", &self.domains)
            .field("body_read_timeout", &self.body_read_timeout)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("journal_limit", &self.journal_limit)
            .finish()
    }
}

/// The server's request handler.
pub struct App {
    /// The object store.
    pub service: Arc<Service>,
    /// Settings.
    pub config: AppConfig,
    /// Installed fault rules.
    pub faults: FaultEngine,
    /// Every request.
    pub journal: Journal,
    next_request: AtomicU64,
    instance: u32,
}

/// Upper bound on a drained request body after an early error answer.
const DRAIN_LIMIT: usize = 64 << 20;

impl App {
    /// A handler over `service`.
    pub fn new(service: Arc<Service>, config: AppConfig) -> App {
        let journal_limit = config
            .journal_limit
            .unwrap_or(crate::journal::DEFAULT_LIMIT);
        App {
            service,
            config,
            faults: FaultEngine::default(),
            journal: Journal::with_limit(journal_limit),
            next_request: AtomicU64::new(1),
            instance: rand::random(),
        }
    }

    /// The effective body read (stall) timeout.
    pub fn body_read_timeout(&self) -> Duration {
        self.config
            .body_read_timeout
            .unwrap_or(DEFAULT_BODY_READ_TIMEOUT)
    }

    fn request_id(&self) -> String {
        let n = self.next_request.fetch_add(1, Ordering::Relaxed);
        format!("{:08X}{:08X}", self.instance, n)
    }

    /// The limits for a dialect, with the `--min-part-size` override.
    pub fn limits(&self, dialect: Dialect) -> Limits {
        let mut l = dialect.default_limits();
        if let Some(m) = self.config.min_part_size {
            l.min_part_size = m;
        }
        l
    }

    fn codec_for(&self, head: &RequestHead) -> Box<dyn Codec> {
        codec_for_dialect(dialect::detect(head, self.config.dialect), head)
    }

    fn codec_context(&self) -> CodecContext {
        let service = self.service.clone();
        CodecContext {
            domains: self.config.domains.clone(),
            bucket_exists: Some(Arc::new(move |b: &str| service.head_bucket(b).is_ok())),
        }
    }

    /// Handles one request. An `Err` makes hyper drop the connection without an answer.
    pub async fn handle(
        &self,
        req: hyper::Request<Incoming>,
        tls: bool,
    ) -> Result<Response, DropConnection> {
        let (parts, body) = req.into_parts();
        let head = RequestHead::from_parts(&parts, tls, self.request_id());
        if head.raw_path == "/_mock" || head.raw_path.starts_with("/_mock/") {
            return Ok(admin::handle(self, &head, body).await);
        }
        let mut pending = PendingEntry::begin(&self.journal);
        let entry = pending.entry();
        entry.request_id = head.request_id.clone();
        entry.method = head.method.to_string();
        entry.path = head.raw_path.clone();
        let codec = self.codec_for(&head);
        entry.dialect = Some(codec.dialect());
        let outcome = self.run(codec.as_ref(), &head, body, pending.entry()).await;
        match outcome {
            Outcome::Respond(resp) => {
                let entry = pending.entry();
                entry.status = Some(resp.status().as_u16());
                entry.bytes_out = resp
                    .headers()
                    .get(http::header::CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                // The body may stream blobs after this returns: stay "in flight" until it is sent.
                let guard = self.journal.hold();
                pending.finish();
                Ok(resp.map(|b| crate::http::response::guarded(b, guard)))
            }
            Outcome::Drop(reason) => {
                pending.entry().status = None;
                pending.finish();
                Err(DropConnection(reason))
            }
        }
    }

    fn verify(
        &self,
        head: &RequestHead,
        vhost: Option<&str>,
    ) -> Result<Option<auth::Verified>, ServiceError> {
        let Some(creds) = &self.config.credentials else {
            return Ok(None);
        };
        let req = SignableRequest {
            method: head.method.as_str(),
            raw_path: &head.raw_path,
            raw_query: &head.raw_query,
            headers: &head.headers,
            virtual_host_bucket: vhost,
        };
        auth::verify(&req, creds.as_ref(), SystemTime::now())
            .map(Some)
            .map_err(|e| ServiceError::with_message(auth_error_code(&e), e.to_string()))
    }

    /// Renders a service error, draining an unread body first so the connection survives.
    async fn fail(
        &self,
        codec: &dyn Codec,
        head: &RequestHead,
        e: ServiceError,
        body: Option<Incoming>,
        entry: &mut JournalEntry,
    ) -> Outcome {
        entry.error_code = Some(e.code.s3_code().to_string());
        if let Some(body) = body {
            drain(head, body).await;
        }
        Outcome::Respond(codec.render_error(head, &e))
    }

    /// Parse -> auth -> faults -> service -> render.
    async fn run(
        &self,
        codec: &dyn Codec,
        head: &RequestHead,
        body: Incoming,
        entry: &mut JournalEntry,
    ) -> Outcome {
        let parsed = match codec.parse(head, &self.codec_context()) {
            Ok(p) => p,
            Err(e) => return self.fail(codec, head, e, Some(body), entry).await,
        };
        let mut op = parsed.op;
        entry.op = Some(op.kind());
        entry.bucket = op.bucket().map(str::to_string);
        entry.key = op.key().map(str::to_string);
        entry.upload_id = op.upload_id().map(str::to_string);
        entry.part_number = op.part_number();
        let ident = RequestIdentity {
            dialect: codec.dialect(),
            op: op.kind(),
            bucket: op.bucket(),
            key: op.key(),
            upload_id: op.upload_id(),
            part: op.part_number(),
        };
        entry.attempt = self.faults.next_attempt(&ident);
        let verified = if matches!(op, Operation::ApiVersionProbe) {
            None // the OBS negotiation probe is unsigned
        } else {
            match self.verify(head, parsed.virtual_host_bucket.as_deref()) {
                Ok(v) => v,
                Err(e) => return self.fail(codec, head, e, Some(body), entry).await,
            }
        };
        let fired = self.faults.evaluate(&ident, entry.attempt);
        entry.faults = fired.iter().map(Fired::label).collect();
        let plan = FaultPlan::from(&fired);
        let limits = self.limits(codec.dialect());

        // Faults that replace the operation.
        match &plan.primary {
            Some(Action::DropBeforeBody) => return Outcome::Drop("drop_before_body".into()),
            Some(Action::Stall { ms }) => {
                tokio::time::sleep(Duration::from_millis(ms.unwrap_or(600_000))).await;
                return Outcome::Drop("stall".into());
            }
            Some(Action::Error {
                status,
                code,
                message,
            }) => {
                let status =
                    StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let code = code
                    .clone()
                    .unwrap_or_else(|| default_code(status).to_string());
                entry.error_code = Some(code.clone());
                drain(head, body).await;
                plan.delay().await;
                let msg = message
                    .clone()
                    .unwrap_or_else(|| format!("{code} injected by the mock's fault rules."));
                return Outcome::Respond(codec.render_custom_error(head, status, &code, &msg));
            }
            Some(Action::ErrorIn200 { code, message }) => {
                let code = code.clone().unwrap_or_else(|| "InternalError".into());
                entry.error_code = Some(code.clone());
                drain(head, body).await;
                plan.delay().await;
                let msg = message.clone().unwrap_or_else(|| {
                    "We encountered an internal error. Please try again.".into()
                });
                return Outcome::Respond(codec.render_error_in_200(head, &code, &msg));
            }
            _ => {}
        }

        // The operation itself, with the faults that act during it.
        let result = if codec.wants_document(&op) {
            let content_md5 = codec
                .payload_spec(head)
                .ok()
                .and_then(|spec| spec.content_md5);
            let document = read_document(body, self.body_read_timeout())
                .await
                .and_then(|bytes| match &content_md5 {
                    Some(m) => check_content_md5(m, &Md5::digest(&bytes)).map(|()| bytes),
                    None => Ok(bytes),
                });
            match document {
                Err(e) => Err(e),
                Ok(bytes) => match codec.fill_document(&mut op, &bytes) {
                    Err(e) => Err(e),
                    Ok(()) => {
                        if let Operation::CompleteMultipartUpload { parts, .. } = &op {
                            entry.completed_parts = parts
                                .iter()
                                .map(|p| {
                                    (
                                        p.number,
                                        p.etag
                                            .as_deref()
                                            .unwrap_or("")
                                            .trim_matches('"')
                                            .to_string(),
                                    )
                                })
                                .collect();
                        }
                        if let Some(Action::SlowComplete {
                            interval_ms,
                            duration_ms,
                            error,
                        }) = &plan.primary
                        {
                            return self.slow_complete(
                                codec,
                                head,
                                op,
                                limits,
                                *interval_ms,
                                *duration_ms,
                                error.clone(),
                                entry,
                            );
                        }
                        self.dispatch(op, None, &limits).await
                    }
                },
            }
        } else if op.streams_body() {
            let mut spec = match codec.payload_spec(head) {
                Ok(s) => s,
                Err(e) => return self.fail(codec, head, e, Some(body), entry).await,
            };
            // Any digest of the data the server verifies: Content-MD5, a flexible checksum, or
            // the SHA-256 of a signed payload (x-amz-content-sha256 with a real hash).
            entry.integrity = spec.content_md5.is_some()
                || spec.sha256.is_some()
                || spec
                    .checksum
                    .as_ref()
                    .is_some_and(|c| c.value.is_some() || c.trailer.is_some());
            if let (Some(_), Some(signer)) = (&spec.aws_chunked, verified.and_then(|v| v.streaming))
            {
                spec.aws_chunked = Some(crate::aws_chunked::ChunkSignatureMode::Signed(signer));
            }
            let mut payload = match HttpPayload::new(body, spec) {
                Ok(p) => p,
                Err(e) => return self.fail(codec, head, e, None, entry).await,
            };
            payload.set_read_timeout(self.body_read_timeout());
            let received = Arc::new(AtomicU64::new(0));
            payload.set_counter(received.clone());
            if let Some(Action::DropAfterBodyBytes { bytes }) = &plan.primary {
                payload.set_fail_after(*bytes);
            }
            if let Some(Action::Corrupt { offset }) = &plan.primary {
                payload.set_tamper(corrupter(*offset));
            }
            if let Some(rate) = plan.request_rate {
                payload.set_rate(rate);
            }
            let r = self.dispatch(op, Some(payload), &limits).await;
            entry.bytes_in = received.load(Ordering::Relaxed);
            if let (Err(_), Some(Action::DropAfterBodyBytes { .. })) = (&r, &plan.primary) {
                return Outcome::Drop("drop_after_body_bytes".into());
            }
            r
        } else {
            match self.dispatch(op, None, &limits).await {
                Ok(r) => Ok(r),
                Err(e) => return self.fail(codec, head, e, Some(body), entry).await,
            }
        };

        // Faults that act on the answer.
        let (op, mut out) = match result {
            Ok(r) => r,
            Err(e) => return self.fail(codec, head, e, None, entry).await,
        };
        entry.committed = true;
        if matches!(plan.primary, Some(Action::BadEtag)) {
            corrupt_etag(&mut out);
        }
        entry.etag = output_etag(&out);
        if matches!(plan.primary, Some(Action::DropAfterCommit)) {
            return Outcome::Drop("drop_after_commit".into());
        }
        let mut resp = codec.render(head, &op, out);
        if let Some(Action::DropResponseAfterBytes { bytes }) = &plan.primary {
            resp = resp.map(|b| response::truncate(b, *bytes));
        }
        if let Some(rate) = plan.response_rate {
            resp = resp.map(|b| response::throttle(b, rate));
        }
        plan.delay().await;
        Outcome::Respond(resp)
    }

    /// Answers 200 at once and keeps the client waiting with whitespace, then completes
    /// (or answers an error document without completing).
    #[allow(clippy::too_many_arguments)]
    fn slow_complete(
        &self,
        codec: &dyn Codec,
        head: &RequestHead,
        op: Operation,
        limits: Limits,
        interval_ms: u64,
        duration_ms: u64,
        error: Option<String>,
        entry: &mut JournalEntry,
    ) -> Outcome {
        let service = self.service.clone();
        let codec_dialect = codec.dialect();
        let head2 = head.clone();
        entry.error_code = error.clone();
        entry.committed = error.is_none();
        let rest = async move {
            let codec = codec_for_dialect(codec_dialect, &head2);
            let resp = match error {
                Some(code) => codec.render_error_in_200(
                    &head2,
                    &code,
                    "We encountered an internal error. Please try again.",
                ),
                None => match dispatch_on(&service, op, None, &limits).await {
                    Ok((op, out)) => codec.render(&head2, &op, out),
                    Err(e) => codec.render_error_in_200(&head2, e.code.s3_code(), &e.message),
                },
            };
            let bytes = resp
                .into_body()
                .collect()
                .await
                .map(|c| c.to_bytes())
                .unwrap_or_default();
            strip_declaration(bytes)
        };
        let (prefix, content_type) = codec.keepalive_prefix();
        let body = response::keepalive(
            Bytes::from_static(prefix.as_bytes()),
            Duration::from_millis(interval_ms.max(1)),
            Duration::from_millis(duration_ms),
            rest,
        );
        Outcome::Respond(codec.render_streaming_200(head, content_type, body))
    }

    /// Runs an operation against the service.
    pub async fn dispatch(
        &self,
        op: Operation,
        payload: Option<HttpPayload>,
        limits: &Limits,
    ) -> Result<(Operation, Output), ServiceError> {
        dispatch_on(&self.service, op, payload, limits).await
    }
}

/// Runs an operation against a service.
pub async fn dispatch_on(
    svc: &Service,
    op: Operation,
    payload: Option<HttpPayload>,
    limits: &Limits,
) -> Result<(Operation, Output), ServiceError> {
    {
        let out = match &op {
            Operation::ApiVersionProbe => Output::ApiVersion,
            Operation::ListBuckets => Output::Buckets(svc.list_buckets()),
            Operation::CreateBucket { bucket } => {
                svc.create_bucket(bucket).map(|_| Output::Empty)?
            }
            Operation::HeadBucket { bucket } => svc.head_bucket(bucket).map(|_| Output::Empty)?,
            Operation::DeleteBucket { bucket } => {
                svc.delete_bucket(bucket).map(|_| Output::Empty)?
            }
            Operation::GetBucketLocation { bucket } => {
                svc.head_bucket(bucket).map(|_| Output::Location(None))?
            }
            Operation::GetObjectAttributes {
                bucket,
                key,
                attributes,
                max_parts,
                part_number_marker,
            } => Output::Attributes(
                svc.get_object_attributes(bucket, key, *max_parts, *part_number_marker)?,
                *attributes,
            ),
            Operation::GetBucketVersioning { bucket } => {
                svc.head_bucket(bucket).map(|_| Output::Versioning)?
            }
            Operation::ListObjects { input, .. } => {
                Output::Objects(svc.list_objects(input.clone())?)
            }
            Operation::ListObjectVersions { input } => {
                Output::Versions(svc.list_objects(input.clone())?)
            }
            Operation::PutObject {
                bucket,
                key,
                attrs,
                if_none_match_any,
            } => {
                let payload = payload.ok_or_else(|| ServiceError::new(ErrorCode::InternalError))?;
                svc.put_object(
                    bucket,
                    key,
                    attrs.clone(),
                    *if_none_match_any,
                    payload,
                    limits,
                )
                .await?
            }
            Operation::CopyObject {
                bucket,
                key,
                source,
                replace_attrs,
                conditions,
            } => {
                svc.copy_object(bucket, key, source, replace_attrs.clone(), conditions)
                    .await?
            }
            Operation::GetObject {
                bucket,
                key,
                range,
                part_number,
                conditions,
                checksum_mode,
                ..
            } => Output::Object(svc.get_object(
                bucket,
                key,
                *range,
                *part_number,
                conditions,
                *checksum_mode,
            )?),
            Operation::DeleteObject { bucket, key } => {
                svc.delete_object(bucket, key).map(|_| Output::Empty)?
            }
            Operation::DeleteObjects { bucket, keys, .. } => {
                Output::Deleted(svc.delete_objects(bucket, keys)?)
            }
            Operation::CreateMultipartUpload {
                bucket,
                key,
                attrs,
                checksum,
            } => svc.create_multipart_upload(bucket, key, attrs.clone(), *checksum)?,
            Operation::UploadPart {
                bucket,
                key,
                upload_id,
                part_number,
            } => {
                let payload = payload.ok_or_else(|| ServiceError::new(ErrorCode::InternalError))?;
                svc.upload_part(bucket, key, upload_id, *part_number, payload, limits)
                    .await?
            }
            Operation::UploadPartCopy {
                bucket,
                key,
                upload_id,
                part_number,
                source,
                range,
                conditions,
            } => {
                svc.upload_part_copy(
                    bucket,
                    key,
                    upload_id,
                    *part_number,
                    source,
                    *range,
                    conditions,
                    limits,
                )
                .await?
            }
            Operation::ListParts {
                bucket,
                key,
                upload_id,
                max_parts,
                part_number_marker,
            } => Output::Parts(svc.list_parts(
                bucket,
                key,
                upload_id,
                *max_parts,
                *part_number_marker,
            )?),
            Operation::ListMultipartUploads {
                bucket,
                prefix,
                delimiter,
                key_marker,
                upload_id_marker,
                max_uploads,
            } => Output::Uploads(svc.list_multipart_uploads(
                bucket,
                prefix,
                delimiter.as_deref(),
                key_marker.as_deref(),
                upload_id_marker.as_deref(),
                *max_uploads,
            )?),
            Operation::CompleteMultipartUpload {
                bucket,
                key,
                upload_id,
                parts,
                checks,
            } => svc.complete_multipart_upload(bucket, key, upload_id, parts, checks, limits)?,
            Operation::AbortMultipartUpload {
                bucket,
                key,
                upload_id,
            } => svc
                .abort_multipart_upload(bucket, key, upload_id)
                .map(|_| Output::Empty)?,
        };
        Ok((op, out))
    }
}

/// Reads a small request document, refusing more than the codec limit, and failing when the
/// body stalls for longer than `stall`.
async fn read_document(mut body: Incoming, stall: Duration) -> Result<Vec<u8>, ServiceError> {
    let limit = crate::dialect::s3::MAX_DOCUMENT_BYTES;
    let mut out = Vec::new();
    loop {
        let frame = match tokio::time::timeout(stall, body.frame()).await {
            Ok(Some(frame)) => frame,
            Ok(None) => break,
            Err(_) => {
                return Err(ServiceError::with_message(
                    ErrorCode::RequestTimeout,
                    format!(
                        "no request body data arrived for {} ms; the body read timed out",
                        stall.as_millis()
                    ),
                ))
            }
        };
        let frame = frame.map_err(|e| {
            ServiceError::with_message(
                ErrorCode::IncompleteBody,
                format!("request body could not be read: {e}"),
            )
        })?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > limit {
                return Err(ServiceError::with_message(
                    ErrorCode::MalformedXml,
                    format!("The request document is larger than the {limit} bytes accepted."),
                ));
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}

/// After an early error answer, reads (and discards) a body the client is already sending, so
/// the connection can be reused and the client sees the answer instead of a reset.
async fn drain(head: &RequestHead, mut body: Incoming) {
    let expects_continue = head
        .header("expect")
        .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"));
    if expects_continue {
        return; // the client waits for 100 Continue, which it will not get
    }
    let mut seen = 0usize;
    let deadline = tokio::time::sleep(std::time::Duration::from_secs(10));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut deadline => return,
            frame = body.frame() => match frame {
                Some(Ok(f)) => {
                    seen += f.data_ref().map(|d| d.len()).unwrap_or(0);
                    if seen > DRAIN_LIMIT { return; }
                }
                _ => return,
            }
        }
    }
}

/// How a request ended.
enum Outcome {
    Respond(Response),
    Drop(String),
}

/// The fired faults, sorted into the one that shapes the operation and the shaping ones.
#[derive(Default)]
struct FaultPlan {
    primary: Option<Action>,
    latency: Duration,
    request_rate: Option<u64>,
    response_rate: Option<u64>,
}

impl FaultPlan {
    fn from(fired: &[Fired]) -> FaultPlan {
        let mut plan = FaultPlan::default();
        for f in fired {
            match &f.action {
                Action::Latency { ms } => plan.latency += Duration::from_millis(*ms),
                Action::Bandwidth {
                    request_bytes_per_sec,
                    response_bytes_per_sec,
                } => {
                    plan.request_rate = plan.request_rate.or(*request_bytes_per_sec);
                    plan.response_rate = plan.response_rate.or(*response_bytes_per_sec);
                }
                a if plan.primary.is_none() => plan.primary = Some(a.clone()),
                _ => {}
            }
        }
        plan
    }

    async fn delay(&self) {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
    }
}

fn default_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "BadRequest",
        403 => "AccessDenied",
        404 => "NoSuchKey",
        408 => "RequestTimeout",
        429 => "TooManyRequests",
        500 => "InternalError",
        502 => "BadGateway",
        503 => "SlowDown",
        504 => "GatewayTimeout",
        _ => "InternalError",
    }
}

/// Flips one byte of the stored payload at `offset` (default: the first byte of the second
/// chunk, or of the first if there is one chunk — somewhere inside, not at an edge).
fn corrupter(offset: Option<u64>) -> Box<dyn FnMut(Bytes, u64) -> Bytes + Send> {
    let mut done = false;
    Box::new(move |chunk: Bytes, at: u64| {
        let target = offset.unwrap_or(at + (chunk.len() as u64) / 2);
        if done || chunk.is_empty() || target < at || target >= at + chunk.len() as u64 {
            return chunk;
        }
        done = true;
        let mut v = chunk.to_vec();
        let i = (target - at) as usize;
        v[i] ^= 0xff;
        Bytes::from(v)
    })
}

/// A wrong ETag of the same shape (hex digits reversed, `-N` kept).
fn corrupt_etag(out: &mut Output) {
    let flip = |e: &mut String| {
        let (hex, suffix) = match e.split_once('-') {
            Some((h, s)) => (h.to_string(), format!("-{s}")),
            None => (e.clone(), String::new()),
        };
        let mut flipped: String = hex
            .chars()
            .map(|c| match c.to_digit(16) {
                Some(d) => std::char::from_digit(15 - d, 16).unwrap_or('0'),
                None => c,
            })
            .collect();
        if flipped == hex {
            flipped = format!("{:0>32}", "bad");
        }
        *e = format!("{flipped}{suffix}");
    };
    match out {
        Output::Put { etag, .. }
        | Output::Part { etag, .. }
        | Output::Completed { etag, .. }
        | Output::PartCopied { etag, .. }
        | Output::Copied { etag, .. } => flip(etag),
        _ => {}
    }
}

fn output_etag(out: &Output) -> Option<String> {
    match out {
        Output::Put { etag, .. }
        | Output::Part { etag, .. }
        | Output::Completed { etag, .. }
        | Output::PartCopied { etag, .. }
        | Output::Copied { etag, .. } => Some(etag.clone()),
        _ => None,
    }
}

/// Removes a leading XML declaration (it may not follow whitespace).
fn strip_declaration(bytes: Bytes) -> Bytes {
    if bytes.starts_with(b"<?xml") {
        if let Some(end) = bytes.windows(2).position(|w| w == b"?>") {
            let rest = bytes.slice(end + 2..);
            let skip = rest.iter().take_while(|b| b.is_ascii_whitespace()).count();
            return rest.slice(skip..);
        }
    }
    bytes
}

/// The dialect-free code of an authentication failure; each codec spells it its own way
/// (S3/OBS `SignatureDoesNotMatch` 403, QingStor `signature_not_matched` 401, ...).
fn auth_error_code(e: &auth::AuthError) -> ErrorCode {
    use auth::AuthError as A;
    match e {
        A::SignatureDoesNotMatch { .. } => ErrorCode::SignatureDoesNotMatch,
        A::UnknownAccessKey { .. } => ErrorCode::InvalidAccessKeyId,
        A::RequestTimeTooSkewed { .. } => ErrorCode::RequestTimeTooSkewed,
        A::Expired { .. } => ErrorCode::ExpiredRequest,
        A::Missing | A::Malformed(_) | A::MalformedQuery(_) | A::InvalidDate(_) => {
            ErrorCode::AccessDenied
        }
    }
}

/// The codec for a dialect, as picked for `head`.
fn codec_for_dialect(d: Dialect, head: &RequestHead) -> Box<dyn Codec> {
    dialect::codec_for(d, head)
}
