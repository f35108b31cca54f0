//! Outpost's own endpoints under `/outpost/v1/`, served on every HTTP
//! listener so a test needs one base URL: reading and moving the clock.

use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use outpost_config::PromDuration;
use serde::{Deserialize, Serialize};

use outpost_clock::Clock;

use crate::envelope::{ApiError, success};

#[derive(Serialize)]
struct ClockView {
    mode: &'static str,
    time: String,
    #[serde(rename = "unixMillis")]
    unix_millis: i64,
}

/// What the `/outpost/v1/` endpoints reach.
#[derive(Clone)]
pub struct OutpostState {
    /// The process clock.
    pub clock: Clock,
}

fn view(s: &OutpostState) -> ClockView {
    let ms = s.clock.now_ms();
    ClockView {
        mode: s.clock.mode().as_str(),
        time: format_rfc3339(ms),
        unix_millis: ms,
    }
}

use outpost_clock::text::{parse_time, rfc3339_nano as format_rfc3339};

async fn get_clock(State(s): State<OutpostState>) -> Response {
    success(view(&s))
}

#[derive(Deserialize)]
struct AdvanceParams {
    by: Option<String>,
}

async fn advance(
    State(s): State<OutpostState>,
    Query(p): Query<AdvanceParams>,
) -> Result<Response, ApiError> {
    let by = p
        .by
        .ok_or_else(|| ApiError::bad_data("missing parameter \"by\" (a duration such as 90s)"))?;
    let d = PromDuration::parse(&by)
        .map_err(|e| ApiError::bad_data(format!("invalid parameter \"by\": {e}")))?;
    s.clock
        .advance(d.0)
        .map_err(|e| ApiError::bad_data(e.to_string()))?;
    tracing::info!(by = %d, now_ms = s.clock.now_ms(), "clock advanced");
    Ok(success(view(&s)))
}

#[derive(Deserialize)]
struct SetParams {
    time: Option<String>,
}

async fn set(
    State(s): State<OutpostState>,
    Query(p): Query<SetParams>,
) -> Result<Response, ApiError> {
    let t = p.time.ok_or_else(|| {
        ApiError::bad_data("missing parameter \"time\" (RFC 3339 or Unix seconds)")
    })?;
    let ms = parse_time(&t)
        .map_err(|e| ApiError::bad_data(format!("invalid parameter \"time\": {e}")))?;
    s.clock
        .set(ms)
        .map_err(|e| ApiError::bad_data(e.to_string()))?;
    tracing::info!(now_ms = ms, "clock set");
    Ok(success(view(&s)))
}

/// The `/outpost/v1/` routes.
pub fn router(state: OutpostState) -> Router {
    Router::new()
        .route("/outpost/v1/clock", get(get_clock))
        .route("/outpost/v1/clock/advance", post(advance))
        .route("/outpost/v1/clock/set", post(set))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use super::*;
    use crate::test_util::call;

    #[test]
    fn times() {
        assert_eq!(parse_time("1700000000").unwrap(), 1_700_000_000_000);
        assert_eq!(parse_time("1700000000.5").unwrap(), 1_700_000_000_500);
        assert_eq!(
            parse_time("2026-11-24T10:00:00Z").unwrap(),
            1_795_514_400_000
        );
        assert!(parse_time("yesterday").is_err());
        assert_eq!(format_rfc3339(1_795_514_400_000), "2026-11-24T10:00:00Z");
    }

    #[tokio::test]
    async fn manual_clock_moves_through_the_api() {
        let r = router(OutpostState {
            clock: Clock::manual(1_000_000),
        });
        let (code, body) = call(&r, "POST", "/outpost/v1/clock/advance?by=90s").await;
        assert_eq!(code, StatusCode::OK, "{body}");
        assert!(body.contains("\"unixMillis\":1090000"), "{body}");
        let (code, body) = call(
            &r,
            "POST",
            "/outpost/v1/clock/set?time=2026-11-24T10:00:00Z",
        )
        .await;
        assert_eq!(code, StatusCode::OK, "{body}");
        let (_, body) = call(&r, "GET", "/outpost/v1/clock").await;
        assert_eq!(
            body,
            r#"{"status":"success","data":{"mode":"manual","time":"2026-11-24T10:00:00Z","unixMillis":1795514400000}}"#
        );
        let (code, body) = call(&r, "POST", "/outpost/v1/clock/advance?by=5x").await;
        assert_eq!(code, StatusCode::BAD_REQUEST);
        assert!(body.contains("\"errorType\":\"bad_data\""), "{body}");
        let (code, body) = call(
            &r,
            "POST",
            "/outpost/v1/clock/set?time=2020-01-01T00:00:00Z",
        )
        .await;
        assert_eq!(code, StatusCode::BAD_REQUEST);
        assert!(body.contains("cannot move backwards"), "{body}");
        // Regression (issue 16.2): far-future times and huge steps are
        // refused instead of pushing every deadline past i64.
        for uri in [
            "/outpost/v1/clock/set?time=1e300",
            "/outpost/v1/clock/set?time=10000-01-01T00:00:00Z",
            "/outpost/v1/clock/advance?by=300000000y",
        ] {
            let (code, body) = call(&r, "POST", uri).await;
            assert_eq!(code, StatusCode::BAD_REQUEST, "{uri}: {body}");
        }
        let (_, body) = call(&r, "GET", "/outpost/v1/clock").await;
        assert!(body.contains("2026-11-24T10:00:00Z"), "{body}");
        let (code, _b) = call(
            &r,
            "POST",
            "/outpost/v1/clock/set?time=9999-12-30T21:59:59Z",
        )
        .await;
        assert_eq!(code, StatusCode::OK, "{_b}");
        let (code, body) = call(&r, "POST", "/outpost/v1/clock/advance?by=2s").await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{body}");
        assert!(body.contains("out of range"), "{body}");
    }

    #[tokio::test]
    async fn system_clock_refuses_to_move() {
        let r = router(OutpostState {
            clock: Clock::system(),
        });
        let (code, body) = call(&r, "POST", "/outpost/v1/clock/advance?by=1m").await;
        assert_eq!(code, StatusCode::BAD_REQUEST);
        assert!(body.contains("--clock manual"), "{body}");
    }
}
