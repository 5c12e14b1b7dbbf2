//! Superposition, alignment of frames and the canonical principal-axes frame.

use deepsig_md::{
    AlignError, Aligner, center, centroid, open_topology, principal_axes, rmsd, select, superpose,
};

use super::{Rng, data_dir, rotate, rotation, topology};

fn det(r: &[[f64; 3]; 3]) -> f64 {
    r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1])
        - r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0])
        + r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0])
}

fn cloud(rng: &mut Rng, n: usize) -> Vec<[f32; 3]> {
    // Anisotropic, so the principal moments are well separated.
    (0..n)
        .map(|_| {
            [rng.range(-12.0, 12.0), rng.range(-6.0, 6.0), rng.range(-2.0, 3.0)].map(|v| v as f32)
        })
        .collect()
}

#[test]
fn a_rotated_translated_copy_aligns_back() {
    let mut rng = Rng(3);
    for trial in 0..20 {
        let reference = cloud(&mut rng, 50 + trial);
        let r = rotation(&mut rng);
        let t = [0; 3].map(|_| rng.range(-50.0, 50.0));
        let mut mobile: Vec<[f32; 3]> = reference.iter().map(|p| rotate(&r, t, *p)).collect();
        let fit = superpose(&mobile, &reference).unwrap_or_else(|e| panic!("{e}"));
        assert!(fit.rmsd() < 1e-5, "trial {trial}: rmsd {}", fit.rmsd());
        assert!((det(&fit.rotation()) - 1.0).abs() < 1e-12);
        fit.apply(&mut mobile);
        assert!(rmsd(&mobile, &reference).unwrap_or(f64::NAN) < 1e-5);
        for (p, q) in mobile.iter().zip(&reference) {
            assert!((0..3).all(|k| (p[k] - q[k]).abs() < 1e-5), "trial {trial}");
        }
    }
}

#[test]
fn superposition_is_a_proper_rotation_even_for_a_mirror_image() {
    let mut rng = Rng(4);
    let reference = cloud(&mut rng, 40);
    let mirrored: Vec<[f32; 3]> = reference.iter().map(|p| [p[0], p[1], -p[2]]).collect();
    let fit = superpose(&mirrored, &reference).unwrap_or_else(|e| panic!("{e}"));
    assert!((det(&fit.rotation()) - 1.0).abs() < 1e-12, "no reflection");
    assert!(fit.rmsd() > 0.1);
    // Still optimal among rotations: no random rotation does better.
    for _ in 0..200 {
        let r = rotation(&mut rng);
        let c = centroid(&mirrored).unwrap_or_default();
        let moved: Vec<[f32; 3]> = mirrored
            .iter()
            .map(|p| rotate(&r, [0.0; 3], [0, 1, 2].map(|k| (f64::from(p[k]) - c[k]) as f32)))
            .collect();
        let mut centred_ref = reference.clone();
        center(&mut centred_ref).unwrap_or_else(|e| panic!("{e}"));
        assert!(rmsd(&moved, &centred_ref).unwrap_or(0.0) >= fit.rmsd() - 1e-6);
    }
}

#[test]
fn adk_open_and_closed_differ_by_the_documented_rmsd() {
    let Some(dir) = data_dir() else { return };
    let open = open_topology(dir.join("adk_open.pdb")).unwrap_or_else(|e| panic!("{e}"));
    let closed = open_topology(dir.join("adk_closed.pdb")).unwrap_or_else(|e| panic!("{e}"));
    let ca = select(&open, "name CA").unwrap_or_else(|e| panic!("{e}"));
    let a = ca.gather(&open.positions.unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
    let b = ca.gather(&closed.positions.unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
    let fit = superpose(&b, &a).unwrap_or_else(|e| panic!("{e}"));
    // The data README: "the C-alpha RMSD between adk_open.pdb and adk_closed.pdb is 6.91 A".
    assert!((fit.rmsd() - 6.91).abs() < 0.005, "{}", fit.rmsd());
    let mut rng = Rng(21);
    let r = rotation(&mut rng);
    let moved: Vec<[f32; 3]> = a.iter().map(|p| rotate(&r, [30.0, -12.0, 5.0], *p)).collect();
    let back = superpose(&moved, &a).unwrap_or_else(|e| panic!("{e}"));
    assert!(back.rmsd() < 1e-5, "{}", back.rmsd());
}

#[test]
fn aligner_fits_on_the_selection_and_moves_the_whole_frame() {
    let top = topology(&[
        ("CA", "ALA", 1, "C"),
        ("CA", "ALA", 2, "C"),
        ("CA", "ALA", 3, "C"),
        ("CA", "ALA", 4, "C"),
        ("OW", "SOL", 5, "O"),
    ]);
    let reference =
        vec![[0.0, 0.0, 0.0], [3.8, 0.0, 0.0], [5.0, 3.5, 0.0], [6.0, 4.0, 3.0], [9.0, 9.0, 9.0]];
    let sel = select(&top, "protein").unwrap_or_else(|e| panic!("{e}"));
    let aligner = Aligner::new(&reference, &sel).unwrap_or_else(|e| panic!("{e}"));
    let mut rng = Rng(8);
    let r = rotation(&mut rng);
    let mut frame: Vec<[f32; 3]> =
        reference.iter().map(|p| rotate(&r, [4.0, -2.0, 7.0], *p)).collect();
    let fit = aligner.align(&mut frame).unwrap_or_else(|e| panic!("{e}"));
    assert!(fit.rmsd() < 1e-5);
    // The unselected atom moved rigidly with the protein, back onto its reference place.
    for (p, q) in frame.iter().zip(&reference) {
        assert!((0..3).all(|k| (p[k] - q[k]).abs() < 1e-4));
    }
    assert_eq!(
        aligner.align(&mut frame[..3].to_vec()).err(),
        Some(AlignError::LengthMismatch { expected: 5, got: 3 })
    );
    assert_eq!(superpose(&[], &[]).err(), Some(AlignError::Empty));
    assert_eq!(
        superpose(&[[f32::NAN, 0.0, 0.0]], &[[0.0; 3]]).err(),
        Some(AlignError::NonFinite { index: 0 })
    );
}

#[test]
fn principal_axes_frame_is_canonical() {
    let mut rng = Rng(12);
    let shape = cloud(&mut rng, 80);
    let frame_of = |pts: &[[f32; 3]]| {
        let axes = principal_axes(pts).unwrap_or_else(|e| panic!("{e}"));
        let mut out = pts.to_vec();
        axes.apply(&mut out);
        (axes, out)
    };
    let (axes, canonical) = frame_of(&shape);
    let m = axes.moments();
    assert!(m[0] > m[1] && m[1] > m[2] && m[2] > 0.0);
    assert!((det(&axes.axes()) - 1.0).abs() < 1e-12);
    // Centred, and the gyration tensor is diagonal with decreasing entries in the new frame.
    let c = centroid(&canonical).unwrap_or_else(|e| panic!("{e}"));
    assert!(c.iter().all(|v| v.abs() < 1e-4));
    for _ in 0..10 {
        let r = rotation(&mut rng);
        let t = [0; 3].map(|_| rng.range(-30.0, 30.0));
        let moved: Vec<[f32; 3]> = shape.iter().map(|p| rotate(&r, t, *p)).collect();
        let (_, again) = frame_of(&moved);
        for (p, q) in again.iter().zip(&canonical) {
            assert!((0..3).all(|k| (p[k] - q[k]).abs() < 1e-4), "{p:?} vs {q:?}");
        }
    }
}
