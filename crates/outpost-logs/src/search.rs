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
}

#[derive(Debug, Clone, PartialEq)]
enum SortVal {
    Missing,
    Num(f64),
    Str(String),
}

impl SortVal {
    fn to_json(&self) -> Value {
        match self {
            SortVal::Missing => Value::Null,
            SortVal::Num(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => json!(*x as i64),
            SortVal::Num(x) => json!(x),
            SortVal::Str(s) => json!(s),
        }
    }

    fn from_json(v: &Value) -> SortVal {
        match v {
            Value::Number(n) => n.as_f64().map_or(SortVal::Missing, SortVal::Num),
            Value::String(s) => SortVal::Str(s.clone()),
            Value::Bool(b) => SortVal::Num(if *b { 1.0 } else { 0.0 }),
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
                (SortVal::Num(p), SortVal::Num(q)) => p.total_cmp(q),
                (SortVal::Str(p), SortVal::Str(q)) => p.cmp(q),
                (SortVal::Num(_), SortVal::Str(_)) => Ordering::Less,
                _ => Ordering::Greater,
            };
            if key.desc { o.reverse() } else { o }
        }
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
                });
            }
            Value::Object(o) => {
                for (field, spec) in o {
                    let default_desc = field == "_score";
                    let (desc, missing_first) = match &spec {
                        Value::String(s) => (s == "desc", false),
                        Value::Object(so) => (
                            so.get("order")
                                .and_then(Value::as_str)
                                .map_or(default_desc, |s| s == "desc"),
                            so.get("missing").and_then(Value::as_str) == Some("_first"),
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
        let indices = self.resolve(expr, opts.ignore_unavailable)?;
        let q = match body.get("query") {
            Some(v) => query::parse(v)?,
            None => query::Query::MatchAll,
        };
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
        let search_after: Option<Vec<SortVal>> = body
            .get("search_after")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(SortVal::from_json).collect());
        if search_after
            .as_ref()
            .is_some_and(|sa| sa.len() != sort.len().max(1))
        {
            return Err(Error::IllegalArgument(
                "search_after has a different number of sort values than the sort".into(),
            ));
        }
        let track = match body.get("track_total_hits") {
            None => Some(MAX_RESULT_WINDOW as u64),
            Some(Value::Bool(true)) => Some(u64::MAX),
            Some(Value::Bool(false)) => None,
            Some(Value::Number(n)) => Some(n.as_u64().unwrap_or(u64::MAX)),
            Some(_) => {
                return Err(Error::Parsing(
                    "[track_total_hits] must be a boolean or a number".into(),
                ));
            }
        };
        let filter = source_filter(body.get("_source"))?;
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
            if count == 0 {
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
                        SortVal::Num(t.into_timestamp_millis() as f64)
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
                "_doc" => SortVal::Num(
                    ((index_ord as u64) << 40
                        | u64::from(addr.segment_ord) << 32
                        | u64::from(addr.doc_id)) as f64,
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
                    let is_date = idx.mapping().get(path) == Some(&FieldType::Date);
                    let mut sv: Vec<SortVal> = vals
                        .into_iter()
                        .map(|v| {
                            if is_date {
                                crate::date::parse_date_value(v)
                                    .map_or(SortVal::Missing, |ms| SortVal::Num(ms as f64))
                            } else {
                                SortVal::from_json(v)
                            }
                        })
                        .filter(|v| *v != SortVal::Missing)
                        .collect();
                    // ES's default sort mode: min ascending, max descending
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
                    let pick = if k.desc {
                        sv.pop()
                    } else {
                        sv.into_iter().next()
                    };
                    pick.unwrap_or(SortVal::Missing)
                }
            };
            out.push(v);
        }
        Ok(out)
    }

    /// `_count`: `{"count": N, "_shards": …}`.
    pub fn count(&self, expr: &str, body: &Value, opts: SearchOptions) -> Result<Value> {
        self.tick()?;
        let indices = self.resolve(expr, opts.ignore_unavailable)?;
        let q = match body.get("query") {
            Some(v) => query::parse(v)?,
            None => query::Query::MatchAll,
        };
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

fn usize_param(body: &Value, key: &str, default: usize) -> Result<usize> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .and_then(|n| if n < 0 { None } else { usize::try_from(n).ok() })
            .ok_or_else(|| {
                Error::IllegalArgument(format!("[{key}] parameter cannot be negative, found [{v}]"))
            }),
    }
}
