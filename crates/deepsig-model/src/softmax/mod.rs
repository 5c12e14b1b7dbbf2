//! The pooling levels' assignment softmax (of tanh-bounded logits with `tanh_logits`) as one
//! operation (docs/method.md, "The assignment softmax as one operation", eqs. S1-S3).
//!
//! As tensor operations the softmax makes five passes over the `[windows, atoms, 8K]` logits
//! forward (tanh, max, difference, exponential, sum and quotient) and as many backward, each
//! with its own allocation, and its exponentials are libm calls, one number at a time: about
//! a twentieth of a training epoch at GPCR size. Here the forward is one pass per row and the
//! backward another, on vectorised polynomials.
//!
//! It runs on the host and is wired into burn as the signature layer is (`sig_layer`). The
//! encoder uses it on the CPU only; on a GPU the tensor operations stay.

use burn::backend::autodiff::checkpoint::{base::Checkpointer, strategy::CheckpointStrategy};
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind, unary};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Dispatch, TensorMetadata, backend_extension};
use burn::tensor::{Element, Tensor};
use bytemuck::Pod;

use crate::backend::CpuBackend;
#[cfg(any(feature = "cuda", feature = "wgpu"))]
use crate::backend::GpuBackend;
use crate::host::{is_f64, values, write};
use crate::real::Real;
use kernels::{backward, forward};

mod kernels;

/// $\mathrm{softmax}(z)$ over the last axis of `logits` `[..., clusters]`, with $z$ the logits
/// or, with `tanh`, their tanh (eq. S1). Differentiable with respect to the logits (eqs. S2,
/// S3).
///
/// # Panics
/// When the last axis is empty: an assignment has at least one cluster.
pub fn assignment_softmax<const D: usize>(logits: Tensor<D>, tanh: bool) -> Tensor<D> {
    assert!(logits.dims()[D - 1] > 0, "assignment softmax: no cluster in {:?}", logits.dims());
    let out = <Dispatch as SoftmaxOps>::assignment_softmax(logits.into_dispatch(), tanh);
    Tensor::from_dispatch(out)
}

/// The backend operation behind [`assignment_softmax`].
#[backend_extension(Flex, Autodiff, Cube: cfg(any(feature = "cuda", feature = "wgpu")))]
trait SoftmaxOps: Backend {
    fn assignment_softmax(logits: FloatTensor<Self>, tanh: bool) -> FloatTensor<Self>;
}

impl SoftmaxOps for CpuBackend {
    fn assignment_softmax(logits: FloatTensor<Self>, tanh: bool) -> FloatTensor<Self> {
        host_forward::<Self>(logits, tanh)
    }
}

#[cfg(any(feature = "cuda", feature = "wgpu"))]
impl SoftmaxOps for GpuBackend {
    fn assignment_softmax(logits: FloatTensor<Self>, tanh: bool) -> FloatTensor<Self> {
        host_forward::<Self>(logits, tanh)
    }
}

/// The backward step: eqs. S2 and S3 from the output and, with tanh, the logits.
#[derive(Debug)]
struct SoftmaxBackward;

impl<B: Backend> Backward<B, 1> for SoftmaxBackward {
    /// The output, and the logits where the tanh's derivative needs them.
    type State = (FloatTensor<B>, Option<FloatTensor<B>>);

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let (s, logits) = ops.state;
        unary::<B, _>(ops.parents, ops.node, grads, |grad| host_backward::<B>(s, grad, logits));
    }
}

impl<B: SoftmaxOps, C: CheckpointStrategy> SoftmaxOps for Autodiff<B, C> {
    fn assignment_softmax(logits: FloatTensor<Self>, tanh: bool) -> FloatTensor<Self> {
        let (logits, guard) = logits.into_parts();
        match SoftmaxBackward.prepare::<C>([guard]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let s = B::assignment_softmax(logits.clone(), tanh);
                prep.finish((s.clone(), tanh.then_some(logits)), s)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::assignment_softmax(logits, tanh)),
        }
    }
}

fn host_forward<B: Backend>(logits: FloatTensor<B>, tanh: bool) -> FloatTensor<B> {
    if is_f64(logits.dtype()) {
        host_forward_as::<B, f64>(logits, tanh)
    } else {
        host_forward_as::<B, f32>(logits, tanh)
    }
}

/// [`host_forward`] computing in `T`.
fn host_forward_as<B: Backend, T: Real + Element + Pod>(
    logits: FloatTensor<B>,
    tanh: bool,
) -> FloatTensor<B> {
    let (device, dtype, dims) = (logits.device(), logits.dtype(), logits.shape().to_vec());
    let clusters = dims[dims.len() - 1];
    let s = forward::<T>(&values::<B, T>(&logits), clusters, tanh);
    write::<B, T>(s, dims, dtype, &device)
}

fn host_backward<B: Backend>(
    s: FloatTensor<B>,
    grad: FloatTensor<B>,
    logits: Option<FloatTensor<B>>,
) -> FloatTensor<B> {
    if is_f64(s.dtype()) {
        host_backward_as::<B, f64>(s, grad, logits)
    } else {
        host_backward_as::<B, f32>(s, grad, logits)
    }
}

/// [`host_backward`] computing in `T`.
fn host_backward_as<B: Backend, T: Real + Element + Pod>(
    s: FloatTensor<B>,
    grad: FloatTensor<B>,
    logits: Option<FloatTensor<B>>,
) -> FloatTensor<B> {
    let (device, dtype, dims) = (s.device(), s.dtype(), s.shape().to_vec());
    let clusters = dims[dims.len() - 1];
    let logits = logits.as_ref().map(|logits| values::<B, T>(logits));
    let d_logits = backward::<T>(
        &values::<B, T>(&s),
        &values::<B, T>(&grad),
        logits.as_deref().unwrap_or(&[]),
        clusters,
        logits.is_some(),
    );
    write::<B, T>(d_logits, dims, dtype, &device)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;
    use deepsig_testutil::Rng;

    /// The op's values and gradients against burn's tensor operations (`softmax` of `tanh`),
    /// on logits with a row of equal values, a row of large ones and clusters not a multiple
    /// of the kernels' lanes.
    #[test]
    fn values_and_gradients_match_the_tensor_operations() {
        let device = burn::tensor::Device::default().autodiff();
        let (w, n, c) = (2, 7, 19);
        let mut rng = Rng(3);
        let mut logits: Vec<f32> = rng.vec_f32(w * n * c).iter().map(|v| 3.0 * v).collect();
        logits[..c].fill(0.25);
        logits[c..2 * c].iter_mut().for_each(|v| *v += 60.0);
        let weights = rng.vec_f32(w * n * c);
        let host = |t: Tensor<3>| t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap();
        for tanh in [false, true] {
            let run = |op: bool| {
                let l = Tensor::<3>::from_data(TensorData::new(logits.clone(), [w, n, c]), &device)
                    .require_grad();
                let s = if op {
                    assignment_softmax(l.clone(), tanh)
                } else {
                    burn::tensor::activation::softmax(
                        if tanh { l.clone().tanh() } else { l.clone() },
                        2,
                    )
                };
                let g =
                    Tensor::<3>::from_data(TensorData::new(weights.clone(), [w, n, c]), &device);
                let grads = (s.clone() * g).sum().backward();
                (host(s), host(l.grad(&grads).unwrap()))
            };
            let ((s, d), (s_ref, d_ref)) = (run(true), run(false));
            for (i, (a, b)) in s.iter().zip(&s_ref).enumerate() {
                assert!((a - b).abs() <= 2e-7 + 2e-6 * b.abs(), "tanh {tanh}: s[{i}] {a} vs {b}");
            }
            for (i, (a, b)) in d.iter().zip(&d_ref).enumerate() {
                assert!((a - b).abs() <= 1e-6 + 1e-5 * b.abs(), "tanh {tanh}: d[{i}] {a} vs {b}");
            }
            for row in s.chunks(c) {
                assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
            }
        }
    }
}
