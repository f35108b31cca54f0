//! `filter` (one bucket of the documents a query matches) and `filters` (named buckets: an
//! object keyed by name, sorted by name; anonymous: an array in request order), with
//! `other_bucket` / `other_bucket_key` for the documents no filter matches.

use serde_json::{Map, Value};
use tantivy::DocId;

use super::{Agg, Bucket, Seg};
use crate::error::{Error, Result};
use crate::query::Query;

const TY: &str = "filters";

/// A parsed `filter`.
#[derive(Debug)]
pub(crate) struct FilterSpec {
    query: Query,
}

impl FilterSpec {
    pub(crate) fn parse(body: &Value) -> Result<FilterSpec> {
        Ok(FilterSpec {
            query: super::parse_query(body)?,
        })
    }
}

/// Counts the documents of one segment that `filter` matches.
pub(crate) fn collect_filter(
    b: &mut Bucket,
    spec: &FilterSpec,
    subs: &[Agg],
    seg: &Seg<'_>,
    docs: &[DocId],
) -> Result<()> {
    let mut matched = Vec::new();
    super::filter_docs(&spec.query, seg, docs, &mut matched)?;
    b.collect(subs, seg, &matched)
}

/// A parsed `filters`.
#[derive(Debug)]
pub(crate) struct Spec {
    named: bool,
    keyed: bool,
    filters: Vec<(String, Query)>,
    other: Option<String>,
}

impl Spec {
    pub(crate) fn parse(body: &Value) -> Result<Spec> {
        let o = super::options(
            TY,
            body,
            &["filters", "other_bucket", "other_bucket_key", "keyed"],
        )?;
        let (named, mut filters) = match o.get("filters") {
            Some(Value::Object(m)) => {
                let mut f = Vec::with_capacity(m.len());
                for (k, q) in m {
                    f.push((k.clone(), super::parse_query(q)?));
                }
                (true, f)
            }
            Some(Value::Array(a)) => {
                let mut f = Vec::with_capacity(a.len());
                for (i, q) in a.iter().enumerate() {
                    f.push((i.to_string(), super::parse_query(q)?));
                }
                (false, f)
            }
            _ => {
                return Err(Error::IllegalArgument(
                    "[filters] cannot be null or empty.".into(),
                ));
            }
        };
        if named {
            filters.sort_by(|a, b| a.0.cmp(&b.0));
        }
        let key = o
            .get("other_bucket_key")
            .and_then(Value::as_str)
            .map(str::to_string);
        let other = match (super::bool_opt(TY, o, "other_bucket")?, key) {
            (Some(false), _) => None,
            (Some(true), k) => Some(k.unwrap_or_else(|| "_other_".into())),
            (None, Some(k)) => Some(k),
            (None, None) => None,
        };
        Ok(Spec {
            named,
            keyed: super::bool_opt(TY, o, "keyed")?.unwrap_or(named),
            filters,
            other,
        })
    }
}

/// The merged buckets of a `filters`.
#[derive(Debug)]
pub(crate) struct State {
    buckets: Vec<Bucket>,
    other: Bucket,
}

impl State {
    pub(crate) fn new(spec: &Spec, subs: &[Agg]) -> State {
        State {
            buckets: spec.filters.iter().map(|_| Bucket::new(subs)).collect(),
            other: Bucket::new(subs),
        }
    }

    pub(crate) fn collect(
        &mut self,
        spec: &Spec,
        subs: &[Agg],
        seg: &Seg<'_>,
        docs: &[DocId],
    ) -> Result<()> {
        let mut matched = Vec::new();
        let mut any = vec![false; if spec.other.is_some() { docs.len() } else { 0 }];
        for ((_, q), b) in spec.filters.iter().zip(self.buckets.iter_mut()) {
            super::filter_docs(q, seg, docs, &mut matched)?;
            if !any.is_empty() {
                let mut j = 0;
                for d in &matched {
                    while j < docs.len() && docs[j] < *d {
                        j += 1;
                    }
                    if j < docs.len() && docs[j] == *d {
                        any[j] = true;
                    }
                }
            }
            b.collect(subs, seg, &matched)?;
        }
        if spec.other.is_some() {
            let rest: Vec<DocId> = docs
                .iter()
                .zip(&any)
                .filter(|(_, m)| !**m)
                .map(|(d, _)| *d)
                .collect();
            self.other.collect(subs, seg, &rest)?;
        }
        Ok(())
    }

    pub(crate) fn finish(
        self,
        spec: &Spec,
        subs: &[Agg],
        nb: &mut usize,
    ) -> Result<Map<String, Value>> {
        let mut list: Vec<(String, Bucket)> = spec
            .filters
            .iter()
            .map(|(k, _)| k.clone())
            .zip(self.buckets)
            .collect();
        if let Some(k) = &spec.other {
            list.push((k.clone(), self.other));
        }
        super::count_buckets(nb, list.len())?;
        let mut keyed = Map::new();
        let mut arr = Vec::new();
        for (k, b) in list {
            let mut m = Map::new();
            if !spec.keyed && spec.named {
                m.insert("key".into(), Value::String(k.clone()));
            }
            b.render(subs, nb, &mut m)?;
            if spec.keyed && spec.named {
                keyed.insert(k, Value::Object(m));
            } else {
                arr.push(Value::Object(m));
            }
        }
        let mut out = Map::new();
        out.insert(
            "buckets".into(),
            if spec.keyed && spec.named {
                Value::Object(keyed)
            } else {
                Value::Array(arr)
            },
        );
        Ok(out)
    }
}
