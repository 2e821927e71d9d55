//! QingStor signature (`Authorization: QS ak:sig`, PROTOCOLS.md §6.3), header and query forms.
//!
//! `sig = base64(HMAC-SHA256(secret, METHOD\nContent-MD5\nContent-Type\nDate\n{x-qs- headers}{resource}))`.
//!
//! ```
//! use mock_server::auth::{qs, Credentials, RequestTarget};
//!
//! let mut headers = http::HeaderMap::new();
//! headers.insert("date", "Sun, 16 Aug 2015 13:25:10 GMT".parse().unwrap());
//! headers.insert("content-type", "application/octet-stream".parse().unwrap());
//! let target = RequestTarget {
//!     method: "PUT",
//!     raw_path: "/mybucket/large-object",
//!     raw_query: "part_number=0&upload_id=4d26b37a469230619604ecdc0e314782",
//!     virtual_host_bucket: None,
//! };
//! let creds = Credentials::new("QYACCESSKEYIDEXAMPLE", "SECRETACCESSKEY0EXAMPLE0QINGSTOR0SECRET");
//! qs::sign(&target, &mut headers, &creds, std::time::SystemTime::now()).unwrap();
//! assert_eq!(
//!     headers["authorization"],
//!     "QS QYACCESSKEYIDEXAMPLE:K5CnTuxLJ4XUoex0jmc0Hcx2Y0w/sDwpZTlFcdzQvq0="
//! );
//! ```

use std::time::SystemTime;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use http::header::{HeaderValue, AUTHORIZATION};
use http::HeaderMap;

use super::clock::{self, from_unix_seconds, parse_http_date, unix_seconds};
use super::encoding::{header_joined_trimmed, header_str, query_items, query_param, uri_encode};
use super::sigv2::insert_date_if_missing;
use super::{
    authorization, constant_time_eq, hmac_sha256, secret_of, split_key_signature, AuthError,
    CredentialProvider, Credentials, PayloadHash, RequestTarget, Scheme, SignError,
    SignableRequest, Verified,
};

/// Query parameters that are part of the canonical resource (exact, case-sensitive names).
pub const SUB_RESOURCES: &[&str] = &[
    "acl",
    "append",
    "cname",
    "cors",
    "delete",
    "image",
    "lifecycle",
    "logging",
    "mirror",
    "notification",
    "part_number",
    "policy",
    "position",
    "replication",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "stats",
    "upload_id",
    "uploads",
];

/// The `x-qs-date` header: when present, the `Date` line of the string to sign is empty.
pub const DATE_HEADER: &str = "x-qs-date";

/// Canonicalized resource: `/{bucket}` + path in virtual-host mode (`/{bucket}/` for an empty
/// path), else the raw path; then `?` + the sub-resource items exactly as sent, sorted as
/// strings, joined with `&`.
pub fn canonical_resource(
    raw_path: &str,
    raw_query: &str,
    virtual_host_bucket: Option<&str>,
) -> String {
    let mut out = String::with_capacity(raw_path.len() + 32);
    if let Some(bucket) = virtual_host_bucket {
        out.push('/');
        out.push_str(bucket);
        out.push_str(if raw_path.is_empty() { "/" } else { raw_path });
    } else {
        out.push_str(raw_path);
    }
    let mut subs: Vec<&str> = query_items(raw_query)
        .filter(|item| SUB_RESOURCES.contains(&item.name))
        .map(|item| item.raw)
        .collect();
    subs.sort_unstable();
    if !subs.is_empty() {
        out.push('?');
        out.push_str(&subs.join("&"));
    }
    out
}

/// The string to sign. With `query_expires` (query form) the `Content-Type` line is empty and
/// the date line is the `expires` value; otherwise the date line is the `Date` header, or empty
/// when `x-qs-date` is present.
pub fn string_to_sign(
    target: &RequestTarget<'_>,
    headers: &HeaderMap,
    query_expires: Option<&str>,
) -> String {
    let md5 = header_str(headers, "content-md5").unwrap_or_default();
    let (content_type, date) = match query_expires {
        Some(expires) => (String::new(), expires.to_owned()),
        None => (
            header_str(headers, "content-type").unwrap_or_default(),
            if headers.contains_key(DATE_HEADER) {
                String::new()
            } else {
                header_str(headers, "date").unwrap_or_default()
            },
        ),
    };
    let mut names: Vec<&str> = headers
        .keys()
        .map(http::HeaderName::as_str)
        .filter(|n| n.starts_with("x-qs-"))
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
    ));
    out
}

/// `base64(HMAC-SHA256(secret, string_to_sign))`.
pub fn signature(secret: &str, string_to_sign: &str) -> String {
    BASE64.encode(hmac_sha256(secret.as_bytes(), string_to_sign.as_bytes()))
}

/// Signs a request in the header form: inserts `Date` (from `time`) unless `Date` or
/// `x-qs-date` is there, then `Authorization: QS ak:sig`. Set `Content-Type` before signing:
/// it is signed (the QingStor SDK always sends one).
pub fn sign(
    target: &RequestTarget<'_>,
    headers: &mut HeaderMap,
    credentials: &Credentials,
    time: SystemTime,
) -> Result<(), SignError> {
    insert_date_if_missing(headers, DATE_HEADER, time)?;
    let sts = string_to_sign(target, headers, None);
    let value = format!(
        "QS {}:{}",
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

/// Presigns a request (query form): returns `target.raw_query` followed by `signature`,
/// `access_key_id` and `expires`, as the QingStor SDK builds it.
pub fn presign_query(
    target: &RequestTarget<'_>,
    headers: &HeaderMap,
    credentials: &Credentials,
    expires_at: SystemTime,
) -> Result<String, SignError> {
    let expires = unix_seconds(expires_at)
        .filter(|s| *s >= 0)
        .ok_or(SignError::TimeOutOfRange(expires_at))?
        .to_string();
    let sts = string_to_sign(target, headers, Some(&expires));
    let sig = signature(&credentials.secret_key, &sts);
    let mut query = String::from(target.raw_query);
    if !query.is_empty() {
        query.push('&');
    }
    query.push_str(&format!(
        "signature={}&access_key_id={}&expires={expires}",
        uri_encode(sig.as_bytes(), false),
        uri_encode(credentials.access_key.as_bytes(), false)
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

/// Verifies `Authorization: QS ak:sig` (called by [`super::verify`]).
pub(crate) fn verify_header(
    req: &SignableRequest<'_>,
    creds: &dyn CredentialProvider,
    now: SystemTime,
) -> Result<Verified, AuthError> {
    let value = authorization(req)?;
    let (access_key, provided) = split_key_signature(&value, "QS")?;
    let (date_name, date_value) = match header_str(req.headers, DATE_HEADER) {
        Some(v) => (DATE_HEADER, v),
        None => (
            "Date",
            header_str(req.headers, "date").ok_or_else(|| {
                AuthError::InvalidDate(
                    "QS authentication requires a Date or x-qs-date header".into(),
                )
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
        string_to_sign(&req.target(), req.headers, None),
        provided,
    )?;
    Ok(Verified {
        access_key: access_key.to_owned(),
        scheme: Scheme::Qs,
        payload: PayloadHash::NotSigned,
        streaming: None,
    })
}

/// Verifies the query form `access_key_id`, `expires`, `signature` (called by [`super::verify`]).
pub(crate) fn verify_query(
    req: &SignableRequest<'_>,
    creds: &dyn CredentialProvider,
    now: SystemTime,
) -> Result<Verified, AuthError> {
    let param = |name: &str| {
        query_param(req.raw_query, name)
            .ok_or_else(|| AuthError::MalformedQuery(format!("missing query parameter {name}")))
    };
    let access_key = param("access_key_id")?;
    let provided = param("signature")?;
    let expires_raw = param("expires")?;
    let expires = expires_raw
        .parse::<i64>()
        .ok()
        .and_then(from_unix_seconds)
        .ok_or_else(|| {
            AuthError::MalformedQuery(format!(
                "expires: expected Unix seconds, got {expires_raw:?}"
            ))
        })?;
    let secret = secret_of(creds, &access_key)?;
    if now > expires {
        return Err(AuthError::Expired { expires, now });
    }
    compare(
        &secret,
        string_to_sign(&req.target(), req.headers, Some(&expires_raw)),
        &provided,
    )?;
    Ok(Verified {
        access_key,
        scheme: Scheme::QsPresigned,
        payload: PayloadHash::NotSigned,
        streaming: None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{verify, StaticCredentials};
    use super::*;
    use std::time::Duration;

    const AK: &str = "QYACCESSKEYIDEXAMPLE";
    const SK: &str = "SECRETACCESSKEY0EXAMPLE0QINGSTOR0SECRET";
    const DATE: &str = "Sun, 16 Aug 2015 13:25:10 GMT";

    fn creds() -> StaticCredentials {
        StaticCredentials::new(vec![Credentials::new(AK, SK)])
    }

    fn now() -> SystemTime {
        parse_http_date(DATE).unwrap()
    }

    fn target<'a>(method: &'a str, path: &'a str, query: &'a str) -> RequestTarget<'a> {
        RequestTarget {
            method,
            raw_path: path,
            raw_query: query,
            virtual_host_bucket: None,
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
    fn protocol_vector() {
        let mut h = HeaderMap::new();
        h.insert("date", DATE.parse().unwrap());
        h.insert("content-type", "application/octet-stream".parse().unwrap());
        let t = target(
            "PUT",
            "/mybucket/large-object",
            "part_number=0&upload_id=4d26b37a469230619604ecdc0e314782",
        );
        let sts = string_to_sign(&t, &h, None);
        assert_eq!(
            sts,
            format!("PUT\n\napplication/octet-stream\n{DATE}\n/mybucket/large-object?part_number=0&upload_id=4d26b37a469230619604ecdc0e314782")
        );
        assert_eq!(
            signature(SK, &sts),
            "K5CnTuxLJ4XUoex0jmc0Hcx2Y0w/sDwpZTlFcdzQvq0="
        );
    }

    #[test]
    fn resource_rules() {
        // Sorted as whole strings, values as sent, non-sub-resources dropped.
        assert_eq!(
            canonical_resource("/b", "limit=10&prefix=big/&uploads", None),
            "/b?uploads"
        );
        assert_eq!(
            canonical_resource(
                "/b/k",
                "upload_id=x%2By&part_number=10&part_number_marker=3",
                None
            ),
            "/b/k?part_number=10&upload_id=x%2By"
        );
        // "k=v" string sort: "part_number=1" < "part_number_x" would not matter; "acl" < "acl=" holds.
        assert_eq!(
            canonical_resource("/b", "cors&acl=&acl", None),
            "/b?acl&acl=&cors"
        );
        assert_eq!(canonical_resource("/k", "", Some("b")), "/b/k");
        assert_eq!(canonical_resource("", "", Some("b")), "/b/");
        assert_eq!(canonical_resource("/", "uploads", Some("b")), "/b/?uploads");
        // Names are case-sensitive for QingStor.
        assert_eq!(canonical_resource("/b", "ACL", None), "/b");
    }

    fn signed() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("content-type", "application/octet-stream".parse().unwrap());
        h.insert("content-md5", "1B2M2Y8AsgTpgAhJ5i1opg==".parse().unwrap());
        h.insert("x-qs-copy-source", "/b/src".parse().unwrap());
        sign(
            &target("PUT", "/b/k", "part_number=1&upload_id=U&limit=3"),
            &mut h,
            &Credentials::new(AK, SK),
            now(),
        )
        .unwrap();
        h
    }

    #[test]
    fn sign_verify_and_tamper() {
        let h = signed();
        assert_eq!(h["date"], DATE);
        let good = target("PUT", "/b/k", "part_number=1&upload_id=U&limit=3");
        let v = verify(&req(good, &h), &creds(), now()).unwrap();
        assert_eq!(v.scheme, Scheme::Qs);
        assert_eq!(v.access_key, AK);
        assert!(verify(
            &req(
                target("PUT", "/b/k", "limit=4&upload_id=U&part_number=1"),
                &h
            ),
            &creds(),
            now()
        )
        .is_ok());
        let mismatch = |t: RequestTarget<'_>, h: &HeaderMap, what: &str| {
            let r = verify(&req(t, h), &creds(), now());
            assert!(
                matches!(r, Err(AuthError::SignatureDoesNotMatch { .. })),
                "{what}: {r:?}"
            );
        };
        mismatch(
            target("POST", "/b/k", "part_number=1&upload_id=U&limit=3"),
            &h,
            "method",
        );
        mismatch(
            target("PUT", "/b/j", "part_number=1&upload_id=U&limit=3"),
            &h,
            "path",
        );
        mismatch(
            target("PUT", "/b/k", "part_number=2&upload_id=U&limit=3"),
            &h,
            "sub-resource",
        );
        mismatch(
            target("PUT", "/b/k", "part_number=1&upload_id=%55&limit=3"),
            &h,
            "value encoding",
        );
        for (name, value) in [
            ("content-type", "application/octet-streal"),
            ("content-md5", "1B2M2Y8AsgTpgAhJ5i1opG=="),
            ("date", "Sun, 16 Aug 2015 13:25:11 GMT"),
            ("x-qs-copy-source", "/b/srd"),
            ("x-qs-copy-range", "bytes=0-1"),
        ] {
            let mut t2 = h.clone();
            t2.insert(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
            mismatch(good, &t2, name);
        }
        let mut t2 = h.clone();
        t2.insert("x-qs-date", DATE.parse().unwrap());
        mismatch(good, &t2, "x-qs-date blanks the Date line");
    }

    #[test]
    fn errors() {
        let h = signed();
        let good = target("PUT", "/b/k", "part_number=1&upload_id=U&limit=3");
        assert!(matches!(
            verify(&req(good, &h), &creds(), now() - Duration::from_secs(901)),
            Err(AuthError::RequestTimeTooSkewed { .. })
        ));
        let mut h2 = h.clone();
        h2.remove("date");
        assert!(matches!(
            verify(&req(good, &h2), &creds(), now()),
            Err(AuthError::InvalidDate(_))
        ));
        let mut h2 = h.clone();
        h2.insert(AUTHORIZATION, "QS nope".parse().unwrap());
        assert!(matches!(
            verify(&req(good, &h2), &creds(), now()),
            Err(AuthError::Malformed(_))
        ));
        let mut h2 = h.clone();
        h2.insert(AUTHORIZATION, "QS OTHER:abc=".parse().unwrap());
        assert_eq!(
            verify(&req(good, &h2), &creds(), now()),
            Err(AuthError::UnknownAccessKey {
                access_key: "OTHER".into()
            })
        );
    }

    #[test]
    fn query_form() {
        let mut h = HeaderMap::new();
        // The SDK drops Content-Type for query signing; a sent one is not part of the signature.
        h.insert("content-type", "text/plain".parse().unwrap());
        let expires = now() + Duration::from_secs(600);
        let t = target("GET", "/b/k", "response-content-type=text/plain");
        let q = presign_query(&t, &h, &Credentials::new(AK, SK), expires).unwrap();
        assert!(q.starts_with("response-content-type=text/plain&signature="));
        assert!(q.ends_with("&access_key_id=QYACCESSKEYIDEXAMPLE&expires=1439732110"));
        let v = verify(&req(target("GET", "/b/k", &q), &h), &creds(), now()).unwrap();
        assert_eq!(v.scheme, Scheme::QsPresigned);
        let sts = string_to_sign(&target("GET", "/b/k", &q), &h, Some("1439732110"));
        assert_eq!(
            sts,
            "GET\n\n\n1439732110\n/b/k?response-content-type=text/plain"
        );
        assert!(matches!(
            verify(
                &req(target("GET", "/b/k", &q), &h),
                &creds(),
                expires + Duration::from_secs(1)
            ),
            Err(AuthError::Expired { .. })
        ));
        let tampered = q.replace("text/plain", "text/html");
        assert!(matches!(
            verify(&req(target("GET", "/b/k", &tampered), &h), &creds(), now()),
            Err(AuthError::SignatureDoesNotMatch { .. })
        ));
    }
}
