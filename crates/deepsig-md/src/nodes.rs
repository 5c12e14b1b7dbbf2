//! Generic node time series on a given graph: the input of a manifest's graph systems
//! (gene-regulatory networks, or any process with a scalar or vector state per node).
//!
//! - The graph is an edge list, one `i,j` pair of 0-based node indices per line (a comma,
//!   spaces or a tab between them). Blank lines and lines starting with `#` are skipped, and
//!   a first line without any number is a header (`source,target`). Edges are
//!   undirected: `i,j` and `j,i` are the same edge, listed once; self loops are dropped
//!   because the model's graph convolution adds every node's own term itself.
//! - A trajectory is one array of shape `(T, N, c)`: `T` frames of `N` nodes with `c`
//!   channels each, float32 or float64, in a `.npy` file or an `.npz` archive
//!   ([`crate::read_array`]). Values are kept as they are: no alignment, no periodic repair,
//!   which only mean something for Cartesian coordinates.
//!
//! The checks here (edge index out of range, a non-3-D array, a node or channel count
//! differing between files, a non-finite value) return [`NodeDataError`]s naming the file
//! and the line, frame or node; [`crate::Manifest`] adds the manifest, system and key.

use std::path::{Path, PathBuf};

use crate::npy::{ArrayError, read_array};

/// A graph system's graph: node count, channels per node, and undirected edges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeGraph {
    /// Nodes `N`.
    pub nodes: usize,
    /// Channels `c` per node and frame.
    pub channels: usize,
    /// Undirected edges `(i, j)` with `i < j`, each once, sorted.
    pub edges: Vec<(u32, u32)>,
}

/// One trajectory of node values.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeSeries {
    /// Frames `T`.
    pub frames: usize,
    /// Nodes `N`.
    pub nodes: usize,
    /// Channels `c`.
    pub channels: usize,
    /// Values, `[T, N, c]` row-major, all finite.
    pub values: Vec<f32>,
}

/// One edge as written in the file, with its 1-based line number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdgeLine {
    /// First node.
    pub i: u64,
    /// Second node.
    pub j: u64,
    /// Line in the file.
    pub line: usize,
}

/// Reads an edge list (see the module docs) without knowing the node count yet.
pub fn read_edge_list(path: &Path) -> Result<Vec<EdgeLine>, NodeDataError> {
    let text = std::fs::read_to_string(path).map_err(|e| NodeDataError {
        path: path.to_path_buf(),
        kind: NodeDataErrorKind::Io(e.to_string()),
    })?;
    parse_edge_list(&text, path)
}

/// [`read_edge_list`] of text in memory; `label` names it in errors.
pub fn parse_edge_list(text: &str, label: &Path) -> Result<Vec<EdgeLine>, NodeDataError> {
    let path = label;
    let err = |kind| NodeDataError { path: path.to_path_buf(), kind };
    let mut edges = Vec::new();
    let mut first = true;
    for (k, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> =
            line.split(|c: char| c == ',' || c.is_whitespace()).filter(|f| !f.is_empty()).collect();
        let parsed = match fields.as_slice() {
            [a, b] => a.parse::<u64>().ok().zip(b.parse::<u64>().ok()),
            _ => None,
        };
        match parsed {
            Some((i, j)) => edges.push(EdgeLine { i, j, line: k + 1 }),
            // A header is allowed only before the first edge, and only without numbers, so
            // that a first edge like `0,-1` is reported rather than skipped.
            None if first && fields.iter().all(|f| f.parse::<f64>().is_err()) => {}
            None => {
                return Err(err(NodeDataErrorKind::BadEdgeLine { line: k + 1, text: line.into() }));
            }
        }
        first = false;
    }
    Ok(edges)
}

impl NodeGraph {
    /// The graph of `edges` on `nodes` nodes with `channels` channels; `path` is the edge
    /// list, for errors.
    pub fn new(
        path: &Path,
        edges: &[EdgeLine],
        nodes: usize,
        channels: usize,
    ) -> Result<NodeGraph, NodeDataError> {
        let mut out = Vec::with_capacity(edges.len());
        for e in edges {
            if let Some(&node) = [e.i, e.j].iter().find(|&&v| v >= nodes as u64) {
                return Err(NodeDataError {
                    path: path.to_path_buf(),
                    kind: NodeDataErrorKind::EdgeOutOfRange { line: e.line, node, nodes },
                });
            }
            if e.i != e.j {
                // Both below `nodes`, which came from a usize array dimension or the manifest.
                let (a, b) = (e.i.min(e.j) as u32, e.i.max(e.j) as u32);
                out.push((a, b));
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(NodeGraph { nodes, channels, edges: out })
    }
}

/// Reads the `(T, N, c)` array in `path` and checks that it has three non-zero dimensions and
/// only finite values (float64 is rounded to float32, the model's precision).
pub fn read_node_series(path: &Path) -> Result<NodeSeries, NodeDataError> {
    let array = read_array(path).map_err(NodeDataError::from)?;
    let err = |kind| NodeDataError { path: path.to_path_buf(), kind };
    let &[frames, nodes, channels] = array.shape() else {
        return Err(err(NodeDataErrorKind::NotThreeD(array.shape().to_vec())));
    };
    if frames == 0 || nodes == 0 || channels == 0 {
        return Err(err(NodeDataErrorKind::Empty([frames, nodes, channels])));
    }
    let values = array.to_f32();
    if let Some(at) = values.iter().position(|v| !v.is_finite()) {
        let (frame, node, channel) =
            (at / (nodes * channels), at / channels % nodes, at % channels);
        return Err(err(NodeDataErrorKind::NotFinite { frame, node, channel }));
    }
    Ok(NodeSeries { frames, nodes, channels, values })
}

impl NodeSeries {
    /// Checks that the series has the graph's node and channel counts; `path` names it.
    pub fn check_against(&self, path: &Path, graph: &NodeGraph) -> Result<(), NodeDataError> {
        let err = |kind| NodeDataError { path: path.to_path_buf(), kind };
        if self.nodes != graph.nodes {
            return Err(err(NodeDataErrorKind::NodeCount {
                found: self.nodes,
                expected: graph.nodes,
            }));
        }
        if self.channels != graph.channels {
            return Err(err(NodeDataErrorKind::ChannelCount {
                found: self.channels,
                expected: graph.channels,
            }));
        }
        Ok(())
    }
}

/// A graph or node-series file that is unreadable or inconsistent.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}: {kind}", path.display())]
#[non_exhaustive]
pub struct NodeDataError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub kind: NodeDataErrorKind,
}

impl From<ArrayError> for NodeDataError {
    fn from(e: ArrayError) -> NodeDataError {
        NodeDataError { path: e.path, kind: NodeDataErrorKind::Array(e.kind) }
    }
}

/// The kinds of [`NodeDataError`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum NodeDataErrorKind {
    /// The file could not be read.
    #[error("cannot read: {0}")]
    Io(String),
    /// An edge-list line that is not two non-negative integers.
    #[error("line {line}: expected two 0-based node indices `i,j`, found `{text}`")]
    BadEdgeLine {
        /// 1-based line.
        line: usize,
        /// The line's text.
        text: String,
    },
    /// An edge naming a node that does not exist.
    #[error("line {line}: node {node} is out of range for {nodes} nodes (indices are 0-based)")]
    EdgeOutOfRange {
        /// 1-based line.
        line: usize,
        /// The index.
        node: u64,
        /// The node count.
        nodes: usize,
    },
    /// The array could not be read.
    #[error("{0}")]
    Array(crate::npy::ArrayErrorKind),
    /// Not a `(T, N, c)` array.
    #[error("the array has shape {0:?}; expected 3 dimensions (frames, nodes, channels)")]
    NotThreeD(Vec<usize>),
    /// A zero dimension.
    #[error("the array has shape {0:?}; every dimension must be at least 1")]
    Empty([usize; 3]),
    /// A NaN or infinite value (or a float64 beyond the float32 range).
    #[error("frame {frame}, node {node}, channel {channel}: the value is not finite")]
    NotFinite {
        /// 0-based frame.
        frame: usize,
        /// 0-based node.
        node: usize,
        /// 0-based channel.
        channel: usize,
    },
    /// A node count differing from the system's.
    #[error("{found} nodes, but the system has {expected}")]
    NodeCount {
        /// In this file.
        found: usize,
        /// The system's (its `nodes` key or first trajectory).
        expected: usize,
    },
    /// A channel count differing from the system's.
    #[error("{found} channels per node, but the system's first trajectory has {expected}")]
    ChannelCount {
        /// In this file.
        found: usize,
        /// The first trajectory's.
        expected: usize,
    },
}
