//! `terms`: any of several exact values (at most 65,536).

use serde_json::Value;
use tantivy::query::{BooleanQuery, ConstScoreQuery, EmptyQuery, Occur, Query as TQuery};

use super::Ctx;
use crate::error::{Error, Result};

/// A `terms` query.
#[derive(Debug, Clone, PartialEq)]
pub struct TermsQuery {
    /// The field.
    pub field: String,
    /// The values.
    pub values: Vec<Value>,
}

const MAX_TERMS: usize = 65_536;

pub(super) fn parse(body: &Value) -> Result<TermsQuery> {
    let Some(obj) = body.as_object() else {
        return Err(Error::Parsing(
            "[terms] query malformed, no start_object after query name".into(),
        ));
    };
    let mut found = None;
    for (k, v) in obj {
        if k == "boost" || k == "_name" {
            continue;
        }
        let Value::Array(values) = v else {
            return Err(Error::Parsing(format!(
                "[terms] query does not support [{k}]"
            )));
        };
        if found.is_some() {
            return Err(Error::Parsing(
                "[terms] query does not support multiple fields".into(),
            ));
        }
        found = Some((k.clone(), values.clone()));
    }
    let (field, values) =
        found.ok_or_else(|| Error::Parsing("[terms] query requires a field".into()))?;
    if values.len() > MAX_TERMS {
        return Err(Error::IllegalArgument(format!(
            "The number of terms [{}] used in the Terms Query request has exceeded the allowed maximum of [{MAX_TERMS}].",
            values.len()
        )));
    }
    Ok(TermsQuery { field, values })
}

impl TermsQuery {
    pub(super) fn compile(&self, ctx: &Ctx<'_>) -> Result<Box<dyn TQuery>> {
        let Some(target) = ctx.target(&self.field) else {
            return Ok(Box::new(EmptyQuery));
        };
        let mut clauses: Vec<(Occur, Box<dyn TQuery>)> = Vec::with_capacity(self.values.len());
        for v in &self.values {
            clauses.push((Occur::Should, ctx.exact_query(&target, v, false)?));
        }
        if clauses.is_empty() {
            return Ok(Box::new(EmptyQuery));
        }
        Ok(Box::new(ConstScoreQuery::new(
            Box::new(BooleanQuery::new(clauses)),
            1.0,
        )))
    }
}
