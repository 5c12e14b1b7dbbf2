//! MinCut pooling (Bianchi et al. 2020; docs/method.md, "Pooling") on one graph,
//! time-independent.
//!
//! For a soft assignment $S$ (rows on the simplex) of a graph with adjacency $A$ and degree
//! matrix $D$: $L_{cut} = -\mathrm{Tr}(S^T A S) / \mathrm{Tr}(S^T D S)$ and
//! $L_{orth} = \| S^T S / \|S^T S\|_F - I_C / \sqrt{C} \|_F$. The pooled graph is
//! $A' = S^T A S$ with its diagonal removed and symmetric normalisation
//! $D'^{-1/2} A' D'^{-1/2}$, as the reference's `dense_mincut_pool`.

use burn::tensor::{Int, Tensor};

use crate::backend::is_cpu;
use crate::symmetric_products::{Edges, gram_and_pooled};

/// The atom graph's adjacency $A$ as index lists on the device: $A_{ij} = 1$ for `dst = i`,
/// `src = j`, so $(AS)_i$ gathers `src` rows into `dst` rows.
#[derive(Debug, Clone)]
pub(crate) struct SparseGraph {
    pub(crate) src: Tensor<1, Int>,
    pub(crate) dst: Tensor<1, Int>,
    /// Row sums of $A$, `[atoms, 1]`.
    pub(crate) degree: Tensor<2>,
    /// $A = A^T$ (every edge listed both ways); false for the reference's directed graph.
    pub(crate) symmetric: bool,
    /// `src` and `dst` on the host, for [`gram_and_pooled`].
    pub(crate) edges: Edges,
}

/// The losses of one pooling level, one per window of a group: `[windows]`.
pub(crate) struct PoolLosses {
    pub(crate) cut: Tensor<1>,
    pub(crate) orth: Tensor<1>,
}

/// Σ over the last two axes: `[windows, a, b]` → `[windows]`.
fn per_window(m: Tensor<3>) -> Tensor<1> {
    let w = m.dims()[0];
    m.sum_dims_squeeze::<1, usize>(&[1, 2]).reshape([w])
}

/// $L_{orth}$ of each window's Gram matrix `[windows, c, c]`.
fn orthogonality(gram: Tensor<3>) -> Tensor<1> {
    let [w, c, _] = gram.dims();
    let norm = per_window(gram.clone().powf_scalar(2.0)).sqrt().clamp_min(1e-12);
    let eye = Tensor::<2>::eye(c, &gram.device()).unsqueeze::<3>() / (c as f64).sqrt();
    per_window((gram / norm.reshape([w, 1, 1]) - eye).powf_scalar(2.0)).sqrt()
}

/// `(m + mᵀ) / 2` per window: the same value for a symmetric `m`, and a symmetric gradient.
fn symmetrise(m: Tensor<3>) -> Tensor<3> {
    (m.clone() + m.swap_dims(1, 2)) * 0.5
}

/// Zero diagonal, then $D^{-1/2} A D^{-1/2}$, per window of `a` `[windows, c, c]`.
fn normalise(a: Tensor<3>) -> Tensor<3> {
    let c = a.dims()[1];
    let off = Tensor::<2>::ones([c, c], &a.device()) - Tensor::<2>::eye(c, &a.device());
    let a = a * off.unsqueeze::<3>();
    let d = (a.clone().sum_dim(2) + 1e-15).sqrt(); // [windows, c, 1]
    a / d.clone() / d.swap_dims(1, 2)
}

/// The cut loss $-\mathrm{Tr}(S^T A S) / \mathrm{Tr}(S^T D S)$ of each window, from the pooled
/// `[windows, c, c]` and the degrees `[nodes, 1]` (or `[windows, nodes, 1]`).
fn cut(pooled: &Tensor<3>, s: &Tensor<3>, degree: Tensor<3>) -> Tensor<1> {
    let c = s.dims()[2];
    let eye = Tensor::<2>::eye(c, &s.device()).unsqueeze::<3>();
    let trace_a = per_window(pooled.clone() * eye);
    let trace_d = per_window(s.clone().powf_scalar(2.0) * degree).clamp_min(1e-12);
    -(trace_a / trace_d)
}

/// Level one, on the sparse atom graph, for a group of windows of one system: `s` is
/// `[windows, atoms, clusters]`. Returns the losses and the normalised pooled adjacencies
/// `[windows, clusters, clusters]`.
pub(crate) fn pool_sparse(s: &Tensor<3>, graph: &SparseGraph) -> (PoolLosses, Tensor<3>) {
    let c = s.dims()[2];
    let (gram, pooled) = if graph.symmetric && is_cpu(&s.device()) {
        // Half the multiply-adds, on the host (docs/method.md, eqs. P1-P3).
        let both = gram_and_pooled(s.clone(), &graph.edges);
        (both.clone().narrow(2, 0, c), both.narrow(2, c, c))
    } else {
        gram_and_pooled_by_tensors(s, graph)
    };
    let cut = cut(&pooled, s, graph.degree.clone().unsqueeze::<3>());
    let losses = PoolLosses { cut, orth: orthogonality(gram) };
    (losses, normalise(pooled))
}

/// `SᵀS` and `Sᵀ(AS)` of each window as tensor operations, for GPUs and directed graphs.
fn gram_and_pooled_by_tensors(s: &Tensor<3>, graph: &SparseGraph) -> (Tensor<3>, Tensor<3>) {
    let [w, n, c] = s.dims();
    // A·S of every window in one gather and one scatter: the windows' columns side by side.
    let columns = s.clone().swap_dims(0, 1).reshape([n, w * c]);
    let from = columns.select(0, graph.src.clone());
    let a_s = Tensor::<2>::zeros([n, w * c], &s.device()).select_assign(
        0,
        graph.dst.clone(),
        from,
        burn::tensor::IndexingUpdateOp::Add,
    );
    let a_s = a_s.reshape([n, w, c]).swap_dims(0, 1); // [w, n, c]
    // One product gives both SᵀS and Sᵀ(AS); it is the model's largest (N·2c² multiply-adds).
    // With A symmetric both are, so their gradients are S(dG + dGᵀ) and AS(dP + dPᵀ). With
    // the left factor detached, the product's backward computes only the right factor's
    // gradient, S·d, which is that gradient once d is symmetrised and doubled: half the
    // backward cost of the full product, and the same maths. A directed A takes the plain
    // product.
    let right = Tensor::cat(vec![s.clone(), a_s], 2); // [w, n, 2c]
    if graph.symmetric {
        let both = s.clone().detach().swap_dims(1, 2).matmul(right); // [w, c, 2c]
        let both = both.clone() * 2.0 - both.detach();
        (symmetrise(both.clone().narrow(2, 0, c)), symmetrise(both.narrow(2, c, c)))
    } else {
        let both = s.clone().swap_dims(1, 2).matmul(right);
        (both.clone().narrow(2, 0, c), both.narrow(2, c, c))
    }
}

/// A later level, on dense normalised adjacencies `a` `[windows, nodes, nodes]`; `s` is
/// `[windows, nodes, clusters]`.
pub(crate) fn pool_dense(s: &Tensor<3>, a: &Tensor<3>) -> (PoolLosses, Tensor<3>) {
    let st = s.clone().swap_dims(1, 2);
    let pooled = st.clone().matmul(a.clone().matmul(s.clone()));
    let degree = a.clone().sum_dim(2); // [windows, nodes, 1]
    let losses =
        PoolLosses { cut: cut(&pooled, s, degree), orth: orthogonality(st.matmul(s.clone())) };
    (losses, normalise(pooled))
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Int, Tensor, TensorData};

    use std::sync::Arc;

    use super::{SparseGraph, gram_and_pooled_by_tensors, normalise, pool_sparse};
    use crate::symmetric_products::{EdgeList, Edges, gram_and_pooled};

    fn host(t: Tensor<2>) -> Vec<f32> {
        t.into_data().convert::<f32>().try_into_vec().unwrap()
    }

    /// The graph whose edge `k` adds row `src[k]` of S into row `dst[k]` of AS, as index
    /// tensors and as the host op's edge list.
    fn graph_of(
        (src, dst): (&[i64], &[i64]),
        degree: Tensor<2>,
        symmetric: bool,
        device: &burn::tensor::Device,
    ) -> SparseGraph {
        let index =
            |v: &[i64]| Tensor::<1, Int>::from_data(TensorData::new(v.to_vec(), [v.len()]), device);
        let to_u32 = |v: &[i64]| v.iter().map(|&i| i as u32).collect();
        SparseGraph {
            edges: Edges(Arc::new(EdgeList { src: to_u32(src), dst: to_u32(dst) })),
            src: index(src),
            dst: index(dst),
            degree,
            symmetric,
        }
    }

    /// The sparse level against the dense definition (docs/reference-code.md, "Dense MinCut
    /// pooling") on a directed graph (row `i` of A holds the edges leaving `i`) and on its
    /// symmetric closure.
    #[test]
    fn sparse_pooling_matches_the_dense_definition_directed_or_not() {
        let device = burn::tensor::Device::default();
        let (n, c) = (5, 3);
        let logits: Vec<f32> = (0..n * c).map(|i| ((i * 7 % 11) as f32 - 5.0) * 0.3).collect();
        let s = burn::tensor::activation::softmax(
            Tensor::<2>::from_data(TensorData::new(logits, [n, c]), &device),
            1,
        );
        let s_host = host(s.clone());
        let edges = [(0usize, 1usize), (0, 2), (1, 2), (2, 3), (3, 4)];
        for symmetric in [false, true] {
            let mut a = vec![0.0f32; n * n];
            let (mut rows, mut cols) = (Vec::new(), Vec::new());
            for &(i, j) in &edges {
                a[i * n + j] = 1.0;
                rows.push(i as i64);
                cols.push(j as i64);
                if symmetric {
                    a[j * n + i] = 1.0;
                    rows.push(j as i64);
                    cols.push(i as i64);
                }
            }
            let degree: Vec<f32> = a.chunks(n).map(|r| r.iter().sum()).collect();
            let degrees = Tensor::from_data(TensorData::new(degree.clone(), [n, 1]), &device);
            let graph = graph_of((&cols, &rows), degrees, symmetric, &device);
            let (losses, pooled) = pool_sparse(&s.clone().unsqueeze::<3>(), &graph);
            let pooled = pooled.squeeze_dim::<2>(0);
            // Dense SᵀAS and the traces on the host.
            let mut sas = vec![0.0f32; c * c];
            for (p, q) in (0..c).flat_map(|p| (0..c).map(move |q| (p, q))) {
                for (i, j) in (0..n).flat_map(|i| (0..n).map(move |j| (i, j))) {
                    sas[p * c + q] += s_host[i * c + p] * a[i * n + j] * s_host[j * c + q];
                }
            }
            let trace_a: f32 = (0..c).map(|p| sas[p * c + p]).sum();
            let trace_d: f32 = (0..n)
                .map(|i| degree[i] * (0..c).map(|p| s_host[i * c + p].powi(2)).sum::<f32>())
                .sum();
            let cut: f32 = losses.cut.into_scalar();
            assert!((cut + trace_a / trace_d).abs() < 1e-5, "symmetric {symmetric}: cut {cut}");
            let expected =
                Tensor::<2>::from_data(TensorData::new(sas, [c, c]), &device).unsqueeze::<3>();
            let expected = host(normalise(expected).squeeze_dim::<2>(0));
            for (got, want) in host(pooled).iter().zip(&expected) {
                assert!((got - want).abs() < 1e-5, "symmetric {symmetric}: {got} vs {want}");
            }
            if !symmetric {
                let m = &expected;
                assert!((0..c).any(|p| (0..c).any(|q| (m[p * c + q] - m[q * c + p]).abs() > 1e-3)));
            }
        }
    }

    /// The host op (eqs. P1-P3) against the tensor operations it replaces on an undirected
    /// graph: both products and the gradient of a loss that weighs every entry differently,
    /// on three windows at once; 37 clusters span two blocks of rows and a partial one.
    #[test]
    fn the_host_products_match_the_tensor_operations() {
        let device = burn::tensor::Device::default().autodiff();
        let (w, n, c) = (3usize, 29usize, 37usize);
        let mut rng = deepsig_testutil::Rng(7);
        let logits: Vec<f32> = (0..w * n * c).map(|_| 3.0 * rng.uniform() as f32).collect();
        let mix: Vec<f32> = (0..w * c * 2 * c).map(|_| rng.uniform() as f32 - 0.5).collect();
        // A ring with chords, every edge both ways.
        let mut pairs: Vec<(usize, usize)> = (0..n).map(|i| (i, (i + 1) % n)).collect();
        pairs.extend((0..n).step_by(3).map(|i| (i, (i + 7) % n)));
        let (mut src, mut dst) = (Vec::new(), Vec::new());
        for &(i, j) in &pairs {
            src.extend([j as i64, i as i64]);
            dst.extend([i as i64, j as i64]);
        }
        let graph = graph_of((&src, &dst), Tensor::zeros([n, 1], &device), true, &device);
        let run = |host_op: bool| {
            let logits =
                Tensor::<3>::from_data(TensorData::new(logits.clone(), [w, n, c]), &device)
                    .require_grad();
            let s = burn::tensor::activation::softmax(logits.clone(), 2);
            let both = if host_op {
                gram_and_pooled(s, &graph.edges)
            } else {
                let (gram, pooled) = gram_and_pooled_by_tensors(&s, &graph);
                Tensor::cat(vec![gram, pooled], 2)
            };
            let weights =
                Tensor::<3>::from_data(TensorData::new(mix.clone(), [w, c, 2 * c]), &device);
            let loss = (both.clone() * weights).sum();
            let grads = loss.backward();
            let d_logits = logits.grad(&grads).unwrap();
            let values: Vec<f32> = both.into_data().convert::<f32>().try_to_vec().unwrap();
            let d: Vec<f32> = d_logits.into_data().convert::<f32>().try_to_vec().unwrap();
            (values, d)
        };
        let (values, d_host) = run(true);
        let (expected, d_tensors) = run(false);
        let close = |a: &[f32], b: &[f32], what: &str| {
            let scale = b.iter().fold(1e-3f32, |m, v| m.max(v.abs()));
            let err = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
            assert!(err <= 1e-5 * scale, "{what}: differ by {err} (scale {scale})");
        };
        close(&values, &expected, "products");
        close(&d_host, &d_tensors, "gradient");
        // Exactly symmetric halves.
        for v in values.chunks_exact(2 * c * c) {
            for (i, j) in (0..c).flat_map(|i| (0..c).map(move |j| (i, j))) {
                assert_eq!(v[i * 2 * c + j], v[j * 2 * c + i]);
                assert_eq!(v[i * 2 * c + c + j], v[j * 2 * c + c + i]);
            }
        }
    }
}
