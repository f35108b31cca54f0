//! Startup path: loading and validating the whole e-commerce stack
//! (prometheus.yml, three rule files with PromQL parsing, alertmanager.yml,
//! Grafana datasources). Reported as stacks per second.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use outpost_benches::fixtures;
use outpost_config::{Files, StackPaths, load_stack};

fn config_load(c: &mut Criterion) {
    let paths = StackPaths::tree(
        Files::Disk,
        fixtures().join("ecommerce"),
        outpost_rules::check_template,
    );
    assert!(load_stack(&paths).is_ok(), "fixture stack must load");
    let mut g = c.benchmark_group("config_load");
    g.throughput(Throughput::Elements(1));
    g.bench_function("ecommerce_stack", |b| b.iter(|| load_stack(&paths)));
    g.finish();
}

criterion_group!(benches, config_load);
criterion_main!(benches);
