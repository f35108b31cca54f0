//! Go's `fmt` formatting for template values: `%v` of floats, `print`,
//! `println` and `printf` with the verbs and flags templates use.

use crate::value::Value;

/// Decimal digits (no trailing zeros) and decimal point position, as Go's
/// strconv keeps them: value = 0.DIGITS × 10^dp.
struct Digits {
    d: Vec<u8>,
    dp: i32,
}

fn digits_from_exp(s: &str) -> Digits {
    // s looks like "1.2345e-7" or "0e0"
    let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut d: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    while d.last() == Some(&b'0') {
        d.pop();
    }
    if d.is_empty() {
        return Digits { d, dp: 0 };
    }
    Digits { d, dp: exp + 1 }
}

/// Shortest round-trip digits of |x|.
fn shortest(x: f64) -> Digits {
    digits_from_exp(&format!("{:e}", x.abs()))
}

/// |x| rounded to `n` (≥1) significant digits.
fn significant(x: f64, n: usize) -> Digits {
    digits_from_exp(&format!("{:.*e}", n.saturating_sub(1), x.abs()))
}

fn fmt_e(dg: &Digits, prec: usize, e: char) -> String {
    let mut s = String::new();
    s.push(dg.d.first().map_or('0', |c| *c as char));
    if prec > 0 {
        s.push('.');
        for i in 1..=prec {
            s.push(dg.d.get(i).map_or('0', |c| *c as char));
        }
    }
    let exp = if dg.d.is_empty() { 0 } else { dg.dp - 1 };
    s.push(e);
    s.push(if exp < 0 { '-' } else { '+' });
    let a = exp.unsigned_abs();
    if a < 10 {
        s.push('0');
    }
    s.push_str(&a.to_string());
    s
}

fn fmt_f(dg: &Digits, prec: usize) -> String {
    let mut s = String::new();
    if dg.dp > 0 {
        let dp = dg.dp as usize;
        for i in 0..dp {
            s.push(dg.d.get(i).map_or('0', |c| *c as char));
        }
    } else {
        s.push('0');
    }
    if prec > 0 {
        s.push('.');
        for i in 1..=prec as i64 {
            let j = i64::from(dg.dp) + i - 1;
            let c = if j >= 0 {
                dg.d.get(j as usize).map_or('0', |c| *c as char)
            } else {
                '0'
            };
            s.push(c);
        }
    }
    s
}

/// Go's `%g` body for |x| with precision (`None` = shortest) and the
/// exponent threshold of the shortest form.
fn fmt_g(x: f64, prec: Option<usize>, e: char) -> String {
    let (dg, mut p, shortest_mode) = match prec {
        None => {
            let d = shortest(x);
            let n = d.d.len();
            (d, n, true)
        }
        Some(p) => {
            let p = p.max(1);
            (significant(x, p), p, false)
        }
    };
    let nd = dg.d.len();
    let mut eprec = p as i64;
    if eprec > nd as i64 && nd as i64 >= i64::from(dg.dp) {
        eprec = nd as i64;
    }
    if shortest_mode {
        eprec = 6;
    }
    let exp = i64::from(dg.dp) - 1;
    if x == 0.0 {
        // digits are empty: Go prints 0 (or 0e+00 never for %g)
        return "0".into();
    }
    if exp < -4 || exp >= eprec {
        if p > nd {
            p = nd;
        }
        return fmt_e(&dg, p.saturating_sub(1), e);
    }
    if p as i64 > i64::from(dg.dp) {
        p = nd;
    }
    fmt_f(&dg, (p as i64 - i64::from(dg.dp)).max(0) as usize)
}

fn special(x: f64, plus: bool) -> Option<String> {
    if x.is_nan() {
        return Some("NaN".into());
    }
    if x.is_infinite() {
        return Some(if x > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        });
    }
    let _ = plus;
    None
}

/// Go's `%v` of a float64 (`strconv.FormatFloat(x, 'g', -1, 64)`).
pub(crate) fn float_v(x: f64) -> String {
    if let Some(s) = special(x, false) {
        return s;
    }
    let body = fmt_g(x, None, 'e');
    if x.is_sign_negative() && x != 0.0 {
        format!("-{body}")
    } else {
        body
    }
}

/// Go's `%.4g`-style formatting used by Prometheus' humanize functions.
pub(crate) fn float_g(x: f64, prec: usize) -> String {
    if let Some(s) = special(x, false) {
        return s;
    }
    let body = fmt_g(x, Some(prec), 'e');
    if x.is_sign_negative() && x != 0.0 {
        format!("-{body}")
    } else {
        body
    }
}

/// `fmt.Sprint`: spaces between operands when neither side is a string.
pub(crate) fn sprint(args: &[Value]) -> String {
    let mut s = String::new();
    for (i, a) in args.iter().enumerate() {
        let is_str = matches!(a, Value::String(_));
        if i > 0 && !is_str && !matches!(args[i - 1], Value::String(_)) {
            s.push(' ');
        }
        s.push_str(&a.to_string());
    }
    s
}

/// `fmt.Sprintln`: spaces between all operands, newline at the end.
pub(crate) fn sprintln(args: &[Value]) -> String {
    let mut s = args
        .iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join(" ");
    s.push('\n');
    s
}

/// Go's `time.Time.Format(time.RFC3339Nano)` of Unix ms in UTC: fraction
/// digits only as needed (`2024-01-01T00:00:12.34Z`, `...:12Z`).
pub fn rfc3339_nano(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => {
            let frac = ms.rem_euclid(1000);
            let base = t.strftime("%Y-%m-%dT%H:%M:%S").to_string();
            if frac == 0 {
                format!("{base}Z")
            } else {
                let f = format!("{frac:03}");
                format!("{base}.{}Z", f.trim_end_matches('0'))
            }
        }
        Err(_) => "0001-01-01T00:00:00Z".to_string(),
    }
}

/// Unix ms as RFC 3339 with exactly three fraction digits in UTC, as
/// go-openapi's `strfmt.DateTime` prints (`2024-01-01T00:00:12.345Z`).
pub fn rfc3339_millis(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        Err(_) => "0001-01-01T00:00:00.000Z".to_string(),
    }
}

/// Go's `strconv.Quote`.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        quote_char_into(&mut out, c, '"');
    }
    out.push('"');
    out
}

fn quote_char_into(out: &mut String, c: char, q: char) {
    match c {
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{b}' => out.push_str("\\v"),
        '\\' => out.push_str("\\\\"),
        c if c == q => {
            out.push('\\');
            out.push(c);
        }
        '\u{FFFD}' => out.push_str("\\ufffd"),
        c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
        c if c.is_control() || c.is_whitespace() && c != ' ' => {
            if (c as u32) < 0x10000 {
                out.push_str(&format!("\\u{:04x}", c as u32));
            } else {
                out.push_str(&format!("\\U{:08x}", c as u32));
            }
        }
        c => out.push(c),
    }
}

#[derive(Default, Clone, Copy)]
struct Spec {
    minus: bool,
    plus: bool,
    space: bool,
    zero: bool,
    sharp: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

fn pad(s: String, sp: &Spec, numeric: bool) -> String {
    let Some(w) = sp.width else { return s };
    let n = s.chars().count();
    if n >= w {
        return s;
    }
    let fill = w - n;
    if sp.minus {
        return s + &" ".repeat(fill);
    }
    if sp.zero && numeric {
        // zeros go after the sign
        let (sign, rest) = match s.chars().next() {
            Some(c @ ('+' | '-' | ' ')) => (c.to_string(), s[1..].to_string()),
            _ => (String::new(), s.clone()),
        };
        if rest.chars().all(|c| {
            c.is_ascii_digit()
                || c == '.'
                || c == 'e'
                || c == '+'
                || c == '-'
                || c.is_ascii_hexdigit()
                || c == 'x'
                || c == 'X'
        }) {
            return format!("{sign}{}{rest}", "0".repeat(fill));
        }
    }
    if sp.zero && !numeric {
        return "0".repeat(fill) + &s;
    }
    " ".repeat(fill) + &s
}

fn sign(neg: bool, sp: &Spec) -> &'static str {
    if neg {
        "-"
    } else if sp.plus {
        "+"
    } else if sp.space {
        " "
    } else {
        ""
    }
}

fn bad_verb(verb: char, v: &Value, sp: &Spec) -> String {
    match v {
        Value::Null => format!("%!{verb}(<nil>)"),
        // the value is printed with %v and the verb's flags
        _ => format!("%!{verb}({}={})", v.type_name(), fmt_value(v, 'v', sp)),
    }
}

fn fmt_int(i: i64, verb: char, sp: &Spec) -> Option<String> {
    let neg = i < 0;
    let u = i.unsigned_abs();
    let mut digits = match verb {
        'd' | 'v' => u.to_string(),
        'x' => format!("{u:x}"),
        'X' => format!("{u:X}"),
        'o' | 'O' => format!("{u:o}"),
        'b' => format!("{u:b}"),
        'c' => {
            return Some(pad(
                char::from_u32(i as u32).unwrap_or('\u{FFFD}').to_string(),
                sp,
                false,
            ));
        }
        'q' => {
            let c = char::from_u32(i as u32).unwrap_or('\u{FFFD}');
            let mut s = String::from("'");
            quote_char_into(&mut s, c, '\'');
            s.push('\'');
            return Some(pad(s, sp, false));
        }
        'U' => return Some(pad(format!("U+{u:04X}"), sp, false)),
        _ => return None,
    };
    if let Some(p) = sp.prec {
        if p == 0 && u == 0 {
            digits.clear();
        }
        while digits.len() < p {
            digits.insert(0, '0');
        }
    }
    let prefix = match (verb, sp.sharp) {
        ('x', true) => "0x",
        ('X', true) => "0X",
        ('o', true) => "0",
        ('b', true) => "0b",
        ('O', _) => "0o",
        _ => "",
    };
    let s = format!("{}{prefix}{digits}", sign(neg, sp));
    let mut sp2 = *sp;
    if sp.prec.is_some() {
        sp2.zero = false;
    }
    Some(pad(s, &sp2, true))
}

fn fmt_float(x: f64, verb: char, sp: &Spec) -> Option<String> {
    let neg = x.is_sign_negative() && !x.is_nan();
    if x.is_nan() || x.is_infinite() {
        if !matches!(verb, 'v' | 'e' | 'E' | 'f' | 'F' | 'g' | 'G') {
            return None;
        }
        let body = if x.is_nan() { "NaN" } else { "Inf" };
        let s = if x.is_nan() {
            format!(
                "{}{body}",
                if sp.plus {
                    "+"
                } else if sp.space {
                    " "
                } else {
                    ""
                }
            )
        } else {
            format!(
                "{}{body}",
                if neg {
                    "-"
                } else if sp.space && !sp.plus {
                    " "
                } else {
                    "+"
                }
            )
        };
        let mut sp2 = *sp;
        sp2.zero = false;
        return Some(pad(s, &sp2, false));
    }
    let a = x.abs();
    let body = match verb {
        'v' | 'g' => match sp.prec {
            None => fmt_g(a, None, 'e'),
            Some(p) => fmt_g(a, Some(p), 'e'),
        },
        'G' => fmt_g(a, sp.prec, 'E'),
        'e' | 'E' => {
            let p = sp.prec.unwrap_or(6);
            fmt_e(&significant(a, p + 1), p, verb)
        }
        'f' | 'F' => format!("{:.*}", sp.prec.unwrap_or(6), a),
        _ => return None,
    };
    let s = format!("{}{body}", sign(neg, sp));
    Some(pad(s, sp, true))
}

fn fmt_str(s: &str, verb: char, sp: &Spec) -> Option<String> {
    let s = match sp.prec {
        Some(p) if verb != 'x' && verb != 'X' => s.chars().take(p).collect::<String>(),
        _ => s.to_string(),
    };
    let out = match verb {
        's' | 'v' => s,
        'q' => {
            if sp.sharp && !s.contains('`') {
                format!("`{s}`")
            } else {
                go_quote(&s)
            }
        }
        'x' | 'X' => {
            let bytes = s.as_bytes();
            let bytes = &bytes[..sp.prec.unwrap_or(bytes.len()).min(bytes.len())];
            let mut o = String::new();
            for (i, b) in bytes.iter().enumerate() {
                if sp.space && i > 0 {
                    o.push(' ');
                }
                if sp.sharp && (sp.space || i == 0) {
                    o.push_str(if verb == 'x' { "0x" } else { "0X" });
                }
                if verb == 'x' {
                    o.push_str(&format!("{b:02x}"));
                } else {
                    o.push_str(&format!("{b:02X}"));
                }
            }
            o
        }
        _ => return None,
    };
    Some(pad(out, sp, false))
}

fn fmt_value(v: &Value, verb: char, sp: &Spec) -> String {
    if verb == 'T' {
        return pad(v.type_name(), sp, false);
    }
    match v {
        Value::Bool(b) => match verb {
            't' | 'v' => pad(b.to_string(), sp, false),
            _ => bad_verb(verb, v, sp),
        },
        Value::Int(i) => fmt_int(*i, verb, sp).unwrap_or_else(|| bad_verb(verb, v, sp)),
        Value::Float(x) => fmt_float(*x, verb, sp).unwrap_or_else(|| bad_verb(verb, v, sp)),
        Value::String(s) => fmt_str(s, verb, sp).unwrap_or_else(|| bad_verb(verb, v, sp)),
        Value::Null => match verb {
            'v' => pad("<nil>".into(), sp, false),
            _ => bad_verb(verb, v, sp),
        },
        Value::List(l) => {
            let parts: Vec<String> = l.iter().map(|e| fmt_value(e, verb, sp)).collect();
            format!("[{}]", parts.join(" "))
        }
        Value::Map(m) => {
            let parts: Vec<String> = m
                .iter()
                .map(|(k, e)| {
                    format!(
                        "{}:{}",
                        fmt_value(&Value::String(k.clone()), verb, sp),
                        fmt_value(e, verb, sp)
                    )
                })
                .collect();
            format!("map[{}]", parts.join(" "))
        }
        Value::Duration(d) => match verb {
            'v' | 's' | 'q' => fmt_str(&v.to_string(), verb, sp).unwrap_or_default(),
            _ => fmt_int(*d, verb, sp).unwrap_or_else(|| bad_verb(verb, v, sp)),
        },
        Value::Time(_) => match verb {
            'v' | 's' | 'q' | 'x' | 'X' => fmt_str(&v.to_string(), verb, sp).unwrap_or_default(),
            _ => bad_verb(verb, v, sp),
        },
        Value::Object(o) => match o.base() {
            // Go formats slices and maps element by element
            Some(p @ (Value::List(_) | Value::Map(_) | Value::String(_))) => {
                fmt_value(&p, verb, sp)
            }
            _ => match verb {
                'v' | 's' | 'q' | 'x' | 'X' => {
                    fmt_str(&v.to_string(), verb, sp).unwrap_or_default()
                }
                _ => bad_verb(verb, v, sp),
            },
        },
    }
}

/// `fmt.Sprintf` for template values.
pub(crate) fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut argi = 0usize;
    let mut reordered = false;
    let mut chars = format.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut sp = Spec::default();
        // flags
        while let Some(&(_, f)) = chars.peek() {
            match f {
                '-' => sp.minus = true,
                '+' => sp.plus = true,
                ' ' => sp.space = true,
                '0' => sp.zero = !sp.minus,
                '#' => sp.sharp = true,
                _ => break,
            }
            chars.next();
        }
        if sp.minus {
            sp.zero = false;
        }
        let mut arg_index = |chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
                             argi: &mut usize|
         -> bool {
            if chars.peek().map(|c| c.1) != Some('[') {
                return true;
            }
            chars.next();
            let mut n = String::new();
            while let Some(&(_, d)) = chars.peek() {
                chars.next();
                if d == ']' {
                    break;
                }
                n.push(d);
            }
            reordered = true;
            match n.parse::<usize>() {
                Ok(i) if i >= 1 && i <= args.len() => {
                    *argi = i - 1;
                    true
                }
                _ => false,
            }
        };
        let mut ok_index = arg_index(&mut chars, &mut argi);
        // width
        if chars.peek().map(|c| c.1) == Some('*') {
            chars.next();
            match args.get(argi) {
                Some(Value::Int(w)) if w.unsigned_abs() <= 1_000_000 => {
                    if *w < 0 {
                        sp.minus = true;
                        sp.zero = false;
                    }
                    sp.width = Some(w.unsigned_abs() as usize);
                }
                _ => out.push_str("%!(BADWIDTH)"),
            }
            argi += 1;
        } else {
            let mut w = String::new();
            while let Some(&(_, d)) = chars.peek() {
                if !d.is_ascii_digit() {
                    break;
                }
                w.push(d);
                chars.next();
            }
            if !w.is_empty() {
                sp.width = w.parse().ok().map(|w: usize| w.min(10_000));
            }
        }
        // precision
        if chars.peek().map(|c| c.1) == Some('.') {
            chars.next();
            ok_index = ok_index && arg_index(&mut chars, &mut argi);
            if chars.peek().map(|c| c.1) == Some('*') {
                chars.next();
                match args.get(argi) {
                    Some(Value::Int(p)) if *p >= 0 => sp.prec = Some((*p as usize).min(10_000)),
                    _ => out.push_str("%!(BADPREC)"),
                }
                argi += 1;
            } else {
                let mut p = String::new();
                while let Some(&(_, d)) = chars.peek() {
                    if !d.is_ascii_digit() {
                        break;
                    }
                    p.push(d);
                    chars.next();
                }
                sp.prec = Some(p.parse::<usize>().unwrap_or(0).min(10_000));
            }
        }
        let ok_verb = arg_index(&mut chars, &mut argi);
        ok_index = ok_index && ok_verb;
        let Some((_, verb)) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        if !ok_index {
            out.push_str(&format!("%!{verb}(BADINDEX)"));
            continue;
        }
        let Some(arg) = args.get(argi) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        argi += 1;
        out.push_str(&fmt_value(arg, verb, &sp));
    }
    if !reordered && argi < args.len() {
        out.push_str("%!(EXTRA ");
        let extra: Vec<String> = args[argi..]
            .iter()
            .map(|a| match a {
                Value::Null => "<nil>".to_string(),
                a => format!("{}={}", a.type_name(), a),
            })
            .collect();
        out.push_str(&extra.join(", "));
        out.push(')');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_v_matches_go() {
        for (x, want) in [
            (1234567.0, "1.234567e+06"),
            (100000.0, "100000"),
            (0.00001, "1e-05"),
            (0.0001, "0.0001"),
            (1.5, "1.5"),
            (0.0, "0"),
            (-2.5, "-2.5"),
            (1e21, "1e+21"),
            (123456.0, "123456"),
            (0.1 + 0.2, "0.30000000000000004"),
            (f64::INFINITY, "+Inf"),
            (f64::NAN, "NaN"),
        ] {
            assert_eq!(float_v(x), want, "{x}");
        }
    }

    #[test]
    fn float_g4_matches_go() {
        for (x, want) in [
            (1234.5678, "1235"),
            (9999.5, "1e+04"),
            (0.0001, "0.0001"),
            (1.0, "1"),
            (1.2345, "1.234"),
            (0.00001234, "1.234e-05"),
            (123456.0, "1.235e+05"),
            (0.0, "0"),
        ] {
            assert_eq!(float_g(x, 4), want, "{x}");
        }
    }

    #[test]
    fn sprintf_verbs() {
        let f = |fmt: &str, args: Vec<Value>| sprintf(fmt, &args);
        assert_eq!(f("%d-%s", vec![Value::Int(3), "x".into()]), "3-x");
        assert_eq!(f("%.2f", vec![Value::Float(1.005)]), "1.00");
        assert_eq!(
            f(
                "%5.1f|%-5d|%05d",
                vec![Value::Float(3.14158), Value::Int(42), Value::Int(-42)]
            ),
            "  3.1|42   |-0042"
        );
        assert_eq!(f("%q", vec!["a\"b".into()]), "\"a\\\"b\"");
        assert_eq!(f("%x %X", vec![Value::Int(255), "hi".into()]), "ff 6869");
        assert_eq!(f("%e", vec![Value::Float(1234.5678)]), "1.234568e+03");
        assert_eq!(f("%g", vec![Value::Float(1e-7)]), "1e-07");
        assert_eq!(f("%d", vec![Value::Float(1.5)]), "%!d(float64=1.5)");
        assert_eq!(f("%d %d", vec![Value::Int(1)]), "1 %!d(MISSING)");
        assert_eq!(
            f("%d", vec![Value::Int(1), "x".into()]),
            "1%!(EXTRA string=x)"
        );
        assert_eq!(
            f("%t %v %%", vec![Value::Bool(true), Value::Null]),
            "true <nil> %"
        );
        assert_eq!(
            f("%s", vec![Value::list(vec!["a".into(), "b".into()])]),
            "[a b]"
        );
        assert_eq!(f("%+d % d", vec![Value::Int(5), Value::Int(5)]), "+5  5");
        assert_eq!(f("%6.2f%%", vec![Value::Float(99.5)]), " 99.50%");
        assert_eq!(f("%[2]d %[1]d", vec![Value::Int(1), Value::Int(2)]), "2 1");
        assert_eq!(f("%c%U", vec![Value::Int(65), Value::Int(65)]), "AU+0041");
        assert_eq!(f("%.3s", vec!["abcdef".into()]), "abc");
        assert_eq!(f("%", vec![]), "%!(NOVERB)");
    }
}
