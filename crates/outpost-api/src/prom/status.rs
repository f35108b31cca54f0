//! `GET /api/v1/status/tsdb` in Prometheus' shape (`limit` default 10).

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;

use super::PromState;
use super::params::Params;
use crate::envelope::{ApiError, success};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HeadStats {
    num_series: usize,
    num_label_pairs: usize,
    chunk_count: usize,
    min_time: i64,
    max_time: i64,
}

#[derive(Serialize)]
struct Stat {
    name: String,
    value: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TsdbStatus {
    head_stats: HeadStats,
    series_count_by_metric_name: Vec<Stat>,
    label_value_count_by_label_name: Vec<Stat>,
    memory_in_bytes_by_label_name: Vec<Stat>,
    series_count_by_label_value_pair: Vec<Stat>,
}

fn stats(v: Vec<(String, u64)>) -> Vec<Stat> {
    v.into_iter()
        .map(|(name, value)| Stat { name, value })
        .collect()
}

pub(super) async fn tsdb(State(s): State<PromState>, p: Params) -> Result<Response, ApiError> {
    let limit = match p.limit()? {
        0 => 10,
        n => n,
    };
    let st = s.tsdb.stats(limit);
    Ok(success(TsdbStatus {
        head_stats: HeadStats {
            num_series: st.num_series,
            num_label_pairs: st.num_label_pairs,
            chunk_count: st.num_chunks,
            // Prometheus reports math.MaxInt64 / MinInt64 for an empty head.
            min_time: st.min_time.unwrap_or(i64::MAX),
            max_time: st.max_time.unwrap_or(i64::MIN),
        },
        series_count_by_metric_name: stats(st.series_count_by_metric_name),
        label_value_count_by_label_name: stats(st.label_value_count_by_label_name),
        memory_in_bytes_by_label_name: stats(st.memory_in_bytes_by_label_name),
        series_count_by_label_value_pair: stats(st.series_count_by_label_value_pair),
    }))
}
