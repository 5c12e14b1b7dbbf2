//! Graphs: CSR invariants, bond guessing against PSF bonds, peptide bonds, residue and
//! contact graphs, periodic neighbour search.

use std::collections::BTreeSet;

use deepsig_md::{
    BondOptions, BondSource, Graph, GraphError, PeriodicCell, ResidueGraph, UnitCell, bond_graph,
    bonds, contact_graph, guess_bonds, open_topology, peptide_bonds, residues, select,
};

use super::{Rng, data_dir, topology};

#[test]
fn graphs_are_symmetric_deduplicated_and_loop_free() {
    let g = Graph::from_edges(5, &[(0, 1), (1, 0), (3, 1), (2, 2), (4, 3), (0, 1)])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((g.n_nodes(), g.n_edges()), (5, 3));
    assert_eq!(g.edges().collect::<Vec<_>>(), vec![(0, 1), (1, 3), (3, 4)]);
    assert_eq!(g.neighbours(1), &[0, 3]);
    assert_eq!(g.neighbours(2), &[] as &[u32]);
    for (i, j) in g.edges() {
        assert!(g.has_edge(i as usize, j as usize) && g.has_edge(j as usize, i as usize));
    }
    assert_eq!(g.offsets(), &[0, 1, 3, 3, 5, 6]);
    let (src, dst) = g.edge_index();
    assert_eq!(src, vec![0, 1, 1, 3, 3, 4]);
    assert_eq!(dst, g.targets());
    assert_eq!(g.components(), vec![0, 0, 1, 0, 0]);
    assert_eq!(
        Graph::from_edges(3, &[(0, 3)]),
        Err(GraphError::NodeOutOfRange { node: 3, n_nodes: 3 })
    );
}

#[test]
fn induced_subgraph_renumbers_in_selection_order() {
    let top = topology(&[
        ("N", "ALA", 1, "N"),
        ("CA", "ALA", 1, "C"),
        ("C", "ALA", 1, "C"),
        ("N", "GLY", 2, "N"),
        ("CA", "GLY", 2, "C"),
    ]);
    let g =
        Graph::from_edges(5, &[(0, 1), (1, 2), (2, 3), (3, 4)]).unwrap_or_else(|e| panic!("{e}"));
    let sel = select(&top, "name CA C").unwrap_or_else(|e| panic!("{e}"));
    let sub = g.induced_subgraph(&sel).unwrap_or_else(|e| panic!("{e}"));
    // Atoms 1, 2, 4 become nodes 0, 1, 2; only the 1-2 bond has both ends selected.
    assert_eq!((sub.n_nodes(), sub.edges().collect::<Vec<_>>()), (3, vec![(0, 1)]));
    let small = Graph::from_edges(4, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(small.induced_subgraph(&sel), Err(GraphError::SizeMismatch { .. })));
}

#[test]
fn guessed_bonds_reproduce_the_psf_bonds_of_adk() {
    let Some(dir) = data_dir() else { return };
    let psf = open_topology(dir.join("adk.psf")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(psf.bonds.len(), 3365);
    for pdb_name in ["adk_open.pdb", "adk_closed.pdb"] {
        let pdb = open_topology(dir.join(pdb_name)).unwrap_or_else(|e| panic!("{e}"));
        let pos = pdb.positions.as_deref().unwrap_or_else(|| panic!("{pdb_name} has no positions"));
        // The PSF's atoms (with masses and types) in the PDB's coordinates.
        let guessed =
            guess_bonds(&psf, pos, None, &BondOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        let want: BTreeSet<(u32, u32)> = psf.bonds.iter().copied().collect();
        let got: BTreeSet<(u32, u32)> = guessed.iter().copied().collect();
        let missing: Vec<_> = want.difference(&got).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        assert!(missing.is_empty() && extra.is_empty(), "{pdb_name}: {missing:?} {extra:?}");
    }
}

#[test]
fn peptide_bonds_join_consecutive_residues_only() {
    let Some(dir) = data_dir() else { return };
    let psf = open_topology(dir.join("adk.psf")).unwrap_or_else(|e| panic!("{e}"));
    let pdb = open_topology(dir.join("adk_open.pdb")).unwrap_or_else(|e| panic!("{e}"));
    let pos = pdb.positions.as_deref();
    let peptide = peptide_bonds(&psf, pos, None, 3.0).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(peptide.len(), 213, "214 residues in one chain");
    let listed: BTreeSet<(u32, u32)> = psf.bonds.iter().copied().collect();
    assert!(peptide.iter().all(|b| listed.contains(b)), "every peptide bond is a PSF bond");
    // Without guessing, the file's bonds plus peptide bonds are still the PSF's 3365.
    let opts = BondOptions { source: BondSource::Topology, ..BondOptions::default() };
    assert_eq!(bonds(&psf, None, None, &opts).map(|b| b.len()), Ok(3365));
    // A chain break (atoms moved apart) or a resid gap gives no peptide bond.
    let mut far = pos.unwrap_or_default().to_vec();
    let first_n_of_residue_2 = residues(&psf)[1].clone().find(|&i| psf.atoms[i].name == "N");
    let n = first_n_of_residue_2.unwrap_or_else(|| panic!("residue 2 has an N"));
    far[n][0] += 10.0;
    let broken = peptide_bonds(&psf, Some(&far), None, 3.0).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(broken.len(), 212);
    let mut gap = psf.clone();
    for a in gap.atoms.iter_mut().filter(|a| a.resid >= 100) {
        a.resid += 1;
    }
    assert_eq!(peptide_bonds(&gap, None, None, 3.0).map(|b| b.len()), Ok(212));
}

#[test]
fn auto_source_completes_partial_bond_lists() {
    // Two waters; the "file" lists only one O-H bond, like a CONECT-only PDB.
    let mut top = topology(&[
        ("OW", "SOL", 1, "O"),
        ("HW1", "SOL", 1, "H"),
        ("HW2", "SOL", 1, "H"),
        ("OW", "SOL", 2, "O"),
        ("HW1", "SOL", 2, "H"),
        ("HW2", "SOL", 2, "H"),
        ("NA", "NA", 3, "Na"),
    ]);
    let pos = [
        [0.0, 0.0, 0.0],
        [0.96, 0.0, 0.0],
        [-0.24, 0.93, 0.0],
        [3.0, 0.0, 0.0],
        [3.96, 0.0, 0.0],
        [2.76, 0.93, 0.0],
        [1.5, -2.2, 0.0],
    ];
    top.bonds = vec![(0, 1)];
    let all = vec![(0, 1), (0, 2), (3, 4), (3, 5)];
    let auto = bonds(&top, Some(&pos), None, &BondOptions::default());
    assert_eq!(auto, Ok(all.clone()), "incomplete list: guessed bonds are added; Na gets none");
    let only = BondOptions { source: BondSource::Topology, ..BondOptions::default() };
    assert_eq!(bonds(&top, Some(&pos), None, &only), Ok(vec![(0, 1)]));
    top.bonds = all.clone();
    // A complete list is used as is: no guessing needed, so no coordinates either.
    assert_eq!(bonds(&top, None, None, &BondOptions::default()), Ok(all));
    let guess = BondOptions { source: BondSource::Guess, ..BondOptions::default() };
    assert_eq!(bonds(&top, None, None, &guess), Err(GraphError::NoPositions));
}

#[test]
fn residue_graph_of_adk_is_its_chain() {
    let Some(dir) = data_dir() else { return };
    let psf = open_topology(dir.join("adk.psf")).unwrap_or_else(|e| panic!("{e}"));
    let bonds =
        bond_graph(&psf, None, None, &BondOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let ca = select(&psf, "name CA").unwrap_or_else(|e| panic!("{e}"));
    let rg = ResidueGraph::new(&psf, &bonds, &ca).unwrap_or_else(|e| panic!("{e}"));
    // AdK has no disulfide: residues are joined only along the chain, 213 edges.
    assert_eq!((rg.n_residues(), rg.graph().n_edges()), (214, 213));
    assert!(rg.graph().edges().all(|(i, j)| j == i + 1));
    let pdb = open_topology(dir.join("adk_open.pdb")).unwrap_or_else(|e| panic!("{e}"));
    let pos = pdb.positions.unwrap_or_default();
    // With one selected atom per residue, the centroids are the CA positions.
    let cent = rg.centroids(&pos).unwrap_or_else(|e| panic!("{e}"));
    let ca_pos = ca.gather(&pos).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cent, ca_pos);
    // All atoms: centroids are residue means.
    let all = select(&psf, "all").unwrap_or_else(|e| panic!("{e}"));
    let rg_all = ResidueGraph::new(&psf, &bonds, &all).unwrap_or_else(|e| panic!("{e}"));
    let r0 = rg_all.residue_atoms(0).unwrap_or_else(|| panic!("residue 0"));
    let mean_x = r0.clone().map(|i| f64::from(pos[i][0])).sum::<f64>() / r0.len() as f64;
    let c0 = rg_all.centroids(&pos).unwrap_or_else(|e| panic!("{e}"))[0][0];
    assert!((f64::from(c0) - mean_x).abs() < 1e-4);
    assert_eq!(rg_all.members(0).len(), r0.len());
}

fn brute_contacts(pos: &[[f32; 3]], cell: Option<&PeriodicCell>, cutoff: f64) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    for i in 0..pos.len() {
        for j in i + 1..pos.len() {
            let (p, q) = (pos[i].map(f64::from), pos[j].map(f64::from));
            let d = match cell {
                Some(c) => c.distance(p, q),
                None => ((0..3).map(|k| (p[k] - q[k]).powi(2)).sum::<f64>()).sqrt(),
            };
            if d <= cutoff {
                out.push((i as u32, j as u32));
            }
        }
    }
    out
}

#[test]
fn contact_graph_matches_brute_force_in_open_and_triclinic_boxes() {
    let mut rng = Rng(11);
    let boxes = [
        None,
        Some(UnitCell { vectors: [[30.0, 0.0, 0.0], [0.0, 25.0, 0.0], [0.0, 0.0, 20.0]] }),
        // Rhombic dodecahedron, as in adk_oplsaa.gro.
        Some(UnitCell { vectors: [[28.0, 0.0, 0.0], [0.0, 28.0, 0.0], [14.0, 14.0, 19.79899]] }),
        Some(UnitCell { vectors: [[26.0, 0.0, 0.0], [9.0, 24.0, 0.0], [-7.0, 6.0, 22.0]] }),
    ];
    for cell in boxes {
        let pc = cell.as_ref().map(|c| PeriodicCell::new(c).unwrap_or_else(|e| panic!("{e}")));
        let pos: Vec<[f32; 3]> =
            (0..600).map(|_| [0; 3].map(|_| rng.range(-10.0, 40.0) as f32)).collect();
        for cutoff in [2.0, 5.0, 8.0] {
            let g = contact_graph(&pos, cell.as_ref(), cutoff).unwrap_or_else(|e| panic!("{e}"));
            let want = brute_contacts(&pos, pc.as_ref(), cutoff);
            assert_eq!(g.edges().collect::<Vec<_>>(), want, "{cell:?} cutoff {cutoff}");
        }
    }
    assert_eq!(contact_graph(&[[0.0; 3]], None, 0.0), Err(GraphError::BadCutoff(0.0)));
    let nan = [[0.0, 0.0, 0.0], [f32::NAN, 0.0, 0.0]];
    assert_eq!(contact_graph(&nan, None, 1.0), Err(GraphError::NonFinite { atom: 1 }));
}

#[test]
fn guessing_is_periodic_and_unaffected_by_wrapping() {
    let Some(dir) = data_dir() else { return };
    let psf = open_topology(dir.join("adk.psf")).unwrap_or_else(|e| panic!("{e}"));
    let pdb = open_topology(dir.join("adk_open.pdb")).unwrap_or_else(|e| panic!("{e}"));
    let pos = pdb.positions.unwrap_or_default();
    // A triclinic box wider than the protein (so it never meets its own images), with the
    // protein centred on a corner and wrapped: bonds across all faces are split.
    let cell = UnitCell { vectors: [[90.0, 0.0, 0.0], [20.0, 88.0, 0.0], [-15.0, 18.0, 86.0]] };
    let pc = PeriodicCell::new(&cell).unwrap_or_else(|e| panic!("{e}"));
    let c = deepsig_md::centroid(&pos).unwrap_or_else(|e| panic!("{e}"));
    let wrapped: Vec<[f32; 3]> = pos
        .iter()
        .map(|p| pc.wrap([0, 1, 2].map(|k| f64::from(p[k]) - c[k])).map(|v| v as f32))
        .collect();
    let shifted: Vec<[f32; 3]> =
        pos.iter().map(|p| [0, 1, 2].map(|k| (f64::from(p[k]) - c[k]) as f32)).collect();
    let opts = BondOptions::default();
    let want = guess_bonds(&psf, &shifted, None, &opts).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(want.len(), 3365);
    let got = guess_bonds(&psf, &wrapped, Some(&cell), &opts).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got, want);
    let open = guess_bonds(&psf, &wrapped, None, &opts).unwrap_or_else(|e| panic!("{e}"));
    assert!(open.len() < want.len(), "without the box, split bonds are lost");
}
