//! `multi_match`: one match per field (`fields` with `^boost` and wildcards, default `*`),
//! combined by `type`: best_fields (default, best score), most_fields (sum), phrase.

use serde_json::Value;
use tantivy::query::{
    BooleanQuery, BoostQuery, DisjunctionMaxQuery, EmptyQuery, Occur, Query as TQuery,
};

use super::match_phrase::compile_phrase;
use super::match_query::{Operator, compile_match};
use super::{Ctx, scalar_text};
use crate::error::{Error, Result};

/// A `multi_match` query.
#[derive(Debug, Clone, PartialEq)]
pub struct MultiMatchQuery {
    /// Field patterns with optional `^boost`.
    pub fields: Vec<String>,
    /// The input.
    pub query: String,
    /// `type`.
    pub kind: String,
    /// OR / AND.
    pub operator: Operator,
    /// `minimum_should_match`, raw.
    pub minimum_should_match: Option<Value>,
    /// `slop` for phrase types.
    pub slop: u32,
}

pub(super) fn parse(body: &Value) -> Result<MultiMatchQuery> {
    let query = scalar_text("multi_match", body.get("query"))?;
    let fields = match body.get("fields") {
        None => vec!["*".to_string()],
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(_) => {
            return Err(Error::Parsing(
                "[multi_match] unknown token in [fields]".into(),
            ));
        }
    };
    let kind = body
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("best_fields")
        .to_string();
    if !matches!(
        kind.as_str(),
        "best_fields" | "most_fields" | "cross_fields" | "phrase" | "phrase_prefix" | "bool_prefix"
    ) {
        return Err(Error::Parsing(format!(
            "failed to parse [multi_match] query type [{kind}]. unknown type."
        )));
    }
    Ok(MultiMatchQuery {
        fields,
        query,
        kind,
        operator: Operator::parse(body.get("operator"))?,
        minimum_should_match: body.get("minimum_should_match").cloned(),
        slop: body
            .get("slop")
            .and_then(Value::as_u64)
            .map_or(0, |s| s.min(1000) as u32),
    })
}

impl MultiMatchQuery {
    pub(super) fn compile(&self, ctx: &Ctx<'_>) -> Result<Box<dyn TQuery>> {
        let mut per_field: Vec<Box<dyn TQuery>> = Vec::new();
        for pattern in &self.fields {
            let boost = pattern
                .split_once('^')
                .and_then(|(_, b)| b.parse::<f32>().ok());
            for field in ctx.expand(pattern) {
                let lenient = pattern.contains('*');
                let q = if self.kind.starts_with("phrase") {
                    compile_phrase(ctx, &field, &self.query, self.slop)
                } else {
                    compile_match(
                        ctx,
                        &field,
                        &self.query,
                        self.operator,
                        self.minimum_should_match.as_ref(),
                        false,
                    )
                };
                let q = match q {
                    Ok(q) => q,
                    Err(_) if lenient => continue,
                    Err(e) => return Err(e),
                };
                per_field.push(match boost {
                    Some(b) => Box::new(BoostQuery::new(q, b)),
                    None => q,
                });
            }
        }
        Ok(match per_field.len() {
            0 => Box::new(EmptyQuery),
            1 => per_field.pop().unwrap_or_else(|| Box::new(EmptyQuery)),
            _ if self.kind == "most_fields" => Box::new(BooleanQuery::new(
                per_field.into_iter().map(|q| (Occur::Should, q)).collect(),
            )),
            _ => Box::new(DisjunctionMaxQuery::new(per_field)),
        })
    }
}
