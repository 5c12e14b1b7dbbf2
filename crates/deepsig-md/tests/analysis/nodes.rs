//! Graph systems: manifest keys and their errors, edge lists, and node time series in .npy
//! and .npz files (written with the crate's writers, read back, truncated, inconsistent).

use std::fs::File;
use std::path::{Path, PathBuf};

use deepsig_md::{
    ArrayErrorKind, FloatArray, Manifest, ManifestError, ManifestErrorKind, NodeDataErrorKind,
    SystemSource, read_array, read_edge_list, write_npy, write_npz,
};

fn parse(text: &str) -> Result<Manifest, ManifestError> {
    Manifest::parse(text, "/data/set/manifest.toml")
}

fn graph_system(extra: &str) -> String {
    format!(
        "[[system]]\nname = \"g\"\ngraph = \"edges.csv\"\ntrajectories = [\"t0.npz\"]\nlabel = 0\n{extra}"
    )
}

fn err(text: &str) -> ManifestError {
    parse(text).err().unwrap_or_else(|| panic!("should fail:\n{text}"))
}

#[test]
fn a_graph_system_parses_without_any_selection() {
    let m = parse(&graph_system("nodes = 4\ngroup = \"a\"")).unwrap_or_else(|e| panic!("{e}"));
    let s = &m.systems()[0];
    assert!(s.is_graph());
    assert_eq!(
        s.source,
        SystemSource::Graph { graph: PathBuf::from("/data/set/edges.csv"), nodes: Some(4) }
    );
    assert_eq!(s.trajectories, [PathBuf::from("/data/set/t0.npz")]);
    assert_eq!(m.selection(), None);
    assert_eq!(m.selection_for(s), None);
    assert_eq!(m.split_units()[0].group.as_deref(), Some("a"));
}

#[test]
fn graph_and_molecule_keys_are_not_mixed() {
    let e = err(&graph_system("topology = \"t.pdb\""));
    assert_eq!((e.entry.as_deref(), &e.kind), (Some("g"), &ManifestErrorKind::TopologyAndGraph));
    let e = err(&graph_system("selection = \"all\""));
    assert_eq!(e.kind, ManifestErrorKind::KeyNotForKind { key: "selection", kind: "graph" });
    assert!(e.to_string().contains("system g") && e.to_string().contains("`selection`"), "{e}");
    let e = err(&graph_system("nodes = 0"));
    assert_eq!(e.kind, ManifestErrorKind::ZeroNodes);
    let e = err(&graph_system("").replace("graph = \"edges.csv\"\n", ""));
    assert_eq!(e.kind, ManifestErrorKind::NoTopologyOrGraph);
    let molecule =
        "[[system]]\nname = \"m\"\ntopology = \"t.pdb\"\ntrajectories = \"t.xtc\"\nlabel = 1\n";
    let e = err(&format!("{molecule}nodes = 3\n"));
    assert_eq!(e.kind, ManifestErrorKind::KeyNotForKind { key: "nodes", kind: "molecule" });
    // A molecule needs a selection from somewhere; a graph system in the same file does not.
    let e = err(&format!("{}{molecule}", graph_system("")));
    assert_eq!((e.entry.as_deref(), &e.kind), (Some("m"), &ManifestErrorKind::NoSelection));
    assert!(parse(&format!("{}{molecule}selection = \"all\"\n", graph_system(""))).is_ok());
}

/// Writes `values` (T, N, c) as an .npz with member `x`.
fn write_series(path: &Path, values: &[f64], shape: [usize; 3]) {
    let file = File::create(path).unwrap_or_else(|e| panic!("{e}"));
    write_npz(file, &[("x", values, &shape[..])]).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn npy_and_npz_round_trip_and_truncation_is_an_error() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data: Vec<f32> = (0..24).map(|i| i as f32 * 0.5 - 3.0).collect();
    let npy = dir.path().join("a.npy");
    let mut bytes = Vec::new();
    write_npy(&mut bytes, &data, &[2, 3, 4]).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&npy, &bytes).unwrap_or_else(|e| panic!("{e}"));
    let back = read_array(&npy).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, FloatArray::F32 { data: data.clone(), shape: vec![2, 3, 4] });
    // Truncated data: the header promises 24 values.
    std::fs::write(&npy, &bytes[..bytes.len() - 5]).unwrap_or_else(|e| panic!("{e}"));
    let e = read_array(&npy).err().unwrap_or_else(|| panic!("truncated .npy read"));
    assert!(matches!(e.kind, ArrayErrorKind::Truncated(_)), "{e}");
    assert!(e.to_string().contains("a.npy"), "{e}");

    let npz = dir.path().join("b.npz");
    let wide: Vec<f64> = data.iter().map(|&v| f64::from(v)).collect();
    let file = File::create(&npz).unwrap_or_else(|e| panic!("{e}"));
    write_npz(file, &[("other", &wide[..4], &[4][..]), ("x", &wide[..], &[2, 12][..])])
        .unwrap_or_else(|e| panic!("{e}"));
    let back = read_array(&npz).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, FloatArray::F64 { data: wide.clone(), shape: vec![2, 12] }, "member x");
    let bytes = std::fs::read(&npz).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&npz, &bytes[..bytes.len() / 2]).unwrap_or_else(|e| panic!("{e}"));
    let e = read_array(&npz).err().unwrap_or_else(|| panic!("truncated .npz read"));
    assert!(matches!(e.kind, ArrayErrorKind::Archive(_)), "{e}");
    // Several members and none named x: ambiguous.
    let file = File::create(&npz).unwrap_or_else(|e| panic!("{e}"));
    write_npz(file, &[("a", &wide[..2], &[2][..]), ("b", &wide[..2], &[2][..])])
        .unwrap_or_else(|e| panic!("{e}"));
    let e = read_array(&npz).err().unwrap_or_else(|| panic!("ambiguous .npz read"));
    assert!(matches!(&e.kind, ArrayErrorKind::AmbiguousArchive(n) if n.len() == 2), "{e}");
    // Not an array at all.
    std::fs::write(&npz, "i,j\n0,1\n").unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(read_array(&npz).map_err(|e| e.kind), Err(ArrayErrorKind::NotNpy(_))));
}

#[test]
fn edge_lists_allow_a_header_and_comments_and_name_bad_lines() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("edges.csv");
    std::fs::write(&path, "source,target\n# a comment\n0,1\n\n2 1\n1,0\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let edges = read_edge_list(&path).unwrap_or_else(|e| panic!("{e}"));
    let pairs: Vec<_> = edges.iter().map(|e| (e.i, e.j, e.line)).collect();
    assert_eq!(pairs, [(0, 1, 3), (2, 1, 5), (1, 0, 6)]);
    std::fs::write(&path, "0,1\n1,x\n").unwrap_or_else(|e| panic!("{e}"));
    let e = read_edge_list(&path).err().unwrap_or_else(|| panic!("bad line read"));
    assert!(matches!(e.kind, NodeDataErrorKind::BadEdgeLine { line: 2, .. }), "{e}");
    std::fs::write(&path, "0,-1\n").unwrap_or_else(|e| panic!("{e}"));
    assert!(read_edge_list(&path).is_err(), "a negative index is not a node");
}

/// A folder with a manifest of one graph system over the given trajectories.
fn graph_folder(
    edges: &str,
    extra: &str,
    series: &[(&str, Vec<f64>, [usize; 3])],
) -> (tempfile::TempDir, Manifest) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("edges.csv"), edges).unwrap_or_else(|e| panic!("{e}"));
    for (name, values, shape) in series {
        write_series(&dir.path().join(name), values, *shape);
    }
    let names: Vec<String> = series.iter().map(|(n, ..)| format!("\"{n}\"")).collect();
    let text = format!(
        "[[system]]\nname = \"g\"\ngraph = \"edges.csv\"\ntrajectories = [{}]\nlabel = 0\n{extra}",
        names.join(", ")
    );
    let path = dir.path().join("m.toml");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    let m = Manifest::load(&path).unwrap_or_else(|e| panic!("{e}"));
    (dir, m)
}

fn ramp(n: usize) -> Vec<f64> {
    (0..n).map(|i| i as f64 * 0.25).collect()
}

#[test]
fn node_graph_and_series_are_read_and_checked() {
    let (_dir, m) = graph_folder(
        "1,0\n0,1\n2,2\n1,2\n",
        "nodes = 3",
        &[("t0.npz", ramp(12), [2, 3, 2]), ("t1.npz", ramp(18), [3, 3, 2])],
    );
    let s = &m.systems()[0];
    let g = m.node_graph(s).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((g.nodes, g.channels), (3, 2));
    assert_eq!(g.edges, [(0, 1), (1, 2)], "undirected, deduplicated, no self loop");
    let t1 = m.node_series(s, &s.trajectories[1], &g).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((t1.frames, t1.nodes, t1.channels), (3, 3, 2));
    assert_eq!(t1.values, ramp(18).iter().map(|&v| v as f32).collect::<Vec<_>>());
}

/// The error of reading the graph and every trajectory of a one-system folder.
fn first_error(edges: &str, extra: &str, series: &[(&str, Vec<f64>, [usize; 3])]) -> ManifestError {
    let (_dir, m) = graph_folder(edges, extra, series);
    let s = &m.systems()[0];
    let result = m
        .node_graph(s)
        .and_then(|g| s.trajectories.iter().try_for_each(|t| m.node_series(s, t, &g).map(|_| ())));
    result.err().unwrap_or_else(|| panic!("should fail: {edges:?} {extra:?}"))
}

fn data_kind(e: &ManifestError) -> (&'static str, &NodeDataErrorKind) {
    match &e.kind {
        ManifestErrorKind::NodeData { key, source } => (key, &source.kind),
        other => panic!("not a data error: {other:?}"),
    }
}

#[test]
fn inconsistent_graph_data_gives_errors_naming_manifest_system_key_and_file() {
    let ok = || ("t0.npz", ramp(12), [2, 3, 2]);
    // Edge index >= N.
    let e = first_error("0,1\n1,3\n", "", &[ok()]);
    assert_eq!(
        data_kind(&e),
        ("graph", &NodeDataErrorKind::EdgeOutOfRange { line: 2, node: 3, nodes: 3 })
    );
    let text = e.to_string();
    assert!(
        text.contains("m.toml") && text.contains("system g") && text.contains("`graph`"),
        "{text}"
    );
    assert!(text.contains("edges.csv") && text.contains("line 2"), "{text}");
    // The manifest's `nodes` disagrees with the data.
    let e = first_error("0,1\n", "nodes = 4", &[ok()]);
    assert_eq!(data_kind(&e), ("nodes", &NodeDataErrorKind::NodeCount { found: 3, expected: 4 }));
    // A second trajectory with another node count, or another channel count.
    let e = first_error("0,1\n", "", &[ok(), ("t1.npz", ramp(8), [2, 4, 1])]);
    assert_eq!(
        data_kind(&e),
        ("trajectories", &NodeDataErrorKind::NodeCount { found: 4, expected: 3 })
    );
    assert!(e.to_string().contains("t1.npz"), "{e}");
    let e = first_error("0,1\n", "", &[ok(), ("t1.npz", ramp(9), [1, 3, 3])]);
    assert_eq!(
        data_kind(&e),
        ("trajectories", &NodeDataErrorKind::ChannelCount { found: 3, expected: 2 })
    );
    // A 2-D array.
    let (dir, m) = graph_folder("0,1\n", "", &[ok()]);
    let flat = dir.path().join("t0.npz");
    write_npz(
        File::create(&flat).unwrap_or_else(|e| panic!("{e}")),
        &[("x", &ramp(6)[..], &[2, 3][..])],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let e = m.node_graph(&m.systems()[0]).err().unwrap_or_else(|| panic!("2-D array read"));
    assert_eq!(data_kind(&e), ("trajectories", &NodeDataErrorKind::NotThreeD(vec![2, 3])));
    // A NaN, located.
    let mut values = ramp(12);
    values[9] = f64::NAN;
    let e = first_error("0,1\n", "", &[("t0.npz", values, [2, 3, 2])]);
    assert_eq!(
        data_kind(&e),
        ("trajectories", &NodeDataErrorKind::NotFinite { frame: 1, node: 1, channel: 1 })
    );
    // A truncated file.
    let (dir, m) = graph_folder("0,1\n", "", &[ok()]);
    let path = dir.path().join("t0.npz");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&path, &bytes[..bytes.len() - 40]).unwrap_or_else(|e| panic!("{e}"));
    let e = m.node_graph(&m.systems()[0]).err().unwrap_or_else(|| panic!("truncated read"));
    assert!(matches!(data_kind(&e), ("trajectories", NodeDataErrorKind::Array(_))), "{e}");
    // Asking a molecule system for its graph.
    let text = "selection = \"all\"\n[[system]]\nname = \"m\"\ntopology = \"t.pdb\"\ntrajectories = \"t.xtc\"\nlabel = 1\n";
    let m = parse(text).unwrap_or_else(|e| panic!("{e}"));
    let e = m.node_graph(&m.systems()[0]).err().unwrap_or_else(|| panic!("molecule graph"));
    assert_eq!(e.kind, ManifestErrorKind::NotAGraph);
}

/// Found by fuzzing: a `.npy` header length (or a shape) larger than the file used to size an
/// allocation before any check (662 MB from a 12-byte file). Both are now refused first.
#[test]
fn npy_headers_and_shapes_larger_than_the_file_are_refused_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let huge_header = dir.path().join("h.npy");
    std::fs::write(&huge_header, b"\x93NUMPY\x02\x00\xf0\xff\xff\x7f{'descr'").unwrap();
    let err = deepsig_md::read_array(&huge_header).unwrap_err();
    assert!(err.to_string().contains("the header claims 2147483632 bytes"), "{err}");
    let mut header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000,), }".to_vec();
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(b' ');
    }
    header.push(b'\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(&header);
    bytes.extend([0u8; 16]);
    let huge_shape = dir.path().join("s.npy");
    std::fs::write(&huge_shape, &bytes).unwrap();
    let err = deepsig_md::read_array(&huge_shape).unwrap_err();
    assert!(err.to_string().contains("needs 8000000000 bytes of data"), "{err}");
    assert!(err.to_string().contains("s.npy"), "{err}");
}

/// Found by fuzzing (a timeout): about fifty nested `[` in a `.npy` header kept npyz's Python-literal
/// parser backtracking for minutes. Headers nesting deeper than a `.npy` header can are now
/// refused before npyz sees them; this is the fuzzer's input, less its selector byte.
#[test]
fn a_deeply_nested_npy_header_is_refused_at_once() {
    let bytes = b"\x93\x4e\x55\x4d\x50\x59\x01\x00\x46\x00\x7b\x27\x64\x65\x73\x63\x72\x27\x3a\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x5b\x20\x27\x3c\x62\x34\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x27\x2c\x6f\x72\x74\x72\x61\x6e\x5f\x6f\x72\x64\x65\x72\x27\x3a\x20\x46\x61\x6c\x73\x65\x2c\x20\x27\x73\x68\x61\x70\x65\x27\x3a\x20\x28\x32\x2c\x20\x33\x33\x34\x21\x3f\xc0\xee\x7d";
    let err = deepsig_md::parse_array(bytes, std::path::Path::new("nested.npy")).unwrap_err();
    // Our check's message: the input stops before npyz's parser.
    assert!(err.to_string().contains("the header nests 48 levels of brackets"), "{err}");
    assert!(err.to_string().contains("nested.npy"), "{err}");
}
