//! Go's time printing: `Time.String`, `Time.Format` layouts and
//! `Duration.String`.

use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime as Zoned};

/// A UTC time from Unix milliseconds (clamped to the supported range).
pub(crate) fn utc_from_ms(ms: i64) -> Zoned {
    let ts = Timestamp::from_millisecond(ms).unwrap_or(if ms < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    });
    ts.to_zoned_datetime(TimeZone::UTC)
}

/// Go's zero time, `0001-01-01 00:00:00 +0000 UTC`.
pub(crate) fn go_zero_time() -> Zoned {
    utc_from_ms(-62_135_596_800_000)
}

/// A UTC time from Unix nanoseconds.
pub(crate) fn utc_from_ns(ns: i128) -> Option<Zoned> {
    Some(
        Timestamp::from_nanosecond(ns)
            .ok()?
            .to_zoned_datetime(TimeZone::UTC),
    )
}

fn zone_abbrev(t: &Zoned) -> String {
    let tz = t.time_zone();
    if tz.iana_name().is_none() && *tz == TimeZone::UTC {
        return "UTC".into();
    }
    let info = tz.to_offset_info(t.timestamp());
    let abbr = info.abbreviation().to_string();
    if abbr.is_empty() || tz.iana_name().is_none() && abbr != "UTC" {
        // Go names fixed zones without a name by their offset, like "+0200"
        return offset_str(t.offset().seconds(), false, false);
    }
    abbr
}

fn offset_str(secs: i32, colon: bool, short: bool) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    let (h, m) = (a / 3600, (a / 60) % 60);
    if short {
        return format!("{sign}{h:02}");
    }
    if colon {
        format!("{sign}{h:02}:{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}")
    }
}

/// Go's `Time.String`: `2006-01-02 15:04:05.999999999 -0700 MST`.
pub(crate) fn go_time_string(t: &Zoned) -> String {
    go_format(t, "2006-01-02 15:04:05.999999999 -0700 MST")
}

/// Go's `Duration.String`.
pub(crate) fn go_duration_string(d: i64) -> String {
    if d == 0 {
        return "0s".into();
    }
    let neg = d < 0;
    let u = d.unsigned_abs();
    let sign = if neg { "-" } else { "" };
    if u < 1_000_000_000 {
        let (unit, div) = if u < 1_000 {
            return format!("{sign}{u}ns");
        } else if u < 1_000_000 {
            ("µs", 1_000u64)
        } else {
            ("ms", 1_000_000u64)
        };
        return format!("{sign}{}{unit}", frac(u, div));
    }
    let secs_total = u / 1_000_000_000;
    let ns = u % 1_000_000_000;
    let h = secs_total / 3600;
    let m = (secs_total / 60) % 60;
    let s = secs_total % 60;
    let mut out = sign.to_string();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    out.push_str(&frac(s * 1_000_000_000 + ns, 1_000_000_000));
    out.push('s');
    out
}

fn frac(v: u64, div: u64) -> String {
    let int = v / div;
    let mut f = v % div;
    if f == 0 {
        return int.to_string();
    }
    let mut width = div.ilog10() as usize;
    while f.is_multiple_of(10) {
        f /= 10;
        width -= 1;
    }
    format!("{int}.{f:0width$}")
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
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Go's `Time.Format` with a reference-time layout.
pub(crate) fn go_format(t: &Zoned, layout: &str) -> String {
    let mut out = String::new();
    let b = layout.as_bytes();
    let mut i = 0;
    let year = i32::from(t.year());
    let month = t.month() as usize;
    let day = t.day();
    let hour = t.hour();
    let min = t.minute();
    let sec = t.second();
    let nanos = t.subsec_nanosecond();
    let wd = t.weekday().to_sunday_zero_offset() as usize;
    let off = t.offset().seconds();
    while i < b.len() {
        let rest = &layout[i..];
        macro_rules! tok {
            ($p:expr, $v:expr) => {
                if rest.starts_with($p) {
                    out.push_str(AsRef::<str>::as_ref(&$v));
                    i += $p.len();
                    continue;
                }
            };
        }
        match b[i] {
            b'J' => {
                tok!("January", MONTHS[month - 1]);
                tok!("Jan", &MONTHS[month - 1][..3]);
            }
            b'M' => {
                tok!("Monday", DAYS[wd]);
                tok!("Mon", &DAYS[wd][..3]);
                tok!("MST", zone_abbrev(t));
            }
            b'0' => {
                tok!("01", format!("{month:02}"));
                tok!("02", format!("{day:02}"));
                tok!(
                    "03",
                    format!("{:02}", if hour % 12 == 0 { 12 } else { hour % 12 })
                );
                tok!("04", format!("{min:02}"));
                tok!("05", format!("{sec:02}"));
                tok!("06", format!("{:02}", year.rem_euclid(100)));
                tok!("002", format!("{:03}", t.day_of_year()));
            }
            b'1' => {
                tok!("15", format!("{hour:02}"));
                tok!("1", format!("{month}"));
            }
            b'2' => {
                tok!("2006", format!("{year:04}"));
                tok!("2", format!("{day}"));
            }
            b'_' => {
                tok!("_2", format!("{day:>2}"));
            }
            b'3' => tok!(
                "3",
                format!("{}", if hour % 12 == 0 { 12 } else { hour % 12 })
            ),
            b'4' => tok!("4", format!("{min}")),
            b'5' => tok!("5", format!("{sec}")),
            b'P' => tok!("PM", if hour >= 12 { "PM" } else { "AM" }),
            b'p' => tok!("pm", if hour >= 12 { "pm" } else { "am" }),
            b'-' => {
                tok!(
                    "-07:00:00",
                    format!(
                        "{}:{:02}",
                        offset_str(off, true, false),
                        off.unsigned_abs() % 60
                    )
                );
                tok!("-0700", offset_str(off, false, false));
                tok!("-07:00", offset_str(off, true, false));
                tok!("-07", offset_str(off, false, true));
            }
            b'Z' => {
                let z = off == 0;
                tok!(
                    "Z07:00",
                    if z {
                        "Z".into()
                    } else {
                        offset_str(off, true, false)
                    }
                );
                tok!(
                    "Z0700",
                    if z {
                        "Z".into()
                    } else {
                        offset_str(off, false, false)
                    }
                );
                tok!(
                    "Z07",
                    if z {
                        "Z".into()
                    } else {
                        offset_str(off, false, true)
                    }
                );
            }
            b'.' | b',' => {
                // .000 / .999 fractional seconds, only after a seconds field
                let mut j = i + 1;
                let digit = b.get(j).copied();
                if matches!(digit, Some(b'0' | b'9')) {
                    let d = digit.unwrap_or(b'0');
                    while j < b.len() && b[j] == d {
                        j += 1;
                    }
                    let after_digit = b.get(j).is_some_and(u8::is_ascii_digit);
                    let prev_sec = i > 0 && b[i - 1] == b'5';
                    if !after_digit && prev_sec {
                        let n = j - i - 1;
                        let digits = format!("{nanos:09}");
                        let mut f = digits[..n.min(9)].to_string();
                        if d == b'9' {
                            while f.ends_with('0') {
                                f.pop();
                            }
                            if !f.is_empty() {
                                out.push(b[i] as char);
                                out.push_str(&f);
                            }
                        } else {
                            out.push(b[i] as char);
                            out.push_str(&f);
                        }
                        i = j;
                        continue;
                    }
                }
            }
            _ => {}
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push(c);
        i += c.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_string() {
        assert_eq!(
            go_time_string(&utc_from_ms(1000)),
            "1970-01-01 00:00:01 +0000 UTC"
        );
        assert_eq!(
            go_time_string(&utc_from_ms(1500)),
            "1970-01-01 00:00:01.5 +0000 UTC"
        );
        assert_eq!(
            go_time_string(&go_zero_time()),
            "0001-01-01 00:00:00 +0000 UTC"
        );
        assert_eq!(
            go_format(&utc_from_ms(0), "2006-01-02T15:04:05Z07:00"),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            go_format(&utc_from_ms(1_700_000_000_123), "Mon Jan _2 3:04:05.000 PM"),
            "Tue Nov 14 10:13:20.123 PM"
        );
    }

    #[test]
    fn duration_string() {
        assert_eq!(go_duration_string(3_723_000_000_000), "1h2m3s");
        assert_eq!(go_duration_string(1_500_000_000), "1.5s");
        assert_eq!(go_duration_string(1_500_000), "1.5ms");
        assert_eq!(go_duration_string(-60_000_000_000), "-1m0s");
        assert_eq!(go_duration_string(999), "999ns");
    }
}

#[cfg(test)]
mod layout_tests {
    use super::*;

    #[test]
    fn odd_layouts_do_not_panic() {
        let t = utc_from_ms(1_500);
        assert_eq!(go_format(&t, "é.000"), "é.000");
        assert_eq!(go_format(&t, "05.000é"), "01.500é");
        assert_eq!(go_format(&t, "5,999"), "1,5");
        assert_eq!(go_format(&t, "Z07:00 -0700 MST"), "Z +0000 UTC");
    }
}
