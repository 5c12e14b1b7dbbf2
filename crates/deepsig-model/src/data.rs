//! The data types every stage shares: a system's selected atoms, its windows, a trajectory's
//! windows, and cache counts. The bottom layer of the crate: it imports no other module, so
//! the readers (`dataset`, `nodes`, `cache`, `reference`) and the model all stand on it.

use std::path::PathBuf;

use deepsig_md::Label;

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
    /// The residue of each selected atom, numbered 0, 1, … in order of appearance
    /// ([`deepsig_md::residue_ordinals`], the one definition of a residue; for a graph system,
    /// each node its own).
    pub residues: Vec<u32>,
    /// Segment identifiers of the selected atoms (PSF segid, PDB segid or chain; may be empty).
    pub segment_ids: Vec<String>,
    /// Index of each selected atom in the topology.
    pub topology_indices: Vec<u32>,
    /// The graph over the selected atoms (selection numbering, `i < j`, each once): bond paths
    /// through unselected atoms, or the chain trace of residues without bonds
    /// ([`deepsig_md::selection_graph`]); for a graph system, its edge list.
    pub edges: Vec<(u32, u32)>,
    /// The alignment reference of the selected atoms, Angstrom (empty for a graph system):
    /// the model's reference for these atoms (see [`crate::reference`]).
    pub reference: Vec<[f32; 3]>,
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
    /// The reader's warnings about the file (a wrong DCD header, a cut-short last frame read
    /// up to it), kept in the cache with the windows.
    pub warnings: Vec<String>,
}

/// Whether a trajectory came from the cache or was read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Trajectories served from the cache.
    pub hits: usize,
    /// Trajectories read and preprocessed.
    pub misses: usize,
    /// The paths of the trajectories read (the misses), in manifest order.
    pub read: Vec<PathBuf>,
}

/// A deterministic share of a manifest's trajectories: those whose index in manifest order
/// is `index` modulo `count` (round robin, so shards of a sorted manifest get similar sizes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This share, `0..count`.
    pub index: usize,
    /// How many shares.
    pub count: usize,
}

impl Shard {
    /// The whole manifest.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Whether trajectory `t` (manifest order) belongs to this share.
    pub fn contains(self, t: usize) -> bool {
        t % self.count.max(1) == self.index
    }
}
