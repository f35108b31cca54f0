//! Alertmanager API v2 (`/api/v2/...`, per Alertmanager 0.25's OpenAPI spec)
//! and Outpost's notification outbox (`/outpost/v1/notifications`) on the
//! alertmanager listener. Errors use Alertmanager's bodies: JSON strings for
//! 400/500, go-swagger's `{"code","message"}` objects for 422.

mod alerts;
mod models;
mod silences;
mod status;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use outpost_alertmanager::Alertmanager;

/// An Alertmanager-style error response.
pub(crate) enum AmError {
    /// 400 (or another code) with a JSON string body.
    Text(StatusCode, String),
    /// go-swagger's `{"code": …, "message": …}`; codes of 600 and above answer 422.
    Swagger(u16, String),
    /// A status with an empty body.
    Empty(StatusCode),
}

impl IntoResponse for AmError {
    fn into_response(self) -> Response {
        match self {
            AmError::Text(code, msg) => (
                code,
                [(header::CONTENT_TYPE, "application/json")],
                serde_json::to_string(&msg).unwrap_or_default(),
            )
                .into_response(),
            AmError::Swagger(code, message) => (
                if code >= 600 {
                    StatusCode::UNPROCESSABLE_ENTITY
                } else {
                    StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST)
                },
                [(header::CONTENT_TYPE, "application/json")],
                serde_json::json!({ "code": code, "message": message }).to_string(),
            )
                .into_response(),
            AmError::Empty(code) => code.into_response(),
        }
    }
}

/// A JSON 200 response.
pub(crate) fn json_ok(v: &impl serde::Serialize) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_string(v).unwrap_or_default(),
    )
        .into_response()
}

pub(crate) use crate::form::query_pairs;

/// What the Alertmanager API reaches.
#[derive(Clone)]
pub struct AmState {
    /// The Alertmanager stand-in.
    pub alertmanager: Alertmanager,
}

/// The Alertmanager API v2 routes and the notification outbox.
pub fn router(state: AmState) -> Router {
    Router::new()
        .route(
            "/api/v2/alerts",
            get(alerts::get_alerts).post(alerts::post_alerts),
        )
        .route("/api/v2/alerts/groups", get(alerts::get_groups))
        .route(
            "/api/v2/silences",
            get(silences::get_silences).post(silences::post_silences),
        )
        .route(
            "/api/v2/silence/{id}",
            get(silences::get_silence).delete(silences::delete_silence),
        )
        .route("/api/v2/status", get(status::get_status))
        .route("/api/v2/receivers", get(status::get_receivers))
        .route("/outpost/v1/notifications", get(status::get_notifications))
        .route("/metrics", get(status::get_metrics))
        .route(
            "/api/v1/{*rest}",
            post(status::v1_gone).get(status::v1_gone),
        )
        .with_state(state)
}

#[cfg(test)]
mod tests;
