//! Periodic boundary conditions over the bond graph: making molecules whole across the
//! boundary and removing whole-system drift (the box geometry is `periodic`).

use crate::graph::Graph;
use crate::model::UnitCell;
pub use crate::periodic::{PbcError, PeriodicCell};
use crate::select::AtomSelection;

/// A precomputed plan that makes molecules whole: the bonded components' spanning trees in
/// breadth-first order.
///
/// Each connected component of the bond graph keeps its lowest-index atom (its root) where it
/// is; every other atom is moved, in BFS order, to the minimum image of its position relative
/// to the already-placed neighbour that discovered it. A molecule whose bonds are all shorter
/// than half the box width comes out whole, whatever the box shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MakeWhole {
    n_atoms: usize,
    roots: Vec<u32>,
    /// `(atom, placed neighbour)` pairs in placement order.
    steps: Vec<(u32, u32)>,
}

impl MakeWhole {
    /// A plan covering every component of `bonds` (nodes are atoms).
    pub fn new(bonds: &Graph) -> MakeWhole {
        MakeWhole::build(bonds, |_| true)
    }

    /// A plan covering only the components that contain a selected atom (e.g. the protein,
    /// leaving solvent untouched, which is cheaper). Errors when the selection belongs to a
    /// topology of a different size than the graph.
    pub fn for_selection(bonds: &Graph, selection: &AtomSelection) -> Result<MakeWhole, PbcError> {
        if selection.topology_atoms() != bonds.n_nodes() {
            return Err(PbcError::LengthMismatch {
                expected: bonds.n_nodes(),
                got: selection.topology_atoms(),
            });
        }
        let labels = bonds.components();
        let mut wanted = vec![false; labels.len()];
        for &i in selection.indices() {
            wanted[labels[i as usize] as usize] = true;
        }
        Ok(MakeWhole::build(bonds, |root| wanted[labels[root] as usize]))
    }

    fn build(bonds: &Graph, include: impl Fn(usize) -> bool) -> MakeWhole {
        let n = bonds.n_nodes();
        let mut seen = vec![false; n];
        let mut roots = Vec::new();
        let mut steps = Vec::new();
        let mut queue = std::collections::VecDeque::new();
        for root in 0..n {
            if seen[root] || !include(root) {
                continue;
            }
            seen[root] = true;
            roots.push(root as u32);
            queue.push_back(root);
            while let Some(v) = queue.pop_front() {
                for &w in bonds.neighbours(v) {
                    if !seen[w as usize] {
                        seen[w as usize] = true;
                        steps.push((w, v as u32));
                        queue.push_back(w as usize);
                    }
                }
            }
        }
        MakeWhole { n_atoms: n, roots, steps }
    }

    /// The root (lowest-index atom) of every component the plan covers, isolated atoms included.
    pub fn roots(&self) -> &[u32] {
        &self.roots
    }

    /// Makes the covered molecules whole in place. `positions` has one entry per atom.
    pub fn apply(&self, positions: &mut [[f32; 3]], cell: &UnitCell) -> Result<(), PbcError> {
        if positions.len() != self.n_atoms {
            return Err(PbcError::LengthMismatch { expected: self.n_atoms, got: positions.len() });
        }
        let pc = PeriodicCell::new(cell)?;
        for &(atom, parent) in &self.steps {
            let p = positions[parent as usize].map(f64::from);
            let q = positions[atom as usize].map(f64::from);
            let d = pc.minimum_image([q[0] - p[0], q[1] - p[1], q[2] - p[2]]);
            positions[atom as usize] = [0, 1, 2].map(|k| (p[k] + d[k]) as f32);
        }
        Ok(())
    }
}

/// Makes molecules whole frame after frame without jumps: before [`MakeWhole::apply`], each
/// component's root is moved to the minimum image of its previous-frame position (GROMACS's
/// `-pbc nojump` applied to the roots), so a molecule never jumps by a box vector between
/// consecutive frames. Assumes no root moves half a box width between frames.
#[derive(Debug, Clone)]
pub struct Unwrapper {
    whole: MakeWhole,
    previous: Option<Vec<[f64; 3]>>,
}

impl Unwrapper {
    /// Starts a trajectory; the first frame keeps its roots where they are.
    pub fn new(whole: MakeWhole) -> Unwrapper {
        Unwrapper { whole, previous: None }
    }

    /// Processes the next frame in place.
    pub fn apply(&mut self, positions: &mut [[f32; 3]], cell: &UnitCell) -> Result<(), PbcError> {
        if positions.len() != self.whole.n_atoms {
            return Err(PbcError::LengthMismatch {
                expected: self.whole.n_atoms,
                got: positions.len(),
            });
        }
        let pc = PeriodicCell::new(cell)?;
        if let Some(prev) = &self.previous {
            for (&r, p) in self.whole.roots.iter().zip(prev) {
                let q = positions[r as usize].map(f64::from);
                let d = pc.minimum_image([q[0] - p[0], q[1] - p[1], q[2] - p[2]]);
                positions[r as usize] = [0, 1, 2].map(|k| (p[k] + d[k]) as f32);
            }
        }
        self.whole.apply(positions, cell)?;
        self.previous =
            Some(self.whole.roots.iter().map(|&r| positions[r as usize].map(f64::from)).collect());
        Ok(())
    }
}

/// Removes whole-system drift: every frame is translated so that the centre of geometry of
/// the chosen atoms stays where it was in the first frame, `x_t <- x_t - (g_t - g_0)` with
/// `g_t` the mean position of those atoms in frame t. Apply after making molecules whole, or
/// wrapped atoms make `g_t` jump.
#[derive(Debug, Clone)]
pub struct DriftRemover {
    atoms: Option<Vec<u32>>,
    reference: Option<[f64; 3]>,
}

impl DriftRemover {
    /// Tracks the centre of the selected atoms, or of all atoms when `selection` is `None`.
    pub fn new(selection: Option<&AtomSelection>) -> DriftRemover {
        DriftRemover { atoms: selection.map(|s| s.indices().to_vec()), reference: None }
    }

    /// Translates the frame in place and returns the shift subtracted (zero for the first).
    pub fn apply(&mut self, positions: &mut [[f32; 3]]) -> Result<[f64; 3], PbcError> {
        let mut sum = [0.0f64; 3];
        let count = match &self.atoms {
            Some(idx) => {
                for &i in idx {
                    let p = positions.get(i as usize).ok_or(PbcError::LengthMismatch {
                        expected: i as usize + 1,
                        got: positions.len(),
                    })?;
                    (0..3).for_each(|k| sum[k] += f64::from(p[k]));
                }
                idx.len()
            }
            None => {
                positions.iter().for_each(|p| (0..3).for_each(|k| sum[k] += f64::from(p[k])));
                positions.len()
            }
        };
        if count == 0 {
            return Err(PbcError::LengthMismatch { expected: 1, got: 0 });
        }
        let g = sum.map(|s| s / count as f64);
        let g0 = *self.reference.get_or_insert(g);
        let shift = [0, 1, 2].map(|k| g[k] - g0[k]);
        for p in positions.iter_mut() {
            *p = [0, 1, 2].map(|k| (f64::from(p[k]) - shift[k]) as f32);
        }
        Ok(shift)
    }
}
