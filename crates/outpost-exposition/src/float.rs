//! Float parsing with the syntax Prometheus accepts (Go's `strconv.ParseFloat`
//! minus hex floats and underscores), Go's float text (`strconv.FormatFloat`,
//! which Prometheus and Alertmanager print every float with), and the
//! OpenMetrics float spelling used to normalise `le` and `quantile` label
//! values.

use std::borrow::Cow;
use std::fmt::Write;

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

/// The layouts of Go's `strconv.FormatFloat` for decimal text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoFloatFormat {
    /// `'e'`: `d.dddde±dd`.
    Exponent,
    /// `'E'`: `d.ddddE±dd`.
    ExponentUpper,
    /// `'f'`: `ddd.dddd`, never an exponent.
    Fixed,
    /// `'g'`: `'e'` for large and small exponents, `'f'` otherwise.
    General,
    /// `'G'`: `'E'` for large and small exponents, `'f'` otherwise.
    GeneralUpper,
}

/// Go's `strconv.FormatFloat(x, format, prec, 64)`.
///
/// `prec` counts the digits after the point for the `e` and `f` layouts and
/// the significant digits for `g` (0 counts as 1); `None` is Go's `-1`: the
/// fewest digits that read back as `x`. Infinities are `+Inf` and `-Inf`,
/// NaN is `NaN`, and negative zero keeps its sign.
pub fn format_go_float(x: f64, format: GoFloatFormat, prec: Option<usize>) -> String {
    let mut out = String::new();
    write_go_float(&mut out, x, format, prec);
    out
}

/// Go's `strconv.FormatFloat(x, 'f', -1, 64)`, the spelling Prometheus uses
/// for sample values, `le` and `quantile` bounds and durations in seconds.
pub fn go_float(x: f64) -> String {
    format_go_float(x, GoFloatFormat::Fixed, None)
}

/// [`format_go_float`] into any text sink.
fn write_go_float<W: Write>(out: &mut W, x: f64, format: GoFloatFormat, prec: Option<usize>) {
    if x.is_nan() {
        let _ = out.write_str("NaN");
        return;
    }
    if x.is_infinite() {
        let _ = out.write_str(if x > 0.0 { "+Inf" } else { "-Inf" });
        return;
    }
    if x.is_sign_negative() {
        let _ = out.write_char('-');
    }
    let a = x.abs();
    match format {
        // Rust's positional float text is this layout: shortest round-trip
        // digits by default, exact rounding with a precision.
        GoFloatFormat::Fixed => {
            let _ = match prec {
                None => write!(out, "{a}"),
                Some(p) => write!(out, "{a:.p$}"),
            };
        }
        GoFloatFormat::Exponent | GoFloatFormat::ExponentUpper => {
            let e = if format == GoFloatFormat::Exponent {
                'e'
            } else {
                'E'
            };
            // `prec` digits after the point are `prec + 1` significant ones.
            with_scientific(a, prec.map(|p| p.saturating_add(1)), |s| {
                write_exponent(out, &s, prec.unwrap_or(s.len() - 1), e);
            });
        }
        GoFloatFormat::General | GoFloatFormat::GeneralUpper => {
            let e = if format == GoFloatFormat::General {
                'e'
            } else {
                'E'
            };
            let prec = prec.map(|p| p.max(1));
            with_scientific(a, prec, |s| {
                // The exponent decides: the requested precision bounds it,
                // and 6 when the digits are the shortest ones.
                let limit = prec.map_or(6, |p| i64::try_from(p).unwrap_or(i64::MAX));
                let exp = i64::from(s.exp);
                let last = i64::try_from(s.len()).unwrap_or(i64::MAX) - 1;
                if exp < -4 || exp >= limit {
                    write_exponent(out, &s, s.len() - 1, e);
                } else {
                    let frac = usize::try_from(last - exp).unwrap_or(0);
                    write_positional(out, &s, frac);
                }
            });
        }
    }
}

/// A finite, non-negative float in scientific form: significant digits
/// `d.ddd` (trailing zeros dropped) times ten to `exp`.
struct Scientific<'a> {
    /// `d` or `d.ddd` as Rust writes the mantissa; `0` for zero.
    mantissa: &'a [u8],
    /// The power of ten of the first digit.
    exp: i32,
}

impl<'a> Scientific<'a> {
    /// Reads Rust's `{:e}` text (`1.25e-7`, `0e0`).
    fn from_rust(text: &'a [u8]) -> Self {
        let e_pos = text.iter().position(|&c| c == b'e').unwrap_or(text.len());
        let mut mantissa = &text[..e_pos];
        if mantissa.contains(&b'.') {
            while let [rest @ .., b'0'] = mantissa {
                mantissa = rest;
            }
            if let [rest @ .., b'.'] = mantissa {
                mantissa = rest;
            }
        }
        let exp = std::str::from_utf8(text.get(e_pos + 1..).unwrap_or_default())
            .ok()
            .and_then(|e| e.parse().ok())
            .unwrap_or(0);
        Scientific { mantissa, exp }
    }

    /// How many significant digits there are (at least one).
    fn len(&self) -> usize {
        self.mantissa.len().saturating_sub(1).max(1)
    }

    /// The `i`-th significant digit; `0` past the last one.
    fn digit(&self, i: usize) -> char {
        let at = if i == 0 { 0 } else { i + 1 };
        char::from(self.mantissa.get(at).copied().unwrap_or(b'0'))
    }
}

/// Runs `f` on the scientific form of `a` with `digits` significant digits
/// (correctly rounded), or the shortest that round-trip for `None`.
fn with_scientific<R>(a: f64, digits: Option<usize>, f: impl FnOnce(Scientific<'_>) -> R) -> R {
    match digits {
        None => {
            let mut text = StackText::new();
            let _ = write!(text, "{a:e}");
            f(Scientific::from_rust(text.as_bytes()))
        }
        Some(n) => {
            let text = format!("{a:.*e}", n.saturating_sub(1));
            f(Scientific::from_rust(text.as_bytes()))
        }
    }
}

/// `d.ddd` with `frac` digits after the point, then the exponent with its
/// sign and at least two digits (`1.5e+07`, `2e-300`).
fn write_exponent<W: Write>(out: &mut W, s: &Scientific<'_>, frac: usize, e: char) {
    let _ = out.write_char(s.digit(0));
    if frac > 0 {
        let _ = out.write_char('.');
        for i in 1..=frac {
            let _ = out.write_char(s.digit(i));
        }
    }
    let sign = if s.exp < 0 { '-' } else { '+' };
    let _ = write!(out, "{e}{sign}{:02}", s.exp.unsigned_abs());
}

/// The digits without exponent, `frac` of them after the point.
fn write_positional<W: Write>(out: &mut W, s: &Scientific<'_>, frac: usize) {
    match usize::try_from(s.exp) {
        Ok(int_digits) => {
            for i in 0..=int_digits {
                let _ = out.write_char(s.digit(i));
            }
        }
        Err(_) => {
            let _ = out.write_char('0');
        }
    }
    if frac > 0 {
        let _ = out.write_char('.');
        // The k-th fraction digit stands for 10^-k: digit `exp + k`.
        for k in 1..=frac {
            let i = i64::from(s.exp) + i64::try_from(k).unwrap_or(i64::MAX);
            let c = usize::try_from(i).map_or('0', |i| s.digit(i));
            let _ = out.write_char(c);
        }
    }
}

/// Writes `f` the way Prometheus' `FormatOpenMetricsFloat` does: Go's
/// shortest `%g`, with `.0` appended to a finite number that has neither `.`
/// nor `e`, and `0.0` for both zeros.
fn format_om_float(f: f64, out: &mut StackText) {
    if f == 0.0 {
        let _ = out.write_str("0.0");
        return;
    }
    write_go_float(out, f, GoFloatFormat::General, None);
    if !out
        .as_bytes()
        .iter()
        .any(|&c| matches!(c, b'.' | b'e' | b'I' | b'N'))
    {
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

    #[test]
    fn go_float_text_per_layout() {
        use GoFloatFormat::*;
        let cases: &[(f64, GoFloatFormat, Option<usize>, &str)] = &[
            (0.0, General, None, "0"),
            (-0.0, General, None, "-0"),
            (-0.0, Fixed, None, "-0"),
            (0.0, Exponent, None, "0e+00"),
            (0.0, Exponent, Some(3), "0.000e+00"),
            (0.0, General, Some(4), "0"),
            (f64::NAN, General, None, "NaN"),
            (f64::NAN, Fixed, Some(2), "NaN"),
            (f64::INFINITY, Exponent, None, "+Inf"),
            (f64::NEG_INFINITY, General, Some(3), "-Inf"),
            (1e21, General, None, "1e+21"),
            (1e21, Fixed, None, "1000000000000000000000"),
            (1e20, General, None, "1e+20"),
            (1e-5, General, None, "1e-05"),
            (1e-5, Fixed, None, "0.00001"),
            (1e-4, General, None, "0.0001"),
            (123_456_789.0, General, None, "1.23456789e+08"),
            (123_456_789.0, Fixed, None, "123456789"),
            (123_456_789.0, Exponent, None, "1.23456789e+08"),
            (123_456_789.0, General, Some(4), "1.235e+08"),
            (123_456_789.0, GeneralUpper, Some(4), "1.235E+08"),
            (123_456_789.0, Exponent, Some(2), "1.23e+08"),
            (123_456_789.0, Fixed, Some(2), "123456789.00"),
            (123_456_789.0, General, Some(9), "123456789"),
            (123_456_789.0, General, Some(20), "123456789"),
            (100_000.0, General, None, "100000"),
            (1_000_000.0, General, None, "1e+06"),
            (999_999.5, General, None, "999999.5"),
            (1234.0, General, Some(0), "1e+03"),
            (0.000_123_4, General, Some(3), "0.000123"),
            (100.0, General, Some(3), "100"),
            (100.0, General, Some(2), "1e+02"),
            (9999.5, General, Some(4), "1e+04"),
            (12345.0, Exponent, Some(0), "1e+04"),
            (0.15, ExponentUpper, None, "1.5E-01"),
            (1e-7, GeneralUpper, None, "1E-07"),
            (-2.5e-10, General, None, "-2.5e-10"),
            (2.5, Fixed, Some(0), "2"),
            (8.5, General, Some(1), "8"),
            (9.5, General, Some(1), "1e+01"),
            (1.005, Fixed, Some(2), "1.00"),
            (0.1 + 0.2, General, None, "0.30000000000000004"),
            (5e-324, General, None, "5e-324"),
            (f64::MAX, General, None, "1.7976931348623157e+308"),
            (1e100, Exponent, Some(1), "1.0e+100"),
        ];
        for &(x, format, prec, want) in cases {
            assert_eq!(
                format_go_float(x, format, prec),
                want,
                "{x:e} {format:?} {prec:?}"
            );
        }
        assert_eq!(go_float(0.005), "0.005");
        assert_eq!(go_float(-1.5), "-1.5");
        assert_eq!(go_float(f64::INFINITY), "+Inf");
    }

    #[test]
    fn shortest_go_float_text_reads_back() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let f = f64::from_bits(x);
            if !f.is_finite() {
                continue;
            }
            for format in [
                GoFloatFormat::General,
                GoFloatFormat::Exponent,
                GoFloatFormat::Fixed,
            ] {
                let text = format_go_float(f, format, None);
                let back: f64 = text.parse().unwrap();
                assert_eq!(back.to_bits(), f.to_bits(), "{text}");
            }
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
