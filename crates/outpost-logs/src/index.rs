//! One logical Elasticsearch index: a tantivy index (schema below), its mapping, the live ids
//! with their versions, and the refresh state. Schema: `_id` (raw, stored), `_source` (stored
//! bytes as sent), `txt` (JSON field, analyzed text with positions, dotted paths), `kv` (exact
//! values, see [`crate::encode`]; also a fast column), `ex` (the per-path presence markers,
//! indexed only) and `@ts` (`@timestamp` as a fast, indexed date).
//!
//! Storage: a `RamDirectory`, or with `--data-dir` an `MmapDirectory` under
//! `<data_dir>/logs/<index>/` with [`META_FILE`] beside tantivy's files (name, uuid, creation
//! order, mapping) so [`LogIndex::open`] brings the index back; ids come back from the `_id`
//! terms, their versions and the seq_no counter from the last commit's payload (only ids at a
//! version above 1 are listed there; the rest are at 1). A document is walked once ([`Mapping::walk`]) and its tantivy document
//! is built from borrowed values with one reused term buffer.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use std::path::{Path, PathBuf};

use tantivy::directory::{MmapDirectory, RamDirectory};
use tantivy::query::TermQuery;
use tantivy::schema::document::{ReferenceValue, ReferenceValueLeaf};
use tantivy::schema::{
    BytesOptions, DateOptions, DateTimePrecision, Field, IndexRecordOption, JsonObjectOptions,
    STORED, STRING, Schema, TextFieldIndexing,
};
use tantivy::tokenizer::{LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer};
use tantivy::{
    DateTime, DocSet, Index, IndexReader, IndexSettings, IndexWriter, ReloadPolicy, Searcher,
    TantivyDocument, Term,
};

use crate::encode;
use crate::error::{Error, Result};
use crate::mapping::{LeafRef, Mapping, Walked};

/// Name of the analyzer of text fields (standard-like: split on non-alphanumerics, lowercase).
pub(crate) const TEXT_ANALYZER: &str = "es_standard";

/// The tantivy fields of every log index.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// `_id`.
    pub id: Field,
    /// `_source` bytes.
    pub source: Field,
    /// Analyzed text, JSON paths.
    pub txt: Field,
    /// Exact values.
    pub kv: Field,
    /// Presence markers (`path \0 e`, the [`crate::encode`] form): indexed only, outside the
    /// `kv` fast column so aggregations' ordinals and the column's bytes stay on values.
    pub ex: Field,
    /// `@timestamp`.
    pub ts: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let id = b.add_text_field("_id", STRING | STORED);
    let source = b.add_bytes_field("_source", STORED);
    let txt_indexing = TextFieldIndexing::default()
        .set_tokenizer(TEXT_ANALYZER)
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    let txt = b.add_json_field(
        "txt",
        JsonObjectOptions::default()
            .set_indexing_options(txt_indexing)
            .set_expand_dots_enabled(),
    );
    let kv = b.add_bytes_field("kv", BytesOptions::default().set_indexed().set_fast());
    let ex = b.add_bytes_field("ex", BytesOptions::default().set_indexed());
    let ts = b.add_date_field(
        "@ts",
        DateOptions::default()
            .set_indexed()
            .set_fast()
            .set_precision(DateTimePrecision::Milliseconds),
    );
    (
        b.build(),
        Fields {
            id,
            source,
            txt,
            kv,
            ex,
            ts,
        },
    )
}

/// Name of the file beside an on-disk index that keeps what tantivy does not: the index's
/// name, uuid, creation order and mapping.
pub(crate) const META_FILE: &str = "outpost-index.json";

/// Where an index keeps its files.
#[derive(Debug, Clone)]
pub(crate) enum Storage {
    /// In memory.
    Ram(RamDirectory),
    /// On disk under this directory (tantivy's files plus [`META_FILE`]).
    Disk(PathBuf),
}

impl Storage {
    /// Bytes held by the index's files.
    pub(crate) fn bytes(&self) -> u64 {
        match self {
            Storage::Ram(d) => d.total_mem_usage() as u64,
            Storage::Disk(path) => dir_bytes(path),
        }
    }

    /// The directory on disk, if any.
    pub(crate) fn path(&self) -> Option<&Path> {
        match self {
            Storage::Ram(_) => None,
            Storage::Disk(p) => Some(p),
        }
    }
}

/// Sum of the file sizes directly under `path` (tantivy's directories are flat).
fn dir_bytes(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .filter_map(|e| e.ok()?.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .fold(0u64, u64::saturating_add)
}

fn io_err(what: &str, path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Engine(format!("{what} {}: {e}", path.display()))
}

/// The persisted part of an on-disk index that tantivy does not keep.
#[derive(Debug, Clone, PartialEq)]
struct IndexMeta {
    name: String,
    uuid: String,
    created: u64,
    mapping: serde_json::Value,
}

impl IndexMeta {
    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name,
            "uuid": self.uuid,
            "created": self.created,
            "mappings": self.mapping,
        })
    }

    fn from_json(v: &serde_json::Value) -> Option<IndexMeta> {
        Some(IndexMeta {
            name: v.get("name")?.as_str()?.to_string(),
            uuid: v.get("uuid")?.as_str()?.to_string(),
            created: v.get("created")?.as_u64()?,
            mapping: v.get("mappings")?.clone(),
        })
    }
}

/// Writes the meta file atomically (temporary file, then rename).
fn write_meta(dir: &Path, meta: &IndexMeta) -> Result<()> {
    let tmp = dir.join(format!("{META_FILE}.tmp"));
    let body = serde_json::to_vec_pretty(&meta.to_json())
        .map_err(|e| Error::Engine(format!("encoding index meta: {e}")))?;
    std::fs::write(&tmp, body).map_err(|e| io_err("writing", &tmp, e))?;
    let dst = dir.join(META_FILE);
    std::fs::rename(&tmp, &dst).map_err(|e| io_err("renaming", &dst, e))
}

/// Settings of every new tantivy index.
fn index_settings() -> IndexSettings {
    IndexSettings {
        // larger blocks compress `_source` better; a fetch decompresses one block
        docstore_blocksize: DOCSTORE_BLOCK_BYTES,
        ..IndexSettings::default()
    }
}

/// Uncompressed bytes of a `_source` store block.
const DOCSTORE_BLOCK_BYTES: usize = 64 << 10;

/// How a document is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpType {
    /// `index`: create or overwrite.
    Index,
    /// `create`: refuse an existing id (409).
    Create,
}

/// The outcome of a successful write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOutcome {
    /// The document's new version.
    pub version: u64,
    /// The shard sequence number of the operation.
    pub seq_no: u64,
    /// `created` (true) or `updated`.
    pub created: bool,
}

struct State {
    writer: IndexWriter,
    mapping: Arc<Mapping>,
    versions: HashMap<String, u64>,
    /// Live ids at a version above 1 (kept in the commit payload on disk, see
    /// [`LogIndex::refresh`]; reopened ids not listed come back at version 1).
    bumped: HashSet<String>,
    seq_no: u64,
    pending: usize,
    last_refresh_ms: i64,
}

/// One logical index.
pub struct LogIndex {
    name: String,
    uuid: String,
    created: u64,
    storage: Storage,
    index: Index,
    fields: Fields,
    reader: IndexReader,
    state: Mutex<State>,
}

impl std::fmt::Debug for LogIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogIndex")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Writer tuning of an index.
#[derive(Debug, Clone, Copy)]
pub struct WriterOptions {
    /// Indexing threads per index.
    pub threads: usize,
    /// Memory budget of the writer in bytes (tantivy's minimum is 15 MB per thread).
    pub memory_bytes: usize,
}

impl LogIndex {
    /// Creates an empty index, in RAM, or on disk under `<root>/<name>/` when `root` is given
    /// (a leftover directory of that name is replaced).
    pub fn create(
        name: &str,
        uuid: String,
        created: u64,
        now_ms: i64,
        w: WriterOptions,
        root: Option<&Path>,
    ) -> Result<LogIndex> {
        let (schema, fields) = schema();
        let (storage, index) = match root {
            None => {
                let dir = RamDirectory::create();
                let index = Index::create(dir.clone(), schema, index_settings())?;
                (Storage::Ram(dir), index)
            }
            Some(root) => {
                let path = root.join(name);
                if path.exists() {
                    std::fs::remove_dir_all(&path).map_err(|e| io_err("removing", &path, e))?;
                }
                std::fs::create_dir_all(&path).map_err(|e| io_err("creating", &path, e))?;
                let dir = MmapDirectory::open(&path).map_err(|e| io_err("opening", &path, e))?;
                let index = Index::create(dir, schema, index_settings())?;
                let meta = IndexMeta {
                    name: name.to_string(),
                    uuid: uuid.clone(),
                    created,
                    mapping: Mapping::default().to_es_json(),
                };
                write_meta(&path, &meta)?;
                (Storage::Disk(path), index)
            }
        };
        LogIndex::assemble(
            name,
            uuid,
            created,
            storage,
            index,
            fields,
            Mapping::default(),
            now_ms,
            w,
        )
    }

    /// Reopens an on-disk index from its directory (tantivy's files and [`META_FILE`]). Ids
    /// come back from the `_id` terms of live documents, at the versions the last commit's
    /// payload lists (1 otherwise), and `seq_no` resumes from that payload.
    pub fn open(path: &Path, now_ms: i64, w: WriterOptions) -> Result<LogIndex> {
        let meta_path = path.join(META_FILE);
        let raw = std::fs::read(&meta_path).map_err(|e| io_err("reading", &meta_path, e))?;
        let meta = serde_json::from_slice::<serde_json::Value>(&raw)
            .ok()
            .as_ref()
            .and_then(IndexMeta::from_json)
            .ok_or_else(|| io_err("parsing", &meta_path, "not an index meta file"))?;
        let mut mapping = Mapping::default();
        mapping.put(&meta.mapping)?;
        let dir = MmapDirectory::open(path).map_err(|e| io_err("opening", path, e))?;
        let index = Index::open(dir)?;
        let schema = index.schema();
        let field = |n: &str| {
            schema
                .get_field(n)
                .map_err(|_| io_err("opening", path, format!("no field [{n}] in the schema")))
        };
        let fields = Fields {
            id: field("_id")?,
            source: field("_source")?,
            txt: field("txt")?,
            kv: field("kv")?,
            ex: field("ex")?,
            ts: field("@ts")?,
        };
        let idx = LogIndex::assemble(
            &meta.name,
            meta.uuid,
            meta.created,
            Storage::Disk(path.to_path_buf()),
            index,
            fields,
            mapping,
            now_ms,
            w,
        )?;
        idx.load_ids()?;
        Ok(idx)
    }

    #[allow(clippy::too_many_arguments)]
    fn assemble(
        name: &str,
        uuid: String,
        created: u64,
        storage: Storage,
        index: Index,
        fields: Fields,
        mapping: Mapping,
        now_ms: i64,
        w: WriterOptions,
    ) -> Result<LogIndex> {
        let analyzer = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(256))
            .filter(LowerCaser)
            .build();
        index.tokenizers().register(TEXT_ANALYZER, analyzer);
        let writer = index.writer_with_num_threads(w.threads.max(1), w.memory_bytes)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(LogIndex {
            name: name.to_string(),
            uuid,
            created,
            storage,
            index,
            fields,
            reader,
            state: Mutex::new(State {
                writer,
                mapping: Arc::new(mapping),
                versions: HashMap::new(),
                bumped: HashSet::new(),
                seq_no: 0,
                pending: 0,
                last_refresh_ms: now_ms,
            }),
        })
    }

    /// Fills the live ids from the `_id` terms of the committed segments.
    fn load_ids(&self) -> Result<()> {
        let searcher = self.searcher();
        let mut versions = HashMap::new();
        for seg in searcher.segment_readers() {
            let inverted = seg.inverted_index(self.fields.id)?;
            let io =
                |e: std::io::Error| Error::Engine(format!("reading ids of {}: {e}", self.name));
            let mut terms = inverted.terms().stream().map_err(io)?;
            while terms.advance() {
                let info = terms.value();
                let mut postings = inverted
                    .read_postings_from_terminfo(info, IndexRecordOption::Basic)
                    .map_err(io)?;
                let alive = loop {
                    let doc = postings.doc();
                    if doc == tantivy::TERMINATED {
                        break false;
                    }
                    if seg.alive_bitset().is_none_or(|b| b.is_alive(doc)) {
                        break true;
                    }
                    postings.advance();
                };
                if alive && let Ok(id) = std::str::from_utf8(terms.key()) {
                    versions.insert(id.to_string(), 1u64);
                }
            }
        }
        // the last commit's payload: the seq_no counter and the ids at a version above 1
        let payload = self
            .index
            .load_metas()?
            .payload
            .and_then(|p| serde_json::from_str::<serde_json::Value>(&p).ok());
        let mut bumped = HashSet::new();
        let mut seq_no = versions.len() as u64;
        if let Some(p) = payload {
            seq_no = seq_no.max(p.get("seq_no").and_then(|v| v.as_u64()).unwrap_or(0));
            if let Some(saved) = p.get("versions").and_then(|v| v.as_object()) {
                for (id, v) in saved {
                    if let (Some(live), Some(v)) = (versions.get_mut(id), v.as_u64())
                        && v > 1
                    {
                        *live = v;
                        bumped.insert(id.clone());
                    }
                }
            }
        }
        let mut st = self.state();
        st.seq_no = seq_no;
        st.versions = versions;
        st.bumped = bumped;
        Ok(())
    }

    /// Saves the mapping beside an on-disk index (no-op in RAM).
    fn persist_mapping(&self, mapping: &Mapping) -> Result<()> {
        let Some(path) = self.storage.path() else {
            return Ok(());
        };
        write_meta(
            path,
            &IndexMeta {
                name: self.name.clone(),
                uuid: self.uuid.clone(),
                created: self.created,
                mapping: mapping.to_es_json(),
            },
        )
    }

    /// The directory of an on-disk index.
    pub fn data_path(&self) -> Option<&Path> {
        self.storage.path()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The index name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The index uuid.
    pub fn uuid(&self) -> &str {
        &self.uuid
    }

    /// Creation order (smaller = older), used for eviction.
    pub fn created(&self) -> u64 {
        self.created
    }

    /// The tantivy fields.
    pub fn fields(&self) -> Fields {
        self.fields
    }

    /// The tantivy index (tokenizers for query analysis).
    pub fn tantivy(&self) -> &Index {
        &self.index
    }

    /// A snapshot of the mapping.
    pub fn mapping(&self) -> Arc<Mapping> {
        self.state().mapping.clone()
    }

    /// Applies an explicit mapping.
    pub fn put_mapping(&self, body: &serde_json::Value) -> Result<()> {
        let mut st = self.state();
        let mut m = (*st.mapping).clone();
        m.put(body)?;
        self.persist_mapping(&m)?;
        st.mapping = Arc::new(m);
        Ok(())
    }

    /// Live documents (written, not deleted), refreshed or not.
    pub fn doc_count(&self) -> usize {
        self.state().versions.len()
    }

    /// Bytes held by the index files.
    pub fn bytes(&self) -> u64 {
        self.storage.bytes()
    }

    /// Writes one document. `source` is kept byte for byte.
    pub fn write(
        &self,
        id: &str,
        source: &[u8],
        value: &serde_json::Value,
        op: OpType,
    ) -> Result<WriteOutcome> {
        let mut st = self.state();
        let existing = st.versions.get(id).copied();
        if op == OpType::Create
            && let Some(v) = existing
        {
            return Err(Error::VersionConflict(id.to_string(), v));
        }
        let mut walked = st.mapping.walk(value, id)?;
        if !walked.added.is_empty() {
            let added = std::mem::take(&mut walked.added);
            Arc::make_mut(&mut st.mapping).extend(added);
            self.persist_mapping(&st.mapping)?;
        }
        let doc = self.build_doc(id, source, &walked);
        if existing.is_some() {
            st.writer
                .delete_term(Term::from_field_text(self.fields.id, id));
        }
        st.writer.add_document(doc)?;
        let version = existing.map_or(1, |v| v.saturating_add(1));
        st.versions.insert(id.to_string(), version);
        if version > 1 && self.storage.path().is_some() {
            st.bumped.insert(id.to_string());
        }
        let seq_no = st.seq_no;
        st.seq_no = st.seq_no.saturating_add(1);
        st.pending = st.pending.saturating_add(1);
        Ok(WriteOutcome {
            version,
            seq_no,
            created: existing.is_none(),
        })
    }

    /// Deletes a document; `None` when the id is unknown.
    pub fn delete(&self, id: &str) -> Option<WriteOutcome> {
        let mut st = self.state();
        let version = st.versions.remove(id)?;
        st.bumped.remove(id);
        st.writer
            .delete_term(Term::from_field_text(self.fields.id, id));
        let seq_no = st.seq_no;
        st.seq_no = st.seq_no.saturating_add(1);
        st.pending = st.pending.saturating_add(1);
        Some(WriteOutcome {
            version: version.saturating_add(1),
            seq_no,
            created: false,
        })
    }

    fn build_doc(&self, id: &str, source: &[u8], walked: &Walked<'_>) -> TantivyDocument {
        let f = self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, id);
        doc.add_bytes(f.source, source);
        let mut term: Vec<u8> = Vec::with_capacity(256);
        let mut text: Vec<(&str, &str)> = Vec::with_capacity(walked.leaves.len());
        let mut exists: Vec<&str> = Vec::with_capacity(walked.leaves.len() * 2);
        let mut twins: Vec<&str> = Vec::new();
        for (range, leaf) in &walked.leaves {
            let path = &walked.paths[range.clone()];
            match leaf {
                LeafRef::Text(s, kw) => {
                    if *kw {
                        encode::keyword_into(&mut term, path, ".keyword", s);
                        doc.add_bytes(f.kv, &term);
                        twins.push(path);
                    }
                    text.push((path, &**s));
                }
                LeafRef::Keyword(s) => {
                    encode::keyword_into(&mut term, path, "", s);
                    doc.add_bytes(f.kv, &term);
                }
                LeafRef::Long(n) => {
                    encode::long_into(&mut term, path, encode::LONG, *n);
                    doc.add_bytes(f.kv, &term);
                }
                LeafRef::Double(x) => {
                    encode::double_into(&mut term, path, *x);
                    doc.add_bytes(f.kv, &term);
                }
                LeafRef::Boolean(b) => {
                    encode::boolean_into(&mut term, path, *b);
                    doc.add_bytes(f.kv, &term);
                }
                LeafRef::Date(ms) => {
                    if path == "@timestamp" {
                        // tantivy keeps nanoseconds in an i64 (years 1677..2262): the fast
                        // column clamps, the exact value stays in `kv` and `_source`
                        let clamped = (*ms).clamp(i64::MIN / 1_000_000, i64::MAX / 1_000_000);
                        doc.add_date(f.ts, DateTime::from_timestamp_millis(clamped));
                    }
                    encode::long_into(&mut term, path, encode::DATE, *ms);
                    doc.add_bytes(f.kv, &term);
                }
            }
            // the path and its parents exist
            let mut p = path;
            loop {
                exists.push(p);
                match p.rfind('.') {
                    Some(i) => p = &p[..i],
                    None => break,
                }
            }
        }
        // one presence term per distinct path (twins included), from one arena
        let mut arena: Vec<u8> = Vec::with_capacity((exists.len() + twins.len()) * 24);
        let mut spans: Vec<(usize, usize)> = Vec::with_capacity(exists.len() + twins.len());
        let mut push = |p: &str, suffix: &str| {
            let start = arena.len();
            arena.extend_from_slice(p.as_bytes());
            arena.extend_from_slice(suffix.as_bytes());
            arena.push(0);
            arena.push(encode::EXISTS);
            spans.push((start, arena.len()));
        };
        for p in exists {
            push(p, "");
        }
        for p in twins {
            push(p, ".keyword");
        }
        spans.sort_unstable_by(|a, b| arena[a.0..a.1].cmp(&arena[b.0..b.1]));
        spans.dedup_by(|a, b| arena[a.0..a.1] == arena[b.0..b.1]);
        for (start, end) in spans {
            doc.add_bytes(f.ex, &arena[start..end]);
        }
        if !text.is_empty() {
            doc.add_field_value(f.txt, TxtValue::Object(&text));
        }
        doc
    }

    /// Whether writes are waiting for a refresh.
    pub fn has_pending(&self) -> bool {
        self.state().pending > 0
    }

    /// Makes every write so far searchable (commit + reader reload).
    pub fn refresh(&self, now_ms: i64) -> Result<()> {
        let mut st = self.state();
        if st.pending > 0 {
            if self.storage.path().is_some() {
                // on disk the commit carries seq_no and the versions above 1, so a reopen
                // resumes them (cheap for append-only logs: only updated ids are listed)
                let versions: serde_json::Map<String, serde_json::Value> = st
                    .bumped
                    .iter()
                    .filter_map(|id| Some((id.clone(), st.versions.get(id).copied()?.into())))
                    .collect();
                let payload = serde_json::json!({"seq_no": st.seq_no, "versions": versions});
                let mut commit = st.writer.prepare_commit()?;
                commit.set_payload(&payload.to_string());
                commit.commit()?;
            } else {
                st.writer.commit()?;
            }
            self.reader.reload()?;
            st.pending = 0;
        }
        st.last_refresh_ms = now_ms;
        Ok(())
    }

    /// Refreshes when writes are pending and the last refresh is at least `interval_ms` old;
    /// returns whether it refreshed.
    pub fn maybe_refresh(&self, now_ms: i64, interval_ms: i64) -> Result<bool> {
        let due = {
            let st = self.state();
            st.pending > 0 && now_ms.saturating_sub(st.last_refresh_ms) >= interval_ms
        };
        if due {
            self.refresh(now_ms)?;
        }
        Ok(due)
    }

    /// A searcher over the last refresh.
    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    /// Realtime get (refreshes first when the id has unrefreshed writes, as ES's get is realtime).
    pub fn get(&self, id: &str, now_ms: i64) -> Result<Option<(Vec<u8>, u64)>> {
        let version = match self.state().versions.get(id) {
            Some(v) => *v,
            None => return Ok(None),
        };
        if self.has_pending() {
            self.refresh(now_ms)?;
        }
        let searcher = self.searcher();
        let q = TermQuery::new(
            Term::from_field_text(self.fields.id, id),
            IndexRecordOption::Basic,
        );
        let top = searcher.search(
            &q,
            &tantivy::collector::TopDocs::with_limit(1).order_by_score(),
        )?;
        let Some((_, addr)) = top.first() else {
            return Ok(None);
        };
        let doc: TantivyDocument = searcher.doc(*addr)?;
        Ok(self.source_of(&doc).map(|s| (s, version)))
    }

    /// The `_source` bytes of a stored document.
    pub fn source_of(&self, doc: &TantivyDocument) -> Option<Vec<u8>> {
        use tantivy::schema::Value;
        doc.get_first(self.fields.source)
            .and_then(|v| v.as_bytes())
            .map(<[u8]>::to_vec)
    }

    /// The `_id` of a stored document.
    pub fn id_of(&self, doc: &TantivyDocument) -> String {
        use tantivy::schema::Value;
        doc.get_first(self.fields.id)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    }
}

/// The `txt` object of a document, borrowed: dotted path → text, a path repeated for each
/// value of an array (tantivy indexes repeated keys as it indexes array elements).
#[derive(Debug, Clone)]
enum TxtValue<'a> {
    Object(&'a [(&'a str, &'a str)]),
    Str(&'a str),
}

/// The pairs of a [`TxtValue::Object`].
struct TxtPairs<'a>(std::slice::Iter<'a, (&'a str, &'a str)>);

impl<'a> Iterator for TxtPairs<'a> {
    type Item = (&'a str, TxtValue<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (*k, TxtValue::Str(v)))
    }
}

impl<'a> tantivy::schema::Value<'a> for TxtValue<'a> {
    type ArrayIter = std::iter::Empty<TxtValue<'a>>;
    type ObjectIter = TxtPairs<'a>;

    fn as_value(&self) -> ReferenceValue<'a, Self> {
        match self {
            TxtValue::Object(pairs) => ReferenceValue::Object(TxtPairs(pairs.iter())),
            TxtValue::Str(s) => ReferenceValue::Leaf(ReferenceValueLeaf::Str(s)),
        }
    }
}

#[cfg(test)]
mod tests {
    use outpost_clock::Clock;
    use serde_json::{Value, json};

    use crate::{LogStore, OpType, Refresh, SearchOptions, StoreOptions};

    const NOW: i64 = 1_796_600_000_000;

    fn disk_store(dir: &std::path::Path, max_bytes: u64) -> LogStore {
        let opts = StoreOptions {
            max_bytes,
            data_dir: Some(dir.to_path_buf()),
            ..StoreOptions::default()
        };
        LogStore::open(opts, Clock::manual(NOW)).unwrap()
    }

    fn hits(s: &LogStore, expr: &str, q: Value) -> Vec<String> {
        let res = s
            .search(expr, &json!({ "query": q }), SearchOptions::default())
            .unwrap();
        let mut ids: Vec<String> = res["hits"]["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["_id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    }

    #[test]
    fn data_dir_versions_and_seq_no_survive_a_restart() {
        let tmp = tempfile::tempdir().unwrap();
        let put = |s: &LogStore, id: &str, refresh: Refresh| {
            s.index_doc("v-1", Some(id), br#"{"n": 1}"#, OpType::Index, refresh)
                .unwrap()
                .outcome
        };
        {
            let s = disk_store(tmp.path(), u64::MAX);
            for _ in 0..3 {
                put(&s, "x", Refresh::False);
            }
            put(&s, "y", Refresh::False);
            put(&s, "y", Refresh::False);
            s.delete_doc("v-1", "y", Refresh::False).unwrap();
            let last = put(&s, "z", Refresh::True);
            assert_eq!((last.version, last.seq_no), (1, 6));
        }
        let s = disk_store(tmp.path(), u64::MAX);
        assert_eq!(s.get_doc("v-1", "x").unwrap().unwrap().1, 3);
        assert_eq!(s.get_doc("v-1", "z").unwrap().unwrap().1, 1);
        assert!(s.get_doc("v-1", "y").unwrap().is_none());
        let x = put(&s, "x", Refresh::True);
        assert_eq!((x.version, x.seq_no, x.created), (4, 7, false));
        let y = put(&s, "y", Refresh::True);
        assert_eq!((y.version, y.seq_no, y.created), (1, 8, true));
    }

    #[test]
    fn data_dir_indices_survive_a_restart() {
        let tmp = tempfile::tempdir().unwrap();
        {
            let s = disk_store(tmp.path(), u64::MAX);
            let body = concat!(
                "{\"index\":{\"_id\":\"1\"}}\n{\"@timestamp\":\"2026-12-07T10:00:00Z\",\"message\":\"disk write one\",\"n\":1}\n",
                "{\"index\":{\"_id\":\"2\"}}\n{\"@timestamp\":\"2026-12-07T10:01:00Z\",\"message\":\"disk write two\",\"n\":2}\n",
                "{\"index\":{\"_id\":\"3\"}}\n{\"message\":\"gone\"}\n",
            );
            let res = s
                .bulk(Some("logs-a"), body.as_bytes(), Refresh::True)
                .unwrap();
            assert!(!res.errors);
            s.delete_doc("logs-a", "3", Refresh::True).unwrap();
            s.put_mapping("logs-b", &json!({})).unwrap_err();
            s.create_index(
                "logs-b",
                Some(&json!({"properties": {"code": {"type": "keyword"}}})),
            )
            .unwrap();
            s.index_doc(
                "logs-b",
                Some("x"),
                br#"{"code": "E1"}"#,
                OpType::Index,
                Refresh::True,
            )
            .unwrap();
            assert!(
                tmp.path()
                    .join("logs/logs-a")
                    .join(super::META_FILE)
                    .is_file()
            );
        }
        let s = disk_store(tmp.path(), u64::MAX);
        assert!(s.exists("logs-a") && s.exists("logs-b"));
        assert_eq!(s.stats().docs, 3);
        assert_eq!(
            hits(&s, "logs-a", json!({"match": {"message": "disk"}})),
            ["1", "2"]
        );
        assert_eq!(
            hits(&s, "logs-*", json!({"range": {"n": {"gte": 2}}})),
            ["2"],
            "numbers keep their mapping"
        );
        // the explicit keyword mapping came back: exact match only
        assert_eq!(hits(&s, "logs-b", json!({"term": {"code": "E1"}})), ["x"]);
        let mapping = s.get_mapping("logs-b").unwrap();
        assert_eq!(
            mapping["logs-b"]["mappings"]["properties"]["code"]["type"],
            "keyword"
        );
        assert_eq!(
            s.get_doc("logs-a", "3").unwrap(),
            None,
            "deleted stays deleted"
        );
        // an existing id is an update after the restart, a new one a create
        let w = s
            .index_doc(
                "logs-a",
                Some("1"),
                br#"{"message": "again"}"#,
                OpType::Index,
                Refresh::True,
            )
            .unwrap();
        assert!(!w.outcome.created);
        assert_eq!(
            hits(&s, "logs-a", json!({"match": {"message": "disk"}})),
            ["2"]
        );
        // a new index after the restart is ordered after the reopened ones
        s.create_index("logs-c", None).unwrap();
        assert!(s.index("logs-c").unwrap().created() > s.index("logs-b").unwrap().created());
        s.delete_index("logs-c").unwrap();
        assert!(
            !tmp.path().join("logs/logs-c").exists(),
            "delete removes the directory"
        );
    }

    #[test]
    fn data_dir_eviction_removes_the_oldest_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let s = disk_store(tmp.path(), 60_000);
        let doc = format!(r#"{{"message": "{}"}}"#, "x y z ".repeat(100));
        for day in 1..=6 {
            let index = format!("logs-2026.12.0{day}");
            let mut body = String::new();
            for _ in 0..100 {
                body.push_str("{\"index\":{}}\n");
                body.push_str(&doc);
                body.push('\n');
            }
            let res = s
                .bulk(Some(&index), body.as_bytes(), Refresh::True)
                .unwrap();
            assert!(!res.errors);
        }
        let st = s.stats();
        assert!(st.evicted_indices > 0, "{st:?}");
        assert_eq!(st.evicted_docs, st.evicted_indices * 100);
        assert!(!s.exists("logs-2026.12.01"));
        assert!(
            !tmp.path().join("logs/logs-2026.12.01").exists(),
            "the evicted index's directory is gone"
        );
        assert!(tmp.path().join("logs/logs-2026.12.06").is_dir());
        let on_disk = std::fs::read_dir(tmp.path().join("logs"))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().is_dir())
            .count();
        assert_eq!(on_disk, st.indices, "one directory per live index");
    }

    #[test]
    fn a_document_indexes_its_exact_values_and_presence_terms() {
        let s = LogStore::new(StoreOptions::default(), Clock::manual(NOW));
        let doc = br#"{"a.b": "x", "a": {"c": 5, "d": [true, false]}, "tags": ["t", "t", "u"], "m": {"k": "v"}, "f": 1.5}"#;
        s.index_doc("i", Some("1"), doc, OpType::Index, Refresh::True)
            .unwrap();
        let idx = s.index("i").unwrap();
        let searcher = idx.searcher();
        let seg = &searcher.segment_readers()[0];
        let mut terms = Vec::new();
        for field in [idx.fields().kv, idx.fields().ex] {
            let inv = seg.inverted_index(field).unwrap();
            let mut stream = inv.terms().stream().unwrap();
            while stream.advance() {
                let k = stream.key();
                let zero = k.iter().position(|b| *b == 0).unwrap();
                let tag = k[zero + 1];
                assert_eq!(
                    tag == b'e',
                    field == idx.fields().ex,
                    "presence terms apart"
                );
                terms.push(format!(
                    "{}/{}",
                    std::str::from_utf8(&k[..zero]).unwrap(),
                    tag as char
                ));
            }
        }
        terms.sort();
        let mut expected = [
            "a/e",
            "a.b/e",
            "a.b.keyword/e",
            "a.b.keyword/k",
            "a.c/e",
            "a.c/l",
            "a.d/b",
            "a.d/b",
            "a.d/e",
            "f/d",
            "f/e",
            "m/e",
            "m.k/e",
            "m.k.keyword/e",
            "m.k.keyword/k",
            "tags/e",
            "tags.keyword/e",
            "tags.keyword/k",
            "tags.keyword/k",
        ];
        expected.sort();
        assert_eq!(terms, expected);
        for path in ["tags", "a", "m.k", "a.b.keyword"] {
            assert_eq!(hits(&s, "i", json!({"exists": {"field": path}})), ["1"]);
        }
        assert!(hits(&s, "i", json!({"exists": {"field": "nope"}})).is_empty());
        assert_eq!(hits(&s, "i", json!({"match_phrase": {"tags": "t"}})), ["1"]);
        assert_eq!(hits(&s, "i", json!({"term": {"a.d": false}})), ["1"]);
    }
}
