//! Amber files: NetCDF trajectories written by an independent NetCDF-3 writer (the `netcdf3`
//! crate) in the AMBER convention, and prmtop text; the real files' agreement with MDAnalysis
//! is checked by the Python package's tests (crates/deepsig-py/tests/test_amber.py).

use std::path::{Path, PathBuf};

use deepsig_md::{
    Format, NcdfReader, ReadErrorKind, ReadOptions, Trajectory, open_frame_reader,
    open_frame_reader_with, parse_topology,
};
use netcdf3::{DataSet, FileWriter, Version};

use super::common::{frames_of, positions};

/// What an Amber NetCDF fixture holds.
struct NcSpec {
    n_atoms: usize,
    n_frames: usize,
    double: bool,
    coordinate_scale: Option<f32>,
    cell: bool,
    time: bool,
    conventions: &'static str,
}

impl Default for NcSpec {
    fn default() -> Self {
        NcSpec {
            n_atoms: 4,
            n_frames: 3,
            double: false,
            coordinate_scale: None,
            cell: true,
            time: true,
            conventions: "AMBER",
        }
    }
}

fn flat(f: usize, n: usize) -> Vec<f32> {
    positions(f, n).into_iter().flatten().collect()
}

/// Writes `spec` to `dir/name` as a 64-bit-offset NetCDF file and returns its path.
fn write_ncdf(dir: &Path, name: &str, spec: &NcSpec) -> PathBuf {
    let (n, t) = (spec.n_atoms, spec.n_frames);
    let mut ds = DataSet::new();
    ds.set_unlimited_dim("frame", t).unwrap();
    ds.add_fixed_dim("atom", n).unwrap();
    ds.add_fixed_dim("spatial", 3).unwrap();
    ds.add_global_attr_string("Conventions", spec.conventions).unwrap();
    ds.add_global_attr_string("ConventionVersion", "1.0").unwrap();
    let xyz = ["frame", "atom", "spatial"];
    if spec.double {
        ds.add_var_f64("coordinates", &xyz).unwrap();
    } else {
        ds.add_var_f32("coordinates", &xyz).unwrap();
    }
    ds.add_var_attr_string("coordinates", "units", "angstrom").unwrap();
    if let Some(s) = spec.coordinate_scale {
        ds.add_var_attr_f32("coordinates", "scale_factor", vec![s]).unwrap();
    }
    if spec.time {
        ds.add_var_f32("time", &["frame"]).unwrap();
        ds.add_var_attr_string("time", "units", "picosecond").unwrap();
    }
    if spec.cell {
        ds.add_fixed_dim("cell_spatial", 3).unwrap();
        ds.add_fixed_dim("cell_angular", 3).unwrap();
        ds.add_var_f64("cell_lengths", &["frame", "cell_spatial"]).unwrap();
        ds.add_var_attr_string("cell_lengths", "units", "angstrom").unwrap();
        ds.add_var_f64("cell_angles", &["frame", "cell_angular"]).unwrap();
        ds.add_var_attr_string("cell_angles", "units", "degree").unwrap();
    }
    let path = dir.join(name);
    let mut w = FileWriter::open(&path).unwrap();
    w.set_def(&ds, Version::Offset64Bit, 0).unwrap();
    let coords: Vec<f32> = (0..t).flat_map(|f| flat(f, n)).collect();
    if spec.double {
        let wide: Vec<f64> = coords.iter().map(|&v| f64::from(v) + 1e-9).collect();
        w.write_var_f64("coordinates", &wide).unwrap();
    } else {
        w.write_var_f32("coordinates", &coords).unwrap();
    }
    if spec.time {
        let times: Vec<f32> = (0..t).map(|f| 2.0 * f as f32 + 0.5).collect();
        w.write_var_f32("time", &times).unwrap();
    }
    if spec.cell {
        let lengths: Vec<f64> = (0..t).flat_map(|f| [30.0 + f as f64, 31.0, 32.0]).collect();
        w.write_var_f64("cell_lengths", &lengths).unwrap();
        w.write_var_f64("cell_angles", &[90.0; 3].repeat(t)).unwrap();
    }
    w.close().unwrap();
    path
}

#[test]
fn ncdf_frames_times_and_cells_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_ncdf(dir.path(), "md.nc", &NcSpec::default());
    let mut reader = open_frame_reader(&path).unwrap();
    assert_eq!(reader.format(), Format::Ncdf);
    assert_eq!((reader.n_atoms(), reader.n_frames()), (4, Some(3)));
    let frames = frames_of(&mut *reader).unwrap();
    assert_eq!(frames.len(), 3);
    for (f, frame) in frames.iter().enumerate() {
        assert_eq!(frame.positions, positions(f, 4), "frame {f} bit for bit");
        assert_eq!(frame.time_ps, Some(2.0 * f as f64 + 0.5));
        let cell = frame.unit_cell.expect("a cell per frame");
        assert!((cell.vectors[0][0] - (30.0 + f as f64)).abs() < 1e-9);
        assert!((cell.vectors[2][2] - 32.0).abs() < 1e-9);
    }
    // Seeking back and forth gives the same frames.
    assert!(reader.seek_frame(1).unwrap());
    let again = frames_of(&mut *reader).unwrap();
    assert_eq!(again, frames[1..]);
    assert!(!reader.seek_frame(7).unwrap());
}

#[test]
fn ncdf_scale_factors_and_double_coordinates_are_applied() {
    let dir = tempfile::tempdir().unwrap();
    let spec =
        NcSpec { coordinate_scale: Some(0.5), cell: false, time: false, ..NcSpec::default() };
    let path = write_ncdf(dir.path(), "scaled.nc", &spec);
    let frames = frames_of(&mut *open_frame_reader(&path).unwrap()).unwrap();
    let want: Vec<[f32; 3]> = positions(2, 4).iter().map(|p| p.map(|v| v * 0.5)).collect();
    assert_eq!(frames[2].positions, want);
    assert_eq!((frames[0].time_ps, frames[0].unit_cell), (None, None));

    let spec = NcSpec { double: true, ..NcSpec::default() };
    let path = write_ncdf(dir.path(), "double.ncdf", &spec);
    let frames = frames_of(&mut *open_frame_reader(&path).unwrap()).unwrap();
    // f64 values are rounded once to f32, so the 1e-9 offset vanishes.
    assert_eq!(frames[1].positions, positions(1, 4));
}

#[test]
fn a_cut_short_ncdf_is_an_error_naming_frame_and_offset_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_ncdf(dir.path(), "cut.nc", &NcSpec::default());
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 10]).unwrap();
    let Err(err) = open_frame_reader(&path) else { panic!("a cut-short file must not open") };
    assert!(matches!(err.kind, ReadErrorKind::Truncated(_)), "{err}");
    assert_eq!(err.frame, Some(2));
    let text = err.to_string();
    assert!(
        text.contains("cut.nc") && text.contains("frame 2") && text.contains("byte "),
        "{text}"
    );

    let allow = ReadOptions::allowing_truncated(true);
    let mut reader = open_frame_reader_with(&path, &allow).unwrap();
    assert_eq!(reader.n_frames(), Some(2));
    assert_eq!(frames_of(&mut *reader).unwrap().len(), 2);
    let warnings = reader.take_warnings();
    assert!(warnings.iter().any(|w| w.message.contains("inside frame 2")), "{warnings:?}");
}

#[test]
fn ncdf_that_is_not_amber_or_claims_a_billion_atoms_is_refused_without_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let spec = NcSpec { conventions: "CF-1.6", ..NcSpec::default() };
    let path = write_ncdf(dir.path(), "climate.nc", &spec);
    let Err(err) = open_frame_reader(&path) else { panic!("not the AMBER convention") };
    assert!(matches!(err.kind, ReadErrorKind::BadMagic(_)), "{err}");
    assert!(err.to_string().contains("climate.nc"), "{err}");

    // The header's atom dimension, patched to 10^9: reading must not reserve 12 GB.
    let path = write_ncdf(dir.path(), "huge.nc", &NcSpec { cell: false, ..NcSpec::default() });
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.windows(4).position(|w| w == b"atom").expect("atom dimension") + 4;
    bytes[at..at + 4].copy_from_slice(&1_000_000_000u32.to_be_bytes());
    std::fs::write(&path, &bytes).unwrap();
    assert!(open_frame_reader(&path).is_err(), "a billion atoms in a tiny file");

    let mut nan = std::fs::read(write_ncdf(dir.path(), "ok.nc", &NcSpec::default())).unwrap();
    let first = 1.25f32.to_be_bytes(); // frame 0, atom 1, x
    let at = nan.windows(4).position(|w| w == first).expect("a coordinate");
    nan[at..at + 4].copy_from_slice(&f32::NAN.to_be_bytes());
    std::fs::write(dir.path().join("nan.nc"), &nan).unwrap();
    let mut reader = open_frame_reader(dir.path().join("nan.nc")).unwrap();
    let err = frames_of(&mut *reader).expect_err("a NaN coordinate");
    assert!(matches!(err.kind, ReadErrorKind::NonFinite { atom: 1, .. }), "{err}");
    assert_eq!(err.frame, Some(0));
}

#[test]
fn ncdf_files_concatenate_and_check_atom_counts() {
    let dir = tempfile::tempdir().unwrap();
    let a = write_ncdf(dir.path(), "a.nc", &NcSpec::default());
    let b = write_ncdf(dir.path(), "b.nc", &NcSpec::default());
    let mut traj = Trajectory::open(&[&a, &b]).unwrap();
    assert_eq!(traj.n_frames(), Some(6));
    let mut frame = deepsig_md::Frame::default();
    let mut seen = 0;
    while traj.read_next(&mut frame).unwrap().is_some() {
        seen += 1;
    }
    assert_eq!(seen, 6);
    let c = write_ncdf(dir.path(), "c.nc", &NcSpec { n_atoms: 5, ..NcSpec::default() });
    let Err(err) = Trajectory::open(&[&a, &c]) else { panic!("5 atoms after 4") };
    assert!(matches!(err.kind, ReadErrorKind::AtomCountMismatch { .. }), "{err}");
}

/// Two residues (ALA: N H CA, GLY: C O) of one chain, one bond with hydrogen, three without.
const PRMTOP: &str = "\
%VERSION  VERSION_STAMP = V0001.000  DATE = 12/03/26  10:00:00
%FLAG TITLE
%FORMAT(20a4)
tiny
%FLAG POINTERS
%FORMAT(10I8)
       5       1       1       3       0       0       0       0       0       0
       0       2
%FLAG ATOM_NAME
%FORMAT(20a4)
N   H   CA  C   O
%FLAG CHARGE
%COMMENT charges times 18.2223
%FORMAT(5E16.8)
 -7.57501011E+00  5.01439180E+00  3.64437000E-01  1.09369244E+01 -1.03102425E+01
%FLAG ATOMIC_NUMBER
%FORMAT(10I8)
       7       1       6       6       8
%FLAG MASS
%FORMAT(5E16.8)
  1.40100000E+01  1.00800000E+00  1.20100000E+01  1.20100000E+01  1.60000000E+01
%FLAG RESIDUE_LABEL
%FORMAT(20a4)
ALA GLY
%FLAG RESIDUE_POINTER
%FORMAT(10I8)
       1       4
%FLAG RESIDUE_CHAINID
%FORMAT(20a4)
A   A
%FLAG BONDS_INC_HYDROGEN
%FORMAT(10I8)
       0       3       1
%FLAG BONDS_WITHOUT_HYDROGEN
%FORMAT(10I8)
       0       6       1       6       9       2       9      12       3
";

#[test]
fn prmtop_atoms_residues_charges_and_bonds() {
    let top = parse_topology(PRMTOP, Format::Prmtop).unwrap();
    let names: Vec<&str> = top.atoms.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["N", "H", "CA", "C", "O"]);
    let residues: Vec<(&str, i32)> =
        top.atoms.iter().map(|a| (a.resname.as_str(), a.resid)).collect();
    assert_eq!(residues, [("ALA", 1), ("ALA", 1), ("ALA", 1), ("GLY", 2), ("GLY", 2)]);
    let elements: Vec<&str> = top.atoms.iter().map(|a| a.element.as_str()).collect();
    assert_eq!(elements, ["N", "H", "C", "C", "O"]);
    assert!(top.atoms.iter().all(|a| a.chain == "A" && a.segid == "A"));
    let q = top.atoms[0].charge.unwrap();
    assert!((q - -0.4157).abs() < 1e-6, "charge in e: {q}");
    assert_eq!(top.atoms[4].mass, Some(16.0));
    assert_eq!(top.bonds, [(0, 1), (0, 2), (2, 3), (3, 4)]);
    assert!(top.positions.is_none());
}

#[test]
fn prmtop_errors_name_the_rule() {
    let cases: [(String, &str); 7] = [
        (PRMTOP.replace("%COMMENT charges", "%BAD LINE"), "is not a %VERSION"),
        ("; GROMACS topology\n[ moleculetype ]\n".into(), "GROMACS"),
        (PRMTOP.replace("%FLAG POINTERS", "%FLAG NOPE"), "no %FLAG POINTERS"),
        (PRMTOP.replace("N   H   CA  C   O", "N   H   CA"), "ATOM_NAME holds 3 values"),
        (PRMTOP.replace("       0       6       1", "       0       7       1"), "offset 7"),
        (
            PRMTOP.replace(
                "       1       4\n%FLAG RESIDUE_CHAINID",
                "       2       4\n%FLAG RESIDUE_CHAINID",
            ),
            "atom 1",
        ),
        // A billion atoms announced by a 2 kB file: an error about counts, not an allocation.
        (
            PRMTOP.replace("       5       1       1       3", "99999999       1       1       3"),
            "holds 5 values",
        ),
    ];
    for (text, want) in cases {
        let Err(err) = parse_topology(&text, Format::Prmtop) else { panic!("{want}: must fail") };
        assert!(err.to_string().contains(want), "{want:?} not in {err}");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sys.prmtop");
    std::fs::write(&path, PRMTOP).unwrap();
    let Err(err) = Trajectory::open(&[&path]) else { panic!("a prmtop has no frames") };
    assert!(matches!(err.kind, ReadErrorKind::Unsupported(_)), "{err}");
}

#[test]
fn an_ncdf_whose_frames_start_inside_its_header_is_refused() {
    // The `ncdf` fuzz target's input (FUZZING.md): a 64-bit-offset header announcing more
    // frames than the file holds, whose record data begins at byte 4, where the record count
    // is. Reading the whole frames patched that count past the end of the cut file.
    let hex: String = [
        "434446020000000a0000000a00000003000000056572666d6100000000000000000000077370617469616c00",
        "000000030000000461746f6d000008060000000c00000006000000057469746c650000000000000200000003",
        "414345000000000b6170706c69636174696f6e000000000200000005414d4245520000000000000770726f67",
        "72616d000000000200000005706d656d640000000000000e70726f6772616d56657273696f6e000000000002",
        "0000000431362e300000000b436f6e76656e74696f6e73000000000200000005414d42453d00000000000011",
        "436f6e76656e74696f6e56657273696f6e0000000000000200000003312e30000000000b0000000500000004",
        "74696d6500000001000000000000000c0000000100000005756e697473000000000000020000000a7069636f",
        "7365636f6e640000000000050000000400000000000002b4000000077370617469616c000000000100000001",
        "0000000000000000000000020000000400000000000002b00000000b636f6f7264696e617465730000000003",
        "0000000000000002000000010000000c0000000100000005756e6974730000000000000200000008616e6773",
        "74726f6d000000050000004800000000000002b80000000a76656c6f63727469657300000000000300000000",
        "00000002000000010000000c0000000200000005756e6974730000000000000200000013616e677374726f6d",
        "2f7069636f7365636f6e64000000000c73756266696c796e67746f7200000006000000014034747ae147ae14",
        "0000000700000048000000000000030000000006666f72636573000000000003000000000000000200000001",
        "0000000c0000000100000005756e69747300000000000002000000196b696c6f63616c6f7269652f6d6f6c65",
        "2f616e677374726f6d0000000000000500000624000000000000000048000000000000034878797a0040a000",
        "00bf92a0ebc00122cabf0e36fcbe8a236421089b633d0f03a9be407da3163f11cd1abea1278cbfeb0710beae",
        "403a3f8123eb6a204765",
    ]
    .concat();
    let bytes: Vec<u8> = (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    for allow in [false, true] {
        let options = ReadOptions::allowing_truncated(allow);
        let Err(err) = NcdfReader::from_bytes(bytes.clone(), "fuzz.nc", options) else {
            panic!("a header that places the frames inside itself must not open");
        };
        assert!(err.to_string().contains("fuzz.nc"), "{err}");
    }
}
