//! Outpost's PromQL engine: queries parsed by `promql-parser`, evaluated over
//! the TSDB with Prometheus' semantics (lookback and staleness, offset and `@`,
//! aggregations, vector matching, functions, subqueries), plus the runner of
//! Prometheus' `.test` script format.

mod aggregate;
mod engine;
mod error;
mod functions;
mod ops;
mod range_eval;
pub mod promqltest;
mod value;
mod xxhash;

pub use engine::{Engine, EngineOptions, Output, parse_selector};
pub use error::{Error, Result};
pub use value::{Sample, Series, Value};

#[cfg(test)]
mod tests;
