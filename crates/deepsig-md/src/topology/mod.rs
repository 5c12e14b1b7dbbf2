//! Topology readers (PDB, GRO, PSF, Amber prmtop) and the helpers they share: element guessing, cells.

mod cell;
pub(crate) mod gro;
pub(crate) mod pdb;
mod prmtop;
mod psf;

use std::path::Path;

use crate::error::{Format, ReadError, ReadErrorKind};
use crate::model::Topology;

pub(crate) use cell::cell_from_nm_vectors;
pub use cell::{cell_dimensions, cell_from_dimensions};

/// Reads a topology, choosing the parser from the file extension (`pdb`/`ent`, `gro`, `psf`, `prmtop`/`parm7`/`top`).
///
/// PDB and GRO files also fill [`Topology::positions`] (first model / frame) and
/// [`Topology::unit_cell`]. A trajectory-only extension or an unknown one is an error.
pub fn open_topology(path: impl AsRef<Path>) -> Result<Topology, ReadError> {
    let path = path.as_ref();
    let format = Format::from_path(path)?;
    let parse = match format {
        Format::Pdb => pdb::parse_topology,
        Format::Gro => gro::parse_topology,
        Format::Psf => psf::parse_topology,
        Format::Prmtop => prmtop::parse_topology,
        other => {
            return Err(ReadError::new(
                path,
                Some(other),
                ReadErrorKind::Unsupported(format!(
                    "{other} is a trajectory format; a topology must be pdb, gro, psf or prmtop"
                )),
            ));
        }
    };
    let text = read_text(path, format)?;
    parse(&text).map_err(|e| e.into_error(path, format))
}

/// Parses topology text already in memory, e.g. for tests or embedded data.
pub fn parse_topology(text: &str, format: Format) -> Result<Topology, ReadError> {
    let label = Path::new("<text>");
    let result = match format {
        Format::Pdb => pdb::parse_topology(text),
        Format::Gro => gro::parse_topology(text),
        Format::Psf => psf::parse_topology(text),
        Format::Prmtop => prmtop::parse_topology(text),
        other => Err(LineError::new(
            0,
            ReadErrorKind::Unsupported(format!("{other} is not a topology format")),
        )),
    };
    result.map_err(|e| e.into_error(label, format))
}

/// Reads a whole text file; bytes that are not UTF-8 (seen in PSF remarks) become U+FFFD.
fn read_text(path: &Path, format: Format) -> Result<String, ReadError> {
    let bytes = std::fs::read(path).map_err(|e| ReadError::io(path, Some(format), e))?;
    Ok(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// An error at a 1-based line (0 = no line) before the path is known.
#[derive(Debug)]
pub struct LineError {
    pub(crate) line: usize,
    pub(crate) kind: ReadErrorKind,
}

impl LineError {
    pub(crate) fn new(line: usize, kind: ReadErrorKind) -> LineError {
        LineError { line, kind }
    }

    pub(crate) fn corrupt(line: usize, msg: impl Into<String>) -> LineError {
        LineError::new(line, ReadErrorKind::Corrupt(msg.into()))
    }

    pub(crate) fn parse(line: usize, field: &'static str, text: &str) -> LineError {
        let text = text.trim().to_string();
        LineError::new(line, ReadErrorKind::Parse { field, text })
    }

    pub(crate) fn into_error(self, path: &Path, format: Format) -> ReadError {
        let err = ReadError::new(path, Some(format), self.kind);
        if self.line > 0 { err.at(crate::error::Location::Line(self.line)) } else { err }
    }
}

/// The byte range `a..b` of a line, clipped to its length, as trimmed text.
pub(crate) fn field(line: &str, a: usize, b: usize) -> &str {
    let bytes = line.as_bytes();
    let b = b.min(bytes.len());
    if a >= b {
        return "";
    }
    // Columns are ASCII in every supported format; a non-ASCII byte makes the slice invalid
    // and the field is treated as empty rather than panicking.
    line.get(a..b).unwrap_or("").trim()
}

/// Parses a decimal the way MDAnalysis does: as f64, then rounded to f32.
pub(crate) fn parse_f32(text: &str, line: usize, what: &'static str) -> Result<f32, LineError> {
    let t = text.trim();
    t.parse::<f64>().map(|v| v as f32).map_err(|_| LineError::parse(line, what, t))
}

/// Parses the leading integer of a field such as `12A` (insertion code) or `-3`.
pub(crate) fn parse_leading_int(text: &str) -> Option<i32> {
    let t = text.trim();
    let end = t
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && (c == '-' || c == '+'))))
        .map_or(t.len(), |(i, _)| i);
    t[..end].parse().ok()
}

/// Guesses an element symbol from an atom name when the file gives none.
///
/// Follows the spirit of MDAnalysis's guesser: leading digits (`1HG1`) and trailing digits or
/// charge signs are dropped; a table of ion and solvent names (`NA`, `SOD`, `CL`, `CLA`, `MG`,
/// `ZN`, `POT`, `CAL`, ...) maps to their element; otherwise the first letter is the element when
/// it is one of H, C, N, O, S, P (so `CA` is an alpha carbon, not calcium); otherwise a known
/// one- or two-letter symbol at the start. Virtual sites such as `MW` give an empty string.
pub fn guess_element(name: &str) -> String {
    let upper = name.trim().to_ascii_uppercase();
    let core: String = upper
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    if let Some(sym) = special_name(&upper).or_else(|| special_name(&core)) {
        return sym.to_string();
    }
    let Some(first) = core.chars().next() else {
        return String::new();
    };
    if matches!(first, 'H' | 'C' | 'N' | 'O' | 'S' | 'P') {
        return first.to_string();
    }
    if core.len() >= 2 {
        let two = capitalise(&core[..2]);
        if ELEMENTS.contains(&two.as_str()) {
            return two;
        }
    }
    let one = first.to_string();
    if ELEMENTS.contains(&one.as_str()) { one } else { String::new() }
}

fn capitalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.chars().enumerate() {
        out.push(if i == 0 { c } else { c.to_ascii_lowercase() });
    }
    out
}

fn special_name(name: &str) -> Option<&'static str> {
    Some(match name {
        "NA" | "NA+" | "SOD" | "QN" => "Na",
        "CL" | "CL-" | "CLA" | "CLAL" => "Cl",
        "K" | "K+" | "POT" | "QK" => "K",
        "CAL" | "CA2+" | "C0" => "Ca",
        "MG" | "MG2+" => "Mg",
        "ZN" | "ZN2+" => "Zn",
        "FE" | "FE2" | "FE3" => "Fe",
        "CU" => "Cu",
        "BR" => "Br",
        "IOD" => "I",
        "LI" | "LI+" | "LIT" | "QL" => "Li",
        "CS" | "CS+" | "CES" => "Cs",
        "RB" | "QR" => "Rb",
        "MW" | "LP" | "EP" => "",
        _ => return None,
    })
}

const ELEMENTS: &[&str] = &[
    "H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P", "S", "Cl",
    "Ar", "K", "Ca", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Ge", "As",
    "Se", "Br", "Kr", "Rb", "Sr", "Y", "Zr", "Mo", "Ru", "Rh", "Pd", "Ag", "Cd", "In", "Sn", "Sb",
    "Te", "I", "Xe", "Cs", "Ba", "La", "Ce", "Gd", "W", "Pt", "Au", "Hg", "Pb", "Bi", "U",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_elements_like_mdanalysis() {
        for (name, el) in [
            ("CA", "C"),
            ("N", "N"),
            ("OT1", "O"),
            ("1HG1", "H"),
            ("HG11", "H"),
            ("SD", "S"),
            ("NA", "Na"),
            ("CLA", "Cl"),
            ("MW", ""),
            ("FE", "Fe"),
            ("P", "P"),
            ("", ""),
        ] {
            assert_eq!(guess_element(name), el, "name {name:?}");
        }
    }

    #[test]
    fn leading_int_accepts_insertion_codes() {
        assert_eq!(parse_leading_int(" 12A"), Some(12));
        assert_eq!(parse_leading_int("-3"), Some(-3));
        assert_eq!(parse_leading_int("x"), None);
    }
}
