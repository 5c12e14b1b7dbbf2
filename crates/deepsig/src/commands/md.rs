//! What the MD subcommands share: reading a topology, applying a selection, building the
//! bond graph (the file's bonds, else guessed), and printing the readers' warnings.

use std::path::Path;

use anyhow::{Context, Result, anyhow};
use deepsig_md::{
    AtomSelection, BondOptions, BondSource, Frame, GraphError, ReadWarning, SelectErrorKind,
    Selection, Topology,
};

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

/// Where the bonds of a system came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BondOrigin {
    /// Exactly the bonds the topology file lists.
    File,
    /// The file's bonds plus guessed ones (the file's list looked incomplete, or peptide
    /// bonds were missing).
    FileAndGuessed,
    /// Guessed from distances: the file lists none.
    Guessed,
}

impl BondOrigin {
    pub(crate) fn name(self) -> &'static str {
        match self {
            BondOrigin::File => "file",
            BondOrigin::FileAndGuessed => "file+guessed",
            BondOrigin::Guessed => "guessed",
        }
    }
}

/// The bonds of a system as sorted pairs `i < j`, and where they came from.
pub(crate) struct SystemBonds {
    pub(crate) pairs: Vec<(u32, u32)>,
    pub(crate) origin: BondOrigin,
}

/// The bonds of the whole topology with deepsig-md's default rule: the file's bonds when they
/// look complete, else completed by guessing from distances (in the periodic box when there is
/// one), plus peptide bonds. Coordinates for guessing are the topology's own, else those of
/// `first_frame`. Returns `None` when bonds would have to be guessed and no coordinates exist.
pub(crate) fn system_bonds(
    topology: &Topology,
    path: &Path,
    first_frame: Option<&Frame>,
) -> Result<Option<SystemBonds>> {
    let (positions, cell) = match (&topology.positions, first_frame) {
        (Some(p), _) => (Some(p.as_slice()), topology.unit_cell.as_ref()),
        (None, Some(f)) => (Some(f.positions.as_slice()), f.unit_cell.as_ref()),
        (None, None) => (None, None),
    };
    let context = || format!("cannot build the bond graph of {}", path.display());
    let options = BondOptions::default();
    let pairs = match deepsig_md::bonds(topology, positions, cell, &options) {
        Ok(pairs) => pairs,
        Err(GraphError::NoPositions) if topology.bonds.is_empty() => return Ok(None),
        Err(GraphError::NoPositions) => {
            let only_file = BondOptions { source: BondSource::Topology, ..options };
            deepsig_md::bonds(topology, positions, cell, &only_file).with_context(context)?
        }
        Err(e) => return Err(e).with_context(context),
    };
    let origin = if topology.bonds.is_empty() {
        BondOrigin::Guessed
    } else if pairs.len() == topology.bonds.len() {
        BondOrigin::File
    } else {
        BondOrigin::FileAndGuessed
    };
    Ok(Some(SystemBonds { pairs, origin }))
}
