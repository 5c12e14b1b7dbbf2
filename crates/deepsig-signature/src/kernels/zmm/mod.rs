//! The kernels in 512-bit registers (AVX-512F), for CPUs that have them: the forward's,
//! and the backward's products with the top level's adjoint.
//!
//! A row of `d ≥ lanes` numbers takes `⌈d / lanes⌉` registers of 8 f64 or 16 f32, the last
//! one ending with the row and overlapping the one before (as the AVX2 kernels' f32 rows
//! of 9-15 do, docs/signatures.md eq. S3): a row of 13 f64 is two registers instead of
//! three 4-wide ones and a scalar, a row of 31 f64 four instead of eight. Each element gets
//! the same multiplications and additions in the same order as in the baseline kernels (a
//! product, then a sum, never fused), so every build gives the same bits.
//!
//! Rows narrower than a register stay with the AVX2 kernels ([`pays_off`]): in one masked
//! register they were slower (BENCHMARKS.md, "512-bit registers"). The exception is the
//! top level's rows of 7 ([`short_pays_off`]), whose registers run on into the next rows
//! with the lanes past the row put back as they were.

// The intrinsics are `unsafe`: each call below is reached only through [`super::widest`],
// which has checked that the CPU has AVX-512F, with pointers to whole registers' lanes
// inside the rows they belong to.
#![allow(unsafe_code)]

use crate::Scalar;
#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::{
    __m512, __m512d, _mm512_add_pd, _mm512_add_ps, _mm512_loadu_pd, _mm512_loadu_ps,
    _mm512_mask_blend_pd, _mm512_mask_blend_ps, _mm512_mask_storeu_pd, _mm512_mask_storeu_ps,
    _mm512_maskz_loadu_pd, _mm512_maskz_loadu_ps, _mm512_mul_pd, _mm512_mul_ps, _mm512_set1_pd,
    _mm512_set1_ps, _mm512_storeu_pd, _mm512_storeu_ps,
};

/// The 512-bit operations of one element type. Public in a private module, like
/// `scalar::sealed::Sealed`: a bound of [`crate::Scalar`] that no other crate can name.
pub trait Zmm: Copy {
    /// Numbers in one register.
    const LANES: usize;
    /// One register.
    #[cfg(target_arch = "x86_64")]
    type V: Copy;
    /// The [`Self::LANES`] numbers from `p`.
    ///
    /// # Safety
    /// The CPU has AVX-512F, and the [`Self::LANES`] numbers from `p` are readable.
    #[cfg(target_arch = "x86_64")]
    unsafe fn load(p: *const Self) -> Self::V;
    /// Writes the [`Self::LANES`] numbers from `p`.
    ///
    /// # Safety
    /// The CPU has AVX-512F, and the [`Self::LANES`] numbers from `p` are writable.
    #[cfg(target_arch = "x86_64")]
    unsafe fn store(p: *mut Self, v: Self::V);
    /// `x` in every lane.
    ///
    /// # Safety
    /// The CPU has AVX-512F.
    #[cfg(target_arch = "x86_64")]
    unsafe fn splat(x: Self) -> Self::V;
    /// `a · b + c`, rounded after the product and after the sum (as the scalar code does).
    ///
    /// # Safety
    /// The CPU has AVX-512F.
    #[cfg(target_arch = "x86_64")]
    unsafe fn mul_add(a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// The first `n` lanes of `new` and the rest of `old`, bit for bit.
    ///
    /// # Safety
    /// The CPU has AVX-512F.
    #[cfg(target_arch = "x86_64")]
    unsafe fn first_of(n: usize, new: Self::V, old: Self::V) -> Self::V;
    /// The first `n` numbers from `p`, zeros after them.
    ///
    /// # Safety
    /// The CPU has AVX-512F, and the `n` numbers from `p` are readable.
    #[cfg(target_arch = "x86_64")]
    unsafe fn load_first(p: *const Self, n: usize) -> Self::V;
    /// Writes the first `n` lanes of `v` to `p`.
    ///
    /// # Safety
    /// The CPU has AVX-512F, and the `n` numbers from `p` are writable.
    #[cfg(target_arch = "x86_64")]
    unsafe fn store_first(p: *mut Self, v: Self::V, n: usize);
}

/// [`Zmm`] for one element type, from its intrinsics.
macro_rules! zmm {
    ($t:ty, $lanes:expr, $v:ty, $mask:ty, $load:ident, $store:ident, $set1:ident, $mul:ident,
        $add:ident, $blend:ident, $load_masked:ident, $store_masked:ident) => {
        impl Zmm for $t {
            const LANES: usize = $lanes;
            #[cfg(target_arch = "x86_64")]
            type V = $v;
            #[cfg(target_arch = "x86_64")]
            #[inline]
            #[target_feature(enable = "avx512f")]
            unsafe fn load(p: *const $t) -> $v {
                // SAFETY: the caller's contract.
                unsafe { $load(p) }
            }
            #[cfg(target_arch = "x86_64")]
            #[inline]
            #[target_feature(enable = "avx512f")]
            unsafe fn store(p: *mut $t, v: $v) {
                // SAFETY: the caller's contract.
                unsafe { $store(p, v) }
            }
            #[cfg(target_arch = "x86_64")]
            #[inline]
            #[target_feature(enable = "avx512f")]
            unsafe fn splat(x: $t) -> $v {
                $set1(x)
            }
            #[cfg(target_arch = "x86_64")]
            #[inline]
            #[target_feature(enable = "avx512f")]
            unsafe fn mul_add(a: $v, b: $v, c: $v) -> $v {
                $add($mul(a, b), c)
            }
            #[cfg(target_arch = "x86_64")]
            #[inline]
            #[target_feature(enable = "avx512f")]
            unsafe fn first_of(n: usize, new: $v, old: $v) -> $v {
                $blend(((1u32 << n) - 1) as $mask, old, new)
            }
            #[cfg(target_arch = "x86_64")]
            #[inline]
            #[target_feature(enable = "avx512f")]
            unsafe fn load_first(p: *const $t, n: usize) -> $v {
                // SAFETY: the caller's contract; the other lanes are not read.
                unsafe { $load_masked(((1u32 << n) - 1) as $mask, p) }
            }
            #[cfg(target_arch = "x86_64")]
            #[inline]
            #[target_feature(enable = "avx512f")]
            unsafe fn store_first(p: *mut $t, v: $v, n: usize) {
                // SAFETY: the caller's contract; the other lanes are not written.
                unsafe { $store_masked(p, ((1u32 << n) - 1) as $mask, v) }
            }
        }
    };
}

zmm!(
    f64,
    8,
    __m512d,
    u8,
    _mm512_loadu_pd,
    _mm512_storeu_pd,
    _mm512_set1_pd,
    _mm512_mul_pd,
    _mm512_add_pd,
    _mm512_mask_blend_pd,
    _mm512_maskz_loadu_pd,
    _mm512_mask_storeu_pd
);
zmm!(
    f32,
    16,
    __m512,
    u16,
    _mm512_loadu_ps,
    _mm512_storeu_ps,
    _mm512_set1_ps,
    _mm512_mul_ps,
    _mm512_add_ps,
    _mm512_mask_blend_ps,
    _mm512_maskz_loadu_ps,
    _mm512_mask_storeu_ps
);

/// Whether rows of `d` numbers go in 512-bit registers: when a row fills at least one.
/// Narrower rows took one masked register, slower than the AVX2 kernels on this AMD CPU
/// (BENCHMARKS.md, "512-bit registers"): AMD checks a load against earlier stores over the
/// whole register, masked lanes included, so a row's load waited for the previous row's
/// masked store to reach the cache.
pub(super) fn pays_off<T: Scalar>(d: usize) -> bool {
    d >= T::LANES
}

/// Whether `outer_add_steps` on `rows` rows of `d` runs in 512-bit registers: rows that
/// fill one, or shorter rows that run on into the next ([`short_pays_off`]).
pub(super) fn steps_pay_off<T: Scalar>(d: usize, rows: usize) -> bool {
    pays_off::<T>(d) || short_pays_off(d, rows)
}

/// Whether `rows` rows of `d`, shorter than a register, take
/// [`rows::outer_add_steps_short`]. Measured (BENCHMARKS.md, "512-bit registers"): faster
/// than the AVX2 build only at d = 7 (1.15-1.25x at depth 4 and 5, f32 and f64) and with
/// enough rows (depth 3, 49 rows, was 1.4x slower in f32); at d = 4, 5, 6, 8, 9, 13 level or
/// slower.
pub(super) fn short_pays_off(d: usize, rows: usize) -> bool {
    d == 7 && rows >= 256
}

#[cfg(target_arch = "x86_64")]
pub(super) use rows::{
    horner_and_outer_add, horner_step, increment_adjoints_steps, outer_add, outer_add_steps,
    outer_add_steps_short,
};

#[cfg(target_arch = "x86_64")]
mod rows;

/// Whether [`row_adjoints_steps`] runs in 512-bit registers: for f64, where a register
/// holds the four steps' even- and odd-column sums (in f32, 16 lanes would need four
/// partial sums per step, a different order of additions from the other builds'), and rows
/// of 16 or more. Measured (BENCHMARKS.md, "512-bit registers"): 1.4-1.6x the AVX2 backward
/// from d = 20 on, level at 16, slower below (d = 7, 10, 13: each row's short sums end in a
/// shuffle and a store that the AVX2 build does without).
pub(super) fn row_adjoints_pay_off<T: Scalar>(d: usize) -> bool {
    std::any::TypeId::of::<T>() == std::any::TypeId::of::<f64>() && d >= 16
}

#[cfg(target_arch = "x86_64")]
pub(super) use adjoints::row_adjoints_steps;

#[cfg(target_arch = "x86_64")]
mod adjoints;
