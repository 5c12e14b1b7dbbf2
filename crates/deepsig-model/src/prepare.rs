//! From a manifest to training samples: the dataset, the task, the vocabulary, the
//! trajectory-level split (fractions or k-fold, [`split_trajectories`]), and each window's
//! host-side inputs.

use std::path::Path;

use burn::tensor::{Device, Int, Tensor, TensorData};
use deepsig_md::{
    Fractions, Manifest, Split, SplitError, SplitUnit, k_fold, train_validation_test,
};
use serde::{Deserialize, Serialize};

use crate::TrainError;
use crate::config::TrainConfig;
use crate::dataset::{CacheStats, Dataset, DatasetOptions, SystemKind};
use crate::features::{GraphInput, Vocabulary, WindowInput};
use crate::model::{InputShape, WindowTensors};
use crate::pooling::SparseGraph;
use crate::task::Task;

/// One window ready for the model.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Trajectory index (the split unit).
    pub trajectory: usize,
    /// System index.
    pub system: usize,
    /// Window index within its trajectory.
    pub window: usize,
    /// Target: class index or value.
    pub target: f64,
    /// Host-side inputs.
    pub input: WindowInput,
}

/// Everything training needs, on the host.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The preprocessed data.
    pub dataset: Dataset,
    /// The task.
    pub task: Task,
    /// Types seen in training.
    pub vocabulary: Vocabulary,
    /// Per system.
    pub graphs: Vec<GraphInput>,
    /// Every window of every trajectory.
    pub samples: Vec<Sample>,
    /// Trajectory indices of each part.
    pub train: Vec<usize>,
    /// See `train`.
    pub validation: Vec<usize>,
    /// See `train`.
    pub test: Vec<usize>,
    /// How the split was drawn (recorded in `config.json` and `metrics.json`).
    pub split: SplitInfo,
    /// Cache use.
    pub cache: CacheStats,
}

impl Prepared {
    /// Loads `manifest` (through the cache in `cache_dir`) and splits it by trajectory for the
    /// run with `seed` ([`split_trajectories`]).
    pub fn load(
        manifest: &Path,
        config: &TrainConfig,
        seed: u64,
        cache_dir: Option<&Path>,
    ) -> Result<Prepared, TrainError> {
        let manifest = Manifest::load(manifest).map_err(crate::error::DataError::from)?;
        let mut options = DatasetOptions::default();
        options.prep.align = config.align;
        let (dataset, cache) = Dataset::load(&manifest, &options, cache_dir)?;
        let task =
            Task::infer(dataset.systems.iter().map(|s| &s.label)).map_err(TrainError::Data)?;
        let units: Vec<SplitUnit> = manifest.split_units();
        let (split, info) = split_trajectories(&units, config, seed)?;
        let vocabulary = Vocabulary::from_systems(
            split.train.iter().map(|&t| &dataset.systems[dataset.trajectories[t].system]),
        );
        check_graph_options(&dataset, config)?;
        let graphs: Vec<GraphInput> = dataset
            .systems
            .iter()
            .map(|s| {
                let graph = GraphInput::for_config(s, &vocabulary, &config.model);
                check_edges(&graph, s, config).map(|()| graph)
            })
            .collect::<Result<_, _>>()?;
        check_channels(&dataset)?;
        let mut samples = Vec::new();
        for (t, traj) in dataset.trajectories.iter().enumerate() {
            let target = task.target(&dataset.systems[traj.system].label);
            for (w, window) in traj.windows.iter().enumerate() {
                let need = config.model.sub_windows + 1;
                if window.frames < need {
                    return Err(TrainError::Data(format!(
                        "{}: window {w} has {} frames, but {} sub-windows need at least {need}; use fewer windows or sub_windows",
                        traj.path.display(),
                        window.frames,
                        config.model.sub_windows
                    )));
                }
                let graph = &graphs[traj.system];
                let input = match dataset.systems[traj.system].kind {
                    SystemKind::Molecule => WindowInput::for_config(window, graph, &config.model),
                    SystemKind::Graph => WindowInput::node_values(window, graph),
                };
                samples.push(Sample {
                    trajectory: t,
                    system: traj.system,
                    window: w,
                    target,
                    input,
                });
            }
        }
        Ok(Prepared {
            dataset,
            task,
            vocabulary,
            graphs,
            samples,
            train: split.train,
            validation: split.validation,
            test: split.test,
            split: info,
            cache,
        })
    }

    /// The model input this data gives: the systems' channel count (3 for coordinates; every
    /// system has the same, which [`Prepared::load`] checks).
    pub fn input_shape(&self) -> InputShape {
        InputShape {
            channels: self.dataset.systems.first().map_or(3, |s| s.channels),
            type_width: self.vocabulary.width(),
            outputs: self.task.outputs(),
        }
    }

    /// Sample indices whose trajectory is in `trajectories`.
    pub fn samples_of(&self, trajectories: &[usize]) -> Vec<usize> {
        (0..self.samples.len())
            .filter(|&i| trajectories.contains(&self.samples[i].trajectory))
            .collect()
    }

    /// The tensors of sample `i` on `device`.
    pub fn tensors(&self, i: usize, device: &Device) -> WindowTensors {
        window_tensors(&self.samples[i].input, &self.graphs[self.samples[i].system], device)
    }
}

/// How a run's trajectories were split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitInfo {
    /// k of k-fold cross-validation; 0 = the fraction split.
    pub folds: usize,
    /// With k folds, the test fold (the run's seed mod k); fold + 1 mod k validates.
    pub fold: Option<usize>,
    /// The seed the partition was drawn from.
    pub split_seed: u64,
}

/// The trajectory-level split of the run with `seed` (indices into `units`, the manifest's
/// trajectories). With `config.folds` = 0, a seeded train/validation/test split by the
/// configured fractions, drawn from `split_seed` or else `seed`. With k folds, the k-fold
/// partition drawn from `split_seed` (else 0), the same for every seed and method; the run
/// tests fold `seed mod k`, validates on the next fold and trains on the rest.
pub fn split_trajectories(
    units: &[SplitUnit],
    config: &TrainConfig,
    seed: u64,
) -> Result<(Split, SplitInfo), TrainError> {
    let err = |e: SplitError| TrainError::Data(format!("split: {e}"));
    if config.folds == 0 {
        let split_seed = config.split_seed.unwrap_or(seed);
        let fractions = Fractions::new(
            1.0 - config.validation_fraction - config.test_fraction,
            config.validation_fraction,
            config.test_fraction,
        )
        .map_err(err)?;
        let split = train_validation_test(units, fractions, split_seed).map_err(err)?;
        return Ok((split, SplitInfo { folds: 0, fold: None, split_seed }));
    }
    let (k, split_seed) = (config.folds, config.split_seed.unwrap_or(0));
    let mut splits = k_fold(units, k, split_seed).map_err(|e| match e {
        SplitError::TooFewGroups { groups, folds } => TrainError::Data(format!(
            "split: folds={folds} needs at least {folds} trajectory groups, but the manifest \
             has {groups} (trajectories sharing a `group` count once); use folds <= {groups}"
        )),
        other => err(other),
    })?;
    let fold = (seed % k as u64) as usize;
    Ok((splits.swap_remove(fold), SplitInfo { folds: k, fold: Some(fold), split_seed }))
}

/// Residue cliques need residues: a graph system's nodes have none, and its manifest gives
/// the edges.
fn check_graph_options(dataset: &Dataset, config: &TrainConfig) -> Result<(), TrainError> {
    if config.model.edges == crate::config::EdgeSet::Bonds {
        return Ok(());
    }
    match dataset.systems.iter().find(|s| s.kind == SystemKind::Graph) {
        Some(graph) => Err(TrainError::Data(format!(
            "system {} is a graph system (its edges come from the manifest), but \
             edges=residue-cliques builds the graph from residues; use edges=bonds",
            graph.name
        ))),
        None => Ok(()),
    }
}

/// Residue cliques of a selection with one atom per residue (CA only, say) have no edge, and
/// MinCut pooling of a graph without edges divides zero by zero: its cut loss and degree
/// normalisation blow up, and training turns to NaN.
pub(crate) fn check_edges(
    graph: &GraphInput,
    system: &crate::dataset::SystemData,
    config: &TrainConfig,
) -> Result<(), TrainError> {
    if config.model.edges == crate::config::EdgeSet::ResidueCliques && graph.src.is_empty() {
        return Err(TrainError::Data(format!(
            "system {} ({}): edges=residue-cliques gives no edge, since every residue has one \
             selected atom; select several atoms per residue (the reference uses \
             \"backbone\") or use edges=bonds",
            system.name,
            system.topology.display()
        )));
    }
    Ok(())
}

/// Every system must give the model the same number of channels per atom, since the first
/// layer's weights have that many rows.
fn check_channels(dataset: &Dataset) -> Result<(), TrainError> {
    let Some(first) = dataset.systems.first() else { return Ok(()) };
    match dataset.systems.iter().find(|s| s.channels != first.channels) {
        Some(other) => Err(TrainError::Data(format!(
            "system {} has {} channels per node but system {} has {}; one model needs the same \
             channel count everywhere (coordinates have 3)",
            other.name, other.channels, first.name, first.channels
        ))),
        None => Ok(()),
    }
}

/// The tensors of one window on `device`.
pub fn window_tensors(input: &WindowInput, graph: &GraphInput, device: &Device) -> WindowTensors {
    let (t, n, c) = (input.frames, graph.atoms, input.channels);
    let index =
        |v: &[i64]| Tensor::<1, Int>::from_data(TensorData::new(v.to_vec(), [v.len()]), device);
    WindowTensors {
        propagated: Tensor::from_data(TensorData::new(input.propagated.clone(), [t, n, c]), device),
        coords: Tensor::from_data(TensorData::new(input.coords.clone(), [t, n, c]), device),
        types: Tensor::from_data(
            TensorData::new(graph.types.clone(), [n, graph.type_width]),
            device,
        ),
        residues: graph.residues.clone(),
        // Pooling gathers (A S)_i = Σ_j A_ij S_j: from each edge's target into its source.
        graph: SparseGraph {
            src: index(&graph.dst),
            dst: index(&graph.src),
            degree: Tensor::from_data(TensorData::new(graph.degree.clone(), [n, 1]), device),
            symmetric: !graph.directed,
        },
    }
}
