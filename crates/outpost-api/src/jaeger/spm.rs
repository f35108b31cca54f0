//! Jaeger's SPM endpoints (the UI's Monitor tab): `/api/metrics/latencies`,
//! `/calls`, `/errors` and `/minstep`, answered from the span metrics in the
//! TSDB (`traces_span_metrics_*`, written by the binary's flush of
//! `outpost_traces::SpanMetrics`) with the PromQL Jaeger's Prometheus
//! metrics reader sends, run as a range query over
//! `[endTs - lookback, endTs]`. Results are a bare MetricFamily in proto
//! JSON with `span_name` renamed `operation`; errors use Jaeger's envelope.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use outpost_clock::Clock;
use outpost_promql::{Engine, Value};
use serde_json::{Map, Value as J, json};

/// What the SPM endpoints reach.
#[derive(Clone)]
pub struct SpmState {
    /// The process clock (default `endTs`).
    pub clock: Clock,
    /// The PromQL engine over the TSDB the span metrics are flushed into.
    pub promql: Arc<Engine>,
    /// Whether span metrics are on (`--traces.span-metrics`); off → 501.
    pub enabled: bool,
}

/// The SPM routes.
pub fn spm_router(state: SpmState) -> Router {
    Router::new()
        .route("/api/metrics/latencies", get(latencies))
        .route("/api/metrics/calls", get(calls))
        .route("/api/metrics/errors", get(errors))
        .route("/api/metrics/minstep", get(minstep))
        .with_state(state)
}

/// Jaeger's metric names with `normalize_calls`/`normalize_duration` on.
const CALLS: &str = "traces_span_metrics_calls_total";
const LATENCY_BUCKET: &str = "traces_span_metrics_duration_milliseconds_bucket";

const DISABLED: &str = "trace metrics are currently disabled - no metrics backend configured";

/// An error in Jaeger's envelope, written as Go's `http.Error` writes it.
#[derive(Debug)]
struct SpmError {
    status: StatusCode,
    msg: String,
}

impl SpmError {
    fn bad(msg: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            msg: msg.into(),
        }
    }

    fn param(name: &str, err: impl std::fmt::Display) -> Self {
        Self::bad(format!("unable to parse param '{name}': {err}"))
    }
}

impl IntoResponse for SpmError {
    fn into_response(self) -> Response {
        let body = json!({
            "data": null, "total": 0, "limit": 0, "offset": 0,
            "errors": [{"code": self.status.as_u16(), "msg": self.msg}],
        });
        (
            self.status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("{body}\n"),
        )
            .into_response()
    }
}

/// Go's `strconv.Quote` for the texts of parse errors.
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `strconv.ParseInt(s, 10, 64)` with Go's error text.
fn go_parse_int(s: &str) -> Result<i64, String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "strconv.ParseInt: parsing {}: invalid syntax",
            go_quote(s)
        ));
    }
    s.parse::<i64>().map_err(|_| {
        format!(
            "strconv.ParseInt: parsing {}: value out of range",
            go_quote(s)
        )
    })
}

/// `strconv.ParseBool` with Go's error text.
fn go_parse_bool(s: &str) -> Result<bool, String> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(format!(
            "strconv.ParseBool: parsing {}: invalid syntax",
            go_quote(s)
        )),
    }
}

/// `strconv.ParseFloat(s, 64)` with Go's error text.
fn go_parse_float(s: &str) -> Result<f64, String> {
    let lower = s.to_ascii_lowercase();
    let body = lower.trim_start_matches(['+', '-']);
    // Rust accepts "infinity"/"inf"/"nan" as Go does; it refuses what Go refuses
    // except Go's hex floats and underscores, which no client sends.
    if body.is_empty() || body.starts_with('.') && body.len() == 1 {
        return Err(format!(
            "strconv.ParseFloat: parsing {}: invalid syntax",
            go_quote(s)
        ));
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_infinite() && !body.starts_with("inf") => Err(format!(
            "strconv.ParseFloat: parsing {}: value out of range",
            go_quote(s)
        )),
        Ok(v) => Ok(v),
        Err(_) => Err(format!(
            "strconv.ParseFloat: parsing {}: invalid syntax",
            go_quote(s)
        )),
    }
}

/// The query of `/api/metrics/*` (`parseMetricsQueryParams`).
#[derive(Debug, Clone, PartialEq)]
struct Params {
    services: Vec<String>,
    group_by_operation: bool,
    span_kinds: Vec<&'static str>,
    end_ms: i64,
    lookback_ms: i64,
    step_ms: i64,
    rate_per_ms: i64,
}

const DEFAULT_LOOKBACK_MS: i64 = 3_600_000;
const DEFAULT_STEP_MS: i64 = 5_000;
const DEFAULT_RATE_PER_MS: i64 = 600_000;

fn span_kind(k: &str) -> Option<&'static str> {
    Some(match k {
        "unspecified" => "SPAN_KIND_UNSPECIFIED",
        "internal" => "SPAN_KIND_INTERNAL",
        "server" => "SPAN_KIND_SERVER",
        "client" => "SPAN_KIND_CLIENT",
        "producer" => "SPAN_KIND_PRODUCER",
        "consumer" => "SPAN_KIND_CONSUMER",
        _ => return None,
    })
}

/// The first value of `key` (Go's `Query().Get`), empty when absent.
fn first<'a>(q: &'a [(String, String)], key: &str) -> &'a str {
    q.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn all<'a>(q: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    q.iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .collect()
}

impl Params {
    /// Parses in Jaeger's order, so the first bad parameter is the one reported.
    fn parse(q: &[(String, String)], now_ms: i64) -> Result<Self, SpmError> {
        let services: Vec<String> = all(q, "service").into_iter().map(String::from).collect();
        if services.is_empty() {
            return Err(SpmError::param(
                "service",
                "please provide at least one service name",
            ));
        }
        let group_by_operation = match first(q, "groupByOperation") {
            "" => false,
            v => go_parse_bool(v).map_err(|e| SpmError::param("groupByOperation", e))?,
        };
        let kinds = all(q, "spanKind");
        let span_kinds = if kinds.is_empty() {
            vec!["SPAN_KIND_SERVER"]
        } else {
            kinds
                .iter()
                .map(|k| {
                    span_kind(k).ok_or_else(|| {
                        SpmError::param("spanKind", format!("unsupported span kind: '{k}'"))
                    })
                })
                .collect::<Result<_, _>>()?
        };
        let int = |name: &str, default: i64| -> Result<i64, SpmError> {
            match first(q, name) {
                "" => Ok(default),
                v => go_parse_int(v).map_err(|e| SpmError::param(name, e)),
            }
        };
        Ok(Params {
            services,
            group_by_operation,
            span_kinds,
            end_ms: int("endTs", now_ms)?,
            lookback_ms: int("lookback", DEFAULT_LOOKBACK_MS)?,
            step_ms: int("step", DEFAULT_STEP_MS)?,
            rate_per_ms: int("ratePer", DEFAULT_RATE_PER_MS)?,
        })
    }

    fn group_by(&self) -> &'static str {
        if self.group_by_operation {
            "service_name,span_name"
        } else {
            "service_name"
        }
    }

    /// The selector's matchers: `service_name =~ "S", [extra, ]span_kind =~ "K"`
    /// (the span-kind matcher left out, with its comma kept, when no kinds).
    fn matchers(&self, extra: &str) -> String {
        let services = promql_string(&self.services.join("|"));
        let kinds = if self.span_kinds.is_empty() {
            String::new()
        } else {
            format!("span_kind =~ \"{}\"", self.span_kinds.join("|"))
        };
        format!("service_name =~ \"{services}\", {extra}{kinds}")
    }
}

/// Escapes a value for a double-quoted PromQL string (the regex is kept as is).
fn promql_string(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// A duration as Jaeger's Prometheus reader prints `ratePer`: Go's
/// `Duration.String()` cut after its first unit (`10m0s` → `10m`,
/// `1h30m0s` → `1h`); sub-minute values that are not whole seconds are
/// printed in milliseconds so PromQL accepts them.
fn rate_duration(ms: i64) -> String {
    const H: i64 = 3_600_000;
    const M: i64 = 60_000;
    if ms >= H {
        format!("{}h", ms / H)
    } else if ms >= M {
        format!("{}m", ms / M)
    } else if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// Which of the three metric families.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Latencies(f64),
    Calls,
    Errors,
}

fn calls_query(p: &Params) -> String {
    let rate = rate_duration(p.rate_per_ms);
    format!(
        "sum(rate({CALLS}{{{}}}[{rate}])) by ({})",
        p.matchers(""),
        p.group_by()
    )
}

/// The PromQL Jaeger sends for `kind`.
fn build_query(kind: Kind, p: &Params) -> String {
    let rate = rate_duration(p.rate_per_ms);
    let g = p.group_by();
    match kind {
        Kind::Latencies(q) => format!(
            "histogram_quantile({q:.2}, sum(rate({LATENCY_BUCKET}{{{}}}[{rate}])) by ({g},le))",
            p.matchers("")
        ),
        Kind::Calls => calls_query(p),
        Kind::Errors => format!(
            "sum(rate({CALLS}{{{}}}[{rate}])) by ({g}) / {}",
            p.matchers("status_code = \"STATUS_CODE_ERROR\", "),
            calls_query(p)
        ),
    }
}

/// The MetricFamily's name and help.
fn family(kind: Kind, grouped: bool) -> (String, String) {
    let (name, help) = match kind {
        Kind::Latencies(q) => (
            "service_latencies",
            format!("{q:.2}th quantile latency, grouped by service"),
        ),
        Kind::Calls => ("service_call_rate", "calls/sec, grouped by service".into()),
        Kind::Errors => (
            "service_error_rate",
            "error rate, computed as a fraction of errors/sec over calls/sec, grouped by service"
                .into(),
        ),
    };
    if grouped {
        (
            name.replacen("service", "service_operation", 1),
            format!("{help} & operation"),
        )
    } else {
        (name.to_string(), help)
    }
}

/// A proto-JSON `Timestamp`: RFC 3339 in UTC, fraction only when non-zero.
fn proto_timestamp(ms: i64) -> String {
    let secs = ms.div_euclid(1000).saturating_mul(1000);
    let mut s = outpost_clock::text::rfc3339_nano(secs);
    let frac = ms.rem_euclid(1000);
    if frac != 0 {
        s.pop();
        let _ = write!(s, ".{frac:03}Z");
    }
    s
}

/// A proto-JSON double: non-finite values as strings.
fn proto_double(v: f64) -> J {
    if v.is_nan() {
        J::String("NaN".into())
    } else if v == f64::INFINITY {
        J::String("Infinity".into())
    } else if v == f64::NEG_INFINITY {
        J::String("-Infinity".into())
    } else {
        json!(v)
    }
}

/// One series of the result: labels (`span_name` as `operation`) and points.
type Metric = (Vec<(String, String)>, Vec<(i64, f64)>);

fn to_metrics(v: Value) -> Vec<Metric> {
    let Value::Matrix(series) = v else {
        return Vec::new();
    };
    series
        .into_iter()
        .map(|s| {
            let labels = s
                .labels
                .iter()
                .filter(|(k, _)| *k != "__name__")
                .map(|(k, v)| {
                    let k = if k == "span_name" { "operation" } else { k };
                    (k.to_string(), v.to_string())
                })
                .collect();
            (labels, s.points)
        })
        .collect()
}

fn family_json(name: &str, help: &str, metrics: &[Metric]) -> J {
    let metrics: Vec<J> = metrics
        .iter()
        .map(|(labels, points)| {
            let labels: Vec<J> = labels
                .iter()
                .map(|(k, v)| json!({"name": k, "value": v}))
                .collect();
            let points: Vec<J> = points
                .iter()
                .map(|(t, v)| {
                    json!({"gaugeValue": {"doubleValue": proto_double(*v)}, "timestamp": proto_timestamp(*t)})
                })
                .collect();
            let mut m = Map::new();
            m.insert("labels".into(), J::Array(labels));
            m.insert("metricPoints".into(), J::Array(points));
            J::Object(m)
        })
        .collect();
    json!({"name": name, "type": "GAUGE", "help": help, "metrics": metrics})
}

/// Runs a range query over `[endTs - lookback, endTs]` off the async workers.
async fn range(s: &SpmState, p: &Params, query: String) -> Result<Vec<Metric>, SpmError> {
    let start = p.end_ms.saturating_sub(p.lookback_ms);
    let (end, step) = (p.end_ms, p.step_ms);
    let engine = s.promql.clone();
    let out = tokio::task::spawn_blocking(move || engine.range(&query, start, end, step))
        .await
        .map_err(|e| SpmError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            msg: format!("failed executing metrics query: {e}"),
        })?;
    match out {
        Ok(o) => Ok(to_metrics(o.value)),
        Err(e) => Err(SpmError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            msg: format!("failed executing metrics query: {e}"),
        }),
    }
}

fn pretty(q: &[(String, String)]) -> bool {
    q.iter().any(|(k, v)| k == "prettyPrint" && v != "false")
}

fn json_response(body: &J, pretty: bool) -> Response {
    let text = if pretty {
        serde_json::to_string_pretty(body)
    } else {
        serde_json::to_string(body)
    }
    .unwrap_or_default();
    ([(header::CONTENT_TYPE, "application/json")], text).into_response()
}

async fn answer(s: SpmState, uri: Uri, kind: Option<Kind>) -> Result<Response, SpmError> {
    let q = crate::form::query_pairs(uri.query());
    // Jaeger parses the quantile before anything else.
    let kind = match kind {
        Some(k) => k,
        None => Kind::Latencies(
            go_parse_float(first(&q, "quantile")).map_err(|e| SpmError::param("quantile", e))?,
        ),
    };
    let p = Params::parse(&q, s.clock.now_ms())?;
    if !s.enabled {
        return Err(SpmError {
            status: StatusCode::NOT_IMPLEMENTED,
            msg: DISABLED.into(),
        });
    }
    let mut metrics = range(&s, &p, build_query(kind, &p)).await?;
    if kind == Kind::Errors && metrics.is_empty() {
        // No error series: every point of the call rates is an error rate of 0.
        metrics = range(&s, &p, calls_query(&p)).await?;
        for (_, points) in &mut metrics {
            for pt in points.iter_mut() {
                pt.1 = 0.0;
            }
        }
    }
    let (name, help) = family(kind, p.group_by_operation);
    Ok(json_response(
        &family_json(&name, &help, &metrics),
        pretty(&q),
    ))
}

async fn latencies(State(s): State<SpmState>, uri: Uri) -> Result<Response, SpmError> {
    answer(s, uri, None).await
}

async fn calls(State(s): State<SpmState>, uri: Uri) -> Result<Response, SpmError> {
    answer(s, uri, Some(Kind::Calls)).await
}

async fn errors(State(s): State<SpmState>, uri: Uri) -> Result<Response, SpmError> {
    answer(s, uri, Some(Kind::Errors)).await
}

/// The smallest step the backend supports (Prometheus: 1 ms), in the envelope.
async fn minstep(State(s): State<SpmState>, uri: Uri) -> Result<Response, SpmError> {
    if !s.enabled {
        return Err(SpmError {
            status: StatusCode::NOT_IMPLEMENTED,
            msg: DISABLED.into(),
        });
    }
    let q = crate::form::query_pairs(uri.query());
    let body = json!({"data": 1, "total": 0, "limit": 0, "offset": 0, "errors": null});
    Ok(json_response(&body, pretty(&q)))
}

#[cfg(test)]
#[path = "spm_tests.rs"]
mod tests;
