//! The per-epoch training state as one file, `checkpoint.bin`, replaced atomically after every
//! epoch: the loop's progress, the model, the optimiser's moments and the best model so far
//! always belong to the same epoch, whenever the process dies.
//!
//! Layout: `DSCKPT01`, then four sections (progress as JSON, model, optimiser, best model as
//! burnpack bytes), each a little-endian u64 length and its bytes, then a BLAKE3 hash of all
//! that precedes it. A file that fails the hash is refused by name, never half-loaded.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::TrainError;
use crate::report::EpochRecord;

/// The checkpoint's file name in a run folder.
pub const CHECKPOINT_FILE: &str = "checkpoint.bin";

const MAGIC: &[u8; 8] = b"DSCKPT01";

/// The loop's progress after an epoch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Progress {
    pub(crate) epochs_done: usize,
    pub(crate) best_validation_loss: f64,
    pub(crate) best_epoch: usize,
    pub(crate) curves: Vec<EpochRecord>,
}

/// Everything a resumed run needs, as bytes.
pub(crate) struct Checkpoint {
    pub(crate) progress: Progress,
    pub(crate) model: Vec<u8>,
    pub(crate) optimizer: Vec<u8>,
    pub(crate) best_model: Vec<u8>,
}

impl Checkpoint {
    /// Writes the checkpoint to `path` atomically (temporary file, sync, rename).
    pub(crate) fn save(&self, path: &Path) -> Result<(), TrainError> {
        let progress = serde_json::to_vec(&self.progress).map_err(|e| TrainError::run(path, e))?;
        let sections = [&progress[..], &self.model, &self.optimizer, &self.best_model];
        crate::io::write_atomically(path, |w| {
            let mut hasher = blake3::Hasher::new();
            let mut put = |w: &mut dyn Write, bytes: &[u8]| {
                hasher.update(bytes);
                w.write_all(bytes)
            };
            put(w, MAGIC)?;
            for section in sections {
                put(w, &(section.len() as u64).to_le_bytes())?;
                put(w, section)?;
            }
            w.write_all(hasher.finalize().as_bytes())
        })
        .map_err(|e| TrainError::run(path, format!("cannot write the checkpoint: {e}")))
    }

    /// Reads and verifies the checkpoint at `path`.
    pub(crate) fn load(path: &Path) -> Result<Checkpoint, TrainError> {
        let bytes = std::fs::read(path).map_err(|e| TrainError::run(path, e))?;
        let corrupt = |why: &str| {
            TrainError::run(
                path,
                format!("{why}: not a complete checkpoint; start the run again in another --out"),
            )
        };
        let (body, digest) = bytes
            .split_at_checked(bytes.len().saturating_sub(32))
            .ok_or_else(|| corrupt("too short"))?;
        if digest.len() != 32 || blake3::hash(body).as_bytes() != digest {
            return Err(corrupt("its hash does not match its contents"));
        }
        let mut rest = body.strip_prefix(MAGIC).ok_or_else(|| corrupt("wrong magic"))?;
        let mut sections = Vec::with_capacity(4);
        for _ in 0..4 {
            let (len, tail) = rest.split_at_checked(8).ok_or_else(|| corrupt("cut short"))?;
            let len = u64::from_le_bytes(len.try_into().unwrap_or([0; 8]));
            let len = usize::try_from(len).map_err(|_| corrupt("section too long"))?;
            let (section, tail) = tail.split_at_checked(len).ok_or_else(|| corrupt("cut short"))?;
            sections.push(section.to_vec());
            rest = tail;
        }
        if !rest.is_empty() {
            return Err(corrupt("trailing bytes"));
        }
        let best_model = sections.pop().unwrap_or_default();
        let optimizer = sections.pop().unwrap_or_default();
        let model = sections.pop().unwrap_or_default();
        let progress = serde_json::from_slice(&sections.pop().unwrap_or_default())
            .map_err(|e| TrainError::run(path, format!("cannot read the progress: {e}")))?;
        Ok(Checkpoint { progress, model, optimizer, best_model })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_round_trips_and_any_changed_byte_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CHECKPOINT_FILE);
        let progress =
            Progress { epochs_done: 3, best_validation_loss: 0.5, best_epoch: 2, curves: vec![] };
        let checkpoint = Checkpoint {
            progress,
            model: vec![1, 2, 3],
            optimizer: vec![4; 5],
            best_model: vec![],
        };
        checkpoint.save(&path).unwrap();
        let back = Checkpoint::load(&path).unwrap();
        assert_eq!((back.progress.epochs_done, back.progress.best_epoch), (3, 2));
        assert_eq!(
            (back.model, back.optimizer, back.best_model),
            (vec![1, 2, 3], vec![4; 5], vec![])
        );
        let bytes = std::fs::read(&path).unwrap();
        for at in [0, 9, bytes.len() / 2, bytes.len() - 1] {
            let mut bad = bytes.clone();
            bad[at] ^= 0x10;
            std::fs::write(&path, &bad).unwrap();
            let err = Checkpoint::load(&path).err().expect("altered byte").to_string();
            assert!(err.contains("checkpoint.bin") && err.contains("not a complete"), "{err}");
        }
        std::fs::write(&path, &bytes[..bytes.len() - 40]).unwrap();
        assert!(Checkpoint::load(&path).is_err(), "a cut file is refused");
    }
}
