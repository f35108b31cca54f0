//! `histogram`: numeric buckets of `interval` width shifted by `offset`, `min_doc_count`
//! (default 0: empty buckets filled, widened by `extended_bounds`), `hard_bounds`, `keyed`,
//! `order`, `missing`. Keys are doubles.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use tantivy::DocId;

use super::format::{NumFormat, java_double};
use super::{Agg, Bucket, Key, OrderKey, Seg, ValKind};
use crate::error::{Error, Result};

const TY: &str = "histogram";

/// A parsed `histogram`.
#[derive(Debug)]
pub(crate) struct Spec {
    pub(crate) field: String,
    interval: f64,
    offset: f64,
    min_doc_count: u64,
    extended: (Option<f64>, Option<f64>),
    hard: Option<(Option<f64>, Option<f64>)>,
    keyed: bool,
    order: Vec<(OrderKey, bool)>,
    missing: Option<f64>,
    format: Option<NumFormat>,
}

fn bounds(o: &Map<String, Value>, key: &str) -> Result<Option<(Option<f64>, Option<f64>)>> {
    let Some(v) = o.get(key) else { return Ok(None) };
    let Some(b) = v.as_object() else {
        return Err(Error::XContentParse(format!(
            "[{TY}] failed to parse field [{key}]"
        )));
    };
    let min = super::f64_opt(key, b, "min")?;
    let max = super::f64_opt(key, b, "max")?;
    if let (Some(a), Some(b)) = (min, max)
        && a > b
    {
        return Err(Error::IllegalArgument(format!(
            "[{key}.min][{a}] cannot be greater than [{key}.max][{b}] for histogram aggregation [{TY}]"
        )));
    }
    Ok(Some((min, max)))
}

impl Spec {
    pub(crate) fn parse(body: &Value) -> Result<Spec> {
        let o = super::options(
            TY,
            body,
            &[
                "field",
                "interval",
                "offset",
                "min_doc_count",
                "extended_bounds",
                "hard_bounds",
                "keyed",
                "order",
                "missing",
                "format",
            ],
        )?;
        let field = super::field_required(TY, o)?;
        let interval = super::f64_opt(TY, o, "interval")?.ok_or_else(|| {
            Error::IllegalArgument(format!(
                "[interval] must be >0 for histogram aggregation [{TY}]"
            ))
        })?;
        if interval <= 0.0 || !interval.is_finite() {
            return Err(Error::IllegalArgument(format!(
                "[interval] must be >0 for histogram aggregation [{TY}]"
            )));
        }
        Ok(Spec {
            field,
            interval,
            offset: super::f64_opt(TY, o, "offset")?.unwrap_or(0.0),
            min_doc_count: super::u64_opt(TY, o, "min_doc_count")?.unwrap_or(0),
            extended: bounds(o, "extended_bounds")?.unwrap_or((None, None)),
            hard: bounds(o, "hard_bounds")?,
            keyed: super::bool_opt(TY, o, "keyed")?.unwrap_or(false),
            order: super::parse_order(TY, o.get("order"))?,
            missing: super::f64_opt(TY, o, "missing")?,
            format: o
                .get("format")
                .and_then(Value::as_str)
                .and_then(NumFormat::parse),
        })
    }

    fn index(&self, v: f64) -> Option<i64> {
        let i = ((v - self.offset) / self.interval).floor();
        if i.is_finite() && i.abs() < 9.0e15 {
            Some(i as i64)
        } else {
            None
        }
    }

    fn key(&self, i: i64) -> f64 {
        i as f64 * self.interval + self.offset
    }

    fn in_hard(&self, i: i64) -> bool {
        let k = self.key(i);
        match self.hard {
            None => true,
            Some((min, max)) => min.is_none_or(|m| k >= m) && max.is_none_or(|m| k <= m),
        }
    }
}

/// The merged buckets of a `histogram`, by bucket index.
#[derive(Debug, Default)]
pub(crate) struct State {
    buckets: BTreeMap<i64, Bucket>,
}

impl State {
    pub(crate) fn collect(
        &mut self,
        spec: &Spec,
        subs: &[Agg],
        seg: &Seg<'_>,
        docs: &[DocId],
    ) -> Result<()> {
        let f = seg.field(&spec.field, false)?;
        if f.kind == Some(ValKind::Keyword) {
            return Err(Error::IllegalArgument(format!(
                "Field [{}] of type [keyword] is not supported for aggregation [{TY}]",
                spec.field
            )));
        }
        let mut pairs: Vec<(i64, DocId)> = Vec::with_capacity(docs.len());
        for &doc in docs {
            let mut visit = |v: f64| {
                if let Some(i) = spec.index(v)
                    && spec.in_hard(i)
                {
                    pairs.push((i, doc));
                }
            };
            f.for_each_num(doc, &mut visit);
            if let Some(m) = spec.missing
                && !f.has_value(doc)
            {
                visit(m);
            }
        }
        super::for_groups(&mut pairs, |i, group| {
            self.buckets
                .entry(i)
                .or_insert_with(|| Bucket::new(subs))
                .collect(subs, seg, group)
        })
    }

    pub(crate) fn finish(
        mut self,
        spec: &Spec,
        subs: &[Agg],
        nb: &mut usize,
    ) -> Result<Map<String, Value>> {
        if spec.min_doc_count == 0 {
            let first = self.buckets.keys().next().copied();
            let last = self.buckets.keys().next_back().copied();
            let ext_lo = spec.extended.0.and_then(|m| spec.index(m));
            let ext_hi = spec.extended.1.and_then(|m| spec.index(m));
            let lo = match (first, ext_lo) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let hi = match (last, ext_hi) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            if let (Some(lo), Some(hi)) = (lo, hi) {
                let want = usize::try_from(hi.saturating_sub(lo)).unwrap_or(usize::MAX);
                if want >= super::MAX_BUCKETS {
                    return Err(Error::TooManyBuckets(want.saturating_add(1)));
                }
                for i in lo..=hi {
                    if spec.in_hard(i) {
                        self.buckets.entry(i).or_insert_with(|| Bucket::new(subs));
                    }
                }
            }
        }
        let mut list: Vec<(Key, Bucket)> = self
            .buckets
            .into_iter()
            .filter(|(_, b)| b.doc_count >= spec.min_doc_count)
            .map(|(i, b)| (Key::Double(spec.key(i)), b))
            .collect();
        if !spec.order.is_empty() {
            super::check_order_paths(&spec.order, subs, TY)?;
            list.sort_by(|a, b| {
                super::cmp_buckets(&spec.order, subs, (&a.0, &a.1), (&b.0, &b.1))
                    .then_with(|| a.0.cmp(&b.0))
            });
        }
        super::count_buckets(nb, list.len())?;
        let mut arr = Vec::with_capacity(list.len());
        let mut keyed = Map::new();
        for (k, b) in list {
            let x = match k {
                Key::Double(x) => x,
                _ => 0.0,
            };
            let mut m = Map::new();
            if let Some(f) = &spec.format {
                m.insert("key_as_string".into(), json!(f.format(x)));
            }
            m.insert("key".into(), json!(x));
            b.render(subs, nb, &mut m)?;
            if spec.keyed {
                keyed.insert(java_double(x), Value::Object(m));
            } else {
                arr.push(Value::Object(m));
            }
        }
        let mut out = Map::new();
        out.insert(
            "buckets".into(),
            if spec.keyed {
                Value::Object(keyed)
            } else {
                Value::Array(arr)
            },
        );
        Ok(out)
    }
}
