//! `time_intervals:` (and the deprecated `mute_time_intervals:`): raw
//! form and their parsing into [`TimeInterval`]s.

use super::*;

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTimeInterval {
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) time_intervals: Vec<RawTimeSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTimeSpec {
    #[serde(default)]
    pub(super) times: Vec<RawTimeRange>,
    #[serde(default)]
    pub(super) weekdays: Vec<String>,
    #[serde(default)]
    pub(super) days_of_month: Vec<String>,
    #[serde(default)]
    pub(super) months: Vec<String>,
    #[serde(default)]
    pub(super) years: Vec<String>,
    #[serde(default)]
    pub(super) location: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTimeRange {
    #[serde(default)]
    pub(super) start_time: String,
    #[serde(default)]
    pub(super) end_time: String,
}

/// One `time_intervals` entry: every field that is set must match (an empty
/// list matches anything). Ranges are inclusive except `times`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimeInterval {
    /// Minute-of-day ranges `[start, end)`.
    pub times: Vec<(u32, u32)>,
    /// Weekday ranges, 0 = Sunday.
    pub weekdays: Vec<(u32, u32)>,
    /// Day-of-month ranges; negative days count from the month's end (-1 = last).
    pub days_of_month: Vec<(i32, i32)>,
    /// Month ranges, 1 = January.
    pub months: Vec<(u32, u32)>,
    /// Year ranges, inclusive (`2024:2026`).
    pub years: Vec<(i32, i32)>,
    /// IANA time zone name (`Local` and `UTC` included); UTC when unset.
    pub location: Option<String>,
}

/// A named list of time intervals (`time_intervals:` / `mute_time_intervals:`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimeIntervalDef {
    /// Name routes refer to.
    pub name: String,
    /// The intervals; the definition is active when any of them is.
    pub intervals: Vec<TimeInterval>,
}

pub(super) fn parse_clock(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return None;
    }
    Some(h * 60 + m)
}

pub(super) fn named_or_number(s: &str, names: &[&str], first: u32) -> Option<u32> {
    let l = s.trim().to_ascii_lowercase();
    if let Some(i) = names.iter().position(|n| *n == l) {
        return u32::try_from(i).ok().map(|i| i + first);
    }
    l.parse().ok()
}

pub(super) fn split_range(s: &str) -> (&str, &str) {
    match s.split_once(':') {
        Some((a, b)) => (a, b),
        None => (s, s),
    }
}

pub(super) const WEEKDAYS: &[&str] = &[
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];

pub(super) const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Validates one `time_intervals` entry with Alertmanager's messages.
pub(super) fn time_interval(raw: &RawTimeSpec) -> std::result::Result<TimeInterval, String> {
    let mut t = TimeInterval::default();
    for r in &raw.times {
        let start = parse_clock(&r.start_time)
            .ok_or_else(|| format!("couldn't parse timestamp {}, invalid format", r.start_time))?;
        let end = parse_clock(&r.end_time)
            .ok_or_else(|| format!("couldn't parse timestamp {}, invalid format", r.end_time))?;
        if start >= end {
            return Err("start time cannot be equal or greater than end time".into());
        }
        t.times.push((start, end));
    }
    for w in &raw.weekdays {
        let (a, b) = split_range(w);
        let (Some(a), Some(b)) = (
            WEEKDAYS
                .iter()
                .position(|n| *n == a.trim().to_ascii_lowercase()),
            WEEKDAYS
                .iter()
                .position(|n| *n == b.trim().to_ascii_lowercase()),
        ) else {
            return Err(format!("{w} is not a valid weekday"));
        };
        if a > b {
            return Err("start day cannot be before end day".into());
        }
        t.weekdays.push((a as u32, b as u32));
    }
    for d in &raw.days_of_month {
        let (a, b) = split_range(d);
        let (Ok(a), Ok(b)) = (a.trim().parse::<i32>(), b.trim().parse::<i32>()) else {
            return Err(format!("invalid day of month: {d}"));
        };
        if a == 0 || b == 0 || !(-31..=31).contains(&a) || !(-31..=31).contains(&b) {
            return Err(format!("{d} is not a valid day of the month: out of range"));
        }
        if (a > 0 && b > 0 || a < 0 && b < 0) && a > b {
            return Err("end day must be greater than start day".into());
        }
        t.days_of_month.push((a, b));
    }
    for m in &raw.months {
        let (a, b) = split_range(m);
        let (Some(a), Some(b)) = (named_or_number(a, MONTHS, 1), named_or_number(b, MONTHS, 1))
        else {
            return Err(format!("{m} is not a valid month"));
        };
        if !(1..=12).contains(&a) || !(1..=12).contains(&b) {
            return Err(format!("{m} is not a valid month: out of range"));
        }
        if a > b {
            return Err("end month must be greater than or equal to start month".into());
        }
        t.months.push((a, b));
    }
    for y in &raw.years {
        let (a, b) = split_range(y);
        let (Ok(a), Ok(b)) = (a.trim().parse::<i32>(), b.trim().parse::<i32>()) else {
            return Err(format!("invalid year: {y}"));
        };
        if a > b {
            return Err("end year must be greater than or equal to start year".into());
        }
        t.years.push((a, b));
    }
    if let Some(loc) = &raw.location {
        let zoneinfo = Path::new("/usr/share/zoneinfo");
        if loc != "Local" && loc != "UTC" && zoneinfo.is_dir() && !zoneinfo.join(loc).is_file() {
            return Err(format!("unknown time zone {loc}"));
        }
        t.location = Some(loc.clone());
    }
    Ok(t)
}
