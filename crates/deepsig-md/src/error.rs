//! The one error type of every reader, plus the warnings returned beside good data.

use std::fmt;
use std::path::{Path, PathBuf};

/// The file formats this crate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Protein Data Bank text file (`.pdb`, `.ent`).
    Pdb,
    /// GROMACS structure file (`.gro`).
    Gro,
    /// CHARMM / NAMD / X-PLOR protein structure file (`.psf`).
    Psf,
    /// GROMACS compressed trajectory (`.xtc`).
    Xtc,
    /// GROMACS full-precision trajectory (`.trr`).
    Trr,
    /// CHARMM / NAMD binary trajectory (`.dcd`).
    Dcd,
    /// Amber topology (`.prmtop`, `.parm7`, `.top`).
    Prmtop,
    /// Amber NetCDF trajectory (`.nc`, `.ncdf`).
    Ncdf,
}

impl Format {
    /// The format a file extension names (case-insensitive), if any.
    pub fn from_extension(ext: &str) -> Option<Format> {
        match ext.to_ascii_lowercase().as_str() {
            "pdb" | "ent" => Some(Format::Pdb),
            "gro" => Some(Format::Gro),
            "psf" => Some(Format::Psf),
            "xtc" => Some(Format::Xtc),
            "trr" => Some(Format::Trr),
            "dcd" => Some(Format::Dcd),
            "prmtop" | "parm7" | "top" => Some(Format::Prmtop),
            "nc" | "ncdf" => Some(Format::Ncdf),
            _ => None,
        }
    }

    /// The format of `path` from its extension, or an error naming the extension.
    pub fn from_path(path: &Path) -> Result<Format, ReadError> {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        Format::from_extension(ext).ok_or_else(|| {
            ReadError::new(path, None, ReadErrorKind::UnknownExtension(ext.to_string()))
        })
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Pdb => "pdb",
            Format::Gro => "gro",
            Format::Psf => "psf",
            Format::Xtc => "xtc",
            Format::Trr => "trr",
            Format::Dcd => "dcd",
            Format::Prmtop => "prmtop",
            Format::Ncdf => "ncdf",
        })
    }
}

/// Where in a file an error was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// 1-based line number of a text file.
    Line(usize),
    /// Byte offset in a binary file.
    Offset(u64),
}

/// What went wrong; every message is lowercase and names the rule the file broke.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadErrorKind {
    /// The file does not exist.
    #[error("file not found")]
    NotFound,
    /// The extension names no supported format.
    #[error(
        "unknown file extension {0:?} (expected one of pdb, ent, gro, psf, prmtop, parm7, top, xtc, trr, dcd, nc, ncdf)"
    )]
    UnknownExtension(String),
    /// Any other I/O failure.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The file ends inside a record or frame.
    #[error("truncated: {0}")]
    Truncated(String),
    /// A magic number or signature is wrong, so this is not a file of the format.
    #[error("bad magic: {0}")]
    BadMagic(String),
    /// A field holds a value the format does not allow.
    #[error("corrupt: {0}")]
    Corrupt(String),
    /// A text field could not be parsed.
    #[error("cannot parse {field} from {text:?}")]
    Parse {
        /// What the field holds, e.g. `x coordinate`.
        field: &'static str,
        /// The offending text.
        text: String,
    },
    /// A valid file using a feature this crate does not read.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The trajectory's atom count differs from the topology's (or from an earlier file's).
    #[error(
        "atom count mismatch: this file has {found} atoms, {} has {expected}",
        reference.display()
    )]
    AtomCountMismatch {
        /// The file whose count it must match: the topology (or the first trajectory file).
        reference: PathBuf,
        /// Atoms in `reference`.
        expected: usize,
        /// Atoms in this file.
        found: usize,
    },
    /// A coordinate is NaN or infinite.
    #[error("non-finite coordinate {value} for atom {atom} (0-based)")]
    NonFinite {
        /// 0-based atom index.
        atom: usize,
        /// The value found.
        value: f32,
    },
}

/// A failed read: which file, format, frame and place, and what rule was broken.
///
/// No `source`: the message already ends with the I/O error's own text, and a source would
/// make `{err:#}` (the CLI) and the Python cause chain print it twice. The error stays
/// reachable as [`ReadErrorKind::Io`].
#[derive(Debug, thiserror::Error)]
#[error("{}: {kind}", self.place())]
#[non_exhaustive]
pub struct ReadError {
    /// The file (or a label such as `<bytes>` for in-memory input).
    pub path: PathBuf,
    /// The format being read, when known.
    pub format: Option<Format>,
    /// 0-based frame index within the file, for trajectory errors.
    pub frame: Option<usize>,
    /// Line or byte offset, when known.
    pub location: Option<Location>,
    /// What went wrong.
    pub kind: ReadErrorKind,
}

impl ReadError {
    /// An error about `path` with no frame or location yet.
    pub fn new(path: &Path, format: Option<Format>, kind: ReadErrorKind) -> ReadError {
        ReadError { path: path.to_path_buf(), format, frame: None, location: None, kind }
    }

    /// Sets the 0-based frame index.
    pub fn at_frame(mut self, frame: usize) -> ReadError {
        self.frame = Some(frame);
        self
    }

    /// Sets the line or byte location.
    pub fn at(mut self, location: Location) -> ReadError {
        self.location = Some(location);
        self
    }

    /// Wraps an I/O error; a missing file becomes [`ReadErrorKind::NotFound`].
    pub fn io(path: &Path, format: Option<Format>, err: std::io::Error) -> ReadError {
        let kind = match err.kind() {
            std::io::ErrorKind::NotFound => ReadErrorKind::NotFound,
            _ => ReadErrorKind::Io(err),
        };
        ReadError::new(path, format, kind)
    }
}

/// Where a [`ReadError`] happened: file, format, frame, line or byte.
struct Place<'a>(&'a ReadError);

impl ReadError {
    fn place(&self) -> Place<'_> {
        Place(self)
    }
}

impl fmt::Display for Place<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.0;
        write!(f, "{}", e.path.display())?;
        if let Some(format) = e.format {
            write!(f, " ({format})")?;
        }
        if let Some(frame) = e.frame {
            write!(f, ", frame {frame}")?;
        }
        match e.location {
            Some(Location::Line(line)) => write!(f, ", line {line}")?,
            Some(Location::Offset(off)) => write!(f, ", byte {off}")?,
            None => {}
        }
        Ok(())
    }
}

/// A recoverable oddity found while reading; the data returned with it is sound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadWarning {
    /// The file the warning is about.
    pub path: PathBuf,
    /// Its format.
    pub format: Format,
    /// A lowercase description of the oddity and how it was resolved.
    pub message: String,
}

impl fmt::Display for ReadWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): warning: {}", self.path.display(), self.format, self.message)
    }
}
