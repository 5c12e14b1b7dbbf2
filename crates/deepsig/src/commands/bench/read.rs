//! `deepsig bench read`: how fast trajectories stream through deepsig-md's readers,
//! in frames/s and MB/s of file (in-process, median over repeats).

use anyhow::Result;
use serde_json::json;

use crate::args::BenchReadArgs;

pub(crate) fn run(args: &BenchReadArgs) -> Result<()> {
    let repeats = usize::try_from(args.repeats).unwrap_or(usize::MAX);
    let r = deepsig_md::bench::bench_read(&args.topology, &args.trajectories, repeats)?;
    let mb = r.bytes as f64 / 1e6;
    let atom_frames_per_s = r.frames_per_s * r.atoms as f64;
    let files: Vec<String> = args.trajectories.iter().map(|p| p.display().to_string()).collect();
    if args.json {
        let json = json!({
            "topology": args.topology.display().to_string(),
            "trajectories": files,
            "frames": r.frames,
            "atoms": r.atoms,
            "bytes": r.bytes,
            "mb": mb,
            "repeats": r.seconds.len(),
            "seconds": r.seconds,
            "median_seconds": r.median_seconds,
            "frames_per_s": r.frames_per_s,
            "mb_per_s": r.mb_per_s,
            "atom_frames_per_s": atom_frames_per_s,
            "first_open_seconds": r.first_open_seconds,
            "indexed_open_seconds": r.indexed_open_seconds,
        });
        println!("{json}");
        return Ok(());
    }
    println!("{}: {} frames of {} atoms, {mb:.2} MB", files.join(", "), r.frames, r.atoms);
    println!(
        "{:>8} {:>12} {:>12} {:>10} {:>16}",
        "repeats", "median s", "frames/s", "MB/s", "M atom-frames/s"
    );
    println!(
        "{:>8} {:>12.5} {:>12.1} {:>10.1} {:>16.1}",
        r.seconds.len(),
        r.median_seconds,
        r.frames_per_s,
        r.mb_per_s,
        atom_frames_per_s / 1e6
    );
    println!(
        "open, count frames, read the last: {:.5} s without a frame index, {:.5} s with the \
         index the first open stored ({:.0}x)",
        r.first_open_seconds,
        r.indexed_open_seconds,
        r.first_open_seconds / r.indexed_open_seconds.max(1e-9)
    );
    Ok(())
}
