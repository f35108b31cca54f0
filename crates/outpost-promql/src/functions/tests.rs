//! The function families' kernels on hand-computed cases.

use super::histogram::quantile_label;
use super::labels::natural_cmp;
use super::math::date_part;
use super::rate::double_exponential_smoothing;
use super::{extrapolated, instant_delta, parse_le};
use std::cmp::Ordering;

#[test]
fn extrapolation_stops_where_the_counter_would_be_zero() {
    // 10..40 at 15s..60s in the window (0, 60s]: 15s before the first
    // sample, where the counter would reach zero, so the increase is 40.
    let pts = [
        (15_000, 10.0),
        (30_000, 20.0),
        (45_000, 30.0),
        (60_000, 40.0),
    ];
    assert_eq!(extrapolated(&pts, 0, 60_000, true, false), Some(40.0));
    assert_eq!(extrapolated(&pts, 0, 60_000, true, true), Some(40.0 / 60.0));
    assert_eq!(extrapolated(&pts[..1], 0, 60_000, true, true), None);
    assert_eq!(instant_delta(&pts, false), Some(10.0));
    assert_eq!(instant_delta(&pts, true), Some(10.0 / 15.0));
    // A reset: irate takes the last value as the increase.
    assert_eq!(instant_delta(&[(0, 5.0), (10_000, 2.0)], true), Some(0.2));
}

#[test]
fn double_exponential_smoothing_follows_a_linear_trend() {
    let p = [(0, 1.0), (1_000, 2.0), (2_000, 3.0)];
    assert_eq!(double_exponential_smoothing(&p, 0.5, 0.5), Some(3.0));
    assert_eq!(double_exponential_smoothing(&p[..1], 0.5, 0.5), None);
}

#[test]
fn date_parts_in_utc() {
    assert_eq!(date_part("year", 0.0), 1970.0);
    assert_eq!(date_part("day_of_week", 0.0), 4.0, "a Thursday");
    // 2024-02-29T13:45:00Z.
    let t = 1_709_214_300.0;
    assert_eq!(date_part("day_of_month", t), 29.0);
    assert_eq!(date_part("days_in_month", t), 29.0);
    assert_eq!(date_part("day_of_year", t), 60.0);
    assert_eq!(date_part("hour", t), 13.0);
    assert_eq!(date_part("minute", t), 45.0);
    assert!(date_part("year", f64::NAN).is_nan());
}

#[test]
fn label_values_compare_naturally() {
    assert_eq!(natural_cmp("cpu2", "cpu10"), Ordering::Less);
    assert_eq!(natural_cmp("cpu10", "cpu9"), Ordering::Greater);
    assert_eq!(natural_cmp("b", "a10"), Ordering::Greater);
    assert_eq!(natural_cmp("x007", "x7"), Ordering::Equal);
}

#[test]
fn bucket_bounds_and_quantile_labels() {
    assert_eq!(parse_le("+Inf"), Ok(f64::INFINITY));
    assert_eq!(parse_le(" 0.5 "), Ok(0.5));
    assert_eq!(parse_le("x"), Err(()));
    assert_eq!(quantile_label(0.0), "0.0");
    assert_eq!(quantile_label(0.25), "0.25");
    assert_eq!(quantile_label(1.0), "1.0");
}
