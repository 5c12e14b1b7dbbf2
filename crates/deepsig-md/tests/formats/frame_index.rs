//! Stored frame indexes of XTC and TRR files: the second open knows the frame count and seeks
//! at once; an index of another version of the file, a damaged one, or one that cannot be
//! written is never trusted and never loses a frame.

use std::fs;
use std::path::{Path, PathBuf};

use deepsig_md::{
    Frame, FrameIndexPlace, FrameRange, FrameReader, ReadOptions, Trajectory,
    open_frame_reader_with,
};

use super::common::{frames_of, positions, write_molly_xtc, write_trr};

const BOX: [f32; 9] = [5.0, 0.0, 0.0, 0.0, 6.0, 0.0, 0.0, 0.0, 7.0];

fn frames(count: usize, atoms: usize) -> Vec<Vec<[f32; 3]>> {
    (0..count).map(|f| positions(f, atoms)).collect()
}

fn in_folder(dir: &Path) -> ReadOptions {
    ReadOptions {
        frame_index: FrameIndexPlace::Folder(dir.to_path_buf()),
        ..ReadOptions::default()
    }
}

fn open(path: &Path, options: &ReadOptions) -> Box<dyn FrameReader> {
    open_frame_reader_with(path, options).unwrap()
}

fn index_files(dir: &Path) -> Vec<PathBuf> {
    fs::read_dir(dir).map_or_else(|_| Vec::new(), |d| d.map(|e| e.unwrap().path()).collect())
}

/// An XTC (compressed, 20 atoms) and a TRR of `count` frames in `dir`.
fn write_both(dir: &Path, count: usize) -> [PathBuf; 2] {
    let xtc = dir.join("run.xtc");
    let trr = dir.join("run.trr");
    fs::write(&xtc, write_molly_xtc(&frames(count, 20))).unwrap();
    fs::write(&trr, write_trr(&frames(count, 20), false, BOX)).unwrap();
    [xtc, trr]
}

#[test]
fn the_second_open_knows_the_frame_count_and_seeks_to_any_frame_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    let options = in_folder(&index);
    let [xtc, trr] = write_both(dir.path(), 30);
    for path in [&xtc, &trr] {
        let mut first = open(path, &options);
        assert_eq!(first.n_frames(), None, "{}: nothing stored yet", path.display());
        let all = frames_of(&mut *first).unwrap();
        assert_eq!(all.len(), 30);
        assert!(first.take_warnings().is_empty());

        let mut second = open(path, &options);
        assert_eq!(second.n_frames(), Some(30), "{}: the stored index is used", path.display());
        for k in [17, 3, 29, 0] {
            let mut frame = Frame::default();
            assert!(second.seek_frame(k).unwrap());
            assert!(second.read_next(&mut frame).unwrap());
            assert_eq!(frame, all[k], "{} frame {k}", path.display());
        }
        assert!(!second.seek_frame(31).unwrap(), "past the end");
        assert!(second.take_warnings().is_empty());
        // Read in full, the indexed file gives the same frames as the first walk.
        assert_eq!(frames_of(&mut *open(path, &options)).unwrap(), all);
    }
    assert_eq!(index_files(&index).len(), 2, "one index per trajectory");

    // A trajectory over both files with a start frame: counts known, the same frames.
    let range = FrameRange { start: 25, stop: None, stride: 2 };
    let traj = Trajectory::open_with(&[&xtc], range, options.clone()).unwrap();
    assert_eq!(traj.n_frames(), Some(3));
}

#[test]
fn an_index_of_another_version_of_the_file_is_rebuilt_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    let options = in_folder(&index);
    let [xtc, trr] = write_both(dir.path(), 30);
    for path in [&xtc, &trr] {
        frames_of(&mut *open(path, &options)).unwrap();
    }
    // Fewer frames: another size.
    fs::write(&xtc, write_molly_xtc(&frames(25, 20))).unwrap();
    // Same size and modification time, other bytes in the last frame: only the hash of the
    // file's ends tells.
    let modified = fs::metadata(&trr).unwrap().modified().unwrap();
    let mut bytes = fs::read(&trr).unwrap();
    let last = bytes.len() - 8;
    bytes[last..].copy_from_slice(&1.5f32.to_be_bytes().repeat(2));
    fs::write(&trr, &bytes).unwrap();
    fs::File::options().write(true).open(&trr).unwrap().set_modified(modified).unwrap();
    assert_eq!(fs::metadata(&trr).unwrap().modified().unwrap(), modified);

    for (path, count) in [(&xtc, 25), (&trr, 30)] {
        let mut reader = open(path, &options);
        assert_eq!(reader.n_frames(), None, "{}: a stale index is not trusted", path.display());
        let warnings = reader.take_warnings();
        assert!(
            warnings.iter().any(|w| w.message.contains("another version of the file")),
            "{}: {warnings:?}",
            path.display()
        );
        assert_eq!(frames_of(&mut *reader).unwrap().len(), count);
        let mut again = open(path, &options);
        assert_eq!(again.n_frames(), Some(count), "{}: rebuilt and stored", path.display());
        assert!(again.take_warnings().is_empty());
    }
}

#[test]
fn a_damaged_index_is_never_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    let options = in_folder(&index);
    let [xtc, _] = write_both(dir.path(), 12);
    let all = frames_of(&mut *open(&xtc, &options)).unwrap();
    let stored = index_files(&index).into_iter().find(|p| p.to_string_lossy().contains("run.xtc"));
    let stored = stored.expect("the xtc's index");
    let good = fs::read(&stored).unwrap();
    // A changed offset, a cut-short index, and something else under its name.
    let mut changed = good.clone();
    changed[good.len() - 40] ^= 0x10;
    for (bytes, why) in [
        (changed, "damaged"),
        (good[..good.len() - 9].to_vec(), "damaged"),
        (b"not an index at all".to_vec(), "is not a frame index"),
    ] {
        fs::write(&stored, &bytes).unwrap();
        let mut reader = open(&xtc, &options);
        assert_eq!(reader.n_frames(), None);
        let warnings = reader.take_warnings();
        assert!(warnings.iter().any(|w| w.message.contains(why)), "{why}: {warnings:?}");
        assert_eq!(frames_of(&mut *reader).unwrap(), all, "{why}");
        assert_eq!(fs::read(&stored).unwrap(), good, "{why}: replaced by a good one");
    }
}

#[test]
fn a_place_that_cannot_be_written_keeps_the_index_in_memory_and_the_frames() {
    let dir = tempfile::tempdir().unwrap();
    let [xtc, _] = write_both(dir.path(), 8);
    // A folder path under a plain file cannot be created, even by root.
    let blocker = dir.path().join("plain-file");
    fs::write(&blocker, b"x").unwrap();
    let options = in_folder(&blocker.join("index"));
    let mut reader = open(&xtc, &options);
    let all = frames_of(&mut *reader).unwrap();
    assert_eq!(all.len(), 8);
    let warnings = reader.take_warnings();
    assert!(warnings.iter().any(|w| w.message.contains("kept in memory only")), "{warnings:?}");
    assert!(reader.seek_frame(3).unwrap(), "the in-memory index still seeks back");
}

#[test]
fn beside_the_file_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let [xtc, trr] = write_both(dir.path(), 6);
    let listing = || {
        let mut names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    frames_of(&mut *open(&xtc, &ReadOptions::default())).unwrap();
    assert_eq!(listing(), ["run.trr", "run.xtc"], "the default writes nothing");
    let beside = ReadOptions { frame_index: FrameIndexPlace::BesideFile, ..ReadOptions::default() };
    for path in [&xtc, &trr] {
        frames_of(&mut *open(path, &beside)).unwrap();
        assert_eq!(open(path, &beside).n_frames(), Some(6));
    }
    assert_eq!(
        listing(),
        [".run.trr.deepsig-frames", ".run.xtc.deepsig-frames", "run.trr", "run.xtc"]
    );
}
