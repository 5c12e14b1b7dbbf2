//! The three inner loops of the signature kernels, specialised for small channel counts.
//!
//! Each loop runs over rows of `d` numbers, and `d` is usually small (3 to 32), so a loop of
//! unknown length spends much of its time on bookkeeping. Each kernel is written once with
//! `d` as an argument and `#[inline(always)]`; `specialise!` calls it with a literal `d` for
//! `d = 1..=16`, so the compiler emits a fully unrolled, vectorised body for each, and a
//! generic body for larger `d`.

use crate::Scalar;

macro_rules! specialise {
    ($d:expr, $kernel:ident($($arg:expr),*)) => {
        match $d {
            1 => $kernel($($arg,)* 1),
            2 => $kernel($($arg,)* 2),
            3 => $kernel($($arg,)* 3),
            4 => $kernel($($arg,)* 4),
            5 => $kernel($($arg,)* 5),
            6 => $kernel($($arg,)* 6),
            7 => $kernel($($arg,)* 7),
            8 => $kernel($($arg,)* 8),
            9 => $kernel($($arg,)* 9),
            10 => $kernel($($arg,)* 10),
            11 => $kernel($($arg,)* 11),
            12 => $kernel($($arg,)* 12),
            13 => $kernel($($arg,)* 13),
            14 => $kernel($($arg,)* 14),
            15 => $kernel($($arg,)* 15),
            16 => $kernel($($arg,)* 16),
            d => $kernel($($arg,)* d),
        }
    };
}

/// `out[α, c] = row[α] * zs[c] + a[α, c]`: one Horner step.
pub(crate) fn horner_step<T: Scalar>(row: &[T], zs: &[T], a: &[T], out: &mut [T]) {
    specialise!(zs.len(), horner_step_d(row, zs, a, out))
}

#[inline(always)]
fn horner_step_d<T: Scalar>(row: &[T], zs: &[T], a: &[T], out: &mut [T], d: usize) {
    let zs = &zs[..d];
    for ((&r, out_row), a_row) in row.iter().zip(out.chunks_exact_mut(d)).zip(a.chunks_exact(d)) {
        for ((o, &a), &z) in out_row.iter_mut().zip(a_row).zip(zs) {
            *o = r * z + a;
        }
    }
}

/// `target[α, c] += row[α] * z[c]`: a rank-one update.
pub(crate) fn outer_add<T: Scalar>(row: &[T], z: &[T], target: &mut [T]) {
    specialise!(z.len(), outer_add_d(row, z, target))
}

#[inline(always)]
fn outer_add_d<T: Scalar>(row: &[T], z: &[T], target: &mut [T], d: usize) {
    let z = &z[..d];
    for (&r, t_row) in row.iter().zip(target.chunks_exact_mut(d)) {
        for (t, &zc) in t_row.iter_mut().zip(z) {
            *t += r * zc;
        }
    }
}

/// Reverse mode of `out[α, c] (+)= row[α] * zs[c]` with `zs = z * scale`, given `g = d out`:
/// `drow[α] = Σ_c g[α, c] zs[c]` (overwritten) and `dz[c] += scale Σ_α row[α] g[α, c]`.
pub(crate) fn outer_backward<T: Scalar>(
    row: &[T],
    zs: &[T],
    g: &[T],
    drow: &mut [T],
    dz: &mut [T],
    scale: T,
) {
    specialise!(zs.len(), outer_backward_d(row, zs, g, drow, dz, scale))
}

#[inline(always)]
fn outer_backward_d<T: Scalar>(
    row: &[T],
    zs: &[T],
    g: &[T],
    drow: &mut [T],
    dz: &mut [T],
    scale: T,
    d: usize,
) {
    let (zs, dz) = (&zs[..d], &mut dz[..d]);
    for ((&r, g_row), dr) in row.iter().zip(g.chunks_exact(d)).zip(drow.iter_mut()) {
        let rs = r * scale;
        for (&gc, dzc) in g_row.iter().zip(dz.iter_mut()) {
            *dzc += rs * gc;
        }
        *dr = dot(g_row, zs);
    }
}

/// `Σ a_i b_i` with eight independent partial sums: floating-point addition is not
/// associative, so a single accumulator forces a serial chain the compiler may not reorder.
#[inline(always)]
fn dot<T: Scalar>(a: &[T], b: &[T]) -> T {
    const LANES: usize = 8;
    let mut lanes = [T::ZERO; LANES];
    let (chunks_a, chunks_b) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let mut tail = T::ZERO;
    for (&x, &y) in chunks_a.remainder().iter().zip(chunks_b.remainder()) {
        tail += x * y;
    }
    for (x, y) in chunks_a.zip(chunks_b) {
        for i in 0..LANES {
            lanes[i] += x[i] * y[i];
        }
    }
    let half = [lanes[0] + lanes[4], lanes[1] + lanes[5], lanes[2] + lanes[6], lanes[3] + lanes[7]];
    (half[0] + half[2]) + (half[1] + half[3]) + tail
}
