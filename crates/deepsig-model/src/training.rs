//! The training loop: trajectory-level split, Adam with warm-up, schedule and clipping
//! ([`crate::step`]), validation-based checkpoint choice and early stopping, one atomic
//! checkpoint per epoch ([`crate::checkpoint`]) with `--resume`, and the test set evaluated
//! once at the end with the best-validation model.

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;
use deepsig_md::SplitMix64;

use crate::checkpoint::{CHECKPOINT_FILE, Checkpoint, Progress};
use crate::config::TrainConfig;
use crate::model::{DeepSignature, SEED_STRIDE};
use crate::prepare::Prepared;
use crate::report::{self, EpochRecord, RunMetrics};
use crate::{FitError, TrainError, backend, io, step};

/// The best model's file in a run folder (what `predict`, `embed` and `explain` load).
pub const BEST_MODEL_FILE: &str = "model-best.bpk";

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
    /// Resume even though the configuration differs from the saved one (else refused,
    /// naming the keys).
    pub resume_changed: bool,
    /// Preprocessing cache folder.
    pub cache_dir: Option<PathBuf>,
}

/// A seeded shuffle that depends only on (seed, epoch), so a resumed run sees the same order
/// as an uninterrupted one.
fn shuffled(items: &[usize], seed: u64, epoch: usize) -> Vec<usize> {
    let mut v = items.to_vec();
    SplitMix64::new(seed ^ (epoch as u64).wrapping_mul(SEED_STRIDE)).shuffle(&mut v);
    v
}

/// The generator of an epoch's step seeds, drawn once per step in order: the head's dropout
/// of a step's micro-batches derives from its seed alone, so a resumed run and any thread
/// count draw the same masks.
fn step_seeds(seed: u64, epoch: usize) -> SplitMix64 {
    SplitMix64::new(seed ^ (epoch as u64).wrapping_mul(SEED_STRIDE))
}

/// The settings that differ between the run's saved `config.json` and `config`, as
/// `key: saved -> now`, dotted for nested ones.
fn config_changes(saved: &serde_json::Value, config: &TrainConfig) -> Vec<String> {
    fn walk(prefix: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<String>) {
        match (a, b) {
            (serde_json::Value::Object(x), serde_json::Value::Object(y)) => {
                let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
                keys.sort();
                keys.dedup();
                let null = serde_json::Value::Null;
                for k in keys {
                    let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                    walk(&key, x.get(k).unwrap_or(&null), y.get(k).unwrap_or(&null), out);
                }
            }
            _ if a != b => out.push(format!("{prefix}: {a} -> {b}")),
            _ => {}
        }
    }
    let now = serde_json::to_value(config).unwrap_or_default();
    // Read through TrainConfig, so that keys added since the run was saved take their old
    // meaning rather than counting as changes.
    let saved = serde_json::from_value::<TrainConfig>(saved.clone())
        .ok()
        .and_then(|c| serde_json::to_value(c).ok())
        .unwrap_or_else(|| saved.clone());
    let mut out = Vec::new();
    walk("", &saved, &now, &mut out);
    out
}

/// Refuses to resume the run in `out` with a configuration other than the one it was started
/// with, unless `allowed`: a resumed run must be the run that was interrupted.
fn check_resumable(out: &Path, config: &TrainConfig, allowed: bool) -> Result<(), TrainError> {
    let path = out.join("config.json");
    let text = std::fs::read_to_string(&path).map_err(|e| TrainError::run(&path, e))?;
    let saved: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| TrainError::run(&path, e))?;
    let changes = config_changes(&saved["config"], config);
    if changes.is_empty() || allowed {
        return Ok(());
    }
    Err(TrainError::run(
        &path,
        format!(
            "--resume with other settings than the run was started with ({}); resume with the \
             same settings, or pass --resume-changed to continue with the new ones",
            changes.join(", ")
        ),
    ))
}

/// What a training run reports while it goes. This crate prints nothing: the CLI's observer
/// writes one line per epoch on stderr, the Python package's hands each epoch to a callback.
/// Every method has a default that ignores the event.
pub trait TrainObserver {
    /// A warning about the data, found before the first epoch (also saved in `config.json`).
    fn warning(&mut self, _message: &str) {}
    /// Epoch `record.epoch` of `epochs` has finished (validation included).
    fn epoch(&mut self, _record: &EpochRecord, _epochs: usize) {}
}

/// An observer that reports nothing.
pub struct Quiet;

impl TrainObserver for Quiet {}

/// Trains one model and writes the run folder; returns the test metrics.
pub fn train(opts: &TrainOptions) -> Result<RunMetrics, TrainError> {
    train_observed(opts, &mut Quiet)
}

/// [`train`], reporting warnings and epochs to `observer` as they happen.
pub fn train_observed(
    opts: &TrainOptions,
    observer: &mut dyn TrainObserver,
) -> Result<RunMetrics, TrainError> {
    let config = &opts.config;
    config.validate()?;
    let base = backend::device_from_str(&opts.device)?;
    let device = base.clone().autodiff();
    let out = &opts.out;
    let checkpoint_path = out.join(CHECKPOINT_FILE);
    let resuming = opts.resume && checkpoint_path.exists();
    if !opts.resume && (checkpoint_path.exists() || out.join("metrics.json").exists()) {
        return Err(TrainError::run(
            out,
            "already holds a run; pass --resume to continue it or choose another --out",
        ));
    }
    if resuming {
        check_resumable(out, config, opts.resume_changed)?;
        io::remove_stale_temporaries(out);
    }
    std::fs::create_dir_all(out)
        .map_err(|e| TrainError::run(out, format!("cannot create: {e}")))?;
    let started = Instant::now();
    let data = Prepared::load(&opts.manifest, config, opts.seed, opts.cache_dir.as_deref())?;
    if data.validation.is_empty() || data.train.is_empty() {
        return Err(FitError::EmptySplitPart.into());
    }
    let warnings: Vec<String> = data.warnings.iter().map(|w| w.to_string()).collect();
    warnings.iter().for_each(|w| observer.warning(w));
    let run_config = serde_json::json!({
        "warnings": warnings,
        "manifest": opts.manifest, "seed": opts.seed, "device": opts.device,
        "task": data.task, "vocabulary": data.vocabulary, "config": config,
        "channels": data.input_shape().channels,
        "split": {
            "folds": data.split.folds, "fold": data.split.fold, "split_seed": data.split.split_seed,
            "given": data.split.given,
            "train": data.train, "validation": data.validation, "test": data.test,
        },
    });
    io::save_json(&out.join("config.json"), &run_config)?;
    let mut references = crate::reference::References::default();
    data.dataset.systems.iter().for_each(|s| references.keep(s));
    io::save_json(&out.join(crate::inference::REFERENCES_FILE), &references)?;

    device.seed(opts.seed);
    let mut model = DeepSignature::new(&config.model, data.input_shape(), &device);
    let mut optim = step::optimizer(config);
    let mut progress = Progress {
        epochs_done: 0,
        best_validation_loss: f64::INFINITY,
        best_epoch: 0,
        curves: Vec::new(),
    };
    let mut best_bytes = Vec::new();
    if resuming {
        let saved = Checkpoint::load(&checkpoint_path)?;
        let bad = |e: burn::store::RecordError| TrainError::run(&checkpoint_path, e);
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(saved.model)).map_err(bad)?;
        model = model.try_load_record(record).map_err(bad)?;
        optim = optim.from_bytes(Bytes::from_bytes_vec(saved.optimizer)).map_err(bad)?;
        progress = saved.progress;
        best_bytes = saved.best_model;
    }
    let module_bytes = |m: &DeepSignature| -> Result<Vec<u8>, TrainError> {
        let bytes = m.clone().into_record().into_bytes();
        bytes.map(|b| b.to_vec()).map_err(|e| TrainError::run(&checkpoint_path, e))
    };

    let train_samples = data.samples_of(&data.train);
    let val_samples = data.samples_of(&data.validation);
    let steps = train_samples.len().div_ceil(config.batch.max(1));
    for epoch in progress.epochs_done..config.epochs {
        let epoch_start = Instant::now();
        device.seed(opts.seed.wrapping_add(1 + epoch as u64));
        let (mut train_loss, mut norms) = (0.0, Vec::with_capacity(steps));
        let mut lr = config.lr;
        let mut seeds = step_seeds(opts.seed, epoch);
        for (k, batch) in
            shuffled(&train_samples, opts.seed, epoch).chunks(config.batch).enumerate()
        {
            lr = step::learning_rate(config, epoch, k, steps);
            let window =
                |k: usize| (data.tensors(batch[k], &device), data.samples[batch[k]].target);
            let sizes: Vec<step::WindowSize> = batch
                .iter()
                .map(|&i| step::WindowSize {
                    system: data.samples[i].system,
                    atom_frames: data.atom_frames(i),
                })
                .collect();
            let (next, stats) = step::accumulated_step(
                model,
                &mut optim,
                (&sizes, lr, seeds.next_u64()),
                window,
                &data.task,
                config,
            );
            model = next;
            train_loss += stats.loss * batch.len() as f64;
            norms.push(stats.grad_norm);
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
        let val = step::evaluate(&model.valid(), &data, &val_samples, config, &base);
        let record = EpochRecord {
            epoch: epoch + 1,
            train_loss,
            validation_loss: val.loss,
            validation: data.task.metrics(&val.predictions, &val.targets),
            seconds: epoch_start.elapsed().as_secs_f64(),
            lr,
            grad_norm: deepsig_md::bench::median(&norms),
            grad_norm_max: norms.iter().copied().fold(0.0, f64::max),
        };
        observer.epoch(&record, config.epochs);
        progress.curves.push(record);
        progress.epochs_done = epoch + 1;
        let improved = val.loss < progress.best_validation_loss;
        if improved {
            progress.best_validation_loss = val.loss;
            progress.best_epoch = epoch + 1;
            best_bytes = module_bytes(&model)?;
        }
        let checkpoint = Checkpoint {
            progress: progress.clone(),
            model: module_bytes(&model)?,
            optimizer: optim
                .into_bytes()
                .map(|b| b.to_vec())
                .map_err(|e| TrainError::run(&checkpoint_path, e))?,
            best_model: best_bytes.clone(),
        };
        // The checkpoint is the truth; the best model beside it is a copy for readers, written
        // after it (a crash between the two is repaired by the resumed epoch's rewrite).
        checkpoint.save(&checkpoint_path)?;
        if improved {
            io::save_bytes(&out.join(BEST_MODEL_FILE), &best_bytes)?;
        }
        if config.patience > 0 && progress.epochs_done - progress.best_epoch >= config.patience {
            break;
        }
    }

    // The best model of the checkpoint, written again: a run resumed after its last epoch
    // has no other chance to repair a missing copy.
    io::save_bytes(&out.join(BEST_MODEL_FILE), &best_bytes)?;
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(best_bytes))
        .map_err(|e| TrainError::run(&checkpoint_path, e))?;
    let best = DeepSignature::new(&config.model, data.input_shape(), &base)
        .try_load_record(record)
        .map_err(|e| TrainError::run(&checkpoint_path, e))?;
    let metrics = report::final_metrics(
        &best,
        &data,
        config,
        &base,
        progress.best_epoch,
        started.elapsed().as_secs_f64(),
    );
    report::write_curves(out, &progress.curves)?;
    report::write_report(out, &metrics, &progress.curves, &data, config)?;
    // Last: a run folder with metrics.json is a finished run.
    io::save_json(&out.join("metrics.json"), &metrics)?;
    Ok(metrics)
}
