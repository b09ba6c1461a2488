"""Metrics: the per-sample functions of :mod:`rnnlab.losses`, under Keras's metric names.

A metric is any callable ``(y_true, y_pred) -> per-sample values``; ``fit`` and
``evaluate`` report its mean over the samples. In ``compile(metrics=[...])`` a
name keeps its spelling in History (``"mae"`` → ``history["mae"]``); a function
is reported under its ``__name__``.

Example:
    >>> import numpy as np
    >>> from rnnlab.metrics import mean_squared_error
    >>> def last_time_step_mse(y_true, y_pred):
    ...     return mean_squared_error(y_true[:, -1], y_pred[:, -1])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rnnlab.losses import (
    MAE,
    MAPE,
    MSE,
    MSLE,
    huber,
    mae,
    mape,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    mse,
    msle,
)
from rnnlab.losses import get as _get_loss

__all__ = [
    "MAE",
    "MAPE",
    "MSE",
    "MSLE",
    "get",
    "huber",
    "mae",
    "mape",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "mse",
    "msle",
]


def get(identifier: str | Callable[[Any, Any], Any]) -> tuple[str, Callable[[Any, Any], Any]]:
    """Resolve a metric to ``(history_name, per_sample_fn)``.

    Example:
        >>> get("mae")[0]
        'mae'
    """
    fn = _get_loss(identifier, owner="compile", kind="metric")
    name = identifier if isinstance(identifier, str) else getattr(fn, "__name__", None)
    if not name:
        name = type(fn).__name__.lower()
    return name, fn
