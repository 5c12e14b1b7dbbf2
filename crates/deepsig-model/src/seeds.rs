//! Several seeds of one configuration (`deepsig train --seeds N`, `deepsig.train(seeds=N)`):
//! one run folder per seed, the mean ± std over them, and `summary.json`.

use std::path::PathBuf;

use crate::error::TrainError;
use crate::metrics::summarise_seeds;
use crate::training::{TrainObserver, TrainOptions, train_observed};

pub use crate::io::{cache_dir_in, default_cache_dir};

/// The runs of every seed and their summary.
#[derive(Debug, Clone)]
pub struct SeedRuns {
    /// Each seed's `metrics.json`, in seed order.
    pub runs: Vec<serde_json::Value>,
    /// Mean and std over seeds of every metric ([`summarise_seeds`]), with
    /// `cross_validation` (`folds`, `tested_folds`, `complete`) when `folds > 0`.
    pub summary: serde_json::Value,
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
    mut finished: impl FnMut(u64, &serde_json::Value),
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
    let mut summary = summarise_seeds(&runs);
    let folds = base.config.folds;
    if folds > 0
        && let Some(map) = summary.as_object_mut()
    {
        // Which folds the mean ± std covers: a full cross-validation has every fold once.
        let mut tested: Vec<u64> =
            runs.iter().filter_map(|r| r["split"]["fold"].as_u64()).collect();
        tested.sort_unstable();
        let complete = (0..folds as u64).all(|f| tested.contains(&f));
        map.insert(
            "cross_validation".into(),
            serde_json::json!({ "folds": folds, "tested_folds": tested, "complete": complete }),
        );
    }
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
