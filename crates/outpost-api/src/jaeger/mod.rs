//! The traces family: span receivers (OTLP traces over HTTP and gRPC,
//! Jaeger's gRPC and Thrift collectors, Zipkin v2) writing through one
//! [`TraceIngest`], and the Jaeger query APIs (v1 UI JSON in `query`, v3
//! OTLP JSON in `v3`) reading the [`TraceStore`](outpost_traces::TraceStore),
//! plus the store's status under `/outpost/v1/status/traces`.

mod error;
mod params;
mod query;
mod spm;
mod v3;

mod collector;
mod counters;
mod otlp_traces;
#[cfg(test)]
mod test_support;
mod zipkin;

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use outpost_clock::Clock;
use outpost_traces::model::Trace;
use outpost_traces::{StoreStats, TraceIngest, render};
use serde_json::{Value, json};

pub use collector::{collector_grpc_router, collector_http_router};
pub use counters::TraceCounters;
pub use otlp_traces::{otlp_grpc_router, otlp_http_router};
pub use spm::{SpmState, spm_router};
pub use zipkin::zipkin_router;

/// What the traces family reaches.
#[derive(Clone)]
pub struct JaegerState {
    /// The process clock (defaults of `end`/`endTs`, lookbacks).
    pub clock: Clock,
    /// The write path (store plus span observers); `ingest.store` is read by queries.
    pub ingest: TraceIngest,
    /// Receiver counters, for `/metrics`.
    pub counters: Arc<TraceCounters>,
}

/// The Jaeger query listener's routes (16686): API v1 (UI JSON) and v3.
pub fn query_router(state: JaegerState) -> Router {
    Router::new()
        .route("/api/services", get(query::services))
        .route(
            "/api/services/{service}/operations",
            get(query::service_operations),
        )
        .route("/api/operations", get(query::operations))
        .route("/api/traces", get(query::search))
        .route("/api/traces/{trace_id}", get(query::trace))
        .route("/api/dependencies", get(query::dependencies))
        .route("/api/v3/services", get(v3::services))
        .route("/api/v3/operations", get(v3::operations))
        .route("/api/v3/traces", get(v3::find))
        .route("/api/v3/traces/{trace_id}", get(v3::trace))
        .route("/api/v3/trace-summaries", get(v3::summaries))
        .with_state(state)
}

/// `GET /outpost/v1/status/traces`: the store's sizes and counters, for every
/// HTTP listener.
pub fn status_router(state: JaegerState) -> Router {
    Router::new()
        .route("/outpost/v1/status/traces", get(status))
        .with_state(state)
}

fn stats_json(st: &StoreStats) -> Value {
    json!({
        "spans": st.spans,
        "traces": st.traces,
        "maxSpans": st.max_spans,
        "spansWrittenTotal": st.spans_written_total,
        "spansRejectedTotal": st.spans_rejected_total,
        "tracesEvictedTotal": st.traces_evicted_total,
        "spansEvictedTotal": st.spans_evicted_total,
    })
}

async fn status(State(s): State<JaegerState>) -> Response {
    crate::success(stats_json(&s.ingest.store.stats()))
}

/// Writes the store's families for `/metrics`.
pub fn render_store_metrics(st: &StoreStats, w: &mut String) {
    use std::fmt::Write as _;
    let mut family = |name: &str, kind: &str, help: &str, v: u64| {
        let _ = writeln!(w, "# HELP {name} {help}");
        let _ = writeln!(w, "# TYPE {name} {kind}");
        let _ = writeln!(w, "{name} {v}");
    };
    family(
        "outpost_traces_spans",
        "gauge",
        "Spans held by the trace store.",
        st.spans,
    );
    family(
        "outpost_traces_traces",
        "gauge",
        "Traces held by the trace store.",
        st.traces,
    );
    family(
        "outpost_traces_max_spans",
        "gauge",
        "Most spans the trace store holds (--traces.max-spans).",
        st.max_spans,
    );
    family(
        "outpost_traces_store_spans_written_total",
        "counter",
        "Spans stored.",
        st.spans_written_total,
    );
    family(
        "outpost_traces_store_spans_rejected_total",
        "counter",
        "Spans refused by the trace store (a batch larger than the store).",
        st.spans_rejected_total,
    );
    family(
        "outpost_traces_evicted_total",
        "counter",
        "Traces evicted whole to stay under --traces.max-spans.",
        st.traces_evicted_total,
    );
    family(
        "outpost_traces_spans_evicted_total",
        "counter",
        "Spans evicted with their traces.",
        st.spans_evicted_total,
    );
}

/// JSON as Go's `encoding/json` writes it: `<`, `>`, `&`, U+2028 and U+2029
/// escaped; indented by four spaces when `pretty` (Jaeger's `prettyPrint`).
pub(crate) fn go_json(v: &Value, pretty: bool) -> String {
    let text = if pretty {
        let mut buf = Vec::new();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
        if serde::Serialize::serialize(v, &mut ser).is_err() {
            return v.to_string();
        }
        String::from_utf8(buf).unwrap_or_else(|_| v.to_string())
    } else {
        v.to_string()
    };
    if !text.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        return text;
    }
    // These characters can only occur inside JSON strings, so replacing
    // them everywhere keeps the document valid.
    text.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// A 200 `application/json` response.
pub(crate) fn json_response(v: &Value, pretty: bool) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        go_json(v, pretty),
    )
        .into_response()
}

/// Runs store reads and rendering on the blocking pool, so a search over a
/// large store or a large trace does not hold an async worker.
pub(crate) async fn off_worker<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, error::QueryError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| error::QueryError {
            status: axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            msg: format!("query task failed: {e}"),
        })
}

/// A trace as the query APIs serve it: through the query-side adjusters
/// unless `raw`.
pub(crate) fn prepare(t: Trace, raw: bool) -> Trace {
    if raw { t } else { render::adjust(&t) }
}

/// A v1 envelope around traces (`data`), written directly as bytes unless
/// `pretty` (large traces stay fast).
pub(crate) fn v1_traces_response(ts: &[Trace], errors: Value, pretty: bool) -> Response {
    if pretty {
        let data: Vec<Value> = ts.iter().map(render::jaeger_trace).collect();
        let body = json!({"data": data, "total": 0, "limit": 0, "offset": 0, "errors": errors});
        return json_response(&body, true);
    }
    let mut out = Vec::with_capacity(1024);
    out.extend_from_slice(b"{\"data\":[");
    for (i, t) in ts.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        render::write_jaeger_trace(t, &mut out);
    }
    out.extend_from_slice(b"],\"total\":0,\"limit\":0,\"offset\":0,\"errors\":");
    out.extend_from_slice(go_json(&errors, false).as_bytes());
    out.push(b'}');
    bytes_response(out)
}

/// `{"result": TracesData}` for API v3, written directly as bytes.
pub(crate) fn v3_traces_response(ts: &[Trace]) -> Response {
    let mut out = Vec::with_capacity(1024);
    out.extend_from_slice(b"{\"result\":");
    render::write_otlp_traces(ts, &mut out);
    out.push(b'}');
    bytes_response(out)
}

fn bytes_response(body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

#[cfg(test)]
mod roundtrip_tests;
#[cfg(test)]
mod tests;
