//! PromQL functions over scalars, instant vectors and range vectors.

use outpost_tsdb::Labels;
use promql_parser::label::MatchOp;
use promql_parser::parser::{Call, Expr};
use regex::Regex;

use crate::aggregate::{KahanSum, quantile};
use crate::engine::{Ctx, Elem, RSeries, Val};
use crate::error::{Error, Result};
use crate::ops::{drop_name, is_metadata_label, with_label};
use crate::time::duration_ms;

fn arg(c: &Call, i: usize) -> Result<&Expr> {
    c.args
        .args
        .get(i)
        .map(|b| &**b)
        .ok_or_else(|| Error::Parse(format!("missing argument {i} of {}()", c.func.name)))
}

fn scalar(ctx: &mut Ctx<'_>, e: &Expr, t: i64) -> Result<f64> {
    match ctx.eval(e, t)? {
        Val::Scalar(v) => Ok(v),
        other => Err(Error::Execution(format!(
            "expected scalar, got {}",
            other.kind()
        ))),
    }
}

fn string(ctx: &mut Ctx<'_>, e: &Expr, t: i64) -> Result<String> {
    match ctx.eval(e, t)? {
        Val::Str(s) => Ok(s),
        other => Err(Error::Execution(format!(
            "expected string, got {}",
            other.kind()
        ))),
    }
}

fn vector(ctx: &mut Ctx<'_>, e: &Expr, t: i64) -> Result<Vec<Elem>> {
    match ctx.eval(e, t)? {
        Val::Vector(v) => Ok(v),
        other => Err(Error::Execution(format!(
            "expected instant vector, got {}",
            other.kind()
        ))),
    }
}

fn unparen(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => unparen(&p.expr),
        e => e,
    }
}

/// A range-vector argument with the bounds of its window: `(series, start, end)`.
fn range_arg(ctx: &mut Ctx<'_>, e: &Expr, t: i64) -> Result<(Vec<RSeries>, i64, i64)> {
    let (range, end) = match unparen(e) {
        Expr::MatrixSelector(ms) => (
            duration_ms(ms.range),
            ctx.base_time(&ms.vs.at, &ms.vs.offset, t),
        ),
        Expr::Subquery(sq) => (duration_ms(sq.range), ctx.base_time(&sq.at, &sq.offset, t)),
        _ => (0, t),
    };
    match ctx.eval(e, t)? {
        // Saturates at i64::MIN, before every sample.
        Val::Matrix(m) => Ok((m, end.saturating_sub(range), end)),
        other => Err(Error::Execution(format!(
            "expected range vector, got {}",
            other.kind()
        ))),
    }
}

/// Applies `f` to every sample's value, dropping the metric name.
fn map(ctx: &Ctx<'_>, v: Vec<Elem>, f: impl Fn(f64) -> f64) -> Val {
    Val::Vector(
        v.into_iter()
            .map(|mut s| {
                s.v = f(s.v);
                ctx.drop_name(&mut s);
                s
            })
            .collect(),
    )
}

/// The output element of a function over a range vector: the name dropped
/// (now, or at the end under delayed name removal).
fn dropped(ctx: &Ctx<'_>, labels: &Labels, t: i64, v: f64) -> Elem {
    let mut e = Elem::new(labels.clone(), t, v);
    ctx.drop_name(&mut e);
    e
}

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

pub(crate) fn over_time(name: &str, pts: &[(i64, f64)], param: f64) -> Option<f64> {
    let vals = || pts.iter().map(|p| p.1);
    Some(match name {
        "avg_over_time" => {
            let mut k = KahanSum::default();
            vals().for_each(|v| k.add(v));
            let s = k.value();
            if !s.is_finite() && vals().all(f64::is_finite) {
                // Overflowed: a running mean that scales before adding stays finite.
                let mut mean = 0.0;
                for (i, v) in vals().enumerate() {
                    let n = i as f64 + 1.0;
                    mean = mean * ((n - 1.0) / n) + v / n;
                }
                mean
            } else {
                s / pts.len() as f64
            }
        }
        "sum_over_time" => {
            let mut k = KahanSum::default();
            vals().for_each(|v| k.add(v));
            k.value()
        }
        "count_over_time" => pts.len() as f64,
        "last_over_time" => pts.last()?.1,
        "first_over_time" => pts.first()?.1,
        "present_over_time" => 1.0,
        "min_over_time" | "max_over_time" => {
            let mut acc = f64::NAN;
            for v in vals() {
                let better = if name == "min_over_time" {
                    v < acc
                } else {
                    v > acc
                };
                if acc.is_nan() || better {
                    acc = v;
                }
            }
            acc
        }
        "stddev_over_time" | "stdvar_over_time" => {
            let (mut mean, mut m2) = (0.0f64, 0.0f64);
            for (i, v) in vals().enumerate() {
                let d = v - mean;
                mean += d / (i as f64 + 1.0);
                m2 += d * (v - mean);
            }
            let var = m2 / pts.len() as f64;
            if name == "stddev_over_time" {
                var.sqrt()
            } else {
                var
            }
        }
        "quantile_over_time" => {
            let mut v: Vec<f64> = vals().collect();
            quantile(param, &mut v)
        }
        "ts_of_first_over_time" => pts.first()?.0 as f64 / 1000.0,
        "ts_of_last_over_time" => pts.last()?.0 as f64 / 1000.0,
        "ts_of_min_over_time" | "ts_of_max_over_time" => {
            // The latest sample holding the extreme value; NaN only when all are.
            let (mut acc, mut ts) = (f64::NAN, pts.first()?.0);
            for &(t, v) in pts {
                let better = if name == "ts_of_min_over_time" {
                    v <= acc
                } else {
                    v >= acc
                };
                if acc.is_nan() || better {
                    acc = v;
                    ts = t;
                }
            }
            ts as f64 / 1000.0
        }
        "mad_over_time" if vals().any(f64::is_nan) => f64::NAN,
        "mad_over_time" => {
            let mut v: Vec<f64> = vals().collect();
            let med = quantile(0.5, &mut v);
            let mut d: Vec<f64> = v.iter().map(|x| (x - med).abs()).collect();
            quantile(0.5, &mut d)
        }
        "resets" => pts.windows(2).filter(|w| w[1].1 < w[0].1).count() as f64,
        "changes" => pts
            .windows(2)
            .filter(|w| !(w[1].1 == w[0].1 || (w[1].1.is_nan() && w[0].1.is_nan())))
            .count() as f64,
        _ => return None,
    })
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn date_part(name: &str, secs: f64) -> f64 {
    if !secs.is_finite() {
        return f64::NAN;
    }
    let s = secs.floor() as i64;
    let days = s.div_euclid(86_400);
    let sod = s.rem_euclid(86_400);
    let (y, m, d) = civil(days);
    let month_days = [
        31,
        if is_leap(y) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    match name {
        "minute" => ((sod / 60) % 60) as f64,
        "hour" => (sod / 3600) as f64,
        "day_of_month" => d as f64,
        "day_of_week" => ((days + 4).rem_euclid(7)) as f64,
        "day_of_year" => (month_days[..(m as usize - 1)].iter().sum::<i64>() + d as i64) as f64,
        "days_in_month" => month_days[m as usize - 1] as f64,
        "month" => m as f64,
        "year" => y as f64,
        _ => f64::NAN,
    }
}

pub(crate) fn bucket_quantile(
    q: f64,
    buckets: &mut [(f64, f64)],
    ctx: &mut Ctx<'_>,
    metric: &str,
) -> f64 {
    if q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    buckets.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
    if buckets.last().is_none_or(|b| b.0 != f64::INFINITY) {
        return f64::NAN;
    }
    // Merge buckets with the same bound.
    let mut merged: Vec<(f64, f64)> = Vec::with_capacity(buckets.len());
    for &(le, c) in buckets.iter() {
        match merged.last_mut() {
            Some(last) if last.0 == le => last.1 += c,
            _ => merged.push((le, c)),
        }
    }
    let mut max = f64::NEG_INFINITY;
    let mut fixed = false;
    for b in merged.iter_mut() {
        if b.1 < max {
            b.1 = max;
            fixed = true;
        } else {
            max = b.1;
        }
    }
    if fixed {
        ctx.info(format!("PromQL info: input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name {metric:?}"));
    }
    if merged.len() < 2 {
        return f64::NAN;
    }
    let total = merged[merged.len() - 1].1;
    if total == 0.0 || total.is_nan() {
        return f64::NAN;
    }
    let mut rank = q * total;
    let b = merged
        .iter()
        .position(|x| x.1 >= rank)
        .unwrap_or(merged.len() - 1);
    if b == merged.len() - 1 {
        return merged[merged.len() - 2].0;
    }
    if b == 0 && merged[0].0 <= 0.0 {
        return merged[0].0;
    }
    let (mut start, end, mut count) = (0.0, merged[b].0, merged[b].1);
    if b > 0 {
        start = merged[b - 1].0;
        count -= merged[b - 1].1;
        rank -= merged[b - 1].1;
    }
    start + (end - start) * (rank / count)
}

fn sort_values(v: &mut [Elem], desc: bool) {
    v.sort_by(|a, b| match (a.v.is_nan(), b.v.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Greater,
        (false, true) => std::cmp::Ordering::Less,
        _ => {
            let o = a.v.partial_cmp(&b.v).unwrap_or(std::cmp::Ordering::Equal);
            if desc { o.reverse() } else { o }
        }
    });
}

fn absent_labels(e: &Expr) -> Labels {
    let vs = match unparen(e) {
        Expr::VectorSelector(vs) => vs,
        Expr::MatrixSelector(ms) => &ms.vs,
        _ => return Labels::default(),
    };
    let uses = |name: &str| {
        vs.matchers
            .matchers
            .iter()
            .filter(|m| m.name == name)
            .count()
    };
    let pairs: Vec<(String, String)> = vs
        .matchers
        .matchers
        .iter()
        .filter(|m| matches!(m.op, MatchOp::Equal) && m.name != "__name__" && uses(&m.name) == 1)
        .map(|m| (m.name.clone(), m.value.clone()))
        .collect();
    Labels::from_pairs(pairs).unwrap_or_default()
}

/// `absent()`'s answer: nothing when the input had samples, else 1 with the
/// labels of the selector's equality matchers.
fn absent(present: bool, e: &Expr, t: i64) -> Val {
    if present {
        return Val::Vector(Vec::new());
    }
    Val::Vector(vec![Elem::new(absent_labels(e), t, 1.0)])
}

fn check_unique(v: &[Elem]) -> Result<()> {
    if v.len() < 2 {
        return Ok(());
    }
    let mut seen = std::collections::HashSet::with_capacity(v.len());
    for s in v {
        if !seen.insert(&s.labels) {
            return Err(crate::engine::duplicate_labelset());
        }
    }
    Ok(())
}

pub(crate) fn call(ctx: &mut Ctx<'_>, c: &Call, t: i64) -> Result<Val> {
    let v = call_inner(ctx, c, t)?;
    if let Val::Vector(samples) = &v {
        check_unique(samples)?;
    }
    if ctx.range_query && c.func.name.starts_with("sort") {
        ctx.warn("PromQL warning: sort is ineffective for range queries since results are always ordered by labels".into());
    }
    Ok(v)
}

fn call_inner(ctx: &mut Ctx<'_>, c: &Call, t: i64) -> Result<Val> {
    let name = c.func.name;
    match name {
        "time" => return Ok(Val::Scalar(t as f64 / 1000.0)),
        "pi" => return Ok(Val::Scalar(std::f64::consts::PI)),
        "vector" => {
            let v = scalar(ctx, arg(c, 0)?, t)?;
            return Ok(Val::Vector(vec![Elem::new(Labels::default(), t, v)]));
        }
        "scalar" => {
            let v = vector(ctx, arg(c, 0)?, t)?;
            return Ok(Val::Scalar(if v.len() == 1 { v[0].v } else { f64::NAN }));
        }
        "timestamp" => {
            // The timestamp of each sample itself for a plain selector: the
            // latest sample in the lookback window, as the selector picks it.
            if let Expr::VectorSelector(vs) = unparen(arg(c, 0)?) {
                let data = ctx.fetch(vs, 0)?;
                let base = ctx.base_time(&vs.at, &vs.offset, t);
                let lb = ctx.engine.options().lookback_ms + ctx.engine.left_adj();
                // Saturates at i64::MIN, before every sample.
                let oldest = base.saturating_sub(lb);
                let mut out = Vec::new();
                for (labels, pts) in data.iter() {
                    ctx.tick()?;
                    let idx = pts.partition_point(|(ts, _)| *ts <= base);
                    let Some(&(ts, v)) = idx.checked_sub(1).and_then(|i| pts.get(i)) else {
                        continue;
                    };
                    if ts <= oldest || outpost_tsdb::is_stale_nan(v) {
                        continue;
                    }
                    out.push(dropped(ctx, labels, t, ts as f64 / 1000.0));
                }
                return Ok(Val::Vector(out));
            }
            let v = vector(ctx, arg(c, 0)?, t)?;
            return Ok(map(ctx, v, |_| t as f64 / 1000.0));
        }
        _ => {}
    }
    match name {
        "abs" | "ceil" | "floor" | "exp" | "ln" | "log2" | "log10" | "sqrt" | "sgn" | "acos"
        | "acosh" | "asin" | "asinh" | "atan" | "atanh" | "cos" | "cosh" | "sin" | "sinh"
        | "tan" | "tanh" | "deg" | "rad" => {
            let v = vector(ctx, arg(c, 0)?, t)?;
            let f: fn(f64) -> f64 = match name {
                "abs" => f64::abs,
                "ceil" => f64::ceil,
                "floor" => f64::floor,
                "exp" => f64::exp,
                "ln" => f64::ln,
                "log2" => f64::log2,
                "log10" => f64::log10,
                "sqrt" => f64::sqrt,
                "sgn" => |x: f64| {
                    if x > 0.0 {
                        1.0
                    } else if x < 0.0 {
                        -1.0
                    } else {
                        x
                    }
                },
                "acos" => f64::acos,
                "acosh" => f64::acosh,
                "asin" => f64::asin,
                "asinh" => f64::asinh,
                "atan" => f64::atan,
                "atanh" => f64::atanh,
                "cos" => f64::cos,
                "cosh" => f64::cosh,
                "sin" => f64::sin,
                "sinh" => f64::sinh,
                "tan" => f64::tan,
                "tanh" => f64::tanh,
                "deg" => f64::to_degrees,
                _ => f64::to_radians,
            };
            Ok(map(ctx, v, f))
        }
        "round" => {
            let v = vector(ctx, arg(c, 0)?, t)?;
            let to = match c.args.args.get(1) {
                Some(e) => scalar(ctx, e, t)?,
                None => 1.0,
            };
            let inv = 1.0 / to;
            Ok(map(ctx, v, |x| (x * inv + 0.5).floor() / inv))
        }
        "clamp" => {
            let v = vector(ctx, arg(c, 0)?, t)?;
            let (lo, hi) = (scalar(ctx, arg(c, 1)?, t)?, scalar(ctx, arg(c, 2)?, t)?);
            if hi < lo {
                return Ok(Val::Vector(Vec::new()));
            }
            Ok(map(ctx, v, |x| x.max(lo).min(hi)))
        }
        "clamp_min" => {
            let v = vector(ctx, arg(c, 0)?, t)?;
            let lo = scalar(ctx, arg(c, 1)?, t)?;
            Ok(map(ctx, v, |x| {
                if x.is_nan() || lo.is_nan() {
                    f64::NAN
                } else {
                    x.max(lo)
                }
            }))
        }
        "clamp_max" => {
            let v = vector(ctx, arg(c, 0)?, t)?;
            let hi = scalar(ctx, arg(c, 1)?, t)?;
            Ok(map(ctx, v, |x| {
                if x.is_nan() || hi.is_nan() {
                    f64::NAN
                } else {
                    x.min(hi)
                }
            }))
        }
        "minute" | "hour" | "day_of_month" | "day_of_week" | "day_of_year" | "days_in_month"
        | "month" | "year" => {
            let v = match c.args.args.first() {
                Some(e) => vector(ctx, e, t)?,
                None => vec![Elem::new(Labels::default(), t, t as f64 / 1000.0)],
            };
            Ok(map(ctx, v, |x| date_part(name, x)))
        }
        "rate" | "increase" | "delta" | "irate" | "idelta" | "resets" | "changes"
        | "avg_over_time" | "sum_over_time" | "count_over_time" | "min_over_time"
        | "max_over_time" | "stddev_over_time" | "stdvar_over_time" | "present_over_time"
            if c.args.args.len() == 1 && matches!(unparen(arg(c, 0)?), Expr::MatrixSelector(_)) =>
        {
            // Fast path: windows are slices of the per-query selector cache; no
            // copy of points and one name-dropped label set per series per query.
            let Expr::MatrixSelector(ms) = unparen(arg(c, 0)?) else {
                unreachable!("checked by the guard")
            };
            let range = duration_ms(ms.range);
            let data = ctx.fetch(&ms.vs, range)?;
            let id = ctx.selector_id(&ms.vs);
            let end = ctx.base_time(&ms.vs.at, &ms.vs.offset, t);
            // Saturates at i64::MIN, before every sample.
            let start = end.saturating_sub(range);
            let first = start.saturating_sub(ctx.engine.left_adj());
            let mut out = Vec::new();
            let delayed = ctx.delayed();
            let mut buf: Vec<(i64, f64)> = Vec::new();
            for (i, (labels, pts)) in data.iter().enumerate() {
                ctx.tick()?;
                let lo = pts.partition_point(|(ts, _)| *ts <= first);
                let hi = pts.partition_point(|(ts, _)| *ts <= end);
                let mut window = &pts[lo..hi];
                if window.iter().any(|(_, v)| outpost_tsdb::is_stale_nan(*v)) {
                    buf.clear();
                    buf.extend(
                        window
                            .iter()
                            .copied()
                            .filter(|(_, v)| !outpost_tsdb::is_stale_nan(*v)),
                    );
                    window = &buf;
                }
                if window.is_empty() {
                    continue;
                }
                let v = match name {
                    "rate" => extrapolated(window, start, end, true, true),
                    "increase" => extrapolated(window, start, end, true, false),
                    "delta" => extrapolated(window, start, end, false, false),
                    "irate" => instant_delta(window, true),
                    "idelta" => instant_delta(window, false),
                    other => over_time(other, window, f64::NAN),
                };
                let Some(v) = v else { continue };
                if delayed {
                    out.push(Elem {
                        labels: labels.clone(),
                        t,
                        v,
                        drop_name: true,
                    });
                    continue;
                }
                let labels = match id {
                    Some(id) => ctx
                        .unnamed
                        .entry((id, i))
                        .or_insert_with(|| drop_name(labels))
                        .clone(),
                    None => drop_name(labels),
                };
                out.push(Elem::new(labels, t, v));
            }
            Ok(Val::Vector(out))
        }
        "rate"
        | "increase"
        | "delta"
        | "irate"
        | "idelta"
        | "deriv"
        | "predict_linear"
        | "resets"
        | "changes"
        | "avg_over_time"
        | "sum_over_time"
        | "count_over_time"
        | "last_over_time"
        | "first_over_time"
        | "present_over_time"
        | "min_over_time"
        | "max_over_time"
        | "stddev_over_time"
        | "stdvar_over_time"
        | "mad_over_time"
        | "ts_of_first_over_time"
        | "ts_of_last_over_time"
        | "ts_of_min_over_time"
        | "ts_of_max_over_time"
        | "double_exponential_smoothing"
        | "holt_winters" => {
            let (series, start, end) = range_arg(ctx, arg(c, 0)?, t)?;
            let mut params = Vec::new();
            for e in c.args.args.iter().skip(1) {
                params.push(scalar(ctx, e, t)?);
            }
            if matches!(name, "double_exponential_smoothing" | "holt_winters") {
                let (sf, tf) = (params[0], params[1]);
                if !(sf > 0.0 && sf < 1.0) {
                    return Err(Error::Execution(format!(
                        "invalid smoothing factor. Expected: 0 < sf < 1, got: {sf}"
                    )));
                }
                if !(tf > 0.0 && tf < 1.0) {
                    return Err(Error::Execution(format!(
                        "invalid trend factor. Expected: 0 < tf < 1, got: {tf}"
                    )));
                }
            }
            let keep_name = matches!(name, "last_over_time" | "first_over_time");
            let mut out = Vec::new();
            for RSeries {
                series: s,
                drop_name: input_drop,
            } in series
            {
                let p = &s.points;
                let v = match name {
                    "rate" => extrapolated(p, start, end, true, true),
                    "increase" => extrapolated(p, start, end, true, false),
                    "delta" => extrapolated(p, start, end, false, false),
                    "irate" => instant_delta(p, true),
                    "idelta" => instant_delta(p, false),
                    "deriv" => (p.len() >= 2).then(|| linear_regression(p, p[0].0).0),
                    "predict_linear" => (p.len() >= 2).then(|| {
                        let (slope, intercept) = linear_regression(p, t);
                        intercept + slope * params[0]
                    }),
                    "double_exponential_smoothing" | "holt_winters" => (p.len() >= 2).then(|| {
                        let (sf, tf) = (params[0], params[1]);
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
                        s1
                    }),
                    other => over_time(other, p, params.first().copied().unwrap_or(f64::NAN)),
                };
                if let Some(v) = v {
                    if keep_name {
                        out.push(Elem {
                            labels: s.labels,
                            t,
                            v,
                            drop_name: input_drop,
                        });
                    } else {
                        out.push(dropped(ctx, &s.labels, t, v));
                    }
                }
            }
            Ok(Val::Vector(out))
        }
        "quantile_over_time" => {
            let q = scalar(ctx, arg(c, 0)?, t)?;
            let (series, _, _) = range_arg(ctx, arg(c, 1)?, t)?;
            if !(0.0..=1.0).contains(&q) {
                ctx.warn(format!(
                    "PromQL warning: quantile value should be between 0 and 1, got {q}"
                ));
            }
            Ok(Val::Vector(
                series
                    .into_iter()
                    .filter_map(|s| {
                        over_time("quantile_over_time", &s.series.points, q)
                            .map(|v| dropped(ctx, &s.series.labels, t, v))
                    })
                    .collect(),
            ))
        }
        "absent" => {
            let present = !vector(ctx, arg(c, 0)?, t)?.is_empty();
            Ok(absent(present, arg(c, 0)?, t))
        }
        "absent_over_time" => {
            let present = !range_arg(ctx, arg(c, 0)?, t)?.0.is_empty();
            Ok(absent(present, arg(c, 0)?, t))
        }
        "label_replace" => {
            let v = vector(ctx, arg(c, 0)?, t)?;
            let dst = string(ctx, arg(c, 1)?, t)?;
            let repl = string(ctx, arg(c, 2)?, t)?;
            let src = string(ctx, arg(c, 3)?, t)?;
            let re_src = string(ctx, arg(c, 4)?, t)?;
            let re = Regex::new(&format!("^(?s:{re_src})$")).map_err(|e| {
                // The regex crate's message spans lines; keep its last one.
                let text = e.to_string();
                let detail = text
                    .lines()
                    .rfind(|l| !l.trim().is_empty())
                    .unwrap_or("")
                    .trim();
                Error::Execution(format!(
                    "invalid regular expression in label_replace(): {re_src}: {detail}"
                ))
            })?;
            if !outpost_tsdb_valid_name(&dst) {
                return Err(Error::Execution(format!(
                    "invalid destination label name in label_replace(): {dst}"
                )));
            }
            let out: Vec<Elem> = v
                .into_iter()
                .map(|s| {
                    let val = s.labels.get(&src).unwrap_or("").to_string();
                    match re.captures(&val) {
                        Some(caps) => {
                            let mut res = String::new();
                            caps.expand(&repl, &mut res);
                            // Writing `__name__` keeps it.
                            let drop_name = s.drop_name && dst != "__name__";
                            Elem {
                                labels: with_label(&s.labels, &dst, &res),
                                drop_name,
                                ..s
                            }
                        }
                        None => s,
                    }
                })
                .collect();
            check_unique(&out)?;
            Ok(Val::Vector(out))
        }
        "label_join" => {
            let v = vector(ctx, arg(c, 0)?, t)?;
            let dst = string(ctx, arg(c, 1)?, t)?;
            let sep = string(ctx, arg(c, 2)?, t)?;
            let mut srcs = Vec::new();
            for e in c.args.args.iter().skip(3) {
                srcs.push(string(ctx, e, t)?);
            }
            if !outpost_tsdb_valid_name(&dst) {
                return Err(Error::Execution(format!(
                    "invalid destination label name in label_join(): {dst}"
                )));
            }
            let out: Vec<Elem> = v
                .into_iter()
                .map(|s| {
                    let joined: Vec<&str> =
                        srcs.iter().map(|n| s.labels.get(n).unwrap_or("")).collect();
                    let joined = joined.join(&sep);
                    let drop_name = s.drop_name && dst != "__name__";
                    Elem {
                        labels: with_label(&s.labels, &dst, &joined),
                        drop_name,
                        ..s
                    }
                })
                .collect();
            check_unique(&out)?;
            Ok(Val::Vector(out))
        }
        "sort" | "sort_desc" => {
            let mut v = vector(ctx, arg(c, 0)?, t)?;
            sort_values(&mut v, name == "sort_desc");
            Ok(Val::Vector(v))
        }
        "sort_by_label" | "sort_by_label_desc" => {
            let mut v = vector(ctx, arg(c, 0)?, t)?;
            let mut names = Vec::new();
            for e in c.args.args.iter().skip(1) {
                names.push(string(ctx, e, t)?);
            }
            v.sort_by(|a, b| {
                for n in &names {
                    let o =
                        natural_cmp(a.labels.get(n).unwrap_or(""), b.labels.get(n).unwrap_or(""));
                    if o != std::cmp::Ordering::Equal {
                        return if name == "sort_by_label_desc" {
                            o.reverse()
                        } else {
                            o
                        };
                    }
                }
                let o = a.labels.cmp(&b.labels);
                if name == "sort_by_label_desc" {
                    o.reverse()
                } else {
                    o
                }
            });
            Ok(Val::Vector(v))
        }
        "histogram_quantile" => {
            let q = scalar(ctx, arg(c, 0)?, t)?;
            let v = vector(ctx, arg(c, 1)?, t)?;
            if !(0.0..=1.0).contains(&q) {
                ctx.warn(format!(
                    "PromQL warning: quantile value should be between 0 and 1, got {q}"
                ));
            }
            let groups = bucket_groups(ctx, v);
            Ok(Val::Vector(
                groups
                    .into_iter()
                    .map(|(labels, mut buckets, metric)| {
                        Elem::new(labels, t, bucket_quantile(q, &mut buckets, ctx, &metric))
                    })
                    .collect(),
            ))
        }
        "histogram_quantiles" => {
            let v = vector(ctx, arg(c, 0)?, t)?;
            let label = string(ctx, arg(c, 1)?, t)?;
            let mut qs = Vec::new();
            for e in c.args.args.iter().skip(2) {
                let q = scalar(ctx, e, t)?;
                if !(0.0..=1.0).contains(&q) {
                    ctx.warn(format!(
                        "PromQL warning: quantile value should be between 0 and 1, got {}",
                        crate::aggregate::format_go_float(q)
                    ));
                }
                qs.push(q);
            }
            let groups = bucket_groups(ctx, v);
            let mut out = Vec::with_capacity(groups.len() * qs.len());
            for (labels, mut buckets, metric) in groups {
                for &q in &qs {
                    let v = bucket_quantile(q, &mut buckets, ctx, &metric);
                    out.push(Elem::new(
                        with_label(&labels, &label, &quantile_label(q)),
                        t,
                        v,
                    ));
                }
            }
            check_unique(&out)?;
            Ok(Val::Vector(out))
        }
        "histogram_fraction" => {
            let lower = scalar(ctx, arg(c, 0)?, t)?;
            let upper = scalar(ctx, arg(c, 1)?, t)?;
            let v = vector(ctx, arg(c, 2)?, t)?;
            let groups = bucket_groups(ctx, v);
            Ok(Val::Vector(
                groups
                    .into_iter()
                    .map(|(labels, mut buckets, _)| {
                        Elem::new(labels, t, bucket_fraction(lower, upper, &mut buckets))
                    })
                    .collect(),
            ))
        }
        other => Err(Error::Unsupported(format!("function {other}()"))),
    }
}

/// One classic histogram: its labels (without `le` and `__name__`), its
/// `(upper bound, count)` buckets, and its metric name.
type BucketGroup = (Labels, Vec<(f64, f64)>, String);

/// Classic histogram buckets grouped by their labels, in first-seen order.
fn bucket_groups(ctx: &mut Ctx<'_>, v: Vec<Elem>) -> Vec<BucketGroup> {
    let mut out: Vec<BucketGroup> = Vec::new();
    let mut index: std::collections::HashMap<Labels, usize> = Default::default();
    for s in v {
        let le = s.labels.get("le").unwrap_or("");
        let Ok(le) = parse_le(le) else {
            ctx.warn(format!(
                "PromQL warning: bucket label \"le\" is missing or has a malformed value of {le:?} for metric name {:?}",
                s.labels.metric_name().unwrap_or("")
            ));
            continue;
        };
        // Buckets group by every label but `le` (the name too, so two
        // histograms that differ only by name stay apart and then collide).
        let key =
            Labels::from_pairs(s.labels.iter().filter(|(n, _)| *n != "le")).unwrap_or_default();
        let i = *index.entry(key).or_insert_with(|| {
            let out_labels = Labels::from_pairs(
                s.labels
                    .iter()
                    .filter(|(n, _)| *n != "le" && !is_metadata_label(n)),
            )
            .unwrap_or_default();
            out.push((
                out_labels,
                Vec::new(),
                s.labels.metric_name().unwrap_or("").to_string(),
            ));
            out.len() - 1
        });
        out[i].1.push((le, s.v));
    }
    out
}

/// The fraction of observations between `lower` and `upper`, interpolating
/// linearly inside buckets (the first bucket starts at 0 when its bound is positive).
fn bucket_fraction(lower: f64, upper: f64, buckets: &mut [(f64, f64)]) -> f64 {
    buckets.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
    if buckets.last().is_none_or(|b| b.0 != f64::INFINITY) {
        return f64::NAN;
    }
    let mut merged: Vec<(f64, f64)> = Vec::with_capacity(buckets.len());
    for &(le, c) in buckets.iter() {
        match merged.last_mut() {
            Some(last) if last.0 == le => last.1 += c,
            _ => merged.push((le, c)),
        }
    }
    let count = merged[merged.len() - 1].1;
    if count == 0.0 || lower.is_nan() || upper.is_nan() {
        return f64::NAN;
    }
    if lower >= upper {
        return 0.0;
    }
    let (mut rank, mut lower_rank, mut upper_rank) = (0.0, 0.0, 0.0);
    let (mut lower_set, mut upper_set) = (false, false);
    for (i, &(upper_bound, bucket_count)) in merged.iter().enumerate() {
        let lower_bound = if i > 0 {
            merged[i - 1].0
        } else if upper_bound > 0.0 {
            0.0
        } else {
            f64::NEG_INFINITY
        };
        // Buckets of infinite width hold no interpolated observations: a value
        // inside one counts as sitting at its finite edge.
        let interpolate = |v: f64| {
            if lower_bound == f64::NEG_INFINITY {
                bucket_count
            } else if upper_bound == f64::INFINITY {
                rank
            } else {
                rank + (bucket_count - rank) * (v - lower_bound) / (upper_bound - lower_bound)
            }
        };
        if !lower_set && lower_bound >= lower {
            lower_rank = rank;
            lower_set = true;
        }
        if !upper_set && lower_bound >= upper {
            upper_rank = rank;
            upper_set = true;
        }
        if lower_set && upper_set {
            break;
        }
        if !lower_set && lower_bound < lower && upper_bound > lower {
            lower_rank = interpolate(lower);
            lower_set = true;
        }
        if !upper_set && lower_bound < upper && upper_bound > upper {
            upper_rank = interpolate(upper);
            upper_set = true;
        }
        if lower_set && upper_set {
            break;
        }
        rank = bucket_count;
    }
    if !lower_set || lower_rank > count {
        lower_rank = count;
    }
    if !upper_set || upper_rank > count {
        upper_rank = count;
    }
    (upper_rank - lower_rank) / count
}

/// Natural order: digit runs compare as numbers (`cpu="2"` before `cpu="10"`).
fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, _) => return std::cmp::Ordering::Less,
            (_, None) => return std::cmp::Ordering::Greater,
            (Some(p), Some(q)) if p.is_ascii_digit() && q.is_ascii_digit() => {
                let dx = x.iter().take_while(|c| c.is_ascii_digit()).count();
                let dy = y.iter().take_while(|c| c.is_ascii_digit()).count();
                let (nx, ny) = (&x[..dx], &y[..dy]);
                let tx = nx.iter().skip_while(|c| **c == b'0').count();
                let ty = ny.iter().skip_while(|c| **c == b'0').count();
                let o = tx.cmp(&ty).then_with(|| nx[dx - tx..].cmp(&ny[dy - ty..]));
                if o != std::cmp::Ordering::Equal {
                    return o;
                }
                x = &x[dx..];
                y = &y[dy..];
            }
            (Some(p), Some(q)) => {
                if p != q {
                    return p.cmp(q);
                }
                x = &x[1..];
                y = &y[1..];
            }
        }
    }
}

/// The label value `histogram_quantiles` gives a quantile: Go's shortest
/// form with at least one decimal (`0.0`, `0.25`, `1.0`, `NaN`).
fn quantile_label(q: f64) -> String {
    let s = crate::aggregate::format_go_float(q);
    if q.is_finite() && !s.contains(['.', 'e']) {
        format!("{s}.0")
    } else {
        s
    }
}

pub(crate) fn parse_le(s: &str) -> std::result::Result<f64, ()> {
    match s.trim() {
        "+Inf" | "Inf" | "+inf" | "inf" => Ok(f64::INFINITY),
        "-Inf" | "-inf" => Ok(f64::NEG_INFINITY),
        x => x.parse::<f64>().map_err(|_| ()),
    }
}

fn outpost_tsdb_valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
