//! Parameter parsing for the Jaeger query APIs, with the error texts of the
//! Go functions Jaeger calls (`strconv.ParseInt`, `strconv.ParseBool`,
//! `time.ParseDuration`, `model.TraceIDFromString`), so clients that show
//! them see what Jaeger would say (fact sheet §5.2, §5.3, §6).

use outpost_traces::model::TraceId;

/// The query string's pairs, repeated keys kept in order.
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub(crate) fn new(q: Option<&str>) -> Self {
        Self(crate::form::query_pairs(q))
    }

    /// The first value of `k` (Go's `FormValue`), empty when absent.
    pub(crate) fn first(&self, k: &str) -> &str {
        self.0
            .iter()
            .find(|(key, _)| key == k)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The first non-empty value among the spellings `names`, with the
    /// spelling it came under (camelCase first, then snake_case aliases).
    pub(crate) fn any<'a>(&'a self, names: &[&'a str]) -> Option<(&'a str, &'a str)> {
        names
            .iter()
            .find_map(|n| Some((*n, self.first(n))).filter(|(_, v)| !v.is_empty()))
    }

    /// Every value of `k`.
    pub(crate) fn all<'a>(&'a self, k: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    }
}

/// Go's `strconv.Quote` for the texts we echo (ASCII printable kept,
/// everything else escaped as Rust's debug form does, which agrees for
/// the common cases).
pub(crate) fn quote(s: &str) -> String {
    format!("{s:?}")
}

/// `strconv.ParseInt(s, 10, bits)`.
pub(crate) fn parse_int(s: &str, bits: u32) -> Result<i64, String> {
    let syntax = || format!("strconv.ParseInt: parsing {}: invalid syntax", quote(s));
    let range = || format!("strconv.ParseInt: parsing {}: value out of range", quote(s));
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(syntax());
    }
    let max = (1i128 << (bits - 1)) - 1;
    let mut v: i128 = 0;
    for b in digits.bytes() {
        v = v * 10 + i128::from(b - b'0');
        if v > max + 1 {
            return Err(range());
        }
    }
    let v = if neg { -v } else { v };
    if v > max || v < -(max + 1) {
        return Err(range());
    }
    i64::try_from(v).map_err(|_| range())
}

/// `strconv.Atoi`: as `ParseInt(s, 10, 64)` with `Atoi` in the text.
pub(crate) fn atoi(s: &str) -> Result<i64, String> {
    parse_int(s, 64).map_err(|e| e.replacen("strconv.ParseInt", "strconv.Atoi", 1))
}

/// `strconv.ParseBool`.
pub(crate) fn parse_bool(s: &str) -> Result<bool, String> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(format!(
            "strconv.ParseBool: parsing {}: invalid syntax",
            quote(s)
        )),
    }
}

/// Go's `time.ParseDuration`, in nanoseconds: a signed sequence of decimal
/// numbers, each with an optional fraction and a unit (`ns`, `us`, `µs`,
/// `μs`, `ms`, `s`, `m`, `h`); `0` alone needs no unit.
pub(crate) fn go_duration(orig: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", quote(orig));
    let mut s = orig;
    let mut neg = false;
    if let Some(r) = s.strip_prefix('-') {
        neg = true;
        s = r;
    } else if let Some(r) = s.strip_prefix('+') {
        s = r;
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: u128 = 0;
    while !s.is_empty() {
        let b = s.as_bytes();
        if !(b[0] == b'.' || b[0].is_ascii_digit()) {
            return Err(invalid());
        }
        let int_len = b.iter().take_while(|c| c.is_ascii_digit()).count();
        let int_part = &s[..int_len];
        s = &s[int_len..];
        let mut frac_part = "";
        if let Some(r) = s.strip_prefix('.') {
            let n = r.bytes().take_while(|c| c.is_ascii_digit()).count();
            frac_part = &r[..n];
            s = &r[n..];
        }
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(invalid());
        }
        let unit_len = s
            .char_indices()
            .find(|(_, c)| *c == '.' || c.is_ascii_digit())
            .map_or(s.len(), |(i, _)| i);
        let unit = &s[..unit_len];
        s = &s[unit_len..];
        if unit.is_empty() {
            return Err(format!("time: missing unit in duration {}", quote(orig)));
        }
        let scale: u128 = match unit {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    quote(unit),
                    quote(orig)
                ));
            }
        };
        let mut v: u128 = 0;
        for c in int_part.bytes() {
            v = v * 10 + u128::from(c - b'0');
            if v > 1 << 63 {
                return Err(invalid());
            }
        }
        v *= scale;
        // The fraction, truncated to nanoseconds as Go does.
        let mut f: u128 = 0;
        let mut div: u128 = 1;
        for c in frac_part.bytes() {
            if div > 1 << 63 {
                break;
            }
            f = f * 10 + u128::from(c - b'0');
            div *= 10;
        }
        v += f * scale / div;
        total += v;
        if total > 1 << 63 {
            return Err(invalid());
        }
    }
    if neg {
        Ok(i64::try_from(-(total as i128)).map_err(|_| invalid())?)
    } else {
        i64::try_from(total).map_err(|_| invalid())
    }
}

/// `strconv.ParseUint(s, 16, 64)`.
fn parse_hex_u64(s: &str) -> Result<u64, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "strconv.ParseUint: parsing {}: invalid syntax",
            quote(s)
        ));
    }
    u64::from_str_radix(s, 16).map_err(|_| {
        format!(
            "strconv.ParseUint: parsing {}: value out of range",
            quote(s)
        )
    })
}

/// A trace id as Jaeger reads it from a path or `traceID=`: hex of up to 32
/// digits (leading zeros optional), or (v2.20) base64 of 8 or 16 bytes.
pub(crate) fn trace_id(s: &str) -> Result<TraceId, String> {
    let hex = || -> Result<TraceId, String> {
        if s.len() > 32 {
            return Err(format!(
                "TraceID cannot be longer than 32 hex characters: {s}"
            ));
        }
        if s.len() > 16 {
            let cut = s.len() - 16;
            let hi = parse_hex_u64(&s[..cut])?;
            let lo = parse_hex_u64(&s[cut..])?;
            return Ok(TraceId::from_halves(hi, lo));
        }
        Ok(TraceId::from_halves(0, parse_hex_u64(s)?))
    };
    match hex() {
        Ok(id) => Ok(id),
        Err(e) => match base64_decode(s) {
            Some(b) if b.len() == 16 => TraceId::from_bytes(&b).ok_or(e),
            Some(b) if b.len() == 8 => {
                let a: [u8; 8] = b.as_slice().try_into().map_err(|_| e.clone())?;
                Ok(TraceId::from_halves(0, u64::from_be_bytes(a)))
            }
            _ => Err(e),
        },
    }
}

/// Base64 in the standard or URL alphabet, padded or not.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if bits >= 6 {
        return None;
    }
    Some(out)
}

/// An RFC 3339 time with optional fraction (Go's `time.RFC3339Nano`
/// layout), in Unix nanoseconds.
pub(crate) fn rfc3339_nano(s: &str) -> Result<i128, String> {
    s.parse::<jiff::Timestamp>()
        .map(|t| t.as_nanosecond())
        .map_err(|_| {
            format!(
                "parsing time {} as \"2006-01-02T15:04:05.999999999Z07:00\": cannot parse {} as \"2006\"",
                quote(s),
                quote(s)
            )
        })
}

/// Nanoseconds since the epoch as the store's `u64`, negatives at 0.
pub(crate) fn ns_u64(ns: i128) -> u64 {
    u64::try_from(ns.max(0)).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        for (s, ns) in [
            ("0", 0),
            ("1ns", 1),
            ("4500ns", 4500),
            ("4.5us", 4500),
            ("4.5µs", 4500),
            ("4.5μs", 4500),
            ("1.5s", 1_500_000_000),
            ("1h2m", 3_720_000_000_000),
            ("-1ms", -1_000_000),
            ("+.5s", 500_000_000),
            ("2562047h47m16.854775807s", i64::MAX),
            ("1.0000000009s", 1_000_000_000),
        ] {
            assert_eq!(go_duration(s), Ok(ns), "{s}");
        }
        assert_eq!(
            go_duration("x").unwrap_err(),
            "time: invalid duration \"x\""
        );
        assert_eq!(go_duration("").unwrap_err(), "time: invalid duration \"\"");
        assert_eq!(
            go_duration(".s").unwrap_err(),
            "time: invalid duration \".s\""
        );
        assert_eq!(
            go_duration("10").unwrap_err(),
            "time: missing unit in duration \"10\""
        );
        assert_eq!(
            go_duration("10d").unwrap_err(),
            "time: unknown unit \"d\" in duration \"10d\""
        );
        assert_eq!(
            go_duration("2562048h").unwrap_err(),
            "time: invalid duration \"2562048h\""
        );
    }

    #[test]
    fn strconv_texts() {
        assert_eq!(parse_int("-12", 64), Ok(-12));
        assert_eq!(parse_int("+7", 32), Ok(7));
        assert_eq!(
            parse_int("1.5", 64).unwrap_err(),
            "strconv.ParseInt: parsing \"1.5\": invalid syntax"
        );
        assert_eq!(
            parse_int("2147483648", 32).unwrap_err(),
            "strconv.ParseInt: parsing \"2147483648\": value out of range"
        );
        assert_eq!(parse_int("-2147483648", 32), Ok(-2147483648));
        assert_eq!(
            parse_int("99999999999999999999999", 64).unwrap_err(),
            "strconv.ParseInt: parsing \"99999999999999999999999\": value out of range"
        );
        assert_eq!(
            atoi("x").unwrap_err(),
            "strconv.Atoi: parsing \"x\": invalid syntax"
        );
        assert_eq!(parse_bool("True"), Ok(true));
        assert_eq!(parse_bool("0"), Ok(false));
        assert_eq!(
            parse_bool("yes").unwrap_err(),
            "strconv.ParseBool: parsing \"yes\": invalid syntax"
        );
    }

    #[test]
    fn trace_ids_hex_and_base64() {
        assert_eq!(trace_id("11"), Ok(TraceId(0x11)));
        assert_eq!(trace_id("0000000000000011"), Ok(TraceId(0x11)));
        assert_eq!(
            trace_id("5b8efff798038103d269b633813fc60c"),
            Ok(TraceId(0x5b8efff798038103d269b633813fc60c))
        );
        // base64 of 16 bytes, padded and not, std and url alphabets
        let b = TraceId(0xfb8efff798038103d269b633813fc6ff).to_bytes();
        let std = outpost_traces::model::base64(&b);
        assert_eq!(
            trace_id(&std),
            Ok(TraceId(0xfb8efff798038103d269b633813fc6ff))
        );
        let url = std
            .trim_end_matches('=')
            .replace('+', "-")
            .replace('/', "_");
        assert_eq!(
            trace_id(&url),
            Ok(TraceId(0xfb8efff798038103d269b633813fc6ff))
        );
        assert_eq!(
            trace_id(&"a".repeat(33)).unwrap_err(),
            format!(
                "TraceID cannot be longer than 32 hex characters: {}",
                "a".repeat(33)
            )
        );
        assert_eq!(
            trace_id("xyz").unwrap_err(),
            "strconv.ParseUint: parsing \"xyz\": invalid syntax"
        );
        assert_eq!(
            trace_id("").unwrap_err(),
            "strconv.ParseUint: parsing \"\": invalid syntax"
        );
    }

    #[test]
    fn rfc3339_nano_times() {
        assert_eq!(
            rfc3339_nano("2017-01-26T00:03:31.123456789Z"),
            Ok(1_485_389_011_123_456_789)
        );
        assert_eq!(
            rfc3339_nano("2017-01-26T01:03:31+01:00"),
            Ok(1_485_389_011_000_000_000)
        );
        assert!(
            rfc3339_nano("yesterday")
                .unwrap_err()
                .starts_with("parsing time \"yesterday\"")
        );
    }
}
