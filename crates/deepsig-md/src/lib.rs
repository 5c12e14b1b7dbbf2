//! Molecular-dynamics files to validated arrays and graphs.
//!
//! # Overview
//!
//! - [`Topology`]: atoms (name, residue, segment, element) with the bonds the file lists and,
//!   where the file has them, reference coordinates.
//! - [`Frame`]: one trajectory frame, positions in Angstrom, time in ps, optional [`UnitCell`].
//!
//! Every length in this crate is in Angstrom; readers of nm formats (GRO, XTC, TRR) convert.
#![deny(missing_docs)]

pub mod bench;
mod error;
mod model;
mod topology;
mod trajectory;

pub use error::{Format, Location, ReadError, ReadErrorKind, ReadWarning};
pub use model::{Atom, Frame, Topology, UnitCell};
pub use topology::{
    cell_dimensions, cell_from_dimensions, guess_element, open_topology, parse_topology,
};
pub use trajectory::{
    DcdReader, FrameRange, FrameReader, GroReader, PdbReader, Trajectory, TrrReader, XtcReader,
    check_atom_count, open_frame_reader, read_all_frames,
};
