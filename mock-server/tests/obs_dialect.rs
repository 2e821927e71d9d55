//! OBS dialect on the wire (PROTOCOLS.md §3): ObsClient's S3-compatible mode (IP endpoint,
//! path-style, `x-amz-` headers, `obs-sdk-python` User-Agent) and native mode (virtual host,
//! `x-obs-` headers, `OBS` signatures, after the `HEAD /?apiversion` probe), every multipart
//! and object operation a client needs, errors, the 100 KB minimum part size, both backends.

mod dialects_common;

use dialects_common::*;
use mock_server::auth::{sigv2::HeaderPrefix, Credentials};
use mock_server::dialect::Dialect;
use mock_server::MockServer;

const B: &str = "obs-bucket";
const UA: &str = "obs-sdk-python/3.26.6";
const KIB100: usize = 100 * 1024;

/// The two wire modes of ObsClient.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// IP endpoint: path-style, `AWS ak:sig`, `x-amz-`.
    Compat,
    /// Host-name endpoint: `{bucket}.localhost`, `OBS ak:sig`, `x-obs-`.
    Native,
}

impl Mode {
    fn prefix(self) -> &'static str {
        match self {
            Mode::Compat => "x-amz-",
            Mode::Native => "x-obs-",
        }
    }
    fn signer(self) -> Signer {
        let c = Credentials::new(AK, SK);
        match self {
            Mode::Compat => Signer::V2(HeaderPrefix::Amz, c),
            Mode::Native => Signer::V2(HeaderPrefix::Obs, c),
        }
    }
    /// A request for `key` (None: the bucket) the way ObsClient addresses it in this mode.
    fn req(self, method: &'static str, key: Option<&str>, query: &str) -> Req {
        let r = match (self, key) {
            (Mode::Compat, Some(k)) => Req::new(method, &format!("/{B}/{k}"), query),
            (Mode::Compat, None) => Req::new(method, &format!("/{B}"), query),
            (Mode::Native, Some(k)) => {
                Req::new(method, &format!("/{k}"), query).vhost(B, "localhost")
            }
            (Mode::Native, None) => Req::new(method, "/", query).vhost(B, "localhost"),
        };
        r.header("User-Agent", UA)
    }
    fn request_id_header(self) -> &'static str {
        match self {
            Mode::Compat => "x-amz-request-id",
            Mode::Native => "x-obs-request-id",
        }
    }
}

fn assert_xml_error(r: &Resp, mode: Mode, status: u16, code: &str) {
    assert_eq!(r.status, status, "status; body {}", r.text());
    assert_eq!(r.header("content-type"), Some("application/xml"));
    assert_eq!(r.xml("Code").as_deref(), Some(code), "{}", r.text());
    let rid = r
        .header(mode.request_id_header())
        .expect("request id header");
    assert_eq!(r.xml("RequestId").as_deref(), Some(rid));
}

async fn flow(mode: Mode, backend: Backend) {
    let server = backend.builder().start().await.expect("server starts");
    let c = Client::new(&server, mode.signer());
    let p = mode.prefix();
    if mode == Mode::Native {
        // the negotiation probe, unsigned: bare host (createBucket) and bucket host
        for host in ["localhost", "obs-bucket.localhost"] {
            let r = Client::new(&server, Signer::None)
                .send(
                    Req::new("HEAD", "/", "apiversion")
                        .host(host)
                        .header("User-Agent", UA),
                )
                .await;
            assert_eq!(r.status, 200, "probe on {host}");
            assert_eq!(r.header("x-obs-api"), Some("3.0"));
        }
    }
    let r = c.send(mode.req("PUT", None, "")).await;
    assert_eq!(r.status, 200, "create bucket: {}", r.text());
    assert!(r.header(mode.request_id_header()).is_some());
    assert_eq!(c.send(mode.req("HEAD", None, "")).await.status, 200);

    let src = b"hello source object ".repeat(10);
    let r = c
        .send(
            mode.req("PUT", Some("src.txt"), "")
                .header("Content-Type", "text/plain")
                .body(src.clone()),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("etag"),
        Some(format!("\"{}\"", md5_hex(&src)).as_str())
    );

    let key = "big/object.bin";
    let r = c
        .send(
            mode.req("POST", Some(key), "uploads")
                .header("Content-Type", "text/plain")
                .header(&format!("{p}meta-color"), "blue"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.xml("Bucket").as_deref(), Some(B));
    assert_eq!(r.xml("Key").as_deref(), Some(key));
    let uid = r.xml("UploadId").expect("UploadId");

    // parts from a "file" (ObsClient: partNumber before uploadId), then a copied part
    let parts = [data(KIB100, 1), data(KIB100, 2), data(KIB100 / 2, 3)];
    let mut etags = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let n = i + 1;
        let r = c
            .send(
                mode.req("PUT", Some(key), &format!("partNumber={n}&uploadId={uid}"))
                    .body(part.clone()),
            )
            .await;
        assert_eq!(r.status, 200, "part {n}: {}", r.text());
        let e = r.header("etag").unwrap().to_string();
        assert_eq!(e, format!("\"{}\"", md5_hex(part)));
        etags.push(e);
    }
    let r = c
        .send(
            mode.req("PUT", Some(key), &format!("partNumber=4&uploadId={uid}"))
                .header(&format!("{p}copy-source"), &format!("{B}/src.txt"))
                .header(&format!("{p}copy-source-range"), "bytes=0-99"),
        )
        .await;
    assert_eq!(r.status, 200, "copy part: {}", r.text());
    let e4 = r.xml("ETag").expect("CopyPartResult ETag");
    assert_eq!(e4, format!("\"{}\"", md5_hex(&src[..100])));
    // ObsClient parses exactly %Y-%m-%dT%H:%M:%S.%fZ
    let lm = r.xml("LastModified").unwrap();
    assert!(
        lm.len() == 24 && lm.ends_with('Z') && &lm[19..20] == ".",
        "{lm}"
    );
    etags.push(e4);

    // listParts, with paging
    let r = c
        .send(mode.req("GET", Some(key), &format!("uploadId={uid}")))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.xml_all("PartNumber"), vec!["1", "2", "3", "4"]);
    assert_eq!(r.xml_all("ETag"), etags);
    assert_eq!(
        r.xml_all("Size"),
        vec![
            KIB100.to_string(),
            KIB100.to_string(),
            (KIB100 / 2).to_string(),
            "100".into()
        ]
    );
    let r = c
        .send(mode.req("GET", Some(key), &format!("uploadId={uid}&max-parts=2")))
        .await;
    assert_eq!(r.xml("IsTruncated").as_deref(), Some("true"));
    assert_eq!(r.xml("NextPartNumberMarker").as_deref(), Some("2"));
    let r = c
        .send(mode.req(
            "GET",
            Some(key),
            &format!("uploadId={uid}&max-parts=2&part-number-marker=2"),
        ))
        .await;
    assert_eq!(r.xml_all("PartNumber"), vec!["3", "4"]);

    // listMultipartUploads (unencoded prefix, as ObsClient sends it)
    let r = c.send(mode.req("GET", None, "uploads&prefix=big/")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.xml_all("UploadId"), vec![uid.clone()]);
    let r = c
        .send(mode.req("GET", None, "uploads&prefix=nothing/"))
        .await;
    assert!(r.xml_all("UploadId").is_empty());

    // complete with a wrong ETag: InvalidPart, upload stays open
    let complete = |list: &[(usize, String)]| {
        let body: String = list
            .iter()
            .map(|(n, e)| format!("<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>"))
            .collect();
        mode.req("POST", Some(key), &format!("uploadId={uid}"))
            .body(format!(
                "<CompleteMultipartUpload>{body}</CompleteMultipartUpload>"
            ))
    };
    let mut list: Vec<(usize, String)> = etags
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, e)| (i + 1, e))
        .collect();
    let mut wrong = list.clone();
    wrong[1].1 = format!("\"{}\"", "0".repeat(32));
    assert_xml_error(&c.send(complete(&wrong)).await, mode, 400, "InvalidPart");
    // parts 1..4 where part 3 (50 KiB) is not last: EntityTooSmall under OBS's 100 KB
    assert_xml_error(&c.send(complete(&list)).await, mode, 400, "EntityTooSmall");
    // without part 3 it completes
    list.remove(2);
    let r = c.send(complete(&list)).await;
    assert_eq!(r.status, 200, "complete: {}", r.text());
    let want = multipart_etag(&[&parts[0], &parts[1], &src[..100]]);
    assert_eq!(r.xml("ETag").as_deref(), Some(want.as_str()));
    assert_eq!(r.xml("Key").as_deref(), Some(key));
    assert_eq!(r.xml("Bucket").as_deref(), Some(B));
    assert!(r.xml("Location").is_some());
    let object = [parts[0].as_slice(), parts[1].as_slice(), &src[..100]].concat();

    // get, ranged get across parts 1/2, head, list
    let r = c.send(mode.req("GET", Some(key), "")).await;
    assert_eq!(&r.body[..], &object[..]);
    assert_eq!(r.header("etag"), Some(want.as_str()));
    assert_eq!(r.header(&format!("{p}meta-color")), Some("blue"));
    let range = format!("bytes={}-{}", KIB100 - 5, KIB100 + 4);
    let r = c
        .send(mode.req("GET", Some(key), "").header("Range", &range))
        .await;
    assert_eq!(r.status, 206);
    assert_eq!(&r.body[..], &object[KIB100 - 5..KIB100 + 5]);
    let r = c.send(mode.req("HEAD", Some(key), "")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/plain"));
    assert_eq!(
        r.header("content-length"),
        Some(object.len().to_string().as_str())
    );
    let r = c
        .send(mode.req("GET", None, "prefix=big/&max-keys=100"))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.xml_all("Key"), vec![key.to_string()]);
    assert_eq!(r.xml_all("ETag"), vec![want.clone()]);
    assert_eq!(r.xml_all("Size"), vec![object.len().to_string()]);

    // the completed upload is gone
    assert_xml_error(
        &c.send(mode.req("GET", Some(key), &format!("uploadId={uid}")))
            .await,
        mode,
        404,
        "NoSuchUpload",
    );

    // abort: 204, then every use is NoSuchUpload
    let r = c
        .send(mode.req("POST", Some("aborted.bin"), "uploads"))
        .await;
    let uid2 = r.xml("UploadId").unwrap();
    let q2 = format!("partNumber=1&uploadId={uid2}");
    assert_eq!(
        c.send(
            mode.req("PUT", Some("aborted.bin"), &q2)
                .body("in-memory bytes part")
        )
        .await
        .status,
        200
    );
    let r = c
        .send(mode.req("DELETE", Some("aborted.bin"), &format!("uploadId={uid2}")))
        .await;
    assert_eq!(r.status, 204);
    for r in [
        c.send(mode.req("GET", Some("aborted.bin"), &format!("uploadId={uid2}")))
            .await,
        c.send(mode.req("PUT", Some("aborted.bin"), &q2).body("late"))
            .await,
        c.send(mode.req("DELETE", Some("aborted.bin"), &format!("uploadId={uid2}")))
            .await,
    ] {
        assert_xml_error(&r, mode, 404, "NoSuchUpload");
    }

    // deletes
    for k in [key, "src.txt"] {
        assert_eq!(c.send(mode.req("DELETE", Some(k), "")).await.status, 204);
    }
    let r = c.send(mode.req("GET", None, "")).await;
    assert!(r.xml_all("Key").is_empty());
    assert_eq!(c.send(mode.req("DELETE", None, "")).await.status, 204);
    let st = server.state();
    assert_eq!((st.open_uploads(), st.orphan_blobs), (0, 0));
    assert!(
        server
            .journal()
            .iter()
            .all(|e| e.dialect == Some(Dialect::Obs)),
        "every request detected as OBS"
    );
}

#[tokio::test]
async fn s3_compatible_mode_flow() {
    for backend in BACKENDS {
        flow(Mode::Compat, backend).await;
    }
}

#[tokio::test]
async fn native_mode_flow() {
    for backend in BACKENDS {
        flow(Mode::Native, backend).await;
    }
}

#[tokio::test]
async fn errors_in_both_modes() {
    for backend in BACKENDS {
        let server = backend.builder().bucket(B).start().await.unwrap();
        for mode in [Mode::Compat, Mode::Native] {
            let c = Client::new(&server, mode.signer());
            let r = c
                .send(
                    mode.req("PUT", Some("x.bin"), "partNumber=1&uploadId=nonexistent")
                        .body("x"),
                )
                .await;
            assert_xml_error(&r, mode, 404, "NoSuchUpload");
            assert_xml_error(
                &c.send(mode.req("GET", Some("missing.bin"), "")).await,
                mode,
                404,
                "NoSuchKey",
            );
            let r = c.send(mode.req("HEAD", Some("missing.bin"), "")).await;
            assert_eq!((r.status, r.body.len()), (404, 0));
            let r = c.send(mode.req("POST", Some("e.bin"), "uploads")).await;
            let uid = r.xml("UploadId").unwrap();
            for bad in ["0", "10001", "x"] {
                let r = c
                    .send(
                        mode.req(
                            "PUT",
                            Some("e.bin"),
                            &format!("partNumber={bad}&uploadId={uid}"),
                        )
                        .body("x"),
                    )
                    .await;
                assert_xml_error(&r, mode, 400, "InvalidArgument");
            }
            let r = c
                .send(
                    mode.req(
                        "PUT",
                        Some("e.bin"),
                        &format!("partNumber=1&uploadId={uid}"),
                    )
                    .body("x"),
                )
                .await;
            let e = r.header("etag").unwrap().to_string();
            let dup = format!(
                "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{e}</ETag></Part>\
                 <Part><PartNumber>1</PartNumber><ETag>{e}</ETag></Part></CompleteMultipartUpload>"
            );
            let complete = |body: String| {
                mode.req("POST", Some("e.bin"), &format!("uploadId={uid}"))
                    .body(body)
            };
            assert_xml_error(&c.send(complete(dup)).await, mode, 400, "InvalidPartOrder");
            assert_xml_error(
                &c.send(complete("<Complete".into())).await,
                mode,
                400,
                "MalformedXML",
            );
            let ok = format!(
                "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{e}</ETag></Part></CompleteMultipartUpload>"
            );
            assert_eq!(c.send(complete(ok)).await.status, 200);
        }
        let c = Client::new(&server, Mode::Compat.signer());
        let r = c
            .send(Req::new("GET", "/no-such-bucket", "").header("User-Agent", UA))
            .await;
        assert_xml_error(&r, Mode::Compat, 404, "NoSuchBucket");
    }
}

#[tokio::test]
async fn apiversion_probe_any_bucket_and_min_part_size_override() {
    let server = MockServer::builder()
        .memory()
        .min_part_size(10)
        .start()
        .await
        .unwrap();
    let anon = Client::new(&server, Signer::None);
    // no User-Agent: the probe alone says OBS; bucket need not exist
    for req in [
        Req::new("HEAD", "/", "apiversion").vhost("no-such-bucket", "localhost"),
        Req::new("HEAD", "/", "apiversion"),
        Req::new("HEAD", "/no-such-bucket", "apiversion"),
    ] {
        let r = anon.send(req).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("x-obs-api"), Some("3.0"));
    }
    assert!(
        server.state().buckets.is_empty(),
        "the probe creates nothing"
    );
    // --min-part-size overrides OBS's 100 KB
    server.create_bucket(B).unwrap();
    let c = Client::new(&server, Mode::Native.signer());
    let uid = c
        .send(Mode::Native.req("POST", Some("k"), "uploads"))
        .await
        .xml("UploadId")
        .unwrap();
    let mut body = String::new();
    for n in 1..=2 {
        let r = c
            .send(
                Mode::Native
                    .req("PUT", Some("k"), &format!("partNumber={n}&uploadId={uid}"))
                    .body(vec![b'a'; 10]),
            )
            .await;
        body.push_str(&format!(
            "<Part><PartNumber>{n}</PartNumber><ETag>{}</ETag></Part>",
            r.header("etag").unwrap()
        ));
    }
    let r = c
        .send(
            Mode::Native
                .req("POST", Some("k"), &format!("uploadId={uid}"))
                .body(format!(
                    "<CompleteMultipartUpload>{body}</CompleteMultipartUpload>"
                )),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(server.state().object(B, "k").map(|o| o.size), Some(20));
}
