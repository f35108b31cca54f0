//! Binary operators: arithmetic, comparisons (filtering or `bool`) and set
//! operators, between scalars and vectors, with vector matching
//! (`on`/`ignoring`, `group_left`/`group_right`) and Prometheus' errors.

use std::collections::{HashMap, HashSet};

use outpost_tsdb::Labels;
use promql_parser::parser::{BinaryExpr, LabelModifier, VectorMatchCardinality};

use crate::engine::{Ctx, Elem, Val};
use crate::error::{Error, Result};

/// Whether a label is one of the metric's identity labels that go away with
/// its name: `__name__`, and the `__type__` and `__unit__` metadata labels.
pub(crate) fn is_metadata_label(name: &str) -> bool {
    matches!(name, "__name__" | "__type__" | "__unit__")
}

/// Labels without `__name__`, `__type__` and `__unit__` (Prometheus drops the
/// metadata labels together with the name).
pub(crate) fn drop_name(l: &Labels) -> Labels {
    if !l.iter().any(|(n, _)| is_metadata_label(n)) {
        return l.clone();
    }
    Labels::from_pairs(l.iter().filter(|(n, _)| !is_metadata_label(n))).unwrap_or_default()
}

/// Labels with `name` set (or removed when `value` is empty).
pub(crate) fn with_label(l: &Labels, name: &str, value: &str) -> Labels {
    let mut pairs: Vec<(&str, &str)> = l.iter().filter(|(n, _)| *n != name).collect();
    if !value.is_empty() {
        pairs.push((name, value));
    }
    Labels::from_pairs(pairs).unwrap_or_default()
}

/// The matching signature of a series.
pub(crate) fn signature(l: &Labels, on: bool, names: &[String]) -> String {
    let mut s = String::new();
    for (n, v) in l.iter() {
        let included = if on {
            names.iter().any(|x| x == n)
        } else {
            n != "__name__" && !names.iter().any(|x| x == n)
        };
        if included {
            s.push_str(n);
            s.push('\u{ff}');
            s.push_str(v);
            s.push('\u{fe}');
        }
    }
    s
}

fn arith(op: &str, l: f64, r: f64) -> Option<f64> {
    Some(match op {
        "+" => l + r,
        "-" => l - r,
        "*" => l * r,
        "/" => l / r,
        "%" => l % r,
        "^" => l.powf(r),
        "atan2" => l.atan2(r),
        _ => return None,
    })
}

fn compare(op: &str, l: f64, r: f64) -> Option<bool> {
    Some(match op {
        "==" => l == r,
        "!=" => l != r,
        ">" => l > r,
        "<" => l < r,
        ">=" => l >= r,
        "<=" => l <= r,
        _ => return None,
    })
}

/// `lhs op rhs` on two values: the value and whether to keep it.
pub(crate) fn elem(op: &str, l: f64, r: f64, return_bool: bool) -> (f64, bool) {
    if let Some(v) = arith(op, l, r) {
        return (v, true);
    }
    match compare(op, l, r) {
        Some(b) if return_bool => (if b { 1.0 } else { 0.0 }, true),
        Some(b) => (l, b),
        None => (f64::NAN, false),
    }
}

pub(crate) fn is_comparison(op: &str) -> bool {
    compare(op, 0.0, 0.0).is_some()
}

pub(crate) fn binary(ctx: &mut Ctx<'_>, b: &BinaryExpr, t: i64) -> Result<Val> {
    let op = b.op.to_string();
    let return_bool = b.modifier.as_ref().is_some_and(|m| m.return_bool);
    let lhs = ctx.eval(&b.lhs, t)?;
    let rhs = ctx.eval(&b.rhs, t)?;
    match (lhs, rhs) {
        (Val::Scalar(l), Val::Scalar(r)) => {
            let (v, _) = elem(&op, l, r, true);
            Ok(Val::Scalar(v))
        }
        (Val::Vector(vs), Val::Scalar(s)) => Ok(Val::Vector(vector_scalar(
            ctx,
            &op,
            vs,
            s,
            false,
            return_bool,
        ))),
        (Val::Scalar(s), Val::Vector(vs)) => Ok(Val::Vector(vector_scalar(
            ctx,
            &op,
            vs,
            s,
            true,
            return_bool,
        ))),
        (Val::Vector(l), Val::Vector(r)) => {
            vector_vector(ctx, &op, b, l, r, return_bool).map(Val::Vector)
        }
        (l, r) => Err(Error::Execution(format!(
            "binary expression must contain only scalar and instant vector types, got {} and {}",
            l.kind(),
            r.kind()
        ))),
    }
}

/// Whether a vector-scalar operation drops the metric name (arithmetic, and
/// comparisons with `bool`).
pub(crate) fn drops_name(op: &str, return_bool: bool) -> bool {
    !is_comparison(op) || return_bool
}

/// `x op s` (or `s op x` when `scalar_left`) for one vector element: the
/// result, or `None` when a filtering comparison drops the element (which
/// otherwise keeps its own value).
pub(crate) fn scalar_elem(
    op: &str,
    x: f64,
    s: f64,
    scalar_left: bool,
    return_bool: bool,
) -> Option<f64> {
    let (l, r) = if scalar_left { (s, x) } else { (x, s) };
    let (v, keep) = elem(op, l, r, return_bool);
    if !keep {
        return None;
    }
    if is_comparison(op) && !return_bool {
        return Some(x);
    }
    Some(v)
}

fn vector_scalar(
    ctx: &Ctx<'_>,
    op: &str,
    vs: Vec<Elem>,
    s: f64,
    scalar_left: bool,
    return_bool: bool,
) -> Vec<Elem> {
    let drop = drops_name(op, return_bool);
    vs.into_iter()
        .filter_map(|mut x| {
            x.v = scalar_elem(op, x.v, s, scalar_left, return_bool)?;
            if drop {
                ctx.drop_name(&mut x);
            }
            Some(x)
        })
        .collect()
}

pub(crate) fn matching(b: &BinaryExpr) -> (bool, Vec<String>, VectorMatchCardinality) {
    match &b.modifier {
        None => (false, Vec::new(), VectorMatchCardinality::OneToOne),
        Some(m) => {
            let (on, names) = match &m.matching {
                Some(LabelModifier::Include(l)) => (true, l.labels.clone()),
                Some(LabelModifier::Exclude(l)) => (false, l.labels.clone()),
                None => (false, Vec::new()),
            };
            (on, names, m.card.clone())
        }
    }
}

fn describe(samples: &[&Elem]) -> String {
    let v: Vec<String> = samples.iter().map(|s| s.labels.to_string()).collect();
    format!("[{}]", v.join(", "))
}

fn vector_vector(
    ctx: &Ctx<'_>,
    op: &str,
    b: &BinaryExpr,
    lhs: Vec<Elem>,
    rhs: Vec<Elem>,
    return_bool: bool,
) -> Result<Vec<Elem>> {
    let (on, names, card) = matching(b);
    match op {
        "and" => {
            let r: HashSet<String> = rhs
                .iter()
                .map(|s| signature(&s.labels, on, &names))
                .collect();
            return Ok(lhs
                .into_iter()
                .filter(|s| r.contains(&signature(&s.labels, on, &names)))
                .collect());
        }
        "unless" => {
            let r: HashSet<String> = rhs
                .iter()
                .map(|s| signature(&s.labels, on, &names))
                .collect();
            return Ok(lhs
                .into_iter()
                .filter(|s| !r.contains(&signature(&s.labels, on, &names)))
                .collect());
        }
        "or" => {
            let l: HashSet<String> = lhs
                .iter()
                .map(|s| signature(&s.labels, on, &names))
                .collect();
            let mut out = lhs;
            out.extend(
                rhs.into_iter()
                    .filter(|s| !l.contains(&signature(&s.labels, on, &names))),
            );
            return Ok(out);
        }
        _ => {}
    }
    let (swap, include) = match &card {
        VectorMatchCardinality::OneToMany(l) => (true, l.labels.clone()),
        VectorMatchCardinality::ManyToOne(l) => (false, l.labels.clone()),
        _ => (false, Vec::new()),
    };
    let one_to_one = matches!(card, VectorMatchCardinality::OneToOne);
    // "many" side first after the swap.
    let (many, one) = if swap { (rhs, lhs) } else { (lhs, rhs) };
    let mut one_by_sig: HashMap<String, &Elem> = HashMap::new();
    let mut dups: HashMap<String, Vec<&Elem>> = HashMap::new();
    for s in &one {
        let sig = signature(&s.labels, on, &names);
        if let Some(prev) = one_by_sig.insert(sig.clone(), s) {
            dups.entry(sig).or_insert_with(|| vec![prev]).push(s);
        }
    }
    if let Some((sig, d)) = dups.into_iter().next() {
        let side = if swap { "left" } else { "right" };
        let _ = sig;
        let group = d[0].labels.clone();
        return Err(Error::Execution(format!(
            "found duplicate series for the match group {} on the {side} hand-side of the operation: {};many-to-many matching not allowed: matching labels must be unique on one side",
            group_labels(&group, on, &names),
            describe(&d)
        )));
    }
    let cmp = is_comparison(op);
    let mut out = Vec::new();
    let mut seen_sig: HashSet<String> = HashSet::new();
    let mut seen_labels: HashSet<Labels> = HashSet::new();
    for m in &many {
        let sig = signature(&m.labels, on, &names);
        let Some(o) = one_by_sig.get(&sig) else {
            continue;
        };
        if one_to_one && !seen_sig.insert(sig) {
            return Err(Error::Execution(
                "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)".into(),
            ));
        }
        let (l, r) = if swap { (o.v, m.v) } else { (m.v, o.v) };
        let (v, keep) = elem(op, l, r, return_bool);
        if !keep {
            continue;
        }
        // Arithmetic drops the name at once; `bool` comparisons drop it as
        // other operations do (delayed under delayed name removal).
        let mut drop_name_later = m.drop_name;
        let mut labels = if !cmp || (return_bool && !ctx.delayed()) {
            drop_name(&m.labels)
        } else {
            if return_bool {
                drop_name_later = true;
            }
            m.labels.clone()
        };
        if one_to_one {
            labels = if on {
                Labels::from_pairs(labels.iter().filter(|(n, _)| names.iter().any(|x| x == n)))
                    .unwrap_or_default()
            } else {
                Labels::from_pairs(labels.iter().filter(|(n, _)| !names.iter().any(|x| x == n)))
                    .unwrap_or_default()
            };
        } else {
            for name in &include {
                labels = with_label(&labels, name, o.labels.get(name).unwrap_or(""));
            }
        }
        if !seen_labels.insert(labels.clone()) {
            return Err(Error::Execution(
                "multiple matches for labels: grouping labels must ensure unique matches".into(),
            ));
        }
        out.push(Elem {
            labels,
            t: m.t,
            v,
            drop_name: drop_name_later,
        });
    }
    Ok(out)
}

fn group_labels(l: &Labels, on: bool, names: &[String]) -> String {
    let kept = Labels::from_pairs(l.iter().filter(|(n, _)| {
        if on {
            names.iter().any(|x| x == n)
        } else {
            *n != "__name__" && !names.iter().any(|x| x == n)
        }
    }))
    .unwrap_or_default();
    kept.to_string()
}
