//! `percentiles`: exact percentiles over every value (not a sketch). A percentile is read from
//! the sorted values the way a t-digest whose centroids are all single values reads it: value
//! `i` sits at rank `i + 0.5`, ranks between two values interpolate linearly, ranks below the
//! first or above the last give the min or max. `percents` (default 1, 5, 25, 50, 75, 95, 99),
//! `keyed` (default true, keys like `"95.0"`), `missing`; `tdigest`/`hdr` options are accepted.
//! With the default compression (100) a rank that falls exactly halfway between two values
//! reads the upper value instead of their midpoint (what ES answers for `[1, 51, 101, 151]`:
//! p25/p50/p75 = 51/101/151); an explicit other `tdigest.compression` interpolates there too
//! (26/76/126). A negative compression is a 400.

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
    /// Whether the compression is the default one (exact halfway ranks read the upper value).
    default_compression: bool,
}

/// The default t-digest compression.
const DEFAULT_COMPRESSION: f64 = 100.0;

/// `tdigest.compression` (or a top-level `compression`), validated.
fn compression(o: &Map<String, Value>) -> Result<Option<f64>> {
    let mut c = super::f64_opt(TY, o, "compression")?;
    if let Some(td) = o.get("tdigest").filter(|v| !v.is_null()) {
        let Some(t) = td.as_object() else {
            return Err(Error::XContentParse(format!(
                "[{TY}] failed to parse field [tdigest]"
            )));
        };
        if let Some(x) = super::f64_opt(TY, t, "compression")? {
            c = Some(x);
        }
    }
    if let Some(x) = c
        && (x.is_nan() || x < 0.0)
    {
        return Err(Error::IllegalArgument(format!(
            "[compression] must be greater than or equal to 0. Found [{}] in [{TY}]",
            java_double(x)
        )));
    }
    Ok(c)
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
            None => vec![1.0, 5.0, 25.0, 50.0, 75.0, 95.0, 99.0],
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
        let default_compression = compression(o)?.is_none_or(|c| c == DEFAULT_COMPRESSION);
        Ok(Spec {
            default_compression,
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

/// The `p`-th percentile of sorted values; `snap`: a rank exactly halfway between two values
/// reads the upper one.
fn percentile(sorted: &[f64], p: f64, snap: bool) -> Option<f64> {
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
    if snap && frac == 0.5 {
        return sorted.get(i + 1).copied();
    }
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
    pub(crate) fn order_value(&self, spec: &Spec, prop: Option<&str>) -> Option<f64> {
        let p: f64 = prop?.parse().ok()?;
        let mut v = self.values.clone();
        v.sort_by(f64::total_cmp);
        percentile(&v, p, spec.default_compression)
    }

    pub(crate) fn finish(mut self, spec: &Spec) -> Map<String, Value> {
        self.values.sort_by(f64::total_cmp);
        let val = |p: f64| {
            percentile(&self.values, p, spec.default_compression).map_or(Value::Null, |x| json!(x))
        };
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
    use super::{Spec, percentile};
    use serde_json::json;

    #[test]
    fn singleton_centroids_interpolate_between_ranks() {
        let v = [1.0, 51.0, 101.0, 151.0];
        assert_eq!(percentile(&v, 1.0, false), Some(1.0));
        assert_eq!(percentile(&v, 25.0, false), Some(26.0));
        assert_eq!(percentile(&v, 50.0, false), Some(76.0));
        assert_eq!(percentile(&v, 75.0, false), Some(126.0));
        assert_eq!(percentile(&v, 99.0, false), Some(151.0));
        assert_eq!(percentile(&[], 50.0, false), None);
    }

    #[test]
    fn default_compression_reads_upper_value_at_halfway_ranks() {
        let v = [1.0, 51.0, 101.0, 151.0];
        assert_eq!(percentile(&v, 5.0, true), Some(1.0));
        assert_eq!(percentile(&v, 25.0, true), Some(51.0));
        assert_eq!(percentile(&v, 50.0, true), Some(101.0));
        assert_eq!(percentile(&v, 75.0, true), Some(151.0));
        let v = [51.0, 101.0, 151.0];
        assert_eq!(percentile(&v, 25.0, true), Some(63.5));
        assert_eq!(percentile(&v, 50.0, true), Some(101.0));
        assert_eq!(percentile(&v, 75.0, true), Some(138.5));
    }

    #[test]
    fn compression_is_validated() {
        let s = Spec::parse(&json!({"field": "x"})).unwrap();
        assert!(s.default_compression);
        let s = Spec::parse(&json!({"field": "x", "tdigest": {"compression": 200}})).unwrap();
        assert!(!s.default_compression);
        let e = Spec::parse(&json!({"field": "x", "tdigest": {"compression": -1}})).unwrap_err();
        assert_eq!(e.status(), 400);
        let null = Spec::parse(&json!({"field": "x", "percents": null})).unwrap_err();
        assert_eq!(null.status(), 400);
        assert!(
            e.to_string()
                .contains("[compression] must be greater than or equal to 0. Found [-1.0]"),
            "{e}"
        );
    }
}
