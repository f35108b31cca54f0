//! The evaluator: instant queries evaluate the AST at one time; range queries
//! evaluate it at every step. Selectors read each series once per query for
//! the whole time span they can need (a per-query cache keyed by the AST
//! node), then every step picks its samples by binary search.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use outpost_clock::Stopwatch;
use outpost_tsdb::{Labels, MatchType, Matcher, Tsdb, is_stale_nan};
use promql_parser::label::MatchOp;
use promql_parser::parser::{AtModifier, Expr, Offset, VectorSelector};

use crate::error::{Error, Result};
use crate::functions;
use crate::ops;
use crate::range_eval;
use crate::value::{Sample, Series, Value};

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// How far back an instant selector looks for a sample (5m).
    pub lookback_ms: i64,
    /// Most samples a query may hold at once (50,000,000 as Prometheus).
    pub max_samples: usize,
    /// Longest a query may run (2m as Prometheus).
    pub timeout: Duration,
    /// Step of subqueries without one (the evaluation interval, 1m).
    pub default_subquery_step_ms: i64,
    /// Prometheus' `promql-delayed-name-removal` feature (off by default, as in
    /// Prometheus 3; upstream's test harness turns it on): operators and
    /// functions mark `__name__` for removal and the labels are dropped only
    /// when the query's result is built, so `__name__` can still be grouped
    /// on or copied by `label_replace` in between.
    pub delayed_name_removal: bool,
    /// Prometheus 2.x window boundaries: lookback and range windows include a
    /// sample exactly at their start (`[t - range, t]`) and subqueries start
    /// at the first step at or after their range's start. Prometheus 3 made
    /// them left-open; used by `outpost test rules --prometheus2` for test
    /// files written against promtool 2.x.
    pub prometheus2_windows: bool,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            lookback_ms: 5 * 60 * 1000,
            max_samples: 50_000_000,
            timeout: Duration::from_secs(120),
            default_subquery_step_ms: 60_000,
            delayed_name_removal: false,
            prometheus2_windows: false,
        }
    }
}

/// A query's result with its annotations.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// The value.
    pub value: Value,
    /// Warnings (PromQL annotations of the warning level).
    pub warnings: Vec<String>,
    /// Infos (PromQL annotations of the info level).
    pub infos: Vec<String>,
}

/// The PromQL engine over one TSDB.
#[derive(Debug, Clone)]
pub struct Engine {
    tsdb: Arc<Tsdb>,
    opts: EngineOptions,
}

/// One element of an instant vector during evaluation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Elem {
    /// Series labels.
    pub(crate) labels: Labels,
    /// Evaluation timestamp in ms.
    pub(crate) t: i64,
    /// Value.
    pub(crate) v: f64,
    /// Whether `__name__` (with `__type__` and `__unit__`) is to be dropped
    /// when the result is built (delayed name removal only).
    pub(crate) drop_name: bool,
}

impl Elem {
    /// An element whose name is kept.
    pub(crate) fn new(labels: Labels, t: i64, v: f64) -> Self {
        Elem {
            labels,
            t,
            v,
            drop_name: false,
        }
    }
}

/// One series of a range vector during evaluation, with its pending name drop.
#[derive(Debug, Clone)]
pub(crate) struct RSeries {
    /// Labels and points.
    pub(crate) series: Series,
    /// As [`Elem::drop_name`].
    pub(crate) drop_name: bool,
}

/// An intermediate value during evaluation at one time.
#[derive(Debug, Clone)]
pub(crate) enum Val {
    Scalar(f64),
    Str(String),
    Vector(Vec<Elem>),
    Matrix(Vec<RSeries>),
}

impl Val {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Val::Scalar(_) => "scalar",
            Val::Str(_) => "string",
            Val::Vector(_) => "instant vector",
            Val::Matrix(_) => "range vector",
        }
    }
}

/// A selector's series with every sample the query may need.
pub(crate) type Fetched = Arc<Vec<(Labels, Vec<(i64, f64)>)>>;

/// Per-query state: the selector cache, the time range, annotations.
pub(crate) struct Ctx<'a> {
    pub(crate) engine: &'a Engine,
    pub(crate) start: i64,
    pub(crate) end: i64,
    cache: HashMap<usize, Fetched>,
    pub(crate) warnings: Vec<String>,
    pub(crate) infos: Vec<String>,
    samples: usize,
    watch: Stopwatch,
    /// Labels without `__name__`, per fetched series (selector node, index).
    pub(crate) unnamed: HashMap<(usize, usize), Labels>,
    /// The span of evaluation times of the node being evaluated (the query
    /// range, or a subquery's span).
    window: (i64, i64),
    /// Whether this is a range query (some functions warn then).
    pub(crate) range_query: bool,
}

fn system_time_ms(t: &SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    }
}

fn offset_ms(o: &Option<Offset>) -> i64 {
    match o {
        None => 0,
        Some(Offset::Pos(d)) => d.as_millis() as i64,
        Some(Offset::Neg(d)) => -(d.as_millis() as i64),
    }
}

/// Parses a series selector (`up{job="a"}`, also `{a="1" or b="2"}`) into
/// matcher sets, one per `or` branch, as the series and labels APIs take them.
pub fn parse_selector(s: &str) -> Result<Vec<Vec<Matcher>>> {
    let expr = promql_parser::parser::parse(s).map_err(|e| Error::Parse(e.trim().to_string()))?;
    match expr {
        Expr::VectorSelector(vs) => convert_matchers(&vs),
        _ => Err(Error::Parse(format!(
            "1:1: parse error: unexpected expression; expected a series selector, got {s:?}"
        ))),
    }
}

/// A selector's matcher sets, one per `or` branch, with its metric name.
pub(crate) fn convert_matchers(vs: &VectorSelector) -> Result<Vec<Vec<Matcher>>> {
    let conv = |m: &promql_parser::label::Matcher| -> Result<Matcher> {
        let kind = match m.op {
            MatchOp::Equal => MatchType::Equal,
            MatchOp::NotEqual => MatchType::NotEqual,
            MatchOp::Re(_) => MatchType::Regex,
            MatchOp::NotRe(_) => MatchType::NotRegex,
        };
        Matcher::new(kind, m.name.clone(), m.value.clone()).map_err(Error::Parse)
    };
    let mut base: Vec<Matcher> = vs
        .matchers
        .matchers
        .iter()
        .map(conv)
        .collect::<Result<_>>()?;
    if let Some(n) = &vs.name
        && !base.iter().any(|m| m.name == "__name__")
    {
        base.push(Matcher::equal("__name__", n.clone()));
    }
    if vs.matchers.or_matchers.is_empty() {
        return Ok(vec![base]);
    }
    vs.matchers
        .or_matchers
        .iter()
        .map(|set| {
            let mut v: Vec<Matcher> = set.iter().map(conv).collect::<Result<_>>()?;
            v.extend(base.iter().cloned());
            Ok(v)
        })
        .collect()
}

impl Engine {
    /// An engine over `tsdb`.
    pub fn new(tsdb: Arc<Tsdb>, opts: EngineOptions) -> Self {
        Engine { tsdb, opts }
    }

    /// The engine's options.
    pub fn options(&self) -> &EngineOptions {
        &self.opts
    }

    /// How far a window's left bound moves so that `ts <= bound` excludes
    /// exactly the samples outside the window: 0 for Prometheus 3's
    /// left-open windows, 1 ms for Prometheus 2.x's closed ones.
    pub(crate) fn left_adj(&self) -> i64 {
        i64::from(self.opts.prometheus2_windows)
    }

    #[cfg(test)]
    pub(crate) fn tsdb_for_tests(&self) -> Arc<Tsdb> {
        self.tsdb.clone()
    }

    fn parse(query: &str) -> Result<Expr> {
        let expr =
            promql_parser::parser::parse(query).map_err(|e| Error::Parse(e.trim().to_string()))?;
        check_supported(&expr)?;
        Ok(expr)
    }

    /// Evaluates `query` at `t_ms`.
    pub fn instant(&self, query: &str, t_ms: i64) -> Result<Output> {
        let expr = Self::parse(query)?;
        let mut ctx = Ctx::new(self, t_ms, t_ms);
        let v = ctx.eval(&expr, t_ms)?;
        let value = match v {
            Val::Scalar(v) => Value::Scalar { t: t_ms, v },
            Val::Str(s) => Value::String { t: t_ms, v: s },
            Val::Vector(v) => {
                let mut s = finish_vector(v)?;
                if !preserves_order(&expr) {
                    s.sort_by(|a, b| a.labels.cmp(&b.labels));
                }
                Value::Vector(s)
            }
            Val::Matrix(m) => {
                let mut m = finish_matrix(m)?;
                m.sort_by(|a, b| a.labels.cmp(&b.labels));
                Value::Matrix(m)
            }
        };
        Ok(Output {
            value,
            warnings: ctx.warnings,
            infos: ctx.infos,
        })
    }

    /// Evaluates `query` at every step from `start_ms` to `end_ms`.
    pub fn range(&self, query: &str, start_ms: i64, end_ms: i64, step_ms: i64) -> Result<Output> {
        if step_ms <= 0 {
            return Err(Error::Parse("zero or negative query resolution step widths are not accepted. Try a positive integer".into()));
        }
        if end_ms < start_ms {
            return Err(Error::Parse(
                "end timestamp must not be before start time".into(),
            ));
        }
        if (end_ms - start_ms) / step_ms > 11_000 {
            return Err(Error::Parse("exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)".into()));
        }
        let expr = Self::parse(query)?;
        let mut ctx = Ctx::new(self, start_ms, end_ms);
        ctx.range_query = true;
        if range_eval::supported(&expr) {
            let steps: Vec<i64> = (0..=(end_ms - start_ms) / step_ms)
                .map(|i| start_ms + i * step_ms)
                .collect();
            if let Some(cols) = range_eval::eval(&mut ctx, &expr, &steps)? {
                let m = cols
                    .into_iter()
                    .map(|c| RSeries {
                        series: Series {
                            labels: c.labels,
                            points: steps
                                .iter()
                                .zip(c.vals)
                                .filter_map(|(&t, v)| v.map(|v| (t, v)))
                                .collect(),
                        },
                        drop_name: c.drop_name,
                    })
                    .collect();
                let mut series = finish_matrix(m)?;
                series.sort_by(|a, b| a.labels.cmp(&b.labels));
                return Ok(Output {
                    value: Value::Matrix(series),
                    warnings: ctx.warnings,
                    infos: ctx.infos,
                });
            }
        }
        let mut out: HashMap<Labels, Vec<(i64, f64)>> = HashMap::new();
        let mut order: Vec<Labels> = Vec::new();
        let mut t = start_ms;
        while t <= end_ms {
            match ctx.eval(&expr, t)? {
                Val::Scalar(v) => push_point(&mut out, &mut order, Labels::default(), t, v),
                Val::Vector(samples) => {
                    for s in finish_vector(samples)? {
                        push_point(&mut out, &mut order, s.labels, t, s.v);
                    }
                }
                other => {
                    return Err(Error::Parse(format!(
                        "invalid expression type \"{}\" for range query, must be Scalar or instant Vector",
                        other.kind()
                    )));
                }
            }
            ctx.check_limits()?;
            t += step_ms;
        }
        let mut series: Vec<Series> = order
            .into_iter()
            .map(|l| {
                let points = out.remove(&l).unwrap_or_default();
                Series { labels: l, points }
            })
            .collect();
        series.sort_by(|a, b| a.labels.cmp(&b.labels));
        Ok(Output {
            value: Value::Matrix(series),
            warnings: ctx.warnings,
            infos: ctx.infos,
        })
    }
}

/// The result vector: pending name drops applied, then every label set unique.
fn finish_vector(v: Vec<Elem>) -> Result<Vec<Sample>> {
    let any_drop = v.iter().any(|e| e.drop_name);
    let out: Vec<Sample> = v
        .into_iter()
        .map(|e| Sample {
            labels: if e.drop_name {
                ops::drop_name(&e.labels)
            } else {
                e.labels
            },
            t: e.t,
            v: e.v,
        })
        .collect();
    if any_drop {
        let mut seen = std::collections::HashSet::with_capacity(out.len());
        if !out.iter().all(|s| seen.insert(&s.labels)) {
            return Err(duplicate_labelset());
        }
    }
    Ok(out)
}

/// The result matrix: pending name drops applied; series that end up with
/// the same labels are merged when their points do not collide.
fn finish_matrix(m: Vec<RSeries>) -> Result<Vec<Series>> {
    if !m.iter().any(|s| s.drop_name) {
        return Ok(m.into_iter().map(|s| s.series).collect());
    }
    let mut out: Vec<Series> = Vec::with_capacity(m.len());
    let mut index: HashMap<Labels, usize> = HashMap::new();
    for s in m {
        let labels = if s.drop_name {
            ops::drop_name(&s.series.labels)
        } else {
            s.series.labels
        };
        match index.get(&labels) {
            Some(&i) => {
                let into = &mut out[i].points;
                for p in s.series.points {
                    if into.iter().any(|q| q.0 == p.0) {
                        return Err(duplicate_labelset());
                    }
                    into.push(p);
                }
                into.sort_by_key(|p| p.0);
            }
            None => {
                index.insert(labels.clone(), out.len());
                out.push(Series {
                    labels,
                    points: s.series.points,
                });
            }
        }
    }
    Ok(out)
}

pub(crate) fn duplicate_labelset() -> Error {
    Error::Execution("vector cannot contain metrics with the same labelset".into())
}

fn push_point(
    out: &mut HashMap<Labels, Vec<(i64, f64)>>,
    order: &mut Vec<Labels>,
    l: Labels,
    t: i64,
    v: f64,
) {
    match out.get_mut(&l) {
        Some(p) => p.push((t, v)),
        None => {
            order.push(l.clone());
            out.insert(l, vec![(t, v)]);
        }
    }
}

/// Whether the result order of an instant query is meaningful (sort functions, topk...).
fn preserves_order(e: &Expr) -> bool {
    match e {
        Expr::Paren(p) => preserves_order(&p.expr),
        Expr::Call(c) => c.func.name.starts_with("sort"),
        Expr::Aggregate(a) => matches!(a.op.to_string().as_str(), "topk" | "bottomk"),
        _ => false,
    }
}

/// Rejects what Outpost does not evaluate, before evaluation starts.
fn check_supported(e: &Expr) -> Result<()> {
    match e {
        Expr::Aggregate(a) => {
            check_supported(&a.expr)?;
            if let Some(p) = &a.param {
                check_supported(p)?;
            }
            Ok(())
        }
        Expr::Unary(u) => check_supported(&u.expr),
        Expr::Binary(b) => {
            if let Some(m) = &b.modifier
                && (m.fill_values.lhs.is_some() || m.fill_values.rhs.is_some())
            {
                return Err(Error::Unsupported(
                    "fill modifiers (experimental syntax)".into(),
                ));
            }
            check_supported(&b.lhs)?;
            check_supported(&b.rhs)
        }
        Expr::Paren(p) => check_supported(&p.expr),
        Expr::Subquery(s) => check_supported(&s.expr),
        Expr::Call(c) => {
            if c.func.name.starts_with("histogram_")
                && !matches!(
                    c.func.name,
                    "histogram_quantile" | "histogram_quantiles" | "histogram_fraction"
                )
            {
                return Err(Error::Unsupported(format!(
                    "native histogram function {}()",
                    c.func.name
                )));
            }
            if matches!(c.func.name, "info") {
                return Err(Error::Unsupported(
                    "the experimental info() function".into(),
                ));
            }
            for a in &c.args.args {
                check_supported(a)?;
            }
            Ok(())
        }
        Expr::Extension(_) => Err(Error::Unsupported("extension expressions".into())),
        _ => Ok(()),
    }
}

impl<'a> Ctx<'a> {
    fn new(engine: &'a Engine, start: i64, end: i64) -> Self {
        Ctx {
            engine,
            start,
            end,
            cache: HashMap::new(),
            warnings: Vec::new(),
            infos: Vec::new(),
            samples: 0,
            watch: Stopwatch::start(),
            unnamed: HashMap::new(),
            window: (start, end),
            range_query: false,
        }
    }

    pub(crate) fn check_limits(&self) -> Result<()> {
        if self.samples > self.engine.opts.max_samples {
            return Err(Error::TooManySamples);
        }
        if self.watch.elapsed() > self.engine.opts.timeout {
            return Err(Error::Timeout("query execution".into()));
        }
        Ok(())
    }

    /// Drops `__name__` (and `__type__`, `__unit__`) from an element now, or
    /// marks it for removal at the end under delayed name removal.
    pub(crate) fn drop_name(&self, e: &mut Elem) {
        if self.engine.opts.delayed_name_removal {
            e.drop_name = true;
        } else {
            e.labels = ops::drop_name(&e.labels);
        }
    }

    /// Whether name removal is delayed to the end of the query.
    pub(crate) fn delayed(&self) -> bool {
        self.engine.opts.delayed_name_removal
    }

    pub(crate) fn warn(&mut self, w: String) {
        if !self.warnings.contains(&w) {
            self.warnings.push(w);
        }
    }

    pub(crate) fn info(&mut self, w: String) {
        if !self.infos.contains(&w) {
            self.infos.push(w);
        }
    }

    /// The time a selector or subquery reads at, after `@` and `offset`.
    pub(crate) fn base_time(
        &self,
        at: &Option<AtModifier>,
        offset: &Option<Offset>,
        t: i64,
    ) -> i64 {
        let at_t = match at {
            None => t,
            Some(AtModifier::Start) => self.start,
            Some(AtModifier::End) => self.end,
            Some(AtModifier::At(st)) => system_time_ms(st),
        };
        at_t - offset_ms(offset)
    }

    /// Every series of a selector with the samples it may need in this query.
    pub(crate) fn fetch(&mut self, vs: &VectorSelector, range_ms: i64) -> Result<Fetched> {
        let key = vs as *const VectorSelector as usize;
        if let Some(c) = self.cache.get(&key) {
            return Ok(c.clone());
        }
        let off = offset_ms(&vs.offset);
        // Every time this node can be evaluated at lies in the current window.
        let (lo, hi) = match &vs.at {
            None => (self.window.0 - off, self.window.1 - off),
            Some(_) => {
                let b = self.base_time(&vs.at, &vs.offset, self.start);
                (b, b)
            }
        };
        let mint = lo
            .saturating_sub(range_ms.max(self.engine.opts.lookback_ms))
            .saturating_sub(self.engine.left_adj());
        let maxt = hi;
        let sets = convert_matchers(vs)?;
        let mut out: Vec<(Labels, Vec<(i64, f64)>)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for set in &sets {
            for s in self.engine.tsdb.select(set, mint, maxt) {
                if !seen.insert(s.labels.clone()) {
                    continue;
                }
                let pts: Vec<(i64, f64)> = s.samples().collect();
                self.samples += pts.len();
                out.push((s.labels, pts));
            }
        }
        self.check_limits()?;
        let arc = Arc::new(out);
        self.cache.insert(key, arc.clone());
        Ok(arc)
    }

    pub(crate) fn eval(&mut self, e: &Expr, t: i64) -> Result<Val> {
        match e {
            Expr::NumberLiteral(n) => Ok(Val::Scalar(n.val)),
            Expr::StringLiteral(s) => Ok(Val::Str(s.val.clone())),
            Expr::Paren(p) => self.eval(&p.expr, t),
            Expr::Unary(u) => match self.eval(&u.expr, t)? {
                Val::Scalar(v) => Ok(Val::Scalar(-v)),
                Val::Vector(mut s) => {
                    let mut seen = std::collections::HashSet::new();
                    for x in &mut s {
                        x.v = -x.v;
                        self.drop_name(x);
                        if !seen.insert(x.labels.clone()) {
                            return Err(duplicate_labelset());
                        }
                    }
                    Ok(Val::Vector(s))
                }
                other => Err(Error::Execution(format!(
                    "unary expression only allowed on expressions of type scalar or instant vector, got {:?}",
                    other.kind()
                ))),
            },
            Expr::VectorSelector(vs) => {
                let data = self.fetch(vs, 0)?;
                let base = self.base_time(&vs.at, &vs.offset, t);
                let lb = self.engine.opts.lookback_ms + self.engine.left_adj();
                let mut out = Vec::new();
                for (labels, pts) in data.iter() {
                    // Latest sample in (base - lookback, base].
                    let idx = pts.partition_point(|(ts, _)| *ts <= base);
                    if idx == 0 {
                        continue;
                    }
                    let (ts, v) = pts[idx - 1];
                    if ts <= base - lb || is_stale_nan(v) {
                        continue;
                    }
                    out.push(Elem::new(labels.clone(), t, v));
                }
                Ok(Val::Vector(out))
            }
            Expr::MatrixSelector(ms) => {
                let range = ms.range.as_millis() as i64;
                let data = self.fetch(&ms.vs, range)?;
                let base = self.base_time(&ms.vs.at, &ms.vs.offset, t);
                let mut out = Vec::new();
                for (labels, pts) in data.iter() {
                    let first = base - range - self.engine.left_adj();
                    let lo = pts.partition_point(|(ts, _)| *ts <= first);
                    let hi = pts.partition_point(|(ts, _)| *ts <= base);
                    let points: Vec<(i64, f64)> = pts[lo..hi]
                        .iter()
                        .copied()
                        .filter(|(_, v)| !is_stale_nan(*v))
                        .collect();
                    if points.is_empty() {
                        continue;
                    }
                    out.push(RSeries {
                        series: Series {
                            labels: labels.clone(),
                            points,
                        },
                        drop_name: false,
                    });
                }
                Ok(Val::Matrix(out))
            }
            Expr::Subquery(sq) => {
                let range = sq.range.as_millis() as i64;
                let step = sq
                    .step
                    .map(|d| d.as_millis() as i64)
                    .filter(|s| *s > 0)
                    .unwrap_or(self.engine.opts.default_subquery_step_ms);
                let base = self.base_time(&sq.at, &sq.offset, t);
                let from = base - range;
                // First step strictly after `from`, aligned to absolute multiples of the step.
                let mut ts = from.div_euclid(step) * step;
                if ts <= from - self.engine.left_adj() {
                    ts += step;
                }
                // The inner expression is evaluated over the whole span this
                // subquery can cover during the query.
                let inner = match &sq.at {
                    Some(_) => (base - range, base),
                    None => {
                        let off = offset_ms(&sq.offset);
                        (self.window.0 - off - range, self.window.1 - off)
                    }
                };
                let prev = std::mem::replace(&mut self.window, inner);
                let mut acc: HashMap<Labels, Vec<(i64, f64)>> = HashMap::new();
                let mut order = Vec::new();
                let mut drops: HashMap<Labels, bool> = HashMap::new();
                let mut r = Ok(());
                while ts <= base {
                    match self.eval(&sq.expr, ts) {
                        Ok(Val::Vector(s)) => {
                            for x in s {
                                if x.drop_name {
                                    drops.insert(x.labels.clone(), true);
                                }
                                push_point(&mut acc, &mut order, x.labels, ts, x.v);
                            }
                        }
                        Ok(Val::Scalar(v)) => {
                            push_point(&mut acc, &mut order, Labels::default(), ts, v)
                        }
                        Ok(other) => {
                            r = Err(Error::Parse(format!(
                                "subquery is only allowed on instant vector, got {:?}",
                                other.kind()
                            )));
                            break;
                        }
                        Err(e) => {
                            r = Err(e);
                            break;
                        }
                    }
                    ts += step;
                }
                self.window = prev;
                r?;
                Ok(Val::Matrix(
                    order
                        .into_iter()
                        .map(|l| {
                            let points = acc.remove(&l).unwrap_or_default();
                            let drop_name = drops.contains_key(&l);
                            RSeries {
                                series: Series { labels: l, points },
                                drop_name,
                            }
                        })
                        .collect(),
                ))
            }
            Expr::Binary(b) => ops::binary(self, b, t),
            Expr::Aggregate(a) => crate::aggregate::aggregate(self, a, t),
            Expr::Call(c) => functions::call(self, c, t),
            Expr::Extension(_) => Err(Error::Unsupported("extension expressions".into())),
        }
    }
}
