//! Fuzz target: arbitrary text as a dataset manifest parses or fails with a message naming
//! the key, never a panic.
#![no_main]

use deepsig_md::Manifest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(manifest) = Manifest::parse(text, "/fuzz/manifest.toml") {
        let _ = manifest.trajectories();
        let _ = manifest.given_split();
        let _ = manifest.windowing();
    }
});
