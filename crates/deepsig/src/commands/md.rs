//! What the MD subcommands share: reading a topology, applying a selection, and printing the
//! readers' warnings.

use std::path::Path;

use anyhow::{Result, anyhow};
use deepsig_md::{
    AtomSelection, FrameIndexPlace, ReadOptions, ReadWarning, SelectErrorKind, Selection, Topology,
};

use crate::args::ReadArgs;

/// The reader options that `--allow-truncated` and `--frame-index` give.
pub(crate) fn read_options(args: &ReadArgs) -> ReadOptions {
    ReadOptions {
        allow_truncated: args.allow_truncated,
        frame_index: FrameIndexPlace::from_name(&args.frame_index),
    }
}

/// Parses a `--select` expression; a syntax error names the column.
pub(crate) fn parse_selection(expression: &str) -> Result<Selection> {
    Selection::parse(expression).map_err(|e| anyhow!("invalid --select: {e}"))
}

/// Reads a topology file (the error names the file, line and problem).
pub(crate) fn read_topology(path: &Path) -> Result<Topology> {
    Ok(deepsig_md::open_topology(path)?)
}

/// The atoms of `topology` (read from `path`) that `selection` picks; none is an error.
pub(crate) fn select_atoms(
    selection: &Selection,
    topology: &Topology,
    path: &Path,
) -> Result<AtomSelection> {
    selection.evaluate(topology).map_err(|e| match e.kind {
        SelectErrorKind::NoAtoms => {
            anyhow!("selection {:?} matches no atom of {}", selection.expression(), path.display())
        }
        _ => anyhow!("cannot select atoms of {}: {e}", path.display()),
    })
}

/// Prints each warning as `deepsig: warning: FILE (FORMAT): MESSAGE` on stderr.
pub(crate) fn print_warnings(warnings: &[ReadWarning]) {
    for w in warnings {
        eprintln!("deepsig: warning: {} ({}): {}", w.path.display(), w.format, w.message);
    }
}
