//! Reading parts from the source file by offset (positional reads on a blocking thread), never
//! the whole file, and noticing when the file changes underneath.

use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use bytes::Bytes;

use super::integrity::{DigestOptions, PartData};
use super::plan::PartRange;

/// What identifies the file's content cheaply: size, modification time, device and inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileIdentity {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, if the platform reports one.
    pub modified: Option<SystemTime>,
    /// Device number.
    pub dev: u64,
    /// Inode number.
    pub ino: u64,
}

impl FileIdentity {
    fn of(meta: &std::fs::Metadata) -> Self {
        FileIdentity {
            size: meta.len(),
            modified: meta.modified().ok(),
            dev: meta.dev(),
            ino: meta.ino(),
        }
    }

    /// Describes how `later` differs from `self`, or `None` if it does not.
    pub fn difference(&self, later: &FileIdentity) -> Option<String> {
        if self.dev != later.dev || self.ino != later.ino {
            return Some("the path now names a different file".to_string());
        }
        if self.size != later.size {
            return Some(format!("size was {} B, now {} B", self.size, later.size));
        }
        if self.modified != later.modified {
            return Some("modification time changed".to_string());
        }
        None
    }
}

/// Reads parts of one open file.
#[derive(Clone, Debug)]
pub struct PartReader {
    file: Arc<File>,
    path: PathBuf,
    buffers: Arc<BufferPool>,
}

/// Most part buffers kept for reuse (more are unmapped). The pool never holds more buffers
/// than were in use at once, which the memory budget bounds (parts sent plus parts read
/// ahead); this only caps what an idle reader keeps.
const POOLED_BUFFERS: usize = 64;

/// Part buffers returned by finished parts, for the next reads.
///
/// Each buffer is an anonymous mapping of its own: heap buffers of this size, freed on other
/// threads, would stay in the allocator's arenas and push RSS past the memory budget. Reusing
/// them spares every part the page faults and zeroing of fresh memory (about 15% of the
/// uploader's CPU time with 8 MiB parts); the buffers held are only those of parts that were
/// held at once, so the budget still bounds them.
#[derive(Debug, Default)]
struct BufferPool {
    free: Mutex<Vec<memmap2::MmapMut>>,
}

impl BufferPool {
    /// A buffer of at least `len` bytes (one byte at least: a mapping cannot be empty).
    fn take(&self, len: usize) -> io::Result<memmap2::MmapMut> {
        let want = len.max(1);
        {
            let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(i) = free.iter().position(|m| m.len() >= want) {
                return Ok(free.swap_remove(i));
            }
        }
        memmap2::MmapMut::map_anon(want)
    }

    fn give_back(&self, map: memmap2::MmapMut) {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        if free.len() < POOLED_BUFFERS {
            free.push(map);
        }
    }
}

/// A part buffer that goes back to its pool when the last `Bytes` of it is dropped.
struct PooledBuffer {
    map: Option<memmap2::MmapMut>,
    pool: Arc<BufferPool>,
}

impl AsRef<[u8]> for PooledBuffer {
    fn as_ref(&self) -> &[u8] {
        self.map.as_deref().unwrap_or(&[])
    }
}

impl Drop for PooledBuffer {
    fn drop(&mut self) {
        if let Some(map) = self.map.take() {
            self.pool.give_back(map);
        }
    }
}

impl PartReader {
    /// Opens `path` for reading and records its identity.
    pub fn open(path: &Path) -> io::Result<(PartReader, FileIdentity)> {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            ));
        }
        Ok((
            PartReader {
                file: Arc::new(file),
                path: path.to_path_buf(),
                buffers: Arc::default(),
            },
            FileIdentity::of(&meta),
        ))
    }

    /// The path the file was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The identity of the file now (through the open handle, and the path still naming it).
    pub fn identity_now(&self) -> io::Result<FileIdentity> {
        let by_handle = FileIdentity::of(&self.file.metadata()?);
        let by_path = FileIdentity::of(&std::fs::metadata(&self.path)?);
        if by_path.dev != by_handle.dev || by_path.ino != by_handle.ino {
            return Ok(by_path);
        }
        Ok(by_handle)
    }

    /// Reads exactly the bytes of `range` on a blocking thread and computes their digests
    /// (MD5 by the shared multi-buffer engine, alongside the other parts being read).
    /// A file that became shorter gives `UnexpectedEof`.
    pub async fn read(&self, range: PartRange, digests: DigestOptions) -> io::Result<PartData> {
        let file = Arc::clone(&self.file);
        let pool = Arc::clone(&self.buffers);
        let bytes = tokio::task::spawn_blocking(move || {
            let len = usize::try_from(range.len)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "part too large"))?;
            let mut buf = pool.take(len)?;
            file.read_exact_at(&mut buf[..len], range.offset)
                .map_err(|e| {
                    if e.kind() == io::ErrorKind::UnexpectedEof {
                        io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            format!(
                                "file ended before byte {} (it was truncated?)",
                                range.offset + range.len
                            ),
                        )
                    } else {
                        e
                    }
                })?;
            let owner = PooledBuffer {
                map: Some(buf),
                pool,
            };
            Ok::<_, io::Error>(Bytes::from_owner(owner).slice(..len))
        })
        .await
        .map_err(|e| io::Error::other(format!("read task failed: {e}")))??;
        Ok(PartData::hashed(range, bytes, digests).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn temp_file(content: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(content).unwrap();
        f.flush().unwrap();
        f
    }

    #[tokio::test]
    async fn reads_exact_ranges_by_offset() {
        let content: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let f = temp_file(&content);
        let (reader, id) = PartReader::open(f.path()).unwrap();
        assert_eq!(id.size, 10_000);
        let range = PartRange {
            index: 2,
            offset: 4_000,
            len: 3_333,
        };
        let part = reader.read(range, DigestOptions::default()).await.unwrap();
        assert_eq!(&part.bytes[..], &content[4_000..7_333]);
        assert_eq!(part.md5, md5_of(&content[4_000..7_333]));
    }

    fn md5_of(data: &[u8]) -> [u8; 16] {
        use md5::{Digest, Md5};
        Md5::digest(data).into()
    }

    #[tokio::test]
    async fn truncated_file_is_an_error_not_short_data() {
        let f = temp_file(&[1u8; 100]);
        let (reader, _) = PartReader::open(f.path()).unwrap();
        let range = PartRange {
            index: 1,
            offset: 50,
            len: 60,
        };
        let err = reader
            .read(range, DigestOptions::default())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn changes_are_noticed() {
        let f = temp_file(b"hello");
        let (reader, before) = PartReader::open(f.path()).unwrap();
        assert_eq!(before.difference(&reader.identity_now().unwrap()), None);
        std::fs::OpenOptions::new()
            .append(true)
            .open(f.path())
            .unwrap()
            .write_all(b" world")
            .unwrap();
        let after = reader.identity_now().unwrap();
        assert!(before.difference(&after).unwrap().contains("size was 5 B"));
    }

    #[test]
    fn directories_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(PartReader::open(dir.path()).is_err());
    }
}
