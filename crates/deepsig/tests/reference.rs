//! The alignment reference belongs to the run: `predict` gives the same numbers whichever
//! frame the topology file was written from (rotated and moved at random), and when the atoms
//! come in another order; a run without its `references.json` does not, which shows that the
//! test can fail.

use std::fmt::Write as _;
use std::path::Path;

use crate::{deepsig, stderr};

/// Columns 31-54 of an ATOM record.
fn xyz(line: &str) -> [f64; 3] {
    [30..38, 38..46, 46..54].map(|r| line[r].trim().parse().unwrap())
}

fn with_xyz(line: &str, p: [f64; 3]) -> String {
    format!("{}{:>8.3}{:>8.3}{:>8.3}{}", &line[..30], p[0], p[1], p[2], &line[54..])
}

fn with_serial(line: &str, serial: usize) -> String {
    format!("{}{serial:>5}{}", &line[..6], &line[11..])
}

/// The models of a multi-model PDB, each a list of ATOM lines.
fn models(text: &str) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    for line in text.lines() {
        if line.starts_with("MODEL") {
            out.push(Vec::new());
        } else if line.starts_with("ATOM") {
            out.last_mut().unwrap().push(line.to_string());
        }
    }
    out
}

fn write_models(path: &Path, models: &[Vec<String>]) {
    let mut text = String::new();
    for (m, lines) in models.iter().enumerate() {
        let _ = writeln!(text, "MODEL     {:>4}", m + 1);
        lines.iter().for_each(|l| text.push_str(&format!("{l}\n")));
        text.push_str("ENDMDL\n");
    }
    text.push_str("END\n");
    std::fs::write(path, text).unwrap();
}

/// A topology of `atoms` (ATOM lines, serials renumbered) with the chain bonds `bonds`
/// (0-based atom indices of the new order).
fn write_topology(path: &Path, atoms: &[String], bonds: &[(usize, usize)]) {
    let mut text = String::new();
    for (k, line) in atoms.iter().enumerate() {
        let _ = writeln!(text, "{}", with_serial(line, k + 1));
    }
    for &(i, j) in bonds {
        let _ = writeln!(text, "CONECT{:>5}{:>5}", i + 1, j + 1);
    }
    text.push_str("END\n");
    std::fs::write(path, text).unwrap();
}

/// Per-window probabilities of `deepsig predict --json`.
fn predict(dir: &Path, run: &str, topology: &str, trajectory: &str) -> Vec<f64> {
    let out = deepsig(&["predict", "--run", run, topology, trajectory, "--json"], dir);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    json["trajectories"][0]["windows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["outputs"][0].as_f64().unwrap())
        .collect()
}

/// The log-signature features of `deepsig embed` (what the head reads), flattened.
fn embed(dir: &Path, run: &str, topology: &str, trajectory: &str) -> Vec<f64> {
    let out = dir.join("features.npy");
    let args = ["embed", "--run", run, topology, trajectory, "-o", "features.npy", "--force"];
    let result = deepsig(&args, dir);
    assert!(result.status.success(), "{}", stderr(&result));
    let npy = npyz::NpyFile::new(std::fs::File::open(out).unwrap()).unwrap();
    npy.into_vec::<f32>().unwrap().into_iter().map(f64::from).collect()
}

/// The largest difference relative to the largest magnitude of `a`.
fn relative_difference(a: &[f64], b: &[f64]) -> f64 {
    max_difference(a, b) / a.iter().fold(0.0, |m, x| f64::max(m, x.abs()))
}

fn max_difference(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

/// A rotation from Euler angles.
fn rotate(p: [f64; 3], [a, b, c]: [f64; 3]) -> [f64; 3] {
    let rz = |p: [f64; 3], t: f64| {
        [t.cos() * p[0] - t.sin() * p[1], t.sin() * p[0] + t.cos() * p[1], p[2]]
    };
    let rx = |p: [f64; 3], t: f64| {
        [p[0], t.cos() * p[1] - t.sin() * p[2], t.sin() * p[1] + t.cos() * p[2]]
    };
    rz(rx(rz(p, a), b), c)
}

#[test]
fn predictions_do_not_depend_on_the_topology_frame_or_the_atom_order() {
    let dir = crate::apply::trained();
    let d = dir.path();
    let trajectory = "data/a-first-000.pdb";
    assert!(d.join(trajectory).is_file(), "the generator's file names changed");
    let baseline = predict(d, "run", "data/topology.pdb", trajectory);
    let features = embed(d, "run", "data/topology.pdb", trajectory);
    assert!(d.join("run/references.json").is_file());

    let topology = std::fs::read_to_string(d.join("data/topology.pdb")).unwrap();
    let atoms: Vec<String> =
        topology.lines().filter(|l| l.starts_with("ATOM")).map(String::from).collect();
    let n = atoms.len();
    let chain: Vec<(usize, usize)> = (1..n).map(|i| (i - 1, i)).collect();
    let frames = models(&std::fs::read_to_string(d.join(trajectory)).unwrap());

    // The topology written from other frames, each rotated and moved.
    for (k, (frame, angles, shift)) in
        [(7, [0.3, 1.1, -2.0], [12.0, -3.0, 40.0]), (25, [2.5, -0.7, 0.9], [-80.0, 5.5, 0.25])]
            .into_iter()
            .enumerate()
    {
        let moved: Vec<String> = atoms
            .iter()
            .zip(&frames[frame])
            .map(|(line, from)| {
                let r = rotate(xyz(from), angles);
                with_xyz(line, [r[0] + shift[0], r[1] + shift[1], r[2] + shift[2]])
            })
            .collect();
        let name = format!("moved-{k}.pdb");
        write_topology(&d.join(&name), &moved, &chain);
        let got = predict(d, "run", &name, trajectory);
        assert!(max_difference(&got, &baseline) < 1e-5, "{name}: {got:?} vs {baseline:?}");
        let moved = embed(d, "run", &name, trajectory);
        let r = relative_difference(&features, &moved);
        assert!(r < 1e-4, "{name}: features differ by {r:e} of their largest");
    }

    // The atoms in another order, in the topology and the trajectory alike; bonds kept.
    // Reversed, then rotated by 3: a permutation for every n, and not a symmetry of the chain.
    let order: Vec<usize> = (0..n).map(|k| (2 * n - 1 - k + 3) % n).collect();
    let mut position = vec![0; n];
    order.iter().enumerate().for_each(|(k, &o)| position[o] = k);
    let permuted: Vec<String> = order.iter().map(|&o| atoms[o].clone()).collect();
    let bonds: Vec<(usize, usize)> =
        chain.iter().map(|&(i, j)| (position[i], position[j])).collect();
    write_topology(&d.join("permuted.pdb"), &permuted, &bonds);
    let permuted_frames: Vec<Vec<String>> = frames
        .iter()
        .map(|f| order.iter().enumerate().map(|(k, &o)| with_serial(&f[o], k + 1)).collect())
        .collect();
    write_models(&d.join("permuted-traj.pdb"), &permuted_frames);
    let got = predict(d, "run", "permuted.pdb", "permuted-traj.pdb");
    assert!(max_difference(&got, &baseline) < 1e-5, "permuted: {got:?} vs {baseline:?}");
    let r = relative_difference(&features, &embed(d, "run", "permuted.pdb", "permuted-traj.pdb"));
    // Pooling sums the atoms in another order, and the increments of the pooled paths are
    // small differences of large coordinates: f32 rounding of about 1e-3 of the largest
    // feature (1e-7 absolute) is expected here; a wrong alignment gives about 1.
    assert!(r < 1e-2, "permuted: features differ by {r:e} of their largest");

    // Without the run's references, the moved topology is its own reference: other features
    // (a model trained for 3 epochs may still predict nearly the same for both).
    std::fs::remove_file(d.join("run/references.json")).unwrap();
    let r = relative_difference(&features, &embed(d, "run", "moved-0.pdb", trajectory));
    assert!(r > 0.1, "the test could not fail: features differ by only {r:e}");
}
