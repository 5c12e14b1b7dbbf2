//! Files written so that a crash never leaves half of one: every output goes to a temporary
//! file in the same folder, is flushed to disk, and is renamed over the target in one step.
//! The one atomic-write helper of the workspace (deepsig-model and the CLI use it too).

use std::io::{BufWriter, Write};
use std::path::Path;

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
