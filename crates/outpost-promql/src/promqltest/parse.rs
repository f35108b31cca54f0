//! The script parser: commands (`load`, `clear`, `eval`), their expectation
//! lines, Prometheus durations, series descriptions in the expanding notation,
//! and the number and string literals the format uses.

use std::sync::LazyLock;

use outpost_tsdb::{Labels, METRIC_NAME, stale_nan};
use regex::Regex;

/// One position of a value sequence: a value (a float, or the staleness
/// marker) or a gap (`_`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum SeqValue {
    /// `_`: no sample at this position.
    Omitted,
    /// A value (`stale` is the staleness NaN).
    Value(f64),
}

impl PartialEq for SeqValue {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (SeqValue::Omitted, SeqValue::Omitted) => true,
            (SeqValue::Value(a), SeqValue::Value(b)) => a.to_bits() == b.to_bits() || a == b,
            _ => false,
        }
    }
}

/// A parsed series description line: `metric{labels} values...`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SeriesDesc {
    /// The series labels, `__name__` included.
    pub(crate) labels: Labels,
    /// The expanded values (empty when `histogram` is set).
    pub(crate) values: Vec<SeqValue>,
    /// The values use the native histogram notation `{{...}}` (not parsed:
    /// Outpost has no native histograms).
    pub(crate) histogram: bool,
}

/// A series of a `load` command.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LoadSeries {
    /// The description.
    pub(crate) desc: SeriesDesc,
    /// The series has start timestamps (an `@st` line applies to it).
    pub(crate) start_timestamps: bool,
}

/// `load <step>` / `load_with_nhcb <step>`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LoadCmd {
    /// Interval between the positions of the value sequences, in ms.
    pub(crate) step_ms: i64,
    /// Classic histograms are also converted to native histograms with
    /// custom buckets (`load_with_nhcb`).
    pub(crate) with_nhcb: bool,
    /// The series, a later definition of the same labels replacing an earlier one.
    pub(crate) series: Vec<LoadSeries>,
}

/// How an expected error or annotation is matched.
#[derive(Debug, Clone)]
pub(crate) enum ExpectMatch {
    /// `msg: text`: the exact message.
    Message(String),
    /// `regex: pattern` (or no pattern: anything).
    Regex(Regex),
}

impl ExpectMatch {
    /// Whether `s` satisfies this expectation.
    pub(crate) fn matches(&self, s: &str) -> bool {
        match self {
            ExpectMatch::Message(m) => m == s,
            ExpectMatch::Regex(r) => r.is_match(s),
        }
    }

    /// What is expected, for messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            ExpectMatch::Message(m) => format!("message {m:?}"),
            ExpectMatch::Regex(r) => format!("pattern {:?}", r.as_str()),
        }
    }
}

/// An expected series of an `eval`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ExpectedSeries {
    /// Its labels.
    pub(crate) labels: Labels,
    /// 1-based position among the expected series (for ordered results).
    pub(crate) pos: usize,
    /// Its values (one for instant vectors; one per step for matrices).
    pub(crate) values: Vec<SeqValue>,
}

/// `eval instant ...` / `eval range ...` with the lines that follow it.
#[derive(Debug, Clone)]
pub(crate) struct EvalCmd {
    /// The query.
    pub(crate) expr: String,
    /// A range evaluation (otherwise instant).
    pub(crate) is_range: bool,
    /// Range start, ms (instant: the evaluation time, or the `expect range vector` start).
    pub(crate) start: i64,
    /// Range end, ms (instant without `expect range vector`: `i64::MIN`, no points allowed).
    pub(crate) end: i64,
    /// Range step, ms.
    pub(crate) step: i64,
    /// Evaluation time of an instant query, ms.
    pub(crate) eval: i64,
    /// `eval_fail`.
    pub(crate) fail: bool,
    /// `eval_warn`.
    pub(crate) warn: bool,
    /// `eval_info`.
    pub(crate) info: bool,
    /// `eval_ordered`.
    pub(crate) ordered: bool,
    /// `expected_fail_message <msg>` (after `eval_fail`; empty: unset).
    pub(crate) expected_fail_message: String,
    /// `expected_fail_regexp <pattern>` (after `eval_fail`).
    pub(crate) expected_fail_regexp: Option<Regex>,
    /// `expect ordered`.
    pub(crate) expect_ordered: bool,
    /// `expect fail [msg:|regex: ...]` (at most one).
    pub(crate) expect_fail: Vec<ExpectMatch>,
    /// `expect warn [...]` lines.
    pub(crate) expect_warn: Vec<ExpectMatch>,
    /// `expect no_warn`.
    pub(crate) expect_no_warn: bool,
    /// `expect info [...]` lines.
    pub(crate) expect_info: Vec<ExpectMatch>,
    /// `expect no_info`.
    pub(crate) expect_no_info: bool,
    /// The expected scalar (a bare number line).
    pub(crate) expected_scalar: Option<f64>,
    /// The expected series.
    pub(crate) expected: Vec<ExpectedSeries>,
    /// `expect string "..."` (empty unless given).
    pub(crate) expected_string: String,
    /// An `expect range vector` line was given.
    pub(crate) range_vector: bool,
    /// Not to be re-run as a range query (`expect range vector`, `expect string`).
    pub(crate) exclude_from_range_query: bool,
    /// An expected value uses the native histogram notation.
    pub(crate) expects_histogram: bool,
}

impl EvalCmd {
    fn new(expr: &str) -> Self {
        EvalCmd {
            expr: expr.to_string(),
            is_range: false,
            start: 0,
            end: i64::MIN,
            step: 0,
            eval: 0,
            fail: false,
            warn: false,
            info: false,
            ordered: false,
            expected_fail_message: String::new(),
            expected_fail_regexp: None,
            expect_ordered: false,
            expect_fail: Vec::new(),
            expect_warn: Vec::new(),
            expect_no_warn: false,
            expect_info: Vec::new(),
            expect_no_info: false,
            expected_scalar: None,
            expected: Vec::new(),
            expected_string: String::new(),
            range_vector: false,
            exclude_from_range_query: false,
            expects_histogram: false,
        }
    }

    /// Ordered result expected (`eval_ordered` or `expect ordered`).
    pub(crate) fn is_ordered(&self) -> bool {
        self.ordered || self.expect_ordered
    }

    /// Failure expected (`eval_fail` or `expect fail`).
    pub(crate) fn is_fail(&self) -> bool {
        self.fail || !self.expect_fail.is_empty()
    }

    fn expect_metric(&mut self, pos: usize, labels: Labels, values: Vec<SeqValue>) {
        self.expected_scalar = None;
        if let Some(e) = self.expected.iter_mut().find(|e| e.labels == labels) {
            e.pos = pos;
            e.values = values;
        } else {
            self.expected.push(ExpectedSeries {
                labels,
                pos,
                values,
            });
        }
    }
}

/// A script command.
#[derive(Debug, Clone)]
pub(crate) enum Command {
    /// `clear`: a fresh storage.
    Clear,
    /// `load ...`.
    Load(LoadCmd),
    /// `eval ...`.
    Eval(Box<EvalCmd>),
    /// A command that does not parse (counted as a failure).
    Invalid(String),
}

/// A command and its 1-based line.
#[derive(Debug, Clone)]
pub(crate) struct Cmd {
    /// Line of the command (of the offending line for `Invalid`).
    pub(crate) line: usize,
    /// The command.
    pub(crate) command: Command,
}

static PAT_SPACE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[\t ]+").unwrap());
static PAT_LOAD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^load(?:_(with_nhcb))?\s+(.+?)$").unwrap());
static PAT_EVAL_INSTANT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$").unwrap()
});
static PAT_EVAL_RANGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$",
    )
    .unwrap()
});
static PAT_EXPECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$")
        .unwrap()
});
static PAT_EXPECT_RANGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^expect range vector\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+)$").unwrap()
});
static PAT_DURATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$")
        .unwrap()
});

const RANGE_VECTOR_PREFIX: &str = "expect range vector";
const EXPECT_STRING_PREFIX: &str = "expect string";

/// A parse error: 0-based line index and message.
type ParseError = (usize, String);

/// The script's lines, trimmed, comment lines (`#...`) made blank.
pub(crate) fn get_lines(input: &str) -> Vec<String> {
    input
        .split('\n')
        .map(|l| {
            let l = l.trim();
            if l.starts_with('#') {
                String::new()
            } else {
                l.to_string()
            }
        })
        .collect()
}

/// Parses a whole script. A command that does not parse becomes
/// [`Command::Invalid`] and parsing resumes after the next blank line.
pub(crate) fn parse_script(input: &str) -> Vec<Cmd> {
    let lines = get_lines(input);
    let mut cmds = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = &lines[i];
        if l.is_empty() {
            i += 1;
            continue;
        }
        let first = PAT_SPACE.split(l).next().unwrap_or("").to_lowercase();
        let parsed = if first == "clear" {
            Ok((i, Command::Clear))
        } else if first.starts_with("load") {
            parse_load(&lines, i).map(|(end, c)| (end, Command::Load(c)))
        } else if first.starts_with("eval") {
            parse_eval(&lines, i).map(|(end, c)| (end, Command::Eval(Box::new(c))))
        } else {
            Err((i, format!("invalid command {l:?}")))
        };
        match parsed {
            Ok((end, command)) => {
                cmds.push(Cmd {
                    line: i + 1,
                    command,
                });
                i = end + 1;
            }
            Err((at, msg)) => {
                cmds.push(Cmd {
                    line: at + 1,
                    command: Command::Invalid(msg),
                });
                i = (at.max(i) + 1..lines.len())
                    .find(|&j| lines[j].is_empty())
                    .unwrap_or(lines.len());
            }
        }
    }
    cmds
}

/// Prometheus' duration (`model.ParseDuration`): `0`, or units y, w, d, h,
/// m, s, ms each at most once in that order; in ms.
pub(crate) fn parse_duration(s: &str) -> Result<i64, String> {
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err("empty duration string".into());
    }
    let caps = PAT_DURATION
        .captures(s)
        .ok_or_else(|| format!("not a valid duration string: {s:?}"))?;
    const UNITS: [i64; 7] = [
        365 * 24 * 3_600_000,
        7 * 24 * 3_600_000,
        24 * 3_600_000,
        3_600_000,
        60_000,
        1000,
        1,
    ];
    let mut total: i64 = 0;
    for (i, unit) in UNITS.iter().enumerate() {
        if let Some(m) = caps.get(i + 1) {
            let n: i64 = m
                .as_str()
                .parse()
                .map_err(|_| format!("duration out of range: {s:?}"))?;
            total = n
                .checked_mul(*unit)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(|| format!("duration out of range: {s:?}"))?;
        }
    }
    Ok(total)
}

fn parse_from_to_step(from: &str, to: &str, step: &str) -> Result<(i64, i64, i64), String> {
    let f = parse_duration(from)
        .map_err(|e| format!("invalid start timestamp definition {from:?}: {e}"))?;
    let t =
        parse_duration(to).map_err(|e| format!("invalid end timestamp definition {to:?}: {e}"))?;
    if t < f {
        return Err(format!(
            "invalid test definition, end timestamp ({to}) is before start timestamp ({from})"
        ));
    }
    let s = parse_duration(step).map_err(|e| format!("invalid step definition {step:?}: {e}"))?;
    Ok((f, t, s))
}

fn parse_load(lines: &[String], start: usize) -> Result<(usize, LoadCmd), ParseError> {
    let caps = PAT_LOAD.captures(&lines[start]).ok_or((
        start,
        "invalid load command. (load[_with_nhcb] <step:duration>)".to_string(),
    ))?;
    let with_nhcb = caps.get(1).is_some();
    let step = &caps[2];
    let step_ms = parse_duration(step)
        .map_err(|e| (start, format!("invalid step definition {step:?}: {e}")))?;
    let mut cmd = LoadCmd {
        step_ms,
        with_nhcb,
        series: Vec::new(),
    };
    let mut default_st = false;
    // (labels, number of positions, line) of an `@st` line awaiting its series.
    let mut pending_st: Option<(Labels, usize, usize)> = None;
    let mut i = start;
    while i + 1 < lines.len() {
        i += 1;
        let line = &lines[i];
        if line.is_empty() {
            i -= 1;
            break;
        }
        if is_st_line(line) {
            if let Some((_, _, at)) = pending_st {
                return Err((at, "@st line has no following sample line".into()));
            }
            let (labels, n) = parse_st_line(line).map_err(|e| (i, e))?;
            match labels {
                None => default_st = true,
                Some(l) => pending_st = Some((l, n, i)),
            }
            continue;
        }
        let desc = parse_series_desc(line).map_err(|e| (i, e))?;
        let mut st = default_st;
        if let Some((labels, n, at)) = pending_st.take() {
            if labels != desc.labels {
                return Err((
                    at,
                    "@st metric does not match the following sample line metric".into(),
                ));
            }
            if !desc.histogram && n != desc.values.len() {
                return Err((
                    at,
                    format!(
                        "@st line has {n} values but sample line has {}",
                        desc.values.len()
                    ),
                ));
            }
            st = true;
        }
        let series = LoadSeries {
            desc,
            start_timestamps: st,
        };
        match cmd
            .series
            .iter_mut()
            .find(|s| s.desc.labels == series.desc.labels)
        {
            Some(existing) => *existing = series,
            None => cmd.series.push(series),
        }
    }
    if let Some((_, _, at)) = pending_st {
        return Err((at, "@st line has no following sample line".into()));
    }
    Ok((i, cmd))
}

/// An `@st` line: the metric part (possibly empty) ends in `@st` right before
/// the first blank.
fn is_st_line(line: &str) -> bool {
    match line.find([' ', '\t']) {
        Some(idx) => line[..idx].ends_with("@st"),
        None => false,
    }
}

/// Parses `metric{labels}@st <offsets>` (labels `None` for the standalone
/// `@st <offsets>` default); returns the number of positions it covers.
fn parse_st_line(line: &str) -> Result<(Option<Labels>, usize), String> {
    let idx = line
        .find([' ', '\t'])
        .ok_or("invalid @st line: missing value sequence")?;
    let metric = &line[..idx - "@st".len()];
    let n = parse_st_sequence(line[idx..].trim())?;
    if metric.is_empty() {
        return Ok((None, n));
    }
    let (labels, rest) = parse_metric(metric)?;
    if !rest.trim().is_empty() {
        return Err(format!("invalid @st line metric {metric:?}"));
    }
    Ok((Some(labels), n))
}

/// Counts (and checks) the positions of a start-timestamp offset sequence:
/// `_`, `_xN`, `*`, `*xN`, `<dur>`, `<dur>xN`, `<dur>(+|-)<dur>xN`.
fn parse_st_sequence(s: &str) -> Result<usize, String> {
    let mut n = 0usize;
    for item in s.split_whitespace() {
        let bad = |why: &str| format!("invalid @st sequence: invalid ST item {item:?}: {why}");
        if item == "_" || item == "*" {
            n += 1;
            continue;
        }
        if let Some(c) = item.strip_prefix("_x") {
            let k: usize = c.parse().map_err(|_| bad("invalid repeat count"))?;
            if k == 0 {
                return Err(bad("invalid repeat count"));
            }
            n += k;
            continue;
        }
        if let Some(c) = item.strip_prefix("*x") {
            let k: usize = c.parse().map_err(|_| bad("invalid repeat count"))?;
            n += k + 1;
            continue;
        }
        let (_, rest) = st_duration_prefix(item).map_err(|e| bad(&e))?;
        if rest.is_empty() {
            n += 1;
            continue;
        }
        let count = if let Some(c) = rest.strip_prefix('x') {
            c
        } else if rest.starts_with(['+', '-']) {
            let (_, rest2) = st_duration_prefix(&rest[1..]).map_err(|e| bad(&e))?;
            rest2
                .strip_prefix('x')
                .ok_or_else(|| bad("expected 'x<count>' after step duration"))?
        } else {
            return Err(bad("unexpected character after duration"));
        };
        let k: usize = count.parse().map_err(|_| bad("invalid repeat count"))?;
        n += k + 1;
    }
    Ok(n)
}

/// A duration with an optional sign at the start of `s` (units stop at `x`).
fn st_duration_prefix(s: &str) -> Result<(i64, &str), String> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        Some(_) => (false, s),
        None => return Err("empty duration".into()),
    };
    let digits = body.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(format!("expected digits in duration {s:?}"));
    }
    let unit = body[digits..]
        .bytes()
        .take_while(|b| b.is_ascii_alphabetic() && *b != b'x')
        .count();
    let d = parse_duration(&body[..digits + unit])?;
    Ok((if neg { -d } else { d }, &body[digits + unit..]))
}

fn parse_eval(lines: &[String], start: usize) -> Result<(usize, EvalCmd), ParseError> {
    let line = &lines[start];
    let line_no = start + 1;
    let err = |at: usize, expr: &str, msg: String| {
        (at, format!("error in eval {expr} (line {line_no}): {msg}"))
    };
    let mut cmd;
    let modifier;
    if let Some(c) = PAT_EVAL_INSTANT.captures(line) {
        modifier = c.get(1).map(|m| m.as_str().to_string());
        let expr = &c[3];
        cmd = EvalCmd::new(expr);
        let at = c.get(2).map_or("", |m| m.as_str());
        let t = parse_duration(at).map_err(|e| {
            err(
                start,
                expr,
                format!("invalid timestamp definition {at:?}: {e}"),
            )
        })?;
        cmd.start = t;
        cmd.eval = t;
    } else if let Some(c) = PAT_EVAL_RANGE.captures(line) {
        modifier = c.get(1).map(|m| m.as_str().to_string());
        let expr = &c[5];
        cmd = EvalCmd::new(expr);
        let (f, t, s) = parse_from_to_step(&c[2], &c[3], &c[4]).map_err(|e| err(start, expr, e))?;
        cmd.is_range = true;
        cmd.start = f;
        cmd.end = t;
        cmd.step = s;
    } else {
        return Err((
            start,
            "invalid evaluation command. Must be either 'eval[_fail|_warn|_ordered|_info] instant \
             [at <offset:duration>] <query>' or 'eval[_fail|_warn|_info] range from <from> to \
             <to> step <step> <query>'"
                .into(),
        ));
    }
    match modifier.as_deref() {
        Some("ordered") => cmd.ordered = true,
        Some("fail") => cmd.fail = true,
        Some("warn") => cmd.warn = true,
        Some("info") => cmd.info = true,
        _ => {}
    }
    let expr = cmd.expr.clone();

    let mut pos = 0;
    let mut i = start;
    while i + 1 < lines.len() {
        i += 1;
        let def = lines[i].as_str();
        if def.is_empty() {
            i -= 1;
            break;
        }
        if cmd.fail && def.starts_with("expected_fail_message") {
            cmd.expected_fail_message = def["expected_fail_message".len()..].trim().to_string();
            break;
        }
        if cmd.fail && def.starts_with("expected_fail_regexp") {
            let pattern = def["expected_fail_regexp".len()..].trim();
            let re = Regex::new(pattern).map_err(|e| {
                err(
                    i,
                    &expr,
                    format!("invalid regexp '{pattern}' for expected_fail_regexp: {e}"),
                )
            })?;
            cmd.expected_fail_regexp = Some(re);
            break;
        }
        if def.starts_with(RANGE_VECTOR_PREFIX) {
            let c = PAT_EXPECT_RANGE
                .captures(def)
                .ok_or_else(|| err(i, &expr, format!("invalid range vector definition {def:?}")))?;
            let (f, t, s) =
                parse_from_to_step(&c[1], &c[2], &c[3]).map_err(|e| err(i, &expr, e))?;
            cmd.range_vector = true;
            cmd.start = f;
            cmd.end = t;
            cmd.step = s;
            cmd.eval = t;
            cmd.exclude_from_range_query = true;
            continue;
        }
        if def.starts_with(EXPECT_STRING_PREFIX) {
            cmd.expected_string = parse_expect_string(def).map_err(|e| err(i, &expr, e))?;
            cmd.exclude_from_range_query = true;
            continue;
        }
        if def.split(' ').next() == Some("expect") {
            parse_expect(def, &mut cmd).map_err(|e| err(i, &expr, e))?;
            continue;
        }
        if let Ok(f) = parse_number(def) {
            cmd.expected_scalar = Some(f);
            break;
        }
        let desc = parse_series_desc(def).map_err(|e| (i, e))?;
        if desc.histogram {
            cmd.expects_histogram = true;
        }
        if desc.values.len() > 1 && !cmd.is_range && !cmd.range_vector {
            return Err(err(
                i,
                &expr,
                "expecting multiple values in instant evaluation not allowed. consider using \
                 'expect range vector' directive to enable a range vector result for an instant \
                 query"
                    .into(),
            ));
        }
        pos += 1;
        cmd.expect_metric(pos, desc.labels, desc.values);
    }
    Ok((i, cmd))
}

fn parse_expect(def: &str, cmd: &mut EvalCmd) -> Result<(), String> {
    let c = PAT_EXPECT.captures(def.trim()).ok_or(
        "invalid expect statement, must match `expect <type> <match_type>: <string>` format",
    )?;
    let kind = &c[1];
    let matcher = match c.get(2).map(|m| m.as_str()) {
        Some("msg") => ExpectMatch::Message(c[3].trim().to_string()),
        Some(_) => {
            let pattern = c[3].trim();
            ExpectMatch::Regex(
                Regex::new(pattern).map_err(|_| format!("invalid regex {pattern} for {kind}"))?,
            )
        }
        None => ExpectMatch::Regex(Regex::new("^.*$").unwrap()),
    };
    match kind {
        "ordered" => cmd.expect_ordered = true,
        "fail" => cmd.expect_fail.push(matcher),
        "warn" => cmd.expect_warn.push(matcher),
        "no_warn" => cmd.expect_no_warn = true,
        "info" => cmd.expect_info.push(matcher),
        _ => cmd.expect_no_info = true,
    }
    if !cmd.expect_info.is_empty() && cmd.expect_no_info {
        return Err("invalid expect lines, info and no_info cannot be used together".into());
    }
    if !cmd.expect_warn.is_empty() && cmd.expect_no_warn {
        return Err("invalid expect lines, warn and no_warn cannot be used together".into());
    }
    if cmd.expect_fail.len() > 1 {
        return Err("invalid expect lines, multiple expect fail lines are not allowed".into());
    }
    Ok(())
}

fn parse_expect_string(line: &str) -> Result<String, String> {
    let missing = "expected string literal not valid - a quoted string literal is required";
    if line == EXPECT_STRING_PREFIX {
        return Err(missing.into());
    }
    let s = line
        .strip_prefix(EXPECT_STRING_PREFIX)
        .and_then(|s| s.strip_prefix(' '))
        .unwrap_or("");
    if s.is_empty() {
        return Err(missing.into());
    }
    match unquote_prefix(s) {
        Some((v, "")) => Ok(v),
        _ => Err(
            "expected string literal not valid - check that the string is correctly quoted".into(),
        ),
    }
}

/// A bare number line (Go's `ParseInt(s, 0, 64)`, then `ParseFloat`).
pub(crate) fn parse_number(s: &str) -> Result<f64, String> {
    if let Some(i) = parse_go_int(s) {
        return Ok(i as f64);
    }
    let ok_chars = s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-'));
    if ok_chars && let Ok(f) = s.parse::<f64>() {
        return Ok(f);
    }
    Err(format!("error parsing number: {s:?}"))
}

/// Go's `strconv.ParseInt(s, 0, 64)`: sign, then `0x`, `0o`, `0b`, `0`
/// (octal) prefixes or decimal.
fn parse_go_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    let digits = digits.replace('_', "");
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = i128::from_str_radix(&digits, radix).ok()?;
    let v = if neg { -v } else { v };
    i64::try_from(v).ok()
}

/// Parses a series description `metric{labels} values...`.
pub(crate) fn parse_series_desc(line: &str) -> Result<SeriesDesc, String> {
    let (labels, rest) = parse_metric(line)?;
    if !rest.starts_with([' ', '\t']) {
        return Err(format!(
            "invalid series description {line:?}: expected values after the metric"
        ));
    }
    let rest = rest.trim();
    if rest.is_empty() {
        return Err(format!(
            "invalid series description {line:?}: missing values"
        ));
    }
    if rest.contains("{{") {
        return Ok(SeriesDesc {
            labels,
            values: Vec::new(),
            histogram: true,
        });
    }
    let mut values = Vec::new();
    for item in rest.split_whitespace() {
        parse_series_item(item, &mut values)
            .map_err(|e| format!("invalid series values {item:?} in {line:?}: {e}"))?;
    }
    Ok(SeriesDesc {
        labels,
        values,
        histogram: false,
    })
}

/// One item of the expanding notation: `_`, `_xN`, `stale`, `v`, `vxN`
/// (N+1 times `v`), `v+dxN` / `v-dxN` (N+1 values from `v` by `d`).
fn parse_series_item(item: &str, out: &mut Vec<SeqValue>) -> Result<(), String> {
    if item == "_" {
        out.push(SeqValue::Omitted);
        return Ok(());
    }
    if let Some(n) = item.strip_prefix("_x") {
        let n = parse_uint(n)?;
        out.extend(std::iter::repeat_n(SeqValue::Omitted, n));
        return Ok(());
    }
    if item == "stale" {
        out.push(SeqValue::Value(stale_nan()));
        return Ok(());
    }
    let (v, rest) = lex_signed_number(item).ok_or("expected a number or \"stale\"")?;
    if rest.is_empty() {
        out.push(SeqValue::Value(v));
        return Ok(());
    }
    if let Some(n) = rest.strip_prefix('x') {
        let n = parse_uint(n)?;
        out.extend(std::iter::repeat_n(SeqValue::Value(v), n + 1));
        return Ok(());
    }
    if rest.starts_with(['+', '-']) {
        let (d, rest) = lex_signed_number(rest).ok_or("expected a number after the sign")?;
        let n = rest.strip_prefix('x').ok_or("expected \"x\" and a count")?;
        let n = parse_uint(n)?;
        let mut cur = v;
        for _ in 0..=n {
            out.push(SeqValue::Value(cur));
            cur += d;
        }
        return Ok(());
    }
    Err("unexpected characters".into())
}

fn parse_uint(s: &str) -> Result<usize, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("invalid repetition in series values: {s:?}"));
    }
    s.parse()
        .map_err(|e| format!("invalid repetition in series values: {e}"))
}

/// A number with an optional sign at the start of `s` (no hexadecimal in
/// series descriptions: `0x10` is 0 repeated); returns it and the rest.
fn lex_signed_number(s: &str) -> Option<(f64, &str)> {
    let (sign, body) = match s.as_bytes().first()? {
        b'-' => (-1.0, &s[1..]),
        b'+' => (1.0, &s[1..]),
        _ => (1.0, s),
    };
    let lower = body.to_ascii_lowercase();
    for (word, v) in [("inf", f64::INFINITY), ("nan", f64::NAN)] {
        if lower.starts_with(word) {
            let rest = &body[word.len()..];
            if rest.starts_with(|c: char| c.is_ascii_alphanumeric() && c != 'x') {
                return None;
            }
            return Some((sign * v, rest));
        }
    }
    let b = body.as_bytes();
    let mut i = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let int_digits = i;
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        i += frac_digits;
    }
    if int_digits + frac_digits == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let exp_digits = b[j.min(b.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if exp_digits > 0 {
            i = j + exp_digits;
        }
    }
    let v: f64 = body[..i].parse().ok()?;
    Some((sign * v, &body[i..]))
}

/// Parses the metric part of a series description: `name`, `name{...}`
/// or `{...}` (label names and the metric name may be quoted); returns the
/// labels and the rest of the line.
pub(crate) fn parse_metric(s: &str) -> Result<(Labels, &str), String> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let ident_len = s
        .char_indices()
        .take_while(|&(i, c)| {
            c == '_' || c == ':' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())
        })
        .count();
    let mut rest = &s[ident_len..];
    if ident_len > 0 {
        pairs.push((METRIC_NAME.to_string(), s[..ident_len].to_string()));
    }
    if let Some(inner) = rest.strip_prefix('{') {
        let mut r = inner.trim_start();
        loop {
            if let Some(after) = r.strip_prefix('}') {
                rest = after;
                break;
            }
            // A label name (identifier or quoted), or a quoted metric name.
            let (name, quoted, after) = if r.starts_with(['"', '\'', '`']) {
                let (v, after) =
                    unquote_prefix(r).ok_or_else(|| format!("invalid quoted string in {s:?}"))?;
                (v, true, after)
            } else {
                let n = r
                    .char_indices()
                    .take_while(|&(i, c)| {
                        c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())
                    })
                    .count();
                if n == 0 {
                    return Err(format!(
                        "unexpected character in label set of {s:?}: expected a label name or \"}}\""
                    ));
                }
                (r[..n].to_string(), false, &r[n..])
            };
            let after = after.trim_start();
            if let Some(v) = after.strip_prefix('=') {
                let v = v.trim_start();
                let (value, after) = unquote_prefix(v)
                    .ok_or_else(|| format!("expected a quoted label value in {s:?}"))?;
                pairs.push((name, value));
                r = after.trim_start();
            } else if quoted {
                pairs.retain(|(n, _)| n != METRIC_NAME);
                pairs.push((METRIC_NAME.to_string(), name));
                r = after;
            } else {
                return Err(format!("expected \"=\" after label {name:?} in {s:?}"));
            }
            if let Some(after) = r.strip_prefix(',') {
                r = after.trim_start();
            } else if !r.starts_with('}') {
                return Err(format!("expected \",\" or \"}}\" in label set of {s:?}"));
            }
        }
    } else if ident_len == 0 {
        return Err(format!(
            "invalid series description {s:?}: expected a metric"
        ));
    }
    let labels = Labels::from_pairs(pairs)?;
    Ok((labels, rest))
}

/// Reads a quoted string (`"..."` or `'...'` with Go escapes, or raw
/// `` `...` ``) at the start of `s`; returns its value and the rest.
pub(crate) fn unquote_prefix(s: &str) -> Option<(String, &str)> {
    let quote = s.chars().next()?;
    let body = &s[1..];
    if quote == '`' {
        let end = body.find('`')?;
        return Some((body[..end].to_string(), &body[end + 1..]));
    }
    if quote != '"' && quote != '\'' {
        return None;
    }
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        if c == quote {
            return Some((out, &body[i + 1..]));
        }
        if c == '\n' {
            return None;
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let (_, e) = chars.next()?;
        match e {
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\u{b}'),
            '\\' | '\'' | '"' => out.push(e),
            'x' | 'u' | 'U' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let mut hex = String::new();
                for _ in 0..n {
                    hex.push(chars.next()?.1);
                }
                let code = u32::from_str_radix(&hex, 16).ok()?;
                out.push(char::from_u32(code)?);
            }
            '0'..='7' => {
                let mut oct = e.to_string();
                for _ in 0..2 {
                    oct.push(chars.next()?.1);
                }
                let code = u32::from_str_radix(&oct, 8).ok()?;
                out.push(char::from_u32(code)?);
            }
            _ => return None,
        }
    }
    None
}
