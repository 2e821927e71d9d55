//! Errors of the uploader: configuration errors and upload failures that say the phase, the
//! cause and what was done about the upload left behind.

use std::fmt;
use std::path::PathBuf;

use super::config::{ChecksumChoice, Dialect};
use super::failure::{AttemptError, Phase};

/// A configuration that cannot work.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The endpoint is not `http[s]://host[:port]`.
    #[error("invalid endpoint {endpoint:?}: {reason}")]
    InvalidEndpoint {
        /// What was given.
        endpoint: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No access key or secret key.
    #[error("missing credentials for {dialect}: give an access key and a secret key")]
    MissingCredentials {
        /// Dialect the credentials were for.
        dialect: Dialect,
    },
    /// `concurrency` is 0.
    #[error("concurrency must be at least 1")]
    ZeroConcurrency,
    /// `max_attempts` is 0.
    #[error("max attempts must be at least 1")]
    ZeroAttempts,
    /// `memory_budget` is 0.
    #[error("memory budget must be at least one part")]
    ZeroMemoryBudget,
    /// Backoff parameters make no sense.
    #[error("invalid backoff: {0}")]
    InvalidBackoff(String),
    /// The dialect has no header for this checksum.
    #[error("checksum {checksum} is not supported by the {dialect} dialect (only s3 carries additional checksums; Content-MD5 works everywhere)")]
    ChecksumUnsupported {
        /// Requested checksum.
        checksum: ChecksumChoice,
        /// Dialect in use.
        dialect: Dialect,
    },
    /// One part does not fit in the memory budget.
    #[error("part size {part_size} B exceeds the memory budget {budget} B: raise the memory budget or lower the part size")]
    PartExceedsBudget {
        /// Part size.
        part_size: u64,
        /// Memory budget.
        budget: u64,
    },
    /// Part size 0.
    #[error("part size must be at least 1 byte")]
    ZeroPartSize,
    /// Part size above the dialect's maximum.
    #[error("part size {part_size} B exceeds the maximum part size {max} B")]
    PartTooLarge {
        /// Requested part size.
        part_size: u64,
        /// Maximum.
        max: u64,
    },
    /// The file would need more parts than allowed.
    #[error("a {file_size} B file in {part_size} B parts needs {parts} parts, more than the limit of {max}: use a larger part size")]
    TooManyParts {
        /// File size.
        file_size: u64,
        /// Part size.
        part_size: u64,
        /// Parts needed.
        parts: u64,
        /// Limit.
        max: u32,
    },
    /// The file is larger than the largest possible multipart object.
    #[error("file of {file_size} B exceeds the largest possible multipart object ({max} B)")]
    FileTooLarge {
        /// File size.
        file_size: u64,
        /// Largest object.
        max: u64,
    },
}

/// What happened to the multipart upload after a failure.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum Cleanup {
    /// No upload had been created.
    NothingStarted,
    /// The upload was left open on purpose (abort on failure is off); resume it with its id.
    Kept {
        /// Upload id to resume.
        upload_id: String,
    },
    /// The upload was aborted and a listing confirmed it is gone.
    Aborted {
        /// Upload id.
        upload_id: String,
        /// Abort rounds needed (more than 1 if parts landed after the first abort).
        rounds: u32,
    },
    /// Aborting failed or could not be confirmed; parts may be left behind.
    AbortFailed {
        /// Upload id.
        upload_id: String,
        /// Why.
        reason: String,
    },
    /// The upload no longer exists on the server (completed or aborted elsewhere).
    Gone {
        /// Upload id.
        upload_id: String,
    },
    /// The object was written (the failure was found after completion).
    ObjectWritten {
        /// Upload id.
        upload_id: String,
    },
}

impl Cleanup {
    /// The upload id involved, if an upload was created.
    pub fn upload_id(&self) -> Option<&str> {
        match self {
            Cleanup::NothingStarted => None,
            Cleanup::Kept { upload_id }
            | Cleanup::Aborted { upload_id, .. }
            | Cleanup::AbortFailed { upload_id, .. }
            | Cleanup::Gone { upload_id }
            | Cleanup::ObjectWritten { upload_id } => Some(upload_id),
        }
    }
}

impl fmt::Display for Cleanup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cleanup::NothingStarted => Ok(()),
            Cleanup::Kept { upload_id } => {
                write!(
                    f,
                    "; upload {upload_id} kept, resume it with --resume {upload_id}"
                )
            }
            Cleanup::Aborted { upload_id, rounds } => {
                write!(f, "; upload {upload_id} aborted")?;
                if *rounds > 1 {
                    write!(f, " (in {rounds} rounds)")?;
                }
                f.write_str(", nothing left behind")
            }
            Cleanup::AbortFailed { upload_id, reason } => write!(
                f,
                "; ABORT OF UPLOAD {upload_id} FAILED ({reason}), parts may be left behind"
            ),
            Cleanup::Gone { upload_id } => write!(f, "; upload {upload_id} no longer exists"),
            Cleanup::ObjectWritten { upload_id } => {
                write!(f, "; upload {upload_id} was completed, the object exists")
            }
        }
    }
}

/// Why an upload failed. Every variant after `Config` says the phase or the check that failed
/// and, in its `cleanup`, what became of the multipart upload.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The configuration cannot work (nothing was sent).
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),
    /// The source file could not be opened or read.
    #[error("cannot read {path}: {source}{cleanup}", path = path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// I/O error.
        #[source]
        source: std::io::Error,
        /// What became of the upload.
        cleanup: Cleanup,
    },
    /// The source file changed while it was being uploaded.
    #[error("{path} changed during the upload ({detail}){cleanup}", path = path.display())]
    FileChanged {
        /// The file.
        path: PathBuf,
        /// What changed.
        detail: String,
        /// What became of the upload.
        cleanup: Cleanup,
    },
    /// The service rejected a request in a way retrying cannot fix (4xx such as AccessDenied,
    /// NoSuchBucket, InvalidPart).
    #[error("{phase} rejected: {error}{cleanup}")]
    Rejected {
        /// Where.
        phase: Phase,
        /// The answer.
        error: Box<AttemptError>,
        /// What became of the upload.
        cleanup: Cleanup,
    },
    /// A request failed on every attempt.
    #[error("{phase} failed after {attempts} attempts, last: {error}{cleanup}")]
    RetriesExhausted {
        /// Where.
        phase: Phase,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        error: Box<AttemptError>,
        /// What became of the upload.
        cleanup: Cleanup,
    },
    /// A result did not match what was sent (final ETag, object checksum, size).
    #[error("integrity check failed at {phase}: {detail}{cleanup}")]
    Integrity {
        /// Where.
        phase: Phase,
        /// Expected versus received.
        detail: String,
        /// What became of the upload.
        cleanup: Cleanup,
    },
    /// The upload vanished and the object is not there either.
    #[error(
        "upload {upload_id} disappeared before completion and no matching object exists: {detail}"
    )]
    UploadLost {
        /// Upload id.
        upload_id: String,
        /// What was seen.
        detail: String,
    },
    /// An upload to resume does not fit the file or cannot be listed.
    #[error("cannot resume upload {upload_id}: {reason}")]
    Resume {
        /// Upload id.
        upload_id: String,
        /// Why.
        reason: String,
    },
    /// A task of the upload ended unexpectedly (a bug).
    #[error("internal error: {detail}{cleanup}")]
    Internal {
        /// What happened.
        detail: String,
        /// What became of the upload.
        cleanup: Cleanup,
    },
    /// The checkpoint file could not be read or written.
    #[error("checkpoint {path}: {reason}", path = path.display())]
    Checkpoint {
        /// Checkpoint path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

impl UploadError {
    /// What became of the multipart upload, where that applies.
    pub fn cleanup(&self) -> Option<&Cleanup> {
        match self {
            UploadError::File { cleanup, .. }
            | UploadError::FileChanged { cleanup, .. }
            | UploadError::Rejected { cleanup, .. }
            | UploadError::RetriesExhausted { cleanup, .. }
            | UploadError::Integrity { cleanup, .. }
            | UploadError::Internal { cleanup, .. } => Some(cleanup),
            _ => None,
        }
    }

    /// The phase that failed, where one request is to blame.
    pub fn phase(&self) -> Option<Phase> {
        match self {
            UploadError::Rejected { phase, .. }
            | UploadError::RetriesExhausted { phase, .. }
            | UploadError::Integrity { phase, .. } => Some(*phase),
            _ => None,
        }
    }

    /// Whether the object may have been written despite the error (integrity failures after
    /// completion).
    pub fn object_written(&self) -> bool {
        matches!(self.cleanup(), Some(Cleanup::ObjectWritten { .. }))
    }

    /// Replaces the cleanup state (used once the engine knows what it did).
    pub(crate) fn set_cleanup(&mut self, new: Cleanup) {
        match self {
            UploadError::File { cleanup, .. }
            | UploadError::FileChanged { cleanup, .. }
            | UploadError::Rejected { cleanup, .. }
            | UploadError::RetriesExhausted { cleanup, .. }
            | UploadError::Integrity { cleanup, .. }
            | UploadError::Internal { cleanup, .. } => *cleanup = new,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uploader::failure::Cause;

    #[test]
    fn messages_say_phase_cause_and_cleanup() {
        let err = UploadError::RetriesExhausted {
            phase: Phase::UploadPart { part_number: 3 },
            attempts: 5,
            error: Box::new(AttemptError::new(
                Cause::Service {
                    status: 503,
                    code: "SlowDown".into(),
                },
                "Please reduce your request rate.",
            )),
            cleanup: Cleanup::Aborted {
                upload_id: "U1".into(),
                rounds: 1,
            },
        };
        assert_eq!(
            err.to_string(),
            "upload part 3 failed after 5 attempts, last: HTTP 503 SlowDown: Please reduce your \
             request rate.; upload U1 aborted, nothing left behind"
        );
        assert_eq!(err.phase(), Some(Phase::UploadPart { part_number: 3 }));
        assert!(!err.object_written());
    }

    #[test]
    fn kept_uploads_tell_how_to_resume() {
        let mut err = UploadError::Rejected {
            phase: Phase::Complete,
            error: Box::new(AttemptError::new(
                Cause::Service {
                    status: 400,
                    code: "InvalidPart".into(),
                },
                "",
            )),
            cleanup: Cleanup::NothingStarted,
        };
        err.set_cleanup(Cleanup::Kept {
            upload_id: "XYZ".into(),
        });
        assert!(err.to_string().ends_with("resume it with --resume XYZ"));
        assert_eq!(err.cleanup().and_then(|c| c.upload_id()), Some("XYZ"));
    }
}
