use super::*;
use crate::payload::BytesPayload;
use crate::store::{DiskStore, MemoryStore};
use bytes::Bytes;

const SMALL: Limits = Limits {
    min_part_size: 4,
    ..Limits::S3
};

/// Completes upload `id` of `bkt/k` with nothing but its part list.
fn complete(svc: &Service, id: &str, parts: &[CompletePart]) -> ServiceResult<Output> {
    svc.complete_multipart_upload("bkt", "k", id, parts, &CompleteChecks::default(), &SMALL)
}

fn md5_hex(data: &[u8]) -> String {
    use md5::{Digest, Md5};
    hex::encode(Md5::digest(data))
}

fn services() -> Vec<(Service, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().expect("tempdir");
    let disk: Arc<dyn BlobStore> = Arc::new(DiskStore::open(dir.path(), false).expect("disk"));
    vec![
        (
            Service::open(Arc::new(MemoryStore::new())).expect("memory"),
            None,
        ),
        (Service::open(disk).expect("disk service"), Some(dir)),
    ]
}

/// Starts an upload of `bkt/key` without a checksum; returns its id.
fn new_upload(svc: &Service, key: &str) -> String {
    upload_id(
        svc.create_multipart_upload("bkt", key, ObjectAttrs::default(), None)
            .expect("create upload"),
    )
}

fn upload_id(out: Output) -> String {
    match out {
        Output::Initiated { upload_id, .. } => upload_id,
        other => panic!("expected Initiated, got {other:?}"),
    }
}

async fn put_part(svc: &Service, id: &str, n: u32, data: &[u8]) -> String {
    match svc
        .upload_part(
            "bkt",
            "k",
            id,
            n,
            BytesPayload::from_bytes(data.to_vec()),
            &SMALL,
        )
        .await
        .expect("upload part")
    {
        Output::Part { etag, .. } => etag,
        other => panic!("expected Part, got {other:?}"),
    }
}

fn read_segments(parts: &[(Arc<crate::store::Blob>, u64, u64)]) -> std::io::Result<Vec<Bytes>> {
    let mut out = Vec::new();
    for (blob, off, len) in parts {
        for chunk in blob.read(*off, *len)? {
            out.push(chunk?);
        }
    }
    Ok(out)
}

fn read_object(svc: &Service, key: &str) -> Vec<u8> {
    let body = svc
        .get_object("bkt", key, None, None, &Conditions::default(), false)
        .expect("get");
    read_segments(&body.segments).expect("read").concat()
}

fn part(n: u32, etag: &str) -> CompletePart {
    CompletePart {
        number: n,
        etag: Some(format!("\"{etag}\"")),
        checksum: None,
    }
}

#[tokio::test]
async fn complete_subset_replaced_part_and_cleanup() {
    for (svc, _dir) in services() {
        svc.create_bucket("bkt").unwrap();
        let id = new_upload(&svc, "k");
        let e1 = put_part(&svc, &id, 1, b"aaaaa").await;
        let _old = put_part(&svc, &id, 2, b"xxxxx").await;
        let e2 = put_part(&svc, &id, 2, b"bbbbb").await; // replaces part 2
        let _e3 = put_part(&svc, &id, 3, b"ccccc").await; // left out below
        let e4 = put_part(&svc, &id, 4, b"dd").await;
        assert_eq!(svc.snapshot().blob_count, 4, "replaced part freed at once");

        // Stale ETag of the replaced part is refused and changes nothing.
        let err = complete(&svc, &id, &[part(1, &e1), part(2, &md5_hex(b"xxxxx"))]).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidPart);
        let err = complete(&svc, &id, &[part(2, &e2), part(1, &e1)]).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidPartOrder);
        let err = complete(&svc, &id, &[part(4, &e4), part(5, &e4)]).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidPart);
        let err = complete(&svc, &id, &[part(4, &e4), part(3, &_e3)]).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidPartOrder);
        assert_eq!(svc.snapshot().open_uploads(), 1);

        let parts = [part(1, &e1), part(2, &e2), part(4, &e4)];
        let out = complete(&svc, &id, &parts).unwrap();
        let Output::Completed { etag, .. } = out else {
            panic!("not completed")
        };
        let md5s: Vec<[u8; 16]> = [&b"aaaaa"[..], b"bbbbb", b"dd"]
            .iter()
            .map(|d| {
                use md5::{Digest, Md5};
                Md5::digest(d).into()
            })
            .collect();
        assert_eq!(etag, checksum::multipart_etag(&md5s));
        assert!(etag.ends_with("-3"));
        assert_eq!(read_object(&svc, "k"), b"aaaaabbbbbdd");
        let snap = svc.snapshot();
        assert_eq!(snap.open_uploads(), 0);
        assert_eq!(
            snap.blob_count, 3,
            "part 3 left out of the complete is freed"
        );
        assert_eq!(snap.orphan_blobs, 0);

        // A retried complete answers the same ETag; other uses of the id are NoSuchUpload.
        let again = complete(&svc, &id, &parts).unwrap();
        assert!(matches!(again, Output::Completed { etag: e, .. } if e == etag));
        let err = svc.abort_multipart_upload("bkt", "k", &id).unwrap_err();
        assert_eq!(err.code, ErrorCode::NoSuchUpload);

        // Part n of a GET is the n-th part the complete listed (1, 2, 4 -> 1, 2, 3).
        let get_part = |n| svc.get_object("bkt", "k", None, Some(n), &Conditions::default(), false);
        let last = get_part(3).unwrap();
        assert_eq!(last.range, Some((10, 2)), "the third listed part");
        assert_eq!(last.parts_count, Some(3));
        drop(last);
        let body = get_part(2).unwrap();
        assert_eq!(body.range, Some((5, 5)));
        for missing in [0, 4] {
            let err = get_part(missing).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidPartNumber, "part {missing}");
        }
        // An object not assembled from parts is its own part 1, without a parts count.
        svc.put_object(
            "bkt",
            "single",
            ObjectAttrs::default(),
            false,
            BytesPayload::from_bytes("hello"),
            &SMALL,
        )
        .await
        .unwrap();
        let whole = svc
            .get_object(
                "bkt",
                "single",
                None,
                Some(1),
                &Conditions::default(),
                false,
            )
            .unwrap();
        assert_eq!((whole.range, whole.parts_count), (Some((0, 5)), None));
        let err = svc
            .get_object(
                "bkt",
                "single",
                None,
                Some(2),
                &Conditions::default(),
                false,
            )
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidPartNumber);
        drop(whole);
        svc.delete_object("bkt", "single").unwrap();

        svc.delete_object("bkt", "k").unwrap();
        assert_eq!(
            svc.snapshot().blob_count,
            1,
            "a GET still streaming keeps its blob"
        );
        drop(body);
        assert_eq!(svc.snapshot().blob_count, 0);
    }
}

#[tokio::test]
async fn entity_too_small_only_for_non_last_parts() {
    for (svc, _dir) in services() {
        svc.create_bucket("bkt").unwrap();
        let id = new_upload(&svc, "k");
        let e1 = put_part(&svc, &id, 1, b"abc").await;
        let e2 = put_part(&svc, &id, 2, b"defgh").await;
        let err = complete(&svc, &id, &[part(1, &e1), part(2, &e2)]).unwrap_err();
        assert_eq!(err.code, ErrorCode::EntityTooSmall);
        // A single small part is fine: it is the last.
        complete(&svc, &id, &[part(1, &e1)]).unwrap();
        assert_eq!(read_object(&svc, "k"), b"abc");
    }
}

#[tokio::test]
async fn abort_frees_parts_and_part_numbers_are_checked() {
    for (svc, _dir) in services() {
        svc.create_bucket("bkt").unwrap();
        let id = new_upload(&svc, "k");
        put_part(&svc, &id, 1, b"abc").await;
        for bad in [0, 10_001] {
            let err = svc
                .upload_part("bkt", "k", &id, bad, BytesPayload::from_bytes("x"), &SMALL)
                .await
                .unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidArgument);
        }
        let err = svc
            .upload_part(
                "bkt",
                "other",
                &id,
                1,
                BytesPayload::from_bytes("x"),
                &SMALL,
            )
            .await
            .unwrap_err();
        assert_eq!(
            err.code,
            ErrorCode::NoSuchUpload,
            "upload id of another key"
        );
        svc.abort_multipart_upload("bkt", "k", &id).unwrap();
        let snap = svc.snapshot();
        assert_eq!((snap.open_uploads(), snap.blob_count), (0, 0));
        let err = svc.list_parts("bkt", "k", &id, 1000, None).unwrap_err();
        assert_eq!(err.code, ErrorCode::NoSuchUpload);
    }
}

#[tokio::test]
async fn disk_state_survives_restart_and_orphans_are_swept() {
    let dir = tempfile::tempdir().unwrap();
    let open = || {
        let store: Arc<dyn BlobStore> = Arc::new(DiskStore::open(dir.path(), false).unwrap());
        Service::open(store).unwrap()
    };
    let (id, e1);
    {
        let svc = open();
        svc.create_bucket("bkt").unwrap();
        svc.put_object(
            "bkt",
            "plain",
            ObjectAttrs::default(),
            false,
            BytesPayload::from_bytes("hello"),
            &SMALL,
        )
        .await
        .unwrap();
        id = new_upload(&svc, "k");
        e1 = put_part(&svc, &id, 1, b"part-one").await;
        put_part(&svc, &id, 2, b"part-two").await;
        // A blob that no record refers to, as left by a crash mid-upload.
        let mut w = svc.store().create().unwrap();
        w.write(Bytes::from_static(b"orphan")).unwrap();
        w.commit().unwrap();
        assert_eq!(svc.store().list().unwrap().len(), 4);
        // The service is dropped without any shutdown step, like a kill.
        std::mem::forget(svc);
    }
    let svc = open();
    assert_eq!(read_object(&svc, "plain"), b"hello");
    let parts = svc.list_parts("bkt", "k", &id, 1000, None).unwrap();
    assert_eq!(parts.parts.len(), 2);
    let snap = svc.snapshot();
    assert_eq!(snap.blob_count, 3, "orphan swept at start");
    assert_eq!(snap.orphan_blobs, 0);
    complete(&svc, &id, &[part(1, &e1)]).unwrap();
    drop(svc);
    let svc = open();
    assert_eq!(read_object(&svc, "k"), b"part-one");
    assert_eq!(svc.snapshot().blob_count, 2);
}

#[test]
fn listing_pages_with_delimiter_and_markers() {
    let keys = ["a/1", "a/2", "bkt", "c/x/1", "c/y", "d"];
    let entries = || keys.iter().map(|k| (*k, ()));
    let (items, prefixes, truncated, next) = list_page(entries(), "", Some("/"), None, 2);
    assert_eq!(prefixes, vec!["a/"]);
    assert_eq!(items.iter().map(|i| i.0).collect::<Vec<_>>(), vec!["bkt"]);
    assert!(truncated);
    assert_eq!(next.as_deref(), Some("bkt"));
    let (items, prefixes, truncated, _) = list_page(entries(), "", Some("/"), Some("bkt"), 10);
    assert_eq!(prefixes, vec!["c/"]);
    assert_eq!(items.iter().map(|i| i.0).collect::<Vec<_>>(), vec!["d"]);
    assert!(!truncated);
    // A marker that is a common prefix skips everything under it.
    let (items, prefixes, _, _) = list_page(entries(), "", Some("/"), Some("a/"), 10);
    assert_eq!(prefixes, vec!["c/"]);
    assert_eq!(items.len(), 2);
    let (items, prefixes, _, _) = list_page(entries(), "c/", Some("/"), None, 10);
    assert_eq!(prefixes, vec!["c/x/"]);
    assert_eq!(items.iter().map(|i| i.0).collect::<Vec<_>>(), vec!["c/y"]);
}

#[tokio::test]
async fn list_parts_marker_none_includes_part_zero() {
    let zero_based = Limits {
        min_part_number: 0,
        ..SMALL
    };
    for (svc, _dir) in services() {
        svc.create_bucket("bkt").unwrap();
        let id = new_upload(&svc, "k");
        for n in 0..3u32 {
            let data = vec![b'a' + n as u8; 8];
            svc.upload_part(
                "bkt",
                "k",
                &id,
                n,
                BytesPayload::from_bytes(data),
                &zero_based,
            )
            .await
            .expect("upload part");
        }
        let numbers = |marker| {
            svc.list_parts("bkt", "k", &id, 1000, marker)
                .unwrap()
                .parts
                .iter()
                .map(|p| p.number)
                .collect::<Vec<_>>()
        };
        assert_eq!(numbers(None), vec![0, 1, 2]);
        assert_eq!(numbers(Some(0)), vec![1, 2]);
        assert_eq!(numbers(Some(1)), vec![2]);
    }
}

/// A copied part streams from its source: across the source's part boundaries and, on disk,
/// across the store's 1 MiB read chunks; its ETag is the MD5 of exactly the range copied.
#[tokio::test]
async fn a_copied_part_streams_across_segments_and_read_chunks() {
    for (svc, _dir) in services() {
        svc.create_bucket("bkt").unwrap();
        let id = new_upload(&svc, "k");
        let data: Vec<Vec<u8>> = (0..3u32)
            .map(|i| {
                (0..1_500_000u32)
                    .map(|j| (j.wrapping_mul(i + 3) >> 3) as u8)
                    .collect()
            })
            .collect();
        let mut parts = Vec::new();
        for (n, d) in (1..).zip(&data) {
            let etag = put_part(&svc, &id, n, d).await;
            parts.push(part(n, &etag));
        }
        complete(&svc, &id, &parts).unwrap();
        let whole = data.concat();

        let id2 = new_upload(&svc, "k2");
        let source = CopySource {
            bucket: "bkt".into(),
            key: "k".into(),
        };
        let range = RangeSpec::FromTo(1_000_000, 4_000_000);
        let out = svc
            .upload_part_copy(
                "bkt",
                "k2",
                &id2,
                1,
                &source,
                Some(range),
                &Conditions::default(),
                &SMALL,
            )
            .await
            .expect("copy part");
        let want = &whole[1_000_000..=4_000_000];
        let Output::PartCopied { etag, .. } = out else {
            panic!("expected PartCopied, got {out:?}");
        };
        assert_eq!(etag, md5_hex(want));
        svc.complete_multipart_upload(
            "bkt",
            "k2",
            &id2,
            &[part(1, &etag)],
            &CompleteChecks::default(),
            &SMALL,
        )
        .unwrap();
        assert_eq!(read_object(&svc, "k2"), want);
        // A range past the source's end is refused, and nothing is stored.
        let id3 = new_upload(&svc, "k3");
        let blobs = svc.snapshot().blob_count;
        let past = RangeSpec::FromTo(0, whole.len() as u64);
        let err = svc
            .upload_part_copy(
                "bkt",
                "k3",
                &id3,
                1,
                &source,
                Some(past),
                &Conditions::default(),
                &SMALL,
            )
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidArgument);
        assert_eq!(svc.snapshot().blob_count, blobs);
    }
}
