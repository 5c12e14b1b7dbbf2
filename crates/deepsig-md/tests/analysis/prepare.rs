//! Frame preparation: whole, aligned selections, and exact invariance to a rigid motion of a
//! whole trajectory.

use deepsig_md::{
    BondOptions, Frame, FramePrep, PrepOptions, bond_graph, open_topology, read_all_frames, rmsd,
    select,
};

use super::{Rng, data_dir, dist, rotate, rotation};

#[test]
fn solvated_adk_frames_come_out_whole_and_aligned() {
    let Some(dir) = data_dir() else { return };
    let top = open_topology(dir.join("adk_oplsaa.gro")).unwrap_or_else(|e| panic!("{e}"));
    let bonds =
        bond_graph(&top, top.positions.as_deref(), top.unit_cell.as_ref(), &BondOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
    let ca = select(&top, "name CA").unwrap_or_else(|e| panic!("{e}"));
    let mut prep =
        FramePrep::new(&top, &ca, &bonds, PrepOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let reference = prep.reference().map(<[_]>::to_vec).unwrap_or_default();
    assert_eq!(reference.len(), 214);
    let (frames, _) = read_all_frames(dir.join("adk_oplsaa.xtc")).unwrap_or_else(|e| panic!("{e}"));
    for (t, frame) in frames.iter().enumerate() {
        let out = prep.process(frame).unwrap_or_else(|e| panic!("{e}"));
        let gap = out.windows(2).map(|w| dist(w[0], w[1])).fold(0.0, f64::max);
        assert!(gap <= 3.94, "frame {t}: {gap}");
        let r = rmsd(&out, &reference).unwrap_or(f64::NAN);
        // Frame 0 is the GRO structure to 0.01 A; later frames stay near it.
        assert!(if t == 0 { r < 0.02 } else { r < 3.0 }, "frame {t}: rmsd {r}");
    }
}

fn moved(frames: &[Frame], rng: &mut Rng) -> Vec<Frame> {
    let r = rotation(rng);
    let t = [0; 3].map(|_| rng.range(-40.0, 40.0));
    frames
        .iter()
        .map(|f| Frame {
            positions: f.positions.iter().map(|p| rotate(&r, t, *p)).collect(),
            ..f.clone()
        })
        .collect()
}

#[test]
fn output_is_invariant_to_a_rigid_motion_of_the_trajectory() {
    let Some(dir) = data_dir() else { return };
    let (frames, _) = read_all_frames(dir.join("adk_dims.dcd")).unwrap_or_else(|e| panic!("{e}"));
    let frames = &frames[..12];
    let psf = open_topology(dir.join("adk.psf")).unwrap_or_else(|e| panic!("{e}"));
    let open = open_topology(dir.join("adk_open.pdb")).unwrap_or_else(|e| panic!("{e}"));
    let bonds =
        bond_graph(&psf, None, None, &BondOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let bb = select(&psf, "backbone").unwrap_or_else(|e| panic!("{e}"));
    let mut rng = Rng(17);
    // Reference from the topology's coordinates (PDB), or from the first frame's principal
    // axes (PSF has no coordinates).
    let with_coords = deepsig_md::Topology { positions: open.positions.clone(), ..psf.clone() };
    for top in [&psf, &with_coords] {
        let run = |frames: &[Frame]| -> Vec<Vec<[f32; 3]>> {
            let mut prep = FramePrep::new(top, &bb, &bonds, PrepOptions::default())
                .unwrap_or_else(|e| panic!("{e}"));
            frames.iter().map(|f| prep.process(f).unwrap_or_else(|e| panic!("{e}"))).collect()
        };
        let base = run(frames);
        for _ in 0..3 {
            let again = run(&moved(frames, &mut rng));
            for (a, b) in base.iter().zip(&again) {
                assert!(rmsd(a, b).unwrap_or(f64::NAN) < 1e-4);
            }
        }
        // Without alignment, the rigid motion shows.
        let off = PrepOptions { align: false, ..PrepOptions::default() };
        let mut prep = FramePrep::new(top, &bb, &bonds, off).unwrap_or_else(|e| panic!("{e}"));
        let raw = prep.process(&moved(frames, &mut rng)[0]).unwrap_or_else(|e| panic!("{e}"));
        assert!(rmsd(&raw, &base[0]).unwrap_or(0.0) > 1.0);
    }
}
