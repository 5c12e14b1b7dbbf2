//! Text trajectories: multi-model PDB (MODEL/ENDMDL) and multi-frame GRO, read line by line.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use super::{FrameReader, first_non_finite};
use crate::error::{Format, Location, ReadError, ReadErrorKind, ReadWarning};
use crate::model::Frame;
use crate::topology::{LineError, gro, pdb};

/// Line-reading state shared by the two text readers.
struct Lines<R> {
    reader: R,
    line: String,
    lineno: usize,
    path: PathBuf,
    format: Format,
}

impl<R: BufRead> Lines<R> {
    /// The next line (1-based number, text without its line ending), or `None` at the end.
    fn next(&mut self) -> Result<Option<(usize, &str)>, ReadError> {
        self.line.clear();
        let n = self.reader.read_line(&mut self.line).map_err(|e| {
            ReadError::io(&self.path, Some(self.format), e).at(Location::Line(self.lineno + 1))
        })?;
        if n == 0 {
            return Ok(None);
        }
        self.lineno += 1;
        Ok(Some((self.lineno, self.line.trim_end_matches(['\n', '\r']))))
    }

    fn error(&self, frame: usize, e: LineError) -> ReadError {
        e.into_error(&self.path, self.format).at_frame(frame)
    }
}

/// Reads each MODEL of a PDB file as one frame (a file without MODEL records is one frame).
pub struct PdbReader<R> {
    lines: Lines<R>,
    n_atoms: usize,
    next: usize,
    cell: Option<crate::model::UnitCell>,
    pending: Option<Frame>,
}

impl<R: BufRead> PdbReader<R> {
    /// Reads the first model to learn the atom count; `path` labels errors.
    pub fn new(reader: R, path: impl AsRef<Path>) -> Result<Self, ReadError> {
        let lines = Lines {
            reader,
            line: String::new(),
            lineno: 0,
            path: path.as_ref().to_path_buf(),
            format: Format::Pdb,
        };
        let mut r = PdbReader { lines, n_atoms: 0, next: 0, cell: None, pending: None };
        let mut first = Frame::default();
        if !r.parse_model(&mut first)? {
            let e = LineError::corrupt(r.lines.lineno, "no ATOM or HETATM records");
            return Err(r.lines.error(0, e));
        }
        r.n_atoms = first.positions.len();
        r.pending = Some(first);
        Ok(r)
    }

    /// Parses the next model into `frame`; `Ok(false)` when no atoms remain.
    fn parse_model(&mut self, frame: &mut Frame) -> Result<bool, ReadError> {
        frame.positions.clear();
        let frame_index = self.next + usize::from(self.pending.is_some());
        while let Some((lineno, line)) = self.lines.next()? {
            if pdb::is_atom_record(line) {
                let p = pdb::parse_coords(line, lineno);
                let p = p.map_err(|e| self.lines.error(frame_index, e))?;
                frame.positions.push(p);
            } else if line.starts_with("CRYST1") {
                let c = pdb::parse_cryst1(line, lineno);
                self.cell = c.map_err(|e| self.lines.error(frame_index, e))?;
            } else if line.starts_with("ENDMDL")
                || ((line.starts_with("END") || line.starts_with("MODEL"))
                    && !frame.positions.is_empty())
            {
                break;
            }
        }
        if frame.positions.is_empty() {
            return Ok(false);
        }
        if self.n_atoms != 0 && frame.positions.len() != self.n_atoms {
            let msg = format!(
                "model has {} atoms, the first model has {}",
                frame.positions.len(),
                self.n_atoms
            );
            return Err(self.lines.error(frame_index, LineError::corrupt(self.lines.lineno, msg)));
        }
        if let Some((atom, value)) = first_non_finite(&frame.positions) {
            let e = LineError::new(self.lines.lineno, ReadErrorKind::NonFinite { atom, value });
            return Err(self.lines.error(frame_index, e));
        }
        frame.unit_cell = self.cell;
        frame.time_ps = None;
        frame.step = None;
        Ok(true)
    }
}

impl<R: BufRead> FrameReader for PdbReader<R> {
    fn format(&self) -> Format {
        Format::Pdb
    }
    fn n_atoms(&self) -> usize {
        self.n_atoms
    }
    fn n_frames(&self) -> Option<usize> {
        None
    }
    fn next_index(&self) -> usize {
        self.next
    }
    fn read_next(&mut self, frame: &mut Frame) -> Result<bool, ReadError> {
        let got = match self.pending.take() {
            Some(first) => {
                *frame = first;
                true
            }
            None => self.parse_model(frame)?,
        };
        self.next += usize::from(got);
        Ok(got)
    }
    fn skip_next(&mut self) -> Result<bool, ReadError> {
        let mut scratch = Frame::default();
        self.read_next(&mut scratch)
    }
    fn seek_frame(&mut self, index: usize) -> Result<bool, ReadError> {
        let path = self.lines.path.clone();
        seek_forward(self, index, &path)
    }
    fn take_warnings(&mut self) -> Vec<ReadWarning> {
        Vec::new()
    }
}

/// Reads each frame (title, count, atoms, box) of a GRO file; `t=` in a title gives the time.
pub struct GroReader<R> {
    lines: Lines<R>,
    n_atoms: usize,
    next: usize,
    pending: Option<Frame>,
}

impl<R: BufRead> GroReader<R> {
    /// Reads the first frame to learn the atom count; `path` labels errors.
    pub fn new(reader: R, path: impl AsRef<Path>) -> Result<Self, ReadError> {
        let lines = Lines {
            reader,
            line: String::new(),
            lineno: 0,
            path: path.as_ref().to_path_buf(),
            format: Format::Gro,
        };
        let mut r = GroReader { lines, n_atoms: 0, next: 0, pending: None };
        let mut first = Frame::default();
        if !r.parse_frame(&mut first)? {
            return Err(r.lines.error(0, LineError::corrupt(1, "empty gro file")));
        }
        // Every later frame is checked against this count (0 would accept any: found by
        // fuzzing), and a system of no atom has nothing to read.
        if first.positions.is_empty() {
            return Err(r.lines.error(0, LineError::corrupt(2, "the first frame has 0 atoms")));
        }
        r.n_atoms = first.positions.len();
        r.pending = Some(first);
        Ok(r)
    }

    fn parse_frame(&mut self, frame: &mut Frame) -> Result<bool, ReadError> {
        let fi = self.next + usize::from(self.pending.is_some());
        let Some((_, title)) = self.lines.next()? else {
            return Ok(false);
        };
        if title.trim().is_empty() && self.n_atoms != 0 {
            return Ok(false);
        }
        let (time, step) = gro::parse_title(title);
        let after_title = self.lines.lineno + 1;
        let (lineno, count_line) = self.lines.next()?.unwrap_or((after_title, ""));
        let n = gro::parse_count(count_line, lineno).map_err(|e| self.lines.error(fi, e))?;
        if self.n_atoms != 0 && n != self.n_atoms {
            let msg = format!("frame has {n} atoms, the first frame has {}", self.n_atoms);
            return Err(self.lines.error(fi, LineError::corrupt(self.lines.lineno, msg)));
        }
        frame.positions.clear();
        let mut width = 0;
        for i in 0..n {
            let next_line = self.lines.lineno + 1;
            let Some((lineno, line)) = self.lines.next()? else {
                let msg = format!("frame ends after {i} of {n} atom lines");
                let e = LineError::new(next_line, ReadErrorKind::Truncated(msg));
                return Err(self.lines.error(fi, e));
            };
            let parsed = match i {
                0 => gro::coord_width(line, lineno),
                _ => Ok(width),
            }
            .and_then(|w| gro::parse_coords(line, w, lineno).map(|p| (w, p)));
            let (w, p) = parsed.map_err(|e| self.lines.error(fi, e))?;
            width = w;
            frame.positions.push(p);
        }
        let Some((box_no, box_line)) = self.lines.next()? else {
            let e = LineError::new(
                self.lines.lineno + 1,
                ReadErrorKind::Truncated("frame ends before its box line".into()),
            );
            return Err(self.lines.error(fi, e));
        };
        frame.unit_cell = gro::parse_box(box_line, box_no).map_err(|e| self.lines.error(fi, e))?;
        if let Some((atom, value)) = first_non_finite(&frame.positions) {
            let e = LineError::new(self.lines.lineno, ReadErrorKind::NonFinite { atom, value });
            return Err(self.lines.error(fi, e));
        }
        frame.time_ps = time;
        frame.step = step;
        Ok(true)
    }
}

impl<R: BufRead> FrameReader for GroReader<R> {
    fn format(&self) -> Format {
        Format::Gro
    }
    fn n_atoms(&self) -> usize {
        self.n_atoms
    }
    fn n_frames(&self) -> Option<usize> {
        None
    }
    fn next_index(&self) -> usize {
        self.next
    }
    fn read_next(&mut self, frame: &mut Frame) -> Result<bool, ReadError> {
        let got = match self.pending.take() {
            Some(first) => {
                *frame = first;
                true
            }
            None => self.parse_frame(frame)?,
        };
        self.next += usize::from(got);
        Ok(got)
    }
    fn skip_next(&mut self) -> Result<bool, ReadError> {
        let mut scratch = Frame::default();
        self.read_next(&mut scratch)
    }
    fn seek_frame(&mut self, index: usize) -> Result<bool, ReadError> {
        let path = self.lines.path.clone();
        seek_forward(self, index, &path)
    }
    fn take_warnings(&mut self) -> Vec<ReadWarning> {
        Vec::new()
    }
}

/// Text files cannot jump: skip forward, and refuse to go back.
fn seek_forward(r: &mut dyn FrameReader, index: usize, path: &Path) -> Result<bool, ReadError> {
    if index < r.next_index() {
        let format = r.format();
        let msg =
            format!("{format} trajectories read forward only; cannot go back to frame {index}");
        return Err(ReadError::new(path, Some(format), ReadErrorKind::Unsupported(msg)));
    }
    while r.next_index() < index {
        if !r.skip_next()? {
            return Ok(false);
        }
    }
    Ok(true)
}
