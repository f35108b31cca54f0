//! The store's state behind its lock: the ring of traces, the id map, the
//! interned strings, the shared resources and scopes, the search index and
//! the operation counts, and the operations on them.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::Arc;

use crate::model::{Resource, Scope, Span, SpanKind, Trace, TraceId};

use super::compact::{
    Shared, SharedEntry, SpanExtra, StoredSpan, T_KIND, T_OPERATION, T_STATUS, decode_span,
    encode_attrs, release_attrs, value_term,
};
use super::index::{Index, intersect_desc, union};
use super::matching::Prepared;
use super::strings::{StrId, Strings};
use super::{DependencyLink, Operation, TraceQuery, WriteStats};
use crate::hash::{FastMap, hash_str, mix};

/// Evicted spans since the last index sweep that trigger the next one, at
/// least (otherwise: as many as the spans held).
const SWEEP_MIN: usize = 16 * 1024;

struct TraceEntry {
    id: TraceId,
    spans: Vec<StoredSpan>,
    /// Smallest and largest span start.
    start: (u64, u64),
    /// Shortest and longest span.
    duration: (u64, u64),
    /// Resources (`1 << 32 | id`) and scopes (`2 << 32 | id`) whose terms
    /// are in the index for this trace.
    indexed: Vec<u64>,
}

/// Span counts per (service, operation name, kind).
type OpKey = (StrId, StrId, SpanKind);

#[derive(Default)]
pub(super) struct Inner {
    ring: VecDeque<TraceEntry>,
    /// The sequence number of `ring[0]`.
    base: u64,
    ids: FastMap<TraceId, u64>,
    spans: usize,
    strings: Strings,
    resources: Shared<Resource>,
    scopes: Shared<Scope>,
    index: Index,
    ops: FastMap<OpKey, u32>,
    evicted_since_sweep: usize,
    terms: Vec<u64>,
}

impl Inner {
    pub(super) fn span_count(&self) -> usize {
        self.spans
    }

    pub(super) fn trace_count(&self) -> usize {
        self.ring.len()
    }

    /// Writes a batch (at most `max` spans); returns the spans evicted.
    pub(super) fn write(&mut self, spans: Vec<Span>, max: usize, st: &mut WriteStats) -> u64 {
        let mut evicted = 0u64;
        while self.spans + spans.len() > max {
            match self.evict_oldest() {
                Some(n) => {
                    evicted += n as u64;
                    st.traces_evicted += 1;
                }
                None => break,
            }
        }
        // Spans of one trace that follow each other: the trace's span list
        // grows by exactly that much.
        let mut runs = vec![1u32; spans.len()];
        for i in (0..spans.len().saturating_sub(1)).rev() {
            if spans[i].trace_id == spans[i + 1].trace_id {
                runs[i] = runs[i + 1].saturating_add(1);
            }
        }
        for (s, run) in spans.into_iter().zip(runs) {
            if self.insert(s, run as usize) {
                st.spans_written += 1;
            } else {
                st.spans_rejected += 1;
            }
        }
        self.resources.end_write();
        self.scopes.end_write();
        if self.evicted_since_sweep > self.spans.max(SWEEP_MIN) {
            self.index.sweep(self.base);
            self.evicted_since_sweep = 0;
        }
        evicted
    }

    fn insert(&mut self, mut s: Span, run: usize) -> bool {
        let strings_needed =
            s.attributes.len() + s.resource.attributes.len() + s.scope.attributes.len() + 3;
        if !self.strings.has_room(strings_needed)
            || !self.resources.has_room()
            || !self.scopes.has_room()
        {
            return false;
        }
        let (res_id, _) =
            self.resources
                .intern(&s.resource, Some(&s.resource.service), &mut self.strings);
        let (scope_id, _) = self.scopes.intern(&s.scope, None, &mut self.strings);
        let name_hash = hash_str(&s.name);
        let name = self
            .strings
            .intern_hashed(&s.name, name_hash, Some(&s.name));

        let seq = match self.ids.get(&s.trace_id) {
            Some(&q) => q,
            None => {
                let q = self.base + self.ring.len() as u64;
                self.ring.push_back(TraceEntry {
                    id: s.trace_id,
                    spans: Vec::new(),
                    start: (u64::MAX, 0),
                    duration: (u64::MAX, 0),
                    indexed: Vec::new(),
                });
                self.ids.insert(s.trace_id, q);
                q
            }
        };

        let mut terms = std::mem::take(&mut self.terms);
        terms.clear();
        terms.push(mix(T_OPERATION, name_hash, 0));
        terms.push(mix(T_KIND, s.kind.to_otlp() as u64, 0));
        terms.push(mix(T_STATUS, s.status.code.to_otlp() as u64, 0));
        for e in &s.events {
            for kv in &e.attributes {
                terms.push(value_term(hash_str(&kv.key), &kv.value));
            }
        }
        for l in &s.links {
            for kv in &l.attributes {
                terms.push(value_term(hash_str(&kv.key), &kv.value));
            }
        }
        let mut others = Vec::new();
        let attrs = encode_attrs(
            &mut self.strings,
            &mut s.attributes,
            Some(&mut others),
            |t| terms.push(t),
        );

        let Some(entry) = usize::try_from(seq - self.base)
            .ok()
            .and_then(|i| self.ring.get_mut(i))
        else {
            // Unreachable: `seq` was just looked up or created.
            self.terms = terms;
            return false;
        };
        for marker in [
            1u64 << 32 | u64::from(res_id),
            2u64 << 32 | u64::from(scope_id),
        ] {
            if entry.indexed.contains(&marker) {
                continue;
            }
            entry.indexed.push(marker);
            let shared = if marker >> 32 == 1 {
                self.resources.get(res_id).map(|e| &e.terms)
            } else {
                self.scopes.get(scope_id).map(|e| &e.terms)
            };
            if let Some(ts) = shared {
                for &t in ts.iter() {
                    self.index.add(t, seq);
                }
            }
        }
        for &t in &terms {
            self.index.add(t, seq);
        }
        self.terms = terms;

        let has_extra = !s.trace_state.is_empty()
            || !s.status.message.is_empty()
            || !s.events.is_empty()
            || !s.links.is_empty()
            || s.dropped != [0; 3]
            || !others.is_empty();
        let extra = has_extra.then(|| {
            Box::new(SpanExtra {
                trace_state: std::mem::take(&mut s.trace_state),
                status_message: std::mem::take(&mut s.status.message),
                events: std::mem::take(&mut s.events),
                links: std::mem::take(&mut s.links),
                dropped: s.dropped,
                others,
            })
        });
        let stored = StoredSpan {
            span_id: s.span_id.0,
            parent_span_id: s.parent_span_id.0,
            start_ns: s.start_ns,
            end_ns: s.end_ns,
            name,
            flags: s.flags,
            resource: res_id,
            scope: scope_id,
            kind: s.kind,
            status: s.status.code,
            attrs,
            extra,
        };
        let d = stored.duration_ns();
        entry.start = (entry.start.0.min(s.start_ns), entry.start.1.max(s.start_ns));
        entry.duration = (entry.duration.0.min(d), entry.duration.1.max(d));
        if entry.spans.len() == entry.spans.capacity() {
            // Exact for a trace written in one batch, growing by half for
            // one that trickles in.
            let n = entry.spans.len();
            entry.spans.reserve_exact(run.max(n / 2));
        }
        entry.spans.push(stored);

        let service = self.resources.get(res_id).map_or(StrId::MAX, |e| e.service);
        *self.ops.entry((service, name, s.kind)).or_default() += 1;
        self.spans += 1;
        true
    }

    /// Evicts the oldest trace; returns its span count.
    fn evict_oldest(&mut self) -> Option<usize> {
        let e = self.ring.pop_front()?;
        self.base += 1;
        self.ids.remove(&e.id);
        for s in &e.spans {
            let service = self
                .resources
                .get(s.resource)
                .map_or(StrId::MAX, |r| r.service);
            let key = (service, s.name, s.kind);
            if let Some(n) = self.ops.get_mut(&key) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.ops.remove(&key);
                }
            }
            self.strings.release(s.name);
            release_attrs(&mut self.strings, &s.attrs);
            self.resources.release(s.resource, &mut self.strings);
            self.scopes.release(s.scope, &mut self.strings);
        }
        self.spans -= e.spans.len();
        self.evicted_since_sweep += e.spans.len();
        Some(e.spans.len())
    }

    fn entry(&self, seq: u64) -> Option<&TraceEntry> {
        let i = usize::try_from(seq.checked_sub(self.base)?).ok()?;
        self.ring.get(i)
    }

    fn materialize(&self, e: &TraceEntry) -> Trace {
        Trace {
            trace_id: e.id,
            spans: e
                .spans
                .iter()
                .map(|s| {
                    Arc::new(decode_span(
                        e.id,
                        s,
                        &self.strings,
                        &self.resources,
                        &self.scopes,
                    ))
                })
                .collect(),
        }
    }

    pub(super) fn trace(&self, id: TraceId) -> Option<Trace> {
        let seq = *self.ids.get(&id)?;
        self.entry(seq).map(|e| self.materialize(e))
    }

    fn trace_matches(&self, p: &Prepared, e: &TraceEntry) -> bool {
        if !p.may_match_trace(e.start, e.duration) {
            return false;
        }
        e.spans.iter().any(
            |s| match (self.resources.get(s.resource), self.scopes.get(s.scope)) {
                (Some(r), Some(sc)) => p.span_matches(s, r, sc),
                _ => false,
            },
        )
    }

    pub(super) fn find(&self, q: &TraceQuery) -> Vec<Trace> {
        let p = Prepared::new(q, &self.strings);
        if !p.possible {
            return Vec::new();
        }
        let limit = if q.limit == 0 { usize::MAX } else { q.limit };
        let mut found: Vec<&TraceEntry> = Vec::new();
        let mut visit = |seq: u64| {
            if let Some(e) = self.entry(seq)
                && self.trace_matches(&p, e)
            {
                found.push(e);
            }
            found.len() < limit
        };
        if p.term_sets.is_empty() {
            let end = self.base + self.ring.len() as u64;
            for seq in (self.base..end).rev() {
                if !visit(seq) {
                    break;
                }
            }
        } else {
            let mut lists: Vec<Cow<'_, [u64]>> = p
                .term_sets
                .iter()
                .map(|ts| {
                    let mut parts: Vec<Cow<'_, [u64]>> = ts
                        .iter()
                        .map(|&t| self.index.get(t, self.base))
                        .filter(|l| !l.is_empty())
                        .collect();
                    match parts.len() {
                        0 => Cow::Borrowed(&[][..]),
                        1 => parts.swap_remove(0),
                        _ => {
                            let refs: Vec<&[u64]> = parts.iter().map(|l| &**l).collect();
                            Cow::Owned(union(&refs))
                        }
                    }
                })
                .collect();
            lists.sort_by_key(|l| l.len());
            let refs: Vec<&[u64]> = lists.iter().map(|l| &**l).collect();
            intersect_desc(&refs, &mut visit);
        }
        found.into_iter().map(|e| self.materialize(e)).collect()
    }

    pub(super) fn services(&self) -> Vec<String> {
        let mut v: Vec<StrId> = self.ops.keys().map(|k| k.0).collect();
        v.sort_unstable();
        v.dedup();
        let mut out: Vec<String> = v
            .into_iter()
            .filter(|&id| id != StrId::MAX)
            .map(|id| self.strings.arc(id).to_string())
            .collect();
        out.sort();
        out
    }

    pub(super) fn operations(&self, service: &str, kind: Option<SpanKind>) -> Vec<Operation> {
        let Some(svc) = self.strings.get(service) else {
            return Vec::new();
        };
        let mut out: Vec<Operation> = self
            .ops
            .keys()
            .filter(|k| k.0 == svc && kind.is_none_or(|kd| k.2 == kd))
            .map(|k| Operation {
                name: self.strings.arc(k.1).clone(),
                kind: k.2,
            })
            .collect();
        out.sort();
        out
    }

    pub(super) fn dependencies(&self, start_ns: u64, end_ns: u64) -> Vec<DependencyLink> {
        let mut links: FastMap<(StrId, StrId), u64> = FastMap::default();
        let mut by_id: FastMap<u64, StrId> = FastMap::default();
        let service_of = |s: &StoredSpan| {
            self.resources
                .get(s.resource)
                .map_or(StrId::MAX, |r: &SharedEntry<Resource>| r.service)
        };
        for e in &self.ring {
            if e.start.1 < start_ns || e.start.0 > end_ns {
                continue;
            }
            by_id.clear();
            for s in &e.spans {
                by_id.insert(s.span_id, service_of(s));
            }
            for s in &e.spans {
                if s.start_ns < start_ns || s.start_ns > end_ns || s.parent_span_id == 0 {
                    continue;
                }
                let child = service_of(s);
                if let Some(&parent) = by_id.get(&s.parent_span_id)
                    && parent != child
                {
                    *links.entry((parent, child)).or_default() += 1;
                }
            }
        }
        let mut out: Vec<DependencyLink> = links
            .into_iter()
            .map(|((p, c), n)| DependencyLink {
                parent: self.strings.arc(p).to_string(),
                child: self.strings.arc(c).to_string(),
                call_count: n,
            })
            .collect();
        out.sort_by(|a, b| (&a.parent, &a.child).cmp(&(&b.parent, &b.child)));
        out
    }

    /// Interned strings held (for tests).
    #[cfg(test)]
    pub(super) fn string_count(&self) -> usize {
        self.strings.len()
    }

    /// Shared resources and scopes held (for tests).
    #[cfg(test)]
    pub(super) fn shared_counts(&self) -> (usize, usize) {
        (self.resources.len(), self.scopes.len())
    }

    /// Index terms held (for tests).
    #[cfg(test)]
    pub(super) fn term_count(&self) -> usize {
        self.index.len()
    }

    /// Forces an index sweep (for tests).
    #[cfg(test)]
    pub(super) fn sweep(&mut self) {
        self.index.sweep(self.base);
    }
}
