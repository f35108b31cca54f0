//! `POST|PUT /-/reload`: re-read the configs, keep the old ones if the new are invalid.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use crate::AppState;

/// Re-reads the configs and swaps them in when valid.
pub trait Reload: Send + Sync {
    /// Reloads; on failure the running config stays and the error says why.
    fn reload(&self) -> Result<(), String>;
}

async fn reload(State(s): State<AppState>) -> Response {
    // Reading a few config files is quick; doing it inline keeps reloads ordered.
    match s.reloader.reload() {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("failed to reload config: {e}\n"),
        )
            .into_response(),
    }
}

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/-/reload", post(reload).put(reload))
}
