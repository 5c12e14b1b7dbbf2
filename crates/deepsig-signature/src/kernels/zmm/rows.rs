//! The kernels over rows in whole 512-bit registers: the forward's three, their one-pass
//! pair, and the backward's increment adjoints.

use crate::Scalar;
use crate::kernels::STEPS;
use crate::kernels::steps::step_rows;

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
pub(crate) unsafe fn outer_add_steps<T: Scalar>(rows: &[T], zs: [&[T]; STEPS], target: &mut [T]) {
    let d = zs[0].len();
    let r = step_rows(rows);
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

/// [`crate::kernels::outer_add_steps`] for rows shorter than a register (`d < LANES`): each
/// row's register runs on into the rows after it, and the lanes past the row are put back
/// as they were loaded (`first_of`, a blend: the same bits), so its store leaves them as
/// they were. The rows go in `⌈LANES / d⌉` interleaved passes (rows `p`, `p + passes`, ...),
/// so that no row's load overlaps the store of the row just before it, which the CPU could
/// not forward; the last rows, whose register would run past the target, go masked.
///
/// # Safety
/// The CPU has AVX-512F.
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn outer_add_steps_short<T: Scalar>(
    rows: &[T],
    zs: [&[T]; STEPS],
    target: &mut [T],
) {
    let d = zs[0].len();
    let lanes = T::LANES;
    debug_assert!(d < lanes);
    let n = rows.len() / STEPS;
    let r = step_rows(rows);
    // SAFETY (every block below): AVX-512F (this function's contract), and every pointer is
    // to numbers of the slices' own, bounds-checked (`d` of them where masked).
    let mut z = [unsafe { T::splat(T::ZERO) }; STEPS];
    for (m, register) in z.iter_mut().enumerate() {
        *register = unsafe { T::load_first(zs[m][..d].as_ptr(), d) };
    }
    let len = n * d;
    // Rows `0..whole` have a whole register inside the target.
    let whole = if len >= lanes { ((len - lanes) / d + 1).min(n) } else { 0 };
    let passes = lanes.div_ceil(d);
    for pass in 0..passes {
        let mut i = pass;
        while i < whole {
            let p = target[i * d..i * d + lanes].as_mut_ptr();
            let before = unsafe { T::load(p) };
            let mut acc = before;
            for m in 0..STEPS {
                acc = unsafe { T::mul_add(T::splat(r[m][i]), z[m], acc) };
            }
            unsafe { T::store(p, T::first_of(d, acc, before)) };
            i += passes;
        }
    }
    for i in whole..n {
        let row = &mut target[i * d..(i + 1) * d];
        let mut acc = unsafe { T::load_first(row.as_ptr(), d) };
        for m in 0..STEPS {
            acc = unsafe { T::mul_add(T::splat(r[m][i]), z[m], acc) };
        }
        unsafe { T::store_first(row.as_mut_ptr(), acc, d) };
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

#[cfg(test)]
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

    /// Rows shorter than a register, running on into the next ones, give the scalar
    /// loop's numbers exactly and leave the numbers past the rows as they were, for every
    /// row count from fewer than the passes to many (the masked last rows included).
    fn short_rows_match_the_scalar_loop<T: Scalar + PartialEq>(of: impl Fn(usize) -> T) {
        for d in 2..T::LANES {
            for rows in [1, 2, 3, 5, 17, 40] {
                let steps_rows: Vec<T> = (0..STEPS * rows).map(|i| of(i + 7)).collect();
                let zs: Vec<Vec<T>> =
                    (0..STEPS).map(|m| (0..d).map(|c| of(c * 3 + m + 50)).collect()).collect();
                let z: [&[T]; STEPS] = std::array::from_fn(|m| zs[m].as_slice());
                // Numbers after the target's end, which no register may touch.
                let mut buffer: Vec<T> = (0..rows * d + 20).map(|i| of(i + 200)).collect();
                let mut plain = buffer.clone();
                // SAFETY: the caller has checked for AVX-512F.
                unsafe { outer_add_steps_short(&steps_rows, z, &mut buffer[..rows * d]) };
                for (m, z) in zs.iter().enumerate() {
                    for (i, t) in plain[..rows * d].iter_mut().enumerate() {
                        *t += steps_rows[m * rows + i / d] * z[i % d];
                    }
                }
                let name = std::any::type_name::<T>();
                assert!(buffer == plain, "short rows, {name}, d = {d}, {rows} rows");
            }
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
        short_rows_match_the_scalar_loop::<f64>(value);
        short_rows_match_the_scalar_loop::<f32>(|i| value(i) as f32);
    }
}
