//! Outpost's push ingest paths into the TSDB: Prometheus remote write 1.0
//! (snappy + protobuf, decoded here) and OTLP metrics translation (the OTLP
//! wire layer, decoding included, is `outpost-otlp`).

mod error;
mod otlp;
mod remote_write;

/// Remote-write protobuf messages compiled from `proto/prometheus/remote.proto`.
#[allow(missing_docs, unreachable_pub, clippy::all)]
pub mod proto {
    include!(concat!(env!("OUT_DIR"), "/prometheus.rs"));
}

pub use error::{Error, Result};
pub use otlp::{OtlpOptions, OtlpWriteStats, TranslationStrategy, write_otlp_metrics};
pub use remote_write::{MAX_DECODED_BYTES, WriteStats, decode, encode, receive};
