//! `missing`: one bucket of the documents without a value in `field`.

use serde_json::Value;
use tantivy::DocId;

use super::{Agg, Bucket, Seg};
use crate::error::Result;

const TY: &str = "missing";

/// A parsed `missing`.
#[derive(Debug)]
pub(crate) struct Spec {
    pub(crate) field: String,
}

impl Spec {
    pub(crate) fn parse(body: &Value) -> Result<Spec> {
        let o = super::options(TY, body, &["field"])?;
        Ok(Spec {
            field: super::field_required(TY, o)?,
        })
    }
}

/// Counts the documents of one segment without a value.
pub(crate) fn collect(
    b: &mut Bucket,
    spec: &Spec,
    subs: &[Agg],
    seg: &Seg<'_>,
    docs: &[DocId],
) -> Result<()> {
    let f = seg.field(&spec.field, true)?;
    let none: Vec<DocId> = docs.iter().copied().filter(|d| !f.has_value(*d)).collect();
    b.collect(subs, seg, &none)
}
