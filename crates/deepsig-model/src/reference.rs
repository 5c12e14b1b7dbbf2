//! The alignment reference belongs to the model (docs/method.md, "Alignment").
//!
//! Every frame is superposed on a fixed reference structure of the selected atoms, which is
//! what makes the features invariant to a rigid motion. Taking that reference from each
//! topology file would make a trained model's predictions depend on which frame the file was
//! written from (`gmx trjconv -dump 0` and the first frame of a run give different
//! topologies for the same atoms). So the first system with a given set of atoms fixes the
//! reference for every later system with the same atoms, in training and when a run is
//! applied to new files; the run folder keeps them in `references.json`.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::data::SystemData;

/// What identifies an atom across topology files: segment, residue number and name, atom name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AtomKey {
    /// Segment (or chain) identifier.
    pub segid: String,
    /// Residue number.
    pub resid: i32,
    /// Residue name.
    pub resname: String,
    /// Atom name.
    pub name: String,
}

/// The reference positions of one set of atoms, in that set's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceStructure {
    /// The atoms.
    pub atoms: Vec<AtomKey>,
    /// Their reference positions, Angstrom.
    pub positions: Vec<[f32; 3]>,
}

impl ReferenceStructure {
    /// `system`'s selected atoms with the reference it was prepared with.
    pub fn of(system: &SystemData) -> ReferenceStructure {
        ReferenceStructure { atoms: atom_keys(system), positions: system.reference.clone() }
    }

    /// The positions reordered to `atoms` when they are the same atoms, in the same order or
    /// permuted (which needs each key to be unique); `None` otherwise.
    pub fn positions_for(&self, atoms: &[AtomKey]) -> Option<Vec<[f32; 3]>> {
        if atoms.len() != self.atoms.len() || self.positions.len() != self.atoms.len() {
            return None;
        }
        if atoms == self.atoms.as_slice() {
            return Some(self.positions.clone());
        }
        let index: HashMap<&AtomKey, usize> =
            self.atoms.iter().enumerate().map(|(i, k)| (k, i)).collect();
        if index.len() != self.atoms.len() {
            return None;
        }
        let mut used = vec![false; atoms.len()];
        let mut out = Vec::with_capacity(atoms.len());
        for key in atoms {
            let &i = index.get(key)?;
            if std::mem::replace(&mut used[i], true) {
                return None;
            }
            out.push(self.positions[i]);
        }
        Some(out)
    }
}

/// The selected atoms' keys of `system`.
pub fn atom_keys(system: &SystemData) -> Vec<AtomKey> {
    (0..system.n_atoms())
        .map(|i| AtomKey {
            segid: system.segment_ids[i].clone(),
            resid: system.residue_ids[i],
            resname: system.residue_names[i].clone(),
            name: system.atom_names[i].clone(),
        })
        .collect()
}

/// Where a system's alignment reference came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferenceOrigin {
    /// A reference kept by the model (an earlier system, or the run folder) for these atoms.
    Shared,
    /// The system's own topology coordinates (or first frame): no kept reference matched.
    Own,
}

/// The references known so far, first come first kept.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct References(Vec<ReferenceStructure>);

impl References {
    /// The references of a run folder's `references.json`.
    pub fn new(list: Vec<ReferenceStructure>) -> References {
        References(list)
    }

    /// The kept references.
    pub fn list(&self) -> &[ReferenceStructure] {
        &self.0
    }

    /// A kept reference for `atoms`, in their order.
    pub fn find(&self, atoms: &[AtomKey]) -> Option<Vec<[f32; 3]>> {
        self.0.iter().find_map(|r| r.positions_for(atoms))
    }

    /// Keeps `system`'s reference unless one for its atoms is kept already.
    pub fn keep(&mut self, system: &SystemData) {
        if system.reference.is_empty() || self.find(&atom_keys(system)).is_some() {
            return;
        }
        self.0.push(ReferenceStructure::of(system));
    }
}
