//! Manifest parsing, path resolution and validation errors.

use std::path::Path;

use deepsig_md::{Label, Manifest, ManifestErrorKind, SelectErrorKind};

use super::data_dir;

const EXAMPLE: &str = include_str!("../../examples/manifest.toml");

fn parse(text: &str) -> Result<Manifest, deepsig_md::ManifestError> {
    Manifest::parse(text, "/data/set/manifest.toml")
}

#[test]
fn the_example_manifest_parses_and_resolves_paths() {
    let m = parse(EXAMPLE).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m.selection(), Some("protein and name CA"));
    assert_eq!((m.windowing().windows(), m.windowing().stride()), (5, 1));
    assert_eq!(m.systems().len(), 3);
    let dims = &m.systems()[0];
    assert_eq!(dims.source_file(), Path::new("/data/set/adk.psf"));
    assert!(!dims.is_graph());
    assert_eq!(dims.trajectories[1], Path::new("/data/set/adk_dims2.dcd"));
    assert_eq!(dims.label, Label::Text("transition".into()));
    assert_eq!(dims.group.as_deref(), Some("dims"));
    let traj = m.trajectories();
    assert_eq!(traj.len(), 4);
    assert_eq!(traj[3], (2, Path::new("/data/set/adk_oplsaa.xtc")));
    let units = m.split_units();
    assert_eq!(units.len(), 4);
    assert_eq!((units[1].label.as_str(), units[1].group.as_deref()), ("transition", Some("dims")));
    assert_eq!((units[2].label.as_str(), units[2].group.as_deref()), ("transition", None));
    assert_eq!(m.selection_for(&m.systems()[2]), Some("protein and name CA"));
}

#[test]
fn the_example_names_files_that_exist_in_the_shared_data() {
    let Some(dir) = data_dir() else { return };
    let m = Manifest::parse(EXAMPLE, dir.join("manifest.toml")).unwrap_or_else(|e| panic!("{e}"));
    m.check_files().unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn load_reads_the_file_and_checks_files() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for f in ["a.pdb", "a.xtc"] {
        std::fs::write(dir.path().join(f), "").unwrap_or_else(|e| panic!("{e}"));
    }
    let text = "selection = \"all\"\n[[system]]\nname = \"a\"\ntopology = \"a.pdb\"\n\
                trajectories = \"a.xtc\"\nlabel = 1\n";
    let path = dir.path().join("m.toml");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    let m = Manifest::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m.systems()[0].label, Label::Integer(1));
    assert_eq!((m.windowing().windows(), m.windowing().stride()), (25, 1), "defaults");
    std::fs::remove_file(dir.path().join("a.xtc")).unwrap_or_else(|e| panic!("{e}"));
    let e = Manifest::load(&path).err().unwrap_or_else(|| panic!("a.xtc is gone"));
    assert_eq!(e.entry.as_deref(), Some("a"));
    assert_eq!(e.kind, ManifestErrorKind::MissingFile(dir.path().join("a.xtc")));
    assert!(e.to_string().contains("m.toml") && e.to_string().contains("system a"), "{e}");
    let e = Manifest::load(dir.path().join("none.toml")).err();
    assert!(matches!(e.map(|e| e.kind), Some(ManifestErrorKind::Io(_))));
}

fn system(extra: &str) -> String {
    format!(
        "[[system]]\nname = \"s\"\ntopology = \"t.gro\"\ntrajectories = [\"t.xtc\"]\nlabel = 0.5\n{extra}"
    )
}

#[test]
fn invalid_manifests_are_rejected_with_the_file_and_entry() {
    let err = |text: &str| parse(text).err().unwrap_or_else(|| panic!("should fail:\n{text}"));
    // An unknown key inside the second system names that entry.
    let text = format!("selection = \"all\"\n{}\n{}", system(""), system("colour = \"red\""));
    let e = err(&text.replacen("name = \"s\"", "name = \"s1\"", 1));
    assert_eq!(e.entry.as_deref(), Some("#2"));
    assert!(matches!(&e.kind, ManifestErrorKind::Toml(m) if m.contains("colour")), "{e}");
    assert!(e.to_string().starts_with("manifest /data/set/manifest.toml, system #2"), "{e}");
    // Unknown top-level key and unknown windowing key.
    assert!(matches!(
        err(&format!("selection = \"all\"\nseed = 1\n{}", system(""))).kind,
        ManifestErrorKind::Toml(_)
    ));
    let e = err(&format!("selection = \"all\"\n[windowing]\nwindow = 3\n{}", system("")));
    assert!(matches!(&e.kind, ManifestErrorKind::Toml(m) if m.contains("window")), "{e}");
    // Semantic errors.
    assert_eq!(err("selection = \"all\"\n").kind, ManifestErrorKind::NoSystems);
    let dup = format!("selection = \"all\"\n{}{}", system(""), system(""));
    let e = err(&dup);
    assert_eq!((e.entry.as_deref(), e.kind), (Some("s"), ManifestErrorKind::DuplicateName));
    let mixed = format!(
        "selection = \"all\"\n{}{}",
        system(""),
        system("").replace("name = \"s\"", "name = \"t\"").replace("label = 0.5", "label = \"x\"")
    );
    assert_eq!(err(&mixed).kind, ManifestErrorKind::MixedLabels);
    let empty = system("").replace("[\"t.xtc\"]", "[]");
    assert_eq!(
        err(&format!("selection = \"all\"\n{empty}")).kind,
        ManifestErrorKind::NoTrajectories
    );
    let bad_sel = err(&format!("selection = \"name CA and\"\n{}", system("")));
    assert!(
        matches!(&bad_sel.kind, ManifestErrorKind::Selection(s) if matches!(s.kind, SelectErrorKind::UnexpectedEnd { .. }))
    );
    let own_sel = err(&format!("selection = \"all\"\n{}", system("selection = \"nmae CA\"")));
    assert_eq!(own_sel.entry.as_deref(), Some("s"));
    let zero = err(&format!("selection = \"all\"\n[windowing]\nwindows = 0\n{}", system("")));
    assert!(matches!(zero.kind, ManifestErrorKind::Windowing(_)));
    let bool_label = system("").replace("label = 0.5", "label = true");
    assert!(matches!(
        err(&format!("selection = \"all\"\n{bool_label}")).kind,
        ManifestErrorKind::Toml(_)
    ));
    let unnamed = system("").replace("name = \"s\"", "name = \" \"");
    let e = err(&format!("selection = \"all\"\n{unnamed}"));
    assert_eq!((e.entry.as_deref(), e.kind), (Some("#1"), ManifestErrorKind::EmptyName));
    assert!(matches!(err("selection = \n").kind, ManifestErrorKind::Toml(_)));
}

#[test]
fn a_given_split_names_every_system_and_keeps_groups_together() {
    let system = |name: &str, split: &str, group: &str| {
        format!(
            "[[system]]\nname = \"{name}\"\ntopology = \"t.pdb\"\ntrajectories = [\"{name}.xtc\"]\n\
             label = \"a\"\n{split}{group}"
        )
    };
    let text = format!(
        "selection = \"all\"\n{}{}{}",
        system("a", "split = \"train\"\n", "group = \"g\"\n"),
        system("b", "split = \"test\"\n", ""),
        system("c", "split = \"validation\"\n", "")
    );
    let m = deepsig_md::Manifest::parse(&text, "m.toml").unwrap();
    let split = m.given_split().unwrap();
    assert_eq!((split.train, split.validation, split.test), (vec![0], vec![2], vec![1]));
    let partial = format!(
        "selection = \"all\"\n{}{}",
        system("a", "split = \"train\"\n", ""),
        system("b", "", "")
    );
    let e = deepsig_md::Manifest::parse(&partial, "m.toml").unwrap_err().to_string();
    assert!(e.contains("system b") && e.contains("has no `split`") && e.contains("\"a\""), "{e}");
    let across = format!(
        "selection = \"all\"\n{}{}",
        system("a", "split = \"train\"\n", "group = \"g\"\n"),
        system("b", "split = \"test\"\n", "group = \"g\"\n")
    );
    let e = deepsig_md::Manifest::parse(&across, "m.toml").unwrap_err().to_string();
    assert!(e.contains("same group \"g\"") && e.contains("\"train\""), "{e}");
    let bad = system("a", "split = \"holdout\"\n", "");
    let e = deepsig_md::Manifest::parse(&format!("selection = \"all\"\n{bad}"), "m.toml");
    assert!(e.unwrap_err().to_string().contains("holdout"));
    let none = deepsig_md::Manifest::parse(
        &format!("selection = \"all\"\n{}", system("a", "", "")),
        "m.toml",
    );
    assert!(none.unwrap().given_split().is_none());
}
