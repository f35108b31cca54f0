//! Alerting hot paths: Prometheus' alert-template expansion (every label
//! and annotation of every alert at every evaluation), Alertmanager's
//! default Slack/email rendering of a notification, and alert ingestion
//! into the Alertmanager stand-in (`POST /api/v2/alerts`' path).

use std::collections::BTreeMap;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use outpost_alertmanager::{Alertmanager, AlertmanagerOptions, PostableAlert};
use outpost_clock::Clock;
use outpost_config::{Files, parse_alertmanager};
use outpost_template::{Alert, AlertContext, Data, TemplateSet, expand};

const T0: i64 = 1_767_225_600_000;

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn bench_expand(c: &mut Criterion) {
    let ctx = AlertContext {
        labels: labels(&[
            ("__name__", "up"),
            ("instance", "node-7:9100"),
            ("job", "node-exporter"),
        ]),
        external_labels: labels(&[("cluster", "prod")]),
        external_url: "http://outpost:9090".into(),
        value: 93.4567,
        ts_ms: T0,
        query: None,
    };
    let text = "CPU on {{ $labels.instance }} is {{ $value | humanizePercentage }} in {{ $externalLabels.cluster }}";
    let mut g = c.benchmark_group("template");
    g.throughput(Throughput::Elements(1));
    g.bench_function("prometheus_expand_annotation", |b| {
        b.iter(|| expand("NodeHighCPU", std::hint::black_box(text), &ctx))
    });
    let set = TemplateSet::new();
    let alerts: Vec<Alert> = (0..10)
        .map(|i| Alert {
            status: "firing".into(),
            labels: labels(&[
                ("alertname", "HighErrorRate"),
                ("service", "payment"),
                ("instance", &format!("pod-{i}")),
            ]),
            annotations: labels(&[("summary", "error rate above 5%")]),
            starts_at_ms: T0,
            ends_at_ms: None,
            generator_url: "http://outpost:9090/graph".into(),
            fingerprint: format!("{i:016x}"),
        })
        .collect();
    let data = Data::build(
        "slack-critical",
        labels(&[("alertname", "HighErrorRate")]),
        alerts,
        "http://outpost:9093",
        T0,
    );
    g.bench_function("alertmanager_slack_text_10_alerts", |b| {
        b.iter(|| {
            set.render("slack.default.text", std::hint::black_box(&data))
                .unwrap()
        })
    });
    g.finish();
}

fn bench_put_alerts(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/ecommerce/alertmanager/alertmanager.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let (cfg, _) = parse_alertmanager(&Files::Disk, &path, "alertmanager.yml", text).unwrap();
    let clock = Clock::manual(T0);
    let am = rt
        .block_on(async {
            Alertmanager::start(&cfg, clock.clone(), AlertmanagerOptions::default())
        })
        .unwrap();
    const BATCH: usize = 1000;
    let batch: Vec<PostableAlert> = (0..BATCH)
        .map(|i| PostableAlert {
            labels: labels(&[
                (
                    "alertname",
                    ["HighErrorRate", "PodCrashLooping", "NodeDown"][i % 3],
                ),
                ("severity", ["critical", "warning"][i % 2]),
                (
                    "service",
                    ["payment-service", "order-service", "catalog-service"][i % 3],
                ),
                ("instance", &format!("pod-{i}")),
            ]),
            annotations: labels(&[("summary", "something is wrong")]),
            starts_at: Some(T0),
            ends_at: Some(T0 + 3_600_000),
            generator_url: "http://outpost:9090/graph".into(),
        })
        .collect();
    let mut g = c.benchmark_group("alertmanager");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("put_alerts_1000_existing", |b| {
        b.iter(|| am.put_alerts(batch.clone()).unwrap())
    });
    g.finish();
    am.stop();
}

criterion_group!(benches, bench_expand, bench_put_alerts);
criterion_main!(benches);
