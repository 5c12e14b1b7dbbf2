//! Preprocessed data: every trajectory of a manifest read, reduced to the selected atoms, made
//! whole across periodic boundaries, aligned to a fixed reference, and cut into windows.
//!
//! Graph systems (node time series on a given graph, [`deepsig_md::SystemSource::Graph`]) are
//! read by [`crate::nodes`] instead: their values are not coordinates, so none of the
//! geometric steps applies.
//!
//! Nothing here knows burn: a [`Dataset`] is plain vectors that the model crate turns into
//! tensors batch by batch.

use std::path::{Path, PathBuf};

use deepsig_md::{
    AtomSelection, BondOptions, Frame, FramePrep, FrameRange, Graph, Label, Manifest, PrepOptions,
    ReadOptions, SelectionGraph, Topology, Trajectory, Windowing, bonds, open_topology, select,
    selection_graph,
};

use crate::cache;
pub use crate::data::{CacheStats, Shard, SystemData, SystemKind, TrajectoryData, WindowData};
use crate::error::DataError;
use crate::reference::{ReferenceOrigin, References, atom_keys};

/// How raw frames become model input.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DatasetOptions {
    /// Make whole, drift removal, alignment (defaults: on, off, on).
    pub prep: PrepOptions,
    /// Where bonds come from (file, guessed, peptide bonds).
    pub bonds: BondOptions,
    /// Whether a cut-short last frame is read up to (with a warning) or an error.
    pub read: ReadOptions,
}

/// A whole manifest, preprocessed.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Systems in manifest order.
    pub systems: Vec<SystemData>,
    /// Trajectories in manifest order ([`Manifest::trajectories`]); they are the split units.
    pub trajectories: Vec<TrajectoryData>,
}

impl Dataset {
    /// Reads and preprocesses every trajectory of `manifest`; with `cache_dir`, each
    /// trajectory's result is stored there under a key made of the topology's and the
    /// trajectory's bytes, the selection and every option, and reused when all match.
    pub fn load(
        manifest: &Manifest,
        options: &DatasetOptions,
        cache_dir: Option<&Path>,
    ) -> Result<(Dataset, CacheStats), DataError> {
        Dataset::load_shard(manifest, options, cache_dir, Shard::ALL)
    }

    /// [`Dataset::load`] for the trajectories of `shard` only (the others are left out of
    /// `trajectories`; every system is still opened, because a system's alignment reference
    /// may come from an earlier one with the same atoms). With a cache, the shard's entries
    /// are exactly those a whole load would store: the keys do not depend on the shard.
    pub fn load_shard(
        manifest: &Manifest,
        options: &DatasetOptions,
        cache_dir: Option<&Path>,
        shard: Shard,
    ) -> Result<(Dataset, CacheStats), DataError> {
        let mut stats = CacheStats::default();
        let mut index = 0usize;
        let mut kept = References::default();
        let mut systems = Vec::with_capacity(manifest.systems().len());
        let mut trajectories = Vec::new();
        for (k, system) in manifest.systems().iter().enumerate() {
            let deepsig_md::SystemSource::Molecule { topology, .. } = &system.source else {
                let first = index;
                index += system.trajectories.len();
                let keep = |j: usize| shard.contains(first + j);
                let (data, windowed) =
                    crate::nodes::load_graph_system(manifest, k, cache_dir, &mut stats, &keep)?;
                systems.push(data);
                trajectories.extend(windowed);
                continue;
            };
            // Parsing guarantees a molecule system a selection, its own or the global one.
            let expression = manifest.selection_for(system).unwrap_or("all");
            let (opened, _) =
                OpenSystem::new(topology, expression, &system.trajectories, options, &kept)?;
            kept.keep(&opened.data);
            systems.push(SystemData {
                name: system.name.clone(),
                label: system.label.clone(),
                group: system.group.clone(),
                ..opened.data.clone()
            });
            for path in &system.trajectories {
                index += 1;
                if !shard.contains(index - 1) {
                    continue;
                }
                let key = cache::key(
                    &[topology, path],
                    &format!("{expression}|{options:?}|{:?}", manifest.windowing()),
                    &opened.shaping_bytes(),
                )?;
                let (windows, warnings) = cache::load_or_read(
                    cache_dir,
                    (&key, path),
                    (opened.data.n_atoms(), 3),
                    &mut stats,
                    || {
                        let prep = opened.prep(path, options)?;
                        read_windows(
                            path,
                            (&opened.topology, topology),
                            prep,
                            (manifest.windowing(), options.read.clone()),
                        )
                    },
                )?;
                let path = path.clone();
                trajectories.push(TrajectoryData { system: k, path, windows, warnings });
            }
        }
        Ok((Dataset { systems, trajectories }, stats))
    }
}

/// A system's topology read, reduced to its selection, with the bond graph that frame
/// preparation needs and the alignment reference every trajectory of it is superposed on.
struct OpenSystem {
    topology: Topology,
    selection: AtomSelection,
    bond_graph: Graph,
    data: SystemData,
}

impl OpenSystem {
    /// `path` reduced to `expression`; the first of `trajectories` gives the coordinates
    /// to guess bonds from, and the alignment reference, when the topology has none. A
    /// reference in `kept` for the same atoms wins over the system's own. The data is named
    /// after the file, with an empty label: callers with a manifest entry fill those in.
    fn new(
        path: &Path,
        expression: &str,
        trajectories: &[PathBuf],
        options: &DatasetOptions,
        kept: &References,
    ) -> Result<(OpenSystem, ReferenceOrigin), DataError> {
        let topology = open_topology(path)?;
        let selection = select(&topology, expression)?;
        let first_frame =
            deepsig_md::first_frame_if_needed(&topology, trajectories, options.read.clone())?;
        let positions =
            topology.positions.as_deref().or(first_frame.as_ref().map(|f| f.positions.as_slice()));
        let cell =
            topology.unit_cell.as_ref().or(first_frame.as_ref().and_then(|f| f.unit_cell.as_ref()));
        let graph_error = |e| DataError::graph(path, e);
        let all_bonds = bonds(&topology, positions, cell, &options.bonds).map_err(graph_error)?;
        let bond_graph =
            Graph::from_edges(topology.atoms.len(), &all_bonds).map_err(graph_error)?;
        let SelectionGraph { graph, .. } =
            selection_graph(&topology, &bond_graph, &selection, positions).map_err(graph_error)?;
        let picked: Vec<&deepsig_md::Atom> =
            selection.indices().iter().map(|&i| &topology.atoms[i as usize]).collect();
        let mut data = SystemData {
            name: path.file_stem().unwrap_or_default().to_string_lossy().into_owned(),
            label: Label::Text(String::new()),
            group: None,
            topology: path.to_path_buf(),
            atom_names: picked.iter().map(|a| a.name.clone()).collect(),
            residue_names: picked.iter().map(|a| a.resname.clone()).collect(),
            residue_ids: picked.iter().map(|a| a.resid).collect(),
            residues: deepsig_md::residue_ordinals(&topology, selection.indices()),
            segment_ids: picked.iter().map(|a| a.segid.clone()).collect(),
            topology_indices: selection.indices().to_vec(),
            edges: graph.edges().collect(),
            reference: Vec::new(),
            kind: SystemKind::Molecule,
            channels: 3,
        };
        let origin = match kept.find(&atom_keys(&data)) {
            Some(reference) => {
                data.reference = reference;
                ReferenceOrigin::Shared
            }
            None => {
                data.reference =
                    own_reference(&topology, &selection, &bond_graph, options, first_frame)
                        .map_err(|e| DataError::prep(path, None, e))?;
                ReferenceOrigin::Own
            }
        };
        Ok((OpenSystem { topology, selection, bond_graph, data }, origin))
    }

    fn prep(&self, path: &Path, options: &DatasetOptions) -> Result<FramePrep, DataError> {
        let prep = FramePrep::new(&self.topology, &self.selection, &self.bond_graph, options.prep);
        let prep = match self.data.reference.is_empty() {
            true => prep,
            false => prep.and_then(|p| p.with_reference(self.data.reference.clone())),
        };
        prep.map_err(|e| DataError::prep(path, None, e))
    }

    /// What shapes every trajectory's windows beyond the topology's and the trajectory's own
    /// bytes and the options: the bonds used to make molecules whole and the alignment
    /// reference, both of which may come from another file (the first trajectory, an earlier
    /// system with the same atoms). Part of the cache key, so that no window is served stale.
    fn shaping_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, j) in self.bond_graph.edges() {
            out.extend(i.to_le_bytes());
            out.extend(j.to_le_bytes());
        }
        out.extend(b"|reference|");
        for v in self.data.reference.iter().flatten() {
            out.extend(v.to_le_bytes());
        }
        out
    }
}

/// The system's own alignment reference of the selected atoms: the topology's coordinates
/// made whole in its box, else the first frame (of the first trajectory) made whole and put
/// in its principal-axes frame; empty when there is neither.
fn own_reference(
    topology: &Topology,
    selection: &AtomSelection,
    bond_graph: &Graph,
    options: &DatasetOptions,
    first_frame: Option<Frame>,
) -> Result<Vec<[f32; 3]>, deepsig_md::PrepError> {
    let prep_options = PrepOptions { align: true, ..options.prep };
    let mut probe = FramePrep::new(topology, selection, bond_graph, prep_options)?;
    if let Some(reference) = probe.reference() {
        return Ok(reference.to_vec());
    }
    match first_frame {
        Some(frame) => probe.process(&frame),
        None => Ok(Vec::new()),
    }
}

/// The windows of one system outside a manifest (for prediction on new files): `topology`
/// reduced to `expression`, each of `trajectories` read, made whole, aligned and cut by
/// `windowing` exactly as [`Dataset::load`] does, without the cache.
///
/// With no trajectory, the topology's own coordinates (PDB, GRO) are prepared once and
/// repeated `static_frames` times as one trajectory named after the topology: a motionless
/// path, so that a model needing several frames per window can still be applied.
///
/// Frames are aligned to the reference in `kept` for the same atoms (a trained run's), else
/// to the system's own; the origin says which.
pub fn system_windows(
    topology: &Path,
    expression: &str,
    trajectories: &[PathBuf],
    windowing: Windowing,
    options: &DatasetOptions,
    static_frames: usize,
    kept: &References,
) -> Result<(SystemData, Vec<TrajectoryData>, ReferenceOrigin), DataError> {
    let (opened, origin) = OpenSystem::new(topology, expression, trajectories, options, kept)?;
    let mut out = Vec::with_capacity(trajectories.len().max(1));
    for path in trajectories {
        let prep = opened.prep(path, options)?;
        let (windows, warnings) = read_windows(
            path,
            (&opened.topology, topology),
            prep,
            (windowing, options.read.clone()),
        )?;
        out.push(TrajectoryData { system: 0, path: path.clone(), windows, warnings });
    }
    if trajectories.is_empty() {
        let Some(positions) = &opened.topology.positions else {
            return Err(DataError::NoCoordinates { path: topology.to_path_buf() });
        };
        let frame = Frame {
            positions: positions.clone(),
            unit_cell: opened.topology.unit_cell,
            ..Frame::default()
        };
        let prepared = opened
            .prep(topology, options)?
            .process(&frame)
            .map_err(|e| DataError::prep(topology, Some(0), e))?;
        let kept = vec![prepared; static_frames.div_ceil(windowing.stride())];
        let windows = cut_windows(kept, static_frames, topology, windowing)?;
        let path = topology.to_path_buf();
        out.push(TrajectoryData { system: 0, path, windows, warnings: Vec::new() });
    }
    Ok((opened.data, out, origin))
}

/// The windows of the trajectory `path` of the topology read from `top_path`, and the
/// reader's warnings about it.
fn read_windows(
    path: &Path,
    (topology, top_path): (&Topology, &Path),
    mut prep: FramePrep,
    (windowing, options): (Windowing, ReadOptions),
) -> Result<cache::Windowed, DataError> {
    let range = FrameRange::default();
    let mut reader = Trajectory::open_with(std::slice::from_ref(&path), range, options)?;
    deepsig_md::check_atom_count(topology, top_path, &reader)?;
    let mut frame = Frame::default();
    // Every frame goes through the preparation (making molecules whole follows them one by
    // one), but only the strided frames that windows take are kept: memory is bounded by the
    // windows, not the trajectory (BENCHMARKS.md, "Big trajectories").
    let stride = windowing.stride();
    let mut kept: Vec<Vec<[f32; 3]>> = Vec::new();
    let mut n_frames = 0;
    while let Some(index) = reader.read_next(&mut frame)? {
        let prepared = prep.process(&frame).map_err(|e| DataError::prep(path, Some(index), e))?;
        if index % stride == 0 {
            kept.push(prepared);
        }
        n_frames = index + 1;
    }
    let warnings = reader.warnings().iter().map(|w| w.to_string()).collect();
    Ok((cut_windows(kept, n_frames, path, windowing)?, warnings))
}

/// The strided prepared frames `kept` (every `stride`-th of the `n_frames` frames of the file
/// `path`) cut into windows, each frame's memory given up as its window is built.
fn cut_windows(
    kept: Vec<Vec<[f32; 3]>>,
    n_frames: usize,
    path: &Path,
    windowing: Windowing,
) -> Result<Vec<WindowData>, DataError> {
    let windows = windowing.split(n_frames).map_err(|e| DataError::window(path, e))?;
    // Windows take consecutive strided frames from the first on (deepsig_md::window).
    let mut frames = kept.into_iter();
    Ok(windows
        .iter()
        .map(|w| {
            let coords: Vec<f32> =
                frames.by_ref().take(w.len()).flat_map(|f| f.into_iter().flatten()).collect();
            WindowData { frames: w.len(), coords, channels: 3 }
        })
        .collect())
}
