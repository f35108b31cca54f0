//! Alertmanager API v2 (`/api/v2/...`, per Alertmanager 0.25's OpenAPI spec)
//! and Outpost's notification outbox (`/outpost/v1/notifications`) on the
//! alertmanager listener. Errors ([`AmError`]) use Alertmanager's bodies:
//! JSON strings from its handlers, go-swagger's `{"code","message"}` objects
//! from request validation (400 for unparsable bodies, 422 otherwise).

mod alerts;
mod models;
mod silences;
mod status;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use std::sync::Arc;

use axum::body::Bytes;
use outpost_alertmanager::Alertmanager;

use crate::body::{BodyError, TooLargeCounter, read_body};

/// go-swagger's code for a body or parameter that does not parse as JSON of
/// the right shape; answered with status 400.
pub(crate) const SWAGGER_PARSE: u16 = 400;
/// go-swagger's code for a value of the wrong format (`must be of type
/// uuid`); answered with status 422.
pub(crate) const SWAGGER_INVALID_TYPE: u16 = 601;
/// go-swagger's code for a missing required value (`... in body is
/// required`); answered with status 422.
pub(crate) const SWAGGER_REQUIRED: u16 = 602;
/// go-swagger's code for a list with fewer items than required (`should
/// have at least 1 items`); answered with status 422.
pub(crate) const SWAGGER_TOO_FEW_ITEMS: u16 = 612;

/// An error of the Alertmanager API; every handler returns
/// `Result<Response, AmError>` and [`IntoResponse`] maps it once.
#[derive(Debug)]
pub(crate) enum AmError {
    /// An error of Alertmanager's own handlers: a JSON string body with this
    /// status (400 for bad input, 404 for an unknown silence on update, 500
    /// for a failed store or expire).
    Text(StatusCode, String),
    /// A go-swagger validation error, `{"code": …, "message": …}`: one of
    /// [`SWAGGER_PARSE`], [`SWAGGER_INVALID_TYPE`], [`SWAGGER_REQUIRED`] or
    /// [`SWAGGER_TOO_FEW_ITEMS`].
    Swagger(u16, String),
    /// A status with an empty body (404 for an unknown silence, 503 when no
    /// Alertmanager runs on this listener).
    Empty(StatusCode),
}

impl AmError {
    /// 400 with Alertmanager's JSON string body.
    pub(crate) fn bad_request(msg: impl Into<String>) -> Self {
        AmError::Text(StatusCode::BAD_REQUEST, msg.into())
    }

    /// 500 with Alertmanager's JSON string body.
    pub(crate) fn internal(msg: impl Into<String>) -> Self {
        AmError::Text(StatusCode::INTERNAL_SERVER_ERROR, msg.into())
    }

    /// The HTTP status this error answers with.
    fn status(&self) -> StatusCode {
        match self {
            AmError::Text(code, _) | AmError::Empty(code) => *code,
            AmError::Swagger(SWAGGER_PARSE, _) => StatusCode::BAD_REQUEST,
            AmError::Swagger(_, _) => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

impl IntoResponse for AmError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match self {
            AmError::Text(_, msg) => serde_json::to_string(&msg).unwrap_or_default(),
            AmError::Swagger(code, message) => {
                serde_json::json!({ "code": code, "message": message }).to_string()
            }
            AmError::Empty(_) => return status.into_response(),
        };
        (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
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
    /// `outpost_http_request_body_too_large_total{family="alertmanager"}`.
    pub too_large: Arc<TooLargeCounter>,
}

impl AmState {
    /// The API over `alertmanager`, with its own body-size counter.
    pub fn new(alertmanager: Alertmanager) -> Self {
        AmState {
            alertmanager,
            too_large: Arc::new(TooLargeCounter::new("alertmanager")),
        }
    }
}

/// Largest request body of the API (`POST /api/v2/alerts` and
/// `/api/v2/silences`). Alertmanager itself reads bodies whole; the cap keeps
/// one request from exhausting memory while leaving room for batches of
/// thousands of alerts (Prometheus sends at most 64 per request by default).
pub(crate) const AM_BODY_BYTES: usize = 16 << 20;

/// A request body read within [`AM_BODY_BYTES`]; larger ones are answered 413
/// and counted.
pub(crate) struct AmBody(pub(crate) Bytes);

impl axum::extract::FromRequest<AmState> for AmBody {
    type Rejection = AmError;

    async fn from_request(req: axum::extract::Request, s: &AmState) -> Result<Self, AmError> {
        let (parts, body) = req.into_parts();
        match read_body(&parts.headers, body, AM_BODY_BYTES).await {
            Ok(b) => Ok(AmBody(b)),
            Err(e @ BodyError::TooLarge { .. }) => {
                s.too_large.inc();
                Err(AmError::Text(StatusCode::PAYLOAD_TOO_LARGE, e.to_string()))
            }
            Err(e) => Err(AmError::bad_request(e.to_string())),
        }
    }
}

/// Outpost's notification outbox, `GET /outpost/v1/notifications`; the
/// binary serves it on every HTTP listener, as all of `/outpost/v1/`.
pub fn outbox_router(state: AmState) -> Router {
    Router::new()
        .route("/outpost/v1/notifications", get(status::get_notifications))
        .with_state(state)
}

/// The Alertmanager API v2 routes.
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
        .route("/metrics", get(status::get_metrics))
        .route(
            "/api/v1/{*rest}",
            post(status::v1_gone).get(status::v1_gone),
        )
        .with_state(state)
}

#[cfg(test)]
mod tests;
