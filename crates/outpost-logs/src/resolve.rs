//! Index names and index expressions as Elasticsearch resolves them: comma lists, `*` wildcards,
//! `-excluded` (after a wildcard), `_all`, date-math names (`<logs-{now/d}>`), hidden dot-indices
//! left out of wildcards, `ignore_unavailable` and `index_not_found_exception`.

use crate::date::{Rounding, eval_date_math};
use crate::error::{Error, Result};

/// Checks a concrete index name against ES's rules (`invalid_index_name_exception`).
pub fn validate_index_name(name: &str) -> Result<()> {
    let bad = |why: &str| {
        Err(Error::InvalidIndexName {
            name: name.to_string(),
            why: why.to_string(),
        })
    };
    if name.is_empty() {
        return bad("must not be empty");
    }
    if name != name.to_lowercase() {
        return bad("must be lowercase");
    }
    if name.starts_with(['-', '_', '+']) {
        return bad("must not start with '_', '-', or '+'");
    }
    if name == "." || name == ".." {
        return bad("must not be '.' or '..'");
    }
    if name.len() > 255 {
        return bad("index name is too long");
    }
    if let Some(c) = name.chars().find(|c| "\\/*?\"<>| ,#:".contains(*c)) {
        return bad(&format!("must not contain the following characters [{c}]"));
    }
    Ok(())
}

/// Resolves a date-math index name `<static{now/d}>` (format `yyyy.MM.dd` by default) at `now`.
pub fn resolve_date_math_name(name: &str, now_ms: i64) -> Result<String> {
    let Some(inner) = name.strip_prefix('<').and_then(|n| n.strip_suffix('>')) else {
        return Ok(name.to_string());
    };
    let mut out = String::new();
    let mut rest = inner;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        // the expression may contain a {format} block: find the matching close brace
        let mut depth = 1;
        let mut end = None;
        for (i, c) in after.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(end) = end else {
            return Err(Error::Parsing(format!(
                "invalid dynamic name expression [{name}]"
            )));
        };
        let expr = &after[..end];
        let (math, format) = match expr.find('{') {
            Some(i) => (
                &expr[..i],
                expr[i + 1..]
                    .trim_end_matches('}')
                    .split('|')
                    .next()
                    .unwrap_or("yyyy.MM.dd"),
            ),
            None => (expr, "yyyy.MM.dd"),
        };
        let ms = eval_date_math(math, now_ms, Rounding::Down).map_err(Error::Parsing)?;
        out.push_str(&format_date(ms, format));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn format_date(ms: i64, format: &str) -> String {
    let Ok(ts) = jiff::Timestamp::from_millisecond(ms) else {
        return String::new();
    };
    let z = jiff::tz::TimeZone::UTC.to_datetime(ts);
    format
        .replace("yyyy", &format!("{:04}", z.year()))
        .replace("MM", &format!("{:02}", z.month()))
        .replace("dd", &format!("{:02}", z.day()))
        .replace("HH", &format!("{:02}", z.hour()))
}

/// Whether `name` matches a simple `*` pattern.
pub(crate) fn wildcard_match(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut pos = first.len();
    let end = name.len() - last.len();
    for mid in &parts[1..parts.len() - 1] {
        match name[pos..end].find(mid) {
            Some(i) => pos += i + mid.len(),
            None => return false,
        }
    }
    true
}

/// Resolves an index expression against the existing names (in the order given by `names`).
/// A missing concrete name is `index_not_found_exception` unless `ignore_unavailable`.
pub(crate) fn resolve(
    expr: &str,
    names: &[String],
    ignore_unavailable: bool,
    now_ms: i64,
) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    let expr = expr.trim();
    let parts: Vec<&str> = if expr.is_empty() {
        vec!["_all"]
    } else {
        expr.split(',').collect()
    };
    let mut seen_wildcard = false;
    for raw in parts {
        let part = raw.trim();
        if part.is_empty() {
            continue;
        }
        if let Some(excl) = part.strip_prefix('-')
            && seen_wildcard
        {
            out.retain(|n| !wildcard_match(excl, n));
            continue;
        }
        if part == "_all" || part == "*" {
            seen_wildcard = true;
            out.extend(names.iter().filter(|n| !n.starts_with('.')).cloned());
            continue;
        }
        let part = resolve_date_math_name(part, now_ms)?;
        if part.contains('*') {
            seen_wildcard = true;
            let hidden_ok = part.starts_with('.');
            out.extend(
                names
                    .iter()
                    .filter(|n| (hidden_ok || !n.starts_with('.')) && wildcard_match(&part, n))
                    .cloned(),
            );
        } else if names.contains(&part) {
            out.push(part);
        } else if !ignore_unavailable {
            return Err(Error::IndexNotFound(part));
        }
    }
    let mut dedup = Vec::with_capacity(out.len());
    for n in out {
        if !dedup.contains(&n) {
            dedup.push(n);
        }
    }
    Ok(dedup)
}

/// What index resolution knows besides the index names: aliases (name → concrete indices) and
/// hidden indices (`index.hidden: true`, left out of wildcards unless `include_hidden`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Extra {
    /// Alias name → the indices it points to.
    pub(crate) aliases: std::collections::BTreeMap<String, Vec<String>>,
    /// Indices with `index.hidden: true`.
    pub(crate) hidden: std::collections::BTreeSet<String>,
    /// `expand_wildcards` includes `hidden`.
    pub(crate) include_hidden: bool,
}

/// [`resolve`] with aliases (an alias name, or a wildcard matching one, names its indices;
/// `-alias` excludes them) and hidden indices (matched by name or alias, not by wildcards).
pub(crate) fn resolve_with(
    expr: &str,
    names: &[String],
    extra: &Extra,
    ignore_unavailable: bool,
    now_ms: i64,
) -> Result<Vec<String>> {
    if extra.aliases.is_empty() && extra.hidden.is_empty() {
        return resolve(expr, names, ignore_unavailable, now_ms);
    }
    let mut parts: Vec<String> = Vec::new();
    let mut named: Vec<String> = Vec::new();
    for raw in expr.split(',') {
        let part = raw.trim();
        if part.is_empty() {
            continue;
        }
        let (neg, body) = match part.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, part),
        };
        let sign = if neg { "-" } else { "" };
        if let Some(targets) = extra.aliases.get(body)
            && !names.iter().any(|n| n == body)
        {
            for t in targets {
                parts.push(format!("{sign}{t}"));
                if !neg {
                    named.push(t.clone());
                }
            }
            continue;
        }
        parts.push(part.to_string());
        if body.contains('*') && !neg {
            for (alias, targets) in &extra.aliases {
                if wildcard_match(body, alias) && (!alias.starts_with('.') || body.starts_with('.'))
                {
                    parts.extend(targets.iter().cloned());
                }
            }
        } else if !neg {
            named.push(body.to_string());
        }
    }
    let rewritten = if parts.is_empty() {
        expr.to_string()
    } else {
        parts.join(",")
    };
    let mut out = resolve(&rewritten, names, ignore_unavailable, now_ms)?;
    if !extra.include_hidden {
        out.retain(|n| !extra.hidden.contains(n) || named.contains(n));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_and_hidden_indices_resolve_as_es() {
        let n = names();
        let mut extra = Extra::default();
        extra.aliases.insert(
            "logs".into(),
            vec!["logstash-2026.12.06".into(), "metrics".into()],
        );
        extra.hidden.insert("metrics".into());
        assert_eq!(
            resolve_with("logs", &n, &extra, false, 0).unwrap(),
            vec!["logstash-2026.12.06", "metrics"]
        );
        // a wildcard matching an alias adds its visible indices only
        assert_eq!(
            resolve_with("lo*", &n, &extra, false, 0).unwrap(),
            vec!["logstash-2026.12.06", "logstash-2026.12.07"]
        );
        extra
            .aliases
            .insert("f".into(), vec!["filebeat-8.0".into()]);
        assert_eq!(
            resolve_with("f*", &n, &extra, false, 0).unwrap(),
            vec!["filebeat-8.0"]
        );
        assert_eq!(
            resolve_with("logs,f", &n, &extra, false, 0).unwrap(),
            vec!["logstash-2026.12.06", "metrics", "filebeat-8.0"]
        );
        // hidden: not by a wildcard, yes by name
        assert_eq!(
            resolve_with("m*", &n, &extra, false, 0).unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(
            resolve_with("metrics", &n, &extra, false, 0).unwrap(),
            vec!["metrics"]
        );
        assert_eq!(
            resolve_with("*,-logs", &n, &extra, false, 0).unwrap(),
            vec!["logstash-2026.12.07", "filebeat-8.0"]
        );
        extra.include_hidden = true;
        assert_eq!(
            resolve_with("m*", &n, &extra, false, 0).unwrap(),
            vec!["metrics"]
        );
        assert!(resolve_with("nope", &n, &extra, false, 0).is_err());
    }

    fn names() -> Vec<String> {
        [
            "logstash-2026.12.06",
            "logstash-2026.12.07",
            "filebeat-8.0",
            ".kibana",
            "metrics",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    #[test]
    fn patterns_resolve_as_es() {
        let n = names();
        assert_eq!(
            resolve("logstash-*", &n, false, 0).unwrap(),
            vec!["logstash-2026.12.06", "logstash-2026.12.07"]
        );
        assert_eq!(
            resolve("logstash-*,-*.06", &n, false, 0).unwrap(),
            vec!["logstash-2026.12.07"]
        );
        assert_eq!(
            resolve("_all", &n, false, 0).unwrap().len(),
            4,
            "hidden .kibana left out"
        );
        assert_eq!(resolve("*", &n, false, 0).unwrap().len(), 4);
        assert_eq!(resolve(".k*", &n, false, 0).unwrap(), vec![".kibana"]);
        assert_eq!(
            resolve("metrics,filebeat-8.0", &n, false, 0).unwrap(),
            vec!["metrics", "filebeat-8.0"]
        );
        assert_eq!(
            resolve("nope-*", &n, false, 0).unwrap(),
            Vec::<String>::new()
        );
        let err = resolve("metrics,nope", &n, false, 0).unwrap_err();
        assert_eq!(err, Error::IndexNotFound("nope".into()));
        assert_eq!(err.status(), 404);
        assert_eq!(
            resolve("metrics,nope", &n, true, 0).unwrap(),
            vec!["metrics"]
        );
    }

    #[test]
    fn date_math_names() {
        let now = crate::date::parse_date("2026-12-07T22:00:00Z").unwrap();
        assert_eq!(
            resolve_date_math_name("<logstash-{now/d}>", now).unwrap(),
            "logstash-2026.12.07"
        );
        assert_eq!(
            resolve_date_math_name("<logstash-{now/d-1d}>", now).unwrap(),
            "logstash-2026.12.06"
        );
        assert_eq!(
            resolve_date_math_name("<logs-{now/M{yyyy.MM}}>", now).unwrap(),
            "logs-2026.12"
        );
        assert_eq!(
            resolve("<logstash-{now/d}>", &names(), false, now).unwrap(),
            vec!["logstash-2026.12.07"]
        );
    }

    #[test]
    fn index_names_are_validated() {
        assert!(validate_index_name("logs-2026.12.07").is_ok());
        for bad in ["Logs", "_x", "-x", "a b", "a*b", "", "a,b"] {
            let err = validate_index_name(bad).unwrap_err();
            assert_eq!(err.es_type(), "invalid_index_name_exception", "{bad}");
        }
    }
}
