//! GRO topology: fixed-column atoms of the first frame, nm converted to Angstrom, 3/9-value box.

use super::{LineError, cell_from_nm_vectors, field, guess_element, parse_f32, parse_leading_int};
use crate::model::{Atom, Topology, UnitCell};

/// Width of one coordinate field: GROMACS writes `%n.mf` with n = m + 5; the distance
/// between the first two decimal points tells n (8 for the usual 3 decimals).
pub(crate) fn coord_width(line: &str, lineno: usize) -> Result<usize, LineError> {
    let rest = line.get(20..).unwrap_or("");
    let mut dots = rest.match_indices('.').map(|(i, _)| i);
    match (dots.next(), dots.next()) {
        (Some(a), Some(b)) if b > a => Ok(b - a),
        _ => Err(LineError::corrupt(lineno, "gro atom line has no coordinates after column 20")),
    }
}

/// Positions of one atom line in Angstrom: parsed to f32 nm, then multiplied by 10 in f32, as
/// MDAnalysis does.
pub(crate) fn parse_coords(line: &str, width: usize, lineno: usize) -> Result<[f32; 3], LineError> {
    let mut out = [0.0f32; 3];
    for (k, what) in ["x coordinate", "y coordinate", "z coordinate"].into_iter().enumerate() {
        let a = 20 + k * width;
        out[k] = parse_f32(field(line, a, a + width), lineno, what)? * 10.0;
    }
    Ok(out)
}

/// The box line: 3 values (rectangular) or 9 (triclinic: v1x v2y v3z v1y v1z v2x v2z v3x v3y).
pub(crate) fn parse_box(line: &str, lineno: usize) -> Result<Option<UnitCell>, LineError> {
    let vals: Vec<f32> = line
        .split_whitespace()
        .map(|t| parse_f32(t, lineno, "box value"))
        .collect::<Result<_, _>>()?;
    let v = match vals.len() {
        3 => [[vals[0], 0.0, 0.0], [0.0, vals[1], 0.0], [0.0, 0.0, vals[2]]],
        9 => {
            [[vals[0], vals[3], vals[4]], [vals[5], vals[1], vals[6]], [vals[7], vals[8], vals[2]]]
        }
        n => {
            return Err(LineError::corrupt(
                lineno,
                format!("gro box line must hold 3 or 9 values, found {n}"),
            ));
        }
    };
    Ok(cell_from_nm_vectors(v))
}

/// The atom count line (line 2 of each frame).
pub(crate) fn parse_count(line: &str, lineno: usize) -> Result<usize, LineError> {
    line.trim().parse().map_err(|_| LineError::parse(lineno, "gro atom count", line))
}

/// `t= 10.0 step= 5000` in a GROMACS title line, when present.
pub(crate) fn parse_title(title: &str) -> (Option<f64>, Option<i64>) {
    let after =
        |key: &str| title.find(key).and_then(|i| title[i + key.len()..].split_whitespace().next());
    let time = after("t=").and_then(|t| t.parse().ok());
    let step = after("step=").and_then(|t| t.parse().ok());
    (time, step)
}

fn parse_atom(line: &str, lineno: usize) -> Result<Atom, LineError> {
    let resid_text = field(line, 0, 5);
    let resid = parse_leading_int(resid_text)
        .ok_or_else(|| LineError::parse(lineno, "resid", resid_text))?;
    let name = field(line, 10, 15).to_string();
    Ok(Atom {
        resname: field(line, 5, 10).to_string(),
        element: guess_element(&name),
        name,
        resid,
        ..Atom::default()
    })
}

/// Parses the first frame of a GRO file.
pub(crate) fn parse_topology(text: &str) -> Result<Topology, LineError> {
    let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
    lines.next().ok_or_else(|| LineError::corrupt(1, "empty gro file"))?;
    let n = parse_count(lines.next().unwrap_or(""), 2)?;
    let mut atoms = Vec::with_capacity(n.min(1 << 20));
    let mut positions = Vec::with_capacity(n.min(1 << 20));
    let mut width = 0;
    for i in 0..n {
        let lineno = i + 3;
        let line = lines.next().ok_or_else(|| {
            LineError::corrupt(lineno, format!("gro file ends after {i} of {n} atom lines"))
        })?;
        if i == 0 {
            width = coord_width(line, lineno)?;
        }
        positions.push(parse_coords(line, width, lineno)?);
        atoms.push(parse_atom(line, lineno)?);
    }
    let box_line = lines
        .next()
        .ok_or_else(|| LineError::corrupt(n + 3, "gro file ends before the box line"))?;
    let unit_cell = parse_box(box_line, n + 3)?;
    Ok(Topology { atoms, bonds: Vec::new(), positions: Some(positions), unit_cell })
}
