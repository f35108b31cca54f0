//! The trace store: a writer/reader contract (as Jaeger's v2 `tracestore`
//! splits it) over an in-memory backend bounded by a span count. Writes are
//! visible to reads as soon as `write` returns. When a write would exceed the
//! cap, the oldest traces (by first arrival) are evicted whole and counted.

mod matching;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crate::model::{Span, SpanKind, Trace, TraceId};

/// Store limits.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// Spans kept at most (`--traces.max-spans`).
    pub max_spans: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_spans: 1_000_000,
        }
    }
}

/// What one write did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Spans stored.
    pub spans_written: u64,
    /// Spans refused (e.g. a batch larger than the whole store).
    pub spans_rejected: u64,
    /// Traces evicted to make room.
    pub traces_evicted: u64,
}

/// Counters and sizes, for `/metrics` and the status API.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Spans held.
    pub spans: u64,
    /// Traces held.
    pub traces: u64,
    /// The cap.
    pub max_spans: u64,
    /// Spans stored since start.
    pub spans_written_total: u64,
    /// Spans refused since start.
    pub spans_rejected_total: u64,
    /// Traces evicted since start.
    pub traces_evicted_total: u64,
    /// Spans evicted since start.
    pub spans_evicted_total: u64,
}

/// A search, as Jaeger's `TraceQueryParams`: a trace matches when one of its
/// spans meets every condition. Times are Unix nanoseconds, bounds inclusive.
#[derive(Clone, Debug, Default)]
pub struct TraceQuery {
    /// The service (required by the APIs, optional here).
    pub service: Option<String>,
    /// The operation name.
    pub operation: Option<String>,
    /// Tags, compared as strings against span, scope, resource, event and
    /// link attributes (plus Jaeger's special keys).
    pub tags: Vec<(String, String)>,
    /// Earliest span start.
    pub start_min_ns: Option<u64>,
    /// Latest span start.
    pub start_max_ns: Option<u64>,
    /// Shortest span.
    pub duration_min_ns: Option<u64>,
    /// Longest span.
    pub duration_max_ns: Option<u64>,
    /// Traces returned at most (0: no limit).
    pub limit: usize,
}

/// An operation of a service.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Operation {
    /// The span name.
    pub name: Arc<str>,
    /// The span kind.
    pub kind: SpanKind,
}

/// A service-to-service call count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DependencyLink {
    /// The calling service.
    pub parent: String,
    /// The called service.
    pub child: String,
    /// Calls seen.
    pub call_count: u64,
}

struct Entry {
    spans: Vec<Arc<Span>>,
}

#[derive(Default)]
struct Inner {
    traces: HashMap<TraceId, Entry>,
    /// Trace ids in order of first arrival (eviction order).
    order: VecDeque<TraceId>,
    spans: usize,
    /// service → operation → spans held with that name and kind.
    operations: BTreeMap<Arc<str>, BTreeMap<Operation, usize>>,
}

/// The bounded in-memory trace store.
pub struct TraceStore {
    opts: StoreOptions,
    inner: RwLock<Inner>,
    written: AtomicU64,
    rejected: AtomicU64,
    evicted_traces: AtomicU64,
    evicted_spans: AtomicU64,
}

impl TraceStore {
    /// An empty store.
    pub fn new(opts: StoreOptions) -> Self {
        Self {
            opts,
            inner: RwLock::new(Inner::default()),
            written: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            evicted_traces: AtomicU64::new(0),
            evicted_spans: AtomicU64::new(0),
        }
    }

    /// Stores spans (any traces, any order), evicting the oldest traces
    /// whole when the cap would be exceeded.
    pub fn write(&self, spans: Vec<Span>) -> WriteStats {
        let mut st = WriteStats::default();
        let mut spans = spans;
        if spans.len() > self.opts.max_spans {
            let extra = spans.len() - self.opts.max_spans;
            spans.truncate(self.opts.max_spans);
            st.spans_rejected = extra as u64;
        }
        let mut g = self.inner.write().unwrap_or_else(|e| e.into_inner());
        while g.spans + spans.len() > self.opts.max_spans {
            let Some(id) = g.order.pop_front() else { break };
            if let Some(e) = g.traces.remove(&id) {
                g.spans -= e.spans.len();
                for s in &e.spans {
                    forget_operation(&mut g.operations, s);
                }
                st.traces_evicted += 1;
                self.evicted_spans
                    .fetch_add(e.spans.len() as u64, Ordering::Relaxed);
            }
        }
        for s in spans {
            let s = Arc::new(s);
            let ops = g.operations.entry(s.resource.service.clone()).or_default();
            *ops.entry(Operation {
                name: s.name.clone(),
                kind: s.kind,
            })
            .or_default() += 1;
            let id = s.trace_id;
            let inner = &mut *g;
            match inner.traces.get_mut(&id) {
                Some(e) => e.spans.push(s),
                None => {
                    inner.traces.insert(id, Entry { spans: vec![s] });
                    inner.order.push_back(id);
                }
            }
            g.spans += 1;
            st.spans_written += 1;
        }
        drop(g);
        self.written.fetch_add(st.spans_written, Ordering::Relaxed);
        self.rejected
            .fetch_add(st.spans_rejected, Ordering::Relaxed);
        self.evicted_traces
            .fetch_add(st.traces_evicted, Ordering::Relaxed);
        st
    }

    /// One trace by id.
    pub fn get_trace(&self, id: TraceId) -> Option<Trace> {
        let g = self.inner.read().unwrap_or_else(|e| e.into_inner());
        g.traces.get(&id).map(|e| Trace {
            trace_id: id,
            spans: e.spans.clone(),
        })
    }

    /// Traces with a span matching every condition of `q`, newest first
    /// (by their latest matching span start).
    pub fn find_traces(&self, q: &TraceQuery) -> Vec<Trace> {
        let g = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let mut found: Vec<(u64, TraceId)> = Vec::new();
        for (id, e) in &g.traces {
            let best = e
                .spans
                .iter()
                .filter(|s| matching::span_matches(s, q))
                .map(|s| s.start_ns)
                .max();
            if let Some(t) = best {
                found.push((t, *id));
            }
        }
        found.sort_by(|a, b| b.cmp(a));
        if q.limit > 0 {
            found.truncate(q.limit);
        }
        found
            .into_iter()
            .filter_map(|(_, id)| {
                g.traces.get(&id).map(|e| Trace {
                    trace_id: id,
                    spans: e.spans.clone(),
                })
            })
            .collect()
    }

    /// Services with at least one span held, sorted.
    pub fn services(&self) -> Vec<String> {
        let g = self.inner.read().unwrap_or_else(|e| e.into_inner());
        g.operations.keys().map(|s| s.to_string()).collect()
    }

    /// Operations of a service, optionally of one kind, sorted.
    pub fn operations(&self, service: &str, kind: Option<SpanKind>) -> Vec<Operation> {
        let g = self.inner.read().unwrap_or_else(|e| e.into_inner());
        g.operations
            .get(service)
            .map(|ops| {
                ops.keys()
                    .filter(|o| kind.is_none_or(|k| o.kind == k))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Calls between services: a span whose parent is in the same trace
    /// under another service counts one call parent → child. Only spans
    /// starting in `[start_ns, end_ns]` count.
    pub fn dependencies(&self, start_ns: u64, end_ns: u64) -> Vec<DependencyLink> {
        let g = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let mut links: BTreeMap<(Arc<str>, Arc<str>), u64> = BTreeMap::new();
        for e in g.traces.values() {
            let by_id: HashMap<_, _> = e.spans.iter().map(|s| (s.span_id, s)).collect();
            for s in &e.spans {
                if s.start_ns < start_ns || s.start_ns > end_ns || s.parent_span_id.0 == 0 {
                    continue;
                }
                if let Some(p) = by_id.get(&s.parent_span_id)
                    && p.resource.service != s.resource.service
                {
                    *links
                        .entry((p.resource.service.clone(), s.resource.service.clone()))
                        .or_default() += 1;
                }
            }
        }
        links
            .into_iter()
            .map(|((p, c), n)| DependencyLink {
                parent: p.to_string(),
                child: c.to_string(),
                call_count: n,
            })
            .collect()
    }

    /// Sizes and counters.
    pub fn stats(&self) -> StoreStats {
        let g = self.inner.read().unwrap_or_else(|e| e.into_inner());
        StoreStats {
            spans: g.spans as u64,
            traces: g.traces.len() as u64,
            max_spans: self.opts.max_spans as u64,
            spans_written_total: self.written.load(Ordering::Relaxed),
            spans_rejected_total: self.rejected.load(Ordering::Relaxed),
            traces_evicted_total: self.evicted_traces.load(Ordering::Relaxed),
            spans_evicted_total: self.evicted_spans.load(Ordering::Relaxed),
        }
    }
}

fn forget_operation(ops: &mut BTreeMap<Arc<str>, BTreeMap<Operation, usize>>, s: &Span) {
    let Some(m) = ops.get_mut(&*s.resource.service) else {
        return;
    };
    let op = Operation {
        name: s.name.clone(),
        kind: s.kind,
    };
    if let Some(n) = m.get_mut(&op) {
        *n -= 1;
        if *n == 0 {
            m.remove(&op);
        }
    }
    if m.is_empty() {
        ops.remove(&*s.resource.service);
    }
}

#[cfg(test)]
mod tests;
