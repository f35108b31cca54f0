//! The Prometheus API family on the prometheus listener: queries
//! (`query`, `query_range`, `parse_query`, `format_query`), series, labels
//! and metadata, targets, rules and alerts, status pages, `/federate`, and
//! the remote-write receiver. Errors go through [`ApiError`](crate::ApiError) (Prometheus'
//! envelope); domain errors become it through `From` impls in `error.rs`.

mod error;
mod meta;
mod params;
mod parse_query;
mod query;
mod remote_write;
mod rules;
mod series;
mod status;
mod targets;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use outpost_clock::Clock;
use outpost_config::Stack;
use outpost_promql::Engine;
use outpost_rules::RuleManager;
use outpost_scrape::ScrapeManager;
use outpost_tsdb::Tsdb;
use tokio::sync::watch;

pub use remote_write::RemoteWriteCounters;

use crate::metrics::SelfMetrics;

/// What the Prometheus API reaches.
#[derive(Clone)]
pub struct PromState {
    /// The process clock (query defaults, status pages).
    pub clock: Clock,
    /// The metrics store.
    pub tsdb: Arc<Tsdb>,
    /// The PromQL engine over `tsdb`.
    pub promql: Arc<Engine>,
    /// Targets and their health.
    pub scrape: Arc<ScrapeManager>,
    /// Rule groups and their alerts.
    pub rules: RuleManager,
    /// The running configuration (`/api/v1/status/config`).
    pub config: watch::Receiver<Arc<Stack>>,
    /// Command-line flags as `/api/v1/status/flags` shows them.
    pub flags: Arc<BTreeMap<String, String>>,
    /// Start and reload times for `/api/v1/status/runtimeinfo`.
    pub metrics: Arc<SelfMetrics>,
    /// Counts of the remote-write receiver.
    pub remote_write: Arc<RemoteWriteCounters>,
    /// Bounds concurrent query evaluations (`--query.max-concurrency`).
    pub query_gate: Arc<tokio::sync::Semaphore>,
}

/// The Prometheus HTTP API routes.
pub fn router(state: PromState) -> Router {
    Router::new()
        .route("/api/v1/write", post(remote_write::handle))
        .route("/api/v1/targets", get(targets::handle))
        .route("/api/v1/series", get(series::series).post(series::series))
        .route("/api/v1/labels", get(series::labels).post(series::labels))
        .route("/api/v1/label/{name}/values", get(series::label_values))
        .route("/api/v1/status/tsdb", get(status::tsdb))
        .route("/api/v1/query", get(query::instant).post(query::instant))
        .route("/api/v1/status/buildinfo", get(meta::buildinfo))
        .route("/api/v1/status/config", get(meta::config))
        .route("/api/v1/status/flags", get(meta::flags))
        .route("/api/v1/status/runtimeinfo", get(meta::runtimeinfo))
        .route("/api/v1/metadata", get(meta::metadata))
        .route("/api/v1/targets/metadata", get(meta::targets_metadata))
        .route(
            "/api/v1/format_query",
            get(meta::format_query).post(meta::format_query),
        )
        .route(
            "/api/v1/query_exemplars",
            get(meta::query_exemplars).post(meta::query_exemplars),
        )
        .route(
            "/api/v1/parse_query",
            get(parse_query::handle).post(parse_query::handle),
        )
        .route("/federate", get(meta::federate))
        .route("/api/v1/rules", get(rules::rules).post(rules::rules))
        .route("/api/v1/alerts", get(rules::alerts))
        .route("/api/v1/query_range", get(query::range).post(query::range))
        .with_state(state)
}
