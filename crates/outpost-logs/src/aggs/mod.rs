//! Elasticsearch aggregations over the hits of a search: the request tree is parsed into [`Agg`]
//! nodes (one file per aggregation type), run segment by segment over the matching documents
//! (values come from the `kv` fast column and the `@ts` date column, see `field.rs`), merged into
//! one [`State`] per node across segments and indices, and rendered in ES 8's response shapes.
//! `search.max_buckets` (65,536) bounds the buckets of a response.

mod cardinality;
mod date_histogram;
mod field;
mod filters;
mod format;
mod histogram;
mod metric;
mod missing;
mod percentiles;
mod range;
mod terms;
mod top_hits;
mod top_metrics;

#[cfg(test)]
mod golden_tests;

#[cfg(test)]
mod tests {
    #[test]
    fn unknown_types_get_a_hint_when_close() {
        assert_eq!(super::suggest("term"), " did you mean [terms]?");
        assert_eq!(
            super::suggest("date_histo"),
            " did you mean [date_histogram]?"
        );
        assert_eq!(super::suggest("nope"), "");
        assert_eq!(super::suggest("mix"), "");
        assert_eq!(super::suggest("rangee"), " did you mean [range]?");
    }
}

use std::sync::Arc;

use serde_json::{Map, Value};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::{DocId, Score, Searcher, SegmentOrdinal, SegmentReader};

use crate::error::{Error, Result};
use crate::index::LogIndex;
use crate::mapping::Mapping;
use crate::query::{self, Ctx, Query};

pub(crate) use field::{Key, Seg, ValKind};

/// `search.max_buckets`.
pub(crate) const MAX_BUCKETS: usize = 65_536;

/// One node of the aggregation tree.
#[derive(Debug)]
pub(crate) struct Agg {
    /// The name the response keys it by.
    pub(crate) name: String,
    /// The aggregation.
    pub(crate) kind: Kind,
    /// Sub-aggregations (bucket aggregations only).
    pub(crate) subs: Vec<Agg>,
    /// `meta`, echoed as sent.
    pub(crate) meta: Option<Value>,
}

/// The aggregation types.
#[derive(Debug)]
pub(crate) enum Kind {
    DateHistogram(Box<date_histogram::Spec>),
    Histogram(histogram::Spec),
    Terms(terms::Spec),
    Filters(filters::Spec),
    Filter(filters::FilterSpec),
    Range(range::Spec),
    Missing(missing::Spec),
    Metric(metric::Spec),
    Cardinality(cardinality::Spec),
    Percentiles(percentiles::Spec),
    TopHits(top_hits::Spec),
    TopMetrics(top_metrics::Spec),
}

/// The merged intermediate result of one node.
#[derive(Debug)]
pub(crate) enum State {
    DateHistogram(date_histogram::State),
    Histogram(histogram::State),
    Terms(terms::State),
    Filters(filters::State),
    Filter(Bucket),
    Range(range::State),
    Missing(Bucket),
    Metric(metric::State),
    Cardinality(cardinality::State),
    Percentiles(percentiles::State),
    TopHits(top_hits::State),
    TopMetrics(top_metrics::State),
}

/// One bucket: its document count and the states of its sub-aggregations.
#[derive(Debug)]
pub(crate) struct Bucket {
    pub(crate) doc_count: u64,
    pub(crate) subs: Vec<State>,
}

impl Bucket {
    pub(crate) fn new(subs: &[Agg]) -> Bucket {
        Bucket {
            doc_count: 0,
            subs: subs.iter().map(State::new).collect(),
        }
    }

    /// Counts `docs` into the bucket and runs the sub-aggregations over them.
    pub(crate) fn collect(&mut self, subs: &[Agg], seg: &Seg<'_>, docs: &[DocId]) -> Result<()> {
        self.doc_count = self.doc_count.saturating_add(docs.len() as u64);
        collect_all(subs, &mut self.subs, seg, docs)
    }

    /// The bucket's `doc_count` and sub-aggregation results as JSON entries.
    pub(crate) fn render(
        self,
        subs: &[Agg],
        nb: &mut usize,
        out: &mut Map<String, Value>,
    ) -> Result<()> {
        out.insert("doc_count".into(), self.doc_count.into());
        for (agg, st) in subs.iter().zip(self.subs) {
            out.insert(agg.name.clone(), st.finish(agg, nb)?);
        }
        Ok(())
    }
}

/// Counts one more response bucket against `search.max_buckets`.
pub(crate) fn count_buckets(nb: &mut usize, n: usize) -> Result<()> {
    *nb = nb.saturating_add(n);
    if *nb > MAX_BUCKETS {
        return Err(Error::TooManyBuckets(*nb));
    }
    Ok(())
}

impl State {
    fn new(agg: &Agg) -> State {
        match &agg.kind {
            Kind::DateHistogram(_) => State::DateHistogram(date_histogram::State::default()),
            Kind::Histogram(_) => State::Histogram(histogram::State::default()),
            Kind::Terms(_) => State::Terms(terms::State::default()),
            Kind::Filters(s) => State::Filters(filters::State::new(s, &agg.subs)),
            Kind::Filter(_) => State::Filter(Bucket::new(&agg.subs)),
            Kind::Range(s) => State::Range(range::State::new(s, &agg.subs)),
            Kind::Missing(_) => State::Missing(Bucket::new(&agg.subs)),
            Kind::Metric(s) => State::Metric(metric::State::new(s)),
            Kind::Cardinality(_) => State::Cardinality(cardinality::State::default()),
            Kind::Percentiles(_) => State::Percentiles(percentiles::State::default()),
            Kind::TopHits(_) => State::TopHits(top_hits::State::default()),
            Kind::TopMetrics(_) => State::TopMetrics(top_metrics::State::default()),
        }
    }

    fn collect(&mut self, agg: &Agg, seg: &Seg<'_>, docs: &[DocId]) -> Result<()> {
        match (self, &agg.kind) {
            (State::DateHistogram(st), Kind::DateHistogram(s)) => {
                st.collect(s, &agg.subs, seg, docs)
            }
            (State::Histogram(st), Kind::Histogram(s)) => st.collect(s, &agg.subs, seg, docs),
            (State::Terms(st), Kind::Terms(s)) => st.collect(s, &agg.subs, seg, docs),
            (State::Filters(st), Kind::Filters(s)) => st.collect(s, &agg.subs, seg, docs),
            (State::Filter(b), Kind::Filter(s)) => {
                filters::collect_filter(b, s, &agg.subs, seg, docs)
            }
            (State::Range(st), Kind::Range(s)) => st.collect(s, &agg.subs, seg, docs),
            (State::Missing(b), Kind::Missing(s)) => missing::collect(b, s, &agg.subs, seg, docs),
            (State::Metric(st), Kind::Metric(s)) => st.collect(s, seg, docs),
            (State::Cardinality(st), Kind::Cardinality(s)) => st.collect(s, seg, docs),
            (State::Percentiles(st), Kind::Percentiles(s)) => st.collect(s, seg, docs),
            (State::TopHits(st), Kind::TopHits(s)) => st.collect(s, seg, docs),
            (State::TopMetrics(st), Kind::TopMetrics(s)) => st.collect(s, seg, docs),
            _ => Err(Error::Engine(
                "aggregation state does not match its request".into(),
            )),
        }
    }

    /// The response object of the node (with `meta` when sent).
    pub(crate) fn finish(self, agg: &Agg, nb: &mut usize) -> Result<Value> {
        let mut out = match (self, &agg.kind) {
            (State::DateHistogram(st), Kind::DateHistogram(s)) => st.finish(s, &agg.subs, nb)?,
            (State::Histogram(st), Kind::Histogram(s)) => st.finish(s, &agg.subs, nb)?,
            (State::Terms(st), Kind::Terms(s)) => st.finish(s, &agg.subs, nb)?,
            (State::Filters(st), Kind::Filters(s)) => st.finish(s, &agg.subs, nb)?,
            (State::Filter(b) | State::Missing(b), _) => {
                let mut m = Map::new();
                b.render(&agg.subs, nb, &mut m)?;
                m
            }
            (State::Range(st), Kind::Range(s)) => st.finish(s, &agg.subs, nb)?,
            (State::Metric(st), Kind::Metric(s)) => st.finish(s),
            (State::Cardinality(st), Kind::Cardinality(_)) => st.finish(),
            (State::Percentiles(st), Kind::Percentiles(s)) => st.finish(s),
            (State::TopHits(st), Kind::TopHits(s)) => st.finish(s),
            (State::TopMetrics(st), Kind::TopMetrics(s)) => st.finish(s),
            _ => {
                return Err(Error::Engine(
                    "aggregation state does not match its request".into(),
                ));
            }
        };
        if let Some(meta) = &agg.meta {
            let mut with_meta = Map::new();
            with_meta.insert("meta".into(), meta.clone());
            with_meta.extend(out);
            out = with_meta;
        }
        Ok(Value::Object(out))
    }

    /// The value a `terms`/histogram `order` path names (`"m"`, `"stats.max"`, `"pct.95"`).
    pub(crate) fn order_value(&self, agg: &Agg, prop: Option<&str>) -> Option<f64> {
        match self {
            State::TopMetrics(st) => match &agg.kind {
                Kind::TopMetrics(s) => st.order_value(Some(s.metrics()), prop),
                _ => st.order_value(None, prop),
            },
            State::Metric(st) => st.order_value(prop),
            State::Cardinality(st) => Some(st.count() as f64),
            State::Percentiles(st) => match &agg.kind {
                Kind::Percentiles(s) => st.order_value(s, prop),
                _ => None,
            },
            State::Filter(b) | State::Missing(b) => Some(b.doc_count as f64),
            _ => None,
        }
    }
}

/// Runs every node over one segment's documents.
pub(crate) fn collect_all(
    aggs: &[Agg],
    states: &mut [State],
    seg: &Seg<'_>,
    docs: &[DocId],
) -> Result<()> {
    for (agg, st) in aggs.iter().zip(states.iter_mut()) {
        st.collect(agg, seg, docs)?;
    }
    Ok(())
}

/// Sorts `(bucket, doc)` pairs and calls `f` once per bucket with its documents.
pub(crate) fn for_groups(
    pairs: &mut [(i64, DocId)],
    mut f: impl FnMut(i64, &[DocId]) -> Result<()>,
) -> Result<()> {
    pairs.sort_unstable();
    let mut docs: Vec<DocId> = Vec::with_capacity(pairs.len());
    let mut i = 0;
    while i < pairs.len() {
        let key = pairs[i].0;
        docs.clear();
        while i < pairs.len() && pairs[i].0 == key {
            if docs.last() != Some(&pairs[i].1) {
                docs.push(pairs[i].1);
            }
            i += 1;
        }
        f(key, &docs)?;
    }
    Ok(())
}

// ---------------------------------------------------------------- parsing

/// Parses an `aggs`/`aggregations` object into its nodes.
pub(crate) fn parse(v: &Value, now_ms: i64) -> Result<Vec<Agg>> {
    let Some(obj) = v.as_object() else {
        return Err(Error::Parsing(
            "Found [aggregations] but expected [START_OBJECT]".into(),
        ));
    };
    let mut out = Vec::with_capacity(obj.len());
    for (name, def) in obj {
        out.push(parse_one(name, def, now_ms)?);
    }
    Ok(out)
}

fn parse_one(name: &str, def: &Value, now_ms: i64) -> Result<Agg> {
    let Some(def) = def.as_object() else {
        return Err(Error::Parsing(format!(
            "Aggregation definition for [{name} starts with a [{}], expected a [START_OBJECT].",
            token_name(def)
        )));
    };
    let mut kind: Option<(String, Kind)> = None;
    let mut subs = Vec::new();
    let mut meta = None;
    for (key, body) in def {
        match key.as_str() {
            "aggs" | "aggregations" => subs = parse(body, now_ms)?,
            "meta" => {
                if !body.is_object() {
                    return Err(Error::Parsing(format!(
                        "Expected [START_OBJECT] under [meta], but got a [{}] in [{name}]",
                        token_name(body)
                    )));
                }
                meta = Some(body.clone());
            }
            ty => {
                if let Some((first, _)) = &kind {
                    return Err(Error::Parsing(format!(
                        "Found two aggregation type definitions in [{name}]: [{first}] and [{ty}]"
                    )));
                }
                if !body.is_object() {
                    return Err(Error::Parsing(format!(
                        "Expected [START_OBJECT] under [{ty}], but got a [{}] in [{name}]",
                        token_name(body)
                    )));
                }
                kind = Some((ty.to_string(), parse_kind(ty, body, now_ms, name)?));
            }
        }
    }
    let Some((ty, kind)) = kind else {
        return Err(Error::Parsing(format!(
            "Missing definition for aggregation [{name}]"
        )));
    };
    if !subs.is_empty() && !matches!(kind_family(&kind), Family::Bucket) {
        return Err(Error::Aggregation(format!(
            "Aggregator [{name}] of type [{ty}] cannot accept sub-aggregations"
        )));
    }
    Ok(Agg {
        name: name.to_string(),
        kind,
        subs,
        meta,
    })
}

enum Family {
    Bucket,
    Metric,
}

fn kind_family(k: &Kind) -> Family {
    match k {
        Kind::DateHistogram(_)
        | Kind::Histogram(_)
        | Kind::Terms(_)
        | Kind::Filters(_)
        | Kind::Filter(_)
        | Kind::Range(_)
        | Kind::Missing(_) => Family::Bucket,
        _ => Family::Metric,
    }
}

fn parse_kind(ty: &str, body: &Value, now_ms: i64, name: &str) -> Result<Kind> {
    Ok(match ty {
        "date_histogram" => {
            Kind::DateHistogram(Box::new(date_histogram::Spec::parse(body, now_ms)?))
        }
        "histogram" => Kind::Histogram(histogram::Spec::parse(body)?),
        "terms" => Kind::Terms(terms::Spec::parse(body, name)?),
        "filters" => Kind::Filters(filters::Spec::parse(body)?),
        "filter" => Kind::Filter(filters::FilterSpec::parse(body)?),
        "range" => Kind::Range(range::Spec::parse(body, false, now_ms)?),
        "date_range" => Kind::Range(range::Spec::parse(body, true, now_ms)?),
        "missing" => Kind::Missing(missing::Spec::parse(body)?),
        "min" | "max" | "avg" | "sum" | "value_count" | "stats" | "extended_stats" => {
            Kind::Metric(metric::Spec::parse(ty, body)?)
        }
        "cardinality" => Kind::Cardinality(cardinality::Spec::parse(body, name)?),
        "percentiles" => Kind::Percentiles(percentiles::Spec::parse(body)?),
        "top_hits" => Kind::TopHits(top_hits::Spec::parse(body)?),
        "top_metrics" => Kind::TopMetrics(top_metrics::Spec::parse(body)?),
        other => {
            return Err(Error::Parsing(format!(
                "Unknown aggregation type [{other}]{}",
                suggest(other)
            )));
        }
    })
}

/// The aggregation types this module knows, for "did you mean" hints.
const KNOWN: &[&str] = &[
    "date_histogram",
    "histogram",
    "terms",
    "filters",
    "filter",
    "range",
    "date_range",
    "missing",
    "min",
    "max",
    "avg",
    "sum",
    "value_count",
    "stats",
    "extended_stats",
    "cardinality",
    "percentiles",
    "top_hits",
    "top_metrics",
];

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// ` did you mean [terms]?` for an unknown type close to known ones (empty otherwise).
fn suggest(unknown: &str) -> String {
    let mut close: Vec<(usize, &str)> = KNOWN
        .iter()
        .filter_map(|k| {
            let d = levenshtein(unknown, k);
            let longest = unknown.chars().count().max(k.len()).max(1);
            // similarity 1 - d/len of at least 0.7
            (d * 10 <= longest * 3).then_some((d, *k))
        })
        .collect();
    close.sort();
    match close.as_slice() {
        [] => String::new(),
        [(_, one)] => format!(" did you mean [{one}]?"),
        many => format!(
            " did you mean any of [{}]?",
            many.iter().map(|(_, k)| *k).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// ES's name of a JSON token kind, for parse errors.
pub(crate) fn token_name(v: &Value) -> &'static str {
    match v {
        Value::Object(_) => "START_OBJECT",
        Value::Array(_) => "START_ARRAY",
        Value::String(_) => "VALUE_STRING",
        Value::Number(_) => "VALUE_NUMBER",
        Value::Bool(_) => "VALUE_BOOLEAN",
        Value::Null => "VALUE_NULL",
    }
}

/// The options of an aggregation, refusing keys outside `allowed` as ES's object parser does.
pub(crate) fn options<'v>(
    ty: &str,
    body: &'v Value,
    allowed: &[&str],
) -> Result<&'v Map<String, Value>> {
    let Some(o) = body.as_object() else {
        return Err(Error::XContentParse(format!(
            "[{ty}] expected an object, got [{}]",
            token_name(body)
        )));
    };
    for k in o.keys() {
        if !allowed.contains(&k.as_str()) {
            return Err(Error::XContentParse(format!("[{ty}] unknown field [{k}]")));
        }
    }
    Ok(o)
}

/// The `field` option (required).
pub(crate) fn field_opt(ty: &str, o: &Map<String, Value>) -> Result<Option<String>> {
    match o.get("field") {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(Error::XContentParse(format!(
            "[{ty}] field [field] of type [{}] is not a string",
            token_name(v)
        ))),
    }
}

/// The `field` option, required.
pub(crate) fn field_required(ty: &str, o: &Map<String, Value>) -> Result<String> {
    field_opt(ty, o)?.ok_or_else(|| {
        Error::IllegalArgument(format!(
            "Required one of fields [field, script], but none were specified. in [{ty}]"
        ))
    })
}

/// A numeric option.
pub(crate) fn f64_opt(ty: &str, o: &Map<String, Value>, key: &str) -> Result<Option<f64>> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(Value::String(s)) => s
            .trim()
            .parse::<f64>()
            .map(Some)
            .map_err(|_| Error::XContentParse(format!("[{ty}] failed to parse field [{key}]"))),
        Some(_) => Err(Error::XContentParse(format!(
            "[{ty}] failed to parse field [{key}]"
        ))),
    }
}

/// A non-negative integer option.
pub(crate) fn u64_opt(ty: &str, o: &Map<String, Value>, key: &str) -> Result<Option<u64>> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            .or_else(|| {
                v.as_f64()
                    .filter(|f| *f >= 0.0 && f.fract() == 0.0)
                    .map(|f| f as u64)
            })
            .map(Some)
            .ok_or_else(|| Error::XContentParse(format!("[{ty}] failed to parse field [{key}]"))),
    }
}

/// A boolean option.
pub(crate) fn bool_opt(ty: &str, o: &Map<String, Value>, key: &str) -> Result<Option<bool>> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s == "true" || s == "false" => Ok(Some(s == "true")),
        Some(_) => Err(Error::XContentParse(format!(
            "[{ty}] failed to parse field [{key}]"
        ))),
    }
}

/// A parsed `order` entry of a multi-bucket aggregation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum OrderKey {
    Count,
    Key,
    /// A sub-aggregation (`"m"`, `"stats.max"`, `"pct[99]"`).
    Path(String, Option<String>),
}

/// `order`: an object or an array of one-key objects.
pub(crate) fn parse_order(ty: &str, v: Option<&Value>) -> Result<Vec<(OrderKey, bool)>> {
    let mut out = Vec::new();
    let items: Vec<&Value> = match v {
        None => return Ok(out),
        Some(Value::Array(a)) => a.iter().collect(),
        Some(o @ Value::Object(_)) => vec![o],
        Some(_) => {
            return Err(Error::XContentParse(format!(
                "[{ty}] failed to parse field [order]"
            )));
        }
    };
    for item in items {
        let Some(o) = item.as_object() else {
            return Err(Error::XContentParse(format!(
                "[{ty}] failed to parse field [order]"
            )));
        };
        for (k, dir) in o {
            let desc = match dir.as_str().map(str::to_ascii_lowercase).as_deref() {
                Some("asc") => false,
                Some("desc") => true,
                _ => {
                    return Err(Error::Parsing(format!("Unknown order direction [{dir}]")));
                }
            };
            let key = match k.as_str() {
                "_count" => OrderKey::Count,
                "_key" | "_term" | "_time" => OrderKey::Key,
                path => {
                    let (name, prop) = if let Some((n, rest)) = path.split_once('[') {
                        (n, Some(rest.trim_end_matches(']').to_string()))
                    } else if let Some((n, p)) = path.split_once('.') {
                        (n, Some(p.to_string()))
                    } else {
                        (path, None)
                    };
                    OrderKey::Path(name.to_string(), prop)
                }
            };
            out.push((key, desc));
        }
    }
    Ok(out)
}

/// Checks that every sub-aggregation path in `order` names a sub-aggregation.
pub(crate) fn check_order_paths(
    order: &[(OrderKey, bool)],
    subs: &[Agg],
    name: &str,
) -> Result<()> {
    for (k, _) in order {
        if let OrderKey::Path(p, _) = k
            && !subs.iter().any(|a| &a.name == p)
        {
            return Err(Error::Aggregation(format!(
                "Invalid aggregator order path [{p}]. The provided aggregation [{p}] either does not exist, or is a pipeline aggregation and cannot be used to sort the buckets. in [{name}]"
            )));
        }
    }
    Ok(())
}

/// Compares two buckets under `order`, falling back to `tie`.
pub(crate) fn cmp_buckets(
    order: &[(OrderKey, bool)],
    subs: &[Agg],
    a: (&Key, &Bucket),
    b: (&Key, &Bucket),
) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    for (k, desc) in order {
        let o = match k {
            OrderKey::Count => a.1.doc_count.cmp(&b.1.doc_count),
            OrderKey::Key => a.0.cmp(b.0),
            OrderKey::Path(name, prop) => {
                let pos = subs.iter().position(|s| &s.name == name);
                let agg = pos.and_then(|p| subs.get(p));
                let va = pos
                    .and_then(|p| a.1.subs.get(p))
                    .zip(agg)
                    .and_then(|(s, g)| s.order_value(g, prop.as_deref()));
                let vb = pos
                    .and_then(|p| b.1.subs.get(p))
                    .zip(agg)
                    .and_then(|(s, g)| s.order_value(g, prop.as_deref()));
                match (va, vb) {
                    (Some(x), Some(y)) => x.total_cmp(&y),
                    // buckets without a value sort last either way
                    (None, Some(_)) => return Ordering::Greater,
                    (Some(_), None) => return Ordering::Less,
                    (None, None) => Ordering::Equal,
                }
            }
        };
        let o = if *desc { o.reverse() } else { o };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

fn contains_top_hits(aggs: &[Agg]) -> bool {
    aggs.iter()
        .any(|a| matches!(a.kind, Kind::TopHits(_)) || contains_top_hits(&a.subs))
}

/// Refuses fields that cannot be aggregated (text) in one index, as ES does on every shard.
fn validate(aggs: &[Agg], mapping: &Mapping, index: &str) -> Result<()> {
    for a in aggs {
        let field = match &a.kind {
            Kind::DateHistogram(s) => Some(&s.field),
            Kind::Histogram(s) => Some(&s.field),
            Kind::Terms(s) => Some(&s.field),
            Kind::Range(s) => Some(&s.field),
            Kind::Missing(s) => Some(&s.field),
            Kind::Metric(s) => Some(&s.field),
            Kind::Cardinality(s) => Some(&s.field),
            Kind::Percentiles(s) => Some(&s.field),
            _ => None,
        };
        if let Some(f) = field {
            field::check_aggregatable(mapping, f, index)?;
        }
        validate(&a.subs, mapping, index)?;
    }
    Ok(())
}

// ---------------------------------------------------------------- running

/// Collects the matching documents of each segment (and their scores when asked).
struct DocsCollector {
    scores: bool,
}

struct SegDocs {
    seg: SegmentOrdinal,
    docs: Vec<DocId>,
    scores: Vec<Score>,
    scored: bool,
}

impl SegmentCollector for SegDocs {
    type Fruit = (SegmentOrdinal, Vec<DocId>, Vec<Score>);

    fn collect(&mut self, doc: DocId, score: Score) {
        self.docs.push(doc);
        if self.scored {
            self.scores.push(score);
        }
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        self.docs.extend_from_slice(docs);
    }

    fn harvest(self) -> Self::Fruit {
        (self.seg, self.docs, self.scores)
    }
}

impl Collector for DocsCollector {
    type Fruit = Vec<(SegmentOrdinal, Vec<DocId>, Vec<Score>)>;
    type Child = SegDocs;

    fn for_segment(&self, seg: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<SegDocs> {
        Ok(SegDocs {
            seg,
            docs: Vec::with_capacity(reader.num_docs() as usize),
            scores: Vec::new(),
            scored: self.scores,
        })
    }

    fn requires_scoring(&self) -> bool {
        self.scores
    }

    fn merge_fruits(
        &self,
        fruits: Vec<(SegmentOrdinal, Vec<DocId>, Vec<Score>)>,
    ) -> tantivy::Result<Self::Fruit> {
        Ok(fruits)
    }
}

/// The `aggregations` of a search body over the hits of `q` in every index, `None` when the
/// body asks for none.
pub(crate) fn run(
    body: &Value,
    indices: &[Arc<LogIndex>],
    searchers: &[Searcher],
    q: &Query,
    now_ms: i64,
) -> Result<Option<Value>> {
    let Some(spec) = body.get("aggregations").or_else(|| body.get("aggs")) else {
        return Ok(None);
    };
    let aggs = parse(spec, now_ms)?;
    let mut states: Vec<State> = aggs.iter().map(State::new).collect();
    let scores = contains_top_hits(&aggs);
    for (i, (idx, searcher)) in indices.iter().zip(searchers).enumerate() {
        let mapping = idx.mapping();
        validate(&aggs, &mapping, idx.name())?;
        let tq = q.compile(&Ctx::new(idx, &mapping, now_ms))?;
        let fruits = searcher.search(&tq, &DocsCollector { scores })?;
        for (seg_ord, docs, seg_scores) in fruits {
            if docs.is_empty() {
                continue;
            }
            let seg = Seg::new(
                idx,
                &mapping,
                searcher,
                i,
                seg_ord,
                now_ms,
                &docs,
                &seg_scores,
            )?;
            collect_all(&aggs, &mut states, &seg, &docs)?;
        }
    }
    let mut nb = 0usize;
    let mut out = Map::new();
    for (agg, st) in aggs.iter().zip(states) {
        out.insert(agg.name.clone(), st.finish(agg, &mut nb)?);
    }
    Ok(Some(Value::Object(out)))
}

/// Compiles a filter query for one segment's index and returns the subset of `docs` it matches.
pub(crate) fn filter_docs(
    q: &Query,
    seg: &Seg<'_>,
    docs: &[DocId],
    out: &mut Vec<DocId>,
) -> Result<()> {
    use tantivy::DocSet;
    use tantivy::query::EnableScoring;
    out.clear();
    let ctx = Ctx::new(seg.index, seg.mapping, seg.now_ms);
    let tq = q.compile(&ctx)?;
    let weight = tq.weight(EnableScoring::disabled_from_searcher(seg.searcher))?;
    let mut scorer = weight.scorer(seg.reader(), 1.0)?;
    let mut cur = scorer.doc();
    for &d in docs {
        if cur < d {
            cur = scorer.seek(d);
        }
        if cur == tantivy::TERMINATED {
            break;
        }
        if cur == d {
            out.push(d);
        }
    }
    Ok(())
}

/// Parses a query of a `filter`/`filters` aggregation.
pub(crate) fn parse_query(v: &Value) -> Result<Query> {
    query::parse(v)
}
