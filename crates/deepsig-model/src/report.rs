//! What a run folder shows: `metrics.json`, `curves.csv`, `curves.svg` and `report.md`.

use std::fmt::Write as _;
use std::path::Path;

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::TrainError;
use crate::config::TrainConfig;
use crate::metrics::Metrics;
use crate::model::DeepSignature;
use crate::prepare::{Prepared, SplitInfo};
use crate::step::evaluate;

/// One epoch's numbers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss.
    pub train_loss: f64,
    /// Mean validation loss.
    pub validation_loss: f64,
    /// Validation metrics (per window).
    pub validation: Metrics,
    /// Wall time of the epoch.
    pub seconds: f64,
    /// Learning rate of the epoch's last step.
    pub lr: f64,
    /// Median over the epoch's steps of the gradient's global L2 norm, before clipping.
    pub grad_norm: f64,
    /// The largest of those norms.
    pub grad_norm_max: f64,
}

/// A run's result, as `metrics.json` holds it: the chosen model's metrics on the test part (or
/// on validation, when the split has none) and on its own training trajectories.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunMetrics {
    /// The chosen model on its training trajectories: a model that cannot fit them has not
    /// trained, whatever its test metrics.
    pub train: FitMetrics,
    /// Which part the metrics below are of.
    pub evaluated_on: EvaluatedPart,
    /// How the trajectories were split (with k folds, the test fold is the seed mod k).
    pub split: SplitInfo,
    /// The epoch of the chosen checkpoint (lowest validation loss), 1-based.
    pub best_epoch: usize,
    /// Mean loss over the part's windows.
    pub loss: f64,
    /// Metrics of each window's prediction.
    pub per_window: Metrics,
    /// Metrics of each trajectory's mean prediction over its windows.
    pub per_trajectory: Metrics,
    /// Windows evaluated.
    pub windows: usize,
    /// Trajectories evaluated.
    pub trajectories: usize,
    /// Data loading and training, wall time (0 when recomputed from a run folder).
    pub train_seconds: f64,
    /// The process's peak resident memory (Linux only): one run per process, as `deepsig
    /// benchmark` runs them, makes it the run's peak.
    pub peak_rss_mb: Option<f64>,
}

/// The chosen model's fit of its training trajectories.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitMetrics {
    /// Mean loss over the training windows.
    pub loss: f64,
    /// Metrics of each training window.
    pub per_window: Metrics,
    /// Metrics of each training trajectory.
    pub per_trajectory: Metrics,
}

/// The part of the split a run's metrics are of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EvaluatedPart {
    /// The test part: never looked at before the final evaluation.
    Test,
    /// The validation part (the split has no test part): it chose the checkpoint, so these
    /// are not test metrics.
    Validation,
}

impl EvaluatedPart {
    /// `test` or `validation`.
    pub fn name(self) -> &'static str {
        match self {
            EvaluatedPart::Test => "test",
            EvaluatedPart::Validation => "validation",
        }
    }
}

/// Mean of per-window predictions over each trajectory's windows.
fn per_trajectory(
    data: &Prepared,
    samples: &[usize],
    predictions: &[Vec<f64>],
) -> (Vec<Vec<f64>>, Vec<f64>) {
    let mut trajectories: Vec<usize> =
        samples.iter().map(|&i| data.samples[i].trajectory).collect();
    trajectories.sort_unstable();
    trajectories.dedup();
    let mut preds = Vec::new();
    let mut targets = Vec::new();
    for t in trajectories {
        let rows: Vec<&Vec<f64>> = samples
            .iter()
            .zip(predictions)
            .filter(|&(&i, _)| data.samples[i].trajectory == t)
            .map(|(_, p)| p)
            .collect();
        let width = rows[0].len();
        preds.push(
            (0..width)
                .map(|c| rows.iter().map(|r| r[c]).sum::<f64>() / rows.len() as f64)
                .collect(),
        );
        targets.push(
            data.task.target(&data.dataset.systems[data.dataset.trajectories[t].system].label),
        );
    }
    (preds, targets)
}

/// Test (or, with no test trajectory, validation) metrics of the chosen model.
pub(crate) fn final_metrics(
    model: &DeepSignature,
    data: &Prepared,
    config: &TrainConfig,
    device: &Device,
    best_epoch: usize,
    seconds: f64,
) -> RunMetrics {
    let (part, trajectories) = if data.test.is_empty() {
        (EvaluatedPart::Validation, &data.validation)
    } else {
        (EvaluatedPart::Test, &data.test)
    };
    let samples = data.samples_of(trajectories);
    let eval = evaluate(model, data, &samples, config, device);
    let (traj_preds, traj_targets) = per_trajectory(data, &samples, &eval.predictions);
    let train_samples = data.samples_of(&data.train);
    let fit = evaluate(model, data, &train_samples, config, device);
    let (fit_traj, fit_targets) = per_trajectory(data, &train_samples, &fit.predictions);
    RunMetrics {
        train: FitMetrics {
            loss: fit.loss,
            per_window: data.task.metrics(&fit.predictions, &fit.targets),
            per_trajectory: data.task.metrics(&fit_traj, &fit_targets),
        },
        evaluated_on: part,
        split: data.split,
        best_epoch,
        loss: eval.loss,
        per_window: data.task.metrics(&eval.predictions, &eval.targets),
        per_trajectory: data.task.metrics(&traj_preds, &traj_targets),
        windows: samples.len(),
        trajectories: trajectories.len(),
        train_seconds: seconds,
        peak_rss_mb: crate::bench::peak_rss_mb(),
    }
}

/// `curves.csv` and `curves.svg` (training and validation loss by epoch).
pub(crate) fn write_curves(out: &Path, curves: &[EpochRecord]) -> Result<(), TrainError> {
    let mut csv =
        String::from("epoch,train_loss,validation_loss,lr,grad_norm,grad_norm_max,seconds\n");
    for r in curves {
        let _ = writeln!(
            csv,
            "{},{},{},{},{},{},{}",
            r.epoch, r.train_loss, r.validation_loss, r.lr, r.grad_norm, r.grad_norm_max, r.seconds
        );
    }
    crate::io::save_bytes(&out.join("curves.csv"), csv.as_bytes())?;
    crate::io::save_bytes(&out.join("curves.svg"), svg_chart(curves).as_bytes())
}

fn svg_chart(curves: &[EpochRecord]) -> String {
    let (w, h, pad) = (640.0, 360.0, 50.0);
    let values =
        curves.iter().flat_map(|r| [r.train_loss, r.validation_loss]).filter(|v| v.is_finite());
    let (lo, hi) =
        values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    let (lo, hi) = if lo < hi { (lo, hi) } else { (lo - 1.0, lo + 1.0) };
    let n = curves.len().max(2) as f64 - 1.0;
    let x = |i: usize| pad + (w - 2.0 * pad) * i as f64 / n;
    let y = |v: f64| h - pad - (h - 2.0 * pad) * (v - lo) / (hi - lo);
    let line = |f: &dyn Fn(&EpochRecord) -> f64| {
        curves
            .iter()
            .enumerate()
            .map(|(i, r)| format!("{:.1},{:.1}", x(i), y(f(r))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<line x1="{pad}" y1="{b}" x2="{r}" y2="{b}" stroke="black"/><line x1="{pad}" y1="{pad}" x2="{pad}" y2="{b}" stroke="black"/>
<text x="{pad}" y="{t}">loss {hi:.3}</text><text x="{pad}" y="{lb}">{lo:.3}</text><text x="{r}" y="{lb}" text-anchor="end">epoch {e}</text>
<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="{train}"/>
<polyline fill="none" stroke="#d62728" stroke-width="2" points="{val}"/>
<text x="{lx}" y="{t}" fill="#1f77b4">train</text><text x="{lx}" y="{t2}" fill="#d62728">validation</text>
</svg>
"##,
        b = h - pad,
        r = w - pad,
        t = pad - 10.0,
        t2 = pad + 5.0,
        lb = h - pad + 20.0,
        lx = w - pad - 70.0,
        e = curves.len(),
        train = line(&|r| r.train_loss),
        val = line(&|r| r.validation_loss),
    )
}

/// `report.md`: what was trained on, what was chosen and why, and what it scored.
pub(crate) fn write_report(
    out: &Path,
    metrics: &RunMetrics,
    curves: &[EpochRecord],
    data: &Prepared,
    config: &TrainConfig,
) -> Result<(), TrainError> {
    let mut md = String::from("# deepsig training report\n\n## Data\n\n");
    let split = &data.split;
    let how = match (split.given, split.folds) {
        (true, _) => "the manifest's given split (`split` per system)".to_string(),
        (false, 0) => format!("fractions, drawn from split seed {}", split.split_seed),
        (false, k) => format!("{k}-fold, test fold {}", split.fold.unwrap_or(0)),
    };
    let _ = writeln!(md, "Split by trajectory: {how}.\n");
    let _ = writeln!(md, "| system | label | selected atoms | edges | trajectories | frames |");
    let _ = writeln!(md, "| --- | --- | ---: | ---: | ---: | ---: |");
    for (k, system) in data.dataset.systems.iter().enumerate() {
        let trajectories: Vec<_> =
            data.dataset.trajectories.iter().filter(|t| t.system == k).collect();
        let frames: usize =
            trajectories.iter().flat_map(|t| t.windows.iter().map(|w| w.frames)).sum();
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {frames} |",
            system.name,
            system.label,
            system.n_atoms(),
            system.edges.len(),
            trajectories.len()
        );
    }
    let _ = writeln!(md, "\n| part | trajectories | windows |\n| --- | ---: | ---: |");
    for (part, trajectories) in
        [("train", &data.train), ("validation", &data.validation), ("test", &data.test)]
    {
        let windows = data.samples_of(trajectories).len();
        let _ = writeln!(md, "| {part} | {} | {windows} |", trajectories.len());
    }
    let best = metrics.best_epoch;
    let _ = writeln!(md, "\n## Training\n");
    let _ = writeln!(
        md,
        "{} epochs run of at most {} (patience {}); learning rate {:e}, {} warm-up epoch(s), {:?} \
         schedule, gradient norm clipped at {}.\n",
        curves.len(),
        config.epochs,
        config.patience,
        config.lr,
        config.warmup_epochs,
        config.schedule,
        config.clip_grad_norm
    );
    if let Some(chosen) = curves.iter().find(|r| r.epoch == best) {
        let _ = writeln!(
            md,
            "Chosen checkpoint: epoch {best}, the lowest validation loss ({:.4}; train loss {:.4} \
             then). The test set was not looked at to choose it.\n",
            chosen.validation_loss, chosen.train_loss
        );
    }
    let _ = writeln!(md, "Curves: `curves.csv` (with lr and gradient norms), `curves.svg`.\n");
    let part = metrics.evaluated_on;
    let _ = writeln!(
        md,
        "## Metrics\n\nEvaluated once on the {} part ({} trajectories, {} windows) with the \
         chosen checkpoint{}.\n",
        part.name(),
        metrics.trajectories,
        metrics.windows,
        match part {
            EvaluatedPart::Test => "",
            EvaluatedPart::Validation => " (no test part: these are not test metrics)",
        }
    );
    let _ = writeln!(md, "| metric | per window | per trajectory |\n| --- | ---: | ---: |");
    let _ = writeln!(md, "| loss | {:.4} | |", metrics.loss);
    for (name, value) in metrics.per_window.values() {
        let per_trajectory = metrics.per_trajectory.get(name);
        let cell = per_trajectory.map_or("null".to_string(), |x| format!("{x:.4}"));
        let _ = writeln!(md, "| {name} | {value:.4} | {cell} |");
    }
    if let (Metrics::MultiClass(m), crate::task::Task::MultiClass { classes }) =
        (&metrics.per_trajectory, &data.task)
    {
        let _ =
            writeln!(md, "\nConfusion per trajectory (rows: true class, columns: predicted):\n");
        let _ = writeln!(md, "| | {} |", classes.join(" | "));
        let _ = writeln!(md, "|{}", " --- |".repeat(classes.len() + 1));
        for (class, row) in classes.iter().zip(&m.confusion) {
            let cells: Vec<String> = row.iter().map(usize::to_string).collect();
            let _ = writeln!(md, "| {class} | {} |", cells.join(" | "));
        }
    }
    let _ = writeln!(md, "\nConfiguration: `config.json`.");
    crate::io::save_bytes(&out.join("report.md"), md.as_bytes())
}
