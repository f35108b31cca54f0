//! Service-graph metrics: one edge per request between two services, as
//! the OpenTelemetry Collector's `servicegraph` connector derives them. A
//! CLIENT (or PRODUCER) span of service A and the SERVER (or CONSUMER) span
//! whose parent it is, in service B, make one request A → B; a CLIENT span
//! carrying `db.name` is a request to that database on its own. Either
//! side may arrive first; an unpaired side waits in a bounded store until
//! its TTL of clock time passes (virtual nodes are not inferred).
//!
//! Series, labels `client`, `server` and `connection_type`
//! (`messaging_system`, `database`, left out when unset):
//! `traces_service_graph_request_total`,
//! `traces_service_graph_request_failed_total` (either side has status
//! ERROR; present once a request failed), and the histograms
//! `traces_service_graph_request_{server,client}_seconds_{bucket,sum,count}`.
//! The connector also attaches a `failed` label whose value is that of the
//! edge's latest request (so one edge's series flip between two label
//! sets); it is left out here, `_failed_total` carries the failures.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use outpost_clock::Clock;

use crate::ingest::SpanObserver;
use crate::model::{NO_SERVICE_NAME, Span, SpanId, SpanKind, StatusCode, TraceId, Value};
use crate::spanmetrics::{Histogram, le_labels};

/// Requests between two nodes.
pub const REQUEST_TOTAL: &str = "traces_service_graph_request_total";
/// Failed requests between two nodes.
pub const REQUEST_FAILED_TOTAL: &str = "traces_service_graph_request_failed_total";
/// Server-side latency histogram (seconds), `_bucket`/`_sum`/`_count`.
pub const SERVER_SECONDS: &str = "traces_service_graph_request_server_seconds";
/// Client-side latency histogram (seconds), `_bucket`/`_sum`/`_count`.
pub const CLIENT_SECONDS: &str = "traces_service_graph_request_client_seconds";

/// The connector's default latency buckets, in seconds.
pub const DEFAULT_BUCKETS_S: [f64; 16] = [
    0.002, 0.004, 0.006, 0.008, 0.01, 0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.4, 2.0, 5.0, 10.0, 15.0,
];

/// Settings of [`ServiceGraph`].
#[derive(Debug, Clone)]
pub struct ServiceGraphOptions {
    /// Latency bounds in seconds, ascending (`+Inf` implied).
    pub buckets_s: Vec<f64>,
    /// How long an unpaired side waits for its other half (clock ms).
    pub ttl_ms: i64,
    /// Most unpaired sides held; spans beyond it are dropped and counted.
    pub max_items: usize,
    /// Most edge series kept.
    pub max_series: usize,
}

impl Default for ServiceGraphOptions {
    /// The connector's store defaults (2 s, 1000 items).
    fn default() -> Self {
        Self {
            buckets_s: DEFAULT_BUCKETS_S.to_vec(),
            ttl_ms: 2_000,
            max_items: 1_000,
            max_series: 10_000,
        }
    }
}

/// How two nodes talk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
enum Connection {
    #[default]
    Unset,
    Messaging,
    Database,
}

impl Connection {
    fn label(self) -> &'static str {
        match self {
            Connection::Unset => "",
            Connection::Messaging => "messaging_system",
            Connection::Database => "database",
        }
    }
}

/// One request seen from one or both sides.
struct Edge {
    client: Option<Arc<str>>,
    server: Option<Arc<str>>,
    connection: Connection,
    client_s: f64,
    server_s: f64,
    failed: bool,
    expires_ms: i64,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct EdgeKey {
    client: Arc<str>,
    server: Arc<str>,
    connection: Connection,
}

struct EdgeSeries {
    total: u64,
    failed: u64,
    server: Histogram,
    client: Histogram,
}

struct Inner {
    pending: HashMap<(TraceId, SpanId), Edge>,
    series: HashMap<EdgeKey, EdgeSeries>,
    next_sweep_ms: i64,
}

/// Counters of a [`ServiceGraph`], for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServiceGraphStats {
    /// Edge series held.
    pub series: usize,
    /// Unpaired sides waiting.
    pub pending: usize,
    /// Requests completed (both sides seen).
    pub completed: u64,
    /// Unpaired sides whose TTL passed.
    pub expired: u64,
    /// Spans dropped because the store or the series cap was full.
    pub dropped: u64,
}

/// The service-graph aggregator; add it to the [`crate::TraceIngest`] as an
/// observer.
pub struct ServiceGraph {
    clock: Clock,
    opts: ServiceGraphOptions,
    bounds: Box<[f64]>,
    les: Vec<Box<str>>,
    inner: Mutex<Inner>,
    completed: AtomicU64,
    expired: AtomicU64,
    dropped: AtomicU64,
}

/// The side of a request a span is.
enum Side {
    Client(Connection),
    Server(Connection),
}

fn side(kind: SpanKind) -> Option<Side> {
    match kind {
        SpanKind::Client => Some(Side::Client(Connection::Unset)),
        SpanKind::Producer => Some(Side::Client(Connection::Messaging)),
        SpanKind::Server => Some(Side::Server(Connection::Unset)),
        SpanKind::Consumer => Some(Side::Server(Connection::Messaging)),
        SpanKind::Internal | SpanKind::Unspecified => None,
    }
}

/// `db.name` from the span's or the resource's attributes.
fn db_name(span: &Span) -> Option<Arc<str>> {
    let attr = span
        .attributes
        .iter()
        .chain(span.resource.attributes.iter())
        .find(|kv| &*kv.key == "db.name")?;
    match &attr.value {
        Value::Str(s) => Some(s.clone()),
        Value::Empty => None,
        other => Some(other.as_string().into()),
    }
}

impl ServiceGraph {
    /// An empty aggregator whose pairing store ages on `clock`.
    pub fn new(clock: Clock, opts: ServiceGraphOptions) -> Self {
        let mut bounds: Vec<f64> = opts
            .buckets_s
            .iter()
            .copied()
            .filter(|b| b.is_finite())
            .collect();
        bounds.sort_by(f64::total_cmp);
        bounds.dedup();
        Self {
            clock,
            les: le_labels(&bounds),
            bounds: bounds.into_boxed_slice(),
            opts,
            inner: Mutex::new(Inner {
                pending: HashMap::new(),
                series: HashMap::new(),
                next_sweep_ms: i64::MIN,
            }),
            completed: AtomicU64::new(0),
            expired: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counters.
    pub fn stats(&self) -> ServiceGraphStats {
        let inner = self.lock();
        ServiceGraphStats {
            series: inner.series.len(),
            pending: inner.pending.len(),
            completed: self.completed.load(Ordering::Relaxed),
            expired: self.expired.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
        }
    }

    /// Drops unpaired sides whose TTL has passed (also done while
    /// observing, at most once a second of clock time).
    pub fn expire(&self) {
        let now = self.clock.now_ms();
        let mut inner = self.lock();
        self.sweep(&mut inner, now);
    }

    fn sweep(&self, inner: &mut Inner, now: i64) {
        let before = inner.pending.len();
        inner.pending.retain(|_, e| e.expires_ms > now);
        let gone = before - inner.pending.len();
        if gone > 0 {
            self.expired.fetch_add(gone as u64, Ordering::Relaxed);
        }
        inner.next_sweep_ms = now.saturating_add(1_000);
    }

    fn complete(&self, inner: &mut Inner, e: &Edge) {
        let (Some(client), Some(server)) = (&e.client, &e.server) else {
            return;
        };
        self.completed.fetch_add(1, Ordering::Relaxed);
        let key = EdgeKey {
            client: client.clone(),
            server: server.clone(),
            connection: e.connection,
        };
        if !inner.series.contains_key(&key) && inner.series.len() >= self.opts.max_series {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let bounds = self.bounds.len();
        let s = inner.series.entry(key).or_insert_with(|| EdgeSeries {
            total: 0,
            failed: 0,
            server: Histogram::new(bounds),
            client: Histogram::new(bounds),
        });
        s.total = s.total.saturating_add(1);
        if e.failed {
            s.failed = s.failed.saturating_add(1);
        }
        s.server.observe(&self.bounds, e.server_s);
        s.client.observe(&self.bounds, e.client_s);
    }

    /// Calls `f(labels, value)` for every sample of every edge series:
    /// labels sorted by name with `__name__` first, empty values left out.
    /// Also expires unpaired sides whose TTL has passed.
    pub fn collect(&self, mut f: impl FnMut(&[(&str, &str)], f64)) {
        let now = self.clock.now_ms();
        let mut inner = self.lock();
        self.sweep(&mut inner, now);
        for (k, s) in &inner.series {
            let mut emit = |name: &str, le: Option<&str>, v: f64| {
                let mut buf: [(&str, &str); 5] = [("", ""); 5];
                let mut n = 0;
                for (ln, lv) in [
                    ("__name__", Some(name)),
                    ("client", Some(&*k.client)),
                    ("connection_type", Some(k.connection.label())),
                    ("le", le),
                    ("server", Some(&*k.server)),
                ] {
                    if let Some(lv) = lv.filter(|v| !v.is_empty()) {
                        buf[n] = (ln, lv);
                        n += 1;
                    }
                }
                f(&buf[..n], v);
            };
            emit(REQUEST_TOTAL, None, s.total as f64);
            if s.failed > 0 {
                emit(REQUEST_FAILED_TOTAL, None, s.failed as f64);
            }
            for (base, h) in [(SERVER_SECONDS, &s.server), (CLIENT_SECONDS, &s.client)] {
                let names = histogram_names(base);
                h.cumulative(&self.les, |le, c| emit(names[0], Some(le), c as f64));
                emit(names[1], None, h.sum());
                emit(names[2], None, h.count() as f64);
            }
        }
    }
}

/// `_bucket`, `_sum`, `_count` of a histogram base name (static strings).
fn histogram_names(base: &str) -> [&'static str; 3] {
    if base == SERVER_SECONDS {
        [
            "traces_service_graph_request_server_seconds_bucket",
            "traces_service_graph_request_server_seconds_sum",
            "traces_service_graph_request_server_seconds_count",
        ]
    } else {
        [
            "traces_service_graph_request_client_seconds_bucket",
            "traces_service_graph_request_client_seconds_sum",
            "traces_service_graph_request_client_seconds_count",
        ]
    }
}

impl SpanObserver for ServiceGraph {
    fn observe(&self, spans: &[Span]) {
        if spans.is_empty() {
            return;
        }
        let now = self.clock.now_ms();
        let expires_ms = now.saturating_add(self.opts.ttl_ms);
        let mut inner = self.lock();
        if now >= inner.next_sweep_ms {
            self.sweep(&mut inner, now);
        }
        for span in spans {
            let service = span.service();
            // As the connector: spans of a resource without service.name are skipped.
            if service.is_empty() || service == NO_SERVICE_NAME {
                continue;
            }
            let Some(side) = side(span.kind) else {
                continue;
            };
            let secs = span.duration_ns() as f64 / 1e9;
            let failed = span.status.code == StatusCode::Error;
            let key = match side {
                Side::Client(_) => (span.trace_id, span.span_id),
                // A root server span has no client to pair with.
                Side::Server(_) if span.parent_span_id.0 == 0 => continue,
                Side::Server(_) => (span.trace_id, span.parent_span_id),
            };
            if !inner.pending.contains_key(&key) && inner.pending.len() >= self.opts.max_items {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            let e = inner.pending.entry(key).or_insert_with(|| Edge {
                client: None,
                server: None,
                connection: Connection::Unset,
                client_s: 0.0,
                server_s: 0.0,
                failed: false,
                expires_ms,
            });
            e.failed |= failed;
            match side {
                Side::Client(c) => {
                    e.client = Some(span.resource.service.clone());
                    e.client_s = secs;
                    e.connection = c;
                    // A database call has no server span: the client's
                    // details stand for both sides.
                    if let Some(db) = db_name(span) {
                        e.connection = Connection::Database;
                        e.server = Some(db);
                        e.server_s = secs;
                    }
                }
                Side::Server(c) => {
                    e.server = Some(span.resource.service.clone());
                    e.server_s = secs;
                    e.connection = c;
                }
            }
            if e.client.is_some()
                && e.server.is_some()
                && let Some(done) = inner.pending.remove(&key)
            {
                self.complete(&mut inner, &done);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{KeyValue, Resource};
    use crate::spanmetrics::tests::span;

    fn edge_span(
        service: &str,
        kind: SpanKind,
        trace: u128,
        id: u64,
        parent: u64,
        dur_us: u64,
    ) -> Span {
        let mut s = span(service, "op", kind, StatusCode::Unset, dur_us);
        s.trace_id = TraceId(trace);
        s.span_id = SpanId(id);
        s.parent_span_id = SpanId(parent);
        s
    }

    fn samples(g: &ServiceGraph) -> Vec<(String, f64)> {
        let mut out = Vec::new();
        g.collect(|labels, v| {
            let text: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            out.push((text.join(","), v));
        });
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    fn get(s: &[(String, f64)], key: &str) -> Option<f64> {
        s.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    fn graph(clock: &Clock) -> ServiceGraph {
        ServiceGraph::new(clock.clone(), ServiceGraphOptions::default())
    }

    #[test]
    fn client_and_child_server_span_make_one_request() {
        let clock = Clock::manual(0);
        let g = graph(&clock);
        g.observe(&[
            edge_span("frontend", SpanKind::Client, 1, 10, 1, 30_000),
            edge_span("cart", SpanKind::Server, 1, 11, 10, 20_000),
            // Internal spans and unrelated kinds are not edges.
            edge_span("cart", SpanKind::Internal, 1, 12, 11, 1_000),
        ]);
        let s = samples(&g);
        assert_eq!(
            get(
                &s,
                &format!("__name__={REQUEST_TOTAL},client=frontend,server=cart")
            ),
            Some(1.0)
        );
        assert_eq!(
            get(
                &s,
                &format!("__name__={REQUEST_FAILED_TOTAL},client=frontend,server=cart")
            ),
            None,
            "no failed series before a failure"
        );
        let b = |side: &str, le: &str| {
            get(
                &s,
                &format!(
                    "__name__=traces_service_graph_request_{side}_seconds_bucket,client=frontend,le={le},server=cart"
                ),
            )
        };
        // Server 20 ms → le=0.05 (not 0.01); client 30 ms likewise.
        assert_eq!(b("server", "0.01"), Some(0.0));
        assert_eq!(b("server", "0.05"), Some(1.0));
        assert_eq!(b("client", "0.05"), Some(1.0));
        assert_eq!(b("client", "+Inf"), Some(1.0));
        assert_eq!(
            get(
                &s,
                "__name__=traces_service_graph_request_server_seconds_sum,client=frontend,server=cart"
            ),
            Some(0.02)
        );
        let st = g.stats();
        assert_eq!((st.completed, st.pending, st.series), (1, 0, 1));
    }

    #[test]
    fn server_first_then_client_pairs_across_batches() {
        let clock = Clock::manual(0);
        let g = graph(&clock);
        let mut server = edge_span("cart", SpanKind::Server, 7, 21, 20, 1_000);
        server.status.code = StatusCode::Error;
        g.observe(&[server]);
        assert_eq!(g.stats().pending, 1);
        assert!(samples(&g).is_empty());
        g.observe(&[edge_span("frontend", SpanKind::Client, 7, 20, 0, 2_000)]);
        let s = samples(&g);
        let lbl = "client=frontend,server=cart";
        assert_eq!(
            get(&s, &format!("__name__={REQUEST_TOTAL},{lbl}")),
            Some(1.0)
        );
        assert_eq!(
            get(&s, &format!("__name__={REQUEST_FAILED_TOTAL},{lbl}")),
            Some(1.0),
            "a failed server side fails the request"
        );
    }

    #[test]
    fn unpaired_sides_expire_after_the_ttl() {
        let clock = Clock::manual(0);
        let g = graph(&clock);
        g.observe(&[edge_span("frontend", SpanKind::Client, 1, 10, 0, 1_000)]);
        clock.set(1_500).unwrap();
        g.expire();
        assert_eq!(g.stats().pending, 1, "still within the 2 s ttl");
        clock.set(2_000).unwrap();
        g.expire();
        let st = g.stats();
        assert_eq!((st.pending, st.expired), (0, 1));
        // The late server side now waits alone and makes no edge.
        g.observe(&[edge_span("cart", SpanKind::Server, 1, 11, 10, 1_000)]);
        assert!(samples(&g).is_empty());
    }

    #[test]
    fn messaging_and_database_connection_types() {
        let clock = Clock::manual(0);
        let g = graph(&clock);
        let mut db = edge_span("cart", SpanKind::Client, 2, 30, 0, 4_000);
        db.attributes.push(KeyValue {
            key: "db.name".into(),
            value: Value::Str("redis".into()),
        });
        g.observe(&[
            edge_span("orders", SpanKind::Producer, 3, 40, 0, 1_000),
            edge_span("mailer", SpanKind::Consumer, 3, 41, 40, 1_000),
            db,
        ]);
        let s = samples(&g);
        assert_eq!(
            get(
                &s,
                &format!(
                    "__name__={REQUEST_TOTAL},client=orders,connection_type=messaging_system,server=mailer"
                )
            ),
            Some(1.0)
        );
        assert_eq!(
            get(
                &s,
                &format!(
                    "__name__={REQUEST_TOTAL},client=cart,connection_type=database,server=redis"
                )
            ),
            Some(1.0)
        );
    }

    #[test]
    fn spans_without_service_name_and_root_servers_are_skipped() {
        let clock = Clock::manual(0);
        let g = graph(&clock);
        let mut anon = edge_span("", SpanKind::Client, 1, 1, 0, 1);
        anon.resource = Arc::new(Resource::default());
        g.observe(&[
            anon,
            edge_span(NO_SERVICE_NAME, SpanKind::Client, 1, 2, 0, 1),
            edge_span("cart", SpanKind::Server, 1, 3, 0, 1),
        ]);
        assert_eq!(g.stats().pending, 0);
    }

    #[test]
    fn a_full_store_drops_new_sides() {
        let clock = Clock::manual(0);
        let g = ServiceGraph::new(
            clock,
            ServiceGraphOptions {
                max_items: 1,
                ..ServiceGraphOptions::default()
            },
        );
        g.observe(&[
            edge_span("a", SpanKind::Client, 1, 1, 0, 1),
            edge_span("a", SpanKind::Client, 1, 2, 0, 1),
            // The server side of the waiting request still pairs.
            edge_span("b", SpanKind::Server, 1, 3, 1, 1),
        ]);
        let st = g.stats();
        assert_eq!((st.dropped, st.completed, st.pending), (1, 1, 0));
    }
}
