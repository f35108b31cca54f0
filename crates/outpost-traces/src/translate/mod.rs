//! Translation of every ingest protocol into the span [`model`](crate::model):
//! OTLP (`otlp`), Jaeger's `jaeger.api_v2` protobuf (`jaeger_proto`), Jaeger
//! Thrift in TBinaryProtocol (`thrift`, our own decoder) and Zipkin v2 JSON
//! (`zipkin`). The reverse mappings follow the OpenTelemetry specification
//! and the Collector's translators (`../shared/docs/semantics/traces.md` §3, §4).

use crate::model::Span;

/// Spans refused while translating (reported as OTLP partial success).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rejected {
    /// How many spans.
    pub count: u64,
    /// Why (the first reason).
    pub message: String,
}

/// OTLP `ExportTraceServiceRequest` → spans; spans with invalid ids are
/// rejected and counted, the rest kept.
pub fn from_otlp(
    _req: outpost_otlp::proto::collector::trace::v1::ExportTraceServiceRequest,
) -> (Vec<Span>, Rejected) {
    todo!("translate: otlp")
}

/// A Jaeger Thrift `Batch` in TBinaryProtocol (the body of `POST /api/traces`).
pub fn from_thrift(_body: &[u8]) -> crate::Result<Vec<Span>> {
    todo!("translate: thrift")
}

/// A Zipkin v2 JSON array of spans (`POST /api/v2/spans`).
pub fn from_zipkin_json(_body: &[u8]) -> crate::Result<Vec<Span>> {
    todo!("translate: zipkin")
}
