//! `_bulk`: NDJSON action/source pairs in, Elasticsearch's per-item results out. A malformed
//! action line fails the whole request (`illegal_argument_exception`, as ES); a malformed source
//! line, a mapping conflict or a `create` on an existing id fails only its item. `update` is not
//! supported yet and answers its item with an error.

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::index::OpType;
use crate::store::{LogStore, Refresh};

/// The result of a `_bulk` request.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkResponse {
    /// Whether any item failed.
    pub errors: bool,
    /// One `{"<op>": {...}}` object per action, in request order.
    pub items: Vec<Value>,
    /// Milliseconds the request took on the store clock.
    pub took: i64,
}

impl BulkResponse {
    /// The response body.
    pub fn to_es_json(&self) -> Value {
        json!({"took": self.took, "errors": self.errors, "items": self.items})
    }
}

fn item_error(op: &str, index: &str, id: Option<&str>, uuid: &str, err: &Error) -> Value {
    let mut error = json!({
        "type": err.es_type(),
        "reason": err.to_string(),
        "index_uuid": uuid,
        "shard": "0",
        "index": index,
    });
    if matches!(err, Error::MapperParsing(_))
        && let Some(o) = error.as_object_mut()
    {
        o.insert(
            "caused_by".into(),
            json!({"type": "illegal_argument_exception", "reason": err.to_string()}),
        );
    }
    json!({ op: {"_index": index, "_id": id, "status": err.status(), "error": error} })
}

fn malformed(line: usize, what: &str) -> Error {
    Error::IllegalArgument(format!("Malformed action/metadata line [{line}], {what}"))
}

impl LogStore {
    /// Runs a `_bulk` body; `default_index` is the `/{index}/_bulk` path segment.
    pub fn bulk(
        &self,
        default_index: Option<&str>,
        body: &[u8],
        refresh: Refresh,
    ) -> Result<BulkResponse> {
        let started = self.now_ms();
        let mut lines = body
            .split(|b| *b == b'\n')
            .enumerate()
            .map(|(i, l)| (i + 1, l.strip_suffix(b"\r").unwrap_or(l)))
            .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace));
        let mut items = Vec::new();
        let mut errors = false;
        let mut touched: Vec<String> = Vec::new();
        while let Some((line_no, line)) = lines.next() {
            let action: Value = serde_json::from_slice(line).map_err(|_| {
                malformed(line_no, "expected START_OBJECT but found [VALUE_STRING]")
            })?;
            let Some(obj) = action.as_object().filter(|o| o.len() == 1) else {
                return Err(malformed(
                    line_no,
                    "expected START_OBJECT but found [VALUE_STRING]",
                ));
            };
            let Some((op, meta)) = obj.iter().next() else {
                return Err(malformed(
                    line_no,
                    "expected START_OBJECT but found [END_OBJECT]",
                ));
            };
            if !matches!(op.as_str(), "index" | "create" | "delete" | "update") {
                return Err(malformed(
                    line_no,
                    &format!("expected one of [create, delete, index, update] but found [{op}]"),
                ));
            }
            let Some(meta) = meta.as_object() else {
                return Err(malformed(
                    line_no,
                    "expected START_OBJECT but found [VALUE_STRING]",
                ));
            };
            if let Some(key) = meta.keys().find(|k| {
                !matches!(
                    k.as_str(),
                    "_index"
                        | "_id"
                        | "routing"
                        | "pipeline"
                        | "require_alias"
                        | "if_seq_no"
                        | "if_primary_term"
                        | "version"
                        | "version_type"
                        | "retry_on_conflict"
                        | "dynamic_templates"
                        | "_type"
                        | "require_data_stream"
                        | "op_type"
                )
            }) {
                return Err(Error::IllegalArgument(format!(
                    "Action/metadata line [{line_no}] contains an unknown parameter [{key}]"
                )));
            }
            let index = meta
                .get("_index")
                .and_then(Value::as_str)
                .or(default_index)
                .ok_or_else(|| {
                    Error::IllegalArgument("Validation Failed: 1: index is missing;".into())
                })?
                .to_string();
            let id = match meta.get("_id") {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                _ => None,
            };
            let uuid = || {
                self.index(&index)
                    .map(|i| i.uuid().to_string())
                    .unwrap_or_else(|_| "_na_".into())
            };
            match op.as_str() {
                "delete" => {
                    let Some(id) = id else {
                        items.push(item_error(
                            op,
                            &index,
                            None,
                            &uuid(),
                            &Error::IllegalArgument("Validation Failed: 1: id is missing;".into()),
                        ));
                        errors = true;
                        continue;
                    };
                    let deleted = self.index(&index).ok().and_then(|i| i.delete(&id));
                    let (result, status, version, seq) = match &deleted {
                        Some(o) => ("deleted", 200, o.version, o.seq_no),
                        None => ("not_found", 404, 1, 0),
                    };
                    items.push(json!({"delete": {
                        "_index": index, "_id": id, "_version": version, "result": result,
                        "_shards": {"total": 2, "successful": 1, "failed": 0},
                        "_seq_no": seq, "_primary_term": 1, "status": status,
                    }}));
                    touched.push(index);
                }
                "update" => {
                    let _ = lines.next();
                    items.push(item_error(
                        op,
                        &index,
                        id.as_deref(),
                        &uuid(),
                        &Error::IllegalArgument(
                            "bulk update is not supported by this store".into(),
                        ),
                    ));
                    errors = true;
                }
                _ => {
                    let Some((_, source)) = lines.next() else {
                        return Err(Error::IllegalArgument(format!(
                            "The bulk request must be terminated by a newline [\\n]; action line [{line_no}] has no source"
                        )));
                    };
                    let op_type = if op == "create"
                        || meta.get("op_type").and_then(Value::as_str) == Some("create")
                    {
                        OpType::Create
                    } else {
                        OpType::Index
                    };
                    match self.write_one(&index, id.as_deref(), source, op_type) {
                        Ok(w) => {
                            let mut item = w.to_es_json();
                            if let Some(o) = item.as_object_mut() {
                                o.insert("status".into(), w.status().into());
                            }
                            items.push(json!({ op: item }));
                            touched.push(w.index);
                        }
                        Err(e) => {
                            items.push(item_error(op, &index, id.as_deref(), &uuid(), &e));
                            errors = true;
                        }
                    }
                }
            }
        }
        touched.sort();
        touched.dedup();
        let names: Vec<&str> = touched.iter().map(String::as_str).collect();
        self.after_write(&names, refresh)?;
        Ok(BulkResponse {
            errors,
            items,
            took: self.now_ms().saturating_sub(started),
        })
    }
}
