//! Label matchers (`=`, `!=`, `=~`, `!~`) with Prometheus' anchoring and fast
//! paths for the regexes PromQL users write most: literal alternations
//! (`a|b|c`), prefixes (`foo.*`) and match-all (`.*`).

use std::collections::HashSet;
use std::fmt;

use regex::Regex;

/// A matcher's comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchType {
    /// `=`
    Equal,
    /// `!=`
    NotEqual,
    /// `=~`
    Regex,
    /// `!~`
    NotRegex,
}

#[derive(Debug, Clone)]
enum Fast {
    /// Compare with the value itself (`=`, `!=`).
    Literal,
    /// `.*`: everything matches.
    Any,
    /// `.+`: every non-empty value matches.
    NonEmpty,
    /// A set of literal alternatives.
    Set(HashSet<String>),
    /// A literal prefix followed by `.*`.
    Prefix(String),
    /// The general case.
    Re(Regex),
}

/// One label matcher.
#[derive(Debug, Clone)]
pub struct Matcher {
    /// Label name.
    pub name: String,
    /// Equality, inequality or (anchored) regex match, negated or not.
    pub kind: MatchType,
    /// Value or regex source.
    pub value: String,
    fast: Fast,
}

fn is_literal(s: &str) -> bool {
    !s.chars().any(|c| "\\.+*?()|[]{}^$".contains(c))
}

fn analyse(re: &str) -> Result<Fast, String> {
    match re {
        ".*" => return Ok(Fast::Any),
        ".+" => return Ok(Fast::NonEmpty),
        _ => {}
    }
    if re.split('|').all(is_literal) {
        return Ok(Fast::Set(re.split('|').map(str::to_string).collect()));
    }
    if let Some(prefix) = re.strip_suffix(".*")
        && is_literal(prefix)
    {
        return Ok(Fast::Prefix(prefix.to_string()));
    }
    Regex::new(&format!("^(?s:{re})$"))
        .map(Fast::Re)
        .map_err(|e| format!("invalid regular expression {re:?}: {e}"))
}

impl Matcher {
    /// Builds a matcher; regexes are fully anchored as Prometheus anchors them.
    pub fn new(
        kind: MatchType,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Self, String> {
        let value = value.into();
        let fast = match kind {
            MatchType::Equal | MatchType::NotEqual => Fast::Literal,
            MatchType::Regex | MatchType::NotRegex => analyse(&value)?,
        };
        Ok(Matcher {
            name: name.into(),
            kind,
            value,
            fast,
        })
    }

    /// `name="value"`.
    pub fn equal(name: impl Into<String>, value: impl Into<String>) -> Self {
        Matcher {
            name: name.into(),
            kind: MatchType::Equal,
            value: value.into(),
            fast: Fast::Literal,
        }
    }

    fn positive(&self, v: &str) -> bool {
        match &self.fast {
            Fast::Literal => v == self.value,
            Fast::Any => true,
            Fast::NonEmpty => !v.is_empty(),
            Fast::Set(s) => s.contains(v),
            Fast::Prefix(p) => v.starts_with(p.as_str()),
            Fast::Re(r) => r.is_match(v),
        }
    }

    /// Whether a label value (`""` for a missing label) matches.
    pub fn matches(&self, v: &str) -> bool {
        match self.kind {
            MatchType::Equal | MatchType::Regex => self.positive(v),
            MatchType::NotEqual | MatchType::NotRegex => !self.positive(v),
        }
    }

    /// The literal values this matcher accepts, when it is an equality or a
    /// literal alternation (lets the index look them up directly).
    pub(crate) fn literal_values(&self) -> Option<Vec<&str>> {
        match (&self.kind, &self.fast) {
            (MatchType::Equal, _) => Some(vec![self.value.as_str()]),
            (MatchType::Regex, Fast::Set(s)) => Some(s.iter().map(String::as_str).collect()),
            _ => None,
        }
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.kind {
            MatchType::Equal => "=",
            MatchType::NotEqual => "!=",
            MatchType::Regex => "=~",
            MatchType::NotRegex => "!~",
        };
        write!(f, "{}{op}{:?}", self.name, self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchoring_and_fast_paths_agree_with_regex() {
        let cases = [
            ("a|b|c", vec!["a", "b", "c"], vec!["", "ab", "d"]),
            ("foo.*", vec!["foo", "foobar", "foo\nx"], vec!["fo", "xfoo"]),
            (".*", vec!["", "x"], vec![]),
            (".+", vec!["x"], vec![""]),
            ("5..", vec!["500", "503"], vec!["5000", "404"]),
            ("(?i)get", vec!["GET", "get"], vec!["gets"]),
            ("", vec![""], vec!["a"]),
        ];
        for (re, yes, no) in cases {
            let m = Matcher::new(MatchType::Regex, "l", re).unwrap();
            let n = Matcher::new(MatchType::NotRegex, "l", re).unwrap();
            for v in yes {
                assert!(m.matches(v) && !n.matches(v), "{re} should match {v:?}");
            }
            for v in no {
                assert!(!m.matches(v) && n.matches(v), "{re} should not match {v:?}");
            }
        }
        assert!(Matcher::new(MatchType::Regex, "l", "(").is_err());
        assert_eq!(Matcher::equal("job", "a").to_string(), "job=\"a\"");
    }
}
