//! The one place that names the deep-learning framework's backends and devices.
//!
//! burn 0.22 picks the backend at run time from a [`Device`]: model code is written against
//! `Tensor<D>` with no backend type parameter, and autodiff is a property of the device
//! (`device.autodiff()`), not of a type. The concrete backend *types* below are needed only
//! where code goes under the tensor API (the custom signature op in `sig_layer`).
//!
//! GPU backends are cargo features of this crate (`cuda`, `wgpu`), off by default: each costs
//! many minutes of cold build on a 2-core machine. `wgpu` builds offline (and the tests pass on
//! an H100 through Vulkan with `DEEPSIG_TEST_DEVICE=wgpu`). `cuda` needs network access at build
//! time: burn 0.22.1's CUDA runtime (cubecl-cuda) depends on cubecl-llvm, whose build script
//! (tracel-llvm-bundler) downloads a prebuilt LLVM, so it fails on a machine that reaches only
//! package registries.

pub use burn::tensor::Device;

/// The CPU backend: Flex, burn's pure-Rust backend (SIMD kernels, rayon-parallel matmul).
pub type CpuBackend = burn::backend::Flex;

/// The autodiff decorator over the CPU backend: what a training step on the CPU runs on.
pub type TrainBackend = burn::backend::Autodiff<CpuBackend>;

/// Every GPU runtime burn compiles (CUDA, wgpu) is this one backend type; the device says which.
#[cfg(any(feature = "cuda", feature = "wgpu"))]
pub type GpuBackend = burn::backend::Cube;

/// The device names [`device_from_str`] understands.
pub const DEVICE_NAMES: [&str; 3] = ["cpu", "cuda", "wgpu"];

/// A device name that is unknown, or names a backend this build does not include.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceError {
    /// Not one of [`DEVICE_NAMES`].
    #[error("unknown device {0:?}: expected one of {names}", names = DEVICE_NAMES.join(", "))]
    Unknown(String),
    /// A known backend whose cargo feature was not enabled when this crate was built.
    #[error(
        "device {name:?} is not compiled into this build: rebuild with `--features {feature}` \
         (deepsig-model) to use it"
    )]
    NotCompiled {
        /// The device name asked for.
        name: &'static str,
        /// The `deepsig-model` cargo feature that provides it.
        feature: &'static str,
    },
}

/// The device for `name` (`cpu`, `cuda`, `wgpu`, case-insensitive; `cuda:N` picks GPU `N`),
/// without autodiff. Call [`Device::autodiff`] on it (or use [`train_device`]) to train.
pub fn device_from_str(name: &str) -> Result<Device, DeviceError> {
    let lower = name.trim().to_ascii_lowercase();
    let (kind, index) = match lower.split_once(':') {
        Some((kind, index)) => {
            let index: usize = index.parse().map_err(|_| DeviceError::Unknown(name.to_string()))?;
            (kind, Some(index))
        }
        None => (lower.as_str(), None),
    };
    match (kind, index) {
        ("cpu", None) => Ok(Device::flex()),
        ("cuda", index) => cuda_device(index.unwrap_or(0)),
        ("wgpu", None) => wgpu_device(),
        _ => Err(DeviceError::Unknown(name.to_string())),
    }
}

/// Whether tensors on `device` live in host memory (the Flex backend, with or without
/// autodiff): where host-side kernels such as the first layer's read them without a transfer.
pub fn is_cpu(device: &Device) -> bool {
    matches!(device.clone().inner().as_dispatch(), burn::backend::DispatchDevice::Flex(_))
}

/// [`device_from_str`] with autodiff enabled: the device a training step runs on.
pub fn train_device(name: &str) -> Result<Device, DeviceError> {
    device_from_str(name).map(Device::autodiff)
}

#[cfg(feature = "cuda")]
fn cuda_device(index: usize) -> Result<Device, DeviceError> {
    Ok(Device::cuda(index))
}

#[cfg(not(feature = "cuda"))]
fn cuda_device(_index: usize) -> Result<Device, DeviceError> {
    Err(DeviceError::NotCompiled { name: "cuda", feature: "cuda" })
}

#[cfg(feature = "wgpu")]
fn wgpu_device() -> Result<Device, DeviceError> {
    Ok(Device::wgpu(Default::default()))
}

#[cfg(not(feature = "wgpu"))]
fn wgpu_device() -> Result<Device, DeviceError> {
    Err(DeviceError::NotCompiled { name: "wgpu", feature: "wgpu" })
}
