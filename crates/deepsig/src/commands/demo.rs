//! `deepsig demo`: the built-in demonstration, on a fresh machine, in about a minute.
//!
//! 1. Two 2-domain motions with the same first and last frames, differing only in the order in
//!    which the domains move, get opposite Lévy areas: the signature sees order.
//! 2. A synthetic benchmark (`deepsig generate motion`) whose classes have the same
//!    stationary distribution and differ only in the order of domain motions is written as
//!    real PDB files; Deep Signature is trained on it (preset `small`, trajectory-level
//!    split, checkpoint chosen on validation, test evaluated once), and so are a static
//!    baseline that sees the first and last frames of each window and `graph-lstm`, through
//!    `deepsig benchmark`'s machinery. The table shows them over several seeds.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use deepsig_model::Method;
use deepsig_signature::{Depth, LogMode, PathShape, SigOptions, signature, with_threads};

use crate::args::{DemoArgs, ExplainArgs, GenerateChainArgs, ModelChoice, RunInput};
use crate::commands::benchmark::{self, Plan};

/// Deep Signature, the strongest static baseline (it sees both ends of every window) and an
/// order-aware baseline without signatures.
const METHODS: [Method; 3] = [Method::DeepSignature, Method::FrameHeadTail, Method::GraphLstm];

/// Domain A moves then B, or B then A; both go from (0, 0) to (1, 1) through 21 frames.
fn ordered_motions() -> Vec<f64> {
    let (frames, half) = (21, 10);
    let mut both = Vec::with_capacity(2 * frames * 2);
    for a_first in [true, false] {
        for f in 0..frames {
            let first = f.min(half) as f64 / half as f64;
            let second = f.saturating_sub(half) as f64 / (frames - 1 - half) as f64;
            let (a, b) = if a_first { (first, second) } else { (second, first) };
            both.extend([a, b]);
        }
    }
    both
}

fn show_order() -> Result<()> {
    let shape = PathShape { batch: 2, length: 21, channels: 2 };
    let words = signature(
        &ordered_motions(),
        shape,
        &SigOptions::logsignature(Depth::new(2)?, LogMode::Words),
    )?;
    println!("1. The log-signature sees the order of motions\n");
    println!("   {:<26} {:>6} {:>6} {:>14}", "process", "ΔA", "ΔB", "Lévy area A,B");
    for (name, w) in
        ["domain A moves, then B", "domain B moves, then A"].iter().zip(words.chunks(3))
    {
        println!("   {name:<26} {:>6.2} {:>6.2} {:>14.2}", w[0], w[1], w[2]);
    }
    println!("   Same first frame, same last frame: only the sign of the area tells them apart.\n");
    Ok(())
}

fn fresh_folder(out: &Option<PathBuf>) -> PathBuf {
    if let Some(dir) = out {
        return dir.clone();
    }
    (1..)
        .map(|k| {
            PathBuf::from(if k == 1 {
                "deepsig-demo".to_string()
            } else {
                format!("deepsig-demo-{k}")
            })
        })
        .find(|p| !p.exists())
        .unwrap_or_else(|| PathBuf::from("deepsig-demo"))
}

pub(crate) fn run(args: &DemoArgs) -> Result<()> {
    with_threads(args.threads, || -> Result<()> {
        let start = Instant::now();
        println!("deepsig demo\n");
        show_order()?;
        let dir = fresh_folder(&args.out);
        let data_dir = dir.join("data");
        println!("2. A benchmark where only the order of motions differs ({})\n", dir.display());
        crate::commands::generate::run(&GenerateChainArgs {
            out: data_dir.clone(),
            seed: 0,
            per_class: 12,
            residues: Some(30),
            frames: 200,
        })?;
        let manifest = data_dir.join("manifest.toml");
        println!(
            "   Classes share the stationary distribution; only the order of domain motions\n   differs. Training Deep Signature, a static model of the first and last frames\n   and a bidirectional LSTM over the same clusters' paths ({} seeds, preset small):\n",
            args.seeds
        );
        let plan = Plan {
            manifest: manifest.clone(),
            out: dir.clone(),
            methods: METHODS.to_vec(),
            seeds: (0..args.seeds).collect(),
            model: ModelChoice { preset: "small".into(), overrides: Vec::new() },
            device: "cpu".into(),
            threads: args.threads,
            tune: None,
            mode: benchmark::Mode::All,
        };
        let results = benchmark::run_plan(&plan, true)?;
        let written = benchmark::write_table(&plan, &results)?;
        println!("\n{}", benchmark::markdown(&plan, &results));
        println!("   chance: 50.0 (balanced classes)\n");
        println!(
            "   Run folders (config, checkpoints, metrics.json, curves.svg, report.md): {}/METHOD/seed-S",
            dir.display()
        );
        println!("   Table: {}", written.join(", "));
        // What the model learned to look at: its clusters on the chain, colourable by beta.
        let clusters = dir.join("clusters.pdb");
        crate::commands::explain::run(&ExplainArgs {
            input: RunInput {
                run: dir.join(Method::DeepSignature.name()).join("seed-0"),
                topology: data_dir.join("topology.pdb"),
                manifest: Some(manifest),
                device: "cpu".into(),
            },
            trajectories: vec![data_dir.join("a-first-000.pdb")],
            output: clusters.clone(),
            top: 10,
            force: false,
        })
        .context("explaining the first Deep Signature run")?;
        println!("   Total time: {:.0} s", start.elapsed().as_secs_f64());
        Ok(())
    })
    .context("cannot start the thread pool")?
}
