//! `regexp`: an anchored regular expression over values, not analyzed.

use serde_json::Value;
use tantivy::query::{EmptyQuery, Query as TQuery};

use super::{Ctx, options, scalar_text, single_field};
use crate::error::Result;

/// A `regexp` query.
#[derive(Debug, Clone, PartialEq)]
pub struct RegexpQuery {
    /// The field.
    pub field: String,
    /// The expression.
    pub value: String,
    /// `case_insensitive`.
    pub case_insensitive: bool,
}

pub(super) fn parse(body: &Value) -> Result<RegexpQuery> {
    let (field, v) = single_field("regexp", body)?;
    let o = options(v, "value");
    Ok(RegexpQuery {
        field: field.to_string(),
        value: scalar_text("regexp", o.get("value"))?,
        case_insensitive: o
            .get("case_insensitive")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

impl RegexpQuery {
    pub(super) fn compile(&self, ctx: &Ctx<'_>) -> Result<Box<dyn TQuery>> {
        let Some(t) = ctx.target(&self.field) else {
            return Ok(Box::new(EmptyQuery));
        };
        let flag = if self.case_insensitive { "(?i)" } else { "" };
        ctx.regex_query(&t, &format!("{flag}{}", self.value))
    }
}
