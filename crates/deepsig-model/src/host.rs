//! Tensors to and from host memory, for the crate's host operations (the signature layer,
//! the first layer, the first pooling level's products, the LSTM's recurrence): on the CPU a
//! copy, on a GPU a transfer.

use std::any::Any;
use std::borrow::Cow;

use burn::backend::Backend;
use burn::backend::tensor::{Device as BackendDevice, FloatTensor};
use burn::tensor::{DType, Element, TensorData, read_sync};
use bytemuck::Pod;

use crate::backend::CpuBackend;

/// Whether a host op computes a tensor of `dtype` in f64: f64 stays f64, everything else
/// computes in f32.
pub(crate) fn is_f64(dtype: DType) -> bool {
    matches!(dtype, DType::F64)
}

/// Copies a tensor to the host as `T`. Failing here means the device itself failed (a lost
/// GPU), which no caller of a tensor op can recover from, so it panics as burn's own reads do.
pub(crate) fn read<B: Backend, T: Element>(tensor: FloatTensor<B>) -> Vec<T> {
    let data = read_sync(B::float_into_data(tensor))
        .unwrap_or_else(|err| panic!("cannot read a tensor to the host: {err:?}"));
    data.try_into_vec_as::<T>()
        .unwrap_or_else(|err| panic!("cannot convert a tensor read to the host: {err:?}"))
}

/// A tensor's values on the host as `T`: borrowed, without a copy, from a CPU tensor that
/// holds them contiguously as `T`, otherwise [`read`]. An op's input is usually shared with
/// the autodiff graph, and reading a shared tensor copied it (2 % of a training epoch at
/// GPCR size, the first pooling level's assignments twice per step).
pub(crate) fn values<B: Backend, T: Element + Pod>(tensor: &FloatTensor<B>) -> Cow<'_, [T]> {
    let any: &dyn Any = tensor;
    if let Some(values) =
        any.downcast_ref::<FloatTensor<CpuBackend>>().and_then(|cpu| cpu.as_slice::<T>())
    {
        return Cow::Borrowed(values);
    }
    Cow::Owned(read::<B, T>(tensor.clone()))
}

/// Puts `values` on `device` with the shape `dims`, in `dtype` (the op's input's).
pub(crate) fn write<B: Backend, T: Element>(
    values: Vec<T>,
    dims: Vec<usize>,
    dtype: DType,
    device: &BackendDevice<B>,
) -> FloatTensor<B> {
    let data = TensorData::new(values, dims);
    let data = if data.dtype() == dtype { data } else { data.convert_dtype(dtype) };
    B::float_from_data(data, device)
}
