//! GROMACS XTC frames: big-endian XDR, compressed coordinates decoded by `xtc_decode`. The
//! reading loop and frame index are [`VariableReader`]'s.

use std::io::{Read, Seek};

use super::first_non_finite;
use super::source::{Endian, Source};
use super::variable::{FrameCodec, VariableReader};
use super::xtc_decode::{self, Params};
use crate::error::{Format, ReadError, ReadErrorKind};
use crate::model::Frame;
use crate::topology::cell_from_nm_vectors;

const BE: Endian = Endian::Big;
/// magic, natoms, step, time, 9 box values, natoms again.
const HEADER: usize = 4 * 14;
/// precision, minint[3], maxint[3], smallidx.
const PRELUDE: usize = 4 * 8;

/// Streams an XTC file (1995 or 2023 magic) from any `Read + Seek` source.
pub type XtcReader<R> = VariableReader<R, XtcFrames>;

/// The XTC frame layout, with the buffer of the last compressed block.
#[derive(Debug, Default)]
pub struct XtcFrames {
    data: Vec<u8>,
}

/// An XTC frame header.
pub struct XtcHeader {
    magic: i32,
    step: i64,
    time: f32,
    boxv: [[f32; 3]; 3],
}

impl FrameCodec for XtcFrames {
    const FORMAT: Format = Format::Xtc;
    type Header = XtcHeader;

    fn read_header<R: Read + Seek>(
        &mut self,
        src: &mut Source<R>,
        frame: usize,
    ) -> Result<(XtcHeader, usize), ReadError> {
        let mut b = [0u8; HEADER];
        src.read_exact(&mut b, Some(frame), "frame header")?;
        let w = |k: usize| &b[4 * k..4 * k + 4];
        let magic = BE.i32(w(0));
        if magic != 1995 && magic != 2023 {
            let msg = format!("xtc frame starts with 1995 or 2023, found {magic}");
            return Err(src.error(Some(frame), ReadErrorKind::BadMagic(msg)));
        }
        let (n1, n2) = (BE.i32(w(1)), BE.i32(w(13)));
        if n1 < 0 || n1 != n2 {
            let msg = format!("header atom counts {n1} and {n2} must agree and be >= 0");
            return Err(src.error(Some(frame), ReadErrorKind::Corrupt(msg)));
        }
        let mut boxv = [[0f32; 3]; 3];
        for (k, v) in boxv.iter_mut().flatten().enumerate() {
            *v = BE.f32(w(4 + k));
        }
        let header = XtcHeader { magic, step: i64::from(BE.i32(w(2))), time: BE.f32(w(3)), boxv };
        Ok((header, n1 as usize))
    }

    fn read_body<R: Read + Seek>(
        &mut self,
        src: &mut Source<R>,
        h: &XtcHeader,
        (n, index): (usize, usize),
        frame: &mut Frame,
    ) -> Result<(), ReadError> {
        let err =
            |src: &Source<R>, msg: String| src.error(Some(index), ReadErrorKind::Corrupt(msg));
        if n <= 9 {
            frame.positions.resize(n, [0.0; 3]);
            // Tiny systems are stored as plain floats, with no precision field.
            let mut b = [0u8; 9 * 12];
            let b = &mut b[..n * 12];
            src.read_exact(b, Some(index), "uncompressed coordinates")?;
            for (p, c) in frame.positions.iter_mut().zip(b.chunks_exact(12)) {
                *p = [0, 4, 8].map(|o| BE.f32(&c[o..o + 4]) * 10.0);
            }
        } else {
            let (precision, params) = read_prelude(src, index)?;
            let (nbytes, padded) = read_nbytes(src, h.magic, index)?;
            // Every atom costs at least one bit of the compressed block, so a header claiming
            // more atoms than that cannot be honest; refusing it here keeps the position
            // buffer proportional to the file (fuzzing found a 2e9-atom header asking 25 GB).
            if n as u64 > (nbytes as u64).saturating_mul(8) {
                let msg = format!(
                    "the header claims {n} atoms, but the compressed block of {nbytes} bytes \
                     cannot hold more than {}",
                    8 * nbytes as u64
                );
                return Err(err(src, msg));
            }
            frame.positions.resize(n, [0.0; 3]);
            self.data.clear();
            self.data.resize(padded as usize + 8, 0);
            let (block, _) = self.data.split_at_mut(padded as usize);
            src.read_exact(block, Some(index), "compressed coordinates")?;
            xtc_decode::decode(&self.data, nbytes, &params, precision, &mut frame.positions)
                .map_err(|m| err(src, m))?;
        }
        if let Some((atom, value)) = first_non_finite(&frame.positions) {
            return Err(src.error(Some(index), ReadErrorKind::NonFinite { atom, value }));
        }
        frame.time_ps = Some(f64::from(h.time));
        frame.step = Some(h.step);
        frame.unit_cell = cell_from_nm_vectors(h.boxv);
        Ok(())
    }

    fn skip_body<R: Read + Seek>(
        &mut self,
        src: &mut Source<R>,
        h: &XtcHeader,
        (n, index): (usize, usize),
    ) -> Result<(), ReadError> {
        if n <= 9 {
            src.skip(12 * n as u64, Some(index), "uncompressed coordinates")
        } else {
            src.skip(PRELUDE as u64, Some(index), "compression parameters")?;
            let (_, padded) = read_nbytes(src, h.magic, index)?;
            src.skip(padded, Some(index), "compressed coordinates")
        }
    }
}

fn read_prelude<R: Read + Seek>(
    src: &mut Source<R>,
    index: usize,
) -> Result<(f32, Params), ReadError> {
    let mut b = [0u8; PRELUDE];
    src.read_exact(&mut b, Some(index), "compression parameters")?;
    let w = |k: usize| BE.i32(&b[4 * k..4 * k + 4]);
    let precision = f32::from_bits(w(0) as u32);
    if !(precision.is_finite() && precision > 0.0) {
        let msg = format!("precision {precision} must be a positive number");
        return Err(src.error(Some(index), ReadErrorKind::Corrupt(msg)));
    }
    let params = Params { minint: [w(1), w(2), w(3)], maxint: [w(4), w(5), w(6)], smallidx: w(7) };
    Ok((precision, params))
}

/// Byte count of the compressed block (4-byte field for 1995, 8-byte for 2023), checked
/// against the bytes left so a corrupt count cannot trigger a huge allocation.
fn read_nbytes<R: Read + Seek>(
    src: &mut Source<R>,
    magic: i32,
    index: usize,
) -> Result<(usize, u64), ReadError> {
    let n = if magic == 2023 {
        let mut b = [0u8; 8];
        src.read_exact(&mut b, Some(index), "compressed size")?;
        u64::from_be_bytes(b)
    } else {
        let mut b = [0u8; 4];
        src.read_exact(&mut b, Some(index), "compressed size")?;
        u64::from(u32::from_be_bytes(b))
    };
    // `n` first: a 2023 count near 2^64 would wrap the padding to 0 (found by fuzzing).
    let padded = if n > src.remaining() { u64::MAX } else { n.div_ceil(4) * 4 };
    if padded > src.remaining() {
        let msg =
            format!("compressed block of {n} bytes, only {} remain in the file", src.remaining());
        return Err(src.error(Some(index), ReadErrorKind::Truncated(msg)));
    }
    Ok((n as usize, padded))
}
