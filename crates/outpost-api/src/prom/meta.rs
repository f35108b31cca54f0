//! Status and metadata endpoints: `/api/v1/status/{buildinfo,config,flags,runtimeinfo}`,
//! `/api/v1/metadata`, `/api/v1/targets/metadata`, `/api/v1/format_query`,
//! `/api/v1/query_exemplars` and `/federate`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::PromState;
use super::params::Params;
use super::query::format_value;
use crate::envelope::{ApiError, success};

/// The Prometheus API version Outpost answers as.
const COMPAT_VERSION: &str = "3.0.0";

pub(super) async fn buildinfo() -> Response {
    success(json!({
        "version": COMPAT_VERSION,
        "revision": option_env!("OUTPOST_REVISION").unwrap_or("unknown"),
        "branch": "outpost",
        "buildUser": "outpost",
        "buildDate": "",
        "goVersion": concat!("outpost-", env!("CARGO_PKG_VERSION")),
    }))
}

/// `GET /api/v1/status/config`: the loaded config re-serialised with its
/// secrets as `<secret>`, as Prometheus serves it (never the file's text).
pub(super) async fn config(State(s): State<PromState>) -> Response {
    let stack = s.config.borrow().clone();
    let yaml = stack
        .prometheus
        .as_ref()
        .map(|p| p.redacted.clone())
        .unwrap_or_default();
    success(json!({ "yaml": yaml }))
}

pub(super) async fn flags(State(s): State<PromState>) -> Response {
    success(&*s.flags)
}

pub(super) async fn runtimeinfo(State(s): State<PromState>) -> Response {
    let stack = s.config.borrow().clone();
    success(json!({
        "startTime": super::targets::rfc3339(s.metrics.start_time_ms()),
        "CWD": std::env::current_dir().map(|p| p.display().to_string()).unwrap_or_default(),
        "reloadConfigSuccess": stack.is_ok(),
        "lastConfigTime": super::targets::rfc3339(s.metrics.last_reload_success_ms()),
        "corruptionCount": 0,
        "goroutineCount": 0,
        "GOMAXPROCS": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "GOMEMLIMIT": 0,
        "GOGC": "",
        "GODEBUG": "",
        "storageRetention": s.flags.get("storage.tsdb.retention.time").cloned().unwrap_or_default(),
    }))
}

/// Every target's metadata, merged by metric family.
pub(super) async fn metadata(State(s): State<PromState>, p: Params) -> Result<Response, ApiError> {
    let metric = p.get("metric").filter(|m| !m.is_empty());
    let limit = p.limit()?;
    let per_metric: usize = match p.get("limit_per_metric") {
        Some(v) if !v.is_empty() => v
            .parse()
            .map_err(|_| ApiError::bad_data("invalid parameter \"limit_per_metric\""))?,
        _ => 0,
    };
    let mut out: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    for t in s.scrape.active_targets() {
        for (name, m) in &t.health.metadata {
            if metric.is_some_and(|x| x != name) {
                continue;
            }
            let entry = json!({"type": if m.kind.is_empty() { "unknown" } else { &m.kind }, "help": m.help, "unit": m.unit});
            let list = out.entry(name.clone()).or_default();
            if !list.contains(&entry) && (per_metric == 0 || list.len() < per_metric) {
                list.push(entry);
            }
        }
    }
    if limit > 0 {
        let keep: Vec<String> = out.keys().take(limit).cloned().collect();
        out.retain(|k, _| keep.contains(k));
    }
    Ok(success(out))
}

/// Metadata per target, filtered by `match_target` and `metric`.
pub(super) async fn targets_metadata(
    State(s): State<PromState>,
    p: Params,
) -> Result<Response, ApiError> {
    let matchers = match p.get("match_target").filter(|m| !m.is_empty()) {
        Some(sel) => super::params::parse_selector(sel)
            .map_err(|e| ApiError::bad_data(format!("invalid parameter \"match_target\": {e}")))?
            .into_iter()
            .next()
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let metric = p.get("metric").filter(|m| !m.is_empty());
    let limit = p.limit()?;
    let mut out = Vec::new();
    for t in s.scrape.active_targets() {
        let labels: BTreeMap<&str, &str> = t
            .labels
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        if !matchers
            .iter()
            .all(|m| m.matches(labels.get(m.name.as_str()).copied().unwrap_or("")))
        {
            continue;
        }
        let mut names: Vec<&String> = t.health.metadata.keys().collect();
        names.sort();
        for name in names {
            if metric.is_some_and(|x| x != name) {
                continue;
            }
            let m = &t.health.metadata[name];
            out.push(json!({"target": labels, "metric": name, "type": if m.kind.is_empty() { "unknown" } else { &m.kind }, "help": m.help, "unit": m.unit}));
        }
    }
    if limit > 0 {
        out.truncate(limit);
    }
    Ok(success(out))
}

/// The `query` parameter parsed, or Prometheus' bad_data error.
pub(super) fn parse_query(p: &Params) -> Result<promql_parser::parser::Expr, ApiError> {
    promql_parser::parser::parse(p.get("query").unwrap_or(""))
        .map_err(|e| ApiError::bad_data(format!("invalid parameter \"query\": {}", e.trim())))
}

pub(super) async fn format_query(p: Params) -> Result<Response, ApiError> {
    let expr = parse_query(&p)?;
    Ok(success(expr.prettify()))
}

/// Outpost stores no exemplars: the answer is always an empty list.
pub(super) async fn query_exemplars(p: Params) -> Result<Response, ApiError> {
    parse_query(&p)?;
    Ok(success(Vec::<()>::new()))
}

/// `/federate`: the latest sample of every matching series, in the text format,
/// with the external labels added where the series lacks them.
pub(super) async fn federate(State(s): State<PromState>, p: Params) -> Result<Response, ApiError> {
    let sets = p.selectors()?;
    let now = s.clock.now_ms();
    let lookback = 5 * 60 * 1000;
    let external = s
        .config
        .borrow()
        .prometheus
        .as_ref()
        .map(|c| c.global.external_labels.clone())
        .unwrap_or_default();
    let tsdb = s.tsdb.clone();
    // Federation over the whole TSDB runs off the async workers, under the
    // query concurrency gate.
    let out = super::query::evaluate(&s, move || {
        federate_text(&tsdb, &sets, now, lookback, &external)
    })
    .await;
    Ok((
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        out,
    )
        .into_response())
}

/// The federation text of the newest sample of each series matched by `sets`.
fn federate_text(
    tsdb: &outpost_tsdb::Tsdb,
    sets: &[Vec<outpost_tsdb::Matcher>],
    now: i64,
    lookback: i64,
    external: &BTreeMap<String, String>,
) -> String {
    let mut by_name: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut seen = std::collections::HashSet::new();
    for set in sets {
        for series in tsdb.select(set, now.saturating_sub(lookback), now) {
            let Some((t, v)) = series.samples().last() else {
                continue;
            };
            if outpost_tsdb::is_stale_nan(v) || !seen.insert(series.labels.clone()) {
                continue;
            }
            let name = series.labels.metric_name().unwrap_or("").to_string();
            let mut labels: BTreeMap<&str, &str> = series
                .labels
                .iter()
                .filter(|(n, _)| *n != "__name__")
                .collect();
            for (k, val) in external {
                labels.entry(k.as_str()).or_insert(val.as_str());
            }
            let mut line = name.clone();
            line.push('{');
            for (i, (k, val)) in labels.iter().enumerate() {
                if i > 0 {
                    line.push(',');
                }
                let escaped = val
                    .replace('\\', "\\\\")
                    .replace('\n', "\\n")
                    .replace('"', "\\\"");
                let _ = write!(line, "{k}=\"{escaped}\"");
            }
            let _ = write!(line, "}} {} {t}", format_value(v));
            by_name.entry(name).or_default().push(line);
        }
    }
    let mut out = String::new();
    for (name, lines) in by_name {
        let _ = writeln!(out, "# TYPE {name} untyped");
        for l in lines {
            let _ = writeln!(out, "{l}");
        }
    }
    out
}
