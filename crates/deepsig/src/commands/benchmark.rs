//! `deepsig benchmark`: every method on one manifest, the same splits (a seed fixes the split
//! for all methods), one `deepsig train` child process per (method, seed) so that each run's
//! peak memory is its own; then a table as Markdown, JSON and SVG.
//!
//! Run folders are kept under `OUT/METHOD/seed-S`: a finished run (its `metrics.json`
//! exists) is reused, an interrupted one is resumed, so a stopped benchmark continues where
//! it stopped.

mod table;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use deepsig_model::Method;

use crate::args::{BenchmarkArgs, ModelChoice};

pub(crate) use table::{MethodResult, RunResult, Tuned, markdown, write_all as write_table};

/// What to run.
pub(crate) struct Plan {
    pub(crate) manifest: PathBuf,
    pub(crate) out: PathBuf,
    pub(crate) methods: Vec<Method>,
    pub(crate) seeds: Vec<u64>,
    pub(crate) model: ModelChoice,
    pub(crate) device: String,
    /// CPU threads per training process (0 = one per core).
    pub(crate) threads: usize,
    /// `--tune KEY=V1,V2,...`: each method runs every seed at every value, and the value with
    /// the lowest mean best validation loss is the one reported.
    pub(crate) tune: Option<(String, Vec<String>)>,
    /// All runs, one share of them (`--shard`), or none (`--merge`).
    pub(crate) mode: Mode,
}

/// Which of a plan's runs this process trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Every run, then the table.
    All,
    /// The runs whose index (in table order) is in the share; no table.
    Shard(deepsig_model::dataset::Shard),
    /// No run: the table from the finished runs, or the list of those missing.
    Merge,
}

pub(crate) fn run(args: &BenchmarkArgs) -> Result<()> {
    let methods = match &args.methods {
        Some(list) => parse_methods(list)?,
        None => Method::ALL.to_vec(),
    };
    let plan = Plan {
        manifest: args.manifest.clone(),
        out: args.out.clone(),
        methods,
        seeds: (args.seed..args.seed + args.seeds).collect(),
        model: args.model.clone(),
        device: args.device.clone(),
        threads: 0,
        tune: args.tune.as_deref().map(parse_tune).transpose()?,
        mode: match (&args.shard, args.merge) {
            (Some(shard), _) => Mode::Shard(crate::commands::prepare::parse_shard(shard)?),
            (None, true) => Mode::Merge,
            (None, false) => Mode::All,
        },
    };
    if let Mode::Merge = plan.mode {
        check_finished(&plan)?;
    }
    if let Mode::Shard(shard) = plan.mode {
        // A shard's runs are its output; the table waits for `--merge`.
        run_plan(&plan, !args.json)?;
        let done = (0..all_runs(&plan).len()).filter(|&i| shard.contains(i)).count();
        if args.json {
            println!(
                "{}",
                serde_json::json!({"shard": format!("{}/{}", shard.index, shard.count), "runs": done})
            );
        } else {
            println!(
                "shard {}/{}: {done} runs finished in {}; `deepsig benchmark ... --merge` writes \
                 the table once every shard has",
                shard.index,
                shard.count,
                plan.out.display()
            );
        }
        return Ok(());
    }
    let results = run_plan(&plan, !args.json)?;
    let written = write_table(&plan, &results)?;
    if args.json {
        println!("{}", table::json(&plan, &results));
    } else {
        println!("\n{}", markdown(&plan, &results));
        println!("Written: {}", written.join(", "));
    }
    Ok(())
}

/// `deepsig,frame-head,...` → methods, each once, in the given order.
pub(crate) fn parse_methods(list: &str) -> Result<Vec<Method>> {
    let mut methods = Vec::new();
    for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let m: Method = name.parse()?;
        if !methods.contains(&m) {
            methods.push(m);
        }
    }
    if methods.is_empty() {
        bail!("--methods names no method");
    }
    Ok(methods)
}

/// `lr=1e-3,3e-3` → ("lr", ["1e-3", "3e-3"]), each value checked as a `--set`.
fn parse_tune(text: &str) -> Result<(String, Vec<String>)> {
    let Some((key, values)) = text.split_once('=') else {
        bail!("--tune {text:?}: expected KEY=V1,V2,... (e.g. lr=1e-3,3e-3,1e-2)");
    };
    let values: Vec<String> =
        values.split(',').map(str::trim).filter(|v| !v.is_empty()).map(String::from).collect();
    if values.len() < 2 {
        bail!("--tune {text:?}: give at least two values to choose from");
    }
    let base = deepsig_model::Preset::Paper.config();
    for v in &values {
        base.with_overrides(&[format!("{key}={v}")])
            .with_context(|| format!("--tune {key}: the value {v:?} is not a valid setting"))?;
    }
    Ok((key.trim().to_string(), values))
}

/// Every run of `plan` as (method, tuning setting, seed), in table order: the order the
/// runs are trained in, and the index a `--shard` takes its share of.
fn all_runs(plan: &Plan) -> Vec<(Method, Option<String>, u64)> {
    let settings: Vec<Option<String>> = match &plan.tune {
        None => vec![None],
        Some((key, values)) => values.iter().map(|v| Some(format!("{key}={v}"))).collect(),
    };
    let mut runs = Vec::new();
    for &method in &plan.methods {
        for setting in &settings {
            for &seed in &plan.seeds {
                runs.push((method, setting.clone(), seed));
            }
        }
    }
    runs
}

/// `--merge`: every run must have its `metrics.json`; else the missing ones, by folder.
fn check_finished(plan: &Plan) -> Result<()> {
    let mut missing = Vec::new();
    for (method, setting, seed) in all_runs(plan) {
        let dir = run_dir(plan, method, setting.as_deref(), seed);
        if !dir.join("metrics.json").is_file() {
            let state = if dir.join(deepsig_model::CHECKPOINT_FILE).is_file() {
                "unfinished (a checkpoint, no metrics.json: failed or still running)"
            } else {
                "missing"
            };
            missing.push(format!("  {}: {state}", dir.display()));
        }
    }
    if !missing.is_empty() {
        bail!(
            "{} of {} runs are not finished, so no table was written:\n{}",
            missing.len(),
            all_runs(plan).len(),
            missing.join("\n")
        );
    }
    Ok(())
}

/// The best (lowest) validation loss of the run in `dir`, from its `curves.csv`.
fn best_validation_loss(dir: &Path) -> Result<f64> {
    let path = dir.join("curves.csv");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    text.lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(2)?.parse::<f64>().ok())
        .reduce(f64::min)
        .with_context(|| format!("{} has no epoch", path.display()))
}

/// Trains every (method, seed) of `plan`, printing one line per run when `verbose`; with
/// `plan.tune`, every (method, value, seed), reporting per method the value chosen on
/// validation.
pub(crate) fn run_plan(plan: &Plan, verbose: bool) -> Result<Vec<MethodResult>> {
    let Some((key, values)) = &plan.tune else {
        let mut counter = (0, plan.methods.len() * plan.seeds.len());
        return plan
            .methods
            .iter()
            .map(|&method| {
                let runs = run_seeds(plan, method, None, &mut counter, verbose)?;
                Ok(MethodResult { method, runs, tuned: None })
            })
            .collect();
    };
    let mut counter = (0, plan.methods.len() * plan.seeds.len() * values.len());
    let mut results = Vec::new();
    for &method in &plan.methods {
        let mut best: Option<(f64, String, Vec<RunResult>)> = None;
        let mut candidates = Vec::new();
        for value in values {
            let setting = format!("{key}={value}");
            let runs = run_seeds(plan, method, Some(&setting), &mut counter, verbose)?;
            if let Mode::Shard(_) = plan.mode {
                continue;
            }
            let dirs = plan.seeds.iter().map(|&s| run_dir(plan, method, Some(&setting), s));
            let losses: Vec<f64> = dirs.map(|d| best_validation_loss(&d)).collect::<Result<_>>()?;
            let mean = losses.iter().sum::<f64>() / losses.len().max(1) as f64;
            candidates.push((setting.clone(), mean));
            if best.as_ref().is_none_or(|(b, _, _)| mean < *b) {
                best = Some((mean, setting, runs));
            }
        }
        if let Mode::Shard(_) = plan.mode {
            results.push(MethodResult { method, runs: Vec::new(), tuned: None });
            continue;
        }
        let Some((_, chosen, runs)) = best else { bail!("--tune gave no value") };
        if verbose {
            eprintln!("{method}: {chosen} chosen on validation");
        }
        results.push(MethodResult { method, runs, tuned: Some(Tuned { chosen, candidates }) });
    }
    Ok(results)
}

/// A run's folder: `OUT/METHOD/seed-S`, or `OUT/METHOD/KEY=V/seed-S` for a tuning candidate.
fn run_dir(plan: &Plan, method: Method, setting: Option<&str>, seed: u64) -> PathBuf {
    let method_dir = plan.out.join(method.name());
    let dir = match setting {
        Some(s) => method_dir.join(s),
        None => method_dir,
    };
    dir.join(format!("seed-{seed}"))
}

/// Trains (or reuses) every seed of `method` with the extra `setting`.
fn run_seeds(
    plan: &Plan,
    method: Method,
    setting: Option<&str>,
    (done, total): &mut (usize, usize),
    verbose: bool,
) -> Result<Vec<RunResult>> {
    // Resolve the configuration here so that a bad --set fails before any training.
    plan.model.config()?;
    if !plan.manifest.is_file() {
        bail!("{}: no such manifest", plan.manifest.display());
    }
    std::fs::create_dir_all(&plan.out)
        .with_context(|| format!("cannot create {}", plan.out.display()))?;
    let exe = std::env::current_exe().context("cannot find the deepsig executable")?;
    let mut runs = Vec::new();
    for &seed in &plan.seeds {
        *done += 1;
        if let Mode::Shard(shard) = plan.mode
            && !shard.contains(*done - 1)
        {
            continue;
        }
        let dir = run_dir(plan, method, setting, seed);
        if verbose {
            let with = setting.map(|s| format!(" {s}")).unwrap_or_default();
            eprint!("[{done}/{total}] {method}{with} seed {seed} ... ");
        }
        let started = Instant::now();
        let reused = dir.join("metrics.json").is_file();
        if !reused {
            train_child(&exe, plan, (method, setting), seed, &dir)?;
        }
        let run = RunResult::read(seed, &dir)?;
        if verbose {
            eprintln!(
                "{} accuracy {:.3} per trajectory (train {:.3}), {:.1} s{}",
                if reused { "(reused)" } else { "" },
                run.get("per_trajectory", "accuracy").unwrap_or(f64::NAN),
                run.get("train", "accuracy").unwrap_or(f64::NAN),
                if reused { run.seconds() } else { started.elapsed().as_secs_f64() },
                run.metrics.peak_rss_mb.map(|mb| format!(", {mb:.0} MB")).unwrap_or_default()
            );
        }
        runs.push(run);
    }
    Ok(runs)
}

fn train_child(
    exe: &Path,
    plan: &Plan,
    (method, setting): (Method, Option<&str>),
    seed: u64,
    dir: &Path,
) -> Result<()> {
    let mut command = Command::new(exe);
    command
        .arg("train")
        .arg("--manifest")
        .arg(&plan.manifest)
        .arg("--out")
        .arg(dir)
        .args(["--preset", &plan.model.preset, "--device", &plan.device, "--json"])
        .args(["--seed", &seed.to_string()])
        .arg("--cache")
        .arg(deepsig_model::seeds::cache_dir_in(&plan.out));
    for item in &plan.model.overrides {
        command.args(["--set", item]);
    }
    command.args(["--set", &format!("method={}", method.name())]);
    if let Some(setting) = setting {
        command.args(["--set", setting]);
    }
    if plan.threads > 0 {
        command.env("RAYON_NUM_THREADS", plan.threads.to_string());
    }
    if dir.join(deepsig_model::CHECKPOINT_FILE).is_file() {
        command.arg("--resume");
    }
    let output = command
        .output()
        .with_context(|| format!("cannot start {} for {method} seed {seed}", exe.display()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(12).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!("training {method} seed {seed} into {} failed:\n{}", dir.display(), tail.join("\n"));
    }
    Ok(())
}
