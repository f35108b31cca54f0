//! Comparing a query result with an `eval`'s expectations, as upstream's
//! `evalCmd.compareResult` does.

use std::collections::HashMap;

use outpost_tsdb::{Labels, is_stale_nan};

use super::parse::{EvalCmd, SeqValue};
use crate::value::{Sample, Series, Value};

/// Relative error allowed for sample values (upstream's `defaultEpsilon`).
pub(crate) const EPSILON: f64 = 0.000001;

/// Upstream's `almost.Equal`: the staleness marker equals only itself, any
/// two other NaNs are equal, else the relative difference is below
/// `epsilon` (an absolute one near zero).
pub(crate) fn almost_equal(a: f64, b: f64, epsilon: f64) -> bool {
    if is_stale_nan(a) || is_stale_nan(b) {
        return is_stale_nan(a) && is_stale_nan(b);
    }
    if a.is_nan() && b.is_nan() {
        return true;
    }
    if a == b {
        return true;
    }
    let min_normal = f64::MIN_POSITIVE;
    let abs_sum = a.abs() + b.abs();
    let diff = (a - b).abs();
    if a == 0.0 || b == 0.0 || abs_sum < min_normal {
        return diff < epsilon * min_normal;
    }
    diff / abs_sum.min(f64::MAX) < epsilon
}

/// Formats a value as Go's `%v` roughly does.
pub(crate) fn fmt_f(v: f64) -> String {
    if is_stale_nan(v) {
        "stale".into()
    } else {
        outpost_exposition::go_float(v)
    }
}

fn fmt_seq(values: &[SeqValue]) -> String {
    let parts: Vec<String> = values
        .iter()
        .map(|v| match v {
            SeqValue::Omitted => "_".to_string(),
            SeqValue::Value(f) => fmt_f(*f),
        })
        .collect();
    format!("[{}]", parts.join(" "))
}

fn fmt_points(points: &[(i64, f64)]) -> String {
    let parts: Vec<String> = points
        .iter()
        .map(|(t, v)| format!("{} @[{t}]", fmt_f(*v)))
        .collect();
    let plural = if points.len() == 1 { "" } else { "s" };
    format!("{} point{plural} [{}]", points.len(), parts.join(" "))
}

/// Checks that a matrix is sorted by labels (as upstream's `assertMatrixSorted`).
pub(crate) fn assert_matrix_sorted(m: &[Series]) -> Result<(), String> {
    for (i, w) in m.windows(2).enumerate() {
        if w[0].labels > w[1].labels {
            return Err(format!(
                "matrix results should always be sorted by labels, but matrix is not sorted: \
                 series at index {} with labels {} sorts before series at index {i} with labels {}",
                i + 1,
                w[1].labels,
                w[0].labels
            ));
        }
    }
    Ok(())
}

/// Index of the expected series by labels.
fn index(ev: &EvalCmd) -> HashMap<&Labels, usize> {
    ev.expected
        .iter()
        .enumerate()
        .map(|(i, e)| (&e.labels, i))
        .collect()
}

/// Compares `result` with the expectations of `ev`.
pub(crate) fn compare_result(ev: &EvalCmd, result: &Value) -> Result<(), String> {
    match result {
        Value::Matrix(m) => compare_matrix(ev, m),
        Value::Vector(v) => compare_vector(ev, v),
        Value::Scalar { v, .. } => {
            let Some(exp) = ev.expected_scalar else {
                return Err(format!(
                    "expected vector or matrix result, but got scalar {}",
                    fmt_f(*v)
                ));
            };
            if !almost_equal(exp, *v, EPSILON) {
                return Err(format!(
                    "expected scalar {} but got {}",
                    fmt_f(exp),
                    fmt_f(*v)
                ));
            }
            Ok(())
        }
        Value::String { v, .. } => {
            if &ev.expected_string != v {
                return Err(format!(
                    "expected string {:?} but got {v:?}",
                    ev.expected_string
                ));
            }
            Ok(())
        }
    }
}

fn compare_matrix(ev: &EvalCmd, m: &[Series]) -> Result<(), String> {
    if ev.is_ordered() {
        return Err("expected ordered result, but query returned a matrix".into());
    }
    if ev.expected_scalar.is_some() {
        return Err("expected scalar result, but got matrix".into());
    }
    assert_matrix_sorted(m)?;
    let by_labels = index(ev);
    let mut seen = vec![false; ev.expected.len()];
    for s in m {
        let Some(&idx) = by_labels.get(&s.labels) else {
            return Err(format!(
                "unexpected metric {} in result, has {}",
                s.labels,
                fmt_points(&s.points)
            ));
        };
        seen[idx] = true;
        let exp = &ev.expected[idx];
        let mut expected_points = Vec::new();
        for (i, v) in exp.values.iter().enumerate() {
            let t = ev.start.saturating_add((i as i64).saturating_mul(ev.step));
            if t > ev.end {
                return Err(format!(
                    "expected {} points for {}, but query time range cannot return this many points",
                    exp.values.len(),
                    exp.labels
                ));
            }
            if let SeqValue::Value(f) = v {
                expected_points.push((t, *f));
            }
        }
        if expected_points.len() != s.points.len() {
            return Err(format!(
                "expected {} float points for {}, but got {}",
                expected_points.len(),
                exp.labels,
                fmt_points(&s.points)
            ));
        }
        for (i, (e, a)) in expected_points.iter().zip(&s.points).enumerate() {
            if e.0 != a.0 {
                return Err(format!(
                    "expected float value at index {i} for {} to have timestamp {}, but it had \
                     timestamp {} (result has {})",
                    exp.labels,
                    e.0,
                    a.0,
                    fmt_points(&s.points)
                ));
            }
            if !almost_equal(a.1, e.1, EPSILON) {
                return Err(format!(
                    "expected float value at index {i} (t={}) for {} to be {}, but got {} \
                     (result has {})",
                    a.0,
                    exp.labels,
                    fmt_f(e.1),
                    fmt_f(a.1),
                    fmt_points(&s.points)
                ));
            }
        }
    }
    if let Some(i) = seen.iter().position(|s| !s) {
        return Err(format!(
            "expected metric {} not found",
            ev.expected[i].labels
        ));
    }
    Ok(())
}

fn compare_vector(ev: &EvalCmd, v: &[Sample]) -> Result<(), String> {
    if ev.expected_scalar.is_some() {
        let parts: Vec<String> = v
            .iter()
            .map(|s| format!("{} => {}", s.labels, fmt_f(s.v)))
            .collect();
        return Err(format!(
            "expected scalar result, but got vector [{}]",
            parts.join(", ")
        ));
    }
    let by_labels = index(ev);
    let mut seen = vec![false; ev.expected.len()];
    for (pos, s) in v.iter().enumerate() {
        let Some(&idx) = by_labels.get(&s.labels) else {
            return Err(format!(
                "unexpected metric {} in result, has value {}",
                s.labels,
                fmt_f(s.v)
            ));
        };
        let exp = &ev.expected[idx];
        if ev.is_ordered() && exp.pos != pos + 1 {
            return Err(format!(
                "expected metric {} with {} at position {} but was at {}",
                s.labels,
                fmt_seq(&exp.values),
                exp.pos,
                pos + 1
            ));
        }
        // A gap compares as 0, as upstream's zero-valued omitted entry does.
        let exp0 = match exp.values.first() {
            Some(SeqValue::Value(f)) => *f,
            _ => 0.0,
        };
        if !almost_equal(exp0, s.v, EPSILON) {
            return Err(format!(
                "expected {} for {} but got {}",
                fmt_f(exp0),
                s.labels,
                fmt_f(s.v)
            ));
        }
        seen[idx] = true;
    }
    if let Some(i) = seen.iter().position(|s| !s) {
        let e = &ev.expected[i];
        return Err(format!(
            "expected metric {} with {} not found",
            e.labels,
            fmt_seq(&e.values)
        ));
    }
    Ok(())
}
