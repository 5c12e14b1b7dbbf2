//! Integration tests of deepsig-model, one binary.
//!
//! - `adam`: the one-pass Adam against burn's, bit for bit.
//! - `sig_layer`: the signature layer's values and gradients against `deepsig-signature`, and
//!   gradients flowing through it into trained parameters.
//! - `gradients`: the whole model's gradients in f64 against finite differences.
//! - `first_layer`: the first GCN layer and its frame mean as one op, against tensor ops.
//! - `model`: invariances of the whole model's output.
//! - `nodes`: graph systems (node time series) through the data layer.
//! - `properties`: the properties of docs/properties.md: rotation (alignment off and on),
//!   time reparameterisation.
//! - `reference`: the `reference` preset's directed residue cliques, raw coordinates and
//!   learned path.
//! - `split`: the run's split from the configuration (k-fold over seeds, `split_seed`).
//! - `training`: a run on generated files: outputs, determinism, resume.
//! - `cache`: every input that shapes a trajectory's windows is in its cache key.
//! - `framework`: the burn API the model is built from (devices, nn layers, Adam, records).

//!
//! `DEEPSIG_TEST_DEVICE` (`cpu`, the default, or `cuda`, `wgpu` in a build with that feature)
//! picks the device every test runs on, so the same tests check a GPU backend.

mod adam;
mod cache;
mod first_layer;
mod framework;
mod gradients;
mod model;
mod nodes;
mod properties;
mod reference;
mod sig_layer;
mod split;
mod training;

/// burn's random generator is one per device and process. A test that seeds it and draws
/// (initial weights, dropout, random tensors) holds this lock, so that tests running at the
/// same time do not interleave their draws: the training tests compare runs bit for bit.
fn rng_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A tensor's values on the host, as f32, row-major.
fn f32_values<const D: usize>(t: burn::tensor::Tensor<D>) -> Vec<f32> {
    t.into_data().try_into_vec_as::<f32>().unwrap()
}

/// The device the tests run on, without autodiff.
fn device() -> deepsig_model::Device {
    let name = std::env::var("DEEPSIG_TEST_DEVICE").unwrap_or_else(|_| "cpu".to_string());
    deepsig_model::device_from_str(&name).unwrap_or_else(|err| panic!("DEEPSIG_TEST_DEVICE: {err}"))
}
