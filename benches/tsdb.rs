//! TSDB hot paths: appending into existing series (samples/s) and postings
//! lookups for typical selectors (lookups/s).

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use outpost_tsdb::{HeadOptions, Labels, MatchType, Matcher, Tsdb};

const SERIES: usize = 10_000;
const ROUNDS: i64 = 20;

fn series_labels(i: usize) -> Labels {
    Labels::from_pairs([
        ("__name__", format!("metric_{}", i % 100)),
        ("job", format!("job-{}", i % 10)),
        ("instance", format!("10.0.{}.{}:9100", i / 250, i % 250)),
        ("env", "prod".to_string()),
        ("region", format!("eu-{}", i % 3)),
        ("pod", format!("pod-{i}")),
        ("container", "app".to_string()),
        ("namespace", format!("ns-{}", i % 20)),
    ])
    .unwrap()
}

fn append(c: &mut Criterion) {
    let mut g = c.benchmark_group("tsdb_append");
    g.throughput(Throughput::Elements(SERIES as u64 * ROUNDS as u64));
    g.bench_function("existing_series_10k_x20", |b| {
        b.iter_batched(
            || {
                let db = Tsdb::new(HeadOptions::default());
                let mut app = db.appender();
                let refs: Vec<_> = (0..SERIES)
                    .map(|i| app.append_labels(&series_labels(i), 0, 0.0).unwrap())
                    .collect();
                drop(app);
                (db, refs)
            },
            |(db, refs)| {
                let mut app = db.appender();
                for round in 1..=ROUNDS {
                    let t = round * 15_000;
                    for (i, r) in refs.iter().enumerate() {
                        app.append(*r, t, (round as f64) * (i % 7) as f64).unwrap();
                    }
                }
                drop(app);
                db
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn postings(c: &mut Criterion) {
    let db = Tsdb::new(HeadOptions::default());
    let mut app = db.appender();
    for i in 0..100_000 {
        app.append_labels(&series_labels(i), 1000, 1.0).unwrap();
    }
    drop(app);
    let cases: Vec<(&str, Vec<Matcher>)> = vec![
        ("name_eq", vec![Matcher::equal("__name__", "metric_7")]),
        (
            "name_and_job_alternation",
            vec![
                Matcher::equal("__name__", "metric_7"),
                Matcher::new(MatchType::Regex, "job", "job-1|job-7").unwrap(),
            ],
        ),
        (
            "name_and_instance_prefix",
            vec![
                Matcher::equal("__name__", "metric_7"),
                Matcher::new(MatchType::Regex, "instance", "10.0.1.*").unwrap(),
            ],
        ),
        (
            "name_and_not_equal",
            vec![
                Matcher::equal("__name__", "metric_7"),
                Matcher::new(MatchType::NotEqual, "region", "eu-0").unwrap(),
            ],
        ),
    ];
    let mut g = c.benchmark_group("tsdb_postings_100k_series");
    g.throughput(Throughput::Elements(1));
    for (name, ms) in &cases {
        g.bench_function(*name, |b| b.iter(|| db.series(ms, 0, i64::MAX)));
    }
    g.finish();
}

criterion_group!(benches, append, postings);
criterion_main!(benches);
