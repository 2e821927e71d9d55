//! Expectations on the requests a client makes, checked against the journal — by
//! [`crate::MockServer::verify`], and automatically when the server is dropped.
//!
//! ```
//! use mock_server::expect::Expect;
//! use mock_server::ops::OpKind;
//! let abort_once = Expect::op(OpKind::AbortMultipartUpload).times(1);
//! let nothing_late = Expect::none(OpKind::UploadPart).after(OpKind::CompleteMultipartUpload);
//! # let _ = (abort_once, nothing_late);
//! ```

use crate::journal::JournalEntry;
use crate::ops::OpKind;
use std::fmt::Write as _;

/// How many matching requests are expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Times {
    /// Exactly n.
    Exactly(u64),
    /// At least n.
    AtLeast(u64),
    /// At most n.
    AtMost(u64),
    /// Between a and b inclusive.
    Between(u64, u64),
}

impl Times {
    fn ok(self, n: u64) -> bool {
        match self {
            Times::Exactly(x) => n == x,
            Times::AtLeast(x) => n >= x,
            Times::AtMost(x) => n <= x,
            Times::Between(a, b) => (a..=b).contains(&n),
        }
    }
    fn describe(self) -> String {
        match self {
            Times::Exactly(x) => format!("exactly {x}"),
            Times::AtLeast(x) => format!("at least {x}"),
            Times::AtMost(x) => format!("at most {x}"),
            Times::Between(a, b) => format!("between {a} and {b}"),
        }
    }
}

/// An expectation about the journal.
#[derive(Debug, Clone, PartialEq)]
pub struct Expect {
    op: OpKind,
    part: Option<u32>,
    key: Option<String>,
    times: Times,
    after: Option<OpKind>,
    name: Option<String>,
}

impl Expect {
    /// Requests of this operation (default: at least one).
    pub fn op(op: OpKind) -> Expect {
        Expect {
            op,
            part: None,
            key: None,
            times: Times::AtLeast(1),
            after: None,
            name: None,
        }
    }
    /// No request of this operation (refine with [`after`](Self::after)).
    pub fn none(op: OpKind) -> Expect {
        Expect::op(op).times(0)
    }
    /// Exactly `n` matching requests.
    pub fn times(mut self, n: u64) -> Expect {
        self.times = Times::Exactly(n);
        self
    }
    /// A count rule.
    pub fn count(mut self, t: Times) -> Expect {
        self.times = t;
        self
    }
    /// Only requests for this part number.
    pub fn part(mut self, n: u32) -> Expect {
        self.part = Some(n);
        self
    }
    /// Only requests for this key.
    pub fn key(mut self, k: &str) -> Expect {
        self.key = Some(k.to_string());
        self
    }
    /// Only count requests that came after the first successful request of `op`.
    pub fn after(mut self, op: OpKind) -> Expect {
        self.after = Some(op);
        self
    }
    /// A name for the report.
    pub fn named(mut self, name: &str) -> Expect {
        self.name = Some(name.to_string());
        self
    }

    fn describe(&self) -> String {
        let mut s = format!("{} {}", self.times.describe(), self.op.name());
        if let Some(p) = self.part {
            let _ = write!(s, " of part {p}");
        }
        if let Some(k) = &self.key {
            let _ = write!(s, " on key {k:?}");
        }
        if let Some(a) = self.after {
            let _ = write!(s, " after the first successful {}", a.name());
        }
        match &self.name {
            Some(n) => format!("{n}: {s}"),
            None => s,
        }
    }

    /// Checks the expectation; `Err` explains what was seen.
    pub fn check(&self, journal: &[JournalEntry]) -> Result<(), String> {
        let start = match self.after {
            None => 0,
            Some(op) => match journal.iter().position(|e| {
                e.op == Some(op) && e.status.is_some_and(|s| s < 300) && e.error_code.is_none()
            }) {
                Some(i) => i + 1,
                None => journal.len(),
            },
        };
        let seen: Vec<&JournalEntry> = journal[start..]
            .iter()
            .filter(|e| e.op == Some(self.op))
            .filter(|e| self.part.is_none_or(|p| e.part_number == Some(p)))
            .filter(|e| self.key.as_ref().is_none_or(|k| e.key.as_ref() == Some(k)))
            .collect();
        if self.times.ok(seen.len() as u64) {
            return Ok(());
        }
        let mut msg = format!("expected {}, saw {}", self.describe(), seen.len());
        for e in seen.iter().take(10) {
            let _ = write!(
                msg,
                "\n      #{} {} {} part={} attempt={} -> {}",
                e.seq,
                e.method,
                e.path,
                e.part_number.map_or("-".into(), |p| p.to_string()),
                e.attempt,
                e.status.map_or("dropped".into(), |s| s.to_string())
            );
        }
        Err(msg)
    }
}

/// Checks every expectation; the error lists the failed ones and the requests seen.
pub fn verify(expectations: &[Expect], journal: &[JournalEntry]) -> Result<(), String> {
    let failures: Vec<String> = expectations
        .iter()
        .filter_map(|e| e.check(journal).err())
        .collect();
    if failures.is_empty() {
        return Ok(());
    }
    let mut report = format!(
        "{} of {} expectations failed:\n",
        failures.len(),
        expectations.len()
    );
    for f in &failures {
        let _ = writeln!(report, "  - {f}");
    }
    let _ = writeln!(report, "requests seen ({}):", journal.len());
    for e in journal.iter().take(200) {
        let _ = writeln!(
            report,
            "    #{:<4} {:<24} {:<6} {} -> {}{}",
            e.seq,
            e.op.map_or("?", |o| o.name()),
            e.method,
            e.path,
            e.status.map_or("dropped".into(), |s| s.to_string()),
            if e.faults.is_empty() {
                String::new()
            } else {
                format!("  [fault: {}]", e.faults.join(", "))
            }
        );
    }
    Err(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u64, op: OpKind, part: Option<u32>, status: u16) -> JournalEntry {
        JournalEntry {
            seq,
            op: Some(op),
            part_number: part,
            status: Some(status),
            method: "PUT".into(),
            path: "/b/k".into(),
            attempt: 1,
            ..Default::default()
        }
    }

    #[test]
    fn counts_and_order() {
        let j = vec![
            entry(1, OpKind::CreateMultipartUpload, None, 200),
            entry(2, OpKind::UploadPart, Some(1), 200),
            entry(3, OpKind::UploadPart, Some(2), 503),
            entry(4, OpKind::UploadPart, Some(2), 200),
            entry(5, OpKind::CompleteMultipartUpload, None, 200),
            entry(6, OpKind::UploadPart, Some(3), 200),
        ];
        assert!(Expect::op(OpKind::UploadPart)
            .part(2)
            .times(2)
            .check(&j)
            .is_ok());
        assert!(Expect::none(OpKind::AbortMultipartUpload).check(&j).is_ok());
        let late = Expect::none(OpKind::UploadPart).after(OpKind::CompleteMultipartUpload);
        let err = late.check(&j).unwrap_err();
        assert!(err.contains("saw 1") && err.contains("#6"), "{err}");
        let report = verify(
            &[late, Expect::op(OpKind::AbortMultipartUpload).times(1)],
            &j,
        )
        .unwrap_err();
        assert!(report.starts_with("2 of 2 expectations failed"), "{report}");
    }
}
