//! The Jaeger model → span mapping shared by the Thrift and protobuf
//! collectors (fact sheet §4, reverse direction): both decoders produce
//! [`JSpan`]s and a [`JProcess`], and [`Builder`] maps them.
//!
//! - process → resource: `service.name` first, then the process tags
//!   (`hostname` → `host.name`, `jaeger.version` → `opencensus.exporterversion`);
//! - tag `span.kind` → kind; bool `error=true` → ERROR; else
//!   `otel.status_code` (`OK`/`ERROR`); else `http.status_code` ≥ 500 (or
//!   4xx on a client span) → ERROR; `otel.status_description` → message;
//!   `w3c.tracestate` → trace state; `otel.scope.*`/`otel.library.*` →
//!   scope. These tags are removed from the attributes;
//! - binary tags → base64 string attributes;
//! - the parent is the first CHILD_OF reference in the same trace (or
//!   Thrift's `parentSpanId`); every other reference becomes a link with
//!   `opentracing.ref_type` = `child_of` / `follows_from`;
//! - a log's `event` field → the event name;
//! - µs → ns and start + duration saturate instead of overflowing.

use std::collections::HashMap;
use std::sync::Arc;

use crate::model::{
    Event, KeyValue, Link, Resource, Scope, Span, SpanId, SpanKind, Status, StatusCode, TraceId,
    Value, base64,
};
use crate::translate::Interner;

/// A decoded Jaeger tag value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum JValue {
    Str(String),
    Bool(bool),
    Long(i64),
    Double(f64),
    Binary(Vec<u8>),
}

/// A decoded Jaeger tag.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct JTag {
    pub(crate) key: String,
    pub(crate) value: JValue,
}

/// A decoded reference.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct JRef {
    pub(crate) trace_id: TraceId,
    pub(crate) span_id: SpanId,
    pub(crate) follows_from: bool,
}

/// A decoded log.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct JLog {
    pub(crate) time_ns: u64,
    pub(crate) fields: Vec<JTag>,
}

/// A decoded Jaeger span (times already in nanoseconds).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct JSpan {
    pub(crate) trace_id: TraceId,
    pub(crate) span_id: SpanId,
    /// Thrift's `parentSpanId` (zero: none, or protobuf).
    pub(crate) parent_span_id: SpanId,
    pub(crate) operation_name: String,
    pub(crate) references: Vec<JRef>,
    pub(crate) flags: u32,
    pub(crate) start_ns: u64,
    pub(crate) duration_ns: u64,
    pub(crate) tags: Vec<JTag>,
    pub(crate) logs: Vec<JLog>,
}

/// A decoded process.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct JProcess {
    pub(crate) service_name: String,
    pub(crate) tags: Vec<JTag>,
}

/// Maps one request's spans, sharing resources, scopes and strings.
#[derive(Default)]
pub(crate) struct Builder {
    strings: Interner,
    scopes: HashMap<(String, String), Arc<Scope>>,
    resources: Vec<(JProcess, Arc<Resource>)>,
}

impl Builder {
    fn value(&mut self, v: JValue) -> Value {
        match v {
            JValue::Str(s) => Value::Str(self.strings.value(&s)),
            JValue::Bool(b) => Value::Bool(b),
            JValue::Long(i) => Value::Int(i),
            JValue::Double(d) => Value::Double(d),
            JValue::Binary(b) => Value::Str(Arc::from(base64(&b))),
        }
    }

    fn kv(&mut self, t: JTag) -> KeyValue {
        KeyValue {
            key: self.strings.get(&t.key),
            value: self.value(t.value),
        }
    }

    /// The shared resource of a process (equal processes share one).
    pub(crate) fn resource(&mut self, p: &JProcess) -> Arc<Resource> {
        if let Some((_, r)) = self.resources.iter().find(|(q, _)| q == p) {
            return r.clone();
        }
        let mut attributes = Vec::with_capacity(p.tags.len() + 1);
        attributes.push(KeyValue {
            key: self.strings.get("service.name"),
            value: Value::Str(Arc::from(p.service_name.as_str())),
        });
        for t in &p.tags {
            let key = match t.key.as_str() {
                "hostname" => "host.name",
                "jaeger.version" => "opencensus.exporterversion",
                k => k,
            };
            let value = self.value(t.value.clone());
            attributes.push(KeyValue {
                key: self.strings.get(key),
                value,
            });
        }
        let r = Arc::new(Resource {
            service: Arc::from(p.service_name.as_str()),
            attributes,
            ..Default::default()
        });
        self.resources.push((p.clone(), r.clone()));
        r
    }

    fn scope(&mut self, name: String, version: String) -> Arc<Scope> {
        self.scopes
            .entry((name, version))
            .or_insert_with_key(|(name, version)| {
                Arc::new(Scope {
                    name: name.as_str().into(),
                    version: version.as_str().into(),
                    ..Default::default()
                })
            })
            .clone()
    }

    /// Maps one span exported by `resource`.
    pub(crate) fn span(&mut self, js: JSpan, resource: Arc<Resource>) -> Span {
        let mut kind = SpanKind::Unspecified;
        let mut error_tag = false;
        let mut otel_code = None;
        let mut message = String::new();
        let mut trace_state = String::new();
        let mut http_status = None;
        let (mut scope_name, mut scope_version) = (String::new(), String::new());
        let mut attributes = Vec::with_capacity(js.tags.len());
        for t in js.tags {
            match (t.key.as_str(), &t.value) {
                ("span.kind", JValue::Str(s)) => {
                    if let Some(k) = SpanKind::from_jaeger_name(s) {
                        kind = k;
                        continue;
                    }
                }
                ("error", JValue::Bool(true)) => {
                    error_tag = true;
                    continue;
                }
                ("error", JValue::Str(s)) if s == "true" => {
                    error_tag = true;
                    continue;
                }
                ("otel.status_code", JValue::Str(s)) => {
                    match s.as_str() {
                        "OK" => otel_code = Some(StatusCode::Ok),
                        "ERROR" => otel_code = Some(StatusCode::Error),
                        _ => {}
                    }
                    continue;
                }
                ("otel.status_description", JValue::Str(s)) => {
                    message = s.clone();
                    continue;
                }
                ("w3c.tracestate", JValue::Str(s)) => {
                    trace_state = s.clone();
                    continue;
                }
                ("otel.scope.name" | "otel.library.name", JValue::Str(s)) => {
                    scope_name = s.clone();
                    continue;
                }
                ("otel.scope.version" | "otel.library.version", JValue::Str(s)) => {
                    scope_version = s.clone();
                    continue;
                }
                ("http.status_code", JValue::Long(n)) => http_status = Some(*n),
                ("http.status_code", JValue::Str(s)) => http_status = s.parse().ok(),
                _ => {}
            }
            attributes.push(self.kv(t));
        }
        let code = if error_tag {
            StatusCode::Error
        } else if let Some(c) = otel_code {
            c
        } else {
            match http_status {
                Some(n) if n >= 500 => StatusCode::Error,
                Some(n) if (400..500).contains(&n) && kind == SpanKind::Client => StatusCode::Error,
                _ => StatusCode::Unset,
            }
        };

        let mut parent = js.parent_span_id;
        if parent.0 == 0
            && let Some(r) = js
                .references
                .iter()
                .find(|r| !r.follows_from && r.trace_id == js.trace_id)
        {
            parent = r.span_id;
        }
        let mut links = Vec::new();
        let mut parent_seen = false;
        for r in js.references {
            if !parent_seen && parent.0 != 0 && r.trace_id == js.trace_id && r.span_id == parent {
                parent_seen = true;
                continue;
            }
            let ref_type = if r.follows_from {
                "follows_from"
            } else {
                "child_of"
            };
            links.push(Link {
                trace_id: r.trace_id,
                span_id: r.span_id,
                attributes: vec![KeyValue {
                    key: self.strings.get("opentracing.ref_type"),
                    value: Value::Str(Arc::from(ref_type)),
                }],
                ..Default::default()
            });
        }

        let events = js
            .logs
            .into_iter()
            .map(|l| {
                let mut name = String::new();
                let mut attributes = Vec::with_capacity(l.fields.len());
                for f in l.fields {
                    match (f.key.as_str(), &f.value) {
                        ("event", JValue::Str(s)) if name.is_empty() => name = s.clone(),
                        _ => attributes.push(self.kv(f)),
                    }
                }
                Event {
                    time_ns: l.time_ns,
                    name: name.into(),
                    attributes,
                    dropped_attributes_count: 0,
                }
            })
            .collect();

        Span {
            trace_id: js.trace_id,
            span_id: js.span_id,
            parent_span_id: parent,
            trace_state: trace_state.into(),
            flags: js.flags & 0xff,
            name: self.strings.get(&js.operation_name),
            kind,
            start_ns: js.start_ns,
            end_ns: js.start_ns.saturating_add(js.duration_ns),
            attributes,
            events,
            links,
            status: Status {
                code,
                message: message.into(),
            },
            dropped: [0; 3],
            resource,
            scope: self.scope(scope_name, scope_version),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(key: &str, value: JValue) -> JTag {
        JTag {
            key: key.into(),
            value,
        }
    }

    fn s(v: &str) -> JValue {
        JValue::Str(v.into())
    }

    fn attr<'a>(kvs: &'a [KeyValue], key: &str) -> Option<&'a Value> {
        kvs.iter().find(|kv| &*kv.key == key).map(|kv| &kv.value)
    }

    #[test]
    fn special_tags_become_fields_and_are_removed() {
        let mut b = Builder::default();
        let p = JProcess {
            service_name: "cart".into(),
            tags: vec![tag("hostname", s("h1")), tag("ip", s("10.0.0.1"))],
        };
        let r = b.resource(&p);
        assert_eq!(&*r.service, "cart");
        assert_eq!(&*r.attributes[0].key, "service.name");
        assert_eq!(
            attr(&r.attributes, "host.name"),
            Some(&Value::Str("h1".into()))
        );
        let js = JSpan {
            trace_id: TraceId(7),
            span_id: SpanId(2),
            operation_name: "GET /cart".into(),
            start_ns: 1_000,
            duration_ns: 500,
            tags: vec![
                tag("span.kind", s("server")),
                tag("error", JValue::Bool(true)),
                tag("otel.status_description", s("boom")),
                tag("w3c.tracestate", s("k=v")),
                tag("otel.library.name", s("io.http")),
                tag("otel.scope.version", s("1.2")),
                tag("blob", JValue::Binary(b"hi!".to_vec())),
                tag("n", JValue::Long(3)),
            ],
            logs: vec![JLog {
                time_ns: 1_200,
                fields: vec![tag("event", s("retry")), tag("attempt", JValue::Long(2))],
            }],
            ..Default::default()
        };
        let span = b.span(js, r.clone());
        assert_eq!(span.kind, SpanKind::Server);
        assert_eq!(span.status.code, StatusCode::Error);
        assert_eq!(&*span.status.message, "boom");
        assert_eq!(&*span.trace_state, "k=v");
        assert_eq!(
            (&*span.scope.name, &*span.scope.version),
            ("io.http", "1.2")
        );
        assert_eq!(span.end_ns, 1_500);
        let keys: Vec<&str> = span.attributes.iter().map(|kv| &*kv.key).collect();
        assert_eq!(keys, ["blob", "n"]);
        assert_eq!(
            attr(&span.attributes, "blob"),
            Some(&Value::Str("aGkh".into()))
        );
        assert_eq!(&*span.events[0].name, "retry");
        assert_eq!(&*span.events[0].attributes[0].key, "attempt");
        // A second process equal to the first shares its resource.
        assert!(Arc::ptr_eq(&b.resource(&p.clone()), &r));
    }

    #[test]
    fn status_falls_back_to_otel_code_then_http_status() {
        let mut b = Builder::default();
        let r = b.resource(&JProcess::default());
        let code = |b: &mut Builder, tags: Vec<JTag>| {
            b.span(
                JSpan {
                    tags,
                    ..Default::default()
                },
                r.clone(),
            )
            .status
            .code
        };
        assert_eq!(
            code(&mut b, vec![tag("otel.status_code", s("OK"))]),
            StatusCode::Ok
        );
        assert_eq!(
            code(&mut b, vec![tag("http.status_code", JValue::Long(503))]),
            StatusCode::Error
        );
        assert_eq!(
            code(&mut b, vec![tag("http.status_code", JValue::Long(404))]),
            StatusCode::Unset
        );
        assert_eq!(
            code(
                &mut b,
                vec![
                    tag("span.kind", s("client")),
                    tag("http.status_code", s("404"))
                ]
            ),
            StatusCode::Error
        );
        assert_eq!(
            code(&mut b, vec![tag("error", JValue::Bool(false))]),
            StatusCode::Unset
        );
    }

    #[test]
    fn references_become_parent_and_links() {
        let mut b = Builder::default();
        let r = b.resource(&JProcess::default());
        let js = JSpan {
            trace_id: TraceId(1),
            span_id: SpanId(3),
            references: vec![
                JRef {
                    trace_id: TraceId(9),
                    span_id: SpanId(8),
                    follows_from: false,
                },
                JRef {
                    trace_id: TraceId(1),
                    span_id: SpanId(2),
                    follows_from: false,
                },
                JRef {
                    trace_id: TraceId(1),
                    span_id: SpanId(5),
                    follows_from: true,
                },
            ],
            ..Default::default()
        };
        let span = b.span(js, r);
        assert_eq!(span.parent_span_id, SpanId(2));
        assert_eq!(span.links.len(), 2);
        assert_eq!(span.links[0].trace_id, TraceId(9));
        assert_eq!(
            attr(&span.links[0].attributes, "opentracing.ref_type"),
            Some(&Value::Str("child_of".into()))
        );
        assert_eq!(
            attr(&span.links[1].attributes, "opentracing.ref_type"),
            Some(&Value::Str("follows_from".into()))
        );
    }
}
