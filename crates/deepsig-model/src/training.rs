//! The training loop: trajectory-level split, Adam, validation-based checkpoint choice and
//! early stopping, atomic per-epoch checkpoints with `--resume`, and the test set evaluated
//! once at the end with the best-validation model.

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::module::Module;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::{AdamConfig, GradientsAccumulator, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor};
use deepsig_md::SplitMix64;
use serde::{Deserialize, Serialize};

use crate::config::TrainConfig;
use crate::model::{DeepSignature, WindowTensors};
use crate::prepare::Prepared;
use crate::report::{self, EpochRecord};
use crate::task::Task;
use crate::{TrainError, backend};

/// Where and how to train.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// The dataset manifest.
    pub manifest: PathBuf,
    /// The run folder.
    pub out: PathBuf,
    /// The resolved configuration.
    pub config: TrainConfig,
    /// Seed of the split, the initialisation, shuffling and dropout.
    pub seed: u64,
    /// `cpu`, `cuda`, `wgpu`.
    pub device: String,
    /// Continue from the run folder's last checkpoint.
    pub resume: bool,
    /// Print one line per epoch on stderr.
    pub progress: bool,
    /// Preprocessing cache folder.
    pub cache_dir: Option<PathBuf>,
}

/// Progress saved after every epoch, for `--resume`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct State {
    epochs_done: usize,
    best_validation_loss: f64,
    best_epoch: usize,
    curves: Vec<EpochRecord>,
}

/// Losses and predictions of the model on some samples (no gradient).
pub(crate) struct Evaluation {
    pub(crate) loss: f64,
    pub(crate) predictions: Vec<Vec<f64>>,
    pub(crate) targets: Vec<f64>,
}

/// The total loss of a batch: task (weighted) + mean cut + mean orthogonality.
fn batch_loss(
    model: &DeepSignature,
    data: &Prepared,
    batch: &[usize],
    config: &TrainConfig,
    device: &Device,
) -> (Tensor<1>, Tensor<2>) {
    let windows: Vec<_> = batch.iter().map(|&i| data.tensors(i, device)).collect();
    let targets: Vec<f64> = batch.iter().map(|&i| data.samples[i].target).collect();
    loss_of(model, &windows, &targets, &data.task, config)
}

/// The total loss of some windows: task (weighted) + mean cut + mean orthogonality, and the
/// logits `[windows, outputs]`.
pub(crate) fn loss_of(
    model: &DeepSignature,
    windows: &[WindowTensors],
    targets: &[f64],
    task: &Task,
    config: &TrainConfig,
) -> (Tensor<1>, Tensor<2>) {
    let outputs: Vec<_> = windows.iter().map(|w| model.encode_window(w, &config.model)).collect();
    let n = windows.len() as f64;
    let features = outputs.iter().map(|o| o.features.clone()).collect();
    let logits = model.head_batch(features, &config.model);
    let cut = Tensor::cat(outputs.iter().map(|o| o.cut.clone()).collect(), 0).sum() / n;
    let orth = Tensor::cat(outputs.iter().map(|o| o.orth.clone()).collect(), 0).sum() / n;
    let tie = Tensor::cat(outputs.iter().map(|o| o.tie.clone()).collect(), 0).sum() / n;
    let loss = task.loss(logits.clone(), targets) * config.task_weight
        + cut * config.cut_weight
        + orth * config.orth_weight
        + tie * config.tie_weight;
    (loss, logits)
}

/// Windows back-propagated together: enough to amortise the gradient accumulation of the
/// wide head (11.6 M weights at the `paper` size), few enough to keep the autodiff graphs of
/// a whole batch out of memory.
const MICRO_BATCH: usize = 4;

/// One optimisation step on `count` windows, back-propagating `MICRO_BATCH` windows at a time
/// and summing the gradients: the result equals a step on the batch's mean loss, while memory
/// holds a few windows' autodiff graphs instead of the whole batch's. Returns the new model
/// and the mean loss.
pub(crate) fn accumulated_step(
    model: DeepSignature,
    optim: &mut ModuleOptimizer,
    count: usize,
    window: impl Fn(usize) -> (WindowTensors, f64),
    task: &Task,
    config: &TrainConfig,
) -> (DeepSignature, f64) {
    let mut accumulator = GradientsAccumulator::new();
    let mut total = 0.0;
    let mut start = 0;
    while start < count {
        let end = (start + MICRO_BATCH).min(count);
        let (tensors, targets): (Vec<_>, Vec<_>) = (start..end).map(&window).unzip();
        let (loss, _) = loss_of(&model, &tensors, &targets, task, config);
        // loss_of averages over its windows; weight the micro-batch by its share of the batch.
        let loss = loss * ((end - start) as f64 / count as f64);
        total += f64::from(loss.clone().into_scalar::<f32>());
        accumulator.accumulate(&model, GradientsParams::from_grads(loss.backward(), &model));
        start = end;
    }
    let model = optim.step(config.lr, model, accumulator.grads());
    (model, total)
}

pub(crate) fn evaluate(
    model: &DeepSignature,
    data: &Prepared,
    samples: &[usize],
    config: &TrainConfig,
    device: &Device,
) -> Evaluation {
    let mut loss = 0.0;
    let mut predictions = Vec::new();
    for chunk in samples.chunks(config.batch.max(1)) {
        let (l, logits) = batch_loss(model, data, chunk, config, device);
        loss += f64::from(l.into_scalar::<f32>()) * chunk.len() as f64;
        predictions.extend(data.task.predictions(logits));
    }
    let targets = samples.iter().map(|&i| data.samples[i].target).collect();
    Evaluation { loss: loss / samples.len().max(1) as f64, predictions, targets }
}

/// A seeded shuffle that depends only on (seed, epoch), so a resumed run sees the same order
/// as an uninterrupted one.
fn shuffled(items: &[usize], seed: u64, epoch: usize) -> Vec<usize> {
    let mut v = items.to_vec();
    SplitMix64::new(seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)).shuffle(&mut v);
    v
}

fn optimizer(config: &TrainConfig) -> ModuleOptimizer {
    AdamConfig::new()
        .with_weight_decay(Some(WeightDecayConfig::new(config.weight_decay as f32)))
        .init()
}

/// Writes through a temporary file in the same folder, then renames.
pub(crate) fn replace_atomically(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<(), TrainError> {
    let tmp = path.with_extension(format!(
        "tmp.{}",
        path.extension().and_then(|e| e.to_str()).unwrap_or("bin")
    ));
    write(&tmp).map_err(|e| TrainError::run(path, e))?;
    std::fs::rename(&tmp, path)
        .map_err(|e| TrainError::run(path, format!("cannot move into place: {e}")))
}

fn save_json(path: &Path, value: &impl Serialize) -> Result<(), TrainError> {
    replace_atomically(path, |tmp| {
        let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
        std::fs::write(tmp, text).map_err(|e| e.to_string())
    })
}

/// Trains one model and writes the run folder; returns the test metrics.
pub fn train(opts: &TrainOptions) -> Result<serde_json::Value, TrainError> {
    let config = &opts.config;
    config.validate()?;
    let base = backend::device_from_str(&opts.device)?;
    let device = base.clone().autodiff();
    let out = &opts.out;
    let state_path = out.join("state.json");
    if !opts.resume && state_path.exists() {
        return Err(TrainError::run(
            out,
            "already holds a run; pass --resume to continue it or choose another --out",
        ));
    }
    std::fs::create_dir_all(out)
        .map_err(|e| TrainError::run(out, format!("cannot create: {e}")))?;
    let started = Instant::now();
    let data = Prepared::load(&opts.manifest, config, opts.seed, opts.cache_dir.as_deref())?;
    if data.validation.is_empty() || data.train.is_empty() {
        return Err(TrainError::Data("the split left no training or no validation trajectory; add trajectories or change the fractions".into()));
    }
    let warnings: Vec<String> = data.warnings.iter().map(|w| w.to_string()).collect();
    if opts.progress {
        warnings.iter().for_each(|w| eprintln!("warning: {w}"));
    }
    let run_config = serde_json::json!({
        "warnings": warnings,
        "manifest": opts.manifest, "seed": opts.seed, "device": opts.device,
        "task": data.task, "vocabulary": data.vocabulary, "config": config,
        "channels": data.input_shape().channels,
        "split": {
            "folds": data.split.folds, "fold": data.split.fold, "split_seed": data.split.split_seed,
            "train": data.train, "validation": data.validation, "test": data.test,
        },
    });
    save_json(&out.join("config.json"), &run_config)?;
    let mut references = crate::reference::References::default();
    data.dataset.systems.iter().for_each(|s| references.keep(s));
    save_json(&out.join(crate::inference::REFERENCES_FILE), &references)?;

    device.seed(opts.seed);
    let mut model = DeepSignature::new(&config.model, data.input_shape(), &device);
    let mut optim = optimizer(config);
    let mut state = State {
        epochs_done: 0,
        best_validation_loss: f64::INFINITY,
        best_epoch: 0,
        curves: Vec::new(),
    };
    let (last_model, last_optim, best_model) =
        (out.join("model-last.bpk"), out.join("optim-last.bpk"), out.join("model-best.bpk"));
    if opts.resume && state_path.exists() {
        let text =
            std::fs::read_to_string(&state_path).map_err(|e| TrainError::run(&state_path, e))?;
        state = serde_json::from_str(&text).map_err(|e| TrainError::run(&state_path, e))?;
        model = model.try_load_file(&last_model).map_err(|e| TrainError::run(&last_model, e))?;
        optim = optim.load(&last_optim).map_err(|e| TrainError::run(&last_optim, e))?;
    }

    let train_samples = data.samples_of(&data.train);
    let val_samples = data.samples_of(&data.validation);
    for epoch in state.epochs_done..config.epochs {
        let epoch_start = Instant::now();
        device.seed(opts.seed.wrapping_add(1 + epoch as u64));
        let mut train_loss = 0.0;
        for batch in shuffled(&train_samples, opts.seed, epoch).chunks(config.batch) {
            let window =
                |k: usize| (data.tensors(batch[k], &device), data.samples[batch[k]].target);
            let (next, loss) =
                accumulated_step(model, &mut optim, batch.len(), window, &data.task, config);
            model = next;
            train_loss += loss * batch.len() as f64;
        }
        train_loss /= train_samples.len().max(1) as f64;
        if !train_loss.is_finite() {
            // Every later epoch would be NaN too, and no checkpoint would ever be chosen.
            return Err(TrainError::run(
                out,
                format!(
                    "training diverged in epoch {}: the train loss is {train_loss}; lower lr \
                     (now {:e}) or check the inputs' scale (coordinate_scale, centre)",
                    epoch + 1,
                    config.lr
                ),
            ));
        }
        let val = evaluate(&model.valid(), &data, &val_samples, config, &base);
        let record = EpochRecord {
            epoch: epoch + 1,
            train_loss,
            validation_loss: val.loss,
            validation: data.task.metrics(&val.predictions, &val.targets),
            seconds: epoch_start.elapsed().as_secs_f64(),
        };
        if opts.progress {
            eprintln!(
                "epoch {:>3}/{}  train loss {:.4}  validation loss {:.4}  {:.1}s",
                epoch + 1,
                config.epochs,
                train_loss,
                val.loss,
                record.seconds
            );
        }
        state.curves.push(record);
        state.epochs_done = epoch + 1;
        if val.loss < state.best_validation_loss {
            state.best_validation_loss = val.loss;
            state.best_epoch = epoch + 1;
            replace_atomically(&best_model, |tmp| {
                model.clone().save_file(tmp).map_err(|e| e.to_string())
            })?;
        }
        replace_atomically(&last_model, |tmp| {
            model.clone().save_file(tmp).map_err(|e| e.to_string())
        })?;
        replace_atomically(&last_optim, |tmp| optim.save(tmp).map_err(|e| e.to_string()))?;
        save_json(&state_path, &state)?;
        if config.patience > 0 && state.epochs_done - state.best_epoch >= config.patience {
            break;
        }
    }

    let best = DeepSignature::new(&config.model, data.input_shape(), &base)
        .try_load_file(&best_model)
        .map_err(|e| TrainError::run(&best_model, e))?;
    let metrics = report::final_metrics(
        &best,
        &data,
        config,
        &base,
        state.best_epoch,
        started.elapsed().as_secs_f64(),
    );
    save_json(&out.join("metrics.json"), &metrics)?;
    report::write_curves(out, &state.curves)?;
    report::write_report(out, &metrics, &state.curves)?;
    Ok(metrics)
}
