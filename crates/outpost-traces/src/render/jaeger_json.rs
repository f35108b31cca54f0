//! Jaeger v1's UI trace JSON (`internal/uimodel`, `FromDomain`) from the
//! span model, with the OpenTelemetry → Jaeger mapping of fact sheet §4:
//! resources become processes (`p1`, `p2`, ... in span order, identical
//! processes sharing a key), scope, kind, status and trace state become
//! tags, events become logs, links become references, and the
//! `@jaeger@warnings` attribute becomes the span's `warnings`.
//!
//! [`write_jaeger_trace`] writes bytes directly (the fast path the API
//! serves); [`to_value`] builds the same document as a `serde_json::Value`.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value as J, json};

use super::json_out::{
    f64_value, write_base64, write_f64, write_hex64, write_i64, write_i64_str,
    write_jaeger_trace_id, write_key, write_str, write_u64,
};
use super::{IdBuild, WARNINGS_ATTRIBUTE};
use crate::model::{KeyValue, Resource, Span, StatusCode, Trace, Value};

/// JavaScript's largest exact integer; larger int64 tags print as strings.
const JS_MAX_SAFE: i64 = (1 << 53) - 1;

/// A Jaeger tag value, borrowed from the span where possible.
#[derive(Debug, PartialEq)]
pub(crate) enum TagVal<'a> {
    /// `string`
    Str(&'a str),
    /// `string`, computed (arrays and maps as JSON).
    Owned(String),
    /// `bool`
    Bool(bool),
    /// `int64`
    Int(i64),
    /// `float64`
    Float(f64),
    /// `binary`
    Binary(&'a [u8]),
}

/// One Jaeger tag.
#[derive(Debug, PartialEq)]
pub(crate) struct Tag<'a> {
    pub(crate) key: &'a str,
    pub(crate) val: TagVal<'a>,
}

impl TagVal<'_> {
    fn type_name(&self) -> &'static str {
        match self {
            TagVal::Str(_) | TagVal::Owned(_) => "string",
            TagVal::Bool(_) => "bool",
            TagVal::Int(_) => "int64",
            TagVal::Float(_) => "float64",
            TagVal::Binary(_) => "binary",
        }
    }
}

/// An attribute as a tag: string, int, bool, double and bytes keep their
/// type; arrays and maps become their JSON text; an empty value an empty string.
pub(crate) fn attr_tag(kv: &KeyValue) -> Tag<'_> {
    let val = match &kv.value {
        Value::Str(s) => TagVal::Str(s),
        Value::Bool(b) => TagVal::Bool(*b),
        Value::Int(i) => TagVal::Int(*i),
        Value::Double(d) => TagVal::Float(*d),
        Value::Bytes(b) => TagVal::Binary(b),
        Value::Array(_) | Value::Map(_) => {
            let mut out = Vec::new();
            write_go_json(&mut out, &kv.value);
            TagVal::Owned(String::from_utf8_lossy(&out).into_owned())
        }
        Value::Empty => TagVal::Str(""),
    };
    Tag { key: &kv.key, val }
}

/// An array or map attribute as pdata's `AsString` prints it (Go's
/// `json.Marshal` of the raw value: map keys sorted, HTML escaped, bytes as
/// base64, Go's float digits).
fn write_go_json(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Str(s) => write_str(out, s, true),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Int(i) => write_i64(out, *i),
        Value::Double(d) => write_f64(out, *d),
        Value::Bytes(b) => write_base64(out, b),
        Value::Array(a) => {
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_go_json(out, x);
            }
            out.push(b']');
        }
        Value::Map(m) => {
            // Go's map keeps the last of duplicate keys and prints keys sorted.
            let mut sorted: Vec<&KeyValue> = m.iter().rev().collect();
            sorted.sort_by(|a, b| a.key.cmp(&b.key));
            sorted.dedup_by(|a, b| a.key == b.key);
            out.push(b'{');
            for (i, kv) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_key(out, &kv.key, true);
                write_go_json(out, &kv.value);
            }
            out.push(b'}');
        }
        Value::Empty => out.extend_from_slice(b"null"),
    }
}

/// The span's tags in the translator's order (scope name and version,
/// attributes, `span.kind`, `otel.status_code`, `error`,
/// `otel.status_description`, `w3c.tracestate`); returns the warnings
/// attribute, which is not a tag.
pub(crate) fn span_tags<'a>(s: &'a Span, tags: &mut Vec<Tag<'a>>) -> Option<&'a Value> {
    let mut warnings = None;
    if !s.scope.name.is_empty() {
        tags.push(Tag {
            key: "otel.scope.name",
            val: TagVal::Str(&s.scope.name),
        });
    }
    if !s.scope.version.is_empty() {
        tags.push(Tag {
            key: "otel.scope.version",
            val: TagVal::Str(&s.scope.version),
        });
    }
    for kv in &s.attributes {
        if &*kv.key == WARNINGS_ATTRIBUTE {
            warnings = Some(&kv.value);
            continue;
        }
        tags.push(attr_tag(kv));
    }
    if let Some(k) = s.kind.jaeger_name() {
        tags.push(Tag {
            key: "span.kind",
            val: TagVal::Str(k),
        });
    }
    match s.status.code {
        StatusCode::Ok => tags.push(Tag {
            key: "otel.status_code",
            val: TagVal::Str("OK"),
        }),
        StatusCode::Error => {
            tags.push(Tag {
                key: "otel.status_code",
                val: TagVal::Str("ERROR"),
            });
            tags.push(Tag {
                key: "error",
                val: TagVal::Bool(true),
            });
        }
        StatusCode::Unset => {}
    }
    if !s.status.message.is_empty() {
        tags.push(Tag {
            key: "otel.status_description",
            val: TagVal::Str(&s.status.message),
        });
    }
    if !s.trace_state.is_empty() {
        tags.push(Tag {
            key: "w3c.tracestate",
            val: TagVal::Str(&s.trace_state),
        });
    }
    warnings
}

/// The warnings attribute's strings (an array of strings, or one string).
pub(crate) fn warning_list(v: &Value) -> Vec<&str> {
    match v {
        Value::Str(s) => vec![&**s],
        Value::Array(a) => a
            .iter()
            .filter_map(|x| match x {
                Value::Str(s) => Some(&**s),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Calls `f(child_of, trace id, span id)` for each of the span's
/// references: the parent as CHILD_OF first, then the links (FOLLOWS_FROM
/// unless `opentracing.ref_type` is `child_of`); a link to the parent only
/// sets the first reference's type.
pub(crate) fn for_each_ref(s: &Span, mut f: impl FnMut(bool, u128, u64)) {
    // The first `opentracing.ref_type` attribute decides.
    let child_of = |l: &crate::model::Link| {
        l.attributes
            .iter()
            .find(|kv| &*kv.key == "opentracing.ref_type")
            .is_some_and(|kv| matches!(&kv.value, Value::Str(v) if &**v == "child_of"))
    };
    let has_parent = s.parent_span_id.0 != 0;
    let is_parent = |l: &crate::model::Link| {
        has_parent && l.trace_id == s.trace_id && l.span_id == s.parent_span_id
    };
    if has_parent {
        let parent_type = s
            .links
            .iter()
            .rev()
            .find(|l| is_parent(l))
            .is_none_or(child_of);
        f(parent_type, s.trace_id.0, s.parent_span_id.0);
    }
    for l in s.links.iter().filter(|l| !is_parent(l)) {
        f(child_of(l), l.trace_id.0, l.span_id.0);
    }
}

/// A log's fields: `event` = the event name unless an `event` attribute
/// exists, then the attributes.
pub(crate) fn log_fields<'a>(e: &'a crate::model::Event, fields: &mut Vec<Tag<'a>>) {
    if !e.name.is_empty() && !e.attributes.iter().any(|kv| &*kv.key == "event") {
        fields.push(Tag {
            key: "event",
            val: TagVal::Str(&e.name),
        });
    }
    fields.extend(e.attributes.iter().map(attr_tag));
}

/// Two resources are the same process when the service name and the other
/// attributes (in order) are equal.
fn same_process(a: &Resource, b: &Resource) -> bool {
    a.service == b.service
        && a.attributes
            .iter()
            .filter(|kv| &*kv.key != "service.name")
            .eq(b.attributes.iter().filter(|kv| &*kv.key != "service.name"))
}

/// Process keys in span order, identical processes sharing one.
pub(crate) struct Processes<'a> {
    /// Distinct processes; process `i` is `p{i+1}`.
    pub(crate) list: Vec<&'a Resource>,
    by_ptr: HashMap<*const Resource, usize, IdBuild>,
}

impl<'a> Processes<'a> {
    pub(crate) fn new() -> Self {
        Self {
            list: Vec::new(),
            by_ptr: HashMap::default(),
        }
    }

    /// The 0-based index of the span's process.
    pub(crate) fn index(&mut self, r: &'a Arc<Resource>) -> usize {
        let ptr = Arc::as_ptr(r);
        if let Some(&i) = self.by_ptr.get(&ptr) {
            return i;
        }
        let i = match self.list.iter().position(|p| same_process(p, r)) {
            Some(i) => i,
            None => {
                self.list.push(r);
                self.list.len() - 1
            }
        };
        self.by_ptr.insert(ptr, i);
        i
    }

    /// Indices in the order Go prints a map's keys (`p1`, `p10`, `p2`).
    pub(crate) fn key_order(&self) -> Vec<(String, usize)> {
        let mut keys: Vec<(String, usize)> = (0..self.list.len())
            .map(|i| (format!("p{}", i + 1), i))
            .collect();
        keys.sort();
        keys
    }
}

/// The process tags: the resource attributes but `service.name`.
pub(crate) fn process_tags(r: &Resource) -> impl Iterator<Item = Tag<'_>> {
    r.attributes
        .iter()
        .filter(|kv| &*kv.key != "service.name")
        .map(attr_tag)
}

fn write_tag(out: &mut Vec<u8>, t: &Tag<'_>) {
    out.extend_from_slice(b"{\"key\":");
    write_str(out, t.key, true);
    out.extend_from_slice(b",\"type\":\"");
    out.extend_from_slice(t.val.type_name().as_bytes());
    out.extend_from_slice(b"\",\"value\":");
    match &t.val {
        TagVal::Str(s) => write_str(out, s, true),
        TagVal::Owned(s) => write_str(out, s, true),
        TagVal::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        TagVal::Int(i) if !(-JS_MAX_SAFE..=JS_MAX_SAFE).contains(i) => write_i64_str(out, *i),
        TagVal::Int(i) => write_i64(out, *i),
        TagVal::Float(f) => write_f64(out, *f),
        TagVal::Binary(b) => write_base64(out, b),
    }
    out.push(b'}');
}

fn write_tags<'a>(out: &mut Vec<u8>, tags: impl Iterator<Item = Tag<'a>>) {
    out.push(b'[');
    for (i, t) in tags.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_tag(out, &t);
    }
    out.push(b']');
}

/// Writes one trace as Jaeger v1's UI JSON object (`{"traceID", "spans",
/// "processes", "warnings"}`), byte for byte as Jaeger's query service
/// prints it. The trace is rendered as given: run [`super::adjust`] first
/// unless the caller asked for the raw trace.
pub fn write_jaeger_trace(t: &Trace, out: &mut Vec<u8>) {
    out.reserve(t.spans.len() * 1024);
    let mut procs = Processes::new();
    let trace_id = t.spans.first().map_or(t.trace_id.0, |s| s.trace_id.0);
    out.extend_from_slice(b"{\"traceID\":");
    write_jaeger_trace_id(out, trace_id);
    out.extend_from_slice(b",\"spans\":[");
    let mut tags = Vec::new();
    for (i, s) in t.spans.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let p = procs.index(&s.resource);
        write_span(out, s, p, &mut tags);
    }
    out.extend_from_slice(b"],\"processes\":{");
    for (i, (key, idx)) in procs.key_order().into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_key(out, &key, true);
        let r = procs.list[idx];
        out.extend_from_slice(b"{\"serviceName\":");
        write_str(out, &r.service, true);
        out.extend_from_slice(b",\"tags\":");
        write_tags(out, process_tags(r));
        out.push(b'}');
    }
    out.extend_from_slice(b"},\"warnings\":null}");
}

fn write_span<'a>(out: &mut Vec<u8>, s: &'a Span, process: usize, tags: &mut Vec<Tag<'a>>) {
    out.extend_from_slice(b"{\"traceID\":");
    write_jaeger_trace_id(out, s.trace_id.0);
    out.extend_from_slice(b",\"spanID\":");
    write_hex64(out, s.span_id.0);
    // `flags` (omitted when 0) stays out: the OTLP → Jaeger translator
    // Jaeger v2 renders through never sets it.
    out.extend_from_slice(b",\"operationName\":");
    write_str(out, &s.name, true);
    out.extend_from_slice(b",\"references\":[");
    let mut first = true;
    for_each_ref(s, |child_of, tid, sid| {
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
        out.extend_from_slice(if child_of {
            b"{\"refType\":\"CHILD_OF\",\"traceID\":"
        } else {
            b"{\"refType\":\"FOLLOWS_FROM\",\"traceID\":"
        });
        write_jaeger_trace_id(out, tid);
        out.extend_from_slice(b",\"spanID\":");
        write_hex64(out, sid);
        out.push(b'}');
    });
    out.extend_from_slice(b"],\"startTime\":");
    write_u64(out, s.start_ns / 1_000);
    out.extend_from_slice(b",\"duration\":");
    write_u64(out, s.duration_ns() / 1_000);
    out.extend_from_slice(b",\"tags\":");
    tags.clear();
    let warnings = span_tags(s, tags);
    write_tags(out, tags.drain(..));
    out.extend_from_slice(b",\"logs\":[");
    for (i, e) in s.events.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"timestamp\":");
        write_u64(out, e.time_ns / 1_000);
        out.extend_from_slice(b",\"fields\":");
        log_fields(e, tags);
        write_tags(out, tags.drain(..));
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"processID\":\"p");
    write_u64(out, process as u64 + 1);
    out.extend_from_slice(b"\",\"warnings\":");
    match warnings.map(warning_list) {
        Some(w) if !w.is_empty() => {
            out.push(b'[');
            for (i, w) in w.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, w, true);
            }
            out.push(b']');
        }
        _ => out.extend_from_slice(b"null"),
    }
    out.push(b'}');
}

fn tag_value(t: Tag<'_>) -> J {
    let ty = t.val.type_name();
    let value = match t.val {
        TagVal::Str(s) => J::from(s),
        TagVal::Owned(s) => J::from(s),
        TagVal::Bool(b) => J::from(b),
        TagVal::Int(i) if !(-JS_MAX_SAFE..=JS_MAX_SAFE).contains(&i) => J::from(i.to_string()),
        TagVal::Int(i) => J::from(i),
        TagVal::Float(f) => f64_value(f),
        TagVal::Binary(b) => J::from(crate::model::base64(b)),
    };
    json!({"key": t.key, "type": ty, "value": value})
}

/// The same document as [`write_jaeger_trace`], as a `serde_json::Value`.
pub(crate) fn to_value(t: &Trace) -> J {
    let mut procs = Processes::new();
    let trace_id = t.spans.first().map_or(t.trace_id, |s| s.trace_id);
    let spans: Vec<J> = t
        .spans
        .iter()
        .map(|s| {
            let p = procs.index(&s.resource);
            let mut tags = Vec::new();
            let warnings = span_tags(s, &mut tags);
            let mut o = Map::new();
            o.insert("traceID".into(), s.trace_id.to_jaeger_hex().into());
            o.insert("spanID".into(), s.span_id.to_hex().into());
            o.insert("operationName".into(), J::from(&*s.name));
            let mut refs: Vec<J> = Vec::new();
            for_each_ref(s, |child_of, tid, sid| {
                refs.push(json!({
                    "refType": if child_of { "CHILD_OF" } else { "FOLLOWS_FROM" },
                    "traceID": crate::model::TraceId(tid).to_jaeger_hex(),
                    "spanID": crate::model::SpanId(sid).to_hex(),
                }));
            });
            o.insert("references".into(), refs.into());
            o.insert("startTime".into(), (s.start_ns / 1_000).into());
            o.insert("duration".into(), (s.duration_ns() / 1_000).into());
            o.insert(
                "tags".into(),
                tags.into_iter().map(tag_value).collect::<Vec<_>>().into(),
            );
            let logs: Vec<J> = s
                .events
                .iter()
                .map(|e| {
                    let mut f = Vec::new();
                    log_fields(e, &mut f);
                    json!({
                        "timestamp": e.time_ns / 1_000,
                        "fields": f.into_iter().map(tag_value).collect::<Vec<_>>(),
                    })
                })
                .collect();
            o.insert("logs".into(), logs.into());
            o.insert("processID".into(), format!("p{}", p + 1).into());
            let w = warnings.map(warning_list).unwrap_or_default();
            o.insert(
                "warnings".into(),
                if w.is_empty() { J::Null } else { J::from(w) },
            );
            J::Object(o)
        })
        .collect();
    let mut processes = Map::new();
    for (key, idx) in procs.key_order() {
        let r = procs.list[idx];
        processes.insert(
            key,
            json!({
                "serviceName": &*r.service,
                "tags": process_tags(r).map(tag_value).collect::<Vec<_>>(),
            }),
        );
    }
    json!({
        "traceID": trace_id.to_jaeger_hex(),
        "spans": spans,
        "processes": processes,
        "warnings": null,
    })
}
