//! The upload engine: plan the parts, initiate or resume, upload parts under the concurrency
//! and memory bounds with retries, complete (resolving ambiguous outcomes with HEAD), verify the
//! object, and on failure abort, drain and confirm nothing is left.

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use tokio::task::JoinSet;

use super::budget::ByteBudget;
use super::checkpoint::{mtime_ns, Checkpoint, CHECKPOINT_VERSION};
use super::config::{PayloadSigning, UploaderConfig};
use super::error::{Cleanup, ConfigError, UploadError};
use super::failure::{AttemptError, Cause, Phase};
use super::integrity::{
    checksums_equal, expected_object_checksum, multipart_etag, normalize_etag, DigestOptions,
    PartData,
};
use super::plan::{PartPlan, PartRange};
use super::progress::{Progress, ProgressEvent};
use super::reader::{FileIdentity, PartReader};
use super::remote::{
    BodyMeter, CompleteAck, CompleteRequest, CompletedPart, ListedPart, ObjectInfo, PartAck,
    Remote, UploadRef,
};
use super::report::{throughput, Stats, UploadReport};
use super::send_order::SendSlots;
use tokio::sync::Semaphore;

/// Pages of a part listing followed at most (10,000 parts need 10 pages of 1,000; a server that
/// pages one part at a time still fits).
const MAX_LIST_PAGES: usize = 10_001;

/// Abort rounds before giving up on confirming that nothing is left.
const MAX_ABORT_ROUNDS: u32 = 3;

/// One upload to carry out.
#[derive(Clone, Debug)]
pub struct Job {
    /// Source file.
    pub path: PathBuf,
    /// Bucket.
    pub bucket: String,
    /// Key.
    pub key: String,
    /// Upload id to resume instead of initiating.
    pub resume: Option<String>,
    /// Checkpoint file to resume from and to write.
    pub checkpoint: Option<PathBuf>,
}

/// A request that failed for good.
#[derive(Debug)]
struct Failed {
    phase: Phase,
    attempts: u32,
    error: AttemptError,
}

impl Failed {
    fn into_error(self) -> UploadError {
        if self.error.is_retryable() {
            UploadError::RetriesExhausted {
                phase: self.phase,
                attempts: self.attempts,
                error: Box::new(self.error),
                cleanup: Cleanup::NothingStarted,
            }
        } else {
            UploadError::Rejected {
                phase: self.phase,
                error: Box::new(self.error),
                cleanup: Cleanup::NothingStarted,
            }
        }
    }
}

/// A part that is on the server and verified.
#[derive(Clone, Debug)]
struct DonePart {
    number: u32,
    etag: String,
    md5: [u8; 16],
    len: u64,
    checksum: Option<String>,
}

/// How the complete went.
struct Completed {
    ack: CompleteAck,
    confirmed_by_head: bool,
    head: Option<ObjectInfo>,
}

/// State shared by the tasks of one upload.
struct Ctx<R> {
    remote: Arc<R>,
    cfg: Arc<UploaderConfig>,
    progress: Progress,
    stats: Stats,
    path: PathBuf,
}

/// Runs one upload to the end.
pub(crate) async fn run<R: Remote>(
    remote: Arc<R>,
    cfg: Arc<UploaderConfig>,
    progress: Progress,
    job: Job,
) -> Result<UploadReport, UploadError> {
    let started = Instant::now();
    cfg.validate()?;
    let (reader, identity) = PartReader::open(&job.path).map_err(|source| UploadError::File {
        path: job.path.clone(),
        source,
        cleanup: Cleanup::NothingStarted,
    })?;
    let ctx = Arc::new(Ctx {
        remote,
        cfg,
        progress,
        stats: Stats::default(),
        path: job.path.clone(),
    });
    ctx.run(job, reader, identity, started).await
}

impl<R: Remote> Ctx<R> {
    /// Runs `op` until it succeeds, fails for good, or attempts run out.
    async fn retry<T, F, Fut>(&self, phase: Phase, mut op: F) -> Result<T, Failed>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, AttemptError>>,
    {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            self.stats.attempt(phase);
            let error = match op().await {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            if !error.is_retryable() || attempt >= self.cfg.max_attempts {
                return Err(Failed {
                    phase,
                    attempts: attempt,
                    error,
                });
            }
            self.pause(phase, attempt, &error).await;
        }
    }

    /// Counts a retry, tells the progress callback, and sleeps the backoff delay.
    async fn pause(&self, phase: Phase, attempt: u32, error: &AttemptError) {
        let delay = {
            let mut rng = rand::thread_rng();
            self.cfg.backoff.delay(attempt, error.retry_after, &mut rng)
        };
        self.stats.retry(&error.cause);
        tracing::debug!(%phase, attempt, %error, ?delay, "retrying");
        self.progress.emit(ProgressEvent::Retrying {
            phase,
            attempt,
            cause: error.cause.key(),
            delay,
        });
        tokio::time::sleep(delay).await;
    }

    fn digest_options(&self) -> DigestOptions {
        DigestOptions {
            checksum: self.cfg.checksum,
            sha256_payload: self.cfg.payload_signing == PayloadSigning::Sha256
                && self.cfg.dialect == super::config::Dialect::S3,
        }
    }

    fn file_error(&self, source: std::io::Error) -> UploadError {
        UploadError::File {
            path: self.path.clone(),
            source,
            cleanup: Cleanup::NothingStarted,
        }
    }

    async fn run(
        self: &Arc<Self>,
        job: Job,
        reader: PartReader,
        identity: FileIdentity,
        started: Instant,
    ) -> Result<UploadReport, UploadError> {
        let dialect = self.cfg.dialect;
        let limits = dialect.limits();

        // Where to resume from: an explicit id wins over a checkpoint.
        let mut resume = job.resume.clone();
        let mut checkpoint_part_size = None;
        let mut from_checkpoint = false;
        if let Some(cp_path) = &job.checkpoint {
            let loaded = Checkpoint::load(cp_path).map_err(|e| UploadError::Checkpoint {
                path: cp_path.clone(),
                reason: e.to_string(),
            })?;
            if let Some(cp) = loaded {
                if let Some(why) = cp.mismatch(
                    &self.cfg.endpoint,
                    dialect,
                    &job.bucket,
                    &job.key,
                    &identity,
                ) {
                    return Err(UploadError::Checkpoint {
                        path: cp_path.clone(),
                        reason: format!(
                            "it belongs to another upload ({why}); delete it to start over"
                        ),
                    });
                }
                if resume.is_none() {
                    resume = Some(cp.upload_id.clone());
                    from_checkpoint = true;
                }
                if resume.as_deref() == Some(cp.upload_id.as_str()) {
                    checkpoint_part_size = Some(cp.part_size);
                }
            }
        }
        if let (Some(asked), Some(recorded)) = (self.cfg.part_size, checkpoint_part_size) {
            if asked != recorded {
                return Err(UploadError::Resume {
                    upload_id: resume.clone().unwrap_or_default(),
                    reason: format!(
                        "the checkpoint says part size {recorded} B, the configuration {asked} B"
                    ),
                });
            }
        }

        // List what is already there when resuming.
        let mut listed: Vec<ListedPart> = Vec::new();
        let mut upload_id = None;
        if let Some(id) = resume {
            let upload = UploadRef {
                bucket: job.bucket.clone(),
                key: job.key.clone(),
                upload_id: id.clone(),
            };
            match self.list_all(&upload).await {
                Ok(parts) => {
                    listed = parts;
                    upload_id = Some(id);
                }
                Err(f) if f.error.cause.is_no_such_upload() && from_checkpoint => {
                    tracing::warn!(
                        upload_id = %id,
                        "upload from the checkpoint no longer exists; starting a new upload"
                    );
                    checkpoint_part_size = None;
                }
                Err(f) if f.error.cause.is_no_such_upload() => {
                    return Err(UploadError::Resume {
                        upload_id: id,
                        reason: format!(
                            "the service does not know it (completed, aborted or never created): {}",
                            f.error
                        ),
                    });
                }
                Err(f) => {
                    let mut e = f.into_error();
                    e.set_cleanup(Cleanup::Kept { upload_id: id });
                    return Err(e);
                }
            }
        }
        let resumed = upload_id.is_some();

        // Plan: explicit size, else the checkpoint's, else what the listed parts show, else the
        // default choice.
        let inferred = listed.iter().map(|p| p.size).max().filter(|s| *s > 0);
        let requested = self.cfg.part_size.or(checkpoint_part_size).or(inferred);
        let plan = PartPlan::choose(identity.size, requested, &limits)?;
        let largest = plan.part(0).map(|r| r.len).unwrap_or(0);
        let budget = ByteBudget::new(self.cfg.memory_budget);
        if !budget.fits(largest) {
            return Err(ConfigError::PartExceedsBudget {
                part_size: largest,
                budget: self.cfg.memory_budget,
            }
            .into());
        }
        let effective_concurrency = self
            .cfg
            .concurrency
            .min(usize::try_from(budget.capacity() / largest.max(1)).unwrap_or(usize::MAX))
            .max(1);

        let mut by_index: HashMap<u32, ListedPart> = HashMap::new();
        for part in listed {
            if let Some(index) = dialect.part_index(part.number) {
                if index < plan.part_count {
                    by_index.insert(index, part);
                }
            }
        }

        let upload_id = match upload_id {
            Some(id) => id,
            None => self
                .retry(Phase::Initiate, || {
                    self.remote.initiate(&job.bucket, &job.key)
                })
                .await
                .map_err(Failed::into_error)?,
        };
        let upload = Arc::new(UploadRef {
            bucket: job.bucket.clone(),
            key: job.key.clone(),
            upload_id: upload_id.clone(),
        });
        if let Some(cp_path) = &job.checkpoint {
            let cp = Checkpoint {
                version: CHECKPOINT_VERSION,
                endpoint: self.cfg.endpoint.clone(),
                dialect,
                bucket: job.bucket.clone(),
                key: job.key.clone(),
                upload_id: upload_id.clone(),
                part_size: plan.part_size,
                file_size: identity.size,
                file_modified_ns: mtime_ns(identity.modified),
            };
            if let Err(e) = cp.save(cp_path) {
                let mut err = UploadError::Checkpoint {
                    path: cp_path.clone(),
                    reason: e.to_string(),
                };
                // Without a checkpoint the caller cannot resume: clean up.
                let cleanup = self.cleanup(&upload, None).await;
                if let UploadError::Checkpoint { reason, .. } = &mut err {
                    reason.push_str(&cleanup.to_string());
                }
                return Err(err);
            }
        }
        self.progress.emit(ProgressEvent::Started {
            upload_id: upload_id.clone(),
            total_bytes: identity.size,
            parts: plan.part_count,
            part_size: plan.part_size,
            resumed,
        });

        let outcome = self
            .finish(&upload, &plan, &by_index, &reader, &budget, &identity)
            .await;
        let (parts, completed, etag, object_checksum) = match outcome {
            Ok(v) => v,
            Err(mut e) => {
                let settled = matches!(
                    e.cleanup(),
                    Some(Cleanup::ObjectWritten { .. } | Cleanup::Gone { .. })
                ) || matches!(e, UploadError::UploadLost { .. });
                if !settled {
                    let cleanup = self.cleanup(&upload, job.checkpoint.as_deref()).await;
                    e.set_cleanup(cleanup);
                }
                return Err(e);
            }
        };
        if let Some(cp_path) = &job.checkpoint {
            if let Err(e) = Checkpoint::remove(cp_path) {
                tracing::warn!(%e, "could not remove the checkpoint after success");
            }
        }
        self.progress.emit(ProgressEvent::Finished);

        let stats = self.stats.snapshot();
        let elapsed = started.elapsed();
        let expected_etag = multipart_etag(&parts.iter().map(|p| p.md5).collect::<Vec<_>>());
        Ok(UploadReport {
            dialect,
            bucket: job.bucket,
            key: job.key,
            upload_id,
            etag,
            expected_etag,
            checksum: self.cfg.checksum,
            object_checksum,
            bytes: identity.size,
            part_size: plan.part_size,
            parts: plan.part_count,
            parts_uploaded: stats.parts_uploaded,
            parts_reused: stats.parts_reused,
            resumed,
            confirmed_by_head: completed.confirmed_by_head,
            verified_readback: self.cfg.verify_readback,
            bytes_sent: stats.bytes_sent,
            retries: stats.retries_by_cause.values().sum(),
            attempts: stats.attempts,
            retries_by_cause: stats.retries_by_cause,
            effective_concurrency,
            peak_memory_bytes: budget.peak(),
            memory_budget: self.cfg.memory_budget,
            duration_secs: elapsed.as_secs_f64(),
            throughput_bytes_per_sec: throughput(identity.size, elapsed),
        })
    }

    /// Parts, complete and verification: everything after the upload id is known.
    async fn finish(
        self: &Arc<Self>,
        upload: &Arc<UploadRef>,
        plan: &PartPlan,
        listed: &HashMap<u32, ListedPart>,
        reader: &PartReader,
        budget: &ByteBudget,
        identity: &FileIdentity,
    ) -> Result<(Vec<DonePart>, Completed, String, Option<String>), UploadError> {
        let parts = self
            .upload_parts(upload, plan, listed, reader, budget)
            .await?;
        let now = reader.identity_now().map_err(|e| self.file_error(e))?;
        if let Some(detail) = identity.difference(&now) {
            return Err(UploadError::FileChanged {
                path: self.path.clone(),
                detail,
                cleanup: Cleanup::NothingStarted,
            });
        }
        let md5s: Vec<[u8; 16]> = parts.iter().map(|p| p.md5).collect();
        let expected_etag = multipart_etag(&md5s);
        let request = CompleteRequest {
            parts: parts
                .iter()
                .map(|p| CompletedPart {
                    number: p.number,
                    etag: p.etag.clone(),
                    checksum: p.checksum.clone(),
                })
                .collect(),
            expected_etag: expected_etag.clone(),
            checksum: self.cfg.checksum,
        };
        self.progress.emit(ProgressEvent::Completing);
        let completed = self.complete(upload, &request, identity.size).await?;
        let written = || Cleanup::ObjectWritten {
            upload_id: upload.upload_id.clone(),
        };

        // The object's ETag: from the complete answer, else from HEAD.
        let mut etag = completed.ack.etag.clone();
        if let Some(got) = &etag {
            if comparable_object_etag(got) && normalize_etag(got) != expected_etag {
                return Err(UploadError::Integrity {
                    phase: Phase::Complete,
                    detail: format!(
                        "object ETag {got} differs from the expected {expected_etag} (MD5 of the part MD5s)"
                    ),
                    cleanup: written(),
                });
            }
        }
        let head = match completed.head.clone() {
            Some(h) => Some(h),
            None => self
                .retry(Phase::Head, || {
                    self.remote.head(&upload.bucket, &upload.key)
                })
                .await
                .map_err(|f| {
                    let mut e = f.into_error();
                    e.set_cleanup(written());
                    e
                })?,
        };
        match head {
            None => {
                return Err(UploadError::Integrity {
                    phase: Phase::Head,
                    detail: "the object does not exist after a successful complete".to_string(),
                    cleanup: written(),
                })
            }
            Some(info) => {
                if info.size != identity.size {
                    return Err(UploadError::Integrity {
                        phase: Phase::Head,
                        detail: format!(
                            "object size {} B differs from the file size {} B",
                            info.size, identity.size
                        ),
                        cleanup: written(),
                    });
                }
                if let Some(got) = &info.etag {
                    if comparable_object_etag(got) && normalize_etag(got) != expected_etag {
                        return Err(UploadError::Integrity {
                            phase: Phase::Head,
                            detail: format!(
                                "object ETag {got} differs from the expected {expected_etag}"
                            ),
                            cleanup: written(),
                        });
                    }
                }
                if etag.is_none() {
                    etag = info.etag.clone();
                }
            }
        }

        // The object checksum, when the service echoes one.
        let local: Vec<(String, u64)> = parts
            .iter()
            .filter_map(|p| p.checksum.clone().map(|c| (c, p.len)))
            .collect();
        let expected_checksum = if local.len() == parts.len() {
            expected_object_checksum(self.cfg.checksum, &local)
        } else {
            None
        };
        if let (Some(got), Some(want)) = (&completed.ack.checksum, &expected_checksum) {
            if !checksums_equal(got, want) {
                return Err(UploadError::Integrity {
                    phase: Phase::Complete,
                    detail: format!(
                        "object {} checksum {got} differs from the expected {want}",
                        self.cfg.checksum
                    ),
                    cleanup: written(),
                });
            }
        }
        if self.cfg.verify_readback {
            self.verify_readback(upload, plan, &parts).await?;
        }
        let object_checksum = completed
            .ack
            .checksum
            .clone()
            .filter(|_| expected_checksum.is_some());
        let etag = normalize_etag(&etag.unwrap_or_else(|| expected_etag.clone()));
        Ok((parts, completed, etag, object_checksum))
    }
}

/// Waits for a concurrency slot and then for the part's bytes in the memory budget.
/// How many parts are started (read from the file and hashed) at once, given how many fit in
/// the memory budget and how many may be sent at once.
///
/// Parts started one at a time are hashed one at a time: the multi-buffer MD5 engine then has
/// nothing to pair them with, and hashes at a third of what it does for 8 parts side by side
/// (measured: the uploader's user CPU per GiB halved with groups of 8). When the budget holds
/// more parts than are sent at once, the parts beyond are read ahead, and half of that
/// read-ahead is started as one group when there is room for it, leaving the other half ready
/// for the slots that free meanwhile. Groups are at most `concurrency` parts, which also caps
/// the read-ahead at twice the concurrency. Without read-ahead, one at a time.
pub(super) fn read_ahead_group(parts_fitting: usize, concurrency: usize) -> usize {
    let concurrency = concurrency.max(1);
    if parts_fitting <= concurrency {
        return 1;
    }
    ((parts_fitting - concurrency) / 2).clamp(1, concurrency)
}

/// Whether an object ETag has the MD5-of-MD5s form `<32 hex>-N` and so can be compared with
/// the expected one (servers with encryption at rest use other forms; then only the size is
/// checked, and `verify_readback` is the way to be sure).
fn comparable_object_etag(etag: &str) -> bool {
    let e = normalize_etag(etag);
    match e.split_once('-') {
        Some((md5, n)) => {
            looks_like_md5(md5) && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// Whether an ETag is an MD5 in hex (32 hex digits), i.e. something it makes sense to compare
/// with the MD5 of the bytes sent. Servers with encryption at rest return other ETags.
fn looks_like_md5(etag: &str) -> bool {
    etag.len() == 32 && etag.bytes().all(|b| b.is_ascii_hexdigit())
}

impl<R: Remote> Ctx<R> {
    /// Uploads (or re-verifies) every part; at most `concurrency` parts in flight and at most
    /// the memory budget of part bytes in memory. On the first failure the remaining parts are
    /// cancelled and drained before returning.
    async fn upload_parts(
        self: &Arc<Self>,
        upload: &Arc<UploadRef>,
        plan: &PartPlan,
        listed: &HashMap<u32, ListedPart>,
        reader: &PartReader,
        budget: &ByteBudget,
    ) -> Result<Vec<DonePart>, UploadError> {
        let slots = Arc::new(SendSlots::new(self.cfg.concurrency));
        let mut tasks: JoinSet<Result<(u32, Option<DonePart>), UploadError>> = JoinSet::new();
        let mut done: Vec<Option<DonePart>> = vec![None; plan.part_count as usize];
        let mut failure: Option<UploadError> = None;

        let mut record = |joined: Result<Result<(u32, Option<DonePart>), UploadError>, _>,
                          failure: &mut Option<UploadError>| {
            match joined {
                Ok(Ok((index, Some(part)))) => {
                    if let Some(slot) = done.get_mut(index as usize) {
                        *slot = Some(part);
                    }
                }
                // Not sent because another part failed: that failure is what gets reported.
                Ok(Ok((_, None))) => {}
                Ok(Err(e)) => {
                    failure.get_or_insert(e);
                }
                Err(join_error) => {
                    failure.get_or_insert(UploadError::Internal {
                        detail: format!("part task ended abnormally: {join_error}"),
                        cleanup: Cleanup::NothingStarted,
                    });
                }
            }
        };

        // Parts are read and hashed as soon as the memory budget has room for them, and sent
        // when a slot is free: with a budget above `concurrency` parts, the next parts are
        // ready (and their MD5s known) by the time a slot frees. They are started in groups so
        // their MD5s share the SIMD lanes of the hashing thread (see `read_ahead_group`).
        let reserve = budget.reservation(plan.part(0).map(|r| r.len).unwrap_or(0));
        let fit = usize::try_from(budget.capacity() / reserve.max(1)).unwrap_or(usize::MAX);
        let concurrency = self.cfg.concurrency.max(1);
        // Read-ahead of at most twice the concurrency: beyond that it only holds memory.
        let held_parts = fit.clamp(1, concurrency.saturating_mul(3));
        let held = Arc::new(Semaphore::new(held_parts));
        let group = read_ahead_group(held_parts, concurrency);
        let ranges: Vec<PartRange> = plan.parts().collect();
        'schedule: for batch in ranges.chunks(group) {
            let want: u64 = batch.iter().map(|r| budget.reservation(r.len)).sum();
            let count = u32::try_from(batch.len()).unwrap_or(u32::MAX);
            let reserve_group = async {
                let parts = Arc::clone(&held).acquire_many_owned(count).await.ok()?;
                let bytes = budget.acquire(want).await?;
                Some((parts, bytes))
            };
            tokio::pin!(reserve_group);
            let reserved = loop {
                tokio::select! {
                    biased;
                    Some(joined) = tasks.join_next(), if !tasks.is_empty() => {
                        record(joined, &mut failure);
                        if failure.is_some() {
                            break 'schedule;
                        }
                    }
                    reserved = &mut reserve_group => break reserved,
                }
            };
            let Some((mut parts, mut reserved)) = reserved else {
                failure = Some(UploadError::Internal {
                    detail: format!(
                        "memory budget of {} bytes refused {want} bytes for {} parts",
                        budget.capacity(),
                        batch.len()
                    ),
                    cleanup: Cleanup::NothingStarted,
                });
                break;
            };
            for &range in batch {
                let (Some(bytes), Some(part_held)) =
                    (reserved.split_off(range.len), parts.split(1))
                else {
                    failure = Some(UploadError::Internal {
                        detail: format!(
                            "a reservation of {} bytes could not give part {} its {} bytes",
                            reserved.bytes(),
                            range.index,
                            range.len
                        ),
                        cleanup: Cleanup::NothingStarted,
                    });
                    break 'schedule;
                };
                let ctx = Arc::clone(self);
                let upload = Arc::clone(upload);
                let reader = reader.clone();
                let slots = Arc::clone(&slots);
                let known = listed.get(&range.index).cloned();
                tasks.spawn(async move {
                    let result = ctx.part(&upload, &reader, range, known, &slots).await;
                    if result.is_err() {
                        // Parts read ahead must not go out after this one failed for good.
                        slots.close();
                    }
                    // The part's buffer is gone by now; free its budget.
                    drop((bytes, part_held));
                    result.map(|p| (range.index, p))
                });
            }
        }
        if failure.is_none() {
            while let Some(joined) = tasks.join_next().await {
                record(joined, &mut failure);
                if failure.is_some() {
                    break;
                }
            }
        }
        if let Some(e) = failure {
            // Stop the parts still in flight and wait until they are really gone, so the abort
            // that follows is not raced by our own requests.
            tasks.abort_all();
            while tasks.join_next().await.is_some() {}
            return Err(e);
        }
        done.into_iter()
            .enumerate()
            .map(|(i, p)| {
                p.ok_or_else(|| UploadError::Internal {
                    detail: format!("part index {i} finished without a result"),
                    cleanup: Cleanup::NothingStarted,
                })
            })
            .collect()
    }

    /// One part: read it, reuse the listed copy if it matches, else upload with retries and
    /// verify the ETag and checksum echo.
    async fn part(
        &self,
        upload: &UploadRef,
        reader: &PartReader,
        range: PartRange,
        listed: Option<ListedPart>,
        slots: &SendSlots,
    ) -> Result<Option<DonePart>, UploadError> {
        let number = self.cfg.dialect.wire_part_number(range.index);
        let data = reader
            .read(range, self.digest_options())
            .await
            .map_err(|e| self.file_error(e))?;
        let position = range.index as usize;
        if let Some(known) = listed {
            if self.listed_matches(&known, &data) {
                slots.pass(position).await;
                self.stats.part_reused();
                self.progress.emit(ProgressEvent::PartReused {
                    part_number: number,
                    bytes: range.len,
                });
                return Ok(Some(DonePart {
                    number,
                    etag: known.etag,
                    md5: data.md5,
                    len: range.len,
                    checksum: data.checksum.clone(),
                }));
            }
            tracing::info!(
                part_number = number,
                "part on the server differs from the file; uploading it again"
            );
        }
        // Read and hashed: now wait for its turn and a slot to send it (none if another part
        // failed meanwhile).
        let Some(_slot) = slots.acquire(position).await else {
            return Ok(None);
        };
        let data_ref = &data;
        let ack = self
            .retry(
                Phase::UploadPart {
                    part_number: number,
                },
                || async move {
                    let meter = BodyMeter::new(self.progress.clone());
                    let result = self
                        .remote
                        .upload_part(upload, number, data_ref, &meter)
                        .await
                        .and_then(|ack| check_part_ack(ack, data_ref));
                    let sent = meter.sent();
                    self.stats.sent(sent);
                    if result.is_err() && sent > 0 {
                        self.progress.emit(ProgressEvent::Rewound { bytes: sent });
                    }
                    result
                },
            )
            .await
            .map_err(Failed::into_error)?;
        self.stats.part_uploaded();
        self.progress.emit(ProgressEvent::PartDone {
            part_number: number,
            bytes: range.len,
        });
        Ok(Some(DonePart {
            number,
            etag: ack.etag,
            md5: data.md5,
            len: range.len,
            checksum: data.checksum.clone(),
        }))
    }

    /// Whether a part found on the server holds exactly the file's bytes.
    fn listed_matches(&self, known: &ListedPart, data: &PartData) -> bool {
        if known.size != data.range.len || normalize_etag(&known.etag) != data.md5_hex() {
            return false;
        }
        match (&known.checksum, &data.checksum) {
            (Some(theirs), Some(ours)) => checksums_equal(theirs, ours),
            // Without our checksum on the server, Complete would fail: upload again.
            (None, Some(_)) => false,
            _ => true,
        }
    }

    /// Completes, resolving ambiguous outcomes: when the request may have landed and the answer
    /// got lost, or the upload is gone on a later attempt, HEAD decides whether the object is
    /// ours before anything is called failed.
    async fn complete(
        &self,
        upload: &UploadRef,
        request: &CompleteRequest,
        size: u64,
    ) -> Result<Completed, UploadError> {
        let phase = Phase::Complete;
        let mut may_have_landed = false;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            self.stats.attempt(phase);
            let error = match self.remote.complete(upload, request).await {
                Ok(ack) => {
                    return Ok(Completed {
                        ack,
                        confirmed_by_head: false,
                        head: None,
                    })
                }
                Err(e) => e,
            };
            if error.cause.is_no_such_upload() {
                if let Some(info) = self
                    .object_matches(upload, &request.expected_etag, size)
                    .await?
                {
                    return Ok(Completed {
                        ack: CompleteAck {
                            etag: info.etag.clone(),
                            checksum: None,
                        },
                        confirmed_by_head: true,
                        head: Some(info),
                    });
                }
                if may_have_landed || attempt > 1 {
                    return Err(UploadError::UploadLost {
                        upload_id: upload.upload_id.clone(),
                        detail: format!(
                            "complete attempt {attempt} answered {error}, and no object with \
                             ETag {} and {size} B exists",
                            request.expected_etag
                        ),
                    });
                }
                let mut e = Failed {
                    phase,
                    attempts: attempt,
                    error,
                }
                .into_error();
                e.set_cleanup(Cleanup::Gone {
                    upload_id: upload.upload_id.clone(),
                });
                return Err(e);
            }
            if error.cause.may_have_landed() {
                may_have_landed = true;
            }
            if error.is_retryable() && attempt < self.cfg.max_attempts {
                self.pause(phase, attempt, &error).await;
                continue;
            }
            if may_have_landed {
                if let Some(info) = self
                    .object_matches(upload, &request.expected_etag, size)
                    .await?
                {
                    return Ok(Completed {
                        ack: CompleteAck {
                            etag: info.etag.clone(),
                            checksum: None,
                        },
                        confirmed_by_head: true,
                        head: Some(info),
                    });
                }
            }
            return Err(Failed {
                phase,
                attempts: attempt,
                error,
            }
            .into_error());
        }
    }

    /// HEAD the object: is it there with our size and ETag?
    async fn object_matches(
        &self,
        upload: &UploadRef,
        expected_etag: &str,
        size: u64,
    ) -> Result<Option<ObjectInfo>, UploadError> {
        let info = self
            .retry(Phase::Head, || {
                self.remote.head(&upload.bucket, &upload.key)
            })
            .await
            .map_err(Failed::into_error)?;
        Ok(info.filter(|i| {
            i.size == size
                && i.etag
                    .as_deref()
                    .is_some_and(|e| normalize_etag(e) == expected_etag)
        }))
    }

    /// Reads the object back and compares every part's MD5 with the file's.
    async fn verify_readback(
        &self,
        upload: &UploadRef,
        plan: &PartPlan,
        parts: &[DonePart],
    ) -> Result<(), UploadError> {
        let written = || Cleanup::ObjectWritten {
            upload_id: upload.upload_id.clone(),
        };
        let got = self
            .retry(Phase::Verify, || {
                self.remote
                    .read_part_md5s(&upload.bucket, &upload.key, plan.part_size)
            })
            .await
            .map_err(|f| {
                let mut e = f.into_error();
                e.set_cleanup(written());
                e
            })?;
        let bad: Vec<String> = parts
            .iter()
            .enumerate()
            .filter(|(i, p)| got.get(*i) != Some(&p.md5))
            .map(|(_, p)| p.number.to_string())
            .collect();
        if !bad.is_empty() || got.len() != parts.len() {
            return Err(UploadError::Integrity {
                phase: Phase::Verify,
                detail: format!(
                    "the object read back differs from the file: {} slices read for {} parts, \
                     differing parts: {}",
                    got.len(),
                    parts.len(),
                    if bad.is_empty() {
                        "none".to_string()
                    } else {
                        bad.join(", ")
                    }
                ),
                cleanup: written(),
            });
        }
        Ok(())
    }

    /// Lists every part of an upload, following pages.
    async fn list_all(&self, upload: &UploadRef) -> Result<Vec<ListedPart>, Failed> {
        let mut parts = Vec::new();
        let mut marker: Option<u32> = None;
        for _ in 0..MAX_LIST_PAGES {
            let page = self
                .retry(Phase::ListParts, || self.remote.list_parts(upload, marker))
                .await?;
            parts.extend(page.parts);
            match page.next_marker {
                None => return Ok(parts),
                Some(next) if marker.is_some_and(|m| next <= m) => {
                    return Err(Failed {
                        phase: Phase::ListParts,
                        attempts: 1,
                        error: AttemptError::new(
                            Cause::Service {
                                status: 200,
                                code: "NonAdvancingMarker".to_string(),
                            },
                            format!(
                                "part listing does not advance: next marker {next} after marker {}",
                                marker.unwrap_or_default()
                            ),
                        ),
                    })
                }
                Some(next) => marker = Some(next),
            }
        }
        Err(Failed {
            phase: Phase::ListParts,
            attempts: 1,
            error: AttemptError::new(
                Cause::Service {
                    status: 200,
                    code: "TooManyPages".to_string(),
                },
                format!("part listing still truncated after {MAX_LIST_PAGES} pages"),
            ),
        })
    }

    /// After a failure: abort and confirm, or keep the upload, per configuration.
    async fn cleanup(&self, upload: &UploadRef, checkpoint: Option<&Path>) -> Cleanup {
        if !self.cfg.abort_on_failure {
            return Cleanup::Kept {
                upload_id: upload.upload_id.clone(),
            };
        }
        self.progress.emit(ProgressEvent::Aborting {
            upload_id: upload.upload_id.clone(),
        });
        let cleanup = self.abort_and_confirm(upload).await;
        if matches!(cleanup, Cleanup::Aborted { .. }) {
            if let Some(path) = checkpoint {
                if let Err(e) = Checkpoint::remove(path) {
                    tracing::warn!(%e, "could not remove the checkpoint after aborting");
                }
            }
        }
        cleanup
    }

    /// Aborts, then lists the upload to make sure it is gone; repeats when parts that were in
    /// flight landed after the abort.
    async fn abort_and_confirm(&self, upload: &UploadRef) -> Cleanup {
        let upload_id = upload.upload_id.clone();
        for round in 1..=MAX_ABORT_ROUNDS {
            match self.retry(Phase::Abort, || self.remote.abort(upload)).await {
                Ok(()) => {}
                Err(f) if f.error.cause.is_no_such_upload() => {}
                Err(f) => {
                    return Cleanup::AbortFailed {
                        upload_id,
                        reason: format!("{} after {} attempts", f.error, f.attempts),
                    }
                }
            }
            match self
                .retry(Phase::ListParts, || self.remote.list_parts(upload, None))
                .await
            {
                Err(f) if f.error.cause.is_no_such_upload() => {
                    return Cleanup::Aborted {
                        upload_id,
                        rounds: round,
                    }
                }
                Ok(page) if page.parts.is_empty() => {
                    return Cleanup::Aborted {
                        upload_id,
                        rounds: round,
                    }
                }
                Ok(page) => {
                    tracing::warn!(
                        round,
                        parts = page.parts.len(),
                        "upload still has parts after abort; aborting again"
                    );
                }
                Err(f) => {
                    return Cleanup::AbortFailed {
                        upload_id,
                        reason: format!("could not confirm the abort: {}", f.error),
                    }
                }
            }
        }
        Cleanup::AbortFailed {
            upload_id,
            reason: format!("parts still listed after {MAX_ABORT_ROUNDS} abort rounds"),
        }
    }
}

/// Checks a part answer against the bytes sent: the ETag must be their MD5 (when the ETag is
/// an MD5 at all) and an echoed checksum must equal the one sent.
fn check_part_ack(ack: PartAck, data: &PartData) -> Result<PartAck, AttemptError> {
    let got = normalize_etag(&ack.etag);
    if looks_like_md5(&got) && got != data.md5_hex() {
        return Err(AttemptError::new(
            Cause::EtagMismatch,
            format!(
                "expected {} (MD5 of the {} bytes sent), got {}",
                data.md5_hex(),
                data.range.len,
                ack.etag
            ),
        ));
    }
    if let (Some(sent), Some(echo)) = (&data.checksum, &ack.checksum) {
        if !checksums_equal(sent, echo) {
            return Err(AttemptError::new(
                Cause::ChecksumMismatch,
                format!("sent {sent}, server echoed {echo}"),
            ));
        }
    }
    Ok(ack)
}

#[cfg(test)]
mod etag_form_tests {
    use super::*;

    #[test]
    fn only_md5_of_md5s_etags_are_compared() {
        assert!(comparable_object_etag(
            "\"59adb24ef3cdbe0297f05b395827453f-1\""
        ));
        assert!(comparable_object_etag(
            "59ADB24EF3CDBE0297F05B395827453F-12"
        ));
        assert!(!comparable_object_etag("59adb24ef3cdbe0297f05b395827453f"));
        assert!(!comparable_object_etag("kms-encrypted-opaque-value"));
        assert!(!comparable_object_etag("59adb24ef3cdbe0297f05b395827453f-"));
        assert!(looks_like_md5("59adb24ef3cdbe0297f05b395827453f"));
        assert!(!looks_like_md5("59adb24ef3cdbe0297f05b395827453"));
    }
}
