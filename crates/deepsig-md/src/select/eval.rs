//! Evaluates a parsed selection over a topology as a boolean mask, one entry per atom.

use std::collections::HashMap;

use super::glob::Pattern;
use super::parser::{Expr, IntRange, NumberField, TextField};
use crate::model::{Atom, Topology};

/// MDAnalysis 2.11's `ProteinSelection.prot_res` (CHARMM 27, OPLS-AA, GROMOS 53A6, AMBER 03 and
/// AMBER99SB*-ILDN residue names), sorted for binary search.
pub(crate) const PROTEIN_RESNAMES: &[&str] = &[
    "ACE", "ALA", "ALAD", "ARG", "ARGN", "ASF", "ASH", "ASN", "ASN1", "ASP", "ASPH", "CALA",
    "CARG", "CASF", "CASN", "CASP", "CCYS", "CCYX", "CGLN", "CGLU", "CGLY", "CHID", "CHIE", "CHIP",
    "CILE", "CLEU", "CLYS", "CME", "CMET", "CPHE", "CPRO", "CSER", "CTHR", "CTRP", "CTYR", "CVAL",
    "CYM", "CYS", "CYS1", "CYS2", "CYSH", "CYX", "DAB", "GLH", "GLN", "GLU", "GLUH", "GLY", "HID",
    "HIE", "HIP", "HIS", "HIS1", "HIS2", "HISA", "HISB", "HISD", "HISE", "HISH", "HSD", "HSE",
    "HSP", "HYP", "ILE", "LEU", "LYN", "LYS", "LYSH", "MET", "MSE", "NALA", "NARG", "NASN", "NASP",
    "NCYS", "NCYX", "NGLN", "NGLU", "NGLY", "NHID", "NHIE", "NHIP", "NILE", "NLEU", "NLYS", "NME",
    "NMET", "NPHE", "NPRO", "NSER", "NTHR", "NTRP", "NTYR", "NVAL", "ORN", "PGLU", "PHE", "PRO",
    "QLN", "SER", "THR", "TRP", "TYR", "VAL",
];

/// MDAnalysis 2.9+'s `WaterSelection.water_res`, plus `SPC`, `SPCE`, `TIP5`, `DOD` and `TIP3P`
/// (common in GROMACS/AMBER files; MDAnalysis's `water` would miss them), sorted.
pub(crate) const WATER_RESNAMES: &[&str] = &[
    "DOD", "H2O", "HHO", "HOH", "OH2", "OHH", "SOL", "SPC", "SPCE", "T3P", "T4P", "T5P", "TIP",
    "TIP2", "TIP3", "TIP3P", "TIP4", "TIP5", "WAT",
];

/// MDAnalysis's `BackboneSelection.bb_atoms`: C-terminal oxygens (`OT1`, `OXT`, ...) are not
/// backbone, unlike in VMD.
const BACKBONE_NAMES: &[&str] = &["C", "CA", "N", "O"];

pub(crate) fn is_protein(atom: &Atom) -> bool {
    PROTEIN_RESNAMES.binary_search(&atom.resname.as_str()).is_ok()
}

/// Hydrogen (or deuterium) by element symbol; atoms with no element (virtual sites such as
/// TIP4P's `MW`) are neither hydrogen nor heavy.
fn is_heavy(atom: &Atom) -> bool {
    !atom.element.is_empty() && !matches!(atom.element.as_str(), "H" | "D")
}

pub(crate) fn evaluate(expr: &Expr, top: &Topology) -> Vec<bool> {
    let atoms = &top.atoms;
    match expr {
        Expr::All => vec![true; atoms.len()],
        Expr::Protein => atoms.iter().map(is_protein).collect(),
        Expr::Backbone => atoms
            .iter()
            .map(|a| is_protein(a) && BACKBONE_NAMES.contains(&a.name.as_str()))
            .collect(),
        Expr::Water => atoms
            .iter()
            .map(|a| WATER_RESNAMES.binary_search(&a.resname.as_str()).is_ok())
            .collect(),
        Expr::Heavy => atoms.iter().map(is_heavy).collect(),
        Expr::Text(field, patterns) => text_mask(atoms, *field, patterns),
        Expr::Number(field, ranges) => atoms
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let v = match field {
                    NumberField::Resid => i64::from(a.resid),
                    NumberField::Index => i as i64,
                    NumberField::Bynum => i as i64 + 1,
                };
                ranges.iter().any(|&IntRange { lo, hi }| lo <= v && v <= hi)
            })
            .collect(),
        Expr::Not(inner) => evaluate(inner, top).into_iter().map(|b| !b).collect(),
        Expr::And(terms) => {
            let mut mask = vec![true; atoms.len()];
            for t in terms {
                mask.iter_mut().zip(evaluate(t, top)).for_each(|(m, v)| *m &= v);
            }
            mask
        }
        Expr::Or(terms) => {
            let mut mask = vec![false; atoms.len()];
            for t in terms {
                mask.iter_mut().zip(evaluate(t, top)).for_each(|(m, v)| *m |= v);
            }
            mask
        }
    }
}

fn text_mask(atoms: &[Atom], field: TextField, patterns: &[Pattern]) -> Vec<bool> {
    // A system has few distinct names, so each is matched against the patterns once.
    let mut seen: HashMap<&str, bool> = HashMap::new();
    atoms
        .iter()
        .map(|a| {
            let value = match field {
                TextField::Name => a.name.as_str(),
                TextField::Resname => a.resname.as_str(),
                TextField::Segid => a.segid.as_str(),
                TextField::Chain => a.chain.as_str(),
                TextField::Element => a.element.as_str(),
            };
            *seen.entry(value).or_insert_with(|| patterns.iter().any(|p| p.matches(value)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_unique() {
        for table in [PROTEIN_RESNAMES, WATER_RESNAMES, BACKBONE_NAMES] {
            assert!(table.windows(2).all(|w| w[0] < w[1]), "{table:?}");
        }
        assert_eq!(PROTEIN_RESNAMES.len(), 104);
    }
}
