//! The benchmark's outputs: `benchmark.md`, `benchmark.json` and `benchmark.svg` (per
//! trajectory accuracy, mean ± std over seeds, one bar per method).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use deepsig_model::metrics::mean_std;
use deepsig_model::{EvaluatedPart, Method, RunMetrics};

use super::Plan;
use crate::npy::write_atomic;

/// One finished run, read back from its folder.
pub(crate) struct RunResult {
    pub(crate) seed: u64,
    /// Its `metrics.json`.
    pub(crate) metrics: RunMetrics,
}

impl RunResult {
    pub(crate) fn read(seed: u64, dir: &Path) -> Result<RunResult> {
        let path = dir.join("metrics.json");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let metrics = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a run's metrics", path.display()))?;
        Ok(RunResult { seed, metrics })
    }

    /// Data loading and training, as the run measured it.
    pub(crate) fn seconds(&self) -> f64 {
        self.metrics.train_seconds
    }

    /// The per-trajectory `key` of the test part (`train`: of the chosen model on its own
    /// training trajectories), or per window (`per_window`).
    pub(crate) fn get(&self, level: &str, key: &str) -> Option<f64> {
        let m = &self.metrics;
        match level {
            "per_window" => m.per_window.get(key),
            "train" => m.train.per_trajectory.get(key),
            _ => m.per_trajectory.get(key),
        }
    }
}

/// Every seed of one method.
pub(crate) struct MethodResult {
    pub(crate) method: Method,
    pub(crate) runs: Vec<RunResult>,
    /// With `--tune`, the chosen `key=value` and every candidate's mean best validation loss.
    pub(crate) tuned: Option<Tuned>,
}

/// What `--tune` chose for one method, on validation only.
pub(crate) struct Tuned {
    /// The chosen setting, `key=value`.
    pub(crate) chosen: String,
    /// Each candidate `key=value` and its mean over seeds of the best validation loss.
    pub(crate) candidates: Vec<(String, f64)>,
}

/// Metrics shown, in this order, when the task has them (binary, multi-class, regression).
const SHOWN: [&str; 8] = ["accuracy", "recall", "f1", "auroc", "macro_f1", "mae", "rmse", "r2"];

impl MethodResult {
    /// Mean and std over seeds of `level.key`; `None` if a run lacks it.
    pub(crate) fn stat(&self, level: &str, key: &str) -> Option<(f64, f64)> {
        let values: Option<Vec<f64>> = self.runs.iter().map(|r| r.get(level, key)).collect();
        values.filter(|v| !v.is_empty()).map(|v| mean_std(&v))
    }

    fn seconds(&self) -> (f64, f64) {
        mean_std(&self.runs.iter().map(RunResult::seconds).collect::<Vec<_>>())
    }

    fn peak_mb(&self) -> Option<f64> {
        self.runs.iter().filter_map(|r| r.metrics.peak_rss_mb).reduce(f64::max)
    }
}

fn columns(results: &[MethodResult]) -> Vec<&'static str> {
    SHOWN
        .into_iter()
        .filter(|k| results.iter().all(|r| r.stat("per_trajectory", k).is_some()))
        .collect()
}

/// The table as Markdown: per-trajectory metrics, per-window accuracy, time and memory.
pub(crate) fn markdown(plan: &Plan, results: &[MethodResult]) -> String {
    let cols = columns(results);
    let folds = plan.model.config().map_or(0, |c| c.folds);
    let given = results.iter().flat_map(|r| &r.runs).any(|r| r.metrics.split.given);
    let split = if given {
        "the manifest's given split (seeds vary initialisation, shuffling and dropout)".to_string()
    } else if folds > 0 {
        format!("{folds}-fold cross-validation by trajectory (seed s tests fold s mod {folds})")
    } else {
        "trajectory-level splits".to_string()
    };
    // With no test part the runs report their validation part: say so, never "test".
    let part = match results
        .iter()
        .flat_map(|r| &r.runs)
        .all(|r| r.metrics.evaluated_on == EvaluatedPart::Test)
    {
        true => "Test metrics".to_string(),
        false => "Validation metrics (the split has no test part; the checkpoint was chosen on \
                  these trajectories, so they overstate)"
            .to_string(),
    };
    let mut md = format!(
        "{part} (%) over {} seed(s), {split}; manifest `{}`, preset `{}`{}.\n\n",
        plan.seeds.len(),
        plan.manifest.display(),
        plan.model.preset,
        if plan.model.overrides.is_empty() {
            String::new()
        } else {
            format!(", --set {}", plan.model.overrides.join(" --set "))
        }
    );
    let _ = write!(md, "| method |");
    for c in &cols {
        let _ = write!(md, " {c} (trajectory) |");
    }
    let tuned = results.iter().any(|r| r.tuned.is_some());
    let _ = write!(md, " accuracy (window) | train accuracy (trajectory) |");
    let _ =
        writeln!(md, "{} time / run (s) | peak RSS (MB) |", if tuned { " tuned |" } else { "" });
    let _ = writeln!(
        md,
        "|---|{}---:|---:|{}---:|---:|",
        "---:|".repeat(cols.len()),
        if tuned { "---|" } else { "" }
    );
    let pct = |s: Option<(f64, f64)>, key: &str| match s {
        // Errors of a regression are in the target's units, not percentages.
        Some((m, sd)) if matches!(key, "mae" | "rmse") => format!("{m:.3} ± {sd:.3}"),
        Some((m, sd)) => format!("{:.1} ± {:.1}", 100.0 * m, 100.0 * sd),
        None => "n/a".into(),
    };
    for r in results {
        let _ = write!(md, "| {} |", r.method);
        for c in &cols {
            let _ = write!(md, " {} |", pct(r.stat("per_trajectory", c), c));
        }
        let (s, s_sd) = r.seconds();
        let _ = write!(
            md,
            " {} | {} |",
            pct(r.stat("per_window", "accuracy"), "accuracy"),
            pct(r.stat("train", "accuracy"), "accuracy")
        );
        if tuned {
            let _ = write!(md, " {} |", r.tuned.as_ref().map_or("", |t| t.chosen.as_str()));
        }
        let _ = writeln!(
            md,
            " {s:.1} ± {s_sd:.1} | {} |",
            r.peak_mb().map_or("n/a".into(), |mb| format!("{mb:.0}"))
        );
    }
    if tuned {
        let _ = writeln!(
            md,
            "\n`tuned`: the setting of `--tune` with the lowest mean (over seeds) best validation \
             loss, per method; the test parts were not looked at to choose it."
        );
    }
    md
}

/// The table and every run as JSON.
pub(crate) fn json(plan: &Plan, results: &[MethodResult]) -> serde_json::Value {
    let methods: Vec<_> = results
        .iter()
        .map(|r| {
            let mut summary = serde_json::Map::new();
            for level in ["per_trajectory", "per_window"] {
                for key in SHOWN {
                    if let Some((mean, std)) = r.stat(level, key) {
                        summary.insert(
                            format!("{level}.{key}"),
                            serde_json::json!({ "mean": mean, "std": std }),
                        );
                    }
                }
            }
            let runs: Vec<_> = r
                .runs
                .iter()
                .map(|run| {
                    let m = &run.metrics;
                    serde_json::json!({
                        "seed": run.seed, "per_trajectory": m.per_trajectory,
                        "per_window": m.per_window, "seconds": m.train_seconds,
                        "peak_rss_mb": m.peak_rss_mb, "split": m.split,
                        "train_per_trajectory": m.train.per_trajectory,
                    })
                })
                .collect();
            serde_json::json!({
                "method": r.method.name(), "summary": summary, "seconds_mean": r.seconds().0,
                "peak_rss_mb_max": r.peak_mb(), "runs": runs,
                "tuned": r.tuned.as_ref().map(|t| serde_json::json!({
                    "chosen": t.chosen,
                    "candidates": t.candidates.iter()
                        .map(|(c, loss)| serde_json::json!({ "setting": c, "validation_loss": loss }))
                        .collect::<Vec<_>>(),
                })),
            })
        })
        .collect();
    serde_json::json!({
        "manifest": plan.manifest, "preset": plan.model.preset, "overrides": plan.model.overrides,
        "device": plan.device, "seeds": plan.seeds, "methods": methods,
    })
}

/// Bars of per-trajectory and per-window accuracy with ±std whiskers.
pub(crate) fn svg(results: &[MethodResult]) -> String {
    let (bar, gap, h, pad) = (22.0, 26.0, 300.0, 50.0);
    let group = 2.0 * bar + gap;
    let w = 2.0 * pad + group * results.len() as f64 + 120.0;
    let y = |v: f64| h - pad - (h - 2.0 * pad) * v.clamp(0.0, 1.0);
    let mut body = String::new();
    for (i, r) in results.iter().enumerate() {
        let x0 = pad + gap / 2.0 + group * i as f64;
        for (j, (level, colour)) in
            [("per_trajectory", "#1f77b4"), ("per_window", "#ff7f0e")].iter().enumerate()
        {
            let Some((m, sd)) = r.stat(level, "accuracy") else { continue };
            let x = x0 + bar * j as f64;
            let _ = writeln!(
                body,
                r#"<rect x="{x:.1}" y="{:.1}" width="{bar}" height="{:.1}" fill="{colour}"/><line x1="{c:.1}" x2="{c:.1}" y1="{:.1}" y2="{:.1}" stroke="black"/>"#,
                y(m),
                y(0.0) - y(m),
                y(m - sd),
                y(m + sd),
                c = x + bar / 2.0,
            );
        }
        let _ = writeln!(
            body,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end" transform="rotate(-30 {:.1} {:.1})">{}</text>"#,
            x0 + bar,
            h - pad + 14.0,
            x0 + bar,
            h - pad + 14.0,
            r.method
        );
    }
    let mut grid = String::new();
    for k in 0..=4 {
        let v = f64::from(k) * 0.25;
        let _ = writeln!(
            grid,
            r##"<line x1="{pad}" x2="{:.1}" y1="{yy:.1}" y2="{yy:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{:.0}</text>"##,
            w - 120.0,
            pad - 4.0,
            y(v) + 4.0,
            100.0 * v,
            yy = y(v),
        );
    }
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{hh:.0}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="{pad}" y="20">test accuracy (%), mean ± std over seeds</text>
{grid}{body}<rect x="{lx:.1}" y="{pad}" width="12" height="12" fill="#1f77b4"/><text x="{tx:.1}" y="{ty:.1}">per trajectory</text>
<rect x="{lx:.1}" y="{l2:.1}" width="12" height="12" fill="#ff7f0e"/><text x="{tx:.1}" y="{t2:.1}">per window</text>
</svg>
"##,
        hh = h + 40.0,
        lx = w - 110.0,
        tx = w - 94.0,
        ty = pad + 10.0,
        l2 = pad + 20.0,
        t2 = pad + 30.0,
    )
}

/// Writes the three outputs into the plan's folder (replacing earlier ones: they are derived
/// from the run folders). Returns their paths.
pub(crate) fn write_all(plan: &Plan, results: &[MethodResult]) -> Result<Vec<String>> {
    let outputs = [
        ("benchmark.md", markdown(plan, results)),
        ("benchmark.json", serde_json::to_string_pretty(&json(plan, results))?),
        ("benchmark.svg", svg(results)),
    ];
    let mut written = Vec::new();
    for (name, text) in outputs {
        let path = plan.out.join(name);
        write_atomic(&path, true, |w| Ok(w.write_all(text.as_bytes())?))?;
        written.push(path.display().to_string());
    }
    Ok(written)
}
