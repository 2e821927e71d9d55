//! Signature detection and verification with arbitrary headers and query: every scheme's parser
//! sees hostile input. No panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mock_server::auth::{detect, verify, Credentials, SignableRequest, StaticCredentials};
use std::time::{Duration, UNIX_EPOCH};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // Lines: method, path, query, then `name: value` headers.
    let mut lines = text.split('\n');
    let method = lines.next().unwrap_or("GET");
    let path = lines.next().unwrap_or("/");
    let query = lines.next().unwrap_or("");
    let mut headers = http::HeaderMap::new();
    for l in lines {
        if let Some((n, v)) = l.split_once(':') {
            if let (Ok(n), Ok(v)) = (
                http::HeaderName::from_bytes(n.trim().as_bytes()),
                http::HeaderValue::from_str(v.trim()),
            ) {
                headers.append(n, v);
            }
        }
    }
    let req = SignableRequest {
        method,
        raw_path: path,
        raw_query: query,
        headers: &headers,
        virtual_host_bucket: None,
    };
    let _ = detect(&req);
    let creds = StaticCredentials::new(vec![Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")]);
    let now = UNIX_EPOCH + Duration::from_secs(1_369_353_600);
    let _ = verify(&req, &creds, now);
});
