//! `deepsig extract`: the selected atoms' coordinates of MD trajectories as a
//! (frames, atoms, 3) `.npy` array in Angstrom, optionally made whole, aligned and centred.
//!
//! Frames stream one at a time through a reused buffer; only the output array grows. Per
//! frame, in order: make molecules whole (`--unwrap`, whole topology's bond graph, jump-free
//! from frame to frame), gather the selection, superpose it on the reference (`--align`),
//! subtract its centroid (`--center`). Transformations are computed in f64 and rounded once
//! to the output dtype, so without them f32 output is bit-identical to the stored values.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use deepsig_md::{
    AtomSelection, Frame, FrameRange, Graph, MakeWhole, ReadOptions, Topology, Trajectory,
    Unwrapper,
};

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

/// The plan that makes the selected atoms' molecules whole, from the whole topology's bonds
/// (coordinates for guessing them: the topology's own, else the first frame of `paths`).
fn make_whole_plan(
    topology: &Topology,
    top_path: &Path,
    paths: &[PathBuf],
    selected: &AtomSelection,
) -> Result<MakeWhole> {
    let mut first = None;
    if topology.positions.is_none() {
        let range = FrameRange { start: 0, stop: Some(1), stride: 1 };
        let mut frame = Frame::default();
        if Trajectory::open_range(paths, range)?.read_next(&mut frame)?.is_some() {
            first = Some(frame);
        }
    }
    let Some(bonds) = md::system_bonds(topology, top_path, first.as_ref())? else {
        bail!(
            "--unwrap needs bonds, but {} lists none and there are no coordinates to guess them from",
            top_path.display()
        );
    };
    let graph = Graph::from_edges(topology.atoms.len(), &bonds.pairs)
        .with_context(|| format!("cannot build the bond graph of {}", top_path.display()))?;
    Ok(MakeWhole::for_selection(&graph, selected)?)
}

/// The topology's coordinates of the selected atoms (made whole in its own box when
/// `whole` is given), or `None` when the topology has no coordinates.
fn topology_reference(
    topology: &Topology,
    selected: &AtomSelection,
    whole: Option<&MakeWhole>,
) -> Result<Option<Vec<[f32; 3]>>> {
    let Some(positions) = &topology.positions else { return Ok(None) };
    let mut positions = positions.clone();
    if let (Some(whole), Some(cell)) = (whole, &topology.unit_cell) {
        whole.apply(&mut positions, cell).context("cannot make the topology's molecules whole")?;
    }
    Ok(Some(selected.gather(&positions)?))
}

fn files(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

pub(crate) fn run(args: &ExtractArgs) -> Result<()> {
    if args.output.exists() && !args.force {
        bail!("{} already exists; pass --force to overwrite it", args.output.display());
    }
    let selection = md::parse_selection(&args.select)?;
    let topology = md::read_topology(&args.topology)?;
    let selected = md::select_atoms(&selection, &topology, &args.topology)?;
    let paths = &args.trajectories;
    let stride = usize::try_from(args.stride).unwrap_or(usize::MAX);
    let range = FrameRange { start: args.start, stop: args.stop, stride };
    let options = ReadOptions { allow_truncated: args.allow_truncated };
    let mut traj = Trajectory::open_with(paths, range, options)?;
    deepsig_md::check_atom_count(&topology, &args.topology, &traj)?;
    let mut warned = traj.warnings().len();
    md::print_warnings(traj.warnings());

    let whole = if args.unwrap {
        Some(make_whole_plan(&topology, &args.topology, paths, &selected)?)
    } else {
        None
    };
    let mut reference =
        if args.align { topology_reference(&topology, &selected, whole.as_ref())? } else { None };
    let mut unwrapper = whole.map(Unwrapper::new);

    let n = selected.len();
    let capacity = traj.n_frames().unwrap_or(0).saturating_mul(n * 3);
    let mut out = Output::new(args.dtype, capacity);
    let mut frame = Frame::default();
    let mut picked: Vec<[f32; 3]> = Vec::with_capacity(n);
    let mut points: Vec<[f64; 3]> = Vec::with_capacity(n);
    let mut frames = 0usize;
    let mut warned_no_box = false;
    while let Some(index) = traj.read_next(&mut frame)? {
        if let Some(unwrapper) = &mut unwrapper {
            match &frame.unit_cell {
                Some(cell) => unwrapper.apply(&mut frame.positions, cell).with_context(|| {
                    format!("cannot make molecules whole in frame {index} of {}", files(paths))
                })?,
                None if !warned_no_box => {
                    eprintln!(
                        "deepsig: warning: frame {index} of {} has no periodic box; --unwrap \
                         leaves frames without one as stored",
                        files(paths)
                    );
                    warned_no_box = true;
                }
                None => {}
            }
        }
        picked.clear();
        picked.extend(selected.indices().iter().map(|&i| frame.positions[i as usize]));
        points.clear();
        points.extend(picked.iter().map(|p| p.map(f64::from)));
        if args.align {
            match &reference {
                Some(target) => {
                    let fit = deepsig_md::superpose(&picked, target)
                        .with_context(|| format!("cannot align frame {index}"))?;
                    points.iter_mut().for_each(|p| *p = fit.transform(*p));
                }
                // The first extracted frame is the reference: it stays as it is.
                None => reference = Some(picked.clone()),
            }
        }
        if args.center {
            let mut c = [0.0f64; 3];
            points.iter().for_each(|p| (0..3).for_each(|k| c[k] += p[k]));
            let c = c.map(|s| s / n as f64);
            points.iter_mut().for_each(|p| (0..3).for_each(|k| p[k] -= c[k]));
        }
        out.push(&points);
        frames += 1;
        md::print_warnings(&traj.warnings()[warned..]);
        warned = traj.warnings().len();
    }
    if frames == 0 {
        let total = paths.iter().map(deepsig_md::count_frames).sum::<Result<usize, _>>()?;
        let stop = args.stop.map_or("the end".to_string(), |s| s.to_string());
        bail!(
            "frames {} to {stop} select no frame of {} ({total} frames)",
            args.start,
            files(paths)
        );
    }
    out.write(&args.output, args.force, &[frames, n, 3])
}
