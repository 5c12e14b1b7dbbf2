//! `deepsig train`: train on a manifest, one run folder per seed, mean ± std over seeds.

use std::io::IsTerminal;

use anyhow::{Context, Result};
use deepsig_model::metrics::MeanStd;
use deepsig_model::seeds::train_seeds;
use deepsig_model::{TrainObserver, TrainOptions};

use crate::args::{EvalArgs, TrainArgs};
use crate::progress::EpochProgress;

pub(crate) fn run(args: &TrainArgs) -> Result<()> {
    let config = args.model.config()?;
    if config.folds > 0 && !args.seeds.is_multiple_of(config.folds as u64) {
        let tested: Vec<String> = (0..args.seeds.min(config.folds as u64))
            .map(|k| ((args.seed + k) % config.folds as u64).to_string())
            .collect();
        eprintln!(
            "note: {} seed(s) over {} folds test fold(s) {} (fold = seed mod {}); --seeds {} \
             tests every trajectory once",
            args.seeds,
            config.folds,
            tested.join(", "),
            config.folds,
            config.folds
        );
    }
    let base = TrainOptions {
        manifest: args.manifest.clone(),
        out: args.out.clone(),
        config: config.clone(),
        seed: args.seed,
        device: args.device.clone(),
        resume: args.resume,
        resume_changed: args.resume_changed,
        cache_dir: args.cache.clone(),
    };
    let mut lines = EpochProgress::new();
    let mut quiet = deepsig_model::Quiet;
    let observer: &mut dyn TrainObserver =
        if std::io::stderr().is_terminal() || !args.json { &mut lines } else { &mut quiet };
    let runs = train_seeds(&base, args.seeds, observer, |seed, metrics| {
        if !args.json {
            let scores = json(&metrics.per_trajectory);
            match metrics.split.fold {
                Some(fold) => {
                    println!("seed {seed} (test fold {fold} of {}): {scores}", config.folds)
                }
                None => println!("seed {seed}: {scores}"),
            }
        }
    })?;
    if args.json {
        println!("{}", json(&runs));
    } else {
        if let Some(cv) = &runs.summary.cross_validation {
            println!(
                "{}-fold cross-validation, test folds {:?} ({})",
                cv.folds,
                cv.tested_folds,
                if cv.complete { "every trajectory tested" } else { "incomplete" }
            );
        }
        for (key, MeanStd { mean, std }) in &runs.summary.metrics {
            println!("{key:<28} {mean:.4} ± {std:.4}");
        }
    }
    Ok(())
}

pub(crate) fn eval(args: &EvalArgs) -> Result<()> {
    let metrics = deepsig_model::evaluate_run(&args.run, args.manifest.as_deref(), &args.device)
        .with_context(|| format!("evaluating {}", args.run.display()))?;
    if args.json {
        println!("{}", json(&metrics));
    } else {
        println!(
            "evaluated on the {} set: {} trajectories, {} windows",
            metrics.evaluated_on.name(),
            metrics.trajectories,
            metrics.windows
        );
        println!("per window:     {}", json(&metrics.per_window));
        println!("per trajectory: {}", json(&metrics.per_trajectory));
    }
    Ok(())
}

/// One line of JSON: the CLI's output format for metrics.
fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| format!("(not serialisable: {e})"))
}
