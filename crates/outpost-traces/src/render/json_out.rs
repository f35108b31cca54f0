//! Low-level JSON writing into a `Vec<u8>`, with the number and string
//! forms Go's encoders print: strings escaped as `encoding/json` escapes
//! them (Jaeger's v1 handlers) or as jsoniter does (the Collector's
//! `ptrace.JSONMarshaler`, API v3), floats as both format them, ids as
//! lowercase hex, bytes as standard base64.

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Writes `s` as a JSON string. With `html` as Go's `json.Marshal` does:
/// `<`, `>`, `&`, U+2028 and U+2029 as `\u003c`, ..., backspace and form
/// feed as `\b` and `\f`; without, as jsoniter's `WriteString`: only
/// quotes, backslashes and control characters (`\u0008` for backspace).
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str, html: bool) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        // Fast path: bytes that never need escaping.
        if SAFE[usize::from(b)] {
            i += 1;
            continue;
        }
        let esc: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            b'\n' => Some(b"\\n"),
            b'\r' => Some(b"\\r"),
            b'\t' => Some(b"\\t"),
            0x08 if html => Some(b"\\b"),
            0x0c if html => Some(b"\\f"),
            b'<' | b'>' | b'&' if html => None,
            0..=0x1f => None,
            // U+2028 and U+2029 (E2 80 A8 / E2 80 A9), escaped by Go.
            0xe2 if html
                && bytes.get(i + 1) == Some(&0x80)
                && matches!(bytes.get(i + 2), Some(0xa8 | 0xa9)) =>
            {
                None
            }
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&bytes[start..i]);
        match esc {
            Some(e) => {
                out.extend_from_slice(e);
                i += 1;
            }
            None if b == 0xe2 => {
                let last = bytes.get(i + 2).copied().unwrap_or(0xa8);
                out.extend_from_slice(if last == 0xa8 { b"\\u2028" } else { b"\\u2029" });
                i += 3;
            }
            None => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
                i += 1;
            }
        }
        start = i;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Bytes that need no escaping in either style: everything but control
/// characters, `"`, `\\`, `<`, `>`, `&` and 0xE2 (the lead byte of U+2028/9).
static SAFE: [bool; 256] = {
    let mut t = [true; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = false;
        i += 1;
    }
    t[b'"' as usize] = false;
    t[b'\\' as usize] = false;
    t[b'<' as usize] = false;
    t[b'>' as usize] = false;
    t[b'&' as usize] = false;
    t[0xe2] = false;
    t
};

/// Writes an object key and the colon.
pub(crate) fn write_key(out: &mut Vec<u8>, key: &str, html: bool) {
    write_str(out, key, html);
    out.push(b':');
}

/// Writes an unsigned integer.
pub(crate) fn write_u64(out: &mut Vec<u8>, v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut v = v;
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// Writes a signed integer.
pub(crate) fn write_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    write_u64(out, v.unsigned_abs());
}

/// Writes an unsigned integer as a JSON string (proto3 JSON's 64-bit form).
pub(crate) fn write_u64_str(out: &mut Vec<u8>, v: u64) {
    out.push(b'"');
    write_u64(out, v);
    out.push(b'"');
}

/// Writes a signed integer as a JSON string.
pub(crate) fn write_i64_str(out: &mut Vec<u8>, v: i64) {
    out.push(b'"');
    write_i64(out, v);
    out.push(b'"');
}

/// Writes `v` as 2·`n` lowercase hex digits (the low `n` bytes), quoted.
fn write_hex(out: &mut Vec<u8>, v: u128, n: usize) {
    let mut buf = [b'"'; 34];
    let bytes = v.to_be_bytes();
    for (i, b) in bytes[16 - n..].iter().enumerate() {
        buf[1 + 2 * i] = HEX[usize::from(b >> 4)];
        buf[2 + 2 * i] = HEX[usize::from(b & 0xf)];
    }
    buf[2 * n + 1] = b'"';
    out.extend_from_slice(&buf[..2 * n + 2]);
}

/// A span id: 16 hex digits, quoted.
pub(crate) fn write_hex64(out: &mut Vec<u8>, v: u64) {
    write_hex(out, u128::from(v), 8);
}

/// A trace id: 32 hex digits, quoted.
pub(crate) fn write_hex128(out: &mut Vec<u8>, v: u128) {
    write_hex(out, v, 16);
}

/// A trace id as Jaeger v1 prints it: 16 digits when the high half is zero.
pub(crate) fn write_jaeger_trace_id(out: &mut Vec<u8>, v: u128) {
    if v >> 64 == 0 {
        write_hex(out, v, 8);
    } else {
        write_hex(out, v, 16);
    }
}

/// Bytes as a quoted standard base64 string with padding.
pub(crate) fn write_base64(out: &mut Vec<u8>, b: &[u8]) {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    out.push(b'"');
    for c in b.chunks(3) {
        let b1 = c.get(1).copied().unwrap_or(0);
        let b2 = c.get(2).copied().unwrap_or(0);
        let n = (u32::from(c[0]) << 16) | (u32::from(b1) << 8) | u32::from(b2);
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize]);
            } else {
                out.push(b'=');
            }
        }
    }
    out.push(b'"');
}

/// The text Go's JSON encoders (`encoding/json`, jsoniter) print for a
/// finite float: shortest round-trip digits, plain notation for
/// 1e-6 ≤ |f| < 1e21, else exponent notation with a sign and at least
/// two exponent digits for positive exponents (`1e+21`, `1e-7`).
/// Non-finite values become the strings proto3 JSON uses (`"NaN"`,
/// `"Infinity"`, `"-Infinity"`), quoted.
pub(crate) fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "\"NaN\"".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "\"Infinity\"".into()
        } else {
            "\"-Infinity\"".into()
        };
    }
    let abs = f.abs();
    if abs == 0.0 || (1e-6..1e21).contains(&abs) {
        return format!("{f}");
    }
    let e = format!("{f:e}");
    match e.split_once('e') {
        Some((mant, exp)) => {
            if let Some(neg) = exp.strip_prefix('-') {
                format!("{mant}e-{neg}")
            } else if exp.len() < 2 {
                format!("{mant}e+0{exp}")
            } else {
                format!("{mant}e+{exp}")
            }
        }
        None => e,
    }
}

/// Writes [`go_float`].
pub(crate) fn write_f64(out: &mut Vec<u8>, f: f64) {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 && f != 0.0 {
        write_i64(out, f as i64);
    } else {
        out.extend_from_slice(go_float(f).as_bytes());
    }
}

/// The JSON value [`write_f64`] writes, for the `serde_json::Value`
/// renderings: integral floats become integers so that printing the value
/// gives Go's digits (`2`, not `2.0`).
pub(crate) fn f64_value(f: f64) -> serde_json::Value {
    use serde_json::Value as J;
    if !f.is_finite() {
        return J::String(
            if f.is_nan() {
                "NaN"
            } else if f > 0.0 {
                "Infinity"
            } else {
                "-Infinity"
            }
            .into(),
        );
    }
    if f.fract() == 0.0 && !(f == 0.0 && f.is_sign_negative()) {
        if (0.0..18_446_744_073_709_551_616.0).contains(&f) {
            return J::from(f as u64);
        }
        if (-9_223_372_036_854_775_808.0..0.0).contains(&f) {
            return J::from(f as i64);
        }
    }
    serde_json::Number::from_f64(f).map_or(J::Null, J::Number)
}

/// Go's `time.Duration.String()` for a signed nanosecond count:
/// `0s`, `1.5µs`, `250ms`, `1m30s`, `1h0m0s`, `-2s`.
pub(crate) fn go_duration(d: i64) -> String {
    let neg = d < 0;
    let u = d.unsigned_abs();
    let mut s = String::new();
    if neg {
        s.push('-');
    }
    if u == 0 {
        return "0s".into();
    }
    if u < 1_000_000_000 {
        let (div, unit, digits) = if u < 1_000 {
            (1, "ns", 0)
        } else if u < 1_000_000 {
            (1_000, "µs", 3)
        } else {
            (1_000_000, "ms", 6)
        };
        push_frac(&mut s, u / div, u % div, digits);
        s.push_str(unit);
        return s;
    }
    let h = u / 3_600_000_000_000;
    let rem = u % 3_600_000_000_000;
    let m = rem / 60_000_000_000;
    let ns = rem % 60_000_000_000;
    if h > 0 {
        s.push_str(&format!("{h}h"));
    }
    if h > 0 || m > 0 {
        s.push_str(&format!("{m}m"));
    }
    push_frac(&mut s, ns / 1_000_000_000, ns % 1_000_000_000, 9);
    s.push('s');
    s
}

/// `int.frac` with `digits` fractional digits, trailing zeros (and a bare
/// dot) dropped.
fn push_frac(s: &mut String, int: u64, frac: u64, digits: usize) {
    s.push_str(&int.to_string());
    if frac != 0 && digits > 0 {
        let f = format!("{frac:0digits$}");
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str, html: bool) -> String {
        let mut out = Vec::new();
        write_str(&mut out, v, html);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_escape_as_go_does() {
        assert_eq!(s("a\"b\\c\n\t\r", true), r#""a\"b\\c\n\t\r""#);
        assert_eq!(s("\u{1}\u{8}\u{c}", true), r#""\u0001\b\f""#);
        assert_eq!(s("<a&b>", true), r#""\u003ca\u0026b\u003e""#);
        assert_eq!(s("<a&b>", false), r#""<a&b>""#);
        assert_eq!(s("\u{8}\u{c}", false), r#""\u0008\u000c""#);
        assert_eq!(s("x\u{2028}y\u{2029}é", true), r#""x\u2028y\u2029é""#);
        assert_eq!(s("x\u{2028}", false), "\"x\u{2028}\"");
        // every escape is valid JSON for the same text
        let tricky = "\u{0}\u{1f}<>&\u{2028}\u{2029}\"\\ü😀";
        for html in [true, false] {
            let back: String = serde_json::from_str(&s(tricky, html)).unwrap();
            assert_eq!(back, tricky);
        }
    }

    #[test]
    fn floats_print_as_go_does() {
        assert_eq!(go_float(1.5), "1.5");
        assert_eq!(go_float(0.000001), "0.000001");
        assert_eq!(go_float(1e-7), "1e-7");
        assert_eq!(go_float(1.5e-10), "1.5e-10");
        assert_eq!(go_float(1e21), "1e+21");
        assert_eq!(go_float(1.25e300), "1.25e+300");
        assert_eq!(go_float(1e20), "100000000000000000000");
        assert_eq!(go_float(-3.0), "-3");
        assert_eq!(go_float(f64::NAN), "\"NaN\"");
        assert_eq!(go_float(f64::NEG_INFINITY), "\"-Infinity\"");
        let mut out = Vec::new();
        write_f64(&mut out, 2.0);
        assert_eq!(out, b"2");
        // shortest digits that round-trip exactly
        let mut x = 1.0e-9_f64;
        while x < 1e25 {
            for v in [x, -x, x / 3.0, x * 7.1] {
                let mut out = Vec::new();
                write_f64(&mut out, v);
                let text = String::from_utf8(out).unwrap();
                assert_eq!(text.parse::<f64>().unwrap(), v, "{text}");
            }
            x *= 3.7;
        }
    }

    #[test]
    fn ids_numbers_and_bytes() {
        let mut out = Vec::new();
        write_hex64(&mut out, 0xab);
        write_jaeger_trace_id(&mut out, 0x11);
        write_jaeger_trace_id(&mut out, 1 << 64);
        write_i64(&mut out, i64::MIN);
        write_base64(&mut out, b"hi!h");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"00000000000000ab\"\"0000000000000011\"\"00000000000000010000000000000000\"-9223372036854775808\"aGkhaA==\""
        );
    }

    #[test]
    fn durations_print_as_go_does() {
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_duration(999), "999ns");
        assert_eq!(go_duration(1_500), "1.5µs");
        assert_eq!(go_duration(250_000_000), "250ms");
        assert_eq!(go_duration(-2_000_000_000), "-2s");
        assert_eq!(go_duration(90_000_000_000), "1m30s");
        assert_eq!(go_duration(3_600_000_000_000), "1h0m0s");
        assert_eq!(go_duration(3_723_500_000_000), "1h2m3.5s");
        assert_eq!(go_duration(i64::MIN), "-2562047h47m16.854775808s");
    }
}
