//! $Y = X W$ for an $X$ of few rows and a large $W$ (the LSTM's input projection: 16 rows
//! against an 11,325 × 1,024 weight at GPCR size) as one host operation, for its backward
//! (docs/method.md, "The LSTM's input projection", eqs. L1-L3).
//!
//! burn's matmul backward computes $\partial L/\partial X = G W^T$ into a row-major result,
//! which the `gemm` crate computes as its transpose $W G^T$, reading $W$ row by row: it first
//! copies all of $W$ (46 MB) into its own layout, on every backward, a sixth of a GPCR
//! training epoch. Written into a column-major result instead, the same product reads $W$ as
//! it lies (and copies only $G$); the `[rows, in]` result is then transposed, a few rows.
//! 31 → 5 ms for that product alone (`gemm` 0.19, one thread).
//!
//! Wired into burn like the other host ops (`first_layer`). The encoder's own products keep
//! burn's matmul: their weights are small.

use burn::backend::autodiff::checkpoint::{base::Checkpointer, strategy::CheckpointStrategy};
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Dispatch, TensorMetadata, backend_extension};
use burn::tensor::{Element, Tensor};
use bytemuck::Pod;
use deepsig_signature::Scalar;

use crate::backend::CpuBackend;
#[cfg(any(feature = "cuda", feature = "wgpu"))]
use crate::backend::GpuBackend;
use crate::host::{is_f64, values, write};
use crate::host_product::{Matrix, parallelism_for, product, transposed};

/// $X W$ for `x` `[rows, in]` and `weight` `[in, out]` (eq. L1): `[rows, out]`,
/// differentiable with respect to both (eqs. L2, L3).
///
/// # Panics
/// When the inner sizes differ: the LSTM builds both from one configuration.
pub(crate) fn project(x: Tensor<2>, weight: Tensor<2>) -> Tensor<2> {
    let ([rows, inner], [weight_rows, out]) = (x.dims(), weight.dims());
    assert_eq!(inner, weight_rows, "projection: x is [{rows}, {inner}], W [{weight_rows}, {out}]");
    let y = <Dispatch as ProjectionOps>::project(x.into_dispatch(), weight.into_dispatch());
    Tensor::from_dispatch(y)
}

/// The backend operation behind [`project`]; shapes are checked before the call.
#[backend_extension(Flex, Autodiff, Cube: cfg(any(feature = "cuda", feature = "wgpu")))]
trait ProjectionOps: Backend {
    fn project(x: FloatTensor<Self>, weight: FloatTensor<Self>) -> FloatTensor<Self>;
}

impl ProjectionOps for CpuBackend {
    fn project(x: FloatTensor<Self>, weight: FloatTensor<Self>) -> FloatTensor<Self> {
        host_forward::<Self>(x, weight)
    }
}

#[cfg(any(feature = "cuda", feature = "wgpu"))]
impl ProjectionOps for GpuBackend {
    fn project(x: FloatTensor<Self>, weight: FloatTensor<Self>) -> FloatTensor<Self> {
        host_forward::<Self>(x, weight)
    }
}

/// The backward step: eqs. L2 and L3 at the saved inputs.
#[derive(Debug)]
struct ProjectionBackward;

impl<B: Backend> Backward<B, 2> for ProjectionBackward {
    type State = (FloatTensor<B>, FloatTensor<B>);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let (x, weight) = ops.state;
        let grad = grads.consume::<B>(&ops.node);
        let ([rows, inner], out) = ([x.shape()[0], x.shape()[1]], weight.shape()[1]);
        let [x_node, weight_node] = ops.parents;
        if let Some(node) = x_node {
            // Eq. L2 as (W Gᵀ)ᵀ: written row-major as `[in, rows]` (which is G Wᵀ column-major,
            // so `gemm` reads W in place), then transposed.
            let d_x =
                product_on_host::<B>((inner, rows, out), (&weight, out, 1), (&grad, 1, out), true);
            grads.register::<B>(node.id, d_x);
        }
        if let Some(node) = weight_node {
            // Eq. L3: Xᵀ G, row-major `[in, out]`.
            let d_weight =
                product_on_host::<B>((inner, out, rows), (&x, 1, inner), (&grad, out, 1), false);
            grads.register::<B>(node.id, d_weight);
        }
    }
}

impl<B: ProjectionOps, C: CheckpointStrategy> ProjectionOps for Autodiff<B, C> {
    fn project(x: FloatTensor<Self>, weight: FloatTensor<Self>) -> FloatTensor<Self> {
        let (x, x_guard) = x.into_parts();
        let (weight, weight_guard) = weight.into_parts();
        match ProjectionBackward.prepare::<C>([x_guard, weight_guard]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let y = B::project(x.clone(), weight.clone());
                prep.finish((x, weight), y)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::project(x, weight)),
        }
    }
}

/// Eq. L1: row-major, which `gemm` computes as $W^T X^T$ with $W^T$ read in place.
fn host_forward<B: Backend>(x: FloatTensor<B>, weight: FloatTensor<B>) -> FloatTensor<B> {
    let ([rows, inner], out) = ([x.shape()[0], x.shape()[1]], weight.shape()[1]);
    product_on_host::<B>((rows, out, inner), (&x, inner, 1), (&weight, out, 1), false)
}

/// A factor of [`product_on_host`]: a tensor with its (row, column) strides.
type Factor<'a, B> = (&'a FloatTensor<B>, usize, usize);

/// `lhs · rhs`, `m × n` with `k` inner terms, row-major `[m, n]` or, with `transpose`,
/// `[n, m]`, computed in the factors' precision (f64 for f64, f32 otherwise).
fn product_on_host<B: Backend>(
    (m, n, k): (usize, usize, usize),
    lhs: Factor<'_, B>,
    rhs: Factor<'_, B>,
    transpose: bool,
) -> FloatTensor<B> {
    if is_f64(lhs.0.dtype()) {
        product_on_host_as::<B, f64>((m, n, k), lhs, rhs, transpose)
    } else {
        product_on_host_as::<B, f32>((m, n, k), lhs, rhs, transpose)
    }
}

/// [`product_on_host`] computing in `T`.
fn product_on_host_as<B: Backend, T: Scalar + Element + Pod>(
    (m, n, k): (usize, usize, usize),
    (lhs, lhs_rs, lhs_cs): Factor<'_, B>,
    (rhs, rhs_rs, rhs_cs): Factor<'_, B>,
    transpose: bool,
) -> FloatTensor<B> {
    let mut out = vec![T::ZERO; m * n];
    product(
        (m, n, k),
        Matrix { data: &mut out, row_stride: n, accumulate: false },
        (&values::<B, T>(lhs), lhs_rs, lhs_cs),
        (&values::<B, T>(rhs), rhs_rs, rhs_cs),
        parallelism_for(m, n, k),
    );
    let (out, dims) = if transpose { (transposed(&out, m, n), [n, m]) } else { (out, [m, n]) };
    write::<B, T>(out, dims.to_vec(), lhs.dtype(), &lhs.device())
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;
    use deepsig_testutil::Rng;

    /// Values and both gradients against burn's matmul, on a loss that weighs every output
    /// differently, with sizes that fill no register or tile evenly.
    #[test]
    fn values_and_gradients_match_burns_matmul() {
        let device = burn::tensor::Device::default().autodiff();
        let (rows, inner, out) = (5, 37, 21);
        let mut rng = Rng(9);
        let (x, w, mix) =
            (rng.vec_f32(rows * inner), rng.vec_f32(inner * out), rng.vec_f32(rows * out));
        let host = |t: Tensor<2>| t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap();
        let run = |op: bool| {
            let xt = Tensor::<2>::from_data(TensorData::new(x.clone(), [rows, inner]), &device)
                .require_grad();
            let wt = Tensor::<2>::from_data(TensorData::new(w.clone(), [inner, out]), &device)
                .require_grad();
            let y =
                if op { project(xt.clone(), wt.clone()) } else { xt.clone().matmul(wt.clone()) };
            let weights =
                Tensor::<2>::from_data(TensorData::new(mix.clone(), [rows, out]), &device);
            let grads = (y.clone() * weights).sum().backward();
            [host(y), host(xt.grad(&grads).unwrap()), host(wt.grad(&grads).unwrap())]
        };
        let (ours, burns) = (run(true), run(false));
        for (what, (a, b)) in ["y", "dx", "dw"].iter().zip(ours.iter().zip(&burns)) {
            let err = a.iter().zip(b).map(|(p, q)| (p - q).abs()).fold(0.0f32, f32::max);
            assert!(err <= 1e-5, "{what}: differ by {err}");
        }
    }
}
