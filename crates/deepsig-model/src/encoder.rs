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

use crate::config::{ModelConfig, PathKind};
use crate::pooling::{SparseGraph, pool_dense, pool_sparse};

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

    fn forward(&self, x: Tensor<2>, a: &Tensor<2>) -> Tensor<2> {
        self.rel.forward(a.clone().matmul(x.clone())) + self.root.forward(x)
    }

    /// The same on every frame of `x` `[nodes, frames, H]`.
    fn forward_frames(&self, x: Tensor<3>, a: &Tensor<2>) -> Tensor<3> {
        let [nodes, frames, h] = x.dims();
        let ax = a.clone().matmul(x.clone().reshape([nodes, frames * h]));
        self.rel.forward(ax.reshape([nodes, frames, h])) + self.root.forward(x)
    }
}

/// The reference's learned path (`path = "learned"`): a fourth graph convolution on the last
/// level's per-frame features, then a linear map to the coordinate channels.
#[derive(Module, Debug)]
pub struct PathReadout {
    conv: DenseGraphConv,
    linear: Linear,
}

/// `sᵀ x` on every frame of `x` `[nodes, frames, H]`: `[clusters, frames, H]`.
fn pool_frames(s: &Tensor<2>, x: Tensor<3>) -> Tensor<3> {
    let [nodes, frames, h] = x.dims();
    let c = s.dims()[1];
    s.clone().transpose().matmul(x.reshape([nodes, frames * h])).reshape([c, frames, h])
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

/// A soft clustering of one system and its pooling losses.
pub struct Clustering {
    /// The composite soft assignment `[atoms, K]`; rows sum to one.
    pub assignment: Tensor<2>,
    /// Σ of the MinCut losses over levels.
    pub cut: Tensor<1>,
    /// Σ of the orthogonality losses over levels.
    pub orth: Tensor<1>,
    /// The read-out path `[frames, K, channels]` of `path = "learned"`.
    pub learned_path: Option<Tensor<3>>,
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

    fn assignment(&self, level: usize, x: Tensor<2>, config: &ModelConfig) -> Tensor<2> {
        let logits = self.assign[level].forward(x);
        softmax(if config.tanh_logits { logits.tanh() } else { logits }, 1)
    }

    /// The clustering from `propagated` ($\hat A x_t$, `[frames, atoms, channels]`), the
    /// propagated types `[atoms, types]` and the graph.
    pub(crate) fn forward(
        &self,
        propagated: Tensor<3>,
        types: &Tensor<2>,
        graph: &SparseGraph,
        config: &ModelConfig,
    ) -> Clustering {
        let mut h = self.gcn_coords.forward(propagated); // [T, N, H]
        if let Some(linear) = &self.gcn_types {
            h = h + linear.forward(types.clone()).unsqueeze::<3>();
        }
        let h = relu(h);
        let hbar: Tensor<2> = h.clone().mean_dim(0).squeeze_dim(0); // [N, H]

        let s1 = self.assignment(0, hbar.clone(), config); // [N, C1]
        // The learned path needs every frame's features; the assignment needs only the mean.
        let mut frames = self.readout.as_ref().map(|_| pool_frames(&s1, h.swap_dims(0, 1)));
        let (losses, mut adjacency) = pool_sparse(&s1, graph);
        let (mut cut, mut orth) = (losses.cut, losses.orth);
        let mut x = s1.clone().transpose().matmul(hbar); // [C1, H]
        let mut later = Vec::with_capacity(self.convs.len());
        for (level, conv) in self.convs.iter().enumerate() {
            x = conv.forward(x, &adjacency);
            let s = self.assignment(level + 1, x.clone(), config); // [C_l, C_{l+1}]
            frames = frames.map(|f| pool_frames(&s, conv.forward_frames(f, &adjacency)));
            let (losses, next) = pool_dense(&s, &adjacency);
            cut = cut + losses.cut;
            orth = orth + losses.orth;
            x = s.clone().transpose().matmul(x);
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
            readout.linear.forward(readout.conv.forward_frames(f, &adjacency)).swap_dims(0, 1)
        });
        Clustering { assignment, cut, orth, learned_path }
    }
}
