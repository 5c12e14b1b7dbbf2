//! NumPy arrays on disk: `.npy` files and `.npz` archives of float32/float64 C-order arrays.
//!
//! Reading goes through [`read_array`]: a `.npy` file is one array; an `.npz` archive (what
//! `numpy.savez` and `numpy.savez_compressed` write: a zip of `.npy` members, stored or
//! deflated) gives its member `x` or, when it has a single member, that one. The format
//! itself is parsed by the `npyz` crate and the archive by `zip` (deflate only).
//!
//! Writing: [`write_npy`] and [`write_npz`] write the same layouts (`.npz` members stored
//! uncompressed, as `numpy.savez` does).

use std::fs::File;
use std::io::{BufReader, Read, Seek, Write};
use std::path::{Path, PathBuf};

use npyz::WriterBuilder;

/// A C-order float array read from a `.npy` file or an `.npz` member.
#[derive(Debug, Clone, PartialEq)]
pub enum FloatArray {
    /// `<f4` data.
    F32 {
        /// Values in C order.
        data: Vec<f32>,
        /// Dimensions, outermost first.
        shape: Vec<usize>,
    },
    /// `<f8` data.
    F64 {
        /// Values in C order.
        data: Vec<f64>,
        /// Dimensions, outermost first.
        shape: Vec<usize>,
    },
}

impl FloatArray {
    /// The dimensions, outermost first.
    pub fn shape(&self) -> &[usize] {
        match self {
            FloatArray::F32 { shape, .. } | FloatArray::F64 { shape, .. } => shape,
        }
    }

    /// `float32` or `float64`.
    pub fn dtype_name(&self) -> &'static str {
        match self {
            FloatArray::F32 { .. } => "float32",
            FloatArray::F64 { .. } => "float64",
        }
    }

    /// The values as `f32` (float64 values are rounded; out-of-range ones become infinite).
    pub fn to_f32(&self) -> Vec<f32> {
        match self {
            FloatArray::F32 { data, .. } => data.clone(),
            FloatArray::F64 { data, .. } => data.iter().map(|&v| v as f32).collect(),
        }
    }
}

/// The element types [`write_npy`] and [`write_npz`] accept: `f32` and `f64`.
pub trait NpyFloat: npyz::AutoSerialize + Copy + sealed::Sealed {}
impl NpyFloat for f32 {}
impl NpyFloat for f64 {}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// Reads a float32 or float64 C-order array from a `.npy` file or an `.npz` archive (see the
/// module docs for which member), deciding by the file's first bytes, not its name.
pub fn read_array(path: &Path) -> Result<FloatArray, ArrayError> {
    let err = |kind| ArrayError { path: path.to_path_buf(), kind };
    let file = File::open(path).map_err(|e| err(ArrayErrorKind::Io(e.to_string())))?;
    let len = file.metadata().map_or(u64::MAX, |m| m.len());
    read_array_from(BufReader::new(file), len, path)
}

/// [`read_array`] of bytes in memory (an upload, a test); `label` names them in errors.
pub fn parse_array(bytes: &[u8], label: &Path) -> Result<FloatArray, ArrayError> {
    read_array_from(std::io::Cursor::new(bytes), bytes.len() as u64, label)
}

/// [`read_array`] of a seekable stream of `len` bytes.
fn read_array_from<R: Read + Seek>(
    mut reader: R,
    len: u64,
    path: &Path,
) -> Result<FloatArray, ArrayError> {
    let err = |kind| ArrayError { path: path.to_path_buf(), kind };
    if is_zip(&mut reader).map_err(|e| err(ArrayErrorKind::Io(e.to_string())))? {
        let mut archive = zip::ZipArchive::new(reader).map_err(|e| err(zip_error(e)))?;
        let index = npz_member(&mut archive).map_err(err)?;
        let member = archive.by_index(index).map_err(|e| err(zip_error(e)))?;
        let name = member.name().to_string();
        // Deflate expands at most about 1032:1, so a member's declared size beyond that of
        // its compressed bytes is a lie that must not size an allocation.
        let available = member.size().min(member.compressed_size().saturating_mul(1032) + 1024);
        parse_npy(member, available)
            .map_err(|kind| err(ArrayErrorKind::Member(name, Box::new(kind))))
    } else {
        parse_npy(reader, len).map_err(err)
    }
}

/// Whether the stream starts with a zip local-file header; rewinds it.
fn is_zip<R: Read + Seek>(reader: &mut R) -> std::io::Result<bool> {
    let mut magic = [0u8; 4];
    let n = reader.read(&mut magic)?;
    reader.rewind()?;
    Ok(n == 4 && magic == *b"PK\x03\x04")
}

/// The member holding the array: `x.npy`, else the only member.
fn npz_member<R: Read + Seek>(archive: &mut zip::ZipArchive<R>) -> Result<usize, ArrayErrorKind> {
    // `file_names` iterates a hash map, so look each member's name up by its index instead.
    let mut names = Vec::with_capacity(archive.len());
    for k in 0..archive.len() {
        let name = archive.by_index_raw(k).map_err(zip_error)?.name().to_string();
        if name == "x.npy" || name == "x" {
            return Ok(k);
        }
        names.push(name);
    }
    match names.len() {
        0 => Err(ArrayErrorKind::EmptyArchive),
        1 => Ok(0),
        _ => Err(ArrayErrorKind::AmbiguousArchive(names)),
    }
}

fn zip_error(e: zip::result::ZipError) -> ArrayErrorKind {
    ArrayErrorKind::Archive(e.to_string())
}

/// Bracket nesting a `.npy` header may have: the dict, a structured dtype's list of tuples
/// and a sub-array shape (`{[((`); float arrays use two.
const MAX_HEADER_DEPTH: i64 = 4;

/// Parses a `.npy` stream of at most `available` bytes. The header's length field and the
/// data size its shape implies are checked against `available` before anything is allocated
/// for them (fuzzing found a 12-byte file whose header length asked for 662 MB).
fn parse_npy<R: Read>(mut reader: R, available: u64) -> Result<FloatArray, ArrayErrorKind> {
    let not_npy = |e: std::io::Error| ArrayErrorKind::NotNpy(short_io_error(&e));
    // Magic (6 bytes), version (2), header length: u16 in version 1, u32 from version 2.
    let mut prefix = [0u8; 12];
    reader.read_exact(&mut prefix[..10]).map_err(not_npy)?;
    let (prefix_len, header_len) = if prefix[6] >= 2 {
        reader.read_exact(&mut prefix[10..12]).map_err(not_npy)?;
        (12, u64::from(u32::from_le_bytes([prefix[8], prefix[9], prefix[10], prefix[11]])))
    } else {
        (10, u64::from(u16::from_le_bytes([prefix[8], prefix[9]])))
    };
    if header_len > available.saturating_sub(prefix_len as u64) {
        return Err(ArrayErrorKind::NotNpy(format!(
            "the header claims {header_len} bytes, but the file holds {available}"
        )));
    }
    // The header is a small Python dict; npyz's parser of Python literals backtracks
    // exponentially in nesting depth (fuzzing found 51 nested `[` taking minutes). A float
    // array's header nests two levels (`{` and the shape's `(`): refuse deep ones first.
    let mut head = prefix[..prefix_len].to_vec();
    let header_start = head.len();
    head.resize(header_start + header_len as usize, 0);
    reader.read_exact(&mut head[header_start..]).map_err(not_npy)?;
    let depth = head[header_start..]
        .iter()
        .scan(0i64, |d, &c| {
            *d += i64::from(matches!(c, b'[' | b'(' | b'{'))
                - i64::from(matches!(c, b']' | b')' | b'}'));
            Some(*d)
        })
        .max()
        .unwrap_or(0);
    if depth > MAX_HEADER_DEPTH {
        return Err(ArrayErrorKind::NotNpy(format!(
            "the header nests {depth} levels of brackets; a .npy header nests at most \
             {MAX_HEADER_DEPTH}"
        )));
    }
    let stream = std::io::Cursor::new(head).chain(reader);
    let npy = npyz::NpyFile::new(stream).map_err(not_npy)?;
    if npy.order() != npyz::Order::C && npy.shape().len() > 1 {
        return Err(ArrayErrorKind::FortranOrder);
    }
    let shape: Vec<usize> = npy.shape().iter().map(|&s| s as usize).collect();
    let type_str = match npy.dtype() {
        npyz::DType::Plain(t) => t.to_string(),
        other => return Err(ArrayErrorKind::NotFloat(format!("{other:?}"))),
    };
    let truncated = |e: std::io::Error| ArrayErrorKind::Truncated(short_io_error(&e));
    let item: u64 = if type_str.ends_with('4') { 4 } else { 8 };
    let needed = shape.iter().try_fold(item, |acc, &n| acc.checked_mul(n as u64));
    if needed.is_none_or(|bytes| bytes > available) {
        return Err(ArrayErrorKind::Truncated(format!(
            "the shape {shape:?} needs {} bytes of data, but the file holds {available}",
            needed.map_or("more than 2^64".to_string(), |b| b.to_string())
        )));
    }
    match type_str.get(1..) {
        Some("f4") => Ok(FloatArray::F32 { data: npy.into_vec().map_err(truncated)?, shape }),
        Some("f8") => Ok(FloatArray::F64 { data: npy.into_vec().map_err(truncated)?, shape }),
        _ => Err(ArrayErrorKind::NotFloat(type_str)),
    }
}

fn short_io_error(e: &std::io::Error) -> String {
    e.to_string()
}

/// Writes `data` (C order, `shape`) as a `.npy` stream.
pub fn write_npy<T: NpyFloat>(
    writer: &mut dyn Write,
    data: &[T],
    shape: &[usize],
) -> std::io::Result<()> {
    let shape: Vec<u64> = shape.iter().map(|&s| s as u64).collect();
    let mut w =
        npyz::WriteOptions::new().default_dtype().shape(&shape).writer(writer).begin_nd()?;
    w.extend(data.iter().copied())?;
    w.finish()
}

/// Writes an `.npz` archive with one stored (uncompressed) member `NAME.npy` per
/// `(NAME, data, shape)`, as `numpy.savez` does.
pub fn write_npz<T: NpyFloat, W: Write + Seek>(
    writer: W,
    arrays: &[(&str, &[T], &[usize])],
) -> std::io::Result<()> {
    let mut zip = zip::ZipWriter::new(writer);
    let options = zip::write::FileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(true);
    for (name, data, shape) in arrays {
        zip.start_file(format!("{name}.npy"), options).map_err(std::io::Error::other)?;
        write_npy(&mut zip, data, shape)?;
    }
    zip.finish().map_err(std::io::Error::other)?;
    Ok(())
}

/// An array file that could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}: {kind}", path.display())]
#[non_exhaustive]
pub struct ArrayError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub kind: ArrayErrorKind,
}

/// The kinds of [`ArrayError`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ArrayErrorKind {
    /// The file could not be opened or read.
    #[error("cannot read: {0}")]
    Io(String),
    /// The header is not a `.npy` header.
    #[error("not a valid .npy array: {0}")]
    NotNpy(String),
    /// A multi-dimensional array in Fortran order.
    #[error("stored in Fortran order; save it in C order (numpy.ascontiguousarray)")]
    FortranOrder,
    /// Not float32 or float64.
    #[error("dtype {0}; expected float32 (<f4) or float64 (<f8)")]
    NotFloat(String),
    /// The data ends before the header's shape is filled.
    #[error("cannot read the data (truncated file?): {0}")]
    Truncated(String),
    /// The zip archive is corrupt or unsupported.
    #[error("not a readable .npz archive: {0}")]
    Archive(String),
    /// An `.npz` archive without members.
    #[error("the .npz archive holds no array")]
    EmptyArchive,
    /// An `.npz` archive of several members, none of them `x`.
    #[error("the .npz archive holds {} arrays ({}) and none is named x", .0.len(), .0.join(", "))]
    AmbiguousArchive(Vec<String>),
    /// A problem inside one `.npz` member.
    #[error("member {0}: {1}")]
    Member(String, Box<ArrayErrorKind>),
}
