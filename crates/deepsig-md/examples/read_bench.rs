//! Measures trajectory read speed: `cargo run --release -p deepsig-md --example read_bench --
//! TOPOLOGY TRAJECTORY... [--repeats N] [--molly]`. With `--molly`, XTC files are also timed
//! with the molly crate's streaming reader for comparison.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut repeats = 5;
    if let Some(i) = args.iter().position(|a| a == "--repeats") {
        repeats = args.get(i + 1).and_then(|n| n.parse().ok()).unwrap_or(repeats);
        args.drain(i..(i + 2).min(args.len()));
    }
    let with_molly = args.iter().any(|a| a == "--molly");
    args.retain(|a| a != "--molly");
    let Some((topology, trajectories)) = args.split_first() else {
        eprintln!("usage: read_bench TOPOLOGY TRAJECTORY... [--repeats N]");
        return ExitCode::FAILURE;
    };
    let trajectories: Vec<PathBuf> = trajectories.iter().map(PathBuf::from).collect();
    match deepsig_md::bench::bench_read(topology.as_ref(), &trajectories, repeats) {
        Ok(b) => {
            println!(
                "{} frames x {} atoms, {:.1} MB, median {:.4} s of {} runs: {:.0} frames/s, {:.0} MB/s",
                b.frames,
                b.atoms,
                b.bytes as f64 / 1e6,
                b.median_seconds,
                b.seconds.len(),
                b.frames_per_s,
                b.mb_per_s
            );
            if with_molly {
                molly_bench(&trajectories, repeats);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn molly_bench(paths: &[PathBuf], repeats: usize) {
    for path in paths.iter().filter(|p| p.extension().is_some_and(|e| e == "xtc")) {
        let mut times = Vec::new();
        let mut frames = 0;
        for _ in 0..repeats.max(1) {
            let t0 = std::time::Instant::now();
            let Ok(mut reader) = molly::XTCReader::open(path) else { return };
            let mut frame = molly::Frame::default();
            frames = 0;
            while reader.read_frame(&mut frame).is_ok() {
                frames += 1;
            }
            times.push(t0.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        println!(
            "molly {}: {frames} frames, {:.0} frames/s",
            path.display(),
            frames as f64 / median
        );
    }
}
