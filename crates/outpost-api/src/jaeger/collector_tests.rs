//! Jaeger collector receiver tests: Thrift over HTTP through `oneshot`,
//! gRPC PostSpans over a loopback socket.

use outpost_traces::jaeger_proto::collector_service_client::CollectorServiceClient;
use outpost_traces::jaeger_proto::{Batch, KeyValue, Process, Span as PbSpan};
use outpost_traces::model::{SpanId, TraceId};
use tonic::Code;

use super::*;
use crate::jaeger::test_support::{ThriftSpan, post, serve, state, thrift_batch};

fn two_spans() -> Vec<u8> {
    thrift_batch(
        "cart",
        &[
            ThriftSpan {
                trace_high: 0,
                trace_low: 0x42,
                span_id: 1,
                parent_span_id: 0,
                operation: "GET /cart",
                start_us: 1_700_000_000_000_000,
                duration_us: 1_000,
            },
            ThriftSpan {
                trace_high: 0,
                trace_low: 0x42,
                span_id: 2,
                parent_span_id: 1,
                operation: "SELECT",
                start_us: 1_700_000_000_000_100,
                duration_us: 500,
            },
        ],
    )
}

#[tokio::test]
async fn thrift_batches_are_accepted_with_either_content_type() {
    let s = state(1000);
    let app = collector_http_router(s.clone());
    for ct in [
        "application/x-thrift",
        "application/vnd.apache.thrift.binary; charset=utf-8",
        "Application/X-Thrift",
    ] {
        let (status, _, body) =
            post(&app, "/api/traces", &[("content-type", ct)], two_spans()).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{ct}");
        assert!(body.is_empty());
    }
    let t = s
        .ingest
        .store
        .get_trace(TraceId::from_halves(0, 0x42))
        .unwrap();
    assert_eq!(t.spans.len(), 6);
    assert_eq!(t.spans[1].parent_span_id, SpanId(1));
    assert_eq!(t.spans[0].service(), "cart");
    assert_eq!(s.counters.requests("jaeger_thrift_http", true), 3);
    assert_eq!(s.counters.spans_received("jaeger_thrift_http"), 6);
}

#[tokio::test]
async fn thrift_refusals_use_jaegers_texts() {
    let s = state(1000);
    let app = collector_http_router(s.clone());
    let (status, h, body) = post(&app, "/api/traces", &[], two_spans()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(h["content-type"], "text/plain; charset=utf-8");
    assert_eq!(body, "Cannot parse content type: mime: no media type\n");
    let (status, _, body) = post(
        &app,
        "/api/traces",
        &[("content-type", "application/json")],
        two_spans(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, "Unsupported content type: application/json\n");
    let mut corrupt = two_spans();
    corrupt.truncate(corrupt.len() - 3);
    let (status, _, body) = post(
        &app,
        "/api/traces",
        &[("content-type", "application/x-thrift")],
        corrupt,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let text = String::from_utf8(body.to_vec()).unwrap();
    assert!(
        text.starts_with("Unable to process request body: thrift: truncated input"),
        "{text}"
    );
    assert_eq!(s.counters.requests("jaeger_thrift_http", false), 3);
    assert_eq!(
        s.ingest.store.stats().spans,
        0,
        "nothing stored from refused bodies"
    );
}

#[tokio::test]
async fn gzip_thrift_bodies_are_inflated() {
    use std::io::Write as _;
    let s = state(1000);
    let app = collector_http_router(s.clone());
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(&two_spans()).unwrap();
    let gz = e.finish().unwrap();
    let headers = [
        ("content-type", "application/x-thrift"),
        ("content-encoding", "gzip"),
    ];
    let (status, _, _) = post(&app, "/api/traces", &headers, gz).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(s.ingest.store.stats().spans, 2);
    let (status, _, body) = post(&app, "/api/traces", &headers, two_spans()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.starts_with(b"Unable to process request body: gzip decode error"));
}

#[tokio::test]
async fn oversized_thrift_bodies_are_413_and_counted() {
    let s = state(1000);
    let app = collector_http_router(s.clone());
    let big = vec![0u8; COLLECTOR_HTTP_BODY_BYTES + 1];
    let (status, _, body) = post(
        &app,
        "/api/traces",
        &[("content-type", "application/x-thrift")],
        big,
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        body,
        format!("request body exceeds the limit of {COLLECTOR_HTTP_BODY_BYTES} bytes\n")
    );
    assert_eq!(s.counters.body_too_large()[3].get(), 1);
}

fn request(trace: Vec<u8>, tag_len: usize) -> PostSpansRequest {
    PostSpansRequest {
        batch: Some(Batch {
            spans: vec![PbSpan {
                trace_id: trace,
                span_id: 7u64.to_be_bytes().to_vec(),
                operation_name: "op".into(),
                tags: vec![KeyValue {
                    key: "blob".into(),
                    v_str: "x".repeat(tag_len),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            process: Some(Process {
                service_name: "grpc-svc".into(),
                tags: vec![],
            }),
        }),
    }
}

#[tokio::test]
async fn grpc_post_spans_writes_and_refuses_bad_ids_and_large_messages() {
    let s = state(1000);
    let addr = serve(collector_grpc_router(s.clone())).await;
    let channel = tonic::transport::Channel::from_shared(addr)
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = CollectorServiceClient::new(channel);
    client.post_spans(request(vec![9; 16], 1)).await.unwrap();
    let t = s
        .ingest
        .store
        .get_trace(TraceId(u128::from_be_bytes([9; 16])))
        .unwrap();
    assert_eq!(t.spans[0].service(), "grpc-svc");

    let err = client
        .post_spans(request(vec![9; 15], 1))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        err.message(),
        "span 0: invalid trace id: 15 bytes, want 16 (or 8)"
    );

    let err = client
        .post_spans(request(vec![8; 16], 5 << 20))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted, "{err:?}");
    assert_eq!(s.counters.body_too_large()[2].get(), 1);
    // Below the 4 MiB limit is accepted.
    client
        .post_spans(request(vec![8; 16], 3 << 20))
        .await
        .unwrap();
    assert_eq!(s.counters.requests("jaeger_grpc", true), 2);
    assert_eq!(s.counters.requests("jaeger_grpc", false), 2);
    assert_eq!(s.ingest.store.stats().spans, 2);
}
