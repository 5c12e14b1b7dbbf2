//! One optimisation step and one evaluation: the loss of docs/method.md (Training), gradients
//! accumulated over micro-batches, their global norm clipped, and the learning rate of the
//! schedule. Below the training loop, the benchmark and the report, which all use it.

use std::ops::Range;

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::{GradientsAccumulator, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor};
use rayon::prelude::*;

use crate::adam::HostAdam;
use crate::backend::is_cpu;
use crate::config::{Schedule, TrainConfig};
use crate::model::{DeepSignature, GROUP_ATOM_FRAMES, SEED_STRIDE, WindowTensors};
use crate::prepare::Prepared;
use crate::task::Task;

/// Losses and predictions of the model on some samples (no gradient).
pub(crate) struct Evaluation {
    pub(crate) loss: f64,
    pub(crate) predictions: Vec<Vec<f64>>,
    pub(crate) targets: Vec<f64>,
}

/// What one step did: the mean loss of its windows and the global L2 norm of their gradient
/// before clipping.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepStats {
    /// Mean total loss of the step's windows.
    pub loss: f64,
    /// ‖∇L‖₂ over every parameter, before clipping.
    pub grad_norm: f64,
}

/// The optimiser every method trains with: Adam with L2 weight decay, as the reference.
pub(crate) fn optimizer(config: &TrainConfig) -> ModuleOptimizer {
    ModuleOptimizer::from(HostAdam::new(config.weight_decay as f32))
}

/// The total loss of some windows: task (weighted) + mean cut + mean orthogonality + tie, and
/// the logits `[windows, outputs]`; the head's dropout drawn from `dropout_seed` when given
/// (see [`DeepSignature::head_batch_masked`]).
pub(crate) fn loss_of(
    model: &DeepSignature,
    windows: &[WindowTensors],
    targets: &[f64],
    (task, config): (&Task, &TrainConfig),
    dropout_seed: Option<u64>,
) -> (Tensor<1>, Tensor<2>) {
    let outputs = model.encode_windows(windows);
    let n = windows.len() as f64;
    let features = outputs.iter().map(|o| o.features.clone()).collect();
    let logits = model.head_batch_masked(features, dropout_seed);
    let cut = Tensor::cat(outputs.iter().map(|o| o.cut.clone()).collect(), 0).sum() / n;
    let orth = Tensor::cat(outputs.iter().map(|o| o.orth.clone()).collect(), 0).sum() / n;
    let tie = Tensor::cat(outputs.iter().map(|o| o.tie.clone()).collect(), 0).sum() / n;
    let loss = task.loss(logits.clone(), targets) * config.task_weight
        + cut * config.cut_weight
        + orth * config.orth_weight
        + tie * config.tie_weight;
    (loss, logits)
}

/// Windows back-propagated together, at least: enough to amortise the gradient accumulation
/// of the wide head (11.6 M weights at the `paper` size), few enough to keep the autodiff
/// graphs of a whole batch out of memory.
const MICRO_BATCH: usize = 4;

/// The atom-frames a micro-batch may hold once it has [`MICRO_BATCH`] windows: four windows
/// at GPCR size (1,240 atoms × 100 frames), whose autodiff graphs set the peak memory there.
const MICRO_BATCH_ATOM_FRAMES: usize = MICRO_BATCH * GROUP_ATOM_FRAMES;

/// The most windows a micro-batch grows to with windows of a system it holds: half of the
/// `paper` batch of 16, so a small system's batch is two micro-batches that two cores train
/// at once. One micro-batch of 16 was 14 % faster on one thread, but a second core then
/// bought 1.1× instead of 1.65× (BENCHMARKS.md, "Two micro-batches of a small system").
const MICRO_BATCH_MAX_WINDOWS: usize = 2 * MICRO_BATCH;

/// A window as [`micro_batches`] sees it: its system (windows of one system can go through
/// the encoder together) and its atoms × frames (what its autodiff graph's size scales with).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WindowSize {
    pub(crate) system: usize,
    pub(crate) atom_frames: usize,
}

/// The micro-batches of a step on `windows`: consecutive ranges of at least [`MICRO_BATCH`]
/// windows (fewer at the end), longer while the next window's system is already in the range
/// and the range stays within [`MICRO_BATCH_ATOM_FRAMES`] and [`MICRO_BATCH_MAX_WINDOWS`]:
/// four windows at GPCR size, eight of a small system, whose windows then go through the
/// encoder together (BENCHMARKS.md, "Windows of one system together"), four windows when
/// every window is of another system (which gain nothing from sharing a micro-batch, and run
/// in parallel as separate ones). They depend on the windows alone, never on the thread
/// count, so neither does a step's result.
pub(crate) fn micro_batches(windows: &[WindowSize]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < windows.len() {
        let (mut end, mut total) = (start, 0);
        while end < windows.len() {
            let next = windows[end];
            let grows = end - start < MICRO_BATCH
                || (end - start < MICRO_BATCH_MAX_WINDOWS
                    && total + next.atom_frames <= MICRO_BATCH_ATOM_FRAMES
                    && windows[start..end].iter().any(|w| w.system == next.system));
            if !grows {
                break;
            }
            total += next.atom_frames;
            end += 1;
        }
        out.push(start..end);
        start = end;
    }
    out
}

/// One optimisation step at learning rate `lr` on `windows`, back-propagating one
/// micro-batch ([`micro_batches`]) at a time and summing the gradients: the result equals a
/// step on the batch's mean loss, while memory holds a few windows' autodiff graphs instead
/// of the whole batch's. A gradient whose global norm exceeds a positive
/// `config.clip_grad_norm` is scaled down to it first. Returns the new model and what the
/// step saw.
///
/// With several threads, micro-batches run at once, as many as there are threads, each on
/// its own fork of the model (its own autodiff graph; one shared graph would serialise them
/// behind its lock). Micro-batch m draws its dropout from `seed` and m alone, and the
/// gradients are summed in micro-batch order, so a step gives the same result for any
/// thread count. A model that draws from the device's generator
/// ([`DeepSignature::draws_from_device`]) runs its micro-batches one at a time.
pub(crate) fn accumulated_step(
    model: DeepSignature,
    optim: &mut ModuleOptimizer,
    (windows, lr, seed): (&[WindowSize], f64, u64),
    window: impl Fn(usize) -> (WindowTensors, f64) + Sync,
    task: &Task,
    config: &TrainConfig,
) -> (DeepSignature, StepStats) {
    let count = windows.len();
    let micro_batches = micro_batches(windows);
    let device_rng = model.draws_from_device();
    let one_micro_batch = |m: usize, model: &DeepSignature| -> (f64, GradientsParams) {
        let range = micro_batches[m].clone();
        let share = range.len() as f64 / count as f64;
        let (tensors, targets): (Vec<_>, Vec<_>) = range.map(&window).unzip();
        let dropout_seed = (!device_rng).then(|| seed ^ (m as u64).wrapping_mul(SEED_STRIDE));
        let (loss, _) = loss_of(model, &tensors, &targets, (task, config), dropout_seed);
        // loss_of averages over its windows; weight the micro-batch by its share of the batch.
        let loss = loss * share;
        let value = f64::from(loss.clone().into_scalar::<f32>());
        (value, GradientsParams::from_grads(loss.backward(), model))
    };
    let at_once = if device_rng { 1 } else { rayon::current_num_threads().max(1) };
    let device = model.devices().into_iter().next().unwrap_or_default();
    let mut accumulator = GradientsAccumulator::new();
    let mut total = 0.0;
    for first in (0..micro_batches.len()).step_by(at_once) {
        let group = first..(first + at_once).min(micro_batches.len());
        let results: Vec<(f64, GradientsParams)> = if group.len() == 1 {
            vec![one_micro_batch(first, &model)]
        } else {
            group
                .into_par_iter()
                .map(|m| one_micro_batch(m, &model.clone().fork(&device)))
                .collect()
        };
        for (value, grads) in results {
            total += value;
            accumulator.accumulate(&model, grads);
        }
    }
    let mut grads = accumulator.grads();
    let grad_norm = global_norm(&model, &grads);
    if config.clip_grad_norm > 0.0 && grad_norm > config.clip_grad_norm {
        scale_gradients(&model, &mut grads, config.clip_grad_norm / grad_norm);
    }
    let model = optim.step(lr, model, grads);
    (model, StepStats { loss: total, grad_norm })
}

/// ‖g‖₂ over every parameter's gradient (one host read).
fn global_norm(model: &DeepSignature, grads: &GradientsParams) -> f64 {
    struct SumOfSquares<'a> {
        grads: &'a GradientsParams,
        total: Option<Tensor<1>>,
    }
    impl ModuleVisitor for SumOfSquares<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(g) = self.grads.get::<D>(param.id) {
                let squares = (g.clone() * g).sum();
                self.total = Some(match self.total.take() {
                    Some(t) => t + squares,
                    None => squares,
                });
            }
        }
    }
    let mut visitor = SumOfSquares { grads, total: None };
    model.visit(&mut visitor);
    visitor.total.map_or(0.0, |t| f64::from(t.into_scalar::<f32>()).sqrt())
}

/// Multiplies every gradient by `factor`: the global-norm clip keeps the step's direction.
fn scale_gradients(model: &DeepSignature, grads: &mut GradientsParams, factor: f64) {
    struct Scale<'a> {
        grads: &'a mut GradientsParams,
        factor: f64,
    }
    impl ModuleVisitor for Scale<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(g) = self.grads.remove::<D>(param.id) {
                self.grads.register::<D>(param.id, g * self.factor);
            }
        }
    }
    model.visit(&mut Scale { grads, factor });
}

/// The learning rate of step `step` of `steps_per_epoch` in epoch `epoch` (0-based): a linear
/// warm-up over `warmup_epochs` (at most a tenth of the epochs, so a short run is not all
/// warm-up), then constant or a cosine decay to `COSINE_FLOOR`·lr at the last epoch
/// (docs/method.md, Training).
pub fn learning_rate(
    config: &TrainConfig,
    epoch: usize,
    step: usize,
    steps_per_epoch: usize,
) -> f64 {
    let per_epoch = steps_per_epoch.max(1) as f64;
    let done = epoch as f64 + step as f64 / per_epoch;
    let warmup = config.warmup_epochs.min(config.epochs / 10) as f64;
    if done < warmup {
        // Step k of the warm-up (1-based) takes k / W of the rate: never zero.
        return config.lr * (done * per_epoch + 1.0) / (warmup * per_epoch);
    }
    match config.schedule {
        Schedule::Constant => config.lr,
        Schedule::Cosine => {
            let span = (config.epochs as f64 - warmup).max(1.0);
            let progress = ((done - warmup) / span).clamp(0.0, 1.0);
            let floor = COSINE_FLOOR * config.lr;
            floor + (config.lr - floor) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
        }
    }
}

/// The fraction of `lr` the cosine schedule ends at: small enough to settle, not zero, so
/// the last epochs still move.
pub const COSINE_FLOOR: f64 = 0.02;

/// The mean loss and the predictions of `model` on `samples` of `data`.
pub(crate) fn evaluate(
    model: &DeepSignature,
    data: &Prepared,
    samples: &[usize],
    config: &TrainConfig,
    device: &Device,
) -> Evaluation {
    let chunk = |range: Range<usize>| {
        let batch = &samples[range];
        let windows: Vec<_> = batch.iter().map(|&i| data.tensors(i, device)).collect();
        let targets: Vec<f64> = batch.iter().map(|&i| data.samples[i].target).collect();
        (windows, targets)
    };
    let (loss, predictions) = evaluate_in_chunks(model, samples.len(), chunk, (&data.task, config));
    let targets = samples.iter().map(|&i| data.samples[i].target).collect();
    Evaluation { loss, predictions, targets }
}

/// The mean loss and the predictions of `model` on `count` samples, `config.batch` at a
/// time; `chunk(range)` gives those samples' windows and targets. On the CPU up to
/// [`EVAL_CHUNKS_AT_ONCE`] chunks run at once (a GPU takes one at a time): with no gradient,
/// each chunk's numbers depend on its windows alone, and they are combined in chunk order,
/// so the result is the same for any thread count.
pub(crate) fn evaluate_in_chunks(
    model: &DeepSignature,
    count: usize,
    chunk: impl Fn(Range<usize>) -> (Vec<WindowTensors>, Vec<f64>) + Sync,
    (task, config): (&Task, &TrainConfig),
) -> (f64, Vec<Vec<f64>>) {
    let model = model.valid();
    let batch = config.batch.max(1);
    let on_cpu = model.devices().first().is_none_or(is_cpu);
    let at_once = if on_cpu { EVAL_CHUNKS_AT_ONCE } else { 1 };
    let chunks = count.div_ceil(batch);
    let mut loss = 0.0;
    let mut predictions = Vec::with_capacity(count);
    for first in (0..chunks).step_by(at_once) {
        let parts: Vec<(f64, Vec<Vec<f64>>)> = (first..(first + at_once).min(chunks))
            .into_par_iter()
            .map(|c| {
                let range = c * batch..((c + 1) * batch).min(count);
                let (windows, targets) = chunk(range.clone());
                let (loss, logits) = loss_of(&model, &windows, &targets, (task, config), None);
                let loss = f64::from(loss.into_scalar::<f32>()) * range.len() as f64;
                (loss, task.predictions(logits))
            })
            .collect();
        for (part_loss, part_predictions) in parts {
            loss += part_loss;
            predictions.extend(part_predictions);
        }
    }
    (loss / count.max(1) as f64, predictions)
}

/// Evaluation chunks in memory at once, whatever the core count (each chunk's forward keeps
/// no autodiff graph, but its activations): four, as a training step at GPCR size has four
/// micro-batches.
const EVAL_CHUNKS_AT_ONCE: usize = 4;

#[cfg(test)]
mod tests {
    use super::{MICRO_BATCH, MICRO_BATCH_ATOM_FRAMES, WindowSize, micro_batches};

    fn of_one_system(atom_frames: &[usize]) -> Vec<WindowSize> {
        atom_frames.iter().map(|&atom_frames| WindowSize { system: 0, atom_frames }).collect()
    }

    #[test]
    fn micro_batches_hold_four_gpcr_windows_or_eight_of_a_small_system() {
        let gpcr = of_one_system(&[1240 * 100; 16]);
        assert_eq!(micro_batches(&gpcr), vec![0..4, 4..8, 8..12, 12..16]);
        // Never fewer than MICRO_BATCH windows, however large.
        let egfr = of_one_system(&[4878 * 100; 6]);
        assert_eq!(micro_batches(&egfr), vec![0..MICRO_BATCH, MICRO_BATCH..6]);
        let small = of_one_system(&[150 * 40; 16]);
        assert_eq!(micro_batches(&small), vec![0..8, 8..16]);
        assert_eq!(micro_batches(&small[..11]), vec![0..8, 8..11]);
        // Mixed sizes: the budget is counted in atom-frames, in order.
        let half = MICRO_BATCH_ATOM_FRAMES / 2;
        let mixed = of_one_system(&[10, 10, 10, 10, half, half, 10, half]);
        assert_eq!(micro_batches(&mixed), vec![0..5, 5..8]);
        assert!(micro_batches(&[]).is_empty());
    }

    #[test]
    fn micro_batches_grow_only_with_windows_of_a_system_they_hold() {
        let small = |system| WindowSize { system, atom_frames: 150 * 40 };
        // Sixteen small systems, a window each: four micro-batches of four, as before.
        let distinct: Vec<_> = (0..16).map(small).collect();
        assert_eq!(micro_batches(&distinct), vec![0..4, 4..8, 8..12, 12..16]);
        // Two systems shuffled together: the first four hold both, so the rest join up to
        // eight windows.
        let two: Vec<_> = [0, 1, 1, 0, 1, 0, 0, 1, 1, 0].into_iter().map(small).collect();
        assert_eq!(micro_batches(&two), vec![0..8, 8..10]);
        // A third system's window closes the range; the next one starts with it.
        let three: Vec<_> = [0, 0, 0, 0, 0, 2, 0, 0].into_iter().map(small).collect();
        assert_eq!(micro_batches(&three), vec![0..5, 5..8]);
    }
}
