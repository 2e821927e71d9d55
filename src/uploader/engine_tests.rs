//! Engine tests against an in-memory service with scripted faults (no HTTP): retries by cause,
//! fail-fast, complete ambiguity, resume, abort and confirmation, concurrency and memory bounds.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use md5::{Digest, Md5};

use super::checkpoint::Checkpoint;
use super::engine::{read_ahead_group, run, Job};
use super::integrity::{multipart_etag, normalize_etag};
use super::progress::Progress;
use super::remote::{
    BodyMeter, CompleteAck, CompleteRequest, ListedPart, ObjectInfo, PartAck, PartsPage, Remote,
    UploadRef,
};
use super::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Initiate,
    Part(u32),
    AnyPart,
    List,
    Complete,
    Abort,
    Head,
}

impl Op {
    fn matches(self, actual: Op) -> bool {
        self == actual || (self == Op::AnyPart && matches!(actual, Op::Part(_)))
    }
}

#[derive(Clone)]
enum Action {
    /// Answer this error without doing anything.
    Fail(AttemptError),
    /// Do the operation, then answer this error (the answer got lost).
    FailAfterEffect(AttemptError),
    /// Do the operation but answer a wrong ETag.
    WrongEtag,
    /// Run a hook, then carry on normally.
    Hook(Arc<dyn Fn() + Send + Sync>),
    /// Abort only: answer success but leave the upload with one stray part (a part that was in
    /// flight landed after the abort).
    IneffectiveAbort,
    /// Part only: store other bytes than received, acknowledge the received ones.
    CorruptStored,
}

struct Fault {
    op: Op,
    remaining: u32,
    action: Action,
}

type Parts = BTreeMap<u32, (Bytes, String)>;

#[derive(Default)]
struct State {
    uploads: HashMap<String, Parts>,
    objects: HashMap<String, (Bytes, String)>,
    next_id: u32,
    faults: Vec<Fault>,
    in_flight: usize,
    max_in_flight: usize,
    part_calls: u32,
    /// Part numbers in the order their requests started.
    part_order: Vec<u32>,
}

#[derive(Default, Clone)]
struct Fake {
    state: Arc<Mutex<State>>,
    page_size: usize,
}

fn etag_of(data: &[u8]) -> String {
    format!("\"{}\"", hex::encode(Md5::digest(data)))
}

fn service(status: u16, code: &str) -> AttemptError {
    AttemptError::new(
        Cause::Service {
            status,
            code: code.to_string(),
        },
        format!("{code} from the fake"),
    )
}

fn reset(stage: BodyStage) -> AttemptError {
    AttemptError::new(
        Cause::Connection {
            kind: ConnectionKind::Reset,
            stage,
        },
        "reset by the fake",
    )
}

impl Fake {
    fn new() -> Self {
        Fake {
            state: Arc::default(),
            page_size: 1000,
        }
    }

    fn fault(&self, op: Op, times: u32, action: Action) {
        self.state.lock().unwrap().faults.push(Fault {
            op,
            remaining: times,
            action,
        });
    }

    fn take_fault(&self, op: Op) -> Option<Action> {
        let mut st = self.state.lock().unwrap();
        let f = st
            .faults
            .iter_mut()
            .find(|f| f.remaining > 0 && f.op.matches(op))?;
        f.remaining -= 1;
        Some(f.action.clone())
    }

    fn object(&self, key: &str) -> Option<Bytes> {
        self.state
            .lock()
            .unwrap()
            .objects
            .get(key)
            .map(|o| o.0.clone())
    }

    fn open_uploads(&self) -> usize {
        self.state.lock().unwrap().uploads.len()
    }

    /// Applies the scripted fault for `op`: `Err` to answer now, `Ok(Some(err))` to answer
    /// `err` after doing the work, `Ok(None)` to behave.
    fn before(&self, op: Op) -> Result<Option<Action>, AttemptError> {
        match self.take_fault(op) {
            Some(Action::Fail(e)) => Err(e),
            Some(Action::Hook(f)) => {
                f();
                Ok(None)
            }
            other => Ok(other),
        }
    }
}

fn after(action: Option<Action>) -> Result<(), AttemptError> {
    match action {
        Some(Action::FailAfterEffect(e)) => Err(e),
        _ => Ok(()),
    }
}

impl Remote for Fake {
    async fn initiate(&self, _bucket: &str, _key: &str) -> Result<String, AttemptError> {
        let action = self.before(Op::Initiate)?;
        let id = {
            let mut st = self.state.lock().unwrap();
            st.next_id += 1;
            let id = format!("UP{}", st.next_id);
            st.uploads.insert(id.clone(), Parts::new());
            id
        };
        after(action)?;
        Ok(id)
    }

    async fn upload_part(
        &self,
        upload: &UploadRef,
        number: u32,
        part: &super::integrity::PartData,
        meter: &BodyMeter,
    ) -> Result<PartAck, AttemptError> {
        {
            let mut st = self.state.lock().unwrap();
            st.in_flight += 1;
            st.part_calls += 1;
            st.part_order.push(number);
            st.max_in_flight = st.max_in_flight.max(st.in_flight);
        }
        tokio::time::sleep(Duration::from_millis(3)).await;
        let result = (|| {
            let action = self.before(Op::Part(number))?;
            meter.add(part.bytes.len() as u64);
            let etag = etag_of(&part.bytes);
            let stored = if matches!(action, Some(Action::CorruptStored)) {
                let mut v = part.bytes.to_vec();
                if let Some(b) = v.first_mut() {
                    *b ^= 0xff;
                }
                Bytes::from(v)
            } else {
                part.bytes.clone()
            };
            {
                let mut st = self.state.lock().unwrap();
                let parts = st
                    .uploads
                    .get_mut(&upload.upload_id)
                    .ok_or_else(|| service(404, "NoSuchUpload"))?;
                parts.insert(number, (stored, etag.clone()));
            }
            if matches!(action, Some(Action::WrongEtag)) {
                return Ok(PartAck {
                    etag: "\"0123456789abcdef0123456789abcdef\"".into(),
                    checksum: None,
                });
            }
            after(action)?;
            Ok(PartAck {
                etag,
                checksum: None,
            })
        })();
        self.state.lock().unwrap().in_flight -= 1;
        result
    }

    async fn list_parts(
        &self,
        upload: &UploadRef,
        marker: Option<u32>,
    ) -> Result<PartsPage, AttemptError> {
        self.before(Op::List)?;
        let st = self.state.lock().unwrap();
        let parts = st
            .uploads
            .get(&upload.upload_id)
            .ok_or_else(|| service(404, "NoSuchUpload"))?;
        let mut page: Vec<ListedPart> = parts
            .range(marker.map(|m| m + 1).unwrap_or(0)..)
            .map(|(n, (b, e))| ListedPart {
                number: *n,
                size: b.len() as u64,
                etag: e.clone(),
                checksum: None,
            })
            .collect();
        let truncated = page.len() > self.page_size;
        page.truncate(self.page_size);
        let next_marker = if truncated {
            page.last().map(|p| p.number)
        } else {
            None
        };
        Ok(PartsPage {
            parts: page,
            next_marker,
        })
    }

    async fn complete(
        &self,
        upload: &UploadRef,
        request: &CompleteRequest,
    ) -> Result<CompleteAck, AttemptError> {
        let action = self.before(Op::Complete)?;
        let etag = {
            let mut st = self.state.lock().unwrap();
            let parts = st
                .uploads
                .get(&upload.upload_id)
                .ok_or_else(|| service(404, "NoSuchUpload"))?;
            let mut data = Vec::new();
            let mut md5s = Vec::new();
            for p in &request.parts {
                let (bytes, etag) = parts
                    .get(&p.number)
                    .ok_or_else(|| service(400, "InvalidPart"))?;
                if normalize_etag(etag) != normalize_etag(&p.etag) {
                    return Err(service(400, "InvalidPart"));
                }
                data.extend_from_slice(bytes);
                // Like real servers: the object ETag comes from the part ETags as stored.
                let mut md5 = [0u8; 16];
                hex::decode_to_slice(normalize_etag(etag), &mut md5).unwrap();
                md5s.push(md5);
            }
            let etag = format!("\"{}\"", multipart_etag(&md5s));
            st.uploads.remove(&upload.upload_id);
            st.objects
                .insert(upload.key.clone(), (Bytes::from(data), etag.clone()));
            etag
        };
        if let Some(Action::Fail(e)) | Some(Action::FailAfterEffect(e)) = action {
            return Err(e);
        }
        if matches!(action, Some(Action::WrongEtag)) {
            return Ok(CompleteAck {
                etag: Some("\"0123456789abcdef0123456789abcdef-2\"".into()),
                checksum: None,
            });
        }
        Ok(CompleteAck {
            etag: Some(etag),
            checksum: None,
        })
    }

    async fn abort(&self, upload: &UploadRef) -> Result<(), AttemptError> {
        let action = self.before(Op::Abort)?;
        let mut st = self.state.lock().unwrap();
        if st.uploads.remove(&upload.upload_id).is_none() {
            return Err(service(404, "NoSuchUpload"));
        }
        if matches!(action, Some(Action::IneffectiveAbort)) {
            let mut stray = Parts::new();
            stray.insert(1, (Bytes::from_static(b"late"), etag_of(b"late")));
            st.uploads.insert(upload.upload_id.clone(), stray);
        }
        drop(st);
        after(action)
    }

    async fn read_part_md5s(
        &self,
        _bucket: &str,
        key: &str,
        part_size: u64,
    ) -> Result<Vec<[u8; 16]>, AttemptError> {
        let st = self.state.lock().unwrap();
        let (data, _) = st
            .objects
            .get(key)
            .ok_or_else(|| service(404, "NoSuchKey"))?;
        if data.is_empty() {
            return Ok(vec![Md5::digest(b"").into()]);
        }
        Ok(data
            .chunks(part_size as usize)
            .map(|c| Md5::digest(c).into())
            .collect())
    }

    async fn head(&self, _bucket: &str, key: &str) -> Result<Option<ObjectInfo>, AttemptError> {
        self.before(Op::Head)?;
        let st = self.state.lock().unwrap();
        Ok(st.objects.get(key).map(|(b, e)| ObjectInfo {
            size: b.len() as u64,
            etag: Some(e.clone()),
        }))
    }
}

fn config() -> UploaderConfig {
    UploaderConfig {
        part_size: Some(1000),
        max_attempts: 3,
        backoff: Backoff::NONE,
        concurrency: 4,
        memory_budget: 1 << 20,
        ..UploaderConfig::new(
            "http://127.0.0.1:9",
            Dialect::S3,
            Credentials::new("ak", "sk"),
        )
    }
}

fn file_with(len: usize) -> (tempfile::NamedTempFile, Vec<u8>) {
    let data: Vec<u8> = (0..len).map(|i| (i * 7 % 253) as u8).collect();
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(&data).unwrap();
    f.flush().unwrap();
    (f, data)
}

fn job(path: &Path) -> Job {
    Job {
        path: path.to_path_buf(),
        bucket: "b".into(),
        key: "k".into(),
        resume: None,
        checkpoint: None,
    }
}

async fn upload(fake: &Fake, cfg: UploaderConfig, job: Job) -> Result<UploadReport, UploadError> {
    run(
        Arc::new(fake.clone()),
        Arc::new(cfg),
        Progress::default(),
        job,
    )
    .await
}

#[tokio::test]
async fn uploads_odd_sized_file_in_parts() {
    let fake = Fake::new();
    let (f, data) = file_with(5_500);
    let r = upload(&fake, config(), job(f.path())).await.unwrap();
    assert_eq!(fake.object("k").unwrap(), data);
    assert_eq!(r.parts, 6);
    assert_eq!(r.parts_uploaded, 6);
    assert_eq!(r.bytes, 5_500);
    assert_eq!(r.bytes_sent, 5_500);
    assert_eq!(r.retries, 0);
    assert_eq!(r.attempts.get("upload_part"), Some(&6));
    let md5s: Vec<[u8; 16]> = data.chunks(1000).map(|c| Md5::digest(c).into()).collect();
    assert_eq!(r.etag, multipart_etag(&md5s));
    assert_eq!(r.expected_etag, r.etag);
    assert!(!r.confirmed_by_head);
    assert_eq!(fake.open_uploads(), 0);
}

#[tokio::test]
async fn empty_file_is_one_empty_part() {
    let fake = Fake::new();
    let (f, _) = file_with(0);
    let r = upload(&fake, config(), job(f.path())).await.unwrap();
    assert_eq!(fake.object("k").unwrap().len(), 0);
    assert_eq!(r.parts, 1);
    assert_eq!(r.etag, "59adb24ef3cdbe0297f05b395827453f-1");
}

#[tokio::test]
async fn transient_failures_are_retried_and_counted_by_cause() {
    let fake = Fake::new();
    fake.fault(Op::Part(2), 2, Action::Fail(service(503, "SlowDown")));
    fake.fault(
        Op::Part(4),
        1,
        Action::FailAfterEffect(reset(BodyStage::DuringBody)),
    );
    fake.fault(Op::Initiate, 1, Action::Fail(service(500, "InternalError")));
    fake.fault(
        Op::Complete,
        1,
        Action::Fail(AttemptError::new(
            Cause::ErrorInOk {
                code: "InternalError".into(),
            },
            "",
        )),
    );
    let (f, data) = file_with(4_321);
    let r = upload(&fake, config(), job(f.path())).await.unwrap();
    assert_eq!(fake.object("k").unwrap(), data);
    assert_eq!(r.retries, 5);
    assert_eq!(r.retries_by_cause.get("http_503_SlowDown"), Some(&2));
    assert_eq!(
        r.retries_by_cause.get("connection_reset_during_body"),
        Some(&1)
    );
    assert_eq!(r.retries_by_cause.get("http_500_InternalError"), Some(&1));
    assert_eq!(
        r.retries_by_cause.get("error_in_200_InternalError"),
        Some(&1)
    );
    assert_eq!(r.attempts.get("upload_part"), Some(&(5 + 3)));
    assert_eq!(r.attempts.get("complete"), Some(&2));
    // Part 4 was sent twice; part 2's failures happened before any byte went out.
    assert_eq!(r.bytes_sent, 4_321 + 1000);
}

#[tokio::test]
async fn wrong_etag_is_retried_as_corruption() {
    let fake = Fake::new();
    fake.fault(Op::Part(3), 1, Action::WrongEtag);
    let (f, data) = file_with(3_000);
    let r = upload(&fake, config(), job(f.path())).await.unwrap();
    assert_eq!(fake.object("k").unwrap(), data);
    assert_eq!(r.retries_by_cause.get("etag_mismatch"), Some(&1));
}

#[tokio::test]
async fn persistent_wrong_etag_fails_and_aborts() {
    let fake = Fake::new();
    fake.fault(Op::Part(1), 99, Action::WrongEtag);
    let (f, _) = file_with(3_000);
    let err = upload(&fake, config(), job(f.path())).await.unwrap_err();
    match &err {
        UploadError::RetriesExhausted {
            phase,
            attempts,
            error,
            cleanup,
        } => {
            assert_eq!(*phase, Phase::UploadPart { part_number: 1 });
            assert_eq!(*attempts, 3);
            assert_eq!(error.cause, Cause::EtagMismatch);
            assert!(matches!(cleanup, Cleanup::Aborted { rounds: 1, .. }));
        }
        other => panic!("unexpected error {other}"),
    }
    assert_eq!(fake.open_uploads(), 0);
    assert!(fake.object("k").is_none());
}

#[tokio::test]
async fn access_denied_fails_fast_and_aborts() {
    let fake = Fake::new();
    fake.fault(Op::Part(3), 99, Action::Fail(service(403, "AccessDenied")));
    let (f, _) = file_with(10_000);
    let err = upload(&fake, config(), job(f.path())).await.unwrap_err();
    let UploadError::Rejected {
        phase,
        error,
        cleanup,
    } = &err
    else {
        panic!("unexpected error {err}");
    };
    assert_eq!(*phase, Phase::UploadPart { part_number: 3 });
    assert_eq!(error.cause.key(), "http_403_AccessDenied");
    assert!(matches!(cleanup, Cleanup::Aborted { .. }));
    // One attempt only for the rejected part.
    let remaining = fake.state.lock().unwrap().faults[0].remaining;
    assert_eq!(remaining, 98);
    assert_eq!(fake.open_uploads(), 0);
    assert!(err
        .to_string()
        .contains("upload part 3 rejected: HTTP 403 AccessDenied"));
}

#[tokio::test]
async fn fatal_initiate_leaves_nothing_to_clean() {
    let fake = Fake::new();
    fake.fault(Op::Initiate, 1, Action::Fail(service(404, "NoSuchBucket")));
    let (f, _) = file_with(10);
    let err = upload(&fake, config(), job(f.path())).await.unwrap_err();
    assert_eq!(err.cleanup(), Some(&Cleanup::NothingStarted));
    assert_eq!(err.phase(), Some(Phase::Initiate));
}

#[tokio::test]
async fn lost_complete_answer_is_confirmed_by_head() {
    let fake = Fake::new();
    fake.fault(
        Op::Complete,
        1,
        Action::FailAfterEffect(reset(BodyStage::AfterBody)),
    );
    let (f, data) = file_with(2_500);
    let r = upload(&fake, config(), job(f.path())).await.unwrap();
    assert!(r.confirmed_by_head);
    assert_eq!(fake.object("k").unwrap(), data);
    assert_eq!(
        r.retries_by_cause.get("connection_reset_after_body"),
        Some(&1)
    );
    assert_eq!(r.etag, r.expected_etag);
}

#[tokio::test]
async fn lost_complete_with_all_retries_failing_is_still_confirmed() {
    let fake = Fake::new();
    fake.fault(
        Op::Complete,
        1,
        Action::FailAfterEffect(AttemptError::new(
            Cause::Timeout {
                kind: TimeoutKind::FirstByte,
            },
            "",
        )),
    );
    let cfg = UploaderConfig {
        max_attempts: 1,
        ..config()
    };
    let (f, data) = file_with(1_500);
    let r = upload(&fake, cfg, job(f.path())).await.unwrap();
    assert!(r.confirmed_by_head);
    assert_eq!(fake.object("k").unwrap(), data);
}

#[tokio::test]
async fn vanished_upload_without_object_is_reported_as_lost() {
    let fake = Fake::new();
    fake.fault(Op::Complete, 1, Action::Fail(reset(BodyStage::AfterBody)));
    fake.fault(Op::Complete, 1, Action::Fail(service(404, "NoSuchUpload")));
    let (f, _) = file_with(1_500);
    let err = upload(&fake, config(), job(f.path())).await.unwrap_err();
    assert!(
        matches!(err, UploadError::UploadLost { .. }),
        "unexpected error {err}"
    );
}

#[tokio::test]
async fn no_such_upload_on_first_complete_is_rejected_as_gone() {
    let fake = Fake::new();
    fake.fault(Op::Complete, 1, Action::Fail(service(404, "NoSuchUpload")));
    let (f, _) = file_with(1_500);
    let err = upload(&fake, config(), job(f.path())).await.unwrap_err();
    assert!(matches!(err.cleanup(), Some(Cleanup::Gone { .. })), "{err}");
    assert_eq!(err.phase(), Some(Phase::Complete));
}

#[tokio::test]
async fn concurrency_bounds_parts_in_flight() {
    let fake = Fake::new();
    let cfg = UploaderConfig {
        concurrency: 3,
        ..config()
    };
    let (f, data) = file_with(20_000);
    let r = upload(&fake, cfg, job(f.path())).await.unwrap();
    assert_eq!(fake.object("k").unwrap(), data);
    let max = fake.state.lock().unwrap().max_in_flight;
    assert_eq!(max, 3);
    assert_eq!(r.effective_concurrency, 3);
}

#[tokio::test]
async fn memory_budget_bounds_parts_in_flight_whatever_the_concurrency() {
    let fake = Fake::new();
    let cfg = UploaderConfig {
        concurrency: 16,
        part_size: Some(2048),
        memory_budget: 4096,
        ..config()
    };
    let (f, data) = file_with(40_000);
    let r = upload(&fake, cfg, job(f.path())).await.unwrap();
    assert_eq!(fake.object("k").unwrap(), data);
    assert!(fake.state.lock().unwrap().max_in_flight <= 2);
    assert!(r.peak_memory_bytes <= 4096, "peak {}", r.peak_memory_bytes);
    assert!(r.peak_memory_bytes >= 2048);
    assert_eq!(r.effective_concurrency, 2);
}

#[test]
fn read_ahead_groups_are_half_the_room_beyond_the_parts_sent_at_most_concurrency() {
    // No room beyond the parts being sent: one at a time, as before read-ahead.
    assert_eq!(read_ahead_group(8, 8), 1);
    assert_eq!(read_ahead_group(3, 8), 1);
    assert_eq!(read_ahead_group(9, 8), 1);
    // Half of the read-ahead room, so the other half stays ready for freed slots.
    assert_eq!(read_ahead_group(16, 8), 4);
    // At most `concurrency` parts at once (the engine holds at most 3 x concurrency).
    assert_eq!(read_ahead_group(24, 8), 8);
    assert_eq!(read_ahead_group(1000, 8), 8);
    assert_eq!(read_ahead_group(1000, 1), 1);
    assert_eq!(read_ahead_group(5, 0), 1, "concurrency 0 counts as 1");
}

/// With room for more parts than are sent at once, parts are read and hashed ahead (in
/// groups) but still start on the wire in part order, never more than `concurrency` at once,
/// and the budget is never exceeded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parts_read_ahead_still_go_out_in_order() {
    let fake = Fake::new();
    let cfg = UploaderConfig {
        concurrency: 2,
        part_size: Some(1024),
        memory_budget: 16 * 1024,
        ..config()
    };
    let (f, data) = file_with(30 * 1024 + 5);
    let r = upload(&fake, cfg, job(f.path())).await.unwrap();
    assert_eq!(fake.object("k").unwrap(), data);
    let st = fake.state.lock().unwrap();
    let expected: Vec<u32> = (1..=31).collect();
    assert_eq!(st.part_order, expected);
    assert_eq!(st.max_in_flight, 2);
    assert_eq!(r.effective_concurrency, 2);
    // Read-ahead is capped at twice the concurrency: 6 parts of 1 KiB held at most.
    assert!(
        r.peak_memory_bytes <= 6 * 1024,
        "peak {}",
        r.peak_memory_bytes
    );
    assert!(r.peak_memory_bytes > 2 * 1024, "nothing was read ahead");
}

#[tokio::test]
async fn part_larger_than_budget_is_a_config_error() {
    let fake = Fake::new();
    let cfg = UploaderConfig {
        part_size: None,
        memory_budget: 1024,
        ..config()
    };
    let (f, _) = file_with(5_000);
    let err = upload(&fake, cfg, job(f.path())).await.unwrap_err();
    assert!(matches!(
        err,
        UploadError::Config(ConfigError::PartExceedsBudget { .. })
    ));
    assert_eq!(fake.open_uploads(), 0);
}

/// Puts an upload with the given parts into the fake; returns its id.
fn seed_upload(fake: &Fake, parts: &[(u32, &[u8])]) -> String {
    let mut st = fake.state.lock().unwrap();
    st.next_id += 1;
    let id = format!("UP{}", st.next_id);
    let map = parts
        .iter()
        .map(|(n, b)| (*n, (Bytes::copy_from_slice(b), etag_of(b))))
        .collect();
    st.uploads.insert(id.clone(), map);
    id
}

#[tokio::test]
async fn resume_reuses_verified_parts_and_replaces_bad_ones() {
    let mut fake = Fake::new();
    fake.page_size = 2; // force paging
    let (f, data) = file_with(5_200);
    let id = seed_upload(
        &fake,
        &[
            (1, &data[0..1000]),
            (2, &data[1000..2000]),
            (3, b"not the file's bytes"),
            (5, &data[4000..5000]),
            (99, b"stray part beyond the plan"),
        ],
    );
    let mut j = job(f.path());
    j.resume = Some(id.clone());
    let cfg = UploaderConfig {
        part_size: None,
        ..config()
    };
    let r = upload(&fake, cfg, j).await.unwrap();
    assert_eq!(fake.object("k").unwrap(), data);
    assert!(r.resumed);
    assert_eq!(r.upload_id, id);
    assert_eq!(
        r.part_size, 1000,
        "part size inferred from the listed parts"
    );
    assert_eq!(r.parts_reused, 3);
    assert_eq!(r.parts_uploaded, 3);
    assert!(r.attempts.get("list_parts").copied().unwrap_or(0) >= 3);
}

#[tokio::test]
async fn resume_of_unknown_upload_is_refused() {
    let fake = Fake::new();
    let (f, _) = file_with(100);
    let mut j = job(f.path());
    j.resume = Some("nope".into());
    let err = upload(&fake, config(), j).await.unwrap_err();
    assert!(matches!(err, UploadError::Resume { .. }), "{err}");
}

#[tokio::test]
async fn kept_upload_and_checkpoint_allow_a_later_resume() {
    let fake = Fake::new();
    let dir = tempfile::tempdir().unwrap();
    let cp = dir.path().join("cp.json");
    let (f, data) = file_with(6_000);
    fake.fault(Op::Part(4), 99, Action::Fail(service(403, "AccessDenied")));
    let cfg = UploaderConfig {
        abort_on_failure: false,
        concurrency: 1,
        ..config()
    };
    let mut j = job(f.path());
    j.checkpoint = Some(cp.clone());
    let err = upload(&fake, cfg.clone(), j.clone()).await.unwrap_err();
    let Some(Cleanup::Kept { upload_id }) = err.cleanup().cloned() else {
        panic!("upload should be kept: {err}");
    };
    assert_eq!(fake.open_uploads(), 1);
    let saved = Checkpoint::load(&cp).unwrap().unwrap();
    assert_eq!(saved.upload_id, upload_id);
    assert_eq!(saved.part_size, 1000);

    fake.state.lock().unwrap().faults.clear();
    let r = upload(&fake, cfg, j).await.unwrap();
    assert_eq!(fake.object("k").unwrap(), data);
    assert!(r.resumed);
    assert_eq!(r.upload_id, upload_id);
    assert_eq!(r.parts_reused, 3);
    assert_eq!(r.parts_uploaded, 3);
    assert!(!cp.exists(), "checkpoint removed after success");
}

#[tokio::test]
async fn checkpoint_for_another_target_is_refused() {
    let fake = Fake::new();
    let dir = tempfile::tempdir().unwrap();
    let cp = dir.path().join("cp.json");
    let (f, _) = file_with(100);
    let mut j = job(f.path());
    j.checkpoint = Some(cp.clone());
    fake.fault(Op::Complete, 1, Action::Fail(service(400, "InvalidPart")));
    let cfg = UploaderConfig {
        abort_on_failure: false,
        ..config()
    };
    upload(&fake, cfg.clone(), j.clone()).await.unwrap_err();
    j.key = "other".into();
    let err = upload(&fake, cfg, j).await.unwrap_err();
    assert!(matches!(err, UploadError::Checkpoint { .. }), "{err}");
}

#[tokio::test]
async fn abort_is_repeated_until_nothing_is_left() {
    let fake = Fake::new();
    fake.fault(Op::Part(2), 99, Action::Fail(service(403, "AccessDenied")));
    fake.fault(Op::Abort, 1, Action::IneffectiveAbort);
    let (f, _) = file_with(3_000);
    let err = upload(&fake, config(), job(f.path())).await.unwrap_err();
    assert!(
        matches!(err.cleanup(), Some(Cleanup::Aborted { rounds: 2, .. })),
        "{err}"
    );
    assert_eq!(fake.open_uploads(), 0);
}

#[tokio::test]
async fn failed_abort_is_reported_loudly() {
    let fake = Fake::new();
    fake.fault(Op::Part(1), 99, Action::Fail(service(403, "AccessDenied")));
    fake.fault(Op::Abort, 99, Action::Fail(service(503, "SlowDown")));
    let (f, _) = file_with(3_000);
    let err = upload(&fake, config(), job(f.path())).await.unwrap_err();
    assert!(
        matches!(err.cleanup(), Some(Cleanup::AbortFailed { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("ABORT OF UPLOAD"));
}

#[tokio::test]
async fn file_changing_during_upload_is_detected() {
    let fake = Fake::new();
    let (f, _) = file_with(3_000);
    let path = f.path().to_path_buf();
    fake.fault(
        Op::Part(1),
        1,
        Action::Hook(Arc::new(move || {
            std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .unwrap()
                .write_all(b"more")
                .unwrap();
        })),
    );
    let cfg = UploaderConfig {
        concurrency: 1,
        ..config()
    };
    let err = upload(&fake, cfg, job(f.path())).await.unwrap_err();
    assert!(matches!(err, UploadError::FileChanged { .. }), "{err}");
    assert!(matches!(err.cleanup(), Some(Cleanup::Aborted { .. })));
    assert!(fake.object("k").is_none());
}

#[tokio::test]
async fn progress_accounts_for_every_byte_once() {
    let fake = Fake::new();
    fake.fault(
        Op::Part(2),
        1,
        Action::FailAfterEffect(reset(BodyStage::AfterBody)),
    );
    let (f, _) = file_with(4_500);
    let events: Arc<Mutex<Vec<ProgressEvent>>> = Arc::default();
    let sink = Arc::clone(&events);
    let progress = Progress::new(Some(Arc::new(move |e: &ProgressEvent| {
        sink.lock().unwrap().push(e.clone());
    })));
    run(
        Arc::new(fake.clone()),
        Arc::new(config()),
        progress,
        job(f.path()),
    )
    .await
    .unwrap();
    let events = events.lock().unwrap();
    assert!(matches!(
        events.first(),
        Some(ProgressEvent::Started { parts: 5, .. })
    ));
    assert_eq!(events.last(), Some(&ProgressEvent::Finished));
    let mut net: i64 = 0;
    for e in events.iter() {
        match e {
            ProgressEvent::Sent { bytes } => net += *bytes as i64,
            ProgressEvent::Rewound { bytes } => net -= *bytes as i64,
            _ => {}
        }
    }
    assert_eq!(net, 4_500);
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, ProgressEvent::PartDone { .. }))
            .count(),
        5
    );
    assert!(events
        .iter()
        .any(|e| matches!(e, ProgressEvent::Retrying { attempt: 1, .. })));
}

#[tokio::test]
async fn storage_that_keeps_other_bytes_is_caught_by_read_back() {
    let fake = Fake::new();
    fake.fault(Op::Part(2), 1, Action::CorruptStored);
    let (f, _) = file_with(3_500);
    // Without read-back the upload looks perfect: every ETag matches.
    let r = upload(&fake, config(), job(f.path())).await.unwrap();
    assert!(!r.verified_readback);

    fake.fault(Op::Part(3), 1, Action::CorruptStored);
    let cfg = UploaderConfig {
        verify_readback: true,
        ..config()
    };
    let err = upload(&fake, cfg.clone(), job(f.path())).await.unwrap_err();
    let UploadError::Integrity { phase, detail, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!(*phase, Phase::Verify);
    assert!(detail.contains("differing parts: 3"), "{detail}");
    assert!(err.object_written());

    let r = upload(&fake, cfg, job(f.path())).await.unwrap();
    assert!(r.verified_readback);
    assert_eq!(r.attempts.get("verify"), Some(&1));
}

#[tokio::test]
async fn wrong_object_etag_after_complete_is_an_integrity_failure() {
    let fake = Fake::new();
    fake.fault(Op::Complete, 1, Action::WrongEtag);
    let (f, _) = file_with(1_500);
    let err = upload(&fake, config(), job(f.path())).await.unwrap_err();
    let UploadError::Integrity { phase, detail, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!(*phase, Phase::Complete);
    assert!(
        detail.contains("0123456789abcdef0123456789abcdef-2"),
        "{detail}"
    );
    assert!(
        err.object_written(),
        "the object exists: it is reported, not aborted"
    );
}
