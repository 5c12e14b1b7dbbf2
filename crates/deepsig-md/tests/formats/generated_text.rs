//! Text fixtures (PDB, GRO, PSF): topology fields, multi-frame reading, line-numbered errors.

use std::path::{Path, PathBuf};

use deepsig_md::{
    Format, ReadErrorKind, cell_dimensions, open_topology, parse_topology, read_all_frames,
};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("tempdir is writable");
    p
}

const PDB: &str = "\
CRYST1   30.000   40.000   50.000  90.00  90.00 120.00 P 1           1
MODEL        1
ATOM      1  N   ALA A   1       1.000   2.000   3.000  1.00  0.00      PROT N
ATOM      2  CA  ALA A   1       2.000   2.000   3.000  1.00  0.00      PROT C
HETATM    3 1HG1 VAL B   2       3.500   2.000   3.000  1.00  0.00
ENDMDL
MODEL        2
ATOM      1  N   ALA A   1       1.100   2.000   3.000  1.00  0.00      PROT N
ATOM      2  CA  ALA A   1       2.100   2.000   3.000  1.00  0.00      PROT C
HETATM    3 1HG1 VAL B   2       3.600   2.000   3.000  1.00  0.00
ENDMDL
CONECT    1    2
CONECT    2    1    3
END
";

#[test]
fn pdb_topology_and_models() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "m.pdb", PDB.as_bytes());
    let top = open_topology(&path).expect("pdb");
    assert_eq!(top.atoms.len(), 3, "first model only");
    assert_eq!(top.bonds, [(0, 1), (1, 2)]);
    let a = &top.atoms;
    assert_eq!(
        (a[0].segid.as_str(), a[0].chain.as_str(), a[0].element.as_str()),
        ("PROT", "A", "N")
    );
    assert_eq!(
        (a[2].segid.as_str(), a[2].name.as_str(), a[2].element.as_str()),
        ("B", "1HG1", "H")
    );
    let d = cell_dimensions(&top.unit_cell.expect("cryst1"));
    assert!((d[1] - 40.0).abs() < 1e-9 && (d[5] - 120.0).abs() < 1e-9, "{d:?}");
    let (frames, _) = read_all_frames(&path).expect("models");
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[1].positions[0], [1.1, 2.0, 3.0]);
    assert!(frames[1].unit_cell.is_some());

    let err =
        parse_topology(&PDB.replace("CONECT    2    1    3", "CONECT    2    1    9"), Format::Pdb)
            .expect_err("serial 9");
    assert!(err.to_string().contains("line 13") && err.to_string().contains("serial 9"), "{err}");
    let err = parse_topology(&PDB.replace("3.500", "3.5x0"), Format::Pdb).expect_err("bad x");
    assert!(
        err.to_string().contains("line 5") && err.to_string().contains("x coordinate"),
        "{err}"
    );
    let bad_model = PDB.replace("HETATM    3 1HG1 VAL B   2       3.600", "REMARK");
    let err = read_all_frames(write(dir.path(), "b.pdb", bad_model.as_bytes()))
        .expect_err("2 vs 3 atoms");
    assert!(
        err.to_string().contains("frame 1") && err.to_string().contains("model has 2 atoms"),
        "{err}"
    );
}

const GRO: &str = "\
two waters t= 10.00000 step= 5000
    3
    1SOL     OW    1   0.126   1.624   1.679
    1SOL    HW1    2   0.190   1.661   1.747
    2NA+     NA    3   1.000  -0.500   0.001
   1.86206   1.86206   1.86206
two waters t= 12.50000 step= 6250
    3
    1SOL     OW    1   0.127   1.624   1.679
    1SOL    HW1    2   0.190   1.661   1.747
    2NA+     NA    3   1.000  -0.500   0.001
   1.86206   1.86206   1.86206   0.00000   0.00000   0.50000   0.00000   0.20000   0.30000
";

#[test]
fn gro_topology_and_frames() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "w.gro", GRO.as_bytes());
    let top = open_topology(&path).expect("gro");
    assert_eq!(top.atoms.len(), 3);
    assert_eq!(
        (top.atoms[2].resname.as_str(), top.atoms[2].element.as_str(), top.atoms[2].resid),
        ("NA+", "Na", 2)
    );
    assert_eq!(
        top.positions.as_ref().expect("positions")[0],
        [0.126f32 * 10.0, 1.624f32 * 10.0, 1.679f32 * 10.0]
    );
    let (frames, _) = read_all_frames(&path).expect("frames");
    assert_eq!((frames[1].time_ps, frames[1].step), (Some(12.5), Some(6250)));
    assert_eq!(frames[1].unit_cell.expect("box").vectors[1][0], f64::from(0.5f32 * 10.0), "v2(x)");
    let cut: String = GRO.lines().take(9).map(|l| format!("{l}\n")).collect();
    let err = read_all_frames(write(dir.path(), "c.gro", cut.as_bytes())).expect_err("cut");
    assert!(
        matches!(err.kind, ReadErrorKind::Truncated(_))
            && err.to_string().contains("frame 1, line 10"),
        "{err}"
    );
}

/// Found by fuzzing: a first frame of 0 atoms used to disable the per-frame atom-count
/// check, so a later frame of 5 atoms came out of a reader that reported 0.
#[test]
fn a_gro_file_whose_first_frame_has_no_atom_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = "empty\n    0\n   1.0   1.0   1.0\nnext\n    1\n    1SOL     OW    1   0.126   1.624   1.679\n   1.0   1.0   1.0\n";
    let err = read_all_frames(write(dir.path(), "z.gro", text.as_bytes())).expect_err("0 atoms");
    assert!(err.to_string().contains("the first frame has 0 atoms"), "{err}");
    assert!(err.to_string().contains("z.gro"), "{err}");
}

const PSF_STD: &str = "PSF CMAP CHEQ

       1 !NTITLE
* tiny

       3 !NATOM
       1 PROT 1    ALA  N      56  -0.300000       14.0070           0   0.00000     -0.301140E-02
       2 PROT 1    ALA  CA     22   0.210000       12.0110           0   0.00000     -0.301140E-02
       3      2    CLA  CLA    22  -1.000000       35.4500           0

       2 !NBOND: bonds
       1       2       3       2

       0 !NTHETA: angles
";

#[test]
fn psf_flavours_parse() {
    let std = parse_topology(PSF_STD, Format::Psf).expect("charmm");
    assert_eq!(std.bonds, [(0, 1), (1, 2)]);
    assert_eq!(
        (std.atoms[2].segid.as_str(), std.atoms[2].resid, std.atoms[2].element.as_str()),
        ("", 2, "Cl")
    );
    assert_eq!((std.atoms[0].mass, std.atoms[1].charge), (Some(14.007), Some(0.21)));
    let ext = "PSF EXT\n\n         1 !NTITLE\n* x\n\n         2 !NATOM\n         1 SEGMENTA 10       LYS      NZ       NH3     -0.300000       14.0070           0\n         2 SEGMENTA 10       LYS      HZ1      HC       0.330000        1.0080           0\n\n         1 !NBOND: bonds\n         1         2\n";
    let ext = parse_topology(ext, Format::Psf).expect("ext");
    assert_eq!(
        (ext.atoms[0].segid.as_str(), ext.atoms[1].name.as_str(), ext.bonds.len()),
        ("SEGMENTA", "HZ1", 1)
    );
    let err = parse_topology(
        &PSF_STD.replace("1       2       3       2", "1       2       3       7"),
        Format::Psf,
    )
    .expect_err("index 7");
    assert!(
        err.to_string().contains("outside 1..=3") && err.to_string().contains("line 12"),
        "{err}"
    );
    let err = parse_topology("REMARK not a psf\n", Format::Psf).expect_err("magic");
    assert!(err.to_string().contains("starts with \"PSF\""), "{err}");
}

/// Found by fuzzing (`topology`): a second, shorter `!NATOM` after `!NBOND` left bonds to
/// atoms the topology no longer held. A section given twice is now an error naming both lines.
#[test]
fn a_psf_section_given_twice_is_refused() {
    let twice = format!("{PSF_STD}\n       1 !NATOM\n{}\n", PSF_STD.lines().nth(6).unwrap());
    let err = parse_topology(&twice, Format::Psf).expect_err("two !NATOM sections");
    let text = err.to_string();
    assert!(text.contains("a second !NATOM section (the first is at line"), "{text}");
    let bonds_twice = format!("{PSF_STD}\n       1 !NBOND: bonds\n       1       2\n");
    let err = parse_topology(&bonds_twice, Format::Psf).expect_err("two !NBOND sections");
    assert!(err.to_string().contains("a second !NBOND section"), "{err}");
    // The fuzzer's input itself: an error, not a topology with dangling bonds.
    let crash = "PSFCHEQ\n\n       1 !NATOM\n       1 A    1    MET  N    NH3  -0.30  14.007 0\n\n       1 !NBOND\n       1       1\n\n       0 !NATOM\n";
    assert!(parse_topology(crash, Format::Psf).is_err());
}
