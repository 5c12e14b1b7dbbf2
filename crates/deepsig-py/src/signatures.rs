//! Signatures of numpy batches: `(B, L, d)` C-contiguous float32/float64 in, the same dtype out.
//!
//! The Python wrapper has already given the path a batch axis and checked its dtype; here the
//! buffer is borrowed without a copy, the GIL is released for the arithmetic, and the result
//! `Vec` becomes the numpy array's own buffer (no copy either).

use deepsig_signature::{self as engine, Depth, LogMode, PathShape, Scalar, SigOptions};
use numpy::{Element, PyArray1, PyArrayMethods, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(signature, m)?)?;
    m.add_function(wrap_pyfunction!(signature_backward, m)?)?;
    m.add_function(wrap_pyfunction!(signature_combine, m)?)?;
    m.add_function(wrap_pyfunction!(signature_channels, m)?)?;
    m.add_function(wrap_pyfunction!(logsignature_channels, m)?)?;
    m.add_function(wrap_pyfunction!(lyndon_words, m)?)?;
    Ok(())
}

fn depth(depth: usize) -> PyResult<Depth> {
    Depth::new(depth).map_err(|e| PyValueError::new_err(format!("depth: {e}")))
}

fn log_mode(mode: Option<&str>) -> PyResult<Option<LogMode>> {
    match mode {
        None => Ok(None),
        Some("words") => Ok(Some(LogMode::Words)),
        Some("brackets") => Ok(Some(LogMode::Brackets)),
        Some("expand") => Ok(Some(LogMode::Expand)),
        Some(other) => Err(PyValueError::new_err(format!(
            "mode: {other:?} is not one of \"words\", \"brackets\", \"expand\""
        ))),
    }
}

/// The engine's refusal as a `ValueError` naming the argument it concerns.
fn engine_error(e: engine::Error) -> PyErr {
    let message = match &e {
        engine::Error::NonFinite { path, point, channel } => format!(
            "path: batch element {path}, point {point}, channel {channel} is NaN or infinite"
        ),
        engine::Error::NonFiniteGradient { index } => {
            format!("grad: element {index} (flat index) is NaN or infinite")
        }
        engine::Error::TooShort { .. } => format!("path: {e}"),
        engine::Error::InvalidDepth { .. } => format!("depth: {e}"),
        _ => e.to_string(),
    };
    PyValueError::new_err(message)
}

/// Options as the Python keyword arguments give them.
#[derive(Clone, Copy)]
struct Flags {
    stream: bool,
    basepoint: bool,
    inverse: bool,
    time: bool,
    lead_lag: bool,
}

impl Flags {
    fn options(self, depth: Depth, log: Option<LogMode>) -> SigOptions {
        SigOptions {
            depth,
            log,
            stream: self.stream,
            basepoint: self.basepoint,
            inverse: self.inverse,
            time: self.time,
            lead_lag: self.lead_lag,
        }
    }
}

fn shape_of(shape: &[usize], what: &str) -> PyResult<PathShape> {
    match *shape {
        [batch, length, channels] => Ok(PathShape { batch, length, channels }),
        _ => Err(PyValueError::new_err(format!(
            "{what}: expected a (batch, length, channels) array, got {} dimensions",
            shape.len()
        ))),
    }
}

/// Runs `f` without the GIL, on a pool of `threads` threads when asked.
fn compute<R: Send>(
    py: Python<'_>,
    threads: Option<usize>,
    f: impl FnOnce() -> R + Send,
) -> PyResult<R> {
    py.detach(|| match threads {
        None => Ok(f()),
        Some(n) => engine::with_threads(n, f)
            .map_err(|e| PyValueError::new_err(format!("threads: cannot start {n} threads: {e}"))),
    })
}

/// Runs `$call` with `$a` bound to `$array` read as float64, else as float32 (the engine is
/// generic over both); any other input is a `TypeError` naming `$name`.
macro_rules! by_dtype {
    ($array:expr, $name:literal, |$a:ident| $call:expr) => {
        if let Ok($a) = $array.extract::<PyReadonlyArrayDyn<'_, f64>>() {
            $call
        } else if let Ok($a) = $array.extract::<PyReadonlyArrayDyn<'_, f32>>() {
            $call
        } else {
            Err(PyTypeError::new_err(concat!($name, ": expected a float32 or float64 numpy array")))
        }
    };
}

fn to_numpy<'py, T: Element>(
    py: Python<'py>,
    data: Vec<T>,
    shape: &[usize],
) -> PyResult<Py<PyAny>> {
    Ok(PyArray1::from_vec(py, data).reshape(shape)?.into_any().unbind())
}

fn typed_signature<'py, T: Scalar + Element>(
    py: Python<'py>,
    path: PyReadonlyArrayDyn<'py, T>,
    opts: SigOptions,
    threads: Option<usize>,
) -> PyResult<Py<PyAny>> {
    let shape = shape_of(path.shape(), "path")?;
    let out_shape = opts.output_shape(shape).map_err(engine_error)?;
    let data = path.as_slice()?;
    let out =
        compute(py, threads, || engine::signature(data, shape, &opts))?.map_err(engine_error)?;
    to_numpy(py, out, &out_shape)
}

/// `_core.signature(path, depth, mode, stream, basepoint, inverse, time, lead_lag, threads)`:
/// `mode` is `None` for the signature, else the log-signature's coordinates.
#[pyfunction]
#[pyo3(signature = (path, depth, mode, stream, basepoint, inverse, time, lead_lag, threads))]
#[allow(clippy::too_many_arguments)]
fn signature(
    py: Python<'_>,
    path: &Bound<'_, PyAny>,
    depth: usize,
    mode: Option<&str>,
    stream: bool,
    basepoint: bool,
    inverse: bool,
    time: bool,
    lead_lag: bool,
    threads: Option<usize>,
) -> PyResult<Py<PyAny>> {
    let flags = Flags { stream, basepoint, inverse, time, lead_lag };
    let opts = flags.options(self::depth(depth)?, log_mode(mode)?);
    by_dtype!(path, "path", |p| typed_signature(py, p, opts, threads))
}

fn typed_backward<'py, T: Scalar + Element>(
    py: Python<'py>,
    path: PyReadonlyArrayDyn<'py, T>,
    grad: &Bound<'py, PyAny>,
    opts: SigOptions,
    threads: Option<usize>,
) -> PyResult<Py<PyAny>> {
    let shape = shape_of(path.shape(), "path")?;
    let out_shape = opts.output_shape(shape).map_err(engine_error)?;
    let grad = grad
        .extract::<PyReadonlyArrayDyn<'_, T>>()
        .map_err(|_| PyTypeError::new_err("grad: expected a numpy array of the path's dtype"))?;
    if grad.shape() != out_shape.as_slice() {
        return Err(PyValueError::new_err(format!(
            "grad: expected the output's shape {out_shape:?}, got {:?}",
            grad.shape()
        )));
    }
    let (data, g) = (path.as_slice()?, grad.as_slice()?);
    let out = compute(py, threads, || engine::signature_backward(data, shape, g, &opts))?
        .map_err(engine_error)?;
    to_numpy(py, out, path.shape())
}

/// `_core.signature_backward(path, grad, depth, mode, ...)`: the gradient with respect to
/// `path` of `sum(grad * signature(path, ...))`.
#[pyfunction]
#[pyo3(signature = (path, grad, depth, mode, stream, basepoint, inverse, time, lead_lag, threads))]
#[allow(clippy::too_many_arguments)]
fn signature_backward(
    py: Python<'_>,
    path: &Bound<'_, PyAny>,
    grad: &Bound<'_, PyAny>,
    depth: usize,
    mode: Option<&str>,
    stream: bool,
    basepoint: bool,
    inverse: bool,
    time: bool,
    lead_lag: bool,
    threads: Option<usize>,
) -> PyResult<Py<PyAny>> {
    let flags = Flags { stream, basepoint, inverse, time, lead_lag };
    let opts = flags.options(self::depth(depth)?, log_mode(mode)?);
    by_dtype!(path, "path", |p| typed_backward(py, p, grad, opts, threads))
}

fn typed_combine<'py, T: Scalar + Element>(
    py: Python<'py>,
    a: PyReadonlyArrayDyn<'py, T>,
    b: &Bound<'py, PyAny>,
    channels: usize,
    depth: Depth,
) -> PyResult<Py<PyAny>> {
    let b = b.extract::<PyReadonlyArrayDyn<'_, T>>().map_err(|_| {
        PyTypeError::new_err("sigtensor2: expected a numpy array of sigtensor1's dtype")
    })?;
    if a.shape() != b.shape() {
        return Err(PyValueError::new_err(format!(
            "sigtensor2: shape {:?} differs from sigtensor1's {:?}",
            b.shape(),
            a.shape()
        )));
    }
    let (x, y) = (a.as_slice()?, b.as_slice()?);
    let out = py.detach(|| engine::combine(x, y, channels, depth)).map_err(engine_error)?;
    to_numpy(py, out, a.shape())
}

/// `_core.signature_combine(a, b, channels, depth)`: Chen's identity row by row.
#[pyfunction]
fn signature_combine(
    py: Python<'_>,
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
    channels: usize,
    depth: usize,
) -> PyResult<Py<PyAny>> {
    let depth = self::depth(depth)?;
    by_dtype!(a, "sigtensor1", |a| typed_combine(py, a, b, channels, depth))
}

#[pyfunction]
fn signature_channels(channels: usize, depth: usize) -> PyResult<usize> {
    engine::signature_channels(channels, self::depth(depth)?).map_err(engine_error)
}

#[pyfunction]
fn logsignature_channels(channels: usize, depth: usize) -> PyResult<usize> {
    engine::logsignature_channels(channels, self::depth(depth)?).map_err(engine_error)
}

#[pyfunction]
fn lyndon_words(channels: usize, depth: usize) -> PyResult<Vec<Vec<usize>>> {
    engine::lyndon_words(channels, self::depth(depth)?).map_err(engine_error)
}
