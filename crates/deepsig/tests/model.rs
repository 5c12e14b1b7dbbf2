//! `deepsig generate motion` and `deepsig train` end to end, and their errors.

use std::path::Path;
use std::process::{Command, Output};

fn deepsig(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deepsig")).args(args).current_dir(dir).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

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
