//! Zipkin v2 JSON (`POST /api/v2/spans`, a JSON array of spans) → spans,
//! as the Collector's Zipkin translator maps them (fact sheet §3):
//!
//! - `localEndpoint.serviceName` → resource `service.name` (spans of one
//!   service share a resource; without one the resource has no attributes);
//! - `kind` → span kind; absent with tag `span.kind=internal` → internal;
//! - `parentId` equal to `id` is ignored; start = `timestamp` (µs), end =
//!   start + `duration` (µs), saturating;
//! - annotations → events named by their value;
//! - tags → string attributes, except `otel.status_code` /
//!   `otel.status_description` (status), `error` (status ERROR; a value
//!   other than `true` becomes the message), `w3c.tracestate`, and
//!   `otel.scope.*` / `otel.library.*` (scope);
//! - `remoteEndpoint` → `peer.service`, `net.peer.ip`, `net.peer.port`;
//!   `localEndpoint` ip/port → `net.host.ip`, `net.host.port`.
//!
//! Ids are hex: a trace id of up to 32 digits, a span id of up to 16. A
//! span with a bad id fails the request (Zipkin answers 400).

use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;

use crate::model::{
    Event, KeyValue, NO_SERVICE_NAME, Resource, Scope, Span, SpanId, SpanKind, Status, StatusCode,
    TraceId, Value,
};
use crate::translate::{Interner, us_to_ns};
use crate::{Error, Result};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ZSpan {
    trace_id: String,
    id: String,
    #[serde(default)]
    parent_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    timestamp: Option<i64>,
    #[serde(default)]
    duration: Option<i64>,
    #[serde(default)]
    local_endpoint: Option<Endpoint>,
    #[serde(default)]
    remote_endpoint: Option<Endpoint>,
    #[serde(default)]
    annotations: Vec<Annotation>,
    #[serde(default)]
    tags: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Endpoint {
    #[serde(default)]
    service_name: Option<String>,
    #[serde(default)]
    ipv4: Option<String>,
    #[serde(default)]
    ipv6: Option<String>,
    #[serde(default)]
    port: Option<i64>,
}

#[derive(Deserialize)]
struct Annotation {
    #[serde(default)]
    timestamp: i64,
    #[serde(default)]
    value: String,
}

/// Decodes and maps a JSON array of Zipkin v2 spans.
pub(crate) fn translate(body: &[u8]) -> Result<Vec<Span>> {
    let zs: Vec<ZSpan> =
        serde_json::from_slice(body).map_err(|e| Error::Decode(format!("zipkin v2 json: {e}")))?;
    let mut b = Mapper::default();
    zs.into_iter()
        .enumerate()
        .map(|(i, z)| {
            b.span(z)
                .map_err(|e| Error::Decode(format!("span {i}: {e}")))
        })
        .collect()
}

#[derive(Default)]
struct Mapper {
    strings: Interner,
    resources: HashMap<String, Arc<Resource>>,
    no_service: Option<Arc<Resource>>,
    scopes: HashMap<(String, String), Arc<Scope>>,
}

fn parse_trace_id(s: &str) -> Result<TraceId> {
    TraceId::parse_hex(s)
        .filter(|id| id.0 != 0)
        .ok_or_else(|| Error::Decode(format!("invalid traceId {s:?}: want 16 or 32 hex digits")))
}

fn parse_span_id(field: &str, s: &str) -> Result<SpanId> {
    SpanId::parse_hex(s)
        .filter(|id| id.0 != 0)
        .ok_or_else(|| Error::Decode(format!("invalid {field} {s:?}: want 16 hex digits")))
}

/// A tag value as a string (non-string JSON values keep their JSON text).
fn tag_string(v: serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    }
}

impl Mapper {
    fn str_kv(&mut self, key: &str, v: &str) -> KeyValue {
        KeyValue {
            key: self.strings.get(key),
            value: Value::Str(self.strings.value(v)),
        }
    }

    fn resource(&mut self, service: Option<&str>) -> Arc<Resource> {
        match service.filter(|s| !s.is_empty()) {
            Some(name) => {
                if let Some(r) = self.resources.get(name) {
                    return r.clone();
                }
                let r = Arc::new(Resource {
                    service: Arc::from(name),
                    attributes: vec![self.str_kv("service.name", name)],
                    ..Default::default()
                });
                self.resources.insert(name.to_string(), r.clone());
                r
            }
            None => self
                .no_service
                .get_or_insert_with(|| {
                    Arc::new(Resource {
                        service: Arc::from(NO_SERVICE_NAME),
                        ..Default::default()
                    })
                })
                .clone(),
        }
    }

    fn span(&mut self, z: ZSpan) -> Result<Span> {
        let trace_id = parse_trace_id(&z.trace_id)?;
        let span_id = parse_span_id("id", &z.id)?;
        let parent = match z.parent_id.as_deref() {
            None | Some("") => SpanId(0),
            Some(p) => {
                let p = parse_span_id("parentId", p)?;
                if p == span_id { SpanId(0) } else { p }
            }
        };
        let mut kind = match z.kind.as_deref() {
            Some("CLIENT") => SpanKind::Client,
            Some("SERVER") => SpanKind::Server,
            Some("PRODUCER") => SpanKind::Producer,
            Some("CONSUMER") => SpanKind::Consumer,
            _ => SpanKind::Unspecified,
        };
        let local = z.local_endpoint.unwrap_or_default();
        let resource = self.resource(local.service_name.as_deref());

        let mut attributes = Vec::with_capacity(z.tags.len() + 5);
        let mut code = None;
        let mut error = None;
        let mut message = String::new();
        let mut trace_state = String::new();
        let (mut scope_name, mut scope_version) = (String::new(), String::new());
        for (k, v) in z.tags {
            let v = tag_string(v);
            match k.as_str() {
                "otel.status_code" => {
                    code = match v.as_str() {
                        "OK" => Some(StatusCode::Ok),
                        "ERROR" => Some(StatusCode::Error),
                        _ => Some(StatusCode::Unset),
                    }
                }
                "otel.status_description" => message = v,
                "error" => error = Some(v),
                "w3c.tracestate" => trace_state = v,
                "otel.scope.name" | "otel.library.name" => scope_name = v,
                "otel.scope.version" | "otel.library.version" => scope_version = v,
                "span.kind" if kind == SpanKind::Unspecified && v == "internal" => {
                    kind = SpanKind::Internal;
                }
                _ => attributes.push(self.str_kv(&k, &v)),
            }
        }
        let code = match (code, &error) {
            (Some(c), _) => c,
            (None, Some(e)) if e != "false" => {
                if message.is_empty() && e != "true" && !e.is_empty() {
                    message = e.clone();
                }
                StatusCode::Error
            }
            _ => StatusCode::Unset,
        };

        if let Some(remote) = z.remote_endpoint {
            if let Some(s) = remote.service_name.filter(|s| !s.is_empty()) {
                attributes.push(self.str_kv("peer.service", &s));
            }
            if let Some(ip) = remote.ipv4.or(remote.ipv6).filter(|s| !s.is_empty()) {
                attributes.push(self.str_kv("net.peer.ip", &ip));
            }
            if let Some(port) = remote.port.filter(|p| *p != 0) {
                attributes.push(KeyValue {
                    key: self.strings.get("net.peer.port"),
                    value: Value::Int(port),
                });
            }
        }
        if let Some(ip) = local.ipv4.or(local.ipv6).filter(|s| !s.is_empty()) {
            attributes.push(self.str_kv("net.host.ip", &ip));
        }
        if let Some(port) = local.port.filter(|p| *p != 0) {
            attributes.push(KeyValue {
                key: self.strings.get("net.host.port"),
                value: Value::Int(port),
            });
        }

        let events = z
            .annotations
            .into_iter()
            .map(|a| Event {
                time_ns: us_to_ns(a.timestamp),
                name: a.value.into(),
                ..Default::default()
            })
            .collect();
        let start_ns = us_to_ns(z.timestamp.unwrap_or(0));
        let end_ns = start_ns.saturating_add(us_to_ns(z.duration.unwrap_or(0)));
        let scope = self
            .scopes
            .entry((scope_name, scope_version))
            .or_insert_with_key(|(n, v)| {
                Arc::new(Scope {
                    name: n.as_str().into(),
                    version: v.as_str().into(),
                    ..Default::default()
                })
            })
            .clone();
        Ok(Span {
            trace_id,
            span_id,
            parent_span_id: parent,
            trace_state: trace_state.into(),
            flags: 0,
            name: self.strings.get(z.name.as_deref().unwrap_or("")),
            kind,
            start_ns,
            end_ns,
            attributes,
            events,
            links: Vec::new(),
            status: Status {
                code,
                message: message.into(),
            },
            dropped: [0; 3],
            resource,
            scope,
        })
    }
}

#[cfg(test)]
#[path = "zipkin_tests.rs"]
mod tests;
