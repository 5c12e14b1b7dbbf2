//! Reading and writing float arrays as `.npy`, and writing output files safely.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};

/// A C-order float array (deepsig-md's reader: one parser for `.npy` in the workspace).
pub(crate) use deepsig_md::FloatArray as Array;

/// Reads a C-order float32 or float64 `.npy` file (or the array `x` of an `.npz`).
pub(crate) fn read(path: &Path) -> Result<Array> {
    Ok(deepsig_md::read_array(path)?)
}

/// Writes `contents` to `path` atomically (a temporary file in the same folder, then a
/// rename), refusing to replace an existing file unless `force`.
pub(crate) fn write_atomic(
    path: &Path,
    force: bool,
    contents: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    if path.exists() && !force {
        bail!("{} already exists; pass --force to overwrite it", path.display());
    }
    let mut failure = None;
    deepsig_model::io::write_atomically(path, |w| {
        contents(w).map_err(|e| {
            let io = std::io::Error::other(format!("{e:#}"));
            failure = Some(e);
            io
        })
    })
    .map_err(|e| match failure.take() {
        Some(original) => original,
        None => anyhow::Error::new(e).context(format!("cannot write {}", path.display())),
    })
}

/// Writes a float array as `.npy` (atomically; see [`write_atomic`]).
pub(crate) fn write<T: deepsig_md::NpyFloat>(
    path: &Path,
    force: bool,
    data: &[T],
    shape: &[usize],
) -> Result<()> {
    write_atomic(path, force, |w| Ok(deepsig_md::write_npy(w, data, shape)?))
        .with_context(|| format!("cannot write {}", path.display()))
}
