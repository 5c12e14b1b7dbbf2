"""MD files to numpy: :func:`read` and :func:`info`."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import List, Optional, Sequence, Union

import numpy as np

from . import _core

PathLike = Union[str, "os.PathLike[str]"]


class DeepsigWarning(UserWarning):
    """A reader's warning: the data were read, but something about the file was odd."""


# eq=False: the numpy fields have no single truth value.
@dataclass(frozen=True, eq=False)
class Atoms:
    """Per selected atom, in selection order. ``masses`` (Da) and ``charges`` (e) are float64
    arrays, NaN where the topology gives none (PDB, GRO)."""

    names: List[str]
    resnames: List[str]
    resids: List[int]
    segids: List[str]
    chains: List[str]
    elements: List[str]
    masses: np.ndarray
    charges: np.ndarray

    def __len__(self) -> int:
        return len(self.names)


@dataclass(frozen=True)
class MDData:
    """What :func:`read` returns.

    ``positions``: (F, A, 3) in Å; ``times``: (F,) in ps (NaN where the file stores none);
    ``boxes``: (F, 6) ``a b c α β γ`` (Å, degrees; NaN rows for frames without one) or
    ``None`` when no frame has a box; ``indices``: (A,) the selected atoms' 0-based indices in
    the topology; ``bonds``: (E, 2) int64 bonds between selected atoms (selection indices);
    ``graph``: (E', 2) int64 the model's graph over the selection (bond paths through
    unselected atoms contracted, chain trace where bonds are missing: docs/graphs.md);
    ``bonds``/``graph`` are ``None`` when the system has no bonds to take or guess.
    """

    positions: np.ndarray
    times: np.ndarray
    boxes: Optional[np.ndarray]
    atoms: Atoms
    indices: np.ndarray
    bonds: Optional[np.ndarray]
    graph: Optional[np.ndarray]
    bond_source: Optional[str]
    warnings: List[str]


def _paths(trajectories) -> List[str]:
    if trajectories is None:
        return []
    if isinstance(trajectories, (str, os.PathLike)):
        return [os.fspath(trajectories)]
    return [os.fspath(t) for t in trajectories]


def _warn(messages: Sequence[str]) -> None:
    for message in messages:
        warnings.warn(message, DeepsigWarning, stacklevel=3)


def read(
    topology: PathLike,
    trajectories: Union[PathLike, Sequence[PathLike], None] = (),
    *,
    select: str = "all",
    start: Optional[int] = None,
    stop: Optional[int] = None,
    stride: int = 1,
    unwrap: bool = False,
    align: bool = False,
    center: bool = False,
    dtype: str = "float32",
    allow_truncated: bool = False,
    frame_index: PathLike = "cache",
) -> MDData:
    """Reads the selected atoms of ``trajectories`` (XTC, TRR, DCD, Amber NetCDF, multi-model
    PDB or multi-frame GRO, concatenated) of ``topology`` (PDB, GRO, PSF, Amber prmtop), frames
    ``start:stop:stride``; without trajectories, a PDB or GRO topology's own frames.

    Per frame, in order: make molecules whole (``unwrap``), superpose the selection on the
    topology's coordinates, else the first frame read (``align``), subtract its centroid
    (``center``). Without these, float32 positions are the stored values bit for bit (as
    MDAnalysis reads them). Reader warnings are emitted as :class:`DeepsigWarning`.

    ``frame_index`` says where the frame offsets of XTC and TRR files are kept, so that the
    next read knows the frame count and seeks to ``start`` at once: ``"cache"`` (the user's
    cache folder, ``$XDG_CACHE_HOME/deepsig/frame-index``), ``"beside"`` (a hidden file next
    to each trajectory), ``"memory"`` (nowhere), or a folder. An index made for another
    version of a file is never used.
    """
    if dtype not in ("float32", "float64"):
        raise ValueError(f"dtype: {dtype!r} is not 'float32' or 'float64'")
    for name, value in (("start", start), ("stop", stop)):
        if value is not None and (not isinstance(value, int) or value < 0):
            raise ValueError(f"{name}: expected a non-negative integer or None, got {value!r}")
    if not isinstance(stride, int) or stride < 1:
        raise ValueError(f"stride: expected a positive integer, got {stride!r}")
    raw = _core.read(
        os.fspath(topology), _paths(trajectories), select, start or 0, stop, stride,
        bool(unwrap), bool(align), bool(center), dtype, bool(allow_truncated),
        os.fspath(frame_index),
    )
    _warn(raw["warnings"])
    return MDData(
        positions=raw["positions"],
        times=raw["times"],
        boxes=raw["boxes"],
        atoms=Atoms(**raw["atoms"]),
        indices=raw["indices"],
        bonds=raw["bonds"],
        graph=raw["graph"],
        bond_source=raw["bond_source"],
        warnings=list(raw["warnings"]),
    )


def info(
    topology: PathLike,
    trajectories: Union[PathLike, Sequence[PathLike], None] = (),
    *,
    select: str = "all",
    allow_truncated: bool = False,
    frame_index: PathLike = "cache",
) -> dict:
    """The ``deepsig info --json`` dictionary of a system: atoms, residues, segments, bonds
    and where they came from, frames, time step, box, the selection and the model's graph
    over it (nodes, edges, components, isolated atoms). Reader warnings are emitted as
    :class:`DeepsigWarning` (and listed under ``"warnings"``). ``frame_index`` as for
    :func:`read`."""
    out = _core.info(
        os.fspath(topology), _paths(trajectories), select, bool(allow_truncated),
        os.fspath(frame_index),
    )
    _warn(out["warnings"])
    return out
