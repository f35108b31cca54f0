//! The span model every protocol is translated into. It follows OTLP
//! (`opentelemetry/proto/trace/v1/trace.proto`): a span carries its own
//! attributes, events, links and status, and points at the resource and
//! instrumentation scope it was exported with (shared through `Arc`, so a
//! batch of spans from one process holds one copy). Times are Unix
//! nanoseconds as in OTLP; Jaeger's and Zipkin's microseconds are converted
//! with checked arithmetic by the translators.

use std::fmt;
use std::sync::Arc;

/// A 128-bit trace id (W3C / OTLP: 16 bytes, big-endian). Jaeger's 64-bit
/// ids are the low half with the high half zero.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TraceId(pub u128);

impl TraceId {
    /// From OTLP's 16 bytes; any other length is refused.
    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        let a: [u8; 16] = b.try_into().ok()?;
        Some(Self(u128::from_be_bytes(a)))
    }

    /// From Jaeger's halves.
    pub fn from_halves(high: u64, low: u64) -> Self {
        Self((u128::from(high) << 64) | u128::from(low))
    }

    /// The high 64 bits (0 for a 64-bit Jaeger id).
    pub fn high(self) -> u64 {
        (self.0 >> 64) as u64
    }

    /// The low 64 bits.
    pub fn low(self) -> u64 {
        self.0 as u64
    }

    /// The 16 bytes, big-endian.
    pub fn to_bytes(self) -> [u8; 16] {
        self.0.to_be_bytes()
    }

    /// Parses hex of 1 to 32 digits, leading zeros optional, as Jaeger's
    /// `TraceIDFromString` does.
    pub fn parse_hex(s: &str) -> Option<Self> {
        if s.is_empty() || s.len() > 32 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u128::from_str_radix(s, 16).ok().map(Self)
    }

    /// OTLP's form: always 32 lowercase hex digits.
    pub fn to_hex32(self) -> String {
        format!("{:032x}", self.0)
    }

    /// Jaeger v1's form: 16 digits when the high half is zero, else 32.
    pub fn to_jaeger_hex(self) -> String {
        if self.high() == 0 {
            format!("{:016x}", self.low())
        } else {
            format!("{:032x}", self.0)
        }
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceId({:032x})", self.0)
    }
}

/// A 64-bit span id (8 bytes, big-endian). Zero means "none" in OTLP.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct SpanId(pub u64);

impl SpanId {
    /// From OTLP's 8 bytes; any other length is refused.
    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        let a: [u8; 8] = b.try_into().ok()?;
        Some(Self(u64::from_be_bytes(a)))
    }

    /// The 8 bytes, big-endian.
    pub fn to_bytes(self) -> [u8; 8] {
        self.0.to_be_bytes()
    }

    /// 16 lowercase hex digits.
    pub fn to_hex(self) -> String {
        format!("{:016x}", self.0)
    }

    /// Parses 1 to 16 hex digits.
    pub fn parse_hex(s: &str) -> Option<Self> {
        if s.is_empty() || s.len() > 16 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u64::from_str_radix(s, 16).ok().map(Self)
    }
}

impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpanId({:016x})", self.0)
    }
}

/// An attribute value, as OTLP's `AnyValue`.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A string.
    Str(Arc<str>),
    /// A boolean.
    Bool(bool),
    /// A signed 64-bit integer.
    Int(i64),
    /// A double.
    Double(f64),
    /// Raw bytes.
    Bytes(Arc<[u8]>),
    /// An array of values.
    Array(Vec<Value>),
    /// A map (key order kept).
    Map(Vec<KeyValue>),
    /// An empty value.
    Empty,
}

impl Value {
    /// The string form used to compare tag values in searches (pdata's
    /// `AsString`): strings as is, booleans `true`/`false`, numbers in
    /// decimal, bytes as base64, arrays and maps as JSON.
    pub fn as_string(&self) -> String {
        match self {
            Value::Str(s) => s.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Double(d) => format!("{d}"),
            Value::Bytes(b) => base64(b),
            Value::Array(_) | Value::Map(_) => self.to_json().to_string(),
            Value::Empty => String::new(),
        }
    }

    /// The value as JSON (bytes as base64, non-finite doubles as strings).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Str(s) => J::String(s.to_string()),
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::Number((*i).into()),
            Value::Double(d) => serde_json::Number::from_f64(*d)
                .map(J::Number)
                .unwrap_or_else(|| J::String(format!("{d}"))),
            Value::Bytes(b) => J::String(base64(b)),
            Value::Array(a) => J::Array(a.iter().map(Value::to_json).collect()),
            Value::Map(m) => J::Object(
                m.iter()
                    .map(|kv| (kv.key.to_string(), kv.value.to_json()))
                    .collect(),
            ),
            Value::Empty => J::Null,
        }
    }
}

/// Standard base64 with padding.
pub fn base64(b: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(b.len().div_ceil(3) * 4);
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// One attribute. Keys are shared `Arc<str>` so the store can intern them.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyValue {
    /// The key.
    pub key: Arc<str>,
    /// The value.
    pub value: Value,
}

/// The span kind (OTLP `SpanKind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum SpanKind {
    /// 0: not set.
    #[default]
    Unspecified,
    /// 1
    Internal,
    /// 2
    Server,
    /// 3
    Client,
    /// 4
    Producer,
    /// 5
    Consumer,
}

impl SpanKind {
    /// From OTLP's enum number (unknown numbers are unspecified).
    pub fn from_otlp(n: i32) -> Self {
        match n {
            1 => Self::Internal,
            2 => Self::Server,
            3 => Self::Client,
            4 => Self::Producer,
            5 => Self::Consumer,
            _ => Self::Unspecified,
        }
    }

    /// OTLP's enum number.
    pub fn to_otlp(self) -> i32 {
        match self {
            Self::Unspecified => 0,
            Self::Internal => 1,
            Self::Server => 2,
            Self::Client => 3,
            Self::Producer => 4,
            Self::Consumer => 5,
        }
    }

    /// Jaeger's `span.kind` tag value; `None` for unspecified.
    pub fn jaeger_name(self) -> Option<&'static str> {
        match self {
            Self::Unspecified => None,
            Self::Internal => Some("internal"),
            Self::Server => Some("server"),
            Self::Client => Some("client"),
            Self::Producer => Some("producer"),
            Self::Consumer => Some("consumer"),
        }
    }

    /// From Jaeger's `span.kind` tag value (case-insensitive).
    pub fn from_jaeger_name(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "internal" => Self::Internal,
            "server" => Self::Server,
            "client" => Self::Client,
            "producer" => Self::Producer,
            "consumer" => Self::Consumer,
            "unspecified" | "" => Self::Unspecified,
            _ => return None,
        })
    }

    /// The spanmetrics connector's label value (`SPAN_KIND_SERVER`, ...).
    pub fn otel_name(self) -> &'static str {
        match self {
            Self::Unspecified => "SPAN_KIND_UNSPECIFIED",
            Self::Internal => "SPAN_KIND_INTERNAL",
            Self::Server => "SPAN_KIND_SERVER",
            Self::Client => "SPAN_KIND_CLIENT",
            Self::Producer => "SPAN_KIND_PRODUCER",
            Self::Consumer => "SPAN_KIND_CONSUMER",
        }
    }
}

/// The status code (OTLP `Status.StatusCode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum StatusCode {
    /// 0
    #[default]
    Unset,
    /// 1
    Ok,
    /// 2
    Error,
}

impl StatusCode {
    /// From OTLP's enum number (unknown numbers are unset).
    pub fn from_otlp(n: i32) -> Self {
        match n {
            1 => Self::Ok,
            2 => Self::Error,
            _ => Self::Unset,
        }
    }

    /// OTLP's enum number.
    pub fn to_otlp(self) -> i32 {
        match self {
            Self::Unset => 0,
            Self::Ok => 1,
            Self::Error => 2,
        }
    }

    /// The spanmetrics connector's label value (`STATUS_CODE_ERROR`, ...).
    pub fn otel_name(self) -> &'static str {
        match self {
            Self::Unset => "STATUS_CODE_UNSET",
            Self::Ok => "STATUS_CODE_OK",
            Self::Error => "STATUS_CODE_ERROR",
        }
    }
}

/// A span's status.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Status {
    /// The code.
    pub code: StatusCode,
    /// The description (empty when none).
    pub message: Box<str>,
}

/// The process a span came from (OTLP `Resource`).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Resource {
    /// `service.name` (also kept in `attributes`); empty when the resource
    /// has attributes but none is `service.name`, and
    /// `OTLPResourceNoServiceName` when it has no attributes at all, as
    /// Jaeger's translator names it.
    pub service: Arc<str>,
    /// All resource attributes, `service.name` included.
    pub attributes: Vec<KeyValue>,
    /// Attributes the sender dropped.
    pub dropped_attributes_count: u32,
    /// The schema URL of the `ResourceSpans`.
    pub schema_url: Box<str>,
}

/// The instrumentation scope (OTLP `InstrumentationScope`).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Scope {
    /// Name (empty when none).
    pub name: Box<str>,
    /// Version (empty when none).
    pub version: Box<str>,
    /// Scope attributes.
    pub attributes: Vec<KeyValue>,
    /// Attributes the sender dropped.
    pub dropped_attributes_count: u32,
    /// The schema URL of the `ScopeSpans`.
    pub schema_url: Box<str>,
}

/// A span event (Jaeger: a log).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Event {
    /// Unix nanoseconds.
    pub time_ns: u64,
    /// The name (Jaeger: the `event` field).
    pub name: Box<str>,
    /// Attributes.
    pub attributes: Vec<KeyValue>,
    /// Attributes the sender dropped.
    pub dropped_attributes_count: u32,
}

/// A link to another span (Jaeger: a reference other than the parent).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Link {
    /// The linked trace.
    pub trace_id: TraceId,
    /// The linked span.
    pub span_id: SpanId,
    /// W3C trace state.
    pub trace_state: Box<str>,
    /// Attributes (`opentracing.ref_type` carries Jaeger's reference type).
    pub attributes: Vec<KeyValue>,
    /// Attributes the sender dropped.
    pub dropped_attributes_count: u32,
    /// W3C flags.
    pub flags: u32,
}

/// One span.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    /// The trace it belongs to.
    pub trace_id: TraceId,
    /// Its id.
    pub span_id: SpanId,
    /// The parent (zero: a root span).
    pub parent_span_id: SpanId,
    /// W3C trace state (empty when none).
    pub trace_state: Box<str>,
    /// OTLP flags (low byte: W3C trace flags).
    pub flags: u32,
    /// The operation name, shared with other spans of the same name.
    pub name: Arc<str>,
    /// The kind.
    pub kind: SpanKind,
    /// Start, Unix nanoseconds.
    pub start_ns: u64,
    /// End, Unix nanoseconds (never before the start: translators clamp).
    pub end_ns: u64,
    /// Span attributes.
    pub attributes: Vec<KeyValue>,
    /// Events.
    pub events: Vec<Event>,
    /// Links.
    pub links: Vec<Link>,
    /// Status.
    pub status: Status,
    /// Counts the sender dropped: attributes, events, links.
    pub dropped: [u32; 3],
    /// The process that exported it.
    pub resource: Arc<Resource>,
    /// The instrumentation scope.
    pub scope: Arc<Scope>,
}

impl Span {
    /// The duration in nanoseconds.
    pub fn duration_ns(&self) -> u64 {
        self.end_ns.saturating_sub(self.start_ns)
    }

    /// The service name (from the resource).
    pub fn service(&self) -> &str {
        &self.resource.service
    }
}

/// A trace as read from the store: its spans in arrival order.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// The id.
    pub trace_id: TraceId,
    /// The spans (shared with the store; cheap to clone).
    pub spans: Vec<Arc<Span>>,
}

/// The service name Jaeger's translator gives a resource without attributes.
pub const NO_SERVICE_NAME: &str = "OTLPResourceNoServiceName";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_ids_print_as_jaeger_and_otlp_do() {
        let short = TraceId::from_halves(0, 0x11);
        assert_eq!(short.to_jaeger_hex(), "0000000000000011");
        assert_eq!(short.to_hex32(), "00000000000000000000000000000011");
        let long = TraceId::parse_hex("5b8efff798038103d269b633813fc60c").unwrap();
        assert_eq!(long.to_jaeger_hex(), "5b8efff798038103d269b633813fc60c");
        assert_eq!(long.high(), 0x5b8efff798038103);
        assert_eq!(TraceId::parse_hex("11"), Some(short));
        assert_eq!(TraceId::parse_hex(&"1".repeat(33)), None);
        assert_eq!(TraceId::parse_hex("xyz"), None);
        assert_eq!(TraceId::from_bytes(&[0; 15]), None);
        assert_eq!(TraceId::from_bytes(&long.to_bytes()), Some(long));
    }

    #[test]
    fn values_compare_as_strings() {
        assert_eq!(Value::Int(123).as_string(), "123");
        assert_eq!(Value::Double(72.5).as_string(), "72.5");
        assert_eq!(Value::Bool(true).as_string(), "true");
        assert_eq!(Value::Bytes(Arc::from(&b"hi!"[..])).as_string(), "aGkh");
        assert_eq!(base64(b"h"), "aA==");
    }

    #[test]
    fn span_ids_round_trip() {
        let id = SpanId::parse_hex("eee19b7ec3c1b174").unwrap();
        assert_eq!(id.to_hex(), "eee19b7ec3c1b174");
        assert_eq!(SpanId::from_bytes(&id.to_bytes()), Some(id));
        assert_eq!(SpanId::from_bytes(&[1, 2, 3]), None);
    }
}
