//! `mpu run [PATH...]`: run scenarios against the in-process mock and grade the client.

use crate::scenario::{self, report, Client, Verdict};
use clap::Args as ClapArgs;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Arguments of `mpu run`.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// Scenario files or directories (default: `scenarios/`).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Run this command as the client instead of the reference uploader; a template with
    /// {endpoint} {bucket} {key} {file} {access_key} {secret_key} {part_size} {concurrency}
    /// {dialect} {ca_bundle}, run with `sh -c`.
    #[arg(long, value_name = "COMMAND")]
    pub client: Option<String>,
    /// Only scenarios whose name contains this.
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
    /// Write JUnit XML here.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write JSON results here.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write a Markdown report here.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Per-scenario time limit for a --client command, in seconds.
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
}

fn write(path: &Option<PathBuf>, text: String) -> Result<(), String> {
    if let Some(p) = path {
        std::fs::write(p, text).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    Ok(())
}

/// Runs `mpu run`.
pub async fn run(args: Args) -> ExitCode {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("scenarios")]
    } else {
        args.paths.clone()
    };
    let mut scenarios = match scenario::discover(&paths) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("mpu run: {e}");
            return ExitCode::from(super::EXIT_USAGE);
        }
    };
    if let Some(f) = &args.filter {
        scenarios.retain(|s| s.name.contains(f.as_str()));
    }
    if scenarios.is_empty() {
        eprintln!("mpu run: no scenarios found in {paths:?}");
        return ExitCode::from(super::EXIT_USAGE);
    }
    let client = match &args.client {
        None => Client::Reference,
        Some(cmd) => Client::Command {
            name: "custom".into(),
            template: cmd.clone(),
            env: vec![],
            dialects: vec![],
            timeout: Duration::from_secs(args.timeout),
        },
    };
    let work = std::env::temp_dir();
    let mut results = Vec::new();
    for s in &scenarios {
        eprint!("{:<40} ", s.name);
        match scenario::run(s, &client, &work).await {
            Ok(r) => {
                eprintln!("{:?}", r.verdict);
                results.push(r);
            }
            Err(e) => {
                eprintln!("error");
                eprintln!("mpu run: {}: {e}", s.name);
                return ExitCode::from(super::EXIT_FAILURE);
            }
        }
    }
    print!("{}", report::table(&results));
    for r in results.iter().filter(|r| r.verdict == Verdict::Fail) {
        println!("\n{} ({}):", r.scenario, r.path);
        for f in &r.failures {
            println!("  - {}: {}", f.check, f.reason);
        }
        for l in &r.journal_excerpt {
            println!("    {l}");
        }
    }
    for (p, t) in [
        (&args.junit, report::junit(&results)),
        (&args.json, report::json(&results)),
        (&args.markdown, report::markdown(&results)),
    ] {
        if let Err(e) = write(p, t) {
            eprintln!("mpu run: {e}");
            return ExitCode::from(super::EXIT_FAILURE);
        }
    }
    if results.iter().any(|r| r.verdict == Verdict::Fail) {
        ExitCode::from(super::EXIT_FAILURE)
    } else {
        ExitCode::SUCCESS
    }
}
