//! The Prometheus API family on the prometheus listener. Today: the
//! remote-write receiver; the query API lands with the PromQL issue.

mod remote_write;

use axum::Router;
use axum::routing::post;

pub use remote_write::RemoteWriteCounters;

use crate::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/write", post(remote_write::handle))
}
