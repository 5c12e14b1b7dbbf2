//! Covalent bonds: the topology file's list, distance-based guessing, and peptide bonds.
//!
//! # Guessing rule
//!
//! Atoms `i` and `j` are bonded when `d_min < d_ij <= r_i + r_j + tolerance`, with `r` the
//! single-bond covalent radii of Cordero et al. (2008), *Dalton Trans.* 2832-2838, tolerance
//! 0.45 Angstrom and `d_min` 0.4 Angstrom. This is Open Babel's `ConnectTheDots` rule (and
//! VTK's `vtkSimpleBondPerceiver` default tolerance), chosen over MDAnalysis's
//! `d < 0.55 (R_i + R_j)` with van der Waals radii because the latter misses disulfide bonds
//! (S-S 2.05 Angstrom against a 1.98 Angstrom threshold). It gives C-C <= 1.97, C-N <= 1.92,
//! C-H <= 1.52, O-H <= 1.42, S-S <= 2.55 and H-H <= 1.07 Angstrom, so water's H...H
//! (1.51 Angstrom) and hydrogen bonds (H...O >= 1.6 Angstrom) are not bonds.
//!
//! Only the non-metals and metalloids below have a radius; other atoms (metal ions, whose
//! coordination is not covalent in most force fields, and atoms without an element such as
//! virtual sites) get no guessed bond. Distances are minimum-image when a box is given.

use super::cells::{checked_points, for_each_pair};
use super::residue::residues;
use super::{Graph, GraphError};
use crate::model::{Topology, UnitCell};
use crate::periodic::PeriodicCell;
use crate::select::is_protein;

/// Where [`bonds`] takes bonds from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum BondSource {
    /// The file's bonds when the list looks complete (every atom of every residue with more
    /// than one atom is in at least one bond, as in PSF files); otherwise the file's bonds plus
    /// guessed ones (PDB `CONECT` records usually list only hetero groups and disulfides);
    /// guessed bonds alone when the file lists none.
    #[default]
    Auto,
    /// Only the bonds the file lists.
    Topology,
    /// Only bonds guessed from distances.
    Guess,
    /// The file's bonds plus guessed ones.
    TopologyAndGuess,
}

/// Settings for [`bonds`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BondOptions {
    /// Where bonds come from.
    pub source: BondSource,
    /// Added to the sum of covalent radii (Angstrom); default 0.45.
    pub tolerance: f64,
    /// Pairs closer than this (Angstrom) are overlapping atoms, not bonds; default 0.4.
    pub min_distance: f64,
    /// Add the C(i)-N(i+1) peptide bond between consecutive protein residues; default true.
    pub peptide_bonds: bool,
    /// A peptide bond is only added when C and N are at most this far apart (Angstrom,
    /// minimum image) in the coordinates given, so chain breaks stay broken; default 3.0.
    pub peptide_max_distance: f64,
}

impl Default for BondOptions {
    fn default() -> BondOptions {
        BondOptions {
            source: BondSource::Auto,
            tolerance: 0.45,
            min_distance: 0.4,
            peptide_bonds: true,
            peptide_max_distance: 3.0,
        }
    }
}

/// Single-bond covalent radius in Angstrom (Cordero et al. 2008) of a non-metal or metalloid
/// element symbol (any letter case); `None` for every other element and for `""`.
pub fn covalent_radius(element: &str) -> Option<f64> {
    let mut sym = element.trim().to_ascii_lowercase();
    if let Some(first) = sym.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    Some(match sym.as_str() {
        "H" | "D" => 0.31,
        "B" => 0.84,
        "C" => 0.76,
        "N" => 0.71,
        "O" => 0.66,
        "F" => 0.57,
        "Si" => 1.11,
        "P" => 1.07,
        "S" => 1.05,
        "Cl" => 1.02,
        "As" => 1.19,
        "Se" => 1.20,
        "Br" => 1.20,
        "Te" => 1.38,
        "I" => 1.39,
        _ => return None,
    })
}

/// Bonds guessed from distances with the rule in the module documentation, as sorted pairs
/// `(i, j)` with `i < j`. `positions` has one entry per atom; `cell` makes distances periodic.
pub fn guess_bonds(
    topology: &Topology,
    positions: &[[f32; 3]],
    cell: Option<&UnitCell>,
    options: &BondOptions,
) -> Result<Vec<(u32, u32)>, GraphError> {
    check_len(topology, positions)?;
    for v in [options.tolerance, options.min_distance] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(GraphError::BadCutoff(v));
        }
    }
    let periodic = cell.map(PeriodicCell::new).transpose()?;
    let radii: Vec<Option<f64>> =
        topology.atoms.iter().map(|a| covalent_radius(&a.element)).collect();
    // Only atoms with a radius take part, so ions and virtual sites cost nothing.
    let (ids, pts): (Vec<u32>, Vec<[f32; 3]>) = radii
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_some())
        .map(|(i, _)| (i as u32, positions[i]))
        .unzip();
    let points = checked_points(&pts).map_err(|e| match e {
        GraphError::NonFinite { atom } => GraphError::NonFinite { atom: ids[atom] as usize },
        other => other,
    })?;
    let r_max = radii.iter().flatten().fold(0.0f64, |m, &r| m.max(r));
    let search = 2.0 * r_max + options.tolerance;
    if points.len() < 2 || search <= 0.0 {
        return Ok(Vec::new());
    }
    let min2 = options.min_distance * options.min_distance;
    let mut out = Vec::new();
    for_each_pair(&points, periodic.as_ref(), search, |a, b, d2| {
        let (i, j) = (ids[a as usize], ids[b as usize]);
        let (Some(ri), Some(rj)) = (radii[i as usize], radii[j as usize]) else { return };
        let max = ri + rj + options.tolerance;
        if d2 > min2 && d2 <= max * max {
            out.push((i.min(j), i.max(j)));
        }
    });
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Peptide bonds C(r)-N(r+1) between consecutive residues `r`, `r+1` (file order) that are
/// both protein residues (MDAnalysis's list), in the same segment and chain, with resids
/// differing by exactly 1. With `positions`, the bond is only added when C and N are at most
/// `max_distance` apart (minimum image when `cell` is given).
pub fn peptide_bonds(
    topology: &Topology,
    positions: Option<&[[f32; 3]]>,
    cell: Option<&UnitCell>,
    max_distance: f64,
) -> Result<Vec<(u32, u32)>, GraphError> {
    if let Some(p) = positions {
        check_len(topology, p)?;
    }
    if !(max_distance.is_finite() && max_distance > 0.0) {
        return Err(GraphError::BadCutoff(max_distance));
    }
    let periodic = cell.map(PeriodicCell::new).transpose()?;
    let atoms = &topology.atoms;
    let find =
        |range: &std::ops::Range<usize>, name: &str| range.clone().find(|&i| atoms[i].name == name);
    let res = residues(topology);
    let mut out = Vec::new();
    for pair in res.windows(2) {
        let (r, s) = (&pair[0], &pair[1]);
        let (a, b) = (&atoms[r.start], &atoms[s.start]);
        let consecutive = is_protein(a)
            && is_protein(b)
            && a.segid == b.segid
            && a.chain == b.chain
            && i64::from(b.resid) - i64::from(a.resid) == 1;
        let (Some(c), Some(n)) = (find(r, "C"), find(s, "N")) else { continue };
        if !consecutive {
            continue;
        }
        if let Some(p) = positions {
            let (pc, pn) = (p[c].map(f64::from), p[n].map(f64::from));
            if !pc.iter().chain(&pn).all(|x| x.is_finite()) {
                return Err(GraphError::NonFinite { atom: c });
            }
            let d = match &periodic {
                Some(cell) => cell.distance(pc, pn),
                None => {
                    ((pn[0] - pc[0]).powi(2) + (pn[1] - pc[1]).powi(2) + (pn[2] - pc[2]).powi(2))
                        .sqrt()
                }
            };
            if d > max_distance {
                continue;
            }
        }
        out.push((c as u32, n as u32));
    }
    Ok(out)
}

/// The bonds of a system as sorted, distinct pairs `(i, j)`, `i < j`: from the source
/// `options.source` chooses, plus peptide bonds when `options.peptide_bonds` is set.
///
/// `positions` (one per atom, e.g. the topology's own coordinates or the first frame) are
/// needed whenever bonds are guessed; `cell` makes guessing periodic.
pub fn bonds(
    topology: &Topology,
    positions: Option<&[[f32; 3]]>,
    cell: Option<&UnitCell>,
    options: &BondOptions,
) -> Result<Vec<(u32, u32)>, GraphError> {
    let n = topology.atoms.len();
    let listed: Vec<(u32, u32)> = topology.bonds.clone();
    if let Some(&(i, j)) = listed.iter().find(|&&(i, j)| i.max(j) as usize >= n) {
        return Err(GraphError::NodeOutOfRange { node: i.max(j) as usize, n_nodes: n });
    }
    let (use_listed, guess) = match options.source {
        BondSource::Topology => (true, false),
        BondSource::Guess => (false, true),
        BondSource::TopologyAndGuess => (true, true),
        BondSource::Auto => (true, listed.is_empty() || !looks_complete(topology)),
    };
    let mut out = if use_listed { listed } else { Vec::new() };
    if guess {
        let p = positions.ok_or(GraphError::NoPositions)?;
        out.extend(guess_bonds(topology, p, cell, options)?);
    }
    if options.peptide_bonds {
        out.extend(peptide_bonds(topology, positions, cell, options.peptide_max_distance)?);
    }
    for b in &mut out {
        *b = (b.0.min(b.1), b.0.max(b.1));
    }
    out.retain(|&(i, j)| i != j);
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// The bond graph (nodes are atoms) of [`bonds`].
pub fn bond_graph(
    topology: &Topology,
    positions: Option<&[[f32; 3]]>,
    cell: Option<&UnitCell>,
    options: &BondOptions,
) -> Result<Graph, GraphError> {
    Graph::from_edges(topology.atoms.len(), &bonds(topology, positions, cell, options)?)
}

/// Whether every atom of every multi-atom residue is in at least one listed bond.
fn looks_complete(topology: &Topology) -> bool {
    let mut bonded = vec![false; topology.atoms.len()];
    for &(i, j) in &topology.bonds {
        bonded[i as usize] = true;
        bonded[j as usize] = true;
    }
    residues(topology).iter().filter(|r| r.len() > 1).all(|r| r.clone().all(|i| bonded[i]))
}

fn check_len(topology: &Topology, positions: &[[f32; 3]]) -> Result<(), GraphError> {
    if positions.len() != topology.atoms.len() {
        return Err(GraphError::SizeMismatch {
            what: "positions",
            expected: topology.atoms.len(),
            got: positions.len(),
        });
    }
    Ok(())
}
