//! The span observers on the write path: span metrics and service-graph
//! pairing over batches of 1000 spans (spans/s), 20 services × 50
//! operations, every client span paired with a server span.

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use outpost_clock::Clock;
use outpost_traces::model::{Resource, Scope, Span, SpanId, SpanKind, Status, StatusCode, TraceId};
use outpost_traces::{
    ServiceGraph, ServiceGraphOptions, SpanMetrics, SpanMetricsOptions, SpanObserver,
};

const BATCH: usize = 1_000;

/// Pairs of (client in service i, server in service i+1) spans.
fn batch(round: u64, resources: &[Arc<Resource>], names: &[Arc<str>]) -> Vec<Span> {
    let scope = Arc::new(Scope::default());
    (0..BATCH)
        .map(|i| {
            let pair = (i / 2) as u64;
            let client = i % 2 == 0;
            let svc = (i / 2) % resources.len() + usize::from(!client);
            Span {
                trace_id: TraceId(u128::from(round) << 32 | u128::from(pair)),
                span_id: SpanId(pair * 2 + u64::from(!client) + 1),
                parent_span_id: SpanId(if client { 0 } else { pair * 2 + 1 }),
                trace_state: "".into(),
                flags: 0,
                name: names[i % names.len()].clone(),
                kind: if client {
                    SpanKind::Client
                } else {
                    SpanKind::Server
                },
                start_ns: 1_000,
                end_ns: 1_000 + (i as u64 % 500) * 1_000_000,
                attributes: vec![],
                events: vec![],
                links: vec![],
                status: Status {
                    code: if i % 17 == 0 {
                        StatusCode::Error
                    } else {
                        StatusCode::Unset
                    },
                    message: "".into(),
                },
                dropped: [0; 3],
                resource: resources[svc % resources.len()].clone(),
                scope: scope.clone(),
            }
        })
        .collect()
}

fn observers(c: &mut Criterion) {
    let resources: Vec<Arc<Resource>> = (0..20)
        .map(|i| {
            Arc::new(Resource {
                service: format!("svc-{i}").into(),
                ..Resource::default()
            })
        })
        .collect();
    let names: Vec<Arc<str>> = (0..50).map(|i| format!("op-{i}").into()).collect();
    let batches: Vec<Vec<Span>> = (0..16).map(|r| batch(r, &resources, &names)).collect();
    let mut g = c.benchmark_group("span_observers");
    g.throughput(Throughput::Elements(BATCH as u64));
    let m = SpanMetrics::new(SpanMetricsOptions::default());
    let mut k = 0;
    g.bench_function("span_metrics_1k", |b| {
        b.iter(|| {
            k = (k + 1) % batches.len();
            m.observe(&batches[k]);
        })
    });
    let graph = ServiceGraph::new(Clock::manual(0), ServiceGraphOptions::default());
    g.bench_function("service_graph_1k", |b| {
        b.iter(|| {
            k = (k + 1) % batches.len();
            graph.observe(&batches[k]);
        })
    });
    g.finish();
}

criterion_group!(benches, observers);
criterion_main!(benches);
