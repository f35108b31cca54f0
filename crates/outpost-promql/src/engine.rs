//! The evaluator: instant queries evaluate the AST at one time; range queries
//! evaluate it at every step. Selectors read each series once per query for
//! the whole time span they can need (a per-query cache keyed by the AST
//! node), then every step picks its samples by binary search.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use outpost_clock::Stopwatch;
use outpost_tsdb::{Labels, MatchType, Matcher, Tsdb, is_stale_nan};
use promql_parser::label::MatchOp;
use promql_parser::parser::{AtModifier, Expr, Offset, VectorSelector};

use crate::error::{Error, Result};
use crate::functions;
use crate::ops;
use crate::range_eval;
use crate::time::{at_ms, duration_ms, offset_ms, range_steps, system_time_ms};
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

/// Per-query controls for [`Engine::instant_with`] and [`Engine::range_with`]:
/// a cancellation flag shared by every clone, and an optional tighter timeout.
#[derive(Debug, Clone, Default)]
pub struct QueryContext {
    canceled: Arc<AtomicBool>,
    timeout: Option<Duration>,
}

impl QueryContext {
    /// A context that is not canceled and uses the engine's timeout.
    pub fn new() -> Self {
        Self::default()
    }

    /// The same context with a timeout; the query stops at the earlier of
    /// this and [`EngineOptions::timeout`].
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Asks the query (running or not yet started) to stop: it then fails
    /// with [`Error::Canceled`]. Every clone of the context shares the flag.
    pub fn cancel(&self) {
        self.canceled.store(true, Ordering::Relaxed);
    }

    /// Whether [`QueryContext::cancel`] was called.
    pub fn is_canceled(&self) -> bool {
        self.canceled.load(Ordering::Relaxed)
    }
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
    /// The element's sample value.
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

/// Per-query state: the selector cache, the time range, annotations, and
/// the limits (samples held, timeout, cancellation).
pub(crate) struct Ctx<'a> {
    pub(crate) engine: &'a Engine,
    pub(crate) start: i64,
    pub(crate) end: i64,
    /// The id of each selector node of the query's AST, by its address
    /// (stable while the query runs). Caches are keyed by these ids; a
    /// selector built during evaluation has none and is never cached, so
    /// no two selectors can share an entry.
    ids: HashMap<usize, usize>,
    /// Fetched series by selector id.
    cache: HashMap<usize, Fetched>,
    pub(crate) warnings: Vec<String>,
    pub(crate) infos: Vec<String>,
    /// Samples in the selector cache (held until the query ends).
    cached: usize,
    /// Samples of the intermediate and output values held now: a node's
    /// result adds its samples, its children's results are released then.
    held: usize,
    /// Most samples the query may hold at once.
    max_samples: usize,
    watch: Stopwatch,
    timeout: Duration,
    canceled: Arc<AtomicBool>,
    /// Calls of [`Ctx::tick`]; the clock is read every [`TICKS_PER_CHECK`].
    ticks: u32,
    /// Labels without `__name__`, per fetched series (selector id, index).
    pub(crate) unnamed: HashMap<(usize, usize), Labels>,
    /// The span of evaluation times of the node being evaluated (the query
    /// range, or a subquery's span).
    window: (i64, i64),
    /// Whether this is a range query (some functions warn then).
    pub(crate) range_query: bool,
}

/// How many [`Ctx::tick`] calls pass between two reads of the clock and of
/// the cancellation flag.
const TICKS_PER_CHECK: u32 = 256;

/// The stage Prometheus names in its timeout and cancellation errors.
const EVAL_STAGE: &str = "expression evaluation";

/// The samples a value holds (a scalar or string counts as one).
fn samples_of(v: &Val) -> usize {
    match v {
        Val::Scalar(_) | Val::Str(_) => 1,
        Val::Vector(v) => v.len(),
        Val::Matrix(m) => m.iter().map(|s| s.series.points.len()).sum(),
    }
}

/// Parses a series selector (`up{job="a"}`, also `{a="1" or b="2"}`) into
/// matcher sets, one per `or` branch, as the series and labels APIs take them.
pub fn parse_selector(s: &str) -> Result<Vec<Vec<Matcher>>> {
    let expr = parse_expr(s)?;
    match expr {
        Expr::VectorSelector(vs) => convert_matchers(&vs),
        _ => Err(Error::Parse(format!(
            "1:1: parse error: unexpected expression; expected a series selector, got {s:?}"
        ))),
    }
}

/// Parses a query. promql-parser panics on a number used as a duration that
/// `Duration` cannot hold (`m[1e300]`, `m offset NaN`): such a query is
/// refused as invalid instead of taking the caller down.
fn parse_expr(query: &str) -> Result<Expr> {
    match std::panic::catch_unwind(|| promql_parser::parser::parse(query)) {
        Ok(r) => r.map_err(|e| Error::Parse(e.trim().to_string())),
        Err(_) => Err(Error::Parse("duration out of range".into())),
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
        let expr = parse_expr(query)?;
        check_supported(&expr)?;
        Ok(expr)
    }

    /// Evaluates `query` at `t_ms`.
    pub fn instant(&self, query: &str, t_ms: i64) -> Result<Output> {
        self.instant_with(query, t_ms, &QueryContext::default())
    }

    /// Evaluates `query` at `t_ms` under `qc` (cancellation, timeout).
    pub fn instant_with(&self, query: &str, t_ms: i64, qc: &QueryContext) -> Result<Output> {
        let expr = Self::parse(query)?;
        let mut ctx = Ctx::new(self, &expr, t_ms, t_ms, qc);
        ctx.check_time()?;
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
        self.range_with(query, start_ms, end_ms, step_ms, &QueryContext::default())
    }

    /// Evaluates `query` at every step from `start_ms` to `end_ms` under
    /// `qc` (cancellation, timeout).
    pub fn range_with(
        &self,
        query: &str,
        start_ms: i64,
        end_ms: i64,
        step_ms: i64,
        qc: &QueryContext,
    ) -> Result<Output> {
        let nsteps = range_steps(start_ms, end_ms, step_ms)?;
        let expr = Self::parse(query)?;
        let mut ctx = Ctx::new(self, &expr, start_ms, end_ms, qc);
        ctx.range_query = true;
        ctx.check_time()?;
        // Every step lies in [start, end], but `i * step` alone may pass
        // i64::MAX when the span does: computed in i128.
        let steps: Vec<i64> = (0..nsteps as i128)
            .map(|i| {
                i64::try_from(i128::from(start_ms) + i * i128::from(step_ms)).unwrap_or(end_ms)
            })
            .collect();
        if range_eval::supported(&expr)
            && let Some(cols) = range_eval::eval(&mut ctx, &expr, &steps)?
        {
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
        let mut out: HashMap<Labels, Vec<(i64, f64)>> = HashMap::new();
        let mut order: Vec<Labels> = Vec::new();
        for &t in &steps {
            // The step's samples stay held in `out`: the output counts.
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
        Expr::VectorSelector(vs) => check_at(&vs.at),
        Expr::MatrixSelector(ms) => check_at(&ms.vs.at),
        Expr::Subquery(s) => {
            check_at(&s.at)?;
            check_supported(&s.expr)
        }
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

/// Numbers every selector node of `e` (a range selector's inner selector
/// included), by address.
fn selector_ids(e: &Expr, ids: &mut HashMap<usize, usize>) {
    let mut add = |vs: &VectorSelector| {
        let n = ids.len();
        ids.entry(vs as *const VectorSelector as usize).or_insert(n);
    };
    match e {
        Expr::VectorSelector(vs) => add(vs),
        Expr::MatrixSelector(ms) => add(&ms.vs),
        Expr::Aggregate(a) => {
            selector_ids(&a.expr, ids);
            if let Some(p) = &a.param {
                selector_ids(p, ids);
            }
        }
        Expr::Unary(u) => selector_ids(&u.expr, ids),
        Expr::Binary(b) => {
            selector_ids(&b.lhs, ids);
            selector_ids(&b.rhs, ids);
        }
        Expr::Paren(p) => selector_ids(&p.expr, ids),
        Expr::Subquery(s) => selector_ids(&s.expr, ids),
        Expr::Call(c) => {
            for a in &c.args.args {
                selector_ids(a, ids);
            }
        }
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

/// Rejects an `@` time whose milliseconds do not fit an i64, with the text
/// of Prometheus' parser error (the number shown is the time as
/// promql-parser kept it, saturated for literals past its range).
fn check_at(at: &Option<AtModifier>) -> Result<()> {
    if let Some(AtModifier::At(st)) = at
        && system_time_ms(st).is_none()
    {
        let secs = match st.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => d.as_secs_f64(),
            Err(e) => -e.duration().as_secs_f64(),
        };
        return Err(Error::Parse(format!(
            "timestamp out of bounds for @ modifier: {secs:.6}"
        )));
    }
    Ok(())
}

impl<'a> Ctx<'a> {
    fn new(engine: &'a Engine, expr: &Expr, start: i64, end: i64, qc: &QueryContext) -> Self {
        let mut ids = HashMap::new();
        selector_ids(expr, &mut ids);
        let timeout = match qc.timeout {
            Some(t) => t.min(engine.opts.timeout),
            None => engine.opts.timeout,
        };
        Ctx {
            engine,
            start,
            end,
            ids,
            cache: HashMap::new(),
            warnings: Vec::new(),
            infos: Vec::new(),
            cached: 0,
            held: 0,
            max_samples: engine.opts.max_samples,
            watch: Stopwatch::start(),
            timeout,
            canceled: qc.canceled.clone(),
            ticks: 0,
            unnamed: HashMap::new(),
            window: (start, end),
            range_query: false,
        }
    }

    /// Fails once the query holds more samples than allowed, ran past its
    /// timeout, or was canceled.
    pub(crate) fn check_limits(&self) -> Result<()> {
        self.check_samples()?;
        self.check_time()
    }

    fn check_samples(&self) -> Result<()> {
        if self.cached.saturating_add(self.held) > self.max_samples {
            return Err(Error::TooManySamples);
        }
        Ok(())
    }

    /// Fails once the query ran past its timeout or was canceled.
    pub(crate) fn check_time(&self) -> Result<()> {
        if self.canceled.load(Ordering::Relaxed) {
            return Err(Error::Canceled(EVAL_STAGE.into()));
        }
        if self.watch.elapsed() > self.timeout {
            return Err(Error::Timeout(EVAL_STAGE.into()));
        }
        Ok(())
    }

    /// One iteration of a loop that can run long: checks the timeout and
    /// the cancellation every [`TICKS_PER_CHECK`] calls.
    pub(crate) fn tick(&mut self) -> Result<()> {
        self.ticks = self.ticks.wrapping_add(1);
        if self.ticks.is_multiple_of(TICKS_PER_CHECK) {
            self.check_time()?;
        }
        Ok(())
    }

    /// Counts `n` more samples held by the value being built.
    pub(crate) fn hold(&mut self, n: usize) -> Result<()> {
        self.held = self.held.saturating_add(n);
        self.check_samples()
    }

    /// The samples held now (to restore with [`Ctx::release_to`]).
    pub(crate) fn held(&self) -> usize {
        self.held
    }

    /// Releases what was held since `mark` (values consumed or dropped).
    pub(crate) fn release_to(&mut self, mark: usize) {
        self.held = self.held.min(mark);
    }

    /// Whether `more` samples would pass the limit (checked before they are
    /// allocated).
    pub(crate) fn would_exceed(&self, more: u128) -> bool {
        let now = self.cached.saturating_add(self.held) as u128;
        now.saturating_add(more) > self.max_samples as u128
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
            Some(AtModifier::At(st)) => at_ms(st),
        };
        // Saturates past the i64 range, where no sample lies.
        at_t.saturating_sub(offset_ms(offset))
    }

    /// The id of a selector of the query's AST; `None` for one built
    /// during evaluation.
    pub(crate) fn selector_id(&self, vs: &VectorSelector) -> Option<usize> {
        self.ids
            .get(&(vs as *const VectorSelector as usize))
            .copied()
    }

    /// Every series of a selector with the samples it may need in this query
    /// (cached for the selectors of the query's AST).
    pub(crate) fn fetch(&mut self, vs: &VectorSelector, range_ms: i64) -> Result<Fetched> {
        let id = self.selector_id(vs);
        if let Some(c) = id.and_then(|id| self.cache.get(&id)) {
            return Ok(c.clone());
        }
        let off = offset_ms(&vs.offset);
        // Every time this node can be evaluated at lies in the current window
        // (saturating: a window past the i64 range selects nothing more).
        let (lo, hi) = match &vs.at {
            None => (
                self.window.0.saturating_sub(off),
                self.window.1.saturating_sub(off),
            ),
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
                self.tick()?;
                if !seen.insert(s.labels.clone()) {
                    continue;
                }
                let pts: Vec<(i64, f64)> = s.samples().collect();
                if id.is_some() {
                    // The cache holds these until the query ends.
                    self.cached = self.cached.saturating_add(pts.len());
                    self.check_samples()?;
                } else {
                    // Released with the value being evaluated.
                    self.hold(pts.len())?;
                }
                out.push((s.labels, pts));
            }
        }
        let arc = Arc::new(out);
        if let Some(id) = id {
            self.cache.insert(id, arc.clone());
        }
        Ok(arc)
    }

    /// Evaluates `e` at `t`. The result's samples are held (counted against
    /// the limit) until the caller releases them; its children's are
    /// released once it is built.
    pub(crate) fn eval(&mut self, e: &Expr, t: i64) -> Result<Val> {
        self.tick()?;
        let mark = self.held;
        let v = self.eval_node(e, t);
        self.release_to(mark);
        let v = v?;
        self.hold(samples_of(&v))?;
        Ok(v)
    }

    fn eval_node(&mut self, e: &Expr, t: i64) -> Result<Val> {
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
                // One allocation per step: most series have a sample.
                let mut out = Vec::with_capacity(data.len());
                // Saturates at i64::MIN, before every sample.
                let oldest = base.saturating_sub(lb);
                for (labels, pts) in data.iter() {
                    self.tick()?;
                    // Latest sample in (base - lookback, base].
                    let idx = pts.partition_point(|(ts, _)| *ts <= base);
                    if idx == 0 {
                        continue;
                    }
                    let (ts, v) = pts[idx - 1];
                    if ts <= oldest || is_stale_nan(v) {
                        continue;
                    }
                    out.push(Elem::new(labels.clone(), t, v));
                }
                Ok(Val::Vector(out))
            }
            Expr::MatrixSelector(ms) => {
                let range = duration_ms(ms.range);
                let data = self.fetch(&ms.vs, range)?;
                let base = self.base_time(&ms.vs.at, &ms.vs.offset, t);
                // Saturates at i64::MIN, before every sample.
                let first = base
                    .saturating_sub(range)
                    .saturating_sub(self.engine.left_adj());
                let mut out = Vec::new();
                for (labels, pts) in data.iter() {
                    self.tick()?;
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
                let range = duration_ms(sq.range);
                let step = sq
                    .step
                    .map(duration_ms)
                    .filter(|s| *s > 0)
                    .unwrap_or(self.engine.opts.default_subquery_step_ms)
                    .max(1);
                let base = self.base_time(&sq.at, &sq.offset, t);
                // Saturates at i64::MIN, before every sample.
                let from = base.saturating_sub(range);
                // First step strictly after `from`, aligned to absolute
                // multiples of the step (in i128: the alignment may leave
                // the i64 range at its ends).
                let (from_w, step_w) = (i128::from(from), i128::from(step));
                let mut first = from_w.div_euclid(step_w) * step_w;
                if first <= from_w - i128::from(self.engine.left_adj()) {
                    first += step_w;
                }
                let nsteps = if first > i128::from(base) {
                    0
                } else {
                    (i128::from(base) - first) / step_w + 1
                };
                // Each step yields at least a sample for most inner
                // expressions: a subquery with more steps than the limit is
                // refused before any point is allocated.
                if self.would_exceed(nsteps as u128) {
                    return Err(Error::TooManySamples);
                }
                // `first` lies in [from, base] here, an i64 range.
                let first = i64::try_from(first).unwrap_or(base);
                // The inner expression is evaluated over the whole span this
                // subquery can cover during the query.
                let inner = match &sq.at {
                    Some(_) => (from, base),
                    None => {
                        let off = offset_ms(&sq.offset);
                        (
                            self.window.0.saturating_sub(off).saturating_sub(range),
                            self.window.1.saturating_sub(off),
                        )
                    }
                };
                let prev = std::mem::replace(&mut self.window, inner);
                let mut acc: HashMap<Labels, Vec<(i64, f64)>> = HashMap::new();
                let mut order = Vec::new();
                let mut drops: HashMap<Labels, bool> = HashMap::new();
                let mut r = Ok(());
                for k in 0..nsteps {
                    // In [first, base], but `k * step` alone may pass
                    // i64::MAX when that span does: computed in i128.
                    let ts = i64::try_from(i128::from(first) + k * step_w).unwrap_or(base);
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
