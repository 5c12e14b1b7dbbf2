//! Fuzz target: arbitrary selection expressions parse or fail with a column, and a parsed
//! one evaluates on a small topology to indices in range or an error, never a panic.
#![no_main]

use deepsig_md::{Format, Selection, parse_topology};
use libfuzzer_sys::fuzz_target;

const PDB: &str = "\
ATOM      1  N   ALA A   1       0.000   0.000   0.000  1.00  0.00      SEGA N
ATOM      2  CA  ALA A   1       1.458   0.000   0.000  1.00  0.00      SEGA C
ATOM      3  C   ALA A   1       2.009   1.420   0.000  1.00  0.00      SEGA C
ATOM      4  O   ALA A   1       1.251   2.390   0.000  1.00  0.00      SEGA O
ATOM      5  N   GLY A   2       3.332   1.536   0.000  1.00  0.00      SEGA N
ATOM      6  CA  GLY A   2       3.988   2.839   0.000  1.00  0.00      SEGA C
HETATM    7  O   HOH B   3      10.000  10.000  10.000  1.00  0.00      WAT  O
END
";

fuzz_target!(|data: &[u8]| {
    let Ok(expression) = std::str::from_utf8(data) else { return };
    let Ok(selection) = Selection::parse(expression) else { return };
    // Parsed once per process: the target measures the selection language, not the PDB reader.
    static TOPOLOGY: std::sync::OnceLock<deepsig_md::Topology> = std::sync::OnceLock::new();
    let topology = TOPOLOGY.get_or_init(|| parse_topology(PDB, Format::Pdb).unwrap());
    if let Ok(selected) = selection.evaluate(topology) {
        assert!(selected.indices().iter().all(|&i| (i as usize) < topology.atoms.len()));
    }
});
