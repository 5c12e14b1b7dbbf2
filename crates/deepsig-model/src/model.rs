//! The Deep Signature module: GCN → hierarchical MinCut soft clustering → cluster paths →
//! log-signatures of sub-windows → LSTM head (SPEC §9.3–9.6).
//!
//! One window is one forward call (`forward_window`); a batch is a list of windows, so systems
//! of different sizes and windows of different lengths mix without padding.
//!
//! Time independence: between the first GCN's ReLU and every softmax each layer is affine in
//! the per-frame features, so the time mean is taken right after that ReLU (SPEC §9.3); the
//! memory is O(N·8K), not O(T·N·8K).

use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::Tensor;
use burn::tensor::activation::{relu, softmax};
use deepsig_md::{SubWindowMode, sub_windows};
use deepsig_signature::Depth;

use crate::config::{ModelConfig, PathKind};
use crate::lstm::SequenceLstm;
use crate::pooling::{SparseGraph, pool_dense, pool_sparse};
use crate::sig_layer::SigLayer;

/// `out = W_rel (A x) + W_root x + b` (PyG's DenseGraphConv, "add" aggregation).
#[derive(Module, Debug)]
pub struct DenseGraphConv {
    rel: Linear,
    root: Linear,
}

impl DenseGraphConv {
    fn forward(&self, x: Tensor<2>, a: &Tensor<2>) -> Tensor<2> {
        self.rel.forward(a.clone().matmul(x.clone())) + self.root.forward(x)
    }
}

/// The model (architecture only; see `training` for the loop).
#[derive(Module, Debug)]
pub struct DeepSignature {
    gcn_coords: Linear,
    gcn_types: Option<Linear>,
    assign: Vec<Linear>,
    convs: Vec<DenseGraphConv>,
    lstm: SequenceLstm,
    norm: LayerNorm,
    hidden: Linear,
    dropout: Dropout,
    out: Linear,
}

/// One window's tensors, on the model's device.
#[derive(Debug, Clone)]
pub struct WindowTensors {
    /// $\hat A x_t$: `[frames, atoms, 3]`.
    pub propagated: Tensor<3>,
    /// Centred, scaled coordinates: `[frames, atoms, 3]`.
    pub coords: Tensor<3>,
    /// $\hat A O$: `[atoms, types]`.
    pub types: Tensor<2>,
    pub(crate) graph: SparseGraph,
}

/// What one window's forward returns.
pub struct WindowOutput {
    /// Output logits (or regression values): `[1, outputs]`.
    pub logits: Tensor<2>,
    /// Σ of the MinCut losses over levels.
    pub cut: Tensor<1>,
    /// Σ of the orthogonality losses over levels.
    pub orth: Tensor<1>,
    /// The composite soft assignment `[atoms, K]`.
    pub assignment: Tensor<2>,
    /// The log-signature features, `[sub_windows, C]`.
    pub features: Tensor<2>,
}

impl DeepSignature {
    /// A new model with random weights for `type_width` one-hot type columns and `outputs`
    /// output units.
    pub fn new(
        config: &ModelConfig,
        type_width: usize,
        outputs: usize,
        device: &burn::tensor::Device,
    ) -> DeepSignature {
        let h = config.hidden;
        let clusters: Vec<usize> =
            config.pool_multipliers.iter().map(|m| m * config.clusters).collect();
        let sig_width =
            SigLayer::logsignature(depth(config)).output_channels(3 * config.clusters).unwrap_or(1);
        DeepSignature {
            gcn_coords: LinearConfig::new(3, h).init(device),
            gcn_types: config
                .type_features
                .then(|| LinearConfig::new(type_width, h).with_bias(false).init(device)),
            assign: clusters.iter().map(|&c| LinearConfig::new(h, c).init(device)).collect(),
            convs: clusters[1..]
                .iter()
                .map(|_| DenseGraphConv {
                    rel: LinearConfig::new(h, h).init(device),
                    root: LinearConfig::new(h, h).with_bias(false).init(device),
                })
                .collect(),
            lstm: SequenceLstm::new(sig_width, config.lstm_hidden, device),
            norm: LayerNormConfig::new(config.lstm_hidden).init(device),
            hidden: LinearConfig::new(config.lstm_hidden, config.head_hidden).init(device),
            dropout: DropoutConfig::new(config.dropout).init(),
            out: LinearConfig::new(config.head_hidden, outputs).init(device),
        }
    }

    fn assignment(&self, level: usize, x: Tensor<2>, config: &ModelConfig) -> Tensor<2> {
        let logits = self.assign[level].forward(x);
        softmax(if config.tanh_logits { logits.tanh() } else { logits }, 1)
    }

    /// One window through the whole model.
    pub fn forward_window(&self, w: &WindowTensors, config: &ModelConfig) -> WindowOutput {
        let [frames, atoms, _] = w.coords.dims();
        // First GCN layer per frame, then the time mean (exact: see the module docs).
        let mut h = self.gcn_coords.forward(w.propagated.clone()); // [T, N, H]
        if let Some(types) = &self.gcn_types {
            h = h + types.forward(w.types.clone()).unsqueeze::<3>();
        }
        let hbar: Tensor<2> = relu(h).mean_dim(0).squeeze_dim(0); // [N, H]

        let s1 = self.assignment(0, hbar.clone(), config); // [N, C1]
        let (losses, mut adjacency) = pool_sparse(&s1, &w.graph);
        let (mut cut, mut orth) = (losses.cut, losses.orth);
        let mut x = s1.clone().transpose().matmul(hbar); // [C1, H]
        let mut total = s1;
        for (level, conv) in self.convs.iter().enumerate() {
            x = conv.forward(x, &adjacency);
            let s = self.assignment(level + 1, x.clone(), config); // [C_l, C_{l+1}]
            let (losses, next) = pool_dense(&s, &adjacency);
            cut = cut + losses.cut;
            orth = orth + losses.orth;
            x = s.clone().transpose().matmul(x);
            adjacency = next;
            total = total.matmul(s);
        }
        let k = total.dims()[1];

        // Cluster paths: [N, T*3] → Sᵀ· → [K, T, 3] → [T, 3K], cluster-major channels.
        let flat = w.coords.clone().swap_dims(0, 1).reshape([atoms, frames * 3]);
        let mut pooled = total.clone().transpose().matmul(flat); // [K, T*3]
        if config.path == PathKind::Centroid {
            let mass = total.clone().sum_dim(0).transpose().clamp_min(1e-6); // [K, 1]
            pooled = pooled / mass;
        }
        let path = pooled.reshape([k, frames, 3]).swap_dims(0, 1).reshape([frames, 3 * k]);

        let mode = if config.shared_boundaries {
            SubWindowMode::SharedBoundary
        } else {
            SubWindowMode::Disjoint
        };
        let layer = SigLayer::logsignature(depth(config));
        let ranges = sub_windows(frames, config.sub_windows, mode)
            .unwrap_or_else(|_| std::iter::once(0..frames).collect());
        let features: Vec<Tensor<2>> = ranges
            .into_iter()
            .map(|r| {
                let sub = path.clone().narrow(0, r.start, r.end - r.start).unsqueeze::<3>();
                layer
                    .forward(sub)
                    .unwrap_or_else(|e| panic!("sub-window shapes are checked by the trainer: {e}"))
            })
            .collect();
        let features = Tensor::cat(features, 0); // [W', C]
        let z = self.norm.forward(self.lstm.forward(features.clone()));
        let z = self.dropout.forward(self.hidden.forward(z).tanh());
        WindowOutput { logits: self.out.forward(z), cut, orth, assignment: total, features }
    }
}

fn depth(config: &ModelConfig) -> Depth {
    Depth::new(config.depth).expect("TrainConfig::validate keeps depth in 1..=4")
}
