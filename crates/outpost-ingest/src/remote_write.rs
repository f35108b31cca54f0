//! Prometheus remote write 1.0 receiver logic: snappy block decompression,
//! protobuf decoding and appending into the TSDB.
//!
//! Outcome rules: undecodable bodies are errors (HTTP 400) and store nothing.
//! Series with invalid labels are skipped and counted (as Prometheus 3 does).
//! Samples the TSDB rejects (out of order, duplicate timestamp, out of bounds,
//! too far in the future) are counted and skipped rather than failing the
//! request, so a sender that re-sends after a restart does not lose the new
//! samples of the same batch; the counts are returned for the self metrics
//! and, for series refused by the series limit, for the sender's answer.

mod wire;

use outpost_tsdb::{Error as TsdbError, Tsdb};
use prost::Message;

use crate::error::{Error, Result};
use crate::proto::WriteRequest;

/// Largest decompressed body accepted (as Prometheus 3.9+).
pub const MAX_DECODED_BYTES: usize = 32 << 20;
/// Samples further than this in the future are out of bounds.
const MAX_FUTURE_MS: i64 = 10 * 60 * 1000;

/// What one request did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Series in the request.
    pub series: u64,
    /// Samples stored.
    pub samples_written: u64,
    /// Samples rejected as out of order.
    pub out_of_order: u64,
    /// Samples rejected as duplicates.
    pub duplicates: u64,
    /// Samples rejected as out of bounds or too far in the future.
    pub out_of_bounds: u64,
    /// Series skipped for invalid labels.
    pub invalid_series: u64,
    /// Samples of skipped series.
    pub invalid_samples: u64,
    /// Series refused by the series limit.
    pub series_limit_rejected: u64,
    /// Samples of the series refused by the series limit.
    pub series_limit_samples: u64,
    /// Native histogram samples received (not stored).
    pub histograms_dropped: u64,
    /// Exemplars received (not stored).
    pub exemplars_dropped: u64,
}

fn decompress(body: &[u8]) -> Result<Vec<u8>> {
    let len = snap::raw::decompress_len(body).map_err(|e| Error::Snappy(e.to_string()))?;
    if len > MAX_DECODED_BYTES {
        return Err(Error::TooLarge {
            len,
            limit: MAX_DECODED_BYTES,
        });
    }
    snap::raw::Decoder::new()
        .decompress_vec(body)
        .map_err(|e| Error::Snappy(e.to_string()))
}

/// Decodes a snappy-compressed (block format) WriteRequest into owned types.
pub fn decode(body: &[u8]) -> Result<WriteRequest> {
    let raw = decompress(body)?;
    WriteRequest::decode(&raw[..]).map_err(|e| Error::Protobuf(e.to_string()))
}

/// Encodes a request as senders do (protobuf, then snappy block): used by the
/// load generator and tests.
pub fn encode(req: &WriteRequest) -> Vec<u8> {
    let raw = req.encode_to_vec();
    snap::raw::Encoder::new()
        .compress_vec(&raw)
        .expect("snappy compression of a valid buffer")
}

/// Counts one sample's append outcome.
fn count(st: &mut WriteStats, r: std::result::Result<(), TsdbError>) {
    match r {
        Ok(()) => st.samples_written += 1,
        Err(TsdbError::OutOfOrder) => st.out_of_order += 1,
        Err(TsdbError::DuplicateTimestamp) => st.duplicates += 1,
        Err(_) => st.out_of_bounds += 1,
    }
}

/// Whether sorted, non-empty pairs form a storable series (3.x rules).
fn valid(labels: &[(&str, &str)]) -> bool {
    labels.iter().any(|(n, _)| *n == "__name__")
        && labels.iter().all(|(n, _)| !n.is_empty())
        && labels.windows(2).all(|w| w[0].0 != w[1].0)
}

/// The receive hot path: decompresses, validates the whole message, then
/// appends it series by series with borrowed labels (no allocation per sample).
pub fn receive(tsdb: &Tsdb, body: &[u8], now_ms: i64) -> Result<WriteStats> {
    let raw = decompress(body)?;
    // First pass: a corrupt message is rejected before anything is stored.
    wire::for_each_series(&raw, |_| {}).map_err(Error::Protobuf)?;
    let mut st = WriteStats::default();
    let mut app = tsdb.appender();
    let mut labels: Vec<(&str, &str)> = Vec::with_capacity(16);
    wire::for_each_series(&raw, |ts| {
        st.series += 1;
        st.histograms_dropped += ts.histograms;
        st.exemplars_dropped += ts.exemplars;
        labels.clear();
        labels.extend(ts.labels.iter().filter(|(_, v)| !v.is_empty()));
        labels.sort_unstable_by(|a, b| a.0.cmp(b.0));
        if !valid(&labels) {
            st.invalid_series += 1;
            st.invalid_samples += ts.samples.len() as u64;
            return;
        }
        let Ok(r) = app.series_ref_pairs(&labels) else {
            st.series_limit_rejected += 1;
            st.series_limit_samples += ts.samples.len() as u64;
            return;
        };
        for &(t, v) in &ts.samples {
            if t > now_ms + MAX_FUTURE_MS {
                st.out_of_bounds += 1;
                continue;
            }
            count(&mut st, app.append(r, t, v));
        }
    })
    .map_err(Error::Protobuf)?;
    Ok(st)
}

#[cfg(test)]
mod tests {
    use outpost_tsdb::{HeadOptions, Matcher};

    use super::*;
    use crate::proto::{Label, Sample, TimeSeries};

    fn series(labels: &[(&str, &str)], samples: &[(i64, f64)]) -> TimeSeries {
        TimeSeries {
            labels: labels
                .iter()
                .map(|(n, v)| Label {
                    name: n.to_string(),
                    value: v.to_string(),
                })
                .collect(),
            samples: samples
                .iter()
                .map(|&(timestamp, value)| Sample { value, timestamp })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn roundtrip_and_append_rules() {
        let db = Tsdb::new(HeadOptions::default());
        let req = WriteRequest {
            timeseries: vec![
                series(
                    &[("job", "x"), ("__name__", "a")],
                    &[(1000, 1.0), (2000, 2.0)],
                ),
                series(&[("job", "no-name")], &[(1000, 1.0)]),
                series(
                    &[("__name__", "b"), ("dup", "1"), ("dup", "2")],
                    &[(1000, 1.0)],
                ),
            ],
            metadata: vec![],
        };
        let body = encode(&req);
        assert_eq!(decode(&body).unwrap(), req);
        let st = receive(&db, &body, 10_000).unwrap();
        assert_eq!(
            (
                st.series,
                st.samples_written,
                st.invalid_series,
                st.invalid_samples
            ),
            (3, 2, 2, 2)
        );
        let again = WriteRequest {
            timeseries: vec![series(
                &[("__name__", "a"), ("job", "x")],
                &[(1500, 9.0), (2000, 3.0), (3000, 3.0), (10_000_000, 1.0)],
            )],
            metadata: vec![],
        };
        let st = receive(&db, &encode(&again), 10_000).unwrap();
        assert_eq!(
            (
                st.samples_written,
                st.out_of_order,
                st.duplicates,
                st.out_of_bounds
            ),
            (1, 1, 1, 1)
        );
        let s = db.select(&[Matcher::equal("__name__", "a")], 0, i64::MAX);
        assert_eq!(s[0].samples().count(), 3);
    }

    #[test]
    fn corrupt_bodies_are_errors_and_store_nothing() {
        let db = Tsdb::new(HeadOptions::default());
        assert!(matches!(
            receive(&db, b"not snappy at all", 0),
            Err(Error::Snappy(_))
        ));
        let garbage = snap::raw::Encoder::new()
            .compress_vec(&[0xff, 0xff, 0xff, 0x01, 0x02])
            .unwrap();
        assert!(matches!(decode(&garbage), Err(Error::Protobuf(_))));
        assert!(matches!(receive(&db, &garbage, 0), Err(Error::Protobuf(_))));
        // A valid series followed by garbage: nothing is stored.
        let mut raw = WriteRequest {
            timeseries: vec![series(&[("__name__", "a")], &[(1, 1.0)])],
            metadata: vec![],
        }
        .encode_to_vec();
        raw.extend_from_slice(&[0x0a, 0x7f]);
        let body = snap::raw::Encoder::new().compress_vec(&raw).unwrap();
        assert!(matches!(receive(&db, &body, 0), Err(Error::Protobuf(_))));
        assert_eq!(db.num_series(), 0);
        let empty = decode(&snap::raw::Encoder::new().compress_vec(&[]).unwrap()).unwrap();
        assert!(empty.timeseries.is_empty());
    }

    /// Regression (16.3): series refused by the series limit are counted
    /// with their samples, so the receiver can name them to the sender.
    #[test]
    fn series_limit_refusals_are_counted_with_their_samples() {
        let db = Tsdb::new(HeadOptions {
            max_series: 2,
            ..HeadOptions::default()
        });
        let req = WriteRequest {
            timeseries: (0..5)
                .map(|i| {
                    let name = format!("m{i}");
                    series(&[("__name__", name.as_str())], &[(1000, 1.0), (2000, 2.0)])
                })
                .collect(),
            metadata: vec![],
        };
        let st = receive(&db, &encode(&req), 10_000).unwrap();
        assert_eq!(
            (
                st.samples_written,
                st.series_limit_rejected,
                st.series_limit_samples
            ),
            (4, 3, 6)
        );
        assert_eq!(db.num_series(), 2);
    }
}
