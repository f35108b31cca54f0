//! Durations in Prometheus syntax (`1h30m`, `15s`, `500ms`, `2w`, `0`).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// A non-negative duration written in Prometheus syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct PromDuration(pub Duration);

const UNITS: [(&str, u64); 7] = [
    ("y", 365 * 24 * 3600 * 1000),
    ("w", 7 * 24 * 3600 * 1000),
    ("d", 24 * 3600 * 1000),
    ("h", 3600 * 1000),
    ("m", 60 * 1000),
    ("s", 1000),
    ("ms", 1),
];

/// The longest duration Prometheus accepts: `i64::MAX` nanoseconds, in ms.
const MAX_MILLIS: u64 = i64::MAX as u64 / 1_000_000;

impl PromDuration {
    /// A duration of `secs` seconds.
    pub const fn from_secs(secs: u64) -> Self {
        PromDuration(Duration::from_secs(secs))
    }

    /// Parses Prometheus' duration syntax: unit groups in the order
    /// y, w, d, h, m, s, ms, each at most once, or a bare `0`.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Err("empty duration string".into());
        }
        if s == "0" {
            return Ok(PromDuration(Duration::ZERO));
        }
        let invalid = || format!("not a valid duration string: {s:?}");
        let bytes = s.as_bytes();
        let mut pos = 0;
        let mut next_unit = 0;
        let mut total: u64 = 0;
        while pos < bytes.len() {
            let start = pos;
            while pos < bytes.len() && bytes[pos].is_ascii_digit() {
                pos += 1;
            }
            if start == pos {
                return Err(invalid());
            }
            let n: u64 = s[start..pos].parse().map_err(|_| invalid())?;
            let unit_start = pos;
            while pos < bytes.len() && bytes[pos].is_ascii_alphabetic() {
                pos += 1;
            }
            let unit = &s[unit_start..pos];
            let idx = UNITS[next_unit..]
                .iter()
                .position(|(u, _)| *u == unit)
                .ok_or_else(invalid)?
                + next_unit;
            next_unit = idx + 1;
            let ms = n
                .checked_mul(UNITS[idx].1)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(|| "duration out of range".to_string())?;
            total = ms;
        }
        // As Prometheus: a duration must fit Go's time.Duration (int64
        // nanoseconds, about 292 years), so all time arithmetic on it fits
        // an i64 of milliseconds.
        if total > MAX_MILLIS {
            return Err("duration out of range".into());
        }
        Ok(PromDuration(Duration::from_millis(total)))
    }

    /// A duration of `ms` milliseconds (negative values clamp to zero).
    pub fn from_millis(ms: i64) -> Self {
        PromDuration(Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
    }

    /// The duration in milliseconds.
    pub fn as_millis(&self) -> i64 {
        i64::try_from(self.0.as_millis()).unwrap_or(i64::MAX)
    }

    /// Whether the duration is zero.
    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }
}

impl fmt::Display for PromDuration {
    /// Formats as Prometheus does: largest units first, `0s` for zero.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ms = u64::try_from(self.0.as_millis()).unwrap_or(u64::MAX);
        if ms == 0 {
            return f.write_str("0s");
        }
        for (unit, size) in UNITS {
            if ms >= size {
                write!(f, "{}{unit}", ms / size)?;
                ms %= size;
            }
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for PromDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        PromDuration::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl serde::Serialize for PromDuration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn durations_beyond_int64_nanoseconds_are_out_of_range() {
        assert_eq!(
            PromDuration::parse("300000000y").unwrap_err(),
            "duration out of range"
        );
        assert_eq!(
            PromDuration::parse("293y").unwrap_err(),
            "duration out of range"
        );
        assert!(PromDuration::parse("292y").is_ok());
        assert_eq!(
            PromDuration::parse("9223372036854ms").unwrap().as_millis(),
            9_223_372_036_854
        );
        assert!(PromDuration::parse("9223372036855ms").is_err());
    }

    use super::*;

    #[test]
    fn parses_prometheus_durations() {
        let ok = [
            ("0", 0),
            ("15s", 15_000),
            ("1h30m", 5_400_000),
            ("500ms", 500),
            ("1d", 86_400_000),
            ("2w", 1_209_600_000),
            ("1y", 31_536_000_000),
            ("1m1s1ms", 61_001),
        ];
        for (s, ms) in ok {
            assert_eq!(PromDuration::parse(s).unwrap().as_millis(), ms, "{s}");
        }
        for bad in ["", "5", "1.5s", "1s1m", "1h1h", "-1s", "5x", "1 s"] {
            assert!(PromDuration::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            PromDuration::parse("5x").unwrap_err(),
            "not a valid duration string: \"5x\""
        );
    }

    #[test]
    fn formats_like_prometheus() {
        for (ms, s) in [
            (0, "0s"),
            (15_000, "15s"),
            (5_400_000, "1h30m"),
            (1_500, "1s500ms"),
            (86_400_000, "1d"),
        ] {
            assert_eq!(PromDuration(Duration::from_millis(ms)).to_string(), s);
        }
    }
}
