//! Compact per-span storage. A stored span is 80 bytes plus 16 bytes per
//! attribute: strings become interned ids ([`Strings`]), the resource and
//! scope become ids into deduplicated tables ([`Shared`]), and the rarely
//! set parts (events, links, trace state, status message, dropped counts,
//! array/map/bytes values) live in one optional box. Reads rebuild the model
//! [`Span`] from it.

use std::sync::Arc;

use crate::model::{
    Event, KeyValue, Link, Resource, Scope, Span, SpanId, SpanKind, Status, StatusCode, TraceId,
    Value,
};

use super::strings::{StrId, Strings};
use crate::hash::{FastHasher, FastMap, hash_str, mix};

/// The type of an attribute value as stored.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub(super) enum Tag {
    Str,
    Int,
    Double,
    Bool,
    Empty,
    /// Array, map or bytes: `bits` indexes the owner's list of such values.
    Other,
}

/// One attribute: key id, value type and 64 bits of payload (string id,
/// integer, double bits, boolean, or an index).
#[derive(Clone, Copy, Debug)]
pub(super) struct Attr {
    pub(super) key: StrId,
    pub(super) tag: Tag,
    pub(super) bits: u64,
}

/// Term tags of the index (see `index.rs`).
pub(super) const T_SERVICE: u8 = 1;
pub(super) const T_OPERATION: u8 = 2;
pub(super) const T_KIND: u8 = 3;
pub(super) const T_STATUS: u8 = 4;
pub(super) const T_STR: u8 = 5;
pub(super) const T_INT: u8 = 6;
pub(super) const T_DOUBLE: u8 = 7;
pub(super) const T_BOOL: u8 = 8;
pub(super) const T_OTHER: u8 = 9;

/// The canonical bits of a double for the index (every NaN prints `NaN`).
pub(super) fn double_term_bits(d: f64) -> u64 {
    if d.is_nan() {
        f64::NAN.to_bits()
    } else {
        d.to_bits()
    }
}

/// The index term of one attribute, from its key hash and value.
pub(super) fn value_term(key_hash: u64, v: &Value) -> u64 {
    match v {
        Value::Str(s) => mix(T_STR, key_hash, hash_str(s)),
        Value::Int(i) => mix(T_INT, key_hash, *i as u64),
        Value::Double(d) => mix(T_DOUBLE, key_hash, double_term_bits(*d)),
        Value::Bool(b) => mix(T_BOOL, key_hash, u64::from(*b)),
        other => mix(T_OTHER, key_hash, hash_str(&other.as_string())),
    }
}

/// Encodes attributes, interning keys and strings; array/map/bytes values
/// are moved to `others` (or referred to by their position in `attrs` when
/// `others` is `None`). Calls `term` with each attribute's index term.
pub(super) fn encode_attrs(
    strings: &mut Strings,
    attrs: &mut [KeyValue],
    mut others: Option<&mut Vec<Value>>,
    mut term: impl FnMut(u64),
) -> Box<[Attr]> {
    let mut out = Vec::with_capacity(attrs.len());
    for (i, kv) in attrs.iter_mut().enumerate() {
        let kh = hash_str(&kv.key);
        let key = strings.intern_hashed(&kv.key, kh, Some(&kv.key));
        let (tag, bits) = match &kv.value {
            Value::Str(s) => {
                let vh = hash_str(s);
                term(mix(T_STR, kh, vh));
                (Tag::Str, u64::from(strings.intern_hashed(s, vh, Some(s))))
            }
            v => {
                term(value_term(kh, v));
                match v {
                    Value::Int(n) => (Tag::Int, *n as u64),
                    Value::Double(d) => (Tag::Double, d.to_bits()),
                    Value::Bool(b) => (Tag::Bool, u64::from(*b)),
                    Value::Empty => (Tag::Empty, 0),
                    _ => match others.as_deref_mut() {
                        Some(o) => {
                            o.push(std::mem::replace(&mut kv.value, Value::Empty));
                            (Tag::Other, (o.len() - 1) as u64)
                        }
                        None => (Tag::Other, i as u64),
                    },
                }
            }
        };
        out.push(Attr { key, tag, bits });
    }
    out.into_boxed_slice()
}

/// Releases the string ids an encoded attribute list holds.
pub(super) fn release_attrs(strings: &mut Strings, attrs: &[Attr]) {
    for a in attrs {
        strings.release(a.key);
        if a.tag == Tag::Str {
            strings.release(a.bits as StrId);
        }
    }
}

/// Rebuilds one attribute; `others` resolves `Tag::Other`.
pub(super) fn decode_attr(strings: &Strings, a: &Attr, others: &[Value]) -> KeyValue {
    let value = match a.tag {
        Tag::Str => Value::Str(strings.arc(a.bits as StrId).clone()),
        Tag::Int => Value::Int(a.bits as i64),
        Tag::Double => Value::Double(f64::from_bits(a.bits)),
        Tag::Bool => Value::Bool(a.bits != 0),
        Tag::Empty => Value::Empty,
        Tag::Other => others.get(a.bits as usize).cloned().unwrap_or(Value::Empty),
    };
    KeyValue {
        key: strings.arc(a.key).clone(),
        value,
    }
}

/// The parts of a span that are usually empty.
#[derive(Default)]
pub(super) struct SpanExtra {
    pub(super) trace_state: Box<str>,
    pub(super) status_message: Box<str>,
    pub(super) events: Vec<Event>,
    pub(super) links: Vec<Link>,
    pub(super) dropped: [u32; 3],
    /// Array, map and bytes attribute values (`Tag::Other`).
    pub(super) others: Vec<Value>,
}

/// One stored span (its trace id is the trace's).
pub(super) struct StoredSpan {
    pub(super) span_id: u64,
    pub(super) parent_span_id: u64,
    pub(super) start_ns: u64,
    pub(super) end_ns: u64,
    pub(super) name: StrId,
    pub(super) flags: u32,
    pub(super) resource: u32,
    pub(super) scope: u32,
    pub(super) kind: SpanKind,
    pub(super) status: StatusCode,
    pub(super) attrs: Box<[Attr]>,
    pub(super) extra: Option<Box<SpanExtra>>,
}

impl StoredSpan {
    pub(super) fn duration_ns(&self) -> u64 {
        self.end_ns.saturating_sub(self.start_ns)
    }

    pub(super) fn others(&self) -> &[Value] {
        self.extra.as_deref().map_or(&[], |e| &e.others)
    }

    pub(super) fn events(&self) -> &[Event] {
        self.extra.as_deref().map_or(&[], |e| &e.events)
    }

    pub(super) fn links(&self) -> &[Link] {
        self.extra.as_deref().map_or(&[], |e| &e.links)
    }
}

/// A model type kept in a deduplicated table (resources and scopes).
pub(super) trait SharedModel: PartialEq {
    /// The attributes.
    fn attributes(&self) -> &[KeyValue];
    /// Hashes the whole content.
    fn hash_content(&self, h: &mut FastHasher);
}

fn hash_value(h: &mut FastHasher, v: &Value) {
    use std::hash::Hasher;
    match v {
        Value::Str(s) => {
            h.write_u8(0);
            h.write(s.as_bytes());
        }
        Value::Bool(b) => h.write_u8(1 + u8::from(*b)),
        Value::Int(i) => {
            h.write_u8(3);
            h.write_u64(*i as u64);
        }
        Value::Double(d) => {
            h.write_u8(4);
            h.write_u64(d.to_bits());
        }
        Value::Bytes(b) => {
            h.write_u8(5);
            h.write(b);
        }
        Value::Array(a) => {
            h.write_u8(6);
            h.write_usize(a.len());
            for v in a {
                hash_value(h, v);
            }
        }
        Value::Map(m) => {
            h.write_u8(7);
            hash_attrs(h, m);
        }
        Value::Empty => h.write_u8(8),
    }
}

fn hash_attrs(h: &mut FastHasher, attrs: &[KeyValue]) {
    use std::hash::Hasher;
    h.write_usize(attrs.len());
    for kv in attrs {
        h.write(kv.key.as_bytes());
        hash_value(h, &kv.value);
    }
}

impl SharedModel for Resource {
    fn attributes(&self) -> &[KeyValue] {
        &self.attributes
    }

    fn hash_content(&self, h: &mut FastHasher) {
        use std::hash::Hasher;
        h.write(self.service.as_bytes());
        hash_attrs(h, &self.attributes);
        h.write_u32(self.dropped_attributes_count);
        h.write(self.schema_url.as_bytes());
    }
}

impl SharedModel for Scope {
    fn attributes(&self) -> &[KeyValue] {
        &self.attributes
    }

    fn hash_content(&self, h: &mut FastHasher) {
        use std::hash::Hasher;
        h.write(self.name.as_bytes());
        h.write(self.version.as_bytes());
        hash_attrs(h, &self.attributes);
        h.write_u32(self.dropped_attributes_count);
        h.write(self.schema_url.as_bytes());
    }
}

/// One entry of a [`Shared`] table.
pub(super) struct SharedEntry<T> {
    pub(super) model: Arc<T>,
    /// The attributes encoded (`Tag::Other` indexes `model`'s attributes).
    pub(super) attrs: Box<[Attr]>,
    /// Index terms of the attributes (and the service, for resources).
    pub(super) terms: Box<[u64]>,
    /// The service name's id (resources only; `StrId::MAX` for scopes).
    pub(super) service: StrId,
    hash: u64,
    refs: u32,
}

/// A table of identical resources (or scopes) stored once, counted by the
/// spans that use them.
pub(super) struct Shared<T> {
    entries: Vec<Option<SharedEntry<T>>>,
    lookup: FastMap<u64, u32>,
    free: Vec<u32>,
    /// Models seen in the current write (a few), and their ids.
    recent: Vec<(Arc<T>, u32)>,
}

/// Models remembered by pointer within one write.
const RECENT: usize = 8;

impl<T> Default for Shared<T> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
            lookup: FastMap::default(),
            free: Vec::new(),
            recent: Vec::new(),
        }
    }
}

impl<T: SharedModel> Shared<T> {
    /// Entries in use.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.entries.len() - self.free.len()
    }

    /// Whether one more id fits into 32 bits.
    pub(super) fn has_room(&self) -> bool {
        self.entries.len() < u32::MAX as usize
    }

    /// The entry of a held id.
    pub(super) fn get(&self, id: u32) -> Option<&SharedEntry<T>> {
        self.entries.get(id as usize).and_then(Option::as_ref)
    }

    /// The id of `m`, adding it if new; takes one reference. `service` is the
    /// resource's service name (None for scopes). Returns the id and whether
    /// it was added.
    pub(super) fn intern(
        &mut self,
        m: &Arc<T>,
        service: Option<&Arc<str>>,
        strings: &mut Strings,
    ) -> (u32, bool) {
        if let Some(&(_, id)) = self.recent.iter().find(|(r, _)| Arc::ptr_eq(r, m))
            && let Some(e) = self.entries[id as usize].as_mut()
        {
            e.refs += 1;
            return (id, false);
        }
        let mut h = FastHasher::default();
        m.hash_content(&mut h);
        let hash = std::hash::Hasher::finish(&h);
        let found = self.lookup.get(&hash).copied().filter(|&id| {
            self.entries[id as usize]
                .as_ref()
                .is_some_and(|e| *e.model == **m)
        });
        let (id, added) = match found {
            Some(id) => {
                if let Some(e) = self.entries[id as usize].as_mut() {
                    e.refs += 1;
                }
                (id, false)
            }
            None => {
                let mut terms = Vec::new();
                let svc = match service {
                    Some(s) => {
                        terms.push(mix(T_SERVICE, hash_str(s), 0));
                        strings.intern(s, Some(s))
                    }
                    None => StrId::MAX,
                };
                let mut attrs_copy: Vec<KeyValue> = m.attributes().to_vec();
                let attrs = encode_attrs(strings, &mut attrs_copy, None, |t| terms.push(t));
                terms.sort_unstable();
                terms.dedup();
                let e = SharedEntry {
                    model: m.clone(),
                    attrs,
                    terms: terms.into_boxed_slice(),
                    service: svc,
                    hash,
                    refs: 1,
                };
                let id = match self.free.pop() {
                    Some(id) => {
                        self.entries[id as usize] = Some(e);
                        id
                    }
                    None => {
                        self.entries.push(Some(e));
                        (self.entries.len() - 1) as u32
                    }
                };
                // A colliding hash keeps the older entry in the lookup; the
                // new one is simply not shared.
                self.lookup.entry(hash).or_insert(id);
                (id, true)
            }
        };
        if self.recent.len() == RECENT {
            self.recent.remove(0);
        }
        self.recent.push((m.clone(), id));
        (id, added)
    }

    /// Forgets the models seen in the current write.
    pub(super) fn end_write(&mut self) {
        self.recent.clear();
    }

    /// Drops one reference; frees the entry (and its strings) with its last.
    pub(super) fn release(&mut self, id: u32, strings: &mut Strings) {
        let Some(slot) = self.entries.get_mut(id as usize) else {
            return;
        };
        let Some(e) = slot.as_mut() else { return };
        e.refs = e.refs.saturating_sub(1);
        if e.refs > 0 {
            return;
        }
        let Some(e) = slot.take() else { return };
        release_attrs(strings, &e.attrs);
        if e.service != StrId::MAX {
            strings.release(e.service);
        }
        if self.lookup.get(&e.hash) == Some(&id) {
            self.lookup.remove(&e.hash);
        }
        self.free.push(id);
    }
}

/// Rebuilds a model span.
pub(super) fn decode_span(
    trace_id: TraceId,
    s: &StoredSpan,
    strings: &Strings,
    resources: &Shared<Resource>,
    scopes: &Shared<Scope>,
) -> Span {
    let others = s.others();
    let extra = s.extra.as_deref();
    Span {
        trace_id,
        span_id: SpanId(s.span_id),
        parent_span_id: SpanId(s.parent_span_id),
        trace_state: extra.map_or_else(Box::default, |e| e.trace_state.clone()),
        flags: s.flags,
        name: strings.arc(s.name).clone(),
        kind: s.kind,
        start_ns: s.start_ns,
        end_ns: s.end_ns,
        attributes: s
            .attrs
            .iter()
            .map(|a| decode_attr(strings, a, others))
            .collect(),
        events: extra.map_or_else(Vec::new, |e| e.events.clone()),
        links: extra.map_or_else(Vec::new, |e| e.links.clone()),
        status: Status {
            code: s.status,
            message: extra.map_or_else(Box::default, |e| e.status_message.clone()),
        },
        dropped: extra.map_or([0; 3], |e| e.dropped),
        resource: resources
            .get(s.resource)
            .map_or_else(|| Arc::new(Resource::default()), |e| e.model.clone()),
        scope: scopes
            .get(s.scope)
            .map_or_else(|| Arc::new(Scope::default()), |e| e.model.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_spans_and_attributes_stay_small() {
        assert_eq!(std::mem::size_of::<Attr>(), 16);
        assert_eq!(std::mem::size_of::<StoredSpan>(), 80);
        assert_eq!(std::mem::size_of::<super::super::index::Posting>(), 16);
    }

    #[test]
    fn attributes_round_trip_and_release_their_strings() {
        let mut strings = Strings::default();
        let mut attrs = vec![
            KeyValue {
                key: Arc::from("k"),
                value: Value::Str(Arc::from("v")),
            },
            KeyValue {
                key: Arc::from("k"),
                value: Value::Map(vec![]),
            },
        ];
        let want = attrs.clone();
        let mut others = Vec::new();
        let mut terms = Vec::new();
        let enc = encode_attrs(&mut strings, &mut attrs, Some(&mut others), |t| {
            terms.push(t)
        });
        assert_eq!(terms.len(), 2);
        assert_eq!(terms[0], value_term(hash_str("k"), &want[0].value));
        let got: Vec<KeyValue> = enc
            .iter()
            .map(|a| decode_attr(&strings, a, &others))
            .collect();
        assert_eq!(got, want);
        assert_eq!(strings.len(), 2);
        release_attrs(&mut strings, &enc);
        assert_eq!(strings.len(), 0);
    }
}
