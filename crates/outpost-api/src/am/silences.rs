//! `GET|POST /api/v2/silences`, `GET|DELETE /api/v2/silence/{id}`.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use outpost_alertmanager::{Error, PostableSilence, parse_time};
use outpost_config::{MatchOp, Matcher, parse_matchers};
use serde_json::Value;

use super::AmState;
use super::alerts::am;
use super::models::GettableSilence;
use super::{
    AmBody, AmError, SWAGGER_INVALID_TYPE, SWAGGER_PARSE, SWAGGER_REQUIRED, SWAGGER_TOO_FEW_ITEMS,
    json_ok, query_pairs,
};

fn required(what: &str) -> AmError {
    AmError::Swagger(SWAGGER_REQUIRED, format!("{what} in body is required"))
}

fn parse_failed(why: impl std::fmt::Display) -> AmError {
    AmError::Swagger(
        SWAGGER_PARSE,
        format!("parsing silence body from \"\" failed, because {why}"),
    )
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn check_id(id: &str) -> Result<(), AmError> {
    if is_uuid(id) {
        Ok(())
    } else {
        Err(AmError::Swagger(
            SWAGGER_INVALID_TYPE,
            format!("silenceID in path must be of type uuid: {id:?}"),
        ))
    }
}

fn str_field<'a>(
    o: &'a serde_json::Map<String, Value>,
    k: &str,
) -> Result<Option<&'a str>, AmError> {
    match o.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(parse_failed(format!(
            "json: cannot unmarshal {v} into Go struct field {k} of type string"
        ))),
    }
}

struct RawMatcher {
    name: String,
    value: String,
    is_regex: bool,
    is_equal: bool,
}

/// A decoded `postableSilence`.
struct Decoded {
    id: Option<String>,
    matchers: Vec<RawMatcher>,
    starts_at: i64,
    ends_at: i64,
    created_by: String,
    comment: String,
}

/// Decodes and validates the body as go-swagger does (first problem wins).
fn decode(body: &[u8]) -> Result<Decoded, AmError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(required("silence"));
    }
    let v: Value = serde_json::from_slice(body).map_err(parse_failed)?;
    let Value::Object(o) = v else {
        return Err(parse_failed(
            "json: cannot unmarshal into Go value of type models.PostableSilence",
        ));
    };
    let comment = str_field(&o, "comment")?.ok_or_else(|| required("comment"))?;
    let created_by = str_field(&o, "createdBy")?.ok_or_else(|| required("createdBy"))?;
    let ends_at = str_field(&o, "endsAt")?.ok_or_else(|| required("endsAt"))?;
    let Some(ms) = o.get("matchers").filter(|m| !m.is_null()) else {
        return Err(required("matchers"));
    };
    let Value::Array(ms) = ms else {
        return Err(parse_failed(
            "json: cannot unmarshal matchers into Go struct field of type models.Matchers",
        ));
    };
    if ms.is_empty() {
        return Err(AmError::Swagger(
            SWAGGER_TOO_FEW_ITEMS,
            "matchers in body should have at least 1 items".into(),
        ));
    }
    let mut matchers = Vec::new();
    for (i, m) in ms.iter().enumerate() {
        let Value::Object(m) = m else {
            return Err(parse_failed(
                "json: cannot unmarshal into Go value of type models.Matcher",
            ));
        };
        let flag = |k: &str| match m.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(parse_failed(format!(
                "json: cannot unmarshal {v} into Go struct field {k} of type bool"
            ))),
        };
        let is_equal = flag("isEqual")?.unwrap_or(true);
        let is_regex =
            flag("isRegex")?.ok_or_else(|| required(&format!("matchers.{i}.isRegex")))?;
        let name = str_field(m, "name")?.ok_or_else(|| required(&format!("matchers.{i}.name")))?;
        let value =
            str_field(m, "value")?.ok_or_else(|| required(&format!("matchers.{i}.value")))?;
        matchers.push(RawMatcher {
            name: name.to_string(),
            value: value.to_string(),
            is_regex,
            is_equal,
        });
    }
    let starts_at = str_field(&o, "startsAt")?.ok_or_else(|| required("startsAt"))?;
    let time = |s: &str| -> Result<i64, AmError> {
        parse_time(s).map_err(parse_failed).map(|t| t.unwrap_or(0))
    };
    let id = str_field(&o, "id")?.map(str::to_string);
    Ok(Decoded {
        id,
        matchers,
        starts_at: time(starts_at)?,
        ends_at: time(ends_at)?,
        created_by: created_by.to_string(),
        comment: comment.to_string(),
    })
}

pub(super) async fn post_silences(
    State(s): State<AmState>,
    AmBody(body): AmBody,
) -> Result<Response, AmError> {
    let am = am(&s)?;
    let Decoded {
        id,
        matchers: raw,
        starts_at,
        ends_at,
        created_by,
        comment,
    } = decode(&body)?;
    let bad = |m: String| AmError::bad_request(m);
    if starts_at >= ends_at {
        return Err(bad(
            "Failed to create silence: start time must be before end time".into(),
        ));
    }
    if ends_at < am.clock().now_ms() {
        return Err(bad(
            "Failed to create silence: end time can't be in the past".into(),
        ));
    }
    let mut matchers = Vec::new();
    for (i, m) in raw.into_iter().enumerate() {
        let op = match (m.is_equal, m.is_regex) {
            (true, false) => MatchOp::Equal,
            (false, false) => MatchOp::NotEqual,
            (true, true) => MatchOp::Regex,
            (false, true) => MatchOp::NotRegex,
        };
        matchers.push(
            Matcher::new(m.name, op, m.value)
                .map_err(|e| bad(format!("silence invalid: invalid label matcher {i}: {e}")))?,
        );
    }
    let result = am.set_silence(PostableSilence {
        id,
        matchers,
        starts_at,
        ends_at,
        created_by,
        comment,
    });
    match result {
        Ok(id) => Ok(json_ok(&serde_json::json!({ "silenceID": id }))),
        Err(Error::SilenceNotFound) => Err(AmError::Text(
            StatusCode::NOT_FOUND,
            "silence not found".into(),
        )),
        Err(e) => Err(bad(e.to_string())),
    }
}

pub(super) async fn get_silences(
    State(s): State<AmState>,
    RawQuery(q): RawQuery,
) -> Result<Response, AmError> {
    let am = am(&s)?;
    let mut filter = Vec::new();
    for (k, v) in query_pairs(q.as_deref()) {
        if k == "filter" {
            filter.extend(parse_matchers(&v).map_err(AmError::bad_request)?);
        }
    }
    let list: Vec<GettableSilence> = am
        .silences(&filter)
        .into_iter()
        .map(GettableSilence::from)
        .collect();
    Ok(json_ok(&list))
}

pub(super) async fn get_silence(
    State(s): State<AmState>,
    Path(id): Path<String>,
) -> Result<Response, AmError> {
    let am = am(&s)?;
    check_id(&id)?;
    let v = am
        .silence(&id)
        .ok_or(AmError::Empty(StatusCode::NOT_FOUND))?;
    Ok(json_ok(&GettableSilence::from(v)))
}

pub(super) async fn delete_silence(
    State(s): State<AmState>,
    Path(id): Path<String>,
) -> Result<Response, AmError> {
    let am = am(&s)?;
    check_id(&id)?;
    match am.expire_silence(&id) {
        Ok(()) => Ok(StatusCode::OK.into_response()),
        // Alertmanager 0.25 answers an unknown id with 500 (404 from 0.26).
        Err(Error::SilenceNotFound) => Err(AmError::internal("silence not found")),
        Err(e) => Err(AmError::internal(e.to_string())),
    }
}
