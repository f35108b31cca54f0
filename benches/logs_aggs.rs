//! Log store aggregations over a large corpus: a `date_histogram` with a 1m fixed interval over
//! one day of documents (Grafana's time-series shape, with `extended_bounds` and a time-range
//! filter), a `terms` on a keyword field, and the two nested. Latencies p50/p99 are printed;
//! `OUTPOST_BENCH_AGG_DOCS` sets the corpus size (default 1 000 000, spread over one day).

use criterion::{Criterion, criterion_group, criterion_main};
use outpost_clock::{Clock, Stopwatch};
use outpost_logs::{LogStore, Refresh, SearchOptions, StoreOptions};
use serde_json::{Value, json};

const BASE_MS: i64 = 1_796_600_000_000;
const DAY_MS: i64 = 86_400_000;
const SERVICES: [&str; 8] = [
    "cart", "checkout", "auth", "payment", "gateway", "search", "email", "shipping",
];
const LEVELS: [&str; 4] = ["info", "warn", "error", "debug"];

fn ndjson(from: usize, n: usize, total: usize, out: &mut String) {
    out.clear();
    for i in from..from + n {
        let svc = SERVICES[i % SERVICES.len()];
        let status = [200, 200, 201, 404, 500][i % 5];
        let ts = BASE_MS + (i as i64) * DAY_MS / total as i64;
        let doc = json!({
            "@timestamp": outpost_clock::text::rfc3339_millis(ts),
            "message": format!("GET /api/{svc}/items/{} {status}", i % 1000),
            "log": {"level": LEVELS[(i / 3) % LEVELS.len()]},
            "service": {"name": svc, "environment": "production"},
            "host": {"name": format!("node-{}", i % 16)},
            "kubernetes": {"pod": {"name": format!("{svc}-7d9f8c-{}", i % 11)}},
            "http": {"response": {"status_code": status, "bytes": (i * 37) % 50_000}},
            "event": {"duration": (i % 1000) * 1000},
        });
        out.push_str("{\"index\":{}}\n");
        out.push_str(&doc.to_string());
        out.push('\n');
    }
}

fn timed(s: &LogStore, body: &Value, runs: usize) -> (f64, f64, Value) {
    let mut lat = Vec::with_capacity(runs);
    let mut last = Value::Null;
    for _ in 0..runs {
        let sw = Stopwatch::start();
        last = s.search("logs-*", body, SearchOptions::default()).unwrap();
        lat.push(sw.elapsed().as_secs_f64() * 1e3);
    }
    lat.sort_by(f64::total_cmp);
    (
        lat[lat.len() / 2],
        lat[(lat.len() * 99 / 100).min(lat.len() - 1)],
        last,
    )
}

fn aggs(c: &mut Criterion) {
    let docs: usize = std::env::var("OUTPOST_BENCH_AGG_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let opts = StoreOptions {
        max_bytes: u64::MAX,
        ..StoreOptions::default()
    };
    let s = LogStore::new(opts, Clock::manual(BASE_MS + DAY_MS));
    let sw = Stopwatch::start();
    let mut body = String::new();
    for chunk in (0..docs).step_by(50_000) {
        ndjson(chunk, 50_000.min(docs - chunk), docs, &mut body);
        let res = s
            .bulk(Some("logs-agg"), body.as_bytes(), Refresh::False)
            .unwrap();
        assert!(!res.errors);
    }
    s.refresh("logs-agg").unwrap();
    eprintln!(
        "aggs corpus: {docs} docs over one day indexed in {:.1} s",
        sw.elapsed().as_secs_f64()
    );
    let range = json!({"range": {"@timestamp": {"gte": BASE_MS, "lte": BASE_MS + DAY_MS, "format": "epoch_millis"}}});
    let dh = json!({"size": 0, "query": {"bool": {"filter": [range]}}, "aggs": {"2": {"date_histogram": {
        "field": "@timestamp", "fixed_interval": "1m", "min_doc_count": 0,
        "extended_bounds": {"min": BASE_MS, "max": BASE_MS + DAY_MS}, "format": "epoch_millis"}}}});
    let terms = json!({"size": 0, "aggs": {"svc": {"terms": {"field": "service.name.keyword", "size": 10}}}});
    let nested = json!({"size": 0, "query": {"bool": {"filter": [range]}}, "aggs": {"2": {"date_histogram": {
        "field": "@timestamp", "fixed_interval": "10m", "min_doc_count": 0},
        "aggs": {"svc": {"terms": {"field": "service.name.keyword", "size": 5}}}}}});
    let (p50, p99, res) = timed(&s, &dh, 20);
    let buckets = res["aggregations"]["2"]["buckets"]
        .as_array()
        .map_or(0, Vec::len);
    eprintln!(
        "date_histogram 1m over {docs} docs (1 day, {buckets} buckets): p50 {p50:.1} ms, p99 {p99:.1} ms"
    );
    let (p50, p99, res) = timed(&s, &terms, 20);
    let top = res["aggregations"]["svc"]["buckets"][0].clone();
    eprintln!("terms on a keyword over {docs} docs (top {top}): p50 {p50:.1} ms, p99 {p99:.1} ms");
    let (p50, p99, _) = timed(&s, &nested, 10);
    eprintln!("date_histogram 10m > terms over {docs} docs: p50 {p50:.1} ms, p99 {p99:.1} ms");

    let mut g = c.benchmark_group("logs_aggs");
    g.sample_size(10);
    g.bench_function(format!("date_histogram_1m_{docs}"), |b| {
        b.iter(|| s.search("logs-*", &dh, SearchOptions::default()).unwrap())
    });
    g.bench_function(format!("terms_keyword_{docs}"), |b| {
        b.iter(|| {
            s.search("logs-*", &terms, SearchOptions::default())
                .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, aggs);
criterion_main!(benches);
