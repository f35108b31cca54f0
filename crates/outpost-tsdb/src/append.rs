//! Appending samples. An [`Appender`] holds the head's read lock for a batch
//! (one scrape, one remote-write request) and counts locally, so the per-sample
//! cost is one uncontended series mutex and the XOR encoding.

use std::sync::RwLockReadGuard;
use std::sync::atomic::Ordering;

use crate::chunk::XorChunk;
use crate::error::{Error, Result};
use crate::head::{Index, Tsdb, hash_labels};
use crate::labels::Labels;
use crate::postings::SeriesRef;

/// Prometheus' staleness marker: a NaN with this exact bit pattern.
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

/// Whether a value is the staleness marker.
#[inline]
pub fn is_stale_nan(v: f64) -> bool {
    v.to_bits() == STALE_NAN_BITS
}

/// The staleness marker value.
pub fn stale_nan() -> f64 {
    f64::from_bits(STALE_NAN_BITS)
}

/// Per-batch counts, flushed into the head's counters on drop.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct AppendStats {
    /// Samples stored.
    pub appended: u64,
    /// Out-of-order samples rejected.
    pub out_of_order: u64,
    /// Duplicate-timestamp samples rejected.
    pub duplicates: u64,
    /// Samples older than the retention horizon rejected.
    pub out_of_bounds: u64,
    /// Staleness markers stored.
    pub stale_markers: u64,
    /// Chunks started.
    pub chunks_created: u64,
}

/// A batch writer into the head.
pub struct Appender<'a> {
    db: &'a Tsdb,
    guard: Option<RwLockReadGuard<'a, Index>>,
    min_valid_t: i64,
    stats: AppendStats,
}

impl Tsdb {
    /// Starts a batch of appends.
    pub fn appender(&self) -> Appender<'_> {
        Appender {
            db: self,
            guard: Some(self.read()),
            min_valid_t: self.min_valid_t.load(Ordering::Relaxed),
            stats: AppendStats::default(),
        }
    }
}

impl Appender<'_> {
    /// The series of `labels`, created if new (may fail on the series limit).
    pub fn series_ref(&mut self, labels: &Labels) -> Result<SeriesRef> {
        let hash = hash_labels(labels.iter());
        if let Some(r) = self.guard.as_ref().and_then(|g| g.find(hash, labels)) {
            return Ok(r);
        }
        // Upgrade: release the read lock, create under the write lock, re-read.
        self.guard = None;
        let created = {
            let mut idx = self.db.write();
            self.db.create_series(&mut idx, hash, labels)
        };
        self.guard = Some(self.db.read());
        created
    }

    /// Like [`Appender::series_ref`] for borrowed pairs sorted by name with
    /// non-empty values (the receive hot path: no allocation when the series
    /// exists). Unsorted or duplicate names are an error.
    pub fn series_ref_pairs(&mut self, pairs: &[(&str, &str)]) -> Result<SeriesRef> {
        if pairs.windows(2).any(|w| w[0].0 >= w[1].0) || pairs.iter().any(|(_, v)| v.is_empty()) {
            let labels = Labels::from_pairs(pairs.iter().copied()).map_err(Error::InvalidLabels)?;
            return self.series_ref(&labels);
        }
        let hash = hash_labels(pairs.iter().copied());
        if let Some(r) = self.guard.as_ref().and_then(|g| g.find_pairs(hash, pairs)) {
            return Ok(r);
        }
        let labels = Labels::from_pairs(pairs.iter().copied()).map_err(Error::InvalidLabels)?;
        self.series_ref(&labels)
    }

    /// Appends one sample to an existing series, with Prometheus' rules:
    /// older than the newest sample is out of order; the same timestamp with
    /// a different value is a duplicate; the same sample again is a no-op.
    #[inline]
    pub fn append(&mut self, r: SeriesRef, t: i64, v: f64) -> Result<()> {
        let guard = self.guard.as_ref().expect("guard held between calls");
        let s = guard.series.get(&r).ok_or(Error::UnknownSeries(r))?;
        if t < self.min_valid_t {
            self.stats.out_of_bounds += 1;
            return Err(Error::OutOfBounds);
        }
        let bits = v.to_bits();
        let mut d = s.data.lock().unwrap_or_else(|e| e.into_inner());
        if t <= d.last_t {
            if t < d.last_t {
                self.stats.out_of_order += 1;
                return Err(Error::OutOfOrder);
            }
            if bits == d.last_v {
                return Ok(());
            }
            self.stats.duplicates += 1;
            return Err(Error::DuplicateTimestamp);
        }
        if d.head.len() >= self.db.opts.samples_per_chunk {
            let frozen = d.head.freeze();
            d.frozen.push(frozen);
            d.head = XorChunk::new();
        }
        if d.head.is_empty() {
            self.stats.chunks_created += 1;
        }
        d.head.append(t, v);
        d.last_t = t;
        d.last_v = bits;
        drop(d);
        self.stats.appended += 1;
        if bits == STALE_NAN_BITS {
            self.stats.stale_markers += 1;
        }
        Ok(())
    }

    /// Looks up or creates the series, then appends.
    pub fn append_labels(&mut self, labels: &Labels, t: i64, v: f64) -> Result<SeriesRef> {
        let r = self.series_ref(labels)?;
        self.append(r, t, v)?;
        Ok(r)
    }

    /// What this batch did so far.
    pub fn stats(&self) -> AppendStats {
        self.stats
    }
}

impl Drop for Appender<'_> {
    fn drop(&mut self) {
        let c = &self.db.counters;
        let s = self.stats;
        c.samples_appended.fetch_add(s.appended, Ordering::Relaxed);
        c.out_of_order.fetch_add(s.out_of_order, Ordering::Relaxed);
        c.duplicates.fetch_add(s.duplicates, Ordering::Relaxed);
        c.out_of_bounds
            .fetch_add(s.out_of_bounds, Ordering::Relaxed);
        c.stale_markers
            .fetch_add(s.stale_markers, Ordering::Relaxed);
        c.chunks_created
            .fetch_add(s.chunks_created, Ordering::Relaxed);
    }
}
