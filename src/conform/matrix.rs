//! The scenario x client matrix: running it and rendering it (terminal, Markdown; JUnit and
//! JSON come from [`crate::scenario::report`]).

use super::expect::conformance_expectations;
use super::profile::{HostEnv, Profile};
use super::scale::scale_to_min_part;
use crate::scenario::runner::RunError;
use crate::scenario::{run_graded, RunResult, Scenario, Verdict};
use std::fmt::Write as _;
use std::path::PathBuf;

/// How to run the matrix.
#[derive(Debug, Clone)]
pub struct Options {
    /// Only each profile's `quick` scenarios (CI).
    pub quick: bool,
    /// Only scenarios whose name contains this.
    pub filter: Option<String>,
    /// Where source files and scratch files go.
    pub work: PathBuf,
    /// Print one line per run to stderr.
    pub progress: bool,
    /// Per-scenario time limit overriding the profiles' own, in seconds.
    pub timeout_secs: Option<u64>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            quick: false,
            filter: None,
            work: std::env::temp_dir(),
            progress: false,
            timeout_secs: None,
        }
    }
}

/// Errors that stop the matrix (not client failures).
#[derive(Debug, thiserror::Error)]
pub enum MatrixError {
    /// A scenario could not run at all.
    #[error("{scenario}: {source}")]
    Run {
        /// Scenario.
        scenario: String,
        /// Why.
        source: RunError,
    },
    /// A profile override does not fit.
    #[error("{0}")]
    Profile(String),
    /// Scratch space could not be made.
    #[error("scratch directory: {0}")]
    Io(#[from] std::io::Error),
}

/// Runs every applicable scenario with every profile. A profile whose client is not installed
/// gives `skip` results that say how to install it; scenarios in a dialect the client does not
/// speak (or outside its quick set with `quick`) are left out.
pub async fn run_matrix(
    profiles: &[Profile],
    scenarios: &[Scenario],
    host: &HostEnv,
    opts: &Options,
) -> Result<Vec<RunResult>, MatrixError> {
    let scratch = tempfile::Builder::new()
        .prefix("conform-")
        .tempdir_in(&opts.work)?;
    let mut results = Vec::new();
    for p in profiles {
        let mut p = p.clone();
        if let Some(t) = opts.timeout_secs {
            p.timeout_secs = t;
        }
        let client = p.client(host, scratch.path());
        let chosen: Vec<&Scenario> = scenarios
            .iter()
            .filter(|s| p.speaks(s.dialect))
            .filter(|s| !opts.quick || p.in_quick_set(&s.name))
            .filter(|s| {
                opts.filter
                    .as_ref()
                    .is_none_or(|f| s.name.contains(f.as_str()))
            })
            .collect();
        if chosen.is_empty() {
            continue;
        }
        if let Err(why) = p.installed(host, scratch.path()).await {
            let hint = if p.install.is_empty() {
                String::new()
            } else {
                format!("; install: {}", p.install)
            };
            if opts.progress {
                eprintln!("{:<22} not installed ({why}){hint}", p.name);
            }
            for s in chosen {
                results.push(RunResult::skipped(
                    s,
                    &client,
                    &format!("not installed ({why}){hint}"),
                ));
            }
            continue;
        }
        for s in chosen {
            if let Some(skip) = p.overrides_for(&s.name).find_map(|o| o.skip.clone()) {
                results.push(RunResult::skipped(s, &client, &skip));
                continue;
            }
            let expect = conformance_expectations(s, &p).map_err(MatrixError::Profile)?;
            let run_as = match p.min_part_size {
                Some(m) => scale_to_min_part(s, m.0),
                None => s.clone(),
            };
            if opts.progress {
                eprint!("{:<22} {:<36} ", p.name, s.name);
            }
            let r = run_graded(&run_as, &client, &expect, scratch.path())
                .await
                .map_err(|e| MatrixError::Run {
                    scenario: s.name.clone(),
                    source: e,
                })?;
            if opts.progress {
                eprintln!("{:?} ({:.1} s) {}", r.verdict, r.seconds, r.reason());
            }
            results.push(r);
        }
    }
    Ok(results)
}

fn columns(results: &[RunResult]) -> (Vec<String>, Vec<String>) {
    let mut scenarios: Vec<String> = Vec::new();
    let mut clients: Vec<String> = Vec::new();
    for r in results {
        if !scenarios.contains(&r.scenario) {
            scenarios.push(r.scenario.clone());
        }
        if !clients.contains(&r.client) {
            clients.push(r.client.clone());
        }
    }
    scenarios.sort();
    // the reference uploader first, as the yardstick
    clients.sort_by_key(|c| c != "mpu");
    (scenarios, clients)
}

fn find<'a>(results: &'a [RunResult], scenario: &str, client: &str) -> Option<&'a RunResult> {
    results
        .iter()
        .find(|r| r.scenario == scenario && r.client == client)
}

/// The failed check a matrix cell names: the most specific one (a bad-ETag complete says more
/// than the aborted outcome it led to).
pub fn headline(r: &RunResult) -> &'static str {
    const ORDER: [&str; 12] = [
        "never_completed_with_bad_etag",
        "honest_exit",
        "called_abort",
        "retried_parts",
        "single_upload",
        "no_needless_reuploads",
        "equal_part_sizes",
        "parts_in_order",
        "no_part_after_complete",
        "integrity_headers",
        "min_concurrency",
        "object_equals_source",
    ];
    ORDER
        .iter()
        .find_map(|c| r.failures.iter().find(|f| f.check == *c).map(|f| f.check))
        .or_else(|| r.failures.first().map(|f| f.check))
        .unwrap_or("")
}

fn cell(r: Option<&RunResult>) -> String {
    match r {
        None => "·".into(),
        Some(r) => match r.verdict {
            Verdict::Pass => "pass".into(),
            Verdict::Skip => "skip".into(),
            Verdict::Fail => format!("FAIL {}", headline(r)).trim_end().to_string(),
        },
    }
}

/// The matrix for a terminal (scenario rows, client columns; `·` = not applicable), the
/// skipped clients with how to install them, and each failure with its journal excerpt.
pub fn terminal(results: &[RunResult]) -> String {
    let (scenarios, clients) = columns(results);
    let sw = scenarios.iter().map(|s| s.len()).max().unwrap_or(8).max(8);
    let widths: Vec<usize> = clients
        .iter()
        .map(|c| {
            scenarios
                .iter()
                .map(|s| cell(find(results, s, c)).len())
                .max()
                .unwrap_or(4)
                .max(c.len())
        })
        .collect();
    let mut out = format!("{:<sw$}", "scenario");
    for (c, w) in clients.iter().zip(&widths) {
        let _ = write!(out, "  {c:<w$}");
    }
    out.push('\n');
    for s in &scenarios {
        let _ = write!(out, "{s:<sw$}");
        for (c, w) in clients.iter().zip(&widths) {
            let _ = write!(out, "  {:<w$}", cell(find(results, s, c)));
        }
        out.push('\n');
    }
    let (p, f, k) = crate::scenario::report::counts(results);
    let _ = writeln!(out, "\n{p} passed, {f} failed, {k} skipped");
    for (client, why) in skipped_clients(results) {
        let _ = writeln!(out, "skipped {client}: {why}");
    }
    for r in results.iter().filter(|r| r.verdict == Verdict::Fail) {
        let _ = writeln!(out, "\n{} x {}:", r.scenario, r.client);
        for f in &r.failures {
            let _ = writeln!(out, "  - {}: {}", f.check, f.reason);
        }
        if let Some(said) = &r.client_said {
            let _ = writeln!(out, "  client said: {said}");
        }
        for l in &r.journal_excerpt {
            let _ = writeln!(out, "    {l}");
        }
    }
    out
}

/// Clients all of whose results are skips for not being installed, with the reason.
fn skipped_clients(results: &[RunResult]) -> Vec<(String, String)> {
    let (_, clients) = columns(results);
    clients
        .into_iter()
        .filter_map(|c| {
            let rs: Vec<&RunResult> = results.iter().filter(|r| r.client == c).collect();
            let all_skipped = rs.iter().all(|r| r.verdict == Verdict::Skip);
            let why = rs.first().and_then(|r| r.client_said.clone())?;
            (all_skipped && why.starts_with("not installed")).then_some((c, why))
        })
        .collect()
}

/// The matrix as Markdown for a pull request: the table, skipped clients, and for each
/// failure its checks, what the client said and the journal excerpt.
pub fn markdown(results: &[RunResult]) -> String {
    let (scenarios, clients) = columns(results);
    let mut out = String::from("## Client conformance\n\n| scenario |");
    for c in &clients {
        let _ = write!(out, " {c} |");
    }
    out.push_str("\n|---|");
    for _ in &clients {
        out.push_str("---|");
    }
    out.push('\n');
    for s in &scenarios {
        let _ = write!(out, "| {s} |");
        for c in &clients {
            let text = match find(results, s, c) {
                None => "·".to_string(),
                Some(r) => match r.verdict {
                    Verdict::Pass => "✅".into(),
                    Verdict::Skip => "⏭".into(),
                    Verdict::Fail => format!("❌ {}", r.failures.first().map_or("", |f| f.check)),
                },
            };
            let _ = write!(out, " {text} |");
        }
        out.push('\n');
    }
    let (p, f, k) = crate::scenario::report::counts(results);
    let _ = writeln!(
        out,
        "\n{p} passed, {f} failed, {k} skipped. ✅ pass · ❌ fail (its most specific failed check) · ⏭ skipped · `·` not applicable."
    );
    let skipped = skipped_clients(results);
    if !skipped.is_empty() {
        out.push_str("\n### Not installed\n\n");
        for (c, why) in skipped {
            let _ = writeln!(out, "- **{c}**: {}", why.replace('|', "\\|"));
        }
    }
    let other_skips: Vec<&RunResult> = results
        .iter()
        .filter(|r| r.verdict == Verdict::Skip)
        .filter(|r| {
            !r.client_said
                .as_deref()
                .is_some_and(|w| w.starts_with("not installed"))
        })
        .collect();
    if !other_skips.is_empty() {
        out.push_str("\n### Skipped by profile\n\n");
        for r in other_skips {
            let _ = writeln!(
                out,
                "- {} × {}: {}",
                r.scenario,
                r.client,
                r.client_said.as_deref().unwrap_or("")
            );
        }
    }
    let fails: Vec<&RunResult> = results
        .iter()
        .filter(|r| r.verdict == Verdict::Fail)
        .collect();
    if !fails.is_empty() {
        out.push_str("\n### Failures\n");
    }
    for r in fails {
        let _ = writeln!(out, "\n#### {} × {}\n", r.scenario, r.client);
        for f in &r.failures {
            let _ = writeln!(out, "- **{}**: {}", f.check, f.reason);
        }
        if let Some(said) = &r.client_said {
            let _ = writeln!(out, "- client said: `{}`", said.replace('`', "'"));
        }
        if !r.journal_excerpt.is_empty() {
            out.push_str("\n```\n");
            for l in &r.journal_excerpt {
                let _ = writeln!(out, "{l}");
            }
            out.push_str("```\n");
        }
    }
    out
}
