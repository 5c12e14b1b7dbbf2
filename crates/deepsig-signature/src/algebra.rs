//! The truncated tensor algebra $T^{(N)}(\mathbb R^d)$ and its fused kernels.
//!
//! An element is stored without its level-0 term (always 1 for a signature, 0 for a
//! logarithm): levels $1..N$ concatenated, level $k$ holding $d^k$ numbers in row-major order
//! of the multi-index $(i_1, \dots, i_k)$. Products are truncated at level $N$:
//! $(a \otimes b)_k = \sum_{i+j=k} a_i \otimes b_j$.

use crate::Scalar;
use crate::kernels::{
    horner_and_outer_add, horner_and_outer_add_pays_off, horner_step, outer_add, outer_add_steps,
    outer_backward,
};

/// Offsets and sizes of the levels of a truncated tensor of `d` channels up to `depth`.
#[derive(Debug, Clone)]
pub(crate) struct Levels {
    pub(crate) d: usize,
    pub(crate) depth: usize,
    /// `offsets[k]` is where level `k` starts; `offsets[depth + 1]` is the total length.
    /// `offsets[0]` is unused (level 0 is implicit).
    offsets: Vec<usize>,
}

impl Levels {
    /// The caller has checked with `signature_channels` that the sizes fit.
    pub(crate) fn new(d: usize, depth: usize) -> Levels {
        let mut offsets = vec![0; depth + 2];
        let mut size = 1;
        for k in 1..=depth {
            offsets[k + 1] = offsets[k] + size * d;
            size *= d;
        }
        Levels { d, depth, offsets }
    }

    pub(crate) fn len(&self) -> usize {
        self.offsets[self.depth + 1]
    }

    /// Length of levels `1..=k` (a prefix of the storage).
    pub(crate) fn len_to(&self, k: usize) -> usize {
        self.offsets[k + 1]
    }

    pub(crate) fn range(&self, k: usize) -> std::ops::Range<usize> {
        self.offsets[k]..self.offsets[k + 1]
    }

    /// $d^k$.
    pub(crate) fn size(&self, k: usize) -> usize {
        self.offsets[k + 1] - self.offsets[k]
    }
}

/// An increment $z$ with its scaled copies $z/m$, $m = 1..N$, which the Horner scheme uses.
pub(crate) struct ScaledIncrement<T> {
    d: usize,
    /// `scaled[(m - 1) * d..m * d]` is `z / m`.
    scaled: Vec<T>,
    /// `1 / m` for `m = 2..=depth`, computed once: a division per level and step showed in
    /// the backward's profile.
    inverses: Vec<T>,
}

impl<T: Scalar> ScaledIncrement<T> {
    pub(crate) fn new(d: usize, depth: usize) -> Self {
        let inverses = (2..=depth).map(|m| T::ONE / T::from_f64(m as f64)).collect();
        ScaledIncrement { d, scaled: vec![T::ZERO; d * depth], inverses }
    }

    /// Sets `z = sign * (b - a)`.
    pub(crate) fn set_difference(&mut self, a: &[T], b: &[T], negate: bool) {
        let (z, rest) = self.scaled.split_at_mut(self.d);
        if negate {
            for ((z, &a), &b) in z.iter_mut().zip(a).zip(b) {
                *z = a - b;
            }
        } else {
            for ((z, &a), &b) in z.iter_mut().zip(a).zip(b) {
                *z = b - a;
            }
        }
        for (chunk, &inv) in rest.chunks_exact_mut(self.d).zip(&self.inverses) {
            for (s, &z) in chunk.iter_mut().zip(&*z) {
                *s = z * inv;
            }
        }
    }

    /// `z / m`.
    pub(crate) fn over(&self, m: usize) -> &[T] {
        &self.scaled[(m - 1) * self.d..m * self.d]
    }

    pub(crate) fn z(&self) -> &[T] {
        self.over(1)
    }
}

/// Scratch (in elements) that [`mul_exp_in_place`] and [`mul_exp_backward`] need.
pub(crate) fn mul_exp_scratch(levels: &Levels) -> usize {
    // Two ping-pong rows of size d^{N-1} forward; the backward keeps every Horner row
    // (levels 1..N-1) plus two adjoint rows.
    let top = if levels.depth >= 2 { levels.size(levels.depth - 1) } else { 0 };
    levels.len_to(levels.depth.saturating_sub(1)) + 2 * top + 2 * levels.d
}

/// `a <- a ⊗ exp(z)` on levels `1..=depth` of `a`, in place.
///
/// Horner form, level $k$ from the top down (lower levels are still the old $a$):
/// $(a \otimes e^z)_k = \big(\cdots((z/k + a_1) \otimes z/(k-1) + a_2) \cdots\big) \otimes z + a_k$,
/// which costs about $d^k$ multiply-adds for level $k$, so about one per output element
/// (docs/signatures.md, eq. S2).
pub(crate) fn mul_exp_in_place<T: Scalar>(
    a: &mut [T],
    z: &ScaledIncrement<T>,
    levels: &Levels,
    depth: usize,
    scratch: &mut [T],
) {
    if depth == 0 {
        return;
    }
    let d = levels.d;
    let row = if depth >= 2 { levels.size(depth - 1) } else { 0 };
    let (cur, rest) = scratch.split_at_mut(row.max(d));
    let next = &mut rest[..row.max(d)];
    for k in (2..=depth).rev() {
        let (lower, upper) = a.split_at_mut(levels.range(k).start);
        let len = levels.size(k - 1);
        horner_row(lower, z, levels, k, &mut cur[..len], &mut next[..len]);
        outer_add(&cur[..len], z.z(), &mut upper[..levels.size(k)]);
    }
    add_increment(a, z);
}

#[inline(always)]
fn add_increment<T: Scalar>(a: &mut [T], z: &ScaledIncrement<T>) {
    for (a1, &zc) in a.iter_mut().zip(z.z()) {
        *a1 += zc;
    }
}

/// Writes into `out` the Horner row of level `k` (`k ≥ 2`), the `d^{k-1}` numbers
/// $(\cdots((z/k + a_1) \otimes z/(k-1) + a_2) \cdots) \otimes z/2 + a_{k-1}$ whose outer
/// product with `z` is what level `k` of $a \otimes e^z$ adds to $a_k$. `lower` holds levels
/// `1..k-1` of `a`; `spare` is as long as `out`.
#[inline(always)]
fn horner_row<T: Scalar>(
    lower: &[T],
    z: &ScaledIncrement<T>,
    levels: &Levels,
    k: usize,
    out: &mut [T],
    spare: &mut [T],
) {
    horner_steps(lower, z, levels, (k, k - 2), out, spare);
}

/// The first `steps` of the `k − 2` steps of [`horner_row`] (`d^{steps+1}` numbers).
#[inline(always)]
fn horner_steps<T: Scalar>(
    lower: &[T],
    z: &ScaledIncrement<T>,
    levels: &Levels,
    (k, steps): (usize, usize),
    out: &mut [T],
    spare: &mut [T],
) {
    let d = levels.d;
    // The steps ping-pong between the buffers; start where the last one lands in `out`.
    let (mut cur, mut next) = if steps.is_multiple_of(2) { (out, spare) } else { (spare, out) };
    for ((c, &zk), &a1) in cur.iter_mut().zip(z.over(k)).zip(&lower[..d]) {
        *c = zk + a1;
    }
    let mut len = d;
    for j in 2..2 + steps {
        let aj = &lower[levels.range(j)];
        horner_step(&cur[..len], z.over(k - j + 1), aj, &mut next[..len * d]);
        std::mem::swap(&mut cur, &mut next);
        len *= d;
    }
}

/// For `depth ≥ 3`: writes the Horner row of level `depth` into `out` and adds `z`'s
/// step to level `depth − 1` (the first thing [`mul_exp_in_place`] does), in one pass over
/// level `depth − 1`, which both read ([`horner_and_outer_add`]), after building the two
/// rows that pass needs from the levels below: level `depth`'s Horner row but for its last
/// step, and level `depth − 1`'s. Returns `false`, doing nothing, where the one-pass kernel
/// would not be faster.
fn last_two_levels_at_once<T: Scalar>(
    lower: &mut [T],
    z: &ScaledIncrement<T>,
    levels: &Levels,
    depth: usize,
    out: &mut [T],
    scratch: &mut [T],
) -> bool {
    if !horner_and_outer_add_pays_off::<T>(levels.d) {
        return false;
    }
    let short = levels.size(depth - 2);
    let (top_prefix, rest) = scratch.split_at_mut(short);
    let (row_below, rest) = rest.split_at_mut(short);
    let spare = &mut rest[..short];
    horner_steps(lower, z, levels, (depth, depth - 3), top_prefix, spare);
    horner_row(lower, z, levels, depth - 1, row_below, spare);
    let level = &mut lower[levels.range(depth - 1)];
    horner_and_outer_add((top_prefix, z.over(2)), (row_below, z.z()), level, out);
    true
}

/// Increments that [`mul_exps_in_place`] takes at once.
pub(crate) const STEPS: usize = crate::kernels::STEPS;

/// Whether [`mul_exps_in_place`] beats [`STEPS`] calls of [`mul_exp_in_place`] at `d`
/// channels: measured (BENCHMARKS.md, "Four steps at a time") 1.1-1.8x faster from d = 4 on,
/// level at 3 and slower at 2, where the top level is too small to be worth the rows.
pub(crate) fn steps_pay_off(d: usize) -> bool {
    d >= 4
}

/// Scratch (in elements) for the Horner rows of [`mul_exps_in_place`].
pub(crate) fn mul_exps_rows(levels: &Levels) -> usize {
    if levels.depth >= 2 { STEPS * levels.size(levels.depth - 1) } else { 0 }
}

/// `a <- a ⊗ exp(z_1) ⊗ … ⊗ exp(z_STEPS)` on levels `1..=depth`: the same numbers as
/// [`STEPS`] calls of [`mul_exp_in_place`], with the top level, the largest by a factor
/// `d`, read and written once instead of once per increment. Level `depth` of each step
/// depends only on the levels below it before that step, so the lower levels take the steps
/// one by one, keeping each step's Horner row (in `rows`, [`mul_exps_rows`] long), and the
/// top level then adds the [`STEPS`] outer products in the same order
/// (docs/signatures.md, eq. S3).
pub(crate) fn mul_exps_in_place<T: Scalar>(
    a: &mut [T],
    zs: &[ScaledIncrement<T>; STEPS],
    levels: &Levels,
    depth: usize,
    rows: &mut [T],
    scratch: &mut [T],
) {
    if depth < 2 {
        for z in zs {
            mul_exp_in_place(a, z, levels, depth, scratch);
        }
        return;
    }
    let row = levels.size(depth - 1);
    let (lower, upper) = a.split_at_mut(levels.range(depth).start);
    for (z, out) in zs.iter().zip(rows.chunks_exact_mut(row)) {
        if depth >= 3 && last_two_levels_at_once(lower, z, levels, depth, out, scratch) {
            mul_exp_in_place(lower, z, levels, depth - 2, scratch);
            continue;
        }
        horner_row(lower, z, levels, depth, out, &mut scratch[..row]);
        mul_exp_in_place(lower, z, levels, depth - 1, &mut scratch[row..]);
    }
    let increments = std::array::from_fn(|m| zs[m].z());
    outer_add_steps(&rows[..STEPS * row], increments, &mut upper[..levels.size(depth)]);
}

/// The top level's part of [`mul_exp_backward`] when the caller takes it for [`STEPS`]
/// steps at once (`compute.rs`, `backward_steps`): the adjoint of the top level's Horner row,
/// given, and the row itself, returned (its product with the top level's adjoint is the top
/// level's part of `dz`), as lane `step` of `row_adjoints` and `rows`, both `[row][STEPS]`.
pub(crate) struct TopAdjoint<'a, T> {
    pub(crate) row_adjoints: &'a [T],
    pub(crate) rows: &'a mut [T],
    pub(crate) step: usize,
}

/// Reverse mode of `out = a ⊗ exp(z)` (full depth).
///
/// On entry `a` holds levels `1..N-1` of the input (level `N` is never read) and `grad` the
/// adjoint of `out`. On exit `grad` holds the adjoint of `a` and `dz` has the adjoint of `z`
/// added. Levels are visited bottom-up so that each output adjoint is read before the lower
/// levels' input adjoints are accumulated into the same storage. With `top_level`, the top
/// level's row adjoint comes from it and the row goes to it, and `dz` lacks the top level's
/// part, which the caller adds.
pub(crate) fn mul_exp_backward<T: Scalar>(
    a: &[T],
    z: &ScaledIncrement<T>,
    grad: &mut [T],
    dz: &mut [T],
    levels: &Levels,
    scratch: &mut [T],
    mut top_level: Option<TopAdjoint<'_, T>>,
) {
    let d = levels.d;
    let depth = levels.depth;
    for (g, acc) in grad[..d].iter().zip(dz.iter_mut()) {
        *acc += *g;
    }
    if depth < 2 {
        return;
    }
    // rows[range(j)] holds the Horner row of length d^j, j = 1..k-1.
    let (rows, rest) = scratch.split_at_mut(levels.len_to(depth - 1));
    let top = levels.size(depth - 1);
    let (mut dcur, rest) = rest.split_at_mut(top.max(d));
    let mut dnext = &mut rest[..top.max(d)];
    for k in 2..=depth {
        // Recompute the Horner rows of level k.
        for ((r, &zk), &a1) in rows[..d].iter_mut().zip(z.over(k)).zip(&a[..d]) {
            *r = zk + a1;
        }
        for j in 2..k {
            let (prev, this) = rows.split_at_mut(levels.range(j).start);
            let prev = &prev[levels.range(j - 1)];
            let this = &mut this[..levels.size(j)];
            let aj = &a[levels.range(j)];
            let zs = z.over(k - j + 1);
            horner_step(prev, zs, aj, this);
        }
        // Reverse the last step, target_k += row_{k-1} ⊗ z, then each Horner step.
        let (lower, upper) = grad.split_at_mut(levels.range(k).start);
        let g = &upper[..levels.size(k)];
        let mut len = levels.size(k - 1);
        match &mut top_level {
            Some(given) if k == depth => {
                let step = given.step;
                for (dc, lanes) in
                    dcur[..len].iter_mut().zip(given.row_adjoints.chunks_exact(STEPS))
                {
                    *dc = lanes[step];
                }
                let row = &rows[levels.range(k - 1)];
                for (lanes, &r) in given.rows.chunks_exact_mut(STEPS).zip(row) {
                    lanes[step] = r;
                }
            }
            _ => outer_backward(&rows[levels.range(k - 1)], z.z(), g, &mut dcur[..len], dz, T::ONE),
        }
        for j in (1..k).rev() {
            for (gj, &dc) in lower[levels.range(j)].iter_mut().zip(&dcur[..len]) {
                *gj += dc;
            }
            if j == 1 {
                let inv = T::ONE / T::from_f64(k as f64);
                for (acc, &dc) in dz.iter_mut().zip(&dcur[..d]) {
                    *acc += dc * inv;
                }
                break;
            }
            let m = k - j + 1;
            let inv = T::ONE / T::from_f64(m as f64);
            let prev_len = len / d;
            outer_backward(
                &rows[levels.range(j - 1)],
                z.over(m),
                &dcur[..len],
                &mut dnext[..prev_len],
                dz,
                inv,
            );
            std::mem::swap(&mut dcur, &mut dnext);
            len = prev_len;
        }
    }
}

/// `out = a ⊗ b` truncated at `levels.depth`, for `a`, `b` with no level-0 term; `a` is zero
/// below level `a_from` (its lower levels are not read).
pub(crate) fn mul_truncated<T: Scalar>(
    a: &[T],
    a_from: usize,
    b: &[T],
    out: &mut [T],
    levels: &Levels,
) {
    out.fill(T::ZERO);
    for k in (a_from + 1)..=levels.depth {
        let target = &mut out[levels.range(k)];
        for i in a_from..k {
            let bj = &b[levels.range(k - i)];
            let chunk = bj.len();
            for (&ai, t_row) in a[levels.range(i)].iter().zip(target.chunks_exact_mut(chunk)) {
                for (t, &bv) in t_row.iter_mut().zip(bj) {
                    *t += ai * bv;
                }
            }
        }
    }
}

/// Reverse mode of [`mul_truncated`]: adds the adjoints of `a` (levels `a_from..`) and `b`
/// given the adjoint `g` of `out`.
pub(crate) fn mul_truncated_backward<T: Scalar>(
    a: &[T],
    a_from: usize,
    b: &[T],
    g: &[T],
    da: &mut [T],
    db: &mut [T],
    levels: &Levels,
) {
    for k in (a_from + 1)..=levels.depth {
        let gk = &g[levels.range(k)];
        for i in a_from..k {
            let bj = &b[levels.range(k - i)];
            let dbj_range = levels.range(k - i);
            let chunk = bj.len();
            for ((&ai, dai), g_row) in a[levels.range(i)]
                .iter()
                .zip(da[levels.range(i)].iter_mut())
                .zip(gk.chunks_exact(chunk))
            {
                let mut acc = T::ZERO;
                for ((&gv, &bv), dbv) in g_row.iter().zip(bj).zip(db[dbj_range.clone()].iter_mut())
                {
                    acc += gv * bv;
                    *dbv += ai * gv;
                }
                *dai += acc;
            }
        }
    }
}
