"""Point-forecast errors of same-shaped arrays: MAE, RMSE, MAPE, sMAPE and MASE.

Each takes ``y`` and ``y_hat`` of any one shape (MASE a ``scale`` broadcasting to them) and
returns a float (MAPE also the number of terms it skipped); the conventions (M4's, so
numbers compare with published ones) are listed in :mod:`.metrics`, which re-exports them
beside :func:`~.metrics.evaluate`.

Example:
    >>> mae([1.0, 2.0], [2.0, 4.0]), mape([0.0, 2.0, 4.0], [1.0, 1.0, 5.0])
    (1.5, (37.5, 1))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["mae", "mape", "mase", "rmse", "smape"]


def _arrays(func: str, names: Sequence[str], *arrays: Any) -> list[np.ndarray]:
    """``arrays`` as float64, refused (naming ``func`` and ``names``) unless same-shaped and
    not empty; the interval metrics check theirs with it too."""
    out = [np.asarray(a, dtype=np.float64) for a in arrays]
    shapes = [a.shape for a in out]
    if len(set(shapes)) > 1:
        raise ValueError(
            f"{func}: {' and '.join(names)} must have the same shape, got "
            + " and ".join(str(s) for s in shapes)
        )
    if out[0].size == 0:
        raise ValueError(f"{func}: {names[0]} is empty")
    return out


def mae(y: np.ndarray, y_hat: np.ndarray) -> float:
    """Mean absolute error of same-shaped arrays (any shape).

    Example:
        >>> mae([1.0, 2.0, 3.0], [2.0, 2.0, 1.0])
        1.0
    """
    y, y_hat = _arrays("mae", ("y", "y_hat"), y, y_hat)
    return float(np.mean(np.abs(y - y_hat)))


def rmse(y: np.ndarray, y_hat: np.ndarray) -> float:
    """Root mean squared error of same-shaped arrays (any shape).

    Example:
        >>> rmse([0.0, 0.0], [1.0, 7.0])  # sqrt((1 + 49) / 2)
        5.0
    """
    y, y_hat = _arrays("rmse", ("y", "y_hat"), y, y_hat)
    return float(np.sqrt(np.mean((y - y_hat) ** 2)))


def mape(y: np.ndarray, y_hat: np.ndarray) -> tuple[float, int]:
    """MAPE in percent over the terms with ``y != 0``, and how many terms were skipped.

    Returns ``(nan, n)`` when every ``y`` is zero.

    Example:
        >>> mape([0.0, 2.0, 4.0], [1.0, 1.0, 5.0])
        (37.5, 1)
    """
    y, y_hat = _arrays("mape", ("y", "y_hat"), y, y_hat)
    keep = y != 0
    skipped = int(y.size - np.count_nonzero(keep))
    if skipped == y.size:
        return float("nan"), skipped
    return float(100.0 * np.mean(np.abs(y - y_hat)[keep] / np.abs(y[keep]))), skipped


def smape(y: np.ndarray, y_hat: np.ndarray) -> float:
    """sMAPE in percent, M4's ``mean 200 |y - y_hat| / (|y| + |y_hat|)`` (0 to 200).

    Terms where ``y == y_hat == 0`` are skipped; NaN when every term is.

    Example:
        >>> smape([0.0, 1.0, 0.0], [0.0, 3.0, 2.0])  # (100 + 200) / 2
        150.0
    """
    y, y_hat = _arrays("smape", ("y", "y_hat"), y, y_hat)
    den = np.abs(y) + np.abs(y_hat)
    keep = den > 0
    if not keep.any():
        return float("nan")
    return float(np.mean(200.0 * np.abs(y - y_hat)[keep] / den[keep]))


def mase(y: np.ndarray, y_hat: np.ndarray, scale: float | np.ndarray) -> float:
    """Mean of ``|y - y_hat| / scale``: MASE when ``scale`` is the in-sample naive MAE.

    ``scale`` is a scalar or an array broadcasting to ``y`` (e.g. ``(S, 1)`` for ``(S, H)``
    forecasts of S series: then the result is the mean over series of their MASE). Every scale
    must be positive and finite.

    Example:
        >>> mase([1.0, 2.0], [2.0, 4.0], scale=0.5)
        3.0
    """
    y, y_hat = _arrays("mase", ("y", "y_hat"), y, y_hat)
    s = np.asarray(scale, dtype=np.float64)
    if not np.all(np.isfinite(s) & (s > 0)):
        bad = s[~(np.isfinite(s) & (s > 0))].ravel()[:5].tolist()
        raise ValueError(f"mase: scale must be positive and finite, got {bad}")
    return float(np.mean(np.abs(y - y_hat) / s))
