//! Why a manifest could not be read or is invalid: the file, the system entry and the kind.

use std::path::{Path, PathBuf};

use crate::nodes::NodeDataError;
use crate::select::SelectError;
use crate::split::SplitPart;
use crate::window::WindowError;

/// A manifest that could not be read or is invalid.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("manifest {}{}: {kind}", file.display(), entry.as_ref().map(|e| format!(", system {e}")).unwrap_or_default())]
#[non_exhaustive]
pub struct ManifestError {
    /// The manifest file.
    pub file: PathBuf,
    /// The system entry concerned: its name, or `#k` (1-based) when it has none yet.
    pub entry: Option<String>,
    /// What is wrong.
    pub kind: ManifestErrorKind,
}

impl ManifestError {
    pub(super) fn new(
        file: &Path,
        entry: Option<String>,
        kind: ManifestErrorKind,
    ) -> ManifestError {
        ManifestError { file: file.to_path_buf(), entry, kind }
    }
}

/// The kinds of [`ManifestError`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestErrorKind {
    /// The file could not be read.
    #[error("cannot read: {0}")]
    Io(String),
    /// Not valid TOML, an unknown key, a missing key or a value of the wrong type.
    #[error("{0}")]
    Toml(String),
    /// No `[[system]]` entry.
    #[error("no [[system]] entry")]
    NoSystems,
    /// A system with an empty name.
    #[error("the name is empty")]
    EmptyName,
    /// Two systems with the same name.
    #[error("the name is used by an earlier system")]
    DuplicateName,
    /// An empty trajectory list.
    #[error("no trajectories are listed")]
    NoTrajectories,
    /// Text and numeric labels in one manifest.
    #[error("labels must be all text or all numbers, and this one differs from the first system's")]
    MixedLabels,
    /// A system with both `topology` and `graph`.
    #[error("has both `topology` and `graph`; a system is a molecule or a graph, not both")]
    TopologyAndGraph,
    /// A system with neither `topology` nor `graph`.
    #[error("needs `topology` (a molecule) or `graph` (an edge list for node time series)")]
    NoTopologyOrGraph,
    /// A key that belongs to the other kind of system.
    #[error("`{key}` does not apply to a {kind} system")]
    KeyNotForKind {
        /// The key.
        key: &'static str,
        /// `molecule` or `graph`.
        kind: &'static str,
    },
    /// A molecule system with no selection of its own and no global one.
    #[error("no `selection`: set one at the top of the manifest or in this system")]
    NoSelection,
    /// `nodes = 0`.
    #[error("`nodes` must be at least 1")]
    ZeroNodes,
    /// A graph operation asked of a molecule system.
    #[error("is a molecule system, not a graph system")]
    NotAGraph,
    /// A graph system's edge list or trajectory is unreadable or inconsistent.
    #[error("`{key}`: {source}")]
    NodeData {
        /// The manifest key naming the file or the count: `graph`, `nodes`, `trajectories`.
        key: &'static str,
        /// The problem (boxed to keep the error small).
        source: Box<NodeDataError>,
    },
    /// A file that does not exist.
    #[error("file {} does not exist", .0.display())]
    MissingFile(PathBuf),
    /// A selection that does not parse (boxed to keep the error small).
    #[error("{0}")]
    Selection(Box<SelectError>),
    /// Invalid windowing settings.
    #[error("windowing: {0}")]
    Windowing(WindowError),
    /// Some systems have `split` and this one does not.
    #[error(
        "has no `split`, but system {0:?} has one: a given split names the part of every system"
    )]
    PartialSplit(String),
    /// Two systems of one group in different parts of a given split.
    #[error(
        "`split = \"{}\"`, but system {other:?} of the same group {group:?} has `split = \"{}\"`: a group lies in one part",
        parts.1, parts.0
    )]
    GroupAcrossParts {
        /// The group.
        group: String,
        /// The earlier system of the group.
        other: String,
        /// Its part and this system's.
        parts: (SplitPart, SplitPart),
    },
}
