//! Seeded random corruptions of real and generated files through each binary reader: every
//! outcome must be data or an error, never a panic (the poor man's fuzzing; see FUZZING.md).

use std::io::Cursor;

use deepsig_md::{DcdReader, Frame, FrameReader, ReadError, TrrReader, XtcReader};

use super::common::{
    DcdSpec, Rng, data_dir, positions, write_dcd, write_molly_xtc, write_small_xtc, write_trr,
};

const MUTATIONS: usize = 2000;

/// Opens and reads every frame (with a seek and a skip too), keeping only whether it failed.
fn exercise<R: FrameReader>(open: impl Fn(&[u8]) -> Result<R, ReadError>, bytes: &[u8]) -> bool {
    let Ok(mut r) = open(bytes) else { return false };
    let mut frame = Frame::default();
    let mut n = 0;
    loop {
        match r.read_next(&mut frame) {
            Ok(true) => n += 1,
            Ok(false) => break,
            Err(e) => {
                assert!(!e.to_string().is_empty());
                return false;
            }
        }
        assert_eq!(frame.positions.len(), r.n_atoms());
        assert!(n < 10_000, "a reader must make progress");
    }
    let _ = r.seek_frame(1).and_then(|_| r.skip_next());
    true
}

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut b = seed.to_vec();
    match rng.below(4) {
        0 => b.truncate(rng.below(b.len() + 1)),
        1 => {
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(b.len());
                if let Some(x) = b.get_mut(i) {
                    *x ^= 1 << rng.below(8);
                }
            }
        }
        2 => {
            // Overwrite an aligned word with an extreme value: sizes, counts and markers.
            let i = rng.below(b.len() / 4) * 4;
            let v: [u32; 6] = [0, 1, 0x7fff_ffff, 0xffff_ffff, 0x8000_0000, rng.next_u64() as u32];
            if let Some(w) = b.get_mut(i..i + 4) {
                w.copy_from_slice(&v[rng.below(6)].to_be_bytes());
            }
        }
        _ => {
            let i = rng.below(b.len() + 1);
            let extra: Vec<u8> = (0..1 + rng.below(16)).map(|_| rng.next_u64() as u8).collect();
            b.splice(i..i, extra);
        }
    }
    b
}

fn run<R: FrameReader>(
    name: &str,
    seeds: &[Vec<u8>],
    open: impl Fn(&[u8]) -> Result<R, ReadError>,
) {
    for seed in seeds {
        assert!(exercise(&open, seed), "{name}: the unmutated seed must read");
    }
    let mut rng = Rng(0x5eed_0000 + name.len() as u64);
    let mut errors = 0;
    for k in 0..MUTATIONS {
        let input = mutate(&mut rng, &seeds[k % seeds.len()]);
        errors += usize::from(!exercise(&open, &input));
    }
    assert!(errors > 0, "{name}: corruptions must be noticed");
}

fn real(path: &str, max: usize) -> Option<Vec<u8>> {
    let dir = data_dir()?;
    let bytes = std::fs::read(dir.join(path)).ok()?;
    Some(bytes[..bytes.len().min(max)].to_vec())
}

#[test]
fn dcd_reader_survives_corruption() {
    let frames: Vec<_> = (0..3).map(|f| positions(f, 4)).collect();
    let spec = |big| DcdSpec {
        big,
        nset: 3,
        istart: 0,
        nsavc: 1,
        delta: 1.0,
        cell: Some([9.0, 90.0, 9.0, 90.0, 90.0, 9.0]),
    };
    let mut seeds = vec![write_dcd(&spec(false), &frames), write_dcd(&spec(true), &frames)];
    seeds.extend(real("coordinates/test.dcd", usize::MAX));
    run("dcd", &seeds, |b| DcdReader::new(Cursor::new(b.to_vec()), "fuzz.dcd"));
}

#[test]
fn trr_reader_survives_corruption() {
    let frames: Vec<_> = (0..3).map(|f| positions(f, 4)).collect();
    let boxv = [3.0, 0.0, 0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 3.0];
    let mut seeds = vec![write_trr(&frames, false, boxv), write_trr(&frames, true, boxv)];
    seeds.extend(real("coordinates/test.trr", usize::MAX));
    run("trr", &seeds, |b| TrrReader::new(Cursor::new(b.to_vec()), "fuzz.trr"));
}

#[test]
fn xtc_reader_survives_corruption() {
    let frames: Vec<Vec<[f32; 3]>> =
        (0..3).map(|f| positions(f, 30).iter().map(|p| p.map(|v| v / 10.0)).collect()).collect();
    let small: Vec<_> = (0..2).map(|f| positions(f, 4)).collect();
    let mut seeds = vec![write_molly_xtc(&frames), write_small_xtc(&small, [1.0; 9])];
    seeds.extend(real("coordinates/test.xtc", usize::MAX));
    // First frame of the real 47,681-atom file: header 56 + prelude 32 + size 4 + 165,096 bytes.
    seeds.extend(real("adk_oplsaa.xtc", 92 + 165_096));
    run("xtc", &seeds, |b| XtcReader::new(Cursor::new(b.to_vec()), "fuzz.xtc"));
}
