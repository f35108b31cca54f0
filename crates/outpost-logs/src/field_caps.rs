//! `_field_caps`: per field (wildcards in the request), per type, whether it is searchable and
//! aggregatable, with the indices that hold each type when a field's type differs between
//! indices. Mapped fields, their `.keyword` multi-fields, object parents, and the metadata
//! fields Elasticsearch 8 lists (`_id`, `_index`, `_source`, ...).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::mapping::FieldType;
use crate::resolve::wildcard_match;
use crate::search::SearchOptions;
use crate::store::LogStore;

/// Metadata fields: name, searchable, aggregatable (the type is the name).
const METADATA_FIELDS: &[(&str, bool, bool)] = &[
    ("_data_stream_timestamp", false, false),
    ("_doc_count", false, false),
    ("_field_names", false, false),
    ("_id", true, false),
    ("_ignored", true, false),
    ("_index", true, true),
    ("_routing", true, false),
    ("_seq_no", true, true),
    ("_source", false, false),
    ("_version", false, false),
];

/// Searchable and aggregatable of a mapped type.
fn caps(ty: &str) -> (bool, bool) {
    match ty {
        "text" | "match_only_text" => (true, false),
        "object" | "nested" => (false, false),
        _ => (true, true),
    }
}

#[derive(Default)]
struct TypeEntry {
    indices: Vec<String>,
    searchable: bool,
    aggregatable: bool,
    metadata: bool,
    /// Indices where the field is not searchable / not aggregatable.
    non_searchable: Vec<String>,
    non_aggregatable: Vec<String>,
}

impl LogStore {
    /// The `_field_caps` body for the indices of `expr` and the requested field patterns
    /// (`*` wildcards; an empty list is 400 as in ES).
    pub fn field_caps(&self, expr: &str, fields: &[String], opts: SearchOptions) -> Result<Value> {
        self.field_caps_with(expr, fields, &Value::Null, false, opts)
    }

    /// [`LogStore::field_caps`] with the request body (`index_filter`: only indices holding a
    /// matching document are listed; `fields` there too) and `include_unmapped` (a field missing
    /// from some indices gets an `unmapped` type naming them).
    pub fn field_caps_with(
        &self,
        expr: &str,
        fields: &[String],
        body: &Value,
        include_unmapped: bool,
        opts: SearchOptions,
    ) -> Result<Value> {
        let mut fields = fields.to_vec();
        match body.get("fields") {
            Some(Value::Array(a)) => {
                fields.extend(a.iter().filter_map(Value::as_str).map(str::to_string))
            }
            Some(Value::String(s)) => fields.push(s.clone()),
            _ => {}
        }
        let filter = body
            .get("index_filter")
            .map(crate::query::parse)
            .transpose()?;
        let patterns: Vec<&str> = fields
            .iter()
            .flat_map(|f| f.split(','))
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .collect();
        if patterns.is_empty() {
            return Err(Error::ActionRequestValidation(
                "Validation Failed: 1: specified fields can't be null or empty;".into(),
            ));
        }
        let wanted = |name: &str| patterns.iter().any(|p| wildcard_match(p, name));
        let mut indices = self.resolve(expr, opts.ignore_unavailable)?;
        if let Some(q) = &filter {
            self.tick()?;
            let now = self.now_ms();
            let mut kept = Vec::with_capacity(indices.len());
            for idx in indices {
                let mapping = idx.mapping();
                let tq = q.compile(&crate::query::Ctx::new(&idx, &mapping, now))?;
                if idx.searcher().search(&tq, &tantivy::collector::Count)? > 0 {
                    kept.push(idx);
                }
            }
            indices = kept;
        }
        // field -> type -> entry
        let mut out: BTreeMap<String, BTreeMap<String, TypeEntry>> = BTreeMap::new();
        // (field, type) -> declared `meta` key -> the values the indices give it
        type Metas = BTreeMap<(String, String), BTreeMap<String, BTreeSet<String>>>;
        let mut metas: Metas = BTreeMap::new();
        let mut add = |field: &str, ty: &str, index: &str, s: bool, a: bool, meta: bool| {
            let e = out
                .entry(field.to_string())
                .or_default()
                .entry(ty.to_string())
                .or_default();
            let first = e.indices.is_empty();
            if e.indices.last().is_none_or(|n| n != index) {
                e.indices.push(index.to_string());
                if !s {
                    e.non_searchable.push(index.to_string());
                }
                if !a {
                    e.non_aggregatable.push(index.to_string());
                }
            }
            // capable only where every index is
            e.searchable = s && (first || e.searchable);
            e.aggregatable = a && (first || e.aggregatable);
            e.metadata = meta;
        };
        for idx in &indices {
            let name = idx.name();
            for (field, s, a) in METADATA_FIELDS {
                if wanted(field) {
                    add(field, field, name, *s, *a, true);
                }
            }
            let mapping = idx.mapping();
            for (path, ty) in mapping.fields() {
                let tn = mapping.type_name(path).unwrap_or(ty.name());
                if wanted(path) {
                    let (mut s, mut a) = caps(tn);
                    // declared `index: false` / `doc_values: false` turn the capability off
                    s &= mapping.param(path, "index") != Some(&Value::Bool(false));
                    a &= mapping.param(path, "doc_values") != Some(&Value::Bool(false));
                    add(path, tn, name, s, a, false);
                    if let Some(Value::Object(m)) = mapping.param(path, "meta") {
                        let e = metas.entry((path.to_string(), tn.to_string())).or_default();
                        for (k, v) in m {
                            let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                            e.entry(k.clone()).or_default().insert(v);
                        }
                    }
                }
                if let FieldType::Text { keyword: Some(_) } = ty {
                    let twin = format!("{path}.keyword");
                    if wanted(&twin) {
                        add(&twin, "keyword", name, true, true, false);
                    }
                }
                // dotted parents not mapped explicitly are objects
                let mut p = path;
                while let Some(i) = p.rfind('.') {
                    p = &p[..i];
                    if mapping.get(p).is_none() && wanted(p) {
                        add(p, "object", name, false, false, false);
                    }
                }
            }
        }
        let all: Vec<String> = indices.iter().map(|i| i.name().to_string()).collect();
        if include_unmapped {
            for types in out.values_mut() {
                let mut present: Vec<&String> =
                    types.values().flat_map(|e| e.indices.iter()).collect();
                present.sort();
                let missing: Vec<String> = all
                    .iter()
                    .filter(|n| present.binary_search(n).is_err())
                    .cloned()
                    .collect();
                if !missing.is_empty() {
                    types.insert(
                        "unmapped".into(),
                        TypeEntry {
                            indices: missing,
                            searchable: false,
                            aggregatable: false,
                            metadata: false,
                            ..TypeEntry::default()
                        },
                    );
                }
            }
        }
        let mut fields_obj = Map::new();
        for (field, types) in out {
            let several = types.len() > 1;
            let mut tmap = Map::new();
            for (ty, e) in types {
                let mut o = Map::new();
                let meta = metas.remove(&(field.clone(), ty.clone()));
                o.insert("type".into(), json!(ty));
                o.insert("metadata_field".into(), json!(e.metadata));
                o.insert("searchable".into(), json!(e.searchable));
                o.insert("aggregatable".into(), json!(e.aggregatable));
                if several {
                    o.insert("indices".into(), json!(e.indices));
                }
                // the indices that differ, when the indices disagree
                if !e.non_searchable.is_empty() && e.non_searchable.len() < e.indices.len() {
                    o.insert("non_searchable_indices".into(), json!(e.non_searchable));
                }
                if !e.non_aggregatable.is_empty() && e.non_aggregatable.len() < e.indices.len() {
                    o.insert("non_aggregatable_indices".into(), json!(e.non_aggregatable));
                }
                if let Some(meta) = meta {
                    o.insert("meta".into(), json!(meta));
                }
                tmap.insert(ty, Value::Object(o));
            }
            fields_obj.insert(field, Value::Object(tmap));
        }
        Ok(json!({"indices": all, "fields": fields_obj}))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::search::SearchOptions;
    use crate::store::LogStore;

    fn store() -> LogStore {
        LogStore::for_tests()
    }

    fn f(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn field_caps_as_es_lists_them() {
        let s = store();
        s.create_index_with(
            "test1",
            &json!({"mappings": {"properties": {"text": {"type": "text"}, "number": {"type": "double"},
                "object": {"properties": {"leaf": {"type": "keyword"}}}}}}),
        )
        .unwrap();
        s.create_index_with(
            "test2",
            &json!({"mappings": {"properties": {"text": {"type": "text"}, "number": {"type": "long"},
                "date": {"type": "date"}}}}),
        )
        .unwrap();
        let r = s
            .field_caps(
                "test1,test2",
                &f(&["text", "number", "date"]),
                SearchOptions::default(),
            )
            .unwrap();
        assert_eq!(r["indices"], json!(["test1", "test2"]));
        assert_eq!(
            r["fields"]["text"]["text"],
            json!({"type": "text", "metadata_field": false, "searchable": true, "aggregatable": false})
        );
        assert_eq!(r["fields"]["number"]["double"]["indices"], json!(["test1"]));
        assert_eq!(r["fields"]["number"]["long"]["indices"], json!(["test2"]));
        assert_eq!(r["fields"]["number"]["long"]["aggregatable"], true);
        assert!(r["fields"]["date"]["date"].get("indices").is_none());
        let r = s
            .field_caps("test1", &f(&["obj*"]), SearchOptions::default())
            .unwrap();
        assert_eq!(r["fields"]["object"]["object"]["searchable"], false);
        assert_eq!(r["fields"]["object.leaf"]["keyword"]["aggregatable"], true);
        // dynamic text gets its .keyword twin; `*` lists metadata fields too
        s.index_doc(
            "logs",
            None,
            br#"{"msg":"hello"}"#,
            crate::OpType::Index,
            crate::Refresh::True,
        )
        .unwrap();
        let r = s
            .field_caps("logs", &f(&["*"]), SearchOptions::default())
            .unwrap();
        assert_eq!(r["fields"]["msg.keyword"]["keyword"]["searchable"], true);
        assert_eq!(r["fields"]["msg"]["text"]["aggregatable"], false);
        assert_eq!(
            r["fields"]["_id"]["_id"],
            json!({"type": "_id", "metadata_field": true, "searchable": true, "aggregatable": false})
        );
        assert_eq!(r["fields"]["_index"]["_index"]["aggregatable"], true);
        assert_eq!(r["fields"]["_source"]["_source"]["searchable"], false);
        // no metadata field unless asked
        let r = s
            .field_caps("logs", &f(&["m*"]), SearchOptions::default())
            .unwrap();
        assert!(r["fields"].get("_id").is_none());
    }

    #[test]
    fn index_filter_and_unmapped() {
        let s = store();
        s.create_index_with(
            "test-1",
            &json!({"mappings": {"properties": {"timestamp": {"type": "date"}, "field1": {"type": "keyword"}}}}),
        )
        .unwrap();
        s.create_index_with(
            "test-2",
            &json!({"mappings": {"properties": {"timestamp": {"type": "date"}, "field1": {"type": "long"}}}}),
        )
        .unwrap();
        s.create_index_with("test-3", &json!({})).unwrap();
        for (i, ts, v) in [
            ("test-1", "2015-01-02", "404"),
            ("test-2", "2019-10-04", "403"),
            ("test-3", "2022-01-01", "500"),
        ] {
            let doc = json!({"timestamp": ts, "field1": v}).to_string();
            s.index_doc(
                i,
                None,
                doc.as_bytes(),
                crate::OpType::Index,
                crate::Refresh::True,
            )
            .unwrap();
        }
        let r = s
            .field_caps("test-*", &f(&["*"]), SearchOptions::default())
            .unwrap();
        assert_eq!(r["indices"], json!(["test-1", "test-2", "test-3"]));
        assert_eq!(r["fields"]["field1"].as_object().unwrap().len(), 3);
        let r = s
            .field_caps_with(
                "test-*",
                &f(&["*"]),
                &json!({"index_filter": {"range": {"timestamp": {"gte": "2019-01-01"}}}}),
                false,
                SearchOptions::default(),
            )
            .unwrap();
        assert_eq!(r["indices"], json!(["test-2", "test-3"]));
        assert_eq!(r["fields"]["field1"]["long"]["indices"], json!(["test-2"]));
        assert_eq!(r["fields"]["field1"]["text"]["indices"], json!(["test-3"]));
        let r = s
            .field_caps_with(
                "test-1,test-3",
                &f(&["field1*"]),
                &Value::Null,
                true,
                SearchOptions::default(),
            )
            .unwrap();
        assert_eq!(
            r["fields"]["field1.keyword"]["unmapped"]["indices"],
            json!(["test-1"])
        );
        assert_eq!(
            r["fields"]["field1.keyword"]["unmapped"]["searchable"],
            false
        );
    }

    #[test]
    fn field_caps_errors() {
        let s = store();
        let e = s
            .field_caps("nope", &f(&["*"]), SearchOptions::default())
            .unwrap_err();
        assert_eq!(
            (e.status(), e.es_type()),
            (404, "index_not_found_exception")
        );
        s.create_index_with("a", &json!({})).unwrap();
        let e = s
            .field_caps("a", &[], SearchOptions::default())
            .unwrap_err();
        assert_eq!(
            (e.status(), e.es_type()),
            (400, "action_request_validation_exception")
        );
        let r = s
            .field_caps(
                "a,nope",
                &f(&["x"]),
                SearchOptions {
                    ignore_unavailable: true,
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(r, json!({"indices": ["a"], "fields": {}}));
    }
}
