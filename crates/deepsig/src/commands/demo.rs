//! `deepsig demo`: the built-in demonstration.
//!
//! Until the model lands, the demo shows the property Deep Signature rests on: two motions
//! that visit the same states, start and end at the same place, and differ only in the ORDER
//! of their moves, have identical increments (level 1) and opposite Lévy areas (level 2).

use std::time::Instant;

use anyhow::{Context, Result};
use deepsig_signature::{Depth, LogMode, PathShape, SigOptions, signature, with_threads};

use crate::args::DemoArgs;

/// Two "domains" with one coordinate each. In the first path domain A moves, then domain B;
/// in the second B moves first. Both go from (0, 0) to (1, 1) through 21 frames.
fn ordered_motions() -> Vec<f64> {
    let frames = 21;
    let half = frames / 2;
    let mut both = Vec::with_capacity(2 * frames * 2);
    for a_first in [true, false] {
        for f in 0..frames {
            let first = (f.min(half) as f64) / half as f64;
            let second = (f.saturating_sub(half) as f64) / (frames - 1 - half) as f64;
            let (a, b) = if a_first { (first, second) } else { (second, first) };
            both.extend([a, b]);
        }
    }
    both
}

pub(crate) fn run(args: &DemoArgs) -> Result<()> {
    with_threads(args.threads, || -> Result<()> {
        println!("deepsig demo: the log-signature sees the order of motions\n");
        let x = ordered_motions();
        let shape = PathShape { batch: 2, length: 21, channels: 2 };
        let opts = SigOptions::logsignature(Depth::new(2)?, LogMode::Words);
        let words = signature(&x, shape, &opts)?;
        println!("{:<28} {:>10} {:>10} {:>14}", "process", "ΔA", "ΔB", "Lévy area A,B");
        for (name, w) in ["domain A moves, then B", "domain B moves, then A"].iter().zip(words.chunks(3)) {
            println!("{name:<28} {:>10.4} {:>10.4} {:>14.4}", w[0], w[1], w[2]);
        }
        println!("\nSame first frame, same last frame, same net motion of each domain: a model of");
        println!("the first and last frames cannot tell them apart; the Lévy area separates them by sign.\n");

        let (batch, length, channels, depth) = (32, 1000, 13, 3);
        let shape = PathShape { batch, length, channels };
        let helix: Vec<f64> = (0..shape.len())
            .map(|i| {
                let (b, t, c) = (i / (length * channels), (i / channels) % length, i % channels);
                let phase = 0.01 * t as f64 * (1.0 + c as f64) + b as f64;
                if c % 2 == 0 { phase.sin() } else { phase.cos() }
            })
            .collect();
        let opts = SigOptions::signature(Depth::new(depth)?);
        let start = Instant::now();
        let sig = signature(&helix, shape, &opts)?;
        let elapsed = start.elapsed();
        println!(
            "signature of {batch} helices ({length} points, {channels} channels, depth {depth}): {} numbers in {:.1} ms",
            sig.len(),
            elapsed.as_secs_f64() * 1e3
        );
        Ok(())
    })
    .context("cannot start the thread pool")?
}
