//! Numeric metrics: `min`, `max`, `avg`, `sum`, `value_count`, `stats` and `extended_stats`
//! (`sigma`), with `missing` and `value_as_string` for date fields. An empty set gives `null`
//! for min/max/avg and 0 for sum and value_count, as ES does.

use serde_json::{Map, Value, json};
use tantivy::DocId;

use super::format::DateFormat;
use super::{Seg, ValKind};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Min,
    Max,
    Avg,
    Sum,
    ValueCount,
    Stats,
    ExtendedStats,
}

/// A parsed metric.
#[derive(Debug)]
pub(crate) struct Spec {
    pub(crate) field: String,
    ty: Ty,
    name: &'static str,
    missing: Option<f64>,
    format: Option<String>,
    sigma: f64,
}

impl Spec {
    pub(crate) fn parse(name: &str, body: &Value) -> Result<Spec> {
        let (ty, name): (Ty, &'static str) = match name {
            "min" => (Ty::Min, "min"),
            "max" => (Ty::Max, "max"),
            "avg" => (Ty::Avg, "avg"),
            "sum" => (Ty::Sum, "sum"),
            "value_count" => (Ty::ValueCount, "value_count"),
            "stats" => (Ty::Stats, "stats"),
            _ => (Ty::ExtendedStats, "extended_stats"),
        };
        let o = super::options(
            name,
            body,
            &["field", "missing", "format", "sigma", "value_type"],
        )?;
        let missing = match o.get("missing") {
            Some(Value::String(s)) => crate::date::parse_date(s)
                .map(|ms| ms as f64)
                .or_else(|| s.trim().parse().ok()),
            _ => super::f64_opt(name, o, "missing")?,
        };
        let sigma = super::f64_opt(name, o, "sigma")?.unwrap_or(2.0);
        if sigma < 0.0 {
            return Err(Error::IllegalArgument(format!(
                "[sigma] must be greater than or equal to 0. Found [{sigma}] in [{name}]"
            )));
        }
        Ok(Spec {
            field: super::field_required(name, o)?,
            ty,
            name,
            missing,
            format: o.get("format").and_then(Value::as_str).map(str::to_string),
            sigma,
        })
    }
}

/// The running statistics of a metric.
#[derive(Debug)]
pub(crate) struct State {
    count: u64,
    sum: f64,
    sum_sq: f64,
    min: f64,
    max: f64,
    kind: Option<ValKind>,
    ty: Ty,
}

impl State {
    pub(crate) fn new(spec: &Spec) -> State {
        State {
            ty: spec.ty,
            count: 0,
            sum: 0.0,
            sum_sq: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            kind: None,
        }
    }

    #[inline]
    fn add(&mut self, v: f64) {
        self.count += 1;
        self.sum += v;
        self.sum_sq += v * v;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    pub(crate) fn collect(&mut self, spec: &Spec, seg: &Seg<'_>, docs: &[DocId]) -> Result<()> {
        if spec.ty == Ty::ValueCount {
            let f = seg.field(&spec.field, true)?;
            if f.kind.is_some() {
                self.kind = f.kind;
            }
            if spec.missing.is_none() {
                let mut n = 0u64;
                f.for_each_ord_bulk(docs, |_| n += 1);
                self.count += n;
                return Ok(());
            }
            for &doc in docs {
                let mut n = 0u64;
                f.for_each_ord(doc, |_| n += 1);
                if n == 0 && spec.missing.is_some() {
                    n = 1;
                }
                self.count += n;
            }
            return Ok(());
        }
        let f = seg.field(&spec.field, false)?;
        if f.kind == Some(ValKind::Keyword) {
            return Err(Error::IllegalArgument(format!(
                "Field [{}] of type [keyword] is not supported for aggregation [{}]",
                spec.field, spec.name
            )));
        }
        if f.kind.is_some() {
            self.kind = f.kind;
        }
        if spec.missing.is_none() {
            f.for_each_num_bulk(docs, |v| self.add(v));
            return Ok(());
        }
        for &doc in docs {
            let before = self.count;
            f.for_each_num(doc, |v| self.add(v));
            if self.count == before
                && let Some(m) = spec.missing
            {
                self.add(m);
            }
        }
        Ok(())
    }

    fn opt(&self, v: f64) -> Option<f64> {
        (self.count > 0).then_some(v)
    }

    fn avg(&self) -> Option<f64> {
        self.opt(self.sum / self.count as f64)
    }

    fn variance_pop(&self) -> Option<f64> {
        let n = self.count as f64;
        self.opt(((self.sum_sq - self.sum * self.sum / n) / n).max(0.0))
    }

    fn variance_sample(&self) -> Option<f64> {
        let n = self.count as f64;
        if self.count < 2 {
            return None;
        }
        Some(((self.sum_sq - self.sum * self.sum / n) / (n - 1.0)).max(0.0))
    }

    /// The value a bucket `order` path names.
    pub(crate) fn order_value(&self, prop: Option<&str>) -> Option<f64> {
        match prop {
            None | Some("value") => match self.ty {
                Ty::Min => self.opt(self.min),
                Ty::Max => self.opt(self.max),
                Ty::Avg => self.avg(),
                Ty::Sum => Some(self.sum),
                Ty::ValueCount => Some(self.count as f64),
                Ty::Stats | Ty::ExtendedStats => None,
            },
            Some("count") => Some(self.count as f64),
            Some("min") => self.opt(self.min),
            Some("max") => self.opt(self.max),
            Some("avg") => self.avg(),
            Some("sum") => Some(self.sum),
            Some("variance" | "variance_population") => self.variance_pop(),
            Some("variance_sampling") => self.variance_sample(),
            Some("std_deviation" | "std_deviation_population") => {
                self.variance_pop().map(f64::sqrt)
            }
            Some("std_deviation_sampling") => self.variance_sample().map(f64::sqrt),
            Some("sum_of_squares") => self.opt(self.sum_sq),
            Some(_) => None,
        }
    }

    pub(crate) fn finish(self, spec: &Spec) -> Map<String, Value> {
        let is_date = self.kind == Some(ValKind::Date);
        let num_fmt = spec
            .format
            .as_deref()
            .filter(|_| !is_date)
            .and_then(super::format::NumFormat::parse);
        let date = is_date || num_fmt.is_some();
        let fmt = DateFormat::new(spec.format.as_deref(), jiff::tz::TimeZone::UTC);
        let show = |x: f64| -> String {
            match &num_fmt {
                Some(f) => f.format(x),
                None => fmt.format(x as i64),
            }
        };
        let num = |v: Option<f64>| v.map_or(Value::Null, |x| json!(x));
        let mut out = Map::new();
        let put = |out: &mut Map<String, Value>, key: &str, v: Option<f64>| {
            out.insert(key.to_string(), num(v));
            if date && let Some(x) = v {
                let k = if key == "value" {
                    "value_as_string".to_string()
                } else {
                    format!("{key}_as_string")
                };
                out.insert(k, json!(show(x)));
            }
        };
        match self.ty {
            Ty::Min => put(&mut out, "value", self.opt(self.min)),
            Ty::Max => put(&mut out, "value", self.opt(self.max)),
            Ty::Avg => put(&mut out, "value", self.avg()),
            Ty::Sum => put(&mut out, "value", Some(self.sum)),
            Ty::ValueCount => {
                out.insert("value".into(), json!(self.count));
            }
            Ty::Stats | Ty::ExtendedStats => {
                out.insert("count".into(), json!(self.count));
                put(&mut out, "min", self.opt(self.min));
                put(&mut out, "max", self.opt(self.max));
                put(&mut out, "avg", self.avg());
                put(&mut out, "sum", Some(self.sum));
                if self.ty == Ty::ExtendedStats {
                    let vp = self.variance_pop();
                    let vs = self.variance_sample();
                    let sp = vp.map(f64::sqrt);
                    let ss = vs.map(f64::sqrt);
                    let avg = self.avg();
                    out.insert("sum_of_squares".into(), num(self.opt(self.sum_sq)));
                    out.insert("variance".into(), num(vp));
                    out.insert("variance_population".into(), num(vp));
                    out.insert("variance_sampling".into(), num(vs));
                    out.insert("std_deviation".into(), num(sp));
                    out.insert("std_deviation_population".into(), num(sp));
                    out.insert("std_deviation_sampling".into(), num(ss));
                    let b = |sd: Option<f64>, up: bool| match (avg, sd) {
                        (Some(a), Some(s)) => json!(if up {
                            a + spec.sigma * s
                        } else {
                            a - spec.sigma * s
                        }),
                        _ => Value::Null,
                    };
                    out.insert(
                        "std_deviation_bounds".into(),
                        json!({
                            "upper": b(sp, true), "lower": b(sp, false),
                            "upper_population": b(sp, true), "lower_population": b(sp, false),
                            "upper_sampling": b(ss, true), "lower_sampling": b(ss, false),
                        }),
                    );
                }
            }
        }
        out
    }
}
