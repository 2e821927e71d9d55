//! Freed blob files kept for reuse by the disk store.
//!
//! Creating a file and unlinking one are the dearest steps of a large blob's life on ext4: a
//! new inode is searched for past every recently deleted one, and an unlink throws away the
//! file's page cache and block reservations page by page, only for the next blob to allocate
//! them again. With uploads that replace or delete objects, the server spent about a sixth of
//! its CPU there. So a deleted blob's file is renamed into `<root>/free/` instead, up to a byte
//! limit, and the next large blob is written over it (the idea of RocksDB's recycled log
//! files). A recycled file is truncated to the new blob's length before it is renamed into
//! place, so nothing of its old content can be read back.
//!
//! Files in `free/` are garbage: the store removes them when it opens and when it closes.

use std::collections::VecDeque;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// Default cap on the bytes held in freed files for reuse (see [`FreeFiles::new`]).
pub const DEFAULT_RECYCLE_LIMIT: u64 = 1 << 30;

/// A freed file waiting to be reused.
#[derive(Debug)]
pub(crate) struct FreeFile {
    /// Where it waits.
    pub path: PathBuf,
    /// Its length in bytes.
    pub len: u64,
}

#[derive(Debug, Default)]
struct Pool {
    files: VecDeque<FreeFile>,
    bytes: u64,
    next_name: u64,
}

/// A bounded pool of freed blob files under one directory.
#[derive(Debug)]
pub(crate) struct FreeFiles {
    dir: PathBuf,
    limit: u64,
    pool: Mutex<Pool>,
}

impl FreeFiles {
    /// Opens the pool in `dir` (created if missing), emptying it of files left by an earlier
    /// run. At most `limit` bytes are kept; 0 turns recycling off.
    pub fn new(dir: PathBuf, limit: u64) -> io::Result<FreeFiles> {
        fs::create_dir_all(&dir)?;
        remove_all(&dir)?;
        Ok(FreeFiles {
            dir,
            limit,
            pool: Mutex::new(Pool::default()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Pool> {
        self.pool.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes the file at `path` (`len` bytes, no longer referenced) into the pool, or removes
    /// it when the pool is full.
    pub fn give(&self, path: &Path, len: u64) {
        let name = {
            let mut pool = self.lock();
            if pool.bytes.saturating_add(len) > self.limit {
                None
            } else {
                // Counted now so concurrent gives cannot overshoot the limit together.
                pool.bytes += len;
                pool.next_name += 1;
                Some(self.dir.join(format!("{:016x}", pool.next_name)))
            }
        };
        let Some(free) = name else {
            let _ = fs::remove_file(path);
            return;
        };
        if fs::rename(path, &free).is_ok() {
            self.lock().files.push_back(FreeFile { path: free, len });
        } else {
            self.lock().bytes -= len;
            let _ = fs::remove_file(path);
        }
    }

    /// Moves the most recently freed file (the likeliest to be still in the page cache) to
    /// `to`, returning its length, or `None` when the pool is empty.
    pub fn take(&self, to: &Path) -> Option<u64> {
        loop {
            let file = {
                let mut pool = self.lock();
                let file = pool.files.pop_back()?;
                pool.bytes -= file.len;
                file
            };
            if fs::rename(&file.path, to).is_ok() {
                return Some(file.len);
            }
            // Gone from under us (removed by hand): try the next one.
        }
    }

    /// Bytes held in the pool.
    #[cfg(test)]
    pub fn bytes(&self) -> u64 {
        self.lock().bytes
    }

    /// Removes every pooled file.
    pub fn clear(&self) {
        let files = std::mem::take(&mut self.lock().files);
        for f in files {
            let _ = fs::remove_file(&f.path);
        }
        self.lock().bytes = 0;
    }
}

fn remove_all(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(dir: &Path, name: &str, len: usize) -> PathBuf {
        let p = dir.join(name);
        fs::write(&p, vec![7u8; len]).unwrap();
        p
    }

    #[test]
    fn reuses_the_latest_freed_file_and_respects_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let free = FreeFiles::new(dir.path().join("free"), 100).unwrap();
        let a = file(dir.path(), "a", 40);
        let b = file(dir.path(), "b", 50);
        let c = file(dir.path(), "c", 20);
        free.give(&a, 40);
        free.give(&b, 50);
        // 40 + 50 + 20 > 100: removed, not pooled.
        free.give(&c, 20);
        assert!(!c.exists() && !a.exists() && !b.exists());
        assert_eq!(free.bytes(), 90);
        let to = dir.path().join("new");
        assert_eq!(free.take(&to), Some(50), "last in, first out");
        assert_eq!(fs::metadata(&to).unwrap().len(), 50);
        assert_eq!(free.bytes(), 40);
        fs::remove_file(&to).unwrap();
        assert_eq!(free.take(&to), Some(40));
        assert_eq!(free.take(&to), None);
        assert_eq!(free.bytes(), 0);
    }

    #[test]
    fn limit_zero_keeps_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let free = FreeFiles::new(dir.path().join("free"), 0).unwrap();
        let a = file(dir.path(), "a", 10);
        free.give(&a, 10);
        assert!(!a.exists());
        assert_eq!(fs::read_dir(dir.path().join("free")).unwrap().count(), 0);
        assert_eq!(free.take(&dir.path().join("x")), None);
    }

    #[test]
    fn opening_and_clearing_remove_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let pool_dir = dir.path().join("free");
        fs::create_dir_all(&pool_dir).unwrap();
        file(&pool_dir, "0000000000000009", 5);
        let free = FreeFiles::new(pool_dir.clone(), 1000).unwrap();
        assert_eq!(
            fs::read_dir(&pool_dir).unwrap().count(),
            0,
            "left by a crash"
        );
        free.give(&file(dir.path(), "a", 10), 10);
        assert_eq!(fs::read_dir(&pool_dir).unwrap().count(), 1);
        free.clear();
        assert_eq!(fs::read_dir(&pool_dir).unwrap().count(), 0);
        assert_eq!(free.bytes(), 0);
    }

    #[test]
    fn a_file_removed_by_hand_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let free = FreeFiles::new(dir.path().join("free"), 1000).unwrap();
        free.give(&file(dir.path(), "a", 10), 10);
        free.give(&file(dir.path(), "b", 20), 20);
        for e in fs::read_dir(dir.path().join("free")).unwrap() {
            let e = e.unwrap();
            if e.metadata().unwrap().len() == 20 {
                fs::remove_file(e.path()).unwrap();
            }
        }
        assert_eq!(free.take(&dir.path().join("x")), Some(10));
    }
}
