//! Trajectory readers (XTC, TRR, DCD, Amber NetCDF, multi-model PDB, multi-frame GRO) and a reader over
//! several files concatenated, with start/stop/stride.

mod dcd;
mod index;
mod ncdf;
mod source;
mod stored_index;
mod text;
mod trr;
mod variable;
mod xtc;
mod xtc_decode;

use std::fs::File;
use std::io::{BufRead, BufReader, Seek};
use std::path::{Path, PathBuf};

use crate::error::{Format, ReadError, ReadErrorKind, ReadWarning};
use crate::model::{Frame, Topology};

pub use dcd::DcdReader;
pub use ncdf::NcdfReader;
pub use stored_index::FrameIndexPlace;
pub use text::{GroReader, PdbReader};
pub use trr::TrrReader;
pub use xtc::XtcReader;

/// Buffer size of file-backed readers: large reads keep syscalls rare.
const BUF_CAPACITY: usize = 1 << 20;

/// One trajectory file read frame by frame into a caller's reused [`Frame`].
pub trait FrameReader {
    /// The file's format.
    fn format(&self) -> Format;
    /// Atoms per frame (from the header or first frame).
    fn n_atoms(&self) -> usize;
    /// The number of frames, when known without reading them (DCD: from the file size).
    fn n_frames(&self) -> Option<usize>;
    /// 0-based index of the frame the next [`read_next`](Self::read_next) returns.
    fn next_index(&self) -> usize;
    /// Reads the next frame into `frame`, reusing its buffers; `Ok(false)` at the end.
    fn read_next(&mut self, frame: &mut Frame) -> Result<bool, ReadError>;
    /// Moves past the next frame without decoding it; `Ok(false)` at the end.
    fn skip_next(&mut self) -> Result<bool, ReadError>;
    /// Positions the reader so the next read returns frame `index`; `Ok(false)` when the file
    /// has fewer frames (the reader is then at its end).
    fn seek_frame(&mut self, index: usize) -> Result<bool, ReadError>;
    /// Takes the warnings gathered so far.
    fn take_warnings(&mut self) -> Vec<ReadWarning>;
}

/// How readers treat a file that ends inside a frame, and where they keep frame indexes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReadOptions {
    /// Read the whole frames of a file whose last frame is cut short, with a warning naming
    /// the frame and byte offset, instead of failing (the default: nothing is dropped
    /// silently).
    pub allow_truncated: bool,
    /// Where the frame offsets of XTC and TRR files are kept between opens, so that a second
    /// open knows the frame count and seeks at once (default: in memory only).
    pub frame_index: FrameIndexPlace,
}

impl ReadOptions {
    /// The defaults, with `allow_truncated` as given.
    pub fn allowing_truncated(allow_truncated: bool) -> ReadOptions {
        ReadOptions { allow_truncated, ..ReadOptions::default() }
    }
}

/// Opens one trajectory file, choosing the reader from its extension; a cut-short last frame
/// is an error.
pub fn open_frame_reader(path: impl AsRef<Path>) -> Result<Box<dyn FrameReader>, ReadError> {
    open_frame_reader_with(path, &ReadOptions::default())
}

/// Like [`open_frame_reader`], with `options`.
pub fn open_frame_reader_with(
    path: impl AsRef<Path>,
    options: &ReadOptions,
) -> Result<Box<dyn FrameReader>, ReadError> {
    let path = path.as_ref();
    let format = Format::from_path(path)?;
    let file = File::open(path).map_err(|e| ReadError::io(path, Some(format), e))?;
    let buf = BufReader::with_capacity(BUF_CAPACITY, file);
    Ok(match format {
        Format::Dcd => Box::new(DcdReader::with_options(buf, path, options.clone())?),
        Format::Xtc => Box::new(XtcReader::with_index(buf, path, &options.frame_index)?),
        Format::Trr => Box::new(TrrReader::with_index(buf, path, &options.frame_index)?),
        Format::Pdb => Box::new(PdbReader::new(buf, path)?),
        Format::Gro => Box::new(GroReader::new(buf, path)?),
        Format::Ncdf => Box::new(NcdfReader::open(path, options.clone())?),
        Format::Psf | Format::Prmtop => return Err(no_coordinates(path, format)),
    })
}

/// Which frames of the concatenated trajectory to read: `start..stop` every `stride`-th.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRange {
    /// First frame (0-based, over all files).
    pub start: usize,
    /// One past the last frame; `None` reads to the end.
    pub stop: Option<usize>,
    /// Step between frames; 0 is treated as 1.
    pub stride: usize,
}

impl Default for FrameRange {
    fn default() -> Self {
        FrameRange { start: 0, stop: None, stride: 1 }
    }
}

impl FrameRange {
    /// How many frames this range selects out of `total`.
    pub fn count(&self, total: usize) -> usize {
        let end = self.stop.map_or(total, |s| s.min(total));
        end.saturating_sub(self.start).div_ceil(self.stride.max(1))
    }
}

/// Several trajectory files read in order as one, frame by frame with bounded memory.
pub struct Trajectory {
    paths: Vec<PathBuf>,
    counts: Vec<Option<usize>>,
    file: usize,
    current: Box<dyn FrameReader>,
    base: usize,
    n_atoms: usize,
    range: FrameRange,
    options: ReadOptions,
    next_target: usize,
    warnings: Vec<ReadWarning>,
    done: bool,
}

impl Trajectory {
    /// Opens every file (checking each header and that all have the same atom count) and
    /// prepares to read all frames.
    pub fn open<P: AsRef<Path>>(paths: &[P]) -> Result<Trajectory, ReadError> {
        Trajectory::open_range(paths, FrameRange::default())
    }

    /// Like [`open`](Self::open), reading only the frames in `range`.
    pub fn open_range<P: AsRef<Path>>(
        paths: &[P],
        range: FrameRange,
    ) -> Result<Trajectory, ReadError> {
        Trajectory::open_with(paths, range, ReadOptions::default())
    }

    /// Like [`open_range`](Self::open_range), with `options` for every file.
    pub fn open_with<P: AsRef<Path>>(
        paths: &[P],
        range: FrameRange,
        options: ReadOptions,
    ) -> Result<Trajectory, ReadError> {
        let paths: Vec<PathBuf> = paths.iter().map(|p| p.as_ref().to_path_buf()).collect();
        let Some(first) = paths.first() else {
            return Err(ReadError::new(
                Path::new("<none>"),
                None,
                ReadErrorKind::Corrupt("no trajectory files given".into()),
            ));
        };
        let mut current = open_frame_reader_with(first, &options)?;
        let n_atoms = current.n_atoms();
        let mut warnings = current.take_warnings();
        let mut counts = vec![current.n_frames()];
        for path in &paths[1..] {
            let mut reader = open_frame_reader_with(path, &options)?;
            check_count(path, reader.format(), (first, n_atoms), reader.n_atoms())?;
            warnings.extend(reader.take_warnings());
            counts.push(reader.n_frames());
        }
        Ok(Trajectory {
            paths,
            counts,
            file: 0,
            current,
            base: 0,
            n_atoms,
            range: FrameRange { stride: range.stride.max(1), ..range },
            options,
            next_target: range.start,
            warnings,
            done: false,
        })
    }

    /// Atoms per frame.
    pub fn n_atoms(&self) -> usize {
        self.n_atoms
    }

    /// The files, in reading order.
    pub fn paths(&self) -> &[PathBuf] {
        &self.paths
    }

    /// Frames this trajectory will yield, when every file's frame count is known cheaply.
    pub fn n_frames(&self) -> Option<usize> {
        let total = self.counts.iter().copied().sum::<Option<usize>>()?;
        Some(self.range.count(total))
    }

    /// Warnings about oddities found so far (e.g. a DCD header's wrong frame count).
    pub fn warnings(&self) -> &[ReadWarning] {
        &self.warnings
    }

    /// Reads the next selected frame into `frame`; returns its global 0-based index, or `None`
    /// after the last one.
    pub fn read_next(&mut self, frame: &mut Frame) -> Result<Option<usize>, ReadError> {
        loop {
            if self.done || self.range.stop.is_some_and(|s| self.next_target >= s) {
                self.done = true;
                return Ok(None);
            }
            let local = self.next_target - self.base;
            if let Some(nf) = self.current.n_frames().filter(|&nf| local >= nf) {
                self.advance_file(nf)?;
                continue;
            }
            if local != self.current.next_index() && !self.current.seek_frame(local)? {
                let seen = self.current.next_index();
                self.advance_file(seen)?;
                continue;
            }
            match self.current.read_next(frame) {
                Ok(true) => {
                    let index = self.next_target;
                    self.next_target += self.range.stride;
                    return Ok(Some(index));
                }
                Ok(false) => {}
                Err(e) if self.options.allow_truncated && is_cut_short(&e) => {
                    self.warnings.push(ReadWarning {
                        path: e.path.clone(),
                        format: self.current.format(),
                        message: format!("{e}; read the frames before it (--allow-truncated)"),
                    });
                }
                Err(e) => return Err(e),
            }
            let seen = self.current.next_index();
            self.advance_file(seen)?;
        }
    }

    fn advance_file(&mut self, frames_in_current: usize) -> Result<(), ReadError> {
        self.warnings.extend(self.current.take_warnings());
        self.base += frames_in_current;
        self.file += 1;
        let Some(path) = self.paths.get(self.file) else {
            self.done = true;
            return Ok(());
        };
        let reader = open_frame_reader_with(path, &self.options)?;
        check_count(path, reader.format(), (&self.paths[0], self.n_atoms), reader.n_atoms())?;
        self.current = reader;
        // Warnings of later files were gathered when the trajectory was opened.
        let _ = self.current.take_warnings();
        Ok(())
    }
}

/// Fails unless the trajectory's atom count equals that of the topology read from
/// `topology_path`; the error names both files and both counts.
pub fn check_atom_count(
    topology: &Topology,
    topology_path: &Path,
    trajectory: &Trajectory,
) -> Result<(), ReadError> {
    let path = trajectory.paths.first().map_or(Path::new("<none>"), |p| p.as_path());
    let expected = (topology_path, topology.atoms.len());
    check_count(path, trajectory.current.format(), expected, trajectory.n_atoms)
}

/// Fails unless the file at `path` has the atom count of the file `expected.0`.
fn check_count(
    path: &Path,
    format: Format,
    (reference, expected): (&Path, usize),
    found: usize,
) -> Result<(), ReadError> {
    if expected == found {
        return Ok(());
    }
    let reference = reference.to_path_buf();
    let kind = ReadErrorKind::AtomCountMismatch { reference, expected, found };
    Err(ReadError::new(path, Some(format), kind))
}

/// Whether `e` is a frame that ends before its bytes do (not a header problem).
fn is_cut_short(e: &ReadError) -> bool {
    matches!(e.kind, ReadErrorKind::Truncated(_)) && e.frame.is_some()
}

/// The first non-finite coordinate, if any, as (atom index, value).
pub(crate) fn first_non_finite(positions: &[[f32; 3]]) -> Option<(usize, f32)> {
    // A branch-free pass first: the common all-finite case stays vectorised.
    let all_finite = positions
        .iter()
        .fold(true, |ok, p| ok & p[0].is_finite() & p[1].is_finite() & p[2].is_finite());
    if all_finite {
        return None;
    }
    positions
        .iter()
        .enumerate()
        .find_map(|(i, p)| p.iter().find(|v| !v.is_finite()).map(|&v| (i, v)))
}

/// Counts the frames of one file: from the size (DCD), by scanning frame headers without
/// decoding (XTC, TRR), or by parsing (PDB, GRO).
pub fn count_frames(path: impl AsRef<Path>) -> Result<usize, ReadError> {
    Ok(count_frames_with(path, &ReadOptions::default())?.0)
}

/// [`count_frames`] with `options` (a stored frame index answers at once, and the walk stores
/// one), with the reader's warnings.
pub fn count_frames_with(
    path: impl AsRef<Path>,
    options: &ReadOptions,
) -> Result<(usize, Vec<ReadWarning>), ReadError> {
    let mut reader = open_frame_reader_with(path, options)?;
    let count = count_with(&mut *reader)?;
    Ok((count, reader.take_warnings()))
}

/// [`count_frames_with`] over several files read as one: the total, with every file's
/// warnings once.
pub(crate) fn count_all_frames_with(
    paths: &[PathBuf],
    options: &ReadOptions,
) -> Result<(usize, Vec<ReadWarning>), ReadError> {
    let (mut total, mut warnings) = (0, Vec::new());
    for path in paths {
        let (count, more) = count_frames_with(path, options)?;
        total += count;
        warnings.extend(more);
    }
    Ok((total, warnings))
}

/// [`count_frames`] for in-memory or other seekable input of a given format.
pub fn count_frames_in<R: BufRead + Seek>(reader: R, format: Format) -> Result<usize, ReadError> {
    let label = Path::new("<input>");
    match format {
        Format::Dcd => count_with(&mut DcdReader::new(reader, label)?),
        Format::Xtc => count_with(&mut XtcReader::new(reader, label)?),
        Format::Trr => count_with(&mut TrrReader::new(reader, label)?),
        Format::Pdb => count_with(&mut PdbReader::new(reader, label)?),
        Format::Gro => count_with(&mut GroReader::new(reader, label)?),
        Format::Ncdf => {
            let mut reader = reader;
            let mut bytes = Vec::new();
            reader.read_to_end(&mut bytes).map_err(|e| ReadError::io(label, Some(format), e))?;
            count_with(&mut NcdfReader::from_bytes(bytes, label, ReadOptions::default())?)
        }
        Format::Psf | Format::Prmtop => Err(no_coordinates(label, format)),
    }
}

/// The error for a topology-only format given as a trajectory.
fn no_coordinates(path: &Path, format: Format) -> ReadError {
    let msg = format!("a {format} file holds no coordinates; give it as the topology");
    ReadError::new(path, Some(format), ReadErrorKind::Unsupported(msg))
}

/// The frame count `reader` knows, else walks it to its end to count (text formats then
/// cannot seek back; XTC and TRR have recorded every frame's offset).
pub(crate) fn count_with(reader: &mut dyn FrameReader) -> Result<usize, ReadError> {
    if let Some(n) = reader.n_frames() {
        return Ok(n);
    }
    while reader.skip_next()? {}
    Ok(reader.next_index())
}

/// Reads every frame of one file into memory; meant for small files and tests.
pub fn read_all_frames(
    path: impl AsRef<Path>,
) -> Result<(Vec<Frame>, Vec<ReadWarning>), ReadError> {
    let mut reader = open_frame_reader(path)?;
    let mut frames = Vec::new();
    let mut frame = Frame::default();
    while reader.read_next(&mut frame)? {
        frames.push(frame.clone());
    }
    Ok((frames, reader.take_warnings()))
}
