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
    let (result, threads) = deepsig_signature::with_threads(args.threads, || {
        (bench_train(size, &config, &args.device), rayon::current_num_threads())
    })
    .context("cannot start the thread pool")?;
    let result = result?;
    if args.json {
        println!("{}", serde_json::to_string(&result)?);
    } else {
        println!(
            "N={} T={} windows={} batch={} preset={} device={} threads={} parameters={}",
            args.atoms,
            args.frames,
            args.windows,
            result.batch,
            args.model.preset,
            args.device,
            threads,
            result.parameters
        );
        println!("{:<32} {:>10}", "measure", "value");
        println!("{:<32} {:>10.2}", "train epoch (s)", result.epoch_seconds);
        println!(
            "{:<32} {:>10.2}",
            format!("evaluate {} windows (s)", args.eval_windows),
            result.eval_seconds
        );
        match result.peak_rss_mb {
            Some(mb) => println!("{:<32} {:>10.0}", "peak RSS (MB)", mb),
            None => println!("{:<32} {:>10}", "peak RSS (MB)", "n/a"),
        }
        println!("{:<32} {:>10.0}", "level-1 product (GFLOP/s)", result.level1_product_gflops);
    }
    Ok(())
}
