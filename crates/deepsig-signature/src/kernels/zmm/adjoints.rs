//! The backward's row adjoints in 512-bit registers (f64).

use std::any::TypeId;
use std::arch::x86_64::{
    __m512d, _mm_loadu_ps, _mm256_loadu_pd, _mm256_storeu_pd, _mm512_add_pd,
    _mm512_broadcast_f32x4, _mm512_castpd256_pd512, _mm512_castpd512_pd256, _mm512_castps_pd,
    _mm512_loadu_pd, _mm512_mask_add_pd, _mm512_maskz_permutexvar_pd, _mm512_mul_pd,
    _mm512_permute_pd, _mm512_permutexvar_pd, _mm512_set_epi64, _mm512_set1_pd, _mm512_setzero_pd,
};

use crate::Scalar;
use crate::kernels::STEPS;

/// Columns taken at a time, as in the other builds (`steps.rs`, `CHUNK`): beyond them,
/// the even sums restart from the total so far and the odd ones from zero.
const CHUNK: usize = 64;

/// Rows whose sums run side by side: one row's chain of additions alone waits on
/// each addition's latency.
const ROWS: usize = 4;

/// [`crate::kernels::row_adjoints_steps`] in 512-bit registers, for f64: lane `2m` of a
/// register holds step `m`'s sum over the even columns, lane `2m + 1` over the odd ones
/// (the other builds' two sums), so a column pair is one product and one sum for all
/// four steps. The same additions in the same order as there.
///
/// # Safety
/// The CPU has AVX-512F, and `T` is `f64` ([`super::row_adjoints_pay_off`]).
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn row_adjoints_steps<T: Scalar>(g: &[T], zs: [&[T]; STEPS], out: &mut [T]) {
    assert!(TypeId::of::<T>() == TypeId::of::<f64>());
    // SAFETY: `T` is `f64` (asserted), so these are the same slices.
    let (g, out) = unsafe {
        (
            std::slice::from_raw_parts(g.as_ptr().cast::<f64>(), g.len()),
            std::slice::from_raw_parts_mut(out.as_mut_ptr().cast::<f64>(), out.len()),
        )
    };
    let zs: [&[f64]; STEPS] = zs.map(|z| {
        // SAFETY: as above.
        unsafe { std::slice::from_raw_parts(z.as_ptr().cast::<f64>(), z.len()) }
    });
    let d = zs[0].len();
    let rows = out.len() / STEPS;
    for start in (0..d).step_by(CHUNK) {
        let width = CHUNK.min(d - start);
        // Pair `p` of columns `c = start + 2p`, `c + 1`, as lanes (z0[c], z0[c+1],
        // z1[c], z1[c+1], ...); a last lone column has zeros for `c + 1`.
        let mut pairs = [[0.0f64; 8]; CHUNK / 2];
        for (p, lanes) in pairs[..width.div_ceil(2)].iter_mut().enumerate() {
            for (m, z) in zs.iter().enumerate() {
                let c = start + 2 * p;
                lanes[2 * m] = z[c];
                lanes[2 * m + 1] = if c + 1 < start + width { z[c + 1] } else { 0.0 };
            }
        }
        let whole = rows / ROWS * ROWS;
        let mut i = 0;
        while i < whole {
            // SAFETY: AVX-512F (this function's contract); the rows are there.
            unsafe { rows_of::<ROWS>(g, &pairs, out, (d, start, width), i) };
            i += ROWS;
        }
        while i < rows {
            // SAFETY: as above.
            unsafe { rows_of::<1>(g, &pairs, out, (d, start, width), i) };
            i += 1;
        }
    }
}

/// Rows `first..first + N` of [`row_adjoints_steps`] over one chunk of columns.
#[inline(always)]
unsafe fn rows_of<const N: usize>(
    g: &[f64],
    pairs: &[[f64; 8]; CHUNK / 2],
    out: &mut [f64],
    (d, start, width): (usize, usize, usize),
    first: usize,
) {
    // SAFETY (every block below): AVX-512F (the caller's contract), and every
    // pointer is to numbers of the slices' own, bounds-checked.
    let mut acc = [unsafe { _mm512_setzero_pd() }; N];
    if start > 0 {
        // The total so far in the even lanes (lane 2m = step m), zeros in the odd ones.
        let spread = unsafe { _mm512_set_epi64(3, 3, 2, 2, 1, 1, 0, 0) };
        for (r, sums) in acc.iter_mut().enumerate() {
            let totals = &out[(first + r) * STEPS..(first + r + 1) * STEPS];
            let totals = unsafe { _mm512_castpd256_pd512(_mm256_loadu_pd(totals.as_ptr())) };
            *sums = unsafe { _mm512_maskz_permutexvar_pd(0x55, spread, totals) };
        }
    }
    let whole_pairs = width / 2;
    // The rows' columns of this chunk, checked once here: the loop below reads
    // `2 · whole_pairs ≤ width` numbers from the start of each.
    let mut columns = [g.as_ptr(); N];
    for (r, row) in columns.iter_mut().enumerate() {
        *row = g[(first + r) * d + start..(first + r) * d + start + width].as_ptr();
    }
    for (p, lanes) in pairs[..whole_pairs].iter().enumerate() {
        let z: __m512d = unsafe { _mm512_loadu_pd(lanes.as_ptr()) };
        for (row, sums) in columns.iter().zip(acc.iter_mut()) {
            // The two f64 as four f32, repeated across the register: (g[c], g[c+1]) x4.
            let two = unsafe { _mm_loadu_ps(row.add(2 * p).cast()) };
            let two = unsafe { _mm512_castps_pd(_mm512_broadcast_f32x4(two)) };
            *sums = unsafe { _mm512_add_pd(*sums, _mm512_mul_pd(two, z)) };
        }
    }
    if width % 2 == 1 {
        let z = unsafe { _mm512_loadu_pd(pairs[whole_pairs].as_ptr()) };
        let c = start + width - 1;
        for (r, sums) in acc.iter_mut().enumerate() {
            let one = unsafe { _mm512_set1_pd(g[(first + r) * d + c]) };
            // Only the even lanes: the other builds add nothing to the odd sums here.
            *sums = unsafe { _mm512_mask_add_pd(*sums, 0x55, *sums, _mm512_mul_pd(one, z)) };
        }
    }
    // Lane 2m: even + odd sum of step m; then lanes 0, 2, 4, 6 to the row's four steps.
    let evens = unsafe { _mm512_set_epi64(7, 5, 3, 1, 6, 4, 2, 0) };
    for (r, sums) in acc.into_iter().enumerate() {
        let total = unsafe { _mm512_add_pd(sums, _mm512_permute_pd(sums, 0b0101_0101)) };
        let packed = unsafe { _mm512_castpd512_pd256(_mm512_permutexvar_pd(evens, total)) };
        let row = &mut out[(first + r) * STEPS..(first + r + 1) * STEPS];
        unsafe { _mm256_storeu_pd(row.as_mut_ptr(), packed) };
    }
}
