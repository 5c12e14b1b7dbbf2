//! Measures trajectory read speed: `cargo run --release -p deepsig-md --example read_bench --
//! TOPOLOGY TRAJECTORY... [--repeats N]`.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut repeats = 5;
    if let Some(i) = args.iter().position(|a| a == "--repeats") {
        repeats = args.get(i + 1).and_then(|n| n.parse().ok()).unwrap_or(repeats);
        args.drain(i..(i + 2).min(args.len()));
    }
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
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
