//! The first GCN layer and its mean over frames as one operation (docs/method.md, "The first
//! layer as one operation", eqs. G1-G3).
//!
//! Written as tensor operations, the layer makes `[windows · frames, atoms, hidden]` tensors
//! five times over (the product, the type offset, the ReLU, and in the backward the mean's
//! broadcast gradient and the ReLU mask) only to average them over frames. On small systems
//! those passes and their allocations were a quarter of a training epoch (BENCHMARKS.md, "The
//! first layer as one operation"). Here the forward writes only the mean `[windows, atoms,
//! hidden]`, and the backward recomputes each pre-activation (a product of `channels` terms)
//! instead of keeping a mask.
//!
//! It runs on the host, like the signature layer (`sig_layer`), and is wired into burn the
//! same way. The encoder uses it on the CPU only; on a GPU the tensor operations stay, since
//! the propagated coordinates already live on the device there.

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
use kernels::{backward, forward};

mod kernels;

/// $\bar H_w = \frac1T \sum_t \mathrm{ReLU}(P_{w,t} W + Y)$ (eq. G1) for `p` `[windows, frames,
/// atoms, channels]`, `weight` `[channels, hidden]` and `offset` `[atoms, hidden]` (the bias
/// and the propagated types' term, the same on every frame): `[windows, atoms, hidden]`.
///
/// Differentiable with respect to `weight` and `offset` (eqs. G2, G3). `p` is data (the
/// propagated coordinates): no gradient flows back to it.
///
/// # Panics
/// When the shapes disagree (`weight`'s rows are not `p`'s channels, or `offset` is not
/// `[atoms, hidden]`) or `p` has no frame, atom or channel: the encoder builds all three from
/// one configuration, and a window has frames and atoms.
pub fn frame_mean_relu(p: Tensor<4>, weight: Tensor<2>, offset: Tensor<2>) -> Tensor<3> {
    let [windows, frames, atoms, channels] = p.dims();
    assert!(frames > 0 && atoms > 0 && channels > 0, "first layer: empty input {:?}", p.dims());
    let [rows, hidden] = weight.dims();
    assert_eq!(rows, channels, "first layer: weight rows must equal the input channels");
    assert_eq!(offset.dims(), [atoms, hidden], "first layer: offset must be [atoms, hidden]");
    let out = <Dispatch as FrameMeanOps>::frame_mean_relu(
        p.into_dispatch(),
        weight.into_dispatch(),
        offset.into_dispatch(),
    );
    let out: Tensor<3> = Tensor::from_dispatch(out);
    debug_assert_eq!(out.dims(), [windows, atoms, hidden]);
    out
}

/// The backend operation behind [`frame_mean_relu`]; shapes are checked before the call.
#[backend_extension(Flex, Autodiff, Cube: cfg(any(feature = "cuda", feature = "wgpu")))]
trait FrameMeanOps: Backend {
    fn frame_mean_relu(
        p: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        offset: FloatTensor<Self>,
    ) -> FloatTensor<Self>;
}

impl FrameMeanOps for CpuBackend {
    fn frame_mean_relu(
        p: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        offset: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        host_forward::<Self>(p, weight, offset)
    }
}

#[cfg(any(feature = "cuda", feature = "wgpu"))]
impl FrameMeanOps for GpuBackend {
    fn frame_mean_relu(
        p: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        offset: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        host_forward::<Self>(p, weight, offset)
    }
}

/// The backward step: eqs. G2 and G3 at the saved inputs.
#[derive(Debug)]
struct FrameMeanBackward;

impl<B: Backend> Backward<B, 2> for FrameMeanBackward {
    /// The inputs: the backward recomputes the pre-activations from them.
    type State = (FloatTensor<B>, FloatTensor<B>, FloatTensor<B>);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let (p, weight, offset) = ops.state;
        let grad = grads.consume::<B>(&ops.node);
        let [weight_node, offset_node] = ops.parents;
        if weight_node.is_none() && offset_node.is_none() {
            return;
        }
        let (d_weight, d_offset) = host_backward::<B>(p, weight, offset, grad);
        if let Some(node) = weight_node {
            grads.register::<B>(node.id, d_weight);
        }
        if let Some(node) = offset_node {
            grads.register::<B>(node.id, d_offset);
        }
    }
}

impl<B: FrameMeanOps, C: CheckpointStrategy> FrameMeanOps for Autodiff<B, C> {
    fn frame_mean_relu(
        p: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        offset: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        let p = p.into_primitive();
        let (weight, weight_guard) = weight.into_parts();
        let (offset, offset_guard) = offset.into_parts();
        match FrameMeanBackward
            .prepare::<C>([weight_guard, offset_guard])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let out = B::frame_mean_relu(p.clone(), weight.clone(), offset.clone());
                prep.finish((p, weight, offset), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::frame_mean_relu(p, weight, offset)),
        }
    }
}

/// The sizes of one call.
#[derive(Debug, Clone, Copy)]
pub(super) struct Dims {
    pub(super) windows: usize,
    pub(super) frames: usize,
    pub(super) atoms: usize,
    pub(super) channels: usize,
    pub(super) hidden: usize,
}

impl Dims {
    fn of<B: Backend>(p: &FloatTensor<B>, weight: &FloatTensor<B>) -> Dims {
        let (ps, ws) = (p.shape(), weight.shape());
        Dims { windows: ps[0], frames: ps[1], atoms: ps[2], channels: ps[3], hidden: ws[1] }
    }

    pub(super) fn frame_len(&self) -> usize {
        self.atoms * self.channels
    }

    pub(super) fn out_len(&self) -> usize {
        self.atoms * self.hidden
    }
}

fn host_forward<B: Backend>(
    p: FloatTensor<B>,
    weight: FloatTensor<B>,
    offset: FloatTensor<B>,
) -> FloatTensor<B> {
    if is_f64(p.dtype()) {
        host_forward_as::<B, f64>(p, weight, offset)
    } else {
        host_forward_as::<B, f32>(p, weight, offset)
    }
}

/// [`host_forward`] computing in `T`.
fn host_forward_as<B: Backend, T: Scalar + Element + Pod>(
    p: FloatTensor<B>,
    weight: FloatTensor<B>,
    offset: FloatTensor<B>,
) -> FloatTensor<B> {
    let (device, dtype, dims) = (p.device(), p.dtype(), Dims::of::<B>(&p, &weight));
    let (p, weight, offset) =
        (values::<B, T>(&p), values::<B, T>(&weight), values::<B, T>(&offset));
    let out = forward::<T>(&p, &weight, &offset, dims);
    write::<B, T>(out, vec![dims.windows, dims.atoms, dims.hidden], dtype, &device)
}

fn host_backward<B: Backend>(
    p: FloatTensor<B>,
    weight: FloatTensor<B>,
    offset: FloatTensor<B>,
    grad: FloatTensor<B>,
) -> (FloatTensor<B>, FloatTensor<B>) {
    if is_f64(p.dtype()) {
        host_backward_as::<B, f64>(p, weight, offset, grad)
    } else {
        host_backward_as::<B, f32>(p, weight, offset, grad)
    }
}

/// [`host_backward`] computing in `T`.
fn host_backward_as<B: Backend, T: Scalar + Element + Pod>(
    p: FloatTensor<B>,
    weight: FloatTensor<B>,
    offset: FloatTensor<B>,
    grad: FloatTensor<B>,
) -> (FloatTensor<B>, FloatTensor<B>) {
    let (device, dtype, dims) = (p.device(), p.dtype(), Dims::of::<B>(&p, &weight));
    let (weight_shape, offset_shape) = (weight.shape().to_vec(), offset.shape().to_vec());
    let (p, weight) = (values::<B, T>(&p), values::<B, T>(&weight));
    let (offset, grad) = (values::<B, T>(&offset), values::<B, T>(&grad));
    let (d_weight, d_offset) = backward::<T>(&p, &weight, &offset, &grad, dims);
    (
        write::<B, T>(d_weight, weight_shape, dtype, &device),
        write::<B, T>(d_offset, offset_shape, dtype, &device),
    )
}
