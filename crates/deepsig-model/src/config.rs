//! Model and training configuration, the presets, and `key=value` overrides.
//!
//! Presets (docs/method.md, "Presets"): `paper` is the official code's hyperparameters with
//! its defects fixed; `reference` reproduces the official code's choices for side-by-side
//! comparison; `small` is sized for a laptop CPU demo.

use serde::{Deserialize, Serialize};

pub use crate::config_error::ConfigError;

/// Which path the signature reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PathKind {
    /// Cluster centroids of the real coordinates, $(S^T X_t) / (S^T 1)$ (docs/method.md,
    /// "Cluster paths").
    Centroid,
    /// The reference's unnormalised pooled sums $S^T X_t$ (its read-out's regression target).
    Sum,
    /// The reference's path (docs/reference-code.md, "Learned path"): a linear read-out
    /// (hidden → 3) of the GNN's per-frame cluster features after a fourth graph convolution,
    /// tied to the pooled sums $S^T X_t$ (assignment detached) by `tie_weight` × mean absolute
    /// error. Not translation-invariant: the read-out sees raw features.
    Learned,
}

/// How the learning rate moves after the warm-up (docs/method.md, Training).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Schedule {
    /// `lr` throughout (runs saved before schedules existed).
    #[default]
    Constant,
    /// Half a cosine from `lr` down to [`crate::step::COSINE_FLOOR`]·`lr` at the last epoch.
    Cosine,
}

/// Which edges the atom graph has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EdgeSet {
    /// The bond graph, peptide bonds included (issue B).
    #[default]
    Bonds,
    /// Every pair of selected atoms inside each residue and no edge between residues: the
    /// reference's backbone 4-cliques (docs/reference-code.md, "Residue cliques").
    ResidueCliques,
    /// Pairs of selected atoms within `contact_cutoff` Angstrom in the alignment reference,
    /// plus the bond graph's edges: the elastic-network graph of coarse-grained models.
    Contacts,
}

/// What reads the clusters (docs/method.md, "Baselines"). All methods share the data, the
/// splits and the training loop; only the model differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Method {
    /// Learned MinCut clusters → centroid paths → log-signatures of sub-windows → LSTM.
    #[default]
    #[serde(rename = "deepsig")]
    DeepSignature,
    /// Static: the learned clusters' centroids in the window's first frame.
    #[serde(rename = "frame-head")]
    FrameHead,
    /// Static: the centroids in the last frame.
    #[serde(rename = "frame-tail")]
    FrameTail,
    /// Static: the centroids in the first and last frames.
    #[serde(rename = "frame-head-tail")]
    FrameHeadTail,
    /// Learned clusters, a bidirectional LSTM over each cluster's centroid trajectory.
    #[serde(rename = "graph-lstm")]
    GraphLstm,
    /// Learned clusters, a transformer over the frames' centroid vectors.
    #[serde(rename = "graph-transformer")]
    GraphTransformer,
    /// Fixed clusters (contiguous residue blocks), log-signatures and the same head: what
    /// learning the clusters adds.
    #[serde(rename = "sig-fixed")]
    SigFixed,
}

impl Method {
    /// Every method, in the order tables list them.
    pub const ALL: [Method; 7] = [
        Method::DeepSignature,
        Method::FrameHead,
        Method::FrameTail,
        Method::FrameHeadTail,
        Method::GraphLstm,
        Method::GraphTransformer,
        Method::SigFixed,
    ];

    /// The name used on the command line and in tables.
    pub fn name(self) -> &'static str {
        match self {
            Method::DeepSignature => "deepsig",
            Method::FrameHead => "frame-head",
            Method::FrameTail => "frame-tail",
            Method::FrameHeadTail => "frame-head-tail",
            Method::GraphLstm => "graph-lstm",
            Method::GraphTransformer => "graph-transformer",
            Method::SigFixed => "sig-fixed",
        }
    }

    /// Whether the clusters are learned (and so MinCut losses apply).
    pub fn learns_clusters(self) -> bool {
        self != Method::SigFixed
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Method {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Method, ConfigError> {
        Method::ALL.into_iter().find(|m| m.name() == s).ok_or_else(|| {
            let names: Vec<_> = Method::ALL.iter().map(|m| m.name()).collect();
            ConfigError::UnknownMethod { name: s.to_string(), expected: names.join(", ") }
        })
    }
}

// serde's defaults for keys that saved configurations may lack.
const fn default_baseline_width() -> usize {
    32
}
const fn default_true() -> bool {
    true
}
const fn default_tie_weight() -> f64 {
    0.01
}
const fn default_contact_cutoff() -> f64 {
    8.0
}

/// The architecture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// Which model reads the clusters.
    #[serde(default)]
    pub method: Method,
    /// K: clusters at the last pooling level.
    pub clusters: usize,
    /// Cluster counts per pooling level as multiples of K, first level first (8K, 4K, K).
    pub pool_multipliers: Vec<usize>,
    /// Width of the GNN features.
    pub hidden: usize,
    /// The GNN reads coordinates divided by the window's RMS radius, whatever the unit and
    /// size (docs/method.md, "Node features and GCN"); off: the scaled coordinates, as saved
    /// runs without the key and the `reference` preset.
    #[serde(default)]
    pub scale_free_clustering: bool,
    /// Learn an embedding of atom names and residue names (translation-invariant features).
    pub type_features: bool,
    /// Bound assignment logits by tanh before the softmax (the reference does).
    pub tanh_logits: bool,
    /// The path the signature reads.
    pub path: PathKind,
    /// Multiply coordinates (Angstrom) by this before they enter the model (0.1 = nm).
    pub coordinate_scale: f64,
    /// Centre each window's coordinates on their mean; false = the reference's raw
    /// coordinates (no translation invariance).
    #[serde(default = "default_true")]
    pub centre: bool,
    /// The atom graph's edges.
    #[serde(default)]
    pub edges: EdgeSet,
    /// Distance (Angstrom) within which `edges = "contacts"` joins two atoms.
    #[serde(default = "default_contact_cutoff")]
    pub contact_cutoff: f64,
    /// Each edge one way only, as the reference stores them (docs/reference-code.md, "Edges").
    #[serde(default)]
    pub directed: bool,
    /// Signature depth.
    pub depth: usize,
    /// Sub-windows per window, one log-signature each.
    pub sub_windows: usize,
    /// Sub-windows share their boundary frames (no increment lost); false = the reference's
    /// disjoint chunks.
    pub shared_boundaries: bool,
    /// LSTM hidden width.
    pub lstm_hidden: usize,
    /// Width of the layer before the output.
    pub head_hidden: usize,
    /// Dropout before the output layer.
    pub dropout: f64,
    /// Width of the baselines' sequence models: hidden size per direction of `graph-lstm`,
    /// model width of `graph-transformer`.
    #[serde(default = "default_baseline_width")]
    pub baseline_width: usize,
}

/// Training settings; nests the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// The architecture.
    pub model: ModelConfig,
    /// Adam learning rate (the peak, after warm-up).
    pub lr: f64,
    /// Epochs over which the learning rate rises linearly to `lr`, at most a tenth of
    /// `epochs` (0: none, as saved runs without the key).
    #[serde(default)]
    pub warmup_epochs: usize,
    /// The learning rate after the warm-up.
    #[serde(default)]
    pub schedule: Schedule,
    /// Largest global L2 norm of a step's gradient: a larger one is scaled down to it,
    /// keeping its direction (0: no clipping, as saved runs without the key).
    #[serde(default)]
    pub clip_grad_norm: f64,
    /// L2 weight decay (Adam's, as the reference).
    pub weight_decay: f64,
    /// Windows per optimisation step.
    pub batch: usize,
    /// Maximum epochs.
    pub epochs: usize,
    /// Stop after this many epochs without a better validation loss (0 = never stop early).
    pub patience: usize,
    /// Weight of the task loss.
    pub task_weight: f64,
    /// Weight of each MinCut loss.
    pub cut_weight: f64,
    /// Weight of each orthogonality loss.
    pub orth_weight: f64,
    /// Weight of the tie of a learned path to the pooled sums (`path = "learned"` only).
    #[serde(default = "default_tie_weight")]
    pub tie_weight: f64,
    /// Fractions of trajectories for validation and test (the rest trains); used when
    /// `folds` is 0.
    pub validation_fraction: f64,
    /// See `validation_fraction`.
    pub test_fraction: f64,
    /// k-fold cross-validation over trajectory groups. 0 (the default): the fraction split
    /// above. k >= 3: the groups are dealt once into k folds (stratified, drawn from
    /// `split_seed`), and the run with seed s tests fold s mod k, validates (early stopping,
    /// checkpoint choice) on fold (s + 1) mod k and trains on the other k - 2; so
    /// `--seeds k --set folds=k` tests every trajectory exactly once and its mean ± std over
    /// seeds is the cross-validation estimate. The fractions cannot be set with it.
    #[serde(default)]
    pub folds: usize,
    /// Seed of the split. Unset (`null`, the default): the run's seed for the fraction split
    /// (each seed its own split), 0 for k-fold (one partition into folds for every seed).
    /// Set: that split for every seed, so only initialisation, shuffling and dropout vary.
    #[serde(default)]
    pub split_seed: Option<u64>,
    /// Align every frame to a fixed reference (rigid-motion invariance).
    pub align: bool,
}

/// A named starting configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// The official hyperparameters, defects fixed.
    Paper,
    /// The official code's choices, for comparison.
    Reference,
    /// A small model for fast CPU runs.
    Small,
}

impl std::str::FromStr for Preset {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Preset, ConfigError> {
        match s {
            "paper" => Ok(Preset::Paper),
            "reference" => Ok(Preset::Reference),
            "small" => Ok(Preset::Small),
            _ => Err(ConfigError::UnknownPreset { name: s.to_string() }),
        }
    }
}

impl Preset {
    /// The configuration this preset stands for.
    pub fn config(self) -> TrainConfig {
        let paper = TrainConfig {
            model: ModelConfig {
                method: Method::DeepSignature,
                clusters: 50,
                pool_multipliers: vec![8, 4, 1],
                hidden: 20,
                scale_free_clustering: true,
                type_features: true,
                tanh_logits: false,
                path: PathKind::Centroid,
                coordinate_scale: 0.1,
                centre: true,
                edges: EdgeSet::Bonds,
                contact_cutoff: default_contact_cutoff(),
                directed: false,
                depth: 2,
                sub_windows: 4,
                shared_boundaries: true,
                lstm_hidden: 256,
                head_hidden: 20,
                dropout: 0.2,
                baseline_width: 32,
            },
            lr: 1e-3,
            warmup_epochs: 5,
            schedule: Schedule::Cosine,
            // Off by default: measured on `motion` (BENCHMARKS.md, training defaults), clipping
            // at 1 or 5 cost sig-fixed 26 points of accuracy beside the schedule.
            clip_grad_norm: 0.0,
            weight_decay: 5e-4,
            batch: 16,
            epochs: 200,
            patience: 30,
            task_weight: 10.0,
            cut_weight: 1.0,
            orth_weight: 1.0,
            tie_weight: 0.01,
            validation_fraction: 0.2,
            test_fraction: 0.2,
            folds: 0,
            split_seed: None,
            align: true,
        };
        match self {
            Preset::Paper => paper,
            Preset::Reference => TrainConfig {
                model: ModelConfig {
                    scale_free_clustering: false,
                    type_features: false,
                    tanh_logits: true,
                    path: PathKind::Learned,
                    centre: false,
                    edges: EdgeSet::ResidueCliques,
                    directed: true,
                    shared_boundaries: false,
                    ..paper.model
                },
                patience: 0,
                align: false,
                // The official code: constant Adam steps, no clipping.
                warmup_epochs: 0,
                schedule: Schedule::Constant,
                clip_grad_norm: 0.0,
                ..paper
            },
            Preset::Small => TrainConfig {
                model: ModelConfig {
                    clusters: 6,
                    // One level and dropout 0.3: [2, 1] with 0.1 overfitted `circulation`
                    // (76 %, both changes 100 %; BENCHMARKS.md, "Circulation").
                    pool_multipliers: vec![1],
                    hidden: 16,
                    lstm_hidden: 32,
                    head_hidden: 16,
                    dropout: 0.3,
                    baseline_width: 16,
                    // Angstrom, not nm: at 0.1 the Lévy areas that carry the order of motions
                    // are 100 times smaller, and graph-lstm (48 -> 100 % on motion), sig-fixed
                    // (48 -> 96 % on circulation) and the learning test sat at chance
                    // (BENCHMARKS.md, "Coordinate scale").
                    coordinate_scale: 1.0,
                    ..paper.model
                },
                lr: 1e-2,
                batch: 8,
                epochs: 80,
                patience: 40,
                ..paper
            },
        }
    }
}

impl TrainConfig {
    /// Applies `key=value` overrides; keys are field names, nested with dots for the model
    /// (`model.clusters=20`) or bare when unambiguous (`clusters=20`). Values are JSON
    /// (numbers, `true`, `"centroid"`) or bare words taken as strings.
    pub fn with_overrides(&self, overrides: &[String]) -> Result<TrainConfig, ConfigError> {
        let mut json = serde_json::to_value(self)
            .map_err(|e| ConfigError::BadValue { item: String::new(), reason: e.to_string() })?;
        let mut fractions_set = Vec::new();
        for item in overrides {
            let (key, value) = item
                .split_once('=')
                .ok_or_else(|| ConfigError::NotKeyValue { item: item.clone() })?;
            let value: serde_json::Value = serde_json::from_str(value)
                .unwrap_or_else(|_| serde_json::Value::String(value.to_string()));
            let path: Vec<&str> = if key.contains('.') || json.get(key).is_some() {
                key.split('.').collect()
            } else {
                vec!["model", key]
            };
            if matches!(key, "validation_fraction" | "test_fraction") {
                fractions_set.push(key);
            }
            let mut slot = &mut json;
            for part in &path {
                slot = slot
                    .get_mut(*part)
                    .ok_or_else(|| ConfigError::UnknownKey { key: key.to_string() })?;
            }
            *slot = value;
            // Checked per item so that a bad value is reported with its key.
            serde_json::from_value::<TrainConfig>(json.clone())
                .map_err(|e| ConfigError::BadValue { item: item.clone(), reason: e.to_string() })?;
        }
        let config: TrainConfig = serde_json::from_value(json).map_err(|e| {
            ConfigError::BadValue { item: overrides.join(" "), reason: e.to_string() }
        })?;
        config.validate()?;
        if config.folds != 0 && !fractions_set.is_empty() {
            return Err(ConfigError::FractionsWithFolds {
                keys: fractions_set.join(", "),
                folds: config.folds,
            });
        }
        Ok(config)
    }

    /// Checks ranges that the types cannot express.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let m = &self.model;
        let bad = |rule: &'static str| Err(ConfigError::Rule(rule));
        if m.clusters == 0 || m.pool_multipliers.is_empty() || m.pool_multipliers.contains(&0) {
            return bad("clusters and every pool multiplier must be at least 1");
        }
        if m.depth == 0 || m.depth > 4 {
            return bad("depth must be 1 to 4 (the log-signature width grows as (3K)^depth)");
        }
        if m.sub_windows == 0
            || self.batch == 0
            || self.epochs == 0
            || m.hidden == 0
            || m.lstm_hidden == 0
            || m.baseline_width == 0
        {
            return bad(
                "sub_windows, batch, epochs, hidden, lstm_hidden and baseline_width must be at least 1",
            );
        }
        if matches!(self.folds, 1 | 2) {
            return Err(ConfigError::TooFewFolds { folds: self.folds });
        }
        if m.path == PathKind::Learned && !m.method.learns_clusters() {
            return Err(ConfigError::LearnedPathWithFixedClusters { method: m.method.to_string() });
        }
        if !(0.0..1.0).contains(&m.dropout) {
            return bad("dropout must be in [0, 1)");
        }
        let weights = [
            ("weight_decay", self.weight_decay),
            ("task_weight", self.task_weight),
            ("cut_weight", self.cut_weight),
            ("orth_weight", self.orth_weight),
            ("tie_weight", self.tie_weight),
            ("clip_grad_norm", self.clip_grad_norm),
        ];
        if let Some((name, value)) = weights.iter().find(|(_, v)| !(v.is_finite() && *v >= 0.0)) {
            return Err(ConfigError::OutOfRange {
                setting: name,
                value: value.to_string(),
                rule: "finite and >= 0",
            });
        }
        if !(m.contact_cutoff.is_finite() && m.contact_cutoff > 0.0) {
            return Err(ConfigError::OutOfRange {
                setting: "contact_cutoff",
                value: m.contact_cutoff.to_string(),
                rule: "finite and > 0 (Angstrom)",
            });
        }
        if !(m.coordinate_scale.is_finite() && m.coordinate_scale > 0.0) {
            return Err(ConfigError::OutOfRange {
                setting: "coordinate_scale",
                value: m.coordinate_scale.to_string(),
                rule: "finite and > 0",
            });
        }
        if self.lr.is_nan()
            || self.lr <= 0.0
            || self.validation_fraction <= 0.0
            || self.test_fraction < 0.0
            || self.validation_fraction + self.test_fraction >= 1.0
        {
            return bad(
                "lr must be positive, validation_fraction > 0, test_fraction >= 0 and their sum < 1",
            );
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
