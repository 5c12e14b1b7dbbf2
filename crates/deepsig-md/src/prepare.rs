//! Per-frame geometric preparation of the selected atoms, with the defaults the model
//! pipeline uses: molecules made whole across periodic boundaries (on), whole-system drift
//! removal (off), and Kabsch alignment to a fixed reference (on; docs/method.md,
//! "Alignment").
//!
//! For each frame, in order: (1) the bonded molecules that contain a selected atom are made
//! whole, jump-free from frame to frame ([`Unwrapper`]), when the frame has a box; (2) drift is
//! removed; (3) the selected atoms are gathered; (4) they are superposed on the reference.
//!
//! The alignment reference is the topology's own coordinates of the selected atoms (made whole
//! in the topology's box), else the first processed frame's selected atoms in their canonical
//! principal-axes frame. Either way it does not move with the trajectory, so the output is
//! exactly invariant to a rigid motion applied to a whole trajectory.

use crate::align::{AlignError, principal_axes, superpose};
use crate::graph::Graph;
use crate::model::{Frame, Topology};
use crate::pbc::{DriftRemover, MakeWhole, PbcError, Unwrapper};
use crate::select::{AtomSelection, SelectError};

/// Which preparation steps run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrepOptions {
    /// Make molecules whole across periodic boundaries (default on; no effect without a box).
    pub make_whole: bool,
    /// Subtract the drift of the selection's centre of geometry (default off).
    pub remove_drift: bool,
    /// Superpose every frame on the fixed reference (default on).
    pub align: bool,
}

impl Default for PrepOptions {
    fn default() -> PrepOptions {
        PrepOptions { make_whole: true, remove_drift: false, align: true }
    }
}

/// Turns frames into prepared positions of the selected atoms (see the module docs).
#[derive(Debug, Clone)]
pub struct FramePrep {
    selection: AtomSelection,
    options: PrepOptions,
    unwrapper: Option<Unwrapper>,
    drift: Option<DriftRemover>,
    reference: Option<Vec<[f32; 3]>>,
}

impl FramePrep {
    /// Prepares frames of `topology` for `selection`, with `bonds` the atom bond graph (e.g.
    /// from [`crate::bond_graph`]) used to make molecules whole.
    pub fn new(
        topology: &Topology,
        selection: &AtomSelection,
        bonds: &Graph,
        options: PrepOptions,
    ) -> Result<FramePrep, PrepError> {
        let whole = MakeWhole::for_selection(bonds, selection)?;
        let reference = match (&topology.positions, options.align) {
            (Some(pos), true) => {
                let mut pos = pos.clone();
                if let (true, Some(cell)) = (options.make_whole, &topology.unit_cell) {
                    whole.apply(&mut pos, cell)?;
                }
                Some(selection.gather(&pos)?)
            }
            _ => None,
        };
        Ok(FramePrep {
            selection: selection.clone(),
            options,
            unwrapper: options.make_whole.then(|| Unwrapper::new(whole)),
            drift: options.remove_drift.then(|| DriftRemover::new(Some(selection))),
            reference,
        })
    }

    /// Aligns to `reference` (the selected atoms, in selection order) instead of the
    /// topology's coordinates: a trained model's own reference, so that its inputs do not
    /// depend on which frame a topology file was written from (docs/method.md, "Alignment").
    pub fn with_reference(mut self, reference: Vec<[f32; 3]>) -> Result<FramePrep, PrepError> {
        if reference.len() != self.selection.len() {
            return Err(PrepError::ReferenceSize {
                expected: self.selection.len(),
                got: reference.len(),
            });
        }
        if let Some(atom) = reference.iter().position(|p| !p.iter().all(|v| v.is_finite())) {
            return Err(PrepError::Align(AlignError::NonFinite { index: atom }));
        }
        self.reference = Some(reference);
        Ok(self)
    }

    /// The options in use.
    pub fn options(&self) -> PrepOptions {
        self.options
    }

    /// The alignment reference (selected atoms), once known.
    pub fn reference(&self) -> Option<&[[f32; 3]]> {
        self.reference.as_deref()
    }

    /// Prepares the next frame of the trajectory (frames must come in time order, since
    /// unwrapping and drift removal follow the trajectory) and returns the selected atoms'
    /// positions.
    pub fn process(&mut self, frame: &Frame) -> Result<Vec<[f32; 3]>, PrepError> {
        let mut pos = frame.positions.clone();
        if let (Some(u), Some(cell)) = (&mut self.unwrapper, &frame.unit_cell) {
            u.apply(&mut pos, cell)?;
        }
        if let Some(d) = &mut self.drift {
            d.apply(&mut pos)?;
        }
        let mut picked = self.selection.gather(&pos)?;
        if self.options.align {
            match &self.reference {
                Some(reference) => superpose(&picked, reference)?.apply(&mut picked),
                None => {
                    principal_axes(&picked)?.apply(&mut picked);
                    self.reference = Some(picked.clone());
                }
            }
        }
        Ok(picked)
    }
}

/// Why a frame could not be prepared.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PrepError {
    /// Making whole or drift removal failed (bad box, wrong atom count).
    #[error(transparent)]
    Pbc(#[from] PbcError),
    /// Alignment failed (non-finite positions).
    #[error(transparent)]
    Align(#[from] AlignError),
    /// The frame's atom count does not match the selection's topology.
    #[error(transparent)]
    Select(#[from] SelectError),
    /// An alignment reference of another size than the selection.
    #[error("the alignment reference has {got} atoms, but the selection has {expected}")]
    ReferenceSize {
        /// Selected atoms.
        expected: usize,
        /// Reference atoms.
        got: usize,
    },
}
