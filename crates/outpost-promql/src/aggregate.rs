//! Aggregation operators with `by`/`without` grouping.

use std::collections::HashMap;

use outpost_tsdb::Labels;
use promql_parser::parser::{AggregateExpr, LabelModifier};

use crate::engine::{Ctx, Elem, Val};
use crate::error::{Error, Result};
use crate::ops::with_label;
use crate::xxhash::labels_hash;

/// Kahan–Neumaier compensated sum, as Prometheus sums.
#[derive(Default, Clone, Copy)]
pub(crate) struct KahanSum {
    sum: f64,
    c: f64,
}

impl KahanSum {
    pub(crate) fn add(&mut self, v: f64) {
        let t = self.sum + v;
        if t.is_infinite() {
            self.c = 0.0;
        } else if self.sum.abs() >= v.abs() {
            self.c += (self.sum - t) + v;
        } else {
            self.c += (v - t) + self.sum;
        }
        self.sum = t;
    }

    pub(crate) fn value(&self) -> f64 {
        if self.sum.is_infinite() {
            self.sum
        } else {
            self.sum + self.c
        }
    }
}

/// Prometheus' `quantile` over values (sorted in place): linear interpolation.
pub(crate) fn quantile(q: f64, values: &mut [f64]) -> f64 {
    if values.is_empty() || q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    // NaN sorts below every number, as Prometheus sorts quantile inputs.
    values.sort_by(|a, b| match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
        _ => a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal),
    });
    let n = values.len() as f64;
    let rank = q * (n - 1.0);
    let lower = rank.floor().max(0.0);
    let upper = (lower + 1.0).min(n - 1.0);
    let w = rank - lower;
    values[lower as usize] * (1.0 - w) + values[upper as usize] * w
}

/// The value as Go's `strconv.FormatFloat(v, 'f', -1, 64)` prints it.
pub(crate) use outpost_exposition::go_float as format_go_float;

/// Whether `limit_ratio(ratio, ...)` keeps the series: Prometheus places each
/// series at `hash(labels) / u64::MAX` in [0, 1] and keeps the ones below a
/// positive ratio, or at or above `1 + ratio` for a negative one, so
/// `limit_ratio(r)` and `limit_ratio(r - 1)` are complements.
pub(crate) fn ratio_keeps(ratio: f64, labels: &Labels) -> bool {
    let offset = labels_hash(labels) as f64 / u64::MAX as f64;
    (ratio >= 0.0 && offset < ratio) || (ratio < 0.0 && offset >= 1.0 + ratio)
}

fn grouping(a: &AggregateExpr) -> (bool, Vec<String>) {
    match &a.modifier {
        Some(LabelModifier::Include(l)) => (true, l.labels.clone()),
        Some(LabelModifier::Exclude(l)) => (false, l.labels.clone()),
        None => (true, Vec::new()),
    }
}

fn group_labels(l: &Labels, by: bool, names: &[String]) -> Labels {
    Labels::from_pairs(l.iter().filter(|(n, _)| {
        if by {
            names.iter().any(|x| x == n)
        } else {
            *n != "__name__" && !names.iter().any(|x| x == n)
        }
    }))
    .unwrap_or_default()
}

fn scalar_param(ctx: &mut Ctx<'_>, a: &AggregateExpr, t: i64) -> Result<f64> {
    let p = a
        .param
        .as_ref()
        .ok_or_else(|| Error::Parse("aggregation needs a parameter".into()))?;
    match ctx.eval(p, t)? {
        Val::Scalar(v) => Ok(v),
        other => Err(Error::Execution(format!(
            "expected scalar parameter, got {}",
            other.kind()
        ))),
    }
}

pub(crate) fn aggregate(ctx: &mut Ctx<'_>, a: &AggregateExpr, t: i64) -> Result<Val> {
    let op = a.op.to_string();
    let param = match op.as_str() {
        "topk" | "bottomk" | "quantile" | "limitk" | "limit_ratio" => {
            Some(scalar_param(ctx, a, t)?)
        }
        _ => None,
    };
    if matches!(op.as_str(), "topk" | "bottomk" | "limitk" | "limit_ratio")
        && param.is_some_and(f64::is_nan)
    {
        return Err(Error::Execution(if op == "limit_ratio" {
            "Ratio value is NaN".into()
        } else {
            "Parameter value is NaN".into()
        }));
    }
    if op == "limit_ratio"
        && let Some(r) = param
        && !(-1.0..=1.0).contains(&r)
    {
        let capped = r.clamp(-1.0, 1.0);
        ctx.warn(format!(
            "PromQL warning: ratio value should be between -1 and 1, got {}, capping to {}",
            format_go_float(r),
            format_go_float(capped)
        ));
    }
    let label_param = if op == "count_values" {
        match a.param.as_ref().map(|p| ctx.eval(p, t)).transpose()? {
            Some(Val::Str(s)) => Some(s),
            _ => {
                return Err(Error::Execution(
                    "count_values needs a string parameter".into(),
                ));
            }
        }
    } else {
        None
    };
    if op == "quantile"
        && let Some(q) = param
        && !(0.0..=1.0).contains(&q)
    {
        ctx.warn(format!(
            "PromQL warning: quantile value should be between 0 and 1, got {q}"
        ));
    }
    let input = match ctx.eval(&a.expr, t)? {
        Val::Vector(v) => v,
        other => {
            return Err(Error::Execution(format!(
                "expected instant vector, got {}",
                other.kind()
            )));
        }
    };
    let (by, names) = grouping(a);
    // Groups in order of first appearance.
    let mut order: Vec<Labels> = Vec::new();
    let mut groups: HashMap<Labels, Vec<Elem>> = HashMap::new();
    for s in input {
        let g = group_labels(&s.labels, by, &names);
        match groups.get_mut(&g) {
            Some(v) => v.push(s),
            None => {
                order.push(g.clone());
                groups.insert(g, vec![s]);
            }
        }
    }
    let mut out = Vec::new();
    for g in order {
        let members = groups.remove(&g).unwrap_or_default();
        let vals = || members.iter().map(|s| s.v);
        let n = members.len() as f64;
        // The group's name is dropped at the end when any member's is.
        let drop_name = members.iter().any(|s| s.drop_name);
        let single = |v: f64| Elem {
            labels: g.clone(),
            t,
            v,
            drop_name,
        };
        match op.as_str() {
            "sum" => {
                let mut k = KahanSum::default();
                vals().for_each(|v| k.add(v));
                out.push(single(k.value()));
            }
            "avg" => out.push(single(crate::functions::mean(vals))),
            "count" => out.push(single(n)),
            "group" => out.push(single(1.0)),
            "min" | "max" => {
                let mut acc = f64::NAN;
                for v in vals() {
                    let better = if op == "min" { v < acc } else { v > acc };
                    if acc.is_nan() || better {
                        acc = v;
                    }
                }
                out.push(single(acc));
            }
            "stddev" | "stdvar" => {
                let (mut mean, mut m2) = (0.0f64, 0.0f64);
                for (i, v) in vals().enumerate() {
                    let delta = v - mean;
                    mean += delta / (i as f64 + 1.0);
                    m2 += delta * (v - mean);
                }
                let var = m2 / n;
                out.push(single(if op == "stddev" { var.sqrt() } else { var }));
            }
            "quantile" => {
                let mut v: Vec<f64> = vals().collect();
                out.push(single(quantile(param.unwrap_or(f64::NAN), &mut v)));
            }
            "count_values" => {
                let label = label_param.clone().unwrap_or_default();
                let mut counts: Vec<(String, f64)> = Vec::new();
                for v in vals() {
                    let key = format_go_float(v);
                    match counts.iter_mut().find(|(k, _)| *k == key) {
                        Some(c) => c.1 += 1.0,
                        None => counts.push((key, 1.0)),
                    }
                }
                for (k, c) in counts {
                    out.push(Elem::new(with_label(&g, &label, &k), t, c));
                }
            }
            "topk" | "bottomk" | "limitk" => {
                let k = param.unwrap_or(0.0);
                if k.is_nan() {
                    return Err(Error::Execution(format!("parameter value is NaN for {op}")));
                }
                if k >= 9.223_372_036_854_776e18 {
                    return Err(Error::Execution(format!(
                        "scalar parameter {k} for {op} overflows int64"
                    )));
                }
                let k = if k < 1.0 { 0 } else { k as usize };
                let mut m = members;
                if op != "limitk" {
                    let top = op == "topk";
                    m.sort_by(|a, b| match (a.v.is_nan(), b.v.is_nan()) {
                        (true, true) => std::cmp::Ordering::Equal,
                        (true, false) => std::cmp::Ordering::Greater,
                        (false, true) => std::cmp::Ordering::Less,
                        _ => {
                            let o = a.v.partial_cmp(&b.v).unwrap_or(std::cmp::Ordering::Equal);
                            if top { o.reverse() } else { o }
                        }
                    });
                }
                out.extend(m.into_iter().take(k));
            }
            "limit_ratio" => {
                let ratio = param.unwrap_or(0.0).clamp(-1.0, 1.0);
                out.extend(
                    members
                        .into_iter()
                        .filter(|s| ratio_keeps(ratio, &s.labels)),
                );
            }
            other => return Err(Error::Unsupported(format!("aggregation {other}"))),
        }
    }
    Ok(Val::Vector(out))
}
