//! Exponential, tanh and sigmoid for the host kernels (the assignment softmax, the LSTM's
//! recurrence). libm's f32 functions take one number per call, which kept those kernels'
//! loops scalar (libm's `expf`, `tanhf` and `expm1f` were 4-5 % of a training epoch, at GPCR
//! and at the small system's size); the f32 versions here are branch-free polynomials, so a
//! loop of them vectorises, and they give the same numbers in every build (Rust never fuses
//! a multiply-add).

use deepsig_signature::Scalar;

/// The host kernels' transcendental functions: for f32 the polynomials below, for f64 the
/// standard library's.
pub(crate) trait Real: Scalar {
    /// $e^x$; in f32 within 2 ulp for $-87.3 \le x \le 88$, outside clamped to that range. A
    /// NaN stays a NaN.
    fn exp(self) -> Self;
    /// $\tanh x$; a NaN stays a NaN.
    fn tanh(self) -> Self;
    /// $1 / (1 + e^{-x})$.
    #[inline(always)]
    fn sigmoid(self) -> Self {
        Self::ONE / (Self::ONE + (-self).exp())
    }
}

impl Real for f64 {
    fn exp(self) -> f64 {
        f64::exp(self)
    }
    fn tanh(self) -> f64 {
        f64::tanh(self)
    }
}

impl Real for f32 {
    #[inline(always)]
    fn exp(self) -> f32 {
        exp_f32(self)
    }
    #[inline(always)]
    fn tanh(self) -> f32 {
        tanh_f32(self)
    }
}

/// $e^x$ within 2 ulp for $-87.3 \le x \le 88$; below, $e^{-87.3}$ ≈ 1.2e-38 (the smallest
/// normal number's order, so a term that should underflow to 0 is at most that), above,
/// $e^{88}$ ≈ 1.7e38.
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!((0.5f32.sigmoid() - 0.622_459_3).abs() < 1e-7 && (-200.0f32).sigmoid() < 1e-38);
        assert!(exp_f32(-1000.0) < 1.3e-38 && exp_f32(-1000.0) >= 0.0);
        assert!(exp_f32(f32::NAN).is_nan() && tanh_f32(f32::NAN).is_nan());
    }
}
