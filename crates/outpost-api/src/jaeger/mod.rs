//! The traces family: span receivers (OTLP traces over HTTP and gRPC,
//! Jaeger's gRPC and Thrift collectors, Zipkin v2) writing through one
//! [`TraceIngest`], and the Jaeger query APIs (v1 UI JSON, v3 OTLP JSON)
//! reading the [`TraceStore`](outpost_traces::TraceStore).

use std::sync::Arc;

use outpost_clock::Clock;
use outpost_traces::TraceIngest;

/// What the traces family reaches.
#[derive(Clone)]
pub struct JaegerState {
    /// The process clock (defaults of `end`/`endTs`, lookbacks).
    pub clock: Clock,
    /// The write path (store plus span observers); `ingest.store` is read by queries.
    pub ingest: TraceIngest,
    /// Receiver counters, for `/metrics`.
    pub counters: Arc<TraceCounters>,
}

/// Counters of the span receivers, by protocol.
#[derive(Debug, Default)]
pub struct TraceCounters {}

mod spm;
pub use spm::{SpmState, spm_router};
