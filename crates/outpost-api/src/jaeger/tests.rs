//! Router tests of the Jaeger query APIs through `oneshot`: the scenario
//! files in `tests/scenarios/jaeger/*.yaml` (request → status, content type,
//! body or JSON values), run against one fixed store, plus the status route.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use outpost_clock::Clock;
use outpost_traces::model::{
    Event, KeyValue, Resource, Scope, Span, SpanId, SpanKind, Status, StatusCode, TraceId, Value,
};
use outpost_traces::{StoreOptions, TraceIngest, TraceStore};
use serde::Deserialize;
use tower::ServiceExt;

use super::*;

/// 2026-01-01T00:00:00Z, the clock of every scenario.
const NOW_MS: i64 = 1_767_225_600_000;
const NOW_NS: u64 = NOW_MS as u64 * 1_000_000;
const MIN_NS: u64 = 60_000_000_000;

fn kv(k: &str, v: Value) -> KeyValue {
    KeyValue {
        key: Arc::from(k),
        value: v,
    }
}

fn resource(service: &str) -> Arc<Resource> {
    Arc::new(Resource {
        service: Arc::from(service),
        attributes: vec![
            kv("service.name", Value::Str(Arc::from(service))),
            kv("host.name", Value::Str(Arc::from("h1"))),
        ],
        ..Resource::default()
    })
}

#[allow(clippy::too_many_arguments)]
fn span(
    trace: u128,
    id: u64,
    parent: u64,
    res: &Arc<Resource>,
    name: &str,
    kind: SpanKind,
    start: u64,
    dur: u64,
) -> Span {
    Span {
        trace_id: TraceId(trace),
        span_id: SpanId(id),
        parent_span_id: SpanId(parent),
        trace_state: "".into(),
        flags: 0,
        name: Arc::from(name),
        kind,
        start_ns: start,
        end_ns: start + dur,
        attributes: vec![],
        events: vec![],
        links: vec![],
        status: Status::default(),
        dropped: [0; 3],
        resource: res.clone(),
        scope: Arc::new(Scope {
            name: "io.http".into(),
            version: "1.2".into(),
            ..Scope::default()
        }),
    }
}

/// The store every scenario reads:
/// - trace `a1` (64-bit id): frontend `GET /cart` (server, 250 ms, error,
///   `http.status_code=500`, an event `retry` with `attempt=2`) 10 minutes ago,
///   its child cart `load` (client, 20 ms, `db=redis`) and grandchild
///   cart `SELECT` (internal, 5 ms);
/// - trace `5b8efff798038103d269b633813fc60c`: frontend `GET /home` (server,
///   10 ms) an hour ago, child payment `charge` (server, 1.5 s);
/// - trace `b2`: cart `old` (unspecified kind, 1 ms) three days ago.
fn store() -> Arc<TraceStore> {
    let fe = resource("frontend");
    let cart = resource("cart");
    let pay = resource("payment");
    let t1 = NOW_NS - 10 * MIN_NS;
    let mut root = span(
        0xa1,
        1,
        0,
        &fe,
        "GET /cart",
        SpanKind::Server,
        t1,
        250_000_000,
    );
    root.status = Status {
        code: StatusCode::Error,
        message: "boom".into(),
    };
    root.attributes = vec![kv("http.status_code", Value::Int(500))];
    root.events = vec![Event {
        time_ns: t1 + 1_000,
        name: "retry".into(),
        attributes: vec![kv("attempt", Value::Int(2))],
        dropped_attributes_count: 0,
    }];
    let mut load = span(
        0xa1,
        2,
        1,
        &cart,
        "load",
        SpanKind::Client,
        t1 + 1_000_000,
        20_000_000,
    );
    load.attributes = vec![kv("db", Value::Str(Arc::from("redis")))];
    let select = span(
        0xa1,
        3,
        2,
        &cart,
        "SELECT",
        SpanKind::Internal,
        t1 + 2_000_000,
        5_000_000,
    );
    let t2 = NOW_NS - 60 * MIN_NS;
    let long_id = 0x5b8efff798038103d269b633813fc60c;
    let home = span(
        long_id,
        0x10,
        0,
        &fe,
        "GET /home",
        SpanKind::Server,
        t2,
        10_000_000,
    );
    let charge = span(
        long_id,
        0x11,
        0x10,
        &pay,
        "charge",
        SpanKind::Server,
        t2 + 1,
        1_500_000_000,
    );
    let old = span(
        0xb2,
        0x20,
        0,
        &cart,
        "old",
        SpanKind::Unspecified,
        NOW_NS - 3 * 24 * 60 * MIN_NS,
        1_000_000,
    );
    let st = Arc::new(TraceStore::new(StoreOptions { max_spans: 100 }));
    st.write(vec![root, load, select, home, charge, old]);
    st
}

fn state() -> JaegerState {
    JaegerState {
        clock: Clock::manual(NOW_MS),
        ingest: TraceIngest::new(store()),
        counters: Arc::new(TraceCounters::default()),
    }
}

fn router() -> Router {
    let s = state();
    query_router(s.clone()).merge(status_router(s))
}

async fn get_raw(r: &Router, uri: &str) -> (u16, String, String) {
    let req = Request::builder().uri(uri).body(Body::empty()).unwrap();
    let resp = r.clone().oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, ct, String::from_utf8(body.to_vec()).unwrap())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    #[allow(dead_code)]
    description: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    get: String,
    status: u16,
    #[serde(default)]
    content_type: Option<String>,
    /// The exact body.
    #[serde(default)]
    body: Option<String>,
    /// The whole body as JSON.
    #[serde(default)]
    json: Option<serde_json::Value>,
    /// JSON pointer → the value there.
    #[serde(default)]
    values: Vec<(String, serde_json::Value)>,
    /// JSON pointer → the length of the array there.
    #[serde(default)]
    lengths: Vec<(String, usize)>,
    /// JSON pointer → the array there, compared as a sorted set.
    #[serde(default)]
    sets: Vec<(String, Vec<serde_json::Value>)>,
}

fn scenario_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/scenarios/jaeger")
}

async fn run_case(r: &Router, file: &str, c: &Case) -> Result<(), String> {
    let (status, ct, body) = get_raw(r, &c.get).await;
    let at = format!("{file}: {} (GET {})", c.name, c.get);
    if status != c.status {
        return Err(format!(
            "{at}: status {status}, want {}; body {body}",
            c.status
        ));
    }
    if let Some(want) = &c.content_type
        && &ct != want
    {
        return Err(format!("{at}: content type {ct:?}, want {want:?}"));
    }
    if let Some(want) = &c.body
        && &body != want
    {
        return Err(format!("{at}: body\n  {body:?}\nwant\n  {want:?}"));
    }
    let needs_json =
        c.json.is_some() || !c.values.is_empty() || !c.lengths.is_empty() || !c.sets.is_empty();
    if !needs_json {
        return Ok(());
    }
    let v: serde_json::Value =
        serde_json::from_str(&body).map_err(|e| format!("{at}: not JSON ({e}): {body}"))?;
    if let Some(want) = &c.json
        && &v != want
    {
        return Err(format!("{at}: JSON\n  {v}\nwant\n  {want}"));
    }
    for (ptr, want) in &c.values {
        let got = v.pointer(ptr);
        if got != Some(want) {
            return Err(format!("{at}: {ptr} = {got:?}, want {want}; body {body}"));
        }
    }
    for (ptr, want) in &c.lengths {
        let got = v.pointer(ptr).and_then(|a| a.as_array()).map(Vec::len);
        if got != Some(*want) {
            return Err(format!(
                "{at}: len({ptr}) = {got:?}, want {want}; body {body}"
            ));
        }
    }
    for (ptr, want) in &c.sets {
        let mut got: Vec<String> = v
            .pointer(ptr)
            .and_then(|a| a.as_array())
            .map(|a| a.iter().map(|x| x.to_string()).collect())
            .unwrap_or_default();
        let mut want: Vec<String> = want.iter().map(|x| x.to_string()).collect();
        got.sort();
        want.sort();
        if got != want {
            return Err(format!("{at}: set {ptr} = {got:?}, want {want:?}"));
        }
    }
    Ok(())
}

#[tokio::test]
async fn scenarios() {
    let r = router();
    let mut files: Vec<_> = std::fs::read_dir(scenario_dir())
        .expect("tests/scenarios/jaeger")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "{files:?}");
    let mut failures = Vec::new();
    let mut n = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let sc: Scenario =
            serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        for c in &sc.cases {
            n += 1;
            if let Err(e) = run_case(&r, &name, c).await {
                failures.push(e);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn status_route_reports_the_store() {
    let r = router();
    let (code, ct, body) = get_raw(&r, "/outpost/v1/status/traces").await;
    assert_eq!((code, ct.as_str()), (200, "application/json"));
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], "success");
    assert_eq!(v["data"]["spans"], 6);
    assert_eq!(v["data"]["traces"], 3);
    assert_eq!(v["data"]["maxSpans"], 100);
    assert_eq!(v["data"]["spansWrittenTotal"], 6);
    assert_eq!(v["data"]["tracesEvictedTotal"], 0);
}

#[test]
fn store_metrics_render_every_family() {
    let st = store();
    st.write(
        (0..99)
            .map(|i| {
                span(
                    0xc0 + i,
                    1,
                    0,
                    &resource("x"),
                    "op",
                    SpanKind::Server,
                    NOW_NS,
                    1,
                )
            })
            .collect(),
    );
    let mut w = String::new();
    render_store_metrics(&st.stats(), &mut w);
    for line in [
        "outpost_traces_spans 100\n",
        "outpost_traces_max_spans 100\n",
        "outpost_traces_store_spans_written_total 105\n",
        "outpost_traces_store_spans_rejected_total 0\n",
        "# TYPE outpost_traces_evicted_total counter\n",
        "outpost_traces_spans_evicted_total 5\n",
    ] {
        assert!(w.contains(line), "{line:?} not in\n{w}");
    }
    assert!(w.contains("outpost_traces_traces "), "{w}");
}

#[test]
fn go_json_escapes_html_and_indents_with_four_spaces() {
    let v = serde_json::json!({"a": "<b>&", "c": [1]});
    assert_eq!(go_json(&v, false), r#"{"a":"\u003cb\u003e\u0026","c":[1]}"#);
    assert_eq!(
        go_json(&v, true),
        "{\n    \"a\": \"\\u003cb\\u003e\\u0026\",\n    \"c\": [\n        1\n    ]\n}"
    );
}

#[test]
fn search_parameters_as_jaeger_parses_them() {
    let p = |q: &str| query::parse_search(&params::Params::new(Some(q)), NOW_MS).unwrap();
    let r = p(
        "service=a&tags=%7B%22x%22%3A%221%22%7D&tag=y:2:3&minDuration=1.5ms&maxDuration=2s&limit=7&lookback=custom",
    );
    assert_eq!(r.query.service.as_deref(), Some("a"));
    let mut tags = r.query.tags.clone();
    tags.sort();
    assert_eq!(
        tags,
        [
            ("x".to_string(), "1".to_string()),
            ("y".into(), "2:3".into())
        ]
    );
    assert_eq!(r.query.duration_min_ns, Some(1_500_000));
    assert_eq!(r.query.duration_max_ns, Some(2_000_000_000));
    assert_eq!(r.query.limit, 7);
    // defaults: now - 2 days .. now, limit 100
    let r = p("service=a");
    assert_eq!(r.query.start_max_ns, Some(NOW_NS));
    assert_eq!(r.query.start_min_ns, Some(NOW_NS - 2 * 24 * 60 * MIN_NS));
    assert_eq!(r.query.limit, 100);
    // start/end in µs
    let r = p("service=a&start=1000&end=2000");
    assert_eq!(
        (r.query.start_min_ns, r.query.start_max_ns),
        (Some(1_000_000), Some(2_000_000))
    );
    // traceID mode needs no service
    let r = p("traceID=a1&traceID=5b8efff798038103d269b633813fc60c");
    assert_eq!(r.trace_ids.len(), 2);
    let e = query::search_error("service=a&limit=x");
    assert_eq!(e.1, "strconv.ParseInt: parsing \"x\": invalid syntax");
}

#[test]
fn v3_find_parameters_in_both_spellings() {
    let camel = "query.serviceName=a&query.operationName=op&query.startTimeMin=2026-01-01T00:00:00Z&query.startTimeMax=2026-01-01T01:00:00.5Z&query.durationMin=1ms&query.searchDepth=5&query.attributes=%7B%22k%22%3A%22v%22%7D";
    let snake = "query.service_name=a&query.operation_name=op&query.start_time_min=2026-01-01T00:00:00Z&query.start_time_max=2026-01-01T01:00:00.5Z&query.duration_min=1ms&query.num_traces=5&query.attributes=%7B%22k%22%3A%22v%22%7D";
    for q in [camel, snake] {
        let r = v3::parse_find(&params::Params::new(Some(q))).unwrap();
        assert_eq!(r.query.service.as_deref(), Some("a"), "{q}");
        assert_eq!(r.query.operation.as_deref(), Some("op"));
        assert_eq!(r.query.start_min_ns, Some(NOW_NS));
        assert_eq!(
            r.query.start_max_ns,
            Some(NOW_NS + 60 * MIN_NS + 500_000_000)
        );
        assert_eq!(r.query.duration_min_ns, Some(1_000_000));
        assert_eq!(r.query.limit, 5);
        assert_eq!(r.query.tags, [("k".to_string(), "v".to_string())]);
    }
}

#[tokio::test]
async fn an_empty_store_answers_empty_lists() {
    let s = JaegerState {
        clock: Clock::manual(NOW_MS),
        ingest: TraceIngest::new(Arc::new(TraceStore::new(StoreOptions::default()))),
        counters: Arc::new(TraceCounters::default()),
    };
    let r = query_router(s);
    let envelope = |data: &str, total: usize| {
        format!(r#"{{"data":{data},"total":{total},"limit":0,"offset":0,"errors":null}}"#)
    };
    for (uri, status, body) in [
        ("/api/services", 200, envelope("[]", 0)),
        ("/api/services/x/operations", 200, envelope("null", 0)),
        ("/api/operations?service=x", 200, envelope("[]", 0)),
        ("/api/traces?service=x", 200, envelope("[]", 0)),
        ("/api/dependencies", 200, envelope("[]", 0)),
        ("/api/v3/services", 200, "{}".to_string()),
        ("/api/v3/operations?service=x", 200, "{}".to_string()),
        (
            "/api/v3/trace-summaries?query.startTimeMin=2025-01-01T00:00:00Z&query.startTimeMax=2026-01-01T00:00:00Z",
            200,
            "{}".to_string(),
        ),
    ] {
        let (code, _, got) = get_raw(&r, uri).await;
        assert_eq!((code, got.as_str()), (status, body.as_str()), "{uri}");
    }
}
