//! Index administration: `HEAD|GET|PUT|DELETE /{index}`, `_mapping`,
//! `_settings`, `_refresh`, `_field_caps`, `_delete_by_query`, and index
//! templates (`_index_template`, legacy `_template`). Expressions
//! (comma lists, wildcards, `_all`) resolve in the store; `DELETE` refuses
//! wildcards as ES 8 does by default (`action.destructive_requires_name`).

use axum::http::Method;
use serde_json::{Value, json};

use super::EsState;
use super::documents::refresh_param;
use super::error::EsError;
use super::request::{Reply, Req};
use super::search::opts;

fn acknowledged() -> Reply {
    Reply::Json(200, json!({"acknowledged": true}))
}

/// `HEAD /{index}`: 200 when the expression names an index, else 404.
pub(crate) fn exists(st: &EsState, idx: &str) -> Result<Reply, EsError> {
    let found = st.store.resolve(idx, false).is_ok_and(|v| !v.is_empty());
    Ok(Reply::Status(if found { 200 } else { 404 }))
}

/// `GET /{index}`.
pub(crate) fn get_index(st: &EsState, req: &Req, idx: &str) -> Result<Reply, EsError> {
    Ok(Reply::Json(200, st.store.get_index(idx, opts(req)?)?))
}

/// `PUT /{index}` with `settings`, `mappings`, `aliases`.
pub(crate) fn create(st: &EsState, req: &Req, idx: &str) -> Result<Reply, EsError> {
    let body = req.json()?;
    st.store.create_index_with(idx, &body)?;
    // `<logs-{now/d}>` answers with the name it resolved to.
    let name = outpost_logs::resolve_date_math_name(idx, st.store.now_ms())
        .unwrap_or_else(|_| idx.to_string());
    Ok(Reply::Json(
        200,
        json!({"acknowledged": true, "shards_acknowledged": true, "index": name}),
    ))
}

/// `DELETE /{index}` (concrete names, comma-separated).
pub(crate) fn delete(st: &EsState, idx: &str) -> Result<Reply, EsError> {
    let names: Vec<&str> = idx.split(',').filter(|s| !s.is_empty()).collect();
    if names.iter().any(|n| n.contains('*') || *n == "_all") {
        return Err(EsError::illegal(
            "Wildcard expressions or all indices are not allowed",
        ));
    }
    for n in &names {
        if !st.store.exists(n) {
            return Err(outpost_logs::Error::IndexNotFound(n.to_string()).into());
        }
    }
    for n in names {
        st.store.delete_index(n)?;
        if let Ok(mut c) = st.closed.lock() {
            c.remove(n);
        }
    }
    Ok(acknowledged())
}

/// `GET [/{index}]/_mapping`.
pub(crate) fn get_mapping(st: &EsState, req: &Req, idx: Option<&str>) -> Result<Reply, EsError> {
    let expr = idx.unwrap_or("_all");
    let out = match st.store.get_mapping(expr) {
        Err(outpost_logs::Error::IndexNotFound(_)) if req.flag("ignore_unavailable")? => json!({}),
        other => other?,
    };
    if req.param("allow_no_indices") == Some("false")
        && out.as_object().is_some_and(serde_json::Map::is_empty)
    {
        return Err(outpost_logs::Error::IndexNotFound(expr.to_string()).into());
    }
    Ok(Reply::Json(200, out))
}

/// `PUT|POST /{index}/_mapping`.
pub(crate) fn put_mapping(st: &EsState, req: &Req, idx: &str) -> Result<Reply, EsError> {
    let body = req.required_json()?;
    for i in st.store.resolve(idx, false)? {
        st.store.put_mapping(i.name(), &body)?;
    }
    Ok(acknowledged())
}

/// `GET [/{index}]/_settings`.
pub(crate) fn get_settings(st: &EsState, req: &Req, idx: Option<&str>) -> Result<Reply, EsError> {
    Ok(Reply::Json(
        200,
        st.store.get_settings(idx.unwrap_or("_all"), opts(req)?)?,
    ))
}

/// `PUT /{index}/_settings`.
pub(crate) fn put_settings(st: &EsState, req: &Req, idx: &str) -> Result<Reply, EsError> {
    let body = req.required_json()?;
    Ok(Reply::Json(200, st.store.put_settings(idx, &body)?))
}

/// The concrete indices of an expression (`ignore_unavailable` honoured).
fn names(st: &EsState, req: &Req, expr: &str) -> Result<Vec<String>, EsError> {
    Ok(st
        .store
        .resolve(expr, req.flag("ignore_unavailable")?)?
        .iter()
        .map(|i| i.name().to_string())
        .collect())
}

/// `_shards` of a broadcast over `names`, as ES counts shard copies: every
/// primary and replica, of which the primaries (one node) answer.
fn broadcast_shards(st: &EsState, names: &[String]) -> Result<Value, EsError> {
    let (mut total, mut ok) = (0u64, 0u64);
    for n in names {
        if let Some(i) = st.store.index_infos(Some(n))?.first() {
            let p = u64::from(i.primaries);
            total = total.saturating_add(p.saturating_mul(1 + u64::from(i.replicas)));
            ok = ok.saturating_add(p);
        }
    }
    Ok(json!({"total": total, "successful": ok, "failed": 0}))
}

/// `POST [/{index}]/_refresh`.
pub(crate) fn refresh(st: &EsState, req: &Req, idx: Option<&str>) -> Result<Reply, EsError> {
    let names = names(st, req, idx.unwrap_or("_all"))?;
    for n in &names {
        st.store.refresh(n)?;
    }
    Ok(Reply::Json(
        200,
        json!({"_shards": broadcast_shards(st, &names)?}),
    ))
}

/// `POST [/{index}]/_forcemerge`: the store merges segments itself, so this
/// only checks the indices and answers ES's broadcast shape.
pub(crate) fn forcemerge(st: &EsState, req: &Req, idx: Option<&str>) -> Result<Reply, EsError> {
    if let Some(m) = req.param("max_num_segments")
        && m.parse::<i64>().is_err()
    {
        return Err(EsError::illegal(format!(
            "Failed to parse int parameter [max_num_segments] with value [{m}]"
        )));
    }
    let names = names(st, req, idx.unwrap_or("_all"))?;
    Ok(Reply::Json(
        200,
        json!({"_shards": broadcast_shards(st, &names)?}),
    ))
}

/// `POST /{index}/_close` (`close`) and `/{index}/_open`: a closed index
/// keeps its data, shows `close` in `_cat/indices`, and refuses searches
/// and gets naming it (`index_closed_exception`).
pub(crate) fn close(st: &EsState, req: &Req, idx: &str, close: bool) -> Result<Reply, EsError> {
    if close && idx.split(',').any(|n| n.contains('*') || n == "_all") {
        return Err(EsError::illegal(
            "Wildcard expressions or all indices are not allowed",
        ));
    }
    let names = names(st, req, idx)?;
    let mut closed = st
        .closed
        .lock()
        .map_err(|_| EsError::illegal("closed index set unavailable"))?;
    let mut out = serde_json::Map::new();
    for n in names {
        if close {
            closed.insert(n.clone());
            out.insert(n, json!({"closed": true}));
        } else {
            closed.remove(&n);
        }
    }
    let mut body = json!({"acknowledged": true, "shards_acknowledged": true});
    if close && let Some(o) = body.as_object_mut() {
        o.insert("indices".into(), Value::Object(out));
    }
    Ok(Reply::Json(200, body))
}

/// Refuses an expression naming a closed index (wildcards never do: they
/// expand to open indices), as ES's `index_closed_exception`.
pub(crate) fn check_open(st: &EsState, expr: &str) -> Result<(), EsError> {
    let Ok(closed) = st.closed.lock() else {
        return Ok(());
    };
    if closed.is_empty() {
        return Ok(());
    }
    for n in expr.split(',').filter(|n| !n.contains('*')) {
        if closed.contains(n) {
            let uuid = st
                .store
                .index_infos(Some(n))
                .ok()
                .and_then(|v| v.first().map(|i| i.uuid.clone()))
                .unwrap_or_else(|| "_na_".into());
            let mut extra = serde_json::Map::new();
            extra.insert("index_uuid".into(), uuid.into());
            extra.insert("index".into(), n.into());
            return Err(EsError::Object {
                status: 400,
                error: super::error::error_object("index_closed_exception", "closed", extra),
            });
        }
    }
    Ok(())
}

/// Whether `name` is closed.
pub(crate) fn is_closed(st: &EsState, name: &str) -> bool {
    st.closed.lock().is_ok_and(|c| c.contains(name))
}

/// `GET|POST [/{index}]/_field_caps?fields=…` (or `{"fields":[…]}`).
pub(crate) fn field_caps(st: &EsState, req: &Req, idx: Option<&str>) -> Result<Reply, EsError> {
    let mut fields: Vec<String> = req
        .param("fields")
        .map(|f| {
            f.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let body = req.json()?;
    if let Some(a) = body.get("fields").and_then(Value::as_array) {
        fields.extend(a.iter().filter_map(Value::as_str).map(str::to_string));
    }
    if fields.is_empty() {
        return Err(EsError::new(
            400,
            "action_request_validation_exception",
            "Validation Failed: 1: specified fields can't be null or empty;",
        ));
    }
    Ok(Reply::Json(
        200,
        st.store.field_caps_with(
            idx.unwrap_or("_all"),
            &fields,
            &body,
            req.flag("include_unmapped")?,
            opts(req)?,
        )?,
    ))
}

/// `POST /{index}/_delete_by_query` (body `query`, or `q=`).
pub(crate) fn delete_by_query(st: &EsState, req: &Req, idx: &str) -> Result<Reply, EsError> {
    let mut body = req.json()?;
    if let (Some(q), Some(o)) = (req.param("q"), body.as_object_mut()) {
        let mut qs = serde_json::Map::new();
        qs.insert("query".into(), q.into());
        if let Some(df) = req.param("df") {
            qs.insert("default_field".into(), df.into());
        }
        o.insert("query".into(), json!({"query_string": qs}));
    }
    if let (Some(m), Some(o)) = (req.param("max_docs"), body.as_object_mut()) {
        let n: i64 = m.parse().map_err(|_| {
            EsError::illegal(format!(
                "Failed to parse int parameter [max_docs] with value [{m}]"
            ))
        })?;
        o.insert("max_docs".into(), n.into());
    }
    let refresh = refresh_param(req)?;
    Ok(Reply::Json(
        200,
        st.store.delete_by_query(idx, &body, opts(req)?, refresh)?,
    ))
}

/// `_index_template[/{name}]` and `_template[/{name}]`.
pub(crate) fn template(
    st: &EsState,
    req: &Req,
    name: Option<&str>,
    legacy: bool,
) -> Result<Reply, EsError> {
    match (&req.method, name) {
        (&Method::GET, n) => Ok(Reply::Json(200, st.store.get_templates(n, legacy)?)),
        (&Method::HEAD, Some(n)) => Ok(Reply::Status(if st.store.template_exists(n, legacy) {
            200
        } else {
            404
        })),
        (&Method::DELETE, Some(n)) => {
            st.store.delete_template(n, legacy)?;
            Ok(acknowledged())
        }
        (_, Some(n)) => {
            let body = req.required_json()?;
            if req.flag("create")? && st.store.template_exists(n, legacy) {
                return Err(EsError::illegal(format!(
                    "index template [{n}] already exists"
                )));
            }
            st.store.put_template(n, &body, legacy)?;
            Ok(acknowledged())
        }
        (_, None) => Err(EsError::illegal("template name is required")),
    }
}

/// `[/{index}]/_alias[/{name}]`: get, HEAD, put and delete aliases.
pub(crate) fn alias(
    st: &EsState,
    req: &Req,
    idx: Option<&str>,
    name: Option<&str>,
) -> Result<Reply, EsError> {
    match (&req.method, idx, name) {
        (&Method::HEAD, i, Some(n)) => Ok(Reply::Status(if st.store.alias_exists(i, n) {
            200
        } else {
            404
        })),
        (&Method::GET, i, n) => match st.store.get_aliases(i, n) {
            Ok(v) => Ok(Reply::Json(200, v)),
            // ES answers a missing alias with its string error.
            Err(outpost_logs::Error::AliasesNotFound(a)) => Err(EsError::Text {
                status: 404,
                text: format!("alias [{a}] missing"),
            }),
            Err(e) => Err(e.into()),
        },
        (&Method::DELETE, Some(i), Some(n)) => {
            st.store.delete_alias(i, n)?;
            Ok(acknowledged())
        }
        (_, Some(i), Some(n)) => {
            st.store.put_alias(i, n, &req.json()?)?;
            Ok(acknowledged())
        }
        _ => Err(EsError::illegal("alias name is required")),
    }
}

/// `_data_stream[/{name}]`.
pub(crate) fn data_stream(st: &EsState, req: &Req, name: Option<&str>) -> Result<Reply, EsError> {
    match (&req.method, name) {
        (&Method::GET, n) => Ok(Reply::Json(200, st.store.get_data_streams(n)?)),
        (&Method::PUT, Some(n)) => {
            st.store.create_data_stream(n)?;
            Ok(acknowledged())
        }
        (&Method::DELETE, Some(n)) => {
            st.store.delete_data_stream(n)?;
            Ok(acknowledged())
        }
        _ => Err(EsError::illegal("data stream name is required")),
    }
}
