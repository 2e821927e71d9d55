//! The journal: every request in order, with what it was, how it ended, and the faults that
//! fired on it. `GET /_mock/journal` serves it; conformance grading and expectations read it.

use crate::dialect::Dialect;
use crate::ops::OpKind;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Entries kept at most unless configured otherwise (`--journal-limit`,
/// [`crate::MockServerBuilder::journal_limit`]); older ones are dropped, oldest first, and
/// counted in [`Journal::dropped`]. A load-test entry takes about 0.55 KiB with its strings
/// (the server's RSS grew 25 MiB for 46,800 entries), so a full journal holds some 55 MiB:
/// 19 load-test rounds of 5,200 requests, or a 10,000-part upload ten times over.
pub const DEFAULT_LIMIT: usize = 100_000;

/// One request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// Sequence number, from 1, in arrival order.
    pub seq: u64,
    /// Milliseconds since the Unix epoch when the request arrived.
    pub unix_ms: u64,
    /// Milliseconds since the server started.
    pub elapsed_ms: u64,
    /// Request id sent back to the client.
    pub request_id: String,
    /// Dialect.
    pub dialect: Option<Dialect>,
    /// HTTP method.
    pub method: String,
    /// Raw path.
    pub path: String,
    /// Operation, when the request could be parsed.
    pub op: Option<OpKind>,
    /// Bucket.
    pub bucket: Option<String>,
    /// Key.
    pub key: Option<String>,
    /// Upload id.
    pub upload_id: Option<String>,
    /// Part number.
    pub part_number: Option<u32>,
    /// How many times this operation on this upload/key and part has been seen (1 = first).
    pub attempt: u32,
    /// HTTP status answered; `None` when the connection was dropped without an answer.
    pub status: Option<u16>,
    /// Error code answered, if any (also for 200-with-error).
    pub error_code: Option<String>,
    /// Payload bytes received.
    pub bytes_in: u64,
    /// Response body bytes declared (Content-Length), when known.
    pub bytes_out: u64,
    /// Time from arrival to the response head, in milliseconds.
    pub duration_ms: f64,
    /// ETag answered, without quotes (UploadPart, PutObject, Complete).
    pub etag: Option<String>,
    /// ETags the client listed in a complete, by part number (for grading clients).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub completed_parts: Vec<(u32, String)>,
    /// Whether the request carried a digest of its data the server verifies: Content-MD5, a
    /// flexible checksum, or the SHA-256 of a signed payload.
    pub integrity: bool,
    /// The operation took effect (for drops after commit).
    pub committed: bool,
    /// Labels of the faults that fired.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<String>,
}

/// An entry being filled while its request runs. If the request's future is dropped (the
/// client went away, e.g. during a stall), the entry is still recorded, as a dropped request.
pub struct PendingEntry<'a> {
    journal: &'a Journal,
    entry: Option<JournalEntry>,
    started: Instant,
}

impl<'a> PendingEntry<'a> {
    /// Starts an entry for a request arriving now.
    pub fn begin(journal: &'a Journal) -> Self {
        journal
            .in_flight
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let (entry, started) = journal.begin();
        PendingEntry {
            journal,
            entry: Some(entry),
            started,
        }
    }
    /// The entry, to fill in.
    pub fn entry(&mut self) -> &mut JournalEntry {
        self.entry.get_or_insert_with(JournalEntry::default)
    }
    /// Records the entry now.
    pub fn finish(mut self) -> u64 {
        let e = self.entry.take().unwrap_or_default();
        self.journal.record(e, self.started)
        // `Drop` still runs and lowers the in-flight count.
    }
}

impl Drop for PendingEntry<'_> {
    fn drop(&mut self) {
        if let Some(mut e) = self.entry.take() {
            e.status = None;
            if !e.faults.iter().any(|f| f.contains("client went away")) {
                e.faults.push("client went away".into());
            }
            self.journal.record(e, self.started);
        }
        self.journal
            .in_flight
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Keeps a request counted as in flight until dropped (see [`Journal::hold`]).
#[derive(Debug)]
pub struct InFlightGuard(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Filters of a journal query.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct JournalFilter {
    /// Only this operation.
    pub op: Option<OpKind>,
    /// Only entries with `seq` greater than this.
    pub since: Option<u64>,
}

/// How full the journal is (`GET /_mock/health` reports it under `"journal"`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalStats {
    /// Entries kept now.
    pub entries: u64,
    /// Entries dropped (oldest first) because the journal was full, since the last clear.
    pub dropped: u64,
    /// Entries kept at most.
    pub limit: u64,
}

/// The entries, a ring of at most `limit`, with the sequence and drop counters.
#[derive(Debug, Default)]
struct Ring {
    entries: VecDeque<JournalEntry>,
    last_seq: u64,
    dropped: u64,
}

/// The request journal: the last [`limit`](Self::limit) requests (by default
/// [`DEFAULT_LIMIT`]).
#[derive(Debug)]
pub struct Journal {
    ring: Mutex<Ring>,
    limit: usize,
    started: Instant,
    in_flight: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Default for Journal {
    fn default() -> Self {
        Journal::with_limit(DEFAULT_LIMIT)
    }
}

impl Journal {
    /// A journal keeping at most `limit` entries (at least 1); older ones are dropped and
    /// counted.
    ///
    /// ```
    /// use mock_server::journal::{Journal, JournalEntry};
    /// let j = Journal::with_limit(2);
    /// for _ in 0..3 {
    ///     let (entry, started) = j.begin();
    ///     j.record(entry, started);
    /// }
    /// assert_eq!((j.len(), j.dropped()), (2, 1));
    /// assert_eq!(j.all()[0].seq, 2); // the oldest went first
    /// ```
    pub fn with_limit(limit: usize) -> Journal {
        Journal {
            ring: Mutex::new(Ring::default()),
            limit: limit.max(1),
            started: Instant::now(),
            in_flight: std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ring> {
        self.ring.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Entries kept at most.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Entries kept now.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether no entry is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Entries kept, dropped and the limit, read at once.
    pub fn stats(&self) -> JournalStats {
        let g = self.lock();
        JournalStats {
            entries: g.entries.len() as u64,
            dropped: g.dropped,
            limit: self.limit as u64,
        }
    }

    /// Starts an entry for a request arriving now (not yet recorded).
    pub fn begin(&self) -> (JournalEntry, Instant) {
        let now = Instant::now();
        let unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        (
            JournalEntry {
                unix_ms,
                elapsed_ms: now.duration_since(self.started).as_millis() as u64,
                ..JournalEntry::default()
            },
            now,
        )
    }

    /// Records a finished entry, assigning its sequence number.
    pub fn record(&self, mut entry: JournalEntry, started: Instant) -> u64 {
        entry.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        let mut g = self.lock();
        g.last_seq += 1;
        entry.seq = g.last_seq;
        let seq = entry.seq;
        if g.entries.len() >= self.limit {
            g.entries.pop_front();
            g.dropped += 1;
            if g.dropped == 1 {
                tracing::warn!(
                    limit = self.limit,
                    "the journal is full: the oldest entries are dropped from now on (--journal-limit)"
                );
            }
        }
        g.entries.push_back(entry);
        seq
    }

    /// Entries matching the filter, in order.
    pub fn entries(&self, filter: &JournalFilter) -> Vec<JournalEntry> {
        let g = self.lock();
        g.entries
            .iter()
            .filter(|e| filter.op.is_none_or(|op| e.op == Some(op)))
            .filter(|e| filter.since.is_none_or(|s| e.seq > s))
            .cloned()
            .collect()
    }

    /// Every entry.
    pub fn all(&self) -> Vec<JournalEntry> {
        self.entries(&JournalFilter::default())
    }

    /// Requests being handled right now (API requests only, not `/_mock/`).
    /// Counts one more request in flight until the returned guard is dropped: held by a
    /// response body while it streams (it may hold blobs), so [`in_flight`](Self::in_flight)
    /// reaches 0 only once every answer has been fully sent or abandoned.
    pub fn hold(&self) -> InFlightGuard {
        self.in_flight
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        InFlightGuard(self.in_flight.clone())
    }

    /// Requests in flight, including response bodies still streaming.
    pub fn in_flight(&self) -> u64 {
        self.in_flight.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Entries dropped because the journal was full, since the last [`clear`](Self::clear).
    pub fn dropped(&self) -> u64 {
        self.lock().dropped
    }

    /// Forgets every entry and the drop count, and gives the ring's memory back (sequence
    /// numbers go on).
    pub fn clear(&self) {
        let mut g = self.lock();
        g.entries = VecDeque::new();
        g.dropped = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(j: &Journal, path: &str) -> u64 {
        let (mut e, started) = j.begin();
        e.path = path.to_string();
        j.record(e, started)
    }

    #[test]
    fn keeps_the_newest_entries_up_to_the_limit_and_counts_the_rest() {
        let j = Journal::with_limit(3);
        let seqs: Vec<u64> = (0..5).map(|i| record(&j, &format!("/r{i}"))).collect();
        assert_eq!(seqs, [1, 2, 3, 4, 5]);
        let kept: Vec<(u64, String)> = j.all().into_iter().map(|e| (e.seq, e.path)).collect();
        assert_eq!(
            kept,
            [(3, "/r2".into()), (4, "/r3".into()), (5, "/r4".into())]
        );
        assert_eq!(
            j.stats(),
            JournalStats {
                entries: 3,
                dropped: 2,
                limit: 3
            }
        );
    }

    #[test]
    fn clear_forgets_entries_and_drops_but_not_the_sequence() {
        let j = Journal::with_limit(2);
        for i in 0..4 {
            record(&j, &format!("/r{i}"));
        }
        j.clear();
        assert!(j.is_empty());
        assert_eq!(j.dropped(), 0);
        assert_eq!(record(&j, "/after"), 5);
        assert_eq!(j.len(), 1);
    }

    #[test]
    fn a_limit_of_zero_keeps_one_entry() {
        let j = Journal::with_limit(0);
        record(&j, "/a");
        record(&j, "/b");
        assert_eq!((j.limit(), j.len(), j.dropped()), (1, 1, 1));
        assert_eq!(j.all()[0].path, "/b");
    }

    #[test]
    fn default_limit_is_the_documented_one() {
        assert_eq!(Journal::default().limit(), DEFAULT_LIMIT);
        assert_eq!(DEFAULT_LIMIT, 100_000);
    }

    #[test]
    fn filters_by_operation_and_sequence() {
        let j = Journal::with_limit(10);
        for (i, op) in [OpKind::UploadPart, OpKind::PutObject, OpKind::UploadPart]
            .into_iter()
            .enumerate()
        {
            let (mut e, started) = j.begin();
            e.op = Some(op);
            e.path = format!("/{i}");
            j.record(e, started);
        }
        let parts = j.entries(&JournalFilter {
            op: Some(OpKind::UploadPart),
            since: None,
        });
        assert_eq!(parts.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 3]);
        let later = j.entries(&JournalFilter {
            op: None,
            since: Some(1),
        });
        assert_eq!(later.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3]);
    }
}
