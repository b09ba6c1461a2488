"""Forecasting real series: ``Forecaster``, bundled ``datasets`` and ``evaluate``.

The forecasting application's public path (its code lives in
:mod:`rnnlab.apps.forecast`); ``import rnnlab`` does not load it.

Example:
    >>> from rnnlab.forecast import Forecaster, evaluate
    >>> Forecaster(model="lstm", horizon=52, lookback=156, quantiles=[0.1, 0.5, 0.9])
    Forecaster(model='lstm', horizon=52, lookback=156)
"""

import importlib
from typing import Any

from rnnlab.apps.forecast import ForecastDataError, Forecaster, Panel, backtest, evaluate, prepare

__all__ = [
    "ForecastDataError",
    "Forecaster",
    "Panel",
    "backtest",
    "datasets",
    "evaluate",
    "prepare",
]


def __getattr__(name: str) -> Any:
    """``rnnlab.forecast.datasets``: the bundled series, loaded on first use."""
    if name == "datasets":
        return importlib.import_module("rnnlab.apps.forecast.datasets")
    raise AttributeError(f"module 'rnnlab.forecast' has no attribute {name!r}")
