//! Files written so that a crash never leaves half of one: every output goes to a temporary
//! file in the same folder, is flushed to disk, and is renamed over the target in one step.

use std::io::{BufWriter, Write};
use std::path::Path;

use crate::TrainError;

/// Writes what `write` produces to `path` atomically: a reader (or a resumed run) sees the old
/// file or the new one, never a mix. The data is synced before the rename, so a power loss
/// cannot leave an empty file under the final name either.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    {
        let mut writer = BufWriter::new(tmp.as_file_mut());
        write(&mut writer)?;
        writer.flush()?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

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
