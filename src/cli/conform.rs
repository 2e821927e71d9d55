//! `mpu conform`: grade another client (or every shipped one) against the scenarios.
//!
//! ```text
//! mpu conform --client boto3-upload-file                 # a shipped profile, all its scenarios
//! mpu conform --client 'python3 my_uploader.py {endpoint} {bucket} {key} {file}'
//! mpu conform --matrix --quick --out conform-out         # every installed profile (CI)
//! ```

use crate::conform::matrix::{self, Options};
use crate::conform::profile::{HostEnv, Profile};
use crate::scenario::{self, report, Verdict};
use clap::Args as ClapArgs;
use mock_server::dialect::Dialect;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `mpu conform`.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// A profile name (in --profiles), a profile file, or a command template with
    /// {endpoint} {host} {bucket} {key} {file} {access_key} {secret_key} {part_size}
    /// {concurrency} {dialect} {ca_bundle} {python}, run with `sh -c`.
    #[arg(
        long,
        value_name = "PROFILE|COMMAND",
        required_unless_present = "matrix"
    )]
    pub client: Vec<String>,
    /// Run every shipped profile whose client is installed (others are reported as skipped).
    #[arg(long, conflicts_with = "client")]
    pub matrix: bool,
    /// Scenario files or directories (default: `scenarios/`).
    #[arg(long = "scenario", value_name = "PATH")]
    pub scenarios: Vec<PathBuf>,
    /// Directory of client profiles.
    #[arg(long, value_name = "DIR", default_value = "scenarios/clients")]
    pub profiles: PathBuf,
    /// Only each profile's `quick` scenarios (what CI runs).
    #[arg(long)]
    pub quick: bool,
    /// Only scenarios whose name contains this.
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
    /// Dialects an ad-hoc --client COMMAND speaks (comma-separated).
    #[arg(long, value_name = "LIST", default_value = "s3", value_delimiter = ',')]
    pub dialects: Vec<String>,
    /// Write matrix.md, junit.xml and results.json into this directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Per-scenario time limit in seconds (default: each profile's own).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
}

fn pick_profiles(args: &Args, shipped: &[Profile]) -> Result<Vec<Profile>, String> {
    if args.matrix {
        return Ok(shipped.to_vec());
    }
    let mut dialects = Vec::new();
    for d in &args.dialects {
        dialects.push(
            d.parse::<Dialect>()
                .ok()
                .ok_or_else(|| format!("unknown dialect {d:?} (s3, obs, qingstor)"))?,
        );
    }
    args.client
        .iter()
        .map(|c| {
            if let Some(p) = shipped.iter().find(|p| &p.name == c) {
                return Ok(p.clone());
            }
            let path = Path::new(c);
            if c.ends_with(".toml") && path.is_file() {
                return Profile::load(path).map_err(|e| e.to_string());
            }
            if c.contains('{') || c.contains(' ') {
                return Ok(Profile::ad_hoc(c, dialects.clone()));
            }
            let names: Vec<&str> = shipped.iter().map(|p| p.name.as_str()).collect();
            Err(format!(
                "{c:?} is neither a profile ({}) nor a command template",
                names.join(", ")
            ))
        })
        .collect()
}

fn write_outputs(dir: &Path, results: &[scenario::RunResult]) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (name, text) in [
        ("matrix.md", matrix::markdown(results)),
        ("junit.xml", report::junit(results)),
        ("results.json", report::json(results)),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, text).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    Ok(())
}

/// Runs `mpu conform`. Exit status: 0 when nothing failed (skips are not failures), 1 when a
/// client failed a scenario, 2 for bad arguments or files.
pub async fn run(args: Args) -> ExitCode {
    let usage = |m: String| {
        eprintln!("mpu conform: {m}");
        ExitCode::from(super::EXIT_USAGE)
    };
    let shipped = if args.profiles.is_dir() {
        match Profile::discover(&args.profiles) {
            Ok(p) => p,
            Err(e) => return usage(e.to_string()),
        }
    } else if args.matrix {
        return usage(format!("no profile directory {}", args.profiles.display()));
    } else {
        vec![]
    };
    let profiles = match pick_profiles(&args, &shipped) {
        Ok(p) => p,
        Err(e) => return usage(e),
    };
    let paths = if args.scenarios.is_empty() {
        vec![PathBuf::from("scenarios")]
    } else {
        args.scenarios.clone()
    };
    let scenarios = match scenario::discover(&paths) {
        Ok(s) => s,
        Err(e) => return usage(e.to_string()),
    };
    if scenarios.is_empty() {
        return usage(format!("no scenarios found in {paths:?}"));
    }
    let host = HostEnv::detect(Path::new("."));
    let opts = Options {
        quick: args.quick,
        filter: args.filter.clone(),
        work: std::env::temp_dir(),
        progress: true,
        timeout_secs: args.timeout,
    };
    let results = match matrix::run_matrix(&profiles, &scenarios, &host, &opts).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mpu conform: {e}");
            return ExitCode::from(super::EXIT_FAILURE);
        }
    };
    if results.is_empty() {
        return usage("no scenario applies to the chosen client(s) (check their dialects)".into());
    }
    print!("{}", matrix::terminal(&results));
    if let Some(dir) = &args.out {
        if let Err(e) = write_outputs(dir, &results) {
            eprintln!("mpu conform: {e}");
            return ExitCode::from(super::EXIT_FAILURE);
        }
        println!(
            "\nwrote {0}/matrix.md, {0}/junit.xml, {0}/results.json",
            dir.display()
        );
    }
    if results.iter().any(|r| r.verdict == Verdict::Fail) {
        ExitCode::from(super::EXIT_FAILURE)
    } else {
        ExitCode::SUCCESS
    }
}
