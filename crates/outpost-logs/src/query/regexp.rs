//! `regexp`: an anchored regular expression over values, not analyzed.

use serde_json::Value;
use tantivy::query::{EmptyQuery, Query as TQuery};

use super::{Ctx, options, scalar_text, single_field};
use crate::error::{Error, Result};

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

/// `index.max_regex_length`.
pub(super) const MAX_REGEX_LENGTH: usize = 1000;

/// Refuses an expression longer than `index.max_regex_length` (UTF-16 units, as ES counts).
pub(super) fn check_length(value: &str) -> Result<()> {
    let len = value.encode_utf16().count();
    if len > MAX_REGEX_LENGTH {
        return Err(Error::IllegalArgument(format!(
            "The length of regex [{len}] used in the Regexp Query request has exceeded the allowed maximum of [{MAX_REGEX_LENGTH}]. This maximum can be set by changing the [index.max_regex_length] index level setting."
        )));
    }
    Ok(())
}

pub(super) fn parse(body: &Value) -> Result<RegexpQuery> {
    let (field, v) = single_field("regexp", body)?;
    let o = options(v, "value");
    let value = scalar_text("regexp", o.get("value"))?;
    check_length(&value)?;
    Ok(RegexpQuery {
        field: field.to_string(),
        value,
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn long_expressions_are_refused() {
        let ok = "a".repeat(MAX_REGEX_LENGTH);
        assert!(parse(&json!({"f": ok})).is_ok());
        let long = "a".repeat(1110);
        let e = parse(&json!({"f": {"value": long}})).unwrap_err();
        assert_eq!(e.es_type(), "illegal_argument_exception");
        assert!(e.to_string().starts_with(
            "The length of regex [1110] used in the Regexp Query request has exceeded the allowed maximum of [1000]."
        ));
        // query_string's `/regex/` terms are held to the same limit
        let s = crate::query::golden_tests::corpus();
        let q = format!("/{}/", "a".repeat(1110));
        let e = s
            .search(
                "logs-*",
                &json!({"query": {"query_string": {"query": q}}}),
                crate::SearchOptions::default(),
            )
            .unwrap_err();
        assert!(e.to_string().starts_with("The length of regex [1110]"));
    }
}
