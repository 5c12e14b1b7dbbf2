//! Command-line arguments (clap derive): parsing and validation only, no I/O.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod apply;
mod md;
mod model;

pub(crate) use model::{
    BenchTrainArgs, BenchmarkArgs, EvalArgs, GenerateChainArgs, GenerateCommand, GenerateGrnArgs,
    ModelChoice, PrepareArgs, SlurmArgs, TrainArgs,
};

pub(crate) use apply::{EmbedArgs, ExplainArgs, PredictArgs, RunInput};
pub(crate) use md::{BenchReadArgs, ExtractArgs, InfoArgs, ReadArgs};

/// Deep Signature for molecular dynamics: path signatures, MD data, models.
///
/// Exit codes: 0 success, 1 an error (the message says which file and what), 2 bad usage.
#[derive(Debug, Parser)]
#[command(name = "deepsig", version, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Compute the signature or log-signature of paths stored in a .npy file.
    Signature(SignatureArgs),
    /// Describe an MD system: atoms, residues, segments, bonds, frames, time step, box.
    Info(InfoArgs),
    /// Extract the selected atoms' coordinates from MD trajectories into a .npy file.
    Extract(ExtractArgs),
    /// Time deepsig's kernels in-process and print a table (or JSON).
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Run the built-in demonstration.
    Demo(DemoArgs),
    /// Write synthetic benchmark datasets as real MD files.
    #[command(subcommand)]
    Generate(GenerateCommand),
    /// Preprocess a manifest's trajectories (or a share of them) into the cache `train` reads.
    Prepare(PrepareArgs),
    /// Train Deep Signature on a dataset manifest and write a run folder.
    Train(TrainArgs),
    /// Recompute a run's test metrics from its folder.
    Eval(EvalArgs),
    /// Predict new trajectories with a trained run: per window and per trajectory.
    Predict(PredictArgs),
    /// Write the features a trained run's head reads, per window, to a .npy file.
    Embed(EmbedArgs),
    /// Write a trained run's atom clusters as PDB (cluster in the B-factor column) and the
    /// signature terms the prediction rests on as JSON.
    Explain(ExplainArgs),
    /// Train and test every method (Deep Signature and the baselines) on one manifest over
    /// several seeds, and write a comparison table (Markdown, JSON, SVG).
    Benchmark(BenchmarkArgs),
    /// Write Slurm job scripts for a benchmark: array jobs that preprocess and train shards,
    /// and a merge job after them; prints the sbatch commands.
    Slurm(SlurmArgs),
}

/// The signature options shared by `signature` and `bench signature`.
#[derive(Debug, Clone, Args)]
pub(crate) struct SigArgs {
    /// Truncate at depth N (level N is the last iterated integral kept).
    #[arg(long, value_name = "N", help_heading = "SIGNATURE")]
    pub(crate) depth: usize,
    /// Return the log-signature, as Lyndon-word coefficients (words) or the full tensor
    /// logarithm (expand).
    #[arg(long, value_name = "MODE", help_heading = "SIGNATURE")]
    pub(crate) log: Option<LogArg>,
    /// Return the signature of every prefix: output shape (B, L-1, C).
    #[arg(long, help_heading = "SIGNATURE")]
    pub(crate) stream: bool,
    /// Prepend the origin as the first point of each path.
    #[arg(long, help_heading = "SIGNATURE")]
    pub(crate) basepoint: bool,
    /// Use the reversed path (its signature is the inverse of the path's).
    #[arg(long, help_heading = "SIGNATURE")]
    pub(crate) inverse: bool,
    /// Prepend a time channel t_i = i/(L-1) as channel 0.
    #[arg(long, help_heading = "SIGNATURE")]
    pub(crate) time: bool,
    /// Use the lead-lag transform (2L-1 points, lead channels first).
    #[arg(long, help_heading = "SIGNATURE")]
    pub(crate) lead_lag: bool,
    /// Use NUM worker threads (0 = one per core).
    #[arg(long, value_name = "NUM", default_value_t = 0, help_heading = "SIGNATURE")]
    pub(crate) threads: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogArg {
    /// Lyndon-word coefficients of the expanded log (signatory's default).
    Words,
    /// The full truncated tensor logarithm, laid out like the signature.
    Expand,
    /// Coordinates in the Lyndon basis (iisignature's "S", signatory's brackets).
    Brackets,
}

#[derive(Debug, Args)]
pub(crate) struct SignatureArgs {
    /// Read paths from IN: a C-order float32/float64 .npy of shape (L, d) or (B, L, d).
    #[arg(value_name = "IN", help_heading = "INPUT")]
    pub(crate) input: PathBuf,
    /// Compute the backward instead: G.npy holds the gradient of the output (its shape), and
    /// the result is the gradient with respect to IN (IN's shape).
    #[arg(long, value_name = "G", help_heading = "INPUT")]
    pub(crate) grad: Option<PathBuf>,
    /// Write the result to OUT (.npy, same dtype as IN).
    #[arg(short, long, value_name = "OUT", help_heading = "OUTPUT")]
    pub(crate) output: PathBuf,
    /// Replace OUT if it exists.
    #[arg(long, help_heading = "OUTPUT")]
    pub(crate) force: bool,
    #[command(flatten)]
    pub(crate) sig: SigArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum BenchCommand {
    /// Time the signature forward and backward on random paths.
    Signature(BenchSignatureArgs),
    /// Time reading every frame of MD trajectories (frames/s and MB/s).
    Read(BenchReadArgs),
    /// Time one training epoch and an evaluation of the model on synthetic input.
    Train(BenchTrainArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DtypeArg {
    F32,
    F64,
}

#[derive(Debug, Args)]
pub(crate) struct BenchSignatureArgs {
    /// Use B paths per batch.
    #[arg(long, value_name = "B", default_value_t = 32)]
    pub(crate) batch: usize,
    /// Use L points per path.
    #[arg(long, value_name = "L", default_value_t = 1000)]
    pub(crate) length: usize,
    /// Use D channels per point.
    #[arg(long, value_name = "D", default_value_t = 13)]
    pub(crate) channels: usize,
    /// Compute in this precision.
    #[arg(long, value_enum, default_value_t = DtypeArg::F64)]
    pub(crate) dtype: DtypeArg,
    /// Time NUM runs after one warm-up (at least 10).
    #[arg(long, value_name = "NUM", default_value_t = 10)]
    pub(crate) runs: usize,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) sig: SigArgs,
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Use NUM worker threads (0 = one per core).
    #[arg(long, value_name = "NUM", default_value_t = 0)]
    pub(crate) threads: usize,
    /// Write the data and runs into DIR (default: a new ./deepsig-demo, -2, -3, ... folder).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// Train NUM seeds per method.
    #[arg(long, value_name = "NUM", default_value_t = 3)]
    pub(crate) seeds: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_flags_parse_in_every_spelling() {
        let cli = Cli::try_parse_from([
            "deepsig",
            "signature",
            "x.npy",
            "-o",
            "y.npy",
            "--depth",
            "3",
            "--log",
            "words",
            "--stream",
            "--basepoint",
            "--inverse",
            "--time",
            "--lead-lag",
            "--threads",
            "2",
        ])
        .unwrap();
        let Command::Signature(args) = cli.command else { panic!("wrong subcommand") };
        assert_eq!(args.sig.depth, 3);
        assert_eq!(args.sig.log, Some(LogArg::Words));
        assert!(
            args.sig.stream
                && args.sig.basepoint
                && args.sig.inverse
                && args.sig.time
                && args.sig.lead_lag
        );
        assert_eq!(args.sig.threads, 2);
        assert!(
            Cli::try_parse_from(["deepsig", "signature", "x.npy", "-o", "y.npy"]).is_err(),
            "depth is required"
        );
        assert!(
            Cli::try_parse_from(["deepsig", "signature", "x.npy", "--depth", "2"]).is_err(),
            "-o is required"
        );
    }

    #[test]
    fn bench_defaults_are_the_reference_shape() {
        let cli = Cli::try_parse_from(["deepsig", "bench", "signature", "--depth", "3"]).unwrap();
        let Command::Bench(BenchCommand::Signature(args)) = cli.command else {
            panic!("wrong subcommand")
        };
        assert_eq!((args.batch, args.length, args.channels, args.runs), (32, 1000, 13, 10));
        assert_eq!(args.dtype, DtypeArg::F64);
    }
}
