//! Centring, optimal superposition (Kabsch problem, solved with Horn's quaternion method) and a
//! canonical principal-axes frame. All arithmetic is in f64 on hand-written 3x3 / 4x4
//! symmetric eigenproblems (cyclic Jacobi), so no linear-algebra dependency is needed.

use crate::select::AtomSelection;

/// Why an alignment was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AlignError {
    /// No points to work with.
    #[error("no atoms to align")]
    Empty,
    /// Two point sets that must correspond do not have the same length.
    #[error("expected {expected} positions, got {got}")]
    LengthMismatch {
        /// Required length.
        expected: usize,
        /// Given length.
        got: usize,
    },
    /// A position is NaN or infinite.
    #[error("position {index} is not finite")]
    NonFinite {
        /// Index of the position in its slice.
        index: usize,
    },
}

/// Mean position (centre of geometry).
pub fn centroid(positions: &[[f32; 3]]) -> Result<[f64; 3], AlignError> {
    let pts = checked(positions)?;
    Ok(mean(&pts))
}

/// Translates `positions` so their centroid is the origin; returns the centroid removed.
pub fn center(positions: &mut [[f32; 3]]) -> Result<[f64; 3], AlignError> {
    let c = centroid(positions)?;
    for p in positions.iter_mut() {
        *p = [0, 1, 2].map(|k| (f64::from(p[k]) - c[k]) as f32);
    }
    Ok(c)
}

/// Root-mean-square deviation between corresponding points, without superposition.
pub fn rmsd(a: &[[f32; 3]], b: &[[f32; 3]]) -> Result<f64, AlignError> {
    same_len(a.len(), b.len())?;
    let (a, b) = (checked(a)?, checked(b)?);
    Ok((a.iter().zip(&b).map(|(p, q)| dist2(*p, *q)).sum::<f64>() / a.len() as f64).sqrt())
}

/// The rigid motion `x -> R (x - c_mobile) + c_reference` that best superposes one point set
/// on another (least squares, proper rotation, `det R = +1`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Superposition {
    rotation: [[f64; 3]; 3],
    mobile_centroid: [f64; 3],
    reference_centroid: [f64; 3],
    rmsd: f64,
}

impl Superposition {
    /// The rotation matrix `R` (row-major), applied to column vectors.
    pub fn rotation(&self) -> [[f64; 3]; 3] {
        self.rotation
    }

    /// Centroid of the mobile points it was fitted on.
    pub fn mobile_centroid(&self) -> [f64; 3] {
        self.mobile_centroid
    }

    /// Centroid of the reference points it was fitted on.
    pub fn reference_centroid(&self) -> [f64; 3] {
        self.reference_centroid
    }

    /// RMSD of the fitted points after superposition.
    pub fn rmsd(&self) -> f64 {
        self.rmsd
    }

    /// Maps one point.
    pub fn transform(&self, x: [f64; 3]) -> [f64; 3] {
        let d = [0, 1, 2].map(|k| x[k] - self.mobile_centroid[k]);
        let r = &self.rotation;
        [0, 1, 2]
            .map(|i| r[i][0] * d[0] + r[i][1] * d[1] + r[i][2] * d[2] + self.reference_centroid[i])
    }

    /// Maps every point in place (any point set, e.g. the whole frame after fitting on a
    /// selection).
    pub fn apply(&self, positions: &mut [[f32; 3]]) {
        for p in positions.iter_mut() {
            *p = self.transform(p.map(f64::from)).map(|v| v as f32);
        }
    }
}

/// The least-squares superposition of `mobile` onto `reference` (corresponding points).
///
/// Solves the Kabsch problem with Horn's unit-quaternion method (Horn 1987, *J. Opt. Soc. Am.
/// A* 4:629): with `S = sum_i x_i y_i^T` over the centred points, the optimal rotation is the
/// quaternion eigenvector of the largest eigenvalue of Horn's symmetric 4x4 matrix built from
/// `S`. The result is always a proper rotation, including for planar or collinear sets (where
/// the optimum is not unique and one optimum is returned).
pub fn superpose(mobile: &[[f32; 3]], reference: &[[f32; 3]]) -> Result<Superposition, AlignError> {
    same_len(reference.len(), mobile.len())?;
    let (x, y) = (checked(mobile)?, checked(reference)?);
    let (cx, cy) = (mean(&x), mean(&y));
    let mut s = [[0.0f64; 3]; 3];
    for (p, q) in x.iter().zip(&y) {
        let (p, q) = (sub(*p, cx), sub(*q, cy));
        for a in 0..3 {
            for b in 0..3 {
                s[a][b] += p[a] * q[b];
            }
        }
    }
    let [[sxx, sxy, sxz], [syx, syy, syz], [szx, szy, szz]] = s;
    let n = [
        [sxx + syy + szz, syz - szy, szx - sxz, sxy - syx],
        [syz - szy, sxx - syy - szz, sxy + syx, szx + sxz],
        [szx - sxz, sxy + syx, -sxx + syy - szz, syz + szy],
        [sxy - syx, szx + sxz, syz + szy, -sxx - syy + szz],
    ];
    let (values, vectors) = jacobi_eigen(n);
    let best = (0..4).fold(0, |b, k| if values[k] > values[b] { k } else { b });
    let q = [0, 1, 2, 3].map(|i| vectors[i][best]);
    let norm = q.iter().map(|v| v * v).sum::<f64>().sqrt();
    let [q0, q1, q2, q3] = q.map(|v| v / norm);
    let rotation = [
        [
            q0 * q0 + q1 * q1 - q2 * q2 - q3 * q3,
            2.0 * (q1 * q2 - q0 * q3),
            2.0 * (q1 * q3 + q0 * q2),
        ],
        [
            2.0 * (q1 * q2 + q0 * q3),
            q0 * q0 - q1 * q1 + q2 * q2 - q3 * q3,
            2.0 * (q2 * q3 - q0 * q1),
        ],
        [
            2.0 * (q1 * q3 - q0 * q2),
            2.0 * (q2 * q3 + q0 * q1),
            q0 * q0 - q1 * q1 - q2 * q2 + q3 * q3,
        ],
    ];
    let mut fit =
        Superposition { rotation, mobile_centroid: cx, reference_centroid: cy, rmsd: 0.0 };
    let sum: f64 = x.iter().zip(&y).map(|(p, q)| dist2(fit.transform(*p), *q)).sum();
    fit.rmsd = (sum / x.len() as f64).sqrt();
    Ok(fit)
}

/// Aligns frames to a fixed reference on selected atoms.
#[derive(Debug, Clone, PartialEq)]
pub struct Aligner {
    atoms: Vec<u32>,
    reference: Vec<[f32; 3]>,
    topology_atoms: usize,
}

impl Aligner {
    /// Takes the selected atoms of `reference` (one position per topology atom) as the target.
    pub fn new(reference: &[[f32; 3]], selection: &AtomSelection) -> Result<Aligner, AlignError> {
        same_len(selection.topology_atoms(), reference.len())?;
        let picked: Vec<[f32; 3]> =
            selection.indices().iter().map(|&i| reference[i as usize]).collect();
        checked(&picked)?;
        Ok(Aligner {
            atoms: selection.indices().to_vec(),
            reference: picked,
            topology_atoms: reference.len(),
        })
    }

    /// Fits the frame's selected atoms onto the reference and moves the whole frame with that
    /// fit; returns the fit (its RMSD is over the selected atoms).
    pub fn align(&self, positions: &mut [[f32; 3]]) -> Result<Superposition, AlignError> {
        same_len(self.topology_atoms, positions.len())?;
        let mobile: Vec<[f32; 3]> = self.atoms.iter().map(|&i| positions[i as usize]).collect();
        let fit = superpose(&mobile, &self.reference)?;
        fit.apply(positions);
        Ok(fit)
    }
}

/// A structure's principal axes: the eigenvectors of its gyration tensor
/// `G = (1/n) sum_i (x_i - c)(x_i - c)^T`, by decreasing eigenvalue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrincipalAxes {
    centroid: [f64; 3],
    axes: [[f64; 3]; 3],
    moments: [f64; 3],
}

impl PrincipalAxes {
    /// The centroid `c`.
    pub fn centroid(&self) -> [f64; 3] {
        self.centroid
    }

    /// Unit axes as rows (a proper rotation), largest moment first.
    pub fn axes(&self) -> [[f64; 3]; 3] {
        self.axes
    }

    /// Eigenvalues of the gyration tensor (squared Angstrom), decreasing. The frame is only
    /// unique when they are distinct; nearly equal moments make the axes ill-defined.
    pub fn moments(&self) -> [f64; 3] {
        self.moments
    }

    /// Coordinates of a point in this frame: `A (x - c)`.
    pub fn transform(&self, x: [f64; 3]) -> [f64; 3] {
        let d = sub(x, self.centroid);
        self.axes.map(|e| dot(e, d))
    }

    /// Expresses every point in this frame, in place.
    pub fn apply(&self, positions: &mut [[f32; 3]]) {
        for p in positions.iter_mut() {
            *p = self.transform(p.map(f64::from)).map(|v| v as f32);
        }
    }
}

/// The canonical principal-axes frame of a structure.
///
/// Sign convention, so the frame depends only on the shape (not on how the structure was
/// rotated or translated): axes 1 and 2 point towards positive third moment
/// `sum_i ((x_i - c) . e_k)^3`; when that vanishes (a symmetric distribution), towards the
/// first atom (lowest index) with a non-negligible projection. Axis 3 is `e_1 x e_2`, so the
/// frame is a proper rotation.
pub fn principal_axes(positions: &[[f32; 3]]) -> Result<PrincipalAxes, AlignError> {
    let pts = checked(positions)?;
    let c = mean(&pts);
    let mut g = [[0.0f64; 3]; 3];
    for p in &pts {
        let d = sub(*p, c);
        for a in 0..3 {
            for b in 0..3 {
                g[a][b] += d[a] * d[b] / pts.len() as f64;
            }
        }
    }
    let (values, vectors) = jacobi_eigen(g);
    let mut order = [0usize, 1, 2];
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
    let axis = |k: usize| [vectors[0][order[k]], vectors[1][order[k]], vectors[2][order[k]]];
    let scale = values[order[0]].max(0.0).sqrt();
    let mut axes = [axis(0), axis(1), [0.0; 3]];
    for e in axes.iter_mut().take(2) {
        let proj: Vec<f64> = pts.iter().map(|p| dot(*e, sub(*p, c))).collect();
        let skew: f64 = proj.iter().map(|v| v * v * v).sum();
        let sign = if skew.abs() > 1e-9 * pts.len() as f64 * scale.powi(3) {
            skew.signum()
        } else {
            proj.iter().find(|v| v.abs() > 1e-6 * scale).map_or(1.0, |v| v.signum())
        };
        *e = e.map(|v| v * sign);
    }
    axes[2] = cross(axes[0], axes[1]);
    Ok(PrincipalAxes { centroid: c, axes, moments: order.map(|k| values[k]) })
}

/// Eigenvalues and eigenvectors (columns) of a symmetric matrix by cyclic Jacobi rotations
/// (Golub & Van Loan, *Matrix Computations*, §8.5), accurate to rounding for these sizes.
fn jacobi_eigen<const N: usize>(mut a: [[f64; N]; N]) -> ([f64; N], [[f64; N]; N]) {
    let mut v = [[0.0f64; N]; N];
    (0..N).for_each(|i| v[i][i] = 1.0);
    for _sweep in 0..64 {
        let off: f64 = (0..N)
            .flat_map(|i| (0..N).map(move |j| (i, j)))
            .filter(|(i, j)| i != j)
            .map(|(i, j)| a[i][j] * a[i][j])
            .sum();
        let total: f64 = a.iter().flatten().map(|x| x * x).sum();
        if off <= f64::EPSILON * f64::EPSILON * total || off == 0.0 {
            break;
        }
        for p in 0..N {
            for q in p + 1..N {
                if a[p][q] == 0.0 {
                    continue;
                }
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for row in a.iter_mut() {
                    let (akp, akq) = (row[p], row[q]);
                    row[p] = c * akp - s * akq;
                    row[q] = s * akp + c * akq;
                }
                let (rp, rq) = (a[p], a[q]);
                a[p] = std::array::from_fn(|k| c * rp[k] - s * rq[k]);
                a[q] = std::array::from_fn(|k| s * rp[k] + c * rq[k]);
                for row in v.iter_mut() {
                    let (vkp, vkq) = (row[p], row[q]);
                    row[p] = c * vkp - s * vkq;
                    row[q] = s * vkp + c * vkq;
                }
            }
        }
    }
    (std::array::from_fn(|i| a[i][i]), v)
}

fn checked(positions: &[[f32; 3]]) -> Result<Vec<[f64; 3]>, AlignError> {
    if positions.is_empty() {
        return Err(AlignError::Empty);
    }
    positions
        .iter()
        .enumerate()
        .map(|(index, p)| {
            p.iter()
                .all(|x| x.is_finite())
                .then(|| p.map(f64::from))
                .ok_or(AlignError::NonFinite { index })
        })
        .collect()
}

fn same_len(expected: usize, got: usize) -> Result<(), AlignError> {
    if expected == got { Ok(()) } else { Err(AlignError::LengthMismatch { expected, got }) }
}

fn mean(pts: &[[f64; 3]]) -> [f64; 3] {
    let mut s = [0.0; 3];
    pts.iter().for_each(|p| (0..3).for_each(|k| s[k] += p[k]));
    s.map(|v| v / pts.len() as f64)
}

fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn dist2(a: [f64; 3], b: [f64; 3]) -> f64 {
    let d = sub(a, b);
    dot(d, d)
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

#[cfg(test)]
mod tests {
    use super::jacobi_eigen;

    #[test]
    fn jacobi_diagonalises_a_symmetric_matrix() {
        let a = [
            [4.0, 1.0, -2.0, 0.5],
            [1.0, 2.0, 0.0, 1.0],
            [-2.0, 0.0, 3.0, -1.5],
            [0.5, 1.0, -1.5, -1.0],
        ];
        let (w, v) = jacobi_eigen(a);
        for k in 0..4 {
            for i in 0..4 {
                let av: f64 = (0..4).map(|j| a[i][j] * v[j][k]).sum();
                assert!((av - w[k] * v[i][k]).abs() < 1e-12, "column {k} row {i}");
            }
        }
    }
}
