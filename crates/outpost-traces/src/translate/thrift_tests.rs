//! Thrift decoding tests. Batches are encoded by a small TBinaryProtocol
//! writer written from the IDL (fact sheet §2.2).

use std::sync::Arc;

use super::*;
use crate::model::{SpanKind, StatusCode, Value};

/// A TBinaryProtocol writer for test batches.
#[derive(Default)]
pub(crate) struct W(pub(crate) Vec<u8>);

impl W {
    pub(crate) fn field(&mut self, t: u8, id: i16) -> &mut Self {
        self.0.push(t);
        self.0.extend_from_slice(&id.to_be_bytes());
        self
    }
    pub(crate) fn stop(&mut self) -> &mut Self {
        self.0.push(0);
        self
    }
    pub(crate) fn i32(&mut self, v: i32) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub(crate) fn i64(&mut self, v: i64) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub(crate) fn str(&mut self, s: &str) -> &mut Self {
        self.i32(s.len() as i32);
        self.0.extend_from_slice(s.as_bytes());
        self
    }
    pub(crate) fn list(&mut self, t: u8, n: i32) -> &mut Self {
        self.0.push(t);
        self.i32(n)
    }
    /// A `Tag` struct with a string value.
    pub(crate) fn str_tag(&mut self, k: &str, v: &str) -> &mut Self {
        self.field(T_STRING, 1).str(k);
        self.field(T_I32, 2).i32(0);
        self.field(T_STRING, 3).str(v);
        self.stop()
    }
    pub(crate) fn long_tag(&mut self, k: &str, v: i64) -> &mut Self {
        self.field(T_STRING, 1).str(k);
        self.field(T_I32, 2).i32(3);
        self.field(T_I64, 6).i64(v);
        self.stop()
    }
    pub(crate) fn bool_tag(&mut self, k: &str, v: bool) -> &mut Self {
        self.field(T_STRING, 1).str(k);
        self.field(T_I32, 2).i32(2);
        self.field(T_BOOL, 5).0.push(u8::from(v));
        self.stop()
    }
    pub(crate) fn double_tag(&mut self, k: &str, v: f64) -> &mut Self {
        self.field(T_STRING, 1).str(k);
        self.field(T_I32, 2).i32(1);
        self.field(T_DOUBLE, 4).i64(v.to_bits() as i64);
        self.stop()
    }
}

/// A batch from service `cart` with two spans of trace (1, 0x22): a root
/// server span and a client child carrying tags, a log and a follows-from
/// reference, plus fields the decoder must skip.
pub(crate) fn sample_batch() -> Vec<u8> {
    let mut w = W::default();
    // process
    w.field(T_STRUCT, 1);
    w.field(T_STRING, 1).str("cart");
    w.field(T_LIST, 2).list(T_STRUCT, 2);
    w.str_tag("hostname", "node-1");
    w.double_tag("load", 0.5);
    w.stop();
    // spans
    w.field(T_LIST, 2).list(T_STRUCT, 2);
    // root
    w.field(T_I64, 1).i64(0x22);
    w.field(T_I64, 2).i64(1);
    w.field(T_I64, 3).i64(0xa);
    w.field(T_I64, 4).i64(0);
    w.field(T_STRING, 5).str("GET /cart");
    w.field(T_I32, 7).i32(1);
    w.field(T_I64, 8).i64(1_700_000_000_000_000);
    w.field(T_I64, 9).i64(250_000);
    w.field(T_LIST, 10).list(T_STRUCT, 2);
    w.str_tag("span.kind", "server");
    w.bool_tag("error", true);
    // an unknown field of a nested type: map<string, list<i32>>
    w.field(T_MAP, 99).0.extend_from_slice(&[T_STRING, T_LIST]);
    w.i32(1).str("k").list(T_I32, 2).i32(1).i32(2);
    w.stop();
    // child: parentSpanId 0xa, a follows-from reference, a negative span id
    w.field(T_I64, 1).i64(0x22);
    w.field(T_I64, 2).i64(1);
    w.field(T_I64, 3).i64(-1);
    w.field(T_I64, 4).i64(0xa);
    w.field(T_STRING, 5).str("SELECT");
    w.field(T_LIST, 6).list(T_STRUCT, 2);
    w.field(T_I32, 1)
        .i32(0)
        .field(T_I64, 2)
        .i64(0x22)
        .field(T_I64, 3)
        .i64(1);
    w.field(T_I64, 4).i64(0xa).stop();
    w.field(T_I32, 1)
        .i32(1)
        .field(T_I64, 2)
        .i64(0x33)
        .field(T_I64, 3)
        .i64(0);
    w.field(T_I64, 4).i64(0xb).stop();
    w.field(T_I64, 8).i64(1_700_000_000_010_000);
    w.field(T_I64, 9).i64(5_000);
    w.field(T_LIST, 10).list(T_STRUCT, 3);
    w.str_tag("span.kind", "client");
    w.long_tag("http.status_code", 404);
    w.str_tag("otel.library.name", "db");
    w.field(T_LIST, 11).list(T_STRUCT, 1);
    w.field(T_I64, 1).i64(1_700_000_000_011_000);
    w.field(T_LIST, 2).list(T_STRUCT, 2);
    w.str_tag("event", "query");
    w.str_tag("rows", "3");
    w.stop();
    w.stop();
    // seqNo and stats are skipped
    w.field(T_I64, 3).i64(7);
    w.field(T_STRUCT, 4).field(T_I64, 1).i64(0).stop();
    w.stop();
    w.0
}

#[test]
fn a_batch_maps_to_spans() {
    let spans = translate(&sample_batch()).unwrap();
    assert_eq!(spans.len(), 2);
    let (root, child) = (&spans[0], &spans[1]);
    assert!(Arc::ptr_eq(&root.resource, &child.resource));
    assert_eq!(&*root.resource.service, "cart");
    let keys: Vec<&str> = root.resource.attributes.iter().map(|kv| &*kv.key).collect();
    assert_eq!(keys, ["service.name", "host.name", "load"]);
    assert_eq!(root.resource.attributes[2].value, Value::Double(0.5));

    assert_eq!(root.trace_id, TraceId::from_halves(1, 0x22));
    assert_eq!(root.span_id, SpanId(0xa));
    assert_eq!(root.parent_span_id, SpanId(0));
    assert_eq!(&*root.name, "GET /cart");
    assert_eq!(root.flags, 1);
    assert_eq!(root.start_ns, 1_700_000_000_000_000_000);
    assert_eq!(root.end_ns, 1_700_000_000_250_000_000);
    assert_eq!(root.kind, SpanKind::Server);
    assert_eq!(root.status.code, StatusCode::Error);
    assert!(root.attributes.is_empty());

    assert_eq!(child.span_id, SpanId(u64::MAX));
    assert_eq!(child.parent_span_id, SpanId(0xa));
    assert_eq!(child.kind, SpanKind::Client);
    assert_eq!(child.status.code, StatusCode::Error, "4xx on a client span");
    assert_eq!(&*child.scope.name, "db");
    // The CHILD_OF reference equal to the parent is not repeated as a link.
    assert_eq!(child.links.len(), 1);
    assert_eq!(child.links[0].trace_id, TraceId::from_halves(0, 0x33));
    assert_eq!(child.links[0].span_id, SpanId(0xb));
    assert_eq!(child.events.len(), 1);
    assert_eq!(&*child.events[0].name, "query");
    assert_eq!(child.events[0].time_ns, 1_700_000_000_011_000_000);
    assert_eq!(&*child.events[0].attributes[0].key, "rows");
}

#[test]
fn truncated_input_is_an_error_at_every_length() {
    let full = sample_batch();
    for n in 0..full.len() {
        assert!(
            translate(&full[..n]).is_err(),
            "prefix of {n} bytes decoded"
        );
    }
}

#[test]
fn huge_lengths_are_refused_without_allocating() {
    let mut w = W::default();
    w.field(T_STRUCT, 1).field(T_STRING, 1).i32(i32::MAX);
    let e = translate(&w.0).unwrap_err().to_string();
    assert!(e.contains("truncated input"), "{e}");
    let mut w = W::default();
    w.field(T_LIST, 2).list(T_STRUCT, i32::MAX);
    let e = translate(&w.0).unwrap_err().to_string();
    assert!(e.contains("exceeds"), "{e}");
    let mut w = W::default();
    w.field(T_LIST, 2).list(T_STRUCT, -1);
    assert!(
        translate(&w.0)
            .unwrap_err()
            .to_string()
            .contains("negative")
    );
}

#[test]
fn deep_nesting_and_unknown_types_are_refused() {
    let mut w = W::default();
    for _ in 0..200 {
        w.field(T_STRUCT, 9);
    }
    let e = translate(&w.0).unwrap_err().to_string();
    assert!(e.contains("too deep"), "{e}");
    let mut w = W::default();
    w.field(42, 9);
    assert!(
        translate(&w.0)
            .unwrap_err()
            .to_string()
            .contains("unknown field type 42")
    );
}

#[test]
fn required_fields_are_checked() {
    let mut w = W::default();
    w.field(T_LIST, 2).list(T_STRUCT, 0).stop();
    assert!(translate(&w.0).unwrap_err().to_string().contains("process"));
    let mut w = W::default();
    w.field(T_STRUCT, 1).field(T_STRING, 1).str("svc").stop();
    w.stop();
    assert!(translate(&w.0).unwrap_err().to_string().contains("spans"));
    let mut w = W::default();
    w.field(T_STRUCT, 1).field(T_STRING, 1).str("svc").stop();
    w.field(T_LIST, 2).list(T_STRUCT, 0).stop();
    assert_eq!(translate(&w.0).unwrap(), vec![]);
}
