//! `mpu conform` end to end, in-process: the reference profile against shipped scenarios
//! under conformance grading, and ad-hoc command clients that are graded from the journal and
//! final state rather than their exit status.

use multipart_harness::conform::matrix::{self, Options};
use multipart_harness::conform::profile::{HostEnv, Profile};
use multipart_harness::scenario::{self, Verdict};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scenarios(names: &[&str]) -> Vec<scenario::Scenario> {
    let paths: Vec<PathBuf> = names
        .iter()
        .map(|n| root().join("scenarios").join(format!("{n}.toml")))
        .collect();
    scenario::discover(&paths).unwrap()
}

fn opts() -> Options {
    Options {
        timeout_secs: Some(60),
        ..Options::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_profile_passes_conformance_grading() {
    let profiles = Profile::discover(&root().join("scenarios/clients")).unwrap();
    let mpu: Vec<Profile> = profiles.into_iter().filter(|p| p.name == "mpu").collect();
    assert_eq!(
        mpu.len(),
        1,
        "scenarios/clients/ must ship the reference profile"
    );
    let s = scenarios(&[
        "s3-bad-etag",
        "s3-complete-response-lost",
        "s3-error-in-200",
        "s3-give-up-and-abort",
        "s3-baseline",
    ]);
    let host = HostEnv::detect(&root());
    let results = matrix::run_matrix(&mpu, &s, &host, &opts()).await.unwrap();
    assert_eq!(results.len(), 5);
    for r in &results {
        assert_eq!(
            r.verdict,
            Verdict::Pass,
            "{}: {:#?}",
            r.scenario,
            r.failures
        );
    }
}

/// `true` exits 0 without uploading anything: an exit-code-only harness would pass it.
/// `false` on the give-up scenario "fails as expected" but never sent a request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_are_graded_by_what_they_did_not_their_exit_status() {
    let host = HostEnv::detect(&root());
    let liar = Profile::ad_hoc("true", vec![mock_server::dialect::Dialect::S3]);
    let r = matrix::run_matrix(&[liar], &scenarios(&["s3-baseline"]), &host, &opts())
        .await
        .unwrap();
    let checks: Vec<&str> = r[0].failures.iter().map(|f| f.check).collect();
    assert_eq!(r[0].verdict, Verdict::Fail);
    for c in ["outcome", "honest_exit"] {
        assert!(checks.contains(&c), "{c} missing from {checks:?}");
    }
    let quitter = Profile::ad_hoc("false", vec![mock_server::dialect::Dialect::S3]);
    let r = matrix::run_matrix(
        &[quitter],
        &scenarios(&["s3-give-up-and-abort"]),
        &host,
        &opts(),
    )
    .await
    .unwrap();
    let checks: Vec<&str> = r[0].failures.iter().map(|f| f.check).collect();
    assert!(checks.contains(&"faults_fired"), "{checks:?}");
    assert!(checks.contains(&"called_abort"), "{checks:?}");
    // the report names the check and the client
    let md = matrix::markdown(&r);
    assert!(md.contains("s3-give-up-and-abort × custom"), "{md}");
    assert!(matrix::terminal(&r).contains("FAIL called_abort"));
}

/// A client that is not installed is skipped with how to install it, never failed; a client
/// that does not speak a dialect gets no cell.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_clients_are_skipped_with_an_install_hint() {
    let text = r#"
name = "absent"
command = "definitely-not-installed-client {endpoint}"
detect = "command -v definitely-not-installed-client"
install = "pip install absent-client"
"#;
    let p = Profile::from_toml(text, Path::new("absent.toml")).unwrap();
    let host = HostEnv::detect(&root());
    let r = matrix::run_matrix(
        &[p],
        &scenarios(&["s3-baseline", "obs-baseline"]),
        &host,
        &opts(),
    )
    .await
    .unwrap();
    assert_eq!(r.len(), 1, "only the S3 scenario applies");
    assert_eq!(r[0].verdict, Verdict::Skip);
    assert!(r[0].reason().contains("pip install absent-client"));
    let md = matrix::markdown(&r);
    assert!(md.contains("### Not installed"), "{md}");
}

/// The shipped object_store profile runs an example binary that `cargo test` does not build:
/// where that binary is missing it is skipped with the build command, in S3 only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_object_store_profile_is_skipped_with_its_build_command_until_built() {
    let p = Profile::load(&root().join("scenarios/clients/object_store.toml")).unwrap();
    assert_eq!(p.dialects, vec![mock_server::dialect::Dialect::S3]);
    let empty = tempfile::tempdir().unwrap();
    let host = HostEnv {
        repo: empty.path().to_path_buf(),
        target_dir: empty.path().join("target"),
        ..HostEnv::detect(&root())
    };
    let r = matrix::run_matrix(
        &[p],
        &scenarios(&["s3-baseline", "obs-baseline"]),
        &host,
        &opts(),
    )
    .await
    .unwrap();
    assert_eq!(r.len(), 1, "only the S3 scenario applies");
    assert_eq!(r[0].verdict, Verdict::Skip);
    let why = r[0].reason();
    assert!(
        why.contains(
            "cargo build --release --manifest-path tests/clients/object-store-upload/Cargo.toml"
        ),
        "{why}"
    );
}
