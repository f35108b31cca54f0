//! Timestamp arithmetic of the evaluator: durations, offsets and `@` times in
//! milliseconds, and the checks of a range query's time range. Values beyond
//! the i64 range of milliseconds (about 292 million years) saturate: no
//! sample lies there, so a saturated window selects the same (nothing).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use promql_parser::parser::Offset;

use crate::error::{Error, Result};

/// Most points per series a range query may return (Prometheus' API limit).
pub const MAX_RANGE_POINTS: i64 = 11_000;

/// A duration in milliseconds, saturating at `i64::MAX`.
pub(crate) fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A time in milliseconds since the epoch; `None` beyond the i64 range.
pub(crate) fn system_time_ms(t: &SystemTime) -> Option<i64> {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).ok(),
        // `-i64::MAX` is the most negative value kept: negation cannot overflow.
        Err(e) => i64::try_from(e.duration().as_millis()).ok().map(|ms| -ms),
    }
}

/// An `@` time in milliseconds, saturating at the ends of i64 (the engine
/// rejects such times before evaluation).
pub(crate) fn at_ms(t: &SystemTime) -> i64 {
    system_time_ms(t).unwrap_or(if *t >= UNIX_EPOCH { i64::MAX } else { i64::MIN })
}

/// An `offset` in milliseconds (negative for `offset -5m`), saturating.
pub(crate) fn offset_ms(o: &Option<Offset>) -> i64 {
    match o {
        None => 0,
        Some(Offset::Pos(d)) => duration_ms(*d),
        // `duration_ms` is at most `i64::MAX`, whose negation fits.
        Some(Offset::Neg(d)) => -duration_ms(*d),
    }
}

/// Checks a range query's `start`, `end` and `step` (ms) as Prometheus' API
/// does and returns its number of steps. The span is computed in i128, so
/// any pair of i64 times is accepted without overflow.
pub fn range_steps(start_ms: i64, end_ms: i64, step_ms: i64) -> Result<usize> {
    if step_ms <= 0 {
        return Err(Error::Parse(
            "zero or negative query resolution step widths are not accepted. Try a positive integer"
                .into(),
        ));
    }
    if end_ms < start_ms {
        return Err(Error::Parse(
            "end timestamp must not be before start time".into(),
        ));
    }
    let intervals = (i128::from(end_ms) - i128::from(start_ms)) / i128::from(step_ms);
    if intervals > i128::from(MAX_RANGE_POINTS) {
        return Err(Error::Parse("exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)".into()));
    }
    // At most 11,001 here: the conversion cannot fail.
    usize::try_from(intervals + 1).map_err(|_| Error::Parse("too many steps".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_times_saturate() {
        assert_eq!(duration_ms(Duration::from_millis(1500)), 1500);
        assert_eq!(duration_ms(Duration::MAX), i64::MAX);
        assert_eq!(
            offset_ms(&Some(Offset::Neg(Duration::MAX))),
            -i64::MAX,
            "negated without overflow"
        );
        let far = UNIX_EPOCH + Duration::from_secs(u64::MAX / 2);
        assert_eq!(system_time_ms(&far), None);
        assert_eq!(
            system_time_ms(&(UNIX_EPOCH - Duration::from_millis(2500))),
            Some(-2500)
        );
    }

    #[test]
    fn range_steps_checks_the_extremes() {
        assert_eq!(range_steps(0, 60_000, 15_000), Ok(5));
        assert_eq!(range_steps(i64::MAX, i64::MAX, 1), Ok(1));
        assert_eq!(range_steps(i64::MIN, i64::MIN, i64::MAX), Ok(1));
        assert!(matches!(
            range_steps(i64::MIN, i64::MAX, 1),
            Err(Error::Parse(m)) if m.starts_with("exceeded maximum resolution")
        ));
        assert_eq!(range_steps(i64::MIN, i64::MAX, i64::MAX), Ok(3));
        assert!(range_steps(0, 1, 0).is_err());
        assert!(range_steps(0, 1, i64::MIN).is_err());
        assert!(range_steps(1, 0, 1).is_err());
    }
}
