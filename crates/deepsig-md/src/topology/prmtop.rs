//! Amber topology (`prmtop`, `parm7`): atoms, residues, charges, masses, elements and bonds from
//! the `%FLAG`/`%FORMAT` sections (layout in docs/formats.md, "Amber prmtop").

use std::collections::HashMap;

use super::{LineError, guess_element};
use crate::error::ReadErrorKind;
use crate::model::{Atom, Topology};

/// Amber stores charges premultiplied by √(332.0522173…) = 18.2223 so that Coulomb energies
/// come out in kcal/mol; dividing gives charges in e (the factor MDAnalysis uses).
const AMBER_CHARGE_UNIT: f64 = 18.2223;

/// One `%FLAG` section: its `%FORMAT` (parsed only when the section is read, so composite
/// formats of sections we skip, such as CHAMBER's `(i2,a78)`, do not matter) and data lines.
struct Section<'a> {
    flag_line: usize,
    /// `(line, text after %FORMAT)`.
    format: Option<(usize, &'a str)>,
    /// `(1-based line number, text)` of each data line.
    lines: Vec<(usize, &'a str)>,
}

impl<'a> Section<'a> {
    /// The fields in file order with their line numbers: each data line cut into `per_line`
    /// fields of `width` columns (the last one may be short when trailing blanks were trimmed).
    fn fields(&self) -> Result<impl Iterator<Item = (usize, &'a [u8])> + '_, LineError> {
        let (at, spec) = self.format.unwrap_or((self.flag_line, ""));
        let (per_line, width) = parse_format(spec, at)?;
        Ok(self.lines.iter().flat_map(move |&(line, text)| {
            let bytes = text.as_bytes();
            (0..per_line)
                .map(move |k| k * width)
                .take_while(move |&start| start < bytes.len())
                .map(move |start| (line, &bytes[start..(start + width).min(bytes.len())]))
        }))
    }
}

/// The sections of a prmtop file, by flag name.
struct Sections<'a> {
    by_flag: HashMap<&'a str, Section<'a>>,
}

impl<'a> Sections<'a> {
    fn split(text: &'a str) -> Result<Sections<'a>, LineError> {
        let mut by_flag = HashMap::new();
        let mut current: Option<(&'a str, Section<'a>)> = None;
        let mut pending_format = false;
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim_end_matches('\r');
            let number = i + 1;
            if let Some(flag) = line.strip_prefix("%FLAG") {
                if let Some((name, section)) = current.take() {
                    by_flag.insert(name, section);
                }
                let name = flag.split_whitespace().next().unwrap_or("");
                let section = Section { flag_line: number, format: None, lines: vec![] };
                current = Some((name, section));
                pending_format = true;
            } else if let Some(format) = line.strip_prefix("%FORMAT") {
                let Some((_, section)) = current.as_mut() else {
                    return Err(LineError::corrupt(number, "%FORMAT before any %FLAG"));
                };
                section.format = Some((number, format));
                pending_format = false;
            } else if line.starts_with("%COMMENT") || (line.starts_with("%VERSION") && number == 1)
            {
                // Nothing we read.
            } else if line.starts_with('%') {
                let msg = format!(
                    "{:?} is not a %VERSION (first line), %FLAG, %FORMAT or %COMMENT line",
                    line.trim()
                );
                return Err(LineError::corrupt(number, msg));
            } else if let Some((name, section)) = current.as_mut() {
                if pending_format {
                    let msg = format!("%FLAG {name} has no %FORMAT line before its data");
                    return Err(LineError::corrupt(number, msg));
                }
                section.lines.push((number, line));
            }
        }
        if let Some((name, section)) = current {
            by_flag.insert(name, section);
        }
        Ok(Sections { by_flag })
    }

    fn get(&self, flag: &'static str) -> Option<&Section<'a>> {
        self.by_flag.get(flag)
    }

    fn require(&self, flag: &'static str) -> Result<&Section<'a>, LineError> {
        self.get(flag).ok_or_else(|| LineError::corrupt(0, format!("no %FLAG {flag} section")))
    }

    /// The first `n` fields of `flag`, parsed; fewer than `n` is an error naming both counts.
    /// Allocation grows with the values actually present, never with a claimed `n`.
    fn values<T>(
        &self,
        flag: &'static str,
        n: usize,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Vec<T>, LineError> {
        let section = self.require(flag)?;
        let mut out = Vec::new();
        for (line, field) in section.fields()?.take(n) {
            let text = std::str::from_utf8(field)
                .map_err(|_| LineError::corrupt(line, format!("%FLAG {flag} holds non-ASCII")))?;
            out.push(parse(text).ok_or_else(|| LineError::parse(line, flag_field(flag), text))?);
        }
        if out.len() < n {
            let msg = format!("%FLAG {flag} holds {} values, POINTERS announce {n}", out.len());
            return Err(LineError::corrupt(section.flag_line, msg));
        }
        Ok(out)
    }

    fn ints(&self, flag: &'static str, n: usize) -> Result<Vec<i64>, LineError> {
        self.values(flag, n, |t| t.trim().parse().ok())
    }

    fn floats(&self, flag: &'static str, n: usize) -> Result<Vec<f64>, LineError> {
        // Fortran writers may use a D exponent.
        self.values(flag, n, |t| t.trim().replace(['D', 'd'], "E").parse().ok())
    }

    fn strings(&self, flag: &'static str, n: usize) -> Result<Vec<String>, LineError> {
        self.values(flag, n, |t| Some(t.trim().to_string()))
    }
}

/// What a section's values are, for parse errors.
fn flag_field(flag: &'static str) -> &'static str {
    match flag {
        "POINTERS" => "pointer",
        "CHARGE" => "charge",
        "MASS" => "mass",
        "ATOMIC_NUMBER" => "atomic number",
        "RESIDUE_POINTER" => "residue pointer",
        "BONDS_INC_HYDROGEN" | "BONDS_WITHOUT_HYDROGEN" => "bond index",
        _ => "field",
    }
}

/// `(20a4)`, `(10I8)`, `(5E16.8)`: fields per line and field width.
fn parse_format(spec: &str, line: usize) -> Result<(usize, usize), LineError> {
    let bad = || LineError::parse(line, "%FORMAT", spec);
    let inner = spec.trim().strip_prefix('(').and_then(|s| s.split(')').next()).ok_or_else(bad)?;
    let letter = inner.find(|c: char| c.is_ascii_alphabetic()).ok_or_else(bad)?;
    let count = if letter == 0 { 1 } else { inner[..letter].parse().map_err(|_| bad())? };
    let width_text = inner[letter + 1..].split('.').next().unwrap_or("");
    let width: usize = width_text.parse().map_err(|_| bad())?;
    if count == 0 || width == 0 || count > 1024 || width > 1024 {
        return Err(bad());
    }
    Ok((count, width))
}

/// Parses a prmtop file (Amber 7 and later: `%FLAG` sections; the pre-7 layout is refused).
pub(crate) fn parse_topology(text: &str) -> Result<Topology, LineError> {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if !first.starts_with('%') {
        return Err(LineError::new(
            1,
            ReadErrorKind::BadMagic(format!(
                "an Amber prmtop starts with %VERSION or %FLAG, found {:?} (GROMACS .top \
                 files are not read: give the system as .gro or .pdb)",
                first.trim()
            )),
        ));
    }
    let sections = Sections::split(text)?;
    let pointers = sections.ints("POINTERS", 12)?;
    let count = |k: usize, what: &str| {
        usize::try_from(pointers[k]).map_err(|_| {
            let msg = format!("POINTERS give a negative {what} ({})", pointers[k]);
            LineError::corrupt(sections.get("POINTERS").map_or(0, |s| s.flag_line), msg)
        })
    };
    let (n_atoms, n_res) = (count(0, "atom count")?, count(11, "residue count")?);
    let (n_bonds_h, n_bonds) = (count(2, "bond count")?, count(3, "bond count")?);

    let names = sections.strings("ATOM_NAME", n_atoms)?;
    let charges = optional(&sections, "CHARGE", |s| s.floats("CHARGE", n_atoms))?;
    let masses = optional(&sections, "MASS", |s| s.floats("MASS", n_atoms))?;
    let numbers = optional(&sections, "ATOMIC_NUMBER", |s| s.ints("ATOMIC_NUMBER", n_atoms))?;
    let resnames = sections.strings("RESIDUE_LABEL", n_res)?;
    let chains = optional(&sections, "RESIDUE_CHAINID", |s| s.strings("RESIDUE_CHAINID", n_res))?;
    let residue_of = residue_indices(&sections, n_atoms, n_res)?;

    let atoms = (0..n_atoms)
        .map(|i| {
            let r = residue_of[i];
            let chain = chains.as_ref().map_or_else(String::new, |c| c[r].clone());
            let element = match &numbers {
                Some(z) => element_of(z[i]).to_string(),
                None => guess_element(&names[i]),
            };
            Atom {
                name: names[i].clone(),
                resname: resnames[r].clone(),
                // Residues are numbered 1.. in file order, as MDAnalysis does.
                resid: i32::try_from(r + 1).unwrap_or(i32::MAX),
                segid: chain.clone(),
                chain,
                element,
                mass: masses.as_ref().map(|m| m[i]),
                charge: charges.as_ref().map(|q| q[i] / AMBER_CHARGE_UNIT),
            }
        })
        .collect();
    let mut bonds = bond_pairs(&sections, "BONDS_INC_HYDROGEN", n_bonds_h, n_atoms)?;
    bonds.extend(bond_pairs(&sections, "BONDS_WITHOUT_HYDROGEN", n_bonds, n_atoms)?);
    bonds.sort_unstable();
    bonds.dedup();
    Ok(Topology { atoms, bonds, positions: None, unit_cell: None })
}

fn optional<'a, T>(
    sections: &Sections<'a>,
    flag: &'static str,
    read: impl FnOnce(&Sections<'a>) -> Result<T, LineError>,
) -> Result<Option<T>, LineError> {
    if sections.get(flag).is_some() { read(sections).map(Some) } else { Ok(None) }
}

/// Each atom's residue index, from RESIDUE_POINTER (1-based first atom of each residue).
fn residue_indices(
    sections: &Sections<'_>,
    n_atoms: usize,
    n_res: usize,
) -> Result<Vec<usize>, LineError> {
    let starts = sections.ints("RESIDUE_POINTER", n_res)?;
    let line = sections.get("RESIDUE_POINTER").map_or(0, |s| s.flag_line);
    if n_atoms > 0 && starts.first() != Some(&1) {
        return Err(LineError::corrupt(line, "RESIDUE_POINTER does not start at atom 1"));
    }
    let mut residue_of = Vec::with_capacity(n_atoms);
    for (r, &start) in starts.iter().enumerate() {
        let end = starts.get(r + 1).copied().unwrap_or(n_atoms as i64 + 1);
        if end <= start || end > n_atoms as i64 + 1 {
            let msg = format!(
                "RESIDUE_POINTER {} of residue {} is not before {end} within 1..={n_atoms}",
                start,
                r + 1
            );
            return Err(LineError::corrupt(line, msg));
        }
        residue_of.resize(residue_of.len() + (end - start) as usize, r);
    }
    Ok(residue_of)
}

/// `n` bonds of a BONDS_* section: triples (3·i, 3·j, type) of coordinate-array offsets.
fn bond_pairs(
    sections: &Sections<'_>,
    flag: &'static str,
    n: usize,
    n_atoms: usize,
) -> Result<Vec<(u32, u32)>, LineError> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let values = sections.ints(flag, n.saturating_mul(3))?;
    let line = sections.get(flag).map_or(0, |s| s.flag_line);
    let atom = |v: i64| {
        let i = v / 3;
        if v < 0 || v % 3 != 0 || i >= n_atoms as i64 {
            let msg = format!("{flag} offset {v} is not 3·i for an atom i in 0..{n_atoms}");
            return Err(LineError::corrupt(line, msg));
        }
        Ok(i as u32)
    };
    values
        .chunks_exact(3)
        .map(|t| {
            let (a, b) = (atom(t[0])?, atom(t[1])?);
            Ok((a.min(b), a.max(b)))
        })
        .collect()
}

/// The element of atomic number `z`; empty for 0, negative (extra points) or unknown numbers.
fn element_of(z: i64) -> &'static str {
    usize::try_from(z)
        .ok()
        .and_then(|z| z.checked_sub(1))
        .and_then(|k| BY_NUMBER.get(k))
        .map_or("", |s| s)
}

const BY_NUMBER: &[&str] = &[
    "H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P", "S", "Cl",
    "Ar", "K", "Ca", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Ge", "As",
    "Se", "Br", "Kr", "Rb", "Sr", "Y", "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd", "Ag", "Cd", "In",
    "Sn", "Sb", "Te", "I", "Xe", "Cs", "Ba", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb",
    "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Hf", "Ta", "W", "Re", "Os", "Ir", "Pt", "Au", "Hg", "Tl",
    "Pb", "Bi", "Po", "At", "Rn", "Fr", "Ra", "Ac", "Th", "Pa", "U",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_give_count_and_width() {
        assert_eq!(parse_format("(20a4)", 1).unwrap(), (20, 4));
        assert_eq!(parse_format("(10I8)  ", 1).unwrap(), (10, 8));
        assert_eq!(parse_format("(5E16.8)", 1).unwrap(), (5, 16));
        assert_eq!(parse_format("(a80)", 1).unwrap(), (1, 80));
        assert!(parse_format("(20)", 1).is_err());
        assert!(parse_format("10I8", 1).is_err());
    }

    #[test]
    fn atomic_numbers_name_elements() {
        assert_eq!(element_of(1), "H");
        assert_eq!(element_of(6), "C");
        assert_eq!(element_of(17), "Cl");
        assert_eq!(element_of(0), "");
        assert_eq!(element_of(-1), "");
        assert_eq!(element_of(500), "");
    }
}
