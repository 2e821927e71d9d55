//! Progress events for a bar or a log, delivered to a callback.

use std::sync::Arc;
use std::time::Duration;

use super::failure::Phase;

/// Something that happened during an upload.
#[derive(Clone, Debug, PartialEq)]
pub enum ProgressEvent {
    /// The plan is known.
    Started {
        /// Upload id (new or resumed).
        upload_id: String,
        /// File size.
        total_bytes: u64,
        /// Number of parts.
        parts: u32,
        /// Part size.
        part_size: u64,
        /// Whether an existing upload is being resumed.
        resumed: bool,
    },
    /// Bytes of a part body were handed to the connection.
    Sent {
        /// How many.
        bytes: u64,
    },
    /// An attempt failed after sending this many bytes; they will be sent again.
    Rewound {
        /// How many.
        bytes: u64,
    },
    /// A part is uploaded and verified.
    PartDone {
        /// Wire part number.
        part_number: u32,
        /// Its length.
        bytes: u64,
    },
    /// A part already on the server (resume) matched the file and is not sent again.
    PartReused {
        /// Wire part number.
        part_number: u32,
        /// Its length.
        bytes: u64,
    },
    /// An attempt failed and will be retried after `delay`.
    Retrying {
        /// Where.
        phase: Phase,
        /// Which attempt failed (1-based).
        attempt: u32,
        /// Short cause key (see [`Cause::key`](super::Cause::key)).
        cause: String,
        /// Wait before the next attempt.
        delay: Duration,
    },
    /// All parts are up; completing.
    Completing,
    /// Giving up; aborting the upload.
    Aborting {
        /// Upload id.
        upload_id: String,
    },
    /// Done.
    Finished,
}

/// A progress callback. It is called from the upload's tasks, so it must be quick and must not
/// block (update an indicatif bar, push to a channel, print a line).
pub type ProgressFn = Arc<dyn Fn(&ProgressEvent) + Send + Sync>;

/// Calls an optional progress callback.
#[derive(Clone, Default)]
pub(crate) struct Progress {
    sink: Option<ProgressFn>,
}

impl Progress {
    pub(crate) fn new(sink: Option<ProgressFn>) -> Self {
        Progress { sink }
    }

    pub(crate) fn emit(&self, event: ProgressEvent) {
        if let Some(sink) = &self.sink {
            sink(&event);
        }
    }

    pub(crate) fn is_active(&self) -> bool {
        self.sink.is_some()
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress")
            .field("active", &self.sink.is_some())
            .finish()
    }
}
