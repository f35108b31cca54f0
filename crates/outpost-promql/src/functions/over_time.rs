//! Functions over a range vector: the rate family and the `*_over_time`
//! aggregations, `deriv`, `predict_linear` and the smoothing functions, with
//! a fast path over a plain range selector.

use promql_parser::parser::{Call, Expr};

use super::rate::{double_exponential_smoothing, extrapolated, instant_delta, linear_regression};
use super::{arg, dropped, range_arg, scalar, unparen};
use crate::aggregate::{KahanSum, quantile};
use crate::engine::{Ctx, Elem, RSeries, Val};
use crate::error::{Error, Result};
use crate::ops::drop_name;
use crate::time::duration_ms;

/// Evaluates a function over a range vector.
/// The functions over a range vector, besides `quantile_over_time` (whose
/// range is its second argument): every one of them is dispatched here.
pub(super) const RANGE_FUNCTIONS: &[&str] = &[
    "rate",
    "increase",
    "delta",
    "irate",
    "idelta",
    "deriv",
    "predict_linear",
    "resets",
    "changes",
    "avg_over_time",
    "sum_over_time",
    "count_over_time",
    "last_over_time",
    "first_over_time",
    "present_over_time",
    "min_over_time",
    "max_over_time",
    "stddev_over_time",
    "stdvar_over_time",
    "mad_over_time",
    "ts_of_first_over_time",
    "ts_of_last_over_time",
    "ts_of_min_over_time",
    "ts_of_max_over_time",
    "double_exponential_smoothing",
    "holt_winters",
];

pub(super) fn call(ctx: &mut Ctx<'_>, c: &Call, t: i64) -> Result<Val> {
    let name = c.func.name;
    match name {
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
            // One allocation per step: most series have a window.
            let mut out = Vec::with_capacity(data.len());
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
        _ if RANGE_FUNCTIONS.contains(&name) => {
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
                    "double_exponential_smoothing" | "holt_winters" => {
                        double_exponential_smoothing(p, params[0], params[1])
                    }
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
        other => Err(Error::Unsupported(format!("function {other}()"))),
    }
}

/// The mean of the values `vals` yields (called again when needed): Kahan
/// summation divided by the count, or, when the sum overflows while every
/// value is finite, a running mean that scales before adding and stays finite.
pub(crate) fn mean<I: Iterator<Item = f64>>(vals: impl Fn() -> I) -> f64 {
    let mut k = KahanSum::default();
    let mut n = 0usize;
    vals().for_each(|v| {
        k.add(v);
        n += 1;
    });
    let sum = k.value();
    if !sum.is_finite() && vals().all(f64::is_finite) {
        let mut mean = 0.0;
        for (i, v) in vals().enumerate() {
            let n = i as f64 + 1.0;
            mean = mean * ((n - 1.0) / n) + v / n;
        }
        mean
    } else {
        sum / n as f64
    }
}

pub(crate) fn over_time(name: &str, pts: &[(i64, f64)], param: f64) -> Option<f64> {
    let vals = || pts.iter().map(|p| p.1);
    Some(match name {
        "avg_over_time" => mean(vals),
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
