//! The forward kernels in 512-bit registers (AVX-512F), for CPUs that have them.
//!
//! A row of `d ≥ lanes` numbers takes `⌈d / lanes⌉` registers of 8 f64 or 16 f32, the last
//! one ending with the row and overlapping the one before (as the AVX2 kernels' f32 rows
//! of 9-15 do, docs/signatures.md eq. S3): a row of 13 f64 is two registers instead of
//! three 4-wide ones and a scalar, a row of 31 f64 four instead of eight. Each element gets
//! the same multiplications and additions in the same order as in the baseline kernels (a
//! product, then a sum, never fused), so every build gives the same bits.
//!
//! Rows narrower than a register stay with the AVX2 kernels ([`pays_off`]): in one masked
//! register they were slower (BENCHMARKS.md, "512-bit registers").

// The intrinsics are `unsafe`: each call below is reached only through [`super::widest`],
// which has checked that the CPU has AVX-512F, with pointers to whole registers' lanes
// inside the rows they belong to.
#![allow(unsafe_code)]

use crate::Scalar;
#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::{
    __m512, __m512d, _mm512_add_pd, _mm512_add_ps, _mm512_loadu_pd, _mm512_loadu_ps, _mm512_mul_pd,
    _mm512_mul_ps, _mm512_set1_pd, _mm512_set1_ps, _mm512_storeu_pd, _mm512_storeu_ps,
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
}

/// [`Zmm`] for one element type, from its intrinsics.
macro_rules! zmm {
    ($t:ty, $lanes:expr, $v:ty, $load:ident, $store:ident, $set1:ident, $mul:ident, $add:ident) => {
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
        }
    };
}

zmm!(
    f64,
    8,
    __m512d,
    _mm512_loadu_pd,
    _mm512_storeu_pd,
    _mm512_set1_pd,
    _mm512_mul_pd,
    _mm512_add_pd
);
zmm!(
    f32,
    16,
    __m512,
    _mm512_loadu_ps,
    _mm512_storeu_ps,
    _mm512_set1_ps,
    _mm512_mul_ps,
    _mm512_add_ps
);

/// Whether rows of `d` numbers go in 512-bit registers: when a row fills at least one.
/// Narrower rows took one masked register, slower than the AVX2 kernels on this AMD CPU
/// (BENCHMARKS.md, "512-bit registers"): AMD checks a load against earlier stores over the
/// whole register, masked lanes included, so a row's load waited for the previous row's
/// masked store to reach the cache.
pub(super) fn pays_off<T: Scalar>(d: usize) -> bool {
    d >= T::LANES
}

#[cfg(target_arch = "x86_64")]
pub(super) use wide::{
    horner_and_outer_add, horner_step, increment_adjoints_steps, outer_add, outer_add_steps,
};

#[cfg(target_arch = "x86_64")]
mod wide {
    use crate::Scalar;
    use crate::kernels::STEPS;

    /// Registers a sweep down the rows holds per row and per step: with [`STEPS`] steps,
    /// 4 · 4 registers of increments and 4 of sums, of the CPU's 32.
    const REGISTERS: usize = 4;

    /// Calls `$sweep::<T, R>(...)` with `R` the registers `$width` columns take,
    /// `1..=REGISTERS`.
    macro_rules! by_registers {
        ($width:expr, $sweep:ident($($arg:expr),*)) => {
            match $width.div_ceil(T::LANES) {
                1 => $sweep::<T, 1>($($arg),*),
                2 => $sweep::<T, 2>($($arg),*),
                3 => $sweep::<T, 3>($($arg),*),
                _ => $sweep::<T, 4>($($arg),*),
            }
        };
    }

    /// Columns `start..start + width` (`width ≥ LANES`) of rows of `d`, as `R` whole
    /// registers per row, the last one ending with the columns.
    #[derive(Clone, Copy)]
    struct Columns<const R: usize> {
        d: usize,
        starts: [usize; R],
    }

    impl<const R: usize> Columns<R> {
        #[inline(always)]
        fn new<T: Scalar>(d: usize, start: usize, width: usize) -> Self {
            debug_assert!(width >= T::LANES && width <= R * T::LANES);
            let starts = std::array::from_fn(|v| {
                if v + 1 == R { start + width - T::LANES } else { start + v * T::LANES }
            });
            Columns { d, starts }
        }

        /// The registers of row `i` of `values`.
        ///
        /// # Safety
        /// The CPU has AVX-512F.
        #[inline(always)]
        unsafe fn load<T: Scalar>(&self, values: &[T], i: usize) -> [T::V; R] {
            let row = &values[i * self.d..(i + 1) * self.d];
            // No closure (`array::from_fn`) here or in the loops below: a closure is compiled
            // without the caller's target features, and the intrinsics were not inlined.
            // SAFETY: AVX-512F (the caller's contract); each register's lanes are the
            // slice's, checked.
            let mut out = [unsafe { T::splat(T::ZERO) }; R];
            for (v, register) in out.iter_mut().enumerate() {
                let lanes = &row[self.starts[v]..self.starts[v] + T::LANES];
                *register = unsafe { T::load(lanes.as_ptr()) };
            }
            out
        }

        /// Writes the registers of row `i` of `values`, all loaded before (the last one
        /// overlaps the one before).
        ///
        /// # Safety
        /// The CPU has AVX-512F.
        #[inline(always)]
        unsafe fn store<T: Scalar>(&self, values: &mut [T], i: usize, registers: [T::V; R]) {
            let row = &mut values[i * self.d..(i + 1) * self.d];
            for (v, register) in registers.into_iter().enumerate() {
                let lanes = &mut row[self.starts[v]..self.starts[v] + T::LANES];
                // SAFETY: as in `load`.
                unsafe { T::store(lanes.as_mut_ptr(), register) };
            }
        }
    }
    /// Splits the `d ≥ LANES` columns into sweeps of at most [`REGISTERS`] registers and
    /// at least one register each (so that none is masked): whole spans, then, where the
    /// rest is narrower than a register, the last span shortened to give it one.
    #[inline(always)]
    fn sweeps<T: Scalar>(d: usize) -> impl Iterator<Item = (usize, usize)> {
        let (lanes, span) = (T::LANES, REGISTERS * T::LANES);
        let rest = d % span;
        let moved = if d > span && rest > 0 && rest < lanes { lanes - rest } else { 0 };
        let ends = (1..=d.div_ceil(span)).map(move |k| {
            let end = (k * span).min(d);
            if end < d { end - moved } else { end }
        });
        ends.scan(0, |start, end| {
            let sweep = (*start, end - *start);
            *start = end;
            Some(sweep)
        })
    }

    /// [`crate::kernels::outer_add_steps`] in 512-bit registers.
    ///
    /// # Safety
    /// The CPU has AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(crate) unsafe fn outer_add_steps<T: Scalar>(
        rows: &[T],
        zs: [&[T]; STEPS],
        target: &mut [T],
    ) {
        let d = zs[0].len();
        let n = rows.len() / STEPS;
        let r: [&[T]; STEPS] = [0, 1, 2, 3].map(|m| &rows[m * n..(m + 1) * n]);
        for (start, width) in sweeps::<T>(d) {
            // SAFETY: AVX-512F (this function's contract).
            unsafe { by_registers!(width, steps_sweep(r, zs, target, d, start, width)) }
        }
    }

    /// Columns `start..start + width` of [`outer_add_steps`], in `R` registers per row.
    #[inline(always)]
    unsafe fn steps_sweep<T: Scalar, const R: usize>(
        r: [&[T]; STEPS],
        zs: [&[T]; STEPS],
        target: &mut [T],
        d: usize,
        start: usize,
        width: usize,
    ) {
        let columns = Columns::<R>::new::<T>(d, start, width);
        let increments = Columns::<R> { d: zs[0].len(), ..columns };
        // SAFETY (every block below): AVX-512F, and every row read or written is there.
        let mut z = [unsafe { increments.load(zs[0], 0) }; STEPS];
        for m in 1..STEPS {
            z[m] = unsafe { increments.load(zs[m], 0) };
        }
        #[allow(clippy::needless_range_loop)] // `i` indexes the target's rows and four slices
        for i in 0..r[0].len() {
            let mut acc = unsafe { columns.load(target, i) };
            for m in 0..STEPS {
                let rm = unsafe { T::splat(r[m][i]) };
                for v in 0..R {
                    acc[v] = unsafe { T::mul_add(rm, z[m][v], acc[v]) };
                }
            }
            unsafe { columns.store(target, i, acc) };
        }
    }

    /// [`crate::kernels::horner_and_outer_add`] in 512-bit registers.
    ///
    /// # Safety
    /// The CPU has AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(crate) unsafe fn horner_and_outer_add<T: Scalar>(
        (h, zh): (&[T], &[T]),
        (u, zu): (&[T], &[T]),
        a: &mut [T],
        out: &mut [T],
    ) {
        let d = zh.len();
        for (start, width) in sweeps::<T>(d) {
            // SAFETY: AVX-512F (this function's contract).
            unsafe { by_registers!(width, both_sweep((h, zh), (u, zu), a, out, start, width)) }
        }
    }

    /// Columns `start..start + width` of [`horner_and_outer_add`].
    #[inline(always)]
    unsafe fn both_sweep<T: Scalar, const R: usize>(
        (h, zh): (&[T], &[T]),
        (u, zu): (&[T], &[T]),
        a: &mut [T],
        out: &mut [T],
        start: usize,
        width: usize,
    ) {
        let columns = Columns::<R>::new::<T>(zh.len(), start, width);
        // SAFETY (every block below): AVX-512F, and every row read or written is there.
        let (zh, zu) = unsafe { (columns.load(zh, 0), columns.load(zu, 0)) };
        for (i, (&hi, &ui)) in h.iter().zip(u).enumerate() {
            let before = unsafe { columns.load(a, i) };
            let (hs, us) = unsafe { (T::splat(hi), T::splat(ui)) };
            let (mut horner, mut added) = (before, before);
            for v in 0..R {
                horner[v] = unsafe { T::mul_add(hs, zh[v], before[v]) };
                added[v] = unsafe { T::mul_add(us, zu[v], before[v]) };
            }
            unsafe { columns.store(out, i, horner) };
            unsafe { columns.store(a, i, added) };
        }
    }

    /// [`crate::kernels::increment_adjoints_steps`] in 512-bit registers: the sums of
    /// each column and step over the rows in order, as there, with the columns in
    /// registers (the last one overlapping the one before) instead of the steps.
    ///
    /// # Safety
    /// The CPU has AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(crate) unsafe fn increment_adjoints_steps<T: Scalar>(rows: &[T], g: &[T], dz: &mut [T]) {
        let d = dz.len() / STEPS;
        for (start, width) in sweeps::<T>(d) {
            // SAFETY: AVX-512F (this function's contract).
            unsafe { by_registers!(width, increment_sweep(rows, g, dz, d, start, width)) }
        }
    }

    /// Columns `start..start + width` of [`increment_adjoints_steps`].
    #[inline(always)]
    unsafe fn increment_sweep<T: Scalar, const R: usize>(
        rows: &[T],
        g: &[T],
        dz: &mut [T],
        d: usize,
        start: usize,
        width: usize,
    ) {
        let columns = Columns::<R>::new::<T>(d, start, width);
        // SAFETY (every block below): AVX-512F, and every row read or written is there.
        let zero = unsafe { T::splat(T::ZERO) };
        let mut acc = [[zero; R]; STEPS];
        for (i, steps) in rows.chunks_exact(STEPS).enumerate() {
            let g_row = unsafe { columns.load(g, i) };
            for m in 0..STEPS {
                let rm = unsafe { T::splat(steps[m]) };
                for v in 0..R {
                    acc[m][v] = unsafe { T::mul_add(rm, g_row[v], acc[m][v]) };
                }
            }
        }
        // The sums out of the registers, columns first, then into `dz`'s steps-last layout.
        let mut sums = [[T::ZERO; REGISTERS * 16]; STEPS]; // 16: the most lanes (f32)
        let sums_of = Columns::<R>::new::<T>(width, 0, width);
        for m in 0..STEPS {
            unsafe { sums_of.store(&mut sums[m][..width], 0, acc[m]) };
        }
        for c in 0..width {
            let lanes = &mut dz[(start + c) * STEPS..(start + c + 1) * STEPS];
            for m in 0..STEPS {
                lanes[m] += sums[m][c];
            }
        }
    }

    /// [`crate::kernels::horner_step`] in 512-bit registers.
    ///
    /// # Safety
    /// The CPU has AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(crate) unsafe fn horner_step<T: Scalar>(row: &[T], zs: &[T], a: &[T], out: &mut [T]) {
        let d = zs.len();
        for (start, width) in sweeps::<T>(d) {
            // SAFETY: AVX-512F (this function's contract).
            unsafe { by_registers!(width, horner_sweep(row, zs, Some(a), out, start, width)) }
        }
    }

    /// [`crate::kernels::outer_add`] in 512-bit registers.
    ///
    /// # Safety
    /// The CPU has AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(crate) unsafe fn outer_add<T: Scalar>(row: &[T], z: &[T], target: &mut [T]) {
        let d = z.len();
        for (start, width) in sweeps::<T>(d) {
            // SAFETY: AVX-512F (this function's contract).
            unsafe { by_registers!(width, horner_sweep(row, z, None, target, start, width)) }
        }
    }

    /// Columns `start..start + width` of `out[α, c] = row[α] · z[c] + a[α, c]`, with
    /// `a = out` when `a` is `None`.
    #[inline(always)]
    unsafe fn horner_sweep<T: Scalar, const R: usize>(
        row: &[T],
        z: &[T],
        a: Option<&[T]>,
        out: &mut [T],
        start: usize,
        width: usize,
    ) {
        let columns = Columns::<R>::new::<T>(z.len(), start, width);
        // SAFETY (every block below): AVX-512F, and every row read or written is there.
        let z: [T::V; R] = unsafe { columns.load(z, 0) };
        for (i, &ri) in row.iter().enumerate() {
            let mut acc = match a {
                Some(a) => unsafe { columns.load(a, i) },
                None => unsafe { columns.load(out, i) },
            };
            let rs = unsafe { T::splat(ri) };
            for v in 0..R {
                acc[v] = unsafe { T::mul_add(rs, z[v], acc[v]) };
            }
            unsafe { columns.store(out, i, acc) };
        }
    }
}

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
mod adjoints {
    use std::any::TypeId;
    use std::arch::x86_64::{
        __m512d, _mm_loadu_ps, _mm256_loadu_pd, _mm256_storeu_pd, _mm512_add_pd,
        _mm512_broadcast_f32x4, _mm512_castpd256_pd512, _mm512_castpd512_pd256, _mm512_castps_pd,
        _mm512_loadu_pd, _mm512_mask_add_pd, _mm512_maskz_permutexvar_pd, _mm512_mul_pd,
        _mm512_permute_pd, _mm512_permutexvar_pd, _mm512_set_epi64, _mm512_set1_pd,
        _mm512_setzero_pd,
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
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;
    use crate::kernels::STEPS;

    fn value(i: usize) -> f64 {
        ((i * 37 + 11) % 101) as f64 / 17.0 - 2.5
    }

    /// The three kernels give the scalar loops' numbers exactly, for every row length
    /// they take (one register up to several sweeps, every remainder).
    fn match_the_scalar_loops<T: Scalar + PartialEq>(of: impl Fn(usize) -> T) {
        for d in T::LANES..=T::LANES * 9 + 3 {
            let rows = 5;
            let row: Vec<T> = (0..rows).map(&of).collect();
            let zs: Vec<Vec<T>> =
                (0..STEPS).map(|m| (0..d).map(|c| of(c * 3 + m + 50)).collect()).collect();
            let a: Vec<T> = (0..rows * d).map(|i| of(i + 200)).collect();
            let name = std::any::type_name::<T>();

            let mut out = vec![T::ZERO; rows * d];
            // SAFETY (all three): the caller has checked for AVX-512F.
            unsafe { horner_step(&row, &zs[0], &a, &mut out) };
            let plain: Vec<T> = (0..rows * d).map(|i| row[i / d] * zs[0][i % d] + a[i]).collect();
            assert!(out == plain, "horner step, {name}, d = {d}");

            let mut target = a.clone();
            unsafe { outer_add(&row, &zs[1], &mut target) };
            let plain: Vec<T> = (0..rows * d).map(|i| a[i] + row[i / d] * zs[1][i % d]).collect();
            assert!(target == plain, "outer add, {name}, d = {d}");

            let steps_rows: Vec<T> = (0..STEPS * rows).map(|i| of(i + 7)).collect();
            let mut target = a.clone();
            let z: [&[T]; STEPS] = std::array::from_fn(|m| zs[m].as_slice());
            unsafe { outer_add_steps(&steps_rows, z, &mut target) };
            let mut plain = a.clone();
            for (m, z) in zs.iter().enumerate() {
                for (i, t) in plain.iter_mut().enumerate() {
                    *t += steps_rows[m * rows + i / d] * z[i % d];
                }
            }
            assert!(target == plain, "outer add steps, {name}, d = {d}");

            let (mut both_a, mut both_out) = (a.clone(), vec![T::ZERO; rows * d]);
            let u = &steps_rows[..rows];
            unsafe {
                horner_and_outer_add((&row, &zs[0]), (u, &zs[1]), &mut both_a, &mut both_out)
            };
            let mut plain_a = a.clone();
            let mut plain_out = vec![T::ZERO; rows * d];
            unsafe { horner_step(&row, &zs[0], &a, &mut plain_out) };
            unsafe { outer_add(u, &zs[1], &mut plain_a) };
            assert!(both_out == plain_out && both_a == plain_a, "both, {name}, d = {d}");

            // `rows` and `dz` steps last, as the backward keeps them.
            let mut dz: Vec<T> = (0..STEPS * d).map(|i| of(i + 400)).collect();
            let mut plain = dz.clone();
            unsafe { increment_adjoints_steps(&steps_rows, &a, &mut dz) };
            for c in 0..d {
                for m in 0..STEPS {
                    let mut sum = T::ZERO;
                    for i in 0..rows {
                        sum += a[i * d + c] * steps_rows[i * STEPS + m];
                    }
                    plain[c * STEPS + m] += sum;
                }
            }
            assert!(dz == plain, "increment adjoints, {name}, d = {d}");
        }
    }

    #[test]
    fn the_512_bit_kernels_give_the_scalar_loops_numbers() {
        if !std::is_x86_feature_detected!("avx512f") {
            eprintln!("skipping: this CPU has no AVX-512F");
            return;
        }
        match_the_scalar_loops::<f64>(value);
        match_the_scalar_loops::<f32>(|i| value(i) as f32);
    }
}
