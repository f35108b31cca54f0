//! `_search` and `_count` over an index expression: query, `from`/`size` within
//! `index.max_result_window`, `sort` (fields, `_score`, `_doc`, `missing`), `_source` filtering,
//! `track_total_hits` and `search_after`. Runs the refresh policy first, so writes older than
//! the refresh interval are always visible.

use std::cmp::Ordering;
use std::sync::Arc;

use serde_json::{Map, Value, json};
use tantivy::collector::{Count, TopDocs};
use tantivy::{DateTime, DocAddress, Order, TantivyDocument};

use crate::error::{Error, Result};
use crate::index::LogIndex;
use crate::mapping::FieldType;
use crate::query::{self, Ctx};
use crate::store::LogStore;

/// `index.max_result_window`.
pub const MAX_RESULT_WINDOW: usize = 10_000;

/// `index.max_docvalue_fields_search`'s default.
const MAX_DOCVALUE_FIELDS: usize = 100;

/// Request-level options that come from the URL or an `_msearch` header.
#[derive(Debug, Clone, Copy, Default)]
pub struct SearchOptions {
    /// `ignore_unavailable`: missing concrete indices are skipped instead of a 404.
    pub ignore_unavailable: bool,
    /// `rest_total_hits_as_int`.
    pub total_hits_as_int: bool,
}

#[derive(Debug, Clone, PartialEq)]
struct SortKey {
    field: String,
    desc: bool,
    missing_first: bool,
    /// `mode` for multi-valued fields: `min`, `max`, `sum`, `avg`, `median` (`None`: min
    /// ascending, max descending).
    mode: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum SortVal {
    Missing,
    /// An integer, exact (longs beyond 2^53 keep every digit).
    Int(i64),
    Num(f64),
    Str(String),
}

impl SortVal {
    fn to_json(&self) -> Value {
        match self {
            SortVal::Missing => Value::Null,
            SortVal::Int(n) => json!(n),
            SortVal::Num(x) => json!(x),
            SortVal::Str(s) => json!(s),
        }
    }

    fn from_json(v: &Value) -> SortVal {
        match v {
            Value::Number(n) => match n.as_i64() {
                Some(i) => SortVal::Int(i),
                None => n.as_f64().map_or(SortVal::Missing, SortVal::Num),
            },
            Value::String(s) => SortVal::Str(s.clone()),
            Value::Bool(b) => SortVal::Int(i64::from(*b)),
            _ => SortVal::Missing,
        }
    }
}

fn cmp_val(a: &SortVal, b: &SortVal, key: &SortKey) -> Ordering {
    match (a, b) {
        (SortVal::Missing, SortVal::Missing) => Ordering::Equal,
        (SortVal::Missing, _) => {
            if key.missing_first {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        (_, SortVal::Missing) => {
            if key.missing_first {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (x, y) => {
            let o = match (x, y) {
                (SortVal::Int(p), SortVal::Int(q)) => p.cmp(q),
                (SortVal::Num(p), SortVal::Num(q)) => p.total_cmp(q),
                (SortVal::Int(p), SortVal::Num(q)) => (*p as f64).total_cmp(q),
                (SortVal::Num(p), SortVal::Int(q)) => p.total_cmp(&(*q as f64)),
                (SortVal::Str(p), SortVal::Str(q)) => p.cmp(q),
                (SortVal::Num(_) | SortVal::Int(_), SortVal::Str(_)) => Ordering::Less,
                _ => Ordering::Greater,
            };
            if key.desc { o.reverse() } else { o }
        }
    }
}

/// One sort value out of a field's values (sorted ascending) by the key's `mode`; ES's
/// default is min ascending, max descending. Integer sums wrap as Java longs do; `avg` and
/// `median` are computed in doubles and rounded back for integers.
fn pick_mode(mut sv: Vec<SortVal>, k: &SortKey) -> SortVal {
    let mode = k
        .mode
        .as_deref()
        .unwrap_or(if k.desc { "max" } else { "min" });
    if sv.is_empty() {
        return SortVal::Missing;
    }
    let all_int = sv.iter().all(|v| matches!(v, SortVal::Int(_)));
    let as_f = |v: &SortVal| match v {
        SortVal::Int(i) => Some(*i as f64),
        SortVal::Num(x) => Some(*x),
        _ => None,
    };
    let back = |x: f64| {
        if all_int {
            SortVal::Int(x.round() as i64)
        } else {
            SortVal::Num(x)
        }
    };
    match mode {
        "max" => sv.pop().unwrap_or(SortVal::Missing),
        "sum" | "avg" if sv.iter().any(|v| matches!(v, SortVal::Str(_))) => sv.swap_remove(0),
        "sum" | "avg" => {
            let n = sv.len() as f64;
            let (sum_i, sum_f) = sv.iter().fold((0i64, 0f64), |(i, f), v| match v {
                SortVal::Int(x) => (i.wrapping_add(*x), f + *x as f64),
                other => (i, f + as_f(other).unwrap_or(0.0)),
            });
            match (mode, all_int) {
                ("sum", true) => SortVal::Int(sum_i),
                ("sum", false) => SortVal::Num(sum_f),
                (_, true) => back(sum_i as f64 / n),
                _ => SortVal::Num(sum_f / n),
            }
        }
        "median" => {
            let mid = sv.len() / 2;
            if sv.len() % 2 == 1 {
                sv.swap_remove(mid)
            } else {
                match (as_f(&sv[mid - 1]), as_f(&sv[mid])) {
                    (Some(a), Some(b)) => back((a + b) / 2.0),
                    _ => sv.swap_remove(mid - 1),
                }
            }
        }
        _ => sv.into_iter().next().unwrap_or(SortVal::Missing),
    }
}

fn parse_sort(v: Option<&Value>) -> Result<Vec<SortKey>> {
    let mut out = Vec::new();
    let items: Vec<Value> = match v {
        None => return Ok(out),
        Some(Value::Array(a)) => a.clone(),
        Some(Value::Object(o)) => o
            .iter()
            .map(|(k, v)| json!({ k.clone(): v.clone() }))
            .collect(),
        Some(other) => vec![other.clone()],
    };
    for item in items {
        match item {
            Value::String(s) => {
                let (field, desc) = match s.split_once(':') {
                    Some((f, o)) => (f.to_string(), o == "desc"),
                    None => (s.clone(), s == "_score"),
                };
                out.push(SortKey {
                    field,
                    desc,
                    missing_first: false,
                    mode: None,
                });
            }
            Value::Object(o) => {
                for (field, spec) in o {
                    let default_desc = field == "_score";
                    let (desc, missing_first, mode) = match &spec {
                        Value::String(s) => (s == "desc", false, None),
                        Value::Object(so) => (
                            so.get("order")
                                .and_then(Value::as_str)
                                .map_or(default_desc, |s| s == "desc"),
                            so.get("missing").and_then(Value::as_str) == Some("_first"),
                            match so.get("mode").and_then(Value::as_str) {
                                None => None,
                                Some(m @ ("min" | "max" | "sum" | "avg" | "median")) => {
                                    Some(m.to_string())
                                }
                                Some(other) => {
                                    return Err(Error::IllegalArgument(format!(
                                        "Unknown SortMode [{other}]"
                                    )));
                                }
                            },
                        ),
                        _ => {
                            return Err(Error::Parsing(format!(
                                "[sort] unsupported option for [{field}]"
                            )));
                        }
                    };
                    out.push(SortKey {
                        field: field.clone(),
                        desc,
                        missing_first,
                        mode,
                    });
                }
            }
            _ => {
                return Err(Error::Parsing(
                    "[sort] malformed, expected a string or an object".into(),
                ));
            }
        }
    }
    Ok(out)
}

/// Reads the values at a dotted path of a source document (nested objects and dotted keys).
pub(crate) fn values_at<'a>(v: &'a Value, path: &str, out: &mut Vec<&'a Value>) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| values_at(x, path, out)),
        Value::Object(o) => {
            if let Some(x) = o.get(path) {
                match x {
                    Value::Array(a) => out.extend(a.iter()),
                    other => out.push(other),
                }
            }
            let mut idx = 0;
            while let Some(dot) = path[idx..].find('.') {
                let split = idx + dot;
                if let Some(child) = o.get(&path[..split]) {
                    values_at(child, &path[split + 1..], out);
                }
                idx = split + 1;
            }
        }
        _ => {}
    }
}

struct Hit {
    index: usize,
    addr: DocAddress,
    score: f32,
    sort: Vec<SortVal>,
}

pub(crate) fn source_filter(spec: Option<&Value>) -> Result<Option<(Vec<String>, Vec<String>)>> {
    let list = |v: Option<&Value>| -> Vec<String> {
        match v {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        }
    };
    Ok(match spec {
        None | Some(Value::Bool(true)) => Some((Vec::new(), Vec::new())),
        Some(Value::Bool(false)) => None,
        Some(v @ (Value::String(_) | Value::Array(_))) => Some((list(Some(v)), Vec::new())),
        Some(Value::Object(o)) => Some((
            list(o.get("includes").or_else(|| o.get("include"))),
            list(o.get("excludes").or_else(|| o.get("exclude"))),
        )),
        Some(_) => return Err(Error::Parsing("[_source] malformed".into())),
    })
}

fn path_matches(patterns: &[String], path: &str) -> bool {
    patterns
        .iter()
        .any(|p| crate::resolve::wildcard_match(p, path))
}

/// Whether some include pattern could match below `path` (so the object is kept and walked).
fn may_match_below(patterns: &[String], path: &str) -> bool {
    patterns.iter().any(|p| {
        p.starts_with(&format!("{path}."))
            || p.starts_with('*')
            || p.starts_with(path) && p.contains('*')
    })
}

pub(crate) fn filter_source(
    v: &Map<String, Value>,
    prefix: &str,
    inc: &[String],
    exc: &[String],
) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, val) in v {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        if path_matches(exc, &path) {
            continue;
        }
        let included = inc.is_empty() || path_matches(inc, &path);
        match val {
            Value::Object(child)
                if (!included || !exc.is_empty()) && (included || may_match_below(inc, &path)) =>
            {
                let sub_inc: Vec<String> = if included { Vec::new() } else { inc.to_vec() };
                let f = filter_source(child, &path, &sub_inc, exc);
                if !f.is_empty() || included {
                    out.insert(k.clone(), Value::Object(f));
                }
            }
            Value::Object(_) if !included || !exc.is_empty() => {}
            _ if included => {
                out.insert(k.clone(), val.clone());
            }
            _ => {}
        }
    }
    out
}

impl LogStore {
    /// `_search`: the full response body.
    pub fn search(&self, expr: &str, body: &Value, opts: SearchOptions) -> Result<Value> {
        let started = self.now_ms();
        self.tick()?;
        check_keys(body, SEARCH_KEYS, false)?;
        let indices = self.resolve(expr, opts.ignore_unavailable)?;
        let q = match body.get("query") {
            Some(v) => query::parse(v)?,
            None => query::Query::MatchAll,
        };
        let q = self.with_alias_filters(expr, &indices, q)?;
        let highlighter = body
            .get("highlight")
            .map(|h| crate::highlight::Highlighter::parse(h, &q))
            .transpose()?;
        let size = usize_param(body, "size", 10)?;
        let from = usize_param(body, "from", 0)?;
        if from.saturating_add(size) > MAX_RESULT_WINDOW {
            return Err(Error::IllegalArgument(format!(
                "Result window is too large, from + size must be less than or equal to: [{MAX_RESULT_WINDOW}] but was [{}]. See the scroll api for a more efficient way to request large data sets. This limit can be set by changing the [index.max_result_window] index level setting.",
                from.saturating_add(size)
            )));
        }
        let sort = parse_sort(body.get("sort"))?;
        let mut search_after: Option<Vec<SortVal>> = body
            .get("search_after")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(SortVal::from_json).collect());
        // a date sort key's search_after value may be the formatted date
        if let Some(after) = search_after.as_mut() {
            for (k, v) in sort.iter().zip(after.iter_mut()) {
                if let SortVal::Str(text) = v
                    && indices
                        .iter()
                        .any(|i| i.mapping().get(&k.field) == Some(&FieldType::Date))
                    && let Some(ms) = crate::date::parse_date_value(&Value::String(text.clone()))
                {
                    *v = SortVal::Int(ms);
                }
            }
        }
        if search_after
            .as_ref()
            .is_some_and(|sa| sa.len() != sort.len().max(1))
        {
            return Err(Error::IllegalArgument(
                "search_after has a different number of sort values than the sort".into(),
            ));
        }
        let track = match body.get("track_total_hits") {
            // an integer total is always exact
            None if opts.total_hits_as_int => Some(u64::MAX),
            None => Some(MAX_RESULT_WINDOW as u64),
            Some(Value::Bool(true)) => Some(u64::MAX),
            Some(Value::Bool(false)) => None,
            Some(Value::Number(n)) => match (n.as_u64(), n.as_i64()) {
                (Some(k), _) => Some(k),
                (None, Some(-1)) => Some(u64::MAX),
                _ => {
                    return Err(Error::IllegalArgument(format!(
                        "[track_total_hits] parameter must be positive or equals to -1, got {n}"
                    )));
                }
            },
            Some(_) => {
                return Err(Error::Parsing(
                    "[track_total_hits] must be a boolean or a number".into(),
                ));
            }
        };
        if opts.total_hits_as_int
            && let Some(n) = track.filter(|n| *n != u64::MAX)
        {
            return Err(Error::IllegalArgument(format!(
                "[rest_total_hits_as_int] cannot be used if the tracking of total hits is not accurate, got {n}"
            )));
        }
        // `stored_fields` without `_source` among them (and no `_source` option) drops the source
        let stored_only = body.get("_source").is_none()
            && body.get("stored_fields").is_some_and(|sf| {
                !matches!(sf, Value::String(s) if s == "_source")
                    && !sf
                        .as_array()
                        .is_some_and(|a| a.iter().any(|v| v.as_str() == Some("_source")))
            });
        let filter = if stored_only {
            None
        } else {
            source_filter(body.get("_source"))?
        };
        let doc_fields = crate::doc_fields::parse(body)?;
        let n_docvalue = body
            .get("docvalue_fields")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        for idx in &indices {
            let limit = self
                .index_setting(idx.name(), "index.max_docvalue_fields_search")
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(MAX_DOCVALUE_FIELDS);
            if n_docvalue > limit {
                return Err(Error::IllegalArgument(format!(
                    "Trying to retrieve too many docvalue_fields. Must be less than or equal to: [{limit}] but was [{n_docvalue}]. This limit can be set by changing the [index.max_docvalue_fields_search] index level setting."
                )));
            }
        }
        let by_score = sort.is_empty() || (sort.len() == 1 && sort[0].field == "_score");
        let now = self.now_ms();
        let want = from.saturating_add(size);

        let mut total: u64 = 0;
        let mut hits: Vec<Hit> = Vec::new();
        let searchers: Vec<_> = indices.iter().map(|i| i.searcher()).collect();
        for (i, idx) in indices.iter().enumerate() {
            let mapping = idx.mapping();
            let ctx = Ctx::new(idx, &mapping, now);
            let tq = q.compile(&ctx)?;
            let searcher = &searchers[i];
            let count = searcher.search(&tq, &Count)? as u64;
            total = total.saturating_add(count);
            // `size: 0` (aggregation-only requests): no hits to rank
            if count == 0 || want == 0 {
                continue;
            }
            let ts_only = sort.len() == 1
                && sort[0].field == "@timestamp"
                && mapping.get("@timestamp") == Some(&FieldType::Date)
                && search_after.is_none();
            if by_score && search_after.is_none() {
                for (score, addr) in
                    searcher.search(&tq, &TopDocs::with_limit(want.max(1)).order_by_score())?
                {
                    hits.push(Hit {
                        index: i,
                        addr,
                        score,
                        sort: vec![SortVal::Num(f64::from(score))],
                    });
                }
            } else if ts_only {
                let order = if sort[0].desc {
                    Order::Desc
                } else {
                    Order::Asc
                };
                let top = searcher.search(
                    &tq,
                    &TopDocs::with_limit(want.max(1)).order_by_fast_field::<DateTime>("@ts", order),
                )?;
                for (ts, addr) in top {
                    let v = ts.map_or(SortVal::Missing, |t| {
                        SortVal::Int(t.into_timestamp_millis())
                    });
                    hits.push(Hit {
                        index: i,
                        addr,
                        score: f32::NAN,
                        sort: vec![v],
                    });
                }
            } else {
                let all =
                    searcher.search(&tq, &TopDocs::with_limit(count as usize).order_by_score())?;
                for (score, addr) in all {
                    let vals = self.sort_values(idx, searcher, i, addr, score, &sort)?;
                    hits.push(Hit {
                        index: i,
                        addr,
                        score,
                        sort: vals,
                    });
                }
            }
        }
        let keys: Vec<SortKey> = if sort.is_empty() {
            vec![SortKey {
                field: "_score".into(),
                desc: true,
                missing_first: false,
                mode: None,
            }]
        } else {
            sort.clone()
        };
        if let Some(after) = &search_after {
            hits.retain(|h| {
                for (k, (a, b)) in keys.iter().zip(h.sort.iter().zip(after)) {
                    match cmp_val(a, b, k) {
                        Ordering::Greater => return true,
                        Ordering::Less => return false,
                        Ordering::Equal => {}
                    }
                }
                false
            });
        }
        hits.sort_by(|a, b| {
            for (k, (x, y)) in keys.iter().zip(a.sort.iter().zip(&b.sort)) {
                let o = cmp_val(x, y, k);
                if o != Ordering::Equal {
                    return o;
                }
            }
            (a.index, a.addr.segment_ord, a.addr.doc_id).cmp(&(
                b.index,
                b.addr.segment_ord,
                b.addr.doc_id,
            ))
        });
        let track_scores = by_score || sort.iter().any(|k| k.field == "_score");
        let mut out_hits = Vec::new();
        let mut max_score: Option<f32> = None;
        if track_scores {
            max_score = hits
                .iter()
                .map(|h| h.score)
                .filter(|s| !s.is_nan())
                .reduce(f32::max);
        }
        for h in hits.into_iter().skip(from).take(size) {
            let idx = &indices[h.index];
            let doc: TantivyDocument = searchers[h.index].doc(h.addr)?;
            let mut hit = Map::new();
            hit.insert("_index".into(), idx.name().into());
            hit.insert("_id".into(), idx.id_of(&doc).into());
            hit.insert(
                "_score".into(),
                if track_scores {
                    json!(h.score)
                } else {
                    Value::Null
                },
            );
            if let Some((inc, exc)) = &filter {
                let src: Value = idx
                    .source_of(&doc)
                    .and_then(|b| serde_json::from_slice(&b).ok())
                    .unwrap_or(Value::Null);
                let src = match (&src, inc.is_empty() && exc.is_empty()) {
                    (Value::Object(o), false) => Value::Object(filter_source(o, "", inc, exc)),
                    _ => src,
                };
                hit.insert("_source".into(), src);
            }
            if !doc_fields.is_empty()
                && let Some(v) = idx
                    .source_of(&doc)
                    .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                    .and_then(|src| {
                        crate::doc_fields::hit_fields(&doc_fields, &idx.mapping(), &src)
                    })
            {
                hit.insert("fields".into(), v);
            }
            if let Some(hl) = &highlighter
                && let Some(v) = idx
                    .source_of(&doc)
                    .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                    .and_then(|src| hl.highlight(idx, &src))
            {
                hit.insert("highlight".into(), v);
            }
            if !sort.is_empty() {
                hit.insert(
                    "sort".into(),
                    Value::Array(h.sort.iter().map(SortVal::to_json).collect()),
                );
            }
            out_hits.push(Value::Object(hit));
        }
        let mut hits_obj = Map::new();
        if track.is_none() && opts.total_hits_as_int {
            // ES's integer form of an untracked total
            hits_obj.insert("total".into(), json!(-1));
        }
        if let Some(limit) = track {
            let (value, rel) = if total > limit {
                (limit, "gte")
            } else {
                (total, "eq")
            };
            hits_obj.insert(
                "total".into(),
                if opts.total_hits_as_int {
                    json!(total)
                } else {
                    json!({"value": value, "relation": rel})
                },
            );
        }
        hits_obj.insert(
            "max_score".into(),
            max_score.map_or(Value::Null, |s| json!(s)),
        );
        hits_obj.insert("hits".into(), Value::Array(out_hits));
        let aggregations = crate::aggs::run(body, &indices, &searchers, &q, now)?;
        let mut out = json!({
            "took": self.now_ms().saturating_sub(started),
            "timed_out": false,
            "_shards": {"total": indices.len(), "successful": indices.len(), "skipped": 0, "failed": 0},
            "hits": Value::Object(hits_obj),
        });
        if let (Some(a), Some(o)) = (aggregations, out.as_object_mut()) {
            o.insert("aggregations".into(), a);
        }
        Ok(out)
    }

    fn sort_values(
        &self,
        idx: &Arc<LogIndex>,
        searcher: &tantivy::Searcher,
        index_ord: usize,
        addr: DocAddress,
        score: f32,
        keys: &[SortKey],
    ) -> Result<Vec<SortVal>> {
        let mut source: Option<Value> = None;
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            let v = match k.field.as_str() {
                "_score" => SortVal::Num(f64::from(score)),
                "_doc" => SortVal::Int(
                    (index_ord as i64) << 40
                        | i64::from(addr.segment_ord) << 32
                        | i64::from(addr.doc_id),
                ),
                field => {
                    if source.is_none() {
                        let doc: TantivyDocument = searcher.doc(addr)?;
                        source = idx
                            .source_of(&doc)
                            .and_then(|b| serde_json::from_slice(&b).ok());
                    }
                    let path = field.strip_suffix(".keyword").unwrap_or(field);
                    let mut vals = Vec::new();
                    if let Some(src) = &source {
                        values_at(src, path, &mut vals);
                    }
                    let ty = idx.mapping().get(path).cloned();
                    let mut sv: Vec<SortVal> = vals
                        .into_iter()
                        .map(|v| match (&ty, SortVal::from_json(v)) {
                            (Some(FieldType::Date), _) => crate::date::parse_date_value(v)
                                .map_or(SortVal::Missing, SortVal::Int),
                            // a double field's values sort and print as doubles
                            (Some(FieldType::Double(_)), SortVal::Int(i)) => SortVal::Num(i as f64),
                            (_, other) => other,
                        })
                        .filter(|v| *v != SortVal::Missing)
                        .collect();
                    sv.sort_by(|a, b| {
                        cmp_val(
                            a,
                            b,
                            &SortKey {
                                desc: false,
                                ..k.clone()
                            },
                        )
                    });
                    pick_mode(sv, k)
                }
            };
            out.push(v);
        }
        Ok(out)
    }

    /// `_count`: `{"count": N, "_shards": …}`.
    pub fn count(&self, expr: &str, body: &Value, opts: SearchOptions) -> Result<Value> {
        self.tick()?;
        // other search keys (`aggs`, ...) are let through and ignored
        check_keys(body, SEARCH_KEYS, true)?;
        let indices = self.resolve(expr, opts.ignore_unavailable)?;
        let q = match body.get("query") {
            Some(v) => query::parse(v)?,
            None => query::Query::MatchAll,
        };
        let q = self.with_alias_filters(expr, &indices, q)?;
        let now = self.now_ms();
        let mut total: u64 = 0;
        for idx in &indices {
            let mapping = idx.mapping();
            let tq = q.compile(&Ctx::new(idx, &mapping, now))?;
            total = total.saturating_add(idx.searcher().search(&tq, &Count)? as u64);
        }
        Ok(json!({
            "count": total,
            "_shards": {"total": indices.len(), "successful": indices.len(), "skipped": 0, "failed": 0},
        }))
    }
}

/// The top-level keys a `_search` body may hold (ES's search source; those outside the log
/// store's model are accepted and ignored).
const SEARCH_KEYS: &[&str] = &[
    "query",
    "from",
    "size",
    "sort",
    "_source",
    "aggs",
    "aggregations",
    "highlight",
    "track_total_hits",
    "search_after",
    "post_filter",
    "fields",
    "docvalue_fields",
    "stored_fields",
    "script_fields",
    "min_score",
    "timeout",
    "terminate_after",
    "version",
    "seq_no_primary_term",
    "explain",
    "track_scores",
    "profile",
    "suggest",
    "rescore",
    "collapse",
    "indices_boost",
    "stats",
    "ext",
    "pit",
    "runtime_mappings",
    "slice",
    "knn",
    "search_pipeline",
    "verbose_pipeline",
    "include_named_queries_score",
    "derived",
];

/// ES's parser token name for a JSON value, as its "Unknown key" errors print it.
fn token_name(v: &Value) -> &'static str {
    match v {
        Value::Object(_) => "START_OBJECT",
        Value::Array(_) => "START_ARRAY",
        Value::String(_) => "VALUE_STRING",
        Value::Number(_) => "VALUE_NUMBER",
        Value::Bool(_) => "VALUE_BOOLEAN",
        Value::Null => "VALUE_NULL",
    }
}

/// Refuses a body key outside `allowed` as ES does (`parsing_exception`), e.g. a query
/// sent without its `"query"` wrapper.
fn check_keys(body: &Value, allowed: &[&str], count: bool) -> Result<()> {
    let Some(o) = body.as_object() else {
        return Ok(());
    };
    match o.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
        None => Ok(()),
        Some((k, _)) if count => Err(Error::Parsing(format!("request does not support [{k}]"))),
        Some((k, v)) => Err(Error::Parsing(format!(
            "Unknown key for a {} in [{k}].",
            token_name(v)
        ))),
    }
}

fn usize_param(body: &Value, key: &str, default: usize) -> Result<usize> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Number(n)) if n.as_i64().is_none_or(|x| i32::try_from(x).is_err()) => {
            // ES reads size and from as Java ints
            Err(Error::InputCoercion(format!(
                "Numeric value ({n}) out of range of `int` (-2147483648 - 2147483647) for [{key}]"
            )))
        }
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .and_then(|n| if n < 0 { None } else { usize::try_from(n).ok() })
            .ok_or_else(|| {
                Error::IllegalArgument(format!("[{key}] parameter cannot be negative, found [{v}]"))
            }),
    }
}
