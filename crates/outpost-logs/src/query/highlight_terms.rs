//! The terms a query looks for, by field, for the highlighter (`highlight.rs`): every positive
//! clause (`must`, `filter`, `should`, query-string leaves not under `NOT`), none of `must_not`.

use super::Query;
use super::field::{text_of, wildcard_to_regex};
use super::query_string::{Leaf, Node, Occur};

/// What a highlighted value must contain.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum HlKind {
    /// Query text, analyzed like the field's text (each token counts).
    Text(String),
    /// A phrase: its analyzed tokens count only where they occur in order, adjacent.
    Phrase(String),
    /// An exact value (a token of a text field, or a whole keyword).
    Exact(String),
    /// A prefix of a token or keyword.
    Prefix(String, bool),
    /// An anchored regex body over a token or keyword, case-insensitive or not.
    Regex(String, bool),
}

/// One term with the field pattern it was asked on (`None`: the query's default fields, any).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HlTerm {
    /// Field name or pattern (`text*`, boosts stripped); `None` = any field.
    pub(crate) field: Option<String>,
    /// The term.
    pub(crate) kind: HlKind,
}

fn strip_boost(f: &str) -> String {
    f.split('^').next().unwrap_or(f).to_string()
}

/// A phrase without slop must match in order; with slop its words count one by one.
fn phrase(text: &str, slop: u32) -> HlKind {
    if slop == 0 {
        HlKind::Phrase(text.to_string())
    } else {
        HlKind::Text(text.to_string())
    }
}

fn push(out: &mut Vec<HlTerm>, field: Option<&str>, kind: HlKind) {
    let field = field.filter(|f| *f != "*").map(strip_boost);
    out.push(HlTerm { field, kind });
}

impl Query {
    /// Collects the terms the highlighter marks.
    pub(crate) fn highlight_terms(&self, out: &mut Vec<HlTerm>) {
        match self {
            Query::Match(q) => push(out, Some(&q.field), HlKind::Text(q.query.clone())),
            Query::MatchPhrase(q) => push(out, Some(&q.field), phrase(&q.query, q.slop)),
            Query::MultiMatch(q) => {
                let kind = if q.kind == "phrase" {
                    phrase(&q.query, q.slop)
                } else {
                    HlKind::Text(q.query.clone())
                };
                for f in &q.fields {
                    push(out, Some(f), kind.clone());
                }
            }
            Query::Term(q) => push(out, Some(&q.field), HlKind::Exact(text_of(&q.value))),
            Query::Terms(q) => {
                for v in &q.values {
                    push(out, Some(&q.field), HlKind::Exact(text_of(v)));
                }
            }
            Query::Prefix(q) => push(
                out,
                Some(&q.field),
                HlKind::Prefix(q.value.clone(), q.case_insensitive),
            ),
            Query::Wildcard(q) => push(
                out,
                Some(&q.field),
                HlKind::Regex(wildcard_to_regex(&q.value), q.case_insensitive),
            ),
            Query::Regexp(q) => push(
                out,
                Some(&q.field),
                HlKind::Regex(q.value.clone(), q.case_insensitive),
            ),
            Query::Bool(b) => {
                for q in b.must.iter().chain(&b.filter).chain(&b.should) {
                    q.highlight_terms(out);
                }
            }
            Query::QueryString(q) => node_terms(&q.root, &q.fields, out),
            // alias filters are filter context: the request's own query is highlighted
            Query::PerIndex(_, default) => default.highlight_terms(out),
            Query::ConstantScore(q, _) => q.highlight_terms(out),
            Query::MatchAll
            | Query::MatchNone
            | Query::Range(_)
            | Query::Exists(_)
            | Query::Ids(_) => {}
        }
    }
}

fn node_terms(node: &Node, defaults: &[String], out: &mut Vec<HlTerm>) {
    match node {
        Node::Group(cs) => {
            for (occur, n) in cs {
                if *occur != Occur::MustNot {
                    node_terms(n, defaults, out);
                }
            }
        }
        Node::Leaf(field, leaf) => {
            let kind = match leaf {
                Leaf::Term(t) => HlKind::Text(t.clone()),
                Leaf::Phrase(t, slop) => phrase(t, *slop),
                Leaf::Wildcard(w) if w == "*" => return,
                Leaf::Wildcard(w) => HlKind::Regex(wildcard_to_regex(w), true),
                Leaf::Regex(r) => HlKind::Regex(r.clone(), false),
                Leaf::Range(..) | Leaf::Exists => return,
            };
            match field {
                Some(f) => push(out, Some(f), kind),
                None => {
                    for f in defaults {
                        push(out, Some(f), kind.clone());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{HlKind, HlTerm};
    use crate::query::parse;

    fn terms(q: serde_json::Value) -> Vec<HlTerm> {
        let mut out = Vec::new();
        parse(&q).unwrap().highlight_terms(&mut out);
        out
    }

    #[test]
    fn positive_clauses_only() {
        let t = terms(json!({"bool": {
            "must": [{"match": {"msg": "a b"}}],
            "filter": [{"term": {"level": "error"}}, {"range": {"n": {"gte": 1}}}],
            "must_not": [{"match": {"msg": "c"}}]}}));
        assert_eq!(
            t,
            vec![
                HlTerm {
                    field: Some("msg".into()),
                    kind: HlKind::Text("a b".into())
                },
                HlTerm {
                    field: Some("level".into()),
                    kind: HlKind::Exact("error".into())
                },
            ]
        );
    }

    #[test]
    fn query_string_leaves_take_their_field_or_the_defaults() {
        let t = terms(
            json!({"query_string": {"query": "level:error AND time* NOT debug \"a b\" \"c d\"~2"}}),
        );
        assert_eq!(t.len(), 4);
        assert_eq!(t[2].kind, HlKind::Phrase("a b".into()));
        assert_eq!(t[3].kind, HlKind::Text("c d".into()));
        assert_eq!(t[0].field.as_deref(), Some("level"));
        assert_eq!(t[1].field, None);
        assert_eq!(t[1].kind, HlKind::Regex("time.*".into(), true));
        let t = terms(json!({"multi_match": {"query": "x", "fields": ["title^2", "body*"]}}));
        assert_eq!(t[0].field.as_deref(), Some("title"));
        assert_eq!(t[1].field.as_deref(), Some("body*"));
    }
}
