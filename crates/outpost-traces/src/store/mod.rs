//! The trace store: a writer/reader contract (as Jaeger's v2 `tracestore`
//! splits it) over an in-memory backend bounded by a span count. Writes are
//! visible to reads as soon as `write` returns. When a write would exceed the
//! cap, the oldest traces (by first arrival) are evicted whole and counted;
//! a service or operation disappears with its last span.
//!
//! Layout (`backend.rs`): traces sit in a ring in order of first arrival,
//! each numbered by a sequence number and found by id through a hash map.
//! Spans are stored compactly (`compact.rs`) with interned strings
//! (`strings.rs`) and deduplicated resources and scopes, and rebuilt into
//! model spans on read. Searches intersect postings of trace numbers
//! (`index.rs`) for the service, operation, kind, status and tag values,
//! prune traces by their span start and duration ranges, and check the
//! remaining candidates span by span (`matching.rs`).

mod backend;
mod compact;
mod index;
mod matching;
mod strings;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crate::model::{Span, SpanKind, Trace, TraceId};

use backend::Inner;

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

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores spans (any traces, any order), evicting the oldest traces
    /// whole when the cap would be exceeded. A batch larger than the whole
    /// store keeps its first `max_spans` spans; the rest are refused.
    pub fn write(&self, spans: Vec<Span>) -> WriteStats {
        let mut spans = spans;
        let mut st = WriteStats::default();
        if spans.len() > self.opts.max_spans {
            st.spans_rejected = (spans.len() - self.opts.max_spans) as u64;
            spans.truncate(self.opts.max_spans);
        }
        let mut g = self.inner.write().unwrap_or_else(|e| e.into_inner());
        let evicted_spans = g.write(spans, self.opts.max_spans, &mut st);
        drop(g);
        self.written.fetch_add(st.spans_written, Ordering::Relaxed);
        self.rejected
            .fetch_add(st.spans_rejected, Ordering::Relaxed);
        self.evicted_traces
            .fetch_add(st.traces_evicted, Ordering::Relaxed);
        self.evicted_spans
            .fetch_add(evicted_spans, Ordering::Relaxed);
        st
    }

    /// One trace by id, its spans in arrival order.
    pub fn get_trace(&self, id: TraceId) -> Option<Trace> {
        self.read().trace(id)
    }

    /// Several traces by id under one lock (one answer per id, in order).
    pub fn get_traces(&self, ids: &[TraceId]) -> Vec<Option<Trace>> {
        let g = self.read();
        ids.iter().map(|id| g.trace(*id)).collect()
    }

    /// Traces with a span matching every condition of `q`, at most
    /// `q.limit` of them (0: all).
    ///
    /// Order and limit follow Jaeger's v2 memory store (`tenant.go`
    /// `findTraceAndIds`, the path of `FindTraces` in v2.20 and on main):
    /// it walks its ring of traces from the most recently *created* trace
    /// (first arrival of its id) backwards and stops once it has `limit`
    /// matches. Results are therefore newest first by first arrival, not by
    /// span time, and a trace that keeps receiving spans keeps its place.
    /// (The paginated `findTraceAndIdsPage` added on main after v2.20 sorts
    /// by the latest matching span start instead; the v1/v3 search APIs do
    /// not use it.)
    pub fn find_traces(&self, q: &TraceQuery) -> Vec<Trace> {
        self.read().find(q)
    }

    /// Services with at least one span held, sorted.
    pub fn services(&self) -> Vec<String> {
        self.read().services()
    }

    /// Operations of a service, optionally of one kind, sorted.
    pub fn operations(&self, service: &str, kind: Option<SpanKind>) -> Vec<Operation> {
        self.read().operations(service, kind)
    }

    /// Calls between services: a span whose parent is in the same trace
    /// under another service counts one call parent → child. Only spans
    /// starting in `[start_ns, end_ns]` count. Sorted by parent, child.
    pub fn dependencies(&self, start_ns: u64, end_ns: u64) -> Vec<DependencyLink> {
        self.read().dependencies(start_ns, end_ns)
    }

    /// Drops every trace (e.g. a fixture reset). The totals keep counting;
    /// the dropped spans are not counted as evicted.
    pub fn clear(&self) {
        let mut g = self.inner.write().unwrap_or_else(|e| e.into_inner());
        *g = Inner::default();
    }

    /// Sizes and counters.
    pub fn stats(&self) -> StoreStats {
        let g = self.read();
        StoreStats {
            spans: g.span_count() as u64,
            traces: g.trace_count() as u64,
            max_spans: self.opts.max_spans as u64,
            spans_written_total: self.written.load(Ordering::Relaxed),
            spans_rejected_total: self.rejected.load(Ordering::Relaxed),
            traces_evicted_total: self.evicted_traces.load(Ordering::Relaxed),
            spans_evicted_total: self.evicted_spans.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests;
