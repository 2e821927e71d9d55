//! Verification of real SDK requests from `shared/captures/*.txt` (request heads copied
//! verbatim). The captures replaced port numbers with `PORT`; SigV4 signs the `Host` header,
//! so the real port of each capture session was recovered once by searching the 65535
//! candidates against the recorded signature, and is substituted back here. SigV2, OBS and
//! QingStor do not sign `Host`.

use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};

use super::clock::{parse_amz_date, parse_http_date};
use super::{
    verify, AuthError, Credentials, PayloadHash, Scheme, SignableRequest, StaticCredentials,
};
use crate::aws_chunked::{AwsChunkedDecoder, ChunkSignatureMode};
use crate::checksum::{Checksum, ChecksumAlgorithm};

const BOTO3_HTTP_PORT: &str = "34515";
const BOTO3_HTTPS_PORT: &str = "44769";
const BOTO3_VIRTUAL_PORT: &str = "37311";
const OBS_V4_PORT: &str = "34697";

fn creds() -> StaticCredentials {
    StaticCredentials::new(vec![
        Credentials::new(
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
        Credentials::new(
            "QYACCESSKEYIDEXAMPLE",
            "SECRETACCESSKEY0EXAMPLE0QINGSTOR0SECRET",
        ),
    ])
}

/// A captured request head: request line and headers.
struct Captured {
    method: String,
    path: String,
    query: String,
    headers: HeaderMap,
}

impl Captured {
    fn parse(text: &str, port: &str) -> Self {
        let mut lines = text.trim().lines();
        let request_line = lines.next().unwrap();
        let mut parts = request_line.split(' ');
        let method = parts.next().unwrap().to_owned();
        let target = parts.next().unwrap();
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut headers = HeaderMap::new();
        for line in lines {
            let (name, value) = line.split_once(": ").unwrap();
            headers.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(&value.replace("PORT", port)).unwrap(),
            );
        }
        Self {
            method,
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
        }
    }

    fn request<'a>(&'a self, vhb: Option<&'a str>) -> SignableRequest<'a> {
        SignableRequest {
            method: &self.method,
            raw_path: &self.path,
            raw_query: &self.query,
            headers: &self.headers,
            virtual_host_bucket: vhb,
        }
    }

    /// The request's own signed time: X-Amz-Date, else Date.
    fn time(&self) -> SystemTime {
        match self.headers.get("x-amz-date") {
            Some(v) => parse_amz_date(v.to_str().unwrap()).unwrap(),
            None => parse_http_date(self.headers["date"].to_str().unwrap()).unwrap(),
        }
    }

    fn verify(&self, vhb: Option<&str>) -> Result<super::Verified, AuthError> {
        verify(&self.request(vhb), &creds(), self.time())
    }
}

fn assert_verifies(text: &str, port: &str, vhb: Option<&str>, scheme: Scheme) -> Captured {
    let c = Captured::parse(text, port);
    let v = c.verify(vhb).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(v.scheme, scheme);
    c
}

fn assert_mismatch(c: &Captured, vhb: Option<&str>) {
    assert!(
        matches!(c.verify(vhb), Err(AuthError::SignatureDoesNotMatch { .. })),
        "tampered capture still verified"
    );
}

// --- boto3 1.44.5, SigV4, plain HTTP (boto3_127.0.0.1_http_multipart-lowlevel.txt) ---

const BOTO3_UPLOAD_PART: &str = "\
PUT /s3-bucket/big/object.bin?uploadId=1E982323956640EF87E163E209E3CEC0&partNumber=1 HTTP/1.1
Host: 127.0.0.1:PORT
Accept-Encoding: identity
User-Agent: Boto3/1.44.5 md/Botocore#1.44.5 ua/2.1 os/linux#6.18.44-fc-v669 md/arch#x86_64 lang/python#3.11.7 md/pyimpl#CPython m/e,U,N,b,E,Z cfg/retry-mode#standard Botocore/1.44.5
Expect: 100-continue
x-amz-checksum-crc32: Itkxeg==
x-amz-sdk-checksum-algorithm: CRC32
X-Amz-Date: 20261121T043022Z
X-Amz-Content-SHA256: b118eff73e3b23a4cff82976e77880a0ea2fdefbc5d0fc44494afc1b7e4cdde0
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261121/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-crc32;x-amz-content-sha256;x-amz-date;x-amz-sdk-checksum-algorithm, Signature=724be407f0f60450a9030d514dd683e193966c678d4d258f344e6b8f157ffa4c
amz-sdk-invocation-id: 7066004f-28e6-4513-ac10-55f70f6c4307
amz-sdk-request: attempt=1; max=3
Content-Length: 5242880";

const BOTO3_LIST_UPLOADS: &str = "\
GET /s3-bucket?uploads&prefix=big%2F HTTP/1.1
Host: 127.0.0.1:PORT
Accept-Encoding: identity
User-Agent: Boto3/1.44.5 md/Botocore#1.44.5 ua/2.1 os/linux#6.18.44-fc-v669 md/arch#x86_64 lang/python#3.11.7 md/pyimpl#CPython m/e,N,b,E,Z cfg/retry-mode#standard Botocore/1.44.5
X-Amz-Date: 20261121T043022Z
X-Amz-Content-SHA256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261121/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=d902b7acf617973a53ae1e6dbc791f50a71945db647ee22be94b655d2c483299
amz-sdk-invocation-id: e920a360-8181-4868-9c59-30fbb3b0494f
amz-sdk-request: attempt=1; max=3";

const BOTO3_COPY_PART: &str = "\
PUT /s3-bucket/big/object.bin?uploadId=1E982323956640EF87E163E209E3CEC0&partNumber=3 HTTP/1.1
Host: 127.0.0.1:PORT
Accept-Encoding: identity
x-amz-copy-source: s3-bucket/src.txt
x-amz-copy-source-range: bytes=0-99
User-Agent: Boto3/1.44.5 md/Botocore#1.44.5 ua/2.1 os/linux#6.18.44-fc-v669 md/arch#x86_64 lang/python#3.11.7 md/pyimpl#CPython m/e,N,b,E,Z cfg/retry-mode#standard Botocore/1.44.5
X-Amz-Date: 20261121T043022Z
X-Amz-Content-SHA256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261121/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-copy-source;x-amz-copy-source-range;x-amz-date, Signature=e3169111557d59573d38a2e5373b1ccb57908160c842014f5d75d6d74e15d90a
amz-sdk-invocation-id: 9b58631f-0b2f-41e0-bef0-ecfed07b1def
amz-sdk-request: attempt=1; max=3
Content-Length: 0";

const BOTO3_RANGED_GET: &str = "\
GET /s3-bucket/big/object.bin HTTP/1.1
Host: 127.0.0.1:PORT
Accept-Encoding: identity
Range: bytes=0-9
x-amz-checksum-mode: ENABLED
User-Agent: Boto3/1.44.5 md/Botocore#1.44.5 ua/2.1 os/linux#6.18.44-fc-v669 md/arch#x86_64 lang/python#3.11.7 md/pyimpl#CPython m/e,N,b,E,Z cfg/retry-mode#standard Botocore/1.44.5
X-Amz-Date: 20261121T043022Z
X-Amz-Content-SHA256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261121/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=57d0a8fd94125b67ee4145b7ff93a61cdb4122c65ac6ac481ad6b84157d27b63
amz-sdk-invocation-id: 851c1ce7-d1ac-49c3-b626-cc73f2512eff
amz-sdk-request: attempt=1; max=3";

#[test]
fn boto3_sigv4_plain_http() {
    let c = assert_verifies(BOTO3_UPLOAD_PART, BOTO3_HTTP_PORT, None, Scheme::SigV4);
    let v = c.verify(None).unwrap();
    assert!(
        matches!(v.payload, PayloadHash::Sha256(h) if hex::encode(h) == "b118eff73e3b23a4cff82976e77880a0ea2fdefbc5d0fc44494afc1b7e4cdde0")
    );
    assert_eq!(v.access_key, "AKIAIOSFODNN7EXAMPLE");
    assert_verifies(BOTO3_LIST_UPLOADS, BOTO3_HTTP_PORT, None, Scheme::SigV4);
    assert_verifies(BOTO3_COPY_PART, BOTO3_HTTP_PORT, None, Scheme::SigV4);
    assert_verifies(BOTO3_RANGED_GET, BOTO3_HTTP_PORT, None, Scheme::SigV4);

    // The port is signed: any other port fails.
    assert_mismatch(&Captured::parse(BOTO3_UPLOAD_PART, "34516"), None);
    // The same query, percent-encoded differently, still verifies (canonical query re-encodes).
    let mut c = Captured::parse(BOTO3_LIST_UPLOADS, BOTO3_HTTP_PORT);
    c.query = "prefix=big/&uploads=".into();
    assert!(c.verify(None).is_ok());
    // A different copy source range does not.
    let text = BOTO3_COPY_PART.replace("bytes=0-99", "bytes=0-98");
    assert_mismatch(&Captured::parse(&text, BOTO3_HTTP_PORT), None);
}

// --- boto3 virtual-host addressing (boto3_localhost_addressing-styles.txt) ---

const BOTO3_VIRTUAL_INITIATE: &str = "\
POST /big/object.bin?uploads HTTP/1.1
Host: s3-bucket.localhost:PORT
Accept-Encoding: identity
User-Agent: Boto3/1.44.5 md/Botocore#1.44.5 ua/2.1 os/linux#6.18.44-fc-v669 md/arch#x86_64 lang/python#3.11.7 md/pyimpl#CPython m/e,b,N,E,Z cfg/retry-mode#standard Botocore/1.44.5
X-Amz-Date: 20261121T043035Z
X-Amz-Content-SHA256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261121/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=8b56b470195651d8670af98aac820ee6da32e5b060bcf05a1f19a16849900501
amz-sdk-invocation-id: c47631eb-4555-4b78-b55f-af5645be455e
amz-sdk-request: attempt=1; max=3
Content-Length: 0";

#[test]
fn boto3_sigv4_virtual_host() {
    // SigV4 signs the path as sent; the bucket in Host does not enter the canonical URI.
    assert_verifies(
        BOTO3_VIRTUAL_INITIATE,
        BOTO3_VIRTUAL_PORT,
        Some("s3-bucket"),
        Scheme::SigV4,
    );
}

// --- boto3 over HTTPS: STREAMING-UNSIGNED-PAYLOAD-TRAILER (boto3_127.0.0.1_https_aws-chunked-trailer.txt) ---

const BOTO3_TLS_PUT: &str = "\
PUT /s3-bucket/small.txt HTTP/1.1
Host: 127.0.0.1:PORT
Accept-Encoding: identity
User-Agent: Boto3/1.44.5 md/Botocore#1.44.5 ua/2.1 os/linux#6.18.44-fc-v669 md/arch#x86_64 lang/python#3.11.7 md/pyimpl#CPython m/N,Z,E,e,b,U cfg/retry-mode#standard Botocore/1.44.5
Expect: 100-continue
Transfer-Encoding: chunked
Content-Encoding: aws-chunked
X-Amz-Trailer: x-amz-checksum-crc32
X-Amz-Decoded-Content-Length: 14
x-amz-sdk-checksum-algorithm: CRC32
X-Amz-Date: 20261121T043023Z
X-Amz-Content-SHA256: STREAMING-UNSIGNED-PAYLOAD-TRAILER
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261121/us-east-1/s3/aws4_request, SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-sdk-checksum-algorithm;x-amz-trailer, Signature=09a50ff652bc983a66c3a981010f409c606894e62643dae36d630b044b37ec65
amz-sdk-invocation-id: 6dda87f9-be8e-4dec-908d-c69321bef295
amz-sdk-request: attempt=1; max=3";

/// The de-chunked body of that request, as shown in the capture.
const BOTO3_TLS_BODY: &[u8] = b"e\r\nhello over tls\r\n0\r\nx-amz-checksum-crc32:Br5oYg==\r\n\r\n";

#[test]
fn boto3_streaming_unsigned_trailer() {
    let c = assert_verifies(BOTO3_TLS_PUT, BOTO3_HTTPS_PORT, None, Scheme::SigV4);
    let v = c.verify(None).unwrap();
    assert_eq!(v.payload, PayloadHash::StreamingUnsignedTrailer);
    assert_eq!(v.streaming, None);

    let mut decoder = AwsChunkedDecoder::new(ChunkSignatureMode::Unsigned).with_expected_len(14);
    let mut payload = Vec::new();
    for piece in decoder.feed(Bytes::from_static(BOTO3_TLS_BODY)).unwrap() {
        payload.extend_from_slice(&piece);
    }
    decoder.finish().unwrap();
    assert_eq!(payload, b"hello over tls");
    let trailer = decoder.trailer("x-amz-checksum-crc32").unwrap();
    let declared = Checksum::from_base64(ChecksumAlgorithm::Crc32, trailer).unwrap();
    assert_eq!(
        declared,
        Checksum::compute(ChecksumAlgorithm::Crc32, &payload)
    );

    // The signed x-amz-decoded-content-length cannot be changed.
    let text = BOTO3_TLS_PUT.replace("Decoded-Content-Length: 14", "Decoded-Content-Length: 15");
    assert_mismatch(&Captured::parse(&text, BOTO3_HTTPS_PORT), None);
}

// --- ObsClient(signature="v4"): no X-Amz-Date, Date header, region "region" (obs-sdk_127.0.0.1_signature-v4.txt) ---

const OBS_V4_CREATE_BUCKET: &str = "\
PUT /b HTTP/1.1
Accept-Encoding: identity
Content-Length: 0
Host: 127.0.0.1:PORT
Date: Sat, 21 Nov 2026 04:35:49 GMT
x-amz-content-sha256: UNSIGNED-PAYLOAD
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261121/region/s3/aws4_request,SignedHeaders=date;host;x-amz-content-sha256,Signature=545032db2579483d4b6d317b80e40ef47298d11f33847902fe26315bbd35bb1a
Connection: close
User-Agent: obs-sdk-python/3.26.6";

const OBS_V4_UPLOAD_PART: &str = "\
PUT /b/k.bin?partNumber=1&uploadId=8BE2636BC85B4EE6987695A8D757A606 HTTP/1.1
Accept-Encoding: identity
Content-Length: 3
Host: 127.0.0.1:PORT
Date: Sat, 21 Nov 2026 04:35:49 GMT
x-amz-content-sha256: UNSIGNED-PAYLOAD
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261121/region/s3/aws4_request,SignedHeaders=content-length;date;host;x-amz-content-sha256,Signature=210397a36f00b606d36aa7bad01329cbb730106ef7dd41de844260e2b1ce0bc4
Connection: close
User-Agent: obs-sdk-python/3.26.6";

#[test]
fn obs_sdk_sigv4_with_date_header() {
    let c = assert_verifies(OBS_V4_CREATE_BUCKET, OBS_V4_PORT, None, Scheme::SigV4);
    assert_eq!(c.verify(None).unwrap().payload, PayloadHash::Unsigned);
    assert_verifies(OBS_V4_UPLOAD_PART, OBS_V4_PORT, None, Scheme::SigV4);
    // The Date header is the signed timestamp.
    let text = OBS_V4_UPLOAD_PART.replace("04:35:49", "04:35:50");
    assert_mismatch(&Captured::parse(&text, OBS_V4_PORT), None);
    let text = OBS_V4_UPLOAD_PART.replace("Content-Length: 3", "Content-Length: 4");
    assert_mismatch(&Captured::parse(&text, OBS_V4_PORT), None);
}

// --- ObsClient on an IP: AWS SigV2 with x-amz- headers (obs-sdk_127.0.0.1_s3compat-v2-mode.txt) ---

const OBS_V2_CREATE_BUCKET: &str = "\
PUT /obs-bucket HTTP/1.1
Accept-Encoding: identity
Content-Length: 0
Host: 127.0.0.1:PORT
Date: Sat, 21 Nov 2026 04:29:10 GMT
Authorization: AWS AKIAIOSFODNN7EXAMPLE:PwXuthNQ/Pl5IvDWstmmnvSVowE=
Connection: close
User-Agent: obs-sdk-python/3.26.6";

const OBS_V2_INITIATE: &str = "\
POST /obs-bucket/big/object.bin?uploads HTTP/1.1
Accept-Encoding: identity
Content-Length: 0
Content-Type: application/octet-stream
Host: 127.0.0.1:PORT
Date: Sat, 21 Nov 2026 04:29:10 GMT
Authorization: AWS AKIAIOSFODNN7EXAMPLE:F/tpVYKqmC12rnG/+QubdHe4z9o=
Connection: close
User-Agent: obs-sdk-python/3.26.6";

const OBS_V2_UPLOAD_PART: &str = "\
PUT /obs-bucket/big/object.bin?partNumber=1&uploadId=A2488E75346940FE983E8002C437D6AC HTTP/1.1
Accept-Encoding: identity
Content-Length: 204800
Host: 127.0.0.1:PORT
Date: Sat, 21 Nov 2026 04:29:10 GMT
Authorization: AWS AKIAIOSFODNN7EXAMPLE:udN+ytdpykmM2ouEfskxntT9hxc=
Connection: close
User-Agent: obs-sdk-python/3.26.6";

const OBS_V2_COPY_PART: &str = "\
PUT /obs-bucket/big/object.bin?partNumber=4&uploadId=A2488E75346940FE983E8002C437D6AC HTTP/1.1
Accept-Encoding: identity
Content-Length: 0
x-amz-copy-source: obs-bucket/src.txt
x-amz-copy-source-range: bytes=0-99
Host: 127.0.0.1:PORT
Date: Sat, 21 Nov 2026 04:29:10 GMT
Authorization: AWS AKIAIOSFODNN7EXAMPLE:hULZu5acRVz5Px59ZSqVXTtuUjo=
Connection: close
User-Agent: obs-sdk-python/3.26.6";

const OBS_V2_LIST_PARTS: &str = "\
GET /obs-bucket/big/object.bin?uploadId=A2488E75346940FE983E8002C437D6AC&max-parts=100 HTTP/1.1
Accept-Encoding: identity
Host: 127.0.0.1:PORT
Date: Sat, 21 Nov 2026 04:29:10 GMT
Authorization: AWS AKIAIOSFODNN7EXAMPLE:7mPscKpVQtixawgL3bS3zT4vbBY=
Connection: close
User-Agent: obs-sdk-python/3.26.6";

#[test]
fn obs_sdk_aws_sigv2() {
    for text in [
        OBS_V2_CREATE_BUCKET,
        OBS_V2_INITIATE,
        OBS_V2_UPLOAD_PART,
        OBS_V2_COPY_PART,
        OBS_V2_LIST_PARTS,
    ] {
        let c = assert_verifies(text, "1", None, Scheme::AwsV2);
        assert_eq!(c.verify(None).unwrap().payload, PayloadHash::NotSigned);
    }
    // max-parts is not a sub-resource; uploadId is.
    let mut c = Captured::parse(OBS_V2_LIST_PARTS, "1");
    c.query = "uploadId=A2488E75346940FE983E8002C437D6AC&max-parts=5".into();
    assert!(c.verify(None).is_ok());
    c.query = "uploadId=A2488E75346940FE983E8002C437D6AD&max-parts=100".into();
    assert_mismatch(&c, None);
    let text = OBS_V2_INITIATE.replace("application/octet-stream", "text/plain");
    assert_mismatch(&Captured::parse(&text, "1"), None);
}

// --- ObsClient on a hostname, native OBS signature, virtual host (obs-sdk_localhost_negotiated-obs-mode.txt) ---

const OBS_NATIVE_CREATE_BUCKET: &str = "\
PUT / HTTP/1.1
Accept-Encoding: identity
Content-Length: 0
Host: obs-bucket.localhost:PORT
Date: Sat, 21 Nov 2026 04:29:10 GMT
Authorization: OBS AKIAIOSFODNN7EXAMPLE:wF5JNxptb4n6vnNOzTjp3OhsIHs=
Connection: close
User-Agent: obs-sdk-python/3.26.6";

const OBS_NATIVE_COPY_PART: &str = "\
PUT /big/object.bin?partNumber=4&uploadId=964D08FD1EF74A56A0A4AB3693C80B84 HTTP/1.1
Accept-Encoding: identity
Content-Length: 0
x-obs-copy-source: obs-bucket/src.txt
x-obs-copy-source-range: bytes=0-99
Host: obs-bucket.localhost:PORT
Date: Sat, 21 Nov 2026 04:29:10 GMT
Authorization: OBS AKIAIOSFODNN7EXAMPLE:GrcMwHn0aqTlnY2Tex0k1EdSfa4=
Connection: close
User-Agent: obs-sdk-python/3.26.6";

const OBS_NATIVE_LIST_UPLOADS: &str = "\
GET /?uploads&prefix=big/ HTTP/1.1
Accept-Encoding: identity
Host: obs-bucket.localhost:PORT
Date: Sat, 21 Nov 2026 04:29:10 GMT
Authorization: OBS AKIAIOSFODNN7EXAMPLE:KQ+y3kAylj6CZA4HbWTune1v77Y=
Connection: close
User-Agent: obs-sdk-python/3.26.6";

#[test]
fn obs_sdk_native_obs_signature() {
    for text in [
        OBS_NATIVE_CREATE_BUCKET,
        OBS_NATIVE_COPY_PART,
        OBS_NATIVE_LIST_UPLOADS,
    ] {
        assert_verifies(text, "1", Some("obs-bucket"), Scheme::Obs);
        // The bucket from Host is part of the resource.
        assert_mismatch(&Captured::parse(text, "1"), Some("other-bucket"));
        assert_mismatch(&Captured::parse(text, "1"), None);
    }
    let text = OBS_NATIVE_COPY_PART.replace(
        "x-obs-copy-source: obs-bucket/src.txt",
        "x-obs-copy-source: obs-bucket/src.tx",
    );
    assert_mismatch(&Captured::parse(&text, "1"), Some("obs-bucket"));
}

// --- QingStor SDK 2.6.0 (qingstor-sdk_127.0.0.1_zone-empty.txt) ---

const QS_PUT_BUCKET: &str = "\
PUT /qs-bucket HTTP/1.1
Accept-Encoding: identity
Host: 127.0.0.1:PORT
Date: Sat, 21 Nov 2026 04:29:25 GMT
User-Agent: qingstor-sdk-python/2.6.0  (Python v3.11.7; linux)
Content-Type: application/octet-stream
Authorization: QS QYACCESSKEYIDEXAMPLE:J/nxeszUoKizm93avCYYIsERFmLn5dksZHh48g3UHmo=
Content-Length: 0";

const QS_UPLOAD_PART: &str = "\
PUT /qs-bucket/big/object.bin?part_number=0&upload_id=afce2d3c75d345c382a27e6dfe0cb7d0 HTTP/1.1
Accept-Encoding: identity
Host: 127.0.0.1:PORT
Date: Sat, 21 Nov 2026 04:29:25 GMT
User-Agent: qingstor-sdk-python/2.6.0  (Python v3.11.7; linux)
Content-Type: application/octet-stream
Authorization: QS QYACCESSKEYIDEXAMPLE:L/a04DTWpFOMDptuI7o1W9RnjwfehuCr4VL4sp2kM30=
Content-Length: 4194304";

const QS_COPY_PART: &str = "\
PUT /qs-bucket/big/object.bin?part_number=2&upload_id=afce2d3c75d345c382a27e6dfe0cb7d0 HTTP/1.1
Accept-Encoding: identity
x-qs-copy-range: bytes=0-99
x-qs-copy-source: /qs-bucket/src.txt
Host: 127.0.0.1:PORT
Date: Sat, 21 Nov 2026 04:29:25 GMT
User-Agent: qingstor-sdk-python/2.6.0  (Python v3.11.7; linux)
Content-Type: application/octet-stream
Authorization: QS QYACCESSKEYIDEXAMPLE:95hPENfFi28q3BMdvuTZR78dN16/gOaQIT4Fol3GUno=
Content-Length: 0";

const QS_LIST_UPLOADS: &str = "\
GET /qs-bucket?limit=10&prefix=big/&uploads HTTP/1.1
Accept-Encoding: identity
Host: 127.0.0.1:PORT
Date: Sat, 21 Nov 2026 04:29:25 GMT
User-Agent: qingstor-sdk-python/2.6.0  (Python v3.11.7; linux)
Content-Type: application/octet-stream
Authorization: QS QYACCESSKEYIDEXAMPLE:5EgfPbjXcG2pGFDVnM4VrQNBT7uP9HPy5OBPFpP79mk=";

#[test]
fn qingstor_sdk() {
    for text in [QS_PUT_BUCKET, QS_UPLOAD_PART, QS_COPY_PART, QS_LIST_UPLOADS] {
        let c = assert_verifies(text, "1", None, Scheme::Qs);
        assert_eq!(c.verify(None).unwrap().access_key, "QYACCESSKEYIDEXAMPLE");
    }
    // The zone in Host (proxied form) is not signed.
    let text = QS_UPLOAD_PART.replace("Host: 127.0.0.1:PORT", "Host: pek3b.127.0.0.1:PORT");
    assert!(Captured::parse(&text, "1").verify(None).is_ok());
    let text = QS_COPY_PART.replace("bytes=0-99", "bytes=0-9");
    assert_mismatch(&Captured::parse(&text, "1"), None);
    // With the QingStor key but the S3 scheme word, nothing verifies.
    let text = QS_PUT_BUCKET.replace("QS QYACCESSKEYIDEXAMPLE", "AWS QYACCESSKEYIDEXAMPLE");
    assert_mismatch(&Captured::parse(&text, "1"), None);
}

// --- PROTOCOLS.md §6.1 worked vector (botocore-signed) ---

#[test]
fn protocols_sigv4_worked_vector() {
    let text = "\
PUT /mybucket/big/object.bin?uploadId=UP1&partNumber=1 HTTP/1.1
Host: 127.0.0.1:PORT
x-amz-checksum-crc32: Rl61ZA==
x-amz-sdk-checksum-algorithm: CRC32
X-Amz-Date: 20150816T132510Z
X-Amz-Content-SHA256: 9970bd9c55919fd6810c7990ad1185b0f5e74ad981bbe18ad932f671a0d6b66e
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20150816/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-crc32;x-amz-content-sha256;x-amz-date;x-amz-sdk-checksum-algorithm, Signature=f8083e361ea1c0b538282891b951f2303088df077e2cccb6cca19ff22ac4d21b";
    let c = assert_verifies(text, "9000", None, Scheme::SigV4);
    assert_eq!(
        super::sigv4::sha256_hex(b"hello part one"),
        "9970bd9c55919fd6810c7990ad1185b0f5e74ad981bbe18ad932f671a0d6b66e"
    );
    let creq = super::sigv4::canonical_request(
        &c.method,
        &c.path,
        &super::sigv4::canonical_query(&c.query, &[]),
        &c.headers,
        &[
            "host",
            "x-amz-checksum-crc32",
            "x-amz-content-sha256",
            "x-amz-date",
            "x-amz-sdk-checksum-algorithm",
        ],
        "9970bd9c55919fd6810c7990ad1185b0f5e74ad981bbe18ad932f671a0d6b66e",
    );
    assert_eq!(
        super::sigv4::sha256_hex(&creq),
        "00168c4df8d2a2d86487e7bdb82b0dca8b076e263b729f0d00a3a6e631a37cac"
    );
}
