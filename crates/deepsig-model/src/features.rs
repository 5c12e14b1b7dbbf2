//! From a preprocessed window to the model's inputs, on the host: centred, scaled coordinates
//! (or a graph system's node values, as stored), the GCN propagation of the first layer, and
//! the graph as index lists.
//!
//! The first GCN layer is $H_t = \mathrm{ReLU}(\hat A (x_t W_x + O V) + b)$ with
//! $\hat A = \tilde D^{-1/2} (A + I) \tilde D^{-1/2}$ (Kipf and Welling), $x_t$ the coordinates
//! and $O$ the one-hot atom and residue types. $\hat A$ does not depend on any parameter, so
//! $\hat A x_t$ and $\hat A O$ are computed here once per window, and the model needs no
//! sparse operation for that layer: $H_t = \mathrm{ReLU}((\hat A x_t) W_x + (\hat A O) V + b)$.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::{EdgeSet, ModelConfig};
use crate::data::{SystemData, WindowData};

/// Indices of atom names and residue names; index 0 stands for "not seen in training".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Vocabulary {
    atom_names: BTreeMap<String, usize>,
    residue_names: BTreeMap<String, usize>,
}

impl Vocabulary {
    /// The names of the given systems (the training systems, so that evaluation never adds
    /// a type the model has no weight for).
    pub fn from_systems<'a>(systems: impl IntoIterator<Item = &'a SystemData>) -> Vocabulary {
        let mut v = Vocabulary::default();
        for s in systems {
            for name in &s.atom_names {
                let next = v.atom_names.len() + 1;
                v.atom_names.entry(name.clone()).or_insert(next);
            }
            for name in &s.residue_names {
                let next = v.residue_names.len() + 1;
                v.residue_names.entry(name.clone()).or_insert(next);
            }
        }
        v
    }

    /// Width of the one-hot type vector: atom names + residue names, each with "unknown".
    pub fn width(&self) -> usize {
        self.atom_names.len() + 1 + self.residue_names.len() + 1
    }

    fn columns(&self, atom: &str, residue: &str) -> [usize; 2] {
        let a = self.atom_names.get(atom).copied().unwrap_or(0);
        let r = self.residue_names.get(residue).copied().unwrap_or(0);
        [a, self.atom_names.len() + 1 + r]
    }
}

/// A system's graph in the forms the model uses.
///
/// An edge `i → j` is entry $A_{ij}$ of the adjacency and carries a GCN message from `i` to
/// `j`. Undirected graphs list both directions of every edge. A directed graph (the
/// reference's, docs/reference-code.md, "Edges": each edge stored once, from the lower atom
/// index) lists one, and then follows PyG: GCN degrees count incoming edges, $A$ and its
/// row-sum degree (MinCut's $D$) have the edge in row `i` (`to_dense_adj`).
#[derive(Debug, Clone, PartialEq)]
pub struct GraphInput {
    /// Atoms.
    pub atoms: usize,
    /// Edge sources.
    pub src: Vec<i64>,
    /// Edge targets.
    pub dst: Vec<i64>,
    /// Row sums of $A$: outgoing edges of each atom (no self loop).
    pub degree: Vec<f32>,
    /// Whether each edge is listed in one direction only.
    pub directed: bool,
    /// $\hat A O$: `[atoms, vocabulary width]`.
    pub types: Vec<f32>,
    /// Vocabulary width.
    pub type_width: usize,
    /// Ordinal residue of each atom (0, 1, … in order of appearance).
    pub residues: Vec<u32>,
    /// GCN weights (PyG's `gcn_norm`): for each listed edge `i → j`
    /// $1/\sqrt{(d_i+1)(d_j+1)}$, where $d$ counts incoming edges (equal to `degree` when
    /// undirected).
    weights: Vec<f32>,
    /// GCN self-loop weights $1/(d_i + 1)$, $d$ as for `weights`.
    self_weights: Vec<f32>,
}

impl GraphInput {
    /// The undirected bond graph of `system` (the `paper` preset's) with types from
    /// `vocabulary`.
    pub fn new(system: &SystemData, vocabulary: &Vocabulary) -> GraphInput {
        GraphInput::with_edges(system, vocabulary, EdgeSet::Bonds, false, 0.0)
    }

    /// The graph `config` asks for (`edges`, `directed`).
    pub fn for_config(
        system: &SystemData,
        vocabulary: &Vocabulary,
        config: &ModelConfig,
    ) -> GraphInput {
        GraphInput::with_edges(
            system,
            vocabulary,
            config.edges,
            config.directed,
            config.contact_cutoff,
        )
    }

    /// The graph of `system` on the edge set `edges` (`contact_cutoff` in Angstrom for
    /// [`EdgeSet::Contacts`]), each edge one way (lower atom index first) if `directed`, else
    /// both ways.
    pub fn with_edges(
        system: &SystemData,
        vocabulary: &Vocabulary,
        edges: EdgeSet,
        directed: bool,
        contact_cutoff: f64,
    ) -> GraphInput {
        let n = system.n_atoms();
        let residues = system.residues.clone();
        let pairs = match edges {
            EdgeSet::Bonds => system.edges.clone(),
            EdgeSet::ResidueCliques => residue_cliques(&residues),
            EdgeSet::Contacts => contact_edges(system, contact_cutoff),
        };
        let (mut src, mut dst) = (Vec::new(), Vec::new());
        for &(i, j) in &pairs {
            let (i, j) = (i64::from(i.min(j)), i64::from(i.max(j)));
            src.push(i);
            dst.push(j);
            if !directed {
                src.push(j);
                dst.push(i);
            }
        }
        let (mut degree, mut incoming) = (vec![0.0f32; n], vec![0.0f32; n]);
        for (&i, &j) in src.iter().zip(&dst) {
            degree[i as usize] += 1.0;
            incoming[j as usize] += 1.0;
        }
        // PyG's gcn_norm: degrees of the target index, self loop included.
        let norm = |i: i64| 1.0 / (incoming[i as usize] + 1.0).sqrt();
        let weights: Vec<f32> = src.iter().zip(&dst).map(|(&i, &j)| norm(i) * norm(j)).collect();
        let self_weights: Vec<f32> = incoming.iter().map(|d| 1.0 / (d + 1.0)).collect();
        let width = vocabulary.width();
        let mut one_hot = vec![0.0f32; n * width];
        for (i, (a, r)) in system.atom_names.iter().zip(&system.residue_names).enumerate() {
            for c in vocabulary.columns(a, r) {
                one_hot[i * width + c] = 1.0;
            }
        }
        let mut g = GraphInput {
            residues,
            atoms: n,
            src,
            dst,
            degree,
            directed,
            types: Vec::new(),
            type_width: width,
            weights,
            self_weights,
        };
        g.types = g.propagate(&one_hot, width);
        g
    }

    /// $\hat A M$ for `M` of shape `[atoms, width]` (row-major), or `[frames, atoms, width]`
    /// treated frame by frame.
    pub fn propagate(&self, m: &[f32], width: usize) -> Vec<f32> {
        let per_frame = self.atoms * width;
        let mut out = vec![0.0f32; m.len()];
        for (frame_in, frame_out) in m.chunks_exact(per_frame).zip(out.chunks_exact_mut(per_frame))
        {
            for (i, &w) in self.self_weights.iter().enumerate() {
                for c in 0..width {
                    frame_out[i * width + c] = w * frame_in[i * width + c];
                }
            }
            for ((&s, &d), &w) in self.src.iter().zip(&self.dst).zip(&self.weights) {
                let (s, d) = (s as usize * width, d as usize * width);
                for c in 0..width {
                    frame_out[d + c] += w * frame_in[s + c];
                }
            }
        }
        out
    }
}

/// Every pair of atoms in the same residue, lower index first: the reference's graph
/// (docs/reference-code.md, "Residue cliques": the backbone's N, CA, C, O as a 4-clique per
/// residue, no edge between residues).
fn residue_cliques(residues: &[u32]) -> Vec<(u32, u32)> {
    let mut pairs = Vec::new();
    let mut start = 0;
    while start < residues.len() {
        let end = start + residues[start..].iter().take_while(|&&r| r == residues[start]).count();
        for i in start..end {
            for j in i + 1..end {
                pairs.push((i as u32, j as u32));
            }
        }
        start = end;
    }
    pairs
}

/// Hard clusters of contiguous residues, `[atoms, k]` row-major one-hot: residue `r` of `R`
/// goes to block `r·k/R`; with fewer residues than blocks, atoms are split evenly instead.
pub fn residue_blocks(residues: &[u32], k: usize) -> Vec<f32> {
    let n = residues.len();
    let r_count = residues.iter().max().map_or(0, |&r| r as usize + 1);
    let mut out = vec![0.0f32; n * k];
    for (i, &r) in residues.iter().enumerate() {
        let block = if r_count >= k { r as usize * k / r_count } else { i * k / n.max(1) };
        out[i * k + block] = 1.0;
    }
    out
}

/// One window as model input.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowInput {
    /// Frames.
    pub frames: usize,
    /// Coordinates centred on the window's centroid (over frames and atoms) and scaled, or
    /// node values as stored, or scaled only with `centre` off: `[frames, atoms, channels]`.
    /// Centring makes every coordinate feature translation-invariant.
    pub coords: Vec<f32>,
    /// $\hat A x_t$ of `coords`, `[frames, atoms, channels]`.
    pub propagated: Vec<f32>,
    /// Channels per atom: 3 for coordinates.
    pub channels: usize,
}

impl WindowInput {
    /// A molecule's window as `config` asks: scaled by `coordinate_scale`, centred unless
    /// `centre` is off (the reference's raw coordinates).
    pub fn for_config(
        window: &WindowData,
        graph: &GraphInput,
        config: &ModelConfig,
    ) -> WindowInput {
        let scale = config.coordinate_scale as f32;
        if config.centre {
            let mut input = WindowInput::new(window, graph, scale);
            if config.scale_free_clustering {
                input.scale_clustering_input();
            }
            input
        } else {
            let coords: Vec<f32> = window.coords.iter().map(|&v| v * scale).collect();
            let c = window.channels.max(1);
            let propagated = graph.propagate(&coords, c);
            WindowInput { frames: window.frames, coords, propagated, channels: c }
        }
    }

    /// Centres, scales and propagates `window` (coordinates, or any channel count: each
    /// channel is centred on its own mean).
    pub fn new(window: &WindowData, graph: &GraphInput, scale: f32) -> WindowInput {
        let c = window.channels.max(1);
        let n = (window.frames * graph.atoms).max(1) as f64;
        let mut mean = vec![0.0f64; c];
        for p in window.coords.chunks_exact(c) {
            for (m, &v) in mean.iter_mut().zip(p) {
                *m += f64::from(v);
            }
        }
        let mean: Vec<f32> = mean.iter().map(|m| (m / n) as f32).collect();
        let coords: Vec<f32> =
            window.coords.iter().enumerate().map(|(i, &v)| (v - mean[i % c]) * scale).collect();
        let propagated = graph.propagate(&coords, c);
        WindowInput { frames: window.frames, coords, propagated, channels: c }
    }

    /// Divides the propagated coordinates by the RMS distance of the window's (centred)
    /// coordinates from their centroid, so what the clustering reads no longer depends on the
    /// unit or the molecule's size: at `coordinate_scale` 1 a 60-residue chain reaches ±110 Å,
    /// and assignment logits of that size leave the softmax saturated from the first step.
    fn scale_clustering_input(&mut self) {
        let n = self.coords.len().max(1) as f64 / self.channels as f64;
        let squares: f64 = self.coords.iter().map(|&v| f64::from(v).powi(2)).sum();
        let rms = (squares / n).sqrt();
        if rms > 0.0 && rms.is_finite() {
            let inverse = (1.0 / rms) as f32;
            self.propagated.iter_mut().for_each(|v| *v *= inverse);
        }
    }

    /// Propagates the node values of a graph system's `window` as they are: neither centred
    /// nor scaled. A node value's level is information (the degradation term of a
    /// gene-regulatory model, $-b_i x_i^f$, depends on it) and no symmetry shifts it, unlike
    /// a molecule's position; the signature of the cluster paths ignores a constant offset
    /// anyway (it depends on increments only), so centring would only hide the level from the
    /// clustering. Values are expected of order one; rescale them before writing the files.
    pub fn node_values(window: &WindowData, graph: &GraphInput) -> WindowInput {
        let c = window.channels.max(1);
        let propagated = graph.propagate(&window.coords, c);
        WindowInput {
            frames: window.frames,
            coords: window.coords.clone(),
            propagated,
            channels: c,
        }
    }
}

/// The system's graph edges plus every pair of selected atoms within `cutoff` Angstrom in its
/// alignment reference (no reference, as for a synthetic system: the graph edges alone).
fn contact_edges(system: &SystemData, cutoff: f64) -> Vec<(u32, u32)> {
    let mut edges = system.edges.clone();
    if system.reference.len() == system.n_atoms() {
        // The reference was checked finite before any window was made, and `cutoff` by
        // `TrainConfig::validate`, so the graph cannot fail here.
        if let Ok(contacts) = deepsig_md::contact_graph(&system.reference, None, cutoff) {
            edges.extend(contacts.edges());
        }
    }
    edges.sort_unstable();
    edges.dedup();
    edges
}

#[cfg(test)]
mod tests {
    use super::residue_blocks;

    #[test]
    fn residue_blocks_keep_residues_whole_and_cover_every_block() {
        // 6 residues of 2 atoms into 3 blocks: residues {0,1}, {2,3}, {4,5}.
        let residues: Vec<u32> = (0..12).map(|i| i / 2).collect();
        let blocks = residue_blocks(&residues, 3);
        let block_of = |i: usize| blocks[i * 3..i * 3 + 3].iter().position(|&v| v == 1.0);
        let got: Vec<_> = (0..12).map(|i| block_of(i).unwrap()).collect();
        assert_eq!(got, [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
        // Fewer residues than blocks: atoms split evenly, every block used.
        let one_residue = residue_blocks(&[0; 4], 4);
        assert_eq!(one_residue.iter().sum::<f32>(), 4.0);
        assert!((0..4).all(|b| one_residue[b * 4 + b] == 1.0));
    }
}
