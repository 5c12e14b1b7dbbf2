//! The one-pass Adam against burn's: the same weights and moments, bit for bit, over steps.
//! (On a GPU test device both are burn's Adam: the one-pass update runs on the CPU only.)

use burn::optim::{AdamState, Optimizer};
use burn::tensor::{Tensor, TensorData};
use deepsig_model::adam::HostAdam;
use deepsig_testutil::Rng;

use crate::{device, f32_values};

fn bits(values: &[f32]) -> Vec<u32> {
    values.iter().map(|v| v.to_bits()).collect()
}

fn moments(state: &AdamState<2>) -> (usize, Vec<f32>, Vec<f32>) {
    let m = &state.momentum;
    (m.time, f32_values(m.moment_1.clone()), f32_values(m.moment_2.clone()))
}

/// Four steps of both optimisers from the same weights and gradients; with `burn_starts`, the
/// first step of "ours" is burn's too, so ours continues from a state burn wrote (a checkpoint
/// of an older run).
fn compare(burn_starts: bool) {
    let device = device();
    let ours = HostAdam::new(5e-4);
    let burns = ours.burn().clone();
    // More elements than one parallel task takes, and an odd count.
    let dims = [201, 203];
    let mut rng = Rng(31);
    let mut draw = |scale: f32| {
        let values: Vec<f32> = rng.vec_f32(dims[0] * dims[1]).iter().map(|v| v * scale).collect();
        Tensor::<2>::from_data(TensorData::new(values, dims), &device)
    };
    let start = draw(1.0);
    let (mut w_ours, mut w_burn) = (start.clone(), start);
    let (mut s_ours, mut s_burn) = (None, None);
    for (step, lr) in [1e-3, 5e-4, 2e-3, 1e-4].into_iter().enumerate() {
        let grad = draw(0.1 * (step + 1) as f32);
        (w_ours, s_ours) = if burn_starts && step == 0 {
            burns.step(lr, w_ours, grad.clone(), s_ours)
        } else {
            ours.step(lr, w_ours, grad.clone(), s_ours)
        };
        (w_burn, s_burn) = burns.step(lr, w_burn, grad, s_burn);
        let what = format!("step {step} (burn starts: {burn_starts})");
        assert_eq!(w_ours.dtype(), w_burn.dtype(), "{what}: dtype");
        assert_eq!(bits(&f32_values(w_ours.clone())), bits(&f32_values(w_burn.clone())), "{what}");
        let (ours_m, burn_m) =
            (moments(s_ours.as_ref().unwrap()), moments(s_burn.as_ref().unwrap()));
        assert_eq!(ours_m.0, burn_m.0, "{what}: time");
        assert_eq!(bits(&ours_m.1), bits(&burn_m.1), "{what}: first moment");
        assert_eq!(bits(&ours_m.2), bits(&burn_m.2), "{what}: second moment");
    }
}

#[test]
fn host_adam_takes_burns_steps_bit_for_bit() {
    compare(false);
}

#[test]
fn host_adam_continues_from_a_state_burns_adam_wrote() {
    compare(true);
}
