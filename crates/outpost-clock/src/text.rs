//! Times as text: RFC 3339 the way Go prints it, and the time parameters of
//! the Prometheus HTTP API read without overflow.
//!
//! Times are Unix milliseconds (`i64`) in UTC, like everywhere in Outpost.

use crate::{Error, Result};

/// Prometheus' `MinTime` (`time.Unix(math.MinInt64/1000+62135596801, 0)`) in
/// Unix milliseconds: the earliest time the API accepts.
pub const MIN_TIME_MS: i64 = -9_223_309_901_257_974_000;

/// Prometheus' `MaxTime` (`time.Unix(math.MaxInt64/1000-62135596801,
/// 999999999)`) in Unix milliseconds: the latest time the API accepts.
pub const MAX_TIME_MS: i64 = 9_223_309_901_257_974_999;

/// `MinTime` as Prometheus prints it; clients send it for an open start.
const MIN_TIME_TEXT: &str = "-292273086-05-16T16:47:06Z";

/// `MaxTime` as Prometheus prints it; clients send it for an open end.
const MAX_TIME_TEXT: &str = "292277025-08-18T07:12:54.999999999Z";

const MS_PER_DAY: i64 = 86_400_000;

/// Go's `time.Time.Format(time.RFC3339Nano)` in UTC: fraction digits only as
/// many as needed (`2024-01-01T00:00:12.34Z`, `2024-01-01T00:00:12Z`).
pub fn rfc3339_nano(ms: i64) -> String {
    let mut out = date_time(ms);
    let frac = ms.rem_euclid(1000);
    if frac != 0 {
        let digits = format!("{frac:03}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// RFC 3339 with exactly three fraction digits in UTC, as go-openapi's
/// `strfmt.DateTime` prints (`2024-01-01T00:00:12.000Z`).
pub fn rfc3339_millis(ms: i64) -> String {
    let mut out = date_time(ms);
    out.push_str(&format!(".{:03}Z", ms.rem_euclid(1000)));
    out
}

/// `YYYY-MM-DDTHH:MM:SS` of `ms`, with Go's years: at least four digits and
/// a minus sign before year 0.
fn date_time(ms: i64) -> String {
    let days = ms.div_euclid(MS_PER_DAY);
    let of_day = ms.rem_euclid(MS_PER_DAY) / 1000;
    let (year, month, day) = civil_date(days);
    let sign = if year < 0 { "-" } else { "" };
    format!(
        "{sign}{:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        year.unsigned_abs(),
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01.
///
/// Counts in 400-year eras that start on March 1st, so that the leap day
/// closes each year of the era and months have a fixed pattern.
fn civil_date(days: i64) -> (i64, u32, u32) {
    // 0000-03-01 is 719_468 days before the Unix epoch.
    let since_era0 = days + 719_468;
    let era = since_era0.div_euclid(146_097);
    let day_of_era = since_era0.rem_euclid(146_097);
    // The year of the era, with the leap days of the past years taken out.
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    // Months from March: 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 31, 29|28.
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = era * 400 + year_of_era + i64::from(month <= 2);
    // Both are small: month in 1..=12, day in 1..=31.
    (year, month as u32, day as u32)
}

/// Parses a time parameter of the Prometheus HTTP API into Unix ms.
///
/// Accepted, as Prometheus' `parseTime` does: Unix seconds as a float
/// (rounded to milliseconds), an RFC 3339 date-time, and the texts of
/// Prometheus' `MinTime` and `MaxTime`. Unlike Prometheus, which wraps, a
/// number outside [`MIN_TIME_MS`]..=[`MAX_TIME_MS`], NaN or an infinity is an
/// error.
pub fn parse_time(s: &str) -> Result<i64> {
    if let Ok(secs) = s.parse::<f64>() {
        return unix_seconds_to_ms(secs).ok_or_else(|| Error::TimeOutOfRange {
            text: s.to_string(),
        });
    }
    match s {
        MIN_TIME_TEXT => Ok(MIN_TIME_MS),
        MAX_TIME_TEXT => Ok(MAX_TIME_MS),
        _ => parse_rfc3339(s),
    }
}

/// Parses an RFC 3339 date-time (any offset, any fraction) into Unix ms,
/// dropping sub-millisecond digits towards the past as Prometheus'
/// `timestamp.FromTime` does.
pub fn parse_rfc3339(s: &str) -> Result<i64> {
    let bad = || Error::BadTime {
        text: s.to_string(),
    };
    let t: jiff::Timestamp = s.parse().map_err(|_| bad())?;
    i64::try_from(t.as_nanosecond().div_euclid(1_000_000)).map_err(|_| bad())
}

/// Unix seconds to ms: whole seconds, plus the fraction rounded to ms;
/// `None` outside Prometheus' `MinTime..=MaxTime`, for NaN and infinities.
fn unix_seconds_to_ms(secs: f64) -> Option<i64> {
    const LIMIT_SECS: f64 = (MAX_TIME_MS / 1000 + 1) as f64;
    if !secs.is_finite() || secs.abs() > LIMIT_SECS {
        return None;
    }
    let whole = secs.trunc();
    let frac_ms = ((secs - whole) * 1000.0).round();
    // Both are integral and far inside i64 after the check above.
    let ms = (whole as i64)
        .checked_mul(1000)?
        .checked_add(frac_ms as i64)?;
    (MIN_TIME_MS..=MAX_TIME_MS).contains(&ms).then_some(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_as_go_prints_it() {
        assert_eq!(rfc3339_nano(1_704_067_212_340), "2024-01-01T00:00:12.34Z");
        assert_eq!(rfc3339_nano(1_704_067_212_000), "2024-01-01T00:00:12Z");
        assert_eq!(rfc3339_nano(1_704_067_212_001), "2024-01-01T00:00:12.001Z");
        assert_eq!(rfc3339_nano(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_nano(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(rfc3339_nano(1_795_514_400_000), "2026-11-24T10:00:00Z");
        assert_eq!(rfc3339_nano(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_nano(-62_135_596_800_000), "0001-01-01T00:00:00Z");
        assert_eq!(
            rfc3339_nano(-62_135_596_800_001),
            "0000-12-31T23:59:59.999Z"
        );
        assert_eq!(rfc3339_nano(-62_198_755_200_000), "-0001-01-01T00:00:00Z");
        assert_eq!(rfc3339_nano(MIN_TIME_MS), MIN_TIME_TEXT);
        assert_eq!(rfc3339_nano(MAX_TIME_MS), "292277025-08-18T07:12:54.999Z");
        assert_eq!(
            rfc3339_millis(1_704_067_212_345),
            "2024-01-01T00:00:12.345Z"
        );
        assert_eq!(
            rfc3339_millis(1_714_557_600_000),
            "2024-05-01T10:00:00.000Z"
        );
        // Any i64 formats, without panicking.
        assert!(rfc3339_nano(i64::MIN).starts_with("-292275055-"));
        assert!(rfc3339_millis(i64::MAX).starts_with("292278994-"));
    }

    #[test]
    fn dates_agree_with_jiff() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Years 0001 to 9999, where RFC 3339 and jiff agree.
            let ms = (x % 315_537_897_600_000) as i64 - 62_135_596_800_000;
            let t = jiff::Timestamp::from_millisecond(ms).unwrap();
            assert_eq!(
                rfc3339_millis(ms),
                t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
            );
            assert_eq!(parse_time(&rfc3339_nano(ms)), Ok(ms));
        }
    }

    #[test]
    fn parses_prometheus_api_times() {
        assert_eq!(parse_time("1700000000"), Ok(1_700_000_000_000));
        assert_eq!(parse_time("1700000000.5"), Ok(1_700_000_000_500));
        assert_eq!(parse_time("1562529662.324"), Ok(1_562_529_662_324));
        assert_eq!(parse_time("-1.5"), Ok(-1_500));
        assert_eq!(parse_time("0.0004"), Ok(0));
        assert_eq!(parse_time("1e3"), Ok(1_000_000));
        assert_eq!(parse_time("2026-11-24T10:00:00Z"), Ok(1_795_514_400_000));
        assert_eq!(
            parse_time("2019-07-07T20:47:40+03:00"),
            Ok(1_562_521_660_000)
        );
        assert_eq!(
            parse_time("2020-02-21T16:07:49.433Z"),
            Ok(1_582_301_269_433)
        );
        assert_eq!(parse_time("1969-12-31T23:59:59.9995Z"), Ok(-1));
        assert_eq!(parse_time(MIN_TIME_TEXT), Ok(MIN_TIME_MS));
        assert_eq!(parse_time(MAX_TIME_TEXT), Ok(MAX_TIME_MS));
        for bad in [
            "",
            "yesterday",
            "2024-13-01T00:00:00Z",
            "1700000000x",
            "0x10",
        ] {
            assert_eq!(
                parse_time(bad),
                Err(Error::BadTime {
                    text: bad.to_string()
                }),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_time("yesterday").unwrap_err().to_string(),
            "cannot parse \"yesterday\" to a valid timestamp"
        );
        assert_eq!(parse_rfc3339("1700000000").ok(), None);
        assert_eq!(
            parse_rfc3339("0001-01-01T00:00:00Z"),
            Ok(-62_135_596_800_000)
        );
    }

    #[test]
    fn parse_time_overflow_is_an_error() {
        let out_of_range = |s: &str| {
            assert_eq!(
                parse_time(s),
                Err(Error::TimeOutOfRange {
                    text: s.to_string()
                }),
                "{s:?}"
            );
        };
        for s in [
            "1e300",
            "-1e300",
            "1e400",
            "NaN",
            "nan",
            "Inf",
            "+Inf",
            "-Inf",
            "infinity",
            "9223372036854775807",
            "-9223372036854775808",
            "9223372036854775.807",
            "9223309901257975",
            "-9223309901257975",
            "1.7976931348623157e308",
        ] {
            out_of_range(s);
        }
        // The edges themselves are in range.
        assert_eq!(
            parse_time("9223309901257974"),
            Ok(9_223_309_901_257_974_000)
        );
        assert_eq!(
            parse_time("-9223309901257974"),
            Ok(-9_223_309_901_257_974_000)
        );
        // Random magnitudes: an error or a time in range, never a panic.
        let mut x: u64 = 0x0123_4567_89AB_CDEF;
        for _ in 0..50_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let f = f64::from_bits(x);
            for s in [format!("{f}"), format!("{f:e}"), format!("{}", x as i64)] {
                match parse_time(&s) {
                    Ok(ms) => assert!((MIN_TIME_MS..=MAX_TIME_MS).contains(&ms), "{s}"),
                    Err(e) => assert_eq!(e, Error::TimeOutOfRange { text: s.clone() }),
                }
            }
        }
    }
}
