//! `deepsig bench signature`: in-process timing of the forward and backward kernels.
//!
//! Rate convention (as pysiglib and signatory report it): multiply-adds per second
//! $= B (L-1) C / t$, with $C$ the signature channel count and $t$ the median forward time.

use std::time::Instant;

use anyhow::{Context, Result, bail};
use deepsig_signature::{
    PathShape, Scalar, SigOptions, signature_backward_into, signature_into, with_threads,
};

use crate::args::{BenchSignatureArgs, DtypeArg};
use crate::commands::signature::options;

pub(crate) mod read;
pub(crate) mod train;

/// Minimum and median of a set of timings, in milliseconds.
struct Timing {
    min_ms: f64,
    median_ms: f64,
}

fn summarise(samples: Vec<f64>) -> Timing {
    let min = samples.iter().copied().fold(f64::INFINITY, f64::min);
    Timing { min_ms: min * 1e3, median_ms: deepsig_md::bench::median(&samples) * 1e3 }
}

fn time_runs(runs: usize, mut f: impl FnMut() -> Result<()>) -> Result<Timing> {
    f()?; // warm-up: page in buffers, spin up the pool
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        f()?;
        samples.push(start.elapsed().as_secs_f64());
    }
    Ok(summarise(samples))
}

/// A deterministic pseudo-random walk, so every run times the same numbers.
fn random_paths<T: Scalar>(shape: PathShape) -> Vec<T> {
    let mut rng = deepsig_md::SplitMix64::new(0x5EED);
    let mut x = vec![T::ZERO; shape.len()];
    let d = shape.channels;
    for i in 0..x.len() {
        let step = T::from_f64((rng.next_f64() - 0.5) * 0.1);
        // Each path starts at its first step; later points add a step to the previous point.
        x[i] = if i % (shape.length * d) >= d { x[i - d] + step } else { step };
    }
    x
}

fn bench<T: Scalar>(shape: PathShape, opts: &SigOptions, runs: usize) -> Result<(Timing, Timing)> {
    let x = random_paths::<T>(shape);
    let out_len: usize = opts.output_shape(shape)?.iter().product();
    let mut out = vec![T::ZERO; out_len];
    let grad = vec![T::ONE; out_len];
    let mut dx = vec![T::ZERO; x.len()];
    let fwd = time_runs(runs, || Ok(signature_into(&x, shape, opts, &mut out)?))?;
    let bwd = time_runs(runs, || Ok(signature_backward_into(&x, shape, &grad, opts, &mut dx)?))?;
    Ok((fwd, bwd))
}

pub(crate) fn run(args: &BenchSignatureArgs) -> Result<()> {
    if args.runs < 10 {
        bail!("--runs {} is too few for a median; use at least 10", args.runs);
    }
    let opts = options(&args.sig)?;
    let shape = PathShape { batch: args.batch, length: args.length, channels: args.channels };
    let sig_channels = deepsig_signature::signature_channels(
        opts.augmented_shape(2, args.channels).1,
        opts.depth,
    )?;
    let (fwd, bwd) = with_threads(args.sig.threads, || match args.dtype {
        DtypeArg::F32 => bench::<f32>(shape, &opts, args.runs),
        DtypeArg::F64 => bench::<f64>(shape, &opts, args.runs),
    })
    .context("cannot start the thread pool")??;
    let (aug_length, _) = opts.augmented_shape(args.length, args.channels);
    let madds = (args.batch * (aug_length - 1) * sig_channels) as f64;
    let gmadds = madds / (fwd.median_ms * 1e-3) / 1e9;
    let threads =
        if args.sig.threads == 0 { rayon::current_num_threads() } else { args.sig.threads };
    if args.json {
        let json = serde_json::json!({
            "batch": args.batch, "length": args.length, "channels": args.channels,
            "depth": args.sig.depth, "log": args.sig.log.map(|l| format!("{l:?}").to_lowercase()),
            "dtype": format!("{:?}", args.dtype).to_lowercase(), "threads": threads, "runs": args.runs,
            "fwd_ms_min": fwd.min_ms, "fwd_ms_median": fwd.median_ms,
            "bwd_ms_min": bwd.min_ms, "bwd_ms_median": bwd.median_ms,
            "gmadds_per_s": gmadds, "kernels": deepsig_signature::kernel_set(),
        });
        println!("{json}");
    } else {
        println!(
            "B={} L={} d={} N={} log={} dtype={:?} threads={threads} runs={} kernels={}",
            args.batch,
            args.length,
            args.channels,
            args.sig.depth,
            args.sig.log.map_or("none".into(), |l| format!("{l:?}").to_lowercase()),
            args.dtype,
            args.runs,
            deepsig_signature::kernel_set()
        );
        println!("{:<10} {:>10} {:>12}", "pass", "min ms", "median ms");
        println!("{:<10} {:>10.3} {:>12.3}", "forward", fwd.min_ms, fwd.median_ms);
        println!("{:<10} {:>10.3} {:>12.3}", "backward", bwd.min_ms, bwd.median_ms);
        println!(
            "forward rate: {gmadds:.2} G multiply-adds/s (B·(L-1)·C / median); backward/forward: {:.2}",
            bwd.median_ms / fwd.median_ms
        );
    }
    Ok(())
}
