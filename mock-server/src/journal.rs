//! The journal: every request in order, with what it was, how it ended, and the faults that
//! fired on it. `GET /_mock/journal` serves it; conformance grading and expectations read it.

use crate::dialect::Dialect;
use crate::ops::OpKind;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Entries kept at most; older ones are dropped (and counted in [`Journal::dropped`]).
pub const MAX_ENTRIES: usize = 200_000;

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
    /// Whether the request carried Content-MD5 or a flexible checksum.
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

/// Filters of a journal query.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct JournalFilter {
    /// Only this operation.
    pub op: Option<OpKind>,
    /// Only entries with `seq` greater than this.
    pub since: Option<u64>,
}

/// The request journal.
#[derive(Debug)]
pub struct Journal {
    entries: Mutex<(VecDeque<JournalEntry>, u64, u64)>,
    started: Instant,
    in_flight: std::sync::atomic::AtomicU64,
}

impl Default for Journal {
    fn default() -> Self {
        Journal {
            entries: Mutex::new((VecDeque::new(), 0, 0)),
            started: Instant::now(),
            in_flight: std::sync::atomic::AtomicU64::new(0),
        }
    }
}

impl Journal {
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
        let mut g = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        g.1 += 1;
        entry.seq = g.1;
        let seq = entry.seq;
        g.0.push_back(entry);
        if g.0.len() > MAX_ENTRIES {
            g.0.pop_front();
            g.2 += 1;
        }
        seq
    }

    /// Entries matching the filter, in order.
    pub fn entries(&self, filter: &JournalFilter) -> Vec<JournalEntry> {
        let g = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        g.0.iter()
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
    pub fn in_flight(&self) -> u64 {
        self.in_flight.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Entries dropped because the journal was full.
    pub fn dropped(&self) -> u64 {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).2
    }

    /// Forgets everything.
    pub fn clear(&self) {
        let mut g = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        g.0.clear();
        g.2 = 0;
    }
}
