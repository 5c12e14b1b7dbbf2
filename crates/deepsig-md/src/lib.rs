//! Molecular-dynamics files to validated arrays and graphs.
//!
//! # Overview
//!
//! - [`Topology`]: atoms (name, residue, segment, element) with the bonds the file lists and,
//!   where the file has them, reference coordinates.
//! - [`Frame`]: one trajectory frame, positions in Angstrom, time in ps, optional [`UnitCell`].
//!
//! - [`NodeGraph`], [`NodeSeries`]: generic node time series `(T, N, c)` on a given graph, the
//!   input of a manifest's graph systems, read from `.npy`/`.npz` ([`read_array`]).
//!
//! Every length in this crate is in Angstrom; readers of nm formats (GRO, XTC, TRR) convert.
//!
//! # The pipeline
//!
//! A [`Manifest`] names the systems; each system's topology is read into a [`Topology`] and
//! its trajectories into [`Frame`]s by a [`Trajectory`] (any [`FrameReader`]); a
//! [`Selection`] reduces the atoms; [`FramePrep`] makes each frame whole across periodic
//! boundaries and aligns it to a fixed reference; [`Windowing`] cuts the frames into the
//! windows a model reads. The graph over the selected atoms is [`selection_graph`]'s.
//!
//! ```
//! use deepsig_md::{Format, Windowing, parse_topology, select};
//!
//! let pdb = "\
//! ATOM      1  N   ALA A   1       0.000   0.000   0.000  1.00  0.00           N
//! ATOM      2  CA  ALA A   1       1.458   0.000   0.000  1.00  0.00           C
//! ATOM      3  C   ALA A   1       2.009   1.420   0.000  1.00  0.00           C
//! ATOM      4  N   GLY A   2       3.332   1.536   0.000  1.00  0.00           N
//! ATOM      5  CA  GLY A   2       3.970   2.846   0.000  1.00  0.00           C
//! END
//! ";
//! let topology = parse_topology(pdb, Format::Pdb)?;
//! assert_eq!(topology.atoms.len(), 5);
//! let ca = select(&topology, "name CA")?;
//! assert_eq!(ca.indices(), &[1, 4]);
//! // 100 frames, every second one kept, cut into 5 windows of 10 frames.
//! let windows = Windowing::new(5, 2)?.split(100)?;
//! assert_eq!(windows.len(), 5);
//! assert_eq!(windows[0].len(), 10);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod align;
mod atomic;
pub mod bench;
mod describe;
mod error;
mod extract;
mod graph;
mod manifest;
mod model;
mod nodes;
mod npy;
mod pbc;
mod pdb_write;
mod periodic;
mod prepare;
mod select;
mod split;
mod topology;
mod trajectory;
mod window;

pub use align::{
    AlignError, Aligner, PrincipalAxes, Superposition, center, centroid, principal_axes, rmsd,
    superpose,
};
pub use atomic::write_atomically;
pub use describe::{
    DescribeError, Segment, SystemInfo, describe, frame_sources, model_graph, segments,
};
pub use error::{Format, Location, ReadError, ReadErrorKind, ReadWarning};
pub use extract::{
    BondOrigin, ExtractError, ExtractOptions, ExtractSummary, ExtractedFrame, SystemBonds, extract,
    first_frame_if_needed, system_bonds,
};
pub use graph::{
    BondOptions, BondSource, Graph, GraphError, GraphSummary, ResidueGraph, SelectionGraph,
    TRACE_MAX_DISTANCE, bond_graph, bonds, contact_graph, covalent_radius, guess_bonds,
    peptide_bonds, residue_ordinals, residues, selection_graph,
};
pub use manifest::{Label, Manifest, ManifestError, ManifestErrorKind, System, SystemSource};
pub use model::{Atom, Frame, Topology, UnitCell};
pub use nodes::{
    EdgeLine, NodeDataError, NodeDataErrorKind, NodeGraph, NodeSeries, parse_edge_list,
    read_edge_list, read_node_series,
};
pub use npy::{
    ArrayError, ArrayErrorKind, FloatArray, NpyFloat, parse_array, read_array, write_npy, write_npz,
};
pub use pbc::{DriftRemover, MakeWhole, PbcError, PeriodicCell, Unwrapper};
pub use pdb_write::{PdbRecord, write_pdb};
pub use prepare::{FramePrep, PrepError, PrepOptions};
pub use select::{AtomSelection, SelectError, SelectErrorKind, Selection, select};
pub use split::{
    Fractions, Split, SplitError, SplitMix64, SplitPart, SplitUnit, WindowSplit,
    interleaved_windows, k_fold, train_validation_test,
};
pub use topology::{
    cell_dimensions, cell_from_dimensions, guess_element, open_topology, parse_topology,
};
pub use trajectory::{
    DcdReader, FrameIndexPlace, FrameRange, FrameReader, GroReader, NcdfReader, PdbReader,
    ReadOptions, Trajectory, TrrReader, XtcReader, check_atom_count, count_frames, count_frames_in,
    count_frames_with, open_frame_reader, open_frame_reader_with, read_all_frames,
};
pub use window::{SubWindowMode, Window, WindowError, Windowing, sub_windows};
