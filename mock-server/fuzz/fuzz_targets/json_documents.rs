//! QingStor's JSON request documents: no panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mock_server::wire::json::parse_json;
use mock_server::wire::qs_json::{CompleteMultipartUploadInput, DeleteMultipleInput};

const MAX: usize = 1 << 20;

fuzz_target!(|data: &[u8]| {
    let _ = parse_json::<CompleteMultipartUploadInput>(data, MAX);
    let _ = parse_json::<DeleteMultipleInput>(data, MAX);
});
