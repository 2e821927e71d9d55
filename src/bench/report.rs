//! Rendering a [`MatrixResult`]: a text table with the best cell marked, CSV and JSON.

use std::fmt::Write;

use super::matrix::{Cell, MatrixResult};

/// A byte count as `5MiB`, `1GiB`, `1536KiB` or `100B`: the largest binary unit that divides it.
pub fn size_label(bytes: u64) -> String {
    for (shift, unit) in [(30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if bytes >= 1 << shift && bytes & ((1u64 << shift) - 1) == 0 {
            return format!("{}{unit}", bytes >> shift);
        }
    }
    format!("{bytes}B")
}

fn opt(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.1}")).unwrap_or_else(|| "-".into())
}

fn mib(v: Option<u64>) -> String {
    v.map(|x| format!("{:.0}", x as f64 / (1 << 20) as f64))
        .unwrap_or_else(|| "-".into())
}

/// The results as a text table, one line per cell; the best cell is marked with `*`.
pub fn table(result: &MatrixResult) -> String {
    let best = result.best().map(|c| (c.part_size, c.concurrency));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} with {} client, {} per cell, on {} ({} CPUs)",
        result.target,
        result.client,
        size_label(result.size),
        result.machine.cpu,
        result.machine.cpus
    );
    let _ = writeln!(
        out,
        "  {:>9} {:>5} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10}",
        "part", "conc", "MB/s", "MB/cpu-s", "req/s", "p50 ms", "p99 ms", "RSS MiB", "client MiB"
    );
    for c in &result.cells {
        let mark = if Some((c.part_size, c.concurrency)) == best {
            "*"
        } else {
            " "
        };
        if let Some(e) = &c.error {
            let _ = writeln!(
                out,
                "{mark} {:>9} {:>5}  FAILED: {e}",
                size_label(c.part_size),
                c.concurrency
            );
            continue;
        }
        let _ = writeln!(
            out,
            "{mark} {:>9} {:>5} {:>9.1} {:>9} {:>9.1} {:>9} {:>9} {:>9} {:>10}",
            size_label(c.part_size),
            c.concurrency,
            c.mb_per_s,
            opt(c
                .cpu_secs
                .filter(|s| *s > 0.0)
                .map(|s| c.bytes as f64 / s / 1e6)),
            c.requests_per_s,
            opt(c.part_p50_ms),
            opt(c.part_p99_ms),
            mib(c.peak_rss_bytes),
            mib(c.client_peak_memory_bytes)
        );
    }
    if let Some(b) = result.best() {
        let _ = writeln!(
            out,
            "best: part size {} at concurrency {}: {:.1} MB/s",
            size_label(b.part_size),
            b.concurrency,
            b.mb_per_s
        );
    }
    out
}

/// The CSV header line.
pub const CSV_HEADER: &str =
    "target,client,part_size,concurrency,bytes,secs,mb_per_s,cpu_secs,requests,\
requests_per_s,part_p50_ms,part_p99_ms,peak_rss_bytes,client_peak_memory_bytes,best,error";

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv_row(result: &MatrixResult, c: &Cell, best: bool) -> String {
    let o = |v: Option<f64>| v.map(|x| format!("{x:.3}")).unwrap_or_default();
    let u = |v: Option<u64>| v.map(|x| x.to_string()).unwrap_or_default();
    format!(
        "{},{},{},{},{},{:.6},{:.3},{},{},{:.3},{},{},{},{},{},{}",
        csv_field(&result.target),
        csv_field(&result.client),
        c.part_size,
        c.concurrency,
        c.bytes,
        c.secs,
        c.mb_per_s,
        o(c.cpu_secs),
        c.requests,
        c.requests_per_s,
        o(c.part_p50_ms),
        o(c.part_p99_ms),
        u(c.peak_rss_bytes),
        u(c.client_peak_memory_bytes),
        best,
        csv_field(c.error.as_deref().unwrap_or(""))
    )
}

/// The results as CSV: [`CSV_HEADER`], then one row per cell of every result.
pub fn csv(results: &[MatrixResult]) -> String {
    let mut out = String::from(CSV_HEADER);
    out.push('\n');
    for r in results {
        let best = r.best().map(|c| (c.part_size, c.concurrency));
        for c in &r.cells {
            out.push_str(&csv_row(r, c, Some((c.part_size, c.concurrency)) == best));
            out.push('\n');
        }
    }
    out
}

/// The results as pretty JSON: `{"results": [MatrixResult...], "ratios": [...]}`.
pub fn json(results: &[MatrixResult], ratios: &[PeerRatio]) -> String {
    let doc = serde_json::json!({ "results": results, "ratios": ratios });
    serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// Throughput of the mock over a peer's for one cell.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PeerRatio {
    /// The peer's name.
    pub peer: String,
    /// Part size.
    pub part_size: u64,
    /// Concurrency.
    pub concurrency: usize,
    /// The mock's MB/s.
    pub mock_mb_per_s: f64,
    /// The peer's MB/s.
    pub peer_mb_per_s: f64,
    /// mock / peer (`None` when the peer failed).
    pub ratio: Option<f64>,
}

/// Cell-by-cell ratios of `mock` over `peer` (cells matched by part size and concurrency).
pub fn ratios(mock: &MatrixResult, peer: &MatrixResult) -> Vec<PeerRatio> {
    mock.cells
        .iter()
        .filter_map(|m| {
            let p = peer
                .cells
                .iter()
                .find(|p| p.part_size == m.part_size && p.concurrency == m.concurrency)?;
            let ok = p.error.is_none() && m.error.is_none() && p.mb_per_s > 0.0;
            Some(PeerRatio {
                peer: peer.target.clone(),
                part_size: m.part_size,
                concurrency: m.concurrency,
                mock_mb_per_s: m.mb_per_s,
                peer_mb_per_s: p.mb_per_s,
                ratio: ok.then(|| m.mb_per_s / p.mb_per_s),
            })
        })
        .collect()
}

/// The ratios as a text table.
pub fn ratio_table(ratios: &[PeerRatio]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  {:>9} {:>5} {:>11} {:>11} {:>7}",
        "part", "conc", "mock MB/s", "peer MB/s", "ratio"
    );
    for r in ratios {
        let _ = writeln!(
            out,
            "  {:>9} {:>5} {:>11.1} {:>11.1} {:>7}",
            size_label(r.part_size),
            r.concurrency,
            r.mock_mb_per_s,
            r.peer_mb_per_s,
            r.ratio
                .map(|x| format!("{x:.2}x"))
                .unwrap_or_else(|| "-".into())
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::matrix::Machine;

    fn cell(part_size: u64, concurrency: usize, mb_per_s: f64) -> Cell {
        Cell {
            part_size,
            concurrency,
            bytes: 100,
            secs: 1.0,
            mb_per_s,
            cpu_secs: Some(0.5),
            requests: 4,
            requests_per_s: 4.0,
            part_p50_ms: Some(1.0),
            part_p99_ms: None,
            peak_rss_bytes: Some(3 << 20),
            client_peak_memory_bytes: None,
            error: None,
        }
    }

    fn result(cells: Vec<Cell>) -> MatrixResult {
        MatrixResult {
            target: "mock, disk".into(),
            client: "lean".into(),
            size: 1 << 30,
            machine: Machine {
                cpu: "x".into(),
                cpus: 2,
            },
            cells,
        }
    }

    #[test]
    fn sizes_are_labelled_in_the_largest_exact_unit() {
        assert_eq!(size_label(5 << 20), "5MiB");
        assert_eq!(size_label(1 << 30), "1GiB");
        assert_eq!(size_label(1536 << 10), "1536KiB");
        assert_eq!(size_label(1000), "1000B");
    }

    #[test]
    fn table_marks_the_best_cell_and_skips_failures() {
        let mut failed = cell(8 << 20, 8, 9999.0);
        failed.error = Some("boom".into());
        let r = result(vec![cell(5 << 20, 1, 10.0), cell(5 << 20, 4, 30.0), failed]);
        let t = table(&r);
        let best: Vec<&str> = t.lines().filter(|l| l.starts_with('*')).collect();
        assert_eq!(best.len(), 1, "{t}");
        assert!(best[0].contains("30.0"), "{t}");
        assert!(t.contains("FAILED: boom"));
        assert!(t.contains("best: part size 5MiB at concurrency 4"));
    }

    #[test]
    fn csv_has_a_row_per_cell_with_quoted_fields() {
        let r = result(vec![cell(5 << 20, 1, 10.0), cell(5 << 20, 4, 30.0)]);
        let text = csv(std::slice::from_ref(&r));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], CSV_HEADER);
        assert!(
            lines[1].starts_with("\"mock, disk\",lean,5242880,1,"),
            "{}",
            lines[1]
        );
        assert!(lines[2].contains(",true,"));
        assert!(lines[1].contains(",false,"));
        let cols = CSV_HEADER.split(',').count();
        assert_eq!(lines[2].matches(',').count(), cols); // one quoted comma in the target
    }

    #[test]
    fn json_round_trips_and_ratios_match_cells() {
        let mock = result(vec![cell(5 << 20, 1, 30.0), cell(5 << 20, 4, 60.0)]);
        let mut peer = result(vec![cell(5 << 20, 1, 10.0), cell(5 << 20, 4, 0.0)]);
        peer.target = "moto".into();
        let rs = ratios(&mock, &peer);
        assert_eq!(rs.len(), 2);
        assert_eq!(rs[0].ratio, Some(3.0));
        assert_eq!(rs[1].ratio, None);
        let text = json(&[mock.clone(), peer], &rs);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let back: MatrixResult = serde_json::from_value(v["results"][0].clone()).unwrap();
        assert_eq!(back, mock);
        assert_eq!(v["ratios"][0]["ratio"], 3.0);
        assert!(ratio_table(&rs).contains("3.00x"));
    }
}
