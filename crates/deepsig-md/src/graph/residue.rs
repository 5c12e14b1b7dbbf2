//! Residues as atom ranges, and the residue-level graph (nodes are residues).

use std::ops::Range;

use super::{Graph, GraphError};
use crate::model::{Atom, Topology};
use crate::select::AtomSelection;

/// The residues of a topology as atom-index ranges, in file order.
///
/// A residue is a maximal run of consecutive atoms sharing resid, resname, segid and chain,
/// as MDAnalysis's readers group them (a change of resid or resname starts a new residue).
/// This is the one definition of a residue in deepsig: the residue graph, the model's residue
/// cliques and fixed residue blocks ([`residue_ordinals`]) all use it.
pub fn residues(topology: &Topology) -> Vec<Range<usize>> {
    let atoms = &topology.atoms;
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=atoms.len() {
        let boundary = i == atoms.len() || !same_residue(&atoms[i - 1], &atoms[i]);
        if boundary && i > start {
            out.push(start..i);
            start = i;
        }
    }
    out
}

/// Whether two neighbouring atoms of a file belong to the same residue.
fn same_residue(a: &Atom, b: &Atom) -> bool {
    a.resid == b.resid && a.resname == b.resname && a.segid == b.segid && a.chain == b.chain
}

/// The residue of each of the atoms `indices` (ascending topology indices, e.g. a
/// selection's), numbered 0, 1, … in order of appearance among them: atoms of one
/// [`residues`] range share a number.
pub fn residue_ordinals(topology: &Topology, indices: &[u32]) -> Vec<u32> {
    let mut residue_of = vec![0u32; topology.atoms.len()];
    for (r, range) in residues(topology).into_iter().enumerate() {
        residue_of[range].fill(r as u32);
    }
    let mut out = Vec::with_capacity(indices.len());
    let mut previous = None;
    for &i in indices {
        let residue = residue_of[i as usize];
        let ordinal = match (previous, out.last()) {
            (Some(p), Some(&o)) if p == residue => o,
            (_, Some(&o)) => o + 1,
            _ => 0,
        };
        out.push(ordinal);
        previous = Some(residue);
    }
    out
}

/// A graph whose nodes are the residues holding at least one selected atom.
///
/// Node `k` is the k-th such residue in file order; its position is the centroid of its
/// *selected* atoms ([`ResidueGraph::centroids`]). Two residues are joined when any bond of
/// the full bond graph links an atom of one to an atom of the other, whether or not those
/// atoms are selected, so a C-alpha-only residue graph still follows the peptide chain.
/// Bonds inside a residue give no edge (the reference code's self-loops are dropped).
#[derive(Debug, Clone, PartialEq)]
pub struct ResidueGraph {
    graph: Graph,
    residue_atoms: Vec<Range<usize>>,
    member_offsets: Vec<usize>,
    members: Vec<u32>,
    topology_atoms: usize,
}

impl ResidueGraph {
    /// Builds the residue graph of `topology` restricted to `selection`, using the atom bond
    /// graph `bonds` (e.g. from [`super::bond_graph`]).
    pub fn new(
        topology: &Topology,
        bonds: &Graph,
        selection: &AtomSelection,
    ) -> Result<ResidueGraph, GraphError> {
        let n = topology.atoms.len();
        for (what, got) in
            [("bond graph", bonds.n_nodes()), ("selection", selection.topology_atoms())]
        {
            if got != n {
                return Err(GraphError::SizeMismatch { what, expected: n, got });
            }
        }
        let mut residue_of = vec![u32::MAX; n];
        let mut residue_atoms = Vec::new();
        let mut member_offsets = vec![0];
        let mut members = Vec::new();
        let sel = selection.indices();
        let mut cursor = 0;
        for range in residues(topology) {
            let first = cursor;
            while cursor < sel.len() && (sel[cursor] as usize) < range.end {
                cursor += 1;
            }
            if cursor == first {
                continue;
            }
            let node = residue_atoms.len() as u32;
            range.clone().for_each(|i| residue_of[i] = node);
            members.extend_from_slice(&sel[first..cursor]);
            member_offsets.push(members.len());
            residue_atoms.push(range);
        }
        let mut edges = Vec::new();
        for (i, j) in bonds.edges() {
            let (ri, rj) = (residue_of[i as usize], residue_of[j as usize]);
            if ri != u32::MAX && rj != u32::MAX && ri != rj {
                edges.push((ri, rj));
            }
        }
        let graph = Graph::from_edges(residue_atoms.len(), &edges)?;
        Ok(ResidueGraph { graph, residue_atoms, member_offsets, members, topology_atoms: n })
    }

    /// The graph over residue nodes.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// Number of residue nodes.
    pub fn n_residues(&self) -> usize {
        self.residue_atoms.len()
    }

    /// All atoms of residue node `k` (selected or not), as an index range.
    pub fn residue_atoms(&self, k: usize) -> Option<Range<usize>> {
        self.residue_atoms.get(k).cloned()
    }

    /// The selected atoms of residue node `k`, whose mean is the node's position.
    pub fn members(&self, k: usize) -> &[u32] {
        match (self.member_offsets.get(k), self.member_offsets.get(k + 1)) {
            (Some(&a), Some(&b)) => &self.members[a..b],
            _ => &[],
        }
    }

    /// Node positions for one frame: the centroid of each residue's selected atoms.
    /// `positions` has one entry per topology atom; make molecules whole first.
    pub fn centroids(&self, positions: &[[f32; 3]]) -> Result<Vec<[f32; 3]>, GraphError> {
        if positions.len() != self.topology_atoms {
            return Err(GraphError::SizeMismatch {
                what: "positions",
                expected: self.topology_atoms,
                got: positions.len(),
            });
        }
        Ok((0..self.n_residues())
            .map(|k| {
                let m = self.members(k);
                let mut sum = [0.0f64; 3];
                for &i in m {
                    (0..3).for_each(|c| sum[c] += f64::from(positions[i as usize][c]));
                }
                sum.map(|s| (s / m.len() as f64) as f32)
            })
            .collect())
    }
}
