//! `range` and `date_range`: buckets `[from, to)` (both optional; `date_range` bounds are dates or
//! date math), sorted by `from` then `to` as ES sorts them; keys `"*-50.0"`/`"50.0-150.0"` (dates
//! formatted with `format` in `time_zone`) or a custom `key`; `keyed`; `missing`.

use serde_json::{Map, Value, json};
use tantivy::DocId;

use super::format::{DateFormat, java_double, parse_tz};
use super::{Agg, Bucket, Seg, ValKind};
use crate::date::{Rounding, eval_date_math};
use crate::error::{Error, Result};

#[derive(Debug)]
struct R {
    key: Option<String>,
    from: Option<f64>,
    to: Option<f64>,
}

/// A parsed `range` / `date_range`.
#[derive(Debug)]
pub(crate) struct Spec {
    pub(crate) field: String,
    ty: &'static str,
    ranges: Vec<R>,
    keyed: bool,
    date: bool,
    format: DateFormat,
    missing: Option<f64>,
}

fn bound(ty: &str, v: Option<&Value>, date: bool, now_ms: i64, key: &str) -> Result<Option<f64>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(Value::String(s)) if date => eval_date_math(s, now_ms, Rounding::Down)
            .map(|ms| Some(ms as f64))
            .map_err(|e| Error::Parsing(format!("[{ty}] failed to parse field [{key}]: {e}"))),
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

impl Spec {
    pub(crate) fn parse(body: &Value, date: bool, now_ms: i64) -> Result<Spec> {
        let ty = if date { "date_range" } else { "range" };
        let o = super::options(
            ty,
            body,
            &["field", "ranges", "keyed", "format", "time_zone", "missing"],
        )?;
        let field = super::field_required(ty, o)?;
        let Some(Value::Array(items)) = o.get("ranges") else {
            return Err(Error::IllegalArgument(format!(
                "No [ranges] specified for the [{ty}] aggregation"
            )));
        };
        let mut ranges = Vec::with_capacity(items.len());
        for it in items {
            let Some(r) = it.as_object() else {
                return Err(Error::XContentParse(format!(
                    "[{ty}] failed to parse field [ranges]"
                )));
            };
            for k in r.keys() {
                if !matches!(k.as_str(), "from" | "to" | "key") {
                    return Err(Error::XContentParse(format!("[range] unknown field [{k}]")));
                }
            }
            ranges.push(R {
                key: r.get("key").and_then(Value::as_str).map(str::to_string),
                from: bound(ty, r.get("from"), date, now_ms, "from")?,
                to: bound(ty, r.get("to"), date, now_ms, "to")?,
            });
        }
        ranges.sort_by(|a, b| {
            a.from
                .unwrap_or(f64::NEG_INFINITY)
                .total_cmp(&b.from.unwrap_or(f64::NEG_INFINITY))
                .then_with(|| {
                    a.to.unwrap_or(f64::INFINITY)
                        .total_cmp(&b.to.unwrap_or(f64::INFINITY))
                })
        });
        let tz = match o.get("time_zone").and_then(Value::as_str) {
            Some(s) => parse_tz(ty, s)?,
            None => jiff::tz::TimeZone::UTC,
        };
        Ok(Spec {
            field,
            ty,
            ranges,
            keyed: super::bool_opt(ty, o, "keyed")?.unwrap_or(false),
            date,
            format: DateFormat::new(o.get("format").and_then(Value::as_str), tz),
            missing: bound(ty, o.get("missing"), date, now_ms, "missing")?,
        })
    }
}

/// The merged buckets of a `range`, one per range.
#[derive(Debug)]
pub(crate) struct State {
    buckets: Vec<Bucket>,
}

impl State {
    pub(crate) fn new(spec: &Spec, subs: &[Agg]) -> State {
        State {
            buckets: spec.ranges.iter().map(|_| Bucket::new(subs)).collect(),
        }
    }

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
                "Field [{}] of type [keyword] is not supported for aggregation [{}]",
                spec.field, spec.ty
            )));
        }
        let mut pairs: Vec<(i64, DocId)> = Vec::new();
        for &doc in docs {
            let mut visit = |v: f64| {
                for (i, r) in spec.ranges.iter().enumerate() {
                    if r.from.is_none_or(|x| v >= x) && r.to.is_none_or(|x| v < x) {
                        pairs.push((i as i64, doc));
                    }
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
            match self.buckets.get_mut(i as usize) {
                Some(b) => b.collect(subs, seg, group),
                None => Ok(()),
            }
        })
    }

    pub(crate) fn finish(
        self,
        spec: &Spec,
        subs: &[Agg],
        nb: &mut usize,
    ) -> Result<Map<String, Value>> {
        super::count_buckets(nb, self.buckets.len())?;
        let mut arr = Vec::new();
        let mut keyed = Map::new();
        for (r, b) in spec.ranges.iter().zip(self.buckets) {
            let from_s = r.from.map(|x| text(spec, x));
            let to_s = r.to.map(|x| text(spec, x));
            let key = r.key.clone().unwrap_or_else(|| {
                format!(
                    "{}-{}",
                    from_s.as_deref().unwrap_or("*"),
                    to_s.as_deref().unwrap_or("*")
                )
            });
            let mut m = Map::new();
            if !spec.keyed {
                m.insert("key".into(), json!(key));
            }
            if let Some(x) = r.from {
                m.insert("from".into(), json!(x));
                if spec.date {
                    m.insert("from_as_string".into(), json!(from_s));
                }
            }
            if let Some(x) = r.to {
                m.insert("to".into(), json!(x));
                if spec.date {
                    m.insert("to_as_string".into(), json!(to_s));
                }
            }
            b.render(subs, nb, &mut m)?;
            if spec.keyed {
                keyed.insert(key, Value::Object(m));
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

fn text(spec: &Spec, x: f64) -> String {
    if spec.date {
        spec.format.format(x as i64)
    } else {
        java_double(x)
    }
}
