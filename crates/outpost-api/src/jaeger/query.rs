//! Jaeger's internal HTTP JSON API (the v1 UI API on 16686, fact sheet §5):
//! services, operations, trace search, traces by id and dependencies, each
//! in the `{"data","total","limit","offset","errors"}` envelope, as the
//! Jaeger UI (v1.x) and Grafana's Jaeger data source call them.

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use outpost_traces::TraceQuery;
use outpost_traces::model::{SpanKind, Trace, TraceId};
use serde_json::{Value, json};

use super::error::{QueryError, V1Error};
use super::params::{Params, go_duration, ns_u64, parse_bool, parse_int, trace_id};
use super::{JaegerState, json_response, off_worker, prepare, v1_traces_response};

/// Search start when `start` is absent: now − 2 days.
const DEFAULT_SEARCH_LOOKBACK_MS: i64 = 2 * 24 * 3600 * 1000;
/// Dependencies' `lookback` when absent: 24 hours.
const DEFAULT_DEPENDENCY_LOOKBACK_MS: i64 = 24 * 3600 * 1000;
/// Search `limit` when absent.
const DEFAULT_LIMIT: i64 = 100;

fn envelope(data: Value, total: usize, errors: Value) -> Value {
    json!({"data": data, "total": total, "limit": 0, "offset": 0, "errors": errors})
}

fn pretty(p: &Params) -> bool {
    let v = p.first("prettyPrint");
    !v.is_empty() && v != "false"
}

fn parse_error(param: &str, e: String) -> QueryError {
    QueryError::bad(format!("unable to parse param '{param}': {e}"))
}

/// `GET /api/services`.
pub(crate) async fn services(State(s): State<JaegerState>, RawQuery(q): RawQuery) -> Response {
    let p = Params::new(q.as_deref());
    let svcs = s.ingest.store.services();
    let n = svcs.len();
    json_response(&envelope(json!(svcs), n, Value::Null), pretty(&p))
}

/// `GET /api/services/{service}/operations`: unique names, `null` when none.
pub(crate) async fn service_operations(
    State(s): State<JaegerState>,
    Path(service): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let p = Params::new(q.as_deref());
    let mut names: Vec<String> = s
        .ingest
        .store
        .operations(&service, None)
        .into_iter()
        .map(|o| o.name.to_string())
        .collect();
    names.dedup();
    names.sort();
    names.dedup();
    let n = names.len();
    let data = if names.is_empty() {
        Value::Null
    } else {
        json!(names)
    };
    json_response(&envelope(data, n, Value::Null), pretty(&p))
}

/// A `spanKind` filter; `None` is "all", an unknown name matches nothing.
fn kind_filter(k: &str) -> Option<Option<SpanKind>> {
    if k.is_empty() {
        return None;
    }
    Some(SpanKind::from_jaeger_name(k))
}

/// `GET /api/operations?service=&spanKind=`.
pub(crate) async fn operations(
    State(s): State<JaegerState>,
    RawQuery(q): RawQuery,
) -> Result<Response, V1Error> {
    let p = Params::new(q.as_deref());
    let service = p.first("service");
    if service.is_empty() {
        return Err(QueryError::bad("parameter 'service' is required").into());
    }
    let ops = match kind_filter(p.first("spanKind")) {
        None => s.ingest.store.operations(service, None),
        Some(None) => Vec::new(),
        Some(Some(k)) => s.ingest.store.operations(service, Some(k)),
    };
    let data: Vec<Value> = ops
        .iter()
        .map(|o| json!({"name": &*o.name, "spanKind": o.kind.jaeger_name().unwrap_or("")}))
        .collect();
    let n = data.len();
    Ok(json_response(
        &envelope(Value::Array(data), n, Value::Null),
        pretty(&p),
    ))
}

/// A time parameter in `unit_ns` nanoseconds per unit; `default_ns` when absent.
fn time_param(p: &Params, name: &str, unit_ns: i128, default_ns: i128) -> Result<i128, QueryError> {
    match p.first(name) {
        "" => Ok(default_ns),
        v => parse_int(v, 64)
            .map(|n| i128::from(n) * unit_ns)
            .map_err(|e| parse_error(name, e)),
    }
}

/// What `GET /api/traces` asks for.
#[derive(Debug)]
pub(crate) struct SearchRequest {
    pub(crate) query: TraceQuery,
    pub(crate) trace_ids: Vec<TraceId>,
    pub(crate) raw: bool,
}

/// Jaeger's `parseTraceQueryParams` + `validateQuery`, in its order.
pub(crate) fn parse_search(p: &Params, now_ms: i64) -> Result<SearchRequest, QueryError> {
    let now_ns = i128::from(now_ms) * 1_000_000;
    let service = p.first("service");
    let operation = p.first("operation");
    let start = time_param(
        p,
        "start",
        1_000,
        now_ns - i128::from(DEFAULT_SEARCH_LOOKBACK_MS) * 1_000_000,
    )?;
    let end = time_param(p, "end", 1_000, now_ns)?;
    let mut tags: Vec<(String, String)> = Vec::new();
    for t in p.all("tag") {
        let Some((k, v)) = t.split_once(':') else {
            return Err(QueryError::bad(format!(
                "malformed 'tag' parameter, expecting key:value, received: {t}"
            )));
        };
        tags.push((k.to_string(), v.to_string()));
    }
    for t in p.all("tags") {
        let bad = |e: String| {
            QueryError::bad(format!(
                "malformed 'tags' parameter, cannot unmarshal JSON: {e}"
            ))
        };
        let m = match serde_json::from_str::<Value>(t) {
            Ok(Value::Object(m)) => m,
            Ok(other) => {
                return Err(bad(format!(
                    "json: cannot unmarshal {} into Go value of type map[string]string",
                    json_kind(&other)
                )));
            }
            Err(e) => return Err(bad(go_json_syntax_error(t, &e))),
        };
        for (k, v) in m {
            let Value::String(v) = v else {
                return Err(bad(format!(
                    "json: cannot unmarshal {} into Go value of type string",
                    json_kind(&v)
                )));
            };
            tags.retain(|(k2, _)| *k2 != k);
            tags.push((k, v));
        }
    }
    let limit = match p.first("limit") {
        "" => DEFAULT_LIMIT,
        v => parse_int(v, 32).map_err(QueryError::bad)?,
    };
    let dur = |name: &str| -> Result<i64, QueryError> {
        match p.first(name) {
            "" => Ok(0),
            v => go_duration(v).map_err(|e| parse_error(name, e)),
        }
    };
    let min_d = dur("minDuration")?;
    let max_d = dur("maxDuration")?;
    let mut trace_ids = Vec::new();
    for id in p.all("traceID") {
        trace_ids.push(
            trace_id(id)
                .map_err(|e| QueryError::bad(format!("cannot parse traceID param: {e}")))?,
        );
    }
    let raw = match p.first("raw") {
        "" => false,
        v => parse_bool(v).map_err(|e| parse_error("raw", e))?,
    };
    if trace_ids.is_empty() && service.is_empty() {
        return Err(QueryError::bad("parameter 'service' is required"));
    }
    if min_d != 0 && max_d != 0 && max_d < min_d {
        return Err(QueryError::bad(
            "'maxDuration' should be greater than 'minDuration'",
        ));
    }
    let query = TraceQuery {
        service: Some(service.to_string()).filter(|s| !s.is_empty()),
        operation: Some(operation.to_string()).filter(|s| !s.is_empty()),
        tags,
        start_min_ns: Some(ns_u64(start)),
        start_max_ns: Some(ns_u64(end)),
        duration_min_ns: (min_d != 0).then(|| ns_u64(i128::from(min_d))),
        duration_max_ns: (max_d != 0).then(|| ns_u64(i128::from(max_d))),
        limit: usize::try_from(limit.max(0)).unwrap_or(0),
    };
    Ok(SearchRequest {
        query,
        trace_ids,
        raw,
    })
}

/// Go's `encoding/json` text for the common syntax errors: input that ends
/// early, or a bad first character; serde's text otherwise.
fn go_json_syntax_error(text: &str, e: &serde_json::Error) -> String {
    if e.is_eof() {
        return "unexpected end of JSON input".to_string();
    }
    let first = text
        .trim_start_matches([' ', '\t', '\n', '\r'])
        .chars()
        .next();
    match first {
        Some(c) if !matches!(c, '{' | '[' | '"' | '-' | '0'..='9' | 't' | 'f' | 'n') => {
            format!(
                "invalid character {} looking for beginning of value",
                go_char(c)
            )
        }
        _ => e.to_string(),
    }
}

/// A character as Go's JSON scanner quotes it in errors.
fn go_char(c: char) -> String {
    match c {
        '\'' => "'\\''".to_string(),
        c if c.is_control() => format!("{:?}", c),
        c => format!("'{c}'"),
    }
}

/// Go's name of a JSON value's type in unmarshal errors.
fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn prepared(ts: Vec<Trace>, raw: bool) -> Vec<Trace> {
    ts.into_iter().map(|t| prepare(t, raw)).collect()
}

/// `GET /api/traces`: a search, or the traces of repeated `traceID=`.
pub(crate) async fn search(
    State(s): State<JaegerState>,
    RawQuery(q): RawQuery,
) -> Result<Response, V1Error> {
    let p = Params::new(q.as_deref());
    let req = parse_search(&p, s.clock.now_ms())?;
    let pretty = pretty(&p);
    let resp = off_worker(move || {
        let store = &s.ingest.store;
        if req.trace_ids.is_empty() {
            let traces = store.find_traces(&req.query);
            return v1_traces_response(&prepared(traces, req.raw), Value::Null, pretty);
        }
        let mut found = Vec::new();
        let mut errors = Vec::new();
        for id in &req.trace_ids {
            match store.get_trace(*id) {
                Some(t) => found.push(t),
                None => {
                    errors.push(json!({"msg": "trace not found", "traceID": id.to_jaeger_hex()}))
                }
            }
        }
        let errors = if errors.is_empty() {
            Value::Null
        } else {
            Value::Array(errors)
        };
        v1_traces_response(&prepared(found, req.raw), errors, pretty)
    })
    .await?;
    Ok(resp)
}

/// `GET /api/traces/{traceID}` (`start`/`end` are lookup hints only).
pub(crate) async fn trace(
    State(s): State<JaegerState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, V1Error> {
    let p = Params::new(q.as_deref());
    let id = trace_id(&id).map_err(QueryError::bad)?;
    time_param(&p, "start", 1_000, 0)?;
    time_param(&p, "end", 1_000, 0)?;
    let raw = match p.first("raw") {
        "" => false,
        v => parse_bool(v).map_err(|e| parse_error("raw", e))?,
    };
    let pretty = pretty(&p);
    off_worker(move || {
        let t = s.ingest.store.get_trace(id)?;
        Some(v1_traces_response(&[prepare(t, raw)], Value::Null, pretty))
    })
    .await?
    .ok_or_else(|| QueryError::not_found("trace not found").into())
}

/// `GET /api/dependencies?endTs=&lookback=[&service=]`.
pub(crate) async fn dependencies(
    State(s): State<JaegerState>,
    RawQuery(q): RawQuery,
) -> Result<Response, V1Error> {
    let p = Params::new(q.as_deref());
    let now_ns = i128::from(s.clock.now_ms()) * 1_000_000;
    let end = time_param(&p, "endTs", 1_000_000, now_ns)?;
    let lookback = time_param(
        &p,
        "lookback",
        1_000_000,
        i128::from(DEFAULT_DEPENDENCY_LOOKBACK_MS) * 1_000_000,
    )?;
    let service = p.first("service");
    let links = s
        .ingest
        .store
        .dependencies(ns_u64(end - lookback), ns_u64(end));
    let data: Vec<Value> = links
        .iter()
        .filter(|l| service.is_empty() || l.parent == service || l.child == service)
        .map(|l| json!({"parent": l.parent, "child": l.child, "callCount": l.call_count}))
        .collect();
    Ok(json_response(
        &envelope(Value::Array(data), 0, Value::Null),
        pretty(&p),
    ))
}

/// For tests: the status and message of a parse failure.
#[cfg(test)]
pub(crate) fn search_error(q: &str) -> (axum::http::StatusCode, String) {
    let e = parse_search(&Params::new(Some(q)), 0).unwrap_err();
    (e.status, e.msg)
}
