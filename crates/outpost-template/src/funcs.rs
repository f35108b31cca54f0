//! Go's built-in template functions, methods of times, and argument helpers
//! shared by the Prometheus and Alertmanager function sets.

use crate::exec::{eval_args_string, zero_of_map};
use crate::format;
use crate::timefmt;
use crate::value::Value;

type FResult = std::result::Result<Value, String>;

pub(crate) fn builtin(name: &str, args: &[Value]) -> FResult {
    match name {
        "not" => Ok(Value::Bool(!args[0].truth())),
        "len" => length(&args[0]),
        "index" => index(&args[0], &args[1..]),
        "slice" => slice(&args[0], &args[1..]),
        "print" => Ok(Value::String(format::sprint(args))),
        "println" => Ok(Value::String(format::sprintln(args))),
        "printf" => match &args[0] {
            Value::String(f) => Ok(Value::String(format::sprintf(f, &args[1..]))),
            v => Err(format!(
                "wrong type for value; expected string; got {}",
                v.type_name()
            )),
        },
        "html" => Ok(Value::String(html_escape(&eval_args_string(args)))),
        "js" => Ok(Value::String(js_escape(&eval_args_string(args)))),
        "urlquery" => Ok(Value::String(query_escape(&eval_args_string(args)))),
        "call" => match &args[0] {
            Value::Null => Err("call of nil".into()),
            v => Err(format!("non-function of type {}", v.type_name())),
        },
        "eq" => {
            if args.len() < 2 {
                return Err("missing argument for comparison".into());
            }
            for b in &args[1..] {
                if eq(&args[0], b)? {
                    return Ok(Value::Bool(true));
                }
            }
            Ok(Value::Bool(false))
        }
        "ne" => Ok(Value::Bool(!eq(&args[0], &args[1])?)),
        "lt" => Ok(Value::Bool(lt(&args[0], &args[1])?)),
        "le" => Ok(Value::Bool(
            lt(&args[0], &args[1])? || eq(&args[0], &args[1])?,
        )),
        "gt" => Ok(Value::Bool(
            !(lt(&args[0], &args[1])? || eq(&args[0], &args[1])?),
        )),
        "ge" => Ok(Value::Bool(!lt(&args[0], &args[1])?)),
        _ => Err(format!("unknown function {name}")),
    }
}

fn length(v: &Value) -> FResult {
    match v.plain() {
        Value::String(s) => Ok(Value::Int(s.len() as i64)),
        Value::List(l) => Ok(Value::Int(l.len() as i64)),
        Value::Map(m) => Ok(Value::Int(m.len() as i64)),
        Value::Null => Err("reflect: call of reflect.Value.Type on zero Value".into()),
        other => Err(format!("len of type {}", other.type_name())),
    }
}

fn as_index(v: &Value, what: &str) -> std::result::Result<i64, String> {
    match v {
        Value::Int(i) | Value::Duration(i) => Ok(*i),
        Value::Null => Err(format!("cannot index {what} with nil")),
        v => Err(format!("cannot index {what} with type {}", v.type_name())),
    }
}

fn index(item: &Value, idx: &[Value]) -> FResult {
    let mut item = item.clone();
    for i in idx {
        let zero = match &item {
            Value::Object(o) => o.elem_zero(),
            _ => None,
        };
        item = match item.plain() {
            Value::List(l) => {
                let n = as_index(i, "slice/array")?;
                if n < 0 || n as usize >= l.len() {
                    return Err(format!("index out of range: {n}"));
                }
                l[n as usize].clone()
            }
            Value::String(s) => {
                let n = as_index(i, "slice/array")?;
                if n < 0 || n as usize >= s.len() {
                    return Err(format!("index out of range: {n}"));
                }
                Value::Int(i64::from(s.as_bytes()[n as usize]))
            }
            Value::Map(m) => match i {
                Value::String(k) => m
                    .get(k)
                    .cloned()
                    .unwrap_or_else(|| zero.unwrap_or_else(|| zero_of_map(&m))),
                Value::Null => zero.unwrap_or_else(|| zero_of_map(&m)),
                v => {
                    return Err(format!(
                        "value has type {}; should be string",
                        v.type_name()
                    ));
                }
            },
            Value::Null => return Err("index of untyped nil".into()),
            other => return Err(format!("can't index item of type {}", other.type_name())),
        };
    }
    Ok(item)
}

fn slice(item: &Value, idx: &[Value]) -> FResult {
    let tname = item.type_name();
    let item = item.plain();
    let len = match &item {
        Value::String(s) => s.len(),
        Value::List(l) => l.len(),
        Value::Null => return Err("slice of untyped nil".into()),
        _ => return Err(format!("can't slice item of type {tname}")),
    };
    if idx.len() > 3 {
        return Err(format!("too many slice indexes: {}", idx.len()));
    }
    if idx.len() == 3 && matches!(item, Value::String(_)) {
        return Err("cannot 3-index slice a string".into());
    }
    let mut ix = [0usize, len, len];
    for (k, v) in idx.iter().enumerate() {
        let n = as_index(v, "slice/array")?;
        if n < 0 || n as usize > len {
            return Err(format!("index out of range: {n}"));
        }
        ix[k] = n as usize;
    }
    if idx.len() < 2 {
        ix[1] = len;
    }
    if ix[0] > ix[1] {
        return Err(format!("invalid slice index: {} > {}", ix[0], ix[1]));
    }
    if idx.len() == 3 && ix[1] > ix[2] {
        return Err(format!("invalid slice index: {} > {}", ix[1], ix[2]));
    }
    match item {
        Value::String(s) => match s.get(ix[0]..ix[1]) {
            Some(sub) => Ok(Value::String(sub.to_string())),
            None => Ok(Value::String(
                String::from_utf8_lossy(&s.as_bytes()[ix[0]..ix[1]]).into_owned(),
            )),
        },
        Value::List(l) if tname == "[]string" => Ok(Value::string_list(
            l[ix[0]..ix[1]].iter().map(|v| v.to_string()).collect(),
        )),
        Value::List(l) => Ok(Value::list(l[ix[0]..ix[1]].to_vec())),
        _ => Err("can't slice".into()),
    }
}

#[derive(PartialEq, PartialOrd)]
enum Basic {
    Invalid,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Other,
}

fn basic(v: &Value) -> Basic {
    match v {
        Value::Null => Basic::Invalid,
        Value::Bool(b) => Basic::Bool(*b),
        Value::Int(i) | Value::Duration(i) => Basic::Int(*i),
        Value::Float(f) => Basic::Float(*f),
        Value::String(s) => Basic::Str(s.clone()),
        // named string types (template.HTML) compare as strings
        Value::Object(o) => match o.base() {
            Some(Value::String(s)) => Basic::Str(s),
            _ => Basic::Other,
        },
        _ => Basic::Other,
    }
}

fn same_kind(a: &Basic, b: &Basic) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

fn eq(a: &Value, b: &Value) -> std::result::Result<bool, String> {
    let (ka, kb) = (basic(a), basic(b));
    if !same_kind(&ka, &kb) {
        if matches!(ka, Basic::Invalid) || matches!(kb, Basic::Invalid) {
            return Ok(false);
        }
        return Err("incompatible types for comparison".into());
    }
    match (ka, kb) {
        (Basic::Other, Basic::Other) => match (a, b) {
            (Value::Time(x), Value::Time(y)) => Ok(x.timestamp() == y.timestamp()),
            _ if matches!(b.plain(), Value::List(_) | Value::Map(_)) => {
                Err(format!("non-comparable type {b}: {}", b.type_name()))
            }
            _ if matches!(a.plain(), Value::List(_) | Value::Map(_)) => Err(format!(
                "non-comparable types {a}: {}, {}: {b}",
                a.type_name(),
                b.type_name()
            )),
            _ => Ok(a.to_string() == b.to_string() && a.type_name() == b.type_name()),
        },
        (x, y) => Ok(x == y),
    }
}

fn lt(a: &Value, b: &Value) -> std::result::Result<bool, String> {
    let (ka, kb) = (basic(a), basic(b));
    if matches!(ka, Basic::Invalid | Basic::Other) || matches!(kb, Basic::Invalid | Basic::Other) {
        return Err("invalid type for comparison".into());
    }
    if !same_kind(&ka, &kb) {
        return Err("incompatible types for comparison".into());
    }
    if matches!(ka, Basic::Bool(_)) {
        return Err("invalid type for comparison".into());
    }
    Ok(ka < kb)
}

/// Go's `template.HTMLEscapeString`.
pub(crate) fn html_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '\'' => o.push_str("&#39;"),
            '"' => o.push_str("&#34;"),
            '\0' => o.push('\u{FFFD}'),
            c => o.push(c),
        }
    }
    o
}

/// Go's `template.JSEscapeString`.
pub(crate) fn js_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '\'' => o.push_str("\\'"),
            '"' => o.push_str("\\\""),
            '<' => o.push_str("\\u003C"),
            '>' => o.push_str("\\u003E"),
            '&' => o.push_str("\\u0026"),
            '=' => o.push_str("\\u003D"),
            c if (c as u32) < 0x20 || c.is_control() => o.push_str(&format!("\\u{:04X}", c as u32)),
            c => o.push(c),
        }
    }
    o
}

/// Go's `url.QueryEscape`.
pub(crate) fn query_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                o.push(b as char)
            }
            b' ' => o.push('+'),
            b => o.push_str(&format!("%{b:02X}")),
        }
    }
    o
}

/// Go's `url.QueryUnescape` (`+` becomes a space).
pub(crate) fn query_unescape(s: &str) -> std::result::Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let h = s
                    .get(i + 1..i + 3)
                    .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()));
                let Some(h) = h else {
                    let bad: String = s[i..].chars().take(3).collect();
                    return Err(format!("invalid URL escape {}", format::go_quote(&bad)));
                };
                out.push(u8::from_str_radix(h, 16).unwrap_or(0));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Methods of `time.Time` values.
pub(crate) fn time_method(t: &jiff::ZonedDateTime, name: &str, args: &[Value]) -> Option<FResult> {
    let noargs = |v: Value| -> FResult {
        if args.is_empty() {
            Ok(v)
        } else {
            Err(format!(
                "wrong number of args for {name}: want 0 got {}",
                args.len()
            ))
        }
    };
    Some(match name {
        "String" => noargs(Value::String(timefmt::go_time_string(t))),
        "Unix" => noargs(Value::Int(t.timestamp().as_second())),
        "UnixMilli" => noargs(Value::Int(t.timestamp().as_millisecond())),
        "UnixNano" => noargs(Value::Int(t.timestamp().as_nanosecond() as i64)),
        "UTC" => noargs(Value::Time(t.with_time_zone(jiff::tz::TimeZone::UTC))),
        "Local" => noargs(Value::Time(t.clone())),
        "Year" => noargs(Value::Int(i64::from(t.year()))),
        "Month" => noargs(Value::Int(i64::from(t.month()))),
        "Day" => noargs(Value::Int(i64::from(t.day()))),
        "Hour" => noargs(Value::Int(i64::from(t.hour()))),
        "Minute" => noargs(Value::Int(i64::from(t.minute()))),
        "Second" => noargs(Value::Int(i64::from(t.second()))),
        "IsZero" => noargs(Value::Bool(
            t.timestamp() == timefmt::go_zero_time().timestamp(),
        )),
        "Format" => match args {
            [Value::String(layout)] => Ok(Value::String(timefmt::go_format(t, layout))),
            [v] => Err(format!(
                "wrong type for value; expected string; got {}",
                v.type_name()
            )),
            _ => Err(format!(
                "wrong number of args for Format: want 1 got {}",
                args.len()
            )),
        },
        "Add" => match args {
            [Value::Duration(d) | Value::Int(d)] => {
                let ns = t.timestamp().as_nanosecond() + i128::from(*d);
                match timefmt::utc_from_ns(ns) {
                    Some(z) => Ok(Value::Time(z.with_time_zone(t.time_zone().clone()))),
                    None => Err("time out of range".into()),
                }
            }
            _ => Err("wrong type for value; expected time.Duration".into()),
        },
        "Sub" => match args {
            [Value::Time(o)] => {
                let d = t.timestamp().as_nanosecond() - o.timestamp().as_nanosecond();
                Ok(Value::Duration(
                    d.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64,
                ))
            }
            _ => Err("wrong type for value; expected time.Time".into()),
        },
        "Before" | "After" | "Equal" => match args {
            [Value::Time(o)] => {
                let (a, b) = (t.timestamp(), o.timestamp());
                Ok(Value::Bool(match name {
                    "Before" => a < b,
                    "After" => a > b,
                    _ => a == b,
                }))
            }
            _ => Err("wrong type for value; expected time.Time".into()),
        },
        _ => return None,
    })
}

/// The string argument `i` or Go's argument type error.
pub(crate) fn arg_str(args: &[Value], i: usize) -> std::result::Result<&str, String> {
    match args.get(i) {
        Some(Value::String(s)) => Ok(s),
        Some(v) => Err(format!(
            "wrong type for value; expected string; got {}",
            v.type_name()
        )),
        None => Err("missing argument".into()),
    }
}

/// A list of strings (Go `[]string`) from a list value.
pub(crate) fn arg_strings(v: &Value) -> std::result::Result<Vec<String>, String> {
    match v.plain() {
        Value::List(l) => l
            .iter()
            .map(|e| match e {
                Value::String(s) => Ok(s.clone()),
                e => Err(format!(
                    "wrong type for value; expected string; got {}",
                    e.type_name()
                )),
            })
            .collect(),
        Value::Null => Ok(Vec::new()),
        v => Err(format!(
            "wrong type for value; expected []string; got {}",
            v.type_name()
        )),
    }
}

/// Converts a number-like value to float64 as Prometheus' `convertToFloat`.
pub(crate) fn to_float(v: &Value) -> std::result::Result<f64, String> {
    match v {
        Value::Float(f) => Ok(*f),
        Value::Int(i) => Ok(*i as f64),
        Value::Duration(d) => Ok(*d as f64 / 1e9),
        Value::String(s) => parse_go_float(s),
        v => Err(format!("can't convert {} to float", go_type_for_err(v))),
    }
}

fn go_type_for_err(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::Time(_) => "*time.Time".into(),
        v => v.type_name(),
    }
}

/// `strconv.ParseFloat(s, 64)` with Go's error text.
pub(crate) fn parse_go_float(s: &str) -> std::result::Result<f64, String> {
    let t = s;
    let lower = t.to_ascii_lowercase();
    let body = lower.trim_start_matches(['+', '-']);
    let neg = lower.starts_with('-');
    let special = match body {
        "inf" | "infinity" => Some(f64::INFINITY),
        "nan" => Some(f64::NAN),
        _ => None,
    };
    if let Some(v) = special {
        return Ok(if neg { -v } else { v });
    }
    let ok_chars = !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-' | '_'));
    if ok_chars
        && !t.contains('_')
        && let Ok(v) = t.parse::<f64>()
    {
        if v.is_infinite() {
            return Err(format!(
                "strconv.ParseFloat: parsing {}: value out of range",
                format::go_quote(s)
            ));
        }
        return Ok(v);
    }
    if let Some(crate::parse::Number::Float(f)) =
        crate::parse::parse_number(t).filter(|_| lower.contains("0x"))
    {
        return Ok(f);
    }
    Err(format!(
        "strconv.ParseFloat: parsing {}: invalid syntax",
        format::go_quote(s)
    ))
}
