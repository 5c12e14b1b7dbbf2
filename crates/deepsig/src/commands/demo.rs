//! `deepsig demo`: the built-in demonstration, on a fresh machine, in about a minute.
//!
//! 1. Two 2-domain motions with the same first and last frames, differing only in the order in
//!    which the domains move, get opposite Lévy areas: the signature sees order.
//! 2. A synthetic benchmark (`deepsig generate motion`) whose classes have the same
//!    stationary distribution and differ only in the order of domain motions is written as
//!    real PDB files; Deep Signature is trained on it (preset `small`, trajectory-level
//!    split, checkpoint chosen on validation, test evaluated once), and so is a static
//!    baseline that sees one frame per window. The table shows both over several seeds.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use deepsig_model::metrics::mean_std;
use deepsig_model::prepare::Prepared;
use deepsig_model::{Preset, TrainConfig, TrainOptions, train};
use deepsig_signature::{Depth, LogMode, PathShape, SigOptions, signature, with_threads};

use crate::args::{DemoArgs, GenerateMotionArgs};

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

/// A static baseline: nearest class mean of one (aligned, centred) frame per window.
fn static_baseline(data: &Prepared) -> f64 {
    let first_frame = |i: usize| -> Vec<f64> {
        let s = &data.samples[i].input;
        s.coords[..s.coords.len() / s.frames].iter().map(|&v| f64::from(v)).collect()
    };
    let train = data.samples_of(&data.train);
    let classes = data.task.outputs().max(2);
    let mut means: Vec<(Vec<f64>, f64)> = Vec::new();
    for c in 0..classes {
        let rows: Vec<Vec<f64>> = train
            .iter()
            .filter(|&&i| data.samples[i].target as usize == c)
            .map(|&i| first_frame(i))
            .collect();
        let Some(width) = rows.first().map(Vec::len) else { continue };
        let mean = (0..width)
            .map(|k| rows.iter().map(|r| r[k]).sum::<f64>() / rows.len() as f64)
            .collect();
        means.push((mean, c as f64));
    }
    let test = data.samples_of(if data.test.is_empty() { &data.validation } else { &data.test });
    let correct = test
        .iter()
        .filter(|&&i| {
            let x = first_frame(i);
            let distance =
                |m: &Vec<f64>| m.iter().zip(&x).map(|(a, b)| (a - b).powi(2)).sum::<f64>();
            let best = means.iter().min_by(|a, b| distance(&a.0).total_cmp(&distance(&b.0)));
            best.is_some_and(|(_, c)| *c == data.samples[i].target)
        })
        .count();
    correct as f64 / test.len().max(1) as f64
}

fn config() -> Result<TrainConfig> {
    Ok(Preset::Small.config())
}

pub(crate) fn run(args: &DemoArgs) -> Result<()> {
    with_threads(args.threads, || -> Result<()> {
        let start = Instant::now();
        println!("deepsig demo\n");
        show_order()?;
        let dir = fresh_folder(&args.out);
        let data_dir = dir.join("data");
        println!("2. A benchmark where only the order of motions differs ({})\n", dir.display());
        crate::commands::generate::run(&GenerateMotionArgs {
            out: data_dir.clone(),
            seed: 0,
            per_class: 12,
            residues: 30,
            frames: 200,
        })?;
        let manifest = data_dir.join("manifest.toml");
        let config = config()?;
        let (mut deep, mut deep_window, mut fixed) = (Vec::new(), Vec::new(), Vec::new());
        for seed in 0..args.seeds {
            let out = dir.join(format!("deepsig-seed-{seed}"));
            eprintln!("   training Deep Signature, seed {seed} ...");
            let m = train(&TrainOptions {
                manifest: manifest.clone(),
                out,
                config: config.clone(),
                seed,
                device: "cpu".into(),
                resume: false,
                progress: false,
                cache_dir: Some(dir.join(".cache")),
            })
            .context("training Deep Signature")?;
            deep.push(m["per_trajectory"]["accuracy"].as_f64().unwrap_or(f64::NAN));
            deep_window.push(m["per_window"]["accuracy"].as_f64().unwrap_or(f64::NAN));
            let data = Prepared::load(&manifest, &config, seed, Some(&dir.join(".cache")))?;
            fixed.push(static_baseline(&data));
        }
        let row = |name: &str, v: &[f64]| {
            let (m, s) = mean_std(v);
            println!("   {name:<44} {:>6.1} ± {:<5.1}", 100.0 * m, 100.0 * s);
        };
        println!(
            "\n   {:<44} {:>14}",
            format!("test accuracy (%) over {} seeds", args.seeds),
            "mean ± std"
        );
        row("Deep Signature, per trajectory", &deep);
        row("Deep Signature, per window", &deep_window);
        row("static baseline (one frame per window)", &fixed);
        println!("   chance: 50.0\n");
        println!(
            "   Run folders (config, checkpoints, metrics.json, curves.svg, report.md): {}",
            dir.display()
        );
        println!("   Total time: {:.0} s", start.elapsed().as_secs_f64());
        Ok(())
    })
    .context("cannot start the thread pool")?
}
