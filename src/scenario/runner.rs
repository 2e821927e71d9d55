//! Runs one scenario: a fresh in-process mock with the scenario's faults, a source file, the
//! client, then grading from the journal and final state.

use super::checks::{self, Evidence, Failure};
use super::model::{Expectations, Outcome, Scenario};
use crate::uploader::{self, ChecksumChoice, Credentials, Uploader, UploaderConfig};
use mock_server::checksum::Md5;
use mock_server::dialect::Dialect;
use mock_server::journal::JournalEntry;
use mock_server::MockServer;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Bucket every scenario uploads into.
pub const BUCKET: &str = "harness";
/// Credentials given to clients (the mock accepts any).
pub const ACCESS_KEY: &str = "AKIAHARNESSEXAMPLE";
/// Secret given to clients.
pub const SECRET_KEY: &str = "harness/secret/EXAMPLEKEY";

/// Which client uploads.
#[derive(Debug, Clone)]
pub enum Client {
    /// The reference uploader, in-process.
    Reference,
    /// An external command, from a template with `{endpoint}`, `{host}` (host:port),
    /// `{bucket}`, `{key}`, `{file}`,
    /// `{access_key}`, `{secret_key}`, `{part_size}`, `{concurrency}`, `{dialect}`,
    /// `{ca_bundle}`, run with `sh -c`.
    Command {
        /// Name shown in reports.
        name: String,
        /// The command template.
        template: String,
        /// Extra environment (values are templates too).
        env: Vec<(String, String)>,
        /// Dialects it speaks.
        dialects: Vec<Dialect>,
        /// Give up after this long.
        timeout: Duration,
    },
}

impl Client {
    /// The name shown in reports.
    pub fn name(&self) -> &str {
        match self {
            Client::Reference => "mpu",
            Client::Command { name, .. } => name,
        }
    }
    /// Whether the client can run a scenario of this dialect.
    pub fn speaks(&self, d: Dialect) -> bool {
        match self {
            Client::Reference => true,
            Client::Command { dialects, .. } => dialects.is_empty() || dialects.contains(&d),
        }
    }
}

/// Verdict of one scenario run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every expectation held.
    Pass,
    /// At least one did not.
    Fail,
    /// Not run (client does not speak the dialect, or is not installed).
    Skip,
}

/// The result of one scenario run.
#[derive(Debug, Clone, Serialize)]
pub struct RunResult {
    /// Scenario name.
    pub scenario: String,
    /// Scenario file.
    pub path: String,
    /// Dialect.
    pub dialect: Dialect,
    /// Client name.
    pub client: String,
    /// Verdict.
    pub verdict: Verdict,
    /// Failed checks.
    pub failures: Vec<Failure>,
    /// How the upload ended.
    pub outcome: Option<Outcome>,
    /// What the client said (error message, exit status).
    pub client_said: Option<String>,
    /// Requests in all.
    pub requests: u64,
    /// UploadPart requests.
    pub part_requests: u64,
    /// Retries by cause (the reference uploader's own report) or by operation (from the
    /// journal, for other clients).
    pub retries: BTreeMap<String, u64>,
    /// Payload bytes per second over the client's run.
    pub throughput: f64,
    /// Seconds the client ran.
    pub seconds: f64,
    /// The journal lines around each failure's evidence, for the report.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub journal_excerpt: Vec<String>,
}

impl RunResult {
    /// One line explaining a failure (or skip), empty on a pass.
    pub fn reason(&self) -> String {
        match (self.verdict, self.failures.first()) {
            (Verdict::Fail, Some(f)) => {
                let more = if self.failures.len() > 1 {
                    format!(" (+{} more)", self.failures.len() - 1)
                } else {
                    String::new()
                };
                format!("{}: {}{more}", f.check, f.reason)
            }
            _ => self.client_said.clone().unwrap_or_default(),
        }
    }

    /// A skipped result.
    pub fn skipped(s: &Scenario, client: &Client, why: &str) -> RunResult {
        RunResult {
            scenario: s.name.clone(),
            path: s.path.display().to_string(),
            dialect: s.dialect,
            client: client.name().to_string(),
            verdict: Verdict::Skip,
            failures: vec![],
            outcome: None,
            client_said: Some(why.to_string()),
            requests: 0,
            part_requests: 0,
            retries: BTreeMap::new(),
            throughput: 0.0,
            seconds: 0.0,
            journal_excerpt: vec![],
        }
    }
}

/// Errors that stop a scenario from running at all (not client failures).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The mock could not start.
    #[error("could not start the mock: {0}")]
    Server(#[from] mock_server::StartError),
    /// The source file could not be written.
    #[error("could not write the source file: {0}")]
    Io(#[from] std::io::Error),
}

/// Writes `size` deterministic pseudo-random bytes; returns their MD5.
pub fn write_source(path: &Path, size: u64, seed: u64) -> std::io::Result<[u8; 16]> {
    let mut f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut md5 = Md5::new();
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut buf = vec![0u8; 1 << 16];
    let mut left = size;
    while left > 0 {
        for chunk in buf.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let b = x.to_le_bytes();
            chunk.copy_from_slice(&b[..chunk.len()]);
        }
        let n = left.min(buf.len() as u64) as usize;
        f.write_all(&buf[..n])?;
        md5.update(&buf[..n]);
        left -= n as u64;
    }
    f.flush()?;
    Ok(md5.finalize())
}

fn object_md5(server: &MockServer, bucket: &str, key: &str) -> Option<[u8; 16]> {
    let body = server
        .service()
        .get_object(bucket, key, None, None, &Default::default(), false)
        .ok()?;
    let mut md5 = Md5::new();
    for (blob, off, len) in &body.segments {
        for chunk in blob.read(*off, *len).ok()? {
            md5.update(&chunk.ok()?);
        }
    }
    Some(md5.finalize())
}

fn uploader_dialect(d: Dialect) -> uploader::Dialect {
    match d {
        Dialect::S3 => uploader::Dialect::S3,
        Dialect::Obs => uploader::Dialect::Obs,
        Dialect::QingStor => uploader::Dialect::QingStor,
    }
}

/// Fills a client template.
pub fn fill_template(t: &str, vars: &[(&str, String)]) -> String {
    let mut out = t.to_string();
    for (k, v) in vars {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

async fn run_client(
    s: &Scenario,
    client: &Client,
    server: &MockServer,
    file: &Path,
) -> (Result<(), String>, Option<uploader::UploadReport>) {
    let key = s.key();
    match client {
        Client::Reference => {
            let mut cfg = UploaderConfig::new(
                server.endpoint(),
                uploader_dialect(s.dialect),
                Credentials::new(ACCESS_KEY, SECRET_KEY),
            );
            cfg.part_size = s.workload.part_size.map(|p| p.0);
            cfg.concurrency = s.workload.concurrency.unwrap_or(4);
            if let Some(m) = s.uploader.max_attempts {
                cfg.max_attempts = m;
            }
            if let Some(c) = &s.uploader.checksum {
                cfg.checksum = match c.to_ascii_lowercase().as_str() {
                    "crc32c" => ChecksumChoice::Crc32c,
                    "crc64nvme" => ChecksumChoice::Crc64Nvme,
                    "sha256" => ChecksumChoice::Sha256,
                    _ => ChecksumChoice::None,
                };
            }
            if let Some(m) = s.uploader.content_md5 {
                cfg.content_md5 = m;
            }
            if let Some(ms) = s.uploader.request_timeout_ms {
                cfg.timeouts.first_byte = Duration::from_millis(ms);
                cfg.timeouts.stall = Duration::from_millis(ms);
            }
            // Keep retries quick: scenarios test behaviour, not patience.
            cfg.backoff.initial = Duration::from_millis(20);
            cfg.backoff.max = Duration::from_millis(200);
            match Uploader::new(cfg) {
                Err(e) => (Err(format!("uploader configuration: {e}")), None),
                Ok(u) => match u.upload_file(file, BUCKET, &key).await {
                    Ok(report) => (Ok(()), Some(report)),
                    Err(e) => (Err(e.to_string()), None),
                },
            }
        }
        Client::Command {
            template,
            env,
            timeout,
            ..
        } => {
            let vars = [
                ("endpoint", server.endpoint().to_string()),
                (
                    "host",
                    server
                        .endpoint()
                        .split_once("://")
                        .map_or(server.endpoint().to_string(), |(_, h)| {
                            h.trim_end_matches('/').to_string()
                        }),
                ),
                ("bucket", BUCKET.to_string()),
                ("key", key.clone()),
                ("file", file.display().to_string()),
                ("access_key", ACCESS_KEY.to_string()),
                ("secret_key", SECRET_KEY.to_string()),
                (
                    "part_size",
                    s.workload
                        .part_size
                        .map(|p| p.0)
                        .unwrap_or(8 << 20)
                        .to_string(),
                ),
                (
                    "concurrency",
                    s.workload.concurrency.unwrap_or(4).to_string(),
                ),
                ("dialect", s.dialect.name().to_string()),
                (
                    "ca_bundle",
                    server
                        .ca_pem()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default(),
                ),
            ];
            let cmd = fill_template(template, &vars);
            let mut c = tokio::process::Command::new("sh");
            c.arg("-c").arg(&cmd).kill_on_drop(true);
            c.stdin(std::process::Stdio::null());
            for (k, v) in env {
                c.env(k, fill_template(v, &vars));
            }
            match tokio::time::timeout(*timeout, c.output()).await {
                Err(_) => (Err(format!("did not finish within {:?}", timeout)), None),
                Ok(Err(e)) => (Err(format!("could not run `{cmd}`: {e}")), None),
                Ok(Ok(out)) if out.status.success() => (Ok(()), None),
                Ok(Ok(out)) => {
                    let err = String::from_utf8_lossy(&out.stderr);
                    let last = err
                        .lines()
                        .rev()
                        .find(|l| !l.trim().is_empty())
                        .unwrap_or("");
                    (
                        Err(format!(
                            "exit {}: {}",
                            out.status.code().unwrap_or(-1),
                            last.trim()
                        )),
                        None,
                    )
                }
            }
        }
    }
}

fn excerpt(journal: &[JournalEntry], failures: &[Failure]) -> Vec<String> {
    let mut seqs: Vec<u64> = failures
        .iter()
        .flat_map(|f| f.evidence.iter().copied())
        .collect();
    seqs.sort();
    seqs.dedup();
    let pick: Vec<&JournalEntry> = if seqs.is_empty() {
        journal.iter().rev().take(8).rev().collect()
    } else {
        journal
            .iter()
            .filter(|e| seqs.contains(&e.seq))
            .take(12)
            .collect()
    };
    pick.iter()
        .map(|e| {
            format!(
                "#{:<4} {:<24} part={:<5} attempt={} -> {}{}{}",
                e.seq,
                e.op.map_or("?", |o| o.name()),
                e.part_number.map_or("-".into(), |p| p.to_string()),
                e.attempt,
                e.status.map_or("dropped".into(), |s| s.to_string()),
                e.error_code
                    .as_ref()
                    .map_or(String::new(), |c| format!(" {c}")),
                if e.faults.is_empty() {
                    String::new()
                } else {
                    format!("  [fault: {}]", e.faults.join(", "))
                }
            )
        })
        .collect()
}

/// Runs one scenario with one client, graded by the scenario's own expectations.
pub async fn run(s: &Scenario, client: &Client, work: &Path) -> Result<RunResult, RunError> {
    run_graded(s, client, &s.expect, work).await
}

/// Runs one scenario with one client, graded by `expect` instead of the scenario's own
/// expectations (conformance grading: the scenario's faults, a client-appropriate
/// expectation set).
pub async fn run_graded(
    s: &Scenario,
    client: &Client,
    expect: &Expectations,
    work: &Path,
) -> Result<RunResult, RunError> {
    if !client.speaks(s.dialect) {
        return Ok(RunResult::skipped(
            s,
            client,
            &format!("{} does not speak {}", client.name(), s.dialect),
        ));
    }
    // The scenario names its dialect; pin it, since some clients' wire form (OBS in its
    // S3-compatible mode) is indistinguishable from another dialect's.
    let mut b = MockServer::builder().bucket(BUCKET).dialect(s.dialect);
    if s.server.store.as_deref() == Some("memory") {
        b = b.memory();
    }
    if let Some(m) = s.server.min_part_size {
        b = b.min_part_size(m.0);
    }
    for f in &s.faults {
        b = b.fault(f.clone());
    }
    let server = b.start().await?;
    let dir = tempfile::Builder::new()
        .prefix("scenario-")
        .tempdir_in(work)?;
    let file: PathBuf = dir.path().join("source.bin");
    let source_md5 = write_source(&file, s.workload.size.0, s.workload.seed.unwrap_or(1))?;
    let started = Instant::now();
    let (said, report) = run_client(s, client, &server, &file).await;
    let seconds = started.elapsed().as_secs_f64();
    // Let in-flight requests the client abandoned finish before reading the state.
    settle(&server).await;
    let journal = server.journal();
    let state = server.state();
    let rules = server.faults();
    let key = s.key();
    let object_matches = object_md5(&server, BUCKET, &key).map(|m| m == source_md5);
    let ev = Evidence {
        journal: &journal,
        state: &state,
        rules: &rules,
        bucket: BUCKET,
        key: &key,
        object_matches,
        client_ok: Some(said.is_ok()),
    };
    let failures = checks::grade(expect, &ev);
    let outcome = Some(checks::observed_outcome(&ev));
    let retries = match &report {
        Some(r) => r.retries_by_cause.clone(),
        None => checks::retries_by_op(&journal),
    };
    server.clear_faults();
    Ok(RunResult {
        scenario: s.name.clone(),
        path: s.path.display().to_string(),
        dialect: s.dialect,
        client: client.name().to_string(),
        verdict: if failures.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Fail
        },
        journal_excerpt: if failures.is_empty() {
            vec![]
        } else {
            excerpt(&journal, &failures)
        },
        failures,
        outcome,
        client_said: said.err(),
        requests: journal.len() as u64,
        part_requests: journal
            .iter()
            .filter(|e| e.op == Some(mock_server::ops::OpKind::UploadPart))
            .count() as u64,
        retries,
        throughput: if seconds > 0.0 {
            s.workload.size.0 as f64 / seconds
        } else {
            0.0
        },
        seconds,
    })
}

/// Waits (bounded) until requests the client abandoned have finished on the server, so the
/// journal and state are final.
async fn settle(server: &MockServer) {
    for _ in 0..3 {
        server.idle(Duration::from_secs(30)).await;
        tokio::time::sleep(Duration::from_millis(30)).await;
        if server.in_flight() == 0 {
            return;
        }
    }
}
