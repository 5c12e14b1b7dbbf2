//! A one-layer LSTM that projects the whole input sequence in one matrix product.
//!
//! The head's input is wide (11,325 log-signature features at the `paper` size) and short (4
//! sub-windows). burn's `Lstm` multiplies the input weights step by step, reading the 46 MB
//! input matrix once per step and gate; here $X W_{ih}$ for all steps is one product, and only
//! the small recurrent product runs per step. Gates (Hochreiter and Schmidhuber; PyTorch's
//! order): $i, f, g, o$; $c_t = f \odot c_{t-1} + i \odot g$, $h_t = o \odot \tanh(c_t)$,
//! from $h_0 = c_0 = 0$. On the CPU the projection (`projection`, docs/method.md eqs.
//! L1-L3) and the recurrence after it (`lstm_recurrence`, eqs. R1-R2) are host ops; GPUs run
//! both as tensor operations.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::Tensor;
use burn::tensor::activation::sigmoid;

use crate::backend::is_cpu;
use crate::lstm_recurrence::lstm_last_hidden;
use crate::projection::project;

/// The LSTM; see the module docs.
#[derive(Module, Debug)]
pub struct SequenceLstm {
    input: Linear,
    recurrent: Linear,
    hidden: usize,
}

impl SequenceLstm {
    /// An LSTM from `d_input` to `d_hidden` features.
    pub fn new(d_input: usize, d_hidden: usize, device: &burn::tensor::Device) -> SequenceLstm {
        SequenceLstm {
            input: LinearConfig::new(d_input, 4 * d_hidden).init(device),
            recurrent: LinearConfig::new(d_hidden, 4 * d_hidden).with_bias(false).init(device),
            hidden: d_hidden,
        }
    }

    /// `[steps, d_input]` → the last hidden state `[1, d_hidden]`.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.forward_batch(x.unsqueeze::<3>())
    }

    /// `[sequences, steps, d_input]` → the last hidden state of each `[sequences, d_hidden]`.
    pub fn forward_batch(&self, x: Tensor<3>) -> Tensor<2> {
        let [batch, steps, d_input] = x.dims();
        let x = x.reshape([batch * steps, d_input]);
        let projected = if is_cpu(&x.device()) {
            // burn's matmul backward would copy the whole input weight every step (eq. L2).
            let product = project(x, self.input.weight.val());
            match &self.input.bias {
                Some(bias) => product + bias.val().unsqueeze::<2>(),
                None => product,
            }
        } else {
            self.input.forward(x)
        };
        let projected = projected.reshape([batch, steps, 4 * self.hidden]);
        if steps > 0 && is_cpu(&projected.device()) {
            // The steps as one host op (docs/method.md, eqs. R1-R2).
            return lstm_last_hidden(projected, self.recurrent.weight.val());
        }
        self.recurrence_by_tensors(projected)
    }

    /// The recurrence as tensor operations (GPUs): `projected` `[sequences, steps, 4·hidden]`
    /// → the last hidden state.
    fn recurrence_by_tensors(&self, projected: Tensor<3>) -> Tensor<2> {
        let [batch, steps, _] = projected.dims();
        let h_size = self.hidden;
        // The state before the first step is zero, so that step's recurrent product and f ⊙ c
        // add exact zeros (for finite weights; an infinite one made 0 · ∞ = NaN there, and its
        // NaN now shows from the second step on): it skips them, a quarter of the recurrent
        // products at 4 steps.
        let mut state: Option<(Tensor<2>, Tensor<2>)> = None;
        for t in 0..steps {
            let step: Tensor<2> = projected.clone().narrow(1, t, 1).squeeze_dim(1);
            let gates = match &state {
                Some((h, _)) => step + self.recurrent.forward(h.clone()),
                None => step,
            };
            let gate = |k: usize| gates.clone().narrow(1, k * h_size, h_size);
            let (i, g, o) = (sigmoid(gate(0)), gate(2).tanh(), sigmoid(gate(3)));
            let c = match state {
                Some((_, c)) => sigmoid(gate(1)) * c + i * g,
                None => i * g,
            };
            state = Some((o * c.clone().tanh(), c));
        }
        match state {
            Some((h, _)) => h,
            None => Tensor::zeros([batch, h_size], &projected.device()),
        }
    }
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Tensor, TensorData};

    use super::SequenceLstm;

    /// The host recurrence (eqs. R1-R2) against the tensor operations: the last hidden state
    /// and the gradients of the input, both weights and the bias, for one step (no
    /// recurrent term), four and seven.
    #[test]
    fn the_host_recurrence_matches_the_tensor_operations() {
        let device = burn::tensor::Device::default().autodiff();
        for (sequences, steps) in [(3usize, 1usize), (5, 4), (2, 7)] {
            let (d_input, hidden) = (6, 5);
            let lstm = SequenceLstm::new(d_input, hidden, &device);
            let mut rng = deepsig_testutil::Rng(steps as u64);
            let x: Vec<f32> = (0..sequences * steps * d_input)
                .map(|_| 2.0 * rng.uniform() as f32 - 1.0)
                .collect();
            let mix: Vec<f32> = (0..sequences * hidden).map(|_| rng.uniform() as f32).collect();
            let run = |host: bool| {
                let x = Tensor::<3>::from_data(
                    TensorData::new(x.clone(), [sequences, steps, d_input]),
                    &device,
                )
                .require_grad();
                let projected = lstm.input.forward(x.clone().reshape([sequences * steps, d_input]));
                let projected = projected.reshape([sequences, steps, 4 * hidden]);
                let h = if host {
                    super::lstm_last_hidden(projected, lstm.recurrent.weight.val())
                } else {
                    lstm.recurrence_by_tensors(projected)
                };
                let weights = Tensor::<2>::from_data(
                    TensorData::new(mix.clone(), [sequences, hidden]),
                    &device,
                );
                let grads = (h.clone() * weights).sum().backward();
                let values = |t: Tensor<2>| -> Vec<f32> {
                    t.into_data().convert::<f32>().try_to_vec().unwrap()
                };
                let flat = |t: Tensor<3>| -> Vec<f32> {
                    t.into_data().convert::<f32>().try_to_vec().unwrap()
                };
                let bias = lstm.input.bias.as_ref().unwrap().grad(&grads).unwrap();
                [
                    values(h),
                    flat(x.grad(&grads).unwrap()),
                    values(lstm.input.weight.grad(&grads).unwrap()),
                    lstm.recurrent.weight.grad(&grads).map_or_else(Vec::new, values),
                    bias.into_data().convert::<f32>().try_to_vec().unwrap(),
                ]
            };
            let (host, tensors) = (run(true), run(false));
            for (what, (a, b)) in
                ["h", "dx", "dW_ih", "dW_hh", "db"].iter().zip(host.iter().zip(&tensors))
            {
                assert_eq!(a.len(), b.len(), "{steps} steps, {what}");
                let scale = b.iter().fold(1e-3f32, |m, v| m.max(v.abs()));
                let err = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
                assert!(err <= 2e-6 * scale.max(1.0), "{steps} steps, {what}: differ by {err}");
            }
        }
    }
}
