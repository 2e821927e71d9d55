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
//! lane runs at full speed. One stream alone is hashed by the fast single-stream compressor.
//! Hashing also overlaps with the request's own work (reading the socket, writing the blob).
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
    inline: std::sync::atomic::AtomicBool,
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
            inline: std::sync::atomic::AtomicBool::new(false),
        });
        let thread_shared = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("md5-lanes".into())
            .spawn(move || hash_loop(&thread_shared));
        if let Err(e) = spawned {
            // Without the thread streams still work: `finish` hashes what is queued itself.
            tracing::warn!("md5-lanes: no hashing thread ({e}); hashing inline");
            shared
                .inline
                .store(true, std::sync::atomic::Ordering::Release);
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
            if self
                .shared
                .inline
                .load(std::sync::atomic::Ordering::Acquire)
            {
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
        if self
            .shared
            .inline
            .load(std::sync::atomic::Ordering::Acquire)
        {
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
    single: Bytes,
    lane: Bytes,
}

impl Job {
    fn len(&self) -> usize {
        self.single.len() + self.lane.len()
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
            // Too few streams have data to share lanes but others are open: give them a
            // moment to deliver their next chunk (a lone stream is hashed at under half the
            // per-stream speed of a full batch).
            let deadline = std::time::Instant::now() + GATHER_WAIT;
            loop {
                let ready = lanes.streams.values().filter(|s| s.has_work()).count();
                let open = lanes.streams.len();
                let now = std::time::Instant::now();
                if ready >= MIN_SHARING || open < MIN_SHARING || now >= deadline {
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
        hash_batch(engine, &mut jobs);
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
/// [`MAX_BATCH`] streams with data give bytes from their front chunk.
///
/// md5-many's fast kernels need every lane to get the same whole number of blocks, starting on
/// a block boundary; anything else falls to a generic path that is several times slower than
/// hashing the streams one by one. So each stream first hashes alone up to its next block
/// boundary, then all give the same block-aligned length (the shortest they have).
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
            jobs.push(Job {
                id,
                state: slot.state,
                single: Bytes::new(),
                lane: Bytes::new(),
            });
        }
    }
    for id in leaving {
        lanes.streams.remove(&id);
    }
    // Bytes each stream can give to the lanes after reaching a block boundary, if enough.
    let mut common: Option<usize> = None;
    let mut sharing = 0;
    for job in jobs.iter() {
        let Some(front) = lanes.streams.get(&job.id).and_then(|s| s.queue.front()) else {
            continue;
        };
        let to_boundary = (64 - (job.state.bytes_hashed() % 64) as usize) % 64;
        let aligned = front.len().saturating_sub(to_boundary) / 64 * 64;
        if aligned >= MIN_CUT {
            sharing += 1;
            common = Some(common.map_or(aligned, |c| c.min(aligned)));
        }
    }
    let common = if sharing >= MIN_SHARING { common } else { None };
    for job in jobs.iter_mut() {
        let Some(slot) = lanes.streams.get_mut(&job.id) else {
            continue;
        };
        let Some(front) = slot.queue.front_mut() else {
            continue;
        };
        let to_boundary = (64 - (job.state.bytes_hashed() % 64) as usize) % 64;
        let aligned = front.len().saturating_sub(to_boundary) / 64 * 64;
        match common {
            Some(c) if aligned >= MIN_CUT => {
                job.single = front.split_to(to_boundary);
                job.lane = front.split_to(c);
            }
            _ => job.single = std::mem::take(front),
        }
        if front.is_empty() {
            slot.queue.pop_front();
        }
    }
}

/// Fewest streams worth a multi-buffer call; fewer are hashed one by one.
const MIN_SHARING: usize = 3;

/// Longest the thread waits for more open streams to have data before hashing fewer than
/// [`MIN_SHARING`] alone.
const GATHER_WAIT: std::time::Duration = std::time::Duration::from_micros(300);

fn hash_batch(engine: Md5Many, jobs: &mut [Job]) {
    for job in jobs.iter_mut() {
        if !job.single.is_empty() {
            job.state.update(&job.single);
        }
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
