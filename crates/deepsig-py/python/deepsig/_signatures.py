"""Signatures and log-signatures of numpy paths, in signatory's conventions.

A path is a ``(L, d)`` array (``L`` points in ``d`` channels) or a ``(B, L, d)`` batch of
them; C-contiguous float32/float64 input is read without a copy and the output has the
input's dtype. Every heavy call releases the GIL.
"""

from __future__ import annotations

from typing import Optional, Sequence, Tuple, Union

import numpy as np

from . import _core

ArrayLike = Union[np.ndarray, Sequence]
Basepoint = Union[bool, np.ndarray]

_MODES = ("words", "brackets", "expand")


def _as_array(x: ArrayLike, name: str) -> np.ndarray:
    if not isinstance(x, np.ndarray):
        try:
            x = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise TypeError(f"{name}: cannot be read as a float array ({e})") from None
    if x.dtype != np.float32 and x.dtype != np.float64:
        raise TypeError(f"{name}: dtype {x.dtype} is not float32 or float64")
    return x


def _as_batch(path: ArrayLike, name: str = "path") -> Tuple[np.ndarray, bool]:
    """The path as a C-contiguous (B, L, d) batch, and whether it came batched."""
    path = _as_array(path, name)
    if path.ndim == 2:
        path, batched = path[np.newaxis], False
    elif path.ndim == 3:
        batched = True
    else:
        raise ValueError(
            f"{name}: expected a (length, channels) path or a (batch, length, channels) "
            f"batch, got shape {path.shape}"
        )
    if path.shape[-1] == 0:
        raise ValueError(f"{name}: has no channels (shape {path.shape})")
    if path.shape[0] == 0:
        raise ValueError(f"{name}: the batch is empty (shape {path.shape})")
    if path.shape[1] == 0:
        raise ValueError(f"{name}: the path has no points (shape {path.shape})")
    return np.ascontiguousarray(path), batched


def _with_basepoint(path: np.ndarray, basepoint: Basepoint) -> Tuple[np.ndarray, bool]:
    """``basepoint=True`` is the engine's origin; an array is prepended as the first point."""
    if isinstance(basepoint, (bool, np.bool_)):
        return path, bool(basepoint)
    point = _as_array(basepoint, "basepoint").astype(path.dtype, copy=False)
    b, _, d = path.shape
    if point.shape == (d,):
        point = np.broadcast_to(point, (b, d))
    if point.shape != (b, d):
        raise ValueError(f"basepoint: expected shape ({d},) or ({b}, {d}), got {point.shape}")
    return np.ascontiguousarray(np.concatenate([point[:, np.newaxis], path], axis=1)), False


def _check_mode(mode: str) -> str:
    if mode not in _MODES:
        raise ValueError(f"mode: {mode!r} is not one of {', '.join(map(repr, _MODES))}")
    return mode


def _check_threads(threads: Optional[int]) -> Optional[int]:
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise ValueError(f"threads: expected a positive integer or None, got {threads!r}")
    return threads


def _forward(path, depth, mode, stream, basepoint, inverse, time, lead_lag, threads):
    batch, batched = _as_batch(path)
    batch, origin = _with_basepoint(batch, basepoint)
    out = _core.signature(
        batch, int(depth), mode, bool(stream), origin, bool(inverse), bool(time),
        bool(lead_lag), _check_threads(threads),
    )
    return out, batched


def _backward(path, grad, depth, mode, stream, basepoint, inverse, time, lead_lag, threads):
    batch, batched = _as_batch(path)
    grad = _as_array(grad, "grad")
    if not batched:
        grad = grad[np.newaxis]
    prepended = not isinstance(basepoint, (bool, np.bool_))
    batch, origin = _with_basepoint(batch, basepoint)
    grad = np.ascontiguousarray(grad, dtype=batch.dtype)
    out = _core.signature_backward(
        batch, grad, int(depth), mode, bool(stream), origin, bool(inverse), bool(time),
        bool(lead_lag), _check_threads(threads),
    )
    if prepended:
        out = out[:, 1:]
    return out if batched else out[0]


def _with_scalar_term(out: np.ndarray) -> np.ndarray:
    ones = np.ones(out.shape[:-1] + (1,), dtype=out.dtype)
    return np.concatenate([ones, out], axis=-1)


def signature(
    path: ArrayLike,
    depth: int,
    *,
    stream: bool = False,
    basepoint: Basepoint = False,
    inverse: bool = False,
    scalar_term: bool = False,
    time: bool = False,
    lead_lag: bool = False,
    threads: Optional[int] = None,
) -> np.ndarray:
    """The depth-``depth`` signature of a path ``(L, d)`` or batch ``(B, L, d)``.

    Returns ``(C,)`` / ``(B, C)`` with ``C = signature_channels(d', depth)`` (``d'`` the
    channels after ``time``/``lead_lag``), levels concatenated in row-major multi-index order;
    with ``stream=True``, ``(L' - 1, C)`` / ``(B, L' - 1, C)``, the signature of every prefix.
    ``basepoint`` is ``True`` (start at the origin) or a ``(d,)``/``(B, d)`` first point;
    ``inverse`` gives the signature of the reversed path; ``scalar_term`` prepends the level-0
    ``1``; ``time`` prepends a channel ``i / (L - 1)``; ``lead_lag`` is the lead-lag
    transform. ``threads`` bounds the worker threads (default: one per core).
    """
    out, batched = _forward(path, depth, None, stream, basepoint, inverse, time, lead_lag, threads)
    if scalar_term:
        out = _with_scalar_term(out)
    return out if batched else out[0]


def logsignature(
    path: ArrayLike,
    depth: int,
    *,
    mode: str = "words",
    stream: bool = False,
    basepoint: Basepoint = False,
    inverse: bool = False,
    time: bool = False,
    lead_lag: bool = False,
    threads: Optional[int] = None,
) -> np.ndarray:
    """The depth-``depth`` log-signature of a path ``(L, d)`` or batch ``(B, L, d)``.

    ``mode="words"`` (signatory's default): the coefficients of the Lyndon words in the
    expanded logarithm, ``logsignature_channels(d', depth)`` of them in ``lyndon_words``
    order. ``"brackets"``: the coordinates in the Lyndon basis (iisignature's ``"S"``), same
    count and order. ``"expand"``: the whole truncated tensor logarithm, laid out like the
    signature. Other options as in :func:`signature`.
    """
    out, batched = _forward(
        path, depth, _check_mode(mode), stream, basepoint, inverse, time, lead_lag, threads
    )
    return out if batched else out[0]


def signature_backward(
    path: ArrayLike,
    grad: ArrayLike,
    depth: int,
    *,
    stream: bool = False,
    basepoint: Basepoint = False,
    inverse: bool = False,
    scalar_term: bool = False,
    time: bool = False,
    lead_lag: bool = False,
    threads: Optional[int] = None,
) -> np.ndarray:
    """The gradient, shaped like ``path``, of ``sum(grad * signature(path, depth, ...))``.

    ``grad`` has the shape :func:`signature` returns with the same options. Memory is O(C)
    per path whatever its length.
    """
    if scalar_term:
        grad = _as_array(grad, "grad")[..., 1:]
    return _backward(path, grad, depth, None, stream, basepoint, inverse, time, lead_lag, threads)


def logsignature_backward(
    path: ArrayLike,
    grad: ArrayLike,
    depth: int,
    *,
    mode: str = "words",
    stream: bool = False,
    basepoint: Basepoint = False,
    inverse: bool = False,
    time: bool = False,
    lead_lag: bool = False,
    threads: Optional[int] = None,
) -> np.ndarray:
    """The gradient, shaped like ``path``, of ``sum(grad * logsignature(path, depth, ...))``."""
    return _backward(
        path, grad, depth, _check_mode(mode), stream, basepoint, inverse, time, lead_lag, threads
    )


def signature_channels(channels: int, depth: int) -> int:
    """``d + d² + … + d^depth``: the length of a depth-``depth`` signature of ``d`` channels."""
    return _core.signature_channels(int(channels), int(depth))


def logsignature_channels(channels: int, depth: int) -> int:
    """The number of Lyndon words of length ≤ ``depth`` over ``d`` letters (Witt's formula)."""
    return _core.logsignature_channels(int(channels), int(depth))


def lyndon_words(channels: int, depth: int) -> list:
    """The Lyndon words (tuples of channel indices) that index the ``words`` and ``brackets``
    columns, by length and then lexicographically."""
    return [tuple(w) for w in _core.lyndon_words(int(channels), int(depth))]


def signature_combine(
    sigtensor1: ArrayLike,
    sigtensor2: ArrayLike,
    input_channels: int,
    depth: int,
    *,
    scalar_term: bool = False,
) -> np.ndarray:
    """Chen's identity: the signature of the concatenation of two paths from theirs.

    ``sigtensor1``, ``sigtensor2``: ``(C,)`` or ``(B, C)`` signatures of ``input_channels``
    -channel paths at ``depth`` (with the leading 1 when ``scalar_term``).
    """
    a = _as_array(sigtensor1, "sigtensor1")
    b = _as_array(sigtensor2, "sigtensor2")
    single = a.ndim == 1
    if a.ndim not in (1, 2):
        raise ValueError(f"sigtensor1: expected (C,) or (B, C), got shape {a.shape}")
    if scalar_term:
        a, b = a[..., 1:], b[..., 1:]
    a = np.ascontiguousarray(np.atleast_2d(a))
    b = np.ascontiguousarray(np.atleast_2d(b))
    out = _core.signature_combine(a, b, int(input_channels), int(depth))
    if scalar_term:
        out = _with_scalar_term(out)
    return out[0] if single else out
