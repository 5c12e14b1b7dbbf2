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

pub(crate) use table::{MethodResult, RunResult, markdown, write_all as write_table};

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
    };
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

/// Trains every (method, seed) of `plan`, printing one line per run when `verbose`.
pub(crate) fn run_plan(plan: &Plan, verbose: bool) -> Result<Vec<MethodResult>> {
    // Resolve the configuration here so that a bad --set fails before any training.
    plan.model.config()?;
    if !plan.manifest.is_file() {
        bail!("{}: no such manifest", plan.manifest.display());
    }
    std::fs::create_dir_all(&plan.out)
        .with_context(|| format!("cannot create {}", plan.out.display()))?;
    let exe = std::env::current_exe().context("cannot find the deepsig executable")?;
    let total = plan.methods.len() * plan.seeds.len();
    let mut done = 0;
    let mut results = Vec::new();
    for &method in &plan.methods {
        let mut runs = Vec::new();
        for &seed in &plan.seeds {
            done += 1;
            let dir = plan.out.join(method.name()).join(format!("seed-{seed}"));
            if verbose {
                eprint!("[{done}/{total}] {method} seed {seed} ... ");
            }
            let started = Instant::now();
            let reused = dir.join("metrics.json").is_file();
            if !reused {
                train_child(&exe, plan, method, seed, &dir)?;
            }
            let run = RunResult::read(seed, &dir)?;
            if verbose {
                eprintln!(
                    "{} accuracy {:.3} per trajectory, {:.1} s{}",
                    if reused { "(reused)" } else { "" },
                    run.per_trajectory["accuracy"].as_f64().unwrap_or(f64::NAN),
                    if reused { run.seconds } else { started.elapsed().as_secs_f64() },
                    run.peak_rss_mb.map(|mb| format!(", {mb:.0} MB")).unwrap_or_default()
                );
            }
            runs.push(run);
        }
        results.push(MethodResult { method, runs });
    }
    Ok(results)
}

fn train_child(exe: &Path, plan: &Plan, method: Method, seed: u64, dir: &Path) -> Result<()> {
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
        .arg(plan.out.join(".deepsig-cache"));
    for item in &plan.model.overrides {
        command.args(["--set", item]);
    }
    command.args(["--set", &format!("method={}", method.name())]);
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
