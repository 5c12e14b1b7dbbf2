//! The `reference` preset's own choices (docs/reference-code.md, "Where deepsig differs"): a
//! directed graph of residue cliques, raw coordinates and a learned read-out path tied to the
//! pooled sums.

use deepsig_model::dataset::WindowData;
use deepsig_model::features::{GraphInput, Vocabulary, WindowInput};
use deepsig_model::prepare::window_tensors;
use deepsig_model::{DeepSignature, InputShape, ModelConfig, Preset};

use crate::model::{Rng, chain};

/// The reference preset at a test's size.
fn tiny_reference() -> ModelConfig {
    ModelConfig {
        clusters: 2,
        pool_multipliers: vec![2, 1],
        hidden: 6,
        lstm_hidden: 5,
        head_hidden: 4,
        ..Preset::Reference.config().model
    }
}

#[test]
fn the_graph_is_directed_residue_cliques_with_pyg_gcn_weights() {
    // Atoms 0-3 are residue 0 and 4-7 residue 1 (`chain` puts 4 atoms in a residue).
    let system = chain(8, &(0..8).collect::<Vec<_>>());
    let graph = GraphInput::for_config(&system, &Vocabulary::default(), &tiny_reference());
    let edges: Vec<(i64, i64)> = graph.src.iter().copied().zip(graph.dst.iter().copied()).collect();
    let mut expected = Vec::new();
    for base in [0, 4] {
        for i in base..base + 4 {
            expected.extend((i + 1..base + 4).map(|j| (i, j)));
        }
    }
    assert_eq!(edges, expected, "one direction, lower index first, no edge between residues");
    // MinCut's D: row sums of A, the edges leaving each atom.
    assert_eq!(graph.degree, [3.0, 2.0, 1.0, 0.0, 3.0, 2.0, 1.0, 0.0]);
    // GCN messages follow the edges; degrees count incoming edges plus the self loop (PyG's
    // gcn_norm): atom 0 has in-degree 0, atom j of a residue in-degree j.
    let mut unit = vec![0.0f32; 8];
    unit[0] = 1.0;
    let from_0 = graph.propagate(&unit, 1);
    let want = [1.0, 1.0 / 2f32.sqrt(), 1.0 / 3f32.sqrt(), 0.5, 0.0, 0.0, 0.0, 0.0];
    for (got, want) in from_0.iter().zip(want) {
        assert!((got - want).abs() < 1e-6, "{from_0:?}");
    }
    let mut unit = vec![0.0f32; 8];
    unit[3] = 1.0;
    let from_3 = graph.propagate(&unit, 1);
    assert_eq!(from_3.iter().filter(|v| **v != 0.0).count(), 1, "atom 3 sends nothing");
    // The paper graph on the same system: its bonds, both ways.
    let paper =
        GraphInput::for_config(&system, &Vocabulary::default(), &Preset::Paper.config().model);
    assert_eq!(paper.src.len(), 2 * system.edges.len());
}

#[test]
fn the_learned_path_is_tied_to_pooled_sums_and_sees_raw_coordinates() {
    let _rng = crate::rng_lock();
    let (n, frames) = (8, 9);
    let system = chain(n, &(0..n).collect::<Vec<_>>());
    let vocab = Vocabulary::from_systems([&system]);
    let config = tiny_reference();
    let device = crate::device();
    device.seed(3);
    let model = DeepSignature::new(
        &config,
        InputShape { channels: 3, type_width: vocab.width(), outputs: 1 },
        &device,
    );
    let graph = GraphInput::for_config(&system, &vocab, &config);
    let mut rng = Rng(5);
    let coords: Vec<f32> = (0..frames * n * 3)
        .map(|i| (i / 3 % n) as f32 * 1.5 + 3.0 * rng.uniform() as f32)
        .collect();
    let run = |coords: Vec<f32>| {
        let window = WindowData { frames, coords, channels: 3 };
        let input = WindowInput::for_config(&window, &graph, &config);
        model.forward_window(&window_tensors(&input, &graph, &device))
    };
    let base = run(coords.clone());
    let tie: f32 = base.encoding.tie.clone().into_scalar();
    assert!(tie.is_finite() && tie > 0.0, "tie {tie}");
    // Raw coordinates: a translation moves the pooled sums the path is tied to, and the GNN
    // features it is read from, so both the tie and the output change.
    let moved = run(coords.iter().enumerate().map(|(i, v)| v + [40.0, 0.0, 0.0][i % 3]).collect());
    let moved_tie: f32 = moved.encoding.tie.into_scalar();
    assert!((moved_tie - tie).abs() > 1e-3, "tie {tie} vs {moved_tie} after a translation");
    let (a, b): (f32, f32) = (base.logits.into_scalar(), moved.logits.into_scalar());
    assert!((a - b).abs() > 1e-6, "logits {a} vs {b}: the reference is not translation-invariant");
}
