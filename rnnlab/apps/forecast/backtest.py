"""Rolling-origin backtests: train on the data before each cutoff, forecast the next steps.

Cutoffs are per series, counted from its end as NeuralForecast's ``cross_validation``
and Darts's ``historical_forecasts`` place them: the last window forecasts the series'
last ``horizon`` steps, each earlier one ``step`` steps before. A cutoff is the last
timestamp the model may see. ``refit=False`` trains once, on the data before the first
cutoff, and forecasts every window from it; ``refit=True`` trains again at every
window; ``refit=k`` every ``k`` windows. Every training is a new model on data before
its cutoff (the target's scaler refitted at every origin), and all windows of one
model are forecast in one batched call.

Example:
    >>> backtest_ends(np.array([20, 30]), horizon=4, windows=3, step=2).tolist()
    [[12, 14, 16], [22, 24, 26]]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from rnnlab.apps.forecast import engine
from rnnlab.apps.forecast.baselines import baseline_columns
from rnnlab.apps.forecast.calendar import season_length

__all__ = ["backtest", "backtest_ends", "refit_groups"]


def backtest_ends(lengths: np.ndarray, horizon: int, windows: int, step: int) -> np.ndarray:
    """``(S, windows)`` forecast origins: window ``k`` of series ``s`` forecasts from
    ``y[:ends[s, k]]`` the steps ``ends[s, k] .. ends[s, k] + horizon - 1``."""
    k = np.arange(windows)
    return np.asarray(lengths)[:, None] - horizon - (windows - 1 - k)[None, :] * step


def refit_groups(windows: int, refit: bool | int) -> list[list[int]]:
    """Windows forecast by one trained model each: ``refit=False`` one group, ``True``
    one per window, ``k`` runs of ``k`` windows.

    Example:
        >>> refit_groups(5, False), refit_groups(5, 2)
        ([[0, 1, 2, 3, 4]], [[0, 1], [2, 3], [4]])
    """
    every = windows if refit is False else 1 if refit is True else int(refit)
    return [list(range(i, min(i + every, windows))) for i in range(0, windows, every)]


def _check(windows: Any, step: Any, refit: Any, horizon: int) -> tuple[int, int, bool | int]:
    def positive(v: Any, name: str) -> int:
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
            raise ValueError(f"backtest: {name} must be a positive integer, got {v!r}")
        return int(v)

    windows = positive(windows, "windows")
    step = horizon if step is None else positive(step, "step")
    if not isinstance(refit, bool):
        refit = positive(refit, "refit (False, True or a number of windows)")
    return windows, step, refit


def backtest(
    forecaster: Any, df: Any, windows: int = 1, step: int | None = None, refit: bool | int = False
) -> pd.DataFrame:
    """Backtest ``forecaster``'s settings on ``df`` over ``windows`` rolling origins.

    Args:
        forecaster: a :class:`~rnnlab.apps.forecast.forecaster.Forecaster` (its settings;
            a model it fitted is not used).
        df: long-format data (frame or CSV path).
        windows: number of forecast origins per series.
        step: steps between origins (default ``horizon``: windows that do not overlap).
        refit: ``False`` (train once), ``True`` (every window) or ``k`` (every k windows).

    Returns:
        Long frame ``unique_id, ds, cutoff, y, y_hat[, y_hat_q…], naive, seasonal_naive,
        mase_scale`` (``mase_scale``: each history's in-sample seasonal-naive MAE), one row
        per series, window and step.
    """
    horizon, lookback = forecaster.horizon, forecaster.lookback
    windows, step, refit = _check(windows, step, refit, horizon)
    span = horizon + (windows - 1) * step
    panel = forecaster.prepare(
        df, {"lookback": lookback, "horizon": horizon, "backtest windows": span}
    )
    spec = forecaster.spec(panel)
    ends = backtest_ends(panel.lengths, horizon, windows, step)
    season = season_length(panel.freq)
    parts = []
    for group in refit_groups(windows, refit):
        trained = engine.train(spec, panel, ends[:, group[0]])
        series = np.repeat(np.arange(len(panel)), len(group))
        origins = np.stack([series, ends[:, group].ravel()], axis=1)
        parts.append((origins, engine.forecast(spec, trained, panel, origins)))
    origins = np.concatenate([o for o, _ in parts])
    values = np.concatenate([v for _, v in parts])
    return _frame(forecaster, panel, origins, values, season)


def _frame(forecaster, panel, origins, values, season) -> pd.DataFrame:
    from rnnlab.apps.forecast.metrics import quantile_column

    h = forecaster.horizon
    steps = np.arange(h)
    ds, cutoff, y = [], [], []
    for s, e in origins:
        stamps = panel.ds(s)
        ds.append(stamps[e + steps])
        cutoff.append(np.repeat(stamps[e - 1], h))
        y.append(panel.y[s][e : e + h])
    base = baseline_columns([panel.y[s][:e] for s, e in origins], h, season)
    out = pd.DataFrame(
        {
            "unique_id": np.repeat(np.asarray(panel.ids, dtype=object)[origins[:, 0]], h),
            "ds": np.concatenate([np.asarray(d) for d in ds]),
            "cutoff": np.concatenate(cutoff),
            "y": np.concatenate(y),
            "y_hat": values[..., 0].ravel(),
        }
    )
    for k, q in enumerate(forecaster.settings["quantiles"]):
        out[quantile_column(q)] = values[..., k + 1].ravel()
    out["naive"] = base["naive"].ravel()
    out["seasonal_naive"] = base["seasonal_naive"].ravel()
    out["mase_scale"] = np.repeat(base["mase_scale"], h)
    return out.sort_values(["unique_id", "cutoff", "ds"], kind="stable").reset_index(drop=True)
