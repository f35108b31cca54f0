//! `bool`: `must` (scored), `filter` (not scored), `should`, `must_not`; ES 7/8's
//! `minimum_should_match` default: 1 when there are `should` clauses and no `must`/`filter`,
//! else 0.

use serde_json::Value;
use tantivy::query::{AllQuery, BooleanQuery, ConstScoreQuery, Occur, Query as TQuery};

use super::{Ctx, Query, minimum_should_match, parse as parse_query};
use crate::error::{Error, Result};

/// A `bool` query.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BoolQuery {
    /// `must`.
    pub must: Vec<Query>,
    /// `filter`.
    pub filter: Vec<Query>,
    /// `should`.
    pub should: Vec<Query>,
    /// `must_not`.
    pub must_not: Vec<Query>,
    /// `minimum_should_match`, raw.
    pub minimum_should_match: Option<Value>,
}

fn clauses(v: &Value) -> Result<Vec<Query>> {
    match v {
        Value::Array(a) => a.iter().map(parse_query).collect(),
        Value::Object(_) => Ok(vec![parse_query(v)?]),
        _ => Err(Error::Parsing(
            "[bool] query malformed, expected an object or array".into(),
        )),
    }
}

pub(super) fn parse(body: &Value) -> Result<BoolQuery> {
    let Some(o) = body.as_object() else {
        return Err(Error::Parsing(
            "[bool] query malformed, no start_object after query name".into(),
        ));
    };
    let mut q = BoolQuery::default();
    for (k, v) in o {
        match k.as_str() {
            "must" => q.must = clauses(v)?,
            "filter" => q.filter = clauses(v)?,
            "should" => q.should = clauses(v)?,
            "must_not" | "mustNot" => q.must_not = clauses(v)?,
            "minimum_should_match" => q.minimum_should_match = Some(v.clone()),
            "boost" | "_name" | "adjust_pure_negative" => {}
            other => {
                return Err(Error::Parsing(format!(
                    "[bool] query does not support [{other}]"
                )));
            }
        }
    }
    Ok(q)
}

impl BoolQuery {
    pub(super) fn compile(&self, ctx: &Ctx<'_>) -> Result<Box<dyn TQuery>> {
        let mut out: Vec<(Occur, Box<dyn TQuery>)> = Vec::new();
        for q in &self.must {
            out.push((Occur::Must, q.compile(ctx)?));
        }
        for q in &self.filter {
            out.push((
                Occur::Must,
                Box::new(ConstScoreQuery::new(q.compile(ctx)?, 0.0)),
            ));
        }
        let min_should = match &self.minimum_should_match {
            Some(spec) => minimum_should_match(spec, self.should.len())?,
            None if self.must.is_empty() && self.filter.is_empty() && !self.should.is_empty() => 1,
            None => 0,
        };
        for q in &self.should {
            out.push((Occur::Should, q.compile(ctx)?));
        }
        for q in &self.must_not {
            out.push((Occur::MustNot, q.compile(ctx)?));
        }
        if !out.iter().any(|(o, _)| *o != Occur::MustNot) {
            // a pure negative (or empty) bool matches everything not excluded
            out.push((
                Occur::Must,
                Box::new(ConstScoreQuery::new(
                    Box::new(AllQuery),
                    if self.must_not.is_empty() { 1.0 } else { 0.0 },
                )),
            ));
        }
        let has_required = out.iter().any(|(o, _)| *o == Occur::Must);
        if min_should > 0 && has_required {
            // should clauses become a required group of their own
            let shoulds: Vec<(Occur, Box<dyn TQuery>)> = out
                .iter()
                .filter(|(o, _)| *o == Occur::Should)
                .map(|(o, q)| (*o, q.box_clone()))
                .collect();
            out.retain(|(o, _)| *o != Occur::Should);
            out.push((
                Occur::Must,
                Box::new(BooleanQuery::with_minimum_required_clauses(
                    shoulds, min_should,
                )),
            ));
            return Ok(Box::new(BooleanQuery::new(out)));
        }
        Ok(Box::new(BooleanQuery::with_minimum_required_clauses(
            out, min_should,
        )))
    }
}
