//! AWS Signature Version 2 (`AWS ak:sig`, `x-amz-` headers) and the native OBS signature
//! (`OBS ak:sig`, `x-obs-` headers): one algorithm, two header prefixes (PROTOCOLS.md §6.2).
//!
//! `sig = base64(HMAC-SHA1(secret, METHOD\nContent-MD5\nContent-Type\nDate\n{headers}{resource}))`.
//!
//! ```
//! use mock_server::auth::{sigv2, Credentials, RequestTarget};
//! use mock_server::auth::sigv2::HeaderPrefix;
//! use std::time::{Duration, UNIX_EPOCH};
//!
//! let mut headers = http::HeaderMap::new();
//! let target = RequestTarget {
//!     method: "PUT",
//!     raw_path: "/mybucket/big/object.bin",
//!     raw_query: "partNumber=1&uploadId=UP1",
//!     virtual_host_bucket: None,
//! };
//! let creds = Credentials::new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
//! let time = UNIX_EPOCH + Duration::from_secs(1_439_731_510);
//! sigv2::sign(&target, &mut headers, &creds, HeaderPrefix::Amz, time).unwrap();
//! assert_eq!(headers["date"], "Sun, 16 Aug 2015 13:25:10 GMT");
//! assert_eq!(headers["authorization"], "AWS AKIAIOSFODNN7EXAMPLE:l6oNl+A7U9H257P8+maWyZ6OBD8=");
//! ```

use std::time::SystemTime;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use http::header::{HeaderValue, AUTHORIZATION, DATE};
use http::HeaderMap;

use super::clock::{self, format_http_date, from_unix_seconds, parse_http_date, unix_seconds};
use super::encoding::{
    header_joined_trimmed, header_str, percent_decode_lossy, query_items, query_param, uri_encode,
};
use super::{
    authorization, constant_time_eq, hmac_sha1, secret_of, split_key_signature, AuthError,
    CredentialProvider, Credentials, PayloadHash, RequestTarget, Scheme, SignError,
    SignableRequest, Verified,
};

/// Query parameters that are part of the canonical resource (matched case-insensitively,
/// kept as sent). In OBS mode every parameter starting with `x-obs-` is one too.
pub const SUB_RESOURCES: &[&str] = &[
    "acl",
    "append",
    "backtosource",
    "cors",
    "delete",
    "deletebucket",
    "encryption",
    "inventory",
    "lifecycle",
    "location",
    "logging",
    "metadata",
    "modify",
    "name",
    "notification",
    "partNumber",
    "policy",
    "position",
    "quota",
    "rename",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "storageClass",
    "storageinfo",
    "storagePolicy",
    "tagging",
    "torrent",
    "truncate",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
    "x-image-process",
];

/// Which vendor flavour: header prefix and `Authorization` scheme word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeaderPrefix {
    /// `x-amz-` headers, `Authorization: AWS ak:sig`, query `AWSAccessKeyId`.
    Amz,
    /// `x-obs-` headers, `Authorization: OBS ak:sig`, query `AccessKeyId`.
    Obs,
}

impl HeaderPrefix {
    /// `"x-amz-"` or `"x-obs-"`.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Amz => "x-amz-",
            Self::Obs => "x-obs-",
        }
    }

    /// `"AWS"` or `"OBS"`.
    pub fn scheme_word(self) -> &'static str {
        match self {
            Self::Amz => "AWS",
            Self::Obs => "OBS",
        }
    }

    /// `"x-amz-date"` or `"x-obs-date"`: when present it replaces `Date`.
    pub fn date_header(self) -> &'static str {
        match self {
            Self::Amz => "x-amz-date",
            Self::Obs => "x-obs-date",
        }
    }

    /// Access key parameter of the query form: `"AWSAccessKeyId"` or `"AccessKeyId"`.
    pub fn query_access_key_param(self) -> &'static str {
        match self {
            Self::Amz => "AWSAccessKeyId",
            Self::Obs => "AccessKeyId",
        }
    }

    fn scheme(self, presigned: bool) -> Scheme {
        match (self, presigned) {
            (Self::Amz, false) => Scheme::AwsV2,
            (Self::Amz, true) => Scheme::AwsV2Presigned,
            (Self::Obs, false) => Scheme::Obs,
            (Self::Obs, true) => Scheme::ObsPresigned,
        }
    }
}

fn is_sub_resource(name: &str, prefix: HeaderPrefix) -> bool {
    SUB_RESOURCES.iter().any(|s| s.eq_ignore_ascii_case(name))
        || (prefix == HeaderPrefix::Obs
            && name
                .get(..6)
                .is_some_and(|p| p.eq_ignore_ascii_case("x-obs-")))
}

/// Canonicalized resource: `/{bucket}` in virtual-host mode, the raw path, then `?` and the
/// sub-resources sorted by name (stable), each `name` or `name=decoded value`.
pub fn canonical_resource(
    raw_path: &str,
    raw_query: &str,
    virtual_host_bucket: Option<&str>,
    prefix: HeaderPrefix,
) -> String {
    let mut out = String::with_capacity(raw_path.len() + 32);
    if let Some(bucket) = virtual_host_bucket {
        out.push('/');
        out.push_str(bucket);
    }
    out.push_str(if raw_path.is_empty() { "/" } else { raw_path });
    let mut subs: Vec<(&str, Option<&str>)> = query_items(raw_query)
        .filter(|item| is_sub_resource(item.name, prefix))
        .map(|item| (item.name, item.value))
        .collect();
    subs.sort_by(|a, b| a.0.cmp(b.0));
    for (i, (name, value)) in subs.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(name);
        if let Some(value) = value {
            out.push('=');
            out.push_str(&percent_decode_lossy(value));
        }
    }
    out
}

/// The string to sign. `date_override` replaces the date line (the `Expires` value of the query
/// form); otherwise it is the `Date` header, or empty when `{prefix}date` is present.
pub fn string_to_sign(
    target: &RequestTarget<'_>,
    headers: &HeaderMap,
    prefix: HeaderPrefix,
    date_override: Option<&str>,
) -> String {
    let md5 = header_str(headers, "content-md5").unwrap_or_default();
    let content_type = header_str(headers, "content-type").unwrap_or_default();
    let date = match date_override {
        Some(d) => d.to_owned(),
        None if headers.contains_key(prefix.date_header()) => String::new(),
        None => header_str(headers, "date").unwrap_or_default(),
    };
    let mut names: Vec<&str> = headers
        .keys()
        .map(http::HeaderName::as_str)
        .filter(|n| n.starts_with(prefix.prefix()))
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut out = format!("{}\n{md5}\n{content_type}\n{date}\n", target.method);
    for name in names {
        out.push_str(name);
        out.push(':');
        out.push_str(&header_joined_trimmed(headers, name).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&canonical_resource(
        target.raw_path,
        target.raw_query,
        target.virtual_host_bucket,
        prefix,
    ));
    out
}

/// `base64(HMAC-SHA1(secret, string_to_sign))`.
pub fn signature(secret: &str, string_to_sign: &str) -> String {
    BASE64.encode(hmac_sha1(secret.as_bytes(), string_to_sign.as_bytes()))
}

/// Signs a request in the header form: inserts `Date` (from `time`) unless `Date` or
/// `{prefix}date` is already there, then `Authorization: AWS|OBS ak:sig`. Headers added after
/// signing with the prefix, `Content-MD5` or `Content-Type` would break the signature.
pub fn sign(
    target: &RequestTarget<'_>,
    headers: &mut HeaderMap,
    credentials: &Credentials,
    prefix: HeaderPrefix,
    time: SystemTime,
) -> Result<(), SignError> {
    insert_date_if_missing(headers, prefix.date_header(), time)?;
    let sts = string_to_sign(target, headers, prefix, None);
    let value = format!(
        "{} {}:{}",
        prefix.scheme_word(),
        credentials.access_key,
        signature(&credentials.secret_key, &sts)
    );
    let value = HeaderValue::from_str(&value).map_err(|_| SignError::InvalidHeaderValue {
        name: "authorization",
        value,
    })?;
    headers.insert(AUTHORIZATION, value);
    Ok(())
}

/// Inserts `Date: {time}` unless `Date` or `alt_date_header` is present (shared with QingStor).
pub(crate) fn insert_date_if_missing(
    headers: &mut HeaderMap,
    alt_date_header: &str,
    time: SystemTime,
) -> Result<(), SignError> {
    if headers.contains_key(DATE) || headers.contains_key(alt_date_header) {
        return Ok(());
    }
    let date = format_http_date(time).ok_or(SignError::TimeOutOfRange(time))?;
    let value = HeaderValue::from_str(&date).map_err(|_| SignError::InvalidHeaderValue {
        name: "date",
        value: date,
    })?;
    headers.insert(DATE, value);
    Ok(())
}

/// Presigns a request (query form): returns the raw query to send, `target.raw_query`
/// followed by `AWSAccessKeyId`/`AccessKeyId`, `Expires` and `Signature`. `headers` are the
/// headers that will be sent (prefix headers, `Content-MD5` and `Content-Type` are signed).
pub fn presign_query(
    target: &RequestTarget<'_>,
    headers: &HeaderMap,
    credentials: &Credentials,
    prefix: HeaderPrefix,
    expires_at: SystemTime,
) -> Result<String, SignError> {
    let expires = unix_seconds(expires_at)
        .filter(|s| *s >= 0)
        .ok_or(SignError::TimeOutOfRange(expires_at))?
        .to_string();
    let sts = string_to_sign(target, headers, prefix, Some(&expires));
    let sig = signature(&credentials.secret_key, &sts);
    let mut query = String::from(target.raw_query);
    if !query.is_empty() {
        query.push('&');
    }
    query.push_str(&format!(
        "{}={}&Expires={expires}&Signature={}",
        prefix.query_access_key_param(),
        uri_encode(credentials.access_key.as_bytes(), false),
        uri_encode(sig.as_bytes(), false)
    ));
    Ok(query)
}

fn compare(secret: &str, string_to_sign: String, provided: &str) -> Result<(), AuthError> {
    let expected = signature(secret, &string_to_sign);
    if constant_time_eq(expected.as_bytes(), provided.as_bytes()) {
        Ok(())
    } else {
        Err(AuthError::SignatureDoesNotMatch { string_to_sign })
    }
}

/// Verifies `Authorization: AWS|OBS ak:sig` (called by [`super::verify`]).
pub(crate) fn verify_header(
    req: &SignableRequest<'_>,
    creds: &dyn CredentialProvider,
    now: SystemTime,
    prefix: HeaderPrefix,
) -> Result<Verified, AuthError> {
    let value = authorization(req)?;
    let (access_key, provided) = split_key_signature(&value, prefix.scheme_word())?;
    let (date_name, date_value) = match header_str(req.headers, prefix.date_header()) {
        Some(v) => (prefix.date_header(), v),
        None => (
            "Date",
            header_str(req.headers, "date").ok_or_else(|| {
                AuthError::InvalidDate(format!(
                    "{} authentication requires a valid Date or {} header",
                    prefix.scheme_word(),
                    prefix.date_header()
                ))
            })?,
        ),
    };
    let request_time = parse_http_date(&date_value).ok_or_else(|| {
        AuthError::InvalidDate(format!(
            "{date_name}: expected an HTTP date, got {date_value:?}"
        ))
    })?;
    let secret = secret_of(creds, access_key)?;
    clock::check_skew(request_time, now)?;
    compare(
        &secret,
        string_to_sign(&req.target(), req.headers, prefix, None),
        provided,
    )?;
    Ok(Verified {
        access_key: access_key.to_owned(),
        scheme: prefix.scheme(false),
        payload: PayloadHash::NotSigned,
        streaming: None,
    })
}

/// Verifies the query form (called by [`super::verify`]).
pub(crate) fn verify_query(
    req: &SignableRequest<'_>,
    creds: &dyn CredentialProvider,
    now: SystemTime,
    prefix: HeaderPrefix,
) -> Result<Verified, AuthError> {
    let param = |name: &str| {
        query_param(req.raw_query, name)
            .ok_or_else(|| AuthError::MalformedQuery(format!("missing query parameter {name}")))
    };
    let access_key = param(prefix.query_access_key_param())?;
    let provided = param("Signature")?;
    let expires_raw = param("Expires")?;
    let expires = expires_raw
        .parse::<i64>()
        .ok()
        .and_then(from_unix_seconds)
        .ok_or_else(|| {
            AuthError::MalformedQuery(format!(
                "Expires: expected Unix seconds, got {expires_raw:?}"
            ))
        })?;
    let secret = secret_of(creds, &access_key)?;
    if now > expires {
        return Err(AuthError::Expired { expires, now });
    }
    compare(
        &secret,
        string_to_sign(&req.target(), req.headers, prefix, Some(&expires_raw)),
        &provided,
    )?;
    Ok(Verified {
        access_key,
        scheme: prefix.scheme(true),
        payload: PayloadHash::NotSigned,
        streaming: None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{verify, StaticCredentials};
    use super::*;

    const AK: &str = "AKIAIOSFODNN7EXAMPLE";
    const SK: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const DATE_STR: &str = "Sun, 16 Aug 2015 13:25:10 GMT";

    fn creds() -> StaticCredentials {
        StaticCredentials::new(vec![Credentials::new(AK, SK)])
    }

    fn now() -> SystemTime {
        parse_http_date(DATE_STR).unwrap()
    }

    fn target<'a>(
        method: &'a str,
        path: &'a str,
        query: &'a str,
        vhb: Option<&'a str>,
    ) -> RequestTarget<'a> {
        RequestTarget {
            method,
            raw_path: path,
            raw_query: query,
            virtual_host_bucket: vhb,
        }
    }

    fn req<'a>(t: RequestTarget<'a>, headers: &'a HeaderMap) -> SignableRequest<'a> {
        SignableRequest {
            method: t.method,
            raw_path: t.raw_path,
            raw_query: t.raw_query,
            headers,
            virtual_host_bucket: t.virtual_host_bucket,
        }
    }

    #[test]
    fn protocol_vectors() {
        // PROTOCOLS §6.2, both checked against obs/auth.py.
        let t = target(
            "PUT",
            "/mybucket/big/object.bin",
            "partNumber=1&uploadId=UP1",
            None,
        );
        let mut h = HeaderMap::new();
        h.insert(DATE, DATE_STR.parse().unwrap());
        let sts = string_to_sign(&t, &h, HeaderPrefix::Amz, None);
        assert_eq!(
            sts,
            format!("PUT\n\n\n{DATE_STR}\n/mybucket/big/object.bin?partNumber=1&uploadId=UP1")
        );
        assert_eq!(signature(SK, &sts), "l6oNl+A7U9H257P8+maWyZ6OBD8=");
        // Virtual-host OBS form gives the same resource and signature.
        let tv = target(
            "PUT",
            "/big/object.bin",
            "partNumber=1&uploadId=UP1",
            Some("mybucket"),
        );
        assert_eq!(string_to_sign(&tv, &h, HeaderPrefix::Obs, None), sts);

        let t = target(
            "PUT",
            "/mybucket/big/object.bin",
            "partNumber=4&uploadId=UP1",
            None,
        );
        h.insert("x-amz-copy-source", "mybucket/src.txt".parse().unwrap());
        h.insert("x-amz-copy-source-range", "bytes=0-99".parse().unwrap());
        let sts = string_to_sign(&t, &h, HeaderPrefix::Amz, None);
        assert_eq!(
            sts,
            format!("PUT\n\n\n{DATE_STR}\nx-amz-copy-source:mybucket/src.txt\nx-amz-copy-source-range:bytes=0-99\n/mybucket/big/object.bin?partNumber=4&uploadId=UP1")
        );
        assert_eq!(signature(SK, &sts), "+0lERkL13eZmGMZO+YcuYMNnzAs=");
        // x-amz- headers are not canonical headers in OBS mode.
        assert!(!string_to_sign(&t, &h, HeaderPrefix::Obs, None).contains("x-amz-copy-source"));
    }

    #[test]
    fn resource_rules() {
        use HeaderPrefix::{Amz, Obs};
        assert_eq!(canonical_resource("/b", "", None, Amz), "/b");
        assert_eq!(canonical_resource("/", "", Some("b"), Amz), "/b/");
        assert_eq!(canonical_resource("", "", Some("b"), Amz), "/b/");
        assert_eq!(canonical_resource("/k", "", Some("b"), Obs), "/b/k");
        // Non-sub-resources dropped, values decoded, flags stay flags, `=` kept when sent.
        assert_eq!(
            canonical_resource("/b", "uploads&prefix=big%2F&max-uploads=3", None, Amz),
            "/b?uploads"
        );
        assert_eq!(
            canonical_resource("/b", "uploads=", None, Amz),
            "/b?uploads="
        );
        assert_eq!(
            canonical_resource("/b/k", "uploadId=a%2Bb&partNumber=1", None, Amz),
            "/b/k?partNumber=1&uploadId=a+b"
        );
        assert_eq!(
            canonical_resource(
                "/b/k",
                "response-content-type=text%2Fplain&versionId=v1",
                None,
                Amz
            ),
            "/b/k?response-content-type=text/plain&versionId=v1"
        );
        // Case-insensitive match, name kept as sent; x-obs- names only in OBS mode.
        assert_eq!(canonical_resource("/b", "ACL", None, Amz), "/b?ACL");
        assert_eq!(canonical_resource("/b", "x-obs-foo=1", None, Amz), "/b");
        assert_eq!(
            canonical_resource("/b", "x-obs-foo=1", None, Obs),
            "/b?x-obs-foo=1"
        );
    }

    #[test]
    fn date_header_rules() {
        let t = target("GET", "/b", "", None);
        let mut h = HeaderMap::new();
        h.insert(DATE, DATE_STR.parse().unwrap());
        h.insert("x-amz-date", DATE_STR.parse().unwrap());
        h.insert("content-type", "text/plain".parse().unwrap());
        h.insert("content-md5", "1B2M2Y8AsgTpgAhJ5i1opg==".parse().unwrap());
        h.insert("x-amz-meta-a", " v ".parse().unwrap());
        let sts = string_to_sign(&t, &h, HeaderPrefix::Amz, None);
        assert_eq!(
            sts,
            format!("GET\n1B2M2Y8AsgTpgAhJ5i1opg==\ntext/plain\n\nx-amz-date:{DATE_STR}\nx-amz-meta-a:v\n/b")
        );
        // In OBS mode x-amz-date means nothing: Date is used.
        let sts = string_to_sign(&t, &h, HeaderPrefix::Obs, None);
        assert_eq!(
            sts,
            format!("GET\n1B2M2Y8AsgTpgAhJ5i1opg==\ntext/plain\n{DATE_STR}\n/b")
        );
    }

    fn signed(prefix: HeaderPrefix, vhb: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("content-type", "text/plain".parse().unwrap());
        h.insert("content-md5", "1B2M2Y8AsgTpgAhJ5i1opg==".parse().unwrap());
        let meta = format!("{}meta-color", prefix.prefix());
        h.insert(
            http::HeaderName::from_bytes(meta.as_bytes()).unwrap(),
            "blue".parse().unwrap(),
        );
        let t = target("PUT", "/b/k%20x", "partNumber=1&uploadId=UP1&prefix=p", vhb);
        sign(&t, &mut h, &Credentials::new(AK, SK), prefix, now()).unwrap();
        h
    }

    #[test]
    fn sign_verify_and_tamper() {
        for (prefix, vhb, scheme) in [
            (HeaderPrefix::Amz, None, Scheme::AwsV2),
            (HeaderPrefix::Obs, Some("vb"), Scheme::Obs),
        ] {
            let h = signed(prefix, vhb);
            let good = target("PUT", "/b/k%20x", "partNumber=1&uploadId=UP1&prefix=p", vhb);
            let v = verify(&req(good, &h), &creds(), now()).unwrap();
            assert_eq!(v.scheme, scheme);
            assert_eq!(v.payload, PayloadHash::NotSigned);
            // Not a sub-resource: not signed, may change.
            let t = target("PUT", "/b/k%20x", "partNumber=1&uploadId=UP1&prefix=q", vhb);
            assert!(verify(&req(t, &h), &creds(), now()).is_ok());

            let mismatch = |t: RequestTarget<'_>, h: &HeaderMap, what: &str| {
                let r = verify(&req(t, h), &creds(), now());
                assert!(
                    matches!(r, Err(AuthError::SignatureDoesNotMatch { .. })),
                    "{prefix:?} {what}: {r:?}"
                );
            };
            mismatch(
                target(
                    "POST",
                    "/b/k%20x",
                    "partNumber=1&uploadId=UP1&prefix=p",
                    vhb,
                ),
                &h,
                "method",
            );
            mismatch(
                target("PUT", "/b/k%20y", "partNumber=1&uploadId=UP1&prefix=p", vhb),
                &h,
                "path",
            );
            mismatch(
                target("PUT", "/b/k%20x", "partNumber=2&uploadId=UP1&prefix=p", vhb),
                &h,
                "sub-resource",
            );
            mismatch(
                target(
                    "PUT",
                    "/b/k%20x",
                    "partNumber=1&uploadId=UP1&prefix=p&acl",
                    vhb,
                ),
                &h,
                "added sub-resource",
            );
            mismatch(
                target(
                    "PUT",
                    "/b/k%20x",
                    "partNumber=1&uploadId=UP1&prefix=p",
                    Some("other"),
                ),
                &h,
                "bucket",
            );
            let meta = format!("{}meta-color", prefix.prefix());
            for (name, value) in [
                ("content-type", "text/plaim"),
                ("content-md5", "1B2M2Y8AsgTpgAhJ5i1opG=="),
                ("date", "Sun, 16 Aug 2015 13:25:11 GMT"),
                (meta.as_str(), "bluf"),
            ] {
                let mut t2 = h.clone();
                t2.insert(
                    http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    value.parse().unwrap(),
                );
                mismatch(good, &t2, name);
            }
            let mut t2 = h.clone();
            let added = format!("{}acl", prefix.prefix());
            t2.insert(
                http::HeaderName::from_bytes(added.as_bytes()).unwrap(),
                "private".parse().unwrap(),
            );
            mismatch(good, &t2, "added prefix header");
            let mut t2 = h.clone();
            let auth = t2["authorization"].to_str().unwrap().replace(":", ":A");
            t2.insert(AUTHORIZATION, auth.parse().unwrap());
            mismatch(good, &t2, "signature");
        }
    }

    #[test]
    fn header_errors() {
        let h = signed(HeaderPrefix::Amz, None);
        let t = target(
            "PUT",
            "/b/k%20x",
            "partNumber=1&uploadId=UP1&prefix=p",
            None,
        );
        let later = now() + std::time::Duration::from_secs(901);
        assert!(matches!(
            verify(&req(t, &h), &creds(), later),
            Err(AuthError::RequestTimeTooSkewed { .. })
        ));

        let mut h2 = h.clone();
        h2.remove(DATE);
        assert!(matches!(
            verify(&req(t, &h2), &creds(), now()),
            Err(AuthError::InvalidDate(_))
        ));
        h2.insert(DATE, "garbage".parse().unwrap());
        assert!(matches!(
            verify(&req(t, &h2), &creds(), now()),
            Err(AuthError::InvalidDate(_))
        ));

        let mut h2 = h.clone();
        let auth = h2["authorization"].to_str().unwrap().replace(AK, "OTHER");
        h2.insert(AUTHORIZATION, auth.parse().unwrap());
        assert_eq!(
            verify(&req(t, &h2), &creds(), now()),
            Err(AuthError::UnknownAccessKey {
                access_key: "OTHER".into()
            })
        );
        for bad in ["AWS", "AWS nocolon", "AWS :sig", "AWS ak:"] {
            let mut h2 = h.clone();
            h2.insert(AUTHORIZATION, bad.parse().unwrap());
            assert!(
                matches!(
                    verify(&req(t, &h2), &creds(), now()),
                    Err(AuthError::Malformed(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn amz_date_header_is_used_for_time_and_blanks_date() {
        let t = target("GET", "/b", "", None);
        let mut h = HeaderMap::new();
        h.insert("x-amz-date", DATE_STR.parse().unwrap());
        sign(
            &t,
            &mut h,
            &Credentials::new(AK, SK),
            HeaderPrefix::Amz,
            now(),
        )
        .unwrap();
        assert!(
            !h.contains_key(DATE),
            "Date must not be added when x-amz-date is present"
        );
        assert!(verify(&req(t, &h), &creds(), now()).is_ok());
    }

    #[test]
    fn query_form() {
        for (prefix, scheme) in [
            (HeaderPrefix::Amz, Scheme::AwsV2Presigned),
            (HeaderPrefix::Obs, Scheme::ObsPresigned),
        ] {
            let h = HeaderMap::new();
            let expires = now() + std::time::Duration::from_secs(3600);
            let t = target("GET", "/b/k", "versionId=v1", None);
            let q = presign_query(&t, &h, &Credentials::new(AK, SK), prefix, expires).unwrap();
            assert!(q.starts_with(&format!(
                "versionId=v1&{}=AKIAIOSFODNN7EXAMPLE&Expires=1439735110&Signature=",
                prefix.query_access_key_param()
            )));
            let ok = target("GET", "/b/k", &q, None);
            let v = verify(&req(ok, &h), &creds(), now()).unwrap();
            assert_eq!(v.scheme, scheme);
            assert!(matches!(
                verify(
                    &req(ok, &h),
                    &creds(),
                    expires + std::time::Duration::from_secs(1)
                ),
                Err(AuthError::Expired { .. })
            ));
            let tampered = q.replace("versionId=v1", "versionId=v2");
            assert!(matches!(
                verify(
                    &req(target("GET", "/b/k", &tampered, None), &h),
                    &creds(),
                    now()
                ),
                Err(AuthError::SignatureDoesNotMatch { .. })
            ));
            let bad = q.replace("Expires=1439735110", "Expires=soon");
            assert!(matches!(
                verify(&req(target("GET", "/b/k", &bad, None), &h), &creds(), now()),
                Err(AuthError::MalformedQuery(_))
            ));
        }
        // The classic AWS SigV2 query-string example (AWS S3 developer guide).
        let sts = "GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg";
        assert_eq!(
            signature("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", sts),
            "NpgCjnDzrM+WFzoENXmpNDUsSn8="
        );
    }
}
