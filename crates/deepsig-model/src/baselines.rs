//! The sequence models of the learned-cluster baselines (docs/method.md, "Baselines"):
//! `graph-lstm` reads each cluster's centroid trajectory with a bidirectional LSTM;
//! `graph-transformer` reads the frames' centroid vectors with a transformer encoder. Both see
//! the same clusters, paths and head as Deep Signature, so a table compares only how the paths
//! are read.

use burn::module::Module;
use burn::nn::transformer::{
    TransformerEncoder, TransformerEncoderConfig, TransformerEncoderInput,
};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Tensor, TensorData};

use crate::lstm::SequenceLstm;

/// A bidirectional LSTM run on every cluster's path; returns `[1, K · 2 · width]`.
#[derive(Module, Debug)]
pub struct ClusterLstm {
    forward: SequenceLstm,
    backward: SequenceLstm,
}

impl ClusterLstm {
    /// For paths of `channels` channels, `width` hidden units per direction.
    pub fn new(channels: usize, width: usize, device: &burn::tensor::Device) -> ClusterLstm {
        ClusterLstm {
            forward: SequenceLstm::new(channels, width, device),
            backward: SequenceLstm::new(channels, width, device),
        }
    }

    /// `paths`: `[K, frames, channels]`, one sequence per cluster.
    pub fn forward(&self, paths: Tensor<3>) -> Tensor<2> {
        let reversed = paths.clone().flip([1]);
        let both = Tensor::cat(
            vec![self.forward.forward_batch(paths), self.backward.forward_batch(reversed)],
            1,
        ); // [K, 2W]
        let [k, w] = both.dims();
        both.reshape([1, k * w])
    }
}

/// Linear embedding + sinusoidal positions + a transformer encoder, mean over frames.
#[derive(Module, Debug)]
pub struct TemporalTransformer {
    embed: Linear,
    encoder: TransformerEncoder,
    width: usize,
}

/// Layers and heads of the baseline transformer (small: it must train on a laptop CPU).
const LAYERS: usize = 2;
const HEADS: usize = 4;

impl TemporalTransformer {
    /// For frame vectors of `d_input` features, model width `width` (rounded up to a
    /// multiple of the head count).
    pub fn new(
        d_input: usize,
        width: usize,
        dropout: f64,
        device: &burn::tensor::Device,
    ) -> TemporalTransformer {
        let width = width.div_ceil(HEADS) * HEADS;
        TemporalTransformer {
            embed: LinearConfig::new(d_input, width).init(device),
            encoder: TransformerEncoderConfig::new(width, 2 * width, HEADS, LAYERS)
                .with_dropout(dropout)
                .init(device),
            width,
        }
    }

    /// The model width (the output size).
    pub fn width(&self) -> usize {
        self.width
    }

    /// `frames`: `[T, d_input]` → `[1, width]`.
    pub fn forward(&self, frames: Tensor<2>) -> Tensor<2> {
        let t = frames.dims()[0];
        let device = frames.device();
        let positions = Tensor::<2>::from_data(sinusoids(t, self.width), &device);
        let x = (self.embed.forward(frames) + positions).unsqueeze::<3>(); // [1, T, W]
        let y = self.encoder.forward(TransformerEncoderInput::new(x)); // [1, T, W]
        y.mean_dim(1).squeeze_dim(1)
    }
}

/// Vaswani et al.'s positional encoding, `[t, width]`: sin on even, cos on odd columns.
fn sinusoids(t: usize, width: usize) -> TensorData {
    let mut v = vec![0.0f32; t * width];
    for pos in 0..t {
        for i in 0..width {
            let rate = 10_000f64.powf(-((i - i % 2) as f64) / width as f64);
            let angle = pos as f64 * rate;
            v[pos * width + i] = if i % 2 == 0 { angle.sin() } else { angle.cos() } as f32;
        }
    }
    TensorData::new(v, [t, width])
}
