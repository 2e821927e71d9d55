//! Scenarios: a workload, fault rules and expectations in a TOML file; a runner that starts
//! the mock in-process with a fresh store, runs a client, and grades it from the journal and
//! the final state; and reports (table, JSON, JUnit, Markdown).

pub mod checks;
pub mod model;
pub mod report;
pub mod runner;

pub use model::{discover, Outcome, Scenario, ScenarioError};
pub use runner::{run, Client, RunResult, Verdict};
