//! `deepsig generate circulation`: a synthetic benchmark whose classes differ only in the
//! SENSE in which a small loop circulates, with a decoy loop circulating at random.
//!
//! Physics (the beads of [`super::simulate`]: overdamped Langevin in harmonic wells): a chain
//! of C-alpha beads along x. A signal loop of `LOOP` consecutive beads, starting a quarter of
//! the way along the chain, has its wells carried round a circle of radius `RADIUS` in the
//! y–z plane, $r_i(t) = b_i + R\,(0, \cos\theta_t, \sin\theta_t)$ with
//! $\theta_t = \theta_0 + s\,2\pi t / P$: the sense $s = +1$ is class `counter-clockwise`,
//! $s = -1$ class `clockwise`. A decoy loop of the same size, three quarters along, circulates
//! the same way with its own period, phase and a sense drawn at random, independent of the
//! class. Periods are drawn from `PERIODS` frames, phases uniformly, so every frame's loop
//! position is uniform on its circle in both classes and a model of single frames is at
//! chance; what separates the classes is the signed area that the signal loop's path sweeps
//! (its Lévy area in the y–z plane), and only the signal loop's, so a model must find which
//! atoms carry it. Each trajectory is also moved by a random rigid motion.
//!
//! Unlike `generate motion` (two large domains, a slow four-corner cycle) the signal here is
//! local (`LOOP` of the chain's atoms) and sits beside a decoy of equal strength.

use std::f64::consts::TAU;

use anyhow::{Result, bail};
use deepsig_md::SplitMix64;

use super::{ChainDataset, RigidMotion, Rng, base_chain, relax_towards};
use crate::args::GenerateChainArgs;

/// Beads per loop.
const LOOP: usize = 4;
/// Radius (Å) of the circle the loop's wells follow.
const RADIUS: f64 = 1.2;
/// Range of the rotation period in frames: 1.25 to 2 turns per 40-frame window.
const PERIODS: (f64, f64) = (20.0, 32.0);

/// One loop's circulation: first bead, sense (+1 or −1), period (frames) and phase.
#[derive(Debug, Clone, Copy)]
struct Circulation {
    first: usize,
    sense: f64,
    period: f64,
    phase: f64,
}

impl Circulation {
    fn random(first: usize, sense: f64, rng: &mut Rng) -> Circulation {
        let period = PERIODS.0 + (PERIODS.1 - PERIODS.0) * rng.next_f64();
        Circulation { first, sense, period, phase: TAU * rng.next_f64() }
    }

    /// The offset of the loop's wells at frame `t`, if bead `i` is in the loop.
    fn offset(&self, i: usize, t: usize) -> Option<[f64; 3]> {
        (self.first..self.first + LOOP).contains(&i).then(|| {
            let theta = self.phase + self.sense * TAU * t as f64 / self.period;
            [0.0, RADIUS * theta.cos(), RADIUS * theta.sin()]
        })
    }
}

/// The loops' first beads: the signal a quarter along the chain, the decoy three quarters.
fn loop_starts(n: usize) -> (usize, usize) {
    (n / 4, (3 * n / 4).min(n - LOOP))
}

/// One trajectory before its rigid motion, and the two loops it was driven by.
fn simulate_body(
    n: usize,
    frames: usize,
    counter_clockwise: bool,
    rng: &mut Rng,
) -> (Vec<Vec<[f64; 3]>>, [Circulation; 2]) {
    let base = base_chain(n);
    let (signal_at, decoy_at) = loop_starts(n);
    let sense = if counter_clockwise { 1.0 } else { -1.0 };
    let signal = Circulation::random(signal_at, sense, rng);
    let decoy_sense = if rng.next_f64() < 0.5 { 1.0 } else { -1.0 };
    let decoy = Circulation::random(decoy_at, decoy_sense, rng);
    let mut x = base.clone();
    let mut out = Vec::with_capacity(frames);
    for t in 0..frames {
        for (i, xi) in x.iter_mut().enumerate() {
            let mut r = base[i];
            if let Some(d) = signal.offset(i, t).or_else(|| decoy.offset(i, t)) {
                (0..3).for_each(|c| r[c] += d[c]);
            }
            relax_towards(xi, r, rng);
        }
        out.push(x.clone());
    }
    (out, [signal, decoy])
}

pub(crate) fn run(args: &GenerateChainArgs) -> Result<()> {
    let n = args.residues.unwrap_or(60);
    if n < 4 * LOOP || args.frames < 10 || args.per_class < 2 {
        bail!(
            "need at least {} residues (two loops of {LOOP} apart), 10 frames and 2 trajectories per class",
            4 * LOOP
        );
    }
    let mut rng = Rng(SplitMix64::new(args.seed ^ 0xC1C0_1A7E));
    let dataset = ChainDataset {
        title: "circulation",
        base: base_chain(n),
        classes: [("counter-clockwise", true), ("clockwise", false)],
        per_class: args.per_class,
        frames: args.frames,
    };
    dataset.write(&args.out, |counter_clockwise| {
        let rigid = RigidMotion::random(&mut rng);
        let (body, _) = simulate_body(n, args.frames, counter_clockwise, &mut rng);
        body.iter().map(|frame| rigid.apply(frame)).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The signed area swept in the y–z plane by the centroid of beads `first..first+LOOP`
    /// (the Lévy area, discretised: ½ Σ (y dz − z dy) about the path's mean).
    fn swept_area(frames: &[Vec<[f64; 3]>], first: usize) -> f64 {
        let centroid: Vec<[f64; 2]> = frames
            .iter()
            .map(|f| {
                let (y, z) = f[first..first + LOOP]
                    .iter()
                    .fold((0.0, 0.0), |(y, z), p| (y + p[1], z + p[2]));
                [y / LOOP as f64, z / LOOP as f64]
            })
            .collect();
        let mean = centroid.iter().fold([0.0; 2], |m, p| [m[0] + p[0], m[1] + p[1]]);
        let mean = [mean[0] / centroid.len() as f64, mean[1] / centroid.len() as f64];
        centroid
            .windows(2)
            .map(|w| {
                let (a, b) = ([w[0][0] - mean[0], w[0][1] - mean[1]], w[1]);
                0.5 * (a[0] * (b[1] - w[0][1]) - a[1] * (b[0] - w[0][0]))
            })
            .sum()
    }

    #[test]
    fn the_signal_loop_sweeps_the_class_sense_and_the_decoy_its_own() {
        let mut rng = Rng(SplitMix64::new(7));
        let n = 40;
        let (signal_at, decoy_at) = loop_starts(n);
        let mut decoy_senses = Vec::new();
        for k in 0..20 {
            let counter_clockwise = k % 2 == 0;
            // One 40-frame window, as the manifest cuts them.
            let (frames, [signal, decoy]) = simulate_body(n, 40, counter_clockwise, &mut rng);
            let area = swept_area(&frames, signal_at);
            assert_eq!(area > 0.0, counter_clockwise, "trajectory {k}: signal area {area}");
            assert_eq!(signal.sense > 0.0, counter_clockwise);
            let decoy_area = swept_area(&frames, decoy_at);
            assert_eq!(decoy_area > 0.0, decoy.sense > 0.0, "trajectory {k}: decoy {decoy_area}");
            decoy_senses.push(decoy.sense > 0.0);
        }
        // The decoy's sense is not the class: both senses occur in both classes.
        for class in [0, 1] {
            let senses: Vec<bool> = decoy_senses.iter().skip(class).step_by(2).copied().collect();
            assert!(senses.contains(&true) && senses.contains(&false), "{senses:?}");
        }
    }

    #[test]
    fn single_frames_do_not_carry_the_class() {
        // The loop's angle at a frame is uniform in both classes: over many trajectories the
        // mean position of the signal loop at a fixed frame is the same (the chain axis).
        let mut rng = Rng(SplitMix64::new(11));
        let n = 40;
        let (signal_at, _) = loop_starts(n);
        let base = base_chain(n);
        let mut mean = [[0.0f64; 2]; 2];
        let per_class = 400;
        for k in 0..2 * per_class {
            let class = k % 2;
            let (frames, _) = simulate_body(n, 12, class == 0, &mut rng);
            let p = frames[11][signal_at];
            mean[class][0] += (p[1] - base[signal_at][1]) / per_class as f64;
            mean[class][1] += (p[2] - base[signal_at][2]) / per_class as f64;
        }
        for class in mean {
            // RADIUS 3 Å; the mean of 400 uniform angles has a standard error of about 0.11 Å.
            assert!(class[0].abs() < 0.5 && class[1].abs() < 0.5, "{mean:?}");
        }
    }
}
