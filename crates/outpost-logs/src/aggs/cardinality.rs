//! `cardinality`: the number of distinct values, counted exactly (a set of the encoded values;
//! `precision_threshold` is accepted and has no effect).

use std::collections::HashSet;

use serde_json::{Map, Value, json};
use tantivy::DocId;

use super::Seg;
use crate::error::{Error, Result};

const TY: &str = "cardinality";

/// A parsed `cardinality`.
#[derive(Debug)]
pub(crate) struct Spec {
    pub(crate) field: String,
    missing: Option<Value>,
}

impl Spec {
    pub(crate) fn parse(body: &Value, name: &str) -> Result<Spec> {
        let o = super::options(
            TY,
            body,
            &["field", "precision_threshold", "missing", "execution_hint"],
        )?;
        if let Some(p) = o.get("precision_threshold").and_then(Value::as_i64)
            && p < 0
        {
            return Err(Error::IllegalArgument(format!(
                "[precisionThreshold] must be greater than or equal to 0. Found [{p}] in [{name}]"
            )));
        }
        Ok(Spec {
            field: super::field_required(TY, o)?,
            missing: o.get("missing").filter(|v| !v.is_null()).cloned(),
        })
    }
}

/// The distinct encoded values seen so far.
#[derive(Debug, Default)]
pub(crate) struct State {
    seen: HashSet<Box<[u8]>>,
    missing_seen: bool,
}

impl State {
    pub(crate) fn collect(&mut self, spec: &Spec, seg: &Seg<'_>, docs: &[DocId]) -> Result<()> {
        let f = seg.field(&spec.field, true)?;
        let n = f.num_ords();
        let mut marks = vec![false; n];
        let mut none = false;
        if spec.missing.is_none() {
            f.for_each_ord_bulk(docs, |o| marks[o as usize] = true);
        } else {
            for &doc in docs {
                let mut any = false;
                f.for_each_ord(doc, |o| {
                    any = true;
                    marks[o as usize] = true;
                });
                none |= !any;
            }
        }
        let ords: Vec<u64> = marks
            .iter()
            .enumerate()
            .filter(|(_, m)| **m)
            .map(|(o, _)| o as u64)
            .collect();
        f.bytes_of(&ords, |b| {
            if !self.seen.contains(b) {
                self.seen.insert(b.into());
            }
        })?;
        if none && spec.missing.is_some() {
            self.missing_seen = true;
        }
        Ok(())
    }

    /// The distinct count.
    pub(crate) fn count(&self) -> u64 {
        self.seen.len() as u64 + u64::from(self.missing_seen)
    }

    pub(crate) fn finish(self) -> Map<String, Value> {
        let mut out = Map::new();
        out.insert("value".into(), json!(self.count()));
        out
    }
}
