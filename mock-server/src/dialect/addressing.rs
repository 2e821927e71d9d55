//! Where bucket and key come from: the path (path-style) or the Host header (virtual-hosted).
//!
//! Rules (PROTOCOLS.md §5.4): an IP host is always path-style. `BUCKET.<domain>` for a known
//! domain (`localhost` and any configured with `--domain`) is virtual-hosted. For another
//! dotted host name (`bucket.example:9000`, as clients send through `HTTP_PROXY`), the first
//! label is the bucket when such a bucket exists; otherwise path-style.

use super::CodecContext;
use crate::error::{ErrorCode, ServiceError};
use crate::http::RequestHead;

/// Bucket and key of a request, decoded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Address {
    /// Bucket, if the request names one.
    pub bucket: Option<String>,
    /// Key, if the request names one (never empty).
    pub key: Option<String>,
    /// The bucket came from the Host header.
    pub virtual_host_bucket: Option<String>,
}

/// Percent-decodes a path component into UTF-8.
pub fn decode_component(raw: &str) -> Result<String, ServiceError> {
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(raw).collect();
    String::from_utf8(bytes).map_err(|_| {
        ServiceError::with_message(
            ErrorCode::InvalidArgument,
            "The path is not valid UTF-8 after percent-decoding; object keys must be UTF-8.",
        )
    })
}

fn is_ip(host: &str) -> bool {
    host.parse::<std::net::IpAddr>().is_ok()
}

/// The bucket a Host header names, if it is virtual-hosted. `strip_labels` removes a QingStor
/// zone label first.
pub fn host_bucket(hostname: &str, ctx: &CodecContext) -> Option<String> {
    let host = hostname.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() || is_ip(&host) {
        return None;
    }
    let mut domains: Vec<&str> = ctx.domains.iter().map(String::as_str).collect();
    if !domains.contains(&"localhost") {
        domains.push("localhost");
    }
    for d in domains {
        if host == d {
            return None;
        }
        if let Some(b) = host.strip_suffix(d).and_then(|p| p.strip_suffix('.')) {
            return (!b.is_empty()).then(|| b.to_string());
        }
    }
    let (first, rest) = host.split_once('.')?;
    if rest.is_empty() || is_ip(rest) {
        return None;
    }
    match &ctx.bucket_exists {
        Some(exists) if exists(first) => Some(first.to_string()),
        _ => None,
    }
}

/// Resolves bucket and key from the path, with `host_bucket` (if any) as the bucket.
pub fn resolve(head: &RequestHead, host_bucket: Option<String>) -> Result<Address, ServiceError> {
    let path = head.raw_path.strip_prefix('/').unwrap_or(&head.raw_path);
    match host_bucket {
        Some(b) => {
            let key = decode_component(path)?;
            Ok(Address {
                bucket: Some(b.clone()),
                key: (!key.is_empty()).then_some(key),
                virtual_host_bucket: Some(b),
            })
        }
        None => {
            if path.is_empty() {
                return Ok(Address::default());
            }
            let (b, k) = path.split_once('/').unwrap_or((path, ""));
            let bucket = decode_component(b)?;
            let key = decode_component(k)?;
            Ok(Address {
                bucket: (!bucket.is_empty()).then_some(bucket),
                key: (!key.is_empty()).then_some(key),
                virtual_host_bucket: None,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn ctx() -> CodecContext {
        CodecContext {
            domains: vec!["s3.test".into()],
            bucket_exists: Some(Arc::new(|b: &str| b == "known")),
        }
    }

    #[test]
    fn host_rules() {
        let c = ctx();
        assert_eq!(host_bucket("127.0.0.1", &c), None);
        assert_eq!(host_bucket("localhost", &c), None);
        assert_eq!(
            host_bucket("new-bucket.localhost", &c).as_deref(),
            Some("new-bucket")
        );
        assert_eq!(host_bucket("a.b.s3.test", &c).as_deref(), Some("a.b"));
        assert_eq!(host_bucket("known.example", &c).as_deref(), Some("known"));
        assert_eq!(host_bucket("unknown.example", &c), None);
        assert_eq!(host_bucket("pek3b.127.0.0.1", &c), None);
    }
}
