//! A zero-copy reader of the remote-write 1.0 `WriteRequest` wire format for
//! the receive hot path: label names and values are borrowed from the
//! decompressed buffer, and the per-series buffers are reused, so decoding
//! allocates nothing per sample. (The prost types in `proto` remain the
//! schema, the encoder, and the reference this reader is tested against.)

/// Protobuf wire types.
const VARINT: u8 = 0;
const I64: u8 = 1;
const LEN: u8 = 2;
const I32: u8 = 5;

/// A cursor over protobuf bytes.
struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

type R<T> = Result<T, String>;

impl<'a> Reader<'a> {
    fn new(b: &'a [u8]) -> Self {
        Reader { b, pos: 0 }
    }

    fn done(&self) -> bool {
        self.pos >= self.b.len()
    }

    #[inline]
    fn varint(&mut self) -> R<u64> {
        let mut v = 0u64;
        for shift in (0..70).step_by(7) {
            let byte = *self
                .b
                .get(self.pos)
                .ok_or("unexpected end of buffer in varint")?;
            self.pos += 1;
            if shift == 63 && byte > 1 {
                return Err("varint overflow".into());
            }
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("varint overflow".into())
    }

    #[inline]
    fn key(&mut self) -> R<(u64, u8)> {
        let k = self.varint()?;
        let field = k >> 3;
        if field == 0 {
            return Err("invalid field number 0".into());
        }
        Ok((field, (k & 7) as u8))
    }

    #[inline]
    fn bytes(&mut self) -> R<&'a [u8]> {
        let len = usize::try_from(self.varint()?).map_err(|_| "length overflow")?;
        let end = self
            .pos
            .checked_add(len)
            .filter(|&e| e <= self.b.len())
            .ok_or("length-delimited field past the end of the buffer")?;
        let out = &self.b[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    #[inline]
    fn fixed64(&mut self) -> R<u64> {
        let s = self
            .b
            .get(self.pos..self.pos + 8)
            .ok_or("unexpected end of buffer in fixed64")?;
        self.pos += 8;
        Ok(u64::from_le_bytes(s.try_into().expect("8 bytes")))
    }

    fn skip(&mut self, wire: u8) -> R<()> {
        match wire {
            VARINT => self.varint().map(|_| ()),
            I64 => self.fixed64().map(|_| ()),
            LEN => self.bytes().map(|_| ()),
            I32 => {
                self.pos = self
                    .pos
                    .checked_add(4)
                    .filter(|&e| e <= self.b.len())
                    .ok_or("unexpected end of buffer in fixed32")?;
                Ok(())
            }
            w => Err(format!("unsupported wire type {w}")),
        }
    }
}

fn utf8(b: &[u8]) -> R<&str> {
    std::str::from_utf8(b).map_err(|_| "invalid UTF-8 in string field".to_string())
}

/// One decoded series, borrowing from the request buffer.
#[derive(Debug, Default)]
pub(crate) struct SeriesView<'a> {
    pub(crate) labels: Vec<(&'a str, &'a str)>,
    pub(crate) samples: Vec<(i64, f64)>,
    pub(crate) exemplars: u64,
    pub(crate) histograms: u64,
}

impl SeriesView<'_> {
    fn clear(&mut self) {
        self.labels.clear();
        self.samples.clear();
        self.exemplars = 0;
        self.histograms = 0;
    }
}

/// Calls `f` for each TimeSeries of a WriteRequest, reusing one view.
pub(crate) fn for_each_series<'a>(buf: &'a [u8], mut f: impl FnMut(&SeriesView<'a>)) -> R<()> {
    let mut r = Reader::new(buf);
    let mut view = SeriesView::default();
    while !r.done() {
        let (field, wire) = r.key()?;
        if field == 1 && wire == LEN {
            view.clear();
            parse_series(r.bytes()?, &mut view)?;
            f(&view);
        } else {
            r.skip(wire)?;
        }
    }
    Ok(())
}

fn parse_series<'a>(b: &'a [u8], view: &mut SeriesView<'a>) -> R<()> {
    let mut r = Reader::new(b);
    while !r.done() {
        let (field, wire) = r.key()?;
        match (field, wire) {
            (1, LEN) => {
                let mut l = Reader::new(r.bytes()?);
                let (mut name, mut value) = ("", "");
                while !l.done() {
                    let (f, w) = l.key()?;
                    match (f, w) {
                        (1, LEN) => name = utf8(l.bytes()?)?,
                        (2, LEN) => value = utf8(l.bytes()?)?,
                        (_, w) => l.skip(w)?,
                    }
                }
                view.labels.push((name, value));
            }
            (2, LEN) => {
                let mut s = Reader::new(r.bytes()?);
                let (mut v, mut t) = (0f64, 0i64);
                while !s.done() {
                    let (f, w) = s.key()?;
                    match (f, w) {
                        (1, I64) => v = f64::from_bits(s.fixed64()?),
                        (2, VARINT) => t = s.varint()? as i64,
                        (_, w) => s.skip(w)?,
                    }
                }
                view.samples.push((t, v));
            }
            (3, LEN) => {
                r.bytes()?;
                view.exemplars += 1;
            }
            (4, LEN) => {
                r.bytes()?;
                view.histograms += 1;
            }
            (_, w) => r.skip(w)?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;
    use crate::proto::{Exemplar, Label, Sample, TimeSeries, WriteRequest};

    /// The zero-copy reader agrees with prost on generated requests.
    #[test]
    fn agrees_with_prost() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut rnd = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..50 {
            let req = WriteRequest {
                timeseries: (0..(rnd() % 20))
                    .map(|i| TimeSeries {
                        labels: (0..(rnd() % 6))
                            .map(|j| Label {
                                name: format!("l{j}"),
                                value: format!("v{i}-{}-ü", rnd() % 100),
                            })
                            .collect(),
                        samples: (0..(rnd() % 4))
                            .map(|_| Sample {
                                value: f64::from_bits(rnd()),
                                timestamp: (rnd() as i64) >> (rnd() % 64),
                            })
                            .collect(),
                        exemplars: (0..(rnd() % 2))
                            .map(|_| Exemplar {
                                labels: vec![],
                                value: 1.0,
                                timestamp: 5,
                            })
                            .collect(),
                        histograms: (0..(rnd() % 2)).map(|_| vec![8, 1]).collect(),
                    })
                    .collect(),
                metadata: vec![],
            };
            let buf = req.encode_to_vec();
            let mut got = Vec::new();
            for_each_series(&buf, |v| {
                got.push((
                    v.labels
                        .iter()
                        .map(|(n, v)| (n.to_string(), v.to_string()))
                        .collect::<Vec<_>>(),
                    v.samples
                        .iter()
                        .map(|(t, v)| (*t, v.to_bits()))
                        .collect::<Vec<_>>(),
                    v.exemplars,
                    v.histograms,
                ))
            })
            .unwrap();
            let want: Vec<_> = req
                .timeseries
                .iter()
                .map(|t| {
                    (
                        t.labels
                            .iter()
                            .map(|l| (l.name.clone(), l.value.clone()))
                            .collect::<Vec<_>>(),
                        t.samples
                            .iter()
                            .map(|s| (s.timestamp, s.value.to_bits()))
                            .collect::<Vec<_>>(),
                        t.exemplars.len() as u64,
                        t.histograms.len() as u64,
                    )
                })
                .collect();
            assert_eq!(got, want);
        }
    }

    #[test]
    fn truncated_and_garbage_input_is_an_error_not_a_panic() {
        let req = WriteRequest {
            timeseries: vec![TimeSeries {
                labels: vec![Label {
                    name: "__name__".into(),
                    value: "up".into(),
                }],
                samples: vec![Sample {
                    value: 1.0,
                    timestamp: 1,
                }],
                ..Default::default()
            }],
            metadata: vec![],
        };
        let buf = req.encode_to_vec();
        for cut in 0..buf.len() {
            let _ = for_each_series(&buf[..cut], |_| {});
        }
        assert!(for_each_series(&[0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f], |_| {}).is_err());
        assert!(for_each_series(&[0x0f], |_| {}).is_err());
        assert!(
            for_each_series(&[0x0a, 0x04, 0x0a, 0x02, 0xff, 0xfe], |_| {}).is_err(),
            "invalid UTF-8"
        );
    }
}
