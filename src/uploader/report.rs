//! The report of a finished upload, and the counters that fill it.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::config::{ChecksumChoice, Dialect};
use super::failure::{Cause, Phase};

/// What a successful upload did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UploadReport {
    /// Dialect spoken.
    pub dialect: Dialect,
    /// Bucket.
    pub bucket: String,
    /// Key.
    pub key: String,
    /// Multipart upload id.
    pub upload_id: String,
    /// The object's ETag as the service reported it (without quotes).
    pub etag: String,
    /// The ETag computed locally (MD5 of part MD5s, `-N`), which `etag` was checked against.
    pub expected_etag: String,
    /// Additional checksum algorithm used.
    pub checksum: ChecksumChoice,
    /// Object checksum reported by the service, if any (checked against the local one).
    pub object_checksum: Option<String>,
    /// Object size.
    pub bytes: u64,
    /// Part size.
    pub part_size: u64,
    /// Number of parts of the object.
    pub parts: u32,
    /// Parts sent in this run.
    pub parts_uploaded: u32,
    /// Parts found on the server (resume), verified against the file and not sent again.
    pub parts_reused: u32,
    /// Whether an existing upload was resumed.
    pub resumed: bool,
    /// Whether the object was read back and every part compared with the file.
    pub verified_readback: bool,
    /// Whether the completion was confirmed by looking at the object (the complete answer was
    /// lost or the upload was already gone).
    pub confirmed_by_head: bool,
    /// Part body bytes handed to connections, over all attempts (≥ bytes uploaded).
    pub bytes_sent: u64,
    /// Requests made, by phase (`initiate`, `upload_part`, `complete`, ...).
    pub attempts: BTreeMap<String, u64>,
    /// Total retries.
    pub retries: u64,
    /// Retries by cause key (`http_503_SlowDown`, `connection_reset_during_body`, ...).
    pub retries_by_cause: BTreeMap<String, u64>,
    /// Parts in flight at most: `min(concurrency, memory budget / part size)`.
    pub effective_concurrency: usize,
    /// Most bytes of part data held at once.
    pub peak_memory_bytes: u64,
    /// Memory budget in force.
    pub memory_budget: u64,
    /// Wall-clock duration in seconds.
    pub duration_secs: f64,
    /// Object bytes per second over the whole duration.
    pub throughput_bytes_per_sec: f64,
}

impl UploadReport {
    /// Total requests made.
    pub fn total_attempts(&self) -> u64 {
        self.attempts.values().sum()
    }
}

impl fmt::Display for UploadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "uploaded {} ({}) to {}/{} [{}]",
            human_bytes(self.bytes),
            self.bytes,
            self.bucket,
            self.key,
            self.dialect
        )?;
        writeln!(f, "  upload id   {}", self.upload_id)?;
        writeln!(
            f,
            "  etag        {} (verified{})",
            self.etag,
            if self.confirmed_by_head {
                ", confirmed by HEAD"
            } else {
                ""
            }
        )?;
        if self.verified_readback {
            writeln!(f, "  read-back   every part matches the file")?;
        }
        if let Some(c) = &self.object_checksum {
            writeln!(f, "  checksum    {} {} (verified)", self.checksum, c)?;
        }
        writeln!(
            f,
            "  parts       {} x {} ({} sent, {} reused)",
            self.parts,
            human_bytes(self.part_size),
            self.parts_uploaded,
            self.parts_reused
        )?;
        writeln!(
            f,
            "  requests    {} ({} retries{})",
            self.total_attempts(),
            self.retries,
            if self.retries_by_cause.is_empty() {
                String::new()
            } else {
                format!(
                    ": {}",
                    self.retries_by_cause
                        .iter()
                        .map(|(k, v)| format!("{k} x{v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        )?;
        writeln!(
            f,
            "  memory      peak {} of {} budget, {} parts in flight at most",
            human_bytes(self.peak_memory_bytes),
            human_bytes(self.memory_budget),
            self.effective_concurrency
        )?;
        write!(
            f,
            "  time        {:.2} s, {}/s",
            self.duration_secs,
            human_bytes(self.throughput_bytes_per_sec as u64)
        )
    }
}

/// `1.5 MiB` style sizes.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// Counters shared by the tasks of one upload.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    inner: Mutex<StatsInner>,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct StatsInner {
    pub attempts: BTreeMap<String, u64>,
    pub retries_by_cause: BTreeMap<String, u64>,
    pub bytes_sent: u64,
    pub parts_uploaded: u32,
    pub parts_reused: u32,
}

/// The report key of a phase.
pub(crate) fn phase_key(phase: Phase) -> &'static str {
    match phase {
        Phase::Initiate => "initiate",
        Phase::UploadPart { .. } => "upload_part",
        Phase::ListParts => "list_parts",
        Phase::Complete => "complete",
        Phase::Abort => "abort",
        Phase::Head => "head",
        Phase::Verify => "verify",
    }
}

impl Stats {
    fn with<R>(&self, f: impl FnOnce(&mut StatsInner) -> R) -> R {
        // A poisoned lock only means another task panicked while counting; counts stay usable.
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    pub(crate) fn attempt(&self, phase: Phase) {
        self.with(|s| *s.attempts.entry(phase_key(phase).to_string()).or_default() += 1);
    }

    pub(crate) fn retry(&self, cause: &Cause) {
        self.with(|s| *s.retries_by_cause.entry(cause.key()).or_default() += 1);
    }

    pub(crate) fn sent(&self, bytes: u64) {
        self.with(|s| s.bytes_sent += bytes);
    }

    pub(crate) fn part_uploaded(&self) {
        self.with(|s| s.parts_uploaded += 1);
    }

    pub(crate) fn part_reused(&self) {
        self.with(|s| s.parts_reused += 1);
    }

    pub(crate) fn snapshot(&self) -> StatsInner {
        self.with(|s| s.clone())
    }
}

/// Throughput in bytes per second, 0 for a zero duration.
pub(crate) fn throughput(bytes: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        bytes as f64 / secs
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(5 * 1024 * 1024), "5.0 MiB");
    }

    #[test]
    fn stats_count_by_phase_and_cause() {
        let s = Stats::default();
        s.attempt(Phase::UploadPart { part_number: 1 });
        s.attempt(Phase::UploadPart { part_number: 2 });
        s.attempt(Phase::Complete);
        s.retry(&Cause::Service {
            status: 503,
            code: "SlowDown".into(),
        });
        s.retry(&Cause::Service {
            status: 503,
            code: "SlowDown".into(),
        });
        s.sent(10);
        let snap = s.snapshot();
        assert_eq!(snap.attempts.get("upload_part"), Some(&2));
        assert_eq!(snap.attempts.get("complete"), Some(&1));
        assert_eq!(snap.retries_by_cause.get("http_503_SlowDown"), Some(&2));
        assert_eq!(snap.bytes_sent, 10);
    }

    #[test]
    fn throughput_handles_zero_duration() {
        assert_eq!(throughput(100, Duration::ZERO), 0.0);
        assert_eq!(throughput(100, Duration::from_secs(2)), 50.0);
    }
}
