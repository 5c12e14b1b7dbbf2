//! The XTC coordinate decompressor (xdrfile's `xdr3dfcoord`), with every read bounds-checked so
//! corrupt input gives an error, never a panic.

/// Sizes of the "small" integers, indexed by `smallidx` (from xdrfile).
#[rustfmt::skip]
const MAGICINTS: [u32; 73] = [
    0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 10, 12, 16, 20, 25, 32, 40, 50, 64,
    80, 101, 128, 161, 203, 256, 322, 406, 512, 645, 812, 1024, 1290,
    1625, 2048, 2580, 3250, 4096, 5060, 6501, 8192, 10321, 13003,
    16384, 20642, 26007, 32768, 41285, 52015, 65536, 82570, 104031,
    131072, 165140, 208063, 262144, 330280, 416127, 524287, 660561,
    832255, 1048576, 1321122, 1664510, 2097152, 2642245, 3329021,
    4194304, 5284491, 6658042, 8388607, 10568983, 13316085, 16777216,
];
const FIRSTIDX: usize = 9;

/// The fields that precede the compressed bytes of a frame.
pub(crate) struct Params {
    pub(crate) minint: [i32; 3],
    pub(crate) maxint: [i32; 3],
    pub(crate) smallidx: i32,
}

/// Big-endian bit stream; `buf` carries 8 zero bytes past `limit_bits` so a word load at any
/// valid position stays inside it.
struct Bits<'a> {
    buf: &'a [u8],
    pos: usize,
    limit: usize,
}

impl Bits<'_> {
    #[inline(always)]
    fn read(&mut self, n: u32) -> Result<u64, String> {
        debug_assert!(n <= 32);
        let end = self.pos + n as usize;
        if end > self.limit {
            return Err("compressed coordinates end before all atoms are decoded".into());
        }
        let byte = self.pos >> 3;
        let Some(word) = self.buf.get(byte..byte + 8) else {
            return Err("compressed coordinates end before all atoms are decoded".into());
        };
        let mut a = [0u8; 8];
        a.copy_from_slice(word);
        let w = u64::from_be_bytes(a) << (self.pos & 7);
        self.pos = end;
        Ok(if n == 0 { 0 } else { w >> (64 - n) })
    }

    /// xdrfile's `receiveints`: a `nbits`-bit little-endian big integer, itself written as
    /// bytes in stream order, split by mixed radix `sizes` into three integers.
    #[inline(always)]
    fn read_ints(&mut self, nbits: u32, sizes: [u32; 3]) -> Result<[i32; 3], String> {
        if nbits <= 64 {
            let mut big = 0u64;
            let mut shift = 0;
            let mut left = nbits;
            while left >= 32 {
                big |= u64::from((self.read(32)? as u32).swap_bytes()) << shift;
                shift += 32;
                left -= 32;
            }
            while left >= 8 {
                big |= self.read(8)? << shift;
                shift += 8;
                left -= 8;
            }
            if left > 0 {
                big |= self.read(left)? << shift;
            }
            let (s1, s2) = (u64::from(sizes[1]), u64::from(sizes[2]));
            let z = big % s2;
            let rest = big / s2;
            Ok([(rest / s1) as i32, (rest % s1) as i32, z as i32])
        } else {
            let mut big = 0u128;
            let mut shift = 0;
            let mut left = nbits;
            while left >= 8 {
                big |= u128::from(self.read(8)?) << shift;
                shift += 8;
                left -= 8;
            }
            if left > 0 {
                big |= u128::from(self.read(left)?) << shift;
            }
            let (s1, s2) = (u128::from(sizes[1]), u128::from(sizes[2]));
            let z = big % s2;
            let rest = big / s2;
            Ok([(rest / s1) as i32, (rest % s1) as i32, z as i32])
        }
    }
}

fn bit_length(v: u128) -> u32 {
    128 - v.leading_zeros()
}

/// Decodes `out.len()` atoms from `data` (which ends with 8 zero bytes past `len_bytes`), writing
/// positions in Angstrom: `(int as f32 * (1/precision)) * 10` in f32, as xdrfile then
/// MDAnalysis compute them.
pub(crate) fn decode(
    data: &[u8],
    len_bytes: usize,
    p: &Params,
    precision: f32,
    out: &mut [[f32; 3]],
) -> Result<(), String> {
    let mut sizeint = [0u32; 3];
    for ((s, &lo), &hi) in sizeint.iter_mut().zip(&p.minint).zip(&p.maxint) {
        let size = i64::from(hi) - i64::from(lo) + 1;
        if size <= 0 || size > i64::from(u32::MAX) {
            return Err(format!("coordinate range {lo}..{hi} is empty or too large"));
        }
        *s = size as u32;
    }
    let large = sizeint.iter().any(|&s| s > 0xff_ffff);
    let bitsizeint = sizeint.map(|s| bit_length(u128::from(s)).min(32));
    let bitsize = if large {
        0
    } else {
        bit_length(u128::from(sizeint[0]) * u128::from(sizeint[1]) * u128::from(sizeint[2]))
    };
    let mut smallidx = usize::try_from(p.smallidx).unwrap_or(usize::MAX);
    if !(FIRSTIDX..MAGICINTS.len()).contains(&smallidx) {
        return Err(format!("small-integer index {} is outside 9..=72", p.smallidx));
    }
    let mut smaller = (MAGICINTS[(smallidx - 1).max(FIRSTIDX)] / 2) as i32;
    let mut smallnum = (MAGICINTS[smallidx] / 2) as i32;
    let mut sizesmall = [MAGICINTS[smallidx]; 3];

    let inv = 1.0f32 / precision;
    let conv = |c: [i32; 3]| c.map(|v| (v as f32 * inv) * 10.0);
    let mut bits = Bits { buf: data, pos: 0, limit: len_bytes * 8 };
    let natoms = out.len();
    let mut i = 0;
    let mut run: i32 = 0;
    while i < natoms {
        let mut this = if large {
            [
                bits.read(bitsizeint[0])? as i32,
                bits.read(bitsizeint[1])? as i32,
                bits.read(bitsizeint[2])? as i32,
            ]
        } else {
            bits.read_ints(bitsize, sizeint)?
        };
        for (t, &m) in this.iter_mut().zip(&p.minint) {
            *t = t.wrapping_add(m);
        }
        let mut prev = this;
        let flag = bits.read(1)?;
        let mut is_smaller = 0;
        if flag == 1 {
            // `run` persists across atoms when the flag is 0, exactly as in xdrfile.
            run = bits.read(5)? as i32;
            is_smaller = run % 3;
            run -= is_smaller;
            is_smaller -= 1;
        }
        if run > 0 {
            let n_run = (run / 3) as usize;
            if i + 1 + n_run > natoms {
                return Err(format!(
                    "a run of {n_run} atoms after atom {i} goes past the {natoms} atoms of the frame"
                ));
            }
            for k in 0..n_run {
                let mut c = bits.read_ints(smallidx as u32, sizesmall)?;
                for (v, &q) in c.iter_mut().zip(&prev) {
                    *v = v.wrapping_add(q.wrapping_sub(smallnum));
                }
                if k == 0 {
                    // Water is stored O,H,H reordered; swapping restores the file's atom order.
                    std::mem::swap(&mut c, &mut prev);
                    out[i] = conv(prev);
                    i += 1;
                } else {
                    prev = c;
                }
                out[i] = conv(c);
                i += 1;
            }
        } else {
            out[i] = conv(this);
            i += 1;
        }
        if is_smaller != 0 {
            smallidx = smallidx.wrapping_add_signed(is_smaller as isize);
            if !(FIRSTIDX..MAGICINTS.len()).contains(&smallidx) {
                return Err(format!("small-integer index drifts to {smallidx}, outside 9..=72"));
            }
            if is_smaller < 0 {
                smallnum = smaller;
                smaller =
                    if smallidx > FIRSTIDX { (MAGICINTS[smallidx - 1] / 2) as i32 } else { 0 };
            } else {
                smaller = smallnum;
                smallnum = (MAGICINTS[smallidx] / 2) as i32;
            }
            sizesmall = [MAGICINTS[smallidx]; 3];
        }
    }
    Ok(())
}
