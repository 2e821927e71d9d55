//! Checksums of the wire protocols: MD5 ETags, `Content-MD5`, and S3's flexible checksums
//! (CRC32, CRC32C, CRC64NVME, SHA-1, SHA-256), computed incrementally.
//!
//! CRCs use `crc-fast` (hardware accelerated); the SHA family uses `sha1`/`sha2`.
//! Checksum values are kept as raw big-endian bytes ([`Checksum::value`]) and rendered in
//! base64 as the `x-amz-checksum-*` headers and `<ChecksumXXX>` XML elements carry them.
//!
//! ```
//! use mock_server::checksum::{Checksum, ChecksumAlgorithm, Checksummer};
//!
//! let mut c = Checksummer::new(ChecksumAlgorithm::Crc32);
//! c.update(b"hello ");
//! c.update(b"over tls");
//! assert_eq!(c.finalize().to_base64(), "Br5oYg==");
//! assert_eq!(Checksum::compute(ChecksumAlgorithm::Crc32, b"hello over tls").to_base64(), "Br5oYg==");
//! ```

use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use sha2::Digest as _;

/// Errors when parsing checksum values received from a peer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChecksumError {
    /// The value is not valid (padded, standard-alphabet) base64.
    #[error("{what}: expected base64, got {value:?}")]
    InvalidBase64 {
        /// What was being parsed (`"CRC32"`, `"Content-MD5"`, ...).
        what: &'static str,
        /// The value as received.
        value: String,
    },
    /// The value decodes to the wrong number of bytes for its algorithm.
    #[error("{what}: expected {expected} bytes, got {actual}")]
    WrongLength {
        /// What was being parsed (`"CRC32"`, `"Content-MD5"`, ...).
        what: &'static str,
        /// Digest length of the algorithm.
        expected: usize,
        /// Length of the decoded value.
        actual: usize,
    },
}

/// The flexible checksum algorithms of S3 (`x-amz-checksum-<alg>`, `x-amz-sdk-checksum-algorithm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChecksumAlgorithm {
    /// CRC-32 as in zlib / IEEE 802.3 (CRC-32/ISO-HDLC), 4 bytes.
    Crc32,
    /// CRC-32C (Castagnoli, CRC-32/ISCSI), 4 bytes.
    Crc32c,
    /// CRC-64/NVME, 8 bytes.
    Crc64Nvme,
    /// SHA-1, 20 bytes.
    Sha1,
    /// SHA-256, 32 bytes.
    Sha256,
}

impl ChecksumAlgorithm {
    /// Every algorithm, in a fixed order.
    pub const ALL: [Self; 5] = [
        Self::Crc32,
        Self::Crc32c,
        Self::Crc64Nvme,
        Self::Sha1,
        Self::Sha256,
    ];

    /// Parses an algorithm name as sent in `x-amz-checksum-algorithm` /
    /// `x-amz-sdk-checksum-algorithm` (case-insensitive: `"CRC32"`, `"crc32c"`, ...).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Finds the algorithm whose checksum header is `header` (case-insensitive,
    /// e.g. `"x-amz-checksum-crc32"`).
    pub fn from_header_name(header: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.header_name().eq_ignore_ascii_case(header))
    }

    /// Upper-case name: `"CRC32"`, `"CRC32C"`, `"CRC64NVME"`, `"SHA1"`, `"SHA256"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Crc32 => "CRC32",
            Self::Crc32c => "CRC32C",
            Self::Crc64Nvme => "CRC64NVME",
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
        }
    }

    /// Lower-case header name, e.g. `"x-amz-checksum-crc32"`.
    pub fn header_name(self) -> &'static str {
        match self {
            Self::Crc32 => "x-amz-checksum-crc32",
            Self::Crc32c => "x-amz-checksum-crc32c",
            Self::Crc64Nvme => "x-amz-checksum-crc64nvme",
            Self::Sha1 => "x-amz-checksum-sha1",
            Self::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// XML element name in S3 documents, e.g. `"ChecksumCRC32"`.
    pub fn xml_element(self) -> &'static str {
        match self {
            Self::Crc32 => "ChecksumCRC32",
            Self::Crc32c => "ChecksumCRC32C",
            Self::Crc64Nvme => "ChecksumCRC64NVME",
            Self::Sha1 => "ChecksumSHA1",
            Self::Sha256 => "ChecksumSHA256",
        }
    }

    /// Whether S3's `FULL_OBJECT` multipart checksum type exists for this algorithm
    /// (true for the CRCs, whose part values can be combined).
    pub fn supports_full_object(self) -> bool {
        self.crc_algorithm().is_some()
    }

    /// Number of bytes of a raw checksum value.
    pub fn digest_len(self) -> usize {
        match self {
            Self::Crc32 | Self::Crc32c => 4,
            Self::Crc64Nvme => 8,
            Self::Sha1 => 20,
            Self::Sha256 => 32,
        }
    }

    fn crc_algorithm(self) -> Option<crc_fast::CrcAlgorithm> {
        match self {
            Self::Crc32 => Some(crc_fast::CrcAlgorithm::Crc32IsoHdlc),
            Self::Crc32c => Some(crc_fast::CrcAlgorithm::Crc32Iscsi),
            Self::Crc64Nvme => Some(crc_fast::CrcAlgorithm::Crc64Nvme),
            Self::Sha1 | Self::Sha256 => None,
        }
    }
}

impl fmt::Display for ChecksumAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// S3 multipart checksum type (`x-amz-checksum-type`, `<ChecksumType>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChecksumType {
    /// Checksum of the concatenated part checksums, suffixed `-N`.
    Composite,
    /// CRC of the whole object, combined from the part CRCs.
    FullObject,
}

impl ChecksumType {
    /// Wire name: `"COMPOSITE"` or `"FULL_OBJECT"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Composite => "COMPOSITE",
            Self::FullObject => "FULL_OBJECT",
        }
    }

    /// Parses the wire name (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Composite, Self::FullObject]
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(name.trim()))
    }
}

/// A computed or received checksum: algorithm plus raw big-endian value bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Checksum {
    /// The algorithm that produced `value`.
    pub algorithm: ChecksumAlgorithm,
    /// Raw digest bytes (CRCs big-endian), `algorithm.digest_len()` long.
    pub value: Vec<u8>,
}

impl Checksum {
    /// Checksum of `data` in one call.
    pub fn compute(algorithm: ChecksumAlgorithm, data: &[u8]) -> Self {
        let mut c = Checksummer::new(algorithm);
        c.update(data);
        c.finalize()
    }

    /// Base64 form, as in `x-amz-checksum-*` headers.
    pub fn to_base64(&self) -> String {
        BASE64.encode(&self.value)
    }

    /// Parses a base64 value as received in a header, trailer or XML element.
    /// Rejects malformed base64 and values of the wrong length for `algorithm`.
    pub fn from_base64(algorithm: ChecksumAlgorithm, value: &str) -> Result<Self, ChecksumError> {
        let raw = decode_fixed(algorithm.name(), value, algorithm.digest_len())?;
        Ok(Self {
            algorithm,
            value: raw,
        })
    }

    /// The value as an integer, for the CRC algorithms (`None` for SHA or a wrong length).
    fn crc_value(&self) -> Option<u64> {
        self.algorithm.crc_algorithm()?;
        if self.value.len() != self.algorithm.digest_len() {
            return None;
        }
        Some(
            self.value
                .iter()
                .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)),
        )
    }

    fn from_crc(algorithm: ChecksumAlgorithm, crc: u64) -> Self {
        let bytes = crc.to_be_bytes();
        let len = algorithm.digest_len().min(bytes.len());
        Self {
            algorithm,
            value: bytes
                .get(bytes.len().saturating_sub(len)..)
                .unwrap_or_default()
                .to_vec(),
        }
    }
}

impl fmt::Display for Checksum {
    /// Formats as base64.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base64())
    }
}

fn decode_fixed(
    what: &'static str,
    value: &str,
    expected: usize,
) -> Result<Vec<u8>, ChecksumError> {
    let raw = BASE64
        .decode(value.trim())
        .map_err(|_| ChecksumError::InvalidBase64 {
            what,
            value: value.to_owned(),
        })?;
    if raw.len() != expected {
        return Err(ChecksumError::WrongLength {
            what,
            expected,
            actual: raw.len(),
        });
    }
    Ok(raw)
}

enum Hasher {
    Crc(crc_fast::Digest),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

/// Incremental checksum computation for one [`ChecksumAlgorithm`].
pub struct Checksummer {
    algorithm: ChecksumAlgorithm,
    hasher: Hasher,
}

impl fmt::Debug for Checksummer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checksummer")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl Checksummer {
    /// Starts a checksum over an empty input.
    pub fn new(algorithm: ChecksumAlgorithm) -> Self {
        let hasher = match (algorithm, algorithm.crc_algorithm()) {
            (_, Some(crc)) => Hasher::Crc(crc_fast::Digest::new(crc)),
            (ChecksumAlgorithm::Sha1, None) => Hasher::Sha1(sha1::Sha1::new()),
            (_, None) => Hasher::Sha256(sha2::Sha256::new()),
        };
        Self { algorithm, hasher }
    }

    /// The algorithm being computed.
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        self.algorithm
    }

    /// Feeds more bytes.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.hasher {
            Hasher::Crc(d) => d.update(data),
            Hasher::Sha1(h) => sha1::Digest::update(h, data),
            Hasher::Sha256(h) => sha2::Digest::update(h, data),
        }
    }

    /// Finishes and returns the checksum of everything fed.
    pub fn finalize(self) -> Checksum {
        match self.hasher {
            Hasher::Crc(d) => Checksum::from_crc(self.algorithm, d.finalize()),
            Hasher::Sha1(h) => Checksum {
                algorithm: self.algorithm,
                value: sha1::Digest::finalize(h).to_vec(),
            },
            Hasher::Sha256(h) => Checksum {
                algorithm: self.algorithm,
                value: sha2::Digest::finalize(h).to_vec(),
            },
        }
    }
}

/// S3 `COMPOSITE` multipart checksum: base64 of the algorithm applied to the concatenation of the
/// raw part values, then `-N` (N = number of parts), e.g. `"q5V7Gw==-3"`.
///
/// The part values are used as given; callers pass checksums of `alg`.
pub fn composite_checksum(alg: ChecksumAlgorithm, parts: &[Checksum]) -> String {
    let mut c = Checksummer::new(alg);
    for part in parts {
        c.update(&part.value);
    }
    format!("{}-{}", c.finalize().to_base64(), parts.len())
}

/// S3 `FULL_OBJECT` multipart checksum: combines part CRCs (each with its part length in bytes)
/// into the CRC of the concatenated parts, without reading the data again.
///
/// Returns `None` for the SHA algorithms, or when a part is not a well-formed checksum of `alg`
/// (other algorithm, wrong length, or a non-zero CRC for a zero-length part).
pub fn full_object_checksum(alg: ChecksumAlgorithm, parts: &[(Checksum, u64)]) -> Option<Checksum> {
    let crc_alg = alg.crc_algorithm()?;
    // The CRC of the empty input is 0 for all three CRCs (init == xorout).
    let mut acc = 0u64;
    for (part, len) in parts {
        if part.algorithm != alg {
            return None;
        }
        let value = part.crc_value()?;
        if *len == 0 {
            if value != 0 {
                return None;
            }
            continue;
        }
        acc = crc_fast::checksum_combine(crc_alg, acc, value, *len);
    }
    Some(Checksum::from_crc(alg, acc))
}

/// Incremental MD5 (ETags, `Content-MD5`), with md5-many's fast single-stream compressor.
#[derive(Clone, Default)]
pub struct Md5(md5_many::Md5State);

impl fmt::Debug for Md5 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Md5")
    }
}

impl Md5 {
    /// Starts an MD5 over an empty input.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds more bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// Finishes and returns the 16-byte digest.
    pub fn finalize(self) -> [u8; 16] {
        self.0.finalize()
    }

    /// MD5 of `data` in one call.
    pub fn digest(data: &[u8]) -> [u8; 16] {
        md5_many::md5(data)
    }
}

/// Lower-case hex MD5 of `data` (a single-part ETag without the quotes).
pub fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

/// Multipart ETag without quotes: hex MD5 of the concatenated binary part MD5s, then `-N`.
///
/// ```
/// use mock_server::checksum::{multipart_etag, Md5};
/// let etag = multipart_etag(&[Md5::digest(b"abc")]);
/// assert_eq!(etag, "af5da9f45af7a300e3aded972f8ff687-1");
/// ```
pub fn multipart_etag(part_md5s: &[[u8; 16]]) -> String {
    let mut md5 = Md5::new();
    for part in part_md5s {
        md5.update(part);
    }
    format!("{}-{}", hex::encode(md5.finalize()), part_md5s.len())
}

/// Checks a `Content-MD5` header value (base64 of the raw 16-byte MD5) against the MD5 of the
/// received body.
///
/// `Err` when the header is malformed (S3 `InvalidDigest`); `Ok(false)` on a mismatch
/// (S3 `BadDigest`).
pub fn content_md5_matches(header_value: &str, md5: &[u8; 16]) -> Result<bool, ChecksumError> {
    let raw = decode_fixed("Content-MD5", header_value, 16)?;
    Ok(crate::auth::constant_time_eq(&raw, md5))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CHECK: &[u8] = b"123456789";

    fn hex_of(alg: ChecksumAlgorithm, data: &[u8]) -> String {
        hex::encode(Checksum::compute(alg, data).value)
    }

    #[test]
    fn catalogue_check_values() {
        // Check values from the CRC catalogue (reveng) and FIPS 180 examples.
        assert_eq!(hex_of(ChecksumAlgorithm::Crc32, CHECK), "cbf43926");
        assert_eq!(hex_of(ChecksumAlgorithm::Crc32c, CHECK), "e3069283");
        assert_eq!(
            hex_of(ChecksumAlgorithm::Crc64Nvme, CHECK),
            "ae8b14860a799888"
        );
        assert_eq!(
            hex_of(ChecksumAlgorithm::Sha1, b"abc"),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            hex_of(ChecksumAlgorithm::Sha256, b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn captured_crc32_headers() {
        // Values boto3 sent in the captures / PROTOCOLS worked vector.
        let c = Checksum::compute(ChecksumAlgorithm::Crc32, b"hello part one");
        assert_eq!(c.to_base64(), "Rl61ZA==");
        let c = Checksum::compute(
            ChecksumAlgorithm::Crc32,
            "hello source object ".repeat(10).as_bytes(),
        );
        assert_eq!(c.to_base64(), "5t6Ubw==");
    }

    #[test]
    fn incremental_equals_one_shot() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 31 % 251) as u8).collect();
        for alg in ChecksumAlgorithm::ALL {
            let mut c = Checksummer::new(alg);
            for piece in data.chunks(977) {
                c.update(piece);
            }
            assert_eq!(c.finalize(), Checksum::compute(alg, &data), "{alg}");
        }
    }

    #[test]
    fn names_round_trip() {
        for alg in ChecksumAlgorithm::ALL {
            assert_eq!(ChecksumAlgorithm::from_name(alg.name()), Some(alg));
            assert_eq!(
                ChecksumAlgorithm::from_name(&alg.name().to_ascii_lowercase()),
                Some(alg)
            );
            assert_eq!(
                ChecksumAlgorithm::from_header_name(alg.header_name()),
                Some(alg)
            );
            assert!(alg
                .header_name()
                .ends_with(&alg.name().to_ascii_lowercase()));
            assert_eq!(alg.xml_element(), format!("Checksum{}", alg.name()));
            assert_eq!(Checksum::compute(alg, b"").value.len(), alg.digest_len());
        }
        assert_eq!(ChecksumAlgorithm::from_name("MD5"), None);
        assert_eq!(ChecksumAlgorithm::from_name("crc64ecma"), None);
        assert!(ChecksumAlgorithm::Crc64Nvme.supports_full_object());
        assert!(!ChecksumAlgorithm::Sha256.supports_full_object());
        assert_eq!(
            ChecksumType::from_name("full_object"),
            Some(ChecksumType::FullObject)
        );
        assert_eq!(ChecksumType::Composite.name(), "COMPOSITE");
    }

    #[test]
    fn base64_parsing() {
        let c = Checksum::from_base64(ChecksumAlgorithm::Crc32, "Rl61ZA==").unwrap();
        assert_eq!(c.value, vec![0x46, 0x5e, 0xb5, 0x64]);
        assert_eq!(c.to_base64(), "Rl61ZA==");
        assert!(matches!(
            Checksum::from_base64(ChecksumAlgorithm::Crc32, "Rl61ZA"),
            Err(ChecksumError::InvalidBase64 { .. })
        ));
        assert!(matches!(
            Checksum::from_base64(ChecksumAlgorithm::Crc32, "not base64!"),
            Err(ChecksumError::InvalidBase64 { .. })
        ));
        assert_eq!(
            Checksum::from_base64(ChecksumAlgorithm::Crc64Nvme, "Rl61ZA=="),
            Err(ChecksumError::WrongLength {
                what: "CRC64NVME",
                expected: 8,
                actual: 4
            })
        );
    }

    #[test]
    fn composite_known_vectors() {
        // Expected values computed independently with Python (zlib.crc32, hashlib).
        let parts: [&[u8]; 3] = [b"hello part one", b"hello part two", b"x"];
        let crcs: Vec<_> = parts
            .iter()
            .map(|p| Checksum::compute(ChecksumAlgorithm::Crc32, p))
            .collect();
        assert_eq!(
            composite_checksum(ChecksumAlgorithm::Crc32, &crcs),
            "q5V7Gw==-3"
        );
        let shas: Vec<_> = parts
            .iter()
            .map(|p| Checksum::compute(ChecksumAlgorithm::Sha256, p))
            .collect();
        assert_eq!(
            composite_checksum(ChecksumAlgorithm::Sha256, &shas),
            "cwn6ndt9e8b4/qTMkX/jkJCAQn41B1Vo4Hku6ovG81s=-3"
        );
        let with_len: Vec<_> = crcs
            .into_iter()
            .zip(parts)
            .map(|(c, p)| (c, p.len() as u64))
            .collect();
        let full = full_object_checksum(ChecksumAlgorithm::Crc32, &with_len).unwrap();
        assert_eq!(full.to_base64(), "4DOB9g==");
    }

    #[test]
    fn full_object_rejects_bad_input() {
        let sha = Checksum::compute(ChecksumAlgorithm::Sha256, b"a");
        assert_eq!(
            full_object_checksum(ChecksumAlgorithm::Sha256, &[(sha, 1)]),
            None
        );
        let crc32 = Checksum::compute(ChecksumAlgorithm::Crc32, b"a");
        assert_eq!(
            full_object_checksum(ChecksumAlgorithm::Crc32c, &[(crc32.clone(), 1)]),
            None
        );
        assert_eq!(
            full_object_checksum(ChecksumAlgorithm::Crc32, &[(crc32, 0)]),
            None
        );
        let empty = full_object_checksum(ChecksumAlgorithm::Crc64Nvme, &[]).unwrap();
        assert_eq!(empty, Checksum::compute(ChecksumAlgorithm::Crc64Nvme, b""));
    }

    #[test]
    fn etags() {
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
        // Captured: ObsClient v4 flow, one part "abc" -> "af5da9f45af7a300e3aded972f8ff687-1".
        assert_eq!(
            multipart_etag(&[Md5::digest(b"abc")]),
            "af5da9f45af7a300e3aded972f8ff687-1"
        );
        // Python: md5(b"".join(md5(p).digest() for p in parts)).hexdigest() + "-3"
        let parts: [&[u8]; 3] = [b"hello part one", b"hello part two", b"x"];
        let md5s: Vec<[u8; 16]> = parts.iter().map(|p| Md5::digest(p)).collect();
        assert_eq!(multipart_etag(&md5s), "b2d88feb8d412817a5f66a7b9919b8c7-3");
        let mut m = Md5::new();
        m.update(b"a");
        m.update(b"bc");
        assert_eq!(m.finalize(), Md5::digest(b"abc"));
    }

    #[test]
    fn content_md5() {
        let md5 = Md5::digest(b"abc");
        let header = BASE64.encode(md5);
        assert_eq!(content_md5_matches(&header, &md5), Ok(true));
        assert_eq!(
            content_md5_matches(&header, &Md5::digest(b"abd")),
            Ok(false)
        );
        assert!(matches!(
            content_md5_matches("kAFQmDzST7DWlj99KOF/cg", &md5),
            Err(ChecksumError::InvalidBase64 { .. })
        ));
        assert!(matches!(
            content_md5_matches("AAAA", &md5),
            Err(ChecksumError::WrongLength {
                expected: 16,
                actual: 3,
                ..
            })
        ));
        // Hex instead of base64 is a classic client bug: malformed, not a mismatch.
        assert!(content_md5_matches("900150983cd24fb0d6963f7d28e17f72", &md5).is_err());
    }

    fn split_points(len: usize, cuts: &[usize]) -> Vec<(usize, usize)> {
        let mut points: Vec<usize> = cuts.iter().map(|c| c % (len + 1)).collect();
        points.push(0);
        points.push(len);
        points.sort_unstable();
        points.windows(2).map(|w| (w[0], w[1])).collect()
    }

    proptest! {
        #[test]
        fn full_object_equals_crc_of_concatenation(
            data in proptest::collection::vec(any::<u8>(), 0..4096),
            cuts in proptest::collection::vec(any::<usize>(), 0..12),
        ) {
            for alg in [ChecksumAlgorithm::Crc32, ChecksumAlgorithm::Crc32c, ChecksumAlgorithm::Crc64Nvme] {
                // Duplicated cut points produce empty parts on purpose.
                let parts: Vec<(Checksum, u64)> = split_points(data.len(), &cuts)
                    .into_iter()
                    .map(|(a, b)| (Checksum::compute(alg, &data[a..b]), (b - a) as u64))
                    .collect();
                let combined = full_object_checksum(alg, &parts);
                prop_assert_eq!(combined, Some(Checksum::compute(alg, &data)));
            }
        }
    }
}
