//! The aws-chunked decoder, fed the input split at fuzzer-chosen points, in unsigned and signed
//! mode: no panic, and what it yields is never more than it was given.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use mock_server::auth::StreamingSigner;
use mock_server::aws_chunked::{AwsChunkedDecoder, ChunkSignatureMode};

fuzz_target!(|data: &[u8]| {
    // First byte: mode and split stride; second: expected length (or none).
    let (ctl, rest) = match data {
        [a, b, rest @ ..] => ((*a, *b), rest),
        _ => return,
    };
    let mode = if ctl.0 & 1 == 0 {
        ChunkSignatureMode::Unsigned
    } else {
        ChunkSignatureMode::Signed(StreamingSigner {
            signing_key: [7u8; 32],
            amz_date: "20130524T000000Z".into(),
            scope: "20130524/us-east-1/s3/aws4_request".into(),
            seed_signature: "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9".into(),
        })
    };
    let mut d = AwsChunkedDecoder::new(mode);
    if ctl.1 & 1 == 1 {
        d = d.with_expected_len(u64::from(ctl.1 >> 1));
    }
    let stride = usize::from(ctl.0 >> 1).max(1);
    let mut out = 0usize;
    for piece in rest.chunks(stride) {
        match d.feed(Bytes::copy_from_slice(piece)) {
            Ok(parts) => out += parts.iter().map(|p| p.len()).sum::<usize>(),
            Err(_) => return,
        }
    }
    assert!(out <= rest.len(), "decoded {out} bytes out of {}", rest.len());
    if d.finish().is_ok() {
        assert_eq!(d.decoded_len(), out as u64);
    }
});
