//! `terms`: one bucket per distinct value (keywords, numbers, booleans, dates) counted by
//! `kv` ordinal per segment and merged by key; `size` (10), `min_doc_count` (1), `missing`,
//! `include`/`exclude` (a regex or exact values), `order` (`_count` desc then `_key` asc by
//! default, `_key`, or a sub-aggregation metric path), `format` for date keys. Counts are exact,
//! so `doc_count_error_upper_bound` is 0.

use std::collections::HashMap;

use regex::Regex;
use serde_json::{Map, Value, json};
use tantivy::DocId;

use super::format::DateFormat;
use super::{Agg, Bucket, Key, OrderKey, Seg, ValKind};
use crate::error::{Error, Result};

const TY: &str = "terms";

#[derive(Debug)]
enum Filter {
    Regex(Regex),
    Values(Vec<String>),
}

impl Filter {
    fn parse(key: &str, v: Option<&Value>) -> Result<Option<Filter>> {
        Ok(match v {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => {
                Some(Filter::Regex(Regex::new(&format!("^(?:{s})$")).map_err(
                    |e| Error::IllegalArgument(format!("invalid regex for [{key}]: {e}")),
                )?))
            }
            Some(Value::Array(a)) => Some(Filter::Values(
                a.iter()
                    .map(|x| match x {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect(),
            )),
            // partitions are not supported: everything is in the one partition
            Some(Value::Object(_)) => None,
            Some(_) => {
                return Err(Error::XContentParse(format!(
                    "[{TY}] failed to parse field [{key}]"
                )));
            }
        })
    }

    fn matches(&self, k: &Key) -> bool {
        let text = k.text();
        match self {
            Filter::Regex(r) => r.is_match(&text),
            Filter::Values(vs) => vs.iter().any(|v| {
                *v == text
                    || match (k, v.parse::<f64>()) {
                        (Key::Date(ms), _) => crate::date::parse_date(v) == Some(*ms),
                        (Key::Str(_), _) | (_, Err(_)) => false,
                        (other, Ok(x)) => other == &Key::Double(x),
                    }
            }),
        }
    }
}

/// A parsed `terms`.
#[derive(Debug)]
pub(crate) struct Spec {
    pub(crate) field: String,
    size: usize,
    min_doc_count: u64,
    missing: Option<Value>,
    include: Option<Filter>,
    exclude: Option<Filter>,
    order: Vec<(OrderKey, bool)>,
    format: Option<String>,
    /// `value_type`: the kind of an unmapped field's `missing` key.
    value_type: Option<ValKind>,
}

impl Spec {
    pub(crate) fn parse(body: &Value, name: &str) -> Result<Spec> {
        let o = super::options(
            TY,
            body,
            &[
                "field",
                "size",
                "shard_size",
                "min_doc_count",
                "shard_min_doc_count",
                "missing",
                "include",
                "exclude",
                "order",
                "execution_hint",
                "collect_mode",
                "show_term_doc_count_error",
                "value_type",
                "format",
            ],
        )?;
        let field = super::field_required(TY, o)?;
        let size = super::u64_opt(TY, o, "size")?.unwrap_or(10);
        if size == 0 {
            return Err(Error::IllegalArgument(format!(
                "[size] must be greater than 0. Found [0] in [{name}]"
            )));
        }
        let mut order = super::parse_order(TY, o.get("order"))?;
        if order.is_empty() {
            order.push((OrderKey::Count, true));
        }
        if !order.iter().any(|(k, _)| *k == OrderKey::Key) {
            order.push((OrderKey::Key, false));
        }
        Ok(Spec {
            field,
            size: usize::try_from(size).unwrap_or(usize::MAX),
            min_doc_count: super::u64_opt(TY, o, "min_doc_count")?.unwrap_or(1),
            missing: o.get("missing").filter(|v| !v.is_null()).cloned(),
            include: Filter::parse("include", o.get("include"))?,
            exclude: Filter::parse("exclude", o.get("exclude"))?,
            order,
            format: o.get("format").and_then(Value::as_str).map(str::to_string),
            value_type: match o.get("value_type").and_then(Value::as_str) {
                Some("long" | "integer" | "short" | "byte") => Some(ValKind::Long),
                Some("double" | "float" | "number" | "numeric") => Some(ValKind::Double),
                Some("boolean") => Some(ValKind::Bool),
                Some("date") => Some(ValKind::Date),
                _ => None,
            },
        })
    }

    fn keep(&self, k: &Key) -> bool {
        self.include.as_ref().is_none_or(|f| f.matches(k))
            && self.exclude.as_ref().is_none_or(|f| !f.matches(k))
    }

    fn missing_key(&self, kind: Option<ValKind>) -> Option<Key> {
        let v = self.missing.as_ref()?;
        let kind = kind.or(self.value_type);
        Some(match (kind, v) {
            (Some(ValKind::Long), Value::Number(n)) if n.is_i64() => {
                Key::Long(n.as_i64().unwrap_or(0))
            }
            (Some(ValKind::Long | ValKind::Double), Value::Number(n)) => {
                Key::Double(n.as_f64().unwrap_or(0.0))
            }
            (Some(ValKind::Long | ValKind::Double), Value::String(t))
                if t.trim().parse::<f64>().is_ok() =>
            {
                let x = t.trim().parse::<f64>().unwrap_or(0.0);
                match t.trim().parse::<i64>() {
                    Ok(i) if kind == Some(ValKind::Long) => Key::Long(i),
                    _ => Key::Double(x),
                }
            }
            (Some(ValKind::Bool), Value::Bool(b)) => Key::Bool(*b),
            (Some(ValKind::Bool), Value::String(t)) if t == "true" || t == "false" => {
                Key::Bool(t == "true")
            }
            (Some(ValKind::Date), _) => Key::Date(crate::date::parse_date_value(v).unwrap_or(0)),
            (_, Value::String(s)) => Key::Str(s.clone()),
            (_, other) => Key::Str(other.to_string()),
        })
    }
}

/// The merged buckets of a `terms`.
#[derive(Debug, Default)]
pub(crate) struct State {
    buckets: HashMap<Key, Bucket>,
}

impl State {
    pub(crate) fn collect(
        &mut self,
        spec: &Spec,
        subs: &[Agg],
        seg: &Seg<'_>,
        docs: &[DocId],
    ) -> Result<()> {
        let f = seg.field(&spec.field, true)?;
        let missing = spec.missing_key(f.kind);
        let n = f.num_ords();
        if spec.min_doc_count == 0 && n > 0 {
            let all: Vec<u64> = (0..n as u64).collect();
            f.keys_of(&all, |k| {
                if spec.keep(&k) {
                    self.buckets.entry(k).or_insert_with(|| Bucket::new(subs));
                }
            })?;
        }
        if subs.is_empty() {
            // counts per ordinal: dense when the field's ordinals are few next to the docs
            let mut counted: Vec<(u64, u64)> = Vec::new();
            let mut no_value: u64 = 0;
            if n <= docs.len().saturating_mul(4).saturating_add(1024) {
                let mut counts = vec![0u32; n];
                if missing.is_none() {
                    f.for_each_ord_bulk(docs, |o| counts[o as usize] += 1);
                } else {
                    for &doc in docs {
                        let mut any = false;
                        f.for_each_ord(doc, |o| {
                            any = true;
                            counts[o as usize] += 1;
                        });
                        if !any {
                            no_value += 1;
                        }
                    }
                }
                counted.extend(
                    counts
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| **c > 0)
                        .map(|(o, c)| (o as u64, u64::from(*c))),
                );
            } else {
                let mut ords: Vec<u64> = Vec::with_capacity(docs.len());
                for &doc in docs {
                    let before = ords.len();
                    f.for_each_ord(doc, |o| ords.push(o));
                    if ords.len() == before {
                        no_value += 1;
                    }
                }
                ords.sort_unstable();
                for &o in &ords {
                    match counted.last_mut() {
                        Some((last, c)) if *last == o => *c += 1,
                        _ => counted.push((o, 1)),
                    }
                }
            }
            let rel: Vec<u64> = counted.iter().map(|(o, _)| *o).collect();
            let mut i = 0;
            f.keys_of(&rel, |k| {
                let c = counted[i].1;
                i += 1;
                if spec.keep(&k) {
                    let b = self.buckets.entry(k).or_insert_with(|| Bucket::new(subs));
                    b.doc_count = b.doc_count.saturating_add(c);
                }
            })?;
            if let Some(k) = missing
                && no_value > 0
                && spec.keep(&k)
            {
                let b = self.buckets.entry(k).or_insert_with(|| Bucket::new(subs));
                b.doc_count = b.doc_count.saturating_add(no_value);
            }
            return Ok(());
        }
        let mut pairs: Vec<(i64, DocId)> = Vec::with_capacity(docs.len());
        let mut no_value: Vec<DocId> = Vec::new();
        for &doc in docs {
            let before = pairs.len();
            f.for_each_ord(doc, |o| pairs.push((o as i64, doc)));
            if pairs.len() == before {
                no_value.push(doc);
            }
        }
        pairs.sort_unstable();
        let mut rel: Vec<u64> = pairs.iter().map(|(o, _)| *o as u64).collect();
        rel.dedup();
        let mut keys: Vec<Key> = Vec::with_capacity(rel.len());
        f.keys_of(&rel, |k| keys.push(k))?;
        let mut ki = 0usize;
        let mut last: Option<i64> = None;
        super::for_groups(&mut pairs, |o, group| {
            if last.is_some() {
                ki += 1;
            }
            last = Some(o);
            let Some(k) = keys.get(ki) else {
                return Ok(());
            };
            if !spec.keep(k) {
                return Ok(());
            }
            self.buckets
                .entry(k.clone())
                .or_insert_with(|| Bucket::new(subs))
                .collect(subs, seg, group)
        })?;
        if let Some(k) = missing
            && !no_value.is_empty()
            && spec.keep(&k)
        {
            self.buckets
                .entry(k)
                .or_insert_with(|| Bucket::new(subs))
                .collect(subs, seg, &no_value)?;
        }
        Ok(())
    }

    pub(crate) fn finish(
        self,
        spec: &Spec,
        subs: &[Agg],
        nb: &mut usize,
    ) -> Result<Map<String, Value>> {
        super::check_order_paths(&spec.order, subs, TY)?;
        let mut list: Vec<(Key, Bucket)> = self
            .buckets
            .into_iter()
            .filter(|(_, b)| b.doc_count >= spec.min_doc_count)
            .collect();
        // longs and doubles of one field across indices merge as doubles, as ES reduces them
        if list.iter().any(|(k, _)| matches!(k, Key::Double(_))) {
            for (k, _) in &mut list {
                if let Key::Long(x) = k {
                    *k = Key::Double(*x as f64);
                }
            }
        }
        let total: u64 = list.iter().map(|(_, b)| b.doc_count).sum();
        list.sort_by(|a, b| super::cmp_buckets(&spec.order, subs, (&a.0, &a.1), (&b.0, &b.1)));
        list.truncate(spec.size);
        let shown: u64 = list.iter().map(|(_, b)| b.doc_count).sum();
        super::count_buckets(nb, list.len())?;
        let fmt = DateFormat::new(spec.format.as_deref(), jiff::tz::TimeZone::UTC);
        let mut arr = Vec::with_capacity(list.len());
        for (k, b) in list {
            let mut m = Map::new();
            k.put(&mut m, &fmt);
            b.render(subs, nb, &mut m)?;
            arr.push(Value::Object(m));
        }
        let mut out = Map::new();
        out.insert("doc_count_error_upper_bound".into(), json!(0));
        out.insert(
            "sum_other_doc_count".into(),
            json!(total.saturating_sub(shown)),
        );
        out.insert("buckets".into(), Value::Array(arr));
        Ok(out)
    }
}
