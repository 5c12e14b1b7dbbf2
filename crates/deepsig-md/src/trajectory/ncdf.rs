//! Amber NetCDF trajectories (`.nc`, `.ncdf`; NetCDF-3 classic, 64-bit offset or CDF-5) in
//! the AMBER convention: `coordinates` (frame, atom, spatial) in Å, optional `time` (ps),
//! `cell_lengths` (Å) and `cell_angles` (degrees), each with an optional `scale_factor`
//! (docs/formats.md, "Amber NetCDF"). Frames are read one at a time from a memory map.

use std::io::Read;
use std::path::{Path, PathBuf};

use netcdf_reader::classic::data::compute_record_stride;
use netcdf_reader::classic::header::parse_header;
use netcdf_reader::{
    NcAttrValue, NcFile, NcFormat, NcSliceInfo, NcSliceInfoElem, NcType, NcVariable,
};

use super::{FrameReader, ReadOptions, first_non_finite};
use crate::error::{Format, Location, ReadError, ReadErrorKind, ReadWarning};
use crate::model::Frame;
use crate::topology::cell_from_dimensions;

/// A record variable read frame by frame: its name, whether it is stored as f64, and the
/// factor its stored values are multiplied by.
#[derive(Debug, Clone)]
struct Field {
    name: &'static str,
    double: bool,
    scale: Option<f64>,
}

/// Streams the frames of one Amber NetCDF file.
pub struct NcdfReader {
    file: NcFile,
    path: PathBuf,
    n_atoms: usize,
    n_frames: usize,
    coordinates: Field,
    time: Option<Field>,
    cell: Option<(Field, Field)>,
    next: usize,
    warnings: Vec<ReadWarning>,
}

impl NcdfReader {
    /// Opens `path` and checks the AMBER convention. A file that ends inside a frame is an
    /// error naming the frame and byte offset; with `options.allow_truncated` its whole frames
    /// are read (after copying them into memory) with a warning.
    pub fn open(path: impl AsRef<Path>, options: ReadOptions) -> Result<NcdfReader, ReadError> {
        let path = path.as_ref();
        let io = |e| ReadError::io(path, Some(Format::Ncdf), e);
        let len = std::fs::metadata(path).map_err(io)?.len();
        match NcFile::open(path) {
            Ok(file) => NcdfReader::from_file(file, path, None),
            Err(e) => {
                let mut probe = Vec::new();
                let file = std::fs::File::open(path).map_err(io)?;
                file.take(HEADER_PROBE).read_to_end(&mut probe).map_err(io)?;
                let Some(cut) = CutShort::find(&probe, len) else { return Err(nc_error(path, e)) };
                let whole = cut.read_whole(std::fs::read(path).map_err(io)?, path, options)?;
                NcdfReader::from_file(whole, path, Some(cut.warning(path)))
            }
        }
    }

    /// Reads a NetCDF file already in memory; `path` labels errors.
    pub fn from_bytes(
        bytes: Vec<u8>,
        path: impl AsRef<Path>,
        options: ReadOptions,
    ) -> Result<NcdfReader, ReadError> {
        let path = path.as_ref();
        match NcFile::from_bytes(&bytes) {
            Ok(file) => NcdfReader::from_file(file, path, None),
            Err(e) => {
                let Some(cut) = CutShort::find(&bytes, bytes.len() as u64) else {
                    return Err(nc_error(path, e));
                };
                let whole = cut.read_whole(bytes, path, options)?;
                NcdfReader::from_file(whole, path, Some(cut.warning(path)))
            }
        }
    }

    fn from_file(
        file: NcFile,
        path: &Path,
        warning: Option<ReadWarning>,
    ) -> Result<Self, ReadError> {
        let corrupt =
            |msg: String| ReadError::new(path, Some(Format::Ncdf), ReadErrorKind::Corrupt(msg));
        let Some(classic) = file.as_classic() else {
            let msg = "NetCDF-4 (HDF5) trajectories are not read; the AMBER convention is \
                       NetCDF-3 (convert with `ncks -3` or cpptraj)";
            return Err(ReadError::new(
                path,
                Some(Format::Ncdf),
                ReadErrorKind::Unsupported(msg.into()),
            ));
        };
        let conventions = global_text(&file, "Conventions").unwrap_or_default();
        if !conventions.split([',', ' ']).any(|c| c == "AMBER") {
            let msg = format!(
                "an Amber NetCDF trajectory has Conventions \"AMBER\", found {conventions:?}"
            );
            return Err(ReadError::new(path, Some(Format::Ncdf), ReadErrorKind::BadMagic(msg)));
        }
        let variables = classic.root_group().variables.clone();
        let var = |name: &str| variables.iter().find(|v| v.name == name);
        let coords = var("coordinates")
            .ok_or_else(|| corrupt("no `coordinates` variable (a restart file, .ncrst, holds one frame and no frame dimension)".into()))?;
        let dims: Vec<&str> = coords.dimensions.iter().map(|d| d.name.as_str()).collect();
        if dims != ["frame", "atom", "spatial"] || coords.dimensions[2].size != 3 {
            return Err(corrupt(format!(
                "`coordinates` must be (frame, atom, spatial = 3), found {:?}",
                coords.dimensions.iter().map(|d| (&d.name, d.size)).collect::<Vec<_>>()
            )));
        }
        let n_atoms = usize::try_from(coords.dimensions[1].size)
            .map_err(|_| corrupt("the atom dimension does not fit in memory".into()))?;
        check_units(path, coords, &["angstrom"])?;
        let coordinates = field(path, coords, "coordinates")?;
        let time = match var("time") {
            Some(v) if record_of_scalars(v) => {
                check_units(path, v, &["picosecond"])?;
                Some(field(path, v, "time")?)
            }
            _ => None,
        };
        let cell = match (var("cell_lengths"), var("cell_angles")) {
            (Some(l), Some(a)) if l.is_record_var && a.is_record_var => {
                check_units(path, l, &["angstrom"])?;
                check_units(path, a, &["degree", "degrees"])?;
                Some((field(path, l, "cell_lengths")?, field(path, a, "cell_angles")?))
            }
            _ => None,
        };
        let n_frames = usize::try_from(classic.numrecs())
            .map_err(|_| corrupt("the frame count does not fit in memory".into()))?;
        Ok(NcdfReader {
            n_frames,
            path: path.to_path_buf(),
            n_atoms,
            coordinates,
            time,
            cell,
            next: 0,
            warnings: warning.into_iter().collect(),
            file,
        })
    }

    /// The values of `field` at frame `frame`, scaled, as f64.
    fn read_record(&self, field: &Field, frame: usize, ndim: usize) -> Result<Vec<f64>, ReadError> {
        let mut selections = vec![NcSliceInfoElem::Index(frame as u64)];
        selections.resize(ndim, NcSliceInfoElem::Slice { start: 0, end: u64::MAX, step: 1 });
        let selection = NcSliceInfo { selections };
        let values: Vec<f64> = if field.double {
            let a = self.file.read_variable_slice::<f64>(field.name, &selection);
            a.map(|a| a.into_iter().collect())
        } else {
            let a = self.file.read_variable_slice::<f32>(field.name, &selection);
            a.map(|a| a.into_iter().map(f64::from).collect())
        }
        .map_err(|e| nc_error(&self.path, e).at_frame(frame))?;
        Ok(match field.scale {
            Some(s) => values.into_iter().map(|v| v * s).collect(),
            None => values,
        })
    }
}

impl FrameReader for NcdfReader {
    fn format(&self) -> Format {
        Format::Ncdf
    }

    fn n_atoms(&self) -> usize {
        self.n_atoms
    }

    fn n_frames(&self) -> Option<usize> {
        Some(self.n_frames)
    }

    fn next_index(&self) -> usize {
        self.next
    }

    fn read_next(&mut self, frame: &mut Frame) -> Result<bool, ReadError> {
        if self.next >= self.n_frames {
            return Ok(false);
        }
        let k = self.next;
        let xyz = self.read_record(&self.coordinates, k, 3)?;
        frame.positions.clear();
        // Scaled in f64, then rounded once to f32: MDAnalysis's result for f32 and f64 data.
        frame
            .positions
            .extend(xyz.chunks_exact(3).map(|p| [p[0] as f32, p[1] as f32, p[2] as f32]));
        if let Some((atom, value)) = first_non_finite(&frame.positions) {
            let kind = ReadErrorKind::NonFinite { atom, value };
            return Err(ReadError::new(&self.path, Some(Format::Ncdf), kind).at_frame(k));
        }
        frame.time_ps = match &self.time {
            // MDAnalysis reads time in the variable's own precision.
            Some(t) => self
                .read_record(t, k, 1)?
                .first()
                .map(|&v| if t.double { v } else { f64::from(v as f32) }),
            None => None,
        };
        frame.step = None;
        frame.unit_cell = match &self.cell {
            Some((lengths, angles)) => {
                let (l, a) = (self.read_record(lengths, k, 2)?, self.read_record(angles, k, 2)?);
                match (l.as_slice(), a.as_slice()) {
                    ([x, y, z], [alpha, beta, gamma]) => {
                        cell_from_dimensions([*x, *y, *z, *alpha, *beta, *gamma])
                    }
                    _ => None,
                }
            }
            None => None,
        };
        self.next += 1;
        Ok(true)
    }

    fn skip_next(&mut self) -> Result<bool, ReadError> {
        if self.next >= self.n_frames {
            return Ok(false);
        }
        self.next += 1;
        Ok(true)
    }

    fn seek_frame(&mut self, index: usize) -> Result<bool, ReadError> {
        self.next = index.min(self.n_frames);
        Ok(index < self.n_frames)
    }

    fn take_warnings(&mut self) -> Vec<ReadWarning> {
        std::mem::take(&mut self.warnings)
    }
}

/// Bytes read to parse the header of a file the library refused; Amber headers take a few kB.
const HEADER_PROBE: u64 = 1 << 22;

/// A file whose header announces more frames than its bytes hold.
struct CutShort {
    format: NcFormat,
    announced: u64,
    whole: u64,
    /// Byte offset of the first frame not wholly present.
    offset: u64,
    len: u64,
}

impl CutShort {
    /// Parses the header in `probe` (the file's first bytes) and, when the file of `len`
    /// bytes ends inside a record, says where.
    fn find(probe: &[u8], len: u64) -> Option<CutShort> {
        let format = match probe.get(..4)? {
            [b'C', b'D', b'F', 1] => NcFormat::Classic,
            [b'C', b'D', b'F', 2] => NcFormat::Offset64,
            [b'C', b'D', b'F', 5] => NcFormat::Cdf5,
            _ => return None,
        };
        let header = parse_header(probe, format).ok()?;
        let records = header.variables.iter().filter(|v| v.is_record_var);
        let first = records.clone().map(|v| v.data_offset).min()?;
        let last_end = records.map(|v| v.data_offset.saturating_add(v.record_size)).max()?;
        let stride = compute_record_stride(&header.variables).ok().filter(|&s| s > 0)?;
        let whole = if len < last_end { 0 } else { (len - last_end) / stride + 1 };
        let announced = header.numrecs;
        (whole < announced).then(|| CutShort {
            format,
            announced,
            whole,
            offset: whole.saturating_mul(stride).saturating_add(first),
            len,
        })
    }

    fn describe(&self) -> String {
        format!(
            "the header announces {} frames, the file ends inside frame {} ({} bytes)",
            self.announced, self.whole, self.len
        )
    }

    fn warning(&self, path: &Path) -> ReadWarning {
        ReadWarning {
            path: path.to_path_buf(),
            format: Format::Ncdf,
            message: format!(
                "{} at byte {}; read the {} whole frames",
                self.describe(),
                self.offset,
                self.whole
            ),
        }
    }

    /// The file's whole frames as a file of its own (the record count patched), or the
    /// truncation error when cut-short files are not allowed.
    fn read_whole(
        &self,
        mut bytes: Vec<u8>,
        path: &Path,
        options: ReadOptions,
    ) -> Result<NcFile, ReadError> {
        if !options.allow_truncated {
            let msg = format!(
                "{}; --allow-truncated (or allow_truncated = true in a manifest) reads the {} \
                 whole frames before it",
                self.describe(),
                self.whole
            );
            let mut e = ReadError::new(path, Some(Format::Ncdf), ReadErrorKind::Truncated(msg))
                .at(Location::Offset(self.offset));
            e.frame = Some(usize::try_from(self.whole).unwrap_or(usize::MAX));
            return Err(e);
        }
        bytes.truncate(usize::try_from(self.offset).unwrap_or(usize::MAX));
        let count: Vec<u8> = match self.format {
            NcFormat::Cdf5 => self.whole.to_be_bytes().to_vec(),
            _ => u32::try_from(self.whole).unwrap_or(u32::MAX).to_be_bytes().to_vec(),
        };
        // A header whose record data begins before its own record count is corrupt, not cut
        // short (found by fuzzing: FUZZING.md).
        let Some(slot) = bytes.get_mut(4..4 + count.len()) else {
            let msg = format!(
                "the header places the frames at byte {}, inside the header itself",
                self.offset
            );
            return Err(ReadError::new(path, Some(Format::Ncdf), ReadErrorKind::Corrupt(msg)));
        };
        slot.copy_from_slice(&count);
        NcFile::from_bytes(&bytes).map_err(|e| nc_error(path, e))
    }
}

/// Whether `v` is a record variable of one scalar per frame.
fn record_of_scalars(v: &NcVariable) -> bool {
    v.is_record_var && v.dimensions.len() == 1
}

/// A record variable of float or double values, with its `scale_factor` (ignored when 1, as
/// MDAnalysis does).
fn field(path: &Path, v: &NcVariable, name: &'static str) -> Result<Field, ReadError> {
    let double = match v.dtype {
        NcType::Float => false,
        NcType::Double => true,
        ref other => {
            let msg = format!(
                "`{name}` is stored as {other:?}; the AMBER convention uses float or double"
            );
            return Err(ReadError::new(path, Some(Format::Ncdf), ReadErrorKind::Unsupported(msg)));
        }
    };
    let scale = match v.attribute("scale_factor").map(|a| &a.value) {
        None => None,
        Some(NcAttrValue::Floats(s)) if s.len() == 1 => Some(f64::from(s[0])),
        Some(NcAttrValue::Doubles(s)) if s.len() == 1 => Some(s[0]),
        Some(other) => {
            let msg = format!("`{name}` has a scale_factor that is not one number: {other:?}");
            return Err(ReadError::new(path, Some(Format::Ncdf), ReadErrorKind::Corrupt(msg)));
        }
    };
    let scale = scale.filter(|s| (s - 1.0).abs() > 1e-9);
    Ok(Field { name, double, scale })
}

/// Refuses units other than `allowed` (absent units are taken as the convention's).
fn check_units(path: &Path, v: &NcVariable, allowed: &[&str]) -> Result<(), ReadError> {
    let Some(NcAttrValue::Chars(units)) = v.attribute("units").map(|a| &a.value) else {
        return Ok(());
    };
    let units = units.trim_end_matches('\0').trim();
    if allowed.contains(&units) {
        return Ok(());
    }
    let msg = format!("`{}` is in {units:?}; only {} is read", v.name, allowed[0]);
    Err(ReadError::new(path, Some(Format::Ncdf), ReadErrorKind::Unsupported(msg)))
}

fn global_text(file: &NcFile, name: &str) -> Option<String> {
    match &file.global_attribute(name).ok()?.value {
        NcAttrValue::Chars(s) => Some(s.trim_end_matches('\0').trim().to_string()),
        _ => None,
    }
}

/// A NetCDF library error as our error kinds: bad magic, truncation, I/O, or corrupt.
fn nc_error(path: &Path, e: netcdf_reader::Error) -> ReadError {
    use netcdf_reader::Error as E;
    let kind = match e {
        E::Io(io) => return ReadError::io(path, Some(Format::Ncdf), io),
        E::InvalidMagic => ReadErrorKind::BadMagic("a NetCDF file starts with \"CDF\"".into()),
        E::UnexpectedEof { offset, needed, available } => {
            let msg = format!("needs {needed} bytes at byte {offset}, {available} remain");
            ReadErrorKind::Truncated(msg)
        }
        E::UnsupportedVersion(_) | E::UnsupportedFeature(_) | E::Nc4NotEnabled => {
            ReadErrorKind::Unsupported(e.to_string())
        }
        other => ReadErrorKind::Corrupt(other.to_string()),
    };
    ReadError::new(path, Some(Format::Ncdf), kind)
}
