//! Label functions (`label_replace`, `label_join`), sorting (`sort*`,
//! `sort_by_label*`), and `absent`/`absent_over_time`.

use outpost_tsdb::Labels;
use promql_parser::label::MatchOp;
use promql_parser::parser::{Call, Expr};
use regex::Regex;

use super::{arg, check_unique, range_arg, string, unparen, vector};
use crate::engine::{Ctx, Elem, Val};
use crate::error::{Error, Result};
use crate::ops::with_label;

/// Evaluates a label, sorting or `absent` function.
pub(super) fn call(ctx: &mut Ctx<'_>, c: &Call, t: i64) -> Result<Val> {
    let name = c.func.name;
    match name {
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
            if !valid_label_name(&dst) {
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
            if !valid_label_name(&dst) {
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
        other => Err(Error::Unsupported(format!("function {other}()"))),
    }
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

/// Natural order: digit runs compare as numbers (`cpu="2"` before `cpu="10"`).
pub(super) fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
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

/// Whether `s` is a valid label name (`[a-zA-Z_][a-zA-Z0-9_]*`).
fn valid_label_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
