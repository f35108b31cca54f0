//! `/api/v1/series`, `/api/v1/labels` and `/api/v1/label/{name}/values`
//! over the TSDB, GET and POST, with `match[]`, `start`, `end` and `limit`.

use std::collections::{BTreeMap, BTreeSet};

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::PromState;
use super::params::Params;
use super::query::evaluate;
use crate::envelope::{ApiError, success};

#[derive(Serialize)]
struct WithWarnings<T: Serialize> {
    status: &'static str,
    data: T,
    warnings: Vec<String>,
}

/// Applies `limit`: truncates and adds Prometheus' warning.
fn limited<T: Serialize>(mut v: Vec<T>, limit: usize) -> Response {
    if limit > 0 && v.len() > limit {
        v.truncate(limit);
        return Json(WithWarnings {
            status: "success",
            data: v,
            warnings: vec!["results truncated due to limit".into()],
        })
        .into_response();
    }
    success(v)
}

fn range(p: &Params) -> Result<(i64, i64), ApiError> {
    let start = p.time("start", i64::MIN)?;
    let end = p.time("end", i64::MAX)?;
    if end < start {
        return Err(ApiError::bad_data(
            "invalid parameter \"end\": end timestamp must not be before start time",
        ));
    }
    Ok((start, end))
}

pub(super) async fn series(State(s): State<PromState>, p: Params) -> Result<Response, ApiError> {
    let sets = p.selectors()?;
    if sets.is_empty() {
        return Err(ApiError::bad_data("no match[] parameter provided"));
    }
    let (start, end) = range(&p)?;
    let limit = p.limit()?;
    let tsdb = s.tsdb.clone();
    // A match[] over the whole TSDB is bounded work done off the async
    // workers, under the same concurrency gate as queries.
    let out = evaluate(&s, move || {
        let mut all = BTreeSet::new();
        for set in &sets {
            all.extend(tsdb.series(set, start, end));
        }
        let keep = if limit > 0 { limit + 1 } else { usize::MAX };
        all.into_iter()
            .take(keep)
            .map(|l| {
                l.iter()
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect::<BTreeMap<String, String>>()
            })
            .collect::<Vec<_>>()
    })
    .await;
    Ok(limited(out, limit))
}

/// Runs `query` once with no matchers, or per selector with the results merged.
fn merged(
    sets: &[Vec<outpost_tsdb::Matcher>],
    query: impl Fn(&[outpost_tsdb::Matcher]) -> Vec<String>,
) -> Vec<String> {
    if sets.is_empty() {
        return query(&[]);
    }
    let mut all = BTreeSet::new();
    for set in sets {
        all.extend(query(set));
    }
    all.into_iter().collect()
}

pub(super) async fn labels(State(s): State<PromState>, p: Params) -> Result<Response, ApiError> {
    let sets = p.selectors()?;
    let (start, end) = range(&p)?;
    let limit = p.limit()?;
    let tsdb = s.tsdb.clone();
    let names = evaluate(&s, move || {
        merged(&sets, |m| tsdb.label_names(m, start, end))
    })
    .await;
    Ok(limited(names, limit))
}

pub(super) async fn label_values(
    State(s): State<PromState>,
    Path(name): Path<String>,
    p: Params,
) -> Result<Response, ApiError> {
    let name = match name.strip_prefix("U__") {
        Some(_) => {
            return Err(ApiError::bad_data(format!(
                "invalid label name: {name:?} (UTF-8 escaped label names are not supported)"
            )));
        }
        None => name,
    };
    if !outpost_config::is_valid_label_name(&name) {
        return Err(ApiError::bad_data(format!("invalid label name: {name:?}")));
    }
    let sets = p.selectors()?;
    let (start, end) = range(&p)?;
    let limit = p.limit()?;
    let tsdb = s.tsdb.clone();
    let values = evaluate(&s, move || {
        merged(&sets, |m| tsdb.label_values(&name, m, start, end))
    })
    .await;
    Ok(limited(values, limit))
}
