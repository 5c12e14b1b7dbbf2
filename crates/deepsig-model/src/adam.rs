//! Adam with L2 weight decay, the numbers of burn's `Adam` in one pass over each parameter.
//!
//! burn's `Adam` updates a parameter with about fifteen tensor operations (the decay, two
//! moments, the bias-corrected step), each a fresh buffer the size of the parameter: for the
//! LSTM's 11.6 M input weights that is ~0.7 GB of memory traffic a step, on one thread. On the
//! CPU this optimiser does the same arithmetic, in the same order and precision, in one
//! parallel pass (`tests/adam.rs` checks it against burn's, bit for bit); on other devices,
//! and for any dtype but f32, it calls burn's. Its state is burn's `AdamState`, so checkpoints
//! are the same either way.

use burn::optim::{
    Adam, AdamConfig, AdamState, AdaptiveMomentumState, LearningRate, Optimizer,
    decay::WeightDecayConfig,
};
use burn::tensor::{DType, Device, Tensor, TensorData};
use rayon::prelude::*;

use crate::backend::is_cpu;
use crate::simd::dispatched;

/// Elements per parallel task: large enough that a task's overhead is noise.
const CHUNK: usize = 1 << 15;

/// Adam's constants as f32, as burn's `Adam` holds them.
#[derive(Debug, Clone, Copy)]
struct Constants {
    beta_1: f32,
    beta_2: f32,
    epsilon: f32,
    penalty: f32,
}

/// Adam with L2 weight decay `penalty` (β = 0.9, 0.999, ε = 1e-5: burn's defaults, which the
/// runs have always used); see the module docs.
#[derive(Clone)]
pub struct HostAdam {
    constants: Constants,
    burn: Adam,
}

impl HostAdam {
    /// The optimiser with L2 weight decay `penalty`.
    pub fn new(penalty: f32) -> HostAdam {
        let constants = Constants { beta_1: 0.9, beta_2: 0.999, epsilon: 1e-5, penalty };
        let burn = AdamConfig::new()
            .with_beta_1(constants.beta_1)
            .with_beta_2(constants.beta_2)
            .with_epsilon(constants.epsilon)
            .with_weight_decay(Some(WeightDecayConfig::new(penalty)))
            .build();
        HostAdam { constants, burn }
    }

    /// burn's `Adam` with the same constants.
    pub fn burn(&self) -> &Adam {
        &self.burn
    }
}

impl Optimizer for HostAdam {
    type State<const D: usize> = AdamState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<AdamState<D>>,
    ) -> (Tensor<D>, Option<AdamState<D>>) {
        let f32_state = state.as_ref().is_none_or(|s| {
            s.momentum.max_moment_2.is_none()
                && s.momentum.moment_1.dtype() == DType::F32
                && s.momentum.moment_2.dtype() == DType::F32
        });
        if !(is_cpu(&tensor.device())
            && tensor.dtype() == DType::F32
            && grad.dtype() == DType::F32
            && f32_state)
        {
            return self.burn.step(lr, tensor, grad, state);
        }
        let (dims, device) = (tensor.dims(), tensor.device());
        let mut weights = to_host(tensor);
        let grad = to_host(grad);
        let (time, mut moment_1, mut moment_2) = match state {
            Some(state) => {
                let momentum = state.momentum;
                (momentum.time + 1, to_host(momentum.moment_1), to_host(momentum.moment_2))
            }
            // The first step starts the moments (burn's `None` branch); these are overwritten.
            None => (1, vec![0.0; weights.len()], vec![0.0; weights.len()]),
        };
        update(&mut weights, &grad, (&mut moment_1, &mut moment_2), time, lr, self.constants);
        let tensor = |values: Vec<f32>| {
            Tensor::from_data(TensorData::new(values, dims), (&device, DType::F32))
        };
        let momentum = AdaptiveMomentumState::new(time, tensor(moment_1), tensor(moment_2));
        (tensor(weights), Some(AdamState::new(momentum)))
    }

    fn to_device<const D: usize>(state: AdamState<D>, device: &Device) -> AdamState<D> {
        <Adam as Optimizer>::to_device(state, device)
    }
}

fn to_host<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor
        .into_data()
        .try_into_vec::<f32>()
        .unwrap_or_else(|err| panic!("Adam: cannot read an f32 tensor on the host: {err:?}"))
}

/// One Adam step of every element, with burn's operations in burn's order (`Adam::step`:
/// decay, `AdaptiveMomentum::transform`, the scaled step), all in f32.
fn update(
    weights: &mut [f32],
    grad: &[f32],
    (moment_1, moment_2): (&mut [f32], &mut [f32]),
    time: usize,
    lr: LearningRate,
    c: Constants,
) {
    let n = weights.len();
    assert!(
        grad.len() == n && moment_1.len() == n && moment_2.len() == n,
        "Adam: a parameter of {n} values with a gradient of {} and moments of {} and {}",
        grad.len(),
        moment_1.len(),
        moment_2.len()
    );
    let first = time == 1;
    let time = time as i32;
    let bias_correction2_sqrt = (1.0 - c.beta_2.powi(time)).sqrt();
    let scalars = StepScalars {
        c,
        combined_factor: bias_correction2_sqrt / (1.0 - c.beta_1.powi(time)),
        epsilon: c.epsilon * bias_correction2_sqrt,
        lr: lr as f32,
        first,
    };
    weights
        .par_chunks_mut(CHUNK)
        .zip(grad.par_chunks(CHUNK))
        .zip(moment_1.par_chunks_mut(CHUNK).zip(moment_2.par_chunks_mut(CHUNK)))
        .for_each(|((w, g), (m1, m2))| update_chunk_dispatched(w, g, m1, m2, scalars));
}

/// What one step's update of every element shares.
#[derive(Debug, Clone, Copy)]
struct StepScalars {
    c: Constants,
    combined_factor: f32,
    epsilon: f32,
    lr: f32,
    /// The first step starts the moments (burn's `None` branch) instead of decaying them.
    first: bool,
}

#[inline(always)]
fn update_chunk(w: &mut [f32], g: &[f32], m1: &mut [f32], m2: &mut [f32], s: StepScalars) {
    let n = w.len();
    let (g, m1, m2) = (&g[..n], &mut m1[..n], &mut m2[..n]);
    let (c, factor_1, factor_2) = (s.c, 1.0 - s.c.beta_1, 1.0 - s.c.beta_2);
    for i in 0..n {
        let g = w[i] * c.penalty + g[i];
        if s.first {
            m1[i] = g * factor_1;
            m2[i] = (g * g) * factor_2;
        } else {
            m1[i] = m1[i] * c.beta_1 + g * factor_1;
            m2[i] = m2[i] * c.beta_2 + (g * g) * factor_2;
        }
        let step = (m1[i] * s.combined_factor) / (m2[i].sqrt() + s.epsilon);
        w[i] -= step * s.lr;
    }
}

dispatched! {
    /// [`update_chunk`], AVX2 where the CPU has it.
    fn update_chunk_dispatched, update_chunk_avx2 []
        (w: &mut [f32], g: &[f32], m1: &mut [f32], m2: &mut [f32], s: StepScalars) -> ()
        = update_chunk
}
