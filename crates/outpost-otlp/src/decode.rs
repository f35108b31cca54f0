//! OTLP/HTTP request bodies: content-type and content-encoding dispatch,
//! gzip decompression capped at a size limit (stopping as soon as the limit
//! is passed), and protobuf or OTLP/JSON decoding of any of the three
//! `Export*ServiceRequest` messages.
//!
//! OTLP/JSON is the proto3 JSON mapping with the specification's
//! exceptions: lowerCamelCase field names, trace and span ids as hex, 64-bit
//! integers as strings or numbers, enums as integers or as their names
//! (`"SPAN_KIND_SERVER"`), unknown fields ignored.

use std::io::Read;

use prost::Message;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::proto::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use crate::proto::collector::metrics::v1::{
    ExportMetricsPartialSuccess, ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use crate::proto::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use crate::proto::logs::v1::SeverityNumber;
use crate::proto::metrics::v1::AggregationTemporality;
use crate::proto::trace::v1::span::SpanKind;
use crate::proto::trace::v1::status::StatusCode;

/// Largest OTLP/HTTP body accepted, after decompression: the OpenTelemetry
/// Collector's default `max_request_body_size` (20 MiB), which it applies
/// to the decompressed body.
pub const MAX_DECOMPRESSED_BYTES: usize = 20 << 20;

/// The three OTLP signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// `ExportMetricsServiceRequest`, `POST /v1/metrics`.
    Metrics,
    /// `ExportTraceServiceRequest`, `POST /v1/traces`.
    Traces,
    /// `ExportLogsServiceRequest`, `POST /v1/logs`.
    Logs,
}

impl Signal {
    /// Lowercase name, as in the OTLP/HTTP path.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Metrics => "metrics",
            Self::Traces => "traces",
            Self::Logs => "logs",
        }
    }
}

/// An `Export*ServiceRequest` and its response type.
pub trait ExportRequest: Message + Default + DeserializeOwned {
    /// The matching `Export*ServiceResponse`.
    type Response: Message + Serialize + Default;
    /// Which signal this request carries.
    const SIGNAL: Signal;

    /// The Export response: `partial_success` is set when something was
    /// rejected (`rejected_data_points`, `rejected_spans` or
    /// `rejected_log_records`) or there is a message, as the OTLP
    /// specification asks; otherwise the response is empty.
    fn response(rejected: u64, error_message: Option<&str>) -> Self::Response;
}

fn partial(rejected: u64, error_message: Option<&str>) -> Option<(i64, String)> {
    (rejected > 0 || error_message.is_some()).then(|| {
        (
            i64::try_from(rejected).unwrap_or(i64::MAX),
            error_message.unwrap_or_default().to_string(),
        )
    })
}

impl ExportRequest for ExportMetricsServiceRequest {
    type Response = ExportMetricsServiceResponse;
    const SIGNAL: Signal = Signal::Metrics;

    fn response(rejected: u64, error_message: Option<&str>) -> Self::Response {
        ExportMetricsServiceResponse {
            partial_success: partial(rejected, error_message).map(|(n, error_message)| {
                ExportMetricsPartialSuccess {
                    rejected_data_points: n,
                    error_message,
                }
            }),
        }
    }
}

impl ExportRequest for ExportTraceServiceRequest {
    type Response = ExportTraceServiceResponse;
    const SIGNAL: Signal = Signal::Traces;

    fn response(rejected: u64, error_message: Option<&str>) -> Self::Response {
        ExportTraceServiceResponse {
            partial_success: partial(rejected, error_message).map(|(n, error_message)| {
                ExportTracePartialSuccess {
                    rejected_spans: n,
                    error_message,
                }
            }),
        }
    }
}

impl ExportRequest for ExportLogsServiceRequest {
    type Response = ExportLogsServiceResponse;
    const SIGNAL: Signal = Signal::Logs;

    fn response(rejected: u64, error_message: Option<&str>) -> Self::Response {
        ExportLogsServiceResponse {
            partial_success: partial(rejected, error_message).map(|(n, error_message)| {
                ExportLogsPartialSuccess {
                    rejected_log_records: n,
                    error_message,
                }
            }),
        }
    }
}

/// Wire encoding of an OTLP/HTTP body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Binary protobuf (`application/x-protobuf`); also gRPC's payload.
    Protobuf,
    /// OTLP/JSON (`application/json`).
    Json,
}

impl Encoding {
    /// The encoding of a `Content-Type` header value: `application/x-protobuf`
    /// or `application/json`, compared without parameters and case
    /// (Prometheus requires the exact media type and answers 415 otherwise).
    pub fn from_content_type(content_type: &str) -> Option<Self> {
        let media = content_type.split(';').next().unwrap_or("").trim();
        if media.eq_ignore_ascii_case("application/x-protobuf") {
            Some(Self::Protobuf)
        } else if media.eq_ignore_ascii_case("application/json") {
            Some(Self::Json)
        } else {
            None
        }
    }

    /// Like [`Encoding::from_content_type`], with the 415 error.
    pub fn parse(content_type: &str) -> Result<Self> {
        Self::from_content_type(content_type)
            .ok_or_else(|| Error::UnsupportedContentType(content_type.to_string()))
    }

    /// The media type for a response in this encoding.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Protobuf => "application/x-protobuf",
            Self::Json => "application/json",
        }
    }
}

/// Compression of an OTLP/HTTP body (`Content-Encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// No `Content-Encoding`, or `identity`.
    None,
    /// `gzip`.
    Gzip,
}

impl Compression {
    /// The compression of a `Content-Encoding` header value ("" when absent).
    pub fn parse(content_encoding: &str) -> Result<Self> {
        let v = content_encoding.trim();
        if v.is_empty() || v.eq_ignore_ascii_case("identity") {
            Ok(Self::None)
        } else if v.eq_ignore_ascii_case("gzip") {
            Ok(Self::Gzip)
        } else {
            Err(Error::UnsupportedContentEncoding(v.to_string()))
        }
    }
}

/// Decompresses gzip data (concatenated members included) from `input`,
/// reading no further than needed to produce `limit + 1` bytes: a body that
/// decompresses to more than `limit` bytes is refused without inflating
/// the rest.
pub fn decompress(input: impl Read, limit: usize) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    flate2::read::MultiGzDecoder::new(input)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|e| Error::Gzip(e.to_string()))?;
    if out.len() > limit {
        return Err(Error::GzipTooLarge { limit });
    }
    Ok(out)
}

/// Decodes an OTLP/HTTP request body, refusing bodies (decompressed when
/// gzip) of more than `limit` bytes.
pub fn decode<R: ExportRequest>(
    body: &[u8],
    encoding: Encoding,
    compression: Compression,
    limit: usize,
) -> Result<R> {
    let inflated;
    let raw: &[u8] = match compression {
        Compression::Gzip => {
            inflated = decompress(body, limit)?;
            &inflated
        }
        Compression::None if body.len() > limit => {
            return Err(Error::TooLarge {
                len: body.len(),
                limit,
            });
        }
        Compression::None => body,
    };
    match encoding {
        Encoding::Protobuf => R::decode(raw).map_err(|e| Error::Protobuf(e.to_string())),
        Encoding::Json => from_json(raw),
    }
}

/// OTLP/JSON. A body naming enum values (`"SPAN_KIND_SERVER"`) goes
/// through a `serde_json::Value` whose enum names are replaced by their
/// numbers; others decode directly. (Checking first rather than retrying on
/// error: a flattened `oneof` such as `Metric.data` swallows its errors.)
fn from_json<R: DeserializeOwned>(raw: &[u8]) -> Result<R> {
    if !names_enum_values(raw) {
        return serde_json::from_slice(raw).map_err(|e| Error::Json(e.to_string()));
    }
    let mut v: Value = serde_json::from_slice(raw).map_err(|e| Error::Json(e.to_string()))?;
    enum_names_to_numbers(&mut v);
    serde_json::from_value(v).map_err(|e| Error::Json(e.to_string()))
}

/// Prefixes of the enum value names OTLP/JSON may carry.
const ENUM_PREFIXES: [&[u8]; 4] = [
    b"\"SPAN_KIND_",
    b"\"STATUS_CODE_",
    b"\"AGGREGATION_TEMPORALITY_",
    b"\"SEVERITY_NUMBER_",
];

/// Whether a JSON string in `raw` starts like an enum value name.
fn names_enum_values(raw: &[u8]) -> bool {
    raw.iter().enumerate().any(|(i, &b)| {
        b == b'"'
            && matches!(raw.get(i + 1), Some(b'S' | b'A'))
            && ENUM_PREFIXES.iter().any(|p| raw[i..].starts_with(p))
    })
}

/// The number of an OTLP enum value given by name in field `key`.
fn enum_number(key: &str, name: &str) -> Option<i32> {
    match key {
        "kind" => SpanKind::from_str_name(name).map(|k| k as i32),
        "code" => StatusCode::from_str_name(name).map(|c| c as i32),
        "aggregationTemporality" => AggregationTemporality::from_str_name(name).map(|t| t as i32),
        "severityNumber" => SeverityNumber::from_str_name(name).map(|s| s as i32),
        _ => None,
    }
}

/// Replaces enum names by numbers everywhere in `v`.
fn enum_names_to_numbers(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (key, field) in map.iter_mut() {
                if let Value::String(name) = field {
                    if let Some(n) = enum_number(key, name) {
                        *field = Value::from(n);
                    }
                } else {
                    enum_names_to_numbers(field);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(enum_names_to_numbers),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::proto::common::v1::any_value::Value as AnyValueKind;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    fn metrics(body: &[u8], e: Encoding, c: Compression) -> Result<ExportMetricsServiceRequest> {
        decode(body, e, c, MAX_DECOMPRESSED_BYTES)
    }

    #[test]
    fn corrupt_bodies_are_errors() {
        let (pb, json, none, gz) = (
            Encoding::Protobuf,
            Encoding::Json,
            Compression::None,
            Compression::Gzip,
        );
        assert!(matches!(
            metrics(&[0xff, 0xff, 0xff, 0x01, 0x02], pb, none),
            Err(Error::Protobuf(_))
        ));
        // A valid tag with a length running past the end.
        assert!(matches!(
            metrics(&[0x0a, 0x10, 0x01], pb, none),
            Err(Error::Protobuf(_))
        ));
        assert!(matches!(metrics(b"not gzip", pb, gz), Err(Error::Gzip(_))));
        assert!(matches!(
            metrics(b"{\"resourceMetrics\": 3}", json, none),
            Err(Error::Json(_))
        ));
        let bomb = gzip(&vec![0u8; MAX_DECOMPRESSED_BYTES + 1]);
        let err = metrics(&bomb, pb, gz).unwrap_err();
        assert_eq!(
            err,
            Error::GzipTooLarge {
                limit: MAX_DECOMPRESSED_BYTES
            }
        );
        assert_eq!(err.http_status(), 413);
        let big = vec![0u8; 11];
        assert_eq!(
            decode::<ExportMetricsServiceRequest>(&big, pb, none, 10).unwrap_err(),
            Error::TooLarge { len: 11, limit: 10 }
        );
        let empty = metrics(&[], pb, none).unwrap();
        assert!(empty.resource_metrics.is_empty());
        let empty = metrics(b"{}", json, none).unwrap();
        assert!(empty.resource_metrics.is_empty());
    }

    /// A gzip bomb is refused after inflating just past the limit: the
    /// decoder reads only part of the compressed input.
    #[test]
    fn gzip_bomb_stops_at_the_limit() {
        struct Counting<'a>(&'a [u8], usize);
        impl Read for Counting<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.read(buf)?;
                self.1 += n;
                Ok(n)
            }
        }
        let limit = 1 << 20;
        let bomb = gzip(&vec![0u8; 64 << 20]);
        let mut input = Counting(&bomb, 0);
        assert_eq!(
            decompress(&mut input, limit).unwrap_err(),
            Error::GzipTooLarge { limit }
        );
        assert!(
            input.1 < bomb.len() / 4,
            "read {} of {} compressed bytes",
            input.1,
            bomb.len()
        );
        // Exactly at the limit is fine.
        assert_eq!(
            decompress(&gzip(&vec![7u8; limit])[..], limit)
                .unwrap()
                .len(),
            limit
        );
    }

    #[test]
    fn content_types_and_encodings() {
        assert_eq!(
            Encoding::from_content_type("application/x-protobuf"),
            Some(Encoding::Protobuf)
        );
        assert_eq!(
            Encoding::from_content_type("Application/JSON; charset=utf-8"),
            Some(Encoding::Json)
        );
        assert_eq!(Encoding::from_content_type("text/plain"), None);
        let err = Encoding::parse("text/plain").unwrap_err();
        assert_eq!(err.http_status(), 415);
        assert_eq!(
            err.to_string(),
            "unsupported content type \"text/plain\": use application/x-protobuf or application/json"
        );
        assert_eq!(Compression::parse("").unwrap(), Compression::None);
        assert_eq!(Compression::parse("identity").unwrap(), Compression::None);
        assert_eq!(Compression::parse("gzip").unwrap(), Compression::Gzip);
        let err = Compression::parse("zstd").unwrap_err();
        assert_eq!(err.http_status(), 415);
        assert_eq!(err.to_string(), "unsupported content encoding \"zstd\"");
        assert_eq!(Error::Json("x".into()).http_status(), 400);
    }

    #[test]
    fn json_traces_with_hex_ids_string_ints_and_enum_names() {
        let body = br#"{"resourceSpans":[{"resource":{"attributes":[
            {"key":"service.name","value":{"stringValue":"web"}}]},
          "scopeSpans":[{"scope":{"name":"s"},"spans":[{
            "traceId":"5b8efff798038103d269b633813fc60c",
            "spanId":"eee19b7ec3c1b174",
            "name":"GET /","kind":"SPAN_KIND_SERVER",
            "startTimeUnixNano":"1544712660000000000",
            "endTimeUnixNano":1544712661000000000,
            "attributes":[{"key":"n","value":{"intValue":"-7"}}],
            "status":{"code":"STATUS_CODE_ERROR","message":"boom"},
            "unknownField":true}]}]}]}"#;
        let req: ExportTraceServiceRequest =
            decode(body, Encoding::Json, Compression::None, 1 << 20).unwrap();
        let span = &req.resource_spans[0].scope_spans[0].spans[0];
        assert_eq!(span.trace_id.len(), 16);
        assert_eq!(span.trace_id[0], 0x5b);
        assert_eq!(
            span.span_id,
            vec![0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x74]
        );
        assert_eq!(span.kind, SpanKind::Server as i32);
        assert_eq!(span.start_time_unix_nano, 1_544_712_660_000_000_000);
        assert_eq!(span.end_time_unix_nano, 1_544_712_661_000_000_000);
        assert_eq!(
            span.attributes[0].value.as_ref().unwrap().value,
            Some(AnyValueKind::IntValue(-7))
        );
        let status = span.status.as_ref().unwrap();
        assert_eq!((status.code, status.message.as_str()), (2, "boom"));
        // The same with enum numbers, and as protobuf.
        let numeric = String::from_utf8(body.to_vec())
            .unwrap()
            .replace("\"SPAN_KIND_SERVER\"", "2")
            .replace("\"STATUS_CODE_ERROR\"", "2");
        let again: ExportTraceServiceRequest = decode(
            numeric.as_bytes(),
            Encoding::Json,
            Compression::None,
            1 << 20,
        )
        .unwrap();
        assert_eq!(again, req);
        let pb = req.encode_to_vec();
        let again: ExportTraceServiceRequest =
            decode(&gzip(&pb), Encoding::Protobuf, Compression::Gzip, 1 << 20).unwrap();
        assert_eq!(again, req);
        // An unknown enum name stays an error.
        let bad = numeric.replace("\"kind\":2", "\"kind\":\"SPAN_KIND_NOPE\"");
        assert!(matches!(
            decode::<ExportTraceServiceRequest>(
                bad.as_bytes(),
                Encoding::Json,
                Compression::None,
                1 << 20
            ),
            Err(Error::Json(_))
        ));
    }

    #[test]
    fn json_logs_and_metrics_with_enum_names() {
        let logs = br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{
            "timeUnixNano":"1700000000000000000","severityNumber":"SEVERITY_NUMBER_WARN",
            "severityText":"WARN","body":{"stringValue":"disk low"},
            "traceId":"5b8efff798038103d269b633813fc60c"}]}]}]}"#;
        let req: ExportLogsServiceRequest =
            decode(logs, Encoding::Json, Compression::None, 1 << 20).unwrap();
        let rec = &req.resource_logs[0].scope_logs[0].log_records[0];
        assert_eq!(rec.severity_number, SeverityNumber::Warn as i32);
        assert_eq!(rec.time_unix_nano, 1_700_000_000_000_000_000);
        assert_eq!(
            rec.body.as_ref().unwrap().value,
            Some(AnyValueKind::StringValue("disk low".into()))
        );
        let metrics = br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"c",
            "sum":{"aggregationTemporality":"AGGREGATION_TEMPORALITY_CUMULATIVE","isMonotonic":true,
            "dataPoints":[{"asInt":"5","timeUnixNano":"1000000"}]}}]}]}]}"#;
        let req: ExportMetricsServiceRequest =
            decode(metrics, Encoding::Json, Compression::None, 1 << 20).unwrap();
        let Some(crate::proto::metrics::v1::metric::Data::Sum(sum)) =
            &req.resource_metrics[0].scope_metrics[0].metrics[0].data
        else {
            panic!("sum expected");
        };
        assert_eq!(
            sum.aggregation_temporality,
            AggregationTemporality::Cumulative as i32
        );
    }
}
