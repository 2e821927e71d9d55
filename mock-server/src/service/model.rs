//! The in-memory state of the object store: buckets, objects, open uploads and their parts.

use crate::checksum::{Checksum, ChecksumAlgorithm};
use crate::ops::{ChecksumType, ObjectAttrs, ObjectChecksum};
use crate::store::Blob;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

/// A run of bytes of an object: `len` bytes of `blob` starting at `offset`.
#[derive(Debug, Clone)]
pub struct Segment {
    /// The blob holding the bytes.
    pub blob: Arc<Blob>,
    /// Offset in the blob.
    pub offset: u64,
    /// Length.
    pub len: u64,
    /// The part checksum, for objects assembled from parts.
    pub checksum: Option<Checksum>,
}

/// A stored object.
#[derive(Debug, Clone)]
pub struct ObjectRecord {
    /// Size in bytes.
    pub size: u64,
    /// ETag without quotes (`hex` or `hex-N`).
    pub etag: String,
    /// Last modification.
    pub last_modified: SystemTime,
    /// Content attributes and user metadata.
    pub attrs: ObjectAttrs,
    /// The bytes, in order.
    pub segments: Vec<Segment>,
    /// `Some(n)` when assembled from n parts (each segment is one part).
    pub parts_count: Option<u32>,
    /// Whole-object checksum, if known.
    pub checksum: Option<ObjectChecksum>,
    /// The upload this object was completed from (a retried complete answers the same).
    pub upload_id: Option<String>,
}

/// A part of an open upload.
#[derive(Debug, Clone)]
pub struct PartRecord {
    /// The bytes.
    pub blob: Arc<Blob>,
    /// MD5 of the bytes.
    pub md5: [u8; 16],
    /// Upload time.
    pub last_modified: SystemTime,
    /// Flexible checksum the client sent with the part.
    pub checksum: Option<Checksum>,
}

/// An open multipart upload.
#[derive(Debug, Clone)]
pub struct UploadRecord {
    /// Upload id.
    pub id: String,
    /// Key the object will get.
    pub key: String,
    /// Attributes given at initiate.
    pub attrs: ObjectAttrs,
    /// Initiation time.
    pub initiated: SystemTime,
    /// Checksum algorithm and type chosen at initiate.
    pub checksum: Option<(ChecksumAlgorithm, ChecksumType)>,
    /// Parts by number.
    pub parts: BTreeMap<u32, PartRecord>,
}

/// A bucket and everything in it.
#[derive(Debug, Clone)]
pub struct BucketRecord {
    /// Creation time.
    pub created: SystemTime,
    /// Objects by key.
    pub objects: BTreeMap<String, ObjectRecord>,
    /// Open uploads by id.
    pub uploads: BTreeMap<String, UploadRecord>,
}

impl BucketRecord {
    /// An empty bucket created now.
    pub fn new(created: SystemTime) -> Self {
        BucketRecord {
            created,
            objects: BTreeMap::new(),
            uploads: BTreeMap::new(),
        }
    }
}

/// All state.
#[derive(Debug, Default)]
pub struct State {
    /// Buckets by name.
    pub buckets: BTreeMap<String, BucketRecord>,
}
