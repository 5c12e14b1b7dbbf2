//! Writes a large synthetic system for the big-file measurements of BENCHMARKS.md ("Big
//! trajectories"): `cargo run --release -p deepsig-md --example write_big_xtc -- DIR [ATOMS]
//! [FRAMES]` writes `DIR/big.gro` (residues of 10 atoms, one named CA), `DIR/big.xtc` (every
//! atom jiggling around its place, molly's XTC writer, precision 1000, streamed to disk) and
//! `DIR/manifest.toml` (the system, `name CA` selected, every 10th frame in 5 windows).

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use deepsig_testutil::Rng;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first().map(PathBuf::from) else {
        eprintln!("usage: write_big_xtc DIR [ATOMS (50000)] [FRAMES (5000)]");
        return ExitCode::FAILURE;
    };
    let atoms: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(50_000);
    let frames: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(5_000);
    match write(&dir, atoms, frames) {
        Ok(bytes) => {
            println!(
                "{}: {atoms} atoms x {frames} frames, {:.2} GB",
                dir.display(),
                bytes as f64 / 1e9
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("write_big_xtc: {e}");
            ExitCode::FAILURE
        }
    }
}

fn write(dir: &std::path::Path, atoms: usize, frames: usize) -> std::io::Result<u64> {
    std::fs::create_dir_all(dir)?;
    let mut rng = Rng::new(7);
    // A box of side L nm holding the atoms on a jittered grid (about 0.1 nm^3 per atom).
    let side = (atoms as f64 * 0.1).cbrt() as f32;
    let per_row = (atoms as f64).cbrt().ceil() as usize;
    let spacing = side / per_row as f32;
    let home: Vec<[f32; 3]> = (0..atoms)
        .map(|i| {
            let grid = [i % per_row, (i / per_row) % per_row, i / (per_row * per_row)];
            grid.map(|g| (g as f32 + 0.5) * spacing + (rng.next_f64() as f32 - 0.5) * 0.05)
        })
        .collect();
    let mut gro = String::new();
    let _ = writeln!(gro, "big synthetic system\n{atoms:5}");
    for (i, p) in home.iter().enumerate() {
        let name = if i % 10 == 1 { "CA" } else { "C" };
        let _ = writeln!(
            gro,
            "{:5}{:<5}{:>5}{:5}{:8.3}{:8.3}{:8.3}",
            (i / 10 + 1) % 100_000,
            "ALA",
            name,
            (i + 1) % 100_000,
            p[0],
            p[1],
            p[2]
        );
    }
    let _ = writeln!(gro, "{side:10.5}{side:10.5}{side:10.5}");
    std::fs::write(dir.join("big.gro"), gro)?;
    let out = BufWriter::with_capacity(1 << 22, File::create(dir.join("big.xtc"))?);
    let mut writer = molly::XTCWriter::new(out);
    let mut positions = vec![0f32; 3 * atoms];
    for f in 0..frames {
        for (slot, p) in positions.chunks_exact_mut(3).zip(&home) {
            for k in 0..3 {
                slot[k] = p[k] + (rng.next_f64() as f32 - 0.5) * 0.1;
            }
        }
        let frame = molly::Frame {
            step: f as u32 * 1000,
            time: f as f32 * 10.0,
            boxvec: [side, 0.0, 0.0, 0.0, side, 0.0, 0.0, 0.0, side],
            precision: 1000.0,
            positions: std::mem::take(&mut positions),
        };
        writer.write_frame(&frame)?;
        positions = frame.positions;
    }
    drop(writer);
    // Every 10th frame kept, in 5 windows: the windows of the CA atoms are what preprocessing
    // holds (frames / 10 x atoms / 10 x 12 bytes).
    let manifest = "selection = \"name CA\"\n\n[windowing]\nwindows = 5\nstride = 10\n\n\
         [[system]]\nname = \"big\"\ntopology = \"big.gro\"\ntrajectories = [\"big.xtc\"]\n\
         label = \"a\"\n";
    let mut m = File::create(dir.join("manifest.toml"))?;
    m.write_all(manifest.as_bytes())?;
    Ok(std::fs::metadata(dir.join("big.xtc"))?.len())
}
