//! `percentiles`: exact percentiles over every value (not a sketch). A percentile is read from
//! the sorted values the way a t-digest whose centroids are all single values reads it: value
//! `i` sits at rank `i + 0.5`, ranks between two values interpolate linearly, ranks below the
//! first or above the last give the min or max. `percents` (default 1, 5, 25, 50, 75, 95, 99),
//! `keyed` (default true, keys like `"95.0"`), `missing`; `tdigest`/`hdr` options are accepted.

use serde_json::{Map, Value, json};
use tantivy::DocId;

use super::format::java_double;
use super::{Seg, ValKind};
use crate::error::{Error, Result};

const TY: &str = "percentiles";

/// A parsed `percentiles`.
#[derive(Debug)]
pub(crate) struct Spec {
    pub(crate) field: String,
    percents: Vec<f64>,
    keyed: bool,
    missing: Option<f64>,
}

impl Spec {
    pub(crate) fn parse(body: &Value) -> Result<Spec> {
        let o = super::options(
            TY,
            body,
            &[
                "field",
                "percents",
                "keyed",
                "missing",
                "tdigest",
                "hdr",
                "format",
                "method",
                "compression",
            ],
        )?;
        let percents = match o.get("percents") {
            None | Some(Value::Null) => vec![1.0, 5.0, 25.0, 50.0, 75.0, 95.0, 99.0],
            Some(Value::Array(a)) => {
                let mut out = Vec::with_capacity(a.len());
                for v in a {
                    let p = v
                        .as_f64()
                        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                        .ok_or_else(|| {
                            Error::XContentParse(format!("[{TY}] failed to parse field [percents]"))
                        })?;
                    if !(0.0..=100.0).contains(&p) {
                        return Err(Error::IllegalArgument(format!(
                            "percent must be in [0,100], got [{}]: [{TY}]",
                            java_double(p)
                        )));
                    }
                    out.push(p);
                }
                if out.is_empty() {
                    return Err(Error::IllegalArgument(format!(
                        "[percents] must not be empty: [{TY}]"
                    )));
                }
                out
            }
            Some(_) => {
                return Err(Error::XContentParse(format!(
                    "[{TY}] failed to parse field [percents]"
                )));
            }
        };
        Ok(Spec {
            field: super::field_required(TY, o)?,
            percents,
            keyed: super::bool_opt(TY, o, "keyed")?.unwrap_or(true),
            missing: super::f64_opt(TY, o, "missing")?,
        })
    }
}

/// Every value seen.
#[derive(Debug, Default)]
pub(crate) struct State {
    values: Vec<f64>,
}

/// The `p`-th percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    let first = *sorted.first()?;
    let last = *sorted.last()?;
    let rank = p / 100.0 * n as f64;
    if rank <= 0.5 {
        return Some(first);
    }
    if rank >= n as f64 - 0.5 {
        return Some(last);
    }
    let pos = rank - 0.5;
    let i = pos.floor() as usize;
    let frac = pos - i as f64;
    let a = sorted[i];
    let b = sorted.get(i + 1).copied().unwrap_or(a);
    Some(a + (b - a) * frac)
}

impl State {
    pub(crate) fn collect(&mut self, spec: &Spec, seg: &Seg<'_>, docs: &[DocId]) -> Result<()> {
        let f = seg.field(&spec.field, false)?;
        if f.kind == Some(ValKind::Keyword) {
            return Err(Error::IllegalArgument(format!(
                "Field [{}] of type [keyword] is not supported for aggregation [{TY}]",
                spec.field
            )));
        }
        for &doc in docs {
            let before = self.values.len();
            f.for_each_num(doc, |v| self.values.push(v));
            if self.values.len() == before
                && let Some(m) = spec.missing
            {
                self.values.push(m);
            }
        }
        Ok(())
    }

    /// The percentile an `order` path names (`"pct.99"`, `"pct[99.0]"`).
    pub(crate) fn order_value(&self, prop: Option<&str>) -> Option<f64> {
        let p: f64 = prop?.parse().ok()?;
        let mut v = self.values.clone();
        v.sort_by(f64::total_cmp);
        percentile(&v, p)
    }

    pub(crate) fn finish(mut self, spec: &Spec) -> Map<String, Value> {
        self.values.sort_by(f64::total_cmp);
        let val = |p: f64| percentile(&self.values, p).map_or(Value::Null, |x| json!(x));
        let values = if spec.keyed {
            let mut m = Map::new();
            for &p in &spec.percents {
                m.insert(java_double(p), val(p));
            }
            Value::Object(m)
        } else {
            Value::Array(
                spec.percents
                    .iter()
                    .map(|&p| json!({"key": p, "value": val(p)}))
                    .collect(),
            )
        };
        let mut out = Map::new();
        out.insert("values".into(), values);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn singleton_centroids_interpolate_between_ranks() {
        let v = [1.0, 51.0, 101.0, 151.0];
        assert_eq!(percentile(&v, 1.0), Some(1.0));
        assert_eq!(percentile(&v, 25.0), Some(26.0));
        assert_eq!(percentile(&v, 50.0), Some(76.0));
        assert_eq!(percentile(&v, 75.0), Some(126.0));
        assert_eq!(percentile(&v, 99.0), Some(151.0));
        assert_eq!(percentile(&[], 50.0), None);
    }
}
