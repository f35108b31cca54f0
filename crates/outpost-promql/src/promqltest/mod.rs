//! A runner for Prometheus' PromQL test scripts (the `.test` files of
//! `promql/promqltest/testdata`), against Outpost's [`Engine`].
//!
//! A script is a sequence of commands separated by blank lines (`#` starts a
//! comment line):
//!
//! - `load <step>` followed by series lines `metric{labels} values...` in the
//!   expanding notation (`1+2x3` is `1 3 5 7`, `1x2` is `1 1 1`, `_` a gap,
//!   `_x3` three gaps, `stale` a staleness marker), positions `<step>` apart
//!   from time 0; native histogram values `{{...}}`, the native histograms
//!   `load_with_nhcb` derives from classic ones and start timestamps (`@st`
//!   lines) are not stored, so evaluations with a selector that can reach
//!   one of those series are skipped;
//! - `clear`: a fresh storage and engine;
//! - `eval instant at <time> <expr>` and `eval range from <t> to <t> step <d>
//!   <expr>`, with the older spellings `eval_fail`, `eval_ordered`,
//!   `eval_warn`, `eval_info`, then expectation lines: `expect fail|ordered|
//!   warn|no_warn|info|no_info` (with `msg: ...` or `regex: ...`),
//!   `expect range vector from <t> to <t> step <d>`, `expect string "..."`,
//!   `expected_fail_message ...`/`expected_fail_regexp ...` (after
//!   `eval_fail`), a bare number (a scalar) or `{labels} values...`.
//!
//! Results are compared as upstream's `test.go` does: the same set of series
//! (in order only for ordered evaluations), values within a relative 1e-6
//! (NaN equal to NaN, the staleness marker only to itself). Every instant
//! evaluation is also run with `@ <time>` on its selectors at other times,
//! and as a range query around its time, and must agree. The engine runs with
//! upstream's test-engine settings, delayed name removal included.
//!
//! Evaluations are skipped (not failed) when they use experimental syntax
//! (duration expressions, `fill` modifiers, `anchored`/`smoothed`),
//! native-histogram functions, data Outpost cannot store (native histograms,
//! start timestamps), or when the engine answers [`Error::Unsupported`].

mod compare;
mod expr;
mod parse;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use outpost_tsdb::{HeadOptions, Labels, Tsdb};

use crate::engine::{Engine, EngineOptions, Output};
use crate::error::Error;
use crate::value::{Sample, Value};
use compare::{assert_matrix_sorted, compare_result};
use parse::{Cmd, Command, EvalCmd, ExpectMatch, LoadCmd, SeqValue};

/// The outcome of running one or more scripts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Evaluations that passed.
    pub passed: usize,
    /// Evaluations (and commands) that failed.
    pub failed: usize,
    /// Evaluations skipped as unsupported.
    pub skipped: usize,
    /// How many evaluations were skipped for each reason.
    pub skip_reasons: std::collections::BTreeMap<String, usize>,
    /// One line per failure: `file.test:123: message`.
    pub failures: Vec<String>,
}

impl Summary {
    /// Adds the counts and failures of `other`.
    pub fn merge(&mut self, other: Summary) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
        for (reason, n) in other.skip_reasons {
            *self.skip_reasons.entry(reason).or_default() += n;
        }
        self.failures.extend(other.failures);
    }

    /// Whether nothing failed.
    pub fn is_success(&self) -> bool {
        self.failed == 0
    }
}

impl fmt::Display for Summary {
    /// The failures, one a line, then `N passed, M failed, K skipped`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in &self.failures {
            writeln!(f, "{line}")?;
        }
        write!(
            f,
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        )
    }
}

/// Runs the script at `path` (failures are reported under its path).
pub fn run_file(path: &Path) -> std::io::Result<Summary> {
    run_file_with(path, false)
}

/// Like [`run_file`]; with `prometheus2`, as Prometheus 2.x's test engine
/// evaluates (closed window boundaries, no delayed name removal), for the
/// scripts of a 2.x release.
pub fn run_file_with(path: &Path, prometheus2: bool) -> std::io::Result<Summary> {
    let text = std::fs::read_to_string(path)?;
    Ok(run_script_with(
        &path.display().to_string(),
        &text,
        prometheus2,
    ))
}

/// Runs a script; `name` prefixes the failure lines.
pub fn run_script(name: &str, text: &str) -> Summary {
    run_script_with(name, text, false)
}

/// Like [`run_script`], optionally with Prometheus 2.x semantics.
pub fn run_script_with(name: &str, text: &str, prometheus2: bool) -> Summary {
    let mut summary = Summary::default();
    let opts = engine_options(prometheus2);
    for r in run_detailed(text, |tsdb| Engine::new(tsdb, opts.clone())) {
        match r.outcome {
            Outcome::Pass => summary.passed += 1,
            Outcome::Skip(reason) => {
                summary.skipped += 1;
                *summary.skip_reasons.entry(reason).or_default() += 1;
            }
            Outcome::Fail(msg) => {
                summary.failed += 1;
                summary.failures.push(format!("{name}:{}: {msg}", r.line));
            }
        }
    }
    summary
}

/// The engine settings of upstream's test engine: 5m lookback, 10,000
/// samples a query at most (`DefaultMaxSamplesPerQuery`), 100s timeout,
/// 1m default subquery step, delayed name removal on
/// (`EnableDelayedNameRemoval: true` in upstream's `NewTestEngine`).
fn engine_options(prometheus2: bool) -> EngineOptions {
    EngineOptions {
        lookback_ms: 5 * 60 * 1000,
        max_samples: 10_000,
        timeout: Duration::from_secs(100),
        delayed_name_removal: !prometheus2,
        prometheus2_windows: prometheus2,
        ..EngineOptions::default()
    }
}

/// What the runner needs of an engine (the real [`Engine`], or a fake in
/// the runner's own tests).
pub(crate) trait Querier {
    /// An instant query at `t` (ms).
    fn instant(&self, query: &str, t: i64) -> crate::Result<Output>;
    /// A range query.
    fn range(&self, query: &str, start: i64, end: i64, step: i64) -> crate::Result<Output>;
}

impl Querier for Engine {
    fn instant(&self, query: &str, t: i64) -> crate::Result<Output> {
        Engine::instant(self, query, t)
    }

    fn range(&self, query: &str, start: i64, end: i64, step: i64) -> crate::Result<Output> {
        Engine::range(self, query, start, end, step)
    }
}

/// The outcome of one command.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    /// The result matched the expectation.
    Pass,
    /// Failed, with the message.
    Fail(String),
    /// Skipped, with the reason.
    Skip(String),
}

/// The outcome of the command at `line` (1-based).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CmdResult {
    /// The line.
    pub(crate) line: usize,
    /// The outcome.
    pub(crate) outcome: Outcome,
}

/// Runs a script with engines made by `make`; one result per evaluation
/// and per command that failed (an unparsable command, a failed load).
pub(crate) fn run_detailed<Q: Querier>(
    text: &str,
    make: impl Fn(Arc<Tsdb>) -> Q,
) -> Vec<CmdResult> {
    let mut runner = Runner::new(make);
    let mut results = Vec::new();
    for Cmd { line, command } in parse::parse_script(text) {
        let outcome = match &command {
            Command::Clear => {
                runner.clear();
                continue;
            }
            Command::Invalid(msg) => Outcome::Fail(msg.clone()),
            Command::Load(load) => match runner.load(load) {
                Ok(()) => continue,
                Err(msg) => Outcome::Fail(msg),
            },
            Command::Eval(ev) => runner.eval(ev),
        };
        results.push(CmdResult { line, outcome });
    }
    results
}

/// Why an evaluation stopped early.
enum Stop {
    Fail(String),
    Skip(String),
}

impl From<String> for Stop {
    fn from(s: String) -> Self {
        Stop::Fail(s)
    }
}

/// The state of a running script: the storage, its engine, and the metric
/// names whose data could not be loaded faithfully.
struct Runner<Q, F> {
    make: F,
    tsdb: Arc<Tsdb>,
    engine: Q,
    /// Metric names with native histogram samples or start timestamps.
    unsupported: HashSet<String>,
    /// The series behind `unsupported`: the loaded ones with native histogram
    /// samples or start timestamps, and the native histograms
    /// `load_with_nhcb` derives (base name, no `le`).
    unsupported_series: Vec<Labels>,
}

impl<Q: Querier, F: Fn(Arc<Tsdb>) -> Q> Runner<Q, F> {
    fn new(make: F) -> Self {
        let tsdb = Arc::new(Tsdb::new(HeadOptions::default()));
        let engine = make(tsdb.clone());
        Runner {
            make,
            tsdb,
            engine,
            unsupported: HashSet::new(),
            unsupported_series: Vec::new(),
        }
    }

    fn clear(&mut self) {
        self.tsdb = Arc::new(Tsdb::new(HeadOptions::default()));
        self.engine = (self.make)(self.tsdb.clone());
        self.unsupported.clear();
        self.unsupported_series.clear();
    }

    fn load(&mut self, load: &LoadCmd) -> Result<(), String> {
        let mut app = self.tsdb.appender();
        for s in &load.series {
            let name = s.desc.labels.metric_name().unwrap_or_default().to_string();
            if s.desc.histogram || s.start_timestamps {
                self.unsupported.insert(name.clone());
                self.unsupported_series.push(s.desc.labels.clone());
            }
            if load.with_nhcb
                && let Some(base) = ["_bucket", "_count", "_sum"]
                    .iter()
                    .find_map(|suffix| name.strip_suffix(suffix))
            {
                self.unsupported.insert(base.to_string());
                let derived =
                    Labels::from_pairs(s.desc.labels.iter().filter_map(|(n, v)| match n {
                        "le" => None,
                        "__name__" => Some((n, base)),
                        _ => Some((n, v)),
                    }))
                    .unwrap_or_default();
                self.unsupported_series.push(derived);
            }
            if s.desc.histogram {
                continue;
            }
            for (i, v) in s.desc.values.iter().enumerate() {
                if let SeqValue::Value(f) = v {
                    let t = (i as i64).saturating_mul(load.step_ms);
                    app.append_labels(&s.desc.labels, t, *f)
                        .map_err(|e| format!("load of {} at t={t}: {e}", s.desc.labels))?;
                }
            }
        }
        Ok(())
    }

    fn eval(&self, ev: &EvalCmd) -> Outcome {
        if ev.expects_histogram {
            return Outcome::Skip("expects native histogram values".into());
        }
        if let Some(feature) = expr::experimental_feature(&ev.expr) {
            return Outcome::Skip(format!("experimental: {feature}"));
        }
        if expr::uses_native_histogram_function(&ev.expr) {
            return Outcome::Skip("native histogram function".into());
        }
        if !self.unsupported.is_empty() {
            // Only evaluations whose selectors can reach such a series are skipped.
            match expr::selects_any(&ev.expr, &self.unsupported_series) {
                Ok(None) => {}
                Ok(Some(l)) => {
                    return Outcome::Skip(format!(
                        "selects {}, loaded with native histograms or start timestamps",
                        l.metric_name().unwrap_or("")
                    ));
                }
                Err(()) => match expr::selected_names(&ev.expr) {
                    Some(names) => {
                        if let Some(n) = names.iter().find(|n| self.unsupported.contains(*n)) {
                            return Outcome::Skip(format!(
                                "selects {n}, loaded with native histograms or start timestamps"
                            ));
                        }
                    }
                    None => {
                        return Outcome::Skip(
                            "selects unnamed series while native histograms or start timestamps \
                         are loaded"
                                .into(),
                        );
                    }
                },
            }
        }
        let res = if ev.is_range {
            self.exec_range(ev)
        } else {
            self.exec_instant(ev)
        };
        match res {
            Ok(()) => Outcome::Pass,
            Err(Stop::Fail(m)) => Outcome::Fail(m),
            Err(Stop::Skip(m)) => Outcome::Skip(m),
        }
    }

    /// Runs a query, turning `Unsupported` into a skip and a panic into a failure.
    fn query(
        &self,
        what: &str,
        f: impl FnOnce(&Q) -> crate::Result<Output>,
    ) -> Result<crate::Result<Output>, Stop> {
        match catch_unwind(AssertUnwindSafe(|| f(&self.engine))) {
            Ok(Err(Error::Unsupported(m))) => Err(Stop::Skip(format!("unsupported: {m}"))),
            Ok(r) => Ok(r),
            Err(p) => {
                let msg = p
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "non-string panic".into());
                Err(Stop::Fail(format!("engine panicked on {what}: {msg}")))
            }
        }
    }

    fn exec_range(&self, ev: &EvalCmd) -> Result<(), Stop> {
        let what = format!(
            "range query {:?} from {} to {} step {}",
            ev.expr,
            fmt_ms(ev.start),
            fmt_ms(ev.end),
            fmt_ms(ev.step)
        );
        let res = self.query(&what, |e| e.range(&ev.expr, ev.start, ev.end, ev.step))?;
        let out = match res {
            Err(e) if ev.is_fail() => return check_expected_failure(ev, &e.to_string(), &what),
            Err(e) => return Err(Stop::Fail(format!("error evaluating {what}: {e}"))),
            Ok(out) => out,
        };
        if ev.is_fail() {
            return Err(Stop::Fail(format!(
                "expected error evaluating {what} but got none"
            )));
        }
        check_annotations(ev, &out, &what)?;
        compare_result(ev, &out.value).map_err(|e| Stop::Fail(format!("{e} ({what})")))
    }

    fn exec_instant(&self, ev: &EvalCmd) -> Result<(), Stop> {
        let mut queries = vec![(ev.expr.clone(), ev.eval)];
        queries.extend(expr::at_modifier_cases(&ev.expr, ev.eval));
        for (q, t) in &queries {
            self.run_instant(ev, q, *t)?;
        }
        Ok(())
    }

    fn run_instant(&self, ev: &EvalCmd, q: &str, t: i64) -> Result<(), Stop> {
        let what = format!("instant query {q:?} at {}", fmt_ms(t));
        let res = self.query(&what, |e| e.instant(q, t))?;
        let out = match res {
            Err(e) if ev.is_fail() => return check_expected_failure(ev, &e.to_string(), &what),
            Err(e) => return Err(Stop::Fail(format!("error evaluating {what}: {e}"))),
            Ok(out) => out,
        };
        if ev.is_fail() {
            return Err(Stop::Fail(format!(
                "expected error evaluating {what} but got none"
            )));
        }
        check_annotations(ev, &out, &what)?;
        compare_result(ev, &out.value).map_err(|e| Stop::Fail(format!("{e} ({what})")))?;

        // The same query as a range query around `t` must agree at `t`.
        if ev.exclude_from_range_query || expr::QUERY_CONTEXT_FUNCS.is_match(q) {
            return Ok(());
        }
        let (start, end, step) = (t.saturating_sub(60_000), t.saturating_add(60_000), 60_000);
        let what = format!(
            "{what} in range mode (from {} to {} step 1m)",
            fmt_ms(start),
            fmt_ms(end)
        );
        let range = match self.query(&what, |e| e.range(q, start, end, step))? {
            Ok(r) => r,
            Err(e) => return Err(Stop::Fail(format!("error evaluating {what}: {e}"))),
        };
        if ev.is_ordered() {
            // Range results are sorted by labels: the order cannot be checked.
            return Ok(());
        }
        let Value::Matrix(m) = &range.value else {
            return Err(Stop::Fail(format!(
                "{what} returned a {}, not a matrix",
                range.value.type_name()
            )));
        };
        assert_matrix_sorted(m).map_err(|e| Stop::Fail(format!("{e} ({what})")))?;
        let vec: Vec<Sample> = m
            .iter()
            .filter_map(|s| {
                s.points
                    .iter()
                    .find(|(pt, _)| *pt == t)
                    .map(|&(_, v)| Sample {
                        labels: s.labels.clone(),
                        t,
                        v,
                    })
            })
            .collect();
        let at_t = if let Value::Scalar { .. } = out.value {
            match vec.first() {
                Some(s) => Value::Scalar { t, v: s.v },
                None => {
                    return Err(Stop::Fail(format!(
                        "{what} has no point at the evaluation time"
                    )));
                }
            }
        } else {
            Value::Vector(vec)
        };
        compare_result(ev, &at_t).map_err(|e| Stop::Fail(format!("{e} ({what})")))
    }
}

/// Upstream's `checkExpectedFailure`: the error must match what
/// `expected_fail_message`, `expected_fail_regexp` or `expect fail` give.
fn check_expected_failure(ev: &EvalCmd, actual: &str, what: &str) -> Result<(), Stop> {
    if !ev.expected_fail_message.is_empty() && ev.expected_fail_message != actual {
        return Err(Stop::Fail(format!(
            "expected error {:?} evaluating {what}, but got: {actual}",
            ev.expected_fail_message
        )));
    }
    if let Some(re) = &ev.expected_fail_regexp
        && !re.is_match(actual)
    {
        return Err(Stop::Fail(format!(
            "expected error matching pattern {:?} evaluating {what}, but got: {actual}",
            re.as_str()
        )));
    }
    if let Some(exp) = ev.expect_fail.first()
        && !exp.matches(actual)
    {
        return Err(Stop::Fail(format!(
            "expected error matching {} evaluating {what}, but got: {actual}",
            exp.describe()
        )));
    }
    Ok(())
}

/// Prefixes an annotation with upstream's `PromQL warning: ` / `PromQL info: `
/// unless the engine already did.
fn normalize(annotations: &[String], prefix: &str) -> Vec<String> {
    annotations
        .iter()
        .map(|a| {
            if a.starts_with(prefix) {
                a.clone()
            } else {
                format!("{prefix}{a}")
            }
        })
        .collect()
}

/// Upstream's `checkAnnotations`.
fn check_annotations(ev: &EvalCmd, out: &Output, what: &str) -> Result<(), Stop> {
    let warnings = normalize(&out.warnings, "PromQL warning: ");
    let infos = normalize(&out.infos, "PromQL info: ");
    if ev.warn && warnings.is_empty() {
        return Err(Stop::Fail(format!(
            "expected warnings evaluating {what} but got none"
        )));
    }
    if ev.info && infos.is_empty() {
        return Err(Stop::Fail(format!(
            "expected info annotations evaluating {what} but got none"
        )));
    }
    validate_annotations(&ev.expect_warn, &warnings, "warn", what)?;
    validate_annotations(&ev.expect_info, &infos, "info", what)?;
    if ev.expect_no_warn && !warnings.is_empty() {
        return Err(Stop::Fail(format!(
            "unexpected warning annotations evaluating {what}: {warnings:?}"
        )));
    }
    if ev.expect_no_info && !infos.is_empty() {
        return Err(Stop::Fail(format!(
            "unexpected info annotations evaluating {what}: {infos:?}"
        )));
    }
    Ok(())
}

/// Every expected annotation of a kind matches one the query gave, and every
/// one it gave is expected.
fn validate_annotations(
    expected: &[ExpectMatch],
    actual: &[String],
    kind: &str,
    what: &str,
) -> Result<(), Stop> {
    if expected.is_empty() {
        return Ok(());
    }
    if actual.is_empty() {
        return Err(Stop::Fail(format!(
            "expected {kind} annotations but none were found for {what}"
        )));
    }
    for e in expected {
        if !actual.iter().any(|a| e.matches(a)) {
            return Err(Stop::Fail(format!(
                "expected {kind} annotation matching {} but no matching annotation was found \
                 for {what}, found: {actual:?}",
                e.describe()
            )));
        }
    }
    for a in actual {
        if !expected.iter().any(|e| e.matches(a)) {
            return Err(Stop::Fail(format!(
                "unexpected {kind} annotation {a:?} found for {what}"
            )));
        }
    }
    Ok(())
}

/// A time or duration in ms as a Prometheus-style duration (`90s`, `1500ms`).
fn fmt_ms(ms: i64) -> String {
    if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// Parses a series description in the expanding notation of test scripts
/// and `promtool test rules` input series (`metric{labels} 1+2x3 _ stale`):
/// the labels and one entry per position, `None` for a gap (`_`); `stale` is
/// the staleness NaN. Native histogram values (`{{...}}`) are an error.
pub fn parse_series(
    line: &str,
) -> std::result::Result<(outpost_tsdb::Labels, Vec<Option<f64>>), String> {
    let desc = parse::parse_series_desc(line)?;
    if desc.histogram {
        return Err("native histogram values are not supported".to_string());
    }
    let values = desc
        .values
        .into_iter()
        .map(|v| match v {
            SeqValue::Omitted => None,
            SeqValue::Value(f) => Some(f),
        })
        .collect();
    Ok((desc.labels, values))
}

/// Parses a series' labels in the notation of test scripts (`name`,
/// `name{a="b"}` or `{__name__="x"}`), with nothing after them.
pub fn parse_labels(text: &str) -> std::result::Result<outpost_tsdb::Labels, String> {
    let (labels, rest) = parse::parse_metric(text.trim())?;
    if !rest.trim().is_empty() {
        return Err(format!("unexpected {:?} after the labels", rest.trim()));
    }
    Ok(labels)
}
