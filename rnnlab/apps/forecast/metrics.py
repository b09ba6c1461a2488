"""Forecast accuracy: point errors, MASE, pinball loss and interval coverage, per series.

``evaluate(cv)`` scores a backtest frame (long: ``unique_id, ds, cutoff, y, y_hat``, quantile
columns ``y_hat_q10, ...``, baselines ``naive, seasonal_naive``, ``mase_scale``) and puts the
baselines beside the model, as the chapter compares its RNNs with the naive forecast.

Conventions (those of the M4 competition, so numbers compare with published ones):

* every metric is first computed per series over all its cutoffs and steps; an aggregated
  row is the unweighted mean over series (NaN series left out), so a long or large-valued
  series does not dominate; ``MAPE_skipped`` / ``MASE_skipped`` are summed;
* MAPE ``= 100 * mean |y - y_hat| / |y|`` in percent, skipping terms with ``y == 0``;
* sMAPE ``= mean 200 * |y - y_hat| / (|y| + |y_hat|)`` in percent (0 to 200, M4's definition),
  skipping the 0/0 terms where both are zero (a perfect forecast of a zero);
* MASE of a (series, cutoff) ``= mean |y - y_hat| / mase_scale`` over its horizon, where
  ``mase_scale`` is the in-sample seasonal-naive MAE of the history up to the cutoff
  (``baselines.insample_scale``); a series' MASE is the mean over its cutoffs;
* pinball loss at ``q`` ``= mean max(q * (y - p), (q - 1) * (y - p))`` (not doubled);
* coverage at level ``L`` is the share of ``y`` inside ``[y_hat_q{a}, y_hat_q{1-a}]`` with
  ``a = (1 - L/100) / 2``, and width the mean of ``hi - lo``.

The per-array metrics are :mod:`.metrics_point`'s (MAE to MASE) and
:mod:`.metrics_interval`'s (quantile column names, pinball, coverage, width), re-exported
here; what ``evaluate`` reads from ``cv`` and ``train`` is checked in :mod:`.metrics_inputs`.

Example:
    >>> mae([1.0, 2.0], [2.0, 4.0]), quantile_column(0.1), parse_quantile_column("y_hat_q97.5")
    (1.5, 'y_hat_q10', 0.975)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from rnnlab.apps.forecast.metrics_inputs import (
    _finite,
    _intervals,
    _pair_scales,
    _quantile_columns,
)
from rnnlab.apps.forecast.metrics_interval import (
    MODEL,
    coverage,
    parse_quantile_column,
    pinball,
    quantile_column,
    width,
)
from rnnlab.apps.forecast.metrics_point import mae, mape, mase, rmse, smape

__all__ = [
    "coverage",
    "evaluate",
    "mae",
    "mape",
    "mase",
    "parse_quantile_column",
    "pinball",
    "quantile_column",
    "rmse",
    "smape",
    "to_json_dict",
    "width",
]

BASELINES = ("naive", "seasonal_naive")
REQUIRED = ("unique_id", "ds", "cutoff", "y", MODEL)
POINT_COLUMNS = ("MAE", "RMSE", "MAPE", "MAPE_skipped", "sMAPE", "MASE", "MASE_skipped")


def _group_mean(codes: np.ndarray, n: int, x: np.ndarray) -> np.ndarray:
    """Mean of x per group code, NaN terms left out; NaN for groups with no terms."""
    ok = ~np.isnan(x)
    total = np.bincount(codes[ok], weights=x[ok], minlength=n)
    count = np.bincount(codes[ok], minlength=n)
    return np.divide(total, count, out=np.full(n, np.nan), where=count > 0)


def evaluate(
    cv: pd.DataFrame,
    season: int | None = None,
    levels: Sequence[float] | None = None,
    by_series: bool = False,
    train: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Score a backtest frame: the model (``y_hat``) and the baselines present, side by side.

    Args:
        cv: long frame with ``unique_id, ds, cutoff, y, y_hat``; optional ``naive``,
            ``seasonal_naive`` (scored as further rows), quantile columns ``y_hat_q{..}``
            (named by ``quantile_column``) and ``mase_scale`` (one value per (unique_id,
            cutoff): the in-sample seasonal-naive MAE of the history up to the cutoff).
        season: season length for MASE scales computed from ``train``; inferred from
            ``train``'s frequency when None. Unused when ``cv`` has ``mase_scale``.
        levels: interval levels in percent (e.g. ``[80, 90]``) whose coverage and width to
            report; each needs its two quantile columns. None: every symmetric pair present.
        by_series: return one row per (series, model) instead of the aggregate.
        train: long frame ``unique_id, ds, y`` for MASE scales when ``cv`` has no
            ``mase_scale``; each (series, cutoff) uses only rows with ``ds <= cutoff``.

    Returns:
        Index ``model`` (``y_hat``, then ``naive``, ``seasonal_naive`` when in ``cv``), or
        with ``by_series`` a MultiIndex ``(unique_id, model)`` sorted by series. Columns:
        ``MAE RMSE MAPE MAPE_skipped sMAPE MASE MASE_skipped``, ``pinball_q{..}`` per
        quantile column, ``coverage_{L} width_{L}`` per level (NaN for baselines).
        ``MAPE_skipped`` counts rows with ``y == 0``; ``MASE_skipped`` counts (series, cutoff)
        pairs whose scale is NaN or 0, left out of MASE. The aggregate row of a metric is the
        mean over series of the ``by_series`` rows (NaN left out); counts are summed.

    Example:
        >>> cv = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2024-01-03", periods=2),
        ...     "cutoff": pd.Timestamp("2024-01-02"), "y": [2.0, 4.0], "y_hat": [3.0, 3.0],
        ...     "naive": [1.0, 1.0], "mase_scale": 2.0})
        >>> scores = evaluate(cv)
        >>> scores.loc["y_hat", ["MAE", "MASE", "MAPE"]].tolist()
        [1.0, 0.5, 37.5]
        >>> scores.loc["naive", ["MAE", "MASE", "MAPE"]].tolist()
        [2.0, 1.0, 62.5]
    """
    if not isinstance(cv, pd.DataFrame):
        raise TypeError(f"evaluate: cv must be a pandas DataFrame, got {type(cv).__name__}")
    missing = [c for c in REQUIRED if c not in cv.columns]
    if missing:
        raise ValueError(
            f"evaluate: cv is missing column(s) {missing}; columns present: {list(cv.columns)}"
        )
    if len(cv) == 0:
        raise ValueError("evaluate: cv has no rows")
    if season is not None and (
        isinstance(season, bool) or not isinstance(season, int | np.integer) or season < 1
    ):
        raise ValueError(f"evaluate: season must be a positive integer, got {season!r}")
    models = [MODEL] + [b for b in BASELINES if b in cv.columns]
    quants = _quantile_columns(cv)
    intervals = _intervals(quants, levels)
    y = _finite(cv, "y")
    preds = {c: _finite(cv, c) for c in models + [c for _, c in quants]}
    for _, lo, hi in intervals:
        crossed = preds[lo] > preds[hi]
        if crossed.any():
            raise ValueError(
                f"evaluate: {lo} > {hi} in {int(crossed.sum())} row(s), first at rows "
                f"{cv.index[crossed][:5].tolist()}; quantiles must not cross"
            )

    series, ids = pd.factorize(cv["unique_id"], sort=True)
    pair = cv.groupby(["unique_id", "cutoff"], sort=True).ngroup().to_numpy()
    n_s, n_p = len(ids), int(pair.max()) + 1
    order = np.argsort(pair, kind="stable")
    firsts = order[np.r_[0, np.flatnonzero(np.diff(pair[order])) + 1]]  # first row of each pair
    pair_series = series[firsts]
    scale = _pair_scales(cv, pair, firsts, season, train)
    valid = np.isfinite(scale) & (scale > 0)
    row_scale = np.where(valid, scale, np.nan)[pair]

    nan = np.full(n_s, np.nan)
    zero_y = np.bincount(series, weights=(y == 0), minlength=n_s).astype(np.int64)
    mase_skipped = np.bincount(pair_series, weights=~valid, minlength=n_s).astype(np.int64)
    per: dict[str, dict[str, np.ndarray]] = {}
    for m in models:
        f = preds[m]
        err = np.abs(y - f)
        den = np.abs(y) + np.abs(f)
        with np.errstate(divide="ignore", invalid="ignore"):
            ape = np.where(y != 0, 100.0 * err / np.abs(y), np.nan)
            sape = np.where(den > 0, 200.0 * err / den, np.nan)
        cols = {
            "MAE": _group_mean(series, n_s, err),
            "RMSE": np.sqrt(_group_mean(series, n_s, err**2)),
            "MAPE": _group_mean(series, n_s, ape),
            "MAPE_skipped": zero_y,
            "sMAPE": _group_mean(series, n_s, sape),
            "MASE": _group_mean(pair_series, n_s, _group_mean(pair, n_p, err / row_scale)),
            "MASE_skipped": mase_skipped,
        }
        for q, c in quants:
            d = y - preds[c]
            loss = np.maximum(q * d, (q - 1.0) * d)
            cols[f"pinball_{c[len(MODEL) + 1 :]}"] = (
                _group_mean(series, n_s, loss) if m == MODEL else nan
            )
        for label, lo, hi in intervals:
            inside = ((preds[lo] <= y) & (y <= preds[hi])).astype(np.float64)
            cols[f"coverage_{label}"] = _group_mean(series, n_s, inside) if m == MODEL else nan
            w = preds[hi] - preds[lo]
            cols[f"width_{label}"] = _group_mean(series, n_s, w) if m == MODEL else nan
        per[m] = cols

    names = list(per[MODEL])
    if by_series:
        index = pd.MultiIndex.from_product([list(ids), models], names=["unique_id", "model"])
        data = {c: np.stack([per[m][c] for m in models], axis=1).ravel() for c in names}
        return pd.DataFrame(data, index=index)
    agg = {
        c: [
            int(per[m][c].sum())
            if c.endswith("_skipped")
            else (float(np.nanmean(per[m][c])) if not np.isnan(per[m][c]).all() else np.nan)
            for m in models
        ]
        for c in names
    }
    return pd.DataFrame(agg, index=pd.Index(models, name="model"))


def _index_names(frame: Any) -> str:
    if not isinstance(frame, pd.DataFrame):
        return type(frame).__name__
    return f"index names {list(frame.index.names)}"


def to_json_dict(metrics: pd.DataFrame) -> dict[str, Any]:
    """``evaluate``'s frame as plain JSON values (metrics.json): NaN and inf become None.

    Aggregate frames give ``{model: {metric: value}}``; ``by_series`` frames give
    ``{unique_id: {model: {metric: value}}}``. Counts stay ints, the rest are floats.

    Example:
        >>> frame = pd.DataFrame({"MAE": [1.5, np.nan], "MAPE_skipped": [2, 2]},
        ...                      index=pd.Index(["y_hat", "naive"], name="model"))
        >>> to_json_dict(frame)
        {'y_hat': {'MAE': 1.5, 'MAPE_skipped': 2}, 'naive': {'MAE': None, 'MAPE_skipped': 2}}
    """
    if not isinstance(metrics, pd.DataFrame) or list(metrics.index.names) not in (
        ["model"],
        ["unique_id", "model"],
    ):
        raise ValueError(
            "to_json_dict: expected a frame returned by evaluate (index 'model' or "
            f"('unique_id', 'model')), got {_index_names(metrics)}"
        )

    def plain(v: Any) -> int | float | None:
        if isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_):
            return int(v)
        v = float(v)
        return v if math.isfinite(v) else None

    columns = {c: metrics[c].tolist() for c in metrics.columns}
    out: dict[str, Any] = {}
    for i, key in enumerate(metrics.index):
        row = {c: plain(columns[c][i]) for c in metrics.columns}
        if isinstance(key, tuple):
            out.setdefault(str(key[0]), {})[str(key[1])] = row
        else:
            out[str(key)] = row
    return out
