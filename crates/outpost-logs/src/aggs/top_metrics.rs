//! `top_metrics`: the `metrics` field values of the top `size` (1) documents by a numeric or
//! date `sort` field (or `_score`), read from the fast columns; response
//! `{"top": [{"sort": [v], "metrics": {"<field>": v}}]}` (Grafana's "Top Metrics").

use std::cmp::Ordering;

use serde_json::{Map, Value, json};
use tantivy::DocId;

use super::format::DateFormat;
use super::{Seg, ValKind};
use crate::error::{Error, Result};

const TY: &str = "top_metrics";

/// A parsed `top_metrics`.
#[derive(Debug)]
pub(crate) struct Spec {
    metrics: Vec<String>,
    sort_field: String,
    desc: bool,
    size: usize,
}

impl Spec {
    pub(crate) fn parse(body: &Value) -> Result<Spec> {
        let o = super::options(TY, body, &["metrics", "sort", "size"])?;
        let metric = |v: &Value| -> Result<String> {
            v.get("field")
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| {
                    Error::XContentParse(format!("[{TY}] failed to parse field [metrics]"))
                })
        };
        let metrics = match o.get("metrics") {
            Some(Value::Array(a)) => a.iter().map(metric).collect::<Result<Vec<_>>>()?,
            Some(v @ Value::Object(_)) => vec![metric(v)?],
            _ => {
                return Err(Error::IllegalArgument(format!(
                    "[metrics] is required in [{TY}]"
                )));
            }
        };
        let sort = match o.get("sort") {
            Some(Value::Array(a)) if a.len() == 1 => a[0].clone(),
            Some(Value::Array(_)) => {
                return Err(Error::IllegalArgument(
                    "only one sort is supported by [top_metrics]".into(),
                ));
            }
            Some(v) => v.clone(),
            None => {
                return Err(Error::IllegalArgument(format!(
                    "[sort] is required in [{TY}]"
                )));
            }
        };
        let (sort_field, desc) = match &sort {
            Value::String(f) => (f.clone(), f == "_score"),
            Value::Object(m) if m.len() == 1 => {
                let (f, spec) = m
                    .iter()
                    .next()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .unwrap_or_default();
                let dir = match &spec {
                    Value::String(s) => Some(s.clone()),
                    Value::Object(so) => {
                        so.get("order").and_then(Value::as_str).map(str::to_string)
                    }
                    _ => None,
                };
                let desc = dir.map_or(f == "_score", |d| d == "desc");
                (f, desc)
            }
            _ => {
                return Err(Error::XContentParse(format!(
                    "[{TY}] failed to parse field [sort]"
                )));
            }
        };
        let size = super::u64_opt(TY, o, "size")?.unwrap_or(1);
        Ok(Spec {
            metrics,
            sort_field,
            desc,
            size: usize::try_from(size).unwrap_or(usize::MAX).max(1),
        })
    }
}

#[derive(Debug)]
struct Top {
    sort: f64,
    sort_json: Value,
    metrics: Vec<Value>,
    order: (usize, u32, DocId),
}

/// The best documents so far.
#[derive(Debug, Default)]
pub(crate) struct State {
    top: Vec<Top>,
}

fn cmp(desc: bool, a: (f64, (usize, u32, DocId)), b: (f64, (usize, u32, DocId))) -> Ordering {
    let o = a.0.total_cmp(&b.0);
    let o = if desc { o.reverse() } else { o };
    o.then(a.1.cmp(&b.1))
}

impl State {
    pub(crate) fn collect(&mut self, spec: &Spec, seg: &Seg<'_>, docs: &[DocId]) -> Result<()> {
        let sort = if spec.sort_field == "_score" {
            None
        } else {
            Some(seg.field(&spec.sort_field, false)?)
        };
        let mut local: Vec<(f64, DocId)> = Vec::new();
        for &doc in docs {
            let v = match &sort {
                None => Some(f64::from(seg.score(doc))),
                Some(f) => {
                    let mut best: Option<f64> = None;
                    f.for_each_num(doc, |x| {
                        best = Some(match best {
                            None => x,
                            Some(b) if spec.desc => b.max(x),
                            Some(b) => b.min(x),
                        })
                    });
                    best
                }
            };
            if let Some(v) = v {
                local.push((v, doc));
            }
        }
        let key = |d: DocId| (seg.index_ord, seg.seg_ord, d);
        local.sort_by(|a, b| cmp(spec.desc, (a.0, key(a.1)), (b.0, key(b.1))));
        local.truncate(spec.size);
        let is_date = sort.as_ref().is_some_and(|f| f.kind == Some(ValKind::Date));
        for (v, doc) in local {
            let mut metrics = Vec::with_capacity(spec.metrics.len());
            for m in &spec.metrics {
                let f = seg.field(m, true)?;
                let mut out = Value::Null;
                match f.kind {
                    Some(ValKind::Keyword) => {
                        let mut ord = None;
                        f.for_each_ord(doc, |o| {
                            ord.get_or_insert(o);
                        });
                        if let Some(o) = ord {
                            f.bytes_of(&[o], |b| out = json!(String::from_utf8_lossy(b)))?;
                        }
                    }
                    Some(ValKind::Date) => {
                        let mut first = None;
                        f.for_each_int(doc, |x| {
                            first.get_or_insert(x);
                        });
                        if let Some(x) = first {
                            out = json!(DateFormat::default().format(x));
                        }
                    }
                    Some(_) => {
                        let mut first = None;
                        f.for_each_num(doc, |x| {
                            first.get_or_insert(x);
                        });
                        if let Some(x) = first {
                            out = json!(x);
                        }
                    }
                    None => {}
                }
                metrics.push(out);
            }
            let sort_json = if is_date {
                json!(DateFormat::default().format(v as i64))
            } else {
                json!(v)
            };
            self.top.push(Top {
                sort: v,
                sort_json,
                metrics,
                order: key(doc),
            });
        }
        self.top
            .sort_by(|a, b| cmp(spec.desc, (a.sort, a.order), (b.sort, b.order)));
        self.top.truncate(spec.size);
        Ok(())
    }

    /// The first top document's value of metric `prop` (bucket ordering).
    pub(crate) fn order_value(
        &self,
        spec_metrics: Option<&[String]>,
        prop: Option<&str>,
    ) -> Option<f64> {
        let first = self.top.first()?;
        let i = match (spec_metrics, prop) {
            (Some(ms), Some(p)) => ms.iter().position(|m| m == p)?,
            _ => 0,
        };
        first.metrics.get(i)?.as_f64()
    }

    pub(crate) fn finish(self, spec: &Spec) -> Map<String, Value> {
        let top: Vec<Value> = self
            .top
            .into_iter()
            .map(|t| {
                let mut m = Map::new();
                for (name, v) in spec.metrics.iter().zip(t.metrics) {
                    m.insert(name.clone(), v);
                }
                json!({"sort": [t.sort_json], "metrics": m})
            })
            .collect();
        let mut out = Map::new();
        out.insert("top".into(), Value::Array(top));
        out
    }
}

impl Spec {
    /// The metric fields, in request order.
    pub(crate) fn metrics(&self) -> &[String] {
        &self.metrics
    }
}
