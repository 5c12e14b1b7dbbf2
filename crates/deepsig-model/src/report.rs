//! What a run folder shows: `metrics.json`, `curves.csv`, `curves.svg` and `report.md`.

use std::fmt::Write as _;
use std::path::Path;

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::TrainError;
use crate::config::TrainConfig;
use crate::model::DeepSignature;
use crate::prepare::Prepared;
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
    pub validation: serde_json::Value,
    /// Wall time of the epoch.
    pub seconds: f64,
    /// Learning rate of the epoch's last step.
    pub lr: f64,
    /// Median over the epoch's steps of the gradient's global L2 norm, before clipping.
    pub grad_norm: f64,
    /// The largest of those norms.
    pub grad_norm_max: f64,
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
) -> serde_json::Value {
    let (part, trajectories) =
        if data.test.is_empty() { ("validation", &data.validation) } else { ("test", &data.test) };
    let samples = data.samples_of(trajectories);
    let eval = evaluate(model, data, &samples, config, device);
    let (traj_preds, traj_targets) = per_trajectory(data, &samples, &eval.predictions);
    serde_json::json!({
        "evaluated_on": part,
        // Which split this is: with k folds, the test fold (the seed mod k).
        "split": data.split,
        "best_epoch": best_epoch,
        "loss": eval.loss,
        "per_window": data.task.metrics(&eval.predictions, &eval.targets),
        "per_trajectory": data.task.metrics(&traj_preds, &traj_targets),
        "windows": samples.len(),
        "trajectories": trajectories.len(),
        "train_seconds": seconds,
        // The whole process's high-water mark: one run per process (as `deepsig benchmark`
        // runs them) makes it this run's peak.
        "peak_rss_mb": crate::bench::peak_rss_mb(),
    })
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

/// `report.md`: a short human summary.
pub(crate) fn write_report(
    out: &Path,
    metrics: &serde_json::Value,
    curves: &[EpochRecord],
) -> Result<(), TrainError> {
    let mut md = String::from("# deepsig training report\n\n");
    let _ = writeln!(
        md,
        "Epochs run: {}; best validation loss at epoch {}.\n",
        curves.len(),
        metrics["best_epoch"]
    );
    let _ = writeln!(
        md,
        "Evaluated once on the {} set ({} trajectories, {} windows), with the best-validation model.\n",
        metrics["evaluated_on"].as_str().unwrap_or("test"),
        metrics["trajectories"],
        metrics["windows"]
    );
    let _ = writeln!(md, "| level | metrics |\n| --- | --- |");
    for level in ["per_window", "per_trajectory"] {
        let _ = writeln!(md, "| {level} | `{}` |", metrics[level]);
    }
    let _ = writeln!(md, "\nCurves: `curves.csv`, `curves.svg`. Configuration: `config.json`.");
    crate::io::save_bytes(&out.join("report.md"), md.as_bytes())
}
