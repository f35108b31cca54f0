//! Index aliases: set at index creation, by templates, `PUT /{index}/_alias/{name}` and
//! `POST /_aliases`; an alias name resolves to its indices on search, and a write to an alias
//! goes to its write index (`is_write_index`, or its only index). An alias `filter` applies to
//! searches and counts that reach an index only through filtered aliases; routing is kept and
//! printed but not applied.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::admin::normalize_aliases;
use crate::error::{Error, Result};
use crate::index::LogIndex;
use crate::resolve::{Extra, wildcard_match};
use crate::store::LogStore;

impl LogStore {
    /// [`LogStore::resolve_extra`] over every live index (the store's index lock held by the
    /// caller), dropping the metadata of indices that are gone (deleted or evicted).
    pub(crate) fn resolve_extra_live<'a>(
        &self,
        live: impl Iterator<Item = &'a Arc<LogIndex>> + Clone,
    ) -> Extra {
        {
            let mut meta = self.meta.lock();
            if meta.indices.len() > live.clone().count() {
                let uuids: BTreeSet<&str> = live.clone().map(|i| i.uuid()).collect();
                meta.indices.retain(|u, _| uuids.contains(u.as_str()));
            }
        }
        self.resolve_extra(live)
    }

    /// Aliases and hidden indices of the given indices, for index resolution.
    pub(crate) fn resolve_extra<'a>(
        &self,
        indices: impl Iterator<Item = &'a Arc<LogIndex>>,
    ) -> Extra {
        let meta = self.meta.lock();
        let mut extra = Extra::default();
        for idx in indices {
            let Some(m) = meta.indices.get(idx.uuid()) else {
                continue;
            };
            for alias in m.aliases.keys() {
                extra
                    .aliases
                    .entry(alias.clone())
                    .or_default()
                    .push(idx.name().to_string());
            }
            if m.settings.get("index.hidden").and_then(Value::as_str) == Some("true") {
                extra.hidden.insert(idx.name().to_string());
            }
        }
        extra
    }

    /// Every alias with its indices.
    fn alias_map(&self) -> BTreeMap<String, Vec<String>> {
        let all = self.resolve_hidden("*,.*", true, true).unwrap_or_default();
        self.resolve_extra(all.iter()).aliases
    }

    /// Where a write to `name` goes: the index itself, else the write index of the alias of
    /// that name, else `name` (auto-created).
    pub(crate) fn write_target(&self, name: String) -> Result<String> {
        if self.exists(&name) {
            return Ok(name);
        }
        Ok(self.alias_write_index(&name)?.unwrap_or(name))
    }

    /// Whether `name` is an alias.
    pub fn is_alias(&self, name: &str) -> bool {
        self.alias_map().contains_key(name)
    }

    /// The index a write to `name` goes to when `name` is an alias: its write index, or its
    /// only index; `Ok(None)` when `name` is no alias.
    pub fn alias_write_index(&self, name: &str) -> Result<Option<String>> {
        let Some(targets) = self.alias_map().remove(name) else {
            return Ok(None);
        };
        // indices first: the metadata lock is never held while taking the index lock
        let resolved: Vec<(String, Arc<LogIndex>)> = targets
            .iter()
            .filter_map(|t| self.index(t).ok().map(|i| (t.clone(), i)))
            .collect();
        let meta = self.meta.lock();
        let mut writers = Vec::new();
        for (t, idx) in &resolved {
            let flag = meta
                .indices
                .get(idx.uuid())
                .and_then(|m| m.aliases.get(name))
                .and_then(|a| a.get("is_write_index"))
                .and_then(Value::as_bool);
            match flag {
                Some(true) => writers.push(t.clone()),
                Some(false) => {}
                None if targets.len() == 1 => writers.push(t.clone()),
                None => {}
            }
        }
        match writers.as_slice() {
            [one] => Ok(Some(one.clone())),
            _ => Err(Error::IllegalArgument(format!(
                "no write index is defined for alias [{name}]. The write index may be explicitly disabled using is_write_index=false or the alias points to multiple indices without one being designated as a write index"
            ))),
        }
    }

    /// `PUT /{index}/_alias/{name}` with an optional body (`filter`, `routing`,
    /// `is_write_index`, ...).
    pub fn put_alias(&self, index_expr: &str, name: &str, body: &Value) -> Result<()> {
        let def = match body {
            Value::Null => json!({}),
            Value::Object(_) => body.clone(),
            _ => {
                return Err(Error::XContentParse(
                    "[alias] failed to parse, expected an object".into(),
                ));
            }
        };
        let norm = normalize_aliases(&json!({ name: def }))?;
        if self.exists(name) {
            return Err(Error::InvalidAliasName(format!(
                "Invalid alias name [{name}]: an index or data stream exists with the same name as the alias"
            )));
        }
        crate::resolve::validate_index_name(name)
            .map_err(|e| Error::InvalidAliasName(format!("Invalid alias name [{name}]: {e}")))?;
        let indices = self.resolve(index_expr, false)?;
        let mut meta = self.meta.lock();
        for idx in &indices {
            let entry = meta.indices.entry(idx.uuid().to_string()).or_default();
            entry.aliases.extend(norm.clone());
        }
        Ok(())
    }

    /// `DELETE /{index}/_alias/{name}` (comma lists and wildcards in both); nothing removed is
    /// 404 `aliases_not_found_exception`.
    pub fn delete_alias(&self, index_expr: &str, name: &str) -> Result<()> {
        let indices = self.resolve(index_expr, false)?;
        let pats: Vec<&str> = name.split(',').map(str::trim).collect();
        let mut removed = false;
        let mut meta = self.meta.lock();
        for idx in &indices {
            if let Some(m) = meta.indices.get_mut(idx.uuid()) {
                let before = m.aliases.len();
                m.aliases
                    .retain(|a, _| !pats.iter().any(|p| *p == "_all" || wildcard_match(p, a)));
                removed |= m.aliases.len() != before;
            }
        }
        if removed {
            Ok(())
        } else {
            Err(Error::AliasesNotFound(name.to_string()))
        }
    }

    /// `GET [/{index}]/_alias[/{name}]`: `{index: {"aliases": {name: {...}}}}`. With a name,
    /// only indices holding a matching alias are listed, and none at all is 404
    /// (`aliases_not_found_exception`; ES answers `{"error": "alias [x] missing", "status": 404}`).
    pub fn get_aliases(&self, index_expr: Option<&str>, name: Option<&str>) -> Result<Value> {
        let indices = self.resolve(index_expr.unwrap_or("*,.*"), index_expr.is_none())?;
        let pats: Option<Vec<&str>> = name
            .filter(|n| !n.is_empty() && *n != "_all" && *n != "*")
            .map(|n| n.split(',').map(str::trim).collect());
        let meta = self.meta.lock();
        let mut out = Map::new();
        for idx in &indices {
            let aliases = meta
                .indices
                .get(idx.uuid())
                .map(|m| m.aliases.clone())
                .unwrap_or_default();
            let picked: Map<String, Value> = aliases
                .into_iter()
                .filter(|(a, _)| {
                    pats.as_ref()
                        .is_none_or(|ps| ps.iter().any(|p| wildcard_match(p, a)))
                })
                .collect();
            if pats.is_some() && picked.is_empty() {
                continue;
            }
            out.insert(idx.name().to_string(), json!({"aliases": picked}));
        }
        if let Some(n) = name
            && pats.is_some()
            && out.is_empty()
        {
            return Err(Error::AliasesNotFound(n.to_string()));
        }
        Ok(Value::Object(out))
    }

    /// `HEAD [/{index}]/_alias/{name}`.
    pub fn alias_exists(&self, index_expr: Option<&str>, name: &str) -> bool {
        self.get_aliases(index_expr, Some(name))
            .is_ok_and(|v| v.as_object().is_some_and(|o| !o.is_empty()))
    }

    /// `POST /_aliases` `{"actions": [{"add"|"remove"|"remove_index": {...}}]}`, applied in
    /// order; answers `{"acknowledged": true}`.
    pub fn update_aliases(&self, body: &Value) -> Result<Value> {
        let Some(actions) = body.get("actions").and_then(Value::as_array) else {
            return Err(Error::ActionRequestValidation(
                "Validation Failed: 1: Must specify at least one alias action;".into(),
            ));
        };
        for action in actions {
            let Some((kind, spec)) = action.as_object().and_then(|o| o.iter().next()) else {
                return Err(Error::Parsing("[aliases] malformed action".into()));
            };
            let list = |key: &str, plural: &str| -> Vec<String> {
                let mut v: Vec<String> = Vec::new();
                if let Some(s) = spec.get(key).and_then(Value::as_str) {
                    v.push(s.to_string());
                }
                if let Some(a) = spec.get(plural).and_then(Value::as_array) {
                    v.extend(a.iter().filter_map(Value::as_str).map(str::to_string));
                }
                v
            };
            let indices = list("index", "indices");
            let aliases = list("alias", "aliases");
            if indices.is_empty() {
                return Err(Error::ActionRequestValidation(
                    "Validation Failed: 1: One of [index] or [indices] is required;".into(),
                ));
            }
            let expr = indices.join(",");
            match kind.as_str() {
                "add" | "remove" if aliases.is_empty() => {
                    return Err(Error::ActionRequestValidation(
                        "Validation Failed: 1: One of [alias] or [aliases] is required;".into(),
                    ));
                }
                "add" => {
                    let mut def = spec.as_object().cloned().unwrap_or_default();
                    for k in ["index", "indices", "alias", "aliases", "must_exist"] {
                        def.remove(k);
                    }
                    for a in &aliases {
                        self.put_alias(&expr, a, &Value::Object(def.clone()))?;
                    }
                }
                "remove" => {
                    let r = self.delete_alias(&expr, &aliases.join(","));
                    let must = spec.get("must_exist").and_then(Value::as_bool) == Some(true);
                    if must {
                        r?;
                    }
                }
                "remove_index" => {
                    for idx in self.resolve(&expr, false)? {
                        self.delete_index(idx.name())?;
                    }
                }
                other => {
                    return Err(Error::Parsing(format!("[aliases] unknown field [{other}]")));
                }
            }
        }
        Ok(json!({"acknowledged": true, "errors": false}))
    }

    /// `q` with the alias filters of `expr` applied: an index reached only through aliases
    /// that all carry a `filter` matches `q` and any of those filters; an index named directly,
    /// through a wildcard matching its own name, or through an alias without a filter, `q` alone.
    pub(crate) fn with_alias_filters(
        &self,
        expr: &str,
        indices: &[Arc<LogIndex>],
        q: crate::query::Query,
    ) -> Result<crate::query::Query> {
        use crate::query::{BoolQuery, Query};
        let parts: Vec<&str> = expr
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty() && !p.starts_with('-'))
            .collect();
        let meta = self.meta.lock();
        let mut scoped = Vec::new();
        for idx in indices {
            let name = idx.name();
            let direct = parts
                .iter()
                .any(|p| *p == "_all" || p.starts_with('<') || wildcard_match(p, name));
            if direct {
                continue;
            }
            let Some(m) = meta.indices.get(idx.uuid()) else {
                continue;
            };
            let mut filters = Vec::new();
            let mut unfiltered = false;
            for (alias, def) in &m.aliases {
                if !parts.iter().any(|p| wildcard_match(p, alias)) {
                    continue;
                }
                match def.get("filter") {
                    Some(f) if f.is_object() => filters.push(crate::query::parse(f)?),
                    _ => unfiltered = true,
                }
            }
            if unfiltered || filters.is_empty() {
                continue;
            }
            let filter = if filters.len() == 1 {
                filters.swap_remove(0)
            } else {
                Query::Bool(BoolQuery {
                    should: filters,
                    ..BoolQuery::default()
                })
            };
            scoped.push((
                name.to_string(),
                Query::Bool(BoolQuery {
                    must: vec![q.clone()],
                    filter: vec![filter],
                    ..BoolQuery::default()
                }),
            ));
        }
        Ok(if scoped.is_empty() {
            q
        } else {
            Query::PerIndex(scoped, Box::new(q))
        })
    }

    /// Names of the aliases of one index.
    pub fn aliases_of(&self, index: &str) -> BTreeSet<String> {
        let Ok(idx) = self.index(index) else {
            return BTreeSet::new();
        };
        self.meta
            .lock()
            .indices
            .get(idx.uuid())
            .map(|m| m.aliases.keys().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::OpType;
    use crate::search::SearchOptions;
    use crate::store::{LogStore, Refresh};

    fn store() -> LogStore {
        LogStore::for_tests()
    }

    #[test]
    fn alias_filters_apply_on_search_and_count() {
        let s = store();
        s.create_index_with(
            "app-1",
            &json!({"aliases": {"errors": {"filter": {"term": {"level": "error"}}}, "all": {}}}),
        )
        .unwrap();
        for (id, level) in [("1", "error"), ("2", "info"), ("3", "error")] {
            let doc = format!("{{\"level\":\"{level}\"}}");
            s.index_doc(
                "app-1",
                Some(id),
                doc.as_bytes(),
                OpType::Index,
                Refresh::True,
            )
            .unwrap();
        }
        let opts = SearchOptions::default();
        let count = |expr: &str| s.count(expr, &json!({}), opts).unwrap()["count"].clone();
        assert_eq!(count("errors"), 2);
        assert_eq!(count("err*"), 2);
        // named directly, by a wildcard on its name, or through an unfiltered alias: all docs
        assert_eq!(count("app-1"), 3);
        assert_eq!(count("app-*"), 3);
        assert_eq!(count("errors,all"), 3);
        let res = s
            .search(
                "errors",
                &json!({"query": {"ids": {"values": ["1", "2"]}}}),
                opts,
            )
            .unwrap();
        assert_eq!(res["hits"]["total"]["value"], 1);
        assert_eq!(res["hits"]["hits"][0]["_id"], "1");
        // aggregations see the filtered hits too
        let res = s
            .search(
                "errors",
                &json!({"size": 0, "aggs": {"n": {"value_count": {"field": "level.keyword"}}}}),
                opts,
            )
            .unwrap();
        assert_eq!(res["aggregations"]["n"]["value"], 2);
    }

    #[test]
    fn aliases_resolve_on_search_and_write() {
        let s = store();
        s.create_index_with("logs-1", &json!({"aliases": {"logs": {}}}))
            .unwrap();
        s.create_index_with(
            "logs-2",
            &json!({"aliases": {"logs": {"is_write_index": true}}}),
        )
        .unwrap();
        s.index_doc("logs-1", None, br#"{"a":1}"#, OpType::Index, Refresh::True)
            .unwrap();
        // a write to the alias lands in its write index
        let w = s
            .index_doc("logs", None, br#"{"a":2}"#, OpType::Index, Refresh::True)
            .unwrap();
        assert_eq!(w.index, "logs-2");
        assert!(!s.exists("logs"));
        let r = s
            .count("logs", &json!({}), SearchOptions::default())
            .unwrap();
        assert_eq!(r["count"], 2);
        let g = s.get_aliases(None, Some("logs")).unwrap();
        assert_eq!(
            g["logs-2"]["aliases"]["logs"],
            json!({"is_write_index": true})
        );
        assert_eq!(g["logs-1"]["aliases"]["logs"], json!({}));
        assert!(s.alias_exists(None, "logs"));
        assert!(s.alias_exists(Some("logs-1"), "lo*"));
        assert!(!s.alias_exists(None, "nope"));
        assert_eq!(s.get_aliases(None, Some("nope")).unwrap_err().status(), 404);
        // an index may not take an alias's name, nor an alias an index's
        let e = s.create_index_with("logs", &json!({})).unwrap_err();
        assert_eq!(e.es_type(), "invalid_index_name_exception");
        let e = s.put_alias("logs-1", "logs-2", &json!({})).unwrap_err();
        assert_eq!(e.es_type(), "invalid_alias_name_exception");
    }

    #[test]
    fn alias_apis_add_remove_and_write_index_errors() {
        let s = store();
        s.create_index_with("a", &json!({})).unwrap();
        s.create_index_with("b", &json!({})).unwrap();
        s.update_aliases(&json!({"actions": [
            {"add": {"indices": ["a", "b"], "alias": "both", "routing": "r"}},
            {"add": {"index": "a", "alias": "only-a"}}]}))
            .unwrap();
        assert_eq!(
            s.get_aliases(Some("a"), None).unwrap()["a"]["aliases"]["both"],
            json!({"index_routing": "r", "search_routing": "r"})
        );
        let e = s
            .index_doc("both", None, br#"{"x":1}"#, OpType::Index, Refresh::True)
            .unwrap_err();
        assert_eq!(e.es_type(), "illegal_argument_exception");
        s.index_doc(
            "only-a",
            Some("1"),
            br#"{"x":1}"#,
            OpType::Index,
            Refresh::True,
        )
        .unwrap();
        assert_eq!(s.get_doc("a", "1").unwrap().map(|d| d.1), Some(1));
        s.delete_alias("a", "both").unwrap();
        assert_eq!(
            s.aliases_of("a").into_iter().collect::<Vec<_>>(),
            vec!["only-a".to_string()]
        );
        let e = s.delete_alias("a", "both").unwrap_err();
        assert_eq!(
            (e.status(), e.es_type()),
            (404, "aliases_not_found_exception")
        );
        s.update_aliases(&json!({"actions": [{"remove_index": {"index": "b"}}]}))
            .unwrap();
        assert!(!s.exists("b"));
        let e = s.update_aliases(&json!({})).unwrap_err();
        assert_eq!(e.status(), 400);
    }

    #[test]
    fn logstash_ilm_rollover_alias_flow() {
        let s = store();
        // HEAD /logstash (absent), PUT /<logstash-{now/d}-000001> with the write alias
        assert!(!s.exists("logstash") && !s.is_alias("logstash"));
        s.create_index_with(
            "<logstash-{now/d}-000001>",
            &json!({"aliases": {"logstash": {"is_write_index": true}}}),
        )
        .unwrap();
        assert!(s.exists("logstash-2023.11.14-000001"));
        assert!(s.is_alias("logstash"));
        // a second PUT is a 400 (Logstash treats it as "already exists")
        let e = s
            .create_index_with(
                "<logstash-{now/d}-000001>",
                &json!({"aliases": {"logstash": {"is_write_index": true}}}),
            )
            .unwrap_err();
        assert_eq!(e.status(), 400);
        let w = s
            .index_doc(
                "logstash",
                None,
                br#"{"m":"x"}"#,
                OpType::Index,
                Refresh::True,
            )
            .unwrap();
        assert_eq!(w.index, "logstash-2023.11.14-000001");
        let r = s
            .search("logstash", &json!({}), SearchOptions::default())
            .unwrap();
        assert_eq!(r["hits"]["hits"][0]["_index"], "logstash-2023.11.14-000001");
    }

    #[test]
    fn metadata_of_deleted_indices_is_dropped() {
        let s = store();
        s.create_index_with("a", &json!({"aliases": {"x": {}}}))
            .unwrap();
        s.delete_index("a").unwrap();
        s.create_index_with("b", &json!({})).unwrap();
        assert!(s.resolve("*", true).unwrap().len() == 1);
        assert_eq!(s.meta.lock().indices.len(), 1);
        assert!(!s.is_alias("x"));
    }

    #[test]
    fn hidden_indices_stay_out_of_wildcards() {
        let s = store();
        s.create_index_with(
            "index1",
            &json!({"settings": {"number_of_replicas": "0", "index": {"hidden": true}},
                "aliases": {"alias1": {}}}),
        )
        .unwrap();
        s.create_index_with("index2", &json!({})).unwrap();
        let names = |v: Vec<crate::IndexInfo>| v.into_iter().map(|i| i.name).collect::<Vec<_>>();
        assert_eq!(names(s.index_infos(Some("i*")).unwrap()), vec!["index2"]);
        assert_eq!(names(s.index_infos(None).unwrap()), vec!["index2"]);
        assert_eq!(
            names(s.index_infos(Some("alias1")).unwrap()),
            vec!["index1"]
        );
        assert_eq!(
            names(s.index_infos(Some("index1")).unwrap()),
            vec!["index1"]
        );
        assert_eq!(
            names(s.index_infos_expand(None, true).unwrap()),
            vec!["index1", "index2"]
        );
    }
}
