//! GROMACS XTC reader: big-endian XDR frames, compressed coordinates decoded by `xtc_decode`.

use std::io::{Read, Seek};
use std::path::Path;

use super::index::FrameIndex;
use super::source::{Endian, Source};
use super::xtc_decode::{self, Params};
use super::{FrameReader, first_non_finite};
use crate::error::{Format, ReadError, ReadErrorKind, ReadWarning};
use crate::model::Frame;
use crate::topology::cell_from_nm_vectors;

const BE: Endian = Endian::Big;
/// magic, natoms, step, time, 9 box values, natoms again.
const HEADER: usize = 4 * 14;
/// precision, minint[3], maxint[3], smallidx.
const PRELUDE: usize = 4 * 8;

/// Streams an XTC file (1995 or 2023 magic) from any `Read + Seek` source.
pub struct XtcReader<R> {
    src: Source<R>,
    n_atoms: usize,
    index: FrameIndex,
    /// Byte offset of each frame met so far, so seeking back needs no rescan.
    data: Vec<u8>,
}

struct Header {
    magic: i32,
    n_atoms: usize,
    step: i64,
    time: f32,
    boxv: [[f32; 3]; 3],
}

impl<R: Read + Seek> XtcReader<R> {
    /// Reads the first frame header to learn the atom count; `path` labels errors.
    pub fn new(reader: R, path: impl AsRef<Path>) -> Result<Self, ReadError> {
        let src = Source::new(reader, path.as_ref(), Format::Xtc)?;
        if src.len() == 0 {
            return Err(src.error(None, ReadErrorKind::Truncated("empty file, no frame".into())));
        }
        let mut r = XtcReader { src, n_atoms: 0, index: FrameIndex::new(), data: Vec::new() };
        let h = r.read_header(0)?;
        r.n_atoms = h.n_atoms;
        r.src.seek_to(0)?;
        Ok(r)
    }

    fn err(&self, kind: ReadErrorKind) -> ReadError {
        self.src.error(Some(self.index.next()), kind)
    }

    fn read_header(&mut self, frame: usize) -> Result<Header, ReadError> {
        let mut b = [0u8; HEADER];
        self.src.read_exact(&mut b, Some(frame), "frame header")?;
        let w = |k: usize| &b[4 * k..4 * k + 4];
        let magic = BE.i32(w(0));
        if magic != 1995 && magic != 2023 {
            return Err(self.src.error(
                Some(frame),
                ReadErrorKind::BadMagic(format!(
                    "xtc frame starts with 1995 or 2023, found {magic}"
                )),
            ));
        }
        let (n1, n2) = (BE.i32(w(1)), BE.i32(w(13)));
        if n1 < 0 || n1 != n2 {
            return Err(self.src.error(
                Some(frame),
                ReadErrorKind::Corrupt(format!(
                    "header atom counts {n1} and {n2} must agree and be >= 0"
                )),
            ));
        }
        let mut boxv = [[0f32; 3]; 3];
        for (k, v) in boxv.iter_mut().flatten().enumerate() {
            *v = BE.f32(w(4 + k));
        }
        Ok(Header {
            magic,
            n_atoms: n1 as usize,
            step: i64::from(BE.i32(w(2))),
            time: BE.f32(w(3)),
            boxv,
        })
    }

    /// Reads a header at the current position, or reports a clean end of file.
    fn begin_frame(&mut self) -> Result<Option<Header>, ReadError> {
        if self.index.reached_end(&self.src) {
            return Ok(None);
        }
        let h = self.read_header(self.index.next())?;
        if h.n_atoms != self.n_atoms {
            return Err(self.err(ReadErrorKind::Corrupt(format!(
                "frame has {} atoms, the first frame has {}",
                h.n_atoms, self.n_atoms
            ))));
        }
        Ok(Some(h))
    }

    /// Records where the frame after this one starts.
    fn end_frame(&mut self) {
        self.index.finish_frame(&self.src);
    }

    fn read_prelude(&mut self) -> Result<(f32, Params), ReadError> {
        let mut b = [0u8; PRELUDE];
        self.src.read_exact(&mut b, Some(self.index.next()), "compression parameters")?;
        let w = |k: usize| BE.i32(&b[4 * k..4 * k + 4]);
        let precision = f32::from_bits(w(0) as u32);
        if !(precision.is_finite() && precision > 0.0) {
            return Err(self.err(ReadErrorKind::Corrupt(format!(
                "precision {precision} must be a positive number"
            ))));
        }
        let params =
            Params { minint: [w(1), w(2), w(3)], maxint: [w(4), w(5), w(6)], smallidx: w(7) };
        Ok((precision, params))
    }

    /// Byte count of the compressed block (4-byte field for 1995, 8-byte for 2023), checked
    /// against the bytes left so a corrupt count cannot trigger a huge allocation.
    fn read_nbytes(&mut self, magic: i32) -> Result<(usize, u64), ReadError> {
        let n = if magic == 2023 {
            let mut b = [0u8; 8];
            self.src.read_exact(&mut b, Some(self.index.next()), "compressed size")?;
            u64::from_be_bytes(b)
        } else {
            let mut b = [0u8; 4];
            self.src.read_exact(&mut b, Some(self.index.next()), "compressed size")?;
            u64::from(u32::from_be_bytes(b))
        };
        // `n` first: a 2023 count near 2^64 would wrap the padding to 0 (found by fuzzing).
        let padded = if n > self.src.remaining() { u64::MAX } else { n.div_ceil(4) * 4 };
        if padded > self.src.remaining() {
            let msg = format!(
                "compressed block of {n} bytes, only {} remain in the file",
                self.src.remaining()
            );
            return Err(self.err(ReadErrorKind::Truncated(msg)));
        }
        Ok((n as usize, padded))
    }
}

impl<R: Read + Seek> FrameReader for XtcReader<R> {
    fn format(&self) -> Format {
        Format::Xtc
    }

    fn n_atoms(&self) -> usize {
        self.n_atoms
    }

    fn n_frames(&self) -> Option<usize> {
        self.index.n_frames()
    }

    fn next_index(&self) -> usize {
        self.index.next()
    }

    fn read_next(&mut self, frame: &mut Frame) -> Result<bool, ReadError> {
        let Some(h) = self.begin_frame()? else {
            return Ok(false);
        };
        let n = self.n_atoms;
        if n <= 9 {
            frame.positions.resize(n, [0.0; 3]);
            // Tiny systems are stored as plain floats, with no precision field.
            let mut b = [0u8; 9 * 12];
            let b = &mut b[..n * 12];
            self.src.read_exact(b, Some(self.index.next()), "uncompressed coordinates")?;
            for (p, c) in frame.positions.iter_mut().zip(b.chunks_exact(12)) {
                *p = [0, 4, 8].map(|o| BE.f32(&c[o..o + 4]) * 10.0);
            }
        } else {
            let (precision, params) = self.read_prelude()?;
            let (nbytes, padded) = self.read_nbytes(h.magic)?;
            // Every atom costs at least one bit of the compressed block, so a header claiming
            // more atoms than that cannot be honest; refusing it here keeps the position
            // buffer proportional to the file (fuzzing found a 2e9-atom header asking 25 GB).
            if n as u64 > (nbytes as u64).saturating_mul(8) {
                return Err(self.err(ReadErrorKind::Corrupt(format!(
                    "the header claims {n} atoms, but the compressed block of {nbytes} bytes \
                     cannot hold more than {}",
                    8 * nbytes as u64
                ))));
            }
            frame.positions.resize(n, [0.0; 3]);
            self.data.clear();
            self.data.resize(padded as usize + 8, 0);
            let (block, _) = self.data.split_at_mut(padded as usize);
            self.src.read_exact(block, Some(self.index.next()), "compressed coordinates")?;
            xtc_decode::decode(&self.data, nbytes, &params, precision, &mut frame.positions)
                .map_err(|m| self.err(ReadErrorKind::Corrupt(m)))?;
        }
        if let Some((atom, value)) = first_non_finite(&frame.positions) {
            return Err(self.err(ReadErrorKind::NonFinite { atom, value }));
        }
        frame.time_ps = Some(f64::from(h.time));
        frame.step = Some(h.step);
        frame.unit_cell = cell_from_nm_vectors(h.boxv);
        self.end_frame();
        Ok(true)
    }

    fn skip_next(&mut self) -> Result<bool, ReadError> {
        let Some(h) = self.begin_frame()? else {
            return Ok(false);
        };
        if self.n_atoms <= 9 {
            self.src.skip(
                12 * self.n_atoms as u64,
                Some(self.index.next()),
                "uncompressed coordinates",
            )?;
        } else {
            self.src.skip(PRELUDE as u64, Some(self.index.next()), "compression parameters")?;
            let (_, padded) = self.read_nbytes(h.magic)?;
            self.src.skip(padded, Some(self.index.next()), "compressed coordinates")?;
        }
        self.end_frame();
        Ok(true)
    }

    fn seek_frame(&mut self, index: usize) -> Result<bool, ReadError> {
        self.index.rewind(&mut self.src, index)?;
        while self.index.next() < index {
            if !self.skip_next()? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn take_warnings(&mut self) -> Vec<ReadWarning> {
        Vec::new()
    }
}
