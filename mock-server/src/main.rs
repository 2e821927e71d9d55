//! `mock-server`: the standalone mock object store.

use clap::Parser;
use mock_server::dialect::Dialect;
use mock_server::MockServer;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

// jemalloc, returning freed memory to the system: glibc's arenas kept growing the RSS after
// each load round's cleanup (see `mock_server::alloc`).
#[cfg(feature = "jemalloc")]
mock_server::jemalloc_global_allocator!();

/// A mock object store speaking the S3, Huawei OBS and QingStor multipart protocols on one port.
#[derive(Debug, Parser)]
#[command(name = "mock-server", version, about)]
struct Args {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:9000")]
    listen: SocketAddr,
    /// Create this bucket at start (repeatable).
    #[arg(long = "bucket", value_name = "NAME")]
    buckets: Vec<String>,
    /// Keep data in this directory; it survives restarts. Default: a fresh temp dir removed at exit.
    #[arg(long, value_name = "DIR", conflicts_with = "memory")]
    data_dir: Option<PathBuf>,
    /// Keep everything in memory.
    #[arg(long)]
    memory: bool,
    /// Do not fsync (faster; a data dir is fsynced by default).
    #[arg(long)]
    no_fsync: bool,
    /// Bytes of deleted blobs' files kept to be written over by new blobs (disk store; 0 removes
    /// each at once). Spares the file system a create and an unlink per large part.
    #[arg(long, value_name = "BYTES", default_value_t = mock_server::store::DEFAULT_RECYCLE_LIMIT)]
    recycle_limit: u64,
    /// Access key to accept (repeatable, paired with --secret-key). Without keys, any
    /// credentials are accepted; with keys, signatures of all dialects are verified.
    #[arg(long = "access-key", value_name = "AK", requires = "secret_keys")]
    access_keys: Vec<String>,
    /// Secret key for the --access-key at the same position.
    #[arg(long = "secret-key", value_name = "SK", requires = "access_keys")]
    secret_keys: Vec<String>,
    /// A file of credentials, one `ACCESS_KEY SECRET_KEY` (or `AK:SK`) pair per line.
    #[arg(long, value_name = "FILE")]
    credentials_file: Option<PathBuf>,
    /// Minimum part size for every dialect (default: S3 5 MiB, OBS 100 KiB, QingStor 4 MiB).
    #[arg(long, value_name = "BYTES")]
    min_part_size: Option<u64>,
    /// Treat every request as this dialect instead of detecting it per request.
    #[arg(long, value_name = "s3|obs|qingstor")]
    dialect: Option<Dialect>,
    /// Accept BUCKET.DOMAIN as virtual-hosted addressing (localhost always is; repeatable).
    #[arg(long = "domain", value_name = "DOMAIN")]
    domains: Vec<String>,
    /// Serve HTTPS with a self-signed certificate for localhost and 127.0.0.1 (its PEM path is printed).
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    tls: bool,
    /// Serve HTTPS with this PEM certificate chain.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// Private key (PEM) for --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Install the `[[fault]]` rules of this scenario file (TOML).
    #[arg(long, value_name = "FILE")]
    scenario: Option<PathBuf>,
    /// Require this bearer token on the admin API (/_mock/...). Required when listening on a
    /// non-loopback address.
    #[arg(long, value_name = "TOKEN", env = "MOCK_ADMIN_TOKEN")]
    admin_token: Option<String>,
    /// Fail a request whose body stalls (no data arriving) for this many seconds (fractions
    /// allowed); the connection is then closed.
    #[arg(long, value_name = "SECS", default_value_t = 60.0)]
    body_read_timeout: f64,
    /// Keep at most this many journal entries (at least 1); older ones are dropped, oldest
    /// first, and counted (`GET /_mock/health` reports `journal.dropped`).
    #[arg(long, value_name = "ENTRIES", default_value_t = mock_server::journal::DEFAULT_LIMIT)]
    journal_limit: usize,
}

fn read_credentials_file(path: &PathBuf) -> Result<Vec<(String, String)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let pair = line
            .split_once(char::is_whitespace)
            .or_else(|| line.split_once(':'))
            .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
            .filter(|(a, b)| !a.is_empty() && !b.is_empty());
        match pair {
            Some(p) => out.push(p),
            None => {
                return Err(format!(
                    "{}:{}: expected `ACCESS_KEY SECRET_KEY`, got {line:?}",
                    path.display(),
                    i + 1
                ))
            }
        }
    }
    Ok(out)
}

fn run(args: Args) -> Result<(), String> {
    let mut b = MockServer::builder().listen(args.listen);
    b = match (&args.data_dir, args.memory) {
        (Some(d), _) => b.data_dir(d),
        (None, true) => b.memory(),
        (None, false) => b,
    };
    if args.no_fsync {
        b = b.durable(false);
    }
    b = b.recycle_limit(args.recycle_limit);
    for name in &args.buckets {
        b = b.bucket(name);
    }
    if args.access_keys.len() != args.secret_keys.len() {
        return Err(format!(
            "--access-key was given {} times but --secret-key {} times; give them in pairs",
            args.access_keys.len(),
            args.secret_keys.len()
        ));
    }
    for (ak, sk) in args.access_keys.iter().zip(&args.secret_keys) {
        b = b.credentials(ak, sk);
    }
    if let Some(f) = &args.credentials_file {
        for (ak, sk) in read_credentials_file(f)? {
            b = b.credentials(ak, sk);
        }
    }
    if let Some(m) = args.min_part_size {
        b = b.min_part_size(m);
    }
    if let Some(d) = args.dialect {
        b = b.dialect(d);
    }
    for d in &args.domains {
        b = b.domain(d);
    }
    if args.tls {
        b = b.tls_self_signed();
    } else if let (Some(c), Some(k)) = (&args.tls_cert, &args.tls_key) {
        b = b.tls_files(c, k);
    }
    if !args.listen.ip().is_loopback() && args.admin_token.is_none() {
        return Err(format!(
            "listening on {} (not loopback) exposes the admin API; give --admin-token TOKEN (or MOCK_ADMIN_TOKEN)",
            args.listen
        ));
    }
    if let Some(f) = &args.scenario {
        b = b.scenario_file(f)?;
    }
    if let Some(t) = &args.admin_token {
        b = b.admin_token(t);
    }
    if !(args.body_read_timeout.is_finite() && args.body_read_timeout > 0.0) {
        return Err(format!(
            "--body-read-timeout expects a positive number of seconds, got {}",
            args.body_read_timeout
        ));
    }
    let stall = std::time::Duration::try_from_secs_f64(args.body_read_timeout)
        .map_err(|e| format!("--body-read-timeout {}: {e}", args.body_read_timeout))?;
    b = b.body_read_timeout(stall);
    if args.journal_limit == 0 {
        return Err("--journal-limit expects at least 1 entry, got 0".into());
    }
    b = b.journal_limit(args.journal_limit);
    let server = b.start_blocking().map_err(|e| e.to_string())?;
    if let Some(pem) = server.ca_pem() {
        println!("ca-bundle: {}", pem.display());
    }
    println!("mock-server listening on {}", server.endpoint());
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(|e| e.to_string())?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        Ok::<(), String>(())
    })?;
    server.stop();
    Ok(())
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mock-server: {e}");
            ExitCode::from(2)
        }
    }
}
