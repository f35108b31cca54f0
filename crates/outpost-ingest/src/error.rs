//! Errors of push ingest.

/// Ingest errors; each maps to a client error of the receiving protocol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The body is not valid snappy block data.
    #[error("snappy decode error: {0}")]
    Snappy(String),
    /// The decompressed body is too large.
    #[error("decompressed body of {len} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Decoded size.
        len: usize,
        /// Limit.
        limit: usize,
    },
    /// The body is not a valid protobuf message.
    #[error("protobuf decode error: {0}")]
    Protobuf(String),
    /// The body is not valid gzip data.
    #[error("gzip decode error: {0}")]
    Gzip(String),
    /// The gzip body decompresses to more than the limit.
    #[error("gzip body decompresses to more than {limit} bytes")]
    GzipTooLarge {
        /// Limit.
        limit: usize,
    },
    /// The body is not a valid OTLP/JSON message.
    #[error("otlp json decode error: {0}")]
    Json(String),
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;
