//! The global allocator of the `mock-server` and `mpu` binaries: jemalloc, configured to give
//! freed memory back to the system within about a second, also when the process is idle.
//!
//! Why not the system allocator: with glibc's malloc the standalone server's RSS after a
//! load round's cleanup grew round after round (108, 141, 156, 165, 166, 169 MiB over six
//! rounds of 200 concurrent 20-part uploads, each round deleted and reset afterwards) while
//! `malloc_stats()` showed only ~4.4 MB in use: the rest was free memory kept by glibc's
//! per-thread arenas (two arenas of ~90 MB each, < 0.5 MB in use in each), and a
//! `malloc_trim(0)` brought RSS from 102 to 14 MiB. Nothing leaked; freed pages in the middle
//! of an arena's heaps are not returned to the system, and each round touched new ones.
//! `MALLOC_ARENA_MAX=2` and `MALLOC_TRIM_THRESHOLD_` did not change that. jemalloc with a
//! background purging thread keeps RSS after cleanup at 14–18 MiB (baseline 8) in every round
//! and the peak flat (`tests/reliability_load.rs` asserts it; README "Guarantees").
//!
//! Only binaries opt in, with [`jemalloc_global_allocator!`](crate::jemalloc_global_allocator):
//! the library and its users keep whatever allocator they chose.

pub use tikv_jemallocator::Jemalloc;

/// jemalloc's run-time options, read at its first allocation (before `main`):
/// - `background_thread:true`: a jemalloc thread purges unused pages, so memory is returned
///   while no request arrives (without it, purging only happens during later allocations);
/// - `dirty_decay_ms:1000`: freed pages are returned over about a second (default 10 s);
/// - `muzzy_decay_ms:0`: returned with `MADV_DONTNEED`, which lowers RSS at once, rather than
///   `MADV_FREE`, which leaves the pages counted in RSS until the kernel needs them;
/// - `oversize_threshold:262144`: allocations of 256 KiB or more (hyper's read buffers, the
///   body chunks queued for hashing) come from jemalloc's arena for large allocations instead
///   of the arena of whichever thread asked, so the few megabytes freed on one thread are
///   reused by the next request on another rather than waiting out their decay in each
///   thread's arena (measured: peak RSS at 8 parts of 8 MiB 59-62 -> 49-51 MiB, of 64 MiB
///   46-50 -> 40 MiB, same throughput).
///
/// The environment variable `_RJEM_MALLOC_CONF` is read after this and overrides it.
pub const MALLOC_CONF: &str = malloc_conf!();

macro_rules! malloc_conf {
    () => {
        "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0,oversize_threshold:262144"
    };
}
use malloc_conf;

/// A C string pointer (`const char *`) that may live in a `static`.
#[repr(transparent)]
#[derive(Debug, Clone, Copy)]
pub struct ConfPtr(*const u8);

// SAFETY: the pointer is to a `'static`, immutable, NUL-terminated byte string.
unsafe impl Sync for ConfPtr {}

/// [`MALLOC_CONF`] as the NUL-terminated C string jemalloc reads from its `malloc_conf` symbol.
pub const MALLOC_CONF_C: ConfPtr = ConfPtr(concat!(malloc_conf!(), "\0").as_ptr());

/// Makes jemalloc (configured with [`MALLOC_CONF`]) the global allocator of the binary that
/// invokes it, at item level, once.
///
/// ```
/// mock_server::jemalloc_global_allocator!();
///
/// fn main() {
///     let v = vec![1u8; 1 << 20]; // served by jemalloc
///     assert_eq!(v.len(), 1 << 20);
/// }
/// ```
#[macro_export]
macro_rules! jemalloc_global_allocator {
    () => {
        #[global_allocator]
        static GLOBAL: $crate::alloc::Jemalloc = $crate::alloc::Jemalloc;

        /// jemalloc's `malloc_conf` (its symbols carry the `_rjem_` prefix); this strong
        /// definition replaces jemalloc's weak empty one at link time.
        #[allow(non_upper_case_globals)]
        #[export_name = "_rjem_malloc_conf"]
        static malloc_conf: $crate::alloc::ConfPtr = $crate::alloc::MALLOC_CONF_C;
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_string_is_the_documented_options_with_one_nul() {
        // SAFETY: MALLOC_CONF_C points to a static NUL-terminated string.
        let c = unsafe { std::ffi::CStr::from_ptr(MALLOC_CONF_C.0.cast()) };
        assert_eq!(c.to_str(), Ok(MALLOC_CONF));
    }
}
