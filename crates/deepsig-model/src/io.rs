//! Files written so that a crash never leaves half of one: every output goes to a temporary
//! file in the same folder, is flushed to disk, and is renamed over the target in one step.

use std::path::{Path, PathBuf};

use crate::TrainError;

pub use deepsig_md::write_atomically;

/// Removes the temporary files that writes killed before their rename left in `dir` (a run
/// folder being resumed: nothing else writes there). Best effort: a file that cannot be
/// removed is left, harmlessly.
pub(crate) fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        // tempfile's default prefix, which write_atomically uses.
        if entry.file_name().to_string_lossy().starts_with(".tmp") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// [`write_atomically`] of `bytes`, the error naming the file.
pub(crate) fn save_bytes(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    write_atomically(path, |w| w.write_all(bytes))
        .map_err(|e| TrainError::run(path, format!("cannot write: {e}")))
}

/// `value` as pretty JSON, written atomically.
pub(crate) fn save_json(path: &Path, value: &impl serde::Serialize) -> Result<(), TrainError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| TrainError::run(path, e))?;
    save_bytes(path, text.as_bytes())
}

/// The cache folder a run uses when none is given: `.deepsig-cache` beside the run folder.
pub fn default_cache_dir(out: &Path) -> PathBuf {
    cache_dir_in(out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")))
}

/// The cache folder kept in `folder` (a benchmark's or a Slurm job's output folder, whose
/// runs share it): `folder/.deepsig-cache`.
pub fn cache_dir_in(folder: &Path) -> PathBuf {
    folder.join(".deepsig-cache")
}
