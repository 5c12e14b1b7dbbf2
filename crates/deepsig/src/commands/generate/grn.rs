//! `deepsig generate grn`: the gene-regulatory benchmark of the Deep Signature paper
//! (docs/benchmarks-data.md, "GRN benchmark"), classes differing in the degradation law of
//! the genes.
//!
//! Model (Barzel–Barabási form):
//! $\dot x_i = -b_i x_i^f + \sum_j A_{ij} \frac{x_j^h}{x_j^h + 1}$, with $h = 2$; class 0 is
//! degradation ($f = 1$), class 1 dimerisation ($f = 2$).
//!
//! - Network: one directed Erdős–Rényi graph for the whole data set, each ordered pair
//!   $j \to i$ ($i \ne j$) an activation $A_{ij} = 1$ with probability $4 / (N - 1)$ (mean
//!   in-degree 4). The model gets its support as an undirected edge list (`edges.csv`), the
//!   direction being part of the dynamics it has to learn from; `regulation.csv` keeps the
//!   directed pairs.
//! - Steady states matched across classes: trajectory pair `k` draws a target steady state
//!   $x^*_i \sim U(1, 2)$ and sets $b_i = S_i / (x^*_i)^f$ with $S_i = \sum_j A_{ij} H(x^*_j)$,
//!   so $x^*$ is a fixed point in both classes and the late frames of the two classes have the
//!   same distribution. A gene without regulators ($S_i = 0$) gets $b_i \sim U(0.5, 1.5)$ and
//!   decays towards 0 in both classes. Both trajectories of a pair start from the same
//!   $x_0 \sim U(0, 3)$ and share a split `group`, so the pair never straddles a split.
//!   What separates the classes is the shape of the relaxation (linear against quadratic
//!   decay; near $x^*$, class 1 relaxes about twice as fast), not where the genes sit.
//! - Integration: classical RK4 with step at most `MAX_STEP`, sampled at `frames` equal
//!   times over $[0, $`DURATION`$]$.
//!
//! Output: `traj_KKK_fF.npz` (member `x`, float32, shape (T, N, 1)), `edges.csv`,
//! `regulation.csv`, `manifest.toml`, `README.txt`.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use deepsig_md::SplitMix64;

use crate::args::GenerateGrnArgs;

/// Hill exponent $h$ of the activation.
const HILL: i32 = 2;
/// Mean in-degree of the random network.
const MEAN_IN_DEGREE: f64 = 4.0;
/// Simulated time span.
const DURATION: f64 = 5.0;
/// Largest RK4 step.
const MAX_STEP: f64 = 0.01;
/// Windows per trajectory in the manifest.
const WINDOWS: usize = 5;

/// The regulatory network and rates of one trajectory.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Grn {
    /// Degradation exponent $f$ (1 or 2).
    pub(crate) f: i32,
    /// Degradation rates $b_i$.
    pub(crate) b: Vec<f64>,
    /// Regulators of each gene: `inputs[i]` lists the $j$ with $A_{ij} = 1$.
    pub(crate) inputs: Vec<Vec<usize>>,
}

fn activation(x: f64) -> f64 {
    // Negative values never arise from the ODE (x = 0 is invariant from above), but RK4's
    // intermediate stages could dip below 0; clamp so x^h stays monotone.
    let p = x.max(0.0).powi(HILL);
    p / (p + 1.0)
}

impl Grn {
    /// $\dot x$ at `x` (the model in the module docs).
    pub(crate) fn derivative(&self, x: &[f64], out: &mut [f64]) {
        for (i, o) in out.iter_mut().enumerate() {
            let production: f64 = self.inputs[i].iter().map(|&j| activation(x[j])).sum();
            *o = -self.b[i] * x[i].max(0.0).powi(self.f) + production;
        }
    }

    /// One classical Runge–Kutta step of size `dt` from `x`, in place:
    /// $x \mathrel{+}= \frac{dt}{6}(k_1 + 2k_2 + 2k_3 + k_4)$.
    pub(crate) fn rk4_step(&self, x: &mut [f64], dt: f64) {
        let n = x.len();
        let (mut k1, mut k2, mut k3, mut k4) =
            (vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        let mut y = vec![0.0; n];
        self.derivative(x, &mut k1);
        for i in 0..n {
            y[i] = x[i] + 0.5 * dt * k1[i];
        }
        self.derivative(&y, &mut k2);
        for i in 0..n {
            y[i] = x[i] + 0.5 * dt * k2[i];
        }
        self.derivative(&y, &mut k3);
        for i in 0..n {
            y[i] = x[i] + dt * k3[i];
        }
        self.derivative(&y, &mut k4);
        for i in 0..n {
            x[i] += dt / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
        }
    }

    /// `frames` samples at equal times over $[0, T]$ from `x0`, row-major `(frames, genes)`.
    pub(crate) fn simulate(&self, x0: &[f64], frames: usize, duration: f64) -> Vec<f64> {
        let interval = duration / (frames.max(2) - 1) as f64;
        let steps = (interval / MAX_STEP).ceil().max(1.0) as usize;
        let dt = interval / steps as f64;
        let mut x = x0.to_vec();
        let mut out = Vec::with_capacity(frames * x.len());
        for t in 0..frames {
            if t > 0 {
                for _ in 0..steps {
                    self.rk4_step(&mut x, dt);
                }
            }
            out.extend_from_slice(&x);
        }
        out
    }
}

fn uniform(rng: &mut SplitMix64, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * ((rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
}

/// Directed Erdős–Rényi regulators: `inputs[i]` are the genes activating gene `i`.
fn random_network(genes: usize, rng: &mut SplitMix64) -> Vec<Vec<usize>> {
    let p = (MEAN_IN_DEGREE / (genes.max(2) - 1) as f64).min(1.0);
    (0..genes)
        .map(|i| (0..genes).filter(|&j| j != i && uniform(rng, 0.0, 1.0) < p).collect())
        .collect()
}

/// Rates making `target` a fixed point of the class-`f` model (see the module docs).
fn matched_rates(inputs: &[Vec<usize>], target: &[f64], f: i32, rng: &mut SplitMix64) -> Vec<f64> {
    inputs
        .iter()
        .zip(target)
        .map(|(regulators, &x)| {
            let s: f64 = regulators.iter().map(|&j| activation(target[j])).sum();
            if s > 0.0 { s / x.powi(f) } else { uniform(rng, 0.5, 1.5) }
        })
        .collect()
}

fn write_text(path: &Path, text: &str) -> Result<()> {
    crate::npy::write_atomic(path, true, |w| Ok(w.write_all(text.as_bytes())?))
}

pub(crate) fn run(args: &GenerateGrnArgs) -> Result<()> {
    // Windows of at least 5 frames, so the default 4 sub-windows each get an increment.
    if args.genes < 2 || args.frames < 5 * WINDOWS || args.per_class < 2 {
        bail!("need at least 2 genes, {} frames and 2 trajectories per class", 5 * WINDOWS);
    }
    let non_empty = args.out.exists()
        && std::fs::read_dir(&args.out).map(|mut d| d.next().is_some()).unwrap_or(true);
    if non_empty && !args.force {
        bail!(
            "{} exists and is not empty; choose a new folder or pass --force",
            args.out.display()
        );
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let n = args.genes;
    let mut rng = SplitMix64::new(args.seed ^ 0x6E5E_6E5E);
    let inputs = random_network(n, &mut rng);
    let mut regulation = String::from("source,target\n");
    let mut undirected = std::collections::BTreeSet::new();
    for (i, regulators) in inputs.iter().enumerate() {
        for &j in regulators {
            let _ = writeln!(regulation, "{j},{i}");
            undirected.insert((i.min(j), i.max(j)));
        }
    }
    let mut edges = String::from("i,j\n");
    for (i, j) in &undirected {
        let _ = writeln!(edges, "{i},{j}");
    }
    write_text(&args.out.join("edges.csv"), &edges)?;
    write_text(&args.out.join("regulation.csv"), &regulation)?;
    let mut manifest = format!(
        "# Gene-regulatory benchmark written by `deepsig generate grn` (see README.txt).\n\
         # Node values are of order one and used as stored; try --set clusters=30 for 100 genes.\n\n\
         [windowing]\nwindows = {WINDOWS}\nstride = 1\n"
    );
    for k in 0..args.per_class {
        let target: Vec<f64> = (0..n).map(|_| uniform(&mut rng, 1.0, 2.0)).collect();
        let x0: Vec<f64> = (0..n).map(|_| uniform(&mut rng, 0.0, 3.0)).collect();
        for (class, f) in [(0, 1), (1, 2)] {
            let grn =
                Grn { f, b: matched_rates(&inputs, &target, f, &mut rng), inputs: inputs.clone() };
            let values: Vec<f32> =
                grn.simulate(&x0, args.frames, DURATION).iter().map(|&v| v as f32).collect();
            let name = format!("traj_{k:03}_f{f}");
            let path = args.out.join(format!("{name}.npz"));
            let mut npz = std::io::Cursor::new(Vec::new());
            deepsig_md::write_npz(&mut npz, &[("x", &values[..], &[args.frames, n, 1][..])])
                .with_context(|| format!("cannot write {}", path.display()))?;
            let bytes = npz.into_inner();
            crate::npy::write_atomic(&path, true, |w| Ok(w.write_all(&bytes)?))?;
            let _ = write!(
                manifest,
                "\n[[system]]\nname = \"{name}\"\ngraph = \"edges.csv\"\nnodes = {n}\ntrajectories = [\"{name}.npz\"]\nlabel = {class}\ngroup = \"pair-{k:03}\"\n"
            );
        }
    }
    write_text(&args.out.join("manifest.toml"), &manifest)?;
    write_text(&args.out.join("README.txt"), &readme(args, undirected.len()))?;
    eprintln!(
        "wrote {} trajectories of {} frames on {n} genes and {}",
        2 * args.per_class,
        args.frames,
        args.out.join("manifest.toml").display()
    );
    Ok(())
}

fn readme(args: &GenerateGrnArgs, edges: usize) -> String {
    format!(
        "Gene-regulatory benchmark (deepsig generate grn, seed {seed})\n\n\
         Each file traj_KKK_fF.npz holds x, float32, shape ({frames}, {genes}, 1): the expression\n\
         of {genes} genes at {frames} equal times over [0, {DURATION}], integrated with RK4 (step <= {MAX_STEP}) from\n\n\
         \x20   dx_i/dt = -b_i x_i^f + sum_j A_ij x_j^h / (x_j^h + 1),   h = {HILL}.\n\n\
         Label 0: degradation, f = 1.  Label 1: dimerisation, f = 2.\n\n\
         A is one directed Erdos-Renyi network (A_ij = 1 when gene j activates gene i, with\n\
         probability {MEAN_IN_DEGREE}/(N-1) per ordered pair), listed in regulation.csv (source,target).\n\
         edges.csv is its undirected support ({edges} edges), the graph the model is given.\n\n\
         Pair KKK (one trajectory per class, same split group) shares a target steady state\n\
         x* ~ U(1, 2) per gene and an initial state x0 ~ U(0, 3). The rates b_i = S_i / (x*_i)^f,\n\
         S_i = sum_j A_ij H(x*_j), make x* a fixed point in both classes, so the classes end at the\n\
         same levels; genes without regulators get b_i ~ U(0.5, 1.5) and decay to 0. The classes\n\
         differ in how they relax (linear or quadratic decay), which single frames show only\n\
         partly: near x* class 1 relaxes about twice as fast, so early frames are not identically\n\
         distributed.\n",
        seed = args.seed,
        frames = args.frames,
        genes = args.genes,
    )
}

#[cfg(test)]
mod tests {
    use super::Grn;

    /// Two genes, gene 1 activating gene 0: A = [[0, 1], [0, 0]], b = (1, 0.5), h = 2.
    fn pair(f: i32) -> Grn {
        Grn { f, b: vec![1.0, 0.5], inputs: vec![vec![1], vec![]] }
    }

    #[test]
    fn derivative_matches_the_model_by_hand() {
        let mut d = [0.0; 2];
        // f = 1 at x = (1, 2): gene 0: -1·1 + 2²/(2²+1) = -0.2; gene 1: -0.5·2 = -1.
        pair(1).derivative(&[1.0, 2.0], &mut d);
        assert!((d[0] - (-0.2)).abs() < 1e-15 && (d[1] - (-1.0)).abs() < 1e-15, "{d:?}");
        // f = 2 at x = (3, 1): gene 0: -1·9 + 1/2 = -8.5; gene 1: -0.5·1 = -0.5.
        pair(2).derivative(&[3.0, 1.0], &mut d);
        assert!((d[0] - (-8.5)).abs() < 1e-15 && (d[1] - (-0.5)).abs() < 1e-15, "{d:?}");
    }

    #[test]
    fn rk4_step_matches_hand_computed_values() {
        // Gene 1 with f = 1 is x' = -0.5 x: one RK4 step multiplies x by the degree-4 Taylor
        // polynomial of e^z, z = -0.5·dt = -0.05: 1 + z + z²/2 + z³/6 + z⁴/24.
        let z: f64 = -0.05;
        let factor = 1.0 + z + z * z / 2.0 + z.powi(3) / 6.0 + z.powi(4) / 24.0;
        let mut x = [1.0, 1.0];
        pair(1).rk4_step(&mut x, 0.1);
        assert!((x[1] - factor).abs() < 1e-14, "{} vs {factor}", x[1]);
        assert!((factor - 0.951_229_427_083_333_3).abs() < 1e-15);
        // Gene 0 (x0 = 1, x1 = 1 → x1 decays): stages by hand, k = x0' = -x0 + x1²/(x1²+1).
        let h = |v: f64| v * v / (v * v + 1.0);
        let x1 = |k: f64| 1.0 + k; // x1 at each stage, from gene 1's own stages below
        let (g1, g2) = (-0.5, -0.5 * (1.0 + 0.05 * -0.5));
        let g3 = -0.5 * (1.0 + 0.05 * g2);
        let k1 = -1.0 + h(1.0);
        let k2 = -(1.0 + 0.05 * k1) + h(x1(0.05 * g1));
        let k3 = -(1.0 + 0.05 * k2) + h(x1(0.05 * g2));
        let k4 = -(1.0 + 0.1 * k3) + h(x1(0.1 * g3));
        let expected = 1.0 + 0.1 / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
        assert!((x[0] - expected).abs() < 1e-14, "{} vs {expected}", x[0]);
        // Gene 1 with f = 2 is x' = -0.5 x², solved by x(t) = 1 / (1 + 0.5 t) from 1.
        let mut x = [1.0, 1.0];
        pair(2).rk4_step(&mut x, 0.1);
        assert!((x[1] - 1.0 / 1.05).abs() < 1e-7, "{}", x[1]);
    }

    #[test]
    fn simulate_samples_equal_times_and_reaches_the_fixed_point() {
        // Gene 0 alone regulated by a constant gene 1 (b_1 tiny) relaxes to S / b_0.
        let grn = Grn { f: 1, b: vec![2.0, 0.0], inputs: vec![vec![1], vec![]] };
        let out = grn.simulate(&[0.0, 1.0], 11, 20.0);
        assert_eq!(out.len(), 22);
        assert_eq!(&out[..2], &[0.0, 1.0], "frame 0 is the initial state");
        assert!((out[20] - 0.25).abs() < 1e-9, "x0 -> H(1)/b0 = 0.25, got {}", out[20]);
    }
}
