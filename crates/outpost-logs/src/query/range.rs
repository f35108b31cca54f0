//! `range`: `gt/gte/lt/lte` over numbers, dates (date math with ES's rounding per bound,
//! `format: epoch_millis`) and keywords. `@timestamp` uses its fast field.

use std::ops::Bound;

use serde_json::Value;
use tantivy::query::{EmptyQuery, Query as TQuery, RangeQuery as TRangeQuery};
use tantivy::{DateTime, Term};

use super::field::{Target, text_of};
use super::{Ctx, single_field};
use crate::date::{Rounding, eval_date_math};
use crate::encode;
use crate::error::{Error, Result};
use crate::mapping::FieldType;

/// A `range` query.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeQuery {
    /// The field.
    pub field: String,
    /// `gt`.
    pub gt: Option<Value>,
    /// `gte` (also `from`).
    pub gte: Option<Value>,
    /// `lt`.
    pub lt: Option<Value>,
    /// `lte` (also `to`).
    pub lte: Option<Value>,
    /// `format` (only `epoch_millis`/`epoch_second` change how numbers read).
    pub format: Option<String>,
}

pub(super) fn parse(body: &Value) -> Result<RangeQuery> {
    let (field, v) = single_field("range", body)?;
    let Some(o) = v.as_object() else {
        return Err(Error::Parsing(format!(
            "[range] query malformed, no start_object after field [{field}]"
        )));
    };
    let mut q = RangeQuery {
        field: field.to_string(),
        gt: None,
        gte: None,
        lt: None,
        lte: None,
        format: None,
    };
    for (k, v) in o {
        let v = if v.is_null() { None } else { Some(v.clone()) };
        match k.as_str() {
            "gt" => q.gt = v,
            "gte" | "from" => q.gte = v,
            "lt" => q.lt = v,
            "lte" | "to" => q.lte = v,
            "format" => q.format = v.as_ref().and_then(Value::as_str).map(str::to_string),
            "time_zone" | "boost" | "relation" | "_name" | "include_lower" | "include_upper" => {}
            other => {
                return Err(Error::Parsing(format!(
                    "[range] query does not support [{other}]"
                )));
            }
        }
    }
    Ok(q)
}

impl RangeQuery {
    fn date_bound(&self, v: &Value, now: i64, rounding: Rounding) -> Result<i64> {
        let scale = match self.format.as_deref() {
            Some("epoch_second") => 1000,
            _ => 1,
        };
        if let Value::Number(n) = v {
            let base = n
                .as_i64()
                .or_else(|| n.as_f64().map(|f| f as i64))
                .unwrap_or(0);
            return Ok(base.saturating_mul(scale));
        }
        let s = text_of(v);
        if self
            .format
            .as_deref()
            .is_some_and(|f| f.starts_with("epoch_"))
            && let Ok(n) = s.trim().parse::<i64>()
        {
            return Ok(n.saturating_mul(scale));
        }
        eval_date_math(&s, now, rounding).map_err(Error::Parsing)
    }

    /// The bounds as epoch ms, with ES's rounding per side (`gt` and `lte` round up).
    pub fn date_bounds(&self, now: i64) -> Result<(Bound<i64>, Bound<i64>)> {
        let lower = match (&self.gt, &self.gte) {
            (Some(v), _) => Bound::Excluded(self.date_bound(v, now, Rounding::Up)?),
            (None, Some(v)) => Bound::Included(self.date_bound(v, now, Rounding::Down)?),
            _ => Bound::Unbounded,
        };
        let upper = match (&self.lt, &self.lte) {
            (Some(v), _) => Bound::Excluded(self.date_bound(v, now, Rounding::Down)?),
            (None, Some(v)) => Bound::Included(self.date_bound(v, now, Rounding::Up)?),
            _ => Bound::Unbounded,
        };
        Ok((lower, upper))
    }

    pub(super) fn compile(&self, ctx: &Ctx<'_>) -> Result<Box<dyn TQuery>> {
        let Some(target) = ctx.target(&self.field) else {
            return Ok(Box::new(EmptyQuery));
        };
        let Target::Exact(path, ty) = &target else {
            return Ok(Box::new(EmptyQuery));
        };
        match ty {
            FieldType::Date => {
                let (lo, hi) = self.date_bounds(ctx.now_ms)?;
                if path == "@timestamp" {
                    let f = ctx.fields.ts;
                    // tantivy keeps nanoseconds in an i64: clamp to its range (years 1677..2262)
                    let t = |ms: i64| {
                        let ms = ms.clamp(i64::MIN / 1_000_000, i64::MAX / 1_000_000);
                        Term::from_field_date(f, DateTime::from_timestamp_millis(ms))
                    };
                    let lo = match lo {
                        Bound::Included(x) => Bound::Included(t(x)),
                        Bound::Excluded(x) => Bound::Included(t(x.saturating_add(1))),
                        Bound::Unbounded => Bound::Unbounded,
                    };
                    let hi = match hi {
                        Bound::Included(x) => Bound::Included(t(x)),
                        Bound::Excluded(x) => Bound::Included(t(x.saturating_sub(1))),
                        Bound::Unbounded => Bound::Unbounded,
                    };
                    if lo == Bound::Unbounded && hi == Bound::Unbounded {
                        return super::exists::exists_query(ctx, path);
                    }
                    return Ok(Box::new(TRangeQuery::new(lo, hi)));
                }
                let enc = |b: Bound<i64>| map(b, |x| encode::long(path, encode::DATE, x));
                Ok(ctx.kv_range(path, encode::DATE, enc(lo), enc(hi)))
            }
            FieldType::Long => {
                let num = |v: &Value| -> Result<f64> {
                    match v {
                        Value::Number(n) => n.as_f64().ok_or_else(|| bad(path, v)),
                        Value::String(s) => s.trim().parse::<f64>().map_err(|_| bad(path, v)),
                        _ => Err(bad(path, v)),
                    }
                };
                let enc = |x: i64| encode::long(path, encode::LONG, x);
                let lo = match (&self.gt, &self.gte) {
                    (Some(v), _) => Bound::Excluded(enc(num(v)?.floor() as i64)),
                    (None, Some(v)) => Bound::Included(enc(num(v)?.ceil() as i64)),
                    _ => Bound::Unbounded,
                };
                let hi = match (&self.lt, &self.lte) {
                    (Some(v), _) => Bound::Excluded(enc(num(v)?.ceil() as i64)),
                    (None, Some(v)) => Bound::Included(enc(num(v)?.floor() as i64)),
                    _ => Bound::Unbounded,
                };
                Ok(ctx.kv_range(path, encode::LONG, lo, hi))
            }
            FieldType::Double(_) => {
                let num = |v: &Value| -> Result<Vec<u8>> {
                    let x = match v {
                        Value::Number(n) => n.as_f64(),
                        Value::String(s) => s.trim().parse::<f64>().ok(),
                        _ => None,
                    };
                    x.map(|x| encode::double(path, x))
                        .ok_or_else(|| bad(path, v))
                };
                let (lo, hi) = self.bounds(num)?;
                Ok(ctx.kv_range(path, encode::DOUBLE, lo, hi))
            }
            FieldType::Keyword { .. } => {
                let (lo, hi) = self.bounds(|v| Ok(encode::keyword(path, &text_of(v))))?;
                Ok(ctx.kv_range(path, encode::KEYWORD, lo, hi))
            }
            _ => Ok(Box::new(EmptyQuery)),
        }
    }

    fn bounds(&self, enc: impl Fn(&Value) -> Result<Vec<u8>>) -> Result<BytesBounds> {
        let lo = match (&self.gt, &self.gte) {
            (Some(v), _) => Bound::Excluded(enc(v)?),
            (None, Some(v)) => Bound::Included(enc(v)?),
            _ => Bound::Unbounded,
        };
        let hi = match (&self.lt, &self.lte) {
            (Some(v), _) => Bound::Excluded(enc(v)?),
            (None, Some(v)) => Bound::Included(enc(v)?),
            _ => Bound::Unbounded,
        };
        Ok((lo, hi))
    }
}

/// Lower and upper bound of encoded terms.
type BytesBounds = (Bound<Vec<u8>>, Bound<Vec<u8>>);

fn map<T, U>(b: Bound<T>, f: impl Fn(T) -> U) -> Bound<U> {
    match b {
        Bound::Included(x) => Bound::Included(f(x)),
        Bound::Excluded(x) => Bound::Excluded(f(x)),
        Bound::Unbounded => Bound::Unbounded,
    }
}

fn bad(path: &str, v: &Value) -> Error {
    Error::IllegalArgument(format!(
        "failed to create query: for input string: \"{}\" on field [{path}]",
        text_of(v)
    ))
}
