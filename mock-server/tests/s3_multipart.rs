//! S3 multipart uploads: create, upload (and copy) parts, list parts and uploads, complete with
//! every validation rule, abort — each against the memory and the disk store.

mod common;

use common::client::{complete_xml, q};
use common::digest::{md5_hex, multipart_etag, Alg};
use common::{builder, obj_path, start, start_with, Backend, MIN_PART};

const M: usize = MIN_PART as usize;

async fn blob_count(s3: &common::S3) -> u64 {
    let st = s3.state().await;
    assert_eq!(st["orphan_blobs"], 0, "orphan blobs in {st}");
    st["blob_count"].as_u64().expect("blob_count")
}

async fn open_uploads(s3: &common::S3) -> usize {
    let st = s3.state().await;
    st["buckets"]
        .as_array()
        .expect("buckets")
        .iter()
        .map(|b| b["uploads"].as_array().map(Vec::len).unwrap_or(0))
        .sum()
}

async fn full_lifecycle(backend: Backend) {
    let (_server, s3) = start(backend).await;
    s3.create_bucket("mpu").await.ok(200);
    let key = "big/object one.bin";
    let r = s3
        .req("POST", &obj_path("mpu", key))
        .query("uploads")
        .header("content-type", "application/x-big")
        .header("content-disposition", "inline")
        .header("x-amz-meta-origin", "test suite")
        .send()
        .await;
    let x = r.ok(200).xml();
    assert_eq!(x.root, "InitiateMultipartUploadResult");
    assert_eq!(x.one("Key"), key);
    let up = x.one("UploadId").to_string();
    assert!(
        up.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b)),
        "upload id {up:?} is URL-safe"
    );

    let parts = [
        common::data(M, 1),
        common::data(M + 17, 2),
        common::data(999, 3),
    ];
    let mut etags = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        let r = s3.upload_part("mpu", key, &up, i as u32 + 1, p).await;
        let e = r.ok(200).etag();
        assert_eq!(e, md5_hex(p), "part ETag is the part's MD5");
        assert!(r.body.is_empty());
        etags.push(format!("\"{e}\""));
    }
    // Not visible before completion.
    s3.head("mpu", key).await.ok(404);
    let x = s3.list("mpu").await;
    assert_eq!(x.count("Contents"), 0);

    let r = s3
        .complete(
            "mpu",
            key,
            &up,
            &[(1, &etags[0]), (2, &etags[1]), (3, &etags[2])],
        )
        .await;
    let x = r.ok(200).xml();
    assert_eq!(x.root, "CompleteMultipartUploadResult");
    let want = multipart_etag(&[&parts[0], &parts[1], &parts[2]]);
    assert_eq!(x.one("ETag"), format!("\"{want}\""));
    assert_eq!(x.one("Bucket"), "mpu");
    assert_eq!(x.one("Key"), key);
    let loc = x.one("Location");
    assert!(
        loc.starts_with("http://") && loc.ends_with("/mpu/big/object%20one.bin"),
        "Location {loc}"
    );

    let all: Vec<u8> = parts.concat();
    let g = s3.get("mpu", key).await;
    assert_eq!(g.ok(200).body.as_ref(), all.as_slice());
    assert_eq!(g.etag(), want);
    assert_eq!(g.header("content-type"), Some("application/x-big"));
    assert_eq!(g.header("content-disposition"), Some("inline"));
    assert_eq!(g.header("x-amz-meta-origin"), Some("test suite"));
    let h = s3.head("mpu", key).await;
    assert_eq!(h.ok(200).etag(), want);
    assert_eq!(
        h.header("content-length"),
        Some(all.len().to_string().as_str())
    );
    assert_eq!(h.header("content-type"), Some("application/x-big"));
    assert_eq!(h.header("x-amz-meta-origin"), Some("test suite"));
    let x = s3.list("mpu").await;
    assert_eq!(x.one("Contents/ETag"), format!("\"{want}\""));
    assert_eq!(x.one("Contents/Size"), all.len().to_string());

    // GET/HEAD ?partNumber=N: exactly that part, with the part count.
    let mut off = 0;
    for (i, p) in parts.iter().enumerate() {
        let r = s3
            .req("GET", &obj_path("mpu", key))
            .query(&format!("partNumber={}", i + 1))
            .send()
            .await;
        assert_eq!(r.ok(206).body.as_ref(), p.as_slice());
        assert_eq!(r.header("x-amz-mp-parts-count"), Some("3"));
        assert_eq!(
            r.header("content-range"),
            Some(format!("bytes {off}-{}/{}", off + p.len() - 1, all.len()).as_str())
        );
        assert_eq!(r.etag(), want);
        let h = s3
            .req("HEAD", &obj_path("mpu", key))
            .query(&format!("partNumber={}", i + 1))
            .send()
            .await;
        h.ok(206);
        assert_eq!(
            h.header("content-length"),
            Some(p.len().to_string().as_str())
        );
        off += p.len();
    }
    s3.req("GET", &obj_path("mpu", key))
        .query("partNumber=4")
        .send()
        .await
        .error(416, "InvalidPartNumber");
    // A range across part boundaries.
    let r = s3
        .req("GET", &obj_path("mpu", key))
        .header("range", &format!("bytes={}-{}", M - 5, M + 5))
        .send()
        .await;
    assert_eq!(r.ok(206).body.as_ref(), &all[M - 5..=M + 5]);

    // The upload is gone; its parts are the object now.
    let x = s3
        .req("GET", "/mpu")
        .query("uploads")
        .send()
        .await
        .ok(200)
        .xml();
    assert_eq!(x.count("Upload"), 0);
    assert_eq!(blob_count(&s3).await, 3);
    s3.upload_part("mpu", key, &up, 4, b"late")
        .await
        .error(404, "NoSuchUpload");
    s3.abort("mpu", key, &up).await.error(404, "NoSuchUpload");
    // A retried complete of the completed upload answers the same.
    let r = s3
        .complete(
            "mpu",
            key,
            &up,
            &[(1, &etags[0]), (2, &etags[1]), (3, &etags[2])],
        )
        .await;
    assert_eq!(r.ok(200).xml().one("ETag"), format!("\"{want}\""));
    assert_eq!(blob_count(&s3).await, 3);
}

async fn part_number_range(backend: Backend) {
    let (_server, s3) = start(backend).await;
    s3.create_bucket("pnum").await.ok(200);
    let up = s3.create_upload("pnum", "k").await;
    for bad in ["0", "10001", "-1", "abc", "1.5", "4294967297", ""] {
        let r = s3
            .req("PUT", "/pnum/k")
            .query(&format!("partNumber={bad}&uploadId={up}"))
            .body("x")
            .send()
            .await;
        let x = r.error(400, "InvalidArgument");
        assert!(x.one("Message").contains("10000"), "{}", x.raw());
    }
    let r = s3
        .req("PUT", "/pnum/k")
        .query(&format!("uploadId={up}"))
        .body("x")
        .send()
        .await;
    r.error(400, "InvalidArgument");
    let e1 = s3
        .upload_part("pnum", "k", &up, 1, &common::data(M, 1))
        .await
        .ok(200)
        .etag();
    let e2 = s3
        .upload_part("pnum", "k", &up, 10000, b"last")
        .await
        .ok(200)
        .etag();
    let x = s3
        .complete("pnum", "k", &up, &[(1, &e1), (10001, &e2)])
        .await
        .error(400, "InvalidPart");
    assert_eq!(x.one("PartNumber"), "10001");
    let r = s3
        .complete("pnum", "k", &up, &[(1, &e1), (10000, &e2)])
        .await;
    r.ok(200);
    assert_eq!(s3.get("pnum", "k").await.body.len(), M + 4);
    assert_eq!(blob_count(&s3).await, 2, "refused parts left nothing");
}

async fn reupload_replaces_part(backend: Backend) {
    let (_server, s3) = start(backend).await;
    s3.create_bucket("reup").await.ok(200);
    let up = s3.create_upload("reup", "k").await;
    let old = common::data(M, 1);
    let new = common::data(M, 2);
    let e_old = s3
        .upload_part("reup", "k", &up, 1, &old)
        .await
        .ok(200)
        .etag();
    let e_new = s3
        .upload_part("reup", "k", &up, 1, &new)
        .await
        .ok(200)
        .etag();
    assert_ne!(e_old, e_new);
    let e2 = s3
        .upload_part("reup", "k", &up, 2, b"tail")
        .await
        .ok(200)
        .etag();
    assert_eq!(blob_count(&s3).await, 2, "the replaced part's blob is gone");
    let x = s3
        .req("GET", "/reup/k")
        .query(&format!("uploadId={up}"))
        .send()
        .await
        .ok(200)
        .xml();
    assert_eq!(x.all("Part/PartNumber"), vec!["1", "2"]);
    assert_eq!(x.all("Part/ETag")[0], format!("\"{e_new}\""));
    let x = s3
        .complete("reup", "k", &up, &[(1, &e_old), (2, &e2)])
        .await
        .error(400, "InvalidPart");
    assert_eq!(x.one("PartNumber"), "1");
    // ETags match without quotes too.
    s3.complete("reup", "k", &up, &[(1, &e_new), (2, &e2)])
        .await
        .ok(200);
    let g = s3.get("reup", "k").await;
    assert_eq!(
        g.body.as_ref(),
        [new.as_slice(), b"tail"].concat().as_slice()
    );
    assert_eq!(g.etag(), multipart_etag(&[&new, b"tail"]));
}

async fn complete_subset_with_gaps(backend: Backend) {
    let (_server, s3) = start(backend).await;
    s3.create_bucket("sub").await.ok(200);
    let up = s3.create_upload("sub", "k").await;
    let parts: Vec<Vec<u8>> = (1..=5).map(|i| common::data(M + i, i as u64)).collect();
    let mut etags = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        etags.push(
            s3.upload_part("sub", "k", &up, i as u32 * 2 + 1, p)
                .await
                .ok(200)
                .etag(),
        );
    }
    // Part numbers 1,3,5,7,9; complete with 3, 7, 9.
    assert_eq!(blob_count(&s3).await, 5);
    let r = s3
        .complete(
            "sub",
            "k",
            &up,
            &[(3, &etags[1]), (7, &etags[3]), (9, &etags[4])],
        )
        .await;
    let x = r.ok(200).xml();
    let want = multipart_etag(&[&parts[1], &parts[3], &parts[4]]);
    assert_eq!(x.one("ETag"), format!("\"{want}\""));
    let g = s3.get("sub", "k").await;
    assert_eq!(
        g.ok(200).body.as_ref(),
        [parts[1].as_slice(), &parts[3], &parts[4]]
            .concat()
            .as_slice()
    );
    let pc = s3.req("GET", "/sub/k").query("partNumber=2").send().await;
    assert_eq!(pc.ok(206).body.as_ref(), parts[3].as_slice());
    assert_eq!(pc.header("x-amz-mp-parts-count"), Some("3"));
    assert_eq!(blob_count(&s3).await, 3, "parts left out are discarded");
    assert_eq!(open_uploads(&s3).await, 0);
    let st = s3.state().await;
    assert_eq!(st["buckets"][0]["objects"][0]["parts"], 3);
    assert_eq!(st["buckets"][0]["objects"][0]["etag"], want);
}

async fn complete_validation(backend: Backend) {
    let (_server, s3) = start(backend).await;
    s3.create_bucket("val").await.ok(200);
    let up = s3.create_upload("val", "k").await;
    let p1 = common::data(M, 1);
    let p2 = common::data(M - 1, 2);
    let p3 = common::data(10, 3);
    let e1 = s3.upload_part("val", "k", &up, 1, &p1).await.ok(200).etag();
    let e2 = s3.upload_part("val", "k", &up, 2, &p2).await.ok(200).etag();
    let e3 = s3.upload_part("val", "k", &up, 3, &p3).await.ok(200).etag();
    let q1 = format!("\"{e1}\"");

    // A document that is not what its Content-MD5 says is refused before it is read as XML,
    // and the upload stays open.
    let doc = complete_xml(&[(1, &e1), (3, &e3)]);
    for (md5, code) in [
        (common::digest::md5_b64(b"another document"), "BadDigest"),
        ("AAAA".to_string(), "InvalidDigest"),
    ] {
        s3.req("POST", "/val/k")
            .query(&format!("uploadId={}", q(&up)))
            .header("content-md5", &md5)
            .body(doc.clone())
            .send()
            .await
            .error(400, code);
    }

    // None of these is ever a 200 with an <Error> inside.
    s3.complete("val", "k", &up, &[(2, &e2), (1, &e1)])
        .await
        .error(400, "InvalidPartOrder");
    s3.complete("val", "k", &up, &[(1, &e1), (1, &e1)])
        .await
        .error(400, "InvalidPartOrder");
    let x = s3
        .complete("val", "k", &up, &[(1, &e1), (4, &e3)])
        .await
        .error(400, "InvalidPart");
    assert_eq!(x.one("PartNumber"), "4");
    s3.complete("val", "k", &up, &[(1, &e2), (3, &e3)])
        .await
        .error(400, "InvalidPart");
    s3.complete("val", "k", &up, &[(1, "\"\""), (3, &e3)])
        .await
        .error(400, "InvalidPart");
    // Part 2 is one byte under the minimum and not last.
    let x = s3
        .complete("val", "k", &up, &[(1, &q1), (2, &e2), (3, &e3)])
        .await
        .error(400, "EntityTooSmall");
    assert_eq!(x.one("ProposedSize"), (M - 1).to_string());
    assert_eq!(x.one("MinSizeAllowed"), MIN_PART.to_string());
    // Malformed documents.
    for body in [
        "",
        "not xml",
        "<CompleteMultipartUpload></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>",
    ] {
        let r = s3
            .req("POST", "/val/k")
            .query(&format!("uploadId={up}"))
            .body(body)
            .send()
            .await;
        assert_eq!(r.status, 400, "body {body:?}: {}", r.text());
        let code = r.xml().one("Code").to_string();
        assert!(
            code == "MalformedXML" || code == "InvalidArgument",
            "body {body:?}: {code}"
        );
    }
    // After all that the upload is still open and intact.
    let x = s3
        .req("GET", "/val/k")
        .query(&format!("uploadId={up}"))
        .send()
        .await
        .ok(200)
        .xml();
    assert_eq!(x.all("Part/PartNumber"), vec!["1", "2", "3"]);
    s3.head("val", "k").await.ok(404);
    // A small last part and a single small part are fine; quoted and unquoted ETags mix.
    let r = s3.complete("val", "k", &up, &[(1, &q1), (3, &e3)]).await;
    r.ok(200);
    assert_eq!(
        s3.get("val", "k").await.body.as_ref(),
        [p1.as_slice(), &p3].concat().as_slice()
    );
    let up2 = s3.create_upload("val", "tiny").await;
    let t = s3
        .upload_part("val", "tiny", &up2, 7, b"abc")
        .await
        .ok(200)
        .etag();
    s3.complete("val", "tiny", &up2, &[(7, &t)]).await.ok(200);
    assert_eq!(s3.get("val", "tiny").await.body.as_ref(), b"abc");
}

async fn default_min_part_size(backend: Backend) {
    // No override: S3's 5 MiB minimum applies.
    let (_server, s3) = start_with(builder(backend)).await;
    s3.create_bucket("min").await.ok(200);
    let up = s3.create_upload("min", "k").await;
    let e1 = s3
        .upload_part("min", "k", &up, 1, &common::data(MIN_PART as usize, 1))
        .await
        .ok(200)
        .etag();
    let e2 = s3
        .upload_part("min", "k", &up, 2, b"x")
        .await
        .ok(200)
        .etag();
    let x = s3
        .complete("min", "k", &up, &[(1, &e1), (2, &e2)])
        .await
        .error(400, "EntityTooSmall");
    assert_eq!(x.one("MinSizeAllowed"), "5242880");
    assert_eq!(x.one("PartNumber"), "1");
    s3.complete("min", "k", &up, &[(2, &e2)]).await.ok(200);
    assert_eq!(s3.get("min", "k").await.body.as_ref(), b"x");
}

async fn no_such_upload(backend: Backend) {
    let (_server, s3) = start(backend).await;
    s3.create_bucket("nsu").await.ok(200);
    let check = |up: String, key: &'static str| {
        let s3 = s3.clone();
        async move {
            let x = s3
                .upload_part("nsu", key, &up, 1, b"x")
                .await
                .error(404, "NoSuchUpload");
            assert_eq!(x.one("UploadId"), up);
            s3.req("GET", &format!("/nsu/{key}"))
                .query(&format!("uploadId={}", q(&up)))
                .send()
                .await
                .error(404, "NoSuchUpload");
            s3.complete("nsu", key, &up, &[(1, "\"x\"")])
                .await
                .error(404, "NoSuchUpload");
            s3.abort("nsu", key, &up).await.error(404, "NoSuchUpload");
            s3.req("PUT", &format!("/nsu/{key}"))
                .query(&format!("partNumber=1&uploadId={}", q(&up)))
                .header("x-amz-copy-source", "nsu/src")
                .send()
                .await
                .error(404, "NoSuchUpload");
        }
    };
    s3.put("nsu", "src", b"source").await;
    check("UNKNOWNUPLOADID".into(), "k").await;
    check("../../weird id".into(), "k").await;
    // Aborted: its parts are freed and its id is gone.
    let up = s3.create_upload("nsu", "k").await;
    s3.upload_part("nsu", "k", &up, 1, &common::data(M, 1))
        .await
        .ok(200);
    s3.upload_part("nsu", "k", &up, 2, b"two").await.ok(200);
    assert_eq!(blob_count(&s3).await, 3);
    s3.abort("nsu", "k", &up).await.ok(204);
    assert_eq!(blob_count(&s3).await, 1);
    check(up.clone(), "k").await;
    // An upload id used with another key is no upload either.
    let up = s3.create_upload("nsu", "k").await;
    check(up.clone(), "other").await;
    s3.abort("nsu", "k", &up).await.ok(204);
    assert_eq!(open_uploads(&s3).await, 0);
}

async fn retried_and_conditional_complete(backend: Backend) {
    let (_server, s3) = start(backend).await;
    s3.create_bucket("cond").await.ok(200);
    let up = s3.create_upload("cond", "k").await;
    let e = s3
        .upload_part("cond", "k", &up, 1, b"one")
        .await
        .ok(200)
        .etag();
    let first = s3.complete("cond", "k", &up, &[(1, &e)]).await;
    let again = s3.complete("cond", "k", &up, &[(1, &e)]).await;
    assert_eq!(
        first.ok(200).xml().one("ETag"),
        again.ok(200).xml().one("ETag")
    );
    assert_eq!(s3.get("cond", "k").await.body.as_ref(), b"one");
    // Once the key was overwritten, the old upload id is simply unknown.
    s3.put("cond", "k", b"overwritten").await;
    s3.complete("cond", "k", &up, &[(1, &e)])
        .await
        .error(404, "NoSuchUpload");

    // If-None-Match: * on complete refuses to overwrite; the upload stays open.
    let up = s3.create_upload("cond", "k").await;
    let e = s3
        .upload_part("cond", "k", &up, 1, b"new")
        .await
        .ok(200)
        .etag();
    s3.req("POST", "/cond/k")
        .query(&format!("uploadId={up}"))
        .header("if-none-match", "*")
        .body(complete_xml(&[(1, &e)]))
        .send()
        .await
        .error(412, "PreconditionFailed");
    assert_eq!(s3.get("cond", "k").await.body.as_ref(), b"overwritten");
    assert_eq!(open_uploads(&s3).await, 1);
    s3.req("POST", &obj_path("cond", "fresh"))
        .query("uploads")
        .send()
        .await
        .ok(200);
    // ... and completes when the key does not exist.
    s3.req("DELETE", "/cond/k").send().await.ok(204);
    s3.req("POST", "/cond/k")
        .query(&format!("uploadId={up}"))
        .header("if-none-match", "*")
        .body(complete_xml(&[(1, &e)]))
        .send()
        .await
        .ok(200);
    assert_eq!(s3.get("cond", "k").await.body.as_ref(), b"new");

    // If-None-Match: * on PutObject.
    s3.req("PUT", "/cond/k")
        .header("if-none-match", "*")
        .body("clobber")
        .send()
        .await
        .error(412, "PreconditionFailed");
    s3.req("PUT", "/cond/new")
        .header("if-none-match", "*")
        .body("created")
        .send()
        .await
        .ok(200);
    assert_eq!(s3.get("cond", "k").await.body.as_ref(), b"new");
    assert_eq!(s3.get("cond", "new").await.body.as_ref(), b"created");
}

async fn upload_part_copy(backend: Backend) {
    let (_server, s3) = start(backend).await;
    s3.create_bucket("cpy").await.ok(200);
    let src = common::data(2 * M + 333, 5);
    let src_etag = s3.put("cpy", "src key", &src).await.etag();
    let up = s3.create_upload("cpy", "dst").await;
    let copy = |n: u32, range: Option<String>| {
        let s3 = s3.clone();
        let up = up.clone();
        async move {
            let mut r = s3
                .req("PUT", "/cpy/dst")
                .query(&format!("partNumber={n}&uploadId={}", q(&up)))
                .header("x-amz-copy-source", "cpy/src%20key");
            if let Some(range) = &range {
                r = r.header("x-amz-copy-source-range", range);
            }
            r.send().await
        }
    };
    let r = copy(1, Some(format!("bytes=0-{}", M - 1))).await;
    let x = r.ok(200).xml();
    assert_eq!(x.root, "CopyPartResult");
    let e1 = x.one("ETag").to_string();
    assert_eq!(e1, format!("\"{}\"", md5_hex(&src[..M])));
    assert!(x.one("LastModified").ends_with('Z'));
    let e2 = copy(2, Some(format!("bytes={M}-{}", src.len() - 1)))
        .await
        .ok(200)
        .xml()
        .one("ETag")
        .to_string();
    assert_eq!(e2, format!("\"{}\"", md5_hex(&src[M..])));
    // Whole source without a range.
    let e3 = copy(3, None).await.ok(200).xml().one("ETag").to_string();
    assert_eq!(e3, format!("\"{src_etag}\""));
    // Invalid ranges.
    for bad in [
        format!("bytes=0-{}", src.len()),
        "bytes=10-5".to_string(),
        "bytes=-5".to_string(),
        "bytes=5-".to_string(),
        "chars=0-1".to_string(),
    ] {
        let r = copy(4, Some(bad.clone())).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text());
        assert_eq!(r.xml().one("Code"), "InvalidArgument", "{bad}");
    }
    s3.req("PUT", "/cpy/dst")
        .query(&format!("partNumber=4&uploadId={}", q(&up)))
        .header("x-amz-copy-source", "cpy/missing")
        .send()
        .await
        .error(404, "NoSuchKey");
    s3.req("PUT", "/cpy/dst")
        .query(&format!("partNumber=4&uploadId={}", q(&up)))
        .header("x-amz-copy-source", "/cpy/src%20key")
        .header("x-amz-copy-source-if-match", "\"nope\"")
        .send()
        .await
        .error(412, "PreconditionFailed");
    s3.req("PUT", "/cpy/dst")
        .query(&format!("partNumber=10001&uploadId={}", q(&up)))
        .header("x-amz-copy-source", "/cpy/src%20key")
        .send()
        .await
        .error(400, "InvalidArgument");
    // ListParts shows the copied parts like uploaded ones.
    let x = s3
        .req("GET", "/cpy/dst")
        .query(&format!("uploadId={}", q(&up)))
        .send()
        .await
        .ok(200)
        .xml();
    assert_eq!(
        x.all("Part/Size"),
        vec![
            M.to_string(),
            (src.len() - M).to_string(),
            src.len().to_string()
        ]
    );
    let r = s3.complete("cpy", "dst", &up, &[(1, &e1), (2, &e2)]).await;
    let want = multipart_etag(&[&src[..M], &src[M..]]);
    assert_eq!(r.ok(200).xml().one("ETag"), format!("\"{want}\""));
    assert_eq!(s3.get("cpy", "dst").await.body.as_ref(), src.as_slice());
    // A copied part of a multipart object, across its part boundary.
    let up2 = s3.create_upload("cpy", "dst2").await;
    let r = s3
        .req("PUT", "/cpy/dst2")
        .query(&format!("partNumber=1&uploadId={}", q(&up2)))
        .header("x-amz-copy-source", "cpy/dst")
        .header(
            "x-amz-copy-source-range",
            &format!("bytes={}-{}", M - 10, M + 9),
        )
        .send()
        .await;
    let e = r.ok(200).xml().one("ETag").to_string();
    s3.complete("cpy", "dst2", &up2, &[(1, &e)]).await.ok(200);
    assert_eq!(
        s3.get("cpy", "dst2").await.body.as_ref(),
        &src[M - 10..M + 10]
    );
    assert_eq!(open_uploads(&s3).await, 0);
}

async fn list_parts_paging(backend: Backend) {
    let (_server, s3) = start(backend).await;
    s3.create_bucket("lparts").await.ok(200);
    let up = s3.create_upload("lparts", "k").await;
    let mut etags = Vec::new();
    for n in 1..=7u32 {
        let d = common::data(100 + n as usize, n as u64);
        etags.push((n, md5_hex(&d), d.len()));
        s3.upload_part("lparts", "k", &up, n, &d).await.ok(200);
    }
    let list = |query: String| {
        let s3 = s3.clone();
        let up = up.clone();
        async move {
            s3.req("GET", "/lparts/k")
                .query(&format!("uploadId={}{query}", q(&up)))
                .send()
                .await
                .ok(200)
                .xml()
        }
    };
    let x = list(String::new()).await;
    assert_eq!(x.root, "ListPartsResult");
    assert_eq!(x.one("Bucket"), "lparts");
    assert_eq!(x.one("Key"), "k");
    assert_eq!(x.one("UploadId"), up);
    assert_eq!(x.one("MaxParts"), "1000");
    assert_eq!(x.one("IsTruncated"), "false");
    assert_eq!(x.one("PartNumberMarker"), "0");
    assert!(!x.one("Initiator/ID").is_empty());
    assert!(!x.one("Owner/ID").is_empty());
    assert_eq!(x.one("StorageClass"), "STANDARD");
    assert_eq!(x.count("Part"), 7);
    for (i, (n, etag, size)) in etags.iter().enumerate() {
        assert_eq!(x.all("Part/PartNumber")[i], n.to_string());
        assert_eq!(x.all("Part/ETag")[i], format!("\"{etag}\""));
        assert_eq!(x.all("Part/Size")[i], size.to_string());
        assert!(x.all("Part/LastModified")[i].ends_with('Z'));
    }

    let mut seen = Vec::new();
    let mut marker = 0u32;
    for _ in 0..10 {
        let x = list(format!("&max-parts=3&part-number-marker={marker}")).await;
        assert_eq!(x.one("MaxParts"), "3");
        assert_eq!(x.one("PartNumberMarker"), marker.to_string());
        let nums: Vec<u32> = x
            .all("Part/PartNumber")
            .iter()
            .map(|n| n.parse().expect("number"))
            .collect();
        assert!(nums.len() <= 3);
        seen.extend(nums.iter().copied());
        if x.one("IsTruncated") == "false" {
            marker = 0;
            break;
        }
        let next: u32 = x.one("NextPartNumberMarker").parse().expect("marker");
        assert_eq!(Some(&next), nums.last());
        marker = next;
    }
    assert_eq!(marker, 0, "ListParts paging never ended");
    assert_eq!(seen, (1..=7).collect::<Vec<_>>());
    let x = list("&part-number-marker=7".into()).await;
    assert_eq!(x.count("Part"), 0);
    assert_eq!(x.one("IsTruncated"), "false");
    let x = list("&max-parts=7".into()).await;
    assert_eq!(x.count("Part"), 7);
    assert_eq!(x.one("IsTruncated"), "false");
    s3.req("GET", "/lparts/k")
        .query(&format!("uploadId={}&part-number-marker=abc", q(&up)))
        .send()
        .await
        .error(400, "InvalidArgument");
}

async fn list_multipart_uploads(backend: Backend) {
    let (_server, s3) = start(backend).await;
    s3.create_bucket("lmu").await.ok(200);
    let keys = ["a/1", "a/1", "a/2", "a/sub/3", "b/1", "c", "c", "d"];
    let mut ids: Vec<(String, String)> = Vec::new();
    for k in keys {
        ids.push((k.to_string(), s3.create_upload("lmu", k).await));
    }
    let list = |query: &str| {
        let s3 = s3.clone();
        let query = query.to_string();
        async move {
            s3.req("GET", "/lmu")
                .query(&format!("uploads{query}"))
                .send()
                .await
                .ok(200)
                .xml()
        }
    };
    let x = list("").await;
    assert_eq!(x.root, "ListMultipartUploadsResult");
    assert_eq!(x.one("Bucket"), "lmu");
    assert_eq!(x.one("IsTruncated"), "false");
    assert_eq!(x.one("MaxUploads"), "1000");
    assert_eq!(x.all("Upload/Key"), keys);
    // Within a key, uploads come in initiation order.
    let got: Vec<(String, String)> = x
        .all("Upload/Key")
        .iter()
        .zip(x.all("Upload/UploadId"))
        .map(|(k, u)| (k.to_string(), u.to_string()))
        .collect();
    assert_eq!(got, ids);
    assert!(x.all("Upload/Initiated").iter().all(|t| t.ends_with('Z')));
    assert!(!x.one("Upload/Initiator/ID").is_empty());
    assert_eq!(x.one("Upload/StorageClass"), "STANDARD");

    let x = list("&prefix=a%2F").await;
    assert_eq!(x.all("Upload/Key"), vec!["a/1", "a/1", "a/2", "a/sub/3"]);
    assert_eq!(x.one("Prefix"), "a/");
    let x = list("&delimiter=%2F").await;
    assert_eq!(x.all("Upload/Key"), vec!["c", "c", "d"]);
    assert_eq!(x.all("CommonPrefixes/Prefix"), vec!["a/", "b/"]);
    let x = list("&delimiter=%2F&prefix=a%2F").await;
    assert_eq!(x.all("Upload/Key"), vec!["a/1", "a/1", "a/2"]);
    assert_eq!(x.all("CommonPrefixes/Prefix"), vec!["a/sub/"]);
    // key-marker alone skips every upload of that key.
    let x = list("&key-marker=a%2F1").await;
    assert_eq!(
        x.all("Upload/Key"),
        vec!["a/2", "a/sub/3", "b/1", "c", "c", "d"]
    );
    // key-marker with upload-id-marker resumes within the key.
    let x = list(&format!(
        "&key-marker=a%2F1&upload-id-marker={}",
        q(&ids[0].1)
    ))
    .await;
    assert_eq!(x.all("Upload/UploadId")[0], ids[1].1);
    assert_eq!(x.count("Upload"), 7);

    // Paging, with and without a delimiter: everything exactly once.
    for (delim, expect) in [
        ("", keys.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
        (
            "%2F",
            vec!["a/".into(), "b/".into(), "c".into(), "c".into(), "d".into()],
        ),
    ] {
        for page in [1usize, 2, 3] {
            let mut seen: Vec<String> = Vec::new();
            let mut markers: Option<(String, String)> = None;
            let mut done = false;
            for _ in 0..20 {
                let mut query = format!("&max-uploads={page}&delimiter={delim}");
                if let Some((k, u)) = &markers {
                    query.push_str(&format!("&key-marker={}&upload-id-marker={}", q(k), q(u)));
                }
                let x = list(&query).await;
                assert_eq!(x.one("MaxUploads"), page.to_string());
                let n = x.count("Upload") + x.count("CommonPrefixes");
                assert!(n <= page);
                seen.extend(x.all("Upload/Key").iter().map(|s| s.to_string()));
                seen.extend(x.all("CommonPrefixes/Prefix").iter().map(|s| s.to_string()));
                if x.one("IsTruncated") == "false" {
                    done = true;
                    break;
                }
                markers = Some((
                    x.one("NextKeyMarker").to_string(),
                    x.one("NextUploadIdMarker").to_string(),
                ));
            }
            assert!(done, "ListMultipartUploads paging never ended");
            seen.sort();
            assert_eq!(seen, expect, "delimiter {delim:?} page {page}");
        }
    }
    // Uploads of one key are independent: completing one leaves the other.
    let (k, first) = &ids[5];
    let e = s3
        .upload_part("lmu", k, first, 1, b"first")
        .await
        .ok(200)
        .etag();
    s3.complete("lmu", k, first, &[(1, &e)]).await.ok(200);
    let x = list("&prefix=c").await;
    assert_eq!(x.all("Upload/UploadId"), vec![ids[6].1.as_str()]);
    let e = s3
        .upload_part("lmu", k, &ids[6].1, 1, b"second")
        .await
        .ok(200)
        .etag();
    s3.complete("lmu", k, &ids[6].1, &[(1, &e)]).await.ok(200);
    assert_eq!(s3.get("lmu", k).await.body.as_ref(), b"second");
    s3.req("GET", "/lmu")
        .query("uploads&max-uploads=x")
        .send()
        .await
        .error(400, "InvalidArgument");
}

/// GetObjectAttributes (`GET ?attributes`): what a multipart object is made of, paged, with
/// only the attributes asked for.
async fn object_attributes(backend: Backend) {
    let (_server, s3) = start(backend).await;
    s3.create_bucket("attr").await.ok(200);
    let attributes = |key: &str, asked: &str, extra: &[(&str, &str)]| {
        let mut r = s3
            .req("GET", &obj_path("attr", key))
            .query("attributes")
            .header("x-amz-object-attributes", asked);
        for (h, v) in extra {
            r = r.header(h, v);
        }
        r.send()
    };
    let parts = [
        common::data(M, 1),
        common::data(M + 1, 2),
        common::data(5, 3),
    ];

    // Without additional checksums: the count, no Part elements, no Checksum.
    let up = s3.create_upload("attr", "plain").await;
    let mut etags = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        etags.push(
            s3.upload_part("attr", "plain", &up, i as u32 + 1, p)
                .await
                .etag(),
        );
    }
    let listed: Vec<(u32, &str)> = (1..).zip(etags.iter().map(String::as_str)).collect();
    s3.complete("attr", "plain", &up, &listed).await.ok(200);
    let r = attributes(
        "plain",
        "ETag,Checksum,ObjectParts,StorageClass,ObjectSize",
        &[],
    )
    .await;
    assert!(r.header("last-modified").is_some());
    let x = r.ok(200).xml();
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    assert_eq!(
        x.one("ETag"),
        multipart_etag(&refs),
        "unquoted, as S3 writes it here"
    );
    assert_eq!(x.one("ObjectSize"), (2 * M + 6).to_string());
    assert_eq!(x.one("StorageClass"), "STANDARD");
    assert_eq!(x.one("ObjectParts/PartsCount"), "3");
    assert_eq!(x.one("ObjectParts/IsTruncated"), "false");
    assert_eq!(x.one("ObjectParts/MaxParts"), "1000");
    assert_eq!(
        x.count("ObjectParts/Part"),
        0,
        "parts are listed only with checksums"
    );
    assert_eq!(x.get("Checksum/ChecksumType"), None);

    // Only what is asked for.
    let x = attributes("plain", "ObjectSize", &[]).await.ok(200).xml();
    assert_eq!(x.one("ObjectSize"), (2 * M + 6).to_string());
    assert_eq!(x.get("ETag"), None);
    assert_eq!(x.get("ObjectParts/PartsCount"), None);

    // With SHA-256 part checksums: the parts, paged, and the composite checksum.
    let r = s3
        .req("POST", &obj_path("attr", "sha"))
        .query("uploads")
        .header("x-amz-checksum-algorithm", "SHA256")
        .send()
        .await;
    let up = r.ok(200).xml().one("UploadId").to_string();
    let mut doc = String::from("<CompleteMultipartUpload>");
    for (i, p) in parts.iter().enumerate() {
        let sum = Alg::Sha256.b64(p);
        let etag = s3
            .req("PUT", &obj_path("attr", "sha"))
            .query(&format!("partNumber={}&uploadId={}", i + 1, q(&up)))
            .header("x-amz-checksum-sha256", &sum)
            .body(p.clone())
            .send()
            .await
            .ok(200)
            .etag();
        doc.push_str(&format!(
            "<Part><PartNumber>{}</PartNumber><ETag>{etag}</ETag><ChecksumSHA256>{sum}</ChecksumSHA256></Part>",
            i + 1
        ));
    }
    doc.push_str("</CompleteMultipartUpload>");
    s3.req("POST", &obj_path("attr", "sha"))
        .query(&format!("uploadId={}", q(&up)))
        .body(doc)
        .send()
        .await
        .ok(200);
    let all = "ObjectParts,Checksum";
    let x = attributes("sha", all, &[("x-amz-max-parts", "2")])
        .await
        .ok(200)
        .xml();
    assert_eq!(x.one("ObjectParts/PartsCount"), "3");
    assert_eq!(x.one("ObjectParts/IsTruncated"), "true");
    assert_eq!(x.one("ObjectParts/MaxParts"), "2");
    assert_eq!(x.one("ObjectParts/NextPartNumberMarker"), "2");
    assert_eq!(x.all("ObjectParts/Part/PartNumber"), ["1", "2"]);
    assert_eq!(
        x.all("ObjectParts/Part/Size"),
        [M.to_string(), (M + 1).to_string()]
    );
    assert_eq!(
        x.all("ObjectParts/Part/ChecksumSHA256"),
        [Alg::Sha256.b64(&parts[0]), Alg::Sha256.b64(&parts[1])]
    );
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    assert_eq!(
        x.one("Checksum/ChecksumSHA256"),
        Alg::Sha256.composite(&refs)
    );
    assert_eq!(x.one("Checksum/ChecksumType"), "COMPOSITE");
    let page = [("x-amz-max-parts", "2"), ("x-amz-part-number-marker", "2")];
    let x = attributes("sha", all, &page).await.ok(200).xml();
    assert_eq!(x.all("ObjectParts/Part/PartNumber"), ["3"]);
    assert_eq!(x.one("ObjectParts/IsTruncated"), "false");
    assert_eq!(x.one("ObjectParts/PartNumberMarker"), "2");

    // A plain PUT object has no parts to report.
    s3.put("attr", "single", b"hello").await.ok(200);
    let x = attributes("single", "ObjectParts,ObjectSize", &[])
        .await
        .ok(200)
        .xml();
    assert_eq!(x.one("ObjectSize"), "5");
    assert_eq!(x.get("ObjectParts/PartsCount"), None);

    // Refusals.
    s3.req("GET", &obj_path("attr", "plain"))
        .query("attributes")
        .send()
        .await
        .error(400, "InvalidArgument");
    attributes("plain", "ETag,Colour", &[])
        .await
        .error(400, "InvalidArgument");
    attributes("plain", "ETag", &[("x-amz-max-parts", "-1")])
        .await
        .error(400, "InvalidArgument");
    attributes("nothing-here", "ETag", &[])
        .await
        .error(404, "NoSuchKey");
}

both_backends!(
    full_lifecycle,
    object_attributes,
    part_number_range,
    reupload_replaces_part,
    complete_subset_with_gaps,
    complete_validation,
    default_min_part_size,
    no_such_upload,
    retried_and_conditional_complete,
    upload_part_copy,
    list_parts_paging,
    list_multipart_uploads,
);

/// Early refusals of large bodies: the client gets the error answer (not a reset), and the
/// connection stays usable.
async fn early_errors_with_large_bodies(backend: Backend) {
    let (_server, s3) = start(backend).await;
    s3.create_bucket("early").await.ok(200);
    let big = common::data(8 << 20, 1);
    for _ in 0..3 {
        s3.upload_part("early", "k", "NOSUCHUPLOAD", 1, &big)
            .await
            .error(404, "NoSuchUpload");
        s3.req("PUT", "/nosuchbucket/k")
            .body(big.clone())
            .send()
            .await
            .error(404, "NoSuchBucket");
        let up = s3.create_upload("early", "k").await;
        s3.upload_part("early", "k", &up, 0, &big)
            .await
            .error(400, "InvalidArgument");
        s3.req("PUT", "/early/k")
            .header("content-md5", "bad")
            .body(big.clone())
            .send()
            .await
            .error(400, "InvalidDigest");
        s3.abort("early", "k", &up).await.ok(204);
    }
    // A client waiting for `100 Continue` gets the refusal at once, without a 100 first, and
    // the server does not wait for a body that will never come.
    let addr = s3.addr;
    let started = std::time::Instant::now();
    let r = common::raw::request(
        addr,
        &format!(
            "PUT /early/k?partNumber=1&uploadId=NOSUCHUPLOAD HTTP/1.1\r\nHost: {addr}\r\nExpect: 100-continue\r\nContent-Length: 8388608\r\n"
        ),
        b"",
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(common::Xml::parse(&r.body).one("Code"), "NoSuchUpload");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    // A part or object declared larger than 5 GiB is refused from its headers, before a
    // byte of it is read (S3 answers EntityTooLarge; nobody should stream 5 GiB to learn it).
    let up = s3.create_upload("early", "huge").await;
    let too_big = 5u64 * 1024 * 1024 * 1024 + 1;
    for target in [
        format!("/early/huge?partNumber=1&uploadId={}", q(&up)),
        "/early/huge-put".to_string(),
    ] {
        let r = common::raw::request(
            addr,
            &format!(
                "PUT {target} HTTP/1.1\r\nHost: {addr}\r\nExpect: 100-continue\r\nContent-Length: {too_big}\r\n"
            ),
            b"",
        )
        .await;
        assert_eq!(r.status, 400, "{target}: {}", r.text());
        let doc = common::Xml::parse(&r.body);
        assert_eq!(doc.one("Code"), "EntityTooLarge", "{target}");
        assert_eq!(doc.one("MaxSizeAllowed"), "5368709120", "{target}");
    }
    s3.abort("early", "huge", &up).await.ok(204);
    assert_eq!(blob_count(&s3).await, 0);
}

both_backends!(early_errors_with_large_bodies);
