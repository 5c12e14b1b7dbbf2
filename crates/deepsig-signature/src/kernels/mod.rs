//! The three inner loops of the signature kernels, specialised for small channel counts.
//!
//! Each loop runs over rows of `d` numbers, and `d` is usually small (3 to 32), so a loop of
//! unknown length spends much of its time on bookkeeping. Each kernel is written once with
//! `d` as an argument and `#[inline(always)]`; `specialise!` calls it with a literal `d` for
//! `d = 1..=16`, so the compiler emits a fully unrolled, vectorised body for each, and a
//! generic body for larger `d`.
//!
//! Each kernel is compiled twice, for baseline x86-64 and for AVX2 + FMA, and the wide one
//! runs where the CPU has it (detected once; `DEEPSIG_SIMD=baseline` turns it off): one
//! portable binary and wheel, the wide registers where they exist (BENCHMARKS.md, "CPU
//! features"). Other architectures get the baseline.

use crate::Scalar;

mod zmm;

pub(crate) use zmm::Zmm;

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

/// Whether the AVX2 + FMA kernels run: detected once; `DEEPSIG_SIMD=baseline` turns them off.
pub(crate) fn wide() -> bool {
    static WIDE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *WIDE.get_or_init(|| {
        let allowed = std::env::var("DEEPSIG_SIMD").map_or(true, |v| v != "baseline");
        #[cfg(target_arch = "x86_64")]
        let present = std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
        #[cfg(not(target_arch = "x86_64"))]
        let present = false;
        allowed && present
    })
}

/// Whether the AVX-512 kernels ([`zmm`]) run: the CPU has AVX-512F (detected once), and
/// `DEEPSIG_SIMD` is neither `baseline` nor `avx2`.
pub(crate) fn widest() -> bool {
    static WIDEST: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *WIDEST.get_or_init(|| {
        let allowed = std::env::var("DEEPSIG_SIMD").map_or(true, |v| v != "avx2");
        #[cfg(target_arch = "x86_64")]
        let present = std::is_x86_feature_detected!("avx512f");
        #[cfg(not(target_arch = "x86_64"))]
        let present = false;
        wide() && allowed && present
    })
}

/// Whether the AVX2 kernels beat the baseline at `d` channels. Measured (BENCHMARKS.md, "CPU
/// features": forward, depth 3 and 4): faster for d = 3, 4, 5, 9 and above (1.2-1.5x), slower
/// for d = 6, 7, 8 (0.85-0.94x), where rows of 6-8 lanes split badly over 4-wide registers;
/// at 6 and 7 the [`tiled`] rows fill the registers again.
fn wide_pays_off(d: usize) -> bool {
    d != 8
}

/// Defines `$name`, which runs `$avx512` where [`widest`] says so (when given), `$body`
/// compiled for AVX2 + FMA where [`wide`] says so, and the baseline build of `$body`
/// otherwise; and `$name_baseline` / `$name_avx2` for the tests.
macro_rules! dispatched {
    ($(#[$doc:meta])* fn $name:ident, $base:ident, $avx2:ident ($($arg:ident: $ty:ty),*)
        wide_when = $wide:expr; $(widest = $avx512:path, when $widest:expr;)? $body:block) => {
        $(#[$doc])*
        pub(crate) fn $name<T: Scalar>($($arg: $ty),*) {
            dispatched!(@widest $($avx512, $widest)?; $($arg),*);
            #[cfg(target_arch = "x86_64")]
            if wide() && $wide {
                // SAFETY: `wide()` has checked that this CPU supports AVX2 and FMA.
                #[allow(unsafe_code)]
                unsafe {
                    return $avx2($($arg),*);
                }
            }
            $base($($arg),*)
        }

        fn $base<T: Scalar>($($arg: $ty),*) $body

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        fn $avx2<T: Scalar>($($arg: $ty),*) $body
    };
    (@widest; $($arg:ident),*) => {};
    (@widest $avx512:path, $when:expr; $($arg:ident),*) => {
        #[cfg(target_arch = "x86_64")]
        if widest() && $when {
            // SAFETY: `widest()` has checked that this CPU supports AVX-512F.
            #[allow(unsafe_code)]
            unsafe {
                return $avx512($($arg),*);
            }
        }
    };
}

dispatched! {
    /// `out[α, c] = row[α] * zs[c] + a[α, c]`: one Horner step.
    fn horner_step, horner_step_baseline, horner_step_avx2
        (row: &[T], zs: &[T], a: &[T], out: &mut [T])
        wide_when = wide_pays_off(zs.len());
        widest = zmm::horner_step, when zmm::pays_off::<T>(zs.len());
    { specialise!(zs.len(), horner_step_d(row, zs, a, out)) }
}

#[inline(always)]
fn horner_step_d<T: Scalar>(row: &[T], zs: &[T], a: &[T], out: &mut [T], d: usize) {
    if overlapped(d, std::mem::size_of::<T>()) {
        return horner_step_overlapped(row, zs, a, out, d);
    }
    let zs = &zs[..d];
    let rows = if tiled(d) { horner_step_tiles(row, zs, a, out, d) } else { 0 };
    let (row, out, a) = (&row[rows..], &mut out[rows * d..], &a[rows * d..]);
    for ((&r, out_row), a_row) in row.iter().zip(out.chunks_exact_mut(d)).zip(a.chunks_exact(d)) {
        for ((o, &a), &z) in out_row.iter_mut().zip(a_row).zip(zs) {
            *o = r * z + a;
        }
    }
}

/// Bytes in one AVX2 register.
const REGISTER_BYTES: usize = 32;

/// Whether rows of `d` numbers of `bytes` each go in two overlapping registers: f32 rows of
/// 9 to 15, which otherwise take an 8-wide, a 4-wide and a scalar operation. The second
/// register starts at `d − 8`; each element's result depends on its own inputs only, so the
/// lanes both registers hold get the same value from both (docs/signatures.md, eq. S3).
#[inline(always)]
fn overlapped(d: usize, bytes: usize) -> bool {
    REGISTER_BYTES / bytes == 8 && (9..16).contains(&d)
}

/// Where the second of two overlapping registers starts, hidden from the compiler: knowing
/// it, the compiler saw that the second register overwrites part of the first, cut the
/// first one's store and sums down to the lanes left, and was back at 8 + 4 + 1.
#[inline(always)]
fn second_register(d: usize, lanes: usize) -> usize {
    std::hint::black_box(d - lanes)
}

/// `LANES` numbers of `v` from `start`, as an array.
#[inline(always)]
fn lanes_at<T: Scalar, const LANES: usize>(v: &[T], start: usize) -> [T; LANES] {
    let mut out = [T::ZERO; LANES];
    out.copy_from_slice(&v[start..start + LANES]);
    out
}

/// [`horner_step_d`] on rows in two overlapping 8-wide registers ([`overlapped`]).
#[inline(always)]
fn horner_step_overlapped<T: Scalar>(row: &[T], zs: &[T], a: &[T], out: &mut [T], d: usize) {
    let last = second_register(d, 8);
    let z: [[T; 8]; 2] = [lanes_at(zs, 0), lanes_at(zs, last)];
    for ((&r, out_row), a_row) in row.iter().zip(out.chunks_exact_mut(d)).zip(a.chunks_exact(d)) {
        for (v, start) in [0, last].into_iter().enumerate() {
            let a: [T; 8] = lanes_at(a_row, start);
            let mut o = [T::ZERO; 8];
            for l in 0..8 {
                o[l] = r * z[v][l] + a[l];
            }
            out_row[start..start + 8].copy_from_slice(&o);
        }
    }
}

/// [`outer_add_d`] on rows in two overlapping 8-wide registers ([`overlapped`]): both are
/// loaded before either is stored, so the shared lanes are added to once.
#[inline(always)]
fn outer_add_overlapped<T: Scalar>(row: &[T], z: &[T], target: &mut [T], d: usize) {
    let last = second_register(d, 8);
    let z: [[T; 8]; 2] = [lanes_at(z, 0), lanes_at(z, last)];
    for (&r, t_row) in row.iter().zip(target.chunks_exact_mut(d)) {
        let mut t: [[T; 8]; 2] = [lanes_at(t_row, 0), lanes_at(t_row, last)];
        for v in 0..2 {
            for l in 0..8 {
                t[v][l] += r * z[v][l];
            }
        }
        t_row[..8].copy_from_slice(&t[0]);
        t_row[last..last + 8].copy_from_slice(&t[1]);
    }
}

/// Rows per tile: a tile of `TILE · d` numbers fills whole vector registers for any `d`.
const TILE: usize = 4;

/// Whether rows of `d` numbers are handled [`TILE`] at a time: a row of 6 or 7 lanes leaves
/// part of a 4-wide register empty, a tile of 4 rows does not. Measured on the forward
/// (BENCHMARKS.md, "CPU features"): 1.6-2x faster at d = 6 and 7, slower at d = 13, level at 5.
#[inline(always)]
fn tiled(d: usize) -> bool {
    matches!(d, 6 | 7)
}

/// `z` repeated [`TILE`] times, and the rows of a tile spread the same way (`r[e / d]`), so
/// one elementwise loop over `TILE · d` numbers does the tile's work.
#[inline(always)]
fn spread<T: Scalar>(values: &[T], d: usize, repeat: bool) -> [T; TILE * 8] {
    let mut out = [T::ZERO; TILE * 8];
    for (e, o) in out[..TILE * d].iter_mut().enumerate() {
        *o = if repeat { values[e % d] } else { values[e / d] };
    }
    out
}

/// [`horner_step_d`] on whole tiles of rows; returns the rows done.
#[inline(always)]
fn horner_step_tiles<T: Scalar>(row: &[T], zs: &[T], a: &[T], out: &mut [T], d: usize) -> usize {
    let w = TILE * d;
    let zt = spread(zs, d, true);
    let tiles = row.chunks_exact(TILE).zip(out.chunks_exact_mut(w)).zip(a.chunks_exact(w));
    for ((r, o), a) in tiles {
        let rt = spread(r, d, false);
        for e in 0..w {
            o[e] = rt[e] * zt[e] + a[e];
        }
    }
    row.len() / TILE * TILE
}

/// [`outer_add_d`] on whole tiles of rows; returns the rows done.
#[inline(always)]
fn outer_add_tiles<T: Scalar>(row: &[T], z: &[T], target: &mut [T], d: usize) -> usize {
    let w = TILE * d;
    let zt = spread(z, d, true);
    for (r, t) in row.chunks_exact(TILE).zip(target.chunks_exact_mut(w)) {
        let rt = spread(r, d, false);
        for e in 0..w {
            t[e] += rt[e] * zt[e];
        }
    }
    row.len() / TILE * TILE
}

/// `out[α, c] = h[α] · zh[c] + a[α, c]` ([`horner_step`]) and then `a[α, c] += u[α] ·
/// zu[c]` ([`outer_add`]): the last Horner step of one level's row and the rank-one update
/// of the level below, which read the same numbers. In one pass over `a` where the 512-bit
/// kernels run ([`horner_and_outer_add_pays_off`]), as the two kernels otherwise.
pub(crate) fn horner_and_outer_add<T: Scalar>(
    (h, zh): (&[T], &[T]),
    (u, zu): (&[T], &[T]),
    a: &mut [T],
    out: &mut [T],
) {
    #[cfg(target_arch = "x86_64")]
    if horner_and_outer_add_pays_off::<T>(zh.len()) {
        // SAFETY: `widest()` has checked that this CPU supports AVX-512F.
        #[allow(unsafe_code)]
        unsafe {
            return zmm::horner_and_outer_add((h, zh), (u, zu), a, out);
        }
    }
    horner_step(h, zh, a, out);
    outer_add(u, zu, a);
}

/// Whether [`horner_and_outer_add`] takes one pass, for rows of `d`.
pub(crate) fn horner_and_outer_add_pays_off<T: Scalar>(d: usize) -> bool {
    widest() && zmm::pays_off::<T>(d)
}

dispatched! {
    /// `target[α, c] += row[α] * z[c]`: a rank-one update.
    fn outer_add, outer_add_baseline, outer_add_avx2 (row: &[T], z: &[T], target: &mut [T])
        wide_when = wide_pays_off(z.len());
        widest = zmm::outer_add, when zmm::pays_off::<T>(z.len());
    { specialise!(z.len(), outer_add_d(row, z, target)) }
}

#[inline(always)]
fn outer_add_d<T: Scalar>(row: &[T], z: &[T], target: &mut [T], d: usize) {
    if overlapped(d, std::mem::size_of::<T>()) {
        return outer_add_overlapped(row, z, target, d);
    }
    let z = &z[..d];
    let rows = if tiled(d) { outer_add_tiles(row, z, target, d) } else { 0 };
    let (row, target) = (&row[rows..], &mut target[rows * d..]);
    for (&r, t_row) in row.iter().zip(target.chunks_exact_mut(d)) {
        for (t, &zc) in t_row.iter_mut().zip(z) {
            *t += r * zc;
        }
    }
}

dispatched! {
    /// Reverse mode of `out[α, c] (+)= row[α] * zs[c]` with `zs = z * scale`, given
    /// `g = d out`: `drow[α] = Σ_c g[α, c] zs[c]` (overwritten) and
    /// `dz[c] += scale Σ_α row[α] g[α, c]`.
    fn outer_backward, outer_backward_baseline, outer_backward_avx2
        (row: &[T], zs: &[T], g: &[T], drow: &mut [T], dz: &mut [T], scale: T)
        wide_when = wide_pays_off(zs.len());
    { specialise!(zs.len(), outer_backward_d(row, zs, g, drow, dz, scale)) }
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

// After the macros, which it uses.
mod steps;

pub(crate) use steps::{STEPS, increment_adjoints_steps, outer_add_steps, row_adjoints_steps};

#[cfg(test)]
mod tile_tests {
    use super::*;

    fn value(i: usize) -> f64 {
        ((i * 37 + 11) % 101) as f64 / 17.0 - 2.5
    }

    /// [`horner_step`] and [`outer_add`] on `rows` rows of `d` give the plain row loop's
    /// numbers exactly.
    fn matches_the_row_loop<T: Scalar + PartialEq>(d: usize, rows: usize, of: impl Fn(usize) -> T) {
        let row: Vec<T> = (0..rows).map(&of).collect();
        let zs: Vec<T> = (0..d).map(|c| of(c + 50)).collect();
        let a: Vec<T> = (0..rows * d).map(|i| of(i + 200)).collect();
        let plain: Vec<T> = (0..rows * d).map(|i| row[i / d] * zs[i % d] + a[i]).collect();
        let mut out = vec![T::ZERO; rows * d];
        horner_step(&row, &zs, &a, &mut out);
        assert!(out == plain, "horner step, d = {d}, {rows} rows");
        let mut target = a.clone();
        outer_add(&row, &zs, &mut target);
        let added: Vec<T> = (0..rows * d).map(|i| a[i] + row[i / d] * zs[i % d]).collect();
        assert!(target == added, "outer add, d = {d}, {rows} rows");
    }

    /// The tiled loops (d = 6, 7) give the plain row loop's numbers exactly (the same
    /// operations in the same order per element), for row counts that leave every remainder.
    #[test]
    fn tiles_give_the_row_loop_s_numbers() {
        for d in 1..=9 {
            for rows in 1..=9 {
                matches_the_row_loop::<f64>(d, rows, value);
            }
        }
    }

    /// The f32 rows in two overlapping registers (d = 9..15) give the plain row loop's
    /// numbers exactly, and so do the rows around them.
    #[test]
    fn overlapping_registers_give_the_row_loop_s_numbers() {
        for d in 1..=18 {
            for rows in [1, 2, 5] {
                matches_the_row_loop::<f32>(d, rows, |i| value(i) as f32);
            }
        }
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64], what: &str) {
        let scale = a.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        let err = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
        assert!(err <= 1e-14 * scale, "{what}: baseline and AVX2 differ by {err}");
    }

    /// Each variant this machine can run gives the baseline's numbers, for every
    /// specialised `d` and the generic one.
    #[test]
    #[allow(unsafe_code)]
    fn the_avx2_kernels_match_the_baseline_for_every_channel_count() {
        if !(std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")) {
            eprintln!("skipping: this CPU has no AVX2 + FMA");
            return;
        }
        let mut state = 3u64;
        let mut vec = |n: usize| -> Vec<f64> {
            (0..n)
                .map(|_| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                    (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
                })
                .collect()
        };
        for d in (1..=18).chain([31, 40]) {
            let rows = 23;
            let (row, z, a) = (vec(rows), vec(d), vec(rows * d));
            let (mut x, mut y) = (vec![0.0; rows * d], vec![0.0; rows * d]);
            horner_step_baseline(&row, &z, &a, &mut x);
            // SAFETY (all three): AVX2 and FMA were detected above.
            unsafe { horner_step_avx2(&row, &z, &a, &mut y) };
            close(&x, &y, &format!("horner_step d={d}"));
            let (mut x, mut y) = (a.clone(), a.clone());
            outer_add_baseline(&row, &z, &mut x);
            unsafe { outer_add_avx2(&row, &z, &mut y) };
            close(&x, &y, &format!("outer_add d={d}"));
            let (mut dr1, mut dr2) = (vec![0.0; rows], vec![0.0; rows]);
            let (mut dz1, mut dz2) = (vec![0.5; d], vec![0.5; d]);
            outer_backward_baseline(&row, &z, &a, &mut dr1, &mut dz1, 0.75);
            unsafe { outer_backward_avx2(&row, &z, &a, &mut dr2, &mut dz2, 0.75) };
            close(&dr1, &dr2, &format!("outer_backward drow d={d}"));
            close(&dz1, &dz2, &format!("outer_backward dz d={d}"));
        }
    }
}
