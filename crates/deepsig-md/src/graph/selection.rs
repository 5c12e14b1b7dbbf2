//! The graph over a selection of atoms that the model uses (docs/graphs.md).
//!
//! The induced subgraph of the bond graph loses every edge of a coarse selection: `name CA`
//! atoms are bonded to N and C, never to each other. So two selected atoms are joined when
//! a bond path links them through unselected atoms only (the bond graph with the unselected
//! atoms contracted away). Residues that carry no bond at all (a CA-only PDB without
//! `CONECT` records, where 3.8 Angstrom CA-CA distances are not covalent) get the chain
//! trace instead: consecutive selected atoms of one chain and segment, in residue order,
//! at most [`TRACE_MAX_DISTANCE`] apart in the reference structure.

use super::residue::residues;
use super::{Graph, GraphError};
use crate::model::Topology;
use crate::select::AtomSelection;

/// The longest CA-CA (or backbone) step the chain trace bridges, in Angstrom: trans peptides
/// give 3.8, cis 2.9; a longer gap is a chain break.
pub const TRACE_MAX_DISTANCE: f64 = 4.2;

/// The model's graph over the selected atoms and where its edges came from.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectionGraph {
    /// Nodes are the selected atoms in selection order.
    pub graph: Graph,
    /// Edges from bond paths (direct bonds or through unselected atoms).
    pub bonded_edges: usize,
    /// Edges from the chain trace of residues without bonds.
    pub trace_edges: usize,
}

/// Counts a user reads before training on a graph: see `deepsig info --select`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphSummary {
    /// Nodes.
    pub nodes: usize,
    /// Undirected edges.
    pub edges: usize,
    /// Connected components (an isolated node is one).
    pub components: usize,
    /// Nodes without an edge.
    pub isolated: usize,
}

impl Graph {
    /// Node, edge, component and isolated-node counts.
    pub fn summary(&self) -> GraphSummary {
        let labels = self.components();
        GraphSummary {
            nodes: self.n_nodes(),
            edges: self.n_edges(),
            components: labels.iter().max().map_or(0, |&m| m as usize + 1),
            isolated: (0..self.n_nodes()).filter(|&i| self.degree(i) == 0).count(),
        }
    }

    /// The bond graph contracted onto the selection: selected atoms `a` and `b` are joined
    /// when a path of bonds links them whose inner atoms are all unselected. Nodes are
    /// renumbered `0..selection.len()` in selection order, as [`Graph::induced_subgraph`].
    ///
    /// Equivalently: direct bonds between selected atoms, plus a clique on the selected
    /// neighbours of each connected component of the unselected atoms. Linear in the graph
    /// size plus the edges it returns.
    pub fn contracted_subgraph(&self, selection: &AtomSelection) -> Result<Graph, GraphError> {
        let (new_id, mut edges) = self.induced_edges(selection)?;
        let mut seen = vec![false; self.n_nodes()];
        let (mut stack, mut touching) = (Vec::new(), Vec::new());
        for root in 0..self.n_nodes() {
            if seen[root] || new_id[root] != u32::MAX {
                continue;
            }
            seen[root] = true;
            stack.push(root);
            touching.clear();
            while let Some(v) = stack.pop() {
                for &w in self.neighbours(v) {
                    let w = w as usize;
                    if new_id[w] != u32::MAX {
                        touching.push(new_id[w]);
                    } else if !seen[w] {
                        seen[w] = true;
                        stack.push(w);
                    }
                }
            }
            touching.sort_unstable();
            touching.dedup();
            for (a, &x) in touching.iter().enumerate() {
                edges.extend(touching[a + 1..].iter().map(|&y| (x, y)));
            }
        }
        Graph::from_edges(selection.len(), &edges)
    }
}

/// The model's graph over `selection` (module docs): the contracted bond graph `bonds`, plus
/// the chain trace for selected atoms whose residue has no bond. `positions` (one per
/// topology atom: the reference structure) decide the trace's distance test; without them
/// residues without bonds stay unconnected.
pub fn selection_graph(
    topology: &Topology,
    bonds: &Graph,
    selection: &AtomSelection,
    positions: Option<&[[f32; 3]]>,
) -> Result<SelectionGraph, GraphError> {
    let contracted = bonds.contracted_subgraph(selection)?;
    let bonded_edges = contracted.n_edges();
    let trace = match positions {
        Some(p) => chain_trace(topology, bonds, selection, p)?,
        None => Vec::new(),
    };
    if trace.is_empty() {
        return Ok(SelectionGraph { graph: contracted, bonded_edges, trace_edges: 0 });
    }
    let mut all: Vec<(u32, u32)> = contracted.edges().collect();
    all.extend(&trace);
    let graph = Graph::from_edges(selection.len(), &all)?;
    let trace_edges = graph.n_edges() - bonded_edges;
    Ok(SelectionGraph { graph, bonded_edges, trace_edges })
}

/// Trace edges (selection numbering) between consecutive selected atoms of bond-free
/// residues: same chain and segment, residue number equal or one more, at most
/// [`TRACE_MAX_DISTANCE`] apart.
fn chain_trace(
    topology: &Topology,
    bonds: &Graph,
    selection: &AtomSelection,
    positions: &[[f32; 3]],
) -> Result<Vec<(u32, u32)>, GraphError> {
    if positions.len() != topology.atoms.len() {
        return Err(GraphError::SizeMismatch {
            what: "reference positions",
            expected: topology.atoms.len(),
            got: positions.len(),
        });
    }
    let mut bond_free = vec![false; topology.atoms.len()];
    for residue in residues(topology) {
        if residue.clone().all(|i| bonds.degree(i) == 0) {
            bond_free[residue].fill(true);
        }
    }
    let picked = selection.indices();
    let mut out = Vec::new();
    for (k, pair) in picked.windows(2).enumerate() {
        let (i, j) = (pair[0] as usize, pair[1] as usize);
        let (a, b) = (&topology.atoms[i], &topology.atoms[j]);
        let consecutive = matches!(b.resid.checked_sub(a.resid), Some(0 | 1));
        if !(bond_free[i]
            && bond_free[j]
            && consecutive
            && a.chain == b.chain
            && a.segid == b.segid)
        {
            continue;
        }
        let d2: f64 = (0..3).map(|c| f64::from(positions[i][c] - positions[j][c]).powi(2)).sum();
        if !d2.is_finite() {
            let finite = |x: usize| positions[x].iter().all(|v| v.is_finite());
            return Err(GraphError::NonFinite { atom: if finite(i) { j } else { i } });
        }
        if d2 <= TRACE_MAX_DISTANCE * TRACE_MAX_DISTANCE {
            out.push((k as u32, k as u32 + 1));
        }
    }
    Ok(out)
}
