//! Secrets declared by type, as Prometheus' `config.Secret` and
//! Alertmanager's `Secret` / `SecretURL`: a config field of type [`Secret`]
//! or [`SecretUrl`] prints, serialises and debugs as `<secret>`, and only
//! [`Secret::expose`] hands out the value.
//!
//! Decoding a secret also records where its value sits in the file, so the
//! text Outpost serves (`/api/v1/status/config`, Alertmanager's
//! `config.original`) is redacted from the declarations, not from a list of
//! key names: see [`redact_text`].
//!
//! Sections Outpost accepts but does not model (other service discoveries,
//! `tracing`, receivers it does not send to, ...) are decoded as
//! [`Unmodelled`]: their whole value is served as [`UNMODELLED_TOKEN`], so a
//! secret in them cannot leak whatever its key.

use std::cell::RefCell;
use std::fmt;
use std::ops::Range;

use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_saphyr::Spanned;

/// What a non-empty secret prints as (Prometheus and Alertmanager alike).
pub const SECRET_TOKEN: &str = "<secret>";

/// What the value of a section Outpost does not model is served as.
pub const UNMODELLED_TOKEN: &str = "<not shown: section not supported by outpost>";

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
            record_span(&v, Hide::Secret);
        }
        Ok(Secret(v.value))
    }
}

/// A config section Outpost accepts but does not model. It decodes any YAML
/// value and records every scalar in it, so that the served text shows the
/// whole section as [`UNMODELLED_TOKEN`] (see [`redact_text`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Unmodelled;

impl<'de> Deserialize<'de> for Unmodelled {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let node = Spanned::<Node>::deserialize(d)?;
        if node.value == Node::Scalar {
            record_span(&node, Hide::Unmodelled);
        }
        Ok(Unmodelled)
    }
}

/// The shape of one value inside an [`Unmodelled`] section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    /// A null: nothing to hide.
    Null,
    /// A string, number or boolean.
    Scalar,
    /// A mapping or sequence, whose values were visited.
    Collection,
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> std::result::Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> std::result::Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> std::result::Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_none<E: de::Error>(self) -> std::result::Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Node, A::Error> {
        while seq.next_element::<Unmodelled>()?.is_some() {}
        Ok(Node::Collection)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Node, A::Error> {
        while map.next_key::<IgnoredAny>()?.is_some() {
            map.next_value::<Unmodelled>()?;
        }
        Ok(Node::Collection)
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

/// Why a recorded value is hidden in the served text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hide {
    /// A value declared as a [`Secret`]: served as [`SECRET_TOKEN`].
    Secret,
    /// A scalar inside an [`Unmodelled`] section: the section is served as
    /// [`UNMODELLED_TOKEN`].
    Unmodelled,
}

impl Hide {
    fn token(self) -> &'static str {
        match self {
            Hide::Secret => SECRET_TOKEN,
            Hide::Unmodelled => UNMODELLED_TOKEN,
        }
    }
}

/// The byte range of one hidden value in the text, and why it is hidden.
pub(crate) type HiddenSpan = (Range<usize>, Hide);

thread_local! {
    /// Values to hide, decoded by the current [`collect_spans`] call.
    static SPANS: RefCell<Option<Vec<HiddenSpan>>> = const { RefCell::new(None) };
}

/// Stands for a value whose position in the text is unknown.
const UNKNOWN_SPAN: Range<usize> = usize::MAX..usize::MAX;

fn record_span<T>(v: &Spanned<T>, hide: Hide) {
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
            list.push((range, hide));
        }
    });
}

/// Runs a decode and returns, with its result, the byte ranges of every
/// non-empty secret value and every scalar of an [`Unmodelled`] section it
/// decoded. Decoding is synchronous, so the ranges are gathered per thread.
pub(crate) fn collect_spans<R>(decode: impl FnOnce() -> R) -> (R, Vec<HiddenSpan>) {
    let previous = SPANS.with(|s| s.replace(Some(Vec::new())));
    let out = decode();
    let spans = SPANS.with(|s| s.replace(previous)).unwrap_or_default();
    (out, spans)
}

/// The config text with every secret value replaced by `<secret>` and every
/// [`Unmodelled`] section's value by [`UNMODELLED_TOKEN`], then re-serialised
/// from its YAML tree (comments and layout are lost, as in upstream's
/// re-marshalled config). `spans` come from [`collect_spans`].
///
/// The scalars of an unmodelled section are each replaced in the text first,
/// then in the tree every mapping or sequence that holds nothing else
/// becomes one [`UNMODELLED_TOKEN`] (its keys are dropped with it).
///
/// Fails closed: when a hidden value's position is unknown (or cannot be cut
/// out), or the result cannot be re-read, no config text is served at all.
pub(crate) fn redact_text(text: &str, spans: &[HiddenSpan]) -> String {
    if spans.iter().any(|(r, _)| *r == UNKNOWN_SPAN) {
        return WITHHELD.to_string();
    }
    let Some(spliced) = splice(text, spans) else {
        return WITHHELD.to_string();
    };
    match serde_saphyr::from_str::<serde_json::Value>(&spliced) {
        Ok(serde_json::Value::Null) => String::new(),
        Ok(mut tree) => {
            collapse_unmodelled(&mut tree);
            serde_saphyr::to_string(&tree).unwrap_or_else(|_| WITHHELD.to_string())
        }
        Err(_) if spans.iter().all(|(_, h)| *h == Hide::Secret) => spliced,
        Err(_) => WITHHELD.to_string(),
    }
}

/// What a subtree of the redacted config holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holds {
    /// No scalar at all (empty collections, nulls).
    Nothing,
    /// Only [`UNMODELLED_TOKEN`] scalars, at least one.
    Unmodelled,
    /// Some other scalar.
    Other,
}

fn holds(v: &serde_json::Value) -> Holds {
    use serde_json::Value;
    let children: Box<dyn Iterator<Item = &Value>> = match v {
        Value::Null => return Holds::Nothing,
        Value::String(s) if s == UNMODELLED_TOKEN => return Holds::Unmodelled,
        Value::Array(a) => Box::new(a.iter()),
        Value::Object(o) => Box::new(o.values()),
        _ => return Holds::Other,
    };
    let mut acc = Holds::Nothing;
    for c in children {
        match holds(c) {
            Holds::Other => return Holds::Other,
            Holds::Unmodelled => acc = Holds::Unmodelled,
            Holds::Nothing => {}
        }
    }
    acc
}

/// Replaces every largest subtree that holds only [`UNMODELLED_TOKEN`]
/// scalars by one such scalar.
fn collapse_unmodelled(v: &mut serde_json::Value) {
    use serde_json::Value;
    if holds(v) == Holds::Unmodelled {
        *v = Value::String(UNMODELLED_TOKEN.to_string());
        return;
    }
    match v {
        Value::Array(a) => a.iter_mut().for_each(collapse_unmodelled),
        Value::Object(o) => o.values_mut().for_each(collapse_unmodelled),
        _ => {}
    }
}

/// What is served instead of a config whose secrets cannot all be located.
const WITHHELD: &str = "# outpost: config withheld, a secret in it could not be redacted\n";

/// Replaces each range of `text` by its token's scalar; `None` when a range
/// does not fall on character boundaries of `text`.
fn splice(text: &str, spans: &[HiddenSpan]) -> Option<String> {
    let mut sorted: Vec<HiddenSpan> = spans.to_vec();
    sorted.sort_by_key(|(r, _)| r.start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (r, hide) in sorted {
        if r.start < at {
            // Overlapping ranges (an alias of an anchored secret): done already.
            continue;
        }
        // A block scalar's span holds its content lines only: take its `|`
        // or `>` header along, so the replacement is a plain scalar.
        let header = block_header_start(text, r.start).filter(|&s| s >= at);
        let start = header.unwrap_or(r.start);
        // Its span also runs over the indentation of the line after it: that
        // indentation belongs to the next entry and is kept.
        let end = match (header, text.get(r.clone())) {
            (Some(_), Some(content)) => content
                .rfind('\n')
                .filter(|&i| content[i + 1..].trim_matches([' ', '\t']).is_empty())
                .map_or(r.end, |i| r.start + i + 1),
            _ => r.end,
        };
        let (Some(before), Some(value)) = (text.get(at..start), text.get(start..end)) else {
            return None;
        };
        out.push_str(before);
        out.push_str(&scalar_replacement(value, hide.token()));
        at = end;
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

/// `token` written so that it replaces the scalar `value` (as it appears in
/// the file) whatever its style: inside quotes it stays inside them, a block
/// scalar becomes a quoted one. A token that is not a valid plain scalar
/// everywhere (it has `: ` in it) is single-quoted.
fn scalar_replacement(value: &str, token: &str) -> String {
    let first = value.chars().next();
    let last = value.chars().last();
    // Keep the line count: later spans index into the original text.
    let newlines = "\n".repeat(value.matches('\n').count());
    match (first, last) {
        (Some('\''), Some('\'')) | (Some('"'), Some('"')) if value.len() >= 2 => {
            let q = &value[..1];
            format!("{q}{token}{q}")
        }
        (Some('|' | '>'), _) => format!("'{token}'{newlines}"),
        _ if token.contains([':', ',', '#']) => format!("'{token}'{newlines}"),
        _ => format!("{token}{newlines}"),
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

    /// A block scalar secret followed by a more indented entry lost that
    /// entry's indentation in the served text (found with issue 16.4).
    #[test]
    fn block_secret_before_an_indented_entry_keeps_the_layout() {
        let text = "auth:\n  - username: u\n    password: |\n      block-leak\n    url: https://x/url-leak\n  - username: v\nnote: hello\n";
        let (_, spans) = collect_spans(|| serde_saphyr::from_str::<Doc>(text).unwrap());
        let out = redact_text(text, &spans);
        assert!(!out.contains("leak"), "{out}");
        let tree: serde_json::Value = serde_saphyr::from_str(&out).unwrap();
        assert_eq!(tree["auth"][0]["password"], SECRET_TOKEN, "{out}");
        assert_eq!(tree["auth"][0]["url"], SECRET_TOKEN, "{out}");
        assert_eq!(tree["auth"][1]["username"], "v", "{out}");
        assert_eq!(tree["note"], "hello", "{out}");
    }

    #[test]
    fn a_secret_without_a_position_withholds_the_text() {
        let v = Spanned::new(
            "pw".to_string(),
            serde_saphyr::Location::UNKNOWN,
            serde_saphyr::Location::UNKNOWN,
        );
        let ((), spans) = collect_spans(|| record_span(&v, Hide::Secret));
        let out = redact_text("password: pw\n", &spans);
        assert_eq!(out, WITHHELD);
        let past_the_end = vec![(
            Range {
                start: 100,
                end: 120,
            },
            Hide::Secret,
        )];
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

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // decoded for the spans only
    struct WithUnmodelled {
        auth: Vec<Auth>,
        #[serde(default)]
        other: Option<Unmodelled>,
        #[serde(default)]
        more: Option<Vec<Unmodelled>>,
    }

    #[test]
    fn unmodelled_sections_are_served_as_one_token() {
        let text = "auth:\n  - username: u\n    password: &pw pw-leak\nother:\n  server: 'c:8500'\n  token: \"tok-leak\"\n  port: 8500\n  tags: []\n  empty:\n  nested: {list: [a-leak, {deep: x-leak}], on: true}\n  block: |\n    block-leak\nmore:\n  - {url: 'https://x/flow-leak', n: 1.5}\n  - *pw\n  - plain multi\n    line-leak\n";
        let (_, spans) = collect_spans(|| serde_saphyr::from_str::<WithUnmodelled>(text).unwrap());
        let out = redact_text(text, &spans);
        assert!(!out.contains("leak"), "{out}");
        assert!(!out.contains("server"), "keys go with the section: {out}");
        let tree: serde_json::Value = serde_saphyr::from_str(&out).unwrap();
        assert_eq!(tree["other"], UNMODELLED_TOKEN, "{out}");
        // An alias of a secret stays a secret: it is not part of the section.
        assert_eq!(tree["more"][0], UNMODELLED_TOKEN, "{out}");
        assert_eq!(tree["more"][1], SECRET_TOKEN, "{out}");
        assert_eq!(tree["more"][2], UNMODELLED_TOKEN, "{out}");
        assert_eq!(tree["auth"][0]["username"], "u");
        assert_eq!(tree["auth"][0]["password"], SECRET_TOKEN);
    }

    #[test]
    fn an_unmodelled_scalar_without_a_position_withholds_the_text() {
        let v = Spanned::new(
            "x".to_string(),
            serde_saphyr::Location::UNKNOWN,
            serde_saphyr::Location::UNKNOWN,
        );
        let ((), spans) = collect_spans(|| record_span(&v, Hide::Unmodelled));
        assert_eq!(redact_text("other: x\n", &spans), WITHHELD);
    }

    #[test]
    fn empty_modelled_collections_are_not_collapsed() {
        let mut tree: serde_json::Value =
            serde_saphyr::from_str("a: {}\nb: []\nc: {d: [], e: null}\n").unwrap();
        let before = tree.clone();
        collapse_unmodelled(&mut tree);
        assert_eq!(tree, before);
    }
}
