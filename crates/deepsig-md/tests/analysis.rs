//! Tests of the analysis half: selections, graphs, PBC, alignment, windows, manifests (with
//! graph systems of node time series and their .npy/.npz files), splits.
//! Real-data tests read `../shared/data` (MDAnalysisTests files with MDAnalysis reference
//! values) and skip with a message when it is absent.

mod align;
mod graph;
mod manifest;
mod nodes;
mod pbc;
mod prepare;
mod select;
mod selection_graph;
mod split;
mod window;

use std::path::PathBuf;

use deepsig_md::{Atom, Topology};

/// The shared data folder, or `None` (after printing why) when it is not there.
fn data_dir() -> Option<PathBuf> {
    deepsig_testutil::shared_data("")
}

use deepsig_testutil::Rng;

fn atom(name: &str, resname: &str, resid: i32, element: &str) -> Atom {
    Atom {
        name: name.into(),
        resname: resname.into(),
        resid,
        element: element.into(),
        segid: "A".into(),
        ..Atom::default()
    }
}

/// A topology from `(name, resname, resid, element)` rows.
fn topology(rows: &[(&str, &str, i32, &str)]) -> Topology {
    Topology {
        atoms: rows.iter().map(|&(n, r, i, e)| atom(n, r, i, e)).collect(),
        ..Topology::default()
    }
}

fn dist(a: [f32; 3], b: [f32; 3]) -> f64 {
    (0..3).map(|k| (f64::from(a[k]) - f64::from(b[k])).powi(2)).sum::<f64>().sqrt()
}

/// A rotation matrix from a unit quaternion built from three numbers.
fn rotation(rng: &mut Rng) -> [[f64; 3]; 3] {
    let q = [0; 4].map(|_| rng.range(-1.0, 1.0));
    let n = q.iter().map(|v| v * v).sum::<f64>().sqrt();
    let [w, x, y, z] = q.map(|v| v / n);
    [
        [1.0 - 2.0 * (y * y + z * z), 2.0 * (x * y - w * z), 2.0 * (x * z + w * y)],
        [2.0 * (x * y + w * z), 1.0 - 2.0 * (x * x + z * z), 2.0 * (y * z - w * x)],
        [2.0 * (x * z - w * y), 2.0 * (y * z + w * x), 1.0 - 2.0 * (x * x + y * y)],
    ]
}

fn rotate(r: &[[f64; 3]; 3], t: [f64; 3], p: [f32; 3]) -> [f32; 3] {
    let p = p.map(f64::from);
    [0, 1, 2].map(|i| (r[i][0] * p[0] + r[i][1] * p[1] + r[i][2] * p[2] + t[i]) as f32)
}

#[test]
fn no_error_prints_its_cause_twice() {
    // A directory opened as a file: an I/O error inside a ReadError; and a graph error over
    // an unusable periodic box. Each text must appear once in the whole cause chain.
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("x.pdb");
    std::fs::create_dir(&folder).unwrap();
    let err = deepsig_md::open_topology(&folder).unwrap_err();
    assert!(matches!(err.kind, deepsig_md::ReadErrorKind::Io(_)), "{err:?}");
    let mut chain = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        chain.push_str(&format!(": {s}"));
        source = s.source();
    }
    let last = chain.rsplit(": ").next().unwrap().to_string();
    assert_eq!(chain.matches(&last).count(), 1, "{chain}");
    let graph =
        deepsig_md::GraphError::Cell(deepsig_md::PbcError::LengthMismatch { expected: 3, got: 2 });
    assert!(std::error::Error::source(&graph).is_none(), "{graph}");
}
