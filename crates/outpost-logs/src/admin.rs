//! Index administration: `PUT /{index}` with settings, mappings and aliases (templates applied
//! first), `GET /{index}`, `_settings` get/put, the figures behind `_cat/indices` and
//! `_cluster/health`, and `_delete_by_query`. Per-index settings and aliases live beside the
//! store's indices, keyed by index uuid; with `--data-dir` they and the templates are written to
//! `<data_dir>/logs/_meta.json` (temporary file, then rename) after every change and loaded by
//! [`LogStore::open`].

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use serde_json::{Map, Value, json};
use tantivy::TantivyDocument;
use tantivy::collector::{Count, TopDocs};

use crate::error::{Error, Result};
use crate::index::LogIndex;
use crate::mapping::Mapping;
use crate::query::{self, Ctx};
use crate::search::SearchOptions;
use crate::store::{LogStore, Refresh};

/// The `version.created` an index reports (Elasticsearch 8.x's id format).
const VERSION_CREATED: &str = "8500003";

/// Settings that cannot change on an open index.
const STATIC_SETTINGS: &[&str] = &[
    "index.number_of_shards",
    "index.routing_partition_size",
    "index.codec",
    "index.uuid",
    "index.creation_date",
    "index.provided_name",
    "index.version.created",
    "index.sort.field",
    "index.sort.order",
];

/// Figures of one index for `_cat/indices` and `_cluster/health`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexInfo {
    /// Index name.
    pub name: String,
    /// Index uuid.
    pub uuid: String,
    /// Live documents.
    pub docs_count: u64,
    /// Deleted documents not yet merged away (always 0 here: deletes are not counted).
    pub docs_deleted: u64,
    /// Bytes of the index files.
    pub store_bytes: u64,
    /// `index.number_of_shards`.
    pub primaries: u32,
    /// `index.number_of_replicas`.
    pub replicas: u32,
    /// `green` (no replicas asked for) or `yellow` (replicas that a single node cannot place).
    pub health: &'static str,
    /// `open`.
    pub status: &'static str,
    /// Creation time, epoch ms.
    pub creation_ms: i64,
}

/// Per-index metadata kept beside the tantivy index.
#[derive(Debug, Clone, Default)]
pub(crate) struct IndexMeta {
    /// Flat `index.*` settings (string values, or arrays of strings).
    pub(crate) settings: Map<String, Value>,
    /// Normalized aliases.
    pub(crate) aliases: Map<String, Value>,
    /// Creation time, epoch ms.
    pub(crate) creation_ms: i64,
    /// The template that made this index a data stream.
    pub(crate) data_stream: Option<String>,
}

/// Templates and per-index metadata.
#[derive(Debug, Default)]
pub(crate) struct MetaInner {
    /// Composable templates by name (stored `index_template` bodies).
    pub(crate) composable: BTreeMap<String, Value>,
    /// Legacy templates by name (stored bodies as `GET /_template` prints them).
    pub(crate) legacy: BTreeMap<String, Value>,
    /// Component templates by name (stored `component_template` bodies).
    pub(crate) components: BTreeMap<String, Value>,
    /// Per-index metadata by index uuid.
    pub(crate) indices: HashMap<String, IndexMeta>,
    /// The body mapping of an index being created (`PUT /{index}`), merged over its templates'.
    pub(crate) pending_mappings: HashMap<String, Value>,
}

impl MetaInner {
    /// Records a new index with its template settings and aliases.
    pub(crate) fn init_index(
        &mut self,
        idx: &LogIndex,
        now_ms: i64,
        settings: Map<String, Value>,
        aliases: Map<String, Value>,
        data_stream: Option<String>,
    ) {
        self.indices.insert(
            idx.uuid().to_string(),
            IndexMeta {
                settings,
                aliases,
                creation_ms: now_ms,
                data_stream,
            },
        );
    }

    fn of(&self, idx: &LogIndex) -> IndexMeta {
        self.indices.get(idx.uuid()).cloned().unwrap_or_default()
    }
}

/// The metadata file under `<data_dir>/logs/`.
pub(crate) const META_FILE: &str = "_meta.json";

impl IndexMeta {
    fn to_json(&self) -> Value {
        json!({
            "settings": self.settings,
            "aliases": self.aliases,
            "creation_ms": self.creation_ms,
            "data_stream": self.data_stream,
        })
    }

    fn from_json(v: &Value) -> IndexMeta {
        let obj = |k: &str| {
            v.get(k)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        IndexMeta {
            settings: obj("settings"),
            aliases: obj("aliases"),
            creation_ms: v.get("creation_ms").and_then(Value::as_i64).unwrap_or(0),
            data_stream: v
                .get("data_stream")
                .and_then(Value::as_str)
                .map(str::to_string),
        }
    }
}

impl MetaInner {
    /// The persisted form (templates and per-index metadata; pending mappings are transient).
    fn to_json(&self) -> Value {
        let indices: Map<String, Value> = self
            .indices
            .iter()
            .map(|(uuid, m)| (uuid.clone(), m.to_json()))
            .collect();
        json!({
            "version": 1,
            "composable": self.composable,
            "legacy": self.legacy,
            "components": self.components,
            "indices": indices,
        })
    }

    fn from_json(v: &Value) -> MetaInner {
        let map = |k: &str| -> BTreeMap<String, Value> {
            v.get(k)
                .and_then(Value::as_object)
                .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default()
        };
        let indices = v
            .get("indices")
            .and_then(Value::as_object)
            .map(|o| {
                o.iter()
                    .map(|(uuid, m)| (uuid.clone(), IndexMeta::from_json(m)))
                    .collect()
            })
            .unwrap_or_default();
        MetaInner {
            composable: map("composable"),
            legacy: map("legacy"),
            components: map("components"),
            indices,
            pending_mappings: HashMap::new(),
        }
    }
}

/// The store's metadata lock, written to [`META_FILE`] after each change when the store is
/// on disk.
#[derive(Debug, Default)]
pub(crate) struct Meta {
    inner: Mutex<MetaInner>,
    /// `<data_dir>/logs/_meta.json` when on disk.
    path: Option<PathBuf>,
    /// Writes of the metadata file that failed (the change stays in memory).
    persist_errors: AtomicU64,
}

impl Meta {
    /// Metadata persisted at `path`, loaded from it when the file exists.
    pub(crate) fn load(path: PathBuf) -> Result<Meta> {
        let inner = match std::fs::read(&path) {
            Ok(bytes) => {
                let v: Value = serde_json::from_slice(&bytes)
                    .map_err(|e| Error::Engine(format!("parsing {}: {e}", path.display())))?;
                MetaInner::from_json(&v)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => MetaInner::default(),
            Err(e) => return Err(Error::Engine(format!("reading {}: {e}", path.display()))),
        };
        Ok(Meta {
            inner: Mutex::new(inner),
            path: Some(path),
            persist_errors: AtomicU64::new(0),
        })
    }

    /// Locks the metadata (never held while taking the store's index lock). A mutable access
    /// through the guard marks it changed; the file is rewritten when the guard drops.
    pub(crate) fn lock(&self) -> MetaGuard<'_> {
        MetaGuard {
            guard: self.inner.lock().unwrap_or_else(|p| p.into_inner()),
            meta: self,
            dirty: false,
        }
    }

    /// Failed writes of the metadata file so far.
    pub(crate) fn persist_errors(&self) -> u64 {
        self.persist_errors.load(Ordering::Relaxed)
    }

    fn persist(&self, inner: &MetaInner) {
        let Some(path) = &self.path else { return };
        if write_atomic(path, &inner.to_json()).is_err() {
            self.persist_errors.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Writes `v` to `path` through a temporary file and a rename.
fn write_atomic(path: &Path, v: &Value) -> std::io::Result<()> {
    let body = serde_json::to_vec(v).map_err(std::io::Error::other)?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, body)?;
    std::fs::rename(&tmp, path)
}

/// A held metadata lock that persists the metadata on drop when it was mutably accessed.
pub(crate) struct MetaGuard<'a> {
    guard: MutexGuard<'a, MetaInner>,
    meta: &'a Meta,
    dirty: bool,
}

impl std::ops::Deref for MetaGuard<'_> {
    type Target = MetaInner;
    fn deref(&self) -> &MetaInner {
        &self.guard
    }
}

impl std::ops::DerefMut for MetaGuard<'_> {
    fn deref_mut(&mut self) -> &mut MetaInner {
        self.dirty = true;
        &mut self.guard
    }
}

impl Drop for MetaGuard<'_> {
    fn drop(&mut self) {
        if self.dirty {
            self.meta.persist(&self.guard);
        }
    }
}

fn setting_value(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(s.clone()),
        Value::Array(a) => Value::Array(a.iter().map(setting_value).collect()),
        Value::Null => Value::Null,
        other => Value::String(other.to_string()),
    }
}

fn flatten_into(prefix: &str, v: &Value, out: &mut Map<String, Value>) {
    match v {
        Value::Object(o) => {
            for (k, child) in o {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten_into(&key, child, out);
            }
        }
        leaf => {
            let key = if prefix.starts_with("index.") {
                prefix.to_string()
            } else {
                format!("index.{prefix}")
            };
            out.insert(key, setting_value(leaf));
        }
    }
}

/// Settings in any of ES's forms (`{"number_of_shards":1}`, `{"index.number_of_shards":1}`,
/// `{"index":{"number_of_shards":1}}`) as flat `index.*` keys with string values.
pub(crate) fn flat_settings(v: &Value) -> Result<Map<String, Value>> {
    let Value::Object(o) = v else {
        return Err(Error::IllegalArgument(
            "malformed settings section, should include an inner object".into(),
        ));
    };
    let mut out = Map::new();
    for (k, child) in o {
        flatten_into(k, child, &mut out);
    }
    for key in ["index.number_of_shards", "index.number_of_replicas"] {
        if let Some(v) = out.get(key) {
            let ok = v
                .as_str()
                .and_then(|s| s.parse::<i64>().ok())
                .is_some_and(|n| {
                    if key.ends_with("shards") {
                        (1..=1024).contains(&n)
                    } else {
                        n >= 0
                    }
                });
            if !ok {
                let min = if key.ends_with("shards") { 1 } else { 0 };
                return Err(Error::IllegalArgument(format!(
                    "Failed to parse value [{}] for setting [{key}] must be >= {min}",
                    v.as_str().unwrap_or_default()
                )));
            }
        }
    }
    Ok(out)
}

/// Flat `index.*` settings as the nested object `_settings` prints.
pub(crate) fn nest_settings(flat: &Map<String, Value>) -> Value {
    let mut root = Map::new();
    for (k, v) in flat {
        let segs: Vec<&str> = k.split('.').collect();
        let mut node = &mut root;
        for (i, seg) in segs.iter().enumerate() {
            if i + 1 == segs.len() {
                node.insert((*seg).to_string(), v.clone());
            } else {
                let entry = node
                    .entry((*seg).to_string())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !entry.is_object() {
                    *entry = Value::Object(Map::new());
                }
                let Value::Object(next) = entry else { break };
                node = next;
            }
        }
    }
    Value::Object(root)
}

/// Aliases as ES stores them: `routing` split into `index_routing` and `search_routing`.
pub(crate) fn normalize_aliases(v: &Value) -> Result<Map<String, Value>> {
    let Value::Object(o) = v else {
        return Err(Error::XContentParse(
            "[aliases] failed to parse, expected an object".into(),
        ));
    };
    let mut out = Map::new();
    for (name, def) in o {
        let mut a = Map::new();
        match def {
            Value::Object(d) => {
                for (k, val) in d {
                    match k.as_str() {
                        "routing" => {
                            a.insert("index_routing".into(), val.clone());
                            a.insert("search_routing".into(), val.clone());
                        }
                        "filter" | "index_routing" | "search_routing" | "is_write_index"
                        | "is_hidden" => {
                            a.insert(k.clone(), val.clone());
                        }
                        other => {
                            return Err(Error::IllegalArgument(format!(
                                "Unsupported field [{other}]"
                            )));
                        }
                    }
                }
            }
            Value::Null => {}
            _ => {
                return Err(Error::XContentParse(format!(
                    "[aliases] failed to parse alias [{name}]"
                )));
            }
        }
        out.insert(name.clone(), Value::Object(a));
    }
    Ok(out)
}

/// Checks a mapping body as ES does before anything else: no type wrapper (`_doc`) and no
/// empty field names (`illegal_argument_exception`).
pub(crate) fn validate_mapping_body(m: &Map<String, Value>, typed_ok: bool) -> Result<()> {
    if !typed_ok
        && m.len() == 1
        && let Some((ty, Value::Object(_))) = m.iter().next()
        && ty == "_doc"
    {
        return Err(Error::IllegalArgument(format!(
            "The mapping definition cannot be nested under a type [{ty}] unless include_type_name is set to true."
        )));
    }
    fn walk(props: &Value) -> Result<()> {
        let Some(o) = props.as_object() else {
            return Ok(());
        };
        for (name, def) in o {
            if name.is_empty() || name.split('.').any(str::is_empty) {
                return Err(Error::IllegalArgument(format!(
                    "field name cannot be an empty string or contain empty segments [{name}]"
                )));
            }
            if let Some(sub) = def.get("properties") {
                walk(sub)?;
            }
        }
        Ok(())
    }
    match m.get("properties") {
        Some(p) => walk(p),
        None => Ok(()),
    }
}

fn count_setting(settings: &Map<String, Value>, key: &str, default: u32) -> u32 {
    settings
        .get(key)
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

impl LogStore {
    /// The full flat settings of an index: defaults, then its own.
    fn full_settings(&self, idx: &LogIndex) -> (Map<String, Value>, IndexMeta) {
        let meta = self.meta.lock().of(idx);
        let mut s = Map::new();
        s.insert("index.number_of_shards".into(), json!("1"));
        s.insert("index.number_of_replicas".into(), json!("1"));
        s.extend(meta.settings.clone());
        s.insert(
            "index.creation_date".into(),
            json!(meta.creation_ms.to_string()),
        );
        s.insert("index.uuid".into(), json!(idx.uuid()));
        s.insert("index.provided_name".into(), json!(idx.name()));
        s.insert("index.version.created".into(), json!(VERSION_CREATED));
        (s, meta)
    }

    /// `PUT /{index}` with a body of `settings`, `mappings` and `aliases`; matching templates
    /// apply first (also on auto-create at first write), the body's values over them.
    pub fn create_index_with(&self, name: &str, body: &Value) -> Result<()> {
        let empty = Map::new();
        let obj = match body {
            Value::Object(o) => o,
            Value::Null => &empty,
            _ => {
                return Err(Error::Parse(
                    "failed to parse create index request body".into(),
                ));
            }
        };
        for k in obj.keys() {
            if !["settings", "mappings", "aliases"].contains(&k.as_str()) {
                return Err(Error::Parse(format!("unknown key [{k}] for create index")));
            }
        }
        let settings = match obj.get("settings") {
            Some(s) => flat_settings(s)?,
            None => Map::new(),
        };
        let mappings = match obj.get("mappings") {
            Some(Value::Object(m)) if !m.is_empty() => {
                validate_mapping_body(m, false)?;
                let mut scratch = Mapping::default();
                scratch.put(&Value::Object(m.clone()))?;
                Some(Value::Object(m.clone()))
            }
            Some(Value::Object(_)) | None | Some(Value::Null) => None,
            Some(_) => {
                return Err(Error::MapperParsing(
                    "failed to parse mapping: expected map for property [mappings]".into(),
                ));
            }
        };
        let aliases = match obj.get("aliases") {
            Some(a) => normalize_aliases(a)?,
            None => Map::new(),
        };
        let resolved = crate::resolve::resolve_date_math_name(name, self.now_ms())?;
        if self.is_alias(&resolved) {
            return Err(Error::InvalidIndexName {
                name: resolved,
                why: "already exists as alias".into(),
            });
        }
        if let Ok(existing) = self.index(&resolved) {
            return Err(Error::AlreadyExists(format!(
                "{resolved}/{}",
                existing.uuid()
            )));
        }
        if let Some(m) = mappings {
            self.meta
                .lock()
                .pending_mappings
                .insert(resolved.clone(), m);
        }
        let created = self.create_index(name, None);
        self.meta.lock().pending_mappings.remove(&resolved);
        created?;
        let idx = self.index(&resolved)?;
        let mut meta = self.meta.lock();
        let entry = meta.indices.entry(idx.uuid().to_string()).or_default();
        entry.settings.extend(settings);
        entry.aliases.extend(aliases);
        Ok(())
    }

    /// `GET /{index}`: `{name: {aliases, mappings, settings: {index: {...}}}}`.
    pub fn get_index(&self, expr: &str, opts: SearchOptions) -> Result<Value> {
        let mut out = Map::new();
        for idx in self.resolve(expr, opts.ignore_unavailable)? {
            let (settings, meta) = self.full_settings(&idx);
            out.insert(
                idx.name().to_string(),
                json!({
                    "aliases": meta.aliases,
                    "mappings": idx.mapping().to_es_json(),
                    "settings": nest_settings(&settings),
                }),
            );
        }
        Ok(Value::Object(out))
    }

    /// `GET /{index}/_settings`: `{name: {settings: {index: {...}}}}`.
    pub fn get_settings(&self, expr: &str, opts: SearchOptions) -> Result<Value> {
        let mut out = Map::new();
        for idx in self.resolve(expr, opts.ignore_unavailable)? {
            let (settings, _) = self.full_settings(&idx);
            out.insert(
                idx.name().to_string(),
                json!({"settings": nest_settings(&settings)}),
            );
        }
        Ok(Value::Object(out))
    }

    /// `PUT /{index}/_settings`: dynamic settings only (`null` resets one); answers
    /// `{"acknowledged": true}`.
    pub fn put_settings(&self, expr: &str, body: &Value) -> Result<Value> {
        let body = body.get("settings").unwrap_or(body);
        let flat = flat_settings(body)?;
        let indices = self.resolve(expr, false)?;
        let fixed: Vec<&String> = flat
            .keys()
            .filter(|k| STATIC_SETTINGS.contains(&k.as_str()))
            .collect();
        if !fixed.is_empty() {
            let names: Vec<String> = indices
                .iter()
                .map(|i| format!("{}/{}", i.name(), i.uuid()))
                .collect();
            let keys: Vec<&str> = fixed.iter().map(|k| k.as_str()).collect();
            return Err(Error::IllegalArgument(format!(
                "Can't update non dynamic settings [[{}]] for open indices [[{}]]",
                keys.join(", "),
                names.join(", ")
            )));
        }
        let mut meta = self.meta.lock();
        for idx in &indices {
            let entry = meta.indices.entry(idx.uuid().to_string()).or_default();
            for (k, v) in &flat {
                if v.is_null() {
                    entry.settings.remove(k);
                } else {
                    entry.settings.insert(k.clone(), v.clone());
                }
            }
        }
        Ok(json!({"acknowledged": true}))
    }

    /// One setting of one index by its flat key (`index.default_pipeline`); a key without the
    /// `index.` prefix is read with it.
    pub fn index_setting(&self, index: &str, key: &str) -> Option<String> {
        let idx = self.index(index).ok()?;
        let key = if key.starts_with("index.") {
            key.to_string()
        } else {
            format!("index.{key}")
        };
        let (settings, _) = self.full_settings(&idx);
        match settings.get(&key)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    }

    /// Figures for `_cat/indices` and `_cluster/health`, in name order; `expr` None = all
    /// (hidden indices left out of wildcards, as ES's default `expand_wildcards`).
    pub fn index_infos(&self, expr: Option<&str>) -> Result<Vec<IndexInfo>> {
        self.index_infos_expand(expr, false)
    }

    /// [`LogStore::index_infos`] with `index.hidden` indices included in wildcards or not.
    pub fn index_infos_expand(
        &self,
        expr: Option<&str>,
        include_hidden: bool,
    ) -> Result<Vec<IndexInfo>> {
        let mut indices = match expr {
            Some(e) => self.resolve_hidden(e, false, include_hidden)?,
            None => self.resolve_hidden("*,.*", true, include_hidden)?,
        };
        indices.sort_by(|a, b| a.name().cmp(b.name()));
        Ok(indices
            .iter()
            .map(|idx| {
                let (settings, meta) = self.full_settings(idx);
                let replicas = count_setting(&settings, "index.number_of_replicas", 1);
                IndexInfo {
                    name: idx.name().to_string(),
                    uuid: idx.uuid().to_string(),
                    docs_count: idx.doc_count() as u64,
                    docs_deleted: 0,
                    store_bytes: idx.bytes(),
                    primaries: count_setting(&settings, "index.number_of_shards", 1),
                    replicas,
                    health: if replicas > 0 { "yellow" } else { "green" },
                    status: "open",
                    creation_ms: meta.creation_ms,
                }
            })
            .collect())
    }

    /// `_delete_by_query`: deletes the documents the body's `query` matches (up to `max_docs`)
    /// in the searchable view, then refreshes as asked. Answers ES's response body.
    pub fn delete_by_query(
        &self,
        expr: &str,
        body: &Value,
        opts: SearchOptions,
        refresh: Refresh,
    ) -> Result<Value> {
        let started = self.now_ms();
        let Some(qv) = body.get("query") else {
            return Err(Error::ActionRequestValidation(
                "Validation Failed: 1: query is missing;".into(),
            ));
        };
        let q = query::parse(qv)?;
        let max_docs = match body.get("max_docs") {
            None | Some(Value::Null) => u64::MAX,
            Some(v) => match v.as_i64() {
                Some(n) if n > 0 => n as u64,
                _ => {
                    return Err(Error::ActionRequestValidation(format!(
                        "Validation Failed: 1: maxDocs should be greater than 0, but was [{v}];"
                    )));
                }
            },
        };
        self.tick()?;
        let indices = self.resolve(expr, opts.ignore_unavailable)?;
        let now = self.now_ms();
        let mut total: u64 = 0;
        let mut deleted: u64 = 0;
        let mut touched: Vec<String> = Vec::new();
        for idx in &indices {
            if total >= max_docs {
                break;
            }
            let mapping = idx.mapping();
            let tq = q.compile(&Ctx::new(idx, &mapping, now))?;
            let searcher = idx.searcher();
            let count = searcher.search(&tq, &Count)?;
            if count == 0 {
                continue;
            }
            let room = usize::try_from(max_docs.saturating_sub(total)).unwrap_or(usize::MAX);
            let top =
                searcher.search(&tq, &TopDocs::with_limit(count.min(room)).order_by_score())?;
            let mut any = false;
            for (_, addr) in top {
                let doc: TantivyDocument = searcher.doc(addr)?;
                let id = idx.id_of(&doc);
                total = total.saturating_add(1);
                if idx.delete(&id).is_some() {
                    deleted = deleted.saturating_add(1);
                    any = true;
                }
            }
            if any {
                touched.push(idx.name().to_string());
            }
        }
        let names: Vec<&str> = touched.iter().map(String::as_str).collect();
        // deletes become visible like any write: now when asked, else within the interval
        self.after_write(&names, refresh)?;
        Ok(json!({
            "took": self.now_ms().saturating_sub(started),
            "timed_out": false,
            "total": total,
            "deleted": deleted,
            "batches": if total > 0 { 1 } else { 0 },
            "version_conflicts": total.saturating_sub(deleted),
            "noops": 0,
            "retries": {"bulk": 0, "search": 0},
            "throttled_millis": 0,
            "requests_per_second": -1.0,
            "throttled_until_millis": 0,
            "failures": [],
        }))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::OpType;
    use crate::search::SearchOptions;
    use crate::store::{LogStore, Refresh, StoreOptions};

    fn store() -> LogStore {
        LogStore::for_tests()
    }

    #[test]
    fn create_index_with_settings_mappings_aliases_and_get_it_back() {
        let s = store();
        s.create_index_with(
            "test_index",
            &json!({"settings": {"number_of_replicas": "0", "index": {"refresh_interval": "5s"}},
                "mappings": {"properties": {"field": {"type": "keyword"}}},
                "aliases": {"a": {}, "b": {"routing": "b"}, "c": {"filter": {"term": {"f": "v"}}}}}),
        )
        .unwrap();
        let g = s.get_index("test_index", SearchOptions::default()).unwrap();
        let t = &g["test_index"];
        assert_eq!(t["mappings"]["properties"]["field"]["type"], "keyword");
        assert_eq!(
            t["aliases"]["b"],
            json!({"index_routing": "b", "search_routing": "b"})
        );
        assert_eq!(t["aliases"]["a"], json!({}));
        assert_eq!(t["aliases"]["c"]["filter"]["term"]["f"], "v");
        let ix = &t["settings"]["index"];
        assert_eq!(ix["number_of_replicas"], "0");
        assert_eq!(ix["number_of_shards"], "1");
        assert_eq!(ix["refresh_interval"], "5s");
        assert_eq!(ix["creation_date"], "1700000000000");
        assert_eq!(ix["provided_name"], "test_index");
        assert_eq!(ix["version"]["created"], "8500003");
        assert!(ix["uuid"].as_str().is_some_and(|u| !u.is_empty()));
        let st = s.get_settings("test_*", SearchOptions::default()).unwrap();
        assert_eq!(
            st["test_index"]["settings"]["index"]["number_of_replicas"],
            "0"
        );
        assert_eq!(
            s.index_setting("test_index", "refresh_interval").as_deref(),
            Some("5s")
        );
        assert_eq!(
            s.index_setting("test_index", "index.default_pipeline"),
            None
        );
    }

    #[test]
    fn create_errors_are_es_errors() {
        let s = store();
        s.create_index_with("dup", &json!({})).unwrap();
        let e = s.create_index_with("dup", &json!({})).unwrap_err();
        assert_eq!(
            (e.status(), e.es_type()),
            (400, "resource_already_exists_exception")
        );
        assert!(e.to_string().starts_with("index [dup/"), "{e}");
        let e = s.create_index_with("Bad", &json!({})).unwrap_err();
        assert_eq!(e.es_type(), "invalid_index_name_exception");
        let e = s.create_index_with("x", &json!({"bogus": {}})).unwrap_err();
        assert_eq!((e.status(), e.es_type()), (400, "parse_exception"));
        let e = s
            .create_index_with(
                "x",
                &json!({"mappings": {"properties": {"f": {"type": "nope"}}}}),
            )
            .unwrap_err();
        assert_eq!((e.status(), e.es_type()), (400, "mapper_parsing_exception"));
        let e = s
            .create_index_with(
                "x",
                &json!({"mappings": {"properties": {"": {"type": "keyword"}}}}),
            )
            .unwrap_err();
        assert_eq!(
            (e.status(), e.es_type()),
            (400, "illegal_argument_exception")
        );
        let e = s
            .create_index_with(
                "x",
                &json!({"mappings": {"_doc": {"properties": {"f": {"type": "keyword"}}}}}),
            )
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "The mapping definition cannot be nested under a type [_doc] unless include_type_name is set to true."
        );
        let e = s
            .create_index_with("x", &json!({"settings": {"number_of_shards": 0}}))
            .unwrap_err();
        assert_eq!(e.es_type(), "illegal_argument_exception");
        assert!(!s.exists("x"));
        let e = s
            .get_index("missing", SearchOptions::default())
            .unwrap_err();
        assert_eq!(
            (e.status(), e.es_type()),
            (404, "index_not_found_exception")
        );
        let ok = s
            .get_index(
                "missing",
                SearchOptions {
                    ignore_unavailable: true,
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(ok, json!({}));
    }

    #[test]
    fn put_settings_updates_dynamic_and_refuses_static() {
        let s = store();
        s.create_index_with("i", &json!({})).unwrap();
        assert_eq!(
            s.put_settings(
                "i",
                &json!({"index": {"number_of_replicas": 0, "default_pipeline": "p"}})
            )
            .unwrap(),
            json!({"acknowledged": true})
        );
        assert_eq!(
            s.index_setting("i", "index.default_pipeline").as_deref(),
            Some("p")
        );
        assert_eq!(s.index_infos(Some("i")).unwrap()[0].health, "green");
        s.put_settings("i", &json!({"index.default_pipeline": null}))
            .unwrap();
        assert_eq!(s.index_setting("i", "default_pipeline"), None);
        let e = s
            .put_settings("i", &json!({"number_of_shards": 2}))
            .unwrap_err();
        assert_eq!(e.es_type(), "illegal_argument_exception");
        assert!(e.to_string().contains("[[index.number_of_shards]]"), "{e}");
        assert_eq!(
            s.put_settings("nope", &json!({"a": 1}))
                .unwrap_err()
                .status(),
            404
        );
    }

    #[test]
    fn index_infos_count_docs_and_bytes() {
        let s = store();
        for i in 0..3 {
            s.index_doc(
                "logs-a",
                None,
                format!(r#"{{"n":{i}}}"#).as_bytes(),
                OpType::Index,
                Refresh::True,
            )
            .unwrap();
        }
        s.create_index_with(
            "logs-b",
            &json!({"settings": {"number_of_replicas": 0, "number_of_shards": 2}}),
        )
        .unwrap();
        let infos = s.index_infos(None).unwrap();
        assert_eq!(infos.len(), 2);
        assert_eq!(infos[0].name, "logs-a");
        assert_eq!(infos[0].docs_count, 3);
        assert!(infos[0].store_bytes > 0);
        assert_eq!(
            (infos[0].primaries, infos[0].replicas, infos[0].health),
            (1, 1, "yellow")
        );
        assert_eq!(
            (infos[1].primaries, infos[1].replicas, infos[1].health),
            (2, 0, "green")
        );
        assert_eq!(infos[1].status, "open");
        assert_eq!(infos[1].creation_ms, 1_700_000_000_000);
        assert_eq!(s.index_infos(Some("logs-b")).unwrap().len(), 1);
        assert_eq!(s.index_infos(Some("nope")).unwrap_err().status(), 404);
    }

    #[test]
    fn delete_by_query_deletes_matching_docs() {
        let s = store();
        for (i, lvl) in ["error", "info", "error", "warn"].iter().enumerate() {
            s.index_doc(
                "logs",
                Some(&i.to_string()),
                format!(r#"{{"level":"{lvl}"}}"#).as_bytes(),
                OpType::Index,
                Refresh::True,
            )
            .unwrap();
        }
        let r = s
            .delete_by_query(
                "logs",
                &json!({"query": {"match": {"level": "error"}}}),
                SearchOptions::default(),
                Refresh::True,
            )
            .unwrap();
        assert_eq!(r["deleted"], 2);
        assert_eq!(r["total"], 2);
        assert_eq!(r["failures"], json!([]));
        assert_eq!(r["timed_out"], false);
        let c = s
            .count("logs", &json!({}), SearchOptions::default())
            .unwrap();
        assert_eq!(c["count"], 2);
        let r = s
            .delete_by_query(
                "logs",
                &json!({"query": {"match_all": {}}, "max_docs": 1}),
                SearchOptions::default(),
                Refresh::True,
            )
            .unwrap();
        assert_eq!(r["deleted"], 1);
        let e = s
            .delete_by_query("logs", &json!({}), SearchOptions::default(), Refresh::True)
            .unwrap_err();
        assert_eq!(
            (e.status(), e.es_type()),
            (400, "action_request_validation_exception")
        );
        let e = s
            .delete_by_query(
                "logs",
                &json!({"query": {"nope": {}}}),
                SearchOptions::default(),
                Refresh::True,
            )
            .unwrap_err();
        assert_eq!(e.es_type(), "parsing_exception");
        let e = s
            .delete_by_query(
                "missing",
                &json!({"query": {"match_all": {}}}),
                SearchOptions::default(),
                Refresh::True,
            )
            .unwrap_err();
        assert_eq!(e.status(), 404);
    }

    fn disk_store(dir: &std::path::Path) -> LogStore {
        let opts = StoreOptions {
            data_dir: Some(dir.to_path_buf()),
            ..StoreOptions::default()
        };
        LogStore::open(opts, outpost_clock::Clock::manual(1_700_000_000_000)).unwrap()
    }

    #[test]
    fn metadata_survives_a_restart_under_data_dir() {
        let tmp = tempfile::tempdir().unwrap();
        let opts = SearchOptions::default();
        let (templates, legacy, components, settings);
        {
            let s = disk_store(tmp.path());
            s.put_component_template(
                "ct",
                &json!({"template": {"settings": {"index.number_of_replicas": 0}}}),
            )
            .unwrap();
            s.put_template(
                "logs-tpl",
                &json!({
                    "index_patterns": ["logs-*"],
                    "composed_of": ["ct"],
                    "template": {
                        "mappings": {"properties": {"code": {"type": "keyword"}}},
                        "aliases": {"all-logs": {}}
                    }
                }),
                false,
            )
            .unwrap();
            s.put_template(
                "old",
                &json!({"index_patterns": ["old-*"], "order": 2}),
                true,
            )
            .unwrap();
            s.create_index_with(
                "app-1",
                &json!({"settings": {"index": {"number_of_replicas": 2, "refresh_interval": "5s"}},
                        "aliases": {"errors": {"filter": {"term": {"level": "error"}}}}}),
            )
            .unwrap();
            for (id, level) in [("1", "error"), ("2", "info")] {
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
            s.put_alias("app-1", "apps", &json!({})).unwrap();
            s.put_settings("app-1", &json!({"index": {"max_result_window": 50}}))
                .unwrap();
            // a deleted index takes its metadata with it
            s.create_index_with("gone-1", &json!({"aliases": {"gone": {}}}))
                .unwrap();
            s.delete_index("gone-1").unwrap();
            templates = s.get_templates(None, false).unwrap();
            legacy = s.get_templates(None, true).unwrap();
            components = s.get_component_templates(None).unwrap();
            settings = s.get_settings("app-1", opts).unwrap();
            assert_eq!(s.meta_persist_errors(), 0);
            assert!(tmp.path().join("logs").join(super::META_FILE).is_file());
        }
        let s = disk_store(tmp.path());
        assert_eq!(s.get_templates(None, false).unwrap(), templates);
        assert_eq!(s.get_templates(None, true).unwrap(), legacy);
        assert_eq!(s.get_component_templates(None).unwrap(), components);
        assert_eq!(s.get_settings("app-1", opts).unwrap(), settings);
        assert_eq!(
            settings["app-1"]["settings"]["index"]["max_result_window"],
            "50"
        );
        assert_eq!(
            s.index_setting("app-1", "index.refresh_interval")
                .as_deref(),
            Some("5s")
        );
        // aliases resolve on search, filters included
        let count = |expr: &str| s.count(expr, &json!({}), opts).unwrap()["count"].clone();
        assert_eq!(count("errors"), 1);
        assert_eq!(count("apps"), 2);
        assert!(!s.is_alias("gone"));
        // a new index matching the template gets its mappings, settings and aliases
        s.index_doc(
            "logs-x",
            Some("a"),
            br#"{"code": "E1 E2"}"#,
            OpType::Index,
            Refresh::True,
        )
        .unwrap();
        let mapping = s.get_mapping("logs-x").unwrap();
        assert_eq!(
            mapping["logs-x"]["mappings"]["properties"]["code"]["type"],
            "keyword"
        );
        assert_eq!(
            s.index_setting("logs-x", "index.number_of_replicas")
                .as_deref(),
            Some("0")
        );
        assert_eq!(count("all-logs"), 1);
        let res = s
            .search(
                "all-logs",
                &json!({"query": {"term": {"code": "E1 E2"}}}),
                opts,
            )
            .unwrap();
        assert_eq!(res["hits"]["total"]["value"], 1);
    }

    #[test]
    fn ram_store_writes_no_meta_file() {
        let s = store();
        s.put_template("t", &json!({"index_patterns": ["t-*"]}), false)
            .unwrap();
        assert!(s.data_root().is_none());
        assert_eq!(s.meta_persist_errors(), 0);
    }

    #[test]
    fn meta_json_round_trips() {
        let mut inner = super::MetaInner::default();
        inner
            .composable
            .insert("t".into(), json!({"index_patterns": ["x-*"]}));
        inner.indices.insert(
            "u1".into(),
            super::IndexMeta {
                settings: json!({"index.number_of_replicas": "1"})
                    .as_object()
                    .cloned()
                    .unwrap(),
                aliases: json!({"a": {}}).as_object().cloned().unwrap(),
                creation_ms: 42,
                data_stream: Some("ds".into()),
            },
        );
        let back = super::MetaInner::from_json(&inner.to_json());
        assert_eq!(back.composable, inner.composable);
        let m = &back.indices["u1"];
        assert_eq!(m.creation_ms, 42);
        assert_eq!(m.data_stream.as_deref(), Some("ds"));
        assert_eq!(m.aliases, inner.indices["u1"].aliases);
        assert_eq!(m.settings, inner.indices["u1"].settings);
        // a corrupt file is an error, not silently empty metadata
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("m.json");
        std::fs::write(&p, b"{not json").unwrap();
        assert!(super::Meta::load(p).is_err());
    }
}
