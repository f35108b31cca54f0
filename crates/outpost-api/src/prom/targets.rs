//! `GET /api/v1/targets` in Prometheus' shape (state and scrapePool filters).

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;

use super::PromState;
use super::params::Params;
use crate::envelope::{ApiError, success};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Active {
    discovered_labels: BTreeMap<String, String>,
    labels: BTreeMap<String, String>,
    scrape_pool: String,
    scrape_url: String,
    global_url: String,
    last_error: String,
    last_scrape: String,
    last_scrape_duration: f64,
    health: &'static str,
    scrape_interval: String,
    scrape_timeout: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Dropped {
    discovered_labels: BTreeMap<String, String>,
    scrape_pool: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    #[serde(skip_serializing_if = "Option::is_none")]
    active_targets: Option<Vec<Active>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dropped_targets: Option<Vec<Dropped>>,
    dropped_target_counts: BTreeMap<String, usize>,
}

/// Go's zero time, which Prometheus reports before the first scrape.
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

pub(crate) fn rfc3339(ms: i64) -> String {
    if ms == 0 {
        return ZERO_TIME.to_string();
    }
    outpost_clock::text::rfc3339_nano(ms)
}

pub(super) async fn handle(State(s): State<PromState>, p: Params) -> Result<Response, ApiError> {
    let state = p.get("state").unwrap_or("any").to_ascii_lowercase();
    let pool = p.get("scrapePool").filter(|v| !v.is_empty());
    let (show_active, show_dropped) = match state.as_str() {
        "active" => (true, false),
        "dropped" => (false, true),
        _ => (true, true),
    };
    let keep = |name: &str| pool.is_none_or(|p| p == name);
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let dropped: Vec<Dropped> = s
        .scrape
        .dropped_targets()
        .into_iter()
        .inspect(|d| *counts.entry(d.scrape_pool.clone()).or_default() += 1)
        .filter(|d| keep(&d.scrape_pool))
        .map(|d| Dropped {
            discovered_labels: d.discovered_labels.into_iter().collect(),
            scrape_pool: d.scrape_pool,
        })
        .collect();
    let active: Vec<Active> = s
        .scrape
        .active_targets()
        .into_iter()
        .filter(|t| keep(&t.scrape_pool))
        .map(|t| Active {
            discovered_labels: t.discovered_labels.into_iter().collect(),
            labels: t.labels.into_iter().collect(),
            scrape_pool: t.scrape_pool,
            global_url: t.scrape_url.clone(),
            scrape_url: t.scrape_url,
            last_error: t.health.last_error,
            last_scrape: rfc3339(t.health.last_scrape_ms),
            last_scrape_duration: t.health.last_scrape_duration,
            health: t.health.health.as_str(),
            scrape_interval: t.scrape_interval,
            scrape_timeout: t.scrape_timeout,
        })
        .collect();
    Ok(success(Body {
        active_targets: show_active.then_some(active),
        dropped_targets: show_dropped.then_some(dropped),
        dropped_target_counts: counts,
    }))
}
