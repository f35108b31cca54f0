//! What the runner reads from a query's text: experimental syntax to skip,
//! native-histogram functions, the metric names it selects, and the
//! `@`-modifier variants upstream's `atModifierTestCases` derives.

use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

use promql_parser::label::MatchOp;
use promql_parser::parser::{self, AtModifier, Expr, VectorSelector};
use regex::Regex;

/// Functions whose result can vary with the evaluation time even when their
/// arguments are step invariant (upstream's `AtModifierUnsafeFunctions`).
const AT_MODIFIER_UNSAFE_FUNCTIONS: &[&str] = &[
    "days_in_month",
    "day_of_month",
    "day_of_week",
    "day_of_year",
    "hour",
    "minute",
    "month",
    "year",
    "predict_linear",
    "time",
    "timestamp",
];

/// Calls of `start()`, `end()`, `range()` or `step()` (upstream's
/// `reQueryContextFuncs`): such instant queries are not re-run as range queries.
pub(crate) static QUERY_CONTEXT_FUNCS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(start|end|range|step)\(\)").unwrap());

static ANCHORED_SMOOTHED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(anchored|smoothed)\b").unwrap());
static FILL_MODIFIER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bfill(_left|_right)?\s*\(").unwrap());
static DURATION_FUNCS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b((step|range)\s*\(\s*\)|(min_of|max_of)\s*\()").unwrap());
static START_END_CALL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(start|end)\s*\(\s*\)").unwrap());
static OFFSET_EXPR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\boffset\s*-?\s*\(").unwrap());
static NATIVE_HISTOGRAM_FUNCS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bhistogram_(count|sum|avg|stddev|stdvar)\s*\(").unwrap());

/// The query with the contents of its string literals blanked out, so that
/// label values do not look like syntax.
fn strip_strings(expr: &str) -> String {
    let mut out = String::with_capacity(expr.len());
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in expr.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                    out.push(' ');
                } else if c == '\\' && q != '`' {
                    escaped = true;
                    out.push(' ');
                } else if c == q {
                    quote = None;
                    out.push(c);
                } else {
                    out.push(' ');
                }
            }
            None => {
                if matches!(c, '"' | '\'' | '`') {
                    quote = Some(c);
                }
                out.push(c);
            }
        }
    }
    out
}

/// The experimental feature the query uses, if any (upstream's test parser
/// enables them: duration expressions, `fill` modifiers of binary
/// operators, `anchored`/`smoothed` range selectors).
pub(crate) fn experimental_feature(expr: &str) -> Option<&'static str> {
    let s = strip_strings(expr);
    if s.contains("info(") && !s.contains("_info(") {
        return Some("the experimental info() function");
    }
    if ANCHORED_SMOOTHED.is_match(&s) {
        return Some("anchored/smoothed range selector modifiers");
    }
    if FILL_MODIFIER.is_match(&s) {
        return Some("fill modifiers of binary operators");
    }
    if DURATION_FUNCS.is_match(&s) || OFFSET_EXPR.is_match(&s) {
        return Some("duration expressions");
    }
    // start() / end() outside of `@ start()` / `@ end()`.
    for m in START_END_CALL.find_iter(&s) {
        if !s[..m.start()].trim_end().ends_with('@') {
            return Some("duration expressions");
        }
    }
    // Arithmetic inside a range or subquery bracket.
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            '+' | '-' | '*' | '/' | '%' | '^' | '(' | ')' if depth > 0 => {
                return Some("duration expressions");
            }
            _ => {}
        }
    }
    None
}

/// The query calls a function that only reads native histograms.
pub(crate) fn uses_native_histogram_function(expr: &str) -> bool {
    NATIVE_HISTOGRAM_FUNCS.is_match(&strip_strings(expr))
}

/// The metric names the query selects; `None` if it does not parse or has a
/// selector without a fixed name.
pub(crate) fn selected_names(expr: &str) -> Option<Vec<String>> {
    let ast = parser::parse(expr).ok()?;
    let mut names = Vec::new();
    let mut nameless = false;
    walk(&ast, &mut |e| {
        let vs = match e {
            Expr::VectorSelector(vs) => vs,
            Expr::MatrixSelector(ms) => &ms.vs,
            _ => return,
        };
        match selector_name(vs) {
            Some(n) => names.push(n),
            None => nameless = true,
        }
    });
    (!nameless).then_some(names)
}

/// Whether some selector of the query can select one of `series`: the
/// labels of the first such series; `Err` if the query does not parse.
pub(crate) fn selects_any<'a>(
    expr: &str,
    series: &'a [outpost_tsdb::Labels],
) -> Result<Option<&'a outpost_tsdb::Labels>, ()> {
    let ast = parser::parse(expr).map_err(|_| ())?;
    let mut sets = Vec::new();
    let mut bad = false;
    walk(&ast, &mut |e| {
        let vs = match e {
            Expr::VectorSelector(vs) => vs,
            Expr::MatrixSelector(ms) => &ms.vs,
            _ => return,
        };
        match crate::engine::convert_matchers(vs) {
            Ok(s) => sets.extend(s),
            Err(_) => bad = true,
        }
    });
    if bad {
        return Err(());
    }
    Ok(series.iter().find(|l| {
        sets.iter()
            .any(|set| set.iter().all(|m| m.matches(l.get(&m.name).unwrap_or(""))))
    }))
}

fn selector_name(vs: &VectorSelector) -> Option<String> {
    if let Some(n) = &vs.name {
        return Some(n.clone());
    }
    if !vs.matchers.or_matchers.is_empty() {
        return None;
    }
    vs.matchers
        .matchers
        .iter()
        .find(|m| m.name == "__name__" && matches!(m.op, MatchOp::Equal))
        .map(|m| m.value.clone())
}

fn children(e: &Expr) -> Vec<&Expr> {
    match e {
        Expr::Aggregate(a) => {
            let mut v = vec![a.expr.as_ref()];
            if let Some(p) = &a.param {
                v.push(p.as_ref());
            }
            v
        }
        Expr::Unary(u) => vec![u.expr.as_ref()],
        Expr::Binary(b) => vec![b.lhs.as_ref(), b.rhs.as_ref()],
        Expr::Paren(p) => vec![p.expr.as_ref()],
        Expr::Subquery(s) => vec![s.expr.as_ref()],
        Expr::Call(c) => c.args.args.iter().map(|a| a.as_ref()).collect(),
        _ => Vec::new(),
    }
}

fn walk<'a>(e: &'a Expr, f: &mut impl FnMut(&'a Expr)) {
    f(e);
    for c in children(e) {
        walk(c, f);
    }
}

/// Sets `@ t` on every selector and subquery that has no numeric `@` yet and
/// is not inside a subquery (whose own `@` then applies); notes whether an
/// `@`-unsafe function is called.
fn set_at(e: &mut Expr, at: &AtModifier, in_subquery: bool, unsafe_call: &mut bool) {
    let replace = |cur: &mut Option<AtModifier>| {
        if !matches!(cur, Some(AtModifier::At(_))) {
            *cur = Some(at.clone());
        }
    };
    match e {
        Expr::VectorSelector(vs) if !in_subquery => replace(&mut vs.at),
        Expr::MatrixSelector(ms) if !in_subquery => replace(&mut ms.vs.at),
        Expr::Subquery(sq) => {
            if !in_subquery {
                replace(&mut sq.at);
            }
            set_at(&mut sq.expr, at, true, unsafe_call);
        }
        Expr::Call(c) => {
            if AT_MODIFIER_UNSAFE_FUNCTIONS.contains(&c.func.name) {
                *unsafe_call = true;
            }
            for a in &mut c.args.args {
                set_at(a, at, in_subquery, unsafe_call);
            }
        }
        Expr::Aggregate(a) => {
            set_at(&mut a.expr, at, in_subquery, unsafe_call);
            if let Some(p) = &mut a.param {
                set_at(p, at, in_subquery, unsafe_call);
            }
        }
        Expr::Unary(u) => set_at(&mut u.expr, at, in_subquery, unsafe_call),
        Expr::Binary(b) => {
            set_at(&mut b.lhs, at, in_subquery, unsafe_call);
            set_at(&mut b.rhs, at, in_subquery, unsafe_call);
        }
        Expr::Paren(p) => set_at(&mut p.expr, at, in_subquery, unsafe_call),
        _ => {}
    }
}

/// Sorts the label matchers of every selector (the printer sorts them).
fn sort_matchers(e: &mut Expr) {
    let sort = |vs: &mut VectorSelector| {
        let key = |m: &promql_parser::label::Matcher| (m.name.clone(), m.to_string());
        vs.matchers.matchers.sort_by_key(key);
        for group in &mut vs.matchers.or_matchers {
            group.sort_by_key(key);
        }
    };
    match e {
        Expr::VectorSelector(vs) => sort(vs),
        Expr::MatrixSelector(ms) => sort(&mut ms.vs),
        Expr::Subquery(sq) => sort_matchers(&mut sq.expr),
        Expr::Call(c) => c.args.args.iter_mut().for_each(|a| sort_matchers(a)),
        Expr::Aggregate(a) => {
            sort_matchers(&mut a.expr);
            if let Some(p) = &mut a.param {
                sort_matchers(p);
            }
        }
        Expr::Unary(u) => sort_matchers(&mut u.expr),
        Expr::Binary(b) => {
            sort_matchers(&mut b.lhs);
            sort_matchers(&mut b.rhs);
        }
        Expr::Paren(p) => sort_matchers(&mut p.expr),
        _ => {}
    }
}

/// The printed form of `ast`, if it parses back to the same tree (up to
/// the order of label matchers).
fn round_trips(ast: &Expr) -> Option<String> {
    let printed = ast.to_string();
    let mut back = parser::parse(&printed).ok()?;
    let mut orig = ast.clone();
    sort_matchers(&mut back);
    sort_matchers(&mut orig);
    (back == orig).then_some(printed)
}

/// Upstream's `atModifierTestCases`: the query with `@ <eval time>` on its
/// selectors, evaluated at other times, must give the same result. Empty
/// when the query calls an `@`-unsafe function, or when it cannot be
/// rewritten faithfully here (it does not parse, or does not print back to
/// itself).
pub(crate) fn at_modifier_cases(expr: &str, eval_ms: i64) -> Vec<(String, i64)> {
    let Ok(mut ast) = parser::parse(expr) else {
        return Vec::new();
    };
    if round_trips(&ast).is_none() || eval_ms < 0 {
        return Vec::new();
    }
    let at = AtModifier::At(SystemTime::UNIX_EPOCH + Duration::from_millis(eval_ms as u64));
    let mut unsafe_call = false;
    set_at(&mut ast, &at, false, &mut unsafe_call);
    if unsafe_call {
        return Vec::new();
    }
    let Some(new_expr) = round_trips(&ast) else {
        return Vec::new();
    };
    let times: Vec<i64> = if eval_ms == 0 {
        vec![-1000, 0, 1000]
    } else {
        vec![
            eval_ms.saturating_mul(-10),
            0,
            eval_ms / 5,
            eval_ms,
            eval_ms.saturating_mul(10),
        ]
    };
    times.into_iter().map(|t| (new_expr.clone(), t)).collect()
}
