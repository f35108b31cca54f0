//! `query_string`: Lucene syntax (`field:value`, `field:(a OR b)`, `"phrase"~2`, AND/OR/NOT,
//! `&& || !`, `+must -must_not`, grouping, `_exists_:f`, `f:*`, wildcards, `/regex/`, ranges
//! `[a TO b]`, `{a TO *}`, `>=10`, `^boost`, `\` escapes). The text is checked when the request
//! is parsed and expanded per index at compile time, because its default field `*` means every
//! field of that index's mapping.

use serde_json::{Value, json};
use tantivy::query::Query as TQuery;

use super::bool_query::BoolQuery;
use super::exists::ExistsQuery;
use super::ids::IdsQuery;
use super::match_phrase::MatchPhraseQuery;
use super::match_query::{MatchQuery, Operator};
use super::range::RangeQuery;
use super::regexp::RegexpQuery;
use super::wildcard::WildcardQuery;
use super::{Ctx, Query};
use crate::error::{Error, Result};

/// A parsed `query_string` / `simple_query_string`, expanded per index.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryStringQuery {
    /// The clauses.
    pub root: Node,
    /// Default fields (`*` when none given).
    pub fields: Vec<String>,
}

/// A node of the Lucene query syntax.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// Clauses with their occurrence.
    Group(Vec<(Occur, Node)>),
    /// A leaf, on a field or on the default fields.
    Leaf(Option<String>, Leaf),
}

/// How a clause must occur.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occur {
    /// Required.
    Must,
    /// Optional.
    Should,
    /// Excluded.
    MustNot,
}

/// A leaf term.
#[derive(Debug, Clone, PartialEq)]
pub enum Leaf {
    /// A word (analyzed on text fields).
    Term(String),
    /// A quoted phrase with slop.
    Phrase(String, u32),
    /// A wildcard pattern.
    Wildcard(String),
    /// `/regex/`.
    Regex(String),
    /// A range with inclusive flags; `None` = open.
    Range(Option<String>, bool, Option<String>, bool),
    /// `_exists_:f` or `f:*`.
    Exists,
}

pub(super) fn parse(body: &Value) -> Result<Query> {
    parse_with(body, false)
}

/// Parses `query_string` (`simple = false`) or `simple_query_string`.
pub(super) fn parse_with(body: &Value, simple: bool) -> Result<Query> {
    let name = if simple {
        "simple_query_string"
    } else {
        "query_string"
    };
    let text = body
        .get("query")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Parsing(format!("[{name}] must be provided with a [query]")))?;
    let mut fields: Vec<String> = match body.get("fields") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    if let Some(f) = body.get("default_field").and_then(Value::as_str) {
        fields.push(f.to_string());
    }
    if fields.is_empty() {
        fields.push("*".into());
    }
    let op_and = body
        .get("default_operator")
        .and_then(Value::as_str)
        .is_some_and(|s| s.eq_ignore_ascii_case("and"));
    let tokens = lex(text, simple);
    for t in &tokens {
        if let Tok::Regex(r) = t {
            super::regexp::check_length(r)?;
        }
    }
    let mut p = Parser {
        tokens,
        pos: 0,
        default_and: op_and,
        simple,
        depth: 0,
    };
    let root = match p.parse_query() {
        Ok(n) if p.pos >= p.tokens.len() => n,
        Ok(_) | Err(_) if simple => Node::Group(
            text.split_whitespace()
                .map(|w| (Occur::Should, Node::Leaf(None, Leaf::Term(w.to_string()))))
                .collect(),
        ),
        Ok(_) => return Err(failed(text, "encountered unexpected token")),
        Err(e) => return Err(failed(text, &e)),
    };
    Ok(Query::QueryString(QueryStringQuery { root, fields }))
}

fn failed(text: &str, why: &str) -> Error {
    Error::Parsing(format!("Failed to parse query [{text}]: {why}"))
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    And,
    Or,
    Not,
    Plus,
    Minus,
    Word(String, bool),
    Quoted(String, u32),
    Regex(String),
    Range(Option<String>, bool, Option<String>, bool),
    Field(String),
}

fn lex(s: &str, simple: bool) -> Vec<Tok> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        match c {
            '(' => {
                out.push(Tok::LParen);
                i += 1;
                continue;
            }
            ')' => {
                out.push(Tok::RParen);
                i += 1;
                continue;
            }
            '+' if simple
                && !out.is_empty()
                && !matches!(out.last(), Some(Tok::LParen | Tok::Or | Tok::And)) =>
            {
                out.push(Tok::And);
                i += 1;
                continue;
            }
            '+' => {
                out.push(Tok::Plus);
                i += 1;
                continue;
            }
            '-' => {
                out.push(Tok::Minus);
                i += 1;
                continue;
            }
            '|' if simple => {
                out.push(Tok::Or);
                i += 1;
                continue;
            }
            '!' if !simple => {
                out.push(Tok::Not);
                i += 1;
                continue;
            }
            '&' if !simple && chars.get(i + 1) == Some(&'&') => {
                out.push(Tok::And);
                i += 2;
                continue;
            }
            '|' if chars.get(i + 1) == Some(&'|') => {
                out.push(Tok::Or);
                i += 2;
                continue;
            }
            '"' => {
                let mut j = i + 1;
                let mut text = String::new();
                while j < chars.len() && chars[j] != '"' {
                    if chars[j] == '\\' && j + 1 < chars.len() {
                        j += 1;
                    }
                    text.push(chars[j]);
                    j += 1;
                }
                i = (j + 1).min(chars.len());
                let mut slop = 0;
                if chars.get(i) == Some(&'~') {
                    let mut k = i + 1;
                    while k < chars.len() && chars[k].is_ascii_digit() {
                        k += 1;
                    }
                    slop = chars[i + 1..k]
                        .iter()
                        .collect::<String>()
                        .parse()
                        .unwrap_or(0);
                    i = k;
                }
                out.push(Tok::Quoted(text, slop));
                continue;
            }
            '/' if !simple => {
                let mut j = i + 1;
                let mut text = String::new();
                while j < chars.len() && chars[j] != '/' {
                    if chars[j] == '\\' && j + 1 < chars.len() {
                        text.push('\\');
                        j += 1;
                    }
                    text.push(chars[j]);
                    j += 1;
                }
                i = (j + 1).min(chars.len());
                out.push(Tok::Regex(text));
                continue;
            }
            '[' | '{' if !simple => {
                let incl_lo = c == '[';
                let mut j = i + 1;
                while j < chars.len() && chars[j] != ']' && chars[j] != '}' {
                    j += 1;
                }
                let inner: String = chars[i + 1..j.min(chars.len())].iter().collect();
                let incl_hi = chars.get(j) == Some(&']');
                i = (j + 1).min(chars.len());
                let mut parts = inner.splitn(2, " TO ");
                let lo = parts
                    .next()
                    .unwrap_or("")
                    .trim()
                    .trim_matches('"')
                    .to_string();
                let hi = parts
                    .next()
                    .unwrap_or("*")
                    .trim()
                    .trim_matches('"')
                    .to_string();
                let open = |s: String| {
                    if s == "*" || s.is_empty() {
                        None
                    } else {
                        Some(s)
                    }
                };
                out.push(Tok::Range(open(lo), incl_lo, open(hi), incl_hi));
                continue;
            }
            _ => {}
        }
        // a word, possibly `field:`, possibly `>=x`
        let mut word = String::new();
        let mut escaped_any = false;
        while i < chars.len() {
            let ch = chars[i];
            if ch == '\\' && i + 1 < chars.len() {
                word.push('\\');
                word.push(chars[i + 1]);
                escaped_any = true;
                i += 2;
                continue;
            }
            if ch.is_whitespace() || "()\"".contains(ch) || (simple && ch == '|') {
                break;
            }
            if ch == ':' && !simple {
                i += 1;
                break;
            }
            word.push(ch);
            i += 1;
        }
        if !simple && chars.get(i.wrapping_sub(1)) == Some(&':') && !word.is_empty() {
            out.push(Tok::Field(unescape(&word)));
            continue;
        }
        let _ = escaped_any;
        if !simple {
            match word.as_str() {
                "AND" => {
                    out.push(Tok::And);
                    continue;
                }
                "OR" => {
                    out.push(Tok::Or);
                    continue;
                }
                "NOT" => {
                    out.push(Tok::Not);
                    continue;
                }
                _ => {}
            }
            for (op, lo, incl) in [
                (">=", true, true),
                ("<=", false, true),
                (">", true, false),
                ("<", false, false),
            ] {
                if let Some(v) = word.strip_prefix(op) {
                    let v = unescape(v);
                    out.push(if lo {
                        Tok::Range(Some(v), incl, None, true)
                    } else {
                        Tok::Range(None, true, Some(v), incl)
                    });
                    word.clear();
                    break;
                }
            }
            if word.is_empty() {
                continue;
            }
        }
        // strip ^boost and ~fuzziness suffixes (accepted, ignored)
        let base = word.split('^').next().unwrap_or(&word).to_string();
        let base = match base.rfind('~') {
            Some(p) if !base[..p].ends_with('\\') => base[..p].to_string(),
            _ => base,
        };
        let has_wild = has_unescaped_wildcard(&base);
        out.push(Tok::Word(base, has_wild));
    }
    out
}

fn has_unescaped_wildcard(s: &str) -> bool {
    let mut esc = false;
    for c in s.chars() {
        if esc {
            esc = false;
            continue;
        }
        if c == '\\' {
            esc = true;
            continue;
        }
        if c == '*' || c == '?' {
            return true;
        }
    }
    false
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            if let Some(n) = it.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

struct Parser {
    tokens: Vec<Tok>,
    pos: usize,
    default_and: bool,
    simple: bool,
    depth: usize,
}

/// Deepest `( )` nesting accepted (keeps hostile input off the stack).
const MAX_DEPTH: usize = 64;

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos)
    }

    fn parse_query(&mut self) -> std::result::Result<Node, String> {
        // (explicit occur, conjunction before, node)
        let mut items: Vec<(Option<Occur>, Option<bool>, Node)> = Vec::new();
        let mut conj: Option<bool> = None; // Some(true)=AND, Some(false)=OR
        while let Some(tok) = self.peek().cloned() {
            match tok {
                Tok::RParen => break,
                Tok::And => {
                    conj = Some(true);
                    self.pos += 1;
                    continue;
                }
                Tok::Or => {
                    conj = Some(false);
                    self.pos += 1;
                    continue;
                }
                _ => {}
            }
            let mut occur = None;
            match self.peek() {
                Some(Tok::Plus) => {
                    occur = Some(Occur::Must);
                    self.pos += 1;
                }
                Some(Tok::Minus) | Some(Tok::Not) => {
                    occur = Some(Occur::MustNot);
                    self.pos += 1;
                }
                _ => {}
            }
            let node = self.parse_clause(None)?;
            items.push((occur, conj.take(), node));
        }
        if items.is_empty() {
            return Ok(Node::Group(Vec::new()));
        }
        // resolve defaults: AND binds both neighbours as Must, OR as Should
        let default = if self.default_and {
            Occur::Must
        } else {
            Occur::Should
        };
        let mut occurs: Vec<Option<Occur>> = items.iter().map(|(o, _, _)| *o).collect();
        for i in 0..items.len() {
            match items[i].1 {
                Some(true) => {
                    if occurs[i].is_none() {
                        occurs[i] = Some(Occur::Must);
                    }
                    if i > 0 && occurs[i - 1].is_none() {
                        occurs[i - 1] = Some(Occur::Must);
                    }
                }
                Some(false) => {
                    if occurs[i].is_none() {
                        occurs[i] = Some(Occur::Should);
                    }
                    if i > 0 && occurs[i - 1].is_none() {
                        occurs[i - 1] = Some(Occur::Should);
                    }
                }
                None => {}
            }
        }
        let _ = self.simple;
        let clauses: Vec<(Occur, Node)> = items
            .into_iter()
            .zip(occurs)
            .map(|((_, _, n), o)| (o.unwrap_or(default), n))
            .collect();
        if clauses.len() == 1 && clauses[0].0 != Occur::MustNot {
            return Ok(clauses
                .into_iter()
                .next()
                .map(|(_, n)| n)
                .unwrap_or(Node::Group(Vec::new())));
        }
        Ok(Node::Group(clauses))
    }

    fn parse_clause(&mut self, field: Option<String>) -> std::result::Result<Node, String> {
        let Some(tok) = self.peek().cloned() else {
            return Err("unexpected end of query".into());
        };
        self.pos += 1;
        Ok(match tok {
            Tok::Field(f) => {
                if field.is_some() {
                    return Err(format!("unexpected field [{f}]"));
                }
                if f == "_exists_" {
                    let Some(Tok::Word(name, _)) = self.peek().cloned() else {
                        return Err("expected a field after _exists_".into());
                    };
                    self.pos += 1;
                    return Ok(Node::Leaf(Some(unescape(&name)), Leaf::Exists));
                }
                return self.parse_clause(Some(f));
            }
            Tok::LParen => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(format!("query is nested deeper than {MAX_DEPTH} groups"));
                }
                let inner = self.parse_query()?;
                self.depth -= 1;
                if self.peek() != Some(&Tok::RParen) {
                    return Err("missing closing parenthesis".into());
                }
                self.pos += 1;
                match field {
                    Some(f) => with_field(inner, &f),
                    None => inner,
                }
            }
            Tok::Word(w, wild) => {
                if w == "*" && wild {
                    return Ok(match field {
                        Some(f) => Node::Leaf(Some(f), Leaf::Exists),
                        None => Node::Leaf(None, Leaf::Wildcard("*".into())),
                    });
                }
                let leaf = if wild {
                    Leaf::Wildcard(w)
                } else {
                    Leaf::Term(unescape(&w))
                };
                Node::Leaf(field, leaf)
            }
            Tok::Quoted(t, slop) => Node::Leaf(field, Leaf::Phrase(t, slop)),
            Tok::Regex(r) => Node::Leaf(field, Leaf::Regex(r)),
            Tok::Range(lo, il, hi, ih) => Node::Leaf(field, Leaf::Range(lo, il, hi, ih)),
            other => return Err(format!("encountered unexpected token [{other:?}]").to_lowercase()),
        })
    }
}

fn with_field(node: Node, field: &str) -> Node {
    match node {
        Node::Leaf(None, leaf) => Node::Leaf(Some(field.to_string()), leaf),
        Node::Group(cs) => Node::Group(
            cs.into_iter()
                .map(|(o, n)| (o, with_field(n, field)))
                .collect(),
        ),
        other => other,
    }
}

impl QueryStringQuery {
    /// Expands the syntax tree into DSL queries over one index's fields, then compiles it.
    pub(super) fn compile(&self, ctx: &Ctx<'_>) -> Result<Box<dyn TQuery>> {
        self.expand(&self.root, ctx)?.compile(ctx)
    }

    fn expand(&self, node: &Node, ctx: &Ctx<'_>) -> Result<Query> {
        match node {
            Node::Group(cs) => {
                if cs.is_empty() {
                    return Ok(Query::MatchNone);
                }
                let mut b = BoolQuery::default();
                for (o, n) in cs {
                    let q = self.expand(n, ctx)?;
                    match o {
                        Occur::Must => b.must.push(q),
                        Occur::Should => b.should.push(q),
                        Occur::MustNot => b.must_not.push(q),
                    }
                }
                if !b.should.is_empty() && (!b.must.is_empty()) {
                    b.minimum_should_match = Some(json!(0));
                }
                Ok(Query::Bool(b))
            }
            Node::Leaf(Some(f), leaf) => {
                let fields = if f.contains('*') {
                    ctx.expand(f)
                } else {
                    vec![f.clone()]
                };
                self.per_field(&fields, leaf, ctx, f.contains('*'))
            }
            Node::Leaf(None, Leaf::Wildcard(w)) if w == "*" => Ok(Query::MatchAll),
            Node::Leaf(None, leaf) => {
                let mut fields = Vec::new();
                for p in &self.fields {
                    fields.extend(ctx.expand(p));
                }
                let lenient = self.fields.iter().any(|f| f.contains('*'));
                self.per_field(&fields, leaf, ctx, lenient)
            }
        }
    }

    fn per_field(
        &self,
        fields: &[String],
        leaf: &Leaf,
        ctx: &Ctx<'_>,
        lenient: bool,
    ) -> Result<Query> {
        let mut qs = Vec::new();
        for f in fields {
            let q = leaf_query(f, leaf);
            if lenient && q.compile(ctx).is_err() {
                continue;
            }
            qs.push(q);
        }
        Ok(match qs.len() {
            0 => Query::MatchNone,
            1 => qs.pop().unwrap_or(Query::MatchNone),
            _ => Query::Bool(BoolQuery {
                should: qs,
                ..BoolQuery::default()
            }),
        })
    }
}

fn leaf_query(field: &str, leaf: &Leaf) -> Query {
    let field = field.to_string();
    match leaf {
        Leaf::Term(t) if field == "_id" => Query::Ids(IdsQuery {
            values: vec![t.clone()],
        }),
        Leaf::Term(t) => Query::Match(MatchQuery {
            field,
            query: t.clone(),
            operator: Operator::Or,
            minimum_should_match: None,
            zero_terms_all: false,
        }),
        Leaf::Phrase(t, slop) => Query::MatchPhrase(MatchPhraseQuery {
            field,
            query: t.clone(),
            slop: *slop,
        }),
        Leaf::Wildcard(w) => Query::Wildcard(WildcardQuery {
            field,
            value: w.clone(),
            case_insensitive: true,
        }),
        Leaf::Regex(r) => Query::Regexp(RegexpQuery {
            field,
            value: r.clone(),
            case_insensitive: false,
        }),
        Leaf::Exists => Query::Exists(ExistsQuery { field }),
        Leaf::Range(lo, il, hi, ih) => {
            let v = |s: &Option<String>| s.as_ref().map(|s| Value::String(s.clone()));
            Query::Range(RangeQuery {
                field,
                gt: if *il { None } else { v(lo) },
                gte: if *il { v(lo) } else { None },
                lt: if *ih { None } else { v(hi) },
                lte: if *ih { v(hi) } else { None },
                format: None,
            })
        }
    }
}
