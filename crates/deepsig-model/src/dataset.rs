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
    AtomSelection, BondOptions, Frame, FramePrep, Graph, Label, Manifest, PrepOptions, Topology,
    Trajectory, Windowing, bonds, open_topology, select,
};

use crate::cache;
use crate::error::DataError;

/// How raw frames become model input.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DatasetOptions {
    /// Make whole, drift removal, alignment (defaults: on, off, on).
    pub prep: PrepOptions,
    /// Where bonds come from (file, guessed, peptide bonds).
    pub bonds: BondOptions,
}

/// One system's selected atoms and their bond graph.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemData {
    /// The manifest's name for it.
    pub name: String,
    /// Its label.
    pub label: Label,
    /// Group for splitting, if any.
    pub group: Option<String>,
    /// The topology file (for a graph system: its edge list).
    pub topology: PathBuf,
    /// Atom names of the selected atoms (used for type embeddings and reports).
    pub atom_names: Vec<String>,
    /// Residue names of the selected atoms.
    pub residue_names: Vec<String>,
    /// Residue numbers of the selected atoms.
    pub residue_ids: Vec<i32>,
    /// Index of each selected atom in the topology.
    pub topology_indices: Vec<u32>,
    /// Undirected bonds among the selected atoms (selection numbering, `i < j`, each once).
    pub edges: Vec<(u32, u32)>,
    /// Whether the values are atom coordinates or node values.
    pub kind: SystemKind,
    /// Channels per atom and frame: 3 for coordinates, `c` for node values.
    pub channels: usize,
}

/// What a system's per-frame values are, which decides how they are prepared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SystemKind {
    /// Atom coordinates in Angstrom: made whole, aligned, centred per window.
    #[default]
    Molecule,
    /// Node values of a graph system (`c` channels), used as they are.
    Graph,
}

impl SystemData {
    /// Number of selected atoms.
    pub fn n_atoms(&self) -> usize {
        self.atom_names.len()
    }
}

/// One window: `frames` consecutive (strided) frames of the selected atoms.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowData {
    /// Frames in the window.
    pub frames: usize,
    /// Prepared coordinates in Angstrom (or node values), `[frames, atoms, channels]`
    /// row-major.
    pub coords: Vec<f32>,
    /// Channels per atom: 3 for coordinates.
    pub channels: usize,
}

/// One trajectory file, windowed.
#[derive(Debug, Clone, PartialEq)]
pub struct TrajectoryData {
    /// Index into [`Dataset::systems`].
    pub system: usize,
    /// The trajectory file.
    pub path: PathBuf,
    /// Its windows in time order.
    pub windows: Vec<WindowData>,
}

/// A whole manifest, preprocessed.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Systems in manifest order.
    pub systems: Vec<SystemData>,
    /// Trajectories in manifest order ([`Manifest::trajectories`]); they are the split units.
    pub trajectories: Vec<TrajectoryData>,
}

/// Whether a trajectory came from the cache or was read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Trajectories served from the cache.
    pub hits: usize,
    /// Trajectories read and preprocessed.
    pub misses: usize,
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
        let mut stats = CacheStats::default();
        let mut systems = Vec::with_capacity(manifest.systems().len());
        let mut trajectories = Vec::new();
        for (k, system) in manifest.systems().iter().enumerate() {
            let deepsig_md::SystemSource::Molecule { topology, .. } = &system.source else {
                let (data, windowed) =
                    crate::nodes::load_graph_system(manifest, k, cache_dir, &mut stats)?;
                systems.push(data);
                trajectories.extend(windowed);
                continue;
            };
            // Parsing guarantees a molecule system a selection, its own or the global one.
            let expression = manifest.selection_for(system).unwrap_or("all");
            let opened = OpenSystem::new(topology, expression, &system.trajectories, options)?;
            systems.push(SystemData {
                name: system.name.clone(),
                label: system.label.clone(),
                group: system.group.clone(),
                ..opened.data.clone()
            });
            for path in &system.trajectories {
                let key = cache::key(
                    &[topology, path],
                    &format!("{expression}|{options:?}|{:?}", manifest.windowing()),
                )?;
                let windows = cache::load_or_read(
                    cache_dir,
                    &key,
                    (opened.data.n_atoms(), 3),
                    &mut stats,
                    || {
                        let prep = opened.prep(path, options)?;
                        read_windows(path, &opened.topology, prep, manifest.windowing())
                    },
                )?;
                trajectories.push(TrajectoryData { system: k, path: path.clone(), windows });
            }
        }
        Ok((Dataset { systems, trajectories }, stats))
    }
}

/// A system's topology read, reduced to its selection, with the bond graph that frame
/// preparation needs.
struct OpenSystem {
    topology: Topology,
    selection: AtomSelection,
    bond_graph: Graph,
    data: SystemData,
}

impl OpenSystem {
    /// `path` reduced to `expression`; the first of `trajectories` gives the coordinates
    /// to guess bonds from when the topology has none. The data is named after the file, with
    /// an empty label: callers with a manifest entry fill those in.
    fn new(
        path: &Path,
        expression: &str,
        trajectories: &[PathBuf],
        options: &DatasetOptions,
    ) -> Result<OpenSystem, DataError> {
        let topology = open_topology(path)?;
        let selection = select(&topology, expression)?;
        let first_frame = first_frame_if_needed(&topology, trajectories)?;
        let positions =
            topology.positions.as_deref().or(first_frame.as_ref().map(|f| f.positions.as_slice()));
        let cell =
            topology.unit_cell.as_ref().or(first_frame.as_ref().and_then(|f| f.unit_cell.as_ref()));
        let all_bonds = bonds(&topology, positions, cell, &options.bonds)
            .map_err(|e| DataError::graph(path, e))?;
        let bond_graph = Graph::from_edges(topology.atoms.len(), &all_bonds)
            .map_err(|e| DataError::graph(path, e))?;
        let sub = bond_graph.induced_subgraph(&selection).map_err(|e| DataError::graph(path, e))?;
        let picked: Vec<&deepsig_md::Atom> =
            selection.indices().iter().map(|&i| &topology.atoms[i as usize]).collect();
        let data = SystemData {
            name: path.file_stem().unwrap_or_default().to_string_lossy().into_owned(),
            label: Label::Text(String::new()),
            group: None,
            topology: path.to_path_buf(),
            atom_names: picked.iter().map(|a| a.name.clone()).collect(),
            residue_names: picked.iter().map(|a| a.resname.clone()).collect(),
            residue_ids: picked.iter().map(|a| a.resid).collect(),
            topology_indices: selection.indices().to_vec(),
            edges: sub.edges().collect(),
            kind: SystemKind::Molecule,
            channels: 3,
        };
        Ok(OpenSystem { topology, selection, bond_graph, data })
    }

    fn prep(&self, path: &Path, options: &DatasetOptions) -> Result<FramePrep, DataError> {
        FramePrep::new(&self.topology, &self.selection, &self.bond_graph, options.prep)
            .map_err(|e| DataError::prep(path, None, e))
    }
}

/// The windows of one system outside a manifest (for prediction on new files): `topology`
/// reduced to `expression`, each of `trajectories` read, made whole, aligned and cut by
/// `windowing` exactly as [`Dataset::load`] does, without the cache.
///
/// With no trajectory, the topology's own coordinates (PDB, GRO) are prepared once and
/// repeated `static_frames` times as one trajectory named after the topology: a motionless
/// path, so that a model needing several frames per window can still be applied.
pub fn system_windows(
    topology: &Path,
    expression: &str,
    trajectories: &[PathBuf],
    windowing: Windowing,
    options: &DatasetOptions,
    static_frames: usize,
) -> Result<(SystemData, Vec<TrajectoryData>), DataError> {
    let opened = OpenSystem::new(topology, expression, trajectories, options)?;
    let mut out = Vec::with_capacity(trajectories.len().max(1));
    for path in trajectories {
        let windows = read_windows(path, &opened.topology, opened.prep(path, options)?, windowing)?;
        out.push(TrajectoryData { system: 0, path: path.clone(), windows });
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
        let windows = cut_windows(vec![prepared; static_frames], topology, windowing)?;
        out.push(TrajectoryData { system: 0, path: topology.to_path_buf(), windows });
    }
    Ok((opened.data, out))
}

/// The first frame of the system's first trajectory, when the topology has no coordinates
/// to guess bonds from (PSF).
fn first_frame_if_needed(
    topology: &Topology,
    trajectories: &[PathBuf],
) -> Result<Option<Frame>, DataError> {
    if topology.positions.is_some() {
        return Ok(None);
    }
    let Some(first) = trajectories.first() else { return Ok(None) };
    let mut reader = Trajectory::open(std::slice::from_ref(first))?;
    let mut frame = Frame::default();
    Ok(reader.read_next(&mut frame)?.map(|_| frame))
}

fn read_windows(
    path: &Path,
    topology: &Topology,
    mut prep: FramePrep,
    windowing: Windowing,
) -> Result<Vec<WindowData>, DataError> {
    let mut reader = Trajectory::open(std::slice::from_ref(&path))?;
    deepsig_md::check_atom_count(topology, &reader)?;
    let mut frame = Frame::default();
    let mut prepared: Vec<Vec<[f32; 3]>> = Vec::new();
    while let Some(index) = reader.read_next(&mut frame)? {
        prepared.push(prep.process(&frame).map_err(|e| DataError::prep(path, Some(index), e))?);
    }
    cut_windows(prepared, path, windowing)
}

/// Prepared frames (of the file `path`) cut into windows.
fn cut_windows(
    prepared: Vec<Vec<[f32; 3]>>,
    path: &Path,
    windowing: Windowing,
) -> Result<Vec<WindowData>, DataError> {
    let windows = windowing.split(prepared.len()).map_err(|e| DataError::window(path, e))?;
    Ok(windows
        .iter()
        .map(|w| {
            let coords: Vec<f32> =
                w.frames().flat_map(|f| prepared[f].iter().flatten().copied()).collect();
            WindowData { frames: w.len(), coords, channels: 3 }
        })
        .collect())
}
