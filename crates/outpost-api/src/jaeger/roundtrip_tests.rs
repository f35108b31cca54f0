//! One trace sent through all four ingest protocols (Jaeger Thrift, Jaeger
//! gRPC, Zipkin v2, OTLP/HTTP JSON), in child-first order across batches,
//! read back whole through API v1 and v3: spans, parent links, processes,
//! durations in µs, tags, events as logs, the error flag, and dependencies.

use outpost_traces::jaeger_proto::collector_service_client::CollectorServiceClient;
use outpost_traces::jaeger_proto::{
    Batch, KeyValue, Log, PostSpansRequest, Process, Span as PbSpan, SpanRef,
};
use serde_json::{Value, json};

use super::*;
use crate::jaeger::test_support::{ThriftSpan, post, serve, state, thrift_batch};
use crate::test_util::call;

const HIGH: u64 = 0x5b8e_fff7_9803_8103;
const LOW: u64 = 0xd269_b633_813f_c60c;
const TRACE: &str = "5b8efff798038103d269b633813fc60c";
/// 2023-11-14T22:13:20Z in µs.
const T0_US: i64 = 1_700_000_000_000_000;

fn span_id(n: u64) -> Vec<u8> {
    n.to_be_bytes().to_vec()
}

async fn send_all(s: &JaegerState) {
    // OTLP first: the deepest child arrives before its ancestors.
    let otlp = json!({"resourceSpans": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "db"}}]},
      "scopeSpans": [{"scope": {"name": "io.db", "version": "1.2"}, "spans": [{
        "traceId": TRACE, "spanId": "0000000000000004", "parentSpanId": "0000000000000003",
        "name": "SELECT orders", "kind": 2,
        "startTimeUnixNano": ((T0_US + 300) * 1000).to_string(),
        "endTimeUnixNano": ((T0_US + 300 + 250) * 1000).to_string(),
        "attributes": [{"key": "db.rows", "value": {"intValue": "12"}}],
        "events": [{"timeUnixNano": ((T0_US + 400) * 1000).to_string(), "name": "slow query"}],
        "status": {"code": 2, "message": "deadlock"}}]}]}]});
    let (status, _, _) = post(
        &otlp_http_router(s.clone()),
        "/v1/traces",
        &[("content-type", "application/json")],
        otlp.to_string(),
    )
    .await;
    assert_eq!(status, 200);

    let zipkin = json!([{"traceId": TRACE, "id": "0000000000000003", "parentId": "0000000000000002",
        "name": "charge", "kind": "CLIENT", "timestamp": T0_US + 200, "duration": 600,
        "localEndpoint": {"serviceName": "payment"},
        "annotations": [{"timestamp": T0_US + 250, "value": "card sent"}],
        "tags": {"card.brand": "visa"}}]);
    let (status, _, _) = post(
        &zipkin_router(s.clone()),
        "/api/v2/spans",
        &[("content-type", "application/json")],
        zipkin.to_string(),
    )
    .await;
    assert_eq!(status, 202);

    let addr = serve(collector_grpc_router(s.clone())).await;
    let channel = tonic::transport::Channel::from_shared(addr)
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = CollectorServiceClient::new(channel);
    let kv = |k: &str, v: &str| KeyValue {
        key: k.into(),
        v_str: v.into(),
        ..Default::default()
    };
    let trace_id = [HIGH.to_be_bytes(), LOW.to_be_bytes()].concat();
    let req = PostSpansRequest {
        batch: Some(Batch {
            spans: vec![PbSpan {
                trace_id: trace_id.clone(),
                span_id: span_id(2),
                operation_name: "POST /checkout".into(),
                references: vec![SpanRef {
                    trace_id,
                    span_id: span_id(1),
                    ref_type: 0,
                }],
                start_time: Some(prost_types::Timestamp {
                    seconds: T0_US / 1_000_000,
                    nanos: 100_000,
                }),
                duration: Some(prost_types::Duration {
                    seconds: 0,
                    nanos: 3_000_000,
                }),
                tags: vec![
                    kv("span.kind", "server"),
                    KeyValue {
                        key: "error".into(),
                        v_type: 1,
                        v_bool: true,
                        ..Default::default()
                    },
                ],
                logs: vec![Log {
                    timestamp: Some(prost_types::Timestamp {
                        seconds: T0_US / 1_000_000,
                        nanos: 150_000,
                    }),
                    fields: vec![kv("event", "retry"), kv("attempt", "2")],
                }],
                ..Default::default()
            }],
            process: Some(Process {
                service_name: "checkout".into(),
                tags: vec![kv("hostname", "node-7")],
            }),
        }),
    };
    client.post_spans(req).await.unwrap();

    let thrift = thrift_batch(
        "frontend",
        &[ThriftSpan {
            trace_high: HIGH as i64,
            trace_low: LOW as i64,
            span_id: 1,
            parent_span_id: 0,
            operation: "GET /cart",
            start_us: T0_US,
            duration_us: 5_000,
        }],
    );
    let (status, _, _) = post(
        &collector_http_router(s.clone()),
        "/api/traces",
        &[("content-type", "application/x-thrift")],
        thrift,
    )
    .await;
    assert_eq!(status, 202);
}

fn tag<'a>(tags: &'a Value, key: &str) -> Option<&'a Value> {
    tags.as_array()?
        .iter()
        .find(|t| t["key"] == key)
        .map(|t| &t["value"])
}

#[tokio::test]
async fn one_trace_across_four_protocols_reads_back_whole_in_v1_and_v3() {
    let s = state(1000);
    send_all(&s).await;
    let q = query_router(s.clone());

    let (code, body) = call(&q, "GET", &format!("/api/traces/{TRACE}")).await;
    assert_eq!(code, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let t = &v["data"][0];
    assert_eq!(t["traceID"], TRACE);
    let spans = t["spans"].as_array().unwrap();
    assert_eq!(spans.len(), 4);
    let by_id = |id: &str| spans.iter().find(|s| s["spanID"] == id).unwrap();
    let service =
        |s: &Value| t["processes"][s["processID"].as_str().unwrap()]["serviceName"].clone();
    let parent = |s: &Value| s["references"][0]["spanID"].clone();

    let root = by_id("0000000000000001");
    assert_eq!(service(root), "frontend");
    assert_eq!(root["operationName"], "GET /cart");
    assert_eq!(root["references"], json!([]));
    assert_eq!(
        (root["startTime"].clone(), root["duration"].clone()),
        (json!(T0_US), json!(5000))
    );
    assert_eq!(tag(&root["tags"], "k"), Some(&json!("v")));

    let checkout = by_id("0000000000000002");
    assert_eq!(service(checkout), "checkout");
    assert_eq!(parent(checkout), "0000000000000001");
    assert_eq!(checkout["references"][0]["refType"], "CHILD_OF");
    assert_eq!(checkout["duration"], 3000);
    assert_eq!(tag(&checkout["tags"], "span.kind"), Some(&json!("server")));
    assert_eq!(tag(&checkout["tags"], "error"), Some(&json!(true)));
    assert_eq!(
        tag(&checkout["tags"], "otel.status_code"),
        Some(&json!("ERROR"))
    );
    assert_eq!(checkout["logs"][0]["timestamp"], T0_US + 150);
    assert_eq!(
        tag(&checkout["logs"][0]["fields"], "event"),
        Some(&json!("retry"))
    );
    let process = &t["processes"][checkout["processID"].as_str().unwrap()];
    assert_eq!(tag(&process["tags"], "host.name"), Some(&json!("node-7")));

    let payment = by_id("0000000000000003");
    assert_eq!(service(payment), "payment");
    assert_eq!(parent(payment), "0000000000000002");
    assert_eq!(payment["duration"], 600);
    assert_eq!(tag(&payment["tags"], "span.kind"), Some(&json!("client")));
    assert_eq!(tag(&payment["tags"], "card.brand"), Some(&json!("visa")));
    assert_eq!(
        tag(&payment["logs"][0]["fields"], "event"),
        Some(&json!("card sent"))
    );

    let db = by_id("0000000000000004");
    assert_eq!(service(db), "db");
    assert_eq!(parent(db), "0000000000000003");
    assert_eq!(db["duration"], 250);
    assert_eq!(tag(&db["tags"], "otel.scope.name"), Some(&json!("io.db")));
    assert_eq!(tag(&db["tags"], "db.rows"), Some(&json!(12)));
    assert_eq!(tag(&db["tags"], "error"), Some(&json!(true)));
    assert_eq!(
        tag(&db["tags"], "otel.status_description"),
        Some(&json!("deadlock"))
    );
    assert_eq!(
        tag(&db["logs"][0]["fields"], "event"),
        Some(&json!("slow query"))
    );

    // v3: the same four spans as OTLP JSON, parents and kinds intact.
    let (code, body) = call(&q, "GET", &format!("/api/v3/traces/{TRACE}")).await;
    assert_eq!(code, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let mut seen = Vec::new();
    for rs in v["result"]["resourceSpans"].as_array().unwrap() {
        let svc = rs["resource"]["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["key"] == "service.name")
            .unwrap()["value"]["stringValue"]
            .clone();
        for ss in rs["scopeSpans"].as_array().unwrap() {
            for sp in ss["spans"].as_array().unwrap() {
                assert_eq!(sp["traceId"], TRACE);
                seen.push((
                    svc.as_str().unwrap().to_string(),
                    sp["spanId"].as_str().unwrap().to_string(),
                    sp["parentSpanId"].as_str().unwrap_or("").to_string(),
                    sp["kind"].as_i64().unwrap_or(0),
                    sp["status"]["code"].as_i64().unwrap_or(0),
                ));
            }
        }
    }
    seen.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        seen,
        [
            (
                "frontend".into(),
                "0000000000000001".into(),
                "".into(),
                0,
                0
            ),
            (
                "checkout".into(),
                "0000000000000002".into(),
                "0000000000000001".into(),
                2,
                2
            ),
            (
                "payment".into(),
                "0000000000000003".into(),
                "0000000000000002".into(),
                3,
                0
            ),
            (
                "db".into(),
                "0000000000000004".into(),
                "0000000000000003".into(),
                2,
                2
            ),
        ]
    );

    // Search by a tag that only the gRPC span's log carries, and dependencies.
    let (code, body) = call(
        &q,
        "GET",
        &format!(
            "/api/traces?service=checkout&tag=attempt:2&start={}&end={}",
            T0_US - 1,
            T0_US + 10_000
        ),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["data"][0]["traceID"], TRACE);
    assert_eq!(v["data"][0]["spans"].as_array().unwrap().len(), 4);
    let end_ms = T0_US / 1000 + 1000;
    let (code, body) = call(
        &q,
        "GET",
        &format!("/api/dependencies?endTs={end_ms}&lookback=60000"),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let mut deps: Vec<(String, String, u64)> =
        serde_json::from_str::<Value>(&body).unwrap()["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["parent"].as_str().unwrap().into(),
                    d["child"].as_str().unwrap().into(),
                    d["callCount"].as_u64().unwrap(),
                )
            })
            .collect();
    deps.sort();
    assert_eq!(
        deps,
        [
            ("checkout".into(), "payment".into(), 1),
            ("frontend".into(), "checkout".into(), 1),
            ("payment".into(), "db".into(), 1),
        ]
    );
}
