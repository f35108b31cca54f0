//! Request parameters of the Prometheus API: the query string plus, for POST,
//! an `application/x-www-form-urlencoded` body; repeated keys (`match[]`) kept.

use axum::body::Bytes;
use axum::http::HeaderMap;
use outpost_tsdb::Matcher;

use crate::envelope::ApiError;

/// Decoded parameters in order; also an extractor, so handlers take
/// `p: Params` as their last argument.
#[derive(Debug, Default)]
pub(crate) struct Params(Vec<(String, String)>);

/// Largest form body read, as Go's `Request.ParseForm` (10 MB) limits it.
const MAX_FORM_BYTES: usize = 10 << 20;

impl<S: Send + Sync> axum::extract::FromRequest<S> for Params {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, _: &S) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        let body = axum::body::to_bytes(body, MAX_FORM_BYTES)
            .await
            .map_err(|_| ApiError::bad_data("http: POST too large"))?;
        Ok(Params::new(parts.uri.query(), &parts.headers, &body))
    }
}

use crate::form::parse_into;

impl Params {
    /// From the raw query and, when form-encoded, the body.
    pub(crate) fn new(query: Option<&str>, headers: &HeaderMap, body: &Bytes) -> Self {
        let mut v = Vec::new();
        if let Some(q) = query {
            parse_into(&mut v, q);
        }
        let form = headers
            .get("content-type")
            .and_then(|c| c.to_str().ok())
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
        if form && let Ok(s) = std::str::from_utf8(body) {
            parse_into(&mut v, s);
        }
        Params(v)
    }

    /// The first value of a key.
    pub(crate) fn get(&self, k: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a key.
    pub(crate) fn all(&self, k: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A time parameter (RFC 3339 or Unix seconds) in ms, or `default`.
    pub(crate) fn time(&self, k: &str, default: i64) -> Result<i64, ApiError> {
        match self.get(k) {
            None | Some("") => Ok(default),
            Some(s) => parse_time(s).map_err(|_| {
                ApiError::bad_data(format!(
                    "invalid parameter \"{k}\": cannot parse \"{s}\" to a valid timestamp"
                ))
            }),
        }
    }

    /// The `limit` parameter (0 = none).
    pub(crate) fn limit(&self) -> Result<usize, ApiError> {
        match self.get("limit") {
            None | Some("") => Ok(0),
            Some(s) => s.parse::<usize>().map_err(|_| {
                ApiError::bad_data(format!(
                    "invalid parameter \"limit\": cannot parse \"{s}\" to a valid limit"
                ))
            }),
        }
    }

    /// The `match[]` selectors as matcher sets (one set per selector and `or` branch).
    pub(crate) fn selectors(&self) -> Result<Vec<Vec<Matcher>>, ApiError> {
        let mut out = Vec::new();
        for s in self.all("match[]") {
            out.extend(
                parse_selector(s).map_err(|e| {
                    ApiError::bad_data(format!("invalid parameter \"match[]\": {e}"))
                })?,
            );
        }
        Ok(out)
    }
}

pub(crate) use outpost_clock::text::parse_time;

/// A series selector (`up{job="a"}`) to matcher sets.
pub(crate) fn parse_selector(s: &str) -> Result<Vec<Vec<Matcher>>, String> {
    outpost_promql::parse_selector(s).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding_and_repeated_keys() {
        let p = Params::new(
            Some("match%5B%5D=up%7Bjob%3D%22a%22%7D&match[]=b&start=1.5&x=a+b"),
            &HeaderMap::new(),
            &Bytes::new(),
        );
        assert_eq!(p.all("match[]"), vec!["up{job=\"a\"}", "b"]);
        assert_eq!(p.get("x"), Some("a b"));
        assert_eq!(p.time("start", 0).unwrap(), 1500);
        assert_eq!(p.time("end", 7).unwrap(), 7);
        assert!(p.time("x", 0).is_err());
        assert_eq!(
            crate::form::query_pairs(Some("a=%zz%4")),
            vec![("a".to_string(), "%zz%4".to_string())]
        );
    }

    #[test]
    fn time_overflow_is_bad_data() {
        // 1e300 seconds used to saturate to i64::MAX ms instead of failing.
        for v in ["1e300", "-1e300", "9223372036854775807", "NaN", "Inf"] {
            let q = format!("start={v}");
            let p = Params::new(Some(&q), &HeaderMap::new(), &Bytes::new());
            assert!(p.time("start", 0).is_err(), "{v}");
        }
    }

    #[test]
    fn selectors() {
        let sets = parse_selector("up{job=~\"a|b\"}").unwrap();
        assert_eq!(sets[0].len(), 2);
        assert!(parse_selector("sum(up)").is_err());
        assert!(
            parse_selector("{job=\"\"}").is_err(),
            "needs a non-empty matcher"
        );
    }
}
