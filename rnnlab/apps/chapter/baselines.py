"""Baseline forecasts and the error measure used to compare models.

The chapter's first baseline is the naïve forecast: predict that the series keeps
its last observed value. Any trained model should beat it (the chapter reports a
validation MSE of about 0.020 for it on the single-step task).

Example:
    >>> x = np.array([[[1.0], [2.0], [3.0]], [[4.0], [5.0], [6.0]]])
    >>> naive_forecast(x).tolist()
    [[3.0], [6.0]]
    >>> mse([[3.0], [6.0]], [[4.0], [6.0]])
    0.5
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["mse", "naive_forecast"]


def naive_forecast(x: Any, horizon: int = 1) -> np.ndarray:
    """Predict the last observed value, repeated ``horizon`` times.

    Args:
        x: inputs of shape ``(batch, time, features)`` with ``time >= 1``; a NumPy
            array or anything ``np.asarray`` accepts.
        horizon: number of future steps to predict (positive int).

    Returns:
        A new array with ``x``'s dtype:

        * ``horizon == 1``: shape ``(batch, features)``, i.e. ``x[:, -1]`` (the chapter's
          ``y_pred_naive = x_val[:, -1]``);
        * ``horizon > 1`` and ``features == 1``: shape ``(batch, horizon)``, each row the
          last value repeated (matches the multi-step targets ``series[:, -h:, 0]``);
        * ``horizon > 1`` and ``features > 1``: shape ``(batch, horizon, features)``.

    Example:
        >>> x = np.array([[[1.0], [2.0], [3.0]], [[4.0], [5.0], [6.0]]])
        >>> naive_forecast(x, horizon=3).tolist()
        [[3.0, 3.0, 3.0], [6.0, 6.0, 6.0]]
    """
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer):
        raise TypeError(
            f"naive_forecast: horizon must be a positive integer, "
            f"got {horizon!r} ({type(horizon).__name__})"
        )
    if horizon < 1:
        raise ValueError(f"naive_forecast: horizon must be a positive integer, got {horizon}")
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(
            f"naive_forecast: x must have shape (batch, time, features), got shape {x.shape}"
        )
    if x.shape[1] < 1:
        raise ValueError(f"naive_forecast: x must have at least one time step, got shape {x.shape}")
    last = x[:, -1]  # (batch, features)
    if horizon == 1:
        return last.copy()
    if x.shape[2] == 1:
        return np.repeat(last, horizon, axis=1)  # (batch, horizon)
    return np.repeat(last[:, np.newaxis, :], horizon, axis=1)  # (batch, horizon, features)


def mse(y_true: Any, y_pred: Any) -> float:
    """Mean squared error over all elements, computed in float64.

    Equivalent to the chapter's ``np.mean(mean_squared_error(y_true, y_pred))`` when
    both arrays have the same shape (the mean of per-row means equals the overall mean).

    Args:
        y_true: targets, any shape, e.g. ``(batch, 1)`` or ``(batch, horizon)``.
        y_pred: predictions with exactly the same shape as ``y_true``.

    Returns:
        The mean of ``(y_true - y_pred) ** 2`` as a Python float.

    Example:
        >>> mse([1.0, 2.0, 3.0], [1.0, 2.0, 5.0])
        1.3333333333333333
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"mse: y_true and y_pred must have the same shape, "
            f"got y_true {y_true.shape} and y_pred {y_pred.shape}"
        )
    if y_true.size == 0:
        raise ValueError(f"mse: inputs must not be empty, got shape {y_true.shape}")
    return float(np.mean((y_true - y_pred) ** 2))
