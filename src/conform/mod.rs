//! Conformance checking of other clients (`mpu conform`): client profiles, a
//! client-appropriate expectation set per scenario, and the scenario x client matrix.
//!
//! A *profile* (`scenarios/clients/*.toml`) says how to run one client on one upload; the
//! scenarios under `scenarios/` supply the faults. Each scenario is run with the scenario
//! runner ([`crate::scenario::run_graded`]) and graded from the mock's journal and final
//! state by [`expect::conformance_expectations`], not by the client's exit code alone.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use multipart_harness::conform::{profile::Profile, matrix};
//! use std::path::Path;
//! let profiles = Profile::discover(Path::new("scenarios/clients"))?;
//! let scenarios = multipart_harness::scenario::discover(&["scenarios".into()])?;
//! let env = multipart_harness::conform::profile::HostEnv::detect(Path::new("."));
//! let results = matrix::run_matrix(&profiles, &scenarios, &env, &matrix::Options::default()).await?;
//! println!("{}", matrix::terminal(&results));
//! # Ok(()) }
//! ```

pub mod expect;
pub mod matrix;
pub mod profile;
pub mod scale;
