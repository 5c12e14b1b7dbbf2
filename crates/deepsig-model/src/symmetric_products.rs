//! The first pooling level's two products, $S^T S$ and $S^T (A S)$, as one host operation on
//! an undirected graph (docs/method.md, "The first pooling level as one operation", eqs.
//! P1-P3).
//!
//! Both products are symmetric when $A$ is, so only their upper triangles are multiplied: in
//! blocks of [`BLOCK`] rows, each block of $S^T$ times the columns from the block's first
//! on, then mirrored. That is about half the multiply-adds of the full $S^T [S \mid AS]$ the
//! tensor operations take, the model's largest product at GPCR size (BENCHMARKS.md, "The
//! first pooling level's products at half the cost"). The backward is eq. P3: one product
//! $S \cdot [\bar G_G \mid \bar G_P]$ and a sum over the edges.
//!
//! Wired into burn like the first layer (`first_layer`); `pooling.rs` uses it on the CPU for
//! undirected graphs only. GPUs and the reference's directed graph keep the tensor
//! operations.

use std::sync::Arc;

use burn::backend::autodiff::checkpoint::{base::Checkpointer, strategy::CheckpointStrategy};
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Dispatch, TensorMetadata, backend_extension};
use burn::tensor::{Element, Tensor};
use bytemuck::Pod;
use deepsig_signature::Scalar;
use gemm::Parallelism;
use rayon::prelude::*;

use crate::backend::CpuBackend;
#[cfg(any(feature = "cuda", feature = "wgpu"))]
use crate::backend::GpuBackend;
use crate::host::{is_f64, values, write};
use crate::host_product::{Matrix, product};

/// A graph's edges on the host: $(AS)_i = \sum S_j$ over the edges `dst = i`, `src = j`.
/// Behind an `Arc`, so the op's autodiff record shares them instead of copying.
#[derive(Debug, Clone)]
pub(crate) struct Edges(pub(crate) Arc<EdgeList>);

/// The edges of [`Edges`], as atom indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EdgeList {
    pub(crate) src: Vec<u32>,
    pub(crate) dst: Vec<u32>,
}

/// `[SᵀS | Sᵀ(AS)]` of each window, `[windows, clusters, 2·clusters]`, for `s` `[windows,
/// atoms, clusters]` and a symmetric $A$ (every edge listed both ways) given by `edges` (eq.
/// P1). Both halves are exactly symmetric. Differentiable with respect to `s` (eq. P3).
///
/// # Panics
/// When an edge names an atom outside `s`, or `s` is empty: the graph and the assignment are
/// built for the same system.
pub(crate) fn gram_and_pooled(s: Tensor<3>, edges: &Edges) -> Tensor<3> {
    let [windows, atoms, clusters] = s.dims();
    assert!(windows > 0 && atoms > 0 && clusters > 0, "pooling products: empty {:?}", s.dims());
    let list = &edges.0;
    assert_eq!(list.src.len(), list.dst.len(), "pooling products: unpaired edges");
    let outside = list.src.iter().chain(&list.dst).any(|&i| i as usize >= atoms);
    assert!(!outside, "pooling products: an edge names an atom outside 0..{atoms}");
    let out = <Dispatch as SymmetricProductOps>::gram_and_pooled(s.into_dispatch(), edges.clone());
    Tensor::from_dispatch(out)
}

/// The backend operation behind [`gram_and_pooled`]; shapes are checked before the call.
#[backend_extension(Flex, Autodiff, Cube: cfg(any(feature = "cuda", feature = "wgpu")))]
trait SymmetricProductOps: Backend {
    fn gram_and_pooled(s: FloatTensor<Self>, edges: Edges) -> FloatTensor<Self>;
}

impl SymmetricProductOps for CpuBackend {
    fn gram_and_pooled(s: FloatTensor<Self>, edges: Edges) -> FloatTensor<Self> {
        host_forward::<Self>(s, &edges.0)
    }
}

#[cfg(any(feature = "cuda", feature = "wgpu"))]
impl SymmetricProductOps for GpuBackend {
    fn gram_and_pooled(s: FloatTensor<Self>, edges: Edges) -> FloatTensor<Self> {
        host_forward::<Self>(s, &edges.0)
    }
}

/// The backward step: eq. P3 at the saved assignment.
#[derive(Debug)]
struct SymmetricProductsBackward;

impl<B: Backend> Backward<B, 1> for SymmetricProductsBackward {
    type State = (FloatTensor<B>, Edges);

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let (s, edges) = ops.state;
        let grad = grads.consume::<B>(&ops.node);
        let [s_node] = ops.parents;
        if let Some(node) = s_node {
            grads.register::<B>(node.id, host_backward::<B>(s, &edges.0, grad));
        }
    }
}

impl<B: SymmetricProductOps, C: CheckpointStrategy> SymmetricProductOps for Autodiff<B, C> {
    fn gram_and_pooled(s: FloatTensor<Self>, edges: Edges) -> FloatTensor<Self> {
        let (s, guard) = s.into_parts();
        match SymmetricProductsBackward.prepare::<C>([guard]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let out = B::gram_and_pooled(s.clone(), edges.clone());
                prep.finish((s, edges), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::gram_and_pooled(s, edges)),
        }
    }
}

/// Rows of Sᵀ per block of the upper triangle: at 1,240 atoms and 400 clusters (one thread,
/// three rounds; BENCHMARKS.md) blocks of 32 rows took 0.51-0.69 of the full product's time,
/// of 64 0.55-0.73, of 128 0.60-0.75.
const BLOCK: usize = 32;

fn host_forward<B: Backend>(s: FloatTensor<B>, edges: &EdgeList) -> FloatTensor<B> {
    if is_f64(s.dtype()) {
        host_forward_as::<B, f64>(s, edges)
    } else {
        host_forward_as::<B, f32>(s, edges)
    }
}

/// [`host_forward`] computing in `T`: each window's products, windows in parallel.
fn host_forward_as<B: Backend, T: Scalar + Element + Pod>(
    s: FloatTensor<B>,
    edges: &EdgeList,
) -> FloatTensor<B> {
    let (device, dtype, shape) = (s.device(), s.dtype(), s.shape());
    let (windows, atoms, clusters) = (shape[0], shape[1], shape[2]);
    let s = values::<B, T>(&s);
    let mut out = vec![T::ZERO; windows * 2 * clusters * clusters];
    let inner = inner_parallelism(windows);
    out.par_chunks_mut(2 * clusters * clusters).zip(s.par_chunks(atoms * clusters)).for_each(
        |(out, s)| {
            let a_s = propagate(s, edges, atoms, clusters);
            upper_products(s, &a_s, out, (atoms, clusters), inner);
            mirror(out, clusters);
        },
    );
    write::<B, T>(out, vec![windows, clusters, 2 * clusters], dtype, &device)
}

fn host_backward<B: Backend>(
    s: FloatTensor<B>,
    edges: &EdgeList,
    grad: FloatTensor<B>,
) -> FloatTensor<B> {
    if is_f64(s.dtype()) {
        host_backward_as::<B, f64>(s, edges, grad)
    } else {
        host_backward_as::<B, f32>(s, edges, grad)
    }
}

/// [`host_backward`] computing in `T`: eq. P3 per window, windows in parallel.
fn host_backward_as<B: Backend, T: Scalar + Element + Pod>(
    s: FloatTensor<B>,
    edges: &EdgeList,
    grad: FloatTensor<B>,
) -> FloatTensor<B> {
    let (device, dtype, shape) = (s.device(), s.dtype(), s.shape());
    let (windows, atoms, clusters) = (shape[0], shape[1], shape[2]);
    let (s, grad) = (values::<B, T>(&s), values::<B, T>(&grad));
    let width = 2 * clusters;
    let mut d_s = vec![T::ZERO; s.len()];
    let inner = inner_parallelism(windows);
    let per_window = d_s.par_chunks_mut(atoms * clusters).zip(s.par_chunks(atoms * clusters));
    per_window.zip(grad.par_chunks(clusters * width)).for_each(|((d_s, s), grad)| {
        // Ḡ + Ḡᵀ of each half: the outputs are symmetric functions of S.
        let mut sym = vec![T::ZERO; clusters * width];
        for_each_in_blocks(clusters, |i, j| {
            for half in [0, clusters] {
                sym[i * width + half + j] = grad[i * width + half + j] + grad[j * width + half + i];
            }
        });
        let mut y = vec![T::ZERO; atoms * width];
        // y = S · [Ḡ_G + Ḡ_Gᵀ | Ḡ_P + Ḡ_Pᵀ], [atoms, 2c].
        product(
            (atoms, width, clusters),
            Matrix { data: &mut y, row_stride: width, accumulate: false },
            (s, clusters, 1),
            (&sym, width, 1),
            inner,
        );
        for (d_row, y_row) in d_s.chunks_exact_mut(clusters).zip(y.chunks_exact(width)) {
            d_row.copy_from_slice(&y_row[..clusters]);
        }
        // + A · (S (Ḡ_P + Ḡ_Pᵀ)), the right half of y's rows.
        add_along_edges(edges, (&y[clusters..], width), d_s, clusters);
    });
    write::<B, T>(d_s, vec![windows, atoms, clusters], dtype, &device)
}

/// The matrix products' own threads when one window is all there is (GPCR size), none when
/// the windows already run in parallel.
fn inner_parallelism(windows: usize) -> Parallelism {
    if windows == 1 { Parallelism::Rayon(0) } else { Parallelism::None }
}

/// `A S` of one window, `[atoms, clusters]`.
fn propagate<T: Scalar>(s: &[T], edges: &EdgeList, atoms: usize, clusters: usize) -> Vec<T> {
    let mut a_s = vec![T::ZERO; atoms * clusters];
    add_along_edges(edges, (s, clusters), &mut a_s, clusters);
    a_s
}

/// `to += A · from` on rows of `width` numbers: each edge adds its source's row of `from`
/// (rows `stride` apart) to its destination's row of `to` (rows `width` apart).
fn add_along_edges<T: Scalar>(
    edges: &EdgeList,
    (from, stride): (&[T], usize),
    to: &mut [T],
    width: usize,
) {
    for (&src, &dst) in edges.src.iter().zip(&edges.dst) {
        let from = &from[src as usize * stride..][..width];
        let to = &mut to[dst as usize * width..][..width];
        for (t, &f) in to.iter_mut().zip(from) {
            *t += f;
        }
    }
}

/// The upper triangles (and the diagonal blocks whole) of `SᵀS` into `out[.., ..c]` and of
/// `Sᵀ(AS)` into `out[.., c..]` (`out` is `[c, 2c]`).
fn upper_products<T: Scalar>(
    s: &[T],
    a_s: &[T],
    out: &mut [T],
    (atoms, clusters): (usize, usize),
    inner: Parallelism,
) {
    let width = 2 * clusters;
    for start in (0..clusters).step_by(BLOCK) {
        let rows = BLOCK.min(clusters - start);
        for (right, half) in [(s, 0), (a_s, clusters)] {
            // out[start.., half + start..half + c] = S[:, start..start + rows]ᵀ · right[:, start..]
            let first = start * width + half + start;
            product(
                (rows, clusters - start, atoms),
                Matrix { data: &mut out[first..], row_stride: width, accumulate: false },
                (&s[start..], 1, clusters),
                (&right[start..], clusters, 1),
                inner,
            );
        }
    }
}

/// Copies each half's upper triangle onto its lower one, so both are exactly symmetric.
fn mirror<T: Scalar>(out: &mut [T], clusters: usize) {
    let width = 2 * clusters;
    for_each_in_blocks(clusters, |i, j| {
        if j < i {
            out[i * width + j] = out[j * width + i];
            out[i * width + clusters + j] = out[j * width + clusters + i];
        }
    });
}

/// Calls `visit(i, j)` for every `i, j < n`, in [`BLOCK`] × [`BLOCK`] blocks: the loops that
/// read one matrix transposed then touch a block's rows while they are in cache, where a
/// row-by-row sweep read a new cache line for each element (2 % of a GPCR epoch).
fn for_each_in_blocks(n: usize, mut visit: impl FnMut(usize, usize)) {
    for i0 in (0..n).step_by(BLOCK) {
        for j0 in (0..n).step_by(BLOCK) {
            for i in i0..(i0 + BLOCK).min(n) {
                for j in j0..(j0 + BLOCK).min(n) {
                    visit(i, j);
                }
            }
        }
    }
}
