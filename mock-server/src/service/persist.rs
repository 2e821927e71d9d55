//! Durable metadata for the disk store: an append-only log of state changes.
//!
//! Every change is one JSON line appended to `meta/state.log` while the state lock is held, so
//! the log's order is the state's order, and a change is written before it is acknowledged.
//! Blob data is committed (written, and fsynced in durable mode) before the record that refers
//! to it. After a crash, replay stops at the first torn or unparsable line; blobs no record
//! refers to are deleted; the log is then rewritten compactly (temp file, fsync, rename, fsync
//! of the directory).

use super::model::*;
use crate::checksum::{Checksum, ChecksumAlgorithm};
use crate::ops::{ChecksumType, ObjectAttrs, ObjectChecksum};
use crate::store::{Blob, BlobId, BlobStore};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

const LOG_NAME: &str = "state.log";

/// A change to record, borrowed from the service's state.
pub(crate) enum Record<'a> {
    Reset,
    Bucket {
        name: &'a str,
        created: SystemTime,
    },
    BucketDeleted {
        name: &'a str,
    },
    Object {
        bucket: &'a str,
        key: &'a str,
        object: &'a ObjectRecord,
    },
    ObjectDeleted {
        bucket: &'a str,
        key: &'a str,
    },
    Upload {
        bucket: &'a str,
        upload: &'a UploadRecord,
    },
    Part {
        bucket: &'a str,
        upload_id: &'a str,
        number: u32,
        part: &'a PartRecord,
    },
    Completed {
        bucket: &'a str,
        upload_id: &'a str,
        key: &'a str,
        object: &'a ObjectRecord,
    },
    UploadAborted {
        bucket: &'a str,
        upload_id: &'a str,
    },
}

#[derive(Serialize, Deserialize)]
struct ChecksumMeta {
    alg: String,
    b64: String,
}

impl ChecksumMeta {
    fn from(c: &Checksum) -> Self {
        ChecksumMeta {
            alg: c.algorithm.name().to_string(),
            b64: c.to_base64(),
        }
    }
    fn restore(&self) -> Option<Checksum> {
        let alg = ChecksumAlgorithm::from_name(&self.alg)?;
        Checksum::from_base64(alg, &self.b64).ok()
    }
}

#[derive(Serialize, Deserialize)]
struct SegmentMeta {
    blob: BlobId,
    offset: u64,
    len: u64,
    checksum: Option<ChecksumMeta>,
}

#[derive(Serialize, Deserialize)]
struct ObjectMeta {
    size: u64,
    etag: String,
    modified: SystemTime,
    attrs: ObjectAttrs,
    segments: Vec<SegmentMeta>,
    parts_count: Option<u32>,
    checksum: Option<(String, bool, String)>,
    upload_id: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct UploadMeta {
    id: String,
    key: String,
    attrs: ObjectAttrs,
    initiated: SystemTime,
    checksum: Option<(String, bool)>,
}

#[derive(Serialize, Deserialize)]
struct PartMeta {
    blob: BlobId,
    md5: String,
    modified: SystemTime,
    checksum: Option<ChecksumMeta>,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "t")]
enum Entry {
    Reset,
    Bucket {
        name: String,
        created: SystemTime,
    },
    BucketDeleted {
        name: String,
    },
    Object {
        bucket: String,
        key: String,
        object: ObjectMeta,
    },
    ObjectDeleted {
        bucket: String,
        key: String,
    },
    Upload {
        bucket: String,
        upload: UploadMeta,
    },
    Part {
        bucket: String,
        upload_id: String,
        number: u32,
        part: PartMeta,
    },
    Completed {
        bucket: String,
        upload_id: String,
        key: String,
        object: ObjectMeta,
    },
    UploadAborted {
        bucket: String,
        upload_id: String,
    },
}

fn object_meta(o: &ObjectRecord) -> ObjectMeta {
    ObjectMeta {
        size: o.size,
        etag: o.etag.clone(),
        modified: o.last_modified,
        attrs: o.attrs.clone(),
        segments: o
            .segments
            .iter()
            .map(|s| SegmentMeta {
                blob: s.blob.id(),
                offset: s.offset,
                len: s.len,
                checksum: s.checksum.as_ref().map(ChecksumMeta::from),
            })
            .collect(),
        parts_count: o.parts_count,
        checksum: o.checksum.as_ref().map(|c| {
            (
                c.algorithm.name().to_string(),
                c.checksum_type == ChecksumType::FullObject,
                c.value.clone(),
            )
        }),
        upload_id: o.upload_id.clone(),
    }
}

fn upload_meta(u: &UploadRecord) -> UploadMeta {
    UploadMeta {
        id: u.id.clone(),
        key: u.key.clone(),
        attrs: u.attrs.clone(),
        initiated: u.initiated,
        checksum: u
            .checksum
            .map(|(a, t)| (a.name().to_string(), t == ChecksumType::FullObject)),
    }
}

fn part_meta(p: &PartRecord) -> PartMeta {
    PartMeta {
        blob: p.blob.id(),
        md5: hex::encode(p.md5),
        modified: p.last_modified,
        checksum: p.checksum.as_ref().map(ChecksumMeta::from),
    }
}

impl Record<'_> {
    fn entry(&self) -> Entry {
        let s = |v: &str| v.to_string();
        match self {
            Record::Reset => Entry::Reset,
            Record::Bucket { name, created } => Entry::Bucket {
                name: s(name),
                created: *created,
            },
            Record::BucketDeleted { name } => Entry::BucketDeleted { name: s(name) },
            Record::Object {
                bucket,
                key,
                object,
            } => Entry::Object {
                bucket: s(bucket),
                key: s(key),
                object: object_meta(object),
            },
            Record::ObjectDeleted { bucket, key } => Entry::ObjectDeleted {
                bucket: s(bucket),
                key: s(key),
            },
            Record::Upload { bucket, upload } => Entry::Upload {
                bucket: s(bucket),
                upload: upload_meta(upload),
            },
            Record::Part {
                bucket,
                upload_id,
                number,
                part,
            } => Entry::Part {
                bucket: s(bucket),
                upload_id: s(upload_id),
                number: *number,
                part: part_meta(part),
            },
            Record::Completed {
                bucket,
                upload_id,
                key,
                object,
            } => Entry::Completed {
                bucket: s(bucket),
                upload_id: s(upload_id),
                key: s(key),
                object: object_meta(object),
            },
            Record::UploadAborted { bucket, upload_id } => Entry::UploadAborted {
                bucket: s(bucket),
                upload_id: s(upload_id),
            },
        }
    }
}

/// The append-only metadata log of a disk store.
#[derive(Debug)]
pub struct MetaLog {
    file: Mutex<LogFile>,
    durable: bool,
}

/// The open log and where its last complete record ends.
#[derive(Debug)]
struct LogFile {
    file: File,
    /// Length up to the end of the last record written whole.
    len: u64,
    /// Set when a failed append could not be cut back off: every later append fails, because
    /// replay would stop at the broken record and drop whatever followed it.
    broken: bool,
}

struct Replayer<'a> {
    store: &'a Arc<dyn BlobStore>,
    blobs: HashMap<BlobId, Arc<Blob>>,
    state: State,
}

impl Replayer<'_> {
    fn blob(&mut self, id: BlobId) -> Option<Arc<Blob>> {
        if let Some(b) = self.blobs.get(&id) {
            return Some(b.clone());
        }
        let len = self.store.blob_len(id)?;
        let b = Blob::new(self.store.clone(), id, len);
        self.blobs.insert(id, b.clone());
        Some(b)
    }

    fn object(&mut self, m: ObjectMeta) -> Option<ObjectRecord> {
        let mut segments = Vec::with_capacity(m.segments.len());
        for s in m.segments {
            segments.push(Segment {
                blob: self.blob(s.blob)?,
                offset: s.offset,
                len: s.len,
                checksum: s.checksum.and_then(|c| c.restore()),
            });
        }
        let checksum = m.checksum.and_then(|(alg, full, value)| {
            Some(ObjectChecksum {
                algorithm: ChecksumAlgorithm::from_name(&alg)?,
                checksum_type: if full {
                    ChecksumType::FullObject
                } else {
                    ChecksumType::Composite
                },
                value,
            })
        });
        Some(ObjectRecord {
            size: m.size,
            etag: m.etag,
            last_modified: m.modified,
            attrs: m.attrs,
            segments,
            parts_count: m.parts_count,
            checksum,
            upload_id: m.upload_id,
        })
    }

    fn apply(&mut self, e: Entry) {
        match e {
            Entry::Reset => self.state.buckets.clear(),
            Entry::Bucket { name, created } => {
                self.state.buckets.insert(name, BucketRecord::new(created));
            }
            Entry::BucketDeleted { name } => {
                self.state.buckets.remove(&name);
            }
            Entry::Object {
                bucket,
                key,
                object,
            } => {
                if let Some(o) = self.object(object) {
                    if let Some(b) = self.state.buckets.get_mut(&bucket) {
                        b.objects.insert(key, o);
                    }
                }
            }
            Entry::ObjectDeleted { bucket, key } => {
                if let Some(b) = self.state.buckets.get_mut(&bucket) {
                    b.objects.remove(&key);
                }
            }
            Entry::Upload { bucket, upload } => {
                let checksum = upload.checksum.and_then(|(a, full)| {
                    Some((
                        ChecksumAlgorithm::from_name(&a)?,
                        if full {
                            ChecksumType::FullObject
                        } else {
                            ChecksumType::Composite
                        },
                    ))
                });
                if let Some(b) = self.state.buckets.get_mut(&bucket) {
                    b.uploads.insert(
                        upload.id.clone(),
                        UploadRecord {
                            id: upload.id,
                            key: upload.key,
                            attrs: upload.attrs,
                            initiated: upload.initiated,
                            checksum,
                            parts: Default::default(),
                        },
                    );
                }
            }
            Entry::Part {
                bucket,
                upload_id,
                number,
                part,
            } => {
                let Some(blob) = self.blob(part.blob) else {
                    return;
                };
                let mut md5 = [0u8; 16];
                if hex::decode_to_slice(&part.md5, &mut md5).is_err() {
                    return;
                }
                if let Some(u) = self
                    .state
                    .buckets
                    .get_mut(&bucket)
                    .and_then(|b| b.uploads.get_mut(&upload_id))
                {
                    u.parts.insert(
                        number,
                        PartRecord {
                            blob,
                            md5,
                            last_modified: part.modified,
                            checksum: part.checksum.and_then(|c| c.restore()),
                        },
                    );
                }
            }
            Entry::Completed {
                bucket,
                upload_id,
                key,
                object,
            } => {
                let o = self.object(object);
                if let Some(b) = self.state.buckets.get_mut(&bucket) {
                    if let Some(o) = o {
                        b.objects.insert(key, o);
                    }
                    b.uploads.remove(&upload_id);
                }
            }
            Entry::UploadAborted { bucket, upload_id } => {
                if let Some(b) = self.state.buckets.get_mut(&bucket) {
                    b.uploads.remove(&upload_id);
                }
            }
        }
    }
}

fn fsync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

fn write_line(out: &mut impl Write, e: &Entry) -> io::Result<()> {
    let mut line = serde_json::to_vec(e).map_err(io::Error::other)?;
    line.push(b'\n');
    out.write_all(&line)
}

impl MetaLog {
    /// Replays the log in `dir` against `store`, deletes unreferenced blobs, compacts the log
    /// and opens it for appending.
    pub(crate) fn recover(dir: &Path, store: &Arc<dyn BlobStore>) -> io::Result<(State, MetaLog)> {
        fs::create_dir_all(dir)?;
        let path = dir.join(LOG_NAME);
        let mut rp = Replayer {
            store,
            blobs: HashMap::new(),
            state: State::default(),
        };
        if let Ok(f) = File::open(&path) {
            let mut reader = BufReader::new(f);
            let mut line = Vec::new();
            loop {
                line.clear();
                let n = reader.read_until(b'\n', &mut line)?;
                if n == 0 || line.last() != Some(&b'\n') {
                    break; // end, or a torn last record
                }
                match serde_json::from_slice::<Entry>(&line) {
                    Ok(e) => rp.apply(e),
                    Err(_) => break,
                }
            }
        }
        let Replayer { blobs, state, .. } = rp;
        // Blobs referenced only by records that were later superseded are freed here.
        drop(blobs);
        let live = live_blobs(&state);
        for id in store.list()? {
            if !live.contains(&id) {
                store.delete(id);
            }
        }
        let durable = store.durable();
        compact(dir, &path, &state, durable)?;
        let file = OpenOptions::new().append(true).create(true).open(&path)?;
        let len = file.metadata()?.len();
        Ok((
            state,
            MetaLog {
                file: Mutex::new(LogFile {
                    file,
                    len,
                    broken: false,
                }),
                durable,
            },
        ))
    }

    /// Appends one record (and fsyncs it in durable mode).
    ///
    /// A record that could not be written whole is cut off again, so that a later record is
    /// never appended after a torn one (replay stops at the first torn line, which would lose
    /// every acknowledged change after it).
    pub(crate) fn append(&self, record: &Record<'_>) -> io::Result<()> {
        let mut log = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if log.broken {
            return Err(io::Error::other(
                "the metadata log is damaged by an earlier failed write; restart the server",
            ));
        }
        let mut line = serde_json::to_vec(&record.entry()).map_err(io::Error::other)?;
        line.push(b'\n');
        let written = log.file.write_all(&line).and_then(|()| {
            if self.durable {
                log.file.sync_data()
            } else {
                Ok(())
            }
        });
        match written {
            Ok(()) => {
                log.len += line.len() as u64;
                Ok(())
            }
            Err(e) => {
                let len = log.len;
                if log.file.set_len(len).is_err() {
                    log.broken = true;
                }
                Err(e)
            }
        }
    }
}

fn live_blobs(state: &State) -> std::collections::HashSet<BlobId> {
    let mut live = std::collections::HashSet::new();
    for b in state.buckets.values() {
        for o in b.objects.values() {
            live.extend(o.segments.iter().map(|s| s.blob.id()));
        }
        for u in b.uploads.values() {
            live.extend(u.parts.values().map(|p| p.blob.id()));
        }
    }
    live
}

fn compact(dir: &Path, path: &PathBuf, state: &State, durable: bool) -> io::Result<()> {
    let tmp = dir.join(format!("{LOG_NAME}.tmp"));
    {
        let mut out = io::BufWriter::new(File::create(&tmp)?);
        for (name, b) in &state.buckets {
            write_line(
                &mut out,
                &Record::Bucket {
                    name,
                    created: b.created,
                }
                .entry(),
            )?;
            for (key, o) in &b.objects {
                write_line(
                    &mut out,
                    &Record::Object {
                        bucket: name,
                        key,
                        object: o,
                    }
                    .entry(),
                )?;
            }
            for u in b.uploads.values() {
                write_line(
                    &mut out,
                    &Record::Upload {
                        bucket: name,
                        upload: u,
                    }
                    .entry(),
                )?;
                for (n, p) in &u.parts {
                    let r = Record::Part {
                        bucket: name,
                        upload_id: &u.id,
                        number: *n,
                        part: p,
                    };
                    write_line(&mut out, &r.entry())?;
                }
            }
        }
        let f = out.into_inner().map_err(|e| e.into_error())?;
        if durable {
            f.sync_all()?;
        }
    }
    fs::rename(&tmp, path)?;
    if durable {
        fsync_dir(dir)?;
    }
    Ok(())
}
