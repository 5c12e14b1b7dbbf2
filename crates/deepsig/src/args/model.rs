//! Arguments of the model commands: `generate`, `train`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use deepsig_model::{Preset, TrainConfig};

#[derive(Debug, Subcommand)]
pub(crate) enum GenerateCommand {
    /// Write a synthetic motion benchmark: classes differ only in the order of domain motions.
    Motion(GenerateChainArgs),
    /// Write the gene-regulatory benchmark: node time series of a random network, classes
    /// degradation (f = 1) and dimerisation (f = 2).
    Grn(GenerateGrnArgs),
    /// Write a synthetic circulation benchmark: classes differ only in the sense in which a
    /// small loop rotates, beside a decoy loop rotating at random.
    Circulation(GenerateChainArgs),
}

#[derive(Debug, Args)]
pub(crate) struct GenerateGrnArgs {
    /// Write the trajectories (.npz), edges.csv, manifest.toml and README.txt into DIR.
    #[arg(short, long, value_name = "DIR", help_heading = "OUTPUT")]
    pub(crate) out: PathBuf,
    /// Write into DIR even when it is not empty (files of the same names are replaced).
    #[arg(long, help_heading = "OUTPUT")]
    pub(crate) force: bool,
    /// Seed the network, rates and initial states with S.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub(crate) seed: u64,
    /// Use NUM genes (nodes).
    #[arg(long, value_name = "NUM", default_value_t = 100)]
    pub(crate) genes: usize,
    /// Write NUM trajectories per class.
    #[arg(long = "trajectories-per-class", value_name = "NUM", default_value_t = 24)]
    pub(crate) per_class: usize,
    /// Sample NUM frames per trajectory.
    #[arg(long, value_name = "NUM", default_value_t = 100)]
    pub(crate) frames: usize,
}

/// The arguments of the synthetic chain benchmarks (`generate motion`, `generate circulation`).
#[derive(Debug, Args)]
pub(crate) struct GenerateChainArgs {
    /// Write the topology, trajectories and manifest.toml into DIR (created; must be empty).
    #[arg(short, long, value_name = "DIR", help_heading = "OUTPUT")]
    pub(crate) out: PathBuf,
    /// Seed the simulation with S.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub(crate) seed: u64,
    /// Write NUM trajectories per class.
    #[arg(long, value_name = "NUM", default_value_t = 12)]
    pub(crate) per_class: usize,
    /// Use NUM residues (one CA atom each) in the chain [default: 30 for motion, 60 for
    /// circulation].
    #[arg(long, value_name = "NUM")]
    pub(crate) residues: Option<usize>,
    /// Write NUM frames per trajectory.
    #[arg(long, value_name = "NUM", default_value_t = 200)]
    pub(crate) frames: usize,
}

/// A preset name that exists, checked by clap so that a wrong one is a usage error (exit 2).
fn known_preset(name: &str) -> Result<String, String> {
    name.parse::<Preset>().map(|_| name.to_string()).map_err(|e| e.to_string())
}

/// The model configuration: a preset and `--set` overrides (`train`, `benchmark`, `bench train`).
#[derive(Debug, Clone, Args)]
pub(crate) struct ModelChoice {
    /// Start from preset NAME: paper (official hyperparameters, defects fixed), reference
    /// (the official code's choices) or small (fast CPU runs).
    #[arg(
        long,
        value_name = "NAME",
        default_value = "paper",
        value_parser = known_preset,
        help_heading = "MODEL"
    )]
    pub(crate) preset: String,
    /// Override one setting, e.g. --set clusters=20 --set epochs=50 (repeatable; with
    /// `benchmark`, for every method).
    #[arg(long = "set", value_name = "KEY=VALUE", help_heading = "MODEL")]
    pub(crate) overrides: Vec<String>,
}

impl ModelChoice {
    /// The preset with the overrides applied and checked.
    pub(crate) fn config(&self) -> anyhow::Result<TrainConfig> {
        let preset: Preset = self.preset.parse()?;
        Ok(preset.config().with_overrides(&self.overrides)?)
    }
}

#[derive(Debug, Args)]
pub(crate) struct TrainArgs {
    /// Read the dataset from the manifest M.toml.
    #[arg(long, value_name = "M.toml", help_heading = "INPUT")]
    pub(crate) manifest: PathBuf,
    /// Write the run folder RUN (config, checkpoints, metrics, curves, report).
    #[arg(long, value_name = "RUN", help_heading = "OUTPUT")]
    pub(crate) out: PathBuf,
    #[command(flatten)]
    pub(crate) model: ModelChoice,
    /// Seed the split, initialisation, shuffling and dropout with S.
    #[arg(long, value_name = "S", default_value_t = 0, help_heading = "TRAINING")]
    pub(crate) seed: u64,
    /// Train NUM models with seeds S, S+1, ... (each its own split; with --set folds=K, seed s
    /// tests fold s mod K) and report mean ± std.
    #[arg(long, value_name = "NUM", default_value_t = 1, help_heading = "TRAINING")]
    pub(crate) seeds: u64,
    /// Run on DEVICE: cpu, cuda (feature `cuda`) or wgpu (feature `wgpu`).
    #[arg(long, value_name = "DEVICE", default_value = "cpu", help_heading = "TRAINING")]
    pub(crate) device: String,
    /// Continue an interrupted run in RUN from its last checkpoint.
    #[arg(long, help_heading = "TRAINING")]
    pub(crate) resume: bool,
    /// With --resume: continue although the settings differ from the run's config.json
    /// (without it such a resume is refused, naming the changed keys).
    #[arg(long, requires = "resume", help_heading = "TRAINING")]
    pub(crate) resume_changed: bool,
    /// Keep the preprocessing cache in DIR (default: RUN/../.deepsig-cache).
    #[arg(long, value_name = "DIR", help_heading = "INPUT")]
    pub(crate) cache: Option<PathBuf>,
    /// Print the final metrics as JSON on stdout.
    #[arg(long, help_heading = "OUTPUT")]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct BenchTrainArgs {
    /// Use N atoms per window (GPCR backbone: 1240; EGFR heavy atoms: 4878).
    #[arg(long, value_name = "N", default_value_t = 1240)]
    pub(crate) atoms: usize,
    /// Use T frames per window.
    #[arg(long, value_name = "T", default_value_t = 100)]
    pub(crate) frames: usize,
    /// Train on NUM windows per epoch.
    #[arg(long, value_name = "NUM", default_value_t = 400)]
    pub(crate) windows: usize,
    /// Evaluate NUM windows.
    #[arg(long, value_name = "NUM", default_value_t = 150)]
    pub(crate) eval_windows: usize,
    #[command(flatten)]
    pub(crate) model: ModelChoice,
    /// Run on DEVICE: cpu, cuda or wgpu.
    #[arg(long, value_name = "DEVICE", default_value = "cpu")]
    pub(crate) device: String,
    /// Use NUM CPU threads (0 = one per core); a list (`1,2`) measures each in turn and
    /// prints the speed-up over the first.
    #[arg(long, value_name = "NUM,...", value_delimiter = ',', default_value = "0")]
    pub(crate) threads: Vec<usize>,
    /// Print JSON (one object per thread count) instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct PrepareArgs {
    /// Read the dataset from the manifest M.toml.
    #[arg(long, value_name = "M.toml", help_heading = "INPUT")]
    pub(crate) manifest: PathBuf,
    /// Store the preprocessed windows in the content-keyed cache DIR (give `train` the same
    /// --cache).
    #[arg(long, value_name = "DIR", help_heading = "OUTPUT")]
    pub(crate) cache: PathBuf,
    /// Preprocess only share I of N (trajectories I, I+N, I+2N, ... in manifest order), or
    /// `auto`: the share of this Slurm array task (SLURM_ARRAY_TASK_ID, _COUNT, _MIN).
    #[arg(long, value_name = "I/N|auto", default_value = "0/1", help_heading = "INPUT")]
    pub(crate) shard: String,
    /// The settings the run will use (only those that shape the cached windows matter).
    #[command(flatten)]
    pub(crate) model: ModelChoice,
    /// Print the counts as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct EvalArgs {
    /// Evaluate the run folder RUN (its best-validation model on its test split).
    #[arg(long, value_name = "RUN")]
    pub(crate) run: PathBuf,
    /// Read the systems from M.toml instead of the manifest the run was trained on.
    #[arg(long, value_name = "M.toml")]
    pub(crate) manifest: Option<PathBuf>,
    /// Run on DEVICE: cpu, cuda or wgpu.
    #[arg(long, value_name = "DEVICE", default_value = "cpu")]
    pub(crate) device: String,
    /// Print the metrics as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct BenchmarkArgs {
    /// Read the dataset from the manifest M.toml.
    #[arg(long, value_name = "M.toml", help_heading = "INPUT")]
    pub(crate) manifest: PathBuf,
    /// Compare these methods (comma-separated; default: all of deepsig, frame-head,
    /// frame-tail, frame-head-tail, graph-lstm, graph-transformer, sig-fixed).
    #[arg(long, value_name = "LIST")]
    pub(crate) methods: Option<String>,
    /// Choose KEY per method on validation from these values, e.g. `--tune
    /// lr=1e-3,3e-3,1e-2`: every seed runs at every value (OUT/METHOD/KEY=V/seed-S), the value
    /// with the lowest mean best validation loss is reported and recorded in the table.
    #[arg(long, value_name = "KEY=V1,V2,...", help_heading = "TRAINING")]
    pub(crate) tune: Option<String>,
    /// Train every method with NUM seeds S, S+1, ... (a seed fixes one split for all methods;
    /// with --set folds=K, seed s tests fold s mod K).
    #[arg(long, value_name = "NUM", default_value_t = 5, help_heading = "TRAINING")]
    pub(crate) seeds: u64,
    /// The first seed.
    #[arg(long, value_name = "S", default_value_t = 0, help_heading = "TRAINING")]
    pub(crate) seed: u64,
    #[command(flatten)]
    pub(crate) model: ModelChoice,
    /// Run on DEVICE: cpu, cuda or wgpu.
    #[arg(long, value_name = "DEVICE", default_value = "cpu", help_heading = "TRAINING")]
    pub(crate) device: String,
    /// Write run folders (OUT/METHOD/seed-S) and benchmark.{md,json,svg} into OUT; finished
    /// runs found there are reused, interrupted ones resumed.
    #[arg(long, value_name = "OUT", help_heading = "OUTPUT")]
    pub(crate) out: PathBuf,
    /// Print the table as JSON on stdout.
    #[arg(long, help_heading = "OUTPUT")]
    pub(crate) json: bool,
    /// Train only share I of N of the (method, seed) runs (runs I, I+N, ... in the order the
    /// table lists them), or `auto` for this Slurm array task; write no table (see --merge).
    #[arg(long, value_name = "I/N|auto", help_heading = "SCALE-OUT", conflicts_with = "merge")]
    pub(crate) shard: Option<String>,
    /// Train nothing: write the table from the runs in OUT once every one has finished, else
    /// list the missing or unfinished runs and exit 1.
    #[arg(long, help_heading = "SCALE-OUT")]
    pub(crate) merge: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SlurmArgs {
    /// The benchmark's manifest M.toml.
    #[arg(long, value_name = "M.toml", help_heading = "INPUT")]
    pub(crate) manifest: PathBuf,
    /// The benchmark's output folder OUT (run folders, cache, table); the scripts go to
    /// OUT/slurm.
    #[arg(long, value_name = "OUT", help_heading = "OUTPUT")]
    pub(crate) out: PathBuf,
    /// Array tasks per job (preprocessing shards and benchmark shards).
    #[arg(long, value_name = "N", default_value_t = 4, help_heading = "SLURM")]
    pub(crate) array: usize,
    /// Partition to submit to (default: the cluster's).
    #[arg(long, value_name = "P", help_heading = "SLURM")]
    pub(crate) partition: Option<String>,
    /// Time limit per task (Slurm syntax, e.g. 02:00:00).
    #[arg(long, value_name = "T", help_heading = "SLURM")]
    pub(crate) time: Option<String>,
    /// CPUs per task (each task trains with this many threads).
    #[arg(long, value_name = "C", default_value_t = 2, help_heading = "SLURM")]
    pub(crate) cpus: usize,
    /// Memory per task (Slurm syntax, e.g. 4G).
    #[arg(long, value_name = "M", help_heading = "SLURM")]
    pub(crate) mem: Option<String>,
    /// The benchmark's methods (comma-separated; default: all).
    #[arg(long, value_name = "LIST", help_heading = "BENCHMARK")]
    pub(crate) methods: Option<String>,
    /// Seeds per method.
    #[arg(long, value_name = "NUM", default_value_t = 5, help_heading = "BENCHMARK")]
    pub(crate) seeds: u64,
    /// First seed.
    #[arg(long, value_name = "S", default_value_t = 0, help_heading = "BENCHMARK")]
    pub(crate) seed: u64,
    #[command(flatten)]
    pub(crate) model: ModelChoice,
    /// Replace existing scripts in OUT/slurm.
    #[arg(long)]
    pub(crate) force: bool,
}
