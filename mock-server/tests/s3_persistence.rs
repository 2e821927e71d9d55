//! `--data-dir`: objects, open uploads and their parts survive a restart; the memory store
//! starts empty every time.

mod common;

use common::client::q;
use common::digest::{md5_hex, multipart_etag, Alg};
use common::{start_with, Backend, MIN_PART};
use mock_server::MockServer;

const M: usize = MIN_PART as usize;

#[tokio::test]
async fn data_dir_survives_restart() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("data");
    let start = || MockServer::builder().data_dir(&dir).min_part_size(MIN_PART);

    let single = common::data(10_000, 1);
    let p1 = common::data(M, 2);
    let p2 = common::data(99, 3);
    let o1 = common::data(M + 5, 4);
    let o2 = common::data(M, 5);
    let o3 = common::data(12, 6);
    let (open_id, open_e1, open_e3, full_id, state_before) = {
        let (server, s3) = start_with(start()).await;
        s3.create_bucket("keep").await.ok(200);
        s3.create_bucket("empty").await.ok(200);
        s3.req("PUT", "/keep/single")
            .header("content-type", "text/x-kept")
            .header("x-amz-meta-a", "b")
            .body(single.clone())
            .send()
            .await
            .ok(200);
        s3.put("keep", "deleted", b"gone").await;
        s3.req("DELETE", "/keep/deleted").send().await.ok(204);
        s3.put("keep", "overwritten", b"old").await;
        s3.put("keep", "overwritten", b"new").await;
        let up = s3.create_upload("keep", "multi").await;
        let e1 = s3
            .upload_part("keep", "multi", &up, 1, &p1)
            .await
            .ok(200)
            .etag();
        let e2 = s3
            .upload_part("keep", "multi", &up, 2, &p2)
            .await
            .ok(200)
            .etag();
        s3.complete("keep", "multi", &up, &[(1, &e1), (2, &e2)])
            .await
            .ok(200);
        let aborted = s3.create_upload("keep", "aborted").await;
        s3.upload_part("keep", "aborted", &aborted, 1, b"x")
            .await
            .ok(200);
        s3.abort("keep", "aborted", &aborted).await.ok(204);
        // An open upload with a replaced part and a part that will be left out.
        let open = s3
            .req("POST", "/keep/open")
            .query("uploads")
            .header("content-type", "application/x-open")
            .header("x-amz-meta-stage", "2")
            .send()
            .await
            .ok(200)
            .xml()
            .one("UploadId")
            .to_string();
        s3.upload_part("keep", "open", &open, 1, b"replaced")
            .await
            .ok(200);
        let e1 = s3
            .upload_part("keep", "open", &open, 1, &o1)
            .await
            .ok(200)
            .etag();
        s3.upload_part("keep", "open", &open, 2, &o2).await.ok(200);
        let e3 = s3
            .upload_part("keep", "open", &open, 3, &o3)
            .await
            .ok(200)
            .etag();
        // A COMPOSITE-checksum object and an open FULL_OBJECT upload.
        let comp = checksum_upload(&s3, "comp", Alg::Sha256, None).await;
        let c1 = checksum_part(&s3, "comp", &comp, 1, Alg::Sha256, &p1).await;
        let c2 = checksum_part(&s3, "comp", &comp, 2, Alg::Sha256, &p2).await;
        s3.req("POST", "/keep/comp")
            .query(&format!("uploadId={}", q(&comp)))
            .body(format!(
                "<CompleteMultipartUpload><Part><ETag>{c1}</ETag><PartNumber>1</PartNumber><ChecksumSHA256>{}</ChecksumSHA256></Part><Part><ETag>{c2}</ETag><PartNumber>2</PartNumber><ChecksumSHA256>{}</ChecksumSHA256></Part></CompleteMultipartUpload>",
                Alg::Sha256.b64(&p1),
                Alg::Sha256.b64(&p2)
            ))
            .send()
            .await
            .ok(200);
        let full = checksum_upload(&s3, "full", Alg::Crc64Nvme, None).await;
        checksum_part(&s3, "full", &full, 1, Alg::Crc64Nvme, &o1).await;
        s3.upload_part("keep", "full", &full, 2, &o3).await.ok(200);
        let st = s3.state().await;
        assert_eq!(st["orphan_blobs"], 0);
        drop(s3);
        server.stop();
        (open, e1, e3, full, st)
    };

    let (server, s3) = start_with(start()).await;
    let st = s3.state().await;
    assert_eq!(
        st, state_before,
        "the state after a restart is the state before it"
    );
    let x = s3.req("GET", "/").send().await.ok(200).xml();
    assert_eq!(x.all("Buckets/Bucket/Name"), vec!["empty", "keep"]);
    let g = s3.get("keep", "single").await;
    assert_eq!(g.ok(200).body.as_ref(), single.as_slice());
    assert_eq!(g.etag(), md5_hex(&single));
    assert_eq!(g.header("content-type"), Some("text/x-kept"));
    assert_eq!(g.header("x-amz-meta-a"), Some("b"));
    s3.get("keep", "deleted").await.error(404, "NoSuchKey");
    assert_eq!(s3.get("keep", "overwritten").await.body.as_ref(), b"new");
    let g = s3.get("keep", "multi").await;
    assert_eq!(
        g.ok(200).body.as_ref(),
        [p1.as_slice(), &p2].concat().as_slice()
    );
    assert_eq!(g.etag(), multipart_etag(&[&p1, &p2]));
    let pc = s3
        .req("GET", "/keep/multi")
        .query("partNumber=2")
        .send()
        .await;
    assert_eq!(pc.ok(206).body.as_ref(), p2.as_slice());
    assert_eq!(pc.header("x-amz-mp-parts-count"), Some("2"));

    // The open upload, its parts and attributes are back; it completes normally.
    let x = s3
        .req("GET", "/keep")
        .query("uploads")
        .send()
        .await
        .ok(200)
        .xml();
    assert_eq!(x.all("Upload/Key"), vec!["full", "open"]);
    assert_eq!(x.all("Upload/UploadId")[1], open_id.as_str());
    let x = s3
        .req("GET", "/keep/open")
        .query(&format!("uploadId={open_id}"))
        .send()
        .await
        .ok(200)
        .xml();
    assert_eq!(x.all("Part/PartNumber"), vec!["1", "2", "3"]);
    assert_eq!(x.all("Part/ETag")[0], format!("\"{}\"", md5_hex(&o1)));
    s3.upload_part("keep", "aborted", "whatever", 1, b"x")
        .await
        .error(404, "NoSuchUpload");
    let r = s3
        .complete("keep", "open", &open_id, &[(1, &open_e1), (3, &open_e3)])
        .await;
    assert_eq!(
        r.ok(200).xml().one("ETag"),
        format!("\"{}\"", multipart_etag(&[&o1, &o3]))
    );
    let g = s3.get("keep", "open").await;
    assert_eq!(g.body.as_ref(), [o1.as_slice(), &o3].concat().as_slice());
    assert_eq!(g.header("content-type"), Some("application/x-open"));
    assert_eq!(g.header("x-amz-meta-stage"), Some("2"));
    // Checksums of objects, parts and open uploads survived too.
    let composite = Alg::Sha256.composite(&[&p1, &p2]);
    let g = s3
        .req("GET", "/keep/comp")
        .header("x-amz-checksum-mode", "ENABLED")
        .send()
        .await;
    assert_eq!(
        g.ok(200).header("x-amz-checksum-sha256"),
        Some(composite.as_str())
    );
    assert_eq!(g.header("x-amz-checksum-type"), Some("COMPOSITE"));
    let g = s3
        .req("GET", "/keep/comp")
        .query("partNumber=2")
        .header("x-amz-checksum-mode", "ENABLED")
        .send()
        .await;
    assert_eq!(g.ok(206).body.as_ref(), p2.as_slice());
    if let Some(v) = g.header("x-amz-checksum-sha256") {
        assert_eq!(v, Alg::Sha256.b64(&p2));
    }
    let x = s3
        .req("GET", "/keep/full")
        .query(&format!("uploadId={}", q(&full_id)))
        .send()
        .await
        .ok(200)
        .xml();
    assert_eq!(x.one("ChecksumAlgorithm"), "CRC64NVME");
    let f1 = md5_hex(&o1);
    let f2 = md5_hex(&o3);
    let x = s3
        .complete("keep", "full", &full_id, &[(1, &f1), (2, &f2)])
        .await
        .ok(200)
        .xml();
    let whole = [o1.as_slice(), &o3].concat();
    assert_eq!(x.one("ChecksumCRC64NVME"), Alg::Crc64Nvme.b64(&whole));
    assert_eq!(x.one("ChecksumType"), "FULL_OBJECT");

    let st = s3.state().await;
    assert_eq!(st["orphan_blobs"], 0);
    // single, overwritten, multi (2), open (2), comp (2), full (2): part 2 of the open
    // upload is gone.
    assert_eq!(st["blob_count"], 10);
    drop(s3);
    server.stop();

    // And once more: the completion itself was persisted.
    let (server, s3) = start_with(start()).await;
    assert_eq!(
        s3.get("keep", "open").await.ok(200).body.len(),
        o1.len() + o3.len()
    );
    let x = s3
        .req("GET", "/keep")
        .query("uploads")
        .send()
        .await
        .ok(200)
        .xml();
    assert_eq!(x.count("Upload"), 0);
    let st = s3.state().await;
    assert_eq!(st["blob_count"], 10);
    let g = s3
        .req("HEAD", "/keep/full")
        .header("x-amz-checksum-mode", "ENABLED")
        .send()
        .await;
    assert_eq!(
        g.ok(200).header("x-amz-checksum-crc64nvme"),
        Some(Alg::Crc64Nvme.b64(&whole).as_str())
    );
    // Reset persists too.
    s3.req("POST", "/_mock/reset").send().await.ok(200);
    drop(s3);
    server.stop();
    let (_server, s3) = start_with(start()).await;
    let st = s3.state().await;
    assert_eq!(st["buckets"].as_array().map(Vec::len), Some(0));
    assert_eq!(st["blob_count"], 0);
    let blobs = std::fs::read_dir(dir.join("blobs"))
        .expect("blobs dir")
        .count();
    assert_eq!(blobs, 0, "no blob files left after reset and restart");
    let all = mock_server::store::DiskStore::blobs_on_disk(&dir).expect("scan data dir");
    assert!(
        all.is_empty(),
        "no packed blob left after reset and restart: {all:?}"
    );
}

#[tokio::test]
async fn memory_and_temp_stores_start_empty() {
    for backend in [Backend::Memory, Backend::Disk] {
        for _ in 0..2 {
            let (server, s3) = start_with(common::builder(backend)).await;
            let st = s3.state().await;
            assert_eq!(
                st["buckets"].as_array().map(Vec::len),
                Some(0),
                "{backend:?}"
            );
            s3.create_bucket("fresh").await.ok(200);
            s3.put("fresh", "k", b"v").await;
            drop(s3);
            server.stop();
        }
    }
}

async fn checksum_upload(s3: &common::S3, key: &str, alg: Alg, ty: Option<&str>) -> String {
    let mut r = s3
        .req("POST", &common::obj_path("keep", key))
        .query("uploads")
        .header("x-amz-checksum-algorithm", alg.name());
    if let Some(t) = ty {
        r = r.header("x-amz-checksum-type", t);
    }
    r.send().await.ok(200).xml().one("UploadId").to_string()
}

async fn checksum_part(
    s3: &common::S3,
    key: &str,
    up: &str,
    n: u32,
    alg: Alg,
    data: &[u8],
) -> String {
    s3.req("PUT", &common::obj_path("keep", key))
        .query(&format!("partNumber={n}&uploadId={}", q(up)))
        .header(&alg.header(), &alg.b64(data))
        .body(data.to_vec())
        .send()
        .await
        .ok(200)
        .etag()
}
