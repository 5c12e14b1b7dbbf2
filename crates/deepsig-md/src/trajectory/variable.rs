//! One reader for the formats whose frames vary in size (XTC, TRR): a header per frame, then
//! a body to decode or skip. It keeps the frame index ([`FrameIndex`]), loads and stores it
//! between opens when asked ([`IndexStore`]), and leaves each format only its own bytes.

use std::io::{Read, Seek};
use std::path::Path;

use super::FrameReader;
use super::index::FrameIndex;
use super::source::Source;
use super::stored_index::{FrameIndexPlace, IndexStore, Unusable};
use crate::error::{Format, ReadError, ReadErrorKind, ReadWarning};
use crate::model::Frame;

/// What one variable-size format knows: how to read a frame's header, and how to decode or
/// skip the body after it. Implemented by [`super::xtc::XtcFrames`] and
/// [`super::trr::TrrFrames`].
pub trait FrameCodec: Default {
    /// The format (labels errors).
    const FORMAT: Format;
    /// What a frame header says about its body.
    type Header;
    /// Reads the header of frame `frame` at `src`'s position; returns it and its atom count.
    fn read_header<R: Read + Seek>(
        &mut self,
        src: &mut Source<R>,
        frame: usize,
    ) -> Result<(Self::Header, usize), ReadError>;
    /// Decodes the body of a frame, given its atom count and index, into `frame`.
    fn read_body<R: Read + Seek>(
        &mut self,
        src: &mut Source<R>,
        header: &Self::Header,
        atoms_and_index: (usize, usize),
        frame: &mut Frame,
    ) -> Result<(), ReadError>;
    /// Moves past the body of a frame (atom count, index) without decoding it.
    fn skip_body<R: Read + Seek>(
        &mut self,
        src: &mut Source<R>,
        header: &Self::Header,
        atoms_and_index: (usize, usize),
    ) -> Result<(), ReadError>;
}

/// Streams a variable-size-frame trajectory from any `Read + Seek` source: [`super::XtcReader`]
/// or [`super::TrrReader`].
pub struct VariableReader<R, C> {
    src: Source<R>,
    n_atoms: usize,
    index: FrameIndex,
    codec: C,
    store: Option<IndexStore>,
    warnings: Vec<ReadWarning>,
}

impl<R: Read + Seek, C: FrameCodec> VariableReader<R, C> {
    /// Reads the first frame header to learn the atom count; `path` labels errors.
    pub fn new(reader: R, path: impl AsRef<Path>) -> Result<Self, ReadError> {
        let src = Source::new(reader, path.as_ref(), C::FORMAT)?;
        if src.len() == 0 {
            return Err(src.error(None, ReadErrorKind::Truncated("empty file, no frame".into())));
        }
        let mut r = VariableReader {
            src,
            n_atoms: 0,
            index: FrameIndex::new(),
            codec: C::default(),
            store: None,
            warnings: Vec::new(),
        };
        r.n_atoms = r.codec.read_header(&mut r.src, 0)?.1;
        r.src.seek_to(0)?;
        Ok(r)
    }

    /// Like [`new`](Self::new), loading the frame index kept under `place` for the file at
    /// `path` when it matches the file, and storing it there once the file has been walked to
    /// its end. A stale or damaged index is rebuilt, with a warning; a place that cannot be
    /// written keeps the index in memory, with a warning.
    pub fn with_index(
        reader: R,
        path: impl AsRef<Path>,
        place: &FrameIndexPlace,
    ) -> Result<Self, ReadError> {
        let mut r = VariableReader::new(reader, path.as_ref())?;
        r.store = IndexStore::locate(path.as_ref(), place);
        if let Some(store) = &r.store {
            match store.load(r.n_atoms) {
                Ok(offsets) => {
                    r.index = FrameIndex::complete(offsets);
                    r.store = None;
                }
                Err(Unusable::Absent) => {}
                Err(Unusable::Stale(why)) => {
                    let message = format!("frame index {} {why}; rebuilt", store.file().display());
                    r.warn(message);
                }
            }
        }
        Ok(r)
    }

    fn warn(&mut self, message: String) {
        let path = self.src.path().to_path_buf();
        self.warnings.push(ReadWarning { path, format: C::FORMAT, message });
    }

    /// Reads a header at the current position, or reports a clean end of file.
    fn begin_frame(&mut self) -> Result<Option<C::Header>, ReadError> {
        if self.index.reached_end(&self.src) {
            self.store_index();
            return Ok(None);
        }
        let frame = self.index.next();
        let (h, n) = self.codec.read_header(&mut self.src, frame)?;
        if n != self.n_atoms {
            let msg = format!("frame has {n} atoms, the first frame has {}", self.n_atoms);
            return Err(self.src.error(Some(frame), ReadErrorKind::Corrupt(msg)));
        }
        Ok(Some(h))
    }

    /// Records where the frame after this one starts, and stores the index after the last.
    fn end_frame(&mut self) {
        self.index.finish_frame(&self.src);
        if self.src.remaining() == 0 {
            self.index.reached_end(&self.src);
            self.store_index();
        }
    }

    /// Writes the index once it is complete, if a store wants it; once per open.
    fn store_index(&mut self) {
        let Some(store) = self.store.take() else { return };
        let Some(offsets) = self.index.all_offsets() else {
            self.store = Some(store);
            return;
        };
        if let Err(e) = store.save(self.n_atoms, offsets) {
            let message = format!(
                "cannot store the frame index as {} ({e}); it is kept in memory only",
                store.file().display()
            );
            self.warn(message);
        }
    }
}

impl<R: Read + Seek, C: FrameCodec> FrameReader for VariableReader<R, C> {
    fn format(&self) -> Format {
        C::FORMAT
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
        let at = (self.n_atoms, self.index.next());
        self.codec.read_body(&mut self.src, &h, at, frame)?;
        self.end_frame();
        Ok(true)
    }

    fn skip_next(&mut self) -> Result<bool, ReadError> {
        let Some(h) = self.begin_frame()? else {
            return Ok(false);
        };
        let at = (self.n_atoms, self.index.next());
        self.codec.skip_body(&mut self.src, &h, at)?;
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
        std::mem::take(&mut self.warnings)
    }
}
