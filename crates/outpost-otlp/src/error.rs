//! Errors of OTLP request decoding, each with its OTLP/HTTP status code.

/// Why an OTLP request body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The `Content-Type` is neither protobuf nor JSON.
    #[error("unsupported content type {0:?}: use application/x-protobuf or application/json")]
    UnsupportedContentType(String),
    /// The `Content-Encoding` is neither absent, `identity` nor `gzip`.
    #[error("unsupported content encoding {0:?}")]
    UnsupportedContentEncoding(String),
    /// The body is not valid gzip data.
    #[error("gzip decode error: {0}")]
    Gzip(String),
    /// The body is larger than the limit (compressed as received).
    #[error("body of {len} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Body size.
        len: usize,
        /// Largest size accepted, in bytes.
        limit: usize,
    },
    /// The gzip body decompresses to more than the limit.
    #[error("gzip body decompresses to more than {limit} bytes")]
    GzipTooLarge {
        /// Largest size accepted, in bytes.
        limit: usize,
    },
    /// The body is not a valid protobuf message.
    #[error("protobuf decode error: {0}")]
    Protobuf(String),
    /// The body is not a valid OTLP/JSON message.
    #[error("otlp json decode error: {0}")]
    Json(String),
}

impl Error {
    /// The OTLP/HTTP status code: 415 for an unsupported content type or
    /// encoding, 413 for a body over the size limit, 400 for a body that
    /// does not decode.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::UnsupportedContentType(_) | Self::UnsupportedContentEncoding(_) => 415,
            Self::TooLarge { .. } | Self::GzipTooLarge { .. } => 413,
            Self::Gzip(_) | Self::Protobuf(_) | Self::Json(_) => 400,
        }
    }

    /// Whether the body was refused for its size (a 413).
    pub fn is_too_large(&self) -> bool {
        self.http_status() == 413
    }
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;
