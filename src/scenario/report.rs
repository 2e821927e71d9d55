//! Reports of scenario runs: a terminal table, JSON, JUnit XML and Markdown.

use super::runner::{RunResult, Verdict};
use std::fmt::Write as _;

fn human_rate(bytes_per_sec: f64) -> String {
    if bytes_per_sec <= 0.0 {
        return "-".into();
    }
    let mb = bytes_per_sec / 1e6;
    if mb >= 100.0 {
        format!("{mb:.0} MB/s")
    } else {
        format!("{mb:.1} MB/s")
    }
}

fn retries(r: &RunResult) -> String {
    if r.retries.is_empty() {
        return "0".into();
    }
    r.retries
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The terminal table: scenario, client, verdict, requests, retries by cause, throughput, and
/// a one-line reason for each failure.
pub fn table(results: &[RunResult]) -> String {
    let w = results
        .iter()
        .map(|r| r.scenario.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let cw = results
        .iter()
        .map(|r| r.client.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let mut out = format!(
        "{:<w$}  {:<cw$}  {:<7}  {:>8}  {:>10}  {:<28}  {}\n",
        "scenario", "client", "verdict", "requests", "throughput", "retries", "reason"
    );
    for r in results {
        let verdict = match r.verdict {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Skip => "skip",
        };
        let _ = writeln!(
            out,
            "{:<w$}  {:<cw$}  {:<7}  {:>8}  {:>10}  {:<28}  {}",
            r.scenario,
            r.client,
            verdict,
            r.requests,
            human_rate(r.throughput),
            retries(r),
            r.reason()
        );
    }
    let (p, f, s) = counts(results);
    let _ = writeln!(out, "\n{p} passed, {f} failed, {s} skipped");
    out
}

/// (passed, failed, skipped).
pub fn counts(results: &[RunResult]) -> (usize, usize, usize) {
    let n = |v| results.iter().filter(|r| r.verdict == v).count();
    (n(Verdict::Pass), n(Verdict::Fail), n(Verdict::Skip))
}

fn xml_escape(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// JUnit XML: one test suite per client, one test case per scenario.
pub fn junit(results: &[RunResult]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    let mut clients: Vec<&str> = results.iter().map(|r| r.client.as_str()).collect();
    clients.dedup();
    clients.sort();
    clients.dedup();
    for c in clients {
        let rs: Vec<&RunResult> = results.iter().filter(|r| r.client == c).collect();
        let failures = rs.iter().filter(|r| r.verdict == Verdict::Fail).count();
        let skipped = rs.iter().filter(|r| r.verdict == Verdict::Skip).count();
        let time: f64 = rs.iter().map(|r| r.seconds).sum();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\" time=\"{time:.3}\">",
            xml_escape(c),
            rs.len()
        );
        for r in rs {
            let _ = write!(
                out,
                "    <testcase classname=\"{}.{}\" name=\"{}\" time=\"{:.3}\"",
                xml_escape(c),
                r.dialect,
                xml_escape(&r.scenario),
                r.seconds
            );
            match r.verdict {
                Verdict::Pass => out.push_str("/>\n"),
                Verdict::Skip => {
                    let _ = writeln!(
                        out,
                        "><skipped message=\"{}\"/></testcase>",
                        xml_escape(&r.reason())
                    );
                }
                Verdict::Fail => {
                    let detail: Vec<String> = r
                        .failures
                        .iter()
                        .map(|f| format!("{}: {}", f.check, f.reason))
                        .chain(r.journal_excerpt.iter().cloned())
                        .collect();
                    let _ = writeln!(
                        out,
                        "><failure message=\"{}\">{}</failure></testcase>",
                        xml_escape(&r.reason()),
                        xml_escape(&detail.join("\n"))
                    );
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// JSON: every result.
pub fn json(results: &[RunResult]) -> String {
    serde_json::to_string_pretty(results).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// Markdown: a summary table and, for each failure, its checks and journal excerpt.
pub fn markdown(results: &[RunResult]) -> String {
    let mut out = String::from("| scenario | dialect | client | verdict | requests | retries | reason |\n|---|---|---|---|---|---|---|\n");
    for r in results {
        let v = match r.verdict {
            Verdict::Pass => "✅ pass",
            Verdict::Fail => "❌ fail",
            Verdict::Skip => "⏭ skip",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {v} | {} | {} | {} |",
            r.scenario,
            r.dialect,
            r.client,
            r.requests,
            retries(r),
            r.reason().replace('|', "\\|")
        );
    }
    for r in results.iter().filter(|r| r.verdict == Verdict::Fail) {
        let _ = writeln!(out, "\n### {} × {}\n", r.scenario, r.client);
        for f in &r.failures {
            let _ = writeln!(out, "- **{}**: {}", f.check, f.reason);
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
