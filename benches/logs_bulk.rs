//! Log store hot paths: `_bulk` ingest of ~1 KiB Filebeat-shaped documents (bytes of NDJSON per
//! second, indexed and searchable: the batch ends with a refresh) and a term + time-range search
//! sorted by `@timestamp` over a large corpus (latency; p50/p99 printed).
//! `OUTPOST_BENCH_LOG_DOCS` sets the search corpus size (default 200 000).

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use outpost_clock::{Clock, Stopwatch};
use outpost_logs::{LogStore, Refresh, SearchOptions, StoreOptions};
use serde_json::json;

/// The allocator of the `outpost` binary, so the figures are the server's.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

const BASE_MS: i64 = 1_796_600_000_000;
const SERVICES: [&str; 8] = [
    "cart", "checkout", "auth", "payment", "gateway", "search", "email", "shipping",
];
const LEVELS: [&str; 4] = ["info", "warn", "error", "debug"];

/// One ~1 KiB Filebeat-shaped `_bulk` pair.
fn doc_pair(i: usize, out: &mut String) {
    let svc = SERVICES[i % SERVICES.len()];
    let level = LEVELS[(i / 3) % LEVELS.len()];
    let status = [200, 200, 201, 404, 500][i % 5];
    let method = if i.is_multiple_of(5) { "POST" } else { "GET" };

    let ts = outpost_clock::text::rfc3339_millis(BASE_MS + (i as i64) * 100);
    let doc = json!({
        "@timestamp": ts,
        "message": format!("{} /api/{svc}/items/{} {} {}ms request handled for user user-{} session {:x} with a padded text body to reach a realistic log line length of about one kilobyte per document", method, i % 1000, status, i % 97, i % 5000, i.wrapping_mul(2654435761)),
        "log": {"level": level, "logger": format!("{svc}.handler"), "file": {"path": format!("/var/log/containers/{svc}-{}.log", i % 7)}, "offset": i * 1024},
        "service": {"name": svc, "version": "1.4.2", "environment": "production"},
        "host": {"name": format!("node-{}", i % 16), "hostname": format!("node-{}", i % 16), "architecture": "x86_64", "os": {"family": "debian", "kernel": "6.1.0-18-amd64"}},
        "kubernetes": {"namespace": "shop", "pod": {"name": format!("{svc}-7d9f8c-{}", i % 11), "uid": format!("3f2a9c1e-{:04}-4b1d-9e2f-8a7b6c5d4e3f", i % 10000)}, "node": {"name": format!("node-{}", i % 16)}, "container": {"name": svc}},
        "http": {"request": {"method": method}, "response": {"status_code": status, "bytes": (i * 37) % 50_000}},
        "trace_id": format!("{:032x}", (i as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c834)),
        "event": {"dataset": format!("{svc}.access"), "duration": (i % 1000) * 1000, "success": i % 5 < 3},
        "agent": {"type": "filebeat", "version": "8.15.0", "name": format!("node-{}", i % 16)},
        "ecs": {"version": "8.0.0"},
        "tags": ["beats_input_codec_plain_applied", "web"],
    });
    out.push_str("{\"index\":{}}\n");
    out.push_str(&doc.to_string());
    out.push('\n');
}

fn ndjson(from: usize, n: usize) -> String {
    let mut s = String::with_capacity(n * 1100);
    for i in from..from + n {
        doc_pair(i, &mut s);
    }
    s
}

/// CPU seconds (user + system) of this process so far, from `/proc/self/stat` (Linux; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // fields 14 and 15 of stat (utime, stime) are 12 and 13 after the command name; 100 ticks/s
    (ticks(11) + ticks(12)) / 100.0
}

/// A `/proc/self/status` figure in kB (`VmRSS`, `VmHWM`; Linux; 0 elsewhere).
fn status_kb(key: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Where the index bytes go: tantivy's space usage per component and field.
fn space_report(s: &LogStore) {
    let idx = s.index("logs-bench").unwrap();
    let usage = idx.searcher().space_usage().unwrap();
    let mb = |b: u64| b as f64 / 1e6;
    let mut parts: Vec<(String, u64)> = Vec::new();
    let mut add = |name: String, b: u64| match parts.iter_mut().find(|(n, _)| *n == name) {
        Some(p) => p.1 += b,
        None => parts.push((name, b)),
    };
    for seg in usage.segments() {
        add("store".into(), seg.store().total().get_bytes());
        for (what, per) in [
            ("termdict", seg.termdict()),
            ("postings", seg.postings()),
            ("positions", seg.positions()),
            ("fast", seg.fast_fields()),
            ("fieldnorms", seg.fieldnorms()),
        ] {
            for f in per.fields() {
                add(format!("{what}:{}", f.field_name()), f.total().get_bytes());
            }
        }
    }
    parts.sort_by_key(|p| std::cmp::Reverse(p.1));
    let list: Vec<String> = parts
        .iter()
        .filter(|p| p.1 > 0)
        .map(|(n, b)| format!("{n} {:.1}", mb(*b)))
        .collect();
    eprintln!(
        "index space: {} segments, {:.1} MB: {}",
        usage.segments().len(),
        mb(usage.total().get_bytes()),
        list.join(", ")
    );
}

/// The store under test; `OUTPOST_BENCH_WRITER_MB` / `OUTPOST_BENCH_WRITER_THREADS` override the
/// writer defaults (for tuning runs).
fn store() -> LogStore {
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<usize>().ok());
    let defaults = StoreOptions::default();
    let opts = StoreOptions {
        max_bytes: u64::MAX,
        writer_memory_bytes: env("OUTPOST_BENCH_WRITER_MB")
            .map_or(defaults.writer_memory_bytes, |m| m << 20),
        writer_threads: env("OUTPOST_BENCH_WRITER_THREADS").unwrap_or(defaults.writer_threads),
        ..defaults
    };
    LogStore::new(opts, Clock::manual(BASE_MS + 86_400_000))
}

fn bulk(c: &mut Criterion) {
    let body = ndjson(0, 10_000);
    // the share of the work before tantivy: JSON parse and the mapping walk
    let sw = Stopwatch::start();
    let mut mapping = outpost_logs::Mapping::default();
    let mut leaves = 0usize;
    for line in body.lines().skip(1).step_by(2) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        leaves += mapping.index_document(&v, "x").unwrap().len();
    }
    let secs = sw.elapsed().as_secs_f64();
    eprintln!(
        "parse + mapping only: {:.1} MB/s ({leaves} leaves)",
        body.len() as f64 / 1e6 / secs
    );
    // the whole `_bulk` per CPU-second (all threads: the writer's indexing and merges count)
    let (sw, cpu0) = (Stopwatch::start(), cpu_seconds());
    for _ in 0..3 {
        let s = store();
        let res = s
            .bulk(Some("logs-bench"), body.as_bytes(), Refresh::True)
            .unwrap();
        assert!(!res.errors);
    }
    let (secs, cpu) = (sw.elapsed().as_secs_f64(), cpu_seconds() - cpu0);
    eprintln!(
        "_bulk 3 x {:.1} MB with refresh=true: {:.1} MB/s wall, {:.1} MB per CPU-second",
        body.len() as f64 / 1e6,
        3.0 * body.len() as f64 / 1e6 / secs,
        3.0 * body.len() as f64 / 1e6 / cpu.max(0.01)
    );
    let mut g = c.benchmark_group("logs_bulk");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("filebeat_1kib_x10k_refresh", |b| {
        b.iter_batched(
            store,
            |s| {
                let res = s
                    .bulk(Some("logs-bench"), body.as_bytes(), Refresh::True)
                    .unwrap();
                assert!(!res.errors);
                s
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn search(c: &mut Criterion) {
    let docs: usize = std::env::var("OUTPOST_BENCH_LOG_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let s = store();
    let (mut bytes, mut secs, mut cpu) = (0usize, 0.0f64, 0.0f64);
    for chunk in (0..docs).step_by(20_000) {
        let body = ndjson(chunk, 20_000.min(docs - chunk));
        bytes += body.len();
        let (sw, cpu0) = (Stopwatch::start(), cpu_seconds());
        let res = s
            .bulk(Some("logs-bench"), body.as_bytes(), Refresh::False)
            .unwrap();
        assert!(!res.errors);
        secs += sw.elapsed().as_secs_f64();
        cpu += cpu_seconds() - cpu0;
    }
    let (sw, cpu0) = (Stopwatch::start(), cpu_seconds());
    s.refresh("logs-bench").unwrap();
    secs += sw.elapsed().as_secs_f64();
    cpu += cpu_seconds() - cpu0;
    let st = s.stats();
    eprintln!(
        "logs corpus: {docs} docs, {:.1} MB NDJSON indexed and refreshed in {secs:.1} s wall = {:.1} MB/s, {cpu:.1} CPU-s = {:.1} MB per CPU-second; index {:.1} MB; process RSS {:.1} MB (peak {:.1} MB)",
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / secs,
        bytes as f64 / 1e6 / cpu.max(0.01),
        st.bytes as f64 / 1e6,
        status_kb("VmRSS") as f64 / 1e3,
        status_kb("VmHWM") as f64 / 1e3,
    );
    space_report(&s);
    // a 10-minute window somewhere in the corpus, one service, newest first
    let span_ms = (docs as i64) * 100;
    let query = |k: i64| {
        let from = BASE_MS + (k * 7_919_000) % span_ms.max(1);
        json!({
            "size": 10,
            "sort": [{"@timestamp": "desc"}],
            "query": {"bool": {"filter": [
                {"term": {"service.name.keyword": SERVICES[(k % 8) as usize]}},
                {"range": {"@timestamp": {"gte": from, "lt": from + 600_000, "format": "epoch_millis"}}}
            ]}}
        })
    };
    let mut lat = Vec::with_capacity(500);
    for k in 0..500 {
        let q = query(k);
        let sw = Stopwatch::start();
        let res = s.search("logs-*", &q, SearchOptions::default()).unwrap();
        lat.push(sw.elapsed().as_secs_f64() * 1e3);
        assert!(res["hits"]["hits"].as_array().is_some());
    }
    lat.sort_by(f64::total_cmp);
    eprintln!(
        "term + time-range search over {docs} docs: p50 {:.2} ms, p99 {:.2} ms",
        lat[lat.len() / 2],
        lat[lat.len() * 99 / 100]
    );
    let mut g = c.benchmark_group("logs_search");
    let mut k = 0;
    g.bench_function(format!("term_time_range_{docs}"), |b| {
        b.iter(|| {
            k += 1;
            s.search("logs-*", &query(k), SearchOptions::default())
                .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bulk, search);
criterion_main!(benches);
