//! The selected atoms' coordinates of a system's trajectories, made whole, aligned and centred
//! on request: what `deepsig extract` writes and `deepsig.read` returns.
//!
//! Frames stream one at a time through a reused buffer and reach the caller's sink as `f64`
//! points. Per frame, in order: make molecules whole (`unwrap`: the whole topology's bond
//! graph, jump-free from frame to frame), gather the selection, superpose it on the reference
//! (`align`: the topology's coordinates, else the first frame read), subtract its centroid
//! (`center`). Transformations run in `f64`, so rounding the points to `f32` without any of
//! them gives back the stored values bit for bit.

use std::path::{Path, PathBuf};

use crate::graph::{BondOptions, BondSource, Graph, GraphError, bonds};
use crate::model::{Frame, Topology, UnitCell};
use crate::pbc::{MakeWhole, PbcError, Unwrapper};
use crate::select::{AtomSelection, SelectError};
use crate::trajectory::{
    FrameRange, ReadOptions, Trajectory, check_atom_count, count_all_frames_with,
};
use crate::{AlignError, ReadError, ReadWarning, superpose};

/// Where the bonds of a system came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BondOrigin {
    /// Exactly the bonds the topology file lists.
    File,
    /// The file's bonds plus guessed ones (the list looked incomplete, or peptide bonds were
    /// missing).
    FileAndGuessed,
    /// Guessed from distances: the file lists none.
    Guessed,
}

impl BondOrigin {
    /// A short machine-readable name: `file`, `file+guessed`, `guessed`.
    pub fn name(self) -> &'static str {
        match self {
            BondOrigin::File => "file",
            BondOrigin::FileAndGuessed => "file+guessed",
            BondOrigin::Guessed => "guessed",
        }
    }
}

/// The bonds of a whole system as sorted pairs `i < j`, and where they came from.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemBonds {
    /// Bonded atom pairs, `i < j`.
    pub pairs: Vec<(u32, u32)>,
    /// Where they came from.
    pub origin: BondOrigin,
}

/// The bonds of the whole topology with the default rule ([`BondOptions::default`]): the
/// file's bonds when they look complete, else completed by guessing from distances (in the
/// periodic box when there is one), plus peptide bonds. Coordinates for guessing are the
/// topology's own, else `first_frame`'s. `None` when bonds would have to be guessed and there
/// are no coordinates; with coordinates missing but bonds listed, the file's bonds alone.
pub fn system_bonds(
    topology: &Topology,
    first_frame: Option<&Frame>,
) -> Result<Option<SystemBonds>, GraphError> {
    let (positions, cell) = match (&topology.positions, first_frame) {
        (Some(p), _) => (Some(p.as_slice()), topology.unit_cell.as_ref()),
        (None, Some(f)) => (Some(f.positions.as_slice()), f.unit_cell.as_ref()),
        (None, None) => (None, None),
    };
    let options = BondOptions::default();
    let pairs = match bonds(topology, positions, cell, &options) {
        Ok(pairs) => pairs,
        Err(GraphError::NoPositions) if topology.bonds.is_empty() => return Ok(None),
        Err(GraphError::NoPositions) => {
            let only_file = BondOptions { source: BondSource::Topology, ..options };
            bonds(topology, positions, cell, &only_file)?
        }
        Err(e) => return Err(e),
    };
    let origin = if topology.bonds.is_empty() {
        BondOrigin::Guessed
    } else if pairs.len() == topology.bonds.len() {
        BondOrigin::File
    } else {
        BondOrigin::FileAndGuessed
    };
    Ok(Some(SystemBonds { pairs, origin }))
}

/// What [`extract`] does besides reading.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtractOptions {
    /// Which frames.
    pub range: FrameRange,
    /// How cut-short files are treated.
    pub read: ReadOptions,
    /// Make molecules whole, without jumps between frames.
    pub unwrap: bool,
    /// Superpose each frame's selection on the reference.
    pub align: bool,
    /// Subtract each frame's centroid of the selection.
    pub center: bool,
}

/// One frame as [`extract`] hands it over.
#[derive(Debug)]
pub struct ExtractedFrame<'a> {
    /// Frame index within the (concatenated) trajectories, before striding.
    pub index: usize,
    /// Time in ps, when the file stores it.
    pub time_ps: Option<f64>,
    /// The periodic box, when the file stores one.
    pub unit_cell: Option<UnitCell>,
    /// The selected atoms, transformed as asked, in Å.
    pub points: &'a [[f64; 3]],
}

/// What [`extract`] reports besides the frames.
#[derive(Debug, Default)]
pub struct ExtractSummary {
    /// Frames handed to the sink.
    pub frames: usize,
    /// The readers' warnings (cut-short files read up to the cut, odd headers).
    pub warnings: Vec<ReadWarning>,
    /// Frames that had no box while `unwrap` was asked (left as stored).
    pub frames_without_box: usize,
}

/// Why [`extract`] stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExtractError {
    /// A file could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The bond graph needed for `unwrap` could not be built.
    #[error("cannot build the bond graph of {}: {source}", path.display())]
    Bonds {
        /// The topology.
        path: PathBuf,
        /// Why.
        source: GraphError,
    },
    /// `unwrap` needs bonds and there are none to take or guess.
    #[error(
        "unwrapping needs bonds, but {} lists none and there are no coordinates to guess them from",
        path.display()
    )]
    NoBonds {
        /// The topology.
        path: PathBuf,
    },
    /// Molecules could not be made whole (in the topology or in a frame).
    #[error("cannot make molecules whole in {what}: {source}")]
    Whole {
        /// `the topology` or `frame N of FILES`.
        what: String,
        /// Why.
        source: PbcError,
    },
    /// A frame could not be aligned.
    #[error("cannot align frame {frame} of {files}: {source}")]
    Align {
        /// The frame index.
        frame: usize,
        /// The trajectory files.
        files: String,
        /// Why.
        source: AlignError,
    },
    /// The selection does not fit the topology.
    #[error(transparent)]
    Select(#[from] SelectError),
    /// The frame range selects nothing.
    #[error("frames {start} to {stop} select no frame of {files} ({total} frames)")]
    NoFrames {
        /// First frame asked.
        start: usize,
        /// Last frame asked, or `the end`.
        stop: String,
        /// The files.
        files: String,
        /// Frames in the files.
        total: usize,
    },
}

fn files(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// The first frame of `trajectories` when `topology` has no coordinates of its own (PSF),
/// which is where bonds are guessed from and the reference comes from then; `None` when the
/// topology has coordinates or there is no frame.
pub fn first_frame_if_needed(
    topology: &Topology,
    trajectories: &[PathBuf],
    options: ReadOptions,
) -> Result<Option<Frame>, ReadError> {
    if topology.positions.is_some() {
        return Ok(None);
    }
    let Some(first) = trajectories.first() else { return Ok(None) };
    let range = FrameRange { start: 0, stop: Some(1), stride: 1 };
    let mut reader = Trajectory::open_with(std::slice::from_ref(first), range, options)?;
    let mut frame = Frame::default();
    Ok(reader.read_next(&mut frame)?.map(|_| frame))
}

/// The plan that makes the selected atoms' molecules whole, from the whole topology's bonds.
fn make_whole_plan(
    topology: &Topology,
    topology_path: &Path,
    paths: &[PathBuf],
    selected: &AtomSelection,
    read: ReadOptions,
) -> Result<MakeWhole, ExtractError> {
    let first = first_frame_if_needed(topology, paths, read)?;
    let bonds_error = |source| ExtractError::Bonds { path: topology_path.to_path_buf(), source };
    let Some(bonds) = system_bonds(topology, first.as_ref()).map_err(bonds_error)? else {
        return Err(ExtractError::NoBonds { path: topology_path.to_path_buf() });
    };
    let graph = Graph::from_edges(topology.atoms.len(), &bonds.pairs).map_err(bonds_error)?;
    MakeWhole::for_selection(&graph, selected)
        .map_err(|source| ExtractError::Whole { what: "the topology".into(), source })
}

/// The topology's coordinates of the selected atoms (made whole in its own box when `whole`
/// is given), or `None` when the topology has no coordinates.
fn topology_reference(
    topology: &Topology,
    selected: &AtomSelection,
    whole: Option<&MakeWhole>,
) -> Result<Option<Vec<[f32; 3]>>, ExtractError> {
    let Some(positions) = &topology.positions else { return Ok(None) };
    let mut positions = positions.clone();
    if let (Some(whole), Some(cell)) = (whole, &topology.unit_cell) {
        whole
            .apply(&mut positions, cell)
            .map_err(|source| ExtractError::Whole { what: "the topology".into(), source })?;
    }
    Ok(Some(selected.gather(&positions)?))
}

/// Streams the selected atoms of `paths` (trajectories of `topology`, read from
/// `topology_path`) frame by frame into `sink`, transformed as `options` say.
pub fn extract(
    topology: &Topology,
    topology_path: &Path,
    selected: &AtomSelection,
    paths: &[PathBuf],
    options: &ExtractOptions,
    mut sink: impl FnMut(ExtractedFrame<'_>),
) -> Result<ExtractSummary, ExtractError> {
    let mut traj = Trajectory::open_with(paths, options.range, options.read.clone())?;
    check_atom_count(topology, topology_path, &traj)?;
    let whole = if options.unwrap {
        Some(make_whole_plan(topology, topology_path, paths, selected, options.read.clone())?)
    } else {
        None
    };
    let mut reference =
        if options.align { topology_reference(topology, selected, whole.as_ref())? } else { None };
    let mut unwrapper = whole.map(Unwrapper::new);
    let n = selected.len();
    let mut summary = ExtractSummary::default();
    let mut frame = Frame::default();
    let mut picked: Vec<[f32; 3]> = Vec::with_capacity(n);
    let mut points: Vec<[f64; 3]> = Vec::with_capacity(n);
    while let Some(index) = traj.read_next(&mut frame)? {
        if let Some(unwrapper) = &mut unwrapper {
            match &frame.unit_cell {
                Some(cell) => unwrapper.apply(&mut frame.positions, cell).map_err(|source| {
                    ExtractError::Whole {
                        what: format!("frame {index} of {}", files(paths)),
                        source,
                    }
                })?,
                None => summary.frames_without_box += 1,
            }
        }
        picked.clear();
        picked.extend(selected.indices().iter().map(|&i| frame.positions[i as usize]));
        points.clear();
        points.extend(picked.iter().map(|p| p.map(f64::from)));
        if options.align {
            match &reference {
                Some(target) => {
                    let fit = superpose(&picked, target).map_err(|source| ExtractError::Align {
                        frame: index,
                        files: files(paths),
                        source,
                    })?;
                    points.iter_mut().for_each(|p| *p = fit.transform(*p));
                }
                // The first extracted frame is the reference: it stays as it is.
                None => reference = Some(picked.clone()),
            }
        }
        if options.center && n > 0 {
            let mut c = [0.0f64; 3];
            points.iter().for_each(|p| (0..3).for_each(|k| c[k] += p[k]));
            let c = c.map(|s| s / n as f64);
            points.iter_mut().for_each(|p| (0..3).for_each(|k| p[k] -= c[k]));
        }
        sink(ExtractedFrame {
            index,
            time_ps: frame.time_ps,
            unit_cell: frame.unit_cell,
            points: &points,
        });
        summary.frames += 1;
    }
    summary.warnings = traj.warnings().to_vec();
    if summary.frames == 0 {
        let (total, _) = count_all_frames_with(paths, &options.read)?;
        return Err(ExtractError::NoFrames {
            start: options.range.start,
            stop: options.range.stop.map_or("the end".to_string(), |s| s.to_string()),
            files: files(paths),
            total,
        });
    }
    Ok(summary)
}
