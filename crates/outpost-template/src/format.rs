//! Go's `fmt` formatting for template values: `%v` of floats, `print`,
//! `println` and `printf` with the verbs and flags templates use.

use outpost_exposition::{GoFloatFormat, format_go_float};

use crate::value::Value;

/// Go's `%v` of a float64 (`strconv.FormatFloat(x, 'g', -1, 64)`).
pub(crate) fn float_v(x: f64) -> String {
    format_go_float(x, GoFloatFormat::General, None)
}

/// Go's `%.<prec>g` (`strconv.FormatFloat(x, 'g', prec, 64)`), as
/// Prometheus' humanize functions use it with `prec` 4.
pub(crate) fn float_g(x: f64, prec: usize) -> String {
    format_go_float(x, GoFloatFormat::General, Some(prec))
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
    // Go's fmt: %v is %g; %g takes the shortest digits unless a precision
    // is given; %e and %f default to six digits after the point.
    let (format, prec) = match verb {
        'v' | 'g' => (GoFloatFormat::General, sp.prec),
        'G' => (GoFloatFormat::GeneralUpper, sp.prec),
        'e' => (GoFloatFormat::Exponent, Some(sp.prec.unwrap_or(6))),
        'E' => (GoFloatFormat::ExponentUpper, Some(sp.prec.unwrap_or(6))),
        'f' | 'F' => (GoFloatFormat::Fixed, Some(sp.prec.unwrap_or(6))),
        _ => return None,
    };
    let body = format_go_float(x.abs(), format, prec);
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
    fn float_edge_cases_match_go() {
        for (x, want) in [
            (-0.0, "-0"),
            (f64::NEG_INFINITY, "-Inf"),
            (1e20, "1e+20"),
            (123_456_789.0, "1.23456789e+08"),
            (5e-324, "5e-324"),
        ] {
            assert_eq!(float_v(x), want, "{x}");
        }
        assert_eq!(float_g(f64::NAN, 4), "NaN");
        assert_eq!(float_g(f64::INFINITY, 4), "+Inf");
        assert_eq!(float_g(-0.0, 4), "-0");
        assert_eq!(float_g(1e21, 4), "1e+21");
        assert_eq!(float_g(123_456_789.0, 0), "1e+08");
        assert_eq!(float_g(123_456_789.0, 12), "123456789");
    }

    #[test]
    fn sprintf_floats_with_precision_width_and_flags() {
        let f = |fmt: &str, x: f64| sprintf(fmt, &[Value::Float(x)]);
        assert_eq!(f("%v", 1e21), "1e+21");
        assert_eq!(f("%v", 1e-5), "1e-05");
        assert_eq!(f("%v", 123_456_789.0), "1.23456789e+08");
        assert_eq!(f("%g", -0.0), "-0");
        assert_eq!(f("%.3v", 1.23456), "1.23");
        assert_eq!(f("%G", 1e21), "1E+21");
        assert_eq!(f("%E", 1e-5), "1.000000E-05");
        assert_eq!(f("%e", 0.0), "0.000000e+00");
        assert_eq!(f("%f", 1e21), "1000000000000000000000.000000");
        assert_eq!(f("%.0f", 0.5), "0");
        assert_eq!(f("%8.3f", 1.23456), "   1.235");
        assert_eq!(f("%-10.2e|", 1234.5), "1.23e+03  |");
        assert_eq!(f("%+.3g", 123_456_789.0), "+1.23e+08");
        assert_eq!(f("%010.2f", -3.5), "-000003.50");
        assert_eq!(f("% g", 1e-5), " 1e-05");
        assert_eq!(f("%5v", f64::NAN), "  NaN");
        assert_eq!(f("%+v", f64::NAN), "+NaN");
        assert_eq!(f("%05v", f64::INFINITY), " +Inf");
        assert_eq!(f("%.2f", f64::NEG_INFINITY), "-Inf");
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
