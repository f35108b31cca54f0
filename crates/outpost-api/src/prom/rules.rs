//! `GET /api/v1/rules` and `GET /api/v1/alerts` in Prometheus' JSON shape.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::Response;
use outpost_rules::{AlertInfo, AlertState, GroupInfo, RuleInfo, format_go_e, rfc3339_nano};
use outpost_tsdb::Matcher;
use serde::Serialize;
use serde_json::{Value, json};

use super::PromState;
use super::params::Params;
use crate::envelope::{ApiError, success};

const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

fn time(ms: Option<i64>) -> String {
    ms.map_or_else(|| ZERO_TIME.to_string(), rfc3339_nano)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ApiAlert {
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
    state: &'static str,
    active_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    keep_firing_since: Option<String>,
    value: String,
}

fn api_alert(a: &AlertInfo) -> ApiAlert {
    ApiAlert {
        labels: a.labels.clone(),
        annotations: a.annotations.clone(),
        state: a.state.as_str(),
        active_at: rfc3339_nano(a.active_at_ms),
        keep_firing_since: a.keep_firing_since_ms.map(rfc3339_nano),
        value: format_go_e(a.value, false),
    }
}

fn rule_json(r: &RuleInfo, exclude_alerts: bool) -> Value {
    let mut m = serde_json::Map::new();
    match &r.alerting {
        Some(a) => {
            let state = match a.state {
                None => "unknown",
                Some(AlertState::Inactive) => "inactive",
                Some(s) => s.as_str(),
            };
            m.insert("state".into(), state.into());
            m.insert("name".into(), r.name.clone().into());
            m.insert("query".into(), r.query.clone().into());
            m.insert("duration".into(), go_num(a.duration_secs));
            m.insert("keepFiringFor".into(), go_num(a.keep_firing_for_secs));
            m.insert("labels".into(), json!(r.labels));
            m.insert("annotations".into(), json!(a.annotations));
            let alerts = if exclude_alerts {
                Value::Null
            } else {
                json!(a.alerts.iter().map(api_alert).collect::<Vec<_>>())
            };
            m.insert("alerts".into(), alerts);
        }
        None => {
            m.insert("name".into(), r.name.clone().into());
            m.insert("query".into(), r.query.clone().into());
            m.insert("labels".into(), json!(r.labels));
        }
    }
    m.insert("health".into(), r.health.as_str().into());
    if let Some(e) = &r.last_error {
        m.insert("lastError".into(), e.clone().into());
    }
    m.insert("evaluationTime".into(), json!(r.evaluation_secs));
    m.insert("lastEvaluation".into(), time(r.last_evaluation_ms).into());
    let kind = if r.alerting.is_some() {
        "alerting"
    } else {
        "recording"
    };
    m.insert("type".into(), kind.into());
    Value::Object(m)
}

fn matches_sets(sets: &[Vec<Matcher>], labels: &BTreeMap<String, String>) -> bool {
    sets.is_empty()
        || sets.iter().any(|set| {
            set.iter().all(|m| {
                let v = labels.get(&m.name).map(String::as_str).unwrap_or("");
                m.matches(v)
            })
        })
}

pub(super) async fn rules(State(s): State<PromState>, p: Params) -> Result<Response, ApiError> {
    let kind = match p.get("type").map(str::to_ascii_lowercase).as_deref() {
        None | Some("") => None,
        Some("alert") => Some(true),
        Some("record") => Some(false),
        Some(other) => {
            return Err(ApiError::bad_data(format!(
                "invalid parameter \"type\": not supported value {other:?}"
            )));
        }
    };
    let exclude_alerts = match p.get("exclude_alerts").map(str::to_ascii_lowercase) {
        None => false,
        Some(v) if v.is_empty() => false,
        Some(v) => parse_bool(&v).ok_or_else(|| {
            ApiError::bad_data(format!(
                "invalid parameter \"exclude_alerts\": error converting exclude_alerts: strconv.ParseBool: parsing {v:?}: invalid syntax"
            ))
        })?,
    };
    let names = p.all("rule_name[]");
    let groups_f = p.all("rule_group[]");
    let files = p.all("file[]");
    let sets = if p.all("match[]").is_empty() {
        Vec::new()
    } else {
        let sets = p.selectors()?;
        for set in &sets {
            if set.iter().all(|m| m.matches("")) {
                return Err(ApiError::bad_data(
                    "match[] must contain at least one non-empty matcher",
                ));
            }
        }
        sets
    };
    let group_limit = match p.get("group_limit") {
        None | Some("") => None,
        Some(v) => match v.parse::<i32>() {
            Ok(n) if n > 0 => Some(n as usize),
            Ok(_) => {
                return Err(ApiError::bad_data("group_limit needs to be greater than 0"));
            }
            Err(_) => {
                return Err(ApiError::bad_data(format!(
                    "group_limit needs to be a valid number: strconv.ParseInt: parsing {v:?}: invalid syntax"
                )));
            }
        },
    };
    let next_token = p.get("group_next_token").filter(|t| !t.is_empty());
    if next_token.is_some() && group_limit.is_none() {
        return Err(ApiError::bad_data(
            "group_limit needs to be present in order to paginate over the groups",
        ));
    }
    let all = s.rules.groups();
    let mut start = 0;
    if let Some(tok) = next_token {
        start = all
            .iter()
            .position(|g| group_token(g) == tok)
            .ok_or_else(|| {
                ApiError::bad_data(format!(
                    "invalid group_next_token '{tok}'. were rule groups changed?"
                ))
            })?;
    }
    let mut next = None;
    let mut groups: Vec<Value> = Vec::new();
    for g in all[start..]
        .iter()
        .filter(|g| groups_f.is_empty() || groups_f.contains(&g.name.as_str()))
        .filter(|g| files.is_empty() || files.contains(&g.file.as_str()))
        .filter_map(|g: &GroupInfo| {
            let rules: Vec<Value> = g
                .rules
                .iter()
                .filter(|r| kind.is_none_or(|alert| r.alerting.is_some() == alert))
                .filter(|r| names.is_empty() || names.contains(&r.name.as_str()))
                .filter(|r| matches_sets(&sets, &r.labels))
                .map(|r| rule_json(r, exclude_alerts))
                .collect();
            if rules.is_empty() {
                return None;
            }
            Some((g, rules))
        })
    {
        let (g, rules) = g;
        if group_limit.is_some_and(|l| groups.len() >= l) {
            next = Some(group_token(g));
            break;
        }
        groups.push(json!({
            "name": g.name,
            "file": g.file,
            "rules": rules,
            "interval": go_num(g.interval_secs),
            "limit": g.limit,
            "evaluationTime": g.evaluation_secs,
            "lastEvaluation": time(g.last_evaluation_ms),
        }));
    }
    let mut body = json!({ "groups": groups });
    if let Some(t) = next {
        body["groupNextToken"] = t.into();
    }
    Ok(success(body))
}

/// The pagination token of a group: sha256 hex of `file;name`.
fn group_token(g: &GroupInfo) -> String {
    use sha2::Digest;
    let h = sha2::Sha256::digest(format!("{};{}", g.file, g.name).as_bytes());
    h.iter().map(|b| format!("{b:02x}")).collect()
}

/// A float as Go's encoding/json writes whole numbers (`60`, not `60.0`).
fn go_num(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        json!(v as i64)
    } else {
        json!(v)
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

pub(super) async fn alerts(State(s): State<PromState>) -> Response {
    let alerts: Vec<ApiAlert> = s
        .rules
        .groups()
        .iter()
        .flat_map(|g| g.rules.iter())
        .filter_map(|r| r.alerting.as_ref())
        .flat_map(|a| a.alerts.iter().map(api_alert))
        .collect();
    success(json!({ "alerts": alerts }))
}
