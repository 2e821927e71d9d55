//! Path, query and host parsing: percent-decoding, query items, virtual-host and path-style
//! resolution of arbitrary request targets. No panic; a decoded key never grows past its input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mock_server::auth::encoding::{percent_decode, query_items, query_param, uri_encode};
use mock_server::dialect::addressing::{decode_component, host_bucket, resolve};
use mock_server::dialect::CodecContext;
use mock_server::http::RequestHead;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        let _ = uri_encode(data, true);
        return;
    };
    // Split into host | path | query on the first two NULs.
    let mut it = text.splitn(3, '\0');
    let host = it.next().unwrap_or("");
    let path = it.next().unwrap_or(text);
    let query = it.next().unwrap_or("");
    assert!(percent_decode(path).len() <= path.len());
    if let Ok(k) = decode_component(path) {
        assert!(k.len() <= path.len());
    }
    for item in query_items(query) {
        let _ = format!("{item:?}");
    }
    let _ = query_param(query, "uploadId");
    let ctx = CodecContext {
        domains: vec!["localhost".into(), "s3.example.com".into()],
        bucket_exists: None,
    };
    let hb = host_bucket(host.split(':').next().unwrap_or(""), &ctx);
    let Ok(uri) = format!("{}?{query}", if path.starts_with('/') { path.to_string() } else { format!("/{path}") }).parse::<http::Uri>() else {
        return;
    };
    let mut req = http::Request::builder().method("PUT").uri(uri);
    if let Ok(h) = http::HeaderValue::from_str(host) {
        req = req.header("host", h);
    }
    let Ok(req) = req.body(()) else { return };
    let (parts, ()) = req.into_parts();
    let head = RequestHead::from_parts(&parts, false, "FUZZ".into());
    let _ = resolve(&head, hb);
});
