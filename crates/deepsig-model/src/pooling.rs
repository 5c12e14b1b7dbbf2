//! MinCut pooling (Bianchi et al. 2020; SPEC §1.1 step 3) on one graph, time-independent.
//!
//! For a soft assignment $S$ (rows on the simplex) of a graph with adjacency $A$ and degree
//! matrix $D$: $L_{cut} = -\mathrm{Tr}(S^T A S) / \mathrm{Tr}(S^T D S)$ and
//! $L_{orth} = \| S^T S / \|S^T S\|_F - I_C / \sqrt{C} \|_F$. The pooled graph is
//! $A' = S^T A S$ with its diagonal removed and symmetric normalisation
//! $D'^{-1/2} A' D'^{-1/2}$, as the reference's `dense_mincut_pool`.

use burn::tensor::{Int, Tensor};

/// The atom graph as index lists on the device: both directions of every bond.
#[derive(Debug, Clone)]
pub(crate) struct SparseGraph {
    pub(crate) src: Tensor<1, Int>,
    pub(crate) dst: Tensor<1, Int>,
    /// `[atoms, 1]`.
    pub(crate) degree: Tensor<2>,
}

/// The losses of one pooling level.
pub(crate) struct PoolLosses {
    pub(crate) cut: Tensor<1>,
    pub(crate) orth: Tensor<1>,
}

fn orthogonality(gram: Tensor<2>) -> Tensor<1> {
    let c = gram.dims()[0];
    let norm = gram.clone().powf_scalar(2.0).sum().sqrt().clamp_min(1e-12);
    let eye = Tensor::<2>::eye(c, &gram.device()) / (c as f64).sqrt();
    (gram / norm.unsqueeze::<2>() - eye).powf_scalar(2.0).sum().sqrt()
}

/// `(m + mᵀ) / 2`: the same value for a symmetric `m`, and a symmetric gradient.
fn symmetrise(m: Tensor<2>) -> Tensor<2> {
    (m.clone() + m.transpose()) * 0.5
}

/// Zero diagonal, then $D^{-1/2} A D^{-1/2}$.
fn normalise(a: Tensor<2>) -> Tensor<2> {
    let c = a.dims()[0];
    let off = Tensor::<2>::ones([c, c], &a.device()) - Tensor::<2>::eye(c, &a.device());
    let a = a * off;
    let d = (a.clone().sum_dim(1) + 1e-15).sqrt(); // [c, 1]
    a / d.clone() / d.transpose()
}

/// Level one, on the sparse atom graph: `s` is `[atoms, clusters]`. Returns the losses and the
/// normalised pooled adjacency `[clusters, clusters]`.
pub(crate) fn pool_sparse(s: &Tensor<2>, graph: &SparseGraph) -> (PoolLosses, Tensor<2>) {
    let [n, c] = s.dims();
    let from = s.clone().select(0, graph.src.clone());
    let a_s = Tensor::<2>::zeros([n, c], &s.device()).select_assign(
        0,
        graph.dst.clone(),
        from,
        burn::tensor::IndexingUpdateOp::Add,
    );
    // One product gives both SᵀS and Sᵀ(AS); it is the model's largest (N·2c² multiply-adds).
    // Both are symmetric (A is), so their gradients are S(dG + dGᵀ) and AS(dP + dPᵀ). With
    // the left factor detached, the product's backward computes only the right factor's
    // gradient, S·d, which is that gradient once d is symmetrised and doubled: half the
    // backward cost of the full product, and the same maths.
    let right = Tensor::cat(vec![s.clone(), a_s], 1); // [n, 2c]
    let both = s.clone().detach().transpose().matmul(right); // [c, 2c]
    let both = both.clone() * 2.0 - both.detach();
    let gram = symmetrise(both.clone().narrow(1, 0, c));
    let pooled = symmetrise(both.narrow(1, c, c));
    let eye = Tensor::<2>::eye(c, &s.device());
    let trace_a = (pooled.clone() * eye).sum();
    let trace_d = (s.clone().powf_scalar(2.0) * graph.degree.clone()).sum().clamp_min(1e-12);
    let losses = PoolLosses { cut: -(trace_a / trace_d), orth: orthogonality(gram) };
    (losses, normalise(pooled))
}

/// A later level, on a dense normalised adjacency `a` `[nodes, nodes]`; `s` is
/// `[nodes, clusters]`.
pub(crate) fn pool_dense(s: &Tensor<2>, a: &Tensor<2>) -> (PoolLosses, Tensor<2>) {
    let st = s.clone().transpose();
    let pooled = st.clone().matmul(a.clone().matmul(s.clone()));
    let c = s.dims()[1];
    let eye = Tensor::<2>::eye(c, &s.device());
    let trace_a = (pooled.clone() * eye).sum();
    let degree = a.clone().sum_dim(1); // [nodes, 1]
    let trace_d = (s.clone().powf_scalar(2.0) * degree).sum().clamp_min(1e-12);
    let losses =
        PoolLosses { cut: -(trace_a / trace_d), orth: orthogonality(st.matmul(s.clone())) };
    (losses, normalise(pooled))
}
