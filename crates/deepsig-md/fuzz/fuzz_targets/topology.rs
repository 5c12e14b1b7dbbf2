//! Fuzz target: arbitrary text through the PDB, GRO, PSF and prmtop topology parsers must give a
//! topology or an error naming the line, never a panic, hang or huge allocation.
#![no_main]

use deepsig_md::{Format, parse_topology};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let format = [Format::Pdb, Format::Gro, Format::Psf, Format::Prmtop][usize::from(which) % 4];
    let text = String::from_utf8_lossy(rest);
    if let Ok(topology) = parse_topology(&text, format) {
        if let Some(p) = &topology.positions {
            assert_eq!(p.len(), topology.atoms.len());
        }
        for &(i, j) in &topology.bonds {
            assert!((i as usize) < topology.atoms.len() && (j as usize) < topology.atoms.len());
        }
    }
});
