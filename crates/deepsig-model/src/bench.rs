//! `deepsig bench train`: time training and evaluation on synthetic input of a given size.
//!
//! The input is a backbone-like chain of `atoms` atoms (a bond to the next atom and a ring
//! closure every fourth atom, as the N-CA-C-O backbone 4-cliques plus peptide bonds), random
//! coordinates, and `windows` windows of `frames` frames, half of each class. Peak memory is
//! the process's high-water mark (`VmHWM` in /proc/self/status, Linux).

use std::time::Instant;

use burn::module::Module;
use deepsig_md::Label;
use serde::Serialize;

use crate::config::TrainConfig;
use crate::data::{SystemData, WindowData};
use crate::features::{GraphInput, Vocabulary, WindowInput};
use crate::model::{DeepSignature, InputShape};
use crate::prepare::window_tensors;
use crate::step::{accumulated_step, evaluate_in_chunks};
use crate::task::Task;
use crate::{TrainError, backend};

/// The size of a synthetic training benchmark.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct BenchSize {
    /// Atoms per window.
    pub atoms: usize,
    /// Frames per window.
    pub frames: usize,
    /// Training windows per epoch.
    pub windows: usize,
    /// Windows evaluated.
    pub eval_windows: usize,
}

/// Measured times and memory.
#[derive(Debug, Clone, Serialize)]
pub struct BenchResult {
    /// The size.
    pub size: BenchSize,
    /// Windows per step.
    pub batch: usize,
    /// Seconds for one training epoch (every window once).
    pub epoch_seconds: f64,
    /// Seconds to evaluate `eval_windows` windows.
    pub eval_seconds: f64,
    /// Process peak resident memory in MB (None where /proc is missing).
    pub peak_rss_mb: Option<f64>,
    /// Model parameters.
    pub parameters: usize,
    /// GFLOP/s of the model's largest matrix product on this device (see
    /// [`level1_product_gflops`]).
    pub level1_product_gflops: f64,
    /// Device name.
    pub device: String,
}

/// The process's peak resident memory so far (`VmHWM`), in MB; `None` off Linux.
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// The rate of the level-1 pooling product $S^T [S \mid AS]$ (`pooling.rs`; $S$ is
/// `[atoms, clusters]`), the model's largest: the median of 9 runs, in GFLOP/s. With the
/// multiply-add count of a training step (BENCHMARKS.md, "Training") it bounds how fast an
/// epoch can be on this device. Measured after the epoch, so peak memory is the training's.
pub fn level1_product_gflops(atoms: usize, clusters: usize, device: &burn::tensor::Device) -> f64 {
    use burn::tensor::{Distribution, Tensor};
    let left = Tensor::<2>::random([clusters, atoms], Distribution::Default, device);
    let right = Tensor::<2>::random([atoms, 2 * clusters], Distribution::Default, device);
    let seconds: Vec<f64> = (0..10)
        .map(|_| {
            let start = Instant::now();
            let _ = left.clone().matmul(right.clone()).into_data();
            start.elapsed().as_secs_f64()
        })
        .skip(1) // warm-up
        .collect();
    2.0 * (clusters * atoms * 2 * clusters) as f64 / deepsig_md::bench::median(&seconds) / 1e9
}

fn synthetic_system(atoms: usize) -> SystemData {
    let names = ["N", "CA", "C", "O"];
    let mut edges: Vec<(u32, u32)> = (1..atoms as u32).map(|i| (i - 1, i)).collect();
    edges
        .extend((0..atoms as u32).step_by(4).filter(|&i| i + 3 < atoms as u32).map(|i| (i, i + 3)));
    SystemData {
        name: "synthetic".into(),
        label: Label::Text("a".into()),
        group: None,
        topology: "synthetic".into(),
        atom_names: (0..atoms).map(|i| names[i % 4].to_string()).collect(),
        residue_names: (0..atoms).map(|i| ["ALA", "GLY", "LEU"][(i / 4) % 3].to_string()).collect(),
        residue_ids: (0..atoms).map(|i| (i / 4) as i32).collect(),
        residues: (0..atoms).map(|i| (i / 4) as u32).collect(),
        segment_ids: vec![String::new(); atoms],
        reference: Vec::new(),
        topology_indices: (0..atoms as u32).collect(),
        edges,
        kind: crate::data::SystemKind::Molecule,
        channels: 3,
    }
}

/// Trains one epoch and evaluates, on synthetic windows of `size`, with `config`.
pub fn bench_train(
    size: BenchSize,
    config: &TrainConfig,
    device_name: &str,
) -> Result<BenchResult, TrainError> {
    config.validate()?;
    let base = backend::device_from_str(device_name)?;
    let device = base.clone().autodiff();
    device.seed(0);
    let system = synthetic_system(size.atoms);
    let vocab = Vocabulary::from_systems([&system]);
    let graph = GraphInput::for_config(&system, &vocab, &config.model);
    let mut rng = deepsig_md::SplitMix64::new(1);
    let mut window = |_: usize| {
        let coords = (0..size.frames * size.atoms * 3)
            .map(|i| (i / 3 % size.atoms) as f32 * 0.4 + (rng.next_f64() as f32 - 0.5) * 4.0)
            .collect();
        WindowInput::for_config(
            &WindowData { frames: size.frames, coords, channels: 3 },
            &graph,
            &config.model,
        )
    };
    // A handful of distinct windows reused round-robin: memory stays that of a real run.
    let inputs: Vec<WindowInput> = (0..4).map(&mut window).collect();
    let task = Task::Binary { classes: vec!["a".into(), "b".into()] };
    let mut model = DeepSignature::new(
        &config.model,
        InputShape { channels: 3, type_width: vocab.width(), outputs: 1 },
        &device,
    );
    let parameters = model.num_params();
    let mut optim = crate::step::optimizer(config);
    let start = Instant::now();
    let mut done = 0;
    while done < size.windows {
        let n = config.batch.min(size.windows - done);
        let window = |k: usize| {
            (window_tensors(&inputs[(done + k) % 4], &graph, &device), ((done + k) % 2) as f64)
        };
        let sizes =
            vec![crate::step::WindowSize { system: 0, atom_frames: size.atoms * size.frames }; n];
        let step = (sizes.as_slice(), config.lr, done as u64);
        model = accumulated_step(model, &mut optim, step, window, &task, config).0;
        done += n;
    }
    let epoch_seconds = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let chunk = |range: std::ops::Range<usize>| {
        let windows = range.clone().map(|i| window_tensors(&inputs[i % 4], &graph, &base));
        (windows.collect(), range.map(|i| (i % 2) as f64).collect())
    };
    evaluate_in_chunks(&model, size.eval_windows, chunk, (&task, config));
    let eval_seconds = start.elapsed().as_secs_f64();
    let peak_rss_mb = peak_rss_mb();
    let level1 = config.model.clusters * config.model.pool_multipliers[0];
    Ok(BenchResult {
        size,
        batch: config.batch,
        epoch_seconds,
        eval_seconds,
        peak_rss_mb,
        level1_product_gflops: level1_product_gflops(size.atoms, level1, &base),
        parameters,
        device: device_name.to_string(),
    })
}
