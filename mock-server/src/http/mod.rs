//! The HTTP layer: hyper connections in, [`RequestHead`]s and payloads out to the dialect
//! codecs, responses back.

pub mod body;
pub mod response;
pub mod server;
pub mod tls;

use http::{HeaderMap, Method};

/// The parts of a request a codec needs, with the raw (still percent-encoded) path and query
/// kept for signature verification.
#[derive(Debug, Clone)]
pub struct RequestHead {
    /// Method.
    pub method: Method,
    /// Raw path as received, percent-encoded (`/bucket/key%20name`).
    pub raw_path: String,
    /// Raw query without `?`, as received.
    pub raw_query: String,
    /// Headers.
    pub headers: HeaderMap,
    /// Host (with port) from an absolute-form request target, else the `Host` header.
    pub host: String,
    /// Whether the request came over TLS.
    pub tls: bool,
    /// The request id answered in `x-amz-request-id` and friends.
    pub request_id: String,
}

impl RequestHead {
    /// Builds the head of a hyper request; absolute-form targets (`PUT http://host/b/k`, as
    /// sent to a proxy) give their authority as the host.
    pub fn from_parts(parts: &http::request::Parts, tls: bool, request_id: String) -> Self {
        let host = parts
            .uri
            .authority()
            .map(|a| a.as_str().to_string())
            .or_else(|| {
                parts
                    .headers
                    .get(http::header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .map(str::to_string)
            })
            .unwrap_or_default();
        RequestHead {
            method: parts.method.clone(),
            raw_path: parts.uri.path().to_string(),
            raw_query: parts.uri.query().unwrap_or("").to_string(),
            headers: parts.headers.clone(),
            host,
            tls,
            request_id,
        }
    }

    /// A header as a string (first occurrence), if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The host without the port.
    pub fn hostname(&self) -> &str {
        let h = self.host.as_str();
        if let Some(rest) = h.strip_prefix('[') {
            // [::1]:9000
            return rest.split(']').next().unwrap_or(rest);
        }
        h.rsplit_once(':')
            .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
            .map(|(name, _)| name)
            .unwrap_or(h)
    }
}
