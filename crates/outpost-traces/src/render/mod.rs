//! Rendering stored traces for the query APIs: Jaeger's UI JSON (API v1,
//! `jaeger_json`: the OpenTelemetry → Jaeger mapping, processes `p1`, `p2`,
//! ...), OTLP JSON (API v3, `otlp_json`) and trace summaries (`summary`),
//! plus the query-side adjusters Jaeger applies first (`adjust`).
//!
//! The render functions take a trace as given; the handlers call
//! [`adjust`] first unless the request asked for raw traces. The
//! `write_*` functions write the JSON bytes directly, byte for byte as
//! Jaeger prints them (Go's escaping and float digits), and are what the
//! handlers should serve: for a 10,000-span trace they take about 10 ms
//! against several hundred for building a `serde_json::Value` and
//! serializing it (`benches/traces_render.rs`). The `Value` functions build
//! the same documents (tests keep the two equal) for callers that need to
//! inspect or embed them; serde prints them with its own escaping.

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

/// A fast hasher for span ids and pointers (keys that are already well
/// spread; not for untrusted strings): one multiply per word.
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

/// `HashMap`/`HashSet` state for [`IdHasher`].
pub(crate) type IdBuild = std::hash::BuildHasherDefault<IdHasher>;
