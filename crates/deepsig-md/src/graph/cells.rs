//! A cell list for all pairs of points within a cutoff, open or periodic (any box shape).
//!
//! Points are binned in fractional coordinates. Along box vector k the grid has
//! `n_k = floor(w_k / cutoff)` cells (at least one), where `w_k` is the box width
//! perpendicular to the other two vectors; two points within `cutoff` then lie at most
//! `reach_k = ceil(cutoff * n_k / w_k)` cells apart along k (1 unless the box is thinner than
//! the cutoff), so scanning that neighbourhood, with explicit image shifts across the periodic
//! boundary, finds every pair in every image without O(N^2) work.

use super::GraphError;
use crate::periodic::PeriodicCell;

/// Positions as f64, or the index of the first non-finite one.
pub(crate) fn checked_points(positions: &[[f32; 3]]) -> Result<Vec<[f64; 3]>, GraphError> {
    positions
        .iter()
        .enumerate()
        .map(|(atom, p)| {
            if p.iter().all(|x| x.is_finite()) {
                Ok(p.map(f64::from))
            } else {
                Err(GraphError::NonFinite { atom })
            }
        })
        .collect()
}

/// Calls `visit(i, j, d2)` with `i < j` and the squared distance `d2 <= cutoff^2` for every
/// pair of points and every periodic image in which they are that close. In a box thinner
/// than twice the cutoff one pair can be visited once per image; callers deduplicate.
pub(crate) fn for_each_pair(
    points: &[[f64; 3]],
    cell: Option<&PeriodicCell>,
    cutoff: f64,
    mut visit: impl FnMut(u32, u32, f64),
) {
    if points.len() < 2 {
        return;
    }
    let grid = Grid::new(points, cell, cutoff);
    let cut2 = cutoff * cutoff;
    let [rx, ry, rz] = grid.reach;
    for (i, si) in grid.frac.iter().enumerate() {
        let ci = grid.cell_of[i];
        for dz in -rz..=rz {
            for dy in -ry..=ry {
                for dx in -rx..=rx {
                    let Some((cell_index, shift)) = grid.neighbour(ci, [dx, dy, dz]) else {
                        continue;
                    };
                    let (a, b) = (grid.starts[cell_index], grid.starts[cell_index + 1]);
                    for &j in &grid.members[a..b] {
                        if (j as usize) <= i {
                            continue;
                        }
                        let d = grid.displacement(si, &grid.frac[j as usize], shift);
                        let d2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
                        if d2 <= cut2 {
                            visit(i as u32, j, d2);
                        }
                    }
                }
            }
        }
    }
}

struct Grid<'a> {
    cell: Option<&'a PeriodicCell>,
    /// Open boundaries: the edge lengths of the bounding box.
    extent: [f64; 3],
    /// Fractional coordinates in [0, 1) per axis.
    frac: Vec<[f64; 3]>,
    n: [i64; 3],
    reach: [i64; 3],
    cell_of: Vec<[i64; 3]>,
    starts: Vec<usize>,
    members: Vec<u32>,
}

impl<'a> Grid<'a> {
    fn new(points: &[[f64; 3]], cell: Option<&'a PeriodicCell>, cutoff: f64) -> Grid<'a> {
        let (origin, extent, widths) = match cell {
            Some(c) => ([0.0; 3], [1.0; 3], c.widths()),
            None => {
                let mut lo = [f64::INFINITY; 3];
                let mut hi = [f64::NEG_INFINITY; 3];
                for p in points {
                    for k in 0..3 {
                        lo[k] = lo[k].min(p[k]);
                        hi[k] = hi[k].max(p[k]);
                    }
                }
                let ext = [0, 1, 2].map(|k| hi[k] - lo[k]);
                (lo, ext, ext)
            }
        };
        let frac: Vec<[f64; 3]> = points
            .iter()
            .map(|p| match cell {
                Some(c) => c.to_fractional(*p).map(|s| {
                    let w = s - s.floor();
                    // `s - floor(s)` can round up to exactly 1.0 for tiny negative s.
                    if w >= 1.0 { 0.0 } else { w }
                }),
                None => [0, 1, 2]
                    .map(|k| if extent[k] > 0.0 { (p[k] - origin[k]) / extent[k] } else { 0.0 }),
            })
            .collect();
        let mut n = widths.map(|w| ((w / cutoff).floor() as i64).clamp(1, 1 << 20));
        // Bound the cell count by the point count so sparse or spread-out inputs stay cheap;
        // coarser cells only make the neighbourhood scan do more distance checks.
        let budget = (points.len() as i64).saturating_mul(2).max(64);
        while n[0].saturating_mul(n[1]).saturating_mul(n[2]) > budget {
            let k = (0..3).max_by_key(|&k| n[k]).unwrap_or(0);
            n[k] = (n[k] / 2).max(1);
        }
        let reach = [0, 1, 2].map(|k| {
            if cell.is_some() {
                ((cutoff * n[k] as f64 / widths[k]).ceil() as i64).max(1)
            } else {
                1
            }
        });
        let cell_of: Vec<[i64; 3]> = frac
            .iter()
            .map(|s| [0, 1, 2].map(|k| ((s[k] * n[k] as f64).floor() as i64).clamp(0, n[k] - 1)))
            .collect();
        let flat = |c: [i64; 3]| ((c[2] * n[1] + c[1]) * n[0] + c[0]) as usize;
        let total = (n[0] * n[1] * n[2]) as usize;
        let mut starts = vec![0usize; total + 1];
        for c in &cell_of {
            starts[flat(*c) + 1] += 1;
        }
        for k in 0..total {
            starts[k + 1] += starts[k];
        }
        let mut fill = starts.clone();
        let mut members = vec![0u32; points.len()];
        for (i, c) in cell_of.iter().enumerate() {
            let f = flat(*c);
            members[fill[f]] = i as u32;
            fill[f] += 1;
        }
        Grid { cell, extent, frac, n, reach, cell_of, starts, members }
    }

    /// The flat index of the cell at offset `d` from cell `c`, and the periodic image shift
    /// (in box vectors) that offset crosses; `None` past an open boundary.
    fn neighbour(&self, c: [i64; 3], d: [i64; 3]) -> Option<(usize, [i64; 3])> {
        let mut wrapped = [0i64; 3];
        let mut shift = [0i64; 3];
        for k in 0..3 {
            let u = c[k] + d[k];
            if self.cell.is_some() {
                wrapped[k] = u.rem_euclid(self.n[k]);
                shift[k] = u.div_euclid(self.n[k]);
            } else if u < 0 || u >= self.n[k] {
                return None;
            } else {
                wrapped[k] = u;
            }
        }
        let flat = ((wrapped[2] * self.n[1] + wrapped[1]) * self.n[0] + wrapped[0]) as usize;
        Some((flat, shift))
    }

    fn displacement(&self, si: &[f64; 3], sj: &[f64; 3], shift: [i64; 3]) -> [f64; 3] {
        let ds = [0, 1, 2].map(|k| sj[k] + shift[k] as f64 - si[k]);
        match self.cell {
            Some(c) => c.to_cartesian(ds),
            None => [0, 1, 2].map(|k| ds[k] * self.extent[k]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::UnitCell;

    /// The one seeded generator, for reproducible test inputs.
    fn rng(seed: &mut crate::SplitMix64) -> f64 {
        seed.next_f64()
    }

    fn brute(points: &[[f64; 3]], cell: Option<&PeriodicCell>, cutoff: f64) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        for i in 0..points.len() {
            for j in i + 1..points.len() {
                let d = [0, 1, 2].map(|k| points[j][k] - points[i][k]);
                let d = cell.map_or(d, |c| c.minimum_image(d));
                if (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt() <= cutoff {
                    out.push((i as u32, j as u32));
                }
            }
        }
        out
    }

    fn fast(points: &[[f64; 3]], cell: Option<&PeriodicCell>, cutoff: f64) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        for_each_pair(points, cell, cutoff, |i, j, _| out.push((i, j)));
        out.sort_unstable();
        out.dedup();
        out
    }

    #[test]
    fn matches_brute_force_open_and_periodic() {
        let mut seed = crate::SplitMix64::new(7);
        let tric = UnitCell { vectors: [[20.0, 0.0, 0.0], [6.0, 18.0, 0.0], [-5.0, 4.0, 17.0]] };
        let cubic = UnitCell { vectors: [[9.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 9.0]] };
        for cell in [None, Some(tric), Some(cubic)] {
            let pc = cell.as_ref().map(|c| PeriodicCell::new(c).unwrap_or_else(|e| panic!("{e}")));
            for cutoff in [1.5, 3.0, 4.4] {
                let pts: Vec<[f64; 3]> =
                    (0..400).map(|_| [0, 1, 2].map(|_| rng(&mut seed) * 30.0 - 5.0)).collect();
                assert_eq!(fast(&pts, pc.as_ref(), cutoff), brute(&pts, pc.as_ref(), cutoff));
            }
        }
    }
}
