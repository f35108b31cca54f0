//! The postings index: for every label pair, the sorted list of series
//! holding it, plus sorted-list set operations to resolve matchers.

use std::collections::HashMap;

use crate::labels::{Sym, Symbols};
use crate::matcher::{MatchType, Matcher};

/// Series id; assigned in increasing order and never reused, so appending to
/// a postings list keeps it sorted.
pub type SeriesRef = u64;

/// Label pair → series lists.
#[derive(Debug, Default)]
pub(crate) struct Postings {
    by_name: HashMap<Sym, HashMap<Sym, Vec<SeriesRef>>>,
    all: Vec<SeriesRef>,
}

impl Postings {
    pub(crate) fn add(&mut self, r: SeriesRef, labels: &[(Sym, Sym)]) {
        debug_assert!(self.all.last().is_none_or(|&l| l < r));
        self.all.push(r);
        for &(n, v) in labels {
            self.by_name
                .entry(n)
                .or_default()
                .entry(v)
                .or_default()
                .push(r);
        }
    }

    /// Removes a batch of series (sorted refs) with their label pairs.
    pub(crate) fn remove(&mut self, refs: &[SeriesRef], pairs: &[(Sym, Sym)]) {
        let gone = |r: &SeriesRef| refs.binary_search(r).is_ok();
        self.all.retain(|r| !gone(r));
        for &(n, v) in pairs {
            let Some(values) = self.by_name.get_mut(&n) else {
                continue;
            };
            if let Some(list) = values.get_mut(&v) {
                list.retain(|r| !gone(r));
                if list.is_empty() {
                    values.remove(&v);
                }
            }
            if values.is_empty() {
                self.by_name.remove(&n);
            }
        }
    }

    /// Label names with at least one series.
    pub(crate) fn names(&self) -> impl Iterator<Item = Sym> + '_ {
        self.by_name.keys().copied()
    }

    /// Values of a label name with their series lists.
    pub(crate) fn values(&self, name: Sym) -> impl Iterator<Item = (Sym, &Vec<SeriesRef>)> + '_ {
        self.by_name
            .get(&name)
            .into_iter()
            .flat_map(|m| m.iter().map(|(v, l)| (*v, l)))
    }

    fn list(&self, name: Sym, value: Sym) -> &[SeriesRef] {
        self.by_name
            .get(&name)
            .and_then(|m| m.get(&value))
            .map_or(&[], Vec::as_slice)
    }

    /// Series whose value of `m.name` is non-empty and accepted by `accept`.
    fn union_where(
        &self,
        symbols: &Symbols,
        m: &Matcher,
        accept: impl Fn(&str) -> bool,
    ) -> Vec<SeriesRef> {
        let Some(name) = symbols.lookup(&m.name) else {
            return Vec::new();
        };
        let lists: Vec<&[SeriesRef]> = self
            .values(name)
            .filter(|(v, _)| accept(symbols.get(*v)))
            .map(|(_, l)| l.as_slice())
            .collect();
        union(&lists)
    }

    /// The series a single matcher selects.
    fn resolve_one(&self, symbols: &Symbols, m: &Matcher) -> Vec<SeriesRef> {
        let matches_empty = m.matches("");
        // Fast path: equality or literal alternation, looked up directly.
        if let Some(values) = m.literal_values()
            && !matches_empty
        {
            let Some(name) = symbols.lookup(&m.name) else {
                return Vec::new();
            };
            let lists: Vec<&[SeriesRef]> = values
                .iter()
                .filter_map(|v| symbols.lookup(v))
                .map(|v| self.list(name, v))
                .collect();
            return union(&lists);
        }
        match (m.kind, matches_empty) {
            // Positive matchers not matching "": union of accepted values.
            (MatchType::Equal | MatchType::Regex, false) => {
                self.union_where(symbols, m, |v| m.matches(v))
            }
            // Negative matchers not matching "" (e.g. `!~".*"`-like): same.
            (MatchType::NotEqual | MatchType::NotRegex, false) => {
                self.union_where(symbols, m, |v| m.matches(v))
            }
            // Matchers accepting "" also select series without the label:
            // everything minus the series whose value is rejected.
            (_, true) => {
                let rejected = self.union_where(symbols, m, |v| !m.matches(v));
                subtract(&self.all, &rejected)
            }
        }
    }

    /// Resolves matchers (all must match) to a sorted series list.
    pub(crate) fn select(&self, symbols: &Symbols, matchers: &[Matcher]) -> Vec<SeriesRef> {
        if matchers.is_empty() {
            return self.all.clone();
        }
        // Narrow matchers first: those not matching "" restrict the most.
        let mut ordered: Vec<&Matcher> = matchers.iter().collect();
        ordered.sort_by_key(|m| m.matches(""));
        let mut acc = self.resolve_one(symbols, ordered[0]);
        for m in &ordered[1..] {
            if acc.is_empty() {
                break;
            }
            let next = self.resolve_one(symbols, m);
            acc = intersect(&acc, &next);
        }
        acc
    }
}

/// Sorted union of sorted lists.
pub(crate) fn union(lists: &[&[SeriesRef]]) -> Vec<SeriesRef> {
    match lists {
        [] => Vec::new(),
        [one] => one.to_vec(),
        _ => {
            let mut out: Vec<SeriesRef> = Vec::with_capacity(lists.iter().map(|l| l.len()).sum());
            for l in lists {
                out.extend_from_slice(l);
            }
            out.sort_unstable();
            out.dedup();
            out
        }
    }
}

/// Sorted intersection.
pub(crate) fn intersect(a: &[SeriesRef], b: &[SeriesRef]) -> Vec<SeriesRef> {
    let (mut i, mut j, mut out) = (0, 0, Vec::with_capacity(a.len().min(b.len())));
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// Sorted difference `a - b`.
pub(crate) fn subtract(a: &[SeriesRef], b: &[SeriesRef]) -> Vec<SeriesRef> {
    let (mut j, mut out) = (0, Vec::with_capacity(a.len()));
    for &x in a {
        while j < b.len() && b[j] < x {
            j += 1;
        }
        if j >= b.len() || b[j] != x {
            out.push(x);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_operations() {
        assert_eq!(union(&[&[1, 3, 5], &[2, 3, 6]]), vec![1, 2, 3, 5, 6]);
        assert_eq!(intersect(&[1, 3, 5, 7], &[3, 4, 5]), vec![3, 5]);
        assert_eq!(subtract(&[1, 2, 3, 4], &[2, 4, 9]), vec![1, 3]);
        assert_eq!(subtract(&[1, 2], &[]), vec![1, 2]);
    }
}
