//! `wildcard`: `*` and `?` patterns over values, not analyzed.

use serde_json::Value;
use tantivy::query::{EmptyQuery, Query as TQuery};

use super::field::wildcard_to_regex;
use super::{Ctx, options, scalar_text, single_field};
use crate::error::Result;

/// A `wildcard` query.
#[derive(Debug, Clone, PartialEq)]
pub struct WildcardQuery {
    /// The field.
    pub field: String,
    /// The pattern.
    pub value: String,
    /// `case_insensitive`.
    pub case_insensitive: bool,
}

pub(super) fn parse(body: &Value) -> Result<WildcardQuery> {
    let (field, v) = single_field("wildcard", body)?;
    let o = options(v, "value");
    let value = match o.get("value").or_else(|| o.get("wildcard")) {
        Some(v) => scalar_text("wildcard", Some(v))?,
        None => scalar_text("wildcard", None)?,
    };
    Ok(WildcardQuery {
        field: field.to_string(),
        value,
        case_insensitive: o
            .get("case_insensitive")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

impl WildcardQuery {
    pub(super) fn compile(&self, ctx: &Ctx<'_>) -> Result<Box<dyn TQuery>> {
        let Some(t) = ctx.target(&self.field) else {
            return Ok(Box::new(EmptyQuery));
        };
        let flag = if self.case_insensitive { "(?i)" } else { "" };
        ctx.regex_query(&t, &format!("{flag}{}", wildcard_to_regex(&self.value)))
    }
}
