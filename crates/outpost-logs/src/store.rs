//! The log store: the logical indices by name, writes and realtime gets, refresh policy
//! (explicit `refresh=true|wait_for`, else at most `refresh_interval_ms` of clock time after a
//! write, checked on every search and on [`LogStore::tick`]), and the byte cap that evicts the
//! oldest whole index and counts it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use outpost_clock::Clock;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::ids::auto_id;
use crate::index::{LogIndex, OpType, WriteOutcome, WriterOptions};
use crate::resolve::{resolve_date_math_name, resolve_with, validate_index_name};

/// Store settings.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Byte cap over all indices (`--logs.max-bytes`); the oldest whole index goes first.
    pub max_bytes: u64,
    /// Clock time after which unrefreshed writes become searchable (ES's `refresh_interval`).
    pub refresh_interval_ms: i64,
    /// Indexing threads per index.
    pub writer_threads: usize,
    /// Writer memory budget per index, in bytes.
    pub writer_memory_bytes: usize,
    /// `--data-dir`: with [`LogStore::open`], each index lives on disk under
    /// `<data_dir>/logs/<index>/`; `None` (and [`LogStore::new`]) keeps everything in RAM.
    pub data_dir: Option<PathBuf>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_bytes: 1 << 30,
            refresh_interval_ms: 1000,
            writer_threads: 1,
            // 1M Filebeat documents: 64 MiB segments merge less than 32 MiB ones (14 segments
            // at the end instead of 22; index 0.71 instead of 0.86 of the NDJSON size)
            writer_memory_bytes: 64 << 20,
            data_dir: None,
        }
    }
}

/// The `refresh` parameter of a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Refresh {
    /// `false` (default): searchable within the refresh interval.
    #[default]
    False,
    /// `true` (or empty): refresh now.
    True,
    /// `wait_for`: return once searchable (here: refresh now as well).
    WaitFor,
}

impl Refresh {
    /// Parses the URL parameter (`""`, `true`, `false`, `wait_for`).
    pub fn parse(s: &str) -> Result<Refresh> {
        match s {
            "" | "true" => Ok(Refresh::True),
            "false" => Ok(Refresh::False),
            "wait_for" => Ok(Refresh::WaitFor),
            other => Err(Error::IllegalArgument(format!(
                "Unknown value for refresh: [{other}]."
            ))),
        }
    }
}

/// Store figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Number of indices.
    pub indices: usize,
    /// Live documents.
    pub docs: usize,
    /// Bytes of index files.
    pub bytes: u64,
    /// Indices evicted by the byte cap.
    pub evicted_indices: u64,
    /// Documents those indices held.
    pub evicted_docs: u64,
}

/// A successful single-document write, as ES reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocWrite {
    /// The concrete index.
    pub index: String,
    /// The document id (given or generated).
    pub id: String,
    /// Outcome (version, seq_no, created).
    pub outcome: WriteOutcome,
}

impl DocWrite {
    /// The response body of `PUT /{index}/_doc/{id}` (and one bulk item without `status`).
    pub fn to_es_json(&self) -> Value {
        serde_json::json!({
            "_index": self.index,
            "_id": self.id,
            "_version": self.outcome.version,
            "result": if self.outcome.created { "created" } else { "updated" },
            "_shards": {"total": 2, "successful": 1, "failed": 0},
            "_seq_no": self.outcome.seq_no,
            "_primary_term": 1,
        })
    }

    /// HTTP status: 201 created, 200 updated.
    pub fn status(&self) -> u16 {
        if self.outcome.created { 201 } else { 200 }
    }
}

#[derive(Default)]
struct Inner {
    indices: BTreeMap<String, Arc<LogIndex>>,
    created: u64,
    evicted_indices: u64,
    evicted_docs: u64,
}

/// The log store.
pub struct LogStore {
    clock: Clock,
    /// `<data_dir>/logs` when the store is on disk.
    root: Option<PathBuf>,
    opts: StoreOptions,
    inner: Mutex<Inner>,
    id_seq: AtomicU64,
    node: u64,
    /// Templates and per-index settings and aliases (`admin.rs`, `templates.rs`).
    pub(crate) meta: crate::admin::Meta,
}

impl std::fmt::Debug for LogStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogStore")
            .field("opts", &self.opts)
            .finish_non_exhaustive()
    }
}

impl LogStore {
    /// An empty in-memory store on the project clock (`opts.data_dir` is not used: see
    /// [`LogStore::open`]).
    pub fn new(opts: StoreOptions, clock: Clock) -> LogStore {
        let node = (clock.now_ms() as u64).rotate_left(17) ^ 0x5f3a_91c2_7e4d;
        LogStore {
            clock,
            root: None,
            opts,
            inner: Mutex::new(Inner::default()),
            id_seq: AtomicU64::new(0),
            node,
            meta: crate::admin::Meta::default(),
        }
    }

    /// A store in RAM (no `data_dir`) or on disk under `<data_dir>/logs/`, reopening the indices
    /// a previous run left there (a directory without its meta file is skipped) and the store's
    /// metadata (templates, aliases, index settings) from `_meta.json`.
    pub fn open(opts: StoreOptions, clock: Clock) -> Result<LogStore> {
        let Some(data_dir) = opts.data_dir.clone() else {
            return Ok(LogStore::new(opts, clock));
        };
        let root = data_dir.join("logs");
        std::fs::create_dir_all(&root)
            .map_err(|e| Error::Engine(format!("creating {}: {e}", root.display())))?;
        let mut store = LogStore::new(opts, clock);
        let mut inner = Inner::default();
        let entries = std::fs::read_dir(&root)
            .map_err(|e| Error::Engine(format!("reading {}: {e}", root.display())))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if !path.join(crate::index::META_FILE).is_file() {
                continue;
            }
            let idx = LogIndex::open(&path, store.now_ms(), store.writer_options())?;
            inner.created = inner.created.max(idx.created());
            inner.indices.insert(idx.name().to_string(), Arc::new(idx));
        }
        let meta = crate::admin::Meta::load(root.join(crate::admin::META_FILE))?;
        {
            // metadata of indices whose directories are gone is dropped
            let live: std::collections::HashSet<&str> =
                inner.indices.values().map(|i| i.uuid()).collect();
            let mut m = meta.lock();
            if m.indices.keys().any(|u| !live.contains(u.as_str())) {
                m.indices.retain(|u, _| live.contains(u.as_str()));
            }
        }
        store.meta = meta;
        store.inner = Mutex::new(inner);
        store.root = Some(root);
        Ok(store)
    }

    fn writer_options(&self) -> WriterOptions {
        WriterOptions {
            threads: self.opts.writer_threads,
            memory_bytes: self.opts.writer_memory_bytes,
        }
    }

    /// Failed writes of `<data_dir>/logs/_meta.json` (templates, aliases, index settings) since
    /// start; the changes stay in memory and the next change rewrites the whole file.
    pub fn meta_persist_errors(&self) -> u64 {
        self.meta.persist_errors()
    }

    /// Where on-disk indices live (`<data_dir>/logs`), `None` in RAM.
    pub fn data_root(&self) -> Option<&Path> {
        self.root.as_deref()
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The store's clock (for `now` in queries).
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// The settings.
    pub fn options(&self) -> &StoreOptions {
        &self.opts
    }

    /// Creates an index (`PUT /{index}`), optionally with `mappings`.
    pub fn create_index(&self, name: &str, mappings: Option<&Value>) -> Result<()> {
        let name = resolve_date_math_name(name, self.now_ms())?;
        validate_index_name(&name)?;
        let mut inner = self.inner();
        if inner.indices.contains_key(&name) {
            return Err(Error::AlreadyExists(name));
        }
        let idx = self.new_index(&mut inner, &name)?;
        if let Some(m) = mappings {
            idx.put_mapping(m)?;
        }
        Ok(())
    }

    fn new_index(&self, inner: &mut Inner, name: &str) -> Result<Arc<LogIndex>> {
        inner.created = inner.created.saturating_add(1);
        let uuid = crate::ids::index_uuid(self.now_ms(), inner.created, self.node ^ 0xabcd);
        let idx = Arc::new(LogIndex::create(
            name,
            uuid,
            inner.created,
            self.now_ms(),
            WriterOptions {
                threads: self.opts.writer_threads,
                memory_bytes: self.opts.writer_memory_bytes,
            },
            self.root.as_deref(),
        )?);
        self.apply_templates(&idx)?;
        inner.indices.insert(name.to_string(), idx.clone());
        Ok(idx)
    }

    /// The index of a concrete name, created on first write (`action.auto_create_index`).
    fn index_for_write(&self, name: &str) -> Result<Arc<LogIndex>> {
        let name = resolve_date_math_name(name, self.now_ms())?;
        let name = self.write_target(name)?;
        let mut inner = self.inner();
        if let Some(idx) = inner.indices.get(&name) {
            return Ok(idx.clone());
        }
        validate_index_name(&name)?;
        self.new_index(&mut inner, &name)
    }

    /// An existing index by concrete name.
    pub fn index(&self, name: &str) -> Result<Arc<LogIndex>> {
        self.inner()
            .indices
            .get(name)
            .cloned()
            .ok_or_else(|| Error::IndexNotFound(name.to_string()))
    }

    /// Whether an index exists.
    pub fn exists(&self, name: &str) -> bool {
        self.inner().indices.contains_key(name)
    }

    /// Deletes an index (`DELETE /{index}`).
    pub fn delete_index(&self, name: &str) -> Result<()> {
        let idx = self
            .inner()
            .indices
            .remove(name)
            .ok_or_else(|| Error::IndexNotFound(name.to_string()))?;
        self.meta.lock().indices.remove(idx.uuid());
        remove_files(&idx);
        Ok(())
    }

    /// Applies an explicit mapping (`PUT /{index}/_mapping`).
    pub fn put_mapping(&self, name: &str, body: &Value) -> Result<()> {
        self.index(name)?.put_mapping(body)
    }

    /// The `_mapping` body of the indices an expression names.
    pub fn get_mapping(&self, expr: &str) -> Result<Value> {
        let mut out = serde_json::Map::new();
        for idx in self.resolve(expr, false)? {
            out.insert(
                idx.name().to_string(),
                serde_json::json!({"mappings": idx.mapping().to_es_json()}),
            );
        }
        Ok(Value::Object(out))
    }

    /// Resolves an index expression to the indices it names, in name order.
    pub fn resolve(&self, expr: &str, ignore_unavailable: bool) -> Result<Vec<Arc<LogIndex>>> {
        self.resolve_hidden(expr, ignore_unavailable, false)
    }

    /// [`LogStore::resolve`] with aliases, and with `index.hidden` indices matched by
    /// wildcards only when `include_hidden` (`expand_wildcards=all|hidden`).
    pub fn resolve_hidden(
        &self,
        expr: &str,
        ignore_unavailable: bool,
        include_hidden: bool,
    ) -> Result<Vec<Arc<LogIndex>>> {
        let inner = self.inner();
        let names: Vec<String> = inner.indices.keys().cloned().collect();
        let mut extra = self.resolve_extra_live(inner.indices.values());
        extra.include_hidden = include_hidden;
        let picked = resolve_with(
            expr,
            &names,
            &extra,
            ignore_unavailable,
            self.clock.now_ms(),
        )?;
        Ok(picked
            .iter()
            .filter_map(|n| inner.indices.get(n).cloned())
            .collect())
    }

    /// Next auto id.
    pub fn next_id(&self) -> String {
        let seq = self.id_seq.fetch_add(1, Ordering::Relaxed);
        auto_id(self.now_ms(), seq, self.node)
    }

    /// Writes one document without refreshing or enforcing the cap (bulk calls it per item).
    pub(crate) fn write_one(
        &self,
        index: &str,
        id: Option<&str>,
        source: &[u8],
        op: OpType,
    ) -> Result<DocWrite> {
        let value: Value = serde_json::from_slice(source).map_err(|e| {
            Error::MapperParsing(format!("failed to parse: {}", e.to_string().to_lowercase()))
        })?;
        self.write_parsed(index, id, source, &value, op)
    }

    /// [`LogStore::write_one`] for a document already parsed (`value` is `source` decoded), so
    /// writers that build the document (OTLP logs) do not parse it again.
    pub(crate) fn write_parsed(
        &self,
        index: &str,
        id: Option<&str>,
        source: &[u8],
        value: &Value,
        op: OpType,
    ) -> Result<DocWrite> {
        let idx = self.index_for_write(index)?;
        let id = match id {
            Some("") => {
                return Err(Error::IllegalArgument(
                    "if _id is specified it must not be empty".into(),
                ));
            }
            Some(id) if id.len() > 512 => {
                return Err(Error::IllegalArgument(format!(
                    "id [{id}] is too long, must be no longer than 512 bytes but was: {}",
                    id.len()
                )));
            }
            Some(id) => id.to_string(),
            None => self.next_id(),
        };
        let outcome = idx.write(&id, source, value, op)?;
        Ok(DocWrite {
            index: idx.name().to_string(),
            id,
            outcome,
        })
    }

    /// `PUT|POST /{index}/_doc[/{id}]` and `/_create/{id}`.
    pub fn index_doc(
        &self,
        index: &str,
        id: Option<&str>,
        source: &[u8],
        op: OpType,
        refresh: Refresh,
    ) -> Result<DocWrite> {
        let w = self.write_one(index, id, source, op)?;
        self.after_write(&[w.index.as_str()], refresh)?;
        Ok(w)
    }

    /// `DELETE /{index}/_doc/{id}`: `Ok(None)` when not found (ES answers 404 `not_found`).
    pub fn delete_doc(&self, index: &str, id: &str, refresh: Refresh) -> Result<Option<DocWrite>> {
        let idx = self.index(index)?;
        let out = idx.delete(id).map(|outcome| DocWrite {
            index: index.to_string(),
            id: id.to_string(),
            outcome,
        });
        self.after_write(&[index], refresh)?;
        Ok(out)
    }

    /// `GET /{index}/_doc/{id}`: source bytes and version (realtime).
    pub fn get_doc(&self, index: &str, id: &str) -> Result<Option<(Vec<u8>, u64)>> {
        self.index(index)?.get(id, self.now_ms())
    }

    /// After writes: refresh when asked, then enforce the byte cap.
    pub(crate) fn after_write(&self, touched: &[&str], refresh: Refresh) -> Result<()> {
        if refresh != Refresh::False {
            for name in touched {
                if let Ok(idx) = self.index(name) {
                    idx.refresh(self.now_ms())?;
                }
            }
        }
        self.enforce_cap(touched);
        Ok(())
    }

    /// `_refresh` of an expression.
    pub fn refresh(&self, expr: &str) -> Result<()> {
        let now = self.now_ms();
        for idx in self.resolve(expr, false)? {
            idx.refresh(now)?;
        }
        self.enforce_cap(&[]);
        Ok(())
    }

    /// The periodic refresh: refreshes indices whose writes are older than the interval.
    /// Searches call it too, so a write is visible to any search at most the interval after it.
    pub fn tick(&self) -> Result<()> {
        let now = self.now_ms();
        let all: Vec<Arc<LogIndex>> = self.inner().indices.values().cloned().collect();
        let mut any = false;
        for idx in all {
            any |= idx.maybe_refresh(now, self.opts.refresh_interval_ms)?;
        }
        if any {
            self.enforce_cap(&[]);
        }
        Ok(())
    }

    /// Evicts the oldest whole indices while the total exceeds `max_bytes`, never one named in
    /// `keep` (the indices being written).
    fn enforce_cap(&self, keep: &[&str]) {
        let mut inner = self.inner();
        let mut evicted: Vec<String> = Vec::new();
        let mut total: u64 = inner.indices.values().map(|i| i.bytes()).sum();
        while total > self.opts.max_bytes {
            let oldest = inner
                .indices
                .values()
                .filter(|i| !keep.contains(&i.name()))
                .min_by_key(|i| i.created())
                .map(|i| i.name().to_string());
            let Some(name) = oldest else { break };
            let Some(idx) = inner.indices.remove(&name) else {
                break;
            };
            total = total.saturating_sub(idx.bytes());
            remove_files(&idx);
            evicted.push(idx.uuid().to_string());
            inner.evicted_indices = inner.evicted_indices.saturating_add(1);
            inner.evicted_docs = inner.evicted_docs.saturating_add(idx.doc_count() as u64);
        }
        drop(inner);
        if !evicted.is_empty() {
            // the evicted indices' settings and aliases go with them
            let mut meta = self.meta.lock();
            for uuid in &evicted {
                meta.indices.remove(uuid);
            }
        }
    }

    /// Store figures.
    pub fn stats(&self) -> StoreStats {
        let inner = self.inner();
        StoreStats {
            indices: inner.indices.len(),
            docs: inner.indices.values().map(|i| i.doc_count()).sum(),
            bytes: inner.indices.values().map(|i| i.bytes()).sum(),
            evicted_indices: inner.evicted_indices,
            evicted_docs: inner.evicted_docs,
        }
    }
}

/// Deletes the directory of a dropped on-disk index (searches still holding it keep their open
/// files until they finish; a failure leaves the files behind, never the index in the store).
fn remove_files(idx: &LogIndex) {
    if let Some(path) = idx.data_path() {
        let _ = std::fs::remove_dir_all(path);
    }
}

#[cfg(test)]
impl LogStore {
    /// A RAM store with default options on a manual clock at 2023-11-14T22:13:20Z, for tests.
    pub(crate) fn for_tests() -> LogStore {
        LogStore::new(StoreOptions::default(), Clock::manual(1_700_000_000_000))
    }
}
