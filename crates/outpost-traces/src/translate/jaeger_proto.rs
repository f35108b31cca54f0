//! Jaeger `jaeger.api_v2` protobuf batches (gRPC `PostSpans`) → spans.
//! Ids: a trace id of 16 bytes (high then low, big-endian) or 8 (low half
//! only); span ids of 8 bytes; anything else is an error. A span's own
//! process wins over the batch's.

use crate::jaeger_proto::{self as pb, PostSpansRequest, ValueType};
use crate::model::{Span, SpanId, TraceId};
use crate::translate::jaeger::{Builder, JLog, JProcess, JRef, JSpan, JTag, JValue};
use crate::{Error, Result};

/// Maps the request's batch.
pub(crate) fn translate(req: PostSpansRequest) -> Result<Vec<Span>> {
    let Some(batch) = req.batch else {
        return Ok(Vec::new());
    };
    let mut b = Builder::default();
    let batch_process = batch.process.map(process);
    let batch_resource = batch_process.as_ref().map(|p| b.resource(p));
    let mut out = Vec::with_capacity(batch.spans.len());
    for (i, s) in batch.spans.into_iter().enumerate() {
        let resource = match (&s.process, &batch_resource) {
            (Some(p), _) => b.resource(&process(p.clone())),
            (None, Some(r)) => r.clone(),
            (None, None) => b.resource(&JProcess::default()),
        };
        let js = span(s).map_err(|e| Error::Decode(format!("span {i}: {e}")))?;
        out.push(b.span(js, resource));
    }
    Ok(out)
}

fn trace_id(b: &[u8]) -> Result<TraceId> {
    match b.len() {
        16 => TraceId::from_bytes(b).ok_or_else(|| Error::Decode("invalid trace id".into())),
        8 => Ok(TraceId::from_halves(
            0,
            SpanId::from_bytes(b).map(|s| s.0).unwrap_or(0),
        )),
        n => Err(Error::Decode(format!(
            "invalid trace id: {n} bytes, want 16 (or 8)"
        ))),
    }
}

fn span_id(b: &[u8]) -> Result<SpanId> {
    SpanId::from_bytes(b)
        .ok_or_else(|| Error::Decode(format!("invalid span id: {} bytes, want 8", b.len())))
}

fn ts_ns(t: Option<prost_types::Timestamp>) -> u64 {
    let Some(t) = t else { return 0 };
    u64::try_from(t.seconds)
        .unwrap_or(0)
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::try_from(t.nanos).unwrap_or(0))
}

fn dur_ns(d: Option<prost_types::Duration>) -> u64 {
    let Some(d) = d else { return 0 };
    u64::try_from(d.seconds)
        .unwrap_or(0)
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::try_from(d.nanos).unwrap_or(0))
}

fn tag(kv: pb::KeyValue) -> JTag {
    let value = match ValueType::try_from(kv.v_type).unwrap_or(ValueType::String) {
        ValueType::String => JValue::Str(kv.v_str),
        ValueType::Bool => JValue::Bool(kv.v_bool),
        ValueType::Int64 => JValue::Long(kv.v_int64),
        ValueType::Float64 => JValue::Double(kv.v_float64),
        ValueType::Binary => JValue::Binary(kv.v_binary),
    };
    JTag { key: kv.key, value }
}

fn process(p: pb::Process) -> JProcess {
    JProcess {
        service_name: p.service_name,
        tags: p.tags.into_iter().map(tag).collect(),
    }
}

fn span(s: pb::Span) -> Result<JSpan> {
    let trace = trace_id(&s.trace_id)?;
    let mut references = Vec::with_capacity(s.references.len());
    for r in s.references {
        references.push(JRef {
            trace_id: trace_id(&r.trace_id)?,
            span_id: span_id(&r.span_id)?,
            follows_from: r.ref_type == pb::SpanRefType::FollowsFrom as i32,
        });
    }
    Ok(JSpan {
        trace_id: trace,
        span_id: span_id(&s.span_id)?,
        parent_span_id: SpanId(0),
        operation_name: s.operation_name,
        references,
        flags: s.flags,
        start_ns: ts_ns(s.start_time),
        duration_ns: dur_ns(s.duration),
        tags: s.tags.into_iter().map(tag).collect(),
        logs: s
            .logs
            .into_iter()
            .map(|l| JLog {
                time_ns: ts_ns(l.timestamp),
                fields: l.fields.into_iter().map(tag).collect(),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{SpanKind, Value};

    fn kv(key: &str, s: &str) -> pb::KeyValue {
        pb::KeyValue {
            key: key.into(),
            v_str: s.into(),
            ..Default::default()
        }
    }

    fn pspan(trace: &[u8], id: u64) -> pb::Span {
        pb::Span {
            trace_id: trace.to_vec(),
            span_id: id.to_be_bytes().to_vec(),
            operation_name: "op".into(),
            start_time: Some(prost_types::Timestamp {
                seconds: 1_700_000_000,
                nanos: 5,
            }),
            duration: Some(prost_types::Duration {
                seconds: 1,
                nanos: 500,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn ids_times_and_processes() {
        let long = TraceId::parse_hex("5b8efff798038103d269b633813fc60c").unwrap();
        let mut child = pspan(&long.to_bytes(), 2);
        child.references = vec![pb::SpanRef {
            trace_id: long.to_bytes().to_vec(),
            span_id: 1u64.to_be_bytes().to_vec(),
            ref_type: pb::SpanRefType::ChildOf as i32,
        }];
        child.tags = vec![
            kv("span.kind", "client"),
            pb::KeyValue {
                key: "n".into(),
                v_type: ValueType::Int64 as i32,
                v_int64: 7,
                ..Default::default()
            },
        ];
        child.process = Some(pb::Process {
            service_name: "db".into(),
            tags: vec![kv("jaeger.version", "go-2")],
        });
        let short = pspan(&0x11u64.to_be_bytes(), 1);
        let req = PostSpansRequest {
            batch: Some(pb::Batch {
                spans: vec![short, child],
                process: Some(pb::Process {
                    service_name: "cart".into(),
                    tags: vec![],
                }),
            }),
        };
        let spans = translate(req).unwrap();
        assert_eq!(spans[0].trace_id, TraceId::from_halves(0, 0x11));
        assert_eq!(spans[0].start_ns, 1_700_000_000_000_000_005);
        assert_eq!(spans[0].end_ns, 1_700_000_001_000_000_505);
        assert_eq!(spans[0].service(), "cart");
        assert_eq!(spans[1].trace_id, long);
        assert_eq!(spans[1].parent_span_id, SpanId(1));
        assert!(spans[1].links.is_empty());
        assert_eq!(spans[1].kind, SpanKind::Client);
        assert_eq!(spans[1].service(), "db");
        assert_eq!(
            &*spans[1].resource.attributes[1].key,
            "opencensus.exporterversion"
        );
        assert_eq!(spans[1].attributes[0].value, Value::Int(7));
    }

    #[test]
    fn bad_ids_fail_the_batch() {
        let req = |s: pb::Span| PostSpansRequest {
            batch: Some(pb::Batch {
                spans: vec![s],
                process: None,
            }),
        };
        let e = translate(req(pspan(&[0; 15], 1))).unwrap_err().to_string();
        assert_eq!(e, "span 0: invalid trace id: 15 bytes, want 16 (or 8)");
        let mut s = pspan(&[1; 16], 1);
        s.span_id = vec![1, 2, 3];
        assert!(
            translate(req(s))
                .unwrap_err()
                .to_string()
                .contains("invalid span id")
        );
        assert!(
            translate(PostSpansRequest { batch: None })
                .unwrap()
                .is_empty()
        );
    }
}
