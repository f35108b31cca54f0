//! `/api/v1/series`, `/api/v1/labels` and `/api/v1/label/{name}/values`
//! over the TSDB, GET and POST, with `match[]`, `start`, `end` and `limit`.

use std::collections::{BTreeMap, BTreeSet};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::params::Params;
use crate::AppState;
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

pub(super) async fn series(
    State(s): State<AppState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let p = Params::new(q.as_deref(), &headers, &body);
    let sets = p.selectors()?;
    if sets.is_empty() {
        return Err(ApiError::bad_data("no match[] parameter provided"));
    }
    let (start, end) = range(&p)?;
    let mut all = BTreeSet::new();
    for set in &sets {
        all.extend(s.tsdb.series(set, start, end));
    }
    let out: Vec<BTreeMap<String, String>> = all
        .into_iter()
        .map(|l| {
            l.iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect()
        })
        .collect();
    Ok(limited(out, p.limit()?))
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

pub(super) async fn labels(
    State(s): State<AppState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let p = Params::new(q.as_deref(), &headers, &body);
    let sets = p.selectors()?;
    let (start, end) = range(&p)?;
    let names = merged(&sets, |m| s.tsdb.label_names(m, start, end));
    Ok(limited(names, p.limit()?))
}

pub(super) async fn label_values(
    State(s): State<AppState>,
    Path(name): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let p = Params::new(q.as_deref(), &headers, &Bytes::new());
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
    let values = merged(&sets, |m| s.tsdb.label_values(&name, m, start, end));
    Ok(limited(values, p.limit()?))
}
