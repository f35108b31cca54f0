//! `POST|PUT /_bulk` and `/{index}/_bulk`: the NDJSON body (already
//! gzip-decoded by the REST layer) goes to the store as is; `refresh` is
//! honoured, `pipeline`, `routing`, `timeout` and `wait_for_active_shards`
//! are accepted. A malformed action line fails the request, anything else
//! only its item (the store's rules). Before the store runs, the action
//! lines are read once as ES's parser reads them (an empty `{}` action is
//! refused with ES's text); after, an `index` action whose metadata says
//! `op_type: create` answers as a `create` item, and each item's
//! `_shards.total` counts the primary and its replicas.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::EsState;
use super::documents::refresh_param;
use super::error::EsError;
use super::request::{Reply, Req};

/// `_bulk`.
pub(crate) fn bulk(st: &EsState, req: &Req, idx: Option<&str>) -> Result<Reply, EsError> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Err(EsError::new(
            400,
            "action_request_validation_exception",
            "Validation Failed: 1: no requests added;",
        ));
    }
    let renames = scan(&req.body)?;
    let refresh = refresh_param(req)?;
    let resp = st.store.bulk(idx, &req.body, refresh)?;
    let mut out = resp.to_es_json();
    if let Some(items) = out.get_mut("items").and_then(Value::as_array_mut) {
        let mut replicas: HashMap<String, u64> = HashMap::new();
        for (i, item) in items.iter_mut().enumerate() {
            let Some(o) = item.as_object_mut() else {
                continue;
            };
            if renames.get(i).copied().flatten() == Some("create")
                && let Some(v) = o.remove("index")
            {
                o.insert("create".into(), v);
            }
            for v in o.values_mut() {
                shard_total(st, v, &mut replicas);
            }
        }
    }
    Ok(Reply::Json(200, out))
}

/// Sets an item's `_shards.total` to 1 + the replicas of its index.
fn shard_total(st: &EsState, item: &mut Value, cache: &mut HashMap<String, u64>) {
    let Some(index) = item.get("_index").and_then(Value::as_str) else {
        return;
    };
    let r = match cache.get(index) {
        Some(r) => *r,
        None => {
            let r = st
                .store
                .index_setting(index, "index.number_of_replicas")
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(1);
            cache.insert(index.to_string(), r);
            r
        }
    };
    if let Some(sh) = item.get_mut("_shards").and_then(Value::as_object_mut) {
        sh.insert("total".into(), r.saturating_add(1).into());
    }
}

/// Reads the action lines as the store pairs them (blank lines skipped, a
/// source line after every action but `delete`): an empty action object is
/// ES's "expected FIELD_NAME but found [END_OBJECT]". Returns, per action,
/// the item name to answer under when it differs (`create` for an `index`
/// with `op_type: create`). Scanning stops at the first line it cannot
/// read; the store reports that one.
fn scan(body: &[u8]) -> Result<Vec<Option<&'static str>>, EsError> {
    let mut out = Vec::new();
    let mut lines = body
        .split(|b| *b == b'\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix(b"\r").unwrap_or(l)))
        .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace));
    while let Some((n, line)) = lines.next() {
        let Ok(Value::Object(action)) = serde_json::from_slice::<Value>(line) else {
            break;
        };
        let Some((op, meta)) = action.iter().next() else {
            return Err(EsError::illegal(format!(
                "Malformed action/metadata line [{n}], expected FIELD_NAME but found [END_OBJECT]"
            )));
        };
        let op_type = meta
            .as_object()
            .and_then(|m: &Map<String, Value>| m.get("op_type"))
            .and_then(Value::as_str);
        out.push((op == "index" && op_type == Some("create")).then_some("create"));
        if op != "delete" {
            lines.next();
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_action_is_refused_with_its_line() {
        let body = b"{\"index\":{\"_index\":\"t\",\"_id\":\"1\"}}\n{\"f\":1}\n{}\n";
        let e = scan(body).unwrap_err();
        assert_eq!(
            e.body().unwrap()["error"]["reason"],
            "Malformed action/metadata line [3], expected FIELD_NAME but found [END_OBJECT]"
        );
    }

    #[test]
    fn op_type_create_renames_the_item_and_deletes_take_no_source() {
        let body = b"{\"delete\":{\"_index\":\"t\",\"_id\":\"1\"}}\n\n{\"index\":{\"_index\":\"t\",\"op_type\":\"create\"}}\r\n{\"f\":1}\n{\"index\":{\"_index\":\"t\"}}\n{\"f\":2}\n";
        assert_eq!(scan(body).unwrap(), vec![None, Some("create"), None]);
        // an unreadable line ends the scan without an error of its own
        assert_eq!(scan(b"nope\n{}\n").unwrap(), Vec::<Option<&str>>::new());
    }
}
