//! OTLP trace receiver tests: HTTP through `oneshot`, gRPC over a loopback
//! socket, and one trace assembled from every protocol.

use outpost_otlp::proto::collector::trace::v1::ExportTracePartialSuccess;
use outpost_otlp::proto::collector::trace::v1::trace_service_client::TraceServiceClient;
use outpost_otlp::proto::common::v1::{AnyValue, KeyValue, any_value};
use outpost_otlp::proto::resource::v1::Resource;
use outpost_otlp::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use outpost_traces::model::{SpanId, TraceId};
use prost::Message;
use tonic::Code;

use crate::body::OTLP_HTTP_BODY_BYTES;
use crate::otlp::{INVALID_ARGUMENT, RESOURCE_EXHAUSTED};

use super::*;
use crate::jaeger::test_support::{ThriftSpan, post, serve, state, thrift_batch};

const PROTOBUF: (&str, &str) = ("content-type", "application/x-protobuf");

fn span(trace: Vec<u8>, id: u64, parent: u64) -> Span {
    Span {
        trace_id: trace,
        span_id: id.to_be_bytes().to_vec(),
        parent_span_id: if parent == 0 {
            vec![]
        } else {
            parent.to_be_bytes().to_vec()
        },
        name: "op".into(),
        start_time_unix_nano: 1_700_000_000_000_000_000,
        end_time_unix_nano: 1_700_000_000_001_000_000,
        ..Default::default()
    }
}

fn request(spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![KeyValue {
                    key: "service.name".into(),
                    value: Some(AnyValue {
                        value: Some(any_value::Value::StringValue("otlp-svc".into())),
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

#[tokio::test]
async fn invalid_ids_come_back_as_partial_success() {
    let s = state(1000);
    let app = otlp_http_router(s.clone());
    let req = request(vec![
        span(vec![3; 16], 1, 0),
        span(vec![3; 15], 2, 0),
        span(vec![3; 16], 3, 1),
    ]);
    let (status, h, body) = post(&app, "/v1/traces", &[PROTOBUF], req.encode_to_vec()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h["content-type"], "application/x-protobuf");
    let resp = ExportTraceServiceResponse::decode(body).unwrap();
    assert_eq!(
        resp.partial_success,
        Some(ExportTracePartialSuccess {
            rejected_spans: 1,
            error_message: "invalid trace id: 15 bytes, want 16".into(),
        })
    );
    let t = s
        .ingest
        .store
        .get_trace(TraceId(u128::from_be_bytes([3; 16])))
        .unwrap();
    assert_eq!(t.spans.len(), 2);
    assert_eq!(s.counters.spans_received("otlp_http"), 2);
    assert_eq!(s.counters.spans_rejected("otlp_http"), 1);
}

#[tokio::test]
async fn json_bodies_succeed_with_an_empty_response() {
    let s = state(1000);
    let app = otlp_http_router(s.clone());
    let json = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"cart"}}]},"scopeSpans":[{"scope":{"name":"io.http","version":"1.2"},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","parentSpanId":"eee19b7ec3c1b173","name":"GET /cart","kind":2,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000250000000","status":{"code":2,"message":"boom"}}]}]}]}"#;
    let (status, h, body) = post(
        &app,
        "/v1/traces",
        &[("content-type", "application/json")],
        json,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h["content-type"], "application/json");
    assert_eq!(body, "{}");
    let id = TraceId::parse_hex("5b8efff798038103d269b633813fc60c").unwrap();
    assert_eq!(
        s.ingest.store.get_trace(id).unwrap().spans[0].service(),
        "cart"
    );
    // An empty request succeeds too.
    let (status, _, body) = post(&app, "/v1/traces", &[PROTOBUF], Vec::new()).await;
    assert_eq!((status, body.len()), (StatusCode::OK, 0));
}

#[tokio::test]
async fn refused_bodies_get_the_specs_codes() {
    let s = state(1000);
    let app = otlp_http_router(s.clone());
    let (status, _, body) = post(&app, "/v1/traces", &[PROTOBUF], vec![0xff, 0xff, 0xff]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let st = outpost_otlp_status(&body);
    assert_eq!(st.0, INVALID_ARGUMENT);
    assert!(st.1.starts_with("protobuf decode error"), "{}", st.1);
    let (status, _, _) = post(&app, "/v1/traces", &[("content-type", "text/plain")], "x").await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let big = vec![0u8; OTLP_HTTP_BODY_BYTES + 1];
    let (status, _, body) = post(&app, "/v1/traces", &[PROTOBUF], big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(outpost_otlp_status(&body).0, RESOURCE_EXHAUSTED);
    assert_eq!(s.counters.body_too_large()[0].get(), 1);
    assert_eq!(s.counters.requests("otlp_http", false), 3);
    assert_eq!(s.ingest.store.stats().spans, 0);
}

/// Decodes a protobuf `google.rpc.Status` (code, message).
fn outpost_otlp_status(b: &[u8]) -> (i32, String) {
    #[derive(Clone, PartialEq, prost::Message)]
    struct Status {
        #[prost(int32, tag = "1")]
        code: i32,
        #[prost(string, tag = "2")]
        message: String,
    }
    let s = Status::decode(b).unwrap();
    (s.code, s.message)
}

#[tokio::test]
async fn grpc_export_with_partial_success_and_limit() {
    let s = state(1000);
    let addr = serve(otlp_grpc_router(s.clone())).await;
    let channel = tonic::transport::Channel::from_shared(addr)
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = TraceServiceClient::new(channel);
    let resp = client
        .export(request(vec![
            span(vec![4; 16], 1, 0),
            span(vec![4; 16], 2, 1),
            span(vec![4; 16], 3, 0),
        ]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resp.partial_success, None);
    let resp = client
        .export(request(vec![span(vec![4; 16], 0, 0)]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resp.partial_success.unwrap().rejected_spans, 1);
    assert_eq!(s.ingest.store.stats().spans, 3);

    let mut big = span(vec![5; 16], 1, 0);
    big.name = "x".repeat(5 << 20);
    let err = client.export(request(vec![big])).await.unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted, "{err:?}");
    assert_eq!(s.counters.body_too_large()[1].get(), 1);
    assert_eq!(s.counters.requests("otlp_grpc", true), 2);
}

/// Spans of one trace sent over OTLP, Jaeger Thrift and Zipkin, out of
/// order and in separate batches, assemble into one trace.
#[tokio::test]
async fn one_trace_assembles_across_protocols() {
    let s = state(1000);
    let trace = TraceId::from_halves(0x1111, 0x2222);
    // The grandchild first (Zipkin), then the root (Thrift), then the child (OTLP).
    let zipkin = format!(
        r#"[{{"traceId":"{}","id":"0000000000000003","parentId":"0000000000000002","name":"c","timestamp":1700000000000300,"duration":10,"localEndpoint":{{"serviceName":"z"}}}}]"#,
        trace.to_hex32()
    );
    let (status, _, _) = post(
        &crate::jaeger::zipkin_router(s.clone()),
        "/api/v2/spans",
        &[("content-type", "application/json")],
        zipkin,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let thrift = thrift_batch(
        "t",
        &[ThriftSpan {
            trace_high: 0x1111,
            trace_low: 0x2222,
            span_id: 1,
            parent_span_id: 0,
            operation: "a",
            start_us: 1_700_000_000_000_000,
            duration_us: 1_000,
        }],
    );
    let (status, _, _) = post(
        &crate::jaeger::collector_http_router(s.clone()),
        "/api/traces",
        &[("content-type", "application/x-thrift")],
        thrift,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let otlp = request(vec![span(trace.to_bytes().to_vec(), 2, 1)]);
    let (status, _, _) = post(
        &otlp_http_router(s.clone()),
        "/v1/traces",
        &[PROTOBUF],
        otlp.encode_to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let t = s.ingest.store.get_trace(trace).unwrap();
    let got: Vec<(SpanId, SpanId, &str)> = t
        .spans
        .iter()
        .map(|s| (s.span_id, s.parent_span_id, s.service()))
        .collect();
    assert_eq!(
        got,
        [
            (SpanId(3), SpanId(2), "z"),
            (SpanId(1), SpanId(0), "t"),
            (SpanId(2), SpanId(1), "otlp-svc"),
        ]
    );
}

/// OTLP/JSON with a 15-byte (30 hex digit) trace id: that span is
/// rejected and named in the partial success, the other one stored.
#[tokio::test]
async fn json_with_a_short_trace_id_is_a_partial_success() {
    let s = state(1000);
    let app = otlp_http_router(s.clone());
    let json = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[
        {"traceId":"5b8efff798038103d269b633813fc6","spanId":"eee19b7ec3c1b174","name":"a"},
        {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175","name":"b"}]}]}]}"#;
    let (status, _, body) = post(
        &app,
        "/v1/traces",
        &[("content-type", "application/json")],
        json,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"partialSuccess": {"rejectedSpans": 1, "errorMessage": "invalid trace id: 15 bytes, want 16"}})
    );
    assert_eq!(s.ingest.store.stats().spans, 1);
}

/// The otlp-grpc listener serves the metrics and the traces services from
/// one merged router (regression: tonic's `Routes` fallback made axum's
/// `merge` panic), and each keeps its own limit handling.
#[tokio::test]
async fn traces_and_metrics_grpc_routers_merge() {
    use outpost_otlp::proto::collector::metrics::v1::ExportMetricsServiceRequest;
    use outpost_otlp::proto::collector::metrics::v1::metrics_service_client::MetricsServiceClient;

    let s = state(1000);
    let metrics = crate::OtlpState {
        clock: outpost_clock::Clock::manual(0),
        tsdb: std::sync::Arc::new(outpost_tsdb::Tsdb::new(Default::default())),
        otlp: Default::default(),
    };
    let app = crate::otlp::grpc_router(metrics)
        .merge(otlp_grpc_router(s.clone()))
        .merge(crate::jaeger::collector_grpc_router(s.clone()));
    let addr = serve(app).await;
    let channel = tonic::transport::Channel::from_shared(addr)
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut traces = TraceServiceClient::new(channel.clone());
    traces
        .export(request(vec![span(vec![6; 16], 1, 0)]))
        .await
        .unwrap();
    let mut metrics = MetricsServiceClient::new(channel);
    metrics
        .export(ExportMetricsServiceRequest::default())
        .await
        .unwrap();
    assert_eq!(s.ingest.store.stats().spans, 1);
}
