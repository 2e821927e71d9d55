//! The part size x concurrency matrix: one upload per cell, measured.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use mock_server::faults::Fault;
use mock_server::ops::OpKind;
use mock_server::MockServer;
use serde::{Deserialize, Serialize};

use super::lean::LeanClient;
use super::rss::Process;
use super::BenchError;
use crate::uploader::{Credentials, Dialect, Uploader, UploaderConfig};

/// Which store the embedded mock keeps data in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Store {
    /// Memory.
    Memory,
    /// A temporary directory.
    Disk,
}

/// What the matrix runs against.
#[derive(Clone, Debug)]
pub enum Target {
    /// The mock, started in this process on 127.0.0.1 port 0.
    Embedded {
        /// Store backend.
        store: Store,
        /// Latency injected into every request with the mock's latency fault.
        latency: Option<Duration>,
    },
    /// Any S3 endpoint.
    Endpoint {
        /// `http://host:port`.
        url: String,
        /// Keys to sign with.
        credentials: Credentials,
        /// A local server process whose peak memory to report.
        server_pid: Option<u32>,
        /// Name shown in reports (`moto`, or the URL).
        name: String,
    },
}

impl Target {
    /// The embedded mock with the disk store and no latency.
    pub fn embedded_disk() -> Target {
        Target::Embedded {
            store: Store::Disk,
            latency: None,
        }
    }

    /// A short description for reports.
    pub fn describe(&self) -> String {
        match self {
            Target::Embedded { store, latency } => {
                let store = match store {
                    Store::Memory => "memory",
                    Store::Disk => "disk",
                };
                match latency {
                    Some(l) => format!("embedded mock ({store} store, +{} ms)", l.as_millis()),
                    None => format!("embedded mock ({store} store)"),
                }
            }
            Target::Endpoint { name, .. } => name.clone(),
        }
    }
}

/// Which client uploads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientKind {
    /// The reference uploader reading the test file (with or without Content-MD5).
    Uploader {
        /// Send Content-MD5 with every part.
        content_md5: bool,
    },
    /// The lean client: pre-built bodies, no hashing (embedded or unsigned endpoints only).
    Lean,
}

impl ClientKind {
    /// Name for reports.
    pub fn name(self) -> &'static str {
        match self {
            ClientKind::Uploader { content_md5: true } => "uploader",
            ClientKind::Uploader { content_md5: false } => "uploader (no Content-MD5)",
            ClientKind::Lean => "lean",
        }
    }
}

/// What to run.
#[derive(Clone, Debug)]
pub struct MatrixConfig {
    /// Part sizes (columns).
    pub part_sizes: Vec<u64>,
    /// Concurrency levels (rows).
    pub concurrency: Vec<usize>,
    /// Object size per cell.
    pub size: u64,
    /// Client.
    pub client: ClientKind,
    /// Bucket (created if missing).
    pub bucket: String,
    /// Uploader memory budget; `None` gives every cell what `mpu upload` uses by default
    /// ([`UploaderConfig::DEFAULT_MEMORY_BUDGET`], so parts are read ahead as there), or
    /// `part size x concurrency` where that is more, so every cell reaches its concurrency.
    pub memory_budget: Option<u64>,
    /// Where the test file goes (default: a temporary directory).
    pub work_dir: Option<PathBuf>,
}

impl Default for MatrixConfig {
    fn default() -> Self {
        MatrixConfig {
            part_sizes: vec![5 << 20, 8 << 20, 16 << 20, 64 << 20],
            concurrency: vec![1, 4, 8, 16],
            size: 1 << 30,
            client: ClientKind::Uploader { content_md5: true },
            bucket: "bench".into(),
            memory_budget: None,
            work_dir: None,
        }
    }
}

/// One measured cell.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// Part size in bytes.
    pub part_size: u64,
    /// Parts in flight at most.
    pub concurrency: usize,
    /// Object bytes uploaded.
    pub bytes: u64,
    /// Create to complete, seconds.
    pub secs: f64,
    /// Object megabytes (10^6 bytes) per second.
    pub mb_per_s: f64,
    /// CPU seconds (user + system) the measured process(es) used during the cell: on a shared
    /// machine `bytes / cpu_secs` is steadier than wall-clock throughput.
    pub cpu_secs: Option<f64>,
    /// Requests made.
    pub requests: u64,
    /// Requests per second.
    pub requests_per_s: f64,
    /// Median UploadPart latency in ms as the server saw it (embedded mock only).
    pub part_p50_ms: Option<f64>,
    /// 99th percentile UploadPart latency in ms (embedded mock only).
    pub part_p99_ms: Option<f64>,
    /// Peak resident memory of the measured process(es) during the cell: this process when
    /// the mock is embedded (client and server), else the `server_pid` process.
    pub peak_rss_bytes: Option<u64>,
    /// Most part bytes the uploader held at once (uploader only).
    pub client_peak_memory_bytes: Option<u64>,
    /// Why the cell failed, if it did (its numbers are then zero).
    pub error: Option<String>,
}

/// The machine the numbers were measured on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// CPU model (`/proc/cpuinfo`).
    pub cpu: String,
    /// Logical CPUs available.
    pub cpus: usize,
}

impl Machine {
    /// This machine.
    pub fn detect() -> Machine {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|t| {
                t.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".into());
        let cpus = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        Machine { cpu, cpus }
    }
}

/// The results of a matrix run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MatrixResult {
    /// What was measured (`embedded mock (disk store)`, `moto`, ...).
    pub target: String,
    /// Client name.
    pub client: String,
    /// Object size per cell.
    pub size: u64,
    /// Machine.
    pub machine: Machine,
    /// Cells, row-major: for each concurrency, every part size.
    pub cells: Vec<Cell>,
}

impl MatrixResult {
    /// The cell with the highest throughput (failed cells never win).
    pub fn best(&self) -> Option<&Cell> {
        self.cells
            .iter()
            .filter(|c| c.error.is_none())
            .max_by(|a, b| a.mb_per_s.total_cmp(&b.mb_per_s))
    }
}

/// `q`-quantile (0..=1) of unsorted samples, nearest-rank; `None` when empty.
pub fn quantile(samples: &[f64], q: f64) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    let mut v = samples.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = (q.clamp(0.0, 1.0) * v.len() as f64).ceil() as usize;
    v.get(rank.saturating_sub(1).min(v.len() - 1)).copied()
}

/// Credentials the embedded mock accepts (it checks none) and the uploader signs with.
pub fn bench_credentials() -> Credentials {
    Credentials::new(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    )
}

/// Starts the embedded mock for a target (`None` for an endpoint).
pub async fn start_embedded(target: &Target) -> Result<Option<MockServer>, BenchError> {
    let Target::Embedded { store, latency } = target else {
        return Ok(None);
    };
    let mut builder = MockServer::builder().min_part_size(1);
    if *store == Store::Memory {
        builder = builder.memory();
    }
    if let Some(l) = latency {
        builder = builder.fault(Fault::latency(*l));
    }
    Ok(Some(builder.start().await?))
}

/// Runs every cell of the matrix against the target, one after the other.
///
/// A cell that fails is recorded with its error and the run goes on; setting up (the test
/// file, the server, the bucket) failing is an error.
pub async fn run_matrix(
    config: &MatrixConfig,
    target: &Target,
) -> Result<MatrixResult, BenchError> {
    run_matrix_with(config, target, |_| {}).await
}

/// Like [`run_matrix`], calling `on_cell` after every cell (for progress output).
pub async fn run_matrix_with(
    config: &MatrixConfig,
    target: &Target,
    mut on_cell: impl FnMut(&Cell),
) -> Result<MatrixResult, BenchError> {
    if config.part_sizes.is_empty() || config.concurrency.is_empty() || config.size == 0 {
        return Err(BenchError::Invalid(
            "the matrix needs at least one part size, one concurrency and a size above 0".into(),
        ));
    }
    if config.part_sizes.contains(&0) || config.concurrency.contains(&0) {
        return Err(BenchError::Invalid(
            "part sizes and concurrency levels must be above 0".into(),
        ));
    }
    let server = start_embedded(target).await?;
    let (endpoint, credentials, process) = match (target, &server) {
        (
            Target::Endpoint {
                url,
                credentials,
                server_pid,
                ..
            },
            _,
        ) => (
            url.clone(),
            credentials.clone(),
            server_pid.map(Process::Pid),
        ),
        (_, Some(s)) => (
            s.endpoint().to_string(),
            bench_credentials(),
            Some(Process::Own),
        ),
        (Target::Embedded { .. }, None) => {
            return Err(BenchError::Invalid("embedded mock did not start".into()))
        }
    };
    let lean = LeanClient::new(&endpoint)?;
    match &server {
        Some(s) => s
            .create_bucket(&config.bucket)
            .map_err(|e| BenchError::Request {
                what: "CreateBucket".into(),
                expected: "the bucket".into(),
                got: e.to_string(),
            })?,
        None => lean.create_bucket(&config.bucket).await?,
    }
    let temp = tempfile::Builder::new()
        .prefix("mpu-bench-")
        .tempdir_in(config.work_dir.clone().unwrap_or_else(std::env::temp_dir))
        .map_err(|e| BenchError::Io {
            path: "temporary directory".into(),
            source: e,
        })?;
    let file = temp.path().join("object.bin");
    if matches!(config.client, ClientKind::Uploader { .. }) {
        super::data::write_test_file(&file, config.size)?;
    }
    let key = "bench/object.bin";
    let mut cells = Vec::new();
    for &concurrency in &config.concurrency {
        for &part_size in &config.part_sizes {
            if let Some(p) = process {
                p.reset_peak();
            }
            let cpu_before = process.and_then(Process::cpu_secs);
            let started = Instant::now();
            let outcome = match config.client {
                ClientKind::Lean => lean
                    .upload_object(&config.bucket, key, config.size, part_size, concurrency)
                    .await
                    .map(|_| (config.size.div_ceil(part_size) + 2, None, None)),
                ClientKind::Uploader { content_md5 } => {
                    let budget = config
                        .memory_budget
                        .unwrap_or_else(|| default_budget(part_size, concurrency));
                    let cfg = UploaderConfig {
                        part_size: Some(part_size),
                        concurrency,
                        memory_budget: budget,
                        content_md5,
                        ..UploaderConfig::new(endpoint.clone(), Dialect::S3, credentials.clone())
                    };
                    match Uploader::new(cfg) {
                        Err(e) => Err(BenchError::Config(e.to_string())),
                        Ok(u) => u
                            .upload_file(&file, &config.bucket, key)
                            .await
                            .map(|r| {
                                (
                                    r.total_attempts(),
                                    Some(r.upload_id.clone()),
                                    Some(r.peak_memory_bytes),
                                )
                            })
                            .map_err(|e| BenchError::Request {
                                what: "upload".into(),
                                expected: "a completed upload".into(),
                                got: e.to_string(),
                            }),
                    }
                }
            };
            let secs = started.elapsed().as_secs_f64();
            let peak_rss_bytes = process.and_then(Process::peak_bytes);
            let cpu_secs = match (cpu_before, process.and_then(Process::cpu_secs)) {
                (Some(a), Some(b)) => Some((b - a).max(0.0)),
                _ => None,
            };
            let cell = match outcome {
                Ok((requests, upload_id, client_peak)) => {
                    let lat = part_latencies(server.as_ref(), upload_id.as_deref());
                    Cell {
                        part_size,
                        concurrency,
                        bytes: config.size,
                        secs,
                        mb_per_s: config.size as f64 / secs / 1e6,
                        cpu_secs,
                        requests,
                        requests_per_s: requests as f64 / secs,
                        part_p50_ms: quantile(&lat, 0.5),
                        part_p99_ms: quantile(&lat, 0.99),
                        peak_rss_bytes,
                        client_peak_memory_bytes: client_peak,
                        error: None,
                    }
                }
                Err(e) => Cell {
                    part_size,
                    concurrency,
                    bytes: 0,
                    secs,
                    mb_per_s: 0.0,
                    cpu_secs,
                    requests: 0,
                    requests_per_s: 0.0,
                    part_p50_ms: None,
                    part_p99_ms: None,
                    peak_rss_bytes,
                    client_peak_memory_bytes: None,
                    error: Some(e.to_string()),
                },
            };
            on_cell(&cell);
            cells.push(cell);
        }
    }
    Ok(MatrixResult {
        target: target.describe(),
        client: config.client.name().to_string(),
        size: config.size,
        machine: Machine::detect(),
        cells,
    })
}

/// Server-side UploadPart durations (ms) of one upload, from the embedded mock's journal; the
/// lean client's uploads are found as the most recent upload's parts when no id is known.
/// The uploader's budget for a cell without `--memory`: its default, raised to hold
/// `concurrency` parts.
fn default_budget(part_size: u64, concurrency: usize) -> u64 {
    part_size
        .saturating_mul(concurrency as u64)
        .max(UploaderConfig::DEFAULT_MEMORY_BUDGET)
}

fn part_latencies(server: Option<&MockServer>, upload_id: Option<&str>) -> Vec<f64> {
    let Some(server) = server else {
        return Vec::new();
    };
    let journal = server.journal();
    let id = match upload_id {
        Some(id) => Some(id.to_string()),
        None => journal
            .iter()
            .rev()
            .find(|e| e.op == Some(OpKind::UploadPart))
            .and_then(|e| e.upload_id.clone()),
    };
    journal
        .iter()
        .filter(|e| e.op == Some(OpKind::UploadPart) && e.upload_id == id && id.is_some())
        .map(|e| e.duration_ms)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_use_nearest_rank() {
        let v: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), Some(50.0));
        assert_eq!(quantile(&v, 0.99), Some(99.0));
        assert_eq!(quantile(&v, 1.0), Some(100.0));
        assert_eq!(quantile(&[7.0], 0.99), Some(7.0));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn cells_get_the_upload_default_budget_or_room_for_their_concurrency() {
        let default = UploaderConfig::DEFAULT_MEMORY_BUDGET;
        assert_eq!(
            default_budget(8 << 20, 8),
            default,
            "room to read ahead, as mpu upload"
        );
        assert_eq!(
            default_budget(64 << 20, 16),
            1 << 30,
            "16 parts of 64 MiB in flight"
        );
        assert_eq!(default_budget(u64::MAX, 2), u64::MAX);
    }

    #[tokio::test]
    async fn tiny_matrix_runs_with_both_clients() {
        for client in [ClientKind::Uploader { content_md5: true }, ClientKind::Lean] {
            let config = MatrixConfig {
                part_sizes: vec![64 << 10, 256 << 10],
                concurrency: vec![1, 3],
                size: 1 << 20,
                client,
                ..MatrixConfig::default()
            };
            let target = Target::Embedded {
                store: Store::Memory,
                latency: None,
            };
            let result = run_matrix(&config, &target).await.unwrap();
            assert_eq!(result.cells.len(), 4);
            for c in &result.cells {
                assert_eq!(c.error, None);
                assert_eq!(c.bytes, 1 << 20);
                assert!(c.mb_per_s > 0.0);
                let parts = (1u64 << 20).div_ceil(c.part_size);
                assert!(c.requests >= parts + 2, "{c:?}");
                assert!(c.part_p50_ms.is_some() && c.part_p99_ms >= c.part_p50_ms);
            }
            assert_eq!(result.cells[0].concurrency, 1);
            assert_eq!(result.cells[1].part_size, 256 << 10);
            assert!(result.best().is_some());
        }
    }
}
