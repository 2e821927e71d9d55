//! Small blobs packed into shared append-only files (`<root>/packs/<n>.pack`).
//!
//! A file per blob costs the file system an inode, a directory entry and (for durability) a
//! rename — for a 1 KiB part that is nearly all of the request's cost, and every part creation
//! serialises on the directory's lock. Blobs up to [`PACK_MAX_BLOB`] bytes are instead
//! appended, as one record each, to the current pack file:
//!
//! ```text
//! record = magic "MPKB" (live) | "DEAD" (deleted) · data length u32 LE · blob id u64 LE
//!          · CRC32C(length ‖ id) u32 LE · 4 zero bytes · data
//! ```
//!
//! Appends are serialised (one `pwrite` of the whole record under the pack lock), and in
//! durable mode acknowledged only after `fdatasync`. So a record torn by a crash is never
//! followed by an acknowledged one: the startup scan reads records until the first one whose
//! header is invalid or runs past the end of the file, and what it finds that no metadata
//! refers to is removed by the service's orphan sweep like any other blob. A deleted blob's
//! record is marked `DEAD` in place; a pack whose records are all dead is removed (its space
//! is not reused before then). Packs found at startup are never appended to again.

use super::BlobId;
use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// Largest blob kept in a pack; bigger ones get a file of their own.
pub const PACK_MAX_BLOB: u64 = 64 << 10;
/// A pack is sealed and a new one started once it holds this many bytes.
const PACK_SIZE: u64 = 64 << 20;
/// Bytes of a record header.
const HEADER: u64 = 24;
const LIVE: &[u8; 4] = b"MPKB";
const DEAD: &[u8; 4] = b"DEAD";

/// Where a packed blob's data is.
#[derive(Debug, Clone, Copy)]
struct Loc {
    pack: u64,
    /// Offset of the record (its header) in the pack.
    record: u64,
    len: u64,
}

#[derive(Debug)]
struct Pack {
    file: Arc<File>,
    path: PathBuf,
    /// Live records.
    live: u64,
    /// End of the last record: where the next one goes.
    end: u64,
}

#[derive(Debug, Default)]
struct Inner {
    index: HashMap<BlobId, Loc>,
    packs: HashMap<u64, Pack>,
    /// The pack appends go to (`None`: start a new one).
    active: Option<u64>,
    next_pack: u64,
}

/// The packed blobs of one disk store.
#[derive(Debug)]
pub(crate) struct Packs {
    dir: PathBuf,
    durable: bool,
    inner: Mutex<Inner>,
}

fn lock(m: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn header(magic: &[u8; 4], len: u32, id: BlobId) -> [u8; HEADER as usize] {
    let mut h = [0u8; HEADER as usize];
    h[0..4].copy_from_slice(magic);
    h[4..8].copy_from_slice(&len.to_le_bytes());
    h[8..16].copy_from_slice(&id.to_le_bytes());
    let crc = crc_fast::checksum(crc_fast::CrcAlgorithm::Crc32Iscsi, &h[4..16]) as u32;
    h[16..20].copy_from_slice(&crc.to_le_bytes());
    h
}

/// A record header read back: `(live, data length, id)`, or `None` if it is not a valid one.
fn parse_header(h: &[u8; HEADER as usize]) -> Option<(bool, u64, BlobId)> {
    let live = match h.get(0..4)? {
        m if m == LIVE => true,
        m if m == DEAD => false,
        _ => return None,
    };
    let len = u32::from_le_bytes(h.get(4..8)?.try_into().ok()?);
    let id = u64::from_le_bytes(h.get(8..16)?.try_into().ok()?);
    let crc = u32::from_le_bytes(h.get(16..20)?.try_into().ok()?);
    let want = crc_fast::checksum(crc_fast::CrcAlgorithm::Crc32Iscsi, h.get(4..16)?) as u32;
    (crc == want && u64::from(len) <= PACK_MAX_BLOB).then_some((live, u64::from(len), id))
}

fn pack_number(name: &str) -> Option<u64> {
    let hex = name.strip_suffix(".pack")?;
    if hex.len() != 16 {
        return None;
    }
    u64::from_str_radix(hex, 16).ok()
}

/// Every valid record of a pack file: `(record offset, live, data length, id)`, in order,
/// up to the first invalid or torn one.
fn scan(file: &File) -> io::Result<Vec<(u64, bool, u64, BlobId)>> {
    let size = file.metadata()?.len();
    let mut out = Vec::new();
    let mut pos = 0u64;
    let mut h = [0u8; HEADER as usize];
    while pos + HEADER <= size {
        file.read_exact_at(&mut h, pos)?;
        let Some((live, len, id)) = parse_header(&h) else {
            break;
        };
        if pos + HEADER + len > size {
            break;
        }
        out.push((pos, live, len, id));
        pos += HEADER + len;
    }
    Ok(out)
}

/// Ids of the live packed blobs in `<root>/packs`, read from the files alone (for checks of a
/// data directory from outside the server).
pub(crate) fn live_ids_on_disk(root: &Path) -> io::Result<Vec<BlobId>> {
    let dir = root.join("packs");
    let mut ids = Vec::new();
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(ids),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        if pack_number(&entry.file_name().to_string_lossy()).is_none() {
            continue;
        }
        let file = File::open(entry.path())?;
        ids.extend(
            scan(&file)?
                .into_iter()
                .filter(|r| r.1)
                .map(|(_, _, _, id)| id),
        );
    }
    Ok(ids)
}

impl Packs {
    /// Opens `<root>/packs`, indexing the live records of every pack; packs with none are
    /// removed.
    pub(crate) fn open(root: &Path, durable: bool) -> io::Result<Packs> {
        let dir = root.join("packs");
        fs::create_dir_all(&dir)?;
        let mut inner = Inner::default();
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            let Some(number) = pack_number(&entry.file_name().to_string_lossy()) else {
                // Not ours (or a pack being created when the process died): garbage.
                let _ = fs::remove_file(&path);
                continue;
            };
            inner.next_pack = inner.next_pack.max(number + 1);
            let file = File::open(&path)?;
            let mut live = 0;
            let mut end = 0;
            for (record, is_live, len, id) in scan(&file)? {
                end = record + HEADER + len;
                if is_live {
                    live += 1;
                    inner.index.insert(
                        id,
                        Loc {
                            pack: number,
                            record,
                            len,
                        },
                    );
                }
            }
            if live == 0 {
                fs::remove_file(&path)?;
                continue;
            }
            // Tombstones are written to packs found here too.
            let file = OpenOptions::new().read(true).write(true).open(&path)?;
            inner.packs.insert(
                number,
                Pack {
                    file: Arc::new(file),
                    path,
                    live,
                    end,
                },
            );
        }
        if durable {
            File::open(root)?.sync_all()?;
        }
        Ok(Packs {
            dir,
            durable,
            inner: Mutex::new(inner),
        })
    }

    /// Stores a blob of the given chunks (at most [`PACK_MAX_BLOB`] bytes in all); durable
    /// (in a durable store) when this returns.
    pub(crate) fn append(&self, id: BlobId, chunks: &[bytes::Bytes]) -> io::Result<u64> {
        let len: u64 = chunks.iter().map(|c| c.len() as u64).sum();
        let len32 = u32::try_from(len)
            .ok()
            .filter(|&n| u64::from(n) <= PACK_MAX_BLOB)
            .ok_or_else(|| io::Error::other(format!("{len} bytes is too big for a pack")))?;
        let mut record = Vec::with_capacity((HEADER + len) as usize);
        record.extend_from_slice(&header(LIVE, len32, id));
        for c in chunks {
            record.extend_from_slice(c);
        }
        let file = {
            let mut inner = lock(&self.inner);
            let number = self.active_pack(&mut inner, record.len() as u64)?;
            let Some(pack) = inner.packs.get_mut(&number) else {
                return Err(io::Error::other("the active pack vanished"));
            };
            let at = pack.end;
            if let Err(e) = pack.file.write_all_at(&record, at) {
                // The pack may hold a torn record now: seal it, never append after it.
                inner.active = None;
                self.drop_if_empty(&mut inner, number);
                return Err(e);
            }
            pack.end = at + record.len() as u64;
            pack.live += 1;
            let file = pack.file.clone();
            inner.index.insert(
                id,
                Loc {
                    pack: number,
                    record: at,
                    len,
                },
            );
            file
        };
        if self.durable {
            if let Err(e) = file.sync_data() {
                // Not acknowledged, so nothing will refer to it.
                self.delete(id);
                return Err(e);
            }
        }
        Ok(len)
    }

    /// The pack to append `need` bytes to, starting a new one when there is none or it is full.
    fn active_pack(&self, inner: &mut Inner, need: u64) -> io::Result<u64> {
        if let Some(n) = inner.active {
            match inner.packs.get(&n) {
                Some(p) if p.end + need <= PACK_SIZE || p.end == 0 => return Ok(n),
                _ => {
                    inner.active = None;
                    self.drop_if_empty(inner, n);
                }
            }
        }
        let number = inner.next_pack;
        inner.next_pack += 1;
        let path = self.dir.join(format!("{number:016x}.pack"));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        if self.durable {
            // The pack's directory entry must survive before any record in it is acknowledged.
            if let Err(e) = File::open(&self.dir).and_then(|d| d.sync_all()) {
                let _ = fs::remove_file(&path);
                return Err(e);
            }
        }
        inner.packs.insert(
            number,
            Pack {
                file: Arc::new(file),
                path,
                live: 0,
                end: 0,
            },
        );
        inner.active = Some(number);
        Ok(number)
    }

    /// Removes a pack that is not being appended to and holds no live record.
    fn drop_if_empty(&self, inner: &mut Inner, number: u64) {
        if inner.active == Some(number) {
            return;
        }
        if inner.packs.get(&number).is_some_and(|p| p.live == 0) {
            if let Some(p) = inner.packs.remove(&number) {
                let _ = fs::remove_file(&p.path);
            }
        }
    }

    /// Deletes a packed blob; `false` if `id` is not one.
    pub(crate) fn delete(&self, id: BlobId) -> bool {
        let mut inner = lock(&self.inner);
        let Some(loc) = inner.index.remove(&id) else {
            return false;
        };
        if let Some(pack) = inner.packs.get_mut(&loc.pack) {
            pack.live = pack.live.saturating_sub(1);
            // Mark the record dead so a restart does not bring it back (not synced: a record
            // that comes back after a crash is an orphan, and the startup sweep removes it).
            let _ = pack.file.write_all_at(DEAD, loc.record);
        }
        self.drop_if_empty(&mut inner, loc.pack);
        true
    }

    /// Reads `len` bytes at `offset` of a packed blob; `None` if `id` is not one.
    pub(crate) fn read(&self, id: BlobId, offset: u64, len: u64) -> Option<io::Result<Vec<u8>>> {
        let (file, loc) = {
            let inner = lock(&self.inner);
            let loc = *inner.index.get(&id)?;
            (inner.packs.get(&loc.pack)?.file.clone(), loc)
        };
        let end = offset.saturating_add(len).min(loc.len);
        let start = offset.min(end);
        let mut buf = vec![0u8; (end - start) as usize];
        Some(
            file.read_exact_at(&mut buf, loc.record + HEADER + start)
                .map(|()| buf),
        )
    }

    /// Length of a packed blob.
    pub(crate) fn len_of(&self, id: BlobId) -> Option<u64> {
        lock(&self.inner).index.get(&id).map(|l| l.len)
    }

    /// Ids of all packed blobs.
    pub(crate) fn ids(&self) -> Vec<BlobId> {
        lock(&self.inner).index.keys().copied().collect()
    }

    /// Count and bytes of packed blobs.
    pub(crate) fn stats(&self) -> (u64, u64) {
        let inner = lock(&self.inner);
        (
            inner.index.len() as u64,
            inner.index.values().map(|l| l.len).sum(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    /// The one pack file of a store rooted at `root`.
    fn only_pack(root: &Path) -> PathBuf {
        let mut packs: Vec<PathBuf> = fs::read_dir(root.join("packs"))
            .expect("dir")
            .map(|e| e.expect("entry").path())
            .collect();
        assert_eq!(packs.len(), 1, "packs: {packs:?}");
        packs.remove(0)
    }

    #[test]
    fn records_survive_a_reopen_and_dead_ones_do_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let packs = Packs::open(dir.path(), false).expect("open");
        packs.append(1, &[Bytes::from_static(b"hello")]).expect("1");
        packs
            .append(3, &[Bytes::from_static(b"wor"), Bytes::from_static(b"ld")])
            .expect("3");
        packs.append(5, &[]).expect("5");
        assert!(packs.delete(1));
        assert!(!packs.delete(1), "a second delete finds nothing");
        assert_eq!(
            packs.read(3, 1, 10).expect("packed").expect("read"),
            b"orld"
        );
        drop(packs);
        let mut on_disk = live_ids_on_disk(dir.path()).expect("scan");
        on_disk.sort_unstable();
        assert_eq!(on_disk, [3, 5]);
        let packs = Packs::open(dir.path(), true).expect("reopen");
        assert_eq!(packs.len_of(3), Some(5));
        assert_eq!(packs.len_of(5), Some(0));
        assert_eq!(packs.len_of(1), None);
        assert_eq!(
            packs.read(3, 0, 5).expect("packed").expect("read"),
            b"world"
        );
        // New records go to a new pack; the old one goes once its last record dies.
        packs.append(7, &[Bytes::from_static(b"x")]).expect("7");
        assert!(packs.delete(3) && packs.delete(5));
        let files = fs::read_dir(dir.path().join("packs")).expect("dir").count();
        assert_eq!(files, 1, "only the active pack is left");
    }

    #[test]
    fn a_torn_tail_is_ignored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let packs = Packs::open(dir.path(), false).expect("open");
        packs.append(9, &[Bytes::from(vec![7u8; 1000])]).expect("9");
        packs
            .append(11, &[Bytes::from(vec![8u8; 1000])])
            .expect("11");
        drop(packs);
        let path = only_pack(dir.path());
        // Cut the second record short, as a crash during its write would.
        let f = OpenOptions::new().write(true).open(&path).expect("open");
        f.set_len(HEADER + 1000 + HEADER + 10).expect("truncate");
        // And garbage after a valid record stops the scan too.
        let packs = Packs::open(dir.path(), false).expect("reopen");
        assert_eq!(packs.ids(), [9]);
    }

    #[test]
    fn a_corrupt_header_stops_the_scan() {
        let dir = tempfile::tempdir().expect("tempdir");
        let packs = Packs::open(dir.path(), false).expect("open");
        packs.append(2, &[Bytes::from_static(b"a")]).expect("2");
        packs.append(4, &[Bytes::from_static(b"b")]).expect("4");
        drop(packs);
        let path = only_pack(dir.path());
        let f = OpenOptions::new().write(true).open(&path).expect("open");
        // Flip a bit of the second record's id: its header CRC no longer matches.
        f.write_all_at(&[0xff], HEADER + 1 + 9).expect("write");
        let packs = Packs::open(dir.path(), false).expect("reopen");
        assert_eq!(packs.ids(), [2]);
    }

    #[test]
    fn too_big_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let packs = Packs::open(dir.path(), false).expect("open");
        let big = Bytes::from(vec![0u8; PACK_MAX_BLOB as usize + 1]);
        assert!(packs.append(1, &[big]).is_err());
        assert!(packs.ids().is_empty());
    }
}
