//! Several seeds of one configuration (`deepsig train --seeds N`, `deepsig.train(seeds=N)`):
//! one run folder per seed, the mean ± std over them, and `summary.json`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::TrainError;
use crate::metrics::{MeanStd, Metrics};
use crate::report::RunMetrics;
use crate::training::{TrainObserver, TrainOptions, train_observed};

pub use crate::io::{cache_dir_in, default_cache_dir};

/// The runs of every seed and their summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedRuns {
    /// Each seed's `metrics.json`, in seed order.
    pub runs: Vec<RunMetrics>,
    /// Mean and std over seeds of every metric ([`summarise_seeds`]).
    pub summary: SeedSummary,
}

/// Mean ± std over runs of every scalar metric, as `summary.json` holds it: one key per metric,
/// `per_window.NAME` and `per_trajectory.NAME`, beside `cross_validation`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SeedSummary {
    /// `per_window.accuracy`, `per_trajectory.accuracy`, …: only metrics every run has.
    #[serde(flatten)]
    pub metrics: BTreeMap<String, MeanStd>,
    /// With k folds, which of them the runs tested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross_validation: Option<CrossValidation>,
}

/// The folds a set of k-fold runs tested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrossValidation {
    /// k.
    pub folds: usize,
    /// The test folds of the runs, sorted (a seed tests fold seed mod k).
    pub tested_folds: Vec<usize>,
    /// Whether every fold was tested, so every trajectory once.
    pub complete: bool,
}

/// Mean and population std over runs of every scalar metric of both levels; a metric some run
/// lacks (AUROC with one class present) is left out. With k folds, which folds were tested.
pub fn summarise_seeds(runs: &[RunMetrics]) -> SeedSummary {
    let mut summary = SeedSummary::default();
    type Level = fn(&RunMetrics) -> &Metrics;
    let levels: [(&str, Level); 2] =
        [("per_window", |r| &r.per_window), ("per_trajectory", |r| &r.per_trajectory)];
    for (level, of) in levels {
        let Some(first) = runs.first() else { break };
        for (name, _) in of(first).values() {
            let values: Vec<f64> = runs.iter().filter_map(|r| of(r).get(name)).collect();
            if values.len() == runs.len() {
                summary.metrics.insert(format!("{level}.{name}"), MeanStd::of(&values));
            }
        }
    }
    let folds = runs.first().map_or(0, |r| r.split.folds);
    if folds > 0 {
        let mut tested: Vec<usize> = runs.iter().filter_map(|r| r.split.fold).collect();
        tested.sort_unstable();
        let complete = (0..folds).all(|f| tested.contains(&f));
        summary.cross_validation = Some(CrossValidation { folds, tested_folds: tested, complete });
    }
    summary
}

/// Training of one seed failed.
#[derive(Debug, thiserror::Error)]
#[error("training seed {seed} into {}", out.display())]
#[non_exhaustive]
pub struct SeedError {
    /// The seed.
    pub seed: u64,
    /// Its run folder.
    pub out: PathBuf,
    /// Why.
    #[source]
    pub source: TrainError,
}

/// Trains seeds `base.seed .. base.seed + seeds` with `base`'s settings: into `base.out`
/// itself for one seed, else into `base.out/seed-S`, with `base.cache_dir` or
/// [`default_cache_dir`]. `finished` sees each seed's metrics as it ends. With several seeds
/// the summary is also written to `base.out/summary.json` (atomically; it is derived from the
/// run folders, so it is replaced when they are).
pub fn train_seeds(
    base: &TrainOptions,
    seeds: u64,
    observer: &mut dyn TrainObserver,
    mut finished: impl FnMut(u64, &RunMetrics),
) -> Result<SeedRuns, SeedError> {
    let cache = base.cache_dir.clone().unwrap_or_else(|| default_cache_dir(&base.out));
    let mut runs = Vec::new();
    for seed in base.seed..base.seed + seeds {
        let out = if seeds == 1 { base.out.clone() } else { base.out.join(format!("seed-{seed}")) };
        let opts =
            TrainOptions { out: out.clone(), seed, cache_dir: Some(cache.clone()), ..base.clone() };
        let metrics =
            train_observed(&opts, observer).map_err(|source| SeedError { seed, out, source })?;
        finished(seed, &metrics);
        runs.push(metrics);
    }
    let summary = summarise_seeds(&runs);
    if seeds > 1 {
        let path = base.out.join("summary.json");
        crate::io::save_json(&path, &summary).map_err(|source| SeedError {
            seed: base.seed + seeds - 1,
            out: base.out.clone(),
            source,
        })?;
    }
    Ok(SeedRuns { runs, summary })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{BinaryMetrics, binary};
    use crate::prepare::SplitInfo;
    use crate::report::{EvaluatedPart, FitMetrics};

    fn run(fold: usize, test: BinaryMetrics) -> RunMetrics {
        let fit = Metrics::Binary(binary(&[0.9, 0.1], &[1, 0]));
        RunMetrics {
            train: FitMetrics { loss: 0.1, per_window: fit.clone(), per_trajectory: fit },
            evaluated_on: EvaluatedPart::Test,
            split: SplitInfo { folds: 3, fold: Some(fold), split_seed: 0, given: false },
            best_epoch: 2,
            loss: 0.5,
            per_window: Metrics::Binary(test),
            per_trajectory: Metrics::Binary(test),
            windows: 4,
            trajectories: 2,
            train_seconds: 1.0,
            peak_rss_mb: None,
        }
    }

    #[test]
    fn a_summary_covers_the_metrics_every_run_has_and_the_folds_tested() {
        // The second run's test part holds one class: no AUROC, so none in the summary.
        let runs = [run(2, binary(&[0.9, 0.2], &[1, 0])), run(0, binary(&[0.9, 0.2], &[1, 1]))];
        let summary = summarise_seeds(&runs);
        let accuracy = summary.metrics["per_trajectory.accuracy"];
        assert_eq!((accuracy.mean, accuracy.std), (0.75, 0.25));
        assert!(!summary.metrics.contains_key("per_window.auroc"), "{summary:?}");
        assert_eq!(summary.metrics.len(), 8);
        let cv = summary.cross_validation.as_ref().unwrap();
        assert_eq!((cv.folds, &cv.tested_folds, cv.complete), (3, &vec![0, 2], false));
        // summary.json: one key per metric beside cross_validation, and it reads back.
        let json = serde_json::to_value(&summary).unwrap();
        assert_eq!(json["per_window.recall"]["mean"], 0.75);
        assert_eq!(json["cross_validation"]["tested_folds"], serde_json::json!([0, 2]));
        assert_eq!(serde_json::from_value::<SeedSummary>(json).unwrap(), summary);
        let text = serde_json::to_string(&runs[0]).unwrap();
        assert_eq!(serde_json::from_str::<RunMetrics>(&text).unwrap(), runs[0]);
    }
}
