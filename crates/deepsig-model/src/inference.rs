//! Reloading a run folder: `deepsig eval` recomputes the chosen model's metrics, and
//! [`TrainedRun`] applies the model to new files (`predict`, `embed`, `explain`) with the
//! run's own preprocessing, vocabulary and coordinate scale.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::tensor::Tensor;
use deepsig_md::{Manifest, Windowing};
use serde::Deserialize;

use crate::config::TrainConfig;
use crate::dataset::{DatasetOptions, SystemData, SystemKind, WindowData, system_windows};
use crate::features::{GraphInput, Vocabulary, WindowInput};
use crate::model::{DeepSignature, InputShape, WindowOutput};
use crate::nodes::{graph_system_data, series_windows};
use crate::prepare::{Prepared, window_tensors};
use crate::reference::{ReferenceOrigin, References};
use crate::task::Task;
use crate::{DataError, FitError, TrainError, backend};

/// The parts of a run's `config.json` needed to rebuild its data and model.
#[derive(Debug, Deserialize)]
struct RunConfig {
    manifest: PathBuf,
    seed: u64,
    config: TrainConfig,
    task: Option<Task>,
    vocabulary: Option<Vocabulary>,
    /// Channels per atom or node; absent in runs saved before it was recorded (3 for a
    /// molecule run, read from the training data for a graph run).
    channels: Option<usize>,
}

fn read_run_config(run: &Path) -> Result<RunConfig, TrainError> {
    if !run.is_dir() {
        return Err(TrainError::run(run, "no such run folder; run `deepsig train` first"));
    }
    let config_path = run.join("config.json");
    let text = std::fs::read_to_string(&config_path).map_err(|e| {
        TrainError::run(&config_path, format!("cannot read ({e}); run `deepsig train` first"))
    })?;
    serde_json::from_str(&text).map_err(|e| TrainError::run(&config_path, e))
}

/// The run's `references.json`, or none for a run saved before references were kept.
fn read_references(run: &Path) -> Result<References, TrainError> {
    let path = run.join(REFERENCES_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| TrainError::run(&path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(References::default()),
        Err(e) => Err(TrainError::run(&path, e)),
    }
}

/// The file of a run folder that keeps the alignment references ([`crate::reference`]).
pub const REFERENCES_FILE: &str = "references.json";

/// The best-validation checkpoint of `run`, which must exist.
fn best_checkpoint(run: &Path) -> Result<PathBuf, TrainError> {
    let best = run.join("model-best.bpk");
    if !best.is_file() {
        return Err(TrainError::run(
            &best,
            "missing: the run has no checkpoint yet (it ends after its first epoch)",
        ));
    }
    Ok(best)
}

/// Metrics of `run`'s best-validation model on its test split, recomputed from the files;
/// `manifest` replaces the run's own manifest path (same systems, e.g. moved files).
pub fn evaluate_run(
    run: &Path,
    manifest: Option<&Path>,
    device: &str,
) -> Result<crate::report::RunMetrics, TrainError> {
    let saved = read_run_config(run)?;
    let manifest = manifest.map(Path::to_path_buf).unwrap_or(saved.manifest);
    let cache = crate::io::default_cache_dir(run);
    let data = Prepared::load(&manifest, &saved.config, saved.seed, Some(&cache))?;
    let device = backend::device_from_str(device)?;
    let best = best_checkpoint(run)?;
    let model = DeepSignature::new(&saved.config.model, data.input_shape(), &device)
        .try_load_file(&best)
        .map_err(|e| TrainError::run(&best, e))?;
    let epoch = std::fs::read_to_string(run.join("metrics.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<crate::report::RunMetrics>(&t).ok())
        .map_or(0, |m| m.best_epoch);
    Ok(crate::report::final_metrics(&model, &data, &saved.config, &device, epoch, 0.0))
}

/// A run folder's best model with everything needed to apply it to new files.
#[derive(Debug)]
pub struct TrainedRun {
    /// The run's configuration.
    pub config: TrainConfig,
    /// The task (class names, outputs).
    pub task: Task,
    /// The training vocabulary; names it lacks map to its "unknown" columns.
    pub vocabulary: Vocabulary,
    /// The selection the run's systems were reduced to (the first system's); `None` for a
    /// run trained on graph systems (node time series), whose nodes are all used.
    pub selection: Option<String>,
    /// Channels per atom (3) or node that the model reads.
    pub channels: usize,
    /// The run manifest's windowing.
    pub windowing: Windowing,
    /// The alignment references of the training systems' atoms (`references.json`; empty
    /// for runs saved before it, which align to each topology's own coordinates).
    pub references: References,
    /// The model, in inference mode (dropout off).
    pub model: DeepSignature,
    /// Where the model lives.
    pub device: backend::Device,
}

/// One system's windows as model input.
#[derive(Debug, Clone)]
pub struct SystemInput {
    /// The selected atoms.
    pub system: SystemData,
    /// Its graph with the run's vocabulary.
    pub graph: GraphInput,
    /// Each trajectory file (the topology itself when none was given) and its windows.
    pub trajectories: Vec<(PathBuf, Vec<WindowInput>)>,
    /// Whether the topology's coordinates stand in for a trajectory (a motionless path).
    pub static_topology: bool,
    /// Whose reference the frames were aligned to: the run's, or (atoms the run did not see)
    /// the topology's own; `None` for a graph system.
    pub reference: Option<ReferenceOrigin>,
}

impl SystemInput {
    /// Windows over all trajectories.
    pub fn windows(&self) -> impl Iterator<Item = &WindowInput> {
        self.trajectories.iter().flat_map(|(_, w)| w)
    }
}

impl TrainedRun {
    /// Loads `run`'s configuration and best checkpoint on `device`; with `autodiff`, on its
    /// autodiff twin with every parameter frozen, so that gradients with respect to inputs
    /// can be taken ([`crate::explain`]). `manifest` replaces the manifest path stored in the
    /// run (which is relative to where `train` ran); only its selection and windowing are read,
    /// except for a graph run saved without its channel count, whose first series is read to
    /// learn it.
    pub fn load(
        run: &Path,
        manifest: Option<&Path>,
        device: &str,
        autodiff: bool,
    ) -> Result<TrainedRun, TrainError> {
        let mut saved = read_run_config(run)?;
        if let Some(m) = manifest {
            saved.manifest = m.to_path_buf();
        }
        let best = best_checkpoint(run)?;
        let config_path = run.join("config.json");
        let (Some(task), Some(vocabulary)) = (saved.task, saved.vocabulary) else {
            return Err(TrainError::run(&config_path, "lacks the task or the vocabulary"));
        };
        // Parse without checking the training files: the selection and windowing are what
        // matter.
        let text = std::fs::read_to_string(&saved.manifest).map_err(|e| {
            let hint = "name the training manifest with --manifest";
            TrainError::run(
                &saved.manifest,
                format!("cannot read the run's manifest ({e}); {hint}"),
            )
        })?;
        let manifest = Manifest::parse(&text, &saved.manifest).map_err(DataError::from)?;
        // Graph systems have no atoms and so no selection.
        let selection: Option<String> = match manifest.systems().first() {
            Some(first) => manifest.selection_for(first),
            None => manifest.selection(),
        }
        .map(str::to_string);
        let channels = match (saved.channels, selection.is_some(), manifest.systems().first()) {
            (Some(c), _, _) => c,
            (None, true, _) => 3,
            // A graph run saved before the channel count was recorded: its data tells.
            (None, false, Some(first)) => {
                manifest.node_graph(first).map_err(DataError::from)?.channels
            }
            (None, false, None) => return Err(TrainError::run(&config_path, "lacks channels")),
        };
        let base = backend::device_from_str(device)?;
        let device = if autodiff { base.autodiff() } else { base };
        let shape =
            InputShape { channels, type_width: vocabulary.width(), outputs: task.outputs() };
        let mut model = DeepSignature::new(&saved.config.model, shape, &device)
            .try_load_file(&best)
            .map_err(|e| TrainError::run(&best, e))?;
        if autodiff {
            // Frozen: no parameter gradient, and dropout off as in inference.
            model = model.freeze();
        }
        let references = read_references(run)?;
        Ok(TrainedRun {
            config: saved.config,
            references,
            task,
            vocabulary,
            selection,
            channels,
            windowing: manifest.windowing(),
            model,
            device,
        })
    }

    /// Frames every window needs (the same rule as training).
    fn frames_needed(&self) -> usize {
        crate::prepare::frames_needed(&self.config.model)
    }

    /// The windows of `topology` with `trajectories`, preprocessed as the run's data was;
    /// with no trajectory, the topology's coordinates repeated into a motionless path long
    /// enough for the windowing. For a graph run (`selection` is `None`), `topology` is an
    /// edge list and `trajectories` (at least one) are node time series.
    pub fn input(
        &self,
        topology: &Path,
        trajectories: &[PathBuf],
    ) -> Result<SystemInput, TrainError> {
        let Some(selection) = &self.selection else {
            return self.graph_input(topology, trajectories);
        };
        let mut options = DatasetOptions::default();
        options.prep.align = self.config.align;
        let need = self.frames_needed();
        let static_frames = self.windowing.windows() * need * self.windowing.stride();
        let (system, trajs, origin) = system_windows(
            topology,
            selection,
            trajectories,
            self.windowing,
            &options,
            static_frames,
            &self.references,
        )?;
        let trajs = trajs.into_iter().map(|t| (t.path, t.windows)).collect();
        let mut input = self.system_input(system, trajs, trajectories.is_empty())?;
        input.reference = Some(origin);
        Ok(input)
    }

    /// The windows of the node time series `trajectories` (`(T, N, c)` arrays) on the edge
    /// list `edges`, as a graph system's data was prepared: values as stored.
    fn graph_input(
        &self,
        edges: &Path,
        trajectories: &[PathBuf],
    ) -> Result<SystemInput, TrainError> {
        let node_error = |e: deepsig_md::NodeDataError| TrainError::from(FitError::NodeData(e));
        let Some(first) = trajectories.first() else {
            return Err(FitError::NoNodeSeries { edges: edges.to_path_buf() }.into());
        };
        // The first series gives the node count; each series is read once.
        let series = deepsig_md::read_node_series(first).map_err(node_error)?;
        if series.channels != self.channels {
            return Err(FitError::ChannelsDiffer {
                path: first.clone(),
                found: series.channels,
                expected: self.channels,
            }
            .into());
        }
        let edge_lines = deepsig_md::read_edge_list(edges).map_err(node_error)?;
        let graph = deepsig_md::NodeGraph::new(edges, &edge_lines, series.nodes, series.channels)
            .map_err(node_error)?;
        let mut windows = Vec::with_capacity(trajectories.len());
        windows.push((first.clone(), series_windows(&series, self.windowing, first)?));
        for path in &trajectories[1..] {
            let series = deepsig_md::read_node_series(path).map_err(node_error)?;
            series.check_against(path, &graph).map_err(node_error)?;
            windows.push((path.clone(), series_windows(&series, self.windowing, path)?));
        }
        self.system_input(graph_system_data(edges, &graph), windows, false)
    }

    /// The model inputs of `system`'s windowed trajectories.
    fn system_input(
        &self,
        system: SystemData,
        trajectories: Vec<(PathBuf, Vec<WindowData>)>,
        static_topology: bool,
    ) -> Result<SystemInput, TrainError> {
        let graph = crate::prepare::system_graph(&system, &self.vocabulary, &self.config)?;
        let mut out = Vec::with_capacity(trajectories.len());
        for (path, windows) in trajectories {
            crate::prepare::check_windows(&path, &windows, &self.config.model)?;
            let inputs = windows.iter().map(|w| match system.kind {
                SystemKind::Molecule => WindowInput::for_config(w, &graph, &self.config.model),
                SystemKind::Graph => WindowInput::node_values(w, &graph),
            });
            out.push((path, inputs.collect()));
        }
        Ok(SystemInput { system, graph, trajectories: out, static_topology, reference: None })
    }

    /// One window through the model.
    pub fn forward(&self, graph: &GraphInput, window: &WindowInput) -> WindowOutput {
        let tensors = window_tensors(window, graph, &self.device);
        self.model.forward_window(&tensors)
    }

    /// Windows of one system through the encoder together, [`PREDICT_CHUNK`] at a time
    /// (`DeepSignature::encode_windows`); each window's features, in order. Lazy: a chunk is
    /// encoded when the previous one's features have been taken, so a long trajectory never
    /// holds more than one chunk's features on the device.
    fn encode_all<'a>(
        &'a self,
        graph: &'a GraphInput,
        windows: &'a [WindowInput],
    ) -> impl Iterator<Item = Tensor<2>> + 'a {
        windows.chunks(PREDICT_CHUNK).flat_map(move |chunk| {
            let tensors: Vec<_> =
                chunk.iter().map(|w| window_tensors(w, graph, &self.device)).collect();
            self.model.encode_windows(&tensors).into_iter().map(|e| e.features)
        })
    }
}

/// One trajectory's predictions: the task's outputs per window (probabilities for a
/// classifier, values for a regression) and their mean over windows.
#[derive(Debug, Clone, PartialEq)]
pub struct TrajectoryPrediction {
    /// The trajectory file.
    pub path: PathBuf,
    /// `[windows][outputs]`.
    pub windows: Vec<Vec<f64>>,
    /// `[outputs]`, the mean over windows.
    pub mean: Vec<f64>,
}

/// Windows `predict` and `embed` prepare at once: a few windows' inputs in memory, enough
/// for the encoder to take a small system's windows together.
const PREDICT_CHUNK: usize = 16;

/// One trajectory's sequence-head inputs: `[windows, sub_windows, channels]` row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct TrajectoryEmbedding {
    /// The trajectory file.
    pub path: PathBuf,
    /// The features, row-major.
    pub values: Vec<f32>,
    /// `[windows, sub_windows, channels]`.
    pub shape: [usize; 3],
}

impl TrainedRun {
    /// Every window of every trajectory of `data` through the model, as the task's outputs.
    pub fn predict(&self, data: &SystemInput) -> Vec<TrajectoryPrediction> {
        data.trajectories
            .iter()
            .map(|(path, windows)| {
                let per_window: Vec<Vec<f64>> = self
                    .encode_all(&data.graph, windows)
                    .map(|f| self.task.predictions(self.model.head(f)).remove(0))
                    .collect();
                let width = per_window.first().map_or(0, Vec::len);
                let n = per_window.len().max(1) as f64;
                let mean =
                    (0..width).map(|j| per_window.iter().map(|r| r[j]).sum::<f64>() / n).collect();
                TrajectoryPrediction { path: path.clone(), windows: per_window, mean }
            })
            .collect()
    }

    /// The log-signature features (the sequence head's input) of every window of `data`.
    pub fn embed(&self, data: &SystemInput) -> Result<Vec<TrajectoryEmbedding>, TrainError> {
        let mut out = Vec::with_capacity(data.trajectories.len());
        for (path, windows) in &data.trajectories {
            let mut values: Vec<f32> = Vec::new();
            let mut shape = [0usize; 3];
            for features in self.encode_all(&data.graph, windows) {
                let [rows, cols] = features.dims();
                shape = [shape[0] + 1, rows, cols];
                let data = features.into_data().convert::<f32>();
                values.extend(data.try_into_vec::<f32>().map_err(|e| {
                    TrainError::run(path, format!("cannot read the features: {e:?}"))
                })?);
            }
            out.push(TrajectoryEmbedding { path: path.clone(), values, shape });
        }
        Ok(out)
    }
}
