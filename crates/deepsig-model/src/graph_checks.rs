//! The checks a data set's graphs must pass before training or inference: options a graph
//! system cannot honour, residue cliques too large, more first-level clusters than atoms, a
//! graph without edges (refused), many isolated atoms (a warning), and one channel count.

use crate::config::TrainConfig;
use crate::dataset::{Dataset, SystemKind};
use crate::features::{GraphInput, Vocabulary};
use crate::{FitError, TrainError};

/// Residue cliques need residues, and `directed` keeps each edge from the lower atom index
/// only (the reference's backbone cliques): a graph system's nodes have no residues, and its
/// edge list's own directions would be lost, so both are refused there.
pub(crate) fn check_graph_options(
    dataset: &Dataset,
    config: &TrainConfig,
) -> Result<(), TrainError> {
    let model = &config.model;
    let Some(graph) = dataset.systems.iter().find(|s| s.kind == SystemKind::Graph) else {
        return Ok(());
    };
    let refuse = |reason: &'static str| {
        Err(FitError::GraphSystemSetting { system: graph.name.clone(), reason }.into())
    };
    if model.edges != crate::config::EdgeSet::Bonds {
        return refuse("edges=residue-cliques builds the graph from residues; use edges=bonds");
    }
    if model.directed {
        return refuse(
            "directed=true keeps each edge from the lower atom index only, not the edge \
             list's direction; use directed=false",
        );
    }
    Ok(())
}

/// The most selected atoms one residue may have with `edges=residue-cliques`, whose edges
/// grow as the square of a residue's size (a 4,000-atom residue would be 8 M edges).
pub const MAX_CLIQUE_RESIDUE: usize = 1000;

/// The graph `config` asks for on `system`, refused with a clear error where MinCut pooling
/// could not work on it or it would not fit in memory. Residue cliques of a selection with
/// one atom per residue (CA only, say) have no edge, and MinCut pooling of a graph without
/// edges divides zero by zero: its cut loss and degree normalisation blow up, and training
/// turns to NaN.
pub(crate) fn system_graph(
    system: &crate::dataset::SystemData,
    vocabulary: &Vocabulary,
    config: &TrainConfig,
) -> Result<GraphInput, TrainError> {
    let cliques = config.model.edges == crate::config::EdgeSet::ResidueCliques;
    let named = || format!("system {} ({})", system.name, system.topology.display());
    if cliques {
        // The residues the cliques are built on, as runs of equal ordinals.
        let ordinals = &system.residues;
        let mut start = 0;
        for run in ordinals.chunk_by(|a, b| a == b) {
            if run.len() > MAX_CLIQUE_RESIDUE {
                let (id, name) = (system.residue_ids[start], &system.residue_names[start]);
                return Err(FitError::ResidueTooLarge {
                    system: named(),
                    residue: format!("{name} {id}"),
                    atoms: run.len(),
                    most: MAX_CLIQUE_RESIDUE,
                }
                .into());
            }
            start += run.len();
        }
    }
    let model = &config.model;
    let first_level = match model.method.learns_clusters() {
        true => model.clusters * model.pool_multipliers[0],
        false => model.clusters,
    };
    if system.n_atoms() < first_level {
        // Capping would change the model's shape for every system (one set of weights), and
        // a level of more clusters than atoms cannot be orthogonal, so it is refused.
        let most = system.n_atoms() / first_level.div_ceil(model.clusters).max(1);
        return Err(FitError::TooManyClusters {
            system: named(),
            atoms: system.n_atoms(),
            first_level,
            clusters: model.clusters,
            multiplier: first_level / model.clusters,
            most: most.max(1),
        }
        .into());
    }
    let graph = GraphInput::for_config(system, vocabulary, model);
    if cliques && graph.src.is_empty() {
        return Err(FitError::NoCliqueEdges { system: named() }.into());
    }
    if graph.src.is_empty() {
        // MinCut's Tr(SᵀAS)/Tr(SᵀDS) would be 0/0, and the GCN would pass no message.
        return Err(FitError::NoEdges { system: named(), atoms: system.n_atoms() }.into());
    }
    Ok(graph)
}

/// Something in the data that training goes ahead with but the user should know.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum DataWarning {
    /// More than [`ISOLATED_WARNING_FRACTION`] of a system's atoms have no edge: their GCN
    /// features see no neighbour, and MinCut cannot place them by the graph.
    IsolatedAtoms {
        /// The system.
        system: String,
        /// Atoms without an edge.
        isolated: usize,
        /// Selected atoms.
        atoms: usize,
    },
    /// A reader's warning about a trajectory file (a DCD header's wrong frame count, a
    /// cut-short last frame read up to it with `allow_truncated`).
    Read {
        /// The warning, naming the file.
        message: String,
    },
}

/// The fraction of isolated atoms above which [`DataWarning::IsolatedAtoms`] is raised.
pub const ISOLATED_WARNING_FRACTION: f64 = 0.1;

impl std::fmt::Display for DataWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DataWarning::IsolatedAtoms { system, isolated, atoms } => write!(
                f,
                "system {system}: {isolated} of {atoms} selected atoms ({:.0} %) have no edge in \
                 the model's graph; check it with `deepsig info TOPOLOGY --select ...` or use \
                 edges=contacts",
                100.0 * *isolated as f64 / *atoms as f64
            ),
            DataWarning::Read { message } => f.write_str(message),
        }
    }
}

/// The warnings about `graph`, the model's graph of `system`.
pub fn graph_warnings(system: &crate::dataset::SystemData, graph: &GraphInput) -> Vec<DataWarning> {
    let mut has_edge = vec![false; graph.atoms];
    for (&i, &j) in graph.src.iter().zip(&graph.dst) {
        has_edge[i as usize] = true;
        has_edge[j as usize] = true;
    }
    let isolated = has_edge.iter().filter(|&&e| !e).count();
    if isolated as f64 > ISOLATED_WARNING_FRACTION * graph.atoms as f64 {
        vec![DataWarning::IsolatedAtoms {
            system: system.name.clone(),
            isolated,
            atoms: graph.atoms,
        }]
    } else {
        Vec::new()
    }
}

/// Every system must give the model the same number of channels per atom, since the first
/// layer's weights have that many rows.
pub(crate) fn check_channels(dataset: &Dataset) -> Result<(), TrainError> {
    let Some(first) = dataset.systems.first() else { return Ok(()) };
    match dataset.systems.iter().find(|s| s.channels != first.channels) {
        Some(other) => Err(FitError::ChannelMismatch {
            system: other.name.clone(),
            channels: other.channels,
            first_system: first.name.clone(),
            first_channels: first.channels,
        }
        .into()),
        None => Ok(()),
    }
}
