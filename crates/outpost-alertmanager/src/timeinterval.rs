//! Evaluation of `time_intervals` (mute and active time intervals).

use outpost_config::{TimeInterval, TimeIntervalDef};

fn in_ranges<T: PartialOrd + Copy>(ranges: &[(T, T)], v: T) -> bool {
    ranges.is_empty() || ranges.iter().any(|&(a, b)| a <= v && v <= b)
}

fn days_in_month(year: i16, month: i8) -> i32 {
    jiff::civil::Date::new(year, month, 1)
        .map(|d| i32::from(d.days_in_month()))
        .unwrap_or(31)
}

/// Whether one interval contains the instant `ms`.
pub(crate) fn contains(t: &TimeInterval, ms: i64) -> bool {
    let Ok(ts) = jiff::Timestamp::from_millisecond(ms) else {
        return false;
    };
    let tz = match t.location.as_deref() {
        None | Some("UTC") => jiff::tz::TimeZone::UTC,
        Some("Local") => jiff::tz::TimeZone::system(),
        Some(name) => jiff::tz::TimeZone::get(name).unwrap_or(jiff::tz::TimeZone::UTC),
    };
    let z = ts.to_zoned_datetime(tz);
    let minute = u32::try_from(i32::from(z.hour()) * 60 + i32::from(z.minute())).unwrap_or(0);
    if !t.times.is_empty() && !t.times.iter().any(|&(a, b)| a <= minute && minute < b) {
        return false;
    }
    let weekday = u32::from(z.weekday().to_sunday_zero_offset().unsigned_abs());
    if !in_ranges(&t.weekdays, weekday) {
        return false;
    }
    let month = u32::from(z.month().unsigned_abs());
    if !in_ranges(&t.months, month) {
        return false;
    }
    if !in_ranges(&t.years, i32::from(z.year())) {
        return false;
    }
    if !t.days_of_month.is_empty() {
        let dim = days_in_month(z.year(), z.month());
        let day = i32::from(z.day());
        let fix = |d: i32| if d < 0 { dim + d + 1 } else { d };
        if !t
            .days_of_month
            .iter()
            .any(|&(a, b)| fix(a) <= day && day <= fix(b).min(dim))
        {
            return false;
        }
    }
    true
}

/// Whether any of the named definitions is active at `ms`.
pub(crate) fn any_active(defs: &[TimeIntervalDef], names: &[String], ms: i64) -> bool {
    names.iter().any(|n| {
        defs.iter()
            .filter(|d| &d.name == n)
            .any(|d| d.intervals.iter().any(|t| contains(t, ms)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn office_hours() {
        let t = TimeInterval {
            times: vec![(9 * 60, 17 * 60)],
            weekdays: vec![(1, 5)],
            days_of_month: vec![(-6, -1)],
            ..Default::default()
        };
        // Tuesday 2026-11-24 10:00 UTC: not in the last 7 days of November.
        let tue_10 = 1_795_514_400_000;
        assert!(!contains(&t, tue_10));
        let t2 = TimeInterval {
            days_of_month: vec![],
            ..t.clone()
        };
        assert!(contains(&t2, tue_10));
        assert!(!contains(&t2, tue_10 + 8 * 3_600_000), "18:00 is outside");
        // Friday 2026-11-27 10:00 is within the last 7 days.
        assert!(contains(&t, tue_10 + 3 * 86_400_000));
    }
}
