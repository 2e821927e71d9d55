//! Progress display for `mpu upload`: an indicatif bar (bytes, rate, ETA) on a terminal, plain
//! lines otherwise.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::uploader::report::human_bytes;
use crate::uploader::{ProgressEvent, ProgressFn};

/// How progress is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A live bar on stderr.
    Bar,
    /// Plain lines on stderr, at most one progress line per second plus every retry.
    Lines,
    /// Nothing.
    Quiet,
}

/// A progress callback for the chosen mode.
pub fn callback(mode: Mode) -> Option<ProgressFn> {
    match mode {
        Mode::Quiet => None,
        Mode::Bar => {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] [{wide_bar}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            Some(Arc::new(move |e: &ProgressEvent| on_bar(&bar, e)))
        }
        Mode::Lines => {
            let state = Mutex::new(Lines::default());
            Some(Arc::new(move |e: &ProgressEvent| {
                let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
                s.on(e);
            }))
        }
    }
}

fn on_bar(bar: &ProgressBar, event: &ProgressEvent) {
    match event {
        ProgressEvent::Started {
            upload_id,
            total_bytes,
            parts,
            part_size,
            resumed,
        } => {
            bar.set_length(*total_bytes);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar.println(format!(
                "{} upload {upload_id}: {parts} parts of {}",
                if *resumed { "resuming" } else { "started" },
                human_bytes(*part_size)
            ));
        }
        ProgressEvent::Sent { bytes } | ProgressEvent::PartReused { bytes, .. } => bar.inc(*bytes),
        ProgressEvent::Rewound { bytes } => bar.set_position(bar.position().saturating_sub(*bytes)),
        ProgressEvent::PartDone { .. } => {}
        ProgressEvent::Retrying {
            phase,
            attempt,
            cause,
            delay,
        } => bar.println(format!(
            "retrying {phase} (attempt {attempt} failed: {cause}) in {} ms",
            delay.as_millis()
        )),
        ProgressEvent::Completing => bar.set_message("completing"),
        ProgressEvent::Aborting { upload_id } => {
            bar.set_message("aborting");
            bar.println(format!("aborting upload {upload_id}"));
        }
        ProgressEvent::Finished => bar.finish_and_clear(),
    }
}

#[derive(Debug, Default)]
struct Lines {
    total: u64,
    position: u64,
    parts: u32,
    parts_done: u32,
    started: Option<Instant>,
    last_line: Option<Instant>,
}

impl Lines {
    fn line(&self, text: &str) {
        let _ = writeln!(std::io::stderr(), "mpu: {text}");
    }

    fn on(&mut self, event: &ProgressEvent) {
        match event {
            ProgressEvent::Started {
                upload_id,
                total_bytes,
                parts,
                part_size,
                resumed,
            } => {
                self.total = *total_bytes;
                self.parts = *parts;
                self.started = Some(Instant::now());
                self.line(&format!(
                    "{} upload {upload_id}: {} in {parts} parts of {}",
                    if *resumed { "resuming" } else { "started" },
                    human_bytes(*total_bytes),
                    human_bytes(*part_size)
                ));
            }
            ProgressEvent::Sent { bytes } => self.position += bytes,
            ProgressEvent::Rewound { bytes } => {
                self.position = self.position.saturating_sub(*bytes)
            }
            ProgressEvent::PartDone { .. } | ProgressEvent::PartReused { .. } => {
                if let ProgressEvent::PartReused { bytes, .. } = event {
                    self.position += bytes;
                }
                self.parts_done += 1;
                let now = Instant::now();
                let due = self
                    .last_line
                    .is_none_or(|t| now.duration_since(t) >= Duration::from_secs(1));
                if due || self.parts_done == self.parts {
                    self.last_line = Some(now);
                    let pct = if self.total > 0 {
                        self.position as f64 * 100.0 / self.total as f64
                    } else {
                        100.0
                    };
                    let rate = self
                        .started
                        .map(|s| now.duration_since(s).as_secs_f64())
                        .filter(|s| *s > 0.0)
                        .map(|s| human_bytes((self.position as f64 / s) as u64))
                        .unwrap_or_else(|| "-".into());
                    self.line(&format!(
                        "{}/{} parts, {} of {} ({pct:.0}%), {rate}/s",
                        self.parts_done,
                        self.parts,
                        human_bytes(self.position),
                        human_bytes(self.total)
                    ));
                }
            }
            ProgressEvent::Retrying {
                phase,
                attempt,
                cause,
                delay,
            } => self.line(&format!(
                "retrying {phase} (attempt {attempt} failed: {cause}) in {} ms",
                delay.as_millis()
            )),
            ProgressEvent::Completing => self.line("completing"),
            ProgressEvent::Aborting { upload_id } => {
                self.line(&format!("aborting upload {upload_id}"))
            }
            ProgressEvent::Finished => {}
        }
    }
}
