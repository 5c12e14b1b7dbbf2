//! `deepsig generate motion`/`grn`/`circulation` and `deepsig train` end to end, and their
//! errors.

use crate::{deepsig, stderr};

#[test]
fn generate_then_train_writes_a_run_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = deepsig(
        &[
            "generate",
            "motion",
            "-o",
            "data",
            "--per-class",
            "4",
            "--frames",
            "40",
            "--residues",
            "12",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let manifest = std::fs::read_to_string(dir.path().join("data/manifest.toml")).unwrap();
    assert_eq!(manifest.matches("[[system]]").count(), 8);
    let again = deepsig(&["generate", "motion", "-o", "data"], dir.path());
    assert!(stderr(&again).contains("exists and is not empty"), "{}", stderr(&again));

    let args = [
        "train",
        "--manifest",
        "data/manifest.toml",
        "--out",
        "run",
        "--preset",
        "small",
        "--set",
        "epochs=2",
        "--json",
    ];
    let out = deepsig(&args, dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["runs"][0]["per_window"]["accuracy"].as_f64().is_some(), "{json}");
    for file in ["config.json", "metrics.json", "curves.csv", "curves.svg", "report.md"] {
        assert!(dir.path().join("run").join(file).exists(), "{file} missing");
    }
    let out = deepsig(&args, dir.path());
    assert!(stderr(&out).contains("already holds a run; pass --resume"), "{}", stderr(&out));

    // `eval` reloads the folder and reproduces the test metrics written by `train`.
    let out = deepsig(&["eval", "--run", "run", "--json"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let again: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(again["per_window"], json["runs"][0]["per_window"]);
    assert_eq!(again["loss"], json["runs"][0]["loss"]);
    let out = deepsig(&["eval", "--run", "nowhere"], dir.path());
    assert!(stderr(&out).contains("run `deepsig train` first"), "{}", stderr(&out));
}

#[test]
fn generate_grn_then_train_on_node_time_series() {
    let dir = tempfile::tempdir().unwrap();
    let generate = |extra: &[&str]| {
        let mut args = vec!["generate", "grn", "-o", "grn", "--genes", "8", "--frames", "30"];
        args.extend_from_slice(&["--trajectories-per-class", "4"]);
        args.extend_from_slice(extra);
        deepsig(&args, dir.path())
    };
    let out = generate(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let folder = dir.path().join("grn");
    for file in ["edges.csv", "regulation.csv", "README.txt", "traj_003_f2.npz"] {
        assert!(folder.join(file).exists(), "{file} missing");
    }
    let manifest = deepsig_md::Manifest::load(folder.join("manifest.toml")).unwrap();
    assert_eq!(manifest.systems().len(), 8);
    assert!(manifest.systems().iter().all(|s| s.is_graph()));
    let series = deepsig_md::read_node_series(&folder.join("traj_000_f1.npz")).unwrap();
    assert_eq!((series.frames, series.nodes, series.channels), (30, 8, 1));
    let again = generate(&[]);
    assert!(
        stderr(&again).contains("not empty; choose a new folder or pass --force"),
        "{}",
        stderr(&again)
    );
    let forced = generate(&["--force", "--seed", "1"]);
    assert!(forced.status.success(), "{}", stderr(&forced));

    let args = [
        "train",
        "--manifest",
        "grn/manifest.toml",
        "--out",
        "run",
        "--preset",
        "small",
        "--set",
        "epochs=2",
        "--set",
        "clusters=3",
        "--json",
    ];
    let out = deepsig(&args, dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["runs"][0]["per_window"]["accuracy"].as_f64().is_some(), "{json}");
}

#[test]
fn train_errors_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let out = deepsig(&["train", "--manifest", "nope.toml", "--out", "run"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("nope.toml"), "{}", stderr(&out));
    let out = deepsig(
        &["train", "--manifest", "nope.toml", "--out", "run", "--preset", "huge"],
        dir.path(),
    );
    assert!(stderr(&out).contains("unknown preset \"huge\""), "{}", stderr(&out));
    assert_eq!(out.status.code(), Some(2), "a wrong preset is a usage error");
    let out = deepsig(
        &["train", "--manifest", "nope.toml", "--out", "run", "--set", "clustres=3"],
        dir.path(),
    );
    assert!(stderr(&out).contains("no such setting"), "{}", stderr(&out));
    let out = deepsig(
        &["train", "--manifest", "nope.toml", "--out", "run", "--device", "cuda"],
        dir.path(),
    );
    assert!(
        stderr(&out).contains("nope.toml") || stderr(&out).contains("--features cuda"),
        "{}",
        stderr(&out)
    );
}

/// The run folder's `config.json` and `metrics.json` as JSON.
fn run_files(run: &std::path::Path) -> (serde_json::Value, serde_json::Value) {
    let read = |f: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(run.join(f)).unwrap()).unwrap()
    };
    (read("config.json"), read("metrics.json"))
}

#[test]
fn train_with_folds_over_seeds_tests_every_trajectory_once() {
    let dir = tempfile::tempdir().unwrap();
    let generate = ["generate", "motion", "-o", "data", "--per-class", "3", "--frames", "40"];
    let out = deepsig(&[&generate[..], &["--residues", "9"]].concat(), dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let train = |extra: &[&str]| {
        let base = ["train", "--manifest", "data/manifest.toml", "--preset", "small"];
        let sets = ["--set", "epochs=1", "--set", "clusters=3", "--set", "folds=3"];
        deepsig(&[&base[..], &sets[..], extra].concat(), dir.path())
    };
    let out = train(&["--out", "cv", "--seed", "1", "--seeds", "3", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cv = &json["summary"]["cross_validation"];
    assert_eq!((cv["folds"].as_u64(), cv["complete"].as_bool()), (Some(3), Some(true)), "{cv}");
    let mut tested = Vec::new();
    for seed in 1..4u64 {
        let (config, metrics) = run_files(&dir.path().join(format!("cv/seed-{seed}")));
        let split = &config["split"];
        assert_eq!(split["fold"], seed % 3, "{split}");
        assert_eq!(metrics["split"]["fold"], seed % 3, "{metrics}");
        let part = |p: &str| -> Vec<u64> {
            split[p].as_array().unwrap().iter().map(|t| t.as_u64().unwrap()).collect()
        };
        let mut all = [part("train"), part("validation"), part("test")].concat();
        all.sort_unstable();
        assert_eq!(all, [0, 1, 2, 3, 4, 5], "parts overlap or miss: {split}");
        assert_eq!(metrics["trajectories"].as_u64(), Some(part("test").len() as u64));
        tested.extend(part("test"));
    }
    tested.sort_unstable();
    assert_eq!(tested, [0, 1, 2, 3, 4, 5], "each trajectory tested exactly once");

    // More folds than trajectories, and fractions with folds, are refused by name.
    let out = train(&["--out", "many", "--set", "folds=7"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("folds=7 needs at least 7") && stderr(&out).contains("has 6"));
    let out = train(&["--out", "frac", "--set", "test_fraction=0.3"]);
    assert!(stderr(&out).contains("test_fraction cannot be used with folds=3"), "{}", stderr(&out));
    let out = train(&["--out", "two", "--set", "folds=2"]);
    assert!(stderr(&out).contains("folds=2: k-fold needs at least 3"), "{}", stderr(&out));
}

#[test]
fn generate_circulation_writes_a_dataset_that_info_and_train_read() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["generate", "circulation", "-o", "circ", "--per-class", "3", "--frames", "30"];
    let out = deepsig(&args, dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let manifest = std::fs::read_to_string(dir.path().join("circ/manifest.toml")).unwrap();
    assert_eq!(manifest.matches("label = \"clockwise\"").count(), 3);
    assert_eq!(manifest.matches("label = \"counter-clockwise\"").count(), 3);
    let traj = dir.path().join("circ/clockwise-000.pdb");
    let info = deepsig(&["info", "circ/topology.pdb", traj.to_str().unwrap()], dir.path());
    assert!(info.status.success(), "{}", stderr(&info));
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(text.contains("60") && text.contains("30"), "60 atoms and 30 frames: {text}");
    let train = ["train", "--manifest", "circ/manifest.toml", "--out", "run", "--preset", "small"];
    let out =
        deepsig(&[&train[..], &["--set", "epochs=1", "--set", "clusters=3"]].concat(), dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    // Two loops of 4 beads, a quarter of the chain apart, need at least 16 residues.
    let small = ["generate", "circulation", "-o", "tiny", "--residues", "10"];
    let out = deepsig(&small, dir.path());
    assert!(
        !out.status.success() && stderr(&out).contains("at least 16 residues"),
        "{}",
        stderr(&out)
    );
}
