//! The rate family's kernels: Prometheus' extrapolation of `rate`,
//! `increase` and `delta`, the instant deltas of `irate`/`idelta`, the
//! least-squares regression of `deriv`/`predict_linear`, and double
//! exponential smoothing.

use crate::aggregate::KahanSum;

/// Prometheus' extrapolated rate/increase/delta.
pub(crate) fn extrapolated(
    points: &[(i64, f64)],
    start: i64,
    end: i64,
    counter: bool,
    rate: bool,
) -> Option<f64> {
    if points.len() < 2 {
        return None;
    }
    let (ft, fv) = points[0];
    let (lt, lv) = points[points.len() - 1];
    let mut result = lv - fv;
    if counter {
        for w in points.windows(2) {
            if w[1].1 < w[0].1 {
                result += w[0].1;
            }
        }
    }
    // Saturating: a window bound may sit at the end of the i64 range.
    let mut to_start = ft.saturating_sub(start) as f64 / 1000.0;
    let mut to_end = end.saturating_sub(lt) as f64 / 1000.0;
    let sampled = lt.saturating_sub(ft) as f64 / 1000.0;
    let avg = sampled / (points.len() - 1) as f64;
    // Extrapolate by at most half a sample interval beyond the samples...
    let threshold = avg * 1.1;
    if to_start >= threshold {
        to_start = avg / 2.0;
    }
    if to_end >= threshold {
        to_end = avg / 2.0;
    }
    // ...and never to before a counter would have been zero.
    if counter && result > 0.0 && fv >= 0.0 {
        let to_zero = sampled * (fv / result);
        if to_zero < to_start {
            to_start = to_zero;
        }
    }
    let interval = sampled + to_start + to_end;
    let mut factor = interval / sampled;
    if rate {
        factor /= end.saturating_sub(start) as f64 / 1000.0;
    }
    Some(result * factor)
}

/// `irate` (`rate`) or `idelta` from the last two points; `None` under two
/// points or when they share a timestamp.
pub(crate) fn instant_delta(points: &[(i64, f64)], rate: bool) -> Option<f64> {
    if points.len() < 2 {
        return None;
    }
    let (pt, pv) = points[points.len() - 2];
    let (lt, lv) = points[points.len() - 1];
    let mut d = lv - pv;
    if rate && lv < pv {
        d = lv;
    }
    if !rate {
        return Some(d);
    }
    // Saturating: samples may sit anywhere in the i64 range.
    let dt = lt.saturating_sub(pt) as f64 / 1000.0;
    if dt == 0.0 {
        return None;
    }
    Some(d / dt)
}

/// Least-squares slope and intercept with x relative to `at` (seconds).
pub(crate) fn linear_regression(points: &[(i64, f64)], at: i64) -> (f64, f64) {
    let (mut n, mut sx, mut sy, mut sxy, mut sx2) = (
        0.0,
        KahanSum::default(),
        KahanSum::default(),
        KahanSum::default(),
        KahanSum::default(),
    );
    let const_y = points.iter().all(|p| p.1 == points[0].1);
    for &(t, v) in points {
        // Saturating: `at` (predict_linear's evaluation time) may be extreme.
        let x = t.saturating_sub(at) as f64 / 1000.0;
        n += 1.0;
        sx.add(x);
        sy.add(v);
        sxy.add(x * v);
        sx2.add(x * x);
    }
    if const_y {
        return (0.0, points[0].1);
    }
    let (sx, sy, sxy, sx2) = (sx.value(), sy.value(), sxy.value(), sx2.value());
    let cov = sxy - sx * sy / n;
    let var = sx2 - sx * sx / n;
    let slope = cov / var;
    (slope, sy / n - slope * sx / n)
}

/// The last smoothed value of double exponential smoothing with smoothing
/// factor `sf` and trend factor `tf`; `None` under two points.
pub(crate) fn double_exponential_smoothing(p: &[(i64, f64)], sf: f64, tf: f64) -> Option<f64> {
    if p.len() < 2 {
        return None;
    }
    let mut s0 = p[0].1;
    let mut b = p[1].1 - p[0].1;
    let mut s1 = s0;
    for (i, &(_, x)) in p.iter().enumerate().skip(1) {
        if i > 1 {
            b = tf * (s1 - s0) + (1.0 - tf) * b;
        }
        s0 = s1;
        s1 = sf * x + (1.0 - sf) * (s0 + b);
    }
    Some(s1)
}
