//! The `mpu` command line. Each subcommand is one variant of [`Command`] and one module with an
//! `Args` struct (clap derive) and an `async fn run(args) -> ExitCode`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod bench;
pub mod conform;
pub mod progress;
pub mod run;
pub mod size;
pub mod upload;

/// Exit code for a failed operation.
pub const EXIT_FAILURE: u8 = 1;
/// Exit code for invalid arguments or configuration (also what clap uses).
pub const EXIT_USAGE: u8 = 2;

/// `mpu`: multipart upload harness.
#[derive(Debug, Parser)]
#[command(
    name = "mpu",
    version,
    about = "Multipart upload harness: reference uploader for S3, OBS and QingStor"
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Upload a file as a multipart upload.
    Upload(upload::Args),
    /// Run scenarios (workload + faults + expectations) against the in-process mock.
    Run(run::Args),
    /// Grade other clients (profiles in scenarios/clients/) against the scenarios.
    Conform(conform::Args),
    /// Benchmark part size x concurrency: table, CSV, JSON and an SVG heatmap.
    Bench(bench::Args),
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Upload(args) => upload::run(args).await,
        Command::Run(args) => run::run(args).await,
        Command::Conform(args) => conform::run(args).await,
        Command::Bench(args) => bench::run(args).await,
    }
}

/// Entry point of the `mpu` binary: parses arguments, sets up logging (`RUST_LOG`, to stderr)
/// and a Tokio runtime, runs the command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mpu: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    runtime.block_on(run(cli))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
