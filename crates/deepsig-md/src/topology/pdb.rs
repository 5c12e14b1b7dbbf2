//! PDB topology: ATOM/HETATM records of the first model, CONECT bonds, CRYST1 box.

use std::collections::HashMap;

use super::{LineError, cell_from_dimensions, field, guess_element, parse_f32, parse_leading_int};
use crate::model::{Atom, Topology, UnitCell};

/// Whether a line is an ATOM or HETATM record.
pub(crate) fn is_atom_record(line: &str) -> bool {
    line.starts_with("ATOM  ") || line.starts_with("HETATM") || line == "ATOM" || line == "HETATM"
}

/// The x, y, z columns (31-54) of an ATOM/HETATM record, in Angstrom.
pub(crate) fn parse_coords(line: &str, lineno: usize) -> Result<[f32; 3], LineError> {
    Ok([
        parse_f32(field(line, 30, 38), lineno, "x coordinate")?,
        parse_f32(field(line, 38, 46), lineno, "y coordinate")?,
        parse_f32(field(line, 46, 54), lineno, "z coordinate")?,
    ])
}

/// A CRYST1 record as a unit cell; `None` for MDAnalysis's "no box" placeholders (zeros, or the
/// 1 Angstrom cube that some writers emit).
pub(crate) fn parse_cryst1(line: &str, lineno: usize) -> Result<Option<UnitCell>, LineError> {
    let cols = [(6, 15), (15, 24), (24, 33), (33, 40), (40, 47), (47, 54)];
    let mut dims = [0.0f64; 6];
    let fixed_ok = cols
        .iter()
        .zip(dims.iter_mut())
        .all(|(&(a, b), d)| field(line, a, b).parse::<f64>().map(|v| *d = v).is_ok());
    if !fixed_ok {
        // Some writers do not keep the columns; whitespace-separated values still say enough.
        let vals: Vec<f64> = line
            .get(6..)
            .unwrap_or("")
            .split_whitespace()
            .take(6)
            .map(str::parse::<f64>)
            .collect::<Result<_, _>>()
            .map_err(|_| LineError::parse(lineno, "CRYST1 cell", line))?;
        if vals.len() < 6 {
            return Err(LineError::parse(lineno, "CRYST1 cell", line));
        }
        dims.copy_from_slice(&vals);
    }
    if dims[..3] == [1.0, 1.0, 1.0] && dims[3..] == [90.0, 90.0, 90.0] {
        return Ok(None);
    }
    Ok(cell_from_dimensions(dims))
}

/// PDB's 4-column resSeq wraps at 10000; like MDAnalysis, a drop of more than 5000 from the
/// previous atom's resid is taken as a wrap.
pub(crate) fn unwrap_resid(resid: i32, previous: Option<i32>) -> i32 {
    let Some(prev) = previous else { return resid };
    let gap = i64::from(prev) - i64::from(resid);
    if gap <= 5000 {
        return resid;
    }
    let wraps = (gap - 5000 + 9999) / 10000;
    i32::try_from(i64::from(resid) + 10000 * wraps).unwrap_or(i32::MAX)
}

fn parse_atom(line: &str, lineno: usize) -> Result<Atom, LineError> {
    let name = field(line, 12, 16).to_string();
    let resid_text = field(line, 22, 26);
    let resid = if resid_text.is_empty() {
        0
    } else {
        parse_leading_int(resid_text)
            .ok_or_else(|| LineError::parse(lineno, "resid", resid_text))?
    };
    let chain = field(line, 21, 22).to_string();
    let segid = match field(line, 72, 76) {
        "" => chain.clone(),
        s => s.to_string(),
    };
    let element = match field(line, 76, 78) {
        "" => guess_element(&name),
        e if e.chars().all(|c| c.is_ascii_alphabetic()) => super::capitalise(e),
        _ => guess_element(&name),
    };
    Ok(Atom {
        resname: field(line, 17, 21).to_string(),
        name,
        resid,
        segid,
        chain,
        element,
        mass: None,
        charge: None,
    })
}

/// Parses the first model of a PDB file; CONECT records anywhere are read as bonds.
pub(crate) fn parse_topology(text: &str) -> Result<Topology, LineError> {
    let mut atoms = Vec::new();
    let mut positions = Vec::new();
    let mut serials: HashMap<i64, u32> = HashMap::new();
    let mut conect: Vec<(usize, &str)> = Vec::new();
    let mut unit_cell = None;
    let mut seen_model = false;
    let mut in_first_model = true;
    for (i, raw) in text.lines().enumerate() {
        let lineno = i + 1;
        let line = raw.trim_end_matches('\r');
        if line.starts_with("CONECT") {
            conect.push((lineno, line));
        } else if !in_first_model {
            continue;
        } else if is_atom_record(line) {
            let index = u32::try_from(atoms.len())
                .map_err(|_| LineError::corrupt(lineno, "more than 2^32 atoms"))?;
            if let Ok(serial) = field(line, 6, 11).parse::<i64>() {
                serials.insert(serial, index);
            }
            positions.push(parse_coords(line, lineno)?);
            let mut atom = parse_atom(line, lineno)?;
            atom.resid = unwrap_resid(atom.resid, atoms.last().map(|a: &Atom| a.resid));
            atoms.push(atom);
        } else if line.starts_with("CRYST1") {
            unit_cell = parse_cryst1(line, lineno)?;
        } else if line.starts_with("MODEL") {
            if seen_model {
                in_first_model = false;
            }
            seen_model = true;
        } else if line.starts_with("ENDMDL") {
            in_first_model = false;
        } else if line.starts_with("END") && !line.starts_with("ENDMDL") {
            break;
        }
    }
    if atoms.is_empty() {
        return Err(LineError::corrupt(0, "no ATOM or HETATM records"));
    }
    let bonds = parse_conect(&conect, &serials)?;
    Ok(Topology { atoms, bonds, positions: Some(positions), unit_cell })
}

fn parse_conect(
    records: &[(usize, &str)],
    serials: &HashMap<i64, u32>,
) -> Result<Vec<(u32, u32)>, LineError> {
    let mut bonds = Vec::new();
    for &(lineno, line) in records {
        let lookup = |a: usize| -> Result<Option<u32>, LineError> {
            let text = field(line, a, a + 5);
            if text.is_empty() {
                return Ok(None);
            }
            let serial: i64 =
                text.parse().map_err(|_| LineError::parse(lineno, "CONECT atom serial", text))?;
            serials.get(&serial).copied().map(Some).ok_or_else(|| {
                LineError::corrupt(
                    lineno,
                    format!("CONECT names atom serial {serial}, which no ATOM/HETATM record has"),
                )
            })
        };
        let Some(from) = lookup(6)? else {
            return Err(LineError::parse(lineno, "CONECT atom serial", line));
        };
        for a in [11, 16, 21, 26] {
            if let Some(to) = lookup(a)?
                && to != from
            {
                bonds.push((from.min(to), from.max(to)));
            }
        }
    }
    bonds.sort_unstable();
    bonds.dedup();
    Ok(bonds)
}
