//! Range queries evaluated a series at a time instead of a step at a time,
//! for the shapes dashboards run most: selectors, the rate and `*_over_time`
//! family over a range selector, the plain aggregations (by/without),
//! `histogram_quantile`, arithmetic and comparisons with a number, and
//! one-to-one vector matching, nested freely. Everything that depends only on the
//! series (labels with the name dropped, aggregation groups, `le` bounds) is
//! computed once per query instead of once per step, windows advance with
//! two cursors instead of binary searches, and the steps allocate nothing.
//! Results are identical to the step-wise evaluator (same summation order);
//! any other expression, and any case that would need its errors (labels
//! that collide), is left to it.

use std::collections::HashMap;

use outpost_tsdb::{Labels, is_stale_nan};
use promql_parser::parser::{
    AggregateExpr, BinaryExpr, Call, Expr, LabelModifier, MatrixSelector, VectorMatchCardinality,
};

use crate::aggregate::KahanSum;
use crate::engine::Ctx;
use crate::error::Result;
use crate::functions::{
    bucket_quantile, extrapolated, instant_delta, linear_regression, over_time, parse_le,
};
use crate::ops::{
    drop_name, drops_name, elem, is_comparison, is_metadata_label, matching, scalar_elem, signature,
};

/// One output series: a value or nothing at each step.
pub(crate) struct Col {
    pub(crate) labels: Labels,
    pub(crate) drop_name: bool,
    pub(crate) vals: Vec<Option<f64>>,
}

const RANGE_FUNCS: &[&str] = &[
    "rate",
    "increase",
    "delta",
    "irate",
    "idelta",
    "resets",
    "changes",
    "avg_over_time",
    "sum_over_time",
    "count_over_time",
    "min_over_time",
    "max_over_time",
    "stddev_over_time",
    "stdvar_over_time",
    "present_over_time",
    "last_over_time",
    "first_over_time",
    "mad_over_time",
    "ts_of_first_over_time",
    "ts_of_last_over_time",
    "ts_of_min_over_time",
    "ts_of_max_over_time",
    "deriv",
];

const AGGREGATIONS: &[&str] = &[
    "sum", "avg", "count", "group", "min", "max", "stddev", "stdvar",
];

fn unparen(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => unparen(&p.expr),
        e => e,
    }
}

/// Whether `e` can be evaluated here.
pub(crate) fn supported(e: &Expr) -> bool {
    match unparen(e) {
        Expr::VectorSelector(vs) => vs.at.is_none(),
        Expr::Call(c) => {
            range_call(c).is_some() || histogram_call(c).is_some_and(|(_, e)| supported(e))
        }
        Expr::Aggregate(a) => {
            AGGREGATIONS.contains(&a.op.to_string().as_str())
                && a.param.is_none()
                && supported(&a.expr)
        }
        // Each child is checked once: the check stays linear in the size of
        // the expression.
        Expr::Binary(b) => match vector_scalar(b) {
            Some((inner, _, _)) => supported(inner),
            None => one_to_one(b) && supported(&b.lhs) && supported(&b.rhs),
        },
        _ => false,
    }
}

fn is_set_operator(b: &BinaryExpr) -> bool {
    matches!(b.op.to_string().as_str(), "and" | "or" | "unless")
}

/// A one-to-one arithmetic or comparison between two vectors (by syntax).
fn one_to_one(b: &BinaryExpr) -> bool {
    !is_set_operator(b) && matches!(matching(b).2, VectorMatchCardinality::OneToOne)
}

/// A vector-scalar operation with a number literal (by syntax): `(vector
/// side, the number, whether the number is on the left)`.
fn vector_scalar(b: &BinaryExpr) -> Option<(&Expr, f64, bool)> {
    if is_set_operator(b) {
        return None;
    }
    match (unparen(&b.lhs), unparen(&b.rhs)) {
        (Expr::NumberLiteral(_), Expr::NumberLiteral(_)) => None,
        (Expr::NumberLiteral(n), _) => Some((&*b.rhs, n.val, true)),
        (_, Expr::NumberLiteral(n)) => Some((&*b.lhs, n.val, false)),
        _ => None,
    }
}

fn range_call(c: &Call) -> Option<&MatrixSelector> {
    if !RANGE_FUNCS.contains(&c.func.name) || c.args.args.len() != 1 {
        return None;
    }
    match unparen(&c.args.args[0]) {
        Expr::MatrixSelector(ms) if ms.vs.at.is_none() => Some(ms),
        _ => None,
    }
}

fn histogram_call(c: &Call) -> Option<(f64, &Expr)> {
    if c.func.name != "histogram_quantile" || c.args.args.len() != 2 {
        return None;
    }
    let Expr::NumberLiteral(q) = unparen(&c.args.args[0]) else {
        return None;
    };
    Some((q.val, &*c.args.args[1]))
}

/// The values a column holds.
fn samples_of(cols: &[Col]) -> usize {
    cols.iter()
        .map(|c| c.vals.iter().filter(|v| v.is_some()).count())
        .sum()
}

/// The series of `e` over `steps`; `Ok(None)` when the step-wise evaluator
/// must answer instead. As [`Ctx::eval`], the result's samples stay held
/// and its children's are released.
pub(crate) fn eval(ctx: &mut Ctx<'_>, e: &Expr, steps: &[i64]) -> Result<Option<Vec<Col>>> {
    ctx.check_limits()?;
    let mark = ctx.held();
    let r = eval_node(ctx, e, steps);
    ctx.release_to(mark);
    let r = r?;
    if let Some(cols) = &r {
        ctx.hold(samples_of(cols))?;
    }
    Ok(r)
}

fn eval_node(ctx: &mut Ctx<'_>, e: &Expr, steps: &[i64]) -> Result<Option<Vec<Col>>> {
    match unparen(e) {
        Expr::VectorSelector(vs) => {
            let data = ctx.fetch(vs, 0)?;
            let lb = ctx.engine.options().lookback_ms + ctx.engine.left_adj();
            let off = ctx.base_time(&vs.at, &vs.offset, 0);
            let mut out = Vec::with_capacity(data.len());
            for (labels, pts) in data.iter() {
                ctx.tick()?;
                let mut vals = Vec::with_capacity(steps.len());
                let mut hi = 0;
                let mut n = 0;
                for &t in steps {
                    // Saturating: times past the i64 range select nothing more.
                    let base = t.saturating_add(off);
                    while hi < pts.len() && pts[hi].0 <= base {
                        hi += 1;
                    }
                    let v = (hi > 0)
                        .then(|| pts[hi - 1])
                        .filter(|(ts, v)| *ts > base.saturating_sub(lb) && !is_stale_nan(*v))
                        .map(|p| p.1);
                    n += usize::from(v.is_some());
                    vals.push(v);
                }
                // Held as the columns are built, so a large result fails early.
                ctx.hold(n)?;
                if n > 0 {
                    out.push(Col {
                        labels: labels.clone(),
                        drop_name: false,
                        vals,
                    });
                }
            }
            Ok(Some(out))
        }
        Expr::Call(c) => {
            if let Some(ms) = range_call(c) {
                return range_function(ctx, c.func.name, ms, steps);
            }
            let Some((q, inner)) = histogram_call(c) else {
                return Ok(None);
            };
            let Some(input) = eval(ctx, inner, steps)? else {
                return Ok(None);
            };
            histogram_quantile(ctx, q, input, steps.len())
        }
        Expr::Aggregate(a) => {
            let Some(input) = eval(ctx, &a.expr, steps)? else {
                return Ok(None);
            };
            Ok(aggregate(a, input, steps.len()))
        }
        Expr::Binary(b) if vector_scalar(b).is_none() => {
            if !one_to_one(b) {
                return Ok(None);
            }
            let Some(lhs) = eval(ctx, &b.lhs, steps)? else {
                return Ok(None);
            };
            let Some(rhs) = eval(ctx, &b.rhs, steps)? else {
                return Ok(None);
            };
            Ok(vector_vector(ctx, b, lhs, rhs))
        }
        Expr::Binary(b) => {
            let Some((inner, s, scalar_left)) = vector_scalar(b) else {
                return Ok(None);
            };
            let Some(mut cols) = eval(ctx, inner, steps)? else {
                return Ok(None);
            };
            let op = b.op.to_string();
            let return_bool = b.modifier.as_ref().is_some_and(|m| m.return_bool);
            let drop = drops_name(&op, return_bool);
            let delayed = ctx.delayed();
            for c in cols.iter_mut() {
                for v in c.vals.iter_mut() {
                    *v = v.and_then(|x| scalar_elem(&op, x, s, scalar_left, return_bool));
                }
                if drop && delayed {
                    c.drop_name = true;
                } else if drop {
                    c.labels = drop_name(&c.labels);
                }
            }
            cols.retain(|c| c.vals.iter().any(Option::is_some));
            if drop && !delayed && has_collisions(&cols) {
                return Ok(None);
            }
            Ok(Some(cols))
        }
        _ => Ok(None),
    }
}

/// One-to-one vector matching with the pairs found once: when a signature
/// repeats on either side (errors, or matches that change from step to step)
/// the step-wise evaluator answers.
fn vector_vector(ctx: &Ctx<'_>, b: &BinaryExpr, lhs: Vec<Col>, rhs: Vec<Col>) -> Option<Vec<Col>> {
    let op = b.op.to_string();
    let return_bool = b.modifier.as_ref().is_some_and(|m| m.return_bool);
    let (on, names, _) = matching(b);
    let mut right: HashMap<String, usize> = HashMap::with_capacity(rhs.len());
    for (j, c) in rhs.iter().enumerate() {
        if right.insert(signature(&c.labels, on, &names), j).is_some() {
            return None;
        }
    }
    let mut left_sigs = std::collections::HashSet::with_capacity(lhs.len());
    let cmp = is_comparison(&op);
    let mut out = Vec::new();
    for l in lhs {
        let sig = signature(&l.labels, on, &names);
        let Some(&j) = right.get(&sig) else { continue };
        if !left_sigs.insert(sig) {
            return None;
        }
        let r = &rhs[j];
        // As the step-wise evaluator: arithmetic drops the name at once,
        // `bool` comparisons as other operations do.
        let mut drop_later = l.drop_name;
        let labels = if !cmp || (return_bool && !ctx.delayed()) {
            drop_name(&l.labels)
        } else {
            drop_later |= return_bool;
            l.labels.clone()
        };
        let labels = Labels::from_pairs(labels.iter().filter(|(n, _)| {
            let listed = names.iter().any(|x| x == n);
            if on { listed } else { !listed }
        }))
        .unwrap_or_default();
        let vals: Vec<Option<f64>> = l
            .vals
            .iter()
            .zip(&r.vals)
            .map(|(a, b)| match (a, b) {
                (Some(x), Some(y)) => {
                    let (v, keep) = elem(&op, *x, *y, return_bool);
                    keep.then_some(v)
                }
                _ => None,
            })
            .collect();
        if vals.iter().any(Option::is_some) {
            out.push(Col {
                labels,
                drop_name: drop_later,
                vals,
            });
        }
    }
    (!has_collisions(&out)).then_some(out)
}

fn range_function(
    ctx: &mut Ctx<'_>,
    name: &str,
    ms: &MatrixSelector,
    steps: &[i64],
) -> Result<Option<Vec<Col>>> {
    let range = crate::time::duration_ms(ms.range);
    let data = ctx.fetch(&ms.vs, range)?;
    let off = ctx.base_time(&ms.vs.at, &ms.vs.offset, 0);
    let delayed = ctx.delayed();
    let keep_name = matches!(name, "last_over_time" | "first_over_time");
    let mut out = Vec::with_capacity(data.len());
    let mut filtered: Vec<(i64, f64)> = Vec::new();
    let left_adj = ctx.engine.left_adj();
    for (labels, all) in data.iter() {
        ctx.tick()?;
        // Staleness markers never enter a window: leave them out once.
        let pts: &[(i64, f64)] = if all.iter().any(|p| is_stale_nan(p.1)) {
            filtered.clear();
            filtered.extend(all.iter().copied().filter(|p| !is_stale_nan(p.1)));
            &filtered
        } else {
            all
        };
        let mut vals = Vec::with_capacity(steps.len());
        let (mut lo, mut hi) = (0, 0);
        let mut n = 0;
        for &t in steps {
            // Saturating: windows past the i64 range select nothing more.
            let end = t.saturating_add(off);
            let start = end.saturating_sub(range);
            let first = start.saturating_sub(left_adj);
            while lo < pts.len() && pts[lo].0 <= first {
                lo += 1;
            }
            while hi < pts.len() && pts[hi].0 <= end {
                hi += 1;
            }
            let w = &pts[lo..hi.max(lo)];
            let v = if w.is_empty() {
                None
            } else {
                match name {
                    "rate" => extrapolated(w, start, end, true, true),
                    "increase" => extrapolated(w, start, end, true, false),
                    "delta" => extrapolated(w, start, end, false, false),
                    "irate" => instant_delta(w, true),
                    "idelta" => instant_delta(w, false),
                    "deriv" => (w.len() >= 2).then(|| linear_regression(w, w[0].0).0),
                    other => over_time(other, w, f64::NAN),
                }
            };
            n += usize::from(v.is_some());
            vals.push(v);
        }
        // Held as the columns are built, so a large result fails early.
        ctx.hold(n)?;
        if n > 0 {
            out.push(Col {
                labels: if delayed || keep_name {
                    labels.clone()
                } else {
                    drop_name(labels)
                },
                drop_name: delayed && !keep_name,
                vals,
            });
        }
    }
    if !delayed && !keep_name && has_collisions(&out) {
        return Ok(None);
    }
    Ok(Some(out))
}

/// Whether two series share their labels (the step-wise evaluator then
/// reports duplicates at the steps where both have a value).
fn has_collisions(cols: &[Col]) -> bool {
    let mut seen = std::collections::HashSet::with_capacity(cols.len());
    !cols.iter().all(|c| seen.insert(&c.labels))
}

/// Aggregation groups of the input series: `(group labels, group of each series)`.
fn groups<'a>(
    input: impl Iterator<Item = &'a Labels>,
    by: bool,
    names: &[String],
    keep: impl Fn(&str) -> bool,
) -> (Vec<Labels>, Vec<usize>) {
    let mut index: HashMap<Labels, usize> = HashMap::new();
    let mut keys = Vec::new();
    let mut of = Vec::new();
    for l in input {
        let g = Labels::from_pairs(l.iter().filter(|(n, _)| {
            if by {
                names.iter().any(|x| x == n)
            } else {
                keep(n) && !names.iter().any(|x| x == n)
            }
        }))
        .unwrap_or_default();
        let i = *index.entry(g).or_insert_with_key(|g| {
            keys.push(g.clone());
            keys.len() - 1
        });
        of.push(i);
    }
    (keys, of)
}

#[derive(Clone, Copy, Default)]
struct Acc {
    n: f64,
    sum: KahanSum,
    mean: f64,
    m2: f64,
    ext: f64,
    finite: bool,
}

fn aggregate(a: &AggregateExpr, input: Vec<Col>, nsteps: usize) -> Option<Vec<Col>> {
    let op = a.op.to_string();
    let (by, names) = match &a.modifier {
        Some(LabelModifier::Include(l)) => (true, l.labels.clone()),
        Some(LabelModifier::Exclude(l)) => (false, l.labels.clone()),
        None => (true, Vec::new()),
    };
    let (keys, of) = groups(input.iter().map(|c| &c.labels), by, &names, |n| {
        n != "__name__"
    });
    // A pending name drop only matters when the group keeps metadata labels.
    let mut drop = vec![false; keys.len()];
    for (c, &g) in input.iter().zip(&of) {
        if c.drop_name {
            if keys[g].iter().any(|(n, _)| is_metadata_label(n)) {
                return None;
            }
            drop[g] = true;
        }
    }
    let mut out: Vec<Col> = keys
        .into_iter()
        .zip(drop)
        .map(|(labels, drop_name)| Col {
            labels,
            drop_name,
            vals: vec![None; nsteps],
        })
        .collect();
    let mut accs = vec![Acc::default(); out.len()];
    for s in 0..nsteps {
        for a in accs.iter_mut() {
            a.n = 0.0;
        }
        for (c, &g) in input.iter().zip(&of) {
            let Some(v) = c.vals[s] else { continue };
            let acc = &mut accs[g];
            if acc.n == 0.0 {
                *acc = Acc {
                    finite: true,
                    ext: f64::NAN,
                    ..Acc::default()
                };
            }
            acc.n += 1.0;
            match op.as_str() {
                "sum" => acc.sum.add(v),
                "avg" => {
                    acc.sum.add(v);
                    acc.finite &= v.is_finite();
                    acc.mean = acc.mean * ((acc.n - 1.0) / acc.n) + v / acc.n;
                }
                "min" if acc.ext.is_nan() || v < acc.ext => acc.ext = v,
                "max" if acc.ext.is_nan() || v > acc.ext => acc.ext = v,
                "stddev" | "stdvar" => {
                    let delta = v - acc.mean;
                    acc.mean += delta / acc.n;
                    acc.m2 += delta * (v - acc.mean);
                }
                _ => {}
            }
        }
        for (col, acc) in out.iter_mut().zip(&accs) {
            if acc.n == 0.0 {
                continue;
            }
            col.vals[s] = Some(match op.as_str() {
                "sum" => acc.sum.value(),
                "avg" => {
                    let sum = acc.sum.value();
                    if !sum.is_finite() && acc.finite {
                        acc.mean
                    } else {
                        sum / acc.n
                    }
                }
                "count" => acc.n,
                "group" => 1.0,
                "min" | "max" => acc.ext,
                "stddev" => (acc.m2 / acc.n).sqrt(),
                _ => acc.m2 / acc.n,
            });
        }
    }
    out.retain(|c| c.vals.iter().any(Option::is_some));
    Some(out)
}

fn histogram_quantile(
    ctx: &mut Ctx<'_>,
    q: f64,
    input: Vec<Col>,
    nsteps: usize,
) -> Result<Option<Vec<Col>>> {
    if !(0.0..=1.0).contains(&q) {
        ctx.warn(format!(
            "PromQL warning: quantile value should be between 0 and 1, got {q}"
        ));
    }
    let mut bounds = Vec::with_capacity(input.len());
    let mut kept = Vec::with_capacity(input.len());
    for c in input {
        let le = c.labels.get("le").unwrap_or("");
        match parse_le(le) {
            Ok(b) => {
                bounds.push(b);
                kept.push(c);
            }
            Err(()) => ctx.warn(format!(
                "PromQL warning: bucket label \"le\" is missing or has a malformed value of {le:?} for metric name {:?}",
                c.labels.metric_name().unwrap_or("")
            )),
        }
    }
    // Grouped by every label but `le`; the output drops the name as well.
    let (keys, of) = groups(
        kept.iter().map(|c| &c.labels),
        false,
        &["le".into()],
        |_| true,
    );
    let mut metric = vec![String::new(); keys.len()];
    for (c, &g) in kept.iter().zip(&of).rev() {
        metric[g] = c.labels.metric_name().unwrap_or("").to_string();
    }
    let mut out: Vec<Col> = keys
        .iter()
        .map(|labels| Col {
            labels: drop_name(labels),
            drop_name: false,
            vals: vec![None; nsteps],
        })
        .collect();
    if has_collisions(&out) {
        return Ok(None);
    }
    let mut buckets: Vec<Vec<(f64, f64)>> = vec![Vec::new(); out.len()];
    for s in 0..nsteps {
        for b in buckets.iter_mut() {
            b.clear();
        }
        for ((c, &g), &le) in kept.iter().zip(&of).zip(&bounds) {
            if let Some(v) = c.vals[s] {
                buckets[g].push((le, v));
            }
        }
        for (g, b) in buckets.iter_mut().enumerate() {
            if b.is_empty() {
                continue;
            }
            out[g].vals[s] = Some(bucket_quantile(q, b, ctx, &metric[g]));
        }
    }
    out.retain(|c| c.vals.iter().any(Option::is_some));
    Ok(Some(out))
}
