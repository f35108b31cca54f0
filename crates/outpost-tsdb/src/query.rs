//! Reading the head: series selection by matchers and time range, per-series
//! sample iterators, label names and values.

use std::collections::BTreeSet;

use crate::chunk::{ChunkIter, FrozenChunk, XorChunk};
use crate::head::Tsdb;
use crate::labels::Labels;
use crate::matcher::Matcher;

/// The chunks of one series overlapping a query, detached from the head.
#[derive(Debug, Clone)]
enum ChunkRef {
    Frozen(FrozenChunk),
    Open(XorChunk),
}

impl ChunkRef {
    fn iter(&self) -> ChunkIter<'_> {
        match self {
            ChunkRef::Frozen(c) => c.iter(),
            ChunkRef::Open(c) => c.iter(),
        }
    }
}

/// One selected series with its samples in the queried range.
#[derive(Debug, Clone)]
pub struct Series {
    /// The series' labels.
    pub labels: Labels,
    chunks: Vec<ChunkRef>,
    mint: i64,
    maxt: i64,
}

impl Series {
    /// Samples with `mint <= t <= maxt`, in time order.
    pub fn samples(&self) -> impl Iterator<Item = (i64, f64)> + '_ {
        let (mint, maxt) = (self.mint, self.maxt);
        self.chunks
            .iter()
            .flat_map(ChunkRef::iter)
            .skip_while(move |(t, _)| *t < mint)
            .take_while(move |(t, _)| *t <= maxt)
    }
}

impl Tsdb {
    /// Series matching every matcher with samples in `[mint, maxt]`, sorted by labels.
    pub fn select(&self, matchers: &[Matcher], mint: i64, maxt: i64) -> Vec<Series> {
        let idx = self.read();
        let refs = idx.postings.select(&idx.symbols, matchers);
        let mut out = Vec::with_capacity(refs.len());
        for r in refs {
            let Some(s) = idx.series.get(&r) else {
                continue;
            };
            let d = s.data.lock().unwrap_or_else(|e| e.into_inner());
            let mut chunks: Vec<ChunkRef> = d
                .frozen
                .iter()
                .filter(|c| c.max_t() >= mint && c.min_t() <= maxt)
                .cloned()
                .map(ChunkRef::Frozen)
                .collect();
            if !d.head.is_empty() && d.head.max_t() >= mint && d.head.min_t() <= maxt {
                chunks.push(ChunkRef::Open(d.head.clone()));
            }
            drop(d);
            if chunks.is_empty() {
                continue;
            }
            out.push(Series {
                labels: idx.labels_of(s),
                chunks,
                mint,
                maxt,
            });
        }
        drop(idx);
        out.sort_by(|a, b| a.labels.cmp(&b.labels));
        out
    }

    /// Label sets of the series matching `matchers` in `[mint, maxt]`, sorted.
    pub fn series(&self, matchers: &[Matcher], mint: i64, maxt: i64) -> Vec<Labels> {
        self.select(matchers, mint, maxt)
            .into_iter()
            .map(|s| s.labels)
            .collect()
    }

    /// Label names, sorted; restricted to matching series in range when matchers are given.
    pub fn label_names(&self, matchers: &[Matcher], mint: i64, maxt: i64) -> Vec<String> {
        if matchers.is_empty() {
            let idx = self.read();
            let mut v: Vec<String> = idx
                .postings
                .names()
                .map(|n| idx.symbols.get(n).to_string())
                .collect();
            v.sort();
            return v;
        }
        let set: BTreeSet<String> = self
            .select(matchers, mint, maxt)
            .iter()
            .flat_map(|s| {
                s.labels
                    .iter()
                    .map(|(n, _)| n.to_string())
                    .collect::<Vec<_>>()
            })
            .collect();
        set.into_iter().collect()
    }

    /// Values of a label, sorted; restricted to matching series in range when matchers are given.
    pub fn label_values(
        &self,
        name: &str,
        matchers: &[Matcher],
        mint: i64,
        maxt: i64,
    ) -> Vec<String> {
        if matchers.is_empty() {
            let idx = self.read();
            let Some(n) = idx.symbols.lookup(name) else {
                return Vec::new();
            };
            let mut v: Vec<String> = idx
                .postings
                .values(n)
                .map(|(v, _)| idx.symbols.get(v).to_string())
                .collect();
            v.sort();
            return v;
        }
        let set: BTreeSet<String> = self
            .select(matchers, mint, maxt)
            .iter()
            .filter_map(|s| s.labels.get(name).map(str::to_string))
            .collect();
        set.into_iter().collect()
    }
}
