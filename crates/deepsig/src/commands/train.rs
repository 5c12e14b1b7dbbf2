//! `deepsig train`: train on a manifest, one run folder per seed, mean ± std over seeds.

use std::io::IsTerminal;

use anyhow::{Context, Result};
use deepsig_model::metrics::mean_std;
use deepsig_model::{Preset, TrainOptions, train};

use crate::args::{EvalArgs, TrainArgs};

pub(crate) fn run(args: &TrainArgs) -> Result<()> {
    let preset: Preset = args.preset.parse()?;
    let config = preset.config().with_overrides(&args.overrides)?;
    let cache = args.cache.clone().unwrap_or_else(|| {
        args.out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."))
            .join(".deepsig-cache")
    });
    let mut results = Vec::new();
    for k in 0..args.seeds {
        let seed = args.seed + k;
        let out =
            if args.seeds == 1 { args.out.clone() } else { args.out.join(format!("seed-{seed}")) };
        let opts = TrainOptions {
            manifest: args.manifest.clone(),
            out: out.clone(),
            config: config.clone(),
            seed,
            device: args.device.clone(),
            resume: args.resume,
            progress: std::io::stderr().is_terminal() || !args.json,
            cache_dir: Some(cache.clone()),
        };
        let metrics =
            train(&opts).with_context(|| format!("training seed {seed} into {}", out.display()))?;
        if !args.json {
            println!("seed {seed}: {}", metrics["per_trajectory"]);
        }
        results.push(metrics);
    }
    let summary = summarise(&results);
    if args.seeds > 1 {
        std::fs::write(args.out.join("summary.json"), serde_json::to_string_pretty(&summary)?)
            .with_context(|| format!("cannot write {}", args.out.join("summary.json").display()))?;
    }
    if args.json {
        println!("{}", serde_json::json!({ "runs": results, "summary": summary }));
    } else {
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

/// Mean and population std over seeds of every numeric metric.
fn summarise(results: &[serde_json::Value]) -> serde_json::Value {
    let mut summary = serde_json::Map::new();
    for level in ["per_window", "per_trajectory"] {
        let Some(first) = results.first().and_then(|r| r[level].as_object()) else { continue };
        for key in first.keys() {
            let values: Vec<f64> = results.iter().filter_map(|r| r[level][key].as_f64()).collect();
            if values.len() == results.len() {
                let (mean, std) = mean_std(&values);
                summary.insert(
                    format!("{level}.{key}"),
                    serde_json::json!({ "mean": mean, "std": std }),
                );
            }
        }
    }
    serde_json::Value::Object(summary)
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
