//! PSF topology: CHARMM (standard and EXT columns) and NAMD/X-PLOR (whitespace) atoms, bonds.

use super::{LineError, field, guess_element, parse_leading_int};
use crate::model::{Atom, Topology};

/// Column layout of the atom section, from the header flags.
#[derive(Clone, Copy)]
enum Columns {
    Standard,
    Extended,
}

/// One parsed `N !NAME` section header.
fn section_header(line: &str) -> Option<(usize, &str)> {
    let (count, rest) = line.split_once('!')?;
    let n = count.trim().parse().ok()?;
    let name = rest.split(|c: char| c == ':' || c.is_whitespace()).next()?;
    Some((n, name))
}

/// Parses a PSF file: its atoms (with masses and charges) and its `!NBOND` bonds.
pub(crate) fn parse_topology(text: &str) -> Result<Topology, LineError> {
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    let header = lines.first().copied().unwrap_or("");
    if !header.trim_start().starts_with("PSF") {
        return Err(LineError::new(
            1,
            crate::error::ReadErrorKind::BadMagic(format!(
                "a psf file starts with \"PSF\", found {:?}",
                header.trim()
            )),
        ));
    }
    let columns = if header.split_whitespace().any(|w| w == "EXT") {
        Columns::Extended
    } else {
        Columns::Standard
    };
    let mut atoms: Option<Vec<Atom>> = None;
    let mut bonds = Vec::new();
    // A section given twice would leave bonds of one atom list beside another (fuzzing found
    // bonds to atoms that a second, shorter !NATOM no longer held): each may appear once.
    let mut seen: Vec<(&str, usize)> = Vec::new();
    let mut i = 1;
    while i < lines.len() {
        let Some((n, name)) = section_header(lines[i]) else {
            i += 1;
            continue;
        };
        let start = i + 1;
        if name == "NATOM" || name == "NBOND" {
            if let Some((_, first)) = seen.iter().find(|(s, _)| *s == name) {
                let msg = format!("a second !{name} section (the first is at line {first})");
                return Err(LineError::corrupt(i + 1, msg));
            }
            seen.push((name, i + 1));
        }
        match name {
            "NATOM" => {
                let end = start.checked_add(n).filter(|&e| e <= lines.len()).ok_or_else(|| {
                    LineError::corrupt(
                        i + 1,
                        format!("!NATOM announces {n} atom lines, the file ends first"),
                    )
                })?;
                let parsed = (start..end)
                    .map(|k| parse_atom(lines[k], k + 1, columns))
                    .collect::<Result<Vec<_>, _>>()?;
                atoms = Some(parsed);
                i = end;
            }
            "NBOND" => {
                let n_atoms = atoms.as_ref().map_or(0, Vec::len);
                let (parsed, next) = parse_pairs(&lines, start, n, n_atoms, i + 1)?;
                bonds = parsed;
                i = next;
            }
            _ => i = start,
        }
    }
    let atoms = atoms.ok_or_else(|| LineError::corrupt(0, "no !NATOM section"))?;
    bonds.sort_unstable();
    bonds.dedup();
    Ok(Topology { atoms, bonds, positions: None, unit_cell: None })
}

/// Reads `n` index pairs (1-based) spread over lines from `start`; returns 0-based `i < j` pairs
/// and the index of the first line after them.
fn parse_pairs(
    lines: &[&str],
    start: usize,
    n: usize,
    n_atoms: usize,
    header_line: usize,
) -> Result<(Vec<(u32, u32)>, usize), LineError> {
    let mut values: Vec<u32> = Vec::with_capacity(2 * n.min(1 << 20));
    let mut k = start;
    while values.len() < 2 * n {
        let line = lines.get(k).ok_or_else(|| {
            LineError::corrupt(
                header_line,
                format!("!NBOND announces {n} bonds, the file ends after {}", values.len() / 2),
            )
        })?;
        for tok in line.split_whitespace() {
            let v: usize =
                tok.parse().map_err(|_| LineError::parse(k + 1, "bond atom index", tok))?;
            if v == 0 || v > n_atoms {
                return Err(LineError::corrupt(
                    k + 1,
                    format!("bond atom index {v} is outside 1..={n_atoms}"),
                ));
            }
            values.push((v - 1) as u32);
        }
        k += 1;
    }
    if values.len() != 2 * n {
        return Err(LineError::corrupt(
            k,
            format!("!NBOND announces {n} bonds, the section holds {} indices", values.len()),
        ));
    }
    let pairs = values.chunks_exact(2).map(|p| (p[0].min(p[1]), p[0].max(p[1]))).collect();
    Ok((pairs, k))
}

fn parse_atom(line: &str, lineno: usize, columns: Columns) -> Result<Atom, LineError> {
    if let Some(atom) = parse_atom_whitespace(line) {
        return Ok(atom);
    }
    // Fixed columns let a blank segid or touching fields still parse.
    let (seg, res, resn, name, charge, mass) = match columns {
        Columns::Standard => ((9, 13), (14, 18), (19, 23), (24, 28), (34, 48), (48, 62)),
        Columns::Extended => ((11, 19), (20, 28), (29, 37), (38, 46), (52, 66), (66, 80)),
    };
    let resid_text = field(line, res.0, res.1);
    let num = |r: (usize, usize), what: &'static str| {
        let t = field(line, r.0, r.1);
        t.parse::<f64>().map_err(|_| LineError::parse(lineno, what, t))
    };
    let name = field(line, name.0, name.1).to_string();
    Ok(Atom {
        segid: field(line, seg.0, seg.1).to_string(),
        resid: parse_leading_int(resid_text)
            .ok_or_else(|| LineError::parse(lineno, "resid", resid_text))?,
        resname: field(line, resn.0, resn.1).to_string(),
        element: guess_element(&name),
        name,
        charge: Some(num(charge, "charge")?),
        mass: Some(num(mass, "mass")?),
        chain: String::new(),
    })
}

/// `id segid resid resname name type charge mass ...`, as NAMD/VMD and most CHARMM files have.
fn parse_atom_whitespace(line: &str) -> Option<Atom> {
    let t: Vec<&str> = line.split_whitespace().collect();
    if t.len() < 8 {
        return None;
    }
    t[0].parse::<u64>().ok()?;
    let name = t[4].to_string();
    Some(Atom {
        segid: t[1].to_string(),
        resid: parse_leading_int(t[2])?,
        resname: t[3].to_string(),
        element: guess_element(&name),
        name,
        charge: Some(t[6].parse().ok()?),
        mass: Some(t[7].parse().ok()?),
        chain: String::new(),
    })
}
