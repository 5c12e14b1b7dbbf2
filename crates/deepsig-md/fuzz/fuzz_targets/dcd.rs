//! Fuzz target: arbitrary bytes through the DCD reader must give frames or errors, never a
//! panic, hang or huge allocation.
#![no_main]

use deepsig_md::{DcdReader, Frame, FrameReader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = DcdReader::new(std::io::Cursor::new(data), "fuzz.dcd") else {
        return;
    };
    let mut frame = Frame::default();
    while let Ok(true) = reader.read_next(&mut frame) {
        assert_eq!(frame.positions.len(), reader.n_atoms());
    }
    // Random access after a full pass exercises the offset index and the seek paths.
    if reader.seek_frame(1).is_ok() {
        let _ = reader.read_next(&mut frame);
    }
});
