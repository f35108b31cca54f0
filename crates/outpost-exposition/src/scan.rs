//! Byte-level scanning shared by both formats: character classes, a
//! word-at-a-time byte search, quoted strings and escape resolution.

/// `[a-zA-Z_:]`: first byte of a metric name.
pub(crate) const NAME_START: u8 = 1;
/// `[a-zA-Z0-9_:]`: later bytes of a metric name.
pub(crate) const NAME_CONT: u8 = 2;
/// `[a-zA-Z_]`: first byte of a label name.
pub(crate) const LABEL_START: u8 = 4;
/// `[a-zA-Z0-9_]`: later bytes of a label name.
pub(crate) const LABEL_CONT: u8 = 8;
/// `"`, `\` and newline: the bytes that stop a quoted-string scan.
const QUOTE_STOP: u8 = 16;
/// Space, tab, newline and `{`: the bytes that end a text-format value.
const TEXT_VALUE_STOP: u8 = 32;
/// Space and newline: the bytes that end an OpenMetrics value or timestamp.
const OM_TOKEN_STOP: u8 = 64;

static CLASSES: [u8; 256] = build_classes();

const fn build_classes() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        let alpha = c.is_ascii_alphabetic() || c == b'_';
        let mut f = 0;
        if alpha || c == b':' {
            f |= NAME_START | NAME_CONT;
        }
        if alpha {
            f |= LABEL_START | LABEL_CONT;
        }
        if c.is_ascii_digit() {
            f |= NAME_CONT | LABEL_CONT;
        }
        if c == b'"' || c == b'\\' || c == b'\n' {
            f |= QUOTE_STOP;
        }
        if c == b' ' || c == b'\t' || c == b'\n' || c == b'{' {
            f |= TEXT_VALUE_STOP;
        }
        if c == b' ' || c == b'\n' {
            f |= OM_TOKEN_STOP;
        }
        t[i] = f;
        i += 1;
    }
    t
}

/// Whether `c` belongs to any of the classes in `class`.
#[inline(always)]
pub(crate) fn is(c: u8, class: u8) -> bool {
    CLASSES[c as usize] & class != 0
}

/// Index of the first byte at or after `i` that is not in `class`.
#[inline(always)]
pub(crate) fn scan_class(b: &[u8], mut i: usize, class: u8) -> usize {
    while i < b.len() && is(b[i], class) {
        i += 1;
    }
    i
}

/// Index of the first byte at or after `i` that is in `class`, or `b.len()`.
#[inline(always)]
fn scan_until(b: &[u8], mut i: usize, class: u8) -> usize {
    while i < b.len() && !is(b[i], class) {
        i += 1;
    }
    i
}

/// End of a text-format value token (`[^{ \t\n]*`) starting at `i`.
#[inline]
pub(crate) fn text_value_end(b: &[u8], i: usize) -> usize {
    scan_until(b, i, TEXT_VALUE_STOP)
}

/// End of an OpenMetrics value or timestamp token (`[^ \n]*`) starting at `i`.
#[inline]
pub(crate) fn om_token_end(b: &[u8], i: usize) -> usize {
    scan_until(b, i, OM_TOKEN_STOP)
}

/// Index of the first byte at or after `i` that is neither space nor tab.
#[inline(always)]
pub(crate) fn skip_blanks(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
        i += 1;
    }
    i
}

/// Position of the first `needle` in `hay`, eight bytes at a time.
pub(crate) fn find_byte(needle: u8, hay: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pattern = LO.wrapping_mul(u64::from(needle));
    let mut chunks = hay.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word) ^ pattern;
        // Bytes equal to `needle` are now zero; the lowest flagged byte is
        // the first real match (borrows only flag bytes above a zero byte).
        let found = x.wrapping_sub(LO) & !x & HI;
        if found != 0 {
            return Some(base + (found.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&c| c == needle)
        .map(|p| base + p)
}

/// End of the line containing `i`: the index of its `\n`, or `b.len()`.
#[inline]
pub(crate) fn line_end(b: &[u8], i: usize) -> usize {
    match b.get(i..) {
        Some(rest) => find_byte(b'\n', rest).map_or(b.len(), |p| i + p),
        None => b.len(),
    }
}

/// How a quoted string failed to close.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Unterminated {
    /// Index of the newline, or `b.len()`, that ended the scan.
    pub(crate) at: usize,
}

/// Scans the body of a quoted string whose opening `"` is at `open`.
///
/// Returns the index of the closing `"` and whether the body contains a
/// backslash. A backslash escapes any following byte except a newline; a raw
/// newline or the end of input before the closing quote is an error.
#[inline]
pub(crate) fn scan_quoted(b: &[u8], open: usize) -> Result<(usize, bool), Unterminated> {
    let mut i = open + 1;
    let mut escaped = false;
    loop {
        while i < b.len() && !is(b[i], QUOTE_STOP) {
            i += 1;
        }
        match b.get(i) {
            Some(b'"') => return Ok((i, escaped)),
            Some(b'\\') => match b.get(i + 1) {
                None | Some(b'\n') => return Err(Unterminated { at: i + 1 }),
                Some(_) => {
                    escaped = true;
                    i += 2;
                }
            },
            _ => return Err(Unterminated { at: i }),
        }
    }
}

/// Resolves `\\`, `\n` and (if `quote` is set) `\"` in `raw`; any other
/// backslash is kept as is, like Go's `strings.Replacer` in Prometheus.
pub(crate) fn unescape(raw: &str, quote: bool) -> String {
    let mut out = String::with_capacity(raw.len());
    let bytes = raw.as_bytes();
    let mut last = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            let replacement = match bytes.get(i + 1) {
                Some(b'\\') => Some('\\'),
                Some(b'n') => Some('\n'),
                Some(b'"') if quote => Some('"'),
                _ => None,
            };
            if let Some(r) = replacement {
                out.push_str(raw.get(last..i).unwrap_or_default());
                out.push(r);
                i += 2;
                last = i;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(raw.get(last..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_byte_matches_naive_search() {
        let hay: Vec<u8> = (0..200u32).map(|i| (i * 7 % 251) as u8).collect();
        for needle in [0u8, 1, 7, 14, 250, 255, b'\n'] {
            for start in 0..hay.len() {
                let want = hay[start..].iter().position(|&c| c == needle);
                assert_eq!(find_byte(needle, &hay[start..]), want, "{needle} {start}");
            }
        }
        assert_eq!(find_byte(b'\n', b""), None);
        assert_eq!(find_byte(0x80, &[0x00, 0x7f, 0x81, 0x80]), Some(3));
        assert_eq!(
            find_byte(0x01, &[0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01]),
            Some(6)
        );
    }

    #[test]
    fn classes() {
        assert!(is(b':', NAME_START) && !is(b':', LABEL_START));
        assert!(is(b'9', NAME_CONT) && !is(b'9', NAME_START));
        assert!(is(b'_', LABEL_START));
        assert!(!is(0xC3, NAME_CONT));
        assert_eq!(scan_class(b"abc_1:x{", 0, NAME_CONT), 7);
        assert_eq!(scan_class(b"abc_1:x{", 0, LABEL_CONT), 5);
        assert_eq!(text_value_end(b"1.5e3 123", 0), 5);
        assert_eq!(text_value_end(b"1{", 0), 1);
        assert_eq!(om_token_end(b"1\t2 3", 0), 3);
        assert_eq!(skip_blanks(b" \t x", 0), 3);
        assert_eq!(line_end(b"ab\ncd", 0), 2);
        assert_eq!(line_end(b"ab\ncd", 3), 5);
        assert_eq!(line_end(b"ab", 9), 2);
    }

    #[test]
    fn quoted_strings() {
        assert_eq!(scan_quoted(br#""abc" x"#, 0), Ok((4, false)));
        assert_eq!(scan_quoted(br#""a\"b""#, 0), Ok((5, true)));
        assert_eq!(scan_quoted(br#""a\\""#, 0), Ok((4, true)));
        assert_eq!(scan_quoted(b"\"ab\ncd\"", 0), Err(Unterminated { at: 3 }));
        assert_eq!(scan_quoted(b"\"ab\\\ncd\"", 0), Err(Unterminated { at: 4 }));
        assert_eq!(scan_quoted(b"\"ab", 0), Err(Unterminated { at: 3 }));
        assert_eq!(scan_quoted(b"\"ab\\", 0), Err(Unterminated { at: 4 }));
    }

    #[test]
    fn unescaping() {
        let cases = [
            (r#"plain"#, true, "plain"),
            (r#"a\"b"#, true, "a\"b"),
            (r#"a\"b"#, false, "a\\\"b"),
            (r#"c:\\dir"#, true, "c:\\dir"),
            (r#"two\nlines"#, true, "two\nlines"),
            (r#"\\n"#, true, "\\n"),
            (r#"tab\there"#, true, "tab\\there"),
            (r#"end\"#, true, "end\\"),
            (r#"ünï\ncödé"#, true, "ünï\ncödé"),
        ];
        for (raw, quote, want) in cases {
            assert_eq!(unescape(raw, quote), want, "{raw:?}");
        }
    }
}
