//! Index templates: composable (`_index_template`, highest `priority` wins) and legacy
//! (`_template`, merged by ascending `order`, ignored when a composable one matches). A new
//! index, created explicitly or on first write, starts from the settings, mappings and aliases
//! of the templates matching its name.

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

fn check_mappings(m: Option<&Value>) -> Result<Option<Value>> {
    match m {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => {
            // legacy bodies may still wrap the mapping in a `_doc` type
            let inner = match o.get("_doc") {
                Some(Value::Object(d)) if o.len() == 1 => Value::Object(d.clone()),
                _ => Value::Object(o.clone()),
            };
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
        out.insert("template".into(), Value::Object(tmpl));
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

impl LogStore {
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
        if let Some((_, t)) = best {
            let tmpl = t.get("template");
            add(
                tmpl.and_then(|x| x.get("settings")),
                tmpl.and_then(|x| x.get("mappings")),
                tmpl.and_then(|x| x.get("aliases")),
            );
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
        let c = self.template_contribution(idx.name());
        for m in &c.mappings {
            idx.put_mapping(m)?;
        }
        self.meta
            .lock()
            .init_index(idx, self.now_ms(), c.settings, c.aliases);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::error::Error;
    use crate::store::{LogStore, StoreOptions};

    fn store() -> LogStore {
        LogStore::new(
            StoreOptions::default(),
            outpost_clock::Clock::manual(1_700_000_000_000),
        )
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
        // a missing legacy name is 404
        assert_eq!(
            s.get_templates(Some("zzz"), true).unwrap_err().status(),
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
