"""Type stubs of the extension module; the documented API is in deepsig/__init__.py."""

from typing import Callable, List, Optional

import numpy as np

__version__: str
METHODS: List[str]

class ReadError(OSError):
    path: str
    frame: Optional[int]
    offset: Optional[int]
    line: Optional[int]

def signature(
    path: np.ndarray, depth: int, mode: Optional[str], stream: bool, basepoint: bool,
    inverse: bool, time: bool, lead_lag: bool, threads: Optional[int],
) -> np.ndarray: ...
def signature_backward(
    path: np.ndarray, grad: np.ndarray, depth: int, mode: Optional[str], stream: bool,
    basepoint: bool, inverse: bool, time: bool, lead_lag: bool, threads: Optional[int],
) -> np.ndarray: ...
def signature_combine(a: np.ndarray, b: np.ndarray, channels: int, depth: int) -> np.ndarray: ...
def signature_channels(channels: int, depth: int) -> int: ...
def logsignature_channels(channels: int, depth: int) -> int: ...
def lyndon_words(channels: int, depth: int) -> List[List[int]]: ...
def read(
    topology: str, trajectories: List[str], select: str, start: int, stop: Optional[int],
    stride: int, unwrap: bool, align: bool, center: bool, dtype: str, allow_truncated: bool,
    frame_index: str,
) -> dict: ...
def info(
    topology: str, trajectories: List[str], select: str, allow_truncated: bool, frame_index: str,
) -> dict: ...
def train(
    manifest: str, out: str, preset: str, settings: List[str], seeds: int, seed: int,
    resume: bool, resume_changed: bool, device: str, cache: Optional[str],
    progress: Optional[Callable[[dict], None]],
) -> str: ...
def predict(
    run: str, manifest: Optional[str], device: str, topology: str, trajectories: List[str],
) -> dict: ...
def embed(
    run: str, manifest: Optional[str], device: str, topology: str, trajectories: List[str],
) -> list: ...
def prepare(
    manifest: str, cache: str, index: int, count: int, preset: str, settings: List[str],
) -> tuple: ...
def manifest_trajectories(manifest: str) -> List[str]: ...
def summarise_runs(runs: str) -> str: ...
def explain(
    run: str, manifest: Optional[str], device: str, topology: str, trajectories: List[str],
    top: int,
) -> dict: ...
