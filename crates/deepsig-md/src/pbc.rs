//! Periodic boundary conditions: minimum images in any box, making molecules whole across the
//! boundary with the bond graph, and removing whole-system drift.
//!
//! Box vectors are rows `a, b, c` (Angstrom), and a point `r` has fractional coordinates `s`
//! with `r = s_a a + s_b b + s_c c`.

use crate::graph::Graph;
use crate::model::UnitCell;
use crate::select::AtomSelection;

/// A validated periodic box: finite vectors spanning a volume, with its inverse cached.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodicCell {
    h: [[f64; 3]; 3],
    inv: [[f64; 3]; 3],
    /// `a` along x and `b` in the xy plane (the GROMACS/MDAnalysis convention every reader of
    /// this crate produces), which enables GROMACS's shift order in [`Self::minimum_image`].
    lower_triangular: bool,
}

impl PeriodicCell {
    /// Validates `cell`: all entries finite and a volume above 1e-6 of `|a||b||c|` (flat or
    /// all-zero boxes, which files use for "no box", are rejected).
    pub fn new(cell: &UnitCell) -> Result<PeriodicCell, PbcError> {
        let h = cell.vectors;
        if !h.iter().flatten().all(|x| x.is_finite()) {
            return Err(PbcError::DegenerateCell(h));
        }
        let [a, b, c] = h;
        let det = dot(a, cross(b, c));
        let scale = norm(a) * norm(b) * norm(c);
        if !(scale > 0.0 && det.abs() > 1e-6 * scale) {
            return Err(PbcError::DegenerateCell(h));
        }
        // inv = H^-1, from the adjugate: rows of H^-1's transpose are the reciprocal vectors.
        let (ra, rb, rc) = (cross(b, c), cross(c, a), cross(a, b));
        let inv = [
            [ra[0] / det, rb[0] / det, rc[0] / det],
            [ra[1] / det, rb[1] / det, rc[1] / det],
            [ra[2] / det, rb[2] / det, rc[2] / det],
        ];
        let tiny = 1e-9 * scale.cbrt();
        let lower_triangular = a[1].abs() <= tiny && a[2].abs() <= tiny && b[2].abs() <= tiny;
        Ok(PeriodicCell { h, inv, lower_triangular })
    }

    /// The box vectors as rows.
    pub fn vectors(&self) -> [[f64; 3]; 3] {
        self.h
    }

    /// The box volume, `|a . (b x c)|`.
    pub fn volume(&self) -> f64 {
        dot(self.h[0], cross(self.h[1], self.h[2])).abs()
    }

    /// Widths of the box perpendicular to each pair of faces: `V / |b x c|`, `V / |c x a|`,
    /// `V / |a x b|`. A sphere of radius up to half the smallest width fits in the box.
    pub fn widths(&self) -> [f64; 3] {
        let [a, b, c] = self.h;
        let v = self.volume();
        [v / norm(cross(b, c)), v / norm(cross(c, a)), v / norm(cross(a, b))]
    }

    /// Fractional coordinates `s = r H^-1`.
    pub fn to_fractional(&self, r: [f64; 3]) -> [f64; 3] {
        let m = &self.inv;
        [0, 1, 2].map(|k| r[0] * m[0][k] + r[1] * m[1][k] + r[2] * m[2][k])
    }

    /// Cartesian coordinates `r = s H`.
    pub fn to_cartesian(&self, s: [f64; 3]) -> [f64; 3] {
        let h = &self.h;
        [0, 1, 2].map(|k| s[0] * h[0][k] + s[1] * h[1][k] + s[2] * h[2][k])
    }

    /// The point's image inside the box (fractional coordinates in [0, 1)).
    pub fn wrap(&self, r: [f64; 3]) -> [f64; 3] {
        let s = self.to_fractional(r);
        self.to_cartesian(s.map(|x| x - x.floor()))
    }

    /// The shortest image of displacement `d`.
    ///
    /// First reduces by `c`, then `b`, then `a` (GROMACS's order for a lower-triangular box:
    /// `d -= c * round(d_z / c_z)`, then with `b` and `y`, then with `a` and `x`; for other
    /// boxes each fractional coordinate is rounded), then tries the 26 neighbouring images
    /// and keeps the shortest, as MDAnalysis's `_minimum_image_triclinic` does. This is exact
    /// for reduced boxes (any box a simulation package writes) and for displacements shorter
    /// than half the smallest [`Self::widths`].
    pub fn minimum_image(&self, d: [f64; 3]) -> [f64; 3] {
        let [a, b, c] = self.h;
        let mut d = d;
        if self.lower_triangular {
            for (v, k) in [(c, 2), (b, 1), (a, 0)] {
                let n = (d[k] / v[k]).round();
                d = [0, 1, 2].map(|i| d[i] - n * v[i]);
            }
        } else {
            let s = self.to_fractional(d);
            d = self.to_cartesian(s.map(|x| x - x.round()));
        }
        let mut best = d;
        let mut best2 = dot(d, d);
        for i in -1..=1 {
            for j in -1..=1 {
                for k in -1..=1 {
                    let (fi, fj, fk) = (f64::from(i), f64::from(j), f64::from(k));
                    let t = [0, 1, 2].map(|m| d[m] + fi * a[m] + fj * b[m] + fk * c[m]);
                    let t2 = dot(t, t);
                    if t2 < best2 {
                        best = t;
                        best2 = t2;
                    }
                }
            }
        }
        best
    }

    /// Minimum-image distance between two points.
    pub fn distance(&self, p: [f64; 3], q: [f64; 3]) -> f64 {
        let d = self.minimum_image([q[0] - p[0], q[1] - p[1], q[2] - p[2]]);
        dot(d, d).sqrt()
    }
}

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

/// Why a periodic operation was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PbcError {
    /// The box vectors are not finite or span no volume.
    #[error("unit cell {0:?} is degenerate: its vectors must be finite and span a volume")]
    DegenerateCell([[f64; 3]; 3]),
    /// A per-atom array of the wrong length.
    #[error("expected positions for {expected} atoms, got {got}")]
    LengthMismatch {
        /// Atoms required.
        expected: usize,
        /// Atoms given.
        got: usize,
    },
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

fn norm(a: [f64; 3]) -> f64 {
    dot(a, a).sqrt()
}
