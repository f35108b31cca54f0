//! `application/x-www-form-urlencoded` decoding for query strings and form
//! bodies, shared by the API families; repeated keys are kept in order.

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes a form component (`+` is a space).
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Appends the decoded `key=value` pairs of `s` to `out`.
pub(crate) fn parse_into(out: &mut Vec<(String, String)>, s: &str) {
    for part in s.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        out.push((decode(k), decode(v)));
    }
}

/// Query parameters in order, repeated keys kept.
pub(crate) fn query_pairs(q: Option<&str>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    parse_into(&mut out, q.unwrap_or(""));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_plus_percent_and_repeats() {
        assert_eq!(
            query_pairs(Some(
                "match[]=up%7Bjob%3D%22a%22%7D&match[]=x+y&bad=%zz&flag"
            )),
            vec![
                ("match[]".to_string(), "up{job=\"a\"}".to_string()),
                ("match[]".to_string(), "x y".to_string()),
                ("bad".to_string(), "%zz".to_string()),
                ("flag".to_string(), String::new()),
            ]
        );
    }
}
