//! In-process read benchmark: how fast a topology's trajectories stream, in frames/s and MB/s.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::error::ReadError;
use crate::model::Frame;
use crate::topology::open_topology;
use crate::trajectory::{Trajectory, check_atom_count};

/// The outcome of [`bench_read`].
#[derive(Debug, Clone, PartialEq)]
pub struct ReadBench {
    /// Frames read per repeat.
    pub frames: usize,
    /// Atoms per frame.
    pub atoms: usize,
    /// Bytes of trajectory files read per repeat.
    pub bytes: u64,
    /// Wall time of every repeat, in seconds.
    pub seconds: Vec<f64>,
    /// Median of `seconds`.
    pub median_seconds: f64,
    /// Frames per second at the median time.
    pub frames_per_s: f64,
    /// Megabytes (10^6 bytes) of file per second at the median time.
    pub mb_per_s: f64,
}

/// Reads every frame of `trajectories` (checked against `topology`'s atom count) `repeats`
/// times (at least once) and reports the median speed. The first pass also warms the page
/// cache, so with several repeats the median measures decoding, not the disk.
pub fn bench_read(
    topology: &Path,
    trajectories: &[PathBuf],
    repeats: usize,
) -> Result<ReadBench, ReadError> {
    let top = open_topology(topology)?;
    let mut bytes = 0;
    for path in trajectories {
        let meta = std::fs::metadata(path).map_err(|e| ReadError::io(path, None, e))?;
        bytes += meta.len();
    }
    let mut seconds = Vec::new();
    let mut frames = 0;
    let mut atoms = 0;
    let mut frame = Frame::default();
    // Keeps the optimiser from discarding positions nobody reads.
    let mut checksum = 0.0f64;
    for _ in 0..repeats.max(1) {
        let t0 = Instant::now();
        let mut traj = Trajectory::open(trajectories)?;
        check_atom_count(&top, topology, &traj)?;
        atoms = traj.n_atoms();
        frames = 0;
        while traj.read_next(&mut frame)?.is_some() {
            frames += 1;
            checksum += f64::from(frame.positions.first().map_or(0.0, |p| p[0]));
        }
        seconds.push(t0.elapsed().as_secs_f64());
    }
    std::hint::black_box(checksum);
    let mut sorted = seconds.clone();
    sorted.sort_by(f64::total_cmp);
    let median_seconds = sorted[sorted.len() / 2];
    let per_s = |x: f64| if median_seconds > 0.0 { x / median_seconds } else { f64::INFINITY };
    Ok(ReadBench {
        frames,
        atoms,
        bytes,
        frames_per_s: per_s(frames as f64),
        mb_per_s: per_s(bytes as f64 / 1e6),
        seconds,
        median_seconds,
    })
}
