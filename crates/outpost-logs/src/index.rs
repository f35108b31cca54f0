//! One logical Elasticsearch index: a tantivy index (schema below), its mapping, the live ids
//! with their versions, and the refresh state. Schema: `_id` (raw, stored), `_source` (stored
//! bytes as sent), `txt` (JSON field, analyzed text with positions, dotted paths), `kv` (exact
//! values, see [`crate::encode`]) and `@ts` (`@timestamp` as a fast, indexed date).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use tantivy::directory::RamDirectory;
use tantivy::query::TermQuery;
use tantivy::schema::{
    BytesOptions, DateOptions, DateTimePrecision, Field, IndexRecordOption, JsonObjectOptions,
    OwnedValue, STORED, STRING, Schema, TextFieldIndexing,
};
use tantivy::tokenizer::{LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer};
use tantivy::{
    DateTime, Index, IndexReader, IndexSettings, IndexWriter, ReloadPolicy, Searcher,
    TantivyDocument, Term,
};

use crate::encode;
use crate::error::{Error, Result};
use crate::mapping::{Leaf, Mapping};

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
            ts,
        },
    )
}

/// Where an index keeps its files. RAM only for now; the data-dir variant joins here.
#[derive(Debug, Clone)]
pub(crate) enum Storage {
    /// In memory.
    Ram(RamDirectory),
}

impl Storage {
    /// The directory a new index uses (the one place the storage choice is made).
    pub(crate) fn for_new_index() -> Storage {
        Storage::Ram(RamDirectory::create())
    }

    /// Bytes held by the index's files.
    pub(crate) fn bytes(&self) -> u64 {
        match self {
            Storage::Ram(d) => d.total_mem_usage() as u64,
        }
    }
}

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
    /// Creates an empty index.
    pub fn create(
        name: &str,
        uuid: String,
        created: u64,
        now_ms: i64,
        w: WriterOptions,
    ) -> Result<LogIndex> {
        let (schema, fields) = schema();
        let storage = Storage::for_new_index();
        let Storage::Ram(dir) = &storage;
        let index = Index::create(dir.clone(), schema, IndexSettings::default())?;
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
                mapping: Arc::new(Mapping::default()),
                versions: HashMap::new(),
                seq_no: 0,
                pending: 0,
                last_refresh_ms: now_ms,
            }),
        })
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
        let (leaves, added) = st.mapping.prepare(value, id)?;
        if !added.is_empty() {
            Arc::make_mut(&mut st.mapping).extend(added);
        }
        let doc = self.build_doc(id, source, leaves);
        if existing.is_some() {
            st.writer
                .delete_term(Term::from_field_text(self.fields.id, id));
        }
        st.writer.add_document(doc)?;
        let version = existing.map_or(1, |v| v.saturating_add(1));
        st.versions.insert(id.to_string(), version);
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

    fn build_doc(&self, id: &str, source: &[u8], leaves: Vec<(String, Leaf)>) -> TantivyDocument {
        let f = self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, id);
        doc.add_bytes(f.source, source);
        let mut text: BTreeMap<String, Vec<OwnedValue>> = BTreeMap::new();
        let mut exists: BTreeSet<String> = BTreeSet::new();
        for (path, leaf) in leaves {
            match leaf {
                Leaf::Text(s, kw) => {
                    if kw {
                        let twin = format!("{path}.keyword");
                        doc.add_bytes(f.kv, &encode::keyword(&twin, &s));
                        exists.insert(twin);
                    }
                    text.entry(path.clone())
                        .or_default()
                        .push(OwnedValue::Str(s));
                }
                Leaf::Keyword(s) => doc.add_bytes(f.kv, &encode::keyword(&path, &s)),
                Leaf::Long(n) => doc.add_bytes(f.kv, &encode::long(&path, encode::LONG, n)),
                Leaf::Double(x) => doc.add_bytes(f.kv, &encode::double(&path, x)),
                Leaf::Boolean(b) => doc.add_bytes(f.kv, &encode::boolean(&path, b)),
                Leaf::Date(ms) => {
                    if path == "@timestamp" {
                        doc.add_date(f.ts, DateTime::from_timestamp_millis(ms));
                    }
                    doc.add_bytes(f.kv, &encode::long(&path, encode::DATE, ms));
                }
            }
            // the path and its parents exist
            let mut p = path.as_str();
            loop {
                if !exists.insert(p.to_string()) {
                    break;
                }
                match p.rfind('.') {
                    Some(i) => p = &p[..i],
                    None => break,
                }
            }
        }
        for path in exists {
            doc.add_bytes(f.kv, &encode::prefix(&path, encode::EXISTS));
        }
        if !text.is_empty() {
            let obj = text
                .into_iter()
                .map(|(k, mut v)| {
                    let v = if v.len() == 1 {
                        v.pop().unwrap_or(OwnedValue::Null)
                    } else {
                        OwnedValue::Array(v)
                    };
                    (k, v)
                })
                .collect::<BTreeMap<_, _>>();
            doc.add_object(f.txt, obj);
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
            st.writer.commit()?;
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
