//! Alertmanager label matchers (`name="value"`, `name=~"re"`, `{a="1",b!="2"}`).

use std::fmt;

use regex::Regex;

/// Comparison of a matcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MatchOp {
    /// `=`
    Equal,
    /// `!=`
    NotEqual,
    /// `=~`
    Regex,
    /// `!~`
    NotRegex,
}

impl MatchOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchOp::Equal => "=",
            MatchOp::NotEqual => "!=",
            MatchOp::Regex => "=~",
            MatchOp::NotRegex => "!~",
        }
    }
}

/// One label matcher; regexes are fully anchored as Alertmanager's are.
#[derive(Debug, Clone)]
pub struct Matcher {
    /// Label name.
    pub name: String,
    /// How the value is compared: `=`, `!=`, `=~` or `!~`.
    pub op: MatchOp,
    /// Value or regex source.
    pub value: String,
    regex: Option<Regex>,
}

impl PartialEq for Matcher {
    fn eq(&self, o: &Self) -> bool {
        self.name == o.name && self.op == o.op && self.value == o.value
    }
}

impl Matcher {
    /// Builds a matcher, compiling the regex for `=~`/`!~`.
    pub fn new(
        name: impl Into<String>,
        op: MatchOp,
        value: impl Into<String>,
    ) -> Result<Self, String> {
        let value = value.into();
        let regex = match op {
            MatchOp::Regex | MatchOp::NotRegex => Some(
                Regex::new(&format!("^(?:{value})$"))
                    .map_err(|e| format!("invalid regular expression {value:?}: {e}"))?,
            ),
            _ => None,
        };
        Ok(Matcher {
            name: name.into(),
            op,
            value,
            regex,
        })
    }

    /// Whether a label value matches (a missing label is `""`).
    pub fn matches(&self, v: &str) -> bool {
        match self.op {
            MatchOp::Equal => v == self.value,
            MatchOp::NotEqual => v != self.value,
            MatchOp::Regex => self.regex.as_ref().is_some_and(|r| r.is_match(v)),
            MatchOp::NotRegex => !self.regex.as_ref().is_some_and(|r| r.is_match(v)),
        }
    }
}

impl fmt::Display for Matcher {
    /// `name<op>"value"` with `\`, newline and `"` escaped, as Alertmanager prints matchers.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let escaped = self
            .value
            .replace('\\', "\\\\")
            .replace('\n', "\\n")
            .replace('"', "\\\"");
        write!(f, "{}{}\"{}\"", self.name, self.op.as_str(), escaped)
    }
}

/// Parses a matcher list such as `{severity="critical", team=~"a|b"}` or `alertname=Foo`.
pub fn parse_matchers(input: &str) -> Result<Vec<Matcher>, String> {
    let s = input.trim();
    let s = match (s.strip_prefix('{'), s.ends_with('}')) {
        (Some(inner), true) => &inner[..inner.len() - 1],
        (Some(_), false) => {
            return Err(format!(
                "bad matcher format: {input}: missing closing brace"
            ));
        }
        _ => s,
    };
    let mut out = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let (m, after) =
            parse_one(rest).map_err(|e| format!("bad matcher format: {input}: {e}"))?;
        out.push(m);
        rest = after.trim_start();
        if let Some(r) = rest.strip_prefix(',') {
            rest = r.trim_start();
        } else if !rest.is_empty() {
            return Err(format!(
                "bad matcher format: {input}: expected comma after matcher"
            ));
        }
    }
    Ok(out)
}

fn parse_one(s: &str) -> Result<(Matcher, &str), String> {
    let name_end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    let name = s[..name_end].trim();
    if name.is_empty() {
        return Err("missing label name".into());
    }
    let rest = s[name_end..].trim_start();
    let (op, rest) = [
        ("=~", MatchOp::Regex),
        ("!~", MatchOp::NotRegex),
        ("!=", MatchOp::NotEqual),
        ("=", MatchOp::Equal),
    ]
    .iter()
    .find_map(|(t, op)| rest.strip_prefix(t).map(|r| (*op, r)))
    .ok_or_else(|| format!("missing operator after {name:?}"))?;
    let rest = rest.trim_start();
    let (value, rest) = if let Some(q) = rest.strip_prefix('"') {
        let mut v = String::new();
        let mut chars = q.char_indices();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, 'n')) => v.push('\n'),
                    Some((_, c2)) => v.push(c2),
                    None => return Err("unterminated escape".into()),
                },
                '"' => {
                    end = Some(i);
                    break;
                }
                c => v.push(c),
            }
        }
        let end = end.ok_or("unterminated quoted value")?;
        (v, &q[end + 1..])
    } else {
        let end = rest.find(',').unwrap_or(rest.len());
        (rest[..end].trim().to_string(), &rest[end..])
    };
    Ok((Matcher::new(name, op, value)?, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_forms() {
        let m = parse_matchers(r#"{severity="critical", team=~"a|b",x!=y}"#).unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!(m[0].to_string(), r#"severity="critical""#);
        assert!(m[1].matches("a") && !m[1].matches("ab"));
        assert_eq!((m[2].op, m[2].value.as_str()), (MatchOp::NotEqual, "y"));
        let m = parse_matchers("alertname = Foo").unwrap();
        assert_eq!(m[0].value, "Foo");
        assert!(parse_matchers("=x").is_err());
        assert!(parse_matchers(r#"a=~"(""#).is_err());
        assert!(parse_matchers(r#"{a="1""#).is_err());
    }

    #[test]
    fn escapes_round_trip() {
        let m = parse_matchers(r#"a="q\"uo\\te""#).unwrap();
        assert_eq!(m[0].value, "q\"uo\\te");
        assert_eq!(m[0].to_string(), r#"a="q\"uo\\te""#);
    }
}
