//! Single-document APIs: `PUT|POST /{index}/_doc[/{id}]`,
//! `PUT|POST /{index}/_create/{id}`, `GET|HEAD|DELETE /{index}/_doc/{id}`
//! and `GET|HEAD /{index}/_source/{id}`, with `refresh`, `op_type` and the
//! `_source`, `_source_includes`, `_source_excludes` filters of gets.

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
    let refresh = refresh_param(req)?;
    let w = st.store.index_doc(idx, id, &req.body, op, refresh)?;
    let mut body = w.to_es_json();
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
    let found = st.store.get_doc(idx, id)?;
    if head {
        return Ok(Reply::Status(if found.is_some() { 200 } else { 404 }));
    }
    let Some((src, version)) = found else {
        return Ok(Reply::Json(
            404,
            json!({"_index": idx, "_id": id, "found": false}),
        ));
    };
    let mut body = Map::new();
    body.insert("_index".into(), idx.into());
    body.insert("_id".into(), id.into());
    body.insert("_version".into(), version.into());
    body.insert("found".into(), true.into());
    if let Some(source) = filtered_source(req, &src)? {
        body.insert("_source".into(), source);
    }
    Ok(Reply::Json(200, Value::Object(body)))
}

/// `DELETE /{index}/_doc/{id}`: 200 `deleted`, or 404 `not_found`.
pub(crate) fn delete(st: &EsState, req: &Req, idx: &str, id: &str) -> Result<Reply, EsError> {
    let refresh = refresh_param(req)?;
    match st.store.delete_doc(idx, id, refresh)? {
        Some(w) => {
            let mut body = w.to_es_json();
            if let Some(o) = body.as_object_mut() {
                o.insert("result".into(), "deleted".into());
            }
            Ok(Reply::Json(200, body))
        }
        None => Ok(Reply::Json(
            404,
            json!({
                "_index": idx,
                "_id": id,
                "result": "not_found",
                "_shards": {"total": 2, "successful": 1, "failed": 0},
            }),
        )),
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
