//! `deepsig train`: train on a manifest, one run folder per seed, mean ± std over seeds.

use std::io::IsTerminal;

use anyhow::{Context, Result};
use deepsig_model::seeds::{SeedRuns, train_seeds};
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
    let SeedRuns { runs: results, summary } =
        train_seeds(&base, args.seeds, observer, |seed, metrics| {
            if !args.json {
                match metrics["split"]["fold"].as_u64() {
                    Some(fold) => println!(
                        "seed {seed} (test fold {fold} of {}): {}",
                        config.folds, metrics["per_trajectory"]
                    ),
                    None => println!("seed {seed}: {}", metrics["per_trajectory"]),
                }
            }
        })?;
    if args.json {
        println!("{}", serde_json::json!({ "runs": results, "summary": summary }));
    } else {
        if let Some(cv) = summary.get("cross_validation") {
            println!(
                "{}-fold cross-validation, test folds {} ({})",
                config.folds,
                cv["tested_folds"],
                if cv["complete"] == true { "every trajectory tested" } else { "incomplete" }
            );
        }
        for (key, (mean, std)) in summary
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k, (v["mean"].as_f64()?, v["std"].as_f64()?))))
        {
            println!("{key:<28} {mean:.4} ± {std:.4}");
        }
    }
    Ok(())
}

pub(crate) fn eval(args: &EvalArgs) -> Result<()> {
    let metrics = deepsig_model::evaluate_run(&args.run, args.manifest.as_deref(), &args.device)
        .with_context(|| format!("evaluating {}", args.run.display()))?;
    if args.json {
        println!("{metrics}");
    } else {
        println!(
            "evaluated on the {} set: {} trajectories, {} windows",
            metrics["evaluated_on"].as_str().unwrap_or("test"),
            metrics["trajectories"],
            metrics["windows"]
        );
        println!("per window:     {}", metrics["per_window"]);
        println!("per trajectory: {}", metrics["per_trajectory"]);
    }
    Ok(())
}
