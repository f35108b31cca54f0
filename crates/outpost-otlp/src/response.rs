//! OTLP responses in the request's encoding: `Export*ServiceResponse`
//! bodies for success and partial success, and `google.rpc.Status` bodies
//! for refused requests.

use prost::Message;
use serde::Serialize;
use serde_json::Value;

use crate::decode::Encoding;

/// An Export response body in `encoding`. In JSON, unset fields are left
/// out, so a full success is `{}`; in protobuf it is empty.
pub fn encode_response<R: Message + Serialize>(resp: &R, encoding: Encoding) -> Vec<u8> {
    match encoding {
        Encoding::Protobuf => resp.encode_to_vec(),
        Encoding::Json => {
            let mut v =
                serde_json::to_value(resp).unwrap_or_else(|_| Value::Object(Default::default()));
            if let Value::Object(map) = &mut v {
                map.retain(|_, field| !field.is_null());
            }
            v.to_string().into_bytes()
        }
    }
}

/// A `google.rpc.Status` body (`code` is a gRPC status code, e.g. 3
/// INVALID_ARGUMENT or 8 RESOURCE_EXHAUSTED) in `encoding`, as OTLP/HTTP
/// answers refused requests.
pub fn status_body(encoding: Encoding, code: i32, message: &str) -> Vec<u8> {
    match encoding {
        Encoding::Json => serde_json::json!({"code": code, "message": message})
            .to_string()
            .into_bytes(),
        Encoding::Protobuf => {
            let mut out = Vec::with_capacity(message.len() + 8);
            if code != 0 {
                prost::encoding::int32::encode(1, &code, &mut out);
            }
            if !message.is_empty() {
                prost::encoding::string::encode(2, &message.to_string(), &mut out);
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ExportRequest;
    use crate::proto::collector::logs::v1::{ExportLogsServiceRequest, ExportLogsServiceResponse};
    use crate::proto::collector::metrics::v1::{
        ExportMetricsServiceRequest, ExportMetricsServiceResponse,
    };
    use crate::proto::collector::trace::v1::ExportTraceServiceRequest;

    #[test]
    fn metrics_responses() {
        let ok = ExportMetricsServiceRequest::response(0, None);
        assert!(encode_response(&ok, Encoding::Protobuf).is_empty());
        assert_eq!(encode_response(&ok, Encoding::Json), b"{}");
        let partial = ExportMetricsServiceRequest::response(2, Some("why"));
        let json: Value =
            serde_json::from_slice(&encode_response(&partial, Encoding::Json)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"partialSuccess": {"rejectedDataPoints": 2, "errorMessage": "why"}})
        );
        let pb = encode_response(&partial, Encoding::Protobuf);
        assert_eq!(
            ExportMetricsServiceResponse::decode(&pb[..]).unwrap(),
            partial
        );
        // A warning without rejections is still a partial success.
        let warn = ExportMetricsServiceRequest::response(0, Some("empty"));
        assert_eq!(warn.partial_success.unwrap().rejected_data_points, 0);
    }

    #[test]
    fn trace_and_log_responses() {
        let spans = ExportTraceServiceRequest::response(3, Some("bad spans"));
        let json: Value = serde_json::from_slice(&encode_response(&spans, Encoding::Json)).unwrap();
        assert_eq!(json["partialSuccess"]["rejectedSpans"], 3);
        assert_eq!(json["partialSuccess"]["errorMessage"], "bad spans");
        let logs = ExportLogsServiceRequest::response(u64::MAX, None);
        let pb = encode_response(&logs, Encoding::Protobuf);
        let back = ExportLogsServiceResponse::decode(&pb[..]).unwrap();
        assert_eq!(back.partial_success.unwrap().rejected_log_records, i64::MAX);
        assert_eq!(
            encode_response(&ExportLogsServiceRequest::response(0, None), Encoding::Json),
            b"{}"
        );
    }

    #[test]
    fn status_bodies() {
        let json: Value = serde_json::from_slice(&status_body(Encoding::Json, 3, "bad")).unwrap();
        assert_eq!(json, serde_json::json!({"code": 3, "message": "bad"}));
        let pb = status_body(Encoding::Protobuf, 8, "too big");
        assert_eq!(&pb[..4], &[0x08, 8, 0x12, 7]);
        assert_eq!(&pb[4..], b"too big");
        // A long message gets a multi-byte length.
        let long = "x".repeat(300);
        let pb = status_body(Encoding::Protobuf, 3, &long);
        assert_eq!(&pb[..5], &[0x08, 3, 0x12, 0xac, 0x02]);
        assert_eq!(pb.len(), 5 + 300);
    }
}
