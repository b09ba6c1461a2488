"""Quantile and interval forecasts: the quantile columns' names, pinball loss, coverage, width.

A quantile forecast at ``q`` sits in the column :func:`quantile_column` names
(``y_hat_q10`` for 0.1); :func:`parse_quantile_column` reads the name back. An interval at
level ``L`` is the pair of quantiles ``(1 - L/100) / 2`` and ``(1 + L/100) / 2``.
:mod:`.metrics` re-exports these beside :func:`~.metrics.evaluate`.

Example:
    >>> quantile_column(0.1), parse_quantile_column("y_hat_q97.5"), width([0.0], [2.0])
    ('y_hat_q10', 0.975, 2.0)
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from rnnlab.apps.forecast.metrics_point import _arrays

__all__ = ["coverage", "parse_quantile_column", "pinball", "quantile_column", "width"]

MODEL = "y_hat"  # the model's forecast column; its quantiles are named after it
_QCOL = re.compile(r"y_hat_q(\d+(?:\.\d+)?)")


def _percent(p: float) -> str:
    # 10 significant digits absorb float noise (100 * 0.975 = 97.49999999999999 -> "97.5").
    s = f"{p:.10g}"
    return np.format_float_positional(float(s), trim="-") if "e" in s else s


def quantile_column(q: float) -> str:
    """Column name of quantile ``q``: ``y_hat_q{100 q}``, an int when integral.

    Example:
        >>> [quantile_column(q) for q in (0.1, 0.05, 0.5, 0.975)]
        ['y_hat_q10', 'y_hat_q5', 'y_hat_q50', 'y_hat_q97.5']
    """
    if isinstance(q, bool) or not isinstance(q, int | float | np.number) or not 0 < q < 1:
        raise ValueError(f"quantile_column: q must be a number strictly between 0 and 1, got {q!r}")
    return f"{MODEL}_q{_percent(100.0 * float(q))}"


def parse_quantile_column(name: str) -> float | None:
    """The quantile of a column named as ``quantile_column`` names it, else None.

    Only the canonical spelling parses (``"y_hat_q05"`` is None), so that a name maps to one
    quantile and back.

    Example:
        >>> parse_quantile_column("y_hat_q10"), parse_quantile_column("y_hat"), \
parse_quantile_column("y_hat_q05")
        (0.1, None, None)
    """
    m = _QCOL.fullmatch(name) if isinstance(name, str) else None
    if m is None:
        return None
    q = float(m.group(1)) / 100.0
    return q if 0 < q < 1 and quantile_column(q) == name else None


def pinball(y: np.ndarray, q_pred: np.ndarray, q: float) -> float:
    """Mean pinball (quantile) loss of the ``q``-quantile forecast ``q_pred``.

    Example:
        >>> pinball([10.0, 10.0], [8.0, 13.0], q=0.9)  # (0.9 * 2 + 0.1 * 3) / 2
        1.05
    """
    if isinstance(q, bool) or not isinstance(q, int | float | np.number) or not 0 < q < 1:
        raise ValueError(f"pinball: q must be a number strictly between 0 and 1, got {q!r}")
    y, q_pred = _arrays("pinball", ("y", "q_pred"), y, q_pred)
    d = y - q_pred
    return float(np.mean(np.maximum(q * d, (q - 1.0) * d)))


def _lo_hi(func: str, *arrays: Any) -> list[np.ndarray]:
    names = ("y", "lo", "hi")[-len(arrays) :]
    out = _arrays(func, names, *arrays)
    crossed = int(np.count_nonzero(out[-2] > out[-1]))
    if crossed:
        raise ValueError(f"{func}: lo > hi in {crossed} of {out[-1].size} entries")
    return out


def coverage(y: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """Share of ``y`` inside the closed interval ``[lo, hi]`` (same shapes, ``lo <= hi``).

    Example:
        >>> coverage([1.0, 5.0, 3.0, 2.0], [0.0, 0.0, 3.0, 3.0], [2.0, 4.0, 4.0, 4.0])
        0.5
    """
    y, lo, hi = _lo_hi("coverage", y, lo, hi)
    return float(np.mean((lo <= y) & (y <= hi)))


def width(lo: np.ndarray, hi: np.ndarray) -> float:
    """Mean interval width ``hi - lo`` (same shapes, ``lo <= hi``).

    Example:
        >>> width([0.0, 1.0], [2.0, 5.0])
        3.0
    """
    lo, hi = _lo_hi("width", lo, hi)
    return float(np.mean(hi - lo))
