//! Prometheus' template function set and the alert template expander.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::error::Result;
use crate::exec::{ArgType, FuncMap, Template};
use crate::format::float_g;
use crate::funcs::{arg_str, query_escape, to_float};
use crate::timefmt;
use crate::value::{Object, Value};

/// The variable prelude Prometheus puts before every alert template (112 bytes).
pub const ALERT_PRELUDE: &str = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}";

/// One sample of a `query` result, with fields `Labels` and `Value`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sample {
    /// The series labels (including `__name__` when the result keeps it).
    pub labels: BTreeMap<String, String>,
    /// The sample value.
    pub value: f64,
}

impl Object for Sample {
    fn type_name(&self) -> &str {
        "*template.sample"
    }

    fn call(&self, name: &str, args: &[Value]) -> Option<std::result::Result<Value, String>> {
        let v = match name {
            "Labels" => Value::string_map(&self.labels),
            "Value" => Value::Float(self.value),
            _ => return None,
        };
        crate::value::field(name, args, v)
    }

    fn to_text(&self) -> String {
        format!(
            "&{{{} {}}}",
            Value::string_map(&self.labels),
            crate::format::float_v(self.value)
        )
    }
}

/// The result of `query` (Go `template.queryResult`, a list of samples).
#[derive(Debug)]
struct QueryResult(Arc<Vec<Value>>);

impl Object for QueryResult {
    fn type_name(&self) -> &str {
        "template.queryResult"
    }

    fn call(&self, _name: &str, _args: &[Value]) -> Option<std::result::Result<Value, String>> {
        None
    }

    fn base(&self) -> Option<Value> {
        Some(Value::List(self.0.clone()))
    }
}

/// Runs instant queries for the `query` template function.
pub trait Querier: Send + Sync {
    /// Evaluates `q` at `ts_ms`; a scalar result is one sample with no labels.
    fn query(&self, q: &str, ts_ms: i64) -> std::result::Result<Vec<Sample>, String>;
}

/// Everything an alert template sees (Prometheus' `AlertTemplateData` plus
/// the evaluation time and the query engine).
#[derive(Clone, Default)]
pub struct AlertContext {
    /// The sample's labels (`$labels`, `.Labels`).
    pub labels: BTreeMap<String, String>,
    /// `global.external_labels` (`$externalLabels`).
    pub external_labels: BTreeMap<String, String>,
    /// `--web.external-url` (`$externalURL`, `externalURL`, `pathPrefix`).
    pub external_url: String,
    /// The sample value (`$value`).
    pub value: f64,
    /// The evaluation timestamp (`query` runs at it, `now` returns it).
    pub ts_ms: i64,
    /// The query engine for `query`; without one, `query` fails.
    pub query: Option<Arc<dyn Querier>>,
}

impl std::fmt::Debug for AlertContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertContext")
            .field("labels", &self.labels)
            .field("external_labels", &self.external_labels)
            .field("external_url", &self.external_url)
            .field("value", &self.value)
            .field("ts_ms", &self.ts_ms)
            .field("query", &self.query.is_some())
            .finish()
    }
}

#[derive(Debug)]
struct AlertData {
    labels: Value,
    external_labels: Value,
    external_url: String,
    value: f64,
}

impl Object for AlertData {
    fn type_name(&self) -> &str {
        "struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value float64 }"
    }

    fn call(&self, name: &str, args: &[Value]) -> Option<std::result::Result<Value, String>> {
        let v = match name {
            "Labels" => self.labels.clone(),
            "ExternalLabels" => self.external_labels.clone(),
            "ExternalURL" => Value::String(self.external_url.clone()),
            "Value" => Value::Float(self.value),
            _ => return None,
        };
        crate::value::field(name, args, v)
    }
}

/// Expands an alert label or annotation template as Prometheus does: the
/// prelude is prepended, the template is named `__alert_<name>`, runs with
/// `missingkey=zero`, and an error becomes the text
/// `<error expanding template: ...>`.
pub fn expand(name: &str, text: &str, ctx: &AlertContext) -> String {
    let tname = format!("__alert_{name}");
    let mut t = Template::new(&tname);
    t.funcs(&prometheus_funcs(ctx)).missing_key_zero(true);
    let full = format!("{ALERT_PRELUDE}{text}");
    if let Err(e) = t.parse(&full) {
        return format!("<error expanding template: error parsing template {tname}: {e}>");
    }
    let data = Value::object(AlertData {
        labels: Value::string_map(&ctx.labels),
        external_labels: Value::string_map(&ctx.external_labels),
        external_url: ctx.external_url.clone(),
        value: ctx.value,
    });
    match t.execute(&data) {
        Ok(s) => s,
        Err(e) => format!("<error expanding template: error executing template {tname}: {e}>"),
    }
}

/// Checks an alert template's syntax at load time (with the prelude, as
/// Prometheus does), returning Go's parse error.
pub fn check(name: &str, text: &str) -> Result<()> {
    let mut t = Template::new(&format!("__alert_{name}"));
    t.funcs(&prometheus_funcs(&AlertContext::default()))
        .missing_key_zero(true);
    t.parse(&format!("{ALERT_PRELUDE}{text}"))?;
    Ok(())
}

/// Go's `strings.ToUpper`, rune by rune.
pub(crate) fn go_upper(s: &str) -> String {
    s.chars()
        .map(|c| {
            let mut u = c.to_uppercase();
            match (u.next(), u.next()) {
                (Some(x), None) => x,
                _ => c,
            }
        })
        .collect()
}

/// Go's `strings.ToLower`, rune by rune.
pub(crate) fn go_lower(s: &str) -> String {
    s.chars()
        .map(|c| {
            let mut u = c.to_lowercase();
            match (u.next(), u.next()) {
                (Some(x), None) => x,
                _ => c,
            }
        })
        .collect()
}

/// Go's `strings.Title`: upper-cases letters that start a word.
pub(crate) fn strings_title(s: &str) -> String {
    let is_sep = |c: char| {
        if c.is_ascii() {
            return !(c.is_ascii_alphanumeric() || c == '_');
        }
        if c.is_alphanumeric() {
            return false;
        }
        c.is_whitespace()
    };
    let mut prev = ' ';
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_sep(prev) {
            let mut u = c.to_uppercase();
            match (u.next(), u.next()) {
                (Some(x), None) => out.push(x),
                _ => out.push(c),
            }
        } else {
            out.push(c);
        }
        prev = c;
    }
    out
}

/// `regexp.MustCompile`'s panic text, as `reReplaceAll` reports it.
pub(crate) fn re_must_compile(p: &str) -> std::result::Result<regex::Regex, String> {
    re_compile(p).map_err(|e| {
        let can_backquote = !p.contains('`') && p.chars().all(|c| c == '\t' || !c.is_control());
        let q = if can_backquote {
            format!("`{p}`")
        } else {
            crate::format::go_quote(p)
        };
        format!("regexp: Compile({q}): {e}")
    })
}

/// Compiles a Go regular expression (RE2 syntax) with Go-like error text.
pub(crate) fn re_compile(p: &str) -> std::result::Result<regex::Regex, String> {
    regex::Regex::new(p).map_err(|e| {
        let detail = e.to_string();
        let last = detail
            .lines()
            .rev()
            .find(|l| l.starts_with("error:"))
            .unwrap_or("invalid pattern")
            .trim_start_matches("error: ");
        // Go's (RE2) wording for the common mistakes
        let code = match last {
            "unclosed group" => "missing closing )",
            "unopened group" => "unexpected )",
            "unclosed character class" => "missing closing ]",
            "repetition operator missing expression" => "missing argument to repetition operator",
            l if l.contains("escape") => "invalid escape sequence",
            l if l.contains("character class range") => "invalid character class range",
            l if l.contains("repetition quantifier") || l.contains("counted repetition") => {
                "invalid repeat count"
            }
            l => l,
        };
        format!("error parsing regexp: {code}: `{p}`")
    })
}

fn humanize_scale(v: f64, up: &[&str], down: &[&str], base: f64) -> String {
    let mut v = v;
    let mut prefix = "";
    if v.abs() >= 1.0 {
        for p in up {
            if v.abs() < base {
                break;
            }
            prefix = p;
            v /= base;
        }
    } else {
        for p in down {
            if v.abs() >= 1.0 {
                break;
            }
            prefix = p;
            v *= 1000.0;
        }
    }
    format!("{}{prefix}", float_g(v, 4))
}

const UP: [&str; 8] = ["k", "M", "G", "T", "P", "E", "Z", "Y"];
const DOWN: [&str; 8] = ["m", "u", "n", "p", "f", "a", "z", "y"];

/// Prometheus' `humanize`.
pub(crate) fn humanize(v: &Value) -> std::result::Result<String, String> {
    let v = to_float(v)?;
    if v == 0.0 || v.is_nan() || v.is_infinite() {
        return Ok(float_g(v, 4));
    }
    Ok(humanize_scale(v, &UP, &DOWN, 1000.0))
}

/// Prometheus' `humanize1024`.
pub(crate) fn humanize1024(v: &Value) -> std::result::Result<String, String> {
    let mut v = to_float(v)?;
    if v.abs() <= 1.0 || v.is_nan() || v.is_infinite() {
        return Ok(float_g(v, 4));
    }
    let mut prefix = "";
    for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] {
        if v.abs() < 1024.0 {
            break;
        }
        prefix = p;
        v /= 1024.0;
    }
    Ok(format!("{}{prefix}", float_g(v, 4)))
}

/// Prometheus' `humanizeDuration` (also Alertmanager's).
pub(crate) fn humanize_duration(v: &Value) -> std::result::Result<String, String> {
    let v = to_float(v)?;
    if v.is_nan() || v.is_infinite() {
        return Ok(float_g(v, 4));
    }
    if v == 0.0 {
        return Ok(format!("{}s", float_g(v, 4)));
    }
    if v.abs() >= 1.0 {
        let sign = if v < 0.0 { "-" } else { "" };
        let a = v.abs();
        // Go's int64() of an out-of-range float is math.MinInt64 on amd64
        let d = if a >= i64::MAX as f64 {
            i64::MIN
        } else {
            a as i64
        };
        let (s, m, h, days) = (d % 60, (d / 60) % 60, (d / 3600) % 24, d / 86400);
        if days != 0 {
            return Ok(format!("{sign}{days}d {h}h {m}m {s}s"));
        }
        if h != 0 {
            return Ok(format!("{sign}{h}h {m}m {s}s"));
        }
        if m != 0 {
            return Ok(format!("{sign}{m}m {s}s"));
        }
        return Ok(format!("{sign}{}s", float_g(a, 4)));
    }
    let mut v = v;
    let mut prefix = "";
    for p in DOWN {
        if v.abs() >= 1.0 {
            break;
        }
        prefix = p;
        v *= 1000.0;
    }
    Ok(format!("{}{prefix}s", float_g(v, 4)))
}

fn float_to_time(v: f64) -> std::result::Result<jiff::ZonedDateTime, String> {
    let ns = v * 1e9;
    if ns > i64::MAX as f64 || ns < i64::MIN as f64 {
        return Err(format!(
            "{} cannot be represented as a nanoseconds timestamp since it overflows int64",
            crate::format::float_v(v)
        ));
    }
    let ms = (ns as i64) / 1_000_000;
    Ok(timefmt::utc_from_ms(ms))
}

/// Prometheus' duration syntax (`1h30m`, `5m`, `1y2w`) to seconds.
pub(crate) fn parse_prom_duration(s: &str) -> std::result::Result<f64, String> {
    let bad = || {
        format!(
            "not a valid duration string: {}",
            crate::format::go_quote(s)
        )
    };
    if s.is_empty() {
        return Err("empty duration string".into());
    }
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s),
    };
    if body == "0" {
        return Ok(0.0);
    }
    if body.is_empty() {
        return Err(bad());
    }
    const UNITS: [(&str, u64); 7] = [
        ("y", 365 * 86_400_000),
        ("w", 7 * 86_400_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("ms", 1),
        ("m", 60_000),
        ("s", 1000),
    ];
    // order in which units must appear
    let rank = |u: &str| {
        ["y", "w", "d", "h", "m", "s", "ms"]
            .iter()
            .position(|x| *x == u)
            .unwrap_or(0)
    };
    let b = body.as_bytes();
    let mut i = 0;
    let mut last: Option<usize> = None;
    let mut total: u64 = 0;
    while i < b.len() {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return Err(bad());
        }
        let n: u64 = body[start..i].parse().map_err(|_| bad())?;
        let rest = &body[i..];
        let Some((u, mult)) = UNITS.iter().find(|(u, _)| rest.starts_with(u)) else {
            return Err(bad());
        };
        let r = rank(u);
        if last.is_some_and(|l| r <= l) {
            return Err(bad());
        }
        last = Some(r);
        i += u.len();
        total = n
            .checked_mul(*mult)
            .and_then(|x| total.checked_add(x))
            .ok_or_else(|| "duration out of range".to_string())?;
    }
    if total > i64::MAX as u64 / 1_000_000 {
        return Err("duration out of range".into());
    }
    let secs = total as f64 / 1000.0;
    Ok(if neg { -secs } else { secs })
}

fn split_host_port(hp: &str) -> Option<(String, String)> {
    let last = hp.rfind(':')?;
    if hp.starts_with('[') {
        let end = hp.find(']')?;
        if end + 1 == hp.len() || end + 1 != last {
            return None;
        }
        let host = &hp[1..end];
        let port = &hp[last + 1..];
        if port.contains(['[', ']']) {
            return None;
        }
        return Some((host.to_string(), port.to_string()));
    }
    let host = &hp[..last];
    if host.contains(':') || host.contains(['[', ']']) {
        return None;
    }
    let port = &hp[last + 1..];
    if port.contains(['[', ']']) {
        return None;
    }
    Some((host.to_string(), port.to_string()))
}

fn sample_arg(v: &Value) -> std::result::Result<Sample, String> {
    match v {
        Value::Object(o) if o.type_name() == "*template.sample" => Ok(Sample {
            labels: match o
                .call("Labels", &[])
                .and_then(|r| r.ok())
                .map(|v| v.plain())
            {
                Some(Value::Map(m)) => m.iter().map(|(k, v)| (k.clone(), v.to_string())).collect(),
                _ => BTreeMap::new(),
            },
            value: match o.call("Value", &[]) {
                Some(Ok(Value::Float(f))) => f,
                _ => 0.0,
            },
        }),
        Value::Null => {
            Err("runtime error: invalid memory address or nil pointer dereference".into())
        }
        v => Err(format!(
            "wrong type for value; expected *template.sample; got {}",
            v.type_name()
        )),
    }
}

fn samples_arg(v: &Value) -> std::result::Result<Vec<Value>, String> {
    match v.plain() {
        Value::List(l) => Ok((*l).clone()),
        Value::Null => Ok(Vec::new()),
        v => Err(format!(
            "wrong type for value; expected template.queryResult; got {}",
            v.type_name()
        )),
    }
}

/// Prometheus' template functions for one evaluation (`query`, `now`,
/// `externalURL` and `pathPrefix` use `ctx`).
pub fn prometheus_funcs(ctx: &AlertContext) -> FuncMap {
    let mut f = FuncMap::new();
    let q = ctx.query.clone();
    let ts = ctx.ts_ms;
    f.add_typed("query", &[ArgType::Str], None, move |a| {
        let qs = arg_str(a, 0)?;
        let Some(q) = &q else {
            return Err("no query engine available".into());
        };
        let res = q.query(qs, ts)?;
        Ok(Value::object(QueryResult(Arc::new(
            res.into_iter().map(Value::object).collect(),
        ))))
    });
    f.add_typed("first", &[ArgType::QueryResult], None, |a| {
        let l = samples_arg(&a[0])?;
        l.into_iter()
            .next()
            .ok_or_else(|| "first() called on vector with no elements".to_string())
    });
    f.add_typed("label", &[ArgType::Str, ArgType::Sample], None, |a| {
        let name = arg_str(a, 0)?;
        let s = sample_arg(&a[1])?;
        Ok(Value::String(
            s.labels.get(name).cloned().unwrap_or_default(),
        ))
    });
    f.add_typed("value", &[ArgType::Sample], None, |a| {
        Ok(Value::Float(sample_arg(&a[0])?.value))
    });
    f.add_typed("strvalue", &[ArgType::Sample], None, |a| {
        Ok(Value::String(
            sample_arg(&a[0])?
                .labels
                .get("__value__")
                .cloned()
                .unwrap_or_default(),
        ))
    });
    f.add_typed(
        "sortByLabel",
        &[ArgType::Str, ArgType::QueryResult],
        None,
        |a| {
            let name = arg_str(a, 0)?.to_string();
            let mut l = samples_arg(&a[1])?;
            let key = |v: &Value| {
                sample_arg(v)
                    .map(|s| s.labels.get(&name).cloned().unwrap_or_default())
                    .unwrap_or_default()
            };
            l.sort_by_key(key);
            Ok(Value::object(QueryResult(Arc::new(l))))
        },
    );
    f.add("humanize", 1, |a| humanize(&a[0]).map(Value::String));
    f.add("humanize1024", 1, |a| {
        humanize1024(&a[0]).map(Value::String)
    });
    f.add("humanizeDuration", 1, |a| {
        humanize_duration(&a[0]).map(Value::String)
    });
    f.add("humanizePercentage", 1, |a| {
        Ok(Value::String(format!(
            "{}%",
            float_g(to_float(&a[0])? * 100.0, 4)
        )))
    });
    f.add("humanizeTimestamp", 1, |a| {
        let v = to_float(&a[0])?;
        if v.is_nan() || v.is_infinite() {
            return Ok(Value::String(float_g(v, 4)));
        }
        Ok(Value::String(timefmt::go_time_string(&float_to_time(v)?)))
    });
    f.add("toTime", 1, |a| {
        let v = to_float(&a[0])?;
        if v.is_nan() || v.is_infinite() {
            return Err("value is NaN or Inf".into());
        }
        Ok(Value::Time(float_to_time(v)?))
    });
    f.add("toDuration", 1, |a| {
        let v = to_float(&a[0])?;
        let ns = v * 1e9;
        if ns.is_nan() || ns > i64::MAX as f64 || ns < i64::MIN as f64 {
            return Err(format!(
                "{} cannot be represented as a duration",
                crate::format::float_v(v)
            ));
        }
        Ok(Value::Duration(ns.round() as i64))
    });
    f.add("now", 0, move |_| Ok(Value::Float(ts as f64 / 1000.0)));
    f.add_typed("parseDuration", &[ArgType::Str], None, |a| {
        parse_prom_duration(arg_str(a, 0)?).map(Value::Float)
    });
    f.add_typed("match", &[ArgType::Str, ArgType::Str], None, |a| {
        Ok(Value::Bool(
            re_compile(arg_str(a, 0)?)?.is_match(arg_str(a, 1)?),
        ))
    });
    f.add_typed(
        "reReplaceAll",
        &[ArgType::Str, ArgType::Str, ArgType::Str],
        None,
        |a| {
            let re = re_must_compile(arg_str(a, 0)?)?;
            Ok(Value::String(
                re.replace_all(arg_str(a, 2)?, arg_str(a, 1)?).into_owned(),
            ))
        },
    );
    f.add_typed("title", &[ArgType::Str], None, |a| {
        Ok(Value::String(strings_title(arg_str(a, 0)?)))
    });
    f.add_typed("toUpper", &[ArgType::Str], None, |a| {
        Ok(Value::String(go_upper(arg_str(a, 0)?)))
    });
    f.add_typed("toLower", &[ArgType::Str], None, |a| {
        Ok(Value::String(go_lower(arg_str(a, 0)?)))
    });
    f.add_typed("stripPort", &[ArgType::Str], None, |a| {
        let hp = arg_str(a, 0)?;
        Ok(Value::String(
            split_host_port(hp).map_or_else(|| hp.to_string(), |(h, _)| h),
        ))
    });
    f.add_typed("stripDomain", &[ArgType::Str], None, |a| {
        let hp = arg_str(a, 0)?;
        let (host, port) = split_host_port(hp).unwrap_or_else(|| (hp.to_string(), String::new()));
        if host.parse::<std::net::IpAddr>().is_ok() {
            return Ok(Value::String(hp.to_string()));
        }
        let short = host.split('.').next().unwrap_or("").to_string();
        if port.is_empty() {
            return Ok(Value::String(short));
        }
        if short.contains(':') {
            return Ok(Value::String(format!("[{short}]:{port}")));
        }
        Ok(Value::String(format!("{short}:{port}")))
    });
    f.add_typed("graphLink", &[ArgType::Str], None, |a| {
        Ok(Value::String(format!(
            "/graph?g0.expr={}&g0.tab=0",
            query_escape(arg_str(a, 0)?)
        )))
    });
    f.add_typed("tableLink", &[ArgType::Str], None, |a| {
        Ok(Value::String(format!(
            "/graph?g0.expr={}&g0.tab=1",
            query_escape(arg_str(a, 0)?)
        )))
    });
    let url = ctx.external_url.clone();
    f.add("externalURL", 0, move |_| Ok(Value::String(url.clone())));
    let path = url_path(&ctx.external_url);
    f.add("pathPrefix", 0, move |_| Ok(Value::String(path.clone())));
    f.add_variadic("args", 0, |a| {
        Ok(Value::map(
            a.iter()
                .enumerate()
                .map(|(i, v)| (format!("arg{i}"), v.clone()))
                .collect(),
        ))
    });
    f.add_typed("safeHtml", &[ArgType::Str], None, |a| {
        Ok(Value::String(arg_str(a, 0)?.to_string()))
    });
    f.add_typed("urlQueryEscape", &[ArgType::Str], None, |a| {
        Ok(Value::String(query_escape(arg_str(a, 0)?)))
    });
    f
}

/// The path of a URL (`http://h:9090/prom` → `/prom`).
fn url_path(u: &str) -> String {
    let rest = match u.find("://") {
        Some(i) => &u[i + 3..],
        None => return u.split(['?', '#']).next().unwrap_or("").to_string(),
    };
    match rest.find('/') {
        Some(i) => rest[i..].split(['?', '#']).next().unwrap_or("").to_string(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prelude_is_112_bytes() {
        assert_eq!(ALERT_PRELUDE.len(), 112);
    }

    #[test]
    fn humanize_examples() {
        let h = |x: f64| humanize(&Value::Float(x)).unwrap();
        assert_eq!(h(1234567.0), "1.235M");
        assert_eq!(h(1000.0), "1k");
        assert_eq!(h(0.5), "500m");
        assert_eq!(h(-1500.0), "-1.5k");
        assert_eq!(h(999.95), "1000");
        assert_eq!(h(999999.0), "1000k");
        assert_eq!(h(0.0), "0");
        assert_eq!(humanize1024(&Value::Float(1536.0)).unwrap(), "1.5ki");
        assert_eq!(humanize_duration(&Value::Float(1.5)).unwrap(), "1.5s");
        assert_eq!(humanize_duration(&Value::Float(0.5)).unwrap(), "500ms");
        assert_eq!(
            humanize_duration(&Value::Float(90061.0)).unwrap(),
            "1d 1h 1m 1s"
        );
        assert_eq!(humanize_duration(&Value::Float(0.0)).unwrap(), "0s");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_prom_duration("1h30m").unwrap(), 5400.0);
        assert_eq!(parse_prom_duration("1m30ms").unwrap(), 60.03);
        assert!(parse_prom_duration("30m1h").is_err());
        assert!(parse_prom_duration("").is_err());
        assert!(parse_prom_duration("5x").is_err());
    }

    #[test]
    fn host_port() {
        assert_eq!(split_host_port("a:80"), Some(("a".into(), "80".into())));
        assert_eq!(
            split_host_port("[::1]:80"),
            Some(("::1".into(), "80".into()))
        );
        assert_eq!(split_host_port("a"), None);
        assert_eq!(split_host_port("a:b:c"), None);
        assert_eq!(url_path("http://h:9090/prom/"), "/prom/");
    }
}

#[cfg(test)]
mod expand_tests {
    use super::*;

    struct Q;

    impl Querier for Q {
        fn query(&self, q: &str, ts_ms: i64) -> std::result::Result<Vec<Sample>, String> {
            Ok(vec![Sample {
                labels: BTreeMap::from([("q".to_string(), q.to_string())]),
                value: ts_ms as f64,
            }])
        }
    }

    #[test]
    fn expand_uses_context_and_reports_errors() {
        let ctx = AlertContext {
            labels: BTreeMap::from([("instance".to_string(), "h:1".to_string())]),
            value: 0.5,
            ts_ms: 42_000,
            query: Some(Arc::new(Q)),
            ..AlertContext::default()
        };
        assert_eq!(
            expand("A", "{{ $labels.instance }} {{ $value }}", &ctx),
            "h:1 0.5"
        );
        assert_eq!(
            expand(
                "A",
                r#"{{ with query "up" }}{{ . | first | label "q" }}@{{ . | first | value }}{{ end }}"#,
                &ctx
            ),
            "up@42000"
        );
        assert_eq!(
            expand("A", "{{ .Value.X }}", &ctx),
            "<error expanding template: error executing template __alert_A: template: __alert_A:1:121: executing \"__alert_A\" at <.Value.X>: can't evaluate field X in type float64>"
        );
        assert!(check("A", "{{ humanize $value }}").is_ok());
        assert_eq!(
            check("A", "{{ f }}").unwrap_err().to_string(),
            r#"template: __alert_A:1: function "f" not defined"#
        );
        let no_query = AlertContext::default();
        assert!(
            expand("A", r#"{{ query "up" }}"#, &no_query).starts_with("<error expanding template:")
        );
    }
}
