//! GROMACS TRR reader: single or double precision; box and positions read, the rest skipped.

use std::io::{Read, Seek};
use std::path::Path;

use super::index::FrameIndex;
use super::source::{Endian, Source};
use super::{FrameReader, first_non_finite};
use crate::error::{Format, ReadError, ReadErrorKind, ReadWarning};
use crate::model::Frame;
use crate::topology::cell_from_nm_vectors;

const BE: Endian = Endian::Big;
const MAGIC: i32 = 1993;
const VERSION: &[u8] = b"GMX_trn_file";

/// Streams a TRR file from any `Read + Seek` source.
pub struct TrrReader<R> {
    src: Source<R>,
    n_atoms: usize,
    index: FrameIndex,
    data: Vec<u8>,
}

/// What one frame header says about the sections that follow it.
struct Header {
    real: usize,
    box_size: usize,
    vir_size: usize,
    pres_size: usize,
    x_size: usize,
    v_size: usize,
    f_size: usize,
    n_atoms: usize,
    step: i64,
    time: f64,
}

impl Header {
    fn body(&self) -> u64 {
        [self.box_size, self.vir_size, self.pres_size, self.x_size, self.v_size, self.f_size]
            .iter()
            .map(|&s| s as u64)
            .sum()
    }
}

impl<R: Read + Seek> TrrReader<R> {
    /// Reads the first frame header to learn the atom count; `path` labels errors.
    pub fn new(reader: R, path: impl AsRef<Path>) -> Result<Self, ReadError> {
        let src = Source::new(reader, path.as_ref(), Format::Trr)?;
        if src.len() == 0 {
            return Err(src.error(None, ReadErrorKind::Truncated("empty file, no frame".into())));
        }
        let mut r = TrrReader { src, n_atoms: 0, index: FrameIndex::new(), data: Vec::new() };
        r.n_atoms = r.read_header()?.n_atoms;
        r.src.seek_to(0)?;
        Ok(r)
    }

    fn err(&self, kind: ReadErrorKind) -> ReadError {
        self.src.error(Some(self.index.next()), kind)
    }

    fn corrupt(&self, msg: String) -> ReadError {
        self.err(ReadErrorKind::Corrupt(msg))
    }

    fn read_i32s<const N: usize>(&mut self, what: &str) -> Result<[i32; N], ReadError> {
        let mut b = [0u8; 64];
        let b = &mut b[..4 * N];
        self.src.read_exact(b, Some(self.index.next()), what)?;
        let mut out = [0i32; N];
        for (o, c) in out.iter_mut().zip(b.chunks_exact(4)) {
            *o = BE.i32(c);
        }
        Ok(out)
    }

    fn read_header(&mut self) -> Result<Header, ReadError> {
        let [magic, _slen, len] = self.read_i32s::<3>("frame header")?;
        if magic != MAGIC {
            let msg = format!("trr frame starts with {MAGIC}, found {magic}");
            return Err(self.err(ReadErrorKind::BadMagic(msg)));
        }
        if len != VERSION.len() as i32 {
            return Err(self.err(ReadErrorKind::BadMagic(format!(
                "version string of length {len}, expected \"GMX_trn_file\""
            ))));
        }
        let mut version = [0u8; 12];
        self.src.read_exact(&mut version, Some(self.index.next()), "version string")?;
        if version != VERSION {
            let found = String::from_utf8_lossy(&version).into_owned();
            let msg = format!("version string {found:?}, expected \"GMX_trn_file\"");
            return Err(self.err(ReadErrorKind::BadMagic(msg)));
        }
        let s = self.read_i32s::<13>("frame header")?;
        if s[..10].iter().any(|&v| v < 0) {
            return Err(self.corrupt(format!("negative section size in header {s:?}")));
        }
        let [ir, e, box_size, vir, pres, top, sym, x, v, f, natoms, step, _nre] = s;
        if ir != 0 || e != 0 || top != 0 || sym != 0 {
            return Err(self.err(ReadErrorKind::Unsupported(
                "input-record, energy, topology or symmetry sections in a trr frame".into(),
            )));
        }
        if natoms < 0 {
            return Err(self.corrupt(format!("atom count {natoms} is negative")));
        }
        let n = natoms as usize;
        let real = if box_size != 0 {
            box_size as usize / 9
        } else if x != 0 {
            x as usize / (3 * n).max(1)
        } else if v != 0 {
            v as usize / (3 * n).max(1)
        } else {
            f as usize / (3 * n).max(1)
        };
        if real != 4 && real != 8 {
            return Err(self.corrupt(format!(
                "section sizes imply {real}-byte reals; trr reals are 4 or 8 bytes"
            )));
        }
        let vec3n = 3 * n * real;
        for (name, size, allowed) in [
            ("box", box_size, 9 * real),
            ("virial", vir, 9 * real),
            ("pressure", pres, 9 * real),
            ("position", x, vec3n),
            ("velocity", v, vec3n),
            ("force", f, vec3n),
        ] {
            if size != 0 && size as usize != allowed {
                return Err(self.corrupt(format!(
                    "{name} section of {size} bytes; expected 0 or {allowed} for {n} atoms"
                )));
            }
        }
        let mut tb = [0u8; 16];
        let tb = &mut tb[..2 * real];
        self.src.read_exact(tb, Some(self.index.next()), "time and lambda")?;
        let time = if real == 4 { f64::from(BE.f32(tb)) } else { BE.f64(tb) };
        Ok(Header {
            real,
            box_size: box_size as usize,
            vir_size: vir as usize,
            pres_size: pres as usize,
            x_size: x as usize,
            v_size: v as usize,
            f_size: f as usize,
            n_atoms: n,
            step: i64::from(step),
            time,
        })
    }

    fn begin_frame(&mut self) -> Result<Option<Header>, ReadError> {
        if self.index.reached_end(&self.src) {
            return Ok(None);
        }
        let h = self.read_header()?;
        if h.n_atoms != self.n_atoms {
            return Err(self.corrupt(format!(
                "frame has {} atoms, the first frame has {}",
                h.n_atoms, self.n_atoms
            )));
        }
        if h.body() > self.src.remaining() {
            let msg = format!(
                "frame data needs {} bytes, only {} remain in the file",
                h.body(),
                self.src.remaining()
            );
            return Err(self.err(ReadErrorKind::Truncated(msg)));
        }
        Ok(Some(h))
    }

    fn end_frame(&mut self) {
        self.index.finish_frame(&self.src);
    }
}

/// Converts big-endian reals (nm) to f32 Angstrom: to f32 first, then times 10 in f32.
fn real_at(b: &[u8], real: usize, k: usize) -> f32 {
    let o = k * real;
    if real == 4 { BE.f32(&b[o..o + 4]) } else { BE.f64(&b[o..o + 8]) as f32 }
}

impl<R: Read + Seek> FrameReader for TrrReader<R> {
    fn format(&self) -> Format {
        Format::Trr
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
        if h.x_size == 0 {
            return Err(self.err(ReadErrorKind::Unsupported("trr frame without positions".into())));
        }
        let head = h.box_size + h.vir_size + h.pres_size;
        self.data.resize(head + h.x_size, 0);
        self.src.read_exact(&mut self.data, Some(self.index.next()), "box and positions")?;
        let b = &self.data;
        frame.unit_cell = if h.box_size == 0 {
            None
        } else {
            let mut v = [[0f32; 3]; 3];
            for (k, x) in v.iter_mut().flatten().enumerate() {
                *x = real_at(b, h.real, k);
            }
            cell_from_nm_vectors(v)
        };
        let xs = &b[head..];
        frame.positions.resize(self.n_atoms, [0.0; 3]);
        if h.real == 4 {
            for (p, c) in frame.positions.iter_mut().zip(xs.chunks_exact(12)) {
                *p = [0, 4, 8].map(|o| BE.f32(&c[o..o + 4]) * 10.0);
            }
        } else {
            for (p, c) in frame.positions.iter_mut().zip(xs.chunks_exact(24)) {
                *p = [0, 8, 16].map(|o| (BE.f64(&c[o..o + 8]) as f32) * 10.0);
            }
        }
        let rest = (h.v_size + h.f_size) as u64;
        self.src.skip(rest, Some(self.index.next()), "velocities and forces")?;
        if let Some((atom, value)) = first_non_finite(&frame.positions) {
            return Err(self.err(ReadErrorKind::NonFinite { atom, value }));
        }
        frame.time_ps = Some(h.time);
        frame.step = Some(h.step);
        self.end_frame();
        Ok(true)
    }

    fn skip_next(&mut self) -> Result<bool, ReadError> {
        let Some(h) = self.begin_frame()? else {
            return Ok(false);
        };
        self.src.skip(h.body(), Some(self.index.next()), "frame data")?;
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
