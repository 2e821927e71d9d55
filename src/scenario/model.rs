//! Scenario files (`scenarios/*.toml`): a workload, fault rules and expectations.
//!
//! ```toml
//! name = "s3-drop-after-commit"
//! description = "Part 3 is stored but its answer is lost; the client must retry it."
//! dialect = "s3"
//!
//! [workload]
//! size = "24MiB"
//! part_size = "5MiB"
//! concurrency = 4
//!
//! [[fault]]                      # same schema as POST /_mock/faults
//! match = { op = "UploadPart", part = 3 }
//! action = { type = "drop_after_commit" }
//! schedule = { times = 1 }
//!
//! [expect]
//! outcome = "completed"
//! retried_parts = [3]
//! ```

use crate::cli::size::parse_size;
use mock_server::dialect::Dialect;
use mock_server::faults::Fault;
use serde::{Deserialize, Deserializer, Serialize};
use std::path::{Path, PathBuf};

/// A size written as a number of bytes or with a unit (`"5MiB"`, `"1GB"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Size(pub u64);

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(u64),
            S(String),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) => Ok(Size(n)),
            Raw::S(s) => parse_size(&s).map(Size).map_err(serde::de::Error::custom),
        }
    }
}

/// How the upload ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The object exists.
    Completed,
    /// The client gave up; no object.
    Aborted,
}

/// The upload to run.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    /// Object size.
    pub size: Size,
    /// Part size (default: the client's choice).
    #[serde(default)]
    pub part_size: Option<Size>,
    /// Parts in flight (default 4).
    #[serde(default)]
    pub concurrency: Option<usize>,
    /// Object key (default `scenario/<name>.bin`).
    #[serde(default)]
    pub key: Option<String>,
    /// Seed of the source file's bytes (default 1).
    #[serde(default)]
    pub seed: Option<u64>,
}

/// Settings of the reference uploader for this scenario.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UploaderSettings {
    /// Attempts per request.
    #[serde(default)]
    pub max_attempts: Option<u32>,
    /// `none`, `crc32c`, `crc64nvme`, `sha256`.
    #[serde(default)]
    pub checksum: Option<String>,
    /// Send Content-MD5.
    #[serde(default)]
    pub content_md5: Option<bool>,
    /// Per-request timeout in milliseconds (stalls end after it).
    #[serde(default)]
    pub request_timeout_ms: Option<u64>,
}

/// Settings of the mock for this scenario.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Minimum part size (default: the dialect's own).
    #[serde(default)]
    pub min_part_size: Option<Size>,
    /// `memory` or `disk` (default `disk`, in a temp dir).
    #[serde(default)]
    pub store: Option<String>,
}

/// What must hold after the client ran. Unset fields are not checked, except the three
/// cleanliness checks, which default to on.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    /// Completed or aborted.
    #[serde(default)]
    pub outcome: Option<Outcome>,
    /// The stored object equals the source file byte for byte (default: when completed).
    #[serde(default)]
    pub object_equals_source: Option<bool>,
    /// No upload is left open (default true).
    #[serde(default)]
    pub no_open_uploads: Option<bool>,
    /// Every blob held is referenced (default true).
    #[serde(default)]
    pub no_orphan_blobs: Option<bool>,
    /// Every fault rule fired at least once (default true): a scenario whose fault never
    /// fired proves nothing.
    #[serde(default)]
    pub faults_fired: Option<bool>,
    /// At most this many requests in all.
    #[serde(default)]
    pub max_requests: Option<u64>,
    /// At most this many UploadPart requests.
    #[serde(default)]
    pub max_part_requests: Option<u64>,
    /// These part numbers were sent more than once.
    #[serde(default)]
    pub retried_parts: Vec<u32>,
    /// AbortMultipartUpload was called (or, with false, never).
    #[serde(default)]
    pub called_abort: Option<bool>,
    /// No complete listed an ETag that only a `bad_etag` fault ever answered.
    #[serde(default)]
    pub never_completed_with_bad_etag: Option<bool>,
    /// No part was uploaded after the upload was completed.
    #[serde(default)]
    pub no_part_after_complete: Option<bool>,
    /// Parts were completed in ascending order (no InvalidPartOrder answer).
    #[serde(default)]
    pub parts_in_order: Option<bool>,
    /// Parts that had succeeded were not uploaded again (except ones a fault hit).
    #[serde(default)]
    pub no_needless_reuploads: Option<bool>,
    /// At least this many UploadParts were in flight at once.
    #[serde(default)]
    pub min_concurrency: Option<usize>,
    /// Every part carried Content-MD5 or a flexible checksum.
    #[serde(default)]
    pub integrity_headers: Option<bool>,
}

/// A scenario file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short unique name.
    pub name: String,
    /// What it shows.
    #[serde(default)]
    pub description: String,
    /// Dialect the client speaks.
    #[serde(default = "default_dialect")]
    pub dialect: Dialect,
    /// The upload.
    pub workload: Workload,
    /// Reference uploader settings.
    #[serde(default)]
    pub uploader: UploaderSettings,
    /// Mock settings.
    #[serde(default)]
    pub server: ServerSettings,
    /// Fault rules, as for `POST /_mock/faults`.
    #[serde(default, rename = "fault")]
    pub faults: Vec<Fault>,
    /// Expectations.
    #[serde(default)]
    pub expect: Expectations,
    /// Where it was read from.
    #[serde(skip)]
    pub path: PathBuf,
}

fn default_dialect() -> Dialect {
    Dialect::S3
}

/// Errors reading scenarios.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a valid scenario.
    #[error("{path}: {message}")]
    Invalid {
        /// File.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl Scenario {
    /// Parses a scenario from TOML text.
    pub fn from_toml(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
        let invalid = |message: String| ScenarioError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let mut s: Scenario = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        for (i, f) in s.faults.iter().enumerate() {
            f.validate()
                .map_err(|e| invalid(format!("fault {}: {e}", i + 1)))?;
        }
        if s.workload.concurrency == Some(0) {
            return Err(invalid("workload.concurrency must be at least 1".into()));
        }
        s.path = path.to_path_buf();
        Ok(s)
    }

    /// Reads a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        Scenario::from_toml(&text, path)
    }

    /// The object key.
    pub fn key(&self) -> String {
        self.workload
            .key
            .clone()
            .unwrap_or_else(|| format!("scenario/{}.bin", self.name))
    }
}

/// Every `*.toml` scenario under the given files and directories (not descending into
/// `clients/`, which holds client profiles), sorted by path.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<Scenario>, ScenarioError> {
    let mut files = Vec::new();
    for p in paths {
        collect(p, &mut files).map_err(|e| ScenarioError::Io {
            path: p.clone(),
            source: e,
        })?;
    }
    files.sort();
    files.dedup();
    files.iter().map(|f| Scenario::load(f)).collect()
}

fn collect(p: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if p.is_dir() {
        for e in std::fs::read_dir(p)? {
            let path = e?.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "clients") {
                    collect(&path, out)?;
                }
            } else if path.extension().is_some_and(|x| x == "toml") {
                out.push(path);
            }
        }
        Ok(())
    } else if p.exists() {
        out.push(p.to_path_buf());
        Ok(())
    } else {
        Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no such file or directory",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_example() {
        let text = r#"
name = "s3-drop-after-commit"
dialect = "qingstor"
[workload]
size = "24MiB"
part_size = 5242880
concurrency = 4
[[fault]]
match = { op = "UploadPart", part = 3 }
action = { type = "drop_after_commit" }
schedule = { times = 1 }
[expect]
outcome = "completed"
retried_parts = [3]
"#;
        let s = Scenario::from_toml(text, Path::new("x.toml")).unwrap();
        assert_eq!(s.workload.size, Size(24 << 20));
        assert_eq!(s.workload.part_size, Some(Size(5 << 20)));
        assert_eq!(s.dialect, Dialect::QingStor);
        assert_eq!(s.faults.len(), 1);
        assert_eq!(s.expect.outcome, Some(Outcome::Completed));
        let bad = Scenario::from_toml(
            "name='x'\n[workload]\nsize='1MiB'\nsurprise=1",
            Path::new("y.toml"),
        );
        assert!(bad.unwrap_err().to_string().contains("surprise"));
    }
}
