//! The on-disk cache of preprocessed trajectories.
//!
//! The key is a BLAKE3 hash of the input files' bytes (topology or edge list, and trajectory), the
//! preprocessing options as text, a format version, and every other byte that shaped the
//! windows: the bonds that make molecules whole and the alignment reference, which may come
//! from another file (the system's first trajectory, an earlier system of the same atoms). So
//! a changed input or option gives a different key and is never served stale
//! (`tests/cache.rs` changes each one in turn). Entries end with a hash of their payload; an
//! entry that is truncated or altered is ignored and rebuilt. Entries are written atomically.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::Path;

use crate::data::{CacheStats, WindowData};
use crate::error::DataError;

/// Bump when the preprocessing or the entry layout changes.
const FORMAT: &str = "deepsig-window-cache v3";
const MAGIC: &[u8; 8] = b"DSWIN002";

/// The cache key of the preprocessing of `files` with `options`, where `shaping` holds every
/// other byte that shaped the result (bonds and a reference taken from other files).
pub(crate) fn key(files: &[&Path], options: &str, shaping: &[u8]) -> Result<String, DataError> {
    let mut hasher = blake3::Hasher::new();
    hasher.update(FORMAT.as_bytes());
    let mut buffer = vec![0u8; 1 << 20];
    for path in files {
        let mut file = File::open(path).map_err(|e| DataError::io(path, "cannot open", e))?;
        let mut len: u64 = 0;
        loop {
            let n = file.read(&mut buffer).map_err(|e| DataError::io(path, "cannot read", e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
            len += n as u64;
        }
        // The length separates files, so moving bytes from one to the next changes the key.
        hasher.update(&len.to_le_bytes());
    }
    hasher.update(options.as_bytes());
    hasher.update(&(shaping.len() as u64).to_le_bytes());
    hasher.update(shaping);
    Ok(hasher.finalize().to_hex().to_string())
}

fn entry_path(dir: &Path, key: &str) -> std::path::PathBuf {
    dir.join(format!("{key}.win"))
}

/// A trajectory's windows and the reader's warnings about its file, kept with them so that a
/// cache hit reports what the first read did.
pub(crate) type Windowed = (Vec<WindowData>, Vec<String>);

/// The cached windows (and read warnings) under `key`, or `None` when absent, unreadable,
/// altered, or not of `atoms` atoms and `channels` values per atom. The channel count is part of the key, so an
/// entry of another count is never asked for; the length check guards against a corrupt one.
pub(crate) fn load(dir: &Path, key: &str, atoms: usize, channels: usize) -> Option<Windowed> {
    let mut bytes = Vec::new();
    BufReader::new(File::open(entry_path(dir, key)).ok()?).read_to_end(&mut bytes).ok()?;
    let (payload, digest) = bytes.split_at_checked(bytes.len().checked_sub(32)?)?;
    if blake3::hash(payload).as_bytes() != digest {
        return None;
    }
    let rest = payload.strip_prefix(MAGIC)?;
    let mut words =
        rest.chunks_exact(8).map(|w| u64::from_le_bytes(w.try_into().unwrap_or([0; 8])));
    let n_windows = words.next()? as usize;
    let mut at = 8 + 8;
    let mut windows = Vec::with_capacity(n_windows.min(1 << 16));
    for _ in 0..n_windows {
        let frames = u64::from_le_bytes(payload.get(at..at + 8)?.try_into().ok()?) as usize;
        at += 8;
        let n = frames.checked_mul(atoms)?.checked_mul(channels)?;
        let raw = payload.get(at..at.checked_add(n.checked_mul(4)?)?)?;
        at += raw.len();
        let coords =
            raw.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        windows.push(WindowData { frames, coords, channels });
    }
    let word = |at: &mut usize| -> Option<usize> {
        let w = u64::from_le_bytes(payload.get(*at..*at + 8)?.try_into().ok()?);
        *at += 8;
        usize::try_from(w).ok()
    };
    let n_warnings = word(&mut at)?;
    let mut warnings = Vec::with_capacity(n_warnings.min(1 << 10));
    for _ in 0..n_warnings {
        let len = word(&mut at)?;
        let text = payload.get(at..at.checked_add(len)?)?;
        at += len;
        warnings.push(String::from_utf8(text.to_vec()).ok()?);
    }
    (at == payload.len()).then_some((windows, warnings))
}

/// The windows of the trajectory at `path` under `key`: from the cache in `dir` when it holds
/// a valid entry of `atoms` atoms and `channels` values (a hit), else `read` and stored (a
/// miss, recorded with the path).
pub(crate) fn load_or_read(
    dir: Option<&Path>,
    (key, path): (&str, &Path),
    (atoms, channels): (usize, usize),
    stats: &mut CacheStats,
    read: impl FnOnce() -> Result<Windowed, DataError>,
) -> Result<Windowed, DataError> {
    if let Some(windowed) = dir.and_then(|dir| load(dir, key, atoms, channels)) {
        stats.hits += 1;
        return Ok(windowed);
    }
    stats.misses += 1;
    stats.read.push(path.to_path_buf());
    let windowed = read()?;
    if let Some(dir) = dir {
        store(dir, key, &windowed)?;
    }
    Ok(windowed)
}

/// Stores `windows` and `warnings` under `key`, atomically.
/// A writer that hashes what it writes.
struct Hashing<'a> {
    inner: &'a mut dyn Write,
    hasher: blake3::Hasher,
}

impl Hashing<'_> {
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.hasher.update(bytes);
        self.inner.write_all(bytes)
    }
}

pub(crate) fn store(
    dir: &Path,
    key: &str,
    (windows, warnings): &Windowed,
) -> Result<(), DataError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| DataError::io(dir, "cannot create the cache folder", e))?;
    // Streamed through the hash a window at a time: the entry is never held whole in memory
    // beside the windows (BENCHMARKS.md, "Big trajectories").
    crate::io::write_atomically(&entry_path(dir, key), |w| {
        let mut out = Hashing { inner: &mut *w, hasher: blake3::Hasher::new() };
        out.put(MAGIC)?;
        out.put(&(windows.len() as u64).to_le_bytes())?;
        let mut bytes = Vec::new();
        for window in windows {
            out.put(&(window.frames as u64).to_le_bytes())?;
            bytes.clear();
            bytes.extend(window.coords.iter().flat_map(|v| v.to_le_bytes()));
            out.put(&bytes)?;
        }
        out.put(&(warnings.len() as u64).to_le_bytes())?;
        for warning in warnings {
            out.put(&(warning.len() as u64).to_le_bytes())?;
            out.put(warning.as_bytes())?;
        }
        let digest = out.hasher.finalize();
        w.write_all(digest.as_bytes())
    })
    .map_err(|e| DataError::io(dir, "cannot write a cache entry in", e))
}
