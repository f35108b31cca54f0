//! OTLP `ExportTraceServiceRequest` → spans. A span needs a 16-byte,
//! non-zero trace id and an 8-byte, non-zero span id (the OTLP
//! specification calls all-zero ids invalid); its parent id is empty (a
//! root) or 8 bytes. Other spans are rejected and counted. Links with
//! invalid ids are dropped, the span kept. An end before the start is
//! clamped to the start. Spans of one `ResourceSpans` share its resource,
//! spans of one `ScopeSpans` its scope.

use std::sync::Arc;

use outpost_otlp::proto::collector::trace::v1::ExportTraceServiceRequest;
use outpost_otlp::proto::common::v1::{
    AnyValue, InstrumentationScope, KeyValue as PbKeyValue, any_value,
};
use outpost_otlp::proto::resource::v1::Resource as PbResource;
use outpost_otlp::proto::trace::v1 as pb;

use crate::model::{
    Event, KeyValue, Link, NO_SERVICE_NAME, Resource, Scope, Span, SpanId, SpanKind, Status,
    StatusCode, TraceId, Value,
};
use crate::translate::{Interner, Rejected};

/// Translates a request, rejecting spans with invalid ids.
pub(crate) fn translate(req: ExportTraceServiceRequest) -> (Vec<Span>, Rejected) {
    let mut strings = Interner::default();
    let mut rejected = Rejected::default();
    let n = req
        .resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .map(|ss| ss.spans.len())
        .sum();
    let mut out = Vec::with_capacity(n);
    for rs in req.resource_spans {
        let resource = Arc::new(resource(&mut strings, rs.resource, rs.schema_url));
        for ss in rs.scope_spans {
            let scope = Arc::new(scope(&mut strings, ss.scope, ss.schema_url));
            for s in ss.spans {
                match span(&mut strings, s, &resource, &scope) {
                    Ok(s) => out.push(s),
                    Err(why) => rejected.add(|| why),
                }
            }
        }
    }
    (out, rejected)
}

fn resource(strings: &mut Interner, r: Option<PbResource>, schema_url: String) -> Resource {
    let r = r.unwrap_or_default();
    let attributes = attrs(strings, r.attributes);
    let service: Arc<str> = if attributes.is_empty() {
        Arc::from(NO_SERVICE_NAME)
    } else {
        attributes
            .iter()
            .find(|kv| &*kv.key == "service.name")
            .map(|kv| match &kv.value {
                Value::Str(s) => s.clone(),
                v => Arc::from(v.as_string()),
            })
            .unwrap_or_else(|| Arc::from(""))
    };
    Resource {
        service,
        attributes,
        dropped_attributes_count: r.dropped_attributes_count,
        schema_url: schema_url.into(),
    }
}

fn scope(strings: &mut Interner, s: Option<InstrumentationScope>, schema_url: String) -> Scope {
    let s = s.unwrap_or_default();
    Scope {
        name: s.name.into(),
        version: s.version.into(),
        attributes: attrs(strings, s.attributes),
        dropped_attributes_count: s.dropped_attributes_count,
        schema_url: schema_url.into(),
    }
}

/// A trace id: 16 bytes, not all zero.
fn trace_id(b: &[u8]) -> Result<TraceId, String> {
    match TraceId::from_bytes(b) {
        Some(TraceId(0)) => Err("invalid trace id: all zero".into()),
        Some(id) => Ok(id),
        None => Err(format!("invalid trace id: {} bytes, want 16", b.len())),
    }
}

/// A span id: 8 bytes, not all zero.
fn span_id(b: &[u8]) -> Result<SpanId, String> {
    match SpanId::from_bytes(b) {
        Some(SpanId(0)) => Err("invalid span id: all zero".into()),
        Some(id) => Ok(id),
        None => Err(format!("invalid span id: {} bytes, want 8", b.len())),
    }
}

fn span(
    strings: &mut Interner,
    s: pb::Span,
    resource: &Arc<Resource>,
    scope: &Arc<Scope>,
) -> Result<Span, String> {
    let trace = trace_id(&s.trace_id)?;
    let id = span_id(&s.span_id)?;
    let parent = if s.parent_span_id.is_empty() {
        SpanId(0)
    } else {
        SpanId::from_bytes(&s.parent_span_id).ok_or_else(|| {
            format!(
                "invalid parent span id: {} bytes, want 8",
                s.parent_span_id.len()
            )
        })?
    };
    let events = s
        .events
        .into_iter()
        .map(|e| Event {
            time_ns: e.time_unix_nano,
            name: e.name.into(),
            attributes: attrs(strings, e.attributes),
            dropped_attributes_count: e.dropped_attributes_count,
        })
        .collect();
    let links = s
        .links
        .into_iter()
        .filter_map(|l| {
            Some(Link {
                trace_id: trace_id(&l.trace_id).ok()?,
                span_id: span_id(&l.span_id).ok()?,
                trace_state: l.trace_state.into(),
                attributes: attrs(strings, l.attributes),
                dropped_attributes_count: l.dropped_attributes_count,
                flags: l.flags,
            })
        })
        .collect();
    let status = s.status.unwrap_or_default();
    Ok(Span {
        trace_id: trace,
        span_id: id,
        parent_span_id: parent,
        trace_state: s.trace_state.into(),
        flags: s.flags,
        name: strings.get(&s.name),
        kind: SpanKind::from_otlp(s.kind),
        start_ns: s.start_time_unix_nano,
        end_ns: s.end_time_unix_nano.max(s.start_time_unix_nano),
        attributes: attrs(strings, s.attributes),
        events,
        links,
        status: Status {
            code: StatusCode::from_otlp(status.code),
            message: status.message.into(),
        },
        dropped: [
            s.dropped_attributes_count,
            s.dropped_events_count,
            s.dropped_links_count,
        ],
        resource: resource.clone(),
        scope: scope.clone(),
    })
}

fn attrs(strings: &mut Interner, kvs: Vec<PbKeyValue>) -> Vec<KeyValue> {
    kvs.into_iter()
        .map(|kv| KeyValue {
            key: strings.get(&kv.key),
            value: value(strings, kv.value),
        })
        .collect()
}

fn value(strings: &mut Interner, v: Option<AnyValue>) -> Value {
    use any_value::Value as V;
    match v.and_then(|v| v.value) {
        Some(V::StringValue(s)) => Value::Str(strings.value(&s)),
        Some(V::BoolValue(b)) => Value::Bool(b),
        Some(V::IntValue(i)) => Value::Int(i),
        Some(V::DoubleValue(d)) => Value::Double(d),
        Some(V::BytesValue(b)) => Value::Bytes(Arc::from(b)),
        Some(V::ArrayValue(a)) => Value::Array(
            a.values
                .into_iter()
                .map(|v| value(strings, Some(v)))
                .collect(),
        ),
        Some(V::KvlistValue(m)) => Value::Map(attrs(strings, m.values)),
        // A profiling-only string-table reference: treated as absent.
        Some(V::StringValueStrindex(_)) | None => Value::Empty,
    }
}

#[cfg(test)]
#[path = "otlp_tests.rs"]
mod tests;
