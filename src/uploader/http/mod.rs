//! The HTTP side: sends a dialect codec's requests with reqwest, signing each attempt right
//! before it goes out, enforcing the connect / first-byte / stall time limits, and classifying
//! every transport failure by how far the request had got.

mod body;

use std::error::Error as StdError;
use std::time::{Duration, Instant, SystemTime};

use bytes::BytesMut;
use http::header::HOST;
use http::{HeaderValue, Method};

use super::codec::{Codec, WireRequest, WireResponse};
use super::config::{parse_endpoint, Endpoint, Timeouts, UploaderConfig};
use super::error::ConfigError;
use super::failure::{AttemptError, BodyStage, Cause, ConnectionKind, TimeoutKind};
use super::integrity::PartData;
use super::remote::{
    BodyMeter, CompleteAck, CompleteRequest, ObjectInfo, PartAck, PartsPage, Remote, UploadRef,
};
use body::MeteredBody;

/// Largest response body read (answers are small XML/JSON documents).
const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// A [`Remote`] over HTTP for one endpoint and dialect.
pub struct HttpRemote {
    client: reqwest::Client,
    endpoint: Endpoint,
    codec: Box<dyn Codec>,
    timeouts: Timeouts,
}

impl std::fmt::Debug for HttpRemote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRemote")
            .field("endpoint", &self.endpoint)
            .field("timeouts", &self.timeouts)
            .finish()
    }
}

impl HttpRemote {
    /// A remote for the configuration's endpoint, dialect and credentials.
    pub fn new(cfg: &UploaderConfig) -> Result<Self, ConfigError> {
        let endpoint = parse_endpoint(&cfg.endpoint)?;
        let codec = super::codec::for_config(cfg)?;
        Self::with_codec(cfg, endpoint, codec)
    }

    /// A remote with an explicit codec.
    pub(crate) fn with_codec(
        cfg: &UploaderConfig,
        endpoint: Endpoint,
        codec: Box<dyn Codec>,
    ) -> Result<Self, ConfigError> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(cfg.timeouts.connect)
            .http1_only()
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(30))
            .user_agent(concat!("mpu/", env!("CARGO_PKG_VERSION")));
        if endpoint.is_loopback() {
            builder = builder.no_proxy();
        }
        let client = builder.build().map_err(|e| ConfigError::InvalidEndpoint {
            endpoint: cfg.endpoint.clone(),
            reason: format!("cannot build an HTTP client: {e}"),
        })?;
        Ok(HttpRemote {
            client,
            endpoint,
            codec,
            timeouts: cfg.timeouts,
        })
    }

    /// Signs and sends one attempt and reads the whole answer.
    async fn send(
        &self,
        req: WireRequest,
        meter: &BodyMeter,
    ) -> Result<WireResponse, AttemptError> {
        let response = self.start(req, meter).await?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = self.read_body(response).await?;
        Ok(WireResponse {
            status,
            headers,
            body,
        })
    }

    /// Signs and sends one attempt; returns once the response head is in.
    async fn start(
        &self,
        mut req: WireRequest,
        meter: &BodyMeter,
    ) -> Result<reqwest::Response, AttemptError> {
        let host = HeaderValue::from_str(&self.endpoint.authority)
            .map_err(|e| AttemptError::invalid_request(format!("invalid Host header: {e}")))?;
        req.headers.insert(HOST, host);
        self.codec.sign(&mut req, SystemTime::now())?;
        let mut url = format!("{}{}", self.endpoint.base(), req.path);
        if !req.query.is_empty() {
            url.push('?');
            url.push_str(&req.query);
        }
        let body_len = req.body.len() as u64;
        let mut builder = self
            .client
            .request(req.method.clone(), url)
            .headers(req.headers);
        // PUT and POST always carry a body, even an empty one, so Content-Length: 0 is sent
        // (an empty part is a valid part).
        if body_len > 0 || matches!(req.method, Method::PUT | Method::POST) {
            builder =
                builder
                    .header(http::header::CONTENT_LENGTH, body_len)
                    .body(reqwest::Body::wrap(MeteredBody::new(
                        req.body,
                        meter.clone(),
                    )));
        }
        let request = builder
            .build()
            .map_err(|e| AttemptError::invalid_request(format!("cannot build the request: {e}")))?;

        self.await_response(request, meter, body_len).await
    }

    /// Waits for the next response body chunk, with the stall limit.
    async fn next_chunk(
        &self,
        response: &mut reqwest::Response,
        received: u64,
    ) -> Result<Option<bytes::Bytes>, AttemptError> {
        match tokio::time::timeout(self.timeouts.stall, response.chunk()).await {
            Err(_) => Err(AttemptError::new(
                Cause::Timeout {
                    kind: TimeoutKind::ResponseStall,
                },
                format!(
                    "response body stalled for {:?} after {received} bytes",
                    self.timeouts.stall
                ),
            )),
            Ok(Ok(chunk)) => Ok(chunk),
            Ok(Err(e)) => {
                let mut err = classify(&e, 0, 0);
                if let Cause::Connection { stage, .. } = &mut err.cause {
                    *stage = BodyStage::InResponse;
                }
                Err(err)
            }
        }
    }

    /// Waits for the response head, watching the body upload for stalls and the time to the
    /// first response byte once the body is out.
    async fn await_response(
        &self,
        request: reqwest::Request,
        meter: &BodyMeter,
        body_len: u64,
    ) -> Result<reqwest::Response, AttemptError> {
        let start_sent = meter.sent();
        let sent_now = || meter.sent().saturating_sub(start_sent);
        let tick = (self.timeouts.stall.min(self.timeouts.first_byte) / 10)
            .clamp(Duration::from_millis(5), Duration::from_millis(250));
        let fut = self.client.execute(request);
        tokio::pin!(fut);
        let mut last_sent = 0u64;
        let mut last_change = Instant::now();
        let mut body_done_at: Option<Instant> = None;
        loop {
            tokio::select! {
                result = &mut fut => {
                    return result.map_err(|e| classify(&e, sent_now(), body_len));
                }
                _ = tokio::time::sleep(tick) => {
                    let now = Instant::now();
                    let sent = sent_now();
                    if sent != last_sent {
                        last_sent = sent;
                        last_change = now;
                    }
                    if sent >= body_len {
                        let done = *body_done_at.get_or_insert(now);
                        if now.duration_since(done) > self.timeouts.first_byte {
                            return Err(AttemptError::new(
                                Cause::Timeout { kind: TimeoutKind::FirstByte },
                                format!("no response within {:?} after the request was sent", self.timeouts.first_byte),
                            ));
                        }
                    } else if now.duration_since(last_change) > self.timeouts.stall {
                        return Err(AttemptError::new(
                            Cause::Timeout { kind: TimeoutKind::SendStall },
                            format!("sent {sent} of {body_len} body bytes, then nothing for {:?}", self.timeouts.stall),
                        ));
                    }
                }
            }
        }
    }

    /// Reads the response body with a per-chunk stall limit and a size cap.
    async fn read_body(
        &self,
        mut response: reqwest::Response,
    ) -> Result<bytes::Bytes, AttemptError> {
        let mut body = BytesMut::new();
        while let Some(bytes) = self.next_chunk(&mut response, body.len() as u64).await? {
            if body.len() + bytes.len() > MAX_RESPONSE_BYTES {
                return Err(AttemptError::malformed(format!(
                    "response body larger than {MAX_RESPONSE_BYTES} bytes"
                )));
            }
            body.extend_from_slice(&bytes);
        }
        Ok(body.freeze())
    }
}

/// MD5s of consecutive `part_size` slices of a stream.
struct PartDigester {
    part_size: u64,
    in_part: u64,
    total: u64,
    current: mock_server::checksum::Md5,
    done: Vec<[u8; 16]>,
}

impl PartDigester {
    fn new(part_size: u64) -> Self {
        PartDigester {
            part_size: part_size.max(1),
            in_part: 0,
            total: 0,
            current: mock_server::checksum::Md5::default(),
            done: Vec::new(),
        }
    }

    fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let room = usize::try_from(self.part_size - self.in_part).unwrap_or(usize::MAX);
            let take = room.min(data.len());
            let (head, rest) = data.split_at(take);
            self.current.update(head);
            self.in_part += take as u64;
            self.total += take as u64;
            data = rest;
            if self.in_part == self.part_size {
                let full = std::mem::take(&mut self.current);
                self.done.push(full.finalize());
                self.in_part = 0;
            }
        }
    }

    /// The digests; an empty stream is one empty part.
    fn finish(mut self) -> Vec<[u8; 16]> {
        if self.in_part > 0 || self.done.is_empty() {
            self.done.push(self.current.finalize());
        }
        self.done
    }
}

/// Finds the I/O or hyper error behind a reqwest error.
fn connection_kind(err: &(dyn StdError + 'static)) -> ConnectionKind {
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    let mut kind = ConnectionKind::Other;
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind as K;
            return match io.kind() {
                K::ConnectionRefused => ConnectionKind::Refused,
                K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => ConnectionKind::Reset,
                K::UnexpectedEof => ConnectionKind::Closed,
                _ => ConnectionKind::Other,
            };
        }
        if let Some(h) = e.downcast_ref::<hyper::Error>() {
            if h.is_incomplete_message() || h.is_closed() || h.is_canceled() {
                kind = ConnectionKind::Closed;
            }
        }
        current = e.source();
    }
    kind
}

/// Classifies a transport error by kind and by how much of the body had been sent.
fn classify(err: &reqwest::Error, sent: u64, body_len: u64) -> AttemptError {
    let detail = error_chain(err);
    if err.is_connect() {
        if err.is_timeout() || detail.contains("timed out") {
            return AttemptError::new(
                Cause::Timeout {
                    kind: TimeoutKind::Connect,
                },
                detail,
            );
        }
        let kind = match connection_kind(err) {
            ConnectionKind::Other => ConnectionKind::Refused,
            k => k,
        };
        return AttemptError::new(
            Cause::Connection {
                kind,
                stage: BodyStage::BeforeBody,
            },
            detail,
        );
    }
    if err.is_timeout() {
        return AttemptError::new(
            Cause::Timeout {
                kind: TimeoutKind::FirstByte,
            },
            detail,
        );
    }
    let stage = if body_len > 0 && sent == 0 {
        BodyStage::BeforeBody
    } else if sent < body_len {
        BodyStage::DuringBody
    } else {
        BodyStage::AfterBody
    };
    AttemptError::new(
        Cause::Connection {
            kind: connection_kind(err),
            stage,
        },
        detail,
    )
}

/// `outer: inner: innermost` for an error and its sources.
fn error_chain(err: &(dyn StdError + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut current = err.source();
    while let Some(e) = current {
        let text = e.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

impl Remote for HttpRemote {
    async fn initiate(&self, bucket: &str, key: &str) -> Result<String, AttemptError> {
        let resp = self
            .send(self.codec.initiate(bucket, key), &BodyMeter::silent())
            .await?;
        self.codec.parse_initiate(&resp)
    }

    async fn upload_part(
        &self,
        upload: &UploadRef,
        number: u32,
        part: &PartData,
        meter: &BodyMeter,
    ) -> Result<PartAck, AttemptError> {
        let resp = self
            .send(self.codec.upload_part(upload, number, part), meter)
            .await?;
        self.codec.parse_upload_part(&resp)
    }

    async fn list_parts(
        &self,
        upload: &UploadRef,
        marker: Option<u32>,
    ) -> Result<PartsPage, AttemptError> {
        let resp = self
            .send(self.codec.list_parts(upload, marker), &BodyMeter::silent())
            .await?;
        self.codec.parse_list_parts(&resp)
    }

    async fn complete(
        &self,
        upload: &UploadRef,
        request: &CompleteRequest,
    ) -> Result<CompleteAck, AttemptError> {
        let req = self.codec.complete(upload, request)?;
        let resp = self.send(req, &BodyMeter::silent()).await?;
        self.codec.parse_complete(&resp)
    }

    async fn abort(&self, upload: &UploadRef) -> Result<(), AttemptError> {
        let resp = self
            .send(self.codec.abort(upload), &BodyMeter::silent())
            .await?;
        self.codec.parse_abort(&resp)
    }

    async fn read_part_md5s(
        &self,
        bucket: &str,
        key: &str,
        part_size: u64,
    ) -> Result<Vec<[u8; 16]>, AttemptError> {
        let mut response = self
            .start(self.codec.get_object(bucket, key), &BodyMeter::silent())
            .await?;
        if response.status().as_u16() != 200 {
            let status = response.status();
            let headers = response.headers().clone();
            let body = self.read_body(response).await?;
            return Err(self.codec.error_of(&WireResponse {
                status,
                headers,
                body,
            }));
        }
        let mut digests = PartDigester::new(part_size);
        while let Some(chunk) = self.next_chunk(&mut response, digests.total).await? {
            digests.update(&chunk);
        }
        Ok(digests.finish())
    }

    async fn head(&self, bucket: &str, key: &str) -> Result<Option<ObjectInfo>, AttemptError> {
        let resp = self
            .send(self.codec.head(bucket, key), &BodyMeter::silent())
            .await?;
        self.codec.parse_head(&resp)
    }
}

#[cfg(test)]
mod tests;
