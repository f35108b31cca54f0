//! Outpost's OTLP wire layer, shared by the metrics, traces and logs
//! receivers: the OTLP protobuf types (collector services included), request
//! body decoding per the OTLP/HTTP specification (binary protobuf or
//! OTLP/JSON, optionally gzip, with a cap on the decompressed size), the
//! specification's HTTP status codes, `Export*ServiceResponse` building with
//! partial success, response encoding in the request's content type, and
//! `AnyValue` rendering (as a label value or as JSON).
//!
//! Signal-specific translation (e.g. metrics into the TSDB) lives elsewhere.

mod decode;
mod error;
mod response;
mod value;

pub use decode::{
    Compression, Encoding, ExportRequest, MAX_DECOMPRESSED_BYTES, Signal, decode, decompress,
};
pub use error::{Error, Result};
pub use response::{encode_response, status_body};
pub use value::{as_string, to_json};

/// The OTLP protobuf messages (`opentelemetry.proto.*`) for metrics, traces
/// and logs, so users of this crate need not depend on `opentelemetry-proto`.
/// With this crate's `grpc` feature, `collector::{metrics,trace,logs}::v1`
/// also hold the tonic services for the gRPC listener.
pub mod proto {
    pub use opentelemetry_proto::tonic::{collector, common, logs, metrics, resource, trace};
}
