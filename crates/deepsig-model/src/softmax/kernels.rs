//! The assignment softmax's host kernels (docs/method.md, eqs. S1-S3): one row of clusters at
//! a time, its sums over [`LANES`] partial sums in a fixed order, the exponential and tanh of
//! f32 as polynomials the compiler vectorises, AVX2 where the CPU has it.

use deepsig_signature::Scalar;
use rayon::prelude::*;

use crate::simd::dispatched;

/// The row sums keep this many partial sums, added in a fixed order at the end, so the sums
/// vectorise and do not depend on the CPU's vector width.
const LANES: usize = 16;

/// The two transcendental functions of eqs. S1-S3: for f32 the polynomials below (the
/// standard library's call libm once per number, a twentieth of a GPCR training epoch), for
/// f64 the standard library's.
pub(crate) trait Real: Scalar {
    /// $e^x$ for $x \le 0$ (the softmax's arguments); a NaN stays a NaN.
    fn exp_nonpositive(self) -> Self;
    /// $\tanh x$; a NaN stays a NaN.
    fn tanh(self) -> Self;
}

impl Real for f64 {
    fn exp_nonpositive(self) -> f64 {
        self.exp()
    }
    fn tanh(self) -> f64 {
        f64::tanh(self)
    }
}

impl Real for f32 {
    #[inline(always)]
    fn exp_nonpositive(self) -> f32 {
        exp_f32(self)
    }
    #[inline(always)]
    fn tanh(self) -> f32 {
        tanh_f32(self)
    }
}

/// $e^x$ within 2 ulp for $-87.3 \le x \le 88$ (below, $e^{-87.3}$ ≈ 1.2e-38: the smallest
/// normal number's order, so a softmax term that should underflow to 0 is at most that).
/// Cody and Waite's reduction $x = n \ln 2 + r$, $|r| \le \ln 2 / 2$ ($\ln 2$ in two parts,
/// the first exact in 9 bits so $n \cdot$ it is exact), then Cephes' `expf` polynomial for
/// $e^r$, scaled by $2^n$ through the exponent bits. Branch-free, so a loop of it vectorises.
#[inline(always)]
fn exp_f32(x: f32) -> f32 {
    // `clamp`, unlike `max` and `min`, keeps a NaN.
    let x = x.clamp(-87.3, 88.0);
    let n = (x * std::f32::consts::LOG2_E + 0.5).floor();
    let r = x - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 0.5;
    let e_r = p * (r * r) + r + 1.0;
    // 2^n from its exponent bits n + 127 ∈ [1, 254] (after the clamp): adding 2^23 puts
    // n + 127 in the low mantissa bits, which the shift moves into the exponent. A cast to
    // i32 would do the same one number at a time (Rust's saturating cast does not vectorise).
    e_r * f32::from_bits((n + (127.0 + 8_388_608.0)).to_bits() << 23)
}

/// $\tanh x$ within 3 ulp: Cephes' `tanhf`, an odd polynomial below $|x| = 0.625$ and
/// $1 - 2 / (e^{2|x|} + 1)$ with the sign of $x$ above. Both are computed and one chosen, so
/// a loop of it vectorises.
#[inline(always)]
fn tanh_f32(x: f32) -> f32 {
    let z = x * x;
    let small =
        ((((-5.704_988_7e-3 * z + 2.063_909e-2) * z - 5.373_971_6e-2) * z + 1.333_144_2e-1) * z
            - 3.333_328e-1)
            * z
            * x
            + x;
    let a = x.abs();
    // For |x| ≥ 44 the exponential's clamp leaves 2 / (e + 1) below half an ulp of 1.
    let e = exp_f32(2.0 * a);
    let large = (1.0 - 2.0 / (e + 1.0)).copysign(x);
    if a < 0.625 { small } else { large }
}

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
        s.iter_mut().for_each(|v| *v = (*v - max).exp_nonpositive());
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

    /// Distance in units in the last place between two finite f32 of one sign.
    fn ulps(a: f32, b: f32) -> u32 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32
    }

    #[test]
    fn the_f32_exponential_and_tanh_are_within_a_few_ulp_of_f64s() {
        let (mut exp_worst, mut tanh_worst) = (0, 0);
        for i in 0..=200_000 {
            let x = -87.0 + 87.0 * i as f32 / 200_000.0;
            exp_worst = exp_worst.max(ulps(exp_f32(x), (x as f64).exp() as f32));
            let t = -10.0 + 20.0 * i as f32 / 200_000.0;
            tanh_worst = tanh_worst.max(ulps(tanh_f32(t), (t as f64).tanh() as f32));
        }
        assert!(exp_worst <= 2, "exp: {exp_worst} ulp");
        assert!(tanh_worst <= 3, "tanh: {tanh_worst} ulp");
        for x in [1e-30f32, -1e-7, 0.625, -0.625, 50.0, -50.0, 0.0] {
            assert!(ulps(tanh_f32(x), (x as f64).tanh() as f32) <= 3, "tanh({x})");
        }
        assert_eq!(exp_f32(0.0), 1.0);
        assert!(exp_f32(-1000.0) < 1.3e-38 && exp_f32(-1000.0) >= 0.0);
        assert!(exp_f32(f32::NAN).is_nan() && tanh_f32(f32::NAN).is_nan());
    }

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
