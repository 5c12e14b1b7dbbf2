//! The selection language against MDAnalysis's counts and on hand-built topologies.

use deepsig_md::{SelectErrorKind, Selection, Topology, open_topology, select};

use super::{data_dir, topology};

fn count(top: &Topology, expr: &str) -> usize {
    select(top, expr).unwrap_or_else(|e| panic!("{e}")).len()
}

#[test]
fn counts_match_mdanalysis_reference_jsons() {
    let Some(dir) = data_dir() else { return };
    let tops = [
        "adk.psf",
        "adk_closed_NAMD.psf",
        "adk_oplsaa.gro",
        "adk_oplsaa.pdb",
        "adk_open.pdb",
        "adk_closed.pdb",
        "coordinates/test_topology.pdb",
    ];
    for name in tops {
        let json = std::fs::read_to_string(dir.join(format!("reference/{name}.topology.json")))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let reference: serde_json::Value =
            serde_json::from_str(&json).unwrap_or_else(|e| panic!("{name}: {e}"));
        let top = open_topology(dir.join(name)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(Some(top.atoms.len() as u64), reference["n_atoms"].as_u64(), "{name}");
        let sels = reference["selections"].as_object().unwrap_or_else(|| panic!("{name}"));
        assert_eq!(sels.len(), 6, "{name}");
        for (expr, want) in sels {
            let want = want.as_u64().unwrap_or_else(|| panic!("{name} {expr}")) as usize;
            // MDAnalysis gives 0 for "protein and not backbone" on the 5-CA file; we refuse
            // an empty selection instead.
            match select(&top, expr) {
                Ok(s) => assert_eq!(s.len(), want, "{name}: {expr}"),
                Err(e) => assert!(want == 0 && e.kind == SelectErrorKind::NoAtoms, "{name}: {e}"),
            }
        }
    }
}

#[test]
fn heavy_and_water_on_the_solvated_system() {
    let Some(dir) = data_dir() else { return };
    for name in ["adk_oplsaa.gro", "adk_oplsaa.pdb"] {
        let top = open_topology(dir.join(name)).unwrap_or_else(|e| panic!("{e}"));
        // 11084 four-site SOL waters; the rest is 3341 protein atoms and 4 NA+ ions.
        assert_eq!(count(&top, "water"), 44336, "{name}");
        assert_eq!(count(&top, "not water"), 3345, "{name}");
        // By element, `heavy` ignores the PDB's `1HG1`-style names that fool `name H*`.
        assert_eq!(count(&top, "protein and heavy"), 1656, "{name}");
        assert_eq!(count(&top, "protein and not heavy"), 3341 - 1656, "{name}");
        assert_eq!(count(&top, "resname NA+"), 4, "{name}");
    }
    let psf = open_topology(dir.join("adk.psf")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(count(&psf, "segid 4AKE"), 3341);
    assert_eq!(count(&psf, "heavy"), 1656);
}

#[test]
fn values_globs_ranges_and_lists() {
    let top = topology(&[
        ("N", "MET", 1, "N"),
        ("CA", "MET", 1, "C"),
        ("HA", "MET", 1, "H"),
        ("C", "MET", 1, "C"),
        ("O", "MET", 1, "O"),
        ("N", "HSD", 2, "N"),
        ("CA", "HSD", 2, "C"),
        ("1HB", "HSD", 2, "H"),
        ("C", "HSD", 2, "C"),
        ("OT1", "HSD", 2, "O"),
        ("CA", "CYX", 3, "C"),
        ("OW", "SOL", 4, "O"),
        ("HW1", "SOL", 4, "H"),
        ("MW", "SOL", 4, ""),
        ("CA", "LIG", 5, "C"),
    ]);
    let idx = |e: &str| select(&top, e).unwrap_or_else(|e| panic!("{e}")).indices().to_vec();
    assert_eq!(idx("name CA"), vec![1, 6, 10, 14]);
    assert_eq!(idx("name N CA C O"), vec![0, 1, 3, 4, 5, 6, 8, 10, 14]);
    assert_eq!(idx("protein"), (0..11).collect::<Vec<u32>>());
    // MDAnalysis's backbone: N CA C O of protein residues; OT1 and ligand CA excluded.
    assert_eq!(idx("backbone"), vec![0, 1, 3, 4, 5, 6, 8, 10]);
    assert_eq!(idx("name H*"), vec![2, 12]);
    assert_eq!(idx("name *H*"), vec![2, 7, 12]);
    assert_eq!(idx("name ?A"), vec![1, 2, 6, 10, 14]);
    assert_eq!(idx("name [CN]"), vec![0, 3, 5, 8]);
    assert_eq!(idx("heavy and resid 4"), vec![11]);
    assert_eq!(idx("water"), vec![11, 12, 13]);
    assert_eq!(idx("not water and not protein"), vec![14]);
    assert_eq!(idx("resname HSD CYX and name CA"), vec![6, 10]);
    for spelling in ["resid 2-3", "resid 2:3", "resid 2 to 3", "resid 2 3", "resid 3 2"] {
        assert_eq!(idx(spelling), vec![5, 6, 7, 8, 9, 10], "{spelling}");
    }
    assert_eq!(idx("index 0 2:3"), vec![0, 2, 3]);
    assert_eq!(idx("bynum 1 3-4"), vec![0, 2, 3]);
    assert_eq!(idx("segid A and element O"), vec![4, 9, 11]);
    assert_eq!(idx("all").len(), top.atoms.len());
}

#[test]
fn precedence_is_not_first_and_ambiguous_mixes_are_refused() {
    let top = topology(&[("CA", "ALA", 1, "C"), ("N", "ALA", 1, "N"), ("N", "ALA", 2, "N")]);
    let idx = |e: &str| select(&top, e).unwrap_or_else(|e| panic!("{e}")).indices().to_vec();
    let err = select(&top, "name CA or name N and resid 2").err().map(|e| e.kind);
    assert_eq!(err, Some(SelectErrorKind::AmbiguousPrecedence));
    assert_eq!(idx("name CA or (name N and resid 2)"), vec![0, 2]);
    assert_eq!(idx("(name CA or name N) and resid 2"), vec![2]);
    assert_eq!(idx("name N and resid 2 or name CA"), vec![0, 2]);
    assert_eq!(idx("not name CA and resid 1"), vec![1]);
    assert_eq!(idx("not (name CA and resid 1)"), vec![1, 2]);
    assert_eq!(idx("not not name CA"), vec![0]);
    assert_eq!(idx("((name CA))or(resid 2)"), vec![0, 2]);
}

#[test]
fn errors_name_the_selection_and_column() {
    let top = topology(&[("CA", "ALA", 1, "C")]);
    let err = |e: &str| select(&top, e).err().unwrap_or_else(|| panic!("{e} should fail"));
    let e = err("name CA and nmae CB");
    assert_eq!((e.column, &e.kind), (Some(13), &SelectErrorKind::UnknownKeyword("nmae".into())));
    assert!(
        e.to_string().contains("\"name CA and nmae CB\"") && e.to_string().contains("column 13")
    );
    assert_eq!(err("name").kind, SelectErrorKind::MissingValue { keyword: "name".into() });
    assert_eq!(err("name").column, Some(5));
    assert_eq!(err("(name CA").kind, SelectErrorKind::UnclosedParenthesis);
    assert_eq!(err("(name CA").column, Some(1));
    assert_eq!(err("name CA)").kind, SelectErrorKind::UnmatchedClose);
    assert_eq!(err("name CA)").column, Some(8));
    assert_eq!(err("resid 5-x").kind, SelectErrorKind::BadNumber("5-x".into()));
    assert_eq!(err("resid 1 9-3").column, Some(9));
    assert_eq!(err("name CA and").kind, SelectErrorKind::UnexpectedEnd { expected: "a selection" });
    assert_eq!(err("   ").kind, SelectErrorKind::EmptyExpression);
    assert!(matches!(err("name CA resname").kind, SelectErrorKind::UnexpectedToken { .. }));
    // An empty result names the selection.
    let e = err("name CB");
    assert_eq!((e.kind.clone(), e.column), (SelectErrorKind::NoAtoms, None));
    assert!(e.to_string().contains("\"name CB\""), "{e}");
}

#[test]
fn parsed_selections_are_reusable_and_gather_checks_length() {
    let sel: Selection = "name CA".parse().unwrap_or_else(|e| panic!("{e}"));
    let a = topology(&[("CA", "ALA", 1, "C"), ("N", "ALA", 1, "N")]);
    let b = topology(&[("N", "ALA", 1, "N"), ("CA", "ALA", 1, "C"), ("CA", "GLY", 2, "C")]);
    assert_eq!(sel.evaluate(&a).map(|s| s.indices().to_vec()), Ok(vec![0]));
    let on_b = sel.evaluate(&b).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(on_b.indices(), &[1, 2]);
    assert!(on_b.contains(2) && !on_b.contains(0) && !on_b.contains(99));
    assert_eq!(on_b.gather(&[10, 11, 12]), Ok(vec![11, 12]));
    assert!(on_b.gather(&[10, 11]).is_err());
    // A backslash makes a keyword a value.
    let odd = topology(&[("and", "ALA", 1, "C")]);
    assert_eq!(select(&odd, "name \\and").map(|s| s.len()), Ok(1));
}
