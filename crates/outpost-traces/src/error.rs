//! The trace row's error type.

/// Errors of decoding, translating and querying traces.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request body that cannot be decoded (protobuf, Thrift, JSON).
    #[error("{0}")]
    Decode(String),
    /// A span that breaks the model's rules (e.g. a trace id of the wrong length).
    #[error("{0}")]
    InvalidSpan(String),
    /// A query parameter that is out of range or malformed.
    #[error("{0}")]
    InvalidQuery(String),
}

/// Result with the trace row's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
