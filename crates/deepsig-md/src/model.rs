//! The in-memory model every reader produces: atoms, topology, frames, unit cells.

/// One atom as a topology file describes it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Atom {
    /// Atom name, e.g. `CA` (trimmed).
    pub name: String,
    /// Residue name, e.g. `GLY` (trimmed).
    pub resname: String,
    /// Residue number as written in the file.
    pub resid: i32,
    /// Segment identifier (PSF segid; PDB segid, else chain ID; empty when absent).
    pub segid: String,
    /// Chain identifier (PDB column 22; empty when absent).
    pub chain: String,
    /// Element symbol, capitalised (`C`, `Cl`); guessed from the name when the file has none.
    pub element: String,
    /// Mass in Dalton, when the file gives one (PSF, prmtop).
    pub mass: Option<f64>,
    /// Partial charge in e, when the file gives one (PSF, prmtop).
    pub charge: Option<f64>,
}

/// A periodic unit cell, as three box vectors in Angstrom (rows a, b, c), GROMACS convention:
/// `a` along x, `b` in the xy plane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitCell {
    /// Box vectors a, b, c as rows, in Angstrom.
    pub vectors: [[f64; 3]; 3],
}

/// A molecular system's atoms and the bonds its file lists.
#[derive(Debug, Clone, Default)]
pub struct Topology {
    /// Atoms in file order.
    pub atoms: Vec<Atom>,
    /// Bonds listed by the file (PSF `!NBOND`, PDB `CONECT`), as atom-index pairs with `i < j`,
    /// deduplicated and sorted. Empty when the file lists none.
    pub bonds: Vec<(u32, u32)>,
    /// Reference coordinates in Angstrom, when the file has them (PDB, GRO; not PSF, prmtop).
    pub positions: Option<Vec<[f32; 3]>>,
    /// The unit cell of the reference coordinates, when the file has one.
    pub unit_cell: Option<UnitCell>,
}

/// One frame of a trajectory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frame {
    /// Positions in Angstrom, one per atom.
    pub positions: Vec<[f32; 3]>,
    /// Simulation time in ps, when the file stores it.
    pub time_ps: Option<f64>,
    /// Integration step, when the file stores it.
    pub step: Option<i64>,
    /// Periodic box of this frame, when the file stores one.
    pub unit_cell: Option<UnitCell>,
}
