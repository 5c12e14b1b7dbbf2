//! The burn API the model is built from, exercised once so that a burn upgrade that changes it
//! fails here: devices by name, the head's layers, Adam, and module/optimizer records on disk.

use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::nn::{Lstm, LstmConfig};
use burn::optim::decay::WeightDecayConfig;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Distribution, Tensor};
use deepsig_model::{Device, DeviceError, device_from_str, train_device};

#[test]
fn devices_by_name() {
    assert!(!device_from_str("cpu").unwrap().is_autodiff());
    assert!(train_device("CPU").unwrap().is_autodiff());
    assert!(matches!(device_from_str("tpu"), Err(DeviceError::Unknown(_))));
    #[cfg(not(feature = "cuda"))]
    {
        let err = device_from_str("cuda").unwrap_err();
        assert!(err.to_string().contains("--features cuda"), "{err}");
    }
    #[cfg(not(feature = "wgpu"))]
    assert!(matches!(device_from_str("wgpu"), Err(DeviceError::NotCompiled { .. })));
}

/// LSTM over the sub-windows, LayerNorm, Linear, tanh, dropout, Linear: the `paper` head.
#[derive(Module, Debug)]
struct Head {
    lstm: Lstm,
    norm: LayerNorm,
    hidden: Linear,
    dropout: Dropout,
    out: Linear,
}

impl Head {
    fn new(d_input: usize, d_hidden: usize, device: &Device) -> Head {
        Head {
            lstm: LstmConfig::new(d_input, d_hidden, true).init(device),
            norm: LayerNormConfig::new(d_hidden).init(device),
            hidden: LinearConfig::new(d_hidden, 5).init(device),
            dropout: DropoutConfig::new(0.2).init(),
            out: LinearConfig::new(5, 1).init(device),
        }
    }

    /// `[batch, windows, features]` to `[batch, 1]` logits, from the last LSTM state.
    fn forward(&self, x: Tensor<3>) -> Tensor<2> {
        let (_, state) = self.lstm.forward(x, None);
        let h = self.norm.forward(state.hidden);
        let h = self.dropout.forward(self.hidden.forward(h).tanh());
        self.out.forward(h)
    }
}

fn mse(head: &Head, x: &Tensor<3>, y: &Tensor<2>) -> Tensor<1> {
    (head.forward(x.clone()) - y.clone()).powf_scalar(2.0).mean()
}

#[test]
fn head_trains_and_records_round_trip() {
    let _rng = crate::rng_lock();
    let device = crate::device().autodiff();
    device.seed(11);
    let x = Tensor::<3>::random([4, 4, 6], Distribution::Normal(0.0, 1.0), &device);
    let y = Tensor::<2>::random([4, 1], Distribution::Normal(0.0, 1.0), &device);
    let mut head = Head::new(6, 8, &device);
    let mut optim: ModuleOptimizer =
        AdamConfig::new().with_weight_decay(Some(WeightDecayConfig::new(5e-4))).init();
    for _ in 0..3 {
        let grads = GradientsParams::from_grads(mse(&head, &x, &y).backward(), &head);
        head = optim.step(1e-3, head, grads);
    }

    // Evaluation: `valid` turns dropout off and stops gradient tracking.
    let eval = head.valid();
    let expected = eval.forward(x.clone()).into_data();
    assert_eq!(eval.forward(x.clone()).into_data(), expected, "valid() is deterministic");

    // No tempfile dev-dependency: it changes shared dependencies' features, and so rebuilds
    // the whole burn stack between `cargo build` and `cargo test`.
    let dir = std::env::temp_dir().join(format!("deepsig-model-records-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (model_path, optim_path) = (dir.join("model.bpk"), dir.join("optim.bpk"));
    head.clone().save_file(&model_path).unwrap();
    optim.save(&optim_path).unwrap();

    let loaded = Head::new(6, 8, &device).load_file(&model_path);
    assert_eq!(loaded.valid().forward(x.clone()).into_data(), expected);
    let restored = AdamConfig::new()
        .with_weight_decay(Some(WeightDecayConfig::new(5e-4)))
        .init()
        .load(&optim_path)
        .unwrap();
    assert_eq!(restored.to_record().len(), optim.to_record().len());
    std::fs::remove_dir_all(&dir).unwrap();
}
