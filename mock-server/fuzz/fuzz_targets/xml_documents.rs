//! Every XML request document the server parses: no panic, bounded work, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mock_server::wire::s3::{CompleteMultipartUpload, CreateBucketConfiguration, Delete};
use mock_server::wire::xml::{parse_xml, root_element};

const MAX: usize = 1 << 20;

fuzz_target!(|data: &[u8]| {
    let _ = root_element(data, MAX);
    if let Ok(doc) = parse_xml::<CompleteMultipartUpload>(data, MAX) {
        // A parsed document renders again without panicking.
        let _ = format!("{doc:?}");
    }
    let _ = parse_xml::<Delete>(data, MAX);
    let _ = parse_xml::<CreateBucketConfiguration>(data, MAX);
});
