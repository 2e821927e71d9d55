//! Which rules fire on a request: matching, schedules, attempt counting.

use super::{Action, Fault};
use crate::dialect::Dialect;
use crate::ops::OpKind;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// What identifies a request for matching and for deterministic probabilities.
#[derive(Debug, Clone, Copy)]
pub struct RequestIdentity<'a> {
    /// Dialect.
    pub dialect: Dialect,
    /// Operation.
    pub op: OpKind,
    /// Bucket.
    pub bucket: Option<&'a str>,
    /// Key.
    pub key: Option<&'a str>,
    /// Upload id (attempts are counted per upload).
    pub upload_id: Option<&'a str>,
    /// Part number.
    pub part: Option<u32>,
}

/// A rule that fired on a request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fired {
    /// The rule's id.
    pub rule_id: u64,
    /// The rule's name, if any.
    pub name: Option<String>,
    /// What it does.
    pub action: Action,
}

impl Fired {
    /// `name` or `#id`, plus the action: `"#3 drop_after_commit"`.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => format!("{n} ({})", self.action.name()),
            None => format!("#{} {}", self.rule_id, self.action.name()),
        }
    }
}

/// A rule as installed, with its counters.
#[derive(Debug, Clone, Serialize)]
pub struct RuleInfo {
    /// Id (for `DELETE /_mock/faults/ID`).
    pub id: u64,
    /// The rule.
    #[serde(flatten)]
    pub rule: Fault,
    /// Requests it matched.
    pub matched: u64,
    /// Times it fired.
    pub fired: u64,
}

struct RuleState {
    info: RuleInfo,
    glob: Option<globset::GlobMatcher>,
}

#[derive(Default)]
struct Inner {
    rules: Vec<RuleState>,
    next_id: u64,
    attempts: HashMap<(OpKind, String, String, String, Option<u32>), u32>,
}

/// The installed rules and the per-request counters.
#[derive(Default)]
pub struct FaultEngine {
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for FaultEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultEngine")
            .field("rules", &self.list().len())
            .finish()
    }
}

/// FNV-1a, then a splitmix64 finaliser: stable across runs, platforms and Rust versions.
fn stable_hash(seed: u64, parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for p in parts {
        for b in *p {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// Whether a request with this identity draws under probability `p` for `seed`.
pub fn draws(seed: u64, rule_id: u64, ident: &RequestIdentity<'_>, attempt: u32, p: f64) -> bool {
    let h = stable_hash(
        seed ^ rule_id.rotate_left(17),
        &[
            ident.op.name().as_bytes(),
            ident.key.unwrap_or("").as_bytes(),
            &ident.part.unwrap_or(u32::MAX).to_le_bytes(),
            &attempt.to_le_bytes(),
        ],
    );
    ((h >> 11) as f64 / (1u64 << 53) as f64) < p
}

impl FaultEngine {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Installs a rule; returns its id.
    pub fn add(&self, rule: Fault) -> Result<u64, String> {
        rule.validate()?;
        let glob = match &rule.matcher.key {
            Some(g) => Some(
                globset::Glob::new(g)
                    .map_err(|e| format!("match.key: invalid glob {g:?}: {e}"))?
                    .compile_matcher(),
            ),
            None => None,
        };
        let mut inner = self.lock();
        inner.next_id += 1;
        let id = inner.next_id;
        inner.rules.push(RuleState {
            info: RuleInfo {
                id,
                rule,
                matched: 0,
                fired: 0,
            },
            glob,
        });
        Ok(id)
    }

    /// The installed rules with their counters.
    pub fn list(&self) -> Vec<RuleInfo> {
        self.lock().rules.iter().map(|r| r.info.clone()).collect()
    }

    /// Removes one rule; false if there was none with that id.
    pub fn remove(&self, id: u64) -> bool {
        let mut inner = self.lock();
        let before = inner.rules.len();
        inner.rules.retain(|r| r.info.id != id);
        inner.rules.len() != before
    }

    /// Removes every rule and forgets attempt counts.
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.rules.clear();
        inner.attempts.clear();
    }

    /// Counts this request and returns its attempt number (1 for the first time this
    /// operation is seen on this upload/key and part).
    pub fn next_attempt(&self, ident: &RequestIdentity<'_>) -> u32 {
        let key = (
            ident.op,
            ident.bucket.unwrap_or("").to_string(),
            ident.key.unwrap_or("").to_string(),
            ident.upload_id.unwrap_or("").to_string(),
            ident.part,
        );
        let mut inner = self.lock();
        let n = inner.attempts.entry(key).or_insert(0);
        *n += 1;
        *n
    }

    /// The rules that fire on this request, in installation order. Shaping rules (latency,
    /// bandwidth) all fire; of the others only the first that fires does — a later one is
    /// counted as matched but neither fires nor spends its `times`.
    pub fn evaluate(&self, ident: &RequestIdentity<'_>, attempt: u32) -> Vec<Fired> {
        let mut inner = self.lock();
        let mut fired = Vec::new();
        let mut primary_taken = false;
        for r in inner.rules.iter_mut() {
            let m = &r.info.rule.matcher;
            let matches = m.dialect.is_none_or(|d| d == ident.dialect)
                && (m.op.is_empty() || m.op.contains(&ident.op))
                && m.bucket.as_deref().is_none_or(|b| Some(b) == ident.bucket)
                && r.glob
                    .as_ref()
                    .is_none_or(|g| ident.key.is_some_and(|k| g.is_match(k)))
                && m.part
                    .is_none_or(|p| ident.part.is_some_and(|n| p.contains(n)))
                && m.attempt.is_none_or(|a| a.contains(attempt));
            if !matches {
                continue;
            }
            r.info.matched += 1;
            let shaping = r.info.rule.action.is_shaping();
            if primary_taken && !shaping {
                continue;
            }
            let s = &r.info.rule.schedule;
            let n = r.info.matched;
            let fires = s.times.is_none_or(|t| r.info.fired < t)
                && s.nth.is_none_or(|k| n == k)
                && s.every.is_none_or(|k| n % k == 0)
                && s.probability
                    .is_none_or(|p| draws(s.seed.unwrap_or(0), r.info.id, ident, attempt, p));
            if fires {
                primary_taken |= !shaping;
                r.info.fired += 1;
                fired.push(Fired {
                    rule_id: r.info.id,
                    name: r.info.rule.name.clone(),
                    action: r.info.rule.action.clone(),
                });
            }
        }
        fired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ident(op: OpKind, part: Option<u32>) -> RequestIdentity<'static> {
        RequestIdentity {
            dialect: Dialect::S3,
            op,
            bucket: Some("bkt"),
            key: Some("big/object.bin"),
            upload_id: Some("U1"),
            part,
        }
    }

    #[test]
    fn match_schedule_and_times() {
        let e = FaultEngine::default();
        e.add(
            Fault::drop_after_commit()
                .on(OpKind::UploadPart)
                .part(3)
                .times(1),
        )
        .unwrap();
        let id2 = e
            .add(Fault::throttle().on(OpKind::UploadPart).every(2))
            .unwrap();
        let p3 = ident(OpKind::UploadPart, Some(3));
        let a = e.next_attempt(&p3);
        assert_eq!(a, 1);
        let f = e.evaluate(&p3, a);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].action, Action::DropAfterCommit);
        let a = e.next_attempt(&p3);
        assert_eq!(a, 2, "a retry is attempt 2");
        let f = e.evaluate(&p3, a);
        assert_eq!(
            f.len(),
            1,
            "times(1) is spent; every(2) fires on its 2nd match"
        );
        assert_eq!(f[0].rule_id, id2);
        assert!(e
            .evaluate(&ident(OpKind::CompleteMultipartUpload, None), 1)
            .is_empty());
        assert!(e.remove(id2));
        assert!(!e.remove(id2));
    }

    #[test]
    fn key_globs_and_attempts() {
        let e = FaultEngine::default();
        e.add(Fault::bad_etag().key("big/*").attempt(1)).unwrap();
        assert_eq!(e.evaluate(&ident(OpKind::UploadPart, Some(1)), 1).len(), 1);
        assert!(e
            .evaluate(&ident(OpKind::UploadPart, Some(1)), 2)
            .is_empty());
        let mut other = ident(OpKind::UploadPart, Some(1));
        other.key = Some("small/x");
        assert!(e.evaluate(&other, 1).is_empty());
    }

    #[test]
    fn probability_depends_only_on_seed_and_identity() {
        let pick = |seed: u64| -> Vec<(u32, u32)> {
            let e = FaultEngine::default();
            e.add(
                Fault::corrupt()
                    .on(OpKind::UploadPart)
                    .probability(0.3)
                    .seed(seed),
            )
            .unwrap();
            let mut out = Vec::new();
            // Evaluate in two different orders: the result must not depend on it.
            for part in (1..=200).rev() {
                for attempt in 1..=2 {
                    if !e
                        .evaluate(&ident(OpKind::UploadPart, Some(part)), attempt)
                        .is_empty()
                    {
                        out.push((part, attempt));
                    }
                }
            }
            out.sort();
            out
        };
        let a = pick(42);
        assert_eq!(a, pick(42));
        assert_ne!(a, pick(43));
        // Roughly 30% of 400 draws.
        assert!((80..=160).contains(&a.len()), "{} draws fired", a.len());
    }
}
