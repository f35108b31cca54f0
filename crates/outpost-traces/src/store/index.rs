//! The search index: for each term (service, operation, span kind, status,
//! and every attribute key and value of spans, events, links, scopes and
//! resources) the trace sequence numbers that hold it, ascending. A term is
//! a 64-bit hash; a collision only adds candidates, since every candidate
//! trace is checked span by span (`matching.rs`). Evicted traces leave
//! their numbers at the front of the lists until the next sweep; readers
//! skip numbers below the oldest trace held.

use super::hash::FastMap;

/// The trace numbers of one term, ascending.
#[derive(Clone, Debug)]
pub(super) enum Posting {
    One(u64),
    /// Boxed so that a posting is 16 bytes: most terms (unique values)
    /// have one trace.
    #[allow(
        clippy::box_collection,
        reason = "keeps the common one-trace posting at 16 bytes"
    )]
    Many(Box<Vec<u64>>),
}

impl Posting {
    pub(super) fn as_slice(&self) -> &[u64] {
        match self {
            Posting::One(x) => std::slice::from_ref(x),
            Posting::Many(v) => v,
        }
    }

    fn add(&mut self, seq: u64) {
        match self {
            Posting::One(x) => {
                if *x != seq {
                    let (a, b) = if *x < seq { (*x, seq) } else { (seq, *x) };
                    *self = Posting::Many(Box::new(vec![a, b]));
                }
            }
            Posting::Many(v) => match v.last() {
                Some(&l) if l == seq => {}
                Some(&l) if l < seq => v.push(seq),
                None => v.push(seq),
                Some(_) => {
                    // A span of an older trace: insert in place (close to
                    // the end in practice).
                    if let Err(i) = v.binary_search(&seq) {
                        v.insert(i, seq);
                    }
                }
            },
        }
    }

    /// Drops numbers below `base`; false when nothing is left.
    fn prune(&mut self, base: u64) -> bool {
        match self {
            Posting::One(x) => *x >= base,
            Posting::Many(v) => {
                let cut = v.partition_point(|&s| s < base);
                if cut > 0 {
                    v.drain(..cut);
                }
                if v.len() == 1 {
                    *self = Posting::One(v[0]);
                } else if v.capacity() > 2 * v.len() + 4 {
                    v.shrink_to_fit();
                }
                !self.as_slice().is_empty()
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
    pub(super) fn get(&self, term: u64, base: u64) -> &[u64] {
        match self.terms.get(&term) {
            Some(p) => {
                let s = p.as_slice();
                &s[s.partition_point(|&x| x < base)..]
            }
            None => &[],
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
        assert_eq!(ix.get(1, 0), [3, 5, 7, 9]);
        assert_eq!(ix.get(1, 6), [7, 9]);
        assert_eq!(ix.get(2, 0), [] as [u64; 0]);
        ix.add(2, 4);
        ix.sweep(8);
        assert_eq!(ix.get(1, 0), [9]);
        assert_eq!(ix.len(), 1, "the term with only evicted numbers is gone");
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
