//! The query APIs' one error type and its two wire forms: Jaeger's v1
//! envelope (`{"data":null,...,"errors":[{"code","msg"}]}`) and API v3's
//! `{"error":{"httpCode","message"}}`. Both are written as Go's `http.Error`
//! writes them: `text/plain; charset=utf-8` and a trailing newline
//! (fact sheet §5.1, §6).

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A failed query: the HTTP status and Jaeger's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryError {
    pub(crate) status: StatusCode,
    pub(crate) msg: String,
}

impl QueryError {
    /// 400 with `msg`.
    pub(crate) fn bad(msg: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            msg: msg.into(),
        }
    }

    /// 404 with `msg`.
    pub(crate) fn not_found(msg: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            msg: msg.into(),
        }
    }
}

impl From<outpost_traces::Error> for QueryError {
    fn from(e: outpost_traces::Error) -> Self {
        match e {
            outpost_traces::Error::InvalidQuery(m) => Self::bad(m),
            other => Self {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                msg: other.to_string(),
            },
        }
    }
}

fn go_http_error(status: StatusCode, body: String) -> Response {
    let mut body = body;
    body.push('\n');
    (
        status,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

/// An error in the v1 (UI JSON) envelope.
#[derive(Debug)]
pub(crate) struct V1Error(pub(crate) QueryError);

impl From<QueryError> for V1Error {
    fn from(e: QueryError) -> Self {
        Self(e)
    }
}

impl IntoResponse for V1Error {
    fn into_response(self) -> Response {
        let QueryError { status, msg } = self.0;
        let body = json!({
            "data": null,
            "total": 0,
            "limit": 0,
            "offset": 0,
            "errors": [{"code": status.as_u16(), "msg": msg}],
        });
        go_http_error(status, super::go_json(&body, false))
    }
}

/// An error in API v3's shape.
#[derive(Debug)]
pub(crate) struct V3Error(pub(crate) QueryError);

impl From<QueryError> for V3Error {
    fn from(e: QueryError) -> Self {
        Self(e)
    }
}

impl IntoResponse for V3Error {
    fn into_response(self) -> Response {
        let QueryError { status, msg } = self.0;
        let body = json!({"error": {"httpCode": status.as_u16(), "message": msg}});
        go_http_error(status, body.to_string())
    }
}
