//! S3 bucket operations, addressing styles (path, virtual-hosted, absolute-form), error
//! documents, unknown operations, the admin API, HTTPS and SigV4 authentication — each against
//! the memory and the disk store.

mod common;

use common::raw;
use common::{builder, obj_path, start, start_with, Backend, AK, SK};

fn is_iso8601_z(s: &str) -> bool {
    // 2026-11-21T04:28:44.000Z
    s.len() == 24
        && s.ends_with('Z')
        && s.as_bytes()[10] == b'T'
        && time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok()
}

async fn bucket_lifecycle(backend: Backend) {
    let (_server, s3) = start(backend).await;
    let r = s3.req("GET", "/").send().await;
    r.ok(200);
    let x = r.xml();
    assert_eq!(x.root, "ListAllMyBucketsResult");
    assert_eq!(x.count("Buckets/Bucket"), 0);

    let r = s3.create_bucket("alpha").await;
    r.ok(200);
    assert_eq!(r.header("location"), Some("/alpha"));
    assert!(r.body.is_empty());
    // A CreateBucketConfiguration body (clients outside us-east-1 send one) is accepted.
    s3.req("PUT", "/beta")
        .body(
            "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
             <LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>",
        )
        .send()
        .await
        .ok(200);
    let x = s3
        .create_bucket("alpha")
        .await
        .error(409, "BucketAlreadyOwnedByYou");
    assert_eq!(x.one("BucketName"), "alpha");
    s3.create_bucket("Bad_Name")
        .await
        .error(400, "InvalidBucketName");
    s3.create_bucket("ab").await.error(400, "InvalidBucketName");

    let r = s3.req("GET", "/").send().await;
    let x = r.ok(200).xml();
    assert_eq!(x.all("Buckets/Bucket/Name"), vec!["alpha", "beta"]);
    for d in x.all("Buckets/Bucket/CreationDate") {
        assert!(is_iso8601_z(d), "CreationDate {d:?}");
    }
    assert!(!x.one("Owner/ID").is_empty());

    s3.req("HEAD", "/alpha").send().await.ok(200);
    let r = s3.req("HEAD", "/nosuch").send().await;
    r.ok(404);
    assert!(r.body.is_empty(), "HEAD errors carry no body");

    let r = s3.req("GET", "/alpha").query("location").send().await;
    let x = r.ok(200).xml();
    assert_eq!(x.root, "LocationConstraint");
    s3.req("GET", "/nosuch")
        .query("location")
        .send()
        .await
        .error(404, "NoSuchBucket");

    let r = s3.req("GET", "/alpha").query("versioning").send().await;
    let x = r.ok(200).xml();
    assert_eq!(x.root, "VersioningConfiguration");
    assert_eq!(
        x.get("Status"),
        None,
        "never-versioned bucket has no Status"
    );

    // DeleteBucket: refused while an object is in it.
    s3.put("alpha", "k", b"v").await;
    let x = s3
        .req("DELETE", "/alpha")
        .send()
        .await
        .error(409, "BucketNotEmpty");
    assert_eq!(x.one("BucketName"), "alpha");
    s3.req("DELETE", &obj_path("alpha", "k"))
        .send()
        .await
        .ok(204);
    s3.req("DELETE", "/alpha").send().await.ok(204);
    s3.req("HEAD", "/alpha").send().await.ok(404);
    s3.req("GET", "/alpha")
        .query("list-type=2")
        .send()
        .await
        .error(404, "NoSuchBucket");
    s3.req("DELETE", "/alpha")
        .send()
        .await
        .error(404, "NoSuchBucket");
    put_err_on_missing_bucket(&s3).await;
}

async fn put_err_on_missing_bucket(s3: &common::S3) {
    let x = s3
        .req("PUT", &obj_path("nosuch", "k"))
        .body("data")
        .send()
        .await
        .error(404, "NoSuchBucket");
    assert_eq!(x.one("Resource"), "/nosuch/k");
}

async fn list_object_versions(backend: Backend) {
    let (_server, s3) = start(backend).await;
    s3.create_bucket("ver").await.ok(200);
    let mut etags = Vec::new();
    for (i, k) in ["a/1", "a/2", "b", "c"].iter().enumerate() {
        let d = common::data(100 + i, i as u64);
        etags.push((k.to_string(), s3.put("ver", k, &d).await.etag(), d.len()));
    }
    // A multipart object is one `null` version too, with its multipart ETag.
    let up = s3.create_upload("ver", "d").await;
    let p = s3.upload_part("ver", "d", &up, 1, b"part").await;
    let pe = p.ok(200).etag();
    s3.complete("ver", "d", &up, &[(1, &pe)]).await.ok(200);
    etags.push(("d".into(), common::digest::multipart_etag(&[b"part"]), 4));

    let r = s3.req("GET", "/ver").query("versions").send().await;
    let x = r.ok(200).xml();
    assert_eq!(x.root, "ListVersionsResult");
    assert_eq!(x.one("Name"), "ver");
    assert_eq!(x.one("IsTruncated"), "false");
    let keys = x.all("Version/Key");
    assert_eq!(keys, vec!["a/1", "a/2", "b", "c", "d"]);
    assert!(x.all("Version/VersionId").iter().all(|v| *v == "null"));
    assert!(x.all("Version/IsLatest").iter().all(|v| *v == "true"));
    let got_etags = x.all("Version/ETag");
    let sizes = x.all("Version/Size");
    for (i, (_, etag, size)) in etags.iter().enumerate() {
        assert_eq!(got_etags[i], format!("\"{etag}\""));
        assert_eq!(sizes[i], size.to_string());
    }
    assert_eq!(x.count("DeleteMarker"), 0);

    // Prefix, delimiter and paging.
    let x = s3
        .req("GET", "/ver")
        .query("versions&delimiter=%2F")
        .send()
        .await
        .ok(200)
        .xml();
    assert_eq!(x.all("Version/Key"), vec!["b", "c", "d"]);
    assert_eq!(x.all("CommonPrefixes/Prefix"), vec!["a/"]);
    let x = s3
        .req("GET", "/ver")
        .query("versions&prefix=a%2F")
        .send()
        .await
        .ok(200)
        .xml();
    assert_eq!(x.all("Version/Key"), vec!["a/1", "a/2"]);

    let mut seen = Vec::new();
    let mut query = "versions&max-keys=2".to_string();
    for _ in 0..10 {
        let x = s3
            .req("GET", "/ver")
            .query(&query)
            .send()
            .await
            .ok(200)
            .xml();
        seen.extend(x.all("Version/Key").iter().map(|s| s.to_string()));
        if x.one("IsTruncated") == "false" {
            break;
        }
        let km = x.one("NextKeyMarker");
        let vm = x.one("NextVersionIdMarker");
        assert_eq!(vm, "null");
        query = format!(
            "versions&max-keys=2&key-marker={}&version-id-marker={vm}",
            common::client::q(km)
        );
    }
    assert_eq!(seen, vec!["a/1", "a/2", "b", "c", "d"]);
}

async fn addressing_styles(backend: Backend) {
    let (server, s3) = start(backend).await;
    let port = server.address().port();
    let vhost = |b: &str| format!("{b}.localhost:{port}");

    // Virtual-hosted: the bucket is in the Host header, the whole path is the key.
    s3.req("PUT", "/")
        .host(&vhost("vhost"))
        .send()
        .await
        .ok(200);
    s3.req("HEAD", "/")
        .host(&vhost("vhost"))
        .send()
        .await
        .ok(200);
    let r = s3
        .req("PUT", "/dir/key%20one")
        .host(&vhost("vhost"))
        .body("virtual")
        .send()
        .await;
    r.ok(200);
    // ... and is the same object path-style.
    let r = s3.get("vhost", "dir/key one").await;
    assert_eq!(r.ok(200).body.as_ref(), b"virtual");
    let r = s3
        .req("GET", "/dir/key%20one")
        .host(&vhost("vhost"))
        .send()
        .await;
    assert_eq!(r.ok(200).body.as_ref(), b"virtual");
    let x = s3
        .req("GET", "/")
        .query("list-type=2")
        .host(&vhost("vhost"))
        .send()
        .await
        .ok(200)
        .xml();
    assert_eq!(x.one("Name"), "vhost");
    assert_eq!(x.all("Contents/Key"), vec!["dir/key one"]);

    // Multipart over virtual-hosted addressing.
    let r = s3
        .req("POST", "/mp")
        .query("uploads")
        .host(&vhost("vhost"))
        .send()
        .await;
    let up = r.ok(200).xml().one("UploadId").to_string();
    let e = s3
        .req("PUT", "/mp")
        .query(&format!("partNumber=1&uploadId={up}"))
        .host(&vhost("vhost"))
        .body("mp-data")
        .send()
        .await
        .ok(200)
        .etag();
    s3.req("POST", "/mp")
        .query(&format!("uploadId={up}"))
        .host(&vhost("vhost"))
        .body(common::client::complete_xml(&[(1, &e)]))
        .send()
        .await
        .ok(200);
    assert_eq!(
        s3.get("vhost", "mp").await.ok(200).body.as_ref(),
        b"mp-data"
    );

    // Path-style on a host name (not an IP) still works.
    let r = s3
        .req("GET", &obj_path("vhost", "mp"))
        .host(&format!("localhost:{port}"))
        .send()
        .await;
    assert_eq!(r.ok(200).body.as_ref(), b"mp-data");
}

/// Absolute-form request targets, as clients send them to an HTTP proxy (RFC 9112 §3.2.2).
async fn absolute_form_targets(backend: Backend) {
    let (server, s3) = start(backend).await;
    let addr = server.address();
    let port = addr.port();
    s3.create_bucket("absbucket").await.ok(200);

    // Virtual-hosted through the authority of the target.
    let r = raw::request(
        addr,
        &format!(
            "PUT http://absbucket.example:{port}/key HTTP/1.1\r\nHost: absbucket.example:{port}\r\nContent-Length: 8\r\n"
        ),
        b"absolute",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.headers.contains_key("x-amz-request-id"));
    assert_eq!(
        r.headers.get("etag").map(String::as_str),
        Some(format!("\"{}\"", common::digest::md5_hex(b"absolute")).as_str())
    );
    assert_eq!(
        s3.get("absbucket", "key").await.ok(200).body.as_ref(),
        b"absolute"
    );

    // Path-style through an IP authority.
    let r = raw::request(
        addr,
        &format!(
            "PUT http://127.0.0.1:{port}/absbucket/dir/key2?x-id=PutObject HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 4\r\n"
        ),
        b"path",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        s3.get("absbucket", "dir/key2").await.ok(200).body.as_ref(),
        b"path"
    );

    // GET in absolute form, virtual-hosted under a localhost domain.
    let r = raw::request(
        addr,
        &format!(
            "GET http://absbucket.localhost:{port}/dir/key2 HTTP/1.1\r\nHost: absbucket.localhost:{port}\r\n"
        ),
        b"",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.body, b"path");

    // CreateBucket through an absolute-form target naming a new bucket under localhost.
    let r = raw::request(
        addr,
        &format!(
            "PUT http://newbkt.localhost:{port}/ HTTP/1.1\r\nHost: newbkt.localhost:{port}\r\nContent-Length: 0\r\n"
        ),
        b"",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    s3.req("HEAD", "/newbkt").send().await.ok(200);

    // An error in absolute form is an S3 error document.
    let r = raw::request(
        addr,
        &format!(
            "GET http://127.0.0.1:{port}/absbucket/missing HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        ),
        b"",
    )
    .await;
    assert_eq!(r.status, 404);
    let x = common::Xml::parse(&r.body);
    assert_eq!(x.one("Code"), "NoSuchKey");
    assert_eq!(
        x.one("RequestId"),
        r.headers.get("x-amz-request-id").expect("request id")
    );
}

async fn error_documents_and_unknown_operations(backend: Backend) {
    let (_server, s3) = start(backend).await;
    s3.create_bucket("errs").await.ok(200);
    s3.put("errs", "k", b"v").await;

    let x = s3
        .req("GET", &obj_path("errs", "missing/key"))
        .send()
        .await
        .error(404, "NoSuchKey");
    assert_eq!(x.one("Resource"), "/errs/missing/key");
    assert!(!x.one("HostId").is_empty());
    let r = s3.head("errs", "missing").await;
    r.ok(404);
    assert!(r.body.is_empty());

    // Sub-resources the mock does not implement: NotImplemented, never a plain GET/PUT.
    for (method, path, query) in [
        ("GET", "/errs", "acl"),
        ("PUT", "/errs", "acl"),
        ("GET", "/errs", "policy"),
        ("PUT", "/errs", "versioning"),
        ("GET", "/errs", "lifecycle"),
        ("GET", "/errs/k", "tagging"),
        ("PUT", "/errs/k", "retention"),
        ("POST", "/errs/k", "select&select-type=2"),
        ("POST", "/errs/k", ""),
        ("GET", "/errs", "session"),
        ("GET", "/errs", "metadataTable"),
        ("PUT", "/errs/k", "renameObject"),
        ("GET", "/errs/k", "torrent"),
        ("POST", "/errs/k", "restore"),
        ("GET", "/errs", "notification"),
        ("PUT", "/errs", "ownershipControls"),
    ] {
        let r = s3.req(method, path).query(query).body("x").send().await;
        r.error(501, "NotImplemented");
    }
    // Methods that mean nothing on a resource.
    s3.req("PATCH", "/errs/k")
        .send()
        .await
        .error(405, "MethodNotAllowed");
    s3.req("POST", "/")
        .send()
        .await
        .error(405, "MethodNotAllowed");
    s3.req("POST", "/errs")
        .send()
        .await
        .error(405, "MethodNotAllowed");
    // Garbage arguments.
    s3.req("GET", "/errs")
        .query("list-type=2&max-keys=lots")
        .send()
        .await
        .error(400, "InvalidArgument");
    s3.req("GET", "/errs")
        .query("list-type=2&continuation-token=%21%21%21")
        .send()
        .await
        .error(400, "InvalidArgument");
    s3.req("GET", "/errs/k")
        .query("uploadId=x&max-parts=-1")
        .send()
        .await
        .error(400, "InvalidArgument");
    s3.req("POST", "/errs")
        .query("delete")
        .body("<Delete><Object><Key>k</Key></Object>")
        .send()
        .await
        .error(400, "MalformedXML");
    // The server is still fine, and distinct requests got distinct ids.
    let a = s3.get("errs", "k").await;
    let b = s3.get("errs", "k").await;
    assert_eq!(a.ok(200).body.as_ref(), b"v");
    assert_ne!(
        a.header("x-amz-request-id"),
        b.header("x-amz-request-id"),
        "request ids are unique"
    );
    assert!(a.header("x-amz-id-2").is_some());
    let h = s3.req("GET", "/_mock/health").send().await;
    h.ok(200);
}

async fn admin_api(backend: Backend) {
    let (_server, s3) = start(backend).await;
    let r = s3.req("GET", "/_mock/health").send().await;
    r.ok(200);
    let v: serde_json::Value = serde_json::from_slice(&r.body).expect("JSON");
    assert_eq!(v["status"], "ok");

    s3.create_bucket("adm").await.ok(200);
    let single = common::data(3000, 1);
    s3.put("adm", "single", &single).await;
    let p1 = common::data(common::MIN_PART as usize, 2);
    let p2 = common::data(10, 3);
    let up = s3.create_upload("adm", "multi").await;
    let e1 = s3
        .upload_part("adm", "multi", &up, 1, &p1)
        .await
        .ok(200)
        .etag();
    let e2 = s3
        .upload_part("adm", "multi", &up, 2, &p2)
        .await
        .ok(200)
        .etag();
    s3.complete("adm", "multi", &up, &[(1, &e1), (2, &e2)])
        .await
        .ok(200);
    let open = s3.create_upload("adm", "open").await;
    let o3 = common::data(77, 4);
    s3.upload_part("adm", "open", &open, 3, &o3).await.ok(200);

    let st = s3.state().await;
    let buckets = st["buckets"].as_array().expect("buckets");
    assert_eq!(buckets.len(), 1);
    let b = &buckets[0];
    assert_eq!(b["name"], "adm");
    let objects = b["objects"].as_array().expect("objects");
    assert_eq!(objects.len(), 2);
    let multi = objects.iter().find(|o| o["key"] == "multi").expect("multi");
    assert_eq!(multi["size"], (p1.len() + p2.len()) as u64);
    assert_eq!(multi["etag"], common::digest::multipart_etag(&[&p1, &p2]));
    assert_eq!(multi["parts"], 2);
    let single_o = objects
        .iter()
        .find(|o| o["key"] == "single")
        .expect("single");
    assert_eq!(single_o["size"], 3000);
    assert_eq!(single_o["etag"], common::digest::md5_hex(&single));
    assert!(single_o["parts"].is_null());
    let uploads = b["uploads"].as_array().expect("uploads");
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0]["key"], "open");
    assert_eq!(uploads[0]["upload_id"], open.as_str());
    let parts = uploads[0]["parts"].as_array().expect("parts");
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0]["number"], 3);
    assert_eq!(parts[0]["size"], 77);
    assert_eq!(parts[0]["etag"], common::digest::md5_hex(&o3));
    assert_eq!(st["blob_count"], 4, "single + 2 parts + open part");
    assert_eq!(
        st["blob_bytes"],
        (single.len() + p1.len() + p2.len() + o3.len()) as u64
    );
    assert_eq!(st["orphan_blobs"], 0);

    let r = s3.req("POST", "/_mock/reset").send().await;
    r.ok(200);
    let st = s3.state().await;
    assert_eq!(st["buckets"].as_array().map(Vec::len), Some(0));
    assert_eq!(st["blob_count"], 0);
    assert_eq!(st["blob_bytes"], 0);
    s3.req("HEAD", "/adm").send().await.ok(404);
    s3.req("DELETE", "/_mock/health").send().await.ok(405);
    s3.req("GET", "/_mock/nothing").send().await.ok(404);
}

async fn https_self_signed(backend: Backend) {
    let (server, s3) = start_with(
        builder(backend)
            .tls_self_signed()
            .min_part_size(common::MIN_PART),
    )
    .await;
    assert!(server.endpoint().starts_with("https://127.0.0.1:"));
    assert!(server.ca_pem().is_some());
    s3.create_bucket("tls").await.ok(200);
    let d = common::data(200_000, 9);
    let e = s3.put("tls", "obj", &d).await.etag();
    assert_eq!(e, common::digest::md5_hex(&d));
    let r = s3.get("tls", "obj").await;
    assert_eq!(r.ok(200).body.as_ref(), d.as_slice());
    // Chunked transfer encoding over TLS (what boto3 does for uploads over HTTPS).
    let up = s3.create_upload("tls", "mp").await;
    let e1 = s3
        .req("PUT", "/tls/mp")
        .query(&format!("partNumber=1&uploadId={up}"))
        .chunked(vec![d[..1000].to_vec().into(), d[1000..].to_vec().into()])
        .send()
        .await
        .ok(200)
        .etag();
    s3.complete("tls", "mp", &up, &[(1, &e1)]).await.ok(200);
    assert_eq!(
        s3.get("tls", "mp").await.ok(200).body.as_ref(),
        d.as_slice()
    );
    // Plain HTTP to a TLS port does not get an answer that looks like success.
    let plain = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let res = plain
        .get(format!("http://{}/tls/obj", server.address()))
        .send()
        .await;
    assert!(res.map(|r| !r.status().is_success()).unwrap_or(true));
}

async fn sigv4_auth(backend: Backend) {
    let (server, anon) = start_with(
        builder(backend)
            .credentials(AK, SK)
            .min_part_size(common::MIN_PART),
    )
    .await;
    let s3 = anon.clone().signed(AK, SK);
    s3.create_bucket("auth").await.ok(200);
    let d = common::data(5000, 5);
    s3.put("auth", "dir/some key+x", &d).await;
    assert_eq!(
        s3.get("auth", "dir/some key+x").await.ok(200).body.as_ref(),
        d.as_slice()
    );
    let x = s3
        .req("GET", "/auth")
        .query("list-type=2&prefix=dir%2F&encoding-type=url")
        .send()
        .await
        .ok(200)
        .xml();
    assert_eq!(x.count("Contents"), 1);
    let up = s3.create_upload("auth", "mp").await;
    let e = s3
        .upload_part("auth", "mp", &up, 1, &d)
        .await
        .ok(200)
        .etag();
    s3.complete("auth", "mp", &up, &[(1, &e)]).await.ok(200);

    // Virtual-hosted and signed: the Host header as sent is what is signed.
    let port = server.address().port();
    let r = s3
        .req("GET", "/mp")
        .host(&format!("auth.localhost:{port}"))
        .send()
        .await;
    assert_eq!(r.ok(200).body.as_ref(), d.as_slice());

    let wrong = anon.clone().signed(AK, "not-the-secret");
    let x = wrong
        .get("auth", "mp")
        .await
        .error(403, "SignatureDoesNotMatch");
    assert_eq!(x.one("Resource"), "/auth/mp");
    wrong
        .req("PUT", "/auth/x")
        .body("data")
        .send()
        .await
        .error(403, "SignatureDoesNotMatch");
    let unknown = anon.clone().signed("AKIDUNKNOWNUNKNOWN00", SK);
    unknown
        .get("auth", "mp")
        .await
        .error(403, "InvalidAccessKeyId");
    anon.get("auth", "mp").await.error(403, "AccessDenied");
    // HEAD errors have no body but the status still tells.
    let r = wrong.head("auth", "mp").await;
    r.ok(403);
    assert!(r.body.is_empty());

    // A body that differs from the signed SHA-256.
    s3.req("PUT", "/auth/tampered")
        .payload_hash(&common::digest::sha256_hex(b"something else"))
        .body("the body")
        .send()
        .await
        .error(400, "XAmzContentSHA256Mismatch");
    s3.head("auth", "tampered").await.ok(404);
    // UNSIGNED-PAYLOAD is accepted.
    s3.req("PUT", "/auth/unsigned")
        .payload_hash("UNSIGNED-PAYLOAD")
        .body("the body")
        .send()
        .await
        .ok(200);
    // Presigned URLs (query-string SigV4).
    let creds = mock_server::auth::Credentials::new(AK, SK);
    let presign =
        |method: &'static str, path: &'static str, secret: &str, age: u64, expires: u64| {
            let target = mock_server::auth::RequestTarget {
                method,
                raw_path: path,
                raw_query: "",
                virtual_host_bucket: None,
            };
            let c = mock_server::auth::Credentials::new(AK, secret);
            mock_server::auth::sigv4::presign_url(
                &target,
                &anon.host(),
                &c,
                "us-east-1",
                std::time::SystemTime::now() - std::time::Duration::from_secs(age),
                std::time::Duration::from_secs(expires),
            )
            .expect("presign")
        };
    let r = anon
        .req("GET", "/auth/mp")
        .query(&presign("GET", "/auth/mp", &creds.secret_key, 0, 300))
        .send()
        .await;
    assert_eq!(r.ok(200).body.as_ref(), d.as_slice());
    anon.req("PUT", "/auth/presigned")
        .query(&presign("PUT", "/auth/presigned", SK, 0, 300))
        .body("via presigned URL")
        .send()
        .await
        .ok(200);
    anon.req("GET", "/auth/mp")
        .query(&presign("GET", "/auth/mp", "wrong", 0, 300))
        .send()
        .await
        .error(403, "SignatureDoesNotMatch");
    anon.req("GET", "/auth/mp")
        .query(&presign("GET", "/auth/other", SK, 0, 300))
        .send()
        .await
        .error(403, "SignatureDoesNotMatch");
    anon.req("GET", "/auth/mp")
        .query(&presign("GET", "/auth/mp", SK, 7200, 3600))
        .send()
        .await
        .error(403, "AccessDenied");

    // A signed request in absolute form (as sent through an HTTP proxy): the signature covers
    // the path, not the scheme and authority of the request target.
    let mut headers = http::HeaderMap::new();
    headers.insert("host", anon.host().parse().expect("host"));
    let target = mock_server::auth::RequestTarget {
        method: "GET",
        raw_path: "/auth/mp",
        raw_query: "",
        virtual_host_bucket: None,
    };
    mock_server::auth::sigv4::sign(
        &target,
        &mut headers,
        mock_server::auth::sigv4::EMPTY_SHA256,
        &creds,
        "us-east-1",
        std::time::SystemTime::now(),
    )
    .expect("sign");
    let mut head = format!("GET http://{}/auth/mp HTTP/1.1\r\n", anon.host());
    for (k, v) in &headers {
        head.push_str(&format!("{k}: {}\r\n", v.to_str().expect("ascii")));
    }
    let r = raw::request(server.address(), &head, b"").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.body, d);

    // Nothing refused was stored.
    let x = s3.list("auth").await;
    assert_eq!(
        x.all("Contents/Key"),
        vec!["dir/some key+x", "mp", "presigned", "unsigned"]
    );
}

both_backends!(
    bucket_lifecycle,
    list_object_versions,
    addressing_styles,
    absolute_form_targets,
    error_documents_and_unknown_operations,
    admin_api,
    https_self_signed,
    sigv4_auth,
);

/// Odd combinations of method, path, query and headers: every one gets an S3 answer (with a
/// request id), never a 500 or a dropped connection, and the server keeps serving.
async fn odd_requests_never_break_the_server(backend: Backend) {
    let (_server, s3) = start(backend).await;
    s3.create_bucket("odd").await.ok(200);
    s3.put("odd", "k", b"value").await;
    let up = s3.create_upload("odd", "k").await;
    let methods = ["GET", "PUT", "POST", "DELETE", "HEAD", "PATCH", "OPTIONS"];
    let paths = [
        "/",
        "/odd",
        "/odd/",
        "/odd/k",
        "/odd/k/",
        "/nosuch/k",
        "/odd/%ff",
        "//",
        "/odd//k",
        "/_mockx",
    ];
    let upq = format!("uploadId={up}");
    let queries = [
        "".to_string(),
        "uploads".into(),
        "uploadId=x".into(),
        format!("{upq}&partNumber=1"),
        "partNumber=99999999999".into(),
        "delete".into(),
        "versions".into(),
        "list-type=2&max-keys=-5".into(),
        "uploads&uploadId=x".into(),
        "location&versioning".into(),
        "x-id=GetObject".into(),
        "%zz=%zz".into(),
        "a=b=c&&&=".into(),
        format!("{upq}&max-parts=0&part-number-marker=-1"),
    ];
    let headers: [&[(&str, &str)]; 6] = [
        &[],
        &[("range", "bytes=5-1")],
        &[("content-md5", "%%%"), ("x-amz-checksum-crc32", "????")],
        &[
            ("x-amz-copy-source", "/"),
            ("x-amz-copy-source-range", "bytes=x"),
        ],
        &[
            ("x-amz-content-sha256", "STREAMING-NONSENSE"),
            ("content-encoding", "aws-chunked"),
        ],
        &[
            ("content-encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", "-1"),
            ("x-amz-trailer", "x-amz-checksum-md5"),
        ],
    ];
    let mut n = 0usize;
    for m in methods {
        for p in paths {
            for q in &queries {
                n += 1;
                let mut r = s3.req(m, p).query(q);
                for (k, v) in headers[n % headers.len()] {
                    r = r.header(k, v);
                }
                if m == "PUT" || m == "POST" {
                    r = r.body("<x>body</x>");
                }
                let resp = r.send().await;
                assert!(
                    resp.status < 500 || resp.status == 501,
                    "{m} {p}?{q}: {} {}",
                    resp.status,
                    resp.text()
                );
                if resp.status >= 400 && m != "HEAD" {
                    let x = resp.xml();
                    assert_eq!(x.root, "Error", "{m} {p}?{q}");
                }
            }
        }
    }
    assert!(n > 900);
    s3.req("GET", "/_mock/health").send().await.ok(200);
    let st = s3.state().await;
    assert_eq!(st["orphan_blobs"], 0);
}

both_backends!(odd_requests_never_break_the_server);
