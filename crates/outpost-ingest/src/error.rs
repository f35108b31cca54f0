//! Errors of remote-write decoding.

/// Remote-write decoding errors: `TooLarge` answers 413, the others 400.
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
        /// Largest decoded size accepted, in bytes.
        limit: usize,
    },
    /// The body is not a valid protobuf message.
    #[error("protobuf decode error: {0}")]
    Protobuf(String),
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;
