//! CHARMM / NAMD / X-PLOR DCD reader: Fortran records with 32-bit markers, either byte order,
//! optional unit cell; fixed frame size, so the frame count comes from the file size.

use std::io::{Read, Seek};
use std::path::Path;

use super::source::{Endian, Source};
use super::{FrameReader, ReadOptions, first_non_finite};
use crate::error::{Format, ReadError, ReadErrorKind, ReadWarning};
use crate::model::Frame;
use crate::topology::cell_from_dimensions;

/// 1 ps in AKMA time units.
pub(crate) const AKMA_PER_PS: f64 = 20.45482949774598;

/// Streams a DCD file from any `Read + Seek` source.
pub struct DcdReader<R> {
    src: Source<R>,
    endian: Endian,
    n_atoms: usize,
    n_frames: usize,
    header_len: u64,
    frame_len: u64,
    has_cell: bool,
    has_4d: bool,
    istart: i64,
    nsavc: i64,
    /// Time step in AKMA units.
    delta: f64,
    remarks: String,
    next: usize,
    buf: Vec<u8>,
    warnings: Vec<ReadWarning>,
    /// Whether a cut-short last frame was allowed (and warned about) at open.
    allow_truncated: bool,
}

impl<R: Read + Seek> DcdReader<R> {
    /// Reads and checks the header; `path` labels errors and warnings. A file whose size is not
    /// the header plus whole frames is an error.
    pub fn new(reader: R, path: impl AsRef<Path>) -> Result<Self, ReadError> {
        DcdReader::with_options(reader, path, ReadOptions::default())
    }

    /// Like [`new`](Self::new); with `options.allow_truncated` a cut-short last frame is a
    /// warning and the whole frames before it are read.
    pub fn with_options(
        reader: R,
        path: impl AsRef<Path>,
        options: ReadOptions,
    ) -> Result<Self, ReadError> {
        let mut src = Source::new(reader, path.as_ref(), Format::Dcd)?;
        let mut first = [0u8; 4];
        src.read_exact(&mut first, None, "first record marker")?;
        let endian = if i32::from_le_bytes(first) == 84 {
            Endian::Little
        } else if i32::from_be_bytes(first) == 84 {
            Endian::Big
        } else {
            let msg = format!("a dcd starts with the record marker 84, found bytes {first:02x?}");
            return Err(src.error(None, ReadErrorKind::BadMagic(msg)));
        };
        let corrupt = |src: &Source<R>, msg: String| src.error(None, ReadErrorKind::Corrupt(msg));
        let mut hdr = [0u8; 88];
        src.read_exact(&mut hdr, None, "header record")?;
        if &hdr[..4] != b"CORD" {
            let msg = format!(
                "header record starts with \"CORD\", found {:?}",
                String::from_utf8_lossy(&hdr[..4])
            );
            return Err(src.error(None, ReadErrorKind::BadMagic(msg)));
        }
        let icntrl = |k: usize| endian.i32(&hdr[4 + 4 * k..8 + 4 * k]);
        if endian.i32(&hdr[84..88]) != 84 {
            return Err(corrupt(&src, "header record's closing marker is not 84".into()));
        }
        let charmm = icntrl(19) != 0;
        let delta =
            if charmm { f64::from(endian.f32(&hdr[40..44])) } else { endian.f64(&hdr[40..48]) };
        let (nset, istart, nsavc, namnf) = (icntrl(0), icntrl(1), icntrl(2), icntrl(8));
        let has_cell = charmm && icntrl(10) != 0;
        let has_4d = charmm && icntrl(11) == 1;
        if namnf != 0 {
            let msg = format!("fixed atoms (NAMNF = {namnf}) are not supported");
            return Err(src.error(None, ReadErrorKind::Unsupported(msg)));
        }
        let mut warnings = Vec::new();
        let remarks = read_title(&mut src, endian, &mut warnings)?;
        let mut natom = [0u8; 12];
        src.read_exact(&mut natom, None, "atom count record")?;
        let (m1, n, m2) =
            (endian.i32(&natom[..4]), endian.i32(&natom[4..8]), endian.i32(&natom[8..]));
        if m1 != 4 || m2 != 4 || n <= 0 {
            let msg = format!(
                "atom count record must be 4 bytes holding a positive count, found markers {m1}/{m2}, count {n}"
            );
            return Err(corrupt(&src, msg));
        }
        let n_atoms = n as usize;
        let coord = 8 + 4 * n_atoms as u64;
        let frame_len = if has_cell { 56 } else { 0 } + 3 * coord + if has_4d { coord } else { 0 };
        let header_len = src.pos();
        let body = src.len() - header_len;
        let n_frames = (body / frame_len) as usize;
        let mut r = DcdReader {
            src,
            endian,
            n_atoms,
            n_frames,
            header_len,
            frame_len,
            has_cell,
            has_4d,
            istart: i64::from(istart),
            nsavc: i64::from(nsavc),
            delta,
            remarks,
            next: 0,
            buf: Vec::new(),
            warnings,
            allow_truncated: options.allow_truncated,
        };
        let partial = body % frame_len;
        if partial != 0 {
            let offset = header_len + n_frames as u64 * frame_len;
            let short = format!("{partial} of its {frame_len} bytes are in the file");
            if !options.allow_truncated {
                let msg = format!(
                    "the last frame is cut short: {short}; --allow-truncated (or allow_truncated \
                     = true in a manifest) reads the {n_frames} whole frames before it"
                );
                let kind = ReadErrorKind::Truncated(msg);
                let mut e = r.src.error(Some(n_frames), kind);
                e.location = Some(crate::error::Location::Offset(offset));
                return Err(e);
            }
            r.warn(format!(
                "frame {n_frames} at byte {offset} is cut short: {short}; reading the {n_frames} \
                 whole frames before it"
            ));
        }
        // A header that counts the cut frame is right about the file; the warning above says it.
        let counted = n_frames + usize::from(partial != 0);
        if nset != n_frames as i32 && nset != counted as i32 {
            r.warn(format!(
                "header says NSET = {nset} frames, the file size holds {n_frames}; using {n_frames}"
            ));
        }
        Ok(r)
    }

    /// The title remarks, lines joined with newlines, trailing blanks trimmed.
    pub fn remarks(&self) -> &str {
        &self.remarks
    }

    /// Time of frame `i` in ps: (ISTART + i * NSAVC) * DELTA, DELTA converted from AKMA.
    pub fn time_ps(&self, i: usize) -> f64 {
        (self.istart as f64 + i as f64 * self.nsavc as f64) * self.delta / AKMA_PER_PS
    }

    fn warn(&mut self, message: String) {
        self.warnings.push(ReadWarning {
            path: self.src.path().to_path_buf(),
            format: Format::Dcd,
            message,
        });
    }

    fn err(&self, kind: ReadErrorKind) -> ReadError {
        self.src.error(Some(self.next), kind)
    }

    fn corrupt(&self, msg: String) -> ReadError {
        self.err(ReadErrorKind::Corrupt(msg))
    }

    /// Checks a record's opening and closing markers in `b[at..]`; returns the payload range.
    fn record(
        &self,
        at: usize,
        len: usize,
        what: &str,
    ) -> Result<std::ops::Range<usize>, ReadError> {
        let e = self.endian;
        let (open, close) =
            (e.i32(&self.buf[at..at + 4]), e.i32(&self.buf[at + 4 + len..at + 8 + len]));
        if open != len as i32 || close != len as i32 {
            return Err(
                self.corrupt(format!("{what} record markers {open}/{close}, expected {len}"))
            );
        }
        Ok(at + 4..at + 4 + len)
    }

    fn cell(&self) -> Result<Option<crate::model::UnitCell>, ReadError> {
        let r = self.record(0, 48, "unit cell")?;
        let v: Vec<f64> = self.buf[r].chunks_exact(8).map(|c| self.endian.f64(c)).collect();
        // Stored as A, gamma, B, beta, alpha, C.
        let (a, mut gamma, b, mut beta, mut alpha, c) = (v[0], v[1], v[2], v[3], v[4], v[5]);
        if v.iter().all(|&x| x == 0.0) {
            return Ok(None);
        }
        // CHARMM and NAMD >= 2.5 store cosines; this is MDAnalysis's (and VMD's) test and formula.
        if [alpha, beta, gamma].iter().all(|x| (-1.0..=1.0).contains(x)) {
            let deg = |cos: f64| 90.0 - cos.asin().to_degrees();
            (alpha, beta, gamma) = (deg(alpha), deg(beta), deg(gamma));
        }
        Ok(cell_from_dimensions([a, b, c, alpha, beta, gamma]))
    }
}

/// Reads the title record the way MDAnalysis (and VMD's molfile) do: trust NTITLE, not the
/// closing marker, and only warn when the two disagree.
fn read_title<R: Read + Seek>(
    src: &mut Source<R>,
    endian: Endian,
    warnings: &mut Vec<ReadWarning>,
) -> Result<String, ReadError> {
    let mut b = [0u8; 8];
    src.read_exact(&mut b, None, "title record")?;
    let (marker, ntitle) = (endian.i32(&b[..4]), endian.i32(&b[4..]));
    if marker < 4 || (marker - 4) % 80 != 0 || !(0..=1_000_000).contains(&ntitle) {
        let msg = format!(
            "title record of {marker} bytes with NTITLE = {ntitle}; expected 4 + 80 * NTITLE"
        );
        return Err(src.error(None, ReadErrorKind::Corrupt(msg)));
    }
    let len = 80 * ntitle as u64;
    if len > src.remaining() {
        let msg = format!(
            "NTITLE = {ntitle} title lines need {len} bytes, only {} remain",
            src.remaining()
        );
        return Err(src.error(None, ReadErrorKind::Truncated(msg)));
    }
    let mut text = vec![0u8; len as usize];
    src.read_exact(&mut text, None, "title lines")?;
    let mut end = [0u8; 4];
    src.read_exact(&mut end, None, "title record end marker")?;
    let need = 4 + 80 * ntitle;
    if marker != need {
        warnings.push(ReadWarning {
            path: src.path().to_path_buf(),
            format: Format::Dcd,
            message: format!(
                "title record markers say {marker} bytes, NTITLE = {ntitle} needs {need}; read as NTITLE says"
            ),
        });
    }
    let lines: Vec<String> = text
        .chunks(80)
        .map(|l| String::from_utf8_lossy(l).trim_end_matches(['\0', ' ']).to_string())
        .collect();
    Ok(lines.join("\n"))
}

impl<R: Read + Seek> FrameReader for DcdReader<R> {
    fn format(&self) -> Format {
        Format::Dcd
    }

    fn n_atoms(&self) -> usize {
        self.n_atoms
    }

    fn n_frames(&self) -> Option<usize> {
        Some(self.n_frames)
    }

    fn next_index(&self) -> usize {
        self.next
    }

    fn read_next(&mut self, frame: &mut Frame) -> Result<bool, ReadError> {
        if self.next >= self.n_frames {
            if self.src.remaining() > 0 && self.next == self.n_frames && !self.allow_truncated {
                let msg = format!(
                    "{} trailing bytes do not form a whole frame of {} bytes",
                    self.src.remaining(),
                    self.frame_len
                );
                return Err(self.err(ReadErrorKind::Truncated(msg)));
            }
            return Ok(false);
        }
        // One read per frame into a reused buffer; conversion happens in memory.
        self.buf.resize(self.frame_len as usize, 0);
        self.src.read_exact(&mut self.buf, Some(self.next), "frame")?;
        frame.unit_cell = if self.has_cell { self.cell()? } else { None };
        let n = self.n_atoms;
        let base = if self.has_cell { 56 } else { 0 };
        let rx = self.record(base, 4 * n, "x")?;
        let ry = self.record(base + 8 + 4 * n, 4 * n, "y")?;
        let rz = self.record(base + 16 + 8 * n, 4 * n, "z")?;
        frame.positions.resize(n, [0.0; 3]);
        let (xs, ys, zs) = (&self.buf[rx], &self.buf[ry], &self.buf[rz]);
        let it = xs.chunks_exact(4).zip(ys.chunks_exact(4)).zip(zs.chunks_exact(4));
        match self.endian {
            Endian::Little => {
                for (p, ((x, y), z)) in frame.positions.iter_mut().zip(it) {
                    *p = [x, y, z].map(|w| f32::from_le_bytes(super::source::word4(w)));
                }
            }
            Endian::Big => {
                for (p, ((x, y), z)) in frame.positions.iter_mut().zip(it) {
                    *p = [x, y, z].map(|w| f32::from_be_bytes(super::source::word4(w)));
                }
            }
        }
        if self.has_4d {
            self.record(base + 24 + 12 * n, 4 * n, "fourth-dimension")?;
        }
        if let Some((atom, value)) = first_non_finite(&frame.positions) {
            return Err(self.err(ReadErrorKind::NonFinite { atom, value }));
        }
        frame.time_ps = Some(self.time_ps(self.next));
        frame.step = Some(self.istart + self.next as i64 * self.nsavc);
        self.next += 1;
        Ok(true)
    }

    fn skip_next(&mut self) -> Result<bool, ReadError> {
        if self.next >= self.n_frames {
            return Ok(false);
        }
        self.seek_frame(self.next + 1)?;
        Ok(true)
    }

    fn seek_frame(&mut self, index: usize) -> Result<bool, ReadError> {
        let index = index.min(self.n_frames);
        self.src.seek_to(self.header_len + index as u64 * self.frame_len)?;
        self.next = index;
        Ok(index < self.n_frames)
    }

    fn take_warnings(&mut self) -> Vec<ReadWarning> {
        std::mem::take(&mut self.warnings)
    }
}
