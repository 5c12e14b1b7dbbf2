//! Properties of the whole model on a small system: invariances of its output, and a
//! training run that is deterministic and resumable.

use burn::module::Module;
use deepsig_md::Label;
use deepsig_model::dataset::{SystemData, SystemKind, WindowData};
use deepsig_model::features::{GraphInput, Vocabulary, WindowInput};
use deepsig_model::prepare::window_tensors;
use deepsig_model::{DeepSignature, InputShape, Method, ModelConfig, Preset};

pub(crate) use deepsig_testutil::Rng;

pub(crate) fn chain(n: usize, order: &[usize]) -> SystemData {
    // Atom k of the permuted system is atom order[k] of the original.
    let mut inverse = vec![0; n];
    for (k, &o) in order.iter().enumerate() {
        inverse[o] = k as u32;
    }
    let names = ["N", "CA", "C", "O"];
    SystemData {
        name: "chain".into(),
        label: Label::Text("a".into()),
        group: None,
        topology: "chain.pdb".into(),
        atom_names: order.iter().map(|&o| names[o % 4].to_string()).collect(),
        residue_names: order
            .iter()
            .map(|&o| if o < n / 2 { "ALA" } else { "GLY" }.to_string())
            .collect(),
        residue_ids: order.iter().map(|&o| (o / 4) as i32).collect(),
        residues: order.iter().map(|&o| (o / 4) as u32).collect(),
        segment_ids: vec![String::new(); n],
        reference: Vec::new(),
        topology_indices: (0..n as u32).collect(),
        edges: (1..n)
            .map(|i| {
                let (a, b) = (inverse[i - 1], inverse[i]);
                (a.min(b), a.max(b))
            })
            .collect(),
        kind: SystemKind::Molecule,
        channels: 3,
    }
}

fn logits(
    model: &DeepSignature,
    system: &SystemData,
    vocab: &Vocabulary,
    window: &WindowData,
) -> Vec<f32> {
    logits_of(model, system, vocab, window)
}

fn logits_of(
    model: &DeepSignature,
    system: &SystemData,
    vocab: &Vocabulary,
    window: &WindowData,
) -> Vec<f32> {
    let graph = GraphInput::new(system, vocab);
    let input = WindowInput::new(window, &graph, 0.1);
    let tensors = window_tensors(&input, &graph, &crate::device());
    model.forward_window(&tensors).logits.into_data().convert::<f32>().try_into_vec().unwrap()
}

pub(crate) fn close(a: &[f32], b: &[f32], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths differ");
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= 1e-4 * (1.0 + y.abs()), "{what}: {a:?} vs {b:?}");
    }
}

#[test]
fn output_is_invariant_to_translation_and_to_atom_order() {
    let _rng = crate::rng_lock();
    let (n, frames) = (16, 21);
    let identity: Vec<usize> = (0..n).collect();
    let system = chain(n, &identity);
    let vocab = Vocabulary::from_systems([&system]);
    let config = Preset::Small.config().model;
    let device = crate::device();
    device.seed(3);
    let model = DeepSignature::new(
        &config,
        InputShape { channels: 3, type_width: vocab.width(), outputs: 1 },
        &device,
    )
    .valid();
    let mut rng = Rng(7);
    let coords: Vec<f32> = (0..frames * n * 3)
        .map(|i| (i / 3 % n) as f32 * 1.5 + 3.0 * rng.uniform() as f32)
        .collect();
    let window = WindowData { frames, coords: coords.clone(), channels: 3 };
    let base = logits(&model, &system, &vocab, &window);

    let moved: Vec<f32> =
        coords.iter().enumerate().map(|(i, v)| v + [40.0, -25.0, 13.0][i % 3]).collect();
    close(
        &logits(&model, &system, &vocab, &WindowData { frames, coords: moved, channels: 3 }),
        &base,
        "translation",
    );

    let order: Vec<usize> = (0..n).map(|k| (k * 7 + 3) % n).collect();
    let permuted_system = chain(n, &order);
    let mut permuted = vec![0.0; coords.len()];
    for t in 0..frames {
        for (k, &o) in order.iter().enumerate() {
            for c in 0..3 {
                permuted[(t * n + k) * 3 + c] = coords[(t * n + o) * 3 + c];
            }
        }
    }
    close(
        &logits(
            &model,
            &permuted_system,
            &vocab,
            &WindowData { frames, coords: permuted, channels: 3 },
        ),
        &base,
        "permutation",
    );

    // A changed trajectory must change the output, or the checks above prove nothing.
    let other: Vec<f32> = coords.iter().map(|v| v * 1.3).collect();
    let changed =
        logits(&model, &system, &vocab, &WindowData { frames, coords: other, channels: 3 });
    assert!(
        changed.iter().zip(&base).any(|(a, b)| (a - b).abs() > 1e-5),
        "{changed:?} vs {base:?}"
    );
}

#[test]
fn every_method_gives_finite_translation_invariant_outputs_that_depend_on_the_data() {
    let _rng = crate::rng_lock();
    let (n, frames) = (16, 21);
    let system = chain(n, &(0..n).collect::<Vec<_>>());
    let vocab = Vocabulary::from_systems([&system]);
    let mut rng = Rng(11);
    let coords: Vec<f32> = (0..frames * n * 3)
        .map(|i| (i / 3 % n) as f32 * 1.5 + 3.0 * rng.uniform() as f32)
        .collect();
    let moved: Vec<f32> =
        coords.iter().enumerate().map(|(i, v)| v + [-12.0, 30.0, 7.0][i % 3]).collect();
    // Reverse time: the static head-only or tail-only views change too.
    let mut reversed = Vec::with_capacity(coords.len());
    for t in (0..frames).rev() {
        reversed.extend_from_slice(&coords[t * n * 3..(t + 1) * n * 3]);
    }
    let device = crate::device();
    for method in Method::ALL {
        let config = ModelConfig { method, ..Preset::Small.config().model };
        device.seed(5);
        let model = DeepSignature::new(
            &config,
            InputShape { channels: 3, type_width: vocab.width(), outputs: 3 },
            &device,
        )
        .valid();
        let run = |c: &[f32]| {
            let window = WindowData { frames, coords: c.to_vec(), channels: 3 };
            logits_of(&model, &system, &vocab, &window)
        };
        let base = run(&coords);
        assert_eq!(base.len(), 3, "{method}");
        assert!(base.iter().all(|v| v.is_finite()), "{method}: {base:?}");
        close(&run(&moved), &base, &format!("{method}: translation"));
        let changed = run(&reversed);
        assert!(
            changed.iter().zip(&base).any(|(a, b)| (a - b).abs() > 1e-5),
            "{method}: reversing time left {base:?} unchanged"
        );

        // The head run once on the batch gives every window its own logits.
        let graph = GraphInput::new(&system, &vocab);
        let features = [&coords, &reversed].map(|c| {
            let window = WindowData { frames, coords: c.to_vec(), channels: 3 };
            let tensors = window_tensors(&WindowInput::new(&window, &graph, 0.1), &graph, &device);
            model.encode_window(&tensors).features
        });
        let batched: Vec<f32> =
            model.head_batch(features.into()).into_data().convert::<f32>().try_into_vec().unwrap();
        close(&batched, &[base, changed].concat(), &format!("{method}: batched head"));
    }
}

/// The composite assignment of `window` prepared as `config` asks.
fn assignment_of(
    model: &DeepSignature,
    system: &SystemData,
    vocab: &Vocabulary,
    window: &WindowData,
    config: &ModelConfig,
) -> Vec<f32> {
    let graph = GraphInput::new(system, vocab);
    let input = WindowInput::for_config(window, &graph, config);
    let tensors = window_tensors(&input, &graph, &crate::device());
    let output = model.forward_window(&tensors);
    output.encoding.assignment.into_data().convert::<f32>().try_into_vec().unwrap()
}

#[test]
fn a_scale_free_clustering_is_the_same_in_any_unit() {
    // `scale_free_clustering` divides what the GCN reads by the window's RMS radius: the
    // same molecule in Angstrom and in nm (or any coordinate_scale) gets the same clusters.
    let _rng = crate::rng_lock();
    let (n, frames) = (16, 9);
    let system = chain(n, &(0..n).collect::<Vec<_>>());
    let vocab = Vocabulary::from_systems([&system]);
    let mut config = Preset::Small.config().model;
    assert!(config.scale_free_clustering, "the small preset's default");
    let device = crate::device();
    device.seed(5);
    let shape = InputShape { channels: 3, type_width: vocab.width(), outputs: 1 };
    let model = DeepSignature::new(&config, shape, &device).valid();
    let mut rng = Rng(11);
    let coords: Vec<f32> = (0..frames * n * 3)
        .map(|i| (i / 3 % n) as f32 * 3.8 + 2.0 * rng.uniform() as f32)
        .collect();
    let window = |scale: f32| WindowData {
        frames,
        coords: coords.iter().map(|v| v * scale).collect(),
        channels: 3,
    };
    let angstrom = assignment_of(&model, &system, &vocab, &window(1.0), &config);
    let nm = assignment_of(&model, &system, &vocab, &window(0.1), &config);
    close(&nm, &angstrom, "assignment in nm and in Angstrom");
    // Without it the unit moves the clusters, or the check above proves nothing.
    config.scale_free_clustering = false;
    let raw_angstrom = assignment_of(&model, &system, &vocab, &window(1.0), &config);
    let raw_nm = assignment_of(&model, &system, &vocab, &window(0.1), &config);
    assert!(
        raw_nm.iter().zip(&raw_angstrom).any(|(a, b)| (a - b).abs() > 1e-3),
        "{raw_nm:?} vs {raw_angstrom:?}"
    );
}

/// Every parameter's gradient in `grads`, flattened in module order.
fn flat_gradients(model: &DeepSignature, grads: &burn::optim::GradientsParams) -> Vec<f32> {
    use burn::module::{ModuleVisitor, Param};
    use burn::tensor::Tensor;
    struct Collect<'a> {
        grads: &'a burn::optim::GradientsParams,
        out: Vec<f32>,
    }
    impl ModuleVisitor for Collect<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(g) = self.grads.get::<D>(param.id) {
                self.out.extend(g.into_data().convert::<f32>().try_into_vec::<f32>().unwrap());
            }
        }
    }
    let mut collect = Collect { grads, out: Vec::new() };
    model.visit(&mut collect);
    collect.out
}

/// `encode_windows` takes the windows of one system through the encoder together: each
/// window's encoding, and the gradient of a loss over all of them, are those of one window at
/// a time, for every method and for the `reference` preset (learned path, directed graph). A
/// window of another system with the same shape, between them, is kept apart: encoded with
/// the first system's graph, its numbers would differ.
#[test]
fn windows_encoded_together_match_one_window_at_a_time() {
    use crate::f32_values;
    use burn::optim::GradientsParams;
    use burn::tensor::Tensor;
    use deepsig_model::model::WindowEncoding;
    let _rng = crate::rng_lock();
    let (n, frames) = (12, 9);
    let system = chain(n, &(0..n).collect::<Vec<_>>());
    let shuffled: Vec<usize> = (0..n).map(|k| (k * 5) % n).collect();
    let other = chain(n, &shuffled);
    let vocab = Vocabulary::from_systems([&system, &other]);
    let device = crate::device().autodiff();
    let mut configs: Vec<ModelConfig> = Method::ALL
        .into_iter()
        .map(|method| ModelConfig { method, dropout: 0.0, ..Preset::Small.config().model })
        .collect();
    let paper = Preset::Paper.config().model;
    let reference = Preset::Reference.config().model;
    // Two levels (6 → 3 clusters), fewer than the 12 atoms, as training requires.
    let small_sizes = |c: ModelConfig| ModelConfig {
        clusters: 3,
        pool_multipliers: vec![2, 1],
        hidden: 8,
        lstm_hidden: 16,
        head_hidden: 8,
        dropout: 0.0,
        ..c
    };
    configs.push(small_sizes(paper));
    configs.push(small_sizes(reference));
    let mut rng = Rng(29);
    let windows: Vec<(bool, WindowData)> = [false, true, false, false]
        .into_iter()
        .map(|is_other| {
            let coords = (0..frames * n * 3)
                .map(|i| (i / 3 % n) as f32 * 1.5 + 3.0 * rng.uniform() as f32)
                .collect();
            (is_other, WindowData { frames, coords, channels: 3 })
        })
        .collect();
    for config in configs {
        device.seed(5);
        let shape = InputShape { channels: 3, type_width: vocab.width(), outputs: 2 };
        let model = DeepSignature::new(&config, shape, &device);
        let tensors: Vec<_> = windows
            .iter()
            .map(|(is_other, w)| {
                let graph = GraphInput::for_config(
                    if *is_other { &other } else { &system },
                    &vocab,
                    &config,
                );
                window_tensors(&WindowInput::for_config(w, &graph, &config), &graph, &device)
            })
            .collect();
        let what = format!("{} ({:?} path)", config.method, config.path);
        let loss = |encodings: &[WindowEncoding]| -> Tensor<1> {
            // Through the head too: sig-fixed's encoding alone has no parameter.
            let terms = encodings.iter().map(|e| {
                let logits = model.head(e.features.clone()).sum();
                logits + e.features.clone().sum() + e.cut.clone() + e.orth.clone() + e.tie.clone()
            });
            terms.reduce(|a, b| a + b).unwrap()
        };
        let together = model.encode_windows(&tensors);
        let alone: Vec<_> = tensors.iter().map(|w| model.encode_window(w)).collect();
        for (i, (a, b)) in together.iter().zip(&alone).enumerate() {
            let at = |part: &str| format!("{what}: window {i}, {part}");
            close(
                &f32_values(a.features.clone()),
                &f32_values(b.features.clone()),
                &at("features"),
            );
            close(
                &f32_values(a.assignment.clone()),
                &f32_values(b.assignment.clone()),
                &at("assignment"),
            );
            for (x, y, part) in
                [(&a.cut, &b.cut, "cut"), (&a.orth, &b.orth, "orth"), (&a.tie, &b.tie, "tie")]
            {
                close(&f32_values(x.clone()), &f32_values(y.clone()), &at(part));
            }
        }
        let grads_together = GradientsParams::from_grads(loss(&together).backward(), &model);
        let grads_alone = GradientsParams::from_grads(loss(&alone).backward(), &model);
        let (g1, g2) =
            (flat_gradients(&model, &grads_together), flat_gradients(&model, &grads_alone));
        assert!(!g1.is_empty() && g1.len() == g2.len(), "{what}: {} vs {}", g1.len(), g2.len());
        let scale = g2.iter().fold(0f32, |m, v| m.max(v.abs()));
        for (x, y) in g1.iter().zip(&g2) {
            assert!((x - y).abs() <= 1e-4 * scale, "{what}: gradient {x} vs {y} (scale {scale})");
        }
    }
}
