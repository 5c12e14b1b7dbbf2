//! What to compute: depth, output kind, path augmentations, and the batch shape.

use crate::Error;
use crate::lyndon::lyndon_word_count;

/// The deepest level this crate computes. Beyond it the tensor sizes overflow for any
/// useful channel count, and the factorials in the exponential lose all precision in `f32`.
pub const MAX_DEPTH: usize = 16;

/// A truncation depth `N` in `1..=MAX_DEPTH`, checked once at construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Depth(usize);

impl Depth {
    /// Checks `depth` against `1..=MAX_DEPTH`.
    pub fn new(depth: usize) -> Result<Depth, Error> {
        if (1..=MAX_DEPTH).contains(&depth) {
            Ok(Depth(depth))
        } else {
            Err(Error::InvalidDepth { depth })
        }
    }

    /// The depth as a number.
    pub fn get(self) -> usize {
        self.0
    }
}

/// Which coordinates of the log-signature to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogMode {
    /// The full truncated tensor logarithm, laid out like the signature.
    Expand,
    /// The coefficients of the Lyndon words (by length, then lexicographic) in the expanded
    /// logarithm, as signatory's default `words` mode.
    Words,
    /// The coordinates in the Lyndon basis of the free Lie algebra (standard bracketings of
    /// the Lyndon words, same order as `Words`): iisignature's `"S"` method and signatory's
    /// `brackets` mode.
    Brackets,
}

/// The shape of a batch of paths stored as a C-order `[batch, length, channels]` array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PathShape {
    /// Number of paths.
    pub batch: usize,
    /// Points per path.
    pub length: usize,
    /// Channels per point.
    pub channels: usize,
}

impl PathShape {
    /// Elements in the whole batch.
    pub fn len(&self) -> usize {
        self.batch * self.length * self.channels
    }

    /// True when the batch holds no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Everything that decides what a signature call computes, apart from the data.
///
/// Augmentations are applied to each path in a fixed order: `basepoint`, then `lead_lag`, then
/// `time`, then `inverse`. See [`SigOptions::augmented_shape`] for the resulting path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SigOptions {
    /// Truncation depth.
    pub depth: Depth,
    /// `None` for the signature, else the log-signature in this mode.
    pub log: Option<LogMode>,
    /// Return the (log-)signature of every prefix `x_0..x_i`, `i = 1..L-1`, not only the last.
    pub stream: bool,
    /// Prepend the origin as the first point.
    pub basepoint: bool,
    /// Use the reversed path, whose signature is the inverse of the path's.
    pub inverse: bool,
    /// Prepend a channel `t_i = i / (L - 1)` as channel 0.
    pub time: bool,
    /// Replace the path by its lead-lag transform: `2L - 1` points in `R^{2d}`, point `2i` is
    /// `(x_i, x_i)` and point `2i + 1` is `(x_{i+1}, x_i)`, lead channels first.
    pub lead_lag: bool,
}

impl SigOptions {
    /// A plain signature at `depth`: no log, no stream, no augmentation.
    pub fn signature(depth: Depth) -> SigOptions {
        SigOptions {
            depth,
            log: None,
            stream: false,
            basepoint: false,
            inverse: false,
            time: false,
            lead_lag: false,
        }
    }

    /// A plain log-signature at `depth` in `mode`.
    pub fn logsignature(depth: Depth, mode: LogMode) -> SigOptions {
        SigOptions { log: Some(mode), ..SigOptions::signature(depth) }
    }

    /// Points and channels of the path after augmentation: `(length, channels)`.
    pub fn augmented_shape(&self, length: usize, channels: usize) -> (usize, usize) {
        let mut l = length + usize::from(self.basepoint);
        let mut d = channels;
        if self.lead_lag {
            l = (2 * l).saturating_sub(1);
            d *= 2;
        }
        if self.time {
            d += 1;
        }
        (l, d)
    }

    /// Channels of one output for a path of `channels` input channels.
    pub fn output_channels(&self, channels: usize) -> Result<usize, Error> {
        let (_, d) = self.augmented_shape(2, channels);
        match self.log {
            None | Some(LogMode::Expand) => signature_channels(d, self.depth),
            Some(LogMode::Words | LogMode::Brackets) => logsignature_channels(d, self.depth),
        }
    }

    /// The output shape for `shape`: `[batch, channels]`, or `[batch, steps, channels]` when
    /// streaming, where `steps` is the augmented length minus one.
    pub fn output_shape(&self, shape: PathShape) -> Result<Vec<usize>, Error> {
        let c = self.output_channels(shape.channels)?;
        let (l, _) = self.augmented_shape(shape.length, shape.channels);
        Ok(if self.stream {
            vec![shape.batch, l.saturating_sub(1), c]
        } else {
            vec![shape.batch, c]
        })
    }
}

/// Channels of a depth-`N` signature of a `d`-channel path: $\sum_{k=1}^N d^k$.
pub fn signature_channels(channels: usize, depth: Depth) -> Result<usize, Error> {
    let too_large = Error::TooLarge { channels, depth: depth.get() };
    if channels == 0 {
        return Err(Error::NoChannels);
    }
    let mut total: usize = 0;
    let mut level: usize = 1;
    for _ in 0..depth.get() {
        level = level.checked_mul(channels).ok_or(too_large.clone())?;
        total = total.checked_add(level).ok_or(too_large.clone())?;
    }
    // Keep every index, times a few scratch copies, far from overflow.
    if total > (isize::MAX as usize) / 64 {
        return Err(too_large);
    }
    Ok(total)
}

/// Channels of a depth-`N` log-signature in `words` mode: the number of Lyndon words of length
/// at most `N` over `d` letters (Witt's formula, $\sum_{k \le N} \frac1k \sum_{m | k} \mu(m)
/// d^{k/m}$).
pub fn logsignature_channels(channels: usize, depth: Depth) -> Result<usize, Error> {
    signature_channels(channels, depth)?;
    Ok((1..=depth.get()).map(|k| lyndon_word_count(channels, k)).sum())
}
