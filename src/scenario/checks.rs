//! Grading: the expectations of a scenario checked against the mock's journal and final
//! state — what the client did, not what it says it did.

use super::model::{Expectations, Outcome};
use mock_server::faults::RuleInfo;
use mock_server::journal::JournalEntry;
use mock_server::ops::OpKind;
use mock_server::service::StateSnapshot;
use std::collections::{BTreeMap, HashSet};

/// Everything grading looks at.
#[derive(Debug, Clone)]
pub struct Evidence<'a> {
    /// Every request, in order.
    pub journal: &'a [JournalEntry],
    /// The final state.
    pub state: &'a StateSnapshot,
    /// The fault rules with their counters.
    pub rules: &'a [RuleInfo],
    /// Bucket of the upload.
    pub bucket: &'a str,
    /// Key of the upload.
    pub key: &'a str,
    /// `Some(true)` if the stored object equals the source, `Some(false)` if it differs,
    /// `None` when there is no object.
    pub object_matches: Option<bool>,
}

/// One failed check: a short rule name and what was seen.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Failure {
    /// The check (`outcome`, `retried_parts`, ...).
    pub check: &'static str,
    /// What was expected and what came.
    pub reason: String,
    /// Journal sequence numbers that show it.
    pub evidence: Vec<u64>,
}

fn fail(check: &'static str, reason: String, evidence: Vec<u64>) -> Failure {
    Failure {
        check,
        reason,
        evidence,
    }
}

fn is_ok(e: &JournalEntry) -> bool {
    e.status.is_some_and(|s| s < 300) && e.error_code.is_none()
}

/// The outcome the evidence shows.
pub fn observed_outcome(ev: &Evidence<'_>) -> Outcome {
    if ev.state.object(ev.bucket, ev.key).is_some() {
        Outcome::Completed
    } else {
        Outcome::Aborted
    }
}

/// Highest number of UploadPart requests in flight at once (from arrival and answer times).
pub fn max_concurrency(journal: &[JournalEntry]) -> usize {
    let mut events: Vec<(f64, i32)> = Vec::new();
    for e in journal.iter().filter(|e| e.op == Some(OpKind::UploadPart)) {
        let start = e.unix_ms as f64;
        events.push((start, 1));
        events.push((start + e.duration_ms.max(0.001), -1));
    }
    events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let (mut cur, mut max) = (0i32, 0i32);
    for (_, d) in events {
        cur += d;
        max = max.max(cur);
    }
    max.max(0) as usize
}

/// Requests beyond the first attempt, by operation.
pub fn retries_by_op(journal: &[JournalEntry]) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for e in journal.iter().filter(|e| e.attempt > 1) {
        if let Some(op) = e.op {
            *out.entry(op.name().to_string()).or_insert(0) += 1;
        }
    }
    out
}

/// Checks every expectation; an empty list means the scenario passed.
pub fn grade(expect: &Expectations, ev: &Evidence<'_>) -> Vec<Failure> {
    let mut out = Vec::new();
    let j = ev.journal;
    let outcome = observed_outcome(ev);
    if let Some(want) = expect.outcome {
        if want != outcome {
            let last: Vec<u64> = j.iter().rev().take(3).map(|e| e.seq).collect();
            out.push(fail(
                "outcome",
                format!("expected the upload to end {want:?}, it ended {outcome:?}"),
                last,
            ));
        }
    }
    let want_equal = expect
        .object_equals_source
        .unwrap_or(outcome == Outcome::Completed && expect.outcome != Some(Outcome::Aborted));
    if want_equal {
        match ev.object_matches {
            Some(true) => {}
            Some(false) => out.push(fail(
                "object_equals_source",
                "the stored object differs from the source file".into(),
                vec![],
            )),
            None => out.push(fail(
                "object_equals_source",
                "no object was stored to compare with the source".into(),
                vec![],
            )),
        }
    }
    if expect.no_open_uploads.unwrap_or(true) && ev.state.open_uploads() > 0 {
        let ids: Vec<String> = ev
            .state
            .buckets
            .iter()
            .flat_map(|b| {
                b.uploads
                    .iter()
                    .map(|u| format!("{} ({} parts)", u.upload_id, u.parts.len()))
            })
            .collect();
        out.push(fail(
            "no_open_uploads",
            format!("{} upload(s) left open: {}", ids.len(), ids.join(", ")),
            vec![],
        ));
    }
    if expect.no_orphan_blobs.unwrap_or(true) && ev.state.orphan_blobs > 0 {
        out.push(fail(
            "no_orphan_blobs",
            format!(
                "{} blob(s) held that nothing references",
                ev.state.orphan_blobs
            ),
            vec![],
        ));
    }
    if expect.faults_fired.unwrap_or(true) {
        for r in ev.rules.iter().filter(|r| r.fired == 0) {
            out.push(fail(
                "faults_fired",
                format!(
                    "fault rule #{} ({}) never fired: the scenario did not test what it says",
                    r.id,
                    r.rule.action.name()
                ),
                vec![],
            ));
        }
    }
    if let Some(max) = expect.max_requests {
        if j.len() as u64 > max {
            out.push(fail(
                "max_requests",
                format!("expected at most {max} requests, saw {}", j.len()),
                vec![],
            ));
        }
    }
    let parts: Vec<&JournalEntry> = j
        .iter()
        .filter(|e| e.op == Some(OpKind::UploadPart))
        .collect();
    if let Some(max) = expect.max_part_requests {
        if parts.len() as u64 > max {
            out.push(fail(
                "max_part_requests",
                format!(
                    "expected at most {max} UploadPart requests, saw {}",
                    parts.len()
                ),
                vec![],
            ));
        }
    }
    for n in &expect.retried_parts {
        let tries: Vec<u64> = parts
            .iter()
            .filter(|e| e.part_number == Some(*n))
            .map(|e| e.seq)
            .collect();
        if tries.len() < 2 {
            out.push(fail(
                "retried_parts",
                format!(
                    "expected part {n} to be sent again after its failure, it was sent {} time(s)",
                    tries.len()
                ),
                tries,
            ));
        }
    }
    let aborts: Vec<u64> = j
        .iter()
        .filter(|e| e.op == Some(OpKind::AbortMultipartUpload))
        .map(|e| e.seq)
        .collect();
    match expect.called_abort {
        Some(true) if aborts.is_empty() => out.push(fail(
            "called_abort",
            "expected AbortMultipartUpload after giving up, none was sent".into(),
            vec![],
        )),
        Some(false) if !aborts.is_empty() => out.push(fail(
            "called_abort",
            "AbortMultipartUpload was sent but should not be".into(),
            aborts,
        )),
        _ => {}
    }
    if expect.never_completed_with_bad_etag.unwrap_or(false) {
        // ETags that were only ever answered under a bad_etag fault.
        let good: HashSet<&str> = parts
            .iter()
            .filter(|e| !e.faults.iter().any(|f| f.contains("bad_etag")))
            .filter_map(|e| e.etag.as_deref())
            .collect();
        let bad: HashSet<&str> = parts
            .iter()
            .filter(|e| e.faults.iter().any(|f| f.contains("bad_etag")))
            .filter_map(|e| e.etag.as_deref())
            .filter(|e| !good.contains(e))
            .collect();
        for c in j
            .iter()
            .filter(|e| e.op == Some(OpKind::CompleteMultipartUpload))
        {
            if let Some((n, etag)) = c
                .completed_parts
                .iter()
                .find(|(_, etag)| bad.contains(etag.as_str()))
            {
                out.push(fail(
                    "never_completed_with_bad_etag",
                    format!("the complete listed part {n} with ETag {etag}, which the server answered under a bad_etag fault and which does not match the bytes sent"),
                    vec![c.seq],
                ));
                break;
            }
        }
    }
    if expect.no_part_after_complete.unwrap_or(false) {
        if let Some(done) = j
            .iter()
            .position(|e| e.op == Some(OpKind::CompleteMultipartUpload) && is_ok(e))
        {
            let late: Vec<u64> = j[done + 1..]
                .iter()
                .filter(|e| e.op == Some(OpKind::UploadPart))
                .map(|e| e.seq)
                .collect();
            if !late.is_empty() {
                out.push(fail(
                    "no_part_after_complete",
                    format!("{} UploadPart(s) after the complete succeeded", late.len()),
                    late,
                ));
            }
        }
    }
    if expect.parts_in_order.unwrap_or(false) {
        for c in j
            .iter()
            .filter(|e| e.op == Some(OpKind::CompleteMultipartUpload))
        {
            if c.completed_parts.windows(2).any(|w| w[0].0 >= w[1].0) {
                out.push(fail(
                    "parts_in_order",
                    "a complete listed parts out of ascending order".into(),
                    vec![c.seq],
                ));
                break;
            }
        }
    }
    if expect.no_needless_reuploads.unwrap_or(false) {
        let mut succeeded: HashSet<u32> = HashSet::new();
        let mut needless = Vec::new();
        for e in &parts {
            let Some(n) = e.part_number else { continue };
            if succeeded.contains(&n) {
                needless.push(e.seq);
            }
            if is_ok(e) && e.faults.is_empty() {
                succeeded.insert(n);
            }
        }
        if !needless.is_empty() {
            out.push(fail(
                "no_needless_reuploads",
                format!(
                    "{} part(s) uploaded again after an undisturbed success",
                    needless.len()
                ),
                needless,
            ));
        }
    }
    if let Some(min) = expect.min_concurrency {
        let seen = max_concurrency(j);
        if seen < min {
            out.push(fail(
                "min_concurrency",
                format!("expected at least {min} parts in flight at once, saw at most {seen}"),
                vec![],
            ));
        }
    }
    if expect.integrity_headers.unwrap_or(false) {
        let bare: Vec<u64> = parts
            .iter()
            .filter(|e| !e.integrity)
            .map(|e| e.seq)
            .collect();
        if !bare.is_empty() {
            out.push(fail(
                "integrity_headers",
                format!(
                    "{} UploadPart(s) carried neither Content-MD5 nor a checksum",
                    bare.len()
                ),
                bare,
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mock_server::service::{BucketState, ObjectState, UploadState};

    fn e(seq: u64, op: OpKind, part: Option<u32>, status: Option<u16>) -> JournalEntry {
        JournalEntry {
            seq,
            unix_ms: seq * 10,
            duration_ms: 5.0,
            op: Some(op),
            part_number: part,
            status,
            attempt: 1,
            method: "PUT".into(),
            path: "/b/k".into(),
            ..Default::default()
        }
    }

    fn state(object: bool, open: usize) -> StateSnapshot {
        StateSnapshot {
            buckets: vec![BucketState {
                name: "b".into(),
                objects: if object {
                    vec![ObjectState {
                        key: "k".into(),
                        size: 10,
                        etag: "x-2".into(),
                        parts: Some(2),
                        content_type: None,
                    }]
                } else {
                    vec![]
                },
                uploads: (0..open)
                    .map(|i| UploadState {
                        key: "k".into(),
                        upload_id: format!("U{i}"),
                        parts: vec![],
                    })
                    .collect(),
            }],
            ..Default::default()
        }
    }

    fn ev<'a>(j: &'a [JournalEntry], st: &'a StateSnapshot, matches: Option<bool>) -> Evidence<'a> {
        Evidence {
            journal: j,
            state: st,
            rules: &[],
            bucket: "b",
            key: "k",
            object_matches: matches,
        }
    }

    /// A client that does each wrong thing once: never retries part 2, completes with a bad
    /// ETag, uploads after completing, leaves an upload open, lists parts out of order,
    /// re-uploads a good part, sends no checksums, never aborts.
    #[test]
    fn a_client_that_does_everything_wrong_fails_every_check() {
        let mut bad_part = e(3, OpKind::UploadPart, Some(2), Some(200));
        bad_part.faults = vec!["#1 bad_etag".into()];
        bad_part.etag = Some("ffff".into());
        let mut good1 = e(2, OpKind::UploadPart, Some(1), Some(200));
        good1.etag = Some("aaaa".into());
        let mut dup1 = e(4, OpKind::UploadPart, Some(1), Some(200));
        dup1.etag = Some("aaaa".into());
        let mut complete = e(5, OpKind::CompleteMultipartUpload, None, Some(200));
        complete.completed_parts = vec![(2, "ffff".into()), (1, "aaaa".into())];
        let late = e(6, OpKind::UploadPart, Some(3), Some(200));
        let j = vec![
            e(1, OpKind::CreateMultipartUpload, None, Some(200)),
            good1,
            bad_part,
            dup1,
            complete,
            late,
        ];
        let st = state(true, 1);
        let expect = Expectations {
            outcome: Some(Outcome::Completed),
            retried_parts: vec![2],
            called_abort: Some(true),
            never_completed_with_bad_etag: Some(true),
            no_part_after_complete: Some(true),
            parts_in_order: Some(true),
            no_needless_reuploads: Some(true),
            integrity_headers: Some(true),
            min_concurrency: Some(2),
            max_part_requests: Some(3),
            ..Default::default()
        };
        let failures = grade(&expect, &ev(&j, &st, Some(false)));
        let checks: HashSet<&str> = failures.iter().map(|f| f.check).collect();
        for c in [
            "object_equals_source",
            "no_open_uploads",
            "retried_parts",
            "called_abort",
            "never_completed_with_bad_etag",
            "no_part_after_complete",
            "parts_in_order",
            "no_needless_reuploads",
            "integrity_headers",
            "min_concurrency",
            "max_part_requests",
        ] {
            assert!(
                checks.contains(c),
                "{c} should fail; failures: {failures:#?}"
            );
        }
        assert!(!checks.contains("outcome"));
    }

    #[test]
    fn a_good_client_passes() {
        let mut p1 = e(2, OpKind::UploadPart, Some(1), None);
        p1.faults = vec!["#1 drop_after_commit".into()];
        p1.integrity = true;
        let mut p1b = e(3, OpKind::UploadPart, Some(1), Some(200));
        p1b.attempt = 2;
        p1b.integrity = true;
        p1b.etag = Some("aaaa".into());
        let mut p2 = e(3, OpKind::UploadPart, Some(2), Some(200));
        p2.integrity = true;
        p2.etag = Some("bbbb".into());
        let mut c = e(4, OpKind::CompleteMultipartUpload, None, Some(200));
        c.completed_parts = vec![(1, "aaaa".into()), (2, "bbbb".into())];
        let j = vec![
            e(1, OpKind::CreateMultipartUpload, None, Some(200)),
            p1,
            p1b,
            p2,
            c,
        ];
        let st = state(true, 0);
        let expect = Expectations {
            outcome: Some(Outcome::Completed),
            retried_parts: vec![1],
            called_abort: Some(false),
            never_completed_with_bad_etag: Some(true),
            no_part_after_complete: Some(true),
            parts_in_order: Some(true),
            no_needless_reuploads: Some(true),
            integrity_headers: Some(true),
            min_concurrency: Some(2),
            ..Default::default()
        };
        let failures = grade(&expect, &ev(&j, &st, Some(true)));
        assert!(failures.is_empty(), "{failures:#?}");
        assert_eq!(retries_by_op(&j).get("UploadPart"), Some(&1));
    }

    #[test]
    fn aborted_uploads_need_no_object() {
        let j = vec![
            e(1, OpKind::CreateMultipartUpload, None, Some(200)),
            e(2, OpKind::AbortMultipartUpload, None, Some(204)),
        ];
        let st = state(false, 0);
        let expect = Expectations {
            outcome: Some(Outcome::Aborted),
            called_abort: Some(true),
            ..Default::default()
        };
        assert!(grade(&expect, &ev(&j, &st, None)).is_empty());
        let expect = Expectations {
            outcome: Some(Outcome::Completed),
            ..Default::default()
        };
        let f = grade(&expect, &ev(&j, &st, None));
        assert_eq!(f[0].check, "outcome");
    }
}
