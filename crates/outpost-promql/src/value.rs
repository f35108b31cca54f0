//! Query results: scalars, strings, instant vectors and range vectors, with
//! Prometheus' ordering and formatting conventions.

use outpost_tsdb::Labels;

/// One sample of an instant vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Series labels (without `__name__` once a function or operator dropped it).
    pub labels: Labels,
    /// Evaluation timestamp in ms.
    pub t: i64,
    /// The sample value (NaN, infinities and stale markers included).
    pub v: f64,
}

/// One series of a range vector (or of a range query's result).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Series labels.
    pub labels: Labels,
    /// Points in time order.
    pub points: Vec<(i64, f64)>,
}

/// A query result.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A scalar at a time.
    Scalar {
        /// Timestamp (ms).
        t: i64,
        /// The scalar.
        v: f64,
    },
    /// A string at a time.
    String {
        /// Timestamp (ms).
        t: i64,
        /// The string literal's text.
        v: String,
    },
    /// An instant vector.
    Vector(Vec<Sample>),
    /// A range vector (instant queries over a range selector, and range queries).
    Matrix(Vec<Series>),
}

impl Value {
    /// Prometheus' name of the result type (`scalar`, `string`, `vector`, `matrix`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Scalar { .. } => "scalar",
            Value::String { .. } => "string",
            Value::Vector(_) => "vector",
            Value::Matrix(_) => "matrix",
        }
    }
}
