//! Timestamps as the three dialects write them.
//!
//! * XML and JSON bodies: ISO 8601 in UTC with milliseconds, `2026-11-21T04:28:44.000Z`
//!   (the OBS SDK parses exactly `%Y-%m-%dT%H:%M:%S.%fZ`) — [`iso8601`].
//! * HTTP headers (`Date`, `Last-Modified`): RFC 1123, `Sat, 21 Nov 2026 04:28:44 GMT` —
//!   [`http_date`].
//! * QingStor `list_objects` `modified`: Unix seconds — [`unix_seconds`].
//!
//! The formatters never panic: times outside years 0001–9999 are clamped to that range
//! (neither format can express more than four year digits).
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use mock_server::wire::time::{http_date, iso8601, parse_iso8601};
//!
//! let t = UNIX_EPOCH + Duration::from_millis(1_795_235_324_123);
//! assert_eq!(iso8601(t), "2026-11-21T04:28:44.123Z");
//! assert_eq!(http_date(t), "Sat, 21 Nov 2026 04:28:44 GMT");
//! assert_eq!(parse_iso8601("2026-11-21T04:28:44.123Z").unwrap(), t);
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ::time::format_description::well_known::Rfc3339;
use ::time::macros::{datetime, format_description};
use ::time::{OffsetDateTime, PrimitiveDateTime};

use super::error::WireError;

/// Earliest representable instant: 0001-01-01T00:00:00Z.
const MIN: OffsetDateTime = datetime!(0001-01-01 00:00:00 UTC);
/// Latest representable instant: 9999-12-31T23:59:59.999999999Z.
const MAX: OffsetDateTime = datetime!(9999-12-31 23:59:59.999_999_999 UTC);

/// Converts a `SystemTime` to a UTC date-time, clamped to years 0001–9999.
fn to_utc(t: SystemTime) -> OffsetDateTime {
    let converted = match t.duration_since(UNIX_EPOCH) {
        Ok(after) => ::time::Duration::try_from(after)
            .ok()
            .and_then(|d| OffsetDateTime::UNIX_EPOCH.checked_add(d)),
        Err(before) => ::time::Duration::try_from(before.duration())
            .ok()
            .and_then(|d| OffsetDateTime::UNIX_EPOCH.checked_sub(d)),
    };
    match converted {
        Some(dt) => dt.clamp(MIN, MAX),
        None if t < UNIX_EPOCH => MIN,
        None => MAX,
    }
}

/// Converts a UTC date-time back to a `SystemTime` without panicking.
fn to_system_time(dt: OffsetDateTime) -> Option<SystemTime> {
    let since = dt - OffsetDateTime::UNIX_EPOCH;
    if since.is_negative() {
        let abs = Duration::try_from(since.abs()).ok()?;
        UNIX_EPOCH.checked_sub(abs)
    } else {
        let d = Duration::try_from(since).ok()?;
        UNIX_EPOCH.checked_add(d)
    }
}

/// Formats `t` as ISO 8601 UTC with milliseconds: `2026-11-21T04:28:44.000Z`.
///
/// Sub-millisecond digits are truncated, not rounded.
pub fn iso8601(t: SystemTime) -> String {
    let fmt =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    // Formatting a clamped UTC date-time with a fixed description cannot fail; the fallback
    // keeps this function total anyway.
    to_utc(t)
        .format(&fmt)
        .unwrap_or_else(|_| String::from("1970-01-01T00:00:00.000Z"))
}

/// Formats `t` as an RFC 1123 HTTP date: `Sat, 21 Nov 2026 04:28:44 GMT`.
pub fn http_date(t: SystemTime) -> String {
    let fmt = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    to_utc(t)
        .format(&fmt)
        .unwrap_or_else(|_| String::from("Thu, 01 Jan 1970 00:00:00 GMT"))
}

/// Seconds since the Unix epoch (negative before 1970), as QingStor's `modified` field.
pub fn unix_seconds(t: SystemTime) -> i64 {
    to_utc(t).unix_timestamp()
}

/// Parses an ISO 8601 / RFC 3339 timestamp such as `2026-11-21T04:28:44.000Z` (fraction
/// optional, `Z` or a numeric offset).
pub fn parse_iso8601(s: &str) -> Result<SystemTime, WireError> {
    let err = || WireError::InvalidTimestamp {
        expected: "an ISO 8601 timestamp like 2026-11-21T04:28:44.000Z",
        found: s.to_owned(),
    };
    let dt = OffsetDateTime::parse(s.trim(), &Rfc3339).map_err(|_| err())?;
    to_system_time(dt).ok_or_else(err)
}

/// Parses an RFC 1123 HTTP date such as `Sat, 21 Nov 2026 04:28:44 GMT`.
///
/// The weekday is not cross-checked against the date (HTTP recipients may ignore it).
pub fn parse_http_date(s: &str) -> Result<SystemTime, WireError> {
    let err = || WireError::InvalidTimestamp {
        expected: "an RFC 1123 date like Sat, 21 Nov 2026 04:28:44 GMT",
        found: s.to_owned(),
    };
    let fmt = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let dt = PrimitiveDateTime::parse(s.trim(), &fmt).map_err(|_| err())?;
    to_system_time(dt.assume_utc()).ok_or_else(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-21T04:28:44Z, the timestamp of the captures (checked with `date -d @1795235324`).
    const CAPTURE_SECS: u64 = 1_795_235_324;

    #[test]
    fn iso8601_matches_capture_format() {
        let t = UNIX_EPOCH + Duration::from_secs(CAPTURE_SECS);
        assert_eq!(iso8601(t), "2026-11-21T04:28:44.000Z");
        let t = t + Duration::from_nanos(999_999_999);
        assert_eq!(
            iso8601(t),
            "2026-11-21T04:28:44.999Z",
            "truncates, never rounds up"
        );
    }

    #[test]
    fn http_date_matches_capture_format() {
        let t = UNIX_EPOCH + Duration::from_secs(CAPTURE_SECS);
        assert_eq!(http_date(t), "Sat, 21 Nov 2026 04:28:44 GMT");
        assert_eq!(http_date(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 GMT");
    }

    #[test]
    fn unix_seconds_of_capture() {
        // The QingStor capture lists "modified": 1795235365 for 2026-11-21T04:29:25Z.
        let t = parse_iso8601("2026-11-21T04:29:25.000Z").unwrap();
        assert_eq!(unix_seconds(t), 1_795_235_365);
        assert_eq!(unix_seconds(UNIX_EPOCH - Duration::from_secs(5)), -5);
    }

    #[test]
    fn round_trips() {
        let t = UNIX_EPOCH + Duration::from_millis(1_234_567_890_123);
        assert_eq!(parse_iso8601(&iso8601(t)).unwrap(), t);
        let t = UNIX_EPOCH + Duration::from_secs(1_234_567_890);
        assert_eq!(parse_http_date(&http_date(t)).unwrap(), t);
        let before = UNIX_EPOCH - Duration::from_secs(86_400 * 365);
        assert_eq!(iso8601(before), "1969-01-01T00:00:00.000Z");
        assert_eq!(parse_iso8601(&iso8601(before)).unwrap(), before);
    }

    #[test]
    fn extreme_times_are_clamped_not_panicking() {
        let far = UNIX_EPOCH + Duration::from_secs(u64::MAX / 4);
        assert_eq!(iso8601(far), "9999-12-31T23:59:59.999Z");
        assert_eq!(http_date(far), "Fri, 31 Dec 9999 23:59:59 GMT");
        if let Some(early) = UNIX_EPOCH.checked_sub(Duration::from_secs(u64::MAX / 4)) {
            assert_eq!(iso8601(early), "0001-01-01T00:00:00.000Z");
        }
    }

    #[test]
    fn rejects_garbage_with_a_message() {
        let e = parse_iso8601("yesterday").unwrap_err();
        assert!(e.to_string().contains("\"yesterday\""), "{e}");
        assert!(parse_http_date("2026-11-21").is_err());
        assert!(parse_http_date("Sat, 32 Nov 2026 04:28:44 GMT").is_err());
    }
}
