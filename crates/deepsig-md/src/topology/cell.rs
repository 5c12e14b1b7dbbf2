//! Conversions between unit-cell box vectors and crystallographic lengths and angles.

use crate::model::UnitCell;

/// A unit cell from lengths `a, b, c` (Angstrom) and angles `alpha, beta, gamma` (degrees),
/// with `a` along x and `b` in the xy plane (the MDAnalysis / GROMACS convention).
///
/// Returns `None` when the values describe no cell: a length that is not positive, an angle
/// outside (0, 180), or angles that close no volume. Files use all zeros to mean "no box".
pub fn cell_from_dimensions(dims: [f64; 6]) -> Option<UnitCell> {
    let [a, b, c, alpha, beta, gamma] = dims;
    if !dims.iter().all(|v| v.is_finite()) || a <= 0.0 || b <= 0.0 || c <= 0.0 {
        return None;
    }
    if [alpha, beta, gamma].iter().any(|&x| x <= 0.0 || x >= 180.0) {
        return None;
    }
    let (ca, cb) = (cos_deg(alpha), cos_deg(beta));
    let (cg, sg) = (cos_deg(gamma), sin_deg(gamma));
    let cx = cb;
    let cy = (ca - cb * cg) / sg;
    let cz2 = 1.0 - cx * cx - cy * cy;
    if cz2 <= 0.0 {
        return None;
    }
    Some(UnitCell {
        vectors: [[a, 0.0, 0.0], [b * cg, b * sg, 0.0], [c * cx, c * cy, c * cz2.sqrt()]],
    })
}

/// Lengths `a, b, c` (Angstrom) and angles `alpha, beta, gamma` (degrees) of a unit cell.
pub fn cell_dimensions(cell: &UnitCell) -> [f64; 6] {
    let [va, vb, vc] = cell.vectors;
    let norm = |v: [f64; 3]| (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    let angle = |u: [f64; 3], v: [f64; 3]| {
        let d = u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
        (d / (norm(u) * norm(v))).clamp(-1.0, 1.0).acos().to_degrees()
    };
    [norm(va), norm(vb), norm(vc), angle(vb, vc), angle(va, vc), angle(va, vb)]
}

/// A unit cell from box vectors in nm stored as f32, converted to Angstrom in f32 like
/// MDAnalysis does; an all-zero box means "no box".
pub(crate) fn cell_from_nm_vectors(v: [[f32; 3]; 3]) -> Option<UnitCell> {
    if v.iter().flatten().all(|&x| x == 0.0) || !v.iter().flatten().all(|x| x.is_finite()) {
        return None;
    }
    Some(UnitCell { vectors: v.map(|row| row.map(|x| f64::from(x * 10.0))) })
}

// Exact values at multiples of 90 degrees, so orthogonal boxes stay exactly orthogonal.
fn cos_deg(x: f64) -> f64 {
    if x == 90.0 { 0.0 } else { x.to_radians().cos() }
}

fn sin_deg(x: f64) -> f64 {
    if x == 90.0 { 1.0 } else { x.to_radians().sin() }
}
