//! `AnyValue` rendering, two ways.
//!
//! [`as_string`]: as the OpenTelemetry Collector's `pdata/pcommon`
//! `Value.AsString` renders a value (Prometheus uses it for every attribute
//! turned label): strings as is, booleans `true`/`false`, integers in
//! decimal, doubles in JavaScript (ES6) number style, bytes as standard
//! base64, arrays and maps as JSON (map keys sorted, no HTML escaping),
//! empty values as "".
//!
//! [`to_json`]: as a `serde_json::Value` for stores that keep attributes as
//! JSON (spans, log records): the same mapping, with map keys in their
//! order (a repeated key keeps its last value).

use std::collections::BTreeMap;

use serde_json::{Map, Number, Value as Json};

use crate::proto::common::v1::AnyValue;
use crate::proto::common::v1::any_value::Value;

/// The string form of an attribute value (e.g. a label value).
pub fn as_string(v: Option<&AnyValue>) -> String {
    match v.and_then(|v| v.value.as_ref()) {
        None => String::new(),
        Some(Value::StringValue(s)) => s.clone(),
        Some(Value::BoolValue(b)) => b.to_string(),
        Some(Value::IntValue(i)) => i.to_string(),
        Some(Value::DoubleValue(d)) => match es6_number(*d) {
            Some(s) => s,
            // Go's encoder refuses NaN and infinities; pdata keeps its message.
            None => format!("json: unsupported value: {}", non_finite(*d)),
        },
        Some(Value::BytesValue(b)) => base64(b),
        Some(v @ (Value::ArrayValue(_) | Value::KvlistValue(_))) => {
            let mut out = String::new();
            // A value JSON cannot hold (NaN, infinities) makes the whole
            // rendering fail, which pdata turns into "".
            match write_json(&mut out, Some(v)) {
                Ok(()) => out,
                Err(()) => String::new(),
            }
        }
        // Profiles' dictionary references have no string form here.
        Some(Value::StringValueStrindex(_)) => String::new(),
    }
}

/// The value as JSON: strings, booleans and integers as such, doubles as
/// numbers (NaN and infinities, which JSON cannot hold, as the strings
/// `NaN`, `+Inf`, `-Inf`), bytes as base64 strings, arrays as arrays, maps
/// as objects, empty values as `null`.
pub fn to_json(v: Option<&AnyValue>) -> Json {
    match v.and_then(|v| v.value.as_ref()) {
        None | Some(Value::StringValueStrindex(_)) => Json::Null,
        Some(Value::StringValue(s)) => Json::String(s.clone()),
        Some(Value::BoolValue(b)) => Json::Bool(*b),
        Some(Value::IntValue(i)) => Json::Number((*i).into()),
        Some(Value::DoubleValue(d)) => match Number::from_f64(*d) {
            Some(n) => Json::Number(n),
            None => Json::String(non_finite(*d).to_string()),
        },
        Some(Value::BytesValue(b)) => Json::String(base64(b)),
        Some(Value::ArrayValue(a)) => {
            Json::Array(a.values.iter().map(|item| to_json(Some(item))).collect())
        }
        Some(Value::KvlistValue(kv)) => {
            let mut map = Map::with_capacity(kv.values.len());
            for item in &kv.values {
                map.insert(item.key.clone(), to_json(item.value.as_ref()));
            }
            Json::Object(map)
        }
    }
}

/// Go's spelling of a non-finite double.
fn non_finite(d: f64) -> &'static str {
    if d.is_nan() {
        "NaN"
    } else if d > 0.0 {
        "+Inf"
    } else {
        "-Inf"
    }
}

/// A double as Go's `encoding/json` writes it (ES6 number formatting:
/// shortest round-trip digits, exponent form below 1e-6 and from 1e21);
/// `None` for NaN and infinities.
fn es6_number(f: f64) -> Option<String> {
    if !f.is_finite() {
        return None;
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // Rust writes `1.5e-7` / `1e21`; Go writes `1.5e-7` / `1e+21`.
        let s = format!("{f:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        return Some(if let Some(neg) = exp.strip_prefix('-') {
            format!("{mantissa}e-{neg}")
        } else {
            format!("{mantissa}e+{exp}")
        });
    }
    Some(format!("{f}"))
}

fn write_json(out: &mut String, v: Option<&Value>) -> Result<(), ()> {
    match v {
        None | Some(Value::StringValueStrindex(_)) => out.push_str("null"),
        Some(Value::StringValue(s)) => write_json_string(out, s),
        Some(Value::BoolValue(b)) => out.push_str(if *b { "true" } else { "false" }),
        Some(Value::IntValue(i)) => out.push_str(&i.to_string()),
        Some(Value::DoubleValue(d)) => out.push_str(&es6_number(*d).ok_or(())?),
        Some(Value::BytesValue(b)) => write_json_string(out, &base64(b)),
        Some(Value::ArrayValue(a)) => {
            out.push('[');
            for (i, item) in a.values.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, item.value.as_ref())?;
            }
            out.push(']');
        }
        Some(Value::KvlistValue(kv)) => {
            // A Go map: later duplicates win, keys come out sorted.
            let map: BTreeMap<&str, Option<&Value>> = kv
                .values
                .iter()
                .map(|kv| {
                    (
                        kv.key.as_str(),
                        kv.value.as_ref().and_then(|v| v.value.as_ref()),
                    )
                })
                .collect();
            out.push('{');
            for (i, (k, v)) in map.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(out, k);
                out.push(':');
                write_json(out, v)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// A JSON string as Go's encoder writes it without HTML escaping.
fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Standard base64 with padding.
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::proto::common::v1::{ArrayValue, KeyValue, KeyValueList};

    use super::*;

    fn v(value: Value) -> AnyValue {
        AnyValue { value: Some(value) }
    }

    fn s(value: Value) -> String {
        as_string(Some(&v(value)))
    }

    #[test]
    fn scalars() {
        assert_eq!(s(Value::StringValue("x y".into())), "x y");
        assert_eq!(s(Value::BoolValue(true)), "true");
        assert_eq!(s(Value::IntValue(-42)), "-42");
        assert_eq!(s(Value::DoubleValue(1.5)), "1.5");
        assert_eq!(s(Value::DoubleValue(3.0)), "3");
        assert_eq!(s(Value::DoubleValue(1e21)), "1e+21");
        assert_eq!(s(Value::DoubleValue(1.5e-7)), "1.5e-7");
        assert_eq!(s(Value::DoubleValue(1e-6)), "0.000001");
        assert_eq!(s(Value::DoubleValue(123456789.0)), "123456789");
        assert_eq!(
            s(Value::DoubleValue(f64::NAN)),
            "json: unsupported value: NaN"
        );
        assert_eq!(s(Value::BytesValue(b"hello".to_vec())), "aGVsbG8=");
        assert_eq!(s(Value::BytesValue(vec![0xff, 0xfe])), "//4=");
        assert_eq!(s(Value::BytesValue(vec![])), "");
        assert_eq!(as_string(None), "");
        assert_eq!(as_string(Some(&AnyValue { value: None })), "");
    }

    #[test]
    fn arrays_and_maps_as_json() {
        let arr = Value::ArrayValue(ArrayValue {
            values: vec![
                v(Value::StringValue("a\"<b>\n".into())),
                v(Value::IntValue(1)),
                v(Value::DoubleValue(2.5)),
                v(Value::BoolValue(false)),
                AnyValue { value: None },
            ],
        });
        assert_eq!(s(arr), r#"["a\"<b>\n",1,2.5,false,null]"#);
        let kv = |k: &str, val: Value| KeyValue {
            key: k.into(),
            value: Some(v(val)),
            ..Default::default()
        };
        let map = Value::KvlistValue(KeyValueList {
            values: vec![
                kv("z", Value::IntValue(1)),
                kv("a", Value::StringValue("x".into())),
                kv("z", Value::IntValue(2)),
            ],
        });
        assert_eq!(s(map), r#"{"a":"x","z":2}"#);
        let bad = Value::ArrayValue(ArrayValue {
            values: vec![v(Value::DoubleValue(f64::INFINITY))],
        });
        assert_eq!(s(bad), "");
    }

    #[test]
    fn values_as_json() {
        let kv = |k: &str, val: Value| KeyValue {
            key: k.into(),
            value: Some(v(val)),
            ..Default::default()
        };
        let map = v(Value::KvlistValue(KeyValueList {
            values: vec![
                kv("z", Value::IntValue(1)),
                kv("a", Value::StringValue("x".into())),
                kv("z", Value::IntValue(2)),
                kv("d", Value::DoubleValue(2.5)),
                kv("inf", Value::DoubleValue(f64::NEG_INFINITY)),
                kv("b", Value::BytesValue(b"hello".to_vec())),
                kv(
                    "arr",
                    Value::ArrayValue(ArrayValue {
                        values: vec![v(Value::BoolValue(true)), AnyValue { value: None }],
                    }),
                ),
            ],
        }));
        assert_eq!(
            to_json(Some(&map)).to_string(),
            r#"{"z":2,"a":"x","d":2.5,"inf":"-Inf","b":"aGVsbG8=","arr":[true,null]}"#
        );
        assert_eq!(to_json(None), Json::Null);
        assert_eq!(
            to_json(Some(&v(Value::IntValue(i64::MIN)))),
            serde_json::json!(i64::MIN)
        );
    }
}
