//! `deepsig predict`, `embed` and `explain` on a tiny trained run: agreement with the
//! training pipeline, output shapes and files, and errors naming the file.

use crate::{deepsig, stderr};
use std::path::{Path, PathBuf};

use deepsig_model::TrainConfig;
use deepsig_model::TrainedRun;
use deepsig_model::prepare::Prepared;

/// A motion dataset of 12 atoms (4 trajectories per class, 40 frames) and a run trained on it
/// for 3 epochs of the `small` preset (a second or so).
pub(crate) fn trained() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let generate =
        ["generate", "motion", "-o", "data", "--per-class", "4", "--frames", "40", "--residues"];
    let out = deepsig(&[&generate[..], &["12"]].concat(), dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let train = ["train", "--manifest", "data/manifest.toml", "--out", "run", "--preset"];
    let out =
        deepsig(&[&train[..], &["small", "--set", "epochs=3", "--json"]].concat(), dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    dir
}

fn json_file(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn predict_agrees_with_the_training_pipeline_on_a_test_trajectory() {
    let dir = trained();
    let config = json_file(&dir.path().join("run/config.json"));
    let train: TrainConfig = serde_json::from_value(config["config"].clone()).unwrap();
    let manifest = dir.path().join("data/manifest.toml");
    let data = Prepared::load(&manifest, &train, 0, None).unwrap();
    let t = config["split"]["test"][0].as_u64().unwrap() as usize;
    let file: PathBuf = data.dataset.trajectories[t].path.clone();

    let out = deepsig(
        &["predict", "--run", "run", "data/topology.pdb", file.to_str().unwrap(), "--json"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let traj = &json["trajectories"][0];
    let windows = traj["windows"].as_array().unwrap();
    let samples = data.samples_of(&[t]);
    assert_eq!(windows.len(), samples.len());

    // The run applied to the training pipeline's own windows gives the same numbers: same
    // preprocessing (checked exactly), same weights, same outputs.
    let run = TrainedRun::load(&dir.path().join("run"), Some(&manifest), "cpu", false).unwrap();
    let input =
        run.input(&dir.path().join("data/topology.pdb"), std::slice::from_ref(&file)).unwrap();
    let mut sum = 0.0;
    for ((w, &i), mine) in windows.iter().zip(&samples).zip(&input.trajectories[0].1) {
        assert_eq!(*mine, data.samples[i].input, "window inputs differ from training's");
        let graph = &data.graphs[data.samples[i].system];
        let expected = run.task.predictions(run.forward(graph, &data.samples[i].input).logits);
        let p = w["outputs"][0].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p), "{p}");
        assert!((p - expected[0][0]).abs() < 1e-6, "{p} vs {expected:?}");
        sum += p;
    }
    let mean = traj["mean"]["outputs"][0].as_f64().unwrap();
    assert!((mean - sum / windows.len() as f64).abs() < 1e-9);
    // The class it names is the label exactly when `train` scored the trajectory correct.
    let metrics = json_file(&dir.path().join("run/metrics.json"));
    let label = data.dataset.systems[data.dataset.trajectories[t].system].label.to_string();
    let right = traj["mean"]["predicted"].as_str() == Some(label.as_str());
    assert_eq!(metrics["per_trajectory"]["accuracy"].as_f64(), Some(if right { 1.0 } else { 0.0 }));

    // The table names each trajectory and its mean.
    let out = deepsig(
        &["predict", "--run", "run", "data/topology.pdb", file.to_str().unwrap()],
        dir.path(),
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("P(b-first)") && table.contains("mean"), "{table}");
}

#[test]
fn embed_writes_windows_by_sub_windows_by_channels_and_refuses_to_overwrite() {
    let dir = trained();
    let args = [
        "embed",
        "--run",
        "run",
        "data/topology.pdb",
        "data/a-first-000.pdb",
        "data/b-first-001.pdb",
        "-o",
        "f.npy",
    ];
    let out = deepsig(&args, dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("data/b-first-001.pdb: 5 windows"), "{}", stderr(&out));
    let npy = npyz::NpyFile::new(std::fs::File::open(dir.path().join("f.npy")).unwrap()).unwrap();
    // 2 trajectories × 5 windows; 4 sub-windows; K = 6 clusters × 3 axes = 18 path channels,
    // so 18 increments + 18·17/2 areas = 171 log-signature channels.
    assert_eq!(npy.shape(), [10, 4, 171]);
    let values: Vec<f32> = npy.into_vec().unwrap();
    assert!(values.iter().all(|v| v.is_finite()) && values.iter().any(|&v| v != 0.0));

    let out = deepsig(&args, dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("already exists; pass --force"), "{}", stderr(&out));
    let out = deepsig(&[&args[..], &["--force"]].concat(), dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
}

/// B-factors of the ATOM records of a PDB file.
fn b_factors(text: &str) -> Vec<f64> {
    text.lines()
        .filter(|l| l.starts_with("ATOM"))
        .map(|l| l[60..66].trim().parse().unwrap())
        .collect()
}

#[test]
fn explain_writes_clusters_as_b_factors_and_attributed_signature_terms() {
    let dir = trained();
    let args =
        ["explain", "--run", "run", "data/topology.pdb", "data/a-first-000.pdb", "-o", "c.pdb"];
    let out = deepsig(&args, dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let pdb = std::fs::read_to_string(dir.path().join("c.pdb")).unwrap();
    let b = b_factors(&pdb);
    assert_eq!(b.len(), 12);
    assert!(b.iter().all(|&v| v.fract() == 0.0 && (0.0..6.0).contains(&v)), "{b:?}");

    let json = json_file(&dir.path().join("c.json"));
    let clusters = json["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 6);
    let atoms: u64 = clusters.iter().map(|c| c["atoms"].as_u64().unwrap()).sum();
    assert_eq!(atoms, 12);
    for (k, c) in clusters.iter().enumerate() {
        let count = b.iter().filter(|&&v| v == k as f64).count() as u64;
        assert_eq!(c["atoms"].as_u64(), Some(count), "cluster {k}");
    }
    let terms = json["attributions"].as_array().unwrap();
    assert_eq!(terms.len(), 20);
    let values: Vec<f64> = terms.iter().map(|t| t["attribution"].as_f64().unwrap()).collect();
    assert!(values.windows(2).all(|w| w[0].abs() >= w[1].abs()), "{values:?}");
    assert!(values[0] != 0.0, "a moving trajectory has some nonzero attribution");
    for t in terms {
        let letters = t["letters"].as_array().unwrap();
        let expected = if letters.len() == 1 { "increment" } else { "Lévy area" };
        assert_eq!(t["kind"], expected);
        for l in letters {
            assert!(l["cluster"].as_u64().unwrap() < 6);
            assert!(["x", "y", "z"].contains(&l["axis"].as_str().unwrap()));
        }
        assert_eq!(t["per_sub_window"].as_array().unwrap().len(), 4);
    }

    // Both outputs are protected; without a trajectory the topology stands still.
    let out = deepsig(&args, dir.path());
    assert!(stderr(&out).contains("c.pdb already exists"), "{}", stderr(&out));
    let out = deepsig(&["explain", "--run", "run", "data/topology.pdb", "-o", "s.pdb"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("motionless path"), "{}", stderr(&out));
    let json = json_file(&dir.path().join("s.json"));
    assert_eq!(json["static_topology"], true);
    assert!(json["attributions"].as_array().unwrap().iter().all(|t| t["attribution"] == 0.0));
}

#[test]
fn apply_errors_name_the_file() {
    let dir = trained();
    let cases: [(&[&str], &str); 3] = [
        (
            &["predict", "--run", "nowhere", "data/topology.pdb", "data/a-first-000.pdb"],
            "nowhere: no such run folder",
        ),
        (&["predict", "--run", "run", "data/topology.pdb", "missing.xtc"], "missing.xtc"),
        (&["embed", "--run", "run", "data/topology.pdb", "bad.pdb", "-o", "x.npy"], "bad.pdb"),
    ];
    std::fs::write(dir.path().join("bad.pdb"), "MODEL 1\nATOM  garbage\n").unwrap();
    for (args, expected) in cases {
        let out = deepsig(args, dir.path());
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(stderr(&out).contains(expected), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    }
    assert!(!dir.path().join("x.npy").exists());

    // A run folder without its checkpoint.
    std::fs::create_dir(dir.path().join("bare")).unwrap();
    std::fs::copy(dir.path().join("run/config.json"), dir.path().join("bare/config.json")).unwrap();
    let out = deepsig(
        &["predict", "--run", "bare", "data/topology.pdb", "data/a-first-000.pdb"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("bare/model-best.bpk: missing"), "{}", stderr(&out));

    // A system of another size is fine: the model has no fixed atom count.
    let out = deepsig(
        &[
            "generate",
            "motion",
            "-o",
            "other",
            "--per-class",
            "2",
            "--frames",
            "40",
            "--residues",
            "12",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = deepsig(
        &["predict", "--run", "run", "other/topology.pdb", "other/a-first-000.pdb", "--json"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

/// A run trained on graph systems (`generate grn`: node time series on an edge list) is
/// applied to an edge list and `.npz` series: the same inputs and outputs as the training
/// pipeline's; `explain`, which writes atoms, refuses it.
#[test]
fn predict_and_embed_apply_a_graph_run_to_node_time_series() {
    let dir = tempfile::tempdir().unwrap();
    let generate = ["generate", "grn", "-o", "grn", "--genes", "8", "--frames", "30"];
    let out = deepsig(&[&generate[..], &["--trajectories-per-class", "4"]].concat(), dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let train = ["train", "--manifest", "grn/manifest.toml", "--out", "run", "--preset", "small"];
    let settings = ["--set", "epochs=2", "--set", "clusters=2", "--json"];
    let out = deepsig(&[&train[..], &settings[..]].concat(), dir.path());
    assert!(out.status.success(), "{}", stderr(&out));

    let config = json_file(&dir.path().join("run/config.json"));
    assert_eq!(config["channels"], 1);
    let train: TrainConfig = serde_json::from_value(config["config"].clone()).unwrap();
    let manifest = dir.path().join("grn/manifest.toml");
    let data = Prepared::load(&manifest, &train, 0, None).unwrap();
    let t = config["split"]["test"][0].as_u64().unwrap() as usize;
    let file: PathBuf = data.dataset.trajectories[t].path.clone();
    let predict = ["predict", "--run", "run", "grn/edges.csv", file.to_str().unwrap(), "--json"];
    let out = deepsig(&predict, dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let windows = json["trajectories"][0]["windows"].as_array().unwrap().clone();
    let samples = data.samples_of(&[t]);
    assert_eq!(windows.len(), samples.len());
    // A run saved before config.json recorded `channels` learns it from its data.
    let mut older = config.clone();
    older.as_object_mut().unwrap().remove("channels");
    std::fs::write(dir.path().join("run/config.json"), older.to_string()).unwrap();
    let run = TrainedRun::load(&dir.path().join("run"), Some(&manifest), "cpu", false).unwrap();
    assert_eq!((run.selection.as_deref(), run.channels), (None, 1));
    let input = run.input(&dir.path().join("grn/edges.csv"), std::slice::from_ref(&file)).unwrap();
    assert_eq!(input.graph, data.graphs[data.samples[samples[0]].system]);
    for ((w, &i), mine) in windows.iter().zip(&samples).zip(&input.trajectories[0].1) {
        assert_eq!(*mine, data.samples[i].input, "window inputs differ from training's");
        let expected = run.task.predictions(run.forward(&input.graph, mine).logits);
        let p = w["outputs"][0].as_f64().unwrap();
        assert!((p - expected[0][0]).abs() < 1e-6, "{p} vs {expected:?}");
    }

    let embed = ["embed", "--run", "run", "grn/edges.csv", file.to_str().unwrap(), "-o", "e.npy"];
    let out = deepsig(&embed, dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let explain =
        ["explain", "--run", "run", "grn/edges.csv", file.to_str().unwrap(), "-o", "c.pdb"];
    let out = deepsig(&explain, dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("graph systems") && stderr(&out).contains("no atoms"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("c.pdb").exists());
    // Without a series explain gives the same answer, not a request for one.
    let out = deepsig(&["explain", "--run", "run", "grn/edges.csv", "-o", "c.pdb"], dir.path());
    assert!(stderr(&out).contains("no atoms"), "{}", stderr(&out));
    // An edge list naming a node the series lacks is refused, naming the file and line.
    std::fs::write(dir.path().join("wide.csv"), "0,1\n1,9\n").unwrap();
    let mismatch = ["predict", "--run", "run", "wide.csv", file.to_str().unwrap()];
    let out = deepsig(&mismatch, dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("wide.csv") && stderr(&out).contains("line 2"),
        "{}",
        stderr(&out)
    );
}
