//! The object-store semantics, dialect-free: buckets, objects, uploads and parts, with the
//! validation rules and error codes of S3 (which OBS and QingStor share, up to spelling).
//!
//! Locking: one mutex over [`model::State`], held only for bookkeeping, never while a body
//! streams. A part is streamed into a new blob first and attached under the lock afterwards;
//! if its upload was aborted or completed meanwhile, the new blob is simply dropped.

mod copy_payload;
pub mod model;
mod persist;
mod snapshot;

pub use persist::MetaLog;
pub use snapshot::{BucketState, ObjectState, PartState, StateSnapshot, UploadState};

use crate::checksum::{self, Checksum, ChecksumAlgorithm};
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::ops::*;
use crate::payload::PayloadSource;
use crate::store::{BlobStore, PendingBlob};
use model::*;
use persist::Record;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

/// Longest key accepted, in bytes (S3's limit).
pub const MAX_KEY_BYTES: usize = 1024;
/// Largest page of any listing.
pub const MAX_PAGE: usize = 1000;
/// Most parts a complete may list.
pub const MAX_COMPLETE_PARTS: usize = 10_000;

/// The object store.
pub struct Service {
    store: Arc<dyn BlobStore>,
    state: Mutex<State>,
    log: Option<MetaLog>,
}

impl Drop for Service {
    fn drop(&mut self) {
        // The state is persisted (disk) or about to vanish (memory): dropping it must not
        // delete the blobs it refers to.
        self.store.close();
    }
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("store", &self.store)
            .finish()
    }
}

fn strip_quotes(etag: &str) -> &str {
    let t = etag.trim();
    let t = t.strip_prefix("W/").unwrap_or(t);
    t.trim_matches('"')
}

fn etag_matches(condition: &str, etag: &str) -> bool {
    condition
        .split(',')
        .map(str::trim)
        .any(|c| c == "*" || strip_quotes(c) == etag)
}

fn new_upload_id() -> String {
    let a: u128 = rand::random();
    format!("{a:032X}")
}

/// Checks a bucket name by S3's rules (3-63 characters of lower-case letters, digits, dots and
/// hyphens, beginning and ending with a letter or digit).
pub fn valid_bucket_name(name: &str) -> bool {
    let b = name.as_bytes();
    (3..=63).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'.' || *c == b'-')
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && !name.contains("..")
}

fn check_key(key: &str) -> ServiceResult<()> {
    if key.is_empty() {
        return Err(ServiceError::with_message(
            ErrorCode::InvalidArgument,
            "An object key must not be empty.",
        ));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(ServiceError::new(ErrorCode::KeyTooLong)
            .field("Size", key.len().to_string())
            .field("MaxSizeAllowed", MAX_KEY_BYTES.to_string()));
    }
    Ok(())
}

fn check_part_number(n: u32, limits: &Limits) -> ServiceResult<()> {
    if n < limits.min_part_number || n > limits.max_part_number {
        return Err(ServiceError::with_message(
            ErrorCode::InvalidArgument,
            format!(
                "Part number must be an integer between {} and {}, inclusive",
                limits.min_part_number, limits.max_part_number
            ),
        )
        .field("ArgumentName", "partNumber")
        .field("ArgumentValue", n.to_string()));
    }
    Ok(())
}

fn check_conditions(
    c: &Conditions,
    etag: &str,
    modified: SystemTime,
    read: bool,
) -> ServiceResult<()> {
    if let Some(m) = &c.if_match {
        if !etag_matches(m, etag) {
            return Err(ErrorCode::PreconditionFailed.into());
        }
    } else if let Some(t) = c.if_unmodified_since {
        if modified > t + std::time::Duration::from_secs(1) {
            return Err(ErrorCode::PreconditionFailed.into());
        }
    }
    let not_modified = if read {
        ErrorCode::NotModified
    } else {
        ErrorCode::PreconditionFailed
    };
    if let Some(m) = &c.if_none_match {
        if etag_matches(m, etag) {
            return Err(not_modified.into());
        }
    } else if let Some(t) = c.if_modified_since {
        if modified <= t + std::time::Duration::from_secs(1) {
            return Err(not_modified.into());
        }
    }
    Ok(())
}

fn no_such_upload(upload_id: &str) -> ServiceError {
    ServiceError::new(ErrorCode::NoSuchUpload).field("UploadId", upload_id.to_string())
}

fn segments_range(
    segments: &[Segment],
    offset: u64,
    len: u64,
) -> Vec<(Arc<crate::store::Blob>, u64, u64)> {
    let mut out = Vec::new();
    let (mut pos, end) = (0u64, offset + len);
    for s in segments {
        let (a, b) = (pos, pos + s.len);
        pos = b;
        if b <= offset || a >= end || s.len == 0 {
            continue;
        }
        let from = offset.max(a) - a;
        let to = end.min(b) - a;
        out.push((s.blob.clone(), s.offset + from, to - from));
    }
    out
}

/// MD5 of the data of a list of segments, read chunk by chunk.
fn md5_of_segments(parts: &[(Arc<crate::store::Blob>, u64, u64)]) -> std::io::Result<[u8; 16]> {
    let mut md5 = checksum::Md5::new();
    for (blob, off, len) in parts {
        for chunk in blob.read(*off, *len)? {
            md5.update(&chunk?);
        }
    }
    Ok(md5.finalize())
}

impl Service {
    /// A service over `store`. If the store persists metadata (disk store with a meta dir),
    /// the state is recovered from it, unreferenced blobs are deleted, and the log is compacted.
    pub fn open(store: Arc<dyn BlobStore>) -> std::io::Result<Service> {
        let (state, log) = match store.meta_dir() {
            Some(dir) => {
                let (state, log) = MetaLog::recover(&dir, &store)?;
                (state, Some(log))
            }
            None => (State::default(), None),
        };
        Ok(Service {
            store,
            state: Mutex::new(state),
            log,
        })
    }

    /// The blob store.
    pub fn store(&self) -> &Arc<dyn BlobStore> {
        &self.store
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn persist(&self, record: Record<'_>) -> ServiceResult<()> {
        match &self.log {
            Some(log) => log.append(&record).map_err(ServiceError::internal),
            None => Ok(()),
        }
    }

    /// Removes everything: buckets, objects, uploads and their blobs.
    pub fn reset(&self) -> ServiceResult<()> {
        let mut st = self.lock();
        self.persist(Record::Reset)?;
        st.buckets.clear();
        Ok(())
    }

    // ----- buckets -----

    /// Lists buckets.
    pub fn list_buckets(&self) -> Vec<BucketInfo> {
        self.lock()
            .buckets
            .iter()
            .map(|(name, b)| BucketInfo {
                name: name.clone(),
                created: b.created,
            })
            .collect()
    }

    /// Creates a bucket.
    pub fn create_bucket(&self, name: &str) -> ServiceResult<()> {
        if !valid_bucket_name(name) {
            return Err(ServiceError::new(ErrorCode::InvalidBucketName).field("BucketName", name));
        }
        let mut st = self.lock();
        if st.buckets.contains_key(name) {
            return Err(
                ServiceError::new(ErrorCode::BucketAlreadyOwnedByYou).field("BucketName", name)
            );
        }
        let created = SystemTime::now();
        self.persist(Record::Bucket { name, created })?;
        st.buckets
            .insert(name.to_string(), BucketRecord::new(created));
        Ok(())
    }

    /// Checks a bucket exists.
    pub fn head_bucket(&self, name: &str) -> ServiceResult<()> {
        let st = self.lock();
        bucket_ref(&st, name).map(|_| ())
    }

    /// Deletes an empty bucket. Open uploads are aborted with it.
    pub fn delete_bucket(&self, name: &str) -> ServiceResult<()> {
        let mut st = self.lock();
        let b = bucket_ref(&st, name)?;
        if !b.objects.is_empty() {
            return Err(ServiceError::new(ErrorCode::BucketNotEmpty).field("BucketName", name));
        }
        self.persist(Record::BucketDeleted { name })?;
        st.buckets.remove(name);
        Ok(())
    }

    // ----- objects -----

    /// Lists objects (V1 and V2 share this; the codec turns markers into tokens).
    pub fn list_objects(&self, input: ListObjectsInput) -> ServiceResult<ObjectList> {
        let st = self.lock();
        let b = bucket_ref(&st, &input.bucket)?;
        let entries = b.objects.iter().map(|(k, o)| (k.as_str(), o));
        let (objects, common_prefixes, is_truncated, next_marker) = list_page(
            entries,
            &input.prefix,
            input.delimiter.as_deref(),
            input.marker.as_deref(),
            input.max_keys.min(MAX_PAGE),
        );
        let objects = objects
            .into_iter()
            .map(|(k, o)| ObjectInfo {
                key: k.to_string(),
                size: o.size,
                etag: o.etag.clone(),
                last_modified: o.last_modified,
                content_type: o.attrs.content_type.clone(),
                storage_class: o.attrs.storage_class.clone(),
            })
            .collect();
        Ok(ObjectList {
            input,
            objects,
            common_prefixes,
            is_truncated,
            next_marker,
        })
    }

    /// Stores an object from a streaming payload.
    pub async fn put_object<P: PayloadSource>(
        &self,
        bucket: &str,
        key: &str,
        attrs: ObjectAttrs,
        if_none_match_any: bool,
        mut payload: P,
        limits: &Limits,
    ) -> ServiceResult<Output> {
        check_key(key)?;
        {
            let st = self.lock();
            let b = bucket_ref(&st, bucket)?;
            if if_none_match_any && b.objects.contains_key(key) {
                return Err(ErrorCode::PreconditionFailed.into());
            }
        }
        let (blob, _) = self.stream_into_blob(&mut payload, limits, None).await?;
        let digest = payload.finish().await?;
        let blob = blob.commit().map_err(ServiceError::internal)?;
        let etag = hex::encode(digest.md5);
        let checksum = digest.checksum.clone().map(|c| ObjectChecksum {
            algorithm: c.algorithm,
            checksum_type: ChecksumType::FullObject,
            value: c.to_base64(),
        });
        let record = ObjectRecord {
            size: digest.size,
            etag: etag.clone(),
            last_modified: SystemTime::now(),
            attrs,
            segments: vec![Segment {
                len: blob.len(),
                blob,
                offset: 0,
                checksum: None,
            }],
            parts_count: None,
            checksum,
            upload_id: None,
        };
        let mut st = self.lock();
        let b = bucket_mut(&mut st, bucket)?;
        if if_none_match_any && b.objects.contains_key(key) {
            return Err(ErrorCode::PreconditionFailed.into());
        }
        self.persist(Record::Object {
            bucket,
            key,
            object: &record,
        })?;
        let replaced = b.objects.insert(key.to_string(), record);
        // The replaced object's blobs are deleted (file unlinks) outside the state lock.
        drop(st);
        drop(replaced);
        Ok(Output::Put {
            etag,
            checksum: digest.checksum,
        })
    }

    /// Streams a payload into a new blob; the blob is deleted if anything fails.
    ///
    /// `own` additionally checksums the data (a part the client sent without its checksum).
    async fn stream_into_blob<P: PayloadSource>(
        &self,
        payload: &mut P,
        limits: &Limits,
        mut own: Option<&mut checksum::Checksummer>,
    ) -> ServiceResult<(PendingBlob, u64)> {
        let too_large = || {
            ServiceError::new(ErrorCode::EntityTooLarge)
                .field("MaxSizeAllowed", limits.max_part_size.to_string())
        };
        if payload
            .declared_len()
            .is_some_and(|n| n > limits.max_part_size)
        {
            return Err(too_large());
        }
        let mut blob = PendingBlob::create(&self.store).map_err(ServiceError::internal)?;
        if let Some(n) = payload.declared_len() {
            blob.expect_len(n);
        }
        let mut size = 0u64;
        while let Some(chunk) = payload.next_chunk().await {
            let chunk = chunk?;
            size += chunk.len() as u64;
            if size > limits.max_part_size {
                return Err(too_large());
            }
            if let Some(c) = own.as_deref_mut() {
                c.update(&chunk);
            }
            blob.write(chunk).map_err(ServiceError::internal)?;
        }
        Ok((blob, size))
    }

    /// GET or HEAD of an object: resolves conditions, range and part number into segments.
    pub fn get_object(
        &self,
        bucket: &str,
        key: &str,
        range: Option<RangeSpec>,
        part_number: Option<u32>,
        conditions: &Conditions,
        checksum_mode: bool,
    ) -> ServiceResult<ObjectBody> {
        let st = self.lock();
        let o = object_ref(&st, bucket, key)?;
        check_conditions(conditions, &o.etag, o.last_modified, true)?;
        if range.is_some() && part_number.is_some() {
            return Err(ServiceError::with_message(
                ErrorCode::InvalidRequest,
                "Cannot specify both Range header and partNumber query parameter.",
            ));
        }
        let mut checksum = if checksum_mode {
            o.checksum.clone()
        } else {
            None
        };
        let mut parts_count = None;
        let selected = if let Some(n) = part_number {
            let invalid = || {
                ServiceError::new(ErrorCode::InvalidPartNumber)
                    .field("PartNumberRequested", n.to_string())
                    .field("ActualPartCount", o.parts_count.unwrap_or(1).to_string())
            };
            // Part n is the n-th part the complete listed (as MinIO counts them). An object not
            // assembled from parts is its own part 1 and, as on S3, reports no parts count.
            if let Some(count) = o.parts_count {
                if n == 0 || n > count {
                    return Err(invalid());
                }
                let idx = (n - 1) as usize;
                parts_count = Some(count);
                let offset: u64 = o.segments.iter().take(idx).map(|s| s.len).sum();
                let seg = o.segments.get(idx).ok_or_else(invalid)?;
                // A part read reports the part's own checksum, never the whole object's.
                checksum = match (checksum_mode, &seg.checksum, &o.checksum) {
                    (true, Some(c), Some(oc)) if oc.checksum_type == ChecksumType::Composite => {
                        Some(ObjectChecksum {
                            algorithm: c.algorithm,
                            checksum_type: ChecksumType::Composite,
                            value: c.to_base64(),
                        })
                    }
                    _ => None,
                };
                Some((offset, seg.len))
            } else if n == 1 {
                Some((0, o.size))
            } else {
                return Err(invalid());
            }
        } else if let Some(r) = range {
            checksum = None;
            Some(r.resolve(o.size).ok_or_else(|| {
                ServiceError::new(ErrorCode::InvalidRange)
                    .field("ActualObjectSize", o.size.to_string())
            })?)
        } else {
            None
        };
        let (off, len) = selected.unwrap_or((0, o.size));
        Ok(ObjectBody {
            key: key.to_string(),
            size: o.size,
            etag: o.etag.clone(),
            last_modified: o.last_modified,
            attrs: o.attrs.clone(),
            range: selected,
            parts_count,
            checksum,
            segments: segments_range(&o.segments, off, len),
        })
    }

    /// An object's attributes (S3 GetObjectAttributes): ETag, size, storage class, checksum,
    /// and for a multipart object a page of its parts after `marker`.
    pub fn get_object_attributes(
        &self,
        bucket: &str,
        key: &str,
        max_parts: usize,
        marker: Option<u32>,
    ) -> ServiceResult<ObjectAttributesInfo> {
        let st = self.lock();
        let o = object_ref(&st, bucket, key)?;
        let parts = o.parts_count.map(|count| {
            let max = max_parts.min(MAX_PAGE);
            let from = marker.unwrap_or(0);
            // S3 lists the parts only of objects uploaded with an additional checksum.
            let listed = o.segments.iter().all(|s| s.checksum.is_some());
            let mut after = o
                .segments
                .iter()
                .enumerate()
                .map(|(i, s)| (u32::try_from(i + 1).unwrap_or(u32::MAX), s))
                .filter(|(n, _)| *n > from)
                .peekable();
            let mut page = Vec::new();
            while page.len() < max {
                let Some((number, s)) = after.next() else {
                    break;
                };
                page.push(ObjectPart {
                    number,
                    size: s.len,
                    checksum: s.checksum.clone(),
                });
            }
            let next_part_number_marker = page.last().map(|p| p.number);
            if !listed {
                // The paging still applies; only the Part elements are left out.
                page.clear();
            }
            ObjectParts {
                parts_count: count,
                part_number_marker: from,
                next_part_number_marker,
                max_parts: max,
                is_truncated: after.peek().is_some(),
                parts: page,
            }
        });
        Ok(ObjectAttributesInfo {
            etag: o.etag.clone(),
            last_modified: o.last_modified,
            size: o.size,
            storage_class: o.attrs.storage_class.clone(),
            checksum: o.checksum.clone(),
            parts,
        })
    }

    /// Deletes an object (no error when it does not exist).
    pub fn delete_object(&self, bucket: &str, key: &str) -> ServiceResult<()> {
        let mut st = self.lock();
        let b = bucket_mut(&mut st, bucket)?;
        if b.objects.contains_key(key) {
            self.persist(Record::ObjectDeleted { bucket, key })?;
            let removed = b.objects.remove(key);
            // Its blobs are deleted outside the state lock.
            drop(st);
            drop(removed);
        }
        Ok(())
    }

    /// Deletes several objects.
    pub fn delete_objects(
        &self,
        bucket: &str,
        keys: &[String],
    ) -> ServiceResult<Vec<DeleteOutcome>> {
        {
            let st = self.lock();
            bucket_ref(&st, bucket)?;
        }
        Ok(keys
            .iter()
            .map(|k| DeleteOutcome {
                key: k.clone(),
                error: self.delete_object(bucket, k).err().map(|e| e.code),
            })
            .collect())
    }

    /// Copies an object; the copy shares the source's blobs (no bytes copied).
    ///
    /// As in S3, the copy of a multipart object is a single-part object: its ETag is the MD5
    /// of the data (read once to compute it) and it has no parts.
    pub async fn copy_object(
        &self,
        bucket: &str,
        key: &str,
        source: &CopySource,
        replace_attrs: Option<ObjectAttrs>,
        conditions: &Conditions,
    ) -> ServiceResult<Output> {
        check_key(key)?;
        let mut record = {
            let st = self.lock();
            let src = source_object(&st, source)?;
            check_conditions(conditions, &src.etag, src.last_modified, false)?;
            if source.bucket == bucket && source.key == key && replace_attrs.is_none() {
                return Err(ServiceError::with_message(
                    ErrorCode::InvalidRequest,
                    "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
                ));
            }
            bucket_ref(&st, bucket)?;
            src.clone()
        };
        if record.parts_count.is_some() {
            let parts = segments_range(&record.segments, 0, record.size);
            let md5 = tokio::task::spawn_blocking(move || md5_of_segments(&parts))
                .await
                .map_err(ServiceError::internal)?
                .map_err(ServiceError::internal)?;
            record.etag = hex::encode(md5);
            record.parts_count = None;
            for s in &mut record.segments {
                s.checksum = None;
            }
            // A composite checksum describes parts the copy no longer has.
            if record
                .checksum
                .as_ref()
                .is_some_and(|c| c.checksum_type == ChecksumType::Composite)
            {
                record.checksum = None;
            }
        }
        record.last_modified = SystemTime::now();
        record.upload_id = None;
        if let Some(a) = replace_attrs {
            record.attrs = a;
        }
        let mut st = self.lock();
        let b = bucket_mut(&mut st, bucket)?;
        self.persist(Record::Object {
            bucket,
            key,
            object: &record,
        })?;
        let out = Output::Copied {
            etag: record.etag.clone(),
            last_modified: record.last_modified,
        };
        let replaced = b.objects.insert(key.to_string(), record);
        drop(st);
        drop(replaced);
        Ok(out)
    }

    // ----- multipart -----

    /// Starts a multipart upload.
    pub fn create_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        attrs: ObjectAttrs,
        checksum: Option<(ChecksumAlgorithm, ChecksumType)>,
    ) -> ServiceResult<Output> {
        check_key(key)?;
        if let Some((alg, ChecksumType::FullObject)) = checksum {
            if !alg.supports_full_object() {
                return Err(ServiceError::with_message(
                    ErrorCode::InvalidRequest,
                    format!(
                        "The FULL_OBJECT checksum type is not supported with {}; use a CRC algorithm.",
                        alg.name()
                    ),
                ));
            }
        }
        let mut st = self.lock();
        let b = bucket_mut(&mut st, bucket)?;
        let upload = UploadRecord {
            id: new_upload_id(),
            key: key.to_string(),
            attrs,
            initiated: SystemTime::now(),
            checksum,
            parts: Default::default(),
        };
        self.persist(Record::Upload {
            bucket,
            upload: &upload,
        })?;
        let out = Output::Initiated {
            bucket: bucket.to_string(),
            key: key.to_string(),
            upload_id: upload.id.clone(),
            checksum,
        };
        b.uploads.insert(upload.id.clone(), upload);
        Ok(out)
    }

    /// Checks the upload exists; returns its checksum algorithm and type.
    fn check_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> ServiceResult<Option<(ChecksumAlgorithm, ChecksumType)>> {
        let st = self.lock();
        upload_ref(&st, bucket, key, upload_id).map(|u| u.checksum)
    }

    /// Uploads a part from a streaming payload; a part with the same number is replaced.
    #[allow(clippy::too_many_arguments)]
    pub async fn upload_part<P: PayloadSource>(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        mut payload: P,
        limits: &Limits,
    ) -> ServiceResult<Output> {
        check_part_number(part_number, limits)?;
        // A FULL_OBJECT checksum combines the parts' checksums; S3 computes a part's itself
        // when the client did not send one.
        let mut own = match self.check_upload(bucket, key, upload_id)? {
            Some((alg, ChecksumType::FullObject)) => Some(checksum::Checksummer::new(alg)),
            _ => None,
        };
        let (blob, _) = self
            .stream_into_blob(&mut payload, limits, own.as_mut())
            .await?;
        let digest = payload.finish().await?;
        let blob = blob.commit().map_err(ServiceError::internal)?;
        let part = PartRecord {
            blob,
            md5: digest.md5,
            last_modified: SystemTime::now(),
            checksum: digest
                .checksum
                .clone()
                .or_else(|| own.map(checksum::Checksummer::finalize)),
        };
        self.attach_part(bucket, key, upload_id, part_number, part)?;
        Ok(Output::Part {
            etag: hex::encode(digest.md5),
            checksum: digest.checksum,
        })
    }

    fn attach_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        number: u32,
        part: PartRecord,
    ) -> ServiceResult<()> {
        let mut st = self.lock();
        let upload = upload_mut(&mut st, bucket, key, upload_id)?;
        if let (Some((alg, ChecksumType::Composite)), None) = (upload.checksum, &part.checksum) {
            return Err(ServiceError::with_message(
                ErrorCode::InvalidRequest,
                format!(
                    "Checksum Type mismatch occurred, expected checksum Type: {}, actual checksum Type: null",
                    alg.name().to_ascii_lowercase()
                ),
            ));
        }
        if let (Some((alg, _)), Some(c)) = (upload.checksum, &part.checksum) {
            if c.algorithm != alg {
                return Err(ServiceError::with_message(
                    ErrorCode::InvalidRequest,
                    format!(
                        "Checksum Type mismatch occurred, expected checksum Type: {}, actual checksum Type: {}",
                        alg.name().to_ascii_lowercase(),
                        c.algorithm.name().to_ascii_lowercase()
                    ),
                ));
            }
        }
        self.persist(Record::Part {
            bucket,
            upload_id,
            number,
            part: &part,
        })?;
        let replaced = upload.parts.insert(number, part);
        drop(st);
        drop(replaced);
        Ok(())
    }

    /// Copies a range of an existing object into a part.
    #[allow(clippy::too_many_arguments)]
    pub async fn upload_part_copy(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        source: &CopySource,
        range: Option<RangeSpec>,
        conditions: &Conditions,
        limits: &Limits,
    ) -> ServiceResult<Output> {
        check_part_number(part_number, limits)?;
        let (segments, algorithm) = {
            let st = self.lock();
            let upload = upload_ref(&st, bucket, key, upload_id)?;
            let algorithm = upload.checksum.map(|(a, _)| a);
            let src = source_object(&st, source)?;
            check_conditions(conditions, &src.etag, src.last_modified, false)?;
            let (off, len) = match range {
                None => (0, src.size),
                Some(RangeSpec::FromTo(a, b)) if a <= b && b < src.size => (a, b - a + 1),
                Some(_) => {
                    return Err(ServiceError::with_message(
                        ErrorCode::InvalidArgument,
                        format!(
                            "Range specified is not valid for source object of size: {}",
                            src.size
                        ),
                    )
                    .field("ArgumentName", "x-amz-copy-source-range"))
                }
            };
            if len > limits.max_part_size {
                return Err(ErrorCode::EntityTooLarge.into());
            }
            (segments_range(&src.segments, off, len), algorithm)
        };
        let mut payload = copy_payload::SegmentsPayload::start(segments, algorithm);
        let (blob, _) = self.stream_into_blob(&mut payload, limits, None).await?;
        let digest = payload.finish().await?;
        let blob = blob.commit().map_err(ServiceError::internal)?;
        let last_modified = SystemTime::now();
        let part = PartRecord {
            blob,
            md5: digest.md5,
            last_modified,
            checksum: digest.checksum,
        };
        self.attach_part(bucket, key, upload_id, part_number, part)?;
        Ok(Output::PartCopied {
            etag: hex::encode(digest.md5),
            last_modified,
        })
    }

    /// Lists the parts of an upload numbered above `marker` (all of them when `None`).
    pub fn list_parts(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        max_parts: usize,
        marker: Option<u32>,
    ) -> ServiceResult<PartList> {
        let st = self.lock();
        let upload = upload_ref(&st, bucket, key, upload_id)?;
        let max = max_parts.min(MAX_PAGE);
        let mut iter = upload
            .parts
            .range((
                marker.map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded),
                std::ops::Bound::Unbounded,
            ))
            .peekable();
        let mut parts = Vec::new();
        while parts.len() < max {
            let Some((n, p)) = iter.next() else { break };
            parts.push(PartInfo {
                number: *n,
                etag: hex::encode(p.md5),
                size: p.blob.len(),
                last_modified: p.last_modified,
                checksum: p.checksum.clone(),
            });
        }
        let is_truncated = iter.peek().is_some();
        Ok(PartList {
            bucket: bucket.to_string(),
            key: key.to_string(),
            upload_id: upload_id.to_string(),
            part_number_marker: marker.unwrap_or(0),
            next_part_number_marker: parts.last().map(|p| p.number),
            max_parts: max,
            is_truncated,
            parts,
            storage_class: upload.attrs.storage_class.clone(),
            checksum: upload.checksum,
        })
    }

    /// Lists open uploads of a bucket, sorted by key then initiation time.
    #[allow(clippy::too_many_arguments)]
    pub fn list_multipart_uploads(
        &self,
        bucket: &str,
        prefix: &str,
        delimiter: Option<&str>,
        key_marker: Option<&str>,
        upload_id_marker: Option<&str>,
        max_uploads: usize,
    ) -> ServiceResult<UploadList> {
        let st = self.lock();
        let b = bucket_ref(&st, bucket)?;
        let mut all: Vec<&UploadRecord> = b.uploads.values().collect();
        all.sort_by(|x, y| (&x.key, x.initiated, &x.id).cmp(&(&y.key, y.initiated, &y.id)));
        // Position after the markers: S3 skips every upload of key-marker unless an
        // upload-id-marker names where in that key's uploads to resume.
        let start = match key_marker {
            None => 0,
            Some(km) => {
                let after_id = upload_id_marker.and_then(|im| {
                    all.iter()
                        .position(|u| u.key == km && u.id == im)
                        .map(|p| p + 1)
                });
                after_id.unwrap_or_else(|| {
                    all.iter()
                        .position(|u| u.key.as_str() > km)
                        .unwrap_or(all.len())
                })
            }
        };
        let max = max_uploads.min(MAX_PAGE);
        let mut uploads = Vec::new();
        let mut common_prefixes: Vec<String> = Vec::new();
        let mut is_truncated = false;
        let mut last: Option<(&str, &str)> = None;
        for u in &all[start..] {
            if !u.key.starts_with(prefix) {
                continue;
            }
            let cp = delimiter.and_then(|d| {
                u.key[prefix.len()..]
                    .find(d)
                    .map(|i| u.key[..prefix.len() + i + d.len()].to_string())
            });
            if let Some(cp) = &cp {
                if common_prefixes.last() == Some(cp) {
                    // Part of the common prefix already listed: the next page must resume
                    // after it, not inside it.
                    last = Some((&u.key, &u.id));
                    continue;
                }
            }
            if uploads.len() + common_prefixes.len() >= max {
                is_truncated = true;
                break;
            }
            match cp {
                Some(cp) => {
                    common_prefixes.push(cp);
                    last = Some((&u.key, &u.id));
                }
                None => {
                    uploads.push(UploadInfo {
                        key: u.key.clone(),
                        upload_id: u.id.clone(),
                        initiated: u.initiated,
                        storage_class: u.attrs.storage_class.clone(),
                    });
                    last = Some((&u.key, &u.id));
                }
            }
        }
        let (next_key_marker, next_upload_id_marker) = match (is_truncated, last) {
            (true, Some((k, id))) => (Some(k.to_string()), Some(id.to_string())),
            _ => (None, None),
        };
        Ok(UploadList {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
            delimiter: delimiter.map(str::to_string),
            key_marker: key_marker.map(str::to_string),
            upload_id_marker: upload_id_marker.map(str::to_string),
            next_key_marker,
            next_upload_id_marker,
            max_uploads: max,
            is_truncated,
            uploads,
            common_prefixes,
        })
    }

    /// Completes an upload: validates the part list, builds the object as a manifest of the
    /// listed parts' blobs (no bytes copied) and discards the parts left out.
    ///
    /// A complete retried after it already succeeded answers the same result, as S3 does.
    #[allow(clippy::too_many_arguments)]
    pub fn complete_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[CompletePart],
        checks: &CompleteChecks,
        limits: &Limits,
    ) -> ServiceResult<Output> {
        let mut st = self.lock();
        let b = bucket_mut(&mut st, bucket)?;
        let Some(upload) = b.uploads.get(upload_id).filter(|u| u.key == key) else {
            // Retried complete of an upload that already completed into this object.
            return match b.objects.get(key) {
                Some(o) if o.upload_id.as_deref() == Some(upload_id) => Ok(Output::Completed {
                    bucket: bucket.to_string(),
                    key: key.to_string(),
                    etag: o.etag.clone(),
                    checksum: o.checksum.clone(),
                }),
                _ => Err(no_such_upload(upload_id)),
            };
        };
        if parts.is_empty() {
            return Err(ServiceError::with_message(
                ErrorCode::MalformedXml,
                "The XML you provided was not well-formed or did not validate against our published schema: you must specify at least one part.",
            ));
        }
        if parts.len() > MAX_COMPLETE_PARTS {
            return Err(ServiceError::with_message(
                ErrorCode::InvalidArgument,
                format!(
                    "A complete may list at most {MAX_COMPLETE_PARTS} parts; it listed {}.",
                    parts.len()
                ),
            ));
        }
        if parts.windows(2).any(|w| w[0].number >= w[1].number) {
            return Err(ErrorCode::InvalidPartOrder.into());
        }
        // First every listed part must exist with the ETag (and checksum) given...
        let mut records = Vec::with_capacity(parts.len());
        for p in parts {
            if let (Some((alg, ChecksumType::Composite)), None) = (upload.checksum, &p.checksum) {
                return Err(ServiceError::with_message(
                    ErrorCode::InvalidRequest,
                    format!(
                        "The upload was created using a {} checksum. The complete request must include the checksum for each part. It was missing for part {} in the request.",
                        alg.name().to_ascii_lowercase(),
                        p.number
                    ),
                ));
            }
            let invalid = || {
                ServiceError::new(ErrorCode::InvalidPart)
                    .field("UploadId", upload_id.to_string())
                    .field("PartNumber", p.number.to_string())
                    .field("ETag", p.etag.clone().unwrap_or_default())
            };
            let rec = upload.parts.get(&p.number).ok_or_else(invalid)?;
            if let Some(e) = &p.etag {
                if strip_quotes(e) != hex::encode(rec.md5) {
                    return Err(invalid());
                }
            }
            if let (Some((alg, sent)), Some(stored)) = (&p.checksum, &rec.checksum) {
                if *alg != stored.algorithm || sent.trim() != stored.to_base64() {
                    return Err(invalid());
                }
            }
            records.push((p.number, rec));
        }
        // ...then every part but the last must be large enough.
        let mut segments = Vec::with_capacity(parts.len());
        let mut md5s = Vec::with_capacity(parts.len());
        for (i, (number, rec)) in records.iter().enumerate() {
            if i + 1 < records.len() && rec.blob.len() < limits.min_part_size {
                return Err(ServiceError::new(ErrorCode::EntityTooSmall)
                    .field("ProposedSize", rec.blob.len().to_string())
                    .field("MinSizeAllowed", limits.min_part_size.to_string())
                    .field("PartNumber", number.to_string())
                    .field("ETag", hex::encode(rec.md5)));
            }
            md5s.push(rec.md5);
            segments.push(Segment {
                blob: rec.blob.clone(),
                offset: 0,
                len: rec.blob.len(),
                checksum: rec.checksum.clone(),
            });
        }
        if checks.if_none_match_any && b.objects.contains_key(key) {
            return Err(ErrorCode::PreconditionFailed.into());
        }
        let size: u64 = segments.iter().map(|s| s.len).sum();
        if let Some(expected) = checks.object_size.filter(|&n| n != size) {
            return Err(ServiceError::with_message(
                ErrorCode::InvalidRequest,
                format!(
                    "The object size the request expects, {expected}, does not match what its parts make: {size}"
                ),
            ));
        }
        let checksum = upload
            .checksum
            .and_then(|(alg, ty)| object_checksum(alg, ty, &segments));
        check_object_checksum(upload.checksum, checksum.as_ref(), checks)?;
        let etag = match checks.etag_override.as_deref() {
            Some(e) if !strip_quotes(e).is_empty() => strip_quotes(e).to_string(),
            _ => checksum::multipart_etag(&md5s),
        };
        let record = ObjectRecord {
            size,
            etag: etag.clone(),
            last_modified: SystemTime::now(),
            attrs: upload.attrs.clone(),
            segments,
            parts_count: Some(parts.len() as u32),
            checksum: checksum.clone(),
            upload_id: Some(upload_id.to_string()),
        };
        self.persist(Record::Completed {
            bucket,
            upload_id,
            key,
            object: &record,
        })?;
        let replaced = b.objects.insert(key.to_string(), record);
        let finished = b.uploads.remove(upload_id);
        // The replaced object's blobs and the parts left out of the object are deleted
        // outside the state lock: one unlink per blob file.
        drop(st);
        drop(replaced);
        drop(finished);
        Ok(Output::Completed {
            bucket: bucket.to_string(),
            key: key.to_string(),
            etag,
            checksum,
        })
    }

    /// Aborts an upload and frees its parts.
    pub fn abort_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> ServiceResult<()> {
        let mut st = self.lock();
        upload_ref(&st, bucket, key, upload_id)?;
        self.persist(Record::UploadAborted { bucket, upload_id })?;
        let aborted = st
            .buckets
            .get_mut(bucket)
            .and_then(|b| b.uploads.remove(upload_id));
        // Its parts' blobs are deleted outside the state lock.
        drop(st);
        drop(aborted);
        Ok(())
    }

    /// A snapshot of everything, for `/_mock/state` and leak checks.
    pub fn snapshot(&self) -> StateSnapshot {
        let st = self.lock();
        snapshot::take(&st, self.store.stats())
    }
}

/// Checks the whole-object checksum and type a complete carried against the upload's and what
/// its parts make. An upload created without a checksum has none to compare, as on S3.
fn check_object_checksum(
    upload: Option<(ChecksumAlgorithm, ChecksumType)>,
    computed: Option<&ObjectChecksum>,
    checks: &CompleteChecks,
) -> ServiceResult<()> {
    let Some((alg, ty)) = upload else {
        return Ok(());
    };
    if let Some(sent) = checks.checksum_type.filter(|&t| t != ty) {
        return Err(ServiceError::with_message(
            ErrorCode::InvalidRequest,
            format!(
                "The upload was created using the {} checksum mode. The complete request must use the same checksum mode; it asked for {}.",
                ty.name(),
                sent.name()
            ),
        ));
    }
    let (Some((sent_alg, sent)), Some(computed)) = (&checks.object_checksum, computed) else {
        return Ok(());
    };
    if *sent_alg != alg {
        return Err(ServiceError::with_message(
            ErrorCode::InvalidRequest,
            format!(
                "The upload was created using a {} checksum. The complete request carried a {} checksum of the object.",
                alg.name().to_ascii_lowercase(),
                sent_alg.name().to_ascii_lowercase()
            ),
        ));
    }
    // A composite value may come with or without its `-N` (the number of parts).
    let matches = match ty {
        ChecksumType::Composite if !sent.contains('-') => {
            computed.value.split('-').next() == Some(sent.as_str())
        }
        _ => computed.value == *sent,
    };
    if !matches {
        return Err(ServiceError::with_message(
            ErrorCode::BadDigest,
            format!(
                "The {} you specified did not match the calculated checksum.",
                alg.name()
            ),
        ));
    }
    Ok(())
}

fn object_checksum(
    alg: ChecksumAlgorithm,
    ty: ChecksumType,
    segments: &[Segment],
) -> Option<ObjectChecksum> {
    let sums: Option<Vec<Checksum>> = segments.iter().map(|s| s.checksum.clone()).collect();
    let sums = sums?;
    if sums.iter().any(|c| c.algorithm != alg) {
        return None;
    }
    let value = match ty {
        ChecksumType::Composite => checksum::composite_checksum(alg, &sums),
        ChecksumType::FullObject => {
            let with_len: Vec<(Checksum, u64)> = sums
                .into_iter()
                .zip(segments.iter().map(|s| s.len))
                .collect();
            checksum::full_object_checksum(alg, &with_len)?.to_base64()
        }
    };
    Some(ObjectChecksum {
        algorithm: alg,
        checksum_type: ty,
        value,
    })
}

fn bucket_ref<'a>(st: &'a State, name: &str) -> ServiceResult<&'a BucketRecord> {
    st.buckets
        .get(name)
        .ok_or_else(|| ServiceError::new(ErrorCode::NoSuchBucket).field("BucketName", name))
}

fn bucket_mut<'a>(st: &'a mut State, name: &str) -> ServiceResult<&'a mut BucketRecord> {
    st.buckets
        .get_mut(name)
        .ok_or_else(|| ServiceError::new(ErrorCode::NoSuchBucket).field("BucketName", name))
}

fn upload_ref<'a>(
    st: &'a State,
    bucket: &str,
    key: &str,
    id: &str,
) -> ServiceResult<&'a UploadRecord> {
    bucket_ref(st, bucket)?
        .uploads
        .get(id)
        .filter(|u| u.key == key)
        .ok_or_else(|| no_such_upload(id))
}

fn upload_mut<'a>(
    st: &'a mut State,
    bucket: &str,
    key: &str,
    id: &str,
) -> ServiceResult<&'a mut UploadRecord> {
    bucket_mut(st, bucket)?
        .uploads
        .get_mut(id)
        .filter(|u| u.key == key)
        .ok_or_else(|| no_such_upload(id))
}

fn object_ref<'a>(st: &'a State, bucket: &str, key: &str) -> ServiceResult<&'a ObjectRecord> {
    bucket_ref(st, bucket)?
        .objects
        .get(key)
        .ok_or_else(|| ServiceError::new(ErrorCode::NoSuchKey).field("Key", key))
}

fn source_object<'a>(st: &'a State, source: &CopySource) -> ServiceResult<&'a ObjectRecord> {
    object_ref(st, &source.bucket, &source.key)
}

type Page<'a, T> = (Vec<(&'a str, T)>, Vec<String>, bool, Option<String>);

/// One page of a prefix/delimiter listing over sorted `(key, value)` entries.
///
/// Keys at or before `marker` are skipped, as is everything under a common prefix the marker
/// names (the marker of a previous page may be a common prefix). Each common prefix counts once
/// towards `max`.
pub fn list_page<'a, T>(
    entries: impl Iterator<Item = (&'a str, T)>,
    prefix: &str,
    delimiter: Option<&str>,
    marker: Option<&str>,
    max: usize,
) -> Page<'a, T> {
    let delimiter = delimiter.filter(|d| !d.is_empty());
    let mut items = Vec::new();
    let mut prefixes: Vec<String> = Vec::new();
    let mut truncated = false;
    let mut next = None;
    for (key, v) in entries {
        if !key.starts_with(prefix) {
            continue;
        }
        if let Some(m) = marker {
            if key <= m {
                continue;
            }
            if let Some(d) = delimiter {
                if m.len() > prefix.len()
                    && m.ends_with(d)
                    && key.starts_with(m)
                    && m.starts_with(prefix)
                {
                    continue;
                }
            }
        }
        let cp = delimiter.and_then(|d| {
            key[prefix.len()..]
                .find(d)
                .map(|i| key[..prefix.len() + i + d.len()].to_string())
        });
        if let Some(cp) = &cp {
            if prefixes.last() == Some(cp) {
                continue;
            }
        }
        if items.len() + prefixes.len() >= max {
            truncated = true;
            break;
        }
        match cp {
            Some(cp) => {
                next = Some(cp.clone());
                prefixes.push(cp);
            }
            None => {
                next = Some(key.to_string());
                items.push((key, v));
            }
        }
    }
    if !truncated {
        next = None;
    }
    (items, prefixes, truncated, next)
}

#[cfg(test)]
mod tests;
