//! The query-side adjusters Jaeger v2 runs before answering (fact sheet
//! §5.7, `internal/adjuster/standard.go`), in its order:
//! DeduplicateClientServerSpanIDs, SortCollections, DeduplicateSpans,
//! CorrectClockSkew (max adjustment 0: only the warning), NormalizeIPAttributes,
//! MoveLibraryAttributes, RemoveEmptySpanLinks. Warnings go into the span
//! attribute `@jaeger@warnings` (a string array), which the v1 rendering
//! moves to the span's `warnings`. `raw=true` requests skip [`adjust`].
//!
//! Spans are shared with the store, so an adjuster copies a span (and a
//! resource or scope, keeping it shared between the spans that shared it)
//! only when it changes it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::json_out::go_duration;
use super::{IdBuild, WARNINGS_ATTRIBUTE};
use crate::model::{KeyValue, Resource, Scope, Span, SpanId, SpanKind, Trace, Value};

/// The adjusted copy of a trace (the input is left as is).
pub fn adjust(t: &Trace) -> Trace {
    let mut spans = t.spans.clone();
    dedupe_client_server_ids(&mut spans);
    sort_collections(&mut spans);
    dedupe_spans(&mut spans);
    clock_skew(&mut spans);
    normalize_ip_attributes(&mut spans);
    move_library_attributes(&mut spans);
    remove_empty_links(&mut spans);
    Trace {
        trace_id: t.trace_id,
        spans,
    }
}

/// Appends a warning to the span's `@jaeger@warnings` attribute.
pub(crate) fn add_warning(s: &mut Span, w: String) {
    let w = Value::Str(Arc::from(w));
    if let Some(kv) = s
        .attributes
        .iter_mut()
        .find(|kv| &*kv.key == WARNINGS_ATTRIBUTE)
    {
        match &mut kv.value {
            Value::Array(a) => a.push(w),
            other => {
                let old = std::mem::replace(other, Value::Empty);
                *other = Value::Array(vec![old, w]);
            }
        }
        return;
    }
    static KEY: std::sync::OnceLock<Arc<str>> = std::sync::OnceLock::new();
    s.attributes.push(KeyValue {
        key: KEY.get_or_init(|| Arc::from(WARNINGS_ATTRIBUTE)).clone(),
        value: Value::Array(vec![w]),
    });
}

/// A SERVER span sharing its id with a CLIENT span (Zipkin's shared spans)
/// gets a new unique id, its parent becomes the shared id, and the spans
/// that pointed at the shared id (the server's children) point at the new id.
fn dedupe_client_server_ids(spans: &mut [Arc<Span>]) {
    let client_ids: HashSet<u64, IdBuild> = spans
        .iter()
        .filter(|s| s.kind == SpanKind::Client)
        .map(|s| s.span_id.0)
        .collect();
    if client_ids.is_empty()
        || !spans
            .iter()
            .any(|s| s.kind == SpanKind::Server && client_ids.contains(&s.span_id.0))
    {
        return;
    }
    let mut used: HashSet<u64, IdBuild> = spans.iter().map(|s| s.span_id.0).collect();
    let mut next = 0u64;
    let mut renamed: HashMap<u64, u64, IdBuild> = HashMap::default();
    for s in spans.iter_mut() {
        if s.kind != SpanKind::Server || !client_ids.contains(&s.span_id.0) {
            continue;
        }
        let new_id = loop {
            next = match next.checked_add(1) {
                Some(n) => n,
                None => return,
            };
            if !used.contains(&next) {
                break next;
            }
        };
        used.insert(new_id);
        let s = Arc::make_mut(s);
        renamed.insert(s.span_id.0, new_id);
        s.parent_span_id = s.span_id;
        s.span_id = SpanId(new_id);
    }
    for s in spans.iter_mut() {
        if let Some(&new_id) = renamed.get(&s.parent_span_id.0)
            && s.span_id.0 != new_id
        {
            Arc::make_mut(s).parent_span_id = SpanId(new_id);
        }
    }
}

/// The span to change: copied unless this trace holds the only reference,
/// with room for one more attribute (an adjuster warning) so that adding
/// it does not reallocate.
fn own(s: &mut Arc<Span>) -> &mut Span {
    if Arc::get_mut(s).is_none() {
        let src: &Span = s;
        let mut attributes = Vec::with_capacity(src.attributes.len() + 1);
        attributes.extend(src.attributes.iter().cloned());
        *s = Arc::new(Span {
            trace_id: src.trace_id,
            span_id: src.span_id,
            parent_span_id: src.parent_span_id,
            trace_state: src.trace_state.clone(),
            flags: src.flags,
            name: src.name.clone(),
            kind: src.kind,
            start_ns: src.start_ns,
            end_ns: src.end_ns,
            attributes,
            events: src.events.clone(),
            links: src.links.clone(),
            status: src.status.clone(),
            dropped: src.dropped,
            resource: src.resource.clone(),
            scope: src.scope.clone(),
        });
    }
    Arc::make_mut(s)
}

fn sorted(attrs: &[KeyValue]) -> bool {
    attrs.windows(2).all(|w| w[0].key <= w[1].key)
}

fn sort_attrs(attrs: &mut [KeyValue]) {
    attrs.sort_by(|a, b| a.key.cmp(&b.key));
}

/// Copies of shared resources and scopes, one per original, so spans that
/// shared one still share its adjusted copy.
#[derive(Default)]
struct Shared {
    resources: HashMap<*const Resource, Arc<Resource>>,
    scopes: HashMap<*const Scope, Arc<Scope>>,
}

impl Shared {
    fn resource(&mut self, r: &Arc<Resource>, f: impl FnOnce(&mut Resource)) -> Arc<Resource> {
        self.resources
            .entry(Arc::as_ptr(r))
            .or_insert_with(|| {
                let mut c = (**r).clone();
                f(&mut c);
                Arc::new(c)
            })
            .clone()
    }

    fn scope(&mut self, sc: &Arc<Scope>, f: impl FnOnce(&mut Scope)) -> Arc<Scope> {
        self.scopes
            .entry(Arc::as_ptr(sc))
            .or_insert_with(|| {
                let mut c = (**sc).clone();
                f(&mut c);
                Arc::new(c)
            })
            .clone()
    }
}

/// Resource, scope, span, event and link attributes sorted by key (stable),
/// events sorted by name.
fn sort_collections(spans: &mut [Arc<Span>]) {
    let mut shared = Shared::default();
    for s in spans.iter_mut() {
        if !sorted(&s.resource.attributes) {
            let r = shared.resource(&s.resource, |r| sort_attrs(&mut r.attributes));
            Arc::make_mut(s).resource = r;
        }
        if !sorted(&s.scope.attributes) {
            let sc = shared.scope(&s.scope, |sc| sort_attrs(&mut sc.attributes));
            Arc::make_mut(s).scope = sc;
        }
        let clean = sorted(&s.attributes)
            && s.events.windows(2).all(|w| w[0].name <= w[1].name)
            && s.events.iter().all(|e| sorted(&e.attributes))
            && s.links.iter().all(|l| sorted(&l.attributes));
        if clean {
            continue;
        }
        let s = own(s);
        sort_attrs(&mut s.attributes);
        s.events.sort_by(|a, b| a.name.cmp(&b.name));
        for e in &mut s.events {
            sort_attrs(&mut e.attributes);
        }
        for l in &mut s.links {
            sort_attrs(&mut l.attributes);
        }
    }
}

/// Drops spans identical to an earlier one (same ids, times, attributes,
/// events, links, status, resource and scope).
fn dedupe_spans(spans: &mut Vec<Arc<Span>>) {
    type Key = (u64, u64, u64, u64);
    let key = |s: &Span| (s.span_id.0, s.parent_span_id.0, s.start_ns, s.end_ns);
    // The first span of each key; further distinct spans with the same key
    // (rare) are kept in `more`.
    let mut first: HashMap<Key, usize, IdBuild> =
        HashMap::with_capacity_and_hasher(spans.len(), IdBuild::default());
    let mut more: Vec<(Key, usize)> = Vec::new();
    let mut keep: Vec<Arc<Span>> = Vec::with_capacity(spans.len());
    for s in spans.drain(..) {
        let k = key(&s);
        let same = |i: usize| Arc::ptr_eq(&keep[i], &s) || *keep[i] == *s;
        match first.get(&k) {
            None => {
                first.insert(k, keep.len());
            }
            Some(&i) => {
                if same(i) || more.iter().any(|&(mk, mi)| mk == k && same(mi)) {
                    continue;
                }
                more.push((k, keep.len()));
            }
        }
        keep.push(s);
    }
    *spans = keep;
}

/// The host a resource names: `host.id`, else `host.ip`, else `host.name`.
fn host_key(r: &Resource) -> String {
    for key in ["host.id", "host.ip", "host.name"] {
        if let Some(kv) = r.attributes.iter().find(|kv| &*kv.key == key) {
            return kv.value.as_string();
        }
    }
    String::new()
}

/// The shift that would fit a child on another host into its parent:
/// latency split evenly, or only "not before the parent" when the child is
/// longer than the parent.
fn skew_delta(child: &Span, parent: &Span) -> i64 {
    let (ps, cs) = (i128::from(parent.start_ns), i128::from(child.start_ns));
    let (pd, cd) = (
        i128::from(parent.duration_ns()),
        i128::from(child.duration_ns()),
    );
    let d = if cd > pd {
        if cs < ps { ps - cs } else { 0 }
    } else if cs >= ps && cs + cd <= ps + pd {
        0
    } else {
        ps + (pd - cd) / 2 - cs
    };
    i64::try_from(d).unwrap_or(if d < 0 { i64::MIN } else { i64::MAX })
}

/// Clock-skew correction with a maximum adjustment of 0 (Jaeger's
/// default): nothing moves, but each span a non-zero delta would apply to
/// gets `clock skew adjustment disabled; not applying calculated delta of
/// <d>`; also Jaeger's warnings for duplicate ids and missing parents.
/// Spans on an unknown host (empty key) are always compared with their
/// parent, as Jaeger does.
fn clock_skew(spans: &mut [Arc<Span>]) {
    let n = spans.len();
    let mut by_id: HashMap<u64, usize, IdBuild> =
        HashMap::with_capacity_and_hasher(n, IdBuild::default());
    let mut warnings: Vec<(usize, String)> = Vec::new();
    for (i, s) in spans.iter().enumerate() {
        if let std::collections::hash_map::Entry::Vacant(e) = by_id.entry(s.span_id.0) {
            e.insert(i);
        } else {
            warnings.push((
                i,
                "duplicate span IDs; skipping clock skew adjustment".into(),
            ));
        }
    }
    // Host of each span as a small number (0: unknown), one lookup per resource.
    let mut host_ids: HashMap<*const Resource, usize, IdBuild> = HashMap::default();
    let mut host_names: HashMap<String, usize> = HashMap::new();
    let host: Vec<usize> = spans
        .iter()
        .map(|s| {
            *host_ids.entry(Arc::as_ptr(&s.resource)).or_insert_with(|| {
                let k = host_key(&s.resource);
                if k.is_empty() {
                    return 0;
                }
                let next = host_names.len() + 1;
                *host_names.entry(k).or_insert(next)
            })
        })
        .collect();
    // Parent of each node (by index), children as one sorted edge list.
    let mut parent_of = vec![usize::MAX; n];
    let mut roots = Vec::new();
    for (i, s) in spans.iter().enumerate() {
        if by_id.get(&s.span_id.0) != Some(&i) {
            continue;
        }
        let p = s.parent_span_id.0;
        if p == 0 {
            roots.push(i);
        } else if let Some(&pi) = by_id.get(&p).filter(|&&pi| pi != i) {
            parent_of[i] = pi;
        } else {
            warnings.push((
                i,
                format!(
                    "invalid parent span IDs={}; skipping clock skew adjustment",
                    SpanId(p).to_hex()
                ),
            ));
            roots.push(i);
        }
    }
    let mut edges: Vec<(usize, usize)> = parent_of
        .iter()
        .enumerate()
        .filter(|&(_, &p)| p != usize::MAX)
        .map(|(c, &p)| (p, c))
        .collect();
    edges.sort_unstable();
    let mut first_edge = vec![0usize; n + 1];
    for &(p, _) in &edges {
        first_edge[p + 1] += 1;
    }
    for i in 0..n {
        first_edge[i + 1] += first_edge[i];
    }
    // (node, parent, host the inherited skew was computed for, delta)
    let mut visited = vec![false; n];
    let mut stack: Vec<(usize, usize, usize, i64)> = roots
        .iter()
        .rev()
        .map(|&r| (r, usize::MAX, host[r], 0))
        .collect();
    while let Some((node, parent, mut skew_host, mut delta)) = stack.pop() {
        if std::mem::replace(&mut visited[node], true) {
            continue;
        }
        if parent != usize::MAX && (host[node] != skew_host || host[node] == 0) {
            skew_host = host[node];
            delta = skew_delta(&spans[node], &spans[parent]);
        }
        if delta != 0 {
            warnings.push((
                node,
                format!(
                    "clock skew adjustment disabled; not applying calculated delta of {}",
                    go_duration(delta)
                ),
            ));
        }
        for &(_, c) in edges[first_edge[node]..first_edge[node + 1]].iter().rev() {
            stack.push((c, node, skew_host, delta));
        }
    }
    for (i, w) in warnings {
        add_warning(own(&mut spans[i]), w);
    }
}

/// A numeric IPv4 (`ip`, `peer.ipv4`) packed into an integer, as dotted text.
fn normalize_ip(attrs: &[KeyValue]) -> Option<Vec<KeyValue>> {
    let is_ip =
        |kv: &KeyValue| matches!(&*kv.key, "ip" | "peer.ipv4") && matches!(kv.value, Value::Int(_));
    if !attrs.iter().any(is_ip) {
        return None;
    }
    Some(
        attrs
            .iter()
            .map(|kv| match kv.value {
                Value::Int(i) if is_ip(kv) => {
                    let b = (i as u32).to_be_bytes();
                    KeyValue {
                        key: kv.key.clone(),
                        value: Value::Str(Arc::from(format!(
                            "{}.{}.{}.{}",
                            b[0], b[1], b[2], b[3]
                        ))),
                    }
                }
                _ => kv.clone(),
            })
            .collect(),
    )
}

fn normalize_ip_attributes(spans: &mut [Arc<Span>]) {
    let mut shared = Shared::default();
    for s in spans.iter_mut() {
        if let Some(attrs) = normalize_ip(&s.attributes) {
            Arc::make_mut(s).attributes = attrs;
        }
        if normalize_ip(&s.resource.attributes).is_some() {
            let r = shared.resource(&s.resource, |r| {
                if let Some(a) = normalize_ip(&r.attributes) {
                    r.attributes = a;
                }
            });
            Arc::make_mut(s).resource = r;
        }
    }
}

/// The SDK attributes that belong on the resource.
const LIBRARY_KEYS: [&str; 5] = [
    "telemetry.sdk.language",
    "telemetry.sdk.name",
    "telemetry.sdk.version",
    "telemetry.distro.name",
    "telemetry.distro.version",
];

/// Moves `telemetry.sdk.*` / `telemetry.distro.*` span attributes to the
/// span's resource; a resource that already holds another value keeps it
/// and the span gets a warning (the attribute stays on the span).
fn move_library_attributes(spans: &mut [Arc<Span>]) {
    if !spans.iter().any(|s| {
        s.attributes
            .iter()
            .any(|kv| LIBRARY_KEYS.contains(&&*kv.key))
    }) {
        return;
    }
    // The adjusted resource of each original resource, built up span by span.
    let mut resources: HashMap<*const Resource, Resource> = HashMap::new();
    let mut origin: Vec<*const Resource> = Vec::with_capacity(spans.len());
    for s in spans.iter_mut() {
        let ptr = Arc::as_ptr(&s.resource);
        origin.push(ptr);
        if !s
            .attributes
            .iter()
            .any(|kv| LIBRARY_KEYS.contains(&&*kv.key))
        {
            continue;
        }
        let res = resources
            .entry(ptr)
            .or_insert_with(|| (*s.resource).clone());
        let span = Arc::make_mut(s);
        let mut conflicts = Vec::new();
        span.attributes.retain(|kv| {
            if !LIBRARY_KEYS.contains(&&*kv.key) {
                return true;
            }
            match res.attributes.iter().find(|r| r.key == kv.key) {
                Some(r) if r.value != kv.value => {
                    conflicts.push(kv.key.to_string());
                    true
                }
                Some(_) => false,
                None => {
                    res.attributes.push(kv.clone());
                    false
                }
            }
        });
        for k in conflicts {
            add_warning(
                span,
                format!("conflicting values between Span and Resource for attribute {k}"),
            );
        }
    }
    let done: HashMap<*const Resource, Arc<Resource>> = resources
        .into_iter()
        .map(|(k, v)| (k, Arc::new(v)))
        .collect();
    for (s, ptr) in spans.iter_mut().zip(origin) {
        if let Some(r) = done.get(&ptr) {
            Arc::make_mut(s).resource = r.clone();
        }
    }
}

/// Drops links without a trace id.
fn remove_empty_links(spans: &mut [Arc<Span>]) {
    for s in spans.iter_mut() {
        if s.links.iter().any(|l| l.trace_id.0 == 0) {
            Arc::make_mut(s).links.retain(|l| l.trace_id.0 != 0);
        }
    }
}

#[cfg(test)]
#[path = "adjust_tests.rs"]
mod tests;
