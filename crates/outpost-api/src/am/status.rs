//! `GET /api/v2/status`, `/api/v2/receivers`, `/metrics`, the v1 tombstone
//! and Outpost's `/outpost/v1/notifications`.

use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use outpost_alertmanager::{NotificationFilter, format_api_time, parse_time};
use serde_json::json;

use super::AmState;
use super::alerts::am;
use super::models::ReceiverRef;
use super::{AmError, json_ok, query_pairs};

/// The Alertmanager version Outpost answers as (amtool checks major.minor).
pub(crate) const AM_VERSION: &str = "0.25.0";

pub(super) async fn get_status(State(s): State<AmState>) -> Result<Response, AmError> {
    let am = am(&s)?;
    Ok(json_ok(&json!({
        "cluster": { "status": "disabled", "peers": [] },
        "versionInfo": {
            "version": AM_VERSION,
            "revision": concat!("outpost-", env!("CARGO_PKG_VERSION")),
            "branch": "outpost",
            "buildUser": "outpost",
            "buildDate": "",
            "goVersion": "none (outpost)",
        },
        "config": { "original": am.config_original() },
        "uptime": format_api_time(am.started_ms()),
    })))
}

pub(super) async fn get_receivers(State(s): State<AmState>) -> Result<Response, AmError> {
    let am = am(&s)?;
    let list: Vec<ReceiverRef> = am
        .receivers()
        .into_iter()
        .map(|name| ReceiverRef { name })
        .collect();
    Ok(json_ok(&list))
}

/// `since`: RFC 3339 or Unix seconds.
fn since_ms(v: &str) -> Result<i64, AmError> {
    if let Ok(secs) = v.parse::<f64>() {
        return Ok((secs * 1000.0) as i64);
    }
    match parse_time(v) {
        Ok(t) => Ok(t.unwrap_or(i64::MIN)),
        Err(e) => Err(AmError::bad_request(format!("invalid since: {e}"))),
    }
}

pub(super) async fn get_notifications(
    State(s): State<AmState>,
    RawQuery(q): RawQuery,
) -> Result<Response, AmError> {
    let am = am(&s)?;
    let mut f = NotificationFilter::default();
    for (k, v) in query_pairs(q.as_deref()) {
        match k.as_str() {
            "receiver" => f.receiver = Some(v),
            "integration" => f.integration = Some(v),
            "status" => f.status = Some(v),
            "since" => f.since_ms = Some(since_ms(&v)?),
            _ => {}
        }
    }
    Ok(json_ok(&am.notifications(&f)))
}

pub(super) async fn get_metrics(State(s): State<AmState>) -> Result<Response, AmError> {
    let am = am(&s)?;
    let mut text = String::new();
    am.render_metrics(&mut text);
    Ok((
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

pub(super) async fn v1_gone() -> Response {
    (
        StatusCode::GONE,
        [(header::CONTENT_TYPE, "application/json")],
        json!({
            "status": "deprecated",
            "error": "The Alertmanager v1 API was deprecated in version 0.16.0 and is removed as of version 0.27.0 - please use the equivalent route in the v2 API",
        })
        .to_string(),
    )
        .into_response()
}
