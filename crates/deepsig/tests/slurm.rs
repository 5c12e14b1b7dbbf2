//! `deepsig slurm`, `benchmark --shard` and `--merge`: the generated array-job scripts, run
//! task by task as Slurm would (the `SLURM_ARRAY_*` environment), give the table a single
//! `deepsig benchmark` gives; `--merge` lists what is missing until then.
//! (`.ci/slurm-test` runs the same scripts under a real single-node Slurm.)

use std::path::Path;
use std::process::Command;

use crate::{deepsig, stderr};

/// Drops what differs between two runs of the same training: times and memory (and the
/// manifest's path, which the scripts give absolute).
fn without_timings(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.retain(|k, _| {
                !(k.contains("seconds") || k.starts_with("peak_rss") || k == "manifest")
            });
            map.values_mut().for_each(without_timings);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(without_timings),
        _ => {}
    }
}

fn task(dir: &Path, script: &str, index: Option<usize>, count: usize) -> std::process::Output {
    let mut command = Command::new("bash");
    command.arg(dir.join("bench/slurm").join(script)).current_dir(dir);
    if let Some(i) = index {
        command.env("SLURM_ARRAY_TASK_ID", i.to_string());
        command.env("SLURM_ARRAY_TASK_COUNT", count.to_string());
    }
    command.output().unwrap()
}

#[test]
fn array_tasks_then_merge_equal_one_benchmark() {
    let dir = tempfile::tempdir().unwrap();
    let generate = ["generate", "motion", "-o", "data", "--per-class", "3", "--frames", "30"];
    let out = deepsig(&[&generate[..], &["--residues", "12"]].concat(), dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let common = [
        "--manifest",
        "data/manifest.toml",
        "--methods",
        "deepsig,frame-head",
        "--seeds",
        "2",
        "--preset",
        "small",
        "--set",
        "epochs=2",
    ];
    let out =
        deepsig(&[&["slurm", "--out", "bench", "--array", "3"], &common[..]].concat(), dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let script = std::fs::read_to_string(dir.path().join("bench/slurm/benchmark.sbatch")).unwrap();
    assert!(script.contains("#SBATCH --array=0-2") && script.contains("--shard auto"), "{script}");
    for i in 0..3 {
        let out = task(dir.path(), "prepare.sbatch", Some(i), 3);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    // Before any benchmark task: the merge refuses, naming every run.
    let early = task(dir.path(), "merge.sbatch", None, 0);
    assert!(!early.status.success());
    assert!(stderr(&early).contains("4 of 4 runs are not finished"), "{}", stderr(&early));
    assert!(stderr(&early).contains("frame-head/seed-1: missing"), "{}", stderr(&early));
    for i in 0..3 {
        let out = task(dir.path(), "benchmark.sbatch", Some(i), 3);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let merged = task(dir.path(), "merge.sbatch", None, 0);
    assert!(merged.status.success(), "{}", stderr(&merged));
    let single = deepsig(&[&["benchmark", "--out", "single"], &common[..]].concat(), dir.path());
    assert!(single.status.success(), "{}", stderr(&single));
    let read = |p: &str| -> serde_json::Value {
        let mut v = serde_json::from_slice(&std::fs::read(dir.path().join(p)).unwrap()).unwrap();
        without_timings(&mut v);
        v
    };
    assert_eq!(read("bench/benchmark.json"), read("single/benchmark.json"));
}
