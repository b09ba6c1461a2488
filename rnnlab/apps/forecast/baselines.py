"""Naive and seasonal-naive forecasts, and the in-sample scale MASE divides by.

The chapter's naive baseline (repeat the last value) generalised to real series: the
seasonal naive repeats the last full season, which is the baseline a seasonal series must
beat. Both are computed on the same cutoffs as the model's backtest, from the history up to
and including each cutoff only.

``insample_scale`` is the denominator of MASE (Hyndman & Koehler 2006, as in M4): the mean
absolute error of the seasonal-naive forecast made one season ahead *inside* the history.

Example:
    >>> y = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    >>> seasonal_naive_forecast(y, horizon=4, season=3).tolist()
    [4.0, 5.0, 6.0, 4.0]
    >>> insample_scale(y, season=3)
    3.0
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["baseline_columns", "insample_scale", "naive_forecast", "seasonal_naive_forecast"]


def _positive_int(value: object, name: str, func: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(
            f"{func}: {name} must be a positive integer, got {value!r} ({type(value).__name__})"
        )
    if value < 1:
        raise ValueError(f"{func}: {name} must be a positive integer, got {value}")
    return int(value)


def _history(history: object, func: str, *, allow_empty: bool = False) -> np.ndarray:
    y = np.asarray(history, dtype=np.float64)
    if y.ndim != 1:
        raise ValueError(f"{func}: history must be 1-D (T,), got shape {y.shape}")
    if y.size == 0 and not allow_empty:
        raise ValueError(f"{func}: history is empty; at least one observed value is needed")
    n_bad = int(np.count_nonzero(~np.isfinite(y)))
    if n_bad:
        first = np.flatnonzero(~np.isfinite(y))[:5].tolist()
        raise ValueError(
            f"{func}: history has {n_bad} non-finite value(s) (NaN or inf) at positions {first}"
        )
    return y


def naive_forecast(history: np.ndarray, horizon: int) -> np.ndarray:
    """Repeat the last observed value ``horizon`` times.

    Args:
        history: observed values ``(T,)`` with ``T >= 1``, oldest first.
        horizon: number of future steps (positive int).

    Returns:
        float64 ``(horizon,)``, every entry ``history[-1]``.

    Example:
        >>> naive_forecast(np.array([3.0, 1.0, 4.0]), horizon=2).tolist()
        [4.0, 4.0]
    """
    horizon = _positive_int(horizon, "horizon", "naive_forecast")
    y = _history(history, "naive_forecast")
    return np.full(horizon, y[-1])


def seasonal_naive_forecast(history: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """Repeat the last full season: step h (1-based) is ``history[T - season + (h-1) % season]``.

    When the history is shorter than one season there is no full season to repeat, and the
    forecast falls back to the naive one, so that an early cutoff of a short series still
    gets a baseline. ``season=1`` is the naive forecast.

    Args:
        history: observed values ``(T,)`` with ``T >= 1``, oldest first.
        horizon: number of future steps (positive int).
        season: season length in steps (positive int), e.g. 24 for hourly data.

    Returns:
        float64 ``(horizon,)``.

    Example:
        >>> seasonal_naive_forecast(np.array([9.0, 1.0, 2.0]), horizon=3, season=2).tolist()
        [1.0, 2.0, 1.0]
        >>> seasonal_naive_forecast(np.array([1.0, 2.0]), horizon=2, season=7).tolist()
        [2.0, 2.0]
    """
    horizon = _positive_int(horizon, "horizon", "seasonal_naive_forecast")
    season = _positive_int(season, "season", "seasonal_naive_forecast")
    y = _history(history, "seasonal_naive_forecast")
    if y.size < season:
        return np.full(horizon, y[-1])
    return y[-season:][np.arange(horizon) % season]


def insample_scale(history: np.ndarray, season: int) -> float:
    """MASE's denominator: ``mean |y_t - y_{t-season}|`` over the history.

    With ``T <= season`` there is no seasonal difference, and season 1 is used instead (the
    naive in-sample MAE, as M4's code does for series shorter than their season). With fewer
    than 2 values (or none) the scale is undefined and the result is NaN; ``evaluate`` then
    leaves that series' MASE out and counts it in ``MASE_skipped``. A constant history gives
    0.0, which ``evaluate`` treats the same way (MASE would divide by zero).

    Args:
        history: observed values ``(T,)``, oldest first (may be empty).
        season: season length in steps (positive int).

    Returns:
        A Python float ``>= 0``, or NaN.

    Example:
        >>> insample_scale(np.array([1.0, 3.0, 2.0, 6.0]), season=2)
        2.0
        >>> insample_scale(np.array([1.0, 3.0, 2.0]), season=4)  # falls back to season 1
        1.5
        >>> insample_scale(np.array([5.0]), season=1)
        nan
    """
    season = _positive_int(season, "season", "insample_scale")
    y = _history(history, "insample_scale", allow_empty=True)
    if y.size <= season:
        season = 1
    if y.size <= season:
        return float("nan")
    return float(np.mean(np.abs(y[season:] - y[:-season])))


def baseline_columns(
    histories: Sequence[np.ndarray], horizon: int, season: int
) -> dict[str, np.ndarray]:
    """Baseline forecasts and MASE scales for many (series, cutoff) histories at once.

    What a backtest puts beside the model's forecast: one history per (series, cutoff) —
    the series' values up to and including the cutoff — gives one row of each output. The
    loop is over histories (one NumPy call each), never over forecast steps.

    Args:
        histories: ``N`` 1-D arrays ``(T_i,)``, ``T_i >= 1``, oldest first.
        horizon: number of future steps (positive int).
        season: season length in steps (positive int).

    Returns:
        ``{"naive": (N, horizon), "seasonal_naive": (N, horizon), "mase_scale": (N,)}``,
        float64; ``mase_scale`` is ``insample_scale`` of each history (NaN where undefined).
        Flatten the forecasts row-major (``.ravel()``) to match a long frame sorted by
        (series, cutoff, ds).

    Example:
        >>> cols = baseline_columns([np.array([1.0, 2.0, 4.0]), np.array([5.0])], 2, season=2)
        >>> cols["naive"].tolist(), cols["seasonal_naive"].tolist()
        ([[4.0, 4.0], [5.0, 5.0]], [[2.0, 4.0], [5.0, 5.0]])
        >>> cols["mase_scale"].tolist()
        [3.0, nan]
    """
    horizon = _positive_int(horizon, "horizon", "baseline_columns")
    season = _positive_int(season, "season", "baseline_columns")
    if isinstance(histories, np.ndarray) and histories.ndim == 1 and histories.dtype != object:
        raise TypeError(
            "baseline_columns: histories must be a sequence of 1-D arrays (one per series and "
            f"cutoff), got one 1-D array of shape {histories.shape}; wrap it in a list"
        )
    n = len(histories)
    naive = np.empty((n, horizon))
    seasonal = np.empty((n, horizon))
    scale = np.empty(n)
    for i, h in enumerate(histories):
        try:
            y = _history(h, "baseline_columns")
        except ValueError as err:
            raise ValueError(f"{err} (histories[{i}])") from None
        naive[i] = y[-1]
        seasonal[i] = y[-season:][np.arange(horizon) % season] if y.size >= season else y[-1]
        scale[i] = insample_scale(y, season)
    return {"naive": naive, "seasonal_naive": seasonal, "mase_scale": scale}
