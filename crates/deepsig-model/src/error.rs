//! Errors of data preparation, training and inference, each naming the file involved.

use std::path::{Path, PathBuf};

use deepsig_md::{GraphError, ManifestError, PrepError, ReadError, SelectError, WindowError};

/// Why preparing the data failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// A topology or trajectory could not be read.
    #[error(transparent)]
    Read(Box<ReadError>),
    /// The manifest is invalid.
    #[error(transparent)]
    Manifest(Box<ManifestError>),
    /// The selection is invalid or empty.
    #[error(transparent)]
    Select(Box<SelectError>),
    /// The bond graph could not be built.
    #[error("{path}: cannot build the bond graph: {source}")]
    Graph {
        /// The topology.
        path: PathBuf,
        /// The cause.
        source: GraphError,
    },
    /// A frame could not be made whole or aligned.
    #[error("{path}{}: cannot prepare the frame: {source}", frame.map(|f| format!(", frame {f}")).unwrap_or_default())]
    Prep {
        /// The trajectory.
        path: PathBuf,
        /// The frame, when known.
        frame: Option<usize>,
        /// The cause.
        source: Box<PrepError>,
    },
    /// The trajectory is too short for the windowing.
    #[error("{path}: {source}")]
    Window {
        /// The trajectory.
        path: PathBuf,
        /// The cause.
        source: WindowError,
    },
    /// A topology without coordinates was asked to stand in for a trajectory.
    #[error("{path}: the topology has no coordinates (PSF); name a trajectory")]
    NoCoordinates {
        /// The topology.
        path: PathBuf,
    },
    /// A file-system operation failed.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

// Boxed: the md crate's errors carry paths and context, and a large error makes every
// `Result` in the pipeline large.
impl From<ReadError> for DataError {
    fn from(e: ReadError) -> DataError {
        DataError::Read(Box::new(e))
    }
}

impl From<ManifestError> for DataError {
    fn from(e: ManifestError) -> DataError {
        DataError::Manifest(Box::new(e))
    }
}

impl From<SelectError> for DataError {
    fn from(e: SelectError) -> DataError {
        DataError::Select(Box::new(e))
    }
}

impl DataError {
    pub(crate) fn graph(path: &Path, source: GraphError) -> DataError {
        DataError::Graph { path: path.to_path_buf(), source }
    }

    pub(crate) fn prep(path: &Path, frame: Option<usize>, source: PrepError) -> DataError {
        DataError::Prep { path: path.to_path_buf(), frame, source: Box::new(source) }
    }

    pub(crate) fn window(path: &Path, source: WindowError) -> DataError {
        DataError::Window { path: path.to_path_buf(), source }
    }

    pub(crate) fn io(path: &Path, what: &'static str, source: std::io::Error) -> DataError {
        DataError::Io { what, path: path.to_path_buf(), source }
    }
}

/// Why training, evaluation or prediction failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrainError {
    /// The data could not be prepared.
    #[error(transparent)]
    Prepare(Box<DataError>),
    /// The data does not fit the task or the model (labels, window lengths, split, graph).
    #[error(transparent)]
    Fit(Box<FitError>),
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The device name is unknown or not compiled in.
    #[error(transparent)]
    Device(#[from] crate::backend::DeviceError),
    /// A run folder problem (exists, missing files, unreadable records).
    #[error("{path}: {message}")]
    Run {
        /// The file or folder.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl From<DataError> for TrainError {
    fn from(e: DataError) -> TrainError {
        TrainError::Prepare(Box::new(e))
    }
}

impl From<FitError> for TrainError {
    fn from(e: FitError) -> TrainError {
        TrainError::Fit(Box::new(e))
    }
}

impl TrainError {
    pub(crate) fn run(path: &Path, message: impl std::fmt::Display) -> TrainError {
        TrainError::Run { path: path.to_path_buf(), message: message.to_string() }
    }
}

/// Why the data cannot be trained on (or applied) as configured: each names the system or
/// file and says what would fix it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FitError {
    /// Fewer than two distinct labels: nothing to learn.
    #[error("the manifest has {found} distinct label(s); at least 2 are needed to learn")]
    TooFewClasses {
        /// Distinct labels found.
        found: usize,
    },
    /// A window is shorter than the sub-windows need.
    #[error(
        "{}: window {window} has {frames} frames, but {sub_windows} sub-windows need at least {need}; use fewer windows or sub_windows",
        path.display()
    )]
    WindowTooShort {
        /// The trajectory.
        path: PathBuf,
        /// The window's index.
        window: usize,
        /// Its frames.
        frames: usize,
        /// The configured sub-windows.
        sub_windows: usize,
        /// Frames needed.
        need: usize,
    },
    /// A setting contradicts the manifest's given split.
    #[error(
        "the manifest gives the split (`split` in every system), so {setting} cannot be used \
         with it; drop the setting, or remove `split` from the manifest to split by seed"
    )]
    GivenSplitConflict {
        /// The setting, as `key=value`.
        setting: String,
    },
    /// The given split lacks a training or validation part.
    #[error(
        "the manifest's split has no `split = \"train\"` or no `split = \"validation\"` \
         system; both are needed (test may be empty: validation metrics are then reported)"
    )]
    GivenSplitIncomplete,
    /// More folds than trajectory groups.
    #[error(
        "split: folds={folds} needs at least {folds} trajectory groups, but the manifest \
         has {groups} (trajectories sharing a `group` count once); use folds <= {groups}"
    )]
    TooFewGroups {
        /// Groups in the manifest.
        groups: usize,
        /// Folds asked for.
        folds: usize,
    },
    /// The trajectories cannot be split as configured.
    #[error("split: {0}")]
    Split(#[from] deepsig_md::SplitError),
    /// The split left a part that training needs empty.
    #[error(
        "the split left no training or no validation trajectory; add trajectories or change the fractions"
    )]
    EmptySplitPart,
    /// A setting that a graph system (edges from the manifest) cannot honour.
    #[error(
        "system {system} is a graph system (its edges come from the manifest, used both ways), but {reason}"
    )]
    GraphSystemSetting {
        /// The system.
        system: String,
        /// The setting and what to use instead.
        reason: &'static str,
    },
    /// A residue too large for residue cliques.
    #[error(
        "{system}: residue {residue} has {atoms} selected atoms, and edges=residue-cliques \
         would connect every pair of them (more than {most} atoms in one residue is refused); \
         select fewer atoms or use edges=bonds"
    )]
    ResidueTooLarge {
        /// The system and its topology.
        system: String,
        /// Residue name and id.
        residue: String,
        /// Its selected atoms.
        atoms: usize,
        /// The limit.
        most: usize,
    },
    /// The first pooling level has more clusters than the system has atoms.
    #[error(
        "{system}: {atoms} selected atoms, but the first pooling level has {first_level} clusters \
         (clusters={clusters} x pool_multipliers[0]={multiplier}); a level cannot have more \
         clusters than atoms: use --set clusters={most} or fewer, or select more atoms"
    )]
    TooManyClusters {
        /// The system and its topology.
        system: String,
        /// Its selected atoms.
        atoms: usize,
        /// Clusters of the first level.
        first_level: usize,
        /// The configured clusters.
        clusters: usize,
        /// The first level's multiplier.
        multiplier: usize,
        /// The most clusters that would fit.
        most: usize,
    },
    /// Residue cliques of one-atom residues: no edge.
    #[error(
        "{system}: edges=residue-cliques gives no edge, since every residue has one selected \
         atom; select several atoms per residue (the reference uses \"backbone\") or use \
         edges=bonds"
    )]
    NoCliqueEdges {
        /// The system and its topology.
        system: String,
    },
    /// The selection's graph has no edge.
    #[error(
        "{system}: the graph over the {atoms} selected atoms has no edge (no bond path joins two \
         of them, and no residue without bonds is next to another); inspect it with `deepsig \
         info TOPOLOGY --select ...`, or use edges=contacts"
    )]
    NoEdges {
        /// The system and its topology.
        system: String,
        /// Its selected atoms.
        atoms: usize,
    },
    /// Systems with different channel counts in one data set.
    #[error(
        "system {system} has {channels} channels per node but system {first_system} has \
         {first_channels}; one model needs the same channel count everywhere (coordinates have 3)"
    )]
    ChannelMismatch {
        /// The odd system.
        system: String,
        /// Its channels.
        channels: usize,
        /// The first system.
        first_system: String,
        /// Its channels.
        first_channels: usize,
    },
    /// Node time series or an edge list could not be read or do not agree.
    #[error(transparent)]
    NodeData(#[from] deepsig_md::NodeDataError),
    /// A run trained on graph systems was given no node time series.
    #[error(
        "{}: the run was trained on graph systems; name node time series (.npy/.npz) after the edge list",
        edges.display()
    )]
    NoNodeSeries {
        /// The edge list.
        edges: PathBuf,
    },
    /// The input's channels differ from the run's.
    #[error("{}: {found} channels per node, but the run was trained on {expected}", path.display())]
    ChannelsDiffer {
        /// The series.
        path: PathBuf,
        /// Its channels.
        found: usize,
        /// The run's.
        expected: usize,
    },
}
