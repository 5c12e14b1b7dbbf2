//! The truncated tensor logarithm and its reverse mode.
//!
//! For a signature $S = 1 + X$, $\log S = \sum_{n=1}^{N} \frac{(-1)^{n+1}}{n} X^{\otimes n}$
//! truncated at level $N$. Level $N$ of $\log S$ is $X_N$ plus products of lower levels, so the
//! Jacobian of the logarithm depends on levels $1..N-1$ only: the backward never needs $X_N$.

use crate::Scalar;
use crate::algebra::{Levels, mul_truncated, mul_truncated_backward};

/// Buffers for one logarithm: the powers $X^{\otimes n}$, $n = 1..N$.
pub(crate) struct LogWorkspace<T> {
    powers: Vec<T>,
    dpowers: Vec<T>,
}

impl<T: Scalar> LogWorkspace<T> {
    pub(crate) fn new(levels: &Levels) -> Self {
        let n = levels.depth * levels.len();
        LogWorkspace { powers: vec![T::ZERO; n], dpowers: vec![T::ZERO; n] }
    }

    fn fill_powers(&mut self, x: &[T], levels: &Levels) {
        let c = levels.len();
        self.powers[..c].copy_from_slice(x);
        for n in 2..=levels.depth {
            let (done, rest) = self.powers.split_at_mut((n - 1) * c);
            mul_truncated(&done[(n - 2) * c..], n - 1, x, &mut rest[..c], levels);
        }
    }

    /// `out = log(1 + x)`.
    pub(crate) fn log(&mut self, x: &[T], out: &mut [T], levels: &Levels) {
        self.fill_powers(x, levels);
        out.fill(T::ZERO);
        for (n, power) in self.powers.chunks_exact(levels.len()).enumerate() {
            let coefficient = log_coefficient::<T>(n + 1);
            for (o, &p) in out.iter_mut().zip(power) {
                *o += coefficient * p;
            }
        }
    }

    /// `dx = (d log / dx)^T g`, overwriting `dx`. Level `N` of `x` is not read.
    pub(crate) fn log_backward(&mut self, x: &[T], g: &[T], dx: &mut [T], levels: &Levels) {
        let c = levels.len();
        self.fill_powers(x, levels);
        for (n, dp) in self.dpowers.chunks_exact_mut(c).enumerate() {
            let coefficient = log_coefficient::<T>(n + 1);
            for (d, &gv) in dp.iter_mut().zip(g) {
                *d = coefficient * gv;
            }
        }
        dx.fill(T::ZERO);
        for n in (2..=levels.depth).rev() {
            let (lower, upper) = self.dpowers.split_at_mut((n - 1) * c);
            let a = &self.powers[(n - 2) * c..(n - 1) * c];
            mul_truncated_backward(a, n - 1, x, &upper[..c], &mut lower[(n - 2) * c..], dx, levels);
        }
        for (d, &dp) in dx.iter_mut().zip(&self.dpowers[..c]) {
            *d += dp;
        }
    }
}

fn log_coefficient<T: Scalar>(n: usize) -> T {
    let sign = if n % 2 == 1 { 1.0 } else { -1.0 };
    T::from_f64(sign / n as f64)
}
