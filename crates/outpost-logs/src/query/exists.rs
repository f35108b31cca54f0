//! `exists`: documents with an indexed non-null value under the path (objects count through
//! their children).

use serde_json::Value;
use tantivy::Term;
use tantivy::query::{Query as TQuery, TermQuery};
use tantivy::schema::IndexRecordOption;

use super::Ctx;
use crate::encode;
use crate::error::{Error, Result};

/// An `exists` query.
#[derive(Debug, Clone, PartialEq)]
pub struct ExistsQuery {
    /// The field.
    pub field: String,
}

pub(super) fn parse(body: &Value) -> Result<ExistsQuery> {
    let field = body
        .get("field")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Parsing("[exists] must be provided with a [field]".into()))?;
    Ok(ExistsQuery {
        field: field.to_string(),
    })
}

impl ExistsQuery {
    pub(super) fn compile(&self, ctx: &Ctx<'_>) -> Result<Box<dyn TQuery>> {
        if self.field == "_id" {
            return Ok(Box::new(tantivy::query::AllQuery));
        }
        exists_query(ctx, &self.field)
    }
}

/// The exists logic shared with `query_string`'s `_exists_:f` and `f:*`.
pub(super) fn exists_query(ctx: &Ctx<'_>, field: &str) -> Result<Box<dyn TQuery>> {
    let term = Term::from_field_bytes(ctx.fields.ex, &encode::prefix(field, encode::EXISTS));
    Ok(Box::new(TermQuery::new(term, IndexRecordOption::Basic)))
}
