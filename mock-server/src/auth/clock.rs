//! Timestamps used by the signature schemes: SigV4's `YYYYMMDDTHHMMSSZ`, HTTP dates
//! (RFC 1123 `Sat, 21 Nov 2026 04:28:44 GMT`), Unix `Expires` values, and the skew check.
//!
//! Every conversion is checked: no input (or clock) can make these panic.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

use super::AuthError;

/// Largest difference between a request's signed time and the server clock that is accepted.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

/// Seconds since the Unix epoch, negative before it; `None` if out of `i64` range.
pub fn unix_seconds(t: SystemTime) -> Option<i64> {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).ok(),
        Err(e) => {
            let d = e.duration();
            // Round towards negative infinity so sub-second times before the epoch stay ordered.
            let secs = i64::try_from(d.as_secs()).ok()?;
            let extra = i64::from(d.subsec_nanos() > 0);
            secs.checked_add(extra).map(|s| -s)
        }
    }
}

/// The time `secs` seconds after the Unix epoch, `None` if not representable.
pub fn from_unix_seconds(secs: i64) -> Option<SystemTime> {
    if secs >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_secs(secs.unsigned_abs()))
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs(secs.unsigned_abs()))
    }
}

fn to_offset(t: SystemTime) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(unix_seconds(t)?).ok()
}

/// Formats `t` (truncated to the second) as SigV4 `X-Amz-Date`: `20261121T042957Z`.
/// `None` for times outside years 0..=9999.
pub fn format_amz_date(t: SystemTime) -> Option<String> {
    let dt = to_offset(t)?;
    if !(0..=9999).contains(&dt.year()) {
        return None;
    }
    dt.format(format_description!(
        "[year][month][day]T[hour][minute][second]Z"
    ))
    .ok()
}

/// Parses a SigV4 `X-Amz-Date` value (`20261121T042957Z`); `None` if malformed.
pub fn parse_amz_date(s: &str) -> Option<SystemTime> {
    if s.len() != 16 || !s.is_ascii() {
        return None;
    }
    let dt = PrimitiveDateTime::parse(
        s,
        format_description!("[year][month][day]T[hour][minute][second]Z"),
    )
    .ok()?;
    from_unix_seconds(dt.assume_utc().unix_timestamp())
}

/// Formats `t` as an HTTP date (`Sat, 21 Nov 2026 04:28:44 GMT`); `None` outside years 0..=9999.
pub fn format_http_date(t: SystemTime) -> Option<String> {
    let dt = to_offset(t)?;
    if !(0..=9999).contains(&dt.year()) {
        return None;
    }
    dt.format(format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    ))
    .ok()
}

/// Parses an HTTP date in any of the three HTTP/1.1 formats; `None` if malformed.
pub fn parse_http_date(s: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(s.trim()).ok()
}

/// Absolute difference between two times.
pub fn abs_diff(a: SystemTime, b: SystemTime) -> Duration {
    match a.duration_since(b) {
        Ok(d) => d,
        Err(e) => e.duration(),
    }
}

/// `Err(RequestTimeTooSkewed)` if `request_time` is more than [`MAX_CLOCK_SKEW`] away from `now`.
pub fn check_skew(request_time: SystemTime, now: SystemTime) -> Result<(), AuthError> {
    if abs_diff(request_time, now) > MAX_CLOCK_SKEW {
        return Err(AuthError::RequestTimeTooSkewed {
            request_time,
            server_time: now,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> SystemTime {
        from_unix_seconds(secs).unwrap()
    }

    #[test]
    fn amz_date_round_trip() {
        // 2015-08-16T13:25:10Z
        let when = t(1_439_731_510);
        assert_eq!(format_amz_date(when).as_deref(), Some("20150816T132510Z"));
        assert_eq!(parse_amz_date("20150816T132510Z"), Some(when));
        for bad in [
            "",
            "20150816T132510",
            "20151316T132510Z",
            "2015-08-16T13:25Z",
            "20150816T132510z",
            "２0150816T132510Z",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn http_date_round_trip() {
        let when = parse_http_date("Sat, 21 Nov 2026 04:35:49 GMT").unwrap();
        assert_eq!(format_amz_date(when).as_deref(), Some("20261121T043549Z"));
        assert_eq!(
            format_http_date(when).as_deref(),
            Some("Sat, 21 Nov 2026 04:35:49 GMT")
        );
        assert_eq!(
            format_http_date(t(1_439_731_510)).as_deref(),
            Some("Sun, 16 Aug 2015 13:25:10 GMT")
        );
        assert_eq!(parse_http_date("yesterday"), None);
        assert_eq!(parse_http_date(""), None);
    }

    #[test]
    fn out_of_range_times_do_not_panic() {
        assert_eq!(format_amz_date(t(-1)).as_deref(), Some("19691231T235959Z"));
        assert_eq!(format_amz_date(t(300_000_000_000)), None);
        assert_eq!(format_http_date(t(-100_000_000_000)), None);
        assert_eq!(from_unix_seconds(i64::MAX).and_then(format_amz_date), None);
        assert_eq!(unix_seconds(t(-5)), Some(-5));
    }

    #[test]
    fn skew() {
        let now = t(1_000_000);
        assert!(check_skew(t(1_000_000 + 900), now).is_ok());
        assert!(check_skew(t(1_000_000 - 900), now).is_ok());
        assert!(matches!(
            check_skew(t(1_000_000 + 901), now),
            Err(AuthError::RequestTimeTooSkewed { .. })
        ));
        assert!(check_skew(t(1_000_000 - 901), now).is_err());
    }
}
