//! The LSTM's recurrence as one host operation on the CPU (docs/method.md, "The LSTM's
//! recurrence as one operation", eqs. R1-R2).
//!
//! Written as tensor operations, each step is about fifteen of them (the recurrent product,
//! four gate slices, three sigmoids, two tanh, the products and sums of the cell), each with
//! its own buffer and autodiff record, on `[sequences, hidden]` tensors that are small: at
//! the small system's size their fixed cost, not their arithmetic, was most of the LSTM's
//! time, and `graph-lstm` runs 40 such steps per window. Here the steps run in one call; the
//! backward recomputes the forward's gates (one recurrent product per step) rather than
//! keep them.
//!
//! Wired into burn like the first layer (`first_layer`). The input projection stays a
//! tensor operation (one large product); GPUs keep the tensor recurrence (`lstm.rs`).

use burn::backend::autodiff::checkpoint::{base::Checkpointer, strategy::CheckpointStrategy};
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Dispatch, TensorMetadata, backend_extension};
use burn::tensor::{Element, Tensor};
use bytemuck::Pod;
use gemm::Parallelism;

use crate::backend::CpuBackend;
#[cfg(any(feature = "cuda", feature = "wgpu"))]
use crate::backend::GpuBackend;
use crate::host::{is_f64, read, values, write};
use crate::host_product::{Matrix, product, transposed};
use crate::real::Real;
use crate::simd::dispatched;

/// The last hidden state `[sequences, hidden]` of the LSTM whose gate pre-activations before
/// the recurrent term are `projected` (`[sequences, steps, 4·hidden]`, gates i, f, g, o) and
/// whose recurrent weight is `recurrent` (`[hidden, 4·hidden]`), from `h_0 = c_0 = 0` (eq.
/// R1). Differentiable with respect to both (eq. R2).
///
/// # Panics
/// When the shapes disagree or a sequence has no step: `SequenceLstm` builds both.
pub(crate) fn lstm_last_hidden(projected: Tensor<3>, recurrent: Tensor<2>) -> Tensor<2> {
    let [sequences, steps, gates] = projected.dims();
    let [hidden, width] = recurrent.dims();
    assert!(sequences > 0 && steps > 0, "LSTM: empty input {:?}", projected.dims());
    assert!(gates == 4 * hidden && width == gates, "LSTM: gates {gates}, weight {hidden}×{width}");
    let out = <Dispatch as RecurrenceOps>::lstm_last_hidden(
        projected.into_dispatch(),
        recurrent.into_dispatch(),
    );
    Tensor::from_dispatch(out)
}

/// The backend operation behind [`lstm_last_hidden`]; shapes are checked before the call.
#[backend_extension(Flex, Autodiff, Cube: cfg(any(feature = "cuda", feature = "wgpu")))]
trait RecurrenceOps: Backend {
    fn lstm_last_hidden(
        projected: FloatTensor<Self>,
        recurrent: FloatTensor<Self>,
    ) -> FloatTensor<Self>;
}

impl RecurrenceOps for CpuBackend {
    fn lstm_last_hidden(
        projected: FloatTensor<Self>,
        recurrent: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        host_forward::<Self>(projected, recurrent)
    }
}

#[cfg(any(feature = "cuda", feature = "wgpu"))]
impl RecurrenceOps for GpuBackend {
    fn lstm_last_hidden(
        projected: FloatTensor<Self>,
        recurrent: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        host_forward::<Self>(projected, recurrent)
    }
}

/// The backward step: eq. R2 at the saved inputs.
#[derive(Debug)]
struct RecurrenceBackward;

impl<B: Backend> Backward<B, 2> for RecurrenceBackward {
    type State = (FloatTensor<B>, FloatTensor<B>);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let (projected, recurrent) = ops.state;
        let grad = grads.consume::<B>(&ops.node);
        let [projected_node, mut recurrent_node] = ops.parents;
        if projected.shape()[1] == 1 {
            // One step never reads the recurrent weight: no gradient, as with the tensor
            // operations (a zero one would still move it through the optimiser's decay).
            recurrent_node = None;
        }
        if projected_node.is_none() && recurrent_node.is_none() {
            return;
        }
        let (d_projected, d_recurrent) = host_backward::<B>(projected, recurrent, grad);
        if let Some(node) = projected_node {
            grads.register::<B>(node.id, d_projected);
        }
        if let Some(node) = recurrent_node {
            grads.register::<B>(node.id, d_recurrent);
        }
    }
}

impl<B: RecurrenceOps, C: CheckpointStrategy> RecurrenceOps for Autodiff<B, C> {
    fn lstm_last_hidden(
        projected: FloatTensor<Self>,
        recurrent: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        let (projected, projected_guard) = projected.into_parts();
        let (recurrent, recurrent_guard) = recurrent.into_parts();
        match RecurrenceBackward
            .prepare::<C>([projected_guard, recurrent_guard])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let out = B::lstm_last_hidden(projected.clone(), recurrent.clone());
                prep.finish((projected, recurrent), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::lstm_last_hidden(projected, recurrent)),
        }
    }
}

/// The sizes of one call.
#[derive(Debug, Clone, Copy)]
struct Dims {
    sequences: usize,
    steps: usize,
    hidden: usize,
}

impl Dims {
    fn of<B: Backend>(projected: &FloatTensor<B>) -> Dims {
        let shape = projected.shape();
        Dims { sequences: shape[0], steps: shape[1], hidden: shape[2] / 4 }
    }
}

/// Every step's gates after their nonlinearities and cell state, `[steps][sequences, ·]`.
struct Trace<T> {
    /// i, f, g, o side by side, `[sequences, 4·hidden]` per step.
    gates: Vec<Vec<T>>,
    /// c_t, `[sequences, hidden]` per step.
    cells: Vec<Vec<T>>,
    /// h_t, `[sequences, hidden]` per step.
    hidden: Vec<Vec<T>>,
}

/// Eq. R1: the recurrence, keeping what the backward needs.
fn run<T: Real>(projected: &[T], recurrent: &[T], dims: Dims) -> Trace<T> {
    let Dims { sequences, steps, hidden: h } = dims;
    let width = 4 * h;
    let mut trace = Trace {
        gates: Vec::with_capacity(steps),
        cells: Vec::with_capacity(steps),
        hidden: Vec::with_capacity(steps),
    };
    for t in 0..steps {
        let mut gates = vec![T::ZERO; sequences * width];
        for (b, row) in gates.chunks_exact_mut(width).enumerate() {
            let start = (b * steps + t) * width;
            row.copy_from_slice(&projected[start..start + width]);
        }
        if let Some(h_prev) = trace.hidden.last() {
            // gates += h_{t-1} · W_hh; the zero state's product is skipped (exact zeros).
            product(
                (sequences, width, h),
                Matrix { data: &mut gates, row_stride: width, accumulate: true },
                (h_prev, h, 1),
                (recurrent, width, 1),
                Parallelism::None,
            );
        }
        let mut cell = vec![T::ZERO; sequences * h];
        let mut out = vec![T::ZERO; sequences * h];
        let previous = trace.cells.last().map(Vec::as_slice);
        step_forward_dispatched(h, &mut gates, previous, &mut cell, &mut out);
        trace.gates.push(gates);
        trace.cells.push(cell);
        trace.hidden.push(out);
    }
    trace
}

/// Eq. R1's gates and cell for one step of every sequence, `h` = hidden: `gates`
/// `[sequences, 4·hidden]` holds the pre-activations and gets i, f, g, o; `cell` and `out`
/// get c_t and h_t from `previous` c_{t-1} (none at the first step, where c_1 = i ⊙ g
/// exactly).
#[inline(always)]
fn step_forward<T: Real>(
    h: usize,
    gates: &mut [T],
    previous: Option<&[T]>,
    cell: &mut [T],
    out: &mut [T],
) {
    let rows =
        gates.chunks_exact_mut(4 * h).zip(cell.chunks_exact_mut(h)).zip(out.chunks_exact_mut(h));
    for (b, ((row, cell), out)) in rows.enumerate() {
        let (i, rest) = row.split_at_mut(h);
        let (f, rest) = rest.split_at_mut(h);
        let (g, o) = rest.split_at_mut(h);
        let previous = previous.map(|p| &p[b * h..(b + 1) * h]);
        for k in 0..h {
            (i[k], f[k], g[k], o[k]) =
                (i[k].sigmoid(), f[k].sigmoid(), g[k].tanh(), o[k].sigmoid());
            cell[k] = match previous {
                Some(previous) => f[k] * previous[k] + i[k] * g[k],
                None => i[k] * g[k],
            };
            out[k] = o[k] * cell[k].tanh();
        }
    }
}

/// Eq. R2 for one step of every sequence, `h` = hidden: `d_gates` from the step's gates
/// (after their nonlinearities), cell `cells`, previous cell (none at the first step), the
/// hidden state's gradient `d_hidden`, and the cell's `d_cell`, which becomes the previous
/// cell's.
#[inline(always)]
fn step_backward<T: Real>(
    h: usize,
    gates: &[T],
    cells: &[T],
    previous: Option<&[T]>,
    d_hidden: &[T],
    d_cell: &mut [T],
    d_gates: &mut [T],
) {
    let rows = gates.chunks_exact(4 * h).zip(d_gates.chunks_exact_mut(4 * h));
    for (b, (row, d_row)) in rows.enumerate() {
        let (i, rest) = row.split_at(h);
        let (f, rest) = rest.split_at(h);
        let (g, o) = rest.split_at(h);
        let (d_i, rest) = d_row.split_at_mut(h);
        let (d_f, rest) = rest.split_at_mut(h);
        let (d_g, d_o) = rest.split_at_mut(h);
        let range = b * h..(b + 1) * h;
        let (c, dh, dc_next) =
            (&cells[range.clone()], &d_hidden[range.clone()], &mut d_cell[range.clone()]);
        let previous = previous.map(|p| &p[range.clone()]);
        for k in 0..h {
            let tc = c[k].tanh();
            let dc = dc_next[k] + dh[k] * o[k] * (T::ONE - tc * tc);
            d_i[k] = dc * g[k] * i[k] * (T::ONE - i[k]);
            // The first step has no f ⊙ c_0 term: an exact zero, as the tensor operations
            // give (dc · 0 would turn an infinite dc into NaN).
            d_f[k] = match previous {
                Some(previous) => dc * previous[k] * f[k] * (T::ONE - f[k]),
                None => T::ZERO,
            };
            d_g[k] = dc * i[k] * (T::ONE - g[k] * g[k]);
            d_o[k] = dh[k] * tc * o[k] * (T::ONE - o[k]);
            dc_next[k] = dc * f[k];
        }
    }
}

dispatched! {
    /// [`step_forward`], AVX2 where the CPU has it.
    fn step_forward_dispatched, step_forward_avx2 [T: Real]
        (h: usize, gates: &mut [T], previous: Option<&[T]>, cell: &mut [T], out: &mut [T]) -> ()
        = step_forward
}

dispatched! {
    /// [`step_backward`], AVX2 where the CPU has it.
    fn step_backward_dispatched, step_backward_avx2 [T: Real]
        (h: usize, gates: &[T], cells: &[T], previous: Option<&[T]>, d_hidden: &[T],
         d_cell: &mut [T], d_gates: &mut [T]) -> ()
        = step_backward
}

fn host_forward<B: Backend>(
    projected: FloatTensor<B>,
    recurrent: FloatTensor<B>,
) -> FloatTensor<B> {
    if is_f64(projected.dtype()) {
        host_forward_as::<B, f64>(projected, recurrent)
    } else {
        host_forward_as::<B, f32>(projected, recurrent)
    }
}

/// [`host_forward`] computing in `T`.
fn host_forward_as<B: Backend, T: Real + Element + Pod>(
    projected: FloatTensor<B>,
    recurrent: FloatTensor<B>,
) -> FloatTensor<B> {
    let (device, dtype, dims) = (projected.device(), projected.dtype(), Dims::of::<B>(&projected));
    let trace = run(&values::<B, T>(&projected), &values::<B, T>(&recurrent), dims);
    let last = trace.hidden.into_iter().last().unwrap_or_default();
    write::<B, T>(last, vec![dims.sequences, dims.hidden], dtype, &device)
}

fn host_backward<B: Backend>(
    projected: FloatTensor<B>,
    recurrent: FloatTensor<B>,
    grad: FloatTensor<B>,
) -> (FloatTensor<B>, FloatTensor<B>) {
    if is_f64(projected.dtype()) {
        host_backward_as::<B, f64>(projected, recurrent, grad)
    } else {
        host_backward_as::<B, f32>(projected, recurrent, grad)
    }
}

/// [`host_backward`] computing in `T`: eq. R2, the steps in reverse.
fn host_backward_as<B: Backend, T: Real + Element + Pod>(
    projected: FloatTensor<B>,
    recurrent: FloatTensor<B>,
    grad: FloatTensor<B>,
) -> (FloatTensor<B>, FloatTensor<B>) {
    let (device, dtype, dims) = (projected.device(), projected.dtype(), Dims::of::<B>(&projected));
    let Dims { sequences, steps, hidden: h } = dims;
    let width = 4 * h;
    let recurrent = values::<B, T>(&recurrent);
    let trace = run(&values::<B, T>(&projected), &recurrent, dims);
    // W_hhᵀ `[4·hidden, hidden]` row-major, once: `gemm` computes the row-major dh = dZ·W_hhᵀ
    // as its transpose W_hh·dZᵀ, and with W_hh's rows contiguous it would copy all of W_hh
    // into its own layout on every step (a tenth of a small system's epoch).
    let recurrent_t = transposed(&recurrent, h, width);
    let mut d_projected = vec![T::ZERO; sequences * steps * width];
    let mut d_recurrent = vec![T::ZERO; h * width];
    let mut d_hidden = read::<B, T>(grad);
    let mut d_cell = vec![T::ZERO; sequences * h];
    let mut d_gates = vec![T::ZERO; sequences * width];
    for t in (0..steps).rev() {
        let previous = t.checked_sub(1).map(|t| trace.cells[t].as_slice());
        let (gates, cells) = (&trace.gates[t], &trace.cells[t]);
        step_backward_dispatched(h, gates, cells, previous, &d_hidden, &mut d_cell, &mut d_gates);
        for (b, d_row) in d_gates.chunks_exact(width).enumerate() {
            let start = (b * steps + t) * width;
            d_projected[start..start + width].copy_from_slice(d_row);
        }
        if t > 0 {
            // dW_hh += h_{t-1}ᵀ · dZ_t and dh_{t-1} = dZ_t · W_hhᵀ.
            let h_prev = &trace.hidden[t - 1];
            product(
                (h, width, sequences),
                Matrix { data: &mut d_recurrent, row_stride: width, accumulate: true },
                (h_prev, 1, h),
                (&d_gates, width, 1),
                Parallelism::None,
            );
            product(
                (sequences, h, width),
                Matrix { data: &mut d_hidden, row_stride: h, accumulate: false },
                (&d_gates, width, 1),
                (&recurrent_t, h, 1),
                Parallelism::None,
            );
        }
    }
    (
        write::<B, T>(d_projected, vec![sequences, steps, width], dtype, &device),
        write::<B, T>(d_recurrent, vec![h, width], dtype, &device),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use deepsig_testutil::Rng;

    /// The AVX2 build of a step, forward and backward, gives the baseline build's numbers bit
    /// for bit (no loop reduces), at the first step and at a later one.
    #[test]
    fn the_wide_step_kernels_give_the_baseline_numbers() {
        if !deepsig_signature::wide_simd() {
            eprintln!("note: this CPU has no AVX2 + FMA: nothing to compare");
        }
        let (sequences, h) = (3, 21);
        let mut rng = Rng(11);
        let pre: Vec<f32> = rng.vec_f32(sequences * 4 * h).iter().map(|v| 6.0 * v).collect();
        let previous = rng.vec_f32(sequences * h);
        let d_hidden = rng.vec_f32(sequences * h);
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        for previous in [None, Some(previous.as_slice())] {
            let run = |wide: bool| {
                let (mut gates, mut cell, mut out) =
                    (pre.clone(), vec![0.0; sequences * h], vec![0.0; sequences * h]);
                let (mut d_cell, mut d_gates) = (d_hidden.clone(), vec![0.0; pre.len()]);
                if wide {
                    step_forward_dispatched(h, &mut gates, previous, &mut cell, &mut out);
                    step_backward_dispatched(
                        h,
                        &gates,
                        &cell,
                        previous,
                        &d_hidden,
                        &mut d_cell,
                        &mut d_gates,
                    );
                } else {
                    step_forward(h, &mut gates, previous, &mut cell, &mut out);
                    step_backward(h, &gates, &cell, previous, &d_hidden, &mut d_cell, &mut d_gates);
                }
                [gates, cell, out, d_cell, d_gates].map(|v| bits(&v))
            };
            assert_eq!(run(false), run(true), "first step: {}", previous.is_none());
        }
    }
}
