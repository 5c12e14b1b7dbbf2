//! Real topologies (PSF, PDB, GRO) against MDAnalysis's counts and atom records.

use deepsig_md::{Topology, open_topology};
use serde_json::Value;

use super::common::{data_dir, json};

/// MDAnalysis starts a new residue whenever resid, resname or segid changes.
fn n_residues(top: &Topology) -> usize {
    let key = |a: &deepsig_md::Atom| (a.resid, a.resname.clone(), a.segid.clone());
    let keys: Vec<_> = top.atoms.iter().map(key).collect();
    keys.windows(2).filter(|w| w[0] != w[1]).count() + usize::from(!keys.is_empty())
}

/// MDAnalysis names a missing segid `SYSTEM`.
fn segid(a: &deepsig_md::Atom) -> &str {
    if a.segid.is_empty() { "SYSTEM" } else { &a.segid }
}

fn check_record(top: &Topology, rec: &Value, file: &str) {
    let i = rec["index"].as_u64().expect("index") as usize;
    let a = &top.atoms[i];
    assert_eq!(a.name, rec["name"].as_str().expect("name"), "{file} atom {i}");
    assert_eq!(a.resname, rec["resname"].as_str().expect("resname"), "{file} atom {i}");
    assert_eq!(i64::from(a.resid), rec["resid"].as_i64().expect("resid"), "{file} atom {i}");
    assert_eq!(segid(a), rec["segid"].as_str().expect("segid"), "{file} atom {i}");
}

#[test]
fn topologies_match_mdanalysis_counts_and_records() {
    let Some(dir) = data_dir() else { return };
    for file in [
        "adk.psf",
        "adk_closed_NAMD.psf",
        "adk_oplsaa.gro",
        "adk_oplsaa.pdb",
        "adk_open.pdb",
        "adk_closed.pdb",
        "coordinates/test_topology.pdb",
    ] {
        let top = open_topology(dir.join(file)).unwrap_or_else(|e| panic!("{e}"));
        let r = json(&dir.join(format!("reference/{file}.topology.json")));
        assert_eq!(top.atoms.len() as u64, r["n_atoms"].as_u64().expect("n_atoms"), "{file}");
        assert_eq!(
            n_residues(&top) as u64,
            r["n_residues"].as_u64().expect("n_residues"),
            "{file}"
        );
        let mut segids: Vec<&str> = top.atoms.iter().map(segid).collect();
        segids.dedup();
        let want: Vec<&str> =
            r["segids"].as_array().expect("segids").iter().filter_map(Value::as_str).collect();
        assert_eq!(segids, want, "{file}");
        for rec in
            r["first_atoms"].as_array().into_iter().chain(r["last_atoms"].as_array()).flatten()
        {
            check_record(&top, rec, file);
        }
        let sel = &r["selections"];
        let ca = top.atoms.iter().filter(|a| a.name == "CA").count();
        assert_eq!(ca as u64, sel["name CA"].as_u64().expect("count"), "{file}");
        let not_h = top.atoms.iter().filter(|a| !a.name.starts_with('H')).count();
        assert_eq!(not_h as u64, sel["not name H*"].as_u64().expect("count"), "{file}");
        if let Some(n_bonds) = r["n_bonds"].as_u64() {
            assert_eq!(top.bonds.len() as u64, n_bonds, "{file}");
            assert!(top.bonds.iter().all(|&(i, j)| i < j && (j as usize) < top.atoms.len()));
        }
        if file.ends_with(".psf") {
            assert!(
                top.atoms.iter().all(|a| a.mass.is_some_and(|m| m > 0.9) && a.charge.is_some())
            );
            let total: f64 = top.atoms.iter().filter_map(|a| a.charge).sum();
            assert!((total - total.round()).abs() < 1e-3, "{file}: net charge {total} is integral");
        }
    }
}

#[test]
fn psf_flavours_agree_and_pdb_hydrogens_get_elements() {
    let Some(dir) = data_dir() else { return };
    let charmm = open_topology(dir.join("adk.psf")).expect("charmm psf");
    let namd = open_topology(dir.join("adk_closed_NAMD.psf")).expect("namd psf");
    assert_eq!(charmm.bonds.len(), namd.bonds.len(), "same molecule, same bond count");
    // Both files bond the first N to its three terminal hydrogens and to CA.
    assert_eq!(&charmm.bonds[..4], &[(0, 1), (0, 2), (0, 3), (0, 4)]);
    assert_eq!(&namd.bonds[..4], &[(0, 1), (0, 2), (0, 3), (0, 4)]);
    assert_eq!(charmm.atoms[0].mass, Some(14.007));
    assert_eq!(namd.atoms[1].charge, Some(0.33));
    let pdb = open_topology(dir.join("adk_oplsaa.pdb")).expect("pdb");
    let digit_h: Vec<_> =
        pdb.atoms.iter().filter(|a| a.name.starts_with(|c: char| c.is_ascii_digit())).collect();
    assert_eq!(digit_h.len(), 389, "PDB-style names like 1HG1");
    assert!(digit_h.iter().all(|a| a.element == "H"), "1HG1 and friends are hydrogens");
    let elements = |el: &str| pdb.atoms.iter().filter(|a| a.element == el).count();
    assert_eq!(elements("Na"), 4, "NA+ ions");
    assert_eq!(
        elements("C")
            + elements("N")
            + elements("O")
            + elements("S")
            + elements("H")
            + elements("Na")
            + elements(""),
        pdb.atoms.len()
    );
}
