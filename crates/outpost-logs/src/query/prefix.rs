//! `prefix`: values starting with a prefix, not analyzed.

use serde_json::Value;
use tantivy::query::{EmptyQuery, Query as TQuery};

use super::field::regex_escape;
use super::{Ctx, options, scalar_text, single_field};
use crate::error::Result;

/// A `prefix` query.
#[derive(Debug, Clone, PartialEq)]
pub struct PrefixQuery {
    /// The field.
    pub field: String,
    /// The prefix.
    pub value: String,
    /// `case_insensitive`.
    pub case_insensitive: bool,
}

pub(super) fn parse(body: &Value) -> Result<PrefixQuery> {
    let (field, v) = single_field("prefix", body)?;
    let o = options(v, "value");
    Ok(PrefixQuery {
        field: field.to_string(),
        value: scalar_text("prefix", o.get("value"))?,
        case_insensitive: o
            .get("case_insensitive")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

impl PrefixQuery {
    pub(super) fn compile(&self, ctx: &Ctx<'_>) -> Result<Box<dyn TQuery>> {
        let Some(t) = ctx.target(&self.field) else {
            return Ok(Box::new(EmptyQuery));
        };
        let flag = if self.case_insensitive { "(?i)" } else { "" };
        ctx.regex_query(&t, &format!("{flag}{}.*", regex_escape(&self.value)))
    }
}
