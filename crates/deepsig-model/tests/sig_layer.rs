//! The signature layer against the engine it wraps: same values, same gradients, and an
//! optimiser step that trains a layer placed in front of it.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{DType, Tensor, TensorData};
use deepsig_model::{SigLayer, SigLayerError};

use crate::{device, f32_values};
use deepsig_signature::{Depth, LogMode, PathShape, SigOptions};

use deepsig_testutil::Rng;

fn depth(n: usize) -> Depth {
    Depth::new(n).unwrap()
}

/// Bitwise equality: the layer runs the engine on the same f32 numbers, and the output
/// gradient `w` reaches it exactly (through `* w` and `sum`), so nothing may differ at all.
fn assert_same(actual: &[f32], expected: &[f32], what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: length");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert_eq!(a.to_bits(), e.to_bits(), "{what}[{i}]: {a} vs {e}");
    }
}

/// Values and gradients of the layer equal the engine's, for `opts` on a random batch.
fn check_against_engine(opts: SigOptions, seed: u64) {
    let shape = PathShape { batch: 3, length: 7, channels: 3 };
    let mut rng = Rng(seed);
    let path = rng.vec_f32(shape.len());
    let layer = SigLayer::new(opts).unwrap();
    let c = layer.output_channels(shape.channels).unwrap();

    let device = device().autodiff();
    let dims = [shape.batch, shape.length, shape.channels];
    let x = Tensor::<3>::from_data(TensorData::new(path.clone(), dims), &device).require_grad();
    let out = layer.forward(x.clone()).unwrap();
    assert_eq!(out.dims(), [shape.batch, c]);

    let expected = deepsig_signature::signature(&path, shape, &opts).unwrap();
    assert_same(&f32_values(out.clone()), &expected, "value");

    // A random weighted sum makes d loss / d out = w, so d loss / d path is the engine's VJP.
    let w = rng.vec_f32(shape.batch * c);
    let w_t = Tensor::<2>::from_data(TensorData::new(w.clone(), [shape.batch, c]), &device);
    let grads = (out * w_t).sum().backward();
    let grad = x.grad(&grads).expect("the path has a gradient");
    let expected = deepsig_signature::signature_backward(&path, shape, &w, &opts).unwrap();
    assert_same(&f32_values(grad), &expected, "gradient");
}

#[test]
fn logsignature_words_depth_2_matches_engine() {
    check_against_engine(SigOptions::logsignature(depth(2), LogMode::Words), 1);
}

#[test]
fn logsignature_words_depth_3_matches_engine() {
    check_against_engine(SigOptions::logsignature(depth(3), LogMode::Words), 2);
}

#[test]
fn signature_depth_2_and_3_match_engine() {
    check_against_engine(SigOptions::signature(depth(2)), 3);
    check_against_engine(SigOptions::signature(depth(3)), 4);
}

#[test]
fn augmented_logsignature_matches_engine() {
    let opts = SigOptions {
        time: true,
        basepoint: true,
        ..SigOptions::logsignature(depth(3), LogMode::Words)
    };
    check_against_engine(opts, 5);
}

#[test]
fn forward_without_autodiff_and_in_f64() {
    let shape = PathShape { batch: 2, length: 5, channels: 2 };
    let mut rng = Rng(6);
    let path: Vec<f64> = (0..shape.len()).map(|_| rng.uniform()).collect();
    let opts = SigOptions::logsignature(depth(3), LogMode::Words);
    let layer = SigLayer::new(opts).unwrap();
    let dims = [shape.batch, shape.length, shape.channels];
    let device = device();
    if !device.supports_dtype(DType::F64) {
        // wgpu (WGSL) has no f64; the layer's f64 path is checked on the CPU.
        eprintln!("skipped: {device:?} has no f64");
        return;
    }
    let x = Tensor::<3>::from_data(TensorData::new(path.clone(), dims), (&device, DType::F64));
    let out = layer.forward(x).unwrap();
    assert_eq!(out.dtype(), DType::F64);
    let got = out.into_data().try_into_vec_as::<f64>().unwrap();
    assert_eq!(got, deepsig_signature::signature(&path, shape, &opts).unwrap());
}

#[test]
fn bad_shapes_and_stream_are_errors() {
    let stream = SigOptions { stream: true, ..SigOptions::signature(depth(2)) };
    assert_eq!(SigLayer::new(stream), Err(SigLayerError::Stream));
    let layer = SigLayer::logsignature(depth(2));
    let one_point = Tensor::<3>::zeros([2, 1, 3], &device());
    assert!(matches!(layer.forward(one_point), Err(SigLayerError::Shape(_))));
    let no_channel = Tensor::<3>::zeros([2, 4, 0], &device());
    assert!(matches!(layer.forward(no_channel), Err(SigLayerError::Shape(_))));
}

#[test]
fn non_finite_path_gives_nan_not_a_panic() {
    let layer = SigLayer::logsignature(depth(2));
    let mut path = vec![0.5_f32; 2 * 3 * 2];
    path[3] = f32::NAN;
    let x = Tensor::<3>::from_data(TensorData::new(path, [2, 3, 2]), &device());
    assert!(f32_values(layer.forward(x).unwrap()).iter().all(|v| v.is_nan()));
}

/// Linear (per point) -> log-signature -> squared error, as in the model's path stage.
fn loss(linear: &Linear, layer: &SigLayer, x: &Tensor<3>, target: &Tensor<2>) -> Tensor<1> {
    let sig = layer.forward(linear.forward(x.clone())).unwrap();
    (sig - target.clone()).powf_scalar(2.0).mean()
}

#[test]
fn adam_step_through_the_signature_reduces_the_loss() {
    let _rng = crate::rng_lock();
    let device = device().autodiff();
    device.seed(7);
    let mut rng = Rng(8);
    let (batch, length, channels) = (4, 6, 3);
    let layer = SigLayer::logsignature(depth(2));
    let c = layer.output_channels(channels).unwrap();
    let dims = [batch, length, channels];
    let x = Tensor::<3>::from_data(
        TensorData::new(rng.vec_f32(batch * length * channels), dims),
        &device,
    );
    let target =
        Tensor::<2>::from_data(TensorData::new(rng.vec_f32(batch * c), [batch, c]), &device);

    let mut linear = LinearConfig::new(channels, channels).init(&device);
    let mut optim = AdamConfig::new().init();
    let before = loss(&linear, &layer, &x, &target);
    let before_value = before.clone().into_scalar::<f32>();
    let grads = GradientsParams::from_grads(before.backward(), &linear);
    // The gradient reached the weight through the custom op.
    let weight_grad = grads.get::<2>(linear.weight.id).expect("weight gradient");
    assert!(weight_grad.abs().sum().into_scalar::<f32>() > 0.0);
    linear = optim.step(1e-2, linear, grads);
    let after_value = loss(&linear, &layer, &x, &target).into_scalar::<f32>();
    assert!(after_value < before_value, "loss {before_value} -> {after_value}");
    assert_eq!(linear.num_params(), channels * channels + channels);
}
