//! Outpost's own endpoints under `/outpost/v1/` on the prometheus listener:
//! reading and moving the clock.

use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use outpost_config::PromDuration;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::envelope::{ApiError, success};

#[derive(Serialize)]
struct ClockView {
    mode: &'static str,
    time: String,
    #[serde(rename = "unixMillis")]
    unix_millis: i64,
}

fn view(s: &AppState) -> ClockView {
    let ms = s.clock.now_ms();
    ClockView {
        mode: s.clock.mode().as_str(),
        time: format_rfc3339(ms),
        unix_millis: ms,
    }
}

use outpost_clock::text::{parse_time, rfc3339_nano as format_rfc3339};

async fn get_clock(State(s): State<AppState>) -> Response {
    success(view(&s))
}

#[derive(Deserialize)]
struct AdvanceParams {
    by: Option<String>,
}

async fn advance(
    State(s): State<AppState>,
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

async fn set(State(s): State<AppState>, Query(p): Query<SetParams>) -> Result<Response, ApiError> {
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

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/outpost/v1/clock", get(get_clock))
        .route("/outpost/v1/clock/advance", post(advance))
        .route("/outpost/v1/clock/set", post(set))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
