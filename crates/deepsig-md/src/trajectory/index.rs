//! Frame starts learnt while streaming a format whose frames vary in size (XTC, TRR), so that
//! a reader can seek back to any frame it has passed, or, loaded from a stored index
//! ([`super::stored_index`]), to any frame at once.

use std::io::{Read, Seek};

use super::source::Source;
use crate::error::ReadError;

/// The next frame's number, the byte offsets of every frame start seen so far (and, once the
/// end has been reached, the end of the file), and the frame count once known.
#[derive(Debug)]
pub(crate) struct FrameIndex {
    offsets: Vec<u64>,
    next: usize,
    count: Option<usize>,
}

impl FrameIndex {
    /// An index for a file positioned at its first frame (offset 0).
    pub(crate) fn new() -> FrameIndex {
        FrameIndex { offsets: vec![0], next: 0, count: None }
    }

    /// A complete index: `offsets` holds every frame start, then the file's end.
    pub(crate) fn complete(offsets: Vec<u64>) -> FrameIndex {
        let count = offsets.len().saturating_sub(1);
        FrameIndex { offsets, next: 0, count: Some(count) }
    }

    /// The number of the frame that the next read returns.
    pub(crate) fn next(&self) -> usize {
        self.next
    }

    /// The frame count, once the end has been reached (or the index was loaded).
    pub(crate) fn n_frames(&self) -> Option<usize> {
        self.count
    }

    /// True, and the count remembered, when no frame starts at `src`'s position.
    pub(crate) fn reached_end<R: Read + Seek>(&mut self, src: &Source<R>) -> bool {
        if src.remaining() == 0 {
            self.count.get_or_insert(self.next);
        }
        self.count.is_some_and(|n| self.next >= n)
    }

    /// Counts the frame just read and records where the following one starts.
    pub(crate) fn finish_frame<R: Read + Seek>(&mut self, src: &Source<R>) {
        self.next += 1;
        if self.offsets.len() == self.next {
            self.offsets.push(src.pos());
        }
    }

    /// Every frame start and the end of the file, once the whole file has been walked.
    pub(crate) fn all_offsets(&self) -> Option<&[u64]> {
        let n = self.count?;
        (self.offsets.len() == n + 1).then_some(&self.offsets[..])
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
        }
        Ok(())
    }
}
