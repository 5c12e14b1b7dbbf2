//! The first layer as one operation (docs/method.md, eqs. G1-G3) against the tensor
//! operations it replaces: values and gradients on every window of a group, with a thread
//! count that does not change the numbers and a NaN that goes through. (In f64 the op is
//! checked with the whole model against finite differences, `gradients`: a device runs every
//! op in f64 only when its default dtype says so, which is global to the process.)

use burn::tensor::activation::relu;
use burn::tensor::{Tensor, TensorData};
use deepsig_model::first_layer::frame_mean_relu;
use deepsig_testutil::Rng;

use crate::{device, f32_values};

/// Sizes with atoms not a multiple of the kernels' 8 lanes, so the padding is exercised.
const WINDOWS: usize = 3;
const FRAMES: usize = 5;
const ATOMS: usize = 11;
const CHANNELS: usize = 3;
const HIDDEN: usize = 6;

struct Inputs {
    p: Vec<f64>,
    weight: Vec<f64>,
    offset: Vec<f64>,
    /// The output gradient: the loss is Σ out ⊙ mix.
    mix: Vec<f64>,
}

impl Inputs {
    fn random(seed: u64) -> Inputs {
        let mut rng = Rng(seed);
        let mut draw = |n: usize| (0..n).map(|_| rng.uniform()).collect::<Vec<f64>>();
        Inputs {
            p: draw(WINDOWS * FRAMES * ATOMS * CHANNELS),
            weight: draw(CHANNELS * HIDDEN),
            offset: draw(ATOMS * HIDDEN),
            mix: draw(WINDOWS * ATOMS * HIDDEN),
        }
    }
}

impl Inputs {
    /// Every pre-activation $P_{w,t,n} W + Y_n$, in f64.
    fn pre_activations(&self) -> impl Iterator<Item = f64> + '_ {
        self.p.chunks_exact(CHANNELS).enumerate().flat_map(move |(row, x)| {
            let n = row % ATOMS;
            (0..HIDDEN).map(move |h| {
                let terms = (0..CHANNELS).map(|c| x[c] * self.weight[c * HIDDEN + h]);
                self.offset[n * HIDDEN + h] + terms.sum::<f64>()
            })
        })
    }
}

/// The output and the gradients of (weight, offset), by the fused op or by the tensor ops
/// `mean_t relu(P_t W + Y)`.
fn run(inputs: &Inputs, fused: bool) -> [Vec<f32>; 3] {
    let device = device().autodiff();
    let tensor = |values: &[f64], dims: Vec<usize>| {
        TensorData::new(values.iter().map(|&v| v as f32).collect::<Vec<f32>>(), dims)
    };
    let p =
        Tensor::<4>::from_data(tensor(&inputs.p, vec![WINDOWS, FRAMES, ATOMS, CHANNELS]), &device);
    let weight = Tensor::<2>::from_data(tensor(&inputs.weight, vec![CHANNELS, HIDDEN]), &device)
        .require_grad();
    let offset =
        Tensor::<2>::from_data(tensor(&inputs.offset, vec![ATOMS, HIDDEN]), &device).require_grad();
    let mix = Tensor::<3>::from_data(tensor(&inputs.mix, vec![WINDOWS, ATOMS, HIDDEN]), &device);
    let out: Tensor<3> = if fused {
        frame_mean_relu(p, weight.clone(), offset.clone())
    } else {
        let rows = p.reshape([WINDOWS * FRAMES * ATOMS, CHANNELS]).matmul(weight.clone());
        let pre = rows.reshape([WINDOWS * FRAMES, ATOMS, HIDDEN]) + offset.clone().unsqueeze::<3>();
        relu(pre).reshape([WINDOWS, FRAMES, ATOMS, HIDDEN]).mean_dim(1).squeeze_dim(1)
    };
    let grads = (out.clone() * mix).sum().backward();
    [
        f32_values(out),
        f32_values(weight.grad(&grads).expect("the weight has a gradient")),
        f32_values(offset.grad(&grads).expect("the offset has a gradient")),
    ]
}

fn assert_close(actual: &[f32], expected: &[f32], what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: length");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!((a - e).abs() <= 1e-5 * (1.0 + e.abs()), "{what}[{i}]: {a} vs {e}");
    }
}

#[test]
fn the_fused_first_layer_matches_the_tensor_operations() {
    for seed in [3, 4] {
        let inputs = Inputs::random(seed);
        // Both sides of the ReLU occur, or the mask would go untested.
        let cut = inputs.pre_activations().filter(|&v| v <= 0.0).count();
        assert!(cut > 0 && cut < WINDOWS * FRAMES * ATOMS * HIDDEN, "{cut} cut");
        let fused = run(&inputs, true);
        let composed = run(&inputs, false);
        for (k, what) in ["value", "weight gradient", "offset gradient"].iter().enumerate() {
            assert_close(&fused[k], &composed[k], &format!("{what} (seed {seed})"));
        }
    }
}

#[test]
fn the_fused_first_layer_gives_the_same_numbers_on_one_thread_and_on_two() {
    let inputs = Inputs::random(8);
    let one = deepsig_signature::with_threads(1, || run(&inputs, true)).unwrap();
    let two = deepsig_signature::with_threads(2, || run(&inputs, true)).unwrap();
    for (a, b) in one.iter().zip(&two) {
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(a), bits(b));
    }
}

#[test]
fn a_nan_in_a_window_gives_nan_in_that_window_only() {
    let mut inputs = Inputs::random(9);
    // The second window's first atom, first frame, first channel.
    inputs.p[FRAMES * ATOMS * CHANNELS] = f64::NAN;
    let [out, d_weight, _] = run(&inputs, true);
    let per_window = ATOMS * HIDDEN;
    assert!(out[..per_window].iter().all(|v| v.is_finite()), "first window stays finite");
    assert!(out[per_window..per_window + HIDDEN].iter().all(|v| v.is_nan()), "its atom is NaN");
    assert!(d_weight.iter().any(|v| v.is_nan()), "the weight's gradient shows the NaN");
}
