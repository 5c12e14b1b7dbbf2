"""Log-signature features of MDAnalysis trajectories: :class:`LogSignature`.

Each cluster of atoms contributes one 3-D path, its centroid over time. Frames are first
superposed on a fixed reference (Kabsch, over all atoms of ``atomgroup``), as the model
does (docs/method.md, "Alignment"); each window's cluster paths are centred on their first
point (a signature ignores an offset anyway) and concatenated into a ``3 K``-channel path,
whose log-signature the deepsig engine computes.

Per-frame work (alignment, centroids) runs in MDAnalysis's parallel analysis, so the
``serial``, ``multiprocessing`` and ``dask`` backends give the same features.
"""

from __future__ import annotations

from typing import Optional, Sequence, Union

import numpy as np

try:
    from MDAnalysis.analysis.base import AnalysisBase
    from MDAnalysis.analysis.results import ResultsGroup
except ImportError as e:  # pragma: no cover - exercised only without MDAnalysis
    raise ImportError(
        "deepsig.mdanalysis needs MDAnalysis >= 2.8: pip install 'MDAnalysis>=2.8'"
    ) from e

from ._signatures import logsignature, logsignature_channels

Clusters = Union[str, Sequence]


def _kabsch(mobile: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``mobile`` (centred, f64) rotated onto ``reference`` (centred, f64)."""
    h = mobile.T @ reference
    u, _, vt = np.linalg.svd(h)
    sign = np.sign(np.linalg.det(u @ vt))
    d = np.diag([1.0, 1.0, sign if sign != 0 else 1.0])
    return mobile @ (u @ d @ vt)


class LogSignature(AnalysisBase):
    """Windowed log-signatures of cluster-centroid paths.

    Parameters
    ----------
    atomgroup : AtomGroup
        The atoms to align and cluster.
    clusters : ``"residues"``, ``"segments"``, or a list of AtomGroups
        Each cluster's centroid path is one 3-D channel block (atoms outside ``atomgroup``
        are refused).
    depth : int
        Log-signature depth.
    window : int
        Frames per window.
    step : int, optional
        Frames between window starts (default: ``window``, non-overlapping).
    mode : ``"words"``, ``"brackets"`` or ``"expand"``
        Log-signature coordinates (see :func:`deepsig.logsignature`).
    reference : (N, 3) array, optional
        Alignment target for ``atomgroup``; default its positions at frame 0.

    After ``run()``: ``results.centroids`` (F, K, 3) aligned cluster centroids per frame,
    ``results.features`` (windows, C) float64, ``results.window_starts`` (windows,) the
    first frame (index into the analysed frames) of each window.
    """

    _analysis_algorithm_is_parallelizable = True

    @classmethod
    def get_supported_backends(cls):
        return ("serial", "multiprocessing", "dask")

    def __init__(
        self,
        atomgroup,
        clusters: Clusters,
        depth: int = 2,
        window: int = 100,
        step: Optional[int] = None,
        mode: str = "words",
        reference: Optional[np.ndarray] = None,
        **kwargs,
    ):
        super().__init__(atomgroup.universe.trajectory, **kwargs)
        if len(atomgroup) == 0:
            raise ValueError("atomgroup: is empty")
        if not isinstance(window, int) or window < 2:
            raise ValueError(f"window: needs at least 2 frames, got {window!r}")
        step = window if step is None else step
        if not isinstance(step, int) or step < 1:
            raise ValueError(f"step: expected a positive integer, got {step!r}")
        logsignature_channels(3, depth)  # checks the depth
        self._ag = atomgroup
        # Not `self.step`: AnalysisBase.run() owns start/stop/step (the frame range).
        self.depth, self.window, self.window_step, self.mode = depth, window, step, mode
        self._members = self._cluster_members(atomgroup, clusters)
        if reference is None:
            trajectory = atomgroup.universe.trajectory
            here = trajectory.ts.frame
            trajectory[0]
            reference = atomgroup.positions.copy()
            trajectory[here]
        reference = np.asarray(reference, dtype=np.float64)
        if reference.shape != (len(atomgroup), 3):
            raise ValueError(
                f"reference: expected shape ({len(atomgroup)}, 3), got {reference.shape}"
            )
        self._reference = reference - reference.mean(axis=0)

    @staticmethod
    def _cluster_members(atomgroup, clusters: Clusters):
        if isinstance(clusters, str):
            if clusters == "residues":
                groups = list(atomgroup.residues)
            elif clusters == "segments":
                groups = list(atomgroup.segments)
            else:
                raise ValueError(
                    f"clusters: {clusters!r} is not 'residues', 'segments' or a list of AtomGroups"
                )
            groups = [g.atoms.intersection(atomgroup) for g in groups]
        else:
            groups = list(clusters)
        if not groups:
            raise ValueError("clusters: none given")
        position = {int(ix): k for k, ix in enumerate(atomgroup.ix)}
        members = []
        for c, group in enumerate(groups):
            ix = [int(i) for i in group.ix]
            if not ix:
                raise ValueError(f"clusters: cluster {c} has no atom")
            missing = [i for i in ix if i not in position]
            if missing:
                raise ValueError(
                    f"clusters: cluster {c} has {len(missing)} atoms outside atomgroup "
                    f"(first: index {missing[0]})"
                )
            members.append(np.array([position[i] for i in ix]))
        return members

    def _prepare(self):
        self.results.centroids = np.zeros((self.n_frames, len(self._members), 3))

    def _single_frame(self):
        x = self._ag.positions.astype(np.float64)
        x -= x.mean(axis=0)
        aligned = _kabsch(x, self._reference)
        for k, members in enumerate(self._members):
            self.results.centroids[self._frame_index, k] = aligned[members].mean(axis=0)

    def _get_aggregator(self):
        return ResultsGroup(lookup={"centroids": ResultsGroup.ndarray_vstack})

    def _conclude(self):
        centroids = self.results.centroids
        frames = centroids.shape[0]
        starts = np.arange(0, max(frames - self.window + 1, 0), self.window_step)
        self.results.window_starts = starts
        channels = logsignature_channels(3 * len(self._members), self.depth)
        if len(starts) == 0:
            self.results.features = np.zeros((0, channels))
            return
        paths = np.stack([centroids[s : s + self.window] for s in starts])
        paths = paths - paths[:, :1]
        paths = paths.reshape(len(starts), self.window, -1)
        self.results.features = logsignature(paths, self.depth, mode=self.mode)
