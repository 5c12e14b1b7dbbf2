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

/// The sizes of one case.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    windows: usize,
    frames: usize,
    atoms: usize,
    channels: usize,
    hidden: usize,
}

/// Atoms not a multiple of the kernels' 8 lanes (padding); 75 atoms span two blocks of 64;
/// 5 channels take the generic, unspecialised body and the weight-gradient sums of the
/// fifth channel go through memory.
const CASES: [Sizes; 2] = [
    Sizes { windows: 3, frames: 5, atoms: 11, channels: 3, hidden: 6 },
    Sizes { windows: 2, frames: 4, atoms: 75, channels: 5, hidden: 7 },
];

struct Inputs {
    sizes: Sizes,
    p: Vec<f64>,
    weight: Vec<f64>,
    offset: Vec<f64>,
    /// The output gradient: the loss is Σ out ⊙ mix.
    mix: Vec<f64>,
}

impl Inputs {
    fn random(sizes: Sizes, seed: u64) -> Inputs {
        let Sizes { windows, frames, atoms, channels, hidden } = sizes;
        let mut rng = Rng(seed);
        let mut draw = |n: usize| (0..n).map(|_| rng.uniform()).collect::<Vec<f64>>();
        Inputs {
            sizes,
            p: draw(windows * frames * atoms * channels),
            weight: draw(channels * hidden),
            offset: draw(atoms * hidden),
            mix: draw(windows * atoms * hidden),
        }
    }

    /// Every pre-activation $P_{w,t,n} W + Y_n$, in f64.
    fn pre_activations(&self) -> impl Iterator<Item = f64> + '_ {
        let Sizes { atoms, channels, hidden, .. } = self.sizes;
        self.p.chunks_exact(channels).enumerate().flat_map(move |(row, x)| {
            let n = row % atoms;
            (0..hidden).map(move |h| {
                let terms = (0..channels).map(|c| x[c] * self.weight[c * hidden + h]);
                self.offset[n * hidden + h] + terms.sum::<f64>()
            })
        })
    }
}

/// The output and the gradients of (weight, offset), by the fused op or by the tensor ops
/// `mean_t relu(P_t W + Y)`.
fn run(inputs: &Inputs, fused: bool) -> [Vec<f32>; 3] {
    let Sizes { windows, frames, atoms, channels, hidden } = inputs.sizes;
    let device = device().autodiff();
    let tensor = |values: &[f64], dims: Vec<usize>| {
        TensorData::new(values.iter().map(|&v| v as f32).collect::<Vec<f32>>(), dims)
    };
    let p =
        Tensor::<4>::from_data(tensor(&inputs.p, vec![windows, frames, atoms, channels]), &device);
    let weight = Tensor::<2>::from_data(tensor(&inputs.weight, vec![channels, hidden]), &device)
        .require_grad();
    let offset =
        Tensor::<2>::from_data(tensor(&inputs.offset, vec![atoms, hidden]), &device).require_grad();
    let mix = Tensor::<3>::from_data(tensor(&inputs.mix, vec![windows, atoms, hidden]), &device);
    let out: Tensor<3> = if fused {
        frame_mean_relu(p, weight.clone(), offset.clone())
    } else {
        let rows = p.reshape([windows * frames * atoms, channels]).matmul(weight.clone());
        let pre = rows.reshape([windows * frames, atoms, hidden]) + offset.clone().unsqueeze::<3>();
        relu(pre).reshape([windows, frames, atoms, hidden]).mean_dim(1).squeeze_dim(1)
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
    for (case, sizes) in CASES.into_iter().enumerate() {
        let inputs = Inputs::random(sizes, 3 + case as u64);
        // Both sides of the ReLU occur, or the mask would go untested.
        let cut = inputs.pre_activations().filter(|&v| v <= 0.0).count();
        let all = inputs.p.len() / sizes.channels * sizes.hidden;
        assert!(cut > 0 && cut < all, "{cut} of {all} cut");
        let fused = run(&inputs, true);
        let composed = run(&inputs, false);
        for (k, what) in ["value", "weight gradient", "offset gradient"].iter().enumerate() {
            assert_close(&fused[k], &composed[k], &format!("{what} ({sizes:?})"));
        }
    }
}

#[test]
fn the_fused_first_layer_gives_the_same_numbers_on_one_thread_and_on_two() {
    let inputs = Inputs::random(CASES[1], 8);
    let one = deepsig_signature::with_threads(1, || run(&inputs, true)).unwrap();
    let two = deepsig_signature::with_threads(2, || run(&inputs, true)).unwrap();
    for (a, b) in one.iter().zip(&two) {
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(a), bits(b));
    }
}

#[test]
fn a_nan_goes_through_as_through_the_tensor_operations_and_stays_in_its_window() {
    let sizes = CASES[0];
    let mut inputs = Inputs::random(sizes, 9);
    // The second window's first atom, first frame, first channel.
    inputs.p[sizes.frames * sizes.atoms * sizes.channels] = f64::NAN;
    let [out, d_weight, d_offset] = run(&inputs, true);
    let per_window = sizes.atoms * sizes.hidden;
    assert!(out[..per_window].iter().all(|v| v.is_finite()), "first window stays finite");
    let atom = &out[per_window..per_window + sizes.hidden];
    assert!(atom.iter().all(|v| v.is_nan()), "its atom is NaN");
    assert!(d_weight.iter().any(|v| v.is_nan()), "the weight's gradient shows the NaN");
    // Where the NaNs land is burn's ReLU's answer too.
    let [c_out, c_weight, c_offset] = run(&inputs, false);
    let nan = |v: &[f32]| v.iter().map(|x| x.is_nan()).collect::<Vec<_>>();
    assert_eq!(nan(&out), nan(&c_out), "values");
    assert_eq!(nan(&d_weight), nan(&c_weight), "weight gradient");
    assert_eq!(nan(&d_offset), nan(&c_offset), "offset gradient");
}
