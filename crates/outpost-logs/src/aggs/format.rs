//! Value formatting for aggregation responses: date formats (`key_as_string`,
//! `value_as_string`: the named ES formats and Java-style patterns like `yyyy-MM-dd`) in a time
//! zone (`time_zone`: `UTC`, offsets like `+01:00`, IANA names via jiff), and Java's
//! `Double.toString` for range keys.

use jiff::Timestamp;
use jiff::tz::{Offset, TimeZone};

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Lit(String),
    Year(usize),
    Month(usize),
    Day(usize),
    Hour24(usize),
    Hour12(usize),
    Minute(usize),
    Second(usize),
    Fraction(usize),
    AmPm,
    Weekday(usize),
    /// `Z`: `+0100`; `ZZ`/`XXX`: `Z` for UTC else `+01:00`; `xxx`: always `+00:00`.
    Offset(u8),
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    EpochMillis,
    EpochSecond,
    Pattern(Vec<Tok>),
}

/// A date format with its time zone.
#[derive(Debug, Clone)]
pub(crate) struct DateFormat {
    kind: Kind,
    tz: TimeZone,
}

impl Default for DateFormat {
    fn default() -> Self {
        DateFormat {
            kind: Kind::Pattern(default_pattern()),
            tz: TimeZone::UTC,
        }
    }
}

fn default_pattern() -> Vec<Tok> {
    parse_pattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX")
}

impl DateFormat {
    /// Parses `format` (first of `a||b`) for the zone `tz`.
    pub(crate) fn new(format: Option<&str>, tz: TimeZone) -> DateFormat {
        let name = format.map(|f| f.split("||").next().unwrap_or(f).trim());
        let kind = match name {
            None
            | Some(
                "strict_date_optional_time"
                | "date_optional_time"
                | "strict_date_time"
                | "date_time"
                | "strict_date_optional_time_nanos",
            ) => Kind::Pattern(default_pattern()),
            Some("epoch_millis") => Kind::EpochMillis,
            Some("epoch_second") => Kind::EpochSecond,
            Some("date" | "strict_date") => Kind::Pattern(parse_pattern("yyyy-MM-dd")),
            Some("basic_date") => Kind::Pattern(parse_pattern("yyyyMMdd")),
            Some("date_hour_minute_second" | "strict_date_hour_minute_second") => {
                Kind::Pattern(parse_pattern("yyyy-MM-dd'T'HH:mm:ss"))
            }
            Some("date_hour_minute" | "strict_date_hour_minute") => {
                Kind::Pattern(parse_pattern("yyyy-MM-dd'T'HH:mm"))
            }
            Some("year_month" | "strict_year_month") => Kind::Pattern(parse_pattern("yyyy-MM")),
            Some("year" | "strict_year") => Kind::Pattern(parse_pattern("yyyy")),
            Some(p) => Kind::Pattern(parse_pattern(p)),
        };
        DateFormat { kind, tz }
    }

    /// Formats epoch milliseconds.
    pub(crate) fn format(&self, ms: i64) -> String {
        let toks = match &self.kind {
            Kind::EpochMillis => return ms.to_string(),
            Kind::EpochSecond => return ms.div_euclid(1000).to_string(),
            Kind::Pattern(t) => t,
        };
        let Ok(ts) = Timestamp::from_millisecond(ms) else {
            return ms.to_string();
        };
        let z = self.tz.to_datetime(ts);
        let off_secs = self.tz.to_offset(ts).seconds();
        let mut out = String::with_capacity(24);
        for t in toks {
            match t {
                Tok::Lit(s) => out.push_str(s),
                Tok::Year(2) => out.push_str(&format!("{:02}", z.year().rem_euclid(100))),
                Tok::Year(n) => out.push_str(&format!("{:0n$}", z.year(), n = (*n).max(4))),
                Tok::Month(n) if *n >= 4 => out.push_str(MONTHS[(z.month() - 1) as usize]),
                Tok::Month(3) => out.push_str(&MONTHS[(z.month() - 1) as usize][..3]),
                Tok::Month(n) => pad(&mut out, i64::from(z.month()), *n),
                Tok::Day(n) => pad(&mut out, i64::from(z.day()), *n),
                Tok::Hour24(n) => pad(&mut out, i64::from(z.hour()), *n),
                Tok::Hour12(n) => {
                    let h = i64::from(z.hour()) % 12;
                    pad(&mut out, if h == 0 { 12 } else { h }, *n);
                }
                Tok::Minute(n) => pad(&mut out, i64::from(z.minute()), *n),
                Tok::Second(n) => pad(&mut out, i64::from(z.second()), *n),
                Tok::Fraction(n) => {
                    let ms = format!("{:03}", z.millisecond());
                    let digits: String =
                        ms.chars().chain(std::iter::repeat('0')).take(*n).collect();
                    out.push_str(&digits);
                }
                Tok::AmPm => out.push_str(if z.hour() < 12 { "AM" } else { "PM" }),
                Tok::Weekday(n) => {
                    let d = WEEKDAYS[z.weekday().to_monday_zero_offset() as usize];
                    out.push_str(if *n >= 4 { d } else { &d[..3] });
                }
                Tok::Offset(style) => {
                    let secs = off_secs;
                    if secs == 0 && *style == b'X' {
                        out.push('Z');
                    } else {
                        let sign = if secs < 0 { '-' } else { '+' };
                        let a = secs.unsigned_abs();
                        if *style == b'Z' {
                            out.push_str(&format!("{sign}{:02}{:02}", a / 3600, a % 3600 / 60));
                        } else {
                            out.push_str(&format!("{sign}{:02}:{:02}", a / 3600, a % 3600 / 60));
                        }
                    }
                }
            }
        }
        out
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

fn pad(out: &mut String, v: i64, n: usize) {
    out.push_str(&format!("{v:0n$}"));
}

fn parse_pattern(p: &str) -> Vec<Tok> {
    let chars: Vec<char> = p.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            let mut lit = String::new();
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                lit.push(chars[i]);
                i += 1;
            }
            if lit.is_empty() {
                lit.push('\'');
            }
            out.push(Tok::Lit(lit));
            i += 1;
            continue;
        }
        let mut n = 1;
        while i + n < chars.len() && chars[i + n] == c {
            n += 1;
        }
        let tok = match c {
            'y' | 'u' | 'Y' => Tok::Year(n),
            'M' | 'L' => Tok::Month(n),
            'd' => Tok::Day(n),
            'H' => Tok::Hour24(n),
            'h' => Tok::Hour12(n),
            'm' => Tok::Minute(n),
            's' => Tok::Second(n),
            'S' => Tok::Fraction(n),
            'a' => Tok::AmPm,
            'E' => Tok::Weekday(n),
            'X' => Tok::Offset(b'X'),
            'Z' if n >= 2 => Tok::Offset(b'X'),
            'Z' => Tok::Offset(b'Z'),
            'x' => Tok::Offset(b'x'),
            other => Tok::Lit(std::iter::repeat_n(other, n).collect()),
        };
        out.push(tok);
        i += n;
    }
    out
}

/// Parses `time_zone`: `UTC`/`Z`, offsets (`+01:00`, `-0800`, `+5`), or an IANA name.
pub(crate) fn parse_tz(ty: &str, s: &str) -> Result<TimeZone> {
    let s = s.trim();
    if matches!(s, "UTC" | "Z" | "GMT" | "Etc/UTC" | "utc") {
        return Ok(TimeZone::UTC);
    }
    if let Some(rest) = s
        .strip_prefix('+')
        .map(|r| (1, r))
        .or_else(|| s.strip_prefix('-').map(|r| (-1, r)))
    {
        let (sign, digits) = rest;
        let clean: String = digits.chars().filter(|c| *c != ':').collect();
        let (h, m) = match clean.len() {
            1 | 2 => (clean.parse::<i32>().ok(), Some(0)),
            4 => (
                clean[..2].parse::<i32>().ok(),
                clean[2..].parse::<i32>().ok(),
            ),
            _ => (None, None),
        };
        if let (Some(h), Some(m)) = (h, m)
            && h <= 18
            && m < 60
            && let Ok(off) = Offset::from_seconds(sign * (h * 3600 + m * 60))
        {
            return Ok(TimeZone::fixed(off));
        }
    } else if let Ok(tz) = TimeZone::get(s) {
        return Ok(tz);
    }
    Err(Error::XContentParse(format!(
        "[{ty}] failed to parse field [time_zone]: Unknown time-zone ID: {s}"
    )))
}

/// A Java `DecimalFormat` pattern for numeric `format` options (`0.00`, `#,##0.0`,
/// `Value is ##0.0`): literal prefix and suffix around the digits.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NumFormat {
    prefix: String,
    suffix: String,
    min_int: usize,
    min_frac: usize,
    max_frac: usize,
    grouping: bool,
}

impl NumFormat {
    /// Parses a pattern; `None` when it has no digit placeholders.
    pub(crate) fn parse(p: &str) -> Option<NumFormat> {
        let is_num = |c: char| matches!(c, '#' | '0' | ',' | '.');
        let first = p.find(is_num)?;
        let last = p.rfind(is_num)?;
        let core = &p[first..=last];
        if !core.contains(['#', '0']) {
            return None;
        }
        let (int, frac) = core.split_once('.').unwrap_or((core, ""));
        Some(NumFormat {
            prefix: p[..first].to_string(),
            suffix: p[last + 1..].to_string(),
            min_int: int.chars().filter(|c| *c == '0').count(),
            min_frac: frac.chars().filter(|c| *c == '0').count(),
            max_frac: frac.chars().filter(|c| matches!(c, '0' | '#')).count(),
            grouping: int.contains(','),
        })
    }

    /// Formats a number.
    pub(crate) fn format(&self, x: f64) -> String {
        let s = format!("{:.*}", self.max_frac, x.abs());
        let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
        let mut frac = frac.to_string();
        while frac.len() > self.min_frac && frac.ends_with('0') {
            frac.pop();
        }
        let mut int = int.trim_start_matches('0').to_string();
        while int.len() < self.min_int.max(1) {
            int.insert(0, '0');
        }
        if self.grouping {
            let digits: Vec<char> = int.chars().collect();
            let mut g = String::new();
            for (i, c) in digits.iter().enumerate() {
                if i > 0 && (digits.len() - i).is_multiple_of(3) {
                    g.push(',');
                }
                g.push(*c);
            }
            int = g;
        }
        let sign = if x < 0.0
            && (int.chars().any(|c| c != '0' && c != ',') || frac.chars().any(|c| c != '0'))
        {
            "-"
        } else {
            ""
        };
        if frac.is_empty() {
            format!("{}{sign}{int}{}", self.prefix, self.suffix)
        } else {
            format!("{}{sign}{int}.{frac}{}", self.prefix, self.suffix)
        }
    }
}

/// Java's `Double.toString` (`50.0`, `1.5`, `1.0E7`), as ES prints range keys.
pub(crate) fn java_double(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let a = x.abs();
    if a == 0.0 || (1e-3..1e7).contains(&a) {
        let s = format!("{x}");
        if s.contains('.') { s } else { format!("{s}.0") }
    } else {
        let s = format!("{x:e}");
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let m = if m.contains('.') {
            m.to_string()
        } else {
            format!("{m}.0")
        };
        format!("{m}E{e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_format_is_iso_with_millis_and_zone() {
        let f = DateFormat::default();
        assert_eq!(f.format(1_795_514_400_000), "2026-11-24T10:00:00.000Z");
        let paris = DateFormat::new(None, parse_tz("t", "+01:00").unwrap());
        assert_eq!(paris.format(0), "1970-01-01T01:00:00.000+01:00");
        let day = DateFormat::new(Some("yyyy-MM-dd"), TimeZone::UTC);
        assert_eq!(day.format(86_400_000), "1970-01-02");
        assert_eq!(
            DateFormat::new(Some("epoch_millis"), TimeZone::UTC).format(5),
            "5"
        );
    }

    #[test]
    fn time_zones_parse_offsets_and_iana_names() {
        assert!(parse_tz("t", "Europe/Paris").is_ok());
        assert!(parse_tz("t", "-08:00").is_ok());
        assert!(parse_tz("t", "Mars/Olympus").is_err());
    }

    #[test]
    fn decimal_format_patterns() {
        let f = NumFormat::parse("Value is ##0.0").unwrap();
        assert_eq!(f.format(50.0), "Value is 50.0");
        assert_eq!(f.format(0.0), "Value is 0.0");
        assert_eq!(
            NumFormat::parse("#,##0.00").unwrap().format(1234.5),
            "1,234.50"
        );
        assert_eq!(NumFormat::parse("0.#").unwrap().format(-2.25), "-2.2");
        assert!(NumFormat::parse("yyyy-MM-dd").is_none());
    }

    #[test]
    fn doubles_print_as_java_does() {
        assert_eq!(java_double(50.0), "50.0");
        assert_eq!(java_double(1.5), "1.5");
        assert_eq!(java_double(-3.0), "-3.0");
        assert_eq!(java_double(1e7), "1.0E7");
        assert_eq!(java_double(1.25e10), "1.25E10");
    }
}
