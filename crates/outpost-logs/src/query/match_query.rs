//! `match`: the input analyzed with the field's analyzer; `operator` OR (default) / AND and
//! `minimum_should_match` over its terms. On exact fields the whole input is one term.

use serde_json::Value;
use tantivy::query::{BooleanQuery, EmptyQuery, Occur, Query as TQuery, TermQuery};
use tantivy::schema::IndexRecordOption;

use super::field::Target;
use super::{Ctx, minimum_should_match, options, scalar_text, single_field};
use crate::error::{Error, Result};

/// `operator` of match queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Operator {
    /// Any term.
    #[default]
    Or,
    /// All terms.
    And,
}

impl Operator {
    pub(super) fn parse(v: Option<&Value>) -> Result<Operator> {
        match v
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("or") => Ok(Operator::Or),
            Some("and") => Ok(Operator::And),
            Some(other) => Err(Error::Parsing(format!(
                "[match] unknown operator [{other}]"
            ))),
        }
    }
}

/// A `match` query.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchQuery {
    /// The field.
    pub field: String,
    /// The input text.
    pub query: String,
    /// OR / AND.
    pub operator: Operator,
    /// `minimum_should_match`, raw.
    pub minimum_should_match: Option<Value>,
    /// `zero_terms_query: all`.
    pub zero_terms_all: bool,
}

pub(super) fn parse(body: &Value) -> Result<MatchQuery> {
    let (field, v) = single_field("match", body)?;
    let o = options(v, "query");
    Ok(MatchQuery {
        field: field.to_string(),
        query: scalar_text("match", o.get("query"))?,
        operator: Operator::parse(o.get("operator"))?,
        minimum_should_match: o.get("minimum_should_match").cloned(),
        zero_terms_all: o.get("zero_terms_query").and_then(Value::as_str) == Some("all"),
    })
}

impl MatchQuery {
    pub(super) fn compile(&self, ctx: &Ctx<'_>) -> Result<Box<dyn TQuery>> {
        compile_match(
            ctx,
            &self.field,
            &self.query,
            self.operator,
            self.minimum_should_match.as_ref(),
            self.zero_terms_all,
        )
    }
}

/// The match logic shared with `multi_match` and `query_string`.
pub(super) fn compile_match(
    ctx: &Ctx<'_>,
    field: &str,
    query: &str,
    operator: Operator,
    msm: Option<&Value>,
    zero_terms_all: bool,
) -> Result<Box<dyn TQuery>> {
    let Some(target) = ctx.target(field) else {
        return Ok(Box::new(EmptyQuery));
    };
    let Target::Text(path) = &target else {
        return match ctx.exact_query(&target, &Value::String(query.to_string()), false) {
            Ok(q) => Ok(q),
            // a value the field's type cannot hold matches nothing here (lenient multi-field use)
            Err(_) if field.contains('*') => Ok(Box::new(EmptyQuery)),
            Err(e) => Err(e),
        };
    };
    let tokens = ctx.analyze(query);
    if tokens.is_empty() {
        return Ok(if zero_terms_all {
            Box::new(tantivy::query::AllQuery)
        } else {
            Box::new(EmptyQuery)
        });
    }
    let clauses: Vec<(Occur, Box<dyn TQuery>)> = tokens
        .iter()
        .map(|(_, tok)| {
            let occur = if operator == Operator::And {
                Occur::Must
            } else {
                Occur::Should
            };
            let q: Box<dyn TQuery> = Box::new(TermQuery::new(
                ctx.text_term(path, tok),
                IndexRecordOption::WithFreqs,
            ));
            (occur, q)
        })
        .collect();
    if clauses.len() == 1 {
        return Ok(clauses
            .into_iter()
            .next()
            .map(|(_, q)| q)
            .unwrap_or_else(|| Box::new(EmptyQuery)));
    }
    let min = match (operator, msm) {
        (Operator::Or, Some(spec)) => minimum_should_match(spec, clauses.len())?.max(1),
        _ => 1,
    };
    Ok(if operator == Operator::Or && min > 1 {
        Box::new(BooleanQuery::with_minimum_required_clauses(clauses, min))
    } else {
        Box::new(BooleanQuery::new(clauses))
    })
}
