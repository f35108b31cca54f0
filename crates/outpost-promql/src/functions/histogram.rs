//! Classic histogram functions: `histogram_quantile`,
//! `histogram_quantiles` and `histogram_fraction` over `le` buckets.

use outpost_tsdb::Labels;
use promql_parser::parser::Call;

use super::{arg, check_unique, scalar, string, vector};
use crate::engine::{Ctx, Elem, Val};
use crate::error::{Error, Result};
use crate::ops::{is_metadata_label, with_label};

/// Evaluates a classic histogram function.
pub(super) fn call(ctx: &mut Ctx<'_>, c: &Call, t: i64) -> Result<Val> {
    let name = c.func.name;
    match name {
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

/// The buckets sorted by bound with equal bounds merged, or `None` when the
/// highest bound is not `+Inf` (the histogram is invalid).
fn sorted_buckets(buckets: &mut [(f64, f64)]) -> Option<Vec<(f64, f64)>> {
    buckets.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
    if buckets.last().is_none_or(|b| b.0 != f64::INFINITY) {
        return None;
    }
    let mut merged: Vec<(f64, f64)> = Vec::with_capacity(buckets.len());
    for &(le, c) in buckets.iter() {
        match merged.last_mut() {
            Some(last) if last.0 == le => last.1 += c,
            _ => merged.push((le, c)),
        }
    }
    Some(merged)
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
    let Some(mut merged) = sorted_buckets(buckets) else {
        return f64::NAN;
    };
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
    let Some(merged) = sorted_buckets(buckets) else {
        return f64::NAN;
    };
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

/// The label value `histogram_quantiles` gives a quantile: Go's shortest
/// form with at least one decimal (`0.0`, `0.25`, `1.0`, `NaN`).
pub(super) fn quantile_label(q: f64) -> String {
    let s = crate::aggregate::format_go_float(q);
    if q.is_finite() && !s.contains(['.', 'e']) {
        format!("{s}.0")
    } else {
        s
    }
}

/// An `le` label value as a bucket bound (`+Inf` included).
pub(crate) fn parse_le(s: &str) -> std::result::Result<f64, ()> {
    match s.trim() {
        "+Inf" | "Inf" | "+inf" | "inf" => Ok(f64::INFINITY),
        "-Inf" | "-inf" => Ok(f64::NEG_INFINITY),
        x => x.parse::<f64>().map_err(|_| ()),
    }
}
