//! Label sets: the owned [`Labels`] type of the public API, and the interned
//! symbol table the head stores series labels in.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// The label holding the metric name.
pub const METRIC_NAME: &str = "__name__";

/// A sorted, duplicate-free set of label pairs (names and values non-empty).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Labels(Vec<(Arc<str>, Arc<str>)>);

impl Labels {
    /// Builds a label set: sorts by name, drops empty values (an empty value
    /// means "absent" in Prometheus). Duplicate names are an error.
    pub fn from_pairs<N: AsRef<str>, V: AsRef<str>>(
        pairs: impl IntoIterator<Item = (N, V)>,
    ) -> Result<Self, String> {
        let mut v: Vec<(Arc<str>, Arc<str>)> = pairs
            .into_iter()
            .filter(|(_, val)| !val.as_ref().is_empty())
            .map(|(n, val)| (Arc::from(n.as_ref()), Arc::from(val.as_ref())))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(w) = v.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(format!("label name {:?} is not unique", &*w[0].0));
        }
        Ok(Labels(v))
    }

    pub(crate) fn from_sorted(v: Vec<(Arc<str>, Arc<str>)>) -> Self {
        debug_assert!(v.windows(2).all(|w| w[0].0 < w[1].0));
        Labels(v)
    }

    /// Value of a label, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(n, _)| (**n).cmp(name))
            .ok()
            .map(|i| &*self.0[i].1)
    }

    /// The metric name (`__name__`), if present.
    pub fn metric_name(&self) -> Option<&str> {
        self.get(METRIC_NAME)
    }

    /// Iterates `(name, value)` in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (&**n, &**v))
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no labels.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Labels {
    /// Prometheus' notation: `name{a="1", b="2"}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(n) = self.metric_name() {
            f.write_str(n)?;
        }
        f.write_str("{")?;
        let mut first = true;
        for (n, v) in self.iter().filter(|(n, _)| *n != METRIC_NAME) {
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            write!(f, "{n}={v:?}")?;
        }
        f.write_str("}")
    }
}

/// Interned string id.
pub(crate) type Sym = u32;

/// Interned strings with reference counts, so symbols of deleted series are freed.
#[derive(Debug, Default)]
pub(crate) struct Symbols {
    ids: HashMap<Arc<str>, Sym>,
    strings: Vec<Option<(Arc<str>, u32)>>,
    free: Vec<Sym>,
}

impl Symbols {
    /// Interns `s`, adding a reference.
    pub(crate) fn intern(&mut self, s: &str) -> Sym {
        if let Some(&id) = self.ids.get(s) {
            if let Some((_, rc)) = &mut self.strings[id as usize] {
                *rc += 1;
            }
            return id;
        }
        let arc: Arc<str> = Arc::from(s);
        let id = match self.free.pop() {
            Some(id) => {
                self.strings[id as usize] = Some((arc.clone(), 1));
                id
            }
            None => {
                self.strings.push(Some((arc.clone(), 1)));
                (self.strings.len() - 1) as Sym
            }
        };
        self.ids.insert(arc, id);
        id
    }

    /// Looks a string up without adding a reference.
    pub(crate) fn lookup(&self, s: &str) -> Option<Sym> {
        self.ids.get(s).copied()
    }

    /// Drops a reference; the string is freed with its last reference.
    pub(crate) fn release(&mut self, id: Sym) {
        let slot = &mut self.strings[id as usize];
        if let Some((s, rc)) = slot {
            *rc -= 1;
            if *rc == 0 {
                self.ids.remove(&**s);
                *slot = None;
                self.free.push(id);
            }
        }
    }

    /// The string of a symbol.
    pub(crate) fn get(&self, id: Sym) -> &Arc<str> {
        &self.strings[id as usize].as_ref().expect("live symbol").0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_sort_drop_empty_and_reject_duplicates() {
        let l = Labels::from_pairs([("job", "api"), ("__name__", "up"), ("empty", "")]).unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!(l.metric_name(), Some("up"));
        assert_eq!(l.to_string(), "up{job=\"api\"}");
        assert!(Labels::from_pairs([("a", "1"), ("a", "2")]).is_err());
    }

    #[test]
    fn symbols_are_freed_with_their_last_reference() {
        let mut s = Symbols::default();
        let a = s.intern("a");
        assert_eq!(s.intern("a"), a);
        s.release(a);
        assert_eq!(s.lookup("a"), Some(a));
        s.release(a);
        assert_eq!(s.lookup("a"), None);
        let b = s.intern("b");
        assert_eq!(b, a, "slot reused");
        assert_eq!(&**s.get(b), "b");
    }
}
