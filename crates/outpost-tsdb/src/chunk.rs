//! Gorilla-style XOR chunks of `(timestamp ms: i64, value: f64)` samples.
//!
//! # Encoding
//!
//! A chunk is a bit stream written most-significant bit first. The sample
//! count lives beside the stream (in [`XorChunk`]), not in it.
//!
//! * Sample 0: timestamp as a zig-zag varint (7 bits per byte, high bit =
//!   continuation), then the value's 64 raw bits.
//! * Sample 1: the timestamp delta `t1 - t0` as a zig-zag varint, then the value
//!   XOR-encoded as below.
//! * Sample n ≥ 2: delta-of-delta `dod = (tn - tn-1) - (tn-1 - tn-2)` in the
//!   first bucket that holds it:
//!   `0` → dod = 0; `10` + 7-bit two's complement (scrape jitter of a few ms);
//!   `110` + 14 bits; `1110` + 20 bits; `1111` + 64 bits. Then the value,
//!   XOR-encoded. (Prometheus' own buckets are 14/17/20 bits; the small first
//!   bucket is Outpost's choice, since millisecond jitter is the common case.)
//! * Value XOR encoding against the previous value `p`: `x = bits(v) ^ bits(p)`.
//!   `x == 0` → `0`. Otherwise `1`, then either `0` + the meaningful bits when
//!   they fit inside the previous leading/trailing-zero window, or `1` + 5 bits
//!   of leading-zero count (capped at 31) + 6 bits of the meaningful-bit count
//!   (64 is written as 0) + the meaningful bits themselves.
//!
//! A full chunk of regular 15s-spaced samples of a counter costs about one
//! byte per sample; see the `bytes_per_sample` test.

/// Appends bits to a byte vector, most-significant bit first.
#[derive(Debug, Clone, Default)]
struct BitWriter {
    bytes: Vec<u8>,
    /// Bits still free in the last byte (0 = a new byte is needed).
    free: u8,
}

impl BitWriter {
    #[inline]
    fn write_bit(&mut self, bit: bool) {
        if self.free == 0 {
            self.bytes.push(0);
            self.free = 8;
        }
        self.free -= 1;
        if bit {
            *self.bytes.last_mut().expect("pushed above") |= 1 << self.free;
        }
    }

    /// Writes the low `n` bits of `v` (n ≤ 64).
    #[inline]
    fn write_bits(&mut self, v: u64, mut n: u8) {
        debug_assert!(n <= 64);
        while n > 0 {
            if self.free == 0 {
                self.bytes.push(0);
                self.free = 8;
            }
            let take = n.min(self.free);
            let shift = n - take;
            let chunk = ((v >> shift) & ((1u64 << take) - 1)) as u8;
            self.free -= take;
            *self.bytes.last_mut().expect("pushed above") |= chunk << self.free;
            n -= take;
        }
    }

    fn write_varint(&mut self, v: i64) {
        let mut u = ((v << 1) ^ (v >> 63)) as u64;
        loop {
            let b = (u & 0x7f) as u8;
            u >>= 7;
            self.write_bits(u64::from(b | if u != 0 { 0x80 } else { 0 }), 8);
            if u == 0 {
                return;
            }
        }
    }
}

/// Reads bits written by [`BitWriter`].
#[derive(Debug, Clone)]
struct BitReader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> BitReader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        BitReader { bytes, pos: 0 }
    }

    #[inline]
    fn read_bit(&mut self) -> Option<bool> {
        let byte = *self.bytes.get(self.pos >> 3)?;
        let bit = (byte >> (7 - (self.pos & 7))) & 1;
        self.pos += 1;
        Some(bit == 1)
    }

    #[inline]
    fn read_bits(&mut self, mut n: u8) -> Option<u64> {
        let mut out = 0u64;
        while n > 0 {
            let byte = *self.bytes.get(self.pos >> 3)?;
            let used = (self.pos & 7) as u8;
            let avail = 8 - used;
            let take = n.min(avail);
            let bits = (byte >> (avail - take)) & (((1u16 << take) - 1) as u8);
            out = (out << take) | u64::from(bits);
            self.pos += usize::from(take);
            n -= take;
        }
        Some(out)
    }

    fn read_varint(&mut self) -> Option<i64> {
        let mut u = 0u64;
        for i in 0..10 {
            let b = self.read_bits(8)?;
            u |= (b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Some(((u >> 1) as i64) ^ -((u & 1) as i64));
            }
        }
        None
    }
}

/// Encoder state carried between appends.
#[derive(Debug, Clone, Copy, Default)]
struct XorState {
    t: i64,
    delta: i64,
    v: u64,
    leading: u8,
    trailing: u8,
}

/// One XOR chunk: the bit stream, its sample count and time bounds.
#[derive(Debug, Clone, Default)]
pub struct XorChunk {
    w: BitWriter,
    count: u16,
    min_t: i64,
    st: XorState,
}

impl XorChunk {
    /// An empty chunk.
    pub fn new() -> Self {
        XorChunk {
            st: XorState {
                leading: 0xff,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    /// Samples in the chunk.
    pub fn len(&self) -> usize {
        usize::from(self.count)
    }

    /// Whether the chunk has no samples.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Timestamp of the first sample.
    pub fn min_t(&self) -> i64 {
        self.min_t
    }

    /// Timestamp of the last sample.
    pub fn max_t(&self) -> i64 {
        self.st.t
    }

    /// Encoded size in bytes.
    pub fn byte_len(&self) -> usize {
        self.w.bytes.len()
    }

    /// The encoded stream.
    pub fn bytes(&self) -> &[u8] {
        &self.w.bytes
    }

    /// Appends a sample; timestamps must be increasing (the caller checks).
    pub fn append(&mut self, t: i64, v: f64) {
        let bits = v.to_bits();
        match self.count {
            0 => {
                self.w.write_varint(t);
                self.w.write_bits(bits, 64);
                self.min_t = t;
            }
            1 => {
                // Wrapping on both sides: any two i64 times (even i64::MIN
                // then i64::MAX) encode and decode exactly, modulo 2^64.
                let delta = t.wrapping_sub(self.st.t);
                self.w.write_varint(delta);
                self.write_value(bits);
                self.st.delta = delta;
            }
            _ => {
                let delta = t.wrapping_sub(self.st.t);
                let dod = delta.wrapping_sub(self.st.delta);
                self.write_dod(dod);
                self.write_value(bits);
                self.st.delta = delta;
            }
        }
        self.st.t = t;
        self.st.v = bits;
        self.count += 1;
    }

    #[inline]
    fn write_dod(&mut self, dod: i64) {
        let fits = |bits: u32| {
            let lim = 1i64 << (bits - 1);
            (-lim + 1..=lim).contains(&dod)
        };
        let w = &mut self.w;
        if dod == 0 {
            w.write_bit(false);
        } else if fits(7) {
            w.write_bits(0b10, 2);
            w.write_bits(dod as u64 & ((1 << 7) - 1), 7);
        } else if fits(14) {
            w.write_bits(0b110, 3);
            w.write_bits(dod as u64 & ((1 << 14) - 1), 14);
        } else if fits(20) {
            w.write_bits(0b1110, 4);
            w.write_bits(dod as u64 & ((1 << 20) - 1), 20);
        } else {
            w.write_bits(0b1111, 4);
            w.write_bits(dod as u64, 64);
        }
    }

    #[inline]
    fn write_value(&mut self, bits: u64) {
        let x = bits ^ self.st.v;
        if x == 0 {
            self.w.write_bit(false);
            return;
        }
        self.w.write_bit(true);
        let leading = (x.leading_zeros() as u8).min(31);
        let trailing = x.trailing_zeros() as u8;
        if self.st.leading != 0xff && leading >= self.st.leading && trailing >= self.st.trailing {
            self.w.write_bit(false);
            let sig = 64 - self.st.leading - self.st.trailing;
            self.w.write_bits(x >> self.st.trailing, sig);
        } else {
            self.st.leading = leading;
            self.st.trailing = trailing;
            self.w.write_bit(true);
            self.w.write_bits(u64::from(leading), 5);
            let sig = 64 - leading - trailing;
            self.w.write_bits(u64::from(sig & 63), 6);
            self.w.write_bits(x >> trailing, sig);
        }
    }

    /// Freezes the chunk into its compact, immutable form.
    pub fn freeze(&self) -> FrozenChunk {
        FrozenChunk {
            bytes: self.w.bytes.clone().into_boxed_slice().into(),
            count: self.count,
            min_t: self.min_t,
            max_t: self.st.t,
        }
    }

    /// Iterates the samples.
    pub fn iter(&self) -> ChunkIter<'_> {
        ChunkIter::new(&self.w.bytes, self.count)
    }
}

/// A completed chunk: immutable, shareable with queries without copying.
#[derive(Debug, Clone)]
pub struct FrozenChunk {
    bytes: std::sync::Arc<[u8]>,
    count: u16,
    min_t: i64,
    max_t: i64,
}

impl FrozenChunk {
    /// Samples in the chunk.
    pub fn len(&self) -> usize {
        usize::from(self.count)
    }

    /// Whether the chunk is empty.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// First timestamp.
    pub fn min_t(&self) -> i64 {
        self.min_t
    }

    /// Last timestamp.
    pub fn max_t(&self) -> i64 {
        self.max_t
    }

    /// Encoded size in bytes.
    pub fn byte_len(&self) -> usize {
        self.bytes.len()
    }

    /// Iterates the samples.
    pub fn iter(&self) -> ChunkIter<'_> {
        ChunkIter::new(&self.bytes, self.count)
    }
}

/// Decodes the samples of a chunk in order.
#[derive(Debug, Clone)]
pub struct ChunkIter<'a> {
    r: BitReader<'a>,
    remaining: u16,
    read: u16,
    st: XorState,
}

impl<'a> ChunkIter<'a> {
    fn new(bytes: &'a [u8], count: u16) -> Self {
        ChunkIter {
            r: BitReader::new(bytes),
            remaining: count,
            read: 0,
            st: XorState::default(),
        }
    }

    fn read_value(&mut self) -> Option<u64> {
        if !self.r.read_bit()? {
            return Some(self.st.v);
        }
        if self.r.read_bit()? {
            self.st.leading = self.r.read_bits(5)? as u8;
            let sig = self.r.read_bits(6)? as u8;
            let sig = if sig == 0 { 64 } else { sig };
            self.st.trailing = 64 - self.st.leading - sig;
        }
        let sig = 64 - self.st.leading - self.st.trailing;
        let x = self.r.read_bits(sig)? << self.st.trailing;
        Some(self.st.v ^ x)
    }

    fn read_dod(&mut self) -> Option<i64> {
        let mut prefix = 0;
        while prefix < 4 && self.r.read_bit()? {
            prefix += 1;
        }
        let sign_extend = |v: u64, bits: u32| -> i64 {
            let shift = 64 - bits;
            ((v << shift) as i64) >> shift
        };
        Some(match prefix {
            0 => 0,
            1 => sign_extend(self.r.read_bits(7)?, 7),
            2 => sign_extend(self.r.read_bits(14)?, 14),
            3 => sign_extend(self.r.read_bits(20)?, 20),
            _ => self.r.read_bits(64)? as i64,
        })
    }
}

impl Iterator for ChunkIter<'_> {
    type Item = (i64, f64);

    fn next(&mut self) -> Option<(i64, f64)> {
        if self.remaining == 0 {
            return None;
        }
        match self.read {
            0 => {
                self.st.t = self.r.read_varint()?;
                self.st.v = self.r.read_bits(64)?;
            }
            1 => {
                self.st.delta = self.r.read_varint()?;
                self.st.t = self.st.t.wrapping_add(self.st.delta);
                self.st.v = self.read_value()?;
            }
            _ => {
                self.st.delta = self.st.delta.wrapping_add(self.read_dod()?);
                self.st.t = self.st.t.wrapping_add(self.st.delta);
                self.st.v = self.read_value()?;
            }
        }
        self.read += 1;
        self.remaining -= 1;
        Some((self.st.t, f64::from_bits(self.st.v)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (
            usize::from(self.remaining),
            Some(usize::from(self.remaining)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(samples: &[(i64, f64)]) {
        let mut c = XorChunk::new();
        for &(t, v) in samples {
            c.append(t, v);
        }
        let got: Vec<(i64, u64)> = c.iter().map(|(t, v)| (t, v.to_bits())).collect();
        let want: Vec<(i64, u64)> = samples.iter().map(|&(t, v)| (t, v.to_bits())).collect();
        assert_eq!(got, want);
        let frozen: Vec<(i64, u64)> = c.freeze().iter().map(|(t, v)| (t, v.to_bits())).collect();
        assert_eq!(frozen, want);
    }

    #[test]
    fn roundtrips_edge_values_and_timestamps() {
        roundtrip(&[]);
        roundtrip(&[(0, 0.0)]);
        roundtrip(&[(-5, -1.5), (1_700_000_000_000, f64::NAN)]);
        let stale = f64::from_bits(0x7ff0_0000_0000_0002);
        roundtrip(&[
            (1000, 1.0),
            (16000, 2.0),
            (31000, f64::INFINITY),
            (46001, f64::NEG_INFINITY),
            (46002, stale),
            (46003, -0.0),
            (46003 + (1 << 13), f64::MIN_POSITIVE),
            (46003 + (1 << 13) + (1 << 16) + 5, f64::MAX),
            (i64::MAX / 4, 1e-300),
            (i64::MAX / 2, 42.0),
        ]);
    }

    /// Regression (issue 16.2): a remote-written sample at i64::MIN followed
    /// by later ones overflowed the delta in debug builds.
    #[test]
    fn roundtrips_timestamps_at_the_ends_of_i64() {
        roundtrip(&[(i64::MIN, 1.0), (0, 2.0), (i64::MAX, 3.0)]);
        roundtrip(&[(i64::MIN, 1.0), (i64::MAX, 2.0)]);
        roundtrip(&[
            (i64::MIN, 1.0),
            (i64::MIN + 1, 2.0),
            (i64::MAX - 1, 3.0),
            (i64::MAX, 4.0),
        ]);
    }

    #[test]
    fn roundtrips_pseudo_random_series() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..200 {
            let mut t = (next() % 1_000_000_000) as i64;
            let mut samples = Vec::new();
            for _ in 0..120 {
                t += match next() % 4 {
                    0 => 15_000,
                    1 => (next() % 100_000) as i64 + 1,
                    2 => 1,
                    _ => (next() % (1 << 40)) as i64 + 1,
                };
                let v = match next() % 4 {
                    0 => f64::from_bits(next()),
                    1 => (next() % 1000) as f64,
                    2 => 0.5,
                    _ => (next() as f64) / 3.0,
                };
                samples.push((t, v));
            }
            roundtrip(&samples);
        }
    }

    /// Realistic data, as a node_exporter-like target gives it with aligned
    /// 15s scrapes: constant gauges (sizes, limits, info), counters that tick
    /// now and then, busy counters, and gauges with two decimals.
    #[test]
    fn bytes_per_sample_of_a_realistic_mix() {
        let mut total_bytes = 0usize;
        let mut total_samples = 0usize;
        let mut kinds = Vec::new();
        for kind in 0..4 {
            let mut c = XorChunk::new();
            let mut t = 1_700_000_000_000i64;
            let mut v = 1000.0;
            for i in 0..120usize {
                t += 15_000 + if i % 10 == 7 { 1 } else { 0 };
                v = match kind {
                    0 => 8_589_934_592.0,
                    1 => v + if i % 8 == 0 { 1.0 } else { 0.0 },
                    2 => v + [3.0, 5.0, 1.0, 7.0, 2.0][i % 5],
                    _ => 40.0 + ((i * 37 % 100) as f64) / 100.0,
                };
                c.append(t, v);
            }
            kinds.push(c.byte_len() as f64 / 120.0);
            total_bytes += c.byte_len();
            total_samples += c.len();
        }
        // A real scrape is mostly the first two kinds; weigh them 4:3:2:1.
        let weighted = (kinds[0] * 4.0 + kinds[1] * 3.0 + kinds[2] * 2.0 + kinds[3]) / 10.0;
        eprintln!("bytes/sample by kind {kinds:.2?}, weighted {weighted:.2}");
        assert!(
            weighted <= 1.5,
            "weighted {weighted:.2} bytes/sample ({kinds:?})"
        );
        assert!(
            total_bytes as f64 / (total_samples as f64) < 2.5,
            "{kinds:?}"
        );
    }
}
