//! The extension module `deepsig._core`: thin bindings over deepsig-signature, deepsig-md and
//! deepsig-model.
//!
//! The public API, its argument checks and its docstrings live in the Python package
//! (`python/deepsig`); this crate converts arrays without copying, releases the GIL around
//! every heavy call, and turns the libraries' typed errors into Python exceptions.

use pyo3::prelude::*;

mod errors;
mod md;
mod model;
mod signatures;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    signatures::register(m)?;
    md::register(m)?;
    model::register(m)?;
    Ok(())
}
