//! An index's mapping as Elasticsearch's dynamic mapping builds it: dotted path → field type,
//! first-seen type wins, explicit mappings (`put_mapping`) override. A document is checked
//! against the mapping as a whole; a value that does not fit refuses only that document.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;

use serde_json::{Map, Value, json};

use crate::date::{parse_date, parse_date_value};
use crate::error::{Error, Result};

/// `ignore_above` of the dynamic `.keyword` sub-field.
pub(crate) const KEYWORD_IGNORE_ABOVE: usize = 256;

/// A field's type, as `_mapping` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldType {
    /// `text`, with an optional `keyword` sub-field `.keyword` (its `ignore_above`).
    Text {
        /// `ignore_above` of `.keyword`, `None` when the text has no keyword sub-field.
        keyword: Option<usize>,
    },
    /// `keyword` (its `ignore_above`).
    Keyword {
        /// Longer values are kept in `_source` but not indexed.
        ignore_above: Option<usize>,
    },
    /// `long` (also `integer`, `short`, `byte` in explicit mappings).
    Long,
    /// `float` / `double` (dynamic floats are `float`).
    Double(&'static str),
    /// `boolean`.
    Boolean,
    /// `date` (epoch ms).
    Date,
    /// `object`: a parent of dotted paths.
    Object,
}

impl FieldType {
    /// The type name `_mapping` prints.
    pub fn name(&self) -> &'static str {
        match self {
            FieldType::Text { .. } => "text",
            FieldType::Keyword { .. } => "keyword",
            FieldType::Long => "long",
            FieldType::Double(n) => n,
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
            FieldType::Object => "object",
        }
    }

    fn from_explicit(name: &str, def: &Value) -> Result<FieldType> {
        Ok(match name {
            "text" | "match_only_text" => {
                let keyword = def
                    .get("fields")
                    .and_then(|f| f.get("keyword"))
                    .map(|k| ignore_above(k).unwrap_or(usize::MAX));
                FieldType::Text { keyword }
            }
            "keyword" | "constant_keyword" | "wildcard" => FieldType::Keyword {
                ignore_above: ignore_above(def),
            },
            "long" | "integer" | "short" | "byte" | "unsigned_long" => FieldType::Long,
            "double" => FieldType::Double("double"),
            "float" | "half_float" | "scaled_float" => FieldType::Double("float"),
            "boolean" => FieldType::Boolean,
            "date" | "date_nanos" => FieldType::Date,
            "object" | "nested" => FieldType::Object,
            // types outside the store's model, kept so index templates (Logstash's ECS, Filebeat's)
            // load: exact values as keywords, structured values as objects, scores as doubles
            "ip" | "version" | "binary" | "alias" | "join" => {
                FieldType::Keyword { ignore_above: None }
            }
            "search_as_you_type" | "completion" | "annotated_text" => {
                FieldType::Text { keyword: None }
            }
            "token_count" => FieldType::Long,
            "rank_feature" => FieldType::Double("float"),
            t if is_opaque(t) => FieldType::Object,
            other => {
                return Err(Error::MapperParsing(format!(
                    "no handler for type [{other}] declared on field"
                )));
            }
        })
    }
}

/// Types the store cannot index natively: any JSON value is accepted, kept in `_source`,
/// marked present for `exists` and indexed as one exact value (its text or its JSON).
fn is_opaque(ty: &str) -> bool {
    matches!(
        ty,
        "geo_point"
            | "geo_shape"
            | "point"
            | "shape"
            | "flattened"
            | "dense_vector"
            | "histogram"
            | "rank_features"
            | "sparse_vector"
            | "percolator"
            | "aggregate_metric_double"
            | "integer_range"
            | "float_range"
            | "long_range"
            | "double_range"
            | "date_range"
            | "ip_range"
    )
}

fn ignore_above(def: &Value) -> Option<usize> {
    def.get("ignore_above")
        .and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok())
}

/// One indexable value of a document, already converted to its field's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Leaf {
    /// Analyzed text; the flag says whether its `.keyword` twin is indexed too.
    Text(String, bool),
    /// An exact keyword.
    Keyword(String),
    /// A long.
    Long(i64),
    /// A double.
    Double(f64),
    /// A boolean.
    Boolean(bool),
    /// A date in epoch ms.
    Date(i64),
}

/// A document's leaves and the paths it adds to the mapping.
pub type Prepared = (Vec<(String, Leaf)>, Vec<(String, FieldType)>);

/// A leaf borrowing its text from the document.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum LeafRef<'v> {
    /// Analyzed text; the flag says whether its `.keyword` twin is indexed too.
    Text(Cow<'v, str>, bool),
    /// An exact keyword.
    Keyword(Cow<'v, str>),
    /// A long.
    Long(i64),
    /// A double.
    Double(f64),
    /// A boolean.
    Boolean(bool),
    /// A date in epoch ms.
    Date(i64),
}

impl LeafRef<'_> {
    fn to_owned_leaf(&self) -> Leaf {
        match self {
            LeafRef::Text(s, kw) => Leaf::Text(s.to_string(), *kw),
            LeafRef::Keyword(s) => Leaf::Keyword(s.to_string()),
            LeafRef::Long(n) => Leaf::Long(*n),
            LeafRef::Double(x) => Leaf::Double(*x),
            LeafRef::Boolean(b) => Leaf::Boolean(*b),
            LeafRef::Date(ms) => Leaf::Date(*ms),
        }
    }
}

/// A walked document: its leaves (paths as ranges of `paths`) and the paths it adds.
#[derive(Debug)]
pub(crate) struct Walked<'v> {
    /// The leaf paths, one after another.
    pub(crate) paths: String,
    /// Each leaf with the range of its path in `paths`, in document order.
    pub(crate) leaves: Vec<(Range<usize>, LeafRef<'v>)>,
    /// Paths the document adds to the mapping.
    pub(crate) added: Vec<(String, FieldType)>,
}

/// The mapping of one index.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mapping {
    fields: BTreeMap<String, FieldType>,
    /// Explicitly declared definitions (without `properties`), echoed by `_mapping`.
    declared: BTreeMap<String, Map<String, Value>>,
    /// Root-level parameters (`dynamic`, `_source`, `_meta`, ...), echoed by `_mapping`.
    root: Map<String, Value>,
}

/// Root-level mapping parameters (not field names).
const ROOT_PARAMS: &[&str] = &[
    "dynamic",
    "date_detection",
    "numeric_detection",
    "dynamic_templates",
    "dynamic_date_formats",
    "runtime",
    "enabled",
    "subobjects",
    "_source",
    "_meta",
    "_routing",
    "_field_names",
    "_data_stream_timestamp",
];

impl Mapping {
    /// The type of a dotted path, if mapped.
    pub fn get(&self, path: &str) -> Option<&FieldType> {
        self.fields.get(path)
    }

    /// The type name a path was declared with (`integer`, `ip`, `geo_point`, ...), else the
    /// name of its stored type.
    pub fn type_name(&self, path: &str) -> Option<&str> {
        match self.declared.get(path).and_then(|d| d.get("type")) {
            Some(Value::String(t)) => Some(t.as_str()),
            _ => self.fields.get(path).map(FieldType::name),
        }
    }

    /// Whether the root mapping says `dynamic: false`: new fields are kept in `_source` only.
    fn dynamic_off(&self) -> bool {
        matches!(self.root.get("dynamic"), Some(Value::Bool(false)))
            || matches!(self.root.get("dynamic"), Some(Value::String(s)) if s == "false")
    }

    /// A parameter a path was declared with (`index`, `doc_values`, `meta`, ...).
    pub fn param(&self, path: &str, key: &str) -> Option<&Value> {
        self.declared.get(path).and_then(|d| d.get(key))
    }

    /// Whether a path was declared with a type the store keeps as an opaque value.
    fn opaque(&self, path: &str) -> bool {
        self.declared
            .get(path)
            .and_then(|d| d.get("type"))
            .and_then(Value::as_str)
            .is_some_and(is_opaque)
    }

    /// All mapped paths with their types, in path order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &FieldType)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of mapped paths.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether nothing is mapped yet.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Applies an explicit `{"properties": {...}}` mapping. A path that already has another type
    /// is refused with ES's `illegal_argument_exception` text; nothing is applied then.
    pub fn put(&mut self, body: &Value) -> Result<()> {
        if let Value::Object(o) = body {
            if o.len() == 1 && matches!(o.get("_doc"), Some(Value::Object(_))) {
                return Err(Error::IllegalArgument(
                    "Types cannot be provided in put mapping requests".to_string(),
                ));
            }
            crate::admin::validate_mapping_body(o, false)?;
        }
        let mut root = Map::new();
        let mut rest = Map::new();
        if let Value::Object(o) = body {
            for (k, v) in o {
                if ROOT_PARAMS.contains(&k.as_str()) {
                    root.insert(k.clone(), v.clone());
                } else {
                    rest.insert(k.clone(), v.clone());
                }
            }
        }
        let rest = Value::Object(rest);
        let props = match body.get("properties") {
            Some(p) => p,
            None if body.is_object() => &rest,
            None => body,
        };
        let mut new = BTreeMap::new();
        let mut declared = BTreeMap::new();
        collect_properties(props, "", &mut new, &mut declared)?;
        let name_of = |path: &str, ty: &FieldType, d: &BTreeMap<String, Map<String, Value>>| match d
            .get(path)
            .and_then(|d| d.get("type"))
        {
            Some(Value::String(t)) => t.clone(),
            _ => ty.name().to_string(),
        };
        for (path, ty) in &new {
            if let Some(old) = self.fields.get(path) {
                let (was, now) = (
                    name_of(path, old, &self.declared),
                    name_of(path, ty, &declared),
                );
                if was != now && !(*old == FieldType::Object && *ty == FieldType::Object) {
                    return Err(Error::IllegalArgument(format!(
                        "mapper [{path}] cannot be changed from type [{was}] to [{now}]"
                    )));
                }
            }
        }
        self.fields.extend(new);
        self.root.extend(root);
        for (path, def) in declared {
            match self.declared.get_mut(&path) {
                // parameters given again are updated, others kept
                Some(old) => old.extend(def),
                None => {
                    self.declared.insert(path, def);
                }
            }
        }
        Ok(())
    }

    /// Converts a document's `_source` into its leaves, extending the mapping dynamically with
    /// the paths it introduces. On a conflict nothing is added and the document is refused.
    pub fn index_document(&mut self, source: &Value, id: &str) -> Result<Vec<(String, Leaf)>> {
        let (leaves, added) = self.prepare(source, id)?;
        self.extend(added);
        Ok(leaves)
    }

    /// Like [`Mapping::index_document`] without changing the mapping: the leaves and the new
    /// paths the document would add (apply them with [`Mapping::extend`]).
    pub fn prepare(&self, source: &Value, id: &str) -> Result<Prepared> {
        let walked = self.walk(source, id)?;
        let leaves = walked
            .leaves
            .iter()
            .map(|(r, leaf)| (walked.paths[r.clone()].to_string(), leaf.to_owned_leaf()))
            .collect();
        Ok((leaves, walked.added))
    }

    /// The walk behind [`Mapping::prepare`] without copies: leaf paths live in one arena,
    /// string values borrow from the document.
    pub(crate) fn walk<'v>(&self, source: &'v Value, id: &str) -> Result<Walked<'v>> {
        let Value::Object(obj) = source else {
            return Err(Error::MapperParsing(
                "failed to parse, document is empty or not an object".to_string(),
            ));
        };
        let mut w = Walked {
            paths: String::with_capacity(1024),
            leaves: Vec::with_capacity(64),
            added: Vec::new(),
        };
        let mut path = String::with_capacity(128);
        self.walk_object(obj, &mut path, id, &mut w)?;
        Ok(w)
    }

    /// Adds dynamically mapped paths (first-seen type wins).
    pub fn extend(&mut self, added: Vec<(String, FieldType)>) {
        for (path, ty) in added {
            self.fields.entry(path).or_insert(ty);
        }
    }

    fn lookup<'a>(&'a self, path: &str, added: &'a [(String, FieldType)]) -> Option<&'a FieldType> {
        self.fields
            .get(path)
            .or_else(|| added.iter().find(|(p, _)| p == path).map(|(_, t)| t))
    }

    /// Walks an object whose path is `path` (empty at the root); `path` is restored on return.
    fn walk_object<'v>(
        &self,
        obj: &'v Map<String, Value>,
        path: &mut String,
        id: &str,
        w: &mut Walked<'v>,
    ) -> Result<()> {
        let base = path.len();
        for (key, value) in obj {
            let kb = key.as_bytes();
            if !kb.is_empty() && kb.iter().all(|b| *b == b'.') {
                return Err(Error::MapperParsing(
                    "field name cannot contain only the character [.]".to_string(),
                ));
            }
            if kb.is_empty() || kb[0] == b'.' || kb[kb.len() - 1] == b'.' || key.contains("..") {
                return Err(Error::MapperParsing(format!(
                    "field name cannot be an empty string or contain empty segments [{key}]"
                )));
            }
            if base > 0 {
                path.push('.');
            }
            // parents of dotted keys are objects
            for (i, b) in kb.iter().enumerate() {
                if *b == b'.' {
                    path.push_str(&key[..i]);
                    self.ensure_object(path, &mut w.added)?;
                    path.truncate(if base > 0 { base + 1 } else { 0 });
                }
            }
            path.push_str(key);
            let res = self.walk_value(value, path, id, w);
            path.truncate(base);
            res?;
        }
        Ok(())
    }

    fn ensure_object(&self, path: &str, added: &mut Vec<(String, FieldType)>) -> Result<()> {
        match self.lookup(path, added) {
            Some(FieldType::Object) => Ok(()),
            Some(_) => Err(Error::MapperParsing(format!(
                "object mapping for [{path}] tried to parse field [{path}] as object, but found a concrete value"
            ))),
            None => {
                added.push((path.to_string(), FieldType::Object));
                Ok(())
            }
        }
    }

    fn walk_value<'v>(
        &self,
        value: &'v Value,
        path: &mut String,
        id: &str,
        w: &mut Walked<'v>,
    ) -> Result<()> {
        match value {
            Value::Null => Ok(()),
            Value::Array(_) | Value::Object(_)
                if self.fields.get(path.as_str()) == Some(&FieldType::Object)
                    && self.opaque(path) =>
            {
                let start = w.paths.len();
                w.paths.push_str(path);
                let leaf = LeafRef::Keyword(Cow::Owned(value.to_string()));
                w.leaves.push((start..w.paths.len(), leaf));
                Ok(())
            }
            Value::Array(items) => {
                for item in items {
                    self.walk_value(item, path, id, w)?;
                }
                Ok(())
            }
            Value::Object(obj) => {
                if self.dynamic_off() && self.lookup(path, &w.added).is_none() {
                    // kept in `_source` only
                    return Ok(());
                }
                self.ensure_object(path, &mut w.added)?;
                self.walk_object(obj, path, id, w)
            }
            _ => {
                let known = self.lookup(path, &w.added);
                if known.is_none() && self.dynamic_off() {
                    // kept in `_source` only
                    return Ok(());
                }
                let dynamic = if known.is_none() {
                    Some(dynamic_type(value))
                } else {
                    None
                };
                let Some(ty) = known.or(dynamic.as_ref()) else {
                    return Ok(());
                };
                let opaque = *ty == FieldType::Object && known.is_some() && self.opaque(path);
                let leaf = if opaque {
                    Some(Some(LeafRef::Keyword(match value {
                        Value::String(s) => Cow::Borrowed(s.as_str()),
                        other => Cow::Owned(other.to_string()),
                    })))
                } else {
                    convert(value, ty)
                };
                let leaf = leaf.ok_or_else(|| {
                    if *ty == FieldType::Object {
                        Error::MapperParsing(format!(
                            "object mapping for [{path}] tried to parse field [{path}] as object, but found a concrete value"
                        ))
                    } else {
                        Error::MapperParsing(format!(
                            "failed to parse field [{path}] of type [{}] in document with id '{id}'. Preview of field's value: '{}'",
                            ty.name(),
                            preview(value)
                        ))
                    }
                })?;
                if let Some(ty) = dynamic {
                    w.added.push((path.clone(), ty));
                }
                if let Some(leaf) = leaf {
                    let start = w.paths.len();
                    w.paths.push_str(path);
                    w.leaves.push((start..w.paths.len(), leaf));
                }
                Ok(())
            }
        }
    }

    /// The `{"properties": …}` object `_mapping` prints, nesting dotted paths under objects.
    pub fn to_es_json(&self) -> Value {
        let mut root = Map::new();
        for (path, ty) in &self.fields {
            let segs: Vec<&str> = path.split('.').collect();
            let declared = self.declared.get(path);
            let def = match (ty, declared) {
                (FieldType::Object, Some(d)) if !self.opaque(path) => {
                    let mut d = d.clone();
                    d.insert("properties".into(), json!({}));
                    Value::Object(d)
                }
                (_, Some(d)) => Value::Object(d.clone()),
                (ty, None) => match ty {
                    FieldType::Object => json!({"properties": {}}),
                    FieldType::Text {
                        keyword: Some(above),
                    } => json!({
                        "type": "text",
                        "fields": {"keyword": {"type": "keyword", "ignore_above": above}}
                    }),
                    FieldType::Keyword {
                        ignore_above: Some(above),
                    } => {
                        json!({"type": "keyword", "ignore_above": above})
                    }
                    other => json!({"type": other.name()}),
                },
            };
            insert_path(&mut root, &segs, def);
        }
        if root.is_empty() && self.root.is_empty() {
            return json!({});
        }
        let mut out = self.root.clone();
        if !root.is_empty() {
            out.insert("properties".into(), Value::Object(root));
        }
        Value::Object(out)
    }
}

fn insert_path(node: &mut Map<String, Value>, segs: &[&str], def: Value) {
    match segs {
        [] => {}
        [last] => {
            let keep = def.get("type").is_none() && node.contains_key(*last);
            if !keep {
                node.insert((*last).to_string(), def);
            }
        }
        [first, rest @ ..] => {
            let entry = node
                .entry((*first).to_string())
                .or_insert_with(|| json!({"properties": {}}));
            if let Some(props) = entry
                .as_object_mut()
                .map(|o| o.entry("properties").or_insert_with(|| json!({})))
                .and_then(Value::as_object_mut)
            {
                insert_path(props, rest, def);
            }
        }
    }
}

fn collect_properties(
    props: &Value,
    prefix: &str,
    out: &mut BTreeMap<String, FieldType>,
    declared: &mut BTreeMap<String, Map<String, Value>>,
) -> Result<()> {
    let Some(obj) = props.as_object() else {
        return Err(Error::MapperParsing(
            "expected map for property [properties]".to_string(),
        ));
    };
    for (name, def) in obj {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        let mut params = def.as_object().cloned().unwrap_or_default();
        if let Some(sub) = params.remove("properties") {
            out.insert(path.clone(), FieldType::Object);
            if !params.is_empty() {
                declared.insert(path.clone(), params);
            }
            collect_properties(&sub, &path, out, declared)?;
            continue;
        }
        let ty_name = def.get("type").and_then(Value::as_str).unwrap_or("object");
        out.insert(path.clone(), FieldType::from_explicit(ty_name, def)?);
        if !params.is_empty() {
            declared.insert(path, params);
        }
    }
    Ok(())
}

/// ES's dynamic mapping of a new leaf value.
fn dynamic_type(v: &Value) -> FieldType {
    match v {
        Value::Bool(_) => FieldType::Boolean,
        Value::Number(n) if n.is_i64() || n.is_u64() => FieldType::Long,
        Value::Number(_) => FieldType::Double("float"),
        Value::String(s) if parse_date(s).is_some() => FieldType::Date,
        _ => FieldType::Text {
            keyword: Some(KEYWORD_IGNORE_ABOVE),
        },
    }
}

/// Whether a string is longer than `above` characters (bytes bound the count from above).
fn longer_than(s: &str, above: usize) -> bool {
    s.len() > above && s.chars().count() > above
}

/// Converts a value for a type: `None` = does not fit; `Some(None)` = accepted, nothing indexed.
fn convert<'v>(v: &'v Value, ty: &FieldType) -> Option<Option<LeafRef<'v>>> {
    let text = || -> Option<Cow<'v, str>> {
        match v {
            Value::String(s) => Some(Cow::Borrowed(s.as_str())),
            Value::Number(n) => Some(Cow::Owned(n.to_string())),
            Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            _ => None,
        }
    };
    Some(match ty {
        FieldType::Object => return None,
        FieldType::Text { keyword } => {
            let s = text()?;
            let kw = keyword.is_some_and(|above| !longer_than(&s, above));
            Some(LeafRef::Text(s, kw))
        }
        FieldType::Keyword { ignore_above } => {
            let s = text()?;
            if ignore_above.is_some_and(|above| longer_than(&s, above)) {
                None
            } else {
                Some(LeafRef::Keyword(s))
            }
        }
        FieldType::Long => Some(LeafRef::Long(match v {
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))?,
            Value::String(s) => {
                let t = s.trim();
                t.parse::<i64>().ok().or_else(|| {
                    t.parse::<f64>()
                        .ok()
                        .filter(|f| f.is_finite())
                        .map(|f| f as i64)
                })?
            }
            _ => return None,
        })),
        FieldType::Double(_) => Some(LeafRef::Double(match v {
            Value::Number(n) => n.as_f64()?,
            Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite())?,
            _ => return None,
        })),
        FieldType::Boolean => Some(LeafRef::Boolean(match v {
            Value::Bool(b) => *b,
            Value::String(s) if s == "true" => true,
            Value::String(s) if s == "false" || s.is_empty() => false,
            _ => return None,
        })),
        FieldType::Date => Some(LeafRef::Date(parse_date_value(v)?)),
    })
}

fn preview(v: &Value) -> String {
    match v {
        Value::String(s) => s.chars().take(20).collect(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamic_mapping_types_as_es() {
        let mut m = Mapping::default();
        let doc = json!({"@timestamp": "2026-12-07T10:00:00Z", "message": "GET /", "n": 3, "f": 1.5,
            "ok": true, "kubernetes": {"pod": {"name": "api-1"}}, "a.b": "x", "nothing": null, "tags": ["x", "y"]});
        let leaves = m.index_document(&doc, "1").unwrap();
        assert_eq!(m.get("@timestamp"), Some(&FieldType::Date));
        assert_eq!(
            m.get("message"),
            Some(&FieldType::Text { keyword: Some(256) })
        );
        assert_eq!(m.get("n"), Some(&FieldType::Long));
        assert_eq!(m.get("f"), Some(&FieldType::Double("float")));
        assert_eq!(m.get("ok"), Some(&FieldType::Boolean));
        assert_eq!(m.get("kubernetes"), Some(&FieldType::Object));
        assert_eq!(
            m.get("kubernetes.pod.name").map(FieldType::name),
            Some("text")
        );
        assert_eq!(m.get("a"), Some(&FieldType::Object));
        assert_eq!(m.get("a.b").map(FieldType::name), Some("text"));
        assert_eq!(m.get("nothing"), None);
        assert_eq!(leaves.iter().filter(|(p, _)| p == "tags").count(), 2);
        let props = m.to_es_json();
        assert_eq!(
            props["properties"]["kubernetes"]["properties"]["pod"]["properties"]["name"]["fields"]
                ["keyword"]["ignore_above"],
            256
        );
        assert_eq!(props["properties"]["n"]["type"], "long");
    }

    #[test]
    fn first_seen_type_wins_and_conflicts_refuse_the_document() {
        let mut m = Mapping::default();
        m.index_document(&json!({"n": 1}), "a").unwrap();
        // numeric strings are coerced
        assert_eq!(
            m.index_document(&json!({"n": "7"}), "b").unwrap(),
            vec![("n".into(), Leaf::Long(7))]
        );
        let err = m
            .index_document(&json!({"n": "abc", "new_field": 1}), "c")
            .unwrap_err();
        assert_eq!(err.es_type(), "mapper_parsing_exception");
        assert!(
            err.to_string()
                .contains("failed to parse field [n] of type [long] in document with id 'c'"),
            "{err}"
        );
        // the refused document added nothing to the mapping
        assert_eq!(m.get("new_field"), None);
        let err = m.index_document(&json!({"n": {"x": 1}}), "d").unwrap_err();
        assert!(err.to_string().contains("object mapping for [n]"), "{err}");
    }

    #[test]
    fn explicit_mappings_override_dynamic_ones() {
        let mut m = Mapping::default();
        m.put(&json!({"properties": {"status": {"type": "keyword"}, "host": {"properties": {"ip": {"type": "keyword", "ignore_above": 3}}}}})).unwrap();
        let leaves = m
            .index_document(&json!({"status": 200, "host": {"ip": "10.0.0.1"}}), "1")
            .unwrap();
        assert_eq!(leaves, vec![("status".into(), Leaf::Keyword("200".into()))]);
        let err = m
            .put(&json!({"properties": {"status": {"type": "long"}}}))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "mapper [status] cannot be changed from type [keyword] to [long]"
        );
        assert!(
            m.put(&json!({"properties": {"x": {"type": "geo_shape_nope"}}}))
                .is_err()
        );
    }

    #[test]
    fn opaque_types_accept_any_value_and_keep_their_names() {
        let mut m = Mapping::default();
        m.put(&json!({"dynamic": false, "properties": {
            "geo": {"type": "geo_point"}, "shape": {"type": "geo_shape"},
            "r": {"type": "integer_range"}, "v": {"type": "dense_vector", "dims": 2},
            "fl": {"type": "flattened"}, "ip": {"type": "ip"}}}))
            .unwrap();
        for (i, geo) in [
            json!([0.0, 20.0]),
            json!({"lat": 1.5, "lon": 2}),
            json!("1,2"),
            json!(7),
        ]
        .iter()
        .enumerate()
        {
            let leaves = m
                .index_document(&json!({"geo": geo}), &i.to_string())
                .unwrap();
            assert_eq!(leaves.len(), 1, "{geo}");
            assert_eq!(leaves[0].0, "geo");
        }
        let leaves = m
            .index_document(
                &json!({"shape": {"type": "point", "coordinates": [1, 2]},
                    "r": {"gte": 1, "lte": 5}, "v": [0.5, 1.5], "fl": {"a": {"b": "c"}},
                    "ip": "192.168.0.1"}),
                "x",
            )
            .unwrap();
        let paths: Vec<&str> = leaves.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["shape", "r", "v", "fl", "ip"]);
        assert!(leaves.contains(&("ip".into(), Leaf::Keyword("192.168.0.1".into()))));
        // nothing below an opaque field was mapped dynamically
        assert!(m.fields().all(|(p, _)| !p.contains('.')), "{m:?}");
        // `dynamic: false`: unmapped fields stay in `_source` only
        let leaves = m
            .index_document(&json!({"new": 1, "obj": {"a": "b"}, "ip": "::1"}), "y")
            .unwrap();
        assert_eq!(leaves, vec![("ip".into(), Leaf::Keyword("::1".into()))]);
        assert_eq!(m.get("new"), None);
        assert_eq!(m.get("obj"), None);
        assert_eq!(m.type_name("geo"), Some("geo_point"));
        assert_eq!(m.type_name("ip"), Some("ip"));
        assert_eq!(m.type_name("r"), Some("integer_range"));
        let out = m.to_es_json();
        assert_eq!(out["properties"]["geo"], json!({"type": "geo_point"}));
        assert_eq!(
            out["properties"]["v"],
            json!({"type": "dense_vector", "dims": 2})
        );
        assert_eq!(out["dynamic"], json!(false));
        // a mapping reloaded from its own output is the same
        let mut again = Mapping::default();
        again.put(&out).unwrap();
        assert_eq!(again, m);
    }

    #[test]
    fn mapping_echoes_declared_types_and_parameters() {
        assert_eq!(Mapping::default().to_es_json(), json!({}));
        let mut m = Mapping::default();
        let decl = json!({"properties": {
            "i": {"type": "integer", "store": true, "null_value": 0},
            "s": {"type": "short", "index": false, "doc_values": false},
            "b": {"type": "byte", "meta": {"unit": "ms"}},
            "hf": {"type": "half_float"},
            "sf": {"type": "scaled_float", "scaling_factor": 100},
            "d": {"type": "date", "format": "yyyy-MM-dd"},
            "k": {"type": "keyword", "ignore_above": 10},
            "t": {"type": "text", "analyzer": "whitespace", "search_analyzer": "standard",
                  "fields": {"raw": {"type": "keyword"}, "en": {"type": "text", "analyzer": "english"}}},
            "o": {"type": "nested", "properties": {"x": {"type": "long"}}}}});
        m.put(&decl).unwrap();
        assert_eq!(m.to_es_json(), decl);
        assert_eq!(m.get("i"), Some(&FieldType::Long));
        assert_eq!(m.get("sf"), Some(&FieldType::Double("float")));
        // integer → long is a type change, as in ES
        let err = m
            .put(&json!({"properties": {"i": {"type": "long"}}}))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "mapper [i] cannot be changed from type [integer] to [long]"
        );
        // values still index by their stored type
        let leaves = m
            .index_document(&json!({"i": "5", "hf": 1.5}), "1")
            .unwrap();
        assert_eq!(
            leaves,
            vec![
                ("i".into(), Leaf::Long(5)),
                ("hf".into(), Leaf::Double(1.5))
            ]
        );
    }

    #[test]
    fn bad_field_names_are_refused() {
        let mut m = Mapping::default();
        let err = m
            .put(&json!({"properties": {"": {"type": "keyword"}}}))
            .unwrap_err();
        assert_eq!(err.es_type(), "illegal_argument_exception");
        assert!(
            err.to_string()
                .contains("field name cannot be an empty string")
        );
        let err = m
            .put(&json!({"_doc": {"properties": {"a": {"type": "keyword"}}}}))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Types cannot be provided in put mapping requests"
        );
        assert_eq!(err.es_type(), "illegal_argument_exception");
        assert!(m.is_empty());
        for doc in [
            json!({".": "bar"}),
            json!({"..": "bar"}),
            json!({"foo": {".": "bar"}}),
        ] {
            let err = m.index_document(&doc, "1").unwrap_err();
            assert_eq!(err.es_type(), "mapper_parsing_exception");
            assert_eq!(
                err.to_string(),
                "field name cannot contain only the character [.]"
            );
        }
    }

    #[test]
    fn a_store_finds_opaque_fields_by_exists_and_reports_their_types() {
        use crate::index::OpType;
        use crate::search::SearchOptions;
        use crate::store::{LogStore, Refresh, StoreOptions};
        let s = LogStore::new(
            StoreOptions::default(),
            outpost_clock::Clock::manual(1_700_000_000_000),
        );
        s.create_index_with(
            "test",
            &json!({"mappings": {"dynamic": false, "properties": {
                "binary": {"type": "binary", "doc_values": true}, "geo_point": {"type": "geo_point"},
                "ip": {"type": "ip"}, "byte": {"type": "byte"}, "match_only_text": {"type": "match_only_text"},
                "n": {"type": "long", "index": false}, "f": {"type": "float", "doc_values": false}}}}),
        )
        .unwrap();
        let doc = br#"{"binary": "YWJjZGUxMjM0", "geo_point": [0.0, 20.0], "ip": "192.168.0.1",
            "byte": 1, "match_only_text": "foo bar"}"#;
        s.index_doc("test", Some("1"), doc, OpType::Index, Refresh::True)
            .unwrap();
        s.index_doc("test", Some("2"), b"{}", OpType::Index, Refresh::True)
            .unwrap();
        for field in ["binary", "geo_point", "ip", "byte", "match_only_text"] {
            let r = s
                .count(
                    "test",
                    &json!({"query": {"exists": {"field": field}}}),
                    SearchOptions::default(),
                )
                .unwrap();
            assert_eq!(r["count"], 1, "{field}");
        }
        let r = s
            .count(
                "test",
                &json!({"query": {"term": {"ip": "192.168.0.1"}}}),
                SearchOptions::default(),
            )
            .unwrap();
        assert_eq!(r["count"], 1);
        let m = s.get_mapping("test").unwrap();
        assert_eq!(
            m["test"]["mappings"]["properties"]["geo_point"]["type"],
            "geo_point"
        );
        assert_eq!(m["test"]["mappings"]["properties"]["byte"]["type"], "byte");
        let caps = s
            .field_caps("test", &["*".to_string()], SearchOptions::default())
            .unwrap();
        assert!(
            caps["fields"]["geo_point"]["geo_point"].is_object(),
            "{caps}"
        );
        assert!(caps["fields"]["ip"]["ip"].is_object(), "{caps}");
        assert!(caps["fields"]["byte"]["byte"].is_object(), "{caps}");
        assert_eq!(caps["fields"]["n"]["long"]["searchable"], false);
        assert_eq!(caps["fields"]["n"]["long"]["aggregatable"], true);
        assert_eq!(caps["fields"]["f"]["float"]["searchable"], true);
        assert_eq!(caps["fields"]["f"]["float"]["aggregatable"], false);
        // declared `meta` merges across indices, values as sorted lists; capabilities hold
        // where every index has them, the others are named
        for (name, unit, index) in [("m1", "ms", false), ("m2", "ns", true)] {
            s.create_index_with(
                name,
                &json!({"mappings": {"properties": {"latency": {"type": "long", "index": index,
                    "meta": {"unit": unit, "metric_type": "gauge"}}}}}),
            )
            .unwrap();
        }
        let caps = s
            .field_caps("m1,m2", &["latency".to_string()], SearchOptions::default())
            .unwrap();
        assert_eq!(
            caps["fields"]["latency"]["long"]["meta"],
            json!({"metric_type": ["gauge"], "unit": ["ms", "ns"]})
        );
        assert_eq!(caps["fields"]["latency"]["long"]["searchable"], false);
        assert_eq!(
            caps["fields"]["latency"]["long"]["non_searchable_indices"],
            json!(["m1"])
        );
        assert!(caps["fields"]["latency"]["long"]["non_aggregatable_indices"].is_null());
    }
}
