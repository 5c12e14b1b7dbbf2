//! Kernels that take [`STEPS`] increments of a path at once.
//!
//! The top level of a truncated signature is the largest by a factor `d`, and each step of
//! the forward reads and writes it whole: one step at a time, that loop is bound by stores
//! (and at d ≥ 30, by the second-level cache). Level `N` after a step depends only on the
//! lower levels before it, so the lower levels can take the steps one by one, keeping each
//! step's Horner row, and the top level then takes all [`STEPS`] rank-one updates in one
//! sweep. In the backward the top level's adjoint does not change from step to step, so its
//! two products with the steps' increments and rows are taken [`STEPS`] at a time too.

use super::{REGISTER_BYTES, lanes_at, overlapped, second_register, wide, widest};
use crate::Scalar;

/// Increments whose rank-one updates [`outer_add_steps`] adds in one sweep of the target.
/// Four: with d = 13 the row's four steps of `z` fill the 16 AVX2 registers.
/// [`outer_add_steps_columns`] names the four rows.
pub(crate) const STEPS: usize = 4;

/// The [`STEPS`] equal parts of `rows`, one per step: how every kernel here reads its rows.
#[inline(always)]
pub(super) fn step_rows<T>(rows: &[T]) -> [&[T]; STEPS] {
    let n = rows.len() / STEPS;
    std::array::from_fn(|m| &rows[m * n..(m + 1) * n])
}

dispatched! {
    /// `target[α, c] += rows[m][α] * zs[m][c]` for `m = 0..STEPS` in turn, where `rows[m]` is
    /// the `m`-th of [`STEPS`] equal parts of `rows`: the numbers of [`STEPS`] calls of
    /// [`outer_add`], with each target element loaded and stored once instead of
    /// [`STEPS`] times. The one-step loop is bound by stores, this one by multiply-adds.
    fn outer_add_steps, outer_add_steps_baseline, outer_add_steps_avx2
        (rows: &[T], zs: [&[T]; STEPS], target: &mut [T])
        wide_when = true;
        widest = outer_add_steps_widest,
            when super::zmm::steps_pay_off::<T>(zs[0].len(), target.len() / zs[0].len().max(1));
    { specialise!(zs[0].len(), outer_add_steps_d(rows, zs, target)) }
}

/// [`outer_add_steps`] in 512-bit registers: rows that fill one, and the shorter ones
/// [`super::zmm::steps_pay_off`] lets through, running on into the next.
///
/// # Safety
/// The CPU has AVX-512F.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
unsafe fn outer_add_steps_widest<T: Scalar>(rows: &[T], zs: [&[T]; STEPS], target: &mut [T]) {
    // SAFETY (both): the caller's contract.
    if super::zmm::pays_off::<T>(zs[0].len()) {
        unsafe { super::zmm::outer_add_steps(rows, zs, target) }
    } else {
        unsafe { super::zmm::outer_add_steps_short(rows, zs, target) }
    }
}

#[inline(always)]
fn outer_add_steps_d<T: Scalar>(rows: &[T], zs: [&[T]; STEPS], target: &mut [T], d: usize) {
    let r = step_rows(rows);
    if d > MAX_ROW {
        return outer_add_steps_blocks(r, zs, target, d);
    }
    // Rows of 9 to 15 f32: two 8-wide registers, the second ending with the row (eq. S3's
    // sums are elementwise, so the lanes both registers hold get the same numbers in both).
    // For f64 the same idea, four 4-wide registers for 13, was slower (BENCHMARKS.md).
    if overlapped(d, std::mem::size_of::<T>()) {
        return outer_add_steps_overlapped::<T, 8, 2>(r, zs, target, (d, 0));
    }
    let mut z = [[T::ZERO; MAX_ROW]; STEPS];
    for m in 0..STEPS {
        z[m][..d].copy_from_slice(&zs[m][..d]);
    }
    // The row is added up in a local array, which the compiler keeps in registers: added in
    // place, it was stored after every step, as if `target` might alias the increments.
    for (i, t_row) in target.chunks_exact_mut(d).enumerate() {
        one_row_at_a_time();
        let mut acc = [T::ZERO; MAX_ROW];
        acc[..d].copy_from_slice(t_row);
        for m in 0..STEPS {
            let rm = r[m][i];
            for c in 0..d {
                acc[c] += rm * z[m][c];
            }
        }
        t_row.copy_from_slice(&acc[..d]);
    }
}

/// [`outer_add_steps_d`] on the columns `first..d` of rows of `d`, `LANES · (REGISTERS − 1)
/// < d − first < LANES · REGISTERS`, in `REGISTERS` registers of `LANES`, the last one
/// starting at `d − LANES`. A row of 13 f32 took an 8-wide, a 4-wide and a scalar operation
/// per step; here it takes two 8-wide ones (BENCHMARKS.md, "Rows of f32 in whole
/// registers").
#[inline(always)]
fn outer_add_steps_overlapped<T: Scalar, const LANES: usize, const REGISTERS: usize>(
    r: [&[T]; STEPS],
    zs: [&[T]; STEPS],
    target: &mut [T],
    (d, first): (usize, usize),
) {
    let last = second_register(d, LANES);
    let starts: [usize; REGISTERS] =
        std::array::from_fn(|v| if v + 1 < REGISTERS { first + v * LANES } else { last });
    let z: [[[T; LANES]; REGISTERS]; STEPS] =
        std::array::from_fn(|m| std::array::from_fn(|v| lanes_at(zs[m], starts[v])));
    for (i, t_row) in target.chunks_exact_mut(d).enumerate() {
        one_row_at_a_time();
        let mut acc: [[T; LANES]; REGISTERS] = std::array::from_fn(|v| lanes_at(t_row, starts[v]));
        for m in 0..STEPS {
            let rm = r[m][i];
            for v in 0..REGISTERS {
                for l in 0..LANES {
                    acc[v][l] += rm * z[m][v][l];
                }
            }
        }
        for v in 0..REGISTERS {
            t_row[starts[v]..starts[v] + LANES].copy_from_slice(&acc[v]);
        }
    }
}

/// [`outer_add_steps_d`] for rows longer than [`MAX_ROW`]: the columns in blocks of
/// [`BLOCK`] (a length the compiler knows, so a block of every row stays in registers
/// through the steps), each block down all the rows, then the last, shorter block.
#[inline(always)]
fn outer_add_steps_blocks<T: Scalar>(
    r: [&[T]; STEPS],
    zs: [&[T]; STEPS],
    target: &mut [T],
    d: usize,
) {
    let whole = d / BLOCK * BLOCK;
    if whole < d {
        // The last whole block and the rest in one sweep, in overlapping registers: two of
        // 8 f32, or three or four of 4 f64.
        for start in (0..whole - BLOCK).step_by(BLOCK) {
            outer_add_steps_columns(r, zs, target, d, start, BLOCK);
        }
        let columns = (d, whole - BLOCK);
        let lanes = REGISTER_BYTES / std::mem::size_of::<T>();
        return match (lanes, (d - (whole - BLOCK)).div_ceil(lanes)) {
            (8, _) => outer_add_steps_overlapped::<T, 8, 2>(r, zs, target, columns),
            (4, 3) => outer_add_steps_overlapped::<T, 4, 3>(r, zs, target, columns),
            _ => outer_add_steps_overlapped::<T, 4, 4>(r, zs, target, columns),
        };
    }
    for start in (0..whole).step_by(BLOCK) {
        outer_add_steps_columns(r, zs, target, d, start, BLOCK);
    }
    specialise!(d - whole, outer_add_steps_columns(r, zs, target, d, whole));
}

/// Columns `start..start + width` of [`outer_add_steps_d`].
#[inline(always)]
#[allow(clippy::manual_memcpy)] // `copy_from_slice` became a call to `memmove` per row
fn outer_add_steps_columns<T: Scalar>(
    r: [&[T]; STEPS],
    zs: [&[T]; STEPS],
    target: &mut [T],
    d: usize,
    start: usize,
    width: usize,
) {
    if width == 0 {
        return;
    }
    let z: [&[T]; STEPS] = std::array::from_fn(|m| &zs[m][start..start + width]);
    let mut zb = [[T::ZERO; BLOCK]; STEPS];
    for m in 0..STEPS {
        zb[m][..width].copy_from_slice(z[m]);
    }
    let rows = r[0].iter().zip(r[1]).zip(r[2]).zip(r[3]);
    for ((((&r0, &r1), &r2), &r3), t_row) in rows.zip(target.chunks_exact_mut(d)) {
        one_row_at_a_time();
        let t = &mut t_row[start..start + width];
        let mut acc = [T::ZERO; BLOCK];
        for c in 0..width {
            acc[c] = t[c];
        }
        for (m, rm) in [r0, r1, r2, r3].into_iter().enumerate() {
            for c in 0..width {
                acc[c] += rm * zb[m][c];
            }
        }
        for c in 0..width {
            t[c] = acc[c];
        }
    }
}

/// Columns per block of [`outer_add_steps_blocks`].
const BLOCK: usize = 8;

/// The longest row [`outer_add_steps_d`] adds up whole in registers; longer ones go by
/// [`outer_add_steps_blocks`].
const MAX_ROW: usize = 16;

/// Keeps the compiler from vectorising a loop over rows across rows. Without it, the loop of
/// [`outer_add_steps_d`] (the unrolled row being long) was vectorised two rows at a time, with
/// strided loads and stores, at 1.7x the one-step loops' time; with it, each row's lanes are
/// vectorised. An empty `asm!` emits no instruction, touches no memory, and cannot itself
/// be vectorised, so the loop vectoriser leaves the loop that contains it alone.
#[inline(always)]
fn one_row_at_a_time() {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    // SAFETY: an empty assembly block with no operands does nothing.
    #[allow(unsafe_code)]
    unsafe {
        std::arch::asm!("", options(nomem, nostack, preserves_flags));
    }
}

dispatched! {
    /// `out[α][m] = Σ_c g[α, c] zs[m][c]` for each of the [`STEPS`] increments (`out` is
    /// `[rows][STEPS]`, the steps last, so that each row's [`STEPS`] sums are stored
    /// together; strided, the compiler left them scalar): the adjoint of the Horner
    /// rows given the adjoint `g` of the target of [`outer_add_steps`]. The steps are the
    /// lanes, so each row's `d` products need no horizontal sum.
    fn row_adjoints_steps, row_adjoints_steps_baseline, row_adjoints_steps_avx2
        (g: &[T], zs: [&[T]; STEPS], out: &mut [T])
        wide_when = true;
        widest = super::zmm::row_adjoints_steps, when super::zmm::row_adjoints_pay_off::<T>(zs[0].len());
    { specialise!(zs[0].len(), row_adjoints_steps_d(g, zs, out)) }
}

/// Columns of `z` that [`row_adjoints_steps_d`] holds at once, transposed.
const CHUNK: usize = 64;

#[inline(always)]
fn row_adjoints_steps_d<T: Scalar>(g: &[T], zs: [&[T]; STEPS], out: &mut [T], d: usize) {
    for start in (0..d).step_by(CHUNK) {
        let width = CHUNK.min(d - start);
        let mut zt = [[T::ZERO; STEPS]; CHUNK];
        for (c, lanes) in zt[..width].iter_mut().enumerate() {
            for (m, z) in zs.iter().enumerate() {
                lanes[m] = z[start + c];
            }
        }
        for (i, g_row) in g.chunks_exact(d).enumerate() {
            one_row_at_a_time();
            let lanes_out = &mut out[i * STEPS..(i + 1) * STEPS];
            // Two sums, even and odd columns: one chain of `d` dependent additions per row
            // kept the additions waiting on each other (latency-bound, 2x slower).
            let mut even = [T::ZERO; STEPS];
            let mut odd = [T::ZERO; STEPS];
            if start > 0 {
                even.copy_from_slice(lanes_out);
            }
            let columns = &g_row[start..start + width];
            for (pair, lanes) in columns.chunks(2).zip(zt.chunks(2)) {
                for m in 0..STEPS {
                    even[m] += pair[0] * lanes[0][m];
                }
                if let (Some(&g1), Some(l1)) = (pair.get(1), lanes.get(1)) {
                    for m in 0..STEPS {
                        odd[m] += g1 * l1[m];
                    }
                }
            }
            for m in 0..STEPS {
                lanes_out[m] = even[m] + odd[m];
            }
        }
    }
}

dispatched! {
    /// `dz[c][m] += Σ_α rows[α][m] g[α, c]` for each of the [`STEPS`] increments (`rows`
    /// as `[rows][STEPS]` and `dz` as `[d][STEPS]`, the steps last as in
    /// [`row_adjoints_steps`]): the adjoint of the increments of
    /// [`outer_add_steps`] given the adjoint `g` of its target. The steps are the lanes;
    /// each sum runs over the rows in order and is then added to `dz`.
    fn increment_adjoints_steps, increment_adjoints_steps_baseline, increment_adjoints_steps_avx2
        (rows: &[T], g: &[T], dz: &mut [T])
        wide_when = true;
        widest = super::zmm::increment_adjoints_steps, when super::zmm::pays_off::<T>(dz.len() / STEPS);
    { specialise!(dz.len() / STEPS, increment_adjoints_steps_d(rows, g, dz)) }
}

/// Columns of `g` whose sums [`increment_adjoints_steps_d`] keeps in registers at once.
const COLUMNS: usize = 8;

#[inline(always)]
fn increment_adjoints_steps_d<T: Scalar>(rows: &[T], g: &[T], dz: &mut [T], d: usize) {
    let whole = d / COLUMNS * COLUMNS;
    for start in (0..whole).step_by(COLUMNS) {
        increment_adjoints_columns(rows, g, dz, d, start, COLUMNS);
    }
    specialise!(d - whole, increment_adjoints_columns(rows, g, dz, d, whole));
}

/// Columns `start..start + width` of [`increment_adjoints_steps_d`].
#[inline(always)]
fn increment_adjoints_columns<T: Scalar>(
    rows: &[T],
    g: &[T],
    dz: &mut [T],
    d: usize,
    start: usize,
    width: usize,
) {
    if width == 0 {
        return;
    }
    let mut acc = [[T::ZERO; STEPS]; COLUMNS];
    for (rl, g_row) in rows.chunks_exact(STEPS).zip(g.chunks_exact(d)) {
        one_row_at_a_time();
        for c in 0..width {
            let gc = g_row[start + c];
            for m in 0..STEPS {
                acc[c][m] += gc * rl[m];
            }
        }
    }
    for (c, sums) in acc[..width].iter().enumerate() {
        let lanes = &mut dz[(start + c) * STEPS..(start + c + 1) * STEPS];
        for m in 0..STEPS {
            lanes[m] += sums[m];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::{outer_add, outer_backward};

    fn close(a: &[f64], b: &[f64], what: &str) {
        let scale = a.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        let err = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
        assert!(err <= 1e-13 * scale, "{what}: differ by {err}");
    }

    fn value(i: usize) -> f64 {
        ((i * 37 + 11) % 101) as f64 / 17.0 - 2.5
    }

    /// The backward kernels give what [`STEPS`] calls of [`outer_backward`] give (up to the
    /// order of the sums), on every path: rows whole in registers and in chunks of 64
    /// (d up to 70), columns in blocks of 8 with every remainder.
    #[test]
    fn the_backward_steps_match_one_step_at_a_time() {
        for d in 1..=70 {
            let rows = 6;
            let steps_rows: Vec<f64> = (0..STEPS * rows).map(|i| value(i + 7)).collect();
            let zs: Vec<Vec<f64>> =
                (0..STEPS).map(|m| (0..d).map(|c| value(c * 3 + m + 50)).collect()).collect();
            let g: Vec<f64> = (0..rows * d).map(|i| value(i + 200)).collect();
            let (mut drows, mut dzs) = (vec![0.0; STEPS * rows], vec![0.0; STEPS * d]);
            for m in 0..STEPS {
                let row = &steps_rows[m * rows..(m + 1) * rows];
                let drow = &mut drows[m * rows..(m + 1) * rows];
                outer_backward(row, &zs[m], &g, drow, &mut dzs[m * d..(m + 1) * d], 1.0);
            }
            let steps_last = |v: &[f64], n: usize| -> Vec<f64> {
                (0..STEPS * n).map(|k| v[(k % STEPS) * n + k / STEPS]).collect()
            };
            let mut row_adjoints = vec![0.0; STEPS * rows];
            row_adjoints_steps(&g, std::array::from_fn(|m| zs[m].as_slice()), &mut row_adjoints);
            close(&row_adjoints, &steps_last(&drows, rows), &format!("row adjoints, d = {d}"));
            let mut increment_adjoints = vec![0.0; STEPS * d];
            increment_adjoints_steps(&steps_last(&steps_rows, rows), &g, &mut increment_adjoints);
            let expected = steps_last(&dzs, d);
            close(&increment_adjoints, &expected, &format!("increment adjoints, d = {d}"));
        }
    }

    /// Each AVX2 variant gives the baseline's numbers (the same operations in the same
    /// order), where this CPU can run it.
    #[test]
    #[cfg(target_arch = "x86_64")]
    #[allow(unsafe_code)]
    fn the_avx2_steps_match_the_baseline() {
        if !wide() {
            eprintln!("skipping: this CPU has no AVX2 + FMA, or DEEPSIG_SIMD=baseline");
            return;
        }
        for d in (1..=20).chain([31, 40, 70]) {
            let rows = 7;
            let steps_rows: Vec<f64> = (0..STEPS * rows).map(|i| value(i + 3)).collect();
            let zs: Vec<Vec<f64>> =
                (0..STEPS).map(|m| (0..d).map(|c| value(c * 5 + m + 9)).collect()).collect();
            let zs: [&[f64]; STEPS] = std::array::from_fn(|m| zs[m].as_slice());
            let g: Vec<f64> = (0..rows * d).map(|i| value(i + 100)).collect();
            // SAFETY (all three): `wide()` has checked that this CPU has AVX2 and FMA.
            let (mut x, mut y) = (g.clone(), g.clone());
            outer_add_steps_baseline(&steps_rows, zs, &mut x);
            unsafe { outer_add_steps_avx2(&steps_rows, zs, &mut y) };
            assert_eq!(x, y, "outer_add_steps, d = {d}");
            let (mut x, mut y) = (vec![0.0; STEPS * rows], vec![0.0; STEPS * rows]);
            row_adjoints_steps_baseline(&g, zs, &mut x);
            unsafe { row_adjoints_steps_avx2(&g, zs, &mut y) };
            assert_eq!(x, y, "row_adjoints_steps, d = {d}");
            let (mut x, mut y) = (vec![0.5; STEPS * d], vec![0.5; STEPS * d]);
            increment_adjoints_steps_baseline(&steps_rows, &g, &mut x);
            unsafe { increment_adjoints_steps_avx2(&steps_rows, &g, &mut y) };
            assert_eq!(x, y, "increment_adjoints_steps, d = {d}");
            let single: Vec<f32> = steps_rows.iter().map(|&v| v as f32).collect();
            let zs32: Vec<Vec<f32>> =
                zs.iter().map(|z| z.iter().map(|&v| v as f32).collect()).collect();
            let zs32: [&[f32]; STEPS] = std::array::from_fn(|m| zs32[m].as_slice());
            let (mut x, mut y): (Vec<f32>, Vec<f32>) =
                (g.iter().map(|&v| v as f32).collect(), g.iter().map(|&v| v as f32).collect());
            outer_add_steps_baseline(&single, zs32, &mut x);
            unsafe { outer_add_steps_avx2(&single, zs32, &mut y) };
            assert_eq!(x, y, "outer_add_steps in f32, d = {d}");
        }
    }

    /// The 512-bit row adjoints (f64) give the baseline's numbers exactly, where this CPU
    /// can run them: every chunk remainder, odd and even column counts.
    #[test]
    #[cfg(target_arch = "x86_64")]
    #[allow(unsafe_code)]
    fn the_512_bit_row_adjoints_match_the_baseline() {
        if !std::is_x86_feature_detected!("avx512f") {
            eprintln!("skipping: this CPU has no AVX-512F");
            return;
        }
        for d in (1..=20).chain([31, 63, 64, 65, 70, 129, 130]) {
            for rows in [1, 3, 4, 9] {
                let zs: Vec<Vec<f64>> =
                    (0..STEPS).map(|m| (0..d).map(|c| value(c * 5 + m + 9)).collect()).collect();
                let zs: [&[f64]; STEPS] = std::array::from_fn(|m| zs[m].as_slice());
                let g: Vec<f64> = (0..rows * d).map(|i| value(i + 100)).collect();
                let (mut x, mut y) = (vec![0.0; STEPS * rows], vec![0.0; STEPS * rows]);
                row_adjoints_steps_baseline(&g, zs, &mut x);
                // SAFETY: AVX-512F was detected above, and the numbers are f64.
                unsafe { super::super::zmm::row_adjoints_steps(&g, zs, &mut y) };
                assert_eq!(x, y, "d = {d}, {rows} rows");
            }
        }
    }

    /// [`outer_add_steps`] gives the numbers of [`STEPS`] calls of [`outer_add`] exactly, on
    /// the whole-row path (d ≤ 16), the column blocks (every remainder of 8 up to 40) and,
    /// in f32, the rows in overlapping registers (9 ≤ d ≤ 15, and the last blocks above 16).
    #[test]
    fn steps_at_once_give_one_step_at_a_time_s_numbers() {
        fn check<T: Scalar + PartialEq>(d: usize, of: impl Fn(usize) -> T) {
            let rows = 5;
            let steps_rows: Vec<T> = (0..STEPS * rows).map(&of).collect();
            let zs: Vec<Vec<T>> =
                (0..STEPS).map(|m| (0..d).map(|c| of(c * 3 + m + 50)).collect()).collect();
            let a: Vec<T> = (0..rows * d).map(|i| of(i + 200)).collect();
            let mut one_by_one = a.clone();
            for (m, z) in zs.iter().enumerate() {
                outer_add(&steps_rows[m * rows..(m + 1) * rows], z, &mut one_by_one);
            }
            let mut at_once = a.clone();
            outer_add_steps(&steps_rows, std::array::from_fn(|m| zs[m].as_slice()), &mut at_once);
            assert!(at_once == one_by_one, "d = {d}, {}", std::any::type_name::<T>());
        }
        for d in 1..=40 {
            check::<f64>(d, value);
            check::<f32>(d, |i| value(i) as f32);
        }
    }
}
