//! Fuzz target: arbitrary bytes as a `.npy` or `.npz` file and as an edge list read to arrays
//! and edges or errors, never a panic or an allocation the file's size does not justify.
//! The readers take paths, so the input is written to a file in a per-process folder first.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let dir = std::env::temp_dir().join(format!("deepsig-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    match which % 3 {
        0 | 1 => {
            let path = dir.join(if which % 3 == 0 { "x.npy" } else { "x.npz" });
            std::fs::write(&path, rest).unwrap();
            if let Ok(array) = deepsig_md::read_array(&path) {
                assert_eq!(array.to_f32().len(), array.shape().iter().product::<usize>());
            }
        }
        _ => {
            let path = dir.join("edges.csv");
            std::fs::write(&path, rest).unwrap();
            let _ = deepsig_md::read_edge_list(&path);
        }
    }
});
