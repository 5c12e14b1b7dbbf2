//! An MDAnalysis-style atom selection language.
//!
//! # Grammar
//!
//! ```text
//! expr    := and_expr ("or" and_expr)*
//! and_expr:= not_expr ("and" not_expr)*
//! not_expr:= "not" not_expr | primary
//! primary := "(" expr ")" | "all" | "protein" | "backbone" | "water" | "heavy"
//!          | ("name" | "resname" | "segid" | "chainID" | "element") pattern+
//!          | ("resid" | "index" | "bynum") range+
//! ```
//!
//! - **Values.** A keyword takes every following word up to the next reserved word or
//!   parenthesis, and matches any of them (`name N CA C O`). Patterns are case-sensitive
//!   shell wildcards with the semantics of Python's `fnmatch.fnmatchcase`, as in MDAnalysis
//!   (`name H*`, `name C?`, `resname HI[SDE]`). A backslash makes a reserved word a value
//!   (`name \and`).
//! - **Ranges.** `resid 10-50`, `resid 10:50`, `resid 10 to 50` and lists `resid 1 3 7:9`,
//!   inclusive. `index` is the 0-based atom index and `bynum` the 1-based atom number.
//! - **Residue classes.** `protein` uses MDAnalysis 2.11's residue-name list (including HSD,
//!   HSE, HSP, HID, HIE, HIP, CYX, ...); `backbone` is atoms named N, CA, C or O in protein
//!   residues (MDAnalysis's definition: terminal OT1/OT2/OXT are not backbone); `water` uses
//!   MDAnalysis's water residue names plus SPC, SPCE, TIP5, TIP3P and DOD.
//! - **`heavy`** (not an MDAnalysis keyword) is every atom whose element is set and is not H or
//!   D; atoms without an element, such as TIP4P virtual sites, are not heavy.
//!
//! # Precedence
//!
//! `not` binds tighter than `and` and `or`. MDAnalysis 2.11 gives `and` and `or` the same
//! precedence and reads them left to right (`core/selection.py`, both `precedence = 3`),
//! while VMD and Boolean algebra bind `and` tighter: `name A or name B and resid 1` is
//! `(A or B) and 1` in one and `A or (B and 1)` in the other. Both agree whenever every `and`
//! comes before the first `or`, so those expressions are accepted, and an unparenthesised
//! `and` after an `or` is an error asking for parentheses rather than a silent guess.
//!
//! An expression that selects no atom is an error naming the expression.

mod eval;
mod glob;
mod lexer;
mod parser;

use std::str::FromStr;

use crate::model::Topology;

pub(crate) use eval::is_protein;

/// Sorted, distinct indices of the atoms of one topology that a selection expression chose.
///
/// Only [`select`] / [`Selection::evaluate`] make one, so it always holds at least one index,
/// every index is below [`AtomSelection::topology_atoms`], and indices are strictly increasing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtomSelection {
    expression: String,
    indices: Vec<u32>,
    topology_atoms: usize,
}

impl AtomSelection {
    /// The selected atom indices, strictly increasing.
    pub fn indices(&self) -> &[u32] {
        &self.indices
    }

    /// How many atoms are selected (at least one).
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    /// Always false: an empty selection is an error. Present for API symmetry with `len`.
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// The expression this selection came from.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// Atom count of the topology the selection was evaluated on.
    pub fn topology_atoms(&self) -> usize {
        self.topology_atoms
    }

    /// Whether atom `index` is selected (binary search).
    pub fn contains(&self, index: usize) -> bool {
        u32::try_from(index).is_ok_and(|i| self.indices.binary_search(&i).is_ok())
    }

    /// The selected entries of a per-atom array (positions, masses, ...), in selection order.
    ///
    /// Errors when `per_atom` does not have one entry per topology atom.
    pub fn gather<T: Copy>(&self, per_atom: &[T]) -> Result<Vec<T>, SelectError> {
        if per_atom.len() != self.topology_atoms {
            return Err(SelectError::new(
                &self.expression,
                None,
                SelectErrorKind::LengthMismatch {
                    expected: self.topology_atoms,
                    got: per_atom.len(),
                },
            ));
        }
        Ok(self.indices.iter().map(|&i| per_atom[i as usize]).collect())
    }
}

/// A parsed selection expression, reusable on any topology.
#[derive(Debug, Clone)]
pub struct Selection {
    expression: String,
    expr: parser::Expr,
}

impl Selection {
    /// Parses `expression`; syntax errors carry the 1-based column of the problem.
    pub fn parse(expression: &str) -> Result<Selection, SelectError> {
        let expr = parser::parse(expression)?;
        Ok(Selection { expression: expression.to_string(), expr })
    }

    /// The expression text.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The atoms of `topology` the expression selects; an empty result is an error.
    pub fn evaluate(&self, topology: &Topology) -> Result<AtomSelection, SelectError> {
        let mask = eval::evaluate(&self.expr, topology);
        let too_many = || {
            SelectError::new(
                &self.expression,
                None,
                SelectErrorKind::TooManyAtoms(topology.atoms.len()),
            )
        };
        let indices = mask
            .iter()
            .enumerate()
            .filter(|&(_, &m)| m)
            .map(|(i, _)| u32::try_from(i).map_err(|_| too_many()))
            .collect::<Result<Vec<u32>, _>>()?;
        if indices.is_empty() {
            return Err(SelectError::new(&self.expression, None, SelectErrorKind::NoAtoms));
        }
        Ok(AtomSelection {
            expression: self.expression.clone(),
            indices,
            topology_atoms: topology.atoms.len(),
        })
    }
}

impl FromStr for Selection {
    type Err = SelectError;

    fn from_str(s: &str) -> Result<Selection, SelectError> {
        Selection::parse(s)
    }
}

/// Parses `expression` and evaluates it on `topology`.
///
/// ```
/// use deepsig_md::{Atom, Topology, select};
/// let atom = |name: &str, resid| Atom {
///     name: name.into(), resname: "GLY".into(), resid, element: name[..1].into(),
///     ..Atom::default()
/// };
/// let top = Topology {
///     atoms: vec![atom("N", 1), atom("CA", 1), atom("HA", 1), atom("CA", 2)],
///     ..Topology::default()
/// };
/// assert_eq!(select(&top, "name CA and resid 1:2")?.indices(), &[1, 3]);
/// assert_eq!(select(&top, "protein and not name H*")?.len(), 3);
/// assert!(select(&top, "resname WAT").is_err());
/// # Ok::<(), deepsig_md::SelectError>(())
/// ```
pub fn select(topology: &Topology, expression: &str) -> Result<AtomSelection, SelectError> {
    Selection::parse(expression)?.evaluate(topology)
}

/// A selection that could not be parsed or evaluated, naming the expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("selection {selection:?}{}: {kind}", column.map(|c| format!(", column {c}")).unwrap_or_default())]
#[non_exhaustive]
pub struct SelectError {
    /// The selection expression.
    pub selection: String,
    /// 1-based character column of the problem, for syntax errors.
    pub column: Option<usize>,
    /// What went wrong.
    pub kind: SelectErrorKind,
}

impl SelectError {
    fn new(selection: &str, column: Option<usize>, kind: SelectErrorKind) -> SelectError {
        SelectError { selection: selection.to_string(), column, kind }
    }
}

/// The kinds of [`SelectError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SelectErrorKind {
    /// The expression is empty or only whitespace.
    #[error("the expression is empty")]
    EmptyExpression,
    /// A word where a selection keyword was expected is not one.
    #[error("unknown keyword {0:?}; expected one of {kw}", kw = parser::KEYWORDS.join(", "))]
    UnknownKeyword(String),
    /// A token that does not fit where it stands.
    #[error("unexpected {found:?}, expected {expected}")]
    UnexpectedToken {
        /// The token found.
        found: String,
        /// What the grammar allows here.
        expected: &'static str,
    },
    /// The expression ends where more is needed.
    #[error("the expression ends early, expected {expected}")]
    UnexpectedEnd {
        /// What the grammar needs here.
        expected: &'static str,
    },
    /// A keyword such as `name` with no value after it.
    #[error("{keyword:?} needs at least one value")]
    MissingValue {
        /// The keyword.
        keyword: String,
    },
    /// A value of `resid`/`index`/`bynum` that is not an integer or range.
    #[error("{0:?} is not an integer or a range such as 10-50, 10:50 or 10 to 50")]
    BadNumber(String),
    /// A range whose lower bound is above its upper bound.
    #[error("range {0:?} is empty: its lower bound is above its upper bound")]
    EmptyRange(String),
    /// An `and` after an `or` without parentheses, which MDAnalysis and VMD read differently.
    #[error(
        "'and' after 'or' is ambiguous (MDAnalysis groups left to right, VMD binds 'and' first); add parentheses"
    )]
    AmbiguousPrecedence,
    /// A `(` with no matching `)`.
    #[error("this '(' is never closed")]
    UnclosedParenthesis,
    /// Parentheses or `not` nested deeper than the limit.
    #[error("parentheses and 'not' are nested deeper than {0} levels")]
    TooDeep(usize),
    /// A `)` with no matching `(`.
    #[error("this ')' has no matching '('")]
    UnmatchedClose,
    /// The expression is valid but selects no atom of the topology.
    #[error("no atom matches")]
    NoAtoms,
    /// The topology has more atoms than a `u32` index can address.
    #[error("the topology has {0} atoms, more than 32-bit indices address")]
    TooManyAtoms(usize),
    /// A per-atom array whose length is not the topology's atom count.
    #[error("expected one entry per atom ({expected}), got {got}")]
    LengthMismatch {
        /// The topology's atom count.
        expected: usize,
        /// The array's length.
        got: usize,
    },
}
