//! Cutting trajectories into windows, and windows into sub-windows for the signature.
//!
//! # Windows
//!
//! After taking every `stride`-th frame (frames `0, s, 2s, ...`: `F' = ceil(F / s)` of them),
//! the `F'` frames are cut into `W` consecutive, disjoint windows of `L = floor(F' / W)` frames:
//! window `w` holds strided frames `w L .. (w + 1) L`. The `F' - W L < W` frames left over are
//! **dropped from the end** of the trajectory, so every trajectory yields exactly `W`
//! equal windows (the reference's `torch.split` could yield extra windows when `F' mod W >=
//! L`; docs/benchmarks-data.md, "Windows"). `F' < W` is an error.
//!
//! # Sub-windows
//!
//! A window of `T` frames (local indices `0 .. T - 1`) has `T - 1` increments. With
//! [`SubWindowMode::SharedBoundary`] (the default), it is cut into `K` sub-windows at the
//! boundaries `b_j = floor(j (T - 1) / K)`, `j = 0..=K`; sub-window `j` covers frames
//! `b_j ..= b_{j+1}` **inclusive**, so consecutive sub-windows share their boundary frame and
//! every increment of the window belongs to exactly one sub-window (none is lost between
//! them). When `K` divides `T - 1`, sub-window `j` is `[j s, (j + 1) s]` with `s = (T - 1) / K`;
//! otherwise lengths differ by at most one frame. It needs `T - 1 >= K`.
//!
//! [`SubWindowMode::Disjoint`] reproduces the reference: `K` disjoint chunks of
//! `floor(T / K)` frames, remainder dropped; the increments between chunks are lost.

use std::ops::Range;

/// A validated windowing plan: `windows` windows per trajectory after keeping every
/// `stride`-th frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Windowing {
    windows: usize,
    stride: usize,
}

impl Windowing {
    /// Both numbers must be at least 1.
    pub fn new(windows: usize, stride: usize) -> Result<Windowing, WindowError> {
        if windows == 0 {
            return Err(WindowError::ZeroCount("windows"));
        }
        if stride == 0 {
            return Err(WindowError::ZeroCount("stride"));
        }
        Ok(Windowing { windows, stride })
    }

    /// Windows per trajectory.
    pub fn windows(&self) -> usize {
        self.windows
    }

    /// Frame stride.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// The windows of a trajectory of `n_frames` frames, as described in the module docs.
    pub fn split(&self, n_frames: usize) -> Result<Vec<Window>, WindowError> {
        let kept = n_frames.div_ceil(self.stride);
        if kept < self.windows {
            return Err(WindowError::TooFewFrames {
                frames: n_frames,
                kept,
                windows: self.windows,
                stride: self.stride,
            });
        }
        let len = kept / self.windows;
        Ok((0..self.windows)
            .map(|w| Window { first: w * len * self.stride, len, stride: self.stride })
            .collect())
    }
}

/// One window: `len` frames of the original trajectory, `first, first + stride, ...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    first: usize,
    len: usize,
    stride: usize,
}

impl Window {
    /// Index of the window's first frame in the original trajectory.
    pub fn first(&self) -> usize {
        self.first
    }

    /// Number of frames in the window.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: a window has at least one frame.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Original-trajectory indices of the window's frames, in order.
    pub fn frames(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.len).map(move |k| self.first + k * self.stride)
    }
}

/// How a window is cut into sub-windows (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SubWindowMode {
    /// Sub-windows share their boundary frames; no increment is lost.
    #[default]
    SharedBoundary,
    /// The reference's disjoint, equal chunks with the remainder dropped.
    Disjoint,
}

/// Local frame ranges (half-open, indices into a window of `window_len` frames) of its `count`
/// sub-windows. With shared boundaries, range `j` is `b_j .. b_{j+1} + 1`.
pub fn sub_windows(
    window_len: usize,
    count: usize,
    mode: SubWindowMode,
) -> Result<Vec<Range<usize>>, WindowError> {
    if count == 0 {
        return Err(WindowError::ZeroCount("sub-windows"));
    }
    match mode {
        SubWindowMode::SharedBoundary => {
            let increments = window_len.saturating_sub(1);
            if increments < count {
                return Err(WindowError::WindowTooShort {
                    len: window_len,
                    count,
                    need: count + 1,
                });
            }
            // u128 so `j * increments` cannot overflow for any window length.
            let b = |j: usize| (j as u128 * increments as u128 / count as u128) as usize;
            Ok((0..count).map(|j| b(j)..b(j + 1) + 1).collect())
        }
        SubWindowMode::Disjoint => {
            let len = window_len / count;
            if len == 0 {
                return Err(WindowError::WindowTooShort { len: window_len, count, need: count });
            }
            Ok((0..count).map(|j| j * len..(j + 1) * len).collect())
        }
    }
}

/// A windowing request that cannot be met.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WindowError {
    /// A count that must be at least one is zero.
    #[error("{0} must be at least 1")]
    ZeroCount(&'static str),
    /// Fewer (strided) frames than windows.
    #[error(
        "{frames} frames with stride {stride} leave {kept}, fewer than the {windows} windows asked for"
    )]
    TooFewFrames {
        /// Frames in the trajectory.
        frames: usize,
        /// Frames left after striding.
        kept: usize,
        /// Windows asked for.
        windows: usize,
        /// The stride.
        stride: usize,
    },
    /// A window too short for the number of sub-windows.
    #[error("a window of {len} frames cannot hold {count} sub-windows: it needs at least {need}")]
    WindowTooShort {
        /// Frames in the window.
        len: usize,
        /// Sub-windows asked for.
        count: usize,
        /// The minimum window length.
        need: usize,
    },
}
