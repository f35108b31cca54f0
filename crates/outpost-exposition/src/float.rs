//! Float parsing with the syntax Prometheus accepts (Go's `strconv.ParseFloat`
//! minus hex floats and underscores), and the OpenMetrics float spelling used
//! to normalise `le` and `quantile` label values.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Prometheus' canonical NaN (`value.NormalNaN`); distinct from the stale
/// marker `0x7ff0000000000002`.
pub(crate) const NORMAL_NAN_BITS: u64 = 0x7ff8_0000_0000_0001;

/// Why a float did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FloatError {
    /// Not a float literal.
    Syntax,
    /// A finite literal too large for `f64` (Go's `ErrRange`).
    Range,
}

/// Exact powers of ten usable in the fast path.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Parses a float the way Prometheus' `parseFloat` does.
///
/// Accepted: `[+-]?(digits[.digits*]|.digits)([eE][+-]?digits)?`, `NaN` (any
/// case, unsigned) and `Inf`/`Infinity` (any case, optional sign). Rejected:
/// hex floats, underscores, empty input, and finite literals that overflow.
/// NaN is returned with [`NORMAL_NAN_BITS`].
pub(crate) fn parse_go_float(s: &[u8]) -> Result<f64, FloatError> {
    let (neg, body) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let Some(&first) = body.first() else {
        return Err(FloatError::Syntax);
    };
    if !first.is_ascii_digit() && first != b'.' {
        if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
            return Ok(if neg {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            });
        }
        if s.eq_ignore_ascii_case(b"nan") {
            return Ok(f64::from_bits(NORMAL_NAN_BITS));
        }
        return Err(FloatError::Syntax);
    }

    // Decimal literal: validate the syntax and gather up to 19 significant
    // digits for the exact fast path.
    let mut i = 0;
    let mut mantissa: u64 = 0;
    let mut digits = 0u32;
    let mut exp10: i64 = 0;
    let mut saw_digit = false;
    let mut inexact = false;
    while let Some(&c) = body.get(i) {
        if !c.is_ascii_digit() {
            break;
        }
        saw_digit = true;
        let d = u64::from(c - b'0');
        if mantissa != 0 || d != 0 {
            if digits < 19 {
                mantissa = mantissa * 10 + d;
                digits += 1;
            } else {
                exp10 += 1;
                inexact = true;
            }
        }
        i += 1;
    }
    if body.get(i) == Some(&b'.') {
        i += 1;
        while let Some(&c) = body.get(i) {
            if !c.is_ascii_digit() {
                break;
            }
            saw_digit = true;
            let d = u64::from(c - b'0');
            if mantissa == 0 && d == 0 {
                exp10 -= 1;
            } else if digits < 19 {
                mantissa = mantissa * 10 + d;
                digits += 1;
                exp10 -= 1;
            } else {
                inexact = true;
            }
            i += 1;
        }
    }
    if !saw_digit {
        return Err(FloatError::Syntax);
    }
    if let Some(b'e' | b'E') = body.get(i) {
        i += 1;
        let exp_neg = match body.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        let mut e: i64 = 0;
        while let Some(&c) = body.get(i) {
            if !c.is_ascii_digit() {
                break;
            }
            if e < 1_000_000 {
                e = e * 10 + i64::from(c - b'0');
            }
            i += 1;
        }
        if i == start {
            return Err(FloatError::Syntax);
        }
        exp10 += if exp_neg { -e } else { e };
    }
    if i != body.len() {
        return Err(FloatError::Syntax);
    }

    if !inexact && mantissa <= (1 << 53) && (-22..=22).contains(&exp10) {
        // Clinger's fast path: both operands are exact, so the single
        // rounding of the product or quotient is the correct result.
        let m = mantissa as f64;
        let p = POW10[exp10.unsigned_abs() as usize];
        let v = if exp10 >= 0 { m * p } else { m / p };
        return Ok(if neg { -v } else { v });
    }
    let text = std::str::from_utf8(s).map_err(|_| FloatError::Syntax)?;
    let v: f64 = text.parse().map_err(|_| FloatError::Syntax)?;
    if v.is_infinite() {
        return Err(FloatError::Range);
    }
    Ok(v)
}

/// A fixed-capacity text buffer on the stack.
struct StackText {
    buf: [u8; 40],
    len: usize,
}

impl StackText {
    fn new() -> Self {
        StackText {
            buf: [0; 40],
            len: 0,
        }
    }

    fn push(&mut self, c: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = c;
            self.len += 1;
        }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let slot = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Writes `f` the way Prometheus' `FormatOpenMetricsFloat` does: Go's
/// shortest `%g`, with `.0` appended when there is neither `.` nor `e`.
fn format_om_float(f: f64, out: &mut StackText) {
    if f.is_nan() {
        let _ = out.write_str("NaN");
        return;
    }
    if f.is_infinite() {
        let _ = out.write_str(if f > 0.0 { "+Inf" } else { "-Inf" });
        return;
    }
    if f == 0.0 {
        let _ = out.write_str("0.0");
        return;
    }
    // Shortest round-trip digits and decimal exponent, via `{:e}`
    // ("d.ddde-x").
    let mut sci = StackText::new();
    let _ = write!(sci, "{:e}", f.abs());
    let sci = sci.as_bytes();
    let Some(e_pos) = sci.iter().position(|&c| c == b'e') else {
        return;
    };
    let mut digits = [0u8; 24];
    let mut nd = 0;
    for &c in &sci[..e_pos] {
        if c.is_ascii_digit() && nd < digits.len() {
            digits[nd] = c;
            nd += 1;
        }
    }
    let exp: i32 = std::str::from_utf8(&sci[e_pos + 1..])
        .ok()
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    let digits = &digits[..nd];
    let nd = nd as i32;
    let dp = exp + 1; // value = 0.d1d2...dn * 10^dp

    if f < 0.0 {
        out.push(b'-');
    }
    if !(-4..6).contains(&exp) {
        // %e: d[.ddd]e±XX with at least two exponent digits.
        let (first, rest) = digits.split_first().unwrap_or((&b'0', &[]));
        out.push(*first);
        if !rest.is_empty() {
            out.push(b'.');
            for &d in rest {
                out.push(d);
            }
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    } else {
        // %f with exactly the digits needed.
        if dp > 0 {
            for k in 0..dp {
                out.push(digits.get(k as usize).copied().unwrap_or(b'0'));
            }
        } else {
            out.push(b'0');
        }
        let frac = (nd - dp).max(0);
        if frac > 0 {
            out.push(b'.');
            for k in 0..frac {
                let j = dp + k;
                let d = if j >= 0 { digits.get(j as usize) } else { None };
                out.push(d.copied().unwrap_or(b'0'));
            }
        }
    }
    if !out.as_bytes().iter().any(|&c| c == b'.' || c == b'e') {
        let _ = out.write_str(".0");
    }
}

/// Largest integer bound whose normalised spelling (`"N.0"`) is served from
/// a static table instead of being allocated.
const MAX_STATIC_INT: usize = 1000;

const fn decimal_digits(mut n: usize) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

/// Byte offset of `"N.0"` in [`INT_TEXT`].
const fn int_text_offset(n: usize) -> usize {
    let mut offset = 0;
    let mut width = 1;
    let mut start = 0;
    let mut next = 10;
    while n >= next {
        offset += (next - start) * (width + 2);
        start = next;
        next *= 10;
        width += 1;
    }
    offset + (n - start) * (width + 2)
}

const INT_TEXT_LEN: usize = int_text_offset(MAX_STATIC_INT + 1);

/// `"0.01.02.0…1000.0"`: every `"N.0"` for `N` in `0..=MAX_STATIC_INT`.
const INT_BYTES: [u8; INT_TEXT_LEN] = {
    let mut out = [0u8; INT_TEXT_LEN];
    let mut n = 0;
    let mut at = 0;
    while n <= MAX_STATIC_INT {
        let width = decimal_digits(n);
        let mut k = 0;
        let mut rest = n;
        while k < width {
            out[at + width - 1 - k] = b'0' + (rest % 10) as u8;
            rest /= 10;
            k += 1;
        }
        out[at + width] = b'.';
        out[at + width + 1] = b'0';
        at += width + 2;
        n += 1;
    }
    out
};

const INT_TEXT: &str = match std::str::from_utf8(&INT_BYTES) {
    Ok(s) => s,
    Err(_) => panic!("the integer table is ASCII"),
};

/// Whether `s` already is the OpenMetrics spelling of its value: `±Inf`,
/// `NaN`, or a plain decimal that Go's shortest `%g` would print as is (at
/// most 15 significant digits, no trailing zeros except a lone `.0`,
/// exponent between -4 and 5).
fn is_canonical_om_float(s: &[u8]) -> bool {
    if matches!(s, b"+Inf" | b"-Inf" | b"NaN") {
        return true;
    }
    let (neg, body) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    let Some(dot) = body.iter().position(|&c| c == b'.') else {
        return false;
    };
    let (int, frac) = (&body[..dot], &body[dot + 1..]);
    let all_digits = |d: &[u8]| !d.is_empty() && d.iter().all(u8::is_ascii_digit);
    if !all_digits(int) || !all_digits(frac) || int.len() > 6 {
        return false;
    }
    if int == b"0" {
        if frac == b"0" {
            return !neg;
        }
        let zeros = frac.iter().take_while(|&&c| c == b'0').count();
        zeros <= 3 && frac.last() != Some(&b'0') && frac.len() - zeros <= 15
    } else if int[0] == b'0' {
        false
    } else if frac == b"0" {
        true
    } else {
        frac.last() != Some(&b'0') && int.len() + frac.len() <= 15
    }
}

/// The OpenMetrics spelling of a label value that is a float, if it differs
/// from `value` (Prometheus' `normalizeFloatsInLabelValues`). Integers up to
/// [`MAX_STATIC_INT`] map to static strings; other changes allocate.
pub(crate) fn normalize_float_label(value: &str) -> Option<Cow<'static, str>> {
    let bytes = value.as_bytes();
    if is_canonical_om_float(bytes) {
        return None;
    }
    if !bytes.is_empty() && bytes.len() <= 4 && bytes.iter().all(u8::is_ascii_digit) {
        let n = bytes
            .iter()
            .fold(0usize, |acc, &c| acc * 10 + usize::from(c - b'0'));
        if n <= MAX_STATIC_INT {
            let start = int_text_offset(n);
            let end = start + decimal_digits(n) + 2;
            return INT_TEXT.get(start..end).map(Cow::Borrowed);
        }
    }
    let f = parse_go_float(bytes).ok()?;
    let mut out = StackText::new();
    format_om_float(f, &mut out);
    let canonical = out.as_bytes();
    if canonical == bytes {
        None
    } else {
        std::str::from_utf8(canonical)
            .ok()
            .map(|s| Cow::Owned(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<f64, FloatError> {
        parse_go_float(s.as_bytes())
    }

    #[test]
    fn accepts_go_float_syntax() {
        let cases: &[(&str, f64)] = &[
            ("0", 0.0),
            ("1", 1.0),
            ("-1", -1.0),
            ("+1", 1.0),
            ("1.5", 1.5),
            ("1.", 1.0),
            (".5", 0.5),
            ("-.5", -0.5),
            ("007", 7.0),
            ("1e3", 1000.0),
            ("1E3", 1000.0),
            ("1e+3", 1000.0),
            ("2.5e-3", 0.0025),
            ("0.000001", 1e-6),
            ("123456789.125", 123_456_789.125),
            ("1.7976931348623157e308", f64::MAX),
            ("5e-324", 5e-324),
            ("1e-400", 0.0),
            ("12345678901234567890123", 1.234_567_890_123_456_8e22),
            ("0.1", 0.1),
            ("0.3", 0.3),
            ("9007199254740993", 9_007_199_254_740_992.0),
            ("4.35", 4.35),
            ("1e22", 1e22),
            ("1e23", 1e23),
            ("Inf", f64::INFINITY),
            ("+Inf", f64::INFINITY),
            ("-Inf", f64::NEG_INFINITY),
            ("inf", f64::INFINITY),
            ("-INFINITY", f64::NEG_INFINITY),
            ("Infinity", f64::INFINITY),
        ];
        for &(s, want) in cases {
            assert_eq!(p(s), Ok(want), "{s}");
        }
        assert_eq!(p("-0").map(f64::is_sign_negative), Ok(true));
        for s in ["NaN", "nan", "NAN", "nAn"] {
            assert_eq!(p(s).map(f64::to_bits), Ok(NORMAL_NAN_BITS), "{s}");
        }
    }

    #[test]
    fn fast_path_agrees_with_std() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let int = x % 10_000_000;
            let frac = (x >> 24) % 1_000_000;
            let exp = (x >> 48) % 30;
            for s in [
                format!("{int}.{frac:06}"),
                format!("{int}e-{exp}"),
                format!("{frac}.{int}e{exp}"),
                format!("0.{frac}"),
            ] {
                let want: f64 = s.parse().unwrap();
                assert_eq!(p(&s), Ok(want), "{s}");
            }
        }
    }

    #[test]
    fn rejects_what_prometheus_rejects() {
        for s in [
            "",
            "+",
            "-",
            ".",
            "e5",
            "1e",
            "1e+",
            "1.2.3",
            "1_000",
            "0x10",
            "0x1p3",
            "1p3",
            "+NaN",
            "-nan",
            "nanx",
            "infinit",
            "infinityy",
            "1 ",
            " 1",
            "1,5",
            "--1",
            "abc",
            "Inf1",
        ] {
            assert_eq!(p(s), Err(FloatError::Syntax), "{s:?}");
        }
        assert_eq!(p("1e400"), Err(FloatError::Range));
        assert_eq!(p("-1e309"), Err(FloatError::Range));
    }

    fn om(f: f64) -> String {
        let mut out = StackText::new();
        format_om_float(f, &mut out);
        String::from_utf8(out.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn formats_like_go_shortest_g() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "0.0"),
            (1.0, "1.0"),
            (-1.0, "-1.0"),
            (10.0, "10.0"),
            (2.5, "2.5"),
            (0.005, "0.005"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (123_456.0, "123456.0"),
            (1_000_000.0, "1e+06"),
            (1_234_567.0, "1.234567e+06"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e100, "1e+100"),
            (-2.5e-10, "-2.5e-10"),
            (f64::MAX, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
        ];
        for &(f, want) in cases {
            assert_eq!(om(f), want, "{f:e}");
        }
    }

    fn normalized(v: &str) -> Option<String> {
        normalize_float_label(v).map(Cow::into_owned)
    }

    #[test]
    fn normalizes_float_label_values() {
        assert_eq!(normalized("1"), Some("1.0".into()));
        assert_eq!(normalized("0"), Some("0.0".into()));
        assert_eq!(normalized("10"), Some("10.0".into()));
        assert_eq!(normalized("1000"), Some("1000.0".into()));
        assert_eq!(normalized("1001"), Some("1001.0".into()));
        assert_eq!(normalized("0010"), Some("10.0".into()));
        assert_eq!(normalized("1.0"), None);
        assert_eq!(normalized("0.005"), None);
        assert_eq!(normalized(".005"), Some("0.005".into()));
        assert_eq!(normalized("0.50"), Some("0.5".into()));
        assert_eq!(normalized("-0.0"), Some("0.0".into()));
        assert_eq!(normalized("+Inf"), None);
        assert_eq!(normalized("inf"), Some("+Inf".into()));
        assert_eq!(normalized("1e6"), Some("1e+06".into()));
        assert_eq!(normalized("1000000"), Some("1e+06".into()));
        assert_eq!(normalized("0.00001"), Some("1e-05".into()));
        assert_eq!(normalized("not-a-number"), None);
        assert_eq!(normalized(""), None);
    }

    #[test]
    fn static_integer_table_is_exact() {
        for n in 0..=MAX_STATIC_INT {
            let start = int_text_offset(n);
            let end = start + decimal_digits(n) + 2;
            assert_eq!(&INT_TEXT[start..end], format!("{n}.0"));
            assert!(matches!(
                normalize_float_label(&n.to_string()),
                Some(Cow::Borrowed(_))
            ));
        }
        assert_eq!(INT_TEXT.len(), int_text_offset(MAX_STATIC_INT + 1));
    }

    #[test]
    fn canonical_shortcut_agrees_with_formatting() {
        let mut x: u64 = 0x0123_4567_89AB_CDEF;
        let mut checked = 0;
        for _ in 0..50_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let int = ["0", "1", "12", "999999", "1000000", "05", "123456"][(x % 7) as usize];
            let zeros = "0".repeat(((x >> 8) % 6) as usize);
            let digits = (x >> 16) % 10_000_000_000_000_000;
            let frac = match (x >> 60) % 4 {
                0 => "0".to_owned(),
                1 => format!("{zeros}{}", digits % 1000),
                2 => format!("{zeros}{digits}"),
                _ => format!("{}", digits % 100),
            };
            let sign = if matches!((x >> 40) % 5, 0) { "-" } else { "" };
            let s = format!("{sign}{int}.{frac}");
            if is_canonical_om_float(s.as_bytes()) {
                let f = parse_go_float(s.as_bytes()).unwrap();
                let mut out = StackText::new();
                format_om_float(f, &mut out);
                assert_eq!(std::str::from_utf8(out.as_bytes()).unwrap(), s);
                checked += 1;
            }
        }
        assert!(checked > 5_000, "only {checked} canonical samples");
    }
}
