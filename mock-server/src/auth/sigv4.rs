//! AWS Signature Version 4 (PROTOCOLS.md §6.1): header and presigned-query forms, and the
//! chunk/trailer signatures of `aws-chunked` streaming uploads (§6.1.1).
//!
//! Signing a request as a client:
//! ```
//! use mock_server::auth::{sigv4, Credentials, RequestTarget};
//! use std::time::{Duration, UNIX_EPOCH};
//!
//! let mut headers = http::HeaderMap::new();
//! headers.insert("host", "127.0.0.1:9000".parse().unwrap());
//! let target = RequestTarget {
//!     method: "PUT",
//!     raw_path: "/mybucket/big/object.bin",
//!     raw_query: "uploadId=UP1&partNumber=1",
//!     virtual_host_bucket: None,
//! };
//! let creds = Credentials::new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
//! let payload_hash = sigv4::sha256_hex(b"hello part one");
//! let time = UNIX_EPOCH + Duration::from_secs(1_439_731_510);
//! sigv4::sign(&target, &mut headers, &payload_hash, &creds, "us-east-1", time).unwrap();
//! assert_eq!(headers["x-amz-date"], "20150816T132510Z");
//! assert!(headers["authorization"].to_str().unwrap().starts_with(
//!     "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20150816/us-east-1/s3/aws4_request, \
//!      SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature="
//! ));
//! ```

use std::fmt;
use std::time::{Duration, SystemTime};

use http::header::{HeaderName, HeaderValue, AUTHORIZATION, HOST};
use http::HeaderMap;
use sha2::{Digest, Sha256};

use super::clock::{self, format_amz_date, parse_amz_date, parse_http_date};
use super::encoding::{header_str, percent_decode, query_items, query_param, uri_encode};
use super::{
    authorization, constant_time_eq, hmac_sha256, secret_of, AuthError, CredentialProvider,
    Credentials, PayloadHash, RequestTarget, Scheme, SignError, SignableRequest, Verified,
};

/// The algorithm name in headers and strings to sign.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// Hex SHA-256 of the empty string.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// The service name clients sign for.
pub const SERVICE: &str = "s3";
/// Longest validity of a presigned URL (7 days), as S3 enforces.
pub const MAX_PRESIGN_EXPIRES: Duration = Duration::from_secs(604_800);
/// Headers [`sign`] never signs: they are added or rewritten by HTTP stacks and proxies.
pub const UNSIGNED_HEADERS: &[&str] = &[
    "authorization",
    "connection",
    "expect",
    "transfer-encoding",
    "user-agent",
    "x-amzn-trace-id",
];

/// Lower-case hex SHA-256 of `data` (the `x-amz-content-sha256` of a body).
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The SigV4 signing key: `HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request")`.
pub fn signing_key(secret: &str, yyyymmdd: &str, region: &str, service: &str) -> [u8; 32] {
    let k = hmac_sha256(format!("AWS4{secret}").as_bytes(), yyyymmdd.as_bytes());
    let k = hmac_sha256(&k, region.as_bytes());
    let k = hmac_sha256(&k, service.as_bytes());
    hmac_sha256(&k, b"aws4_request")
}

/// Hex HMAC-SHA256 of `string_to_sign` with `signing_key`: a request, chunk or trailer signature.
pub fn signature(signing_key: &[u8; 32], string_to_sign: &str) -> String {
    hex::encode(hmac_sha256(signing_key, string_to_sign.as_bytes()))
}

/// The credential scope `{yyyymmdd}/{region}/{service}/aws4_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialScope {
    /// `yyyymmdd`.
    pub date: String,
    /// Region, any string (`us-east-1`, ObsClient's literal `region`).
    pub region: String,
    /// Service (`s3`).
    pub service: String,
}

impl fmt::Display for CredentialScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        )
    }
}

/// Splits a `Credential` value `{ak}/{yyyymmdd}/{region}/{service}/aws4_request`.
pub(crate) fn parse_credential(value: &str) -> Result<(String, CredentialScope), String> {
    let mut it = value.rsplitn(5, '/');
    let (Some(term), Some(service), Some(region), Some(date), Some(ak)) =
        (it.next(), it.next(), it.next(), it.next(), it.next())
    else {
        return Err(format!(
            "Credential: expected AccessKey/yyyymmdd/region/service/aws4_request, got {value:?}"
        ));
    };
    if term != "aws4_request" {
        return Err(format!(
            "Credential: expected the scope to end in aws4_request, got {term:?}"
        ));
    }
    if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "Credential: expected an 8-digit scope date, got {date:?}"
        ));
    }
    if ak.is_empty() || service.is_empty() {
        return Err(format!(
            "Credential: access key and service must not be empty in {value:?}"
        ));
    }
    Ok((
        ak.to_owned(),
        CredentialScope {
            date: date.to_owned(),
            region: region.to_owned(),
            service: service.to_owned(),
        },
    ))
}

/// Canonical query string: items percent-decoded then re-encoded per RFC 3986, a missing `=`
/// giving an empty value, sorted by name then value, joined with `&`. Items whose decoded name
/// is in `exclude` are left out (`X-Amz-Signature` for presigned URLs).
pub fn canonical_query(raw_query: &str, exclude: &[&str]) -> String {
    let mut pairs: Vec<(String, String)> = query_items(raw_query)
        .filter_map(|item| {
            let name = percent_decode(item.name);
            if exclude.iter().any(|e| e.as_bytes() == name.as_slice()) {
                return None;
            }
            let value = percent_decode(item.value.unwrap_or(""));
            Some((uri_encode(&name, false), uri_encode(&value, false)))
        })
        .collect();
    pairs.sort();
    let mut out = String::with_capacity(raw_query.len() + 8);
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// Canonical value of one header: every value trimmed with inner whitespace runs collapsed to
/// one space, several occurrences joined with `,`. Absent header → empty.
fn canonical_header_value(headers: &HeaderMap, name: &str, out: &mut Vec<u8>) {
    for (i, value) in headers.get_all(name).iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let words = value
            .as_bytes()
            .split(|b| b.is_ascii_whitespace())
            .filter(|w| !w.is_empty());
        for (j, word) in words.enumerate() {
            if j > 0 {
                out.push(b' ');
            }
            out.extend_from_slice(word);
        }
    }
}

/// The canonical request (as bytes: header values need not be UTF-8):
/// method, raw path (`/` if empty), canonical query, `name:value\n` per signed header, the
/// signed header list, and the payload hash, joined with `\n`.
pub fn canonical_request(
    method: &str,
    raw_path: &str,
    canonical_query: &str,
    headers: &HeaderMap,
    signed_headers: &[&str],
    payload_hash: &str,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(method.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(if raw_path.is_empty() { "/" } else { raw_path }.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(canonical_query.as_bytes());
    out.push(b'\n');
    for name in signed_headers {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        canonical_header_value(headers, name, &mut out);
        out.push(b'\n');
    }
    out.push(b'\n');
    out.extend_from_slice(signed_headers.join(";").as_bytes());
    out.push(b'\n');
    out.extend_from_slice(payload_hash.as_bytes());
    out
}

/// `AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hex sha256(canonical_request)}`.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &[u8]) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical_request))
    )
}

/// Signature of an `aws-chunked` chunk:
/// `AWS4-HMAC-SHA256-PAYLOAD\n{date}\n{scope}\n{prev}\n{sha256("")}\n{sha256(chunk)}`.
pub fn chunk_signature(
    signing_key: &[u8; 32],
    amz_date: &str,
    scope: &str,
    prev_signature: &str,
    chunk_sha256_hex: &str,
) -> String {
    let sts = format!(
        "AWS4-HMAC-SHA256-PAYLOAD\n{amz_date}\n{scope}\n{prev_signature}\n{EMPTY_SHA256}\n{chunk_sha256_hex}"
    );
    signature(signing_key, &sts)
}

/// Signature of the trailer section of a `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER` body:
/// `AWS4-HMAC-SHA256-TRAILER\n{date}\n{scope}\n{prev}\n{sha256(canonical trailers)}`, where
/// `prev` is the signature of the final zero-length chunk and the canonical trailers are
/// [`canonical_trailers`].
pub fn trailer_signature(
    signing_key: &[u8; 32],
    amz_date: &str,
    scope: &str,
    prev_signature: &str,
    trailers_sha256_hex: &str,
) -> String {
    let sts = format!(
        "AWS4-HMAC-SHA256-TRAILER\n{amz_date}\n{scope}\n{prev_signature}\n{trailers_sha256_hex}"
    );
    signature(signing_key, &sts)
}

/// Canonical trailer block that the trailer signature covers: `name:value\n` per trailer
/// (lower-case name, trimmed value), in the order sent, without `x-amz-trailer-signature`.
pub fn canonical_trailers<'a>(trailers: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (name, value) in trailers {
        let name = name.trim().to_ascii_lowercase();
        if name == "x-amz-trailer-signature" {
            continue;
        }
        out.push_str(&name);
        out.push(':');
        out.push_str(value.trim());
        out.push('\n');
    }
    out
}

/// What is needed to sign or verify the chunks of an `aws-chunked` body: the request's signing
/// key, `X-Amz-Date`, credential scope and seed (request) signature.
///
/// [`sign`] returns one for every request; [`super::verify`] hands one out for
/// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]` requests.
#[derive(Clone, PartialEq, Eq)]
pub struct StreamingSigner {
    /// SigV4 signing key of the request's scope.
    pub signing_key: [u8; 32],
    /// The request's `X-Amz-Date` (`20130524T000000Z`).
    pub amz_date: String,
    /// The credential scope (`20130524/us-east-1/s3/aws4_request`).
    pub scope: String,
    /// The request signature, which chains into the first chunk signature.
    pub seed_signature: String,
}

impl fmt::Debug for StreamingSigner {
    /// The signing key is redacted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamingSigner")
            .field("signing_key", &"<redacted>")
            .field("amz_date", &self.amz_date)
            .field("scope", &self.scope)
            .field("seed_signature", &self.seed_signature)
            .finish()
    }
}

impl StreamingSigner {
    /// [`chunk_signature`] with this request's key, date and scope.
    pub fn chunk_signature(&self, prev_signature: &str, chunk_sha256_hex: &str) -> String {
        chunk_signature(
            &self.signing_key,
            &self.amz_date,
            &self.scope,
            prev_signature,
            chunk_sha256_hex,
        )
    }

    /// [`trailer_signature`] with this request's key, date and scope.
    pub fn trailer_signature(&self, prev_signature: &str, trailers_sha256_hex: &str) -> String {
        trailer_signature(
            &self.signing_key,
            &self.amz_date,
            &self.scope,
            prev_signature,
            trailers_sha256_hex,
        )
    }
}

fn header_value(name: &'static str, value: &str) -> Result<HeaderValue, SignError> {
    HeaderValue::from_str(value).map_err(|_| SignError::InvalidHeaderValue {
        name,
        value: value.to_owned(),
    })
}

fn date_part(amz_date: &str) -> &str {
    amz_date.get(..8).unwrap_or(amz_date)
}

/// Signs a request with SigV4 in the `Authorization` header.
///
/// `headers` must already hold `host` and every header to be sent that should be signed;
/// all of them except [`UNSIGNED_HEADERS`] are signed. Inserts `x-amz-date`,
/// `x-amz-content-sha256: {payload_hash}` (hex SHA-256 of the body, `UNSIGNED-PAYLOAD` or a
/// `STREAMING-*` marker) and `authorization`. Returns the signing context, which carries the
/// seed signature for `aws-chunked` bodies.
pub fn sign(
    target: &RequestTarget<'_>,
    headers: &mut HeaderMap,
    payload_hash: &str,
    credentials: &Credentials,
    region: &str,
    time: SystemTime,
) -> Result<StreamingSigner, SignError> {
    if !headers.contains_key(HOST) {
        return Err(SignError::MissingHost);
    }
    let amz_date = format_amz_date(time).ok_or(SignError::TimeOutOfRange(time))?;
    headers.remove(AUTHORIZATION);
    headers.insert(
        HeaderName::from_static("x-amz-date"),
        header_value("x-amz-date", &amz_date)?,
    );
    headers.insert(
        HeaderName::from_static("x-amz-content-sha256"),
        header_value("x-amz-content-sha256", payload_hash)?,
    );
    let mut signed: Vec<&str> = headers
        .keys()
        .map(HeaderName::as_str)
        .filter(|n| !UNSIGNED_HEADERS.contains(n))
        .collect();
    signed.sort_unstable();
    signed.dedup();
    let scope = CredentialScope {
        date: date_part(&amz_date).to_owned(),
        region: region.to_owned(),
        service: SERVICE.to_owned(),
    };
    let key = signing_key(&credentials.secret_key, &scope.date, region, SERVICE);
    let scope = scope.to_string();
    let creq = canonical_request(
        target.method,
        target.raw_path,
        &canonical_query(target.raw_query, &[]),
        headers,
        &signed,
        payload_hash,
    );
    let sig = signature(&key, &string_to_sign(&amz_date, &scope, &creq));
    let value = format!(
        "{ALGORITHM} Credential={}/{scope}, SignedHeaders={}, Signature={sig}",
        credentials.access_key,
        signed.join(";")
    );
    headers.insert(AUTHORIZATION, header_value("authorization", &value)?);
    Ok(StreamingSigner {
        signing_key: key,
        amz_date,
        scope,
        seed_signature: sig,
    })
}

/// Presigns a request (SigV4 query form, signed header `host` only, payload
/// `UNSIGNED-PAYLOAD`). Returns the complete raw query to send: `target.raw_query` followed by
/// the `X-Amz-*` parameters and `X-Amz-Signature`.
///
/// S3 rejects `expires` over 7 days ([`MAX_PRESIGN_EXPIRES`]).
pub fn presign_url(
    target: &RequestTarget<'_>,
    host: &str,
    credentials: &Credentials,
    region: &str,
    time: SystemTime,
    expires: Duration,
) -> Result<String, SignError> {
    let amz_date = format_amz_date(time).ok_or(SignError::TimeOutOfRange(time))?;
    let scope = CredentialScope {
        date: date_part(&amz_date).to_owned(),
        region: region.to_owned(),
        service: SERVICE.to_owned(),
    };
    let key = signing_key(&credentials.secret_key, &scope.date, region, SERVICE);
    let scope = scope.to_string();
    let mut query = String::from(target.raw_query);
    if !query.is_empty() {
        query.push('&');
    }
    let credential = format!("{}/{scope}", credentials.access_key);
    query.push_str(&format!(
        "X-Amz-Algorithm={ALGORITHM}&X-Amz-Credential={}&X-Amz-Date={amz_date}&X-Amz-Expires={}&X-Amz-SignedHeaders=host",
        uri_encode(credential.as_bytes(), false),
        expires.as_secs()
    ));
    let mut headers = HeaderMap::new();
    headers.insert(HOST, header_value("host", host)?);
    let creq = canonical_request(
        target.method,
        target.raw_path,
        &canonical_query(&query, &[]),
        &headers,
        &["host"],
        PayloadHash::UNSIGNED,
    );
    let sig = signature(&key, &string_to_sign(&amz_date, &scope, &creq));
    query.push_str("&X-Amz-Signature=");
    query.push_str(&sig);
    Ok(query)
}

/// Parsed `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
struct AuthorizationHeader<'v> {
    access_key: String,
    scope: CredentialScope,
    signed_headers: Vec<&'v str>,
    signature: &'v str,
}

fn parse_signed_headers(value: &str) -> Result<Vec<&str>, String> {
    let names: Vec<&str> = value.split(';').map(str::trim).collect();
    if names.iter().any(|n| n.is_empty()) {
        return Err(format!(
            "SignedHeaders: expected ';'-separated header names, got {value:?}"
        ));
    }
    Ok(names)
}

fn parse_authorization(value: &str) -> Result<AuthorizationHeader<'_>, AuthError> {
    let rest = value
        .strip_prefix(ALGORITHM)
        .filter(|r| r.starts_with([' ', '\t']))
        .ok_or_else(|| AuthError::Malformed(format!("expected {ALGORITHM} ..., got {value:?}")))?;
    let (mut credential, mut signed, mut sig) = (None, None, None);
    for part in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').ok_or_else(|| {
            AuthError::Malformed(format!(
                "expected key=value components in the Authorization header, got {part:?}"
            ))
        })?;
        let slot = match k.trim() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed,
            "Signature" => &mut sig,
            other => {
                return Err(AuthError::Malformed(format!(
                    "unexpected Authorization component {other:?}; expected Credential, \
                     SignedHeaders and Signature"
                )))
            }
        };
        if slot.replace(v.trim()).is_some() {
            return Err(AuthError::Malformed(format!(
                "Authorization component {k:?} appears twice"
            )));
        }
    }
    let missing =
        |name: &str| AuthError::Malformed(format!("Authorization header is missing {name}"));
    let credential = credential.ok_or_else(|| missing("Credential"))?;
    let signed = signed.ok_or_else(|| missing("SignedHeaders"))?;
    let sig = sig.ok_or_else(|| missing("Signature"))?;
    let (access_key, scope) = parse_credential(credential).map_err(AuthError::Malformed)?;
    Ok(AuthorizationHeader {
        access_key,
        scope,
        signed_headers: parse_signed_headers(signed).map_err(AuthError::Malformed)?,
        signature: sig,
    })
}

/// The signed timestamp: `X-Amz-Date`, else the `Date` header (ObsClient `signature="v4"`)
/// converted to `YYYYMMDDTHHMMSSZ`.
fn request_date(headers: &HeaderMap) -> Result<(String, SystemTime), AuthError> {
    if let Some(value) = header_str(headers, "x-amz-date") {
        let value = value.trim().to_owned();
        let time = parse_amz_date(&value).ok_or_else(|| {
            AuthError::InvalidDate(format!(
                "X-Amz-Date: expected YYYYMMDDTHHMMSSZ, got {value:?}"
            ))
        })?;
        return Ok((value, time));
    }
    if let Some(value) = header_str(headers, "date") {
        let time = parse_http_date(&value).ok_or_else(|| {
            AuthError::InvalidDate(format!("Date: expected an HTTP date, got {value:?}"))
        })?;
        let amz = format_amz_date(time)
            .ok_or_else(|| AuthError::InvalidDate(format!("Date out of range: {value:?}")))?;
        return Ok((amz, time));
    }
    Err(AuthError::InvalidDate(
        "AWS authentication requires a valid Date or x-amz-date header".into(),
    ))
}

fn check_scope_date(scope: &CredentialScope, amz_date: &str) -> Result<(), String> {
    if date_part(amz_date) != scope.date {
        return Err(format!(
            "credential scope date {:?} does not match the request date {amz_date:?}",
            scope.date
        ));
    }
    Ok(())
}

/// Shared tail of both forms: compute, compare, build the result.
#[allow(clippy::too_many_arguments)]
fn finish_verify(
    req: &SignableRequest<'_>,
    secret: &str,
    access_key: String,
    scope: &CredentialScope,
    amz_date: String,
    canonical_query: &str,
    signed_headers: &[&str],
    payload_value: &str,
    provided: &str,
    scheme: Scheme,
) -> Result<Verified, AuthError> {
    let payload = PayloadHash::parse(payload_value)?;
    let key = signing_key(secret, &scope.date, &scope.region, &scope.service);
    let scope = scope.to_string();
    let creq = canonical_request(
        req.method,
        req.raw_path,
        canonical_query,
        req.headers,
        signed_headers,
        payload_value,
    );
    let string_to_sign = string_to_sign(&amz_date, &scope, &creq);
    let expected = signature(&key, &string_to_sign);
    if !constant_time_eq(expected.as_bytes(), provided.as_bytes()) {
        return Err(AuthError::SignatureDoesNotMatch { string_to_sign });
    }
    let streaming =
        matches!(payload, PayloadHash::StreamingSigned { .. }).then(|| StreamingSigner {
            signing_key: key,
            amz_date,
            scope,
            seed_signature: expected,
        });
    Ok(Verified {
        access_key,
        scheme,
        payload,
        streaming,
    })
}

/// Verifies `Authorization: AWS4-HMAC-SHA256 ...` (called by [`super::verify`]).
pub(crate) fn verify_header(
    req: &SignableRequest<'_>,
    creds: &dyn CredentialProvider,
    now: SystemTime,
) -> Result<Verified, AuthError> {
    let value = authorization(req)?;
    let auth = parse_authorization(&value)?;
    let payload_value = header_str(req.headers, "x-amz-content-sha256").ok_or_else(|| {
        AuthError::Malformed("missing required header x-amz-content-sha256".into())
    })?;
    let (amz_date, request_time) = request_date(req.headers)?;
    check_scope_date(&auth.scope, &amz_date).map_err(AuthError::Malformed)?;
    let secret = secret_of(creds, &auth.access_key)?;
    clock::check_skew(request_time, now)?;
    finish_verify(
        req,
        &secret,
        auth.access_key,
        &auth.scope,
        amz_date,
        &canonical_query(req.raw_query, &[]),
        &auth.signed_headers,
        payload_value.trim(),
        auth.signature,
        Scheme::SigV4,
    )
}

/// Verifies a presigned SigV4 request (called by [`super::verify`]).
pub(crate) fn verify_presigned(
    req: &SignableRequest<'_>,
    creds: &dyn CredentialProvider,
    now: SystemTime,
) -> Result<Verified, AuthError> {
    let param = |name: &str| {
        query_param(req.raw_query, name)
            .ok_or_else(|| AuthError::MalformedQuery(format!("missing query parameter {name}")))
    };
    let algorithm = param("X-Amz-Algorithm")?;
    if algorithm != ALGORITHM {
        return Err(AuthError::MalformedQuery(format!(
            "X-Amz-Algorithm: expected {ALGORITHM}, got {algorithm:?}"
        )));
    }
    let (access_key, scope) =
        parse_credential(&param("X-Amz-Credential")?).map_err(AuthError::MalformedQuery)?;
    let amz_date = param("X-Amz-Date")?;
    let request_time = parse_amz_date(&amz_date).ok_or_else(|| {
        AuthError::MalformedQuery(format!(
            "X-Amz-Date: expected YYYYMMDDTHHMMSSZ, got {amz_date:?}"
        ))
    })?;
    let expires_raw = param("X-Amz-Expires")?;
    let expires = expires_raw
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
        .filter(|d| !d.is_zero() && *d <= MAX_PRESIGN_EXPIRES)
        .ok_or_else(|| {
            AuthError::MalformedQuery(format!(
                "X-Amz-Expires: expected seconds between 1 and 604800, got {expires_raw:?}"
            ))
        })?;
    let signed_raw = param("X-Amz-SignedHeaders")?;
    let signed_headers = parse_signed_headers(&signed_raw).map_err(AuthError::MalformedQuery)?;
    let provided = param("X-Amz-Signature")?;
    check_scope_date(&scope, &amz_date).map_err(AuthError::MalformedQuery)?;
    let secret = secret_of(creds, &access_key)?;
    if request_time > now && clock::abs_diff(request_time, now) > clock::MAX_CLOCK_SKEW {
        return Err(AuthError::RequestTimeTooSkewed {
            request_time,
            server_time: now,
        });
    }
    if let Some(deadline) = request_time.checked_add(expires) {
        if now > deadline {
            return Err(AuthError::Expired {
                expires: deadline,
                now,
            });
        }
    }
    let payload_value = query_param(req.raw_query, "X-Amz-Content-Sha256")
        .unwrap_or_else(|| PayloadHash::UNSIGNED.to_owned());
    finish_verify(
        req,
        &secret,
        access_key,
        &scope,
        amz_date,
        &canonical_query(req.raw_query, &["X-Amz-Signature"]),
        &signed_headers,
        &payload_value,
        &provided,
        Scheme::SigV4Presigned,
    )
}

#[cfg(test)]
mod tests {
    use super::super::StaticCredentials;
    use super::*;
    use std::time::UNIX_EPOCH;

    const AK: &str = "AKIAIOSFODNN7EXAMPLE";
    const SK: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    fn creds() -> StaticCredentials {
        StaticCredentials::new(vec![Credentials::new(AK, SK)])
    }

    fn at(amz: &str) -> SystemTime {
        parse_amz_date(amz).unwrap()
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    fn request<'a>(
        method: &'a str,
        path: &'a str,
        query: &'a str,
        h: &'a HeaderMap,
    ) -> SignableRequest<'a> {
        SignableRequest {
            method,
            raw_path: path,
            raw_query: query,
            headers: h,
            virtual_host_bucket: None,
        }
    }

    #[test]
    fn aws_signing_key_vector() {
        // AWS chunked-upload example (PROTOCOLS §6.1.1).
        assert_eq!(
            hex::encode(signing_key(SK, "20130524", "us-east-1", "s3")),
            "dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378"
        );
    }

    const EXAMPLE_HOST: &str = "examplebucket.s3.amazonaws.com";

    /// method, path, query, extra headers, expected signature.
    type DocCase = (
        &'static str,
        &'static str,
        &'static str,
        Vec<(&'static str, &'static str)>,
        &'static str,
    );

    /// The four header-signing examples of the AWS S3 SigV4 documentation.
    #[test]
    fn aws_documentation_examples() {
        let cases: [DocCase; 4] = [
            (
                "GET",
                "/test.txt",
                "",
                vec![
                    ("range", "bytes=0-9"),
                    ("x-amz-content-sha256", EMPTY_SHA256),
                ],
                "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
            ),
            (
                "PUT",
                "/test%24file.text",
                "",
                vec![
                    ("date", "Fri, 24 May 2013 00:00:00 GMT"),
                    (
                        "x-amz-content-sha256",
                        "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
                    ),
                    ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
                ],
                "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
            ),
            (
                "GET",
                "/",
                "lifecycle",
                vec![("x-amz-content-sha256", EMPTY_SHA256)],
                "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
            ),
            (
                "GET",
                "/",
                "max-keys=2&prefix=J",
                vec![("x-amz-content-sha256", EMPTY_SHA256)],
                "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
            ),
        ];
        for (method, path, query, extra, expected) in cases {
            let mut h = headers(&[("host", EXAMPLE_HOST), ("x-amz-date", "20130524T000000Z")]);
            for (k, v) in &extra {
                h.insert(
                    HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    v.parse().unwrap(),
                );
            }
            let payload = h["x-amz-content-sha256"].to_str().unwrap().to_owned();
            let mut names: Vec<&str> = h.keys().map(HeaderName::as_str).collect();
            names.sort_unstable();
            let creq = canonical_request(
                method,
                path,
                &canonical_query(query, &[]),
                &h,
                &names,
                &payload,
            );
            let key = signing_key(SK, "20130524", "us-east-1", "s3");
            let sts = string_to_sign(
                "20130524T000000Z",
                "20130524/us-east-1/s3/aws4_request",
                &creq,
            );
            assert_eq!(signature(&key, &sts), expected, "{method} {path}?{query}");

            // The same request passes verification, and sign() reproduces the signature.
            let auth = format!(
                "{ALGORITHM} Credential={AK}/20130524/us-east-1/s3/aws4_request,SignedHeaders={},Signature={expected}",
                names.join(";")
            );
            h.insert(AUTHORIZATION, auth.parse().unwrap());
            let v = super::super::verify(
                &request(method, path, query, &h),
                &creds(),
                at("20130524T000000Z"),
            )
            .unwrap();
            assert_eq!(v.scheme, Scheme::SigV4);
            assert_eq!(v.access_key, AK);
            assert_eq!(v.streaming, None);

            h.remove(AUTHORIZATION);
            let target = RequestTarget {
                method,
                raw_path: path,
                raw_query: query,
                virtual_host_bucket: None,
            };
            let signer = sign(
                &target,
                &mut h,
                &payload,
                &Credentials::new(AK, SK),
                "us-east-1",
                at("20130524T000000Z"),
            )
            .unwrap();
            assert_eq!(signer.seed_signature, expected);
        }
    }

    #[test]
    fn aws_presigned_example() {
        let target = RequestTarget {
            method: "GET",
            raw_path: "/test.txt",
            raw_query: "",
            virtual_host_bucket: None,
        };
        let query = presign_url(
            &target,
            EXAMPLE_HOST,
            &Credentials::new(AK, SK),
            "us-east-1",
            at("20130524T000000Z"),
            Duration::from_secs(86400),
        )
        .unwrap();
        assert_eq!(
            query,
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        );
        let h = headers(&[("host", EXAMPLE_HOST)]);
        let req = request("GET", "/test.txt", &query, &h);
        let v = super::super::verify(&req, &creds(), at("20130524T120000Z")).unwrap();
        assert_eq!(v.scheme, Scheme::SigV4Presigned);
        assert_eq!(v.payload, PayloadHash::Unsigned);
        // One second past the 24 h validity.
        assert!(matches!(
            super::super::verify(&req, &creds(), at("20130525T000001Z")),
            Err(AuthError::Expired { .. })
        ));
        // Used long before it was signed.
        assert!(matches!(
            super::super::verify(&req, &creds(), at("20130523T000000Z")),
            Err(AuthError::RequestTimeTooSkewed { .. })
        ));
        // A tampered host or extra query parameter breaks it.
        let other = headers(&[("host", "otherbucket.s3.amazonaws.com")]);
        assert!(matches!(
            super::super::verify(
                &request("GET", "/test.txt", &query, &other),
                &creds(),
                at("20130524T120000Z")
            ),
            Err(AuthError::SignatureDoesNotMatch { .. })
        ));
        let extra = format!("{query}&x-id=GetObject");
        assert!(matches!(
            super::super::verify(
                &request("GET", "/test.txt", &extra, &h),
                &creds(),
                at("20130524T120000Z")
            ),
            Err(AuthError::SignatureDoesNotMatch { .. })
        ));
    }

    #[test]
    fn presigned_malformed_parameters() {
        let h = headers(&[("host", EXAMPLE_HOST)]);
        let now = at("20130524T000000Z");
        let good = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=00";
        for (from, to) in [
            (
                "X-Amz-Algorithm=AWS4-HMAC-SHA256",
                "X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256",
            ),
            ("X-Amz-Expires=86400", "X-Amz-Expires=604801"),
            ("X-Amz-Expires=86400", "X-Amz-Expires=0"),
            ("X-Amz-Expires=86400", "X-Amz-Expires=-1"),
            ("X-Amz-Date=20130524T000000Z", "X-Amz-Date=2013-05-24"),
            ("X-Amz-Date=20130524T000000Z", "X-Amz-Date=20130525T000000Z"),
            ("%2Faws4_request", "%2Faws5_request"),
            ("&X-Amz-SignedHeaders=host", ""),
            ("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=host%3B%3B"),
        ] {
            let q = good.replace(from, to);
            let r = super::super::verify(&request("GET", "/", &q, &h), &creds(), now);
            assert!(
                matches!(r, Err(AuthError::MalformedQuery(_))),
                "{to}: {r:?}"
            );
        }
        let q = good.replace("AKIAIOSFODNN7EXAMPLE", "AKIAUNKNOWN");
        assert!(matches!(
            super::super::verify(&request("GET", "/", &q, &h), &creds(), now),
            Err(AuthError::UnknownAccessKey { .. })
        ));
    }

    #[test]
    fn canonical_query_rules() {
        assert_eq!(canonical_query("uploads", &[]), "uploads=");
        assert_eq!(canonical_query("uploads=", &[]), "uploads=");
        assert_eq!(
            canonical_query("uploadId=UP1&partNumber=1", &[]),
            "partNumber=1&uploadId=UP1"
        );
        // Encoded or not on the wire, the canonical form is the same.
        assert_eq!(canonical_query("prefix=big/", &[]), "prefix=big%2F");
        assert_eq!(canonical_query("prefix=big%2F", &[]), "prefix=big%2F");
        assert_eq!(canonical_query("prefix=big%2f", &[]), "prefix=big%2F");
        assert_eq!(canonical_query("k=a%20b+c~", &[]), "k=a%20b%2Bc~");
        // Sorted by name, then value; byte order (upper case first).
        assert_eq!(canonical_query("b=2&a=2&a=1&B=0", &[]), "B=0&a=1&a=2&b=2");
        assert_eq!(
            canonical_query("X-Amz-Signature=abc&x=1", &["X-Amz-Signature"]),
            "x=1"
        );
        assert_eq!(canonical_query("", &[]), "");
        assert_eq!(canonical_query("&&", &[]), "");
    }

    #[test]
    fn canonical_header_trimming() {
        let mut h = HeaderMap::new();
        h.append("x-amz-meta-a", HeaderValue::from_static("  a   b \t c  "));
        h.append("x-amz-meta-a", HeaderValue::from_static("d"));
        let creq = canonical_request(
            "GET",
            "",
            "",
            &h,
            &["x-amz-meta-a", "x-absent"],
            "UNSIGNED-PAYLOAD",
        );
        assert_eq!(
            String::from_utf8(creq).unwrap(),
            "GET\n/\n\nx-amz-meta-a:a b c,d\nx-absent:\n\nx-amz-meta-a;x-absent\nUNSIGNED-PAYLOAD"
        );
    }

    #[test]
    fn credential_parsing() {
        let (ak, scope) = parse_credential("AK/20261121/region/s3/aws4_request").unwrap();
        assert_eq!(ak, "AK");
        assert_eq!(scope.region, "region");
        assert_eq!(scope.to_string(), "20261121/region/s3/aws4_request");
        for bad in [
            "",
            "AK/20261121/us-east-1/s3",
            "AK/2026112/us-east-1/s3/aws4_request",
            "AK/2026112x/us-east-1/s3/aws4_request",
            "/20261121/us-east-1/s3/aws4_request",
            "AK/20261121/us-east-1//aws4_request",
            "AK/20261121/us-east-1/s3/aws4_requesT",
        ] {
            assert!(parse_credential(bad).is_err(), "{bad}");
        }
    }

    fn signed_request(time: &str) -> HeaderMap {
        let mut h = headers(&[
            ("host", "127.0.0.1:9000"),
            ("content-type", "application/octet-stream"),
            ("x-amz-meta-color", "blue"),
            ("user-agent", "test/1.0"),
        ]);
        let target = RequestTarget {
            method: "PUT",
            raw_path: "/b/big/a%20b.bin",
            raw_query: "partNumber=1&uploadId=UP1",
            virtual_host_bucket: None,
        };
        sign(
            &target,
            &mut h,
            &sha256_hex(b"body"),
            &Credentials::new(AK, SK),
            "eu-west-1",
            at(time),
        )
        .unwrap();
        h
    }

    #[test]
    fn sign_then_verify_and_unsigned_headers() {
        let h = signed_request("20261121T043022Z");
        let auth = h["authorization"].to_str().unwrap();
        assert!(auth.contains(
            "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-meta-color,"
        ));
        let req = request("PUT", "/b/big/a%20b.bin", "partNumber=1&uploadId=UP1", &h);
        let v = super::super::verify(&req, &creds(), at("20261121T043022Z")).unwrap();
        assert_eq!(
            v.payload,
            PayloadHash::Sha256(Sha256::digest(b"body").into())
        );
        // user-agent is not signed: changing it is harmless.
        let mut h2 = h.clone();
        h2.insert("user-agent", HeaderValue::from_static("other"));
        let req = request("PUT", "/b/big/a%20b.bin", "partNumber=1&uploadId=UP1", &h2);
        assert!(super::super::verify(&req, &creds(), at("20261121T043022Z")).is_ok());
        // Re-ordered query parameters are fine too.
        let req = request("PUT", "/b/big/a%20b.bin", "uploadId=UP1&partNumber=1", &h);
        assert!(super::super::verify(&req, &creds(), at("20261121T043022Z")).is_ok());
        // Without host, signing is refused.
        let mut no_host = HeaderMap::new();
        let target = RequestTarget {
            method: "GET",
            raw_path: "/",
            raw_query: "",
            virtual_host_bucket: None,
        };
        assert_eq!(
            sign(
                &target,
                &mut no_host,
                EMPTY_SHA256,
                &Credentials::new(AK, SK),
                "us-east-1",
                UNIX_EPOCH
            ),
            Err(SignError::MissingHost)
        );
    }

    /// Changes one byte: the last digit (so dates and hashes stay well-formed), else the last byte.
    fn tamper(value: &[u8]) -> Vec<u8> {
        let mut v = value.to_vec();
        match v.iter().rposition(u8::is_ascii_digit) {
            Some(i) => v[i] = b'0' + (v[i] - b'0' + 1) % 10,
            None => {
                let last = v.len() - 1;
                v[last] = if v[last] == b'x' { b'y' } else { b'x' };
            }
        }
        v
    }

    /// Every signed element, changed by one byte, must break the signature.
    #[test]
    fn tampering_any_signed_element_fails() {
        let time = "20261121T043022Z";
        let base = signed_request(time);
        let path = "/b/big/a%20b.bin";
        let query = "partNumber=1&uploadId=UP1";
        let check = |method: &str, p: &str, q: &str, h: &HeaderMap, what: &str| {
            let r = super::super::verify(&request(method, p, q, h), &creds(), at(time));
            assert!(
                matches!(r, Err(AuthError::SignatureDoesNotMatch { .. })),
                "{what}: {r:?}"
            );
        };
        check("POST", path, query, &base, "method");
        check("PUT", "/b/big/a%20c.bin", query, &base, "path");
        check("PUT", "/b/big/a b.bin", query, &base, "path encoding");
        check(
            "PUT",
            path,
            "partNumber=2&uploadId=UP1",
            &base,
            "query value",
        );
        check(
            "PUT",
            path,
            "partNumber=1&uploadId=UP1&x=1",
            &base,
            "extra query item",
        );
        for name in [
            "host",
            "content-type",
            "x-amz-meta-color",
            "x-amz-date",
            "x-amz-content-sha256",
        ] {
            let mut h = base.clone();
            let value = tamper(h[name].as_bytes());
            h.insert(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_bytes(&value).unwrap(),
            );
            check("PUT", path, query, &h, name);
        }
        // A signed header that disappears.
        let mut h = base.clone();
        h.remove("x-amz-meta-color");
        check("PUT", path, query, &h, "removed header");
        // The signature itself.
        let mut h = base.clone();
        let auth = h["authorization"].to_str().unwrap().to_owned();
        let flipped = format!(
            "{}{}",
            &auth[..auth.len() - 1],
            if auth.ends_with('0') { '1' } else { '0' }
        );
        h.insert(AUTHORIZATION, flipped.parse().unwrap());
        check("PUT", path, query, &h, "signature");
    }

    #[test]
    fn header_errors() {
        let time = "20261121T043022Z";
        let base = signed_request(time);
        let path = "/b/big/a%20b.bin";
        let query = "partNumber=1&uploadId=UP1";
        let run = |h: &HeaderMap, now: &str| {
            super::super::verify(&request("PUT", path, query, h), &creds(), at(now))
        };

        assert!(matches!(
            run(&base, "20261121T044523Z"),
            Err(AuthError::RequestTimeTooSkewed { .. })
        ));
        assert!(run(&base, "20261121T044522Z").is_ok());

        let mut h = base.clone();
        let auth = h["authorization"]
            .to_str()
            .unwrap()
            .replace(AK, "AKIAOTHER");
        h.insert(AUTHORIZATION, auth.parse().unwrap());
        assert_eq!(
            run(&h, time),
            Err(AuthError::UnknownAccessKey {
                access_key: "AKIAOTHER".into()
            })
        );

        let mut h = base.clone();
        h.remove("x-amz-content-sha256");
        assert!(matches!(run(&h, time), Err(AuthError::Malformed(_))));

        let mut h = base.clone();
        h.insert("x-amz-content-sha256", HeaderValue::from_static("abc"));
        assert!(matches!(run(&h, time), Err(AuthError::Malformed(_))));

        let mut h = base.clone();
        h.remove("x-amz-date");
        assert!(matches!(run(&h, time), Err(AuthError::InvalidDate(_))));

        let mut h = base.clone();
        h.insert(
            "x-amz-date",
            HeaderValue::from_static("Sat, 21 Nov 2026 04:30:22 GMT"),
        );
        assert!(matches!(run(&h, time), Err(AuthError::InvalidDate(_))));

        // Scope date differing from X-Amz-Date.
        let mut h = base.clone();
        let auth = h["authorization"]
            .to_str()
            .unwrap()
            .replace("/20261121/", "/20261120/");
        h.insert(AUTHORIZATION, auth.parse().unwrap());
        assert!(matches!(run(&h, time), Err(AuthError::Malformed(_))));

        let good = base["authorization"].to_str().unwrap().to_owned();
        for bad in [
            good.replace("Credential=", "Credentials="),
            good.replace(", Signature=", ", Sig="),
            good.replace("SignedHeaders=", "SignedHeaders=;"),
            format!("{good}, Signature=00"),
            "AWS4-HMAC-SHA256".to_owned(),
            "AWS4-HMAC-SHA256 garbage".to_owned(),
        ] {
            let mut h = base.clone();
            match HeaderValue::from_str(&bad) {
                Ok(v) => {
                    h.insert(AUTHORIZATION, v);
                    assert!(
                        matches!(run(&h, time), Err(AuthError::Malformed(_))),
                        "{bad}"
                    );
                }
                Err(_) => continue,
            }
        }
    }

    #[test]
    fn hostile_signed_header_names_do_not_panic() {
        let time = "20261121T043022Z";
        let base = signed_request(time);
        let auth = base["authorization"].to_str().unwrap().to_owned();
        for names in [
            "host;X-Amz-Date",
            "host;bad name",
            "host;\u{7f}",
            "host;:authority",
            "host;a,b",
        ] {
            let variant = auth.replace(
                "content-type;host;x-amz-content-sha256;x-amz-date;x-amz-meta-color",
                names,
            );
            let mut h = base.clone();
            let Ok(value) = HeaderValue::from_str(&variant) else {
                continue;
            };
            h.insert(AUTHORIZATION, value);
            let r = super::super::verify(
                &request("PUT", "/b/big/a%20b.bin", "partNumber=1&uploadId=UP1", &h),
                &creds(),
                at(time),
            );
            assert!(r.is_err(), "{names}");
        }
    }

    #[test]
    fn separators_and_whitespace_tolerated() {
        let time = "20261121T043022Z";
        let base = signed_request(time);
        let auth = base["authorization"].to_str().unwrap().to_owned();
        for variant in [
            auth.replace(", ", ","),
            auth.replace(", ", " ,  "),
            auth.replacen(' ', "   ", 1),
        ] {
            let mut h = base.clone();
            h.insert(AUTHORIZATION, variant.parse().unwrap());
            let r = super::super::verify(
                &request("PUT", "/b/big/a%20b.bin", "partNumber=1&uploadId=UP1", &h),
                &creds(),
                at(time),
            );
            assert!(r.is_ok(), "{variant}: {r:?}");
        }
    }

    #[test]
    fn streaming_signed_request_yields_signer() {
        let mut h = headers(&[
            ("host", "s3.amazonaws.com"),
            ("content-encoding", "aws-chunked"),
            ("content-length", "66824"),
            ("x-amz-decoded-content-length", "66560"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ]);
        let target = RequestTarget {
            method: "PUT",
            raw_path: "/examplebucket/chunkObject.txt",
            raw_query: "",
            virtual_host_bucket: None,
        };
        let signer = sign(
            &target,
            &mut h,
            PayloadHash::STREAMING_SIGNED,
            &Credentials::new(AK, SK),
            "us-east-1",
            at("20130524T000000Z"),
        )
        .unwrap();
        // AWS's published seed signature for this request.
        assert_eq!(
            signer.seed_signature,
            "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
        );
        assert_eq!(signer.scope, "20130524/us-east-1/s3/aws4_request");
        let req = request("PUT", "/examplebucket/chunkObject.txt", "", &h);
        let v = super::super::verify(&req, &creds(), at("20130524T000000Z")).unwrap();
        assert_eq!(v.payload, PayloadHash::StreamingSigned { trailer: false });
        assert_eq!(v.streaming.as_ref(), Some(&signer));
        assert!(!format!("{signer:?}").contains(&hex::encode(signer.signing_key)));

        // Chunk signatures of the AWS example.
        let chunk1 = signer.chunk_signature(&signer.seed_signature, &sha256_hex(&[b'a'; 65536]));
        assert_eq!(
            chunk1,
            "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
        );
        let chunk2 = signer.chunk_signature(&chunk1, &sha256_hex(&[b'a'; 1024]));
        assert_eq!(
            chunk2,
            "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
        );
        let last = chunk_signature(
            &signer.signing_key,
            &signer.amz_date,
            &signer.scope,
            &chunk2,
            EMPTY_SHA256,
        );
        assert_eq!(
            last,
            "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"
        );
    }

    #[test]
    fn trailer_canonical_form() {
        assert_eq!(
            canonical_trailers([
                ("X-Amz-Checksum-CRC32 ", " AAAAAA== "),
                ("x-amz-trailer-signature", "00")
            ]),
            "x-amz-checksum-crc32:AAAAAA==\n"
        );
        // Independent computation of the documented formula.
        let key = signing_key(SK, "20130524", "us-east-1", "s3");
        let scope = "20130524/us-east-1/s3/aws4_request";
        let prev = "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9";
        let hash = sha256_hex(b"x-amz-checksum-crc32:sOO8/Q==\n");
        let sts = format!("AWS4-HMAC-SHA256-TRAILER\n20130524T000000Z\n{scope}\n{prev}\n{hash}");
        assert_eq!(
            trailer_signature(&key, "20130524T000000Z", scope, prev, &hash),
            hex::encode(hmac_sha256(&key, sts.as_bytes()))
        );
    }
}
