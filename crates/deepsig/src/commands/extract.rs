//! `deepsig extract`: the selected atoms' coordinates of MD trajectories as a
//! (frames, atoms, 3) `.npy` array in Angstrom, optionally made whole, aligned and centred.
//!
//! The pipeline is [`deepsig_md::extract`] (shared with the Python package's `deepsig.read`);
//! this command adds the output file and the messages. Points are rounded once to the output
//! dtype, so without transformations f32 output is bit-identical to the stored values.

use std::path::Path;

use anyhow::{Result, bail};
use deepsig_md::{ExtractOptions, FrameRange};

use crate::args::{DtypeArg, ExtractArgs};
use crate::commands::md;
use crate::npy;

/// The output array, filled frame by frame in the requested precision.
enum Output {
    F32(Vec<f32>),
    F64(Vec<f64>),
}

impl Output {
    fn new(dtype: DtypeArg, capacity: usize) -> Output {
        match dtype {
            DtypeArg::F32 => Output::F32(Vec::with_capacity(capacity)),
            DtypeArg::F64 => Output::F64(Vec::with_capacity(capacity)),
        }
    }

    fn push(&mut self, points: &[[f64; 3]]) {
        match self {
            Output::F32(v) => v.extend(points.iter().flatten().map(|&x| x as f32)),
            Output::F64(v) => v.extend(points.iter().flatten()),
        }
    }

    fn write(&self, path: &Path, force: bool, shape: &[usize]) -> Result<()> {
        match self {
            Output::F32(v) => npy::write(path, force, v, shape),
            Output::F64(v) => npy::write(path, force, v, shape),
        }
    }
}

pub(crate) fn run(args: &ExtractArgs) -> Result<()> {
    if args.output.exists() && !args.force {
        bail!("{} already exists; pass --force to overwrite it", args.output.display());
    }
    let selection = md::parse_selection(&args.select)?;
    let topology = md::read_topology(&args.topology)?;
    let selected = md::select_atoms(&selection, &topology, &args.topology)?;
    let paths = &args.trajectories;
    let options = ExtractOptions {
        range: FrameRange {
            start: args.start,
            stop: args.stop,
            stride: usize::try_from(args.stride).unwrap_or(usize::MAX),
        },
        read: md::read_options(&args.read),
        unwrap: args.unwrap,
        align: args.align,
        center: args.center,
    };
    let mut out = Output::new(args.dtype, 0);
    let summary =
        deepsig_md::extract(&topology, &args.topology, &selected, paths, &options, |frame| {
            out.push(frame.points)
        })?;
    md::print_warnings(&summary.warnings);
    if summary.frames_without_box > 0 {
        eprintln!(
            "deepsig: warning: {} frames of {} have no periodic box; --unwrap leaves them as stored",
            summary.frames_without_box,
            paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        );
    }
    out.write(&args.output, args.force, &[summary.frames, selected.len(), 3])
}
