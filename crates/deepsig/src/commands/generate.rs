//! `deepsig generate motion`: a synthetic benchmark whose classes differ only in the ORDER
//! of domain motions.
//!
//! Physics: a chain of C-alpha beads (3.8 Å apart) with two domains, A (first third) and
//! B (last third). Each bead follows overdamped Langevin dynamics in a harmonic well around a
//! driven reference position, $x_{t+1} = x_t - k\,\Delta t\,(x_t - r_t) + \sqrt{2 D \Delta t}\,\xi_t$.
//! The drive moves domain A by `AMPLITUDE` along y and domain B along z through the cycle
//! (0,0) → (1,0) → (1,1) → (0,1) → (0,0) (class `a-first`) or the same corners in the
//! opposite direction (class `b-first`), each corner held for the same time, starting at a
//! random phase. Both classes visit the same states for the same fraction of time, so their
//! stationary distributions are equal and a model of single frames is at chance; only the
//! sense of the cycle, which the Lévy area between A's and B's motion measures, separates
//! them. Each trajectory is also moved by a random rigid motion (alignment must undo it).
//!
//! Output: `topology.pdb` (with CONECT bonds along the chain), one multi-model PDB per
//! trajectory, and `manifest.toml`.
//!
//! `deepsig generate grn` (the gene-regulatory benchmark, node time series) lives in [`grn`],
//! `deepsig generate circulation` (the sense of a loop's rotation) in [`circulation`].

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use deepsig_md::SplitMix64;

use crate::args::GenerateChainArgs;

pub(crate) mod circulation;
pub(crate) mod grn;

const AMPLITUDE: f64 = 4.0;
const SPACING: f64 = 3.8;
const STIFFNESS_DT: f64 = 0.3;
const NOISE: f64 = 0.5;
const PERIOD: usize = 60;

/// deepsig's splitmix64 with Box-Muller normals: deterministic for a seed across platforms.
struct Rng(SplitMix64);

impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0.next_f64()
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.next_f64().max(1e-300), self.next_f64());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

fn base_chain(n: usize) -> Vec<[f64; 3]> {
    (0..n).map(|i| [i as f64 * SPACING, if i % 2 == 0 { 0.0 } else { 1.0 }, 0.0]).collect()
}

/// The drive (a, b) in [0, 1]² at phase `p` (in periods), smooth between corners.
fn drive(p: f64, a_first: bool) -> (f64, f64) {
    let corners = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)];
    let q = p.rem_euclid(1.0) * 4.0;
    let (k, f) = (q.floor() as usize % 4, q.fract());
    let s = if f < 0.5 { 0.0 } else { 0.5 - 0.5 * (std::f64::consts::TAU * (f - 0.5)).cos() };
    let (from, to) = (corners[k], corners[(k + 1) % 4]);
    let (a, b) = (from.0 + s * (to.0 - from.0), from.1 + s * (to.1 - from.1));
    if a_first { (a, b) } else { (b, a) }
}

fn random_rotation(rng: &mut Rng) -> [[f64; 3]; 3] {
    let q: Vec<f64> = (0..4).map(|_| rng.normal()).collect();
    let n = q.iter().map(|v| v * v).sum::<f64>().sqrt();
    let (w, x, y, z) = (q[0] / n, q[1] / n, q[2] / n, q[3] / n);
    [
        [1.0 - 2.0 * (y * y + z * z), 2.0 * (x * y - w * z), 2.0 * (x * z + w * y)],
        [2.0 * (x * y + w * z), 1.0 - 2.0 * (x * x + z * z), 2.0 * (y * z - w * x)],
        [2.0 * (x * z - w * y), 2.0 * (y * z + w * x), 1.0 - 2.0 * (x * x + y * y)],
    ]
}

fn atom_line(out: &mut String, serial: usize, p: [f64; 3]) {
    let _ = writeln!(
        out,
        "ATOM  {serial:>5}  CA  ALA A{serial:>4}    {:>8.3}{:>8.3}{:>8.3}  1.00  0.00           C",
        p[0], p[1], p[2]
    );
}

fn simulate(n: usize, frames: usize, a_first: bool, rng: &mut Rng) -> Vec<Vec<[f64; 3]>> {
    let base = base_chain(n);
    let (third, phase) = (n / 3, rng.next_f64());
    let rigid = RigidMotion::random(rng);
    let mut x = base.clone();
    let mut out = Vec::with_capacity(frames);
    for t in 0..frames {
        let (a, b) = drive(phase + t as f64 / PERIOD as f64, a_first);
        for (i, xi) in x.iter_mut().enumerate() {
            let mut r = base[i];
            if i < third {
                r[1] += AMPLITUDE * a;
            } else if i >= n - third {
                r[2] += AMPLITUDE * b;
            }
            relax_towards(xi, r, rng);
        }
        out.push(rigid.apply(&x));
    }
    out
}

/// One overdamped Langevin step of a bead towards its reference position `r`.
fn relax_towards(x: &mut [f64; 3], r: [f64; 3], rng: &mut Rng) {
    for c in 0..3 {
        x[c] += -STIFFNESS_DT * (x[c] - r[c]) + NOISE * rng.normal();
    }
}

/// A random rotation and translation applied to a whole trajectory (alignment must undo it).
struct RigidMotion {
    rotation: [[f64; 3]; 3],
    shift: [f64; 3],
}

impl RigidMotion {
    fn random(rng: &mut Rng) -> RigidMotion {
        let rotation = random_rotation(rng);
        RigidMotion {
            rotation,
            shift: [rng.normal() * 20.0, rng.normal() * 20.0, rng.normal() * 20.0],
        }
    }

    fn apply(&self, frame: &[[f64; 3]]) -> Vec<[f64; 3]> {
        let (rot, shift) = (&self.rotation, self.shift);
        frame
            .iter()
            .map(|p| {
                std::array::from_fn(|r| {
                    rot[r][0] * p[0] + rot[r][1] * p[1] + rot[r][2] * p[2] + shift[r]
                })
            })
            .collect()
    }
}

/// Writes `text` to `path` atomically (a crash leaves no half-written file).
pub(crate) fn write_new(path: &Path, text: &str) -> Result<()> {
    crate::npy::write_atomic(path, false, |w| Ok(w.write_all(text.as_bytes())?))
}

pub(crate) fn run(args: &GenerateChainArgs) -> Result<()> {
    let n = args.residues.unwrap_or(30);
    if n < 6 || args.frames < 10 || args.per_class < 2 {
        bail!("need at least 6 residues, 10 frames and 2 trajectories per class");
    }
    let mut rng = Rng(SplitMix64::new(args.seed ^ 0xD5EE_D516));
    let dataset = ChainDataset {
        title: "motion",
        base: base_chain(n),
        classes: [("a-first", true), ("b-first", false)],
        per_class: args.per_class,
        frames: args.frames,
    };
    dataset.write(&args.out, |a_first| simulate(n, args.frames, a_first, &mut rng))
}

/// A synthetic chain data set of two classes: `topology.pdb` (with CONECT bonds along the
/// chain), one multi-model PDB per trajectory and `manifest.toml` (5 windows per trajectory).
struct ChainDataset {
    title: &'static str,
    base: Vec<[f64; 3]>,
    /// (label, the flag handed to the simulation) for the two classes.
    classes: [(&'static str, bool); 2],
    per_class: usize,
    frames: usize,
}

impl ChainDataset {
    /// Writes the data set into `out`, which must be new or empty; `simulate(flag)` gives
    /// one trajectory's frames, called class by class in alternation.
    fn write(
        &self,
        out: &Path,
        mut simulate: impl FnMut(bool) -> Vec<Vec<[f64; 3]>>,
    ) -> Result<()> {
        if out.exists() && std::fs::read_dir(out).map(|mut d| d.next().is_some()).unwrap_or(true) {
            bail!("{} exists and is not empty; choose a new folder", out.display());
        }
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
        let title = self.title;
        let mut topology = format!("REMARK deepsig synthetic {title} benchmark\n");
        for (i, &p) in self.base.iter().enumerate() {
            atom_line(&mut topology, i + 1, p);
        }
        for i in 1..self.base.len() {
            let _ = writeln!(topology, "CONECT{i:>5}{:>5}", i + 1);
        }
        topology.push_str("END\n");
        write_new(&out.join("topology.pdb"), &topology)?;
        let mut manifest = format!(
            "# Synthetic {title} benchmark written by `deepsig generate {title}`.\nselection = \"all\"\n\n[windowing]\nwindows = 5\nstride = 1\n",
        );
        for k in 0..self.per_class {
            for (class, flag) in self.classes {
                let name = format!("{class}-{k:03}");
                let mut pdb = String::new();
                for (m, frame) in simulate(flag).into_iter().enumerate() {
                    let _ = writeln!(pdb, "MODEL     {:>4}", m + 1);
                    for (i, p) in frame.into_iter().enumerate() {
                        atom_line(&mut pdb, i + 1, p);
                    }
                    pdb.push_str("ENDMDL\n");
                }
                pdb.push_str("END\n");
                write_new(&out.join(format!("{name}.pdb")), &pdb)?;
                let _ = write!(
                    manifest,
                    "\n[[system]]\nname = \"{name}\"\ntopology = \"topology.pdb\"\ntrajectories = [\"{name}.pdb\"]\nlabel = \"{class}\"\n"
                );
            }
        }
        write_new(&out.join("manifest.toml"), &manifest)?;
        eprintln!(
            "wrote {} trajectories of {} frames and {}",
            2 * self.per_class,
            self.frames,
            out.join("manifest.toml").display()
        );
        Ok(())
    }
}
