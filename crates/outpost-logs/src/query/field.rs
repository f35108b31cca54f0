//! Field resolution: an ES field name (`message`, `message.keyword`, `kubernetes.*`, `_id`)
//! against the mapping, and the tantivy terms of exact values for each field type.

use std::ops::Bound;

use serde_json::Value;
use tantivy::Term;
use tantivy::query::{EmptyQuery, InvertedIndexRangeQuery, Query as TQuery, RegexQuery, TermQuery};
use tantivy::schema::IndexRecordOption;

use super::Ctx;
use crate::date::parse_date_value;
use crate::encode;
use crate::error::{Error, Result};
use crate::mapping::FieldType;

/// What an ES field name refers to in the index.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Target {
    /// `_id`.
    Id,
    /// An analyzed text path.
    Text(String),
    /// Exact values in `kv` under a path with a type.
    Exact(String, FieldType),
}

impl Ctx<'_> {
    /// Resolves one concrete field name; `None` when unmapped (no hits, not an error).
    pub(crate) fn target(&self, name: &str) -> Option<Target> {
        if name == "_id" {
            return Some(Target::Id);
        }
        match self.mapping.get(name) {
            Some(FieldType::Text { .. }) => Some(Target::Text(name.to_string())),
            Some(FieldType::Object) | None => {
                let parent = name.strip_suffix(".keyword")?;
                match self.mapping.get(parent) {
                    Some(FieldType::Text {
                        keyword: Some(above),
                    }) => Some(Target::Exact(
                        name.to_string(),
                        FieldType::Keyword {
                            ignore_above: Some(*above),
                        },
                    )),
                    _ => None,
                }
            }
            Some(other) => Some(Target::Exact(name.to_string(), other.clone())),
        }
    }

    /// Expands a field pattern (`*`, `kubernetes.*`, `message^2` without the boost) into the
    /// searchable fields it names: text fields and exact fields, `.keyword` twins left out of `*`.
    pub(crate) fn expand(&self, pattern: &str) -> Vec<String> {
        let pattern = pattern.split('^').next().unwrap_or(pattern);
        if !pattern.contains('*') {
            return vec![pattern.to_string()];
        }
        self.mapping
            .fields()
            .filter(|(p, t)| **t != FieldType::Object && crate::resolve::wildcard_match(pattern, p))
            .map(|(p, _)| p.to_string())
            .collect()
    }

    /// The term of a token in a text path.
    pub(crate) fn text_term(&self, path: &str, token: &str) -> Term {
        let mut t = Term::from_field_json_path(self.fields.txt, path, true);
        t.append_type_and_str(token);
        t
    }

    /// A raw `kv` term.
    pub(crate) fn kv_term(&self, bytes: &[u8]) -> Term {
        Term::from_field_bytes(self.fields.kv, bytes)
    }

    /// The exact term of a value for a typed path (`Err` for a value the type cannot hold).
    pub(crate) fn exact_bytes(&self, path: &str, ty: &FieldType, v: &Value) -> Result<Vec<u8>> {
        let bad = || {
            Error::IllegalArgument(format!(
                "failed to create query: for input string: \"{}\" on field [{path}] of type [{}]",
                text_of(v),
                ty.name()
            ))
        };
        Ok(match ty {
            FieldType::Keyword { .. } | FieldType::Text { .. } | FieldType::Object => {
                encode::keyword(path, &text_of(v))
            }
            FieldType::Long => {
                let n = match v {
                    Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
                    Value::String(s) => s.trim().parse::<i64>().ok(),
                    _ => None,
                }
                .ok_or_else(bad)?;
                encode::long(path, encode::LONG, n)
            }
            FieldType::Double(_) => {
                let x = match v {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => s.trim().parse::<f64>().ok(),
                    _ => None,
                }
                .ok_or_else(bad)?;
                encode::double(path, x)
            }
            FieldType::Boolean => {
                let b = match v {
                    Value::Bool(b) => *b,
                    Value::String(s) if s == "true" => true,
                    Value::String(s) if s == "false" => false,
                    _ => return Err(bad()),
                };
                encode::boolean(path, b)
            }
            FieldType::Date => {
                encode::long(path, encode::DATE, parse_date_value(v).ok_or_else(bad)?)
            }
        })
    }

    /// An exact-value query (term semantics) on any target.
    pub(crate) fn exact_query(
        &self,
        target: &Target,
        v: &Value,
        case_insensitive: bool,
    ) -> Result<Box<dyn TQuery>> {
        Ok(match target {
            Target::Id => Box::new(TermQuery::new(
                Term::from_field_text(self.fields.id, &text_of(v)),
                IndexRecordOption::Basic,
            )),
            Target::Text(path) => Box::new(TermQuery::new(
                self.text_term(path, &text_of(v)),
                IndexRecordOption::WithFreqs,
            )),
            Target::Exact(path, ty @ FieldType::Keyword { .. }) if case_insensitive => {
                let _ = ty;
                self.regex_query(target, &format!("(?i){}", regex_escape(&text_of(v))))?
            }
            Target::Exact(path, ty) => {
                let bytes = self.exact_bytes(path, ty, v)?;
                Box::new(TermQuery::new(
                    self.kv_term(&bytes),
                    IndexRecordOption::Basic,
                ))
            }
        })
    }

    /// A regular expression over the values of a keyword or text path (anchored, as Lucene's).
    pub(crate) fn regex_query(&self, target: &Target, pattern: &str) -> Result<Box<dyn TQuery>> {
        let (field, prefix) = match target {
            Target::Id => (self.fields.id, String::new()),
            Target::Text(path) => {
                let segs: Vec<String> = path.split('.').map(regex_escape).collect();
                (self.fields.txt, format!("{}\\x00s", segs.join("\\x01")))
            }
            Target::Exact(path, FieldType::Keyword { .. }) => {
                (self.fields.kv, format!("{}\\x00k", regex_escape(path)))
            }
            Target::Exact(..) => return Ok(Box::new(EmptyQuery)),
        };
        let (flags, body) = match pattern.strip_prefix("(?i)") {
            Some(rest) => ("(?i)", rest),
            None => ("", pattern),
        };
        let full = format!("{prefix}{flags}(?:{body})");
        RegexQuery::from_pattern(&full, field)
            .map(|q| Box::new(q) as Box<dyn TQuery>)
            .map_err(|e| {
                Error::IllegalArgument(format!("invalid regular expression [{pattern}]: {e}"))
            })
    }

    /// A range over the exact values of a typed path, bounds already encoded.
    pub(crate) fn kv_range(
        &self,
        path: &str,
        tag: u8,
        lower: Bound<Vec<u8>>,
        upper: Bound<Vec<u8>>,
    ) -> Box<dyn TQuery> {
        let lower = match lower {
            Bound::Unbounded => Bound::Included(self.kv_term(&encode::prefix(path, tag))),
            Bound::Included(b) => Bound::Included(self.kv_term(&b)),
            Bound::Excluded(b) => Bound::Excluded(self.kv_term(&b)),
        };
        let upper = match upper {
            Bound::Unbounded => {
                Bound::Excluded(self.kv_term(&encode::prefix(path, tag.saturating_add(1))))
            }
            Bound::Included(b) => Bound::Included(self.kv_term(&b)),
            Bound::Excluded(b) => Bound::Excluded(self.kv_term(&b)),
        };
        Box::new(InvertedIndexRangeQuery::new(lower, upper))
    }
}

/// A JSON scalar as text.
pub(crate) fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Escapes regex metacharacters.
pub(crate) fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Turns an ES wildcard pattern (`*`, `?`, `\` escapes) into a regex body.
pub(crate) fn wildcard_to_regex(pattern: &str) -> String {
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            '\\' => {
                if let Some(n) = chars.next() {
                    out.push_str(&regex_escape(&n.to_string()));
                }
            }
            other => out.push_str(&regex_escape(&other.to_string())),
        }
    }
    out
}
