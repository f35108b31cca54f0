//! Outpost's PromQL engine: queries parsed by `promql-parser`, evaluated over
//! the TSDB with Prometheus' semantics (lookback and staleness, offset and `@`,
//! aggregations, vector matching, functions, subqueries), plus the runner of
//! Prometheus' `.test` script format.
//!
//! Expressions are evaluated step by step; range queries over the common
//! dashboard shapes (selectors, rate and `*_over_time` over a range selector,
//! plain aggregations, `histogram_quantile`, operators with numbers and
//! one-to-one matching) are evaluated a series at a time instead, with the
//! same results. Name removal follows Prometheus 3's
//! default (immediate) unless [`EngineOptions::delayed_name_removal`] asks for
//! the delayed removal of the `promql-delayed-name-removal` feature.
//!
//! A query holds at most [`EngineOptions::max_samples`] samples at once
//! (selector data, intermediate results and its output), runs at most
//! [`EngineOptions::timeout`], and stops when its [`QueryContext`] is
//! canceled.

mod aggregate;
mod engine;
mod error;
mod functions;
mod ops;
pub mod promqltest;
mod range_eval;
mod time;
mod value;
mod xxhash;

pub use engine::{Engine, EngineOptions, Output, QueryContext, parse_selector};
pub use error::{Error, Result};
pub use time::{MAX_RANGE_POINTS, range_steps};
pub use value::{Sample, Series, Value};

#[cfg(test)]
mod tests;
