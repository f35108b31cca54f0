//! The term encoding of the `kv` field, which holds every exact value of a document: a term is
//! `path \0 tag value`, with values in byte-sortable form so range queries run over the term
//! dictionary. Tags: `k` keyword, `l` long, `d` double, `t` date (epoch ms), `b` boolean,
//! `e` the path exists (no value).

/// Tag of keyword values.
pub(crate) const KEYWORD: u8 = b'k';
/// Tag of longs.
pub(crate) const LONG: u8 = b'l';
/// Tag of doubles.
pub(crate) const DOUBLE: u8 = b'd';
/// Tag of dates (epoch ms, as a sortable long).
pub(crate) const DATE: u8 = b't';
/// Tag of booleans.
pub(crate) const BOOLEAN: u8 = b'b';
/// Tag of the per-path presence marker.
pub(crate) const EXISTS: u8 = b'e';

/// Replaces `out` with the term prefix of a path and tag (the `*_into` forms fill a reused
/// buffer with the same bytes as the allocating forms below).
pub(crate) fn prefix_into(out: &mut Vec<u8>, path: &str, tag: u8) {
    out.clear();
    out.extend_from_slice(path.as_bytes());
    out.push(0);
    out.push(tag);
}

/// A keyword term into `out`, for the path `path` followed by `suffix` (`.keyword` twins).
pub(crate) fn keyword_into(out: &mut Vec<u8>, path: &str, suffix: &str, value: &str) {
    out.clear();
    out.extend_from_slice(path.as_bytes());
    out.extend_from_slice(suffix.as_bytes());
    out.push(0);
    out.push(KEYWORD);
    out.extend_from_slice(value.as_bytes());
}

/// [`long`] into a buffer.
pub(crate) fn long_into(out: &mut Vec<u8>, path: &str, tag: u8, value: i64) {
    prefix_into(out, path, tag);
    out.extend_from_slice(&((value as u64) ^ (1 << 63)).to_be_bytes());
}

/// [`double`] into a buffer.
pub(crate) fn double_into(out: &mut Vec<u8>, path: &str, value: f64) {
    let bits = value.to_bits();
    let sortable = if bits >> 63 == 1 {
        !bits
    } else {
        bits ^ (1 << 63)
    };
    prefix_into(out, path, DOUBLE);
    out.extend_from_slice(&sortable.to_be_bytes());
}

/// [`boolean`] into a buffer.
pub(crate) fn boolean_into(out: &mut Vec<u8>, path: &str, value: bool) {
    prefix_into(out, path, BOOLEAN);
    out.push(u8::from(value));
}

/// The term prefix of a path and tag.
pub(crate) fn prefix(path: &str, tag: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(path.len() + 2);
    out.extend_from_slice(path.as_bytes());
    out.push(0);
    out.push(tag);
    out
}

/// A keyword term.
pub(crate) fn keyword(path: &str, value: &str) -> Vec<u8> {
    let mut out = prefix(path, KEYWORD);
    out.extend_from_slice(value.as_bytes());
    out
}

/// A long (or date, with [`DATE`]) term in sortable form.
pub(crate) fn long(path: &str, tag: u8, value: i64) -> Vec<u8> {
    let mut out = prefix(path, tag);
    out.extend_from_slice(&((value as u64) ^ (1 << 63)).to_be_bytes());
    out
}

/// A double term in sortable form.
pub(crate) fn double(path: &str, value: f64) -> Vec<u8> {
    let bits = value.to_bits();
    let sortable = if bits >> 63 == 1 {
        !bits
    } else {
        bits ^ (1 << 63)
    };
    let mut out = prefix(path, DOUBLE);
    out.extend_from_slice(&sortable.to_be_bytes());
    out
}

/// A boolean term.
pub(crate) fn boolean(path: &str, value: bool) -> Vec<u8> {
    let mut out = prefix(path, BOOLEAN);
    out.push(u8::from(value));
    out
}

/// Decodes the value bytes of a long or date term (after the prefix).
pub(crate) fn decode_long(v: &[u8]) -> Option<i64> {
    let b: [u8; 8] = v.get(..8)?.try_into().ok()?;
    Some((u64::from_be_bytes(b) ^ (1 << 63)) as i64)
}

/// Decodes the value bytes of a double term (after the prefix).
pub(crate) fn decode_double(v: &[u8]) -> Option<f64> {
    let b: [u8; 8] = v.get(..8)?.try_into().ok()?;
    let sortable = u64::from_be_bytes(b);
    let bits = if sortable >> 63 == 1 {
        sortable ^ (1 << 63)
    } else {
        !sortable
    };
    Some(f64::from_bits(bits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_forms_write_the_same_terms() {
        let mut buf = b"junk".to_vec();
        keyword_into(&mut buf, "a", ".keyword", "v");
        assert_eq!(buf, keyword("a.keyword", "v"));
        long_into(&mut buf, "n", DATE, -3);
        assert_eq!(buf, long("n", DATE, -3));
        double_into(&mut buf, "f", -2.5);
        assert_eq!(buf, double("f", -2.5));
        boolean_into(&mut buf, "b", true);
        assert_eq!(buf, boolean("b", true));
        prefix_into(&mut buf, "p", EXISTS);
        assert_eq!(buf, prefix("p", EXISTS));
    }

    #[test]
    fn numbers_sort_as_bytes() {
        let longs = [i64::MIN, -5, -1, 0, 1, 42, i64::MAX];
        for w in longs.windows(2) {
            assert!(long("n", LONG, w[0]) < long("n", LONG, w[1]));
        }
        let doubles = [
            f64::NEG_INFINITY,
            -2.5,
            -0.0,
            0.0,
            1e-9,
            3.25,
            f64::INFINITY,
        ];
        for w in doubles.windows(2) {
            assert!(double("f", w[0]) <= double("f", w[1]), "{} {}", w[0], w[1]);
        }
        assert!(keyword("a", "x") < keyword("a.b", "x"));
        for x in longs {
            assert_eq!(decode_long(&long("n", LONG, x)[3..]), Some(x));
        }
        for x in doubles {
            assert_eq!(decode_double(&double("f", x)[3..]), Some(x));
        }
    }
}
