//! Helpers shared by the S3 integration tests: servers on both store backends, a small signing
//! S3 client over reqwest, a raw TCP client for request lines reqwest cannot send, an
//! independent XML reader, and digests computed without the server's own code.
#![allow(dead_code)]

pub mod client;
pub mod digest;
pub mod raw;
pub mod xml;

#[allow(unused_imports)]
pub use client::{obj_path, S3};
#[allow(unused_imports)]
pub use xml::Xml;

use mock_server::{MockServer, MockServerBuilder};

/// Test credentials (AWS documentation examples).
pub const AK: &str = "AKIAIOSFODNN7EXAMPLE";
/// Secret of [`AK`].
pub const SK: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// Part size used by multipart tests (with `min_part_size(MIN_PART)`).
pub const MIN_PART: u64 = 64 * 1024;

/// The store a server under test uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `MockServer::builder().memory()`.
    Memory,
    /// The default disk store in a temporary directory.
    Disk,
}

/// A builder on `backend`.
pub fn builder(backend: Backend) -> MockServerBuilder {
    match backend {
        Backend::Memory => MockServer::builder().memory(),
        Backend::Disk => MockServer::builder(),
    }
}

/// A started server on `backend` with `MIN_PART` as minimum part size, and a client for it.
pub async fn start(backend: Backend) -> (MockServer, S3) {
    start_with(builder(backend).min_part_size(MIN_PART)).await
}

/// Starts `b` and returns it with an (unsigned) client.
pub async fn start_with(b: MockServerBuilder) -> (MockServer, S3) {
    let server = b.start().await.expect("server starts");
    let s3 = S3::new(&server);
    (server, s3)
}

/// Deterministic pseudo-random bytes (xorshift), different per `seed`.
pub fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Runs an async test function once per backend, as `NAME::memory` and `NAME::disk`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn memory() {
                    super::$name($crate::common::Backend::Memory).await
                }
                #[tokio::test]
                async fn disk() {
                    super::$name($crate::common::Backend::Disk).await
                }
            }
        )*
    };
}
