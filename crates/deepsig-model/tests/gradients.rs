//! Autodiff gradients of the whole model (`deepsig`: GCN, MinCut pooling, centroid paths, the
//! signature layer's custom backward, LSTM, head; and with the `reference` preset's learned
//! path on a directed graph) against central finite differences, in f64.
//!
//! burn 0.22 runs a whole module in f64 when the device's default float dtype is F64
//! (`Device::configure(FloatDType::F64)`): parameters, `Tensor::zeros`/`eye` inside the model
//! and `Tensor::from_data` of f32 host data all take the default dtype, and the signature layer
//! computes in f64 for f64 tensors. That default can be set once per device and per process,
//! and the CPU device is one process-wide value that every other test uses in f32, so the check
//! runs in a child process: the test re-runs its own binary on itself alone, with
//! [`CHILD`] set, and asserts that the child passed.

use std::collections::BTreeMap;
use std::process::Command;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::GradientsParams;
use burn::tensor::{DType, FloatDType, Tensor, TensorData};
use deepsig_md::Label;
use deepsig_model::dataset::WindowData;
use deepsig_model::features::{GraphInput, Vocabulary, WindowInput};
use deepsig_model::model::WindowTensors;
use deepsig_model::prepare::window_tensors;
use deepsig_model::task::Task;
use deepsig_model::{DeepSignature, InputShape, Method, ModelConfig, Preset};

use crate::model::{Rng, chain};

/// Set in the child process, which runs the check itself.
const CHILD: &str = "DEEPSIG_F64_GRADIENT_CHECK";
/// This test's name in the test binary, for the child's filter.
const NAME: &str = "gradients::whole_model_gradients_match_central_differences_in_f64";

#[test]
fn whole_model_gradients_match_central_differences_in_f64() {
    if std::env::var_os(CHILD).is_some() {
        check();
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .args([NAME, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // "1 passed" also proves that the filter matched: zero tests would succeed too.
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "f64 gradient check (child process):\n{stdout}\n{stderr}"
    );
}

/// Every float parameter's module path, id and values.
#[derive(Default)]
struct Params {
    path: Vec<String>,
    found: BTreeMap<String, (ParamId, Vec<f64>)>,
}

impl ModuleVisitor for Params {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.pop();
    }
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let values = param.val().into_data().convert::<f64>().try_into_vec().unwrap();
        self.found.insert(self.path.join("."), (param.id, values));
    }
}

/// The gradient of every float parameter, by id.
struct Grads<'a> {
    grads: &'a GradientsParams,
    found: BTreeMap<ParamId, Vec<f64>>,
}

impl ModuleVisitor for Grads<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(g) = self.grads.get::<D>(param.id) {
            self.found.insert(param.id, g.into_data().convert::<f64>().try_into_vec().unwrap());
        }
    }
}

/// Adds `delta` to entry `index` of parameter `id`.
struct Perturb {
    id: ParamId,
    index: usize,
    delta: f64,
}

impl ModuleMapper for Perturb {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if param.id != self.id {
            return param;
        }
        let (index, delta) = (self.index, self.delta);
        param.map(|t| nudged(t, index, delta))
    }
}

fn nudged<const D: usize>(t: Tensor<D>, index: usize, delta: f64) -> Tensor<D> {
    let (dims, device) = (t.dims(), t.device());
    let mut values: Vec<f64> = t.into_data().convert::<f64>().try_into_vec().unwrap();
    values[index] += delta;
    Tensor::from_data(TensorData::new(values, dims), &device)
}

/// Fourth-order central difference of `f` at 0: error O(h⁴) from truncation and about
/// 1e-16·|f|/h from rounding, both far below the 1e-6 relative tolerance at h = 1e-4.
fn central_difference(f: impl Fn(f64) -> f64, h: f64) -> f64 {
    (8.0 * (f(h) - f(-h)) - (f(2.0 * h) - f(-2.0 * h))) / (12.0 * h)
}

fn relative_error(a: f64, b: f64) -> f64 {
    // The floor only matters for an exactly zero pair; the entries checked are far from it.
    (a - b).abs() / a.abs().max(b.abs()).max(1e-12)
}

fn check() {
    let mut device = crate::device();
    device.configure(FloatDType::F64).unwrap_or_else(|e| panic!("f64 default: {e:?}"));
    let device = device.autodiff();
    assert_eq!(Tensor::<1>::zeros([1], &device).dtype(), DType::F64, "model tensors in f64");
    // Tiny, and dropout 0 so the loss is a deterministic function of the parameters.
    let paper = ModelConfig {
        method: Method::DeepSignature,
        clusters: 3,
        pool_multipliers: vec![2, 1],
        hidden: 6,
        lstm_hidden: 5,
        head_hidden: 4,
        dropout: 0.0,
        ..Preset::Small.config().model
    };
    // Spread over the model: GCN, each MinCut assignment level, the dense conv, the LSTM's
    // input and recurrent weights, LayerNorm, the head.
    let common = [
        "encoder.gcn_coords.weight",
        "encoder.assign.0.weight",
        "encoder.assign.1.bias",
        "encoder.convs.0.rel.weight",
        "lstm.input.weight",
        "lstm.recurrent.weight",
        "norm.gamma",
        "hidden.weight",
        "out.bias",
    ];
    check_config(&paper, &[&common[..], &["encoder.gcn_types.weight"]].concat(), &device);
    // The reference's choices: learned read-out path tied to the pooled sums, directed
    // residue cliques (the plain, not the symmetric, level-1 product), raw coordinates.
    let reference = Preset::Reference.config().model;
    let reference = ModelConfig {
        tanh_logits: reference.tanh_logits,
        path: reference.path,
        centre: reference.centre,
        edges: reference.edges,
        directed: reference.directed,
        shared_boundaries: reference.shared_boundaries,
        type_features: reference.type_features,
        ..paper
    };
    let readout = ["encoder.readout.conv.rel.weight", "encoder.readout.linear.weight"];
    check_config(&reference, &[&common[..], &readout].concat(), &device);
}

/// The gradients of the training loss with `config` with respect to the parameters `chosen`
/// (in each, the entry with the largest gradient, so the relative error is not dominated by
/// rounding of a near-zero value) and to the input coordinates.
fn check_config(config: &ModelConfig, chosen: &[&str], device: &burn::tensor::Device) {
    device.seed(13);
    let (n, frames) = (8, 9);
    let system = chain(n, &(0..n).collect::<Vec<_>>());
    let vocab = Vocabulary::from_systems([&system]);
    let shape = InputShape { channels: 3, type_width: vocab.width(), outputs: 1 };
    let model = DeepSignature::new(config, shape, device);
    let mut rng = Rng(47);
    let coords: Vec<f32> = (0..frames * n * 3)
        .map(|i| (i / 3 % n) as f32 * 1.5 + 3.0 * rng.uniform() as f32)
        .collect();
    let graph = GraphInput::for_config(&system, &vocab, config);
    let input =
        WindowInput::for_config(&WindowData { frames, coords, channels: 3 }, &graph, config);
    let mut window = window_tensors(&input, &graph, device);
    assert_eq!(window.coords.dtype(), DType::F64);
    let labels = [Label::Text("a".into()), Label::Text("b".into())];
    let task = Task::infer(labels.iter()).unwrap();
    // The training loss (task weight 10, cut and orthogonality weight 1, tie 0.01), label "b".
    let loss = |model: &DeepSignature, w: &WindowTensors| -> Tensor<1> {
        let out = model.forward_window(w);
        let e = out.encoding;
        task.loss(out.logits, &[1.0]) * 10.0 + e.cut + e.orth + e.tie * 0.01
    };
    let value = |model: &DeepSignature, w: &WindowTensors| -> f64 { loss(model, w).into_scalar() };
    window.coords = window.coords.clone().require_grad();
    let grads = loss(&model, &window).backward();
    let coord_grad: Vec<f64> =
        window.coords.grad(&grads).unwrap().into_data().convert::<f64>().try_into_vec().unwrap();
    let grads = GradientsParams::from_grads(grads, &model);
    let mut params = Params::default();
    model.visit(&mut params);
    let mut by_id = Grads { grads: &grads, found: BTreeMap::new() };
    model.visit(&mut by_id);

    let h = 1e-4;
    let mut report = Vec::new();
    for &path in chosen {
        let (id, _) = params.found.get(path).unwrap_or_else(|| {
            panic!("no parameter {path}; the model has {:?}", params.found.keys())
        });
        let g = &by_id.found[id];
        let index = (0..g.len()).max_by(|&a, &b| g[a].abs().total_cmp(&g[b].abs())).unwrap();
        assert!(g[index].abs() > 1e-6, "{path}: gradient is zero everywhere: {g:?}");
        let fd = central_difference(
            |delta| value(&model.clone().map(&mut Perturb { id: *id, index, delta }), &window),
            h,
        );
        report.push((path.to_string(), g[index], fd));
    }
    // Input coordinates too (through the centroid paths and the signature layer's backward):
    // the largest entry and one on the shared boundary of the first two sub-windows (frame 2 of 9),
    // which two log-signatures read.
    let boundary = (2 * n + 3) * 3 + 1;
    let largest =
        (0..coord_grad.len()).max_by(|&a, &b| coord_grad[a].abs().total_cmp(&coord_grad[b].abs()));
    for index in [largest.unwrap(), boundary] {
        let fd = central_difference(
            |delta| {
                let mut w = window.clone();
                w.coords = nudged(window.coords.clone(), index, delta);
                value(&model, &w)
            },
            h,
        );
        report.push((format!("coords[{index}]"), coord_grad[index], fd));
    }
    println!("{:?} path, directed {}: {report:#?}", config.path, config.directed);
    for (what, ad, fd) in &report {
        assert!(
            relative_error(*ad, *fd) < 1e-6,
            "{:?} path: {what}: autodiff {ad} vs finite difference {fd}",
            config.path
        );
    }
}
