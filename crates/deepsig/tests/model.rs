//! `deepsig generate motion`/`grn` and `deepsig train` end to end, and their errors.

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
            "9",
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
