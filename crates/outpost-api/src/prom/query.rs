//! `/api/v1/query` and `/api/v1/query_range` (GET and POST), with
//! Prometheus' result encoding: values as strings (`NaN`, `+Inf`),
//! timestamps as float seconds, and `warnings`/`infos` annotations.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use outpost_promql::{Output, QueryContext, Value};
use serde::Serialize;
use serde_json::{Value as Json_, json};

use super::PromState;
use super::params::{Params, parse_time};
use crate::envelope::ApiError;

/// A float as Prometheus writes sample values.
pub(crate) use outpost_exposition::go_float as format_value;

fn ts(t: i64) -> Json_ {
    // Seconds with millisecond precision, as a JSON number.
    if t % 1000 == 0 {
        json!(t / 1000)
    } else {
        json!(t as f64 / 1000.0)
    }
}

fn metric(l: &outpost_tsdb::Labels) -> BTreeMap<&str, &str> {
    l.iter().collect()
}

fn encode(v: &Value) -> Json_ {
    match v {
        Value::Scalar { t, v } => {
            json!({"resultType": "scalar", "result": [ts(*t), format_value(*v)]})
        }
        Value::String { t, v } => json!({"resultType": "string", "result": [ts(*t), v]}),
        Value::Vector(samples) => json!({
            "resultType": "vector",
            "result": samples.iter().map(|s| json!({"metric": metric(&s.labels), "value": [ts(s.t), format_value(s.v)]})).collect::<Vec<_>>(),
        }),
        Value::Matrix(series) => json!({
            "resultType": "matrix",
            "result": series.iter().map(|s| json!({
                "metric": metric(&s.labels),
                "values": s.points.iter().map(|(t, v)| json!([ts(*t), format_value(*v)])).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        }),
    }
}

#[derive(Serialize)]
struct Body {
    status: &'static str,
    data: Json_,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    infos: Vec<String>,
}

fn respond(out: Output) -> Response {
    Json(Body {
        status: "success",
        data: encode(&out.value),
        warnings: out.warnings,
        infos: out.infos,
    })
    .into_response()
}

fn query_param(p: &Params) -> Result<String, ApiError> {
    match p.get("query") {
        Some(q) if !q.trim().is_empty() => Ok(q.to_string()),
        _ => Err(ApiError::bad_data(
            "invalid parameter \"query\": 1:1: parse error: no expression found in input",
        )),
    }
}

/// A step: float seconds or a Prometheus duration.
fn parse_step(s: &str) -> Result<i64, ApiError> {
    if let Ok(f) = s.parse::<f64>()
        && f.is_finite()
    {
        return Ok((f * 1000.0).round() as i64);
    }
    outpost_config::PromDuration::parse(s)
        .map(|d| d.as_millis())
        .map_err(|_| {
            ApiError::bad_data(format!(
                "invalid parameter \"step\": cannot parse \"{s}\" to a valid duration"
            ))
        })
}

pub(super) async fn instant(State(s): State<PromState>, p: Params) -> Result<Response, ApiError> {
    let query = query_param(&p)?;
    let t = p.time("time", s.clock.now_ms())?;
    let engine = s.promql.clone();
    let ctx = CancelOnDrop(QueryContext::new());
    let c = ctx.0.clone();
    let out = evaluate(&s, move || engine.instant_with(&query, t, &c)).await?;
    drop(ctx);
    Ok(respond(out))
}

pub(super) async fn range(State(s): State<PromState>, p: Params) -> Result<Response, ApiError> {
    let query = query_param(&p)?;
    let required = |k: &str| -> Result<i64, ApiError> {
        let v = p.get(k).ok_or_else(|| {
            ApiError::bad_data(format!(
                "invalid parameter \"{k}\": cannot parse \"\" to a valid timestamp"
            ))
        })?;
        parse_time(v).map_err(|_| {
            ApiError::bad_data(format!(
                "invalid parameter \"{k}\": cannot parse \"{v}\" to a valid timestamp"
            ))
        })
    };
    let start = required("start")?;
    let end = required("end")?;
    if end < start {
        return Err(ApiError::bad_data(
            "invalid parameter \"end\": end timestamp must not be before start time",
        ));
    }
    let step = parse_step(p.get("step").unwrap_or(""))?;
    if step <= 0 {
        return Err(ApiError::bad_data(
            "invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer",
        ));
    }
    // Checked: start and end are bounded by the parser, but their span may
    // still not fit an i64 of milliseconds.
    let span = end
        .checked_sub(start)
        .ok_or_else(|| ApiError::bad_data("invalid parameter \"end\": time range too large"))?;
    if span / step > 11_000 {
        return Err(ApiError::bad_data(
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
        ));
    }
    let engine = s.promql.clone();
    let ctx = CancelOnDrop(QueryContext::new());
    let c = ctx.0.clone();
    let out = evaluate(&s, move || engine.range_with(&query, start, end, step, &c)).await?;
    drop(ctx);
    Ok(respond(out))
}

/// Cancels a running evaluation when the request handling it is dropped
/// (the client went away), so abandoned queries stop at their next check.
struct CancelOnDrop(QueryContext);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// Runs one evaluation on the blocking pool, off the async workers, once a
/// slot of `--query.max-concurrency` is free (queries beyond it wait, as in
/// Prometheus' active query tracker).
pub(super) async fn evaluate<T: Send + 'static>(
    s: &PromState,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    // The gate is never closed, so acquiring cannot fail; the permit lives
    // until the evaluation returns.
    let _permit = s.query_gate.acquire().await;
    match tokio::task::spawn_blocking(f).await {
        Ok(v) => v,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}
