//! Fuzz target: arbitrary text through the Amber prmtop parser must give a topology whose
//! bonds join existing atoms, or an error naming the line, never a panic, hang or huge
//! allocation.
#![no_main]

use deepsig_md::{Format, parse_topology};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(topology) = parse_topology(&text, Format::Prmtop) {
        for &(i, j) in &topology.bonds {
            assert!(i < j && (j as usize) < topology.atoms.len());
        }
    }
});
