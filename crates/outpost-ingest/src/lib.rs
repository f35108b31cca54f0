//! Outpost's push ingest paths into the TSDB: Prometheus remote write 1.0
//! (OTLP metrics arrive in the same crate).

mod error;
mod otlp;
mod remote_write;

/// Remote-write protobuf messages compiled from `proto/prometheus/remote.proto`.
#[allow(missing_docs, unreachable_pub, clippy::all)]
pub mod proto {
    include!(concat!(env!("OUT_DIR"), "/prometheus.rs"));
}

pub use error::{Error, Result};
pub use otlp::{
    OtlpEncoding, OtlpOptions, OtlpWriteStats, TranslationStrategy, decode_otlp_metrics,
    otlp_proto, write_otlp_metrics,
};
pub use otlp_proto::collector::metrics::v1::ExportMetricsServiceRequest;
pub use remote_write::{MAX_DECODED_BYTES, WriteStats, decode, encode, receive};
