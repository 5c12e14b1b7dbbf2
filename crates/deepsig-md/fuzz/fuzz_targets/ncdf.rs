//! Fuzz target: arbitrary bytes through the Amber NetCDF reader (both truncation policies)
//! must give frames or errors, never a panic, hang or huge allocation.
#![no_main]

use deepsig_md::{Frame, FrameReader, NcdfReader, ReadOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&policy, rest)) = data.split_first() else { return };
    let options = ReadOptions::allowing_truncated(policy & 1 == 1);
    let Ok(mut reader) = NcdfReader::from_bytes(rest.to_vec(), "fuzz.nc", options) else {
        return;
    };
    let mut frame = Frame::default();
    while let Ok(true) = reader.read_next(&mut frame) {
        assert_eq!(frame.positions.len(), reader.n_atoms());
    }
    if reader.seek_frame(1).is_ok() {
        let _ = reader.read_next(&mut frame);
    }
});
