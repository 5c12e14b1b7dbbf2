//! Reloading a run folder: `deepsig eval` recomputes the chosen model's metrics.

use std::path::{Path, PathBuf};

use burn::module::Module;
use serde::Deserialize;

use crate::config::TrainConfig;
use crate::model::DeepSignature;
use crate::prepare::Prepared;
use crate::{TrainError, backend, report};

/// The parts of a run's `config.json` needed to rebuild its data and model.
#[derive(Debug, Deserialize)]
struct RunConfig {
    manifest: PathBuf,
    seed: u64,
    config: TrainConfig,
}

/// Metrics of `run`'s best-validation model on its test split, recomputed from the files;
/// `manifest` replaces the run's own manifest path (same systems, e.g. moved files).
pub fn evaluate_run(
    run: &Path,
    manifest: Option<&Path>,
    device: &str,
) -> Result<serde_json::Value, TrainError> {
    let config_path = run.join("config.json");
    let text = std::fs::read_to_string(&config_path).map_err(|e| {
        TrainError::run(&config_path, format!("cannot read ({e}); run `deepsig train` first"))
    })?;
    let saved: RunConfig =
        serde_json::from_str(&text).map_err(|e| TrainError::run(&config_path, e))?;
    let manifest = manifest.map(Path::to_path_buf).unwrap_or(saved.manifest);
    let cache = run
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join(".deepsig-cache");
    let data = Prepared::load(&manifest, &saved.config, saved.seed, Some(&cache))?;
    let device = backend::device_from_str(device)?;
    let best = run.join("model-best.bpk");
    let model = DeepSignature::new(&saved.config.model, data.input_shape(), &device)
        .try_load_file(&best)
        .map_err(|e| TrainError::run(&best, e))?;
    let epoch = std::fs::read_to_string(run.join("metrics.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|m| m["best_epoch"].as_u64())
        .unwrap_or(0) as usize;
    Ok(report::final_metrics(&model, &data, &saved.config, &device, epoch, 0.0))
}
