//! Rendering one 10,000-span trace for the Jaeger query APIs (the issue's
//! budget: ≤ 50 ms end to end): the query-side adjusters, the v1 UI JSON and
//! the v3 OTLP JSON written as bytes, and the `serde_json::Value` builder
//! plus serialization for comparison. Reported as spans/s; the time per
//! iteration is the time per trace.

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use outpost_traces::model::{
    Event, KeyValue, Link, Resource, Scope, Span, SpanId, SpanKind, Status, StatusCode, Trace,
    TraceId, Value,
};
use outpost_traces::render;

const SPANS: u64 = 10_000;

fn kv(k: &str, v: Value) -> KeyValue {
    KeyValue {
        key: Arc::from(k),
        value: v,
    }
}

fn st(v: &str) -> Value {
    Value::Str(Arc::from(v))
}

/// A fan-out trace over 20 services on 5 hosts: 8 attributes, one event per
/// span, a link on every tenth span, an error on every thirteenth.
fn trace() -> Trace {
    let tid = TraceId(0x5b8efff798038103d269b633813fc60c);
    let resources: Vec<Arc<Resource>> = (0..20)
        .map(|i| {
            let name = format!("service-{i}");
            Arc::new(Resource {
                service: Arc::from(name.as_str()),
                attributes: vec![
                    kv("service.name", st(&name)),
                    kv("host.name", st(&format!("node-{}", i % 5))),
                    kv("telemetry.sdk.language", st("go")),
                ],
                ..Default::default()
            })
        })
        .collect();
    let scope = Arc::new(Scope {
        name: "io.opentelemetry.http".into(),
        version: "1.30.0".into(),
        ..Default::default()
    });
    let spans = (1..=SPANS)
        .map(|i| {
            let start = 1_700_000_000_000_000_000 + i * 1_000;
            Arc::new(Span {
                trace_id: tid,
                span_id: SpanId(i),
                parent_span_id: SpanId(i / 2),
                trace_state: "".into(),
                flags: 1,
                name: Arc::from(format!("GET /api/v1/items/{}", i % 50)),
                kind: if i % 2 == 0 {
                    SpanKind::Server
                } else {
                    SpanKind::Client
                },
                start_ns: start,
                end_ns: start + 1_000_000 / i,
                attributes: vec![
                    kv("http.method", st("GET")),
                    kv("http.route", st("/api/v1/items/{id}")),
                    kv("http.status_code", Value::Int(200 + (i % 5) as i64 * 100)),
                    kv(
                        "http.url",
                        st(&format!("http://svc/api/v1/items/{i}?q=a&b=c")),
                    ),
                    kv("net.peer.port", Value::Int(8080)),
                    kv("retry", Value::Bool(i % 7 == 0)),
                    kv("ratio", Value::Double(i as f64 / 3.0)),
                    kv("user.id", st(&format!("user-{}", i % 1000))),
                ],
                events: vec![Event {
                    time_ns: start + 10,
                    name: "cache lookup".into(),
                    attributes: vec![kv("hit", Value::Bool(i % 3 == 0))],
                    dropped_attributes_count: 0,
                }],
                links: if i % 10 == 0 {
                    vec![Link {
                        trace_id: TraceId(0x99),
                        span_id: SpanId(i),
                        ..Default::default()
                    }]
                } else {
                    vec![]
                },
                status: if i % 13 == 0 {
                    Status {
                        code: StatusCode::Error,
                        message: "upstream timeout".into(),
                    }
                } else {
                    Status::default()
                },
                dropped: [0; 3],
                resource: resources[(i % 20) as usize].clone(),
                scope: scope.clone(),
            })
        })
        .collect();
    Trace {
        trace_id: tid,
        spans,
    }
}

fn traces_render(c: &mut Criterion) {
    let t = trace();
    let adjusted = render::adjust(&t);
    let mut g = c.benchmark_group("traces_render");
    g.throughput(Throughput::Elements(SPANS));
    g.bench_function("adjust_10k_spans", |b| b.iter(|| render::adjust(&t)));
    g.bench_function("v1_bytes_10k_spans", |b| {
        b.iter(|| {
            let mut out = Vec::new();
            render::write_jaeger_trace(&adjusted, &mut out);
            out
        })
    });
    g.bench_function("v3_bytes_10k_spans", |b| {
        b.iter(|| {
            let mut out = Vec::new();
            render::write_otlp_traces(std::slice::from_ref(&adjusted), &mut out);
            out
        })
    });
    g.bench_function("adjust_and_v1_bytes_10k_spans", |b| {
        b.iter(|| {
            let mut out = Vec::new();
            render::write_jaeger_trace(&render::adjust(&t), &mut out);
            out
        })
    });
    g.bench_function("adjust_and_v3_bytes_10k_spans", |b| {
        b.iter(|| {
            let mut out = Vec::new();
            render::write_otlp_traces(&[render::adjust(&t)], &mut out);
            out
        })
    });
    g.bench_function("v1_value_and_serialize_10k_spans", |b| {
        b.iter(|| serde_json::to_vec(&render::jaeger_trace(&adjusted)).unwrap())
    });
    g.bench_function("v3_value_and_serialize_10k_spans", |b| {
        b.iter(|| {
            serde_json::to_vec(&render::otlp_traces(std::slice::from_ref(&adjusted))).unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, traces_render);
criterion_main!(benches);
