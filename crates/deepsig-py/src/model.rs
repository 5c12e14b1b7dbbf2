//! Models: `_core.train`, `_core.predict`, `_core.embed`.
//!
//! Training and inference run without the GIL. Metrics come back as the JSON text of the
//! run's `metrics.json` (the Python side parses it), so Python sees exactly what the CLI
//! writes.

use std::path::PathBuf;

use deepsig_model::DataError;
use deepsig_model::reference::ReferenceOrigin;
use deepsig_model::report::EpochRecord;
use deepsig_model::seeds::{summarise_seeds, train_seeds};
use deepsig_model::task::Task;
use deepsig_model::{Preset, RunMetrics, TrainError, TrainObserver, TrainOptions, TrainedRun};
use numpy::{PyArray1, PyArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::errors::{chain_message, read_error, value_error};

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(train, m)?)?;
    m.add_function(wrap_pyfunction!(predict, m)?)?;
    m.add_function(wrap_pyfunction!(embed, m)?)?;
    m.add_function(wrap_pyfunction!(explain, m)?)?;
    m.add_function(wrap_pyfunction!(prepare, m)?)?;
    m.add_function(wrap_pyfunction!(manifest_trajectories, m)?)?;
    m.add_function(wrap_pyfunction!(summarise_runs, m)?)?;
    m.add("METHODS", deepsig_model::Method::ALL.iter().map(|m| m.name()).collect::<Vec<_>>())?;
    Ok(())
}

/// A file that cannot be read stays a `ReadError`; everything else names its file and key
/// in a `ValueError`.
fn train_error(py: Python<'_>, context: &str, e: &TrainError) -> PyErr {
    if let TrainError::Prepare(data) = e
        && let DataError::Read(read) = data.as_ref()
    {
        return read_error(py, read);
    }
    PyValueError::new_err(format!("{context}: {}", chain_message(e)))
}

fn config_of(preset: &str, settings: &[String]) -> PyResult<deepsig_model::TrainConfig> {
    let preset: Preset =
        preset.parse().map_err(|e: deepsig_model::config::ConfigError| value_error(&e))?;
    preset
        .config()
        .with_overrides(settings)
        .map_err(|e| PyValueError::new_err(format!("settings: {e}")))
}

/// `_core.prepare(manifest, cache, index, count, preset, settings)`: `(read, cached)`.
#[pyfunction]
fn prepare(
    py: Python<'_>,
    manifest: PathBuf,
    cache: PathBuf,
    index: usize,
    count: usize,
    preset: &str,
    settings: Vec<String>,
) -> PyResult<(usize, usize)> {
    if count == 0 || index >= count {
        return Err(PyValueError::new_err(format!(
            "shard: expected (index, count) with 0 <= index < count, got ({index}, {count})"
        )));
    }
    let config = config_of(preset, &settings)?;
    let shard = deepsig_model::dataset::Shard { index, count };
    let stats = py
        .detach(|| deepsig_model::prepare::prepare_shard(&manifest, &config, &cache, shard))
        .map_err(|e| train_error(py, &format!("preparing {}", manifest.display()), &e))?;
    Ok((stats.misses, stats.hits))
}

/// `_core.manifest_trajectories(manifest)`: the manifest's trajectory files in order.
#[pyfunction]
fn manifest_trajectories(manifest: PathBuf) -> PyResult<Vec<String>> {
    let m = deepsig_md::Manifest::load(&manifest).map_err(|e| value_error(&e))?;
    Ok(m.trajectories().iter().map(|(_, path)| path.display().to_string()).collect())
}

/// `_core.summarise_runs(json_list)`: the mean ± std over runs (as `deepsig train --seeds`).
#[pyfunction]
fn summarise_runs(runs: &str) -> PyResult<String> {
    let runs: Vec<RunMetrics> = serde_json::from_str(runs).map_err(|e| {
        PyValueError::new_err(format!("runs: not a JSON list of runs' metrics.json: {e}"))
    })?;
    to_json(&summarise_seeds(&runs))
}

/// Results cross into Python as JSON text, which `json.loads` turns into dicts.
fn to_json(value: &impl serde::Serialize) -> PyResult<String> {
    serde_json::to_string(value).map_err(|e| PyValueError::new_err(format!("results: {e}")))
}

/// Hands each epoch and warning to a Python callable (with the GIL taken back for the call);
/// the first exception it raises is kept and raised when training returns.
struct Callback {
    function: Option<Py<PyAny>>,
    error: Option<PyErr>,
}

impl Callback {
    fn call(&mut self, event: impl for<'py> FnOnce(Python<'py>) -> PyResult<Bound<'py, PyDict>>) {
        let (Some(function), None) = (&self.function, &self.error) else { return };
        let result = Python::attach(|py| -> PyResult<()> {
            function.call1(py, (event(py)?,))?;
            Ok(())
        });
        if let Err(e) = result {
            self.error = Some(e);
        }
    }
}

impl TrainObserver for Callback {
    fn warning(&mut self, message: &str) {
        self.call(|py| {
            let d = PyDict::new(py);
            d.set_item("event", "warning")?;
            d.set_item("message", message)?;
            Ok(d)
        });
    }

    fn epoch(&mut self, r: &EpochRecord, epochs: usize) {
        self.call(|py| {
            let d = PyDict::new(py);
            d.set_item("event", "epoch")?;
            d.set_item("epoch", r.epoch)?;
            d.set_item("epochs", epochs)?;
            d.set_item("train_loss", r.train_loss)?;
            d.set_item("validation_loss", r.validation_loss)?;
            d.set_item("lr", r.lr)?;
            d.set_item("grad_norm", r.grad_norm)?;
            d.set_item("grad_norm_max", r.grad_norm_max)?;
            d.set_item("seconds", r.seconds)?;
            Ok(d)
        });
    }
}

/// `_core.train(...)`: the JSON text `{"runs": [metrics...], "summary": {...}}`.
#[pyfunction]
#[pyo3(signature = (manifest, out, preset, settings, seeds, seed, resume, resume_changed, device, cache, progress))]
#[allow(clippy::too_many_arguments)]
fn train(
    py: Python<'_>,
    manifest: PathBuf,
    out: PathBuf,
    preset: &str,
    settings: Vec<String>,
    seeds: u64,
    seed: u64,
    resume: bool,
    resume_changed: bool,
    device: String,
    cache: Option<PathBuf>,
    progress: Option<Py<PyAny>>,
) -> PyResult<String> {
    let config = config_of(preset, &settings)?;
    if seeds == 0 {
        return Err(PyValueError::new_err("seeds: must be at least 1"));
    }
    let base = TrainOptions {
        manifest,
        out,
        config,
        seed,
        device,
        resume,
        resume_changed,
        cache_dir: cache,
    };
    let mut observer = Callback { function: progress, error: None };
    let result = py.detach(|| train_seeds(&base, seeds, &mut observer, |_, _| {}));
    if let Some(e) = observer.error {
        return Err(e);
    }
    let runs = result.map_err(|e| {
        let context = format!("training seed {} into {}", e.seed, e.out.display());
        train_error(py, &context, &e.source)
    })?;
    to_json(&runs)
}

/// Where a run is and how to load it: folder, manifest override, device, autodiff.
type RunAt<'a> = (&'a std::path::Path, Option<&'a std::path::Path>, &'a str, bool);

fn load(
    py: Python<'_>,
    (run, manifest, device, autodiff): RunAt<'_>,
    topology: &std::path::Path,
    trajectories: &[PathBuf],
) -> PyResult<(TrainedRun, deepsig_model::SystemInput)> {
    py.detach(|| {
        let trained = TrainedRun::load(run, manifest, device, autodiff)
            .map_err(|e| (format!("loading the run {}", run.display()), e))?;
        let data = trained
            .input(topology, trajectories)
            .map_err(|e| (format!("preparing {}", topology.display()), e))?;
        Ok((trained, data))
    })
    .map_err(|(context, e): (String, TrainError)| train_error(py, &context, &e))
}

fn columns(task: &Task) -> Vec<String> {
    match task {
        Task::Binary { classes } => vec![format!("P({})", classes[1])],
        Task::MultiClass { classes } => classes.iter().map(|c| format!("P({c})")).collect(),
        Task::Regression => vec!["value".into()],
    }
}

/// `_core.predict(run, manifest, device, topology, trajectories)`: a dict with `columns`,
/// `classes`, `task`, `reference`, `static_topology` and per trajectory `path`, `windows`
/// (W, outputs) float64, `mean` (outputs,), `predicted` and `window_predicted` class names.
#[pyfunction]
#[pyo3(signature = (run, manifest, device, topology, trajectories))]
fn predict<'py>(
    py: Python<'py>,
    run: PathBuf,
    manifest: Option<PathBuf>,
    device: &str,
    topology: PathBuf,
    trajectories: Vec<PathBuf>,
) -> PyResult<Bound<'py, PyDict>> {
    let at = (run.as_path(), manifest.as_deref(), device, false);
    let (trained, data) = load(py, at, &topology, &trajectories)?;
    let predictions = py.detach(|| trained.predict(&data));
    let task = &trained.task;
    let class_name = |p: &[f64]| task.class_of(p).and_then(|c| task.classes().get(c).cloned());
    let out = PyDict::new(py);
    out.set_item("columns", columns(task))?;
    out.set_item("classes", task.classes().to_vec())?;
    out.set_item("task", serde_json::to_string(task).unwrap_or_default())?;
    out.set_item("static_topology", data.static_topology)?;
    out.set_item(
        "reference",
        match data.reference {
            Some(ReferenceOrigin::Shared) => Some("run"),
            Some(ReferenceOrigin::Own) => Some("topology"),
            None => None,
        },
    )?;
    let list = PyList::empty(py);
    for t in predictions {
        let d = PyDict::new(py);
        let (n, width) = (t.windows.len(), t.mean.len());
        d.set_item("path", t.path.display().to_string())?;
        d.set_item(
            "window_predicted",
            t.windows.iter().map(|p| class_name(p)).collect::<Vec<_>>(),
        )?;
        d.set_item("predicted", class_name(&t.mean))?;
        let flat: Vec<f64> = t.windows.into_iter().flatten().collect();
        d.set_item("windows", PyArray1::from_vec(py, flat).reshape([n, width])?)?;
        d.set_item("mean", PyArray1::from_vec(py, t.mean))?;
        list.append(d)?;
    }
    out.set_item("trajectories", list)?;
    Ok(out)
}

/// `_core.embed(run, manifest, device, topology, trajectories)`: per trajectory `(path,
/// features)` with features (windows, sub_windows, C) float32.
#[pyfunction]
#[pyo3(signature = (run, manifest, device, topology, trajectories))]
fn embed<'py>(
    py: Python<'py>,
    run: PathBuf,
    manifest: Option<PathBuf>,
    device: &str,
    topology: PathBuf,
    trajectories: Vec<PathBuf>,
) -> PyResult<Bound<'py, PyList>> {
    let at = (run.as_path(), manifest.as_deref(), device, false);
    let (trained, data) = load(py, at, &topology, &trajectories)?;
    let embeddings =
        py.detach(|| trained.embed(&data)).map_err(|e| train_error(py, "embedding", &e))?;
    let list = PyList::empty(py);
    for t in embeddings {
        let features = PyArray1::from_vec(py, t.values).reshape(t.shape)?;
        list.append((t.path.display().to_string(), features))?;
    }
    Ok(list)
}

/// `_core.explain(run, manifest, device, topology, trajectories, top)`: a dict with
/// `clusters`, `assignment` (A, K), `hard` (A,), `top_membership` (A,), `indices` (A,) the
/// atoms' topology indices, `prediction`, `predicted`, `windows`, `explained_output`,
/// `terms` (None for methods without log-signature terms) and `static_topology`.
#[pyfunction]
#[pyo3(signature = (run, manifest, device, topology, trajectories, top))]
fn explain<'py>(
    py: Python<'py>,
    run: PathBuf,
    manifest: Option<PathBuf>,
    device: &str,
    topology: PathBuf,
    trajectories: Vec<PathBuf>,
    top: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let at = (run.as_path(), manifest.as_deref(), device, true);
    let (trained, data) = load(py, at, &topology, &trajectories)?;
    if trained.selection.is_none() {
        return Err(PyValueError::new_err(format!(
            "{}: the run was trained on graph systems, which have no atoms to cluster; use \
             predict or embed",
            run.display()
        )));
    }
    let e =
        py.detach(|| deepsig_model::explain::explain(&trained, &data, top)).map_err(|message| {
            PyValueError::new_err(format!("explaining {}: {message}", run.display()))
        })?;
    let out = PyDict::new(py);
    let atoms = e.hard.len();
    out.set_item("clusters", e.clusters)?;
    out.set_item("assignment", PyArray1::from_vec(py, e.assignment).reshape([atoms, e.clusters])?)?;
    let hard: Vec<i64> = e.hard.iter().map(|&c| c as i64).collect();
    out.set_item("hard", PyArray1::from_vec(py, hard))?;
    out.set_item("top_membership", PyArray1::from_vec(py, e.top_membership))?;
    let indices: Vec<i64> = data.system.topology_indices.iter().map(|&i| i64::from(i)).collect();
    out.set_item("indices", PyArray1::from_vec(py, indices))?;
    let task = &trained.task;
    let predicted = task.class_of(&e.prediction).and_then(|c| task.classes().get(c).cloned());
    out.set_item("predicted", predicted)?;
    out.set_item("prediction", e.prediction)?;
    out.set_item("windows", e.windows)?;
    out.set_item("explained_output", e.output)?;
    out.set_item("static_topology", data.static_topology)?;
    match e.terms {
        None => out.set_item("terms", py.None())?,
        Some(terms) => {
            let list = PyList::empty(py);
            for t in terms {
                let d = PyDict::new(py);
                d.set_item("channel", t.channel)?;
                d.set_item("letters", t.letters)?;
                d.set_item("attribution", t.attribution)?;
                d.set_item("per_sub_window", t.per_sub_window)?;
                list.append(d)?;
            }
            out.set_item("terms", list)?;
        }
    }
    Ok(out)
}
