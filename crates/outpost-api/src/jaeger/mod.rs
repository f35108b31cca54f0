//! The traces family: span receivers (OTLP traces over HTTP and gRPC,
//! Jaeger's gRPC and Thrift collectors, Zipkin v2) writing through one
//! [`TraceIngest`], and the Jaeger query APIs (v1 UI JSON, v3 OTLP JSON)
//! reading the [`TraceStore`](outpost_traces::TraceStore).

mod collector;
mod counters;
mod grpc_limit;
mod otlp_traces;
#[cfg(test)]
mod test_support;
mod zipkin;

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

pub use collector::{collector_grpc_router, collector_http_router};
pub use counters::TraceCounters;
pub use otlp_traces::{otlp_grpc_router, otlp_http_router};
pub use zipkin::zipkin_router;
