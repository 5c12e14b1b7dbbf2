//! A short description of an MD system: what `deepsig info` prints and `deepsig.info` returns.

use std::path::{Path, PathBuf};

use crate::extract::{SystemBonds, system_bonds};
use crate::graph::{Graph, GraphError, GraphSummary, SelectionGraph, residues, selection_graph};
use crate::model::{Frame, Topology};
use crate::select::AtomSelection;
use crate::topology::cell_dimensions;
use crate::trajectory::{
    FrameRange, ReadOptions, Trajectory, check_atom_count, count_all_frames_with,
};
use crate::{Format, ReadError, ReadWarning};

/// Atoms and residues of one segment (atoms sharing a segid).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The segid (may be empty).
    pub id: String,
    /// Atoms in it.
    pub atoms: usize,
    /// Residues in it.
    pub residues: usize,
}

/// What [`describe`] finds.
#[derive(Debug, Clone)]
pub struct SystemInfo {
    /// The files frames were counted in: those given, else a PDB or GRO topology itself.
    pub trajectories: Vec<PathBuf>,
    /// Atoms in the topology.
    pub atoms: usize,
    /// Residues in the topology.
    pub residues: usize,
    /// Segments in order of first appearance.
    pub segments: Vec<Segment>,
    /// The whole system's bonds, `None` when none are listed and nothing can be guessed.
    pub bonds: Option<SystemBonds>,
    /// Frames in the trajectories.
    pub frames: usize,
    /// The time between the first two frames, when the files store times.
    pub time_step_ps: Option<f64>,
    /// The first frame's box as `a b c α β γ` (Å, degrees).
    pub box_dimensions: Option<[f64; 6]>,
    /// Atoms the selection picks.
    pub selected_atoms: usize,
    /// The model's graph over the selection, `None` without bonds.
    pub graph: Option<(SelectionGraph, GraphSummary)>,
    /// The readers' warnings.
    pub warnings: Vec<ReadWarning>,
}

/// Why [`describe`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DescribeError {
    /// A file could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The bond graph could not be built.
    #[error("cannot build the bond graph of {}: {source}", path.display())]
    Graph {
        /// The topology.
        path: PathBuf,
        /// Why.
        source: GraphError,
    },
}

/// The files to take frames from: `trajectories`, else a PDB or GRO topology itself.
pub fn frame_sources(topology_path: &Path, trajectories: &[PathBuf]) -> Vec<PathBuf> {
    if !trajectories.is_empty() {
        return trajectories.to_vec();
    }
    let ext = topology_path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match Format::from_extension(ext) {
        Some(Format::Pdb | Format::Gro) => vec![topology_path.to_path_buf()],
        _ => Vec::new(),
    }
}

/// Segments of `topology` in order of first appearance, with their atom and residue counts.
pub fn segments(topology: &Topology) -> Vec<Segment> {
    fn find(id: &str, out: &mut Vec<Segment>) -> usize {
        out.iter().position(|s| s.id == id).unwrap_or_else(|| {
            out.push(Segment { id: id.to_string(), atoms: 0, residues: 0 });
            out.len() - 1
        })
    }
    let mut out = Vec::new();
    for atom in &topology.atoms {
        let k = find(&atom.segid, &mut out);
        out[k].atoms += 1;
    }
    for residue in residues(topology) {
        let k = find(&topology.atoms[residue.start].segid, &mut out);
        out[k].residues += 1;
    }
    out
}

struct Frames {
    count: usize,
    first: Option<Frame>,
    time_step_ps: Option<f64>,
    warnings: Vec<ReadWarning>,
}

fn read_frames(
    paths: &[PathBuf],
    (topology, topology_path): (&Topology, &Path),
    options: ReadOptions,
) -> Result<Frames, ReadError> {
    if paths.is_empty() {
        return Ok(Frames { count: 0, first: None, time_step_ps: None, warnings: Vec::new() });
    }
    let range = FrameRange { start: 0, stop: Some(2), stride: 1 };
    let mut traj = Trajectory::open_with(paths, range, options.clone())?;
    check_atom_count(topology, topology_path, &traj)?;
    let mut frames = [Frame::default(), Frame::default()];
    let mut read = 0;
    while read < 2 && traj.read_next(&mut frames[read])?.is_some() {
        read += 1;
    }
    let mut warnings = traj.warnings().to_vec();
    let count =
        match Trajectory::open_with(paths, FrameRange::default(), options.clone())?.n_frames() {
            Some(n) => n,
            None => {
                let (total, more) = count_all_frames_with(paths, &options)?;
                for w in more {
                    if !warnings.contains(&w) {
                        warnings.push(w);
                    }
                }
                total
            }
        };
    let time_step_ps = match (read, frames[0].time_ps, frames[1].time_ps) {
        (2, Some(t0), Some(t1)) => Some(t1 - t0),
        _ => None,
    };
    let [first, _] = frames;
    let first = (read > 0).then_some(first);
    Ok(Frames { count, first, time_step_ps, warnings })
}

/// The model's graph over `selected` ([`selection_graph`]) from the whole system's `bonds`,
/// with the topology's coordinates, else `first_frame`'s, as the reference structure.
pub fn model_graph(
    topology: &Topology,
    bonds: &SystemBonds,
    selected: &AtomSelection,
    first_frame: Option<&Frame>,
) -> Result<SelectionGraph, GraphError> {
    let all = Graph::from_edges(topology.atoms.len(), &bonds.pairs)?;
    let positions = topology.positions.as_deref().or(first_frame.map(|f| f.positions.as_slice()));
    selection_graph(topology, &all, selected, positions)
}

/// Describes `topology` (read from `topology_path`), its `selected` atoms and the frames of
/// [`frame_sources`]`(topology_path, trajectories)`.
pub fn describe(
    topology: &Topology,
    topology_path: &Path,
    selected: &AtomSelection,
    trajectories: &[PathBuf],
    options: ReadOptions,
) -> Result<SystemInfo, DescribeError> {
    let paths = frame_sources(topology_path, trajectories);
    let frames = read_frames(&paths, (topology, topology_path), options)?;
    let graph_error = |source| DescribeError::Graph { path: topology_path.to_path_buf(), source };
    let bonds = system_bonds(topology, frames.first.as_ref()).map_err(graph_error)?;
    let graph = match &bonds {
        None => None,
        Some(bonds) => {
            let graph = model_graph(topology, bonds, selected, frames.first.as_ref())
                .map_err(graph_error)?;
            let summary = graph.graph.summary();
            Some((graph, summary))
        }
    };
    Ok(SystemInfo {
        trajectories: paths,
        atoms: topology.atoms.len(),
        residues: residues(topology).len(),
        segments: segments(topology),
        bonds,
        frames: frames.count,
        time_step_ps: frames.time_step_ps,
        box_dimensions: frames
            .first
            .as_ref()
            .and_then(|f| f.unit_cell)
            .map(|c| cell_dimensions(&c)),
        selected_atoms: selected.len(),
        graph,
        warnings: frames.warnings,
    })
}
