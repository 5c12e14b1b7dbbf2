//! The model's graph over a selection: bond paths through unselected atoms (so `name CA`
//! gives the CA trace), the chain trace of residues without bonds, and the summary that
//! `deepsig info --select` prints.

use std::collections::{BTreeSet, VecDeque};

use deepsig_md::{
    BondOptions, Graph, TRACE_MAX_DISTANCE, Topology, bond_graph, open_topology, select,
    selection_graph,
};

use super::{Rng, data_dir, topology};

/// The definition, by breadth-first search from each selected atom through unselected ones.
fn contracted_by_search(g: &Graph, selected: &[u32]) -> BTreeSet<(u32, u32)> {
    let mut id = vec![u32::MAX; g.n_nodes()];
    for (k, &i) in selected.iter().enumerate() {
        id[i as usize] = k as u32;
    }
    let mut out = BTreeSet::new();
    for (k, &start) in selected.iter().enumerate() {
        let mut seen = vec![false; g.n_nodes()];
        seen[start as usize] = true;
        let mut queue = VecDeque::from([start as usize]);
        while let Some(v) = queue.pop_front() {
            for &w in g.neighbours(v) {
                let w = w as usize;
                if std::mem::replace(&mut seen[w], true) {
                    continue;
                }
                match id[w] {
                    u32::MAX => queue.push_back(w),
                    other => {
                        out.insert((other.min(k as u32), other.max(k as u32)));
                    }
                }
            }
        }
    }
    out
}

#[test]
fn contracted_subgraph_joins_atoms_linked_through_unselected_atoms_only() {
    let mut rng = Rng(7);
    for case in 0..200 {
        let n = 2 + (rng.next_f64() * 30.0) as usize;
        let m = (rng.next_f64() * 2.0 * n as f64) as usize;
        let edges: Vec<(u32, u32)> = (0..m)
            .map(|_| ((rng.next_f64() * n as f64) as u32, (rng.next_f64() * n as f64) as u32))
            .collect();
        let g = Graph::from_edges(n, &edges).unwrap_or_else(|e| panic!("{e}"));
        let rows: Vec<(String, &str, i32, &str)> =
            (0..n).map(|i| (format!("A{i}"), "ALA", i as i32, "C")).collect();
        let top =
            topology(&rows.iter().map(|(a, r, i, e)| (a.as_str(), *r, *i, *e)).collect::<Vec<_>>());
        let picked: Vec<String> =
            (0..n).filter(|_| rng.next_f64() < 0.4).map(|i| format!("A{i}")).collect();
        if picked.is_empty() {
            continue;
        }
        let sel = select(&top, &format!("name {}", picked.join(" "))).unwrap();
        let got: BTreeSet<(u32, u32)> =
            g.contracted_subgraph(&sel).unwrap_or_else(|e| panic!("{e}")).edges().collect();
        assert_eq!(got, contracted_by_search(&g, sel.indices()), "case {case}");
    }
}

#[test]
fn ca_selection_of_a_disulfide_pair_follows_the_chain_and_the_cross_link() {
    // Three residues; the side chains of residues 1 and 3 are joined by an S-S bond.
    let top = topology(&[
        ("N", "CYS", 1, "N"),
        ("CA", "CYS", 1, "C"),
        ("C", "CYS", 1, "C"),
        ("SG", "CYS", 1, "S"),
        ("N", "GLY", 2, "N"),
        ("CA", "GLY", 2, "C"),
        ("C", "GLY", 2, "C"),
        ("N", "CYS", 3, "N"),
        ("CA", "CYS", 3, "C"),
        ("C", "CYS", 3, "C"),
        ("SG", "CYS", 3, "S"),
    ]);
    let bonds = [(0, 1), (1, 2), (1, 3), (2, 4), (4, 5), (5, 6), (6, 7), (7, 8), (8, 9), (8, 10)];
    let mut with_ss = bonds.to_vec();
    with_ss.push((3, 10));
    let sel = select(&top, "name CA").unwrap();
    let linear = Graph::from_edges(11, &bonds).unwrap();
    assert_eq!(linear.induced_subgraph(&sel).unwrap().n_edges(), 0, "the old graph was empty");
    let trace: Vec<_> = linear.contracted_subgraph(&sel).unwrap().edges().collect();
    assert_eq!(trace, vec![(0, 1), (1, 2)]);
    let linked: Vec<_> = Graph::from_edges(11, &with_ss)
        .unwrap()
        .contracted_subgraph(&sel)
        .unwrap()
        .edges()
        .collect();
    assert_eq!(linked, vec![(0, 1), (0, 2), (1, 2)]);
}

/// AdK's CA atoms as a topology of their own: no bonds, no CONECT, 3.8 Angstrom apart.
fn ca_only(all_atom: &Topology) -> Topology {
    let keep: Vec<usize> =
        (0..all_atom.atoms.len()).filter(|&i| all_atom.atoms[i].name == "CA").collect();
    let positions = all_atom.positions.as_ref().unwrap();
    Topology {
        atoms: keep.iter().map(|&i| all_atom.atoms[i].clone()).collect(),
        positions: Some(keep.iter().map(|&i| positions[i]).collect()),
        ..Topology::default()
    }
}

#[test]
fn adk_ca_atoms_get_the_chain_trace_from_bonds_or_from_residue_order() {
    let Some(dir) = data_dir() else { return };
    let pdb = open_topology(dir.join("adk_open.pdb")).unwrap_or_else(|e| panic!("{e}"));
    let positions = pdb.positions.clone();
    let bonds = bond_graph(&pdb, positions.as_deref(), None, &BondOptions::default()).unwrap();
    let sel = select(&pdb, "name CA").unwrap();
    let n = sel.len();
    assert_eq!(n, 214);
    assert_eq!(bonds.induced_subgraph(&sel).unwrap().n_edges(), 0);
    let from_bonds = selection_graph(&pdb, &bonds, &sel, positions.as_deref()).unwrap();
    let chain: Vec<(u32, u32)> = (1..n as u32).map(|k| (k - 1, k)).collect();
    // AdK has no disulfide: the CA trace, one component, from bond paths alone.
    assert_eq!(from_bonds.graph.edges().collect::<Vec<_>>(), chain);
    assert_eq!((from_bonds.bonded_edges, from_bonds.trace_edges), (n - 1, 0));
    let summary = from_bonds.graph.summary();
    assert_eq!(
        (summary.nodes, summary.edges, summary.components, summary.isolated),
        (n, n - 1, 1, 0)
    );

    // The same atoms as a CA-only file: guessing finds no bond, the residue order gives the trace.
    let mut cas = ca_only(&pdb);
    let none = bond_graph(&cas, cas.positions.as_deref(), None, &BondOptions::default()).unwrap();
    assert_eq!(none.n_edges(), 0);
    let all = select(&cas, "all").unwrap();
    let traced = selection_graph(&cas, &none, &all, cas.positions.as_deref()).unwrap();
    assert_eq!(traced.graph.edges().collect::<Vec<_>>(), chain);
    assert_eq!((traced.bonded_edges, traced.trace_edges), (0, n - 1));

    // A chain break (residue 100 moved away) and a new segment both cut the trace.
    let far = cas.positions.as_mut().unwrap();
    far[100] = [far[100][0] + 2.0 * TRACE_MAX_DISTANCE as f32, far[100][1], far[100][2] + 20.0];
    cas.atoms[150..].iter_mut().for_each(|a| a.segid = "B".into());
    let cut = selection_graph(&cas, &none, &all, cas.positions.as_deref()).unwrap();
    let edges: BTreeSet<(u32, u32)> = cut.graph.edges().collect();
    let expected: BTreeSet<(u32, u32)> =
        chain.iter().copied().filter(|&(a, _)| ![99, 100, 149].contains(&a)).collect();
    assert_eq!(edges, expected);
    assert_eq!(cut.graph.summary().isolated, 1, "residue 100 alone");
    // No reference coordinates: the trace cannot be checked, so no edge is made up.
    assert_eq!(selection_graph(&cas, &none, &all, None).unwrap().graph.n_edges(), 0);
}
