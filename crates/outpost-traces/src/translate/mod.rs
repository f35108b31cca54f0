//! Translation of every ingest protocol into the span [`model`](crate::model):
//! OTLP (`otlp`), Jaeger's `jaeger.api_v2` protobuf (`jaeger_proto`), Jaeger
//! Thrift in TBinaryProtocol (`thrift`, our own decoder) and Zipkin v2 JSON
//! (`zipkin`). The reverse mappings follow the OpenTelemetry specification
//! and the Collector's translators (`../shared/docs/semantics/traces.md` §3, §4);
//! the Jaeger-model rules shared by Thrift and protobuf live in `jaeger`.

mod jaeger;
mod jaeger_proto;
mod otlp;
mod thrift;
mod zipkin;

use std::sync::Arc;

use crate::model::Span;

/// Spans refused while translating (reported as OTLP partial success).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rejected {
    /// How many spans.
    pub count: u64,
    /// Why (the first reason).
    pub message: String,
}

impl Rejected {
    /// Counts one refused span; the first reason is kept.
    pub(crate) fn add(&mut self, why: impl FnOnce() -> String) {
        if self.count == 0 {
            self.message = why();
        }
        self.count = self.count.saturating_add(1);
    }
}

/// OTLP `ExportTraceServiceRequest` → spans; spans with invalid ids are
/// rejected and counted, the rest kept.
pub fn from_otlp(
    req: outpost_otlp::proto::collector::trace::v1::ExportTraceServiceRequest,
) -> (Vec<Span>, Rejected) {
    otlp::translate(req)
}

/// A Jaeger Thrift `Batch` in TBinaryProtocol (the body of `POST /api/traces`).
pub fn from_thrift(body: &[u8]) -> crate::Result<Vec<Span>> {
    thrift::translate(body)
}

/// A Zipkin v2 JSON array of spans (`POST /api/v2/spans`).
pub fn from_zipkin_json(body: &[u8]) -> crate::Result<Vec<Span>> {
    zipkin::translate(body)
}

/// A Jaeger gRPC `PostSpansRequest` (`jaeger.api_v2.CollectorService/PostSpans`).
/// A span whose ids have the wrong length fails the whole batch, as the
/// Jaeger collector refuses a message it cannot unmarshal.
pub fn from_jaeger_proto(req: crate::jaeger_proto::PostSpansRequest) -> crate::Result<Vec<Span>> {
    jaeger_proto::translate(req)
}

/// Microseconds (Jaeger, Zipkin) to nanoseconds: negative times become 0,
/// overflow saturates.
pub(crate) fn us_to_ns(us: i64) -> u64 {
    u64::try_from(us).unwrap_or(0).saturating_mul(1000)
}

/// Longest string value [`Interner::value`] shares.
const MAX_INTERNED_VALUE: usize = 64;

/// Shares one `Arc<str>` per distinct string within a request (attribute
/// keys, operation names), so a batch holds one copy of each.
#[derive(Default)]
pub(crate) struct Interner {
    map: crate::hash::FastMap<Arc<str>, ()>,
}

impl Interner {
    /// A string attribute value: short values (methods, routes, status
    /// texts repeat across a batch) are shared, long ones copied as is.
    pub(crate) fn value(&mut self, s: &str) -> Arc<str> {
        if s.len() <= MAX_INTERNED_VALUE {
            self.get(s)
        } else {
            Arc::from(s)
        }
    }

    /// The shared copy of `s`.
    pub(crate) fn get(&mut self, s: &str) -> Arc<str> {
        if let Some((k, _)) = self.map.get_key_value(s) {
            return k.clone();
        }
        let k: Arc<str> = Arc::from(s);
        self.map.insert(k.clone(), ());
        k
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microseconds_convert_with_checked_arithmetic() {
        assert_eq!(us_to_ns(1_700_000_000_000_000), 1_700_000_000_000_000_000);
        assert_eq!(us_to_ns(-5), 0);
        assert_eq!(us_to_ns(i64::MAX), u64::MAX);
    }

    #[test]
    fn interner_shares_copies() {
        let mut i = Interner::default();
        let a = i.get("http.method");
        let b = i.get("http.method");
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(&*i.get("x"), "x");
        assert!(Arc::ptr_eq(&i.value("GET"), &i.value("GET")));
        let long = "x".repeat(MAX_INTERNED_VALUE + 1);
        assert!(!Arc::ptr_eq(&i.value(&long), &i.value(&long)));
    }

    #[test]
    fn rejected_keeps_the_first_reason() {
        let mut r = Rejected::default();
        r.add(|| "first".into());
        r.add(|| "second".into());
        assert_eq!(
            r,
            Rejected {
                count: 2,
                message: "first".into()
            }
        );
    }
}
