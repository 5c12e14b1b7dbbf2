//! Real trajectories (MDAnalysisTests files) against the MDAnalysis reference arrays.

use std::path::Path;

use deepsig_md::{
    Frame, FrameRange, ReadErrorKind, Trajectory, cell_dimensions, check_atom_count,
    open_frame_reader, open_topology, read_all_frames,
};

use super::common::{data_dir, npy};

fn reference(dir: &Path, traj: &str, kind: &str) -> (Vec<u64>, Vec<f32>) {
    npy(&dir.join("reference").join(format!("{traj}.{kind}.npy")))
}

/// Times equal the float32-stored reference to within its rounding.
fn check_times(frames: &[Frame], times: &[f32], label: &str) {
    assert_eq!(frames.len(), times.len(), "{label}: frame count");
    for (i, (f, &t)) in frames.iter().zip(times).enumerate() {
        let ours = f.time_ps.expect("time present") as f32;
        let tol = f32::EPSILON * t.abs().max(1.0);
        assert!((ours - t).abs() <= tol, "{label} frame {i}: time {ours} vs {t}");
    }
}

/// Boxes match `ts.dimensions`; an all-zero reference row means "no box".
fn check_boxes(frames: &[Frame], boxes: &[f32], label: &str) {
    assert_eq!(boxes.len(), frames.len() * 6, "{label}: box array size");
    for (i, (f, r)) in frames.iter().zip(boxes.chunks_exact(6)).enumerate() {
        match f.unit_cell {
            None => assert!(r.iter().all(|&v| v == 0.0), "{label} frame {i}: box {r:?} missing"),
            Some(cell) => {
                let d = cell_dimensions(&cell);
                for k in 0..6 {
                    let tol = if k < 3 { 2e-4 * f64::from(r[k]).abs() } else { 1e-3 };
                    let diff = (d[k] - f64::from(r[k])).abs();
                    assert!(diff <= tol, "{label} frame {i}: dims {d:?} vs {r:?}");
                }
            }
        }
    }
}

/// Positions are bit-identical to an (frames, atoms, 3) reference, at the given atom indices.
fn check_positions(frames: &[Frame], refs: &[f32], atoms: &[usize], label: &str) {
    assert_eq!(refs.len(), frames.len() * atoms.len() * 3, "{label}: reference size");
    let mut k = 0;
    for (fi, f) in frames.iter().enumerate() {
        for &a in atoms {
            for d in 0..3 {
                let (ours, r) = (f.positions[a][d], refs[k]);
                assert_eq!(
                    ours.to_bits(),
                    r.to_bits(),
                    "{label} frame {fi} atom {a}: {ours} vs {r}"
                );
                k += 1;
            }
        }
    }
}

fn all_atoms(n: usize) -> Vec<usize> {
    (0..n).collect()
}

#[test]
fn dcd_files_match_mdanalysis_bit_for_bit() {
    let Some(dir) = data_dir() else { return };
    for (file, n_frames, warnings) in [
        ("adk_dims.dcd", 98, 1),
        ("adk_dims2.dcd", 102, 0),
        ("adk_gbis_tmd-fast1_NAMD.dcd", 100, 0),
        ("coordinates/test.dcd", 5, 2),
    ] {
        let path = dir.join(file);
        let reader = open_frame_reader(&path).expect("dcd opens");
        assert_eq!(reader.n_frames(), Some(n_frames), "{file}: frames from file size");
        let (frames, warns) = read_all_frames(&path).expect("dcd reads");
        assert_eq!(frames.len(), n_frames, "{file}");
        assert_eq!(warns.len(), warnings, "{file}: warnings {warns:?}");
        let (shape, all) = reference(&dir, file, "all");
        assert_eq!(shape[0] as usize, n_frames);
        check_positions(&frames, &all, &all_atoms(shape[1] as usize), file);
        check_times(&frames, &reference(&dir, file, "time").1, file);
        check_boxes(&frames, &reference(&dir, file, "box").1, file);
    }
}

#[test]
fn dcd_warnings_name_the_broken_rule() {
    let Some(dir) = data_dir() else { return };
    let (_, warns) = read_all_frames(dir.join("adk_dims.dcd")).expect("reads");
    assert!(
        warns[0].message.contains("NSET = 500") && warns[0].message.contains("98"),
        "{}",
        warns[0]
    );
    let (frames, warns) = read_all_frames(dir.join("coordinates/test.dcd")).expect("reads");
    let text: Vec<String> = warns.iter().map(ToString::to_string).collect();
    assert!(text.iter().any(|w| w.contains("title record markers say 164")), "{text:?}");
    assert!(text.iter().any(|w| w.contains("NSET = 4")), "{text:?}");
    // The A, gamma, B, beta, alpha, C order: frame 0 holds 81.1 82.2 83.3 / 75 80 85 degrees.
    let d = cell_dimensions(&frames[0].unit_cell.expect("test.dcd has a cell"));
    for (got, want) in d.iter().zip([81.1, 82.2, 83.3, 75.0, 80.0, 85.0]) {
        assert!((got - want).abs() < 1e-4, "{d:?}");
    }
}

#[test]
fn xtc_files_match_mdanalysis_exactly() {
    let Some(dir) = data_dir() else { return };
    for (file, n_frames) in [("adk_oplsaa.xtc", 10), ("coordinates/test.xtc", 5)] {
        let (frames, _) = read_all_frames(dir.join(file)).expect("xtc reads");
        assert_eq!(frames.len(), n_frames, "{file}");
        let (shape, all) = reference(&dir, file, "all");
        let atoms = all_atoms(shape[1] as usize);
        let max_diff = frames
            .iter()
            .flat_map(|f| f.positions.iter().flatten())
            .zip(&all)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(max_diff <= 0.01, "{file}: max deviation {max_diff} A");
        check_positions(&frames, &all, &atoms, file);
        check_times(&frames, &reference(&dir, file, "time").1, file);
        check_boxes(&frames, &reference(&dir, file, "box").1, file);
        assert_eq!(frames[1].step, Some(if n_frames == 10 { 50000 } else { 1 }), "{file}");
        assert_eq!(deepsig_md::count_frames(dir.join(file)).expect("scan"), n_frames, "{file}");
    }
}

#[test]
fn xtc_decoder_agrees_with_molly() {
    let Some(dir) = data_dir() else { return };
    let path = dir.join("adk_oplsaa.xtc");
    let mut molly_reader = molly::XTCReader::open(&path).expect("molly opens");
    let mut mf = molly::Frame::default();
    let (frames, _) = read_all_frames(&path).expect("reads");
    for (i, f) in frames.iter().enumerate() {
        molly_reader.read_frame(&mut mf).expect("molly reads");
        for (a, (ours, theirs)) in f.positions.iter().zip(mf.coords()).enumerate() {
            let theirs = theirs.map(|v| v * 10.0);
            assert_eq!(*ours, theirs, "frame {i} atom {a}");
        }
    }
}

fn ca_and_backbone(top: &deepsig_md::Topology) -> (Vec<usize>, Vec<usize>) {
    let named = |names: &[&str]| -> Vec<usize> {
        let atoms = top.atoms.iter().enumerate();
        atoms.filter(|(_, a)| names.contains(&a.name.as_str())).map(|(i, _)| i).collect()
    };
    (named(&["CA"]), named(&["N", "CA", "C", "O"]))
}

#[test]
fn trr_files_match_mdanalysis() {
    let Some(dir) = data_dir() else { return };
    let top = open_topology(dir.join("adk_oplsaa.gro")).expect("gro topology");
    let (ca, bb) = ca_and_backbone(&top);
    assert_eq!((ca.len(), bb.len()), (214, 855));
    let file = "adk_oplsaa.trr";
    let (frames, _) = read_all_frames(dir.join(file)).expect("trr reads");
    assert_eq!(frames.len(), 10);
    assert_eq!(deepsig_md::count_frames(dir.join(file)).expect("scan"), 10);
    check_positions(&frames, &reference(&dir, file, "ca").1, &ca, file);
    check_positions(&frames, &reference(&dir, file, "backbone").1, &bb, file);
    check_times(&frames, &reference(&dir, file, "time").1, file);
    check_boxes(&frames, &reference(&dir, file, "box").1, file);

    let file = "coordinates/test.trr";
    let (frames, _) = read_all_frames(dir.join(file)).expect("trr reads");
    check_positions(&frames, &reference(&dir, file, "all").1, &all_atoms(5), file);
    check_times(&frames, &reference(&dir, file, "time").1, file);
    check_boxes(&frames, &reference(&dir, file, "box").1, file);
}

#[test]
fn gro_and_pdb_structures_match_reference_ca() {
    let Some(dir) = data_dir() else { return };
    for file in ["adk_open.pdb", "adk_closed.pdb", "adk_oplsaa.pdb", "adk_oplsaa.gro"] {
        let top = open_topology(dir.join(file)).expect("topology reads");
        let (ca, _) = ca_and_backbone(&top);
        let frame = Frame {
            positions: top.positions.clone().expect("structure has positions"),
            ..Frame::default()
        };
        check_positions(&[frame], &npy(&dir.join(format!("reference/{file}.ca.npy"))).1, &ca, file);
    }
    let open = open_topology(dir.join("adk_open.pdb")).expect("reads");
    let d = cell_dimensions(&open.unit_cell.expect("CRYST1 box"));
    assert!((d[0] - 80.017).abs() < 1e-3 && (d[3] - 60.0).abs() < 1e-6, "{d:?}");
    assert!(open_topology(dir.join("adk_closed.pdb")).expect("reads").unit_cell.is_none());

    let file = "coordinates/test.gro";
    let (frames, _) = read_all_frames(dir.join(file)).expect("gro trajectory");
    assert_eq!(frames.len(), 1);
    check_positions(&frames, &reference(&dir, file, "all").1, &all_atoms(5), file);
    check_boxes(&frames, &reference(&dir, file, "box").1, file);
}

#[test]
fn concatenated_files_with_start_stop_stride() {
    let Some(dir) = data_dir() else { return };
    let paths = [dir.join("adk_dims.dcd"), dir.join("adk_dims2.dcd")];
    let range = FrameRange { start: 95, stop: Some(106), stride: 2 };
    let mut traj = Trajectory::open_range(&paths, range).expect("opens");
    assert_eq!(traj.n_frames(), Some(6));
    assert_eq!(Trajectory::open(&paths).expect("opens").n_frames(), Some(200));
    let first = reference(&dir, "adk_dims.dcd", "all").1;
    let second = reference(&dir, "adk_dims2.dcd", "all").1;
    let per_frame = 3341 * 3;
    let mut frame = Frame::default();
    let mut seen = Vec::new();
    while let Some(i) = traj.read_next(&mut frame).expect("reads") {
        let (refs, local) = if i < 98 { (&first, i) } else { (&second, i - 98) };
        let want = &refs[local * per_frame..(local + 1) * per_frame];
        let got: Vec<f32> = frame.positions.iter().flatten().copied().collect();
        assert_eq!(got, want, "global frame {i}");
        seen.push(i);
    }
    assert_eq!(seen, [95, 97, 99, 101, 103, 105]);

    let xtc = [dir.join("adk_oplsaa.xtc")];
    let mut traj = Trajectory::open_range(&xtc, FrameRange { start: 1, stop: None, stride: 3 })
        .expect("opens");
    let all = reference(&dir, "adk_oplsaa.xtc", "all").1;
    let per_frame = 47681 * 3;
    let mut seen = Vec::new();
    while let Some(i) = traj.read_next(&mut frame).expect("reads") {
        let got: Vec<f32> = frame.positions.iter().flatten().copied().collect();
        assert!(got == all[i * per_frame..(i + 1) * per_frame], "xtc frame {i}");
        seen.push(i);
    }
    assert_eq!(seen, [1, 4, 7]);
}

#[test]
fn atom_count_mismatch_is_a_clear_error() {
    let Some(dir) = data_dir() else { return };
    let top = open_topology(dir.join("adk.psf")).expect("psf reads");
    let traj = Trajectory::open(&[dir.join("adk_oplsaa.xtc")]).expect("opens");
    let err = check_atom_count(&top, &dir.join("adk.psf"), &traj).expect_err("3341 vs 47681");
    assert!(matches!(
        err.kind,
        ReadErrorKind::AtomCountMismatch { expected: 3341, found: 47681, .. }
    ));
    let msg = err.to_string();
    assert!(msg.contains("adk_oplsaa.xtc") && msg.contains("atom count mismatch"), "{msg}");
    assert!(msg.contains("this file has 47681 atoms") && msg.contains("adk.psf has 3341"), "{msg}");

    let mixed = [dir.join("adk_dims.dcd"), dir.join("coordinates/test.dcd")];
    let err = Trajectory::open(&mixed).err().expect("files with 3341 and 5 atoms");
    assert!(err.to_string().contains("test.dcd"), "{err}");
    let ok = Trajectory::open(&[dir.join("adk_dims.dcd")]).expect("opens");
    check_atom_count(&top, &dir.join("adk.psf"), &ok).expect("adk.psf fits adk_dims.dcd");
}
