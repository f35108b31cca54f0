//! Jaeger API v3 over HTTP (fact sheet §6): traces as OTLP JSON under
//! `{"result": ...}`, services, operations and trace summaries. Parameters
//! are read in the camelCase spelling (v2.19+) first, then the snake_case
//! one (v2.17/2.18 and Grafana). Errors are `{"error":{"httpCode","message"}}`.

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use outpost_traces::TraceQuery;
use outpost_traces::model::SpanKind;
use serde_json::{Value, json};

use super::error::{QueryError, V3Error};
use super::params::{Params, atoi, go_duration, ns_u64, parse_bool, rfc3339_nano, trace_id};
use outpost_traces::render;

use super::{JaegerState, json_response, off_worker, prepare, v3_traces_response};

/// `query.searchDepth` when absent.
const DEFAULT_SEARCH_DEPTH: i64 = 100;

fn malformed(name: &str, e: String) -> QueryError {
    QueryError::bad(format!("malformed parameter {name}: {e}"))
}

fn bool_param(p: &Params, names: &[&str]) -> Result<bool, QueryError> {
    match p.any(names) {
        None => Ok(false),
        Some((n, v)) => parse_bool(v).map_err(|e| malformed(n, e)),
    }
}

fn time_param(p: &Params, names: &[&str]) -> Result<Option<i128>, QueryError> {
    match p.any(names) {
        None => Ok(None),
        Some((n, v)) => rfc3339_nano(v).map(Some).map_err(|e| malformed(n, e)),
    }
}

/// `GET /api/v3/traces/{trace_id}`.
pub(crate) async fn trace(
    State(s): State<JaegerState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, V3Error> {
    let p = Params::new(q.as_deref());
    let id = trace_id(&id).map_err(|e| malformed("trace_id", e))?;
    time_param(&p, &["startTime", "start_time"])?;
    time_param(&p, &["endTime", "end_time"])?;
    let raw = bool_param(&p, &["rawTraces", "raw_traces"])?;
    off_worker(move || {
        let t = s.ingest.store.get_trace(id)?;
        Some(v3_traces_response(&[prepare(t, raw)]))
    })
    .await?
    .ok_or_else(|| QueryError::not_found("No traces found").into())
}

/// What a v3 search asks for.
#[derive(Debug)]
pub(crate) struct FindRequest {
    pub(crate) query: TraceQuery,
    pub(crate) raw: bool,
}

/// The `query.*` parameters of `/api/v3/traces` and `/api/v3/trace-summaries`.
pub(crate) fn parse_find(p: &Params) -> Result<FindRequest, QueryError> {
    let text = |names: &[&str]| p.any(names).map(|(_, v)| v.to_string());
    let service = text(&["query.serviceName", "query.service_name"]);
    let operation = text(&["query.operationName", "query.operation_name"]);
    let start_min = time_param(p, &["query.startTimeMin", "query.start_time_min"])?;
    let start_max = time_param(p, &["query.startTimeMax", "query.start_time_max"])?;
    let (Some(start_min), Some(start_max)) = (start_min, start_max) else {
        return Err(QueryError::bad(
            "query.startTimeMin and query.startTimeMax are required",
        ));
    };
    let dur = |names: &[&str]| -> Result<Option<u64>, QueryError> {
        match p.any(names) {
            None => Ok(None),
            Some((n, v)) => go_duration(v)
                .map(|d| Some(ns_u64(i128::from(d))))
                .map_err(|e| malformed(n, e)),
        }
    };
    let duration_min = dur(&["query.durationMin", "query.duration_min"])?;
    let duration_max = dur(&["query.durationMax", "query.duration_max"])?;
    let depth = match p.any(&[
        "query.searchDepth",
        "query.search_depth",
        "query.num_traces",
    ]) {
        None => DEFAULT_SEARCH_DEPTH,
        Some((n, v)) => atoi(v).map_err(|e| malformed(n, e))?,
    };
    let raw = bool_param(p, &["query.rawTraces", "query.raw_traces"])?;
    let mut tags = Vec::new();
    if let Some((n, v)) = p.any(&["query.attributes"]) {
        let m: serde_json::Map<String, Value> =
            serde_json::from_str(v).map_err(|e| malformed(n, e.to_string()))?;
        for (k, v) in m {
            let v = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            tags.push((k, v));
        }
    }
    Ok(FindRequest {
        query: TraceQuery {
            service,
            operation,
            tags,
            start_min_ns: Some(ns_u64(start_min)),
            start_max_ns: Some(ns_u64(start_max)),
            duration_min_ns: duration_min.filter(|d| *d != 0),
            duration_max_ns: duration_max.filter(|d| *d != 0),
            limit: usize::try_from(depth.max(0)).unwrap_or(0),
        },
        raw,
    })
}

/// The traces a search finds, adjusted unless raw.
fn found(s: &JaegerState, req: &FindRequest) -> Vec<outpost_traces::model::Trace> {
    s.ingest
        .store
        .find_traces(&req.query)
        .into_iter()
        .map(|t| prepare(t, req.raw))
        .collect()
}

/// `GET /api/v3/traces`: every match merged into one `TracesData`; none → 404.
pub(crate) async fn find(
    State(s): State<JaegerState>,
    RawQuery(q): RawQuery,
) -> Result<Response, V3Error> {
    let p = Params::new(q.as_deref());
    let req = parse_find(&p)?;
    off_worker(move || {
        let traces = found(&s, &req);
        (!traces.is_empty()).then(|| v3_traces_response(&traces))
    })
    .await?
    .ok_or_else(|| QueryError::not_found("No traces found").into())
}

/// `GET /api/v3/trace-summaries`: the same search, one summary per trace.
pub(crate) async fn summaries(
    State(s): State<JaegerState>,
    RawQuery(q): RawQuery,
) -> Result<Response, V3Error> {
    let p = Params::new(q.as_deref());
    let req = parse_find(&p)?;
    let resp = off_worker(move || {
        let traces = found(&s, &req);
        if traces.is_empty() {
            return json_response(&json!({}), false);
        }
        json_response(&render::trace_summaries(&traces), false)
    })
    .await?;
    Ok(resp)
}

/// `GET /api/v3/services`: `{}` when there are none (defaults omitted).
pub(crate) async fn services(State(s): State<JaegerState>) -> Response {
    let svcs = s.ingest.store.services();
    if svcs.is_empty() {
        return json_response(&json!({}), false);
    }
    json_response(&json!({"services": svcs}), false)
}

/// `GET /api/v3/operations?service=&spanKind=`; an unset kind reads `internal`.
pub(crate) async fn operations(State(s): State<JaegerState>, RawQuery(q): RawQuery) -> Response {
    let p = Params::new(q.as_deref());
    let service = p.first("service");
    let kind = p.any(&["spanKind", "span_kind"]).map(|(_, v)| v);
    let ops = match kind {
        None => s.ingest.store.operations(service, None),
        Some(k) => match SpanKind::from_jaeger_name(k) {
            Some(k) => s.ingest.store.operations(service, Some(k)),
            None => Vec::new(),
        },
    };
    let mut seen = std::collections::BTreeSet::new();
    let list: Vec<Value> = ops
        .iter()
        .map(|o| {
            (
                o.name.to_string(),
                o.kind.jaeger_name().unwrap_or("internal"),
            )
        })
        .filter(|pair| seen.insert(pair.clone()))
        .map(|(name, kind)| json!({"name": name, "spanKind": kind}))
        .collect();
    if list.is_empty() {
        return json_response(&json!({}), false);
    }
    json_response(&json!({"operations": list}), false)
}
