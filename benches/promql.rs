//! PromQL evaluator hot paths: range queries over 1h at a 15s step on 10k
//! series (2.4M samples), the shapes of the targets (evaluated a
//! series at a time), and the same expressions as instant queries (the
//! step-wise evaluator).

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use outpost_promql::{Engine, EngineOptions};
use outpost_tsdb::{HeadOptions, Labels, Tsdb};

const SERIES: usize = 10_000;
const STEPS: i64 = 240;
const T0: i64 = 1_700_000_000_000;

fn load() -> Arc<Tsdb> {
    let db = Arc::new(Tsdb::new(HeadOptions::default()));
    let mut app = db.appender();
    let les = ["0.1", "0.5", "1", "5", "+Inf"];
    let mut refs = Vec::with_capacity(SERIES);
    for i in 0..SERIES {
        let job = format!("job-{}", i % 10);
        let labels = if i % 2 == 0 {
            Labels::from_pairs([
                ("__name__", "http_requests_total"),
                ("job", &job),
                ("instance", &format!("i{i}")),
            ])
            .unwrap()
        } else {
            let le = les[i % les.len()];
            Labels::from_pairs([
                ("__name__", "http_request_duration_seconds_bucket"),
                ("job", &job),
                ("instance", &format!("i{}", i / 5)),
                ("le", le),
            ])
            .unwrap()
        };
        refs.push((
            app.series_ref(&labels).unwrap(),
            (i % les.len()) as f64 + 1.0,
        ));
    }
    for step in 0..STEPS {
        for (r, inc) in &refs {
            app.append(*r, T0 + step * 15_000, *inc * step as f64)
                .unwrap();
        }
    }
    drop(app);
    db
}

fn promql(c: &mut Criterion) {
    let engine = Engine::new(load(), EngineOptions::default());
    let (start, end) = (T0 + 600_000, T0 + (STEPS - 1) * 15_000);
    let mut g = c.benchmark_group("promql_range_1h_15s_10k_series");
    g.throughput(Throughput::Elements(1));
    g.sample_size(10);
    for q in [
        "sum by (job) (rate(http_requests_total[5m]))",
        "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
    ] {
        g.bench_function(q, |b| {
            b.iter(|| engine.range(q, start, end, 15_000).unwrap())
        });
    }
    g.finish();

    // The step-wise evaluator: one instant query over all 10k series.
    let mut g = c.benchmark_group("promql_instant_10k_series");
    g.throughput(Throughput::Elements(1));
    g.sample_size(10);
    for q in [
        "sum by (job) (rate(http_requests_total[5m]))",
        "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
    ] {
        g.bench_function(q, |b| b.iter(|| engine.instant(q, end).unwrap()));
    }
    g.finish();
}

criterion_group!(benches, promql);
criterion_main!(benches);
