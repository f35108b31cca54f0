//! Trace store hot paths with 1M typical spans stored (10 attributes each,
//! 10 services, 20 operations, traces of 10 spans): write throughput
//! (spans/s, into a full store, so every write also evicts), trace by id,
//! service+tag searches and a 10,000-span trace read.
//!
//! Besides criterion's means, `cargo bench -p outpost-benches --bench
//! traces_store` prints a `traces_store:` report first: p50/p99/max latency
//! of each read measured one call at a time, and the resident memory per
//! stored span (VmRSS from /proc/self/status before and after loading 1M
//! spans into an empty store).

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput};
use outpost_clock::Stopwatch;
use outpost_traces::model::{
    KeyValue, Resource, Scope, Span, SpanId, SpanKind, Status, StatusCode, TraceId, Value,
};
use outpost_traces::{StoreOptions, TraceQuery, TraceStore};

const SPANS: usize = 1_000_000;
const SPANS_PER_TRACE: usize = 10;
const SERVICES: usize = 10;
const BATCH_TRACES: usize = 1_000;

/// A deterministic generator of typical spans.
struct Gen {
    state: u64,
    next_trace: u64,
    resources: Vec<Arc<Resource>>,
    scopes: Vec<Arc<Scope>>,
    keys: Vec<Arc<str>>,
    t0: u64,
}

fn kv(k: &Arc<str>, v: Value) -> KeyValue {
    KeyValue {
        key: k.clone(),
        value: v,
    }
}

fn s(v: &str) -> Value {
    Value::Str(Arc::from(v))
}

impl Gen {
    fn new(seed: u64) -> Self {
        let resources = (0..SERVICES)
            .map(|i| {
                let name = format!("service-{i}");
                Arc::new(Resource {
                    service: Arc::from(name.as_str()),
                    attributes: vec![
                        KeyValue {
                            key: Arc::from("service.name"),
                            value: s(&name),
                        },
                        KeyValue {
                            key: Arc::from("host.name"),
                            value: s(&format!("host-{i}")),
                        },
                        KeyValue {
                            key: Arc::from("telemetry.sdk.language"),
                            value: s("go"),
                        },
                    ],
                    ..Resource::default()
                })
            })
            .collect();
        let scopes = (0..SERVICES)
            .map(|i| {
                Arc::new(Scope {
                    name: format!("io.lib.{}", i % 3).into(),
                    version: "1.2.0".into(),
                    ..Scope::default()
                })
            })
            .collect();
        let keys = [
            "http.method",
            "http.route",
            "http.status_code",
            "http.url",
            "net.peer.name",
            "user.id",
            "thread.id",
            "component",
            "request.id",
            "cache.hit",
        ]
        .iter()
        .map(|k| Arc::from(*k))
        .collect();
        Self {
            state: seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1,
            next_trace: 0,
            resources,
            scopes,
            keys,
            t0: 1_700_000_000_000_000_000,
        }
    }

    fn rand(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }

    /// One trace of `n` spans over services starting at a random one.
    fn trace(&mut self, n: usize) -> Vec<Span> {
        let trace_id = TraceId((u128::from(self.rand()) << 64) | u128::from(self.rand()));
        let start = self.t0 + self.next_trace * 1_000_000;
        self.next_trace += 1;
        let first_svc = (self.rand() % SERVICES as u64) as usize;
        let mut ids: Vec<u64> = Vec::with_capacity(n);
        let mut out = Vec::with_capacity(n);
        for j in 0..n {
            let id = self.rand() | 1;
            let parent = if j == 0 {
                0
            } else {
                ids[(self.rand() % j as u64) as usize]
            };
            ids.push(id);
            let svc = (first_svc + j % 3) % SERVICES;
            let op = (svc * 2 + (self.rand() % 2) as usize) % 20;
            let r = self.rand();
            let error = r.is_multiple_of(50);
            let req = self.rand();
            let k = &self.keys;
            let attributes = vec![
                kv(&k[0], s(["GET", "POST", "PUT", "DELETE"][(r % 4) as usize])),
                kv(&k[1], s(&format!("/api/v1/op{op}/{{id}}"))),
                kv(&k[2], Value::Int(if error { 500 } else { 200 })),
                kv(&k[3], s(&format!("/api/v1/op{op}/{}", r % 1_000_000))),
                kv(&k[4], s(&format!("peer-{}", (r >> 8) % 10))),
                kv(&k[5], Value::Int(((r >> 16) % 10_000) as i64)),
                kv(&k[6], Value::Int(((r >> 32) % 32) as i64)),
                kv(&k[7], s(["http", "grpc", "db"][((r >> 40) % 3) as usize])),
                kv(&k[8], s(&format!("{req:016x}"))),
                kv(&k[9], Value::Bool((r >> 50).is_multiple_of(2))),
            ];
            let s0 = start + j as u64 * 1_000;
            out.push(Span {
                trace_id,
                span_id: SpanId(id),
                parent_span_id: SpanId(parent),
                trace_state: "".into(),
                flags: 1,
                name: Arc::from(format!("operation-{op}").as_str()),
                kind: if j == 0 {
                    SpanKind::Server
                } else if j % 2 == 0 {
                    SpanKind::Client
                } else {
                    SpanKind::Internal
                },
                start_ns: s0,
                end_ns: s0 + 1_000 + (r % 5_000_000),
                attributes,
                events: vec![],
                links: vec![],
                status: Status {
                    code: if error {
                        StatusCode::Error
                    } else {
                        StatusCode::Unset
                    },
                    message: "".into(),
                },
                dropped: [0; 3],
                resource: self.resources[svc].clone(),
                scope: self.scopes[svc].clone(),
            });
        }
        out
    }

    fn batch(&mut self, traces: usize) -> Vec<Span> {
        (0..traces)
            .flat_map(|_| self.trace(SPANS_PER_TRACE))
            .collect()
    }
}

/// A store holding `SPANS` typical spans, and the ids of some of its traces.
fn loaded_store() -> (TraceStore, Vec<TraceId>) {
    let store = TraceStore::new(StoreOptions { max_spans: SPANS });
    let mut g = Gen::new(7);
    let mut ids = Vec::new();
    for _ in 0..SPANS / (BATCH_TRACES * SPANS_PER_TRACE) {
        let b = g.batch(BATCH_TRACES);
        ids.push(b[0].trace_id);
        ids.push(b[b.len() / 2].trace_id);
        store.write(b);
    }
    (store, ids)
}

fn vm_rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU time of the calling thread in ns (`/proc/thread-self/schedstat`).
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_default()
}

fn percentiles(mut ns: Vec<u64>) -> String {
    ns.sort_unstable();
    let p = |q: f64| ns[((ns.len() - 1) as f64 * q) as usize] as f64 / 1e6;
    format!(
        "p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms ({} calls)",
        p(0.5),
        p(0.99),
        p(1.0),
        ns.len()
    )
}

/// Wall-time percentiles of `n` calls, and their mean cpu time.
fn timed(n: usize, mut f: impl FnMut(usize)) -> String {
    let mut ns = Vec::with_capacity(n);
    let cpu0 = thread_cpu_ns();
    for i in 0..n {
        let sw = Stopwatch::start();
        f(i);
        ns.push(sw.elapsed().as_nanos() as u64);
    }
    let cpu = thread_cpu_ns()
        .zip(cpu0)
        .map_or(0, |(a, b)| a.saturating_sub(b));
    format!(
        "{}; mean cpu {:.3} ms",
        percentiles(ns),
        cpu as f64 / n as f64 / 1e6
    )
}

fn tag_query(service: &str, tags: &[(&str, &str)], limit: usize) -> TraceQuery {
    TraceQuery {
        service: Some(service.to_string()),
        tags: tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        limit,
        ..TraceQuery::default()
    }
}

fn searches() -> Vec<(&'static str, TraceQuery)> {
    vec![
        (
            "service+status_code=500 limit 20",
            tag_query("service-3", &[("http.status_code", "500")], 20),
        ),
        (
            "service+error=true limit 100",
            tag_query("service-3", &[("error", "true")], 100),
        ),
        (
            "service+http.method=GET limit 20",
            tag_query("service-3", &[("http.method", "GET")], 20),
        ),
        (
            "service+user.id=4242 limit 20",
            tag_query("service-3", &[("user.id", "4242")], 20),
        ),
        (
            "service+unknown value limit 20",
            tag_query("service-3", &[("request.id", "nope")], 20),
        ),
        (
            "service+operation+tag+minDuration limit 20",
            TraceQuery {
                operation: Some("operation-7".into()),
                duration_min_ns: Some(2_000_000),
                ..tag_query("service-3", &[("http.method", "POST")], 20)
            },
        ),
    ]
}

/// The latency and memory report printed before the criterion runs.
fn report() {
    eprintln!(
        "traces_store: load average {} on {} cpus (wall-time figures below include waiting for a cpu)",
        load_average(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let before = vm_rss_kib();
    let cpu0 = thread_cpu_ns();
    let sw = Stopwatch::start();
    let (store, ids) = loaded_store();
    let load = sw.elapsed();
    let load_ns = thread_cpu_ns()
        .zip(cpu0)
        .map_or(0, |(a, b)| a.saturating_sub(b));
    let after = vm_rss_kib();
    // The same generation again, alone, to subtract it.
    let mut g = Gen::new(3);
    let gen0 = thread_cpu_ns();
    for _ in 0..10 {
        black_box(g.batch(BATCH_TRACES));
    }
    let gen_ns = thread_cpu_ns()
        .zip(gen0)
        .map_or(0, |(a, b)| a.saturating_sub(b))
        * 10;
    eprintln!(
        "traces_store: writing 1M spans into the empty store: {:.0} spans per cpu-second (generating them took {:.2} cpu-s of {:.2})",
        1e6 / (load_ns.saturating_sub(gen_ns) as f64 / 1e9),
        gen_ns as f64 / 1e9,
        load_ns as f64 / 1e9
    );
    let st = store.stats();
    eprintln!(
        "traces_store: loaded {} spans in {} traces in {:.2} s ({:.0} spans/s incl. generation)",
        st.spans,
        st.traces,
        load.as_secs_f64(),
        st.spans as f64 / load.as_secs_f64()
    );
    if let (Some(b), Some(a)) = (before, after) {
        eprintln!(
            "traces_store: VmRSS {} KiB before, {} KiB after: {:.0} bytes per stored span",
            b,
            a,
            (a.saturating_sub(b) * 1024) as f64 / st.spans as f64
        );
    }
    eprintln!(
        "traces_store: trace by id: {}",
        timed(20_000, |i| {
            black_box(store.get_trace(ids[i % ids.len()]));
        })
    );
    for (name, q) in searches() {
        let n = store.find_traces(&q).len();
        eprintln!(
            "traces_store: search {name} ({n} traces): {}",
            timed(300, |_| {
                black_box(store.find_traces(&q));
            })
        );
    }
    let mut g = Gen::new(99);
    let big = g.trace(10_000);
    let big_id = big[0].trace_id;
    store.write(big);
    eprintln!(
        "traces_store: 10,000-span trace by id: {}",
        timed(50, |_| {
            black_box(store.get_trace(big_id));
        })
    );
    // Traces whose second half arrives five batches after the first (a
    // service whose exporter sends later): old traces gain new terms.
    let mut g = Gen::new(6);
    let traces: Vec<Vec<Span>> = (0..20 * BATCH_TRACES)
        .map(|_| g.trace(SPANS_PER_TRACE))
        .collect();
    let mut halves: Vec<Vec<Span>> = vec![Vec::new(); 25];
    for (i, mut t) in traces.into_iter().enumerate() {
        let b = i / BATCH_TRACES;
        let second = t.split_off(SPANS_PER_TRACE / 2);
        halves[b].extend(t);
        halves[b + 5].extend(second);
    }
    let n: usize = halves.iter().map(Vec::len).sum();
    let cpu0 = thread_cpu_ns();
    for b in halves {
        store.write(b);
    }
    let cpu = thread_cpu_ns().zip(cpu0).map(|(a, b)| a.saturating_sub(b));
    eprintln!(
        "traces_store: write of traces arriving in two halves five batches apart (full store): {}",
        cpu.map_or("no cpu time".to_string(), |ns| format!(
            "{:.0} spans per cpu-second ({n} spans)",
            n as f64 / (ns as f64 / 1e9)
        ))
    );
    let mut g = Gen::new(5);
    let batches: Vec<Vec<Span>> = (0..20).map(|_| g.batch(BATCH_TRACES)).collect();
    let n: usize = batches.iter().map(Vec::len).sum();
    let cpu0 = thread_cpu_ns();
    let sw = Stopwatch::start();
    for b in batches {
        store.write(b);
    }
    let t = sw.elapsed();
    let cpu = thread_cpu_ns().zip(cpu0).map(|(a, b)| a.saturating_sub(b));
    eprintln!(
        "traces_store: write into the full store (evicting): {:.0} spans/s wall, {} ({n} spans in batches of {})",
        n as f64 / t.as_secs_f64(),
        cpu.map_or("no cpu time".to_string(), |ns| format!(
            "{:.0} spans per cpu-second",
            n as f64 / (ns as f64 / 1e9)
        )),
        BATCH_TRACES * SPANS_PER_TRACE
    );
}

fn bench_write(c: &mut Criterion, store: &TraceStore) {
    let mut grp = c.benchmark_group("traces_store_write");
    grp.throughput(Throughput::Elements(
        (BATCH_TRACES * SPANS_PER_TRACE) as u64,
    ));
    grp.sample_size(20);
    let mut g = Gen::new(11);
    grp.bench_function("batch_10k_spans_into_full_1m_store", |b| {
        b.iter_batched(
            || g.batch(BATCH_TRACES),
            |spans| store.write(spans),
            BatchSize::LargeInput,
        )
    });
    grp.finish();
}

fn bench_reads(c: &mut Criterion, store: &TraceStore, ids: &[TraceId]) {
    let mut grp = c.benchmark_group("traces_store_read_1m_spans");
    grp.sample_size(30);
    let mut i = 0;
    grp.bench_function("trace_by_id", |b| {
        b.iter(|| {
            i += 1;
            store.get_trace(ids[i % ids.len()])
        })
    });
    for (name, q) in searches() {
        grp.bench_function(format!("search {name}"), |b| {
            b.iter(|| store.find_traces(&q))
        });
    }
    grp.finish();
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    if !benching {
        // `cargo test --benches`: a small smoke run only.
        let store = TraceStore::new(StoreOptions { max_spans: 10_000 });
        let mut g = Gen::new(1);
        store.write(g.batch(100));
        assert_eq!(store.stats().spans, 1_000);
        assert!(!store.find_traces(&searches()[2].1).is_empty());
        return;
    }
    report();
    let (store, ids) = loaded_store();
    let mut c = Criterion::default().configure_from_args();
    bench_reads(&mut c, &store, &ids);
    bench_write(&mut c, &store);
    c.final_summary();
}
