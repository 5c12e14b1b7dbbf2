"""Models: :func:`train` on a manifest, and :class:`Run` to apply a trained run."""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import sys
import tempfile
from dataclasses import dataclass, replace
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

import numpy as np

from . import _core
from ._md import _paths

PathLike = Union[str, "os.PathLike[str]"]


def _setting(key: str, value: Any) -> str:
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    return f"{key}={value}"


def _print_progress(event: Dict[str, Any]) -> None:
    if event["event"] == "warning":
        print(f"warning: {event['message']}", file=sys.stderr)
    else:
        print(f"epoch {event['epoch']:>3}/{event['epochs']}  train loss {event['train_loss']:.4f}"
              f"  validation loss {event['validation_loss']:.4f}  lr {event['lr']:.2e}"
              f"  {event['seconds']:.1f}s", file=sys.stderr)


def train(
    manifest: PathLike,
    out: PathLike,
    *,
    preset: str = "paper",
    seeds: int = 1,
    seed: int = 0,
    resume: bool = False,
    resume_changed: bool = False,
    device: str = "cpu",
    cache: Optional[PathLike] = None,
    progress: Union[bool, Callable[[Dict[str, Any]], None]] = False,
    **settings: Any,
) -> Dict[str, Any]:
    """Trains on the TOML manifest ``manifest`` into the run folder ``out`` (as ``deepsig
    train``): one run per seed (``out/seed-S`` when ``seeds > 1``), settings as ``--set``
    keys (``train(m, out, preset="small", epochs=20, lr=3e-3)``).

    Returns the run's ``metrics.json`` as a dict when ``seeds == 1``; else ``{"runs":
    [metrics, ...], "summary": {"per_trajectory.accuracy": {"mean": m, "std": s}, ...}}``.
    ``progress=True`` prints one line per epoch on stderr; a callable gets each event as a
    dict (``{"event": "epoch", "epoch", "epochs", "train_loss", "validation_loss", "lr",
    "grad_norm", "grad_norm_max", "seconds"}`` or ``{"event": "warning", "message"}``); an
    exception it raises is re-raised when the run ends. The GIL is released while training.
    """
    if not isinstance(seeds, int) or seeds < 1:
        raise ValueError(f"seeds: expected a positive integer, got {seeds!r}")
    callback = _print_progress if progress is True else (progress or None)
    if callback is not None and not callable(callback):
        raise TypeError(f"progress: expected a bool or a callable, got {progress!r}")
    text = _core.train(
        os.fspath(manifest), os.fspath(out), preset,
        [_setting(k, v) for k, v in settings.items()], seeds, seed, bool(resume),
        bool(resume_changed), device, None if cache is None else os.fspath(cache), callback,
    )
    result = json.loads(text)
    return result["runs"][0] if seeds == 1 else result


def prepare(
    manifest: PathLike,
    cache: PathLike,
    *,
    shard: tuple = (0, 1),
    preset: str = "paper",
    **settings: Any,
) -> Dict[str, int]:
    """Preprocesses share ``shard = (index, count)`` of ``manifest``'s trajectories (those at
    ``index``, ``index + count``, ... in manifest order) into the cache folder ``cache``, as
    ``deepsig prepare``; a later :func:`train` with the same ``cache``, ``preset`` and
    ``settings`` starts from it. Returns ``{"read": n, "cached": m}``."""
    index, count = shard
    read, cached = _core.prepare(os.fspath(manifest), os.fspath(cache), int(index), int(count),
                                 preset, [_setting(k, v) for k, v in settings.items()])
    return {"read": read, "cached": cached}


#: Deep Signature and the baselines, in the order tables list them.
METHODS = tuple(_core.METHODS)


def _benchmark_run(manifest: str, out: str, method: str, seed: int, preset: str,
                   settings: list, device: str) -> Dict[str, Any]:
    """One (method, seed) run of a benchmark, in ``OUT/METHOD/seed-S`` with the benchmark's
    cache, exactly as ``deepsig benchmark`` trains it: a finished run is reused, an
    interrupted one resumed."""
    run = pathlib.Path(out) / method / f"seed-{seed}"
    metrics = run / "metrics.json"
    if metrics.is_file():
        return json.loads(metrics.read_text())
    resume = (run / "checkpoint.bin").is_file()
    text = _core.train(
        manifest, os.fspath(run), preset, list(settings) + [f"method={method}"], 1, seed,
        resume, False, device, os.fspath(pathlib.Path(out) / ".deepsig-cache"), None,
    )
    return json.loads(text)["runs"][0]


def _benchmark_plan(manifest, out, methods, seeds, seed, preset, settings):
    methods = list(METHODS) if methods is None else [methods] if isinstance(methods, str) \
        else list(methods)
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"methods: unknown {unknown!r} (known: {', '.join(METHODS)})")
    if not isinstance(seeds, int) or seeds < 1:
        raise ValueError(f"seeds: expected a positive integer, got {seeds!r}")
    listed = [_setting(k, v) for k, v in settings.items()]
    runs = [(m, s) for m in methods for s in range(seed, seed + seeds)]
    return os.fspath(manifest), os.fspath(out), methods, runs, listed


def _benchmark_table(methods, runs, results) -> List[Dict[str, Any]]:
    table = []
    for method in methods:
        mine = [r for (m, _), r in zip(runs, results) if m == method]
        summary = json.loads(_core.summarise_runs(json.dumps(mine)))
        table.append({"method": method, "runs": len(mine), "summary": summary,
                      "seeds": [s for (m, s) in runs if m == method], "metrics": mine})
    return table


def benchmark(
    manifest: PathLike,
    out: PathLike,
    *,
    methods: Union[str, Sequence[str], None] = None,
    seeds: int = 5,
    seed: int = 0,
    preset: str = "paper",
    device: str = "cpu",
    **settings: Any,
) -> List[Dict[str, Any]]:
    """Every method on the same splits over ``seeds`` seeds, as ``deepsig benchmark``: the
    runs go to ``out/METHOD/seed-S`` (finished ones reused, interrupted ones resumed), the
    same runs the CLI makes. Returns the table, one dict per method: ``method``, ``runs``,
    ``seeds``, ``summary`` (``{"per_trajectory.accuracy": {"mean": m, "std": s}, ...}``) and
    each run's ``metrics``. (``deepsig benchmark --merge --out OUT`` writes the Markdown/SVG
    table of the same folder.)"""
    manifest, out, methods, runs, listed = _benchmark_plan(
        manifest, out, methods, seeds, seed, preset, settings)
    results = [_benchmark_run(manifest, out, m, s, preset, listed, device) for m, s in runs]
    return _benchmark_table(methods, runs, results)


@dataclass(frozen=True)
class TrajectoryPrediction:
    """One trajectory: ``windows`` (W, outputs) float64 (class probabilities, or values for a
    regression), their ``mean`` (outputs,), and the predicted class names."""

    path: str
    windows: np.ndarray
    mean: np.ndarray
    predicted: Optional[str]
    window_predicted: List[Optional[str]]


@dataclass(frozen=True)
class Prediction:
    """What :meth:`Run.predict` returns (the content of ``deepsig predict --json``)."""

    columns: List[str]
    classes: List[str]
    trajectories: List[TrajectoryPrediction]
    reference: Optional[str]
    static_topology: bool

    def to_pandas(self):
        """One row per window: trajectory, window, the output columns, predicted class."""
        try:
            import pandas as pd
        except ImportError as e:
            raise ImportError("Prediction.to_pandas needs pandas: pip install pandas") from e
        rows = []
        for t in self.trajectories:
            for w, values in enumerate(t.windows):
                row = {"trajectory": t.path, "window": w}
                row.update(dict(zip(self.columns, values)))
                row["predicted"] = t.window_predicted[w]
                rows.append(row)
        return pd.DataFrame(rows)


@contextlib.contextmanager
def _graph_files(edges, series):
    """A graph run's in-memory inputs as the files the engine reads: ``edges`` (E, 2) node
    index pairs as an edge list, each ``(T, N, c)`` series as ``.npy``, in a temporary
    folder removed afterwards."""
    edges = np.asarray(edges)
    if edges.ndim != 2 or edges.shape[1] != 2 or not np.issubdtype(edges.dtype, np.integer):
        raise ValueError(f"edges: expected an (E, 2) integer array, got {edges.dtype} "
                         f"{edges.shape}")
    if isinstance(series, np.ndarray):
        series = [series]
    with tempfile.TemporaryDirectory(prefix="deepsig-") as tmp:
        edge_file = os.path.join(tmp, "edges.csv")
        np.savetxt(edge_file, edges, fmt="%d", delimiter=",", header="source,target",
                   comments="")
        paths = []
        for i, array in enumerate(series):
            array = np.asarray(array)
            if array.ndim != 3 or array.dtype not in (np.float32, np.float64):
                raise ValueError(f"series[{i}]: expected a (T, N, c) float32/float64 array, "
                                 f"got {array.dtype} {array.shape}")
            paths.append(os.path.join(tmp, f"series-{i}.npy"))
            np.save(paths[-1], np.ascontiguousarray(array))
        yield edge_file, paths


class Run:
    """A trained run folder (``deepsig train --out RUN``).

    ``config``: its ``config.json``; ``metrics``: its ``metrics.json`` (None while training
    has not finished). ``manifest`` overrides the manifest the run was trained from (for the
    vocabulary of a moved data set); ``device`` is ``cpu``, ``cuda`` or ``wgpu`` (when built
    with those features).
    """

    def __init__(self, path: PathLike, *, manifest: Optional[PathLike] = None,
                 device: str = "cpu"):
        self.path = pathlib.Path(path)
        if not (self.path / "config.json").is_file():
            raise FileNotFoundError(f"{self.path}: not a run folder (no config.json)")
        self._manifest = None if manifest is None else os.fspath(manifest)
        self._device = device

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r})"

    @property
    def config(self) -> Dict[str, Any]:
        return json.loads((self.path / "config.json").read_text())

    @property
    def metrics(self) -> Optional[Dict[str, Any]]:
        path = self.path / "metrics.json"
        return json.loads(path.read_text()) if path.is_file() else None

    def predict(
        self, topology: PathLike, trajectories: Union[PathLike, Sequence[PathLike]] = ()
    ) -> Prediction:
        """The run applied to ``trajectories`` of ``topology`` (for a graph run: the edge list
        and ``(T, N, c)`` ``.npy``/``.npz`` arrays), window by window, aligned to the run's
        own reference structure when it has one for these atoms.

        A graph run also takes arrays: ``run.predict(edges, [series, ...])`` with ``edges`` an
        (E, 2) integer array of node pairs and each series a (T, N, c) float array (they are
        passed to the engine as temporary files); trajectories are then named
        ``series[i]``."""
        if isinstance(topology, np.ndarray):
            with _graph_files(topology, trajectories) as (edges, paths):
                result = self.predict(edges, paths)
            named = [replace(t, path=f"series[{i}]") for i, t in enumerate(result.trajectories)]
            return replace(result, trajectories=named)
        raw = _core.predict(os.fspath(self.path), self._manifest, self._device,
                            os.fspath(topology), _paths(trajectories))
        return Prediction(
            columns=list(raw["columns"]),
            classes=list(raw["classes"]),
            trajectories=[TrajectoryPrediction(**t) for t in raw["trajectories"]],
            reference=raw["reference"],
            static_topology=raw["static_topology"],
        )

    def embed(
        self, topology: PathLike, trajectories: Union[PathLike, Sequence[PathLike]] = ()
    ) -> np.ndarray:
        """The sequence head's inputs, (windows, sub_windows, C) float32, windows of all
        ``trajectories`` in order (as ``deepsig embed``); a graph run takes arrays as
        :meth:`predict` does."""
        if isinstance(topology, np.ndarray):
            with _graph_files(topology, trajectories) as (edges, paths):
                return self.embed(edges, paths)
        parts = _core.embed(os.fspath(self.path), self._manifest, self._device,
                            os.fspath(topology), _paths(trajectories))
        arrays = [features for _, features in parts]
        if not arrays:
            return np.zeros((0, 0, 0), dtype=np.float32)
        return np.concatenate(arrays, axis=0)

    def explain(
        self,
        topology: PathLike,
        trajectories: Union[PathLike, Sequence[PathLike]] = (),
        *,
        top: int = 10,
    ) -> Dict[str, Any]:
        """The run's atom clusters and the ``top`` log-signature terms its prediction rests on
        (as ``deepsig explain``, without the files): ``clusters`` K, ``assignment`` (A, K)
        mean soft assignment, ``hard`` (A,) each selected atom's cluster, ``top_membership``
        (A,), ``indices`` (A,) the atoms' topology indices, ``prediction``/``predicted``,
        and ``terms``: dicts with ``channel``, ``letters`` (``(cluster, axis)`` pairs: one
        letter is a cluster's displacement, two a Lévy area), ``attribution`` (gradient ×
        input, summed over sub-windows, averaged over windows) and ``per_sub_window``."""
        if not isinstance(top, int) or top < 0:
            raise ValueError(f"top: expected a non-negative integer, got {top!r}")
        return _core.explain(os.fspath(self.path), self._manifest, self._device,
                             os.fspath(topology), _paths(trajectories), top)
