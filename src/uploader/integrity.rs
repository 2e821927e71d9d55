//! Digests of part data and the checks made against what the service answers: part ETag =
//! MD5 of the bytes sent, object ETag = MD5 of the part MD5s + `-N`, checksum echoes.

use base64::Engine as _;
use bytes::Bytes;
use mock_server::checksum::{
    composite_checksum, full_object_checksum, Checksum, ChecksumAlgorithm, Md5,
};
use mock_server::md5_lanes::Md5Lanes;

use super::config::ChecksumChoice;
use super::plan::PartRange;

/// Which digests to compute when a part is read (MD5 is always computed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DigestOptions {
    /// Additional checksum.
    pub checksum: ChecksumChoice,
    /// Hex SHA-256 for a signed SigV4 payload.
    pub sha256_payload: bool,
}

/// One part's bytes and digests, computed once and reused by every attempt.
#[derive(Clone, Debug)]
pub struct PartData {
    /// Which part.
    pub range: PartRange,
    /// The bytes (cheap to clone: retries resend this very buffer).
    pub bytes: Bytes,
    /// MD5 of the bytes.
    pub md5: [u8; 16],
    /// Base64 of the additional checksum, if one was asked for.
    pub checksum: Option<String>,
    /// Hex SHA-256 of the bytes, if a signed payload was asked for.
    pub sha256_hex: Option<String>,
}

impl PartData {
    /// Computes the digests of `bytes`.
    pub fn new(range: PartRange, bytes: Bytes, options: DigestOptions) -> Self {
        let md5 = Md5::digest(&bytes);
        Self::with_md5(range, bytes, md5, options)
    }

    /// Computes the digests of `bytes`, MD5 by the process's multi-buffer engine
    /// ([`Md5Lanes::global`]): parts hashed at the same time share its SIMD lanes, several
    /// times faster than hashing each alone. The other digests are computed here.
    pub async fn hashed(range: PartRange, bytes: Bytes, options: DigestOptions) -> Self {
        /// Pieces the part is queued in, so the engine can interleave it with other parts.
        const PIECE: usize = 256 << 10;
        let mut stream = Md5Lanes::global().stream();
        let mut at = 0;
        while at < bytes.len() {
            let end = (at + PIECE).min(bytes.len());
            stream.reserve().await;
            stream.update(bytes.slice(at..end));
            at = end;
        }
        let md5 = stream.finish().await;
        Self::with_md5(range, bytes, md5, options)
    }

    /// The part with its MD5 already known; computes the other digests asked for.
    fn with_md5(range: PartRange, bytes: Bytes, md5: [u8; 16], options: DigestOptions) -> Self {
        let checksum = checksum_base64(options.checksum, &bytes);
        let sha256_hex = options.sha256_payload.then(|| {
            use sha2::{Digest, Sha256};
            hex::encode(Sha256::digest(&bytes))
        });
        PartData {
            range,
            bytes,
            md5,
            checksum,
            sha256_hex,
        }
    }

    /// Lower-case hex MD5 (what a part ETag must be, without quotes).
    pub fn md5_hex(&self) -> String {
        hex::encode(self.md5)
    }

    /// Base64 MD5 for the `Content-MD5` header.
    pub fn content_md5(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.md5)
    }
}

/// The `mock_server` checksum algorithm of a choice.
pub fn algorithm(choice: ChecksumChoice) -> Option<ChecksumAlgorithm> {
    match choice {
        ChecksumChoice::None => None,
        ChecksumChoice::Crc32c => Some(ChecksumAlgorithm::Crc32c),
        ChecksumChoice::Crc64Nvme => Some(ChecksumAlgorithm::Crc64Nvme),
        ChecksumChoice::Sha256 => Some(ChecksumAlgorithm::Sha256),
    }
}

/// Base64 of the additional checksum of `data`, or `None` for [`ChecksumChoice::None`].
pub fn checksum_base64(choice: ChecksumChoice, data: &[u8]) -> Option<String> {
    algorithm(choice).map(|alg| Checksum::compute(alg, data).to_base64())
}

/// The object checksum the service should report for parts with these checksums (base64) and
/// lengths: composite `b64-N` for CRC32C and SHA-256, full-object for CRC64NVME.
pub fn expected_object_checksum(choice: ChecksumChoice, parts: &[(String, u64)]) -> Option<String> {
    let alg = algorithm(choice)?;
    let decoded: Vec<(Checksum, u64)> = parts
        .iter()
        .map(|(b64, len)| Checksum::from_base64(alg, b64).ok().map(|c| (c, *len)))
        .collect::<Option<_>>()?;
    if alg == ChecksumAlgorithm::Crc64Nvme {
        full_object_checksum(alg, &decoded).map(|c| c.to_base64())
    } else {
        let values: Vec<Checksum> = decoded.into_iter().map(|(c, _)| c).collect();
        Some(composite_checksum(alg, &values))
    }
}

/// Compares two checksum values, ignoring a `-N` part-count suffix on either side (some
/// services report composite checksums without it).
pub fn checksums_equal(a: &str, b: &str) -> bool {
    let base = |s: &str| s.trim().split('-').next().unwrap_or("").to_string();
    a.trim() == b.trim() || base(a) == base(b)
}

/// An ETag without surrounding quotes or whitespace, lower-cased (ETags are compared this way;
/// clients and servers disagree about quoting).
pub fn normalize_etag(etag: &str) -> String {
    let t = etag.trim();
    let t = t.strip_prefix("W/").unwrap_or(t);
    t.trim_matches('"').to_ascii_lowercase()
}

pub use mock_server::checksum::multipart_etag;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_normalise() {
        assert_eq!(normalize_etag("\"ABCdef\""), "abcdef");
        assert_eq!(normalize_etag(" abc "), "abc");
        assert_eq!(normalize_etag("W/\"abc-2\""), "abc-2");
    }

    #[test]
    fn part_digests_match_known_vectors() {
        let range = PartRange {
            index: 0,
            offset: 0,
            len: 0,
        };
        let empty = PartData::new(range, Bytes::new(), DigestOptions::default());
        assert_eq!(empty.md5_hex(), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(empty.content_md5(), "1B2M2Y8AsgTpgAmY7PhCfg==");
        assert_eq!(empty.sha256_hex, None);
        let hello = PartData::new(
            PartRange { len: 5, ..range },
            Bytes::from_static(b"hello"),
            DigestOptions {
                sha256_payload: true,
                ..DigestOptions::default()
            },
        );
        assert_eq!(hello.md5_hex(), "5d41402abc4b2a76b9719d911017c592");
        assert_eq!(
            hello.sha256_hex.as_deref(),
            Some("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
        );
    }

    #[test]
    fn checksums_are_computed_and_combined() {
        // CRC32C("123456789") = e3069283, CRC64NVME("123456789") = ae8b14860a799888.
        assert_eq!(
            checksum_base64(ChecksumChoice::Crc32c, b"123456789").as_deref(),
            Some("4waSgw==")
        );
        assert_eq!(
            checksum_base64(ChecksumChoice::Crc64Nvme, b"123456789").as_deref(),
            Some("rosUhgp5mIg=")
        );
        assert_eq!(checksum_base64(ChecksumChoice::None, b"x"), None);
        // Full-object CRC64NVME of two parts equals the CRC of the whole.
        let parts = vec![
            (
                checksum_base64(ChecksumChoice::Crc64Nvme, b"12345").unwrap(),
                5,
            ),
            (
                checksum_base64(ChecksumChoice::Crc64Nvme, b"6789").unwrap(),
                4,
            ),
        ];
        assert_eq!(
            expected_object_checksum(ChecksumChoice::Crc64Nvme, &parts).as_deref(),
            Some("rosUhgp5mIg=")
        );
        // Composite: checksum of the concatenated raw part checksums, then -N.
        let a = Checksum::compute(ChecksumAlgorithm::Crc32c, b"12345");
        let b = Checksum::compute(ChecksumAlgorithm::Crc32c, b"6789");
        let mut raw = a.value.clone();
        raw.extend_from_slice(&b.value);
        let want = format!(
            "{}-2",
            Checksum::compute(ChecksumAlgorithm::Crc32c, &raw).to_base64()
        );
        let parts = vec![(a.to_base64(), 5), (b.to_base64(), 4)];
        assert_eq!(
            expected_object_checksum(ChecksumChoice::Crc32c, &parts),
            Some(want)
        );
        assert_eq!(
            expected_object_checksum(ChecksumChoice::Crc32c, &[("bad!".into(), 1)]),
            None
        );
        assert!(checksums_equal("abc=-2", "abc="));
        assert!(!checksums_equal("abc=-2", "abd=-2"));
    }

    #[test]
    fn multipart_etag_is_md5_of_md5s() {
        // Two parts "a" and "b": md5("a") = 0cc175b9..., md5("b") = 92eb5ffe...
        let a: [u8; 16] = Md5::digest(b"a");
        let b: [u8; 16] = Md5::digest(b"b");
        let mut cat = Vec::new();
        cat.extend_from_slice(&a);
        cat.extend_from_slice(&b);
        let expected = format!("{}-2", hex::encode(Md5::digest(&cat)));
        assert_eq!(multipart_etag(&[a, b]), expected);
        // Independently known value for a single empty part.
        let e: [u8; 16] = Md5::digest(b"");
        assert_eq!(multipart_etag(&[e]), "59adb24ef3cdbe0297f05b395827453f-1");
    }
}
