//! From a manifest to training samples: the dataset, the task, the vocabulary, the
//! trajectory-level split (fractions or k-fold, [`split_trajectories`]), and each window's
//! host-side inputs.

use std::path::Path;
use std::sync::Arc;

use burn::tensor::{Device, Int, Tensor, TensorData};
use deepsig_md::{
    Fractions, Manifest, Split, SplitError, SplitUnit, k_fold, train_validation_test,
};
use serde::{Deserialize, Serialize};

use crate::config::{ModelConfig, Preset, TrainConfig};
use crate::data::WindowData;
use crate::dataset::{CacheStats, Dataset, DatasetOptions, SystemKind};
use crate::features::{GraphInput, Vocabulary, WindowInput};
pub(crate) use crate::graph_checks::system_graph;
pub use crate::graph_checks::{
    DataWarning, ISOLATED_WARNING_FRACTION, MAX_CLIQUE_RESIDUE, graph_warnings,
};
use crate::graph_checks::{check_channels, check_graph_options};
use crate::model::{InputShape, WindowTensors};
use crate::pooling::SparseGraph;
use crate::symmetric_products::{EdgeList, Edges};
use crate::task::Task;
use crate::{FitError, TrainError};

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
    /// What the data holds that the user should know (training goes ahead).
    pub warnings: Vec<DataWarning>,
}

/// How the frames of `manifest` are prepared for a run with `config`: everything that goes
/// into the cache key besides the files.
pub fn dataset_options(manifest: &Manifest, config: &TrainConfig) -> DatasetOptions {
    let mut options = DatasetOptions::default();
    options.prep.align = config.align;
    options.read.allow_truncated = manifest.allow_truncated();
    options
}

/// Preprocesses `shard`'s trajectories of the manifest at `manifest` into `cache_dir`, under
/// the keys a run with `config` looks up, so that `train` finds them there (`deepsig
/// prepare`). Shards can run at once, in processes on other machines that share the folder:
/// every entry is written to a temporary file and renamed into place.
pub fn prepare_shard(
    manifest: &Path,
    config: &TrainConfig,
    cache_dir: &Path,
    shard: crate::dataset::Shard,
) -> Result<CacheStats, TrainError> {
    let manifest = Manifest::load(manifest).map_err(crate::error::DataError::from)?;
    let options = dataset_options(&manifest, config);
    let (_, stats) = Dataset::load_shard(&manifest, &options, Some(cache_dir), shard)?;
    Ok(stats)
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
        let options = dataset_options(&manifest, config);
        let (dataset, cache) = Dataset::load(&manifest, &options, cache_dir)?;
        let task = Task::infer(dataset.systems.iter().map(|s| &s.label))?;
        let units: Vec<SplitUnit> = manifest.split_units();
        let (split, info) = match manifest.given_split() {
            Some(given) => given_split(given, config)?,
            None => split_trajectories(&units, config, seed)?,
        };
        let vocabulary = Vocabulary::from_systems(
            split.train.iter().map(|&t| &dataset.systems[dataset.trajectories[t].system]),
        );
        check_graph_options(&dataset, config)?;
        let graphs: Vec<GraphInput> = dataset
            .systems
            .iter()
            .map(|s| system_graph(s, &vocabulary, config))
            .collect::<Result<_, _>>()?;
        check_channels(&dataset)?;
        let warnings = dataset
            .systems
            .iter()
            .zip(&graphs)
            .flat_map(|(system, graph)| graph_warnings(system, graph))
            .chain(dataset.trajectories.iter().flat_map(|t| {
                t.warnings.iter().map(|message| DataWarning::Read { message: message.clone() })
            }))
            .collect();
        let mut samples = Vec::new();
        for (t, traj) in dataset.trajectories.iter().enumerate() {
            let target = task.target(&dataset.systems[traj.system].label);
            check_windows(&traj.path, &traj.windows, &config.model)?;
            for (w, window) in traj.windows.iter().enumerate() {
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
            warnings,
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

    /// Atoms × frames of sample `i`'s window: what its autodiff graph's size scales with.
    pub fn atom_frames(&self, i: usize) -> usize {
        let sample = &self.samples[i];
        self.graphs[sample.system].atoms * sample.input.frames
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
    /// The seed the partition was drawn from (unused with a given split).
    pub split_seed: u64,
    /// Whether the manifest gave the split (key `split`): every seed trains on it.
    #[serde(default)]
    pub given: bool,
}

/// The split the manifest gives (`split` of every system), for every seed: seeds then vary
/// only initialisation, shuffling and dropout. k-fold and fractions other than the defaults
/// would contradict it, so they are refused by name.
pub fn given_split(split: Split, config: &TrainConfig) -> Result<(Split, SplitInfo), TrainError> {
    let refuse = |setting: String| Err(FitError::GivenSplitConflict { setting }.into());
    if config.folds != 0 {
        return refuse(format!("folds={}", config.folds));
    }
    let defaults = Preset::Paper.config();
    for (key, value, default) in [
        ("validation_fraction", config.validation_fraction, defaults.validation_fraction),
        ("test_fraction", config.test_fraction, defaults.test_fraction),
    ] {
        if value != default {
            return refuse(format!("{key}={value}"));
        }
    }
    if split.train.is_empty() || split.validation.is_empty() {
        return Err(FitError::GivenSplitIncomplete.into());
    }
    let seed = config.split_seed.unwrap_or(0);
    Ok((split, SplitInfo { folds: 0, fold: None, split_seed: seed, given: true }))
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
    let err = |e: SplitError| TrainError::from(FitError::Split(e));
    if config.folds == 0 {
        let split_seed = config.split_seed.unwrap_or(seed);
        let fractions = Fractions::new(
            1.0 - config.validation_fraction - config.test_fraction,
            config.validation_fraction,
            config.test_fraction,
        )
        .map_err(err)?;
        let split = train_validation_test(units, fractions, split_seed).map_err(err)?;
        return Ok((split, SplitInfo { folds: 0, fold: None, split_seed, given: false }));
    }
    let (k, split_seed) = (config.folds, config.split_seed.unwrap_or(0));
    let mut splits = k_fold(units, k, split_seed).map_err(|e| match e {
        SplitError::TooFewGroups { groups, folds } => {
            FitError::TooFewGroups { groups, folds }.into()
        }
        other => err(other),
    })?;
    let fold = (seed % k as u64) as usize;
    let info = SplitInfo { folds: k, fold: Some(fold), split_seed, given: false };
    Ok((splits.swap_remove(fold), info))
}

/// The frames a window needs for `model`'s sub-windows: one more than their count, so that
/// each sub-window's path has at least one increment.
pub(crate) fn frames_needed(model: &ModelConfig) -> usize {
    model.sub_windows + 1
}

/// Every window of `path` has [`frames_needed`] frames.
pub(crate) fn check_windows(
    path: &Path,
    windows: &[WindowData],
    model: &ModelConfig,
) -> Result<(), FitError> {
    let need = frames_needed(model);
    match windows.iter().enumerate().find(|(_, w)| w.frames < need) {
        Some((window, w)) => Err(FitError::WindowTooShort {
            path: path.to_path_buf(),
            window,
            frames: w.frames,
            sub_windows: model.sub_windows,
            need,
        }),
        None => Ok(()),
    }
}

/// The tensors of one window on `device`.
pub fn window_tensors(input: &WindowInput, graph: &GraphInput, device: &Device) -> WindowTensors {
    let (t, n, c) = (input.frames, graph.atoms, input.channels);
    WindowTensors {
        propagated: Tensor::from_data(TensorData::new(input.propagated.clone(), [t, n, c]), device),
        coords: Tensor::from_data(
            TensorData::new(atom_major(&input.coords, t, n, c), [n, t, c]),
            device,
        ),
        types: Tensor::from_data(
            TensorData::new(graph.types.clone(), [n, graph.type_width]),
            device,
        ),
        residues: graph.residues.clone(),
        graph: sparse_graph(graph, device),
        system_key: system_key(graph),
    }
}

/// `[atoms, frames, channels]` from `[frames, atoms, channels]` values.
fn atom_major(values: &[f32], frames: usize, atoms: usize, channels: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(values.len());
    for atom in 0..atoms {
        for frame in 0..frames {
            out.extend_from_slice(&values[(frame * atoms + atom) * channels..][..channels]);
        }
    }
    out
}

/// A hash of what the encoder reads of `graph` besides the frames (`WindowTensors::system_key`).
fn system_key(graph: &GraphInput) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (graph.atoms, graph.directed, graph.type_width).hash(&mut hasher);
    (&graph.src, &graph.dst, &graph.residues).hash(&mut hasher);
    for values in [&graph.degree, &graph.types] {
        values.iter().for_each(|v| v.to_bits().hash(&mut hasher));
    }
    hasher.finish()
}

/// The adjacency of `graph` for MinCut pooling, where row `i` of $A$ holds the edges leaving
/// `i` (PyG's `to_dense_adj`): pooling gathers $(AS)_i = \sum_j A_{ij} S_j$ from each edge's
/// target into its source, so the lists swap.
pub(crate) fn sparse_graph(graph: &GraphInput, device: &Device) -> SparseGraph {
    let index =
        |v: &[i64]| Tensor::<1, Int>::from_data(TensorData::new(v.to_vec(), [v.len()]), device);
    // Atom indices come from `system_graph`, within 0..atoms.
    let host = |v: &[i64]| v.iter().map(|&i| u32::try_from(i).expect("an atom index")).collect();
    SparseGraph {
        src: index(&graph.dst),
        dst: index(&graph.src),
        degree: Tensor::from_data(TensorData::new(graph.degree.clone(), [graph.atoms, 1]), device),
        symmetric: !graph.directed,
        edges: Edges(Arc::new(EdgeList { src: host(&graph.dst), dst: host(&graph.src) })),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::{MAX_CLIQUE_RESIDUE, system_graph};
    use crate::config::{Preset, TrainConfig};
    use crate::dataset::{SystemData, SystemKind};
    use crate::features::Vocabulary;

    /// A chain whose residue `r` holds `sizes[r]` atoms.
    fn system(sizes: &[usize]) -> SystemData {
        let residue_ids: Vec<i32> =
            sizes.iter().enumerate().flat_map(|(r, &n)| std::iter::repeat_n(r as i32, n)).collect();
        let n = residue_ids.len();
        SystemData {
            name: "chain".into(),
            label: deepsig_md::Label::Integer(0),
            group: None,
            topology: PathBuf::from("chain.pdb"),
            atom_names: vec!["CA".into(); n],
            residue_names: vec!["ALA".into(); n],
            residues: residue_ids.iter().map(|&r| r as u32).collect(),
            residue_ids,
            segment_ids: vec![String::new(); n],
            reference: Vec::new(),
            topology_indices: (0..n as u32).collect(),
            edges: (1..n as u32).map(|i| (i - 1, i)).collect(),
            kind: SystemKind::Molecule,
            channels: 3,
        }
    }

    fn cliques() -> TrainConfig {
        small(Preset::Reference)
    }

    /// A preset with a first pooling level of 2 clusters, which the 3-atom test systems hold.
    fn small(preset: Preset) -> TrainConfig {
        let mut config = preset.config();
        config.model.clusters = 2;
        config.model.pool_multipliers = vec![1];
        config
    }

    /// The pooling graph built from a [`GraphInput`] against the dense $A$ that the
    /// GraphInput's docs define (edge `i → j` in row `i`, degree = row sums), on the
    /// reference's directed cliques and on undirected bonds: the cut loss and the pooled
    /// adjacency agree. The cut loss is blind to transposing A (Tr(SᵀAS) = Tr(SᵀAᵀS)); the
    /// off-diagonal pooled entries are not, so they check the source/target swap in
    /// [`sparse_graph`]; the degree check, that MinCut's D counts outgoing edges.
    #[test]
    fn the_pooling_graph_is_the_dense_adjacency_the_graph_input_defines() {
        use burn::tensor::{Tensor, TensorData};
        let device = burn::tensor::Device::default();
        let chain = system(&[3, 2, 3]);
        let (n, c) = (chain.n_atoms(), 3);
        let logits: Vec<f32> = (0..n * c).map(|i| ((i * 5 % 7) as f32 - 3.0) * 0.4).collect();
        let s = burn::tensor::activation::softmax(
            Tensor::<2>::from_data(TensorData::new(logits, [n, c]), &device),
            1,
        );
        let s_host: Vec<f32> = s.clone().into_data().convert::<f32>().try_into_vec().unwrap();
        for config in [cliques(), small(Preset::Paper)] {
            let graph = system_graph(&chain, &Vocabulary::default(), &config).unwrap();
            assert_eq!(graph.directed, config.model.directed);
            let mut a = vec![0.0f32; n * n];
            for (&i, &j) in graph.src.iter().zip(&graph.dst) {
                a[i as usize * n + j as usize] = 1.0;
            }
            let row_sums: Vec<f32> = a.chunks(n).map(|r| r.iter().sum()).collect();
            assert_eq!(graph.degree, row_sums);
            let sas = |p: usize, q: usize| -> f32 {
                (0..n * n).map(|k| s_host[(k / n) * c + p] * a[k] * s_host[(k % n) * c + q]).sum()
            };
            let trace_a: f32 = (0..c).map(|p| sas(p, p)).sum();
            let trace_d: f32 = (0..n * c).map(|k| row_sums[k / c] * s_host[k].powi(2)).sum();
            let (losses, pooled) = crate::pooling::pool_sparse(
                &s.clone().unsqueeze::<3>(),
                &super::sparse_graph(&graph, &device),
            );
            let cut: f32 = losses.cut.into_scalar();
            assert!((cut + trace_a / trace_d).abs() < 1e-5, "{cut} vs {}", -trace_a / trace_d);
            // Off the diagonal, the normalised pooled adjacency keeps SᵀAS's asymmetry.
            let pooled: Vec<f32> = pooled.into_data().convert::<f32>().try_into_vec().unwrap(); // [1, c, c]
            let degree: Vec<f32> =
                (0..c).map(|p| (0..c).filter(|&q| q != p).map(|q| sas(p, q)).sum()).collect();
            for (p, q) in (0..c).flat_map(|p| (0..c).map(move |q| (p, q))).filter(|(p, q)| p != q) {
                let want = sas(p, q) / (degree[p] * degree[q]).sqrt();
                assert!((pooled[p * c + q] - want).abs() < 1e-5, "({p},{q})");
            }
        }
    }

    #[test]
    fn residue_cliques_connect_each_residue_and_refuse_what_cannot_be_pooled_or_stored() {
        let vocabulary = Vocabulary::default();
        let graph = system_graph(&system(&[4, 3]), &vocabulary, &cliques()).unwrap();
        // 6 + 3 pairs, once each (the reference's directed cliques).
        assert_eq!(graph.src.len(), 9);
        let singles = system_graph(&system(&[1, 1, 1]), &vocabulary, &cliques());
        let e = singles.err().unwrap().to_string();
        assert!(e.contains("system chain (chain.pdb)") && e.contains("no edge"), "{e}");
        let huge = system_graph(&system(&[2, MAX_CLIQUE_RESIDUE + 1]), &vocabulary, &cliques());
        let e = huge.err().unwrap().to_string();
        assert!(e.contains("residue ALA 1 has 1001 selected atoms"), "{e}");
        // Bonds are not cliques: a residue of any size is fine.
        let bonds = small(Preset::Paper);
        let graph = system_graph(&system(&[MAX_CLIQUE_RESIDUE + 1]), &vocabulary, &bonds).unwrap();
        assert_eq!(graph.src.len(), 2 * MAX_CLIQUE_RESIDUE);
    }

    #[test]
    fn a_first_pooling_level_of_more_clusters_than_atoms_is_refused_with_a_fix() {
        // 8 atoms, paper preset: 50 clusters x 8 = 400 at the first level.
        let refused =
            system_graph(&system(&[3, 2, 3]), &Vocabulary::default(), &Preset::Paper.config());
        let e = refused.err().unwrap().to_string();
        assert!(e.contains("8 selected atoms") && e.contains("400 clusters"), "{e}");
        assert!(e.contains("--set clusters=1 or fewer"), "{e}");
    }
}
