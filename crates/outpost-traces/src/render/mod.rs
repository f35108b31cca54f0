//! Rendering stored traces for the query APIs: Jaeger's UI JSON (API v1,
//! `jaeger_json`: the OpenTelemetry → Jaeger mapping, processes `p1`, `p2`,
//! ...) and OTLP JSON (API v3, `otlp_json`), after the query-side adjusters
//! Jaeger applies.

use crate::model::Trace;

/// A trace as Jaeger v1's UI model (`{"traceID", "spans", "processes", "warnings"}`).
pub fn jaeger_trace(_t: &Trace) -> serde_json::Value {
    todo!("render: jaeger v1")
}

/// Traces as one OTLP JSON `TracesData` (`{"resourceSpans": [...]}`).
pub fn otlp_traces(_ts: &[Trace]) -> serde_json::Value {
    todo!("render: otlp json")
}
