//! OTLP JSON `TracesData` (API v3, `{"result": TracesData}`) as the
//! Collector's `ptrace.JSONMarshaler` writes it: hex ids, enums as
//! integers, 64-bit integers and `*UnixNano` as strings, default and empty
//! values left out (but `resource`, `scope` and `status` always present),
//! fields in proto order. Each trace's spans are grouped back into
//! `resourceSpans` / `scopeSpans` by shared resource and scope (first
//! appearance order); the traces' groups are concatenated, as Jaeger
//! concatenates the traces of a search.
//!
//! [`write_otlp_traces`] writes bytes directly; [`to_value`] builds the same
//! document as a `serde_json::Value`.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value as J, json};

use super::IdBuild;
use super::json_out::{
    f64_value, write_base64, write_f64, write_hex64, write_hex128, write_i64_str, write_str,
    write_u64, write_u64_str,
};
use crate::model::{Event, KeyValue, Link, Resource, Scope, Span, SpanId, Trace, TraceId, Value};

/// One resource's spans, by scope.
type ResourceGroup<'a> = (&'a Resource, Vec<(&'a Scope, Vec<&'a Span>)>);

/// Groups a trace's spans by resource, then scope, in first-appearance
/// order. Shared `Arc`s are found by pointer, others by value.
fn group(t: &Trace) -> Vec<ResourceGroup<'_>> {
    let mut groups: Vec<ResourceGroup<'_>> = Vec::new();
    let mut res_by_ptr: HashMap<*const Resource, usize, IdBuild> = HashMap::default();
    let mut scope_by_ptr: HashMap<(usize, *const Scope), usize, IdBuild> = HashMap::default();
    for s in &t.spans {
        let rp = Arc::as_ptr(&s.resource);
        let ri = match res_by_ptr.get(&rp) {
            Some(&i) => i,
            None => {
                let i = match groups.iter().position(|(r, _)| **r == *s.resource) {
                    Some(i) => i,
                    None => {
                        groups.push((&s.resource, Vec::new()));
                        groups.len() - 1
                    }
                };
                res_by_ptr.insert(rp, i);
                i
            }
        };
        let sp = Arc::as_ptr(&s.scope);
        let scopes = &mut groups[ri].1;
        let si = match scope_by_ptr.get(&(ri, sp)) {
            Some(&i) => i,
            None => {
                let i = match scopes.iter().position(|(sc, _)| **sc == *s.scope) {
                    Some(i) => i,
                    None => {
                        scopes.push((&s.scope, Vec::new()));
                        scopes.len() - 1
                    }
                };
                scope_by_ptr.insert((ri, sp), i);
                i
            }
        };
        scopes[si].1.push(s);
    }
    groups
}

/// Writes `,` before every member but the first.
struct Obj {
    first: bool,
}

impl Obj {
    fn open(out: &mut Vec<u8>) -> Self {
        out.push(b'{');
        Self { first: true }
    }

    /// A member name: one of the proto's field names, which need no escaping.
    fn key(&mut self, out: &mut Vec<u8>, key: &'static str) {
        debug_assert!(key.bytes().all(|b| b.is_ascii_alphanumeric()));
        if !self.first {
            out.push(b',');
        }
        self.first = false;
        out.push(b'"');
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\":");
    }

    fn close(self, out: &mut Vec<u8>) {
        out.push(b'}');
    }
}

fn write_any(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Str(s) => {
            out.extend_from_slice(b"{\"stringValue\":");
            write_str(out, s, false);
        }
        Value::Bool(b) => {
            out.extend_from_slice(if *b {
                b"{\"boolValue\":true"
            } else {
                b"{\"boolValue\":false"
            });
        }
        Value::Int(i) => {
            out.extend_from_slice(b"{\"intValue\":");
            write_i64_str(out, *i);
        }
        Value::Double(d) => {
            out.extend_from_slice(b"{\"doubleValue\":");
            write_f64(out, *d);
        }
        Value::Bytes(b) => {
            out.extend_from_slice(b"{\"bytesValue\":");
            write_base64(out, b);
        }
        Value::Array(a) => {
            out.extend_from_slice(b"{\"arrayValue\":{");
            if !a.is_empty() {
                out.extend_from_slice(b"\"values\":[");
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_any(out, x);
                }
                out.push(b']');
            }
            out.push(b'}');
        }
        Value::Map(m) => {
            out.extend_from_slice(b"{\"kvlistValue\":{");
            if !m.is_empty() {
                out.extend_from_slice(b"\"values\":");
                write_attrs(out, m);
            }
            out.push(b'}');
        }
        Value::Empty => out.push(b'{'),
    }
    out.push(b'}');
}

fn write_attrs(out: &mut Vec<u8>, attrs: &[KeyValue]) {
    out.push(b'[');
    for (i, kv) in attrs.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"key\":");
        write_str(out, &kv.key, false);
        out.extend_from_slice(b",\"value\":");
        write_any(out, &kv.value);
        out.push(b'}');
    }
    out.push(b']');
}

fn attrs_and_dropped(o: &mut Obj, out: &mut Vec<u8>, attrs: &[KeyValue], dropped: u32) {
    if !attrs.is_empty() {
        o.key(out, "attributes");
        write_attrs(out, attrs);
    }
    if dropped != 0 {
        o.key(out, "droppedAttributesCount");
        write_u64(out, u64::from(dropped));
    }
}

fn non_empty_str(o: &mut Obj, out: &mut Vec<u8>, key: &'static str, v: &str) {
    if !v.is_empty() {
        o.key(out, key);
        write_str(out, v, false);
    }
}

fn write_event(out: &mut Vec<u8>, e: &Event) {
    let mut o = Obj::open(out);
    if e.time_ns != 0 {
        o.key(out, "timeUnixNano");
        write_u64_str(out, e.time_ns);
    }
    non_empty_str(&mut o, out, "name", &e.name);
    attrs_and_dropped(&mut o, out, &e.attributes, e.dropped_attributes_count);
    o.close(out);
}

/// `traceId` and `spanId` as hex, each left out when zero (a default value).
fn ids(o: &mut Obj, out: &mut Vec<u8>, trace: TraceId, span: SpanId) {
    if trace.0 != 0 {
        o.key(out, "traceId");
        write_hex128(out, trace.0);
    }
    if span.0 != 0 {
        o.key(out, "spanId");
        write_hex64(out, span.0);
    }
}

fn write_link(out: &mut Vec<u8>, l: &Link) {
    let mut o = Obj::open(out);
    ids(&mut o, out, l.trace_id, l.span_id);
    non_empty_str(&mut o, out, "traceState", &l.trace_state);
    attrs_and_dropped(&mut o, out, &l.attributes, l.dropped_attributes_count);
    if l.flags != 0 {
        o.key(out, "flags");
        write_u64(out, u64::from(l.flags));
    }
    o.close(out);
}

fn write_span(out: &mut Vec<u8>, s: &Span) {
    let mut o = Obj::open(out);
    ids(&mut o, out, s.trace_id, s.span_id);
    non_empty_str(&mut o, out, "traceState", &s.trace_state);
    if s.parent_span_id.0 != 0 {
        o.key(out, "parentSpanId");
        write_hex64(out, s.parent_span_id.0);
    }
    if s.flags != 0 {
        o.key(out, "flags");
        write_u64(out, u64::from(s.flags));
    }
    non_empty_str(&mut o, out, "name", &s.name);
    let kind = s.kind.to_otlp();
    if kind != 0 {
        o.key(out, "kind");
        write_u64(out, kind.unsigned_abs().into());
    }
    if s.start_ns != 0 {
        o.key(out, "startTimeUnixNano");
        write_u64_str(out, s.start_ns);
    }
    if s.end_ns != 0 {
        o.key(out, "endTimeUnixNano");
        write_u64_str(out, s.end_ns);
    }
    attrs_and_dropped(&mut o, out, &s.attributes, s.dropped[0]);
    if !s.events.is_empty() {
        o.key(out, "events");
        out.push(b'[');
        for (i, e) in s.events.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_event(out, e);
        }
        out.push(b']');
    }
    if s.dropped[1] != 0 {
        o.key(out, "droppedEventsCount");
        write_u64(out, u64::from(s.dropped[1]));
    }
    if !s.links.is_empty() {
        o.key(out, "links");
        out.push(b'[');
        for (i, l) in s.links.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_link(out, l);
        }
        out.push(b']');
    }
    if s.dropped[2] != 0 {
        o.key(out, "droppedLinksCount");
        write_u64(out, u64::from(s.dropped[2]));
    }
    o.key(out, "status");
    let mut st = Obj::open(out);
    non_empty_str(&mut st, out, "message", &s.status.message);
    let code = s.status.code.to_otlp();
    if code != 0 {
        st.key(out, "code");
        write_u64(out, code.unsigned_abs().into());
    }
    st.close(out);
    o.close(out);
}

/// Writes traces as one OTLP JSON `TracesData` object
/// (`{"resourceSpans":[...]}`; `{}` when there are no spans). The traces
/// are rendered as given: run [`super::adjust`] first unless raw traces were
/// asked for.
pub fn write_otlp_traces(ts: &[Trace], out: &mut Vec<u8>) {
    out.reserve(ts.iter().map(|t| t.spans.len()).sum::<usize>() * 1024);
    let mut top = Obj::open(out);
    let mut first = true;
    for t in ts {
        for (r, scopes) in group(t) {
            if first {
                top.key(out, "resourceSpans");
                out.push(b'[');
                first = false;
            } else {
                out.push(b',');
            }
            let mut rs = Obj::open(out);
            rs.key(out, "resource");
            let mut ro = Obj::open(out);
            attrs_and_dropped(&mut ro, out, &r.attributes, r.dropped_attributes_count);
            ro.close(out);
            rs.key(out, "scopeSpans");
            out.push(b'[');
            for (i, (sc, spans)) in scopes.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let mut ss = Obj::open(out);
                ss.key(out, "scope");
                let mut so = Obj::open(out);
                non_empty_str(&mut so, out, "name", &sc.name);
                non_empty_str(&mut so, out, "version", &sc.version);
                attrs_and_dropped(&mut so, out, &sc.attributes, sc.dropped_attributes_count);
                so.close(out);
                ss.key(out, "spans");
                out.push(b'[');
                for (j, s) in spans.iter().enumerate() {
                    if j > 0 {
                        out.push(b',');
                    }
                    write_span(out, s);
                }
                out.push(b']');
                non_empty_str(&mut ss, out, "schemaUrl", &sc.schema_url);
                ss.close(out);
            }
            out.push(b']');
            non_empty_str(&mut rs, out, "schemaUrl", &r.schema_url);
            rs.close(out);
        }
    }
    if !first {
        out.push(b']');
    }
    top.close(out);
}

fn any_value(v: &Value) -> J {
    match v {
        Value::Str(s) => json!({"stringValue": &**s}),
        Value::Bool(b) => json!({"boolValue": b}),
        Value::Int(i) => json!({"intValue": i.to_string()}),
        Value::Double(d) => json!({"doubleValue": f64_value(*d)}),
        Value::Bytes(b) => json!({"bytesValue": crate::model::base64(b)}),
        Value::Array(a) if a.is_empty() => json!({"arrayValue": {}}),
        Value::Array(a) => {
            json!({"arrayValue": {"values": a.iter().map(any_value).collect::<Vec<_>>()}})
        }
        Value::Map(m) if m.is_empty() => json!({"kvlistValue": {}}),
        Value::Map(m) => json!({"kvlistValue": {"values": attrs_value(m)}}),
        Value::Empty => json!({}),
    }
}

fn attrs_value(attrs: &[KeyValue]) -> J {
    attrs
        .iter()
        .map(|kv| json!({"key": &*kv.key, "value": any_value(&kv.value)}))
        .collect::<Vec<_>>()
        .into()
}

fn put_attrs(o: &mut Map<String, J>, attrs: &[KeyValue], dropped: u32) {
    if !attrs.is_empty() {
        o.insert("attributes".into(), attrs_value(attrs));
    }
    if dropped != 0 {
        o.insert("droppedAttributesCount".into(), dropped.into());
    }
}

fn put_str(o: &mut Map<String, J>, key: &str, v: &str) {
    if !v.is_empty() {
        o.insert(key.into(), v.into());
    }
}

fn span_value(s: &Span) -> J {
    let mut o = Map::new();
    if s.trace_id.0 != 0 {
        o.insert("traceId".into(), s.trace_id.to_hex32().into());
    }
    if s.span_id.0 != 0 {
        o.insert("spanId".into(), s.span_id.to_hex().into());
    }
    put_str(&mut o, "traceState", &s.trace_state);
    if s.parent_span_id.0 != 0 {
        o.insert("parentSpanId".into(), s.parent_span_id.to_hex().into());
    }
    if s.flags != 0 {
        o.insert("flags".into(), s.flags.into());
    }
    put_str(&mut o, "name", &s.name);
    if s.kind.to_otlp() != 0 {
        o.insert("kind".into(), s.kind.to_otlp().into());
    }
    if s.start_ns != 0 {
        o.insert("startTimeUnixNano".into(), s.start_ns.to_string().into());
    }
    if s.end_ns != 0 {
        o.insert("endTimeUnixNano".into(), s.end_ns.to_string().into());
    }
    put_attrs(&mut o, &s.attributes, s.dropped[0]);
    if !s.events.is_empty() {
        let evs: Vec<J> = s
            .events
            .iter()
            .map(|e| {
                let mut eo = Map::new();
                if e.time_ns != 0 {
                    eo.insert("timeUnixNano".into(), e.time_ns.to_string().into());
                }
                put_str(&mut eo, "name", &e.name);
                put_attrs(&mut eo, &e.attributes, e.dropped_attributes_count);
                J::Object(eo)
            })
            .collect();
        o.insert("events".into(), evs.into());
    }
    if s.dropped[1] != 0 {
        o.insert("droppedEventsCount".into(), s.dropped[1].into());
    }
    if !s.links.is_empty() {
        let ls: Vec<J> = s
            .links
            .iter()
            .map(|l| {
                let mut lo = Map::new();
                if l.trace_id.0 != 0 {
                    lo.insert("traceId".into(), l.trace_id.to_hex32().into());
                }
                if l.span_id.0 != 0 {
                    lo.insert("spanId".into(), l.span_id.to_hex().into());
                }
                put_str(&mut lo, "traceState", &l.trace_state);
                put_attrs(&mut lo, &l.attributes, l.dropped_attributes_count);
                if l.flags != 0 {
                    lo.insert("flags".into(), l.flags.into());
                }
                J::Object(lo)
            })
            .collect();
        o.insert("links".into(), ls.into());
    }
    if s.dropped[2] != 0 {
        o.insert("droppedLinksCount".into(), s.dropped[2].into());
    }
    let mut st = Map::new();
    put_str(&mut st, "message", &s.status.message);
    if s.status.code.to_otlp() != 0 {
        st.insert("code".into(), s.status.code.to_otlp().into());
    }
    o.insert("status".into(), J::Object(st));
    J::Object(o)
}

/// The same document as [`write_otlp_traces`], as a `serde_json::Value`.
pub(crate) fn to_value(ts: &[Trace]) -> J {
    let mut rss = Vec::new();
    for t in ts {
        for (r, scopes) in group(t) {
            let mut ro = Map::new();
            put_attrs(&mut ro, &r.attributes, r.dropped_attributes_count);
            let sss: Vec<J> = scopes
                .iter()
                .map(|(sc, spans)| {
                    let mut so = Map::new();
                    put_str(&mut so, "name", &sc.name);
                    put_str(&mut so, "version", &sc.version);
                    put_attrs(&mut so, &sc.attributes, sc.dropped_attributes_count);
                    let mut ss = Map::new();
                    ss.insert("scope".into(), J::Object(so));
                    ss.insert(
                        "spans".into(),
                        spans
                            .iter()
                            .map(|s| span_value(s))
                            .collect::<Vec<_>>()
                            .into(),
                    );
                    put_str(&mut ss, "schemaUrl", &sc.schema_url);
                    J::Object(ss)
                })
                .collect();
            let mut rs = Map::new();
            rs.insert("resource".into(), J::Object(ro));
            rs.insert("scopeSpans".into(), sss.into());
            put_str(&mut rs, "schemaUrl", &r.schema_url);
            rss.push(J::Object(rs));
        }
    }
    let mut top = Map::new();
    if !rss.is_empty() {
        top.insert("resourceSpans".into(), rss.into());
    }
    J::Object(top)
}
