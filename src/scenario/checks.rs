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
    /// Whether the client reported success (exit status 0), when known.
    pub client_ok: Option<bool>,
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
        // Sequence numbers are given when a request finishes; a part the client abandoned (a
        // stall it timed out) may finish after the complete without being sent after it. Late
        // means it *arrived* after the complete had been answered.
        if let Some(done) = j
            .iter()
            .find(|e| e.op == Some(OpKind::CompleteMultipartUpload) && is_ok(e))
        {
            let answered = done.elapsed_ms as f64 + done.duration_ms;
            let late: Vec<u64> = parts
                .iter()
                .filter(|e| e.seq > done.seq && e.elapsed_ms as f64 > answered)
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
        // In arrival order: an abandoned attempt that finished late came first.
        let mut by_arrival = parts.clone();
        by_arrival.sort_by_key(|e| (e.elapsed_ms, e.seq));
        for e in &by_arrival {
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
                    "{} UploadPart(s) carried no digest the server verifies (Content-MD5, a checksum or a signed payload hash)",
                    bare.len()
                ),
                bare,
            ));
        }
    }
    if expect.equal_part_sizes.unwrap_or(false) {
        out.extend(check_part_sizes(j));
    }
    if expect.single_upload.unwrap_or(false) {
        // Parts went to more than one upload: the client started over. (Repeating a create
        // whose answer it could not use, without uploading into it, is a retry.)
        let mut ids: Vec<&str> = Vec::new();
        let mut first_seq: Vec<u64> = Vec::new();
        for e in &parts {
            if let Some(id) = e.upload_id.as_deref() {
                if !ids.contains(&id) {
                    ids.push(id);
                    first_seq.push(e.seq);
                }
            }
        }
        if ids.len() > 1 {
            out.push(fail(
                "single_upload",
                format!(
                    "uploaded parts into {} different multipart uploads for one file (started over instead of resuming)",
                    ids.len()
                ),
                first_seq,
            ));
        }
    }
    if expect.honest_exit.unwrap_or(false) {
        if let Some(said_ok) = ev.client_ok {
            let stored = outcome == Outcome::Completed && ev.object_matches == Some(true);
            let last: Vec<u64> = j
                .iter()
                .rev()
                .filter(|e| e.op == Some(OpKind::CompleteMultipartUpload))
                .take(2)
                .map(|e| e.seq)
                .collect();
            if said_ok && !stored {
                out.push(fail(
                    "honest_exit",
                    "the client reported success but the object was not stored intact".into(),
                    last,
                ));
            } else if !said_ok && stored {
                out.push(fail(
                    "honest_exit",
                    "the client reported failure although the object was stored intact".into(),
                    last,
                ));
            }
        }
    }
    out
}

/// Sizes of the parts listed in the last successful complete (from the last successful
/// UploadPart of each number that answered the listed ETag), and refusals for size.
fn check_part_sizes(j: &[JournalEntry]) -> Vec<Failure> {
    let mut out = Vec::new();
    let refused: Vec<u64> = j
        .iter()
        .filter(|e| {
            e.op == Some(OpKind::CompleteMultipartUpload)
                && matches!(
                    e.error_code.as_deref(),
                    Some("EntityTooSmall") | Some("EntityTooLarge")
                )
        })
        .map(|e| e.seq)
        .collect();
    if !refused.is_empty() {
        out.push(fail(
            "equal_part_sizes",
            "a complete was refused for a part size outside the limits".into(),
            refused,
        ));
    }
    let Some(done) = j
        .iter()
        .rev()
        .find(|e| e.op == Some(OpKind::CompleteMultipartUpload) && is_ok(e))
    else {
        return out;
    };
    let mut sizes: Vec<(u32, u64, u64)> = Vec::new();
    for (n, etag) in &done.completed_parts {
        let part = j.iter().rev().find(|e| {
            e.op == Some(OpKind::UploadPart)
                && e.part_number == Some(*n)
                && is_ok(e)
                && e.seq < done.seq
                && e.etag.as_deref().map(|t| t.trim_matches('"')) == Some(etag.trim_matches('"'))
        });
        if let Some(p) = part {
            sizes.push((*n, p.bytes_in, p.seq));
        }
    }
    let Some(((_, first, _), rest)) = sizes.split_first() else {
        return out;
    };
    let body = match rest.split_last() {
        Some((_, middle)) => middle,
        None => &[],
    };
    if let Some((n, size, seq)) = body.iter().find(|(_, s, _)| s != first) {
        out.push(fail(
            "equal_part_sizes",
            format!("part 1 has {first} bytes but part {n} has {size}: parts must be equal-sized"),
            vec![*seq],
        ));
    } else if let Some((n, size, seq)) = rest.last().filter(|(_, s, _)| s > first) {
        out.push(fail(
            "equal_part_sizes",
            format!("the last part ({n}) has {size} bytes, more than the others ({first})"),
            vec![*seq],
        ));
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
            elapsed_ms: seq * 10,
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
            client_ok: None,
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

    fn sized(seq: u64, part: u32, bytes: u64, etag: &str) -> JournalEntry {
        let mut p = e(seq, OpKind::UploadPart, Some(part), Some(200));
        p.bytes_in = bytes;
        p.etag = Some(etag.into());
        p
    }

    fn complete(seq: u64, parts: &[(u32, &str)], status: u16, code: Option<&str>) -> JournalEntry {
        let mut c = e(seq, OpKind::CompleteMultipartUpload, None, Some(status));
        c.completed_parts = parts.iter().map(|(n, t)| (*n, t.to_string())).collect();
        c.error_code = code.map(String::from);
        c
    }

    fn only(
        expect: &Expectations,
        j: &[JournalEntry],
        st: &StateSnapshot,
        m: Option<bool>,
        ok: Option<bool>,
    ) -> Vec<&'static str> {
        let mut evidence = ev(j, st, m);
        evidence.client_ok = ok;
        grade(expect, &evidence).iter().map(|f| f.check).collect()
    }

    #[test]
    fn unequal_part_sizes_and_size_refusals_fail() {
        let expect = Expectations {
            equal_part_sizes: Some(true),
            ..Default::default()
        };
        let st = state(true, 0);
        let create = e(1, OpKind::CreateMultipartUpload, None, Some(200));
        // 5, 5, 3: equal, last smaller: fine. The superseded first try of part 2 (4 bytes,
        // other ETag) does not count.
        let good = vec![
            create.clone(),
            sized(2, 1, 5, "a"),
            sized(3, 2, 4, "old"),
            sized(4, 2, 5, "b"),
            sized(5, 3, 3, "c"),
            complete(6, &[(1, "a"), (2, "b"), (3, "c")], 200, None),
        ];
        assert!(only(&expect, &good, &st, Some(true), None).is_empty());
        // 5, 4, 5: a middle part differs.
        let uneven = vec![
            create.clone(),
            sized(2, 1, 5, "a"),
            sized(3, 2, 4, "b"),
            sized(4, 3, 5, "c"),
            complete(5, &[(1, "a"), (2, "b"), (3, "c")], 200, None),
        ];
        assert_eq!(
            only(&expect, &uneven, &st, Some(true), None),
            ["equal_part_sizes"]
        );
        // 5, 5, 7: the last part is the largest.
        let big_tail = vec![
            create.clone(),
            sized(2, 1, 5, "a"),
            sized(3, 2, 5, "b"),
            sized(4, 3, 7, "c"),
            complete(5, &[(1, "a"), (2, "b"), (3, "c")], 200, None),
        ];
        assert_eq!(
            only(&expect, &big_tail, &st, Some(true), None),
            ["equal_part_sizes"]
        );
        // A complete refused with EntityTooSmall.
        let small = vec![
            create,
            sized(2, 1, 1, "a"),
            sized(3, 2, 1, "b"),
            complete(4, &[(1, "a"), (2, "b")], 400, Some("EntityTooSmall")),
        ];
        assert_eq!(
            only(&expect, &small, &state(false, 0), None, None),
            ["equal_part_sizes"]
        );
    }

    #[test]
    fn starting_over_fails_single_upload() {
        let expect = Expectations {
            single_upload: Some(true),
            ..Default::default()
        };
        let st = state(true, 0);
        let into = |seq: u64, part: u32, id: &str| {
            let mut p = e(seq, OpKind::UploadPart, Some(part), Some(200));
            p.upload_id = Some(id.into());
            p
        };
        let once = vec![
            e(1, OpKind::CreateMultipartUpload, None, Some(200)),
            into(2, 1, "U1"),
            into(3, 2, "U1"),
        ];
        assert!(only(&expect, &once, &st, Some(true), None).is_empty());
        let restarted = vec![
            e(1, OpKind::CreateMultipartUpload, None, Some(200)),
            into(2, 1, "U1"),
            e(3, OpKind::CreateMultipartUpload, None, Some(200)),
            into(4, 1, "U2"),
        ];
        assert_eq!(
            only(&expect, &restarted, &st, Some(true), None),
            ["single_upload"]
        );
        // A create repeated because its answer was unusable, parts into one upload: a retry.
        let retried = vec![
            e(1, OpKind::CreateMultipartUpload, None, Some(200)),
            e(2, OpKind::CreateMultipartUpload, None, Some(200)),
            into(3, 1, "U2"),
        ];
        assert!(only(&expect, &retried, &st, Some(true), None).is_empty());
    }

    /// A part abandoned by a stall that finishes (and so is journaled) after the complete is
    /// neither "after the complete" nor a needless re-upload; one that arrives later is.
    #[test]
    fn abandoned_attempts_are_judged_by_arrival() {
        let expect = Expectations {
            no_part_after_complete: Some(true),
            no_needless_reuploads: Some(true),
            ..Default::default()
        };
        let st = state(true, 0);
        let mut stalled = e(9, OpKind::UploadPart, Some(2), None);
        stalled.elapsed_ms = 20; // arrived early, finished last
        stalled.faults = vec!["#1 stall".into()];
        let j = vec![
            e(1, OpKind::CreateMultipartUpload, None, Some(200)),
            e(3, OpKind::UploadPart, Some(1), Some(200)),
            e(4, OpKind::UploadPart, Some(2), Some(200)),
            complete(5, &[], 200, None),
            stalled,
        ];
        assert!(only(&expect, &j, &st, Some(true), None).is_empty());
        let mut j2 = j.clone();
        j2.push(e(10, OpKind::UploadPart, Some(2), Some(200)));
        let got = only(&expect, &j2, &st, Some(true), None);
        assert!(got.contains(&"no_part_after_complete"), "{got:?}");
        assert!(got.contains(&"no_needless_reuploads"), "{got:?}");
    }

    /// 200-with-error taken as success (exit 0, no object) and a landed complete whose lost
    /// answer the client reported as a failure (exit non-zero, object intact) both fail; the
    /// truthful combinations pass, and without a known exit status nothing is claimed.
    #[test]
    fn the_exit_status_must_match_what_was_stored() {
        let expect = Expectations {
            honest_exit: Some(true),
            object_equals_source: Some(false), // only the rule under test
            ..Default::default()
        };
        let j = vec![
            e(1, OpKind::CreateMultipartUpload, None, Some(200)),
            complete(2, &[], 200, Some("InternalError")),
        ];
        let none = state(false, 0);
        let stored = state(true, 0);
        assert_eq!(only(&expect, &j, &none, None, Some(true)), ["honest_exit"]);
        assert_eq!(
            only(&expect, &j, &stored, Some(true), Some(false)),
            ["honest_exit"]
        );
        assert_eq!(
            only(&expect, &j, &stored, Some(false), Some(true)),
            ["honest_exit"]
        );
        assert!(only(&expect, &j, &stored, Some(true), Some(true)).is_empty());
        assert!(only(&expect, &j, &none, None, Some(false)).is_empty());
        assert!(only(&expect, &j, &none, None, None).is_empty());
    }
}
