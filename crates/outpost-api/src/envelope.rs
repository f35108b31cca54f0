//! The Prometheus API envelope (`{"status":"success","data":...}`) and the one
//! mapping from errors to Prometheus' error types and status codes.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Prometheus' `errorType` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    /// 400: the request is malformed.
    BadData,
    /// 422: the query could not be executed.
    Execution,
    /// 503: the query timed out.
    Timeout,
    /// 503: the query was canceled.
    Canceled,
    /// 404: no such resource.
    NotFound,
    /// 500: an internal failure.
    Internal,
    /// 503: not ready.
    Unavailable,
}

impl ErrorType {
    /// The `errorType` text.
    pub fn as_str(self) -> &'static str {
        self.parts().1
    }

    fn parts(self) -> (StatusCode, &'static str) {
        match self {
            ErrorType::BadData => (StatusCode::BAD_REQUEST, "bad_data"),
            ErrorType::Execution => (StatusCode::UNPROCESSABLE_ENTITY, "execution"),
            ErrorType::Timeout => (StatusCode::SERVICE_UNAVAILABLE, "timeout"),
            ErrorType::Canceled => (StatusCode::SERVICE_UNAVAILABLE, "canceled"),
            ErrorType::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            ErrorType::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            ErrorType::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        }
    }
}

/// An error answered in Prometheus' envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// Prometheus' error type, which also decides the HTTP status.
    pub kind: ErrorType,
    /// Message, lowercase.
    pub message: String,
}

impl ApiError {
    /// A `bad_data` error.
    pub fn bad_data(message: impl Into<String>) -> Self {
        ApiError {
            kind: ErrorType::BadData,
            message: message.into(),
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    status: &'static str,
    #[serde(rename = "errorType")]
    error_type: &'static str,
    error: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (code, name) = self.kind.parts();
        let body = ErrorBody {
            status: "error",
            error_type: name,
            error: &self.message,
        };
        (code, Json(body)).into_response()
    }
}

#[derive(Serialize)]
struct SuccessBody<T: Serialize> {
    status: &'static str,
    data: T,
}

/// A `{"status":"success","data":...}` response.
pub fn success<T: Serialize>(data: T) -> Response {
    Json(SuccessBody {
        status: "success",
        data,
    })
    .into_response()
}
