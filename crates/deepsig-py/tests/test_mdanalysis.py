"""deepsig.mdanalysis.LogSignature: equal across MDAnalysis's backends and to a by-hand
computation with MDAnalysis's own alignment."""

import shutil
import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.analysis import align

import deepsig
from deepsig.mdanalysis import LogSignature


@pytest.fixture
def universe(data, tmp_path):
    for name in ("adk.psf", "adk_dims.dcd"):
        shutil.copy(data / name, tmp_path / name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mda.Universe(str(tmp_path / "adk.psf"), str(tmp_path / "adk_dims.dcd"))


def run(analysis, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return analysis.run(**kwargs).results


def test_features_by_hand(universe):
    ag = universe.select_atoms("name CA")
    segments = [ag[:70], ag[70:140], ag[140:]]
    results = run(LogSignature(ag, segments, depth=3, window=20, step=10, mode="brackets"))
    assert results.features.shape == (8, deepsig.logsignature_channels(9, 3))
    assert list(results.window_starts) == list(range(0, 80, 10))
    universe.trajectory[0]
    reference = ag.positions.astype(np.float64)
    reference -= reference.mean(axis=0)
    centroids = []
    for _ in universe.trajectory:
        x = ag.positions.astype(np.float64)
        x -= x.mean(axis=0)
        rotation, _ = align.rotation_matrix(x, reference)
        x = x @ rotation.T
        centroids.append([x[:70].mean(0), x[70:140].mean(0), x[140:].mean(0)])
    centroids = np.array(centroids)
    for w, start in enumerate(results.window_starts):
        path = centroids[start : start + 20].reshape(20, 9)
        want = deepsig.logsignature(path - path[0], 3, mode="brackets")
        np.testing.assert_allclose(results.features[w], want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("clusters", ["residues", "segments"])
def test_backends_agree(universe, clusters):
    ag = universe.select_atoms("backbone")
    serial = run(LogSignature(ag, clusters, depth=2, window=25, step=12))
    multi = run(LogSignature(ag, clusters, depth=2, window=25, step=12),
                backend="multiprocessing", n_workers=2)
    np.testing.assert_allclose(multi.features, serial.features, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(multi.centroids, serial.centroids, rtol=1e-6, atol=1e-6)
    assert serial.features.shape[0] == len(range(0, 98 - 25 + 1, 12))


def test_dask_backend_agrees(universe):
    pytest.importorskip("dask")
    ag = universe.select_atoms("name CA")
    serial = run(LogSignature(ag, "residues", depth=2, window=30))
    dask = run(LogSignature(ag, "residues", depth=2, window=30),
               backend="dask", n_workers=2)
    np.testing.assert_allclose(dask.features, serial.features, rtol=1e-6, atol=1e-6)


def test_frame_range_and_short_trajectories(universe):
    ag = universe.select_atoms("name CA")
    part = run(LogSignature(ag, "segments", window=10), start=5, stop=45, step=2)
    assert part.centroids.shape == (20, 1, 3) and part.features.shape[0] == 2
    none = run(LogSignature(ag, "segments", window=10), stop=5)
    assert none.features.shape == (0, deepsig.logsignature_channels(3, 2))


def test_bad_arguments(universe):
    ag = universe.select_atoms("name CA")
    with pytest.raises(ValueError, match="outside atomgroup"):
        LogSignature(ag, [universe.select_atoms("name N")])
    with pytest.raises(ValueError, match="window"):
        LogSignature(ag, "residues", window=1)
    with pytest.raises(ValueError, match="clusters: 'atoms'"):
        LogSignature(ag, "atoms")
    with pytest.raises(ValueError, match="reference: expected shape"):
        LogSignature(ag, "residues", reference=np.zeros((3, 3)))
    with pytest.raises(ValueError, match="depth"):
        LogSignature(ag, "residues", depth=0)
