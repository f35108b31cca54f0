//! Rendering stored traces for the query APIs: Jaeger's UI JSON (API v1,
//! `jaeger_json`: the OpenTelemetry → Jaeger mapping, processes `p1`, `p2`,
//! ...), OTLP JSON (API v3, `otlp_json`) and trace summaries (`summary`),
//! plus the query-side adjusters Jaeger applies first (`adjust`).
//!
//! The render functions take a trace as given; the handlers call
//! [`adjust`] first unless the request asked for raw traces. The
//! `write_*` functions write the JSON bytes directly (the fast path for
//! large traces); the `serde_json::Value` functions build the same
//! documents (tests keep the two equal).

mod adjust;
mod jaeger_json;
mod json_out;
mod otlp_json;
mod summary;

#[cfg(test)]
mod golden_tests;

pub use adjust::adjust;
pub use jaeger_json::write_jaeger_trace;
pub use otlp_json::write_otlp_traces;
pub use summary::trace_summaries;

use crate::model::Trace;

/// The span attribute that carries Jaeger's adjuster warnings (a string
/// array); the v1 rendering moves it to the span's `warnings`.
pub const WARNINGS_ATTRIBUTE: &str = "@jaeger@warnings";

/// A trace as Jaeger v1's UI model (`{"traceID", "spans", "processes", "warnings"}`).
pub fn jaeger_trace(t: &Trace) -> serde_json::Value {
    jaeger_json::to_value(t)
}

/// Traces as one OTLP JSON `TracesData` (`{"resourceSpans": [...]}`).
pub fn otlp_traces(ts: &[Trace]) -> serde_json::Value {
    otlp_json::to_value(ts)
}
