//! The Prometheus API family on the prometheus listener: the remote-write
//! receiver, targets, series and label metadata. The query endpoints land
//! with the PromQL issue.

mod params;
mod query;
mod remote_write;
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
        .route("/api/v1/query_range", get(query::range).post(query::range))
}
