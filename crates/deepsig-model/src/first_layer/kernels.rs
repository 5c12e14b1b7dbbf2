//! The first layer's host kernels (docs/method.md, eqs. G1-G3): atoms in blocks through
//! every frame, [`LANES`] atoms per register, channel counts 1-4 specialised, AVX2 where the
//! CPU has it.

use deepsig_signature::Scalar;
use rayon::prelude::*;
use std::ops::Range;

use super::Dims;
use crate::simd::dispatched;

/// Rows of the kernels' work arrays are padded to a multiple of this many atoms, so the inner
/// loops run over whole vectors, and the weight gradient keeps this many partial sums per
/// entry (a fixed order: the sums do not depend on the CPU's vector width).
const LANES: usize = 8;

impl Dims {
    /// Atoms rounded up to [`LANES`]: the row length of the atom-contiguous work arrays.
    fn padded(&self) -> usize {
        self.atoms.div_ceil(LANES) * LANES
    }
}

/// `m` `[atoms, width]` as `[width, padded]`, zero beyond the atoms.
fn transpose_padded<T: Scalar>(m: &[T], width: usize, dims: Dims) -> Vec<T> {
    let padded = dims.padded();
    let mut out = vec![T::ZERO; width * padded];
    for (n, row) in m.chunks_exact(width).enumerate() {
        for (k, &v) in row.iter().enumerate() {
            out[k * padded + n] = v;
        }
    }
    out
}

/// `m_t` `[width, padded]` back as `[atoms, width]` into `out`, each value divided by
/// `divisor`: the inverse of [`transpose_padded`], and the mean over frames of a sum.
fn untranspose_divided<T: Scalar>(m_t: &[T], dims: Dims, divisor: T, out: &mut [T]) {
    let (padded, width) = (dims.padded(), m_t.len() / dims.padded());
    for (n, row) in out.chunks_exact_mut(width).enumerate() {
        for (k, v) in row.iter_mut().enumerate() {
            *v = m_t[k * padded + n] / divisor;
        }
    }
}

/// The ReLU, passing a NaN through as burn's does (everything not ≤ 0 passes).
#[inline(always)]
fn relu<T: Scalar>(v: T) -> T {
    if v <= T::ZERO { T::ZERO } else { v }
}

/// Calls `$kernel` with `dims.channels` a literal for the usual 1 to 4 channels (3 for
/// coordinates), so the compiler unrolls the loops over channels and drops their bounds
/// checks; any other count takes the generic body.
macro_rules! specialise_channels {
    ($dims:expr, $kernel:ident($($arg:expr),*)) => {
        match $dims.channels {
            1 => $kernel($($arg,)* Dims { channels: 1, ..$dims }),
            2 => $kernel($($arg,)* Dims { channels: 2, ..$dims }),
            3 => $kernel($($arg,)* Dims { channels: 3, ..$dims }),
            4 => $kernel($($arg,)* Dims { channels: 4, ..$dims }),
            _ => $kernel($($arg,)* $dims),
        }
    };
}

/// Channels whose weight-gradient sums the backward holds in registers (coordinates have 3);
/// more channels go through memory.
const HELD: usize = 4;

/// Atoms per block: each block runs through every frame before the next, so its columns of
/// the `[hidden, padded]` arrays (sum, offset, gradient) stay in the L1 cache; a whole row of
/// them at GPCR size (20 × 1,240 numbers each) does not.
const BLOCK: usize = 8 * LANES;

/// The atoms `block` of one frame `[atoms, channels]` into `xs` `[channels, BLOCK]`, zero past
/// the last atom.
#[inline(always)]
fn deinterleave<T: Scalar>(frame: &[T], block: Range<usize>, dims: Dims, xs: &mut [T]) {
    let atoms = &frame[block.start * dims.channels..block.end * dims.channels];
    for (c, column) in xs.chunks_exact_mut(BLOCK).enumerate() {
        for (j, x) in column.iter_mut().enumerate() {
            *x = atoms.get(j * dims.channels + c).copied().unwrap_or(T::ZERO);
        }
    }
}

/// The blocks of atoms, each with its width rounded up to whole [`LANES`].
fn blocks(dims: Dims) -> impl Iterator<Item = (Range<usize>, usize)> {
    (0..dims.atoms).step_by(BLOCK).map(move |start| {
        let end = (start + BLOCK).min(dims.atoms);
        (start..end, (end - start).div_ceil(LANES) * LANES)
    })
}

/// The first [`LANES`] values of `v`, copied: the compiler then knows they alias nothing it
/// writes, and keeps the loops over them in vector registers.
#[inline(always)]
fn lanes_of<T: Scalar>(v: &[T]) -> [T; LANES] {
    let mut out = [T::ZERO; LANES];
    out.copy_from_slice(&v[..LANES]);
    out
}

/// `v[..LANES] += terms`, through a local copy (see [`lanes_of`]).
#[inline(always)]
fn add_lanes<T: Scalar>(v: &mut [T], terms: &[T; LANES]) {
    let mut sum = lanes_of(v);
    for k in 0..LANES {
        sum[k] += terms[k];
    }
    v[..LANES].copy_from_slice(&sum);
}

/// The pre-activations $P_t W_{:,h} + Y_{:,h}$ (eq. G1) of [`LANES`] atoms of one frame for
/// hidden unit `h`: the atoms at `local` in the block's `xs` `[channels, BLOCK]` and at `at`
/// in `offset_t` `[hidden, padded]`.
#[inline(always)]
fn pre_activations<T: Scalar>(
    xs: &[T],
    weight: &[T],
    offset_t: &[T],
    (h, at, local): (usize, usize, usize),
    dims: Dims,
) -> [T; LANES] {
    let mut pre = lanes_of(&offset_t[h * dims.padded() + at..]);
    for c in 0..dims.channels {
        let w = weight[c * dims.hidden + h];
        let x = lanes_of(&xs[c * BLOCK + local..]);
        for k in 0..LANES {
            pre[k] += x[k] * w;
        }
    }
    pre
}

/// Eq. G1 for one window `[frames, atoms, channels]`: the sum over frames, `[hidden, padded]`.
/// [`LANES`] atoms at a time through every hidden unit, so the pre-activations stay in
/// registers.
#[inline(always)]
fn forward_window<T: Scalar>(window: &[T], weight: &[T], offset_t: &[T], dims: Dims) -> Vec<T> {
    specialise_channels!(dims, forward_window_in(window, weight, offset_t))
}

#[inline(always)]
fn forward_window_in<T: Scalar>(window: &[T], weight: &[T], offset_t: &[T], dims: Dims) -> Vec<T> {
    let padded = dims.padded();
    let mut xs = vec![T::ZERO; dims.channels * BLOCK];
    let mut sum = vec![T::ZERO; dims.hidden * padded];
    for (block, width) in blocks(dims) {
        for frame in window.chunks_exact(dims.frame_len()) {
            deinterleave(frame, block.clone(), dims, &mut xs);
            for local in (0..width).step_by(LANES) {
                let at = block.start + local;
                for h in 0..dims.hidden {
                    let mut pre = pre_activations(&xs, weight, offset_t, (h, at, local), dims);
                    pre.iter_mut().for_each(|v| *v = relu(*v));
                    add_lanes(&mut sum[h * padded + at..], &pre);
                }
            }
        }
    }
    sum
}

dispatched! {
    /// [`forward_window`], AVX2 where the CPU has it.
    fn forward_window_dispatched, forward_window_avx2 [T: Scalar]
        (window: &[T], weight: &[T], offset_t: &[T], dims: Dims) -> Vec<T> = forward_window
}

/// Eqs. G2 and G3 for one window, before the division by the frame count: the weight's
/// gradient as [`LANES`] partial sums per entry `[channels, hidden, LANES]`, and the offset's
/// `[hidden, padded]`. `grad_t` is the window's output gradient as `[hidden, padded]`.
#[inline(always)]
fn backward_window<T: Scalar>(
    window: &[T],
    weight: &[T],
    offset_t: &[T],
    grad_t: &[T],
    dims: Dims,
) -> (Vec<T>, Vec<T>) {
    specialise_channels!(dims, backward_window_in(window, weight, offset_t, grad_t))
}

// The same loops as `forward_window_in`, written out again on purpose: a shared walker taking
// a closure left the closure out of line, compiled without AVX2, and the backward twice as slow.
#[inline(always)]
fn backward_window_in<T: Scalar>(
    window: &[T],
    weight: &[T],
    offset_t: &[T],
    grad_t: &[T],
    dims: Dims,
) -> (Vec<T>, Vec<T>) {
    let padded = dims.padded();
    let mut xs = vec![T::ZERO; dims.channels * BLOCK];
    let mut d_weight = vec![T::ZERO; dims.channels * dims.hidden * LANES];
    let mut d_offset = vec![T::ZERO; dims.hidden * padded];
    for (block, width) in blocks(dims) {
        for frame in window.chunks_exact(dims.frame_len()) {
            deinterleave(frame, block.clone(), dims, &mut xs);
            // Hidden unit by hidden unit, so the weight gradient's partial sums of the first
            // `HELD` channels stay in registers across the block's atoms.
            for h in 0..dims.hidden {
                let mut held = [[T::ZERO; LANES]; HELD];
                for local in (0..width).step_by(LANES) {
                    let at = block.start + local;
                    let mut masked = pre_activations(&xs, weight, offset_t, (h, at, local), dims);
                    // M ⊙ G: the output gradient where the ReLU passed.
                    let grad = lanes_of(&grad_t[h * padded + at..]);
                    for k in 0..LANES {
                        masked[k] = if masked[k] <= T::ZERO { T::ZERO } else { grad[k] };
                    }
                    add_lanes(&mut d_offset[h * padded + at..], &masked);
                    for c in 0..dims.channels {
                        let x = lanes_of(&xs[c * BLOCK + local..]);
                        let mut terms = [T::ZERO; LANES];
                        for k in 0..LANES {
                            terms[k] = x[k] * masked[k];
                        }
                        match held.get_mut(c) {
                            Some(sums) => (0..LANES).for_each(|k| sums[k] += terms[k]),
                            None => {
                                add_lanes(&mut d_weight[(c * dims.hidden + h) * LANES..], &terms)
                            }
                        }
                    }
                }
                for (c, sums) in held.iter().enumerate().take(dims.channels) {
                    add_lanes(&mut d_weight[(c * dims.hidden + h) * LANES..], sums);
                }
            }
        }
    }
    (d_weight, d_offset)
}

dispatched! {
    /// [`backward_window`], AVX2 where the CPU has it.
    fn backward_window_dispatched, backward_window_avx2 [T: Scalar]
        (window: &[T], weight: &[T], offset_t: &[T], grad_t: &[T], dims: Dims) -> (Vec<T>, Vec<T>)
        = backward_window
}

/// Eq. G1 on the host, one window per task: `[windows, atoms, hidden]`.
pub(super) fn forward<T: Scalar>(p: &[T], weight: &[T], offset: &[T], dims: Dims) -> Vec<T> {
    let offset_t = transpose_padded(offset, dims.hidden, dims);
    let window_len = dims.frames * dims.frame_len();
    let frames = T::from_f64(dims.frames as f64);
    let mut out = vec![T::ZERO; dims.windows * dims.out_len()];
    out.par_chunks_mut(dims.out_len()).zip(p.par_chunks(window_len)).for_each(|(mean, window)| {
        let sum = forward_window_dispatched(window, weight, &offset_t, dims);
        untranspose_divided(&sum, dims, frames, mean);
    });
    out
}

/// Eqs. G2 and G3 on the host: each window's terms are summed on its own task, then the
/// windows in order, so the result does not depend on the thread count.
pub(super) fn backward<T: Scalar>(
    p: &[T],
    weight: &[T],
    offset: &[T],
    grad: &[T],
    dims: Dims,
) -> (Vec<T>, Vec<T>) {
    let offset_t = transpose_padded(offset, dims.hidden, dims);
    let window_len = dims.frames * dims.frame_len();
    let per_window: Vec<(Vec<T>, Vec<T>)> = p
        .par_chunks(window_len)
        .zip(grad.par_chunks(dims.out_len()))
        .map(|(window, grad)| {
            let grad_t = transpose_padded(grad, dims.hidden, dims);
            backward_window_dispatched(window, weight, &offset_t, &grad_t, dims)
        })
        .collect();
    let mut d_weight_lanes = vec![T::ZERO; dims.channels * dims.hidden * LANES];
    let mut d_offset_t = vec![T::ZERO; dims.hidden * dims.padded()];
    for (dw, dy) in per_window {
        d_weight_lanes.iter_mut().zip(dw).for_each(|(d, v)| *d += v);
        d_offset_t.iter_mut().zip(dy).for_each(|(d, v)| *d += v);
    }
    let frames = T::from_f64(dims.frames as f64);
    let d_weight = d_weight_lanes
        .chunks_exact(LANES)
        .map(|lanes| lanes.iter().copied().sum::<T>() / frames)
        .collect();
    let mut d_offset = vec![T::ZERO; dims.out_len()];
    untranspose_divided(&d_offset_t, dims, frames, &mut d_offset);
    (d_weight, d_offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use deepsig_testutil::Rng;

    /// The dispatched kernels (AVX2 on a CPU with it, channel counts of 1 to 4 specialised)
    /// give the generic baseline build's numbers bit for bit: no loop has a reduction that the
    /// vector width or the unrolling could reorder.
    #[test]
    fn the_specialised_and_wide_kernels_give_the_generic_numbers() {
        if !deepsig_signature::wide_simd() {
            eprintln!(
                "note: this CPU has no AVX2 + FMA: only the channel specialisation is compared"
            );
        }
        for channels in [1, 3, 5] {
            let dims = Dims { windows: 1, frames: 4, atoms: 75, channels, hidden: 5 };
            let mut rng = Rng(17);
            let window = rng.vec_f32(dims.frames * dims.frame_len());
            let weight = rng.vec_f32(dims.channels * dims.hidden);
            let offset_t = transpose_padded(&rng.vec_f32(dims.out_len()), dims.hidden, dims);
            let grad_t = transpose_padded(&rng.vec_f32(dims.out_len()), dims.hidden, dims);
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            let generic = forward_window_in(&window, &weight, &offset_t, dims);
            let wide = forward_window_dispatched(&window, &weight, &offset_t, dims);
            assert_eq!(bits(&generic), bits(&wide), "forward, {channels} channels");
            let generic = backward_window_in(&window, &weight, &offset_t, &grad_t, dims);
            let wide = backward_window_dispatched(&window, &weight, &offset_t, &grad_t, dims);
            assert_eq!(bits(&generic.0), bits(&wide.0), "weight gradient, {channels} channels");
            assert_eq!(bits(&generic.1), bits(&wide.1), "offset gradient, {channels} channels");
        }
    }
}
