//! Jaeger Thrift batches in TBinaryProtocol (the body of the collector's
//! `POST /api/traces`; IDL in fact sheet §2.2), decoded by our own reader.
//!
//! Wire rules: a struct is a sequence of fields, each a type byte and an
//! `i16` field id, ended by a stop byte (0); lists, sets and maps carry
//! their element types and an `i32` size; strings and binaries an `i32`
//! length. Integers are big-endian. Unknown fields of any type are skipped,
//! nesting is bounded ([`MAX_DEPTH`]) and no length or size is trusted
//! beyond the remaining input, so a hostile body cannot make the decoder
//! allocate more than the body's size or recurse without bound.

use crate::model::{Span, SpanId, TraceId};
use crate::translate::jaeger::{Builder, JLog, JProcess, JRef, JSpan, JTag, JValue};
use crate::translate::us_to_ns;
use crate::{Error, Result};

/// Deepest nesting of structs and containers accepted (Jaeger's deepest is 4).
const MAX_DEPTH: usize = 64;

/// Thrift type ids.
const T_STOP: u8 = 0;
const T_BOOL: u8 = 2;
const T_BYTE: u8 = 3;
const T_DOUBLE: u8 = 4;
const T_I16: u8 = 6;
const T_I32: u8 = 8;
const T_I64: u8 = 10;
const T_STRING: u8 = 11;
const T_STRUCT: u8 = 12;
const T_MAP: u8 = 13;
const T_SET: u8 = 14;
const T_LIST: u8 = 15;

/// Decodes a batch and maps its spans.
pub(crate) fn translate(body: &[u8]) -> Result<Vec<Span>> {
    let mut r = Reader { buf: body, pos: 0 };
    let (process, spans) = r.batch()?;
    let mut b = Builder::default();
    let resource = b.resource(&process);
    Ok(spans
        .into_iter()
        .map(|s| b.span(s, resource.clone()))
        .collect())
}

fn err(msg: impl Into<String>) -> Error {
    Error::Decode(msg.into())
}

/// A TBinaryProtocol reader over a byte slice.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(err(format!(
                "thrift: truncated input: need {n} bytes at offset {}, {} left",
                self.pos,
                self.remaining()
            )));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn i16(&mut self) -> Result<i16> {
        let b = self.take(2)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }

    fn i32(&mut self) -> Result<i32> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn i64(&mut self) -> Result<i64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(i64::from_be_bytes(a))
    }

    fn double(&mut self) -> Result<f64> {
        Ok(f64::from_bits(self.i64()? as u64))
    }

    fn bool(&mut self) -> Result<bool> {
        Ok(self.u8()? != 0)
    }

    fn binary(&mut self) -> Result<&'a [u8]> {
        let n = self.i32()?;
        let n = usize::try_from(n).map_err(|_| err(format!("thrift: negative length {n}")))?;
        self.take(n)
    }

    fn string(&mut self) -> Result<String> {
        let b = self.binary()?;
        String::from_utf8(b.to_vec()).map_err(|_| err("thrift: string is not valid utf-8"))
    }

    /// A field header: `None` at the struct's stop byte.
    fn field(&mut self) -> Result<Option<(u8, i16)>> {
        let t = self.u8()?;
        if t == T_STOP {
            return Ok(None);
        }
        Ok(Some((t, self.i16()?)))
    }

    /// A list or set header: element type and size. The size is checked
    /// against the remaining input (every element takes at least a byte).
    fn list(&mut self) -> Result<(u8, usize)> {
        let t = self.u8()?;
        let n = self.i32()?;
        let n = usize::try_from(n).map_err(|_| err(format!("thrift: negative list size {n}")))?;
        if n > self.remaining() {
            return Err(err(format!(
                "thrift: list of {n} elements exceeds the {} bytes left",
                self.remaining()
            )));
        }
        Ok((t, n))
    }

    /// A list whose elements must be structs.
    fn struct_list(&mut self, what: &str) -> Result<usize> {
        let (t, n) = self.list()?;
        if t != T_STRUCT && n > 0 {
            return Err(err(format!(
                "thrift: {what}: list of type {t}, want struct"
            )));
        }
        Ok(n)
    }

    /// Skips a value of type `t`.
    fn skip(&mut self, t: u8, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(err("thrift: nesting too deep"));
        }
        match t {
            T_BOOL | T_BYTE => {
                self.take(1)?;
            }
            T_I16 => {
                self.take(2)?;
            }
            T_I32 => {
                self.take(4)?;
            }
            T_DOUBLE | T_I64 => {
                self.take(8)?;
            }
            T_STRING => {
                self.binary()?;
            }
            T_STRUCT => {
                while let Some((ft, _)) = self.field()? {
                    self.skip(ft, depth + 1)?;
                }
            }
            T_LIST | T_SET => {
                let (et, n) = self.list()?;
                for _ in 0..n {
                    self.skip(et, depth + 1)?;
                }
            }
            T_MAP => {
                let kt = self.u8()?;
                let vt = self.u8()?;
                let n = self.i32()?;
                let n = usize::try_from(n)
                    .map_err(|_| err(format!("thrift: negative map size {n}")))?;
                if n > self.remaining() {
                    return Err(err(format!(
                        "thrift: map of {n} entries exceeds the {} bytes left",
                        self.remaining()
                    )));
                }
                for _ in 0..n {
                    self.skip(kt, depth + 1)?;
                    self.skip(vt, depth + 1)?;
                }
            }
            _ => return Err(err(format!("thrift: unknown field type {t}"))),
        }
        Ok(())
    }

    /// Reads a field of the expected type, or skips a mistyped one.
    fn expect(&mut self, got: u8, want: u8) -> Result<bool> {
        if got == want {
            Ok(true)
        } else {
            self.skip(got, 1)?;
            Ok(false)
        }
    }

    fn batch(&mut self) -> Result<(JProcess, Vec<JSpan>)> {
        let (mut process, mut spans) = (None, None);
        while let Some((t, id)) = self.field()? {
            match id {
                1 if self.expect(t, T_STRUCT)? => process = Some(self.process()?),
                2 if t == T_LIST => {
                    let n = self.struct_list("batch.spans")?;
                    let mut v = Vec::with_capacity(n.min(1024));
                    for _ in 0..n {
                        v.push(self.span()?);
                    }
                    spans = Some(v);
                }
                1 => {}
                _ => self.skip(t, 1)?,
            }
        }
        let process =
            process.ok_or_else(|| err("thrift: batch: required field process is missing"))?;
        let spans = spans.ok_or_else(|| err("thrift: batch: required field spans is missing"))?;
        Ok((process, spans))
    }

    fn process(&mut self) -> Result<JProcess> {
        let mut p = JProcess::default();
        let mut name = false;
        while let Some((t, id)) = self.field()? {
            match id {
                1 if self.expect(t, T_STRING)? => {
                    p.service_name = self.string()?;
                    name = true;
                }
                2 if t == T_LIST => p.tags = self.tags()?,
                1 => {}
                _ => self.skip(t, 2)?,
            }
        }
        if !name {
            return Err(err(
                "thrift: process: required field serviceName is missing",
            ));
        }
        Ok(p)
    }

    fn tags(&mut self) -> Result<Vec<JTag>> {
        let n = self.struct_list("tags")?;
        let mut v = Vec::with_capacity(n.min(1024));
        for _ in 0..n {
            v.push(self.tag()?);
        }
        Ok(v)
    }

    fn tag(&mut self) -> Result<JTag> {
        let mut key = None;
        let mut vtype = None;
        let (mut s, mut d, mut b, mut l, mut bin) = (None, None, None, None, None);
        while let Some((t, id)) = self.field()? {
            match id {
                1 if self.expect(t, T_STRING)? => key = Some(self.string()?),
                2 if self.expect(t, T_I32)? => vtype = Some(self.i32()?),
                3 if self.expect(t, T_STRING)? => s = Some(self.string()?),
                4 if self.expect(t, T_DOUBLE)? => d = Some(self.double()?),
                5 if self.expect(t, T_BOOL)? => b = Some(self.bool()?),
                6 if self.expect(t, T_I64)? => l = Some(self.i64()?),
                7 if self.expect(t, T_STRING)? => bin = Some(self.binary()?.to_vec()),
                1..=7 => {}
                _ => self.skip(t, 3)?,
            }
        }
        let key = key.ok_or_else(|| err("thrift: tag: required field key is missing"))?;
        // TagType: STRING=0, DOUBLE=1, BOOL=2, LONG=3, BINARY=4.
        let value = match vtype {
            Some(0) => JValue::Str(s.unwrap_or_default()),
            Some(1) => JValue::Double(d.unwrap_or_default()),
            Some(2) => JValue::Bool(b.unwrap_or_default()),
            Some(3) => JValue::Long(l.unwrap_or_default()),
            Some(4) => JValue::Binary(bin.unwrap_or_default()),
            Some(n) => return Err(err(format!("thrift: tag {key:?}: unknown tag type {n}"))),
            None => {
                return Err(err(format!(
                    "thrift: tag {key:?}: required field vType is missing"
                )));
            }
        };
        Ok(JTag { key, value })
    }

    fn span(&mut self) -> Result<JSpan> {
        let mut s = JSpan::default();
        let (mut low, mut high) = (0i64, 0i64);
        let (mut start_us, mut duration_us) = (0i64, 0i64);
        while let Some((t, id)) = self.field()? {
            match id {
                1 if self.expect(t, T_I64)? => low = self.i64()?,
                2 if self.expect(t, T_I64)? => high = self.i64()?,
                3 if self.expect(t, T_I64)? => s.span_id = SpanId(self.i64()? as u64),
                4 if self.expect(t, T_I64)? => s.parent_span_id = SpanId(self.i64()? as u64),
                5 if self.expect(t, T_STRING)? => s.operation_name = self.string()?,
                6 if t == T_LIST => {
                    let n = self.struct_list("span.references")?;
                    let mut v = Vec::with_capacity(n.min(1024));
                    for _ in 0..n {
                        v.push(self.span_ref()?);
                    }
                    s.references = v;
                }
                7 if self.expect(t, T_I32)? => s.flags = self.i32()? as u32,
                8 if self.expect(t, T_I64)? => start_us = self.i64()?,
                9 if self.expect(t, T_I64)? => duration_us = self.i64()?,
                10 if t == T_LIST => s.tags = self.tags()?,
                11 if t == T_LIST => {
                    let n = self.struct_list("span.logs")?;
                    let mut v = Vec::with_capacity(n.min(1024));
                    for _ in 0..n {
                        v.push(self.log()?);
                    }
                    s.logs = v;
                }
                1..=5 | 7..=9 => {}
                _ => self.skip(t, 3)?,
            }
        }
        // i64 ids are unsigned values reinterpreted as signed.
        s.trace_id = TraceId::from_halves(high as u64, low as u64);
        s.start_ns = us_to_ns(start_us);
        s.duration_ns = us_to_ns(duration_us);
        Ok(s)
    }

    fn span_ref(&mut self) -> Result<JRef> {
        let (mut kind, mut low, mut high, mut span) = (0i32, 0i64, 0i64, 0i64);
        while let Some((t, id)) = self.field()? {
            match id {
                1 if self.expect(t, T_I32)? => kind = self.i32()?,
                2 if self.expect(t, T_I64)? => low = self.i64()?,
                3 if self.expect(t, T_I64)? => high = self.i64()?,
                4 if self.expect(t, T_I64)? => span = self.i64()?,
                1..=4 => {}
                _ => self.skip(t, 4)?,
            }
        }
        Ok(JRef {
            trace_id: TraceId::from_halves(high as u64, low as u64),
            span_id: SpanId(span as u64),
            follows_from: kind == 1,
        })
    }

    fn log(&mut self) -> Result<JLog> {
        let mut l = JLog {
            time_ns: 0,
            fields: Vec::new(),
        };
        while let Some((t, id)) = self.field()? {
            match id {
                1 if self.expect(t, T_I64)? => l.time_ns = us_to_ns(self.i64()?),
                2 if t == T_LIST => l.fields = self.tags()?,
                1 => {}
                _ => self.skip(t, 4)?,
            }
        }
        Ok(l)
    }
}

#[cfg(test)]
#[path = "thrift_tests.rs"]
mod tests;
