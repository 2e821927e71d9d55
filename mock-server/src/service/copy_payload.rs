//! The data of stored segments as a payload, for UploadPartCopy: read a chunk at a time on a
//! blocking thread, a few chunks ahead of the writer, so a copy of up to 5 GiB holds megabytes,
//! not the whole range, and its MD5 shares the multi-buffer engine with the uploads in flight.

use crate::checksum::ChecksumAlgorithm;
use crate::error::ServiceError;
use crate::payload::{Digester, PayloadDigest, PayloadSource};
use crate::store::Blob;
use bytes::Bytes;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Chunks read ahead of the writer (disk chunks are 1 MiB).
const READ_AHEAD: usize = 4;

/// A byte range of a stored blob: `(blob, offset, length)`.
pub(crate) type SegmentRef = (Arc<Blob>, u64, u64);

/// Stored segments streamed as a payload.
pub(crate) struct SegmentsPayload {
    chunks: mpsc::Receiver<std::io::Result<Bytes>>,
    digest: Digester,
    len: u64,
}

impl SegmentsPayload {
    /// Starts reading `segments` in order; `algorithm` adds a flexible checksum to the digest.
    pub fn start(segments: Vec<SegmentRef>, algorithm: Option<ChecksumAlgorithm>) -> Self {
        let len = segments.iter().map(|(_, _, n)| n).sum();
        let (tx, chunks) = mpsc::channel(READ_AHEAD);
        tokio::task::spawn_blocking(move || {
            for (blob, offset, n) in segments {
                let reader = match blob.read(offset, n) {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = tx.blocking_send(Err(e));
                        return;
                    }
                };
                for chunk in reader {
                    let failed = chunk.is_err();
                    // A send fails when the copy gave up (its request went away, the write
                    // failed): stop reading.
                    if tx.blocking_send(chunk).is_err() || failed {
                        return;
                    }
                }
            }
        });
        SegmentsPayload {
            chunks,
            digest: Digester::for_len(Some(len), algorithm),
            len,
        }
    }
}

impl PayloadSource for SegmentsPayload {
    async fn next_chunk(&mut self) -> Option<Result<Bytes, ServiceError>> {
        let chunk = match self.chunks.recv().await? {
            Ok(c) => c,
            Err(e) => return Some(Err(ServiceError::internal(e))),
        };
        self.digest.reserve().await;
        self.digest.update(&chunk);
        Some(Ok(chunk))
    }

    async fn finish(self) -> Result<PayloadDigest, ServiceError> {
        let digest = self.digest.finish().await;
        if digest.size != self.len {
            return Err(ServiceError::internal(format!(
                "copy source ended after {} of {} bytes",
                digest.size, self.len
            )));
        }
        Ok(digest)
    }

    fn declared_len(&self) -> Option<u64> {
        Some(self.len)
    }
}
