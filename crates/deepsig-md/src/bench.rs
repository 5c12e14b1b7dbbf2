//! In-process read benchmark: how fast a topology's trajectories stream, in frames/s and MB/s.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::error::ReadError;
use crate::model::Frame;
use crate::topology::open_topology;
use crate::trajectory::{
    FrameIndexPlace, ReadOptions, Trajectory, check_atom_count, count_with, open_frame_reader_with,
};

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
    /// Median seconds to open the files with no stored frame index, learn their frame counts
    /// and read each one's last frame (XTC and TRR walk every frame header; the walk stores
    /// the index).
    pub first_open_seconds: f64,
    /// Median seconds for the same with the index that the first open stored.
    pub indexed_open_seconds: f64,
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
    let (mut first_open, mut indexed_open) = (Vec::new(), Vec::new());
    for _ in 0..repeats.max(1) {
        // A private index folder: the first open is cold whatever the user's cache holds.
        let folder =
            tempfile::tempdir().map_err(|e| ReadError::io(Path::new("<temp>"), None, e))?;
        let options = ReadOptions {
            frame_index: FrameIndexPlace::Folder(folder.path().to_path_buf()),
            ..ReadOptions::default()
        };
        for times in [&mut first_open, &mut indexed_open] {
            let t0 = Instant::now();
            for path in trajectories {
                std::hint::black_box(read_last_frame(path, &options, &mut frame)?);
            }
            times.push(t0.elapsed().as_secs_f64());
        }
    }
    let median_seconds = median(&seconds);
    let per_s = |x: f64| if median_seconds > 0.0 { x / median_seconds } else { f64::INFINITY };
    Ok(ReadBench {
        frames,
        atoms,
        bytes,
        frames_per_s: per_s(frames as f64),
        mb_per_s: per_s(bytes as f64 / 1e6),
        seconds,
        median_seconds,
        first_open_seconds: median(&first_open),
        indexed_open_seconds: median(&indexed_open),
    })
}

/// The median of `values`: the middle one, or the mean of the two middle ones for an even
/// count; 0 when empty. The workspace's one median (timings, gradient norms).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let (n, mid) = (sorted.len(), sorted.len() / 2);
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => sorted[mid],
        _ => 0.5 * (sorted[mid - 1] + sorted[mid]),
    }
}

/// Opens `path`, learns its frame count (walking the file when no index knows it) and reads
/// its last frame into `frame`; returns the count.
fn read_last_frame(
    path: &Path,
    options: &ReadOptions,
    frame: &mut Frame,
) -> Result<usize, ReadError> {
    let mut reader = open_frame_reader_with(path, options)?;
    let known = reader.n_frames().is_some();
    let count = count_with(&mut *reader)?;
    if !known {
        // Text formats cannot go back: open again, as a user reading the last frame would.
        reader = open_frame_reader_with(path, options)?;
    }
    if count > 0 && reader.seek_frame(count - 1)? {
        reader.read_next(frame)?;
    }
    Ok(count)
}
