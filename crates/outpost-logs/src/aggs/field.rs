//! Field values of one segment for aggregations: the ordinal range of a field's `path \0 tag`
//! terms in the `kv` fast column (per-document ordinals into the sorted term dictionary), its
//! numeric values decoded once per segment into a table indexed by ordinal, and `@ts` for
//! `@timestamp`. Also the bucket key type shared by the bucket aggregations.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use serde_json::{Value, json};
use tantivy::columnar::{BytesColumn, Column, ColumnIndex, TermOrdHit};
use tantivy::schema::IndexRecordOption;
use tantivy::{DateTime, DocId, Score, Searcher, SegmentOrdinal, SegmentReader};

use crate::encode;
use crate::error::{Error, Result};
use crate::index::LogIndex;
use crate::mapping::{FieldType, Mapping};

/// The kind of values a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValKind {
    Keyword,
    Long,
    Double,
    Bool,
    Date,
}

impl ValKind {
    fn tag(self) -> u8 {
        match self {
            ValKind::Keyword => encode::KEYWORD,
            ValKind::Long => encode::LONG,
            ValKind::Double => encode::DOUBLE,
            ValKind::Bool => encode::BOOLEAN,
            ValKind::Date => encode::DATE,
        }
    }

    /// Whether values are numbers (metrics and histograms accept them).
    pub(crate) fn numeric(self) -> bool {
        self != ValKind::Keyword
    }
}

/// The value kind of a field in a mapping; `None` when unmapped or an object.
pub(crate) fn kind_of(mapping: &Mapping, field: &str) -> Option<ValKind> {
    match mapping.get(field) {
        Some(FieldType::Keyword { .. }) => Some(ValKind::Keyword),
        Some(FieldType::Long) => Some(ValKind::Long),
        Some(FieldType::Double(_)) => Some(ValKind::Double),
        Some(FieldType::Boolean) => Some(ValKind::Bool),
        Some(FieldType::Date) => Some(ValKind::Date),
        Some(FieldType::Text { .. }) | Some(FieldType::Object) => None,
        None => {
            let parent = field.strip_suffix(".keyword")?;
            match mapping.get(parent) {
                Some(FieldType::Text { keyword: Some(_) }) => Some(ValKind::Keyword),
                _ => None,
            }
        }
    }
}

/// The field a path reads: an unmapped `a.b` whose `a` is a mapped leaf (date, number, boolean,
/// keyword) can only be a multi-field of `a` (a leaf has no object children), and the mapping
/// keeps no multi-fields besides `text`'s `.keyword`, so it reads `a`'s values (`date.nanos`
/// declared as a `date_nanos` multi-field of `date`).
pub(crate) fn multi_field_parent<'f>(mapping: &Mapping, field: &'f str) -> &'f str {
    if mapping.get(field).is_some() || kind_of(mapping, field).is_some() {
        return field;
    }
    match field.rsplit_once('.') {
        Some((parent, _))
            if !matches!(
                mapping.get(parent),
                None | Some(FieldType::Text { .. } | FieldType::Object)
            ) =>
        {
            parent
        }
        _ => field,
    }
}

/// Refuses a `text` field with ES's fielddata error.
pub(crate) fn check_aggregatable(mapping: &Mapping, field: &str, index: &str) -> Result<()> {
    if let Some(FieldType::Text { .. }) = mapping.get(field) {
        return Err(Error::IllegalArgument(format!(
            "Fielddata is disabled on [{field}] in [{index}]. Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead. Alternatively, set fielddata=true on [{field}] in order to load field data by uninverting the inverted index. Note that this can use significant memory."
        )));
    }
    Ok(())
}

enum Src {
    Empty,
    Ts(Column<DateTime>),
    Kv {
        col: BytesColumn,
        lo: u64,
        hi: u64,
        /// Numeric value of each ordinal in `lo..hi` (empty for keywords).
        nums: Vec<f64>,
        /// Exact integer value of each ordinal (longs, dates, booleans).
        ints: Vec<i64>,
        /// Per document, its single value's relative ordinal ([`NONE`] without one), when the
        /// field is single-valued in the segment and worth projecting (see [`project`]).
        proj: Option<Vec<u32>>,
    },
}

/// One field's values in one segment.
pub(crate) struct FieldSrc {
    /// The value kind, `None` for a field without values here.
    pub(crate) kind: Option<ValKind>,
    src: Src,
}

impl FieldSrc {
    /// Calls `f` with each numeric value of `doc`.
    #[inline]
    pub(crate) fn for_each_num(&self, doc: DocId, mut f: impl FnMut(f64)) {
        match &self.src {
            Src::Empty => {}
            Src::Ts(c) => {
                if let Some(t) = c.first(doc) {
                    f(t.into_timestamp_millis() as f64);
                }
            }
            Src::Kv { nums, .. } => {
                if !nums.is_empty() {
                    self.for_each_ord(doc, |o| f(nums[o as usize]));
                }
            }
        }
    }

    /// Calls `f` with each exact integer value of `doc` (dates in ms, longs, booleans 0/1).
    #[inline]
    pub(crate) fn for_each_int(&self, doc: DocId, mut f: impl FnMut(i64)) {
        match &self.src {
            Src::Empty => {}
            Src::Ts(c) => {
                if let Some(t) = c.first(doc) {
                    f(t.into_timestamp_millis());
                }
            }
            Src::Kv { ints, nums, .. } => {
                if !ints.is_empty() {
                    self.for_each_ord(doc, |o| f(ints[o as usize]));
                } else if !nums.is_empty() {
                    self.for_each_ord(doc, |o| f(nums[o as usize] as i64));
                }
            }
        }
    }

    /// Calls `f` with each value ordinal of `doc`, relative to the field's first ordinal.
    #[inline]
    pub(crate) fn for_each_ord(&self, doc: DocId, mut f: impl FnMut(u64)) {
        if let Src::Kv {
            col, lo, hi, proj, ..
        } = &self.src
        {
            if let Some(p) = proj {
                if let Some(&o) = p.get(doc as usize)
                    && o != NONE
                {
                    f(u64::from(o));
                }
                return;
            }
            for o in col.term_ords(doc) {
                if o >= *lo && o < *hi {
                    f(o - lo);
                }
            }
        }
    }

    /// Calls `f` with every value ordinal (relative) of `docs` (sorted, no per-document
    /// identity): runs of consecutive documents are decoded block-wise from the column.
    pub(crate) fn for_each_ord_bulk(&self, docs: &[DocId], mut f: impl FnMut(u64)) {
        let Src::Kv {
            col, lo, hi, proj, ..
        } = &self.src
        else {
            return;
        };
        if let Some(p) = proj {
            for &d in docs {
                if let Some(&o) = p.get(d as usize)
                    && o != NONE
                {
                    f(u64::from(o));
                }
            }
            return;
        }
        let (lo, hi) = (*lo, *hi);
        let ords = col.ords();
        for_each_row_run(&ords.index, docs, |rows| {
            let mut buf = [0u64; BLOCK];
            let mut start = rows.start;
            while start < rows.end {
                let len = ((rows.end - start) as usize).min(BLOCK);
                ords.values.get_range(u64::from(start), &mut buf[..len]);
                for &o in &buf[..len] {
                    if o >= lo && o < hi {
                        f(o - lo);
                    }
                }
                start += len as u32;
            }
        });
    }

    /// Calls `f` with every integer value of `docs` (sorted, no per-document identity), block-wise.
    pub(crate) fn for_each_int_bulk(&self, docs: &[DocId], mut f: impl FnMut(i64)) {
        match &self.src {
            Src::Empty => {}
            Src::Ts(c) => for_each_row_run(&c.index, docs, |rows| {
                let mut buf = [DateTime::MIN; BLOCK];
                let mut start = rows.start;
                while start < rows.end {
                    let len = ((rows.end - start) as usize).min(BLOCK);
                    c.values.get_range(u64::from(start), &mut buf[..len]);
                    for t in &buf[..len] {
                        f(t.into_timestamp_millis());
                    }
                    start += len as u32;
                }
            }),
            Src::Kv { ints, nums, .. } => {
                if !ints.is_empty() {
                    self.for_each_ord_bulk(docs, |o| f(ints[o as usize]));
                } else if !nums.is_empty() {
                    self.for_each_ord_bulk(docs, |o| f(nums[o as usize] as i64));
                }
            }
        }
    }

    /// Calls `f` with every numeric value of `docs` (sorted, no per-document identity).
    pub(crate) fn for_each_num_bulk(&self, docs: &[DocId], mut f: impl FnMut(f64)) {
        match &self.src {
            Src::Kv { nums, .. } => {
                if !nums.is_empty() {
                    self.for_each_ord_bulk(docs, |o| f(nums[o as usize]));
                }
            }
            _ => self.for_each_int_bulk(docs, |x| f(x as f64)),
        }
    }

    /// Whether a document holds at most one value (`@ts`).
    pub(crate) fn single_valued(&self) -> bool {
        matches!(
            self.src,
            Src::Ts(_) | Src::Empty | Src::Kv { proj: Some(_), .. }
        )
    }

    /// Whether `doc` has a value.
    pub(crate) fn has_value(&self, doc: DocId) -> bool {
        match &self.src {
            Src::Empty => false,
            Src::Ts(c) => c.first(doc).is_some(),
            Src::Kv {
                col, lo, hi, proj, ..
            } => match proj {
                Some(p) => p.get(doc as usize).is_some_and(|o| *o != NONE),
                None => col.term_ords(doc).any(|o| o >= *lo && o < *hi),
            },
        }
    }

    /// Number of distinct values (ordinals) of the field in the segment; 0 for `@ts`.
    pub(crate) fn num_ords(&self) -> usize {
        match &self.src {
            Src::Kv { lo, hi, .. } => (hi - lo) as usize,
            _ => 0,
        }
    }

    /// Whether values come as ordinals (`for_each_ord` works).
    pub(crate) fn has_ords(&self) -> bool {
        matches!(self.src, Src::Kv { .. })
    }

    /// The keys of sorted relative ordinals.
    pub(crate) fn keys_of(&self, rel_ords: &[u64], mut f: impl FnMut(Key)) -> Result<()> {
        let Src::Kv {
            col,
            lo,
            nums,
            ints,
            ..
        } = &self.src
        else {
            return Ok(());
        };
        let Some(kind) = self.kind else {
            return Ok(());
        };
        match kind {
            ValKind::Keyword => {
                let abs: Vec<u64> = rel_ords.iter().map(|o| o + lo).collect();
                let mut keys = Vec::with_capacity(abs.len());
                col.dictionary()
                    .sorted_ords_to_term_cb(&abs, |t| {
                        let v = t.get(prefix_len(t)..).unwrap_or_default();
                        keys.push(Key::Str(String::from_utf8_lossy(v).into_owned()));
                    })
                    .map_err(|e| Error::Engine(format!("term dictionary: {e}")))?;
                keys.into_iter().for_each(&mut f);
            }
            ValKind::Double => {
                for o in rel_ords {
                    f(Key::Double(nums[*o as usize]));
                }
            }
            ValKind::Long => rel_ords
                .iter()
                .for_each(|o| f(Key::Long(ints[*o as usize]))),
            ValKind::Date => rel_ords
                .iter()
                .for_each(|o| f(Key::Date(ints[*o as usize]))),
            ValKind::Bool => rel_ords
                .iter()
                .for_each(|o| f(Key::Bool(ints[*o as usize] != 0))),
        }
        Ok(())
    }

    /// The raw term value bytes of sorted relative ordinals (after the `path \0 tag` prefix).
    pub(crate) fn bytes_of(&self, rel_ords: &[u64], mut f: impl FnMut(&[u8])) -> Result<()> {
        if let Src::Kv { col, lo, .. } = &self.src {
            let abs: Vec<u64> = rel_ords.iter().map(|o| o + lo).collect();
            col.dictionary()
                .sorted_ords_to_term_cb(&abs, |t| f(t.get(prefix_len(t)..).unwrap_or_default()))
                .map_err(|e| Error::Engine(format!("term dictionary: {e}")))?;
        }
        Ok(())
    }
}

/// Values decoded per column read.
const BLOCK: usize = 256;

/// Calls `f` with the row ranges of maximal runs of consecutive documents.
fn for_each_row_run(index: &ColumnIndex, docs: &[DocId], mut f: impl FnMut(std::ops::Range<u32>)) {
    let mut i = 0;
    while i < docs.len() {
        let first = docs[i];
        let mut j = i;
        while j + 1 < docs.len() && docs[j + 1] == docs[j].wrapping_add(1) {
            j += 1;
        }
        let start = index.value_row_ids(first).start;
        let end = index.value_row_ids(docs[j]).end;
        match index {
            // optional indexes give empty ranges for documents without a value
            ColumnIndex::Optional(_) | ColumnIndex::Empty { .. } => {
                for &d in &docs[i..=j] {
                    let r = index.value_row_ids(d);
                    if !r.is_empty() {
                        f(r);
                    }
                }
            }
            _ => {
                if end > start {
                    f(start..end);
                }
            }
        }
        i = j + 1;
    }
}

/// Length of the `path \0 tag` prefix of a kv term.
fn prefix_len(term: &[u8]) -> usize {
    term.iter()
        .position(|b| *b == 0)
        .map_or(term.len(), |p| p + 2)
}

/// One segment of one index, with the fields resolved so far.
pub(crate) struct Seg<'a> {
    pub(crate) index: &'a LogIndex,
    pub(crate) mapping: &'a Mapping,
    pub(crate) searcher: &'a Searcher,
    pub(crate) index_ord: usize,
    pub(crate) seg_ord: SegmentOrdinal,
    pub(crate) now_ms: i64,
    docs: &'a [DocId],
    scores: &'a [Score],
    kv: Option<BytesColumn>,
    ts: Option<Column<DateTime>>,
    cache: RefCell<HashMap<String, Rc<FieldSrc>>>,
}

impl<'a> Seg<'a> {
    /// Opens the fast columns of a segment.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        index: &'a LogIndex,
        mapping: &'a Mapping,
        searcher: &'a Searcher,
        index_ord: usize,
        seg_ord: SegmentOrdinal,
        now_ms: i64,
        docs: &'a [DocId],
        scores: &'a [Score],
    ) -> Result<Seg<'a>> {
        let reader = searcher.segment_reader(seg_ord);
        let ff = reader.fast_fields();
        let kv = ff.bytes("kv")?;
        let ts = ff.column_opt::<DateTime>("@ts")?;
        Ok(Seg {
            index,
            mapping,
            searcher,
            index_ord,
            seg_ord,
            now_ms,
            docs,
            scores,
            kv,
            ts,
            cache: RefCell::new(HashMap::new()),
        })
    }

    fn project_ctx(&self) -> Option<(&SegmentReader, tantivy::schema::Field)> {
        let reader = self.reader();
        // projecting reads the field's postings once (at most max_doc entries); reading the kv
        // column instead costs every kv value of every matching document
        let dense = self.docs.len().saturating_mul(PROJECT_DENSITY) >= reader.max_doc() as usize;
        dense.then(|| (reader, self.index.fields().kv))
    }

    /// The segment reader.
    pub(crate) fn reader(&self) -> &SegmentReader {
        self.searcher.segment_reader(self.seg_ord)
    }

    /// The score of a matching document (0 when scores were not collected).
    pub(crate) fn score(&self, doc: DocId) -> Score {
        match self.docs.binary_search(&doc) {
            Ok(i) => self.scores.get(i).copied().unwrap_or(0.0),
            Err(_) => 0.0,
        }
    }

    /// The values of `field`; `@timestamp` dates come from `@ts` unless `ords` asks for the
    /// kv ordinals.
    pub(crate) fn field(&self, field: &str, ords: bool) -> Result<Rc<FieldSrc>> {
        let key = if ords && field == "@timestamp" {
            format!("{field}\u{0}o")
        } else {
            field.to_string()
        };
        if let Some(f) = self.cache.borrow().get(&key) {
            return Ok(f.clone());
        }
        let field = multi_field_parent(self.mapping, field);
        let kind = kind_of(self.mapping, field);
        let src = match kind {
            None => Src::Empty,
            Some(ValKind::Date) if field == "@timestamp" && !ords && self.ts.is_some() => Src::Ts(
                self.ts
                    .clone()
                    .ok_or_else(|| Error::Engine("no @ts".into()))?,
            ),
            Some(k) => match &self.kv {
                None => Src::Empty,
                Some(col) => kv_src(col, field, k, self.project_ctx())?,
            },
        };
        let f = Rc::new(FieldSrc { kind, src });
        self.cache.borrow_mut().insert(key, f.clone());
        Ok(f)
    }
}

fn io(e: std::io::Error) -> Error {
    Error::Engine(format!("term dictionary: {e}"))
}

fn ord_of(col: &BytesColumn, key: &[u8]) -> Result<u64> {
    let n = col.num_terms() as u64;
    Ok(match col.dictionary().term_ord_or_next(key).map_err(io)? {
        TermOrdHit::Exact(o) | TermOrdHit::Next(o) => o.min(n),
    })
}

/// No value in a projection.
const NONE: u32 = u32::MAX;
/// Fields with more distinct values in a segment than this are not projected.
const PROJECT_MAX_TERMS: u64 = 1 << 16;
/// Project when the matching documents are at least 1/this of the segment.
const PROJECT_DENSITY: usize = 16;

/// The per-document value ordinals of a single-valued field, from the `kv` postings of its
/// terms; `None` when a document holds two values or the terms do not line up with the column.
fn project(
    reader: &SegmentReader,
    kv: tantivy::schema::Field,
    start: &[u8],
    end: &[u8],
    n: u64,
) -> Result<Option<Vec<u32>>> {
    let inv = reader.inverted_index(kv)?;
    let mut stream = inv
        .terms()
        .range()
        .ge(start)
        .lt(end)
        .into_stream()
        .map_err(io)?;
    let mut proj = vec![NONE; reader.max_doc() as usize];
    let mut rel: u32 = 0;
    while stream.advance() {
        let mut block = inv
            .read_block_postings_from_terminfo(stream.value(), IndexRecordOption::Basic)
            .map_err(io)?;
        loop {
            let docs = block.docs();
            if docs.is_empty() {
                break;
            }
            for &d in docs {
                match proj.get_mut(d as usize) {
                    Some(slot) if *slot == NONE => *slot = rel,
                    _ => return Ok(None),
                }
            }
            block.advance();
        }
        rel = rel.saturating_add(1);
    }
    Ok((u64::from(rel) == n).then_some(proj))
}

fn kv_src(
    col: &BytesColumn,
    field: &str,
    kind: ValKind,
    project_ctx: Option<(&SegmentReader, tantivy::schema::Field)>,
) -> Result<Src> {
    let tag = kind.tag();
    let start = encode::prefix(field, tag);
    let end = encode::prefix(field, tag.saturating_add(1));
    let lo = ord_of(col, &start)?;
    let hi = ord_of(col, &end)?.max(lo);
    let mut nums = Vec::new();
    let mut ints = Vec::new();
    if kind.numeric() && hi > lo {
        let n = (hi - lo) as usize;
        nums.reserve(n);
        if kind != ValKind::Double {
            ints.reserve(n);
        }
        let mut stream = col
            .dictionary()
            .range()
            .ge(&start)
            .lt(&end)
            .into_stream()
            .map_err(io)?;
        while stream.advance() {
            let v = stream.key().get(start.len()..).unwrap_or_default();
            match kind {
                ValKind::Double => nums.push(encode::decode_double(v).unwrap_or(f64::NAN)),
                ValKind::Bool => {
                    let b = i64::from(v.first().copied().unwrap_or(0));
                    ints.push(b);
                    nums.push(b as f64);
                }
                _ => {
                    let x = encode::decode_long(v).unwrap_or(0);
                    ints.push(x);
                    nums.push(x as f64);
                }
            }
        }
        if nums.len() != n {
            return Err(Error::Engine(format!(
                "kv column of [{field}]: {} values for {n} ordinals",
                nums.len()
            )));
        }
    }
    let proj = match project_ctx {
        Some((reader, kv)) if hi > lo && hi - lo <= PROJECT_MAX_TERMS => {
            project(reader, kv, &start, &end, hi - lo)?
        }
        _ => None,
    };
    Ok(Src::Kv {
        col: col.clone(),
        lo,
        hi,
        nums,
        ints,
        proj,
    })
}

/// A bucket key.
#[derive(Debug, Clone)]
pub(crate) enum Key {
    Str(String),
    Long(i64),
    Double(f64),
    Bool(bool),
    Date(i64),
}

impl Key {
    fn rank(&self) -> u8 {
        match self {
            Key::Long(_) | Key::Double(_) | Key::Date(_) | Key::Bool(_) => 0,
            Key::Str(_) => 1,
        }
    }

    fn num(&self) -> f64 {
        match self {
            Key::Long(x) | Key::Date(x) => *x as f64,
            Key::Double(x) => *x,
            Key::Bool(b) => f64::from(u8::from(*b)),
            Key::Str(_) => f64::NAN,
        }
    }

    /// `key` (and `key_as_string` for dates and booleans) of a terms bucket.
    pub(crate) fn put(
        &self,
        out: &mut serde_json::Map<String, Value>,
        date_fmt: &super::format::DateFormat,
    ) {
        match self {
            Key::Str(s) => {
                out.insert("key".into(), json!(s));
            }
            Key::Long(x) => {
                out.insert("key".into(), json!(x));
            }
            Key::Double(x) => {
                out.insert("key".into(), json!(x));
            }
            Key::Bool(b) => {
                out.insert("key".into(), json!(u8::from(*b)));
                out.insert("key_as_string".into(), json!(b.to_string()));
            }
            Key::Date(ms) => {
                out.insert("key".into(), json!(ms));
                out.insert("key_as_string".into(), json!(date_fmt.format(*ms)));
            }
        }
    }

    /// The text of the key (keyed responses, include/exclude).
    pub(crate) fn text(&self) -> String {
        match self {
            Key::Str(s) => s.clone(),
            Key::Long(x) | Key::Date(x) => x.to_string(),
            Key::Double(x) => super::format::java_double(*x),
            Key::Bool(b) => b.to_string(),
        }
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Key) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Key) -> Ordering {
        match (self, other) {
            (Key::Str(a), Key::Str(b)) => a.cmp(b),
            (Key::Long(a), Key::Long(b)) | (Key::Date(a), Key::Date(b)) => a.cmp(b),
            _ => self
                .rank()
                .cmp(&other.rank())
                .then_with(|| self.num().total_cmp(&other.num())),
        }
    }
}

impl Hash for Key {
    fn hash<H: Hasher>(&self, h: &mut H) {
        match self {
            Key::Str(s) => s.hash(h),
            other => other.num().to_bits().hash(h),
        }
    }
}
