//! Graph systems of a manifest: node time series `(T, N, c)` on a given graph, windowed like
//! MD trajectories but without any geometric preparation.
//!
//! Making molecules whole, drift removal and Kabsch alignment act on Cartesian coordinates;
//! node values (gene expression, concentrations) have no box, no rotation and no rigid
//! motion, so they are used as stored. Each node is one "atom" of a single type (`node`),
//! its residue id is its index (so residue-based clusterings see one residue per node), and
//! the edges are the edge list's, undirected. How the values are fed to the model is
//! [`crate::features::WindowInput::node_values`]'s business (not centred, not scaled).

use std::path::Path;

use deepsig_md::{Manifest, NodeGraph, NodeSeries, SystemSource, Windowing};

use crate::cache;
use crate::data::{CacheStats, SystemData, SystemKind, TrajectoryData, WindowData};
use crate::error::DataError;

/// The system data and windowed trajectories of graph system `index` of `manifest`, each
/// trajectory through the cache in `cache_dir` when given (keyed on the edge list's and the
/// trajectory's bytes, the `nodes` key and the windowing).
pub(crate) fn load_graph_system(
    manifest: &Manifest,
    index: usize,
    cache_dir: Option<&Path>,
    stats: &mut CacheStats,
    keep: &dyn Fn(usize) -> bool,
) -> Result<(SystemData, Vec<TrajectoryData>), DataError> {
    let system = &manifest.systems()[index];
    // Fails for a molecule system, so what follows is a graph system's.
    let graph = manifest.node_graph(system)?;
    let edge_file = system.source_file();
    let nodes = match &system.source {
        SystemSource::Graph { nodes, .. } => *nodes,
        SystemSource::Molecule { .. } => None,
    };
    let data = system_data(system, edge_file, &graph);
    let windowing = manifest.windowing();
    let mut trajectories = Vec::with_capacity(system.trajectories.len());
    for (j, path) in system.trajectories.iter().enumerate() {
        if !keep(j) {
            continue;
        }
        let options =
            format!("graph|nodes={nodes:?}|n={}|c={}|{windowing:?}", graph.nodes, graph.channels);
        let key = cache::key(&[edge_file, path], &options, &[])?;
        let (windows, warnings) = cache::load_or_read(
            cache_dir,
            (&key, path),
            (graph.nodes, graph.channels),
            stats,
            || {
                let series = manifest.node_series(system, path, &graph)?;
                Ok((series_windows(&series, windowing, path)?, Vec::new()))
            },
        )?;
        trajectories.push(TrajectoryData { system: index, path: path.clone(), windows, warnings });
    }
    Ok((data, trajectories))
}

/// The windows of one node series (read from `path`), as stored.
pub(crate) fn series_windows(
    series: &NodeSeries,
    windowing: Windowing,
    path: &Path,
) -> Result<Vec<WindowData>, DataError> {
    let per_frame = series.nodes * series.channels;
    let windows = windowing.split(series.frames).map_err(|e| DataError::window(path, e))?;
    Ok(windows
        .iter()
        .map(|w| WindowData {
            frames: w.len(),
            coords: w
                .frames()
                .flat_map(|f| &series.values[f * per_frame..(f + 1) * per_frame])
                .copied()
                .collect(),
            channels: series.channels,
        })
        .collect())
}

fn system_data(system: &deepsig_md::System, edge_file: &Path, graph: &NodeGraph) -> SystemData {
    SystemData {
        name: system.name.clone(),
        label: system.label.clone(),
        group: system.group.clone(),
        ..graph_system_data(edge_file, graph)
    }
}

/// A graph system's data named after its edge list, with no label or group (a run applied
/// to new files): one node type, residue id = node index.
pub(crate) fn graph_system_data(edge_file: &Path, graph: &NodeGraph) -> SystemData {
    let n = graph.nodes;
    SystemData {
        name: edge_file.file_stem().map_or_else(String::new, |s| s.to_string_lossy().into()),
        label: deepsig_md::Label::Text(String::new()),
        group: None,
        topology: edge_file.to_path_buf(),
        atom_names: vec!["node".to_string(); n],
        residue_names: vec!["node".to_string(); n],
        residue_ids: (0..n).map(|i| i32::try_from(i).unwrap_or(i32::MAX)).collect(),
        residues: (0..n).map(|i| u32::try_from(i).unwrap_or(u32::MAX)).collect(),
        segment_ids: vec![String::new(); n],
        topology_indices: (0..n).map(|i| u32::try_from(i).unwrap_or(u32::MAX)).collect(),
        edges: graph.edges.clone(),
        reference: Vec::new(),
        kind: SystemKind::Graph,
        channels: graph.channels,
    }
}
