//! Strict YAML decoding with positions, in the manner of Go's `yaml.UnmarshalStrict`.
//!
//! serde stops at the first error; Prometheus and Alertmanager users expect
//! every unknown field to be reported at once. On an unknown-field error we
//! record the finding, blank that mapping entry out (keeping line numbers) and
//! decode again, so all unknown fields of a file come out in one run.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;
use serde::de::DeserializeOwned;
use serde_saphyr::DuplicateKeyPolicy;

use crate::error::Diagnostic;
use crate::secret::{collect_spans, redact_text};

/// Most unknown-field errors reported per file before giving up.
const MAX_ERRORS: usize = 64;

static LOCATION_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:error: )?(?:line \d+ column \d+: )?").unwrap());
static TRAILING_LOCATION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r" at line \d+,? column \d+$").unwrap());
static UNKNOWN_FIELD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^unknown field `([^`]*)`").unwrap());

/// Decodes `text` strictly; on failure returns every finding with its position.
pub(crate) fn parse_strict<T: DeserializeOwned>(
    file: &str,
    text: &str,
) -> std::result::Result<T, Vec<Diagnostic>> {
    parse_strict_redacted(file, text).map(|(v, _)| v)
}

/// [`parse_strict`], also returning `text` with every value declared as a
/// [`crate::Secret`] replaced by `<secret>` (see [`crate::secret::redact_text`]).
pub(crate) fn parse_strict_redacted<T: DeserializeOwned>(
    file: &str,
    text: &str,
) -> std::result::Result<(T, String), Vec<Diagnostic>> {
    let mut work: Cow<'_, str> = Cow::Borrowed(text);
    let mut diags = Vec::new();
    loop {
        let options = serde_saphyr::options! {
            duplicate_keys: DuplicateKeyPolicy::Error,
            with_snippet: false,
        };
        let (decoded, spans) =
            collect_spans(|| serde_saphyr::from_str_with_options::<T>(&work, options));
        let err = match decoded {
            Ok(v) if diags.is_empty() => return Ok((v, redact_text(text, &spans))),
            Ok(_) => return Err(diags),
            Err(e) => e,
        };
        let raw = err.without_snippet().to_string();
        let message = LOCATION_PREFIX.replace(raw.trim(), "");
        let message = TRAILING_LOCATION.replace(&message, "").into_owned();
        let Some(loc) = err.location().filter(|l| l.line() > 0) else {
            diags.push(Diagnostic::file(file, message));
            return Err(diags);
        };
        let (line, col) = (loc.line(), loc.column());
        let path = key_path(&work, line);
        let unknown = UNKNOWN_FIELD.captures(&message).map(|c| c[1].to_string());
        let mut d = Diagnostic::at(file, line, col, message);
        if let Some(p) = &path {
            d = d.with_field(p.clone());
        }
        if let (Some(field), Some(p)) = (&unknown, &path)
            && let Some(h) = hint_for(p, field)
        {
            d = d.with_hint(h);
        }
        diags.push(d);
        if unknown.is_none() || diags.len() >= MAX_ERRORS {
            return Err(diags);
        }
        match blank_entry(&work, line, col) {
            Some(next) => work = Cow::Owned(next),
            None => return Err(diags),
        }
    }
}

/// Fixes users need most often, keyed by the field's path suffix.
fn hint_for(path: &str, field: &str) -> Option<&'static str> {
    let parent = path.rsplit_once('.').map_or("", |(p, _)| p);
    match (parent.rsplit('.').next().unwrap_or(""), field) {
        ("email_configs", "subject") => Some(
            "alertmanager's email_config has no subject field; set it with headers: { Subject: '...' }",
        ),
        ("email_configs", "body") => Some(
            "alertmanager's email_config has no body field; put the message in text: (plain) or html:",
        ),
        (_, "bearer_token_file" | "bearer_token") if parent.ends_with("tls_config") => {
            Some("bearer_token_file belongs to the scrape config, not to tls_config")
        }
        _ => None,
    }
}

/// One line's layout: where its first non-space character is, where its key
/// starts (after any `- ` list markers), and the key itself.
struct LineShape<'a> {
    first: usize,
    key_col: usize,
    key: Option<&'a str>,
}

fn shape(line: &str) -> Option<LineShape<'_>> {
    let trimmed = line.trim_start();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return None;
    }
    let first = line.len() - trimmed.len();
    let mut rest = trimmed;
    let mut key_col = first;
    while let Some(r) = rest.strip_prefix('-') {
        if !(r.is_empty() || r.starts_with(' ')) {
            break;
        }
        let r2 = r.trim_start();
        key_col += rest.len() - r2.len();
        rest = r2;
    }
    let key = rest
        .find(':')
        .filter(|&i| {
            let after = &rest[i + 1..];
            i > 0 && (after.is_empty() || after.starts_with(' '))
        })
        .map(|i| rest[..i].trim().trim_matches(|c| c == '"' || c == '\''));
    Some(LineShape {
        first,
        key_col,
        key,
    })
}

/// The dotted path of the mapping key on 1-based `line`, found by walking up
/// the indentation (block-style YAML; flow style yields a shorter path).
fn key_path(text: &str, line: u64) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let idx = usize::try_from(line).ok()?.checked_sub(1)?;
    let here = shape(lines.get(idx)?)?;
    let mut parts = vec![here.key?.to_string()];
    let mut limit = here.first;
    for l in lines[..idx].iter().rev() {
        let Some(s) = shape(l) else { continue };
        if s.key_col < limit {
            if let Some(k) = s.key {
                parts.push(k.to_string());
            }
            limit = s.first;
            if limit == 0 {
                break;
            }
        }
    }
    parts.reverse();
    Some(parts.join("."))
}

/// Blanks the mapping entry whose key starts at (`line`, `col`) and its
/// nested lines, keeping the line count. Returns `None` when the entry shares
/// its line with a list marker or a flow collection and cannot be cut out.
///
/// When the entry was the only one of its mapping, the parent key gets an
/// empty flow mapping (`global: {}`): left bare, the parent would decode as
/// null and the retry would report a spurious type error.
fn blank_entry(text: &str, line: u64, col: u64) -> Option<String> {
    let idx = usize::try_from(line).ok()?.checked_sub(1)?;
    let col0 = usize::try_from(col).ok()?.checked_sub(1)?;
    let lines: Vec<&str> = text.split('\n').collect();
    let s = shape(lines.get(idx)?)?;
    if s.first != col0 || s.key.is_none() {
        return None;
    }
    let mut kept: Vec<Cow<'_, str>> = Vec::with_capacity(lines.len());
    let mut in_entry = true;
    for (i, l) in lines.iter().enumerate() {
        if i > idx && in_entry {
            let indent = l.len() - l.trim_start().len();
            in_entry = l.trim().is_empty() || indent > col0;
        }
        kept.push(if i < idx || !in_entry {
            Cow::Borrowed(*l)
        } else {
            Cow::Borrowed("")
        });
    }
    let parent = lines[..idx]
        .iter()
        .rposition(|l| shape(l).is_some_and(|p| p.key_col < col0));
    if let Some(p) = parent
        && let Some(ps) = shape(lines[p])
    {
        let has_children = kept[p + 1..]
            .iter()
            .filter_map(|l| shape(l))
            .take_while(|c| c.first > ps.key_col)
            .next()
            .is_some();
        let bare = lines[p]
            .split_once(':')
            .is_some_and(|(_, v)| v.trim().is_empty() || v.trim_start().starts_with('#'));
        if !has_children && bare && ps.key.is_some() {
            let (k, _) = lines[p].split_once(':')?;
            kept[p] = Cow::Owned(format!("{k}: {{}}"));
        }
    }
    Some(kept.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Email {
        to: String,
        #[serde(default)]
        text: Option<String>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Receiver {
        name: String,
        #[serde(default)]
        email_configs: Vec<Email>,
        #[serde(default)]
        n: Option<u32>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Top {
        receivers: Vec<Receiver>,
    }

    #[test]
    fn reports_every_unknown_field_with_path_and_hint() {
        let y = "receivers:\n  - name: a\n    email_configs:\n      - to: x\n        subject: y\n        body: |\n          line one\n          line two\n  - name: b\n    bogus: 1\n";
        let diags = parse_strict::<Top>("am.yml", y).unwrap_err();
        assert_eq!(diags.len(), 3, "{diags:#?}");
        assert_eq!((diags[0].line, diags[0].column), (Some(5), Some(9)));
        assert_eq!(
            diags[0].field.as_deref(),
            Some("receivers.email_configs.subject")
        );
        assert!(diags[0].hint.as_deref().unwrap().contains("headers"));
        assert_eq!(diags[1].line, Some(6));
        assert!(diags[1].hint.as_deref().unwrap().contains("text:"));
        assert_eq!(diags[2].line, Some(10));
        assert_eq!(diags[2].field.as_deref(), Some("receivers.bogus"));
        assert!(diags[0].to_string().starts_with(
            "am.yml:5:9: field receivers.email_configs.subject: unknown field `subject`"
        ));
    }

    #[test]
    fn wrong_type_names_the_field() {
        let y = "receivers:\n  - name: a\n    n: lots\n";
        let diags = parse_strict::<Top>("x.yml", y).unwrap_err();
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].line, Some(3));
        assert_eq!(diags[0].field.as_deref(), Some("receivers.n"));
    }

    #[derive(serde::Deserialize, Debug, Default)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        #[serde(default)]
        interval: Option<String>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct WithGlobal {
        #[serde(default)]
        global: Inner,
        #[serde(default)]
        other: Option<u32>,
    }

    /// Issue 16.6: `global:` whose only key is misspelled reported a second,
    /// spurious `expected mapping start` error after the unknown field.
    #[test]
    fn only_unknown_key_of_a_mapping_gives_one_error() {
        let y = "global:\n  intervall: 15s\n";
        let diags = parse_strict::<WithGlobal>("p.yml", y).unwrap_err();
        assert_eq!(diags.len(), 1, "{diags:#?}");
        assert_eq!(diags[0].field.as_deref(), Some("global.intervall"));
        let y = "global: # defaults\n  intervall: 15s\n  nested:\n    deeper: 1\nother: 2\n";
        let diags = parse_strict::<WithGlobal>("p.yml", y).unwrap_err();
        assert_eq!(diags.len(), 2, "{diags:#?}");
        assert_eq!(diags[1].field.as_deref(), Some("global.nested"));
        assert_eq!(diags[1].line, Some(3));
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let y = "receivers:\n  - name: a\n    name: b\n";
        let diags = parse_strict::<Top>("x.yml", y).unwrap_err();
        assert_eq!(diags[0].line, Some(3), "{diags:?}");
    }
}
