//! Index templates: composable (`_index_template`, highest `priority` wins, built from its
//! `composed_of` component templates (`_component_template`) in order, then its own `template`)
//! and legacy (`_template`, merged by ascending `order`, ignored when a composable one
//! matches). A new index, created explicitly or on first write, starts from the settings,
//! mappings and aliases of the templates matching its name.

use serde_json::{Map, Value, json};

use crate::admin::{flat_settings, nest_settings, normalize_aliases};
use crate::error::{Error, Result};
use crate::index::LogIndex;
use crate::mapping::Mapping;
use crate::resolve::wildcard_match;
use crate::store::LogStore;

/// Keys a composable template body may carry.
const COMPOSABLE_KEYS: &[&str] = &[
    "index_patterns",
    "template",
    "composed_of",
    "priority",
    "version",
    "_meta",
    "data_stream",
    "allow_auto_create",
    "ignore_missing_component_templates",
    "deprecated",
];

/// Keys a legacy template body may carry.
const LEGACY_KEYS: &[&str] = &[
    "index_patterns",
    "order",
    "settings",
    "mappings",
    "aliases",
    "version",
];

/// What a template contributes to a new index.
#[derive(Debug, Default, Clone)]
pub(crate) struct Contribution {
    /// Flat `index.*` settings (string values).
    pub(crate) settings: Map<String, Value>,
    /// Mapping bodies to apply in order.
    pub(crate) mappings: Vec<Value>,
    /// Normalized aliases.
    pub(crate) aliases: Map<String, Value>,
    /// The composable template's name when it makes matching names data streams.
    pub(crate) data_stream: Option<String>,
}

fn patterns_of(body: &Map<String, Value>) -> Result<Vec<String>> {
    let missing = || {
        Error::ActionRequestValidation("Validation Failed: 1: index patterns are missing;".into())
    };
    let pats: Vec<String> = match body.get("index_patterns") {
        Some(Value::String(s)) => s
            .split(',')
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect(),
        Some(Value::Array(a)) => {
            let mut v = Vec::new();
            for p in a {
                match p.as_str() {
                    Some(s) => v.push(s.to_string()),
                    None => {
                        return Err(Error::XContentParse(
                            "[index_template] failed to parse field [index_patterns]".into(),
                        ));
                    }
                }
            }
            v
        }
        None | Some(Value::Null) => return Err(missing()),
        Some(_) => {
            return Err(Error::XContentParse(
                "[index_template] failed to parse field [index_patterns]".into(),
            ));
        }
    };
    if pats.is_empty() {
        return Err(missing());
    }
    for p in &pats {
        if p.contains(' ') || p.contains(',') || p.contains('#') || p.starts_with('_') {
            return Err(Error::InvalidIndexTemplate(format!(
                "index_pattern [{p}] must not contain a space, a comma, a '#' or start with '_'"
            )));
        }
    }
    Ok(pats)
}

fn check_keys(body: &Map<String, Value>, allowed: &[&str], what: &str) -> Result<()> {
    for k in body.keys() {
        if !allowed.contains(&k.as_str()) {
            return Err(Error::XContentParse(format!(
                "[{what}] unknown field [{k}]"
            )));
        }
    }
    Ok(())
}

/// The `template` part of a composable or component template (`settings` nested, `mappings`
/// checked, `aliases` normalized), refusing other keys.
fn template_part(t: &Map<String, Value>) -> Result<Map<String, Value>> {
    check_keys(
        t,
        &["settings", "mappings", "aliases", "lifecycle"],
        "template",
    )?;
    let mut tmpl = Map::new();
    if let Some(s) = t.get("settings") {
        tmpl.insert("settings".into(), nest_settings(&flat_settings(s)?));
    }
    if let Some(m) = check_mappings(t.get("mappings"))? {
        tmpl.insert("mappings".into(), m);
    }
    if let Some(a) = t.get("aliases") {
        tmpl.insert("aliases".into(), Value::Object(normalize_aliases(a)?));
    }
    Ok(tmpl)
}

fn check_mappings(m: Option<&Value>) -> Result<Option<Value>> {
    match m {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => {
            // legacy bodies may still wrap the mapping in a `_doc` type
            let inner = match o.get("_doc") {
                Some(Value::Object(d)) if o.len() == 1 => Value::Object(d.clone()),
                _ => Value::Object(o.clone()),
            };
            if let Value::Object(io) = &inner {
                crate::admin::validate_mapping_body(io, true)?;
            }
            let mut scratch = Mapping::default();
            scratch
                .put(&inner)
                .map_err(|e| Error::MapperParsing(format!("failed to parse mapping: {e}")))?;
            Ok(Some(inner))
        }
        Some(_) => Err(Error::MapperParsing(
            "failed to parse mapping: expected map for property [mappings]".into(),
        )),
    }
}

fn int_field(body: &Map<String, Value>, key: &str) -> Result<i64> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(0),
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .ok_or_else(|| Error::XContentParse(format!("failed to parse field [{key}]"))),
    }
}

/// Whether two template patterns can match a common name (a literal of one matches the other,
/// or both are prefix patterns and one prefix extends the other).
fn patterns_overlap(a: &str, b: &str) -> bool {
    if wildcard_match(a, b) || wildcard_match(b, a) {
        return true;
    }
    let pa = a.split('*').next().unwrap_or("");
    let pb = b.split('*').next().unwrap_or("");
    let simple = |p: &str| p.matches('*').count() == 1 && p.ends_with('*');
    simple(a) && simple(b) && (pa.starts_with(pb) || pb.starts_with(pa))
}

/// Validates and normalizes a composable template body into the stored `index_template`.
fn normalize_composable(name: &str, body: &Value) -> Result<(Value, Vec<String>, i64)> {
    let Some(obj) = body.as_object() else {
        return Err(Error::XContentParse(
            "[index_template] failed to parse, expected an object".into(),
        ));
    };
    check_keys(obj, COMPOSABLE_KEYS, "index_template")?;
    let pats = patterns_of(obj)?;
    let priority = int_field(obj, "priority")?;
    if priority < 0 {
        return Err(Error::ActionRequestValidation(format!(
            "Validation Failed: 1: index template priority must be >= 0 for [{name}];"
        )));
    }
    let mut out = Map::new();
    out.insert("index_patterns".into(), json!(pats));
    if let Some(t) = obj.get("template") {
        let Some(t) = t.as_object() else {
            return Err(Error::XContentParse(
                "[index_template] failed to parse field [template]".into(),
            ));
        };
        out.insert("template".into(), Value::Object(template_part(t)?));
    }
    out.insert(
        "composed_of".into(),
        obj.get("composed_of").cloned().unwrap_or_else(|| json!([])),
    );
    for k in [
        "priority",
        "version",
        "_meta",
        "data_stream",
        "allow_auto_create",
    ] {
        if let Some(v) = obj.get(k) {
            out.insert(k.into(), v.clone());
        }
    }
    Ok((Value::Object(out), pats, priority))
}

/// Validates and normalizes a legacy template body (as `GET /_template` prints it).
fn normalize_legacy(body: &Value) -> Result<Value> {
    let Some(obj) = body.as_object() else {
        return Err(Error::XContentParse(
            "[template] failed to parse, expected an object".into(),
        ));
    };
    // legacy templates accept `template` as the old name of `index_patterns`
    let mut obj = obj.clone();
    if let Some(t) = obj.remove("template")
        && !obj.contains_key("index_patterns")
    {
        obj.insert("index_patterns".into(), t);
    }
    check_keys(&obj, LEGACY_KEYS, "template")?;
    let pats = patterns_of(&obj)?;
    let order = int_field(&obj, "order")?;
    let settings = match obj.get("settings") {
        Some(s) => nest_settings(&flat_settings(s)?),
        None => json!({}),
    };
    let mappings = check_mappings(obj.get("mappings"))?.unwrap_or_else(|| json!({}));
    let aliases = match obj.get("aliases") {
        Some(a) => Value::Object(normalize_aliases(a)?),
        None => json!({}),
    };
    let mut out = Map::new();
    out.insert("order".into(), json!(order));
    out.insert("index_patterns".into(), json!(pats));
    out.insert("settings".into(), settings);
    out.insert("mappings".into(), mappings);
    out.insert("aliases".into(), aliases);
    if let Some(v) = obj.get("version") {
        out.insert("version".into(), v.clone());
    }
    Ok(Value::Object(out))
}

fn stored_patterns(t: &Value) -> Vec<String> {
    t.get("index_patterns")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn stored_int(t: &Value, key: &str) -> i64 {
    t.get(key).and_then(Value::as_i64).unwrap_or(0)
}

/// Names selected by a comma list with wildcards; a concrete name that is missing is an error.
fn select<'a>(
    names: impl Iterator<Item = &'a String> + Clone,
    expr: Option<&str>,
    missing: impl Fn(&str) -> Error,
) -> Result<Vec<String>> {
    let Some(expr) = expr.filter(|e| !e.is_empty() && *e != "_all" && *e != "*") else {
        return Ok(names.cloned().collect());
    };
    let mut out: Vec<String> = Vec::new();
    for part in expr.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if part.contains('*') {
            out.extend(names.clone().filter(|n| wildcard_match(part, n)).cloned());
        } else if names.clone().any(|n| n == part) {
            out.push(part.to_string());
        } else {
            return Err(missing(part));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Merges a later mapping body over an earlier one: `properties` field by field (objects
/// recursively), anything else replaced.
fn merge_mappings(base: Value, over: &Value) -> Value {
    let (Value::Object(mut b), Value::Object(o)) = (base, over) else {
        return over.clone();
    };
    for (k, v) in o {
        let merged = match (k.as_str(), b.remove(k)) {
            ("properties", Some(Value::Object(bp))) if v.is_object() => {
                let mut bp = bp;
                if let Value::Object(op) = v {
                    for (field, def) in op {
                        let nested = |d: &Value| {
                            d.get("properties").is_some()
                                && d.get("type").is_none_or(|t| t == "object")
                        };
                        let next = match bp.remove(field) {
                            Some(old) if nested(&old) && nested(def) => merge_mappings(old, def),
                            _ => def.clone(),
                        };
                        bp.insert(field.clone(), next);
                    }
                }
                Value::Object(bp)
            }
            _ => v.clone(),
        };
        b.insert(k.clone(), merged);
    }
    Value::Object(b)
}

/// Validates and normalizes a component template body.
fn normalize_component(body: &Value) -> Result<Value> {
    let Some(obj) = body.as_object() else {
        return Err(Error::XContentParse(
            "[component_template] failed to parse, expected an object".into(),
        ));
    };
    check_keys(
        obj,
        &["template", "version", "_meta", "deprecated"],
        "component_template",
    )?;
    let Some(t) = obj.get("template").and_then(Value::as_object) else {
        return Err(Error::XContentParse(
            "[component_template] Required [template]".into(),
        ));
    };
    let tmpl = template_part(t)?;
    let mut out = Map::new();
    out.insert("template".into(), Value::Object(tmpl));
    for k in ["version", "_meta"] {
        if let Some(v) = obj.get(k) {
            out.insert(k.into(), v.clone());
        }
    }
    Ok(Value::Object(out))
}

impl LogStore {
    /// `PUT /_component_template/{name}`: replaces a component template of the same name.
    pub fn put_component_template(&self, name: &str, body: &Value) -> Result<()> {
        if name.is_empty() || name.contains(' ') || name.contains(',') || name.contains('*') {
            return Err(Error::InvalidIndexTemplate(format!(
                "name [{name}] must not contain a space, a comma or a '*'"
            )));
        }
        let t = normalize_component(body)?;
        self.meta.lock().components.insert(name.to_string(), t);
        Ok(())
    }

    /// `GET /_component_template[/{name}]`:
    /// `{"component_templates":[{"name","component_template"}]}`; a missing concrete name is 404.
    pub fn get_component_templates(&self, name: Option<&str>) -> Result<Value> {
        let meta = self.meta.lock();
        let picked = select(meta.components.keys(), name, |n| {
            Error::ResourceNotFound(format!("component template matching [{n}] not found"))
        })?;
        let list: Vec<Value> = picked
            .into_iter()
            .filter_map(|n| {
                meta.components
                    .get(&n)
                    .map(|t| json!({"name": n, "component_template": t}))
            })
            .collect();
        Ok(json!({ "component_templates": list }))
    }

    /// `HEAD /_component_template/{name}`.
    pub fn component_template_exists(&self, name: &str) -> bool {
        self.get_component_templates(Some(name)).is_ok_and(|v| {
            v["component_templates"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        })
    }

    /// `DELETE /_component_template/{name}`: 404 when missing, 400 while a composable template
    /// uses it.
    pub fn delete_component_template(&self, name: &str) -> Result<()> {
        let mut meta = self.meta.lock();
        let picked = select(meta.components.keys(), Some(name), |n| {
            Error::ResourceNotFound(format!("component template matching [{n}] not found"))
        })?;
        if picked.is_empty() {
            return Err(Error::ResourceNotFound(format!(
                "component template matching [{name}] not found"
            )));
        }
        for n in &picked {
            let users: Vec<&String> = meta
                .composable
                .iter()
                .filter(|(_, t)| {
                    t.get("composed_of")
                        .and_then(Value::as_array)
                        .is_some_and(|a| a.iter().any(|c| c.as_str() == Some(n.as_str())))
                })
                .map(|(k, _)| k)
                .collect();
            if !users.is_empty() {
                return Err(Error::IllegalArgument(format!(
                    "component templates [{n}] cannot be removed as they are still in use by index templates [{}]",
                    users
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        for n in picked {
            meta.components.remove(&n);
        }
        Ok(())
    }

    /// `PUT /_index_template/{name}` (composable) or `PUT /_template/{name}` (legacy); replaces a
    /// template of the same name.
    pub fn put_template(&self, name: &str, body: &Value, legacy: bool) -> Result<()> {
        if name.is_empty() || name.contains(' ') || name.contains(',') || name.contains('*') {
            return Err(Error::InvalidIndexTemplate(format!(
                "name [{name}] must not contain a space, a comma or a '*'"
            )));
        }
        let mut meta = self.meta.lock();
        if legacy {
            let t = normalize_legacy(body)?;
            meta.legacy.insert(name.to_string(), t);
            return Ok(());
        }
        let (t, pats, priority) = normalize_composable(name, body)?;
        let ignore_missing: Vec<&str> = body
            .get("ignore_missing_component_templates")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let missing: Vec<&str> = t
            .get("composed_of")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .filter(|c| !meta.components.contains_key(*c) && !ignore_missing.contains(c))
                    .collect()
            })
            .unwrap_or_default();
        if !missing.is_empty() {
            return Err(Error::InvalidIndexTemplate(format!(
                "index_template [{name}] invalid, cause [index template [{name}] specifies component templates [{}] that do not exist]",
                missing.join(", ")
            )));
        }
        for (other, ot) in &meta.composable {
            if other == name || stored_int(ot, "priority") != priority {
                continue;
            }
            let ops = stored_patterns(ot);
            if pats
                .iter()
                .any(|p| ops.iter().any(|q| patterns_overlap(p, q)))
            {
                return Err(Error::IllegalArgument(format!(
                    "index template [{name}] has index patterns [{}] matching patterns from existing templates [{other}] with patterns ({other} => [{}]) that have the same priority [{priority}], multiple index templates may not match during index creation, please use a different priority",
                    pats.join(", "),
                    ops.join(", ")
                )));
            }
        }
        meta.composable.insert(name.to_string(), t);
        Ok(())
    }

    /// The GET body: `{"index_templates":[{"name","index_template"}]}` (composable) or
    /// `{name: {...}}` (legacy). `name` None = all; comma lists and wildcards; a missing concrete
    /// name is 404 `resource_not_found_exception`.
    pub fn get_templates(&self, name: Option<&str>, legacy: bool) -> Result<Value> {
        let meta = self.meta.lock();
        if legacy {
            let picked = select(meta.legacy.keys(), name, |n| {
                Error::ResourceNotFound(format!("index template matching [{n}] not found"))
            })?;
            let mut out = Map::new();
            for n in picked {
                if let Some(t) = meta.legacy.get(&n) {
                    out.insert(n, t.clone());
                }
            }
            // legacy GET answers 404 whenever names were given and none matched
            if let Some(n) = name.filter(|n| !n.is_empty() && *n != "_all" && *n != "*")
                && out.is_empty()
            {
                return Err(Error::ResourceNotFound(format!(
                    "index template matching [{n}] not found"
                )));
            }
            return Ok(Value::Object(out));
        }
        let picked = select(meta.composable.keys(), name, |n| {
            Error::ResourceNotFound(format!("index template matching [{n}] not found"))
        })?;
        let list: Vec<Value> = picked
            .into_iter()
            .filter_map(|n| {
                meta.composable
                    .get(&n)
                    .map(|t| json!({"name": n, "index_template": t}))
            })
            .collect();
        Ok(json!({ "index_templates": list }))
    }

    /// `HEAD /_index_template/{name}` / `HEAD /_template/{name}` (wildcards and comma lists:
    /// true when every part matches something).
    pub fn template_exists(&self, name: &str, legacy: bool) -> bool {
        match self.get_templates(Some(name), legacy) {
            Ok(v) if legacy => v.as_object().is_some_and(|o| !o.is_empty()),
            Ok(v) => v
                .get("index_templates")
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty()),
            Err(_) => false,
        }
    }

    /// `DELETE /_index_template/{name}` / `DELETE /_template/{name}` (comma lists and wildcards);
    /// nothing matching is 404 `resource_not_found_exception`.
    pub fn delete_template(&self, name: &str, legacy: bool) -> Result<()> {
        let mut meta = self.meta.lock();
        let map = if legacy {
            &mut meta.legacy
        } else {
            &mut meta.composable
        };
        let picked = select(map.keys(), Some(name), |n| {
            Error::ResourceNotFound(format!("index_template [{n}] missing"))
        })?;
        if picked.is_empty() {
            return Err(Error::ResourceNotFound(format!(
                "index_template [{name}] missing"
            )));
        }
        for n in picked {
            map.remove(&n);
        }
        Ok(())
    }

    /// What the templates matching `index` contribute: the highest-priority composable template,
    /// else every matching legacy template by ascending `order` (later wins). Hidden (dot) names
    /// are matched only by patterns that name them, not by a bare `*`.
    pub(crate) fn template_contribution(&self, index: &str) -> Contribution {
        let meta = self.meta.lock();
        let matches = |t: &Value| {
            stored_patterns(t)
                .iter()
                .any(|p| !(index.starts_with('.') && p == "*") && wildcard_match(p, index))
        };
        let mut c = Contribution::default();
        let best = meta
            .composable
            .iter()
            .filter(|(_, t)| matches(t))
            .max_by(|(an, a), (bn, b)| {
                stored_int(a, "priority")
                    .cmp(&stored_int(b, "priority"))
                    .then_with(|| bn.cmp(an))
            });
        let mut add =
            |settings: Option<&Value>, mappings: Option<&Value>, aliases: Option<&Value>| {
                if let Some(s) = settings
                    && let Ok(flat) = flat_settings(s)
                {
                    c.settings.extend(flat);
                }
                if let Some(m) = mappings.filter(|m| m.as_object().is_some_and(|o| !o.is_empty())) {
                    c.mappings.push(m.clone());
                }
                if let Some(Value::Object(a)) = aliases {
                    c.aliases.extend(a.clone());
                }
            };
        if let Some((tname, t)) = best {
            let data_stream = t.get("data_stream").is_some().then(|| tname.clone());
            let parts = t
                .get("composed_of")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for part in parts.iter().filter_map(Value::as_str) {
                if let Some(ct) = meta.components.get(part) {
                    let tmpl = ct.get("template");
                    add(
                        tmpl.and_then(|x| x.get("settings")),
                        tmpl.and_then(|x| x.get("mappings")),
                        tmpl.and_then(|x| x.get("aliases")),
                    );
                }
            }
            let tmpl = t.get("template");
            add(
                tmpl.and_then(|x| x.get("settings")),
                tmpl.and_then(|x| x.get("mappings")),
                tmpl.and_then(|x| x.get("aliases")),
            );
            c.data_stream = data_stream;
            return c;
        }
        let mut legacy: Vec<(&String, &Value)> =
            meta.legacy.iter().filter(|(_, t)| matches(t)).collect();
        legacy.sort_by_key(|(n, t)| (stored_int(t, "order"), (*n).clone()));
        for (_, t) in legacy {
            add(t.get("settings"), t.get("mappings"), t.get("aliases"));
        }
        c
    }

    /// Applies the matching templates to a freshly created index (mappings onto the index,
    /// settings and aliases into its metadata).
    pub(crate) fn apply_templates(&self, idx: &LogIndex) -> Result<()> {
        let mut c = self.template_contribution(idx.name());
        let pending = {
            let mut meta = self.meta.lock();
            // only a mutable access rewrites the metadata file: look before removing
            if meta.pending_mappings.contains_key(idx.name()) {
                meta.pending_mappings.remove(idx.name())
            } else {
                None
            }
        };
        if let Some(body) = pending {
            c.mappings.push(body);
        }
        if !c.mappings.is_empty() {
            let merged = c
                .mappings
                .iter()
                .fold(Value::Object(Map::new()), merge_mappings);
            idx.put_mapping(&merged)?;
        }
        self.meta
            .lock()
            .init_index(idx, self.now_ms(), c.settings, c.aliases, c.data_stream);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::error::Error;
    use crate::store::LogStore;

    fn store() -> LogStore {
        LogStore::for_tests()
    }

    #[test]
    fn composable_template_round_trips_in_es_shape() {
        let s = store();
        s.put_template(
            "test",
            &json!({"index_patterns": "test-*", "template": {
                "settings": {"number_of_shards": 1, "number_of_replicas": 0},
                "mappings": {"properties": {"field": {"type": "keyword"}}},
                "aliases": {"a": {}, "b": {"routing": "b"}}}}),
            false,
        )
        .unwrap();
        let got = s.get_templates(Some("test"), false).unwrap();
        let t = &got["index_templates"][0];
        assert_eq!(t["name"], "test");
        assert_eq!(t["index_template"]["index_patterns"], json!(["test-*"]));
        assert_eq!(
            t["index_template"]["template"]["settings"]["index"],
            json!({"number_of_shards": "1", "number_of_replicas": "0"})
        );
        assert_eq!(
            t["index_template"]["template"]["mappings"],
            json!({"properties": {"field": {"type": "keyword"}}})
        );
        assert_eq!(
            t["index_template"]["template"]["aliases"]["b"],
            json!({"index_routing": "b", "search_routing": "b"})
        );
        assert_eq!(t["index_template"]["composed_of"], json!([]));
        assert!(s.template_exists("test", false));
        assert!(s.template_exists("te*", false));
        assert!(!s.template_exists("test", true));
        assert!(!s.template_exists("nope", false));
        // all, wildcard, missing
        assert_eq!(
            s.get_templates(None, false).unwrap()["index_templates"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        let e = s.get_templates(Some("nope"), false).unwrap_err();
        assert_eq!(
            (e.status(), e.es_type()),
            (404, "resource_not_found_exception")
        );
        s.delete_template("test", false).unwrap();
        assert!(!s.template_exists("test", false));
        let e = s.delete_template("test", false).unwrap_err();
        assert_eq!(e.status(), 404);
    }

    #[test]
    fn bad_template_bodies_are_400() {
        let s = store();
        for (body, ty) in [
            (json!({}), "action_request_validation_exception"),
            (
                json!({"index_patterns": []}),
                "action_request_validation_exception",
            ),
            (
                json!({"index_patterns": "x-*", "bogus": 1}),
                "x_content_parse_exception",
            ),
            (json!("nope"), "x_content_parse_exception"),
            (
                json!({"index_patterns": "x-*", "template": {"mappings": {"properties": {"f": {"type": "nonsense"}}}}}),
                "mapper_parsing_exception",
            ),
        ] {
            let e = s.put_template("t", &body, false).unwrap_err();
            assert_eq!((e.status(), e.es_type()), (400, ty), "{body}");
        }
        let e = s.put_template("t", &json!({"order": 1}), true).unwrap_err();
        assert_eq!(e.status(), 400);
        assert!(!s.template_exists("t", false));
    }

    #[test]
    fn same_priority_overlap_is_refused_distinct_patterns_are_not() {
        let s = store();
        s.put_template("a", &json!({"index_patterns": ["app-*-some-*"]}), false)
            .unwrap();
        s.put_template(
            "b",
            &json!({"index_patterns": ["app-*-some_other-*"]}),
            false,
        )
        .unwrap();
        let e = s
            .put_template("c", &json!({"index_patterns": ["app-*"]}), false)
            .unwrap_err();
        assert!(matches!(e, Error::IllegalArgument(_)), "{e:?}");
        s.put_template(
            "c",
            &json!({"index_patterns": ["app-*"], "priority": 5}),
            false,
        )
        .unwrap();
    }

    #[test]
    fn legacy_templates_merge_by_order_and_yield_to_composable() {
        let s = store();
        s.put_template(
            "low",
            &json!({"index_patterns": ["logs-*"], "order": 0,
                "settings": {"index.number_of_replicas": 2, "refresh_interval": "5s"},
                "mappings": {"properties": {"a": {"type": "keyword"}}}}),
            true,
        )
        .unwrap();
        s.put_template(
            "high",
            &json!({"index_patterns": "logs-*", "order": 3,
                "settings": {"index": {"number_of_replicas": 0}},
                "mappings": {"_doc": {"properties": {"b": {"type": "long"}}}}}),
            true,
        )
        .unwrap();
        let got = s.get_templates(Some("high,low"), true).unwrap();
        assert_eq!(got["high"]["order"], 3);
        assert_eq!(got["high"]["settings"]["index"]["number_of_replicas"], "0");
        assert_eq!(got["low"]["index_patterns"], json!(["logs-*"]));
        let c = s.template_contribution("logs-1");
        assert_eq!(c.settings["index.number_of_replicas"], "0");
        assert_eq!(c.settings["index.refresh_interval"], "5s");
        assert_eq!(c.mappings.len(), 2);
        // auto-create at first write applies them
        s.index_doc(
            "logs-1",
            None,
            br#"{"a":"x y","b":"7"}"#,
            crate::OpType::Index,
            crate::Refresh::True,
        )
        .unwrap();
        let m = s.get_mapping("logs-1").unwrap();
        assert_eq!(
            m["logs-1"]["mappings"]["properties"]["a"]["type"],
            "keyword"
        );
        assert_eq!(m["logs-1"]["mappings"]["properties"]["b"]["type"], "long");
        assert_eq!(
            s.index_setting("logs-1", "index.number_of_replicas")
                .as_deref(),
            Some("0")
        );
        // a matching composable template wins over every legacy one
        s.put_template(
            "c",
            &json!({"index_patterns": ["logs-*"], "template": {"settings": {"number_of_replicas": 1}}}),
            false,
        )
        .unwrap();
        let c = s.template_contribution("logs-2");
        assert_eq!(c.settings["index.number_of_replicas"], "1");
        assert!(c.mappings.is_empty());
        assert!(!c.settings.contains_key("index.refresh_interval"));
        // a missing legacy name is 404, so is a legacy wildcard matching nothing
        assert_eq!(
            s.get_templates(Some("zzz"), true).unwrap_err().status(),
            404
        );
        assert_eq!(
            s.get_templates(Some("zz*"), true).unwrap_err().status(),
            404
        );
        assert_eq!(
            s.get_templates(Some("zz*"), false).unwrap(),
            json!({"index_templates": []})
        );
    }

    #[test]
    fn logstash_and_filebeat_shaped_templates_load() {
        let s = store();
        s.put_template(
            "ecs-logstash",
            &json!({"index_patterns": "logs-*", "version": 80001, "priority": 200,
                "_meta": {"description": "ECS", "managed": true},
                "template": {"settings": {"index": {"refresh_interval": "5s", "mapping": {"total_fields": {"limit": 2000}}}},
                    "mappings": {"dynamic_templates": [{"message_field": {"path_match": "message",
                            "match_mapping_type": "string", "mapping": {"type": "text", "norms": false}}}],
                        "properties": {"@timestamp": {"type": "date"},
                            "client": {"properties": {"ip": {"type": "ip"}, "geo": {"properties": {"location": {"type": "geo_point"}}}}},
                            "labels": {"type": "flattened"}, "event": {"properties": {"duration": {"type": "long"}}},
                            "old_name": {"type": "alias", "path": "event.duration"}}}}}),
            false,
        )
        .unwrap();
        assert_eq!(
            s.get_templates(Some("ecs-logstash"), false).unwrap()["index_templates"][0]["index_template"]
                ["template"]["settings"]["index"]["mapping"]["total_fields"]["limit"],
            "2000"
        );
        s.index_doc(
            "logs-x",
            None,
            br#"{"@timestamp":"2026-12-07T10:00:00Z","client":{"ip":"10.0.0.1","geo":{"location":{"lat":1.5,"lon":2.5}}}}"#,
            crate::OpType::Index,
            crate::Refresh::True,
        )
        .unwrap();
        let r = s
            .count(
                "logs-x",
                &json!({"query": {"term": {"client.ip": "10.0.0.1"}}}),
                crate::SearchOptions::default(),
            )
            .unwrap();
        assert_eq!(r["count"], 1);
    }

    #[test]
    fn component_templates_compose_in_order() {
        let s = store();
        s.put_component_template(
            "ct_low",
            &json!({"template": {"settings": {"number_of_replicas": 1},
                "mappings": {"properties": {"field1": {"type": "text"}}},
                "aliases": {"aliasname": {"is_write_index": false}}}}),
        )
        .unwrap();
        s.put_component_template(
            "ct_high",
            &json!({"template": {"settings": {"index.number_of_replicas": 0},
                "mappings": {"properties": {"field2": {"type": "keyword"}, "field1": {"type": "keyword"}}},
                "aliases": {"aliasname": {"is_write_index": true}}}}),
        )
        .unwrap();
        s.put_template(
            "my-template",
            &json!({"index_patterns": ["foo", "bar-*"], "composed_of": ["ct_low", "ct_high"], "priority": 400,
                "template": {"settings": {"index.number_of_shards": 2},
                    "aliases": {"my_alias": {}, "aliasname": {"filter": {"match_all": {}}}}}}),
            false,
        )
        .unwrap();
        s.create_index_with(
            "bar-baz",
            &json!({"settings": {"index.priority": 17}, "mappings": {"properties": {"foo": {"type": "keyword"}}},
                "aliases": {"other": {}}}),
        )
        .unwrap();
        let g = s
            .get_index("bar-baz", crate::SearchOptions::default())
            .unwrap();
        let b = &g["bar-baz"];
        assert_eq!(b["settings"]["index"]["number_of_shards"], "2");
        assert_eq!(b["settings"]["index"]["number_of_replicas"], "0");
        assert_eq!(b["settings"]["index"]["priority"], "17");
        // the later component's definition of field1 wins
        assert_eq!(
            b["mappings"]["properties"]["field1"],
            json!({"type": "keyword"})
        );
        assert_eq!(
            b["mappings"]["properties"]["field2"],
            json!({"type": "keyword"})
        );
        assert_eq!(
            b["mappings"]["properties"]["foo"],
            json!({"type": "keyword"})
        );
        assert_eq!(
            b["aliases"]["aliasname"],
            json!({"filter": {"match_all": {}}})
        );
        assert_eq!(b["aliases"]["my_alias"], json!({}));
        assert_eq!(b["aliases"]["other"], json!({}));
        // a create body's mapping overrides the template's type of a field
        s.create_index_with(
            "bar-2",
            &json!({"mappings": {"properties": {"field2": {"type": "long"}}}}),
        )
        .unwrap();
        assert_eq!(
            s.get_mapping("bar-2").unwrap()["bar-2"]["mappings"]["properties"]["field2"]["type"],
            "long"
        );
        // get, in-use delete refused, missing component refused
        let g = s.get_component_templates(Some("ct_*")).unwrap();
        assert_eq!(g["component_templates"].as_array().unwrap().len(), 2);
        assert_eq!(g["component_templates"][0]["name"], "ct_high");
        assert!(s.component_template_exists("ct_low"));
        let e = s.delete_component_template("ct_low").unwrap_err();
        assert_eq!(e.es_type(), "illegal_argument_exception");
        let e = s
            .put_template(
                "t2",
                &json!({"index_patterns": ["zz*"], "composed_of": ["nope"]}),
                false,
            )
            .unwrap_err();
        assert_eq!(
            (e.status(), e.es_type()),
            (400, "invalid_index_template_exception")
        );
        let e = s
            .put_component_template("c", &json!({"version": 1}))
            .unwrap_err();
        assert_eq!(
            (e.status(), e.es_type()),
            (400, "x_content_parse_exception")
        );
        s.delete_template("my-template", false).unwrap();
        s.delete_component_template("ct_low").unwrap();
        assert_eq!(
            s.delete_component_template("ct_low").unwrap_err().status(),
            404
        );
        assert_eq!(
            s.get_component_templates(Some("ct_low"))
                .unwrap_err()
                .status(),
            404
        );
    }

    #[test]
    fn highest_priority_composable_template_wins() {
        let s = store();
        s.put_template(
            "lo",
            &json!({"index_patterns": ["*"], "priority": 1, "template": {"mappings": {"properties": {"f": {"type": "keyword"}}}}}),
            false,
        )
        .unwrap();
        s.put_template(
            "hi",
            &json!({"index_patterns": ["web-*"], "priority": 9, "template": {"mappings": {"properties": {"f": {"type": "long"}}}}}),
            false,
        )
        .unwrap();
        s.create_index_with("web-1", &json!({})).unwrap();
        s.create_index_with("api-1", &json!({})).unwrap();
        let m = s.get_mapping("web-1,api-1").unwrap();
        assert_eq!(m["web-1"]["mappings"]["properties"]["f"]["type"], "long");
        assert_eq!(m["api-1"]["mappings"]["properties"]["f"]["type"], "keyword");
    }
}
