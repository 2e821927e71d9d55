//! `mpu bench`: the part size x concurrency matrix against the embedded mock or any endpoint;
//! prints a table with the best cell marked and writes `bench.csv`, `bench.json` and
//! `heatmap.svg` (plus `heatmap-PEER.svg` with `--compare-peers`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use super::size::parse_size;
use super::{EXIT_FAILURE, EXIT_USAGE};
use crate::bench::matrix::{
    run_matrix_with, ClientKind, MatrixConfig, MatrixResult, Store, Target,
};
use crate::bench::report::{self, size_label};
use crate::bench::{heatmap, peers};
use crate::uploader::Credentials;

/// Arguments of `mpu bench`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  mpu bench --embedded --size 1GiB\n  mpu bench --part-sizes \
8MiB,16MiB --concurrency 4,8 --latency 20ms\n  mpu bench --endpoint http://127.0.0.1:9000 \
--server-pid 1234\n  mpu bench --compare-peers --part-sizes 8MiB --concurrency 8"
)]
pub struct Args {
    /// Benchmark this S3 endpoint instead of the embedded mock.
    #[arg(long, conflicts_with = "embedded")]
    pub endpoint: Option<String>,
    /// Benchmark the mock started in this process (the default).
    #[arg(long)]
    pub embedded: bool,
    /// Store of the embedded mock: disk (a temporary directory) or memory.
    #[arg(long, default_value = "disk", value_parser = ["disk", "memory"])]
    pub store: String,
    /// Part sizes to try (columns), comma-separated.
    #[arg(long, value_delimiter = ',', value_parser = parse_size, default_value = "5MiB,8MiB,16MiB,64MiB")]
    pub part_sizes: Vec<u64>,
    /// Concurrency levels to try (rows), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,4,8,16")]
    pub concurrency: Vec<usize>,
    /// Object size uploaded in every cell.
    #[arg(long, value_parser = parse_size, default_value = "1GiB")]
    pub size: u64,
    /// Latency added to every request by the embedded mock's latency fault (`20ms`, `1s`).
    #[arg(long, value_parser = parse_duration)]
    pub latency: Option<Duration>,
    /// Client: uploader (the reference uploader), uploader-no-md5, or lean (pre-built bodies,
    /// no hashing: measures the server; unsigned, so for the embedded mock or moto).
    #[arg(long, default_value = "uploader", value_parser = ["uploader", "uploader-no-md5", "lean"])]
    pub client: String,
    /// Uploader memory budget (default: `mpu upload`'s, 256 MiB, or part size x concurrency
    /// of the cell where that is more).
    #[arg(long, value_parser = parse_size)]
    pub memory: Option<u64>,
    /// Bucket (created if missing).
    #[arg(long, default_value = "bench")]
    pub bucket: String,
    /// Directory for bench.csv, bench.json and the heatmaps.
    #[arg(long, default_value = "bench-results")]
    pub out: PathBuf,
    /// Process id of a local server behind --endpoint, to report its peak memory.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Access key for --endpoint.
    #[arg(
        long,
        env = "AWS_ACCESS_KEY_ID",
        default_value = "AKIAIOSFODNN7EXAMPLE"
    )]
    pub access_key: String,
    /// Secret key for --endpoint.
    #[arg(
        long,
        env = "AWS_SECRET_ACCESS_KEY",
        default_value = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        hide_default_value = true
    )]
    pub secret_key: String,
    /// Also run the matrix against moto's server (moto_server on the PATH) and print the ratio.
    #[arg(long)]
    pub compare_peers: bool,
}

/// Parses `20ms`, `1.5s`, `2m` or plain milliseconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{text:?} is not a duration: expected e.g. 20ms or 1s"))?;
    let secs = match unit.trim() {
        "" | "ms" => n / 1000.0,
        "s" => n,
        "m" | "min" => n * 60.0,
        other => {
            return Err(format!(
                "unknown duration unit {other:?} in {text:?} (ms, s, m)"
            ))
        }
    };
    Duration::try_from_secs_f64(secs).map_err(|e| format!("{text:?}: {e}"))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn print_cell(c: &crate::bench::matrix::Cell) {
    match &c.error {
        Some(e) => eprintln!(
            "  {} x {}: FAILED {e}",
            size_label(c.part_size),
            c.concurrency
        ),
        None => eprintln!(
            "  {} x {}: {:.1} MB/s",
            size_label(c.part_size),
            c.concurrency,
            c.mb_per_s
        ),
    }
}

/// Runs `mpu bench`.
pub async fn run(args: Args) -> ExitCode {
    let client = match args.client.as_str() {
        "lean" => ClientKind::Lean,
        "uploader-no-md5" => ClientKind::Uploader { content_md5: false },
        _ => ClientKind::Uploader { content_md5: true },
    };
    let store = if args.store == "memory" {
        Store::Memory
    } else {
        Store::Disk
    };
    let target = match &args.endpoint {
        Some(url) => {
            if args.latency.is_some() {
                eprintln!(
                    "mpu bench: --latency needs the embedded mock (it uses its latency fault)"
                );
                return ExitCode::from(EXIT_USAGE);
            }
            Target::Endpoint {
                url: url.clone(),
                credentials: Credentials::new(&args.access_key, &args.secret_key),
                server_pid: args.server_pid,
                name: url.clone(),
            }
        }
        None => Target::Embedded {
            store,
            latency: args.latency,
        },
    };
    let config = MatrixConfig {
        part_sizes: args.part_sizes.clone(),
        concurrency: args.concurrency.clone(),
        size: args.size,
        client,
        bucket: args.bucket.clone(),
        memory_budget: args.memory,
        work_dir: None,
    };
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        eprintln!("mpu bench: {}: {e}", args.out.display());
        return ExitCode::from(EXIT_FAILURE);
    }
    eprintln!("mpu bench: {}", target.describe());
    let mut results: Vec<MatrixResult> = Vec::new();
    match run_matrix_with(&config, &target, print_cell).await {
        Ok(r) => results.push(r),
        Err(e) => {
            eprintln!("mpu bench: {e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    }
    let mut ratios = Vec::new();
    if args.compare_peers {
        match peers::find_moto() {
            None => eprintln!(
                "mpu bench: moto_server not found (pip install 'moto[server]'); no peer run"
            ),
            Some(program) => match peers::start_moto(&program).await {
                Err(e) => eprintln!("mpu bench: {e}"),
                Ok(peer) => {
                    let peer_target = Target::Endpoint {
                        url: peer.endpoint.clone(),
                        credentials: Credentials::new(&args.access_key, &args.secret_key),
                        server_pid: Some(peer.pid()),
                        name: peer.name.clone(),
                    };
                    eprintln!("mpu bench: {}", peer_target.describe());
                    match run_matrix_with(&config, &peer_target, print_cell).await {
                        Ok(r) => {
                            ratios = report::ratios(&results[0], &r);
                            results.push(r);
                        }
                        Err(e) => eprintln!("mpu bench: moto run: {e}"),
                    }
                }
            },
        }
    }
    for r in &results {
        println!("{}", report::table(r));
    }
    if !ratios.is_empty() {
        println!("mock / moto throughput:\n{}", report::ratio_table(&ratios));
    }
    let mut files = vec![
        (args.out.join("bench.csv"), report::csv(&results)),
        (args.out.join("bench.json"), report::json(&results, &ratios)),
    ];
    for (i, r) in results.iter().enumerate() {
        let name = if i == 0 {
            "heatmap.svg".to_string()
        } else {
            format!("heatmap-{}.svg", r.target.replace(['/', ':', ' '], "_"))
        };
        files.push((args.out.join(name), heatmap::svg(r)));
    }
    for (path, text) in &files {
        if let Err(e) = write(path, text) {
            eprintln!("mpu bench: {e}");
            return ExitCode::from(EXIT_FAILURE);
        }
        eprintln!("wrote {}", path.display());
    }
    let failed = results[0].cells.iter().any(|c| c.error.is_some());
    if failed {
        ExitCode::from(EXIT_FAILURE)
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("20ms"), Ok(Duration::from_millis(20)));
        assert_eq!(parse_duration("15"), Ok(Duration::from_millis(15)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("1h").is_err());
        assert!(parse_duration("fast").is_err());
    }
}
