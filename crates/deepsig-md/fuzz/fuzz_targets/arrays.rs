//! Fuzz target: arbitrary bytes as a `.npy` or `.npz` file and as an edge list read to arrays
//! and edges or errors, never a panic or an allocation the file's size does not justify.
//! The in-memory parsers are the ones the path readers call after reading the file.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    match which % 3 {
        0 | 1 => {
            let label = Path::new(if which % 3 == 0 { "x.npy" } else { "x.npz" });
            if let Ok(array) = deepsig_md::parse_array(rest, label) {
                assert_eq!(array.to_f32().len(), array.shape().iter().product::<usize>());
            }
        }
        _ => {
            let text = String::from_utf8_lossy(rest);
            let _ = deepsig_md::parse_edge_list(&text, Path::new("edges.csv"));
        }
    }
});
