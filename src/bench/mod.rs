//! Benchmarks of multipart uploads: part size x concurrency matrices, with the reference
//! uploader or a lean client, against the embedded mock or any endpoint.
//!
//! * [`matrix`] runs the matrix ([`matrix::run_matrix`]) and measures every cell.
//! * [`report`] renders the results: a table with the best cell marked, CSV and JSON.
//! * [`heatmap`] draws throughput over part size x concurrency as an SVG heatmap.
//! * [`lean`] is a minimal S3 client (pre-built `Bytes` bodies, no hashing) so the server is
//!   measured, not the client.
//! * [`rss`] reads the peak resident memory of a process (Linux `/proc`).
//! * [`peers`] starts moto's server to compare against.
//! * [`data`] writes the test file.
//!
//! ```no_run
//! use multipart_harness::bench::matrix::{run_matrix, MatrixConfig, Target};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let config = MatrixConfig {
//!     part_sizes: vec![8 << 20],
//!     concurrency: vec![4, 8],
//!     size: 256 << 20,
//!     ..MatrixConfig::default()
//! };
//! let results = run_matrix(&config, &Target::embedded_disk()).await?;
//! println!("{}", multipart_harness::bench::report::table(&results));
//! # Ok(()) }
//! ```

pub mod data;
pub mod heatmap;
pub mod lean;
pub mod matrix;
pub mod peers;
pub mod report;
pub mod rss;

/// Why a benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The embedded mock did not start.
    #[error("cannot start the embedded mock: {0}")]
    Start(#[from] mock_server::StartError),
    /// A file could not be written or read.
    #[error("{path}: {source}")]
    Io {
        /// Which file.
        path: String,
        /// What failed.
        source: std::io::Error,
    },
    /// The uploader's configuration was refused.
    #[error("uploader configuration: {0}")]
    Config(String),
    /// A request of the lean client failed or got an unexpected answer.
    #[error("{what}: expected {expected}, got {got}")]
    Request {
        /// Which request.
        what: String,
        /// What was expected.
        expected: String,
        /// What came.
        got: String,
    },
    /// A peer server could not be started.
    #[error("peer {name}: {message}")]
    Peer {
        /// Peer name.
        name: String,
        /// What went wrong.
        message: String,
    },
    /// The configuration asks for something that cannot work.
    #[error("{0}")]
    Invalid(String),
}
