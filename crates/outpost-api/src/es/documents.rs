//! Single-document APIs: `PUT|POST /{index}/_doc[/{id}]`,
//! `PUT|POST /{index}/_create/{id}`, `GET|HEAD|DELETE /{index}/_doc/{id}`,
//! `GET|HEAD /{index}/_source/{id}`, `POST /{index}/_update/{id}` (partial
//! `doc`, `upsert`, `doc_as_upsert`, noop detection; no scripts) and
//! `_mget`, with `refresh`, `op_type` and the `_source`, `_source_includes`,
//! `_source_excludes` filters of gets.

use outpost_logs::{OpType, Refresh};
use serde_json::{Map, Value, json};

use super::EsState;
use super::error::EsError;
use super::request::{Reply, Req};

/// The `refresh` parameter.
pub(crate) fn refresh_param(req: &Req) -> Result<Refresh, EsError> {
    match req.param("refresh") {
        None => Ok(Refresh::False),
        Some(v) => Ok(Refresh::parse(v)?),
    }
}

/// A write response's `_shards`: every copy of the shard (the primary and
/// its `index.number_of_replicas` replicas), of which the primary answers.
fn shard_header(st: &EsState, idx: &str, body: &mut Value) {
    let replicas = st
        .store
        .index_setting(idx, "index.number_of_replicas")
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(1);
    if let Some(sh) = body.get_mut("_shards").and_then(Value::as_object_mut) {
        sh.insert("total".into(), replicas.saturating_add(1).into());
    }
}

/// `PUT|POST /{index}/_doc[/{id}]` and `/_create/{id}` (`create`).
pub(crate) fn index(
    st: &EsState,
    req: &Req,
    idx: &str,
    id: Option<&str>,
    create: bool,
) -> Result<Reply, EsError> {
    let op = match (create, req.param("op_type")) {
        (true, _) | (false, Some("create")) => OpType::Create,
        (false, None | Some("index")) => OpType::Index,
        (false, Some(other)) => {
            return Err(EsError::illegal(format!(
                "opType must be 'create' or 'index', found: [{other}]"
            )));
        }
    };
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Err(EsError::body_required());
    }
    if req.flag("require_alias")? && !st.store.is_alias(idx) {
        let mut extra = Map::new();
        extra.insert("index_uuid".into(), "_na_".into());
        extra.insert("index".into(), idx.into());
        return Err(EsError::Object {
            status: 404,
            error: super::error::error_object(
                "index_not_found_exception",
                &format!(
                    "no such index [{idx}] and [require_alias] request flag is [true] and [{idx}] is not an alias"
                ),
                extra,
            ),
        });
    }
    let refresh = refresh_param(req)?;
    let w = st.store.index_doc(idx, id, &req.body, op, refresh)?;
    let mut body = w.to_es_json();
    shard_header(st, &w.index, &mut body);
    if refresh == Refresh::True
        && let Some(o) = body.as_object_mut()
    {
        o.insert("forced_refresh".into(), true.into());
    }
    Ok(Reply::Json(w.status(), body))
}

/// `GET|HEAD /{index}/_doc/{id}`.
pub(crate) fn get(
    st: &EsState,
    req: &Req,
    idx: &str,
    id: &str,
    head: bool,
) -> Result<Reply, EsError> {
    super::indices::check_open(st, idx)?;
    let found = if req.param("realtime") == Some("false") {
        searchable(st, idx, id)?
    } else {
        st.store.get_doc(idx, id)?
    };
    if head {
        return Ok(Reply::Status(if found.is_some() { 200 } else { 404 }));
    }
    let Some((src, version)) = found else {
        return Ok(Reply::Json(
            404,
            json!({"_index": idx, "_id": id, "found": false}),
        ));
    };
    Ok(Reply::Json(200, found_body(req, idx, id, &src, version)?))
}

/// A non-realtime get (`realtime=false`): the document as the last refresh
/// left it, read through a search on `_id`.
fn searchable(st: &EsState, idx: &str, id: &str) -> Result<Option<(Vec<u8>, u64)>, EsError> {
    let body = json!({"query": {"ids": {"values": [id]}}, "size": 1, "version": true});
    let out = st
        .store
        .search(idx, &body, outpost_logs::SearchOptions::default())?;
    let Some(hit) = out.pointer("/hits/hits/0") else {
        return Ok(None);
    };
    let src = hit.get("_source").cloned().unwrap_or_else(|| json!({}));
    let version = hit.get("_version").and_then(Value::as_u64).unwrap_or(1);
    let bytes = serde_json::to_vec(&src).map_err(|e| EsError::illegal(e.to_string()))?;
    Ok(Some((bytes, version)))
}

/// `DELETE /{index}/_doc/{id}`: 200 `deleted`, or 404 `not_found`.
pub(crate) fn delete(st: &EsState, req: &Req, idx: &str, id: &str) -> Result<Reply, EsError> {
    let refresh = refresh_param(req)?;
    match st.store.delete_doc(idx, id, refresh)? {
        Some(w) => {
            let mut body = w.to_es_json();
            shard_header(st, &w.index, &mut body);
            if let Some(o) = body.as_object_mut() {
                o.insert("result".into(), "deleted".into());
            }
            Ok(Reply::Json(200, body))
        }
        None => {
            let mut body = json!({
                "_index": idx,
                "_id": id,
                "result": "not_found",
                "_shards": {"total": 2, "successful": 1, "failed": 0},
            });
            shard_header(st, idx, &mut body);
            Ok(Reply::Json(404, body))
        }
    }
}

/// `GET|HEAD /{index}/_source/{id}`: the source as stored.
pub(crate) fn source(
    st: &EsState,
    req: &Req,
    idx: &str,
    id: &str,
    head: bool,
) -> Result<Reply, EsError> {
    let found = st.store.get_doc(idx, id)?;
    let Some((src, _)) = found else {
        if head {
            return Ok(Reply::Status(404));
        }
        return Err(EsError::new(
            404,
            "resource_not_found_exception",
            format!("Document not found [{idx}]/[{id}]"),
        ));
    };
    if head {
        return Ok(Reply::Status(200));
    }
    if req.param("_source_includes").is_none()
        && req.param("_source_excludes").is_none()
        && req.param("_source").is_none()
    {
        return Ok(Reply::RawJson(200, src));
    }
    let v = filtered_source(req, &src)?.unwrap_or_else(|| json!({}));
    Ok(Reply::Json(200, v))
}

/// The body of one found document, as `GET /{index}/_doc/{id}` answers.
fn found_body(req: &Req, idx: &str, id: &str, src: &[u8], version: u64) -> Result<Value, EsError> {
    let mut body = Map::new();
    body.insert("_index".into(), idx.into());
    body.insert("_id".into(), id.into());
    body.insert("_version".into(), version.into());
    body.insert("found".into(), true.into());
    if let Some(source) = filtered_source(req, src)? {
        body.insert("_source".into(), source);
    }
    Ok(Value::Object(body))
}

/// `GET|POST [/{index}]/_mget`: `{"docs":[{"_index","_id"}]}` or `{"ids":[…]}`.
pub(crate) fn mget(st: &EsState, req: &Req, idx: Option<&str>) -> Result<Reply, EsError> {
    let body = req.required_json()?;
    let mut wanted: Vec<(Option<String>, String)> = Vec::new();
    if let Some(docs) = body.get("docs").and_then(Value::as_array) {
        for d in docs {
            let id = match d.get("_id") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => {
                    return Err(EsError::new(
                        400,
                        "action_request_validation_exception",
                        "Validation Failed: 1: id is missing for doc 0;",
                    ));
                }
            };
            let i = d.get("_index").and_then(Value::as_str).map(str::to_string);
            wanted.push((i, id));
        }
    } else if let Some(ids) = body.get("ids").and_then(Value::as_array) {
        for id in ids {
            let id = id.as_str().map_or_else(|| id.to_string(), str::to_string);
            wanted.push((None, id));
        }
    } else {
        return Err(EsError::illegal(
            "unknown parameter for mget, expected [docs] or [ids]",
        ));
    }
    if wanted.is_empty() {
        return Err(EsError::new(
            400,
            "action_request_validation_exception",
            "Validation Failed: 1: no documents to get;",
        ));
    }
    let mut docs = Vec::with_capacity(wanted.len());
    for (i, id) in wanted {
        let Some(index) = i.as_deref().or(idx) else {
            return Err(EsError::new(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: index is missing for doc 0;",
            ));
        };
        docs.push(match st.store.get_doc(index, &id) {
            Ok(Some((src, version))) => found_body(req, index, &id, &src, version)?,
            Ok(None) => json!({"_index": index, "_id": id, "found": false}),
            Err(e) => json!({"_index": index, "_id": id, "error": e.to_es_json()}),
        });
    }
    Ok(Reply::Json(200, json!({ "docs": docs })))
}

/// Merges `patch` into `base` as a partial-document update does: objects
/// merge key by key, anything else replaces.
fn merge(base: &mut Value, patch: &Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                match b.get_mut(k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge(existing, v),
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, p) => *b = p.clone(),
    }
}

/// `POST /{index}/_update/{id}`.
pub(crate) fn update(st: &EsState, req: &Req, idx: &str, id: &str) -> Result<Reply, EsError> {
    let body = req.required_json()?;
    if body.get("script").is_some() {
        return Err(EsError::illegal(
            "scripted updates are not supported by outpost; send a partial [doc]",
        ));
    }
    let doc = body.get("doc");
    let as_upsert = body.get("doc_as_upsert").and_then(Value::as_bool) == Some(true);
    let detect_noop = body.get("detect_noop").and_then(Value::as_bool) != Some(false);
    let refresh = refresh_param(req)?;
    let existing = match st.store.get_doc(idx, id) {
        Ok(found) => found,
        Err(outpost_logs::Error::IndexNotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let write = |v: &Value| -> Result<outpost_logs::DocWrite, EsError> {
        let bytes = serde_json::to_vec(v).map_err(|e| EsError::illegal(e.to_string()))?;
        Ok(st
            .store
            .index_doc(idx, Some(id), &bytes, OpType::Index, refresh)?)
    };
    let Some((src, version)) = existing else {
        let first = match (body.get("upsert"), doc) {
            (Some(u), _) => u,
            (None, Some(d)) if as_upsert => d,
            _ => {
                let mut extra = Map::new();
                extra.insert("index_uuid".into(), "_na_".into());
                extra.insert("shard".into(), "0".into());
                extra.insert("index".into(), idx.into());
                return Err(EsError::Object {
                    status: 404,
                    error: super::error::error_object(
                        "document_missing_exception",
                        &format!("[{id}]: document missing"),
                        extra,
                    ),
                });
            }
        };
        let w = write(first)?;
        let mut body = w.to_es_json();
        shard_header(st, &w.index, &mut body);
        return Ok(Reply::Json(w.status(), body));
    };
    let Some(doc) = doc else {
        return Err(EsError::new(
            400,
            "action_request_validation_exception",
            "Validation Failed: 1: script or doc is missing;",
        ));
    };
    let mut merged: Value = serde_json::from_slice(&src).map_err(|e| super::error::bad_json(&e))?;
    let before = merged.clone();
    merge(&mut merged, doc);
    if detect_noop && merged == before {
        return Ok(Reply::Json(
            200,
            json!({
                "_index": idx,
                "_id": id,
                "_version": version,
                "result": "noop",
                "_shards": {"total": 0, "successful": 0, "failed": 0},
            }),
        ));
    }
    let w = write(&merged)?;
    let mut body = w.to_es_json();
    shard_header(st, &w.index, &mut body);
    Ok(Reply::Json(200, body))
}

fn list(s: Option<&str>) -> Vec<String> {
    s.map(|s| {
        s.split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()
    })
    .unwrap_or_default()
}

/// The `_source` a get returns under its URL filters; `None` for `_source=false`.
fn filtered_source(req: &Req, src: &[u8]) -> Result<Option<Value>, EsError> {
    let mut includes = list(req.param("_source_includes"));
    let excludes = list(req.param("_source_excludes"));
    match req.param("_source") {
        Some("false") => return Ok(None),
        None | Some("true" | "") => {}
        Some(other) => includes.extend(list(Some(other))),
    }
    let v: Value = serde_json::from_slice(src).map_err(|e| super::error::bad_json(&e))?;
    if includes.is_empty() && excludes.is_empty() {
        return Ok(Some(v));
    }
    Ok(Some(filter_source(&v, "", &includes, &excludes)))
}

fn glob(pat: &str, s: &str) -> bool {
    match pat.split_once('*') {
        None => pat == s,
        Some((pre, rest)) => {
            let Some(tail) = s.strip_prefix(pre) else {
                return false;
            };
            if rest.is_empty() {
                return true;
            }
            (0..=tail.len())
                .filter(|&i| tail.is_char_boundary(i))
                .any(|i| glob(rest, &tail[i..]))
        }
    }
}

/// Keeps the paths `includes` name (all when empty) minus `excludes`.
pub(crate) fn filter_source(
    v: &Value,
    prefix: &str,
    includes: &[String],
    excludes: &[String],
) -> Value {
    let Value::Object(o) = v else {
        return v.clone();
    };
    let mut out = Map::new();
    for (k, child) in o {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        if excludes.iter().any(|p| glob(p, &path)) {
            continue;
        }
        let whole = includes.is_empty() || includes.iter().any(|p| glob(p, &path));
        if whole {
            out.insert(k.clone(), filter_source(child, &path, &[], excludes));
        } else if child.is_object() {
            let deeper = format!("{path}.");
            if includes
                .iter()
                .any(|p| p.starts_with(&deeper) || p.contains('*'))
            {
                let sub = filter_source(child, &path, includes, excludes);
                if sub.as_object().is_some_and(|m| !m.is_empty()) {
                    out.insert(k.clone(), sub);
                }
            }
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_docs_merge_objects_and_replace_the_rest() {
        let mut v = json!({"a": {"b": 1, "c": 2}, "d": [1], "e": "x"});
        merge(&mut v, &json!({"a": {"c": 3, "z": 0}, "d": [2], "f": null}));
        assert_eq!(
            v,
            json!({"a": {"b": 1, "c": 3, "z": 0}, "d": [2], "e": "x", "f": null})
        );
    }

    #[test]
    fn source_filters_by_paths_and_wildcards() {
        let v = json!({"a": {"b": 1, "c": 2}, "d": 3, "msg": "x"});
        let inc = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            filter_source(&v, "", &inc(&["a.b"]), &[]),
            json!({"a": {"b": 1}})
        );
        assert_eq!(
            filter_source(&v, "", &inc(&["a"]), &inc(&["a.c"])),
            json!({"a": {"b": 1}})
        );
        assert_eq!(
            filter_source(&v, "", &inc(&["m*"]), &[]),
            json!({"msg": "x"})
        );
        assert_eq!(
            filter_source(&v, "", &[], &inc(&["a", "d"])),
            json!({"msg": "x"})
        );
        assert_eq!(
            filter_source(&v, "", &inc(&["*.c"]), &[]),
            json!({"a": {"c": 2}})
        );
    }
}
