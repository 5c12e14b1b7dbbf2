//! Python exceptions for the libraries' errors.
//!
//! A file that cannot be read raises `deepsig.ReadError` (an `OSError`) carrying `.path`,
//! `.frame`, `.offset` and `.line` where the reader knows them, with the CLI's one-line message;
//! a bad manifest, selection or option raises `ValueError` naming the file, entry and key.

use deepsig_md::{Location, ReadError};
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;

pyo3::create_exception!(
    deepsig,
    ReadError_,
    PyOSError,
    "A file could not be read: `.path`, `.frame`, `.offset` and `.line` say where (None when unknown)."
);

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("ReadError", m.py().get_type::<ReadError_>())?;
    Ok(())
}

/// `err` as a `deepsig.ReadError` whose attributes say where the problem is.
pub(crate) fn read_error(py: Python<'_>, err: &ReadError) -> PyErr {
    let pyerr = ReadError_::new_err(err.to_string());
    let value = pyerr.value(py);
    let frame = err.frame;
    let (offset, line) = match err.location {
        Some(Location::Line(line)) => (None, Some(line)),
        Some(Location::Offset(offset)) => (Some(offset), None),
        None => (None, None),
    };
    let set = || -> PyResult<()> {
        value.setattr("path", err.path.display().to_string())?;
        value.setattr("frame", frame)?;
        value.setattr("offset", offset)?;
        value.setattr("line", line)?;
        Ok(())
    };
    match set() {
        Ok(()) => pyerr,
        Err(e) => e,
    }
}

/// `err` and its causes joined by ": ", each cause once (some repeat their source).
pub(crate) fn chain_message(err: &(dyn std::error::Error + 'static)) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = s.source();
    }
    message
}

/// Any error with a source chain, as a `ValueError` with [`chain_message`].
pub(crate) fn value_error(err: &(dyn std::error::Error + 'static)) -> PyErr {
    PyValueError::new_err(chain_message(err))
}
