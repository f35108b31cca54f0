//! `outpost test rules`: promtool's rule unit-test format, evaluated as
//! promtool does (a tick every `evaluation_interval`, every group evaluated
//! once per tick, alert tests checked after their tick, PromQL tests at the
//! end) with promtool's output and exit status.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use outpost_config::{PromDuration, RuleFile, parse_rule_file};
use outpost_promql::{Engine, EngineOptions, Value};
use outpost_tsdb::{HeadOptions, Labels, Tsdb};
use serde::Deserialize;

use crate::AlertState;
use crate::group::Group;
use crate::rule::{EvalEnv, Health, Kind};

/// A scalar read as its text, as Go's YAML decoder fills a string field
/// (`values: 0x10` stays `0x10`, `eval_time: 0` is `0`).
#[derive(Debug, Clone)]
struct Text(String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d).map(Text)
    }
}

impl Text {
    fn text(&self) -> String {
        self.0.clone()
    }

    fn duration(&self) -> std::result::Result<PromDuration, String> {
        PromDuration::parse(&self.0)
    }
}

/// A number or a string in YAML (`value: 1`, `value: NaN`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Scalar {
    Int(i64),
    Float(f64),
    Str(String),
}

impl Scalar {
    fn float(&self) -> std::result::Result<f64, String> {
        match self {
            Scalar::Int(i) => Ok(*i as f64),
            Scalar::Float(f) => Ok(*f),
            Scalar::Str(s) => parse_go_float(s),
        }
    }
}

fn parse_go_float(s: &str) -> std::result::Result<f64, String> {
    match s.trim() {
        "NaN" | ".nan" | ".NaN" => Ok(f64::NAN),
        "Inf" | "+Inf" | ".inf" | "+.inf" => Ok(f64::INFINITY),
        "-Inf" | "-.inf" => Ok(f64::NEG_INFINITY),
        t => t.parse().map_err(|_| format!("invalid value {s:?}")),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    #[serde(default)]
    rule_files: Vec<String>,
    #[serde(default)]
    evaluation_interval: Option<Text>,
    #[serde(default)]
    group_eval_order: Vec<String>,
    #[serde(default)]
    fuzzy_compare: bool,
    #[serde(default)]
    tests: Vec<TestGroup>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestGroup {
    #[serde(default)]
    interval: Option<Text>,
    #[serde(default)]
    input_series: Vec<InputSeries>,
    #[serde(default)]
    alert_rule_test: Vec<AlertTest>,
    #[serde(default)]
    promql_expr_test: Vec<ExprTest>,
    #[serde(default)]
    external_labels: BTreeMap<String, String>,
    #[serde(default)]
    external_url: String,
    #[serde(default)]
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InputSeries {
    series: String,
    values: Text,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertTest {
    eval_time: Text,
    #[serde(default)]
    alertname: String,
    #[serde(default)]
    exp_alerts: Vec<ExpAlert>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpAlert {
    #[serde(default)]
    exp_labels: BTreeMap<String, String>,
    #[serde(default)]
    exp_annotations: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExprTest {
    expr: String,
    eval_time: Text,
    #[serde(default)]
    exp_samples: Vec<ExpSample>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpSample {
    #[serde(default)]
    labels: String,
    value: Scalar,
}

/// Options of a run.
#[derive(Debug, Clone, Default)]
pub struct TestOptions {
    /// Only test groups whose name matches one of these regexes (`--run`).
    pub run: Vec<regex::Regex>,
    /// Evaluate PromQL with Prometheus 2.x window boundaries (closed on the
    /// left), as the promtool 2.x that wrote a test file did.
    pub prometheus2: bool,
}

/// What testing one file printed and whether it passed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileOutcome {
    /// Lines for standard output.
    pub stdout: String,
    /// Lines for standard error.
    pub stderr: String,
    /// Everything printed in promtool's order: `(to_stderr, text)`, so that
    /// a merged stream (`2>&1`) reads as promtool's does.
    pub chunks: Vec<(bool, String)>,
    /// Whether every test group passed.
    pub passed: bool,
}

impl FileOutcome {
    fn out(&mut self, s: &str) {
        self.stdout.push_str(s);
        self.chunks.push((false, s.to_string()));
    }

    fn err(&mut self, s: &str) {
        self.stderr.push_str(s);
        self.chunks.push((true, s.to_string()));
    }
}

/// Runs the rule unit tests of one file, printing as promtool 2.42 does
/// (`Unit Testing:  FILE`, then `  SUCCESS` or `  FAILED:` and the errors).
pub fn test_rules_file(path: &Path, opts: &TestOptions) -> FileOutcome {
    let mut out = FileOutcome::default();
    out.out(&format!("Unit Testing:  {}\n", path.display()));
    let mut warnings = String::new();
    let errs = match run_file(path, opts, &mut warnings) {
        Ok(errs) => errs,
        Err(e) => vec![e],
    };
    if !warnings.is_empty() {
        out.err(&warnings);
    }
    if errs.is_empty() {
        out.out("  SUCCESS\n");
        out.passed = true;
    } else {
        out.err("  FAILED:\n");
        for e in &errs {
            out.err(&format!("{e}\n"));
            out.out("\n");
        }
    }
    out.out("\n");
    out
}

fn run_file(path: &Path, opts: &TestOptions, warnings: &mut String) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let display = path.display().to_string();
    let file: TestFile = outpost_config_yaml(&display, &text)?;
    let eval_ms = match &file.evaluation_interval {
        Some(s) => s.duration().map_err(|e| e.to_string())?.as_millis(),
        None => 60_000,
    };
    let mut seen = std::collections::HashSet::new();
    for g in &file.group_eval_order {
        if !seen.insert(g) {
            return Err(format!("group name repeated in evaluation order: {g}"));
        }
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut rule_files: Vec<RuleFile> = Vec::new();
    for pattern in &file.rule_files {
        let full = dir.join(pattern);
        let matches: Vec<PathBuf> = glob::glob(&full.to_string_lossy())
            .map(|it| it.filter_map(|p| p.ok()).collect())
            .unwrap_or_default();
        if matches.is_empty() {
            let _ = writeln!(
                warnings,
                "  WARNING: no file match pattern {}",
                full.display()
            );
        }
        for m in matches {
            let text = std::fs::read_to_string(&m).map_err(|e| e.to_string())?;
            let shown = m.display().to_string();
            match parse_rule_file(&m, &shown, &text, crate::check_template) {
                Ok((rf, _)) => rule_files.push(rf),
                Err(e) => return Err(e.to_string()),
            }
        }
    }
    let mut errs = Vec::new();
    for tg in &file.tests {
        if !opts.run.is_empty() && !opts.run.iter().any(|r| r.is_match(&tg.name)) {
            continue;
        }
        let ctx = GroupCtx {
            eval_ms,
            order: &file.group_eval_order,
            rule_files: &rule_files,
            fuzzy: file.fuzzy_compare,
            prometheus2: opts.prometheus2,
        };
        errs.extend(run_group(tg, &ctx));
    }
    Ok(errs)
}

fn outpost_config_yaml<T: for<'de> Deserialize<'de>>(
    display: &str,
    text: &str,
) -> Result<T, String> {
    serde_saphyr::from_str(text).map_err(|e| format!("{display}: {e}"))
}

struct GroupCtx<'a> {
    eval_ms: i64,
    order: &'a [String],
    rule_files: &'a [RuleFile],
    fuzzy: bool,
    prometheus2: bool,
}

fn run_group(tg: &TestGroup, ctx: &GroupCtx<'_>) -> Vec<String> {
    let interval_ms = match &tg.interval {
        Some(s) => match s.duration() {
            Ok(d) => d.as_millis(),
            Err(e) => return vec![format!("    {e}")],
        },
        None => ctx.eval_ms,
    };
    let name_prefix = if tg.name.is_empty() {
        String::new()
    } else {
        format!("    name: {},\n", tg.name)
    };
    // Input series.
    let mut series: Vec<(Labels, Vec<(i64, f64)>)> = Vec::new();
    for s in &tg.input_series {
        let line = format!("{} {}", s.series, s.values.text());
        match outpost_promql::promqltest::parse_series(&line) {
            Ok((labels, values)) => {
                let pts = values
                    .into_iter()
                    .enumerate()
                    .filter_map(|(i, v)| v.map(|v| (i as i64 * interval_ms, v)))
                    .collect();
                series.retain(|(l, _)| l != &labels);
                series.push((labels, pts));
            }
            Err(e) => return vec![format!("    {e}")],
        }
    }
    let tsdb = Arc::new(Tsdb::new(HeadOptions::default()));
    let engine = Arc::new(Engine::new(
        tsdb.clone(),
        EngineOptions {
            lookback_ms: 5 * 60 * 1000,
            max_samples: 10_000,
            timeout: Duration::from_secs(100),
            default_subquery_step_ms: ctx.eval_ms,
            prometheus2_windows: ctx.prometheus2,
            ..EngineOptions::default()
        },
    ));
    // Groups in evaluation order: unlisted ones first in file order, then
    // the listed ones in the listed order.
    let mut groups: Vec<(usize, Group)> = Vec::new();
    for f in ctx.rule_files {
        for g in &f.groups {
            let idx = ctx.order.iter().position(|n| n == &g.name).unwrap_or(0);
            groups.push((idx, Group::new(g, ctx.eval_ms, 0)));
        }
    }
    groups.sort_by_key(|(i, _)| *i);
    let groups: Vec<Group> = groups.into_iter().map(|(_, g)| g).collect();

    for t in &tg.alert_rule_test {
        if t.alertname.is_empty() {
            let suffix = if tg.name.is_empty() {
                String::new()
            } else {
                format!(" (in TestGroup {})", tg.name)
            };
            let at = t
                .eval_time
                .duration()
                .map(|d| d.to_string())
                .unwrap_or_default();
            return vec![format!(
                "an item under alert_rule_test misses required attribute alertname at eval_time {at}{suffix}"
            )];
        }
    }
    let mut alert_tests: Vec<(i64, &AlertTest)> = Vec::new();
    let mut errs = Vec::new();
    for t in &tg.alert_rule_test {
        match t.eval_time.duration() {
            Ok(d) => alert_tests.push((d.as_millis(), t)),
            Err(e) => errs.push(format!("    {e}")),
        }
    }
    let mut max_t = alert_tests.iter().map(|(t, _)| *t).max().unwrap_or(0);
    for t in &tg.promql_expr_test {
        if let Ok(d) = t.eval_time.duration() {
            max_t = max_t.max(d.as_millis());
        }
    }
    alert_tests.sort_by_key(|(t, _)| *t);
    let mut cursor = vec![0usize; series.len()];
    let env_labels = tg.external_labels.clone();
    let env = EvalEnv {
        engine: &engine,
        external_labels: &env_labels,
        external_url: &tg.external_url,
    };
    let mut next_alert = 0usize;
    let mut ts = 0i64;
    while ts <= max_t {
        {
            let mut app = tsdb.appender();
            for (si, (labels, pts)) in series.iter().enumerate() {
                while cursor[si] < pts.len() && pts[cursor[si]].0 <= ts {
                    let (t, v) = pts[cursor[si]];
                    let _ = app.append_labels(labels, t, v);
                    cursor[si] += 1;
                }
            }
        }
        for g in &groups {
            g.eval(&env, &tsdb, ts, ts, 60_000);
        }
        let mut rule_errs = Vec::new();
        for g in &groups {
            for r in &g.lock().rules {
                if r.status.health == Health::Err {
                    rule_errs.push(format!(
                        "    rule: {}, time: {}, err: {}",
                        r.name,
                        go_duration(ts),
                        r.status.last_error.clone().unwrap_or_default()
                    ));
                }
            }
        }
        if !rule_errs.is_empty() {
            errs.extend(rule_errs);
            return errs;
        }
        while next_alert < alert_tests.len() && alert_tests[next_alert].0 < ts + ctx.eval_ms {
            let (t, test) = alert_tests[next_alert];
            next_alert += 1;
            if t < ts {
                continue;
            }
            if let Some(e) = check_alerts(test, t, &groups, &name_prefix) {
                errs.push(e);
            }
        }
        ts += ctx.eval_ms;
    }
    for t in &tg.promql_expr_test {
        if let Some(e) = check_expr(t, &engine, ctx.fuzzy) {
            errs.push(e);
        }
    }
    errs
}

type LabelsAnnotations = (Vec<(String, String)>, Vec<(String, String)>);

fn check_alerts(test: &AlertTest, t: i64, groups: &[Group], name_prefix: &str) -> Option<String> {
    let mut got: Vec<LabelsAnnotations> = Vec::new();
    for g in groups {
        for r in &g.lock().rules {
            if r.name != test.alertname {
                continue;
            }
            if let Kind::Alerting(a) = &r.kind {
                for x in a.active.values() {
                    if x.state == AlertState::Firing {
                        got.push((
                            x.labels.clone().into_iter().collect(),
                            x.annotations.clone().into_iter().collect(),
                        ));
                    }
                }
            }
        }
    }
    let mut exp: Vec<LabelsAnnotations> = test
        .exp_alerts
        .iter()
        .map(|e| {
            let mut l = e.exp_labels.clone();
            l.insert("alertname".to_string(), test.alertname.clone());
            (
                l.into_iter().collect(),
                e.exp_annotations.clone().into_iter().collect(),
            )
        })
        .collect();
    got.sort();
    exp.sort();
    if got == exp {
        return None;
    }
    Some(format!(
        "{name_prefix}    alertname: {}, time: {}, \n        exp:{}, \n        got:{}",
        test.alertname,
        PromDuration::from_millis(t),
        indent(&alerts_string(&exp), "            "),
        indent(&alerts_string(&got), "            "),
    ))
}

fn alerts_string(v: &[LabelsAnnotations]) -> String {
    if v.is_empty() {
        return "[]".to_string();
    }
    let mut s = String::from("[");
    for (i, (l, a)) in v.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let entry = format!(
            "Labels:{}\nAnnotations:{}",
            pairs_string(l),
            pairs_string(a)
        );
        let _ = write!(s, "\n{i}:{}", indent(&format!("\n{entry}"), "  "));
    }
    s.push_str("\n]");
    s
}

fn indent(s: &str, by: &str) -> String {
    s.replace('\n', &format!("\n{by}"))
}

/// Prometheus' `Labels.String()`: `{a="b", c="d"}` with Go-quoted values.
pub(crate) fn pairs_string<'a>(pairs: impl IntoIterator<Item = &'a (String, String)>) -> String {
    let parts: Vec<String> = pairs
        .into_iter()
        .map(|(k, v)| format!("{k}={}", go_quote(v)))
        .collect();
    format!("{{{}}}", parts.join(", "))
}

use outpost_template::go_quote;

fn check_expr(t: &ExprTest, engine: &Engine, fuzzy: bool) -> Option<String> {
    let name_prefix = "";
    let at = match t.eval_time.duration() {
        Ok(d) => d.as_millis(),
        Err(e) => {
            return Some(format!(
                "{name_prefix}    expr: {}, err: {e}",
                go_quote(&t.expr)
            ));
        }
    };
    let when = PromDuration::from_millis(at);
    let got = match engine.instant(&t.expr, at) {
        Ok(o) => match o.value {
            Value::Vector(v) => v.into_iter().map(|s| (s.labels, s.v)).collect::<Vec<_>>(),
            Value::Scalar { v, .. } => vec![(Labels::default(), v)],
            _ => {
                return Some(format!(
                    "{name_prefix}    expr: {}, time: {when}, err: rule result is not a vector or scalar",
                    go_quote(&t.expr)
                ));
            }
        },
        Err(e) => {
            return Some(format!(
                "{name_prefix}    expr: {}, time: {when}, err: {e}",
                go_quote(&t.expr)
            ));
        }
    };
    let mut exp = Vec::new();
    for s in &t.exp_samples {
        let labels = if s.labels.trim().is_empty() {
            Ok(Labels::default())
        } else {
            outpost_promql::promqltest::parse_labels(&s.labels)
        };
        let labels = match labels {
            Ok(l) => l,
            Err(e) => {
                return Some(format!(
                    "{name_prefix}    expr: {}, time: {when}, err: labels {}: {e}",
                    go_quote(&t.expr),
                    go_quote(&s.labels)
                ));
            }
        };
        let v = match s.value.float() {
            Ok(v) => v,
            Err(e) => {
                return Some(format!(
                    "{name_prefix}    expr: {}, time: {when}, err: {e}",
                    go_quote(&t.expr)
                ));
            }
        };
        exp.push((labels, v));
    }
    let mut got = got;
    got.sort_by(|a, b| a.0.cmp(&b.0));
    exp.sort_by(|a, b| a.0.cmp(&b.0));
    let equal = got.len() == exp.len()
        && got
            .iter()
            .zip(exp.iter())
            .all(|(g, e)| g.0 == e.0 && (g.1 == e.1 || (fuzzy && ulps_apart(g.1, e.1) <= 1)));
    if equal {
        return None;
    }
    Some(format!(
        "    expr: {}, time: {when},\n        exp: {}\n        got: {}",
        go_quote(&t.expr),
        samples_string(&exp),
        samples_string(&got)
    ))
}

fn ulps_apart(a: f64, b: f64) -> u64 {
    if a.is_nan() || b.is_nan() || a.signum() != b.signum() {
        return u64::MAX;
    }
    a.to_bits().abs_diff(b.to_bits())
}

fn samples_string(v: &[(Labels, f64)]) -> String {
    if v.is_empty() {
        return "nil".to_string();
    }
    v.iter()
        .map(|(l, val)| {
            let pairs: Vec<(String, String)> = l
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            format!("{} {}", pairs_string(&pairs), format_e(*val))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Go's `strconv.FormatFloat(v, 'E', -1, 64)`: `1E+00`, `6.1E+01`.
pub(crate) fn format_e(v: f64) -> String {
    format_go_e(v, true)
}

/// Go's `strconv.FormatFloat(v, 'e' or 'E', -1, 64)`: shortest digits,
/// exponent with a sign and at least two digits (`1e+00`, `1.234567e+06`).
pub fn format_go_e(v: f64, upper: bool) -> String {
    use outpost_exposition::GoFloatFormat::{Exponent, ExponentUpper};
    outpost_exposition::format_go_float(v, if upper { ExponentUpper } else { Exponent }, None)
}

/// Go's `time.Duration.String()` of ms: `0s`, `1m0s`, `1h2m3.5s`.
pub(crate) fn go_duration(ms: i64) -> String {
    if ms == 0 {
        return "0s".to_string();
    }
    let neg = ms < 0;
    let ms = ms.unsigned_abs();
    let mut s = String::new();
    if neg {
        s.push('-');
    }
    if ms < 1000 {
        let _ = write!(s, "{ms}ms");
        return s;
    }
    let h = ms / 3_600_000;
    let m = (ms / 60_000) % 60;
    let sec = ms % 60_000;
    if h > 0 {
        let _ = write!(s, "{h}h");
    }
    if h > 0 || m > 0 {
        let _ = write!(s, "{m}m");
    }
    if sec.is_multiple_of(1000) {
        let _ = write!(s, "{}s", sec / 1000);
    } else {
        let frac = format!("{:03}", sec % 1000);
        let _ = write!(s, "{}.{}s", sec / 1000, frac.trim_end_matches('0'));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_formats() {
        assert_eq!(format_e(1.0), "1E+00");
        assert_eq!(format_e(61.0), "6.1E+01");
        assert_eq!(format_e(0.15), "1.5E-01");
        assert_eq!(format_e(0.0), "0E+00");
        assert_eq!(go_duration(60_000), "1m0s");
        assert_eq!(go_duration(3_723_500), "1h2m3.5s");
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_quote("a\"b\n"), "\"a\\\"b\\n\"");
    }
}
