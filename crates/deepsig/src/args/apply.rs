//! Arguments of the commands that apply a trained run to new files: `predict`, `embed`,
//! `explain`.

use std::path::PathBuf;

use clap::Args;

/// The run and the system it is applied to, shared by the three commands.
#[derive(Debug, Args)]
pub(crate) struct RunInput {
    /// Use the best model of the run folder RUN (written by `deepsig train`).
    #[arg(long, value_name = "RUN", help_heading = "INPUT")]
    pub(crate) run: PathBuf,
    /// The system's topology (PDB, GRO, PSF); the run's selection, alignment and windowing
    /// apply. For `predict`/`embed` with a run trained on graph systems: the edge list.
    #[arg(value_name = "TOPOLOGY", help_heading = "INPUT")]
    pub(crate) topology: PathBuf,
    /// Read the run's selection and windowing from M.toml instead of the manifest path stored
    /// in the run (relative to where `train` ran).
    #[arg(long, value_name = "M.toml", help_heading = "INPUT")]
    pub(crate) manifest: Option<PathBuf>,
    /// Run on DEVICE: cpu, cuda or wgpu.
    #[arg(long, value_name = "DEVICE", default_value = "cpu")]
    pub(crate) device: String,
}

#[derive(Debug, Args)]
pub(crate) struct PredictArgs {
    #[command(flatten)]
    pub(crate) input: RunInput,
    /// Trajectory files (node time series .npy/.npz for a graph run), each predicted on its
    /// own (per window and per trajectory).
    #[arg(value_name = "TRAJECTORY", required = true, help_heading = "INPUT")]
    pub(crate) trajectories: Vec<PathBuf>,
    /// Print one JSON object instead of tables.
    #[arg(long, help_heading = "OUTPUT")]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct EmbedArgs {
    #[command(flatten)]
    pub(crate) input: RunInput,
    /// Trajectory files (node time series for a graph run); their windows are written in
    /// order.
    #[arg(value_name = "TRAJECTORY", required = true, help_heading = "INPUT")]
    pub(crate) trajectories: Vec<PathBuf>,
    /// Write the features the head reads to F.npy: float32, (windows, sub_windows, C).
    #[arg(short, long, value_name = "F.npy", help_heading = "OUTPUT")]
    pub(crate) output: PathBuf,
    /// Replace F.npy if it exists.
    #[arg(long, help_heading = "OUTPUT")]
    pub(crate) force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    #[command(flatten)]
    pub(crate) input: RunInput,
    /// Trajectory files (optional: without one, the topology's coordinates are repeated into
    /// a motionless path, which shows the clusters but gives zero attributions).
    #[arg(value_name = "TRAJECTORY", help_heading = "INPUT")]
    pub(crate) trajectories: Vec<PathBuf>,
    /// Write the selected atoms to OUT.pdb with the hard cluster in the B-factor column and
    /// its membership in the occupancy column; OUT.json gets the clusters and attributions.
    #[arg(short, long, value_name = "OUT.pdb", help_heading = "OUTPUT")]
    pub(crate) output: PathBuf,
    /// Report the NUM signature terms of largest attribution.
    #[arg(long, value_name = "NUM", default_value_t = 20, help_heading = "OUTPUT")]
    pub(crate) top: usize,
    /// Replace the outputs if they exist.
    #[arg(long, help_heading = "OUTPUT")]
    pub(crate) force: bool,
}
