//! The MD subcommands (`info`, `extract`, `bench read`) on small fixtures written here: a PDB
//! topology with CONECT records, multi-model PDB trajectories, a multi-frame GRO, and a bonded
//! chain split across a periodic box.

use std::path::Path;
use std::process::{Command, Output};

pub(crate) fn deepsig(args: &[&str], dir: &Path) -> Output {
    // Frame indexes go to the user's cache folder by default: the tests keep theirs apart.
    let cache = std::env::temp_dir().join(format!("deepsig-test-cache-{}", std::process::id()));
    Command::new(env!("CARGO_BIN_EXE_deepsig"))
        .args(args)
        .current_dir(dir)
        .env("XDG_CACHE_HOME", cache)
        .output()
        .unwrap()
}

pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs a command that must succeed and returns its stdout.
pub(crate) fn ok(args: &[&str], dir: &Path) -> String {
    let out = deepsig(args, dir);
    assert!(out.status.success(), "deepsig {args:?} failed: {}", stderr(&out));
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command that must fail with exit code 1 and one clear line on stderr; returns it.
pub(crate) fn fails(args: &[&str], dir: &Path) -> String {
    let out = deepsig(args, dir);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "deepsig {args:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.starts_with("deepsig: warning:")).collect();
    assert_eq!(lines.len(), 1, "one error line expected: {err}");
    assert!(lines[0].starts_with("deepsig: "), "{err}");
    lines[0].to_string()
}

/// A float32 `.npy` file's data and shape.
pub(crate) fn read_f32(path: &Path) -> (Vec<f32>, Vec<u64>) {
    let npy = npyz::NpyFile::new(std::fs::File::open(path).unwrap()).unwrap();
    assert_eq!(npy.dtype(), npyz::DType::Plain("<f4".parse().unwrap()), "{}", path.display());
    let shape = npy.shape().to_vec();
    (npy.into_vec().unwrap(), shape)
}

pub(crate) fn distance(a: &[f32], b: &[f32]) -> f64 {
    (0..3).map(|k| (f64::from(a[k]) - f64::from(b[k])).powi(2)).sum::<f64>().sqrt()
}

/// The 6-atom system: ALA 1 in segment A, GLY 2 in segment B (non-planar, exact in binary).
const MOL: [(&str, &str, i32, &str, [f64; 3]); 6] = [
    ("N", "ALA", 1, "A", [0.0, 0.0, 0.0]),
    ("CA", "ALA", 1, "A", [1.5, 0.0, 0.0]),
    ("C", "ALA", 1, "A", [2.0, 1.5, 0.0]),
    ("O", "ALA", 1, "A", [1.5, 2.5, 0.5]),
    ("N", "GLY", 2, "B", [3.25, 1.75, -1.0]),
    ("CA", "GLY", 2, "B", [4.5, 2.5, -1.25]),
];
const MOL_BONDS: &str =
    "CONECT    1    2\nCONECT    2    3\nCONECT    3    4    5\nCONECT    5    6\n";

fn atom_line(
    serial: usize,
    name: &str,
    resname: &str,
    resid: i32,
    segid: &str,
    p: [f64; 3],
) -> String {
    let element = &name[..1];
    format!(
        "ATOM  {serial:>5} {:<4} {resname:>3} A{resid:>4}    {:>8.3}{:>8.3}{:>8.3}  1.00  0.00      {segid:<4}{element:>2}\n",
        format!(" {name}"),
        p[0],
        p[1],
        p[2]
    )
}

/// A PDB with one MODEL per entry of `models` (positions of MOL's atoms), plus CONECT.
fn mol_pdb(models: &[Vec<[f64; 3]>], cryst1: bool) -> String {
    let mut s = String::new();
    if cryst1 {
        s += "CRYST1   50.000   50.000   50.000  90.00  90.00  90.00 P 1           1\n";
    }
    for (k, model) in models.iter().enumerate() {
        s += &format!("MODEL     {:>4}\n", k + 1);
        for (i, ((name, resname, resid, segid, _), p)) in MOL.iter().zip(model).enumerate() {
            s += &atom_line(i + 1, name, resname, *resid, segid, *p);
        }
        s += "ENDMDL\n";
    }
    s + MOL_BONDS + "END\n"
}

fn mol_positions() -> Vec<[f64; 3]> {
    MOL.iter().map(|a| a.4).collect()
}

fn shifted(dx: f64) -> Vec<[f64; 3]> {
    MOL.iter().map(|a| [a.4[0] + dx, a.4[1], a.4[2]]).collect()
}

/// Rotation by `angle` radians about the unit axis (1, 2, 2)/3, then a translation.
fn moved(angle: f64, t: [f64; 3]) -> Vec<[f64; 3]> {
    let u = [1.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0];
    let (s, c) = angle.sin_cos();
    MOL.iter()
        .map(|a| {
            let p = a.4;
            let dot = u[0] * p[0] + u[1] * p[1] + u[2] * p[2];
            let cross =
                [u[1] * p[2] - u[2] * p[1], u[2] * p[0] - u[0] * p[2], u[0] * p[1] - u[1] * p[0]];
            [0, 1, 2].map(|k| p[k] * c + cross[k] * s + u[k] * dot * (1.0 - c) + t[k])
        })
        .collect()
}

/// Writes the fixtures: mol.pdb (topology), traj.pdb (5 models shifted by 10 Å in x each),
/// rot.pdb (4 rigidly moved copies), mol.gro (3 frames, 2 ps apart, no bonds listed).
fn fixtures(dir: &Path) {
    let w = |name: &str, text: String| std::fs::write(dir.join(name), text).unwrap();
    w("mol.pdb", mol_pdb(&[mol_positions()], false));
    let models: Vec<_> = (0..5).map(|k| shifted(10.0 * k as f64)).collect();
    w("traj.pdb", mol_pdb(&models, true));
    let rot: Vec<_> = (0..4).map(|k| moved(0.7 * k as f64, [3.0 * k as f64, -1.0, 2.0])).collect();
    w("rot.pdb", mol_pdb(&rot, false));
    let mut gro = String::new();
    for k in 0..3 {
        gro += &format!("mol t= {:.5} step= {}\n    6\n", 2.0 * k as f64, 1000 * k);
        for (i, (name, resname, resid, _, p)) in MOL.iter().enumerate() {
            let nm = p.map(|x| x / 10.0);
            gro += &format!(
                "{resid:>5}{resname:<5}{name:>5}{:>5}{:>8.3}{:>8.3}{:>8.3}\n",
                i + 1,
                nm[0],
                nm[1],
                nm[2]
            );
        }
        gro += "   5.00000   5.00000   5.00000\n";
    }
    w("mol.gro", gro);
}

fn json(args: &[&str], dir: &Path) -> serde_json::Value {
    serde_json::from_str(&ok(args, dir)).unwrap()
}

#[test]
fn info_reports_the_system_as_json_and_as_a_table() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fixtures(d);
    let j = json(&["info", "mol.pdb", "traj.pdb", "--select", "name CA", "--json"], d);
    assert_eq!(j["atoms"], 6);
    assert_eq!(j["residues"], 2);
    assert_eq!(
        j["segments"],
        serde_json::json!([
            {"id": "A", "atoms": 4, "residues": 1},
            {"id": "B", "atoms": 2, "residues": 1},
        ])
    );
    assert_eq!((j["bonds"].as_u64(), j["bond_source"].as_str()), (Some(5), Some("file")));
    assert_eq!(j["frames"], 5);
    assert!(j["time_step_ps"].is_null(), "PDB stores no time: {j}");
    for (key, value) in [("a", 50.0), ("b", 50.0), ("c", 50.0), ("alpha", 90.0), ("gamma", 90.0)] {
        assert!((j["box"][key].as_f64().unwrap() - value).abs() < 1e-9, "{key} in {j}");
    }
    assert_eq!(j["selection"], serde_json::json!({"expression": "name CA", "atoms": 2}));

    // GRO: no bonds listed, so they are guessed; times in the titles give the step.
    let j = json(&["info", "mol.gro", "--json"], d);
    assert_eq!((j["bonds"].as_u64(), j["bond_source"].as_str()), (Some(5), Some("guessed")));
    assert_eq!((j["frames"].as_u64(), j["time_step_ps"].as_f64()), (Some(3), Some(2.0)));
    assert_eq!(j["selection"]["atoms"], 6, "the default selection is all");
    assert_eq!(j["trajectories"], serde_json::json!(["mol.gro"]), "a GRO is its own trajectory");

    let table = ok(&["info", "mol.pdb", "traj.pdb", "rot.pdb"], d);
    for line in [
        "atoms        6",
        "bonds        5 (from the file)",
        "frames       9",
        "box          a b c = 50.000",
    ] {
        assert!(table.contains(line), "{line:?} missing from\n{table}");
    }
    assert!(table.contains("segments     2: A (4 atoms, 1 residues), B (2 atoms"), "{table}");
    assert!(ok(&["info", "mol.gro"], d).contains("time step    2 ps"));
}

#[test]
fn extract_writes_frames_atoms_xyz_with_ranges_and_concatenation() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fixtures(d);
    ok(&["extract", "mol.pdb", "traj.pdb", "-o", "all.npy"], d);
    let (all, shape) = read_f32(&d.join("all.npy"));
    assert_eq!(shape, [5, 6, 3]);
    let expect =
        |k: usize| shifted(10.0 * k as f64).concat().iter().map(|&x| x as f32).collect::<Vec<_>>();
    for k in 0..5 {
        assert_eq!(all[k * 18..(k + 1) * 18], expect(k)[..], "frame {k}");
    }

    ok(
        &[
            "extract", "mol.pdb", "traj.pdb", "--select", "name CA", "--start", "1", "--stop", "5",
            "--stride", "2", "-o", "ca.npy",
        ],
        d,
    );
    let (ca, shape) = read_f32(&d.join("ca.npy"));
    assert_eq!(shape, [2, 2, 3]);
    assert_eq!(ca, [11.5, 0.0, 0.0, 14.5, 2.5, -1.25, 31.5, 0.0, 0.0, 34.5, 2.5, -1.25]);

    // Two files read as one: frames 4 and 5 are traj.pdb's last and rot.pdb's first.
    ok(
        &[
            "extract", "mol.pdb", "traj.pdb", "rot.pdb", "--start", "4", "--stop", "6", "-o",
            "cat.npy",
        ],
        d,
    );
    let (cat, shape) = read_f32(&d.join("cat.npy"));
    assert_eq!(shape, [2, 6, 3]);
    assert_eq!(cat[..18], expect(4)[..]);
    let rot0: Vec<f32> = moved(0.0, [0.0, -1.0, 2.0]).concat().iter().map(|&x| x as f32).collect();
    assert_eq!(cat[18..], rot0[..]);

    ok(&["extract", "mol.pdb", "traj.pdb", "--dtype", "f64", "-o", "all64.npy"], d);
    let npy = npyz::NpyFile::new(std::fs::File::open(d.join("all64.npy")).unwrap()).unwrap();
    assert_eq!(npy.shape(), [5, 6, 3]);
    let wide: Vec<f64> = npy.into_vec().unwrap();
    assert!(wide.iter().zip(&all).all(|(&w, &n)| w == f64::from(n)), "f64 holds the same values");
}

#[test]
fn extract_centres_and_aligns() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fixtures(d);
    ok(&["extract", "mol.pdb", "traj.pdb", "--center", "-o", "c.npy"], d);
    let (c, _) = read_f32(&d.join("c.npy"));
    let centred = |frame: &[f32]| {
        (0..3)
            .map(|k| frame.chunks(3).map(|p| f64::from(p[k])).sum::<f64>() / 6.0)
            .collect::<Vec<_>>()
    };
    for frame in c.chunks(18) {
        assert!(centred(frame).iter().all(|x| x.abs() < 1e-5), "{frame:?}");
        assert!((distance(&frame[0..3], &frame[3..6]) - 1.5).abs() < 1e-5, "shape kept");
    }

    // Rigidly moved copies align back onto the topology's coordinates.
    ok(&["extract", "mol.pdb", "rot.pdb", "--align", "-o", "a.npy"], d);
    let (a, shape) = read_f32(&d.join("a.npy"));
    assert_eq!(shape, [4, 6, 3]);
    let reference: Vec<f64> = mol_positions().concat();
    for (k, frame) in a.chunks(18).enumerate() {
        let worst = frame
            .iter()
            .zip(&reference)
            .map(|(&x, &r)| (f64::from(x) - r).abs())
            .fold(0.0, f64::max);
        assert!(worst < 2e-3, "frame {k} is {worst} Å from the reference");
    }
    ok(&["extract", "mol.pdb", "rot.pdb", "-o", "raw.npy"], d);
    let (raw, _) = read_f32(&d.join("raw.npy"));
    assert!(distance(&raw[18..21], &[0.0, 0.0, 0.0]) > 1.0, "without --align frames stay moved");
}

/// A 3-atom chain (bonds 1.2 Å) in a 10 Å box, wrapped: frame 0 is split across the x
/// boundary, frame 1 (moved 1.5 Å along x) sits whole near the origin.
const CHAIN: &str = "\
CRYST1   10.000   10.000   10.000  90.00  90.00  90.00 P 1           1
MODEL        1
HETATM    1  C1  MOL     1       9.000   5.000   5.000  1.00  0.00           C
HETATM    2  C2  MOL     1       0.200   5.000   5.000  1.00  0.00           C
HETATM    3  C3  MOL     1       1.400   5.000   5.000  1.00  0.00           C
ENDMDL
MODEL        2
HETATM    1  C1  MOL     1       0.500   5.000   5.000  1.00  0.00           C
HETATM    2  C2  MOL     1       1.700   5.000   5.000  1.00  0.00           C
HETATM    3  C3  MOL     1       2.900   5.000   5.000  1.00  0.00           C
ENDMDL
CONECT    1    2
CONECT    2    3
END
";

#[test]
fn unwrap_makes_a_split_chain_whole_without_jumps() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("chain.pdb"), CHAIN).unwrap();
    ok(&["extract", "chain.pdb", "chain.pdb", "-o", "raw.npy"], d);
    let (raw, _) = read_f32(&d.join("raw.npy"));
    assert_eq!(raw[..9], [9.0, 5.0, 5.0, 0.2, 5.0, 5.0, 1.4, 5.0, 5.0], "stored as is by default");
    ok(&["extract", "chain.pdb", "chain.pdb", "--unwrap", "-o", "whole.npy"], d);
    let (whole, shape) = read_f32(&d.join("whole.npy"));
    assert_eq!(shape, [2, 3, 3]);
    let xs: Vec<f32> = whole.chunks(3).map(|p| p[0]).collect();
    // Frame 1's first atom stays next to where it was in frame 0 (10.5, not 0.5).
    for (x, want) in xs.iter().zip([9.0, 10.2, 11.4, 10.5, 11.7, 12.9]) {
        assert!((f64::from(*x) - want).abs() < 1e-4, "{xs:?}");
    }
    for frame in whole.chunks(9) {
        for pair in [(0, 3), (3, 6)] {
            assert!(
                (distance(&frame[pair.0..pair.0 + 3], &frame[pair.1..pair.1 + 3]) - 1.2).abs()
                    < 1e-4
            );
        }
    }
}

#[test]
fn bad_input_gives_one_clear_line_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fixtures(d);
    std::fs::write(d.join("chain.pdb"), CHAIN).unwrap();
    let e = fails(&["info", "missing.pdb"], d);
    assert_eq!(e, "deepsig: missing.pdb (pdb): file not found");
    let e = fails(&["extract", "mol.pdb", "nothere.xtc", "-o", "o.npy"], d);
    assert!(e.contains("nothere.xtc (xtc): file not found"), "{e}");
    std::fs::write(d.join("mol.xyz"), "1\n\nC 0 0 0\n").unwrap();
    let e = fails(&["info", "mol.xyz"], d);
    assert!(e.contains("mol.xyz: unknown file extension \"xyz\""), "{e}");
    let e = fails(&["extract", "mol.pdb", "traj.pdb", "--select", "resname HOH", "-o", "o.npy"], d);
    assert_eq!(e, "deepsig: selection \"resname HOH\" matches no atom of mol.pdb");
    let e = fails(&["info", "mol.pdb", "--select", "name CA and (resid 1"], d);
    assert!(e.contains("invalid --select") && e.contains("column 13"), "{e}");
    let e = fails(&["extract", "mol.pdb", "chain.pdb", "-o", "o.npy"], d);
    assert!(
        e.contains("chain.pdb (pdb): atom count mismatch: this file has 3 atoms, mol.pdb has 6"),
        "{e}"
    );
    let e = fails(&["extract", "mol.pdb", "traj.pdb", "--start", "7", "-o", "o.npy"], d);
    assert!(e.contains("select no frame of traj.pdb (5 frames)"), "{e}");

    // A trajectory cut off inside its last model.
    let text = std::fs::read_to_string(d.join("traj.pdb")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let model5 = lines.iter().position(|l| l.starts_with("MODEL        5")).unwrap();
    std::fs::write(d.join("cut.pdb"), lines[..model5 + 4].join("\n")).unwrap();
    let e = fails(&["extract", "mol.pdb", "cut.pdb", "-o", "o.npy"], d);
    assert!(e.contains("cut.pdb (pdb), frame 4") && e.contains("the first model has 6"), "{e}");
    assert!(!d.join("o.npy").exists(), "no output after an error");

    std::fs::write(d.join("mine.npy"), b"precious").unwrap();
    let e = fails(&["extract", "mol.pdb", "traj.pdb", "-o", "mine.npy"], d);
    assert!(e.contains("mine.npy already exists; pass --force"), "{e}");
    assert_eq!(std::fs::read(d.join("mine.npy")).unwrap(), b"precious");
    ok(&["extract", "mol.pdb", "traj.pdb", "-o", "mine.npy", "--force"], d);
    assert_eq!(read_f32(&d.join("mine.npy")).1, [5, 6, 3]);
}

#[test]
fn bench_read_reports_frames_and_rates() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fixtures(d);
    let j =
        json(&["bench", "read", "mol.pdb", "traj.pdb", "rot.pdb", "--repeats", "3", "--json"], d);
    assert_eq!(
        (j["frames"].as_u64(), j["atoms"].as_u64(), j["repeats"].as_u64()),
        (Some(9), Some(6), Some(3))
    );
    for key in ["mb", "median_seconds", "frames_per_s", "mb_per_s"] {
        assert!(j[key].as_f64().is_some_and(|v| v > 0.0), "{key} in {j}");
    }
    let table = ok(&["bench", "read", "mol.pdb", "traj.pdb", "--repeats", "1"], d);
    assert!(table.contains("5 frames of 6 atoms") && table.contains("frames/s"), "{table}");
}
