//! Request payloads: plain and HTTP-chunked bodies, `aws-chunked` with chunk signatures
//! (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]) and with unsigned trailers
//! (STREAMING-UNSIGNED-PAYLOAD-TRAILER), flexible checksums in headers and trailers, and the
//! COMPOSITE / FULL_OBJECT checksums of multipart objects — each against both stores.

mod common;

use bytes::Bytes;
use common::client::{complete_xml, q, Body};
use common::digest::{md5_hex, multipart_etag, Alg};
use common::{builder, obj_path, start, start_with, Backend, AK, MIN_PART, SK};
use mock_server::aws_chunked::{AwsChunkedEncoder, ChunkSignatureMode};

const M: usize = MIN_PART as usize;

/// Encodes `data` as aws-chunked in `chunk`-sized pieces; returns the framed pieces.
fn aws_chunked(
    mode: ChunkSignatureMode,
    data: &[u8],
    chunk: usize,
    trailers: &[(&str, &str)],
) -> Vec<Bytes> {
    let mut enc = AwsChunkedEncoder::new(mode);
    let mut out = Vec::new();
    for c in data.chunks(chunk) {
        out.extend(enc.encode_chunk(Bytes::copy_from_slice(c)));
    }
    out.push(enc.finish(trailers));
    out
}

fn concat(pieces: &[Bytes]) -> Bytes {
    let mut v = Vec::new();
    for p in pieces {
        v.extend_from_slice(p);
    }
    v.into()
}

async fn signed_streaming(backend: Backend) {
    let (_server, anon) =
        start_with(builder(backend).credentials(AK, SK).min_part_size(MIN_PART)).await;
    let s3 = anon.clone().signed(AK, SK);
    s3.create_bucket("strm").await.ok(200);
    let d = common::data(200_000, 1);
    let crc = Alg::Crc32c.b64(&d);

    for (name, te_chunked, trailer) in [
        ("cl", false, false),
        ("te", true, false),
        ("cl-trailer", false, true),
        ("te-trailer", true, true),
    ] {
        let key = format!("signed-{name}");
        let mut req = s3
            .req("PUT", &obj_path("strm", &key))
            .header("content-encoding", "aws-chunked")
            .header("x-amz-decoded-content-length", &d.len().to_string());
        let hash = if trailer {
            req = req.header("x-amz-trailer", "x-amz-checksum-crc32c");
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
        } else {
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
        };
        let crc2 = crc.clone();
        let d2 = d.clone();
        let r = req
            .payload_hash(hash)
            .send_with(move |signer| {
                let trailers: Vec<(&str, &str)> = if trailer {
                    vec![("x-amz-checksum-crc32c", crc2.as_str())]
                } else {
                    vec![]
                };
                let pieces = aws_chunked(
                    ChunkSignatureMode::Signed(signer.expect("signed")),
                    &d2,
                    64 * 1024,
                    &trailers,
                );
                Some(if te_chunked {
                    Body::Chunked(pieces)
                } else {
                    Body::Bytes(concat(&pieces))
                })
            })
            .await;
        r.ok(200);
        assert_eq!(r.etag(), md5_hex(&d), "{name}");
        if trailer {
            assert_eq!(r.header("x-amz-checksum-crc32c"), Some(crc.as_str()));
        }
        assert_eq!(
            s3.get("strm", &key).await.ok(200).body.as_ref(),
            d.as_slice(),
            "{name}"
        );
    }

    // A chunk whose data was changed after signing, a chain signed with another key, and a
    // wrong trailer signature are refused; nothing is stored.
    let tamper = |pieces: &mut Vec<Bytes>| {
        let mut v = pieces[1].to_vec();
        v[10] ^= 1;
        pieces[1] = v.into();
    };
    let r = s3
        .req("PUT", "/strm/bad-chunk")
        .header("content-encoding", "aws-chunked")
        .header("x-amz-decoded-content-length", &d.len().to_string())
        .payload_hash("STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
        .send_with(|signer| {
            let mut pieces = aws_chunked(
                ChunkSignatureMode::Signed(signer.expect("signed")),
                &d,
                64 * 1024,
                &[],
            );
            tamper(&mut pieces);
            Some(Body::Bytes(concat(&pieces)))
        })
        .await;
    r.error(403, "SignatureDoesNotMatch");
    let r = s3
        .req("PUT", "/strm/bad-seed")
        .header("content-encoding", "aws-chunked")
        .header("x-amz-decoded-content-length", &d.len().to_string())
        .payload_hash("STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
        .send_with(|signer| {
            let mut s = signer.expect("signed");
            s.seed_signature = "0".repeat(64);
            Some(Body::Bytes(concat(&aws_chunked(
                ChunkSignatureMode::Signed(s),
                &d,
                64 * 1024,
                &[],
            ))))
        })
        .await;
    r.error(403, "SignatureDoesNotMatch");
    let r = s3
        .req("PUT", "/strm/bad-trailer")
        .header("content-encoding", "aws-chunked")
        .header("x-amz-decoded-content-length", &d.len().to_string())
        .header("x-amz-trailer", "x-amz-checksum-crc32c")
        .payload_hash("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")
        .send_with(|signer| {
            let pieces = aws_chunked(
                ChunkSignatureMode::Signed(signer.expect("signed")),
                &d,
                64 * 1024,
                &[("x-amz-checksum-crc32c", &crc)],
            );
            let mut body = concat(&pieces).to_vec();
            // Change the trailer signature's last hex digit.
            let n = body.len();
            let i = n - 5;
            body[i] = if body[i] == b'0' { b'1' } else { b'0' };
            Some(Body::Bytes(body.into()))
        })
        .await;
    r.error(403, "SignatureDoesNotMatch");
    // Declared length differs from the decoded length.
    let r = s3
        .req("PUT", "/strm/bad-len")
        .header("content-encoding", "aws-chunked")
        .header("x-amz-decoded-content-length", &(d.len() + 1).to_string())
        .payload_hash("STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
        .send_with(|signer| {
            Some(Body::Bytes(concat(&aws_chunked(
                ChunkSignatureMode::Signed(signer.expect("signed")),
                &d,
                64 * 1024,
                &[],
            ))))
        })
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    for k in ["bad-chunk", "bad-seed", "bad-trailer", "bad-len"] {
        s3.head("strm", k).await.ok(404);
    }

    // Signed streaming parts of a multipart upload.
    let up = s3.create_upload("strm", "mp").await;
    let parts = [common::data(M, 2), common::data(1234, 3)];
    let mut etags = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        let p2 = p.clone();
        let r = s3
            .req("PUT", "/strm/mp")
            .query(&format!("partNumber={}&uploadId={}", i + 1, q(&up)))
            .header("content-encoding", "aws-chunked")
            .header("x-amz-decoded-content-length", &p.len().to_string())
            .payload_hash("STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
            .send_with(move |signer| {
                Some(Body::Chunked(aws_chunked(
                    ChunkSignatureMode::Signed(signer.expect("signed")),
                    &p2,
                    8192,
                    &[],
                )))
            })
            .await;
        etags.push(r.ok(200).etag());
        assert_eq!(etags[i], md5_hex(p));
    }
    s3.complete("strm", "mp", &up, &[(1, &etags[0]), (2, &etags[1])])
        .await
        .ok(200);
    let g = s3.get("strm", "mp").await;
    assert_eq!(g.ok(200).body.as_ref(), parts.concat().as_slice());
    assert_eq!(g.etag(), multipart_etag(&[&parts[0], &parts[1]]));
    let st = s3.state().await;
    assert_eq!(st["orphan_blobs"], 0);
    assert_eq!(st["blob_count"], 4 + 2);
}

async fn unsigned_trailer(backend: Backend) {
    // What boto3 sends over HTTPS: HTTP chunking outside, aws-chunked inside, checksum trailer.
    for signed in [false, true] {
        let b = builder(backend).min_part_size(MIN_PART);
        let b = if signed { b.credentials(AK, SK) } else { b };
        let (_server, s3) = start_with(b).await;
        let s3 = if signed { s3.signed(AK, SK) } else { s3 };
        s3.create_bucket("trl").await.ok(200);
        let d = common::data(300_001, 4);
        for alg in Alg::ALL {
            let key = format!("obj-{}", alg.name());
            let value = alg.b64(&d);
            let trailer = alg.header();
            let pieces = aws_chunked(
                ChunkSignatureMode::Unsigned,
                &d,
                64 * 1024,
                &[(trailer.as_str(), value.as_str())],
            );
            let r = s3
                .req("PUT", &obj_path("trl", &key))
                .header("content-encoding", "aws-chunked")
                .header("x-amz-decoded-content-length", &d.len().to_string())
                .header("x-amz-trailer", &trailer)
                .header("x-amz-sdk-checksum-algorithm", alg.name())
                .payload_hash("STREAMING-UNSIGNED-PAYLOAD-TRAILER")
                .chunked(pieces)
                .send()
                .await;
            r.ok(200);
            assert_eq!(r.etag(), md5_hex(&d), "{alg:?}");
            assert_eq!(r.header(&trailer), Some(value.as_str()), "{alg:?} echoed");
            let g = s3
                .req("GET", &obj_path("trl", &key))
                .header("x-amz-checksum-mode", "ENABLED")
                .send()
                .await;
            assert_eq!(g.ok(200).body.as_ref(), d.as_slice());
            assert_eq!(g.header(&trailer), Some(value.as_str()), "{alg:?} on GET");
            assert_eq!(g.header("x-amz-checksum-type"), Some("FULL_OBJECT"));
            // Content-Encoding aws-chunked is not part of the object.
            assert_eq!(g.header("content-encoding"), None);

            // The same, with a wrong trailer value.
            let wrong = alg.b64(b"something else");
            let pieces = aws_chunked(
                ChunkSignatureMode::Unsigned,
                &d,
                64 * 1024,
                &[(trailer.as_str(), wrong.as_str())],
            );
            let r = s3
                .req("PUT", &obj_path("trl", &format!("bad-{key}")))
                .header("content-encoding", "aws-chunked")
                .header("x-amz-decoded-content-length", &d.len().to_string())
                .header("x-amz-trailer", &trailer)
                .payload_hash("STREAMING-UNSIGNED-PAYLOAD-TRAILER")
                .chunked(pieces)
                .send()
                .await;
            r.error(400, "BadDigest");
        }
        // Announced trailer never sent.
        let r = s3
            .req("PUT", "/trl/no-trailer")
            .header("content-encoding", "aws-chunked")
            .header("x-amz-decoded-content-length", &d.len().to_string())
            .header("x-amz-trailer", "x-amz-checksum-crc32")
            .payload_hash("STREAMING-UNSIGNED-PAYLOAD-TRAILER")
            .chunked(aws_chunked(
                ChunkSignatureMode::Unsigned,
                &d,
                64 * 1024,
                &[],
            ))
            .send()
            .await;
        assert_eq!(r.status, 400, "{}", r.text());
        // Truncated aws-chunked body (no final chunk).
        let mut pieces = aws_chunked(ChunkSignatureMode::Unsigned, &d, 64 * 1024, &[]);
        pieces.pop();
        let r = s3
            .req("PUT", "/trl/truncated")
            .header("content-encoding", "aws-chunked")
            .header("x-amz-decoded-content-length", &d.len().to_string())
            .payload_hash("STREAMING-UNSIGNED-PAYLOAD-TRAILER")
            .chunked(pieces)
            .send()
            .await;
        assert_eq!(r.status, 400, "{}", r.text());
        let x = s3.list("trl").await;
        assert_eq!(x.count("Contents"), 5, "only the good objects: {}", x.raw());
        let st = s3.state().await;
        assert_eq!(st["blob_count"], 5);
    }
}

async fn plain_and_http_chunked_bodies(backend: Backend) {
    let (_server, s3) = start(backend).await;
    s3.create_bucket("plain").await.ok(200);
    let d = common::data(150_000, 6);
    let pieces: Vec<Bytes> = d.chunks(10_000).map(Bytes::copy_from_slice).collect();
    let r = s3
        .req("PUT", "/plain/te")
        .chunked(pieces.clone())
        .send()
        .await;
    assert_eq!(r.ok(200).etag(), md5_hex(&d));
    assert_eq!(s3.get("plain", "te").await.body.as_ref(), d.as_slice());
    let up = s3.create_upload("plain", "mp").await;
    let r = s3
        .req("PUT", "/plain/mp")
        .query(&format!("partNumber=1&uploadId={}", q(&up)))
        .header("expect", "100-continue")
        .chunked(pieces)
        .send()
        .await;
    let e = r.ok(200).etag();
    s3.complete("plain", "mp", &up, &[(1, &e)]).await.ok(200);
    assert_eq!(s3.get("plain", "mp").await.body.as_ref(), d.as_slice());
    // A header SHA-256 of the body is checked.
    s3.req("PUT", "/plain/sha")
        .payload_hash(&common::digest::sha256_hex(&d))
        .body(d.clone())
        .send()
        .await
        .ok(200);
    s3.req("PUT", "/plain/sha")
        .payload_hash(&common::digest::sha256_hex(b"x"))
        .body(d.clone())
        .send()
        .await
        .error(400, "XAmzContentSHA256Mismatch");
}

async fn header_checksums(backend: Backend) {
    let (_server, s3) = start(backend).await;
    s3.create_bucket("hdr").await.ok(200);
    let d = common::data(77_777, 7);
    for alg in Alg::ALL {
        let key = format!("h-{}", alg.name());
        let value = alg.b64(&d);
        let r = s3
            .req("PUT", &obj_path("hdr", &key))
            .header(&alg.header(), &value)
            .header("x-amz-sdk-checksum-algorithm", alg.name())
            .body(d.clone())
            .send()
            .await;
        r.ok(200);
        assert_eq!(
            r.header(&alg.header()),
            Some(value.as_str()),
            "{alg:?} echoed"
        );
        // Returned on GET and HEAD only in checksum mode.
        let g = s3.get("hdr", &key).await;
        assert_eq!(g.header(&alg.header()), None);
        for method in ["GET", "HEAD"] {
            let g = s3
                .req(method, &obj_path("hdr", &key))
                .header("x-amz-checksum-mode", "ENABLED")
                .send()
                .await;
            g.ok(200);
            assert_eq!(
                g.header(&alg.header()),
                Some(value.as_str()),
                "{alg:?} {method}"
            );
            assert_eq!(g.header("x-amz-checksum-type"), Some("FULL_OBJECT"));
        }
        // Never on a ranged GET.
        let g = s3
            .req("GET", &obj_path("hdr", &key))
            .header("x-amz-checksum-mode", "ENABLED")
            .header("range", "bytes=0-99")
            .send()
            .await;
        g.ok(206);
        for a in Alg::ALL {
            assert_eq!(g.header(&a.header()), None, "ranged GET carries {a:?}");
        }
        // Mismatch and malformed values.
        let r = s3
            .req("PUT", &obj_path("hdr", &format!("bad-{key}")))
            .header(&alg.header(), &alg.b64(b"not the data"))
            .body(d.clone())
            .send()
            .await;
        r.error(400, "BadDigest");
        let r = s3
            .req("PUT", &obj_path("hdr", &format!("bad-{key}")))
            .header(&alg.header(), "!!notbase64")
            .body(d.clone())
            .send()
            .await;
        r.error(400, "InvalidRequest");
        let r = s3
            .req("PUT", &obj_path("hdr", &format!("bad-{key}")))
            .header(&alg.header(), "AAAA")
            .body(d.clone())
            .send()
            .await;
        assert_eq!(r.status, 400, "{alg:?} wrong length: {}", r.text());
    }
    let st = s3.state().await;
    assert_eq!(st["blob_count"], 5, "refused bodies left nothing behind");
    let x = s3.list("hdr").await;
    assert_eq!(x.count("Contents"), 5);
}

/// A part of a complete request: number, ETag, and optionally its checksum element.
type DocPart<'a> = (u32, &'a str, Option<(Alg, String)>);

fn complete_with_checksums(parts: &[DocPart<'_>]) -> String {
    let mut s = String::from("<CompleteMultipartUpload>");
    for (n, etag, c) in parts {
        s.push_str(&format!(
            "<Part><ETag>{etag}</ETag><PartNumber>{n}</PartNumber>"
        ));
        if let Some((alg, v)) = c {
            s.push_str(&format!("<{0}>{v}</{0}>", alg.element()));
        }
        s.push_str("</Part>");
    }
    s.push_str("</CompleteMultipartUpload>");
    s
}

async fn upload_with(s3: &common::S3, key: &str, alg: Alg, ty: Option<&str>) -> String {
    let mut r = s3
        .req("POST", &obj_path("cks", key))
        .query("uploads")
        .header("x-amz-checksum-algorithm", alg.name());
    if let Some(t) = ty {
        r = r.header("x-amz-checksum-type", t);
    }
    let r = r.send().await;
    r.ok(200);
    assert_eq!(r.header("x-amz-checksum-algorithm"), Some(alg.name()));
    r.xml().one("UploadId").to_string()
}

async fn put_part(s3: &common::S3, key: &str, up: &str, n: u32, alg: Alg, data: &[u8]) -> String {
    let r = s3
        .req("PUT", &obj_path("cks", key))
        .query(&format!("partNumber={n}&uploadId={}", q(up)))
        .header(&alg.header(), &alg.b64(data))
        .body(data.to_vec())
        .send()
        .await;
    r.ok(200);
    assert_eq!(r.header(&alg.header()), Some(alg.b64(data).as_str()));
    r.etag()
}

async fn composite_checksums(backend: Backend) {
    let (_server, s3) = start(backend).await;
    s3.create_bucket("cks").await.ok(200);
    let parts = [
        common::data(M, 1),
        common::data(M + 3, 2),
        common::data(500, 3),
    ];
    for alg in [Alg::Crc32, Alg::Crc32c, Alg::Sha1, Alg::Sha256] {
        let key = format!("comp-{}", alg.name());
        let r = s3
            .req("POST", &obj_path("cks", &key))
            .query("uploads")
            .header("x-amz-checksum-algorithm", alg.name())
            .send()
            .await;
        r.ok(200);
        assert_eq!(
            r.header("x-amz-checksum-type"),
            Some("COMPOSITE"),
            "{alg:?}"
        );
        let up = r.xml().one("UploadId").to_string();
        // A part whose checksum does not match is refused.
        s3.req("PUT", &obj_path("cks", &key))
            .query(&format!("partNumber=1&uploadId={}", q(&up)))
            .header(&alg.header(), &alg.b64(b"wrong"))
            .body(parts[0].clone())
            .send()
            .await
            .error(400, "BadDigest");
        let e1 = put_part(&s3, &key, &up, 1, alg, &parts[0]).await;
        let e2 = put_part(&s3, &key, &up, 2, alg, &parts[1]).await;
        // Part 3 with its checksum in an aws-chunked trailer over HTTP chunking.
        let v3 = alg.b64(&parts[2]);
        let r = s3
            .req("PUT", &obj_path("cks", &key))
            .query(&format!("partNumber=3&uploadId={}", q(&up)))
            .header("content-encoding", "aws-chunked")
            .header("x-amz-decoded-content-length", &parts[2].len().to_string())
            .header("x-amz-trailer", &alg.header())
            .payload_hash("STREAMING-UNSIGNED-PAYLOAD-TRAILER")
            .chunked(aws_chunked(
                ChunkSignatureMode::Unsigned,
                &parts[2],
                100,
                &[(alg.header().as_str(), v3.as_str())],
            ))
            .send()
            .await;
        let e3 = r.ok(200).etag();
        assert_eq!(r.header(&alg.header()), Some(v3.as_str()));
        // ListParts shows each part's checksum.
        let x = s3
            .req("GET", &obj_path("cks", &key))
            .query(&format!("uploadId={}", q(&up)))
            .send()
            .await
            .ok(200)
            .xml();
        let el = format!("Part/{}", alg.element());
        assert_eq!(
            x.all(&el),
            parts.iter().map(|p| alg.b64(p)).collect::<Vec<_>>()
        );
        // A complete listing a wrong part checksum is refused.
        let doc = complete_with_checksums(&[
            (1, &e1, Some((alg, alg.b64(b"wrong")))),
            (2, &e2, Some((alg, alg.b64(&parts[1])))),
        ]);
        s3.req("POST", &obj_path("cks", &key))
            .query(&format!("uploadId={}", q(&up)))
            .body(doc)
            .send()
            .await
            .error(400, "InvalidPart");
        let doc = complete_with_checksums(&[
            (1, &e1, Some((alg, alg.b64(&parts[0])))),
            (2, &e2, Some((alg, alg.b64(&parts[1])))),
            (3, &e3, Some((alg, alg.b64(&parts[2])))),
        ]);
        let r = s3
            .req("POST", &obj_path("cks", &key))
            .query(&format!("uploadId={}", q(&up)))
            .body(doc)
            .send()
            .await;
        let x = r.ok(200).xml();
        let want = alg.composite(&[&parts[0], &parts[1], &parts[2]]);
        assert_eq!(x.one(&alg.element()), want, "{alg:?} composite");
        assert_eq!(x.one("ChecksumType"), "COMPOSITE");
        for method in ["GET", "HEAD"] {
            let g = s3
                .req(method, &obj_path("cks", &key))
                .header("x-amz-checksum-mode", "ENABLED")
                .send()
                .await;
            g.ok(200);
            assert_eq!(
                g.header(&alg.header()),
                Some(want.as_str()),
                "{alg:?} {method}"
            );
            assert_eq!(g.header("x-amz-checksum-type"), Some("COMPOSITE"));
        }
        // A part read never carries the whole object's checksum; if it carries one, it is
        // the part's own.
        for (i, p) in parts.iter().enumerate() {
            let g = s3
                .req("GET", &obj_path("cks", &key))
                .query(&format!("partNumber={}", i + 1))
                .header("x-amz-checksum-mode", "ENABLED")
                .send()
                .await;
            assert_eq!(g.ok(206).body.as_ref(), p.as_slice());
            if let Some(v) = g.header(&alg.header()) {
                assert_eq!(v, alg.b64(p), "partNumber={} {alg:?}", i + 1);
            }
        }
        let g = s3
            .req("GET", &obj_path("cks", &key))
            .header("x-amz-checksum-mode", "ENABLED")
            .header("range", "bytes=1-100")
            .send()
            .await;
        g.ok(206);
        assert_eq!(g.header(&alg.header()), None);
        assert_eq!(g.etag(), multipart_etag(&[&parts[0], &parts[1], &parts[2]]));
    }
    // In a COMPOSITE upload every part needs its checksum: on upload, and again in the
    // complete request (as real S3 insists).
    let up = upload_with(&s3, "strict", Alg::Crc32c, None).await;
    let r = s3
        .req("PUT", "/cks/strict")
        .query(&format!("partNumber=1&uploadId={}", q(&up)))
        .body(parts[0].clone())
        .send()
        .await;
    let x = r.error(400, "InvalidRequest");
    assert!(x.one("Message").contains("crc32c"), "{}", x.raw());
    let e1 = put_part(&s3, "strict", &up, 1, Alg::Crc32c, &parts[0]).await;
    let e2 = put_part(&s3, "strict", &up, 2, Alg::Crc32c, &parts[2]).await;
    let doc = complete_with_checksums(&[
        (1, &e1, Some((Alg::Crc32c, Alg::Crc32c.b64(&parts[0])))),
        (2, &e2, None),
    ]);
    let x = s3
        .req("POST", "/cks/strict")
        .query(&format!("uploadId={}", q(&up)))
        .body(doc)
        .send()
        .await
        .error(400, "InvalidRequest");
    assert!(x.one("Message").contains("part 2"), "{}", x.raw());
    let doc = complete_with_checksums(&[
        (1, &e1, Some((Alg::Crc32c, Alg::Crc32c.b64(&parts[0])))),
        (2, &e2, Some((Alg::Crc32c, Alg::Crc32c.b64(&parts[2])))),
    ]);
    let x = s3
        .req("POST", "/cks/strict")
        .query(&format!("uploadId={}", q(&up)))
        .body(doc)
        .send()
        .await
        .ok(200)
        .xml();
    assert_eq!(
        x.one("ChecksumCRC32C"),
        Alg::Crc32c.composite(&[&parts[0], &parts[2]])
    );

    // A part with another algorithm than the upload's is refused.
    let up = upload_with(&s3, "mixed", Alg::Crc32, None).await;
    let r = s3
        .req("PUT", "/cks/mixed")
        .query(&format!("partNumber=1&uploadId={}", q(&up)))
        .header(&Alg::Crc32c.header(), &Alg::Crc32c.b64(b"data"))
        .body("data")
        .send()
        .await;
    r.error(400, "InvalidRequest");
    // Unknown algorithm or type at initiate.
    s3.req("POST", "/cks/x")
        .query("uploads")
        .header("x-amz-checksum-algorithm", "MD4")
        .send()
        .await
        .error(400, "InvalidArgument");
    s3.req("POST", "/cks/x")
        .query("uploads")
        .header("x-amz-checksum-algorithm", "CRC32")
        .header("x-amz-checksum-type", "PARTIAL")
        .send()
        .await
        .error(400, "InvalidArgument");
}

async fn full_object_checksums(backend: Backend) {
    let (_server, s3) = start(backend).await;
    s3.create_bucket("cks").await.ok(200);
    let parts = [
        common::data(M + 1, 4),
        common::data(M, 5),
        common::data(7, 6),
    ];
    let whole = parts.concat();
    for (alg, ty) in [
        (Alg::Crc64Nvme, None),
        (Alg::Crc32, Some("FULL_OBJECT")),
        (Alg::Crc32c, Some("FULL_OBJECT")),
        (Alg::Crc64Nvme, Some("FULL_OBJECT")),
    ] {
        let key = format!("full-{}-{}", alg.name(), ty.is_some());
        let up = upload_with(&s3, &key, alg, ty).await;
        let mut etags = Vec::new();
        for (i, p) in parts.iter().enumerate() {
            etags.push(put_part(&s3, &key, &up, i as u32 + 1, alg, p).await);
        }
        let r = s3
            .complete(
                "cks",
                &key,
                &up,
                &[(1, &etags[0]), (2, &etags[1]), (3, &etags[2])],
            )
            .await;
        let x = r.ok(200).xml();
        let want = alg.b64(&whole);
        assert_eq!(x.one(&alg.element()), want, "{alg:?} full object");
        assert_eq!(x.one("ChecksumType"), "FULL_OBJECT");
        let g = s3
            .req("GET", &obj_path("cks", &key))
            .header("x-amz-checksum-mode", "ENABLED")
            .send()
            .await;
        assert_eq!(g.ok(200).body.as_ref(), whole.as_slice());
        assert_eq!(g.header(&alg.header()), Some(want.as_str()));
        assert_eq!(g.header("x-amz-checksum-type"), Some("FULL_OBJECT"));
        // The whole object's value never comes with a part or a range.
        for (i, p) in parts.iter().enumerate() {
            let g = s3
                .req("GET", &obj_path("cks", &key))
                .query(&format!("partNumber={}", i + 1))
                .header("x-amz-checksum-mode", "ENABLED")
                .send()
                .await;
            assert_eq!(g.ok(206).body.as_ref(), p.as_slice());
            if let Some(v) = g.header(&alg.header()) {
                assert_eq!(v, alg.b64(p), "partNumber={}", i + 1);
            }
        }
        let g = s3
            .req("GET", &obj_path("cks", &key))
            .header("x-amz-checksum-mode", "ENABLED")
            .header("range", "bytes=0-")
            .send()
            .await;
        g.ok(206);
        assert_eq!(g.header(&alg.header()), None);
    }
    // Parts sent without their checksum: the server computes them (and does not echo one),
    // and the object still gets its FULL_OBJECT checksum; none is needed in the complete.
    let up = upload_with(&s3, "bare", Alg::Crc32, Some("FULL_OBJECT")).await;
    let mut etags = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        let r = s3.upload_part("cks", "bare", &up, i as u32 + 1, p).await;
        r.ok(200);
        assert_eq!(r.header("x-amz-checksum-crc32"), None);
        etags.push(r.etag());
    }
    let x = s3
        .complete(
            "cks",
            "bare",
            &up,
            &[(1, &etags[0]), (2, &etags[1]), (3, &etags[2])],
        )
        .await
        .ok(200)
        .xml();
    assert_eq!(x.one("ChecksumCRC32"), Alg::Crc32.b64(&whole));
    assert_eq!(x.one("ChecksumType"), "FULL_OBJECT");

    // FULL_OBJECT exists only for the CRCs.
    for alg in [Alg::Sha1, Alg::Sha256] {
        let r = s3
            .req("POST", "/cks/sha")
            .query("uploads")
            .header("x-amz-checksum-algorithm", alg.name())
            .header("x-amz-checksum-type", "FULL_OBJECT")
            .send()
            .await;
        r.error(400, "InvalidRequest");
    }
}

/// A complete may carry the whole object as the client sees it — `x-amz-checksum-<alg>`,
/// `x-amz-checksum-type`, `x-amz-mp-object-size` — and S3 refuses it when the parts make
/// something else, leaving the upload as it was.
async fn complete_checks_the_whole_object(backend: Backend) {
    let (_server, s3) = start(backend).await;
    s3.create_bucket("cks").await.ok(200);
    let parts = [common::data(M + 1, 7), common::data(9, 8)];
    let whole = parts.concat();
    let complete =
        |key: &'static str, up: String, doc: String, headers: Vec<(&'static str, String)>| {
            let s3 = &s3;
            async move {
                let mut r = s3
                    .req("POST", &obj_path("cks", key))
                    .query(&format!("uploadId={}", q(&up)))
                    .body(doc);
                for (h, v) in &headers {
                    r = r.header(h, v);
                }
                r.send().await
            }
        };

    // FULL_OBJECT CRC32.
    let up = upload_with(&s3, "full", Alg::Crc32, Some("FULL_OBJECT")).await;
    let e1 = put_part(&s3, "full", &up, 1, Alg::Crc32, &parts[0]).await;
    let e2 = put_part(&s3, "full", &up, 2, Alg::Crc32, &parts[1]).await;
    let doc = complete_xml(&[(1, &e1), (2, &e2)]);
    let right = Alg::Crc32.b64(&whole);
    let size = whole.len().to_string();
    let refused: [(Vec<(&str, String)>, &str); 5] = [
        (
            vec![("x-amz-checksum-crc32", Alg::Crc32.b64(&parts[0]))],
            "BadDigest",
        ),
        (
            vec![("x-amz-checksum-crc32c", Alg::Crc32c.b64(&whole))],
            "InvalidRequest",
        ),
        (
            vec![("x-amz-checksum-type", "COMPOSITE".into())],
            "InvalidRequest",
        ),
        (
            vec![("x-amz-mp-object-size", (whole.len() - 1).to_string())],
            "InvalidRequest",
        ),
        (
            vec![("x-amz-mp-object-size", "lots".into())],
            "InvalidArgument",
        ),
    ];
    for (headers, code) in refused {
        let what = format!("{headers:?}");
        let r = complete("full", up.clone(), doc.clone(), headers).await;
        assert_eq!(r.status, 400, "{what}: {}", r.text());
        assert_eq!(r.xml().one("Code"), code, "{what}");
    }
    let st = s3.state().await;
    assert_eq!(st["blob_count"], 2, "the parts are still there");
    assert_eq!(s3.list("cks").await.count("Contents"), 0, "no object");
    let r = complete(
        "full",
        up,
        doc,
        vec![
            ("x-amz-checksum-crc32", right.clone()),
            ("x-amz-checksum-type", "FULL_OBJECT".into()),
            ("x-amz-mp-object-size", size),
        ],
    )
    .await;
    assert_eq!(r.ok(200).xml().one("ChecksumCRC32"), right);
    let g = s3.req("GET", &obj_path("cks", "full")).send().await;
    assert_eq!(g.ok(200).body.as_ref(), whole.as_slice());

    // COMPOSITE SHA256: the value with or without its -N.
    for (key, with_n) in [("comp-n", true), ("comp", false)] {
        let up = upload_with(&s3, key, Alg::Sha256, None).await;
        let e1 = put_part(&s3, key, &up, 1, Alg::Sha256, &parts[0]).await;
        let e2 = put_part(&s3, key, &up, 2, Alg::Sha256, &parts[1]).await;
        let doc = complete_with_checksums(&[
            (1, &e1, Some((Alg::Sha256, Alg::Sha256.b64(&parts[0])))),
            (2, &e2, Some((Alg::Sha256, Alg::Sha256.b64(&parts[1])))),
        ]);
        let want = Alg::Sha256.composite(&[&parts[0], &parts[1]]);
        let wrong = Alg::Sha256.composite(&[&parts[1], &parts[0]]);
        let sent = |v: &str| {
            if with_n {
                v.to_string()
            } else {
                v.split('-').next().unwrap_or(v).to_string()
            }
        };
        let r = complete(
            key,
            up.clone(),
            doc.clone(),
            vec![("x-amz-checksum-sha256", sent(&wrong))],
        )
        .await;
        assert_eq!(r.status, 400, "{key}: {}", r.text());
        assert_eq!(r.xml().one("Code"), "BadDigest");
        let r = complete(key, up, doc, vec![("x-amz-checksum-sha256", sent(&want))]).await;
        assert_eq!(r.ok(200).xml().one("ChecksumSHA256"), want, "{key}");
    }

    // An upload created without a checksum has nothing to compare, as on S3.
    let up = s3.create_upload("cks", "plain").await;
    let e1 = s3
        .upload_part("cks", "plain", &up, 1, &parts[0])
        .await
        .etag();
    let r = complete(
        "plain",
        up,
        complete_xml(&[(1, &e1)]),
        vec![("x-amz-checksum-crc32", Alg::Crc32.b64(b"other"))],
    )
    .await;
    r.ok(200);
}

both_backends!(
    signed_streaming,
    complete_checks_the_whole_object,
    unsigned_trailer,
    plain_and_http_chunked_bodies,
    header_checksums,
    composite_checksums,
    full_object_checksums,
);
