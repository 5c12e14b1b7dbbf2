//! Writing atoms as PDB ATOM records, with per-atom occupancy and B-factor columns (what
//! VMD and PyMOL colour by), readable back by this crate's PDB reader.

use std::io::{self, Write};

use crate::model::Atom;

/// One ATOM record to write.
#[derive(Debug, Clone, Copy)]
pub struct PdbRecord<'a> {
    /// The atom (name, residue, chain, segment, element).
    pub atom: &'a Atom,
    /// Position in Angstrom.
    pub position: [f32; 3],
    /// Occupancy column (54-60), written with two decimals.
    pub occupancy: f64,
    /// Temperature-factor column (60-66), written with two decimals.
    pub b_factor: f64,
}

/// Writes `remarks` as REMARK lines, then one ATOM record per entry (serials 1, 2, ...,
/// wrapping at 99 999 as the fixed columns require), then END.
pub fn write_pdb<'a>(
    out: &mut dyn Write,
    remarks: &[String],
    records: impl IntoIterator<Item = PdbRecord<'a>>,
) -> io::Result<()> {
    for remark in remarks {
        for line in remark.lines() {
            writeln!(out, "REMARK {line}")?;
        }
    }
    for (i, r) in records.into_iter().enumerate() {
        let a = r.atom;
        // Names shorter than four characters start in column 14, so that the element's
        // letters line up as the format intends (" CA ").
        let name = if a.name.len() < 4 { format!(" {:<3}", a.name) } else { a.name.clone() };
        let chain = a.chain.chars().next().unwrap_or(' ');
        let [x, y, z] = r.position;
        writeln!(
            out,
            "ATOM  {:>5} {:<4} {:>3} {}{:>4}    {:>8.3}{:>8.3}{:>8.3}{:>6.2}{:>6.2}      {:<4}{:>2}",
            (i + 1) % 100_000,
            truncate(&name, 4),
            truncate(&a.resname, 3),
            chain,
            a.resid.rem_euclid(10_000),
            x,
            y,
            z,
            r.occupancy,
            r.b_factor,
            truncate(&a.segid, 4),
            truncate(&a.element, 2),
        )?;
    }
    writeln!(out, "END")
}

fn truncate(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(i, _)| &s[..i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_topology;

    #[test]
    fn written_records_read_back_with_their_columns() {
        let atom = |name: &str, resid| Atom {
            name: name.into(),
            resname: "ALA".into(),
            resid,
            segid: "PROA".into(),
            chain: "A".into(),
            element: "C".into(),
            mass: None,
            charge: None,
        };
        let atoms = [atom("CA", 7), atom("HD11", 8)];
        let mut text = Vec::new();
        let records = atoms.iter().enumerate().map(|(i, a)| PdbRecord {
            atom: a,
            position: [1.5, -2.25, 100.0 * i as f32],
            occupancy: 0.75,
            b_factor: i as f64 + 2.0,
        });
        write_pdb(&mut text, &["two atoms".into()], records).unwrap();
        let text = String::from_utf8(text).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "REMARK two atoms");
        assert_eq!(&lines[1][12..16], " CA ");
        assert_eq!(&lines[2][12..16], "HD11");
        assert_eq!(lines[2][54..60].trim(), "0.75");
        assert_eq!(lines[2][60..66].trim(), "3.00");
        let top = parse_topology(&text, crate::Format::Pdb).unwrap();
        assert_eq!(top.atoms.len(), 2);
        assert_eq!(top.atoms[1].name, "HD11");
        assert_eq!(top.atoms[1].resid, 8);
        assert_eq!(top.atoms[0].segid, "PROA");
        assert_eq!(top.positions.unwrap()[1], [1.5, -2.25, 100.0]);
    }
}
