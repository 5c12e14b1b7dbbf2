//! Graph systems (node time series on a given graph) through the data layer: windows, node
//! types, the cache key, the input shape, and the checks of channel counts and graph options.

use std::fs::File;
use std::path::Path;

use deepsig_md::{Manifest, write_npz};
use deepsig_model::dataset::{Dataset, DatasetOptions, SystemKind};
use deepsig_model::prepare::Prepared;
use deepsig_model::{Preset, TrainConfig};

/// Node values `(T, N, c)` of trajectory `k`: distinct, smooth, of order one.
fn values(k: usize, frames: usize, nodes: usize, channels: usize) -> Vec<f64> {
    (0..frames * nodes * channels)
        .map(|i| 1.0 + 0.1 * k as f64 + 0.01 * i as f64 + (i as f64 * 0.3).sin())
        .collect()
}

/// Writes `edges.csv`, two systems of `per_class` trajectories each (`channels[k]` channels in
/// system `k`), and `m.toml`.
pub(crate) fn write_graph_dataset(dir: &Path, channels: [usize; 2]) -> std::path::PathBuf {
    std::fs::write(dir.join("edges.csv"), "i,j\n0,1\n1,2\n2,3\n3,0\n").unwrap();
    let mut manifest = String::from("[windowing]\nwindows = 2\n");
    for (class, c) in channels.into_iter().enumerate() {
        let mut names = Vec::new();
        for k in 0..3 {
            let name = format!("c{class}_{k}.npz");
            let v = values(3 * class + k, 12, 4, c);
            write_npz(File::create(dir.join(&name)).unwrap(), &[("x", &v[..], &[12, 4, c][..])])
                .unwrap();
            names.push(format!("\"{name}\""));
        }
        manifest += &format!(
            "[[system]]\nname = \"s{class}\"\ngraph = \"edges.csv\"\nnodes = 4\ntrajectories = [{}]\nlabel = {class}\n",
            names.join(", ")
        );
    }
    let path = dir.join("m.toml");
    std::fs::write(&path, manifest).unwrap();
    path
}

fn config() -> TrainConfig {
    Preset::Small.config().with_overrides(&["clusters=2".into(), "sub_windows=2".into()]).unwrap()
}

#[test]
fn graph_systems_load_as_node_windows_through_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_graph_dataset(dir.path(), [2, 2]);
    let manifest = Manifest::load(&path).unwrap();
    let cache = dir.path().join("cache");
    let options = DatasetOptions::default();
    let (data, stats) = Dataset::load(&manifest, &options, Some(&cache)).unwrap();
    assert_eq!((stats.hits, stats.misses), (0, 6));
    let s = &data.systems[1];
    assert_eq!((s.kind, s.channels, s.n_atoms()), (SystemKind::Graph, 2, 4));
    assert_eq!(s.atom_names, ["node"; 4]);
    assert_eq!(s.residue_ids, [0, 1, 2, 3]);
    assert_eq!(s.edges, [(0, 1), (0, 3), (1, 2), (2, 3)]);
    // Window 1 of trajectory 4 holds frames 6..12 exactly as stored (no alignment, no
    // centring at this stage).
    let w = &data.trajectories[4].windows[1];
    assert_eq!((w.frames, w.channels), (6, 2));
    let raw = values(4, 12, 4, 2);
    let expected: Vec<f32> = raw[6 * 8..].iter().map(|&v| v as f32).collect();
    assert_eq!(w.coords, expected);
    let (again, stats) = Dataset::load(&manifest, &options, Some(&cache)).unwrap();
    assert_eq!((stats.hits, stats.misses), (6, 0));
    assert_eq!(again, data);
    // The edge list is part of the key: a changed graph is read again, not served stale.
    std::fs::write(dir.path().join("edges.csv"), "0,1\n1,2\n2,3\n").unwrap();
    let (changed, stats) = Dataset::load(&manifest, &options, Some(&cache)).unwrap();
    assert_eq!((stats.hits, stats.misses), (0, 6));
    assert_eq!(changed.systems[0].edges, [(0, 1), (1, 2), (2, 3)]);
}

#[test]
fn prepared_node_data_gives_its_channel_count_and_uncentred_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_graph_dataset(dir.path(), [1, 1]);
    let data = Prepared::load(&path, &config(), 0, None).unwrap();
    assert_eq!(data.input_shape().channels, 1);
    let sample = &data.samples[0];
    let raw = values(0, 12, 4, 1);
    let stored: Vec<f32> = raw[..24].iter().map(|&v| v as f32).collect();
    assert_eq!(sample.input.coords, stored, "node values are neither centred nor scaled");
    assert_eq!(sample.input.channels, 1);
}

#[test]
fn systems_with_different_channel_counts_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_graph_dataset(dir.path(), [1, 2]);
    let e = Prepared::load(&path, &config(), 0, None).err().unwrap().to_string();
    assert!(e.contains("s1 has 2 channels") && e.contains("s0 has 1"), "{e}");
}

#[test]
fn graph_systems_refuse_residue_cliques_and_one_way_edges() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_graph_dataset(dir.path(), [1, 1]);
    for (setting, expected) in
        [("edges=residue-cliques", "use edges=bonds"), ("directed=true", "use directed=false")]
    {
        let config = config().with_overrides(&[setting.into()]).unwrap();
        let e = Prepared::load(&path, &config, 0, None).err().unwrap().to_string();
        assert!(e.contains("s0 is a graph system") && e.contains(expected), "{setting}: {e}");
    }
}
