//! `mpu upload FILE s3://BUCKET/KEY --endpoint URL ...`: upload a file with the reference
//! uploader, show progress, print a summary (or JSON), exit non-zero with a one-line reason on
//! failure.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use serde::Serialize;

use super::progress::{self, Mode};
use super::size::parse_size;
use super::{EXIT_FAILURE, EXIT_USAGE};
use crate::uploader::{
    Backoff, ChecksumChoice, Cleanup, Credentials, Dialect, PayloadSigning, Phase, Timeouts,
    UploadError, UploadOptions, Uploader, UploaderConfig,
};

/// Arguments of `mpu upload`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Credentials: --access-key/--secret-key, else the dialect's environment \
variables: s3 AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; obs and obs-native \
OBS_ACCESS_KEY_ID/OBS_SECRET_ACCESS_KEY (then the AWS ones); qingstor \
QINGSTOR_ACCESS_KEY_ID/QINGSTOR_SECRET_ACCESS_KEY.\n\nSizes take units: 8MiB or 8M (binary), \
8MB (decimal), or plain bytes.\n\nExit status: 0 uploaded and verified, 1 upload failed, 2 bad \
arguments or configuration."
)]
pub struct Args {
    /// File to upload.
    pub file: PathBuf,
    /// Target `s3://BUCKET/KEY` (`obs://` and `qs://` work too); a missing KEY or one ending in
    /// `/` gets the file name appended.
    pub target: String,
    /// Service endpoint, `http[s]://HOST[:PORT]` (path-style requests).
    #[arg(long, env = "MPU_ENDPOINT")]
    pub endpoint: String,
    /// Wire dialect: s3 (SigV4), obs (SigV2 `AWS` + x-amz-, as the OBS SDK on IP endpoints),
    /// obs-native (`OBS` + x-obs-), qingstor.
    #[arg(long, default_value = "s3", value_parser = parse_dialect)]
    pub dialect: Dialect,
    /// Part size (default: chosen from the file size, ≥ 8 MiB and the dialect minimum).
    #[arg(long, value_parser = parse_size)]
    pub part_size: Option<u64>,
    /// Parts in flight at most.
    #[arg(long, default_value_t = UploaderConfig::DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
    /// Memory budget for part buffers; parts in flight = min(concurrency, memory / part size); room for more reads and hashes up to 2 x concurrency parts ahead.
    #[arg(long, default_value = "256MiB", value_parser = parse_size)]
    pub memory: u64,
    /// Additional per-part checksum: none, crc32c, crc64nvme, sha256 (s3 only).
    #[arg(long, default_value = "none", value_parser = parse_checksum)]
    pub checksum: ChecksumChoice,
    /// Do not send Content-MD5 with parts (ETags are still checked).
    #[arg(long)]
    pub no_content_md5: bool,
    /// SigV4 payload hash: unsigned (UNSIGNED-PAYLOAD) or sha256.
    #[arg(long, default_value = "unsigned", value_parser = parse_payload_signing)]
    pub payload_signing: PayloadSigning,
    /// Attempts per request (1 = no retries).
    #[arg(long, default_value_t = UploaderConfig::DEFAULT_MAX_ATTEMPTS)]
    pub max_attempts: u32,
    /// First retry delay ceiling in milliseconds (doubles per retry, with jitter).
    #[arg(long, default_value_t = 100)]
    pub backoff_initial_ms: u64,
    /// Largest retry delay in milliseconds.
    #[arg(long, default_value_t = 5000)]
    pub backoff_max_ms: u64,
    /// TCP connect timeout in seconds.
    #[arg(long, default_value_t = 5.0)]
    pub connect_timeout: f64,
    /// Seconds to wait for a response once the request is sent.
    #[arg(long, default_value_t = 60.0)]
    pub first_byte_timeout: f64,
    /// Seconds a request or response body may stall.
    #[arg(long, default_value_t = 20.0)]
    pub stall_timeout: f64,
    /// Resume this upload id: listed parts are verified against the file, only missing ones sent.
    #[arg(long, value_name = "UPLOAD_ID")]
    pub resume: Option<String>,
    /// Checkpoint file: resume from it if present, written atomically when the upload starts,
    /// removed on success.
    #[arg(long, value_name = "PATH")]
    pub checkpoint: Option<PathBuf>,
    /// After completing, read the object back and compare every part with the file.
    #[arg(long)]
    pub verify: bool,
    /// Keep the upload on failure (to resume it) instead of aborting it.
    #[arg(long)]
    pub keep_on_failure: bool,
    /// SigV4 region.
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    pub region: String,
    /// Access key (else from the environment).
    #[arg(long)]
    pub access_key: Option<String>,
    /// Secret key (else from the environment).
    #[arg(long)]
    pub secret_key: Option<String>,
    /// Content-Type of the object.
    #[arg(long)]
    pub content_type: Option<String>,
    /// Print the report (or the failure) as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Progress display: auto (bar on a terminal, lines otherwise), bar, lines, none.
    #[arg(long, default_value = "auto", value_parser = ["auto", "bar", "lines", "none"])]
    pub progress: String,
}

fn parse_dialect(s: &str) -> Result<Dialect, String> {
    Dialect::from_name(s)
        .ok_or_else(|| format!("unknown dialect {s:?}: use s3, obs, obs-native or qingstor"))
}

fn parse_checksum(s: &str) -> Result<ChecksumChoice, String> {
    ChecksumChoice::from_name(s)
        .ok_or_else(|| format!("unknown checksum {s:?}: use none, crc32c, crc64nvme or sha256"))
}

fn parse_payload_signing(s: &str) -> Result<PayloadSigning, String> {
    PayloadSigning::from_name(s)
        .ok_or_else(|| format!("unknown payload signing {s:?}: use unsigned or sha256"))
}

/// Splits `scheme://BUCKET[/KEY]` into bucket and key; an empty key or one ending in `/` gets
/// the file name appended.
pub fn parse_target(target: &str, file: &Path) -> Result<(String, String), String> {
    let rest = ["s3://", "obs://", "qs://"]
        .iter()
        .find_map(|p| {
            target
                .get(..p.len())
                .filter(|s| s.eq_ignore_ascii_case(p))
                .map(|_| &target[p.len()..])
        })
        .ok_or_else(|| format!("target {target:?} must look like s3://BUCKET/KEY"))?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(format!("target {target:?} has no bucket"));
    }
    let mut key = key.to_string();
    if key.is_empty() || key.ends_with('/') {
        let name = file.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
            format!("target {target:?} has no key and the file has no usable name")
        })?;
        key.push_str(name);
    }
    Ok((bucket.to_string(), key))
}

/// Credentials from flags, else from the dialect's environment variables.
fn credentials(args: &Args) -> Result<Credentials, String> {
    let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let mut access = args.access_key.clone();
    let mut secret = args.secret_key.clone();
    for (ak_var, sk_var) in args.dialect.credential_env_vars() {
        if access.is_none() {
            access = from_env(ak_var);
        }
        if secret.is_none() {
            secret = from_env(sk_var);
        }
    }
    match (access, secret) {
        (Some(a), Some(s)) => Ok(Credentials::new(a, s)),
        _ => {
            let vars: Vec<String> = args
                .dialect
                .credential_env_vars()
                .iter()
                .map(|(a, s)| format!("{a}/{s}"))
                .collect();
            Err(format!(
                "missing credentials: pass --access-key and --secret-key or set {}",
                vars.join(" or ")
            ))
        }
    }
}

fn seconds(name: &str, value: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(value)
        .map_err(|_| format!("--{name} must be a non-negative number of seconds, got {value}"))
}

/// Builds the uploader configuration from the arguments.
pub fn config_from(args: &Args) -> Result<UploaderConfig, String> {
    let credentials = credentials(args)?;
    let timeouts = Timeouts {
        connect: seconds("connect-timeout", args.connect_timeout)?,
        first_byte: seconds("first-byte-timeout", args.first_byte_timeout)?,
        stall: seconds("stall-timeout", args.stall_timeout)?,
    };
    Ok(UploaderConfig {
        region: args.region.clone(),
        part_size: args.part_size,
        concurrency: args.concurrency,
        memory_budget: args.memory,
        max_attempts: args.max_attempts,
        backoff: Backoff {
            initial: Duration::from_millis(args.backoff_initial_ms),
            max: Duration::from_millis(args.backoff_max_ms),
            ..Backoff::default()
        },
        checksum: args.checksum,
        content_md5: !args.no_content_md5,
        payload_signing: args.payload_signing,
        abort_on_failure: !args.keep_on_failure,
        timeouts,
        content_type: args.content_type.clone(),
        verify_readback: args.verify,
        ..UploaderConfig::new(args.endpoint.clone(), args.dialect, credentials)
    })
}

/// The JSON printed with `--json` when the upload fails.
#[derive(Debug, Serialize)]
struct FailureJson<'a> {
    ok: bool,
    error: String,
    phase: Option<Phase>,
    cleanup: Option<&'a Cleanup>,
}

/// One line: no newlines inside the reason.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("mpu: error: {}", one_line(message));
    ExitCode::from(EXIT_USAGE)
}

/// Runs `mpu upload`.
pub async fn run(args: Args) -> ExitCode {
    let (bucket, key) = match parse_target(&args.target, &args.file) {
        Ok(t) => t,
        Err(e) => return usage_error(&e),
    };
    let config = match config_from(&args) {
        Ok(c) => c,
        Err(e) => return usage_error(&e),
    };
    let uploader = match Uploader::new(config) {
        Ok(u) => u,
        Err(e) => return usage_error(&format!("invalid configuration: {e}")),
    };
    let mode = match args.progress.as_str() {
        "bar" => Mode::Bar,
        "lines" => Mode::Lines,
        "none" => Mode::Quiet,
        _ if std::io::stderr().is_terminal() => Mode::Bar,
        _ => Mode::Lines,
    };
    let uploader = match progress::callback(mode) {
        Some(cb) => uploader.with_progress(move |e| cb(e)),
        None => uploader,
    };
    let options = UploadOptions {
        resume: args.resume.clone(),
        checkpoint: args.checkpoint.clone(),
    };
    match uploader
        .upload_file_with(&args.file, &bucket, &key, options)
        .await
    {
        Ok(report) => {
            if args.json {
                match serde_json::to_string_pretty(&report) {
                    Ok(text) => println!("{text}"),
                    Err(e) => {
                        eprintln!("mpu: uploaded, but the report cannot be printed: {e}");
                        return ExitCode::from(EXIT_FAILURE);
                    }
                }
            } else {
                println!("{report}");
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            let code = if matches!(err, UploadError::Config(_)) {
                EXIT_USAGE
            } else {
                EXIT_FAILURE
            };
            let reason = one_line(&err.to_string());
            eprintln!("mpu: upload failed: {reason}");
            if args.json {
                let out = FailureJson {
                    ok: false,
                    error: reason,
                    phase: err.phase(),
                    cleanup: err.cleanup(),
                };
                if let Ok(text) = serde_json::to_string_pretty(&out) {
                    println!("{text}");
                }
            }
            ExitCode::from(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Wrap {
        #[command(flatten)]
        args: Args,
    }

    fn parse(extra: &[&str]) -> Result<Args, clap::Error> {
        let mut argv = vec![
            "mpu",
            "f.bin",
            "s3://b/k",
            "--endpoint",
            "http://127.0.0.1:9",
        ];
        argv.extend_from_slice(extra);
        Wrap::try_parse_from(argv).map(|w| w.args)
    }

    #[test]
    fn targets_parse() {
        let f = Path::new("/tmp/data.bin");
        assert_eq!(
            parse_target("s3://b/dir/obj", f),
            Ok(("b".into(), "dir/obj".into()))
        );
        assert_eq!(
            parse_target("s3://b/dir/", f),
            Ok(("b".into(), "dir/data.bin".into()))
        );
        assert_eq!(
            parse_target("qs://b", f),
            Ok(("b".into(), "data.bin".into()))
        );
        assert_eq!(parse_target("OBS://b/x", f), Ok(("b".into(), "x".into())));
        assert!(parse_target("b/k", f).is_err());
        assert!(parse_target("s3:///k", f).is_err());
    }

    #[test]
    fn flags_map_onto_the_config() {
        let args = parse(&[
            "--dialect",
            "qingstor",
            "--part-size",
            "4MiB",
            "--concurrency",
            "3",
            "--memory",
            "16M",
            "--max-attempts",
            "7",
            "--keep-on-failure",
            "--no-content-md5",
            "--verify",
            "--access-key",
            "AK",
            "--secret-key",
            "SK",
        ])
        .unwrap();
        let c = config_from(&args).unwrap();
        assert_eq!(c.dialect, Dialect::QingStor);
        assert_eq!(c.part_size, Some(4 << 20));
        assert_eq!(c.concurrency, 3);
        assert_eq!(c.memory_budget, 16 << 20);
        assert_eq!(c.max_attempts, 7);
        assert!(!c.abort_on_failure);
        assert!(!c.content_md5);
        assert!(c.verify_readback);
        assert_eq!(c.credentials, Credentials::new("AK", "SK"));
    }

    #[test]
    fn defaults_match_the_library() {
        let args = parse(&["--access-key", "a", "--secret-key", "s"]).unwrap();
        let c = config_from(&args).unwrap();
        let d = UploaderConfig::new(
            "http://127.0.0.1:9",
            Dialect::S3,
            Credentials::new("a", "s"),
        );
        assert_eq!(c.concurrency, d.concurrency);
        assert_eq!(c.memory_budget, d.memory_budget);
        assert_eq!(c.max_attempts, d.max_attempts);
        assert_eq!(c.backoff, d.backoff);
        assert_eq!(c.timeouts, d.timeouts);
        assert_eq!(c.checksum, ChecksumChoice::None);
        assert!(c.abort_on_failure && c.content_md5);
    }

    #[test]
    fn bad_values_are_rejected_by_the_parser() {
        assert!(parse(&["--dialect", "gcs"]).is_err());
        assert!(parse(&["--checksum", "md4"]).is_err());
        assert!(parse(&["--part-size", "lots"]).is_err());
        assert!(parse(&["--progress", "fancy"]).is_err());
    }

    #[test]
    fn reasons_are_one_line() {
        assert_eq!(one_line("a\nb  c\n"), "a b c");
    }
}
