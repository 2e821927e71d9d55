//! Client profiles: how to run one client on one upload.
//!
//! ```toml
//! name = "boto3-upload-file"
//! description = "boto3 S3Transfer upload_file"
//! dialects = ["s3"]
//! command = "{python} tests/clients/drivers/boto3_upload_file.py {endpoint} {bucket} {key} {file} {part_size} {concurrency}"
//! detect = "{python} -c 'import boto3'"
//! install = "pip install -r tests/clients/requirements.txt"
//! min_part_size = "5MiB"
//! quick = ["s3-baseline", "s3-drop-after-commit"]
//! [env]
//! AWS_ACCESS_KEY_ID = "{access_key}"
//! [[override]]
//! scenarios = ["*-stall"]
//! skip = "waits out a 5 s stall with its 60 s read timeout"
//! ```
//!
//! Placeholders filled here: `{python}` (the clients' Python: `$MPU_CONFORM_PYTHON`, else
//! `.venv-clients/bin/python` when present, else `python3`), `{venv_bin}` (the directory of that
//! Python), `{repo}` (the repository root), `{mpu}` (this executable), `{target_dir}` (Cargo's
//! target directory, for example binaries). The runner fills the
//! per-upload ones: `{endpoint}` `{host}` `{bucket}` `{key}` `{file}` `{access_key}`
//! `{secret_key}` `{part_size}` `{concurrency}` `{dialect}` `{ca_bundle}`.

use crate::scenario::model::Size;
use crate::scenario::runner::fill_template;
use crate::scenario::Client;
use mock_server::dialect::Dialect;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A per-scenario adjustment of a profile.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    /// Scenario names this applies to (`*` wildcards).
    pub scenarios: Vec<String>,
    /// Do not run these scenarios; the text says why (shown as the skip reason).
    #[serde(default)]
    pub skip: Option<String>,
    /// Expectation fields to set (same names as a scenario's `[expect]`), overlaid on the
    /// conformance expectations.
    #[serde(default)]
    pub expect: toml::Table,
    /// Why the override exists (documentation).
    #[serde(default)]
    pub reason: Option<String>,
}

/// A client profile (`scenarios/clients/*.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Short unique name (a matrix column).
    pub name: String,
    /// What the client is and how it is driven.
    #[serde(default)]
    pub description: String,
    /// `reference` for the in-process reference uploader; unset for a command.
    #[serde(default)]
    pub builtin: Option<String>,
    /// Command template, run with `sh -c` (required unless `builtin`).
    #[serde(default)]
    pub command: Option<String>,
    /// Environment for the command (values are templates).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Dialects the client speaks (default: S3 only).
    #[serde(default = "default_dialects")]
    pub dialects: Vec<Dialect>,
    /// A shell command that exits 0 when the client is installed (templates allowed).
    #[serde(default)]
    pub detect: Option<String>,
    /// How to install the client (shown when it is skipped).
    #[serde(default)]
    pub install: String,
    /// Smallest part size the client can be told to use; scenarios with smaller parts are
    /// scaled up to it (see [`crate::conform::scale`]).
    #[serde(default)]
    pub min_part_size: Option<Size>,
    /// Whether the client uploads parts concurrently when asked (default true); when false
    /// the concurrency check is not applied.
    #[serde(default = "yes")]
    pub concurrent: bool,
    /// Whether the client can be given a part size (default true); when false the
    /// equal-size check still applies but its own size is used.
    #[serde(default = "yes")]
    pub honours_part_size: bool,
    /// Scenario names (wildcards) for `--quick` runs (CI); empty = all applicable.
    #[serde(default)]
    pub quick: Vec<String>,
    /// Per-scenario adjustments.
    #[serde(default, rename = "override")]
    pub overrides: Vec<Override>,
    /// Per-scenario time limit in seconds (default 180).
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Where it was read from.
    #[serde(skip)]
    pub path: PathBuf,
}

fn default_dialects() -> Vec<Dialect> {
    vec![Dialect::S3]
}
fn yes() -> bool {
    true
}
fn default_timeout() -> u64 {
    180
}

/// Errors reading profiles.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// A file or directory could not be read.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A profile is not valid.
    #[error("{path}: {message}")]
    Invalid {
        /// File.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// Facts about the machine the templates need.
#[derive(Debug, Clone)]
pub struct HostEnv {
    /// The clients' Python interpreter.
    pub python: String,
    /// Repository root.
    pub repo: PathBuf,
    /// This executable (`mpu`).
    pub mpu: String,
    /// Cargo's target directory (`$CARGO_TARGET_DIR`, else `<repo>/target`), for example
    /// binaries.
    pub target_dir: PathBuf,
}

impl HostEnv {
    /// Finds the Python (`$MPU_CONFORM_PYTHON`, `<repo>/.venv-clients/bin/python`, `python3`)
    /// and this executable.
    pub fn detect(repo: &Path) -> HostEnv {
        let repo = repo.canonicalize().unwrap_or_else(|_| repo.to_path_buf());
        let venv = repo.join(".venv-clients/bin/python");
        let python = match std::env::var("MPU_CONFORM_PYTHON") {
            Ok(p) if !p.is_empty() => p,
            _ if venv.exists() => venv.display().to_string(),
            _ => "python3".to_string(),
        };
        let mpu = std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| "mpu".into());
        let target_dir = match std::env::var("CARGO_TARGET_DIR") {
            Ok(t) if !t.is_empty() => PathBuf::from(t),
            _ => repo.join("target"),
        };
        HostEnv {
            python,
            repo,
            mpu,
            target_dir,
        }
    }

    fn vars(&self) -> Vec<(&'static str, String)> {
        let venv_bin = Path::new(&self.python)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| ".".into());
        vec![
            ("python", self.python.clone()),
            ("venv_bin", venv_bin),
            ("repo", self.repo.display().to_string()),
            ("mpu", self.mpu.clone()),
            ("target_dir", self.target_dir.display().to_string()),
        ]
    }

    /// Fills the host placeholders of a template.
    pub fn fill(&self, template: &str) -> String {
        fill_template(template, &self.vars())
    }
}

/// Environment every external client gets: no user configuration, no instance metadata, no
/// proxies for the local mock.
pub fn hermetic_env(scratch: &Path) -> Vec<(String, String)> {
    let p = |n: &str| scratch.join(n).display().to_string();
    vec![
        ("AWS_CONFIG_FILE".into(), p("no-aws-config")),
        (
            "AWS_SHARED_CREDENTIALS_FILE".into(),
            p("no-aws-credentials"),
        ),
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        ("NO_PROXY".into(), "127.0.0.1,localhost".into()),
        ("no_proxy".into(), "127.0.0.1,localhost".into()),
        ("RCLONE_CONFIG".into(), p("no-rclone.conf")),
        ("PYTHONDONTWRITEBYTECODE".into(), "1".into()),
    ]
}

/// Whether `name` matches `pattern` (`*` matches any run of characters).
pub fn wildcard(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, rest) = match parts.split_first() {
        Some(x) => x,
        None => return pattern == name,
    };
    let Some(mut left) = name.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return left.is_empty();
    };
    for m in middle {
        match left.find(m) {
            Some(i) => left = &left[i + m.len()..],
            None => return false,
        }
    }
    left.ends_with(last)
}

impl Profile {
    /// Parses a profile from TOML text.
    pub fn from_toml(text: &str, path: &Path) -> Result<Profile, ProfileError> {
        let invalid = |message: String| ProfileError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let mut p: Profile = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        match (&p.builtin, &p.command) {
            (Some(b), None) if b == "reference" => {}
            (Some(b), None) => {
                return Err(invalid(format!("unknown builtin {b:?} (known: reference)")))
            }
            (None, Some(_)) => {}
            (Some(_), Some(_)) => {
                return Err(invalid("give either builtin or command, not both".into()))
            }
            (None, None) => {
                return Err(invalid(
                    "a profile needs a command (or builtin = \"reference\")".into(),
                ))
            }
        }
        if p.dialects.is_empty() {
            return Err(invalid("dialects must list at least one dialect".into()));
        }
        p.path = path.to_path_buf();
        Ok(p)
    }

    /// Reads a profile file.
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|e| ProfileError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        Profile::from_toml(&text, path)
    }

    /// Every `*.toml` profile in a directory, sorted by file name.
    pub fn discover(dir: &Path) -> Result<Vec<Profile>, ProfileError> {
        let io = |e| ProfileError::Io {
            path: dir.to_path_buf(),
            source: e,
        };
        let mut files = Vec::new();
        for e in std::fs::read_dir(dir).map_err(io)? {
            let path = e.map_err(io)?.path();
            if path.extension().is_some_and(|x| x == "toml") {
                files.push(path);
            }
        }
        files.sort();
        files.iter().map(|f| Profile::load(f)).collect()
    }

    /// A profile for an ad-hoc command given on the command line.
    pub fn ad_hoc(command: &str, dialects: Vec<Dialect>) -> Profile {
        Profile {
            name: "custom".into(),
            description: format!("`{command}`"),
            builtin: None,
            command: Some(command.into()),
            env: BTreeMap::new(),
            dialects,
            detect: None,
            install: String::new(),
            min_part_size: None,
            concurrent: true,
            honours_part_size: true,
            quick: vec![],
            overrides: vec![],
            timeout_secs: default_timeout(),
            path: PathBuf::new(),
        }
    }

    /// Whether the client speaks the dialect.
    pub fn speaks(&self, d: Dialect) -> bool {
        self.dialects.contains(&d)
    }

    /// The overrides that apply to a scenario, in file order.
    pub fn overrides_for<'a>(&'a self, scenario: &'a str) -> impl Iterator<Item = &'a Override> {
        self.overrides
            .iter()
            .filter(move |o| o.scenarios.iter().any(|p| wildcard(p, scenario)))
    }

    /// Whether the scenario is in the profile's `quick` set.
    pub fn in_quick_set(&self, scenario: &str) -> bool {
        self.quick.is_empty() || self.quick.iter().any(|p| wildcard(p, scenario))
    }

    /// The runner client for this profile.
    pub fn client(&self, host: &HostEnv, scratch: &Path) -> Client {
        match &self.command {
            None => Client::Reference,
            Some(cmd) => {
                let mut env = hermetic_env(scratch);
                env.extend(self.env.iter().map(|(k, v)| (k.clone(), host.fill(v))));
                Client::Command {
                    name: self.name.clone(),
                    template: host.fill(cmd),
                    env,
                    dialects: self.dialects.clone(),
                    timeout: Duration::from_secs(self.timeout_secs),
                }
            }
        }
    }

    /// Whether the client is installed: runs `detect` (no `detect` means yes). On `Err`, the
    /// text says what was tried.
    pub async fn installed(&self, host: &HostEnv, scratch: &Path) -> Result<(), String> {
        let Some(detect) = &self.detect else {
            return Ok(());
        };
        let cmd = host.fill(detect);
        let mut c = tokio::process::Command::new("sh");
        c.arg("-c")
            .arg(&cmd)
            .kill_on_drop(true)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        for (k, v) in hermetic_env(scratch) {
            c.env(k, v);
        }
        match tokio::time::timeout(Duration::from_secs(60), c.status()).await {
            Ok(Ok(s)) if s.success() => Ok(()),
            Ok(Ok(s)) => Err(format!("`{cmd}` exited {}", s.code().unwrap_or(-1))),
            Ok(Err(e)) => Err(format!("`{cmd}` could not run: {e}")),
            Err(_) => Err(format!("`{cmd}` did not finish in 60 s")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_like_shell_globs() {
        assert!(wildcard("s3-*", "s3-baseline"));
        assert!(wildcard("*-stall", "obs-stall"));
        assert!(wildcard("*", "anything"));
        assert!(wildcard("s3-*-lost", "s3-complete-response-lost"));
        assert!(wildcard("exact", "exact"));
        assert!(!wildcard("exact", "exactly"));
        assert!(!wildcard("s3-*", "obs-baseline"));
        assert!(!wildcard("*-stall", "s3-stall-more"));
        assert!(!wildcard("a*b*c", "acb"));
    }

    #[test]
    fn profiles_parse_and_are_validated() {
        let text = r#"
name = "x"
command = "{python} drv.py {endpoint}"
dialects = ["s3", "obs"]
detect = "{python} -c 'import x'"
min_part_size = "5MiB"
quick = ["s3-baseline"]
[env]
A = "{access_key}"
[[override]]
scenarios = ["*-stall"]
skip = "long timeout"
[[override]]
scenarios = ["s3-bad-etag"]
expect = { retried_parts = [] }
"#;
        let p = Profile::from_toml(text, Path::new("x.toml")).unwrap();
        assert_eq!(p.min_part_size, Some(Size(5 << 20)));
        assert!(p.speaks(Dialect::Obs) && !p.speaks(Dialect::QingStor));
        assert_eq!(p.overrides_for("s3-stall").count(), 1);
        assert_eq!(p.overrides_for("s3-baseline").count(), 0);
        assert!(p.in_quick_set("s3-baseline") && !p.in_quick_set("s3-stall"));
        let host = HostEnv {
            python: "/v/bin/python".into(),
            repo: "/r".into(),
            mpu: "/m".into(),
            target_dir: "/t".into(),
        };
        match p.client(&host, Path::new("/tmp")) {
            Client::Command { template, env, .. } => {
                assert_eq!(template, "/v/bin/python drv.py {endpoint}");
                assert!(env.contains(&("A".into(), "{access_key}".into())));
            }
            Client::Reference => panic!("expected a command client"),
        }
        for bad in [
            "name='x'",
            "name='x'\nbuiltin='other'",
            "name='x'\nbuiltin='reference'\ncommand='y'",
            "name='x'\ncommand='y'\ndialects=[]",
            "name='x'\ncommand='y'\nsurprise=1",
        ] {
            assert!(
                Profile::from_toml(bad, Path::new("b.toml")).is_err(),
                "{bad}"
            );
        }
    }
}
