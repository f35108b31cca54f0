//! `match_phrase`: analyzed terms at their positions, with `slop`.

use serde_json::Value;
use tantivy::query::{EmptyQuery, PhraseQuery, Query as TQuery, TermQuery};
use tantivy::schema::IndexRecordOption;

use super::field::Target;
use super::{Ctx, options, scalar_text, single_field};
use crate::error::Result;

/// A `match_phrase` query.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchPhraseQuery {
    /// The field.
    pub field: String,
    /// The phrase.
    pub query: String,
    /// Allowed moves between terms.
    pub slop: u32,
}

pub(super) fn parse(body: &Value) -> Result<MatchPhraseQuery> {
    let (field, v) = single_field("match_phrase", body)?;
    let o = options(v, "query");
    Ok(MatchPhraseQuery {
        field: field.to_string(),
        query: scalar_text("match_phrase", o.get("query"))?,
        slop: o
            .get("slop")
            .and_then(Value::as_u64)
            .map_or(0, |s| s.min(u64::from(u32::MAX)) as u32),
    })
}

impl MatchPhraseQuery {
    pub(super) fn compile(&self, ctx: &Ctx<'_>) -> Result<Box<dyn TQuery>> {
        compile_phrase(ctx, &self.field, &self.query, self.slop)
    }
}

/// The phrase logic shared with `multi_match` and `query_string`.
pub(super) fn compile_phrase(
    ctx: &Ctx<'_>,
    field: &str,
    query: &str,
    slop: u32,
) -> Result<Box<dyn TQuery>> {
    let Some(target) = ctx.target(field) else {
        return Ok(Box::new(EmptyQuery));
    };
    let Target::Text(path) = &target else {
        return ctx.exact_query(&target, &Value::String(query.to_string()), false);
    };
    let tokens = ctx.analyze(query);
    match tokens.len() {
        0 => Ok(Box::new(EmptyQuery)),
        1 => Ok(Box::new(TermQuery::new(
            ctx.text_term(path, &tokens[0].1),
            IndexRecordOption::WithFreqs,
        ))),
        _ => {
            let terms = tokens
                .iter()
                .map(|(pos, tok)| (*pos, ctx.text_term(path, tok)))
                .collect();
            Ok(Box::new(PhraseQuery::new_with_offset_and_slop(terms, slop)))
        }
    }
}
