//! Periodic boxes: validation and minimum images in any box shape, the geometry that both
//! bond guessing (`graph`) and making molecules whole (`pbc`) stand on.
//!
//! Box vectors are rows `a, b, c` (Angstrom), and a point `r` has fractional coordinates `s`
//! with `r = s_a a + s_b b + s_c c`.

use crate::model::UnitCell;

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
