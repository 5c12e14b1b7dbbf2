//! Undirected graphs over atoms or residues: CSR adjacency, bonds (from the file or guessed),
//! induced subgraphs, residue graphs and distance-cutoff contact graphs.
//!
//! Every [`Graph`] is undirected (each edge stored in both directions), has no self-loops and
//! no duplicate edges, and keeps each neighbour list sorted, so message passing over it is
//! symmetric and deterministic (the reference code stored one direction only;
//! docs/reference-code.md, "Edges").

mod bonds;
mod cells;
mod residue;
mod selection;

use crate::model::UnitCell;
use crate::periodic::{PbcError, PeriodicCell};
use crate::select::AtomSelection;

pub use bonds::{
    BondOptions, BondSource, bond_graph, bonds, covalent_radius, guess_bonds, peptide_bonds,
};
pub use residue::{ResidueGraph, residue_ordinals, residues};
pub use selection::{GraphSummary, SelectionGraph, TRACE_MAX_DISTANCE, selection_graph};

/// An undirected simple graph in compressed sparse row form.
///
/// Invariants (private fields): `offsets` has `n + 1` non-decreasing entries starting at 0;
/// `targets[offsets[i]..offsets[i + 1]]` are the neighbours of node `i`, strictly increasing,
/// never `i`; `j` is a neighbour of `i` exactly when `i` is a neighbour of `j`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Graph {
    offsets: Vec<usize>,
    targets: Vec<u32>,
}

/// An edge as a pair of node ids.
type Edge = (u32, u32);

impl Graph {
    /// Builds the graph on `n_nodes` nodes from edges given in any order and either direction.
    ///
    /// Duplicates and reversed duplicates collapse to one edge; self-loops `(i, i)` are dropped
    /// (an intra-residue bond in a residue graph is not an edge). An endpoint `>= n_nodes`, or
    /// more nodes than `u32` indexes, is an error.
    pub fn from_edges(n_nodes: usize, edges: &[(u32, u32)]) -> Result<Graph, GraphError> {
        if u32::try_from(n_nodes).is_err() {
            return Err(GraphError::TooManyNodes(n_nodes));
        }
        let mut directed: Vec<(u32, u32)> = Vec::with_capacity(edges.len() * 2);
        for &(i, j) in edges {
            for v in [i, j] {
                if v as usize >= n_nodes {
                    return Err(GraphError::NodeOutOfRange { node: v as usize, n_nodes });
                }
            }
            if i != j {
                directed.push((i, j));
                directed.push((j, i));
            }
        }
        directed.sort_unstable();
        directed.dedup();
        let mut offsets = vec![0usize; n_nodes + 1];
        for &(i, _) in &directed {
            offsets[i as usize + 1] += 1;
        }
        for k in 0..n_nodes {
            offsets[k + 1] += offsets[k];
        }
        let targets = directed.into_iter().map(|(_, j)| j).collect();
        Ok(Graph { offsets, targets })
    }

    /// Number of nodes.
    pub fn n_nodes(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Number of undirected edges (each counted once).
    pub fn n_edges(&self) -> usize {
        self.targets.len() / 2
    }

    /// Sorted neighbours of `node`; empty for a node out of range.
    pub fn neighbours(&self, node: usize) -> &[u32] {
        match (self.offsets.get(node), self.offsets.get(node + 1)) {
            (Some(&a), Some(&b)) => &self.targets[a..b],
            _ => &[],
        }
    }

    /// Degree of `node` (0 for a node out of range).
    pub fn degree(&self, node: usize) -> usize {
        self.neighbours(node).len()
    }

    /// Whether `i` and `j` are joined by an edge.
    pub fn has_edge(&self, i: usize, j: usize) -> bool {
        u32::try_from(j).is_ok_and(|j| self.neighbours(i).binary_search(&j).is_ok())
    }

    /// Each undirected edge once, as `(i, j)` with `i < j`, in increasing order.
    pub fn edges(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        (0..self.n_nodes()).flat_map(move |i| {
            self.neighbours(i).iter().filter(move |&&j| j as usize > i).map(move |&j| (i as u32, j))
        })
    }

    /// CSR row offsets (`n_nodes + 1` entries).
    pub fn offsets(&self) -> &[usize] {
        &self.offsets
    }

    /// CSR column indices: every edge in both directions, grouped by source node.
    pub fn targets(&self) -> &[u32] {
        &self.targets
    }

    /// Both directions of every edge as parallel source and target arrays (a PyG-style
    /// `edge_index` of shape `[2, 2 * n_edges]`).
    pub fn edge_index(&self) -> (Vec<u32>, Vec<u32>) {
        let sources = (0..self.n_nodes())
            .flat_map(|i| std::iter::repeat_n(i as u32, self.degree(i)))
            .collect();
        (sources, self.targets.clone())
    }

    /// The subgraph induced by the selected atoms, renumbered `0..selection.len()` in selection
    /// order: selected atom `selection.indices()[k]` becomes node `k`, and an edge is kept when
    /// both its ends are selected.
    ///
    /// Errors when the selection was made on a topology with a different atom count.
    pub fn induced_subgraph(&self, selection: &AtomSelection) -> Result<Graph, GraphError> {
        let (_, edges) = self.induced_edges(selection)?;
        Graph::from_edges(selection.len(), &edges)
    }

    /// The new id of every topology atom (`u32::MAX` when unselected) and the induced edges
    /// in new ids: the start of [`Graph::induced_subgraph`] and [`Graph::contracted_subgraph`].
    fn induced_edges(
        &self,
        selection: &AtomSelection,
    ) -> Result<(Vec<u32>, Vec<Edge>), GraphError> {
        if selection.topology_atoms() != self.n_nodes() {
            return Err(GraphError::SizeMismatch {
                what: "selection topology",
                expected: self.n_nodes(),
                got: selection.topology_atoms(),
            });
        }
        let mut new_id = vec![u32::MAX; self.n_nodes()];
        for (k, &i) in selection.indices().iter().enumerate() {
            new_id[i as usize] = k as u32;
        }
        let mut edges = Vec::new();
        for &i in selection.indices() {
            for &j in self.neighbours(i as usize) {
                let nj = new_id[j as usize];
                if nj != u32::MAX && j > i {
                    edges.push((new_id[i as usize], nj));
                }
            }
        }
        Ok((new_id, edges))
    }

    /// Connected-component label of every node: components are numbered 0, 1, ... in order of
    /// their lowest node index.
    pub fn components(&self) -> Vec<u32> {
        let n = self.n_nodes();
        let mut label = vec![u32::MAX; n];
        let mut stack = Vec::new();
        let mut next = 0u32;
        for root in 0..n {
            if label[root] != u32::MAX {
                continue;
            }
            label[root] = next;
            stack.push(root);
            while let Some(v) = stack.pop() {
                for &w in self.neighbours(v) {
                    if label[w as usize] == u32::MAX {
                        label[w as usize] = next;
                        stack.push(w as usize);
                    }
                }
            }
            next += 1;
        }
        label
    }
}

/// The graph joining every pair of points closer than `cutoff` Angstrom (`d <= cutoff`).
///
/// With a `cell`, distances are minimum-image distances in that periodic box, any shape
/// (triclinic included); a pair closer than the cutoff through several images still gives one
/// edge. Uses a cell list, so the cost is linear in the number of points for a fixed density.
pub fn contact_graph(
    positions: &[[f32; 3]],
    cell: Option<&UnitCell>,
    cutoff: f64,
) -> Result<Graph, GraphError> {
    if !(cutoff.is_finite() && cutoff > 0.0) {
        return Err(GraphError::BadCutoff(cutoff));
    }
    let periodic = cell.map(PeriodicCell::new).transpose()?;
    let points = cells::checked_points(positions)?;
    let mut edges = Vec::new();
    let cut2 = cutoff * cutoff;
    cells::for_each_pair(&points, periodic.as_ref(), cutoff, |i, j, d2| {
        if d2 <= cut2 {
            edges.push((i, j));
        }
    });
    Graph::from_edges(positions.len(), &edges)
}

/// Why a graph could not be built.
///
/// No `source`: `Cell` displays the periodic-box error itself, which a source would repeat
/// under `{err:#}`; it stays reachable as `GraphError::Cell`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum GraphError {
    /// An edge names a node that does not exist.
    #[error("edge endpoint {node} is out of range for {n_nodes} nodes")]
    NodeOutOfRange {
        /// The node.
        node: usize,
        /// The node count.
        n_nodes: usize,
    },
    /// More nodes than 32-bit indices address.
    #[error("{0} nodes is more than 32-bit indices address")]
    TooManyNodes(usize),
    /// Two inputs that must describe the same atoms do not.
    #[error("{what} has {got} atoms, expected {expected}")]
    SizeMismatch {
        /// Which input.
        what: &'static str,
        /// The size required.
        expected: usize,
        /// The size given.
        got: usize,
    },
    /// A position is NaN or infinite.
    #[error("atom {atom} has a non-finite position")]
    NonFinite {
        /// The atom.
        atom: usize,
    },
    /// A distance cutoff or tolerance that is not a finite positive number.
    #[error("distance {0} must be finite and positive")]
    BadCutoff(f64),
    /// Bonds must be guessed but no coordinates were given.
    #[error("bonds must be guessed from coordinates, but none were given")]
    NoPositions,
    /// The periodic box is unusable.
    #[error("{0}")]
    Cell(PbcError),
}

impl From<PbcError> for GraphError {
    fn from(e: PbcError) -> GraphError {
        GraphError::Cell(e)
    }
}
