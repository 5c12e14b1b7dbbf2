//! Frame indexes kept on disk, so that the second open of a large XTC or TRR file knows its
//! frame count and seeks to any frame at once instead of walking every frame header.
//!
//! An index is keyed by the trajectory's size, modification time and a BLAKE3 hash of its
//! first and last 64 KiB, and ends with a hash of its own bytes. One that does not match the
//! file or is damaged is never trusted: the reader walks the file again, says so in a warning,
//! and replaces the index. A folder that cannot be written leaves the index in memory only.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use crate::atomic::write_atomically;

/// Where frame indexes of variable-size formats (XTC, TRR) are kept between opens.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FrameIndexPlace {
    /// Nowhere: each open walks the file again (the library's default).
    #[default]
    Memory,
    /// In this folder (created when missing), one file per trajectory, named after a hash of
    /// the trajectory's full path and its file name.
    Folder(PathBuf),
    /// Beside each trajectory, as `.NAME.deepsig-frames` (only when asked: it writes next to
    /// the user's files).
    BesideFile,
}

impl FrameIndexPlace {
    /// The user's cache folder for frame indexes: `$XDG_CACHE_HOME/deepsig/frame-index`, else
    /// `$HOME/.cache/deepsig/frame-index`; [`FrameIndexPlace::Memory`] when neither is set.
    pub fn user_cache() -> FrameIndexPlace {
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        let base = var("XDG_CACHE_HOME").or_else(|| var("HOME").map(|h| h.join(".cache")));
        base.map_or(FrameIndexPlace::Memory, |b| {
            FrameIndexPlace::Folder(b.join("deepsig").join("frame-index"))
        })
    }

    /// The place a user names: `cache` ([`user_cache`](Self::user_cache)), `beside`,
    /// `memory`, or any other text as a folder.
    pub fn from_name(name: &str) -> FrameIndexPlace {
        match name {
            "cache" => FrameIndexPlace::user_cache(),
            "beside" => FrameIndexPlace::BesideFile,
            "memory" => FrameIndexPlace::Memory,
            folder => FrameIndexPlace::Folder(PathBuf::from(folder)),
        }
    }
}

const MAGIC: &[u8; 8] = b"DSFRIDX1";
/// How much of each end of the trajectory the fingerprint hashes.
const EDGE: u64 = 64 * 1024;
/// Bytes before the offsets: magic, fingerprint (size, seconds, nanoseconds, hash), atoms, count.
const HEAD: usize = 8 + 8 + 8 + 4 + 32 + 8 + 8;

/// What identifies one version of a trajectory file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fingerprint {
    size: u64,
    seconds: u64,
    nanos: u32,
    edges: [u8; 32],
}

impl Fingerprint {
    fn of(path: &Path) -> std::io::Result<Fingerprint> {
        let mut file = File::open(path)?;
        let meta = file.metadata()?;
        let size = meta.len();
        let modified = meta.modified()?.duration_since(UNIX_EPOCH).unwrap_or_default();
        let mut hasher = blake3::Hasher::new();
        let mut block = vec![0u8; EDGE.min(size) as usize];
        file.read_exact(&mut block)?;
        hasher.update(&block);
        file.seek(SeekFrom::Start(size.saturating_sub(EDGE)))?;
        file.read_exact(&mut block)?;
        hasher.update(&block);
        let edges = *hasher.finalize().as_bytes();
        Ok(Fingerprint { size, seconds: modified.as_secs(), nanos: modified.subsec_nanos(), edges })
    }
}

/// The stored index of one trajectory file.
pub(crate) struct IndexStore {
    file: PathBuf,
    fingerprint: Fingerprint,
}

/// Why a stored index was not used.
pub(crate) enum Unusable {
    /// There is none yet.
    Absent,
    /// There is one, but it is for another version of the file or damaged.
    Stale(String),
}

impl IndexStore {
    /// The store for `trajectory` under `place`, or `None` for [`FrameIndexPlace::Memory`] or
    /// when the trajectory's fingerprint cannot be taken.
    pub(crate) fn locate(trajectory: &Path, place: &FrameIndexPlace) -> Option<IndexStore> {
        let name = trajectory.file_name()?.to_string_lossy().into_owned();
        let file = match place {
            FrameIndexPlace::Memory => return None,
            FrameIndexPlace::Folder(dir) => {
                let full = std::fs::canonicalize(trajectory).ok()?;
                let hash = blake3::hash(full.as_os_str().as_encoded_bytes()).to_hex();
                dir.join(format!("{}-{name}.frames", &hash[..16]))
            }
            FrameIndexPlace::BesideFile => {
                trajectory.with_file_name(format!(".{name}.deepsig-frames"))
            }
        };
        let fingerprint = Fingerprint::of(trajectory).ok()?;
        Some(IndexStore { file, fingerprint })
    }

    /// The index file.
    pub(crate) fn file(&self) -> &Path {
        &self.file
    }

    /// Every frame start and the file's end, as stored for this version of the file with
    /// `n_atoms` atoms.
    pub(crate) fn load(&self, n_atoms: usize) -> Result<Vec<u64>, Unusable> {
        let bytes = match std::fs::read(&self.file) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Unusable::Absent),
            Err(e) => return Err(Unusable::Stale(format!("cannot be read ({e})"))),
        };
        let stale = |why: &str| Err(Unusable::Stale(why.to_string()));
        if bytes.len() < HEAD + 8 + 32 || &bytes[..8] != MAGIC {
            return stale("is not a frame index");
        }
        let (body, hash) = bytes.split_at(bytes.len() - 32);
        if blake3::hash(body).as_bytes() != hash {
            return stale("is damaged (its checksum does not match)");
        }
        let word = |at: usize| u64::from_le_bytes(body[at..at + 8].try_into().unwrap_or([0; 8]));
        let nanos = u32::from_le_bytes(body[24..28].try_into().unwrap_or([0; 4]));
        let mut edges = [0u8; 32];
        edges.copy_from_slice(&body[28..60]);
        let stored = Fingerprint { size: word(8), seconds: word(16), nanos, edges };
        if stored != self.fingerprint {
            return stale(
                "was made for another version of the file (size, time or content differ)",
            );
        }
        if word(60) != n_atoms as u64 {
            return stale("was made for another atom count");
        }
        let count = word(68);
        let values = (body.len() - HEAD) / 8;
        if !(body.len() - HEAD).is_multiple_of(8) || count.checked_add(1) != Some(values as u64) {
            return stale("holds a wrong number of offsets");
        }
        let offsets: Vec<u64> = (0..values).map(|k| word(HEAD + 8 * k)).collect();
        let ordered = offsets.windows(2).all(|w| w[0] < w[1]);
        if count == 0 || offsets[0] != 0 || !ordered || offsets[values - 1] != stored.size {
            return stale("holds offsets that do not fit the file");
        }
        Ok(offsets)
    }

    /// Stores `offsets` (every frame start, then the file's end) atomically, creating the
    /// folder when needed.
    pub(crate) fn save(&self, n_atoms: usize, offsets: &[u64]) -> std::io::Result<()> {
        if let Some(dir) = self.file.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let f = &self.fingerprint;
        let mut body = Vec::with_capacity(HEAD + 8 * offsets.len() + 32);
        body.extend_from_slice(MAGIC);
        body.extend_from_slice(&f.size.to_le_bytes());
        body.extend_from_slice(&f.seconds.to_le_bytes());
        body.extend_from_slice(&f.nanos.to_le_bytes());
        body.extend_from_slice(&f.edges);
        body.extend_from_slice(&(n_atoms as u64).to_le_bytes());
        body.extend_from_slice(&(offsets.len().saturating_sub(1) as u64).to_le_bytes());
        offsets.iter().for_each(|o| body.extend_from_slice(&o.to_le_bytes()));
        let hash = blake3::hash(&body);
        write_atomically(&self.file, |w| {
            w.write_all(&body)?;
            w.write_all(hash.as_bytes())
        })
    }
}
