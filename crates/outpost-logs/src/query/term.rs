//! `term`: one exact value, not analyzed (on a text field it matches a single indexed token).

use serde_json::Value;
use tantivy::query::{EmptyQuery, Query as TQuery};

use super::{Ctx, options, single_field};
use crate::error::{Error, Result};

/// A `term` query.
#[derive(Debug, Clone, PartialEq)]
pub struct TermQuery {
    /// The field.
    pub field: String,
    /// The value.
    pub value: Value,
    /// `case_insensitive` (keyword fields).
    pub case_insensitive: bool,
}

pub(super) fn parse(body: &Value) -> Result<TermQuery> {
    let (field, v) = single_field("term", body)?;
    let o = options(v, "value");
    let value = o
        .get("value")
        .cloned()
        .ok_or_else(|| Error::Parsing("[term] query requires a value".into()))?;
    if value.is_object() || value.is_array() || value.is_null() {
        return Err(Error::Parsing(
            "[term] query does not support array of values".into(),
        ));
    }
    Ok(TermQuery {
        field: field.to_string(),
        value,
        case_insensitive: o
            .get("case_insensitive")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

impl TermQuery {
    pub(super) fn compile(&self, ctx: &Ctx<'_>) -> Result<Box<dyn TQuery>> {
        match ctx.target(&self.field) {
            None => Ok(Box::new(EmptyQuery)),
            Some(t) => ctx.exact_query(&t, &self.value, self.case_insensitive),
        }
    }
}
