//! The in-memory head: series with their chunks, the label index, retention
//! and statistics. Appends are in `append.rs`, reads in `query.rs`.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};

use crate::chunk::{FrozenChunk, XorChunk};
use crate::error::{Error, Result};
use crate::labels::{Labels, Sym, Symbols};
use crate::postings::{Postings, SeriesRef};

/// Head settings.
#[derive(Debug, Clone, Copy)]
pub struct HeadOptions {
    /// Most series held at once (`--storage.tsdb.max-series`); new series beyond it are rejected.
    pub max_series: usize,
    /// Samples per chunk before it is frozen (Prometheus uses 120).
    pub samples_per_chunk: usize,
}

impl Default for HeadOptions {
    fn default() -> Self {
        HeadOptions {
            max_series: 1_000_000,
            samples_per_chunk: 120,
        }
    }
}

/// A tiny multiplicative hasher for integer keys and label hashes (FxHash's idea).
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(b));
        }
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(SEED);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FxBuild = BuildHasherDefault<FxHasher>;

/// Hash of a label set given as sorted `(name, value)` strings.
pub(crate) fn hash_labels<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> u64 {
    let mut h = FxHasher::default();
    for (n, v) in pairs {
        h.write(n.as_bytes());
        h.write_u64(0xff);
        h.write(v.as_bytes());
        h.write_u64(0xfe);
    }
    h.finish()
}

/// The mutable part of a series.
#[derive(Debug)]
pub(crate) struct SeriesData {
    pub(crate) frozen: Vec<FrozenChunk>,
    pub(crate) head: XorChunk,
    /// Timestamp of the newest sample; `i64::MIN` when none.
    pub(crate) last_t: i64,
    pub(crate) last_v: u64,
}

/// A series in the head.
#[derive(Debug)]
pub(crate) struct MemSeries {
    /// Interned labels, sorted by name string.
    pub(crate) labels: Box<[(Sym, Sym)]>,
    pub(crate) hash: u64,
    pub(crate) data: Mutex<SeriesData>,
}

/// Everything behind the head's lock.
#[derive(Debug, Default)]
pub(crate) struct Index {
    pub(crate) symbols: Symbols,
    pub(crate) postings: Postings,
    pub(crate) series: HashMap<SeriesRef, MemSeries, FxBuild>,
    pub(crate) by_hash: HashMap<u64, Vec<SeriesRef>, FxBuild>,
    pub(crate) next_ref: SeriesRef,
}

impl Index {
    pub(crate) fn labels_of(&self, s: &MemSeries) -> Labels {
        Labels::from_sorted(
            s.labels
                .iter()
                .map(|&(n, v)| (self.symbols.get(n).clone(), self.symbols.get(v).clone()))
                .collect(),
        )
    }

    /// Finds a series by sorted, non-empty `(name, value)` pairs without allocating.
    pub(crate) fn find_pairs(&self, hash: u64, pairs: &[(&str, &str)]) -> Option<SeriesRef> {
        self.by_hash.get(&hash)?.iter().copied().find(|r| {
            let s = &self.series[r];
            s.labels.len() == pairs.len()
                && s.labels.iter().zip(pairs).all(|(&(n, v), (ln, lv))| {
                    &**self.symbols.get(n) == *ln && &**self.symbols.get(v) == *lv
                })
        })
    }

    pub(crate) fn find(&self, hash: u64, labels: &Labels) -> Option<SeriesRef> {
        self.by_hash.get(&hash)?.iter().copied().find(|r| {
            let s = &self.series[r];
            s.labels.len() == labels.len()
                && s.labels
                    .iter()
                    .zip(labels.iter())
                    .all(|(&(n, v), (ln, lv))| {
                        &**self.symbols.get(n) == ln && &**self.symbols.get(v) == lv
                    })
        })
    }
}

/// Counters of what the head accepted and rejected (monotonic).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) samples_appended: AtomicU64,
    pub(crate) out_of_order: AtomicU64,
    pub(crate) duplicates: AtomicU64,
    pub(crate) out_of_bounds: AtomicU64,
    pub(crate) stale_markers: AtomicU64,
    pub(crate) series_created: AtomicU64,
    pub(crate) series_removed: AtomicU64,
    pub(crate) series_limit_rejected: AtomicU64,
    pub(crate) chunks_created: AtomicU64,
    pub(crate) chunks_removed: AtomicU64,
}

/// A snapshot of the head's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CounterSnapshot {
    /// Samples stored.
    pub samples_appended: u64,
    /// Samples rejected as out of order.
    pub out_of_order: u64,
    /// Samples rejected as a different value for an existing timestamp.
    pub duplicates: u64,
    /// Samples rejected as older than the retention horizon.
    pub out_of_bounds: u64,
    /// Staleness markers stored.
    pub stale_markers: u64,
    /// Series created.
    pub series_created: u64,
    /// Series removed by retention.
    pub series_removed: u64,
    /// Series rejected by the series limit.
    pub series_limit_rejected: u64,
    /// Chunks frozen or started.
    pub chunks_created: u64,
    /// Chunks dropped by retention.
    pub chunks_removed: u64,
}

/// The in-memory time-series database.
#[derive(Debug)]
pub struct Tsdb {
    pub(crate) index: RwLock<Index>,
    pub(crate) counters: Counters,
    pub(crate) opts: HeadOptions,
    /// Samples older than this are out of bounds (the retention horizon).
    pub(crate) min_valid_t: AtomicI64,
}

/// What one retention pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TruncateStats {
    /// Chunks dropped.
    pub chunks_removed: usize,
    /// Series dropped because they had no samples left.
    pub series_removed: usize,
}

/// Numbers for `/api/v1/status/tsdb`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HeadStats {
    /// Series in the head.
    pub num_series: usize,
    /// Chunks in the head (frozen and open).
    pub num_chunks: usize,
    /// Label pairs in the index.
    pub num_label_pairs: usize,
    /// Oldest sample timestamp (ms), if any.
    pub min_time: Option<i64>,
    /// Newest sample timestamp (ms), if any.
    pub max_time: Option<i64>,
    /// Top series counts per metric name.
    pub series_count_by_metric_name: Vec<(String, u64)>,
    /// Top distinct-value counts per label name.
    pub label_value_count_by_label_name: Vec<(String, u64)>,
    /// Top bytes of distinct values per label name.
    pub memory_in_bytes_by_label_name: Vec<(String, u64)>,
    /// Top series counts per `name=value` pair.
    pub series_count_by_label_value_pair: Vec<(String, u64)>,
}

fn top(mut v: Vec<(String, u64)>, limit: usize) -> Vec<(String, u64)> {
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(limit);
    v
}

impl Tsdb {
    /// An empty head.
    pub fn new(opts: HeadOptions) -> Self {
        Tsdb {
            index: RwLock::new(Index::default()),
            counters: Counters::default(),
            opts,
            min_valid_t: AtomicI64::new(i64::MIN),
        }
    }

    pub(crate) fn read(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn write(&self) -> std::sync::RwLockWriteGuard<'_, Index> {
        self.index.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Creates a series under the write lock (re-checking for a racing creator).
    pub(crate) fn create_series(
        &self,
        idx: &mut Index,
        hash: u64,
        labels: &Labels,
    ) -> Result<SeriesRef> {
        if let Some(r) = idx.find(hash, labels) {
            return Ok(r);
        }
        if labels.is_empty() {
            return Err(Error::InvalidLabels("empty label set".into()));
        }
        if idx.series.len() >= self.opts.max_series {
            self.counters
                .series_limit_rejected
                .fetch_add(1, Ordering::Relaxed);
            return Err(Error::SeriesLimit {
                limit: self.opts.max_series,
            });
        }
        let syms: Box<[(Sym, Sym)]> = labels
            .iter()
            .map(|(n, v)| (idx.symbols.intern(n), idx.symbols.intern(v)))
            .collect();
        let r = idx.next_ref;
        idx.next_ref += 1;
        idx.postings.add(r, &syms);
        idx.by_hash.entry(hash).or_default().push(r);
        idx.series.insert(
            r,
            MemSeries {
                labels: syms,
                hash,
                data: Mutex::new(SeriesData {
                    frozen: Vec::new(),
                    head: XorChunk::new(),
                    last_t: i64::MIN,
                    last_v: 0,
                }),
            },
        );
        self.counters.series_created.fetch_add(1, Ordering::Relaxed);
        Ok(r)
    }

    /// Drops chunks entirely older than `min_t` and series left without
    /// samples; later samples older than `min_t` are rejected as out of bounds.
    pub fn truncate(&self, min_t: i64) -> TruncateStats {
        self.min_valid_t.fetch_max(min_t, Ordering::Relaxed);
        let mut stats = TruncateStats::default();
        let mut dead = Vec::new();
        {
            let idx = self.read();
            for (&r, s) in &idx.series {
                let mut d = s.data.lock().unwrap_or_else(|e| e.into_inner());
                let before = d.frozen.len();
                d.frozen.retain(|c| c.max_t() >= min_t);
                stats.chunks_removed += before - d.frozen.len();
                if d.frozen.is_empty() && d.last_t < min_t {
                    if !d.head.is_empty() {
                        stats.chunks_removed += 1;
                    }
                    dead.push(r);
                }
            }
        }
        if !dead.is_empty() {
            dead.sort_unstable();
            let mut idx = self.write();
            let mut pairs = Vec::new();
            let mut removed = Vec::new();
            for r in &dead {
                // Re-check under the write lock: a sample may have arrived.
                let alive = idx.series.get(r).is_none_or(|s| {
                    s.data.lock().unwrap_or_else(|e| e.into_inner()).last_t >= min_t
                });
                if alive {
                    continue;
                }
                let s = idx.series.remove(r).expect("checked above");
                if let Some(list) = idx.by_hash.get_mut(&s.hash) {
                    list.retain(|x| x != r);
                    if list.is_empty() {
                        idx.by_hash.remove(&s.hash);
                    }
                }
                pairs.extend_from_slice(&s.labels);
                for &(n, v) in s.labels.iter() {
                    idx.symbols.release(n);
                    idx.symbols.release(v);
                }
                removed.push(*r);
            }
            pairs.sort_unstable();
            pairs.dedup();
            idx.postings.remove(&removed, &pairs);
            stats.series_removed = removed.len();
        }
        self.counters
            .chunks_removed
            .fetch_add(stats.chunks_removed as u64, Ordering::Relaxed);
        self.counters
            .series_removed
            .fetch_add(stats.series_removed as u64, Ordering::Relaxed);
        stats
    }

    /// Number of series.
    pub fn num_series(&self) -> usize {
        self.read().series.len()
    }

    /// The configured series limit.
    pub fn max_series(&self) -> usize {
        self.opts.max_series
    }

    /// Counter snapshot.
    pub fn counters(&self) -> CounterSnapshot {
        let c = &self.counters;
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        CounterSnapshot {
            samples_appended: l(&c.samples_appended),
            out_of_order: l(&c.out_of_order),
            duplicates: l(&c.duplicates),
            out_of_bounds: l(&c.out_of_bounds),
            stale_markers: l(&c.stale_markers),
            series_created: l(&c.series_created),
            series_removed: l(&c.series_removed),
            series_limit_rejected: l(&c.series_limit_rejected),
            chunks_created: l(&c.chunks_created),
            chunks_removed: l(&c.chunks_removed),
        }
    }

    /// Bytes of encoded sample data (frozen and open chunks).
    pub fn chunk_bytes(&self) -> usize {
        let idx = self.read();
        idx.series
            .values()
            .map(|s| {
                let d = s.data.lock().unwrap_or_else(|e| e.into_inner());
                d.frozen.iter().map(FrozenChunk::byte_len).sum::<usize>() + d.head.byte_len()
            })
            .sum()
    }

    /// Statistics as `/api/v1/status/tsdb` reports them (top `limit` of each list).
    pub fn stats(&self, limit: usize) -> HeadStats {
        let idx = self.read();
        let mut st = HeadStats {
            num_series: idx.series.len(),
            ..Default::default()
        };
        let (mut min_t, mut max_t) = (i64::MAX, i64::MIN);
        for s in idx.series.values() {
            let d = s.data.lock().unwrap_or_else(|e| e.into_inner());
            st.num_chunks += d.frozen.len() + usize::from(!d.head.is_empty());
            let first = d
                .frozen
                .first()
                .map(FrozenChunk::min_t)
                .or((!d.head.is_empty()).then(|| d.head.min_t()));
            if let Some(f) = first {
                min_t = min_t.min(f);
                max_t = max_t.max(d.last_t);
            }
        }
        if min_t <= max_t {
            st.min_time = Some(min_t);
            st.max_time = Some(max_t);
        }
        let sym = |s: Sym| idx.symbols.get(s).to_string();
        let mut by_metric = Vec::new();
        let mut value_counts = Vec::new();
        let mut memory = Vec::new();
        let mut pairs = Vec::new();
        let name_sym = idx.symbols.lookup(crate::labels::METRIC_NAME);
        for n in idx.postings.names() {
            let mut count = 0u64;
            let mut bytes = 0u64;
            for (v, list) in idx.postings.values(n) {
                count += 1;
                st.num_label_pairs += 1;
                bytes += idx.symbols.get(v).len() as u64;
                pairs.push((format!("{}={}", sym(n), sym(v)), list.len() as u64));
                if Some(n) == name_sym {
                    by_metric.push((sym(v), list.len() as u64));
                }
            }
            value_counts.push((sym(n), count));
            memory.push((sym(n), bytes));
        }
        st.series_count_by_metric_name = top(by_metric, limit);
        st.label_value_count_by_label_name = top(value_counts, limit);
        st.memory_in_bytes_by_label_name = top(memory, limit);
        st.series_count_by_label_value_pair = top(pairs, limit);
        st
    }
}
