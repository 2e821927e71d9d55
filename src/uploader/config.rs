//! Configuration of the uploader: dialect, credentials, part size, concurrency, memory, retries,
//! integrity options, timeouts.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::error::ConfigError;
use super::retry::Backoff;

/// One mebibyte.
pub const MIB: u64 = 1024 * 1024;

/// Which wire protocol the uploader speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dialect {
    /// Amazon S3: path-style requests signed with AWS Signature V4.
    S3,
    /// Huawei OBS as its SDK speaks it to an IP endpoint: S3 paths and XML, AWS Signature V2
    /// (`Authorization: AWS ak:sig`) and `x-amz-` headers.
    Obs,
    /// Huawei OBS native mode: `Authorization: OBS ak:sig` and `x-obs-` headers (path-style here).
    ObsNative,
    /// QingStor: `QS ak:sig`, `upload_id`/`part_number` query names, part numbers from 0, JSON
    /// documents, 201/204 statuses.
    QingStor,
}

impl Dialect {
    /// All dialects, in a stable order.
    pub const ALL: [Dialect; 4] = [
        Dialect::S3,
        Dialect::Obs,
        Dialect::ObsNative,
        Dialect::QingStor,
    ];

    /// The name used on the command line and in reports (`s3`, `obs`, `obs-native`, `qingstor`).
    pub fn name(self) -> &'static str {
        match self {
            Dialect::S3 => "s3",
            Dialect::Obs => "obs",
            Dialect::ObsNative => "obs-native",
            Dialect::QingStor => "qingstor",
        }
    }

    /// Parses a dialect name (case-insensitive; `qs` is accepted for QingStor).
    pub fn from_name(name: &str) -> Option<Dialect> {
        match name.to_ascii_lowercase().as_str() {
            "s3" => Some(Dialect::S3),
            "obs" => Some(Dialect::Obs),
            "obs-native" => Some(Dialect::ObsNative),
            "qingstor" | "qs" => Some(Dialect::QingStor),
            _ => None,
        }
    }

    /// The vendor's documented limits for this dialect (PROTOCOLS.md §1.3).
    pub fn limits(self) -> DialectLimits {
        let min_part_size = match self {
            Dialect::S3 => 5 * MIB,
            Dialect::Obs | Dialect::ObsNative => 100 * 1024,
            Dialect::QingStor => 4 * MIB,
        };
        DialectLimits {
            min_part_size,
            max_part_size: 5 * 1024 * MIB,
            max_parts: 10_000,
        }
    }

    /// The wire part number of the part at zero-based `index` (S3/OBS count from 1, QingStor
    /// from 0).
    pub fn wire_part_number(self, index: u32) -> u32 {
        match self {
            Dialect::QingStor => index,
            _ => index + 1,
        }
    }

    /// The zero-based part index of a wire part number, if the number is valid in this dialect.
    pub fn part_index(self, wire_number: u32) -> Option<u32> {
        match self {
            Dialect::QingStor => Some(wire_number),
            _ => wire_number.checked_sub(1),
        }
    }

    /// Whether the dialect can carry the given additional checksum on parts.
    pub fn supports_checksum(self, checksum: ChecksumChoice) -> bool {
        match checksum {
            ChecksumChoice::None => true,
            _ => self == Dialect::S3,
        }
    }

    /// Environment variables holding the access key and secret key for this dialect, in the
    /// order they are consulted.
    pub fn credential_env_vars(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Dialect::S3 => &[("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")],
            Dialect::Obs | Dialect::ObsNative => &[
                ("OBS_ACCESS_KEY_ID", "OBS_SECRET_ACCESS_KEY"),
                ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
            ],
            Dialect::QingStor => &[("QINGSTOR_ACCESS_KEY_ID", "QINGSTOR_SECRET_ACCESS_KEY")],
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Part-size and part-count limits of a dialect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DialectLimits {
    /// Smallest allowed size of every part but the last.
    pub min_part_size: u64,
    /// Largest allowed part.
    pub max_part_size: u64,
    /// Most parts in one upload.
    pub max_parts: u32,
}

/// Additional checksum sent with every part (besides the MD5 ETag check, which is always done).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChecksumChoice {
    /// No additional checksum.
    #[default]
    None,
    /// CRC32C (Castagnoli), composite object checksum.
    Crc32c,
    /// CRC64NVME, full-object checksum.
    Crc64Nvme,
    /// SHA-256, composite object checksum.
    Sha256,
}

impl ChecksumChoice {
    /// The name used on the command line (`none`, `crc32c`, `crc64nvme`, `sha256`).
    pub fn name(self) -> &'static str {
        match self {
            ChecksumChoice::None => "none",
            ChecksumChoice::Crc32c => "crc32c",
            ChecksumChoice::Crc64Nvme => "crc64nvme",
            ChecksumChoice::Sha256 => "sha256",
        }
    }

    /// Parses a checksum name (case-insensitive, `-` ignored: `CRC-32C` works).
    pub fn from_name(name: &str) -> Option<ChecksumChoice> {
        let norm: String = name
            .chars()
            .filter(|c| *c != '-' && *c != '_')
            .collect::<String>()
            .to_ascii_lowercase();
        match norm.as_str() {
            "none" | "off" => Some(ChecksumChoice::None),
            "crc32c" => Some(ChecksumChoice::Crc32c),
            "crc64nvme" => Some(ChecksumChoice::Crc64Nvme),
            "sha256" => Some(ChecksumChoice::Sha256),
            _ => None,
        }
    }
}

impl fmt::Display for ChecksumChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How SigV4 requests declare their payload (S3 only; the other dialects do not sign bodies).
///
/// The default is [`PayloadSigning::Unsigned`]: `x-amz-content-sha256: UNSIGNED-PAYLOAD`, which
/// S3 accepts over HTTP and HTTPS. Integrity does not depend on it: every part carries
/// `Content-MD5` (unless turned off), its ETag is compared with the MD5 of the bytes sent, and
/// an optional CRC32C/CRC64NVME/SHA-256 checksum is sent and its echo checked. Hashing the body
/// with SHA-256 would be a third pass over every byte for the same guarantee; choose
/// [`PayloadSigning::Sha256`] when a server insists on signed payloads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PayloadSigning {
    /// `UNSIGNED-PAYLOAD`.
    #[default]
    Unsigned,
    /// Hex SHA-256 of the body (computed once per part, reused across retries).
    Sha256,
}

impl PayloadSigning {
    /// Parses `unsigned` or `sha256` (also `signed`).
    pub fn from_name(name: &str) -> Option<PayloadSigning> {
        match name.to_ascii_lowercase().as_str() {
            "unsigned" | "unsigned-payload" => Some(PayloadSigning::Unsigned),
            "sha256" | "signed" => Some(PayloadSigning::Sha256),
            _ => None,
        }
    }
}

/// Access key and secret key (the signing code's own type; `Debug` does not print the secret).
pub use mock_server::auth::Credentials;

/// Time limits of one request attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP connect.
    pub connect: Duration,
    /// From the moment the whole request body was handed to the connection to the response
    /// status line.
    pub first_byte: Duration,
    /// Longest pause in sending the request body or receiving the response body.
    pub stall: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(5),
            first_byte: Duration::from_secs(60),
            stall: Duration::from_secs(20),
        }
    }
}

/// Everything the [`Uploader`](super::Uploader) needs to know.
///
/// Build it with [`UploaderConfig::new`] and adjust fields with struct update syntax.
#[derive(Clone, Debug)]
pub struct UploaderConfig {
    /// Service endpoint, `http://host:port` or `https://host:port` (path-style addressing).
    pub endpoint: String,
    /// Wire dialect.
    pub dialect: Dialect,
    /// Key pair used to sign requests.
    pub credentials: Credentials,
    /// Region in the SigV4 credential scope (S3 only).
    pub region: String,
    /// Part size in bytes; `None` chooses one from the file size (see
    /// [`PartPlan::choose`](super::PartPlan::choose)).
    pub part_size: Option<u64>,
    /// Most part requests in flight at once.
    pub concurrency: usize,
    /// Most bytes of part data held in memory at once, whatever the concurrency. Must be at
    /// least the part size: the effective number of parts in flight is
    /// `min(concurrency, memory_budget / part_size)`. Room for more parts than that is used to
    /// read and hash up to `2 * concurrency` further parts ahead, in groups (faster MD5); a
    /// budget of `concurrency * part_size` holds exactly the parts being sent.
    pub memory_budget: u64,
    /// Attempts per request (1 = no retries).
    pub max_attempts: u32,
    /// Delay between attempts.
    pub backoff: Backoff,
    /// Additional per-part checksum.
    pub checksum: ChecksumChoice,
    /// Send `Content-MD5` with every part.
    pub content_md5: bool,
    /// SigV4 payload hash mode.
    pub payload_signing: PayloadSigning,
    /// Abort the upload when giving up, so no parts are left behind.
    pub abort_on_failure: bool,
    /// Per-attempt time limits.
    pub timeouts: Timeouts,
    /// `Content-Type` of the object, sent at initiation.
    pub content_type: Option<String>,
    /// After completing, read the object back and compare every part's MD5 with the file
    /// (catches storage that acknowledges bytes it did not keep). Costs one full download.
    pub verify_readback: bool,
}

impl UploaderConfig {
    /// Default concurrency.
    pub const DEFAULT_CONCURRENCY: usize = 8;
    /// Default memory budget: 256 MiB.
    pub const DEFAULT_MEMORY_BUDGET: u64 = 256 * MIB;
    /// Default attempts per request.
    pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

    /// A configuration with defaults: automatic part size, concurrency 8, 256 MiB memory budget,
    /// 5 attempts, exponential backoff 100 ms .. 5 s with jitter, no extra checksum,
    /// Content-MD5 on, unsigned payloads, abort on failure, region `us-east-1`.
    pub fn new(endpoint: impl Into<String>, dialect: Dialect, credentials: Credentials) -> Self {
        UploaderConfig {
            endpoint: endpoint.into(),
            dialect,
            credentials,
            region: "us-east-1".to_string(),
            part_size: None,
            concurrency: Self::DEFAULT_CONCURRENCY,
            memory_budget: Self::DEFAULT_MEMORY_BUDGET,
            max_attempts: Self::DEFAULT_MAX_ATTEMPTS,
            backoff: Backoff::default(),
            checksum: ChecksumChoice::None,
            content_md5: true,
            payload_signing: PayloadSigning::Unsigned,
            abort_on_failure: true,
            timeouts: Timeouts::default(),
            content_type: None,
            verify_readback: false,
        }
    }

    /// Checks everything that can be checked without the file.
    pub fn validate(&self) -> Result<(), ConfigError> {
        parse_endpoint(&self.endpoint)?;
        if self.credentials.access_key.is_empty() || self.credentials.secret_key.is_empty() {
            return Err(ConfigError::MissingCredentials {
                dialect: self.dialect,
            });
        }
        if self.concurrency == 0 {
            return Err(ConfigError::ZeroConcurrency);
        }
        if self.max_attempts == 0 {
            return Err(ConfigError::ZeroAttempts);
        }
        if self.memory_budget == 0 {
            return Err(ConfigError::ZeroMemoryBudget);
        }
        self.backoff.validate()?;
        if !self.dialect.supports_checksum(self.checksum) {
            return Err(ConfigError::ChecksumUnsupported {
                checksum: self.checksum,
                dialect: self.dialect,
            });
        }
        if let Some(part_size) = self.part_size {
            if part_size > self.memory_budget {
                return Err(ConfigError::PartExceedsBudget {
                    part_size,
                    budget: self.memory_budget,
                });
            }
        }
        Ok(())
    }
}

/// The parts of an endpoint URL the uploader uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// `http` or `https`.
    pub scheme: String,
    /// `host[:port]` as it goes into the `Host` header.
    pub authority: String,
    /// The host without port.
    pub host: String,
}

impl Endpoint {
    /// `scheme://authority`, no trailing slash.
    pub fn base(&self) -> String {
        format!("{}://{}", self.scheme, self.authority)
    }

    /// Whether the host is a loopback address or `localhost`.
    pub fn is_loopback(&self) -> bool {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .map(|ip| ip.is_loopback())
                .unwrap_or(false)
    }
}

/// Parses `http[s]://host[:port][/]`; paths, queries and user info are rejected.
pub fn parse_endpoint(endpoint: &str) -> Result<Endpoint, ConfigError> {
    let invalid = |reason: &str| ConfigError::InvalidEndpoint {
        endpoint: endpoint.to_string(),
        reason: reason.to_string(),
    };
    let (scheme, rest) = endpoint
        .split_once("://")
        .ok_or_else(|| invalid("expected http://HOST[:PORT] or https://HOST[:PORT]"))?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(invalid("scheme must be http or https"));
    }
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty() {
        return Err(invalid("missing host"));
    }
    if authority.contains(['/', '?', '#', '@', ' ']) {
        return Err(invalid(
            "only scheme, host and port are allowed (no path, query or user info)",
        ));
    }
    let host = if let Some(stripped) = authority.strip_prefix('[') {
        let end = stripped
            .find(']')
            .ok_or_else(|| invalid("unterminated IPv6 literal"))?;
        let after = &stripped[end + 1..];
        if !after.is_empty() && !after.starts_with(':') {
            return Err(invalid("garbage after IPv6 literal"));
        }
        authority[..end + 2].to_string()
    } else {
        match authority.rsplit_once(':') {
            Some((h, port)) => {
                if port.parse::<u16>().is_err() {
                    return Err(invalid("port must be a number 0-65535"));
                }
                h.to_string()
            }
            None => authority.to_string(),
        }
    };
    if host.is_empty() {
        return Err(invalid("missing host"));
    }
    Ok(Endpoint {
        scheme,
        authority: authority.to_string(),
        host,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> UploaderConfig {
        UploaderConfig::new(
            "http://127.0.0.1:9000",
            Dialect::S3,
            Credentials::new("ak", "sk"),
        )
    }

    #[test]
    fn dialect_names_round_trip() {
        for d in Dialect::ALL {
            assert_eq!(Dialect::from_name(d.name()), Some(d));
        }
        assert_eq!(Dialect::from_name("QS"), Some(Dialect::QingStor));
        assert_eq!(Dialect::from_name("gcs"), None);
    }

    #[test]
    fn part_numbers_follow_the_dialect() {
        assert_eq!(Dialect::S3.wire_part_number(0), 1);
        assert_eq!(Dialect::Obs.wire_part_number(9), 10);
        assert_eq!(Dialect::QingStor.wire_part_number(0), 0);
        assert_eq!(Dialect::S3.part_index(0), None);
        assert_eq!(Dialect::S3.part_index(1), Some(0));
        assert_eq!(Dialect::QingStor.part_index(0), Some(0));
    }

    #[test]
    fn checksum_names_parse() {
        assert_eq!(
            ChecksumChoice::from_name("CRC-32C"),
            Some(ChecksumChoice::Crc32c)
        );
        assert_eq!(
            ChecksumChoice::from_name("crc64nvme"),
            Some(ChecksumChoice::Crc64Nvme)
        );
        assert_eq!(
            ChecksumChoice::from_name("SHA256"),
            Some(ChecksumChoice::Sha256)
        );
        assert_eq!(ChecksumChoice::from_name("md4"), None);
    }

    #[test]
    fn credentials_debug_hides_secret() {
        let text = format!("{:?}", Credentials::new("AKID", "very-secret"));
        assert!(text.contains("AKID"));
        assert!(!text.contains("very-secret"));
    }

    #[test]
    fn default_config_is_valid() {
        assert_eq!(config().validate(), Ok(()));
    }

    #[test]
    fn invalid_configs_are_rejected_with_reasons() {
        let c = UploaderConfig {
            concurrency: 0,
            ..config()
        };
        assert_eq!(c.validate(), Err(ConfigError::ZeroConcurrency));
        let c = UploaderConfig {
            max_attempts: 0,
            ..config()
        };
        assert_eq!(c.validate(), Err(ConfigError::ZeroAttempts));
        let c = UploaderConfig {
            part_size: Some(64 * MIB),
            memory_budget: 32 * MIB,
            ..config()
        };
        assert_eq!(
            c.validate(),
            Err(ConfigError::PartExceedsBudget {
                part_size: 64 * MIB,
                budget: 32 * MIB
            })
        );
        let c = UploaderConfig {
            dialect: Dialect::QingStor,
            checksum: ChecksumChoice::Crc32c,
            ..config()
        };
        assert!(matches!(
            c.validate(),
            Err(ConfigError::ChecksumUnsupported { .. })
        ));
        let c = UploaderConfig {
            credentials: Credentials::new("", "x"),
            ..config()
        };
        assert!(matches!(
            c.validate(),
            Err(ConfigError::MissingCredentials { .. })
        ));
    }

    #[test]
    fn endpoints_parse() {
        let e = parse_endpoint("http://127.0.0.1:9000/").unwrap();
        assert_eq!(e.authority, "127.0.0.1:9000");
        assert_eq!(e.host, "127.0.0.1");
        assert_eq!(e.base(), "http://127.0.0.1:9000");
        assert!(e.is_loopback());
        let e = parse_endpoint("https://obs.example.com").unwrap();
        assert_eq!(e.host, "obs.example.com");
        assert!(!e.is_loopback());
        let e = parse_endpoint("http://[::1]:8080").unwrap();
        assert_eq!(e.host, "[::1]");
        assert!(e.is_loopback());
        for bad in [
            "127.0.0.1:9000",
            "ftp://x",
            "http://",
            "http://h:port",
            "http://h/path",
            "http://u@h",
        ] {
            assert!(parse_endpoint(bad).is_err(), "{bad} should be rejected");
        }
    }
}
