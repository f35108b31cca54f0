//! Interned strings with reference counts: span names, service names,
//! attribute keys and string values are stored once and referred to by a
//! 32-bit id; an id is freed (and later reused) when the last span, resource
//! or scope holding it is evicted.

use std::sync::Arc;

use crate::hash::{FastMap, hash_str};

/// An interned string's id.
pub(super) type StrId = u32;

#[derive(Default)]
pub(super) struct Strings {
    strs: Vec<Option<Arc<str>>>,
    refs: Vec<u32>,
    /// hash → the id holding a string with that hash.
    lookup: FastMap<u64, StrId>,
    /// Strings whose hash collides with another held string.
    collided: FastMap<Arc<str>, StrId>,
    free: Vec<StrId>,
}

impl Strings {
    /// Ids in use.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.strs.len() - self.free.len()
    }

    /// Whether `extra` more ids fit into 32 bits.
    pub(super) fn has_room(&self, extra: usize) -> bool {
        self.strs.len().saturating_add(extra) < u32::MAX as usize
    }

    /// The id of `s`, adding it if new; takes one reference. `arc` is reused
    /// as the stored copy when given (no new allocation).
    pub(super) fn intern(&mut self, s: &str, arc: Option<&Arc<str>>) -> StrId {
        self.intern_hashed(s, hash_str(s), arc)
    }

    /// [`Strings::intern`] with the string's hash (`hash_str`) known.
    pub(super) fn intern_hashed(&mut self, s: &str, h: u64, arc: Option<&Arc<str>>) -> StrId {
        debug_assert_eq!(h, hash_str(s));
        if let Some(&id) = self.lookup.get(&h) {
            if self.strs[id as usize].as_deref() == Some(s) {
                self.refs[id as usize] += 1;
                return id;
            }
            if let Some(&id) = self.collided.get(s) {
                self.refs[id as usize] += 1;
                return id;
            }
            let id = self.alloc(s, arc);
            let stored = self.strs[id as usize]
                .clone()
                .unwrap_or_else(|| Arc::from(s));
            self.collided.insert(stored, id);
            return id;
        }
        let id = self.alloc(s, arc);
        self.lookup.insert(h, id);
        id
    }

    fn alloc(&mut self, s: &str, arc: Option<&Arc<str>>) -> StrId {
        let v = arc.cloned().unwrap_or_else(|| Arc::from(s));
        match self.free.pop() {
            Some(id) => {
                self.strs[id as usize] = Some(v);
                self.refs[id as usize] = 1;
                id
            }
            None => {
                // `has_room` is checked before every span, so this fits.
                let id = self.strs.len() as StrId;
                self.strs.push(Some(v));
                self.refs.push(1);
                id
            }
        }
    }

    /// The id of `s` if held (no reference taken).
    pub(super) fn get(&self, s: &str) -> Option<StrId> {
        let id = *self.lookup.get(&hash_str(s))?;
        if self.strs[id as usize].as_deref() == Some(s) {
            return Some(id);
        }
        self.collided.get(s).copied()
    }

    /// The string of a held id.
    pub(super) fn arc(&self, id: StrId) -> &Arc<str> {
        self.strs
            .get(id as usize)
            .and_then(Option::as_ref)
            .unwrap_or(&EMPTY_ARC)
    }

    /// Drops one reference; frees the id with its last one.
    pub(super) fn release(&mut self, id: StrId) {
        let i = id as usize;
        debug_assert!(self.refs[i] > 0, "release of a free string id");
        self.refs[i] = self.refs[i].saturating_sub(1);
        if self.refs[i] > 0 {
            return;
        }
        if let Some(s) = self.strs[i].take() {
            let h = hash_str(&s);
            if self.lookup.get(&h) == Some(&id) {
                self.lookup.remove(&h);
            } else {
                self.collided.remove(&*s);
            }
        }
        self.free.push(id);
    }
}

static EMPTY_ARC: std::sync::LazyLock<Arc<str>> = std::sync::LazyLock::new(|| Arc::from(""));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_shared_counted_and_freed_with_their_last_reference() {
        let mut t = Strings::default();
        let a = t.intern("GET", None);
        let b = t.intern("GET", None);
        assert_eq!(a, b);
        assert_eq!(t.get("GET"), Some(a));
        assert_eq!(t.len(), 1);
        t.release(a);
        assert_eq!(t.get("GET"), Some(a));
        t.release(a);
        assert_eq!(t.get("GET"), None);
        assert_eq!(t.len(), 0);
        let c = t.intern("POST", None);
        assert_eq!(c, a, "a freed id is reused");
        assert_eq!(&**t.arc(c), "POST");
    }

    #[test]
    fn a_hash_collision_keeps_both_strings_apart() {
        let mut t = Strings::default();
        let a = t.intern("x", None);
        // Force a collision: point the hash of "y" at the id of "x".
        let h = hash_str("y");
        t.lookup.insert(h, a);
        let b = t.intern("y", None);
        assert_ne!(a, b);
        assert_eq!(t.get("y"), Some(b));
        assert_eq!(t.intern("y", None), b);
        t.release(b);
        t.release(b);
        assert_eq!(t.get("y"), None);
        assert_eq!(t.get("x"), Some(a));
    }
}
