//! The Deep Signature model on burn: soft clustering of atoms, cluster-centroid paths, their
//! log-signatures on sub-windows, and a sequence head (docs/method.md).
//!
//! # Overview
//!
//! - [`dataset`]: a manifest read, selected, made whole, aligned and windowed
//!   ([`Dataset`]), cached on disk by content.
//! - [`reference`]: the alignment reference kept by the model, per set of atoms.
//! - [`features`]: host-side model inputs (centred coordinates, first GCN propagation).
//! - [`model`]: [`DeepSignature`], the burn module, for every [`Method`]: the shared
//!   [`encoder`] (GCN + MinCut; [`pooling`] holds the maths, [`first_layer`] the first GCN
//!   layer and its mean over frames as one op, [`softmax`] the assignments' softmax) and
//!   the [`baselines`]' readers.
//! - [`sig_layer`]: the differentiable (log-)signature layer, a custom autodiff op over
//!   `deepsig-signature`'s exact forward and memory-efficient backward.
//! - [`step`]: one optimisation step (loss, accumulated gradients, clipping, [`adam`]: burn's
//!   Adam in one pass per parameter on the CPU) and the learning-rate schedule; [`training`]:
//!   [`train`], the loop that writes a run folder and
//!   its per-epoch checkpoint; [`report`] its outputs; [`io`] atomic writes.
//! - [`inference`]: reloading a run folder ([`TrainedRun`]) and applying it to new files;
//!   [`explain`] its clusters and signature-term attributions.
//! - [`config`]: [`TrainConfig`], presets and overrides; [`task`]: losses and metrics.
//! - [`backend`]: the framework's backends and devices, named in one place.
//!
//! # Training a run
//!
//! [`train`] (or [`train_observed`], to see each epoch) reads a manifest, prepares and caches
//! its windows, trains on the split the configuration and seed give, and writes a run folder
//! that [`TrainedRun::load`] reopens to predict on new files. Configurations start from a
//! preset and take the CLI's `--set` overrides; a bad one is a typed error naming the key:
//!
//! ```
//! use deepsig_model::config::ConfigError;
//! use deepsig_model::{Preset, TrainOptions};
//!
//! let config = Preset::Small.config().with_overrides(&["epochs=20".into(), "clusters=4".into()])?;
//! assert_eq!((config.epochs, config.model.clusters), (20, 4));
//! let typo = Preset::Small.config().with_overrides(&["clustres=4".into()]);
//! assert!(matches!(typo, Err(ConfigError::UnknownKey { .. })));
//! let options = TrainOptions {
//!     manifest: "motion/manifest.toml".into(),
//!     out: "runs/motion".into(),
//!     config,
//!     seed: 0,
//!     device: "cpu".into(),
//!     resume: false,
//!     resume_changed: false,
//!     cache_dir: None,
//! };
//! // deepsig_model::train(&options)? would now train and return the test metrics.
//! # let _ = options;
//! # Ok::<(), ConfigError>(())
//! ```
#![deny(missing_docs)]

pub mod adam;
pub mod backend;
pub mod baselines;
pub mod bench;
mod cache;
mod checkpoint;
pub mod config;
mod config_error;
pub mod data;
pub mod dataset;
pub mod encoder;
mod error;
pub mod explain;
pub mod features;
pub mod first_layer;
mod graph_checks;
mod host;
mod host_product;
pub mod inference;
pub mod io;
pub mod lstm;
mod lstm_recurrence;
pub mod metrics;
pub mod model;
mod nodes;
pub(crate) mod pooling;
pub mod prepare;
mod projection;
mod real;
pub mod reference;
pub mod report;
pub mod seeds;
pub mod sig_layer;
mod simd;
pub mod softmax;
pub mod step;
mod symmetric_products;
pub mod task;
pub mod training;

pub use backend::{Device, DeviceError, device_from_str, train_device};
pub use checkpoint::CHECKPOINT_FILE;
pub use config::{Method, ModelConfig, Preset, Schedule, TrainConfig};
pub use dataset::Dataset;
pub use error::{DataError, FitError, TrainError};
pub use inference::{
    SystemInput, TrainedRun, TrajectoryEmbedding, TrajectoryPrediction, evaluate_run,
};
pub use metrics::Metrics;
pub use model::{DeepSignature, InputShape};
pub use report::{EvaluatedPart, FitMetrics, RunMetrics};
pub use seeds::{SeedRuns, SeedSummary};
pub use sig_layer::{SigLayer, SigLayerError};
pub use training::{BEST_MODEL_FILE, Quiet, TrainObserver, TrainOptions, train, train_observed};
