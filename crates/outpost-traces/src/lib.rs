//! Outpost's trace row: one span model ([`model`]) that OTLP, Jaeger
//! (gRPC and Thrift) and Zipkin spans are translated into, the bounded
//! in-memory trace store behind a writer/reader contract ([`TraceStore`]),
//! and the queries the Jaeger APIs answer (trace by id, search, services,
//! operations, dependencies).
//!
//! The model follows OTLP (Jaeger v2 stores OTLP too), so the API v3 output
//! is a direct rendering and tag search covers span, scope, resource, event
//! and link attributes; the Jaeger v1 JSON is rendered from it with the
//! OpenTelemetry → Jaeger mapping.

mod error;
mod ingest;
pub mod model;
pub mod render;
pub mod servicegraph;
pub mod spanmetrics;
mod store;
pub mod translate;

pub use error::{Error, Result};
pub use ingest::{SpanObserver, TraceIngest};
pub use servicegraph::{ServiceGraph, ServiceGraphOptions, ServiceGraphStats};
pub use spanmetrics::{SpanMetrics, SpanMetricsOptions, SpanMetricsStats};
pub use store::{
    DependencyLink, Operation, StoreOptions, StoreStats, TraceQuery, TraceStore, WriteStats,
};
