//! PromQL functions over scalars, instant vectors and range vectors: the
//! argument helpers and the dispatch to one module per function family.

mod histogram;
mod labels;
mod math;
mod over_time;
mod rate;
#[cfg(test)]
mod tests;

use outpost_tsdb::Labels;
use promql_parser::parser::{Call, Expr};

use crate::engine::{Ctx, Elem, RSeries, Val};
use crate::error::{Error, Result};
use crate::time::duration_ms;

pub(crate) use histogram::{bucket_quantile, parse_le};
pub(crate) use over_time::{mean, over_time};
pub(crate) use rate::{extrapolated, instant_delta, linear_regression};

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
        "time" => Ok(Val::Scalar(t as f64 / 1000.0)),
        "pi" => Ok(Val::Scalar(std::f64::consts::PI)),
        "vector" => {
            let v = scalar(ctx, arg(c, 0)?, t)?;
            Ok(Val::Vector(vec![Elem::new(Labels::default(), t, v)]))
        }
        "scalar" => {
            let v = vector(ctx, arg(c, 0)?, t)?;
            Ok(Val::Scalar(if v.len() == 1 { v[0].v } else { f64::NAN }))
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
                let mut out = Vec::with_capacity(data.len());
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
            Ok(map(ctx, v, |_| t as f64 / 1000.0))
        }
        "abs" | "ceil" | "floor" | "exp" | "ln" | "log2" | "log10" | "sqrt" | "sgn" | "acos"
        | "acosh" | "asin" | "asinh" | "atan" | "atanh" | "cos" | "cosh" | "sin" | "sinh"
        | "tan" | "tanh" | "deg" | "rad" | "round" | "clamp" | "clamp_min" | "clamp_max"
        | "minute" | "hour" | "day_of_month" | "day_of_week" | "day_of_year" | "days_in_month"
        | "month" | "year" => math::call(ctx, c, t),
        "quantile_over_time" => over_time::call(ctx, c, t),
        name if over_time::RANGE_FUNCTIONS.contains(&name) => over_time::call(ctx, c, t),
        "absent" | "absent_over_time" | "label_replace" | "label_join" | "sort" | "sort_desc"
        | "sort_by_label" | "sort_by_label_desc" => labels::call(ctx, c, t),
        "histogram_quantile" | "histogram_quantiles" | "histogram_fraction" => {
            histogram::call(ctx, c, t)
        }
        other => Err(Error::Unsupported(format!("function {other}()"))),
    }
}
