//! The one mapping from domain errors to Prometheus' error envelope
//! (`errorType` and HTTP status, see [`ErrorType`]). Handlers return
//! `Result<Response, ApiError>` and use `?` on domain results.

use crate::envelope::{ApiError, ErrorType};

/// PromQL errors as Prometheus' API answers them: parse errors are
/// `bad_data` (400) naming the `query` parameter; evaluation errors,
/// features Outpost does not evaluate and the samples limit are
/// `execution` (422); the query timeout is `timeout` (503) and a canceled
/// query `canceled` (503).
impl From<outpost_promql::Error> for ApiError {
    fn from(e: outpost_promql::Error) -> Self {
        use outpost_promql::Error as E;
        let kind = match &e {
            E::Parse(_) => ErrorType::BadData,
            E::Execution(_) | E::TooManySamples | E::Unsupported(_) => ErrorType::Execution,
            E::Timeout(_) => ErrorType::Timeout,
            E::Canceled(_) => ErrorType::Canceled,
        };
        let message = match &e {
            E::Parse(m) => format!("invalid parameter \"query\": {m}"),
            other => other.to_string(),
        };
        ApiError { kind, message }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;

    use super::*;

    #[test]
    fn promql_errors_map_to_prometheus_types_and_codes() {
        let cases = [
            (
                outpost_promql::Error::Parse("1:1: parse error".into()),
                StatusCode::BAD_REQUEST,
                "bad_data",
            ),
            (
                outpost_promql::Error::TooManySamples,
                StatusCode::UNPROCESSABLE_ENTITY,
                "execution",
            ),
            (
                outpost_promql::Error::Unsupported("native histograms".into()),
                StatusCode::UNPROCESSABLE_ENTITY,
                "execution",
            ),
            (
                outpost_promql::Error::Timeout("expression evaluation".into()),
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
            ),
        ];
        for (e, code, kind) in cases {
            let api = ApiError::from(e);
            assert_eq!(api.kind.as_str(), kind);
            assert_eq!(api.into_response().status(), code);
        }
    }
}
