//! The Prometheus API family on the prometheus listener: the remote-write
//! receiver, targets, series and label metadata. The query endpoints land
//! with the PromQL issue.

mod meta;
mod params;
mod parse_query;
mod query;
mod remote_write;
mod rules;
mod series;
mod status;
mod targets;

use axum::Router;
use axum::routing::{get, post};

pub use remote_write::RemoteWriteCounters;

use crate::AppState;

pub(crate) fn router() -> Router<AppState> {
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
}
