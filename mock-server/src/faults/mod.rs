//! Fault injection: rules of match + action + schedule, applied at defined moments of a
//! request's life.
//!
//! One schema serves all three control planes: the Rust builder ([`Fault`]), the admin API
//! (`POST /_mock/faults` with JSON) and `[[fault]]` tables in scenario TOML files.
//!
//! ```
//! use mock_server::faults::Fault;
//! use mock_server::ops::OpKind;
//! // Store part 3, then drop the connection before answering — once.
//! let rule = Fault::drop_after_commit().on(OpKind::UploadPart).part(3).times(1);
//! // The same as JSON, for POST /_mock/faults:
//! let json = serde_json::to_string(&rule).unwrap();
//! assert!(json.contains("drop_after_commit"));
//! ```
//!
//! Determinism: a probability is decided by hashing the seed with the request's identity
//! (operation, key, part number, attempt) — not drawn from a shared random stream — so the
//! same seed fires the same faults on the same (operation, part, attempt) set whatever the
//! concurrency and timing. `nth` and `every` count matching requests in arrival order.

mod engine;

pub use engine::{draws, FaultEngine, Fired, RequestIdentity, RuleInfo};

use crate::dialect::Dialect;
use crate::ops::OpKind;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Which requests a rule applies to. Every field that is set must match.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Match {
    /// Only this dialect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialect: Option<Dialect>,
    /// Only these operations (one name or a list, S3 names: `UploadPart`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "one_or_many")]
    pub op: Vec<OpKind>,
    /// Only this bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    /// Only keys matching this glob (`big/*.bin`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Only this part number, or range `[from, to]` (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<NumberRange>,
    /// Only the nth time the same operation on the same key and part is seen (1 = first
    /// attempt, 2 = first retry), or a range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<NumberRange>,
}

/// A number or an inclusive range, written `3` or `[2, 5]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum NumberRange {
    /// Exactly this.
    One(u32),
    /// From, to (inclusive).
    Range(u32, u32),
}

impl NumberRange {
    /// Whether `n` is in the range.
    pub fn contains(self, n: u32) -> bool {
        match self {
            NumberRange::One(x) => n == x,
            NumberRange::Range(a, b) => (a..=b).contains(&n),
        }
    }
}

/// When a matching request makes the rule fire.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// Fire only on the nth matching request (1-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nth: Option<u64>,
    /// Fire on every nth matching request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<u64>,
    /// Fire with this probability, decided from the seed and the request's identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Fire at most this many times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
    /// Seed for `probability` (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

/// What to do to a request when a rule fires, and at which moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Close the connection before reading the body: nothing is stored.
    DropBeforeBody,
    /// Close the connection after reading this many body bytes: nothing is stored.
    DropAfterBodyBytes {
        /// Bytes read first.
        bytes: u64,
    },
    /// Do the operation (it takes effect), then close the connection without answering.
    DropAfterCommit,
    /// Answer normally but close the connection after this many response-body bytes
    /// (a truncated download).
    DropResponseAfterBytes {
        /// Bytes sent first.
        bytes: u64,
    },
    /// Answer this error instead of doing the operation, rendered in the request's dialect.
    Error {
        /// HTTP status.
        status: u16,
        /// Error code as the dialect spells it (`SlowDown`, `InternalError`, ...); defaults
        /// from the status.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
        /// Message.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// Do the operation correctly but answer a wrong ETag.
    BadEtag,
    /// Corrupt the payload in transit (one byte flipped at `offset`, default the middle of the
    /// first chunk): the server hashes, verifies and stores the damaged bytes and answers
    /// normally. A client that sent Content-MD5 or a checksum gets BadDigest; one that did not
    /// gets an ETag that differs from the MD5 of what it sent — and only a client that checks
    /// ETags notices.
    Corrupt {
        /// Payload offset of the flipped byte.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        offset: Option<u64>,
    },
    /// Wait before answering.
    Latency {
        /// Milliseconds.
        ms: u64,
    },
    /// Limit the request and/or response body rate.
    Bandwidth {
        /// Request body bytes per second.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request_bytes_per_sec: Option<u64>,
        /// Response body bytes per second.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        response_bytes_per_sec: Option<u64>,
    },
    /// Stop reading and answer nothing until the client gives up (or `ms` passes, then drop).
    Stall {
        /// Give up after this long (default 10 minutes).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ms: Option<u64>,
    },
    /// On complete (or copy): answer HTTP 200 with an error document as the body, without
    /// completing (S3's documented quirk).
    #[serde(rename = "error_in_200")]
    ErrorIn200 {
        /// Error code (default `InternalError`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
        /// Message.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// On complete: answer 200 at once, send whitespace keep-alives every `interval_ms` for
    /// `duration_ms`, then the result — or, with `error` set, an error document without
    /// completing.
    SlowComplete {
        /// Keep-alive interval.
        #[serde(default = "default_interval")]
        interval_ms: u64,
        /// How long to keep the client waiting.
        duration_ms: u64,
        /// End with this error code instead of the result.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
}

fn default_interval() -> u64 {
    1000
}

impl Action {
    /// The snake_case name of the action (`drop_after_commit`, ...), as in the schema.
    pub fn name(&self) -> &'static str {
        match self {
            Action::DropBeforeBody => "drop_before_body",
            Action::DropAfterBodyBytes { .. } => "drop_after_body_bytes",
            Action::DropAfterCommit => "drop_after_commit",
            Action::DropResponseAfterBytes { .. } => "drop_response_after_bytes",
            Action::Error { .. } => "error",
            Action::BadEtag => "bad_etag",
            Action::Corrupt { .. } => "corrupt",
            Action::Latency { .. } => "latency",
            Action::Bandwidth { .. } => "bandwidth",
            Action::Stall { .. } => "stall",
            Action::ErrorIn200 { .. } => "error_in_200",
            Action::SlowComplete { .. } => "slow_complete",
        }
    }

    /// Shaping actions (latency, bandwidth) combine with others; of the rest, the first
    /// firing rule's action applies.
    pub fn is_shaping(&self) -> bool {
        matches!(self, Action::Latency { .. } | Action::Bandwidth { .. })
    }
}

/// A fault rule: match + action + schedule. Build one with the constructors below and refine
/// it with the matchers and schedule methods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// Optional name, shown in the journal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Optional explanation (scenario files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Which requests.
    #[serde(default, rename = "match")]
    pub matcher: Match,
    /// What to do.
    pub action: Action,
    /// When.
    #[serde(default)]
    pub schedule: Schedule,
}

impl Fault {
    /// A rule with this action matching every request.
    pub fn new(action: Action) -> Fault {
        Fault {
            name: None,
            description: None,
            matcher: Match::default(),
            action,
            schedule: Schedule::default(),
        }
    }
    /// Close the connection before reading the body.
    pub fn drop_before_body() -> Fault {
        Fault::new(Action::DropBeforeBody)
    }
    /// Close the connection after `bytes` of the request body.
    pub fn drop_after_body_bytes(bytes: u64) -> Fault {
        Fault::new(Action::DropAfterBodyBytes { bytes })
    }
    /// Do the operation, then close the connection without answering.
    pub fn drop_after_commit() -> Fault {
        Fault::new(Action::DropAfterCommit)
    }
    /// Truncate the response body after `bytes`.
    pub fn drop_response_after_bytes(bytes: u64) -> Fault {
        Fault::new(Action::DropResponseAfterBytes { bytes })
    }
    /// Answer an error (`code` as the dialect spells it) instead of doing the operation.
    pub fn error(status: u16, code: &str) -> Fault {
        Fault::new(Action::Error {
            status,
            code: Some(code.to_string()),
            message: None,
        })
    }
    /// 503 SlowDown.
    pub fn throttle() -> Fault {
        Fault::error(503, "SlowDown")
    }
    /// Answer a wrong ETag.
    pub fn bad_etag() -> Fault {
        Fault::new(Action::BadEtag)
    }
    /// Store corrupted bytes, acknowledge normally.
    pub fn corrupt() -> Fault {
        Fault::new(Action::Corrupt { offset: None })
    }
    /// Wait before answering.
    pub fn latency(d: Duration) -> Fault {
        Fault::new(Action::Latency {
            ms: d.as_millis() as u64,
        })
    }
    /// Limit body rates (bytes per second).
    pub fn bandwidth(request: Option<u64>, response: Option<u64>) -> Fault {
        Fault::new(Action::Bandwidth {
            request_bytes_per_sec: request,
            response_bytes_per_sec: response,
        })
    }
    /// Answer nothing until the client gives up.
    pub fn stall() -> Fault {
        Fault::new(Action::Stall { ms: None })
    }
    /// HTTP 200 with an `<Error>` body (on complete).
    pub fn error_in_200() -> Fault {
        Fault::new(Action::ErrorIn200 {
            code: None,
            message: None,
        })
        .on(OpKind::CompleteMultipartUpload)
    }
    /// A slow complete with whitespace keep-alives; `error` ends it with that error code.
    pub fn slow_complete(duration: Duration, error: Option<&str>) -> Fault {
        Fault::new(Action::SlowComplete {
            interval_ms: (duration.as_millis() as u64 / 4).clamp(10, 1000),
            duration_ms: duration.as_millis() as u64,
            error: error.map(str::to_string),
        })
        .on(OpKind::CompleteMultipartUpload)
    }

    /// Only this operation (call again to add more).
    pub fn on(mut self, op: OpKind) -> Fault {
        self.matcher.op.push(op);
        self
    }
    /// Only this dialect.
    pub fn dialect(mut self, d: Dialect) -> Fault {
        self.matcher.dialect = Some(d);
        self
    }
    /// Only this bucket.
    pub fn bucket(mut self, b: &str) -> Fault {
        self.matcher.bucket = Some(b.to_string());
        self
    }
    /// Only keys matching this glob.
    pub fn key(mut self, glob: &str) -> Fault {
        self.matcher.key = Some(glob.to_string());
        self
    }
    /// Only this part number.
    pub fn part(mut self, n: u32) -> Fault {
        self.matcher.part = Some(NumberRange::One(n));
        self
    }
    /// Only part numbers in `from..=to`.
    pub fn parts(mut self, from: u32, to: u32) -> Fault {
        self.matcher.part = Some(NumberRange::Range(from, to));
        self
    }
    /// Only the nth attempt of the same operation on the same key and part.
    pub fn attempt(mut self, n: u32) -> Fault {
        self.matcher.attempt = Some(NumberRange::One(n));
        self
    }
    /// Only on the nth matching request.
    pub fn nth(mut self, n: u64) -> Fault {
        self.schedule.nth = Some(n);
        self
    }
    /// On every nth matching request.
    pub fn every(mut self, n: u64) -> Fault {
        self.schedule.every = Some(n);
        self
    }
    /// With probability `p`, decided from the seed and the request's identity.
    pub fn probability(mut self, p: f64) -> Fault {
        self.schedule.probability = Some(p);
        self
    }
    /// At most `k` firings.
    pub fn times(mut self, k: u64) -> Fault {
        self.schedule.times = Some(k);
        self
    }
    /// Seed for the probability.
    pub fn seed(mut self, seed: u64) -> Fault {
        self.schedule.seed = Some(seed);
        self
    }
    /// A name shown in the journal.
    pub fn named(mut self, name: &str) -> Fault {
        self.name = Some(name.to_string());
        self
    }

    /// Checks the rule is usable: a valid glob, a probability in 0..=1, non-zero counts.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(g) = &self.matcher.key {
            globset::Glob::new(g).map_err(|e| format!("match.key: invalid glob {g:?}: {e}"))?;
        }
        if let Some(p) = self.schedule.probability {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!(
                    "schedule.probability must be within 0..=1, got {p}"
                ));
            }
        }
        if self.schedule.nth == Some(0) || self.schedule.every == Some(0) {
            return Err("schedule.nth and schedule.every count from 1".into());
        }
        if let Action::Error { status, .. } = self.action {
            if !(400..=599).contains(&status) {
                return Err(format!(
                    "action.status must be an HTTP error status (400-599), got {status}"
                ));
            }
        }
        Ok(())
    }
}

/// Reads the `[[fault]]` tables of a scenario file (other keys are the scenario runner's).
pub fn rules_from_toml(text: &str) -> Result<Vec<Fault>, String> {
    #[derive(Deserialize)]
    struct Faults {
        #[serde(default)]
        fault: Vec<Fault>,
    }
    let f: Faults = toml::from_str(text).map_err(|e| e.to_string())?;
    for (i, rule) in f.fault.iter().enumerate() {
        rule.validate()
            .map_err(|e| format!("fault {}: {e}", i + 1))?;
    }
    Ok(f.fault)
}

mod one_or_many {
    use crate::ops::OpKind;
    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }

    pub fn serialize<S: Serializer>(v: &[OpKind], s: S) -> Result<S::Ok, S::Error> {
        if v.len() == 1 {
            s.serialize_str(v[0].name())
        } else {
            s.collect_seq(v.iter().map(|k| k.name()))
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<OpKind>, D::Error> {
        let names = match OneOrMany::deserialize(d)? {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        };
        names
            .into_iter()
            .map(|n| {
                OpKind::from_name(&n).ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "unknown operation {n:?}; expected an S3 operation name such as UploadPart or CompleteMultipartUpload"
                    ))
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_schema_for_json_and_toml() {
        let rule = Fault::drop_after_commit()
            .on(OpKind::UploadPart)
            .parts(2, 4)
            .attempt(1)
            .probability(0.5)
            .seed(7)
            .times(2);
        let json = serde_json::to_string(&rule).unwrap();
        let back: Fault = serde_json::from_str(&json).unwrap();
        assert_eq!(back, rule);
        let toml_text = r#"
            name = "part 3 lost after commit"
            match = { op = "UploadPart", part = 3, dialect = "qingstor", key = "big/*" }
            action = { type = "error", status = 503, code = "SlowDown" }
            schedule = { times = 1 }
        "#;
        let f: Fault = toml::from_str(toml_text).unwrap();
        let e: Fault = toml::from_str("action = { type = \"error_in_200\" }").unwrap();
        assert_eq!(e.action.name(), "error_in_200");
        assert_eq!(f.matcher.op, vec![OpKind::UploadPart]);
        assert_eq!(f.matcher.part, Some(NumberRange::One(3)));
        assert_eq!(f.matcher.dialect, Some(Dialect::QingStor));
        assert!(f.validate().is_ok());
        let bad: Result<Fault, _> = toml::from_str("action = { type = \"explode\" }");
        assert!(bad.is_err());
        let bad_op: Result<Fault, _> =
            serde_json::from_str(r#"{"match":{"op":"Upload"},"action":{"type":"bad_etag"}}"#);
        assert!(bad_op
            .unwrap_err()
            .to_string()
            .contains("unknown operation"));
        assert!(Fault::corrupt().probability(1.5).validate().is_err());
    }
}
