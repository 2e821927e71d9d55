//! The operations the upload engine needs from a service, one attempt per call. The HTTP
//! implementation lives in [`super::http`]; unit tests use an in-memory one.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::config::ChecksumChoice;
use super::failure::AttemptError;
use super::integrity::PartData;
use super::progress::{Progress, ProgressEvent};

/// An open multipart upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadRef {
    /// Bucket.
    pub bucket: String,
    /// Key.
    pub key: String,
    /// Upload id.
    pub upload_id: String,
}

/// What a part upload answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartAck {
    /// The ETag header as received (quotes kept; Complete sends it back verbatim).
    pub etag: String,
    /// The echoed additional checksum (base64), if any.
    pub checksum: Option<String>,
}

/// One part in a part listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedPart {
    /// Wire part number.
    pub number: u32,
    /// Size in bytes.
    pub size: u64,
    /// ETag as listed.
    pub etag: String,
    /// Additional checksum as listed, if any.
    pub checksum: Option<String>,
}

/// One page of a part listing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PartsPage {
    /// Parts on this page.
    pub parts: Vec<ListedPart>,
    /// Marker for the next page; `None` if this was the last page.
    pub next_marker: Option<u32>,
}

/// One entry of the Complete request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletedPart {
    /// Wire part number.
    pub number: u32,
    /// ETag as the part upload returned it.
    pub etag: String,
    /// Additional checksum (base64), if one is used.
    pub checksum: Option<String>,
}

/// The Complete request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompleteRequest {
    /// Parts in ascending order.
    pub parts: Vec<CompletedPart>,
    /// The object ETag the uploader expects (QingStor takes it as the object's ETag).
    pub expected_etag: String,
    /// The additional checksum algorithm in use.
    pub checksum: ChecksumChoice,
}

/// What Complete answered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompleteAck {
    /// Object ETag, if the dialect returns one.
    pub etag: Option<String>,
    /// Object checksum (base64, possibly with `-N`), if returned.
    pub checksum: Option<String>,
}

/// What HEAD says about an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Content length.
    pub size: u64,
    /// ETag, if any.
    pub etag: Option<String>,
}

/// Counts request-body bytes handed to the connection during one attempt, and reports them to
/// the progress callback.
#[derive(Clone, Debug, Default)]
pub struct BodyMeter {
    sent: Arc<AtomicU64>,
    progress: Progress,
}

impl BodyMeter {
    /// A meter that reports to `progress`.
    pub(crate) fn new(progress: Progress) -> Self {
        BodyMeter {
            sent: Arc::new(AtomicU64::new(0)),
            progress,
        }
    }

    /// A meter that reports nowhere.
    pub fn silent() -> Self {
        BodyMeter::default()
    }

    /// Records `n` more bytes sent.
    pub fn add(&self, n: u64) {
        self.sent.fetch_add(n, Ordering::AcqRel);
        if n > 0 && self.progress.is_active() {
            self.progress.emit(ProgressEvent::Sent { bytes: n });
        }
    }

    /// Bytes sent so far in this attempt.
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Acquire)
    }
}

/// The service operations, one attempt each. Implementations sign every attempt just before
/// sending it and classify every failure into an [`AttemptError`]; the engine decides about
/// retries.
pub trait Remote: Send + Sync + 'static {
    /// Creates a multipart upload; returns its id.
    fn initiate(
        &self,
        bucket: &str,
        key: &str,
    ) -> impl Future<Output = Result<String, AttemptError>> + Send;

    /// Uploads one part.
    fn upload_part(
        &self,
        upload: &UploadRef,
        number: u32,
        part: &PartData,
        meter: &BodyMeter,
    ) -> impl Future<Output = Result<PartAck, AttemptError>> + Send;

    /// Lists one page of uploaded parts after `marker`.
    fn list_parts(
        &self,
        upload: &UploadRef,
        marker: Option<u32>,
    ) -> impl Future<Output = Result<PartsPage, AttemptError>> + Send;

    /// Completes the upload.
    fn complete(
        &self,
        upload: &UploadRef,
        request: &CompleteRequest,
    ) -> impl Future<Output = Result<CompleteAck, AttemptError>> + Send;

    /// Aborts the upload.
    fn abort(&self, upload: &UploadRef) -> impl Future<Output = Result<(), AttemptError>> + Send;

    /// Reads the object and returns the MD5 of every `part_size` slice of it (the last one
    /// shorter), streaming, without holding the object in memory.
    fn read_part_md5s(
        &self,
        bucket: &str,
        key: &str,
        part_size: u64,
    ) -> impl Future<Output = Result<Vec<[u8; 16]>, AttemptError>> + Send;

    /// Looks at an object; `None` if it does not exist.
    fn head(
        &self,
        bucket: &str,
        key: &str,
    ) -> impl Future<Output = Result<Option<ObjectInfo>, AttemptError>> + Send;
}
