//! The dataset manifest: which systems to read, how to label, select and window them.
//!
//! A manifest is a TOML file (example: `crates/deepsig-md/examples/manifest.toml`):
//!
//! ```toml
//! # Atoms every system is reduced to (the selection language of `deepsig_md::select`).
//! selection = "protein and name CA"
//!
//! [windowing]
//! windows = 25   # windows per trajectory (default 25)
//! stride = 1     # keep every stride-th frame before windowing (default 1)
//!
//! [[system]]
//! name = "dims"                    # unique
//! topology = "adk.psf"             # relative paths resolve against the manifest's folder
//! trajectories = ["adk_dims.dcd"]  # one or more (a single string is accepted too)
//! label = "closed-to-open"         # a string, an integer or a float
//! group = "adk-dims"               # optional: trajectories of a group are never split apart
//! selection = "name CA"            # optional: overrides the global selection
//!
//! [[system]]
//! name = "grn-000"                 # a graph system: node time series on a given graph
//! graph = "edges.csv"              # edge list, one 0-based `i,j` per line (crate::nodes)
//! trajectories = ["traj_000.npz"]  # (T, N, c) float arrays, .npz (member x) or .npy
//! nodes = 100                      # optional: N, checked against every file
//! label = 0
//! ```
//!
//! A system is a molecule (`topology`, reduced to a `selection`, global or its own) or a
//! graph (`graph`, optional `nodes`); the global `selection` is needed only when a molecule
//! system has none of its own. Unknown keys are errors, as are a system with both or neither
//! of `topology` and `graph`, a key of the other kind (`selection` on a graph system, `nodes`
//! on a molecule), duplicate system names, mixing text and numeric labels, a selection that
//! does not parse, and (in [`Manifest::load`]) files that do not exist. The contents of a
//! graph system's files are checked when read ([`Manifest::node_graph`],
//! [`Manifest::node_series`]). Every error names the manifest file and, where it concerns
//! one, the system entry and the key.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::nodes::{NodeDataError, NodeGraph, NodeSeries, read_edge_list, read_node_series};
use crate::select::Selection;
use crate::split::{Split, SplitPart, SplitUnit};
use crate::window::Windowing;

mod error;
pub use error::{ManifestError, ManifestErrorKind};

/// A system's label: text for classification, or a number (classes or regression targets).
#[derive(Debug, Clone, PartialEq)]
pub enum Label {
    /// A class name.
    Text(String),
    /// An integer (TOML integer).
    Integer(i64),
    /// A real number (TOML float).
    Real(f64),
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Label::Text(s) => f.write_str(s),
            Label::Integer(i) => write!(f, "{i}"),
            Label::Real(x) => write!(f, "{x}"),
        }
    }
}

impl<'de> Deserialize<'de> for Label {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Label, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Label;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_i64<E>(self, v: i64) -> Result<Label, E> {
                Ok(Label::Integer(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Label, E> {
                i64::try_from(v).map(Label::Integer).map_err(E::custom)
            }
            fn visit_f64<E>(self, v: f64) -> Result<Label, E> {
                Ok(Label::Real(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Label, E> {
                Ok(Label::Text(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// What a system's trajectories describe.
#[derive(Debug, Clone, PartialEq)]
pub enum SystemSource {
    /// Atoms of a molecule: trajectories are MD files of the topology's atoms.
    Molecule {
        /// Topology file, resolved against the manifest's folder.
        topology: PathBuf,
        /// Selection overriding the manifest's, if any.
        selection: Option<String>,
    },
    /// Nodes of a given graph: trajectories are `(T, N, c)` arrays ([`crate::nodes`]).
    Graph {
        /// Edge-list file, resolved against the manifest's folder.
        graph: PathBuf,
        /// The node count `N`, when the manifest states it.
        nodes: Option<usize>,
    },
}

/// One system: a molecule or a graph, its trajectories and their label.
#[derive(Debug, Clone, PartialEq)]
pub struct System {
    /// Unique name.
    pub name: String,
    /// The topology or the graph.
    pub source: SystemSource,
    /// Trajectory files (at least one), resolved against the manifest's folder.
    pub trajectories: Vec<PathBuf>,
    /// The label of every trajectory of the system.
    pub label: Label,
    /// Split group; `None` makes each trajectory its own group.
    pub group: Option<String>,
    /// The part of a given split this system's trajectories belong to (key `split`); when
    /// one system has it, every system has it.
    pub split: Option<SplitPart>,
}

impl System {
    /// The file describing the system: its topology or its edge list.
    pub fn source_file(&self) -> &Path {
        match &self.source {
            SystemSource::Molecule { topology, .. } => topology,
            SystemSource::Graph { graph, .. } => graph,
        }
    }

    /// Whether the system is a graph of node time series.
    pub fn is_graph(&self) -> bool {
        matches!(self.source, SystemSource::Graph { .. })
    }
}

/// A validated manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    path: PathBuf,
    selection: Option<String>,
    windowing: Windowing,
    systems: Vec<System>,
    allow_truncated: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    selection: Option<String>,
    #[serde(default)]
    allow_truncated: bool,
    #[serde(default)]
    windowing: RawWindowing,
    #[serde(default, rename = "system")]
    systems: Vec<RawSystem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindowing {
    #[serde(default = "default_windows")]
    windows: usize,
    #[serde(default = "default_stride")]
    stride: usize,
}

impl Default for RawWindowing {
    fn default() -> RawWindowing {
        RawWindowing { windows: default_windows(), stride: default_stride() }
    }
}

fn default_windows() -> usize {
    25
}

fn default_stride() -> usize {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSystem {
    name: String,
    topology: Option<PathBuf>,
    graph: Option<PathBuf>,
    nodes: Option<usize>,
    trajectories: OneOrMany,
    label: Label,
    group: Option<String>,
    selection: Option<String>,
    split: Option<SplitPart>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(PathBuf),
    Many(Vec<PathBuf>),
}

impl Manifest {
    /// Reads, parses and validates a manifest file, including that every file it names exists.
    pub fn load(path: impl AsRef<Path>) -> Result<Manifest, ManifestError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ManifestError::new(path, None, ManifestErrorKind::Io(e.to_string())))?;
        let manifest = Manifest::parse(&text, path)?;
        manifest.check_files()?;
        Ok(manifest)
    }

    /// Parses and validates manifest text as if it were the file `path` (relative paths
    /// resolve against `path`'s folder), without checking that the files exist.
    pub fn parse(text: &str, path: impl AsRef<Path>) -> Result<Manifest, ManifestError> {
        let path = path.as_ref();
        let raw: RawManifest = toml::from_str(text).map_err(|e| {
            let entry = e.span().and_then(|s| system_at(text, s.start));
            ManifestError::new(path, entry, ManifestErrorKind::Toml(e.message().to_string()))
        })?;
        let err = |entry: Option<String>, kind| ManifestError::new(path, entry, kind);
        if let Some(selection) = &raw.selection {
            Selection::parse(selection)
                .map_err(|e| err(None, ManifestErrorKind::Selection(Box::new(e))))?;
        }
        let windowing = Windowing::new(raw.windowing.windows, raw.windowing.stride)
            .map_err(|e| err(None, ManifestErrorKind::Windowing(e)))?;
        if raw.systems.is_empty() {
            return Err(err(None, ManifestErrorKind::NoSystems));
        }
        let base = path.parent().unwrap_or(Path::new(""));
        let mut systems: Vec<System> = Vec::with_capacity(raw.systems.len());
        for (k, s) in raw.systems.into_iter().enumerate() {
            let entry = if s.name.trim().is_empty() {
                return Err(err(Some(format!("#{}", k + 1)), ManifestErrorKind::EmptyName));
            } else {
                Some(s.name.clone())
            };
            if systems.iter().any(|o| o.name == s.name) {
                return Err(err(entry, ManifestErrorKind::DuplicateName));
            }
            if let Some(sel) = &s.selection {
                Selection::parse(sel)
                    .map_err(|e| err(entry.clone(), ManifestErrorKind::Selection(Box::new(e))))?;
            }
            let source = match (s.topology, s.graph) {
                (Some(_), Some(_)) => {
                    return Err(err(entry, ManifestErrorKind::TopologyAndGraph));
                }
                (None, None) => return Err(err(entry, ManifestErrorKind::NoTopologyOrGraph)),
                (Some(topology), None) => {
                    if s.nodes.is_some() {
                        let kind =
                            ManifestErrorKind::KeyNotForKind { key: "nodes", kind: "molecule" };
                        return Err(err(entry, kind));
                    }
                    if s.selection.is_none() && raw.selection.is_none() {
                        return Err(err(entry, ManifestErrorKind::NoSelection));
                    }
                    SystemSource::Molecule { topology: base.join(topology), selection: s.selection }
                }
                (None, Some(graph)) => {
                    if s.selection.is_some() {
                        let kind =
                            ManifestErrorKind::KeyNotForKind { key: "selection", kind: "graph" };
                        return Err(err(entry, kind));
                    }
                    if s.nodes == Some(0) {
                        return Err(err(entry, ManifestErrorKind::ZeroNodes));
                    }
                    SystemSource::Graph { graph: base.join(graph), nodes: s.nodes }
                }
            };
            let trajectories = match s.trajectories {
                OneOrMany::One(p) => vec![p],
                OneOrMany::Many(v) => v,
            };
            if trajectories.is_empty() {
                return Err(err(entry, ManifestErrorKind::NoTrajectories));
            }
            if let Some(first) = systems.first()
                && matches!(first.label, Label::Text(_)) != matches!(s.label, Label::Text(_))
            {
                return Err(err(entry, ManifestErrorKind::MixedLabels));
            }
            systems.push(System {
                name: s.name,
                source,
                trajectories: trajectories.into_iter().map(|t| base.join(t)).collect(),
                label: s.label,
                group: s.group,
                split: s.split,
            });
        }
        check_given_split(&systems, |entry, kind| err(Some(entry), kind))?;
        Ok(Manifest {
            path: path.to_path_buf(),
            selection: raw.selection,
            windowing,
            systems,
            allow_truncated: raw.allow_truncated,
        })
    }

    /// Checks that every topology, graph and trajectory file exists.
    pub fn check_files(&self) -> Result<(), ManifestError> {
        for s in &self.systems {
            for f in
                std::iter::once(s.source_file()).chain(s.trajectories.iter().map(|t| t.as_path()))
            {
                if !f.is_file() {
                    return Err(ManifestError::new(
                        &self.path,
                        Some(s.name.clone()),
                        ManifestErrorKind::MissingFile(f.to_path_buf()),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The manifest's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether trajectories whose last frame is cut short are read up to it, with a warning
    /// (key `allow_truncated`, default false: such a file is an error).
    pub fn allow_truncated(&self) -> bool {
        self.allow_truncated
    }

    /// The global selection expression, if the manifest has one.
    pub fn selection(&self) -> Option<&str> {
        self.selection.as_deref()
    }

    /// The selection for a molecule `system`: its own when it has one, else the global one
    /// (parsing guarantees one of them). `None` for a graph system.
    pub fn selection_for<'a>(&'a self, system: &'a System) -> Option<&'a str> {
        match &system.source {
            SystemSource::Molecule { selection, .. } => {
                selection.as_deref().or(self.selection.as_deref())
            }
            SystemSource::Graph { .. } => None,
        }
    }

    /// Reads a graph `system`'s edge list and fixes its node and channel counts: `N` from the
    /// `nodes` key, else from the first trajectory, whose channel count `c` every other
    /// trajectory must share. Errors name the manifest, the system and the key (`graph`,
    /// `nodes` or `trajectories`).
    pub fn node_graph(&self, system: &System) -> Result<NodeGraph, ManifestError> {
        let SystemSource::Graph { graph, nodes } = &system.source else {
            return Err(self.system_error(system, ManifestErrorKind::NotAGraph));
        };
        let data_error = |key, e| {
            self.system_error(system, ManifestErrorKind::NodeData { key, source: Box::new(e) })
        };
        let edges = read_edge_list(graph).map_err(|e| data_error("graph", e))?;
        let first = system
            .trajectories
            .first()
            .ok_or_else(|| self.system_error(system, ManifestErrorKind::NoTrajectories))?;
        let series = read_node_series(first).map_err(|e| data_error("trajectories", e))?;
        if let Some(n) = *nodes
            && n != series.nodes
        {
            let kind =
                crate::nodes::NodeDataErrorKind::NodeCount { found: series.nodes, expected: n };
            let e = NodeDataError { path: first.clone(), kind };
            return Err(data_error("nodes", e));
        }
        NodeGraph::new(graph, &edges, series.nodes, series.channels)
            .map_err(|e| data_error("graph", e))
    }

    /// Reads one trajectory of a graph `system` and checks it against `graph` (from
    /// [`Manifest::node_graph`]).
    pub fn node_series(
        &self,
        system: &System,
        trajectory: &Path,
        graph: &NodeGraph,
    ) -> Result<NodeSeries, ManifestError> {
        let data_error = |e| {
            let kind = ManifestErrorKind::NodeData { key: "trajectories", source: Box::new(e) };
            self.system_error(system, kind)
        };
        let series = read_node_series(trajectory).map_err(data_error)?;
        series.check_against(trajectory, graph).map_err(data_error)?;
        Ok(series)
    }

    fn system_error(&self, system: &System, kind: ManifestErrorKind) -> ManifestError {
        ManifestError::new(&self.path, Some(system.name.clone()), kind)
    }

    /// The windowing plan.
    pub fn windowing(&self) -> Windowing {
        self.windowing
    }

    /// The systems, in file order.
    pub fn systems(&self) -> &[System] {
        &self.systems
    }

    /// Every trajectory as `(system index, trajectory path)`, in manifest order: the units
    /// that [`Manifest::split_units`] describes, index for index.
    pub fn trajectories(&self) -> Vec<(usize, &Path)> {
        self.systems
            .iter()
            .enumerate()
            .flat_map(|(k, s)| s.trajectories.iter().map(move |t| (k, t.as_path())))
            .collect()
    }

    /// The split the manifest gives (`split`), over [`Manifest::trajectories`], if any.
    pub fn given_split(&self) -> Option<Split> {
        let mut split = Split::default();
        for (t, (k, _)) in self.trajectories().into_iter().enumerate() {
            match self.systems[k].split? {
                SplitPart::Train => split.train.push(t),
                SplitPart::Validation => split.validation.push(t),
                SplitPart::Test => split.test.push(t),
            }
        }
        Some(split)
    }

    /// One [`SplitUnit`] per trajectory (same order as [`Manifest::trajectories`]), carrying
    /// the system's label and group.
    pub fn split_units(&self) -> Vec<SplitUnit> {
        self.trajectories()
            .into_iter()
            .map(|(k, _)| SplitUnit {
                label: self.systems[k].label.to_string(),
                group: self.systems[k].group.clone(),
            })
            .collect()
    }
}

/// A given split is all or nothing, and a group lies in one part.
fn check_given_split(
    systems: &[System],
    err: impl Fn(String, ManifestErrorKind) -> ManifestError,
) -> Result<(), ManifestError> {
    let Some(first) = systems.iter().find(|s| s.split.is_some()) else { return Ok(()) };
    if let Some(without) = systems.iter().find(|s| s.split.is_none()) {
        return Err(err(without.name.clone(), ManifestErrorKind::PartialSplit(first.name.clone())));
    }
    let mut parts: BTreeMap<&str, (&str, SplitPart)> = BTreeMap::new();
    for s in systems {
        let (Some(group), Some(part)) = (&s.group, s.split) else { continue };
        if let Some(&(other, p)) = parts.get(group.as_str()).filter(|(_, p)| *p != part) {
            let (group, other) = (group.clone(), other.to_string());
            let kind = ManifestErrorKind::GroupAcrossParts { group, other, parts: (p, part) };
            return Err(err(s.name.clone(), kind));
        }
        parts.insert(group, (&s.name, part));
    }
    Ok(())
}

/// The 1-based `[[system]]` entry that contains byte `offset`, if any, as `#k`.
fn system_at(text: &str, offset: usize) -> Option<String> {
    let before = text.get(..offset)?;
    let k = before.lines().filter(|l| l.trim_start().starts_with("[[system]]")).count();
    (k > 0).then(|| format!("#{k}"))
}
