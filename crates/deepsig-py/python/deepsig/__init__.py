"""deepsig: Deep Signature for molecular dynamics, from Python.

- Signatures: :func:`signature`, :func:`logsignature` (``words``, ``brackets``, ``expand``),
  their backward passes, :func:`signature_combine`, channel counts and :func:`lyndon_words`,
  in signatory's conventions, on numpy arrays (no torch needed).
- MD data: :func:`read` (positions, times, boxes, atoms, bonds and the model's graph) and
  :func:`info`, with the same readers, selections and messages as the ``deepsig`` CLI.
- Models: :func:`train` on a manifest, :class:`Run` to predict and embed with a trained run.
- MDAnalysis: :class:`deepsig.mdanalysis.LogSignature`, a parallelisable analysis.

File errors raise :class:`ReadError` (an ``OSError``) with ``.path``, ``.frame``,
``.offset`` and ``.line``.
"""

from ._core import ReadError, __version__
from ._md import Atoms, DeepsigWarning, MDData, info, read
from ._models import Prediction, Run, TrajectoryPrediction, benchmark, prepare, train
from ._signatures import (
    logsignature,
    logsignature_backward,
    logsignature_channels,
    lyndon_words,
    signature,
    signature_backward,
    signature_channels,
    signature_combine,
)

__all__ = [
    "Atoms",
    "DeepsigWarning",
    "MDData",
    "Prediction",
    "Run",
    "TrajectoryPrediction",
    "ReadError",
    "__version__",
    "benchmark",
    "info",
    "logsignature",
    "logsignature_backward",
    "logsignature_channels",
    "lyndon_words",
    "prepare",
    "read",
    "signature",
    "signature_backward",
    "signature_channels",
    "signature_combine",
    "train",
]
