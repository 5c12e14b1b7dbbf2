//! The one error type of the crate.

use std::fmt;

/// Why a signature computation was refused.
///
/// Every variant is found before any arithmetic starts, so an error never leaves a partly
/// written output behind that looks valid.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The depth is outside `1..=MAX_DEPTH`.
    InvalidDepth {
        /// The depth that was asked for.
        depth: usize,
    },
    /// The path has zero channels.
    NoChannels,
    /// The (augmented) path has fewer than two points, so it has no increment.
    TooShort {
        /// Points after augmentation.
        points: usize,
    },
    /// A buffer's length does not match the shape it should have.
    ShapeMismatch {
        /// Which argument.
        what: &'static str,
        /// The length the shape implies.
        expected: usize,
        /// The length that was given.
        got: usize,
    },
    /// The signature would have more channels than fit in memory addressing.
    TooLarge {
        /// Path channels after augmentation.
        channels: usize,
        /// Depth.
        depth: usize,
    },
    /// A path holds NaN or an infinity.
    NonFinite {
        /// Index of the path in the batch.
        path: usize,
        /// Index of the point in that path.
        point: usize,
        /// Index of the channel in that point.
        channel: usize,
    },
    /// The gradient holds NaN or an infinity.
    NonFiniteGradient {
        /// Flat index of the first bad element.
        index: usize,
    },
    /// A signature input (of [`combine`](crate::combine)) holds NaN or an infinity.
    NonFiniteInput {
        /// Which argument.
        what: &'static str,
        /// Flat index of the first bad element.
        index: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::InvalidDepth { depth } => {
                write!(f, "depth {depth} is out of range: it must be 1 to {}", crate::MAX_DEPTH)
            }
            Error::NoChannels => write!(f, "the path has no channels"),
            Error::TooShort { points } => write!(
                f,
                "a path needs at least 2 points to have a signature, got {points} (after augmentation)"
            ),
            Error::ShapeMismatch { what, expected, got } => {
                write!(f, "{what} has {got} elements but its shape needs {expected}")
            }
            Error::TooLarge { channels, depth } => write!(
                f,
                "a depth-{depth} signature of {channels} channels is too large to allocate"
            ),
            Error::NonFinite { path, point, channel } => write!(
                f,
                "path {path}, point {point}, channel {channel} is not a finite number (NaN or infinity)"
            ),
            Error::NonFiniteGradient { index } => {
                write!(f, "the output gradient is not finite at flat index {index}")
            }
            Error::NonFiniteInput { what, index } => {
                write!(f, "{what} is not finite at flat index {index}")
            }
        }
    }
}

impl std::error::Error for Error {}
