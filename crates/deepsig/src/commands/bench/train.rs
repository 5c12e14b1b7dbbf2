//! `deepsig bench train`: seconds per training epoch, evaluation time and peak memory of the
//! model on synthetic input of a given size (issue C's targets: GPCR size N = 1240, T = 100,
//! 400 windows, batch 16).

use anyhow::{Context, Result};
use deepsig_model::bench::{BenchSize, bench_train};

use crate::args::BenchTrainArgs;

pub(crate) fn run(args: &BenchTrainArgs) -> Result<()> {
    let config = args.model.config()?;
    let size = BenchSize {
        atoms: args.atoms,
        frames: args.frames,
        windows: args.windows,
        eval_windows: args.eval_windows,
    };
    // One measurement per thread count, in the order given, in this process.
    let mut runs = Vec::with_capacity(args.threads.len());
    for &requested in &args.threads {
        let (result, threads) = deepsig_signature::with_threads(requested, || {
            (bench_train(size, &config, &args.device), rayon::current_num_threads())
        })
        .context("cannot start the thread pool")?;
        runs.push((threads, result?));
    }
    if args.json {
        let rows: Vec<_> = runs
            .iter()
            .map(|(threads, r)| serde_json::json!({ "threads": threads, "result": r }))
            .collect();
        println!("{}", serde_json::to_string(&rows)?);
        return Ok(());
    }
    let Some((_, first)) = runs.first() else { return Ok(()) };
    println!(
        "N={} T={} windows={} batch={} preset={} device={} parameters={}",
        args.atoms,
        args.frames,
        args.windows,
        first.batch,
        args.model.preset,
        args.device,
        first.parameters
    );
    println!(
        "{:>8} {:>16} {:>14} {:>20} {:>14} {:>16}",
        "threads",
        "train epoch (s)",
        "speed-up",
        format!("evaluate {} (s)", args.eval_windows),
        "peak RSS (MB)",
        "level-1 GFLOP/s"
    );
    for (threads, r) in &runs {
        let rss = r.peak_rss_mb.map_or("n/a".to_string(), |mb| format!("{mb:.0}"));
        println!(
            "{threads:>8} {:>16.2} {:>13.2}x {:>20.2} {rss:>14} {:>16.0}",
            r.epoch_seconds,
            first.epoch_seconds / r.epoch_seconds,
            r.eval_seconds,
            r.level1_product_gflops
        );
    }
    if runs.len() > 1 {
        println!("speed-up: against the first row; peak RSS: the process's high-water mark so far");
    }
    Ok(())
}
