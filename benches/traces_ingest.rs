//! OTLP trace ingest: protobuf decode + translation into the span model of
//! a 512-span request (10 attributes per span, 8 resource attributes, as an
//! SDK's batch span processor sends its default `max_export_batch_size`),
//! then the same with the write into the trace store. Reported as spans/s;
//! the target is ≥ 100,000 spans/s per core end to end.

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use outpost_otlp::proto::collector::trace::v1::ExportTraceServiceRequest;
use outpost_otlp::proto::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use outpost_otlp::proto::resource::v1::Resource;
use outpost_otlp::proto::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use outpost_otlp::{Compression, Encoding, decode};
use outpost_traces::translate::from_otlp;
use outpost_traces::{StoreOptions, TraceIngest, TraceStore};
use prost::Message;

const SPANS: usize = 512;

fn kv(k: &str, v: any_value::Value) -> KeyValue {
    KeyValue {
        key: k.into(),
        value: Some(AnyValue { value: Some(v) }),
        ..Default::default()
    }
}

fn s(v: String) -> any_value::Value {
    any_value::Value::StringValue(v)
}

/// One request; `round` varies the trace ids so writes make new traces.
fn request(round: u64) -> Vec<u8> {
    let spans = (0..SPANS as u64)
        .map(|i| {
            let trace = (u128::from(round) << 64) | u128::from(i / 8 + 1);
            Span {
                trace_id: trace.to_be_bytes().to_vec(),
                span_id: (i + 1).to_be_bytes().to_vec(),
                parent_span_id: if i % 8 == 0 {
                    vec![]
                } else {
                    (i - i % 8 + 1).to_be_bytes().to_vec()
                },
                name: format!("GET /api/v1/items/{}", i % 16),
                kind: 2,
                start_time_unix_nano: 1_700_000_000_000_000_000 + i * 1_000,
                end_time_unix_nano: 1_700_000_000_000_000_000 + i * 1_000 + 250_000,
                attributes: vec![
                    kv("http.request.method", s("GET".into())),
                    kv("http.route", s(format!("/api/v1/items/{}", i % 16))),
                    kv("http.response.status_code", any_value::Value::IntValue(200)),
                    kv("url.scheme", s("https".into())),
                    kv("server.address", s("shop.example".into())),
                    kv("server.port", any_value::Value::IntValue(443)),
                    kv("client.address", s(format!("10.0.0.{}", i % 250))),
                    kv(
                        "user_agent.original",
                        s("Mozilla/5.0 (X11; Linux x86_64)".into()),
                    ),
                    kv("network.protocol.version", s("1.1".into())),
                    kv("app.cache_hit", any_value::Value::BoolValue(i % 3 == 0)),
                ],
                status: Some(Status {
                    code: 0,
                    message: String::new(),
                }),
                ..Default::default()
            }
        })
        .collect();
    let req = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    kv("service.name", s("checkout".into())),
                    kv("service.version", s("1.4.2".into())),
                    kv("service.instance.id", s("a1b2c3".into())),
                    kv("host.name", s("node-7".into())),
                    kv("os.type", s("linux".into())),
                    kv("telemetry.sdk.name", s("opentelemetry".into())),
                    kv("telemetry.sdk.language", s("go".into())),
                    kv("telemetry.sdk.version", s("1.30.0".into())),
                ],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp".into(),
                    version: "0.55.0".into(),
                    ..Default::default()
                }),
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    req.encode_to_vec()
}

fn decode_req(body: &[u8]) -> ExportTraceServiceRequest {
    decode(body, Encoding::Protobuf, Compression::None, 20 << 20).unwrap()
}

fn traces_ingest(c: &mut Criterion) {
    let mut g = c.benchmark_group("traces_ingest");
    g.throughput(Throughput::Elements(SPANS as u64));
    let body = request(1);
    g.bench_function("otlp_decode_512_spans", |b| b.iter(|| decode_req(&body)));
    g.bench_function("otlp_decode_translate_512_spans", |b| {
        b.iter(|| {
            let (spans, rejected) = from_otlp(decode_req(&body));
            assert_eq!((spans.len(), rejected.count), (SPANS, 0));
            spans
        })
    });
    // End to end: decode, translate and store (the store evicts whole
    // traces once it holds 200,000 spans, as in a long run).
    let ingest = TraceIngest::new(Arc::new(TraceStore::new(StoreOptions {
        max_spans: 200_000,
    })));
    let bodies: Vec<Vec<u8>> = (1..=64).map(request).collect();
    let mut n = 0usize;
    g.bench_function("otlp_decode_translate_write_512_spans", |b| {
        b.iter(|| {
            n = n.wrapping_add(1);
            let (spans, _) = from_otlp(decode_req(&bodies[n % bodies.len()]));
            ingest.write(spans)
        })
    });
    g.finish();
}

criterion_group!(benches, traces_ingest);
criterion_main!(benches);
