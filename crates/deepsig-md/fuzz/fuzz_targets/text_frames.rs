//! Fuzz target: arbitrary text through the multi-model PDB and multi-frame GRO trajectory
//! readers must give frames of the header's atom count or errors, never a panic.
#![no_main]

use deepsig_md::{Frame, FrameReader, GroReader, PdbReader};
use libfuzzer_sys::fuzz_target;

fn drain(mut reader: impl FrameReader) {
    let mut frame = Frame::default();
    let mut frames = 0;
    while let Ok(true) = reader.read_next(&mut frame) {
        assert_eq!(frame.positions.len(), reader.n_atoms());
        frames += 1;
        if frames > 10_000 {
            break;
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let cursor = std::io::Cursor::new(rest.to_vec());
    if which % 2 == 0 {
        if let Ok(r) = PdbReader::new(cursor, "fuzz.pdb") {
            drain(r);
        }
    } else if let Ok(r) = GroReader::new(cursor, "fuzz.gro") {
        drain(r);
    }
});
