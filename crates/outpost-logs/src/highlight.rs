//! Search-hit highlighting (`highlight` in a search body): for each text or keyword field the
//! request names (wildcards allowed) whose values contain the query's terms, fragments of the
//! value with the matches wrapped in `pre_tags`/`post_tags` (`<em>`/`</em>` by default).
//! Options as ES: `fields` (object or list), `require_field_match` (true), `fragment_size`
//! (100), `number_of_fragments` (5; 0 = the whole value), `no_match_size` (0),
//! `highlight_query`, `encoder` (`default`/`html`), `order` (`none`: in the value's order, or
//! `score`: most matches first), `tags_schema: styled`, `type` (`unified`,
//! `plain`, `fvh`: one highlighter here). Terms come from the query AST's positive clauses.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use regex::Regex;
use serde_json::{Map, Value};
use tantivy::tokenizer::TextAnalyzer;

use crate::error::{Error, Result};
use crate::index::LogIndex;
use crate::mapping::FieldType;
use crate::query::{self, HlKind, HlTerm, Query};
use crate::resolve::wildcard_match;
use crate::search::values_at;

/// Default `fragment_size`.
const FRAGMENT_SIZE: usize = 100;
/// Default `number_of_fragments`.
const NUMBER_OF_FRAGMENTS: usize = 5;

/// Options of one highlighted field pattern (global values filled in).
#[derive(Debug, Clone)]
struct FieldOpts {
    pattern: String,
    pre: String,
    post: String,
    fragment_size: usize,
    fragments: usize,
    require_field_match: bool,
    no_match_size: usize,
    html: bool,
    by_score: bool,
    terms: Option<Vec<HlTerm>>,
}

/// A prepared `highlight` request.
#[derive(Debug)]
pub(crate) struct Highlighter {
    fields: Vec<FieldOpts>,
    terms: Vec<HlTerm>,
    /// Compiled matchers by (field options, field name), shared by the hits of one search.
    matchers: Mutex<HashMap<(usize, String), Arc<Matcher>>>,
}

fn usize_opt(o: &Map<String, Value>, key: &str) -> Result<Option<usize>> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .or_else(|| v.as_i64().map(|n| n.max(0) as u64))
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .map(|n| Some(usize::try_from(n).unwrap_or(usize::MAX)))
            .ok_or_else(|| Error::Parsing(format!("[highlight] failed to parse field [{key}]"))),
    }
}

fn first_tag(o: &Map<String, Value>, key: &str) -> Result<Option<String>> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => Ok(a.first().and_then(Value::as_str).map(str::to_string)),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Error::Parsing(format!(
            "[highlight] failed to parse field [{key}]"
        ))),
    }
}

fn query_terms(q: &Query) -> Vec<HlTerm> {
    let mut out = Vec::new();
    q.highlight_terms(&mut out);
    out
}

/// Applies the options of `o` over `base`.
fn overlay(base: &FieldOpts, o: &Map<String, Value>) -> Result<FieldOpts> {
    let mut f = base.clone();
    if o.get("tags_schema").and_then(Value::as_str) == Some("styled") {
        f.pre = "<em class=\"hlt1\">".into();
        f.post = "</em>".into();
    }
    if let Some(t) = first_tag(o, "pre_tags")? {
        f.pre = t;
    }
    if let Some(t) = first_tag(o, "post_tags")? {
        f.post = t;
    }
    if let Some(n) = usize_opt(o, "fragment_size")? {
        f.fragment_size = n;
    }
    if let Some(n) = usize_opt(o, "number_of_fragments")? {
        f.fragments = n;
    }
    if let Some(n) = usize_opt(o, "no_match_size")? {
        f.no_match_size = n;
    }
    if let Some(b) = o.get("require_field_match").and_then(Value::as_bool) {
        f.require_field_match = b;
    }
    if let Some(e) = o.get("encoder").and_then(Value::as_str) {
        f.html = e == "html";
    }
    if let Some(order) = o.get("order").and_then(Value::as_str) {
        f.by_score = order == "score";
    }
    if let Some(t) = o.get("type").and_then(Value::as_str)
        && !matches!(t, "unified" | "plain" | "fvh")
    {
        return Err(Error::IllegalArgument(format!(
            "unknown highlighter type [{t}] for the field [{}]",
            f.pattern
        )));
    }
    if let Some(hq) = o.get("highlight_query") {
        f.terms = Some(query_terms(&query::parse(hq)?));
    }
    Ok(f)
}

impl Highlighter {
    /// Parses the `highlight` object of a search body against the search's query.
    pub(crate) fn parse(spec: &Value, q: &Query) -> Result<Highlighter> {
        let Some(o) = spec.as_object() else {
            return Err(Error::Parsing(
                "[highlight] unknown token, expected an object".into(),
            ));
        };
        let base = FieldOpts {
            pattern: String::new(),
            pre: "<em>".into(),
            post: "</em>".into(),
            fragment_size: FRAGMENT_SIZE,
            fragments: NUMBER_OF_FRAGMENTS,
            require_field_match: true,
            no_match_size: 0,
            html: false,
            by_score: false,
            terms: None,
        };
        let base = overlay(&base, o)?;
        let mut specs: Vec<(String, Map<String, Value>)> = Vec::new();
        match o.get("fields") {
            Some(Value::Object(fs)) => {
                for (k, v) in fs {
                    specs.push((k.clone(), v.as_object().cloned().unwrap_or_default()));
                }
            }
            Some(Value::Array(a)) => {
                for item in a {
                    let Some(fo) = item.as_object().filter(|fo| fo.len() == 1) else {
                        return Err(Error::Parsing(
                            "[highlight] [fields] must be an object or an array of single-field objects"
                                .into(),
                        ));
                    };
                    for (k, v) in fo {
                        specs.push((k.clone(), v.as_object().cloned().unwrap_or_default()));
                    }
                }
            }
            None => {}
            Some(_) => {
                return Err(Error::Parsing(
                    "[highlight] [fields] must be an object".into(),
                ));
            }
        }
        let mut fields = Vec::with_capacity(specs.len());
        for (name, fo) in specs {
            let mut b = base.clone();
            b.pattern = name;
            fields.push(overlay(&b, &fo)?);
        }
        Ok(Highlighter {
            fields,
            terms: query_terms(q),
            matchers: Mutex::new(HashMap::new()),
        })
    }

    fn lock_matchers(&self) -> std::sync::MutexGuard<'_, HashMap<(usize, String), Arc<Matcher>>> {
        self.matchers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The `highlight` object of one hit, `None` when nothing matched.
    pub(crate) fn highlight(&self, idx: &LogIndex, source: &Value) -> Option<Value> {
        let mapping = idx.mapping();
        let mut analyzer = idx
            .tantivy()
            .tokenizers()
            .get(crate::index::TEXT_ANALYZER)
            .unwrap_or_else(|| TextAnalyzer::from(tantivy::tokenizer::SimpleTokenizer::default()));
        // candidate fields: text fields, their keyword twins, keywords
        let mut candidates: Vec<(String, bool)> = Vec::new();
        for (path, ty) in mapping.fields() {
            match ty {
                FieldType::Text { keyword } => {
                    candidates.push((path.to_string(), true));
                    if keyword.is_some() {
                        candidates.push((format!("{path}.keyword"), false));
                    }
                }
                FieldType::Keyword { .. } => candidates.push((path.to_string(), false)),
                _ => {}
            }
        }
        let mut out = Map::new();
        for (fi, f) in self.fields.iter().enumerate() {
            for (field, is_text) in &candidates {
                if out.contains_key(field) || !wildcard_match(&f.pattern, field) {
                    continue;
                }
                let all = f.terms.as_ref().unwrap_or(&self.terms);
                let key = (fi, field.clone());
                let cached = self.lock_matchers().get(&key).cloned();
                let matcher = match cached {
                    Some(m) => m,
                    None => {
                        let m = Arc::new(Matcher::new(
                            all,
                            field,
                            f.require_field_match,
                            &mut analyzer,
                        ));
                        self.lock_matchers().insert(key, m.clone());
                        m
                    }
                };
                let path = if *is_text {
                    field.as_str()
                } else {
                    field.strip_suffix(".keyword").unwrap_or(field)
                };
                let mut vals = Vec::new();
                values_at(source, path, &mut vals);
                let texts: Vec<String> = vals
                    .into_iter()
                    .filter_map(|v| match v {
                        Value::String(s) => Some(s.clone()),
                        Value::Number(n) => Some(n.to_string()),
                        Value::Bool(b) => Some(b.to_string()),
                        _ => None,
                    })
                    .collect();
                let frags = fragments(&texts, *is_text, &matcher, f, &mut analyzer);
                if !frags.is_empty() {
                    out.insert(
                        field.clone(),
                        Value::Array(frags.into_iter().map(Value::String).collect()),
                    );
                }
            }
        }
        (!out.is_empty()).then_some(Value::Object(out))
    }
}

/// The terms that apply to one field, compiled.
#[derive(Debug)]
struct Matcher {
    exact: Vec<String>,
    tokens: Vec<String>,
    phrases: Vec<Vec<String>>,
    prefixes: Vec<(String, bool)>,
    regexes: Vec<Regex>,
}

impl Matcher {
    fn new(terms: &[HlTerm], field: &str, require: bool, analyzer: &mut TextAnalyzer) -> Matcher {
        let mut m = Matcher {
            exact: Vec::new(),
            tokens: Vec::new(),
            phrases: Vec::new(),
            prefixes: Vec::new(),
            regexes: Vec::new(),
        };
        for t in terms {
            let applies = !require || t.field.as_deref().is_none_or(|p| wildcard_match(p, field));
            if !applies {
                continue;
            }
            match &t.kind {
                HlKind::Text(s) => {
                    m.exact.push(s.clone());
                    let mut ts = analyzer.token_stream(s);
                    while ts.advance() {
                        m.tokens.push(ts.token().text.clone());
                    }
                }
                HlKind::Phrase(s) => {
                    m.exact.push(s.clone());
                    let mut ts = analyzer.token_stream(s);
                    let mut words = Vec::new();
                    while ts.advance() {
                        words.push(ts.token().text.clone());
                    }
                    match words.len() {
                        0 => {}
                        1 => m.tokens.extend(words),
                        _ => m.phrases.push(words),
                    }
                }
                HlKind::Exact(s) => {
                    m.exact.push(s.clone());
                    m.tokens.push(s.clone());
                }
                HlKind::Prefix(p, ci) => m.prefixes.push((p.clone(), *ci)),
                HlKind::Regex(r, ci) => {
                    let body = if *ci {
                        format!("(?i)^(?:{r})$")
                    } else {
                        format!("^(?:{r})$")
                    };
                    if let Ok(re) = Regex::new(&body) {
                        m.regexes.push(re);
                    }
                }
            }
        }
        m
    }

    fn is_empty(&self) -> bool {
        self.exact.is_empty()
            && self.tokens.is_empty()
            && self.phrases.is_empty()
            && self.prefixes.is_empty()
            && self.regexes.is_empty()
    }

    /// Whether a token (text fields) or a whole value (keywords) matches; `exact` lists the
    /// values compared as a whole, `tokens` the analyzed terms.
    fn hits(&self, s: &str, whole: bool) -> bool {
        let list = if whole { &self.exact } else { &self.tokens };
        list.iter().any(|t| t == s)
            || self.prefixes.iter().any(|(p, ci)| {
                if *ci {
                    s.to_lowercase().starts_with(&p.to_lowercase())
                } else {
                    s.starts_with(p.as_str())
                }
            })
            || self.regexes.iter().any(|r| r.is_match(s))
    }
}

fn encode(s: &str, html: bool) -> String {
    if !html {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            '/' => out.push_str("&#x2F;"),
            other => out.push(other),
        }
    }
    out
}

/// Byte spans of the matches in one value.
fn match_spans(
    text: &str,
    is_text: bool,
    m: &Matcher,
    analyzer: &mut TextAnalyzer,
) -> Vec<(usize, usize)> {
    if !is_text {
        return if m.hits(text, true) {
            vec![(0, text.len())]
        } else {
            Vec::new()
        };
    }
    // (text, from, to, position) of every token
    let mut toks: Vec<(String, usize, usize, usize)> = Vec::new();
    let mut ts = analyzer.token_stream(text);
    while ts.advance() {
        let t = ts.token();
        if t.offset_to <= text.len() && t.offset_from < t.offset_to {
            toks.push((t.text.clone(), t.offset_from, t.offset_to, t.position));
        }
    }
    let mut marked = vec![false; toks.len()];
    for (i, t) in toks.iter().enumerate() {
        if m.hits(&t.0, false) {
            marked[i] = true;
        }
        for p in &m.phrases {
            let fits = p.iter().enumerate().all(|(k, w)| {
                toks.get(i + k)
                    .is_some_and(|u| u.0 == *w && u.3 == t.3.saturating_add(k))
            });
            if fits {
                for flag in marked.iter_mut().skip(i).take(p.len()) {
                    *flag = true;
                }
            }
        }
    }
    toks.iter()
        .zip(marked)
        .filter(|(_, on)| *on)
        .map(|(t, _)| (t.1, t.2))
        .collect()
}

/// Marks the spans within `text[from..to]`.
fn render(text: &str, from: usize, to: usize, spans: &[(usize, usize)], f: &FieldOpts) -> String {
    let mut out = String::new();
    let mut pos = from;
    for &(a, b) in spans.iter().filter(|(a, b)| *a >= from && *b <= to) {
        out.push_str(&encode(text.get(pos..a).unwrap_or_default(), f.html));
        out.push_str(&f.pre);
        out.push_str(&encode(text.get(a..b).unwrap_or_default(), f.html));
        out.push_str(&f.post);
        pos = b;
    }
    out.push_str(&encode(text.get(pos..to).unwrap_or_default(), f.html));
    out
}

fn floor_char(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// A window of about `size` bytes around a match, snapped to word boundaries and never cutting
/// a match: `[start, end)`.
fn window(text: &str, span: (usize, usize), size: usize) -> (usize, usize) {
    let len = text.len();
    if len <= size {
        return (0, len);
    }
    let extra = size.saturating_sub(span.1 - span.0);
    let mut start = floor_char(text, span.0.saturating_sub(extra / 4));
    // back to the start of a word
    if start > 0
        && let Some(ws) = text[..start].rfind(char::is_whitespace)
        && start - ws < 20
    {
        start = ws + text[ws..].chars().next().map_or(1, char::len_utf8);
    }
    let mut end = ceil_char(text, start.saturating_add(size).max(span.1));
    if end < len
        && let Some(ws) = text[end..].find(char::is_whitespace)
        && ws < 20
    {
        end += ws;
    }
    (start, end.min(len))
}

/// The fragments of a field: whole values when `number_of_fragments` is 0 or a value fits in
/// `fragment_size`, else windows around the matches; `no_match_size` leading bytes when none.
fn fragments(
    values: &[String],
    is_text: bool,
    m: &Matcher,
    f: &FieldOpts,
    analyzer: &mut TextAnalyzer,
) -> Vec<String> {
    // (matches in the fragment, fragment)
    let mut scored: Vec<(usize, String)> = Vec::new();
    if !m.is_empty() {
        for v in values {
            let spans = match_spans(v, is_text, m, analyzer);
            if spans.is_empty() {
                continue;
            }
            if f.fragments == 0 || v.len() <= f.fragment_size || !is_text {
                scored.push((spans.len(), render(v, 0, v.len(), &spans, f)));
                continue;
            }
            let mut covered = 0usize;
            for &sp in &spans {
                if sp.0 < covered {
                    continue;
                }
                let (a, b) = window(v, sp, f.fragment_size);
                let a = a.max(covered);
                let n = spans.iter().filter(|(x, y)| *x >= a && *y <= b).count();
                scored.push((n, render(v, a, b, &spans, f)));
                covered = b;
            }
        }
        if f.by_score {
            scored.sort_by_key(|x| std::cmp::Reverse(x.0));
        }
        if f.fragments > 0 {
            scored.truncate(f.fragments);
        }
    }
    let mut out: Vec<String> = scored.into_iter().map(|(_, s)| s).collect();
    if out.is_empty()
        && f.no_match_size > 0
        && let Some(v) = values.first()
    {
        let mut end = floor_char(v, f.no_match_size);
        if end < v.len()
            && let Some(ws) = v[..end].rfind(char::is_whitespace)
            && ws > 0
        {
            end = ws;
        }
        out.push(encode(&v[..end], f.html));
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::OpType;
    use crate::search::SearchOptions;
    use crate::store::{LogStore, Refresh, StoreOptions};

    fn store() -> LogStore {
        let s = LogStore::new(
            StoreOptions::default(),
            outpost_clock::Clock::manual(1_700_000_000_000),
        );
        s.index_doc(
            "logs",
            Some("1"),
            br#"{"@timestamp":"2023-11-14T22:00:00Z","message":"The quick brown fox is brown.","level":"error","service":{"name":"api"}}"#,
            OpType::Index,
            Refresh::True,
        )
        .unwrap();
        s.index_doc(
            "logs",
            Some("2"),
            br#"{"message":"nothing to see","level":"info"}"#,
            OpType::Index,
            Refresh::True,
        )
        .unwrap();
        s
    }

    fn hl(s: &LogStore, body: Value) -> Vec<Value> {
        let r = s.search("logs", &body, SearchOptions::default()).unwrap();
        r["hits"]["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h.get("highlight").cloned().unwrap_or(Value::Null))
            .collect()
    }

    #[test]
    fn unified_default_tags_on_matching_text() {
        let s = store();
        let h = hl(
            &s,
            json!({"query": {"multi_match": {"query": "quick brown fox", "fields": ["mess*"]}},
                "highlight": {"type": "unified", "fields": {"*": {}}}}),
        );
        assert_eq!(
            h[0],
            json!({"message": ["The <em>quick</em> <em>brown</em> <em>fox</em> is <em>brown</em>."]})
        );
    }

    #[test]
    fn grafana_logs_query_shape() {
        let s = store();
        let h = hl(
            &s,
            json!({"query": {"bool": {"filter": [
                    {"range": {"@timestamp": {"gte": 0, "lte": 9_999_999_999_999i64, "format": "epoch_millis"}}},
                    {"query_string": {"analyze_wildcard": true, "query": "level:error AND fox"}}]}},
                "highlight": {"fields": {"*": {}}, "pre_tags": ["@HIGHLIGHT@"],
                    "post_tags": ["@/HIGHLIGHT@"], "fragment_size": 2147483647i64}}),
        );
        assert_eq!(h.len(), 1);
        assert_eq!(
            h[0]["message"],
            json!(["The quick brown @HIGHLIGHT@fox@/HIGHLIGHT@ is brown."])
        );
        // level is a text field with a keyword twin: the token and the exact value both match
        assert_eq!(h[0]["level"], json!(["@HIGHLIGHT@error@/HIGHLIGHT@"]));
        assert!(h[0].get("level.keyword").is_none());
    }

    #[test]
    fn require_field_match_and_keyword_values() {
        let s = store();
        let h = hl(
            &s,
            json!({"query": {"term": {"level.keyword": "error"}}, "highlight": {"fields": {"*": {}}}}),
        );
        assert_eq!(h[0], json!({"level.keyword": ["<em>error</em>"]}));
        let h = hl(
            &s,
            json!({"query": {"match": {"level": "error"}},
                "highlight": {"require_field_match": false, "fields": {"level*": {}}}}),
        );
        assert_eq!(
            h[0],
            json!({"level": ["<em>error</em>"], "level.keyword": ["<em>error</em>"]})
        );
        // no match in the requested field: no highlight key at all
        let h = hl(
            &s,
            json!({"query": {"match": {"level": "error"}}, "highlight": {"fields": {"message": {}}}}),
        );
        assert_eq!(h[0], Value::Null);
        // must_not terms are not marked
        let h = hl(
            &s,
            json!({"query": {"bool": {"must": [{"match": {"message": "fox"}}],
                "must_not": [{"match": {"service.name": "error"}}]}},
                "highlight": {"require_field_match": false, "fields": [{"message": {}}, {"level": {}}]}}),
        );
        assert_eq!(
            h[0],
            json!({"message": ["The quick brown <em>fox</em> is brown."]})
        );
    }

    #[test]
    fn fragments_sizes_and_counts() {
        let s = LogStore::new(
            StoreOptions::default(),
            outpost_clock::Clock::manual(1_700_000_000_000),
        );
        let long = format!(
            "{} error here {} another error there {}",
            "pad ".repeat(40),
            "mid ".repeat(40),
            "end ".repeat(40)
        );
        s.index_doc(
            "logs",
            Some("1"),
            json!({"message": long}).to_string().as_bytes(),
            OpType::Index,
            Refresh::True,
        )
        .unwrap();
        let h = hl(
            &s,
            json!({"query": {"match": {"message": "error"}}, "highlight": {"fields": {"message": {}}}}),
        );
        let frags = h[0]["message"].as_array().unwrap();
        assert_eq!(frags.len(), 2);
        for f in frags {
            let f = f.as_str().unwrap();
            assert!(f.contains("<em>error</em>"), "{f}");
            assert!(f.len() < 140, "{}", f.len());
        }
        let h = hl(
            &s,
            json!({"query": {"match": {"message": "error"}},
                "highlight": {"number_of_fragments": 1, "fields": {"message": {}}}}),
        );
        assert_eq!(h[0]["message"].as_array().unwrap().len(), 1);
        // order=score puts the fragment with more matches first
        let h = hl(
            &s,
            json!({"query": {"match": {"message": "error there"}},
                "highlight": {"order": "score", "fields": {"message": {}}}}),
        );
        let first = h[0]["message"][0].as_str().unwrap();
        assert!(first.contains("<em>there</em>"), "{first}");
        let h = hl(
            &s,
            json!({"query": {"match": {"message": "error"}},
                "highlight": {"fields": {"message": {"number_of_fragments": 0}}}}),
        );
        let whole = h[0]["message"][0].as_str().unwrap();
        assert_eq!(whole.replace("<em>", "").replace("</em>", ""), long);
        // no_match_size gives the value's start when nothing matches
        let h = hl(
            &s,
            json!({"query": {"match_all": {}},
                "highlight": {"fields": {"message": {"no_match_size": 10}}}}),
        );
        assert_eq!(h[0]["message"], json!(["pad pad"]));
    }

    /// Cost figure: `cargo test -p outpost-logs --lib highlight_cost -- --ignored --nocapture`.
    #[test]
    #[ignore = "timing figure, run by hand"]
    fn highlight_cost() {
        let s = LogStore::new(
            StoreOptions::default(),
            outpost_clock::Clock::manual(1_700_000_000_000),
        );
        let mut body = String::new();
        for i in 0..5000 {
            body.push_str(&format!("{{\"index\":{{\"_index\":\"logs\"}}}}\n{}\n", json!({
                "@timestamp": "2023-11-14T22:00:00Z",
                "message": format!("GET /api/v1/orders/{i} 500 upstream connect error or disconnect/reset before headers, retried {} times; {}", i % 7, "padding ".repeat(100)),
                "level": if i % 2 == 0 { "error" } else { "info" },
                "service": {"name": format!("svc-{}", i % 13)}})));
        }
        s.bulk(None, body.as_bytes(), Refresh::True).unwrap();
        let q = json!({"size": 500, "query": {"query_string": {"query": "upstream AND error"}}});
        let mut with = q.clone();
        with["highlight"] = json!({"fields": {"*": {}}, "pre_tags": ["@HIGHLIGHT@"],
            "post_tags": ["@/HIGHLIGHT@"], "fragment_size": 2147483647i64});
        let time = |b: &Value| {
            let t = outpost_clock::Stopwatch::start();
            let r = s.search("logs", b, SearchOptions::default()).unwrap();
            (t.elapsed(), r)
        };
        let (plain, _) = time(&q);
        let (hl_t, r) = time(&with);
        let hits = r["hits"]["hits"].as_array().unwrap();
        assert_eq!(hits.len(), 500);
        assert!(hits.iter().all(|h| {
            h["highlight"]["message"][0]
                .as_str()
                .is_some_and(|m| m.contains("@HIGHLIGHT@upstream@/HIGHLIGHT@"))
        }));
        println!("500 hits of ~1 KiB: search {plain:?}, with highlight {hl_t:?}");
    }

    #[test]
    fn phrases_mark_only_their_adjacent_words() {
        let s = LogStore::new(
            StoreOptions::default(),
            outpost_clock::Clock::manual(1_700_000_000_000),
        );
        s.index_doc(
            "logs",
            Some("1"),
            br#"{"m":"connection refused by peer, connection reset"}"#,
            OpType::Index,
            Refresh::True,
        )
        .unwrap();
        let h = hl(
            &s,
            json!({"query": {"match_phrase": {"m": "connection refused"}},
                "highlight": {"fields": {"m": {}}}}),
        );
        assert_eq!(
            h[0]["m"],
            json!(["<em>connection</em> <em>refused</em> by peer, connection reset"])
        );
        let h = hl(
            &s,
            json!({"query": {"query_string": {"query": "\"connection reset\" OR peer"}},
                "highlight": {"fields": {"*": {}}}}),
        );
        assert_eq!(
            h[0]["m"],
            json!(["connection refused by <em>peer</em>, <em>connection</em> <em>reset</em>"])
        );
    }

    #[test]
    fn html_encoder_highlight_query_and_errors() {
        let s = LogStore::new(
            StoreOptions::default(),
            outpost_clock::Clock::manual(1_700_000_000_000),
        );
        s.index_doc(
            "logs",
            Some("1"),
            br#"{"m":"a <b> & fail"}"#,
            OpType::Index,
            Refresh::True,
        )
        .unwrap();
        let h = hl(
            &s,
            json!({"query": {"match": {"m": "fail"}}, "highlight": {"encoder": "html", "fields": {"m": {}}}}),
        );
        assert_eq!(h[0]["m"], json!(["a &lt;b&gt; &amp; <em>fail</em>"]));
        let h = hl(
            &s,
            json!({"query": {"match_all": {}}, "highlight": {"fields": {"m": {
                "highlight_query": {"prefix": {"m": "fa"}}}}}}),
        );
        assert_eq!(h[0]["m"], json!(["a <b> & <em>fail</em>"]));
        let e = s
            .search(
                "logs",
                &json!({"highlight": {"fields": {"m": {"type": "nope"}}}}),
                SearchOptions::default(),
            )
            .unwrap_err();
        assert_eq!(e.es_type(), "illegal_argument_exception");
        let e = s
            .search("logs", &json!({"highlight": 3}), SearchOptions::default())
            .unwrap_err();
        assert_eq!((e.status(), e.es_type()), (400, "parsing_exception"));
    }
}
