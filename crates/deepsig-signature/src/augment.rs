//! Path augmentations (basepoint, lead-lag, time, inverse) and their adjoints.
//!
//! Each augmentation is a fixed linear map of the input path plus, for `time`, a constant
//! channel, so the backward scatters the augmented path's gradient through the same index map.

use crate::{Scalar, SigOptions};

/// Where augmented point `p`, channel `c` takes its value from.
enum Source {
    /// Input point `point`, channel `channel`.
    Input { point: usize, channel: usize },
    /// A constant: the basepoint's zero or a time value.
    Constant(f64),
}

/// The index map of one augmentation setting for one path length.
pub(crate) struct Augmentation {
    opts: SigOptions,
    length: usize,
    channels: usize,
    pub(crate) aug_length: usize,
    pub(crate) aug_channels: usize,
}

impl Augmentation {
    pub(crate) fn new(opts: &SigOptions, length: usize, channels: usize) -> Self {
        let (aug_length, aug_channels) = opts.augmented_shape(length, channels);
        Augmentation { opts: *opts, length, channels, aug_length, aug_channels }
    }

    /// True when the augmented path is the input path itself.
    pub(crate) fn is_identity(&self) -> bool {
        !(self.opts.basepoint || self.opts.lead_lag || self.opts.time || self.opts.inverse)
    }

    fn source(&self, p: usize, c: usize) -> Source {
        let o = &self.opts;
        let q = if o.inverse { self.aug_length - 1 - p } else { p };
        let mut c = c;
        if o.time {
            if c == 0 {
                return Source::Constant(q as f64 / (self.aug_length - 1) as f64);
            }
            c -= 1;
        }
        // Index into the basepointed path y, where y_0 = 0 when basepoint is on.
        let (y_point, channel) = if o.lead_lag {
            let lead = c < self.channels;
            let i = q / 2;
            let point = if lead && q % 2 == 1 { i + 1 } else { i };
            (point, c % self.channels)
        } else {
            (q, c)
        };
        match (o.basepoint, y_point) {
            (true, 0) => Source::Constant(0.0),
            (true, i) => Source::Input { point: i - 1, channel },
            (false, i) => Source::Input { point: i, channel },
        }
    }

    /// Writes the augmented path (`aug_length * aug_channels`) of `path` into `out`.
    pub(crate) fn apply<T: Scalar>(&self, path: &[T], out: &mut [T]) {
        debug_assert_eq!(path.len(), self.length * self.channels);
        for (p, row) in out.chunks_exact_mut(self.aug_channels).enumerate() {
            for (c, value) in row.iter_mut().enumerate() {
                *value = match self.source(p, c) {
                    Source::Input { point, channel } => path[point * self.channels + channel],
                    Source::Constant(v) => T::from_f64(v),
                };
            }
        }
    }

    /// Adds the adjoint of [`Augmentation::apply`] applied to `grad` into `dpath`.
    pub(crate) fn backward<T: Scalar>(&self, grad: &[T], dpath: &mut [T]) {
        for (p, row) in grad.chunks_exact(self.aug_channels).enumerate() {
            for (c, &g) in row.iter().enumerate() {
                if let Source::Input { point, channel } = self.source(p, c) {
                    dpath[point * self.channels + channel] += g;
                }
            }
        }
    }
}
