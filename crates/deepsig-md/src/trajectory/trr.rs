//! GROMACS TRR frames: single or double precision; box and positions read, the rest skipped.
//! The reading loop and frame index are [`VariableReader`]'s.

use std::io::{Read, Seek};

use super::first_non_finite;
use super::source::{Endian, Source};
use super::variable::{FrameCodec, VariableReader};
use crate::error::{Format, ReadError, ReadErrorKind};
use crate::model::Frame;
use crate::topology::cell_from_nm_vectors;

const BE: Endian = Endian::Big;
const MAGIC: i32 = 1993;
const VERSION: &[u8] = b"GMX_trn_file";

/// Streams a TRR file from any `Read + Seek` source.
pub type TrrReader<R> = VariableReader<R, TrrFrames>;

/// The TRR frame layout, with the buffer of the last box and positions read.
#[derive(Debug, Default)]
pub struct TrrFrames {
    data: Vec<u8>,
}

/// What one TRR frame header says about the sections that follow it.
pub struct TrrHeader {
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

impl TrrHeader {
    fn body(&self) -> u64 {
        [self.box_size, self.vir_size, self.pres_size, self.x_size, self.v_size, self.f_size]
            .iter()
            .map(|&s| s as u64)
            .sum()
    }

    /// Fails unless the body fits in what is left of the file.
    fn fits<R: Read + Seek>(&self, src: &Source<R>, index: usize) -> Result<(), ReadError> {
        if self.body() <= src.remaining() {
            return Ok(());
        }
        let msg = format!(
            "frame data needs {} bytes, only {} remain in the file",
            self.body(),
            src.remaining()
        );
        Err(src.error(Some(index), ReadErrorKind::Truncated(msg)))
    }
}

impl FrameCodec for TrrFrames {
    const FORMAT: Format = Format::Trr;
    type Header = TrrHeader;

    fn read_header<R: Read + Seek>(
        &mut self,
        src: &mut Source<R>,
        frame: usize,
    ) -> Result<(TrrHeader, usize), ReadError> {
        let h = read_header(src, frame)?;
        let n = h.n_atoms;
        Ok((h, n))
    }

    fn read_body<R: Read + Seek>(
        &mut self,
        src: &mut Source<R>,
        h: &TrrHeader,
        (n, index): (usize, usize),
        frame: &mut Frame,
    ) -> Result<(), ReadError> {
        h.fits(src, index)?;
        if h.x_size == 0 {
            let kind = ReadErrorKind::Unsupported("trr frame without positions".into());
            return Err(src.error(Some(index), kind));
        }
        let head = h.box_size + h.vir_size + h.pres_size;
        self.data.resize(head + h.x_size, 0);
        src.read_exact(&mut self.data, Some(index), "box and positions")?;
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
        frame.positions.resize(n, [0.0; 3]);
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
        src.skip(rest, Some(index), "velocities and forces")?;
        if let Some((atom, value)) = first_non_finite(&frame.positions) {
            return Err(src.error(Some(index), ReadErrorKind::NonFinite { atom, value }));
        }
        frame.time_ps = Some(h.time);
        frame.step = Some(h.step);
        Ok(())
    }

    fn skip_body<R: Read + Seek>(
        &mut self,
        src: &mut Source<R>,
        h: &TrrHeader,
        (_, index): (usize, usize),
    ) -> Result<(), ReadError> {
        h.fits(src, index)?;
        src.skip(h.body(), Some(index), "frame data")
    }
}

/// Converts big-endian reals (nm) to f32 Angstrom: to f32 first, then times 10 in f32.
fn real_at(b: &[u8], real: usize, k: usize) -> f32 {
    let o = k * real;
    if real == 4 { BE.f32(&b[o..o + 4]) } else { BE.f64(&b[o..o + 8]) as f32 }
}

fn read_i32s<R: Read + Seek, const N: usize>(
    src: &mut Source<R>,
    frame: usize,
    what: &str,
) -> Result<[i32; N], ReadError> {
    let mut b = [0u8; 64];
    let b = &mut b[..4 * N];
    src.read_exact(b, Some(frame), what)?;
    let mut out = [0i32; N];
    for (o, c) in out.iter_mut().zip(b.chunks_exact(4)) {
        *o = BE.i32(c);
    }
    Ok(out)
}

fn read_header<R: Read + Seek>(src: &mut Source<R>, frame: usize) -> Result<TrrHeader, ReadError> {
    let err = |src: &Source<R>, kind| src.error(Some(frame), kind);
    let corrupt = |src: &Source<R>, msg| src.error(Some(frame), ReadErrorKind::Corrupt(msg));
    let [magic, _slen, len] = read_i32s::<R, 3>(src, frame, "frame header")?;
    if magic != MAGIC {
        let msg = format!("trr frame starts with {MAGIC}, found {magic}");
        return Err(err(src, ReadErrorKind::BadMagic(msg)));
    }
    if len != VERSION.len() as i32 {
        return Err(err(
            src,
            ReadErrorKind::BadMagic(format!(
                "version string of length {len}, expected \"GMX_trn_file\""
            )),
        ));
    }
    let mut version = [0u8; 12];
    src.read_exact(&mut version, Some(frame), "version string")?;
    if version != VERSION {
        let found = String::from_utf8_lossy(&version).into_owned();
        let msg = format!("version string {found:?}, expected \"GMX_trn_file\"");
        return Err(err(src, ReadErrorKind::BadMagic(msg)));
    }
    let s = read_i32s::<R, 13>(src, frame, "frame header")?;
    if s[..10].iter().any(|&v| v < 0) {
        return Err(corrupt(src, format!("negative section size in header {s:?}")));
    }
    let [ir, e, box_size, vir, pres, top, sym, x, v, f, natoms, step, _nre] = s;
    if ir != 0 || e != 0 || top != 0 || sym != 0 {
        return Err(err(
            src,
            ReadErrorKind::Unsupported(
                "input-record, energy, topology or symmetry sections in a trr frame".into(),
            ),
        ));
    }
    if natoms < 0 {
        return Err(corrupt(src, format!("atom count {natoms} is negative")));
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
        return Err(corrupt(
            src,
            format!("section sizes imply {real}-byte reals; trr reals are 4 or 8 bytes"),
        ));
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
            return Err(corrupt(
                src,
                format!("{name} section of {size} bytes; expected 0 or {allowed} for {n} atoms"),
            ));
        }
    }
    let mut tb = [0u8; 16];
    let tb = &mut tb[..2 * real];
    src.read_exact(tb, Some(frame), "time and lambda")?;
    let time = if real == 4 { f64::from(BE.f32(tb)) } else { BE.f64(tb) };
    Ok(TrrHeader {
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
