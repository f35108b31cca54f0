//! The Elasticsearch query DSL: JSON → [`Query`] (an AST, one file per query type) → tantivy
//! queries over one index's mapping ([`Ctx`]). Parsing errors carry ES's `parsing_exception`
//! texts; `now` in date math comes from the caller (the project clock).

mod bool_query;
mod constant_score;
mod exists;
mod field;
mod highlight_terms;
mod ids;
mod match_all;
mod match_phrase;
mod match_query;
mod multi_match;
mod prefix;
mod query_string;
mod range;
mod regexp;
mod simple_query_string;
mod term;
mod terms;
mod wildcard;

use serde_json::{Map, Value};
use tantivy::query::{EmptyQuery, Query as TQuery};
use tantivy::tokenizer::TextAnalyzer;

use crate::error::{Error, Result};
use crate::index::{Fields, LogIndex};
use crate::mapping::Mapping;

pub use bool_query::BoolQuery;
pub(crate) use highlight_terms::{HlKind, HlTerm};
pub use match_query::Operator;
pub use range::RangeQuery;

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    /// `match_all`.
    MatchAll,
    /// `match_none`.
    MatchNone,
    /// `match`.
    Match(match_query::MatchQuery),
    /// `match_phrase`.
    MatchPhrase(match_phrase::MatchPhraseQuery),
    /// `multi_match`.
    MultiMatch(multi_match::MultiMatchQuery),
    /// `term`.
    Term(term::TermQuery),
    /// `terms`.
    Terms(terms::TermsQuery),
    /// `range`.
    Range(RangeQuery),
    /// `bool`.
    Bool(BoolQuery),
    /// `exists`.
    Exists(exists::ExistsQuery),
    /// `prefix`.
    Prefix(prefix::PrefixQuery),
    /// `wildcard`.
    Wildcard(wildcard::WildcardQuery),
    /// `regexp`.
    Regexp(regexp::RegexpQuery),
    /// `ids`.
    Ids(ids::IdsQuery),
    /// `query_string` / `simple_query_string`: the Lucene syntax tree, expanded per index.
    QueryString(query_string::QueryStringQuery),
    /// A query that differs per index (an alias `filter` applied to the indices reached through
    /// the alias): the query of the index by name, else the default.
    PerIndex(Vec<(String, Query)>, Box<Query>),
    /// `constant_score`: its filter, every hit scoring the boost (default 1).
    ConstantScore(Box<Query>, f32),
}

/// Parses a query object (`{"match": {...}}`).
pub fn parse(v: &Value) -> Result<Query> {
    let Some(obj) = v.as_object() else {
        return Err(Error::Parsing(
            "[_na] query malformed, must start with start_object".into(),
        ));
    };
    let mut it = obj.iter();
    let Some((name, body)) = it.next() else {
        return Ok(Query::MatchAll);
    };
    if let Some((extra, _)) = it.next() {
        return Err(Error::Parsing(format!(
            "[{name}] malformed query, expected [END_OBJECT] but found [FIELD_NAME] ([{extra}])"
        )));
    }
    Ok(match name.as_str() {
        "match_all" => Query::MatchAll,
        "match_none" => Query::MatchNone,
        "match" => Query::Match(match_query::parse(body)?),
        "match_phrase" => Query::MatchPhrase(match_phrase::parse(body)?),
        "multi_match" => Query::MultiMatch(multi_match::parse(body)?),
        "term" => Query::Term(term::parse(body)?),
        "terms" => Query::Terms(terms::parse(body)?),
        "range" => Query::Range(range::parse(body)?),
        "bool" => Query::Bool(bool_query::parse(body)?),
        "constant_score" => constant_score::parse(body)?,
        "exists" => Query::Exists(exists::parse(body)?),
        "prefix" => Query::Prefix(prefix::parse(body)?),
        "wildcard" => Query::Wildcard(wildcard::parse(body)?),
        "regexp" => Query::Regexp(regexp::parse(body)?),
        "ids" => Query::Ids(ids::parse(body)?),
        "query_string" => query_string::parse(body)?,
        "simple_query_string" => simple_query_string::parse(body)?,
        other => return Err(Error::Parsing(format!("unknown query [{other}]"))),
    })
}

/// What a query is compiled against: one index's mapping and fields, and `now`.
pub struct Ctx<'a> {
    index_name: String,
    mapping: &'a Mapping,
    fields: Fields,
    analyzer: TextAnalyzer,
    now_ms: i64,
}

impl<'a> Ctx<'a> {
    /// The context of one index.
    pub fn new(index: &LogIndex, mapping: &'a Mapping, now_ms: i64) -> Ctx<'a> {
        let analyzer = index
            .tantivy()
            .tokenizers()
            .get(crate::index::TEXT_ANALYZER)
            .unwrap_or_else(|| TextAnalyzer::from(tantivy::tokenizer::SimpleTokenizer::default()));
        Ctx {
            index_name: index.name().to_string(),
            mapping,
            fields: index.fields(),
            analyzer,
            now_ms,
        }
    }

    /// Analyzes text into tokens with their positions.
    pub(crate) fn analyze(&self, text: &str) -> Vec<(usize, String)> {
        let mut analyzer = self.analyzer.clone();
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            let t = stream.token();
            out.push((t.position, t.text.clone()));
        }
        out
    }
}

impl Query {
    /// Compiles the query for one index.
    pub fn compile(&self, ctx: &Ctx<'_>) -> Result<Box<dyn TQuery>> {
        match self {
            Query::MatchAll => match_all::compile(),
            Query::MatchNone => Ok(Box::new(EmptyQuery)),
            Query::Match(q) => q.compile(ctx),
            Query::MatchPhrase(q) => q.compile(ctx),
            Query::MultiMatch(q) => q.compile(ctx),
            Query::Term(q) => q.compile(ctx),
            Query::Terms(q) => q.compile(ctx),
            Query::Range(q) => q.compile(ctx),
            Query::Bool(q) => q.compile(ctx),
            Query::Exists(q) => q.compile(ctx),
            Query::Prefix(q) => q.compile(ctx),
            Query::Wildcard(q) => q.compile(ctx),
            Query::Regexp(q) => q.compile(ctx),
            Query::Ids(q) => q.compile(ctx),
            Query::QueryString(q) => q.compile(ctx),
            Query::PerIndex(scoped, default) => scoped
                .iter()
                .find(|(name, _)| *name == ctx.index_name)
                .map_or(default.as_ref(), |(_, q)| q)
                .compile(ctx),
            Query::ConstantScore(q, boost) => Ok(Box::new(tantivy::query::ConstScoreQuery::new(
                q.compile(ctx)?,
                *boost,
            ))),
        }
    }
}

/// The single `{"<field>": <body>}` entry of a field-level query.
pub(crate) fn single_field<'v>(query: &str, body: &'v Value) -> Result<(&'v str, &'v Value)> {
    let Some(obj) = body.as_object() else {
        return Err(Error::Parsing(format!(
            "[{query}] query malformed, no start_object after query name"
        )));
    };
    let mut it = obj.iter();
    let Some((field, v)) = it.next() else {
        return Err(Error::Parsing(format!(
            "[{query}] query doesn't support multiple fields, found none"
        )));
    };
    if let Some((other, _)) = it.next() {
        return Err(Error::Parsing(format!(
            "[{query}] query doesn't support multiple fields, found [{field}] and [{other}]"
        )));
    }
    Ok((field.as_str(), v))
}

/// The options object of a field-level query written long-hand, or `{value_key: v}` short-hand.
pub(crate) fn options(v: &Value, value_key: &str) -> Map<String, Value> {
    match v {
        Value::Object(o) => o.clone(),
        other => {
            let mut m = Map::new();
            m.insert(value_key.to_string(), other.clone());
            m
        }
    }
}

/// A scalar as text (`"a"`, `1`, `true`).
pub(crate) fn scalar_text(query: &str, v: Option<&Value>) -> Result<String> {
    match v {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(Value::Bool(b)) => Ok(b.to_string()),
        _ => Err(Error::Parsing(format!("[{query}] requires a value"))),
    }
}

/// Resolves `minimum_should_match` (`2`, `-1`, `75%`, `-25%`) against a clause count.
pub(crate) fn minimum_should_match(spec: &Value, clauses: usize) -> Result<usize> {
    let text = match spec {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_string(),
        _ => {
            return Err(Error::Parsing(
                "[minimum_should_match] must be a number or a string".into(),
            ));
        }
    };
    let n = clauses as i64;
    let res = if let Some(pct) = text.strip_suffix('%') {
        let p: i64 = pct
            .parse()
            .map_err(|_| Error::Parsing(format!("invalid minimum_should_match [{text}]")))?;
        if p < 0 {
            n + (n * p) / 100
        } else {
            (n * p) / 100
        }
    } else {
        let k: i64 = text
            .parse()
            .map_err(|_| Error::Parsing(format!("invalid minimum_should_match [{text}]")))?;
        if k < 0 { n + k } else { k }
    };
    Ok(res.clamp(0, n) as usize)
}

#[cfg(test)]
pub(crate) mod golden_tests;
