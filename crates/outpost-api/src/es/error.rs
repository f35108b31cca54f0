//! The family's one error type and its wire forms: ES error objects
//! (`{"error":{"root_cause":[…],"type","reason",…},"status"}`) from the
//! store's [`outpost_logs::Error`] and from the REST layer, the string form
//! (`{"error":"…","status"}`) ES uses for 400 unknown handler, 405 and 406,
//! and the empty 413.

use serde_json::{Map, Value, json};

/// A failed request, in one of Elasticsearch's error shapes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum EsError {
    /// An error object (`error.type`, `error.reason`, …) with its status.
    Object {
        /// HTTP status.
        status: u16,
        /// The `error` member.
        error: Value,
    },
    /// `{"error":"<text>","status":N}`.
    Text {
        /// HTTP status.
        status: u16,
        /// The `error` string.
        text: String,
    },
    /// A status with an empty body (413 from the HTTP layer).
    Empty(u16),
}

impl EsError {
    /// An error object of `type` and `reason`, with `root_cause` a copy of itself.
    pub(crate) fn new(status: u16, es_type: &str, reason: impl Into<String>) -> Self {
        EsError::Object {
            status,
            error: error_object(es_type, &reason.into(), Map::new()),
        }
    }

    /// A 400 `parse_exception` "request body is required".
    pub(crate) fn body_required() -> Self {
        EsError::new(400, "parse_exception", "request body is required")
    }

    /// A 400 `illegal_argument_exception`.
    pub(crate) fn illegal(reason: impl Into<String>) -> Self {
        EsError::new(400, "illegal_argument_exception", reason)
    }

    /// The HTTP status.
    pub(crate) fn status(&self) -> u16 {
        match self {
            EsError::Object { status, .. } | EsError::Text { status, .. } => *status,
            EsError::Empty(s) => *s,
        }
    }

    /// The response body (`None` for the empty 413).
    pub(crate) fn body(&self) -> Option<Value> {
        match self {
            EsError::Object { status, error } => Some(json!({"error": error, "status": status})),
            EsError::Text { status, text } => Some(json!({"error": text, "status": status})),
            EsError::Empty(_) => None,
        }
    }

    /// The `{"error":…,"status":…}` entry of an `_msearch` response.
    pub(crate) fn msearch_item(&self) -> Value {
        self.body()
            .unwrap_or_else(|| json!({"error": "", "status": self.status()}))
    }
}

/// `{"root_cause":[{type, reason, …extra}], "type", "reason", …extra}`.
pub(crate) fn error_object(es_type: &str, reason: &str, extra: Map<String, Value>) -> Value {
    let mut cause = Map::new();
    cause.insert("type".into(), es_type.into());
    cause.insert("reason".into(), reason.into());
    cause.extend(extra);
    let mut top = cause.clone();
    top.insert(
        "root_cause".into(),
        Value::Array(vec![Value::Object(cause)]),
    );
    Value::Object(top)
}

impl From<outpost_logs::Error> for EsError {
    fn from(e: outpost_logs::Error) -> Self {
        EsError::Object {
            status: e.status(),
            error: e.to_es_json(),
        }
    }
}

/// A JSON request body that does not parse: ES's `x_content_parse_exception`
/// with the `[line:col]` position.
pub(crate) fn bad_json(e: &serde_json::Error) -> EsError {
    let msg = e.to_string();
    let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
    EsError::new(
        400,
        "x_content_parse_exception",
        format!("[{}:{}] {msg}", e.line(), e.column()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_keep_their_type_status_and_index_keys() {
        let e: EsError = outpost_logs::Error::IndexNotFound("x".into()).into();
        assert_eq!(e.status(), 404);
        let b = e.body().unwrap();
        assert_eq!(b["status"], 404);
        assert_eq!(b["error"]["type"], "index_not_found_exception");
        assert_eq!(b["error"]["root_cause"][0]["resource.id"], "x");
        assert_eq!(b["error"]["index"], "x");
    }

    #[test]
    fn text_errors_and_empty_413() {
        let e = EsError::Text {
            status: 405,
            text: "Incorrect HTTP method".into(),
        };
        assert_eq!(
            e.body().unwrap(),
            json!({"error": "Incorrect HTTP method", "status": 405})
        );
        assert_eq!(EsError::Empty(413).body(), None);
        assert_eq!(EsError::Empty(413).msearch_item()["status"], 413);
    }

    #[test]
    fn bad_json_has_the_position() {
        let e = serde_json::from_str::<Value>("{\"a\":").unwrap_err();
        let b = bad_json(&e).body().unwrap();
        assert_eq!(b["error"]["type"], "x_content_parse_exception");
        assert!(
            b["error"]["reason"].as_str().unwrap().starts_with("[1:5] "),
            "{b}"
        );
    }
}
