//! Arguments of the MD subcommands: `info`, `extract` and `bench read`.

use std::path::PathBuf;

use clap::Args;

use super::DtypeArg;

/// How trajectories are read: cut-short files, and where XTC/TRR frame indexes are kept.
#[derive(Debug, Args)]
pub(crate) struct ReadArgs {
    /// Read the whole frames of a trajectory whose last frame is cut short, with a warning
    /// (by default that is an error naming the file, frame and byte offset).
    #[arg(long, help_heading = "INPUT")]
    pub(crate) allow_truncated: bool,
    /// Where the frame offsets of XTC and TRR files are kept, so that the next open knows the
    /// frame count and seeks at once: `cache` ($XDG_CACHE_HOME/deepsig/frame-index, else
    /// ~/.cache/deepsig/frame-index), `beside` (a hidden `.NAME.deepsig-frames` next to each
    /// file), `memory` (nowhere), or a folder.
    #[arg(long, value_name = "WHERE", default_value = "cache", help_heading = "INPUT")]
    pub(crate) frame_index: String,
}

#[derive(Debug, Args)]
pub(crate) struct InfoArgs {
    /// Read atoms, residues, segments and bonds from TOPOLOGY (.pdb, .gro, .psf or .prmtop).
    #[arg(value_name = "TOPOLOGY", help_heading = "INPUT")]
    pub(crate) topology: PathBuf,
    /// Count frames, time step and box in these trajectories (.xtc, .trr, .dcd, .nc, .pdb, .gro),
    /// read in order as one; without any, a PDB or GRO topology is its own trajectory.
    #[arg(value_name = "TRAJECTORY", help_heading = "INPUT")]
    pub(crate) trajectories: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) read: ReadArgs,
    /// Report how many atoms SEL selects (e.g. "protein and name CA").
    #[arg(long, value_name = "SEL", default_value = "all", help_heading = "SELECTION")]
    pub(crate) select: String,
    /// Print one JSON object instead of a table.
    #[arg(long, help_heading = "OUTPUT")]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ExtractArgs {
    /// Read atom names, residues and bonds from TOPOLOGY (.pdb, .gro, .psf or .prmtop).
    #[arg(value_name = "TOPOLOGY", help_heading = "INPUT")]
    pub(crate) topology: PathBuf,
    /// Read frames from these trajectories (.xtc, .trr, .dcd, .nc, .pdb, .gro), concatenated in order.
    #[arg(value_name = "TRAJECTORY", required = true, help_heading = "INPUT")]
    pub(crate) trajectories: Vec<PathBuf>,
    /// Start at frame S (0-based, counted over all files).
    #[arg(long, value_name = "S", default_value_t = 0, help_heading = "INPUT")]
    pub(crate) start: usize,
    /// Stop before frame E (default: the last frame).
    #[arg(long, value_name = "E", help_heading = "INPUT")]
    pub(crate) stop: Option<usize>,
    /// Keep every K-th frame from S on.
    #[arg(
        long,
        value_name = "K",
        default_value_t = 1,
        value_parser = clap::value_parser!(u64).range(1..),
        help_heading = "INPUT"
    )]
    pub(crate) stride: u64,
    #[command(flatten)]
    pub(crate) read: ReadArgs,
    /// Write only the atoms SEL selects (e.g. "protein and name CA"), in topology order.
    #[arg(long, value_name = "SEL", default_value = "all", help_heading = "SELECTION")]
    pub(crate) select: String,
    /// Write the (frames, atoms, 3) coordinates in Angstrom to OUT (.npy).
    #[arg(short, long, value_name = "OUT", help_heading = "OUTPUT")]
    pub(crate) output: PathBuf,
    /// Make molecules whole across periodic boundaries, without jumps between frames, using
    /// the bond graph of the whole topology (the file's bonds, else guessed).
    #[arg(long, help_heading = "OUTPUT")]
    pub(crate) unwrap: bool,
    /// Subtract each frame's centroid of the selected atoms.
    #[arg(long, help_heading = "OUTPUT")]
    pub(crate) center: bool,
    /// Superpose each frame's selection (Kabsch) on the topology's coordinates, or on the first
    /// extracted frame when the topology has none.
    #[arg(long, help_heading = "OUTPUT")]
    pub(crate) align: bool,
    /// Write the array in this precision.
    #[arg(long, value_enum, default_value_t = DtypeArg::F32, help_heading = "OUTPUT")]
    pub(crate) dtype: DtypeArg,
    /// Replace OUT if it exists.
    #[arg(long, help_heading = "OUTPUT")]
    pub(crate) force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct BenchReadArgs {
    /// Check the trajectories' atom count against TOPOLOGY (.pdb, .gro, .psf or .prmtop).
    #[arg(value_name = "TOPOLOGY", help_heading = "INPUT")]
    pub(crate) topology: PathBuf,
    /// Read every frame of these trajectories, in order.
    #[arg(value_name = "TRAJECTORY", required = true, help_heading = "INPUT")]
    pub(crate) trajectories: Vec<PathBuf>,
    /// Read everything N times (the first pass also warms the page cache) and report the median.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 5,
        value_parser = clap::value_parser!(u64).range(1..),
        help_heading = "INPUT"
    )]
    pub(crate) repeats: u64,
    /// Print one JSON object instead of a table.
    #[arg(long, help_heading = "OUTPUT")]
    pub(crate) json: bool,
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::super::{BenchCommand, Cli, Command, DtypeArg};

    #[test]
    fn extract_flags_parse_and_default_to_everything_as_stored() {
        let cli =
            Cli::try_parse_from(["deepsig", "extract", "t.psf", "a.dcd", "-o", "x.npy"]).unwrap();
        let Command::Extract(a) = cli.command else { panic!("wrong subcommand") };
        assert_eq!((a.select.as_str(), a.start, a.stop, a.stride), ("all", 0, None, 1));
        assert!(!(a.unwrap || a.center || a.align || a.force));
        assert_eq!(a.dtype, DtypeArg::F32);
        let cli = Cli::try_parse_from([
            "deepsig", "extract", "t.gro", "a.xtc", "b.xtc", "--select", "name CA", "-o", "x.npy",
            "--start", "2", "--stop", "9", "--stride", "3", "--unwrap", "--center", "--align",
            "--dtype", "f64", "--force",
        ])
        .unwrap();
        let Command::Extract(a) = cli.command else { panic!("wrong subcommand") };
        assert_eq!(a.trajectories.len(), 2);
        assert_eq!((a.start, a.stop, a.stride, a.dtype), (2, Some(9), 3, DtypeArg::F64));
        assert!(a.unwrap && a.center && a.align && a.force);
        for bad in [
            &["deepsig", "extract", "t.psf", "-o", "x.npy"][..],
            &["deepsig", "extract", "t.psf", "a.dcd"],
            &["deepsig", "extract", "t.psf", "a.dcd", "-o", "x.npy", "--stride", "0"],
            &["deepsig", "bench", "read", "t.psf", "a.dcd", "--repeats", "0"],
        ] {
            assert!(Cli::try_parse_from(bad).is_err(), "{bad:?} must be refused");
        }
        let cli = Cli::try_parse_from(["deepsig", "bench", "read", "t.psf", "a.dcd"]).unwrap();
        let Command::Bench(BenchCommand::Read(a)) = cli.command else { panic!("wrong subcommand") };
        assert_eq!((a.repeats, a.json), (5, false));
    }
}
