//! The model: Deep Signature (GCN → hierarchical MinCut soft clustering → cluster paths →
//! log-signatures of sub-windows → LSTM head; docs/method.md, "Pipeline") or one of its
//! baselines (docs/method.md, "Baselines"), chosen by [`Method`].
//!
//! A batch is a list of windows; windows of one system go through the encoder together
//! (`encode_windows`, stacked on a leading axis), each as in a call of its own, so systems
//! of different sizes and windows of different lengths mix without padding. The head runs once
//! per batch (`head_batch`): its input weights are the model's largest (11.6 M at the `paper`
//! size), and one product for the batch reads them, and writes their gradient, once instead of
//! once per window. Every method
//! reads the same cluster paths (`path`: centroids by default) and ends in the same head
//! (LayerNorm, Linear, tanh, dropout, Linear), so a comparison isolates what reads the paths.

use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::{Int, Tensor, TensorData};
use deepsig_md::{SubWindowMode, sub_windows};
use deepsig_signature::Depth;

use crate::baselines::{ClusterLstm, TemporalTransformer};
use crate::config::{Method, ModelConfig, PathKind};
use crate::encoder::{ClusterEncoder, Clustering};
use crate::features::residue_blocks;
use crate::lstm::SequenceLstm;
use crate::pooling::SparseGraph;
use crate::sig_layer::SigLayer;

/// The model of `config.method` (architecture only; see `training` for the loop).
#[derive(Module, Debug)]
pub struct DeepSignature {
    /// Learned clusters; `None` for `sig-fixed`.
    encoder: Option<ClusterEncoder>,
    /// Over sub-window log-signatures (`deepsig`, `sig-fixed`) or over the one static vector
    /// of the frame baselines.
    lstm: Option<SequenceLstm>,
    cluster_lstm: Option<ClusterLstm>,
    transformer: Option<TemporalTransformer>,
    norm: LayerNorm,
    hidden: Linear,
    dropout: Dropout,
    out: Linear,
    /// The configuration the model was built for: its forward reads no other, so a config of
    /// another method cannot reach a module this one lacks. Not saved with the weights (the
    /// run folder's `config.json` holds it).
    #[module(skip)]
    config: ModelConfig,
}

/// What the model's input looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputShape {
    /// Channels per atom and frame (3 for coordinates).
    pub channels: usize,
    /// One-hot type columns (the vocabulary's width).
    pub type_width: usize,
    /// Output units (1 for binary and regression, classes otherwise).
    pub outputs: usize,
}

/// One window's tensors, on the model's device.
#[derive(Debug, Clone)]
pub struct WindowTensors {
    /// $\hat A x_t$: `[frames, atoms, channels]`.
    pub propagated: Tensor<3>,
    /// Scaled coordinates, centred per window unless `centre=false` (or node values, as
    /// stored), atom-major: `[atoms, frames, channels]`, so pooling them over the atoms is
    /// one product with no transposition first (which was 2-4 % of a training epoch).
    pub coords: Tensor<3>,
    /// $\hat A O$: `[atoms, types]`.
    pub types: Tensor<2>,
    /// Ordinal residue of each atom, for the fixed clusters of `sig-fixed`.
    pub residues: Vec<u32>,
    pub(crate) graph: SparseGraph,
    /// A hash of everything of the system the encoder reads besides the frames (graph, types,
    /// residues): windows with equal keys and shapes go through the encoder together.
    pub(crate) system_key: u64,
}

/// What one window's forward returns.
pub struct WindowOutput {
    /// Output logits (or regression values): `[1, outputs]`.
    pub logits: Tensor<2>,
    /// Everything before the head.
    pub encoding: WindowEncoding,
}

/// One window up to the head's input.
pub struct WindowEncoding {
    /// The learned path's mean absolute distance to the pooled sums (`path = "learned"`;
    /// zero otherwise).
    pub tie: Tensor<1>,
    /// Σ of the MinCut losses over levels (zero for fixed clusters).
    pub cut: Tensor<1>,
    /// Σ of the orthogonality losses over levels (zero for fixed clusters).
    pub orth: Tensor<1>,
    /// The composite soft assignment `[atoms, K]`.
    pub assignment: Tensor<2>,
    /// What the head reads: the log-signatures `[sub_windows, C]` for `deepsig` and
    /// `sig-fixed`, the sequence model's output `[1, F]` otherwise.
    pub features: Tensor<2>,
}

impl WindowTensors {
    /// Atoms × frames: what the window's activations scale with.
    pub fn atom_frames(&self) -> usize {
        let [atoms, frames, _] = self.coords.dims();
        atoms * frames
    }
}

impl DeepSignature {
    /// A new model with random weights.
    pub fn new(
        config: &ModelConfig,
        shape: InputShape,
        device: &burn::tensor::Device,
    ) -> DeepSignature {
        let (k, c) = (config.clusters, shape.channels);
        let method = config.method;
        let encoder = method
            .learns_clusters()
            .then(|| ClusterEncoder::new(config, c, shape.type_width, device));
        let lstm_input = match method {
            Method::DeepSignature | Method::SigFixed => {
                Some(SigLayer::logsignature(depth(config)).output_channels(c * k).unwrap_or(1))
            }
            Method::FrameHead | Method::FrameTail => Some(c * k),
            Method::FrameHeadTail => Some(2 * c * k),
            Method::GraphLstm | Method::GraphTransformer => None,
        };
        let lstm = lstm_input.map(|d| SequenceLstm::new(d, config.lstm_hidden, device));
        let cluster_lstm = (method == Method::GraphLstm)
            .then(|| ClusterLstm::new(c, config.baseline_width, device));
        let transformer = (method == Method::GraphTransformer).then(|| {
            TemporalTransformer::new(c * k, config.baseline_width, config.dropout, device)
        });
        let head_input = match (&cluster_lstm, &transformer) {
            (Some(_), _) => 2 * k * config.baseline_width,
            (_, Some(t)) => t.width(),
            _ => config.lstm_hidden,
        };
        let model = DeepSignature {
            encoder,
            lstm,
            cluster_lstm,
            transformer,
            norm: LayerNormConfig::new(head_input).init(device),
            hidden: LinearConfig::new(head_input, config.head_hidden).init(device),
            dropout: DropoutConfig::new(config.dropout).init(),
            out: LinearConfig::new(config.head_hidden, shape.outputs).init(device),
            config: config.clone(),
        };
        // burn initialises parameters lazily, at their first use: the draws would then depend
        // on the order of the first forward and interleave with its dropout draws, and forks
        // of the model (one per micro-batch on several threads) must share the values. So
        // every parameter is drawn here, in module order.
        struct Initialise;
        impl burn::module::ModuleVisitor for Initialise {
            fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<Tensor<D>>) {
                let _ = param.val();
            }
        }
        model.visit(&mut Initialise);
        model
    }

    /// The configuration the model was built for.
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// One window through the whole model.
    pub fn forward_window(&self, w: &WindowTensors) -> WindowOutput {
        let encoding = self.encode_window(w);
        WindowOutput { logits: self.head(encoding.features.clone()), encoding }
    }

    /// Whether a training step draws random numbers from the device's generator (burn's
    /// transformer dropout): such a model must run its micro-batches one at a time to stay
    /// deterministic.
    pub fn draws_from_device(&self) -> bool {
        self.config.method == Method::GraphTransformer && self.config.dropout > 0.0
    }

    /// One window up to the head: clusters, pooling losses and the head's input.
    pub fn encode_window(&self, w: &WindowTensors) -> WindowEncoding {
        self.encode_group(&[w]).pop().expect("a group of one gives one encoding")
    }

    /// [`DeepSignature::encode_window`] of each window, in order. Windows of one system (equal
    /// graph, types and shapes) go through the encoder, the pooling and the signature layer
    /// together, one tensor operation per layer for all of them, in groups of at most
    /// [`GROUP_ATOM_FRAMES`] atom-frames (or one window): the same numbers as one at a time,
    /// at a fraction of the fixed cost per operation that dominates small systems.
    pub fn encode_windows(&self, windows: &[WindowTensors]) -> Vec<WindowEncoding> {
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for (i, w) in windows.iter().enumerate() {
            let same = |g: &&mut Vec<usize>| {
                let first = &windows[g[0]];
                first.system_key == w.system_key
                    && first.coords.dims() == w.coords.dims()
                    && first.propagated.dims() == w.propagated.dims()
            };
            let room = |g: &&mut Vec<usize>| {
                g.len() * windows[g[0]].atom_frames() + w.atom_frames() <= GROUP_ATOM_FRAMES
            };
            match groups.iter_mut().find(|g| same(g) && room(g)) {
                Some(group) => group.push(i),
                None => groups.push(vec![i]),
            }
        }
        let mut out: Vec<Option<WindowEncoding>> = windows.iter().map(|_| None).collect();
        for group in groups {
            let members: Vec<&WindowTensors> = group.iter().map(|&i| &windows[i]).collect();
            for (i, encoding) in group.into_iter().zip(self.encode_group(&members)) {
                out[i] = Some(encoding);
            }
        }
        out.into_iter().map(|e| e.expect("every window is in one group")).collect()
    }

    /// Windows of one system (see [`DeepSignature::encode_windows`]) up to the head.
    fn encode_group(&self, group: &[&WindowTensors]) -> Vec<WindowEncoding> {
        let config = &self.config;
        let (first, count) = (group[0], group.len());
        let frames = first.coords.dims()[1];
        let device = first.coords.device();
        // The static baselines see only their frames, in the encoder too.
        let chosen: Option<Vec<i64>> = match config.method {
            Method::FrameHead => Some(vec![0]),
            Method::FrameTail => Some(vec![frames as i64 - 1]),
            Method::FrameHeadTail => Some(vec![0, frames as i64 - 1]),
            _ => None,
        };
        let chosen = chosen.map(|idx| {
            Tensor::<1, Int>::from_data(TensorData::new(idx.clone(), [idx.len()]), &device)
        });
        // The chosen frames of a tensor whose frames are on axis `axis`.
        let pick = |t: &Tensor<3>, axis: usize| match &chosen {
            Some(idx) => t.clone().select(axis, idx.clone()),
            None => t.clone(),
        };
        let coords: Tensor<4> =
            Tensor::stack(group.iter().map(|w| pick(&w.coords, 1)).collect(), 0);
        let clustering = match &self.encoder {
            Some(encoder) => {
                let propagated = group.iter().map(|w| pick(&w.propagated, 0)).collect();
                encoder.forward(propagated, &first.types, &first.graph, config)
            }
            None => fixed_clustering(&first.residues, config.clusters, count, &device),
        };
        let (paths, tie) = match clustering.learned_path {
            Some(learned) => {
                // The reference's L1 tie to the pooled sums, assignment detached
                // (docs/reference-code.md, "Learned path").
                let sums =
                    cluster_paths(&clustering.assignment.clone().detach(), coords, PathKind::Sum);
                let [w, t, k, c] = learned.dims();
                let tie = (learned.clone() - sums).abs().reshape([w, t * k * c]).mean_dim(1);
                (learned, tie.reshape([w]))
            }
            None => (
                cluster_paths(&clustering.assignment, coords, config.path),
                Tensor::zeros([count], &device),
            ),
        }; // paths: [W, T, K, c]
        let [_, t, k, c] = paths.dims();

        let features: Vec<Tensor<2>> = match config.method {
            Method::DeepSignature | Method::SigFixed => {
                unstack(sub_window_logsignatures(paths.reshape([count, t, k * c]), config))
            }
            Method::FrameHead | Method::FrameTail | Method::FrameHeadTail => {
                unstack(paths.reshape([count, 1, t * k * c]))
            }
            Method::GraphLstm => {
                let lstm = self.cluster_lstm.as_ref().expect("built for graph-lstm");
                unstack(paths)
                    .into_iter()
                    .map(|p| lstm.forward(displacements(p).swap_dims(0, 1)))
                    .collect()
            }
            Method::GraphTransformer => {
                let transformer = self.transformer.as_ref().expect("built for graph-transformer");
                unstack(paths)
                    .into_iter()
                    .map(|p| transformer.forward(displacements(p).reshape([t, k * c])))
                    .collect()
            }
        };
        let one = |v: &Tensor<1>| v.clone().split(1, 0);
        let (ties, cuts, orths) = (one(&tie), one(&clustering.cut), one(&clustering.orth));
        let assignments = unstack(clustering.assignment);
        ties.into_iter()
            .zip(cuts)
            .zip(orths)
            .zip(assignments)
            .zip(features)
            .map(|((((tie, cut), orth), assignment), features)| WindowEncoding {
                tie,
                cut,
                orth,
                assignment,
                features,
            })
            .collect()
    }

    /// The logits `[1, outputs]` from a window's [`WindowEncoding::features`]: the LSTM where
    /// the method has one, then the head. Public so that attributions can differentiate the
    /// prediction with respect to the features.
    pub fn head(&self, features: Tensor<2>) -> Tensor<2> {
        self.head_seeded(features, None)
    }

    /// [`DeepSignature::head`] with its dropout drawn from `dropout_seed` (see
    /// [`DeepSignature::head_batch_masked`]).
    fn head_seeded(&self, features: Tensor<2>, dropout_seed: Option<u64>) -> Tensor<2> {
        let summary = match self.config.method {
            Method::GraphLstm | Method::GraphTransformer => features,
            _ => self.lstm().forward(features),
        };
        self.head_from_summary(summary, dropout_seed)
    }

    /// The logits `[windows, outputs]` of many windows' features at once; the same values as
    /// [`DeepSignature::head`] on each. Features of different shapes (windows of different
    /// lengths) fall back to one head call per window.
    pub fn head_batch(&self, features: Vec<Tensor<2>>) -> Tensor<2> {
        self.head_batch_masked(features, None)
    }

    /// [`DeepSignature::head_batch`] with the head's dropout drawn from `dropout_seed`
    /// instead of the device's generator, so that micro-batches trained on several threads
    /// at once draw the same masks as on one (`None`: the device's generator, as `Dropout`;
    /// no dropout outside training either way).
    pub fn head_batch_masked(
        &self,
        features: Vec<Tensor<2>>,
        dropout_seed: Option<u64>,
    ) -> Tensor<2> {
        let same_shape = features.windows(2).all(|pair| pair[0].dims() == pair[1].dims());
        if !same_shape || features.len() < 2 {
            let logits = features
                .into_iter()
                .enumerate()
                .map(|(i, f)| {
                    let seed = dropout_seed.map(|s| s ^ (i as u64).wrapping_mul(SEED_STRIDE));
                    self.head_seeded(f, seed)
                })
                .collect();
            return Tensor::cat(logits, 0);
        }
        let summary = match self.config.method {
            Method::GraphLstm | Method::GraphTransformer => Tensor::cat(features, 0),
            _ => self.lstm().forward_batch(Tensor::stack(features, 0)),
        };
        self.head_from_summary(summary, dropout_seed)
    }

    fn head_from_summary(&self, summary: Tensor<2>, dropout_seed: Option<u64>) -> Tensor<2> {
        let z = self.hidden.forward(self.norm.forward(summary)).tanh();
        let p = self.config.dropout;
        let z = match dropout_seed {
            Some(seed) if p > 0.0 && z.device().is_autodiff() => {
                // Inverted dropout, as burn's: keep with probability 1 − p, scale by 1/(1 − p).
                let ([rows, cols], device) = (z.dims(), z.device());
                let mut rng = deepsig_md::SplitMix64::new(seed);
                let keep = (1.0 / (1.0 - p)) as f32;
                let mask: Vec<f32> = (0..rows * cols)
                    .map(|_| if rng.next_f64() >= p { keep } else { 0.0 })
                    .collect();
                z * Tensor::<2>::from_data(TensorData::new(mask, [rows, cols]), &device)
            }
            _ => self.dropout.forward(z),
        };
        self.out.forward(z)
    }

    fn lstm(&self) -> &SequenceLstm {
        self.lstm.as_ref().expect("DeepSignature::new builds the LSTM for this method")
    }
}

/// The atom-frames (atoms × frames) of the windows the encoder takes at once: one window at
/// GPCR size (1,240 atoms × 100 frames), where each operation's cost is already its
/// arithmetic and a group's activations would only add up (four in a group raised the peak
/// memory by 50 MB at the same speed); 20 windows of 150 atoms × 40 frames.
pub(crate) const GROUP_ATOM_FRAMES: usize = 1240 * 100;

/// Mixes an index into a seed (the golden-ratio increment of splitmix64).
pub(crate) const SEED_STRIDE: u64 = 0x9E37_79B9_7F4A_7C15;

/// The slices of `t` along its first axis, that axis dropped.
fn unstack<const D: usize, const D1: usize>(t: Tensor<D>) -> Vec<Tensor<D1>> {
    t.split(1, 0).into_iter().map(|s| s.squeeze_dim(0)).collect()
}

/// Hard clusters of contiguous residue blocks, without pooling losses (`sig-fixed`), for
/// `windows` windows of one system.
fn fixed_clustering(
    residues: &[u32],
    k: usize,
    windows: usize,
    device: &burn::tensor::Device,
) -> Clustering {
    let blocks = residue_blocks(residues, k);
    let one: Tensor<3> = Tensor::from_data(TensorData::new(blocks, [1, residues.len(), k]), device);
    Clustering {
        assignment: one.repeat_dim(0, windows),
        cut: Tensor::zeros([windows], device),
        orth: Tensor::zeros([windows], device),
        learned_path: None,
    }
}

/// Cluster paths `[W, T, K, c]` from the assignments `[W, N, K]` and atom-major coordinates
/// `[W, N, T, c]`: centroids $(S^T X_t) / (S^T 1)$ (docs/method.md, "Cluster paths") or the
/// reference's sums $S^T X_t$.
pub(crate) fn cluster_paths(
    assignment: &Tensor<3>,
    coords: Tensor<4>,
    path: PathKind,
) -> Tensor<4> {
    let [windows, atoms, frames, c] = coords.dims();
    let k = assignment.dims()[2];
    let flat = coords.reshape([windows, atoms, frames * c]);
    let mut pooled = assignment.clone().swap_dims(1, 2).matmul(flat); // [W, K, T*c]
    if path == PathKind::Centroid {
        let mass = assignment.clone().sum_dim(1).swap_dims(1, 2).clamp_min(1e-6); // [W, K, 1]
        pooled = pooled / mass;
    }
    pooled.reshape([windows, k, frames, c]).swap_dims(1, 2)
}

/// Each cluster's path minus its mean over the window, for the sequence baselines. The
/// clusters' static positions are large and the motions small; the signature is blind to
/// the offset by construction (it reads increments), so the baselines get the same footing
/// instead of learning to look past it.
fn displacements(paths: Tensor<3>) -> Tensor<3> {
    paths.clone() - paths.mean_dim(0)
}

/// The log-signature of each sub-window of paths `[W, T, C]` (cluster-major channels):
/// `[W, sub_windows, logsignature channels]`, one signature-layer call per sub-window for
/// the group.
fn sub_window_logsignatures(paths: Tensor<3>, config: &ModelConfig) -> Tensor<3> {
    let frames = paths.dims()[1];
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
            let sub = paths.clone().narrow(1, r.start, r.end - r.start);
            layer
                .forward(sub)
                .unwrap_or_else(|e| panic!("sub-window shapes are checked by the trainer: {e}"))
        })
        .collect();
    Tensor::stack(features, 1)
}

fn depth(config: &ModelConfig) -> Depth {
    Depth::new(config.depth).expect("TrainConfig::validate keeps depth in 1..=4")
}
