//! The checkpoint file: enough to resume an interrupted upload (upload id, part size, and what
//! identifies the file and the target), written atomically (temp file in the same directory,
//! fsync, rename). Which parts are done is not stored: on resume the service's part list is the
//! truth and every listed part is re-verified against the file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::config::Dialect;
use super::reader::FileIdentity;

/// Format version written by this code.
pub const CHECKPOINT_VERSION: u32 = 1;

/// Largest checkpoint file read (a checkpoint is a few hundred bytes).
const MAX_CHECKPOINT_BYTES: u64 = 64 * 1024;

/// The content of a checkpoint file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Format version.
    pub version: u32,
    /// Endpoint the upload was started against.
    pub endpoint: String,
    /// Dialect.
    pub dialect: Dialect,
    /// Bucket.
    pub bucket: String,
    /// Key.
    pub key: String,
    /// Upload id.
    pub upload_id: String,
    /// Part size used.
    pub part_size: u64,
    /// Source file size.
    pub file_size: u64,
    /// Source file modification time, nanoseconds since the Unix epoch.
    pub file_modified_ns: Option<u128>,
}

/// Why a checkpoint could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// Reading or writing failed.
    #[error("{op} {path}: {source}", path = path.display())]
    Io {
        /// `read` or `write`.
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// Not a checkpoint this code understands.
    #[error("{path} is not a valid checkpoint: {reason}", path = path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// Nanoseconds since the epoch of a modification time.
pub fn mtime_ns(modified: Option<SystemTime>) -> Option<u128> {
    modified
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
}

impl Checkpoint {
    /// Whether this checkpoint belongs to the same endpoint, dialect, target and unchanged file.
    /// Returns the first difference.
    pub fn mismatch(
        &self,
        endpoint: &str,
        dialect: Dialect,
        bucket: &str,
        key: &str,
        file: &FileIdentity,
    ) -> Option<String> {
        if self.endpoint != endpoint {
            return Some(format!("endpoint was {}, now {endpoint}", self.endpoint));
        }
        if self.dialect != dialect {
            return Some(format!("dialect was {}, now {dialect}", self.dialect));
        }
        if self.bucket != bucket || self.key != key {
            return Some(format!(
                "target was {}/{}, now {bucket}/{key}",
                self.bucket, self.key
            ));
        }
        if self.file_size != file.size {
            return Some(format!(
                "file size was {} B, now {} B",
                self.file_size, file.size
            ));
        }
        if self.file_modified_ns != mtime_ns(file.modified) {
            return Some("file modification time changed".to_string());
        }
        None
    }

    /// Reads a checkpoint; `Ok(None)` if the file does not exist.
    pub fn load(path: &Path) -> Result<Option<Checkpoint>, CheckpointError> {
        let io = |source| CheckpointError::Io {
            op: "read",
            path: path.to_path_buf(),
            source,
        };
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(e)),
        };
        if meta.len() > MAX_CHECKPOINT_BYTES {
            return Err(CheckpointError::Invalid {
                path: path.to_path_buf(),
                reason: format!(
                    "{} B is too large for a checkpoint (max {MAX_CHECKPOINT_BYTES} B)",
                    meta.len()
                ),
            });
        }
        let text = std::fs::read(path).map_err(io)?;
        let cp: Checkpoint =
            serde_json::from_slice(&text).map_err(|e| CheckpointError::Invalid {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        if cp.version != CHECKPOINT_VERSION {
            return Err(CheckpointError::Invalid {
                path: path.to_path_buf(),
                reason: format!(
                    "version {} (this program writes version {CHECKPOINT_VERSION})",
                    cp.version
                ),
            });
        }
        Ok(Some(cp))
    }

    /// Writes the checkpoint atomically: a reader sees the old file or the new one, never a
    /// partial one, and the new one survives a crash once this returns.
    pub fn save(&self, path: &Path) -> Result<(), CheckpointError> {
        let io = |source| CheckpointError::Io {
            op: "write",
            path: path.to_path_buf(),
            source,
        };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let json = serde_json::to_vec_pretty(self).map_err(|e| io(std::io::Error::other(e)))?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".mpu-checkpoint-")
            .tempfile_in(&dir)
            .map_err(io)?;
        tmp.write_all(&json).map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        tmp.persist(path).map_err(|e| io(e.error))?;
        // Make the rename durable; not every filesystem allows syncing a directory.
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Removes a checkpoint file; a missing file is fine.
    pub fn remove(path: &Path) -> Result<(), CheckpointError> {
        match std::fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(CheckpointError::Io {
                op: "remove",
                path: path.to_path_buf(),
                source,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Checkpoint {
        Checkpoint {
            version: CHECKPOINT_VERSION,
            endpoint: "http://127.0.0.1:9000".into(),
            dialect: Dialect::S3,
            bucket: "b".into(),
            key: "k/obj.bin".into(),
            upload_id: "UP1".into(),
            part_size: 5 << 20,
            file_size: 12345,
            file_modified_ns: Some(1_700_000_000_000_000_000),
        }
    }

    fn identity(size: u64, ns: u64) -> FileIdentity {
        FileIdentity {
            size,
            modified: Some(UNIX_EPOCH + std::time::Duration::from_nanos(ns)),
            dev: 1,
            ino: 2,
        }
    }

    #[test]
    fn save_then_load_round_trips_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp.json");
        assert!(Checkpoint::load(&path).unwrap().is_none());
        sample().save(&path).unwrap();
        let mut second = sample();
        second.upload_id = "UP2".into();
        second.save(&path).unwrap();
        assert_eq!(Checkpoint::load(&path).unwrap(), Some(second));
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("cp.json")]);
        Checkpoint::remove(&path).unwrap();
        Checkpoint::remove(&path).unwrap();
        assert!(!path.exists());
    }

    #[test]
    fn garbage_and_foreign_versions_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp.json");
        std::fs::write(&path, b"{not json").unwrap();
        assert!(matches!(
            Checkpoint::load(&path),
            Err(CheckpointError::Invalid { .. })
        ));
        let mut cp = sample();
        cp.version = 99;
        std::fs::write(&path, serde_json::to_vec(&cp).unwrap()).unwrap();
        let err = Checkpoint::load(&path).unwrap_err().to_string();
        assert!(err.contains("version 99"), "{err}");
    }

    #[test]
    fn mismatches_are_explained() {
        let cp = sample();
        let same = identity(12345, 1_700_000_000_000_000_000);
        assert_eq!(
            cp.mismatch(
                "http://127.0.0.1:9000",
                Dialect::S3,
                "b",
                "k/obj.bin",
                &same
            ),
            None
        );
        assert!(cp
            .mismatch("http://127.0.0.1:9000", Dialect::S3, "b", "other", &same)
            .unwrap()
            .contains("target"));
        assert!(cp
            .mismatch(
                "http://127.0.0.1:9000",
                Dialect::S3,
                "b",
                "k/obj.bin",
                &identity(1, 1_700_000_000_000_000_000)
            )
            .unwrap()
            .contains("size"));
        assert!(cp
            .mismatch(
                "http://127.0.0.1:9000",
                Dialect::QingStor,
                "b",
                "k/obj.bin",
                &same
            )
            .unwrap()
            .contains("dialect"));
        assert!(cp
            .mismatch(
                "http://127.0.0.1:9000",
                Dialect::S3,
                "b",
                "k/obj.bin",
                &identity(12345, 5)
            )
            .unwrap()
            .contains("modification"));
    }
}
