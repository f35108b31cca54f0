//! The parser: one pass over the input bytes, one line per entry, no
//! allocation per sample unless a label value holds escape sequences (or is
//! an unusual `le`/`quantile` value that Prometheus respells).
//!
//! Token rules mirror Prometheus' lexers (`promlex.l`, `openmetricslex.l`)
//! and the grammar mirrors `promparse.go` and `openmetricsparse.go`.

use std::borrow::Cow;
use std::fmt;

use crate::entry::{Entry, Exemplar, Label, Sample};
use crate::error::{ParseError, Result};
use crate::float::{FloatError, normalize_float_label, parse_go_float};
use crate::format::{Format, MetricType};
use crate::scan::{
    LABEL_CONT, LABEL_START, NAME_CONT, NAME_START, Unterminated, is, line_end, om_token_end,
    scan_class, scan_quoted, skip_blanks, text_value_end, unescape,
};

/// A lending iterator over the entries of one scrape body.
///
/// Call [`Parser::next`] until it returns `Ok(None)`. After an error the
/// parser is finished and returns `Ok(None)`, like a scrape that stops at its
/// first bad line.
///
/// # Text format 0.0.4 (as `promparse.go`)
///
/// Blank lines and lines of only spaces and tabs are skipped; spaces and tabs
/// may separate every token and lead a line; `#` lines other than
/// `# HELP`/`# TYPE` are comments; the trailing comma of a label set and a
/// missing final newline are accepted; timestamps are integer milliseconds.
///
/// # OpenMetrics 1.0 (as `openmetricsparse.go`)
///
/// Tokens are separated by exactly one space; there are no blank lines or
/// free comments; `# EOF` must end the input (optionally followed by one
/// newline); timestamps are float seconds; exemplars are parsed; a non-empty
/// `# UNIT` must be a `_`-separated suffix of its metric name.
///
/// # Both
///
/// Values take Go float syntax plus `NaN`, `Inf`, `+Inf`, `-Inf` (any case;
/// hex floats, underscores and overflowing literals are errors). Prometheus 3
/// UTF-8 names are accepted in quotes: `{"my.metric", "my.label"="v"}` and
/// `# TYPE "my.metric" gauge`. Label values resolve `\\`, `\"` and `\n`;
/// other backslash sequences are kept verbatim. Duplicate label names (or a
/// `__name__` label) are an error, as they are for Prometheus' scrape loop.
/// As in Prometheus 3, `le` values after a `histogram` TYPE and `quantile`
/// values after a `summary` TYPE are rewritten to the OpenMetrics float
/// spelling (`"1"` becomes `"1.0"`); integers up to 1000 and values already
/// in that spelling cost no allocation.
///
/// # Deliberate differences from Prometheus
///
/// - Quoted names containing escape sequences (`{"a\"b"}`) are rejected
///   with a clear error: names are returned as slices of the input.
/// - A raw newline inside a quoted string is an error in the text format too.
/// - A NUL byte at the start of a text-format line is an error, where
///   Prometheus silently stops parsing.
/// - Exemplar label values have their escape sequences resolved.
pub struct Parser<'a> {
    input: &'a [u8],
    /// The whole input as `str` when it is valid UTF-8, so that slicing at
    /// ASCII delimiters needs no further validation.
    text: Option<&'a str>,
    format: Format,
    /// Start of the next line to parse.
    pos: usize,
    /// 1-based number of the line being parsed (0 before the first).
    line: usize,
    /// Type of the last `# TYPE` line, for `le`/`quantile` normalisation.
    kind: MetricType,
    done: bool,
    labels: Vec<Label<'a>>,
    exemplar_labels: Vec<Label<'a>>,
    /// Scratch list of label names for the duplicate check of wide sets.
    names: Vec<&'a str>,
}

impl fmt::Debug for Parser<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parser")
            .field("format", &self.format)
            .field("len", &self.input.len())
            .field("pos", &self.pos)
            .field("line", &self.line)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

/// A parsed line before the borrowed label buffers are attached.
enum Raw<'a> {
    Sample {
        name: &'a str,
        value: f64,
        timestamp_ms: Option<i64>,
        exemplar: Option<(f64, Option<i64>)>,
    },
    Help {
        metric: &'a str,
        text: Cow<'a, str>,
    },
    Type {
        metric: &'a str,
        kind: MetricType,
    },
    Unit {
        metric: &'a str,
        unit: &'a str,
    },
}

/// Where parsed labels go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum LabelSet {
    Series,
    Exemplar,
}

impl<'a> Parser<'a> {
    /// A parser over one scrape body in the given format.
    ///
    /// Checks once whether the body is valid UTF-8 (a fast pass), so that
    /// names and values can later be sliced without re-validation; invalid
    /// UTF-8 only becomes an error where a name, label value or help text
    /// contains it.
    pub fn new(input: &'a [u8], format: Format) -> Self {
        Parser {
            input,
            text: std::str::from_utf8(input).ok(),
            format,
            pos: 0,
            line: 0,
            kind: MetricType::Unknown,
            done: false,
            labels: Vec::with_capacity(16),
            exemplar_labels: Vec::new(),
            names: Vec::new(),
        }
    }

    /// The next entry, `Ok(None)` at the end of the input, or the first
    /// error.
    ///
    /// The entry borrows the parser's label buffers, so it must be dropped
    /// before the next call (a lending iterator; it cannot implement
    /// [`Iterator`]).
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Entry<'_>>> {
        if self.done {
            return Ok(None);
        }
        let raw = match self.format {
            Format::PrometheusText => self.next_text(),
            Format::OpenMetrics => self.next_openmetrics(),
        };
        let raw = match raw {
            Ok(Some(raw)) => raw,
            Ok(None) => {
                self.done = true;
                return Ok(None);
            }
            Err(e) => {
                self.done = true;
                return Err(e);
            }
        };
        Ok(Some(match raw {
            Raw::Sample {
                name,
                value,
                timestamp_ms,
                exemplar,
            } => Entry::Sample(Sample {
                name,
                labels: &self.labels,
                value,
                timestamp_ms,
                exemplar: exemplar.map(|(value, timestamp_ms)| Exemplar {
                    labels: &self.exemplar_labels,
                    value,
                    timestamp_ms,
                }),
            }),
            Raw::Help { metric, text } => Entry::Help { metric, text },
            Raw::Type { metric, kind } => Entry::Type { metric, kind },
            Raw::Unit { metric, unit } => Entry::Unit { metric, unit },
        }))
    }

    // ---------------------------------------------------------------------
    // Text format 0.0.4
    // ---------------------------------------------------------------------

    fn next_text(&mut self) -> Result<Option<Raw<'a>>> {
        let b = self.input;
        loop {
            if self.pos >= b.len() {
                return Ok(None);
            }
            self.line += 1;
            let i = skip_blanks(b, self.pos);
            match b.get(i) {
                None => {
                    self.pos = i;
                    return Ok(None);
                }
                Some(b'\n') => self.pos = i + 1,
                Some(b'#') => {
                    if let Some(raw) = self.text_hash_line(i)? {
                        return Ok(Some(raw));
                    }
                }
                Some(&c) if c == b'{' || is(c, NAME_START) => {
                    return self.text_sample(i).map(Some);
                }
                Some(_) => {
                    return Err(self.expected("metric name, \"{\", \"#\" or end of line", i));
                }
            }
        }
    }

    /// A line starting with `#` at `i`: `# HELP`, `# TYPE` or a comment.
    fn text_hash_line(&mut self, i: usize) -> Result<Option<Raw<'a>>> {
        let b = self.input;
        let j = skip_blanks(b, i + 1);
        let keyword = match b.get(j..j + 4) {
            Some(kw @ (b"HELP" | b"TYPE")) if j > i + 1 => kw,
            _ => b"",
        };
        if keyword.is_empty() || !matches!(b.get(j + 4), Some(b' ' | b'\t')) {
            // A comment, including "#HELP ..." and a bare "# HELP".
            self.pos = (line_end(b, i) + 1).min(b.len());
            return Ok(None);
        }
        let is_help = keyword == b"HELP";
        let k = skip_blanks(b, j + 4);
        let (metric, after) = self.meta_name(k, if is_help { "HELP" } else { "TYPE" })?;
        let eol = line_end(b, after);
        self.pos = (eol + 1).min(b.len());
        // Prometheus' lexer takes the rest of the line and drops its first
        // byte (normally the separating blank); a blank-only rest is empty.
        let rest = b.get(after..eol).unwrap_or_default();
        let text_start = if rest.iter().all(|&c| c == b' ' || c == b'\t') || rest.len() < 2 {
            eol
        } else {
            after + 1
        };
        if is_help {
            let raw = self.slice_str(text_start, eol, "help text")?;
            let text = if raw.contains('\\') {
                Cow::Owned(unescape(raw, false))
            } else {
                Cow::Borrowed(raw)
            };
            Ok(Some(Raw::Help { metric, text }))
        } else {
            let word = b.get(text_start..eol).unwrap_or_default();
            let kind = MetricType::parse(word, Format::PrometheusText)
                .ok_or_else(|| self.error(format!("invalid metric type {}", quote_bytes(word))))?;
            self.kind = kind;
            Ok(Some(Raw::Type { metric, kind }))
        }
    }

    fn text_sample(&mut self, start: usize) -> Result<Raw<'a>> {
        let b = self.input;
        self.labels.clear();
        let mut name = None;
        let mut i = start;
        if b.get(i) != Some(&b'{') {
            let end = scan_class(b, i, NAME_CONT);
            name = Some(self.slice_str(i, end, "metric name")?);
            i = skip_blanks(b, end);
        }
        if b.get(i) == Some(&b'{') {
            i = self.text_labels(i + 1, &mut name)?;
            i = skip_blanks(b, i);
        }
        let Some(name) = name else {
            return Err(self.error("metric name not set".into()));
        };
        let value_end = text_value_end(b, i);
        if value_end == i {
            return Err(self.expected("value after metric", i));
        }
        let value = self.value(i, value_end, "value")?;
        i = skip_blanks(b, value_end);
        let mut timestamp_ms = None;
        match b.get(i) {
            None => {}
            Some(b'\n') => i += 1,
            Some(c) if c.is_ascii_digit() => {
                let end = scan_digits(b, i);
                let digits = b.get(i..end).unwrap_or_default();
                timestamp_ms = Some(parse_int(digits).ok_or_else(|| {
                    self.error(format!("timestamp {} out of range", quote_bytes(digits)))
                })?);
                i = skip_blanks(b, end);
                match b.get(i) {
                    None => {}
                    Some(b'\n') => i += 1,
                    Some(_) => return Err(self.expected("end of line after timestamp", i)),
                }
            }
            Some(_) => return Err(self.expected("timestamp or end of line", i)),
        }
        self.pos = i;
        self.check_unique_labels()?;
        Ok(Raw::Sample {
            name,
            value,
            timestamp_ms,
            exemplar: None,
        })
    }

    /// Label set after `{`; returns the index after the closing `}`.
    fn text_labels(&mut self, mut i: usize, name: &mut Option<&'a str>) -> Result<usize> {
        let b = self.input;
        loop {
            i = skip_blanks(b, i);
            let (label, quoted, after) = match b.get(i) {
                Some(b'}') => return Ok(i + 1),
                Some(&c) if is(c, LABEL_START) => {
                    let end = scan_class(b, i, LABEL_CONT);
                    (self.slice_str(i, end, "label name")?, false, end)
                }
                Some(b'"') => {
                    let (s, after) = self.quoted_name(i, "name")?;
                    (s, true, after)
                }
                _ => return Err(self.expected("label name or \"}\"", i)),
            };
            i = skip_blanks(b, after);
            match b.get(i) {
                Some(&c @ (b',' | b'}')) if quoted => {
                    self.set_quoted_metric_name(name, label)?;
                    if c == b'}' {
                        return Ok(i + 1);
                    }
                    i += 1;
                    continue;
                }
                Some(b'=') => i = skip_blanks(b, i + 1),
                _ => return Err(self.expected("\"=\" after label name", i)),
            }
            if b.get(i) != Some(&b'"') {
                return Err(self.expected("label value", i));
            }
            let (value, after) = self.label_value(i)?;
            self.push_label(LabelSet::Series, label, value);
            // Prometheus allows a trailing comma, and (by accident) no comma
            // at all between pairs.
            i = skip_blanks(b, after);
            if b.get(i) == Some(&b',') {
                i += 1;
            }
        }
    }

    // ---------------------------------------------------------------------
    // OpenMetrics 1.0
    // ---------------------------------------------------------------------

    fn next_openmetrics(&mut self) -> Result<Option<Raw<'a>>> {
        let b = self.input;
        let i = self.pos;
        if i >= b.len() {
            return Err(ParseError {
                line: self.line + 1,
                message: "data does not end with \"# EOF\"".into(),
            });
        }
        self.line += 1;
        match b[i] {
            b'#' => self.om_hash_line(i),
            c if c == b'{' || is(c, NAME_START) => self.om_sample(i).map(Some),
            _ => Err(self.expected("metric name, \"{\" or \"# \"", i)),
        }
    }

    fn om_hash_line(&mut self, i: usize) -> Result<Option<Raw<'a>>> {
        let b = self.input;
        let rest = b.get(i..).unwrap_or_default();
        if rest.starts_with(b"# EOF") {
            let mut end = i + 5;
            if b.get(end) == Some(&b'\n') {
                end += 1;
            }
            if end < b.len() {
                return Err(ParseError {
                    line: if end > i + 5 {
                        self.line + 1
                    } else {
                        self.line
                    },
                    message: "unexpected data after \"# EOF\"".into(),
                });
            }
            self.pos = b.len();
            return Ok(None);
        }
        let keyword = match rest.get(..7) {
            Some(b"# HELP ") => "HELP",
            Some(b"# TYPE ") => "TYPE",
            Some(b"# UNIT ") => "UNIT",
            _ => return Err(self.expected("\"# HELP\", \"# TYPE\", \"# UNIT\" or \"# EOF\"", i)),
        };
        let (metric, after) = self.meta_name(i + 7, keyword)?;
        if b.get(after) != Some(&b' ') {
            return Err(self.expected(
                &format!("\" \" and text after metric name in {keyword}"),
                after,
            ));
        }
        let start = after + 1;
        let eol = line_end(b, start);
        if eol >= b.len() {
            return Err(self.error("data does not end with \"# EOF\"".into()));
        }
        self.pos = eol + 1;
        match keyword {
            "HELP" => {
                let raw = self.slice_str(start, eol, "help text")?;
                let text = if raw.contains('\\') {
                    Cow::Owned(unescape(raw, true))
                } else {
                    Cow::Borrowed(raw)
                };
                Ok(Some(Raw::Help { metric, text }))
            }
            "TYPE" => {
                let word = b.get(start..eol).unwrap_or_default();
                let kind = MetricType::parse(word, Format::OpenMetrics).ok_or_else(|| {
                    self.error(format!("invalid metric type {}", quote_bytes(word)))
                })?;
                self.kind = kind;
                Ok(Some(Raw::Type { metric, kind }))
            }
            _ => {
                let unit = self.slice_str(start, eol, "unit")?;
                if !unit.is_empty() && !is_unit_suffix(metric, unit) {
                    return Err(self.error(format!(
                        "unit {unit:?} is not a suffix of metric {metric:?}"
                    )));
                }
                Ok(Some(Raw::Unit { metric, unit }))
            }
        }
    }

    fn om_sample(&mut self, start: usize) -> Result<Raw<'a>> {
        let b = self.input;
        self.labels.clear();
        self.exemplar_labels.clear();
        let mut name = None;
        let mut i = start;
        if b.get(i) != Some(&b'{') {
            let end = scan_class(b, i, NAME_CONT);
            name = Some(self.slice_str(i, end, "metric name")?);
            i = end;
        }
        if b.get(i) == Some(&b'{') {
            i = self.om_labels(i + 1, &mut name, LabelSet::Series)?;
        }
        let Some(name) = name else {
            return Err(self.error("metric name not set".into()));
        };
        if b.get(i) != Some(&b' ') {
            return Err(self.expected("\" \" and value after metric", i));
        }
        let (value, mut i) = self.om_value(i + 1, "value")?;
        let mut timestamp_ms = None;
        let mut exemplar = None;
        match b.get(i) {
            None => return Err(self.error("data does not end with \"# EOF\"".into())),
            Some(b'\n') => i += 1,
            Some(_) => {
                if !is_exemplar_start(b, i) {
                    let start = i + 1;
                    let end = om_token_end(b, start);
                    if end == start {
                        return Err(self.expected("timestamp or exemplar after value", start));
                    }
                    timestamp_ms = Some(self.om_timestamp(start, end, "timestamp")?);
                    i = end;
                }
                match b.get(i) {
                    None => return Err(self.error("data does not end with \"# EOF\"".into())),
                    Some(b'\n') => i += 1,
                    Some(_) if is_exemplar_start(b, i) => {
                        let (ex, after) = self.om_exemplar(i + 4)?;
                        exemplar = Some(ex);
                        i = after;
                    }
                    Some(_) => {
                        return Err(self.expected("end of line or exemplar after timestamp", i));
                    }
                }
            }
        }
        self.pos = i;
        self.check_unique_labels()?;
        Ok(Raw::Sample {
            name,
            value,
            timestamp_ms,
            exemplar,
        })
    }

    /// Exemplar after ` # {`; returns it and the index after its newline.
    fn om_exemplar(&mut self, start: usize) -> Result<((f64, Option<i64>), usize)> {
        let b = self.input;
        let mut no_name = None;
        let i = self.om_labels(start, &mut no_name, LabelSet::Exemplar)?;
        if b.get(i) != Some(&b' ') {
            return Err(self.expected("\" \" and value after exemplar labels", i));
        }
        let (value, mut i) = self.om_value(i + 1, "exemplar value")?;
        let mut timestamp_ms = None;
        if b.get(i) == Some(&b' ') {
            let start = i + 1;
            let end = om_token_end(b, start);
            if end == start {
                return Err(self.expected("exemplar timestamp", start));
            }
            timestamp_ms = Some(self.om_timestamp(start, end, "exemplar timestamp")?);
            i = end;
        }
        match b.get(i) {
            None => Err(self.error("data does not end with \"# EOF\"".into())),
            Some(b'\n') => Ok(((value, timestamp_ms), i + 1)),
            Some(_) => Err(self.expected("end of line after exemplar", i)),
        }
    }

    /// Label set after `{` with no blanks allowed; returns the index after
    /// the closing `}`.
    fn om_labels(
        &mut self,
        mut i: usize,
        name: &mut Option<&'a str>,
        set: LabelSet,
    ) -> Result<usize> {
        let b = self.input;
        loop {
            let (label, quoted, after) = match b.get(i) {
                Some(b'}') => return Ok(i + 1),
                Some(&c) if is(c, LABEL_START) => {
                    let end = scan_class(b, i, LABEL_CONT);
                    (self.slice_str(i, end, "label name")?, false, end)
                }
                Some(b'"') => {
                    let (s, after) = self.quoted_name(i, "name")?;
                    (s, true, after)
                }
                _ => return Err(self.expected("label name or \"}\"", i)),
            };
            i = after;
            match b.get(i) {
                Some(&c @ (b',' | b'}')) if quoted && set == LabelSet::Series => {
                    self.set_quoted_metric_name(name, label)?;
                    if c == b'}' {
                        return Ok(i + 1);
                    }
                    i += 1;
                    continue;
                }
                Some(b'=') => i += 1,
                _ => return Err(self.expected("\"=\" after label name", i)),
            }
            if b.get(i) != Some(&b'"') {
                return Err(self.expected("label value", i));
            }
            let (value, after) = self.label_value(i)?;
            self.push_label(set, label, value);
            i = after;
            match b.get(i) {
                Some(b',') => i += 1,
                Some(b'}') => return Ok(i + 1),
                _ => return Err(self.expected("\",\" or \"}\" after label value", i)),
            }
        }
    }

    /// A float token (`[^ \n]+`) at `start`; returns it and its end.
    fn om_value(&self, start: usize, what: &str) -> Result<(f64, usize)> {
        let end = om_token_end(self.input, start);
        if end == start {
            return Err(self.expected(what, start));
        }
        Ok((self.value(start, end, what)?, end))
    }

    /// An OpenMetrics timestamp: finite float seconds, truncated to ms.
    fn om_timestamp(&self, start: usize, end: usize, what: &str) -> Result<i64> {
        let seconds = self.value(start, end, what)?;
        if !seconds.is_finite() {
            let token = self.input.get(start..end).unwrap_or_default();
            return Err(self.error(format!("invalid {what} {}", quote_bytes(token))));
        }
        Ok((seconds * 1000.0) as i64)
    }

    // ---------------------------------------------------------------------
    // Shared pieces
    // ---------------------------------------------------------------------

    /// The metric name of a HELP/TYPE/UNIT line at `i`, bare or quoted;
    /// returns it and the index after it.
    fn meta_name(&self, i: usize, keyword: &str) -> Result<(&'a str, usize)> {
        let b = self.input;
        match b.get(i) {
            Some(&c) if is(c, NAME_START) => {
                let end = scan_class(b, i, NAME_CONT);
                Ok((self.slice_str(i, end, "metric name")?, end))
            }
            Some(b'"') => self.quoted_name(i, "metric name"),
            _ => Err(self.expected(&format!("metric name after {keyword}"), i)),
        }
    }

    /// A quoted UTF-8 name whose opening quote is at `open`; returns it and
    /// the index after the closing quote.
    fn quoted_name(&self, open: usize, what: &str) -> Result<(&'a str, usize)> {
        match scan_quoted(self.input, open) {
            Ok((close, escaped)) => {
                if escaped {
                    return Err(self.error(format!(
                        "escape sequences in quoted {what}s are not supported"
                    )));
                }
                if close == open + 1 {
                    return Err(self.error(format!("empty quoted {what}")));
                }
                Ok((self.slice_str(open + 1, close, what)?, close + 1))
            }
            Err(Unterminated { at }) => {
                Err(self.expected(&format!("closing quote of quoted {what}"), at))
            }
        }
    }

    /// A quoted label value at `open`; returns it (borrowed unless it has
    /// escapes) and the index after the closing quote.
    #[inline]
    fn label_value(&self, open: usize) -> Result<(Cow<'a, str>, usize)> {
        match scan_quoted(self.input, open) {
            Ok((close, escaped)) => {
                let raw = self.slice_str(open + 1, close, "label value")?;
                let value = if escaped {
                    Cow::Owned(unescape(raw, true))
                } else {
                    Cow::Borrowed(raw)
                };
                Ok((value, close + 1))
            }
            Err(Unterminated { at }) => Err(self.expected("closing quote of label value", at)),
        }
    }

    fn set_quoted_metric_name(&self, name: &mut Option<&'a str>, quoted: &'a str) -> Result<()> {
        if name.is_some() {
            return Err(self.error(format!(
                "metric name already set, got quoted name {quoted:?}"
            )));
        }
        *name = Some(quoted);
        Ok(())
    }

    #[inline]
    fn push_label(&mut self, set: LabelSet, name: &'a str, value: Cow<'a, str>) {
        match set {
            LabelSet::Series => {
                let value = match (self.kind, name) {
                    (MetricType::Histogram, "le") | (MetricType::Summary, "quantile") => {
                        normalize_float_label(&value).unwrap_or(value)
                    }
                    _ => value,
                };
                self.labels.push((name, value));
            }
            LabelSet::Exemplar => self.exemplar_labels.push((name, value)),
        }
    }

    fn check_unique_labels(&mut self) -> Result<()> {
        let duplicate = if self.labels.len() <= 16 {
            self.labels.iter().enumerate().find_map(|(k, (name, _))| {
                let seen = *name == "__name__" || self.labels[..k].iter().any(|(n, _)| n == name);
                seen.then_some(*name)
            })
        } else {
            // Wide label sets: sort a reused scratch list instead of O(n²).
            self.names.clear();
            self.names.extend(self.labels.iter().map(|(n, _)| *n));
            self.names.sort_unstable();
            self.names
                .windows(2)
                .find(|w| w[0] == w[1])
                .map(|w| w[0])
                .or_else(|| {
                    self.names
                        .binary_search(&"__name__")
                        .ok()
                        .map(|_| "__name__")
                })
        };
        match duplicate {
            Some(name) => Err(self.error(format!("duplicate label name {name:?}"))),
            None => Ok(()),
        }
    }

    /// Parses the float token `start..end`.
    #[inline]
    fn value(&self, start: usize, end: usize, what: &str) -> Result<f64> {
        let token = self.input.get(start..end).unwrap_or_default();
        match parse_go_float(token) {
            Ok(v) => Ok(v),
            Err(FloatError::Syntax) => {
                Err(self.error(format!("expected float {what}, got {}", quote_bytes(token))))
            }
            Err(FloatError::Range) => {
                Err(self.error(format!("{what} {} out of range", quote_bytes(token))))
            }
        }
    }

    /// `input[start..end]` as `str`; `what` names it in the UTF-8 error.
    #[inline]
    fn slice_str(&self, start: usize, end: usize, what: &str) -> Result<&'a str> {
        if let Some(s) = self.text.and_then(|t| t.get(start..end)) {
            return Ok(s);
        }
        let bytes = self.input.get(start..end).unwrap_or_default();
        std::str::from_utf8(bytes)
            .map_err(|_| self.error(format!("invalid utf-8 in {what} {}", quote_bytes(bytes))))
    }

    #[cold]
    #[inline(never)]
    fn error(&self, message: String) -> ParseError {
        ParseError {
            line: self.line,
            message,
        }
    }

    /// "expected X, got Y" where Y is what stands at `at`.
    #[cold]
    #[inline(never)]
    fn expected(&self, what: &str, at: usize) -> ParseError {
        let b = self.input;
        let got = match b.get(at) {
            None => "end of input".to_owned(),
            Some(b'\n') => "end of line".to_owned(),
            Some(_) => {
                let end = line_end(b, at).min(at + 24);
                quote_bytes(b.get(at..end).unwrap_or_default())
            }
        };
        self.error(format!("expected {what}, got {got}"))
    }
}

/// Whether ` # {` (an exemplar) starts at `i`.
#[inline]
fn is_exemplar_start(b: &[u8], i: usize) -> bool {
    b.get(i..i + 4) == Some(b" # {")
}

fn is_unit_suffix(metric: &str, unit: &str) -> bool {
    metric.len() > unit.len()
        && metric.ends_with(unit)
        && metric.as_bytes().get(metric.len() - unit.len() - 1) == Some(&b'_')
}

fn scan_digits(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    i
}

/// Parses ASCII digits as an `i64`, `None` on overflow.
fn parse_int(digits: &[u8]) -> Option<i64> {
    digits.iter().try_fold(0i64, |acc, &c| {
        acc.checked_mul(10)?.checked_add(i64::from(c - b'0'))
    })
}

/// Bytes shown in an error message: quoted, escaped, lossy UTF-8.
fn quote_bytes(bytes: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(bytes))
}
