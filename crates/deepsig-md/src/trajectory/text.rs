//! Text trajectories: multi-model PDB (MODEL/ENDMDL) and multi-frame GRO, read line by line.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use super::{FrameReader, first_non_finite};
use crate::error::{Format, Location, ReadError, ReadErrorKind, ReadWarning};
use crate::model::Frame;
use crate::topology::{LineError, gro, pdb};

/// Line-reading state shared by the text readers.
pub struct Lines<R> {
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

    /// Fails on the first NaN or infinite coordinate of frame `frame`, just read.
    fn check_finite(&self, frame: usize, positions: &[[f32; 3]]) -> Result<(), ReadError> {
        match first_non_finite(positions) {
            None => Ok(()),
            Some((atom, value)) => {
                let e = LineError::new(self.lineno, ReadErrorKind::NonFinite { atom, value });
                Err(self.error(frame, e))
            }
        }
    }
}

/// One text format's frame parser: what [`TextReader`] needs beyond the shared line state.
pub trait TextFrames: Default {
    /// The format this parser reads (labels errors).
    const FORMAT: Format;
    /// Parses the next frame into `frame`; `Ok(false)` when the file holds no more.
    /// `n_atoms` is the first frame's count (0 while reading the first frame).
    fn parse<R: BufRead>(
        &mut self,
        lines: &mut Lines<R>,
        n_atoms: usize,
        frame_index: usize,
        frame: &mut Frame,
    ) -> Result<bool, ReadError>;
    /// The error for a file that holds no frame at all, found at line `lineno`.
    fn no_frame(lineno: usize) -> LineError;
}

/// Reads a text trajectory frame by frame: [`PdbReader`] (each MODEL a frame; a file without
/// MODEL records is one frame) or [`GroReader`] (each title, count, atoms and box a frame;
/// `t=` in a title gives the time). The first frame is read at once to learn the atom count,
/// and every later frame must have as many.
pub struct TextReader<R, F> {
    lines: Lines<R>,
    n_atoms: usize,
    next: usize,
    pending: Option<Frame>,
    parser: F,
}

/// Reads each MODEL of a PDB file as one frame.
pub type PdbReader<R> = TextReader<R, PdbFrames>;
/// Reads each frame of a multi-frame GRO file.
pub type GroReader<R> = TextReader<R, GroFrames>;

impl<R: BufRead, F: TextFrames> TextReader<R, F> {
    /// Reads the first frame to learn the atom count; `path` labels errors.
    pub fn new(reader: R, path: impl AsRef<Path>) -> Result<Self, ReadError> {
        let lines = Lines {
            reader,
            line: String::new(),
            lineno: 0,
            path: path.as_ref().to_path_buf(),
            format: F::FORMAT,
        };
        let mut r = TextReader { lines, n_atoms: 0, next: 0, pending: None, parser: F::default() };
        let mut first = Frame::default();
        if !r.parser.parse(&mut r.lines, 0, 0, &mut first)? {
            return Err(r.lines.error(0, F::no_frame(r.lines.lineno)));
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
}

impl<R: BufRead, F: TextFrames> FrameReader for TextReader<R, F> {
    fn format(&self) -> Format {
        F::FORMAT
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
            None => self.parser.parse(&mut self.lines, self.n_atoms, self.next, frame)?,
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

/// The frames of a multi-model PDB file; a CRYST1 record holds for the models after it.
#[derive(Debug, Default)]
pub struct PdbFrames {
    cell: Option<crate::model::UnitCell>,
}

impl TextFrames for PdbFrames {
    const FORMAT: Format = Format::Pdb;

    fn parse<R: BufRead>(
        &mut self,
        lines: &mut Lines<R>,
        n_atoms: usize,
        frame_index: usize,
        frame: &mut Frame,
    ) -> Result<bool, ReadError> {
        frame.positions.clear();
        while let Some((lineno, line)) = lines.next()? {
            if pdb::is_atom_record(line) {
                let p = pdb::parse_coords(line, lineno);
                let p = p.map_err(|e| lines.error(frame_index, e))?;
                frame.positions.push(p);
            } else if line.starts_with("CRYST1") {
                let c = pdb::parse_cryst1(line, lineno);
                self.cell = c.map_err(|e| lines.error(frame_index, e))?;
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
        if n_atoms != 0 && frame.positions.len() != n_atoms {
            let msg = format!(
                "model has {} atoms, the first model has {n_atoms}",
                frame.positions.len(),
            );
            return Err(lines.error(frame_index, LineError::corrupt(lines.lineno, msg)));
        }
        lines.check_finite(frame_index, &frame.positions)?;
        frame.unit_cell = self.cell;
        frame.time_ps = None;
        frame.step = None;
        Ok(true)
    }

    fn no_frame(lineno: usize) -> LineError {
        LineError::corrupt(lineno, "no ATOM or HETATM records")
    }
}

/// The frames of a multi-frame GRO file.
#[derive(Debug, Default)]
pub struct GroFrames;

impl TextFrames for GroFrames {
    const FORMAT: Format = Format::Gro;

    fn parse<R: BufRead>(
        &mut self,
        lines: &mut Lines<R>,
        n_atoms: usize,
        fi: usize,
        frame: &mut Frame,
    ) -> Result<bool, ReadError> {
        let Some((_, title)) = lines.next()? else {
            return Ok(false);
        };
        if title.trim().is_empty() && n_atoms != 0 {
            return Ok(false);
        }
        let (time, step) = gro::parse_title(title);
        let after_title = lines.lineno + 1;
        let (lineno, count_line) = lines.next()?.unwrap_or((after_title, ""));
        let n = gro::parse_count(count_line, lineno).map_err(|e| lines.error(fi, e))?;
        if n_atoms != 0 && n != n_atoms {
            let msg = format!("frame has {n} atoms, the first frame has {n_atoms}");
            return Err(lines.error(fi, LineError::corrupt(lines.lineno, msg)));
        }
        frame.positions.clear();
        let mut width = 0;
        for i in 0..n {
            let next_line = lines.lineno + 1;
            let Some((lineno, line)) = lines.next()? else {
                let msg = format!("frame ends after {i} of {n} atom lines");
                let e = LineError::new(next_line, ReadErrorKind::Truncated(msg));
                return Err(lines.error(fi, e));
            };
            let parsed = match i {
                0 => gro::coord_width(line, lineno),
                _ => Ok(width),
            }
            .and_then(|w| gro::parse_coords(line, w, lineno).map(|p| (w, p)));
            let (w, p) = parsed.map_err(|e| lines.error(fi, e))?;
            width = w;
            frame.positions.push(p);
        }
        let Some((box_no, box_line)) = lines.next()? else {
            let e = LineError::new(
                lines.lineno + 1,
                ReadErrorKind::Truncated("frame ends before its box line".into()),
            );
            return Err(lines.error(fi, e));
        };
        frame.unit_cell = gro::parse_box(box_line, box_no).map_err(|e| lines.error(fi, e))?;
        lines.check_finite(fi, &frame.positions)?;
        frame.time_ps = time;
        frame.step = step;
        Ok(true)
    }

    fn no_frame(_lineno: usize) -> LineError {
        LineError::corrupt(1, "empty gro file")
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
