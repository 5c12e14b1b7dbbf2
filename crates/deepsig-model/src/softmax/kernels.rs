//! The assignment softmax's host kernels (docs/method.md, eqs. S1-S3): one row of clusters at
//! a time, its sums over [`LANES`] partial sums in a fixed order, the exponential and tanh of
//! [`Real`] (polynomials the compiler vectorises, in f32), AVX2 where the CPU has it.

use deepsig_signature::Scalar;
use rayon::prelude::*;

use crate::real::Real;
use crate::simd::dispatched;

/// The row sums keep this many partial sums, added in a fixed order at the end, so the sums
/// vectorise and do not depend on the CPU's vector width.
const LANES: usize = 16;

/// The largest value of `row` (a NaN is skipped here; it still reaches every output through
/// the exponentials' sum).
#[inline(always)]
fn max_in_lanes<T: Scalar>(row: &[T]) -> T {
    let mut lanes = [row[0]; LANES];
    let mut chunks = row.chunks_exact(LANES);
    for chunk in &mut chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane = if v > *lane { v } else { *lane };
        }
    }
    for (lane, &v) in lanes.iter_mut().zip(chunks.remainder()) {
        *lane = if v > *lane { v } else { *lane };
    }
    lanes.iter().fold(row[0], |m, &v| if v > m { v } else { m })
}

/// $\sum_k a_k$ over [`LANES`] partial sums, added in lane order.
#[inline(always)]
fn sum_in_lanes<T: Scalar>(row: &[T]) -> T {
    let mut lanes = [T::ZERO; LANES];
    let mut chunks = row.chunks_exact(LANES);
    for chunk in &mut chunks {
        lanes.iter_mut().zip(chunk).for_each(|(lane, &v)| *lane += v);
    }
    lanes.iter_mut().zip(chunks.remainder()).for_each(|(lane, &v)| *lane += v);
    lanes.iter().copied().sum()
}

/// $\sum_k a_k b_k$ over [`LANES`] partial sums, added in lane order.
#[inline(always)]
fn dot_in_lanes<T: Scalar>(a: &[T], b: &[T]) -> T {
    let mut lanes = [T::ZERO; LANES];
    let (mut a_chunks, mut b_chunks) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    for (a, b) in (&mut a_chunks).zip(&mut b_chunks) {
        for ((lane, &a), &b) in lanes.iter_mut().zip(a).zip(b) {
            *lane += a * b;
        }
    }
    for ((lane, &a), &b) in lanes.iter_mut().zip(a_chunks.remainder()).zip(b_chunks.remainder()) {
        *lane += a * b;
    }
    lanes.iter().copied().sum()
}

/// Eq. S1 on whole rows: `s` from `logits`, both `[rows, clusters]`.
#[inline(always)]
fn forward_rows<T: Real>(logits: &[T], clusters: usize, tanh: bool, s: &mut [T]) {
    for (logits, s) in logits.chunks_exact(clusters).zip(s.chunks_exact_mut(clusters)) {
        if tanh {
            s.iter_mut().zip(logits).for_each(|(s, &l)| *s = l.tanh());
        } else {
            s.copy_from_slice(logits);
        }
        let max = max_in_lanes(s);
        s.iter_mut().for_each(|v| *v = (*v - max).exp());
        let sum = sum_in_lanes(s);
        s.iter_mut().for_each(|v| *v = *v / sum);
    }
}

/// Eqs. S2 and S3 on whole rows: `d_logits` from the output `s`, its gradient
/// `grad` and, with `tanh`, the logits.
#[inline(always)]
fn backward_rows<T: Real>(
    s: &[T],
    grad: &[T],
    logits: &[T],
    clusters: usize,
    tanh: bool,
    d_logits: &mut [T],
) {
    let rows = s.chunks_exact(clusters).zip(grad.chunks_exact(clusters));
    for (row, (s, grad)) in rows.enumerate() {
        let d = &mut d_logits[row * clusters..(row + 1) * clusters];
        let dot = dot_in_lanes(s, grad);
        d.iter_mut().zip(s.iter().zip(grad)).for_each(|(d, (&s, &g))| *d = s * (g - dot));
        if tanh {
            let logits = &logits[row * clusters..(row + 1) * clusters];
            d.iter_mut().zip(logits).for_each(|(d, &l)| {
                let z = l.tanh();
                *d *= T::ONE - z * z;
            });
        }
    }
}

dispatched! {
    /// [`forward_rows`], AVX2 where the CPU has it.
    fn forward_rows_dispatched, forward_rows_avx2 [T: Real]
        (logits: &[T], clusters: usize, tanh: bool, s: &mut [T]) -> () = forward_rows
}

dispatched! {
    /// [`backward_rows`], AVX2 where the CPU has it.
    fn backward_rows_dispatched, backward_rows_avx2 [T: Real]
        (s: &[T], grad: &[T], logits: &[T], clusters: usize, tanh: bool, d_logits: &mut [T])
        -> () = backward_rows
}

/// Rows per task, about 65,536 numbers: a first-level window at GPCR size (1,240 rows of
/// 400 clusters) makes eight tasks, a small system's a fraction of one.
fn rows_per_task(clusters: usize) -> usize {
    (1usize << 16).div_ceil(clusters.max(1))
}

/// Eq. S1: the softmax over the last axis of `logits` (`clusters` wide), of their tanh with
/// `tanh`.
pub(super) fn forward<T: Real>(logits: &[T], clusters: usize, tanh: bool) -> Vec<T> {
    let mut s = vec![T::ZERO; logits.len()];
    let chunk = rows_per_task(clusters) * clusters;
    s.par_chunks_mut(chunk).zip(logits.par_chunks(chunk)).for_each(|(s, logits)| {
        forward_rows_dispatched(logits, clusters, tanh, s);
    });
    s
}

/// Eqs. S2 and S3: the logits' gradient from the output `s`, its gradient and the logits
/// (read only with `tanh`; may be empty without).
pub(super) fn backward<T: Real>(
    s: &[T],
    grad: &[T],
    logits: &[T],
    clusters: usize,
    tanh: bool,
) -> Vec<T> {
    let mut d_logits = vec![T::ZERO; s.len()];
    let chunk = rows_per_task(clusters) * clusters;
    let work = d_logits.par_chunks_mut(chunk).zip(s.par_chunks(chunk)).zip(grad.par_chunks(chunk));
    work.enumerate().for_each(|(task, ((d, s), grad))| {
        let logits = if tanh { &logits[task * chunk..task * chunk + s.len()] } else { &[] };
        backward_rows_dispatched(s, grad, logits, clusters, tanh, d);
    });
    d_logits
}

#[cfg(test)]
mod tests {
    use super::*;
    use deepsig_testutil::Rng;

    /// The AVX2 build gives the baseline build's numbers bit for bit: the sums run over
    /// partial sums in a fixed order and Rust never fuses a multiply-add.
    #[test]
    fn the_wide_kernels_give_the_baseline_numbers() {
        if !deepsig_signature::wide_simd() {
            eprintln!("note: this CPU has no AVX2 + FMA: nothing to compare");
        }
        let (rows, clusters) = (5, 37);
        let mut rng = Rng(5);
        let logits: Vec<f32> = rng.vec_f32(rows * clusters).iter().map(|v| 4.0 * v).collect();
        let grad = rng.vec_f32(rows * clusters);
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        for tanh in [false, true] {
            let (mut base, mut wide) = (vec![0.0; logits.len()], vec![0.0; logits.len()]);
            forward_rows(&logits, clusters, tanh, &mut base);
            forward_rows_dispatched(&logits, clusters, tanh, &mut wide);
            assert_eq!(bits(&base), bits(&wide), "forward, tanh {tanh}");
            let (mut d_base, mut d_wide) = (vec![0.0; logits.len()], vec![0.0; logits.len()]);
            backward_rows(&base, &grad, &logits, clusters, tanh, &mut d_base);
            backward_rows_dispatched(&base, &grad, &logits, clusters, tanh, &mut d_wide);
            assert_eq!(bits(&d_base), bits(&d_wide), "backward, tanh {tanh}");
        }
    }
}
