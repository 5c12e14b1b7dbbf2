//! Periodic boundaries: minimum images, making molecules whole (real XTC and synthetic
//! triclinic boxes), jump-free unwrapping and drift removal.

use deepsig_md::{
    BondOptions, DriftRemover, Graph, MakeWhole, PbcError, PeriodicCell, UnitCell, Unwrapper,
    bond_graph, open_topology, read_all_frames, select,
};

use super::{Rng, data_dir, dist, topology};

fn max_consecutive(points: &[[f32; 3]]) -> f64 {
    points.windows(2).map(|w| dist(w[0], w[1])).fold(0.0, f64::max)
}

#[test]
fn adk_in_water_is_made_whole_in_every_xtc_frame() {
    let Some(dir) = data_dir() else { return };
    let top = open_topology(dir.join("adk_oplsaa.gro")).unwrap_or_else(|e| panic!("{e}"));
    // No .tpr: bonds are guessed from the GRO coordinates, periodically in the GRO's box.
    let bonds =
        bond_graph(&top, top.positions.as_deref(), top.unit_cell.as_ref(), &BondOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
    let protein = select(&top, "protein").unwrap_or_else(|e| panic!("{e}"));
    let ca = select(&top, "name CA").unwrap_or_else(|e| panic!("{e}"));
    let sub = bonds.induced_subgraph(&protein).unwrap_or_else(|e| panic!("{e}"));
    assert!(sub.components().iter().all(|&c| c == 0), "the protein is one bonded molecule");
    // Every water is one O-H-H molecule (MW, a virtual site, has no element and no bonds).
    let ow = select(&top, "name OW").unwrap_or_else(|e| panic!("{e}"));
    assert!(ow.indices().iter().all(|&i| bonds.degree(i as usize) == 2));
    let whole = MakeWhole::for_selection(&bonds, &protein).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(whole.roots(), &[0]);
    let (frames, _) = read_all_frames(dir.join("adk_oplsaa.xtc")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(frames.len(), 10);
    let mut unwrap = Unwrapper::new(whole.clone());
    let mut previous_centroid: Option<[f64; 3]> = None;
    for (t, frame) in frames.iter().enumerate() {
        let cell = frame.unit_cell.unwrap_or_else(|| panic!("frame {t} has a box"));
        let raw = ca.gather(&frame.positions).unwrap_or_else(|e| panic!("{e}"));
        if t == 0 {
            let d = max_consecutive(&raw);
            assert!((d - 79.5).abs() < 0.05, "frame 0 raw max CA-CA {d}");
        }
        let mut pos = frame.positions.clone();
        whole.apply(&mut pos, &cell).unwrap_or_else(|e| panic!("{e}"));
        let fixed = max_consecutive(&ca.gather(&pos).unwrap_or_else(|e| panic!("{e}")));
        assert!(fixed <= 3.94, "frame {t}: max CA-CA {fixed} after making whole");
        // Solvent was left alone.
        assert_eq!(pos[ow.indices()[0] as usize], frame.positions[ow.indices()[0] as usize]);
        // The jump-free variant gives the same shape, shifted by a lattice vector at most,
        // and its centroid moves smoothly.
        let mut cont = frame.positions.clone();
        unwrap.apply(&mut cont, &cell).unwrap_or_else(|e| panic!("{e}"));
        let prot = protein.gather(&cont).unwrap_or_else(|e| panic!("{e}"));
        let c = deepsig_md::centroid(&prot).unwrap_or_else(|e| panic!("{e}"));
        if let Some(p) = previous_centroid {
            let step = ((0..3).map(|k| (c[k] - p[k]).powi(2)).sum::<f64>()).sqrt();
            assert!(step < 10.0, "frame {t}: centroid jumped {step}");
        }
        previous_centroid = Some(c);
        let a = ca.gather(&cont).unwrap_or_else(|e| panic!("{e}"));
        assert!((max_consecutive(&a) - fixed).abs() < 1e-3);
    }
}

/// A random walk of `n` bonded atoms with 1.5 Angstrom steps, and its path graph.
fn chain(rng: &mut Rng, n: usize) -> (Vec<[f32; 3]>, Graph) {
    let mut pos = vec![[0.0f32; 3]];
    for _ in 1..n {
        let d = [0; 3].map(|_| rng.range(-1.0, 1.0));
        let len = (d.iter().map(|v| v * v).sum::<f64>()).sqrt().max(1e-9);
        let last = pos[pos.len() - 1];
        pos.push([0, 1, 2].map(|k| last[k] + (1.5 * d[k] / len) as f32));
    }
    let edges: Vec<(u32, u32)> = (1..n as u32).map(|i| (i - 1, i)).collect();
    (pos, Graph::from_edges(n, &edges).unwrap_or_else(|e| panic!("{e}")))
}

#[test]
fn synthetic_molecules_come_back_whole_in_triclinic_boxes() {
    let mut rng = Rng(5);
    let cells = [
        UnitCell { vectors: [[20.0, 0.0, 0.0], [0.0, 20.0, 0.0], [10.0, 10.0, 14.142136]] },
        UnitCell { vectors: [[18.0, 0.0, 0.0], [6.0, 17.0, 0.0], [-5.0, 4.0, 16.0]] },
        // Not in GROMACS's lower-triangular form: the fractional fallback is used.
        UnitCell { vectors: [[15.0, 3.0, 1.0], [-2.0, 16.0, 2.0], [1.0, -3.0, 17.0]] },
    ];
    for cell in cells {
        let pc = PeriodicCell::new(&cell).unwrap_or_else(|e| panic!("{e}"));
        let (orig, g) = chain(&mut rng, 120);
        // Wrap every atom into the box: the chain is scattered across all faces.
        let mut pos: Vec<[f32; 3]> =
            orig.iter().map(|p| pc.wrap(p.map(f64::from)).map(|v| v as f32)).collect();
        assert!(max_consecutive(&pos) > 5.0, "the wrapped chain is broken");
        MakeWhole::new(&g).apply(&mut pos, &cell).unwrap_or_else(|e| panic!("{e}"));
        // Atom 0 (the root) stays; every other atom is restored relative to it.
        let shift = [0, 1, 2].map(|k| pos[0][k] - orig[0][k]);
        for (p, o) in pos.iter().zip(&orig) {
            for k in 0..3 {
                assert!((p[k] - o[k] - shift[k]).abs() < 1e-3, "{cell:?}");
            }
        }
        // The root moved by a lattice vector: integer fractional shift.
        let s = pc.to_fractional(shift.map(f64::from));
        assert!(s.iter().all(|v| (v - v.round()).abs() < 1e-4), "{s:?}");
    }
}

#[test]
fn minimum_image_is_the_shortest_lattice_image() {
    let mut rng = Rng(9);
    let cells = [
        UnitCell { vectors: [[10.0, 0.0, 0.0], [0.0, 12.0, 0.0], [0.0, 0.0, 14.0]] },
        UnitCell { vectors: [[10.0, 0.0, 0.0], [0.0, 10.0, 0.0], [5.0, 5.0, 7.0710678]] },
        UnitCell { vectors: [[10.0, 0.0, 0.0], [4.0, 9.0, 0.0], [-3.0, 4.0, 9.5]] },
    ];
    for cell in cells {
        let pc = PeriodicCell::new(&cell).unwrap_or_else(|e| panic!("{e}"));
        let [a, b, c] = cell.vectors;
        for _ in 0..500 {
            let d = [0; 3].map(|_| rng.range(-40.0, 40.0));
            let m = pc.minimum_image(d);
            let len = |v: [f64; 3]| (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
            let mut best = f64::INFINITY;
            for i in -8..=8 {
                for j in -8..=8 {
                    for k in -8..=8 {
                        let (i, j, k) = (f64::from(i), f64::from(j), f64::from(k));
                        best =
                            best.min(len([0, 1, 2].map(|q| d[q] + i * a[q] + j * b[q] + k * c[q])));
                    }
                }
            }
            assert!((len(m) - best).abs() < 1e-9, "{d:?}: {} vs {best}", len(m));
            // The image differs from d by a lattice vector.
            let s = pc.to_fractional([0, 1, 2].map(|q| m[q] - d[q]));
            assert!(s.iter().all(|v| (v - v.round()).abs() < 1e-9));
        }
    }
    let flat = UnitCell { vectors: [[10.0, 0.0, 0.0], [20.0, 0.0, 0.0], [0.0, 0.0, 5.0]] };
    assert!(matches!(PeriodicCell::new(&flat), Err(PbcError::DegenerateCell(_))));
    let zero = UnitCell { vectors: [[0.0; 3]; 3] };
    assert!(PeriodicCell::new(&zero).is_err());
}

#[test]
fn drift_removal_keeps_the_centre_fixed() {
    let top = topology(&[("CA", "ALA", 1, "C"), ("CA", "ALA", 2, "C"), ("OW", "SOL", 3, "O")]);
    let sel = select(&top, "protein").unwrap_or_else(|e| panic!("{e}"));
    let base = [[0.0f32, 0.0, 0.0], [3.8, 0.0, 0.0], [10.0, 10.0, 10.0]];
    let mut drift = DriftRemover::new(Some(&sel));
    for t in 0..5 {
        let v = [0.7 * t as f32, -0.3 * t as f32, 0.1 * t as f32];
        let mut frame: Vec<[f32; 3]> =
            base.iter().map(|p| [0, 1, 2].map(|k| p[k] + v[k])).collect();
        let shift = drift.apply(&mut frame).unwrap_or_else(|e| panic!("{e}"));
        assert!((0..3).all(|k| (shift[k] - f64::from(v[k])).abs() < 1e-5));
        for (p, b) in frame.iter().zip(&base) {
            assert!((0..3).all(|k| (p[k] - b[k]).abs() < 1e-5), "frame {t}");
        }
    }
    let mut short = vec![[0.0f32; 3]];
    assert!(matches!(drift.apply(&mut short), Err(PbcError::LengthMismatch { .. })));
}

#[test]
fn make_whole_refuses_bad_inputs() {
    let g = Graph::from_edges(2, &[(0, 1)]).unwrap_or_else(|e| panic!("{e}"));
    let cell = UnitCell { vectors: [[10.0, 0.0, 0.0], [0.0, 10.0, 0.0], [0.0, 0.0, 10.0]] };
    let mut three = vec![[0.0f32; 3]; 3];
    assert_eq!(
        MakeWhole::new(&g).apply(&mut three, &cell),
        Err(PbcError::LengthMismatch { expected: 2, got: 3 })
    );
    let mut two = vec![[0.5f32, 0.0, 0.0], [9.5, 0.0, 0.0]];
    MakeWhole::new(&g).apply(&mut two, &cell).unwrap_or_else(|e| panic!("{e}"));
    assert!((two[1][0] - -0.5).abs() < 1e-6);
    let top = topology(&[("CA", "ALA", 1, "C")]);
    let sel = select(&top, "all").unwrap_or_else(|e| panic!("{e}"));
    assert!(MakeWhole::for_selection(&g, &sel).is_err());
}
