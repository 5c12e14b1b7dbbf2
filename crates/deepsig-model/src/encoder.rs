//! The spatial module shared by Deep Signature and its learned-cluster baselines: a GCN and
//! hierarchical MinCut pooling 8K → 4K → K with a time-independent assignment
//! (docs/method.md, "Pooling").
//!
//! Between the first GCN's ReLU and every softmax each layer is affine in the per-frame
//! features, so the time mean is taken right after that ReLU: the memory is O(N·8K), not
//! O(T·N·8K), and the result is the same as averaging the assignment logits over frames.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::Tensor;
use burn::tensor::activation::{relu, softmax};

use crate::backend::is_cpu;
use crate::config::{ModelConfig, PathKind};
use crate::first_layer::frame_mean_relu;
use crate::pooling::{SparseGraph, pool_dense, pool_sparse};
use crate::softmax::assignment_softmax;

/// `linear` on the last axis of `x` as one `[rows, in] × [in, out]` product. burn's `Linear`
/// on a tensor of rank 3 or 4 multiplies each leading index's matrix separately (a batched
/// product of W·T small matrices for the first GCN layer), whose fixed cost dominated the
/// encoder on small systems.
fn on_rows<const D: usize>(linear: &Linear, x: Tensor<D>) -> Tensor<D> {
    let mut dims = x.dims();
    let last = dims[D - 1];
    let rows = dims[..D - 1].iter().product::<usize>();
    let y = linear.forward(x.reshape([rows, last]));
    dims[D - 1] = y.dims()[1];
    y.reshape(dims)
}

/// `out = W_rel (A x) + W_root x + b` (PyG's DenseGraphConv, "add" aggregation).
#[derive(Module, Debug)]
pub struct DenseGraphConv {
    rel: Linear,
    root: Linear,
}

impl DenseGraphConv {
    fn new(h: usize, device: &burn::tensor::Device) -> DenseGraphConv {
        DenseGraphConv {
            rel: LinearConfig::new(h, h).init(device),
            root: LinearConfig::new(h, h).with_bias(false).init(device),
        }
    }

    /// On each window's nodes: `x` `[windows, nodes, H]`, `a` `[windows, nodes, nodes]`.
    fn forward(&self, x: Tensor<3>, a: &Tensor<3>) -> Tensor<3> {
        on_rows(&self.rel, a.clone().matmul(x.clone())) + on_rows(&self.root, x)
    }

    /// The same on every frame of `x` `[windows, nodes, frames, H]`.
    fn forward_frames(&self, x: Tensor<4>, a: &Tensor<3>) -> Tensor<4> {
        let [w, nodes, frames, h] = x.dims();
        let ax = a.clone().matmul(x.clone().reshape([w, nodes, frames * h]));
        on_rows(&self.rel, ax.reshape([w, nodes, frames, h])) + on_rows(&self.root, x)
    }
}

/// The reference's learned path (`path = "learned"`): a fourth graph convolution on the last
/// level's per-frame features, then a linear map to the coordinate channels.
#[derive(Module, Debug)]
pub struct PathReadout {
    conv: DenseGraphConv,
    linear: Linear,
}

/// `sᵀ x` on every frame of `x` `[windows, nodes, frames, H]`, `s` `[windows, nodes, clusters]`:
/// `[windows, clusters, frames, H]`.
fn pool_frames(s: &Tensor<3>, x: Tensor<4>) -> Tensor<4> {
    let [w, nodes, frames, h] = x.dims();
    let c = s.dims()[2];
    s.clone().swap_dims(1, 2).matmul(x.reshape([w, nodes, frames * h])).reshape([w, c, frames, h])
}

/// GCN + MinCut pooling; see the module docs.
#[derive(Module, Debug)]
pub struct ClusterEncoder {
    gcn_coords: Linear,
    gcn_types: Option<Linear>,
    assign: Vec<Linear>,
    convs: Vec<DenseGraphConv>,
    readout: Option<PathReadout>,
}

/// Soft clusterings of a group of windows of one system and their pooling losses, window
/// first on every axis.
pub struct Clustering {
    /// The composite soft assignments `[windows, atoms, K]`; rows sum to one.
    pub assignment: Tensor<3>,
    /// Σ of the MinCut losses over levels, `[windows]`.
    pub cut: Tensor<1>,
    /// Σ of the orthogonality losses over levels, `[windows]`.
    pub orth: Tensor<1>,
    /// The read-out paths `[windows, frames, K, channels]` of `path = "learned"`.
    pub learned_path: Option<Tensor<4>>,
}

impl ClusterEncoder {
    /// An encoder for `channels` input channels per atom and `type_width` type columns.
    pub fn new(
        config: &ModelConfig,
        channels: usize,
        type_width: usize,
        device: &burn::tensor::Device,
    ) -> ClusterEncoder {
        let h = config.hidden;
        let clusters: Vec<usize> =
            config.pool_multipliers.iter().map(|m| m * config.clusters).collect();
        ClusterEncoder {
            gcn_coords: LinearConfig::new(channels, h).init(device),
            gcn_types: config
                .type_features
                .then(|| LinearConfig::new(type_width, h).with_bias(false).init(device)),
            assign: clusters.iter().map(|&c| LinearConfig::new(h, c).init(device)).collect(),
            convs: clusters[1..].iter().map(|_| DenseGraphConv::new(h, device)).collect(),
            readout: (config.path == PathKind::Learned).then(|| PathReadout {
                conv: DenseGraphConv::new(h, device),
                linear: LinearConfig::new(h, channels).init(device),
            }),
        }
    }

    /// The assignment `[windows, nodes, clusters]` of level `level` from the node features
    /// `[windows, nodes, H]`.
    fn assignment(&self, level: usize, x: Tensor<3>, config: &ModelConfig) -> Tensor<3> {
        let logits = on_rows(&self.assign[level], x);
        if is_cpu(&logits.device()) {
            return assignment_softmax(logits, config.tanh_logits);
        }
        softmax(if config.tanh_logits { logits.tanh() } else { logits }, 2)
    }

    /// The first GCN layer's features averaged over frames, `[windows, atoms, H]`, and, for the
    /// learned path only, every frame's `[windows, frames, atoms, H]`.
    fn first_layer(
        &self,
        propagated: Vec<Tensor<3>>,
        types: &Tensor<2>,
    ) -> (Tensor<3>, Option<Tensor<4>>) {
        let windows = propagated.len();
        let [frames, atoms, _] = propagated[0].dims();
        let types = self.gcn_types.as_ref().map(|linear| linear.forward(types.clone()));
        if self.readout.is_none() && is_cpu(&propagated[0].device()) {
            // One host operation, no per-frame tensor (eqs. G1-G3).
            let weight = self.gcn_coords.weight.val();
            let width = weight.dims()[1];
            let bias = match &self.gcn_coords.bias {
                Some(bias) => bias.val().unsqueeze::<2>(),
                None => Tensor::zeros([1, width], &weight.device()),
            };
            let offset = match types {
                Some(types) => types + bias,
                None => bias.expand([atoms, width]),
            };
            return (frame_mean_relu(Tensor::stack(propagated, 0), weight, offset), None);
        }
        let mut h = on_rows(&self.gcn_coords, Tensor::cat(propagated, 0)); // [W·T, N, H]
        if let Some(types) = types {
            h = h + types.unsqueeze::<3>();
        }
        let h = relu(h);
        let width = h.dims()[2];
        let h = h.reshape([windows, frames, atoms, width]);
        let hbar = h.clone().mean_dim(1).squeeze_dim(1);
        // The learned path needs every frame's features; the assignment needs only the mean.
        (hbar, self.readout.as_ref().map(|_| h))
    }

    /// The clusterings of windows of one system (one graph and types, one frame count) from
    /// each window's `propagated` ($\hat A x_t$, `[frames, atoms, channels]`), the propagated
    /// types `[atoms, types]` and the graph. The windows go through every layer together,
    /// stacked on a leading axis: one tensor operation per layer for the group, where one
    /// per window made the fixed cost of each operation dominate small systems (BENCHMARKS.md,
    /// "Windows of one system together"). Each window's numbers are those of a group of one.
    pub(crate) fn forward(
        &self,
        propagated: Vec<Tensor<3>>,
        types: &Tensor<2>,
        graph: &SparseGraph,
        config: &ModelConfig,
    ) -> Clustering {
        let (hbar, per_frame) = self.first_layer(propagated, types);
        let s1 = self.assignment(0, hbar.clone(), config); // [W, N, C1]
        let mut frames = per_frame.map(|h| pool_frames(&s1, h.swap_dims(1, 2)));
        let (losses, mut adjacency) = pool_sparse(&s1, graph);
        let (mut cut, mut orth) = (losses.cut, losses.orth);
        let mut x = s1.clone().swap_dims(1, 2).matmul(hbar); // [W, C1, H]
        let mut later = Vec::with_capacity(self.convs.len());
        for (level, conv) in self.convs.iter().enumerate() {
            x = conv.forward(x, &adjacency);
            let s = self.assignment(level + 1, x.clone(), config); // [W, C_l, C_{l+1}]
            frames = frames.map(|f| pool_frames(&s, conv.forward_frames(f, &adjacency)));
            let (losses, next) = pool_dense(&s, &adjacency);
            cut = cut + losses.cut;
            orth = orth + losses.orth;
            x = s.clone().swap_dims(1, 2).matmul(x);
            adjacency = next;
            later.push(s);
        }
        // The composite S1·S2·…·SL multiplied from the right: the small levels first, so the
        // atom-sized product is N·C1·K instead of N·C1·C2 (4× fewer at 400 → 200 → 50).
        let assignment = match later.into_iter().rev().reduce(|tail, s| s.matmul(tail)) {
            Some(tail) => s1.matmul(tail),
            None => s1,
        };
        let learned_path = self.readout.as_ref().zip(frames).map(|(readout, f)| {
            on_rows(&readout.linear, readout.conv.forward_frames(f, &adjacency)).swap_dims(1, 2)
        });
        Clustering { assignment, cut, orth, learned_path }
    }
}
