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

mod model;

pub use model::{Atom, Frame, Topology, UnitCell};
