//! Frame starts learnt while streaming a format whose frames vary in size (XTC, TRR), so that
//! a reader can seek back to any frame it has passed.

use std::io::{Read, Seek};

use super::source::Source;
use crate::error::ReadError;

/// The next frame's number, the byte offsets of every frame start seen so far, and whether
/// the end of the file has been reached.
#[derive(Debug)]
pub(crate) struct FrameIndex {
    offsets: Vec<u64>,
    next: usize,
    at_end: bool,
}

impl FrameIndex {
    /// An index for a file positioned at its first frame (offset 0).
    pub(crate) fn new() -> FrameIndex {
        FrameIndex { offsets: vec![0], next: 0, at_end: false }
    }

    /// The number of the frame that the next read returns.
    pub(crate) fn next(&self) -> usize {
        self.next
    }

    /// The frame count, once the end has been reached.
    pub(crate) fn n_frames(&self) -> Option<usize> {
        self.at_end.then_some(self.next)
    }

    /// True, and remembered, when no frame starts at `src`'s position.
    pub(crate) fn reached_end<R: Read + Seek>(&mut self, src: &Source<R>) -> bool {
        self.at_end |= src.remaining() == 0;
        self.at_end
    }

    /// Counts the frame just read and records where the following one starts.
    pub(crate) fn finish_frame<R: Read + Seek>(&mut self, src: &Source<R>) {
        self.next += 1;
        if self.offsets.len() == self.next {
            self.offsets.push(src.pos());
        }
    }

    /// Moves `src` to the start of the closest known frame at or before `index`; the caller
    /// then skips forward frame by frame.
    pub(crate) fn rewind<R: Read + Seek>(
        &mut self,
        src: &mut Source<R>,
        index: usize,
    ) -> Result<(), ReadError> {
        let known = index.min(self.offsets.len() - 1);
        if known != self.next {
            src.seek_to(self.offsets[known])?;
            self.next = known;
            self.at_end = false;
        }
        Ok(())
    }
}
