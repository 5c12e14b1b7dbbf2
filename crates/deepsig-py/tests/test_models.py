"""deepsig.train and deepsig.Run against the CLI on a small generated data set."""

import json
import subprocess

import numpy as np
import pytest

import deepsig
import deepsig.dask


@pytest.fixture(scope="module")
def motion(cli, tmp_path_factory):
    """A small synthetic motion data set and a 2-epoch run trained on it from Python."""
    root = tmp_path_factory.mktemp("motion")
    subprocess.run(
        [cli, "generate", "motion", "-o", str(root / "data"), "--per-class", "4",
         "--frames", "40", "--residues", "12"],
        check=True, capture_output=True,
    )
    metrics = deepsig.train(root / "data" / "manifest.toml", root / "run", preset="small",
                            epochs=2)
    return root, metrics


def test_train_returns_the_runs_metrics(motion):
    root, metrics = motion
    assert metrics == json.loads((root / "run" / "metrics.json").read_text())
    run = deepsig.Run(root / "run")
    assert run.metrics == metrics
    assert run.config["config"]["epochs"] == 2 and run.config["seed"] == 0


def test_predict_equals_the_cli(motion, cli):
    root, _ = motion
    data = root / "data"
    trajectories = [str(data / "a-first-000.pdb"), str(data / "b-first-001.pdb")]
    ours = deepsig.Run(root / "run").predict(data / "topology.pdb", trajectories)
    out = subprocess.run(
        [cli, "predict", "--run", str(root / "run"), str(data / "topology.pdb"), *trajectories,
         "--json"],
        check=True, capture_output=True, text=True,
    )
    theirs = json.loads(out.stdout)
    assert ours.columns == theirs["columns"]
    assert ours.reference == theirs["reference"] == "run"
    for t, want in zip(ours.trajectories, theirs["trajectories"]):
        assert t.path == want["trajectory"]
        np.testing.assert_array_equal(t.windows, [w["outputs"] for w in want["windows"]])
        np.testing.assert_array_equal(t.mean, want["mean"]["outputs"])
        assert t.predicted == want["mean"]["predicted"]
        assert t.window_predicted == [w["predicted"] for w in want["windows"]]


def test_embed_equals_the_cli(motion, cli, tmp_path):
    root, _ = motion
    data = root / "data"
    trajectories = [str(data / "a-first-000.pdb"), str(data / "a-first-001.pdb")]
    ours = deepsig.Run(root / "run").embed(data / "topology.pdb", trajectories)
    subprocess.run(
        [cli, "embed", "--run", str(root / "run"), str(data / "topology.pdb"), *trajectories,
         "-o", str(tmp_path / "f.npy")],
        check=True, capture_output=True,
    )
    theirs = np.load(tmp_path / "f.npy")
    assert ours.dtype == np.float32 and ours.ndim == 3
    np.testing.assert_array_equal(ours, theirs)


def test_seeds_write_a_summary(motion, tmp_path):
    root, _ = motion
    result = deepsig.train(root / "data" / "manifest.toml", tmp_path / "runs", preset="small",
                           epochs=1, seeds=2)
    assert len(result["runs"]) == 2
    assert (tmp_path / "runs" / "seed-0" / "metrics.json").is_file()
    assert (tmp_path / "runs" / "seed-1" / "metrics.json").is_file()
    summary = json.loads((tmp_path / "runs" / "summary.json").read_text())
    assert summary == result["summary"]
    assert set(summary["per_trajectory.accuracy"]) == {"mean", "std"}


def test_errors(motion, tmp_path):
    root, _ = motion
    manifest = root / "data" / "manifest.toml"
    with pytest.raises(ValueError, match="clustres"):
        deepsig.train(manifest, tmp_path / "x", preset="small", clustres=4)
    with pytest.raises(ValueError, match="preset"):
        deepsig.train(manifest, tmp_path / "x", preset="huge")
    with pytest.raises(ValueError, match="nope.toml"):
        deepsig.train(tmp_path / "nope.toml", tmp_path / "x", preset="small")
    with pytest.raises(ValueError, match="epochs"):
        deepsig.train(manifest, root / "run", preset="small", epochs=3, resume=True)
    with pytest.raises(FileNotFoundError, match="not a run folder"):
        deepsig.Run(tmp_path)
    with pytest.raises(deepsig.ReadError) as e:
        deepsig.Run(root / "run").predict(root / "data" / "topology.pdb",
                                          [tmp_path / "missing.pdb"])
    assert e.value.path == str(tmp_path / "missing.pdb")


def test_prepare_shards_and_dask_fill_the_cache_train_reads(motion, tmp_path):
    root, _ = motion
    manifest = root / "data" / "manifest.toml"
    first = deepsig.prepare(manifest, tmp_path / "c", shard=(0, 2), preset="small")
    second = deepsig.prepare(manifest, tmp_path / "c", shard=(1, 2), preset="small")
    assert first["read"] + second["read"] == 8 and first["cached"] == second["cached"] == 0
    assert deepsig.prepare(manifest, tmp_path / "c", preset="small") == {"read": 0, "cached": 8}
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            done = deepsig.dask.prepare(manifest, tmp_path / "d", client, preset="small")
            again = deepsig.dask.prepare(manifest, tmp_path / "d", client, preset="small")
    assert done == {"trajectories": 8, "read": 8, "cached": 0}
    assert again == {"trajectories": 8, "read": 0, "cached": 8}
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == sorted(
        p.name for p in (tmp_path / "d").iterdir())
    with pytest.raises(ValueError, match="shard"):
        deepsig.prepare(manifest, tmp_path / "c", shard=(2, 2))


def test_benchmark_in_process_and_on_dask_equal_the_cli(motion, cli, tmp_path):
    root, _ = motion
    manifest = root / "data" / "manifest.toml"
    kwargs = dict(methods=["deepsig", "frame-head"], seeds=2, preset="small", epochs=2)
    ours = deepsig.benchmark(manifest, tmp_path / "py", **kwargs)
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            on_dask = deepsig.dask.benchmark(manifest, tmp_path / "dask", client, **kwargs)
    out = subprocess.run(
        [cli, "benchmark", "--manifest", str(manifest), "--out", str(tmp_path / "cli"),
         "--methods", "deepsig,frame-head", "--seeds", "2", "--preset", "small", "--set",
         "epochs=2", "--json"],
        check=True, capture_output=True, text=True,
    )
    theirs = json.loads(out.stdout)["methods"]

    def scores(table):
        return [[(r["per_trajectory"], r["per_window"]) for r in m["metrics"]] for m in table]

    assert scores(ours) == scores(on_dask)
    assert scores(ours) == [[(r["per_trajectory"], r["per_window"]) for r in m["runs"]]
                            for m in theirs]
    assert [m["method"] for m in ours] == ["deepsig", "frame-head"]
    assert set(ours[0]["summary"]) >= {"per_trajectory.accuracy", "per_window.accuracy"}
    # A finished benchmark is reused, not retrained.
    stamp = (tmp_path / "py" / "deepsig" / "seed-0" / "metrics.json").stat().st_mtime_ns
    assert deepsig.benchmark(manifest, tmp_path / "py", **kwargs) == ours
    assert (tmp_path / "py" / "deepsig" / "seed-0" / "metrics.json").stat().st_mtime_ns == stamp
    with pytest.raises(ValueError, match="methods: unknown"):
        deepsig.benchmark(manifest, tmp_path / "x", methods=["nope"])


def test_explain_matches_the_cli(motion, cli, tmp_path):
    root, _ = motion
    data = root / "data"
    trajectory = str(data / "a-first-000.pdb")
    ours = deepsig.Run(root / "run").explain(data / "topology.pdb", [trajectory], top=5)
    subprocess.run(
        [cli, "explain", "--run", str(root / "run"), str(data / "topology.pdb"), trajectory,
         "-o", str(tmp_path / "c.pdb"), "--top", "5"],
        check=True, capture_output=True,
    )
    theirs = json.loads((tmp_path / "c.json").read_text())
    assert ours["clusters"] == len(theirs["clusters"])
    assert ours["assignment"].shape == (len(ours["hard"]), ours["clusters"])
    np.testing.assert_allclose(ours["assignment"].sum(axis=1), 1.0, atol=1e-5)
    sizes = np.bincount(ours["hard"], minlength=ours["clusters"])
    assert list(sizes) == [c["atoms"] for c in theirs["clusters"]]
    assert [t["channel"] for t in ours["terms"]] == [t["channel"] for t in theirs["attributions"]]
    np.testing.assert_allclose([t["attribution"] for t in ours["terms"]],
                               [t["attribution"] for t in theirs["attributions"]], rtol=1e-6)
    assert ours["predicted"] == theirs["prediction"]["predicted"]


def test_a_graph_run_takes_arrays_as_it_takes_files(cli, tmp_path):
    subprocess.run(
        [cli, "generate", "grn", "-o", str(tmp_path / "grn"), "--genes", "8", "--frames", "30",
         "--trajectories-per-class", "4"],
        check=True, capture_output=True,
    )
    deepsig.train(tmp_path / "grn" / "manifest.toml", tmp_path / "run", preset="small",
                  epochs=2, clusters=2)
    run = deepsig.Run(tmp_path / "run")
    files = sorted((tmp_path / "grn").glob("*.npz"))[:2]
    from_files = run.predict(tmp_path / "grn" / "edges.csv", files)
    edges = np.loadtxt(tmp_path / "grn" / "edges.csv", delimiter=",", skiprows=1,
                       dtype=np.int64, ndmin=2)
    series = [np.load(f)["x"] for f in files]
    from_arrays = run.predict(edges, series)
    assert [t.path for t in from_arrays.trajectories] == ["series[0]", "series[1]"]
    for a, b in zip(from_arrays.trajectories, from_files.trajectories):
        np.testing.assert_array_equal(a.windows, b.windows)
    np.testing.assert_array_equal(run.embed(edges, series),
                                  run.embed(tmp_path / "grn" / "edges.csv", files))
    with pytest.raises(ValueError, match="edges: expected an"):
        run.predict(np.zeros((3, 3)), series)
    with pytest.raises(ValueError, match=r"series\[0\]"):
        run.predict(edges, [np.zeros((4, 8))])


def test_progress_reaches_a_callback(motion, tmp_path):
    root, _ = motion
    events = []
    deepsig.train(root / "data" / "manifest.toml", tmp_path / "r", preset="small", epochs=3,
                  progress=events.append)
    epochs = [e for e in events if e["event"] == "epoch"]
    assert [e["epoch"] for e in epochs] == [1, 2, 3] and epochs[0]["epochs"] == 3
    curves = (tmp_path / "r" / "curves.csv").read_text().splitlines()[1:]
    assert [float(line.split(",")[1]) for line in curves] == [e["train_loss"] for e in epochs]

    def fail(event):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        deepsig.train(root / "data" / "manifest.toml", tmp_path / "s", preset="small",
                      epochs=1, progress=fail)
    with pytest.raises(TypeError, match="progress"):
        deepsig.train(root / "data" / "manifest.toml", tmp_path / "t", progress=3)
