//! `ids`: documents by `_id`.

use serde_json::Value;
use tantivy::Term;
use tantivy::query::{Query as TQuery, TermSetQuery};

use super::Ctx;
use super::field::text_of;
use crate::error::{Error, Result};

/// An `ids` query.
#[derive(Debug, Clone, PartialEq)]
pub struct IdsQuery {
    /// The ids.
    pub values: Vec<String>,
}

pub(super) fn parse(body: &Value) -> Result<IdsQuery> {
    let values = body
        .get("values")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::Parsing("[ids] query requires [values]".into()))?;
    Ok(IdsQuery {
        values: values.iter().map(text_of).collect(),
    })
}

impl IdsQuery {
    pub(super) fn compile(&self, ctx: &Ctx<'_>) -> Result<Box<dyn TQuery>> {
        let terms = self
            .values
            .iter()
            .map(|id| Term::from_field_text(ctx.fields.id, id));
        Ok(Box::new(TermSetQuery::new(terms)))
    }
}
