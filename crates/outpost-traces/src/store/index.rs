//! The search index: for each term (service, operation, span kind, status,
//! and every attribute key and value of spans, events, links, scopes and
//! resources) the trace sequence numbers that hold it, ascending. A term is
//! a 64-bit hash; a collision only adds candidates, since every candidate
//! trace is checked span by span (`matching.rs`). Evicted traces leave
//! their numbers at the front of the lists until the next sweep; readers
//! skip numbers below the oldest trace held.

use std::borrow::Cow;

use crate::hash::FastMap;

/// The trace numbers of one term, ascending.
#[derive(Clone, Debug)]
pub(super) enum Posting {
    One(u64),
    /// Boxed so that a posting is 16 bytes: most terms (unique values)
    /// have one trace.
    Many(Box<Many>),
}

/// A posting with more than one trace. Numbers arrive mostly in order
/// (new traces); a span of an older trace that brings a new term (a
/// service whose exporter sends seconds later) goes to `late`, a small
/// sorted side list merged into `sorted` once it grows, so such writes do
/// not shift a long list each time.
#[derive(Clone, Debug, Default)]
pub(super) struct Many {
    sorted: Vec<u64>,
    late: Vec<u64>,
}

impl Many {
    fn late_cap(&self) -> usize {
        64.max(self.sorted.len() / 256)
    }

    fn add(&mut self, seq: u64) {
        match self.sorted.last() {
            Some(&l) if l == seq => return,
            Some(&l) if l < seq => {
                self.sorted.push(seq);
                return;
            }
            None => {
                self.sorted.push(seq);
                return;
            }
            Some(_) => {}
        }
        if self.sorted.binary_search(&seq).is_ok() {
            return;
        }
        if let Err(i) = self.late.binary_search(&seq) {
            self.late.insert(i, seq);
        }
        if self.late.len() >= self.late_cap() {
            self.sorted = merge(&self.sorted, &self.late);
            self.late = Vec::new();
        }
    }
}

/// Merges two sorted lists without duplicates.
fn merge(a: &[u64], b: &[u64]) -> Vec<u64> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

fn from(s: &[u64], base: u64) -> &[u64] {
    &s[s.partition_point(|&x| x < base)..]
}

impl Posting {
    /// The live numbers (≥ `base`), borrowed when no late numbers wait.
    fn live(&self, base: u64) -> Cow<'_, [u64]> {
        match self {
            Posting::One(x) => Cow::Borrowed(from(std::slice::from_ref(x), base)),
            Posting::Many(m) => {
                let late = from(&m.late, base);
                if late.is_empty() {
                    Cow::Borrowed(from(&m.sorted, base))
                } else {
                    Cow::Owned(merge(from(&m.sorted, base), late))
                }
            }
        }
    }

    fn add(&mut self, seq: u64) {
        match self {
            Posting::One(x) => {
                if *x != seq {
                    let (a, b) = if *x < seq { (*x, seq) } else { (seq, *x) };
                    *self = Posting::Many(Box::new(Many {
                        sorted: vec![a, b],
                        late: Vec::new(),
                    }));
                }
            }
            Posting::Many(m) => m.add(seq),
        }
    }

    /// Drops numbers below `base`; false when nothing is left.
    fn prune(&mut self, base: u64) -> bool {
        match self {
            Posting::One(x) => *x >= base,
            Posting::Many(m) => {
                if !m.late.is_empty() {
                    m.sorted = merge(&m.sorted, &m.late);
                    m.late = Vec::new();
                }
                let cut = m.sorted.partition_point(|&s| s < base);
                if cut > 0 {
                    m.sorted.drain(..cut);
                }
                match m.sorted.len() {
                    0 => false,
                    1 => {
                        *self = Posting::One(m.sorted[0]);
                        true
                    }
                    n => {
                        if m.sorted.capacity() > 2 * n + 4 {
                            m.sorted.shrink_to_fit();
                        }
                        true
                    }
                }
            }
        }
    }
}

#[derive(Default)]
pub(super) struct Index {
    terms: FastMap<u64, Posting>,
}

impl Index {
    pub(super) fn add(&mut self, term: u64, seq: u64) {
        self.terms
            .entry(term)
            .and_modify(|p| p.add(seq))
            .or_insert(Posting::One(seq));
    }

    /// The live numbers (≥ `base`) of a term.
    pub(super) fn get(&self, term: u64, base: u64) -> Cow<'_, [u64]> {
        match self.terms.get(&term) {
            Some(p) => p.live(base),
            None => Cow::Borrowed(&[]),
        }
    }

    /// Drops evicted numbers everywhere and frees terms left empty.
    pub(super) fn sweep(&mut self, base: u64) {
        self.terms.retain(|_, p| p.prune(base));
        if self.terms.capacity() > 2 * self.terms.len() + 64 {
            self.terms.shrink_to_fit();
        }
    }

    /// Terms held (for tests and stats).
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.terms.len()
    }
}

/// The union of sorted lists, sorted and without duplicates.
pub(super) fn union(lists: &[&[u64]]) -> Vec<u64> {
    let mut out: Vec<u64> = lists.iter().flat_map(|l| l.iter().copied()).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Walks the intersection of sorted lists from the largest number down,
/// calling `visit` until it returns false.
pub(super) fn intersect_desc(lists: &[&[u64]], mut visit: impl FnMut(u64) -> bool) {
    let Some((driver, others)) = lists.split_first() else {
        return;
    };
    let mut his: Vec<usize> = others.iter().map(|l| l.len()).collect();
    'outer: for &seq in driver.iter().rev() {
        for (l, hi) in others.iter().zip(his.iter_mut()) {
            let s = &l[..*hi];
            let p = s.partition_point(|&x| x <= seq);
            if p == 0 {
                // Nothing at or below `seq` in this list: no further match.
                break 'outer;
            }
            *hi = p;
            if s[p - 1] != seq {
                continue 'outer;
            }
        }
        if !visit(seq) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postings_stay_sorted_unique_and_prune_evicted_numbers() {
        let mut ix = Index::default();
        for s in [5, 5, 7, 3, 9, 7, 3] {
            ix.add(1, s);
        }
        assert_eq!(*ix.get(1, 0), [3, 5, 7, 9]);
        assert_eq!(*ix.get(1, 6), [7, 9]);
        assert_eq!(*ix.get(2, 0), [] as [u64; 0]);
        ix.add(2, 4);
        ix.sweep(8);
        assert_eq!(*ix.get(1, 0), [9]);
        assert_eq!(ix.len(), 1, "the term with only evicted numbers is gone");
    }

    #[test]
    fn late_numbers_wait_aside_and_merge_in_order() {
        let mut ix = Index::default();
        for s in (1000..3000).step_by(2) {
            ix.add(7, s);
        }
        // Older traces gaining the term: odd numbers, in reverse.
        let mut want: Vec<u64> = (1000..3000).step_by(2).collect();
        let late: Vec<u64> = (1001..1301).step_by(2).collect();
        for &s in late.iter().rev() {
            ix.add(7, s);
            ix.add(7, s);
            want.push(s);
        }
        want.sort_unstable();
        assert_eq!(*ix.get(7, 0), *want);
        let Some(Posting::Many(m)) = ix.terms.get(&7) else {
            panic!("a long posting")
        };
        assert!(!m.late.is_empty() && m.late.len() < 64, "{}", m.late.len());
        assert_eq!(
            *ix.get(7, 1200),
            *want
                .iter()
                .copied()
                .filter(|&s| s >= 1200)
                .collect::<Vec<_>>()
        );
        ix.sweep(1100);
        assert_eq!(
            *ix.get(7, 0),
            *want
                .iter()
                .copied()
                .filter(|&s| s >= 1100)
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn intersection_walks_newest_first_and_stops_on_request() {
        let a = [1, 3, 4, 6, 8, 10];
        let b = [2, 3, 6, 7, 8, 11];
        let c = [3, 6, 8, 9];
        let mut got = Vec::new();
        intersect_desc(&[&c, &a, &b], |s| {
            got.push(s);
            true
        });
        assert_eq!(got, [8, 6, 3]);
        let mut got = Vec::new();
        intersect_desc(&[&c, &a, &b], |s| {
            got.push(s);
            got.len() < 2
        });
        assert_eq!(got, [8, 6]);
        assert_eq!(union(&[&[1, 4], &[2, 4, 5]]), [1, 2, 4, 5]);
        let mut n = 0;
        intersect_desc(&[&[5], &[]], |_| {
            n += 1;
            true
        });
        assert_eq!(n, 0);
    }
}
