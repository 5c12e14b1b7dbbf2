//! `deepsig benchmark` end to end: every output written, finished runs reused, and its errors.

use crate::{deepsig, stderr};

/// A temporary folder holding `data/`: a small generated motion benchmark (8 trajectories).
fn small_motion_data() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let generate = ["generate", "motion", "-o", "data", "--per-class", "4", "--frames", "40"];
    let out = deepsig(&[&generate[..], &["--residues", "12"]].concat(), dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    dir
}

#[test]
fn benchmark_writes_a_table_per_method_and_reuses_finished_runs() {
    let dir = small_motion_data();
    let args = [
        "benchmark",
        "--manifest",
        "data/manifest.toml",
        "--methods",
        "deepsig,frame-head,graph-lstm",
        "--seeds",
        "2",
        "--preset",
        "small",
        "--set",
        "epochs=2",
        "--set",
        "folds=3",
        "--out",
        "bench",
        "--json",
    ];
    let out = deepsig(&args, dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let methods = json["methods"].as_array().unwrap();
    let names: Vec<_> = methods.iter().map(|m| m["method"].as_str().unwrap()).collect();
    assert_eq!(names, ["deepsig", "frame-head", "graph-lstm"]);
    for m in methods {
        assert_eq!(m["runs"].as_array().unwrap().len(), 2, "{m}");
        // The table's mean is the mean of the runs' own accuracies.
        let runs = m["runs"].as_array().unwrap();
        let mean =
            runs.iter().map(|r| r["per_trajectory"]["accuracy"].as_f64().unwrap()).sum::<f64>()
                / runs.len() as f64;
        let accuracy = &m["summary"]["per_trajectory.accuracy"];
        assert!((accuracy["mean"].as_f64().unwrap() - mean).abs() < 1e-9, "{m}");
    }
    // Each run trained the method it is filed under.
    let config: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("bench/graph-lstm/seed-1/config.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(config["config"]["model"]["method"], "graph-lstm");
    assert_eq!(config["seed"], 1);
    // With folds, a seed picks the same test fold, and the same trajectories, for every method.
    for seed in 0..2u64 {
        let split_of = |method: &str| -> serde_json::Value {
            let path = dir.path().join(format!("bench/{method}/seed-{seed}/config.json"));
            let config: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            config["split"].clone()
        };
        let split = split_of("deepsig");
        assert_eq!(split["fold"], seed, "{split}");
        assert_eq!(split_of("frame-head"), split);
        assert_eq!(split_of("graph-lstm"), split);
        for m in methods {
            assert_eq!(m["runs"][seed as usize]["split"]["fold"], seed, "{m}");
        }
    }
    let table = std::fs::read_to_string(dir.path().join("bench/benchmark.md")).unwrap();
    assert!(table.contains("| frame-head |") && table.contains("accuracy (trajectory)"), "{table}");
    assert!(table.contains("3-fold cross-validation"), "{table}");
    let svg = std::fs::read_to_string(dir.path().join("bench/benchmark.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("graph-lstm"));

    // A second call finds the runs finished and trains nothing.
    let text_args: Vec<&str> = args.iter().copied().filter(|a| *a != "--json").collect();
    let again = deepsig(&text_args, dir.path());
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(stderr(&again).matches("(reused)").count(), 6, "{}", stderr(&again));
    assert!(String::from_utf8_lossy(&again.stdout).contains("| deepsig |"));
}

#[test]
fn benchmark_refuses_unknown_methods_bad_settings_and_missing_manifests() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.toml"), "").unwrap();
    let base = ["benchmark", "--out", "b", "--seeds", "1"];
    let cases: [(&[&str], &str); 3] = [
        (&["--manifest", "m.toml", "--methods", "deepsig,gru"], "unknown method \"gru\""),
        (&["--manifest", "m.toml", "--set", "clustres=4"], "no such setting"),
        (&["--manifest", "absent.toml"], "absent.toml: no such manifest"),
    ];
    for (extra, message) in cases {
        let out = deepsig(&[&base[..], extra].concat(), dir.path());
        assert_eq!(out.status.code(), Some(1), "{extra:?}");
        assert!(stderr(&out).contains(message), "{extra:?}: {}", stderr(&out));
    }
}

/// Without `--methods` the benchmark runs `Method::ALL`; its help lists exactly those.
#[test]
fn benchmark_help_lists_every_method() {
    let dir = tempfile::tempdir().unwrap();
    let out = deepsig(&["benchmark", "--help"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let help =
        String::from_utf8_lossy(&out.stdout).split_whitespace().collect::<Vec<_>>().join(" ");
    let list = help.split("default: all of ").nth(1).and_then(|rest| rest.split(')').next());
    let listed: Vec<&str> = list.unwrap_or_else(|| panic!("{help}")).split(", ").collect();
    let all: Vec<&str> = deepsig_model::Method::ALL.iter().map(|m| m.name()).collect();
    assert_eq!(listed, all);
}

#[test]
fn tune_chooses_each_methods_setting_on_validation_and_reports_training_accuracy() {
    let dir = small_motion_data();
    let args = [
        "benchmark",
        "--manifest",
        "data/manifest.toml",
        "--methods",
        "sig-fixed,frame-head",
        "--seeds",
        "2",
        "--preset",
        "small",
        "--set",
        "epochs=3",
        "--tune",
        "lr=1e-4,3e-2",
        "--out",
        "bench",
        "--json",
    ];
    let out = deepsig(&args, dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for m in json["methods"].as_array().unwrap() {
        let method = m["method"].as_str().unwrap();
        // The chosen value is the candidate whose seeds' best validation losses are lowest.
        let mean_best = |setting: &str| -> f64 {
            (0..2)
                .map(|seed| {
                    let path =
                        dir.path().join(format!("bench/{method}/{setting}/seed-{seed}/curves.csv"));
                    let text = std::fs::read_to_string(path).unwrap();
                    text.lines()
                        .skip(1)
                        .map(|l| l.split(',').nth(2).unwrap().parse::<f64>().unwrap())
                        .fold(f64::INFINITY, f64::min)
                })
                .sum::<f64>()
                / 2.0
        };
        let (low, high) = (mean_best("lr=1e-4"), mean_best("lr=3e-2"));
        let expected = if low <= high { "lr=1e-4" } else { "lr=3e-2" };
        assert_eq!(m["tuned"]["chosen"], expected, "{m}");
        assert_eq!(m["tuned"]["candidates"].as_array().unwrap().len(), 2, "{m}");
        // The training accuracy is the run's own metrics.json's, on its training part.
        let run = &m["runs"][0];
        let folder = format!(
            "bench/{}/{}/seed-{}",
            m["method"].as_str().unwrap(),
            m["tuned"]["chosen"].as_str().unwrap(),
            run["seed"]
        );
        let metrics: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join(folder).join("metrics.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(
            run["train_per_trajectory"]["accuracy"], metrics["train"]["per_trajectory"]["accuracy"],
            "{m}"
        );
    }
    let md = std::fs::read_to_string(dir.path().join("bench/benchmark.md")).unwrap();
    assert!(md.contains("train accuracy (trajectory)") && md.contains("| tuned |"), "{md}");
    let bad = deepsig(
        &["benchmark", "--manifest", "data/manifest.toml", "--out", "b2", "--tune", "lr=0.1"],
        dir.path(),
    );
    assert!(stderr(&bad).contains("at least two values"), "{}", stderr(&bad));
}
