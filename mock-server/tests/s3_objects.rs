//! S3 object operations: PutObject, GetObject (Range, partNumber, conditions), HeadObject,
//! DeleteObject(s), CopyObject, ListObjects V1/V2, Content-MD5, and hostile keys — each against
//! the memory and the disk store.

mod common;

use common::client::q;
use common::digest::{md5_b64, md5_hex};
use common::{builder, obj_path, raw, start, start_with, Backend};

async fn put_get_head_delete(backend: Backend) {
    let (_server, s3) = start(backend).await;
    s3.create_bucket("objs").await.ok(200);
    let d = common::data(123_457, 1);
    let r = s3
        .req("PUT", &obj_path("objs", "dir/file.bin"))
        .header("content-type", "application/x-test")
        .header("content-disposition", "attachment; filename=\"f.bin\"")
        .header("cache-control", "max-age=60")
        .header("x-amz-meta-color", "blue")
        .header("x-amz-meta-Mixed-Case", "Value With Spaces")
        .body(d.clone())
        .send()
        .await;
    r.ok(200);
    assert_eq!(r.etag(), md5_hex(&d));
    assert!(r.body.is_empty());

    let g = s3.get("objs", "dir/file.bin").await;
    g.ok(200);
    assert_eq!(g.body.as_ref(), d.as_slice());
    assert_eq!(g.etag(), md5_hex(&d));
    assert_eq!(g.header("content-type"), Some("application/x-test"));
    assert_eq!(
        g.header("content-disposition"),
        Some("attachment; filename=\"f.bin\"")
    );
    assert_eq!(g.header("cache-control"), Some("max-age=60"));
    assert_eq!(g.header("x-amz-meta-color"), Some("blue"));
    assert_eq!(g.header("x-amz-meta-mixed-case"), Some("Value With Spaces"));
    assert_eq!(g.header("content-length"), Some("123457"));
    assert_eq!(g.header("accept-ranges"), Some("bytes"));
    let lm = g.header("last-modified").expect("Last-Modified");
    httpdate::parse_http_date(lm).expect("RFC 1123 Last-Modified");

    let h = s3.head("objs", "dir/file.bin").await;
    h.ok(200);
    assert!(h.body.is_empty());
    for name in [
        "etag",
        "content-type",
        "content-length",
        "last-modified",
        "content-disposition",
        "x-amz-meta-color",
    ] {
        assert_eq!(h.header(name), g.header(name), "HEAD vs GET header {name}");
    }

    // response-* query parameters override the stored headers in the answer.
    let r = s3
        .req("GET", &obj_path("objs", "dir/file.bin"))
        .query(&format!(
            "response-content-type={}&response-content-disposition={}&response-cache-control=no-cache&response-content-language=de&response-expires={}",
            q("text/plain; charset=utf-8"),
            q("attachment; filename=\"x.txt\""),
            q("Thu, 01 Dec 1994 16:00:00 GMT")
        ))
        .send()
        .await;
    assert_eq!(r.ok(200).body.as_ref(), d.as_slice());
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(
        r.header("content-disposition"),
        Some("attachment; filename=\"x.txt\"")
    );
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    assert_eq!(r.header("content-language"), Some("de"));
    assert_eq!(r.header("expires"), Some("Thu, 01 Dec 1994 16:00:00 GMT"));
    assert_eq!(r.header("x-amz-meta-color"), Some("blue"));
    // ... only in that answer.
    let g = s3.head("objs", "dir/file.bin").await;
    assert_eq!(g.header("content-type"), Some("application/x-test"));

    // Without a Content-Type, S3 serves binary/octet-stream.
    s3.put("objs", "plain", b"x").await;
    assert_eq!(
        s3.head("objs", "plain").await.header("content-type"),
        Some("binary/octet-stream")
    );
    // Empty objects.
    let e = s3.put("objs", "empty", b"").await.etag();
    assert_eq!(e, md5_hex(b""));
    let g = s3.get("objs", "empty").await;
    assert!(g.ok(200).body.is_empty());
    assert_eq!(g.header("content-length"), Some("0"));

    // Overwrite.
    s3.put("objs", "plain", b"second").await;
    assert_eq!(s3.get("objs", "plain").await.body.as_ref(), b"second");

    // Delete, also of a missing key.
    s3.req("DELETE", &obj_path("objs", "plain"))
        .send()
        .await
        .ok(204);
    s3.get("objs", "plain").await.error(404, "NoSuchKey");
    s3.req("DELETE", &obj_path("objs", "plain"))
        .send()
        .await
        .ok(204);

    // Keys that need encoding round-trip.
    for key in [
        "sp ace",
        "plus+sign",
        "ünïcødé/ключ",
        "a%b",
        "q?x=1&y",
        "tab\tkey",
        "~tilde*",
    ] {
        s3.put("objs", key, key.as_bytes()).await;
        let g = s3.get("objs", key).await;
        assert_eq!(g.ok(200).body.as_ref(), key.as_bytes(), "key {key:?}");
    }
    let st = s3.state().await;
    assert_eq!(st["orphan_blobs"], 0);
}

async fn ranges_and_conditions(backend: Backend) {
    let (_server, s3) = start(backend).await;
    s3.create_bucket("rng").await.ok(200);
    let d = common::data(10_000, 2);
    let etag = s3.put("rng", "k", &d).await.etag();
    let range = |r: &'static str| {
        let s3 = s3.clone();
        async move { s3.req("GET", "/rng/k").header("range", r).send().await }
    };
    for (spec, from, to) in [
        ("bytes=0-0", 0, 0),
        ("bytes=100-199", 100, 199),
        ("bytes=9000-", 9000, 9999),
        ("bytes=-500", 9500, 9999),
        ("bytes=9990-20000", 9990, 9999),
        ("bytes=-20000", 0, 9999),
    ] {
        let r = range(spec).await;
        r.ok(206);
        assert_eq!(r.body.as_ref(), &d[from..=to], "{spec}");
        assert_eq!(
            r.header("content-range"),
            Some(format!("bytes {from}-{to}/10000").as_str()),
            "{spec}"
        );
        assert_eq!(
            r.header("content-length"),
            Some((to - from + 1).to_string().as_str())
        );
        assert_eq!(r.etag(), etag, "a range carries the object's ETag");
    }
    let x = range("bytes=10000-").await.error(416, "InvalidRange");
    assert_eq!(x.one("ActualObjectSize"), "10000");
    // An unparsable Range is ignored, as S3 does.
    let r = range("lines=1-2").await;
    assert_eq!(r.ok(200).body.len(), 10_000);

    // partNumber on a single-part object: part 1 is the whole object.
    let r = s3.req("GET", "/rng/k").query("partNumber=1").send().await;
    assert!(r.status == 200 || r.status == 206, "status {}", r.status);
    assert_eq!(r.body.as_ref(), d.as_slice());
    s3.req("GET", "/rng/k")
        .query("partNumber=2")
        .send()
        .await
        .error(416, "InvalidPartNumber");
    s3.req("GET", "/rng/k")
        .query("partNumber=1")
        .header("range", "bytes=0-1")
        .send()
        .await
        .error(400, "InvalidRequest");

    // Conditions.
    let quoted = format!("\"{etag}\"");
    let r = s3
        .req("GET", "/rng/k")
        .header("if-match", &quoted)
        .send()
        .await;
    r.ok(200);
    let r = s3
        .req("GET", "/rng/k")
        .header("if-match", &quoted)
        .header("range", "bytes=0-9")
        .send()
        .await;
    assert_eq!(r.ok(206).body.as_ref(), &d[..10]);
    s3.req("GET", "/rng/k")
        .header("if-match", "\"0123456789abcdef0123456789abcdef\"")
        .send()
        .await
        .error(412, "PreconditionFailed");
    let r = s3
        .req("GET", "/rng/k")
        .header("if-none-match", &quoted)
        .send()
        .await;
    r.ok(304);
    assert!(r.body.is_empty());
    s3.req("GET", "/rng/k")
        .header("if-none-match", "\"other\"")
        .send()
        .await
        .ok(200);
    let past = httpdate::fmt_http_date(
        std::time::SystemTime::now() - std::time::Duration::from_secs(3600),
    );
    let future = httpdate::fmt_http_date(
        std::time::SystemTime::now() + std::time::Duration::from_secs(3600),
    );
    s3.req("GET", "/rng/k")
        .header("if-modified-since", &future)
        .send()
        .await
        .ok(304);
    s3.req("GET", "/rng/k")
        .header("if-modified-since", &past)
        .send()
        .await
        .ok(200);
    s3.req("GET", "/rng/k")
        .header("if-unmodified-since", &past)
        .send()
        .await
        .error(412, "PreconditionFailed");
    let h = s3
        .req("HEAD", "/rng/k")
        .header("if-match", "\"nope\"")
        .send()
        .await;
    h.ok(412);
    assert!(h.body.is_empty());
}

async fn delete_objects(backend: Backend) {
    let (_server, s3) = start(backend).await;
    s3.create_bucket("del").await.ok(200);
    for k in ["a", "b", "c & d", "e"] {
        s3.put("del", k, k.as_bytes()).await;
    }
    let body = "<Delete><Object><Key>a</Key></Object><Object><Key>c &amp; d</Key></Object>\
                <Object><Key>missing</Key></Object></Delete>";
    let r = s3
        .req("POST", "/del")
        .query("delete")
        .header("content-md5", &md5_b64(body.as_bytes()))
        .body(body)
        .send()
        .await;
    let x = r.ok(200).xml();
    assert_eq!(x.root, "DeleteResult");
    let mut deleted = x.all("Deleted/Key");
    deleted.sort();
    assert_eq!(deleted, vec!["a", "c & d", "missing"]);
    assert_eq!(x.count("Error"), 0);
    // Quiet mode reports only errors.
    let body = "<Delete><Quiet>true</Quiet><Object><Key>b</Key></Object></Delete>";
    let x = s3
        .req("POST", "/del")
        .query("delete")
        .body(body)
        .send()
        .await
        .ok(200)
        .xml();
    assert_eq!(x.count("Deleted"), 0);
    let x = s3.list("del").await;
    assert_eq!(x.all("Contents/Key"), vec!["e"]);
    // A document whose Content-MD5 is another body's (or not an MD5) deletes nothing.
    let body = "<Delete><Object><Key>e</Key></Object></Delete>";
    for (md5, code) in [
        (md5_b64(b"something else"), "BadDigest"),
        ("not-base64!".to_string(), "InvalidDigest"),
    ] {
        s3.req("POST", "/del")
            .query("delete")
            .header("content-md5", &md5)
            .body(body)
            .send()
            .await
            .error(400, code);
    }
    let x = s3.list("del").await;
    assert_eq!(x.all("Contents/Key"), vec!["e"]);
    s3.req("POST", "/nosuchbkt")
        .query("delete")
        .body("<Delete><Object><Key>a</Key></Object></Delete>")
        .send()
        .await
        .error(404, "NoSuchBucket");
    assert_eq!(s3.state().await["blob_count"], 1);
}

async fn copy_object(backend: Backend) {
    let (_server, s3) = start(backend).await;
    s3.create_bucket("src").await.ok(200);
    s3.create_bucket("dst").await.ok(200);
    let d = common::data(70_000, 3);
    let r = s3
        .req("PUT", &obj_path("src", "dir/a b"))
        .header("content-type", "text/x-src")
        .header("x-amz-meta-k", "v")
        .body(d.clone())
        .send()
        .await;
    let etag = r.ok(200).etag();

    // bucket/key with the key URL-encoded (boto3), and /bucket/key (other clients).
    for (i, src) in [
        "src/dir/a%20b",
        "/src/dir/a%20b",
        "src/dir/a%20b?versionId=null",
    ]
    .iter()
    .enumerate()
    {
        let key = format!("copy{i}");
        let r = s3
            .req("PUT", &obj_path("dst", &key))
            .header("x-amz-copy-source", src)
            .send()
            .await;
        let x = r.ok(200).xml();
        assert_eq!(x.root, "CopyObjectResult");
        assert_eq!(x.one("ETag"), format!("\"{etag}\""));
        assert!(x.one("LastModified").ends_with('Z'));
        let g = s3.get("dst", &key).await;
        assert_eq!(g.ok(200).body.as_ref(), d.as_slice());
        assert_eq!(
            g.header("content-type"),
            Some("text/x-src"),
            "COPY keeps metadata"
        );
        assert_eq!(g.header("x-amz-meta-k"), Some("v"));
    }
    // REPLACE takes the request's metadata.
    s3.req("PUT", &obj_path("dst", "copy0"))
        .header("x-amz-copy-source", "dst/copy0")
        .header("x-amz-metadata-directive", "REPLACE")
        .header("content-type", "text/x-new")
        .header("x-amz-meta-n", "2")
        .send()
        .await
        .ok(200);
    let g = s3.head("dst", "copy0").await;
    assert_eq!(g.header("content-type"), Some("text/x-new"));
    assert_eq!(g.header("x-amz-meta-n"), Some("2"));
    assert_eq!(g.header("x-amz-meta-k"), None);
    // Copy onto itself without a change is refused.
    s3.req("PUT", &obj_path("dst", "copy1"))
        .header("x-amz-copy-source", "dst/copy1")
        .send()
        .await
        .error(400, "InvalidRequest");
    // Missing source, bad source, failed precondition.
    s3.req("PUT", &obj_path("dst", "x"))
        .header("x-amz-copy-source", "src/nothing")
        .send()
        .await
        .error(404, "NoSuchKey");
    s3.req("PUT", &obj_path("dst", "x"))
        .header("x-amz-copy-source", "nosuchbucket/k")
        .send()
        .await
        .error(404, "NoSuchBucket");
    s3.req("PUT", &obj_path("dst", "x"))
        .header("x-amz-copy-source", "justabucket")
        .send()
        .await
        .error(400, "InvalidArgument");
    s3.req("PUT", &obj_path("dst", "x"))
        .header("x-amz-copy-source", "src/dir/a%20b")
        .header("x-amz-copy-source-if-match", "\"different\"")
        .send()
        .await
        .error(412, "PreconditionFailed");
    s3.req("PUT", &obj_path("dst", "x"))
        .header("x-amz-copy-source", "src/dir/a%20b")
        .header("x-amz-copy-source-if-match", &format!("\"{etag}\""))
        .send()
        .await
        .ok(200);
    // Deleting the source leaves the copies intact.
    s3.req("DELETE", &obj_path("src", "dir/a b"))
        .send()
        .await
        .ok(204);
    assert_eq!(
        s3.get("dst", "copy2").await.ok(200).body.as_ref(),
        d.as_slice()
    );

    // CopyObject of a multipart object writes a single-part object: ETag = MD5 of the data,
    // no parts.
    let up = s3.create_upload("src", "mp").await;
    let p1 = common::data(common::MIN_PART as usize, 8);
    let p2 = common::data(1000, 9);
    let e1 = s3
        .upload_part("src", "mp", &up, 1, &p1)
        .await
        .ok(200)
        .etag();
    let e2 = s3
        .upload_part("src", "mp", &up, 2, &p2)
        .await
        .ok(200)
        .etag();
    s3.complete("src", "mp", &up, &[(1, &e1), (2, &e2)])
        .await
        .ok(200);
    let all = [p1.as_slice(), &p2].concat();
    let x = s3
        .req("PUT", &obj_path("dst", "mpcopy"))
        .header("x-amz-copy-source", "src/mp")
        .send()
        .await
        .ok(200)
        .xml();
    assert_eq!(x.one("ETag"), format!("\"{}\"", md5_hex(&all)));
    let g = s3.get("dst", "mpcopy").await;
    assert_eq!(g.ok(200).body.as_ref(), all.as_slice());
    assert_eq!(g.etag(), md5_hex(&all));
    let st = s3.state().await;
    assert_eq!(st["orphan_blobs"], 0);
    let dst = st["buckets"]
        .as_array()
        .expect("buckets")
        .iter()
        .find(|b| b["name"] == "dst")
        .expect("dst bucket");
    let mpcopy = dst["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .find(|o| o["key"] == "mpcopy")
        .expect("mpcopy");
    assert!(
        mpcopy["parts"].is_null(),
        "a copy is not multipart: {mpcopy}"
    );
    assert_eq!(mpcopy["etag"], md5_hex(&all));
}

const LIST_KEYS: &[&str] = &[
    "a/1", "a/2", "a/b/3", "a/b/4", "b/5", "c", "d e", "f+g", "h/ü", "z",
];

async fn fill_listing(s3: &common::S3) {
    s3.create_bucket("lst").await.ok(200);
    for (i, k) in LIST_KEYS.iter().enumerate() {
        s3.put("lst", k, &common::data(i + 1, i as u64)).await;
    }
}

async fn list_objects_v2(backend: Backend) {
    let (_server, s3) = start(backend).await;
    fill_listing(&s3).await;
    let list = |query: String| {
        let s3 = s3.clone();
        async move {
            s3.req("GET", "/lst")
                .query(&format!("list-type=2&{query}"))
                .send()
                .await
                .ok(200)
                .xml()
        }
    };
    let x = list(String::new()).await;
    assert_eq!(x.root, "ListBucketResult");
    assert_eq!(x.one("Name"), "lst");
    assert_eq!(x.all("Contents/Key"), LIST_KEYS);
    assert_eq!(x.one("KeyCount"), LIST_KEYS.len().to_string());
    assert_eq!(x.one("MaxKeys"), "1000");
    assert_eq!(x.one("IsTruncated"), "false");
    assert_eq!(x.get("NextContinuationToken"), None);
    assert_eq!(x.all("Contents/Size")[2], "3");
    assert_eq!(
        x.all("Contents/ETag")[0],
        format!("\"{}\"", md5_hex(&common::data(1, 0)))
    );
    assert!(x
        .all("Contents/LastModified")
        .iter()
        .all(|t| t.ends_with('Z')));
    assert!(x
        .all("Contents/StorageClass")
        .iter()
        .all(|t| *t == "STANDARD"));
    assert_eq!(
        x.count("Contents/Owner"),
        0,
        "V2 lists owners only with fetch-owner"
    );
    let x = list("fetch-owner=true".into()).await;
    assert_eq!(x.count("Contents/Owner/ID"), LIST_KEYS.len());

    let x = list(format!("delimiter={}", q("/"))).await;
    assert_eq!(x.all("Contents/Key"), vec!["c", "d e", "f+g", "z"]);
    assert_eq!(x.all("CommonPrefixes/Prefix"), vec!["a/", "b/", "h/"]);
    assert_eq!(x.one("KeyCount"), "7");
    assert_eq!(x.one("Delimiter"), "/");

    let x = list(format!("prefix={}&delimiter={}", q("a/"), q("/"))).await;
    assert_eq!(x.all("Contents/Key"), vec!["a/1", "a/2"]);
    assert_eq!(x.all("CommonPrefixes/Prefix"), vec!["a/b/"]);
    assert_eq!(x.one("Prefix"), "a/");

    let x = list(format!("start-after={}", q("d e"))).await;
    assert_eq!(x.all("Contents/Key"), vec!["f+g", "h/ü", "z"]);
    assert_eq!(x.one("StartAfter"), "d e");

    // Pagination, with and without a delimiter: every entry exactly once, in order.
    for (delim, expect) in [
        (
            "",
            LIST_KEYS.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        ),
        (
            "/",
            ["a/", "b/", "c", "d e", "f+g", "h/", "z"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        ),
    ] {
        for page in [1usize, 2, 3] {
            let mut seen = Vec::new();
            let mut token: Option<String> = None;
            for _ in 0..20 {
                let mut query = format!("max-keys={page}&delimiter={}", q(delim));
                if let Some(t) = &token {
                    query.push_str(&format!("&continuation-token={}", q(t)));
                }
                let x = list(query).await;
                let n = x.count("Contents") + x.count("CommonPrefixes");
                assert!(n <= page, "page of {page} had {n}");
                assert_eq!(x.one("KeyCount"), n.to_string());
                seen.extend(x.all("Contents/Key").iter().map(|s| s.to_string()));
                seen.extend(x.all("CommonPrefixes/Prefix").iter().map(|s| s.to_string()));
                if let Some(t) = &token {
                    assert_eq!(x.one("ContinuationToken"), t);
                }
                if x.one("IsTruncated") == "false" {
                    assert_eq!(x.get("NextContinuationToken"), None);
                    token = None;
                    break;
                }
                token = Some(x.one("NextContinuationToken").to_string());
            }
            assert!(token.is_none(), "listing never ended");
            let mut sorted = seen.clone();
            sorted.sort();
            assert_eq!(sorted, expect, "delimiter {delim:?} page {page}");
        }
    }

    // encoding-type=url: keys and prefixes come URL-encoded and EncodingType says so.
    let x = list(format!("encoding-type=url&delimiter={}", q("/"))).await;
    assert_eq!(x.one("EncodingType"), "url");
    let decoded: Vec<String> = x
        .all("Contents/Key")
        .iter()
        .map(|k| {
            assert!(!k.contains(' '), "key {k:?} not encoded");
            percent_encoding::percent_decode_str(k)
                .decode_utf8()
                .expect("utf8")
                .into_owned()
        })
        .collect();
    assert_eq!(decoded, vec!["c", "d e", "f+g", "z"]);
    assert!(x.all("Contents/Key").contains(&"f%2Bg"));
    let x = list(format!("encoding-type=url&prefix={}", q("h/"))).await;
    assert_eq!(x.all("Contents/Key"), vec!["h/%C3%BC"]);
    // max-keys=0.
    let x = list("max-keys=0".into()).await;
    assert_eq!(x.count("Contents"), 0);
    assert_eq!(x.one("KeyCount"), "0");
}

async fn list_objects_v1(backend: Backend) {
    let (_server, s3) = start(backend).await;
    fill_listing(&s3).await;
    let list = |query: String| {
        let s3 = s3.clone();
        async move {
            s3.req("GET", "/lst")
                .query(&query)
                .send()
                .await
                .ok(200)
                .xml()
        }
    };
    let x = list(String::new()).await;
    assert_eq!(x.root, "ListBucketResult");
    assert_eq!(x.all("Contents/Key"), LIST_KEYS);
    assert_eq!(x.get("Marker"), Some(""));
    assert_eq!(x.get("KeyCount"), None, "V1 has no KeyCount");
    assert!(!x.one("Contents/Owner/ID").is_empty());

    let x = list(format!("marker={}", q("c"))).await;
    assert_eq!(x.all("Contents/Key"), vec!["d e", "f+g", "h/ü", "z"]);
    assert_eq!(x.one("Marker"), "c");

    for delim in ["", "/"] {
        let mut seen = Vec::new();
        let mut marker = String::new();
        for _ in 0..20 {
            let x = list(format!(
                "max-keys=2&delimiter={}&marker={}",
                q(delim),
                q(&marker)
            ))
            .await;
            let keys = x.all("Contents/Key");
            let prefixes = x.all("CommonPrefixes/Prefix");
            seen.extend(keys.iter().map(|s| s.to_string()));
            seen.extend(prefixes.iter().map(|s| s.to_string()));
            if x.one("IsTruncated") == "false" {
                marker.clear();
                break;
            }
            // NextMarker when given, else the last key (what SDK paginators do).
            marker = x
                .get("NextMarker")
                .map(str::to_string)
                .unwrap_or_else(|| keys.last().expect("a truncated page has keys").to_string());
        }
        assert!(marker.is_empty(), "listing never ended");
        seen.sort();
        let expect: Vec<String> = if delim.is_empty() {
            LIST_KEYS.iter().map(|s| s.to_string()).collect()
        } else {
            ["a/", "b/", "c", "d e", "f+g", "h/", "z"]
                .iter()
                .map(|s| s.to_string())
                .collect()
        };
        assert_eq!(seen, expect, "delimiter {delim:?}");
    }
    let x = list("encoding-type=url&prefix=d".into()).await;
    assert_eq!(x.all("Contents/Key"), vec!["d%20e"]);
    assert_eq!(x.one("EncodingType"), "url");
}

async fn content_md5(backend: Backend) {
    let (_server, s3) = start(backend).await;
    s3.create_bucket("md5").await.ok(200);
    let d = common::data(4096, 7);
    s3.req("PUT", "/md5/good")
        .header("content-md5", &md5_b64(&d))
        .body(d.clone())
        .send()
        .await
        .ok(200);
    let x = s3
        .req("PUT", "/md5/bad")
        .header("content-md5", &md5_b64(b"other"))
        .body(d.clone())
        .send()
        .await
        .error(400, "BadDigest");
    assert_eq!(x.one("Resource"), "/md5/bad");
    s3.req("PUT", "/md5/bad")
        .header("content-md5", "not base64!")
        .body(d.clone())
        .send()
        .await
        .error(400, "InvalidDigest");
    s3.req("PUT", "/md5/bad")
        .header("content-md5", "AAAA")
        .body(d.clone())
        .send()
        .await
        .error(400, "InvalidDigest");
    s3.head("md5", "bad").await.ok(404);
    // Same for parts.
    let up = s3.create_upload("md5", "mp").await;
    s3.req("PUT", "/md5/mp")
        .query(&format!("partNumber=1&uploadId={up}"))
        .header("content-md5", &md5_b64(b"other"))
        .body(d.clone())
        .send()
        .await
        .error(400, "BadDigest");
    s3.req("PUT", "/md5/mp")
        .query(&format!("partNumber=1&uploadId={up}"))
        .header("content-md5", &md5_b64(&d))
        .body(d.clone())
        .send()
        .await
        .ok(200);
    let st = s3.state().await;
    assert_eq!(st["blob_count"], 2, "refused bodies leave no blobs");
    assert_eq!(
        st["buckets"][0]["uploads"][0]["parts"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

/// Keys that look like paths, contain NUL, are too long or badly encoded never reach the file
/// system: the object round-trips (or is refused with an S3 error) and nothing appears outside
/// the data directory.
async fn hostile_keys(backend: Backend) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data_dir = tmp.path().join("data");
    let b = match backend {
        Backend::Memory => builder(backend),
        Backend::Disk => builder(backend).data_dir(&data_dir),
    };
    let (server, s3) = start_with(b).await;
    let addr = server.address();
    s3.create_bucket("hostile").await.ok(200);

    // Literal dot segments need a raw request line (HTTP libraries normalise them away).
    for (target, key) in [
        ("/hostile/../../etc/passwd", "../../etc/passwd"),
        (
            "/hostile/../../../../../../tmp/escape",
            "../../../../../../tmp/escape",
        ),
        ("/hostile/./a/../b", "./a/../b"),
        ("/hostile/dot/.", "dot/."),
        ("/hostile/..", ".."),
    ] {
        let r = raw::request(
            addr,
            &format!("PUT {target} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 7\r\n"),
            b"hostile",
        )
        .await;
        assert_eq!(r.status, 200, "PUT {target}: {}", r.text());
        let g = raw::request(
            addr,
            &format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\n"),
            b"",
        )
        .await;
        assert_eq!(g.status, 200, "GET {target}");
        assert_eq!(g.body, b"hostile");
        // It is an ordinary key, also when listed.
        let x = s3
            .req("GET", "/hostile")
            .query(&format!("list-type=2&prefix={}", q(key)))
            .send()
            .await
            .ok(200)
            .xml();
        assert!(x.all("Contents/Key").contains(&key), "{key:?} listed");
    }
    // Encoded dots, absolute paths, backslashes, NUL and control characters.
    for key in [
        "..%2F..%2Fetc%2Fpasswd",
        "/etc/passwd",
        "//double//slash",
        "..\\..\\windows",
        "nul\0byte",
        "ctl\u{1}\u{7f}",
        "...",
    ] {
        let path = obj_path("hostile", key);
        let r = s3.req("PUT", &path).body(key.to_string()).send().await;
        r.ok(200);
        let g = s3.req("GET", &path).send().await;
        assert_eq!(g.ok(200).body.as_ref(), key.as_bytes(), "key {key:?}");
    }
    // A literal %00 in the path.
    let r = raw::request(
        addr,
        &format!("PUT /hostile/zero%00zero HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 1\r\n"),
        b"z",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        s3.get("hostile", "zero\0zero").await.ok(200).body.as_ref(),
        b"z"
    );

    // Keys over 1 KiB are refused; exactly 1024 bytes is fine.
    let long = "k".repeat(1025);
    let x = s3
        .req("PUT", &obj_path("hostile", &long))
        .body("x")
        .send()
        .await
        .error(400, "KeyTooLongError");
    assert_eq!(x.one("MaxSizeAllowed"), "1024");
    s3.req("POST", &obj_path("hostile", &long))
        .query("uploads")
        .send()
        .await
        .error(400, "KeyTooLongError");
    let ok_long = "k".repeat(1024);
    s3.put("hostile", &ok_long, b"long").await;
    assert_eq!(s3.get("hostile", &ok_long).await.body.as_ref(), b"long");
    // A 16 KiB key does not break anything either.
    let huge = "h".repeat(16 * 1024);
    let r = s3
        .req("PUT", &obj_path("hostile", &huge))
        .body("x")
        .send()
        .await;
    assert!(
        r.status == 400 || r.status == 414 || r.status == 431,
        "status {}",
        r.status
    );

    // Invalid percent-encoding is taken literally; non-UTF-8 is refused.
    let r = raw::request(
        addr,
        &format!("PUT /hostile/bad%zzenc HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 1\r\n"),
        b"p",
    )
    .await;
    if r.status == 200 {
        assert_eq!(
            s3.get("hostile", "bad%zzenc").await.ok(200).body.as_ref(),
            b"p"
        );
    } else {
        assert_eq!(r.status, 400, "{}", r.text());
        assert_eq!(common::Xml::parse(&r.body).root, "Error");
    }
    for target in [
        "/hostile/not%ffutf8",
        "/hostile/%c3%28",
        "/hostile/trunc%e2%82",
    ] {
        let r = raw::request(
            addr,
            &format!("PUT {target} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 1\r\n"),
            b"u",
        )
        .await;
        assert_eq!(r.status, 400, "{target}: {}", r.text());
        let x = common::Xml::parse(&r.body);
        assert_eq!(x.one("Code"), "InvalidArgument");
    }
    // Bucket names are checked the same way.
    let r = raw::request(
        addr,
        &format!("PUT /..%2F..%2Fetc HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\n"),
        b"",
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text());

    // Everything the server wrote is inside the data directory, and only blobs (files and
    // packs, freed files kept for reuse) and metadata.
    let st = s3.state().await;
    assert_eq!(st["orphan_blobs"], 0);
    drop(s3);
    server.stop();
    let outside: Vec<_> = std::fs::read_dir(tmp.path())
        .expect("read tmp")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    match backend {
        Backend::Memory => assert!(outside.is_empty(), "memory store wrote {outside:?}"),
        Backend::Disk => {
            assert_eq!(outside, vec!["data".to_string()]);
            let mut stack = vec![data_dir.clone()];
            while let Some(dir) = stack.pop() {
                for e in std::fs::read_dir(&dir).expect("read dir") {
                    let e = e.expect("entry");
                    let p = e.path();
                    let rel = p.strip_prefix(&data_dir).expect("inside").to_path_buf();
                    let top = rel.components().next().expect("component");
                    let top = top.as_os_str().to_string_lossy().into_owned();
                    assert!(
                        ["blobs", "free", "meta", "packs", "tls"].contains(&top.as_str()),
                        "unexpected {}",
                        rel.display()
                    );
                    let name = e.file_name().to_string_lossy().into_owned();
                    assert!(
                        !name.contains("passwd") && !name.contains("escape"),
                        "a key became a file name: {}",
                        rel.display()
                    );
                    if e.file_type().expect("type").is_dir() {
                        stack.push(p);
                    }
                }
            }
        }
    }
    assert!(
        !std::path::Path::new("/tmp/escape").exists(),
        "a key escaped to /tmp/escape"
    );
}

both_backends!(
    put_get_head_delete,
    ranges_and_conditions,
    delete_objects,
    copy_object,
    list_objects_v2,
    list_objects_v1,
    content_md5,
    hostile_keys,
);
