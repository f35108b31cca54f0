//! `GET|POST /api/v2/alerts` and `GET /api/v2/alerts/groups`.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use outpost_alertmanager::{AlertQuery, Alertmanager, Error, LabelSet, PostableAlert, parse_time};
use outpost_config::parse_matchers;
use serde_json::Value;

use super::AmState;
use super::models::{AlertGroup, GettableAlert, ReceiverRef};
use super::{AmBody, AmError, SWAGGER_PARSE, SWAGGER_REQUIRED, json_ok, query_pairs};

pub(super) fn am(s: &AmState) -> Result<&Alertmanager, AmError> {
    Ok(&s.alertmanager)
}

fn parse_failed(why: impl std::fmt::Display) -> AmError {
    AmError::Swagger(
        SWAGGER_PARSE,
        format!("parsing alerts body from \"\" failed, because {why}"),
    )
}

fn string_map(v: Option<&Value>, what: &str) -> Result<LabelSet, AmError> {
    match v {
        None | Some(Value::Null) => Ok(LabelSet::new()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                _ => Err(parse_failed(format!(
                    "json: cannot unmarshal {v} into Go struct field {what} of type string"
                ))),
            })
            .collect(),
        Some(other) => Err(parse_failed(format!(
            "json: cannot unmarshal {other} into Go struct field {what} of type models.LabelSet"
        ))),
    }
}

fn time_field(v: Option<&Value>) -> Result<Option<i64>, AmError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => parse_time(s).map_err(parse_failed),
        Some(other) => Err(parse_failed(format!("invalid date-time {other}"))),
    }
}

/// Decodes the body as go-swagger binds it; the first problem wins.
fn decode_alerts(body: &[u8]) -> Result<Vec<PostableAlert>, AmError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(AmError::Swagger(
            SWAGGER_REQUIRED,
            "alerts in body is required".into(),
        ));
    }
    let v: Value = serde_json::from_slice(body).map_err(parse_failed)?;
    let Value::Array(items) = v else {
        return Err(parse_failed(
            "json: cannot unmarshal object into Go value of type models.PostableAlerts",
        ));
    };
    let mut out = Vec::with_capacity(items.len());
    let mut missing_labels = None;
    for (i, item) in items.iter().enumerate() {
        let Value::Object(o) = item else {
            return Err(parse_failed(format!(
                "json: cannot unmarshal {item} into Go value of type models.PostableAlert"
            )));
        };
        if missing_labels.is_none() && o.get("labels").is_none_or(Value::is_null) {
            missing_labels = Some(i);
        }
        let generator_url = match o.get("generatorURL") {
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        };
        out.push(PostableAlert {
            labels: string_map(o.get("labels"), "labels")?,
            annotations: string_map(o.get("annotations"), "annotations")?,
            starts_at: time_field(o.get("startsAt"))?,
            ends_at: time_field(o.get("endsAt"))?,
            generator_url,
        });
    }
    if let Some(i) = missing_labels {
        return Err(AmError::Swagger(
            SWAGGER_REQUIRED,
            format!("{i}.labels in body is required"),
        ));
    }
    Ok(out)
}

pub(super) async fn post_alerts(
    State(s): State<AmState>,
    AmBody(body): AmBody,
) -> Result<Response, AmError> {
    let am = am(&s)?;
    let alerts = decode_alerts(&body)?;
    match am.put_alerts(alerts) {
        Ok(()) => Ok(StatusCode::OK.into_response()),
        Err(e @ Error::InvalidAlerts(_)) => Err(AmError::bad_request(e.to_string())),
        Err(e) => Err(AmError::internal(e.to_string())),
    }
}

/// go-swagger's binding of a bool query parameter (`swag.ConvertBool`): an
/// empty value keeps the default (`true` for every one here); `true`, `1`,
/// `yes`, `ok`, `y`, `on`, `selected`, `checked`, `t` and `enabled` (any
/// case) are true; anything else is false, never an error.
fn parse_bool(v: &str) -> bool {
    v.is_empty()
        || matches!(
            v.to_ascii_lowercase().as_str(),
            "true" | "1" | "yes" | "ok" | "y" | "on" | "selected" | "checked" | "t" | "enabled"
        )
}

/// The filters of `GET /alerts` and `/alerts/groups`.
pub(super) fn alert_query(q: Option<&str>) -> Result<AlertQuery, AmError> {
    let mut out = AlertQuery::default();
    for (k, v) in query_pairs(q) {
        match k.as_str() {
            "active" => out.active = parse_bool(&v),
            "silenced" => out.silenced = parse_bool(&v),
            "inhibited" => out.inhibited = parse_bool(&v),
            "unprocessed" => out.unprocessed = parse_bool(&v),
            // Accepted (v0.28); muting is not a filter here.
            "muted" => {}
            "receiver" => out.receiver = Some(v),
            "filter" => out
                .filter
                .extend(parse_matchers(&v).map_err(AmError::bad_request)?),
            _ => {}
        }
    }
    Ok(out)
}

fn query_error(e: Error) -> AmError {
    AmError::bad_request(e.to_string())
}

pub(super) async fn get_alerts(
    State(s): State<AmState>,
    RawQuery(q): RawQuery,
) -> Result<Response, AmError> {
    let am = am(&s)?;
    let q = alert_query(q.as_deref())?;
    let list: Vec<GettableAlert> = am
        .alerts(&q)
        .map_err(query_error)?
        .into_iter()
        .map(GettableAlert::from)
        .collect();
    Ok(json_ok(&list))
}

pub(super) async fn get_groups(
    State(s): State<AmState>,
    RawQuery(q): RawQuery,
) -> Result<Response, AmError> {
    let am = am(&s)?;
    let q = alert_query(q.as_deref())?;
    let list: Vec<AlertGroup> = am
        .alert_groups(&q)
        .map_err(query_error)?
        .into_iter()
        .map(|g| AlertGroup {
            labels: g.labels,
            receiver: ReceiverRef { name: g.receiver },
            alerts: g.alerts.into_iter().map(GettableAlert::from).collect(),
        })
        .collect();
    Ok(json_ok(&list))
}
