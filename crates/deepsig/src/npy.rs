//! Reading and writing float arrays as `.npy`, and writing output files safely.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use npyz::WriterBuilder;

/// A C-order float array from a `.npy` file.
pub(crate) enum Array {
    F32 { data: Vec<f32>, shape: Vec<usize> },
    F64 { data: Vec<f64>, shape: Vec<usize> },
}

impl Array {
    pub(crate) fn shape(&self) -> &[usize] {
        match self {
            Array::F32 { shape, .. } | Array::F64 { shape, .. } => shape,
        }
    }

    pub(crate) fn dtype_name(&self) -> &'static str {
        match self {
            Array::F32 { .. } => "float32",
            Array::F64 { .. } => "float64",
        }
    }
}

/// Reads a C-order float32 or float64 `.npy` file.
pub(crate) fn read(path: &Path) -> Result<Array> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let npy = npyz::NpyFile::new(BufReader::new(file))
        .with_context(|| format!("{} is not a valid .npy file", path.display()))?;
    if npy.order() != npyz::Order::C && npy.shape().len() > 1 {
        bail!(
            "{} is stored in Fortran order; save it in C order (numpy.ascontiguousarray)",
            path.display()
        );
    }
    let shape: Vec<usize> = npy.shape().iter().map(|&s| s as usize).collect();
    let type_str = match npy.dtype() {
        npyz::DType::Plain(t) => t.to_string(),
        other => bail!(
            "{} holds a structured array ({other:?}); expected float32 or float64",
            path.display()
        ),
    };
    let context = || format!("cannot read the data of {} (truncated file?)", path.display());
    match &type_str[1..] {
        "f4" => Ok(Array::F32 { data: npy.into_vec::<f32>().with_context(context)?, shape }),
        "f8" => Ok(Array::F64 { data: npy.into_vec::<f64>().with_context(context)?, shape }),
        _ => bail!(
            "{} has dtype {type_str}; expected float32 (<f4) or float64 (<f8)",
            path.display()
        ),
    }
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
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    {
        let mut writer = BufWriter::new(tmp.as_file_mut());
        contents(&mut writer)?;
        writer.flush().with_context(|| format!("cannot write {}", path.display()))?;
    }
    tmp.persist(path)
        .with_context(|| format!("cannot move the output into place at {}", path.display()))?;
    Ok(())
}

/// Writes a float array as `.npy` (atomically; see [`write_atomic`]).
pub(crate) fn write<T: npyz::AutoSerialize + Copy>(
    path: &Path,
    force: bool,
    data: &[T],
    shape: &[usize],
) -> Result<()> {
    let shape: Vec<u64> = shape.iter().map(|&s| s as u64).collect();
    write_atomic(path, force, |w| {
        let mut writer =
            npyz::WriteOptions::new().default_dtype().shape(&shape).writer(w).begin_nd()?;
        writer.extend(data.iter().copied())?;
        writer.finish()?;
        Ok(())
    })
    .with_context(|| format!("cannot write {}", path.display()))
}
