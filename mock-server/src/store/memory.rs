//! The memory backend: blobs are lists of `Bytes` chunks kept exactly as they arrived.

use super::{new_blob_id, BlobChunks, BlobId, BlobStats, BlobStore, BlobWriter};
use bytes::Bytes;
use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

/// Blobs held in memory. Bodies are kept as the chunks hyper delivered: no copy on write.
#[derive(Debug, Default)]
pub struct MemoryStore {
    blobs: Arc<Mutex<HashMap<BlobId, Arc<Vec<Bytes>>>>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<BlobId, Arc<Vec<Bytes>>>> {
        lock(&self.blobs)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

struct MemoryWriter {
    id: BlobId,
    chunks: Vec<Bytes>,
    blobs: Arc<Mutex<HashMap<BlobId, Arc<Vec<Bytes>>>>>,
}

impl BlobWriter for MemoryWriter {
    fn write(&mut self, data: Bytes) -> io::Result<()> {
        if !data.is_empty() {
            self.chunks.push(data);
        }
        Ok(())
    }
    fn commit(self: Box<Self>) -> io::Result<u64> {
        let len = self.chunks.iter().map(|c| c.len() as u64).sum();
        lock(&self.blobs).insert(self.id, Arc::new(self.chunks));
        Ok(len)
    }
    fn id(&self) -> BlobId {
        self.id
    }
}

impl BlobStore for MemoryStore {
    fn create(&self) -> io::Result<Box<dyn BlobWriter>> {
        Ok(Box::new(MemoryWriter {
            id: new_blob_id(),
            chunks: Vec::new(),
            blobs: self.blobs.clone(),
        }))
    }

    fn read(&self, id: BlobId, offset: u64, len: u64) -> io::Result<BlobChunks> {
        let chunks =
            self.lock().get(&id).cloned().ok_or_else(|| {
                io::Error::new(io::ErrorKind::NotFound, format!("blob {id:016x}"))
            })?;
        let mut out = Vec::new();
        let (mut pos, end) = (0u64, offset.saturating_add(len));
        for c in chunks.iter() {
            let (start, stop) = (pos, pos + c.len() as u64);
            pos = stop;
            if stop <= offset || start >= end {
                continue;
            }
            let a = offset.max(start) - start;
            let b = end.min(stop) - start;
            out.push(Ok(c.slice(a as usize..b as usize)));
        }
        Ok(Box::new(out.into_iter()))
    }

    fn delete(&self, id: BlobId) {
        self.lock().remove(&id);
    }

    fn blob_len(&self, id: BlobId) -> Option<u64> {
        self.lock()
            .get(&id)
            .map(|c| c.iter().map(|b| b.len() as u64).sum())
    }

    fn list(&self) -> io::Result<Vec<BlobId>> {
        Ok(self.lock().keys().copied().collect())
    }

    fn stats(&self) -> BlobStats {
        let blobs = self.lock();
        BlobStats {
            count: blobs.len() as u64,
            bytes: blobs
                .values()
                .map(|c| c.iter().map(|b| b.len() as u64).sum::<u64>())
                .sum(),
        }
    }
}
