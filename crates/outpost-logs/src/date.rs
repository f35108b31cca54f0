//! Dates as Elasticsearch reads them: `strict_date_optional_time` strings and `epoch_millis`
//! numbers into epoch milliseconds, and date math (`now-15m/m`, `2014-11-18||/M`) with the
//! range query's rounding rules. `now` is always an argument (the project clock).

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

/// Parses `strict_date_optional_time` (date, date-time with or without offset and fraction);
/// a value without offset is UTC. `None` when the text is not such a date.
pub fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    // dates start with four digits and a dash; keeps plain numbers and words out cheaply
    let b = s.as_bytes();
    if b.len() < 10 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Some(ts.as_millisecond());
    }
    if let Ok(dt) = s.parse::<DateTime>() {
        return TimeZone::UTC
            .to_timestamp(dt)
            .ok()
            .map(|t| t.as_millisecond());
    }
    if let Ok(d) = s.parse::<Date>() {
        let dt = d.to_datetime(jiff::civil::Time::midnight());
        return TimeZone::UTC
            .to_timestamp(dt)
            .ok()
            .map(|t| t.as_millisecond());
    }
    None
}

/// [`parse_date`] plus the partial forms `strict_date_optional_time` also accepts: a year
/// (`2019`, four digits) and a year-month (`2019-10`), their missing parts filled with the
/// start of the period (ES's rule for range bounds), and a date-time without seconds
/// (`2019-10-21T10`, `2019-10-21T10:30`).
pub(crate) fn parse_partial_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(ms) = parse_date(s) {
        return Some(ms);
    }
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let utc = |dt: DateTime| {
        TimeZone::UTC
            .to_timestamp(dt)
            .ok()
            .map(|t| t.as_millisecond())
    };
    match b.len() {
        4 if digits(0..4) => utc(DateTime::new(s.parse().ok()?, 1, 1, 0, 0, 0, 0).ok()?),
        7 if digits(0..4) && b[4] == b'-' && digits(5..7) => {
            utc(DateTime::new(s[..4].parse().ok()?, s[5..7].parse().ok()?, 1, 0, 0, 0, 0).ok()?)
        }
        // date-time without seconds: complete the time and parse the full form
        n if n > 11 && b[10] == b'T' => {
            let (date, rest) = s.split_at(11);
            let end = rest
                .find(|c: char| !c.is_ascii_digit() && c != ':')
                .unwrap_or(rest.len());
            let (time, zone) = rest.split_at(end);
            let time = match time.len() {
                2 => format!("{time}:00:00"),
                5 => format!("{time}:00"),
                _ => return None,
            };
            parse_date(&format!("{date}{time}{zone}"))
        }
        _ => None,
    }
}

/// Reads a date value as a date field accepts it (`strict_date_optional_time||epoch_millis`).
pub(crate) fn parse_date_value(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        serde_json::Value::String(s) => {
            parse_partial_date(s).or_else(|| s.trim().parse::<i64>().ok())
        }
        _ => None,
    }
}

/// How a rounded date-math expression is resolved at a range bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// Round down to the start of the unit (`gte`, `lt` before its minus-1ms).
    Down,
    /// Round up to the last millisecond of the unit (`lte`, `gt`).
    Up,
}

/// Evaluates a date-math expression (`now`, `now-15m/m`, `2014-11-18||+1M/d`, or a plain date or
/// epoch value); `format: epoch_millis` makes a plain number epoch ms. Errors carry ES's text.
pub fn eval_date_math(expr: &str, now_ms: i64, rounding: Rounding) -> Result<i64, String> {
    let expr = expr.trim();
    let (anchor, math) = if let Some(rest) = expr.strip_prefix("now") {
        (now_ms, rest)
    } else if let Some((date, rest)) = expr.split_once("||") {
        (anchor_of(date)?, rest)
    } else {
        return anchor_of(expr);
    };
    apply_math(anchor, math, rounding).ok_or_else(|| format!("failed to parse date field [{expr}]"))
}

fn anchor_of(s: &str) -> Result<i64, String> {
    parse_partial_date(s)
        .or_else(|| s.trim().parse::<i64>().ok())
        .ok_or_else(|| {
            format!("failed to parse date field [{s}] with format [strict_date_optional_time||epoch_millis]")
        })
}

fn apply_math(anchor: i64, math: &str, rounding: Rounding) -> Option<i64> {
    let mut zoned = TimeZone::UTC.to_datetime(Timestamp::from_millisecond(anchor).ok()?);
    let b = math.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let op = b[i];
        i += 1;
        match op {
            b'+' | b'-' => {
                let start = i;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                let n: i64 = if start == i {
                    1
                } else {
                    math[start..i].parse().ok()?
                };
                let unit = *b.get(i)?;
                i += 1;
                let n = if op == b'-' { n.checked_neg()? } else { n };
                let span = match unit {
                    b'y' => n.years(),
                    b'M' => n.months(),
                    b'w' => n.weeks(),
                    b'd' => n.days(),
                    b'h' | b'H' => n.hours(),
                    b'm' => n.minutes(),
                    b's' => n.seconds(),
                    _ => return None,
                };
                zoned = zoned.checked_add(span).ok()?;
            }
            b'/' => {
                let unit = *b.get(i)?;
                i += 1;
                let start = round_down(&zoned, unit)?;
                zoned = match rounding {
                    Rounding::Down => start,
                    Rounding::Up => {
                        let next = start.checked_add(unit_span(unit)?).ok()?;
                        next.checked_sub(1.millisecond()).ok()?
                    }
                };
            }
            _ => return None,
        }
    }
    Some(TimeZone::UTC.to_timestamp(zoned).ok()?.as_millisecond())
}

fn unit_span(unit: u8) -> Option<jiff::Span> {
    Some(match unit {
        b'y' => 1.year(),
        b'M' => 1.month(),
        b'w' => 1.week(),
        b'd' => 1.day(),
        b'h' | b'H' => 1.hour(),
        b'm' => 1.minute(),
        b's' => 1.second(),
        _ => return None,
    })
}

fn round_down(d: &DateTime, unit: u8) -> Option<DateTime> {
    let civil = match unit {
        b'y' => DateTime::new(d.year(), 1, 1, 0, 0, 0, 0).ok()?,
        b'M' => DateTime::new(d.year(), d.month(), 1, 0, 0, 0, 0).ok()?,
        b'w' => {
            let back = i64::from(d.weekday().to_monday_zero_offset());
            let day = d.date().checked_sub(back.days()).ok()?;
            day.to_datetime(jiff::civil::Time::midnight())
        }
        b'd' => DateTime::new(d.year(), d.month(), d.day(), 0, 0, 0, 0).ok()?,
        b'h' | b'H' => DateTime::new(d.year(), d.month(), d.day(), d.hour(), 0, 0, 0).ok()?,
        b'm' => DateTime::new(d.year(), d.month(), d.day(), d.hour(), d.minute(), 0, 0).ok()?,
        b's' => DateTime::new(
            d.year(),
            d.month(),
            d.day(),
            d.hour(),
            d.minute(),
            d.second(),
            0,
        )
        .ok()?,
        _ => return None,
    };
    Some(civil)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        parse_date(s).unwrap()
    }

    #[test]
    fn parses_es_default_date_forms() {
        assert_eq!(parse_date("2026-12-07"), Some(ms("2026-12-07T00:00:00Z")));
        assert_eq!(
            ms("2026-12-07T10:00:00.123+01:00"),
            ms("2026-12-07T09:00:00.123Z")
        );
        assert_eq!(ms("2026-12-07T10:00:00"), ms("2026-12-07T10:00:00Z"));
        assert_eq!(parse_date("12345"), None);
        assert_eq!(parse_date("hello world"), None);
    }

    #[test]
    fn partial_dates_fill_the_start_of_the_period() {
        assert_eq!(parse_partial_date("2019"), Some(ms("2019-01-01T00:00:00Z")));
        assert_eq!(
            parse_partial_date("2019-10"),
            Some(ms("2019-10-01T00:00:00Z"))
        );
        assert_eq!(
            parse_partial_date("2019-10-21T10"),
            Some(ms("2019-10-21T10:00:00Z"))
        );
        assert_eq!(
            parse_partial_date("2019-10-21T10:30+02:00"),
            Some(ms("2019-10-21T08:30:00Z"))
        );
        assert_eq!(parse_partial_date("2019-13"), None);
        assert_eq!(parse_partial_date("201"), None);
        assert_eq!(parse_partial_date("20190"), None);
        // dynamic detection stays strict: a bare year is no date there
        assert_eq!(parse_date("2019"), None);
        // as a bound a four-digit text is a year, a longer number epoch millis
        assert_eq!(
            eval_date_math("2019", 0, Rounding::Down).unwrap(),
            ms("2019-01-01T00:00:00Z")
        );
        assert_eq!(
            eval_date_math("2019||+1y", 0, Rounding::Down).unwrap(),
            ms("2020-01-01T00:00:00Z")
        );
        assert_eq!(eval_date_math("20190", 0, Rounding::Down).unwrap(), 20190);
    }

    #[test]
    fn range_rounding_follows_the_fact_sheet() {
        // 2014-11-18||/M: gte rounds down, lte up to the end of the month
        let down = eval_date_math("2014-11-18||/M", 0, Rounding::Down).unwrap();
        assert_eq!(down, ms("2014-11-01T00:00:00Z"));
        let up = eval_date_math("2014-11-18||/M", 0, Rounding::Up).unwrap();
        assert_eq!(up, ms("2014-11-30T23:59:59.999Z"));
    }

    #[test]
    fn now_comes_from_the_argument() {
        let now = ms("2026-12-07T22:17:42.500Z");
        assert_eq!(
            eval_date_math("now-15m/m", now, Rounding::Down).unwrap(),
            ms("2026-12-07T22:02:00Z")
        );
        assert_eq!(eval_date_math("now", now, Rounding::Down).unwrap(), now);
        assert_eq!(
            eval_date_math("now+1d", now, Rounding::Down).unwrap(),
            ms("2026-12-08T22:17:42.500Z")
        );
        assert!(eval_date_math("now-xq", now, Rounding::Down).is_err());
        assert_eq!(
            eval_date_math("1700000000000", now, Rounding::Down).unwrap(),
            1_700_000_000_000
        );
    }
}
