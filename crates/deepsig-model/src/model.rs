//! The model: Deep Signature (GCN → hierarchical MinCut soft clustering → cluster paths →
//! log-signatures of sub-windows → LSTM head; docs/method.md, "Pipeline") or one of its
//! baselines (docs/method.md, "Baselines"), chosen by [`Method`].
//!
//! One window is one encoder call (`encode_window`); a batch is a list of windows, so systems
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
    /// stored): `[frames, atoms, channels]`.
    pub coords: Tensor<3>,
    /// $\hat A O$: `[atoms, types]`.
    pub types: Tensor<2>,
    /// Ordinal residue of each atom, for the fixed clusters of `sig-fixed`.
    pub residues: Vec<u32>,
    pub(crate) graph: SparseGraph,
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
        let config = &self.config;
        let frames = w.coords.dims()[0];
        let device = w.coords.device();
        // The static baselines see only their frames, in the encoder too.
        let chosen: Option<Vec<i64>> = match config.method {
            Method::FrameHead => Some(vec![0]),
            Method::FrameTail => Some(vec![frames as i64 - 1]),
            Method::FrameHeadTail => Some(vec![0, frames as i64 - 1]),
            _ => None,
        };
        let (propagated, coords) = match &chosen {
            Some(idx) => {
                let idx =
                    Tensor::<1, Int>::from_data(TensorData::new(idx.clone(), [idx.len()]), &device);
                (w.propagated.clone().select(0, idx.clone()), w.coords.clone().select(0, idx))
            }
            None => (w.propagated.clone(), w.coords.clone()),
        };
        let clustering = match &self.encoder {
            Some(encoder) => encoder.forward(propagated, &w.types, &w.graph, config),
            None => fixed_clustering(&w.residues, config.clusters, &device),
        };
        let (paths, tie) = match clustering.learned_path {
            Some(learned) => {
                // The reference's L1 tie to the pooled sums, assignment detached
                // (docs/reference-code.md, "Learned path").
                let sums =
                    cluster_paths(&clustering.assignment.clone().detach(), coords, PathKind::Sum);
                let tie = (learned.clone() - sums).abs().mean();
                (learned, tie)
            }
            None => (
                cluster_paths(&clustering.assignment, coords, config.path),
                Tensor::zeros([1], &device),
            ),
        }; // paths: [T, K, c]
        let [t, k, c] = paths.dims();

        let features = match config.method {
            Method::DeepSignature | Method::SigFixed => {
                sub_window_logsignatures(paths.reshape([t, k * c]), config)
            }
            Method::FrameHead | Method::FrameTail | Method::FrameHeadTail => {
                paths.reshape([1, t * k * c])
            }
            Method::GraphLstm => {
                let lstm = self.cluster_lstm.as_ref().expect("built for graph-lstm");
                lstm.forward(displacements(paths).swap_dims(0, 1))
            }
            Method::GraphTransformer => {
                let transformer = self.transformer.as_ref().expect("built for graph-transformer");
                transformer.forward(displacements(paths).reshape([t, k * c]))
            }
        };
        WindowEncoding {
            tie,
            cut: clustering.cut,
            orth: clustering.orth,
            assignment: clustering.assignment,
            features,
        }
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

/// Mixes an index into a seed (the golden-ratio increment of splitmix64).
pub(crate) const SEED_STRIDE: u64 = 0x9E37_79B9_7F4A_7C15;

/// Hard clusters of contiguous residue blocks, without pooling losses (`sig-fixed`).
fn fixed_clustering(residues: &[u32], k: usize, device: &burn::tensor::Device) -> Clustering {
    let blocks = residue_blocks(residues, k);
    Clustering {
        assignment: Tensor::from_data(TensorData::new(blocks, [residues.len(), k]), device),
        cut: Tensor::zeros([1], device),
        orth: Tensor::zeros([1], device),
        learned_path: None,
    }
}

/// Cluster paths `[T, K, c]` from the assignment `[N, K]` and coordinates `[T, N, c]`:
/// centroids $(S^T X_t) / (S^T 1)$ (docs/method.md, "Cluster paths") or the reference's
/// sums $S^T X_t$.
pub(crate) fn cluster_paths(
    assignment: &Tensor<2>,
    coords: Tensor<3>,
    path: PathKind,
) -> Tensor<3> {
    let [frames, atoms, c] = coords.dims();
    let k = assignment.dims()[1];
    let flat = coords.swap_dims(0, 1).reshape([atoms, frames * c]);
    let mut pooled = assignment.clone().transpose().matmul(flat); // [K, T*c]
    if path == PathKind::Centroid {
        let mass = assignment.clone().sum_dim(0).transpose().clamp_min(1e-6); // [K, 1]
        pooled = pooled / mass;
    }
    pooled.reshape([k, frames, c]).swap_dims(0, 1)
}

/// Each cluster's path minus its mean over the window, for the sequence baselines. The
/// clusters' static positions are large and the motions small; the signature is blind to
/// the offset by construction (it reads increments), so the baselines get the same footing
/// instead of learning to look past it.
fn displacements(paths: Tensor<3>) -> Tensor<3> {
    paths.clone() - paths.mean_dim(0)
}

/// The log-signature of each sub-window of a path `[T, C]` (cluster-major channels):
/// `[sub_windows, logsignature channels]`.
fn sub_window_logsignatures(path: Tensor<2>, config: &ModelConfig) -> Tensor<2> {
    let frames = path.dims()[0];
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
    Tensor::cat(features, 0)
}

fn depth(config: &ModelConfig) -> Depth {
    Depth::new(config.depth).expect("TrainConfig::validate keeps depth in 1..=4")
}
