//! The reference multipart uploader.
//!
//! [`Uploader`] uploads a file as a multipart upload in the S3, OBS or QingStor dialect:
//!
//! * parts of equal size chosen within the 10,000-part cap and the dialect's minimum
//!   ([`PartPlan`]), read from the file by offset (never the whole file), each buffer shared by
//!   all attempts of its part so a retry resends exactly the same bytes;
//! * at most `concurrency` parts in flight and never more than `memory_budget` bytes of part
//!   data in memory ([`budget::ByteBudget`]);
//! * every attempt signed just before it is sent, with `mock_server`'s signing code;
//! * retries with capped exponential backoff and jitter for dropped connections (before, during
//!   or after the body), timeouts, 5xx, 429, SlowDown, RequestTimeout, InternalError and S3's
//!   200-with-error on complete; fail-fast on hopeless 4xx ([`Cause::is_retryable`]);
//! * every part ETag compared with the MD5 of the bytes sent (a mismatch is retried as
//!   corruption), the object ETag with the MD5 of the part MD5s, optional CRC32C / CRC64NVME /
//!   SHA-256 checksums sent and their echoes checked;
//! * an ambiguous complete (answer lost, or NoSuchUpload on a retry) resolved by HEAD;
//! * resume from an upload id or a checkpoint file: listed parts are re-verified against the
//!   file and only the missing or different ones are sent;
//! * on giving up: in-flight parts are cancelled and drained, the upload aborted, aborted again
//!   if parts landed late, and a listing confirms nothing is left ([`Cleanup`]).
//!
//! Design choices:
//!
//! * **Part size.** Unless given, at least 8 MiB, the dialect's minimum and `size / 10,000`,
//!   then balanced so all parts but the last are equal and the last is not a tiny remainder.
//!   An explicit part size is honoured even below the dialect minimum (test servers lower it).
//! * **Memory.** Part buffers are reserved from a byte semaphore before the part is read and
//!   released when its request is over; parts in flight = `min(concurrency, budget / part
//!   size)`. A part larger than the budget is a configuration error, not a silent shrink.
//! * **Payload signing.** SigV4 requests carry `UNSIGNED-PAYLOAD` by default: integrity comes
//!   from `Content-MD5`, the ETag check and the optional checksums, so hashing every byte with
//!   SHA-256 as well would only add a pass over the data ([`PayloadSigning`]).
//! * **Verification.** After completing, the object is always looked at with HEAD (size and
//!   ETag; QingStor returns no ETag on complete, so this is where its ETag is checked).
//!   `verify_readback` additionally reads the object back and compares every part.
//! * **Limits.** A lost answer to *initiate* can leave an upload the uploader never learns
//!   about (no id to abort); listing and aborting "recent uploads of this key" could abort
//!   someone else's upload, so it is not done. QingStor documents no part-list paging; the
//!   mock's `has_more` / `next_part_number_marker` extension is followed when present.

pub mod budget;
pub mod checkpoint;
pub mod codec;
pub mod config;
mod engine;
pub mod error;
pub mod failure;
pub mod http;
pub mod integrity;
pub mod plan;
pub mod progress;
pub mod reader;
pub mod remote;
pub mod report;
pub mod retry;
mod send_order;

#[cfg(test)]
mod engine_tests;

pub use config::{
    ChecksumChoice, Credentials, Dialect, DialectLimits, PayloadSigning, Timeouts, UploaderConfig,
};
pub use error::{Cleanup, ConfigError, UploadError};
pub use failure::{AttemptError, BodyStage, Cause, ConnectionKind, Phase, TimeoutKind};
pub use plan::PartPlan;
pub use progress::{ProgressEvent, ProgressFn};
pub use report::UploadReport;
pub use retry::Backoff;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use http::HttpRemote;
use progress::Progress;

/// Per-upload options beyond the target.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UploadOptions {
    /// Resume this upload id instead of creating a new upload.
    pub resume: Option<String>,
    /// Checkpoint file: resumed from if it exists and matches, written after the upload is
    /// created, removed on success and after a confirmed abort.
    pub checkpoint: Option<PathBuf>,
}

/// The reference multipart uploader.
///
/// ```no_run
/// use multipart_harness::uploader::{Credentials, Dialect, Uploader, UploaderConfig};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let uploader = Uploader::new(UploaderConfig {
///     part_size: Some(8 << 20),
///     concurrency: 4,
///     memory_budget: 64 << 20,
///     ..UploaderConfig::new(
///         "http://127.0.0.1:9000",
///         Dialect::S3,
///         Credentials::new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
///     )
/// })?
/// .with_progress(|event| eprintln!("{event:?}"));
/// let report = uploader.upload_file("big.bin", "bucket", "backups/big.bin").await?;
/// println!("{report}");
/// assert_eq!(report.etag, report.expected_etag);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Uploader {
    cfg: Arc<UploaderConfig>,
    remote: Arc<HttpRemote>,
    progress: Option<ProgressFn>,
}

impl std::fmt::Debug for Uploader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Uploader")
            .field("config", &self.cfg)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl Uploader {
    /// An uploader for a configuration (checked here; nothing is sent yet).
    pub fn new(config: UploaderConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let remote = HttpRemote::new(&config)?;
        Ok(Uploader {
            cfg: Arc::new(config),
            remote: Arc::new(remote),
            progress: None,
        })
    }

    /// Calls `callback` with every [`ProgressEvent`] (from the upload's tasks: keep it quick).
    pub fn with_progress(
        mut self,
        callback: impl Fn(&ProgressEvent) + Send + Sync + 'static,
    ) -> Self {
        self.progress = Some(Arc::new(callback));
        self
    }

    /// The configuration in force.
    pub fn config(&self) -> &UploaderConfig {
        &self.cfg
    }

    /// Uploads the file at `path` to `bucket`/`key` as a new multipart upload.
    pub async fn upload_file(
        &self,
        path: impl AsRef<Path>,
        bucket: &str,
        key: &str,
    ) -> Result<UploadReport, UploadError> {
        self.upload_file_with(path, bucket, key, UploadOptions::default())
            .await
    }

    /// Uploads with options: resume an upload id, use a checkpoint file.
    pub async fn upload_file_with(
        &self,
        path: impl AsRef<Path>,
        bucket: &str,
        key: &str,
        options: UploadOptions,
    ) -> Result<UploadReport, UploadError> {
        let job = engine::Job {
            path: path.as_ref().to_path_buf(),
            bucket: bucket.to_string(),
            key: key.to_string(),
            resume: options.resume,
            checkpoint: options.checkpoint,
        };
        engine::run(
            Arc::clone(&self.remote),
            Arc::clone(&self.cfg),
            Progress::new(self.progress.clone()),
            job,
        )
        .await
    }
}
