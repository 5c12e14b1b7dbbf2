//! The model's theoretical properties (docs/properties.md), asserted on the real model: how
//! the log-signature features transform under a rotation with alignment off ("Rotation without
//! alignment"), invariance of the output to a rigid motion with alignment on ("Rotation with
//! alignment"), invariance to a reparameterisation of time inside sub-windows
//! ("Reparameterisation invariance"), and autodiff gradients of the whole model against
//! central finite differences in f64 (`gradients`).

use burn::module::Module;
use deepsig_md::{
    Atom, Frame, FramePrep, Graph, PrepOptions, SubWindowMode, Topology, select, sub_windows,
};
use deepsig_model::dataset::{SystemData, WindowData};
use deepsig_model::features::{GraphInput, Vocabulary, WindowInput};
use deepsig_model::prepare::window_tensors;
use deepsig_model::{DeepSignature, InputShape, Method, ModelConfig, Preset};
use deepsig_signature::{Depth, LogMode, PathShape, SigOptions, lyndon_words};

use crate::model::{Rng, chain, close};

/// What one window's forward gives, on the host.
struct Run {
    /// `[sub_windows, C]` row-major.
    features: Vec<f64>,
    cols: usize,
    logits: Vec<f32>,
    /// `[atoms, K]` row-major.
    assignment: Vec<f64>,
}

fn host(t: burn::tensor::Tensor<2>) -> Vec<f64> {
    t.into_data().convert::<f64>().try_into_vec().unwrap()
}

fn run(model: &DeepSignature, config: &ModelConfig, system: &SystemData, w: &WindowData) -> Run {
    let vocab = Vocabulary::from_systems([system]);
    let graph = GraphInput::new(system, &vocab);
    let input = WindowInput::new(w, &graph, config.coordinate_scale as f32);
    let out = model.forward_window(&window_tensors(&input, &graph, &crate::device()));
    let cols = out.encoding.features.dims()[1];
    Run {
        features: host(out.encoding.features),
        cols,
        logits: host(out.logits).iter().map(|&v| v as f32).collect(),
        assignment: host(out.encoding.assignment),
    }
}

fn model_for(config: &ModelConfig, system: &SystemData, seed: u64) -> DeepSignature {
    let vocab = Vocabulary::from_systems([system]);
    let device = crate::device();
    device.seed(seed);
    let shape = InputShape { channels: 3, type_width: vocab.width(), outputs: 2 };
    DeepSignature::new(config, shape, &device).valid()
}

/// A chain of `n` atoms 1.5 Å apart along x, jiggling by up to 3 Å: `[frames, n, 3]`.
fn trajectory(n: usize, frames: usize, rng: &mut Rng) -> Vec<f32> {
    (0..frames * n * 3).map(|i| (i / 3 % n) as f32 * 1.5 + 3.0 * rng.uniform() as f32).collect()
}

/// A uniformly random rotation, from a normalised quaternion.
fn rotation(rng: &mut Rng) -> [[f64; 3]; 3] {
    let q = [0; 4].map(|_| rng.uniform());
    let n = q.iter().map(|v| v * v).sum::<f64>().sqrt();
    let [w, x, y, z] = q.map(|v| v / n);
    [
        [1.0 - 2.0 * (y * y + z * z), 2.0 * (x * y - w * z), 2.0 * (x * z + w * y)],
        [2.0 * (x * y + w * z), 1.0 - 2.0 * (x * x + z * z), 2.0 * (y * z - w * x)],
        [2.0 * (x * z - w * y), 2.0 * (y * z + w * x), 1.0 - 2.0 * (x * x + y * y)],
    ]
}

/// Rotation by `angle` about the unit axis (1, 2, 2)/3 (Rodrigues).
fn rotation_by(angle: f64) -> [[f64; 3]; 3] {
    let [x, y, z] = [1.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0];
    let (s, c) = angle.sin_cos();
    let k = [[0.0, -z, y], [z, 0.0, -x], [-y, x, 0.0]];
    let a = [x, y, z];
    let mut r = [[0.0; 3]; 3];
    for (i, row) in r.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = f64::from(u8::from(i == j)) * c + s * k[i][j] + (1.0 - c) * a[i] * a[j];
        }
    }
    r
}

/// `x ↦ R x + t` for every atom of every frame.
fn rigid(coords: &[f32], r: &[[f64; 3]; 3], t: [f64; 3]) -> Vec<f32> {
    coords
        .chunks_exact(3)
        .flat_map(|p| {
            let p = [0, 1, 2].map(|i| f64::from(p[i]));
            [0, 1, 2].map(|i| (r[i][0] * p[0] + r[i][1] * p[1] + r[i][2] * p[2] + t[i]) as f32)
        })
        .collect()
}

/// The predicted log-signature of the rotated path from one sub-window's `row`
/// (docs/properties.md, "Rotation without alignment"):
/// the flat path is $Z \in \mathbb R^{3K}$ (cluster-major), rotated by $M = I_K \otimes R$;
/// level 1 is the increment ($\mapsto M\Delta$, i.e. $R\Delta_k$ per cluster) and level 2 of
/// the log-signature is the antisymmetric Lévy-area matrix $A$ ($\mapsto M A M^T$, i.e.
/// $R A_{kl} R^T$ per pair of clusters). The `words` coordinates are level 1, then $A_{ij}$
/// for the Lyndon words $ij$, $i < j$.
fn rotate_logsignature(row: &[f64], r: &[[f64; 3]; 3], clusters: usize) -> Vec<f64> {
    let d = 3 * clusters;
    let words = lyndon_words(d, Depth::new(2).unwrap()).unwrap();
    assert_eq!(words.len(), row.len(), "depth-2 words coordinates");
    let m = |i: usize, j: usize| if i / 3 == j / 3 { r[i % 3][j % 3] } else { 0.0 };
    let (mut level1, mut area) = (vec![0.0; d], vec![vec![0.0; d]; d]);
    for (w, &v) in words.iter().zip(row) {
        match w[..] {
            [i] => level1[i] = v,
            [i, j] => (area[i][j], area[j][i]) = (v, -v),
            _ => panic!("depth 2 has words of length 1 and 2 only"),
        }
    }
    let turned1: Vec<f64> = (0..d).map(|i| (0..d).map(|j| m(i, j) * level1[j]).sum()).collect();
    let ma: Vec<Vec<f64>> = (0..d)
        .map(|i| (0..d).map(|l| (0..d).map(|j| m(i, j) * area[j][l]).sum()).collect())
        .collect();
    let turned2 = |i: usize, k: usize| (0..d).map(|l| ma[i][l] * m(k, l)).sum::<f64>();
    words
        .iter()
        .map(|w| match w[..] {
            [i] => turned1[i],
            [i, j] => turned2(i, j),
            _ => unreachable!(),
        })
        .collect()
}

/// Rotating a whole trajectory (plus a shift), with no alignment, maps each sub-window's
/// log-signature by the level-wise linear action of docs/properties.md, "Rotation without
/// alignment". `sig-fixed` is used because its clusters (residue blocks) do not depend on the
/// coordinates: a learned assignment reads raw (centred) coordinates and is not
/// rotation-invariant, so for `deepsig` the clusters themselves would move.
#[test]
fn without_alignment_log_signature_levels_rotate_as_spec_2b() {
    let _rng = crate::rng_lock();
    let (n, frames, k) = (16, 21, 4);
    let system = chain(n, &(0..n).collect::<Vec<_>>());
    let config =
        ModelConfig { method: Method::SigFixed, clusters: k, ..Preset::Small.config().model };
    let model = model_for(&config, &system, 3);
    let mut rng = Rng(29);
    let coords = trajectory(n, frames, &mut rng);
    let words = lyndon_words(3 * k, Depth::new(2).unwrap()).unwrap();
    for _ in 0..3 {
        let r = rotation(&mut rng);
        let window = |c: Vec<f32>| WindowData { frames, coords: c, channels: 3 };
        let base = run(&model, &config, &system, &window(coords.clone()));
        let turned = run(&model, &config, &system, &window(rigid(&coords, &r, [12.0, -7.0, 30.0])));
        assert_eq!(base.cols, words.len());
        // Tolerances are relative to each level's largest entry (areas are products of
        // increments, so the two levels have different scales).
        let mut scale = [0.0f64; 2];
        for (i, v) in base.features.iter().enumerate() {
            let level = words[i % base.cols].len() - 1;
            scale[level] = scale[level].max(v.abs());
        }
        let mut moved = [0.0f64; 2];
        for (row, (b, t)) in
            base.features.chunks(base.cols).zip(turned.features.chunks(base.cols)).enumerate()
        {
            let want = rotate_logsignature(b, &r, k);
            for (i, w) in words.iter().enumerate() {
                let level = w.len() - 1;
                let err = (t[i] - want[i]).abs();
                assert!(
                    err <= 1e-4 * scale[level],
                    "sub-window {row}, word {w:?}: got {} want {} (scale {})",
                    t[i],
                    want[i],
                    scale[level]
                );
                moved[level] = moved[level].max((t[i] - b[i]).abs());
            }
        }
        // The rotation really moves both levels: equivariant, not invariant.
        for level in 0..2 {
            assert!(moved[level] > 0.05 * scale[level], "level {}: {moved:?} {scale:?}", level + 1);
        }
    }
}

/// Without alignment the output is not rotation-invariant, but it changes smoothly: the change
/// grows linearly in the angle (docs/properties.md, "Bounded sensitivity").
#[test]
fn without_alignment_the_output_changes_linearly_with_a_small_angle() {
    let _rng = crate::rng_lock();
    let (n, frames) = (16, 21);
    let system = chain(n, &(0..n).collect::<Vec<_>>());
    let coords = trajectory(n, frames, &mut Rng(31));
    for method in [Method::DeepSignature, Method::SigFixed] {
        let config = ModelConfig { method, ..Preset::Small.config().model };
        let model = model_for(&config, &system, 4);
        let logits = |c: Vec<f32>| {
            run(&model, &config, &system, &WindowData { frames, coords: c, channels: 3 }).logits
        };
        let base = logits(coords.clone());
        let slopes: Vec<f64> = [0.04, 0.02, 0.01]
            .iter()
            .map(|&angle| {
                let turned = logits(rigid(&coords, &rotation_by(angle), [0.0; 3]));
                let change =
                    turned.iter().zip(&base).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
                f64::from(change) / angle
            })
            .collect();
        // Nonzero (the output does see the rotation), and the same slope at every angle (a
        // jump would make the small-angle slope blow up, a kink would halve it).
        assert!(slopes[2] > 1e-3, "{method}: {slopes:?}");
        for s in &slopes {
            assert!((s / slopes[2] - 1.0).abs() < 0.25, "{method}: slopes {slopes:?}");
        }
    }
}

/// A topology matching `chain(n, identity)`: backbone names, residues of 4 atoms, bonded in a
/// line; with `positions`, the alignment reference is those coordinates, else the first
/// frame's principal axes.
fn topology(n: usize, positions: Option<Vec<[f32; 3]>>) -> Topology {
    let names = ["N", "CA", "C", "O"];
    Topology {
        atoms: (0..n)
            .map(|i| Atom {
                name: names[i % 4].into(),
                resname: if i < n / 2 { "ALA" } else { "GLY" }.into(),
                resid: (i / 4) as i32,
                element: names[i % 4][..1].into(),
                ..Atom::default()
            })
            .collect(),
        bonds: (1..n as u32).map(|i| (i - 1, i)).collect(),
        positions,
        unit_cell: None,
    }
}

/// The window the data layer (deepsig-md `FramePrep`, as `Dataset::load` uses it) makes of
/// `coords` `[frames, n, 3]`, aligned or not.
fn prepared(top: &Topology, coords: &[f32], align: bool) -> WindowData {
    let n = top.atoms.len();
    let all = select(top, "all").unwrap();
    let bonds = Graph::from_edges(n, &top.bonds).unwrap();
    let options = PrepOptions { align, ..PrepOptions::default() };
    let mut prep = FramePrep::new(top, &all, &bonds, options).unwrap();
    let mut out = Vec::with_capacity(coords.len());
    for frame in coords.chunks_exact(n * 3) {
        let positions = frame.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect();
        let frame = Frame { positions, ..Frame::default() };
        out.extend(prep.process(&frame).unwrap().into_iter().flatten());
    }
    WindowData { frames: coords.len() / (n * 3), coords: out, channels: 3 }
}

/// With alignment on (the default), a rigid motion of the whole trajectory leaves the whole
/// model's output unchanged (docs/properties.md, "Rotation with alignment"), for both
/// alignment references; with alignment off, the same motion changes the output, so the check
/// can fail.
#[test]
fn with_alignment_the_output_is_invariant_to_a_rigid_motion() {
    let _rng = crate::rng_lock();
    let (n, frames) = (16, 21);
    let system = chain(n, &(0..n).collect::<Vec<_>>());
    let mut rng = Rng(37);
    let coords = trajectory(n, frames, &mut rng);
    let reference: Vec<[f32; 3]> =
        trajectory(n, 1, &mut rng).chunks_exact(3).map(|p| [p[0] + 5.0, p[1], p[2]]).collect();
    for method in [Method::DeepSignature, Method::SigFixed] {
        let config = ModelConfig { method, ..Preset::Small.config().model };
        let model = model_for(&config, &system, 6);
        let logits = |w: &WindowData| run(&model, &config, &system, w).logits;
        for top in [topology(n, None), topology(n, Some(reference.clone()))] {
            let base = logits(&prepared(&top, &coords, true));
            for _ in 0..2 {
                let r = rotation(&mut rng);
                let moved = rigid(&coords, &r, [-20.0, 8.0, 15.0]);
                close(&logits(&prepared(&top, &moved, true)), &base, &format!("{method}: aligned"));
                let raw = logits(&prepared(&top, &coords, false));
                let raw_moved = logits(&prepared(&top, &moved, false));
                assert!(
                    raw.iter().zip(&raw_moved).any(|(a, b)| (a - b).abs() > 1e-4),
                    "{method}: without alignment a rotation left {raw:?} unchanged"
                );
            }
        }
    }
}

/// `coords` `[frames, n, 3]` with a frame inserted after each frame `a` of `inserts`, at
/// fraction `s` of the segment to frame `a + 1` (`s = 0` repeats frame `a`), plus `detour`.
fn reparameterised(coords: &[f32], n: usize, inserts: &[(usize, f32)], detour: f32) -> Vec<f32> {
    let frame = |t: usize| &coords[t * n * 3..(t + 1) * n * 3];
    let mut out = Vec::new();
    for t in 0..coords.len() / (n * 3) {
        out.extend_from_slice(frame(t));
        if let Some(&(_, s)) = inserts.iter().find(|(a, _)| *a == t) {
            let next = frame(t + 1);
            out.extend(frame(t).iter().zip(next).map(|(x, y)| x + s * (y - x) + detour));
        }
    }
    out
}

/// One frame inserted strictly inside each of the 4 sub-windows of a 17-frame window (frames
/// `4j ..= 4j+4`): repeats and points on the segment between consecutive frames. The window
/// grows to 21 frames and its shared boundaries move from `4j` to `5j`, which are the same
/// original frames, so each sub-window's path is the old one reparameterised
/// (docs/properties.md, "Reparameterisation invariance").
const INSERTS: [(usize, f32); 4] = [(1, 0.0), (6, 0.5), (10, 0.0), (13, 0.3)];

fn assert_features_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol * scale, "{what}: entry {i}: {g} vs {w} (scale {scale})");
    }
}

fn max_change(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

/// Repeating frames and inserting points on segments inside sub-windows leaves `sig-fixed`'s
/// log-signature features and output unchanged (docs/properties.md, "Reparameterisation
/// invariance"); moving the inserted point off the segment changes them, so the check can
/// fail.
#[test]
fn time_reparameterisation_inside_sub_windows_leaves_sig_fixed_unchanged() {
    let _rng = crate::rng_lock();
    let (n, frames) = (16, 17);
    let shared = SubWindowMode::SharedBoundary;
    let starts = |t: usize| -> Vec<usize> {
        sub_windows(t, 4, shared).unwrap().iter().map(|r| r.start).collect()
    };
    assert_eq!(starts(frames), vec![0, 4, 8, 12], "the cut this test is built around");
    assert_eq!(starts(frames + 4), vec![0, 5, 10, 15]);
    let system = chain(n, &(0..n).collect::<Vec<_>>());
    let config = ModelConfig { method: Method::SigFixed, ..Preset::Small.config().model };
    let model = model_for(&config, &system, 8);
    let coords = trajectory(n, frames, &mut Rng(41));
    let go = |c: Vec<f32>| {
        let frames = c.len() / (n * 3);
        run(&model, &config, &system, &WindowData { frames, coords: c, channels: 3 })
    };
    let base = go(coords.clone());
    let same = go(reparameterised(&coords, n, &INSERTS, 0.0));
    assert_features_close(&same.features, &base.features, 1e-5, "reparameterised features");
    close(&same.logits, &base.logits, "reparameterised output");

    let detour = go(reparameterised(&coords, n, &INSERTS, 0.5));
    let change = max_change(&detour.features, &base.features);
    let scale = base.features.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(change > 1e-3 * scale, "a detour changed the features by only {change}");
}

/// Cluster centroid paths `[frames, K * 3]` (cluster-major) of centred coordinates `x`
/// `[frames, atoms, 3]` for the soft assignment `s` `[atoms, K]`, on the host in f64.
fn centroid_paths(s: &[f64], k: usize, x: &[f32]) -> Vec<f64> {
    let atoms = s.len() / k;
    let mass: Vec<f64> = (0..k).map(|j| (0..atoms).map(|i| s[i * k + j]).sum()).collect();
    let mut out = Vec::new();
    for frame in x.chunks_exact(atoms * 3) {
        for j in 0..k {
            for c in 0..3 {
                let sum: f64 = (0..atoms).map(|i| s[i * k + j] * f64::from(frame[i * 3 + c])).sum();
                out.push(sum / mass[j]);
            }
        }
    }
    out
}

/// Depth-2 `words` log-signatures of the 4 shared-boundary sub-windows of `path` `[T, C]`, in
/// f64, straight from deepsig-signature.
fn sub_window_logsignatures(path: &[f64], channels: usize) -> Vec<f64> {
    let opts = SigOptions::logsignature(Depth::new(2).unwrap(), LogMode::Words);
    let frames = path.len() / channels;
    let mut out = Vec::new();
    for r in sub_windows(frames, 4, SubWindowMode::SharedBoundary).unwrap() {
        let sub = &path[r.start * channels..r.end * channels];
        let shape = PathShape { batch: 1, length: r.len(), channels };
        out.extend(deepsig_signature::signature(sub, shape, &opts).unwrap());
    }
    out
}

/// For `deepsig` only the signature part is invariant to a reparameterisation: the learned
/// assignment is a time mean of per-frame GCN features (docs/properties.md, "Time-independent
/// assignment"), so a repeated frame or an inserted midpoint reweights that mean and moves the
/// clusters. With the assignment held fixed (the one the model computed), the centroid paths'
/// sub-window log-signatures are unchanged; and that host computation reproduces the model's
/// own features, so it checks the model's pipeline and not a copy of it.
#[test]
fn time_reparameterisation_leaves_deepsig_signature_part_unchanged() {
    let _rng = crate::rng_lock();
    let (n, frames) = (16, 17);
    let system = chain(n, &(0..n).collect::<Vec<_>>());
    let config = ModelConfig { method: Method::DeepSignature, ..Preset::Small.config().model };
    let k = config.clusters;
    let model = model_for(&config, &system, 9);
    let coords = trajectory(n, frames, &mut Rng(43));
    let window = WindowData { frames, coords: coords.clone(), channels: 3 };
    let base = run(&model, &config, &system, &window);
    let graph = GraphInput::new(&system, &Vocabulary::from_systems([&system]));
    let scale = config.coordinate_scale as f32;
    let centred = |w: &WindowData| WindowInput::new(w, &graph, scale).coords;
    let logsig = |w: &WindowData| {
        sub_window_logsignatures(&centroid_paths(&base.assignment, k, &centred(w)), 3 * k)
    };
    let host = logsig(&window);
    assert_features_close(&host, &base.features, 1e-4, "host pipeline vs model");

    let stretched = reparameterised(&coords, n, &INSERTS, 0.0);
    let longer = WindowData { frames: frames + 4, coords: stretched, channels: 3 };
    assert_features_close(&logsig(&longer), &host, 1e-5, "reparameterised, fixed assignment");
    let detour = reparameterised(&coords, n, &INSERTS, 0.5);
    let off = WindowData { frames: frames + 4, coords: detour, channels: 3 };
    let moved = max_change(&logsig(&off), &host);
    assert!(moved > 1e-3 * host.iter().fold(0.0f64, |m, v| m.max(v.abs())), "detour: {moved}");
}
