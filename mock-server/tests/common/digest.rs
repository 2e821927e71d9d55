//! Digests computed here, independently of the server's `checksum` module, so a wrong server
//! computation cannot agree with itself.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use md5::{Digest, Md5};

/// Hex MD5 (a single-part ETag without quotes).
pub fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

/// Base64 MD5 (a `Content-MD5` header value).
pub fn md5_b64(data: &[u8]) -> String {
    B64.encode(Md5::digest(data))
}

/// Multipart ETag without quotes: MD5 of the concatenated binary part MD5s, `-N`.
pub fn multipart_etag(parts: &[&[u8]]) -> String {
    let mut all = Vec::new();
    for p in parts {
        all.extend_from_slice(&Md5::digest(p));
    }
    format!("{}-{}", hex::encode(Md5::digest(&all)), parts.len())
}

/// Flexible checksum algorithms, by their S3 names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    /// CRC32 (zlib).
    Crc32,
    /// CRC32C (Castagnoli).
    Crc32c,
    /// CRC64/NVME.
    Crc64Nvme,
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
}

impl Alg {
    /// All five.
    pub const ALL: [Alg; 5] = [
        Alg::Crc32,
        Alg::Crc32c,
        Alg::Crc64Nvme,
        Alg::Sha1,
        Alg::Sha256,
    ];

    /// `CRC32`, ...
    pub fn name(self) -> &'static str {
        match self {
            Alg::Crc32 => "CRC32",
            Alg::Crc32c => "CRC32C",
            Alg::Crc64Nvme => "CRC64NVME",
            Alg::Sha1 => "SHA1",
            Alg::Sha256 => "SHA256",
        }
    }

    /// `x-amz-checksum-crc32`, ...
    pub fn header(self) -> String {
        format!("x-amz-checksum-{}", self.name().to_ascii_lowercase())
    }

    /// `ChecksumCRC32`, ...
    pub fn element(self) -> String {
        format!("Checksum{}", self.name())
    }

    /// Raw checksum bytes of `data` (CRCs big-endian).
    pub fn raw(self, data: &[u8]) -> Vec<u8> {
        use crc_fast::CrcAlgorithm as C;
        match self {
            Alg::Crc32 => (crc_fast::checksum(C::Crc32IsoHdlc, data) as u32)
                .to_be_bytes()
                .to_vec(),
            Alg::Crc32c => (crc_fast::checksum(C::Crc32Iscsi, data) as u32)
                .to_be_bytes()
                .to_vec(),
            Alg::Crc64Nvme => crc_fast::checksum(C::Crc64Nvme, data)
                .to_be_bytes()
                .to_vec(),
            Alg::Sha1 => sha1::Sha1::digest(data).to_vec(),
            Alg::Sha256 => sha2::Sha256::digest(data).to_vec(),
        }
    }

    /// Base64 checksum of `data` (the header value).
    pub fn b64(self, data: &[u8]) -> String {
        B64.encode(self.raw(data))
    }

    /// S3 COMPOSITE checksum of parts: checksum of the concatenated raw part checksums, `-N`.
    pub fn composite(self, parts: &[&[u8]]) -> String {
        let mut all = Vec::new();
        for p in parts {
            all.extend_from_slice(&self.raw(p));
        }
        format!("{}-{}", self.b64(&all), parts.len())
    }
}

/// Hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(data))
}

#[test]
fn known_vectors() {
    // Published check values of the CRC catalogue for "123456789".
    assert_eq!(Alg::Crc32.raw(b"123456789"), 0xCBF4_3926u32.to_be_bytes());
    assert_eq!(Alg::Crc32c.raw(b"123456789"), 0xE306_9283u32.to_be_bytes());
    assert_eq!(
        Alg::Crc64Nvme.raw(b"123456789"),
        0xAE8B_1486_0A79_9888u64.to_be_bytes()
    );
    assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
}
