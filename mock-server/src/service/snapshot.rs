//! A serialisable picture of the whole state: what `/_mock/state` answers and leak checks read.

use super::model::State;
use crate::store::BlobStats;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Everything the mock holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateSnapshot {
    /// Buckets, sorted by name.
    pub buckets: Vec<BucketState>,
    /// Blobs held by the store (committed).
    pub blob_count: u64,
    /// Bytes held in blobs.
    pub blob_bytes: u64,
    /// Distinct blobs referenced by objects and open uploads.
    pub referenced_blobs: u64,
    /// Blobs held but referenced by nothing (`blob_count - referenced_blobs`): a leak when the
    /// server is idle.
    pub orphan_blobs: u64,
}

/// A bucket's contents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketState {
    /// Name.
    pub name: String,
    /// Objects, sorted by key.
    pub objects: Vec<ObjectState>,
    /// Open uploads, sorted by key then initiation.
    pub uploads: Vec<UploadState>,
}

/// One object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectState {
    /// Key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// ETag without quotes.
    pub etag: String,
    /// Parts it was assembled from (multipart objects).
    pub parts: Option<u32>,
    /// Content type, if set.
    pub content_type: Option<String>,
}

/// One open upload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadState {
    /// Key.
    pub key: String,
    /// Upload id.
    pub upload_id: String,
    /// Parts uploaded so far.
    pub parts: Vec<PartState>,
}

/// One part of an open upload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartState {
    /// Part number.
    pub number: u32,
    /// Size.
    pub size: u64,
    /// ETag without quotes.
    pub etag: String,
}

impl StateSnapshot {
    /// All open uploads across buckets.
    pub fn open_uploads(&self) -> usize {
        self.buckets.iter().map(|b| b.uploads.len()).sum()
    }
    /// The object `key` in `bucket`, if any.
    pub fn object(&self, bucket: &str, key: &str) -> Option<&ObjectState> {
        self.buckets
            .iter()
            .find(|b| b.name == bucket)?
            .objects
            .iter()
            .find(|o| o.key == key)
    }
}

pub(super) fn take(st: &State, stats: BlobStats) -> StateSnapshot {
    let mut live = HashSet::new();
    let buckets = st
        .buckets
        .iter()
        .map(|(name, b)| {
            let objects = b
                .objects
                .iter()
                .map(|(key, o)| {
                    live.extend(o.segments.iter().map(|s| s.blob.id()));
                    ObjectState {
                        key: key.clone(),
                        size: o.size,
                        etag: o.etag.clone(),
                        parts: o.parts_count,
                        content_type: o.attrs.content_type.clone(),
                    }
                })
                .collect();
            let mut uploads: Vec<_> = b.uploads.values().collect();
            uploads.sort_by(|x, y| (&x.key, x.initiated).cmp(&(&y.key, y.initiated)));
            let uploads = uploads
                .into_iter()
                .map(|u| {
                    live.extend(u.parts.values().map(|p| p.blob.id()));
                    UploadState {
                        key: u.key.clone(),
                        upload_id: u.id.clone(),
                        parts: u
                            .parts
                            .iter()
                            .map(|(n, p)| PartState {
                                number: *n,
                                size: p.blob.len(),
                                etag: hex::encode(p.md5),
                            })
                            .collect(),
                    }
                })
                .collect();
            BucketState {
                name: name.clone(),
                objects,
                uploads,
            }
        })
        .collect();
    let referenced = live.len() as u64;
    StateSnapshot {
        buckets,
        blob_count: stats.count,
        blob_bytes: stats.bytes,
        referenced_blobs: referenced,
        orphan_blobs: stats.count.saturating_sub(referenced),
    }
}
