//! The expectation set a client is graded by.
//!
//! A scenario's own `[expect]` is written for the reference uploader's settings (its retry
//! budget, its request timeout, its checksum choice, its request counts). Conformance grading
//! keeps what follows from the scenario's *faults* and adds the protocol rules every client
//! must follow:
//!
//! * kept from the scenario: `outcome`, `object_equals_source`, `called_abort`, the
//!   cleanliness checks, `faults_fired`, and `retried_parts` where the fault made the attempt
//!   fail (not for `stall`, `latency`, `bandwidth`, `slow_complete`: waiting those out is fine);
//! * dropped: `max_requests`, `max_part_requests`, `min_concurrency`, `integrity_headers`
//!   (settings of the reference uploader);
//! * added everywhere: `never_completed_with_bad_etag`, `parts_in_order`,
//!   `no_part_after_complete`, `no_needless_reuploads`, `equal_part_sizes`, `single_upload`,
//!   `honest_exit`;
//! * added on fault-free scenarios: `integrity_headers` (Content-MD5 or a checksum on every
//!   part) and, for a client that claims concurrency and a workload with several parts in
//!   flight, `min_concurrency = 2`;
//! * last, the profile's `[[override]]` `expect` tables for the scenario, field by field.

use super::profile::Profile;
use crate::scenario::model::Expectations;
use crate::scenario::Scenario;
use mock_server::faults::Action;

/// Whether a fault makes the attempt it hits fail (so the part must be sent again).
fn attempt_fails(a: &Action) -> bool {
    !matches!(
        a,
        Action::Latency { .. }
            | Action::Bandwidth { .. }
            | Action::Stall { .. }
            | Action::SlowComplete { .. }
    )
}

/// The expectations `profile`'s client is graded by on `s`. Errors name an override field
/// that does not fit the expectation schema.
pub fn conformance_expectations(s: &Scenario, profile: &Profile) -> Result<Expectations, String> {
    let own = &s.expect;
    let fault_free = s.faults.is_empty();
    let retries_forced = s.faults.iter().any(|f| attempt_fails(&f.action));
    let mut e = Expectations {
        outcome: own.outcome,
        object_equals_source: own.object_equals_source,
        no_open_uploads: own.no_open_uploads,
        no_orphan_blobs: own.no_orphan_blobs,
        faults_fired: own.faults_fired,
        called_abort: own.called_abort,
        retried_parts: if retries_forced {
            own.retried_parts.clone()
        } else {
            vec![]
        },
        never_completed_with_bad_etag: Some(true),
        parts_in_order: Some(true),
        no_part_after_complete: Some(true),
        no_needless_reuploads: Some(true),
        equal_part_sizes: Some(true),
        single_upload: Some(true),
        honest_exit: Some(true),
        ..Default::default()
    };
    if fault_free {
        e.integrity_headers = Some(true);
        let parts = match s.workload.part_size {
            Some(p) if p.0 > 0 => s.workload.size.0.div_ceil(p.0),
            _ => 0,
        };
        if profile.concurrent && s.workload.concurrency.unwrap_or(4) > 1 && parts > 1 {
            e.min_concurrency = Some(2);
        }
    }
    for o in profile.overrides_for(&s.name) {
        if o.expect.is_empty() {
            continue;
        }
        let mut base = serde_json::to_value(&e).map_err(|x| x.to_string())?;
        let overlay = serde_json::to_value(&o.expect).map_err(|x| x.to_string())?;
        if let (Some(b), Some(ov)) = (base.as_object_mut(), overlay.as_object()) {
            for (k, v) in ov {
                if !b.contains_key(k) {
                    return Err(format!(
                        "{}: override for {}: unknown expectation {k:?}",
                        profile.path.display(),
                        s.name
                    ));
                }
                b.insert(k.clone(), v.clone());
            }
        }
        e = serde_json::from_value(base)
            .map_err(|x| format!("{}: override for {}: {x}", profile.path.display(), s.name))?;
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::model::Outcome;
    use std::path::Path;

    fn scenario(text: &str) -> Scenario {
        Scenario::from_toml(text, Path::new("s.toml")).unwrap()
    }

    fn profile(extra: &str) -> Profile {
        Profile::from_toml(
            &format!("name='p'\ncommand='c'\n{extra}"),
            Path::new("p.toml"),
        )
        .unwrap()
    }

    #[test]
    fn reference_settings_are_dropped_and_protocol_rules_added() {
        let s = scenario(
            r#"name = "s3-drop-after-commit"
[workload]
size = 1000
part_size = 100
[[fault]]
match = { op = "UploadPart", part = 3 }
action = { type = "drop_after_commit" }
[expect]
outcome = "completed"
retried_parts = [3]
max_requests = 12
integrity_headers = true
min_concurrency = 4
"#,
        );
        let e = conformance_expectations(&s, &profile("")).unwrap();
        assert_eq!(e.outcome, Some(Outcome::Completed));
        assert_eq!(e.retried_parts, vec![3]);
        assert_eq!(e.max_requests, None);
        assert_eq!(e.integrity_headers, None);
        assert_eq!(e.min_concurrency, None);
        for rule in [
            e.never_completed_with_bad_etag,
            e.parts_in_order,
            e.no_part_after_complete,
            e.no_needless_reuploads,
            e.equal_part_sizes,
            e.single_upload,
            e.honest_exit,
        ] {
            assert_eq!(rule, Some(true));
        }
    }

    #[test]
    fn waiting_faults_do_not_demand_a_retry_and_baselines_demand_integrity() {
        let stall = scenario(
            r#"name = "s3-stall"
[workload]
size = 1000
part_size = 100
[[fault]]
match = { op = "UploadPart", part = 2 }
action = { type = "stall", ms = 5000 }
[expect]
retried_parts = [2]
"#,
        );
        assert!(conformance_expectations(&stall, &profile(""))
            .unwrap()
            .retried_parts
            .is_empty());
        let base =
            scenario("name='s3-baseline'\n[workload]\nsize=1000\npart_size=100\nconcurrency=4\n");
        let e = conformance_expectations(&base, &profile("")).unwrap();
        assert_eq!(e.integrity_headers, Some(true));
        assert_eq!(e.min_concurrency, Some(2));
        let e = conformance_expectations(&base, &profile("concurrent = false")).unwrap();
        assert_eq!(e.min_concurrency, None);
    }

    #[test]
    fn overrides_set_fields_and_reject_unknown_ones() {
        let base = scenario("name='s3-baseline'\n[workload]\nsize=1000\npart_size=100\n");
        let p = profile(
            "[[override]]\nscenarios=['s3-*']\nexpect={ integrity_headers = false, retried_parts = [1] }\n",
        );
        let e = conformance_expectations(&base, &p).unwrap();
        assert_eq!(e.integrity_headers, Some(false));
        assert_eq!(e.retried_parts, vec![1]);
        let p = profile("[[override]]\nscenarios=['*']\nexpect={ no_such_rule = true }\n");
        let err = conformance_expectations(&base, &p).unwrap_err();
        assert!(err.contains("no_such_rule"), "{err}");
    }
}
