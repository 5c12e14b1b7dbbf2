//! A one-layer LSTM that projects the whole input sequence in one matrix product.
//!
//! The head's input is wide (11,325 log-signature features at the `paper` size) and short (4
//! sub-windows). burn's `Lstm` multiplies the input weights step by step, reading the 46 MB
//! input matrix once per step and gate; here $X W_{ih}$ for all steps is one product, and only
//! the small recurrent product runs per step. Gates (Hochreiter and Schmidhuber; PyTorch's
//! order): $i, f, g, o$; $c_t = f \odot c_{t-1} + i \odot g$, $h_t = o \odot \tanh(c_t)$,
//! from $h_0 = c_0 = 0$.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::Tensor;
use burn::tensor::activation::sigmoid;

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
        let h_size = self.hidden;
        let projected = self.input.forward(x.reshape([batch * steps, d_input])).reshape([
            batch,
            steps,
            4 * h_size,
        ]);
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
