//! A byte source that knows its length and position, so binary readers can check a record fits
//! before reading it and report exact offsets.

use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::error::{Format, Location, ReadError, ReadErrorKind};

/// `Read + Seek` with a tracked position and the total length.
pub struct Source<R> {
    inner: R,
    pos: u64,
    len: u64,
    path: PathBuf,
    format: Format,
}

impl<R: Read + Seek> Source<R> {
    pub(crate) fn new(mut inner: R, path: &Path, format: Format) -> Result<Self, ReadError> {
        let io = |e| ReadError::io(path, Some(format), e);
        let len = inner.seek(SeekFrom::End(0)).map_err(io)?;
        inner.seek(SeekFrom::Start(0)).map_err(io)?;
        Ok(Source { inner, pos: 0, len, path: path.to_path_buf(), format })
    }

    pub(crate) fn pos(&self) -> u64 {
        self.pos
    }

    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    pub(crate) fn remaining(&self) -> u64 {
        self.len.saturating_sub(self.pos)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// An error at the current offset of frame `frame` (when given).
    pub(crate) fn error(&self, frame: Option<usize>, kind: ReadErrorKind) -> ReadError {
        let mut e =
            ReadError::new(&self.path, Some(self.format), kind).at(Location::Offset(self.pos));
        e.frame = frame;
        e
    }

    /// Fills `buf`, or fails with a truncation error that names what was being read.
    pub(crate) fn read_exact(
        &mut self,
        buf: &mut [u8],
        frame: Option<usize>,
        what: &str,
    ) -> Result<(), ReadError> {
        if (buf.len() as u64) > self.remaining() {
            let msg = format!(
                "{what} needs {} bytes, only {} remain in the file",
                buf.len(),
                self.remaining()
            );
            return Err(self.error(frame, ReadErrorKind::Truncated(msg)));
        }
        self.inner.read_exact(buf).map_err(|e| self.io_error(frame, e))?;
        self.pos += buf.len() as u64;
        Ok(())
    }

    /// Moves forward `n` bytes, keeping buffered data where the reader allows.
    pub(crate) fn skip(
        &mut self,
        n: u64,
        frame: Option<usize>,
        what: &str,
    ) -> Result<(), ReadError> {
        if n > self.remaining() {
            let msg =
                format!("{what} needs {n} bytes, only {} remain in the file", self.remaining());
            return Err(self.error(frame, ReadErrorKind::Truncated(msg)));
        }
        let off = i64::try_from(n).map_err(|_| {
            self.error(frame, ReadErrorKind::Corrupt(format!("{what} is too large")))
        })?;
        self.inner.seek_relative(off).map_err(|e| self.io_error(frame, e))?;
        self.pos += n;
        Ok(())
    }

    pub(crate) fn seek_to(&mut self, pos: u64) -> Result<(), ReadError> {
        self.inner.seek(SeekFrom::Start(pos)).map_err(|e| self.io_error(None, e))?;
        self.pos = pos;
        Ok(())
    }

    fn io_error(&self, frame: Option<usize>, e: io::Error) -> ReadError {
        self.error(frame, ReadErrorKind::Io(e))
    }
}

/// Big- or little-endian 4-byte words, for formats whose byte order varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endian {
    Little,
    Big,
}

impl Endian {
    pub(crate) fn i32(self, b: &[u8]) -> i32 {
        let a = word4(b);
        match self {
            Endian::Little => i32::from_le_bytes(a),
            Endian::Big => i32::from_be_bytes(a),
        }
    }

    pub(crate) fn f32(self, b: &[u8]) -> f32 {
        f32::from_bits(self.i32(b) as u32)
    }

    pub(crate) fn f64(self, b: &[u8]) -> f64 {
        let mut a = [0u8; 8];
        let n = b.len().min(8);
        a[..n].copy_from_slice(&b[..n]);
        match self {
            Endian::Little => f64::from_le_bytes(a),
            Endian::Big => f64::from_be_bytes(a),
        }
    }
}

/// The first four bytes of `b` (zero-padded if shorter, which callers never pass).
pub(crate) fn word4(b: &[u8]) -> [u8; 4] {
    let mut a = [0u8; 4];
    let n = b.len().min(4);
    a[..n].copy_from_slice(&b[..n]);
    a
}
