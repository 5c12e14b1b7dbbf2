//! Round trips and error messages on small fixtures written by the test helpers.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use deepsig_md::{
    DcdReader, Format, Frame, FrameRange, FrameReader, ReadErrorKind, ReadOptions, Trajectory,
    TrrReader, XtcReader, cell_dimensions, open_topology,
};

use super::common::{
    DcdSpec, frames_of, positions, write_dcd, write_molly_xtc, write_molly_xtc_magic,
    write_small_xtc, write_trr,
};

const BOX9: [f32; 9] = [5.0, 0.0, 0.0, 1.0, 6.0, 0.0, 0.5, 0.25, 7.0];

fn spec(big: bool) -> DcdSpec {
    DcdSpec {
        big,
        nset: 3,
        istart: 10,
        nsavc: 5,
        delta: 2.0,
        cell: Some([30.0, 90.0, 31.0, 90.0, 90.0, 32.0]),
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("tempdir is writable");
    p
}

fn frames3(n: usize) -> Vec<Vec<[f32; 3]>> {
    (0..3).map(|f| positions(f, n)).collect()
}

#[test]
fn dcd_round_trip_both_byte_orders() {
    for big in [false, true] {
        let frames = frames3(7);
        let bytes = write_dcd(&spec(big), &frames);
        let mut r = DcdReader::new(Cursor::new(&bytes), "gen.dcd").expect("header");
        assert_eq!((r.n_atoms(), r.n_frames()), (7, Some(3)));
        assert!(r.remarks().starts_with("* generated 1"));
        assert!(r.take_warnings().is_empty());
        let got = frames_of(&mut r).expect("frames");
        for (f, g) in frames.iter().zip(&got) {
            assert_eq!(&g.positions, f);
        }
        // time = (ISTART + i * NSAVC) * DELTA in AKMA, in ps.
        let t2 = (10.0 + 2.0 * 5.0) * 2.0 / 20.45482949774598;
        assert!((got[2].time_ps.expect("time") - t2).abs() < 1e-12);
        assert_eq!(got[2].step, Some(20));
        let d = cell_dimensions(&got[0].unit_cell.expect("cell"));
        assert!(
            (d[0] - 30.0).abs() < 1e-9 && (d[1] - 31.0).abs() < 1e-9 && (d[2] - 32.0).abs() < 1e-9
        );
        assert!((d[3] - 90.0).abs() < 1e-9, "{d:?}");
        // Random access, backwards too.
        r.seek_frame(1).expect("seek");
        let mut frame = deepsig_md::Frame::default();
        assert!(r.read_next(&mut frame).expect("frame 1"));
        assert_eq!(frame.positions, frames[1]);
    }
}

#[test]
fn dcd_xplor_header_has_a_double_delta() {
    let mut s = spec(true);
    s.cell = None;
    let mut bytes = write_dcd(&s, &frames3(7));
    // X-PLOR: version field (icntrl[19]) zero, DELTA a float64 over icntrl[9..11].
    bytes[84..88].copy_from_slice(&0i32.to_be_bytes());
    bytes[44..52].copy_from_slice(&0.125f64.to_be_bytes());
    let got = frames_of(&mut DcdReader::new(Cursor::new(&bytes), "x.dcd").expect("x")).expect("x");
    let t1 = (10.0 + 5.0) * 0.125 / 20.45482949774598;
    assert!((got[1].time_ps.expect("time") - t1).abs() < 1e-12);
    assert_eq!(got[2].positions, positions(2, 7));
}

#[test]
fn dcd_cosine_cell_and_zero_cell() {
    let mut s = spec(false);
    s.cell = Some([20.0, 0.5, 20.0, 0.0, 0.0, 20.0]);
    let got = frames_of(
        &mut DcdReader::new(Cursor::new(write_dcd(&s, &frames3(2))), "c.dcd").expect("ok"),
    )
    .expect("ok");
    let d = cell_dimensions(&got[0].unit_cell.expect("cell"));
    assert!(
        (d[5] - 60.0).abs() < 1e-9 && (d[3] - 90.0).abs() < 1e-9,
        "cos(gamma) = 0.5 is 60 degrees: {d:?}"
    );
    s.cell = Some([0.0; 6]);
    let got = frames_of(
        &mut DcdReader::new(Cursor::new(write_dcd(&s, &frames3(2))), "z.dcd").expect("ok"),
    )
    .expect("ok");
    assert!(got.iter().all(|f| f.unit_cell.is_none()), "an all-zero cell is no box");
}

/// Bytes before the first frame of a DCD written by [`write_dcd`] without a cell: the
/// header (92), title (4 + 80 n + 4) and atom count (12) records.
fn header_len(bytes: &[u8]) -> usize {
    let ntitle = i32::from_le_bytes(bytes[96..100].try_into().unwrap()) as usize;
    92 + 12 + 80 * ntitle + 12
}

#[test]
fn dcd_errors_are_clear() {
    let frames = frames3(4);
    let bytes = write_dcd(&spec(false), &frames);
    // Wrong NSET: a warning, the data still reads.
    let mut s = spec(false);
    s.nset = 9;
    let mut r = DcdReader::new(Cursor::new(write_dcd(&s, &frames)), "nset.dcd").expect("reads");
    assert_eq!(frames_of(&mut r).expect("frames").len(), 3);
    let w = r.take_warnings();
    assert!(w.len() == 1 && w[0].message.contains("NSET = 9"), "{w:?}");
    // Truncated last frame: an error at open naming the frame and the byte where it starts,
    // unless the caller allows it, then a warning and the whole frames before it.
    let cut = &bytes[..bytes.len() - 10];
    let frame_len = (bytes.len() - header_len(&bytes)) / 3;
    let start = header_len(&bytes) + 2 * frame_len;
    let err = DcdReader::new(Cursor::new(cut), "cut.dcd").err().expect("partial frame");
    assert!(matches!(err.kind, ReadErrorKind::Truncated(_)) && err.frame == Some(2), "{err}");
    let expected = format!("cut.dcd (dcd), frame 2, byte {start}: truncated: the last frame");
    assert!(err.to_string().starts_with(&expected), "{err}");
    assert!(err.to_string().contains("--allow-truncated"), "{err}");
    let allow = ReadOptions::allowing_truncated(true);
    let mut r = DcdReader::with_options(Cursor::new(cut), "cut.dcd", allow).expect("allowed");
    assert_eq!(r.n_frames(), Some(2));
    assert_eq!(frames_of(&mut r).expect("whole frames").len(), 2);
    let w = r.take_warnings();
    assert!(w.len() == 1 && w[0].message.contains(&format!("frame 2 at byte {start}")), "{w:?}");
    // Wrong magic.
    let mut bad = bytes.clone();
    bad[0] = 85;
    let err = DcdReader::new(Cursor::new(&bad), "bad.dcd").err().expect("bad marker");
    assert!(matches!(err.kind, ReadErrorKind::BadMagic(_)), "{err}");
    assert!(err.to_string().contains("record marker 84"), "{err}");
    // A NaN coordinate.
    let mut nan = frames.clone();
    nan[1][2][1] = f32::NAN;
    let err = frames_of(
        &mut DcdReader::new(Cursor::new(write_dcd(&spec(false), &nan)), "nan.dcd").expect("ok"),
    )
    .expect_err("nan");
    assert!(
        matches!(err.kind, ReadErrorKind::NonFinite { atom: 2, .. }) && err.frame == Some(1),
        "{err}"
    );
    assert!(err.to_string().contains("non-finite coordinate NaN for atom 2"), "{err}");
    // A corrupt record marker inside a frame.
    let mut m = bytes.clone();
    let at = m.len() - 4;
    m[at] ^= 1;
    let err =
        frames_of(&mut DcdReader::new(Cursor::new(&m), "m.dcd").expect("ok")).expect_err("marker");
    assert!(err.to_string().contains("z record markers"), "{err}");
}

#[test]
fn trr_round_trip_single_and_double() {
    for double in [false, true] {
        let frames = frames3(11);
        let bytes = write_trr(&frames, double, BOX9);
        let mut r = TrrReader::new(Cursor::new(&bytes), "gen.trr").expect("header");
        let got = frames_of(&mut r).expect("frames");
        assert_eq!(got.len(), 3);
        for (f, g) in frames.iter().zip(&got) {
            for (a, b) in f.iter().flatten().zip(g.positions.iter().flatten()) {
                assert!((a - b).abs() <= 1e-5 * a.abs().max(1.0), "{a} vs {b} (double: {double})");
            }
        }
        assert_eq!((got[2].time_ps, got[2].step), (Some(5.0), Some(20)));
        let cell = got[0].unit_cell.expect("box");
        assert_eq!(cell.vectors[1][0], 10.0, "nm box converted to Angstrom");
        assert_eq!(r.n_frames(), Some(3), "known once the end is reached");
        r.seek_frame(1).expect("seek back");
        let mut frame = deepsig_md::Frame::default();
        assert!(r.read_next(&mut frame).expect("frame 1"));
        assert_eq!(frame.time_ps, Some(2.5));
    }
}

#[test]
fn trr_errors_are_clear() {
    let frames = frames3(11);
    let bytes = write_trr(&frames, false, BOX9);
    let cut = &bytes[..bytes.len() - 100];
    let err =
        frames_of(&mut TrrReader::new(Cursor::new(cut), "cut.trr").expect("ok")).expect_err("cut");
    assert!(matches!(err.kind, ReadErrorKind::Truncated(_)) && err.frame == Some(2), "{err}");
    let mut bad = bytes.clone();
    bad[3] = 0;
    let err = TrrReader::new(Cursor::new(&bad), "bad.trr").err().expect("magic");
    assert!(err.to_string().contains("trr frame starts with 1993"), "{err}");
    let mut nan = frames.clone();
    nan[0][10][0] = f32::INFINITY;
    let err = frames_of(
        &mut TrrReader::new(Cursor::new(write_trr(&nan, true, BOX9)), "n.trr").expect("ok"),
    )
    .expect_err("inf");
    assert!(matches!(err.kind, ReadErrorKind::NonFinite { atom: 10, .. }), "{err}");
}

#[test]
fn xtc_round_trips_compressed_and_small() {
    let frames: Vec<Vec<[f32; 3]>> =
        (0..4).map(|f| positions(f, 50).iter().map(|p| p.map(|v| v / 10.0)).collect()).collect();
    let bytes = write_molly_xtc(&frames);
    let mut r = XtcReader::new(Cursor::new(&bytes), "gen.xtc").expect("header");
    let got = frames_of(&mut r).expect("frames");
    assert_eq!(got.len(), 4);
    for (f, g) in frames.iter().zip(&got) {
        for (nm, a) in f.iter().flatten().zip(g.positions.iter().flatten()) {
            assert!((nm * 10.0 - a).abs() <= 0.0051, "{nm} nm vs {a} A");
        }
    }
    assert_eq!((got[3].time_ps, got[3].step), (Some(1.5), Some(30)));
    r.seek_frame(2).expect("seek back");
    let mut frame = deepsig_md::Frame::default();
    assert!(r.read_next(&mut frame).expect("frame 2"));
    assert_eq!(frame.positions, got[2].positions);

    // The 2023 magic stores the block size in 8 bytes; the coordinates decode the same.
    let bytes23 = write_molly_xtc_magic(&frames, molly::Magic::Xtc2023);
    assert_eq!(bytes23.len(), bytes.len() + 4 * frames.len());
    let got23 = frames_of(&mut XtcReader::new(Cursor::new(&bytes23), "g23.xtc").expect("2023"))
        .expect("frames");
    assert!(got23.iter().zip(&got).all(|(a, b)| a.positions == b.positions));
    assert_eq!(deepsig_md::count_frames_in(Cursor::new(&bytes23), Format::Xtc).expect("scan"), 4);

    let small: Vec<Vec<[f32; 3]>> = (0..2).map(|f| positions(f, 5)).collect();
    let got = frames_of(
        &mut XtcReader::new(Cursor::new(write_small_xtc(&small, BOX9)), "s.xtc").expect("ok"),
    )
    .expect("ok");
    assert_eq!(got[1].positions[4], small[1][4].map(|v| v * 10.0));
}

#[test]
fn xtc_errors_are_clear() {
    let frames: Vec<Vec<[f32; 3]>> =
        (0..3).map(|f| positions(f, 40).iter().map(|p| p.map(|v| v / 10.0)).collect()).collect();
    let bytes = write_molly_xtc(&frames);
    let cut = &bytes[..bytes.len() - 7];
    let err =
        frames_of(&mut XtcReader::new(Cursor::new(cut), "cut.xtc").expect("ok")).expect_err("cut");
    assert!(matches!(err.kind, ReadErrorKind::Truncated(_)) && err.frame == Some(2), "{err}");
    let mut bad = bytes.clone();
    bad[3] = 0xc0;
    let err = XtcReader::new(Cursor::new(&bad), "bad.xtc").err().expect("magic");
    assert!(err.to_string().contains("1995 or 2023"), "{err}");
    let mut nan = vec![positions(0, 3)];
    nan[0][1][2] = f32::NAN;
    let err = frames_of(
        &mut XtcReader::new(Cursor::new(write_small_xtc(&nan, BOX9)), "n.xtc").expect("ok"),
    )
    .expect_err("nan");
    assert!(matches!(err.kind, ReadErrorKind::NonFinite { atom: 1, .. }), "{err}");
}

#[test]
fn open_errors_name_file_and_rule() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = open_topology(dir.path().join("missing.psf")).expect_err("missing");
    assert!(
        matches!(err.kind, ReadErrorKind::NotFound) && err.to_string().contains("missing.psf"),
        "{err}"
    );
    let err = open_topology(dir.path().join("x.mol2")).expect_err("extension");
    assert!(err.to_string().contains("unknown file extension \"mol2\""), "{err}");
    let err = Trajectory::open(&[dir.path().join("t.xyz")]).err().expect("extension");
    assert!(matches!(err.kind, ReadErrorKind::UnknownExtension(_)), "{err}");
    let err = open_topology(write(dir.path(), "t.dcd", b"")).expect_err("not a topology");
    assert!(matches!(err.kind, ReadErrorKind::Unsupported(_)), "{err}");
}

#[test]
fn generated_files_concatenate_with_stride() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = write(dir.path(), "a.dcd", &write_dcd(&spec(false), &frames3(6)));
    let frames_b: Vec<_> = (3..7).map(|f| positions(f, 6)).collect();
    let mut sb = spec(true);
    sb.nset = 4;
    let b = write(dir.path(), "b.dcd", &write_dcd(&sb, &frames_b));
    let mut t = Trajectory::open_range(&[&a, &b], FrameRange { start: 1, stop: None, stride: 2 })
        .expect("open");
    assert_eq!(t.n_frames(), Some(3));
    let mut frame = deepsig_md::Frame::default();
    let mut got = Vec::new();
    while let Some(i) = t.read_next(&mut frame).expect("read") {
        assert_eq!(frame.positions, positions(i, 6), "global frame {i}");
        got.push(i);
    }
    assert_eq!(got, [1, 3, 5]);
    let xtc = write(dir.path(), "c.xtc", &write_small_xtc(&[positions(0, 5)], BOX9));
    let err = Trajectory::open(&[&a, &xtc]).err().expect("6 atoms then 5 atoms");
    assert!(
        matches!(err.kind, ReadErrorKind::AtomCountMismatch { expected: 6, found: 5, .. }),
        "{err}"
    );
    let msg = err.to_string();
    assert!(msg.contains("c.xtc (xtc)") && msg.contains("a.dcd has 6"), "{msg}");
}

#[test]
fn truncated_files_fail_or_are_read_up_to_the_cut_when_allowed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let whole = write_dcd(&spec(false), &frames3(6));
    let a = write(dir.path(), "a.dcd", &whole[..whole.len() - 7]);
    let xtc_bytes = write_small_xtc(&[positions(0, 6), positions(1, 6), positions(2, 6)], BOX9);
    let b = write(dir.path(), "b.xtc", &xtc_bytes[..xtc_bytes.len() - 5]);
    let err = Trajectory::open(&[&a, &b]).err().expect("a.dcd is cut short");
    assert!(err.path == a && err.frame == Some(2), "{err}");
    let mut frame = deepsig_md::Frame::default();
    let mut t = Trajectory::open_with(&[&a, &b], FrameRange::default(), ReadOptions::default());
    assert!(t.is_err(), "the default options refuse the cut frame");
    let allow = ReadOptions::allowing_truncated(true);
    t = Trajectory::open_with(&[&a, &b], FrameRange::default(), allow);
    let mut t = t.expect("allowed");
    let mut seen = Vec::new();
    while let Some(i) = t.read_next(&mut frame).expect("whole frames") {
        seen.push(i);
    }
    // Each file holds 3 frames less a few bytes: 2 whole frames each.
    assert_eq!(seen, [0, 1, 2, 3], "2 of a.dcd, then 2 whole of b.xtc's 3");
    let w: Vec<String> = t.warnings().iter().map(|w| w.to_string()).collect();
    assert!(w.iter().any(|w| w.contains("a.dcd (dcd)") && w.contains("frame 2 at byte")), "{w:?}");
    assert!(w.iter().any(|w| w.contains("b.xtc") && w.contains("frame 2")), "{w:?}");
    // Without the option, reading b.xtc alone fails at its third frame.
    let mut t = Trajectory::open(&[&b]).expect("header fine");
    let mut n = 0;
    let err = loop {
        match t.read_next(&mut frame) {
            Ok(Some(_)) => n += 1,
            Ok(None) => panic!("the cut frame must not end the file silently"),
            Err(e) => break e,
        }
    };
    assert_eq!(n, 2);
    assert!(matches!(err.kind, ReadErrorKind::Truncated(_)) && err.frame == Some(2), "{err}");
}

/// Found by fuzzing: an XTC header claiming 10⁹ atoms made the reader allocate 12 GB for
/// positions before looking at the 4-byte compressed block that follows it.
#[test]
fn an_xtc_header_claiming_more_atoms_than_its_block_can_hold_is_refused_before_allocating() {
    let n: i32 = 1_000_000_000;
    let mut bytes = Vec::new();
    let word = |v: i32, out: &mut Vec<u8>| out.extend(v.to_be_bytes());
    word(1995, &mut bytes);
    word(n, &mut bytes);
    word(0, &mut bytes); // step
    bytes.extend(0.0f32.to_be_bytes()); // time
    for k in 0..9 {
        bytes.extend(if k % 4 == 0 { 3.0f32 } else { 0.0 }.to_be_bytes()); // box
    }
    word(n, &mut bytes);
    bytes.extend(1000.0f32.to_be_bytes()); // precision
    for v in [0, 0, 0, 10, 10, 10, 9] {
        word(v, &mut bytes); // minint, maxint, smallidx
    }
    word(4, &mut bytes); // compressed bytes
    bytes.extend([0u8; 4]);
    let mut reader = XtcReader::new(Cursor::new(bytes), "huge.xtc").expect("header");
    let mut frame = Frame::default();
    let err = reader.read_next(&mut frame).expect_err("1e9 atoms in 4 bytes");
    assert!(err.to_string().contains("claims 1000000000 atoms"), "{err}");
    assert!(err.to_string().contains("huge.xtc"), "{err}");
    assert!(frame.positions.capacity() < 1_000_000, "allocated before checking");
    // And a 2023-format block size near 2^64, which used to wrap its padding to 0.
    let mut bytes = Vec::new();
    word(2023, &mut bytes);
    word(0x1111_1111, &mut bytes);
    bytes.extend([0u8; 4 * 11]);
    word(0x1111_1111, &mut bytes);
    bytes.extend(1000.0f32.to_be_bytes());
    for v in [0, 0, 0, 10, 10, 10, 9] {
        word(v, &mut bytes);
    }
    bytes.extend(u64::MAX.to_be_bytes());
    bytes.extend([0u8; 16]);
    let mut reader = XtcReader::new(Cursor::new(bytes), "wrap.xtc").expect("header");
    let err = reader.read_next(&mut frame).expect_err("a block of 2^64 bytes");
    assert!(err.to_string().contains("only 16 remain"), "{err}");
}
