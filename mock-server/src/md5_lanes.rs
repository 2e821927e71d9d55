//! Multi-buffer MD5 across concurrent streams.
//!
//! MD5 is the wall of a server that must compute every part's ETag: one stream hashes at
//! under 1 GB/s per core, because each 64-byte block depends on the one before. Several
//! *independent* streams, though, can share the SIMD lanes of one core (8 with AVX2, 16 with
//! AVX-512) — and a busy multipart upload is exactly that: parts arriving side by side.
//!
//! [`Md5Lanes`] is a hashing thread that every concurrent request body feeds. Each body gets an
//! [`Md5Stream`]; its chunks are queued (shared [`Bytes`], never copied) and the thread hashes
//! the front chunks of all streams that have data in one multi-buffer call
//! ([`md5_many::Md5Many::update_many`]), cutting them to equal, block-aligned lengths so every
//! lane runs at full speed. A call costs the same however many of its lanes carry a stream, so
//! before each one the thread waits briefly (at most a millisecond) for every open stream to
//! have data. One stream alone is hashed by the fast single-stream compressor. Hashing also
//! overlaps with the request's own work (reading the socket, writing the blob).
//! [`Md5Lanes::stats`] tells how busy the lanes were.
//!
//! A stream never queues more than [`QUEUE_LIMIT`] bytes: [`Md5Stream::reserve`] waits for the
//! thread to catch up, so memory stays bounded when the thread is the bottleneck.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use bytes::Bytes;
//! use mock_server::md5_lanes::Md5Lanes;
//!
//! let mut stream = Md5Lanes::global().stream();
//! stream.reserve().await;
//! stream.update(Bytes::from_static(b"The quick brown fox jumps over the lazy dog"));
//! let digest = stream.finish().await;
//! assert_eq!(hex::encode(digest), "9e107d9d372bb6826bd81d3542a419d6");
//! # });
//! ```

use bytes::Bytes;
use md5_many::{Md5Many, Md5State};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use tokio::sync::{oneshot, Notify};

/// Most bytes a stream may have queued and not yet hashed before [`Md5Stream::reserve`] waits.
pub const QUEUE_LIMIT: usize = 512 << 10;

/// Most streams hashed together in one multi-buffer call (three chains of AVX-512's 16 lanes,
/// the widest kernel md5-many has).
const MAX_BATCH: usize = 48;

/// Chunks shorter than this are not used to cut the others down to a common length.
const MIN_CUT: usize = 4096;

/// A multi-buffer MD5 engine: one hashing thread shared by any number of [`Md5Stream`]s.
#[derive(Debug)]
pub struct Md5Lanes {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<Lanes>,
    work: Condvar,
    /// No hashing thread could be started: streams hash at `finish`, in the caller.
    inline: AtomicBool,
    counters: Counters,
}

/// Running totals behind [`LaneStats`].
#[derive(Debug, Default)]
struct Counters {
    alone: AtomicU64,
    shared: AtomicU64,
    capacity: AtomicU64,
    calls: AtomicU64,
}

/// How well an [`Md5Lanes`] engine has used its SIMD lanes since it started.
///
/// Every multi-buffer call runs all lanes of whole lane groups for as long as its longest
/// input; lanes without a stream of their own hash padding. `shared_bytes / lane_capacity` is
/// the share of that work that was real.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LaneStats {
    /// Bytes hashed one stream at a time (short chunks, bytes up to a block boundary, batches
    /// of too few streams).
    pub alone_bytes: u64,
    /// Bytes hashed in multi-buffer calls.
    pub shared_bytes: u64,
    /// Bytes the multi-buffer calls could have hashed with every lane busy.
    pub lane_capacity: u64,
    /// Multi-buffer calls made.
    pub calls: u64,
}

impl LaneStats {
    /// The share of the multi-buffer work that hashed a real stream rather than padding:
    /// `shared_bytes / lane_capacity`, from 0 to 1 (0 before the first multi-buffer call; 8
    /// streams on 16 lanes make at most 0.5).
    pub fn occupancy(&self) -> f64 {
        if self.lane_capacity == 0 {
            0.0
        } else {
            self.shared_bytes as f64 / self.lane_capacity as f64
        }
    }
}

#[derive(Debug, Default)]
struct Lanes {
    streams: HashMap<u64, Slot>,
    next_id: u64,
}

#[derive(Debug)]
struct Slot {
    state: Md5State,
    queue: VecDeque<Bytes>,
    queued: usize,
    /// The thread holds this stream's state (it is being hashed right now).
    busy: bool,
    /// The stream is finished: send the digest once the queue is empty.
    finish: Option<oneshot::Sender<[u8; 16]>>,
    /// Signalled whenever queued bytes were hashed.
    space: Arc<Notify>,
}

impl Slot {
    /// Ready for the thread: data queued, not already being hashed.
    fn has_work(&self) -> bool {
        !self.busy && (!self.queue.is_empty() || self.finish.is_some())
    }

    /// Has enough queued to take a lane (roughly: [`MIN_CUT`] bytes past a block boundary).
    fn can_share(&self) -> bool {
        !self.busy && self.queued >= MIN_CUT + 128
    }

    /// Finished, with nothing left to hash but a short tail: leaves at the next batch.
    fn is_leaving(&self) -> bool {
        !self.busy && self.finish.is_some() && !self.can_share()
    }
}

fn lock(m: &Mutex<Lanes>) -> MutexGuard<'_, Lanes> {
    // The thread never panics while holding the lock; recover the data if it ever did.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Md5Lanes {
    /// Starts an engine with its own hashing thread. The thread lives as long as the process;
    /// most users want [`Md5Lanes::global`].
    pub fn new() -> Self {
        let shared = Arc::new(Shared {
            state: Mutex::new(Lanes::default()),
            work: Condvar::new(),
            inline: AtomicBool::new(false),
            counters: Counters::default(),
        });
        let thread_shared = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("md5-lanes".into())
            .spawn(move || hash_loop(&thread_shared));
        if let Err(e) = spawned {
            // Without the thread streams still work: `finish` hashes what is queued itself.
            tracing::warn!("md5-lanes: no hashing thread ({e}); hashing inline");
            shared.inline.store(true, Ordering::Release);
        }
        Md5Lanes { shared }
    }

    /// The process-wide engine (started on first use).
    pub fn global() -> &'static Md5Lanes {
        static GLOBAL: OnceLock<Md5Lanes> = OnceLock::new();
        GLOBAL.get_or_init(Md5Lanes::new)
    }

    /// A new, empty MD5 stream.
    pub fn stream(&self) -> Md5Stream {
        let mut lanes = lock(&self.shared.state);
        let id = lanes.next_id;
        lanes.next_id += 1;
        let space = Arc::new(Notify::new());
        lanes.streams.insert(
            id,
            Slot {
                state: Md5State::new(),
                queue: VecDeque::new(),
                queued: 0,
                busy: false,
                finish: None,
                space: space.clone(),
            },
        );
        Md5Stream {
            shared: self.shared.clone(),
            id,
            space,
            finished: false,
        }
    }

    /// How the engine has used its lanes so far.
    pub fn stats(&self) -> LaneStats {
        let c = &self.shared.counters;
        LaneStats {
            alone_bytes: c.alone.load(Ordering::Relaxed),
            shared_bytes: c.shared.load(Ordering::Relaxed),
            lane_capacity: c.capacity.load(Ordering::Relaxed),
            calls: c.calls.load(Ordering::Relaxed),
        }
    }

    /// Number of open streams (for tests: every stream is released when finished or dropped).
    pub fn open_streams(&self) -> usize {
        lock(&self.shared.state).streams.len()
    }
}

impl Default for Md5Lanes {
    fn default() -> Self {
        Self::new()
    }
}

/// One message being hashed by an [`Md5Lanes`] engine.
///
/// Dropped before [`finish`](Md5Stream::finish), it releases its queued data.
#[derive(Debug)]
pub struct Md5Stream {
    shared: Arc<Shared>,
    id: u64,
    space: Arc<Notify>,
    finished: bool,
}

impl Md5Stream {
    /// Waits until the stream has room to queue more data (fewer than [`QUEUE_LIMIT`] bytes
    /// not yet hashed).
    pub async fn reserve(&mut self) {
        loop {
            let notified = self.space.notified();
            {
                let lanes = lock(&self.shared.state);
                match lanes.streams.get(&self.id) {
                    Some(slot) if slot.queued >= QUEUE_LIMIT => {}
                    _ => return,
                }
            }
            notified.await;
        }
    }

    /// Appends data to the message. The bytes are shared, not copied; they are released once
    /// hashed.
    pub fn update(&mut self, data: Bytes) {
        if data.is_empty() {
            return;
        }
        let mut lanes = lock(&self.shared.state);
        if let Some(slot) = lanes.streams.get_mut(&self.id) {
            if self.shared.inline.load(Ordering::Acquire) {
                slot.state.update(&data);
                return;
            }
            slot.queued += data.len();
            slot.queue.push_back(data);
            if !slot.busy {
                self.shared.work.notify_one();
            }
        }
    }

    /// Waits for every queued byte to be hashed and returns the digest.
    pub async fn finish(mut self) -> [u8; 16] {
        self.finished = true;
        if self.shared.inline.load(Ordering::Acquire) {
            return self.finish_inline();
        }
        let rx = {
            let mut lanes = lock(&self.shared.state);
            let Some(slot) = lanes.streams.get_mut(&self.id) else {
                return Md5State::new().finalize();
            };
            if !slot.busy && slot.queue.is_empty() {
                // Nothing left for the thread: finish here without a round trip.
                let state = slot.state;
                lanes.streams.remove(&self.id);
                return state.finalize();
            }
            let (tx, rx) = oneshot::channel();
            slot.finish = Some(tx);
            self.shared.work.notify_one();
            rx
        };
        match rx.await {
            Ok(digest) => digest,
            // Cannot happen while the thread runs; hash what is left here rather than fail.
            Err(_) => self.finish_inline(),
        }
    }

    fn finish_inline(&self) -> [u8; 16] {
        let mut lanes = lock(&self.shared.state);
        let Some(mut slot) = lanes.streams.remove(&self.id) else {
            return Md5State::new().finalize();
        };
        for chunk in &slot.queue {
            slot.state.update(chunk);
        }
        slot.state.finalize()
    }
}

impl Drop for Md5Stream {
    fn drop(&mut self) {
        if !self.finished {
            lock(&self.shared.state).streams.remove(&self.id);
        }
    }
}

/// One stream's share of a batch: its state, taken out of the slot while hashing, and the
/// bytes to add — first `single` by the one-stream compressor (to reach a block boundary, or
/// because the chunk is too short to share lanes), then `lane` in the multi-buffer call.
struct Job {
    id: u64,
    state: Md5State,
    single: Vec<Bytes>,
    lane: Bytes,
    /// Block-aligned bytes the stream's front chunk can give to the lanes (0: none).
    shareable: usize,
}

impl Job {
    fn single_len(&self) -> usize {
        self.single.iter().map(Bytes::len).sum()
    }

    fn len(&self) -> usize {
        self.single_len() + self.lane.len()
    }
}

/// The hashing thread: waits for streams with data, hashes a batch, puts the states back.
fn hash_loop(shared: &Shared) {
    let engine = Md5Many::new();
    let mut jobs: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    let mut done: Vec<(oneshot::Sender<[u8; 16]>, Md5State)> = Vec::new();
    loop {
        {
            let mut lanes = lock(&shared.state);
            while !lanes.streams.values().any(Slot::has_work) {
                lanes = shared
                    .work
                    .wait(lanes)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
            }
            // Every lane a stream leaves empty hashes padding. Until each open stream (up to a
            // lane group) has data, wait a moment for the missing ones to deliver their next
            // chunk — unless enough streams to share lanes have data and all of them are full,
            // their readers stalled, so waiting longer would only hold them up.
            let want = lanes.streams.len().min(engine.lanes());
            let deadline = std::time::Instant::now() + GATHER_WAIT;
            loop {
                // One pass, no allocation: this runs under the lock at every wake-up.
                let (mut ready, mut full, mut leaving) = (0, 0, 0);
                for s in lanes.streams.values() {
                    if s.can_share() {
                        ready += 1;
                        full += usize::from(s.queued >= QUEUE_LIMIT);
                    } else if s.is_leaving() {
                        leaving += 1;
                    }
                }
                let stalled = ready >= MIN_SHARING && full == ready;
                let now = std::time::Instant::now();
                if want < MIN_SHARING || ready + leaving >= want || stalled || now >= deadline {
                    break;
                }
                lanes = shared
                    .work
                    .wait_timeout(lanes, deadline - now)
                    .map(|(guard, _)| guard)
                    .unwrap_or_else(|poisoned| poisoned.into_inner().0);
            }
            take_batch(&mut lanes, &mut jobs, &mut done);
        }
        for (tx, state) in done.drain(..) {
            // The stream may have stopped waiting (its request went away): nothing to do.
            let _ = tx.send(state.finalize());
        }
        hash_batch(engine, &mut jobs, &shared.counters);
        let mut lanes = lock(&shared.state);
        for job in jobs.drain(..) {
            if let Some(slot) = lanes.streams.get_mut(&job.id) {
                slot.state = job.state;
                slot.busy = false;
                slot.queued = slot.queued.saturating_sub(job.len());
                slot.space.notify_one();
            }
        }
    }
}

/// Picks the work: finished streams with nothing queued leave (into `done`); up to
/// [`MAX_BATCH`] streams with data give bytes from the front of their queue.
///
/// md5-many's fast kernels need every lane to get the same whole number of blocks, starting on
/// a block boundary; anything else falls to a generic path that is several times slower than
/// hashing the streams one by one. So each stream first hashes alone whatever is too short to
/// share (the tail left by an earlier cut, a small chunk) and the bytes up to its next block
/// boundary; then all give the same block-aligned length (the shortest they have).
fn take_batch(
    lanes: &mut Lanes,
    jobs: &mut Vec<Job>,
    done: &mut Vec<(oneshot::Sender<[u8; 16]>, Md5State)>,
) {
    let mut leaving = Vec::new();
    for (&id, slot) in lanes.streams.iter_mut() {
        if !slot.has_work() {
            continue;
        }
        if slot.queue.is_empty() {
            if let Some(tx) = slot.finish.take() {
                done.push((tx, slot.state));
                leaving.push(id);
            }
            continue;
        }
        if jobs.len() < MAX_BATCH {
            slot.busy = true;
            let mut job = Job {
                id,
                state: slot.state,
                single: Vec::new(),
                lane: Bytes::new(),
                shareable: 0,
            };
            job.shareable = take_unshareable(slot, &mut job.single, slot.state.bytes_hashed());
            jobs.push(job);
        }
    }
    for id in leaving {
        lanes.streams.remove(&id);
    }
    let sharing = jobs.iter().filter(|j| j.shareable > 0).count();
    let common = jobs
        .iter()
        .map(|j| j.shareable)
        .filter(|&n| n > 0)
        .min()
        .filter(|_| sharing >= MIN_SHARING);
    for job in jobs.iter_mut() {
        let Some(slot) = lanes.streams.get_mut(&job.id) else {
            continue;
        };
        let Some(front) = slot.queue.front_mut() else {
            continue;
        };
        match common {
            _ if job.shareable == 0 => continue,
            Some(c) => {
                let hashed = job.state.bytes_hashed() + job.single_len() as u64;
                let to_boundary = front.split_to(to_block_boundary(hashed));
                if !to_boundary.is_empty() {
                    job.single.push(to_boundary);
                }
                job.lane = front.split_to(c);
            }
            // Too few streams to share lanes: the chunk is hashed alone.
            None => job.single.push(std::mem::take(front)),
        }
        if front.is_empty() {
            slot.queue.pop_front();
        }
    }
}

/// Moves queued chunks too short to share lanes (fewer than [`MIN_CUT`] block-aligned bytes)
/// into `single`, up to [`MAX_SINGLE`] bytes; returns the block-aligned bytes the chunk then
/// at the front can give to the lanes, or 0 when none can.
fn take_unshareable(slot: &mut Slot, single: &mut Vec<Bytes>, mut hashed: u64) -> usize {
    let mut taken = 0;
    while let Some(front) = slot.queue.front() {
        let aligned = front.len().saturating_sub(to_block_boundary(hashed)) / 64 * 64;
        if aligned >= MIN_CUT {
            return aligned;
        }
        if taken + front.len() > MAX_SINGLE && taken > 0 {
            return 0;
        }
        let Some(chunk) = slot.queue.pop_front() else {
            break;
        };
        taken += chunk.len();
        hashed += chunk.len() as u64;
        single.push(chunk);
    }
    0
}

/// Bytes a stream that has hashed `hashed` bytes needs to reach the next 64-byte boundary.
fn to_block_boundary(hashed: u64) -> usize {
    ((64 - hashed % 64) % 64) as usize
}

/// Most bytes of short chunks a stream hashes alone in one batch before its next chunk.
const MAX_SINGLE: usize = 64 << 10;

/// Fewest streams worth a multi-buffer call; fewer are hashed one by one.
const MIN_SHARING: usize = 3;

/// Longest the thread waits for every open stream to have data before hashing those that do
/// (measured at 8 parts in flight: lanes 31% busy hashing what was there, 44% with the wait,
/// and 0.25 s less CPU per GiB).
const GATHER_WAIT: std::time::Duration = std::time::Duration::from_millis(1);

fn hash_batch(engine: Md5Many, jobs: &mut [Job], counters: &Counters) {
    for job in jobs.iter_mut() {
        for chunk in &job.single {
            job.state.update(chunk);
        }
        counters
            .alone
            .fetch_add(job.single_len() as u64, Ordering::Relaxed);
    }
    let sharing: Vec<usize> = (0..jobs.len())
        .filter(|&i| jobs.get(i).is_some_and(|j| !j.lane.is_empty()))
        .collect();
    let Some(&first) = sharing.first() else {
        return;
    };
    let Some(pad) = jobs.get(first).map(|j| (j.state, j.lane.clone())) else {
        return;
    };
    // Pad to whole groups of the engine's lanes (8 with AVX2, 16 with AVX-512) with copies of
    // the first stream, whose results are dropped: md5-many's lock-step kernels for 1, 2 or 3
    // full groups run several times faster than its path for other counts (measured here:
    // 6 streams as they are 0.2 GB/s, padded to 8 1.5 GB/s; 8 padded to 16 on AVX-512 1.9).
    let group = engine.lanes().max(1);
    let width = sharing.len().div_ceil(group) * group;
    let mut states: Vec<Md5State> = Vec::with_capacity(width);
    let mut inputs: Vec<&[u8]> = Vec::with_capacity(width);
    for &i in &sharing {
        if let Some(j) = jobs.get(i) {
            states.push(j.state);
            inputs.push(&j.lane);
        }
    }
    while states.len() < width {
        states.push(pad.0);
        inputs.push(&pad.1);
    }
    engine.update_many(&mut states, &inputs);
    let lane_len = pad.1.len() as u64;
    counters
        .shared
        .fetch_add(lane_len * sharing.len() as u64, Ordering::Relaxed);
    counters
        .capacity
        .fetch_add(lane_len * width as u64, Ordering::Relaxed);
    counters.calls.fetch_add(1, Ordering::Relaxed);
    for (&i, state) in sharing.iter().zip(states) {
        if let Some(j) = jobs.get_mut(i) {
            j.state = state;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use md5::Digest as _;

    fn reference(data: &[u8]) -> [u8; 16] {
        md5::Md5::digest(data).into()
    }

    fn data(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    }

    #[tokio::test]
    async fn known_vectors() {
        let lanes = Md5Lanes::new();
        for (input, want) in [
            (&b""[..], "d41d8cd98f00b204e9800998ecf8427e"),
            (b"a", "0cc175b9c0f1b6a831c399e269772661"),
            (
                b"The quick brown fox jumps over the lazy dog",
                "9e107d9d372bb6826bd81d3542a419d6",
            ),
        ] {
            let mut s = lanes.stream();
            s.update(Bytes::copy_from_slice(input));
            assert_eq!(hex::encode(s.finish().await), want);
        }
        assert_eq!(lanes.open_streams(), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_streams_match_the_reference() {
        let lanes = Arc::new(Md5Lanes::new());
        let mut tasks = Vec::new();
        for i in 0..12u8 {
            let lanes = lanes.clone();
            tasks.push(tokio::spawn(async move {
                let body = data(3_000_000 + usize::from(i) * 4099, i);
                let mut s = lanes.stream();
                // Chunk sizes vary per stream, like frames off a socket.
                let step = 1000 + usize::from(i) * 7919;
                for c in body.chunks(step) {
                    s.reserve().await;
                    s.update(Bytes::copy_from_slice(c));
                }
                (s.finish().await, reference(&body))
            }));
        }
        for t in tasks {
            let (got, want) = t.await.expect("task");
            assert_eq!(got, want);
        }
        assert_eq!(lanes.open_streams(), 0);
    }

    /// Eight bodies arriving side by side, in chunks that are not block multiples (so every
    /// cut leaves a short tail): most bytes go through the lanes (those hashed alone are the
    /// ends of streams that finish last), and the calls keep
    /// most of the lanes eight streams can fill busy. Counts, not time: the thread waits for
    /// every open stream before each batch, so only a producer descheduled past that wait
    /// makes a batch narrower.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn side_by_side_streams_share_the_lanes() {
        let lanes = Arc::new(Md5Lanes::new());
        let group = Md5Many::new().lanes();
        let mut tasks = Vec::new();
        for i in 0..8u8 {
            let lanes = lanes.clone();
            tasks.push(tokio::spawn(async move {
                let body = Bytes::from(data(4 << 20, i));
                let mut s = lanes.stream();
                let step = 200_003 + usize::from(i) * 1_001;
                let mut at = 0;
                while at < body.len() {
                    let end = (at + step).min(body.len());
                    s.reserve().await;
                    s.update(body.slice(at..end));
                    at = end;
                }
                (s.finish().await, reference(&body))
            }));
        }
        for t in tasks {
            let (got, want) = t.await.expect("task");
            assert_eq!(got, want);
        }
        let stats = lanes.stats();
        let total = 8 * (4u64 << 20);
        assert_eq!(stats.alone_bytes + stats.shared_bytes, total);
        assert!(
            stats.shared_bytes >= total * 8 / 10,
            "expected at least 80% of {total} bytes hashed in lanes, got {stats:?}"
        );
        // Eight streams fill 8 of every `group` lanes at best (16 with AVX-512).
        let best = 8.0 / (8usize.div_ceil(group) * group) as f64;
        assert!(
            stats.occupancy() >= best * 0.6,
            "expected lanes at least 60% as busy as 8 streams can keep them ({best}), got {:.2} ({stats:?})",
            stats.occupancy()
        );
    }

    #[tokio::test]
    async fn a_dropped_stream_is_released() {
        let lanes = Md5Lanes::new();
        let mut s = lanes.stream();
        s.update(Bytes::from(data(1 << 20, 1)));
        drop(s);
        // The thread may still hold the dropped stream's last chunk; it lets go of it on return.
        let mut other = lanes.stream();
        other.update(Bytes::from_static(b"a"));
        assert_eq!(
            hex::encode(other.finish().await),
            "0cc175b9c0f1b6a831c399e269772661"
        );
        assert_eq!(lanes.open_streams(), 0);
    }

    #[tokio::test]
    async fn reserve_bounds_the_queue() {
        let lanes = Md5Lanes::new();
        let mut s = lanes.stream();
        let chunk = Bytes::from(data(1 << 20, 2));
        let mut all = Vec::new();
        for _ in 0..32 {
            s.reserve().await;
            {
                let st = lock(&lanes.shared.state);
                let queued = st.streams.get(&s.id).map_or(0, |slot| slot.queued);
                assert!(queued < QUEUE_LIMIT, "{queued} bytes queued after reserve");
            }
            s.update(chunk.clone());
            all.extend_from_slice(&chunk);
        }
        assert_eq!(s.finish().await, reference(&all));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
        /// Rule: whatever the number of concurrent streams (1 to 20, so batches of every
        /// width, padded or not), their lengths and how their bytes are chunked, each stream's
        /// digest equals the single-stream reference MD5 of its bytes.
        #[test]
        fn any_streams_any_chunking_match_the_reference(
            streams in proptest::collection::vec((0usize..300_000, 1usize..70_000, 0u8..255), 1..20)
        ) {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .build()
                .expect("runtime");
            rt.block_on(async {
                let lanes = Arc::new(Md5Lanes::new());
                let mut tasks = Vec::new();
                for (len, step, seed) in streams {
                    let lanes = lanes.clone();
                    tasks.push(tokio::spawn(async move {
                        let body = data(len, seed);
                        let mut s = lanes.stream();
                        for c in body.chunks(step) {
                            s.reserve().await;
                            s.update(Bytes::copy_from_slice(c));
                            tokio::task::yield_now().await;
                        }
                        (s.finish().await, reference(&body), len, step)
                    }));
                }
                for t in tasks {
                    let (got, want, len, step) = t.await.expect("task");
                    proptest::prop_assert_eq!(got, want, "stream of {} bytes in chunks of {}", len, step);
                }
                proptest::prop_assert_eq!(lanes.open_streams(), 0);
                Ok(())
            })?;
        }
    }
}
