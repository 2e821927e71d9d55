//! Properties: abort and complete racing with in-flight part uploads (and with each other)
//! leave either a consistent object or a clean abort — never an orphan blob, never a
//! half-finished upload — on both store backends, over loopback HTTP.
//!
//! Case counts are sized for CI. For a long soak run set `PROPTEST_CASES`, e.g.
//! `PROPTEST_CASES=1000 cargo test --release -p mock-server --test prop_cleanup`. A failure
//! prints the shrunk race (sizes, delays, who raced whom); its seed is saved in
//! `mock-server/tests/proptest-regressions/prop_cleanup.txt` and replayed first next time.

mod prop_support;

use std::time::Duration;

use futures_util::future::join_all;
use prop_support::{bytes_from, md5_hex, multipart_etag, Answer, Harness, Store};
use proptest::prelude::*;

const MIN: u64 = 16 * 1024;

/// A part upload that races: number, size, seed, start delay (µs).
#[derive(Clone, Debug)]
struct Racer {
    n: u32,
    len: usize,
    seed: u64,
    delay_us: u64,
}

fn racer() -> impl Strategy<Value = Racer> {
    (1..=6u32, 0usize..(1 << 20), any::<u64>(), 0u64..3000).prop_map(|(n, len, seed, delay_us)| {
        Racer {
            n,
            len,
            seed,
            delay_us,
        }
    })
}

/// What races the part uploads.
#[derive(Clone, Debug)]
enum Finisher {
    /// Abort after this delay (µs).
    Abort(u64),
    /// Complete parts `1..=k` (uploaded before the race) after this delay.
    Complete(u64),
    /// Complete and abort at once, after these delays.
    CompleteAndAbort(u64, u64),
}

#[derive(Clone, Debug)]
struct Race {
    /// Parts uploaded before the race (numbers 1..=len), sizes >= MIN.
    before: Vec<(usize, u64)>,
    racers: Vec<Racer>,
    finisher: Finisher,
}

fn race() -> impl Strategy<Value = Race> {
    (
        proptest::collection::vec((MIN as usize..2 * MIN as usize, any::<u64>()), 1..4),
        proptest::collection::vec(racer(), 1..6),
        prop_oneof![
            (0u64..3000).prop_map(Finisher::Abort),
            (0u64..3000).prop_map(Finisher::Complete),
            (0u64..3000, 0u64..3000).prop_map(|(a, b)| Finisher::CompleteAndAbort(a, b)),
        ],
    )
        .prop_map(|(before, racers, finisher)| Race {
            before,
            racers,
            finisher,
        })
}

async fn after(us: u64) {
    if us > 0 {
        tokio::time::sleep(Duration::from_micros(us)).await;
    }
}

fn expect_part(a: &Answer, data: &[u8]) -> Result<(), String> {
    match a.status {
        200 if a.etag().as_deref() == Some(md5_hex(data).as_str()) => Ok(()),
        404 if a.code().as_deref() == Some("NoSuchUpload") => Ok(()),
        _ => Err(format!(
            "racing part upload answered {} {:?} etag {:?}",
            a.status,
            a.code(),
            a.etag()
        )),
    }
}

async fn run(h: &Harness, case: u64, race: &Race) -> Result<(), String> {
    let r = run_inner(h, case, race).await;
    if r.is_err() {
        h.reset().await;
    }
    r
}

async fn run_inner(h: &Harness, case: u64, race: &Race) -> Result<(), String> {
    let key = format!("race-{case}");
    let id = h.initiate(&key).await?;
    let mut before = Vec::new();
    for (i, (len, seed)) in race.before.iter().enumerate() {
        let data = bytes_from(*seed, *len);
        let a = h.upload_part(&key, &id, i as u32 + 1, data.clone()).await;
        if a.status != 200 {
            return Err(format!("part upload before the race answered {}", a.status));
        }
        before.push(data);
    }
    let listed: Vec<(u32, String)> = before
        .iter()
        .enumerate()
        .map(|(i, d)| (i as u32 + 1, md5_hex(d)))
        .collect();
    let racers = race.racers.iter().map(|r| {
        let (key, id) = (&key, &id);
        async move {
            after(r.delay_us).await;
            let data = bytes_from(r.seed, r.len);
            let a = h.upload_part(key, id, r.n, data.clone()).await;
            (r.clone(), data, a)
        }
    });
    let (key_ref, id_ref, listed_ref) = (&key, &id, &listed);
    let finish = async move {
        match race.finisher {
            Finisher::Abort(d) => {
                after(d).await;
                (None, Some(h.abort(key_ref, id_ref).await))
            }
            Finisher::Complete(d) => {
                after(d).await;
                (Some(h.complete(key_ref, id_ref, listed_ref).await), None)
            }
            Finisher::CompleteAndAbort(c, a) => {
                let (c, a) = tokio::join!(
                    async {
                        after(c).await;
                        h.complete(key_ref, id_ref, listed_ref).await
                    },
                    async {
                        after(a).await;
                        h.abort(key_ref, id_ref).await
                    }
                );
                (Some(c), Some(a))
            }
        }
    };
    let (parts, (complete, abort)) = tokio::join!(join_all(racers), finish);
    for (_, data, a) in &parts {
        expect_part(a, data)?;
    }
    let completed = match &complete {
        Some(a) if a.status == 200 => true,
        // A racing re-upload of a listed part changed its ETag first.
        Some(a) if a.status == 400 && a.code().as_deref() == Some("InvalidPart") => false,
        Some(a) if a.status == 404 && a.code().as_deref() == Some("NoSuchUpload") => false,
        Some(a) => return Err(format!("complete answered {} {:?}", a.status, a.code())),
        None => false,
    };
    let aborted = match &abort {
        Some(a) if a.status == 204 => true,
        Some(a) if a.status == 404 && a.code().as_deref() == Some("NoSuchUpload") => false,
        Some(a) => return Err(format!("abort answered {} {:?}", a.status, a.code())),
        None => false,
    };
    if completed && aborted {
        return Err("both the complete and the abort succeeded".into());
    }
    if abort.is_some() && !completed && !aborted {
        return Err("neither the complete nor the abort succeeded".into());
    }
    if !h.server.idle(Duration::from_secs(10)).await {
        return Err("server not idle after the race".into());
    }
    let st = h.server.state();
    let object = st
        .buckets
        .iter()
        .find_map(|b| b.objects.iter().find(|o| o.key == key));
    let open = st
        .buckets
        .iter()
        .flat_map(|b| b.uploads.iter())
        .any(|u| u.upload_id == id);
    if completed {
        // A consistent object: exactly the listed parts' bytes as they were when listed.
        let bodies: Vec<&[u8]> = before.iter().map(Vec::as_slice).collect();
        let want = bodies.concat();
        let g = h.get(&key, None, None).await;
        if g.status != 200 || g.body.as_ref() != want.as_slice() {
            return Err(format!(
                "completed object reads {} bytes (status {}), expected {}",
                g.body.len(),
                g.status,
                want.len()
            ));
        }
        if g.etag() != Some(multipart_etag(&bodies)) {
            return Err(format!("completed object ETag {:?}", g.etag()));
        }
        if open {
            return Err("the upload is still open after a successful complete".into());
        }
        h.delete(&key).await;
    } else {
        if object.is_some() {
            return Err("an object exists though no complete succeeded".into());
        }
        if aborted && open {
            return Err("the upload is still open after a successful abort".into());
        }
        if open {
            // The complete lost to a re-upload: the upload holds every part's last bytes.
            h.abort(&key, &id).await;
        }
    }
    h.check_storage().await?;
    let st = h.server.state();
    if st.blob_count != 0 || st.open_uploads() != 0 {
        return Err(format!(
            "leftovers after the race (completed {completed}, aborted {aborted}): {} uploads, {} blobs, objects {:?}",
            st.open_uploads(),
            st.blob_count,
            st.buckets.iter().flat_map(|b| b.objects.iter().map(|o| (o.key.clone(), o.size))).collect::<Vec<_>>()
        ));
    }
    Ok(())
}

fn races(store: Store, default_cases: u32) {
    let h = Harness::start(store, MIN);
    let case = std::cell::Cell::new(0u64);
    proptest!(prop_support::config(default_cases, "tests/proptest-regressions/prop_cleanup.txt"), |(r in race())| {
        case.set(case.get() + 1);
        let res = h.rt.block_on(run(&h, case.get(), &r));
        prop_assert!(res.is_ok(), "{}", res.err().unwrap_or_default());
    });
}

/// Rule: abort racing with in-flight part uploads, complete racing with part uploads
/// (including re-uploads of listed parts), and complete racing with abort end in exactly one
/// of: a consistent object (the listed parts' bytes, md5-of-md5s ETag, upload gone) or a clean
/// abort (no object, no upload); late part uploads get NoSuchUpload; and no blob is left
/// unreferenced, in the store or in the data dir. Memory store.
#[test]
fn races_leave_object_or_clean_abort_memory() {
    races(Store::Memory, 64);
}

/// [`races_leave_object_or_clean_abort_memory`]'s rule on the disk store.
#[test]
fn races_leave_object_or_clean_abort_disk() {
    races(Store::Disk, 48);
}
