//! The MD subcommands on the real MDAnalysis test files in `../shared/data` (AdK): counts,
//! bit-exact extraction against MDAnalysis's arrays, and periodic unwrapping of a GROMACS
//! trajectory. Every test prints `skipping: ...` and passes when the folder is absent.

use std::path::{Path, PathBuf};

use crate::md::{deepsig, distance, fails, ok, read_f32, stderr};

fn data() -> Option<PathBuf> {
    deepsig_testutil::shared_data("")
}

fn arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The largest distance between consecutive atoms of each frame of a (frames, atoms, 3) array.
fn max_steps(coords: &[f32], atoms: usize) -> Vec<f64> {
    coords
        .chunks(atoms * 3)
        .map(|frame| {
            frame
                .chunks(3)
                .zip(frame.chunks(3).skip(1))
                .map(|(a, b)| distance(a, b))
                .fold(0.0, f64::max)
        })
        .collect()
}

#[test]
fn info_counts_adk_and_warns_about_the_dcd_header() {
    let Some(data) = data() else { return };
    let out = deepsig(
        &["info", arg(&data.join("adk.psf")), arg(&data.join("adk_dims.dcd")), "--json"],
        &data,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["atoms"], 3341);
    assert_eq!(j["residues"], 214);
    assert_eq!((j["bonds"].as_u64(), j["bond_source"].as_str()), (Some(3365), Some("file")));
    assert_eq!(j["frames"], 98);
    assert_eq!(j["segments"][0]["id"], "4AKE");
    assert!((j["time_step_ps"].as_f64().unwrap() - 1.0).abs() < 1e-6, "{j}");
    assert!(j["box"].is_null(), "adk_dims.dcd has no unit cell: {j}");
    let err = stderr(&out);
    assert!(err.starts_with("deepsig: warning: ") && err.contains("NSET = 500"), "{err}");

    let j: serde_json::Value = serde_json::from_str(&ok(
        &[
            "info",
            arg(&data.join("adk_oplsaa.gro")),
            arg(&data.join("adk_oplsaa.xtc")),
            "--json",
            "--select",
            "protein",
        ],
        &data,
    ))
    .unwrap();
    assert_eq!((j["atoms"].as_u64(), j["frames"].as_u64()), (Some(47681), Some(10)));
    assert_eq!(j["selection"]["atoms"], 3341);
    assert_eq!(j["bond_source"], "guessed");
    assert!((j["box"]["alpha"].as_f64().unwrap() - 60.0).abs() < 1e-3, "{j}");
}

#[test]
fn extract_matches_mdanalysis_bit_for_bit() {
    let Some(data) = data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (psf, dcd) = (data.join("adk.psf"), data.join("adk_dims.dcd"));
    ok(&["extract", arg(&psf), arg(&dcd), "--select", "name CA", "-o", "ca.npy"], d);
    let (ours, shape) = read_f32(&d.join("ca.npy"));
    let (theirs, their_shape) = read_f32(&data.join("reference/adk_dims.dcd.ca.npy"));
    assert_eq!((shape.as_slice(), their_shape.as_slice()), (&[98, 214, 3][..], &[98, 214, 3][..]));
    assert!(ours.iter().zip(&theirs).all(|(a, b)| a.to_bits() == b.to_bits()), "not bit-identical");

    // PSF has no coordinates, so --align fits every frame onto the first one.
    ok(&["extract", arg(&psf), arg(&dcd), "--select", "name CA", "--align", "-o", "al.npy"], d);
    let (aligned, _) = read_f32(&d.join("al.npy"));
    assert_eq!(aligned[..214 * 3], ours[..214 * 3], "the reference frame stays as it is");
}

#[test]
fn unwrap_repairs_the_gromacs_trajectory_split_across_the_box() {
    let Some(data) = data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (gro, xtc) = (data.join("adk_oplsaa.gro"), data.join("adk_oplsaa.xtc"));
    ok(&["extract", arg(&gro), arg(&xtc), "--select", "name CA", "-o", "wrapped.npy"], d);
    let (wrapped, shape) = read_f32(&d.join("wrapped.npy"));
    assert_eq!(shape, [10, 214, 3]);
    let (theirs, _) = read_f32(&data.join("reference/adk_oplsaa.xtc.ca.npy"));
    assert!(wrapped.iter().zip(&theirs).all(|(a, b)| a.to_bits() == b.to_bits()), "XTC as stored");
    let split = max_steps(&wrapped, 214)[0];
    assert!((split - 79.5).abs() < 0.1, "frame 0 of the stored file is split: {split}");
    ok(&["extract", arg(&gro), arg(&xtc), "--select", "name CA", "--unwrap", "-o", "whole.npy"], d);
    let (whole, _) = read_f32(&d.join("whole.npy"));
    for (frame, step) in max_steps(&whole, 214).iter().enumerate() {
        assert!(*step < 4.2, "frame {frame}: consecutive C-alphas {step} Å apart");
    }

    // A copy cut inside frame 6: one line naming the file, frame and problem; no output.
    let bytes = std::fs::read(&xtc).unwrap();
    std::fs::write(d.join("cut.xtc"), &bytes[..1_000_000]).unwrap();
    let e = fails(&["extract", arg(&gro), "cut.xtc", "-o", "cut.npy"], d);
    assert!(e.contains("cut.xtc (xtc), frame 6") && e.contains("truncated"), "{e}");
    assert!(!d.join("cut.npy").exists());
}

#[test]
fn a_stored_frame_index_is_where_frame_index_says() {
    let Some(data) = data() else { return };
    let dir = tempfile::tempdir().unwrap();
    for name in ["adk_oplsaa.gro", "adk_oplsaa.xtc"] {
        std::fs::copy(data.join(name), dir.path().join(name)).unwrap();
    }
    let index = dir.path().join("index");
    let info = |place: &str| {
        let args = ["info", "adk_oplsaa.gro", "adk_oplsaa.xtc", "--json", "--frame-index", place];
        let out = deepsig(&args, dir.path());
        assert!(out.status.success(), "{}", stderr(&out));
        let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(j["frames"], 10);
    };
    let files = |d: &Path| std::fs::read_dir(d).map_or(0, |r| r.count());
    info("memory");
    assert_eq!(files(dir.path()), 2, "memory stores nothing");
    info(arg(&index));
    assert_eq!(files(&index), 1);
    info(arg(&index));
    assert_eq!(files(&index), 1, "the second open uses the index");
    info("beside");
    assert!(dir.path().join(".adk_oplsaa.xtc.deepsig-frames").is_file());
}
