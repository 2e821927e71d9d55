//! An SVG heatmap of throughput over part size (columns) x concurrency (rows), written by hand
//! (a few dozen elements; no plotting dependency needed). The best cell is outlined.

use std::fmt::Write;

use super::matrix::MatrixResult;
use super::report::size_label;

const CELL_W: usize = 110;
const CELL_H: usize = 56;
const LEFT: usize = 110;
const TOP: usize = 70;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Colour for a value in 0..=1: pale yellow to dark blue (viridis-like, two stops).
pub fn colour(t: f64) -> String {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        lerp(253.0, 33.0),
        lerp(231.0, 65.0),
        lerp(37.0, 154.0)
    )
}

/// The heatmap as an SVG document.
pub fn svg(result: &MatrixResult) -> String {
    let mut parts: Vec<u64> = result.cells.iter().map(|c| c.part_size).collect();
    parts.sort_unstable();
    parts.dedup();
    let mut concs: Vec<usize> = result.cells.iter().map(|c| c.concurrency).collect();
    concs.sort_unstable();
    concs.dedup();
    let max = result
        .cells
        .iter()
        .filter(|c| c.error.is_none())
        .map(|c| c.mb_per_s)
        .fold(0.0f64, f64::max);
    let best = result.best().map(|c| (c.part_size, c.concurrency));
    let width = LEFT + parts.len() * CELL_W + 20;
    let height = TOP + concs.len() * CELL_H + 50;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         font-family=\"sans-serif\" font-size=\"13\">"
    );
    let _ = writeln!(
        out,
        "<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n\
         <text x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"bold\">Upload throughput (MB/s): {}</text>\n\
         <text x=\"10\" y=\"42\">{} client, {} per cell; outlined: best</text>",
        escape(&result.target),
        escape(&result.client),
        size_label(result.size)
    );
    for (ci, conc) in concs.iter().enumerate() {
        let y = TOP + ci * CELL_H;
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">concurrency {conc}</text>",
            LEFT - 8,
            y + CELL_H / 2 + 5
        );
        for (pi, part) in parts.iter().enumerate() {
            let x = LEFT + pi * CELL_W;
            let cell = result
                .cells
                .iter()
                .find(|c| c.part_size == *part && c.concurrency == *conc);
            let (fill, label) = match cell {
                Some(c) if c.error.is_none() => {
                    let t = if max > 0.0 { c.mb_per_s / max } else { 0.0 };
                    (colour(t), format!("{:.0}", c.mb_per_s))
                }
                Some(_) => ("#d0d0d0".to_string(), "failed".to_string()),
                None => ("#f4f4f4".to_string(), String::new()),
            };
            let is_best = best == Some((*part, *conc));
            let stroke = if is_best {
                "stroke=\"#d62728\" stroke-width=\"4\""
            } else {
                "stroke=\"white\" stroke-width=\"1\""
            };
            let text_fill = match cell {
                Some(c) if c.error.is_none() && max > 0.0 && c.mb_per_s / max > 0.55 => "white",
                _ => "black",
            };
            let _ = writeln!(
                out,
                "<rect x=\"{x}\" y=\"{y}\" width=\"{CELL_W}\" height=\"{CELL_H}\" fill=\"{fill}\" {stroke}/>\n\
                 <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{text_fill}\">{label}</text>",
                x + CELL_W / 2,
                y + CELL_H / 2 + 5
            );
        }
    }
    let y = TOP + concs.len() * CELL_H + 20;
    for (pi, part) in parts.iter().enumerate() {
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{y}\" text-anchor=\"middle\">{}</text>",
            LEFT + pi * CELL_W + CELL_W / 2,
            size_label(*part)
        );
    }
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">part size</text>\n</svg>",
        LEFT + parts.len() * CELL_W / 2,
        y + 22
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::matrix::{Cell, Machine};

    fn cell(part_size: u64, concurrency: usize, mb_per_s: f64) -> Cell {
        Cell {
            part_size,
            concurrency,
            bytes: 1,
            secs: 1.0,
            mb_per_s,
            cpu_secs: Some(0.5),
            requests: 1,
            requests_per_s: 1.0,
            part_p50_ms: None,
            part_p99_ms: None,
            peak_rss_bytes: None,
            client_peak_memory_bytes: None,
            error: None,
        }
    }

    #[test]
    fn colours_span_the_scale() {
        assert_eq!(colour(0.0), "#fde725");
        assert_eq!(colour(1.0), "#21419a");
        assert_eq!(colour(f64::NAN), colour(0.0));
        assert_eq!(colour(7.0), colour(1.0));
    }

    #[test]
    fn svg_has_one_rect_per_cell_and_outlines_the_best() {
        let r = MatrixResult {
            target: "a <b>".into(),
            client: "lean".into(),
            size: 1 << 20,
            machine: Machine {
                cpu: "x".into(),
                cpus: 1,
            },
            cells: vec![
                cell(1 << 20, 1, 10.0),
                cell(2 << 20, 1, 20.0),
                cell(1 << 20, 4, 40.0),
                cell(2 << 20, 4, 30.0),
            ],
        };
        let s = svg(&r);
        assert!(s.starts_with("<svg") && s.trim_end().ends_with("</svg>"));
        assert_eq!(s.matches("<rect").count(), 5); // background + 4 cells
        assert_eq!(s.matches("stroke=\"#d62728\"").count(), 1);
        assert!(s.contains(">40</text>"));
        assert!(s.contains("a &lt;b&gt;"));
        assert!(s.contains(">2MiB</text>") && s.contains("concurrency 4"));
    }
}
