"""Preprocessing and benchmarks on a Dask cluster: one task per trajectory (the same Rust
code as ``deepsig prepare``, into a content-keyed cache folder every worker can reach) or
per (method, seed) run.

    from distributed import Client
    import deepsig.dask
    deepsig.dask.prepare("manifest.toml", "/shared/cache", Client("scheduler:8786"),
                         preset="paper")
    deepsig.train("manifest.toml", "run", cache="/shared/cache")   # starts from the cache

Concurrent writers never clash: each cache entry is written to a temporary file and renamed
into place, and its key is the content that shaped it.
"""

from __future__ import annotations

import os
from typing import Any, Dict

from . import _core
from ._models import _benchmark_plan, _benchmark_run, _benchmark_table, _setting


def _prepare_one(manifest: str, cache: str, index: int, count: int, preset: str,
                 settings: list) -> Dict[str, int]:
    read, cached = _core.prepare(manifest, cache, index, count, preset, settings)
    return {"read": read, "cached": cached}


def prepare(manifest, cache, client, *, preset: str = "paper", **settings: Any) -> Dict[str, int]:
    """Preprocesses every trajectory of ``manifest`` into ``cache`` on ``client``'s workers,
    one task per trajectory, under the keys a run with ``preset`` and ``settings`` reads.

    Returns ``{"trajectories": n, "read": trajectories preprocessed, "cached": already
    there}``. A failing task raises its error here (a :class:`deepsig.ReadError` naming the
    file, or a ``ValueError``).
    """
    manifest, cache = os.fspath(manifest), os.fspath(cache)
    n = len(_core.manifest_trajectories(manifest))
    listed = [_setting(k, v) for k, v in settings.items()]
    futures = [
        client.submit(_prepare_one, manifest, cache, t, n, preset, listed, pure=False)
        for t in range(n)
    ]
    results = client.gather(futures)
    return {
        "trajectories": n,
        "read": sum(r["read"] for r in results),
        "cached": sum(r["cached"] for r in results),
    }


def benchmark(manifest, out, client, *, methods=None, seeds: int = 5, seed: int = 0,
              preset: str = "paper", device: str = "cpu", **settings: Any) -> list:
    """:func:`deepsig.benchmark` with one Dask task per (method, seed) run, on a folder every
    worker can reach: the same runs, folders and table as in one process."""
    manifest, out, methods, runs, listed = _benchmark_plan(
        manifest, out, methods, seeds, seed, preset, settings)
    futures = [
        client.submit(_benchmark_run, manifest, out, m, s, preset, listed, device, pure=False)
        for m, s in runs
    ]
    return _benchmark_table(methods, runs, client.gather(futures))
