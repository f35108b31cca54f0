//! `top_hits`: the best `size` (3) hits of a bucket after `from`, by `_score` (default), `_doc`
//! or fields read from the fast columns (keywords by term ordinal within a segment, decoded for
//! the merge), shaped as search hits (`_index`, `_id`, `_score`, `_source` with filtering,
//! `sort`).

use std::cmp::Ordering;

use serde_json::{Map, Value, json};
use tantivy::{DocAddress, DocId, TantivyDocument};

use super::Seg;
use crate::error::{Error, Result};

const TY: &str = "top_hits";

#[derive(Debug, Clone)]
struct SortKey {
    field: String,
    desc: bool,
}

/// A parsed `top_hits`.
#[derive(Debug)]
pub(crate) struct Spec {
    from: usize,
    size: usize,
    sort: Vec<SortKey>,
    source: Option<(Vec<String>, Vec<String>)>,
}

impl Spec {
    pub(crate) fn parse(body: &Value) -> Result<Spec> {
        let o = super::options(
            TY,
            body,
            &[
                "from",
                "size",
                "sort",
                "_source",
                "version",
                "seq_no_primary_term",
                "explain",
                "track_scores",
                "stored_fields",
                "docvalue_fields",
                "fields",
                "highlight",
                "script_fields",
            ],
        )?;
        let mut sort = Vec::new();
        let items: Vec<Value> = match o.get("sort") {
            None => Vec::new(),
            Some(Value::Array(a)) => a.clone(),
            Some(v) => vec![v.clone()],
        };
        for it in items {
            match it {
                Value::String(f) => sort.push(SortKey {
                    desc: f == "_score",
                    field: f,
                }),
                Value::Object(m) => {
                    for (f, spec) in m {
                        let dir = match &spec {
                            Value::String(s) => Some(s.as_str()),
                            Value::Object(so) => so.get("order").and_then(Value::as_str),
                            _ => None,
                        };
                        let desc = dir.map_or(f == "_score", |d| d == "desc");
                        sort.push(SortKey {
                            field: f.clone(),
                            desc,
                        });
                    }
                }
                _ => {
                    return Err(Error::XContentParse(format!(
                        "[{TY}] failed to parse field [sort]"
                    )));
                }
            }
        }
        let usize_of = |k: &str, d: usize| -> Result<usize> {
            Ok(super::u64_opt(TY, o, k)?.map_or(d, |n| usize::try_from(n).unwrap_or(usize::MAX)))
        };
        let from = usize_of("from", 0)?;
        let size = usize_of("size", 3)?;
        if from.saturating_add(size) > 100 {
            return Err(Error::IllegalArgument(format!(
                "Top hits result window is too large, the top hits aggregator [{TY}]'s from + size must be less than or equal to: [100] but was [{}]. This limit can be set by changing the [index.max_inner_result_window] index level setting.",
                from.saturating_add(size)
            )));
        }
        Ok(Spec {
            from,
            size,
            sort,
            source: crate::search::source_filter(o.get("_source"))?,
        })
    }

    fn by_score(&self) -> bool {
        self.sort.is_empty() || self.sort.iter().any(|k| k.field == "_score")
    }
}

#[derive(Debug, Clone, PartialEq)]
enum SV {
    Missing,
    Num(f64),
    Ord(u64),
    Str(String),
}

fn cmp_sv(a: &SV, b: &SV, desc: bool) -> Ordering {
    let o = match (a, b) {
        (SV::Missing, SV::Missing) => return Ordering::Equal,
        (SV::Missing, _) => return Ordering::Greater,
        (_, SV::Missing) => return Ordering::Less,
        (SV::Num(x), SV::Num(y)) => x.total_cmp(y),
        (SV::Ord(x), SV::Ord(y)) => x.cmp(y),
        (SV::Str(x), SV::Str(y)) => x.cmp(y),
        (SV::Num(_), _) => Ordering::Less,
        _ => Ordering::Greater,
    };
    if desc { o.reverse() } else { o }
}

#[derive(Debug)]
struct Cand {
    vals: Vec<SV>,
    order: (usize, u32, DocId),
    hit: Value,
}

/// The best hits so far and the bucket's hit count.
#[derive(Debug, Default)]
pub(crate) struct State {
    total: u64,
    max_score: Option<f32>,
    cands: Vec<Cand>,
}

fn cmp_cands(
    keys: &[SortKey],
    a: &[SV],
    b: &[SV],
    ao: (usize, u32, DocId),
    bo: (usize, u32, DocId),
) -> Ordering {
    for (k, (x, y)) in keys.iter().zip(a.iter().zip(b)) {
        let o = cmp_sv(x, y, k.desc);
        if o != Ordering::Equal {
            return o;
        }
    }
    ao.cmp(&bo)
}

impl State {
    pub(crate) fn collect(&mut self, spec: &Spec, seg: &Seg<'_>, docs: &[DocId]) -> Result<()> {
        self.total = self.total.saturating_add(docs.len() as u64);
        let keys: Vec<SortKey> = if spec.sort.is_empty() {
            vec![SortKey {
                field: "_score".into(),
                desc: true,
            }]
        } else {
            spec.sort.clone()
        };
        let fields = keys
            .iter()
            .map(|k| match k.field.as_str() {
                "_score" | "_doc" => Ok(None),
                f => seg.field(f, false).map(Some),
            })
            .collect::<Result<Vec<_>>>()?;
        let want = spec.from.saturating_add(spec.size);
        // sort values of all documents in one flat buffer: no allocation per document
        let nk = keys.len();
        let mut flat: Vec<SV> = Vec::with_capacity(docs.len().saturating_mul(nk));
        for &doc in docs {
            let score = seg.score(doc);
            if spec.by_score() {
                self.max_score = Some(self.max_score.map_or(score, |m| m.max(score)));
            }
            for (k, f) in keys.iter().zip(&fields) {
                let v = match (k.field.as_str(), f) {
                    ("_score", _) => SV::Num(f64::from(score)),
                    ("_doc", _) => SV::Num(f64::from(doc)),
                    (_, Some(f)) if f.has_ords() && f.kind == Some(super::ValKind::Keyword) => {
                        let mut best: Option<u64> = None;
                        f.for_each_ord(doc, |o| {
                            best = Some(match best {
                                None => o,
                                Some(b) if k.desc => b.max(o),
                                Some(b) => b.min(o),
                            })
                        });
                        best.map_or(SV::Missing, SV::Ord)
                    }
                    (_, Some(f)) => {
                        let mut best: Option<f64> = None;
                        f.for_each_num(doc, |x| {
                            best = Some(match best {
                                None => x,
                                Some(b) if k.desc => b.max(x),
                                Some(b) => b.min(x),
                            })
                        });
                        best.map_or(SV::Missing, SV::Num)
                    }
                    _ => SV::Missing,
                };
                flat.push(v);
            }
        }
        let key = |d: DocId| (seg.index_ord, seg.seg_ord, d);
        let vals_of = |i: usize| &flat[i * nk..(i + 1) * nk];
        let mut order: Vec<usize> = (0..docs.len()).collect();
        order
            .sort_by(|&a, &b| cmp_cands(&keys, vals_of(a), vals_of(b), key(docs[a]), key(docs[b])));
        order.truncate(want);
        for i in order {
            let doc = docs[i];
            let mut vals = vals_of(i).to_vec();
            for (v, f) in vals.iter_mut().zip(&fields) {
                if let (SV::Ord(o), Some(f)) = (&*v, f) {
                    let mut s = String::new();
                    f.bytes_of(&[*o], |b| s = String::from_utf8_lossy(b).into_owned())?;
                    *v = SV::Str(s);
                }
            }
            let score = seg.score(doc);
            let tdoc: TantivyDocument = seg.searcher.doc(DocAddress::new(seg.seg_ord, doc))?;
            let mut hit = Map::new();
            hit.insert("_index".into(), json!(seg.index.name()));
            hit.insert("_id".into(), json!(seg.index.id_of(&tdoc)));
            hit.insert(
                "_score".into(),
                if spec.by_score() {
                    json!(score)
                } else {
                    Value::Null
                },
            );
            if let Some((inc, exc)) = &spec.source {
                let src: Value = seg
                    .index
                    .source_of(&tdoc)
                    .and_then(|b| serde_json::from_slice(&b).ok())
                    .unwrap_or(Value::Null);
                let src = match (&src, inc.is_empty() && exc.is_empty()) {
                    (Value::Object(o), false) => {
                        Value::Object(crate::search::filter_source(o, "", inc, exc))
                    }
                    _ => src,
                };
                hit.insert("_source".into(), src);
            }
            if !spec.sort.is_empty() {
                let sv: Vec<Value> = vals
                    .iter()
                    .map(|v| match v {
                        SV::Num(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => json!(*x as i64),
                        SV::Num(x) => json!(x),
                        SV::Str(s) => json!(s),
                        _ => Value::Null,
                    })
                    .collect();
                hit.insert("sort".into(), Value::Array(sv));
            }
            self.cands.push(Cand {
                vals,
                order: key(doc),
                hit: Value::Object(hit),
            });
        }
        self.cands
            .sort_by(|a, b| cmp_cands(&keys, &a.vals, &b.vals, a.order, b.order));
        self.cands.truncate(want);
        Ok(())
    }

    pub(crate) fn finish(self, spec: &Spec) -> Map<String, Value> {
        let hits: Vec<Value> = self
            .cands
            .into_iter()
            .skip(spec.from)
            .take(spec.size)
            .map(|c| c.hit)
            .collect();
        let max_score = if spec.by_score() {
            self.max_score.map_or(Value::Null, |s| json!(s))
        } else {
            Value::Null
        };
        let mut out = Map::new();
        out.insert(
            "hits".into(),
            json!({
                "total": {"value": self.total, "relation": "eq"},
                "max_score": max_score,
                "hits": hits,
            }),
        );
        out
    }
}
