//! Secrets declared by type, as Prometheus' `config.Secret` and
//! Alertmanager's `Secret` / `SecretURL`: a config field of type [`Secret`]
//! or [`SecretUrl`] prints, serialises and debugs as `<secret>`, and only
//! [`Secret::expose`] hands out the value.
//!
//! Decoding a secret also records where its value sits in the file, so the
//! text Outpost serves (`/api/v1/status/config`, Alertmanager's
//! `config.original`) is redacted from the declarations, not from a list of
//! key names: see [`redact_text`].

use std::cell::RefCell;
use std::fmt;
use std::ops::Range;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_saphyr::Spanned;

/// What a non-empty secret prints as (Prometheus and Alertmanager alike).
pub const SECRET_TOKEN: &str = "<secret>";

/// A secret config value; everything but [`Secret::expose`] shows `<secret>`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself, for the code that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is empty (an empty secret prints as nothing upstream).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            Ok(())
        } else {
            f.write_str(SECRET_TOKEN)
        }
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(if self.0.is_empty() { "" } else { SECRET_TOKEN })
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let v = Spanned::<String>::deserialize(d)?;
        if !v.value.is_empty() {
            record_span(&v);
        }
        Ok(Secret(v.value))
    }
}

/// A URL that is a secret (Alertmanager's `SecretURL`: Slack and webhook
/// URLs carry their credential in the path or query). It prints as
/// `<secret>`; [`SecretUrl::expose`] gives the URL.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretUrl(Secret);

impl SecretUrl {
    /// Wraps a URL.
    pub fn new(url: impl Into<String>) -> Self {
        SecretUrl(Secret::new(url))
    }

    /// The URL itself, for the code that must send to it.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for SecretUrl {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for SecretUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Secret::deserialize(d).map(SecretUrl)
    }
}

thread_local! {
    /// Byte ranges of the secrets decoded by the current [`collect_spans`] call.
    static SPANS: RefCell<Option<Vec<Range<usize>>>> = const { RefCell::new(None) };
}

/// Stands for a secret whose position in the text is unknown.
const UNKNOWN_SPAN: Range<usize> = usize::MAX..usize::MAX;

fn record_span(v: &Spanned<String>) {
    let span = v.defined.span();
    let range = match (span.byte_offset(), span.byte_len()) {
        (Some(start), Some(len)) => match (usize::try_from(start), usize::try_from(len)) {
            (Ok(start), Ok(len)) => start..start.saturating_add(len),
            _ => UNKNOWN_SPAN,
        },
        _ => UNKNOWN_SPAN,
    };
    SPANS.with(|s| {
        if let Some(list) = s.borrow_mut().as_mut() {
            list.push(range);
        }
    });
}

/// Runs a decode and returns, with its result, the byte ranges of every
/// non-empty secret value it decoded. Decoding is synchronous, so the ranges
/// are gathered per thread.
pub(crate) fn collect_spans<R>(decode: impl FnOnce() -> R) -> (R, Vec<Range<usize>>) {
    let previous = SPANS.with(|s| s.replace(Some(Vec::new())));
    let out = decode();
    let spans = SPANS.with(|s| s.replace(previous)).unwrap_or_default();
    (out, spans)
}

/// The config text with every secret value replaced by `<secret>`, then
/// re-serialised from its YAML tree (comments and layout are lost, as in
/// upstream's re-marshalled config). `spans` come from [`collect_spans`].
///
/// Fails closed: when a secret's position is unknown (or cannot be cut out)
/// no config text is served at all.
pub(crate) fn redact_text(text: &str, spans: &[Range<usize>]) -> String {
    if spans.contains(&UNKNOWN_SPAN) {
        return WITHHELD.to_string();
    }
    let Some(spliced) = splice(text, spans) else {
        return WITHHELD.to_string();
    };
    match serde_saphyr::from_str::<serde_json::Value>(&spliced) {
        Ok(serde_json::Value::Null) => String::new(),
        Ok(tree) => serde_saphyr::to_string(&tree).unwrap_or(spliced),
        Err(_) => spliced,
    }
}

/// What is served instead of a config whose secrets cannot all be located.
const WITHHELD: &str = "# outpost: config withheld, a secret in it could not be redacted\n";

/// Replaces each range of `text` by a `<secret>` scalar; `None` when a range
/// does not fall on character boundaries of `text`.
fn splice(text: &str, spans: &[Range<usize>]) -> Option<String> {
    let mut sorted: Vec<Range<usize>> = spans.to_vec();
    sorted.sort_by_key(|r| r.start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for r in sorted {
        if r.start < at {
            // Overlapping ranges (an alias of an anchored secret): done already.
            continue;
        }
        // A block scalar's span holds its content lines only: take its `|`
        // or `>` header along, so the replacement is a plain scalar.
        let start = block_header_start(text, r.start)
            .filter(|&s| s >= at)
            .unwrap_or(r.start);
        let (Some(before), Some(value)) = (text.get(at..start), text.get(start..r.end)) else {
            return None;
        };
        out.push_str(before);
        out.push_str(&scalar_replacement(value));
        at = r.end;
    }
    out.push_str(text.get(at..)?);
    Some(out)
}

/// Where the block scalar header (`|`, `>-`, `|+2`, ...) of content starting
/// at `start` begins, if the content is a block scalar's.
fn block_header_start(text: &str, start: usize) -> Option<usize> {
    let before = text.get(..start)?.trim_end();
    let token_at = before.rfind([' ', ':', '\n']).map_or(0, |i| i + 1);
    let token = &before[token_at..];
    let mut chars = token.chars();
    let header = matches!(chars.next(), Some('|' | '>'))
        && chars.all(|c| c == '-' || c == '+' || c.is_ascii_digit());
    header.then_some(token_at)
}

/// `<secret>` written so that it replaces the scalar `value` (as it appears
/// in the file) whatever its style: inside quotes it stays inside them, a
/// block scalar becomes a plain one.
fn scalar_replacement(value: &str) -> String {
    let first = value.chars().next();
    let last = value.chars().last();
    match (first, last) {
        (Some('\''), Some('\'')) | (Some('"'), Some('"')) if value.len() >= 2 => {
            let q = &value[..1];
            format!("{q}{SECRET_TOKEN}{q}")
        }
        (Some('|' | '>'), _) => {
            // Keep the line count: later spans index into the original text.
            let newlines = value.matches('\n').count();
            format!("'{SECRET_TOKEN}'{}", "\n".repeat(newlines))
        }
        _ => {
            let newlines = value.matches('\n').count();
            format!("{SECRET_TOKEN}{}", "\n".repeat(newlines))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Serialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Auth {
        username: String,
        #[serde(default)]
        password: Option<Secret>,
        #[serde(default)]
        url: Option<SecretUrl>,
    }

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        auth: Vec<Auth>,
        #[serde(default)]
        note: Option<String>,
    }

    #[test]
    fn secrets_print_as_secret_and_expose_the_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s}"), "<secret>");
        assert_eq!(format!("{s:?}"), "<secret>");
        assert_eq!(s.expose(), "hunter2");
        assert_eq!(format!("{}", Secret::default()), "");
        let u = SecretUrl::new("https://hooks.slack.com/services/T/B/x");
        assert_eq!(format!("{u} {u:?}"), "<secret> <secret>");
        assert_eq!(u.expose(), "https://hooks.slack.com/services/T/B/x");
        let a = Auth {
            username: "u".into(),
            password: Some(s),
            url: Some(u),
        };
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(
            json,
            r#"{"username":"u","password":"<secret>","url":"<secret>"}"#
        );
        assert!(!format!("{a:?}").contains("hunter2"));
    }

    #[test]
    fn every_scalar_style_is_redacted_in_the_text() {
        let text = "auth:\n  - username: u\n    password: plain-leak\n  - {username: v, password: 'quoted-leak', url: \"https://h/dq-leak\"}\n  - username: w\n    password: |\n      block-leak\n      more\nnote: plain-leak-is-not-a-secret-here\n";
        let (doc, spans) = collect_spans(|| serde_saphyr::from_str::<Doc>(text).unwrap());
        assert_eq!(
            doc.auth[2].password.as_ref().unwrap().expose(),
            "block-leak\nmore\n"
        );
        assert_eq!(doc.note.as_deref(), Some("plain-leak-is-not-a-secret-here"));
        assert_eq!(spans.len(), 4, "{spans:?}");
        let out = redact_text(text, &spans);
        for leak in ["plain-leak\n", "quoted-leak", "dq-leak", "block-leak"] {
            assert!(!out.contains(leak), "{leak} leaked:\n{out}");
        }
        let tree: serde_json::Value = serde_saphyr::from_str(&out).unwrap();
        for i in 0..3 {
            assert_eq!(tree["auth"][i]["password"], "<secret>", "{out}");
        }
        assert_eq!(tree["auth"][1]["url"], "<secret>");
        assert_eq!(tree["auth"][1]["username"], "v");
        assert_eq!(tree["note"], "plain-leak-is-not-a-secret-here");
    }

    #[test]
    fn a_secret_without_a_position_withholds_the_text() {
        let v = Spanned::new(
            "pw".to_string(),
            serde_saphyr::Location::UNKNOWN,
            serde_saphyr::Location::UNKNOWN,
        );
        let ((), spans) = collect_spans(|| record_span(&v));
        let out = redact_text("password: pw\n", &spans);
        assert_eq!(out, WITHHELD);
        let past_the_end = vec![Range {
            start: 100,
            end: 120,
        }];
        assert_eq!(redact_text("password: pw\n", &past_the_end), WITHHELD);
    }

    #[test]
    fn anchored_secrets_are_redacted_where_defined() {
        let text = "auth:\n  - {username: u, password: &pw anchor-leak}\n  - {username: v, password: *pw}\n";
        let (doc, spans) = collect_spans(|| serde_saphyr::from_str::<Doc>(text).unwrap());
        assert_eq!(
            doc.auth[1].password.as_ref().unwrap().expose(),
            "anchor-leak"
        );
        let out = redact_text(text, &spans);
        assert!(!out.contains("anchor-leak"), "{out}");
    }

    #[test]
    fn no_spans_are_gathered_outside_a_collection() {
        let text = "auth: [{username: u, password: p}]\n";
        let _: Doc = serde_saphyr::from_str(text).unwrap();
        let ((), spans) = collect_spans(|| ());
        assert!(spans.is_empty());
    }
}
