//! A differentiable path (log-)signature layer on burn tensors.
//!
//! The layer is a custom autodiff operation: its forward runs [`deepsig_signature::signature`]
//! and its backward [`deepsig_signature::signature_backward`], so values and gradients are
//! exactly the engine's (any depth, `words` log-signature or signature, every augmentation)
//! and the backward keeps the engine's O(C)-per-path memory instead of a tape of tensor ops.
//!
//! Both run on the host: the path is copied into a `Vec<f32>` (or `Vec<f64>` for an f64
//! tensor), computed, and copied back. On the CPU that copy is a memcpy; on a GPU it is a
//! transfer of `batch * length * channels` numbers, small next to the model at these sizes.
//!
//! How the op is wired into burn 0.22 (see `burn-backend-extension`): `#[backend_extension]`
//! on a trait generates its `Dispatch` implementation, which routes a call to the backend the
//! tensor lives on. That backend's implementation is the host computation; the
//! `Autodiff<B, C>` implementation records a [`Backward`] step whose state is the input path.

use burn::backend::autodiff::checkpoint::{base::Checkpointer, strategy::CheckpointStrategy};
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind, unary};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Dispatch, TensorMetadata, backend_extension};
use burn::tensor::{Shape, Tensor};
use deepsig_signature::{Depth, LogMode, PathShape, Scalar, SigOptions};

use crate::backend::CpuBackend;
#[cfg(any(feature = "cuda", feature = "wgpu"))]
use crate::backend::GpuBackend;
use crate::host::{is_f64, values, write};

/// Why a path batch cannot go through the signature layer. Checked from shapes alone, before
/// any data is read, so the op itself never meets an invalid shape.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SigLayerError {
    /// The options ask for a stream of signatures; this layer returns one per path.
    #[error("the signature layer returns one signature per path: stream must be off")]
    Stream,
    /// The signature engine rejects this shape with these options (no channels, a path shorter
    /// than two points after augmentation, or an output too large).
    #[error("signature layer: {0}")]
    Shape(deepsig_signature::Error),
}

/// A parameter-free layer: `[batch, length, channels]` paths to `[batch, C]` (log-)signatures.
///
/// Inside a `#[derive(Module)]` struct, mark the field `#[module(skip)]`: it holds no tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigLayer {
    opts: SigOptions,
}

impl SigLayer {
    /// A layer computing exactly what `opts` says. `opts.stream` must be off.
    pub fn new(opts: SigOptions) -> Result<SigLayer, SigLayerError> {
        if opts.stream {
            return Err(SigLayerError::Stream);
        }
        Ok(SigLayer { opts })
    }

    /// The `words` log-signature at `depth` (signatory's default log-signature).
    pub fn logsignature(depth: Depth) -> SigLayer {
        SigLayer { opts: SigOptions::logsignature(depth, LogMode::Words) }
    }

    /// The signature at `depth`.
    pub fn signature(depth: Depth) -> SigLayer {
        SigLayer { opts: SigOptions::signature(depth) }
    }

    /// The options this layer computes with.
    pub fn options(&self) -> &SigOptions {
        &self.opts
    }

    /// Output channels `C` for paths of `channels` channels.
    pub fn output_channels(&self, channels: usize) -> Result<usize, SigLayerError> {
        self.opts.output_channels(channels).map_err(SigLayerError::Shape)
    }

    /// The (log-)signature of each path of `path` (`[batch, length, channels]`), as
    /// `[batch, C]`, differentiable with respect to `path` when it is tracked by autodiff.
    ///
    /// Computed in f64 for an f64 tensor and in f32 otherwise. A path holding a NaN or an
    /// infinity gives NaN outputs (and NaN gradients), as any tensor operation would, so a
    /// diverging run shows up as a non-finite loss rather than a panic inside the op.
    pub fn forward(&self, path: Tensor<3>) -> Result<Tensor<2>, SigLayerError> {
        let [batch, length, channels] = path.dims();
        let shape = PathShape { batch, length, channels };
        check_shape(shape, &self.opts)?;
        let out = <Dispatch as SignatureOps>::path_signature(path.into_dispatch(), self.opts);
        Ok(Tensor::from_dispatch(out))
    }
}

/// Everything the engine would reject for this shape, found without reading any data: the
/// forward below assumes it holds.
fn check_shape(shape: PathShape, opts: &SigOptions) -> Result<(), SigLayerError> {
    if opts.stream {
        return Err(SigLayerError::Stream);
    }
    opts.output_shape(shape).map_err(SigLayerError::Shape)?;
    let (length, _) = opts.augmented_shape(shape.length, shape.channels);
    if shape.length == 0 || length < 2 {
        return Err(SigLayerError::Shape(deepsig_signature::Error::TooShort {
            points: length.min(shape.length),
        }));
    }
    Ok(())
}

/// The backend operation behind [`SigLayer::forward`]. `path` is `[batch, length, channels]`,
/// the result `[batch, C]`; shapes are checked before the call.
#[backend_extension(Flex, Autodiff, Cube: cfg(any(feature = "cuda", feature = "wgpu")))]
trait SignatureOps: Backend {
    fn path_signature(path: FloatTensor<Self>, opts: SigOptions) -> FloatTensor<Self>;
}

impl SignatureOps for CpuBackend {
    fn path_signature(path: FloatTensor<Self>, opts: SigOptions) -> FloatTensor<Self> {
        host_forward::<Self>(path, &opts)
    }
}

#[cfg(any(feature = "cuda", feature = "wgpu"))]
impl SignatureOps for GpuBackend {
    fn path_signature(path: FloatTensor<Self>, opts: SigOptions) -> FloatTensor<Self> {
        host_forward::<Self>(path, &opts)
    }
}

/// The backward step: the vector-Jacobian product of the signature at the saved input path.
#[derive(Debug)]
struct SignatureBackward;

impl<B: Backend> Backward<B, 1> for SignatureBackward {
    /// The input path and the options: all the engine's backward needs. Keeping the input
    /// (not the output) is what lets the engine recover every prefix signature in O(C) memory.
    type State = (FloatTensor<B>, SigOptions);

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let (path, opts) = ops.state;
        unary::<B, _>(ops.parents, ops.node, grads, |grad| host_backward::<B>(path, grad, &opts));
    }
}

impl<B: SignatureOps, C: CheckpointStrategy> SignatureOps for Autodiff<B, C> {
    fn path_signature(path: FloatTensor<Self>, opts: SigOptions) -> FloatTensor<Self> {
        let (primitive, guard) = path.into_parts();
        // Compute-bound: a checkpointing strategy must keep the output, never re-run the op.
        match SignatureBackward.prepare::<C>([guard]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let out = B::path_signature(primitive.clone(), opts);
                prep.finish((primitive, opts), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::path_signature(primitive, opts)),
        }
    }
}

fn path_shape(shape: &Shape) -> PathShape {
    PathShape { batch: shape[0], length: shape[1], channels: shape[2] }
}

fn host_forward<B: Backend>(path: FloatTensor<B>, opts: &SigOptions) -> FloatTensor<B> {
    let (device, dtype, shape) = (path.device(), path.dtype(), path_shape(&path.shape()));
    let dims = vec![shape.batch, opts.output_channels(shape.channels).expect("checked shape")];
    if is_f64(dtype) {
        let out = forward_values(&values::<B, f64>(&path), shape, opts, dims[0] * dims[1]);
        write::<B, f64>(out, dims, dtype, &device)
    } else {
        let out = forward_values(&values::<B, f32>(&path), shape, opts, dims[0] * dims[1]);
        write::<B, f32>(out, dims, dtype, &device)
    }
}

fn forward_values<T: Scalar>(
    path: &[T],
    shape: PathShape,
    opts: &SigOptions,
    len: usize,
) -> Vec<T> {
    match deepsig_signature::signature(path, shape, opts) {
        Ok(out) => out,
        // Shapes were checked, so the engine refused the values: a NaN or an infinity.
        Err(_) => vec![T::from_f64(f64::NAN); len],
    }
}

fn host_backward<B: Backend>(
    path: FloatTensor<B>,
    grad: FloatTensor<B>,
    opts: &SigOptions,
) -> FloatTensor<B> {
    let (device, dtype, dims) = (path.device(), path.dtype(), path.shape().to_vec());
    let shape = path_shape(&path.shape());
    if is_f64(dtype) {
        let out = backward_values(&values::<B, f64>(&path), shape, &values::<B, f64>(&grad), opts);
        write::<B, f64>(out, dims, dtype, &device)
    } else {
        let out = backward_values(&values::<B, f32>(&path), shape, &values::<B, f32>(&grad), opts);
        write::<B, f32>(out, dims, dtype, &device)
    }
}

fn backward_values<T: Scalar>(
    path: &[T],
    shape: PathShape,
    grad: &[T],
    opts: &SigOptions,
) -> Vec<T> {
    match deepsig_signature::signature_backward(path, shape, grad, opts) {
        Ok(out) => out,
        // A non-finite path or output gradient: propagate NaN like any tensor op.
        Err(_) => vec![T::from_f64(f64::NAN); path.len()],
    }
}
